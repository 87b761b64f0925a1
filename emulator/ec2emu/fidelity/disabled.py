"""Disabled AMIs: DisableImage / EnableImage and DescribeImages `IncludeDisabled`.

What the EC2 API reference says, and what this module does with it:

- DisableImage sets the image `State` to `disabled` and takes away all its launch permissions
  (a public or shared AMI becomes private). EnableImage makes it `available` again; the launch
  permissions it lost do not come back.
- DescribeImages does not list disabled images unless `IncludeDisabled=true` is sent. This
  holds however the images are asked for: by `ImageIds` (a disabled image is then simply left
  out, as a deregistered one is: no error for its id), by `Owners`, `ExecutableUsers` or
  `Filters`. With `IncludeDisabled=true` they are listed with `State: disabled`.
- Other calls on a disabled image keep working (DescribeImageAttribute, CreateTags, DeregisterImage:
  the owner can still deregister it); copying it is refused (`IncorrectState`, copy_image.py:
  only an `available` source can be copied).

Choices where the reference is silent (moto accepts all of these and just sets the state):

- DisableImage of an image that is not `available` (a copy still `pending`, or `failed`) →
  `IncorrectState` (HTTP 400); the image keeps its state. EC2 documents disabling for usable
  AMIs only and gives no code; `IncorrectState` is EC2's code for "the resource is in an
  incorrect state for the request".
- DisableImage of an image that is already disabled, and EnableImage of an image that is not
  disabled, change nothing and return `true`.

The state itself lives in the image's own state (`emu_state`, see lifecycle.py): while it is
`disabled`, the copy lifecycle does not compute pending/available/failed over it; once enabled,
the lifecycle applies again (a finished copy reads `available`).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.responses.amis import AmisResponse

from .common import as_bool, get_image, patch_response
from .errors import ec2_error

DISABLED = "disabled"

_orig_describe_images = AmisResponse.describe_images


@patch_response("disable_image")
def disable_image(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)  # Malformed / Unavailable / NotFound
    current = ami.state
    if current == DISABLED:
        return ActionResult({"Return": True})
    if current != "available":
        raise ec2_error(
            "IncorrectState",
            f"The image '{ami.id}' is in the '{current}' state; only an available image can be disabled.",
        )
    ami.state = DISABLED  # State
    ami.launch_permissions = []  # made private: public and shared launch permissions removed
    return ActionResult({"Return": True})


@patch_response("enable_image")
def enable_image(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    if ami.state == DISABLED:
        ami.state = "available"  # State (the copy lifecycle, if any, applies again)
    return ActionResult({"Return": True})


def _is_disabled(image: Any) -> bool:
    return getattr(image, "state", None) == DISABLED


@patch_response("describe_images")
def describe_images(self) -> ActionResult:
    include = as_bool(self._get_param("IncludeDisabled", False))  # IncludeDisabled
    result = _orig_describe_images(self)
    if include:
        return result
    images = result.result["Images"]
    shown = [i for i in images if not _is_disabled(i)]
    if len(shown) == len(images):
        return result
    return ActionResult({**result.result, "Images": shown})
