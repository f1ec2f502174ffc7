//! Start through the Flink CLI of a Flink home (`[target]` on a YARN or Kubernetes entry): plan
//! the command line ([`crate::domain::deploy::cli_args`]), run it as a child process whose output
//! streams into the action's progress (the Actions panel, or stderr of `flinkdeck start`), read
//! the job id / YARN application id / Kubernetes cluster id it prints, then record the run and
//! verify the restore through the REST API of the cluster it created or used, with the journal,
//! the duplicate guard and the audit trail as for REST starts. `preview` builds the same plan for
//! `flinkdeck start NAME --dry-run` and runs nothing.
//!
//! The `flink` program: `<home>/bin/flink` when the home has it (a Flink distribution), else the
//! home's `lib/*` run with `java ... org.apache.flink.client.cli.CliFrontend` (the PyPI layout of
//! `scripts/flink-local.sh` has no shell scripts). The configuration directory is the home's
//! `conf/` when it holds a Flink config file, else one flinkdeck writes under
//! `<data dir>/helpers/flink-conf/<version>` with the distribution's default memory sizes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

mod job;
mod launch;

use job::find_job;
use launch::{launcher, run_cli, write_conf_dir};

use super::actions::{verify_restore, wait_running};
use super::{restore, store_err, OpsContext, Progress, StartJournal};
use crate::config::ClusterKind;
use crate::domain::deploy::{
    cli_args, CliSubmission, DeployMode, DeployTarget, FlinkVersion, TargetKind,
};
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, AppKind, AppVersion, OpStatus, RestoreChoice};
use crate::store::Store;

fn invalid(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Invalid {
        reason: reason.into(),
    }
}

fn failed(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Failed {
        reason: reason.into(),
    }
}

