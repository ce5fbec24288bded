"""SES end to end: boto3 (`ses` over awsQuery, `sesv2` over rest-json) and the AWS CLI against a
real Nimbus. Identities and verification (including `--ses-require-verification` and the admin
endpoint that verifies), sending into the local mailbox (checked as MIME with Python's `email`
package), templates, raw messages, v2 content kinds, validation, the suppression list, contact
lists, LocalStack's `/_aws/ses` view, the bounce simulator publishing to an SNS topic that an
SQS queue is subscribed to, and durability of sent messages across `kill -9`.

The expected behaviour is AWS's, from the SES API references (v1 and v2) and developer guide
("Using the mailbox simulator", "Amazon SNS notification contents", "Advanced email
personalization"); the `/_aws/ses` shape is the one LocalStack documents."""
import base64
import email
import email.policy
import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import botocore.exceptions
import pytest

from conftest import wait_for

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def ses(nimbus):
    return nimbus.client("ses")


@pytest.fixture(scope="module")
def sesv2(nimbus):
    return nimbus.client("sesv2")


@pytest.fixture
def sender(ses, unique):
    address = f"sender-{unique}@example.com"
    ses.verify_email_identity(EmailAddress=address)
    return address


def fails(call, code, **kwargs):
    """Calls `call(**kwargs)`, which must fail with `code` (HTTP 400); returns the message."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kwargs)
    err = e.value.response
    assert err["Error"]["Code"] == code, err["Error"]
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, err
    return err["Error"].get("Message", "")


def http(server, method, path):
    """(status, content type, body bytes) of a plain HTTP call."""
    req = urllib.request.Request(server.url + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def messages(server, **filters):
    return server.admin("GET", "/_nimbus/ses/messages?" + urllib.parse.urlencode(filters))["messages"]


def eml(server, message_id):
    status, content_type, body = http(server, "GET", f"/_nimbus/ses/messages/{message_id}.eml")
    assert (status, content_type) == (200, "message/rfc822")
    return body


# --- sending into the mailbox ----------------------------------------------------------------

def test_multipart_message_is_stored_as_mime(nimbus, ses, sender, unique):
    to, cc, bcc = f"to-{unique}@example.com", f"cc-{unique}@example.com", f"bcc-{unique}@example.com"
    message_id = ses.send_email(
        Source=f"Sender Name <{sender}>",
        Destination={"ToAddresses": [to], "CcAddresses": [cc], "BccAddresses": [bcc]},
        ReplyToAddresses=[f"reply-{unique}@example.com"],
        Message={"Subject": {"Data": "Grüße from Nimbus", "Charset": "UTF-8"},
                 "Body": {"Text": {"Data": "Plain text body"}, "Html": {"Data": "<p>HTML body</p>"}}},
    )["MessageId"]

    [listed] = messages(nimbus, to=to)
    assert listed["id"] == message_id
    assert (listed["to"], listed["cc"], listed["bcc"]) == ([to], [cc], [bcc])
    assert (listed["subject"], listed["text"], listed["html"]) == ("Grüße from Nimbus", "Plain text body", "<p>HTML body</p>")
    assert messages(nimbus, to=bcc)[0]["id"] == message_id

    raw = eml(nimbus, message_id)
    assert b"subject: =?utf-8?" in raw.lower()  # RFC 2047: non-ASCII subjects are encoded words
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "Plain text body"
    assert parts[1].get_content().strip() == "<p>HTML body</p>"
    assert parts[0].get_content_charset() == "utf-8"
    assert msg["Subject"] == "Grüße from Nimbus"
    assert msg["From"].addresses[0].display_name == "Sender Name"
    assert msg["From"].addresses[0].addr_spec == sender
    assert msg["To"] == to and msg["Cc"] == cc
    assert msg["Bcc"] is None
    assert msg["Reply-To"] == f"reply-{unique}@example.com"
    assert msg["Message-ID"] == f"<{message_id}@email.amazonses.com>"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Date"].datetime is not None
    assert msg["Return-Path"] == f"<{sender}>"

    one = nimbus.admin("GET", f"/_nimbus/ses/messages/{message_id}")
    assert one["raw"].startswith("Return-Path:")
    assert {"name": "MIME-Version", "value": "1.0"} in one["headers"]


def test_validation_of_addresses_and_recipient_counts(ses, sender, unique):
    base = {"Source": sender, "Message": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}
    message = fails(ses.send_email, "InvalidParameterValue", Destination={"ToAddresses": ["no-at-sign"]}, **base)
    assert message == "Missing final '@domain'"
    many = [f"r{i}-{unique}@example.com" for i in range(51)]
    message = fails(ses.send_email, "InvalidParameterValue", Destination={"ToAddresses": many}, **base)
    assert message == "Recipient count exceeds 50."
    ses.send_email(Destination={"ToAddresses": many[:50]}, **base)


def test_a_sender_never_verified_is_rejected(ses, unique):
    stranger = f"stranger-{unique}@nowhere-{unique}.com"
    message = fails(ses.send_email, "MessageRejected", Source=stranger, Destination={"ToAddresses": ["a@example.com"]},
                    Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}})
    assert message == ("Email address is not verified. The following identities failed the check in region "
                       f"US-EAST-1: {stranger}")


def test_required_verification_keeps_identities_pending(start_nimbus, unique):
    server = start_nimbus("--ses-require-verification")
    ses = server.client("ses")
    address = f"pending-{unique}@example.com"
    ses.verify_email_identity(EmailAddress=address)
    attrs = ses.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert attrs[address]["VerificationStatus"] == "Pending"
    send = dict(Source=address, Destination={"ToAddresses": [f"to-{unique}@example.com"]},
                Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}})
    message = fails(ses.send_email, "MessageRejected", **send)
    assert message == f"Email address is not verified. The following identities failed the check in region US-EAST-1: {address}"
    assert ses.list_verified_email_addresses()["VerifiedEmailAddresses"] == []

    q = urllib.parse.urlencode({"identity": address})
    assert server.admin("POST", f"/_nimbus/ses/verify?{q}")["verificationStatus"] == "Success"
    attrs = ses.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert attrs[address]["VerificationStatus"] == "Success"
    ses.send_email(**send)
    missing = urllib.parse.urlencode({"identity": "nobody@example.com"})
    assert http(server, "POST", f"/_nimbus/ses/verify?{missing}")[0] == 404

    # The environment variable does the same.
    env_server = start_nimbus(env={"NIMBUS_SES_REQUIRE_VERIFICATION": "1"})
    env_ses = env_server.client("ses")
    env_ses.verify_email_identity(EmailAddress=address)
    attrs = env_ses.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert attrs[address]["VerificationStatus"] == "Pending"


# --- templates -------------------------------------------------------------------------------

def test_templates_render_and_test_render_reports_a_missing_variable(nimbus, ses, sender, unique):
    name = f"welcome-{unique}"
    ses.create_template(Template={
        "TemplateName": name,
        "SubjectPart": "Welcome, {{contact.firstName}}!",
        "TextPart": "Hi {{contact.firstName}}{{#if vip}} (VIP){{/if}}",
        "HtmlPart": "<ul>{{#each items}}<li>{{this}}</li>{{/each}}</ul>",
    })
    fails(ses.create_template, "AlreadyExists", Template={"TemplateName": name})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ses.test_render_template(TemplateName=name, TemplateData=json.dumps({"items": []}))
    assert e.value.response["Error"]["Code"] == "MissingRenderingAttribute"
    assert e.value.response["Error"]["Message"] == "Attribute 'contact.firstName' is not present in the rendering data."

    data = {"contact": {"firstName": "Ana"}, "vip": True, "items": ["one", "two"]}
    rendered = ses.test_render_template(TemplateName=name, TemplateData=json.dumps(data))["RenderedTemplate"]
    preview = email.message_from_string(rendered, policy=email.policy.default)
    assert preview["Subject"] == "Welcome, Ana!"
    assert preview.get_body(("plain",)).get_content().strip() == "Hi Ana (VIP)"

    to = f"tpl-{unique}@example.com"
    message_id = ses.send_templated_email(Source=sender, Destination={"ToAddresses": [to]}, Template=name,
                                          TemplateData=json.dumps(data))["MessageId"]
    [m] = messages(nimbus, to=to)
    assert (m["id"], m["subject"], m["html"]) == (message_id, "Welcome, Ana!", "<ul><li>one</li><li>two</li></ul>")
    assert m["template"] == name

    # A missing variable on send: accepted (AWS reports a Rendering Failure later), not delivered.
    lost = f"lost-{unique}@example.com"
    ses.send_templated_email(Source=sender, Destination={"ToAddresses": [lost]}, Template=name, TemplateData="{}")
    assert messages(nimbus, to=lost) == []
    fails(ses.send_templated_email, "TemplateDoesNotExist", Source=sender, Destination={"ToAddresses": [to]},
          Template=f"nope-{unique}", TemplateData="{}")

    listed = [t["Name"] for t in ses.list_templates(MaxItems=100)["TemplatesMetadata"]]
    assert name in listed
    ses.delete_template(TemplateName=name)
    fails(ses.get_template, "TemplateDoesNotExist", TemplateName=name)


# --- raw messages ----------------------------------------------------------------------------

def test_send_raw_email_keeps_the_raw_message(nimbus, ses, sender, unique):
    to, cc = f"raw-to-{unique}@example.com", f"raw-cc-{unique}@example.com"
    msg = MIMEMultipart("mixed")
    msg["Subject"] = "Raw with attachment"
    msg["From"] = sender
    msg["To"] = to
    msg["Cc"] = cc
    msg.attach(MIMEText("see attached", "plain"))
    part = MIMEApplication(b"\x00\x01binary", Name="data.bin")
    part["Content-Disposition"] = 'attachment; filename="data.bin"'
    msg.attach(part)
    raw = msg.as_bytes()

    message_id = ses.send_raw_email(RawMessage={"Data": raw})["MessageId"]
    assert eml(nimbus, message_id) == raw
    [m] = messages(nimbus, to=to)
    assert (m["to"], m["cc"], m["subject"], m["origin"]) == ([to], [cc], "Raw with attachment", "raw")
    assert messages(nimbus, to=cc)[0]["id"] == message_id

    # Destinations given: they are the envelope, whatever the headers say.
    other = f"raw-other-{unique}@example.com"
    ses.send_raw_email(Source=sender, Destinations=[other], RawMessage={"Data": raw})
    assert len(messages(nimbus, to=other)) == 1

    fails(ses.send_raw_email, "InvalidParameterValue", RawMessage={"Data": b"To: a@example.com\r\n\r\nbody"})


# --- SES v2 ----------------------------------------------------------------------------------

def test_v2_send_email_simple_raw_and_template(nimbus, sesv2, unique):
    domain = f"v2-{unique}.example.com"
    created = sesv2.create_email_identity(EmailIdentity=domain)
    assert created["IdentityType"] == "DOMAIN" and created["VerifiedForSendingStatus"] is True
    assert len(created["DkimAttributes"]["Tokens"]) == 3
    names = [i["IdentityName"] for i in sesv2.list_email_identities(PageSize=1000)["EmailIdentities"]]
    assert domain in names
    source, to = f"app@{domain}", f"v2-to-{unique}@example.com"

    simple = sesv2.send_email(
        FromEmailAddress=source, Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "v2 simple"}, "Body": {"Text": {"Data": "t"}, "Html": {"Data": "<b>h</b>"}}}},
    )["MessageId"]
    msg = email.message_from_bytes(eml(nimbus, simple), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative" and msg["Subject"] == "v2 simple"

    raw = f"From: {source}\r\nTo: {to}\r\nSubject: v2 raw\r\n\r\nraw body\r\n".encode()
    raw_id = sesv2.send_email(Content={"Raw": {"Data": raw}})["MessageId"]
    assert eml(nimbus, raw_id) == raw

    sesv2.create_email_template(TemplateName=f"t-{unique}", TemplateContent={"Subject": "Hi {{name}}", "Text": "x"})
    tpl = sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": [to]},
                           Content={"Template": {"TemplateName": f"t-{unique}", "TemplateData": '{"name": "Bo"}'}})["MessageId"]
    by_id = {m["id"]: m for m in messages(nimbus, to=to)}
    assert by_id[tpl]["subject"] == "Hi Bo"
    assert set(by_id) == {simple, raw_id, tpl}
    rendered = sesv2.test_render_email_template(TemplateName=f"t-{unique}", TemplateData='{"name": "Cy"}')
    assert "Subject: Hi Cy" in rendered["RenderedTemplate"]

    account = sesv2.get_account()
    assert account["SendQuota"]["Max24HourSend"] == 200 and account["SendQuota"]["MaxSendRate"] == 1
    assert account["SendQuota"]["SentLast24Hours"] >= 3
    assert account["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sesv2.get_email_identity(EmailIdentity=f"missing-{unique}.example.com")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_suppressed_recipients_and_contact_lists(nimbus, ses, sesv2, sender, unique):
    gone = f"gone-{unique}@example.com"
    sesv2.put_suppressed_destination(EmailAddress=gone, Reason="BOUNCE")
    assert sesv2.get_suppressed_destination(EmailAddress=gone)["SuppressedDestination"]["Reason"] == "BOUNCE"
    message_id = ses.send_email(Source=sender, Destination={"ToAddresses": [gone]},
                                Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}})["MessageId"]
    assert nimbus.admin("GET", f"/_nimbus/ses/messages/{message_id}")["suppressed"] == [gone]
    sesv2.delete_suppressed_destination(EmailAddress=gone)

    # One contact list per account and region (AWS's quota): use it if another test made one.
    lists = sesv2.list_contact_lists()["ContactLists"]
    name = lists[0]["ContactListName"] if lists else f"news-{unique}"
    if not lists:
        sesv2.create_contact_list(ContactListName=name, Topics=[
            {"TopicName": "sports", "DisplayName": "Sports", "DefaultSubscriptionStatus": "OPT_IN"}])
    sesv2.create_contact(ContactListName=name, EmailAddress=f"c-{unique}@example.com",
                         TopicPreferences=[{"TopicName": "sports", "SubscriptionStatus": "OPT_OUT"}])
    contact = sesv2.get_contact(ContactListName=name, EmailAddress=f"c-{unique}@example.com")
    assert contact["TopicPreferences"] == [{"TopicName": "sports", "SubscriptionStatus": "OPT_OUT"}]
    listed = [c["EmailAddress"] for c in sesv2.list_contacts(ContactListName=name)["Contacts"]]
    assert f"c-{unique}@example.com" in listed


# --- the LocalStack view ---------------------------------------------------------------------

def test_localstack_aws_ses_view(nimbus, ses, sender, unique):
    to = f"ls-{unique}@example.com"
    message_id = ses.send_email(Source=sender, Destination={"ToAddresses": [to]},
                                Message={"Subject": {"Data": "LS"}, "Body": {"Text": {"Data": "tp"}, "Html": {"Data": "hp"}}})["MessageId"]
    raw_id = ses.send_raw_email(RawMessage={"Data": f"From: {sender}\r\nTo: {to}\r\nSubject: R\r\n\r\nb".encode()})["MessageId"]

    doc = json.loads(http(nimbus, "GET", f"/_aws/ses?email={urllib.parse.quote(sender)}")[2])
    by_id = {m["Id"]: m for m in doc["messages"]}
    assert set(by_id) == {message_id, raw_id}
    m = by_id[message_id]
    assert m["Region"] == REGION and m["Source"] == sender and m["Subject"] == "LS"
    assert m["Destination"]["ToAddresses"] == [to]
    assert m["Body"] == {"text_part": "tp", "html_part": "hp"}
    assert m["Timestamp"].endswith("Z")
    assert by_id[raw_id]["RawData"].startswith(f"From: {sender}")

    one = json.loads(http(nimbus, "GET", f"/_aws/ses?id={message_id}")[2])["messages"]
    assert [x["Id"] for x in one] == [message_id]
    assert http(nimbus, "DELETE", f"/_aws/ses?id={message_id}")[0] == 204
    assert json.loads(http(nimbus, "GET", f"/_aws/ses?id={message_id}")[2])["messages"] == []
    assert http(nimbus, "GET", f"/_nimbus/ses/messages/{message_id}")[0] == 404
    # The Nimbus endpoint deletes by filter too.
    assert nimbus.admin("DELETE", "/_nimbus/ses/messages?" + urllib.parse.urlencode({"to": to}))["deleted"] == 1
    assert messages(nimbus, to=to) == []


# --- the mailbox simulator -------------------------------------------------------------------

def test_bounce_simulator_publishes_to_sns_subscribed_by_sqs(nimbus, ses, sender, unique):
    sns, sqs = nimbus.client("sns"), nimbus.client("sqs")
    topic = sns.create_topic(Name=f"ses-feedback-{unique}")["TopicArn"]
    queue_name = f"ses-feedback-{unique}"
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    url = sqs.create_queue(QueueName=queue_name, Attributes={"Policy": json.dumps(policy)})["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    ses.set_identity_notification_topic(Identity=sender, NotificationType="Bounce", SnsTopic=topic)
    attrs = ses.get_identity_notification_attributes(Identities=[sender])["NotificationAttributes"][sender]
    assert attrs["BounceTopic"] == topic and attrs["ForwardingEnabled"] is True

    message_id = ses.send_email(Source=sender, Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
                                Message={"Subject": {"Data": "will bounce"}, "Body": {"Text": {"Data": "t"}}})["MessageId"]

    def received():
        return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    [got] = wait_for(received)
    notification = json.loads(got["Body"])
    assert notification["notificationType"] == "Bounce"
    bounce = notification["bounce"]
    assert (bounce["bounceType"], bounce["bounceSubType"]) == ("Permanent", "General")
    assert bounce["bouncedRecipients"][0]["emailAddress"] == "bounce@simulator.amazonses.com"
    assert bounce["bouncedRecipients"][0]["status"] == "5.1.1"
    mail = notification["mail"]
    assert (mail["messageId"], mail["source"], mail["sendingAccountId"]) == (message_id, sender, ACCOUNT)
    assert mail["destination"] == ["bounce@simulator.amazonses.com"]
    assert mail["commonHeaders"]["subject"] == "will bounce"
    # Feedback forwarding (on by default) also mails the bounce to the sender.
    assert messages(nimbus, to=sender)[0]["subject"] == "Delivery Status Notification (Failure)"
    # Simulator sends do not count against the quota, and the statistics show the bounce.
    points = ses.get_send_statistics()["SendDataPoints"]
    assert sum(p["Bounces"] for p in points) >= 1


# --- the AWS CLI -----------------------------------------------------------------------------

def test_aws_cli_identities_send_and_quota(nimbus, unique):
    address = f"cli-{unique}@example.com"
    nimbus.aws("ses", "verify-email-identity", "--email-address", address)
    listed = nimbus.aws("ses", "list-identities", "--identity-type", "EmailAddress")["Identities"]
    assert address in listed
    sent = nimbus.aws("ses", "send-email", "--from", address, "--destination", f"ToAddresses=cli-to-{unique}@example.com",
                      "--message", "Subject={Data=From the CLI},Body={Text={Data=hello}}")
    [m] = messages(nimbus, to=f"cli-to-{unique}@example.com")
    assert m["id"] == sent["MessageId"] and m["subject"] == "From the CLI"
    quota = nimbus.aws("ses", "get-send-quota")
    assert quota["Max24HourSend"] == 200.0 and quota["SentLast24Hours"] >= 1
    account = nimbus.aws("sesv2", "get-account")
    assert account["SendingEnabled"] is True
    nimbus.aws("ses", "delete-identity", "--identity", address)
    assert address not in nimbus.aws("ses", "list-identities")["Identities"]


# --- the SMTP relay -------------------------------------------------------------------------

class SmtpSink:
    """A minimal SMTP server on a free local port that keeps what it is sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as r:
                conn.sendall(b"220 sink ESMTP\r\n")
                envelope = {"rcpt": []}
                while line := r.readline():
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        conn.sendall(b"250 sink\r\n")
                    elif verb == b"MAIL":
                        envelope["from"] = line.decode().strip()
                        conn.sendall(b"250 ok\r\n")
                    elif verb == b"RCPT":
                        envelope["rcpt"].append(line.decode().strip())
                        conn.sendall(b"250 ok\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go on\r\n")
                        data = b""
                        while (chunk := r.readline()) not in (b".\r\n", b""):
                            data += chunk
                        self.received.append((envelope, data))
                        envelope = {"rcpt": []}
                        conn.sendall(b"250 queued\r\n")
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


