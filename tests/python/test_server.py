"""The server surface: health, coverage, admin endpoints, errors for what Nimbus can't serve,
the data-directory lock, clean shutdown."""
import json
import signal
import subprocess

import botocore.exceptions
import pytest
import requests

from conftest import BIN


def test_health_endpoints(nimbus):
    health = requests.get(nimbus.url + "/_nimbus/health").json()
    assert health["status"] == "running"
    assert {"sts", "secretsmanager", "ssm"} <= set(health["services"])
    assert health["uptime_seconds"] >= 0
    # LocalStack's shape, which testcontainers and other harnesses wait on.
    ls = requests.get(nimbus.url + "/_localstack/health").json()
    assert ls["services"]["secretsmanager"] == "running"
    assert ls["services"]["s3"] == "running"
    assert ls["services"]["sqs"] == "running"
    assert ls["services"]["kms"] == "running"
    assert ls["services"]["iam"] == "running"
    assert ls["services"]["dynamodb"] == "running"
    assert ls["services"]["rds"] == "disabled"
    assert "version" in ls


def test_ready_line_is_printed_for_harnesses(nimbus):
    # testcontainers' LocalStack module waits for "Ready." on stdout.
    assert nimbus.proc.stdout.readline().decode().strip() == "Ready."


def test_services_coverage_is_honest(nimbus):
    cov = requests.get(nimbus.url + "/_nimbus/services").json()
    sm = cov["secretsmanager"]
    assert sm["total"] == 26
    assert "GetSecretValue" in sm["operations"]
    assert sm["implemented"] == len(sm["operations"])
    assert sm["implemented"] + len(sm["not_implemented"]) == sm["total"]
    assert cov["sqs"]["implemented"] == cov["sqs"]["total"] == 23 and cov["sqs"]["not_implemented"] == []
    assert "Encrypt" in cov["kms"]["operations"] and "Encrypt" not in cov["kms"]["not_implemented"]
    assert "SimulatePrincipalPolicy" in cov["iam"]["operations"]
    assert cov["rds"]["implemented"] == 0 and "CreateDBInstance" in cov["rds"]["not_implemented"]
    assert "Query" in cov["dynamodb"]["operations"] and "DescribeGlobalTable" in cov["dynamodb"]["not_implemented"]
    s3 = cov["s3"]
    assert "PutObject" in s3["operations"] and "PutObject" not in s3["not_implemented"]
    assert s3["implemented"] + len(s3["not_implemented"]) == s3["total"] > 100
    # The CLI prints the same document.
    out = subprocess.run([BIN, "services", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["secretsmanager"]["operations"] == sm["operations"]


def test_unimplemented_operation_gets_not_implemented_naming_it(nimbus):
    ssm = nimbus.client("ssm")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ssm.list_documents()
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert err["Error"]["Code"] == "NotImplemented"
    assert "ListDocuments" in err["Error"]["Message"]


def test_unimplemented_service_in_query_protocol(nimbus):
    rds = nimbus.client("rds")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rds.describe_db_instances()
    assert e.value.response["Error"]["Code"] == "NotImplemented"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_unclassifiable_request_is_a_clear_400(nimbus):
    r = requests.get(nimbus.url + "/")
    assert r.status_code == 400
    assert "could not tell which AWS service" in r.text


def test_unknown_json_operation(nimbus):
    r = requests.post(nimbus.url + "/", data="{}", headers={
        "X-Amz-Target": "secretsmanager.NoSuchOperation", "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code == 400
    assert "UnknownOperationException" in r.text


def test_clock_moves_forward_only(nimbus):
    before = requests.get(nimbus.url + "/_nimbus/clock").json()
    after = requests.post(nimbus.url + "/_nimbus/clock", json={"advance_seconds": 60}).json()
    assert after["offset_seconds"] == before["offset_seconds"] + 60
    assert requests.post(nimbus.url + "/_nimbus/clock", json={"advance_seconds": -1}).status_code == 400


def test_reset_wipes_state(start_nimbus):
    server = start_nimbus()
    sm = server.client("secretsmanager")
    sm.create_secret(Name="wiped", SecretString="x")
    requests.post(server.url + "/_nimbus/clock", json={"advance_seconds": 5})
    assert requests.post(server.url + "/_nimbus/reset").json() == {"reset": True}
    assert sm.list_secrets()["SecretList"] == []
    assert requests.get(server.url + "/_nimbus/clock").json()["offset_seconds"] == 0


def test_second_process_on_same_data_dir_fails_clearly(start_nimbus, data_dir):
    start_nimbus(data_dir=data_dir)
    proc = subprocess.run([BIN, "serve", "--bind", "127.0.0.1:0", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "in use by another Nimbus process" in proc.stderr


def test_sigterm_shuts_down_cleanly_and_state_persists(start_nimbus, data_dir):
    server = start_nimbus(data_dir=data_dir)
    server.client("ssm").put_parameter(Name="/persist/me", Value="v1", Type="String")
    assert server.stop(signal.SIGTERM) == 0
    again = start_nimbus(data_dir=data_dir)
    assert again.client("ssm").get_parameter(Name="/persist/me")["Parameter"]["Value"] == "v1"


def test_every_flag_has_an_env_var():
    help_text = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ["--bind", "--data-dir", "--ephemeral", "--region", "--account-id", "--auth", "--credential",
                 "--credentials-file", "--log"]:
        assert flag in help_text
    assert help_text.count("[env: NIMBUS_") >= 9
