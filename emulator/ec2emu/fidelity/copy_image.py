"""CopyImage with the fields and rules of the EC2 API reference.

- ClientToken: idempotency per account and destination region (same token + same parameters →
  the same ImageId; other parameters → IdempotentParameterMismatch).
- Name: the AMI name rules; a duplicate name in the destination region → InvalidAMIName.Duplicate.
- SourceRegion unknown → InvalidParameterValue; SourceImageId malformed/unknown/deregistered →
  InvalidAMIID.Malformed / InvalidAMIID.NotFound (not moto's HTTP 500).
- Encrypted / KmsKeyId: the new snapshots are encrypted with that key (or the account's EBS default
  key); KmsKeyId without Encrypted → InvalidParameterDependency; a malformed key →
  InvalidParameterValue; a well-formed unknown key → the copy is accepted and ends `failed`
  (StateReason Client.InvalidKMSKey.NotFound): the API reference says keys are checked
  asynchronously.
- TagSpecifications (image, snapshot) and CopyImageTags (the source's user tags onto the copy).
- SnapshotCopyCompletionDurationMinutes (15–2880, steps of 15; recorded on the snapshots as
  CompletionDurationMinutes / TransferType time-based) and DestinationOutpostArn (validated,
  recorded on the image, its mappings and snapshots).
- SourceImageId / SourceImageRegion returned by DescribeImages; block device mappings (one new
  snapshot per EBS mapping), architecture, ENA, SR-IOV, boot mode, IMDS, TPM, UEFI data, platform,
  platform details and usage operation carried over from the source.
- The copy starts `pending` (see lifecycle.py), and may stay unseen by describes for a while
  (see visibility.py).
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models.amis import Ami
from moto.ec2.utils import random_ami_id

from .. import state
from . import lifecycle, model, visibility
from .common import as_bool, patch_response, tag_specs
from .errors import ami_malformed, ami_not_found, ec2_error, invalid_parameter_value
from .kms import UnknownKmsKey, default_ebs_key, resolve_key
from .names import check_name, check_unique

_COPY_LOCK = threading.Lock()
OUTPOST_ARN_RE = re.compile(r"^arn:aws[a-z-]*:outposts:[a-z0-9-]+:\d{12}:outpost/op-[0-9a-f]{17}$")
IGNORED_FOR_IDEMPOTENCY = {"ClientToken", "DryRun"}
KMS_FAIL_CODE = "Client.InvalidKMSKey.NotFound"  # StateReason.Code of a copy with an unknown key


def _signature(params: dict[str, Any]) -> str:
    import json

    return json.dumps(
        {k: v for k, v in params.items() if k not in IGNORED_FOR_IDEMPOTENCY},
        sort_keys=True,
        default=str,
    )


@patch_response("copy_image")
def copy_image(self) -> ActionResult:
    self.error_on_dryrun()
    backend = self.ec2_backend
    account, region = self.current_account, self.region
    params = dict(self.params)
    token = self._get_param("ClientToken")
    akid = state.CTX.access_key_id

    with _COPY_LOCK:
        if token:
            key = (account, region, token)
            with state.LOCK:
                seen = state.STORE.copy_tokens.get(key)
            if seen is not None:
                if seen[1] != _signature(params):
                    raise ec2_error(
                        "IdempotentParameterMismatch",
                        "The client token you have provided is associated with a resource that "
                        "was created with different parameters.",
                    )
                return ActionResult({"ImageId": seen[2]})
        ami = _do_copy(self, backend, account, region, akid)
        if token:
            with state.LOCK:
                state.STORE.copy_tokens[(account, region, token)] = (akid, _signature(params), ami.id)
    return ActionResult({"ImageId": ami.id})


def _source_image(account: str, source_region: Any, source_image_id: Any) -> Ami:
    from moto.ec2.models import ec2_backends

    if not source_region:
        raise ec2_error("MissingParameter", "The request must contain the parameter SourceRegion")
    if not source_image_id:
        raise ec2_error("MissingParameter", "The request must contain the parameter SourceImageId")
    if source_region not in ec2_backends[account].regions:
        raise invalid_parameter_value(f"Invalid value '{source_region}' for SourceRegion")
    if not re.match(r"^ami-[0-9a-f]{8,17}$", source_image_id):
        raise ami_malformed(source_image_id)
    src_backend = ec2_backends[account][source_region]
    src = src_backend.amis.get(source_image_id)
    if src is None:
        raise ami_not_found(source_image_id)
    if src.state not in ("available",):
        raise ec2_error(
            "IncorrectState",
            f"The image '{source_image_id}' is in state '{src.state}' and cannot be copied",
        )
    return src


def _do_copy(self, backend: Any, account: str, region: str, akid: str | None) -> Ami:
    p = self._get_param
    name = check_name(p("Name"))
    src = _source_image(account, p("SourceRegion"), p("SourceImageId"))
    source_region = p("SourceRegion")

    encrypted = as_bool(p("Encrypted", False))
    kms_key = p("KmsKeyId")
    if kms_key and not encrypted:
        raise ec2_error(
            "InvalidParameterDependency",
            "The parameter KmsKeyId requires the parameter Encrypted to be set.",
        )
    kms_arn = None
    kms_failure = None
    if kms_key:
        try:
            kms_arn = resolve_key(account, region, kms_key)
        except UnknownKmsKey as e:  # accepted now, the copy fails later (asynchronous check)
            kms_arn = kms_key
            kms_failure = str(e)

    minutes = p("SnapshotCopyCompletionDurationMinutes")
    if minutes is not None:
        minutes = int(minutes)
        if not (15 <= minutes <= 2880 and minutes % 15 == 0):
            raise invalid_parameter_value(
                "SnapshotCopyCompletionDurationMinutes must be between 15 and 2880 minutes, "
                "in 15-minute increments"
            )
    outpost = p("DestinationOutpostArn")
    dest_az = p("DestinationAvailabilityZone") or p("DestinationAvailabilityZoneId")
    if outpost is not None:
        if not OUTPOST_ARN_RE.match(outpost):
            raise invalid_parameter_value(
                f"Value ({outpost}) for parameter destinationOutpostArn is invalid."
            )
        if dest_az:
            raise ec2_error(
                "InvalidParameterCombination",
                "DestinationOutpostArn and DestinationAvailabilityZone cannot be used together.",
            )
        if minutes is not None:
            raise ec2_error(
                "InvalidParameterCombination",
                "SnapshotCopyCompletionDurationMinutes is not supported when copying to an Outpost.",
            )
    tags = tag_specs(p("TagSpecifications", []), ("image", "snapshot"))
    copy_tags = as_bool(p("CopyImageTags", False))
    check_unique(backend, name)

    # Create the image (moto's constructor carries virtualization type, architecture, kernel,
    # platform; the rest is carried below).
    ami_id = random_ami_id()
    ami = Ami(
        backend,
        ami_id,
        instance=None,
        source_ami=src,
        name=name,
        description=p("Description"),
        owner_id=account,
        region_name=region,
    )
    # Description: omitted, the copy keeps the source's; given (even ""), it is what was given.
    # moto's constructor treats "" as omitted.
    ami.description = src.description if p("Description") is None else p("Description")
    model.drop_auto_snapshot(ami)
    for attr in (
        "ena_support",  # EnaSupport
        "sriov_net_support",  # SriovNetSupport
        "sriov",
        "boot_mode",  # BootMode
        "imds_support",  # ImdsSupport
        "tpm_support",  # TpmSupport
        "uefi_data",  # UefiData
        "platform_details",  # PlatformDetails
        "usage_operation",  # UsageOperation
        "hypervisor",
        "root_device_name",
        "ramdisk_id",
        "image_type",
    ):
        if hasattr(src, attr):
            setattr(ami, attr, getattr(src, attr))
    ami.source_image_id = src.id  # SourceImageId
    ami.source_image_region = source_region  # SourceImageRegion
    ami.destination_outpost_arn = outpost  # DestinationOutpostArn
    ami.image_location = f"{account}/{name}"

    # One new snapshot per EBS mapping of the source.
    mappings = model.source_mappings(src)
    snaps = []
    stamp = int(time.time() * 1000)
    for m in mappings:
        ebs = m.get("Ebs")
        if not ebs:
            continue
        src_snap_id = ebs.get("SnapshotId")
        src_encrypted = bool(ebs.get("Encrypted"))
        enc = encrypted or src_encrypted
        key = kms_arn
        if enc and key is None:
            key = (
                ebs.get("KmsKeyId")
                if source_region == region and ebs.get("KmsKeyId")
                else default_ebs_key(backend)
            )
        if src_snap_id:
            snap = model.new_snapshot(
                backend,
                int(ebs.get("VolumeSize") or 8),
                f"Copied for DestinationAmi {ami_id} from SourceAmi {src.id} for SourceSnapshot "
                f"{src_snap_id}. Task created on {stamp:,}.",
                from_ami=ami_id,
                encrypted=enc,
                kms_key_id=key if enc else None,
                outpost_arn=outpost,
            )
            snap.completion_duration_minutes = minutes  # CompletionDurationMinutes
            snap.transfer_type = "time-based" if minutes else "standard"  # TransferType
            snaps.append(snap)
            ebs["SnapshotId"] = snap.id
        ebs["Encrypted"] = enc
        ebs["KmsKeyId"] = key if enc else None
        if outpost:
            ebs["OutpostArn"] = outpost
    model.set_mappings(ami, mappings, snaps)

    # Tags: CopyImageTags first, TagSpecifications override.
    if copy_tags:  # CopyImageTags: the source's user-defined tags
        for tag in src.get_tags():
            if not tag["key"].lower().startswith("aws:"):
                ami.add_tag(tag["key"], tag["value"])
    for k, v in tags.get("image", {}).items():
        ami.add_tag(k, v)
    for s in snaps:
        for k, v in tags.get("snapshot", {}).items():
            s.add_tag(k, v)

    visibility.attach(ami, snaps, lifecycle.best_copy_rule(name, akid))
    backend.amis[ami_id] = ami
    lc = lifecycle.attach(ami, snaps, name, akid)
    if kms_failure is not None:
        lc.fail_message, lc.fail_code = kms_failure, KMS_FAIL_CODE
    return ami
