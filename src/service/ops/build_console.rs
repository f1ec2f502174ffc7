//! The console's build operations: rebuild an app at its `[build] ref` (the same `run_build` as
//! `flinkdeck build`), cancel a running build — one this process runs through its cancel
//! channel, one a `flinkdeck build` process runs with SIGTERM to the pid its build row records —
//! and the Builds view's rows. Read-only mode refuses rebuild and cancel, in the audit trail too.

use std::path::Path;
use std::time::Duration;

use tokio::sync::watch;

use super::{audit, run_build, BuildOutcome, OpsContext, Progress};
use crate::domain::{ActionOutcome, AppBuilds, BuildRecord, BuildStatus};
use crate::store::Store;

/// How long a cancel waits for the build to be recorded as ended.
const CANCEL_WAIT: Duration = Duration::from_secs(30);
const CANCEL_POLL: Duration = Duration::from_millis(200);

fn readonly_refusal(what: &str) -> ActionOutcome {
    ActionOutcome::Refused {
        reason: format!("read-only mode: {what} is disabled (--readonly or [ui] readonly = true)"),
    }
}

/// Read-only mode's refusal of a build of `app` (at `git_ref`), recorded in the audit trail
/// (the console's rebuild key and `flinkdeck build` alike).
pub async fn refuse_build_readonly(
    ctx: &OpsContext,
    app: &str,
    git_ref: Option<&str>,
) -> ActionOutcome {
    let outcome = readonly_refusal("build");
    let params = serde_json::json!({ "ref": git_ref }).to_string();
    audit::record(ctx, "build", Some(app.to_string()), None, params, &outcome).await;
    outcome
}

/// Builds `app` at its `[build] ref` and binds the artifact (see `run_build`, which audits the
/// build); read-only mode refuses it (audited here).
pub async fn console_build(
    ctx: &OpsContext,
    app: &str,
    progress: Progress<'_>,
    cancel: watch::Receiver<bool>,
) -> ActionOutcome {
    if ctx.readonly {
        return refuse_build_readonly(ctx, app, None).await;
    }
    match run_build(ctx, &ctx.data_dir, app, None, progress, cancel).await {
        BuildOutcome::Succeeded(r) => ActionOutcome::Done {
            message: format!(
                "built {} #{}: commit {} → version {}",
                r.app,
                r.id,
                short_commit(&r),
                r.version.map(|v| v.to_string()).unwrap_or_default()
            ),
            job_id: None,
            savepoint: None,
        },
        BuildOutcome::Failed { record, reason, .. } => ActionOutcome::Failed {
            reason: format!(
                "build #{} of {}: {reason} (log {})",
                record.id, app, record.log
            ),
        },
        BuildOutcome::Cancelled(r) => ActionOutcome::Failed {
            reason: format!("build #{} of {} cancelled", r.id, r.app),
        },
        BuildOutcome::Busy(m) => ActionOutcome::Refused { reason: m },
        BuildOutcome::Invalid(m) => ActionOutcome::Invalid { reason: m },
        BuildOutcome::Error(m) => ActionOutcome::Failed { reason: m },
    }
}

fn short_commit(r: &BuildRecord) -> String {
    r.commit
        .as_deref()
        .map(|c| c[..c.len().min(12)].to_string())
        .unwrap_or_else(|| "?".into())
}

/// Cancels build `build` of `app`. `own` is the cancel channel when this process runs a build
/// of the app; otherwise the build's recorded process gets SIGTERM when it is a
/// `flinkdeck build` (which cancels like Ctrl-C). Waits until the build is recorded as ended.
/// Audited as `cancel_build`.
pub async fn cancel_build(
    ctx: &OpsContext,
    app: &str,
    build: i64,
    own: Option<watch::Sender<bool>>,
    progress: Progress<'_>,
) -> ActionOutcome {
    let outcome = if ctx.readonly {
        readonly_refusal("cancel_build")
    } else {
        cancel(ctx, app, build, own, progress).await
    };
    let params = serde_json::json!({ "build": build }).to_string();
    audit::record(
        ctx,
        "cancel_build",
        Some(app.to_string()),
        None,
        params,
        &outcome,
    )
    .await;
    outcome
}

