//! Alert channels end to end through the real binary (`flinkdeck alerts test CHANNEL`): real
//! HTTP receivers started by the test record what arrives; DingTalk and Lark signatures are
//! checked against the documented algorithm computed independently by Python's `hmac`
//! (DingTalk: base64(HMAC-SHA256(secret, "timestamp\nsecret")) URL-encoded on the URL; Lark:
//! base64(HMAC-SHA256(key "timestamp\nsecret", empty message)) in the body). Secrets never appear
//! in the output. No Flink needed: the config has no clusters.

mod common;

use std::path::Path;
use std::process::Command;

use common::receiver::Receiver;
use common::{cli_env, stderr, stdout};

const SECRET: &str = "SEC-d1ng-s3cret";

/// Python's hmac/base64: an implementation independent of flinkdeck's.
fn py_sign(key: &str, msg: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys,hmac,base64,hashlib; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).digest()).decode())",
            key,
            msg,
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn config(dir: &Path, channels: &str) -> std::path::PathBuf {
    let p = dir.join("config.toml");
    std::fs::write(&p, channels).expect("config");
    p
}

fn channel(name: &str, kind: &str, url_file: &Path, secret: bool) -> String {
    format!(
        "[[alerts.channels]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl_file = {:?}\n{}\n",
        url_file.display().to_string(),
        if secret {
            "secret_env = \"ALERT_SECRET\"\n"
        } else {
            ""
        }
    )
}

