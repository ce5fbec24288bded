//! Metric math against the examples of AWS's "Metric math syntax and functions" and "Using IF
//! expressions", plus the request-level checks of GetMetricData and PutMetricAlarm.

use nimbus_metrics_lang::math::{
    ARITHMETIC_ERROR_MESSAGE, MathContext, MathQuery, QueryResult, evaluate_alarm_metrics, evaluate_queries,
};

const P: i64 = 60;

/// A series from values per period starting at 0, `None` for missing.
fn points(values: &[Option<f64>]) -> Vec<(i64, f64)> {
    values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as i64 * P, v))).collect()
}

fn context(periods: i64) -> MathContext {
    MathContext::new(0, periods * P, P)
}

fn run(queries: Vec<MathQuery>, expression: &str, periods: i64) -> Vec<QueryResult> {
    let mut all = queries;
    all.push(MathQuery::expression("e1", expression));
    evaluate_queries(&all, &context(periods)).unwrap_or_else(|e| panic!("{expression}: {}", e.message))
}

/// The single series `e1` gives, as values per period (`None` where it has no point).
fn series(queries: Vec<MathQuery>, expression: &str, periods: i64) -> Vec<Option<f64>> {
    let results = run(queries, expression, periods);
    let e1 = results.iter().find(|r| r.id == "e1").unwrap();
    assert_eq!(e1.series.len(), 1, "{expression} should give one series");
    (0..periods).map(|i| e1.series[0].value_at(i * P)).collect()
}

fn error(queries: Vec<MathQuery>) -> String {
    evaluate_queries(&queries, &context(4)).unwrap_err().message
}

fn comparison_metrics() -> Vec<MathQuery> {
    vec![
        MathQuery::metric("metric1", points(&[Some(30.0), Some(20.0), Some(0.0), Some(0.0)]), P),
        MathQuery::metric("metric2", points(&[Some(20.0), None, Some(20.0), None]), P),
    ]
}

#[test]
fn comparison_and_logical_operators() {
    let s = |e| series(comparison_metrics(), e, 4);
    assert_eq!(s("(metric1 < metric2)"), vec![Some(0.0), Some(0.0), Some(1.0), Some(0.0)]);
    assert_eq!(s("(metric1 >= 30)"), vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0)]);
    assert_eq!(s("(metric1 > 15 AND metric2 > 15)"), vec![Some(1.0), Some(0.0), Some(0.0), Some(0.0)]);
    assert_eq!(s("metric1 > 15 && metric2 > 15"), s("(metric1 > 15 AND metric2 > 15)"));
    assert_eq!(s("metric1 == 0 OR metric2 == 20"), vec![Some(1.0), Some(0.0), Some(1.0), Some(1.0)]);
    assert_eq!(s("NOT(metric1 >= 30)"), vec![Some(0.0), Some(1.0), Some(1.0), Some(1.0)]);
}

fn if_metrics() -> Vec<MathQuery> {
    vec![
        MathQuery::metric("metric1", points(&[Some(1.0), Some(1.0), Some(0.0), Some(0.0), None]), P),
        MathQuery::metric("metric2", points(&[Some(30.0), None, Some(0.0), Some(0.0), Some(30.0)]), P),
        MathQuery::metric("metric3", points(&[Some(0.0), Some(0.0), Some(20.0), None, Some(20.0)]), P),
    ]
}

#[test]
fn if_tables() {
    let s = |e| series(if_metrics(), e, 5);
    assert_eq!(s("IF(metric1, metric2, metric3)"), vec![Some(30.0), Some(0.0), Some(20.0), None, None]);
    assert_eq!(s("IF(metric1, 5, metric3)"), vec![Some(5.0), Some(5.0), Some(20.0), None, None]);
    assert_eq!(s("IF(metric1, metric2, 5)"), vec![Some(30.0), Some(0.0), Some(5.0), Some(5.0), None]);
    assert_eq!(s("IF(metric1, metric2)"), vec![Some(30.0), Some(0.0), None, None, None]);
    assert_eq!(s("IF(metric2 < 25, 10, 2)"), vec![Some(2.0), None, Some(10.0), Some(10.0), Some(2.0)]);
    // A scalar condition picks a whole series; false without a third argument is empty.
    assert_eq!(s("IF(1, metric3, metric2)"), s("metric3"));
    assert_eq!(s("IF(0, metric3)"), vec![None; 5]);
}

