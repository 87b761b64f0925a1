"""WSGI middleware around moto's server app: test controls, fault injection and the call log."""

from __future__ import annotations

import socket
import time
from typing import Any
from collections.abc import Callable

from . import calllog, faults
from .controls import PREFIX, Controls
from .request_info import drop_param, parse_params, parse_sigv4, read_body
from .state import CTX


class DroppedConnection(ConnectionAbortedError):
    """Raised after the socket was shut down on purpose (fault kind "drop")."""


class EmulatorMiddleware:
    def __init__(self, app: Callable, controls: Controls):
        self.app = app
        self.controls = controls

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == PREFIX or path.startswith(PREFIX + "/"):
            return self.controls(environ, start_response)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)

        body = read_body(environ)
        akid, region, service = parse_sigv4(environ)
        params = parse_params(environ, body)
        action = params.pop("Action", None)
        params.pop("Version", None)
        entry: dict[str, Any] = {
            "time": time.time(),
            "action": action,
            "service": service,
            "region": region,
            "access_key_id": akid,
            "params": params,
            "status": None,
            "fault": None,
        }

        dry_run = str(params.get("DryRun", "")).lower() == "true"
        latency, failure, ignore_dry_run = faults.pick(action, akid, dry_run)
        if latency:
            entry["fault"] = "latency"
            time.sleep(latency)
        if ignore_dry_run:
            # moto serves the call for real; the log keeps the params as sent (DryRun=true).
            entry["fault"] = "ignore_dry_run"
            drop_param(environ, body, "DryRun")
        if failure == "drop_after":
            # moto serves the request in full (its effects stay), but the answer is never sent.
            entry["fault"] = "drop_after"
            try:
                result = self._serve(environ, lambda *_args: None, akid, region, service, action)
                for _ in result:
                    pass
                if hasattr(result, "close"):
                    result.close()
            finally:
                calllog.record(entry)
            _drop(environ)
        if failure == "drop":
            entry["fault"] = "drop"
            calllog.record(entry)
            _drop(environ)
        if failure is not None:
            status, payload = faults.error_response(failure, service)
            entry["fault"] = failure
            entry["status"] = status
            calllog.record(entry)
            start_response(
                f"{status} Error",
                [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
            )
            return [payload]

        def _start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            try:
                entry["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                pass
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            result = self._serve(environ, _start_response, akid, region, service, action)
        except Exception:
            # moto raised (stock moto does on calls it lacks): the server answers 500 for it.
            if entry["status"] is None:
                entry["status"] = 500
            raise
        finally:
            calllog.record(entry)
        return result

    def _serve(self, environ, start_response, akid, region, service, action) -> Any:
        """moto's answer, with the per-request context set for the fidelity layer."""
        CTX.access_key_id, CTX.region, CTX.service, CTX.action = akid, region, service, action
        try:
            return self.app(environ, start_response)
        finally:
            CTX.access_key_id = CTX.region = CTX.service = CTX.action = None


def _drop(environ: dict[str, Any]) -> None:
    """Shut the client's connection down with no HTTP response."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DroppedConnection("fault injection: connection dropped")
