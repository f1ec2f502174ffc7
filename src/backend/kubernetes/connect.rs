//! From a `kind = "kubernetes"` entry to a `kube::Client`: which kubeconfig and context (read and
//! checked synchronously at start-up, so that a missing file or an unknown context is a config
//! error), and the client itself (built lazily, on the async runtime, by kube: TLS verified with
//! the kubeconfig's CA; token, client certificate or exec plugin as kube does them). Nothing of a
//! credential is ever printed or logged: messages name files, contexts and servers only.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use crate::config::{ClusterConfig, ConfigError};
use crate::flink::FlinkError;

/// Where an entry's credentials come from, checked at start-up.
#[derive(Clone)]
pub(crate) enum KubeSource {
    /// A kubeconfig file (or the files of `$KUBECONFIG`, merged) and the context to use.
    File {
        /// The file(s) it was read from, for messages.
        paths: Vec<PathBuf>,
        kubeconfig: Box<Kubeconfig>,
        context: String,
        /// The context's namespace, else `default`.
        namespace: String,
    },
    /// The pod's service account (`KUBERNETES_SERVICE_HOST` and the mounted token).
    InCluster { namespace: String },
}

impl std::fmt::Debug for KubeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the kubeconfig itself: it may hold tokens and keys.
        match self {
            KubeSource::File { paths, context, .. } => f
                .debug_struct("File")
                .field("paths", paths)
                .field("context", context)
                .finish(),
            KubeSource::InCluster { namespace } => f
                .debug_struct("InCluster")
                .field("namespace", namespace)
                .finish(),
        }
    }
}

impl KubeSource {
    /// The namespace used when the entry names none.
    pub(crate) fn default_namespace(&self) -> &str {
        match self {
            KubeSource::File { namespace, .. } | KubeSource::InCluster { namespace } => namespace,
        }
    }

    /// `context prod-east of /home/me/.kube/config`, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            KubeSource::File { paths, context, .. } => {
                format!("context {context:?} of {}", join_paths(paths))
            }
            KubeSource::InCluster { .. } => "the in-cluster service account".to_string(),
        }
    }
}

/// A connected entry: the client every cluster of the entry shares, and the API server URL.
#[derive(Clone)]
pub(crate) struct Connected {
    pub client: kube::Client,
    pub api_url: url::Url,
}

/// The kubeconfig of an entry: its `kubeconfig` key, else `$KUBECONFIG` (a list of files, merged
/// as kubectl does), else `~/.kube/config`, else the in-cluster service account. The file is
/// read and the context checked here; errors name the file (with line and column when the YAML
/// parser gives them) or list the contexts that exist.
pub(crate) fn load(config: &ClusterConfig) -> Result<KubeSource, ConfigError> {
    let kc = config.kubernetes.clone().unwrap_or_default();
    let key = |field: &str| format!("clusters[{:?}].{field}", config.name);
    let paths: Vec<PathBuf> = if let Some(p) = &kc.kubeconfig {
        vec![p.clone()]
    } else if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    } else {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()));
        match home.map(|h| h.join(".kube").join("config")) {
            Some(p) if p.exists() => vec![p],
            _ => Vec::new(),
        }
    };
    if paths.is_empty() {
        if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
            let namespace =
                std::fs::read_to_string("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
                    .ok()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "default".to_string());
            return Ok(KubeSource::InCluster { namespace });
        }
        return Err(ConfigError::new(
            "no kubeconfig: set `kubeconfig`, $KUBECONFIG, or create ~/.kube/config \
             (and flinkdeck is not running inside a Kubernetes pod)",
        )
        .with_key(key("kubeconfig")));
    }
    let mut merged: Option<Kubeconfig> = None;
    for p in &paths {
        let one = read_kubeconfig(p).map_err(|e| e.with_key(key("kubeconfig")))?;
        merged = Some(match merged {
            None => one,
            Some(m) => m.merge(one).map_err(|e| {
                ConfigError::new(format!("cannot merge the kubeconfig files: {e}"))
                    .with_path(p)
                    .with_key(key("kubeconfig"))
            })?,
        });
    }
    let kubeconfig = merged.unwrap_or_default();
    let context = match (&kc.context, &kubeconfig.current_context) {
        (Some(c), _) => c.clone(),
        (None, Some(c)) if !c.is_empty() => c.clone(),
        _ => {
            return Err(ConfigError::new(format!(
                "{} sets no current-context: name one with `context` ({})",
                join_paths(&paths),
                known_contexts(&kubeconfig)
            ))
            .with_key(key("context")));
        }
    };
    let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
        return Err(ConfigError::new(format!(
            "context {context:?} is not in {} ({})",
            join_paths(&paths),
            known_contexts(&kubeconfig)
        ))
        .with_key(key("context")));
    };
    let ctx = named.context.clone().unwrap_or_default();
    if !kubeconfig.clusters.iter().any(|c| c.name == ctx.cluster) {
        return Err(ConfigError::new(format!(
            "context {context:?} names cluster {:?}, which is not in {}",
            ctx.cluster,
            join_paths(&paths)
        ))
        .with_key(key("context")));
    }
    if let Some(user) = &ctx.user {
        if !kubeconfig.auth_infos.iter().any(|u| &u.name == user) {
            return Err(ConfigError::new(format!(
                "context {context:?} names user {user:?}, which is not in {}",
                join_paths(&paths)
            ))
            .with_key(key("context")));
        }
    }
    let namespace = ctx
        .namespace
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string());
    Ok(KubeSource::File {
        paths,
        kubeconfig: Box::new(kubeconfig),
        context,
        namespace,
    })
}

