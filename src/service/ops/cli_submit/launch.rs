//! Running the Flink client of a home: which program (`<home>/bin/flink`, else `java … -cp
//! '<home>/lib/*' CliFrontend` for the PyPI layout), its config directory (the home's `conf/`, else
//! one flinkdeck writes with the distribution's default memory sizes), and the run itself, whose
//! output streams line by line (masked) into the action's progress.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{failed, Plan};
use crate::domain::deploy::{CliReport, FlinkVersion};
use crate::domain::ActionOutcome;
use crate::service::ops::Progress;

/// How long the `flink` process may run (a YARN application waits for its AM container).
const CLI_WAIT: Duration = Duration::from_secs(600);

/// Lines of output kept for the error message of a failed run.
const TAIL_LINES: usize = 30;

/// The client's main class.
const CLI_MAIN: &str = "org.apache.flink.client.cli.CliFrontend";

/// The program, its leading arguments, its environment and a config directory to write.
#[allow(clippy::type_complexity)]
pub(super) fn launcher(
    home: &Path,
    version: FlinkVersion,
    conf_base: &Path,
) -> Result<(PathBuf, Vec<String>, Vec<(String, String)>, Option<PathBuf>), ActionOutcome> {
    let home_conf = home.join("conf");
    let has_conf = home_conf.join(version.config_file_name()).is_file();
    let conf = if has_conf {
        home_conf.clone()
    } else {
        conf_base.join(version.to_string())
    };
    let write_conf = (!has_conf).then(|| conf.clone());
    let mut env = vec![("FLINK_CONF_DIR".to_string(), conf.display().to_string())];
    let script = home.join("bin").join("flink");
    if script.is_file() {
        return Ok((script, Vec::new(), env, write_conf));
    }
    let java = crate::sqlrunner::java_tool("java").map_err(|e| failed(e.to_string()))?;
    let log4j = if has_conf && home_conf.join("log4j-cli.properties").is_file() {
        home_conf.join("log4j-cli.properties")
    } else {
        conf.join("log4j-cli.properties")
    };
    let mut pre: Vec<String> = crate::sqlrunner::FLINK_JAVA17_OPENS
        .iter()
        .map(|s| s.to_string())
        .collect();
    pre.push(format!(
        "-Dlog4j.configurationFile=file:{}",
        log4j.display()
    ));
    pre.push("-cp".to_string());
    pre.push(format!("{}/*", home.join("lib").display()));
    pre.push(CLI_MAIN.to_string());
    env.push((
        "FLINK_LIB_DIR".into(),
        home.join("lib").display().to_string(),
    ));
    env.push((
        "FLINK_PLUGINS_DIR".into(),
        home.join("plugins").display().to_string(),
    ));
    env.push((
        "FLINK_OPT_DIR".into(),
        home.join("opt").display().to_string(),
    ));
    Ok((java, pre, env, write_conf))
}

/// The configuration a home without `conf/` gets: the distribution's default memory sizes, and
/// a console log that shows the client's INFO lines (cluster ids, web interface).
pub(super) fn write_conf_dir(dir: &Path, version: FlinkVersion) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create the Flink config directory {}: {e}",
            dir.display()
        )
    })?;
    let conf = "jobmanager.memory.process.size: 1600m\n\
                taskmanager.memory.process.size: 1728m\n\
                taskmanager.numberOfTaskSlots: 1\n\
                parallelism.default: 1\n";
    let log4j = "# Written by flinkdeck: the Flink CLI's log on the console (stderr)\n\
                 rootLogger.level = WARN\n\
                 rootLogger.appenderRef.console.ref = ConsoleAppender\n\
                 logger.client.name = org.apache.flink.client\n\
                 logger.client.level = INFO\n\
                 logger.k8s.name = org.apache.flink.kubernetes\n\
                 logger.k8s.level = INFO\n\
                 logger.k8sshaded.name = org.apache.flink.kubernetes.shaded\n\
                 logger.k8sshaded.level = WARN\n\
                 logger.yarn.name = org.apache.flink.yarn\n\
                 logger.yarn.level = INFO\n\
                 appender.console.name = ConsoleAppender\n\
                 appender.console.type = CONSOLE\n\
                 appender.console.target = SYSTEM_ERR\n\
                 appender.console.layout.type = PatternLayout\n\
                 appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n\n";
    for (name, text) in [
        (version.config_file_name(), conf),
        ("log4j-cli.properties", log4j),
        ("log4j-console.properties", log4j),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(())
}

