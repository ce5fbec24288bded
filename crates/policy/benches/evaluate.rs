//! One authorization decision for a role with five identity policies of ten statements each
//! (wildcard actions, wildcard ARNs, a few conditions), the allowing statement last; and the
//! parse of one such policy.

use criterion::{Criterion, criterion_group, criterion_main};
use nimbus_policy::{Context, Decision, Policy, PolicyKind, PolicySet, Principal, PrincipalKind, Request, evaluate};
use serde_json::{Value, json};
use std::hint::black_box;

const SERVICES: [&str; 5] = ["dynamodb", "sqs", "sns", "logs", "s3"];

/// Policy `p` of the five; its last statement (in the last policy) is the one that allows.
fn policy_document(p: usize) -> String {
    let mut statements: Vec<Value> = Vec::new();
    for s in 0..10 {
        let service = SERVICES[(p + s) % SERVICES.len()];
        let resource = if service == "s3" {
            // Matches the action of the request but not its bucket.
            json!([format!("arn:aws:s3:::team-{p}-{s}-*"), format!("arn:aws:s3:::team-{p}-{s}-*/*")])
        } else {
            json!(format!("arn:aws:{service}:us-*-?:111122223333:*-{p}-{s}-*"))
        };
        let mut statement = json!({
            "Sid": format!("P{p}S{s}"),
            "Effect": if s == 3 { "Deny" } else { "Allow" },
            "Action": [format!("{service}:Get*"), format!("{service}:List*"), format!("{service}:Describe*"), format!("{service}:Put{s}*")],
            "Resource": resource,
        });
        if s % 3 == 0 {
            statement["Condition"] = json!({
                "StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]},
                "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}
            });
        }
        statements.push(statement);
    }
    if p == 4 {
        statements[9] = json!({
            "Sid": "AllowTeamData",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": "arn:aws:s3:::data-*/${aws:PrincipalTag/team}/*",
            "Condition": {
                "StringEquals": {"aws:PrincipalTag/team": "blue"},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                "Bool": {"aws:SecureTransport": "false"}
            }
        });
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn bench(c: &mut Criterion) {
    let policies: Vec<Policy> = (0..5).map(|p| Policy::parse(&policy_document(p), PolicyKind::Identity).expect("valid policy")).collect();
    let identity: Vec<&Policy> = policies.iter().collect();
    let set = PolicySet { identity: &identity, ..Default::default() };
    let principal = Principal {
        arn: "arn:aws:sts::111122223333:assumed-role/app/session-1".into(),
        account_id: "111122223333".into(),
        kind: PrincipalKind::AssumedRole { role_arn: "arn:aws:iam::111122223333:role/app".into() },
        user_id: "AROADBQP57FF2AEXAMPLE:session-1".into(),
        username: None,
        tags: vec![("team".into(), "blue".into())],
    };
    let mut context = Context::new();
    context.add_principal_keys(&principal);
    context.set_one("aws:SourceIp", "10.1.2.3");
    context.set_one("aws:RequestedRegion", "us-east-1");
    context.set_one("aws:SecureTransport", "false");
    context.set_one("aws:CurrentTime", "2025-01-01T00:00:00.000Z");
    let request = Request { principal: &principal, action: "s3:GetObject", resource: "arn:aws:s3:::data-lake/blue/2025/01/file.parquet", context: &context };
    let evaluation = evaluate(&set, &request);
    assert_eq!(evaluation.decision, Decision::Allow, "{evaluation:?}");
    assert_eq!(evaluation.matched.last().and_then(|m| m.sid.as_deref()), Some("AllowTeamData"));

    c.bench_function("evaluate: role, 5 policies x 10 statements, allow last", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&request)))
    });
    let denied = Request { action: "sqs:DeleteQueue", resource: "arn:aws:sqs:us-east-1:111122223333:orders", ..request };
    assert_eq!(evaluate(&set, &denied).decision, Decision::ImplicitDeny);
    c.bench_function("evaluate: role, 5 policies x 10 statements, implicit deny", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&denied)))
    });
    let text = policy_document(4);
    c.bench_function("Policy::parse: 10 statements", |b| b.iter(|| Policy::parse(black_box(&text), PolicyKind::Identity)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