async fn read_build(ctx: &OpsContext, build: i64) -> Result<Option<BuildRecord>, ActionOutcome> {
    ctx.store
        .call(move |s: &mut Store| s.build(build))
        .await
        .map_err(|e| ActionOutcome::Failed {
            reason: format!("cannot read build #{build}: {e}"),
        })
}

async fn cancel(
    ctx: &OpsContext,
    app: &str,
    build: i64,
    own: Option<watch::Sender<bool>>,
    progress: Progress<'_>,
) -> ActionOutcome {
    let record = match read_build(ctx, build).await {
        Ok(Some(r)) if r.app == app => r,
        Ok(_) => {
            return ActionOutcome::Invalid {
                reason: format!("app {app} has no build #{build}"),
            }
        }
        Err(o) => return o,
    };
    if record.status != BuildStatus::Running {
        return ActionOutcome::Refused {
            reason: format!(
                "build #{build} of {app} is {} already",
                record.status.as_str()
            ),
        };
    }
    let me = std::process::id();
    let how = match (own, record.pid) {
        (Some(tx), Some(pid)) if pid == me => {
            progress(format!(
                "cancelling build #{build} of {app} (started in this console)"
            ));
            if tx.send(true).is_err() {
                return ActionOutcome::Failed {
                    reason: format!("build #{build} of {app}: its task is gone"),
                };
            }
            "this console stopped it".to_string()
        }
        (_, None) => {
            return ActionOutcome::Refused {
                reason: format!(
                    "build #{build} of {app} has no recorded builder process (an older \
                     flinkdeck recorded it): cancel it where it runs"
                ),
            }
        }
        (_, Some(pid)) => {
            if !lock_held(&ctx.data_dir, app) {
                return ActionOutcome::Refused {
                    reason: format!(
                        "build #{build} of {app} is recorded as running, but no process holds \
                         the app's build lock (its builder, pid {pid}, ended): the next build \
                         settles it"
                    ),
                };
            }
            match builder_kind(pid) {
                Builder::Cli => {}
                Builder::Gone => {
                    return ActionOutcome::Refused {
                        reason: format!(
                            "build #{build} of {app}: its builder process {pid} is gone"
                        ),
                    }
                }
                Builder::Other(cmd) => {
                    return ActionOutcome::Refused {
                        reason: format!(
                            "build #{build} of {app} runs in process {pid} ({cmd}), which is not \
                             a `flinkdeck build`: cancel it there"
                        ),
                    }
                }
            }
            // SAFETY: kill(2) sends a signal to one process; no memory is touched.
            let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            if rc != 0 {
                return ActionOutcome::Failed {
                    reason: format!(
                        "cannot signal the `flinkdeck build` process {pid}: {}",
                        std::io::Error::last_os_error()
                    ),
                };
            }
            progress(format!(
                "sent SIGTERM to the `flinkdeck build` process {pid}, which cancels build \
                 #{build} of {app}"
            ));
            format!("SIGTERM to `flinkdeck build` process {pid}")
        }
    };
    let deadline = tokio::time::Instant::now() + CANCEL_WAIT;
    loop {
        match read_build(ctx, build).await {
            Ok(Some(r)) if r.status == BuildStatus::Cancelled => {
                return ActionOutcome::Done {
                    message: format!(
                        "build #{build} of {app} cancelled ({how}; its process group is gone)"
                    ),
                    job_id: None,
                    savepoint: None,
                }
            }
            Ok(Some(r)) if r.status != BuildStatus::Running => {
                return ActionOutcome::Failed {
                    reason: format!(
                        "build #{build} of {app} ended {} before the cancel took effect",
                        r.status.as_str()
                    ),
                }
            }
            Ok(_) => {}
            Err(o) => return o,
        }
        if tokio::time::Instant::now() >= deadline {
            return ActionOutcome::Failed {
                reason: format!(
                    "build #{build} of {app} is still running {}s after the cancel ({how})",
                    CANCEL_WAIT.as_secs()
                ),
            };
        }
        tokio::time::sleep(CANCEL_POLL).await;
    }
}

