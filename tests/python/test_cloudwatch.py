"""CloudWatch end to end: boto3 (rpc-v2-cbor), the AWS CLI, raw awsQuery and awsJson1.0
requests, and alarms evaluated on Nimbus's clock publishing to SNS → SQS."""
import datetime
import json
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest

import sigv4

NS = {"cw": "http://monitoring.amazonaws.com/doc/2010-08-01/"}


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def signed_post(server, body, headers):
    url = server.url + "/"
    signed = sigv4.sign("POST", url, headers, body, "test", "test", "us-east-1", "monitoring")
    req = urllib.request.Request(url, data=body.encode(), headers=signed, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def server_now(server):
    """Nimbus's clock, which tests move forward."""
    text = server.admin("GET", "/_nimbus/clock")["now"]
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_put_metric_data_and_statistics(server):
    cw = server.client("cloudwatch")
    cw.put_metric_data(
        Namespace="E2E/Stats",
        MetricData=[
            {"MetricName": "Latency", "Value": 10.0, "Unit": "Milliseconds", "Dimensions": [{"Name": "Api", "Value": "get"}]},
            {"MetricName": "Latency", "Values": [20.0, 30.0], "Counts": [1.0, 2.0], "Unit": "Milliseconds",
             "Dimensions": [{"Name": "Api", "Value": "get"}]},
        ],
    )
    t = server_now(server)
    out = cw.get_metric_statistics(
        Namespace="E2E/Stats", MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
        StartTime=t - datetime.timedelta(minutes=10), EndTime=t + datetime.timedelta(minutes=1), Period=3600,
        Statistics=["Sum", "SampleCount", "Maximum"], Unit="Milliseconds",
    )
    assert out["Label"] == "Latency"
    [point] = out["Datapoints"]
    assert point["Sum"] == 90.0 and point["SampleCount"] == 4.0 and point["Maximum"] == 30.0
    assert point["Unit"] == "Milliseconds"
    p = cw.get_metric_statistics(
        Namespace="E2E/Stats", MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "get"}],
        StartTime=t - datetime.timedelta(minutes=10), EndTime=t + datetime.timedelta(minutes=1), Period=3600,
        ExtendedStatistics=["p99"],
    )
    assert p["Datapoints"][0]["ExtendedStatistics"] == {"p99": 30.0}


def test_put_metric_data_refusals(server):
    cw = server.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_code(e) == "InvalidParameterValue"
    assert e.value.response["Error"]["Message"] == "The value AWS/EC2 for parameter Namespace is invalid."
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(Namespace="E2E/Bad", MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [1.0]}])
    assert error_code(e) == "InvalidParameterCombination"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_data(Namespace="E2E/Bad", MetricData=[
            {"MetricName": "m", "Value": 1.0, "Timestamp": server_now(server) - datetime.timedelta(days=15)}])
    assert error_code(e) == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_statistics(Namespace="E2E/Bad", MetricName="m", StartTime=now() - datetime.timedelta(days=2),
                                 EndTime=now(), Period=60, Statistics=["Sum"])
    assert error_code(e) == "InvalidParameterValue"
    assert "exceeds the limit of 1,440" in e.value.response["Error"]["Message"]


def test_cli_put_metric_data_and_list_metrics(server):
    server.aws("cloudwatch", "put-metric-data", "--namespace", "E2E/Cli", "--metric-name", "Jobs",
               "--dimensions", "Queue=high,Worker=w1", "--value", "3", "--unit", "Count")
    listed = server.aws("cloudwatch", "list-metrics", "--namespace", "E2E/Cli")
    assert listed["Metrics"] == [{"Namespace": "E2E/Cli", "MetricName": "Jobs",
                                  "Dimensions": [{"Name": "Queue", "Value": "high"}, {"Name": "Worker", "Value": "w1"}]}]
    cw = server.client("cloudwatch")
    assert len(cw.list_metrics(Dimensions=[{"Name": "Worker"}], Namespace="E2E/Cli")["Metrics"]) == 1
    assert cw.list_metrics(Dimensions=[{"Name": "Worker", "Value": "w2"}], Namespace="E2E/Cli")["Metrics"] == []


