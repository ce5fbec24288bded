"""KMS wired into the services that encrypt with it (Secrets Manager, SSM SecureString, S3
SSE-KMS, SQS SSE-KMS), end to end with boto3 against the real binary."""
import base64
import pathlib

import pytest

from conftest import S3_PATH_STYLE, code_of, error_of

DECRYPTION_FAILURE = "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
ENCRYPTION_FAILURE = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key "
    "is available, enabled, and not in an invalid state. For more information, see Key state: Effect on your KMS key."
)


@pytest.fixture
def kms(nimbus):
    return nimbus.client("kms")


def new_key(kms):
    meta = kms.create_key()["KeyMetadata"]
    return meta["KeyId"], meta["Arn"]


def aliases(kms):
    return {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}


# ---- Secrets Manager ----


def test_secret_under_a_customer_key_follows_the_key_state(nimbus, kms, unique):
    sm = nimbus.client("secretsmanager")
    key_id, key_arn = new_key(kms)
    name = f"db-{unique}"
    sm.create_secret(Name=name, SecretString="s3cr3t-value", KmsKeyId=key_arn)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t-value"
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key_arn

    kms.disable_key(KeyId=key_id)
    assert error_of(sm.get_secret_value, SecretId=name) == ("DecryptionFailure", 400, DECRYPTION_FAILURE)
    assert error_of(sm.put_secret_value, SecretId=name, SecretString="new") == (
        "EncryptionFailure",
        400,
        ENCRYPTION_FAILURE,
    )
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t-value"

    # A key scheduled for deletion is as unusable.
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert code_of(sm.get_secret_value, SecretId=name) == ("DecryptionFailure", 400)


def test_secret_with_a_missing_key_is_refused(nimbus, unique):
    sm = nimbus.client("secretsmanager")
    name = f"nokey-{unique}"
    assert error_of(sm.create_secret, Name=name, SecretString="x", KmsKeyId="alias/does-not-exist") == (
        "EncryptionFailure",
        400,
        ENCRYPTION_FAILURE,
    )
    assert code_of(sm.describe_secret, SecretId=name) == ("ResourceNotFoundException", 400)


def test_secrets_default_to_the_aws_managed_key(nimbus, kms, unique):
    sm = nimbus.client("secretsmanager")
    sm.create_secret(Name=f"dflt-{unique}", SecretString="v")
    assert "alias/aws/secretsmanager" in aliases(kms)
    target = aliases(kms)["alias/aws/secretsmanager"]
    assert kms.describe_key(KeyId=target)["KeyMetadata"]["KeyManager"] == "AWS"
    assert sm.get_secret_value(SecretId=f"dflt-{unique}")["SecretString"] == "v"


