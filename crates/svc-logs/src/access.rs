//! What strict mode authorizes per call: `logs:<Operation>` on the log group's ARN
//! (`arn:aws:logs:<region>:<account>:log-group:<name>`), or on the stream's
//! (`...:log-group:<name>:log-stream:<stream>`) for the calls AWS's service authorization
//! reference lists on log streams; `*` for calls on no resource.

use nimbus_core::document::{string_list_member, string_map_member};
use nimbus_core::{Access, Document, RequestContext};

use crate::input::{self, opt_str};

/// The group a call names, by whichever member it uses; `None` when it names none.
fn group_of(ctx: &RequestContext, input: &Document) -> Option<String> {
    if let Some(name) = opt_str(input, "logGroupName") {
        return Some(name.to_owned());
    }
    let identifier = opt_str(input, "logGroupIdentifier").or_else(|| opt_str(input, "resourceArn"))?;
    input::identifier_to_name(ctx, identifier).ok()
}

pub fn access(ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
    let action = format!("logs:{operation}");
    let group = group_of(ctx, input);
    let group_arn = |name: &str| input::group_arn(ctx, name);
    let on_group = || vec![group.as_deref().map_or_else(|| "*".to_owned(), group_arn)];
    match operation {
        "PutLogEvents" | "GetLogEvents" | "DeleteLogStream" => {
            let resource = match (group.as_deref(), opt_str(input, "logStreamName")) {
                (Some(g), Some(s)) => input::stream_arn(ctx, g, s),
                _ => "*".to_owned(),
            };
            vec![Access::new(action, vec![resource])]
        }
        "CreateLogGroup" => {
            let tags = string_map_member(input, "tags");
            vec![Access::new(action, on_group()).with_request_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))]
        }
        "TagResource" | "TagLogGroup" => {
            let tags = string_map_member(input, "tags");
            vec![Access::new(action, on_group()).with_request_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))]
        }
        "UntagResource" => {
            vec![Access::new(action, on_group()).with("aws:TagKeys", string_list_member(input, "tagKeys"))]
        }
        "StartQuery" => {
            let mut names: Vec<String> = string_list_member(input, "logGroupNames");
            names.extend(opt_str(input, "logGroupName").map(str::to_owned));
            names.extend(
                string_list_member(input, "logGroupIdentifiers")
                    .iter()
                    .filter_map(|id| input::identifier_to_name(ctx, id).ok()),
            );
            let resources = if names.is_empty() { vec!["*".to_owned()] } else { names.iter().map(|n| group_arn(n)).collect() };
            vec![Access::new(action, resources)]
        }
        "DescribeLogGroups" | "DescribeQueries" | "GetQueryResults" | "StopQuery" | "TestMetricFilter"
        | "DescribeResourcePolicies" | "PutResourcePolicy" | "DeleteResourcePolicy" => {
            vec![Access::new(action, vec!["*".to_owned()])]
        }
        "DescribeMetricFilters" if group.is_none() => vec![Access::new(action, vec!["*".to_owned()])],
        _ => vec![Access::new(action, on_group())],
    }
}
