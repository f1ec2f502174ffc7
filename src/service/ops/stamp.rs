//! What a submission is stamped with so that `flinkdeck drift` can tell later what a job runs:
//! `flinkdeck.app`, `flinkdeck.app-version` and (jar apps) `flinkdeck.artifact.sha256` go into
//! the job's configuration (plain keys and `pipeline.global-job-parameters`, which Flink shows in
//! `GET /jobs/:id/config`); the SQL runner adds `flinkdeck.sql.sha256` itself. The same hashes
//! are kept in the run record.

use std::collections::BTreeMap;
use std::path::Path;

use crate::domain::drift::{stamp, CONF_APP, CONF_ARTIFACT, CONF_VERSION};
use crate::domain::AppVersion;

/// The hashes a run was submitted with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamp {
    pub artifact_sha256: Option<String>,
    pub sql_sha256: Option<String>,
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex sha256 of a file's content, read off the async threads.
pub async fn file_sha256(path: &Path) -> Result<String, String> {
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || file_sha256_blocking(&p))
        .await
        .map_err(|e| format!("hashing {}: task failed: {e}", path.display()))?
}

fn file_sha256_blocking(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| format!("cannot read jar {}: {e}", path.display()))?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("cannot read jar {}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex(ctx.finish().as_ref()))
}

/// Adds the `flinkdeck.*` entries of `app` (and the jar's hash, if known) to `options`.
pub fn stamp_options(options: &mut BTreeMap<String, String>, app: &AppVersion, s: &Stamp) {
    let mut entries = vec![
        (CONF_APP, app.app.clone()),
        (CONF_VERSION, app.version.to_string()),
    ];
    if let Some(sha) = &s.artifact_sha256 {
        entries.push((CONF_ARTIFACT, sha.clone()));
    }
    stamp(options, &entries);
}

/// An app's Flink options as a start submits them (`[options]`, `[target] options` over them,
/// `${var}`s resolved) and the secret values among them (never to be shown).
pub fn submitted_options(
    ctx: &super::OpsContext,
    app: &AppVersion,
) -> Result<(BTreeMap<String, String>, Vec<String>), String> {
    super::cli_submit::resolved_options(ctx, app).map_err(|o| match o {
        crate::domain::ActionOutcome::Invalid { reason }
        | crate::domain::ActionOutcome::Failed { reason } => reason,
        other => format!("{other:?}"),
    })
}

/// The sha256 of the script a SQL app's runner would receive now (`${var}`s resolved as a
/// start resolves them); `None` for a jar app or a script that cannot be resolved.
pub fn script_sha256(ctx: &super::OpsContext, app: &AppVersion) -> Option<String> {
    let script = app.spec.sql.as_ref()?;
    let (vars, secret_names) = ctx.config.resolve_vars_for(Some(&app.spec), script).ok()?;
    let sub = crate::sqltools::substitute(script, &vars, &secret_names);
    sub.undefined
        .is_empty()
        .then(|| sha256_hex(sub.script.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.jar");
        std::fs::write(&p, b"abc").expect("write");
        assert_eq!(file_sha256_blocking(&p).expect("hash"), sha256_hex(b"abc"));
        let err = file_sha256_blocking(&dir.path().join("missing.jar")).unwrap_err();
        assert!(err.contains("missing.jar"), "{err}");
    }
}
