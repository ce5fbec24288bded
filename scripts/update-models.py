#!/usr/bin/env python3
"""Fetch AWS's service models from the botocore wheel on PyPI and write the ones Nimbus serves
into models/, stripped of documentation text.

    python3 scripts/update-models.py            # the pinned botocore version below
    python3 scripts/update-models.py 1.44.5     # another version (then update BOTOCORE_VERSION)

The output is deterministic: re-running on the same botocore version gives no diff
(CI checks this with `--check`). The models are Apache-2.0; botocore's NOTICE goes beside them.

Beside the current models, `<service>-query.json` keeps an older awsQuery model of a service that
botocore now models as JSON with `awsQueryCompatible` (QUERY_MODELS below): the JSON model lacks
the awsQuery error codes and the query wire's XML names, which legacy query clients still need.
"""
import gzip
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

BOTOCORE_VERSION = "1.44.5"

# Every service Nimbus serves or will serve (issue 2 lists them). Model dir names are botocore's.
SERVICES = sorted(
    """s3 sqs sns dynamodb dynamodbstreams kms iam sts secretsmanager ssm logs cloudwatch ses sesv2
    cognito-idp lambda apigatewayv2 elbv2 ecs ecr rds cloudfront route53 acm cloudtrail events""".split()
)

# service -> a botocore version whose model of it is still awsQuery and has every operation the
# current model has (checked below). SQS: botocore switched it to awsJson1_0 in 1.31.81, reverted,
# and switched for good in 1.34.90; 1.31.0 already has all 23 operations (the message-move tasks
# too), and stripped of prose its model is identical to the last query one, 1.34.89's.
QUERY_MODELS = {"sqs": "1.31.0"}

# Keys that carry prose only; everything else in a model is semantics and is kept.
DOC_KEYS = {"documentation", "documentationUrl", "deprecatedMessage", "examples"}

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "models"


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DOC_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def fetch_wheel(version, into):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         f"botocore=={version}", "-d", str(into)],
        check=True,
    )
    wheels = list(pathlib.Path(into).glob("botocore-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one botocore wheel in {into}, found {wheels}")
    return wheels[0]


def newest_model(wheel, service):
    """The newest api version's model of `service` in a botocore wheel, parsed (older wheels
    carry `service-2.json`, newer ones `service-2.json.gz`)."""
    candidates = sorted(
        n for n in wheel.namelist()
        if n.startswith(f"botocore/data/{service}/") and n.endswith(("/service-2.json", "/service-2.json.gz"))
    )
    if not candidates:
        return None
    newest = candidates[-1]  # api versions are ISO dates, so they sort
    data = wheel.read(newest)
    return json.loads(gzip.decompress(data) if newest.endswith(".gz") else data)


def model_text(model):
    return (json.dumps(strip(model), indent=1, sort_keys=False, ensure_ascii=False) + "\n").encode()


def legal_files(wheel):
    names = wheel.namelist()
    notice = next(n for n in names if n.endswith(".dist-info/NOTICE"))
    license_ = next(n for n in names if n.endswith(".dist-info/LICENSE.txt"))
    return {"NOTICE": wheel.read(notice), "LICENSE.txt": wheel.read(license_)}


def query_model(service, version, current):
    """The stripped awsQuery model of `service` from botocore `version`, checked to be awsQuery
    and to have every operation of the `current` (JSON) model; and that wheel's legal files."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = zipfile.ZipFile(fetch_wheel(version, tmp))
        model = newest_model(wheel, service)
        legal = legal_files(wheel)
    if model is None:
        sys.exit(f"botocore {version} has no model for {service}")
    if model["metadata"]["protocol"] != "query":
        sys.exit(f"botocore {version}'s {service} model is {model['metadata']['protocol']!r}, not 'query'")
    missing = sorted(set(current["operations"]) - set(model["operations"]))
    if missing:
        sys.exit(f"botocore {version}'s {service} query model lacks operations {missing}")
    if model["metadata"].get("uid") != current["metadata"].get("uid"):
        sys.exit(f"botocore {version}'s {service} query model is another API version than the current one")
    return model_text(model), legal


def render(version):
    """Return {relative path: bytes} for everything under models/."""
    files = {}
    current = {}
    with tempfile.TemporaryDirectory() as tmp:
        wheel = zipfile.ZipFile(fetch_wheel(version, tmp))
        for service in SERVICES:
            model = newest_model(wheel, service)
            if model is None:
                sys.exit(f"botocore {version} has no model for {service}")
            current[service] = model
            files[f"{service}.json"] = model_text(model)
        files.update(legal_files(wheel))
    for service, query_version in sorted(QUERY_MODELS.items()):
        if "awsQueryCompatible" not in current[service]["metadata"]:
            sys.exit(f"botocore {version}'s {service} model is not awsQueryCompatible: drop it from QUERY_MODELS")
        text, legal = query_model(service, query_version, current[service])
        # One NOTICE and LICENSE cover every model only while the wheels agree on them.
        if legal != {k: files[k] for k in legal}:
            sys.exit(f"botocore {query_version}'s NOTICE or LICENSE.txt differs from {version}'s")
        files[f"{service}-query.json"] = text
    # One line whose first two fields stay `botocore <version>` (scripts/test reads field 2).
    line = f"botocore {version}"
    if QUERY_MODELS:
        line += " (" + ", ".join(f"{s}-query.json: botocore {v}" for s, v in sorted(QUERY_MODELS.items())) + ")"
    files["VERSION"] = f"{line}\n".encode()
    return files


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if not a.startswith("--")]
    version = args[0] if args else BOTOCORE_VERSION
    files = render(version)
    if check:
        stale = [p for p, data in files.items() if not (OUT / p).exists() or (OUT / p).read_bytes() != data]
        extra = [p.name for p in OUT.iterdir() if p.name not in files]
        if stale or extra:
            sys.exit(f"models/ differs from botocore {version}: changed {stale}, unexpected {extra}")
        print(f"models/ matches botocore {version}")
        return
    OUT.mkdir(exist_ok=True)
    for p in OUT.iterdir():
        if p.name not in files:
            p.unlink()
    for p, data in files.items():
        (OUT / p).write_bytes(data)
    print(f"wrote {len(files)} files from botocore {version} into {OUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
