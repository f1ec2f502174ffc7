//! Every REST response decoder and its mapping to domain types, run on one arbitrary body. For
//! the property tests (`tests/properties.rs`): whatever a server answers, decoding fails cleanly
//! or maps to something; it never panics.

use super::error::FlinkError;
use super::{map, wire};
use crate::domain::LogSource;

fn decode<T: serde::de::DeserializeOwned>(body: &[u8], ok: &mut usize) -> Option<T> {
    match serde_json::from_slice::<T>(body) {
        Ok(v) => {
            *ok += 1;
            Some(v)
        }
        Err(e) => {
            // The error message points at the JSON path that failed, as the client reports it.
            let _ = FlinkError::bad_json("GET", "http://fuzz/x", &e, body).to_string();
            None
        }
    }
}

/// Decodes `body` as every Flink REST answer flinkdeck reads and maps each one that decodes;
/// also reads it as an error body (for every status class). Returns how many decoders accepted
/// it.
pub fn decode_every_response(body: &[u8]) -> usize {
    let mut ok = 0;
    let cfg = decode::<wire::Config>(body, &mut ok);
    if let Some(ov) = decode::<wire::Overview>(body, &mut ok) {
        let _ = map::cluster_info(ov, cfg);
    }
    if let Some(t) = decode::<wire::TaskManagers>(body, &mut ok) {
        let _ = map::taskmanagers(t);
    }
    if let Some(j) = decode::<wire::JobsOverview>(body, &mut ok) {
        let _ = map::jobs_overview("fuzz", j);
    }
    if let Some(d) = decode::<wire::JobDetails>(body, &mut ok) {
        let mut detail = map::job_detail(d);
        if let Some(m) = decode::<Vec<wire::AggregatedMetric>>(body, &mut ok) {
            for v in &mut detail.vertices {
                map::apply_vertex_metrics(v, &m);
            }
        }
    }
    if let Some(m) = decode::<Vec<wire::Metric>>(body, &mut ok) {
        let _ = map::num_restarts(&m);
    }
    if let Some(c) = decode::<wire::Checkpointing>(body, &mut ok) {
        let _ = map::checkpoints(c);
    }
    if let Some(e) = decode::<wire::CheckpointEntry>(body, &mut ok) {
        let _ = map::checkpoint_entry(e);
    }
    if let Some(x) = decode::<wire::Exceptions>(body, &mut ok) {
        let _ = map::exceptions(x);
    }
    if let Some(l) = decode::<wire::LogList>(body, &mut ok) {
        let _ = map::log_files(&LogSource::JobManager, l);
    }
    if let Some(u) = decode::<wire::JarUpload>(body, &mut ok) {
        let _ = u.filename.as_deref().and_then(map::jar_id_from_filename);
    }
    let _ = decode::<wire::JarRun>(body, &mut ok);
    ok += super::actions::decode_action_answers(body);
    let text = String::from_utf8_lossy(body);
    let _ = map::exception_name_of(&text);
    for status in [400, 401, 404, 500, 503] {
        let _ = FlinkError::from_status("GET", "http://fuzz/x", status, &text).to_string();
    }
    ok
}
