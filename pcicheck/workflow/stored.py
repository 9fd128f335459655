"""Snapshots kept at a path or at an s3:// URL: where collect and merge write one, and where merge and
evaluate read one. S3 goes through objectstore.py (its one home); the bytes are read and checked by
snapshot.py, to the same limit as a file (MAX_DOCUMENT_BYTES), so an object is refused as a file is."""

from __future__ import annotations

from pathlib import Path

from pcicheck.errors import InputError
from pcicheck.inputfile import MAX_DOCUMENT_BYTES, read_bounded
from pcicheck.model import Snapshot
from pcicheck.objectstore import ObjectStore, is_s3_url, parse, parse_object
from pcicheck.snapshot import read_snapshot_bytes, snapshot_bytes, write_snapshot

SNAPSHOT_FIX = "write it as s3://bucket/prefix/NAME.json.gz, or s3://bucket/prefix/ for a shard"


def check_destination(destination: str, kms_key: str | None) -> None:
    """Refuse, before any collection, an s3:// URL that is not one, and a KMS key for a local file."""
    if is_s3_url(destination):
        # A prefix (ending in '/') takes a file named after the shard; anything else must name an object.
        if destination.endswith("/"):
            parse(destination)
        else:
            parse_object(destination)
    elif kms_key is not None:
        raise InputError(
            "--out-kms-key applies to a snapshot written to S3", path=destination, fix="pass -o s3://bucket/prefix/"
        )


def write_snapshot_at(snapshot: Snapshot, target: str, *, kms_key: str | None = None) -> None:
    """Write `snapshot` to the file or S3 object `target` (gzipped when its name ends in .gz); in S3,
    encrypted with `kms_key` when given (SSE-KMS), else by the bucket's default encryption."""
    if not is_s3_url(target):
        check_destination(target, kms_key)
        write_snapshot(snapshot, Path(target))
        return
    where, name = parse_object(target)
    data = snapshot_bytes(snapshot, compress=name.endswith(".gz"))
    ObjectStore().put(where, name, data, kms_key=kms_key)


def read_snapshot_at(source: str, *, limit: int = MAX_DOCUMENT_BYTES) -> Snapshot:
    """The snapshot in the file or S3 object `source`, refused past `limit` bytes as stored."""
    if is_s3_url(source):
        where, name = parse_object(source)
        raw = ObjectStore().get(where, name, limit, what="snapshot")
    else:
        raw = read_bounded(Path(source), limit, what="snapshot")
    return read_snapshot_bytes(raw, source)
