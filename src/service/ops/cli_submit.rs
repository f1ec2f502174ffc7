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
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::actions::{verify_restore, wait_running, POLL};
use super::{restore, store_err, OpsContext, Progress};
use crate::config::ClusterKind;
use crate::domain::deploy::{
    cli_args, CliReport, CliSubmission, DeployMode, DeployTarget, FlinkVersion, TargetKind,
};
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, AppKind, AppVersion, OpKind, OpStatus, RestoreChoice};
use crate::store::Store;

/// How long the `flink` process may run (a YARN application waits for its AM container).
const CLI_WAIT: Duration = Duration::from_secs(600);
/// How long a created application cluster's REST may take to list the job.
const JOB_WAIT: Duration = Duration::from_secs(180);
/// Lines of output kept for the error message of a failed run.
const TAIL_LINES: usize = 30;

/// Module opens Flink's client needs on Java 17 (as `env.java.opts.all` of Flink's default
/// config); harmless on Java 11.
const JVM_OPTS: &[&str] = &[
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
    "--add-opens=java.sql/java.sql=ALL-UNNAMED",
];

/// The client's main class.
const CLI_MAIN: &str = "org.apache.flink.client.cli.CliFrontend";

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
    let (options, mut secrets) = resolved_options(ctx, app)?;

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
    })
}

/// The program, its leading arguments, its environment and a config directory to write.
#[allow(clippy::type_complexity)]
fn launcher(
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
    let mut pre: Vec<String> = JVM_OPTS.iter().map(|s| s.to_string()).collect();
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
fn write_conf_dir(dir: &Path, version: FlinkVersion) -> Result<(), String> {
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
    let (a, c, p) = (name.to_string(), plan.run_cluster.clone(), params);
    let op = match ctx
        .store
        .call(move |st: &mut Store| {
            st.op_begin(OpKind::Start, Some(&a), &c, None, None, &p, now_ms())
        })
        .await
    {
        Ok(id) => id,
        Err(e) => return failed(format!("cannot journal the start: {e}")),
    };
    let settle = |status: OpStatus, result: String| {
        let store = ctx.store.clone();
        async move {
            let _ = store
                .call(move |st: &mut Store| st.op_settle(op, status, &result, now_ms()))
                .await;
        }
    };
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
    let run = ctx
        .store
        .call(move |st: &mut Store| {
            st.op_set_job(op, &j, now_ms())?;
            st.insert_run(&a, version, &c, &j, now_ms(), restored.as_deref())
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

/// Runs the CLI, streaming every line (masked) as progress; the report of what it printed.
async fn run_cli(
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

/// The job of an application cluster, once its REST API lists one.
async fn find_job(
    ctx: &OpsContext,
    run_cluster: &str,
    app: &str,
    progress: Progress<'_>,
) -> Result<String, String> {
    let wait = job_wait();
    progress(format!(
        "waiting up to {}s for {run_cluster} to list the job",
        wait.as_secs()
    ));
    let start = std::time::Instant::now();
    let mut last = String::from("the cluster was not found");
    loop {
        if ctx.clusters.has_discovery() {
            ctx.clusters.discover().await;
        }
        if let Some(h) = ctx.clusters.get(run_cluster) {
            match h.rest.jobs_overview(run_cluster).await {
                Ok(jobs) => match pick_app_job(&jobs, app) {
                    Ok(id) => return Ok(id),
                    Err(why) => last = why,
                },
                Err(e) => last = format!("its JobManager REST does not answer ({e})"),
            }
        }
        if start.elapsed() > wait {
            return Err(format!("{run_cluster}: {last} after {}s", wait.as_secs()));
        }
        tokio::time::sleep(POLL * 2).await;
    }
}

/// The job of app `app` among the jobs an application cluster lists: the newest job not yet
/// ended whose name is the app's, else the cluster's only job (an application cluster runs its
/// program's jobs, whatever the program names them). Several jobs and none named like the app is
/// ambiguous: an error that names them.
fn pick_app_job(jobs: &[crate::domain::JobSummary], app: &str) -> Result<String, String> {
    let newest = |it: &mut dyn Iterator<Item = &crate::domain::JobSummary>| {
        it.max_by_key(|j| j.start_time).map(|j| j.id.clone())
    };
    if let Some(id) = newest(
        &mut jobs
            .iter()
            .filter(|j| j.name == app && !j.state.is_terminal()),
    ) {
        return Ok(id);
    }
    if let Some(id) = newest(&mut jobs.iter().filter(|j| j.name == app)) {
        return Ok(id);
    }
    match jobs {
        [] => Err("its JobManager lists no job yet".to_string()),
        [only] => Ok(only.id.clone()),
        _ => Err(format!(
            "none of its {} jobs is named {app:?} ({})",
            jobs.len(),
            jobs.iter()
                .map(|j| format!("{} {:?}", j.id, j.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// [`JOB_WAIT`]; debug builds (the test suite's) take `FLINKDECK_TEST_JOB_WAIT_SECS`.
fn job_wait() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(s) = std::env::var("FLINKDECK_TEST_JOB_WAIT_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return Duration::from_secs(s);
    }
    JOB_WAIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(
        id: &str,
        name: &str,
        state: crate::domain::JobState,
        start: i64,
    ) -> crate::domain::JobSummary {
        crate::domain::JobSummary {
            cluster: "k8s/ns/c".into(),
            id: id.into(),
            name: name.into(),
            state,
            start_time: start,
            end_time: None,
            duration_ms: 0,
            last_modification: start,
            tasks_running: 0,
            tasks_total: 0,
            last_checkpoint: None,
            restarts: None,
            stale: false,
            detail_at_ms: None,
        }
    }

    #[test]
    fn the_app_job_is_the_newest_live_one_named_like_the_app_or_the_only_one() {
        use crate::domain::JobState::{Finished, Running};
        let jobs = [
            job("old", "orders", Finished, 10),
            job("other", "clicks", Running, 30),
            job("new", "orders", Running, 20),
            job("newer-ended", "orders", Finished, 40),
        ];
        assert_eq!(pick_app_job(&jobs, "orders").as_deref(), Ok("new"));
        assert_eq!(
            pick_app_job(&jobs[..1], "orders").as_deref(),
            Ok("old"),
            "an ended job named like the app when there is no live one"
        );
        assert_eq!(pick_app_job(&jobs[1..2], "orders").as_deref(), Ok("other"));
        let err = pick_app_job(&jobs[1..3], "payments").unwrap_err();
        assert!(
            err.contains("none of its 2 jobs") && err.contains("clicks"),
            "{err}"
        );
        assert!(pick_app_job(&[], "orders")
            .unwrap_err()
            .contains("no job yet"));
    }

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
