//! Drift: a running managed app compared with its current definition (artifact, SQL script hash,
//! parallelism, the options the spec sets). Pure: the service gathers both sides, this compares.
//!
//! flinkdeck stamps every submission with `flinkdeck.*` entries (see [`stamp`]); Flink shows them
//! back in `GET /jobs/:id/config` as `execution-config.user-config` because they also go into
//! `pipeline.global-job-parameters`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The app a job runs (configuration entry set at submission).
pub const CONF_APP: &str = "flinkdeck.app";
/// The app version a job runs.
pub const CONF_VERSION: &str = "flinkdeck.app-version";
/// The sha256 (hex) of the jar a jar app's job was submitted with.
pub const CONF_ARTIFACT: &str = "flinkdeck.artifact.sha256";
/// The sha256 (hex) of the SQL script the runner received (set by the runner itself).
pub const CONF_SQL: &str = "flinkdeck.sql.sha256";
/// Flink's option whose map shows in the job's `user-config` over REST.
pub const GLOBAL_JOB_PARAMETERS: &str = "pipeline.global-job-parameters";

/// Adds `entries` to a submission's options: each as a plain key, and merged into
/// `pipeline.global-job-parameters` (Flink's `k:v,k:v` map syntax), keeping the entries the
/// options already have there. Values must not hold `,` or `:` (ids, versions and hex hashes).
pub fn stamp(options: &mut BTreeMap<String, String>, entries: &[(&str, String)]) {
    let mut params: Vec<(String, String)> = options
        .get(GLOBAL_JOB_PARAMETERS)
        .map(|s| parse_map(s))
        .unwrap_or_default();
    for (k, v) in entries {
        options.insert((*k).to_string(), v.clone());
        params.retain(|(pk, _)| pk != k);
        params.push(((*k).to_string(), v.clone()));
    }
    let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    options.insert(GLOBAL_JOB_PARAMETERS.to_string(), joined.join(","));
}

/// Flink's simple map syntax `k1:v1,k2:v2` (no quoting).
fn parse_map(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|kv| kv.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Where a running value was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Flink's REST API (the job's config / checkpoint config).
    Rest,
    /// flinkdeck's run record of the job (what it submitted), when Flink does not show it.
    Run,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rest => "rest",
            Source::Run => "run record",
        }
    }
}

/// A value of the running job with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub value: String,
    pub source: Source,
}

impl Seen {
    pub fn rest(value: impl Into<String>) -> Seen {
        Seen {
            value: value.into(),
            source: Source::Rest,
        }
    }

    pub fn run(value: impl Into<String>) -> Seen {
        Seen {
            value: value.into(),
            source: Source::Run,
        }
    }
}

/// What the running job is, as far as it can be seen. `None`: not known (never drift).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    pub artifact_sha256: Option<Seen>,
    pub sql_sha256: Option<Seen>,
    pub parallelism: Option<Seen>,
    /// By option key; only keys the spec sets are looked at.
    pub options: BTreeMap<String, Seen>,
}

/// What the app's current definition says. `None`: the definition does not set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defined {
    pub artifact_sha256: Option<String>,
    pub sql_sha256: Option<String>,
    pub parallelism: Option<u32>,
    pub options: BTreeMap<String, String>,
}

/// One differing field of a running app (`flinkdeck drift --json` prints these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub app: String,
    /// `artifact`, `sql`, `parallelism` or `options.<key>`.
    pub field: String,
    pub running: String,
    pub defined: String,
    /// Where the running value was read: `rest` or `run record`.
    pub source: String,
    pub cluster: String,
    pub job_id: String,
}

/// The differences between a running job and its app's definition, in a stable order:
/// artifact, sql, parallelism, then options by key. A side that is not known is not drift.
pub fn compare(
    app: &str,
    cluster: &str,
    job_id: &str,
    running: &Running,
    defined: &Defined,
) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut push = |field: String, seen: &Seen, defined: String| {
        out.push(Drift {
            app: app.to_string(),
            field,
            running: seen.value.clone(),
            defined,
            source: seen.source.as_str().to_string(),
            cluster: cluster.to_string(),
            job_id: job_id.to_string(),
        })
    };
    if let (Some(r), Some(d)) = (&running.artifact_sha256, &defined.artifact_sha256) {
        if !r.value.eq_ignore_ascii_case(d) {
            push("artifact".into(), r, d.clone());
        }
    }
    if let (Some(r), Some(d)) = (&running.sql_sha256, &defined.sql_sha256) {
        if !r.value.eq_ignore_ascii_case(d) {
            push("sql".into(), r, d.clone());
        }
    }
    if let (Some(r), Some(d)) = (&running.parallelism, defined.parallelism) {
        if r.value.trim().parse::<u32>().ok() != Some(d) {
            push("parallelism".into(), r, d.to_string());
        }
    }
    for (key, d) in &defined.options {
        if let Some(r) = running.options.get(key) {
            if !same_option_value(&r.value, d) {
                push(format!("options.{key}"), r, d.clone());
            }
        }
    }
    out
}

