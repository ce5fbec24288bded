//! Strict mode's whole decision for one request, as the server makes it: the caller's role
//! session found in IAM's directory (a role with five inline policies of ten statements, created
//! through the IAM API), the base condition keys, and the evaluation of one `s3:GetObject`
//! access whose allowing statement is the last one. Issue 5's target is ≤ 10 µs.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use nimbus_core::{Access, Authorizer, Clock, Principal, RequestContext, Service, Session};
use nimbus_server::{Credentials, PolicyAuthorizer};
use nimbus_store::Store;
use nimbus_svc_iam::Iam;
use serde_json::{Value, json};

const ACCOUNT: &str = "000000000000";
const SERVICES: [&str; 5] = ["sqs", "sns", "dynamodb", "logs", "s3"];

/// Ten statements that do not allow the measured request (other services, other buckets, one
/// explicit deny on something else), except the very last statement of the last policy.
fn role_policy(index: usize) -> Value {
    let statements: Vec<Value> = (0..10)
        .map(|s| {
            let service = SERVICES[(index + s) % SERVICES.len()];
            let resource = match service {
                "s3" => format!("arn:aws:s3:::archive-{index}-{s}/*"),
                _ => format!("arn:aws:{service}:us-east-1:{ACCOUNT}:team-{index}-{s}-*"),
            };
            let mut statement = json!({
                "Effect": if s == 5 { "Deny" } else { "Allow" },
                "Action": [format!("{service}:Get*"), format!("{service}:Put*"), format!("{service}:List*")],
                "Resource": resource,
            });
            if s % 4 == 1 {
                statement["Condition"] = json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}});
            }
            statement
        })
        .collect();
    let mut document = json!({"Version": "2012-10-17", "Statement": statements});
    if index == 4 {
        document["Statement"][9] = json!({
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::data-*/${aws:PrincipalTag/team}/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        });
    }
    document
}

fn setup() -> (PolicyAuthorizer, RequestContext) {
    let store = Store::open_ephemeral().expect("ephemeral store");
    let clock = Clock::system();
    let credentials = Arc::new(Credentials::new(store.clone(), vec![]));
    let iam = Iam::new(store, clock.clone(), credentials.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let call = |op: &str, input: Value| {
        runtime.block_on(iam.call(&RequestContext::for_tests("iam", op), op, input)).unwrap_or_else(|e| panic!("{op}: {e:?}"))
    };
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = call(
        "CreateRole",
        json!({"RoleName": "app", "AssumeRolePolicyDocument": trust.to_string(), "Tags": [{"Key": "team", "Value": "blue"}]}),
    );
    let role_arn = role["Role"]["Arn"].as_str().expect("role ARN").to_owned();
    for index in 0..5 {
        call("PutRolePolicy", json!({"RoleName": "app", "PolicyName": format!("p{index}"), "PolicyDocument": role_policy(index).to_string()}));
    }
    let authorizer = PolicyAuthorizer::new(true, Some(iam.directory()), credentials, clock);
    let mut ctx = RequestContext::for_tests("s3", "GetObject");
    ctx.principal = Principal {
        arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/task-1"),
        user_id: "AROAEXAMPLE000000001:task-1".into(),
        access_key_id: Some("ASIAEXAMPLE000000001".into()),
        verified: true,
        session: Some(Arc::new(Session { identity_arn: Some(role_arn), ..Session::default() })),
    };
    ctx.source_ip = Some("10.1.2.3".parse().expect("ip"));
    (authorizer, ctx)
}

fn bench(c: &mut Criterion) {
    let (authorizer, ctx) = setup();
    let allowed = [Access::new("s3:GetObject", vec!["arn:aws:s3:::data-lake/blue/2026/report.csv".into()])];
    let denied = [Access::new("s3:GetObject", vec!["arn:aws:s3:::data-lake/red/2026/report.csv".into()])];
    assert!(authorizer.authorize(&ctx, &allowed, &|_| None).is_ok(), "the last statement allows");
    assert!(authorizer.authorize(&ctx, &denied, &|_| None).is_err(), "another team's prefix is denied");
    c.bench_function("strict request: role session, 5 policies x 10 statements, allowed", |b| {
        b.iter(|| authorizer.authorize(black_box(&ctx), black_box(&allowed), &|_| None))
    });
    c.bench_function("strict request: role session, 5 policies x 10 statements, denied", |b| {
        b.iter(|| authorizer.authorize(black_box(&ctx), black_box(&denied), &|_| None))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