def test_get_metric_data_with_math(server):
    cw = server.client("cloudwatch")
    t = server_now(server).replace(second=0, microsecond=0)
    for i, v in enumerate([1.0, 2.0, 3.0]):
        ts = t - datetime.timedelta(minutes=3 - i)
        cw.put_metric_data(Namespace="E2E/Math", MetricData=[
            {"MetricName": "Errors", "Value": v, "Timestamp": ts},
            {"MetricName": "Requests", "Value": v * 10, "Timestamp": ts},
        ])
    stat = lambda name: {"Metric": {"Namespace": "E2E/Math", "MetricName": name}, "Period": 60, "Stat": "Sum"}
    out = cw.get_metric_data(
        StartTime=t - datetime.timedelta(minutes=5), EndTime=t, ScanBy="TimestampAscending",
        MetricDataQueries=[
            {"Id": "e", "MetricStat": stat("Errors"), "ReturnData": False},
            {"Id": "r", "MetricStat": stat("Requests"), "ReturnData": False},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate"},
        ],
    )
    [result] = out["MetricDataResults"]
    assert result["Label"] == "Error rate"
    assert result["Values"] == [10.0, 10.0, 10.0]
    assert result["StatusCode"] == "Complete"
    assert len(result["Timestamps"]) == 3


