//! Deploy targets submitted through the Flink CLI (`[target]` / `[kubernetes]` of an app spec):
//! the target's description, the per-version rules (which actions, targets and restore flags a
//! Flink version has) and the pure builder of the `flink` command line, plus the parser of what
//! the CLI prints (job id, YARN application id, Kubernetes cluster id). No I/O.
//!
//! Per-version facts (checked with `flink --help` of the real 1.20.5 and 2.3.0 homes):
//! - 1.x: `flink run-application -t yarn-application|kubernetes-application`; 2.x has no
//!   `run-application` action: `flink run -t yarn-application|kubernetes-application`.
//! - `yarn-per-job` is deprecated since 1.15 and gone in 2.0; Kubernetes never had per-job.
//! - Restore: `-s PATH`, `-n`; `-rm/--restoreMode` 1.15–1.19, `-cm/--claimMode` from 1.20 (2.3
//!   still parses `-rm` but marks it deprecated). flinkdeck always asks for `no_claim`, so the
//!   restore point it recorded stays intact.
//! - The image key is `kubernetes.container.image.ref` from 1.17 (`kubernetes.container.image`
//!   before); passing both breaks 2.x, whose YAML writer cannot nest `image.ref` under a value.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a `[[clusters]]` entry is, as far as submission is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A JobManager URL: jobs go through REST (`/jars/upload`, `/jars/:id/run`).
    Standalone,
    Kubernetes,
    Yarn,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Standalone => "standalone",
            TargetKind::Kubernetes => "kubernetes",
            TargetKind::Yarn => "yarn",
        }
    }
}

/// `[target] mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeployMode {
    /// A cluster of its own per application (`*-application`).
    Application,
    /// An existing session cluster (`*-session`, or a standalone cluster).
    Session,
    /// YARN per-job (1.x only, deprecated since 1.15).
    PerJob,
}

impl DeployMode {
    pub const ALL: [DeployMode; 3] = [
        DeployMode::Application,
        DeployMode::Session,
        DeployMode::PerJob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeployMode::Application => "application",
            DeployMode::Session => "session",
            DeployMode::PerJob => "per-job",
        }
    }

    pub fn parse(s: &str) -> Option<DeployMode> {
        DeployMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl fmt::Display for DeployMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[target]` (with `[kubernetes]` for Kubernetes targets) of an app spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployTarget {
    /// A `[[clusters]]` entry: standalone, yarn or kubernetes.
    pub cluster: String,
    pub mode: DeployMode,
    /// Session mode on YARN / Kubernetes: the YARN application id or the K8s cluster-id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// A `[[flink]]` home's version; default: the version the target runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink: Option<String>,
    /// `-D` options of the submission (values may hold `${var}`s, resolved at start).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<NativeKube>,
}

/// `[kubernetes]` next to a `[target]`: where a native Kubernetes application cluster goes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NativeKube {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `kubernetes.cluster-id` of an application cluster (default: the app name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A pod template file (absolute path on this machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<String>,
    /// The job jar inside the image (`local:///opt/flink/usrlib/app.jar`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jar: Option<String>,
}

/// A Flink version as `major.minor[.patch]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlinkVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl FlinkVersion {
    /// `1.20.5`, `2.3`, `1.19.1-SNAPSHOT` (a suffix after `-` is ignored).
    pub fn parse(s: &str) -> Option<FlinkVersion> {
        let core = s.trim().split('-').next()?;
        let mut it = core.split('.');
        let num = |p: Option<&str>| p.and_then(|p| p.parse::<u32>().ok());
        let major = num(it.next())?;
        let minor = num(it.next())?;
        let patch = match it.next() {
            Some(p) => p.parse::<u32>().ok()?,
            None => 0,
        };
        if it.next().is_some() {
            return None;
        }
        Some(FlinkVersion {
            major,
            minor,
            patch,
        })
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// 1.x has `run-application`; 2.x only `run`.
    pub fn has_run_application(self) -> bool {
        self.major < 2
    }

    /// `-t yarn-per-job` exists up to 1.20 (deprecated from 1.15).
    pub fn has_yarn_per_job(self) -> bool {
        self.major < 2
    }

    /// The restore-mode flag of this version, if it has one.
    pub fn restore_mode_flag(self) -> Option<&'static str> {
        if self.at_least(1, 20) {
            Some("-cm")
        } else if self.at_least(1, 15) {
            Some("-rm")
        } else {
            None
        }
    }

    /// The option naming the image.
    pub fn image_key(self) -> &'static str {
        if self.at_least(1, 17) {
            "kubernetes.container.image.ref"
        } else {
            "kubernetes.container.image"
        }
    }

    /// The option naming the pod template.
    pub fn pod_template_key(self) -> &'static str {
        if self.at_least(1, 17) {
            "kubernetes.pod-template-file.default"
        } else {
            "kubernetes.pod-template-file"
        }
    }

    /// The config file a home's `conf/` holds (`config.yaml` from 2.0, else `flink-conf.yaml`).
    pub fn config_file_name(self) -> &'static str {
        if self.major >= 2 {
            "config.yaml"
        } else {
            "flink-conf.yaml"
        }
    }

    /// Whether the client can upload a local job jar for a Kubernetes application
    /// (`kubernetes.artifacts.local-upload-enabled`, from 1.19).
    pub fn has_k8s_local_upload(self) -> bool {
        self.at_least(1, 19)
    }
}

