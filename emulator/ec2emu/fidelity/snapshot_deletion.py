"""Snapshots that cannot be deleted (POST /_ec2emu/snapshot-rules).

A snapshot rule lists snapshot ids whose deletion fails with an EC2 error (by default
`UnauthorizedOperation`, "You are not authorized to perform this operation.", what EC2 answers
when an IAM policy denies ec2:DeleteSnapshot on them):

- DeleteSnapshot of such a snapshot → that error; the snapshot stays.
- DeregisterImage with DeleteAssociatedSnapshots deregisters the image, keeps the snapshot and
  reports it in `DeleteSnapshotResults` with ReturnCode `missing-permissions` for
  `UnauthorizedOperation`, `internal-error` for an `InternalError`/`Server.*` code, else
  `client-error` (the API reference's SnapshotReturnCodes).
- A rule with an access key id applies only to calls signed with that key.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore

from .. import state
from .errors import ec2_error


def refusal(snapshot_id: str, access_key_id: str | None) -> state.SnapshotRule | None:
    """The latest rule refusing to delete `snapshot_id` for this caller, or None."""
    with state.LOCK:
        rules = list(state.STORE.snapshot_rules)
    for r in reversed(rules):
        if snapshot_id in r.snapshot_ids and r.access_key_id in (None, access_key_id):
            return r
    return None


def return_code(rule: state.SnapshotRule) -> str:
    """DeleteSnapshotResults ReturnCode for a deletion refused by `rule`."""
    if rule.error_code == "UnauthorizedOperation":
        return "missing-permissions"
    if rule.error_code == "InternalError" or rule.error_code.startswith("Server."):
        return "internal-error"
    return "client-error"


_delete_snapshot = ElasticBlockStore.delete_snapshot


def delete_snapshot(self) -> ActionResult:
    sid = self._get_param("SnapshotId")
    rule = refusal(sid, state.CTX.access_key_id) if sid in self.ec2_backend.snapshots else None
    if rule is not None:
        self.error_on_dryrun()
        raise ec2_error(rule.error_code, rule.error_message)
    return _delete_snapshot(self)


ElasticBlockStore.delete_snapshot = delete_snapshot
