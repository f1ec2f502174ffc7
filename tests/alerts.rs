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