/// Whether two values of one Flink option mean the same: equal after trimming, or equal as
/// durations (`2s`, `2 s`, `2000 ms`, `2000`), as booleans, or ignoring case (enum values).
pub fn same_option_value(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b || a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (duration_ms(a), duration_ms(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// A Flink duration (`number unit`, unit optional meaning ms) in milliseconds.
pub fn duration_ms(s: &str) -> Option<u128> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return None;
    }
    let n: u128 = s[..digits].parse().ok()?;
    let unit = s[digits..].trim().to_ascii_lowercase();
    let factor: u128 = match unit.as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "min" | "m" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return None,
    };
    Some(n * factor)
}

/// A duration in ms as Flink writes it in short form (`2 s`, `1500 ms`, `5 min`).
pub fn format_ms(ms: u128) -> String {
    if ms > 0 && ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else if ms > 0 && ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{ms} ms")
    }
}

/// The drift of one app as the console shows it: the differences, or why nothing was compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppDrift {
    /// Running and compared; empty: no drift.
    Compared(Vec<Drift>),
    /// The app has no running job (not drift).
    NotRunning,
    /// The cluster could not be asked (the reason).
    Unknown(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defined() -> Defined {
        Defined {
            artifact_sha256: Some("aa".into()),
            sql_sha256: None,
            parallelism: Some(2),
            options: [
                ("execution.checkpointing.interval".to_string(), "2s".into()),
                ("pipeline.object-reuse".to_string(), "true".into()),
            ]
            .into(),
        }
    }

    fn running() -> Running {
        Running {
            artifact_sha256: Some(Seen::rest("AA")),
            sql_sha256: Some(Seen::rest("ignored: not defined")),
            parallelism: Some(Seen::rest("2")),
            options: [
                (
                    "execution.checkpointing.interval".to_string(),
                    Seen::rest("2000 ms"),
                ),
                ("pipeline.object-reuse".to_string(), Seen::rest("TRUE")),
                ("not.in.spec".to_string(), Seen::run("x")),
            ]
            .into(),
        }
    }

    #[test]
    fn same_values_in_other_spellings_are_no_drift() {
        assert_eq!(compare("a", "c", "j", &running(), &defined()), vec![]);
    }

    #[test]
    fn each_differing_field_is_reported_once_in_order() {
        let mut r = running();
        r.artifact_sha256 = Some(Seen::run("bb"));
        r.parallelism = Some(Seen::rest("1"));
        r.options
            .insert("execution.checkpointing.interval".into(), Seen::rest("3 s"));
        let d = compare("a", "c", "j", &r, &defined());
        let fields: Vec<(&str, &str, &str, &str)> = d
            .iter()
            .map(|d| {
                (
                    d.field.as_str(),
                    d.running.as_str(),
                    d.defined.as_str(),
                    d.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            vec![
                ("artifact", "bb", "aa", "run record"),
                ("parallelism", "1", "2", "rest"),
                (
                    "options.execution.checkpointing.interval",
                    "3 s",
                    "2s",
                    "rest"
                ),
            ]
        );
        assert!(d.iter().all(|x| x.app == "a" && x.job_id == "j"));
    }

    #[test]
    fn unknown_sides_are_not_drift() {
        let r = Running::default();
        assert!(compare("a", "c", "j", &r, &defined()).is_empty());
        let mut d = defined();
        d.sql_sha256 = Some("cc".into());
        let mut r = running();
        r.sql_sha256 = Some(Seen::rest("dd"));
        let out = compare("a", "c", "j", &r, &d);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].field.as_str(), out[0].running.as_str()),
            ("sql", "dd")
        );
    }

    #[test]
    fn durations_compare_by_value() {
        assert_eq!(duration_ms("2s"), Some(2000));
        assert_eq!(duration_ms("2 s"), Some(2000));
        assert_eq!(duration_ms("2000"), Some(2000));
        assert_eq!(duration_ms("1 min"), Some(60_000));
        assert_eq!(duration_ms("abc"), None);
        assert_eq!(duration_ms("2 fortnights"), None);
        assert!(same_option_value("10s", "10000 ms"));
        assert!(!same_option_value("10s", "11 s"));
        assert!(same_option_value("EXACTLY_ONCE", "exactly_once"));
        assert!(!same_option_value("a", "b"));
        assert_eq!(format_ms(2000), "2 s");
        assert_eq!(format_ms(120_000), "2 min");
        assert_eq!(format_ms(1500), "1500 ms");
    }

    #[test]
    fn stamp_merges_into_global_job_parameters() {
        let mut o: BTreeMap<String, String> = [(
            GLOBAL_JOB_PARAMETERS.to_string(),
            "team:data,flinkdeck.app:old".into(),
        )]
        .into();
        stamp(
            &mut o,
            &[(CONF_APP, "orders".into()), (CONF_VERSION, "3".into())],
        );
        assert_eq!(o[CONF_APP], "orders");
        assert_eq!(o[CONF_VERSION], "3");
        assert_eq!(
            o[GLOBAL_JOB_PARAMETERS],
            "team:data,flinkdeck.app:orders,flinkdeck.app-version:3"
        );
        let mut empty = BTreeMap::new();
        stamp(&mut empty, &[(CONF_ARTIFACT, "ab12".into())]);
        assert_eq!(
            empty[GLOBAL_JOB_PARAMETERS],
            "flinkdeck.artifact.sha256:ab12"
        );
    }
}
