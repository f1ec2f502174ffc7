//! Managed application definitions (`flinkdeck apply -f app.toml`): a TOML file per app, parsed
//! into an [`AppSpec`]. Unknown keys are errors, and every error says file, line, column and key,
//! like the main config. See `config/orders-agg.app.toml` and `config/wordcount-jar.app.toml`.
//!
//! ```toml
//! name = "orders-agg"            # required, [A-Za-z0-9._-]+
//! cluster = "prod-a"             # required; that it exists is checked against the config
//! kind = "sql"                   # "sql" | "jar"
//! sql_file = "orders-agg.sql"    # kind sql: exactly one of sql_file / sql
//! # sql = """..."""
//! # kind jar: jar_file (required, must exist), entry_class (optional), args = ["--x", "1"]
//! jars = ["lib/my-udfs.jar"]     # optional: dependency jars for validation and debug runs
//! parallelism = 2                # optional, >= 1
//! allow_non_restored_state = false
//! owner = "data-team"
//! team = "payments"             # optional, non-empty: `team:` in filters, grouping by team
//! tags = ["orders"]
//! upgrade_rebuilds = false       # `flinkdeck upgrade` builds first (needs `[build]`)
//! upgrade_health = "2m"          # `flinkdeck upgrade`'s health window (default 2m)
//! [restart]                      # `flinkdeck watch` starts it again when its job FAILED
//! on_failure = true              # (default false; not for operator apps: the operator does it)
//! max = 3                        # attempts within `within` (1..=100, default 3), then it gives up
//! within = "30m"                 # the window (default 30m)
//! [options]                      # Flink options (`-D` style); strings, numbers or booleans
//! "execution.checkpointing.interval" = "10s"
//! pipeline.object-reuse = true   # dotted keys work too: the option `pipeline.object-reuse`
//! [vars]                         # `${name}` in the script; plain strings, override the config's
//! topic = "orders"               # (secrets only in the config's [secret_vars])
//! ```
//!
//! `sql_file` and `jar_file` are relative to the app file's directory (`~/` is the home
//! directory). The SQL script's content is stored in the spec (`AppSpec::sql`), so a version is
//! complete by itself; `sql_file` keeps the path as written. `jar_file` is stored absolute.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::diag::{Seg, TomlDoc};
use super::load::{is_name, resolve_path};
use super::ConfigError;
use std::collections::BTreeMap;

use crate::domain::{
    unknown_placeholder, AppKind, AppSpec, BuildSpec, ImageStep, KubeResources, KubeTarget,
    RestartPolicy, IMAGE_PLACEHOLDERS,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: Spanned<String>,
    /// Required, unless `[target] cluster` names it.
    cluster: Option<Spanned<String>>,
    /// Required, except with a `[kubernetes]` target (which runs a jar).
    kind: Option<Spanned<String>>,
    /// The namespace of a `[kubernetes]` target.
    namespace: Option<Spanned<String>>,
    kubernetes: Option<Spanned<RawKube>>,
    /// Submission through the Flink CLI (YARN, native Kubernetes) or REST (standalone).
    target: Option<Spanned<RawTarget>>,
    sql_file: Option<Spanned<String>>,
    sql: Option<Spanned<String>>,
    jar_file: Option<Spanned<String>>,
    jars: Option<Vec<Spanned<String>>>,
    entry_class: Option<Spanned<String>>,
    args: Option<Spanned<Vec<String>>>,
    parallelism: Option<Spanned<i64>>,
    allow_non_restored_state: Option<bool>,
    owner: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    tags: Option<Vec<Spanned<String>>>,
    options: Option<Spanned<OptionNode>>,
    /// How the jar is built from git (`flinkdeck build`).
    build: Option<Spanned<RawBuild>>,
    /// `flinkdeck upgrade` builds first, as with `--rebuild`.
    upgrade_rebuilds: Option<Spanned<bool>>,
    /// `flinkdeck upgrade`'s default health window, e.g. "2m".
    upgrade_health: Option<Spanned<String>>,
    /// `[restart]`: the watcher restarts a FAILED job.
    restart: Option<Spanned<RawRestart>>,
    /// Read from the document by [`super::vars::plain_vars`].
    #[serde(rename = "vars")]
    _vars: Option<de::IgnoredAny>,
    /// Only to say that secrets belong in the config.
    #[serde(rename = "secret_vars")]
    _secret_vars: Option<de::IgnoredAny>,
}

/// `[target]`: where the app runs and which Flink home submits it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    cluster: Spanned<String>,
    mode: Spanned<String>,
    session: Option<Spanned<String>>,
    flink: Option<Spanned<String>>,
    options: Option<Spanned<OptionNode>>,
}

/// `[restart] on_failure = true, max = 3, within = "30m"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRestart {
    on_failure: Option<Spanned<bool>>,
    max: Option<Spanned<i64>>,
    within: Option<Spanned<String>>,
}

/// `[build]`: how a jar app's artifact is built from a git repository.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    repo: Option<Spanned<String>>,
    #[serde(rename = "ref")]
    git_ref: Option<Spanned<String>>,
    dir: Option<Spanned<String>>,
    command: Option<Spanned<Vec<Spanned<String>>>>,
    artifact: Option<Spanned<String>>,
    env: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    timeout: Option<Spanned<String>>,
    image: Option<Spanned<RawImage>>,
}

/// `[build] image = { name, build, push }`: the image step of a Kubernetes target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImage {
    name: Option<Spanned<String>>,
    build: Option<Spanned<Vec<Spanned<String>>>>,
    push: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[kubernetes]`: the FlinkDeployment that runs the app (operator apps, without `[target]`:
/// `image`, `flink_version`, `jar_uri` required), or, with a `[target]`, the native application
/// cluster the Flink CLI creates (`namespace`, `cluster_id`, `image`, `pod_template`, `jar`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKube {
    image: Option<Spanned<String>>,
    flink_version: Option<Spanned<String>>,
    jar_uri: Option<Spanned<String>>,
    namespace: Option<Spanned<String>>,
    cluster_id: Option<Spanned<String>>,
    pod_template: Option<Spanned<String>>,
    jar: Option<Spanned<String>>,
    entry_class: Option<Spanned<String>>,
    args: Option<Vec<String>>,
    parallelism: Option<Spanned<i64>>,
    upgrade_mode: Option<Spanned<String>>,
    flink_configuration: Option<Spanned<OptionNode>>,
    jobmanager: Option<RawResources>,
    taskmanager: Option<RawResources>,
    service_account: Option<Spanned<String>>,
}

/// `[kubernetes.jobmanager]` / `[kubernetes.taskmanager]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResources {
    cpu: Option<Spanned<f64>>,
    memory: Option<Spanned<String>>,
    replicas: Option<Spanned<i64>>,
}

