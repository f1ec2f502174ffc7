//! `--team`, `--tag`, `--filter` and `--view` of `flinkdeck jobs` and `flinkdeck apps`: one
//! [`Filter`] from the flags (all ANDed; a repeated `--team` or `--tag` means any of them, like a
//! repeated key in the expression).

use std::collections::HashMap;

use crate::config::Config;
use crate::domain::filter::{Filter, FilterKey};
use crate::domain::{AppSummary, JobKey};
use crate::store::{JobTags, Store, StoreError};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
    /// Only apps (jobs of apps) of this team; repeatable (any of them).
    #[arg(long, value_name = "TEAM")]
    pub team: Vec<String>,
    /// Only apps or jobs with this tag (spec tags; local tags of unmanaged jobs); repeatable
    /// (any of them).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// A filter expression, as typed after `/` in the console, e.g.
    /// `team:payments tag:tier-1 state:restarting orders`.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// A named view from `[ui.views]` (its filter; the grouping is the console's).
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
}

impl FilterArgs {
    /// The filter the flags ask for; the error says which flag is wrong and why.
    pub fn build(&self, config: &Config) -> Result<Filter, String> {
        let mut filter = Filter::default();
        if let Some(name) = &self.view {
            let views = &config.ui.views;
            let view = views.iter().find(|v| v.name == *name).ok_or_else(|| {
                let known: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
                format!(
                    "--view: no view {name:?} in [ui.views] (configured: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            })?;
            filter = filter.and(&view.filter);
        }
        for (flag, key, values) in [
            ("--team", FilterKey::Team, &self.team),
            ("--tag", FilterKey::Tag, &self.tag),
        ] {
            for v in values {
                if v.trim().is_empty() {
                    return Err(format!("{flag}: empty value"));
                }
                filter = filter.and(&Filter::term(key, v.trim()));
            }
        }
        if let Some(expr) = &self.filter {
            let f = Filter::parse(expr).map_err(|e| format!("--filter {expr:?}: {e}"))?;
            filter = filter.and(&f);
        }
        Ok(filter)
    }
}

/// What the store knows about jobs beyond Flink: which app a job belongs to, the apps' teams and
/// tags, and the local tags of unmanaged jobs.
#[derive(Debug, Default)]
pub struct Labels {
    apps: HashMap<String, AppSummary>,
    job_apps: HashMap<JobKey, String>,
    local: HashMap<(String, String), Vec<String>>,
}

impl Labels {
    /// Reads the labels from the store.
    pub fn load(s: &mut Store) -> Result<Labels, StoreError> {
        let apps = crate::service::ops::stored_app_summaries(s)?
            .into_iter()
            .map(|(a, _)| (a.name.clone(), a))
            .collect();
        let job_apps = s.job_apps()?.into_iter().collect();
        let local = s
            .job_tags()?
            .into_iter()
            .map(
                |JobTags {
                     cluster,
                     job_name,
                     tags,
                 }| ((cluster, job_name), tags),
            )
            .collect();
        Ok(Labels {
            apps,
            job_apps,
            local,
        })
    }

    /// The app of the job `id` on `cluster`, with its summary when it is still defined.
    pub fn app_of(&self, cluster: &str, id: &str) -> Option<(&str, Option<&AppSummary>)> {
        let app = self.job_apps.get(&JobKey::new(cluster, id))?;
        Some((app.as_str(), self.apps.get(app)))
    }

    /// Local tags of the job named `name` on `cluster` (empty when none).
    pub fn local_tags(&self, cluster: &str, name: &str) -> &[String] {
        self.local
            .get(&(cluster.to_string(), name.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
