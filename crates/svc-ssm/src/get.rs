//! GetParameter, GetParameters, GetParametersByPath, GetParameterHistory.

use nimbus_core::{Document, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::describe::{FilterInput, FilterSet, Operation};
use crate::errors::{self, Res};
use crate::names::{self, Access, Reference, Selector};
use crate::records::{ParamType, ParameterRecord, VersionData, VersionRecord, version_key, versions_prefix};
use crate::{Ssm, decode_token, encode_token, policies_doc, timestamp};

const BY_PATH_DEFAULT_MAX: usize = 10;
const HISTORY_DEFAULT_MAX: usize = 50;
/// Records read per store call while scanning.
pub(crate) const SCAN_BATCH: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterInput {
    name: String,
    with_decryption: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersInput {
    names: Vec<String>,
    with_decryption: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersByPathInput {
    path: String,
    recursive: Option<bool>,
    parameter_filters: Option<Vec<FilterInput>>,
    with_decryption: Option<bool>,
    max_results: Option<usize>,
    next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryInput {
    name: String,
    with_decryption: Option<bool>,
    max_results: Option<usize>,
    next_token: Option<String>,
}

impl Ssm {
    /// The version a reference selects. `Ok(None)`: no such parameter.
    fn resolve(&self, ctx: &RequestContext, reference: &Reference) -> Res<Option<(ParameterRecord, VersionData)>> {
        let scope = Self::scope(ctx);
        let Some(record) = self.find(&scope, &reference.candidates)? else {
            return Ok(None);
        };
        let version = match &reference.selector {
            Selector::Latest => {
                let data = record.current.clone();
                return Ok(Some((record, data)));
            }
            Selector::Version(v) => *v,
            Selector::Label(label) => match record.labels.get(label) {
                Some(v) => *v,
                None => return Err(errors::label_not_found(&record.name, label).into()),
            },
        };
        let data = self.version_data(&scope, &record, version)?;
        Ok(Some((record, data)))
    }

    /// One retained version of a parameter, or ParameterVersionNotFound.
    pub(crate) fn version_data(&self, scope: &str, record: &ParameterRecord, version: i64) -> Res<VersionData> {
        if version == record.current.version {
            return Ok(record.current.clone());
        }
        match self.store.get::<VersionRecord>(scope, &version_key(&record.name, version))? {
            Some(v) => Ok(v.data),
            None => Err(errors::version_not_found(&record.name, version).into()),
        }
    }

    pub(crate) fn get_parameter(&self, ctx: &RequestContext, input: GetParameterInput) -> Res<Document> {
        let Some(reference) = names::parse_reference(ctx, &input.name, Access::Read)? else {
            return Err(errors::parameter_not_found().into());
        };
        let Some((record, data)) = self.resolve(ctx, &reference)? else {
            return Err(errors::parameter_not_found().into());
        };
        let decrypt = input.with_decryption.unwrap_or(false);
        let doc = self.parameter_doc(ctx, &record.name, &data, decrypt, reference.selector.suffix())?;
        Ok(json!({ "Parameter": doc }))
    }

    pub(crate) fn get_parameters(&self, ctx: &RequestContext, input: GetParametersInput) -> Res<Document> {
        let decrypt = input.with_decryption.unwrap_or(false);
        let requested = names::dedup_names(&input.names);
        let mut references = Vec::with_capacity(requested.len());
        for name in &requested {
            references.push(names::parse_reference(ctx, name, Access::Read)?);
        }
        let (mut found, mut invalid) = (Vec::new(), Vec::new());
        for (name, reference) in requested.into_iter().zip(references) {
            let resolved = match &reference {
                None => None,
                Some(reference) => match self.resolve(ctx, reference) {
                    Ok(resolved) => resolved,
                    Err(e) if e.0.code == "ParameterVersionNotFound" => None,
                    Err(e) => return Err(e),
                },
            };
            match (resolved, reference) {
                (Some((record, data)), Some(reference)) => {
                    found.push(self.parameter_doc(ctx, &record.name, &data, decrypt, reference.selector.suffix())?);
                }
                _ => invalid.push(name),
            }
        }
        Ok(json!({"Parameters": found, "InvalidParameters": invalid}))
    }

    pub(crate) fn get_parameters_by_path(
        &self,
        ctx: &RequestContext,
        input: GetParametersByPathInput,
    ) -> Res<Document> {
        let path = names::validate_path(&input.path)?;
        let recursive = input.recursive.unwrap_or(false);
        let filters = FilterSet::parse(input.parameter_filters.unwrap_or_default(), Operation::GetParametersByPath)?;
        let decrypt = input.with_decryption.unwrap_or(false);
        let max = input.max_results.unwrap_or(BY_PATH_DEFAULT_MAX).max(1);
        let after = decode_token(input.next_token.as_deref())?;
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        let (matches, next) = self.scan(&scope, &names::listing_prefix(&path), after, max, |record| {
            !record.is_expired(now) && names::is_under(&record.name, &path, recursive) && filters.matches(record)
        })?;
        let mut parameters = Vec::with_capacity(matches.len());
        for record in &matches {
            // A Label filter returns the version carrying the label.
            let data = match filters.label_version(record) {
                Some(version) => self.version_data(&scope, record, version)?,
                None => record.current.clone(),
            };
            parameters.push(self.parameter_doc(ctx, &record.name, &data, decrypt, None)?);
        }
        let mut out = Map::new();
        out.insert("Parameters".into(), Value::Array(parameters));
        if let Some(next) = next {
            out.insert("NextToken".into(), json!(next));
        }
        Ok(Value::Object(out))
    }

    /// Walks parameters in key order from `after`, collecting up to `max` that satisfy `keep`.
    /// The token is returned only when another match exists beyond the page.
    pub(crate) fn scan(
        &self,
        scope: &str,
        prefix: &str,
        after: Option<String>,
        max: usize,
        mut keep: impl FnMut(&ParameterRecord) -> bool,
    ) -> Res<(Vec<ParameterRecord>, Option<String>)> {
        let mut out: Vec<ParameterRecord> = Vec::new();
        let mut cursor = after;
        loop {
            let batch = self.store.list::<ParameterRecord>(scope, prefix, cursor.as_deref(), SCAN_BATCH)?;
            let exhausted = batch.len() < SCAN_BATCH;
            for (key, record) in batch {
                cursor = Some(key);
                if keep(&record) {
                    if out.len() == max {
                        let last = out.last().map(|r| r.name.clone()).unwrap_or_default();
                        return Ok((out, Some(encode_token(&last))));
                    }
                    out.push(record);
                }
            }
            if exhausted {
                return Ok((out, None));
            }
        }
    }

    pub(crate) fn get_parameter_history(&self, ctx: &RequestContext, input: GetParameterHistoryInput) -> Res<Document> {
        let Some(reference) = names::parse_reference(ctx, &input.name, Access::Read)? else {
            return Err(errors::parameter_not_found().into());
        };
        if reference.selector != Selector::Latest {
            return Err(errors::invalid_name().into());
        }
        let scope = Self::scope(ctx);
        let Some(record) = self.find(&scope, &reference.candidates)? else {
            return Err(errors::parameter_not_found().into());
        };
        let decrypt = input.with_decryption.unwrap_or(false);
        let max = input.max_results.unwrap_or(HISTORY_DEFAULT_MAX).max(1);
        let after = decode_token(input.next_token.as_deref())?;
        let prefix = versions_prefix(&record.name);
        if after.as_deref().is_some_and(|key| !key.starts_with(&prefix)) {
            return Err(errors::invalid_next_token().into());
        }
        let mut page = self.store.list::<VersionRecord>(&scope, &prefix, after.as_deref(), max + 1)?;
        let next = if page.len() > max {
            page.truncate(max);
            page.last().map(|(key, _)| encode_token(key))
        } else {
            None
        };
        let mut entries = Vec::with_capacity(page.len());
        for (_, version) in &page {
            entries.push(self.history_doc(ctx, &record, &version.data, decrypt)?);
        }
        let mut out = Map::new();
        out.insert("Parameters".into(), Value::Array(entries));
        if let Some(next) = next {
            out.insert("NextToken".into(), json!(next));
        }
        Ok(Value::Object(out))
    }

    fn history_doc(
        &self,
        ctx: &RequestContext,
        record: &ParameterRecord,
        data: &VersionData,
        decrypt: bool,
    ) -> Res<Value> {
        let mut doc = Map::new();
        doc.insert("Name".into(), json!(record.name));
        doc.insert("Type".into(), json!(data.param_type.as_str()));
        if data.param_type == ParamType::SecureString
            && let Some(key_id) = &data.key_id
        {
            doc.insert("KeyId".into(), json!(key_id));
        }
        doc.insert("LastModifiedDate".into(), timestamp(data.modified_ms));
        doc.insert("LastModifiedUser".into(), json!(data.modified_user));
        if let Some(description) = &data.description {
            doc.insert("Description".into(), json!(description));
        }
        doc.insert("Value".into(), json!(self.render_value(ctx, &record.name, data, decrypt)?));
        if let Some(pattern) = &data.allowed_pattern {
            doc.insert("AllowedPattern".into(), json!(pattern));
        }
        doc.insert("Version".into(), json!(data.version));
        doc.insert("Labels".into(), json!(record.labels_of(data.version)));
        doc.insert("Tier".into(), json!(data.tier.as_str()));
        doc.insert("Policies".into(), policies_doc(data));
        doc.insert("DataType".into(), json!(data.data_type));
        Ok(Value::Object(doc))
    }
}