/// An `[options]` entry: a value (a string, integer, float or boolean, kept as a string), or a
/// table from dotted keys (`execution.checkpointing.interval = "10s"` without quotes), which is
/// flattened back into the dotted name.
#[derive(Debug)]
enum OptionNode {
    Value(String),
    Table(Vec<(String, Spanned<OptionNode>)>),
}

/// How the toml crate hands a date-time to `deserialize_any`.
const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

impl<'de> Deserialize<'de> for OptionNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OptionNode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, integer, float or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<OptionNode, E> {
                Ok(OptionNode::Value(v.to_string()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<OptionNode, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == TOML_DATETIME_KEY {
                        return Ok(OptionNode::Value(map.next_value::<String>()?));
                    }
                    entries.push((key, map.next_value::<Spanned<OptionNode>>()?));
                }
                Ok(OptionNode::Table(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Flattens `[options]` into (dotted name, name segments, value span, value).
fn flatten_options(
    prefix: &[String],
    entries: Vec<(String, Spanned<OptionNode>)>,
    out: &mut Vec<(Vec<String>, Range<usize>, String)>,
) {
    for (key, node) in entries {
        let mut path = prefix.to_vec();
        path.push(key);
        let span = node.span();
        match node.into_inner() {
            OptionNode::Value(v) => out.push((path, span, v)),
            OptionNode::Table(t) => flatten_options(&path, t, out),
        }
    }
}

/// Reads and validates the app definition at `path`.
pub fn load_app_spec(path: &Path) -> Result<AppSpec, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_app_spec(&text, path),
        Err(e) => {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                "app file not found".to_string()
            } else {
                format!("cannot read app file: {e}")
            };
            Err(ConfigError::new(message).with_path(path))
        }
    }
}

/// Parses an app definition's text as if read from `path` (used in errors and as the base of
/// `sql_file` / `jar_file`). `sql_file` is read and `jar_file` must exist.
pub fn parse_app_spec(text: &str, path: &Path) -> Result<AppSpec, ConfigError> {
    let doc = TomlDoc::parse(text, Some(path))?;
    super::vars::deny_secret_vars(&doc)?;
    let raw: RawApp = doc.deserialize()?;
    let base = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Cx { doc: &doc, base }.spec(raw)
}

struct Cx<'d, 'a> {
    doc: &'d TomlDoc<'a>,
    base: &'d Path,
}

impl Cx<'_, '_> {
    /// An error at the value `span` of top-level `key`.
    fn err(&self, span: Range<usize>, key: &str, msg: impl Into<String>) -> ConfigError {
        self.doc.error_at(span, key, msg)
    }

    /// An error at the key (not the value) of top-level `key`.
    fn err_at_key(&self, key: &str, fallback: Range<usize>, msg: impl Into<String>) -> ConfigError {
        self.doc.error_at_key(&[Seg::key(key)], fallback, msg)
    }

    fn spec(&self, raw: RawApp) -> Result<AppSpec, ConfigError> {
        let name = self.name(&raw.name, "name", "app")?;
        let upgrade = self.upgrade_keys(&raw)?;
        let restart = raw.restart.as_ref().map(|r| self.restart(r)).transpose()?;
        let operator = raw.target.is_none() && raw.kubernetes.is_some();
        if let (Some(r), true) = (&raw.restart, operator) {
            return Err(self.err_at_key(
                "restart",
                r.span(),
                "`[restart]` is for apps flinkdeck starts; the Flink Kubernetes Operator restarts \
                 a FlinkDeployment's failed job itself (set `kubernetes.operator.job.restart.failed \
                 = \"true\"` and Flink's `restart-strategy.*` in [kubernetes] flink_configuration)",
            ));
        }
        let mut spec = self.spec_without_upgrade_keys(raw, name)?;
        (spec.upgrade_rebuilds, spec.upgrade_health_ms) = upgrade;
        spec.restart = restart;
        Ok(spec)
    }

