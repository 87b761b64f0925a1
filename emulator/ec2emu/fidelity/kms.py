"""KMS keys for CopyImage `KmsKeyId` (and `Encrypted`).

The EC2 API reference: "Amazon Web Services authenticates the KMS key asynchronously. Therefore,
if you specify an identifier that is not valid, the action can appear to complete, but eventually
fails. The specified KMS key must exist in the destination Region." So a malformed identifier is
rejected at once (InvalidParameterValue), while a well-formed key that does not exist raises
UnknownKmsKey, and CopyImage makes a copy that ends `failed` (see copy_image.py).

A key exists when moto's KMS knows it in the destination account and region (created with
CreateKey; given as key id, key ARN, alias name or alias ARN), or when it is the built-in test key
BUILTIN_KEY_ID (bare, or as arn:aws:kms:REGION:ACCOUNT:key/BUILTIN_KEY_ID for the destination
region and account). Returns the full key ARN that the snapshots record.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid_parameter_value

BUILTIN_KEY_ID = "0ec2e2e2-0000-4000-8000-00000000cafe"

_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_FORMS = [
    re.compile(rf"^{_KEY_ID}$"),
    re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$"),
    re.compile(rf"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{{12}}:key/{_KEY_ID}$"),
    re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:alias/[A-Za-z0-9/_-]{1,250}$"),
]


class UnknownKmsKey(Exception):
    """A well-formed KMS key identifier that does not exist in the destination account/region."""


def resolve_key(account_id: str, region: str, key: str) -> str:
    if not any(f.match(key) for f in _FORMS):
        raise invalid_parameter_value(
            f"Value ({key}) for parameter kmsKeyId is invalid. Expecting a KMS key id, key ARN, "
            "alias name or alias ARN."
        )
    if key.startswith("arn:"):
        parts = key.split(":")
        if parts[3] != region or parts[4] != account_id:
            raise _not_found(key, region)
    builtin_arn = f"arn:aws:kms:{region}:{account_id}:key/{BUILTIN_KEY_ID}"
    if key in (BUILTIN_KEY_ID, builtin_arn):
        return builtin_arn
    from moto.kms import kms_backends

    backend = kms_backends[account_id][region]
    try:
        k = backend.describe_key(key)
    except Exception:
        raise _not_found(key, region) from None
    if getattr(k, "key_state", "Enabled") not in ("Enabled",):
        raise UnknownKmsKey(f"The KMS key {k.arn} is not enabled.")
    return k.arn


def default_ebs_key(ec2_backend: Any) -> str:
    """The account's EBS default key (alias/aws/ebs), made on first use as AWS does."""
    return ec2_backend.default_kms_key_id or ec2_backend._create_default_encryption_key()


def _not_found(key: str, region: str) -> UnknownKmsKey:
    return UnknownKmsKey(f"The KMS key '{key}' does not exist in region {region} or is not accessible.")
