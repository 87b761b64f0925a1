"""Image state lifecycle, computed lazily on read (no background thread).

A copy starts `pending`; once its copy duration has elapsed it is `available`, or `failed` with a
StateReason when a copy rule says so. While pending, its snapshots are `pending` with `Progress`
= elapsed / duration as a percentage; then `completed` / `100%` (or `error` for a failed copy).
The duration comes from the copy rules (POST /_ec2emu/copy-rules), read at CopyImage time for
name / prefix / default rules and at every read for image-id rules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from moto.ec2.models.amis import Ami
from moto.ec2.models.elastic_block_store import Snapshot

from .. import state

DEFAULT_FAIL_CODE = "Server.InternalError"


@dataclass
class Lifecycle:
    image_id: str
    access_key_id: str | None
    start: float
    duration: float
    fail_message: str | None = None
    fail_code: str | None = None

    def effective(self) -> tuple[float, str | None, str | None]:
        duration, msg, code = self.duration, self.fail_message, self.fail_code
        with state.LOCK:
            rules = [
                r
                for r in state.STORE.copy_rules
                if r.image_id == self.image_id
                and (r.access_key_id is None or r.access_key_id == self.access_key_id)
            ]
        for r in rules:  # later rules win
            if r.duration_seconds is not None:
                duration = r.duration_seconds
            if r.fail_message is not None:
                msg, code = r.fail_message, r.fail_code
        return duration, msg, code

    def snapshot(self) -> tuple[str, int, str | None, str | None]:
        """(image state, percent done, fail code, fail message) right now."""
        duration, msg, code = self.effective()
        elapsed = time.time() - self.start
        if elapsed < duration:
            return "pending", int(100 * elapsed / duration), None, None
        if msg is not None:
            pct = 100 if duration == 0 else min(99, int(100 * elapsed / duration))
            return "failed", pct, code or DEFAULT_FAIL_CODE, msg
        return "available", 100, None, None


def best_copy_rule(name: str, access_key_id: str | None) -> state.CopyRule | None:
    """The copy rule for a new copy named `name`, or None.

    Most specific rule wins: access-key rules beat global ones; an exact name beats a prefix
    (a longer prefix beats a shorter one), which beats a default rule; among equals the latest.
    """
    best = None
    best_key = None
    with state.LOCK:
        rules = list(state.STORE.copy_rules)
    for idx, r in enumerate(rules):
        if r.image_id is not None:
            continue
        if r.access_key_id is not None and r.access_key_id != access_key_id:
            continue
        if r.name is not None:
            if r.name != name:
                continue
            spec = (2, 0)
        elif r.name_prefix is not None:
            if not name.startswith(r.name_prefix):
                continue
            spec = (1, len(r.name_prefix))
        else:
            spec = (0, 0)
        key = (r.access_key_id is not None, spec, idx)
        if best_key is None or key > best_key:
            best, best_key = r, key
    return best


def resolve_copy_rule(name: str, access_key_id: str | None) -> tuple[float, str | None, str | None]:
    """The copy duration and failure for a new copy named `name` (see best_copy_rule)."""
    best = best_copy_rule(name, access_key_id)
    with state.LOCK:
        default = state.STORE.default_copy_seconds
    if best is None:
        return default, None, None
    duration = best.duration_seconds if best.duration_seconds is not None else default
    return duration, best.fail_message, best.fail_code


def attach(ami: Ami, snapshots: list[Snapshot], name: str, access_key_id: str | None) -> Lifecycle:
    duration, msg, code = resolve_copy_rule(name, access_key_id)
    lc = Lifecycle(ami.id, access_key_id, time.time(), duration, msg, code)
    ami.emu_lifecycle = lc
    for s in snapshots:
        s.emu_lifecycle = lc
    return lc


# --- Image State / StateReason -------------------------------------------------------------


def _ami_get_state(self: Ami) -> str:
    base = self.__dict__.get("emu_state", "available")
    lc = self.__dict__.get("emu_lifecycle")
    if lc is not None and base == "available":
        return lc.snapshot()[0]
    return base


def _ami_set_state(self: Ami, value: str) -> None:
    self.__dict__["emu_state"] = value


def _ami_state_reason(self: Ami) -> dict[str, str] | None:
    lc = self.__dict__.get("emu_lifecycle")
    if lc is None or self.__dict__.get("emu_state", "available") != "available":
        return None
    st, _, code, msg = lc.snapshot()
    if st == "failed":
        return {"Code": code, "Message": msg}  # StateReason
    return None


Ami.state = property(_ami_get_state, _ami_set_state)
Ami.state_reason = property(_ami_state_reason)


# --- Snapshot State / Progress ---------------------------------------------------------------


def _snap_get_status(self: Snapshot) -> str:
    base = self.__dict__.get("emu_status", "completed")
    lc = self.__dict__.get("emu_lifecycle")
    if lc is not None and base == "completed":
        st = lc.snapshot()[0]
        return {"pending": "pending", "failed": "error"}.get(st, base)
    return base


def _snap_set_status(self: Snapshot, value: str) -> None:
    self.__dict__["emu_status"] = value


def _snap_progress(self: Snapshot) -> str:
    lc = self.__dict__.get("emu_lifecycle")
    if lc is None:
        return "100%"
    return f"{lc.snapshot()[1]}%"  # Snapshot Progress


Snapshot.status = property(_snap_get_status, _snap_set_status)
Snapshot.progress = property(_snap_progress)


def snapshot_state_message(self: Snapshot) -> Any:
    lc = self.__dict__.get("emu_lifecycle")
    if lc is None:
        return None
    st, _, _, msg = lc.snapshot()
    return msg if st == "failed" else None


Snapshot.state_message = property(snapshot_state_message)  # Snapshot StateMessage
