"""DeleteSnapshot of a snapshot that is still `pending` → `IncorrectState`.

While a copy runs, its new snapshots are `pending` with a `Progress` (lifecycle.py). EC2 does
not delete a snapshot whose creation is still under way: DeleteSnapshot answers the client error
`IncorrectState` (HTTP 400), saying the snapshot is in the pending state, and the snapshot stays.
Stock moto would answer `InvalidSnapshot.InUse` here (the pending copy uses the snapshot), and
would delete it outright once the image is deregistered, copy still running.

Once the copy is over (snapshot `completed`, or `error` for a failed copy) the usual rules apply:
`InvalidSnapshot.InUse` while a registered image uses the snapshot, else it is deleted.

The check sits in the model (EBSBackend.delete_snapshot), so the response-level checks run
first: DryRun, and a snapshot rule's refusal (snapshot_deletion.py: an IAM deny is decided
before the snapshot's state is looked at). DeregisterImage `DeleteAssociatedSnapshots`
(deregister.py) is not affected.
"""

from __future__ import annotations

from moto.ec2.models.elastic_block_store import EBSBackend

from .errors import ec2_error

_orig_delete_snapshot = EBSBackend.delete_snapshot


def _delete_snapshot(self, snapshot_id: str):
    snap = self.snapshots.get(snapshot_id)
    if snap is not None and snap.status == "pending":  # Snapshot State
        raise ec2_error(
            "IncorrectState",
            f"The snapshot '{snapshot_id}' is in the pending state and cannot be deleted "
            "until it has completed.",
        )
    return _orig_delete_snapshot(self, snapshot_id)


EBSBackend.delete_snapshot = _delete_snapshot
