//! Parsing and validating the config file: serde into raw structs (unknown keys denied, values
//! kept with their spans), then checks that point at the offending key.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

mod alerts;

use super::diag::{key_path, Seg, TomlDoc};
use super::{
    AuthConfig, ClusterConfig, ClusterKind, Config, ConfigError, ConfigSource, FlinkHome,
    KubernetesConfig, LogsConfig, SecretSource, StoreConfig, UiConfig, YarnConfig, DEFAULT_TIMEOUT,
    DEFAULT_YARN_ENDED_WINDOW, MIN_INTERVAL,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    ui: Option<RawUi>,
    alerts: Option<alerts::RawAlerts>,
    logs: Option<RawLogs>,
    store: Option<RawStore>,
    clusters: Option<Vec<RawCluster>>,
    flink: Option<Vec<RawFlink>>,
    /// `[vars]` and `[secret_vars]` are read from the document (see [`super::vars`]).
    #[serde(rename = "vars")]
    _vars: Option<serde::de::IgnoredAny>,
    #[serde(rename = "secret_vars")]
    _secret_vars: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlink {
    version: Spanned<String>,
    home: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogs {
    archive_bytes: Option<Spanned<String>>,
    archive_total: Option<Spanned<String>>,
    archive_interval: Option<Spanned<String>>,
    archive_max_age: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    checkpoints_per_job: Option<Spanned<i64>>,
    checkpoint_max_age: Option<Spanned<String>>,
    health_max_age: Option<Spanned<String>>,
    gone_jobs_max_age: Option<Spanned<String>>,
    journal_max_age: Option<Spanned<String>>,
    retention_interval: Option<Spanned<String>>,
    retention_batch: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUi {
    refresh: Option<Spanned<String>>,
    theme: Option<Spanned<String>>,
    readonly: Option<bool>,
    keymap: Option<Spanned<String>>,
    action_timeout: Option<Spanned<String>>,
    detail_budget: Option<Spanned<i64>>,
    hyperlinks: Option<Spanned<String>>,
    clipboard: Option<Spanned<String>>,
    views: Option<std::collections::BTreeMap<String, Spanned<RawView>>>,
    columns: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A `[ui.views]` entry: `name = "expr"` or `name = { filter = "expr", group = "cluster" }`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawView {
    Filter(String),
    Full {
        filter: String,
        group: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCluster {
    name: Spanned<String>,
    kind: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    readonly: Option<bool>,
    detail_budget: Option<Spanned<i64>>,
    web_url: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    ca_cert: Option<Spanned<String>>,
    insecure_skip_verify: Option<bool>,
    kubeconfig: Option<Spanned<String>>,
    context: Option<Spanned<String>>,
    namespaces: Option<Spanned<Vec<Spanned<String>>>>,
    standby_urls: Option<Spanned<Vec<Spanned<String>>>>,
    user: Option<Spanned<String>>,
    ended_window: Option<Spanned<String>>,
}

/// Parses and validates a config file's text; `path` is used in errors and as the base of
/// relative paths.
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let doc = TomlDoc::parse(text, Some(path))?;
    let raw: RawConfig = doc.deserialize()?;
    let cx = Cx {
        doc: &doc,
        base: path.parent().filter(|d| !d.as_os_str().is_empty()),
    };

    let ui = match raw.ui {
        Some(ui) => cx.ui(ui)?,
        None => UiConfig::default(),
    };

    let logs = match raw.logs {
        Some(l) => cx.logs(l)?,
        None => LogsConfig::default(),
    };

    let store = match raw.store {
        Some(st) => cx.store(st)?,
        None => StoreConfig::default(),
    };

    let alerts = match raw.alerts {
        Some(a) => cx.alerts(a)?,
        None => super::AlertsConfig::default(),
    };

    // No clusters is valid: commands that need none (`sql validate --flink`, `apps`, `history`,
    // `audit`) work, and the console says how to add one.
    let raw_clusters = raw.clusters.unwrap_or_default();

    let mut clusters: Vec<ClusterConfig> = Vec::with_capacity(raw_clusters.len());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (i, rc) in raw_clusters.into_iter().enumerate() {
        let name_span = rc.name.span();
        let cluster = cx.cluster(i, rc)?;
        if let Some(line) = first_line.get(&cluster.name) {
            let path = [Seg::key("clusters"), Seg::Index(i), Seg::key("name")];
            return Err(doc.error_at_key(
                &path,
                name_span,
                format!(
                    "duplicate cluster name {:?} (first defined at line {line})",
                    cluster.name
                ),
            ));
        }
        first_line.insert(cluster.name.clone(), doc.line_col(name_span.start).0);
        clusters.push(cluster);
    }

    let mut flink: Vec<FlinkHome> = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (i, rf) in raw.flink.unwrap_or_default().into_iter().enumerate() {
        let version_span = rf.version.span();
        let home = cx.flink_home(i, rf)?;
        if let Some(line) = first_line.get(&home.version) {
            let path = [Seg::key("flink"), Seg::Index(i), Seg::key("version")];
            return Err(doc.error_at_key(
                &path,
                version_span,
                format!(
                    "duplicate Flink version {:?} (first defined at line {line})",
                    home.version
                ),
            ));
        }
        first_line.insert(home.version.clone(), doc.line_col(version_span.start).0);
        flink.push(home);
    }

    let vars = super::vars::plain_vars(&doc)?;
    let secret_vars = super::vars::secret_vars(&doc, cx.base, &vars)?;

    Ok(Config {
        ui,
        logs,
        store,
        alerts,
        clusters,
        flink,
        vars,
        secret_vars,
        source: ConfigSource::File(path.to_path_buf()),
    })
}

struct Cx<'d, 'a> {
    doc: &'d TomlDoc<'a>,
    base: Option<&'d Path>,
}

impl Cx<'_, '_> {
    fn err(&self, span: Range<usize>, key: &str, msg: impl Into<String>) -> ConfigError {
        self.doc.error_at(span, key, msg)
    }

    /// Refuses the keys of cluster kind `kind` ("yarn" or "kubernetes") in an entry of another
    /// kind, at the first one given.
    fn only_for_kind(
        &self,
        raw: &RawCluster,
        kind: &str,
        key: &dyn Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        let spans = match kind {
            "yarn" => [
                ("standby_urls", raw.standby_urls.as_ref().map(|v| v.span())),
                ("user", raw.user.as_ref().map(|v| v.span())),
                ("ended_window", raw.ended_window.as_ref().map(|v| v.span())),
            ],
            _ => [
                ("kubeconfig", raw.kubeconfig.as_ref().map(|v| v.span())),
                ("context", raw.context.as_ref().map(|v| v.span())),
                ("namespaces", raw.namespaces.as_ref().map(|v| v.span())),
            ],
        };
        for (field, span) in spans {
            if let Some(span) = span {
                return Err(self.err(
                    span,
                    &key(field),
                    format!("`{field}` applies to kind = \"{kind}\" only"),
                ));
            }
        }
        Ok(())
    }

    fn ui(&self, raw: RawUi) -> Result<UiConfig, ConfigError> {
        let mut ui = UiConfig::default();
        if let Some(r) = raw.refresh {
            ui.refresh = self.duration(&r, "ui.refresh")?;
        }
        if let Some(t) = raw.theme {
            if !is_name(t.get_ref()) {
                return Err(self.err(
                    t.span(),
                    "ui.theme",
                    format!(
                        "invalid theme name {:?}: use letters, digits, '.', '_' or '-' \
                         (a theme is looked up by name, not by path)",
                        t.get_ref()
                    ),
                ));
            }
            ui.theme = t.into_inner();
        }
        if let Some(r) = raw.readonly {
            ui.readonly = r;
        }
        if let Some(k) = raw.keymap {
            ui.keymap = Some(self.path(&k, "ui.keymap")?);
        }
        if let Some(t) = raw.action_timeout {
            ui.action_timeout = self.duration(&t, "ui.action_timeout")?;
        }
        if let Some(b) = &raw.detail_budget {
            ui.detail_budget = self.budget(b, "ui.detail_budget")?;
        }
        if let Some(h) = &raw.hyperlinks {
            ui.hyperlinks = self.switch(h, "ui.hyperlinks")?;
        }
        if let Some(c) = &raw.clipboard {
            ui.clipboard = self.switch(c, "ui.clipboard")?;
        }
        for (name, v) in raw.views.into_iter().flatten() {
            ui.views.push(self.view(name, v)?);
        }
        if let Some(list) = &raw.columns {
            ui.columns = Some(self.columns(list)?);
        }
        Ok(ui)
    }

    /// An `auto` / `on` / `off` switch.
    fn switch(
        &self,
        v: &Spanned<String>,
        key: &str,
    ) -> Result<crate::domain::terminal::Switch, ConfigError> {
        v.get_ref().parse().map_err(|()| {
            self.err(
                v.span(),
                key,
                format!(
                    "invalid value {:?}; expected {}",
                    v.get_ref(),
                    super::expected_list(&crate::domain::terminal::Switch::NAMES)
                ),
            )
        })
    }

    /// One `[ui.views]` entry; a bad filter is an error at the column inside the string.
    fn view(
        &self,
        name: String,
        v: Spanned<RawView>,
    ) -> Result<crate::domain::filter::View, ConfigError> {
        use crate::domain::filter::{Filter, GroupBy, View};
        let key = key_path(&[Seg::key("ui"), Seg::key("views"), Seg::key(&name)]);
        let span = v.span();
        let (expr, group) = match v.into_inner() {
            RawView::Filter(f) => (f, None),
            RawView::Full { filter, group } => (filter, group),
        };
        let filter = Filter::parse(&expr).map_err(|e| {
            // A plain string: the value starts after its opening quote.
            let inline = self.doc.text(span.clone()).starts_with('"');
            let at = if inline {
                let offset: usize = expr
                    .chars()
                    .take(e.column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                let start = span.start + 1 + offset;
                start..start + 1
            } else {
                span.clone()
            };
            self.err(at, &key, format!("bad filter {expr:?}: {e}"))
        })?;
        let group = match group {
            None => None,
            Some(g) => Some(GroupBy::parse(&g).ok_or_else(|| {
                self.err(
                    span.clone(),
                    &key,
                    format!("unknown group {g:?}; expected none, cluster, team or app"),
                )
            })?),
        };
        Ok(View {
            name,
            filter,
            group,
        })
    }

    /// `[ui] columns`: known column names, each once, at least one.
    fn columns(
        &self,
        list: &Spanned<Vec<Spanned<String>>>,
    ) -> Result<Vec<crate::domain::job_columns::JobColumn>, ConfigError> {
        use crate::domain::job_columns::JobColumn;
        let mut out = Vec::new();
        for item in list.get_ref() {
            let name = item.get_ref();
            let Some(c) = JobColumn::parse(name) else {
                return Err(self.err(
                    item.span(),
                    "ui.columns",
                    format!(
                        "unknown column {name:?}: the columns are {}",
                        JobColumn::names()
                    ),
                ));
            };
            if out.contains(&c) {
                return Err(self.err(
                    item.span(),
                    "ui.columns",
                    format!("column {name:?} is listed twice"),
                ));
            }
            out.push(c);
        }
        if out.is_empty() {
            return Err(self.err(
                list.span(),
                "ui.columns",
                format!("no column listed: pick from {}", JobColumn::names()),
            ));
        }
        Ok(out)
    }

    /// A `detail_budget`: requests per second, 0..=10000.
    fn budget(&self, b: &Spanned<i64>, key: &str) -> Result<u32, ConfigError> {
        match u32::try_from(*b.get_ref()) {
            Ok(n) if n <= 10_000 => Ok(n),
            _ => Err(self.err(
                b.span(),
                key,
                format!(
                    "invalid detail budget {}: use a number of requests per second from 0 to 10000",
                    b.get_ref()
                ),
            )),
        }
    }

    fn logs(&self, raw: RawLogs) -> Result<LogsConfig, ConfigError> {
        let mut logs = LogsConfig::default();
        let size = |v: &Spanned<String>, key: &str| {
            super::parse_byte_size(v.get_ref()).ok_or_else(|| {
                self.err(
                    v.span(),
                    key,
                    format!(
                        "invalid size {:?} (examples: \"1MiB\", \"512KiB\", \"64MiB\")",
                        v.get_ref()
                    ),
                )
            })
        };
        if let Some(b) = &raw.archive_bytes {
            logs.archive_bytes = size(b, "logs.archive_bytes")?;
        }
        if let Some(t) = &raw.archive_total {
            logs.archive_total = size(t, "logs.archive_total")?;
            if logs.archive_total < logs.archive_bytes {
                return Err(self.err(
                    t.span(),
                    "logs.archive_total",
                    "archive_total is smaller than archive_bytes (one container's tail)",
                ));
            }
        }
        if let Some(i) = &raw.archive_interval {
            logs.archive_interval = self.duration(i, "logs.archive_interval")?;
        }
        if let Some(a) = &raw.archive_max_age {
            logs.archive_max_age = self.age(a, "logs.archive_max_age")?;
        }
        Ok(logs)
    }

    /// A retention age: a duration, or `"0"` (zero: keep forever).
    fn age(&self, v: &Spanned<String>, key: &str) -> Result<Duration, ConfigError> {
        let text = v.get_ref().trim();
        if text == "0" {
            return Ok(Duration::ZERO);
        }
        humantime::parse_duration(text).map_err(|e| {
            self.err(
                v.span(),
                key,
                format!(
                    "invalid age {text:?}: {e} (examples: \"30d\", \"12h\"; \"0\" keeps \
                     forever)"
                ),
            )
        })
    }

    fn store(&self, raw: RawStore) -> Result<StoreConfig, ConfigError> {
        let mut st = StoreConfig::default();
        let count = |v: &Spanned<i64>, key: &str| {
            usize::try_from(*v.get_ref())
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| self.err(v.span(), key, "must be a whole number of at least 1"))
        };
        let age = |v: &Spanned<String>, key: &str| self.age(v, key);
        if let Some(v) = &raw.checkpoints_per_job {
            st.checkpoints_per_job = count(v, "store.checkpoints_per_job")?;
        }
        if let Some(v) = &raw.checkpoint_max_age {
            st.checkpoint_max_age = age(v, "store.checkpoint_max_age")?;
        }
        if let Some(v) = &raw.health_max_age {
            st.health_max_age = age(v, "store.health_max_age")?;
        }
        if let Some(v) = &raw.gone_jobs_max_age {
            st.gone_jobs_max_age = age(v, "store.gone_jobs_max_age")?;
        }
        if let Some(v) = &raw.journal_max_age {
            st.journal_max_age = age(v, "store.journal_max_age")?;
        }
        if let Some(v) = &raw.retention_interval {
            st.retention_interval = self.duration(v, "store.retention_interval")?;
        }
        if let Some(v) = &raw.retention_batch {
            st.retention_batch = count(v, "store.retention_batch")?;
        }
        Ok(st)
    }

    fn cluster(&self, i: usize, raw: RawCluster) -> Result<ClusterConfig, ConfigError> {
        let key = |field: &str| key_path(&[Seg::key("clusters"), Seg::Index(i), Seg::key(field)]);

        let name = raw.name.get_ref();
        if !is_name(name) {
            let why = if name.is_empty() {
                "cluster name is empty".to_string()
            } else {
                format!("invalid cluster name {name:?}: use letters, digits, '.', '_' or '-'")
            };
            return Err(self.err(raw.name.span(), &key("name"), why));
        }

        let kind = match &raw.kind {
            None => ClusterKind::Standalone,
            Some(k) => ClusterKind::parse(k.get_ref()).ok_or_else(|| {
                let allowed: Vec<&str> = ClusterKind::ALL.iter().map(|k| k.as_str()).collect();
                self.err(
                    k.span(),
                    &key("kind"),
                    format!(
                        "unknown cluster kind {:?}; expected {}",
                        k.get_ref(),
                        super::expected_list(&allowed)
                    ),
                )
            })?,
        };

        if kind != ClusterKind::Yarn {
            self.only_for_kind(&raw, "yarn", &key)?;
        }

        let (url, kubernetes, yarn) = match kind {
            ClusterKind::Standalone => {
                let Some(raw_url) = &raw.url else {
                    return Err(self.err(
                        raw.name.span(),
                        &key("url"),
                        format!(
                            "cluster {name:?} has no `url`: a standalone cluster needs its \
                             JobManager REST URL (e.g. url = \"http://localhost:8081\")"
                        ),
                    ));
                };
                self.only_for_kind(&raw, "kubernetes", &key)?;
                let mut url = self.http_url(raw_url, &key("url"), true)?;
                if !url.path().ends_with('/') {
                    let p = format!("{}/", url.path());
                    url.set_path(&p);
                }
                (Some(url), None, None)
            }
            ClusterKind::Kubernetes => (None, Some(self.kubernetes(&raw, &key)?), None),
            ClusterKind::Yarn => {
                let (url, yarn) = self.yarn(&raw, &key)?;
                (Some(url), None, Some(yarn))
            }
        };

        let timeout = match &raw.timeout {
            Some(t) => self.duration(t, &key("timeout"))?,
            None => DEFAULT_TIMEOUT,
        };

        let web_url = match &raw.web_url {
            Some(w) => Some(self.http_url(w, &key("web_url"), false)?),
            None => None,
        };

        let auth = self.auth(&raw, &key)?;

        let ca_cert = match &raw.ca_cert {
            Some(c) => Some(self.path(c, &key("ca_cert"))?),
            None => None,
        };

        let detail_budget = match &raw.detail_budget {
            Some(b) => Some(self.budget(b, &key("detail_budget"))?),
            None => None,
        };

        Ok(ClusterConfig {
            name: raw.name.get_ref().clone(),
            detail_budget,
            kind,
            url,
            kubernetes,
            yarn,
            timeout,
            auth,
            ca_cert,
            insecure_skip_verify: raw.insecure_skip_verify.unwrap_or(false),
            readonly: raw.readonly.unwrap_or(false),
            web_url,
        })
    }

    /// The keys of a `kind = "kubernetes"` entry. Credentials, CA and server come from the
    /// kubeconfig, so the REST-only keys are refused here.
    fn kubernetes(
        &self,
        raw: &RawCluster,
        key: &dyn Fn(&str) -> String,
    ) -> Result<KubernetesConfig, ConfigError> {
        let rest_only = [
            ("url", raw.url.as_ref().map(|v| v.span())),
            ("token_env", raw.token_env.as_ref().map(|v| v.span())),
            ("token_file", raw.token_file.as_ref().map(|v| v.span())),
            ("username", raw.username.as_ref().map(|v| v.span())),
            ("password_env", raw.password_env.as_ref().map(|v| v.span())),
            (
                "password_file",
                raw.password_file.as_ref().map(|v| v.span()),
            ),
            ("ca_cert", raw.ca_cert.as_ref().map(|v| v.span())),
        ];
        for (field, span) in rest_only {
            if let Some(span) = span {
                return Err(self.err(
                    span,
                    &key(field),
                    format!(
                        "`{field}` does not apply to kind = \"kubernetes\": the API server, \
                         its CA and the credentials come from the kubeconfig"
                    ),
                ));
            }
        }
        let kubeconfig = match &raw.kubeconfig {
            Some(k) => Some(self.path(k, &key("kubeconfig"))?),
            None => None,
        };
        let context = match &raw.context {
            Some(c) if c.get_ref().trim().is_empty() => {
                return Err(self.err(c.span(), &key("context"), "context is empty"));
            }
            Some(c) => Some(c.get_ref().clone()),
            None => None,
        };
        let mut namespaces = Vec::new();
        if let Some(list) = &raw.namespaces {
            for ns in list.get_ref() {
                let n = ns.get_ref();
                let valid = n == "*"
                    || (!n.is_empty()
                        && n.len() <= 63
                        && n.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !n.starts_with('-')
                        && !n.ends_with('-'));
                if !valid {
                    return Err(self.err(
                        ns.span(),
                        &key("namespaces"),
                        format!(
                            "invalid namespace {n:?}: lower-case letters, digits and '-', or \
                             \"*\" for all namespaces"
                        ),
                    ));
                }
                namespaces.push(n.clone());
            }
            if namespaces.len() > 1 && namespaces.iter().any(|n| n == "*") {
                return Err(self.err(
                    list.span(),
                    &key("namespaces"),
                    "\"*\" (all namespaces) cannot be combined with named namespaces",
                ));
            }
        }
        Ok(KubernetesConfig {
            kubeconfig,
            context,
            namespaces,
        })
    }

    /// The keys of a `kind = "yarn"` entry: the ResourceManager `url` (required), `standby_urls`,
    /// `user` and `ended_window`. The kubeconfig keys are refused; the auth keys apply to the
    /// ResourceManager (credentials from env or file only).
    fn yarn(
        &self,
        raw: &RawCluster,
        key: &dyn Fn(&str) -> String,
    ) -> Result<(url::Url, YarnConfig), ConfigError> {
        self.only_for_kind(raw, "kubernetes", key)?;
        let Some(raw_url) = &raw.url else {
            return Err(self.err(
                raw.name.span(),
                &key("url"),
                format!(
                    "cluster {:?} has no `url`: a yarn entry needs the ResourceManager web \
                     address (e.g. url = \"http://rm1:8088\")",
                    raw.name.get_ref()
                ),
            ));
        };
        let with_slash = |mut u: url::Url| {
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
            u
        };
        let url = with_slash(self.http_url(raw_url, &key("url"), true)?);
        let mut standby_urls = Vec::new();
        if let Some(list) = &raw.standby_urls {
            for u in list.get_ref() {
                let parsed = with_slash(self.http_url(u, &key("standby_urls"), true)?);
                if parsed == url || standby_urls.contains(&parsed) {
                    return Err(self.err(
                        u.span(),
                        &key("standby_urls"),
                        format!("{:?} is listed twice (url and standby_urls)", u.get_ref()),
                    ));
                }
                standby_urls.push(parsed);
            }
        }
        let user = match &raw.user {
            Some(u) => {
                let name = u.get_ref().trim();
                if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '&') {
                    return Err(self.err(
                        u.span(),
                        &key("user"),
                        format!(
                            "invalid YARN user {:?}: a user name without spaces (sent as \
                             user.name=<user>; passwords and tokens go in password_env / \
                             token_env / *_file)",
                            u.get_ref()
                        ),
                    ));
                }
                Some(name.to_string())
            }
            None => None,
        };
        let ended_window = match &raw.ended_window {
            Some(w) => self.duration(w, &key("ended_window"))?,
            None => DEFAULT_YARN_ENDED_WINDOW,
        };
        Ok((
            url,
            YarnConfig {
                standby_urls,
                user,
                ended_window,
            },
        ))
    }

    /// One `[[flink]]` entry; that `home` has a `lib/` is checked when it is used.
    fn flink_home(&self, i: usize, raw: RawFlink) -> Result<FlinkHome, ConfigError> {
        let key = |field: &str| key_path(&[Seg::key("flink"), Seg::Index(i), Seg::key(field)]);
        let version = raw.version.get_ref().trim();
        let valid = version.starts_with(|c: char| c.is_ascii_digit())
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !valid {
            return Err(self.err(
                raw.version.span(),
                &key("version"),
                format!(
                    "invalid Flink version {:?}: expected a version such as \"1.20.5\" or \"2.3.0\"",
                    raw.version.get_ref()
                ),
            ));
        }
        let home = self.path(&raw.home, &key("home"))?;
        Ok(FlinkHome {
            version: version.to_string(),
            home,
        })
    }

    fn auth(
        &self,
        raw: &RawCluster,
        key: &dyn Fn(&str) -> String,
    ) -> Result<AuthConfig, ConfigError> {
        let token = self.secret_pair(&raw.token_env, &raw.token_file, "token", key)?;
        let password = self.secret_pair(&raw.password_env, &raw.password_file, "password", key)?;
        let username = match &raw.username {
            Some(u) if u.get_ref().trim().is_empty() => {
                return Err(self.err(u.span(), &key("username"), "username is empty"));
            }
            other => other.as_ref(),
        };

        if token.is_some() {
            let basic_field = if let Some(u) = username {
                Some((u.span(), "username"))
            } else if let Some(p) = &raw.password_env {
                Some((p.span(), "password_env"))
            } else {
                raw.password_file
                    .as_ref()
                    .map(|p| (p.span(), "password_file"))
            };
            if let Some((span, field)) = basic_field {
                return Err(self.err(
                    span,
                    &key(field),
                    "a bearer token (token_env / token_file) and basic auth (username + \
                     password) cannot both be set",
                ));
            }
        }

        match (token, username, password) {
            (Some(source), _, _) => Ok(AuthConfig::Token { source }),
            (None, Some(u), Some(password)) => Ok(AuthConfig::Basic {
                username: u.get_ref().clone(),
                password,
            }),
            (None, Some(u), None) => Err(self.err(
                u.span(),
                &key("username"),
                "`username` needs `password_env` or `password_file`",
            )),
            (None, None, Some(_)) => {
                let (span, field) = match (&raw.password_env, &raw.password_file) {
                    (Some(p), _) => (p.span(), "password_env"),
                    (None, Some(p)) => (p.span(), "password_file"),
                    (None, None) => (0..0, "password_env"),
                };
                Err(self.err(span, &key(field), format!("`{field}` needs `username`")))
            }
            (None, None, None) => Ok(AuthConfig::None),
        }
    }

    /// `<what>_env` / `<what>_file`: at most one of them.
    fn secret_pair(
        &self,
        env: &Option<Spanned<String>>,
        file: &Option<Spanned<String>>,
        what: &str,
        key: &dyn Fn(&str) -> String,
    ) -> Result<Option<SecretSource>, ConfigError> {
        let env_key = format!("{what}_env");
        let file_key = format!("{what}_file");
        match (env, file) {
            (Some(e), Some(f)) => {
                // Point at whichever of the two comes second in the file.
                let (span, field) = if f.span().start > e.span().start {
                    (f.span(), &file_key)
                } else {
                    (e.span(), &env_key)
                };
                Err(self.err(
                    span,
                    &key(field),
                    format!("set either `{env_key}` or `{file_key}`, not both"),
                ))
            }
            (Some(e), None) => {
                let var = e.get_ref();
                if var.is_empty() || var.contains(['=', '\0']) {
                    return Err(self.err(
                        e.span(),
                        &key(&env_key),
                        format!("invalid environment variable name {var:?}"),
                    ));
                }
                Ok(Some(SecretSource::Env(var.clone())))
            }
            (None, Some(f)) => Ok(Some(SecretSource::File(self.path(f, &key(&file_key))?))),
            (None, None) => Ok(None),
        }
    }

    fn duration(&self, value: &Spanned<String>, key: &str) -> Result<Duration, ConfigError> {
        let text = value.get_ref();
        let d = humantime::parse_duration(text.trim()).map_err(|e| {
            self.err(
                value.span(),
                key,
                format!("invalid duration {text:?}: {e} (examples: \"500ms\", \"2s\", \"1m\")"),
            )
        })?;
        if d < MIN_INTERVAL {
            return Err(self.err(
                value.span(),
                key,
                format!("duration {text:?} is too short; the minimum is 100ms"),
            ));
        }
        Ok(d)
    }

    fn http_url(
        &self,
        value: &Spanned<String>,
        key: &str,
        rest_endpoint: bool,
    ) -> Result<url::Url, ConfigError> {
        let text = value.get_ref();
        let shown = redact_userinfo(text);
        let err = |msg: String| self.err(value.span(), key, msg);
        let url =
            url::Url::parse(text.trim()).map_err(|e| err(format!("invalid URL {shown:?}: {e}")))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(err(format!(
                "unsupported URL scheme `{}` in {shown:?}; expected http or https",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(err(format!("URL {shown:?} has no host")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err(format!(
                "URL {shown:?} contains credentials; use `username` + `password_env` / \
                 `password_file`, or `token_env` / `token_file`"
            )));
        }
        if rest_endpoint && (url.query().is_some() || url.fragment().is_some()) {
            return Err(err(format!(
                "URL {shown:?} must not have a query or fragment"
            )));
        }
        Ok(url)
    }

    /// A path from the file: `~/` is the home directory; relative paths are relative to the
    /// config file's directory.
    fn path(&self, value: &Spanned<String>, key: &str) -> Result<PathBuf, ConfigError> {
        resolve_path(value.get_ref(), self.base)
            .ok_or_else(|| self.err(value.span(), key, "path is empty"))
    }
}

/// Resolves `~/` and relative paths; `None` for an empty path.
pub(super) fn resolve_path(text: &str, base: Option<&Path>) -> Option<PathBuf> {
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = text.strip_prefix("~/") {
        if let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()) {
            return Some(home.join(rest));
        }
    }
    let p = PathBuf::from(text);
    if p.is_relative() {
        if let Some(base) = base {
            return Some(base.join(p));
        }
    }
    Some(p)
}

/// `[A-Za-z0-9._-]+`.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Hides `user:password@` in a URL-ish text before it goes into a message.
fn redact_userinfo(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i + 3], &text[i + 3..]),
        None => ("", text),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact_userinfo("http://u:p@h:1/x"), "http://***@h:1/x");
        assert_eq!(redact_userinfo("http://h/x@y"), "http://h/x@y");
    }

    #[test]
    fn names() {
        assert!(is_name("prod-a.eu_1"));
        assert!(!is_name(""));
        assert!(!is_name("a b"));
        assert!(!is_name("../x/y"));
    }
}
