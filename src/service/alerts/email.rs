//! Email through SMTP (lettre): STARTTLS (required) or implicit TLS with the certificate
//! verified against the system roots, or plain for a local relay; optional login.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{DeliveryError, Message, ATTEMPT_TIMEOUT};
use crate::config::{ChannelConfig, SmtpTls};

pub(super) async fn send(channel: &ChannelConfig, msg: &Message) -> Result<String, DeliveryError> {
    let name = &channel.name;
    let Some(e) = &channel.email else {
        return Err(DeliveryError::permanent(format!(
            "channel {name} has no SMTP settings"
        )));
    };
    let bad = |what: &str, err: String| {
        DeliveryError::permanent(format!("channel {name}: {what}: {err}"))
    };
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|err: lettre::address::AddressError| bad("from", err.to_string()))?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(msg.title())
        .header(ContentType::TEXT_PLAIN);
    for to in &e.to {
        let mb: Mailbox = to
            .parse()
            .map_err(|err: lettre::address::AddressError| bad("to", err.to_string()))?;
        builder = builder.to(mb);
    }
    let email = builder
        .body(msg.text())
        .map_err(|err| bad("message", err.to_string()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = |required: bool| -> Result<Tls, DeliveryError> {
        let mut params = TlsParameters::builder(e.host.clone());
        if let Some(path) = &e.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|err| bad("ca_cert", format!("cannot read {}: {err}", path.display())))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|err| bad("ca_cert", format!("{}: {err}", path.display())))?;
            params = params.add_root_certificate(cert);
        }
        let params = params.build().map_err(|err| bad("tls", err.to_string()))?;
        Ok(if required {
            Tls::Required(params)
        } else {
            Tls::Wrapper(params)
        })
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.host)
        .port(e.port)
        .timeout(Some(ATTEMPT_TIMEOUT));
    transport = match e.tls {
        SmtpTls::Starttls => transport.tls(tls(true)?),
        SmtpTls::Tls => transport.tls(tls(false)?),
        SmtpTls::None => transport,
    };
    if let (Some(u), Some(p)) = (&e.user, &e.password) {
        let user = u
            .resolve_for(&format!("alerts.channels[{name:?}].user"))
            .map_err(|err| DeliveryError::permanent(err.to_string()))?;
        let pass = p
            .resolve_for(&format!("alerts.channels[{name:?}].password"))
            .map_err(|err| DeliveryError::permanent(err.to_string()))?;
        transport = transport.credentials(Credentials::new(
            user.expose().to_string(),
            pass.expose().to_string(),
        ));
    }
    let transport = transport.build();
    match transport.send(email).await {
        Ok(resp) => Ok(format!(
            "SMTP {}: {}",
            resp.code(),
            resp.message().collect::<Vec<_>>().join(" ")
        )),
        Err(err) => {
            let permanent = err.is_permanent();
            let text = crate::config::secret::mask(&err.to_string()).into_owned();
            let m = format!("channel {name}: SMTP {}:{}: {text}", e.host, e.port);
            Err(if permanent {
                DeliveryError::permanent(m)
            } else {
                DeliveryError::transient(m)
            })
        }
    }
}
