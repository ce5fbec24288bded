"""KMS end to end with boto3, the AWS CLI and Python `cryptography` against the real binary."""
import base64
import hashlib
import json
import os
import tempfile

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from conftest import code_of, error_of


@pytest.fixture
def kms(nimbus):
    return nimbus.client("kms")


def new_key(kms, **kwargs):
    return kms.create_key(**kwargs)["KeyMetadata"]["KeyId"]


def test_encrypt_decrypt_round_trip_binds_the_context(kms):
    key = new_key(kms, Description="round trip")
    context = {"app": "web", "tenant": "t1"}
    out = kms.encrypt(KeyId=key, Plaintext=b"hello kms", EncryptionContext=context)
    assert out["KeyId"].endswith(key) and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = out["CiphertextBlob"]
    got = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"tenant": "t1", "app": "web"})
    assert got["Plaintext"] == b"hello kms"
    assert got["KeyId"] == out["KeyId"]
    assert len(got["KeyMaterialId"]) == 64

    for wrong in ({}, {"app": "web"}, {"app": "web", "tenant": "t2"}):
        assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=wrong) == ("InvalidCiphertextException", 400)
    tampered = bytearray(blob)
    tampered[-3] ^= 0x01
    assert code_of(kms.decrypt, CiphertextBlob=bytes(tampered), EncryptionContext=context)[0] == "InvalidCiphertextException"
    assert code_of(kms.decrypt, CiphertextBlob=b"garbage" * 10)[0] == "InvalidCiphertextException"


def test_decrypt_finds_the_key_and_refuses_another(kms):
    key = new_key(kms)
    other = new_key(kms)
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"x"
    code, status, message = error_of(kms.decrypt, CiphertextBlob=blob, KeyId=other)
    assert (code, status) == ("IncorrectKeyException", 400)
    assert message == "The key ID in the request does not identify a KMS key that can perform this operation."


def test_describe_key_and_missing_keys(kms, nimbus):
    meta = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert meta["Origin"] == "AWS_KMS" and meta["MultiRegion"] is False
    assert meta["Arn"] == f"arn:aws:kms:us-east-1:000000000000:key/{meta['KeyId']}"
    described = kms.describe_key(KeyId=meta["Arn"])["KeyMetadata"]
    assert described["KeyId"] == meta["KeyId"] and described["CreationDate"] == meta["CreationDate"]
    code, status, message = error_of(kms.describe_key, KeyId="11111111-2222-3333-4444-555555555555")
    assert (code, status) == ("NotFoundException", 400)
    assert message == "Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555' does not exist"
    assert error_of(kms.describe_key, KeyId="alias/nope")[2] == "Alias arn:aws:kms:us-east-1:000000000000:alias/nope is not found."
    assert code_of(kms.create_key, KeySpec="ECC_NIST_P256")[0] == "ValidationException"


def test_list_keys_paginates(kms):
    created = {new_key(kms) for _ in range(3)}
    seen = set()
    for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 2}):
        seen.update(k["KeyId"] for k in page["Keys"])
    assert created <= seen


SIGNING_SPECS = [
    ("RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                  "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]),
    ("RSA_3072", ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_512"]),
    ("RSA_4096", ["RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256"]),
    ("ECC_NIST_P256", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", ["ECDSA_SHA_256"]),
]

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def verify_locally(public_key, algorithm, message, signature):
    """Verifies a KMS signature with `cryptography` alone."""
    hash_alg = HASHES[algorithm.rsplit("_", 1)[1]]()
    if algorithm.startswith("RSASSA_PSS"):
        public_key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hash_alg), salt_length=hash_alg.digest_size), hash_alg)
    elif algorithm.startswith("RSASSA_PKCS1"):
        public_key.verify(signature, message, padding.PKCS1v15(), hash_alg)
    else:
        public_key.verify(signature, message, ec.ECDSA(hash_alg))


