"""CloudWatch Logs end to end with boto3 and the AWS CLI: groups and streams, PutLogEvents'
batch rules, GetLogEvents' tokens both ways, FilterLogEvents' patterns, metric filters,
Logs Insights, retention on Nimbus's clock, and durability across kill -9."""
import json
import time

import botocore.exceptions
import pytest

from conftest import error_of

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def now_ms(server):
    """Nimbus's clock, which the retention test moves."""
    offset = server.admin("GET", "/_nimbus/clock")["offset_seconds"]
    return int((time.time() + offset) * 1000)


@pytest.fixture
def logs(server):
    return server.client("logs")


def make_stream(logs, group, stream="s"):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)


def test_groups_and_streams(logs, unique):
    group = f"/nimbus/{unique}"
    logs.create_log_group(logGroupName=group, tags={"team": "core"}, logGroupClass="STANDARD")
    code, status, message = error_of(logs.create_log_group, logGroupName=group)
    assert (code, status, message) == ("ResourceAlreadyExistsException", 400, "The specified log group already exists")
    code, _, message = error_of(logs.create_log_group, logGroupName=f"bad name {unique}")
    assert code == "InvalidParameterException" and "regular expression pattern" in message

    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in found] == [group]
    assert found[0]["arn"].endswith(f":log-group:{group}:*")
    assert found[0]["logGroupArn"] == found[0]["arn"][:-2]
    assert found[0]["storedBytes"] == 0 and found[0]["metricFilterCount"] == 0
    assert logs.list_tags_for_resource(resourceArn=found[0]["logGroupArn"])["tags"] == {"team": "core"}

    code, _, message = error_of(logs.put_retention_policy, logGroupName=group, retentionInDays=2)
    assert code == "InvalidParameterException" and "enum value set" in message
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 30

    for name in ["b", "a", "c"]:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    code, _, message = error_of(logs.create_log_stream, logGroupName=group, logStreamName="a")
    assert (code, message) == ("ResourceAlreadyExistsException", "The specified log stream already exists")
    pages = logs.get_paginator("describe_log_streams").paginate(logGroupName=group, PaginationConfig={"PageSize": 2})
    assert [s["logStreamName"] for page in pages for s in page["logStreams"]] == ["a", "b", "c"]
    code, _, message = error_of(logs.describe_log_streams, logGroupName=f"/missing/{unique}")
    assert (code, message) == ("ResourceNotFoundException", "The specified log group does not exist.")

    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_put_log_events_batch_rules_and_rejections(server, logs, unique):
    group = f"/batch/{unique}"
    make_stream(logs, group)
    now = now_ms(server)
    code, _, message = error_of(logs.put_log_events, logGroupName=group, logStreamName="s",
                                logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
    assert (code, message) == ("InvalidParameterException",
                               "Log events in a single PutLogEvents request must be in chronological order.")
    code, _, message = error_of(logs.put_log_events, logGroupName=group, logStreamName="s",
                                logEvents=[{"timestamp": now, "message": "x" * (1_048_576 - 25)}])
    assert (code, message) == ("InvalidParameterException", "Upload too large: 1048577 bytes exceeds limit of 1048576")
    code, _, _ = error_of(logs.put_log_events, logGroupName=group, logStreamName="s",
                          logEvents=[{"timestamp": now - 25 * HOUR, "message": "a"}, {"timestamp": now, "message": "b"}])
    assert code == "InvalidParameterException"

    out = logs.put_log_events(logGroupName=group, logStreamName="s", sequenceToken="ignored", logEvents=[
        {"timestamp": now - 15 * DAY, "message": "too old"},
        {"timestamp": now - 1000, "message": "kept"},
        {"timestamp": now + 3 * HOUR, "message": "too new"},
    ])
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2}
    assert len(out["nextSequenceToken"]) == 56
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["kept"]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["lastEventTimestamp"] == now - 1000 and stream["uploadSequenceToken"] == out["nextSequenceToken"]


