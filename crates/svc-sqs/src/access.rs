//! What strict mode authorizes for an SQS call: the action (batch operations are authorized as
//! their single-message action, as AWS does) on the queue's ARN, and the queue's policy as
//! its resource policy.

use nimbus_core::{Access, Document, RequestContext, ResourcePolicy};

use crate::Inner;
use crate::names::{parse_queue_arn, parse_queue_url, queue_arn};
use crate::records::QueueRecord;

fn string<'a>(input: &'a Document, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Document::as_str)
}

/// The ARN of the queue a call names, `*` for calls on no queue (ListQueues) or a queue that
/// cannot be named (a malformed URL: the call itself then fails).
fn resource(ctx: &RequestContext, operation: &str, input: &Document) -> String {
    let named = match operation {
        "CreateQueue" => {
            string(input, "QueueName").map(|n| queue_arn(&ctx.region, &ctx.account_id, n))
        }
        "GetQueueUrl" => string(input, "QueueName").map(|n| {
            let owner = string(input, "QueueOwnerAWSAccountId").unwrap_or(&ctx.account_id);
            queue_arn(&ctx.region, owner, n)
        }),
        "StartMessageMoveTask" | "ListMessageMoveTasks" => {
            string(input, "SourceArn").map(str::to_owned)
        }
        _ => string(input, "QueueUrl")
            .and_then(parse_queue_url)
            .map(|q| {
                queue_arn(
                    q.region.as_deref().unwrap_or(&ctx.region),
                    &q.account,
                    &q.name,
                )
            }),
    };
    named.unwrap_or_else(|| "*".to_owned())
}

pub(crate) fn accesses(ctx: &RequestContext, operation: &str, input: &Document) -> Vec<Access> {
    let action = match operation {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    };
    vec![Access::new(
        format!("sqs:{action}"),
        vec![resource(ctx, operation, input)],
    )]
}

/// The queue's `Policy` attribute, from the loaded queue or the store.
pub(crate) fn queue_policy(inner: &Inner, arn: &str) -> Option<ResourcePolicy> {
    let (region, account, name) = parse_queue_arn(arn)?;
    let key = (account.clone(), region.clone(), name.clone());
    let document = match inner.cached(&key) {
        Some(queue) => queue.lock().record.attributes.get("Policy").cloned(),
        None => inner
            .store
            .get::<QueueRecord>(&format!("{account}/{region}"), &name)
            .ok()??
            .attributes
            .get("Policy")
            .cloned(),
    }?;
    Some(ResourcePolicy {
        document,
        owner_account: account,
    })
}