/// Reads one kubeconfig file; a missing or unparsable file is an error naming it.
fn read_kubeconfig(path: &Path) -> Result<Kubeconfig, ConfigError> {
    if let Err(e) = std::fs::metadata(path) {
        let msg = if e.kind() == std::io::ErrorKind::NotFound {
            "kubeconfig file not found".to_string()
        } else {
            format!("cannot read the kubeconfig: {e}")
        };
        return Err(ConfigError::new(msg).with_path(path));
    }
    // read_from also makes relative certificate, key and token file paths absolute.
    Kubeconfig::read_from(path).map_err(|e| {
        let (msg, at) = describe_kubeconfig_error(&e);
        let err = ConfigError::new(msg).with_path(path);
        match at {
            Some((line, col)) => err.at(line, col),
            None => err,
        }
    })
}

/// A kubeconfig error as one message, plus the YAML position when the parser gives one.
fn describe_kubeconfig_error(e: &KubeconfigError) -> (String, Option<(usize, usize)>) {
    match e {
        KubeconfigError::Parse(p) => {
            let text = p.to_string();
            (
                format!(
                    "the kubeconfig is not valid YAML: {}",
                    crate::flink::one_line(&text, 300)
                ),
                yaml_position(&text),
            )
        }
        KubeconfigError::ReadConfig(io, _) => (format!("cannot read the kubeconfig: {io}"), None),
        other => (format!("invalid kubeconfig: {other}"), None),
    }
}

/// `line 3 column 5` / `line 3, column 5` / `at line 3:5` in a YAML parser message.
pub(crate) fn yaml_position(text: &str) -> Option<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("line ")?;
    let rest = &lower[at + 5..];
    let line_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let line: usize = rest[..line_end].parse().ok()?;
    let after = &rest[line_end..];
    let col = if let Some(i) = after.find("column ") {
        let c = &after[i + 7..];
        let end = c.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(c.len());
        c[..end].parse().ok()
    } else if let Some(c) = after.strip_prefix(':') {
        let end = c.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(c.len());
        c[..end].parse().ok()
    } else {
        None
    };
    Some((line, col.unwrap_or(1)))
}

fn known_contexts(k: &Kubeconfig) -> String {
    if k.contexts.is_empty() {
        return "it defines no contexts".to_string();
    }
    let names: Vec<String> = k.contexts.iter().map(|c| format!("{:?}", c.name)).collect();
    format!("contexts: {}", names.join(", "))
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the entry's client (async: kube may run the exec plugin and read certificate files).
/// A failure is a problem of the whole entry, with a one-line reason.
pub(crate) async fn connect(source: &KubeSource, entry: &str) -> Result<Connected, FlinkError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = match source {
        KubeSource::File {
            kubeconfig,
            context,
            ..
        } => {
            let opts = KubeConfigOptions {
                context: Some(context.clone()),
                cluster: None,
                user: None,
            };
            kube::Config::from_custom_kubeconfig((**kubeconfig).clone(), &opts)
                .await
                .map_err(|e| {
                    FlinkError::local(
                        entry,
                        format!("{}: cannot use the kubeconfig: {e}", source.describe()),
                    )
                })?
        }
        KubeSource::InCluster { .. } => kube::Config::incluster().map_err(|e| {
            FlinkError::local(
                entry,
                format!("cannot use the in-cluster service account: {e}"),
            )
        })?,
    };
    let api_url = api_url(&config.cluster_url).map_err(|e| FlinkError::local(entry, e))?;
    let client = kube::Client::try_from(config).map_err(|e| {
        FlinkError::local(
            entry,
            format!(
                "{}: cannot set up the Kubernetes client: {e}",
                source.describe()
            ),
        )
    })?;
    Ok(Connected { client, api_url })
}

/// The API server URL as a `url::Url` whose path ends with `/`.
fn api_url(uri: &http::Uri) -> Result<url::Url, String> {
    let mut u = url::Url::parse(&uri.to_string())
        .map_err(|e| format!("invalid API server URL {uri}: {e}"))?;
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions() {
        assert_eq!(
            yaml_position("invalid type at line 3 column 5"),
            Some((3, 5))
        );
        assert_eq!(yaml_position("error at line 7:12: x"), Some((7, 12)));
        assert_eq!(yaml_position("no position"), None);
    }

    #[test]
    fn api_urls_end_with_a_slash() {
        let u = api_url(&"https://10.0.0.1:6443".parse().unwrap()).unwrap();
        assert_eq!(u.as_str(), "https://10.0.0.1:6443/");
        let u = api_url(&"https://h/k8s/clusters/c-1".parse().unwrap()).unwrap();
        assert_eq!(u.as_str(), "https://h/k8s/clusters/c-1/");
    }
}
