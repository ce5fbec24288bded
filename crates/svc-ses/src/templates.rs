//! Email templates (v1 *Template, v2 *EmailTemplate: one store of templates) and their
//! rendering. SES templates are Handlebars: `{{name}}`, nested `{{contact.firstName}}`,
//! `{{#if}}`, `{{#each}}`, inline partials and the other built-in helpers. SES does not escape
//! HTML in replacement values, and a `{{variable}}` the data lacks is a rendering failure
//! (TestRenderTemplate: `MissingRenderingAttribute`; a send: accepted, then a Rendering Failure
//! event), while a missing value tested by `{{#if}}` is simply false.

use std::sync::LazyLock;

use handlebars::{Handlebars, RenderErrorReason};
use nimbus_core::RequestContext;
use nimbus_core::ServiceError;
use serde_json::{Value, json};

use crate::errors::{Api, Fail, Res};
use crate::identities::{ms_time, tags_in, tags_out};
use crate::records::TemplateRecord;
use crate::{Inner, ctx_scope, page, page_size, required, string};

/// The parts of a template (stored, or inline in a v2 send).
#[derive(Debug, Clone, Default)]
pub struct Parts {
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl From<&TemplateRecord> for Parts {
    fn from(t: &TemplateRecord) -> Self {
        Parts { subject: t.subject.clone(), text: t.text.clone(), html: t.html.clone() }
    }
}

/// A template rendered with one recipient's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RenderFail {
    /// A `{{variable}}` with no value in the data.
    Missing(String),
    /// The template data is not JSON.
    BadData(String),
    /// The template itself cannot be rendered (syntax, unknown partial or helper).
    BadTemplate(String),
}

impl RenderFail {
    /// The message SES reports (TestRenderTemplate's error, a Rendering Failure event's
    /// `errorMessage`).
    pub fn message(&self) -> String {
        match self {
            RenderFail::Missing(attribute) => format!("Attribute '{attribute}' is not present in the rendering data."),
            RenderFail::BadData(why) => format!("Template data is not valid JSON: {why}"),
            RenderFail::BadTemplate(why) => format!("Template could not be rendered: {why}"),
        }
    }

    /// TestRenderTemplate's error in `api`'s shapes.
    pub fn error(&self, api: Api, template: &str) -> ServiceError {
        let shape = match (api, self) {
            (Api::V2, _) => return ServiceError::new("BadRequestException", self.message()),
            (Api::V1, RenderFail::Missing(_)) => "MissingRenderingAttributeException",
            (Api::V1, RenderFail::BadData(_)) => "InvalidRenderingParameterException",
            (Api::V1, RenderFail::BadTemplate(_)) => "InvalidTemplateException",
        };
        ServiceError::new(shape, self.message()).with_field("TemplateName", template)
    }
}

/// Strict (a missing variable fails) and unescaped (SES leaves HTML in values as is).
static ENGINE: LazyLock<Handlebars<'static>> = LazyLock::new(|| {
    let mut engine = Handlebars::new();
    engine.set_strict_mode(true);
    engine.register_escape_fn(handlebars::no_escape);
    engine
});

/// The template data as a JSON value (empty data is `{}`).
pub fn parse_data(data: &str) -> Result<Value, RenderFail> {
    if data.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(data).map_err(|e| RenderFail::BadData(e.to_string()))
}

fn render_part(source: &str, data: &Value) -> Result<String, RenderFail> {
    ENGINE.render_template(source, data).map_err(|e| match e.reason() {
        RenderErrorReason::MissingVariable(Some(path)) => RenderFail::Missing(path.clone()),
        RenderErrorReason::MissingVariable(None) => RenderFail::Missing(String::new()),
        _ => RenderFail::BadTemplate(e.to_string()),
    })
}

pub fn render(parts: &Parts, data: &Value) -> Result<Rendered, RenderFail> {
    let part = |p: &Option<String>| p.as_deref().map(|s| render_part(s, data)).transpose();
    Ok(Rendered { subject: part(&parts.subject)?.unwrap_or_default(), text: part(&parts.text)?, html: part(&parts.html)? })
}

/// Whether each part parses as a template (checked when a template is stored).
fn check_syntax(api: Api, parts: &Parts) -> Res<()> {
    for source in [&parts.subject, &parts.text, &parts.html].into_iter().flatten() {
        if let Err(e) = handlebars::Template::compile(source) {
            return Err(match api {
                Api::V1 => ServiceError::new("InvalidTemplateException", format!("Invalid template: {e}")),
                Api::V2 => api.invalid(format!("Invalid template: {e}")),
            });
        }
    }
    Ok(())
}

