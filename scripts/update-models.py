#!/usr/bin/env python3
"""Fetch AWS's service models from the botocore wheel on PyPI and write the ones Nimbus serves
into models/, stripped of documentation text.

    python3 scripts/update-models.py            # the pinned botocore version below
    python3 scripts/update-models.py 1.44.5     # another version (then update BOTOCORE_VERSION)

The output is deterministic: re-running on the same botocore version gives no diff
(CI checks this with `--check`). The models are Apache-2.0; botocore's NOTICE goes beside them.
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


def render(version):
    """Return {relative path: bytes} for everything under models/."""
    files = {}
    with tempfile.TemporaryDirectory() as tmp:
        wheel = zipfile.ZipFile(fetch_wheel(version, tmp))
        names = wheel.namelist()
        for service in SERVICES:
            candidates = sorted(
                n for n in names
                if n.startswith(f"botocore/data/{service}/") and n.endswith("/service-2.json.gz")
            )
            if not candidates:
                sys.exit(f"botocore {version} has no model for {service}")
            newest = candidates[-1]  # api versions are ISO dates, so they sort
            model = strip(json.loads(gzip.decompress(wheel.read(newest))))
            text = json.dumps(model, indent=1, sort_keys=False, ensure_ascii=False) + "\n"
            files[f"{service}.json"] = text.encode()
        notice = next(n for n in names if n.endswith(".dist-info/NOTICE"))
        license_ = next(n for n in names if n.endswith(".dist-info/LICENSE.txt"))
        files["NOTICE"] = wheel.read(notice)
        files["LICENSE.txt"] = wheel.read(license_)
    files["VERSION"] = f"botocore {version}\n".encode()
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
