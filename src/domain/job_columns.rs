//! The columns the jobs list can show (`[ui] columns = ["name", "state", "reason", …]` picks
//! and orders them), with their config names and how important each is when the terminal is
//! narrow.

/// One column of the jobs list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobColumn {
    Cluster,
    App,
    Name,
    State,
    /// The worst problem's short reason (`ckpt 14m`, `bp 92%`).
    Reason,
    Uptime,
    Tasks,
    Checkpoint,
    Restarts,
    /// Records in per second, with a sparkline.
    RecordsIn,
    /// Records out per second, with a sparkline.
    RecordsOut,
    /// Max backpressure, with a sparkline.
    Backpressure,
    /// Watermark lag, with a sparkline.
    WatermarkLag,
    /// Source pending records / consumer lag, with a sparkline.
    Pending,
}

impl JobColumn {
    /// Every column, in the default order.
    pub const ALL: [JobColumn; 14] = [
        JobColumn::Cluster,
        JobColumn::App,
        JobColumn::Name,
        JobColumn::State,
        JobColumn::Reason,
        JobColumn::Uptime,
        JobColumn::Tasks,
        JobColumn::Checkpoint,
        JobColumn::Restarts,
        JobColumn::RecordsIn,
        JobColumn::RecordsOut,
        JobColumn::Backpressure,
        JobColumn::WatermarkLag,
        JobColumn::Pending,
    ];

    /// The name in `[ui] columns`.
    pub fn id(self) -> &'static str {
        match self {
            JobColumn::Cluster => "cluster",
            JobColumn::App => "app",
            JobColumn::Name => "name",
            JobColumn::State => "state",
            JobColumn::Reason => "reason",
            JobColumn::Uptime => "uptime",
            JobColumn::Tasks => "tasks",
            JobColumn::Checkpoint => "checkpoint",
            JobColumn::Restarts => "restarts",
            JobColumn::RecordsIn => "in",
            JobColumn::RecordsOut => "out",
            JobColumn::Backpressure => "bp",
            JobColumn::WatermarkLag => "wm",
            JobColumn::Pending => "pending",
        }
    }

    /// The column of a config name (case-insensitive).
    pub fn parse(s: &str) -> Option<JobColumn> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.id() == s)
    }

    /// Every config name, for error messages and docs.
    pub fn names() -> String {
        Self::ALL.map(JobColumn::id).join(", ")
    }

    /// Which columns stay longest when the terminal narrows (0 first).
    pub fn priority(self) -> u8 {
        match self {
            JobColumn::Name => 0,
            JobColumn::State | JobColumn::Reason => 1,
            JobColumn::Cluster => 2,
            JobColumn::App => 3,
            JobColumn::Backpressure => 4,
            JobColumn::Checkpoint => 5,
            JobColumn::Restarts => 6,
            JobColumn::RecordsIn => 7,
            JobColumn::Uptime => 8,
            JobColumn::RecordsOut => 9,
            JobColumn::WatermarkLag => 10,
            JobColumn::Pending => 11,
            JobColumn::Tasks => 12,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in JobColumn::ALL {
            assert_eq!(JobColumn::parse(c.id()), Some(c));
        }
        assert_eq!(JobColumn::parse(" BP "), Some(JobColumn::Backpressure));
        assert_eq!(JobColumn::parse("throughput"), None);
        assert!(JobColumn::names().starts_with("cluster, app, name"));
    }
}