/// AWS's name rule: letters, digits, `_` and `-`, at most 64.
fn check_name(api: Api, name: &str) -> Res<()> {
    let ok = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(api.invalid(format!(
            "Template name <{name}> is invalid: it must be 1 to 64 letters, digits, underscores or dashes."
        )))
    }
}

/// A stored template, or `api`'s not-found error.
pub fn load(inner: &Inner, scope: &str, api: Api, name: &str) -> Res<TemplateRecord> {
    inner.get::<TemplateRecord>(scope, name)?.ok_or_else(|| api.template_missing(name))
}

async fn create(inner: &Inner, ctx: &RequestContext, api: Api, record: TemplateRecord) -> Res<Value> {
    check_name(api, &record.name)?;
    check_syntax(api, &Parts::from(&record))?;
    let scope = ctx_scope(ctx);
    let exists = api.already_exists("AlreadyExistsException", format!("Template {} already exists.", record.name));
    let exists = if api == Api::V1 { exists.with_field("Name", record.name.as_str()) } else { exists };
    inner
        .write(move |t| if t.insert(&scope, &record.name.clone(), &record)? { Ok(()) } else { Err(Fail(exists)) })
        .await?;
    Ok(json!({}))
}

async fn update(inner: &Inner, ctx: &RequestContext, api: Api, name: &str, parts: Parts) -> Res<Value> {
    check_syntax(api, &parts)?;
    let (scope, name, missing) = (ctx_scope(ctx), name.to_owned(), api.template_missing(name));
    inner
        .write(move |t| {
            let mut record = t.get::<TemplateRecord>(&scope, &name)?.ok_or(Fail(missing))?;
            record.subject = parts.subject;
            record.text = parts.text;
            record.html = parts.html;
            t.put(&scope, &name, &record)?;
            Ok(())
        })
        .await?;
    Ok(json!({}))
}

async fn delete(inner: &Inner, ctx: &RequestContext, name: &str) -> Res<bool> {
    let (scope, name) = (ctx_scope(ctx), name.to_owned());
    inner.write(move |t| Ok(t.delete::<TemplateRecord>(&scope, &name)?)).await
}

/// The rendered template as the MIME message SES shows (TestRenderTemplate's answer).
fn test_render(inner: &Inner, ctx: &RequestContext, api: Api, name: &str, data: &str) -> Res<String> {
    let template = load(inner, &ctx_scope(ctx), api, name)?;
    let rendered = parse_data(data).and_then(|data| render(&Parts::from(&template), &data)).map_err(|f| f.error(api, name))?;
    let id = crate::mailbox::new_message_id(inner.now());
    Ok(crate::mime::preview(&rendered, &id, inner.now() / 1000))
}

// ---- v1 ----

fn v1_parts(input: &Value) -> (String, Parts) {
    let t = input.get("Template").cloned().unwrap_or_default();
    let part = |name: &str| string(&t, name).map(str::to_owned);
    let name = part("TemplateName").unwrap_or_default();
    (name, Parts { subject: part("SubjectPart"), text: part("TextPart"), html: part("HtmlPart") })
}

pub async fn create_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let (name, parts) = v1_parts(input);
    let record = TemplateRecord { name, subject: parts.subject, text: parts.text, html: parts.html, tags: Vec::new(), created_ms: inner.now() };
    create(inner, ctx, Api::V1, record).await
}

pub fn get_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let t = load(inner, &ctx_scope(ctx), Api::V1, required(Api::V1, input, "TemplateName")?)?;
    let mut template = json!({ "TemplateName": t.name });
    for (member, part) in [("SubjectPart", &t.subject), ("TextPart", &t.text), ("HtmlPart", &t.html)] {
        if let Some(part) = part {
            template[member] = json!(part);
        }
    }
    Ok(json!({ "Template": template }))
}

pub async fn update_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let (name, parts) = v1_parts(input);
    update(inner, ctx, Api::V1, &name, parts).await
}

/// v1 DeleteTemplate succeeds whether or not the template exists.
pub async fn delete_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    delete(inner, ctx, required(Api::V1, input, "TemplateName")?).await?;
    Ok(json!({}))
}

