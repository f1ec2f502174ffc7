//! flinkdeck: a full-screen terminal console (and scriptable CLI) for running Apache Flink.
//!
//! Layers: `domain` (pure types) ← `flink` (REST client) / `store` (SQLite) ← `service`
//! (pollers and loaders, shared by CLI and TUI) ← `cli` and `tui`. `tui` and `domain` never touch
//! the network, SQLite or processes directly (see `tests/architecture.rs`).

pub mod backend;
pub mod cli;
pub mod config;
pub mod domain;
pub mod flink;
pub mod service;
pub mod sqlrunner;
pub mod sqltools;
pub mod store;
pub mod tui;
