//! Secrets are masked everywhere: a loopback server that answers 500 with the request's
//! `Authorization` header in its body (as some gateways and proxies do) must not get the bearer
//! token into `flinkdeck clusters` / `jobs` output, the log file or the SQLite store; a
//! `[secret_vars]` value that a job prints into its exception is masked too. No Flink needed.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use flinkdeck::config::Config;
use flinkdeck::domain::WorkerReply;
use flinkdeck::service::{spawn_workers, Clusters};
use flinkdeck::store::{Store, StoreHandle};

const TOKEN: &str = "tok-SECRET-reflected-4711";
const DB_PASSWORD: &str = "pw-SECRET-in-exception-0815";

/// Serves forever on a loopback port: `/jobs/*/exceptions` answers an exception history whose
/// text contains whatever the job printed (here: the DB password); everything else answers 500
/// with the request's Authorization header in the body.
fn reflecting_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("authorization:") {
                    auth = line.trim_end().to_string();
                }
            }
            let (status, body) = if request_line.contains("/exceptions") {
                (
                    "200 OK",
                    format!(
                        r#"{{"exceptionHistory":{{"truncated":false,"entries":[{{
                            "exceptionName":"java.sql.SQLException",
                            "stacktrace":"java.sql.SQLException: login failed for url jdbc:pg://db?password={DB_PASSWORD}",
                            "timestamp":10,"failureLabels":{{"hint":"password={DB_PASSWORD}"}}}}]}}}}"#
                    ),
                )
            } else {
                (
                    "500 Internal Server Error",
                    format!("upstream gateway failed; your request had {auth}"),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn write_files(dir: &Path, url: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("token"), format!("{TOKEN}\n")).expect("token");
    std::fs::write(dir.join("dbpw"), DB_PASSWORD).expect("dbpw");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[ui]\nrefresh = \"1s\"\n\n[secret_vars]\ndb_password = {{ file = \"dbpw\" }}\n\n\
             [[clusters]]\nname = \"gw\"\nkind = \"standalone\"\nurl = \"{url}\"\n\
             timeout = \"3s\"\ntoken_file = \"token\"\n"
        ),
    )
    .expect("config");
    config
}

/// Every file under `dir` (the database, its WAL, the log file), as text.
fn all_files(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let bytes = std::fs::read(&p).ok()?;
            Some((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).to_string(),
            ))
        })
        .collect()
}

#[test]
fn a_reflected_bearer_token_is_masked_in_cli_output_and_the_log_file() {
    let url = reflecting_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_files(dir.path(), &url);
    let data = dir.path().join("data");
    let mut seen_mask = false;
    for args in [
        &["clusters"][..],
        &["clusters", "--json"][..],
        &["jobs"][..],
        &["jobs", "--json"][..],
    ] {
        let out = Command::new(bin())
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("FLINKDECK_CONFIG")
            .env("FLINKDECK_LOG", "debug")
            .output()
            .expect("run flinkdeck");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!text.contains(TOKEN), "{args:?} printed the token:\n{text}");
        assert!(
            !text.contains(&TOKEN[..12]),
            "{args:?} printed part of it:\n{text}"
        );
        seen_mask |= text.contains("Bearer ***");
    }
    assert!(seen_mask, "the reflected header shows, masked, somewhere");
    for (path, text) in all_files(&data) {
        assert!(!text.contains(TOKEN), "{path} holds the token");
    }
}

#[test]
fn the_store_and_the_ui_get_masked_health_and_exceptions() {
    let url = reflecting_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::load(&write_files(dir.path(), &url)).expect("config");
    config.register_secrets();
    let clusters = Clusters::from_config(&config).expect("clusters");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let db = data.join("flinkdeck.db");
    let store = StoreHandle::spawn(Store::open(&db).expect("store"));

    let _guard = rt().enter();
    let mut workers = spawn_workers(&clusters, Some(store.clone()), Duration::from_secs(1), None);
    // The UI's copy of the failure.
    let health = loop {
        let reply = rt()
            .block_on(tokio::time::timeout(
                Duration::from_secs(30),
                workers.replies.recv(),
            ))
            .expect("a poll within 30s")
            .expect("workers alive");
        if let WorkerReply::ClusterPolled { health, .. } = reply {
            if health.detail.is_some() {
                break health;
            }
        }
    };
    let shown = format!("{health:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(
        shown.contains("***"),
        "the reflected header reached the UI masked: {shown}"
    );

    // The store's copy, once written (after the reply, off the display path).
    let start = Instant::now();
    loop {
        rt().block_on(store.flush()).expect("flush");
        let n = rt()
            .block_on(store.call(|s| s.health_events("gw", 10)))
            .expect("events")
            .len();
        if n > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no health event stored"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let events = rt()
        .block_on(store.call(|s| s.health_events("gw", 10)))
        .expect("events");
    assert!(!format!("{events:?}").contains(TOKEN), "{events:?}");
    let files = all_files(&data);
    assert!(
        files.iter().any(|(_, t)| t.contains("Bearer ***")),
        "the reflected body was stored, masked"
    );
    for (path, text) in files {
        assert!(!text.contains(TOKEN), "{path} holds the token");
    }

    // A job exception that prints a [secret_vars] value (the DB password of a connector).
    let x = rt()
        .block_on(
            clusters.all()[0]
                .rest
                .exceptions("0123456789abcdef0123456789abcdef", 10),
        )
        .expect("exceptions");
    let shown = format!("{x:?}");
    assert!(!shown.contains(DB_PASSWORD), "{shown}");
    assert!(shown.contains("password=***"), "{shown}");
}