impl fmt::Display for FlinkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Everything the command line is built from, resolved (no file, config or cluster lookups).
#[derive(Debug, Clone, PartialEq)]
pub struct CliSubmission {
    pub version: FlinkVersion,
    pub kind: TargetKind,
    pub mode: DeployMode,
    /// Session mode: the YARN application id / K8s cluster-id.
    pub session: Option<String>,
    /// Kubernetes: namespace, cluster-id (application), image, pod template.
    pub namespace: Option<String>,
    pub cluster_id: Option<String>,
    pub image: Option<String>,
    pub pod_template: Option<String>,
    /// Kubernetes: the kubeconfig and context of the `[[clusters]]` entry.
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
    /// `-D` options: the app's `[options]`, then `[target] options` (which win).
    pub options: BTreeMap<String, String>,
    pub parallelism: Option<u32>,
    /// The job jar: a local path, or `local://` inside the image.
    pub jar: String,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    /// The savepoint or checkpoint to restore from.
    pub restore_path: Option<String>,
    pub allow_non_restored_state: bool,
}

/// Why a command line cannot be built: the spec asks for something the target or the version
/// cannot do (nothing is run; `flinkdeck start` exits 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeployError(pub String);

/// The `-t` value of a target kind and mode on a version.
pub fn execution_target(
    version: FlinkVersion,
    kind: TargetKind,
    mode: DeployMode,
) -> Result<&'static str, DeployError> {
    match (kind, mode) {
        (TargetKind::Standalone, _) => Err(DeployError(
            "a standalone cluster takes jobs through its REST API, not the Flink CLI".into(),
        )),
        (TargetKind::Kubernetes, DeployMode::Application) => Ok("kubernetes-application"),
        (TargetKind::Kubernetes, DeployMode::Session) => Ok("kubernetes-session"),
        (TargetKind::Kubernetes, DeployMode::PerJob) => Err(DeployError(
            "Kubernetes has no per-job mode (use mode = \"application\" or \"session\")".into(),
        )),
        (TargetKind::Yarn, DeployMode::Application) => Ok("yarn-application"),
        (TargetKind::Yarn, DeployMode::Session) => Ok("yarn-session"),
        (TargetKind::Yarn, DeployMode::PerJob) => {
            if version.has_yarn_per_job() {
                Ok("yarn-per-job")
            } else {
                Err(DeployError(format!(
                    "Flink {version} has no per-job mode (yarn-per-job was removed in 2.0): use mode = \"application\""
                )))
            }
        }
    }
}

