"""Eventual consistency of a fresh copy: DescribeImages may not list it yet.

The EC2 API reference warns that resources are eventually consistent: right after CopyImage, a
describe may not return the new image (DescribeImages with its id → InvalidAMIID.NotFound; by
filter or owner → not listed). A copy rule with `invisible_polls: N` and/or
`invisible_seconds: T` (POST /_ec2emu/copy-rules) makes the copies it matches behave so:

- DescribeImages leaves the copy out of the first N calls that would have returned it (counted
  per copy) and out of every call within T seconds of the CopyImage call; it shows up once both
  are over. Asked for by ImageIds, a hidden copy makes the call fail with InvalidAMIID.NotFound.
- Meanwhile DescribeImageAttribute answers InvalidAMIID.NotFound, and DescribeSnapshots leaves out
  the copy's new snapshots (by SnapshotIds: InvalidSnapshot.NotFound). These do not count as polls.
- A rule with an access key id hides the copy only from calls signed with that key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.elastic_block_store import ElasticBlockStore

from .. import state
from .errors import ami_not_found, ec2_error


@dataclass
class Visibility:
    access_key_id: str | None  # None: hidden from every caller
    start: float
    polls: int
    seconds: float
    missed: int = 0

    def _hidden(self, access_key_id: str | None) -> bool:
        if self.access_key_id is not None and access_key_id != self.access_key_id:
            return False
        return self.missed < self.polls or time.time() - self.start < self.seconds

    def hidden(self, access_key_id: str | None) -> bool:
        with state.LOCK:
            return self._hidden(access_key_id)

    def miss(self, access_key_id: str | None) -> bool:
        """One DescribeImages call that would have listed the copy: hidden (and counted)?"""
        with state.LOCK:
            if not self._hidden(access_key_id):
                return False
            self.missed += 1
            return True


def attach(ami: Any, snapshots: list[Any], rule: state.CopyRule | None) -> None:
    if rule is None or not (rule.invisible_polls or rule.invisible_seconds):
        return
    v = Visibility(rule.access_key_id, time.time(), rule.invisible_polls or 0, rule.invisible_seconds or 0.0)
    ami.emu_visibility = v
    for s in snapshots:
        s.emu_visibility = v


def _of(resource: Any) -> Visibility | None:
    return getattr(resource, "__dict__", {}).get("emu_visibility")


_ORIGINAL: dict[str, Any] = {}


def describe_images(self) -> ActionResult:
    akid = state.CTX.access_key_id
    hidden_ids = []
    for image_id in self._get_param("ImageIds", []) or []:
        v = _of(self.ec2_backend.amis.get(image_id))
        if v is not None and v.miss(akid):
            hidden_ids.append(image_id)
    if hidden_ids:
        raise ami_not_found(hidden_ids[0])
    result = _ORIGINAL["describe_images"](self)
    images = result.result["Images"]
    shown = [i for i in images if _of(i) is None or not _of(i).miss(akid)]
    if len(shown) == len(images):
        return result
    return ActionResult({**result.result, "Images": shown})


def describe_image_attribute(self) -> Any:
    v = _of(self.ec2_backend.amis.get(self._get_param("ImageId")))
    if v is not None and v.hidden(state.CTX.access_key_id):
        raise ami_not_found(self._get_param("ImageId"))
    return _ORIGINAL["describe_image_attribute"](self)


def describe_snapshots(self) -> ActionResult:
    akid = state.CTX.access_key_id
    for sid in self._get_param("SnapshotIds", []) or []:
        v = _of(self.ec2_backend.snapshots.get(sid))
        if v is not None and v.hidden(akid):
            raise ec2_error("InvalidSnapshot.NotFound", f"The snapshot '{sid}' does not exist.")
    result = _ORIGINAL["describe_snapshots"](self)
    snaps = result.result["Snapshots"]
    shown = [s for s in snaps if _of(s) is None or not _of(s).hidden(akid)]
    if len(shown) == len(snaps):
        return result
    return ActionResult({**result.result, "Snapshots": shown})


def install() -> None:
    """Wrap the describe responses; called after the other modules have patched theirs."""
    if _ORIGINAL:
        return
    for cls, fn in (
        (AmisResponse, describe_images),
        (AmisResponse, describe_image_attribute),
        (ElasticBlockStore, describe_snapshots),
    ):
        _ORIGINAL[fn.__name__] = getattr(cls, fn.__name__)
        setattr(cls, fn.__name__, fn)