def test_get_log_events_tokens_both_ways(server, logs, unique):
    group = f"/paging/{unique}"
    make_stream(logs, group)
    base = now_ms(server) - 20 * MINUTE
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": base + i * MINUTE, "message": f"e{i}"} for i in range(10)])

    def get(**kw):
        return logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, **kw)

    tail = get()
    assert [e["message"] for e in tail["events"]] == ["e7", "e8", "e9"]
    assert tail["nextForwardToken"].startswith("f/") and tail["nextBackwardToken"].startswith("b/")
    seen, token = [], tail["nextBackwardToken"]
    while True:
        page = get(nextToken=token)
        if page["nextBackwardToken"] == token:
            assert page["events"] == []
            break
        seen = [e["message"] for e in page["events"]] + seen
        token = page["nextBackwardToken"]
    assert seen == [f"e{i}" for i in range(7)]

    seen, token = [], None
    while True:
        page = get(nextToken=token) if token else get(startFromHead=True)
        if page["nextForwardToken"] == token:
            break
        seen += [e["message"] for e in page["events"]]
        token = page["nextForwardToken"]
    assert seen == [f"e{i}" for i in range(10)]
    # By ARN, with a time range (endTime exclusive).
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    ranged = logs.get_log_events(logGroupIdentifier=arn, logStreamName="s", startFromHead=True,
                                 startTime=base + 2 * MINUTE, endTime=base + 4 * MINUTE)
    assert [e["message"] for e in ranged["events"]] == ["e2", "e3"]


def test_filter_log_events_patterns_boto3_and_cli(server, logs, unique):
    group = f"/filter/{unique}"
    make_stream(logs, group, "web")
    logs.create_log_stream(logGroupName=group, logStreamName="db")
    now = now_ms(server)
    logs.put_log_events(logGroupName=group, logStreamName="web", logEvents=[
        {"timestamp": now - 5000, "message": "ERROR disk full"},
        {"timestamp": now - 3000, "message": json.dumps({"level": "ERROR", "latency": 450})},
        {"timestamp": now - 1000, "message": json.dumps({"level": "INFO", "latency": 12})},
    ])
    logs.put_log_events(logGroupName=group, logStreamName="db", logEvents=[
        {"timestamp": now - 4000, "message": '10.0.0.1 - bob [x] "GET /a HTTP/1.1" 404 2048'},
        {"timestamp": now - 2000, "message": '10.0.0.2 - amy [x] "GET /b HTTP/1.1" 200 12'},
    ])

    def messages(**kw):
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, **kw)["events"]]

    everything = logs.filter_log_events(logGroupName=group)
    assert [e["logStreamName"] for e in everything["events"]] == ["web", "db", "web", "db", "web"]
    assert everything["searchedLogStreams"] == []
    assert messages(filterPattern="ERROR") == ["ERROR disk full", '{"level": "ERROR", "latency": 450}']
    assert messages(filterPattern="{ $.latency > 100 }") == ['{"level": "ERROR", "latency": 450}']
    assert messages(filterPattern="[ip, id, user, ts, request, status = 4*, bytes > 1000]") == [
        '10.0.0.1 - bob [x] "GET /a HTTP/1.1" 404 2048']
    assert len(messages(logStreamNames=["db"])) == 2
    code, _, message = error_of(logs.filter_log_events, logGroupName=group, filterPattern="{ $.latency > fast }")
    assert (code, message) == ("InvalidParameterException", "Invalid filter pattern")
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 2})
    assert [e["message"] for p in pages for e in p["events"]] == [e["message"] for e in everything["events"]]

    out = server.aws("logs", "filter-log-events", "--log-group-name", group, "--filter-pattern", "ERROR",
                     "--start-time", str(now - 10_000), "--end-time", str(now))
    assert [e["message"] for e in out["events"]] == ["ERROR disk full", '{"level": "ERROR", "latency": 450}']
    out = server.aws("logs", "filter-log-events", "--log-group-name", group, "--log-stream-name-prefix", "d",
                     "--page-size", "1")
    assert [e["logStreamName"] for e in out["events"]] == ["db", "db"]