def test_raw_aws_query_put_metric_data(server):
    body = urllib.parse.urlencode({
        "Action": "PutMetricData", "Version": "2010-08-01", "Namespace": "E2E/Query",
        "MetricData.member.1.MetricName": "Hits", "MetricData.member.1.Value": "7",
        "MetricData.member.1.Unit": "Count",
        "MetricData.member.1.Dimensions.member.1.Name": "Site",
        "MetricData.member.1.Dimensions.member.1.Value": "web",
    })
    status, raw = signed_post(server, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 200, raw
    assert ET.fromstring(raw).tag == "{http://monitoring.amazonaws.com/doc/2010-08-01/}PutMetricDataResponse"
    listed = urllib.parse.urlencode({"Action": "ListMetrics", "Version": "2010-08-01", "Namespace": "E2E/Query"})
    status, raw = signed_post(server, listed, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 200, raw
    names = [e.text for e in ET.fromstring(raw).iterfind(".//cw:Metrics/cw:member/cw:MetricName", NS)]
    assert names == ["Hits"]
    bad = urllib.parse.urlencode({"Action": "PutMetricData", "Version": "2010-08-01", "Namespace": "AWS/X",
                                  "MetricData.member.1.MetricName": "m", "MetricData.member.1.Value": "1"})
    status, raw = signed_post(server, bad, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert status == 400
    assert ET.fromstring(raw).find(".//cw:Error/cw:Code", NS).text == "InvalidParameterValue"


def test_raw_aws_json_list_metrics(server):
    server.client("cloudwatch").put_metric_data(Namespace="E2E/Json", MetricData=[{"MetricName": "Beats", "Value": 1.0}])
    body = json.dumps({"Namespace": "E2E/Json"})
    status, raw = signed_post(server, body, {"Content-Type": "application/x-amz-json-1.0",
                                             "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"})
    assert status == 200, raw
    assert json.loads(raw)["Metrics"] == [{"Namespace": "E2E/Json", "MetricName": "Beats", "Dimensions": []}]


def receive_alarm_messages(sqs, queue_url, want):
    messages = []
    deadline = time.monotonic() + 10
    while len(messages) < want and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
            messages.append(json.loads(m["Body"]))
    return messages


def test_alarm_fires_through_sns_to_sqs_and_recovers(server):
    cw = server.client("cloudwatch")
    sns = server.client("sns")
    sqs = server.client("sqs")
    topic = sns.create_topic(Name="cw-alarms")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="cw-alarm-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    dims = [{"Name": "Host", "Value": "web-1"}]
    cw.put_metric_alarm(
        AlarmName="e2e-cpu-high", AlarmDescription="CPU too high", Namespace="E2E/Alarm", MetricName="CPU",
        Dimensions=dims, Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=80.0,
        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], OKActions=[topic],
        Tags=[{"Key": "team", "Value": "ops"}],
    )
    alarm = cw.describe_alarms(AlarmNames=["e2e-cpu-high"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "ops"}]

    cw.put_metric_data(Namespace="E2E/Alarm", MetricData=[{"MetricName": "CPU", "Dimensions": dims, "Value": 97.0}])
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 60})
    alarm = cw.describe_alarms(AlarmNames=["e2e-cpu-high"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM", alarm
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [97.0 (")
    [envelope] = receive_alarm_messages(sqs, queue_url, 1)
    assert envelope["Subject"] == 'ALARM: "e2e-cpu-high" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == "e2e-cpu-high"
    assert message["AlarmDescription"] == "CPU too high"
    assert message["NewStateValue"] == "ALARM" and message["OldStateValue"] == "INSUFFICIENT_DATA"
    assert message["Region"] == "US East (N. Virginia)"
    assert message["Trigger"]["MetricName"] == "CPU"
    assert message["Trigger"]["Statistic"] == "AVERAGE"
    assert message["Trigger"]["Dimensions"] == [{"value": "web-1", "name": "Host"}]
    assert message["Trigger"]["Threshold"] == 80.0

    cw.put_metric_data(Namespace="E2E/Alarm", MetricData=[{"MetricName": "CPU", "Dimensions": dims, "Value": 12.0}])
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 60})
    assert cw.describe_alarms(AlarmNames=["e2e-cpu-high"])["MetricAlarms"][0]["StateValue"] == "OK"
    [envelope] = receive_alarm_messages(sqs, queue_url, 1)
    assert envelope["Subject"] == 'OK: "e2e-cpu-high" in US East (N. Virginia)'
    assert json.loads(envelope["Message"])["OldStateValue"] == "ALARM"

    history = cw.describe_alarm_history(AlarmName="e2e-cpu-high", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"]
    actions = cw.describe_alarm_history(AlarmName="e2e-cpu-high", HistoryItemType="Action")["AlarmHistoryItems"]
    assert all(a["HistorySummary"] == f"Successfully executed action {topic}" for a in actions) and len(actions) == 2

    cw.set_alarm_state(AlarmName="e2e-cpu-high", StateValue="ALARM", StateReason="drill")
    [envelope] = receive_alarm_messages(sqs, queue_url, 1)
    assert json.loads(envelope["Message"])["NewStateReason"] == "drill"
    cw.delete_alarms(AlarmNames=["e2e-cpu-high", "never-existed"])
    assert cw.describe_alarms(AlarmNames=["e2e-cpu-high"])["MetricAlarms"] == []


def test_alarm_validation_and_composite(server):
    cw = server.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_metric_alarm(AlarmName="bad", Namespace="E2E/V", MetricName="m", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, DatapointsToAlarm=2, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    assert error_code(e) == "ValidationError"
    assert e.value.response["Error"]["Message"] == "DatapointsToAlarm must be less than or equal to EvaluationPeriods."
    cw.put_metric_alarm(AlarmName="child-a", Namespace="E2E/V", MetricName="m", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw.put_composite_alarm(AlarmName="parent", AlarmRule='ALARM("child-a")')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_composite_alarm(AlarmName="orphan", AlarmRule="ALARM(nope)")
    assert error_code(e) == "ValidationError"
    cw.set_alarm_state(AlarmName="child-a", StateValue="ALARM", StateReason="test")
    out = cw.describe_alarms(AlarmNames=["parent"], AlarmTypes=["CompositeAlarm"])
    assert out["CompositeAlarms"][0]["StateValue"] == "ALARM"
    assert cw.describe_alarms(ParentsOfAlarmName="child-a")["CompositeAlarms"][0]["AlarmName"] == "parent"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.set_alarm_state(AlarmName="missing", StateValue="OK", StateReason="x")
    assert error_code(e) == "ResourceNotFound"


def test_dashboards(server):
    cw = server.client("cloudwatch")
    body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "hi"}}]})
    assert cw.put_dashboard(DashboardName="e2e-main", DashboardBody=body)["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName="e2e-main")
    assert got["DashboardBody"] == body
    assert got["DashboardArn"].endswith(":dashboard/e2e-main")
    assert [d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix="e2e-")["DashboardEntries"]] == ["e2e-main"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName="e2e-bad", DashboardBody="[1, 2")
    assert error_code(e) == "InvalidParameterInput"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName="e2e-bad", DashboardBody=json.dumps({"widgets": [{"properties": {}}]}))
    assert e.value.response["Error"]["Code"] == "InvalidParameterInput"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.delete_dashboards(DashboardNames=["e2e-main", "e2e-missing"])
    assert error_code(e) == "ResourceNotFound"
    cw.delete_dashboards(DashboardNames=["e2e-main"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_dashboard(DashboardName="e2e-main")
    assert error_code(e) == "ResourceNotFound"
