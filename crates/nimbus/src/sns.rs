//! SNS's own pages (`/_nimbus/sns/...`), wired into the server: the certificate notifications
//! are signed with, and the email its subscriptions delivered (kept in SES's mailbox, where
//! `/_nimbus/ses/messages` shows it too).

use std::sync::Arc;

use nimbus_server::AdminPages;
use nimbus_svc_ses::{MailFilter, Ses};
use nimbus_svc_sns::Sns;
use serde_json::{Value, json};

/// The envelope sender of every SNS email.
const SNS_SENDER: &str = "no-reply@sns.amazonaws.com";

pub struct SnsPages {
    pub sns: Arc<Sns>,
    pub ses: Arc<Ses>,
    pub account_id: String,
    pub region: String,
}

impl AdminPages for SnsPages {
    fn name(&self) -> &'static str {
        "sns"
    }

    /// `/SimpleNotificationService.pem`: the signing certificate (PEM).
    /// `/mailbox?account=&region=&address=`: delivered email, oldest first (JSON).
    fn get(&self, rest: &str, query: &str) -> Option<(u16, &'static str, Vec<u8>)> {
        let cert = nimbus_svc_sns::SIGNING_CERT_PATH.strip_prefix("/_nimbus/sns").unwrap_or_default();
        if rest == cert {
            return Some(match self.sns.signing_certificate() {
                Ok(pem) => (200, "application/x-pem-file", pem.into_bytes()),
                Err(e) => (500, "text/plain", e.to_string().into_bytes()),
            });
        }
        if rest.trim_end_matches('/') == "/mailbox" {
            let param = |name: &str| form_param(query, name);
            let account = param("account").unwrap_or_else(|| self.account_id.clone());
            let region = param("region").unwrap_or_else(|| self.region.clone());
            let address = param("address");
            return Some(match self.mailbox(&account, &region, address) {
                Ok(mails) => (200, "application/json", serde_json::to_vec(&json!({ "messages": mails })).unwrap_or_default()),
                Err(e) => (500, "text/plain", e.to_string().into_bytes()),
            });
        }
        None
    }
}

impl SnsPages {
    /// SNS's email to `address` (all of it without one), oldest first: what older builds kept in
    /// SNS's own store, then SES's mailbox.
    fn mailbox(&self, account: &str, region: &str, address: Option<String>) -> Result<Vec<Value>, nimbus_core::ServiceError> {
        let mut mails: Vec<Value> = self.sns.mailbox(account, region)?;
        mails.retain(|m| address.as_ref().is_none_or(|a| m["to"] == a.as_str()));
        let filter = MailFilter { to: address, from: Some(SNS_SENDER.into()), region: Some(region.into()), ..MailFilter::default() };
        let from_ses = self.ses.messages_json(&filter)?;
        for m in from_ses["messages"].as_array().into_iter().flatten().filter(|m| m["account"] == account) {
            mails.push(json!({
                "to": m["to"][0],
                "from": m["source"],
                "subject": m["subject"],
                "body": m["text"],
                "sentMs": m["timestampMs"],
                "id": m["id"],
            }));
        }
        Ok(mails)
    }
}

fn form_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
