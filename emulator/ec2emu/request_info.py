"""Pull the action, SigV4 scope (access key id, region, service) and parameters out of a WSGI request."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def parse_sigv4(environ: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(access_key_id, region, service) from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`
    (or from X-Amz-Credential in a presigned query string)."""
    cred = None
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        cred = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    else:
        for k, v in parse_qsl(environ.get("QUERY_STRING", "")):
            if k == "X-Amz-Credential":
                cred = v
    if not cred:
        return None, None, None
    parts = cred.split("/")
    if len(parts) >= 5:
        return parts[0], parts[2], parts[3]
    return parts[0], None, None


def parse_params(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Query-protocol parameters (query string and form body), flattened as sent. For a JSON
    protocol request (X-Amz-Target, e.g. KMS) the decoded JSON body, with Action taken from the
    target (`TrentService.CreateKey` → `CreateKey`)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        try:
            decoded = json.loads(body or b"{}")
        except ValueError:
            decoded = {}
        params_json: dict[str, Any] = dict(decoded) if isinstance(decoded, dict) else {}
        params_json["Action"] = target.rsplit(".", 1)[-1]
        return params_json
    params: dict[str, Any] = {}
    for k, v in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        params[k] = v
    ctype = environ.get("CONTENT_TYPE", "")
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            params[k] = v
    return params


def drop_param(environ: dict[str, Any], body: bytes, name: str) -> None:
    """Take one query-protocol parameter out of the request moto will read (query string and
    form body), so moto serves it as if it had not been sent."""

    def without(text: str) -> str:
        return urlencode([(k, v) for k, v in parse_qsl(text, keep_blank_values=True) if k != name])

    if environ.get("QUERY_STRING"):
        environ["QUERY_STRING"] = without(environ["QUERY_STRING"])
    if body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        new = without(body.decode("utf-8", "replace")).encode()
        environ["wsgi.input"] = io.BytesIO(new)
        environ["CONTENT_LENGTH"] = str(len(new))