#[test]
fn arithmetic_treats_missing_as_zero_and_drops_division_by_zero() {
    let metrics = || {
        vec![
            MathQuery::metric("m1", points(&[Some(10.0), Some(4.0), None]), P),
            MathQuery::metric("m2", points(&[Some(2.0), None, Some(5.0)]), P),
        ]
    };
    assert_eq!(series(metrics(), "m1 + m2", 3), vec![Some(12.0), Some(4.0), Some(5.0)]);
    assert_eq!(series(metrics(), "5 * m1 - -m2", 3), vec![Some(52.0), Some(20.0), Some(5.0)]);
    assert_eq!(series(metrics(), "m1 ^ 2 / 4", 3), vec![Some(25.0), Some(4.0), None]);
    let results = run(metrics(), "m1 / m2", 3);
    let e1 = results.iter().find(|r| r.id == "e1").unwrap();
    assert_eq!(e1.series[0].points, vec![(0, 5.0), (2 * P, 0.0)], "4/0 is dropped");
    assert_eq!(e1.messages.len(), 1);
    assert_eq!(e1.messages[0].code, "ArithmeticError");
    assert_eq!(e1.messages[0].value, ARITHMETIC_ERROR_MESSAGE);
    assert!(results[0].messages.is_empty());
}

fn request_metrics() -> Vec<MathQuery> {
    vec![
        MathQuery::metric("errors4xx", points(&[Some(1.0), Some(2.0), None]), P).with_label("4XX"),
        MathQuery::metric("errors5xx", points(&[Some(3.0), None, None]), P).with_label("5XX"),
        MathQuery::metric("requests", points(&[Some(100.0), Some(200.0), Some(50.0)]), P).with_label("Requests"),
    ]
}

#[test]
fn metrics_function_and_arrays() {
    assert_eq!(series(request_metrics(), "SUM(METRICS())", 3), vec![Some(104.0), Some(202.0), Some(50.0)]);
    assert_eq!(series(request_metrics(), "SUM(METRICS(\"errors\"))", 3), vec![Some(4.0), Some(2.0), None]);
    assert_eq!(
        series(request_metrics(), "SUM(METRICS(\"errors\"))/SUM(METRICS(\"requests\"))*100", 3),
        vec![Some(4.0), Some(1.0), Some(0.0)]
    );
    // AVG of an array counts missing values as 0.
    assert_eq!(series(request_metrics(), "AVG([errors4xx, errors5xx])", 3), vec![Some(2.0), Some(1.0), None]);
    assert_eq!(series(request_metrics(), "MAX(METRICS())", 3), vec![Some(100.0), Some(200.0), Some(50.0)]);
    assert_eq!(series(request_metrics(), "DATAPOINT_COUNT(METRICS())", 3), vec![Some(3.0), Some(2.0), Some(1.0)]);
    assert_eq!(
        series(request_metrics(), "SUM(100/[errors4xx, errors5xx])", 3),
        vec![Some(100.0 + 100.0 / 3.0), Some(50.0), None]
    );
    assert_eq!(series(request_metrics(), "SUM(-[errors4xx, errors5xx])", 3), vec![Some(-4.0), Some(-2.0), None]);

    // An array result: one series per metric, labelled "Expression-Label Metric-Label".
    let mut queries = request_metrics();
    queries.push(MathQuery::expression("e1", "METRICS()/100").with_label("Scaled:"));
    let results = evaluate_queries(&queries, &context(3)).unwrap();
    let labels: Vec<&str> = results[3].series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, vec!["Scaled: 4XX", "Scaled: 5XX", "Scaled: Requests"]);
    assert_eq!(results[3].series[2].points, vec![(0, 1.0), (P, 2.0), (2 * P, 0.5)]);
    assert!(results[3].array);
    // Metric results keep their labels; an expression without one is labelled with its id.
    assert_eq!(results[0].series[0].label, "4XX");
    assert_eq!(run(request_metrics(), "requests * 2", 3)[3].series[0].label, "e1");
}

