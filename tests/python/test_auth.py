"""SigV4 as real clients exercise it: signed, presigned, bad, expired and skewed requests;
declared identities; STS temporary credentials; strict mode."""
import datetime

import botocore.exceptions
import pytest
import requests

import sigv4


def error_of(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_default_credentials_are_verified(nimbus):
    ident = nimbus.client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    # `test` is a known key, so a wrong secret is caught: query protocol and JSON protocol codes.
    assert error_of(nimbus.client("sts", secret_key="wrong").get_caller_identity) == ("SignatureDoesNotMatch", 403)
    code, status = error_of(nimbus.client("secretsmanager", secret_key="wrong").list_secrets)
    assert code == "InvalidSignatureException" and status in (400, 403)


def test_unsigned_payload_signatures_are_verified(nimbus):
    url = nimbus.url + "/"
    target = {"x-amz-target": "secretsmanager.ListSecrets", "content-type": "application/x-amz-json-1.1"}
    headers = sigv4.sign("POST", url, target, "{}", "test", "test", "us-east-1", "secretsmanager",
                         payload_hash="UNSIGNED-PAYLOAD")
    assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    r = requests.post(url, data="{}", headers=headers)
    assert r.status_code == 200, r.text
    assert "SecretList" in r.json()
    # The body is not covered, but everything else still is.
    bad = sigv4.sign("POST", url, target, "{}", "test", "wrong", "us-east-1", "secretsmanager",
                     payload_hash="UNSIGNED-PAYLOAD")
    assert requests.post(url, data="{}", headers=bad).json()["__type"] == "InvalidSignatureException"


def test_cli_is_verified(nimbus):
    assert nimbus.aws("sts", "get-caller-identity")["Account"] == "000000000000"
    proc = nimbus.aws("sts", "get-caller-identity", secret_key="nope", check=False)
    assert proc.returncode != 0 and "SignatureDoesNotMatch" in proc.stderr


def test_unknown_keys_pass_unverified_in_default_mode(nimbus):
    assert nimbus.client("sts", access_key="AKIAUNKNOWN", secret_key="x").get_caller_identity()["Account"] == "000000000000"
    # A 12-digit access key id is its own account.
    assert nimbus.client("sts", access_key="123456789012", secret_key="x").get_caller_identity()["Account"] == "123456789012"


def test_declared_identities_are_distinct_and_verified(start_nimbus):
    server = start_nimbus("--credential", "AKIAALICE:alice-secret:111122223333:alice",
                          "--account-id", "123456789012")
    ident = server.client("sts", access_key="AKIAALICE", secret_key="alice-secret").get_caller_identity()
    assert ident["Arn"] == "arn:aws:iam::111122223333:user/alice"
    assert ident["Account"] == "111122223333"
    assert ident["UserId"].startswith("AIDA")
    assert error_of(server.client("sts", access_key="AKIAALICE", secret_key="bad").get_caller_identity)[0] == "SignatureDoesNotMatch"
    # --account-id moves the default account (and test/test with it).
    assert server.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_credentials_file_and_env(start_nimbus, data_dir):
    creds = data_dir / "creds"
    creds.write_text("# team identities\nAKIABOB:bob-secret:222233334444:bob\n")
    server = start_nimbus("--credentials-file", str(creds), env={"NIMBUS_CREDENTIALS": "AKIACAROL:carol-secret::carol"})
    assert server.client("sts", access_key="AKIABOB", secret_key="bob-secret").get_caller_identity()["Account"] == "222233334444"
    carol = server.client("sts", access_key="AKIACAROL", secret_key="carol-secret").get_caller_identity()
    assert carol["Arn"] == "arn:aws:iam::000000000000:user/carol"


def test_strict_mode_refuses_unknown_and_unsigned(start_nimbus):
    server = start_nimbus("--auth", "strict")
    assert server.client("sts").get_caller_identity()["Account"] == "000000000000"
    assert error_of(server.client("sts", access_key="AKIAUNKNOWN", secret_key="x").get_caller_identity) == ("InvalidClientTokenId", 403)
    code, _ = error_of(server.client("secretsmanager", access_key="AKIAUNKNOWN", secret_key="x").list_secrets)
    assert code == "UnrecognizedClientException"
    r = requests.post(server.url + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 403 and "MissingAuthenticationToken" in r.text


def test_skew_beyond_15_minutes_is_refused(nimbus):
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    url = nimbus.url + "/"
    base = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    now = datetime.datetime.now(datetime.timezone.utc)
    ok = sigv4.sign("POST", url, base, body, "test", "test", "us-east-1", "sts", when=now - datetime.timedelta(minutes=10))
    assert requests.post(url, data=body, headers=ok).status_code == 200
    # AWS's words: "Signature expired: X is now earlier than Y (Z - 15 min.)" and, for a clock
    # ahead, "Signature not yet current: X is still later than Y (Z + 15 min.)".
    for skew, words in ((datetime.timedelta(minutes=16), "Signature expired"),
                        (-datetime.timedelta(minutes=16), "Signature not yet current")):
        headers = sigv4.sign("POST", url, base, body, "test", "test", "us-east-1", "sts", when=now - skew)
        r = requests.post(url, data=body, headers=headers)
        assert r.status_code == 403, r.text
        assert "<Code>SignatureDoesNotMatch</Code>" in r.text
        assert words in r.text
    # JSON services say InvalidSignatureException with the same words.
    target = {"x-amz-target": "secretsmanager.ListSecrets", "content-type": "application/x-amz-json-1.1"}
    headers = sigv4.sign("POST", url, target, "{}", "test", "test", "us-east-1", "secretsmanager",
                         when=now - datetime.timedelta(minutes=20))
    r = requests.post(url, data="{}", headers=headers)
    assert r.status_code == 400 and r.json()["__type"] == "InvalidSignatureException"
    assert "Signature expired" in r.json()["message"]


def test_tampered_body_is_refused(nimbus):
    url = nimbus.url + "/"
    base = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    headers = sigv4.sign("POST", url, base, "Action=GetCallerIdentity&Version=2011-06-15", "test", "test", "us-east-1", "sts")
    r = requests.post(url, data="Action=GetCallerIdentity&Version=2011-06-16", headers=headers)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_malformed_authorization_is_incomplete_signature(nimbus):
    r = requests.post(nimbus.url + "/", data="Action=GetCallerIdentity&Version=2011-06-15", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request",
        "X-Amz-Date": "20240101T000000Z"})
    assert r.status_code == 400 and "IncompleteSignature" in r.text


def test_presigned_urls_verify_and_expire(nimbus):
    sts = nimbus.client("sts")
    # botocore signs with the operation's method (POST) unless told; the method is signed, so a
    # POST-signed URL used with GET is refused (as on AWS).
    assert requests.get(sts.generate_presigned_url("get_caller_identity")).status_code == 403
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=30, HttpMethod="GET")
    r = requests.get(url)
    assert r.status_code == 200 and "<Arn>arn:aws:iam::000000000000:root</Arn>" in r.text
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert "SignatureDoesNotMatch" in requests.get(tampered).text
    # Move Nimbus's clock past the expiry: the same URL is refused.
    requests.post(nimbus.url + "/_nimbus/clock", json={"advance_seconds": 60})
    r = requests.get(url)
    assert r.status_code in (400, 403)
    assert "expired" in r.text.lower()


