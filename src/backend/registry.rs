//! `Clusters`: the registry of every cluster flinkdeck knows now. Configured URLs are fixed;
//! entries that expand at run time (kubernetes, yarn) are filled by their [`Discovery`], once per CLI
//! command (`discover`) or continuously for the console (`follow`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio::sync::watch;

use super::{BackendEnv, ClusterHandle, Discovery, DiscoveryRound};
use crate::config::{ClusterKind, Config, ConfigError};
use crate::domain::ClusterRef;
use crate::flink::FlinkError;

/// A part of an entry that could not be looked at: the whole entry (`k8s-prod`: API server
/// unreachable, 401, bad CA) or one namespace (`k8s-prod/secret`: 403).
#[derive(Debug, Clone)]
pub struct DiscoveryProblem {
    /// `<entry>` or `<entry>/<namespace>`.
    pub name: String,
    pub error: FlinkError,
}

/// One configured entry: a fixed cluster or a discovery.
enum Entry {
    Fixed(ClusterHandle),
    Discovered(Arc<dyn Discovery>),
}

#[derive(Default)]
struct Found {
    clusters: Vec<ClusterHandle>,
    problems: Vec<DiscoveryProblem>,
}

struct Inner {
    entries: Vec<Entry>,
    found: RwLock<BTreeMap<String, Found>>,
    changed: watch::Sender<u64>,
}

/// Every known cluster, in configuration order (discovered ones sorted by name within their
/// entry). Cheap to clone; clones share the same view.
#[derive(Clone)]
pub struct Clusters {
    inner: Arc<Inner>,
}

impl Default for Clusters {
    fn default() -> Self {
        Clusters::from_parts(Vec::new())
    }
}

impl Clusters {
    fn from_parts(entries: Vec<Entry>) -> Clusters {
        Clusters {
            inner: Arc::new(Inner {
                entries,
                found: RwLock::new(BTreeMap::new()),
                changed: watch::channel(0).0,
            }),
        }
    }

    /// Sets up every entry of the config. Secrets, CA files and kubeconfigs are read here; a
    /// missing or bad one is a config error naming the entry and the key (or file and context).
    /// Nothing is written to disk (no pod log archive): see [`Clusters::from_config_in`].
    pub fn from_config(config: &Config) -> Result<Clusters, ConfigError> {
        Clusters::from_config_in(
            config,
            &BackendEnv {
                data_dir: None,
                logs: config.logs.clone(),
            },
        )
    }

    /// [`Clusters::from_config`] with a data dir (where the pod log archive lives).
    pub fn from_config_in(config: &Config, env: &BackendEnv) -> Result<Clusters, ConfigError> {
        let mut entries = Vec::with_capacity(config.clusters.len());
        for c in &config.clusters {
            let c = Arc::new(c.clone());
            entries.push(match c.kind {
                ClusterKind::Standalone => Entry::Fixed(super::standalone::handle(c)?),
                ClusterKind::Kubernetes => Entry::Discovered(super::kubernetes::discovery(c, env)?),
                ClusterKind::Yarn => Entry::Discovered(super::yarn::discovery(c)?),
            });
        }
        Ok(Clusters::from_parts(entries))
    }

    /// Fixed handles only (tests and benches that build clusters by hand).
    pub fn from_handles(handles: Vec<ClusterHandle>) -> Clusters {
        Clusters::from_parts(handles.into_iter().map(Entry::Fixed).collect())
    }

    /// Whether some entry is discovered at run time.
    pub fn has_discovery(&self) -> bool {
        self.inner
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Discovered(_)))
    }

    /// Runs one discovery round of every discovered entry (concurrently) and keeps the result.
    pub async fn discover(&self) {
        let rounds =
            futures_util::future::join_all(self.inner.entries.iter().filter_map(|e| match e {
                Entry::Discovered(d) => {
                    Some(async move { (d.entry().to_string(), d.discover().await) })
                }
                Entry::Fixed(_) => None,
            }))
            .await;
        for (entry, round) in rounds {
            self.publish(&entry, round);
        }
    }

    /// Keeps every discovered entry current in the background (watch or re-list), for the
    /// console. Tasks run on the current tokio runtime until it shuts down.
    pub fn follow(&self) {
        for e in &self.inner.entries {
            if let Entry::Discovered(d) = e {
                let me = self.clone();
                let entry = d.entry().to_string();
                let publish = Box::new(move |round: DiscoveryRound| me.publish(&entry, round));
                tokio::spawn(d.clone().follow(publish));
            }
        }
    }

    fn publish(&self, entry: &str, round: DiscoveryRound) {
        let mut clusters = round.clusters;
        clusters.sort_by(|a, b| a.name.cmp(&b.name));
        let changed = {
            let mut found = match self.inner.found.write() {
                Ok(f) => f,
                Err(poisoned) => poisoned.into_inner(),
            };
            let old = found.get(entry);
            let names = |v: &[ClusterHandle]| v.iter().map(|h| h.name.clone()).collect::<Vec<_>>();
            let problems = |v: &[DiscoveryProblem]| {
                v.iter()
                    .map(|p| (p.name.clone(), p.error.message.clone()))
                    .collect::<Vec<_>>()
            };
            let changed = old.is_none_or(|o| {
                names(&o.clusters) != names(&clusters)
                    || problems(&o.problems) != problems(&round.problems)
            });
            found.insert(
                entry.to_string(),
                Found {
                    clusters,
                    problems: round.problems,
                },
            );
            changed
        };
        if changed {
            self.inner.changed.send_modify(|v| *v += 1);
        }
    }

    /// Ticks whenever the set of clusters or of discovery problems changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    /// Every cluster known now, in configuration order.
    pub fn all(&self) -> Vec<ClusterHandle> {
        let found = match self.inner.found.read() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = Vec::new();
        for e in &self.inner.entries {
            match e {
                Entry::Fixed(h) => out.push(h.clone()),
                Entry::Discovered(d) => {
                    if let Some(f) = found.get(d.entry()) {
                        out.extend(f.clusters.iter().cloned());
                    }
                }
            }
        }
        out
    }

    /// What could not be discovered, in configuration order.
    pub fn problems(&self) -> Vec<DiscoveryProblem> {
        let found = match self.inner.found.read() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = Vec::new();
        for e in &self.inner.entries {
            if let Entry::Discovered(d) = e {
                if let Some(f) = found.get(d.entry()) {
                    out.extend(f.problems.iter().cloned());
                }
            }
        }
        out
    }

    pub fn get(&self, name: &str) -> Option<ClusterHandle> {
        self.all().into_iter().find(|h| h.name == name)
    }

    pub fn refs(&self) -> Vec<ClusterRef> {
        self.all().iter().map(ClusterHandle::to_ref).collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.all().into_iter().map(|h| h.name).collect()
    }

    /// The names of the configured entries (a discovered entry by its own name).
    pub fn entry_names(&self) -> Vec<String> {
        self.inner
            .entries
            .iter()
            .map(|e| match e {
                Entry::Fixed(h) => h.name.clone(),
                Entry::Discovered(d) => d.entry().to_string(),
            })
            .collect()
    }
}
