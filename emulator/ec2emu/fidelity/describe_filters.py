"""DescribeImages answers every filter EC2 documents (image_filters.py), as EC2 matches them.

moto knows about half of them and answers HTTP 500 (FilterNotImplementedError) for the rest, and
for a known one whose field is unset. Here each filter reads one field of the image; a value
matches when any of the filter's values matches any of the field's values (several values = OR,
several filters = AND). `*` and `?` are wildcards (`\\*`, `\\?`, `\\\\` are the literal
characters); Booleans read `true`/`false`. An image without the field matches nothing. Filters
also narrow a call by `ImageIds`, as in EC2 (moto ignored them there). An undocumented filter
name is EC2's `InvalidParameterValue` "The filter '…' is invalid" (moto: 500).

Features the emulator does not model give no value, so their filters match nothing: image
watermarks, instance-type specifications, Inspector scan results, public SSM parameters. Allowed
AMIs is off, so every image is allowed (`image-allowed` = true), and none is Free Tier eligible.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from collections.abc import Callable

from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.utils import format_timestamp

from . import model
from .errors import invalid_parameter_value
from .image_filters import DESCRIBE_IMAGES_FILTERS, EXTRA_FILTERS


def _ebs(field: str) -> Callable[[Ami], list[Any]]:
    return lambda ami: [(m.get("Ebs") or {}).get(field) for m in model.source_mappings(ami)]


def _state_reason(field: str) -> Callable[[Ami], Any]:
    return lambda ami: (ami.state_reason or {}).get(field)


def _none(_ami: Ami) -> None:
    return None


_FIELDS: dict[str, Callable[[Ami], Any]] = {
    "architecture": lambda a: a.architecture,
    "block-device-mapping.delete-on-termination": _ebs("DeleteOnTermination"),
    "block-device-mapping.device-name": lambda a: [m.get("DeviceName") for m in model.source_mappings(a)],
    "block-device-mapping.snapshot-id": _ebs("SnapshotId"),
    "block-device-mapping.volume-size": _ebs("VolumeSize"),
    "block-device-mapping.volume-type": _ebs("VolumeType"),
    "block-device-mapping.encrypted": _ebs("Encrypted"),
    "boot-mode": lambda a: a.boot_mode,
    "creation-date": lambda a: a.creation_date,
    "description": lambda a: a.description,
    "ena-support": lambda a: getattr(a, "ena_support", None),
    "free-tier-eligible": lambda a: getattr(a, "free_tier_eligible", False),
    "hypervisor": lambda a: a.hypervisor,
    "image-allowed": lambda a: True,  # Allowed AMIs off: every image is allowed
    "image-id": lambda a: a.id,
    "image-type": lambda a: a.image_type,
    "is-public": lambda a: a.is_public,
    "kernel-id": lambda a: a.kernel_id,
    "manifest-location": lambda a: a.image_location,  # Image.ImageLocation
    "name": lambda a: a.name,
    "owner-alias": lambda a: a.owner_alias,
    "owner-id": lambda a: a.owner_id,
    "platform": lambda a: a.platform,
    "product-code": lambda a: sorted(a.product_codes),
    "product-code.type": lambda a: ["marketplace"] if a.product_codes else [],
    "ramdisk-id": lambda a: getattr(a, "ramdisk_id", None),
    "root-device-name": lambda a: a.root_device_name,
    "root-device-type": lambda a: a.root_device_type,
    "source-image-id": lambda a: getattr(a, "source_image_id", None),
    "source-image-region": lambda a: getattr(a, "source_image_region", None),
    "source-instance-id": lambda a: a.source_instance_id,
    "state": lambda a: a.state,
    "state-reason-code": _state_reason("Code"),
    "state-reason-message": _state_reason("Message"),
    "sriov-net-support": lambda a: getattr(a, "sriov_net_support", None),
    "tag-key": lambda a: [t["key"] for t in a.get_tags()],
    "tag-value": lambda a: [t["value"] for t in a.get_tags()],
    "virtualization-type": lambda a: a.virtualization_type,
}
for _name in DESCRIBE_IMAGES_FILTERS:  # documented, not modelled: no image has a value
    if _name != "tag:<key>":
        _FIELDS.setdefault(_name, _none)
assert set(_FIELDS) == (set(DESCRIBE_IMAGES_FILTERS) | set(EXTRA_FILTERS)) - {"tag:<key>"}


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return format_timestamp(v)  # as DescribeImages prints CreationDate
    return str(v)


@lru_cache(maxsize=1024)
def _pattern(value: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(re.escape(value[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def field_values(ami: Ami, name: str) -> list[Any]:
    """The image's values for one filter (empty: the image has none)."""
    if name.startswith("tag:"):
        raw: Any = [t["value"] for t in ami.get_tags() if t["key"] == name[4:]]
    else:
        raw = _FIELDS[name](ami)
    if not isinstance(raw, list):
        raw = [raw]
    return [v for v in raw if v is not None]


def matches(ami: Ami, name: str, wanted: list[str]) -> bool:
    have = field_values(ami, name)
    texts = [_text(v) for v in have]
    boolean = bool(have) and isinstance(have[0], bool)  # true/false in any case
    for w in wanted:
        pat = _pattern(w.lower() if boolean else w)
        if any(pat.fullmatch(t) for t in texts):
            return True
    return False


def check_names(filters: dict[str, Any]) -> None:
    for name in filters:
        if not (name.startswith("tag:") or name in _FIELDS):
            raise invalid_parameter_value(f"The filter '{name}' is invalid")


def apply(filters: dict[str, Any], images: list[Ami]) -> list[Ami]:
    for name, wanted in filters.items():
        values = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
        images = [a for a in images if matches(a, name, values)]
    return images


_orig_describe_images = AmiBackend.describe_images


def _describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None) -> list[Ami]:
    if filters:
        check_names(filters)
    images = _orig_describe_images(self, ami_ids=ami_ids, filters=None, exec_users=exec_users, owners=owners)
    return apply(filters, images) if filters else images


AmiBackend.describe_images = _describe_images
