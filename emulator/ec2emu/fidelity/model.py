"""Image fields moto's Ami lacks, and real block device mappings with one snapshot per EBS mapping.

Adds to every moto Ami (DescribeImages `Image` members): EnaSupport, SriovNetSupport, ImdsSupport,
TpmSupport, UefiData (DescribeImageAttribute), PlatformDetails, UsageOperation, Hypervisor (xen),
SourceImageId, SourceImageRegion, DeprecationTime, DeregistrationProtection, LastLaunchedTime,
RamdiskId, ImageLocation, and BlockDeviceMappings taken from the image's own mappings (the
`Ebs` members DeleteOnTermination, Iops, SnapshotId, VolumeSize, VolumeType, KmsKeyId, Throughput,
OutpostArn, Encrypted) instead of moto's fixed 15 GiB /dev/sda1 volume.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

from moto.ec2.models.amis import Ami
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.utils import random_snapshot_id

_orig_ami_init = Ami.__init__
_orig_bdm = Ami.block_device_mappings


def _ami_init(self: Ami, *args: Any, **kwargs: Any) -> None:
    _orig_ami_init(self, *args, **kwargs)
    windows = (self.platform or "").lower() == "windows"
    self.ena_support = True  # EnaSupport
    self.sriov_net_support = self.sriov  # SriovNetSupport
    self.imds_support = None  # ImdsSupport ("v2.0")
    self.tpm_support = None  # TpmSupport ("v2.0")
    self.uefi_data = None  # DescribeImageAttribute uefiData
    self.platform_details = "Windows" if windows else "Linux/UNIX"  # PlatformDetails
    self.usage_operation = "RunInstances:0002" if windows else "RunInstances"  # UsageOperation
    self.hypervisor = self.hypervisor or "xen"  # Hypervisor
    self.source_image_id = None  # SourceImageId (copies only)
    self.source_image_region = None  # SourceImageRegion (copies only)
    self.deprecation_time = None  # DeprecationTime, ISO 8601 string
    self.deregistration_protection = "disabled"  # DeregistrationProtection
    self.emu_protection_cooldown_until = None  # end of a 24 h cooldown (unix seconds)
    self.emu_protection_with_cooldown = False
    self.last_launched_time = None  # LastLaunchedTime
    self.ramdisk_id = None  # RamdiskId
    self.destination_outpost_arn = None  # CopyImage DestinationOutpostArn (recorded)
    self.emu_mappings = None  # list of BlockDeviceMapping dicts; None = moto's default mapping
    self.emu_snapshots = [self.ebs_snapshot]
    if not self.image_location:
        self.image_location = f"{self.owner_id}/{self.name}"


def _block_device_mappings(self: Ami) -> list[dict[str, Any]]:
    mappings = self.__dict__.get("emu_mappings")
    if mappings is None:
        return _orig_bdm.fget(self)
    out = []
    for m in mappings:
        m = copy.deepcopy(m)
        ebs = m.get("Ebs")
        if ebs is not None:
            m["Ebs"] = {k: v for k, v in ebs.items() if v is not None}
        out.append(m)
    return out


Ami.__init__ = _ami_init
Ami.block_device_mappings = property(_block_device_mappings)


def root_device_type(ami: Ami) -> str:
    for m in ami.emu_mappings or []:
        if m["DeviceName"] == ami.root_device_name and "Ebs" in m:
            return "ebs"
    return ami.root_device_type


def drop_auto_snapshot(ami: Ami) -> None:
    """Forget the 15 GiB snapshot moto's Ami constructor always makes."""
    auto = ami.ebs_snapshot
    if auto is not None and auto.from_ami == ami.id:
        ami.ec2_backend.snapshots.pop(auto.id, None)


def new_snapshot(
    backend: Any,
    size: int,
    description: str,
    from_ami: str,
    encrypted: bool = False,
    kms_key_id: str | None = None,
    outpost_arn: str | None = None,
) -> Snapshot:
    """A snapshot as a copy makes one: VolumeId vol-ffffffff, owned by the account."""
    volume = SimpleNamespace(id="vol-ffffffff", size=size)
    snap = Snapshot(
        backend,
        random_snapshot_id(),
        volume,
        description,
        encrypted=encrypted,
        kms_key_id=kms_key_id,
        owner_id=backend.account_id,
        from_ami=from_ami,
    )
    if not encrypted:
        snap.encrypted = False
    snap.outpost_arn = outpost_arn  # Snapshot OutpostArn
    backend.snapshots[snap.id] = snap
    return snap


def set_mappings(ami: Ami, mappings: list[dict[str, Any]], snapshots: list[Snapshot]) -> None:
    ami.emu_mappings = mappings
    ami.emu_snapshots = snapshots
    root = None
    for m in mappings:
        sid = (m.get("Ebs") or {}).get("SnapshotId")
        if sid and m["DeviceName"] == ami.root_device_name:
            root = sid
    by_id = {s.id: s for s in snapshots}
    if root in by_id:
        ami.ebs_snapshot = by_id[root]
    elif snapshots:
        ami.ebs_snapshot = snapshots[0]
    ami.root_device_type = root_device_type(ami)


def source_mappings(ami: Ami) -> list[dict[str, Any]]:
    """The mappings of an image as stored (moto's default one if the layer never set them)."""
    if ami.__dict__.get("emu_mappings") is not None:
        return copy.deepcopy(ami.emu_mappings)
    m = _orig_bdm.fget(ami)
    for entry in m:
        ebs = entry.get("Ebs")
        if ebs:
            snap = ami.ec2_backend.snapshots.get(ebs.get("SnapshotId"))
            ebs.setdefault("Encrypted", bool(snap.encrypted) if snap else False)
            if snap is not None and snap.kms_key_id:
                ebs.setdefault("KmsKeyId", snap.kms_key_id)
    return m


# CreateSnapshot of an encrypted volume: the snapshot records the volume's KmsKeyId (moto drops it).
from moto.ec2.models.elastic_block_store import EBSBackend  # noqa: E402

_orig_create_snapshot = EBSBackend.create_snapshot


def _create_snapshot(self, volume_id, description, owner_id=None, from_ami=None):
    snap = _orig_create_snapshot(self, volume_id, description, owner_id=owner_id, from_ami=from_ami)
    vol = self.volumes.get(volume_id)
    if vol is not None and vol.encrypted and not snap.kms_key_id:
        snap.kms_key_id = vol.kms_key_id  # Snapshot KmsKeyId
    return snap


EBSBackend.create_snapshot = _create_snapshot