    /// `[restart]`: `on_failure` (default false), `max` (1..=100, default 3) and `within` (a
    /// duration > 0, default 30m).
    fn restart(&self, raw: &Spanned<RawRestart>) -> Result<RestartPolicy, ConfigError> {
        let r = raw.get_ref();
        let at = |key: &str, span: Range<usize>, msg: String| {
            self.doc.error_at(
                span,
                super::key_path(&[Seg::key("restart"), Seg::key(key)]),
                msg,
            )
        };
        let mut policy = RestartPolicy {
            on_failure: r.on_failure.as_ref().is_some_and(|b| *b.get_ref()),
            ..RestartPolicy::default()
        };
        if let Some(m) = &r.max {
            policy.max = u32::try_from(*m.get_ref())
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    at(
                        "max",
                        m.span(),
                        format!(
                            "`restart.max` must be from 1 to 100 (attempts within `restart.within`), got {}",
                            m.get_ref()
                        ),
                    )
                })?;
        }
        if let Some(w) = &r.within {
            let d = humantime::parse_duration(w.get_ref().trim()).map_err(|e| {
                at(
                    "within",
                    w.span(),
                    format!(
                        "invalid duration {:?}: {e} (e.g. \"30m\", \"2h\")",
                        w.get_ref()
                    ),
                )
            })?;
            if d.is_zero() {
                return Err(at(
                    "within",
                    w.span(),
                    "`restart.within` must be more than 0".into(),
                ));
            }
            policy.within_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        }
        Ok(policy)
    }

    /// `upgrade_rebuilds` (only with `[build]`) and `upgrade_health` (a duration > 0).
    fn upgrade_keys(&self, raw: &RawApp) -> Result<(bool, Option<u64>), ConfigError> {
        let rebuilds = match &raw.upgrade_rebuilds {
            Some(r) if *r.get_ref() && raw.build.is_none() => {
                return Err(self.err(
                    r.span(),
                    "upgrade_rebuilds",
                    "`upgrade_rebuilds = true` needs a [build] section (how to build the jar)",
                ))
            }
            Some(r) => *r.get_ref(),
            None => false,
        };
        let health = match &raw.upgrade_health {
            None => None,
            Some(h) => {
                let d = humantime::parse_duration(h.get_ref().trim()).map_err(|e| {
                    self.err(
                        h.span(),
                        "upgrade_health",
                        format!(
                            "invalid duration {:?}: {e} (e.g. \"2m\", \"90s\")",
                            h.get_ref()
                        ),
                    )
                })?;
                if d.is_zero() {
                    return Err(self.err(
                        h.span(),
                        "upgrade_health",
                        "`upgrade_health` must be more than 0",
                    ));
                }
                Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
        };
        Ok((rebuilds, health))
    }

    fn spec_without_upgrade_keys(&self, raw: RawApp, name: String) -> Result<AppSpec, ConfigError> {
        if raw.target.is_some() {
            return self.target_spec(raw, name);
        }
        let Some(raw_cluster) = &raw.cluster else {
            return Err(self.err(0..0, "cluster", "missing required key `cluster`"));
        };
        let cluster = self.cluster_name(raw_cluster)?;
        if raw.kubernetes.is_some() {
            return self.kube_spec(raw, name, cluster);
        }
        self.plain_spec(raw, name, cluster, None)
    }

    /// An app with `[target]` (and, for Kubernetes, the native `[kubernetes]` keys).
    fn target_spec(&self, mut raw: RawApp, name: String) -> Result<AppSpec, ConfigError> {
        use crate::domain::deploy::{DeployMode, DeployTarget, FlinkVersion};
        let t = raw
            .target
            .take()
            .expect("checked by the caller")
            .into_inner();
        let at = |key: &str| super::key_path(&[Seg::key("target"), Seg::key(key)]);
        let cluster = self.cluster_name(&t.cluster).map_err(|mut e| {
            e.key = Some(at("cluster"));
            e
        })?;
        if cluster.contains('/') {
            return Err(self.doc.error_at(
                t.cluster.span(),
                at("cluster"),
                "[target] cluster names a [[clusters]] entry (standalone, yarn or kubernetes), not a discovered cluster",
            ));
        }
        if let Some(c) = &raw.cluster {
            if c.get_ref() != &cluster {
                return Err(self.err_at_key(
                    "cluster",
                    c.span(),
                    format!(
                        "`cluster` = {:?} differs from [target] cluster = {cluster:?}; set it in [target] only",
                        c.get_ref()
                    ),
                ));
            }
        }
        if let Some(ns) = &raw.namespace {
            return Err(self.err_at_key(
                "namespace",
                ns.span(),
                "with a [target], the namespace goes under [kubernetes] (kubernetes.namespace)",
            ));
        }
        let mode = DeployMode::parse(t.mode.get_ref()).ok_or_else(|| {
            self.doc.error_at(
                t.mode.span(),
                at("mode"),
                format!(
                    "unknown mode {:?}; expected one of application, session, per-job",
                    t.mode.get_ref()
                ),
            )
        })?;
        let session = match &t.session {
            Some(sess) => {
                let v = sess.get_ref().trim();
                if mode != DeployMode::Session {
                    return Err(self.doc.error_at(
                        sess.span(),
                        at("session"),
                        format!("`session` is only for mode = \"session\" (this target has mode = \"{mode}\")"),
                    ));
                }
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    return Err(self.doc.error_at(
                        sess.span(),
                        at("session"),
                        "the session id is empty or has spaces",
                    ));
                }
                Some(v.to_string())
            }
            None => None,
        };
        let flink = match &t.flink {
            Some(f) => {
                if FlinkVersion::parse(f.get_ref()).is_none() {
                    return Err(self.doc.error_at(
                        f.span(),
                        at("flink"),
                        format!(
                            "invalid Flink version {:?}: expected e.g. \"1.20.5\" or \"2.3.0\" (a [[flink]] entry's version)",
                            f.get_ref()
                        ),
                    ));
                }
                Some(f.get_ref().trim().to_string())
            }
            None => None,
        };
        let options = match t.options {
            Some(o) => self.option_table(&[Seg::key("target"), Seg::key("options")], o)?,
            None => BTreeMap::new(),
        };
        let kubernetes = match raw.kubernetes.take() {
            Some(k) => Some(self.native_kube(k)?),
            None => None,
        };
        let target = DeployTarget {
            cluster: cluster.clone(),
            mode,
            session,
            flink,
            options,
            kubernetes,
        };
        self.plain_spec(raw, name, cluster, Some(target))
    }

    /// `[kubernetes]` of an app with a `[target]`: the native application cluster.
    fn native_kube(
        &self,
        kube: Spanned<RawKube>,
    ) -> Result<crate::domain::deploy::NativeKube, ConfigError> {
        let at = |key: &str| super::key_path(&[Seg::key("kubernetes"), Seg::key(key)]);
        let k = kube.into_inner();
        let operator_only: [(&str, Option<Range<usize>>); 10] = [
            ("flink_version", k.flink_version.as_ref().map(Spanned::span)),
            ("jar_uri", k.jar_uri.as_ref().map(Spanned::span)),
            ("entry_class", k.entry_class.as_ref().map(Spanned::span)),
            ("args", None),
            ("parallelism", k.parallelism.as_ref().map(Spanned::span)),
            ("upgrade_mode", k.upgrade_mode.as_ref().map(Spanned::span)),
            (
                "flink_configuration",
                k.flink_configuration.as_ref().map(Spanned::span),
            ),
            ("jobmanager", None),
            ("taskmanager", None),
            (
                "service_account",
                k.service_account.as_ref().map(Spanned::span),
            ),
        ];
        let present = operator_only
            .iter()
            .filter_map(|(key, s)| s.clone().map(|s| (*key, s)))
            .min_by_key(|(_, s)| s.start)
            .or_else(|| {
                [
                    ("args", k.args.is_some()),
                    ("jobmanager", k.jobmanager.is_some()),
                    ("taskmanager", k.taskmanager.is_some()),
                ]
                .into_iter()
                .find(|(_, p)| *p)
                .map(|(key, _)| (key, 0..0))
            });
        if let Some((key, span)) = present {
            return Err(self.doc.error_at_key(
                &[Seg::key("kubernetes"), Seg::key(key)],
                span,
                format!(
                    "`kubernetes.{key}` is for Flink Kubernetes Operator apps (without [target]); with a [target], use [target] options and the app's own keys"
                ),
            ));
        }
        let label = |v: &Option<Spanned<String>>, key: &str, max: usize| match v {
            Some(v) => {
                let t = v.get_ref();
                if is_dns_label(t) && t.len() <= max {
                    Ok(Some(t.clone()))
                } else {
                    Err(self.doc.error_at(
                        v.span(),
                        at(key),
                        format!(
                            "invalid {key} {t:?}: use lower-case letters, digits and '-' (at most {max})"
                        ),
                    ))
                }
            }
            None => Ok(None),
        };
        let namespace = label(&k.namespace, "namespace", 63)?;
        // Flink limits kubernetes.cluster-id to 45 characters.
        let cluster_id = label(&k.cluster_id, "cluster_id", 45)?;
        let plain = |v: &Option<Spanned<String>>, key: &str| match v {
            Some(v) => {
                let t = v.get_ref().trim();
                if t.is_empty() || t.chars().any(char::is_whitespace) {
                    Err(self.doc.error_at(
                        v.span(),
                        at(key),
                        format!("`{key}` is empty or has spaces"),
                    ))
                } else {
                    Ok(Some(t.to_string()))
                }
            }
            None => Ok(None),
        };
        let image = plain(&k.image, "image")?;
        let jar = plain(&k.jar, "jar")?;
        if let (Some(j), Some(span)) = (&jar, k.jar.as_ref().map(Spanned::span)) {
            if !j.starts_with("local://") {
                return Err(self.doc.error_at(
                    span,
                    at("jar"),
                    format!(
                        "jar {j:?} is the jar inside the image: local:///opt/flink/usrlib/app.jar"
                    ),
                ));
            }
        }
        let pod_template = match &k.pod_template {
            Some(p) => {
                let file = resolve_path(p.get_ref(), Some(self.base)).ok_or_else(|| {
                    self.doc
                        .error_at(p.span(), at("pod_template"), "path is empty")
                })?;
                let file = std::path::absolute(&file).unwrap_or(file);
                if !file.is_file() {
                    return Err(self.doc.error_at(
                        p.span(),
                        at("pod_template"),
                        format!("pod template {} not found", file.display()),
                    ));
                }
                Some(file.to_string_lossy().to_string())
            }
            None => None,
        };
        Ok(crate::domain::deploy::NativeKube {
            namespace,
            cluster_id,
            image,
            pod_template,
            jar,
        })
    }

    /// A jar or SQL app (on a standalone cluster, or with `[target]`: `jar_file` may then be left
    /// out when `[kubernetes] jar` names the jar in the image).
    fn plain_spec(
        &self,
        raw: RawApp,
        name: String,
        cluster: String,
        target: Option<crate::domain::deploy::DeployTarget>,
    ) -> Result<AppSpec, ConfigError> {
        if let Some(ns) = &raw.namespace {
            return Err(self.err_at_key(
                "namespace",
                ns.span(),
                "`namespace` is only for apps with a [kubernetes] target",
            ));
        }
        let Some(raw_kind) = &raw.kind else {
            return Err(self.err(0..0, "kind", "missing required key `kind`"));
        };
        let kind = match raw_kind.get_ref().as_str() {
            "sql" => AppKind::Sql,
            "jar" => AppKind::Jar,
            other => {
                return Err(self.err(
                    raw_kind.span(),
                    "kind",
                    format!("unknown app kind {other:?}; expected one of sql, jar"),
                ))
            }
        };
        let kind_span = raw_kind.span();

        // Keys that belong to the other kind.
        let foreign: &[(&str, Option<Range<usize>>)] = match kind {
            AppKind::Sql => &[
                ("jar_file", raw.jar_file.as_ref().map(Spanned::span)),
                ("build", raw.build.as_ref().map(Spanned::span)),
                ("entry_class", raw.entry_class.as_ref().map(Spanned::span)),
                ("args", raw.args.as_ref().map(Spanned::span)),
            ],
            AppKind::Jar => &[
                ("sql_file", raw.sql_file.as_ref().map(Spanned::span)),
                ("sql", raw.sql.as_ref().map(Spanned::span)),
            ],
        };
        if let Some((key, span)) = foreign
            .iter()
            .filter_map(|(k, s)| s.clone().map(|s| (*k, s)))
            .min_by_key(|(_, s)| s.start)
        {
            let belongs = match kind {
                AppKind::Sql => "jar",
                AppKind::Jar => "sql",
            };
            return Err(self.err_at_key(
                key,
                span,
                format!(
                    "`{key}` is only for apps of kind \"{belongs}\"; this app has kind \"{kind}\""
                ),
            ));
        }

        let mut spec = AppSpec {
            allow_non_restored_state: raw.allow_non_restored_state.unwrap_or(false),
            vars: super::vars::plain_vars(self.doc)?,
            ..AppSpec::new(name, cluster, kind)
        };
        for jar in raw.jars.iter().flatten() {
            spec.jars.push(self.existing_jar(jar, "jars")?);
        }

        match kind {
            AppKind::Sql => {
                let (sql, file) = self.sql(&raw, kind_span)?;
                spec.sql = Some(sql);
                spec.sql_file = file;
            }
            AppKind::Jar => {
                let image_jar = target
                    .as_ref()
                    .and_then(|t| t.kubernetes.as_ref())
                    .is_some_and(|k| k.jar.is_some());
                if let Some(b) = &raw.build {
                    spec.build = Some(self.build(b)?);
                    let kube_target = target.as_ref().is_some_and(|t| t.kubernetes.is_some());
                    if let (Some(img), false) = (&b.get_ref().image, kube_target) {
                        return Err(self.doc.error_at(
                            img.span(),
                            super::key_path(&[Seg::key("build"), Seg::key("image")]),
                            "an image step needs a Kubernetes target: a [target] on a \
                             Kubernetes cluster with [kubernetes] (image, jar = \"local://...\")",
                        ));
                    }
                }
                let Some(jar) = &raw.jar_file else {
                    if image_jar || spec.build.is_some() {
                        return self.finish_plain(raw, spec, target);
                    }
                    return Err(self.err(
                        kind_span,
                        "jar_file",
                        "missing required key `jar_file` (apps of kind \"jar\" run a jar file, \
                         or the artifact of a [build])",
                    ));
                };
                spec.jar_file = Some(self.jar_file(jar)?);
            }
        }
        self.finish_plain(raw, spec, target)
    }

    /// Entry class, args, parallelism, owner, tags and options of a plain app.
    fn finish_plain(
        &self,
        raw: RawApp,
        mut spec: AppSpec,
        target: Option<crate::domain::deploy::DeployTarget>,
    ) -> Result<AppSpec, ConfigError> {
        spec.target = target;
        if spec.kind == AppKind::Jar {
            {
                if let Some(c) = &raw.entry_class {
                    let class = c.get_ref().trim();
                    if class.is_empty() || class.chars().any(char::is_whitespace) {
                        return Err(self.err(
                            c.span(),
                            "entry_class",
                            format!(
                                "invalid entry class {:?}: expected a fully qualified Java \
                                 class name such as \"com.example.MyJob\"",
                                c.get_ref()
                            ),
                        ));
                    }
                    spec.entry_class = Some(class.to_string());
                }
                if let Some(a) = raw.args {
                    spec.args = a.into_inner();
                }
            }
        }

        if let Some(p) = &raw.parallelism {
            let n = *p.get_ref();
            let why = if n < 1 {
                Some(format!("parallelism must be at least 1 (got {n})"))
            } else if n > i64::from(i32::MAX) {
                Some(format!(
                    "parallelism must be at most {} (got {n})",
                    i32::MAX
                ))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(self.err(p.span(), "parallelism", why));
            }
            spec.parallelism = u32::try_from(n).ok();
        }

        if let Some(o) = &raw.owner {
            if o.get_ref().trim().is_empty() {
                return Err(self.err(o.span(), "owner", "owner is empty"));
            }
            spec.owner = Some(o.get_ref().clone());
        }
        if let Some(t) = &raw.team {
            if t.get_ref().trim().is_empty() {
                return Err(self.err(t.span(), "team", "team is empty"));
            }
            spec.team = Some(t.get_ref().trim().to_string());
        }

        for (i, t) in raw.tags.iter().flatten().enumerate() {
            if t.get_ref().trim().is_empty() {
                return Err(self.doc.error_at(
                    t.span(),
                    super::key_path(&[Seg::key("tags"), Seg::Index(i)]),
                    "tag is empty",
                ));
            }
            spec.tags.push(t.get_ref().clone());
        }

        if let Some(options) = raw.options {
            spec.options = self.option_table(&[Seg::key("options")], options)?;
        }

        Ok(spec)
    }

    /// A table of Flink options (`[options]`, `[kubernetes.flink_configuration]`): values kept as
    /// strings, dotted keys flattened back into option names.
    fn option_table(
        &self,
        at: &[Seg],
        options: Spanned<OptionNode>,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let table_key = super::key_path(at);
        let span = options.span();
        let entries = match options.into_inner() {
            OptionNode::Table(t) => t,
            OptionNode::Value(_) => {
                return Err(self.doc.error_at(
                    span,
                    table_key.clone(),
                    format!("`{table_key}` must be a table (\"key\" = value lines)"),
                ))
            }
        };
        let mut flat = Vec::new();
        flatten_options(&[], entries, &mut flat);
        flat.sort_by_key(|(_, span, _)| span.start);
        let mut out = BTreeMap::new();
        for (segments, span, value) in flat {
            let name = segments.join(".");
            let mut path = at.to_vec();
            path.push(Seg::Key(name.clone()));
            let key = super::key_path(&path);
            if segments.iter().any(|s| s.trim().is_empty()) {
                let full: Vec<Seg> = at
                    .iter()
                    .cloned()
                    .chain(segments.iter().map(|s| Seg::key(s)))
                    .collect();
                let pos = self.doc.lookup(&full).map(|(k, _)| k).unwrap_or(span);
                return Err(self.doc.error_at(pos, key, "option name is empty"));
            }
            if out.contains_key(&name) {
                return Err(self
                    .doc
                    .error_at(span, key, format!("option `{name}` is set twice")));
            }
            out.insert(name, value);
        }
        Ok(out)
    }

    /// An app whose target is a FlinkDeployment (`[kubernetes]`): it runs `jar_uri` in the
    /// image; SQL and local jar keys do not apply.
    fn kube_spec(
        &self,
        raw: RawApp,
        name: String,
        cluster: String,
    ) -> Result<AppSpec, ConfigError> {
        let kube = raw.kubernetes.expect("checked by the caller");
        let kube_span = kube.span();
        let k = kube.into_inner();
        let at = |key: &str| super::key_path(&[Seg::key("kubernetes"), Seg::key(key)]);
        if let Some(kind) = &raw.kind {
            if kind.get_ref() != "jar" {
                return Err(self.err(
                    kind.span(),
                    "kind",
                    format!(
                        "apps with a [kubernetes] target run a jar (jar_uri): kind must be \"jar\" or left out, not {:?}",
                        kind.get_ref()
                    ),
                ));
            }
        }
        let foreign: [(&str, Option<Range<usize>>); 7] = [
            ("sql_file", raw.sql_file.as_ref().map(Spanned::span)),
            ("sql", raw.sql.as_ref().map(Spanned::span)),
            ("jar_file", raw.jar_file.as_ref().map(Spanned::span)),
            ("build", raw.build.as_ref().map(Spanned::span)),
            ("entry_class", raw.entry_class.as_ref().map(Spanned::span)),
            ("args", raw.args.as_ref().map(Spanned::span)),
            ("parallelism", raw.parallelism.as_ref().map(Spanned::span)),
        ];
        if let Some((key, span)) = foreign
            .iter()
            .filter_map(|(k, s)| s.clone().map(|s| (*k, s)))
            .min_by_key(|(_, s)| s.start)
        {
            let inside = if matches!(key, "entry_class" | "args" | "parallelism") {
                format!("; set it under [kubernetes] (kubernetes.{key})")
            } else {
                "; the FlinkDeployment runs kubernetes.jar_uri from its image".to_string()
            };
            return Err(self.err_at_key(
                key,
                span,
                format!("`{key}` does not apply to an app with a [kubernetes] target{inside}"),
            ));
        }
        if cluster.contains('/') {
            return Err(self.err(
                raw.cluster.as_ref().map(Spanned::span).unwrap_or(0..0),
                "cluster",
                format!(
                    "with a [kubernetes] target, cluster names the kind = \"kubernetes\" entry (e.g. {:?}), not a discovered cluster",
                    cluster.split('/').next().unwrap_or_default()
                ),
            ));
        }
        if !is_dns_name(&name) {
            return Err(self.err(
                raw.name.span(),
                "name",
                format!(
                    "{name:?} cannot name a FlinkDeployment: use lower-case letters, digits and '-' (a Kubernetes DNS-1123 name)"
                ),
            ));
        }
        let Some(ns) = &raw.namespace else {
            return Err(self.err(
                kube_span,
                "namespace",
                "missing required key `namespace` (the Kubernetes namespace of the FlinkDeployment)",
            ));
        };
        if !is_dns_label(ns.get_ref()) {
            return Err(self.err(
                ns.span(),
                "namespace",
                format!(
                    "invalid namespace {:?}: use lower-case letters, digits and '-' (at most 63)",
                    ns.get_ref()
                ),
            ));
        }
        let non_empty = |v: &Spanned<String>, key: &str, what: &str| {
            let t = v.get_ref().trim();
            if t.is_empty() || t.chars().any(char::is_whitespace) {
                Err(self
                    .doc
                    .error_at(v.span(), at(key), format!("{what} is empty or has spaces")))
            } else {
                Ok(t.to_string())
            }
        };
        for (key, span) in [
            ("namespace", k.namespace.as_ref().map(Spanned::span)),
            ("cluster_id", k.cluster_id.as_ref().map(Spanned::span)),
            ("pod_template", k.pod_template.as_ref().map(Spanned::span)),
            ("jar", k.jar.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = span {
                return Err(self.doc.error_at_key(
                    &[Seg::key("kubernetes"), Seg::key(key)],
                    span,
                    format!("`kubernetes.{key}` is for apps submitted through the Flink CLI: add a [target]"),
                ));
            }
        }
        let required = |v: Option<Spanned<String>>, key: &str| {
            v.ok_or_else(|| {
                self.doc.error_at(
                    kube_span.clone(),
                    at(key),
                    format!("missing required key `{key}`"),
                )
            })
        };
        let k_image = required(k.image, "image")?;
        let k_flink_version = required(k.flink_version, "flink_version")?;
        let k_jar_uri = required(k.jar_uri, "jar_uri")?;
        let image = non_empty(&k_image, "image", "the image")?;
        let flink_version = k_flink_version.get_ref().clone();
        if !is_flink_version(&flink_version) {
            return Err(self.doc.error_at(
                k_flink_version.span(),
                at("flink_version"),
                format!(
                    "invalid flink_version {flink_version:?}: the operator's spelling is v<major>_<minor>, e.g. v1_19, v1_20, v2_0, v2_1, v2_2"
                ),
            ));
        }
        let jar_uri = non_empty(&k_jar_uri, "jar_uri", "jar_uri")?;
        if !jar_uri.contains("://") {
            return Err(self.doc.error_at(
                k_jar_uri.span(),
                at("jar_uri"),
                format!(
                    "jar_uri {jar_uri:?} needs a scheme: local:///opt/flink/usrlib/app.jar (in the image), https://, s3://"
                ),
            ));
        }
        let entry_class = match &k.entry_class {
            Some(c) => Some(non_empty(c, "entry_class", "the entry class")?),
            None => None,
        };
        let parallelism = match &k.parallelism {
            Some(p) => {
                let n = *p.get_ref();
                if !(1..=i64::from(i32::MAX)).contains(&n) {
                    return Err(self.doc.error_at(
                        p.span(),
                        at("parallelism"),
                        format!("parallelism must be between 1 and {} (got {n})", i32::MAX),
                    ));
                }
                u32::try_from(n).ok()
            }
            None => None,
        };
        let upgrade_mode = match &k.upgrade_mode {
            Some(m) => match m.get_ref().as_str() {
                "savepoint" | "last-state" | "stateless" => m.get_ref().clone(),
                other => {
                    return Err(self.doc.error_at(
                        m.span(),
                        at("upgrade_mode"),
                        format!(
                            "unknown upgrade_mode {other:?}; expected one of savepoint, last-state, stateless"
                        ),
                    ))
                }
            },
            None => "savepoint".to_string(),
        };
        let flink_configuration = match k.flink_configuration {
            Some(c) => self.option_table(
                &[Seg::key("kubernetes"), Seg::key("flink_configuration")],
                c,
            )?,
            None => BTreeMap::new(),
        };
        let jobmanager = self.resources(k.jobmanager, "jobmanager")?;
        let taskmanager = self.resources(k.taskmanager, "taskmanager")?;
        let service_account = match &k.service_account {
            Some(sa) => Some(non_empty(sa, "service_account", "service_account")?),
            None => None,
        };
        let mut spec = AppSpec {
            allow_non_restored_state: raw.allow_non_restored_state.unwrap_or(false),
            kubernetes: Some(KubeTarget {
                namespace: ns.get_ref().clone(),
                image,
                flink_version,
                jar_uri,
                entry_class,
                args: k.args.unwrap_or_default(),
                parallelism,
                upgrade_mode,
                flink_configuration,
                jobmanager,
                taskmanager,
                service_account,
            }),
            ..AppSpec::new(name, cluster, AppKind::Jar)
        };
        if let Some(o) = &raw.owner {
            if o.get_ref().trim().is_empty() {
                return Err(self.err(o.span(), "owner", "owner is empty"));
            }
            spec.owner = Some(o.get_ref().clone());
        }
        if let Some(t) = &raw.team {
            if t.get_ref().trim().is_empty() {
                return Err(self.err(t.span(), "team", "team is empty"));
            }
            spec.team = Some(t.get_ref().trim().to_string());
        }
        for t in raw.tags.iter().flatten() {
            spec.tags.push(t.get_ref().clone());
        }
        if let Some(options) = raw.options {
            return Err(self.err_at_key(
                "options",
                options.span(),
                "`options` does not apply to an app with a [kubernetes] target; use [kubernetes.flink_configuration]",
            ));
        }
        Ok(spec)
    }

    fn resources(
        &self,
        raw: Option<RawResources>,
        which: &str,
    ) -> Result<KubeResources, ConfigError> {
        let Some(r) = raw else {
            return Ok(KubeResources::default());
        };
        let at =
            |key: &str| super::key_path(&[Seg::key("kubernetes"), Seg::key(which), Seg::key(key)]);
        let mut out = KubeResources::default();
        if let Some(cpu) = &r.cpu {
            let c = *cpu.get_ref();
            if !(c > 0.0 && c.is_finite()) {
                return Err(self.doc.error_at(
                    cpu.span(),
                    at("cpu"),
                    format!("cpu must be a positive number of cores (got {c})"),
                ));
            }
            out.cpu = Some(c);
        }
        if let Some(m) = &r.memory {
            if !is_memory_size(m.get_ref()) {
                return Err(self.doc.error_at(
                    m.span(),
                    at("memory"),
                    format!(
                        "invalid memory size {:?}: a number with a unit, e.g. \"2048m\" or \"2g\"",
                        m.get_ref()
                    ),
                ));
            }
            out.memory = Some(m.get_ref().clone());
        }
        if let Some(n) = &r.replicas {
            if which == "jobmanager" {
                return Err(self.doc.error_at(
                    n.span(),
                    at("replicas"),
                    "replicas is for the taskmanager (JobManager replicas need HA; set them on the resource)",
                ));
            }
            let v = *n.get_ref();
            if !(1..=10_000).contains(&v) {
                return Err(self.doc.error_at(
                    n.span(),
                    at("replicas"),
                    format!("replicas must be between 1 and 10000 (got {v})"),
                ));
            }
            out.replicas = u32::try_from(v).ok();
        }
        Ok(out)
    }

    /// A configured cluster (`prod-a`) or a discovered one (`k8s-prod/streaming/orders`).
    fn cluster_name(&self, value: &Spanned<String>) -> Result<String, ConfigError> {
        let name = value.get_ref();
        let parts: Vec<&str> = name.split('/').collect();
        if parts.len() == 3 && parts.iter().all(|p| is_name(p)) {
            return Ok(name.clone());
        }
        self.name(value, "cluster", "cluster")
    }

    fn name(&self, value: &Spanned<String>, key: &str, what: &str) -> Result<String, ConfigError> {
        let name = value.get_ref();
        if !is_name(name) {
            let why = if name.is_empty() {
                format!("{what} name is empty")
            } else {
                format!("invalid {what} name {name:?}: use letters, digits, '.', '_' or '-'")
            };
            return Err(self.err(value.span(), key, why));
        }
        Ok(name.clone())
    }

    /// The script and, if it came from a file, the path as written.
    fn sql(
        &self,
        raw: &RawApp,
        kind_span: Range<usize>,
    ) -> Result<(String, Option<String>), ConfigError> {
        match (&raw.sql_file, &raw.sql) {
            (Some(f), Some(s)) => {
                let (key, span) = if s.span().start > f.span().start {
                    ("sql", s.span())
                } else {
                    ("sql_file", f.span())
                };
                Err(self.err_at_key(key, span, "set either `sql_file` or `sql`, not both"))
            }
            (None, None) => Err(self.err(
                kind_span,
                "sql_file",
                "missing `sql_file` or `sql` (apps of kind \"sql\" need a SQL script)",
            )),
            (None, Some(s)) => {
                if sql_is_empty(s.get_ref()) {
                    return Err(self.err(
                        s.span(),
                        "sql",
                        "the SQL script is empty (no statements)",
                    ));
                }
                Ok((s.get_ref().clone(), None))
            }
            (Some(f), None) => {
                let written = f.get_ref();
                let file = resolve_path(written, Some(self.base))
                    .ok_or_else(|| self.err(f.span(), "sql_file", "path is empty"))?;
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        format!("SQL file {} not found", file.display())
                    } else {
                        format!("cannot read SQL file {}: {e}", file.display())
                    };
                    self.err(f.span(), "sql_file", why)
                })?;
                if sql_is_empty(&text) {
                    return Err(self.err(
                        f.span(),
                        "sql_file",
                        format!("the SQL file {} is empty (no statements)", file.display()),
                    ));
                }
                Ok((text, Some(written.clone())))
            }
        }
    }

    /// `[build]`: every key checked, errors at the key's value.
    fn build(&self, raw: &Spanned<RawBuild>) -> Result<BuildSpec, ConfigError> {
        let table = raw.span();
        let b = raw.get_ref();
        let at = |key: &str, span: Range<usize>, msg: String| {
            self.doc.error_at(
                span,
                super::key_path(&[Seg::key("build"), Seg::key(key)]),
                msg,
            )
        };
        let required = |v: &Option<Spanned<String>>, key: &str| -> Result<String, ConfigError> {
            match v {
                None => Err(at(
                    key,
                    table.clone(),
                    format!("missing required key `build.{key}`"),
                )),
                Some(v) if v.get_ref().trim().is_empty() => {
                    Err(at(key, v.span(), format!("`build.{key}` is empty")))
                }
                Some(v) => Ok(v.get_ref().clone()),
            }
        };
        let repo = required(&b.repo, "repo")?;
        let git_ref = required(&b.git_ref, "ref")?;
        if git_ref.starts_with('-') || git_ref.chars().any(char::is_whitespace) {
            let span = b
                .git_ref
                .as_ref()
                .map(Spanned::span)
                .unwrap_or(table.clone());
            return Err(at("ref", span, format!("invalid git ref {git_ref:?}")));
        }
        let dir = match &b.dir {
            None => String::new(),
            Some(d) => {
                let p = Path::new(d.get_ref());
                if p.is_absolute()
                    || p.components()
                        .any(|c| matches!(c, std::path::Component::ParentDir))
                {
                    return Err(at(
                        "dir",
                        d.span(),
                        format!(
                            "`build.dir` must be a path inside the checkout (relative, without \
                             `..`), got {:?}",
                            d.get_ref()
                        ),
                    ));
                }
                d.get_ref().clone()
            }
        };
        let command = match &b.command {
            None => return Err(at(
                "command",
                table.clone(),
                "missing required key `build.command` (an argv array, e.g. [\"mvn\", \"package\"])"
                    .into(),
            )),
            Some(c) => {
                let argv: Vec<String> = c.get_ref().iter().map(|a| a.get_ref().clone()).collect();
                if argv.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(at(
                        "command",
                        c.span(),
                        "`build.command` must be a non-empty argv array whose first element \
                         names the program"
                            .into(),
                    ));
                }
                argv
            }
        };
        let artifact = required(&b.artifact, "artifact")?;
        if let Some(a) = &b.artifact {
            let p = Path::new(&artifact);
            if p.is_absolute()
                || p.components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err(at(
                    "artifact",
                    a.span(),
                    format!("`build.artifact` must be a glob relative to `build.dir` (no `..`), got {artifact:?}"),
                ));
            }
        }
        let mut env = BTreeMap::new();
        if let Some(e) = &b.env {
            for (k, v) in e.get_ref() {
                if k.is_empty() || k.contains('=') {
                    return Err(at(
                        "env",
                        v.span(),
                        format!("invalid environment variable name {k:?}"),
                    ));
                }
                env.insert(k.clone(), v.get_ref().clone());
            }
        }
        let timeout_ms = match &b.timeout {
            None => crate::domain::DEFAULT_BUILD_TIMEOUT_MS,
            Some(t) => {
                let d = humantime::parse_duration(t.get_ref().trim()).map_err(|e| {
                    at(
                        "timeout",
                        t.span(),
                        format!(
                            "invalid duration {:?}: {e} (e.g. \"20m\", \"90s\")",
                            t.get_ref()
                        ),
                    )
                })?;
                if d.is_zero() {
                    return Err(at(
                        "timeout",
                        t.span(),
                        "`build.timeout` must be more than 0".into(),
                    ));
                }
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
            }
        };
        let image = b.image.as_ref().map(|i| self.image_step(i)).transpose()?;
        Ok(BuildSpec {
            repo,
            git_ref,
            dir,
            command,
            artifact,
            env,
            timeout_ms,
            image,
        })
    }

    /// `[build] image`: a name and argvs whose placeholders are all known.
    fn image_step(&self, raw: &Spanned<RawImage>) -> Result<ImageStep, ConfigError> {
        let i = raw.get_ref();
        let at = |key: &str, span: Range<usize>, msg: String| {
            self.doc.error_at(
                span,
                super::key_path(&[Seg::key("build"), Seg::key("image"), Seg::key(key)]),
                msg,
            )
        };
        let Some(name) = &i.name else {
            return Err(at(
                "name",
                raw.span(),
                "missing required key `build.image.name` (e.g. \"registry.local/orders:{commit}\")"
                    .into(),
            ));
        };
        if name.get_ref().trim().is_empty() {
            return Err(at(
                "name",
                name.span(),
                "`build.image.name` is empty".into(),
            ));
        }
        // The name is resolved before `{image}` exists.
        if let Some(p) = unknown_placeholder(name.get_ref(), &["artifact", "commit", "version"]) {
            return Err(at(
                "name",
                name.span(),
                format!("unknown placeholder {p} (the name may use {{commit}}, {{version}}, {{artifact}})"),
            ));
        }
        let argv = |key: &str,
                    v: &Spanned<Vec<Spanned<String>>>|
         -> Result<Vec<String>, ConfigError> {
            for a in v.get_ref() {
                if let Some(p) = unknown_placeholder(a.get_ref(), IMAGE_PLACEHOLDERS) {
                    return Err(at(
                        key,
                        a.span(),
                        format!(
                            "unknown placeholder {p} (known: {{artifact}}, {{commit}}, {{version}}, {{image}})"
                        ),
                    ));
                }
            }
            Ok(v.get_ref().iter().map(|a| a.get_ref().clone()).collect())
        };
        let build = match &i.build {
            None => {
                return Err(at(
                    "build",
                    raw.span(),
                    "missing required key `build.image.build` (an argv array, e.g. \
                     [\"docker\", \"build\", \"-t\", \"{image}\", \".\"])"
                        .into(),
                ))
            }
            Some(b) => {
                let v = argv("build", b)?;
                if v.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(at(
                        "build",
                        b.span(),
                        "`build.image.build` must be a non-empty argv array".into(),
                    ));
                }
                v
            }
        };
        let push = match &i.push {
            None => Vec::new(),
            Some(p) => {
                let v = argv("push", p)?;
                if v.first().is_some_and(|p| p.trim().is_empty()) {
                    return Err(at(
                        "push",
                        p.span(),
                        "`build.image.push` must name a program first (or be left out)".into(),
                    ));
                }
                v
            }
        };
        Ok(ImageStep {
            name: name.get_ref().clone(),
            build,
            push,
        })
    }

    /// The jar as an absolute path; it must be an existing file.
    fn jar_file(&self, value: &Spanned<String>) -> Result<String, ConfigError> {
        self.existing_jar(value, "jar_file")
    }

    /// A jar named under `key`, as an absolute path; it must be an existing file.
    fn existing_jar(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let err = |msg: String| self.err(value.span(), key, msg);
        let file = resolve_path(value.get_ref(), Some(self.base))
            .ok_or_else(|| err("path is empty".into()))?;
        let file: PathBuf = std::path::absolute(&file)
            .map_err(|e| err(format!("cannot make {} absolute: {e}", file.display())))?;
        match std::fs::metadata(&file) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(err(format!("{} is not a file", file.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(err(format!("jar file {} not found", file.display())))
            }
            Err(e) => return Err(err(format!("cannot read jar file {}: {e}", file.display()))),
        }
        file.to_str().map(str::to_string).ok_or_else(|| {
            err(format!(
                "the jar path {} is not valid UTF-8",
                file.display()
            ))
        })
    }
}

