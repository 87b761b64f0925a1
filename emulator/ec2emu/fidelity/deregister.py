"""DeregisterImage: refused while deregistration protection is on; `DeleteAssociatedSnapshots`
deletes the image's own snapshots and returns `DeleteSnapshotResults` (SnapshotId, ReturnCode);
a snapshot whose deletion a snapshot rule refuses is kept (see snapshot_deletion.py)."""

from __future__ import annotations

from moto.core.responses import ActionResult

from .. import state
from .common import as_bool, get_image, patch_response
from .protection import refuse_deregister
from .snapshot_deletion import refusal, return_code


@patch_response("deregister_image")
def deregister_image(self) -> ActionResult:
    image_id = self._get_param("ImageId")
    delete_snaps = as_bool(self._get_param("DeleteAssociatedSnapshots", False))
    self.error_on_dryrun()
    backend = self.ec2_backend
    ami = get_image(backend, image_id)  # NotFound / Unavailable / Malformed
    refuse_deregister(ami)
    snap_ids = []
    for m in ami.block_device_mappings:
        sid = (m.get("Ebs") or {}).get("SnapshotId")
        if sid and sid not in snap_ids:
            snap_ids.append(sid)
    backend.deregister_image(image_id)
    result = {"Return": True}
    if delete_snaps:
        results = []
        for sid in snap_ids:
            snap = backend.snapshots.get(sid)
            if snap is None:
                results.append({"SnapshotId": sid, "ReturnCode": "client-error"})
                continue
            in_use = [
                a.id
                for a in backend.amis.values()
                if sid in {(m.get("Ebs") or {}).get("SnapshotId") for m in a.block_device_mappings}
            ]
            if in_use:
                results.append({"SnapshotId": sid, "ReturnCode": "skipped"})
                continue
            refused = refusal(sid, state.CTX.access_key_id)
            if refused is not None:
                results.append({"SnapshotId": sid, "ReturnCode": return_code(refused)})
                continue
            backend.snapshots.pop(sid, None)
            results.append({"SnapshotId": sid, "ReturnCode": "success"})
        result["DeleteSnapshotResults"] = results
    return ActionResult(result)
