"""Fixtures that run the real Nimbus binary on a free port and point real clients at it.

NIMBUS_BIN names the binary (scripts/test builds target/debug/nimbus and sets it).
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import boto3
import botocore.exceptions
import botocore.config
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("NIMBUS_BIN", str(ROOT / "target" / "debug" / "nimbus"))
AWS_CLI = str(pathlib.Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "aws")
REGION = "us-east-1"


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Polls `predicate` until it returns something truthy or `timeout` seconds pass; returns
    its last value (so a failing assert shows what was there)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nimbus:
    """One running `nimbus serve` process."""

    def __init__(self, *args, data_dir=None, env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        cmd = [BIN, "serve", "--bind", f"127.0.0.1:{self.port}", "--log", "warn"]
        cmd += ["--data-dir", str(data_dir)] if data_dir else ["--ephemeral"]
        cmd += list(args)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("NIMBUS_") or k == "NIMBUS_BIN"}
        full_env.update(env or {})
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=full_env)
        self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nimbus exited with {self.proc.returncode}: {self.stderr()}")
            try:
                with urllib.request.urlopen(self.url + "/_nimbus/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"nimbus not ready after {timeout}s: {self.stderr()}")

    def stderr(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def client(self, service, access_key="test", secret_key="test", session_token=None, region=REGION, **config):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            config=botocore.config.Config(retries={"max_attempts": 1}, **config),
        )

    def aws(self, *args, access_key="test", secret_key="test", check=True):
        """Runs the AWS CLI against this Nimbus; returns parsed JSON output (or None)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key,
                   AWS_DEFAULT_REGION=REGION, AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        env.pop("AWS_SESSION_TOKEN", None)
        proc = subprocess.run([AWS_CLI, "--endpoint-url", self.url, "--output", "json", *args],
                              capture_output=True, text=True, env=env, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        if not check:
            return proc
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()  # SIGKILL
        self.proc.wait()


@pytest.fixture(scope="session")
def nimbus():
    """A Nimbus shared by the tests that only need one (they use unique names)."""
    server = Nimbus()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server():
    """A Nimbus of the test module's own, for modules that move its clock (which the shared
    session server must not see)."""
    s = Nimbus()
    yield s
    s.stop()


@pytest.fixture
def start_nimbus():
    """Starts extra Nimbus processes with their own flags; all are stopped after the test."""
    started = []

    def start(*args, **kwargs):
        server = Nimbus(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def data_dir():
    path = tempfile.mkdtemp(prefix="nimbus-test-")
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


S3_PATH_STYLE = {"s3": {"addressing_style": "path"}}


@pytest.fixture
def s3(nimbus):
    """boto3's S3 client on the shared Nimbus, path style (an IP endpoint has no bucket subdomains)."""
    return nimbus.client("s3", **S3_PATH_STYLE)


@pytest.fixture
def bucket(s3, unique):
    """A fresh bucket on the shared Nimbus."""
    name = f"bkt-{unique}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def unique():
    """A unique name suffix, so tests sharing one Nimbus never collide."""
    return uuid.uuid4().hex[:10]


def error_of(call, *args, **kwargs):
    """(code, HTTP status, message) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def code_of(call, *args, **kwargs):
    """(code, HTTP status) of a call that must fail."""
    code, status, _ = error_of(call, *args, **kwargs)
    return code, status
