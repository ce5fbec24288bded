//! What strict mode authorizes for a Parameter Store call: `ssm:<Op>` on each parameter's ARN
//! (`arn:aws:ssm:<region>:<account>:parameter/<name without leading />`), with the parameter's
//! tags and Parameter Store's condition keys (`ssm:Overwrite`, `ssm:Policies`, `ssm:Recursive`).
//! Sources: the Service Authorization Reference, "Actions, resources, and condition keys for AWS
//! Systems Manager" (resource type `parameter`), and the Parameter Store user guide's "Preventing
//! access to Parameter Store API operations". Parameters have no resource policy in Nimbus
//! (AWS shares advanced parameters through RAM), so only identity policies decide.
//!
//! GetParameter(s)/GetParametersByPath with `WithDecryption` on a SecureString also need
//! `kms:Decrypt` on the parameter's key on AWS; KMS enforces that when SSM calls it, not this
//! hook, so it is not listed here.

use nimbus_core::service::tag_list;
use nimbus_core::{Access, Document, RequestContext};

use crate::Ssm;
use crate::names::{self, Access as NameAccess};
use crate::records::ParameterRecord;

fn string<'a>(input: &'a Document, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Document::as_str)
}

fn strings(input: &Document, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Document::as_array)
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}



/// An ARN of another account or region, without a `:selector`.
fn foreign_arn(arn: &str) -> String {
    let arn = names::trim(arn);
    match arn.match_indices(':').nth(5) {
        Some((at, _)) => arn[..at].to_owned(),
        None => arn.to_owned(),
    }
}

impl Ssm {
    /// The ARN of the parameter `name` refers to (a name, `name:selector`, or an ARN), and the
    /// parameter when it exists here; `*` for a member that names no parameter (the call then
    /// fails its own checks).
    fn parameter_resource(&self, ctx: &RequestContext, name: Option<&str>) -> (String, Option<ParameterRecord>) {
        let Some(name) = name else { return ("*".to_owned(), None) };
        match names::parse_reference(ctx, name, NameAccess::Read) {
            Ok(Some(reference)) => {
                let Some(first) = reference.candidates.first() else { return ("*".to_owned(), None) };
                let record = self.find(&Self::scope(ctx), &reference.candidates).ok().flatten();
                (names::arn(ctx, first), record)
            }
            Ok(None) => (foreign_arn(name), None),
            Err(_) => ("*".to_owned(), None),
        }
    }

    /// `ssm:<action>` on one parameter, with its tags as `aws:ResourceTag/*` (and SSM's own
    /// `ssm:resourceTag/*`).
    fn on_parameter(&self, ctx: &RequestContext, action: &str, name: Option<&str>) -> Access {
        let (arn, record) = self.parameter_resource(ctx, name);
        let mut access = Access::new(format!("ssm:{action}"), vec![arn]);
        for (k, v) in record.iter().flat_map(|r| &r.tags) {
            access = access
                .with(format!("aws:ResourceTag/{k}"), vec![v.clone()])
                .with(format!("ssm:resourceTag/{k}"), vec![v.clone()]);
        }
        access
    }

    pub(crate) fn access(&self, ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
        match operation {
            // One access per parameter, each with its own tags: every name must be allowed.
            "GetParameters" | "DeleteParameters" => {
                let names = strings(input, "Names");
                if names.is_empty() {
                    return vec![Access::new(format!("ssm:{operation}"), vec!["*".to_owned()])];
                }
                names.iter().map(|n| self.on_parameter(ctx, operation, Some(n))).collect()
            }
            // The path's own ARN (`/app/prod` -> `parameter/app/prod`), as AWS authorizes it.
            "GetParametersByPath" => {
                let resource = match string(input, "Path").map(names::validate_path) {
                    Some(Ok(path)) => names::arn(ctx, &path),
                    _ => "*".to_owned(),
                };
                let access = Access::new("ssm:GetParametersByPath", vec![resource]);
                vec![access.with_some("ssm:Recursive", input.get("Recursive").and_then(Document::as_bool))]
            }
            "PutParameter" => {
                let mut access = self.on_parameter(ctx, operation, string(input, "Name"));
                access = access.with_some("ssm:Overwrite", input.get("Overwrite").and_then(Document::as_bool));
                if let Some(policies) = string(input, "Policies") {
                    access = access.with("ssm:Policies", vec![policies.to_owned()]);
                }
                vec![access.with_request_tags(tag_list(input, "Tags", "Key", "Value"))]
            }
            "AddTagsToResource" | "RemoveTagsFromResource" | "ListTagsForResource" => {
                let mut access = match string(input, "ResourceType") {
                    Some("Parameter") => self.on_parameter(ctx, operation, string(input, "ResourceId")),
                    _ => Access::new(format!("ssm:{operation}"), vec!["*".to_owned()]),
                };
                if operation == "AddTagsToResource" {
                    access = access.with_request_tags(tag_list(input, "Tags", "Key", "Value"));
                } else if operation == "RemoveTagsFromResource" {
                    let keys = strings(input, "TagKeys");
                    if !keys.is_empty() {
                        access = access.with("aws:TagKeys", keys);
                    }
                }
                vec![access]
            }
            "GetParameter"
            | "DeleteParameter"
            | "GetParameterHistory"
            | "LabelParameterVersion"
            | "UnlabelParameterVersion" => vec![self.on_parameter(ctx, operation, string(input, "Name"))],
            // DescribeParameters, and anything else: no resource.
            _ => vec![Access::new(format!("ssm:{operation}"), vec!["*".to_owned()])],
        }
    }
}
