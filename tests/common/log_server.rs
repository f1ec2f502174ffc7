//! A tiny HTTP/1.1 server that serves one file as a Flink JobManager log (`GET /jobmanager/log`
//! and `GET /jobmanager/logs/<name>`), the whole file every time, ignoring `Range` like Flink.
//! Std only, one thread per connection, `Connection: close`. Used by tests and `benches/logs.rs`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

/// Serves `file` on 127.0.0.1 (a free port) until the process ends; returns the base URL.
pub fn serve_log_file(file: PathBuf) -> String {
    serve(file, Vec::new())
}

/// Serves `file` as the JobManager log and each `(path, json)` as a JSON answer (exact path,
/// query ignored); everything else is 404.
pub fn serve(file: PathBuf, json: Vec<(String, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let json = std::sync::Arc::new(json);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let file = file.clone();
            let json = json.clone();
            std::thread::spawn(move || {
                let _ = answer(conn, &file, &json);
            });
        }
    });
    url
}

fn answer(mut conn: TcpStream, file: &PathBuf, json: &[(String, String)]) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    if let Some((_, body)) = json.iter().find(|(p, _)| p == path) {
        write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
    } else if path == "/jobmanager/log" || path.starts_with("/jobmanager/logs/") {
        let mut f = std::fs::File::open(file)?;
        let len = f.metadata()?.len();
        write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )?;
        // File to socket directly: std uses sendfile/splice on Linux (the server costs little CPU).
        std::io::copy(&mut f, &mut conn)?;
    } else {
        let body = r#"{"errors":["Not found."]}"#;
        write!(
            conn,
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
    }
    Ok(())
}
