//! aws-sdk-rust against the real binary: STS, Secrets Manager and SSM end to end.

mod common;

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use common::Nimbus;

#[tokio::test]
async fn sts_identity_and_assumed_role_credentials() {
    let nimbus = Nimbus::start(&[]);
    let sts = aws_sdk_sts::Client::new(&nimbus.default_config().await);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("000000000000"));

    let assumed = sts
        .assume_role()
        .role_arn("arn:aws:iam::111122223333:role/worker")
        .role_session_name("rust-sdk")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let config = nimbus.config(c.access_key_id(), c.secret_access_key(), Some(c.session_token())).await;
    let as_role = aws_sdk_sts::Client::new(&config).get_caller_identity().send().await.unwrap();
    assert_eq!(as_role.arn(), Some("arn:aws:sts::111122223333:assumed-role/worker/rust-sdk"));

    // A wrong secret for the known key is refused with the query protocol's code.
    let bad = aws_sdk_sts::Client::new(&nimbus.config("test", "wrong", None).await);
    let err = bad.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn secrets_manager_versions_and_errors() {
    let nimbus = Nimbus::start(&[]);
    let sm = aws_sdk_secretsmanager::Client::new(&nimbus.default_config().await);
    let created = sm.create_secret().name("app/db").secret_string("{\"password\":\"p1\"}").send().await.unwrap();
    assert!(created.arn().unwrap().starts_with("arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-"));
    sm.put_secret_value().secret_id("app/db").secret_string("{\"password\":\"p2\"}").send().await.unwrap();
    let current = sm.get_secret_value().secret_id("app/db").send().await.unwrap();
    assert_eq!(current.secret_string(), Some("{\"password\":\"p2\"}"));
    let previous = sm.get_secret_value().secret_id("app/db").version_stage("AWSPREVIOUS").send().await.unwrap();
    assert_eq!(previous.secret_string(), Some("{\"password\":\"p1\"}"));
    // Binary secrets survive the blob round trip byte for byte.
    let bytes = vec![0u8, 159, 146, 150, 255];
    sm.create_secret().name("app/bin").secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(bytes.clone())).send().await.unwrap();
    let got = sm.get_secret_value().secret_id("app/bin").send().await.unwrap();
    assert_eq!(got.secret_binary().unwrap().as_ref(), bytes.as_slice());
    assert!(got.created_date().is_some());

    let err = sm.get_secret_value().secret_id("missing").send().await.unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(err.as_service_error().unwrap().is_resource_not_found_exception());
}

#[tokio::test]
async fn ssm_parameters_by_path_and_secure_strings() {
    let nimbus = Nimbus::start(&[]);
    let ssm = aws_sdk_ssm::Client::new(&nimbus.default_config().await);
    use aws_sdk_ssm::types::ParameterType;
    for (name, value, kind) in [
        ("/app/prod/db/host", "db.internal", ParameterType::String),
        ("/app/prod/db/password", "hunter2", ParameterType::SecureString),
        ("/app/prod/flags", "a,b,c", ParameterType::StringList),
    ] {
        ssm.put_parameter().name(name).value(value).r#type(kind).send().await.unwrap();
    }
    let page = ssm.get_parameters_by_path().path("/app/prod").recursive(true).with_decryption(true).send().await.unwrap();
    let mut names: Vec<&str> = page.parameters().iter().filter_map(|p| p.name()).collect();
    names.sort();
    assert_eq!(names, ["/app/prod/db/host", "/app/prod/db/password", "/app/prod/flags"]);
    let secret = ssm.get_parameter().name("/app/prod/db/password").with_decryption(true).send().await.unwrap();
    assert_eq!(secret.parameter().unwrap().value(), Some("hunter2"));
    let sealed = ssm.get_parameter().name("/app/prod/db/password").send().await.unwrap();
    assert_ne!(sealed.parameter().unwrap().value(), Some("hunter2"));

    let err = ssm.put_parameter().name("/app/prod/flags").value("x").send().await.unwrap_err();
    assert_eq!(aws_sdk_ssm::error::ProvideErrorMetadata::code(&err), Some("ParameterAlreadyExists"));
}
