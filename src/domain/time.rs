//! Formatting of durations, ages, sizes and rates for tables (pure functions).

/// `1d 2h`, `3h 4m`, `5m 6s`, `7s`: the two most significant units.
pub fn format_duration_ms(ms: i64) -> String {
    if ms < 0 {
        return "-".into();
    }
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else if s > 0 {
        format!("{sec}s")
    } else {
        format!("{ms}ms")
    }
}

/// An age like `12s ago`; `-` for none.
pub fn format_age(now_ms: i64, then_ms: Option<i64>) -> String {
    match then_ms {
        Some(t) if t > 0 => format!("{} ago", format_duration_ms((now_ms - t).max(0))),
        _ => "-".into(),
    }
}

/// Bytes in binary units: `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn format_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A per-second rate: `0`, `12.3`, `4.5k`, `6.7M`.
pub fn format_rate(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("{:.1}k", v / 1_000.0)
    } else if v == 0.0 {
        "0".into()
    } else {
        format!("{v:.1}")
    }
}

/// Local wall-clock time of an epoch-ms timestamp: `2026-11-21 07:30:05`.
pub fn format_timestamp(ms: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => "-".into(),
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_two_units() {
        assert_eq!(format_duration_ms(999), "999ms");
        assert_eq!(format_duration_ms(61_000), "1m 1s");
        assert_eq!(format_duration_ms(3_723_000), "1h 2m");
        assert_eq!(format_duration_ms(90_000_000), "1d 1h");
        assert_eq!(format_duration_ms(-1), "-");
    }

    #[test]
    fn bytes_and_rates() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_rate(0.0), "0");
        assert_eq!(format_rate(1500.0), "1.5k");
    }
}
