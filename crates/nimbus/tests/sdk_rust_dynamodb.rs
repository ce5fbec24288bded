//! aws-sdk-rust's DynamoDB client against the real binary (awsJson 1.0): tables with a GSI,
//! conditional writes (the Terraform lock pattern), UpdateItem expressions, Query pages,
//! transactions with cancellation reasons, and streams.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, ReturnValue, ScalarAttributeType, StreamSpecification, StreamViewType,
    TransactWriteItem,
};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::Nimbus;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

async fn orders_table(ddb: &aws_sdk_dynamodb::Client) {
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap();
    let attr = |name: &str, kind| AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build().unwrap();
    ddb.create_table()
        .table_name("orders")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("customer", KeyType::Hash))
        .key_schema(key("order", KeyType::Range))
        .attribute_definitions(attr("customer", ScalarAttributeType::S))
        .attribute_definitions(attr("order", ScalarAttributeType::N))
        .attribute_definitions(attr("status", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-status")
                .key_schema(key("status", KeyType::Hash))
                .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                .build()
                .unwrap(),
        )
        .stream_specification(StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::NewAndOldImages).build().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn lock_pattern_updates_and_queries() {
    let nimbus = Nimbus::start(&[]);
    let ddb = aws_sdk_dynamodb::Client::new(&nimbus.default_config().await);

    // Terraform's state lock: a table keyed by LockID, a conditional put that succeeds once.
    let key = KeySchemaElement::builder().attribute_name("LockID").key_type(KeyType::Hash).build().unwrap();
    let attr = AttributeDefinition::builder().attribute_name("LockID").attribute_type(ScalarAttributeType::S).build().unwrap();
    let created = ddb.create_table().table_name("locks").key_schema(key).attribute_definitions(attr).billing_mode(BillingMode::PayPerRequest).send().await.unwrap();
    assert_eq!(created.table_description().unwrap().table_status().unwrap().as_str(), "ACTIVE");
    let lock = || ddb.put_item().table_name("locks").item("LockID", s("state/prod")).item("Info", s("held")).condition_expression("attribute_not_exists(LockID)");
    lock().send().await.unwrap();
    let err = lock().send().await.unwrap_err();
    assert!(err.as_service_error().unwrap().is_conditional_check_failed_exception(), "{err:?}");
    ddb.delete_item().table_name("locks").key("LockID", s("state/prod")).send().await.unwrap();
    lock().send().await.unwrap();

    orders_table(&ddb).await;
    for order in 1..=25 {
        let status = if order % 5 == 0 { "shipped" } else { "open" };
        ddb.put_item()
            .table_name("orders")
            .item("customer", s("ada"))
            .item("order", n(&order.to_string()))
            .item("status", s(status))
            .item("total", n("10.50"))
            .send()
            .await
            .unwrap();
    }
    // SET with arithmetic and list_append, ADD to a number set, ReturnValues UPDATED_NEW.
    let updated = ddb
        .update_item()
        .table_name("orders")
        .key("customer", s("ada"))
        .key("order", n("3"))
        .update_expression("SET #t = #t + :inc, notes = list_append(if_not_exists(notes, :empty), :note) ADD tags :tag")
        .expression_attribute_names("#t", "total")
        .expression_attribute_values(":inc", n("0.25"))
        .expression_attribute_values(":empty", AttributeValue::L(vec![]))
        .expression_attribute_values(":note", AttributeValue::L(vec![s("gift")]))
        .expression_attribute_values(":tag", AttributeValue::Ns(vec!["7".into()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let attrs = updated.attributes().unwrap();
    assert_eq!(attrs["total"], n("10.75"));
    assert_eq!(attrs["notes"], AttributeValue::L(vec![s("gift")]));
    assert_eq!(attrs["tags"], AttributeValue::Ns(vec!["7".into()]));
    assert!(!attrs.contains_key("status"), "UPDATED_NEW returns only the updated attributes");

    // An unused expression attribute value is refused with AWS's ValidationException.
    let err = ddb
        .get_item()
        .table_name("orders")
        .key("customer", s("ada"))
        .key("order", n("3"))
        .projection_expression("notes")
        .expression_attribute_names("#unused", "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err.message().unwrap().contains("unused in expressions"), "{:?}", err.message());

    // Query pages: descending, 10 a page, key condition on the sort key.
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = ddb
            .query()
            .table_name("orders")
            .key_condition_expression("customer = :c AND #o BETWEEN :lo AND :hi")
            .expression_attribute_names("#o", "order")
            .expression_attribute_values(":c", s("ada"))
            .expression_attribute_values(":lo", n("2"))
            .expression_attribute_values(":hi", n("24"))
            .scan_index_forward(false)
            .limit(10)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items().iter().map(|item| item["order"].as_n().unwrap().parse::<u32>().unwrap()));
        match page.last_evaluated_key() {
            Some(key) if !key.is_empty() => start = Some(key.clone()),
            _ => break,
        }
    }
    assert_eq!(seen, (2..=24).rev().collect::<Vec<_>>());
    assert_eq!(pages, 3);

    // The sparse KEYS_ONLY index: only shipped orders, only key attributes.
    let shipped = ddb
        .query()
        .table_name("orders")
        .index_name("by-status")
        .key_condition_expression("#s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", s("shipped"))
        .send()
        .await
        .unwrap();
    assert_eq!(shipped.count(), 5);
    let mut keys: Vec<_> = shipped.items()[0].keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["customer", "order", "status"]);
}

#[tokio::test]
async fn transactions_and_streams() {
    let nimbus = Nimbus::start(&[]);
    let ddb = aws_sdk_dynamodb::Client::new(&nimbus.default_config().await);
    let streams = aws_sdk_dynamodbstreams::Client::new(&nimbus.default_config().await);
    orders_table(&ddb).await;
    let put = |order: &str, condition: Option<&str>| {
        let mut put = Put::builder().table_name("orders").item("customer", s("bob")).item("order", n(order)).item("status", s("open"));
        if let Some(condition) = condition {
            put = put.condition_expression(condition);
        }
        TransactWriteItem::builder().put(put.build().unwrap()).build()
    };
    ddb.transact_write_items().transact_items(put("1", None)).send().await.unwrap();
    // The second write's condition fails: nothing is written, reasons come back in order.
    let err = ddb
        .transact_write_items()
        .transact_items(put("2", None))
        .transact_items(put("1", Some("attribute_not_exists(customer)")))
        .send()
        .await
        .unwrap_err();
    let canceled = err.as_service_error().unwrap();
    assert!(canceled.is_transaction_canceled_exception(), "{err:?}");
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(canceled) = canceled else {
        unreachable!()
    };
    let codes: Vec<_> = canceled.cancellation_reasons().iter().map(|r| r.code().unwrap_or_default().to_owned()).collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
    let absent = ddb.get_item().table_name("orders").key("customer", s("bob")).key("order", n("2")).send().await.unwrap();
    assert!(absent.item().is_none(), "a canceled transaction wrote nothing");

    // The one committed write is the stream's only record, with its new image.
    let arn = ddb.describe_table().table_name("orders").send().await.unwrap().table().unwrap().latest_stream_arn().unwrap().to_owned();
    let described = streams.describe_stream().stream_arn(&arn).send().await.unwrap();
    let shard = described.stream_description().unwrap().shards()[0].shard_id().unwrap().to_owned();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let got = streams.get_records().shard_iterator(iterator).send().await.unwrap();
    let records = got.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event_name().unwrap().as_str(), "INSERT");
    let new_image = records[0].dynamodb().unwrap().new_image().unwrap();
    assert_eq!(new_image["order"], aws_sdk_dynamodbstreams::types::AttributeValue::N("1".into()));
}