def test_metric_filters(server, logs, unique):
    group = f"/metrics/{unique}"
    make_stream(logs, group)
    namespace = f"Nimbus{unique}"
    logs.put_metric_filter(logGroupName=group, filterName="latency", filterPattern="{ $.latency = * }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": namespace,
                                                   "metricValue": "$.latency", "unit": "Milliseconds"}])
    code, _, message = error_of(logs.put_metric_filter, logGroupName=group, filterName="bad", filterPattern="{ $.a > x }",
                                metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}])
    assert (code, message) == ("InvalidParameterException", "Invalid metric filter pattern")
    described = logs.describe_metric_filters(metricName="Latency", metricNamespace=namespace)["metricFilters"]
    assert [(f["filterName"], f["logGroupName"]) for f in described] == [("latency", group)]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 1
    tested = logs.test_metric_filter(filterPattern="[a, b]", logEventMessages=["x y", "single"])["matches"]
    assert tested == [{"eventNumber": 1, "eventMessage": "x y", "extractedValues": {"$a": "x", "$b": "y"}}]

    now = now_ms(server)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - 2000, "message": json.dumps({"latency": 100})},
        {"timestamp": now - 1000, "message": json.dumps({"latency": 300})},
    ])
    # The datapoints go to CloudWatch through the bus; CloudWatch may not answer yet.
    cloudwatch = server.client("cloudwatch")
    try:
        stats = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Latency", Period=60,
                                                 StartTime=(now - HOUR) / 1000, EndTime=(now + HOUR) / 1000,
                                                 Statistics=["Sum", "SampleCount"])
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] in ("NotImplemented", "InternalFailure")
    else:
        points = stats["Datapoints"]
        assert sum(p["Sum"] for p in points) == 400 and sum(p["SampleCount"] for p in points) == 2
    logs.delete_metric_filter(logGroupName=group, filterName="latency")
    code, _, _ = error_of(logs.delete_metric_filter, logGroupName=group, filterName="latency")
    assert code == "ResourceNotFoundException"


def test_subscription_filters_two_per_group(logs, unique):
    group = f"/subs/{unique}"
    logs.create_log_group(logGroupName=group)
    target = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
    for name in ["a", "b"]:
        logs.put_subscription_filter(logGroupName=group, filterName=name, filterPattern="", destinationArn=target)
    code, _, _ = error_of(logs.put_subscription_filter, logGroupName=group, filterName="c", filterPattern="",
                          destinationArn=target)
    assert code == "LimitExceededException"
    names = [f["filterName"] for f in logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]]
    assert names == ["a", "b"]


def test_insights_stats_by_bin(server, logs, unique):
    group = f"/insights/{unique}"
    make_stream(logs, group)
    # Whole 5-minute bins, well inside the query's range.
    base = (now_ms(server) - 30 * MINUTE) // (5 * MINUTE) * (5 * MINUTE)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": base + 1000, "message": json.dumps({"level": "ERROR"})},
        {"timestamp": base + 2000, "message": json.dumps({"level": "ERROR"})},
        {"timestamp": base + 6 * MINUTE, "message": json.dumps({"level": "ERROR"})},
        {"timestamp": base + 7 * MINUTE, "message": json.dumps({"level": "INFO"})},
    ])
    query_id = logs.start_query(logGroupName=group, startTime=(base - HOUR) // 1000, endTime=(base + HOUR) // 1000,
                                queryString="filter level = 'ERROR' | stats count(*) as errors by bin(5m)")["queryId"]
    for _ in range(100):
        out = logs.get_query_results(queryId=query_id)
        if out["status"] == "Complete":
            break
        time.sleep(0.05)
    assert out["status"] == "Complete"
    rows = sorted((r[0]["value"], r[1]["value"]) for r in out["results"])
    assert [count for _, count in rows] == ["2", "1"]
    assert out["statistics"]["recordsScanned"] == 4.0
    assert any(q["queryId"] == query_id for q in logs.describe_queries(logGroupName=group)["queries"])
    code, _, _ = error_of(logs.start_query, logGroupName=group, startTime=0, endTime=1, queryString="stats count(*) by")
    assert code == "MalformedQueryException"


def test_acknowledged_events_survive_kill_9(start_nimbus, data_dir, unique):
    first = start_nimbus(data_dir=data_dir)
    logs = first.client("logs")
    make_stream(logs, "/durable")
    now = now_ms(first)
    for batch in range(5):
        logs.put_log_events(logGroupName="/durable", logStreamName="s",
                            logEvents=[{"timestamp": now + batch, "message": f"m{batch}-{i}"} for i in range(100)])
    first.kill9()
    again = start_nimbus(data_dir=data_dir)
    events = again.client("logs").filter_log_events(logGroupName="/durable")["events"]
    assert len(events) == 500
    assert events[0]["message"] == "m0-0" and events[-1]["message"] == "m4-99"


def test_retention_after_clock_move(server, logs, unique):
    """Last in the module: it moves the module server's clock by days."""
    group = f"/retention/{unique}"
    make_stream(logs, group)
    now = now_ms(server)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": now - 2 * DAY, "message": "old"}, {"timestamp": now - 2 * DAY + HOUR, "message": "less old"}])
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "new"}])
    logs.put_retention_policy(logGroupName=group, retentionInDays=3)
    before = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"]
    assert before == len("oldless oldnew")
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": DAY // 1000 + 1800})
    remaining = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    assert remaining == ["less old", "new"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == len("less oldnew")
