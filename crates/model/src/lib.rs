//! AWS's service models, embedded in the binary.
//!
//! - [`index()`] is the classification index computed at build time from every model: cheap to
//!   load (a few kilobytes), so start-up stays fast.
//! - [`service()`] parses one full model (shape graph) the first time it is needed and keeps it for
//!   the life of the process.
//! - [`query_model()`] (or [`ServiceModel::query_model`]) is the awsQuery model a query-compatible
//!   JSON service is kept with (SQS: its model from botocore 1.31.0), parsed the same lazy way.
//!   It carries what the JSON model lost: the query wire's names and the awsQuery error codes. It
//!   is not a service of its own and is not in the index.

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

/// The awsQuery model kept beside a query-compatible JSON service's model (`sqs`), parsed on
/// first use. `None` for services without one.
pub fn query_model(service: &str) -> Option<&'static ServiceModel> {
    static PARSED: OnceLock<HashMap<&'static str, OnceLock<ServiceModel>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| embedded::QUERY_MODELS.iter().map(|(n, _, _)| (*n, OnceLock::new())).collect());
    let (key, cell) = parsed.get_key_value(service)?;
    Some(cell.get_or_init(|| {
        let text = embedded::QUERY_MODELS.iter().find(|(n, _, _)| n == key).expect("same table").2;
        serde_json::from_str(text).expect("build.rs parsed this model already")
    }))
}

impl ServiceModel {
    /// This model's awsQuery companion ([`query_model()`]): only a query-compatible JSON model has
    /// one, found by its API uid (`sqs-2012-11-05`) without parsing anything else.
    pub fn query_model(&self) -> Option<&'static ServiceModel> {
        if self.metadata.aws_query_compatible.is_none() || self.metadata.protocol == "query" {
            return None;
        }
        let uid = self.metadata.uid.as_deref()?;
        let (service, _, _) = embedded::QUERY_MODELS.iter().find(|(_, u, _)| *u == uid)?;
        query_model(service)
    }

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
    fn sqs_keeps_its_query_model_outside_the_index() {
        let json = service("sqs").unwrap();
        let query = query_model("sqs").unwrap();
        assert!(std::ptr::eq(json.query_model().unwrap(), query));
        assert_eq!(query.metadata.protocol, "query");
        assert_eq!(query.metadata.xml_namespace.as_deref(), Some("http://queue.amazonaws.com/doc/2012-11-05/"));
        assert_eq!(query.operations.len(), 23);
        for name in json.operations.keys() {
            assert!(query.operation(name).is_some(), "the query model has {name}");
        }
        // Not a service: neither in the index nor served by `service()`.
        assert!(service_index("sqs-query").is_none() && service("sqs-query").is_none());
        assert!(query_model("iam").is_none() && service("iam").unwrap().query_model().is_none());
        assert!(query.query_model().is_none());
        // What the JSON model lost: the awsQuery code and status of its errors.
        let (name, shape) = query.error_shape("AWS.SimpleQueueService.NonExistentQueue").unwrap();
        assert_eq!(name, "QueueDoesNotExist");
        assert_eq!(shape.error.as_ref().unwrap().http_status_code, Some(400));
        assert!(json.shape("QueueDoesNotExist").unwrap().error.is_none());
    }

    /// The service sees the same member names whichever wire a request came on, so every member
    /// the query model has must exist in the JSON model, with the same type and requiredness.
    #[test]
    fn sqs_query_model_members_agree_with_the_json_model() {
        fn walk(json: &ServiceModel, query: &ServiceModel, j: &str, q: &str, path: &str, seen: &mut Vec<String>) {
            let (js, qs) = (json.shape(j).unwrap(), query.shape(q).unwrap());
            assert_eq!(js.shape_type, qs.shape_type, "{path}");
            if seen.iter().any(|s| s == q) {
                return;
            }
            seen.push(q.to_owned());
            for (name, member) in &qs.members {
                let jm = js.members.get(name).unwrap_or_else(|| panic!("{path}.{name} is missing from the JSON model"));
                assert_eq!(js.is_required(name), qs.is_required(name), "{path}.{name} required");
                walk(json, query, &jm.shape, &member.shape, &format!("{path}.{name}"), seen);
            }
            for (jr, qr) in [(&js.member, &qs.member), (&js.value, &qs.value)] {
                if let (Some(jr), Some(qr)) = (jr, qr) {
                    walk(json, query, &jr.shape, &qr.shape, &format!("{path}[]"), seen);
                }
            }
        }
        let (json, query) = (service("sqs").unwrap(), query_model("sqs").unwrap());
        for (name, op) in &query.operations {
            let jop = json.operation(name).unwrap();
            for (jr, qr) in [(&jop.input, &op.input), (&jop.output, &op.output)] {
                match (jr, qr) {
                    (Some(jr), Some(qr)) => walk(json, query, &jr.shape, &qr.shape, name, &mut Vec::new()),
                    (None, None) => {}
                    _ => panic!("{name}: one model has an input/output the other lacks"),
                }
            }
        }
    }

    #[test]
    fn finds_error_shapes_by_name_and_query_code() {
        // botocore keeps awsQuery error codes for query services (IAM, SNS, RDS...); it drops
        // them for JSON services that are only query-compatible (SQS), whose query model has them.
        let iam = service("iam").unwrap();
        let (name, shape) = iam.error_shape("ConcurrentModificationException").unwrap();
        assert_eq!(name, "ConcurrentModificationException");
        assert_eq!(shape.error.as_ref().unwrap().code.as_deref(), Some("ConcurrentModification"));
        assert_eq!(iam.error_shape("ConcurrentModification").unwrap().0, "ConcurrentModificationException");
        assert!(iam.error_shape("NoSuchThing").is_none());
    }
}