def test_assumed_role_credentials_are_verified_and_expire(start_nimbus):
    server = start_nimbus()
    out = server.client("sts").assume_role(RoleArn="arn:aws:iam::111122223333:role/app", RoleSessionName="ci",
                                           DurationSeconds=900)
    c = out["Credentials"]
    assumed = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                            session_token=c["SessionToken"])
    ident = assumed.get_caller_identity()
    assert ident["Arn"] == "arn:aws:sts::111122223333:assumed-role/app/ci"
    assert ident["Account"] == "111122223333"
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    # The secret is checked, and so is the session token.
    bad = server.client("sts", access_key=c["AccessKeyId"], secret_key="x", session_token=c["SessionToken"])
    assert error_of(bad.get_caller_identity)[0] == "SignatureDoesNotMatch"
    tokenless = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"])
    assert error_of(tokenless.get_caller_identity)[0] == "InvalidClientTokenId"
    # Past the expiry on Nimbus's clock they are refused.
    requests.post(server.url + "/_nimbus/clock", json={"advance_seconds": 901})
    assert error_of(assumed.get_caller_identity)[0] == "ExpiredToken"


def test_session_token_credentials(nimbus):
    c = nimbus.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    session = nimbus.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"], session_token=c["SessionToken"])
    assert session.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    assert error_of(session.get_session_token)[0] == "AccessDenied"
    assert nimbus.client("sts").get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == "000000000000"


def test_signature_scoped_to_another_service_is_refused(nimbus):
    url = nimbus.url + "/"
    target = {"x-amz-target": "secretsmanager.ListSecrets", "content-type": "application/x-amz-json-1.1"}
    headers = sigv4.sign("POST", url, target, "{}", "test", "test", "us-east-1", "sts")
    r = requests.post(url, data="{}", headers=headers)
    assert r.status_code == 400
    assert r.json()["__type"] == "InvalidSignatureException"
    assert "Credential should be scoped to correct service: 'secretsmanager'" in r.json()["message"]
