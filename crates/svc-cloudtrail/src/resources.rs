//! The resources an event names (`resources` in the record, `Resources` in LookupEvents, and
//! what data-event selectors match ARNs against), read from its request parameters.
//!
//! AWS fills these per service; the table below covers Nimbus's services by the request members
//! that name a resource. A name given as an ARN stays the name; ARNs are built where the member
//! holds a plain name (tables, queues from their URL, buckets and objects).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One resource of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// `AWS::SQS::Queue`
    #[serde(rename = "type")]
    pub resource_type: String,
    /// As the call named it (a name, URL or ARN).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl Resource {
    fn new(resource_type: &str, name: &str, arn: Option<String>) -> Self {
        Resource { resource_type: resource_type.to_owned(), name: name.to_owned(), arn }
    }
}

/// The resources named by `params` (record form: lowerCamelCase members) of a call on `service`.
pub fn of_call(service: &str, params: &Value, account: &str, region: &str) -> Vec<Resource> {
    let mut out = Vec::new();
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    match service {
        "s3" => {
            if let Some(bucket) = text("bucketName") {
                if let Some(key) = text("key") {
                    out.push(Resource::new("AWS::S3::Object", &format!("{bucket}/{key}"), Some(format!("arn:aws:s3:::{bucket}/{key}"))));
                }
                out.push(Resource::new("AWS::S3::Bucket", bucket, Some(format!("arn:aws:s3:::{bucket}"))));
            }
        }
        "dynamodb" => {
            let mut tables: Vec<&str> = text("tableName").into_iter().collect();
            if let Some(Value::Object(items)) = params.get("requestItems") {
                tables.extend(items.keys().map(String::as_str));
            }
            for item in params.get("transactItems").and_then(Value::as_array).into_iter().flatten() {
                let action = item.as_object().and_then(|o| o.values().next());
                tables.extend(action.and_then(|a| a.get("tableName")).and_then(Value::as_str));
            }
            tables.dedup();
            for table in tables {
                let arn = if table.starts_with("arn:") { table.to_owned() } else { format!("arn:aws:dynamodb:{region}:{account}:table/{table}") };
                out.push(Resource::new("AWS::DynamoDB::Table", table, Some(arn)));
            }
        }
        "dynamodbstreams" => {
            if let Some(stream) = text("streamArn") {
                out.push(Resource::new("AWS::DynamoDB::Stream", stream, Some(stream.to_owned())));
            }
        }
        "sqs" => {
            if let Some(url) = text("queueUrl") {
                out.push(Resource::new("AWS::SQS::Queue", url, queue_arn_from_url(url, region)));
            } else if let Some(name) = text("queueName") {
                out.push(Resource::new("AWS::SQS::Queue", name, Some(format!("arn:aws:sqs:{region}:{account}:{name}"))));
            }
        }
        "sns" => {
            if let Some(topic) = text("topicArn").or_else(|| text("targetArn")) {
                out.push(Resource::new("AWS::SNS::Topic", topic, Some(topic.to_owned())));
            } else if let Some(name) = text("name") {
                out.push(Resource::new("AWS::SNS::Topic", name, Some(format!("arn:aws:sns:{region}:{account}:{name}"))));
            }
        }
        "lambda" => {
            if let Some(function) = text("functionName") {
                let arn = function.starts_with("arn:").then(|| function.to_owned());
                out.push(Resource::new("AWS::Lambda::Function", function, arn));
            }
        }
        "secretsmanager" => named(&mut out, "AWS::SecretsManager::Secret", text("secretId").or_else(|| text("name"))),
        "ssm" => {
            named(&mut out, "AWS::SSM::Parameter", text("name"));
            for name in params.get("names").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                named(&mut out, "AWS::SSM::Parameter", Some(name));
            }
        }
        "kms" => named(&mut out, "AWS::KMS::Key", text("keyId")),
        "iam" => {
            named(&mut out, "AWS::IAM::User", text("userName"));
            named(&mut out, "AWS::IAM::Role", text("roleName"));
            named(&mut out, "AWS::IAM::Group", text("groupName"));
            named(&mut out, "AWS::IAM::Policy", text("policyArn"));
        }
        "sts" => named(&mut out, "AWS::IAM::Role", text("roleArn")),
        "cloudtrail" => named(&mut out, "AWS::CloudTrail::Trail", text("name").or_else(|| text("trailName"))),
        _ => {}
    }
    out
}

fn named(out: &mut Vec<Resource>, resource_type: &str, name: Option<&str>) {
    if let Some(name) = name {
        let arn = name.starts_with("arn:").then(|| name.to_owned());
        out.push(Resource::new(resource_type, name, arn));
    }
}

/// `http://host/000000000000/jobs` → `arn:aws:sqs:<region>:000000000000:jobs`.
fn queue_arn_from_url(url: &str, region: &str) -> Option<String> {
    let mut segments = url.trim_end_matches('/').rsplit('/');
    let name = segments.next()?;
    let account = segments.next().filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_per_service() {
        let s3 = of_call("s3", &json!({"bucketName": "b", "key": "a/b.txt"}), "1", "r");
        assert_eq!(s3[0], Resource::new("AWS::S3::Object", "b/a/b.txt", Some("arn:aws:s3:::b/a/b.txt".into())));
        assert_eq!(s3[1].arn.as_deref(), Some("arn:aws:s3:::b"));
        let q = of_call("sqs", &json!({"queueUrl": "http://localhost:4566/000000000000/jobs"}), "000000000000", "eu-west-1");
        assert_eq!(q[0].arn.as_deref(), Some("arn:aws:sqs:eu-west-1:000000000000:jobs"));
        let t = of_call("dynamodb", &json!({"requestItems": {"a": [], "b": []}}), "1", "r");
        assert_eq!(t.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        let tx = of_call("dynamodb", &json!({"transactItems": [{"put": {"tableName": "x"}}]}), "1", "r");
        assert_eq!(tx[0].arn.as_deref(), Some("arn:aws:dynamodb:r:1:table/x"));
        assert_eq!(of_call("secretsmanager", &json!({"name": "db"}), "1", "r")[0].resource_type, "AWS::SecretsManager::Secret");
        assert!(of_call("sts", &json!({}), "1", "r").is_empty());
    }
}
