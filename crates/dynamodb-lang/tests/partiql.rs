//! PartiQL statements as the DynamoDB developer guide writes them, parsed and then run through
//! the same evaluation and update code as the expression language.

use nimbus_dynamodb_lang::partiql::{Returning, Statement, parse_statement};
use nimbus_dynamodb_lang::{AttributeValue, Condition, Item, Number, PathElement, apply_update, evaluate, parse_item};
use serde_json::json;

fn item(json: serde_json::Value) -> Item {
    parse_item(&json).unwrap()
}

fn song() -> Item {
    item(json!({
        "Artist": {"S": "Acme Band"}, "SongTitle": {"S": "PartiQL Rocks"}, "Year": {"N": "2020"},
        "Tags": {"SS": ["rock", "sql"]}, "Awards": {"L": [{"S": "Grammy"}]}, "Info": {"M": {"Label": {"S": "Nimbus"}}}
    }))
}

fn condition_of(statement: &Statement) -> &Condition {
    match statement {
        Statement::Select(s) => s.condition.as_ref().unwrap(),
        Statement::Update(u) => &u.condition,
        Statement::Delete(d) => &d.condition,
        other => panic!("no condition in {other:?}"),
    }
}

fn matches(where_clause: &str, parameters: &[AttributeValue]) -> bool {
    let statement = parse_statement(&format!("SELECT * FROM \"Music\" WHERE {where_clause}"), parameters).unwrap();
    evaluate(condition_of(&statement), Some(&song()))
}

#[test]
fn select_binds_parameters_in_order_and_evaluates_like_a_condition_expression() {
    let statement = parse_statement(
        r#"SELECT * FROM "Music" WHERE "Artist" = ? AND SongTitle = ?"#,
        &[AttributeValue::s("Acme Band"), AttributeValue::s("PartiQL Rocks")],
    )
    .unwrap();
    let Statement::Select(select) = &statement else { panic!("{statement:?}") };
    assert_eq!((select.table.as_str(), select.index.as_deref(), select.projection.is_none()), ("Music", None, true));
    assert!(evaluate(condition_of(&statement), Some(&song())));
    assert!(statement.is_read());
}

#[test]
fn operators_and_functions() {
    assert!(matches("Year BETWEEN 2019 AND 2021", &[]));
    assert!(!matches("Year BETWEEN 2021 AND 2022", &[]));
    assert!(matches("Year IN [1999, 2020]", &[]));
    assert!(matches("Year NOT IN (1999, 2001)", &[]));
    assert!(matches("Year <> 2019 AND Year != 2018 AND Year >= 2020 AND Year < 2021", &[]));
    assert!(matches("Absent IS MISSING AND Artist IS NOT MISSING", &[]));
    assert!(matches("Absent IS NULL AND Artist IS NOT NULL", &[]));
    assert!(matches("begins_with(SongTitle, 'Part') AND contains(Tags, 'sql') AND size(Tags) = 2", &[]));
    assert!(matches("attribute_type(Year, 'N') AND Info.Label = 'Nimbus' AND Awards[0] = 'Grammy'", &[]));
    assert!(matches("NOT (Year = 1 OR Year = 2) AND (Artist = 'x' OR Year = 2020)", &[]));
    assert!(matches("Info['Label'] = ?", &[AttributeValue::s("Nimbus")]));
}