/// Runs the CLI, streaming every line (masked) as progress; the report of what it printed.
pub(super) async fn run_cli(
    plan: &Plan,
    args: &[String],
    progress: Progress<'_>,
) -> Result<CliReport, String> {
    let mut cmd = tokio::process::Command::new(&plan.program);
    cmd.args(&plan.pre_args)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &plan.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", plan.program.display()))?;
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("no output pipes from {}", plan.program.display()));
    };
    let mut out = BufReader::new(out).lines();
    let mut err = BufReader::new(err).lines();
    let mut report = CliReport::default();
    let mut tail: std::collections::VecDeque<String> = Default::default();
    let read = async {
        let (mut out_open, mut err_open) = (true, true);
        while out_open || err_open {
            let line = tokio::select! {
                l = out.next_line(), if out_open => match l {
                    Ok(Some(l)) => l,
                    _ => { out_open = false; continue; }
                },
                l = err.next_line(), if err_open => match l {
                    Ok(Some(l)) => l,
                    _ => { err_open = false; continue; }
                },
            };
            let line = crate::sqltools::mask(&line, &plan.secrets);
            report.read_line(&line);
            if !line.trim().is_empty() && !line.trim_start().starts_with("at ") {
                progress(format!("flink: {line}"));
                tail.push_back(line);
                if tail.len() > TAIL_LINES {
                    tail.pop_front();
                }
            }
        }
        child.wait().await
    };
    let status = match tokio::time::timeout(CLI_WAIT, read).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(format!("waiting for the Flink CLI failed: {e}")),
        Err(_) => {
            return Err(format!(
                "the Flink CLI did not finish within {}s (stopped)",
                CLI_WAIT.as_secs()
            ))
        }
    };
    if status.success() {
        return Ok(report);
    }
    Err(format!(
        "the Flink CLI failed ({status}): {}",
        cli_error(tail.iter().map(String::as_str))
    ))
}

/// The telling line of a failed run: the last exception line (the root cause), else the last
/// line.
fn cli_error<'a>(lines: impl DoubleEndedIterator<Item = &'a str> + Clone) -> String {
    lines
        .clone()
        .rev()
        .find(|l| l.contains("Exception:") || l.contains("Error:"))
        .or_else(|| lines.clone().next_back())
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|| "no output".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_is_the_last_exception() {
        let lines = [
            "Starting",
            "org.apache.flink.client.deployment.ClusterDeploymentException: Could not deploy Yarn job cluster.",
            "Caused by: java.net.ConnectException: Connection refused",
            "done",
        ];
        assert_eq!(
            cli_error(lines.iter().copied()),
            "Caused by: java.net.ConnectException: Connection refused"
        );
        assert_eq!(cli_error(["a", "b"].iter().copied()), "b");
        assert_eq!(cli_error([].iter().copied()), "no output");
    }

    #[test]
    fn a_home_without_conf_gets_one_and_java_runs_the_client() {
        let dir = std::env::temp_dir().join(format!("fd-launch-{}", std::process::id()));
        let home = dir.join("home");
        std::fs::create_dir_all(home.join("lib")).expect("mkdir");
        let v = FlinkVersion::parse("2.3.0").expect("v");
        if let Ok((program, pre, env, write)) = launcher(&home, v, &dir.join("confs")) {
            assert!(program.ends_with("java"), "{program:?}");
            assert_eq!(pre.last().map(String::as_str), Some(CLI_MAIN));
            assert_eq!(write, Some(dir.join("confs").join("2.3.0")));
            assert!(env.iter().any(|(k, _)| k == "FLINK_CONF_DIR"));
            write_conf_dir(&dir.join("confs").join("2.3.0"), v).expect("write");
            assert!(dir.join("confs/2.3.0/config.yaml").is_file());
        }
        std::fs::create_dir_all(home.join("bin")).expect("mkdir");
        std::fs::create_dir_all(home.join("conf")).expect("mkdir");
        std::fs::write(home.join("bin/flink"), "#!/bin/sh\n").expect("write");
        std::fs::write(home.join("conf/config.yaml"), "").expect("write");
        let (program, pre, env, write) = launcher(&home, v, &dir.join("confs")).expect("launcher");
        assert_eq!(program, home.join("bin/flink"));
        assert!(pre.is_empty());
        assert_eq!(write, None);
        assert_eq!(
            env,
            [(
                "FLINK_CONF_DIR".to_string(),
                home.join("conf").display().to_string()
            )]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
