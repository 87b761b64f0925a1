"""Fault injection by action (POST/GET/DELETE /_ec2emu/faults).

kinds: throttle (HTTP 503 RequestLimitExceeded, as EC2 throttles), http500 (InternalError),
http503 (Unavailable), unauthorized (HTTP 403 UnauthorizedOperation with an encoded authorization
failure message, as EC2 answers a call an IAM policy denies; STS and other query services get
AccessDenied), auth_failure (HTTP 401 AuthFailure, as EC2 answers credentials it cannot validate),
expired_token (HTTP 400 ExpiredToken, as EC2 answers an assumed role's lapsed session token), drop
(the connection is closed with no HTTP response), drop_after (the
request is served, then the connection is closed without sending the response: a lost
response), latency (the call is delayed by latency_ms, or by a uniformly random time between latency_ms and
latency_ms_max when that is given, and then served normally), ignore_dry_run (a DryRun=true request
is served as if DryRun were absent, as some backends do; it fires on dry runs only, and combines
with latency and one failure kind). A fault fires on each matching call with
probability `rate`, or on the next `count` matching calls and is then spent. A fault matches
either DryRun requests only (`"dry_run": true`) or only the others (the default).

Every random choice (whether a rated fault fires, how long a random latency is) comes from one
generator that `seed(n)` resets, so a run that printed its seed can be replayed: the same calls,
arriving in the same order, meet the same faults.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from .state import LOCK, STORE, Fault, next_id

KINDS = (
    "throttle",
    "http500",
    "http503",
    "unauthorized",
    "auth_failure",
    "expired_token",
    "drop",
    "drop_after",
    "latency",
    "ignore_dry_run",
)
# Kinds that change how a call is served rather than fail it: they combine with one failure.
MODIFIERS = ("latency", "ignore_dry_run")

_RNG = random.Random()


def seed(value: int) -> None:
    """Restarts the faults' random choices from `value`."""
    with LOCK:
        _RNG.seed(value)


def add(spec: dict[str, Any]) -> Fault:
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    action = spec.get("action")
    if not action or not isinstance(action, str):
        raise ValueError('"action" is required (an API action name, or "*")')
    rate = spec.get("rate")
    count = spec.get("count")
    if rate is None and count is None:
        rate = 1.0
    if rate is not None:
        rate = float(rate)
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within 0..1")
    if count is not None:
        count = int(count)
        if count < 1:
            raise ValueError("count must be >= 1")
    latency_ms = float(spec.get("latency_ms") or 0.0)
    if kind == "latency" and latency_ms <= 0:
        raise ValueError("latency needs latency_ms > 0")
    latency_ms_max = spec.get("latency_ms_max")
    if latency_ms_max is not None:
        if kind != "latency":
            raise ValueError("latency_ms_max is for kind latency only")
        latency_ms_max = float(latency_ms_max)
        if latency_ms_max < latency_ms:
            raise ValueError("latency_ms_max must be >= latency_ms")
    dry_run = bool(spec.get("dry_run", False))
    if kind == "ignore_dry_run":
        if spec.get("dry_run") is False:
            raise ValueError("ignore_dry_run fires on dry runs only (leave dry_run out or true)")
        dry_run = True
    fault = Fault(
        id=next_id(),
        action=action,
        kind=kind,
        access_key_id=spec.get("access_key_id"),
        rate=rate,
        count=count,
        latency_ms=latency_ms,
        latency_ms_max=latency_ms_max,
        dry_run=dry_run,
    )
    with LOCK:
        STORE.faults.append(fault)
    return fault


def clear(access_key_id: str | None = None, action: str | None = None, fault_id: int | None = None) -> int:
    with LOCK:
        before = len(STORE.faults)
        STORE.faults[:] = [
            f
            for f in STORE.faults
            if not (
                (access_key_id is None or f.access_key_id == access_key_id)
                and (action is None or f.action == action)
                and (fault_id is None or f.id == fault_id)
            )
        ]
        return before - len(STORE.faults)


def listing() -> list[dict[str, Any]]:
    with LOCK:
        return [f.to_json() for f in STORE.faults]


def pick(
    action: str | None, access_key_id: str | None, dry_run: bool = False
) -> tuple[float, str | None, bool]:
    """Decide the faults for one call: (latency seconds to add, failure kind or None, whether to
    serve a dry run for real)."""
    latency = 0.0
    failure = None
    ignore_dry_run = False
    with LOCK:
        for f in list(STORE.faults):
            if f.action not in ("*", action):
                continue
            if f.dry_run != dry_run:
                continue
            if f.access_key_id is not None and f.access_key_id != access_key_id:
                continue
            if f.kind not in MODIFIERS and failure is not None:
                continue
            if f.kind == "ignore_dry_run" and ignore_dry_run:
                continue  # one is enough: leave the others' counts alone
            if f.count is not None:
                f.count -= 1
                if f.count <= 0:
                    STORE.faults.remove(f)
            elif _RNG.random() >= (f.rate if f.rate is not None else 1.0):
                continue
            f.fired += 1
            if f.kind == "latency":
                high = f.latency_ms if f.latency_ms_max is None else f.latency_ms_max
                latency += _RNG.uniform(f.latency_ms, high) / 1000.0
            elif f.kind == "ignore_dry_run":
                ignore_dry_run = True
            else:
                failure = f.kind
    return latency, failure, ignore_dry_run


_EC2_ERRORS = {
    "throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "http500": (500, "InternalError", "An internal error has occurred."),
    "http503": (503, "Unavailable", "The server is overloaded and can't handle the request."),
    "unauthorized": (
        403,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation. Encoded authorization failure "
        "message: ec2emu-encoded-denial",
    ),
    "auth_failure": (
        401,
        "AuthFailure",
        "AWS was not able to validate the provided access credentials",
    ),
    "expired_token": (400, "ExpiredToken", "The security token included in the request is expired"),
}
_QUERY_ERRORS = {  # STS and other awsQuery services
    "throttle": (400, "Throttling", "Rate exceeded", "Sender"),
    "http500": (500, "InternalFailure", "An internal error has occurred.", "Receiver"),
    "http503": (503, "ServiceUnavailable", "Service is unavailable.", "Receiver"),
    "unauthorized": (403, "AccessDenied", "User is not authorized to perform this action.", "Sender"),
    "auth_failure": (403, "InvalidClientTokenId", "The security token included in the request is invalid.", "Sender"),
    "expired_token": (400, "ExpiredToken", "The security token included in the request is expired", "Sender"),
}


def error_response(kind: str, service: str | None) -> tuple[int, bytes]:
    rid = str(uuid.uuid4())
    if service in (None, "ec2"):
        status, code, msg = _EC2_ERRORS[kind]
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"</Errors><RequestID>{rid}</RequestID></Response>"
        )
    else:
        status, code, msg, typ = _QUERY_ERRORS[kind]
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{typ}</Type><Code>{code}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        )
    return status, body.encode()
