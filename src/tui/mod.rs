//! The full-screen console: one owner of UI state (`App`), a pure `update(msg) -> effects`, a pure
//! `draw(&App)`, and the terminal loop (`run`) that feeds messages in and sends effects out.
//!
//! The TUI does no I/O except the terminal itself: every load goes to the workers as a
//! [`WorkerRequest`](crate::domain::WorkerRequest) and comes back as a stamped
//! [`WorkerReply`](crate::domain::WorkerReply); replies that no longer match the screen are dropped.

pub mod error_screen;
pub mod keymap;
pub mod link;
pub mod theme;

mod actions;
mod alerts;
mod app;
mod audit;
mod builds;
mod clusters;
mod copy;
mod detail;
mod editor;
mod fmt;
mod jobs;
mod jobs_group;
pub(crate) mod jobs_views;
mod logs;
mod osc;
mod palette;
mod pods;
mod runtime;
mod ui;

pub use app::{App, AppOptions, Effect, Msg};
pub use editor::EditorTarget;
pub use runtime::run;
pub use theme::ThemeReload;
