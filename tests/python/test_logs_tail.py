"""`nimbus logs tail`, the terminal's live tail of a log group, against a running Nimbus: what is
there is printed once, and with --follow new events appear as they are put."""
import os
import subprocess
import threading
import time

from conftest import BIN


def tail(nimbus, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", RUST_BACKTRACE="0")
    return [BIN, "logs", "tail", *args, "--endpoint-url", nimbus.url], env


def put(logs, group, stream, *messages):
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def test_tail_prints_events_and_follows(nimbus, unique):
    logs = nimbus.client("logs")
    group = f"/app/{unique}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web-1")
    put(logs, group, "web-1", "started", "GET / 200", "GET /missing 404")

    cmd, env = tail(nimbus, group, "--since", "1h")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split(" ", 2)[1:] for line in lines] == [["web-1", "started"], ["web-1", "GET / 200"], ["web-1", "GET /missing 404"]]

    cmd, env = tail(nimbus, group, "--since", "1h", "--filter-pattern", "404", "--format", "short")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert [line.split(" ", 1)[1] for line in out.stdout.splitlines()] == ["GET /missing 404"]

    cmd, env = tail(nimbus, group, "--since", "1h", "--follow")
    follower = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    # A follower that never prints would block readline forever: end it after a while.
    guard = threading.Timer(30, follower.kill)
    guard.start()
    try:
        seen = [follower.stdout.readline() for _ in range(3)]
        assert seen[0].rstrip().endswith("started")
        put(logs, group, "web-1", "a new request")
        assert follower.stdout.readline().rstrip().endswith("web-1 a new request")
    finally:
        guard.cancel()
        follower.kill()
        follower.wait()


def test_tail_of_a_missing_group_fails_with_aws_error(nimbus, unique):
    cmd, env = tail(nimbus, f"/missing/{unique}")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "ResourceNotFoundException" in out.stderr
