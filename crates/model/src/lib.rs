//! AWS's service models, embedded in the binary.
//!
//! - [`index()`] is the classification index computed at build time from every model: cheap to
//!   load (a few kilobytes), so start-up stays fast.
//! - [`service()`] parses one full model (shape graph) the first time it is needed and keeps it for
//!   the life of the process.

mod types;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use types::*;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// What classification needs to know about one service, without its shapes.
#[derive(Debug, serde::Deserialize)]
pub struct ServiceIndex {
    /// The model's name in botocore (`secretsmanager`, `cognito-idp`).
    pub name: String,
    pub service_id: String,
    /// The model's API version (`2011-06-15`): awsQuery requests carry it as `Version`.
    pub api_version: String,
    pub signing_name: String,
    pub endpoint_prefix: String,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub protocols: Vec<String>,
    pub query_compatible: bool,
    pub operations: Vec<OperationIndex>,
}

#[derive(Debug, serde::Deserialize)]
pub struct OperationIndex {
    pub name: String,
    pub method: String,
    pub uri: String,
}

impl ServiceIndex {
    pub fn speaks(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p == protocol)
    }

    pub fn has_operation(&self, name: &str) -> bool {
        self.operations.iter().any(|o| o.name == name)
    }
}

/// Every embedded model's index entry, in model-name order.
pub fn index() -> &'static [ServiceIndex] {
    static INDEX: OnceLock<Vec<ServiceIndex>> = OnceLock::new();
    INDEX.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/index.json")))
            .expect("build.rs writes a valid index")
    })
}

/// The index entry of one model.
pub fn service_index(name: &str) -> Option<&'static ServiceIndex> {
    index().iter().find(|s| s.name == name)
}

/// The full model of one service, parsed on first use.
pub fn service(name: &str) -> Option<&'static ServiceModel> {
    static PARSED: OnceLock<HashMap<&'static str, OnceLock<ServiceModel>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| embedded::EMBEDDED.iter().map(|(n, _)| (*n, OnceLock::new())).collect());
    let (key, cell) = parsed.get_key_value(name)?;
    Some(cell.get_or_init(|| {
        let text = embedded::EMBEDDED.iter().find(|(n, _)| n == key).expect("same table").1;
        serde_json::from_str(text).expect("build.rs parsed this model already")
    }))
}

impl ServiceModel {
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The shape of an error by its shape name or its awsQuery code.
    pub fn error_shape(&self, code: &str) -> Option<(&str, &Shape)> {
        if let Some((name, shape)) = self.shapes.get_key_value(code)
            && (shape.exception || shape.error.is_some())
        {
            return Some((name.as_str(), shape));
        }
        self.shapes.iter().find_map(|(name, shape)| {
            let traits = shape.error.as_ref()?;
            (traits.code.as_deref() == Some(code)).then_some((name.as_str(), shape))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_covers_every_embedded_model_and_is_consistent_with_it() {
        assert!(index().len() >= 26, "issue 2 lists 26 services");
        for entry in index() {
            let model = service(&entry.name).unwrap_or_else(|| panic!("{} embedded", entry.name));
            assert_eq!(model.metadata.signing_name(), entry.signing_name);
            assert_eq!(model.operations.len(), entry.operations.len());
            for op in model.operations.values() {
                for r in op.input.iter().chain(&op.output).chain(&op.errors) {
                    assert!(model.shape(&r.shape).is_some(), "{}.{} refers to missing {}", entry.name, op.name, r.shape);
                }
            }
        }
    }

    #[test]
    fn knows_the_facts_classification_relies_on() {
        let sm = service_index("secretsmanager").unwrap();
        assert_eq!(sm.target_prefix.as_deref(), Some("secretsmanager"));
        assert_eq!(sm.protocols, ["json"]);
        assert!(sm.has_operation("GetSecretValue"));
        let sqs = service_index("sqs").unwrap();
        assert!(sqs.query_compatible);
        let cw = service_index("cloudwatch").unwrap();
        assert!(cw.speaks("smithy-rpc-v2-cbor") && cw.speaks("query"));
        assert_eq!(service_index("sts").unwrap().signing_name, "sts");
        assert!(service("no-such-service").is_none());
    }

    #[test]
    fn finds_error_shapes_by_name_and_query_code() {
        // botocore keeps awsQuery error codes for query services (IAM, SNS, RDS...); it drops
        // them for JSON services that are only query-compatible (SQS), which need their own table.
        let iam = service("iam").unwrap();
        let (name, shape) = iam.error_shape("ConcurrentModificationException").unwrap();
        assert_eq!(name, "ConcurrentModificationException");
        assert_eq!(shape.error.as_ref().unwrap().code.as_deref(), Some("ConcurrentModification"));
        assert_eq!(iam.error_shape("ConcurrentModification").unwrap().0, "ConcurrentModificationException");
        assert!(iam.error_shape("NoSuchThing").is_none());
    }
}
