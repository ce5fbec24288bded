//! SNS's own pages (`/_nimbus/sns/...`), wired into the server: the certificate notifications
//! are signed with, and the local mailbox email subscriptions deliver to.

use std::sync::Arc;

use nimbus_server::AdminPages;
use nimbus_svc_sns::Sns;

pub struct SnsPages {
    pub sns: Arc<Sns>,
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
            return Some(match self.sns.mailbox(&account, &region) {
                Ok(mails) => {
                    let mails: Vec<_> = mails.into_iter().filter(|m| address.as_ref().is_none_or(|a| m["to"] == a.as_str())).collect();
                    (200, "application/json", serde_json::to_vec(&serde_json::json!({ "messages": mails })).unwrap_or_default())
                }
                Err(e) => (500, "text/plain", e.to_string().into_bytes()),
            });
        }
        None
    }
}

fn form_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}