/// A Kubernetes DNS-1123 label: lower-case alphanumerics and '-', at most 63, alphanumeric ends.
fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Kubernetes resource name (DNS-1123 subdomain): labels joined by '.', at most 253.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// `v1_20`, `v2_0`, ...
fn is_flink_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('_');
    let num =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    num(parts.next()) && num(parts.next()) && parts.next().is_none()
}

/// A Flink memory size: digits and an optional unit (`2048m`, `2g`, `1.5gb`, `512 mb`).
fn is_memory_size(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ' ');
    let unit = s[digits.len()..].trim();
    !digits.is_empty()
        && digits.parse::<f64>().is_ok_and(|n| n > 0.0)
        && matches!(
            unit,
            "" | "b"
                | "k"
                | "kb"
                | "kib"
                | "m"
                | "mb"
                | "mib"
                | "g"
                | "gb"
                | "gib"
                | "t"
                | "tb"
                | "tib"
        )
}

/// Whether a script has no statement: only whitespace, `;`, `-- line` and `/* block */`
/// comments.
fn sql_is_empty(sql: &str) -> bool {
    let mut rest = sql;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map(|(_, after)| after).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, after)| after).unwrap_or("");
        } else {
            return rest.is_empty();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_scripts() {
        for s in [
            "",
            "  \n\t",
            ";;",
            "-- only a comment",
            "-- a\n/* b\n c */ ;\n-- d\n",
            "/* unterminated",
        ] {
            assert!(sql_is_empty(s), "{s:?}");
        }
        for s in [
            "SELECT 1",
            "-- c\nSET 'a' = 'b';",
            "/* x */ INSERT INTO t VALUES (1)",
        ] {
            assert!(!sql_is_empty(s), "{s:?}");
        }
    }

    #[test]
    fn a_target_and_native_kubernetes_keys() {
        let text = "name = \"orders\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n\
                    [target]\ncluster = \"k8s\"\nmode = \"application\"\nflink = \"1.20.5\"\n\
                    options = { \"a.b\" = \"${x}\" }\n\
                    [kubernetes]\nnamespace = \"streaming\"\ncluster_id = \"orders\"\n\
                    image = \"img:1\"\njar = \"local:///opt/flink/usrlib/runner.jar\"\n";
        let spec = parse_app_spec(text, Path::new("/nowhere/a.app.toml")).expect("valid");
        assert_eq!(spec.cluster, "k8s");
        let t = spec.target.expect("target");
        assert_eq!(t.mode, crate::domain::deploy::DeployMode::Application);
        assert_eq!(t.flink.as_deref(), Some("1.20.5"));
        assert_eq!(t.options.get("a.b").map(String::as_str), Some("${x}"));
        let k = t.kubernetes.expect("kubernetes");
        assert_eq!(k.cluster_id.as_deref(), Some("orders"));
        assert_eq!(
            k.jar.as_deref(),
            Some("local:///opt/flink/usrlib/runner.jar")
        );

        let bad = |text: &str, key: &str, words: &str| {
            let e = parse_app_spec(text, Path::new("/nowhere/a.app.toml")).expect_err(text);
            assert_eq!(e.key.as_deref(), Some(key), "{e}");
            assert!(e.message.contains(words), "{e}");
        };
        let head = "name = \"o\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n";
        bad(
            &format!("{head}[target]\ncluster = \"y\"\nmode = \"per-jobs\"\n"),
            "target.mode",
            "unknown mode",
        );
        bad(
            &format!("{head}[target]\ncluster = \"y\"\nmode = \"application\"\nsession = \"a\"\n"),
            "target.session",
            "only for mode = \"session\"",
        );
        bad(
            &format!("{head}[target]\ncluster = \"y\"\nmode = \"session\"\nflink = \"latest\"\n"),
            "target.flink",
            "invalid Flink version",
        );
        bad(
            &format!("{head}[target]\ncluster = \"k\"\nmode = \"application\"\n[kubernetes]\nflink_version = \"v1_20\"\n"),
            "kubernetes.flink_version",
            "Operator apps",
        );
        bad(
            &format!("{head}[target]\ncluster = \"k\"\nmode = \"application\"\n[kubernetes]\njar = \"/opt/x.jar\"\n"),
            "kubernetes.jar",
            "local:///",
        );
        bad(
            &format!("cluster = \"z\"\n{head}[target]\ncluster = \"k\"\nmode = \"session\"\n"),
            "cluster",
            "differs from [target] cluster",
        );
    }

    #[test]
    fn inline_sql_and_option_values() {
        let text = "name = \"a\"\ncluster = \"c\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n\
                    [options]\n\"a.int\" = 4\n\"a.bool\" = true\n\"a.float\" = 0.5\n\"a.s\" = \"10s\"\n";
        let spec = parse_app_spec(text, Path::new("/nowhere/a.app.toml")).expect("valid");
        assert_eq!(spec.sql.as_deref(), Some("SELECT 1"));
        assert_eq!(spec.sql_file, None);
        let opts: Vec<(&str, &str)> = spec
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            opts,
            [
                ("a.bool", "true"),
                ("a.float", "0.5"),
                ("a.int", "4"),
                ("a.s", "10s")
            ]
        );
        assert!(!spec.allow_non_restored_state);
        assert_eq!(spec.parallelism, None);
    }
}
