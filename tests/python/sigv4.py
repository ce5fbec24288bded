"""A minimal SigV4 signer with a settable clock, for requests botocore would not make
(skewed dates, tampered signatures). Written from AWS's SigV4 documentation."""
import datetime
import hashlib
import hmac
import urllib.parse


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(method, url, headers, body, access_key, secret_key, region, service, when=None, session_token=None,
         payload_hash=None):
    """Returns headers (with Authorization, X-Amz-Date, X-Amz-Content-Sha256) for the request.
    `payload_hash` overrides the body hash (e.g. "UNSIGNED-PAYLOAD")."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    parts = urllib.parse.urlsplit(url)
    body = body.encode() if isinstance(body, str) else (body or b"")
    payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
    headers = {k.lower(): v for k, v in headers.items()}
    headers["host"] = parts.netloc
    headers["x-amz-date"] = amz_date
    headers["x-amz-content-sha256"] = payload_hash
    if session_token:
        headers["x-amz-security-token"] = session_token
    signed = sorted(headers)
    canonical_headers = "".join(f"{k}:{' '.join(str(headers[k]).split())}\n" for k in signed)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query)
    )
    path = urllib.parse.quote(parts.path or "/", safe="/-_.~")
    canonical = "\n".join([method, path, canonical_query, canonical_headers, ";".join(signed), payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret_key).encode(), date), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return headers
