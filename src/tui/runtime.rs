//! The terminal loop: raw mode + alternate screen (restored on exit, on error and by a panic
//! hook), crossterm's event stream, a 1 s tick, worker replies; draws only when dirty, at most
//! ~60 times a second within 2 s of a key (or of the start) and twice a second otherwise. SIGTERM and SIGHUP (an SSH link that drops) end the loop like a quit, so
//! the guard restores the terminal before the process exits.

use std::collections::VecDeque;
use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, Event, EventStream, KeyEventKind,
};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::time::{Instant, MissedTickBehavior};

use crate::domain::time::now_ms;
use crate::domain::{WorkerReply, WorkerRequest};

use super::app::{App, Effect, Msg};

const FRAME: Duration = Duration::from_millis(16);
/// The frame pace while nobody types: a fleet's pollers bring several cluster polls a second,
/// and drawing each one was a sixth of an idle console's CPU (a frame shows them all anyway).
const IDLE_FRAME: Duration = Duration::from_millis(500);
/// Input this recent keeps the [`FRAME`] pace (the answers to what was just asked show at once).
const INPUT_RECENT: Duration = Duration::from_secs(2);
const TICK: Duration = Duration::from_secs(1);
/// Replies handled per loop turn before drawing (keeps input responsive under a flood).
const MAX_DRAIN: usize = 256;

/// Puts the terminal back: leaves the alternate screen, disables raw mode, shows the cursor.
fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped (normal exit, `?` errors).
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> anyhow::Result<TerminalGuard> {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        });
        enable_raw_mode().context("enabling raw mode")?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        )
        .context("entering the alternate screen")?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => Some(Msg::Key(k)),
        Event::Paste(s) => Some(Msg::Paste(s)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// Requests the user confirmed or that save work: never dropped when the channel is full.
fn must_deliver(req: &WorkerRequest) -> bool {
    matches!(
        req,
        WorkerRequest::RunAction { .. }
            | WorkerRequest::SaveAppVersion { .. }
            | WorkerRequest::RunBuild { .. }
            | WorkerRequest::RunUpgrade { .. }
            | WorkerRequest::CancelBuild { .. }
    )
}

/// Applies effects; returns `true` when the app asked to quit. A request that must be delivered
/// and finds the channel full waits in `pending` (sent, in order, as soon as there is room).
fn apply(
    effects: Vec<Effect>,
    requests: &Sender<WorkerRequest>,
    pending: &mut VecDeque<WorkerRequest>,
) -> bool {
    let mut quit = false;
    for fx in effects {
        match fx {
            Effect::Quit => quit = true,
            Effect::Terminal(seq) => {
                let mut out = io::stdout();
                if let Err(e) = out.write_all(seq.as_bytes()).and_then(|()| out.flush()) {
                    tracing::warn!(error = %e, "writing an escape sequence to the terminal");
                }
            }
            Effect::Worker(req) if must_deliver(&req) && !pending.is_empty() => {
                pending.push_back(req);
            }
            Effect::Worker(req) => match requests.try_send(req) {
                Ok(()) => {}
                Err(TrySendError::Full(req)) if must_deliver(&req) => {
                    pending.push_back(req);
                }
                // Full: drop it and stay responsive (RefreshAll is idempotent; detail loads are
                // re-sent when found lost).
                Err(TrySendError::Full(req)) => {
                    tracing::debug!(?req, "request channel full: dropped");
                }
                Err(TrySendError::Closed(_)) => {
                    tracing::warn!("request channel closed: workers are gone");
                }
            },
        }
    }
    quit
}

/// A hyperlink's URL and its drawn cells (column, row, cell).
type LinkCells = (String, Vec<(u16, u16, ratatui::buffer::Cell)>);

/// The cells of each hyperlink in a drawn frame (see [`super::link`]).
fn link_cells(buf: &ratatui::buffer::Buffer, links: Vec<super::link::LinkSpan>) -> Vec<LinkCells> {
    links
        .into_iter()
        .map(|l| {
            let cells = (l.x..l.x + l.width)
                .filter_map(|x| buf.cell((x, l.y)).map(|c| (x, l.y, c.clone())))
                .collect();
            (l.url, cells)
        })
        .collect()
}

/// Writes the drawn cells of each link again, wrapped in OSC 8 (same symbols and styles, so
/// the screen looks the same and the cells link to the URL).
fn write_links(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    links: Vec<LinkCells>,
) -> io::Result<()> {
    use ratatui::backend::Backend;
    if links.is_empty() {
        return Ok(());
    }
    let backend = terminal.backend_mut();
    for (url, cells) in &links {
        backend.write_all(super::osc::osc8_open(url).as_bytes())?;
        backend.draw(cells.iter().map(|(x, y, c)| (*x, *y, c)))?;
        backend.write_all(super::osc::OSC8_CLOSE.as_bytes())?;
    }
    Backend::flush(backend)
}

/// SIGTERM and SIGHUP, when they can be installed (never on other platforms).
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let install = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot handle {name}");
                    None
                }
            };
            StopSignals {
                term: install(SignalKind::terminate(), "SIGTERM"),
                hup: install(SignalKind::hangup(), "SIGHUP"),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Resolves with the signal's name when one arrives; never when none can.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn one(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        if s.recv().await.is_none() {
                            std::future::pending::<()>().await
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                _ = one(&mut self.term) => "SIGTERM",
                _ = one(&mut self.hup) => "SIGHUP",
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<&'static str>().await
    }
}

