"""The log of API calls received (GET/DELETE /_ec2emu/calls).

Each entry: time (unix seconds, float), action, service, region (SigV4 scope), access_key_id
(SigV4 Credential), params (the query parameters as sent, minus Action and Version), status
(HTTP status answered, null for a dropped connection) and fault (the injected fault kind or null).
"""

from __future__ import annotations

from typing import Any

from .state import LOCK, STORE

MAX_CALLS = 100_000


def record(entry: dict[str, Any]) -> None:
    with LOCK:
        STORE.calls.append(entry)
        if len(STORE.calls) > MAX_CALLS:
            del STORE.calls[: len(STORE.calls) - MAX_CALLS]


def query(
    access_key_id: str | None = None,
    action: str | None = None,
    region: str | None = None,
    since: float | None = None,
) -> list[dict[str, Any]]:
    with LOCK:
        out = list(STORE.calls)
    if access_key_id is not None:
        out = [c for c in out if c.get("access_key_id") == access_key_id]
    if action is not None:
        out = [c for c in out if c.get("action") == action]
    if region is not None:
        out = [c for c in out if c.get("region") == region]
    if since is not None:
        out = [c for c in out if c["time"] >= since]
    return out


def clear(access_key_id: str | None = None) -> int:
    with LOCK:
        before = len(STORE.calls)
        if access_key_id is None:
            STORE.calls.clear()
        else:
            STORE.calls[:] = [c for c in STORE.calls if c.get("access_key_id") != access_key_id]
        return before - len(STORE.calls)
