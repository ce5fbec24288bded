//! aws-sdk-rust against the real binary: SQS (the Rust SDK speaks SQS's JSON protocol) and SNS
//! fan-out to SQS.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};
use common::Nimbus;

#[tokio::test]
async fn sqs_send_receive_delete_and_errors() {
    let nimbus = Nimbus::start(&[]);
    let sqs = aws_sdk_sqs::Client::new(&nimbus.default_config().await);
    let url = sqs.create_queue().queue_name("rust-jobs").send().await.unwrap().queue_url.unwrap();
    let attr = MessageAttributeValue::builder().data_type("String").string_value("v").build().unwrap();
    let sent = sqs.send_message().queue_url(&url).message_body("hello").message_attributes("k", attr).send().await.unwrap();
    assert_eq!(sent.md5_of_message_body(), Some("5d41402abc4b2a76b9719d911017c592"));
    let got = sqs
        .receive_message()
        .queue_url(&url)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let message = &got.messages()[0];
    assert_eq!(message.body(), Some("hello"));
    assert_eq!(message.message_id(), sent.message_id());
    assert_eq!(message.md5_of_message_attributes(), sent.md5_of_message_attributes());
    assert_eq!(message.message_attributes().unwrap()["k"].string_value(), Some("v"));
    assert_eq!(message.attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount], "1");
    let entry = DeleteMessageBatchRequestEntry::builder().id("0").receipt_handle(message.receipt_handle().unwrap()).build().unwrap();
    let deleted = sqs.delete_message_batch().queue_url(&url).entries(entry).send().await.unwrap();
    assert_eq!(deleted.successful().len(), 1);
    let attrs = sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::All).send().await.unwrap();
    assert_eq!(attrs.attributes().unwrap()[&QueueAttributeName::ApproximateNumberOfMessagesNotVisible], "0");

    let err = sqs.get_queue_url().queue_name("missing").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_queue_does_not_exist(), "{err:?}");
    let err = sqs.send_message().queue_url(&url).message_body("bad \u{1} char").send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_invalid_message_contents(), "{:?}", err.code());
}

#[tokio::test]
async fn sqs_long_poll_wakes_on_send() {
    let nimbus = Nimbus::start(&[]);
    let sqs = aws_sdk_sqs::Client::new(&nimbus.default_config().await);
    let url = sqs.create_queue().queue_name("rust-poll").send().await.unwrap().queue_url.unwrap();
    let (poller, poll_url) = (sqs.clone(), url.clone());
    let started = Instant::now();
    let waiting = tokio::spawn(async move { poller.receive_message().queue_url(&poll_url).wait_time_seconds(10).send().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sqs.send_message().queue_url(&url).message_body("wake").send().await.unwrap();
    let got = waiting.await.unwrap();
    assert_eq!(got.messages()[0].body(), Some("wake"));
    assert!(started.elapsed() < Duration::from_secs(3), "the long poll returned at once, not after the wait");
}

#[tokio::test]
async fn sns_fans_out_to_sqs() {
    let nimbus = Nimbus::start(&[]);
    let config = nimbus.default_config().await;
    let (sqs, sns) = (aws_sdk_sqs::Client::new(&config), aws_sdk_sns::Client::new(&config));
    let url = sqs.create_queue().queue_name("rust-fanout").send().await.unwrap().queue_url.unwrap();
    let arn = sqs.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::QueueArn).send().await.unwrap();
    let queue_arn = arn.attributes().unwrap()[&QueueAttributeName::QueueArn].clone();
    let topic = sns.create_topic().name("rust-events").send().await.unwrap().topic_arn.unwrap();
    sns.subscribe().topic_arn(&topic).protocol("sqs").endpoint(&queue_arn).send().await.unwrap();
    let published = sns.publish().topic_arn(&topic).message("to everyone").subject("hi").send().await.unwrap();
    let got = sqs.receive_message().queue_url(&url).wait_time_seconds(5).send().await.unwrap();
    let envelope: serde_json::Value = serde_json::from_str(got.messages()[0].body().unwrap()).unwrap();
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["Message"], "to everyone");
    assert_eq!(envelope["MessageId"].as_str(), published.message_id());
    let err = sns.get_topic_attributes().topic_arn(format!("{topic}-missing")).send().await.unwrap_err();
    assert_eq!(err.code(), Some("NotFound"));
}