#[test]
fn scalar_functions_inside_series_expressions() {
    let m = || vec![MathQuery::metric("m1", points(&[Some(2.0), Some(4.0), None, Some(6.0)]), P)];
    assert_eq!(series(m(), "m1 - AVG(m1)", 4), vec![Some(-2.0), Some(0.0), None, Some(2.0)]);
    assert_eq!(series(m(), "MAX(m1)/m1", 4), vec![Some(3.0), Some(1.5), None, Some(1.0)]);
    assert_eq!(series(m(), "SUM(m1) / DATAPOINT_COUNT(m1) + 0 * m1", 4), vec![Some(4.0), Some(4.0), None, Some(4.0)]);
    assert_eq!(series(m(), "m1/PERIOD(m1)", 4), vec![Some(2.0 / 60.0), Some(4.0 / 60.0), None, Some(0.1)]);
    let stddev = series(m(), "TIME_SERIES(STDDEV(m1))", 4);
    assert!((stddev[2].unwrap() - (8.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert_eq!(series(m(), "TIME_SERIES(10)", 4), vec![Some(10.0); 4], "non-sparse");
}

#[test]
fn fill() {
    let m = || {
        vec![
            MathQuery::metric("m1", points(&[None, Some(2.0), None, None, Some(8.0), None]), P),
            MathQuery::metric("m2", points(&[Some(7.0), Some(7.0), Some(7.0), None, None, Some(7.0)]), P),
        ]
    };
    assert_eq!(series(m(), "FILL(m1, 0)", 6), vec![Some(0.0), Some(2.0), Some(0.0), Some(0.0), Some(8.0), Some(0.0)]);
    assert_eq!(series(m(), "FILL(m1, REPEAT)", 6), vec![None, Some(2.0), Some(2.0), Some(2.0), Some(8.0), Some(8.0)]);
    assert_eq!(series(m(), "FILL(m1, LINEAR)", 6), vec![None, Some(2.0), Some(4.0), Some(6.0), Some(8.0), None]);
    assert_eq!(series(m(), "FILL(m1, m2)", 6), vec![Some(7.0), Some(2.0), Some(7.0), None, Some(8.0), Some(7.0)]);
    assert_eq!(
        series(m(), "FILL(m1, MIN(m1))", 6),
        vec![Some(2.0), Some(2.0), Some(2.0), Some(2.0), Some(8.0), Some(2.0)]
    );
    let filled = run(m(), "FILL(METRICS(), 0)", 6);
    assert_eq!(filled[2].series.len(), 2);
    assert!(filled[2].series.iter().all(|s| s.points.len() == 6));
}

#[test]
fn sequences() {
    let m = || vec![MathQuery::metric("m1", vec![(0, 1.0), (60, 4.0), (180, 10.0)], P)];
    assert_eq!(run(m(), "DIFF(m1)", 4)[1].series[0].points, vec![(60, 3.0), (180, 6.0)]);
    assert_eq!(run(m(), "DIFF_TIME(m1)", 4)[1].series[0].points, vec![(60, 60.0), (180, 120.0)]);
    assert_eq!(run(m(), "RATE(m1)", 4)[1].series[0].points, vec![(60, 0.05), (180, 0.05)]);
    assert_eq!(run(m(), "RUNNING_SUM(m1)", 4)[1].series[0].points, vec![(0, 1.0), (60, 5.0), (180, 15.0)]);
    assert_eq!(series(m(), "ABS(-m1) + FLOOR(m1 / 3) + CEIL(m1 / 3)", 4)[3], Some(10.0 + 3.0 + 4.0));
    assert_eq!(series(m(), "LOG10(m1)", 4)[0], Some(0.0));
}

#[test]
fn sort_slice_first_last() {
    let labels =
        |e: &str| -> Vec<String> { run(request_metrics(), e, 3)[3].series.iter().map(|s| s.label.clone()).collect() };
    assert_eq!(labels("SORT(METRICS(), AVG, DESC)"), vec!["Requests", "5XX", "4XX"]);
    assert_eq!(labels("SORT([requests, errors5xx, errors4xx], MIN, ASC)"), vec!["4XX", "5XX", "Requests"]);
    assert_eq!(labels("SORT(METRICS(), MAX, DESC, 1)"), vec!["Requests"]);
    assert_eq!(labels("SLICE(SORT(METRICS(), SUM, DESC), 0, 2)"), vec!["Requests", "4XX"]);
    assert_eq!(labels("SLICE(SORT(METRICS(), AVG, ASC), 1)"), vec!["5XX", "Requests"]);
    assert_eq!(labels("REMOVE_EMPTY([errors5xx, IF(errors4xx > 5, errors4xx)])"), vec!["5XX"]);
    assert_eq!(
        series(request_metrics(), "IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)", 3),
        vec![Some(0.0), Some(1.0), Some(0.0)]
    );
    assert_eq!(series(request_metrics(), "LAST(METRICS())", 3), vec![Some(100.0), Some(200.0), Some(50.0)]);
    assert_eq!(series(request_metrics(), "TIME_SERIES(METRIC_COUNT(METRICS()))", 3), vec![Some(3.0); 3]);
}

#[test]
fn calendar_functions() {
    // 2021-06-14 was a Monday.
    let monday = 1_623_628_800;
    let ctx = MathContext::new(monday, monday + 3 * 86_400, 86_400);
    let queries = vec![
        MathQuery::metric("m1", vec![(monday, 1.0), (monday + 86_400, 2.0)], 86_400),
        MathQuery::expression("e1", "IF(DAY(m1)<2, m1)"),
        MathQuery::expression("e2", "DAY(m1)"),
    ];
    let results = evaluate_queries(&queries, &ctx).unwrap();
    assert_eq!(results[1].series[0].points, vec![(monday, 1.0)]);
    assert_eq!(results[2].series[0].values().collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
}

#[test]
fn expressions_may_use_other_expressions_in_any_order() {
    let queries = vec![
        MathQuery::expression("e2", "e1 * 2"),
        MathQuery::metric("m1", points(&[Some(1.0)]), P).hidden(),
        MathQuery::expression("e1", "m1 + 1"),
    ];
    let results = evaluate_queries(&queries, &context(1)).unwrap();
    assert_eq!(results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["e2", "m1", "e1"], "request order");
    assert_eq!(results[0].series[0].points, vec![(0, 4.0)]);
    assert!(!results[1].return_data);
}

#[test]
fn request_validation() {
    let m1 = || MathQuery::metric("m1", vec![], P);
    assert_eq!(
        error(vec![MathQuery::metric("M1", vec![], P)]),
        "The value M1 for parameter MetricDataQueries.member.1.Id is not valid. Ids must start with a lowercase letter and \
         contain only letters, numbers and underscores."
    );
    assert_eq!(error(vec![m1(), m1()]), "The value m1 for parameter MetricDataQueries.member.2.Id is not unique.");
    assert_eq!(
        error(vec![m1(), MathQuery::expression("e1", "m1 + m9")]),
        "Error in expression e1: Unknown metric or expression id m9."
    );
    assert_eq!(
        error(vec![MathQuery::expression("e1", "e2 + 1"), MathQuery::expression("e2", "e1 * 2")]),
        "Error in expression e1: Circular dependency between expressions: e1 -> e2 -> e1."
    );
    assert_eq!(
        error(vec![MathQuery::expression("e1", "e1")]),
        "Error in expression e1: Circular dependency between expressions: e1 -> e1."
    );
    assert_eq!(
        error(vec![m1(), MathQuery::expression("e1", "m1 +")]),
        "Error in expression e1: The expression ended where a value was expected."
    );
    assert_eq!(
        error(vec![m1(), MathQuery::expression("e1", "AVG(m1)")]),
        "Error in expression e1: The expression must return a time series or an array of time series, not a scalar."
    );
    assert_eq!(
        error(vec![m1(), MathQuery::expression("e1", "m1 * 2"), MathQuery::expression("e2", "PERIOD(e1)")]),
        "Error in expression e2: PERIOD takes a metric, not the result of another expression."
    );
    assert_eq!(
        error(vec![m1(), MathQuery::expression("e1", "METRICS() + METRICS()")]),
        "Error in expression e1: Operators cannot combine two arrays of time series."
    );
    let code = evaluate_queries(&[MathQuery::expression("e1", "FOO(1)")], &context(1)).unwrap_err().code();
    assert_eq!(code, "ValidationError");
}

#[test]
fn alarm_metrics() {
    let ctx = context(3);
    let queries = vec![
        MathQuery::metric("m1", points(&[Some(2.0), Some(4.0), Some(6.0)]), P).hidden(),
        MathQuery::metric("m2", points(&[Some(1.0), Some(1.0), Some(2.0)]), P).hidden(),
        MathQuery::expression("e1", "m1 / m2"),
    ];
    assert_eq!(evaluate_alarm_metrics(&queries, &ctx).unwrap().points, vec![(0, 2.0), (P, 4.0), (2 * P, 3.0)]);

    let mut two_returning = queries.clone();
    two_returning[0].return_data = true;
    assert_eq!(
        evaluate_alarm_metrics(&two_returning, &ctx).unwrap_err().message,
        "Exactly one element of the metrics list should return data."
    );
    let mut array = queries.clone();
    array[2] = MathQuery::expression("e1", "METRICS()");
    assert_eq!(
        evaluate_alarm_metrics(&array, &ctx).unwrap_err().message,
        "Error in expression e1: The expression for an alarm must return a single time series."
    );
    let mut bad_id = queries;
    bad_id[0].id = "1m".into();
    assert!(evaluate_alarm_metrics(&bad_id, &ctx).unwrap_err().message.contains("Metrics.member.1.Id"));
}
