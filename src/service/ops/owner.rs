//! Which process owns a journaled operation: its pid and the pid's start time (from
//! `/proc/<pid>/stat`, so a reused pid is not mistaken for it). A later process leaves an
//! operation alone while its owner still runs (a `flinkdeck jobs` beside a running start or
//! upgrade must not settle it as interrupted). Where `/proc` is missing, no owner is alive.

use serde_json::{json, Value};

/// The start time (clock ticks since boot) of process `pid`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None;
    }
    // After the state (field 3), starttime is field 22.
    fields.nth(18)?.parse().ok()
}

/// This process, as recorded in an operation's params under `"owner"`.
pub(super) fn current() -> Value {
    let pid = std::process::id();
    json!({ "pid": pid, "started": start_time(pid) })
}

/// Adds `"owner"` to a JSON object of params (other JSON is returned as it is).
pub(super) fn stamp(params: String) -> String {
    match serde_json::from_str::<Value>(&params) {
        Ok(Value::Object(mut m)) => {
            m.insert("owner".into(), current());
            Value::Object(m).to_string()
        }
        _ => params,
    }
}

/// Whether the process that journaled `params` still runs (never this process's own: a
/// process settles what it finds at start, before it journals anything itself).
pub(super) fn alive(params: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(params) else {
        return false;
    };
    let owner = &v["owner"];
    let (Some(pid), Some(started)) = (owner["pid"].as_u64(), owner["started"].as_u64()) else {
        return false;
    };
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    pid != std::process::id() && start_time(pid) == Some(started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_stamped_and_a_dead_owner_is_not_alive() {
        let stamped = stamp(r#"{"version":3}"#.into());
        let v: Value = serde_json::from_str(&stamped).expect("json");
        assert_eq!(v["version"], 3);
        assert_eq!(v["owner"]["pid"], std::process::id());
        assert!(v["owner"]["started"].as_u64().is_some(), "{v}");
        // Our own operations are never "alive elsewhere".
        assert!(!alive(&stamped));
        // A pid that runs, with another start time, is a reused pid.
        let reused = json!({"owner": {"pid": std::process::id(), "started": 1}}).to_string();
        assert!(!alive(&reused));
        assert!(!alive("{}"));
        assert!(!alive("not json"));
    }

    #[test]
    fn a_running_child_is_alive() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        let started = start_time(pid).expect("start time of the child");
        let params = json!({"owner": {"pid": pid, "started": started}}).to_string();
        assert!(alive(&params));
        let _ = child.kill();
        let _ = child.wait();
        assert!(!alive(&params));
    }
}
