//! The command palette: the `:` line at the bottom of the screen and, above it, a small list of
//! the completion candidates (the highlighted one is what Tab takes).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::app::App;
use super::super::fmt::clean;

/// Most candidates listed at once.
const MAX_CANDIDATES: usize = 8;

pub(crate) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let Some(p) = &app.palette else {
        return;
    };
    if area.height < 2 || area.width < 4 {
        return;
    }
    let t = &app.theme;
    let line_area = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    frame.render_widget(Clear, line_area);
    let input = clean(&p.input);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(":", t.key_hint),
            Span::styled(input, t.base),
            Span::styled("█", t.dim),
        ]))
        .style(t.base),
        line_area,
    );
    let completion = app.palette_completion();
    let n = completion.candidates.len();
    if n == 0 {
        return;
    }
    let selected = p.selected.min(n - 1);
    // The window of candidates that keeps the highlighted one visible.
    let shown = n.min(MAX_CANDIDATES);
    let first = selected.saturating_sub(shown - 1);
    let height = (shown as u16 + 2).min(area.height - 1);
    let rows: Vec<&crate::tui::palette::Candidate> = completion
        .candidates
        .iter()
        .skip(first)
        .take(shown)
        .collect();
    let name_w = rows
        .iter()
        .map(|c| c.text.chars().count())
        .max()
        .unwrap_or(0);
    let width = rows
        .iter()
        .map(|c| name_w + 3 + c.desc.chars().count() + 4)
        .max()
        .unwrap_or(10)
        .min(area.width as usize) as u16;
    let list_area = Rect::new(area.x, line_area.y - height, width, height);
    frame.render_widget(Clear, list_area);
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let style = if first + i == selected {
                t.selected
            } else {
                t.base
            };
            Line::from(vec![
                Span::styled(format!(" {:<name_w$} ", clean(&c.text)), style),
                Span::styled(format!(" {}", c.desc), t.dim),
            ])
        })
        .collect();
    let title = if n > shown {
        format!(" {n} matches · Tab completes · ↑↓ pick ")
    } else {
        " Tab completes · ↑↓ pick · Enter runs ".to_string()
    };
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border_focused)
                .title(Span::styled(title, t.title)),
        ),
        list_area,
    );
}
