"""AssumeRoleWithWebIdentity: an OIDC identity provider run by the test (discovery document and
JWKS over HTTP, RS256 tokens signed with a key made here), registered in IAM, and a role that
trusts it. boto3 sends the call unsigned, as against AWS."""
import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import Nimbus, error_of

AUDIENCE = "nimbus-app"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int) -> str:
    return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class IdentityProvider:
    """A minimal OIDC issuer: /.well-known/openid-configuration and /jwks.json."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        self.jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": uint(numbers.n), "e": uint(numbers.e)}]}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks.json"}
                elif self.path == "/jwks.json":
                    body = provider.jwks
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def host(self):
        return self.issuer.split("://", 1)[1]

    def token(self, key=None, **claims):
        now = int(time.time())
        body = {"iss": self.issuer, "aud": AUDIENCE, "sub": "repo:acme/app:ref:refs/heads/main", "iat": now, "exp": now + 600}
        body.update(claims)
        header = b64url(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        payload = b64url(json.dumps(body).encode())
        signing_input = f"{header}.{payload}".encode()
        signature = (key or self.key).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{b64url(signature)}"

    def close(self):
        self.http.shutdown()


@pytest.fixture(scope="module")
def idp():
    provider = IdentityProvider()
    yield provider
    provider.close()


def trust_policy(provider_arn, host, sub_pattern):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:aud": AUDIENCE}, "StringLike": {f"{host}:sub": sub_pattern}},
    }]})


_providers = {}


def provider_of(server, idp):
    """The test provider registered once per Nimbus (IAM refuses a second one for a URL)."""
    if server.url not in _providers:
        _providers[server.url] = server.client("iam").create_open_id_connect_provider(
            Url=idp.issuer, ClientIDList=[AUDIENCE], ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    return _providers[server.url]


def setup_role(server, idp, sub_pattern="repo:acme/app:*"):
    iam = server.client("iam")
    provider_arn = provider_of(server, idp)
    name = f"web-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(provider_arn, idp.host, sub_pattern))["Role"]
    return provider_arn, role["Arn"], name


@pytest.fixture(scope="module")
def strict():
    server = Nimbus("--auth", "strict")
    yield server
    server.stop()


def test_a_provider_token_becomes_role_credentials(nimbus, idp):
    provider_arn, role_arn, role_name = setup_role(nimbus, idp)
    sts = nimbus.client("sts")
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="ci", WebIdentityToken=idp.token())
    assert out["SubjectFromWebIdentityToken"] == "repo:acme/app:ref:refs/heads/main"
    assert out["Audience"] == AUDIENCE
    assert out["Provider"] == provider_arn.split(":oidc-provider/", 1)[1]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{role_name}/ci"
    creds = out["Credentials"]
    session = nimbus.client("sts", access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                            session_token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_bad_tokens_are_refused_with_aws_errors(nimbus, idp):
    _, role_arn, _ = setup_role(nimbus, idp)
    sts = nimbus.client("sts")

    def assume(token):
        return error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ci", WebIdentityToken=token)

    code, status, message = assume(idp.token(aud="someone-else"))
    assert (code, status, message) == ("InvalidIdentityToken", 400, "Incorrect token audience")
    code, _, message = assume(idp.token(iss="http://unregistered.example"))
    assert code == "InvalidIdentityToken"
    assert message == "No OpenIDConnect provider found in your account for http://unregistered.example"
    code, _, message = assume(idp.token(exp=int(time.time()) - 60))
    assert code == "ExpiredTokenException" and message.startswith("Token expired")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert assume(idp.token(key=stranger))[0] == "InvalidIdentityToken"
    assert assume("definitely.not.ajwt")[0] == "InvalidIdentityToken"


def test_strict_mode_applies_the_trust_policy(strict, idp):
    _, allowed_role, _ = setup_role(strict, idp, sub_pattern="repo:acme/app:*")
    _, other_role, _ = setup_role(strict, idp, sub_pattern="repo:acme/other:*")
    sts = strict.client("sts")
    token = idp.token()
    sts.assume_role_with_web_identity(RoleArn=allowed_role, RoleSessionName="ci", WebIdentityToken=token)
    code, status, message = error_of(sts.assume_role_with_web_identity, RoleArn=other_role, RoleSessionName="ci",
                                     WebIdentityToken=token)
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:AssumeRoleWithWebIdentity" in message