/// How the target entry submits: through REST (standalone) or the Flink CLI.
pub(super) fn target_kind(ctx: &OpsContext, t: &DeployTarget) -> Result<TargetKind, ActionOutcome> {
    let entry = ctx.config.cluster(&t.cluster).ok_or_else(|| {
        invalid(format!(
            "[target] cluster {:?} is not in the config (configured: {})",
            t.cluster,
            ctx.config
                .clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok(match entry.kind {
        ClusterKind::Standalone => TargetKind::Standalone,
        ClusterKind::Kubernetes => TargetKind::Kubernetes,
        ClusterKind::Yarn => TargetKind::Yarn,
    })
}

/// The app's `[options]` with `[target] options` over them, `${var}`s resolved; and the secret
/// values to mask in anything shown.
pub(super) fn resolved_options(
    ctx: &OpsContext,
    app: &AppVersion,
) -> Result<(BTreeMap<String, String>, Vec<String>), ActionOutcome> {
    let spec = &app.spec;
    let mut merged = spec.options.clone();
    if let Some(t) = &spec.target {
        merged.extend(t.options.clone());
    }
    let text: String = merged.values().cloned().collect::<Vec<_>>().join("\n");
    let (vars, secret_names) = ctx
        .config
        .resolve_vars_for(Some(spec), &text)
        .map_err(|e| invalid(format!("app {}: {e}", spec.name)))?;
    let mut secrets = Vec::new();
    let mut out = BTreeMap::new();
    for (k, v) in merged {
        let sub = crate::sqltools::substitute(&v, &vars, &secret_names);
        if let Some(p) = sub.undefined.first() {
            return Err(invalid(format!(
                "app {}: option {k}: {}: define it under [vars] in the app spec or the config",
                spec.name, p.message
            )));
        }
        secrets.extend(sub.secrets);
        out.insert(k, sub.script);
    }
    secrets.sort();
    secrets.dedup();
    Ok((out, secrets))
}

/// Everything a CLI start needs, resolved once.
struct Plan {
    submission: CliSubmission,
    program: PathBuf,
    /// JVM options, classpath and main class when `flink` is run through `java`.
    pre_args: Vec<String>,
    env: Vec<(String, String)>,
    /// A configuration directory to write before running (when the home has none).
    write_conf: Option<PathBuf>,
    /// The cluster name the run is recorded under (`k8s/streaming/orders`, `yarn-prod`).
    run_cluster: String,
    /// Values never shown.
    secrets: Vec<String>,
    /// Arguments shown as another text (the base64 script, encoded from the masked script).
    shown_instead: Vec<(String, String)>,
    /// The job jar is flinkdeck's SQL runner, to be built for this home.
    build_runner: Option<(PathBuf, String)>,
    point: Option<crate::domain::RestorePoint>,
    /// The hashes the job is stamped with (also kept in the run record).
    stamp: super::stamp::Stamp,
}

impl Plan {
    /// The whole command line, secrets masked.
    fn shown_argv(&self) -> Result<Vec<String>, ActionOutcome> {
        let mut argv = vec![self.program.display().to_string()];
        argv.extend(self.pre_args.iter().cloned());
        argv.extend(cli_args(&self.submission).map_err(|e| invalid(e.0))?);
        Ok(argv.iter().map(|a| self.shown(a)).collect())
    }

    /// An argument or line as it may be shown.
    fn shown(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (real, instead) in &self.shown_instead {
            out = out.replace(real.as_str(), instead);
        }
        crate::sqltools::mask(&out, &self.secrets)
    }
}

/// `flinkdeck start NAME --dry-run` for an app with a CLI target: the command line, one argument
/// per line, secrets masked. Runs nothing (the SQL runner is not built; its path is shown).
pub(super) async fn preview(
    ctx: &OpsContext,
    app: &AppVersion,
    from: &RestoreChoice,
    allow_non_restored: bool,
) -> Result<Vec<String>, ActionOutcome> {
    let plan = plan(ctx, app, from, allow_non_restored, &|_| {}).await?;
    let mut lines: Vec<String> = plan
        .env
        .iter()
        .map(|(k, v)| format!("# env {k}={v}"))
        .collect();
    lines.extend(plan.shown_argv()?);
    Ok(lines)
}

async fn plan(
    ctx: &OpsContext,
    app: &AppVersion,
    from: &RestoreChoice,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> Result<Plan, ActionOutcome> {
    let spec = &app.spec;
    let t = spec
        .target
        .as_ref()
        .ok_or_else(|| invalid(format!("app {} has no [target]", spec.name)))?;
    let kind = target_kind(ctx, t)?;
    let entry = ctx.config.cluster(&t.cluster).ok_or_else(|| {
        invalid(format!(
            "[target] cluster {:?} is not in the config",
            t.cluster
        ))
    })?;
    let kube = t.kubernetes.clone().unwrap_or_default();
    let namespace = match kind {
        TargetKind::Kubernetes => Some(match &kube.namespace {
            Some(ns) => ns.clone(),
            None => {
                let listed: Vec<&String> = entry
                    .kubernetes
                    .iter()
                    .flat_map(|k| k.namespaces.iter())
                    .filter(|n| *n != "*")
                    .collect();
                match listed.as_slice() {
                    [one] => (*one).clone(),
                    _ => {
                        return Err(invalid(format!(
                            "app {}: set [kubernetes] namespace (cluster {} watches {})",
                            spec.name,
                            entry.name,
                            if listed.is_empty() {
                                "no single namespace".to_string()
                            } else {
                                format!("{} namespaces", listed.len())
                            }
                        )))
                    }
                }
            }
        }),
        _ => None,
    };
    let cluster_id = match (kind, t.mode) {
        (TargetKind::Kubernetes, DeployMode::Application) => Some(
            kube.cluster_id
                .clone()
                .unwrap_or_else(|| spec.name.to_ascii_lowercase()),
        ),
        _ => None,
    };
    if t.mode == DeployMode::Session && t.session.is_none() {
        return Err(invalid(format!(
            "app {}: mode = \"session\" on {} needs [target] session (the {})",
            spec.name,
            kind.as_str(),
            if kind == TargetKind::Yarn {
                "YARN application id"
            } else {
                "Kubernetes cluster-id"
            }
        )));
    }
    // The cluster the run belongs to, as flinkdeck names it.
    let run_cluster = match (kind, t.mode) {
        (TargetKind::Kubernetes, DeployMode::Application) => format!(
            "{}/{}/{}",
            entry.name,
            namespace.as_deref().unwrap_or_default(),
            cluster_id.as_deref().unwrap_or_default()
        ),
        (TargetKind::Kubernetes, _) => format!(
            "{}/{}/{}",
            entry.name,
            namespace.as_deref().unwrap_or_default(),
            t.session.as_deref().unwrap_or_default()
        ),
        // A YARN session is `<entry>/<application id>`; a new application gets its id from the
        // CLI's output.
        (TargetKind::Yarn, DeployMode::Session) => format!(
            "{}/{}",
            entry.name,
            t.session.as_deref().unwrap_or_default()
        ),
        _ => entry.name.clone(),
    };
    // The Flink version: as asked, or the one the session cluster runs.
    let version_text = match &t.flink {
        Some(v) => v.clone(),
        None => {
            let handle = ctx
                .clusters
                .get(&run_cluster)
                .filter(|_| t.mode == DeployMode::Session);
            let Some(handle) = handle else {
                return Err(invalid(format!(
                    "app {}: set [target] flink = \"<version>\": a {} target on {} has no running cluster to ask for its Flink version",
                    spec.name, t.mode, entry.name
                )));
            };
            let info = handle.rest.cluster_info().await.map_err(|e| {
                failed(format!(
                    "cannot read the Flink version of {run_cluster}: {e}; set [target] flink"
                ))
            })?;
            info.flink_version.ok_or_else(|| {
                failed(format!(
                    "cluster {run_cluster} does not report its Flink version; set [target] flink"
                ))
            })?
        }
    };
    let version = FlinkVersion::parse(&version_text).ok_or_else(|| {
        invalid(format!(
            "app {}: {version_text:?} is not a Flink version",
            spec.name
        ))
    })?;
    let home = ctx
        .config
        .flink_home(&version_text)
        .map_err(|e| invalid(format!("app {}: {e}", spec.name)))?;
    let (mut options, mut secrets) = resolved_options(ctx, app)?;
    let mut stamp = super::stamp::Stamp::default();

    // The job jar, entry class and arguments.
    let image_jar = kube.jar.clone();
    let mut build_runner = None;
    let mut shown_instead = Vec::new();
    let (jar, entry_class, args) = match spec.kind {
        AppKind::Jar => {
            let in_image = image_jar.filter(|_| kind == TargetKind::Kubernetes);
            let jar = match (in_image, &spec.jar_file) {
                (Some(j), _) => j,
                (None, Some(f)) => f.clone(),
                (None, None) => {
                    return Err(invalid(format!(
                        "app {} has no jar: set jar_file (or [kubernetes] jar for a Kubernetes application)",
                        spec.name
                    )))
                }
            };
            // A jar on this machine is hashed; one in an image (`local://`) or remote is not.
            let local = std::path::Path::new(&jar);
            if local.is_file() {
                stamp.artifact_sha256 =
                    Some(super::stamp::file_sha256(local).await.map_err(failed)?);
            }
            (jar, spec.entry_class.clone(), spec.args.clone())
        }
        AppKind::Sql => {
            let script = spec.sql.clone().ok_or_else(|| {
                invalid(format!("app {} (kind sql) has no SQL script", spec.name))
            })?;
            let (vars, secret_names) = ctx
                .config
                .resolve_vars_for(Some(spec), &script)
                .map_err(|e| invalid(format!("app {}: {e}", spec.name)))?;
            let sub = crate::sqltools::substitute(&script, &vars, &secret_names);
            if let Some(p) = sub.undefined.first() {
                return Err(invalid(crate::sqltools::mask(
                    &format!(
                        "app {}: {} at line {}, column {}: define it under [vars] in the app spec or the config",
                        spec.name, p.message, p.line, p.column
                    ),
                    &sub.secrets,
                )));
            }
            secrets.extend(sub.secrets.iter().cloned());
            stamp.sql_sha256 = Some(super::stamp::sha256_hex(sub.script.as_bytes()));
            let req = crate::sqlrunner::run_request(
                &sub.script,
                &spec.name,
                None,
                &BTreeMap::new(),
                None,
                false,
            );
            // The base64 script would show secrets unmasked: show the masked script's instead.
            if !sub.secrets.is_empty() {
                let masked = crate::sqltools::mask(&sub.script, &sub.secrets);
                shown_instead.push((
                    crate::sqlrunner::base64_encode(sub.script.as_bytes()),
                    crate::sqlrunner::base64_encode(masked.as_bytes()),
                ));
            }
            let jar = match image_jar.filter(|_| kind == TargetKind::Kubernetes) {
                Some(j) => j,
                None => {
                    let path = ctx
                        .helpers_dir
                        .join(crate::sqlrunner::jar_file_name(&version_text));
                    build_runner = Some((home.clone(), version_text.clone()));
                    path.display().to_string()
                }
            };
            (jar, req.entry_class, req.program_args)
        }
    };
    secrets.retain(|s| !s.is_empty());
    super::stamp::stamp_options(&mut options, app, &stamp);

    let point = restore::resolve(ctx, &spec.name, from)
        .await
        .map_err(failed)?;
    progress(format!("restore: {}", restore::describe(point.as_ref())));
    let kube_entry = entry.kubernetes.clone().unwrap_or_default();
    let submission = CliSubmission {
        version,
        kind,
        mode: t.mode,
        session: t.session.clone(),
        namespace,
        cluster_id,
        image: kube.image.clone(),
        pod_template: kube.pod_template.clone(),
        kubeconfig: kube_entry
            .kubeconfig
            .as_ref()
            .map(|p| p.display().to_string()),
        context: kube_entry.context.clone(),
        options,
        parallelism: spec.parallelism,
        jar,
        entry_class,
        args,
        restore_path: point.as_ref().map(|p| p.path.clone()),
        allow_non_restored_state: allow_non_restored || spec.allow_non_restored_state,
    };
    // Every check of the builder (modes, jars) before anything else happens.
    cli_args(&submission).map_err(|e| invalid(format!("app {}: {}", spec.name, e.0)))?;

    let (program, pre_args, env, write_conf) =
        launcher(&home, version, &ctx.helpers_dir.join("flink-conf"))?;
    Ok(Plan {
        submission,
        program,
        pre_args,
        env,
        write_conf,
        run_cluster,
        secrets,
        shown_instead,
        build_runner,
        point,
        stamp,
    })
}

/// Runs a start on a CLI target (the caller checked read-only mode and loaded the app).
pub(super) async fn start(
    ctx: &OpsContext,
    app: &AppVersion,
    from: &RestoreChoice,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> ActionOutcome {
    let name = app.app.as_str();
    let plan = match plan(ctx, app, from, allow_non_restored, progress).await {
        Ok(p) => p,
        Err(o) => return o,
    };
    let s = &plan.submission;
    // Duplicate guard and session check, against Kubernetes itself.
    let checkable = s.kind == TargetKind::Kubernetes || s.mode == DeployMode::Session;
    if checkable {
        ctx.clusters.discover().await;
        let entry = s_entry(&plan.run_cluster);
        if let Some(p) = ctx
            .clusters
            .problems()
            .into_iter()
            .find(|p| p.name == entry)
        {
            return failed(format!(
                "cannot list the Flink clusters of {entry}: {}; not starting, since a running instance cannot be ruled out",
                p.error.message
            ));
        }
        let existing = ctx.clusters.get(&plan.run_cluster);
        match (s.mode, existing) {
            (DeployMode::Application, Some(_)) if s.kind == TargetKind::Kubernetes => {
                return ActionOutcome::Refused {
                    reason: format!(
                        "a Flink cluster {} already exists; stop it first (flinkdeck stop {name}) or choose another [kubernetes] cluster_id",
                        plan.run_cluster
                    ),
                }
            }
            (DeployMode::Session, None) => {
                let what = match s.kind {
                    TargetKind::Yarn => format!(
                        "YARN application {:?} is not a running Flink session",
                        s.session.as_deref().unwrap_or_default()
                    ),
                    _ => format!(
                        "kubernetes.cluster-id {:?} in namespace {:?} was not found",
                        s.session.as_deref().unwrap_or_default(),
                        s.namespace.as_deref().unwrap_or_default()
                    ),
                };
                return failed(format!(
                    "no Flink session cluster {}: {what}",
                    plan.run_cluster
                ));
            }
            (DeployMode::Session, Some(h)) => {
                match super::actions::active_jobs_of_app(ctx, app, &h).await {
                    Ok(active) if !active.is_empty() => {
                        let (id, state) = &active[0];
                        return ActionOutcome::Refused {
                            reason: format!(
                                "app {name} already has job {id} {state} on cluster {}; stop it first (flinkdeck stop {name})",
                                h.name()
                            ),
                        };
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return failed(format!(
                            "{e}; not starting, since a running instance cannot be ruled out"
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((home, version)) = &plan.build_runner {
        progress(format!("building the SQL runner for Flink {version}"));
        let (home, v, dir) = (home.clone(), version.clone(), ctx.helpers_dir.clone());
        match tokio::task::spawn_blocking(move || crate::sqlrunner::runner_jar(&home, &v, &dir))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return failed(e.to_string()),
            Err(e) => return failed(format!("SQL runner build task failed: {e}")),
        }
    }
    if let Some(dir) = &plan.write_conf {
        let (dir, version) = (dir.clone(), s.version);
        match tokio::task::spawn_blocking(move || write_conf_dir(&dir, version)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return failed(e),
            Err(e) => return failed(format!("config task failed: {e}")),
        }
    }
    let args = match cli_args(s) {
        Ok(a) => a,
        Err(e) => return invalid(e.0),
    };
    let shown = plan.shown_argv().unwrap_or_default();
    let params = json!({
        "from": from.to_string(),
        "restore_path": plan.point.as_ref().map(|p| &p.path),
        "allow_non_restored_state": s.allow_non_restored_state,
        "version": app.version,
        "target": s.kind.as_str(),
        "mode": s.mode.as_str(),
        "flink": s.version.to_string(),
        "command": shown,
    })
    .to_string();
    let journal = match StartJournal::begin(ctx, name, &plan.run_cluster, params).await {
        Ok(j) => j,
        Err(e) => return failed(e),
    };
    let settle = |status: OpStatus, result: String| journal.settle(status, result);
    progress(format!(
        "running the Flink {} CLI: {}",
        s.version,
        plan.shown(&args.join(" "))
    ));
    let report = match run_cli(&plan, &args, progress).await {
        Ok(r) => r,
        Err(e) => {
            settle(OpStatus::Failed, e.clone()).await;
            return failed(e);
        }
    };
    let (kind, mode) = (s.kind, s.mode);
    let mut plan = plan;
    if let (TargetKind::Yarn, DeployMode::Application | DeployMode::PerJob, Some(id)) =
        (kind, mode, &report.yarn_application_id)
    {
        plan.run_cluster = format!("{}/{id}", s_entry(&plan.run_cluster));
    }
    let plan = plan;
    let s = &plan.submission;
    let mut what = Vec::new();
    if let Some(id) = &report.yarn_application_id {
        what.push(format!("YARN application {id}"));
    }
    if s.kind == TargetKind::Kubernetes && s.mode == DeployMode::Application {
        let id = report
            .kubernetes_cluster_id
            .clone()
            .or_else(|| s.cluster_id.clone())
            .unwrap_or_default();
        what.push(format!(
            "Kubernetes application cluster {id} in namespace {}",
            s.namespace.as_deref().unwrap_or_default()
        ));
    }
    let created = if what.is_empty() {
        String::new()
    } else {
        format!(" ({})", what.join(", "))
    };
    // The job id: printed by session and per-job submissions; for an application cluster, asked
    // of its REST API once it answers.
    let job_id = match report.job_id.clone() {
        Some(j) => j,
        None => match find_job(ctx, &plan.run_cluster, name, progress).await {
            Ok(j) => j,
            Err(e) => {
                let reason = format!(
                    "the Flink CLI submitted app {name}{created}, but its job id is not known: {e}{}",
                    match &plan.point {
                        Some(p) => format!("; the restore from {} is NOT verified", p.path),
                        None => String::new(),
                    }
                );
                settle(OpStatus::Failed, reason.clone()).await;
                return failed(reason);
            }
        },
    };
    progress(format!("submitted job {job_id}{created}"));
    let (a, c, j, restored, version) = (
        name.to_string(),
        plan.run_cluster.clone(),
        job_id.clone(),
        plan.point.as_ref().map(|p| p.path.clone()),
        app.version,
    );
    let stamp = plan.stamp.clone();
    let op = journal.op;
    let run = ctx
        .store
        .call(move |st: &mut Store| {
            st.op_set_job(op, &j, now_ms())?;
            let run = st.insert_run(&a, version, &c, &j, now_ms(), restored.as_deref())?;
            st.set_run_stamp(
                run,
                stamp.artifact_sha256.as_deref(),
                stamp.sql_sha256.as_deref(),
            )?;
            Ok(run)
        })
        .await
        .map_err(store_err("cannot record the run"));
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("job {job_id} started but could not be recorded: {e}");
            settle(OpStatus::Failed, reason.clone()).await;
            return failed(reason);
        }
    };
    // Verify the restore through the REST API of the cluster that runs the job.
    let handle = ctx.clusters.get(&plan.run_cluster);
    let verified = match (&plan.point, &handle) {
        (Some(p), Some(h)) => match verify_restore(&h.rest, &job_id, p, progress).await {
            Ok(v) => Some(v),
            Err(e) => {
                settle(OpStatus::Failed, e.clone()).await;
                return failed(e);
            }
        },
        (Some(p), None) => {
            let reason = format!(
                "job {job_id} submitted{created}, but flinkdeck cannot reach the REST API of {} to verify the restore from {}",
                plan.run_cluster, p.path
            );
            settle(OpStatus::Failed, reason.clone()).await;
            return failed(reason);
        }
        (None, Some(h)) => {
            if ctx.wait {
                if let Err(e) = wait_running(&h.rest, &job_id, progress).await {
                    settle(OpStatus::Failed, e.clone()).await;
                    return failed(e);
                }
            }
            None
        }
        (None, None) => None,
    };
    if let Some(v) = verified {
        let _ = ctx
            .store
            .call(move |st: &mut Store| st.set_run_restore_verified(run, v))
            .await;
        if !v {
            let reason = format!(
                "RESTORE MISMATCH: job {job_id} did not report restoring from {}; check `flinkdeck checkpoints {job_id}`",
                plan.point.as_ref().map(|p| p.path.as_str()).unwrap_or("-")
            );
            settle(OpStatus::Failed, reason.clone()).await;
            return failed(reason);
        }
    }
    let message = match &plan.point {
        Some(p) => format!(
            "started app {name} as job {job_id} on {}{created}, restored (verified) from {}",
            plan.run_cluster, p.path
        ),
        None => format!(
            "started app {name} as job {job_id} on {}{created} (fresh, no state restored)",
            plan.run_cluster
        ),
    };
    settle(OpStatus::Succeeded, job_id.clone()).await;
    ActionOutcome::Done {
        message,
        job_id: Some(job_id),
        savepoint: None,
    }
}

/// The `[[clusters]]` entry of a run cluster name (`k8s/streaming/orders` → `k8s`).
fn s_entry(run_cluster: &str) -> &str {
    run_cluster.split('/').next().unwrap_or(run_cluster)
}
