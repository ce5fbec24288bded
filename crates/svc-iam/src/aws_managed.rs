//! AWS managed policies: the ones applications commonly attach, with the documents AWS
//! publishes (`data/aws_managed.json`). They exist in every account without being created,
//! are listed with `Scope=AWS`, can be attached and used as boundaries, and cannot be changed.
//!
//! `ReadOnlyAccess` is a faithful subset: AWS's document lists read actions for hundreds of
//! services; the data file keeps the statement's shape with the services Nimbus serves (and a
//! few that applications commonly read).

use std::sync::{Arc, OnceLock};

use nimbus_policy::{Policy, PolicyKind};
use serde::Deserialize;

#[derive(Deserialize)]
struct Entry {
    name: String,
    path: String,
    id: String,
    description: String,
    version: String,
    created: String,
    updated: String,
    document: serde_json::Value,
}

pub struct AwsPolicy {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub id: String,
    pub description: String,
    pub default_version: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub document: String,
    pub parsed: Arc<Policy>,
}

fn parse_date(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .unwrap_or(0)
}

/// Every AWS managed policy Nimbus knows, sorted by name.
pub fn all() -> &'static [AwsPolicy] {
    static ALL: OnceLock<Vec<AwsPolicy>> = OnceLock::new();
    ALL.get_or_init(|| {
        let entries: Vec<Entry> = serde_json::from_str(include_str!("../data/aws_managed.json"))
            .expect("aws_managed.json parses");
        let mut out: Vec<AwsPolicy> = entries
            .into_iter()
            .map(|e| {
                let document =
                    serde_json::to_string_pretty(&e.document).expect("document serializes");
                let parsed = Arc::new(
                    Policy::parse(&document, PolicyKind::Identity)
                        .expect("AWS managed policy parses"),
                );
                AwsPolicy {
                    arn: format!("arn:aws:iam::aws:policy{}{}", e.path, e.name),
                    name: e.name,
                    path: e.path,
                    id: e.id,
                    description: e.description,
                    default_version: e.version,
                    created_ms: parse_date(&e.created),
                    updated_ms: parse_date(&e.updated),
                    document,
                    parsed,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    })
}

/// The AWS managed policy with this ARN.
pub fn find(arn: &str) -> Option<&'static AwsPolicy> {
    if !arn.starts_with("arn:aws:iam::aws:policy/") {
        return None;
    }
    all().iter().find(|p| p.arn == arn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_aws_managed_policy_parses_and_has_an_arn() {
        let all = super::all();
        assert!(all.len() >= 11);
        let admin = super::find("arn:aws:iam::aws:policy/AdministratorAccess").unwrap();
        assert_eq!(admin.id, "ANPAIWMBCKSKIEE64ZLYK");
        assert!(
            super::find("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                .is_some()
        );
        assert!(super::find("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole").is_none());
    }
}
