//! `[alerts]` of the config file: the channels messages go to and the rules that open incidents
//! (`[[alerts.channels]]`, `[[alerts.rules]]`). Secrets (webhook URLs, signing secrets, SMTP
//! credentials) come only from the environment or files, read when a message is sent.

use super::SecretSource;
use crate::domain::alerts::AlertRule;

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertsConfig {
    pub channels: Vec<ChannelConfig>,
    pub rules: Vec<AlertRule>,
}

impl AlertsConfig {
    pub fn channel(&self, name: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.name == name)
    }
}

/// Where a channel's messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// A plain JSON POST of the incident.
    Webhook,
    Slack,
    Dingtalk,
    Wecom,
    Lark,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 6] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Dingtalk,
        ChannelKind::Wecom,
        ChannelKind::Lark,
        ChannelKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Lark => "lark",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the service signs requests with a secret (DingTalk, Lark).
    pub fn signs(self) -> bool {
        matches!(self, ChannelKind::Dingtalk | ChannelKind::Lark)
    }
}

/// `tls` of an email channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required), certificate verified.
    Starttls,
    /// TLS from the first byte (SMTPS), certificate verified.
    Tls,
    /// No encryption (a relay on localhost).
    None,
}

/// The SMTP side of an email channel.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub from: String,
    pub to: Vec<String>,
    pub user: Option<SecretSource>,
    pub password: Option<SecretSource>,
    /// A PEM file of CA certificates trusted besides the system roots (a private CA).
    pub ca_cert: Option<std::path::PathBuf>,
}

/// One `[[alerts.channels]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: ChannelKind,
    /// The webhook URL (every kind but email).
    pub url: Option<SecretSource>,
    /// The signing secret (DingTalk, Lark).
    pub secret: Option<SecretSource>,
    pub email: Option<EmailConfig>,
}
