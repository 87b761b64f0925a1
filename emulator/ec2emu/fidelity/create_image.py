"""CreateImage `TagSpecifications` with ResourceType `snapshot` tags the new image's snapshots
(moto raises NotImplementedError, an HTTP 500); `image` tags as before."""

from __future__ import annotations

from moto.core.responses import ActionResult

from .common import patch_response, tag_specs


@patch_response("create_image")
def create_image(self) -> ActionResult:
    name = self._get_param("Name")
    description = self._get_param("Description", "")
    instance_id = self._get_param("InstanceId")
    tags = tag_specs(self._get_param("TagSpecifications", []), ("image", "snapshot"))
    self.error_on_dryrun()
    image_specs = (
        [
            {
                "ResourceType": "image",
                "Tags": [{"Key": k, "Value": v} for k, v in tags.get("image", {}).items()],
            }
        ]
        if tags.get("image")
        else []
    )
    image = self.ec2_backend.create_image(instance_id, name, description, tag_specifications=image_specs)
    for snap in getattr(image, "emu_snapshots", None) or [image.ebs_snapshot]:
        for k, v in tags.get("snapshot", {}).items():
            snap.add_tag(k, v)
    return ActionResult({"ImageId": image.id})
