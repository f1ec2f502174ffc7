//! Pure types and rules: jobs, checkpoints, cluster health, logs and the messages between the UI
//! and the workers. No I/O lives here.

pub mod alerts;
pub mod app;
pub mod build;
pub mod checkpoint;
pub mod deploy;
pub mod drift;
pub mod events;
pub mod filter;
pub mod glob;
pub mod health;
pub mod health_rules;
pub mod incident;
pub mod job;
pub mod job_columns;
pub mod job_health;
pub mod logs;
pub mod operator;
pub mod platform;
pub mod restart;
pub mod sparkline;
pub mod sql;
pub mod terminal;
pub mod time;

pub use app::*;
pub use build::*;
pub use checkpoint::*;
pub use events::*;
pub use health::*;
pub use job::*;
pub use logs::*;
pub use operator::*;
pub use platform::*;
pub use sql::*;
