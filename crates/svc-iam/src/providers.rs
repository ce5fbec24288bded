//! Identity providers: OpenID Connect (keyed by URL without the scheme) and SAML (keyed by
//! name, metadata document kept as given). Recorded and returned; Nimbus does not federate.

use nimbus_core::{Document, RequestContext};
use serde_json::json;

use crate::Iam;
use crate::errors::{Res, exists, invalid, limit, no_such};
use crate::records::{OidcProviderRecord, SamlProviderRecord};
use crate::tags::{TagChange, put_tags, tags_in};
use crate::util::{Read, arn_parts, req, strings, ts};

/// SAML metadata documents AWS accepts as valid for years; Nimbus says 100.
const SAML_VALIDITY_MS: i64 = 100 * 365 * 86_400_000;

fn oidc_arn(account: &str, key: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{key}")
}

/// What follows `<kind>/` in an IAM ARN of this account: the record key of an identity
/// provider (`oidc-provider` by URL, `saml-provider` by name).
fn provider_key<'a>(account: &str, provider_arn: &'a str, kind: &str) -> Option<&'a str> {
    let (service, arn_account, resource) = arn_parts(provider_arn)?;
    (service == "iam" && arn_account == account).then_some(())?;
    resource.strip_prefix(kind)?.strip_prefix('/')
}

/// The record key of an OIDC provider ARN in this account.
fn oidc_key<'a>(account: &str, provider_arn: &'a str) -> Option<&'a str> {
    provider_key(account, provider_arn, "oidc-provider")
}

fn saml_name<'a>(account: &str, provider_arn: &'a str) -> Option<&'a str> {
    provider_key(account, provider_arn, "saml-provider")
}

fn no_oidc(provider_arn: &str) -> crate::errors::Failure {
    no_such(format!(
        "OpenIDConnect Provider not found for arn {provider_arn}"
    ))
}

fn no_saml(provider_arn: &str) -> crate::errors::Failure {
    no_such(format!("SAMLProvider {provider_arn} does not exist."))
}

fn check_thumbprints(thumbprints: &[String]) -> Res<()> {
    if thumbprints.len() > 5 {
        return Err(limit("Thumbprint list must contain fewer than 5 entries."));
    }
    if let Some(bad) = thumbprints
        .iter()
        .find(|t| t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(invalid(format!(
            "Thumbprint {bad} must be a 40-character hexadecimal string."
        )));
    }
    Ok(())
}

fn check_metadata(metadata: &str) -> Res<()> {
    if !metadata.contains("EntityDescriptor") {
        return Err(invalid("Could not parse metadata"));
    }
    Ok(())
}

impl Iam {
    fn oidc<S: Read>(
        s: &S,
        ctx: &RequestContext,
        provider_arn: &str,
    ) -> Res<(String, OidcProviderRecord)> {
        let key = oidc_key(&ctx.account_id, provider_arn).ok_or_else(|| no_oidc(provider_arn))?;
        let record = s
            .rec(&ctx.account_id, key)?
            .ok_or_else(|| no_oidc(provider_arn))?;
        Ok((key.to_owned(), record))
    }

    fn change_oidc(
        &self,
        ctx: &RequestContext,
        provider_arn: &str,
        f: impl FnOnce(&mut OidcProviderRecord) -> Res<()>,
    ) -> Res<()> {
        self.write(ctx, |t, account| {
            let (key, mut record) = Self::oidc(t, ctx, provider_arn)?;
            f(&mut record)?;
            t.put(account, &key, &record)?;
            Ok(())
        })
    }