@pytest.mark.parametrize("spec,algorithms", SIGNING_SPECS, ids=[s for s, _ in SIGNING_SPECS])
def test_signatures_verify_with_python_cryptography(kms, spec, algorithms):
    key = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
    public = kms.get_public_key(KeyId=key)
    assert public["KeySpec"] == spec and public["KeyUsage"] == "SIGN_VERIFY"
    assert set(algorithms) <= set(public["SigningAlgorithms"])
    public_key = serialization.load_der_public_key(public["PublicKey"])
    message = b"the message " + spec.encode()
    for algorithm in algorithms:
        signature = kms.sign(KeyId=key, Message=message, SigningAlgorithm=algorithm)["Signature"]
        verify_locally(public_key, algorithm, message, signature)
        assert kms.verify(KeyId=key, Message=message, Signature=signature, SigningAlgorithm=algorithm)["SignatureValid"]
        digest = hashlib.new("sha" + algorithm.rsplit("_", 1)[1], message).digest()
        by_digest = kms.sign(KeyId=key, Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)["Signature"]
        verify_locally(public_key, algorithm, message, by_digest)
        with pytest.raises(InvalidSignature):
            verify_locally(public_key, algorithm, message + b"!", by_digest)
        assert code_of(kms.verify, KeyId=key, Message=message + b"!", Signature=signature,
                       SigningAlgorithm=algorithm) == ("KMSInvalidSignatureException", 400)


