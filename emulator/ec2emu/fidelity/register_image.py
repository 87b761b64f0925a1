"""RegisterImage honouring its request: BlockDeviceMappings (EBS mappings reference the given
snapshots, which become in use by the image; VolumeSize defaults to the snapshot's size; ephemeral
VirtualName and NoDevice entries kept), RootDeviceName, Architecture, VirtualizationType,
EnaSupport, SriovNetSupport, BootMode, TpmSupport, ImdsSupport, UefiData, KernelId, RamdiskId,
ImageLocation, Description, TagSpecifications (image), and the AMI name rules.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models.amis import Ami
from moto.ec2.utils import random_ami_id

from . import model
from .common import as_bool, patch_response, tag_specs
from .errors import ec2_error, invalid_parameter_value
from .names import check_name, check_unique


@patch_response("register_image")
def register_image(self) -> ActionResult:
    p = self._get_param
    self.error_on_dryrun()
    backend = self.ec2_backend
    name = check_name(p("Name"))
    tags = tag_specs(p("TagSpecifications", []), ("image",))
    check_unique(backend, name)

    root = p("RootDeviceName") or "/dev/xvda"
    mappings: list[dict[str, Any]] = []
    snaps = []
    for raw in p("BlockDeviceMappings", []) or []:
        device = raw.get("DeviceName")
        if not device:
            raise ec2_error(
                "MissingParameter", "The request must contain the parameter BlockDeviceMapping.DeviceName"
            )
        if raw.get("NoDevice") is not None:
            mappings.append({"DeviceName": device, "NoDevice": ""})
            continue
        if raw.get("VirtualName"):
            mappings.append({"DeviceName": device, "VirtualName": raw["VirtualName"]})
            continue
        ebs_in = raw.get("Ebs") or {}
        snap = None
        if ebs_in.get("SnapshotId"):
            snap = backend.get_snapshot(ebs_in["SnapshotId"])  # InvalidSnapshot.NotFound
            snaps.append(snap)
        size = ebs_in.get("VolumeSize")
        if size is None:
            if snap is None:
                raise invalid_parameter_value(
                    f"The request must contain either a snapshot id or a volume size for {device}"
                )
            size = snap.volume_size
        if snap is not None and int(size) < int(snap.volume_size):
            raise invalid_parameter_value(
                f"Volume of size {size}GB is smaller than snapshot '{snap.id}', expect size >= {snap.volume_size}GB"
            )
        encrypted = bool(snap.encrypted) if snap is not None else as_bool(ebs_in.get("Encrypted", False))
        mappings.append(
            {
                "DeviceName": device,
                "Ebs": {
                    "DeleteOnTermination": as_bool(ebs_in.get("DeleteOnTermination", True)),
                    "Iops": ebs_in.get("Iops"),
                    "SnapshotId": snap.id if snap is not None else None,
                    "VolumeSize": int(size),
                    "VolumeType": ebs_in.get("VolumeType") or "gp2",
                    "Throughput": ebs_in.get("Throughput"),
                    "Encrypted": encrypted,
                    "KmsKeyId": snap.kms_key_id if snap is not None and encrypted else ebs_in.get("KmsKeyId"),
                },
            }
        )

    ami_id = random_ami_id()
    ami = Ami(
        backend,
        ami_id,
        name=name,
        description=p("Description", ""),
        architecture=p("Architecture") or "x86_64",  # Architecture
        virtualization_type=p("VirtualizationType") or "hvm",  # VirtualizationType
        root_device_name=root,  # RootDeviceName
        image_location=p("ImageLocation"),  # ImageLocation
        boot_mode=p("BootMode"),  # BootMode
        root_device_type="ebs" if mappings else "instance-store",
        region_name=backend.region_name,
    )
    ami.ena_support = as_bool(p("EnaSupport", False))  # EnaSupport
    ami.sriov_net_support = p("SriovNetSupport")  # SriovNetSupport
    ami.sriov = ami.sriov_net_support
    ami.tpm_support = p("TpmSupport")  # TpmSupport
    ami.imds_support = p("ImdsSupport")  # ImdsSupport
    ami.uefi_data = p("UefiData")  # UefiData
    ami.kernel_id = p("KernelId")  # KernelId
    ami.ramdisk_id = p("RamdiskId")  # RamdiskId
    if mappings:
        model.drop_auto_snapshot(ami)
        for s in snaps:
            s.from_ami = ami_id  # the snapshot is now in use by the image
        model.set_mappings(ami, mappings, snaps)
    for k, v in tags.get("image", {}).items():
        ami.add_tag(k, v)
    backend.amis[ami_id] = ami
    return ActionResult({"ImageId": ami_id})
