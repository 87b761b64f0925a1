"""Enable/DisableImageDeregistrationProtection (`WithCooldown`).

DescribeImages `DeregistrationProtection`: "disabled", "enabled-without-cooldown",
"enabled-with-cooldown", or after disabling a with-cooldown protection
"disabled-until YYYY-MM-DDTHH:MM:SS.000Z" (24 h); DeregisterImage is refused meanwhile.
"""

from __future__ import annotations

import time
from datetime import datetime, UTC

from moto.core.responses import ActionResult

from .common import as_bool, get_image, patch_response
from .errors import ec2_error

COOLDOWN_SECONDS = 24 * 3600


def refresh(ami) -> None:
    until = ami.emu_protection_cooldown_until
    if until is not None and time.time() >= until:
        ami.emu_protection_cooldown_until = None
        ami.deregistration_protection = "disabled"


def is_protected(ami) -> bool:
    refresh(ami)
    return ami.deregistration_protection != "disabled"


def refuse_deregister(ami) -> None:
    if is_protected(ami):
        raise ec2_error(
            "OperationNotPermitted",
            f"Image {ami.id} can't be deregistered because deregistration protection is enabled "
            f"({ami.deregistration_protection}). Disable it first.",
        )


@patch_response("enable_image_deregistration_protection")
def enable_image_deregistration_protection(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    cooldown = as_bool(self._get_param("WithCooldown", False))
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    ami.emu_protection_cooldown_until = None
    ami.emu_protection_with_cooldown = cooldown
    ami.deregistration_protection = "enabled-with-cooldown" if cooldown else "enabled-without-cooldown"
    return ActionResult({"Return": "true"})


@patch_response("disable_image_deregistration_protection")
def disable_image_deregistration_protection(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    refresh(ami)
    if ami.deregistration_protection.startswith("enabled") and ami.emu_protection_with_cooldown:
        until = time.time() + COOLDOWN_SECONDS
        ami.emu_protection_cooldown_until = until
        stamp = datetime.fromtimestamp(until, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        ami.deregistration_protection = f"disabled-until {stamp}"
    elif ami.deregistration_protection.startswith("enabled"):
        ami.deregistration_protection = "disabled"
    return ActionResult({"Return": "true"})