def test_ed25519_signatures_verify_with_python_cryptography(kms):
    key = new_key(kms, KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")
    public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    signature = kms.sign(KeyId=key, Message=b"edwards", SigningAlgorithm="ED25519_SHA_512")["Signature"]
    public_key.verify(signature, b"edwards")
    assert kms.verify(KeyId=key, Message=b"edwards", Signature=signature, SigningAlgorithm="ED25519_SHA_512")["SignatureValid"]


def test_rsa_encryption_with_the_public_key_decrypts_in_kms(kms):
    key = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    for algorithm, hash_alg in (("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)):
        blob = public_key.encrypt(b"from python", padding.OAEP(mgf=padding.MGF1(hash_alg()), algorithm=hash_alg(), label=None))
        out = kms.decrypt(KeyId=key, CiphertextBlob=blob, EncryptionAlgorithm=algorithm)
        assert out["Plaintext"] == b"from python" and out["EncryptionAlgorithm"] == algorithm
        round_trip = kms.encrypt(KeyId=key, Plaintext=b"in kms", EncryptionAlgorithm=algorithm)["CiphertextBlob"]
        assert kms.decrypt(KeyId=key, CiphertextBlob=round_trip, EncryptionAlgorithm=algorithm)["Plaintext"] == b"in kms"
    assert code_of(kms.encrypt, KeyId=key, Plaintext=b"x")[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize("pair_spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_data_key_pairs_are_usable(kms, pair_spec):
    key = new_key(kms)
    out = kms.generate_data_key_pair(KeyId=key, KeyPairSpec=pair_spec, EncryptionContext={"use": "pair"})
    private_key = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
    public_key = serialization.load_der_public_key(out["PublicKey"])
    assert private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == out["PublicKey"]
    if isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
        public_key.verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = private_key.sign(b"m", ec.ECDSA(hashes.SHA256()))
        public_key.verify(signature, b"m", ec.ECDSA(hashes.SHA256()))
    decrypted = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext={"use": "pair"})
    assert decrypted["Plaintext"] == out["PrivateKeyPlaintext"]
    hidden = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec=pair_spec)
    assert "PrivateKeyPlaintext" not in hidden and hidden["PublicKey"]


def test_data_keys(kms):
    key = new_key(kms)
    out = kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    assert len(out["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"] == out["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key, NumberOfBytes=64)["Plaintext"]) == 64
    hidden = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_128")
    assert "Plaintext" not in hidden and len(kms.decrypt(CiphertextBlob=hidden["CiphertextBlob"])["Plaintext"]) == 16
    assert code_of(kms.generate_data_key, KeyId=key)[0] == "ValidationException"
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024
    assert code_of(kms.generate_random, NumberOfBytes=1025)[0] == "ValidationException"


def test_re_encrypt(kms):
    a, b = new_key(kms), new_key(kms)
    blob = kms.encrypt(KeyId=a, Plaintext=b"move me", EncryptionContext={"k": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"k": "1"}, DestinationKeyId=b,
                         DestinationEncryptionContext={"k": "2"})
    assert out["SourceKeyId"].endswith(a) and out["KeyId"].endswith(b)
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "2"})["Plaintext"] == b"move me"


def test_macs(kms):
    key = new_key(kms, KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")
    mac = kms.generate_mac(KeyId=key, Message=b"data", MacAlgorithm="HMAC_SHA_384")["Mac"]
    assert len(mac) == 48
    assert kms.verify_mac(KeyId=key, Message=b"data", Mac=mac, MacAlgorithm="HMAC_SHA_384")["MacValid"]
    assert code_of(kms.verify_mac, KeyId=key, Message=b"datA", Mac=mac, MacAlgorithm="HMAC_SHA_384") == ("KMSInvalidMacException", 400)
    assert code_of(kms.generate_mac, KeyId=key, Message=b"d", MacAlgorithm="HMAC_SHA_256")[0] == "InvalidKeyUsageException"


def test_aliases(kms, unique):
    a, b = new_key(kms), new_key(kms)
    name = f"alias/app-{unique}"
    kms.create_alias(AliasName=name, TargetKeyId=a)
    assert code_of(kms.create_alias, AliasName=name, TargetKeyId=b) == ("AlreadyExistsException", 400)
    assert code_of(kms.create_alias, AliasName="alias/aws/mine", TargetKeyId=a)[0] == "NotAuthorizedException"
    assert code_of(kms.create_alias, AliasName=f"app-{unique}", TargetKeyId=a)[0] == "ValidationException"
    blob = kms.encrypt(KeyId=name, Plaintext=b"via alias")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"].endswith(a)
    listed = kms.list_aliases(KeyId=a)["Aliases"]
    assert [x["AliasName"] for x in listed] == [name]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:us-east-1:000000000000:{name}"
    kms.update_alias(AliasName=name, TargetKeyId=b)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == b
    kms.delete_alias(AliasName=name)
    assert code_of(kms.describe_key, KeyId=name)[0] == "NotFoundException"


def test_aws_managed_keys_are_created_on_first_use(kms):
    meta = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    assert code_of(kms.disable_key, KeyId=meta["KeyId"])[0] == "AccessDeniedException"
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_disabled_keys(kms):
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key)
    code, status, message = error_of(kms.encrypt, KeyId=key, Plaintext=b"x")
    assert (code, status) == ("DisabledException", 400)
    assert message == f"arn:aws:kms:us-east-1:000000000000:key/{key} is disabled."
    assert code_of(kms.decrypt, CiphertextBlob=blob)[0] == "DisabledException"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_key_policies_grants_and_tags(kms):
    key = new_key(kms)
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"][0]["Principal"]["AWS"] == "arn:aws:iam::000000000000:root"
    assert kms.list_key_policies(KeyId=key)["PolicyNames"] == ["default"]
    foreign = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]})
    assert code_of(kms.put_key_policy, KeyId=key, PolicyName="default", Policy=foreign)[0] == "MalformedPolicyDocumentException"
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=foreign, BypassPolicyLockoutSafetyCheck=True)

    grant = kms.create_grant(KeyId=key, GranteePrincipal="arn:aws:iam::000000000000:role/worker",
                             Operations=["Encrypt", "Decrypt"], Constraints={"EncryptionContextEquals": {"a": "b"}})
    kms.encrypt(KeyId=key, Plaintext=b"x", GrantTokens=[grant["GrantToken"]])
    grants = kms.list_grants(KeyId=key)["Grants"]
    assert [g["GrantId"] for g in grants] == [grant["GrantId"]]
    kms.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    assert kms.list_grants(KeyId=key)["Grants"] == []

    kms.tag_resource(KeyId=key, Tags=[{"TagKey": "env", "TagValue": "dev"}])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]
    assert code_of(kms.tag_resource, KeyId=key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])[0] == "TagException"
    kms.untag_resource(KeyId=key, TagKeys=["env"])
    assert kms.list_resource_tags(KeyId=key)["Tags"] == []