/// Runs the console until the user quits. `requests` goes to the workers; `replies` comes back
/// from them; `themes` brings the theme again when its file changes. The terminal is restored
/// on every exit path.
pub async fn run(
    mut app: App,
    requests: Sender<WorkerRequest>,
    mut replies: Receiver<WorkerReply>,
    mut themes: Receiver<super::theme::ThemeReload>,
) -> anyhow::Result<()> {
    let _guard = TerminalGuard::enter()?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout())).context("opening the terminal")?;
    terminal.clear()?;
    let size = terminal.size()?;
    let mut pending: VecDeque<WorkerRequest> = VecDeque::new();
    let mut quit = apply(
        app.update(Msg::Resize(size.width, size.height)),
        &requests,
        &mut pending,
    );
    quit |= apply(
        app.update(Msg::Tick { now_ms: now_ms() }),
        &requests,
        &mut pending,
    );

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut replies_open = true;
    let mut themes_open = true;
    let mut last_draw: Option<Instant> = None;
    // The start counts as input: the first polls show as soon as they arrive.
    let mut last_input: Option<Instant> = Some(Instant::now());
    let mut stop = StopSignals::new();

    while !quit {
        let pace = if last_input.is_some_and(|t| t.elapsed() < INPUT_RECENT) {
            FRAME
        } else {
            IDLE_FRAME
        };
        if app.is_dirty() {
            let due = last_draw.is_none_or(|t| t.elapsed() >= pace);
            if due {
                let links = {
                    let frame = terminal.draw(|f| app.draw(f)).context("drawing")?;
                    if app.opts.term.hyperlinks {
                        link_cells(frame.buffer, app.hyperlinks(frame.buffer))
                    } else {
                        Vec::new()
                    }
                };
                write_links(&mut terminal, links).context("writing hyperlinks")?;
                app.clear_dirty();
                last_draw = Some(Instant::now());
            }
        }
        let frame_deadline = match (app.is_dirty(), last_draw) {
            (true, Some(t)) => Some(t + pace),
            _ => None,
        };
        let msg = tokio::select! {
            biased;
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    last_input = Some(Instant::now());
                    to_msg(ev)
                }
                Some(Err(e)) => return Err(e).context("reading terminal events"),
                None => break,
            },
            reply = replies.recv(), if replies_open => match reply {
                Some(r) => Some(Msg::Worker(r)),
                None => {
                    replies_open = false;
                    None
                }
            },
            permit = requests.reserve(), if !pending.is_empty() => {
                if let (Ok(permit), Some(req)) = (permit, pending.pop_front()) {
                    permit.send(req);
                }
                None
            }
            sig = stop.recv() => {
                tracing::info!(signal = sig, "terminating on signal");
                break;
            }
            theme = themes.recv(), if themes_open => match theme {
                Some(t) => Some(Msg::Theme(t)),
                None => {
                    themes_open = false;
                    None
                }
            },
            _ = tick.tick() => Some(Msg::Tick { now_ms: now_ms() }),
            _ = tokio::time::sleep_until(frame_deadline.unwrap_or_else(Instant::now)),
                if frame_deadline.is_some() => None,
        };
        if let Some(msg) = msg {
            quit |= apply(app.update(msg), &requests, &mut pending);
        }
        // Drain what the workers already sent before drawing.
        for _ in 0..MAX_DRAIN {
            if quit || !replies_open {
                break;
            }
            match replies.try_recv() {
                Ok(r) => quit |= apply(app.update(Msg::Worker(r)), &requests, &mut pending),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    replies_open = false;
                }
            }
        }
    }
    terminal.show_cursor().ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ActionRequest, ActionTarget, JobKey};

    fn action(request: u64) -> WorkerRequest {
        WorkerRequest::RunAction {
            action: ActionRequest::Cancel {
                target: ActionTarget::Job(JobKey::new("c", "j")),
            },
            request,
        }
    }

    /// A full channel drops an idempotent refresh but keeps confirmed actions, in order, until
    /// there is room.
    #[test]
    fn confirmed_actions_wait_instead_of_being_dropped() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let mut pending = VecDeque::new();
        let quit = apply(
            vec![
                Effect::Worker(WorkerRequest::RefreshAll),
                Effect::Worker(WorkerRequest::RefreshAll),
                Effect::Worker(action(1)),
                Effect::Worker(action(2)),
            ],
            &tx,
            &mut pending,
        );
        assert!(!quit);
        assert_eq!(pending, VecDeque::from([action(1), action(2)]));
        assert_eq!(rx.try_recv().ok(), Some(WorkerRequest::RefreshAll));
        assert!(rx.try_recv().is_err(), "the second refresh was dropped");
        // A later action queues behind the waiting ones even when there is room now.
        apply(vec![Effect::Worker(action(3))], &tx, &mut pending);
        assert_eq!(pending.len(), 3);
        assert!(rx.try_recv().is_err());
    }
}