def test_smtp_relay_gets_every_stored_message(start_nimbus, unique):
    sink = SmtpSink()
    try:
        server = start_nimbus("--ses-smtp-relay", f"127.0.0.1:{sink.port}")
        ses = server.client("ses")
        address = f"relay-{unique}@example.com"
        ses.verify_email_identity(EmailAddress=address)
        message_id = ses.send_email(Source=address, Destination={"ToAddresses": [f"to-{unique}@example.com"],
                                                                 "BccAddresses": [f"bcc-{unique}@example.com"]},
                                    Message={"Subject": {"Data": "relayed"}, "Body": {"Text": {"Data": "t"}}})["MessageId"]
        [(envelope, data)] = wait_for(lambda: sink.received)
        assert address in envelope["from"]
        assert len(envelope["rcpt"]) == 2 and any(f"bcc-{unique}" in r for r in envelope["rcpt"])
        assert f"<{message_id}@email.amazonses.com>".encode() in data
    finally:
        sink.close()
    # A relay that is down never fails a send.
    down = start_nimbus(env={"NIMBUS_SES_SMTP_RELAY": f"127.0.0.1:{sink.port}"})
    down_ses = down.client("ses")
    down_ses.verify_email_identity(EmailAddress=address)
    down_ses.send_email(Source=address, Destination={"ToAddresses": ["a@example.com"]},
                        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}})
    assert len(messages(down, to="a@example.com")) == 1


# --- durability ------------------------------------------------------------------------------

def test_sent_messages_survive_kill_9(start_nimbus, data_dir, unique):
    server = start_nimbus(data_dir=data_dir)
    ses = server.client("ses")
    address = f"durable-{unique}@example.com"
    ses.verify_email_identity(EmailAddress=address)
    message_id = ses.send_email(Source=address, Destination={"ToAddresses": ["a@example.com"]},
                                Message={"Subject": {"Data": "kept"}, "Body": {"Text": {"Data": "t"}}})["MessageId"]
    server.kill9()
    again = start_nimbus(data_dir=data_dir)
    assert email.message_from_bytes(eml(again, message_id))["Subject"] == "kept"
    assert address in again.client("ses").list_identities()["Identities"]
