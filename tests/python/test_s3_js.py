"""The AWS SDK for JavaScript v3 (tests/js, installed by scripts/setup-js-env.sh) against Nimbus:
an SDK upload, and presigned GET/PUT URLs used with plain HTTP as a browser does."""
import json
import pathlib
import subprocess

import requests

JS_DIR = pathlib.Path(__file__).resolve().parents[1] / "js"


def test_js_sdk_v3_presigned_urls(nimbus, unique):
    assert (JS_DIR / "node_modules" / "@aws-sdk" / "client-s3").is_dir(), "run scripts/setup-js-env.sh"
    bucket = f"js-{unique}"
    proc = subprocess.run(["node", "s3_presign.mjs", nimbus.url, bucket], cwd=JS_DIR,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["body"] == "written by sdk v3"
    assert out["etag"].startswith('"')

    r = requests.get(out["getUrl"])
    assert r.status_code == 200 and r.text == "written by sdk v3"
    r = requests.put(out["putUrl"], data="from the browser", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    s3 = nimbus.client("s3", s3={"addressing_style": "path"})
    got = s3.get_object(Bucket=bucket, Key="browser.txt")
    assert got["Body"].read() == b"from the browser"
    # The URL is bound to what it signed: another key is refused.
    r = requests.get(out["getUrl"].replace("from-sdk.txt", "browser.txt"))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
