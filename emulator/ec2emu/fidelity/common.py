"""Small helpers shared by the response patches."""

from __future__ import annotations

from typing import Any

from moto.ec2.responses.amis import AmisResponse

from .errors import ami_malformed, ami_not_found, ec2_error


def patch_response(name: str):
    """Decorator: install the function as AmisResponse.<name> (EC2Response inherits it)."""

    def deco(fn):
        setattr(AmisResponse, name, fn)
        return fn

    return deco


def get_image(backend: Any, image_id: Any):
    """The live image or an EC2 error: Malformed, Unavailable (deregistered) or NotFound."""
    if not image_id:
        raise ec2_error("MissingParameter", "The request must contain the parameter ImageId")
    if not isinstance(image_id, str) or not image_id.startswith("ami-"):
        raise ami_malformed(str(image_id))
    ami = backend.amis.get(image_id)
    if ami is None:
        if image_id in backend.deleted_amis:
            raise ec2_error("InvalidAMIID.Unavailable", f"The image id '[{image_id}]' is no longer available")
        raise ami_not_found(image_id)
    return ami


def as_bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


def tag_specs(raw: Any, allowed: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """TagSpecifications → {resource type: {key: value}}; other resource types are an error."""
    out: dict[str, dict[str, str]] = {}
    for spec in raw or []:
        rtype = spec.get("ResourceType")
        if rtype not in allowed:
            raise ec2_error(
                "InvalidParameterValue",
                f"'{rtype}' is not a valid taggable resource type for this operation.",
            )
        for tag in spec.get("Tags") or spec.get("Tag") or []:
            key = tag.get("Key")
            if not key:
                raise ec2_error("InvalidParameterValue", "Tag keys must not be empty")
            if key.lower().startswith("aws:"):
                raise ec2_error(
                    "InvalidParameterValue",
                    "Tag keys starting with 'aws:' are reserved for internal use",
                )
            out.setdefault(rtype, {})[key] = tag.get("Value", "")
    return out