/// The arguments after `flink` for a submission. Options are `-Dkey=value`, one argument each,
/// in this order: the target's own (`yarn.application.id`, `kubernetes.*`), then the app's.
pub fn cli_args(s: &CliSubmission) -> Result<Vec<String>, DeployError> {
    let target = execution_target(s.version, s.kind, s.mode)?;
    let action = if s.mode == DeployMode::Application && s.version.has_run_application() {
        "run-application"
    } else {
        "run"
    };
    let mut args = vec![action.to_string(), "-t".to_string(), target.to_string()];
    if s.mode != DeployMode::Application {
        // Session and per-job: return once the job is submitted (prints the job id).
        args.push("-d".to_string());
    }
    let mut d = |k: &str, v: &str| args.push(format!("-D{k}={v}"));
    match (s.kind, s.mode) {
        (TargetKind::Yarn, DeployMode::Session) => {
            let id = session_id(s)?;
            d("yarn.application.id", id);
        }
        (TargetKind::Kubernetes, mode) => {
            let id = match mode {
                DeployMode::Session => session_id(s)?,
                _ => s.cluster_id.as_deref().ok_or_else(|| {
                    DeployError("a Kubernetes application needs [kubernetes] cluster_id".into())
                })?,
            };
            d("kubernetes.cluster-id", id);
            if let Some(ns) = &s.namespace {
                d("kubernetes.namespace", ns);
            }
            if let Some(kc) = &s.kubeconfig {
                d("kubernetes.config.file", kc);
            }
            if let Some(ctx) = &s.context {
                d("kubernetes.context", ctx);
            }
            if mode == DeployMode::Application {
                let image = s.image.as_deref().ok_or_else(|| {
                    DeployError("a Kubernetes application needs [kubernetes] image".into())
                })?;
                d(s.version.image_key(), image);
                if let Some(t) = &s.pod_template {
                    d(s.version.pod_template_key(), t);
                }
            }
        }
        _ => {}
    }
    for (k, v) in &s.options {
        d(k, v);
    }
    if let Some(p) = s.parallelism {
        args.extend(["-p".to_string(), p.to_string()]);
    }
    if let Some(path) = &s.restore_path {
        args.extend(["-s".to_string(), path.clone()]);
        if s.allow_non_restored_state {
            args.push("-n".to_string());
        }
        if let Some(flag) = s.version.restore_mode_flag() {
            args.extend([flag.to_string(), "no_claim".to_string()]);
        }
    }
    if let Some(c) = &s.entry_class {
        args.extend(["-c".to_string(), c.clone()]);
    }
    if s.kind == TargetKind::Kubernetes
        && s.mode == DeployMode::Application
        && !s.jar.starts_with("local://")
        && !upload_enabled(&s.options)
    {
        return Err(DeployError(format!(
            "a Kubernetes application runs a jar inside its image: set [kubernetes] jar = \"local:///opt/flink/usrlib/...\"{}",
            if s.version.has_k8s_local_upload() {
                ", or let the CLI upload it with options kubernetes.artifacts.local-upload-enabled = \"true\" and kubernetes.artifacts.local-upload-target"
            } else {
                ""
            }
        )));
    }
    args.push(s.jar.clone());
    args.extend(s.args.iter().cloned());
    Ok(args)
}

/// Whether the options turn on the client's upload of local jars (Kubernetes, 1.19+).
pub fn upload_enabled(options: &BTreeMap<String, String>) -> bool {
    options
        .get("kubernetes.artifacts.local-upload-enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn session_id(s: &CliSubmission) -> Result<&str, DeployError> {
    s.session.as_deref().ok_or_else(|| {
        DeployError(format!(
            "mode = \"session\" on {} needs [target] session (the {})",
            s.kind.as_str(),
            match s.kind {
                TargetKind::Yarn => "YARN application id",
                _ => "Kubernetes cluster-id",
            }
        ))
    })
}

/// What the CLI's output said about the submission.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliReport {
    /// `Job has been submitted with JobID <id>`.
    pub job_id: Option<String>,
    /// `application_<cluster timestamp>_<n>`.
    pub yarn_application_id: Option<String>,
    /// `Create flink application cluster <id> successfully`.
    pub kubernetes_cluster_id: Option<String>,
}

impl CliReport {
    /// Reads one line of output (stdout or stderr) into the report.
    pub fn read_line(&mut self, line: &str) {
        if let Some(rest) = line.split("submitted with JobID ").nth(1) {
            let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            if id.len() == 32 {
                self.job_id = Some(id);
            }
        }
        if self.yarn_application_id.is_none() {
            self.yarn_application_id = find_yarn_app_id(line);
        }
        if let Some(rest) = line.split("Create flink application cluster ").nth(1) {
            if let Some(id) = rest.split_whitespace().next() {
                self.kubernetes_cluster_id = Some(id.to_string());
            }
        }
    }
}

