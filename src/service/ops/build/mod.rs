//! `flinkdeck build NAME`: fetch the app's `[build] repo` (cloned once into
//! `<data dir>/builds/<app>/repo`), check out the ref, run the command, find the one artifact,
//! store it as `<data dir>/builds/<app>/artifacts/<sha256>.jar` and bind it to the app as a new
//! version. One build per app at a time (an flock on `<data dir>/builds/<app>/lock`); every build
//! is a `builds` row with its log at `<data dir>/builds/<app>/<id>.log`.

mod artifact;
mod process;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::{OpsContext, Progress};
use crate::domain::time::now_ms;
use crate::domain::{
    expand_image_vars, ActionOutcome, BuildRecord, BuildSpec, BuildStatus, ImageStep, ImageVars,
};
use crate::store::{BuildEnd, Store};
use process::{Output, Step, StepError};

/// How a build ended.
#[derive(Debug)]
pub enum BuildOutcome {
    Succeeded(BuildRecord),
    /// The build ran and failed (`tail`: the last lines of its log).
    Failed {
        record: BuildRecord,
        reason: String,
        tail: Vec<String>,
    },
    Cancelled(BuildRecord),
    /// Another build of the app runs.
    Busy(String),
    /// No such app, no `[build]`, or a store error before the build started.
    Invalid(String),
    /// The store or the data dir failed.
    Error(String),
}

/// Builds `app` at `git_ref` (default: `[build] ref`) under `data_dir`; stops when `cancel`
/// turns true. The outcome goes into the audit trail.
pub async fn run_build(
    ctx: &OpsContext,
    data_dir: &Path,
    app: &str,
    git_ref: Option<&str>,
    progress: Progress<'_>,
    cancel: watch::Receiver<bool>,
) -> BuildOutcome {
    let outcome = build(ctx, data_dir, app, git_ref, progress, cancel).await;
    let audited = match &outcome {
        BuildOutcome::Succeeded(r) => ActionOutcome::Done {
            message: format!(
                "built #{} commit {} sha256 {} as version {}{}",
                r.id,
                r.commit.as_deref().unwrap_or("?"),
                r.sha256.as_deref().unwrap_or("?"),
                r.version.map(|v| v.to_string()).unwrap_or_default(),
                r.image
                    .as_deref()
                    .map(|i| format!(", image {i}"))
                    .unwrap_or_default()
            ),
            job_id: None,
            savepoint: None,
        },
        BuildOutcome::Failed { record, reason, .. } => ActionOutcome::Failed {
            reason: format!("build #{}: {reason}", record.id),
        },
        BuildOutcome::Cancelled(r) => ActionOutcome::Failed {
            reason: format!("build #{} cancelled", r.id),
        },
        BuildOutcome::Busy(m) => ActionOutcome::Refused { reason: m.clone() },
        BuildOutcome::Invalid(m) => ActionOutcome::Invalid { reason: m.clone() },
        BuildOutcome::Error(m) => ActionOutcome::Failed { reason: m.clone() },
    };
    let params = serde_json::json!({ "ref": git_ref }).to_string();
    super::audit::record(ctx, "build", Some(app.to_string()), None, params, &audited).await;
    outcome
}