/// Whether some process holds `<data dir>/builds/<app>/lock` (a build of the app runs).
fn lock_held(data_dir: &Path, app: &str) -> bool {
    let path = data_dir.join("builds").join(app).join("lock");
    match std::fs::OpenOptions::new().write(true).open(&path) {
        // Taken and released at once: nobody held it.
        Ok(f) => f.try_lock().is_err(),
        Err(_) => false,
    }
}

/// What process `pid` is.
#[derive(Debug, PartialEq)]
enum Builder {
    /// A `flinkdeck … build …` command (cancels on SIGTERM).
    Cli,
    Gone,
    /// Something else: its command line.
    Other(String),
}

fn builder_kind(pid: u32) -> Builder {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Err(_) => Builder::Gone,
        Ok(raw) => classify_cmdline(&raw),
    }
}

/// `flinkdeck [options] build NAME …` is a CLI build; anything else is not.
fn classify_cmdline(raw: &[u8]) -> Builder {
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let Some(program) = args.first() else {
        return Builder::Gone;
    };
    let is_flinkdeck = Path::new(program)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("flinkdeck"));
    if is_flinkdeck && args.iter().skip(1).any(|a| a == "build") {
        Builder::Cli
    } else {
        Builder::Other(args.join(" "))
    }
}

/// The apps with a `[build]` or with builds recorded (by name), each with its newest `per_app`
/// builds.
pub async fn load_builds(ctx: &OpsContext, per_app: usize) -> Result<Vec<AppBuilds>, String> {
    ctx.store
        .call(move |s: &mut Store| {
            let mut out: Vec<AppBuilds> = s
                .apps()?
                .into_iter()
                .filter_map(|a| {
                    a.spec.build.as_ref().map(|b| AppBuilds {
                        app: a.app.clone(),
                        git_ref: b.git_ref.clone(),
                        repo: b.repo.clone(),
                        builds: Vec::new(),
                    })
                })
                .collect();
            for app in s.apps_with_builds()? {
                if !out.iter().any(|a| a.app == app) {
                    out.push(AppBuilds {
                        app,
                        git_ref: String::new(),
                        repo: String::new(),
                        builds: Vec::new(),
                    });
                }
            }
            out.sort_by(|a, b| a.app.cmp(&b.app));
            for a in &mut out {
                a.builds = s.builds_limited(&a.app, None, Some(per_app))?;
            }
            Ok(out)
        })
        .await
        .map_err(|e| format!("cannot read the builds: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_flinkdeck_build_command_is_signalled() {
        let cli = b"/usr/bin/flinkdeck\0--config\0/c.toml\0build\0orders\0";
        assert_eq!(classify_cmdline(cli), Builder::Cli);
        let console = b"/usr/bin/flinkdeck\0--config\0/c.toml\0";
        assert_eq!(
            classify_cmdline(console),
            Builder::Other("/usr/bin/flinkdeck --config /c.toml".into())
        );
        let other = b"sleep\0build\0";
        assert!(matches!(classify_cmdline(other), Builder::Other(_)));
        assert_eq!(classify_cmdline(b""), Builder::Gone);
    }

    #[test]
    fn the_build_lock_is_held_only_while_a_process_holds_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!lock_held(dir.path(), "a"), "no lock file: no build");
        let base = dir.path().join("builds").join("a");
        std::fs::create_dir_all(&base).expect("mkdir");
        let f = std::fs::File::create(base.join("lock")).expect("lock file");
        assert!(!lock_held(dir.path(), "a"));
        f.try_lock().expect("lock");
        assert!(lock_held(dir.path(), "a"));
        drop(f);
        assert!(!lock_held(dir.path(), "a"));
    }
}
