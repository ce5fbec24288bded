//! LabelParameterVersion, UnlabelParameterVersion.
//!
//! A label names one version of one parameter: attaching a label that another version carries
//! moves it. A version carries at most 10 labels. Labels that break the naming rules are not
//! attached and come back in InvalidLabels.

use nimbus_core::{Document, RequestContext};
use serde::Deserialize;
use serde_json::json;

use crate::errors::{self, Res};
use crate::names::{self, Access};
use crate::records::{VersionRecord, version_key};
use crate::{Ssm, load_for_write};

pub const MAX_LABELS_PER_VERSION: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionInput {
    name: String,
    parameter_version: Option<i64>,
    labels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlabelParameterVersionInput {
    name: String,
    parameter_version: i64,
    labels: Vec<String>,
}

impl Ssm {
    pub(crate) fn label_parameter_version(
        &self,
        ctx: &RequestContext,
        input: LabelParameterVersionInput,
    ) -> Res<Document> {
        let name = names::validate_name(&input.name, Access::Write)?;
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        let (version, invalid) = self.store.transaction(|txn| -> Res<(i64, Vec<String>)> {
            let Some(mut record) = load_for_write(txn, &scope, &name, now)? else {
                return Err(errors::parameter_not_found().into());
            };
            let version = input.parameter_version.unwrap_or(record.current.version);
            if version != record.current.version
                && txn.get::<VersionRecord>(&scope, &version_key(&name, version))?.is_none()
            {
                return Err(errors::version_not_found(&name, version).into());
            }
            let mut invalid = Vec::new();
            let mut valid: Vec<String> = Vec::new();
            for label in input.labels {
                if !names::label_is_valid(&label) {
                    if !invalid.contains(&label) {
                        invalid.push(label);
                    }
                } else if !valid.contains(&label) {
                    valid.push(label);
                }
            }
            let mut carried = record.labels_of(version);
            for label in &valid {
                if !carried.contains(label) {
                    carried.push(label.clone());
                }
            }
            if carried.len() > MAX_LABELS_PER_VERSION {
                return Err(errors::label_limit().into());
            }
            if !valid.is_empty() {
                for label in valid {
                    record.labels.insert(label, version);
                }
                txn.put(&scope, &name, &record)?;
            }
            Res::Ok((version, invalid))
        })?;
        Ok(json!({"InvalidLabels": invalid, "ParameterVersion": version}))
    }

    pub(crate) fn unlabel_parameter_version(
        &self,
        ctx: &RequestContext,
        input: UnlabelParameterVersionInput,
    ) -> Res<Document> {
        let name = names::validate_name(&input.name, Access::Write)?;
        let scope = Self::scope(ctx);
        let now = self.now_ms();
        let version = input.parameter_version;
        let (removed, invalid) = self.store.transaction(|txn| -> Res<(Vec<String>, Vec<String>)> {
            let Some(mut record) = load_for_write(txn, &scope, &name, now)? else {
                return Err(errors::parameter_not_found().into());
            };
            if version != record.current.version
                && txn.get::<VersionRecord>(&scope, &version_key(&name, version))?.is_none()
            {
                return Err(errors::version_not_found(&name, version).into());
            }
            let (mut removed, mut invalid) = (Vec::new(), Vec::new());
            for label in input.labels {
                if removed.contains(&label) || invalid.contains(&label) {
                    continue;
                }
                if record.labels.get(&label) == Some(&version) {
                    record.labels.remove(&label);
                    removed.push(label);
                } else {
                    invalid.push(label);
                }
            }
            if !removed.is_empty() {
                txn.put(&scope, &name, &record)?;
            }
            Res::Ok((removed, invalid))
        })?;
        Ok(json!({"RemovedLabels": removed, "InvalidLabels": invalid}))
    }
}