async fn build(
    ctx: &OpsContext,
    data_dir: &Path,
    app: &str,
    git_ref: Option<&str>,
    progress: Progress<'_>,
    mut cancel: watch::Receiver<bool>,
) -> BuildOutcome {
    let name = app.to_string();
    let current = match ctx.store.call(move |s: &mut Store| s.app(&name)).await {
        Ok(Some(v)) => v,
        Ok(None) => return BuildOutcome::Invalid(format!("there is no app {app}")),
        Err(e) => return BuildOutcome::Error(e.to_string()),
    };
    let Some(spec) = current.spec.build.clone() else {
        return BuildOutcome::Invalid(format!(
            "app {app} has no [build] section in its definition"
        ));
    };
    let git_ref = git_ref.unwrap_or(&spec.git_ref).to_string();
    let base = data_dir.join("builds").join(app);
    if let Err(e) = std::fs::create_dir_all(base.join("artifacts")) {
        return BuildOutcome::Error(format!("cannot create {}: {e}", base.display()));
    }
    let lock_path = base.join("lock");
    let lock = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
    {
        Ok(f) => f,
        Err(e) => return BuildOutcome::Error(format!("cannot open {}: {e}", lock_path.display())),
    };
    if lock.try_lock().is_err() {
        let name = app.to_string();
        let running = ctx
            .store
            .call(move |s: &mut Store| s.builds(&name, Some(BuildStatus::Running)))
            .await
            .unwrap_or_default();
        let which = running
            .first()
            .map(|b| {
                format!(
                    "build #{} of ref {} by {} (log {})",
                    b.id, b.git_ref, b.user, b.log
                )
            })
            .unwrap_or_else(|| "another build".into());
        return BuildOutcome::Busy(format!(
            "app {app}: {which} is running; one build per app at a time"
        ));
    }
    // Holding the lock: a `running` row left now is from a process that died mid-build.
    let (name, user, dir) = (
        app.to_string(),
        ctx.actor.user.clone(),
        base.to_string_lossy().into_owned(),
    );
    let gr = git_ref.clone();
    let begun = ctx
        .store
        .call(move |s: &mut Store| {
            for b in s.builds(&name, Some(BuildStatus::Running))? {
                let end = BuildEnd {
                    error: Some("interrupted: the flinkdeck process ended during the build".into()),
                    ..BuildEnd::default()
                };
                s.finish_build(b.id, BuildStatus::Failed, &end)?;
            }
            s.begin_build(&name, &gr, &user, &dir, now_ms())
        })
        .await;
    let mut record = match begun {
        Ok(r) => r,
        Err(e) => return BuildOutcome::Error(e.to_string()),
    };
    sweep_logs(ctx, app, &base).await;
    progress(format!(
        "build #{} of {app} at {git_ref} (log {})",
        record.id, record.log
    ));
    let log = match std::fs::File::create(&record.log) {
        Ok(f) => f,
        Err(e) => {
            let reason = format!("cannot create the build log {}: {e}", record.log);
            return settle_failed(ctx, record, reason, Vec::new(), &BuildEnd::default()).await;
        }
    };
    let out = Output::new(log);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(spec.timeout_ms);
    let mut end = BuildEnd::default();
    let result = steps(
        &spec,
        &git_ref,
        &base,
        &out,
        progress,
        deadline,
        &mut cancel,
        &mut end,
    )
    .await;
    end.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let artifact = match result {
        Ok(a) => a,
        Err(StepError::Cancelled) => return settle_cancelled(ctx, record, &out, end).await,
        Err(StepError::TimedOut) => {
            let reason = timed_out(&spec);
            out.line(&reason);
            return settle_failed(ctx, record, reason, out.tail(), &end).await;
        }
        Err(StepError::Failed(reason)) => {
            out.line(&reason);
            return settle_failed(ctx, record, reason, out.tail(), &end).await;
        }
    };

    end.artifact = Some(artifact.path.to_string_lossy().into_owned());
    end.sha256 = Some(artifact.sha256.clone());
    end.size = Some(artifact.size);
    if let Some(image) = &spec.image {
        let vars = ImageVars {
            artifact: end.artifact.as_deref().unwrap_or_default(),
            commit: end.commit.as_deref().unwrap_or_default(),
            version: current.version + 1,
            image: "",
        };
        match image_step(image, vars, &base, &out, progress, deadline, &mut cancel).await {
            Ok(name) => end.image = Some(name),
            Err(e) => {
                end.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                return match e {
                    StepError::Cancelled => settle_cancelled(ctx, record, &out, end).await,
                    StepError::TimedOut => {
                        let reason = timed_out(&spec);
                        out.line(&reason);
                        settle_failed(ctx, record, reason, out.tail(), &end).await
                    }
                    StepError::Failed(reason) => {
                        out.line(&reason);
                        settle_failed(ctx, record, reason, out.tail(), &end).await
                    }
                };
            }
        }
    }
    end.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);

    progress("bind".into());
    let mut bound = current.spec.clone();
    bound.jar_file = end.artifact.clone();
    if let (Some(name), Some(k)) = (
        &end.image,
        bound.target.as_mut().and_then(|t| t.kubernetes.as_mut()),
    ) {
        k.image = Some(name.clone());
    }
    let message = format!(
        "build #{}: {} {}",
        record.id,
        end.commit
            .as_deref()
            .map(|c| &c[..c.len().min(12)])
            .unwrap_or(""),
        end.subject.as_deref().unwrap_or("")
    );
    let (author, id) = (ctx.actor.user.clone(), record.id);
    let e2 = end.clone();
    let res = ctx
        .store
        .call(move |s: &mut Store| {
            let outcome = s.apply_app(&bound, &author, Some(&message), now_ms())?;
            let e3 = BuildEnd {
                version: Some(outcome.version()),
                ..e2
            };
            s.finish_build(id, BuildStatus::Succeeded, &e3)?;
            Ok::<_, crate::store::StoreError>(outcome.version())
        })
        .await;
    match res {
        Ok(v) => {
            end.version = Some(v);
            out.line(&format!("bound to {} version {v}", record.app));
            progress(format!(
                "  {} version {v} runs {}",
                record.app,
                artifact.path.display()
            ));
            fill(&mut record, BuildStatus::Succeeded, &end);
            BuildOutcome::Succeeded(record)
        }
        Err(e) => settle_failed(ctx, record, format!("bind: {e}"), out.tail(), &end).await,
    }
}

