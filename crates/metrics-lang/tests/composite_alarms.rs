//! Composite alarm rules: the PutCompositeAlarm documentation's examples, limits, and the
//! reason a composite alarm records.

use nimbus_metrics_lang::alarm::{AlarmState, ChildState, CompositeRule, alarm_name_of};
use std::collections::HashMap;

fn states(pairs: &[(&str, AlarmState)]) -> HashMap<String, ChildState> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (name, state))| {
            (name.to_string(), ChildState { state: *state, since_millis: 1_691_153_686_138 + i as i64 * 1000 })
        })
        .collect()
}

fn holds(rule: &str, children: &HashMap<String, ChildState>) -> bool {
    CompositeRule::parse(rule)
        .unwrap_or_else(|e| panic!("{rule}: {}", e.message))
        .holds(&|name| children.get(name).copied())
}

#[test]
fn documented_examples() {
    use AlarmState::{Alarm, Ok};
    let children = |cpu, disk, deploy, network| {
        states(&[
            ("CPUUtilizationTooHigh", cpu),
            ("DiskReadOpsTooHigh", disk),
            ("DeploymentInProgress", deploy),
            ("NetworkOutTooHigh", network),
        ])
    };
    let both = "ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)";
    assert!(holds(both, &children(Alarm, Alarm, Ok, Ok)));
    assert!(!holds(both, &children(Alarm, Ok, Ok, Ok)));

    let quiet_deploys = "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)";
    assert!(holds(quiet_deploys, &children(Alarm, Ok, Ok, Ok)));
    assert!(!holds(quiet_deploys, &children(Alarm, Ok, Alarm, Ok)));

    let network = "(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)";
    assert!(holds(network, &children(Ok, Alarm, Ok, Ok)));
    assert!(!holds(network, &children(Ok, Alarm, Ok, Alarm)));
    assert!(!holds(network, &children(Ok, Ok, Ok, Ok)));
}

#[test]
fn syntax() {
    let children = states(&[
        ("my alarm", AlarmState::InsufficientData),
        ("x", AlarmState::Alarm),
        ("arn:aws:cloudwatch:us-east-1:123456789012:alarm:y", AlarmState::Ok),
        ("q\"uote", AlarmState::Alarm),
    ]);
    assert!(holds("INSUFFICIENT_DATA(\"my alarm\")", &children));
    assert!(holds("INSUFFICIENT_DATA( my alarm )", &children));
    assert!(holds("OK(\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:y\")", &children));
    assert!(holds("ALARM(\"q\\\"uote\")", &children));
    assert!(holds("TRUE", &children));
    assert!(!holds("false", &children), "AWS's own advice writes the rule in lower case");
    assert!(holds("NOT NOT ALARM(x)", &children));
    // NOT binds tighter than AND, AND tighter than OR.
    assert!(holds("FALSE AND FALSE OR TRUE", &children));
    assert!(!holds("NOT TRUE AND FALSE", &children));
    assert!(!holds("ALARM(unknown)", &children), "a child not found is in no state");
}

#[test]
fn children_and_arns() {
    let rule = CompositeRule::parse(
        "ALARM(a) OR (OK(\"b\") AND NOT ALARM(a)) OR ALARM(arn:aws:cloudwatch:eu-west-1:1:alarm:c)",
    )
    .unwrap();
    assert_eq!(rule.children(), ["a", "b", "arn:aws:cloudwatch:eu-west-1:1:alarm:c"]);
    assert_eq!(alarm_name_of("arn:aws:cloudwatch:eu-west-1:1:alarm:c"), "c");
    assert_eq!(alarm_name_of("arn:aws:cloudwatch:eu-west-1:1:alarm:with:colons"), "with:colons");
    assert_eq!(alarm_name_of("plain-name"), "plain-name");
}

#[test]
fn refusals() {
    let message = |rule: &str| CompositeRule::parse(rule).unwrap_err().message;
    assert_eq!(message(""), "AlarmRule must be between 1 and 10240 characters long.");
    assert_eq!(
        message("ALARM(a) AND"),
        "AlarmRule is not valid: the rule ended where a function was expected at position 13."
    );
    assert_eq!(message("ALARM(a) XOR ALARM(b)"), "AlarmRule is not valid: unexpected text at position 10.");
    assert_eq!(message("ALARM a"), "AlarmRule is not valid: expected '(' after ALARM at position 7.");
    assert_eq!(message("ALARM()"), "AlarmRule is not valid: empty alarm name at position 8.");
    assert_eq!(message("(TRUE"), "AlarmRule is not valid: expected ')' at position 6.");
    assert_eq!(
        message("BROKEN(a)"),
        "AlarmRule is not valid: expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE, NOT or '(' at position 1."
    );
    assert!(CompositeRule::parse("ALARM(\"open").is_err());
    assert!(CompositeRule::parse(&"x".repeat(10_241)).is_err());

    let many = (0..101).map(|i| format!("ALARM(a{i})")).collect::<Vec<_>>().join(" OR ");
    assert_eq!(message(&many), "AlarmRule can refer to at most 100 alarms; this one refers to 101.");
    let hundred = (0..100).map(|i| format!("ALARM(a{i})")).collect::<Vec<_>>().join(" OR ");
    assert!(CompositeRule::parse(&hundred).is_ok());
    let elements = (0..501).map(|_| "TRUE").collect::<Vec<_>>().join(" AND ");
    assert_eq!(message(&elements), "AlarmRule can contain at most 500 elements; this one has 501.");
}

#[test]
fn reason_names_the_children_that_decided() {
    let arn = |name: &str| format!("arn:aws:cloudwatch:us-east-1:111122223333:alarm:{name}");
    let children =
        states(&[("CompositeDemo.FirstChild", AlarmState::Alarm), ("CompositeDemo.SecondChild", AlarmState::Ok)]);
    let rule = CompositeRule::parse("ALARM(CompositeDemo.FirstChild) OR ALARM(CompositeDemo.SecondChild)").unwrap();
    let evaluation = rule.evaluate(&|name| children.get(name).copied(), &arn);
    assert_eq!(evaluation.state, AlarmState::Alarm);
    assert_eq!(
        evaluation.reason,
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.FirstChild transitioned to ALARM at Friday 04 \
         August, 2023 12:54:46 UTC"
    );
    assert_eq!(
        evaluation.reason_data,
        r#"{"triggeringAlarms":[{"arn":"arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.FirstChild","state":{"value":"ALARM","timestamp":"2023-08-04T12:54:46.138+0000"}}]}"#
    );

    // Back to OK: both children decided, the most recent change first.
    let children =
        states(&[("CompositeDemo.FirstChild", AlarmState::Ok), ("CompositeDemo.SecondChild", AlarmState::Ok)]);
    let evaluation = rule.evaluate(&|name| children.get(name).copied(), &arn);
    assert_eq!(evaluation.state, AlarmState::Ok);
    assert!(evaluation.reason.starts_with(
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.SecondChild transitioned to OK at "
    ));
    let data: serde_json::Value = serde_json::from_str(&evaluation.reason_data).unwrap();
    assert_eq!(data["triggeringAlarms"].as_array().unwrap().len(), 2);
}