#[test]
fn select_with_a_projection_an_index_and_order() {
    let statement = parse_statement(r#"SELECT Artist, Info.Label, Awards[0] FROM "Music"."ByYear" WHERE Year = 2020 ORDER BY SongTitle DESC"#, &[]).unwrap();
    let Statement::Select(select) = statement else { panic!() };
    assert_eq!(select.index.as_deref(), Some("ByYear"));
    let paths: Vec<String> = select.projection.unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(paths, ["Artist", "Info.Label", "Awards[0]"]);
    let (path, descending) = select.order_by.unwrap();
    assert_eq!((path.to_string(), descending), ("SongTitle".to_owned(), true));
}

#[test]
fn insert_takes_a_tuple_with_every_literal_form() {
    let statement = parse_statement(
        "INSERT INTO Music VALUE {'Artist': 'It''s Us', 'Year': 2021, 'Tags': <<'a', 'b'>>, 'Scores': <<1, 2.5>>, \
         'List': [1, 'x', null, true], 'Map': {'k': false}, 'Param': ?}",
        &[AttributeValue::n("7")],
    )
    .unwrap();
    let Statement::Insert(insert) = statement else { panic!() };
    let expected = item(json!({
        "Artist": {"S": "It's Us"}, "Year": {"N": "2021"}, "Tags": {"SS": ["a", "b"]}, "Scores": {"NS": ["1", "2.5"]},
        "List": {"L": [{"N": "1"}, {"S": "x"}, {"NULL": true}, {"BOOL": true}]}, "Map": {"M": {"k": {"BOOL": false}}}, "Param": {"N": "7"}
    }));
    assert_eq!(insert.table, "Music");
    assert_eq!(insert.item, expected);
}

#[test]
fn update_sets_removes_and_uses_the_set_functions() {
    let statement = parse_statement(
        "UPDATE Music SET Year = Year + ?, Awards = list_append(Awards, ['Emmy']) SET Tags = set_add(Tags, <<'live'>>) \
         REMOVE Info.Label WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks' RETURNING MODIFIED NEW *",
        &[AttributeValue::n("1")],
    )
    .unwrap();
    let Statement::Update(update) = &statement else { panic!() };
    assert_eq!(update.returning, Some(Returning::ModifiedNew));
    assert_eq!(update.returning.unwrap().return_values(), "UPDATED_NEW");
    assert!(evaluate(condition_of(&statement), Some(&song())));
    let outcome = apply_update(&update.update, Some(&song())).unwrap();
    assert_eq!(outcome.item["Year"], AttributeValue::N(Number::parse("2021").unwrap()));
    assert_eq!(outcome.item["Awards"], item(json!({"a": {"L": [{"S": "Grammy"}, {"S": "Emmy"}]}}))["a"]);
    assert_eq!(outcome.item["Tags"], item(json!({"a": {"SS": ["rock", "sql", "live"]}}))["a"]);
    assert_eq!(outcome.item["Info"], item(json!({"a": {"M": {}}}))["a"]);
}

#[test]
fn delete_and_exists() {
    let statement = parse_statement("DELETE FROM \"Music\" WHERE Artist = 'Acme Band' AND SongTitle = 'x' RETURNING ALL OLD *", &[]).unwrap();
    let Statement::Delete(delete) = &statement else { panic!() };
    assert_eq!(delete.returning, Some(Returning::AllOld));
    assert!(!evaluate(condition_of(&statement), Some(&song())));
    let exists = parse_statement("EXISTS(SELECT * FROM Music WHERE Artist = 'Acme Band')", &[]).unwrap();
    assert!(matches!(&exists, Statement::Exists(s) if s.table == "Music"));
    assert_eq!(exists.table(), "Music");
}

#[test]
fn malformed_statements_get_aws_messages() {
    let error = |text: &str, parameters: &[AttributeValue]| parse_statement(text, parameters).unwrap_err().message;
    assert_eq!(error("UPSERT INTO t VALUE {'a': 1}", &[]), "Statement wasn't well formed, can't be processed: Expected data manipulation");
    assert_eq!(error("", &[]), "Statement wasn't well formed, can't be processed: Expected data manipulation");
    assert_eq!(error("INSERT INTO urls (key) VALUES (?)", &[AttributeValue::s("k")]).split(": ").next(), Some("Statement wasn't well formed, can't be processed"));
    assert_eq!(error("SELECT * FROM select", &[]), "Statement wasn't well formed, can't be processed: Unexpected keyword");
    assert_eq!(error("SELECT * FROM t WHERE a = ?", &[]), "Number of parameters in request and statement don't match.");
    assert_eq!(error("SELECT * FROM t WHERE a = 1", &[AttributeValue::s("extra")]), "Number of parameters in request and statement don't match.");
    assert!(error("DELETE FROM t WHERE a = 1 RETURNING ALL NEW *", &[]).starts_with("Statement wasn't well formed"));
    assert!(error("UPDATE t WHERE a = 1", &[]).starts_with("Statement wasn't well formed"));
    assert!(error("SELECT * FROM t WHERE a = <<'x', 'x'>>", &[]).contains("contains duplicates"));
    assert!(error("SELECT * FROM t WHERE a = 1 extra", &[]).starts_with("Statement wasn't well formed"));
    assert!(error("INSERT INTO t VALUE 5", &[]).starts_with("Unsupported operation"));
}

#[test]
fn quoted_names_keep_case_and_may_be_keywords_or_hold_dots() {
    let statement = parse_statement(r#"SELECT "select", "a.b" FROM "my-table" WHERE "from" = 1"#, &[]).unwrap();
    let Statement::Select(select) = statement else { panic!() };
    assert_eq!(select.table, "my-table");
    let projection = select.projection.unwrap();
    assert_eq!(projection[1].elements, vec![PathElement::Attribute("a.b".into())]);
    let Some(Condition::Compare { .. }) = select.condition else { panic!() };
}
