"""Process-wide stores shared by the middleware, the control endpoint and the fidelity patches.

Everything here is guarded by one lock; the werkzeug server runs each request in its own thread.
The per-request context (SigV4 access key id and region) lives in a thread-local that the
middleware fills before handing the request to moto.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

LOCK = threading.RLock()
_seq = itertools.count(1)


class _RequestContext(threading.local):
    access_key_id: str | None = None
    region: str | None = None
    service: str | None = None
    action: str | None = None


CTX = _RequestContext()


@dataclass
class CopyRule:
    """A copy-duration / copy-failure rule (POST /_ec2emu/copy-rules)."""

    id: int
    access_key_id: str | None = None
    name: str | None = None
    name_prefix: str | None = None
    image_id: str | None = None
    duration_seconds: float | None = None
    fail_message: str | None = None
    fail_code: str | None = None
    invisible_polls: int | None = None
    invisible_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Fault:
    """An injected fault (POST /_ec2emu/faults)."""

    id: int
    action: str
    kind: str
    access_key_id: str | None = None
    rate: float | None = None
    count: int | None = None
    latency_ms: float = 0.0
    # Set: each call waits a uniformly random time between latency_ms and this.
    latency_ms_max: float | None = None
    # True: fires only on DryRun requests; False (the default): only on the others. A dry run
    # changes nothing, and plan-time checks send them, so faults meant for real calls skip them.
    dry_run: bool = False
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class SnapshotRule:
    """Snapshots whose deletion fails (POST /_ec2emu/snapshot-rules)."""

    id: int
    snapshot_ids: list[str]
    access_key_id: str | None = None
    error_code: str = "UnauthorizedOperation"
    error_message: str = "You are not authorized to perform this operation."

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Store:
    copy_rules: list[CopyRule] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    snapshot_rules: list[SnapshotRule] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    # (account, region, client_token) -> (access_key_id, params signature, image id)
    copy_tokens: dict[tuple[str, str, str], tuple[str | None, Any, str]] = field(default_factory=dict)
    default_copy_seconds: float = 0.0


STORE = Store()


def next_id() -> int:
    return next(_seq)


def now() -> float:
    return time.time()


def reset(access_key_id: str | None = None) -> None:
    """Forget rules, faults, calls and client tokens (only those of one access key if given)."""
    with LOCK:
        if access_key_id is None:
            STORE.copy_rules.clear()
            STORE.snapshot_rules.clear()
            STORE.faults.clear()
            STORE.calls.clear()
            STORE.copy_tokens.clear()
            return
        STORE.copy_rules[:] = [r for r in STORE.copy_rules if r.access_key_id != access_key_id]
        STORE.faults[:] = [f for f in STORE.faults if f.access_key_id != access_key_id]
        STORE.snapshot_rules[:] = [r for r in STORE.snapshot_rules if r.access_key_id != access_key_id]
        STORE.calls[:] = [c for c in STORE.calls if c.get("access_key_id") != access_key_id]
        for k, v in list(STORE.copy_tokens.items()):
            if v[0] == access_key_id:
                del STORE.copy_tokens[k]
