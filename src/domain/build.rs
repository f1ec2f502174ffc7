//! Builds of an app's artifact: the `[build]` recipe of an app spec and the record of one build
//! (pure types; no I/O).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[build]` of a jar app: how its artifact is built from a git repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// Anything `git clone` takes: ssh, https, a file path.
    pub repo: String,
    /// Branch, tag or commit built by default.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Where the command runs, relative to the checkout (empty: the checkout itself).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// The command as argv (never a shell string).
    pub command: Vec<String>,
    /// Glob relative to `dir`; exactly one file must match.
    pub artifact: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The build is killed after this long.
    pub timeout_ms: u64,
    /// Kubernetes targets: a container image built (and pushed) after the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageStep>,
}

/// `[build] image = { name, build, push }`: the image step of a Kubernetes target. Every string
/// may hold the placeholders of [`ImageVars`]; the name is resolved first and is `{image}` in
/// the argvs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageStep {
    /// The image reference, e.g. `registry.local/orders:{commit}`.
    pub name: String,
    /// Builds the image (argv; docker, podman, buildah or kaniko alike).
    pub build: Vec<String>,
    /// Pushes it (argv); empty when the build step pushes itself (kaniko).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub push: Vec<String>,
}

/// The placeholders of an image step.
pub const IMAGE_PLACEHOLDERS: &[&str] = &["artifact", "commit", "version", "image"];

/// Values of the image step's placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageVars<'a> {
    /// `{artifact}`: the stored artifact's absolute path.
    pub artifact: &'a str,
    /// `{commit}`: the full commit sha.
    pub commit: &'a str,
    /// `{version}`: the app version the build binds.
    pub version: u32,
    /// `{image}`: the resolved image name (empty while the name itself is resolved).
    pub image: &'a str,
}

/// The first `{placeholder}` of `text` that is not one of `allowed` (`{{`/`}}` are literal
/// braces).
pub fn unknown_placeholder(text: &str, allowed: &[&str]) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        if rest[i..].starts_with("{{") {
            rest = &rest[i + 2..];
            continue;
        }
        let Some(j) = rest[i..].find('}') else {
            return Some(rest[i..].to_string());
        };
        let name = &rest[i + 1..i + j];
        if !allowed.contains(&name) {
            return Some(format!("{{{name}}}"));
        }
        rest = &rest[i + j + 1..];
    }
    None
}

/// `text` with its placeholders replaced (`{{`/`}}` become literal braces).
pub fn expand_image_vars(text: &str, vars: &ImageVars<'_>) -> String {
    let version = vars.version.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let value = tail
            .find('}')
            .filter(|_| tail.starts_with('{'))
            .and_then(|j| {
                let v = match &tail[1..j] {
                    "artifact" => vars.artifact,
                    "commit" => vars.commit,
                    "version" => &version,
                    "image" => vars.image,
                    _ => return None,
                };
                Some((v, j))
            });
        match value {
            Some((v, j)) => {
                out.push_str(v);
                rest = &tail[j + 1..];
            }
            None => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Default `[build] timeout`.
pub const DEFAULT_BUILD_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// Where a build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl BuildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildStatus::Running => "running",
            BuildStatus::Succeeded => "succeeded",
            BuildStatus::Failed => "failed",
            BuildStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<BuildStatus> {
        match s {
            "running" => Some(BuildStatus::Running),
            "succeeded" => Some(BuildStatus::Succeeded),
            "failed" => Some(BuildStatus::Failed),
            "cancelled" => Some(BuildStatus::Cancelled),
            _ => None,
        }
    }
}

/// One build of an app, as `flinkdeck builds NAME --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildRecord {
    pub id: i64,
    pub app: String,
    pub status: BuildStatus,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub commit: Option<String>,
    pub subject: Option<String>,
    /// The stored artifact (a copy named by its sha256).
    pub artifact: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub duration_ms: Option<i64>,
    pub log: String,
    /// Epoch ms.
    pub started_at: i64,
    pub user: String,
    /// Why it failed or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The app version the artifact was bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The container image built and pushed (Kubernetes targets with an image step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The process that runs (or ran) the build: a `flinkdeck build` or a console. A cancel
    /// from another process signals it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// An app with a `[build]` (or with builds recorded), and its newest builds, for the console's
/// Builds view.
#[derive(Debug, Clone, PartialEq)]
pub struct AppBuilds {
    pub app: String,
    /// `[build] ref` (empty when the app has no `[build]` any more).
    pub git_ref: String,
    /// `[build] repo`.
    pub repo: String,
    /// Newest first.
    pub builds: Vec<BuildRecord>,
}

/// What the follower of a build log reports.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildLogEvent {
    /// New complete lines at the end of the log (the first event holds the file's tail).
    Lines(Vec<String>),
    /// The log cannot be read (the follower keeps trying).
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARS: ImageVars<'static> = ImageVars {
        artifact: "/data/a.jar",
        commit: "abc123",
        version: 7,
        image: "reg/orders:abc123",
    };

    #[test]
    fn placeholders_expand_and_double_braces_stay_literal() {
        assert_eq!(
            expand_image_vars("reg/orders:{commit}-v{version}", &VARS),
            "reg/orders:abc123-v7"
        );
        assert_eq!(
            expand_image_vars("--build-arg=JAR={artifact} -t {image}", &VARS),
            "--build-arg=JAR=/data/a.jar -t reg/orders:abc123"
        );
        assert_eq!(
            expand_image_vars("{{.Id}} {nope} }", &VARS),
            "{.Id} {nope} }"
        );
    }

    #[test]
    fn unknown_placeholders_are_named() {
        assert_eq!(unknown_placeholder("x:{commit}", IMAGE_PLACEHOLDERS), None);
        assert_eq!(unknown_placeholder("{{literal}}", IMAGE_PLACEHOLDERS), None);
        assert_eq!(
            unknown_placeholder("x:{sha}", IMAGE_PLACEHOLDERS),
            Some("{sha}".into())
        );
        assert_eq!(
            unknown_placeholder("x:{commit", IMAGE_PLACEHOLDERS),
            Some("{commit".into())
        );
        assert_eq!(
            unknown_placeholder("{image}", &["commit", "version"]),
            Some("{image}".into())
        );
    }
}
