"""Acknowledged writes survive `kill -9`: writers run concurrently, the process is killed mid-stream,
and after a restart every write that got a 200 is there with its value."""
import threading
import time

import botocore.exceptions

WRITERS = 4
RUN_SECONDS = 1.5


def test_acknowledged_writes_survive_kill_9(start_nimbus, data_dir):
    server = start_nimbus(data_dir=data_dir)
    acknowledged_params = {}
    acknowledged_versions = {}
    stop = threading.Event()
    lock = threading.Lock()

    def write_parameters(writer):
        ssm = server.client("ssm")
        i = 0
        while not stop.is_set():
            name, value = f"/durable/w{writer}/p{i}", f"value-{writer}-{i}"
            try:
                ssm.put_parameter(Name=name, Value=value, Type="SecureString" if i % 2 else "String")
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                return  # the process is gone: this write was never acknowledged
            with lock:
                acknowledged_params[name] = value
            i += 1

    def write_secret_versions(writer):
        sm = server.client("secretsmanager")
        name = f"durable/secret{writer}"
        try:
            sm.create_secret(Name=name, SecretString="v0")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return
        i = 1
        while not stop.is_set():
            try:
                out = sm.put_secret_value(SecretId=name, SecretString=f"v{i}")
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
                return
            with lock:
                acknowledged_versions[out["VersionId"]] = (name, f"v{i}")
            i += 1

    threads = [threading.Thread(target=write_parameters, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=write_secret_versions, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(RUN_SECONDS)
    server.kill9()  # mid-writes: some requests are in flight right now
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged_params) > 20 and len(acknowledged_versions) > 20, "the writers made progress"

    again = start_nimbus(data_dir=data_dir)
    ssm = again.client("ssm")
    names = sorted(acknowledged_params)
    for start in range(0, len(names), 10):
        batch = names[start:start + 10]
        out = ssm.get_parameters(Names=batch, WithDecryption=True)
        assert out["InvalidParameters"] == [], f"lost acknowledged parameters: {out['InvalidParameters']}"
        assert {p["Name"]: p["Value"] for p in out["Parameters"]} == {n: acknowledged_params[n] for n in batch}
    sm = again.client("secretsmanager")
    for version_id, (name, value) in acknowledged_versions.items():
        got = sm.get_secret_value(SecretId=name, VersionId=version_id)
        assert got["SecretString"] == value
