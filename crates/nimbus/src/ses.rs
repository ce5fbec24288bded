//! SES's own endpoints, wired into the server:
//!
//! - `GET /_nimbus/ses/messages?to=&from=&since=&region=`: the mailbox, oldest first (JSON);
//!   `since` is epoch milliseconds or ISO 8601.
//! - `GET /_nimbus/ses/messages/<id>`: one message as JSON (headers and raw MIME included);
//!   `GET /_nimbus/ses/messages/<id>.eml`: its RFC 5322 bytes (`message/rfc822`).
//! - `DELETE /_nimbus/ses/messages` (all, or those matching the same filters) and
//!   `DELETE /_nimbus/ses/messages/<id>`.
//! - `POST /_nimbus/ses/verify?identity=<address or domain>[&account=&region=]`: verifies a
//!   pending identity (with `--ses-require-verification`).
//! - LocalStack's `GET /_aws/ses[?id=|?email=]` and `DELETE /_aws/ses[?id=]`, in its shape.

use std::sync::Arc;

use http::Method;
use nimbus_server::AdminPages;
use nimbus_svc_ses::{MailFilter, Ses};
use serde_json::json;

pub struct SesPages {
    pub ses: Arc<Ses>,
    pub account_id: String,
    pub region: String,
}

type Page = (u16, &'static str, Vec<u8>);

const LOCALSTACK_PATH: &str = "/_aws/ses";

impl AdminPages for SesPages {
    fn name(&self) -> &'static str {
        "ses"
    }

    fn get(&self, rest: &str, query: &str) -> Option<Page> {
        self.handle(&Method::GET, rest, query, &[])
    }

    fn claimed_paths(&self) -> &'static [&'static str] {
        &[LOCALSTACK_PATH]
    }

    fn handle(&self, method: &Method, rest: &str, query: &str, _body: &[u8]) -> Option<Page> {
        let rest = rest.trim_end_matches('/');
        let answer = match (method, rest) {
            (&Method::GET, LOCALSTACK_PATH) => {
                let filter = MailFilter { id: param(query, "id"), from: param(query, "email"), ..Default::default() };
                self.ses.localstack_json(&filter).map(|v| ok(&v))
            }
            (&Method::DELETE, LOCALSTACK_PATH) => {
                let filter = MailFilter { id: param(query, "id"), ..Default::default() };
                self.ses.delete_messages(&filter).map(|_| (204, "application/json", Vec::new()))
            }
            (&Method::GET, "/messages") => match filter(query) {
                Ok(filter) => self.ses.messages_json(&filter).map(|v| ok(&v)),
                Err(why) => Ok(bad_request(&why)),
            },
            (&Method::DELETE, "/messages") => match filter(query) {
                Ok(filter) => self.ses.delete_messages(&filter).map(|n| ok(&json!({ "deleted": n }))),
                Err(why) => Ok(bad_request(&why)),
            },
            (&Method::GET, path) if let Some(id) = path.strip_prefix("/messages/") => match id.strip_suffix(".eml") {
                Some(id) => self.ses.message_raw(id).map(|raw| match raw {
                    Some(raw) => (200, "message/rfc822", raw),
                    None => not_found(id),
                }),
                None => self.ses.message_json(id).map(|m| m.map_or_else(|| not_found(id), |m| ok(&m))),
            },
            (&Method::DELETE, path) if let Some(id) = path.strip_prefix("/messages/") => {
                let filter = MailFilter { id: Some(id.to_owned()), ..Default::default() };
                self.ses.delete_messages(&filter).map(|n| if n == 0 { not_found(id) } else { ok(&json!({ "deleted": n })) })
            }
            (&Method::POST, "/verify") => {
                let Some(identity) = param(query, "identity") else {
                    return Some(bad_request("expected ?identity=<email address or domain>"));
                };
                let account = param(query, "account").unwrap_or_else(|| self.account_id.clone());
                let region = param(query, "region").unwrap_or_else(|| self.region.clone());
                self.ses.verify_identity(&account, &region, &identity).map(|found| {
                    if found {
                        ok(&json!({ "identity": identity, "verificationStatus": "Success" }))
                    } else {
                        (404, "application/json", json!({ "error": format!("no identity {identity} in {account}/{region}") }).to_string().into_bytes())
                    }
                })
            }
            _ => return None,
        };
        Some(answer.unwrap_or_else(|e| (500, "application/json", json!({ "error": e.to_string() }).to_string().into_bytes())))
    }
}

fn filter(query: &str) -> Result<MailFilter, String> {
    Ok(MailFilter {
        id: None,
        to: param(query, "to"),
        from: param(query, "from"),
        since_ms: param(query, "since").map(|s| MailFilter::parse_since(&s)).transpose()?,
        region: param(query, "region"),
    })
}

fn ok(value: &serde_json::Value) -> Page {
    (200, "application/json", value.to_string().into_bytes())
}

fn bad_request(why: &str) -> Page {
    (400, "application/json", json!({ "error": why }).to_string().into_bytes())
}

fn not_found(id: &str) -> Page {
    (404, "application/json", json!({ "error": format!("no message {id}") }).to_string().into_bytes())
}

fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).filter(|v| !v.is_empty())
}