#[test]
fn test_messages_reach_each_service_signed_as_documented() {
    let dir = tempfile::tempdir().expect("tmp");
    let ding = Receiver::start(&[(200, r#"{"errcode":0,"errmsg":"ok"}"#)]);
    let lark = Receiver::start(&[(200, r#"{"code":0,"msg":"success","data":{}}"#)]);
    let wecom = Receiver::start(&[(200, r#"{"errcode":0,"errmsg":"ok"}"#)]);
    let slack = Receiver::start(&[(200, "ok")]);
    let hook = Receiver::start(&[(204, "")]);
    let mut text = String::new();
    for (name, kind, r, signed) in [
        ("ding", "dingtalk", &ding, true),
        ("lark", "lark", &lark, true),
        ("wecom", "wecom", &wecom, false),
        ("slack", "slack", &slack, false),
        ("hook", "webhook", &hook, false),
    ] {
        // DingTalk's URL carries its access token: a secret, read from a file.
        let url = if kind == "dingtalk" {
            format!("{}?access_token=tok-{name}", r.url)
        } else {
            r.url.clone()
        };
        let f = dir.path().join(format!("{name}.url"));
        std::fs::write(&f, format!("{url}\n")).expect("url file");
        text.push_str(&channel(name, kind, &f, signed));
    }
    let cfg = config(dir.path(), &text);
    for name in ["ding", "lark", "wecom", "slack", "hook"] {
        let out = cli_env(
            &cfg,
            dir.path(),
            ("ALERT_SECRET", SECRET),
            &["alerts", "test", name],
        );
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(0), "{name}: {all}");
        assert!(all.contains("accepted the test message"), "{name}: {all}");
        assert!(
            !all.contains(SECRET) && !all.contains("tok-ding"),
            "{name}: a secret is printed: {all}"
        );
    }

    let d = &ding.received()[0];
    assert_eq!(d.method, "POST");
    assert_eq!(d.query("access_token").as_deref(), Some("tok-ding"));
    let ts = d.query("timestamp").expect("timestamp on the URL");
    assert_eq!(ts.len(), 13, "milliseconds: {ts}");
    assert_eq!(
        d.query("sign").expect("sign on the URL"),
        py_sign(SECRET, &format!("{ts}\n{SECRET}"))
    );
    assert!(
        d.target.contains("sign=") && !d.target.contains('+'),
        "URL-encoded: {}",
        d.target
    );
    let body = d.json();
    assert_eq!(body["msgtype"], "text");
    assert!(body["text"]["content"]
        .as_str()
        .expect("content")
        .starts_with("[TEST] test:"));

    let l = lark.received()[0].json();
    let ts = l["timestamp"]
        .as_str()
        .expect("timestamp in the body")
        .to_string();
    assert_eq!(ts.len(), 10, "seconds: {ts}");
    assert_eq!(l["sign"], py_sign(&format!("{ts}\n{SECRET}"), "").as_str());
    assert_eq!(l["msg_type"], "text");
    assert!(l["content"]["text"]
        .as_str()
        .expect("text")
        .contains("channel lark"));

    let w = wecom.received()[0].json();
    assert_eq!(w["msgtype"], "text");
    assert!(w["text"]["content"].is_string());
    let s = slack.received()[0].json();
    assert!(s["text"].as_str().expect("text").starts_with("[TEST]"));
    let h = hook.received()[0].json();
    assert_eq!(h["event"], "test");
    assert!(h["title"].is_string() && h["text"].is_string());
}

#[test]
fn refusals_and_errors_exit_1_and_bad_channels_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let ding = Receiver::start(&[(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#)]);
    let down = Receiver::start(&[(500, "upstream broke")]);
    let slack = Receiver::start(&[(400, "invalid_payload")]);
    let mut text = String::new();
    for (name, kind, r) in [
        ("ding", "dingtalk", &ding),
        ("down", "webhook", &down),
        ("slack", "slack", &slack),
    ] {
        let f = dir.path().join(format!("{name}.url"));
        std::fs::write(&f, &r.url).expect("url file");
        text.push_str(&channel(name, kind, &f, kind == "dingtalk"));
    }
    // A channel whose URL variable is not set.
    text.push_str("[[alerts.channels]]\nname = \"unset\"\nkind = \"wecom\"\nurl_env = \"NO_SUCH_ALERT_URL\"\n");
    let cfg = config(dir.path(), &text);
    for (name, want) in [
        (
            "ding",
            "refused: {\"errcode\":310000,\"errmsg\":\"sign not match\"}",
        ),
        ("down", "HTTP 500 Internal Server Error: upstream broke"),
        ("slack", "HTTP 400 Bad Request: invalid_payload"),
        (
            "unset",
            "environment variable `NO_SUCH_ALERT_URL` is not set",
        ),
    ] {
        let out = cli_env(
            &cfg,
            dir.path(),
            ("ALERT_SECRET", SECRET),
            &["alerts", "test", name],
        );
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(want),
            "{name}: want {want:?} in {}",
            stderr(&out)
        );
    }
    assert_eq!(down.received().len(), 1, "a test message is one attempt");
    let out = cli_env(
        &cfg,
        dir.path(),
        ("ALERT_SECRET", SECRET),
        &["alerts", "test", "nope"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no channel \"nope\""),
        "{}",
        stderr(&out)
    );
    // A config error names file, line and key.
    let bad = config(
        dir.path(),
        "[[alerts.channels]]\nname = \"x\"\nkind = \"pager\"\n",
    );
    let out = cli_env(&bad, dir.path(), ("A", "b"), &["alerts"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("config.toml:3:8: alerts.channels[0].kind"),
        "{}",
        stderr(&out)
    );
}

/// A real SMTP server: aiosmtpd from PyPI (installed by `scripts/smtp-sink.sh` into the cache),
/// storing what it receives in a Maildir. Killed when dropped.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpSink {
    fn start(dir: &Path, tls: Option<(&Path, &Path)>) -> SmtpSink {
        let out = Command::new(common::repo_root().join("scripts/smtp-sink.sh"))
            .output()
            .expect("scripts/smtp-sink.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let python = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("python path")
            .to_string();
        let port = common::closed_port();
        let maildir = dir.join(format!("maildir-{port}"));
        let mut c = Command::new(python);
        c.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
        if let Some((cert, key)) = tls {
            c.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        c.args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = c.spawn().expect("start aiosmtpd");
        common::wait_for(
            "aiosmtpd to listen",
            std::time::Duration::from_secs(30),
            || {
                std::net::TcpStream::connect(("127.0.0.1", port))
                    .ok()
                    .map(|_| ())
            },
        );
        SmtpSink {
            child,
            port,
            maildir,
        }
    }

    /// The messages received (Maildir `new/`), as text.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).expect("mail"))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a `localhost` server certificate it signed (openssl).
fn test_pki(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=flinkdeck test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// Email through a real SMTP server (aiosmtpd): STARTTLS with the certificate verified against
/// a private CA given as `ca_cert` (and refused without it: verification is on), and a plain
/// relay with `tls = "none"`. The Maildir holds the message with its subject and body.
#[test]
fn email_through_a_real_smtp_server_with_starttls_verified() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ca, cert, key) = test_pki(dir.path());
    let tls_sink = SmtpSink::start(dir.path(), Some((&cert, &key)));
    let plain_sink = SmtpSink::start(dir.path(), None);
    let mail = |name: &str, port: u16, tls: &str, ca: Option<&Path>| {
        format!(
            "[[alerts.channels]]\nname = \"{name}\"\nkind = \"email\"\nsmtp = \"localhost:{port}\"\ntls = \"{tls}\"\n\
             from = \"flinkdeck <flinkdeck@example.com>\"\nto = [\"oncall@example.com\"]\n{}\n",
            ca.map(|p| format!("ca_cert = {:?}\n", p.display().to_string())).unwrap_or_default()
        )
    };
    let cfg = config(
        dir.path(),
        &[
            mail("mail", tls_sink.port, "starttls", Some(&ca)),
            mail("untrusted", tls_sink.port, "starttls", None),
            mail("relay", plain_sink.port, "none", None),
        ]
        .concat(),
    );
    let out = cli_env(&cfg, dir.path(), ("A", "b"), &["alerts", "test", "mail"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("SMTP 250"), "{}", stdout(&out));
    let got = tls_sink.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].contains("Subject: [TEST] test: channel:mail test"),
        "{}",
        got[0]
    );
    assert!(
        got[0].contains("a test message to channel mail from flinkdeck"),
        "{}",
        got[0]
    );
    assert!(got[0].contains("To: oncall@example.com"), "{}", got[0]);

    let out = cli_env(
        &cfg,
        dir.path(),
        ("A", "b"),
        &["alerts", "test", "untrusted"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unverified certificate was accepted: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("channel untrusted: SMTP localhost:"),
        "{}",
        stderr(&out)
    );
    assert_eq!(tls_sink.messages().len(), 1);

    let out = cli_env(&cfg, dir.path(), ("A", "b"), &["alerts", "test", "relay"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(plain_sink.messages().len(), 1);
}