def test_update_secret_key_applies_to_new_versions(nimbus, kms, unique):
    sm = nimbus.client("secretsmanager")
    old_id, _ = new_key(kms)
    new_id, _ = new_key(kms)
    name = f"rekey-{unique}"
    sm.create_secret(Name=name, SecretString="v1", KmsKeyId=old_id)
    sm.update_secret(SecretId=name, KmsKeyId=new_id, SecretString="v2")
    kms.disable_key(KeyId=old_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert code_of(sm.get_secret_value, SecretId=name, VersionStage="AWSPREVIOUS") == ("DecryptionFailure", 400)
    kms.enable_key(KeyId=old_id)


def test_secret_values_are_not_on_disk_in_the_clear(start_nimbus, data_dir):
    server = start_nimbus(data_dir=data_dir)
    sm = server.client("secretsmanager")
    ssm = server.client("ssm")
    secret = "PLAINTEXT-CANARY-7f3a9c1e"
    parameter = "PARAM-CANARY-55e0b2d4"
    sm.create_secret(Name="canary", SecretString=secret)
    ssm.put_parameter(Name="/canary", Value=parameter, Type="SecureString")
    ssm.put_parameter(Name="/visible", Value="VISIBLE-CANARY-0c1d", Type="String")
    assert sm.get_secret_value(SecretId="canary")["SecretString"] == secret

    def found(needle):
        hits = []
        for path in pathlib.Path(data_dir).rglob("*"):
            if path.is_file() and needle.encode() in path.read_bytes():
                hits.append(path)
        return hits

    # The scan does find what is stored in the clear, so its silence means something.
    assert found("VISIBLE-CANARY-0c1d")
    for needle in (secret, parameter, base64.b64encode(secret.encode()).decode()):
        assert found(needle) == [], needle
    # And after a restart the values still decrypt (keys and data are durable).
    server.stop()
    again = start_nimbus(data_dir=data_dir)
    assert again.client("secretsmanager").get_secret_value(SecretId="canary")["SecretString"] == secret
    got = again.client("ssm").get_parameter(Name="/canary", WithDecryption=True)
    assert got["Parameter"]["Value"] == parameter


# ---- SSM Parameter Store ----


def test_secure_string_under_a_customer_key(nimbus, kms, unique):
    ssm = nimbus.client("ssm")
    key_id, key_arn = new_key(kms)
    name = f"/kms/{unique}/db"
    ssm.put_parameter(Name=name, Value="pa55word", Type="SecureString", KeyId=key_id)
    hidden = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
    assert hidden["Value"] != "pa55word"
    # What AWS returns without decryption is the KMS ciphertext (base64), which KMS itself
    # decrypts with the parameter ARN as encryption context.
    blob = base64.b64decode(hidden["Value"])
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": hidden["ARN"]})
    assert out["Plaintext"] == b"pa55word" and out["KeyId"] == key_arn
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "pa55word"
    by_path = ssm.get_parameters_by_path(Path=f"/kms/{unique}", WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in by_path] == ["pa55word"]

    kms.disable_key(KeyId=key_id)
    code, status, message = error_of(ssm.get_parameter, Name=name, WithDecryption=True)
    assert (code, status) == ("InvalidKeyId", 400)
    assert message.startswith(f"{key_arn} is disabled.")
    assert code_of(ssm.get_parameters, Names=[name], WithDecryption=True) == ("InvalidKeyId", 400)
    # The ciphertext is still there without decryption.
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == hidden["Value"]
    assert code_of(ssm.put_parameter, Name=name, Value="next", Overwrite=True) == ("InvalidKeyId", 400)
    kms.enable_key(KeyId=key_id)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "pa55word"

    assert code_of(
        ssm.put_parameter, Name=f"/kms/{unique}/missing", Value="x", Type="SecureString", KeyId="alias/no-such-key"
    ) == ("InvalidKeyId", 400)


def test_secure_string_default_key_is_alias_aws_ssm(start_nimbus):
    server = start_nimbus()
    ssm, kms = server.client("ssm"), server.client("kms")
    assert "alias/aws/ssm" not in aliases(kms)
    ssm.put_parameter(Name="/d", Value="v", Type="SecureString")
    assert "alias/aws/ssm" in aliases(kms)
    hidden = ssm.get_parameter(Name="/d")["Parameter"]
    out = kms.decrypt(CiphertextBlob=base64.b64decode(hidden["Value"]), EncryptionContext={"PARAMETER_ARN": hidden["ARN"]})
    assert out["Plaintext"] == b"v"
    assert out["KeyId"] == kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Arn"]


# ---- S3 ----


def test_s3_sse_kms_with_a_customer_key(nimbus, kms, bucket):
    s3 = nimbus.client("s3", **S3_PATH_STYLE)
    key_id, key_arn = new_key(kms)
    body = b"kms-protected-body" * 5000
    put = s3.put_object(Bucket=bucket, Key="obj", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == key_arn
    head = s3.head_object(Bucket=bucket, Key="obj")
    assert head["SSEKMSKeyId"] == key_arn and head["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == body

    kms.disable_key(KeyId=key_id)
    code, status, message = error_of(s3.get_object, Bucket=bucket, Key="obj")
    assert (code, status) == ("KMS.DisabledException", 400)
    assert message == f"{key_arn} is disabled."
    assert code_of(
        s3.put_object, Bucket=bucket, Key="obj2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id
    ) == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="obj", Range="bytes=0-2")["Body"].read() == b"kms"

    assert code_of(
        s3.put_object, Bucket=bucket, Key="obj3", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/nope"
    ) == ("KMS.NotFoundException", 400)


def test_s3_default_kms_key_is_alias_aws_s3(nimbus, kms, bucket):
    s3 = nimbus.client("s3", **S3_PATH_STYLE)
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    assert put["SSEKMSKeyId"] == kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]


def test_s3_bucket_default_encryption_with_bucket_key(nimbus, kms, bucket):
    s3 = nimbus.client("s3", **S3_PATH_STYLE)
    key_id, key_arn = new_key(kms)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    for i in range(3):
        put = s3.put_object(Bucket=bucket, Key=f"o{i}", Body=f"body {i}".encode())
        assert put["ServerSideEncryption"] == "aws:kms"
        assert put["SSEKMSKeyId"] == key_arn
        assert put["BucketKeyEnabled"] is True
    got = s3.get_object(Bucket=bucket, Key="o1")
    assert got["Body"].read() == b"body 1" and got["BucketKeyEnabled"] is True
    kms.disable_key(KeyId=key_id)
    assert code_of(s3.get_object, Bucket=bucket, Key="o2") == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="o2")["Body"].read() == b"body 2"


# ---- SQS ----


def test_sqs_queue_with_a_disabled_or_missing_key(nimbus, kms, unique):
    sqs = nimbus.client("sqs")
    key_id, _ = new_key(kms)
    url = sqs.create_queue(QueueName=f"kms-{unique}", Attributes={"KmsMasterKeyId": key_id})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="before")
    kms.disable_key(KeyId=key_id)
    code, status, message = error_of(sqs.send_message, QueueUrl=url, MessageBody="during")
    assert (code, status) == ("KMS.DisabledException", 400)
    assert "is disabled" in message
    assert code_of(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "b"}]) == (
        "KMS.DisabledException",
        400,
    )
    kms.enable_key(KeyId=key_id)
    sqs.send_message(QueueUrl=url, MessageBody="after")
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(bodies) == ["after", "before"]

    missing = sqs.create_queue(QueueName=f"kms-missing-{unique}", Attributes={"KmsMasterKeyId": "alias/none"})
    assert code_of(sqs.send_message, QueueUrl=missing["QueueUrl"], MessageBody="x") == ("KMS.NotFoundException", 400)
    managed = sqs.create_queue(QueueName=f"kms-managed-{unique}", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    sqs.send_message(QueueUrl=managed["QueueUrl"], MessageBody="ok")
    assert "alias/aws/sqs" in aliases(kms)
