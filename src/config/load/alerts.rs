//! Parsing `[alerts]`: channels and rules, every key checked and errors at the key.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::Cx;
use crate::config::alerts::{AlertsConfig, ChannelConfig, ChannelKind, EmailConfig, SmtpTls};
use crate::config::ConfigError;
use crate::domain::alerts::{AlertKind, AlertRule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    channels: Option<Vec<RawChannel>>,
    rules: Option<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: Spanned<String>,
    kind: Spanned<String>,
    url_env: Option<Spanned<String>>,
    url_file: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
    secret_file: Option<Spanned<String>>,
    smtp: Option<Spanned<String>>,
    tls: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    to: Option<Spanned<Vec<Spanned<String>>>>,
    user_env: Option<Spanned<String>>,
    user_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    ca_cert: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    when: Spanned<String>,
    apps: Option<Vec<Spanned<String>>>,
    clusters: Option<Vec<Spanned<String>>>,
    channels: Option<Vec<Spanned<String>>>,
    restarts: Option<Spanned<RawRestarts>>,
    no_checkpoint: Option<Spanned<RawFor>>,
    checkpoint_failures: Option<Spanned<RawCount>>,
    backpressure: Option<Spanned<RawBackpressure>>,
    repeat: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRestarts {
    count: Option<Spanned<i64>>,
    within: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFor {
    #[serde(rename = "for")]
    for_: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCount {
    count: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackpressure {
    ratio: Option<Spanned<f64>>,
    #[serde(rename = "for")]
    for_: Option<Spanned<String>>,
}

impl Cx<'_, '_> {
    pub(super) fn alerts(&self, raw: RawAlerts) -> Result<AlertsConfig, ConfigError> {
        let mut out = AlertsConfig::default();
        let mut names: HashMap<String, ()> = HashMap::new();
        for (i, c) in raw.channels.unwrap_or_default().into_iter().enumerate() {
            let ch = self.channel(i, c, &mut names)?;
            out.channels.push(ch);
        }
        let mut rule_names: HashMap<String, ()> = HashMap::new();
        for (i, r) in raw.rules.unwrap_or_default().into_iter().enumerate() {
            let rule = self.rule(i, r, &out, &mut rule_names)?;
            out.rules.push(rule);
        }
        Ok(out)
    }

    fn channel(
        &self,
        i: usize,
        c: RawChannel,
        names: &mut HashMap<String, ()>,
    ) -> Result<ChannelConfig, ConfigError> {
        let key = |k: &str| format!("alerts.channels[{i}].{k}");
        let name = c.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.err(c.name.span(), &key("name"), "channel name is empty"));
        }
        if names.insert(name.clone(), ()).is_some() {
            return Err(self.err(
                c.name.span(),
                &key("name"),
                format!("channel {name:?} is defined twice"),
            ));
        }
        let kind = ChannelKind::parse(c.kind.get_ref()).ok_or_else(|| {
            self.err(
                c.kind.span(),
                &key("kind"),
                format!(
                    "unknown channel kind {:?}; expected one of webhook, slack, dingtalk, wecom, lark, email",
                    c.kind.get_ref()
                ),
            )
        })?;
        let url = self.secret_pair(&c.url_env, &c.url_file, "url", &key)?;
        let secret = self.secret_pair(&c.secret_env, &c.secret_file, "secret", &key)?;
        let email_keys = [
            ("smtp", c.smtp.as_ref().map(Spanned::span)),
            ("tls", c.tls.as_ref().map(Spanned::span)),
            ("from", c.from.as_ref().map(Spanned::span)),
            ("to", c.to.as_ref().map(Spanned::span)),
            ("user_env", c.user_env.as_ref().map(Spanned::span)),
            ("user_file", c.user_file.as_ref().map(Spanned::span)),
            ("password_env", c.password_env.as_ref().map(Spanned::span)),
            ("password_file", c.password_file.as_ref().map(Spanned::span)),
            ("ca_cert", c.ca_cert.as_ref().map(Spanned::span)),
        ];
        let first_set = |keys: &[(&'static str, Option<std::ops::Range<usize>>)]| {
            keys.iter()
                .filter_map(|(k, s)| s.clone().map(|s| (*k, s)))
                .min_by_key(|(_, s)| s.start)
        };
        if kind != ChannelKind::Email {
            if let Some((k, span)) = first_set(&email_keys) {
                return Err(self.err(
                    span,
                    &key(k),
                    format!("`{k}` applies to email channels, not {}", kind.as_str()),
                ));
            }
            if url.is_none() {
                return Err(self.err(
                    c.kind.span(),
                    &key("url_env"),
                    format!(
                        "a {} channel needs its webhook URL: set `url_env` or `url_file`",
                        kind.as_str()
                    ),
                ));
            }
            if secret.is_some() && !kind.signs() {
                let span = c
                    .secret_env
                    .as_ref()
                    .or(c.secret_file.as_ref())
                    .map(Spanned::span)
                    .unwrap_or(c.kind.span());
                return Err(self.err(
                    span,
                    &key("secret_env"),
                    format!(
                        "{} messages are not signed; a signing secret applies to dingtalk and lark",
                        kind.as_str()
                    ),
                ));
            }
            return Ok(ChannelConfig {
                name,
                kind,
                url,
                secret,
                email: None,
            });
        }
        let web_keys = [
            ("url_env", c.url_env.as_ref().map(Spanned::span)),
            ("url_file", c.url_file.as_ref().map(Spanned::span)),
            ("secret_env", c.secret_env.as_ref().map(Spanned::span)),
            ("secret_file", c.secret_file.as_ref().map(Spanned::span)),
        ];
        if let Some((k, span)) = first_set(&web_keys) {
            return Err(self.err(
                span,
                &key(k),
                format!("`{k}` applies to webhook channels; email uses smtp, from, to"),
            ));
        }
        let tls = match &c.tls {
            None => SmtpTls::Starttls,
            Some(t) => match t.get_ref().as_str() {
                "starttls" => SmtpTls::Starttls,
                "tls" => SmtpTls::Tls,
                "none" => SmtpTls::None,
                other => {
                    return Err(self.err(
                        t.span(),
                        &key("tls"),
                        format!("unknown tls mode {other:?}; expected starttls, tls or none"),
                    ))
                }
            },
        };
        let Some(smtp) = &c.smtp else {
            return Err(self.err(
                c.kind.span(),
                &key("smtp"),
                "an email channel needs `smtp = \"host:port\"`",
            ));
        };
        let (host, port) = parse_host_port(smtp.get_ref(), tls).ok_or_else(|| {
            self.err(
                smtp.span(),
                &key("smtp"),
                format!(
                    "invalid SMTP server {:?}; expected host:port (e.g. \"smtp.example.com:587\")",
                    smtp.get_ref()
                ),
            )
        })?;
        let Some(from) = &c.from else {
            return Err(self.err(c.kind.span(), &key("from"), "an email channel needs `from`"));
        };
        self.mailbox(from, &key("from"))?;
        let to = match &c.to {
            Some(t) if !t.get_ref().is_empty() => {
                for a in t.get_ref() {
                    self.mailbox(a, &key("to"))?;
                }
                t.get_ref().iter().map(|a| a.get_ref().clone()).collect()
            }
            Some(t) => {
                return Err(self.err(t.span(), &key("to"), "`to` is empty"));
            }
            None => {
                return Err(self.err(
                    c.kind.span(),
                    &key("to"),
                    "an email channel needs `to = [\"oncall@example.com\"]`",
                ))
            }
        };
        let user = self.secret_pair(&c.user_env, &c.user_file, "user", &key)?;
        let password = self.secret_pair(&c.password_env, &c.password_file, "password", &key)?;
        if user.is_some() != password.is_some() {
            let span = c
                .user_env
                .as_ref()
                .or(c.user_file.as_ref())
                .or(c.password_env.as_ref())
                .or(c.password_file.as_ref())
                .map(Spanned::span)
                .unwrap_or(c.kind.span());
            return Err(self.err(
                span,
                &key(if user.is_some() {
                    "password_env"
                } else {
                    "user_env"
                }),
                "SMTP login needs both a user and a password",
            ));
        }
        Ok(ChannelConfig {
            name,
            kind,
            url: None,
            secret: None,
            email: Some(EmailConfig {
                host,
                port,
                tls,
                from: from.get_ref().clone(),
                to,
                user,
                password,
                ca_cert: match &c.ca_cert {
                    Some(p) => Some(self.path(p, &key("ca_cert"))?),
                    None => None,
                },
            }),
        })
    }

    /// A bare address or `Name <address>`: one `@` with text on both sides.
    fn mailbox(&self, v: &Spanned<String>, key: &str) -> Result<(), ConfigError> {
        let text = v.get_ref().trim();
        let addr = match (text.find('<'), text.ends_with('>')) {
            (Some(i), true) => &text[i + 1..text.len() - 1],
            _ => text,
        };
        let ok = matches!(addr.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@') && !addr.contains(char::is_whitespace));
        if ok {
            Ok(())
        } else {
            Err(self.err(v.span(), key, format!("invalid email address {text:?}")))
        }
    }

    fn rule(
        &self,
        i: usize,
        r: RawRule,
        alerts: &AlertsConfig,
        names: &mut HashMap<String, ()>,
    ) -> Result<AlertRule, ConfigError> {
        let key = |k: &str| format!("alerts.rules[{i}].{k}");
        let name = r.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.err(r.name.span(), &key("name"), "rule name is empty"));
        }
        if names.insert(name.clone(), ()).is_some() {
            return Err(self.err(
                r.name.span(),
                &key("name"),
                format!("rule {name:?} is defined twice"),
            ));
        }
        let when = AlertKind::parse(r.when.get_ref()).ok_or_else(|| {
            self.err(
                r.when.span(),
                &key("when"),
                format!(
                    "unknown rule kind {:?}; expected one of failed, restarts, no_checkpoint, checkpoint_failures, unreachable, backpressure, lost",
                    r.when.get_ref()
                ),
            )
        })?;
        let mut rule = AlertRule::new(&name, when);
        let globs =
            |v: &Option<Vec<Spanned<String>>>, k: &str| -> Result<Vec<String>, ConfigError> {
                let mut out = Vec::new();
                for g in v.iter().flatten() {
                    if g.get_ref().trim().is_empty() {
                        return Err(self.err(g.span(), &key(k), "empty pattern"));
                    }
                    out.push(g.get_ref().trim().to_string());
                }
                Ok(out)
            };
        rule.apps = globs(&r.apps, "apps")?;
        rule.clusters = globs(&r.clusters, "clusters")?;
        if when == AlertKind::Unreachable && !rule.apps.is_empty() {
            let span = r.apps.as_ref().and_then(|a| a.first()).map(Spanned::span);
            return Err(self.err(
                span.unwrap_or(r.when.span()),
                &key("apps"),
                "an `unreachable` rule is about clusters: use `clusters`, not `apps`",
            ));
        }
        for c in r.channels.iter().flatten() {
            if alerts.channel(c.get_ref()).is_none() {
                let known: Vec<&str> = alerts.channels.iter().map(|c| c.name.as_str()).collect();
                return Err(self.err(
                    c.span(),
                    &key("channels"),
                    format!(
                        "no channel {:?} in [[alerts.channels]] (defined: {})",
                        c.get_ref(),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
            rule.channels.push(c.get_ref().clone());
        }
        // Parameter tables belong to their own kind.
        let params = [
            (
                "restarts",
                AlertKind::Restarts,
                r.restarts.as_ref().map(Spanned::span),
            ),
            (
                "no_checkpoint",
                AlertKind::NoCheckpoint,
                r.no_checkpoint.as_ref().map(Spanned::span),
            ),
            (
                "checkpoint_failures",
                AlertKind::CheckpointFailures,
                r.checkpoint_failures.as_ref().map(Spanned::span),
            ),
            (
                "backpressure",
                AlertKind::Backpressure,
                r.backpressure.as_ref().map(Spanned::span),
            ),
        ];
        for (k, kind, span) in params {
            if let (Some(span), true) = (span, kind != when) {
                return Err(self.err(
                    span,
                    &key(k),
                    format!(
                        "`{k}` applies to rules with when = \"{}\", not \"{}\"",
                        kind.as_str(),
                        when.as_str()
                    ),
                ));
            }
        }
        let count = |v: &Spanned<i64>, k: &str| -> Result<u32, ConfigError> {
            match u32::try_from(*v.get_ref()) {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(self.err(
                    v.span(),
                    &key(k),
                    format!(
                        "invalid count {}: use a whole number of at least 1",
                        v.get_ref()
                    ),
                )),
            }
        };
        let ms = |v: &Spanned<String>, k: &str| -> Result<i64, ConfigError> {
            let d = self.duration(v, &key(k))?;
            Ok(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        };
        if let Some(p) = &r.restarts {
            if let Some(c) = &p.get_ref().count {
                rule.restarts_count = count(c, "restarts.count")?;
            }
            if let Some(w) = &p.get_ref().within {
                rule.restarts_within_ms = ms(w, "restarts.within")?;
            }
        }
        if let Some(p) = r
            .no_checkpoint
            .as_ref()
            .and_then(|p| p.get_ref().for_.as_ref())
        {
            rule.no_checkpoint_for_ms = ms(p, "no_checkpoint.for")?;
        }
        if let Some(c) = r
            .checkpoint_failures
            .as_ref()
            .and_then(|p| p.get_ref().count.as_ref())
        {
            rule.checkpoint_failures_count = count(c, "checkpoint_failures.count")?;
        }
        if let Some(p) = &r.backpressure {
            if let Some(x) = &p.get_ref().ratio {
                let v = *x.get_ref();
                if !(v > 0.0 && v <= 1.0) {
                    return Err(self.err(
                        x.span(),
                        &key("backpressure.ratio"),
                        format!(
                            "invalid ratio {v}: use a number above 0 and at most 1 (0.8 = 80%)"
                        ),
                    ));
                }
                rule.backpressure_ratio = v;
            }
            if let Some(f) = &p.get_ref().for_ {
                rule.backpressure_for_ms = ms(f, "backpressure.for")?;
            }
        }
        if let Some(rep) = &r.repeat {
            rule.repeat_ms = Some(ms(rep, "repeat")?);
        }
        Ok(rule)
    }
}

/// `host:port` (IPv6 as `[addr]:port`); a missing port is the default of the TLS mode.
fn parse_host_port(text: &str, tls: SmtpTls) -> Option<(String, u16)> {
    let text = text.trim();
    let default = match tls {
        SmtpTls::Tls => 465,
        SmtpTls::Starttls => 587,
        SmtpTls::None => 25,
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(p) => (h, p.parse().ok()?),
            None if after.is_empty() => (h, default),
            None => return None,
        }
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (text, default),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{ChannelKind, Config, SecretSource, SmtpTls};
    use crate::domain::alerts::AlertKind;

    const GOOD: &str = r#"
[[alerts.channels]]
name = "oncall-ding"
kind = "dingtalk"
url_env = "DING_URL"
secret_env = "DING_SECRET"

[[alerts.channels]]
name = "mail"
kind = "email"
smtp = "smtp.example.com:587"
tls = "starttls"
from = "flinkdeck@example.com"
to = ["oncall@example.com", "Data Team <data@example.com>"]
user_env = "SMTP_USER"
password_env = "SMTP_PASS"

[[alerts.rules]]
name = "orders-failed"
when = "failed"
apps = ["orders-*"]
channels = ["oncall-ding", "mail"]
repeat = "30m"

[[alerts.rules]]
name = "flapping"
when = "restarts"
clusters = ["prod-*"]
restarts = { count = 5, within = "15m" }

[[alerts.rules]]
name = "stuck"
when = "no_checkpoint"
no_checkpoint = { for = "10m" }

[[alerts.rules]]
name = "bp"
when = "backpressure"
backpressure = { ratio = 0.9, for = "2m" }
"#;

    fn parse(text: &str) -> Result<Config, String> {
        Config::from_str_named(text, Path::new("/etc/fd.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_example_parses() {
        let c = parse(GOOD).expect("valid");
        let a = &c.alerts;
        assert_eq!(a.channels.len(), 2);
        assert_eq!(a.channels[0].kind, ChannelKind::Dingtalk);
        assert_eq!(
            a.channels[0].url,
            Some(SecretSource::Env("DING_URL".into()))
        );
        assert_eq!(
            a.channels[0].secret,
            Some(SecretSource::Env("DING_SECRET".into()))
        );
        let mail = a.channels[1].email.as_ref().expect("email");
        assert_eq!((mail.host.as_str(), mail.port), ("smtp.example.com", 587));
        assert_eq!(mail.tls, SmtpTls::Starttls);
        assert_eq!(mail.to.len(), 2);
        assert_eq!(a.rules.len(), 4);
        assert_eq!(a.rules[0].when, AlertKind::Failed);
        assert_eq!(a.rules[0].apps, ["orders-*"]);
        assert_eq!(a.rules[0].repeat_ms, Some(30 * 60_000));
        assert_eq!(a.rules[1].restarts_count, 5);
        assert_eq!(a.rules[1].restarts_within_ms, 15 * 60_000);
        assert_eq!(a.rules[2].no_checkpoint_for_ms, 10 * 60_000);
        assert_eq!(a.rules[3].backpressure_ratio, 0.9);
        assert_eq!(a.rules[3].backpressure_for_ms, 2 * 60_000);
        // No [alerts]: nothing configured.
        assert_eq!(parse("").expect("empty").alerts.rules.len(), 0);
    }

    #[test]
    fn bad_alerts_name_the_key_line_and_column() {
        let cases: &[(&str, &str)] = &[
            (
                "[[alerts.channels]]\nname = \"x\"\nkind = \"pager\"\n",
                "/etc/fd.toml:3:8: alerts.channels[0].kind: unknown channel kind \"pager\"",
            ),
            (
                "[[alerts.channels]]\nname = \"x\"\nkind = \"slack\"\n",
                "/etc/fd.toml:3:8: alerts.channels[0].url_env: a slack channel needs its webhook URL",
            ),
            (
                "[[alerts.channels]]\nname = \"x\"\nkind = \"slack\"\nurl_env = \"U\"\nsecret_env = \"S\"\n",
                "/etc/fd.toml:5:14: alerts.channels[0].secret_env: slack messages are not signed",
            ),
            (
                "[[alerts.channels]]\nname = \"x\"\nkind = \"wecom\"\nurl_env = \"U\"\nsmtp = \"h:25\"\n",
                "/etc/fd.toml:5:8: alerts.channels[0].smtp: `smtp` applies to email channels",
            ),
            (
                "[[alerts.channels]]\nname = \"m\"\nkind = \"email\"\nsmtp = \"h:25\"\nfrom = \"a@b\"\nto = [\"nobody\"]\n",
                "/etc/fd.toml:6:7: alerts.channels[0].to: invalid email address \"nobody\"",
            ),
            (
                "[[alerts.channels]]\nname = \"m\"\nkind = \"email\"\nsmtp = \"h:25\"\ntls = \"ssl\"\n",
                "/etc/fd.toml:5:7: alerts.channels[0].tls: unknown tls mode \"ssl\"",
            ),
            (
                "[[alerts.channels]]\nname = \"m\"\nkind = \"email\"\nsmtp = \"h:x\"\n",
                "/etc/fd.toml:4:8: alerts.channels[0].smtp: invalid SMTP server \"h:x\"",
            ),
            (
                "[[alerts.channels]]\nname = \"m\"\nkind = \"email\"\nsmtp = \"h:25\"\nfrom = \"a@b\"\nto = [\"c@d\"]\nuser_env = \"U\"\n",
                "/etc/fd.toml:7:12: alerts.channels[0].password_env: SMTP login needs both",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"dead\"\n",
                "/etc/fd.toml:3:8: alerts.rules[0].when: unknown rule kind \"dead\"",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"failed\"\nchannels = [\"nope\"]\n",
                "/etc/fd.toml:4:13: alerts.rules[0].channels: no channel \"nope\" in [[alerts.channels]] (defined: none)",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"failed\"\nrestarts = { count = 3 }\n",
                "/etc/fd.toml:4:12: alerts.rules[0].restarts: `restarts` applies to rules with when = \"restarts\", not \"failed\"",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"restarts\"\nrestarts = { count = 0 }\n",
                "/etc/fd.toml:4:22: alerts.rules[0].restarts.count: invalid count 0",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"failed\"\nrepeat = \"often\"\n",
                "/etc/fd.toml:4:10: alerts.rules[0].repeat: invalid duration \"often\"",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"backpressure\"\nbackpressure = { ratio = 1.5 }\n",
                "/etc/fd.toml:4:26: alerts.rules[0].backpressure.ratio: invalid ratio 1.5",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"unreachable\"\napps = [\"a\"]\n",
                "/etc/fd.toml:4:9: alerts.rules[0].apps: an `unreachable` rule is about clusters",
            ),
            (
                "[[alerts.rules]]\nname = \"r\"\nwhen = \"failed\"\n[[alerts.rules]]\nname = \"r\"\nwhen = \"lost\"\n",
                "/etc/fd.toml:5:8: alerts.rules[1].name: rule \"r\" is defined twice",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text).expect_err(text);
            assert!(err.starts_with(want), "{text}\nwant {want}\ngot  {err}");
        }
    }
}