/// fetch, checkout, build, artifact.
#[allow(clippy::too_many_arguments)]
async fn steps(
    spec: &BuildSpec,
    git_ref: &str,
    base: &Path,
    out: &Arc<Output>,
    progress: Progress<'_>,
    deadline: Instant,
    cancel: &mut watch::Receiver<bool>,
    end: &mut BuildEnd,
) -> Result<artifact::Artifact, StepError> {
    let repo = base.join("repo");
    let no_env = BTreeMap::new();
    let git = |args: &[&str]| -> Vec<String> {
        let mut v = vec!["git".to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        v
    };
    let step_err = |what: &str, e: StepError| match e {
        StepError::Failed(m) => StepError::Failed(format!("{what}: {m}")),
        other => other,
    };

    progress("fetch".into());
    out.line(&format!("==> fetch {}", spec.repo));
    let repo_str = repo.to_string_lossy().into_owned();
    let fetch = if repo.join(".git").is_dir() {
        vec![
            git(&["-C", &repo_str, "remote", "set-url", "origin", &spec.repo]),
            git(&[
                "-C", &repo_str, "fetch", "--prune", "--tags", "--force", "origin",
            ]),
        ]
    } else {
        let _ = std::fs::remove_dir_all(&repo);
        vec![git(&[
            "clone",
            "--no-checkout",
            "--",
            &spec.repo,
            &repo_str,
        ])]
    };
    for argv in fetch {
        let step = Step {
            argv: &argv,
            cwd: base,
            env: &no_env,
            show: true,
        };
        process::run(step, out, progress, deadline, cancel, false)
            .await
            .map_err(|e| step_err("fetch", e))?;
    }

    // A branch is origin/<ref>; a tag or a commit is itself.
    let mut sha = None;
    for candidate in [format!("origin/{git_ref}"), git_ref.to_string()] {
        let argv = git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{candidate}^{{commit}}"),
        ]);
        let step = Step {
            argv: &argv,
            cwd: &repo,
            env: &no_env,
            show: false,
        };
        match process::run(step, out, progress, deadline, cancel, true).await {
            Ok(s) if !s.trim().is_empty() => {
                sha = Some(s.trim().to_string());
                break;
            }
            Ok(_) | Err(StepError::Failed(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let sha = sha.ok_or_else(|| {
        StepError::Failed(format!(
            "checkout: ref {git_ref:?} is neither a branch, a tag nor a commit of {}",
            spec.repo
        ))
    })?;
    progress(format!("checkout {sha}"));
    out.line(&format!("==> checkout {sha}"));
    for argv in [
        git(&["checkout", "--force", "--detach", &sha]),
        git(&["clean", "-ffdxq"]),
    ] {
        let step = Step {
            argv: &argv,
            cwd: &repo,
            env: &no_env,
            show: false,
        };
        process::run(step, out, progress, deadline, cancel, false)
            .await
            .map_err(|e| step_err("checkout", e))?;
    }
    let argv = git(&["log", "-1", "--format=%H%n%s", &sha]);
    let step = Step {
        argv: &argv,
        cwd: &repo,
        env: &no_env,
        show: false,
    };
    let info = process::run(step, out, progress, deadline, cancel, true)
        .await
        .map_err(|e| step_err("checkout", e))?;
    let mut lines = info.lines();
    end.commit = lines.next().map(str::to_string);
    end.subject = lines.next().map(str::to_string);
    progress(format!("  {}", end.subject.as_deref().unwrap_or("")));

    let work: PathBuf = if spec.dir.is_empty() {
        repo.clone()
    } else {
        repo.join(&spec.dir)
    };
    if !work.is_dir() {
        return Err(StepError::Failed(format!(
            "build: build.dir {:?} is not a directory of commit {sha}",
            spec.dir
        )));
    }
    progress(format!("build: {}", spec.command.join(" ")));
    out.line(&format!("==> build: {}", spec.command.join(" ")));
    let step = Step {
        argv: &spec.command,
        cwd: &work,
        env: &spec.env,
        show: true,
    };
    process::run(step, out, progress, deadline, cancel, false)
        .await
        .map_err(|e| step_err("build", e))?;

    progress("artifact".into());
    out.line(&format!("==> artifact {}", spec.artifact));
    let found = artifact::find_one(&work, &spec.artifact).map_err(StepError::Failed)?;
    let stored = artifact::store(&found, &base.join("artifacts")).map_err(StepError::Failed)?;
    progress(format!(
        "  {} ({} bytes, sha256 {})",
        found.display(),
        stored.size,
        stored.sha256
    ));
    Ok(stored)
}

/// The image step: resolves the name, runs `build` then `push` (placeholders expanded) in
/// `base`; returns the image name.
async fn image_step(
    image: &ImageStep,
    vars: ImageVars<'_>,
    base: &Path,
    out: &Arc<Output>,
    progress: Progress<'_>,
    deadline: Instant,
    cancel: &mut watch::Receiver<bool>,
) -> Result<String, StepError> {
    let name = expand_image_vars(&image.name, &vars);
    let vars = ImageVars {
        image: &name,
        ..vars
    };
    let no_env = BTreeMap::new();
    for (what, argv) in [("build", &image.build), ("push", &image.push)] {
        if argv.is_empty() {
            continue;
        }
        let argv: Vec<String> = argv.iter().map(|a| expand_image_vars(a, &vars)).collect();
        progress(format!("image {what} {name}: {}", argv.join(" ")));
        out.line(&format!("==> image {what} {name}: {}", argv.join(" ")));
        let step = Step {
            argv: &argv,
            cwd: base,
            env: &no_env,
            show: true,
        };
        process::run(step, out, progress, deadline, cancel, false)
            .await
            .map_err(|e| match e {
                StepError::Failed(m) => StepError::Failed(format!("image {what}: {m}")),
                other => other,
            })?;
    }
    Ok(name)
}

fn timed_out(spec: &BuildSpec) -> String {
    format!(
        "timed out after {} (build.timeout); the build's process group was killed",
        humantime::format_duration(Duration::from_millis(spec.timeout_ms))
    )
}

async fn settle_cancelled(
    ctx: &OpsContext,
    mut record: BuildRecord,
    out: &Output,
    mut end: BuildEnd,
) -> BuildOutcome {
    out.line("cancelled");
    end.error = Some("cancelled".into());
    let id = record.id;
    let e2 = end.clone();
    let _ = ctx
        .store
        .call(move |s: &mut Store| s.finish_build(id, BuildStatus::Cancelled, &e2))
        .await;
    fill(&mut record, BuildStatus::Cancelled, &end);
    BuildOutcome::Cancelled(record)
}

/// Removes the build logs of `base` whose build the store forgot (retention).
async fn sweep_logs(ctx: &OpsContext, app: &str, base: &Path) {
    let name = app.to_string();
    let Ok(builds) = ctx
        .store
        .call(move |s: &mut Store| s.builds(&name, None))
        .await
    else {
        return;
    };
    let known: std::collections::HashSet<PathBuf> =
        builds.iter().map(|b| PathBuf::from(&b.log)).collect();
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "log") && !known.contains(&p) {
            if let Err(err) = std::fs::remove_file(&p) {
                tracing::warn!(log = %p.display(), error = %err, "cannot remove an old build log");
            }
        }
    }
}

async fn settle_failed(
    ctx: &OpsContext,
    mut record: BuildRecord,
    reason: String,
    tail: Vec<String>,
    end: &BuildEnd,
) -> BuildOutcome {
    let mut end = end.clone();
    end.error = Some(reason.clone());
    let id = record.id;
    let e2 = end.clone();
    let _ = ctx
        .store
        .call(move |s: &mut Store| s.finish_build(id, BuildStatus::Failed, &e2))
        .await;
    fill(&mut record, BuildStatus::Failed, &end);
    BuildOutcome::Failed {
        record,
        reason,
        tail,
    }
}

fn fill(r: &mut BuildRecord, status: BuildStatus, end: &BuildEnd) {
    r.status = status;
    r.commit = end.commit.clone();
    r.subject = end.subject.clone();
    r.artifact = end.artifact.clone();
    r.sha256 = end.sha256.clone();
    r.size = end.size;
    r.duration_ms = Some(end.duration_ms);
    r.error = end.error.clone();
    r.version = end.version;
    r.image = end.image.clone();
}