def advance(server, seconds):
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": seconds})


def test_scheduled_deletion_follows_the_clock(server):
    kms = server.client("kms")
    key = new_key(kms)
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key)
    assert code_of(kms.schedule_key_deletion, KeyId=key, PendingWindowInDays=6)[0] == "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    code, _, message = error_of(kms.encrypt, KeyId=key, Plaintext=b"x")
    assert code == "KMSInvalidStateException" and message.endswith(" is pending deletion.")
    kms.cancel_key_deletion(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    advance(server, 6 * 86400)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    advance(server, 86400 + 1)
    assert code_of(kms.describe_key, KeyId=key)[0] == "NotFoundException"
    assert code_of(kms.describe_key, KeyId="alias/doomed")[0] == "NotFoundException"


def test_rotation_keeps_old_ciphertexts_decryptable(server):
    kms = server.client("kms")
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 90
    old = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    material = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    advance(server, 91 * 86400)
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"] != material
    kms.rotate_key_on_demand(KeyId=key)
    new = kms.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    assert len(kms.list_key_rotations(KeyId=key)["Rotations"]) == 2


def test_keys_survive_restart_and_kill_9(start_nimbus, data_dir):
    first = start_nimbus(data_dir=data_dir)
    kms = first.client("kms")
    key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    symmetric = new_key(kms)
    kms.create_alias(AliasName="alias/durable", TargetKeyId=symmetric)
    blob = kms.encrypt(KeyId="alias/durable", Plaintext=b"kept", EncryptionContext={"d": "1"})["CiphertextBlob"]
    signature = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    public = kms.get_public_key(KeyId=key)["PublicKey"]
    first.kill9()
    again = start_nimbus(data_dir=data_dir)
    kms = again.client("kms")
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"d": "1"})["Plaintext"] == b"kept"
    assert kms.get_public_key(KeyId=key)["PublicKey"] == public
    assert kms.verify(KeyId=key, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    # Key material is sealed at rest: no plaintext PKCS#8 EC private key (version 0, then the
    # id-ecPublicKey algorithm identifier) is anywhere in the database.
    database = b"".join(open(os.path.join(data_dir, f), "rb").read() for f in os.listdir(data_dir) if f.startswith("nimbus.sqlite3"))
    assert database and bytes.fromhex("020100301306072a8648ce3d0201") not in database


def test_aws_cli_encrypts_and_decrypts(nimbus):
    key = nimbus.aws("kms", "create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"cli secret")
        path = f.name
    try:
        out = nimbus.aws("kms", "encrypt", "--key-id", key, "--plaintext", f"fileb://{path}",
                         "--encryption-context", "purpose=test")
        blob = base64.b64decode(out["CiphertextBlob"])
        with open(path, "wb") as f:
            f.write(blob)
        decrypted = nimbus.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{path}",
                               "--encryption-context", "purpose=test")
        assert base64.b64decode(decrypted["Plaintext"]) == b"cli secret"
    finally:
        os.unlink(path)
    aliases = nimbus.aws("kms", "list-aliases")
    assert "Aliases" in aliases
    failed = nimbus.aws("kms", "describe-key", "--key-id", "alias/missing-cli", check=False)
    assert failed.returncode != 0 and "NotFoundException" in failed.stderr