fn metadata(inner: &Inner, ctx: &RequestContext, name_member: &str, time_member: &str) -> Res<Vec<(String, Value)>> {
    Ok(inner
        .list_all::<TemplateRecord>(&ctx_scope(ctx))?
        .into_iter()
        .map(|(k, t)| (k, json!({ name_member: t.name, time_member: nimbus_core::document::timestamp(ms_time(t.created_ms)) })))
        .collect())
}

pub fn list_templates(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all = metadata(inner, ctx, "Name", "CreatedTimestamp")?;
    let (items, next) = page(Api::V1, all, input, page_size(input, "MaxItems", 10))?;
    let mut out = json!({ "TemplatesMetadata": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub fn test_render_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V1, input, "TemplateName")?;
    let rendered = test_render(inner, ctx, Api::V1, name, string(input, "TemplateData").unwrap_or_default())?;
    Ok(json!({ "RenderedTemplate": rendered }))
}

// ---- v2 ----

/// v2's EmailTemplateContent.
pub fn v2_parts(content: Option<&Value>) -> Parts {
    let content = content.cloned().unwrap_or_default();
    let part = |name: &str| string(&content, name).map(str::to_owned);
    Parts { subject: part("Subject"), text: part("Text"), html: part("Html") }
}

pub async fn create_email_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "TemplateName")?.to_owned();
    let parts = v2_parts(input.get("TemplateContent"));
    let record =
        TemplateRecord { name, subject: parts.subject, text: parts.text, html: parts.html, tags: tags_in(input), created_ms: inner.now() };
    create(inner, ctx, Api::V2, record).await
}

pub fn get_email_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let t = load(inner, &ctx_scope(ctx), Api::V2, required(Api::V2, input, "TemplateName")?)?;
    let mut content = json!({});
    for (member, part) in [("Subject", &t.subject), ("Text", &t.text), ("Html", &t.html)] {
        if let Some(part) = part {
            content[member] = json!(part);
        }
    }
    Ok(json!({ "TemplateName": t.name, "TemplateContent": content, "Tags": tags_out(&t.tags) }))
}

pub async fn update_email_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "TemplateName")?;
    update(inner, ctx, Api::V2, name, v2_parts(input.get("TemplateContent"))).await
}

pub async fn delete_email_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "TemplateName")?;
    if delete(inner, ctx, name).await? { Ok(json!({})) } else { Err(Api::V2.template_missing(name)) }
}

pub fn list_email_templates(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let all = metadata(inner, ctx, "TemplateName", "CreatedTimestamp")?;
    let (items, next) = page(Api::V2, all, input, page_size(input, "PageSize", 10))?;
    let mut out = json!({ "TemplatesMetadata": items });
    if let Some(next) = next {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub fn test_render_email_template(inner: &Inner, ctx: &RequestContext, input: &Value) -> Res<Value> {
    let name = required(Api::V2, input, "TemplateName")?;
    let rendered = test_render(inner, ctx, Api::V2, name, string(input, "TemplateData").unwrap_or_default())?;
    Ok(json!({ "RenderedTemplate": rendered }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(subject: &str, html: &str) -> Parts {
        Parts { subject: Some(subject.into()), text: None, html: Some(html.into()) }
    }

    #[test]
    fn handlebars_features_as_ses_documents_them() {
        let data = json!({
            "contact": {"firstName": "Anaya"},
            "subscription": [{"interest": "Sports"}, {"interest": "Travel"}],
            "vip": true,
            "note": "<b>bold</b>",
        });
        let p = parts(
            "Hello {{contact.firstName}}",
            "{{#if vip}}VIP {{/if}}{{#each subscription}}<li>{{interest}}</li>{{/each}}{{note}}",
        );
        let r = render(&p, &data).unwrap();
        assert_eq!(r.subject, "Hello Anaya");
        // No HTML escaping of values (SES does not escape).
        assert_eq!(r.html.unwrap(), "VIP <li>Sports</li><li>Travel</li><b>bold</b>");
    }

    #[test]
    fn missing_variables_fail_but_if_on_a_missing_value_is_false() {
        let p = parts("Hi {{name}}", "{{#if missing}}x{{else}}y{{/if}}");
        assert_eq!(render(&p, &json!({})).unwrap_err(), RenderFail::Missing("name".into()));
        let r = render(&p, &json!({"name": "Jo"})).unwrap();
        assert_eq!((r.subject.as_str(), r.html.as_deref()), ("Hi Jo", Some("y")));
        assert_eq!(RenderFail::Missing("name".into()).message(), "Attribute 'name' is not present in the rendering data.");
        assert!(matches!(parse_data("{nope"), Err(RenderFail::BadData(_))));
    }
}