    pub(crate) fn create_oidc(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let url = req(input, "Url")?;
        // AWS takes https:// only; Nimbus also takes http://, since it fetches keys without
        // TLS (local identity providers in tests and compose files).
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .filter(|r| !r.is_empty() && !r.contains(['?', '#']))
        else {
            return Err(invalid("Invalid Openid Connect Provider URL"));
        };
        let key = rest.trim_end_matches('/').to_owned();
        let thumbprints = strings(input, "ThumbprintList");
        check_thumbprints(&thumbprints)?;
        let record = OidcProviderRecord {
            url: key.clone(),
            client_ids: strings(input, "ClientIDList"),
            thumbprints,
            created_ms: self.now(),
            tags: tags_in(input)?,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, &key, &record)? {
                return Err(exists(format!("Provider with url {url} already exists.")));
            }
            Ok(())
        })?;
        let mut out = json!({"OpenIDConnectProviderArn": oidc_arn(&ctx.account_id, &key)});
        put_tags(&mut out, &record.tags);
        Ok(out)
    }

    pub(crate) fn get_oidc(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (_, p) = Self::oidc(self.store(), ctx, req(input, "OpenIDConnectProviderArn")?)?;
        let mut out = json!({
            "Url": p.url, "ClientIDList": p.client_ids, "ThumbprintList": p.thumbprints, "CreateDate": ts(p.created_ms),
        });
        put_tags(&mut out, &p.tags);
        Ok(out)
    }

    pub(crate) fn list_oidc(&self, ctx: &RequestContext) -> Res<Document> {
        let list: Vec<Document> = self
            .store()
            .all::<OidcProviderRecord>(&ctx.account_id)?
            .iter()
            .map(|p| json!({"Arn": oidc_arn(&ctx.account_id, &p.url)}))
            .collect();
        Ok(json!({"OpenIDConnectProviderList": list}))
    }

    pub(crate) fn delete_oidc(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let provider_arn = req(input, "OpenIDConnectProviderArn")?;
        self.write(ctx, |t, account| {
            let (key, _) = Self::oidc(t, ctx, provider_arn)?;
            t.delete::<OidcProviderRecord>(account, &key)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn update_oidc_thumbprints(
        &self,
        ctx: &RequestContext,
        input: &Document,
    ) -> Res<Document> {
        let thumbprints = strings(input, "ThumbprintList");
        check_thumbprints(&thumbprints)?;
        self.change_oidc(ctx, req(input, "OpenIDConnectProviderArn")?, |p| {
            p.thumbprints = thumbprints;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn oidc_client_id(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let client_id = req(input, "ClientID")?;
        self.change_oidc(ctx, req(input, "OpenIDConnectProviderArn")?, |p| {
            if add {
                if !p.client_ids.iter().any(|c| c == client_id) {
                    if p.client_ids.len() >= 100 {
                        return Err(limit(
                            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
                        ));
                    }
                    p.client_ids.push(client_id.to_owned());
                }
            } else {
                p.client_ids.retain(|c| c != client_id);
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn tag_oidc(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let change = TagChange::read(input, add)?;
        self.change_oidc(ctx, req(input, "OpenIDConnectProviderArn")?, |p| {
            change.apply(&mut p.tags)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_oidc_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let (_, p) = Self::oidc(self.store(), ctx, req(input, "OpenIDConnectProviderArn")?)?;
        crate::tags::list(input, &p.tags)
    }

    // ---- SAML ----

    fn saml<S: Read>(s: &S, ctx: &RequestContext, provider_arn: &str) -> Res<SamlProviderRecord> {
        let name = saml_name(&ctx.account_id, provider_arn).ok_or_else(|| no_saml(provider_arn))?;
        s.rec(&ctx.account_id, name)?
            .ok_or_else(|| no_saml(provider_arn))
    }

    fn change_saml(
        &self,
        ctx: &RequestContext,
        provider_arn: &str,
        f: impl FnOnce(&mut SamlProviderRecord) -> Res<()>,
    ) -> Res<()> {
        self.write(ctx, |t, account| {
            let mut record = Self::saml(t, ctx, provider_arn)?;
            f(&mut record)?;
            t.put(account, &record.name.clone(), &record)?;
            Ok(())
        })
    }

    pub(crate) fn create_saml(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let name = req(input, "Name")?;
        let metadata = req(input, "SAMLMetadataDocument")?;
        check_metadata(metadata)?;
        let now = self.now();
        let record = SamlProviderRecord {
            name: name.to_owned(),
            metadata: metadata.to_owned(),
            created_ms: now,
            valid_until_ms: now + SAML_VALIDITY_MS,
            tags: tags_in(input)?,
        };
        self.write(ctx, |t, account| {
            if !t.insert(account, name, &record)? {
                return Err(exists(format!("SAMLProvider {name} already exists")));
            }
            Ok(())
        })?;
        let mut out = json!({"SAMLProviderArn": format!("arn:aws:iam::{}:saml-provider/{name}", ctx.account_id)});
        put_tags(&mut out, &record.tags);
        Ok(out)
    }

    pub(crate) fn get_saml(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let p = Self::saml(self.store(), ctx, req(input, "SAMLProviderArn")?)?;
        let mut out = json!({
            "SAMLMetadataDocument": p.metadata, "CreateDate": ts(p.created_ms), "ValidUntil": ts(p.valid_until_ms),
        });
        put_tags(&mut out, &p.tags);
        Ok(out)
    }

    pub(crate) fn list_saml(&self, ctx: &RequestContext) -> Res<Document> {
        let list: Vec<Document> = self
            .store()
            .all::<SamlProviderRecord>(&ctx.account_id)?
            .iter()
            .map(|p| {
                json!({
                    "Arn": format!("arn:aws:iam::{}:saml-provider/{}", ctx.account_id, p.name),
                    "ValidUntil": ts(p.valid_until_ms),
                    "CreateDate": ts(p.created_ms),
                })
            })
            .collect();
        Ok(json!({"SAMLProviderList": list}))
    }

    pub(crate) fn delete_saml(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let provider_arn = req(input, "SAMLProviderArn")?;
        self.write(ctx, |t, account| {
            let p = Self::saml(t, ctx, provider_arn)?;
            t.delete::<SamlProviderRecord>(account, &p.name)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn update_saml(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let provider_arn = req(input, "SAMLProviderArn")?;
        let metadata = crate::util::opt(input, "SAMLMetadataDocument");
        if let Some(m) = metadata {
            check_metadata(m)?;
        }
        self.change_saml(ctx, provider_arn, |p| {
            if let Some(m) = metadata {
                p.metadata = m.to_owned();
            }
            Ok(())
        })?;
        Ok(json!({"SAMLProviderArn": provider_arn}))
    }

    pub(crate) fn tag_saml(
        &self,
        ctx: &RequestContext,
        input: &Document,
        add: bool,
    ) -> Res<Document> {
        let change = TagChange::read(input, add)?;
        self.change_saml(ctx, req(input, "SAMLProviderArn")?, |p| {
            change.apply(&mut p.tags)
        })?;
        Ok(json!({}))
    }

    pub(crate) fn list_saml_tags(&self, ctx: &RequestContext, input: &Document) -> Res<Document> {
        let p = Self::saml(self.store(), ctx, req(input, "SAMLProviderArn")?)?;
        crate::tags::list(input, &p.tags)
    }
}
