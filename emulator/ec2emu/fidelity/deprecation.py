"""EnableImageDeprecation (`DeprecateAt`, rounded to the nearest minute, not in the past, at most
10 years ahead) and DisableImageDeprecation; DescribeImages returns `DeprecationTime`."""

from __future__ import annotations

from datetime import datetime, timedelta, UTC

from moto.core.responses import ActionResult

from .common import get_image, patch_response
from .errors import ec2_error, invalid_parameter_value


def _parse(v) -> datetime:
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, (int, float)):
        dt = datetime.fromtimestamp(float(v), tz=UTC)
    else:
        s = str(v).strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            raise invalid_parameter_value(f"Value ({v}) for parameter deprecateAt is invalid.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _round_minute(dt: datetime) -> datetime:
    base = dt.replace(second=0, microsecond=0)
    return base + timedelta(minutes=1) if dt - base >= timedelta(seconds=30) else base


@patch_response("enable_image_deprecation")
def enable_image_deprecation(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    at = self._get_param("DeprecateAt")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    if at is None:
        raise ec2_error("MissingParameter", "The request must contain the parameter DeprecateAt")
    when = _round_minute(_parse(at))
    now = datetime.now(UTC)
    if when < now.replace(second=0, microsecond=0):
        raise invalid_parameter_value("The deprecation time can't be in the past.")
    if when > now + timedelta(days=3653):
        raise invalid_parameter_value("The deprecation time can't be more than 10 years from now.")
    ami.deprecation_time = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # DeprecationTime
    return ActionResult({"Return": True})


@patch_response("disable_image_deprecation")
def disable_image_deprecation(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    ami.deprecation_time = None
    return ActionResult({"Return": True})
