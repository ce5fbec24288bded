//! The optional SMTP relay: every stored message is also sent, in the background, to one SMTP
//! server (a local mail catcher such as MailHog or Mailpit). Plain SMTP, no TLS or auth: the
//! target is a development server. A relay failure is logged and never fails the send: the
//! mailbox already holds the message.
//!
//! lettre (tokio, `smtp-transport` only) speaks the protocol; its dependencies are the URL and
//! IDNA crates the workspace already builds.

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub struct Relay {
    target: String,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Relay {
    /// `host:port` (port 25 when omitted).
    pub fn new(target: &str) -> Relay {
        let (host, port) = match target.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => (host.trim_matches(['[', ']']), port.parse().unwrap_or(25)),
            _ => (target, 25),
        };
        let transport = (!host.is_empty()).then(|| AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).build());
        if transport.is_none() {
            tracing::warn!("ses: SMTP relay {target:?} is not host:port; messages will not be relayed");
        }
        Relay { target: target.to_owned(), transport }
    }

    /// Sends `raw` from `from` to `to` in the background (needs a tokio runtime).
    pub fn send(&self, id: &str, from: &str, to: Vec<String>, raw: Vec<u8>) {
        let Some(transport) = self.transport.clone() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("ses: no runtime to relay message {id} on");
            return;
        };
        let (id, target) = (id.to_owned(), self.target.clone());
        let from = from.parse().ok();
        let to: Vec<lettre::Address> = to.iter().filter_map(|a| a.parse().ok()).collect();
        runtime.spawn(async move {
            if to.is_empty() {
                return;
            }
            let outcome = match Envelope::new(from, to) {
                Ok(envelope) => transport.send_raw(&envelope, &raw).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = outcome {
                tracing::warn!("ses: relaying message {id} to {target} failed: {e}");
            }
        });
    }
}
