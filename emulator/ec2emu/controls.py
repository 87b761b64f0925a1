"""Test controls: JSON over HTTP under /_ec2emu/ on the emulator's own port.

See README.md for the exact request and response shapes.
"""

from __future__ import annotations

import json
from typing import Any
from collections.abc import Callable
from urllib.parse import parse_qsl

from . import calllog, faults
from . import state
from .request_info import read_body

PREFIX = "/_ec2emu"


def _json(start_response: Callable, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
    start_response(
        f"{status} {reason.get(status, 'OK')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _body_json(environ: dict[str, Any]) -> dict[str, Any]:
    raw = read_body(environ)
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _float_or_none(v: Any) -> float | None:
    return None if v is None else float(v)


class Controls:
    def __init__(self, fidelity: bool, reset_backends: Callable[[], None]):
        self.fidelity = fidelity
        self.reset_backends = reset_backends

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "")[len(PREFIX) :].rstrip("/") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        try:
            return self.route(path, method, query, environ, start_response)
        except (ValueError, TypeError, KeyError) as e:
            return _json(start_response, 400, {"error": str(e)})

    def route(self, path, method, query, environ, start_response):  # noqa: C901
        if path == "/health":
            return _json(start_response, 200, {"ok": True, "fidelity": self.fidelity})

        if path == "/copy-rules":
            if method == "POST":
                rule = add_copy_rule(_body_json(environ))
                return _json(start_response, 201, rule.to_json())
            if method == "GET":
                with state.LOCK:
                    rules = [r.to_json() for r in state.STORE.copy_rules]
                akid = query.get("access_key_id")
                if akid is not None:
                    rules = [r for r in rules if r["access_key_id"] == akid]
                return _json(start_response, 200, rules)
            if method == "DELETE":
                akid = query.get("access_key_id")
                with state.LOCK:
                    before = len(state.STORE.copy_rules)
                    state.STORE.copy_rules[:] = [
                        r for r in state.STORE.copy_rules if akid is not None and r.access_key_id != akid
                    ]
                    n = before - len(state.STORE.copy_rules)
                return _json(start_response, 200, {"deleted": n})

        if path == "/faults":
            if method == "POST":
                return _json(start_response, 201, faults.add(_body_json(environ)).to_json())
            if method == "GET":
                return _json(start_response, 200, faults.listing())
            if method == "DELETE":
                fid = query.get("id")
                n = faults.clear(query.get("access_key_id"), query.get("action"), int(fid) if fid else None)
                return _json(start_response, 200, {"deleted": n})

        if path == "/faults-seed" and method == "POST":
            value = _body_json(environ).get("seed")
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError('"seed" must be an integer')
            faults.seed(value)
            return _json(start_response, 200, {"seed": value})

        if path == "/snapshot-rules":
            if method == "POST":
                return _json(start_response, 201, add_snapshot_rule(_body_json(environ)).to_json())
            if method == "GET":
                akid = query.get("access_key_id")
                with state.LOCK:
                    rules = [r.to_json() for r in state.STORE.snapshot_rules]
                if akid is not None:
                    rules = [r for r in rules if r["access_key_id"] == akid]
                return _json(start_response, 200, rules)
            if method == "DELETE":
                akid = query.get("access_key_id")
                with state.LOCK:
                    before = len(state.STORE.snapshot_rules)
                    state.STORE.snapshot_rules[:] = [
                        r for r in state.STORE.snapshot_rules if akid is not None and r.access_key_id != akid
                    ]
                    n = before - len(state.STORE.snapshot_rules)
                return _json(start_response, 200, {"deleted": n})

        if path == "/calls":
            if method == "GET":
                calls = calllog.query(
                    access_key_id=query.get("access_key_id"),
                    action=query.get("action"),
                    region=query.get("region"),
                    since=_float_or_none(query.get("since")),
                )
                return _json(start_response, 200, calls)
            if method == "DELETE":
                return _json(start_response, 200, {"deleted": calllog.clear(query.get("access_key_id"))})

        if path == "/reset" and method == "POST":
            body = _body_json(environ)
            akid = body.get("access_key_id", query.get("access_key_id"))
            state.reset(akid)
            backends = bool(body.get("backends", False))
            if backends and akid is None:
                self.reset_backends()
            return _json(start_response, 200, {"reset": True, "backends": backends and akid is None})

        if path in ("/health", "/copy-rules", "/snapshot-rules", "/faults", "/faults-seed", "/calls", "/reset"):
            return _json(start_response, 405, {"error": f"{method} not allowed on {PREFIX}{path}"})
        return _json(start_response, 404, {"error": f"no control at {PREFIX}{path}"})


def add_copy_rule(spec: dict[str, Any]) -> state.CopyRule:
    known = {
        "access_key_id",
        "name",
        "name_prefix",
        "image_id",
        "duration_seconds",
        "fail_message",
        "fail_code",
        "invisible_polls",
        "invisible_seconds",
    }
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    selectors = [k for k in ("name", "name_prefix", "image_id") if spec.get(k) is not None]
    if len(selectors) > 1:
        raise ValueError("give at most one of name, name_prefix, image_id")
    duration = spec.get("duration_seconds")
    if duration is not None:
        duration = float(duration)
        if duration < 0:
            raise ValueError("duration_seconds must be >= 0")
    polls = spec.get("invisible_polls")
    if polls is not None:
        if isinstance(polls, bool) or int(polls) != polls or polls < 0:
            raise ValueError("invisible_polls must be an integer >= 0")
        polls = int(polls)
    seconds = spec.get("invisible_seconds")
    if seconds is not None:
        seconds = float(seconds)
        if seconds < 0:
            raise ValueError("invisible_seconds must be >= 0")
    if (polls is not None or seconds is not None) and spec.get("image_id") is not None:
        raise ValueError("invisible_polls/invisible_seconds apply at CopyImage time: not with image_id")
    if duration is None and spec.get("fail_message") is None and polls is None and seconds is None:
        raise ValueError("give duration_seconds, fail_message, invisible_polls and/or invisible_seconds")
    rule = state.CopyRule(
        id=state.next_id(),
        access_key_id=spec.get("access_key_id"),
        name=spec.get("name"),
        name_prefix=spec.get("name_prefix"),
        image_id=spec.get("image_id"),
        duration_seconds=duration,
        fail_message=spec.get("fail_message"),
        fail_code=spec.get("fail_code"),
        invisible_polls=polls,
        invisible_seconds=seconds,
    )
    with state.LOCK:
        state.STORE.copy_rules.append(rule)
    return rule


def add_snapshot_rule(spec: dict[str, Any]) -> state.SnapshotRule:
    known = {"access_key_id", "snapshot_ids", "error_code", "error_message"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    ids = spec.get("snapshot_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError('"snapshot_ids" must be a non-empty list of snapshot ids')
    rule = state.SnapshotRule(id=state.next_id(), snapshot_ids=list(ids), access_key_id=spec.get("access_key_id"))
    if spec.get("error_code") is not None:
        rule.error_code = str(spec["error_code"])
    if spec.get("error_message") is not None:
        rule.error_message = str(spec["error_message"])
    with state.LOCK:
        state.STORE.snapshot_rules.append(rule)
    return rule
