"""The seeds' alarm path end to end, across services: a message fails its processing until SQS
moves it to the dead-letter queue; SQS's standard AWS/SQS metrics reach CloudWatch; an alarm on
"DLQ not empty" goes to ALARM on Nimbus's clock and publishes AWS's alarm message to an SNS
topic, whose email subscription lands in SES's mailbox; emptying the queue brings it back to OK.
"""
import json
import urllib.parse

import pytest

from conftest import wait_for


def mails_to(server, address):
    q = urllib.parse.urlencode({"to": address})
    return server.admin("GET", f"/_nimbus/ses/messages?{q}")["messages"]


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


@pytest.fixture(scope="module")
def clients(server):
    return server.client("sqs"), server.client("sns"), server.client("cloudwatch")


def test_dead_letter_alarm_mails_the_team(server, clients, unique):
    sqs, sns, cloudwatch = clients
    dlq_name = f"orders-dlq-{unique}"
    dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=f"orders-{unique}", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"}),
    })["QueueUrl"]

    # The on-call address, subscribed and confirmed through the mail it receives.
    address = f"oncall-{unique}@example.com"
    topic = sns.create_topic(Name=f"ops-alerts-{unique}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    (confirmation,) = wait_for(lambda: mails_to(server, address))
    token = urllib.parse.parse_qs(urllib.parse.urlparse(
        next(w for w in confirmation["text"].split() if "Token=" in w)).query)["Token"][0]
    sns.confirm_subscription(TopicArn=topic, Token=token)

    alarm = f"dlq-not-empty-{unique}"
    cloudwatch.put_metric_alarm(
        AlarmName=alarm, Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": dlq_name}], Statistic="Maximum", Period=60,
        EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching", AlarmActions=[topic], OKActions=[topic])
    state = lambda: cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"]
    assert state() == "INSUFFICIENT_DATA"

    # A message whose processing fails: received once, not deleted, then moved on its next receive.
    sqs.send_message(QueueUrl=queue, MessageBody='{"order": 42}')
    assert len(sqs.receive_message(QueueUrl=queue).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "1"

    # Each clock move publishes the queues' metrics, then evaluates the alarms.
    for _ in range(5):
        advance(server, 60)
        if state() == "ALARM":
            break
    assert state() == "ALARM"
    changed = cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateUpdatedTimestamp"].timestamp()
    visible = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": dlq_name}],
        StartTime=changed - 600, EndTime=changed + 600, Period=60, Statistics=["Maximum"])["Datapoints"]
    assert any(d["Maximum"] == 1.0 for d in visible)

    alarm_mails = wait_for(lambda: [m for m in mails_to(server, address) if m["subject"].startswith("ALARM")])
    assert alarm_mails, mails_to(server, address)
    assert alarm_mails[0]["subject"] == f'ALARM: "{alarm}" in US East (N. Virginia)'
    message = json.loads(alarm_mails[0]["text"])
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (alarm, "ALARM", "INSUFFICIENT_DATA")
    assert message["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert message["Region"] == "US East (N. Virginia)"

    # The team drains the dead-letter queue; the alarm clears and says so.
    (dead,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=dead["ReceiptHandle"])
    for _ in range(5):
        advance(server, 60)
        if state() == "OK":
            break
    assert state() == "OK"
    ok_mails = wait_for(lambda: [m for m in mails_to(server, address) if m["subject"].startswith("OK")])
    assert ok_mails and json.loads(ok_mails[0]["text"])["NewStateValue"] == "OK"
    history = cloudwatch.describe_alarm_history(AlarmName=alarm, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history][:2] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM"]