/// The first `application_<digits>_<digits>` in a line.
pub fn find_yarn_app_id(line: &str) -> Option<String> {
    let mut rest = line;
    while let Some(i) = rest.find("application_") {
        let tail = &rest[i + "application_".len()..];
        let a: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let after = &tail[a.len()..];
        if !a.is_empty() {
            if let Some(after) = after.strip_prefix('_') {
                let b: String = after.chars().take_while(char::is_ascii_digit).collect();
                if !b.is_empty() {
                    return Some(format!("application_{a}_{b}"));
                }
            }
        }
        rest = tail;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> FlinkVersion {
        FlinkVersion::parse(s).expect("version")
    }

    fn sub(version: &str, kind: TargetKind, mode: DeployMode) -> CliSubmission {
        CliSubmission {
            version: v(version),
            kind,
            mode,
            session: None,
            namespace: None,
            cluster_id: None,
            image: None,
            pod_template: None,
            kubeconfig: None,
            context: None,
            options: BTreeMap::new(),
            parallelism: None,
            jar: "/apps/app.jar".into(),
            entry_class: None,
            args: Vec::new(),
            restore_path: None,
            allow_non_restored_state: false,
        }
    }

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(
            v("1.20.5"),
            FlinkVersion {
                major: 1,
                minor: 20,
                patch: 5
            }
        );
        assert_eq!(v("2.3").to_string(), "2.3.0");
        assert_eq!(v("1.19.1-SNAPSHOT").minor, 19);
        assert!(v("1.9.0") < v("1.10.0"));
        for bad in ["", "1", "x.y", "1.2.3.4", "1..2"] {
            assert_eq!(FlinkVersion::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn yarn_application_per_version() {
        let mut s = sub("1.20.5", TargetKind::Yarn, DeployMode::Application);
        s.options
            .insert("yarn.application.queue".into(), "rt".into());
        s.restore_path = Some("hdfs:///sp/savepoint-1".into());
        s.allow_non_restored_state = true;
        s.entry_class = Some("com.x.Main".into());
        s.args = vec!["--in".into(), "a".into()];
        assert_eq!(
            cli_args(&s).expect("args"),
            [
                "run-application",
                "-t",
                "yarn-application",
                "-Dyarn.application.queue=rt",
                "-s",
                "hdfs:///sp/savepoint-1",
                "-n",
                "-cm",
                "no_claim",
                "-c",
                "com.x.Main",
                "/apps/app.jar",
                "--in",
                "a"
            ]
        );
        s.version = v("2.3.0");
        let args = cli_args(&s).expect("args");
        assert_eq!(args[..3], ["run", "-t", "yarn-application"]);
        assert!(!args.contains(&"-rm".to_string()));
        s.version = v("1.19.1");
        let args = cli_args(&s).expect("args");
        assert_eq!(args[0], "run-application");
        assert!(args.windows(2).any(|w| w == ["-rm", "no_claim"]));
        assert!(!args.contains(&"-cm".to_string()));
        s.version = v("1.14.6");
        let args = cli_args(&s).expect("args");
        assert!(!args.contains(&"-rm".to_string()) && !args.contains(&"-cm".to_string()));
        assert!(args
            .windows(2)
            .any(|w| w == ["-s", "hdfs:///sp/savepoint-1"]));
    }

    #[test]
    fn sessions_name_their_cluster_and_detach() {
        let mut s = sub("1.18.1", TargetKind::Yarn, DeployMode::Session);
        assert!(cli_args(&s).unwrap_err().0.contains("[target] session"));
        s.session = Some("application_1700000000000_0003".into());
        assert_eq!(
            cli_args(&s).expect("args"),
            [
                "run",
                "-t",
                "yarn-session",
                "-d",
                "-Dyarn.application.id=application_1700000000000_0003",
                "/apps/app.jar"
            ]
        );
        let mut k = sub("2.3.0", TargetKind::Kubernetes, DeployMode::Session);
        k.session = Some("shared".into());
        k.namespace = Some("streaming".into());
        k.image = Some("not-used".into());
        let args = cli_args(&k).expect("args");
        assert_eq!(args[..4], ["run", "-t", "kubernetes-session", "-d"]);
        assert!(args.contains(&"-Dkubernetes.cluster-id=shared".to_string()));
        assert!(
            !args.iter().any(|a| a.contains("image")),
            "a session's image is the session's"
        );
    }

    #[test]
    fn kubernetes_application_per_version() {
        let mut s = sub("1.20.5", TargetKind::Kubernetes, DeployMode::Application);
        s.jar = "local:///opt/flink/usrlib/app.jar".into();
        s.namespace = Some("streaming".into());
        s.cluster_id = Some("orders".into());
        s.image = Some("registry.local/flink-orders:1.4".into());
        s.pod_template = Some("/t/pod.yaml".into());
        s.kubeconfig = Some("/k/config".into());
        s.parallelism = Some(2);
        assert_eq!(
            cli_args(&s).expect("args"),
            [
                "run-application",
                "-t",
                "kubernetes-application",
                "-Dkubernetes.cluster-id=orders",
                "-Dkubernetes.namespace=streaming",
                "-Dkubernetes.config.file=/k/config",
                "-Dkubernetes.container.image.ref=registry.local/flink-orders:1.4",
                "-Dkubernetes.pod-template-file.default=/t/pod.yaml",
                "-p",
                "2",
                "local:///opt/flink/usrlib/app.jar"
            ]
        );
        s.version = v("2.3.0");
        assert_eq!(cli_args(&s).expect("args")[0], "run");
        s.version = v("1.16.3");
        let args = cli_args(&s).expect("args");
        assert!(
            args.contains(&"-Dkubernetes.container.image=registry.local/flink-orders:1.4".into())
        );
        assert!(args.contains(&"-Dkubernetes.pod-template-file=/t/pod.yaml".into()));
    }

    #[test]
    fn a_local_jar_needs_the_image_or_the_upload() {
        let mut s = sub("1.20.5", TargetKind::Kubernetes, DeployMode::Application);
        s.cluster_id = Some("orders".into());
        s.image = Some("img".into());
        let e = cli_args(&s).unwrap_err().0;
        assert!(
            e.contains("local:///opt/flink/usrlib") && e.contains("local-upload-enabled"),
            "{e}"
        );
        s.options.insert(
            "kubernetes.artifacts.local-upload-enabled".into(),
            "true".into(),
        );
        assert_eq!(
            cli_args(&s).expect("args").last().map(String::as_str),
            Some("/apps/app.jar")
        );
        s.options.clear();
        s.version = v("1.18.0");
        assert!(!cli_args(&s).unwrap_err().0.contains("local-upload"));
    }

    #[test]
    fn modes_a_version_or_target_cannot_do() {
        let s = sub("2.3.0", TargetKind::Yarn, DeployMode::PerJob);
        assert!(cli_args(&s).unwrap_err().0.contains("removed in 2.0"));
        let s = sub("1.20.5", TargetKind::Yarn, DeployMode::PerJob);
        assert_eq!(
            cli_args(&s).expect("args")[..4],
            ["run", "-t", "yarn-per-job", "-d"]
        );
        let s = sub("1.20.5", TargetKind::Kubernetes, DeployMode::PerJob);
        assert!(cli_args(&s).unwrap_err().0.contains("no per-job"));
        let s = sub("1.20.5", TargetKind::Standalone, DeployMode::Session);
        assert!(cli_args(&s).unwrap_err().0.contains("REST"));
    }

    #[test]
    fn the_report_reads_ids_from_cli_output() {
        let mut r = CliReport::default();
        for line in [
            "2025-01-01 INFO  org.apache.flink.yarn.YarnClusterDescriptor [] - Submitting application master application_1700000000000_0042",
            "Job has been submitted with JobID 0123456789abcdef0123456789abcdef",
            "INFO KubernetesClusterDescriptor - Create flink application cluster orders successfully, JobManager Web Interface: http://orders-rest.streaming:8081",
        ] {
            r.read_line(line);
        }
        assert_eq!(
            r.job_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            r.yarn_application_id.as_deref(),
            Some("application_1700000000000_0042")
        );
        assert_eq!(r.kubernetes_cluster_id.as_deref(), Some("orders"));
        assert_eq!(
            find_yarn_app_id("application_ application_12_x application_3_4"),
            Some("application_3_4".into())
        );
        let mut none = CliReport::default();
        none.read_line("Job has been submitted with JobID 0123");
        assert_eq!(none, CliReport::default());
    }
}
