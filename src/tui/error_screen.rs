//! A full-screen error page for problems found before the console can start (a bad config file,
//! an unknown theme): shows the message until a key is pressed, then restores the terminal.

use std::io;

use crossterm::event::{self, Event, KeyEventKind};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::{Frame, Terminal};

/// Draws the error page (used by `show` and by snapshot tests).
pub fn draw(frame: &mut Frame, message: &str) {
    let area = frame.area();
    let mut lines = vec![
        Line::from(Span::styled(
            "flinkdeck cannot start",
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Line::from(""),
    ];
    lines.extend(message.lines().map(|l| Line::from(l.to_string())));
    lines.push(Line::from(""));
    lines.push(Line::from(
        "Fix the problem and start flinkdeck again. Press any key to exit.",
    ));
    let block = Block::default().borders(Borders::ALL).title(" error ");
    let para = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(para, Rect { ..area });
}

/// Shows `message` full-screen until a key is pressed. Without a terminal (stdin not a tty), the
/// message goes to stderr instead.
pub fn show(message: &str) -> io::Result<()> {
    use std::io::IsTerminal;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        eprintln!("flinkdeck: {message}");
        return Ok(());
    }
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen) {
        let _ = disable_raw_mode();
        return Err(e);
    }
    let result = (|| -> io::Result<()> {
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        loop {
            terminal.draw(|f| draw(f, message))?;
            match event::read()? {
                Event::Key(k) if k.kind == KeyEventKind::Press => return Ok(()),
                _ => {}
            }
        }
    })();
    let _ = execute!(io::stdout(), LeaveAlternateScreen);
    let _ = disable_raw_mode();
    eprintln!("flinkdeck: {message}");
    result
}
