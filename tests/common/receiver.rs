//! A real HTTP/1.1 receiver for alert webhooks: records every request (method, path with query,
//! body) and answers from a script of (status, body) pairs, the last one repeating. Std only,
//! one thread per connection, `Connection: close`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One received request.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.body))
    }

    /// A query parameter, URL-decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<(u16, String)>>>,
}

impl Receiver {
    /// Starts a receiver on 127.0.0.1 answering `script` in order (the last answer repeats).
    pub fn start(script: &[(u16, &str)]) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let r = Receiver {
            url,
            got: Arc::default(),
            script: Arc::new(Mutex::new(
                script.iter().map(|(s, b)| (*s, b.to_string())).collect(),
            )),
        };
        let (got, script) = (r.got.clone(), r.script.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (got, script) = (got.clone(), script.clone());
                std::thread::spawn(move || {
                    let _ = answer(conn, &got, &script);
                });
            }
        });
        r
    }

    /// Replaces the remaining answers.
    pub fn set_script(&self, script: &[(u16, &str)]) {
        *self.script.lock().expect("lock") =
            script.iter().map(|(s, b)| (*s, b.to_string())).collect();
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

fn answer(
    mut conn: std::net::TcpStream,
    got: &Mutex<Vec<Received>>,
    script: &Mutex<Vec<(u16, String)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    got.lock().expect("lock").push(Received {
        method,
        target,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, text) = {
        let mut s = script.lock().expect("lock");
        if s.len() > 1 {
            s.remove(0)
        } else {
            s.first().cloned().unwrap_or((200, String::new()))
        }
    };
    write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
}
