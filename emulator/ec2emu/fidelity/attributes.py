"""DescribeImageAttribute for every attribute the EC2 API lists (description, kernel, ramdisk,
launchPermission, productCodes, blockDeviceMapping, sriovNetSupport, bootMode, tpmSupport,
uefiData, lastLaunchedTime, imdsSupport, deregistrationProtection), with EC2 errors for unknown
images instead of HTTP 500; and ModifyImageAttribute `Description` (and `Attribute=description`
+ `Value`) and `ImdsSupport`, which moto ignores.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.responses.amis import AmisResponse

from .common import get_image, patch_response
from .errors import ec2_error, invalid_parameter_value

_orig_modify = AmisResponse.modify_image_attribute


def _value(v: Any) -> dict[str, Any] | None:
    return None if v is None else {"Value": v}


@patch_response("describe_image_attribute")
def describe_image_attribute(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    attribute = self._get_param("Attribute")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    result: dict[str, Any] = {"ImageId": ami.id}
    if attribute == "description":
        result["Description"] = {"Value": ami.description or ""}
    elif attribute == "kernel":
        result["KernelId"] = _value(ami.kernel_id) or {}
    elif attribute == "ramdisk":
        result["RamdiskId"] = _value(ami.ramdisk_id) or {}
    elif attribute == "launchPermission":
        result["LaunchPermissions"] = ami.launch_permissions
    elif attribute == "productCodes":
        result["ProductCodes"] = [
            {"ProductCodeId": c, "ProductCodeType": "marketplace"} for c in ami.product_codes
        ]
    elif attribute == "blockDeviceMapping":
        result["BlockDeviceMappings"] = ami.block_device_mappings
    elif attribute == "sriovNetSupport":
        result["SriovNetSupport"] = _value(ami.sriov_net_support) or {}
    elif attribute == "bootMode":
        result["BootMode"] = _value(ami.boot_mode) or {}
    elif attribute == "tpmSupport":
        result["TpmSupport"] = _value(ami.tpm_support) or {}
    elif attribute == "uefiData":
        result["UefiData"] = _value(ami.uefi_data) or {}
    elif attribute == "lastLaunchedTime":
        result["LastLaunchedTime"] = _value(ami.last_launched_time) or {}
    elif attribute == "imdsSupport":
        result["ImdsSupport"] = _value(ami.imds_support) or {}
    elif attribute == "deregistrationProtection":
        result["DeregistrationProtection"] = {"Value": ami.deregistration_protection}
    elif attribute is None:
        raise ec2_error("MissingParameter", "The request must contain the parameter Attribute")
    else:
        raise invalid_parameter_value(
            f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute."
        )
    return ActionResult(result)


@patch_response("modify_image_attribute")
def modify_image_attribute(self) -> Any:
    image_id = self._get_param("ImageId")
    attribute = self._get_param("Attribute")
    description = self._get_param("Description")  # Description.Value
    imds = self._get_param("ImdsSupport")  # ImdsSupport.Value
    value = self._get_param("Value")
    self.error_on_dryrun()
    ami = get_image(self.ec2_backend, image_id)
    changed = False
    if isinstance(description, dict) and "Value" in description:
        ami.description = description["Value"]
        changed = True
    elif attribute == "description" and value is not None:
        ami.description = value
        changed = True
    if isinstance(imds, dict) and imds.get("Value") is not None:
        if imds["Value"] != "v2.0":
            raise invalid_parameter_value(f"Value ({imds['Value']}) for parameter imdsSupport is invalid.")
        ami.imds_support = "v2.0"
        changed = True
    if self._get_param("LaunchPermission") or self._get_param("OperationType"):
        return _orig_modify(self)
    if not changed:
        raise ec2_error("MissingParameter", "The request must contain an attribute to modify")
    return EmptyResult()
