"""Shard snapshots: where `collect --shard` writes one, and `pcicheck merge`, which joins a run's shards
into the one snapshot evaluation judges, so cross-account facts (peering, reachability, tenancy) see the
whole estate.

The merge refuses, naming the file: a file that is not a shard, shards of different partitions (N, or
the fingerprint: other accounts, regions, options or pcicheck version), a shard given twice, a shard
whose units are not its partition's, a missing shard, and a resource held by two shards. Each shard's
provenance (its units, time, caller identity, counts) is kept in `request.aws.partition.shards`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.collect.aws.shard import EVERY_REGION, PARTITION_METHOD, Unit, deal, fingerprint, recorded_units
from pcicheck.errors import InputError
from pcicheck.model import Snapshot
from pcicheck.objectstore import ObjectStore, is_s3_url, parse
from pcicheck.workflow.stored import read_snapshot_at, write_snapshot_at

_SHARD_FILE = re.compile(r"^shard-(\d+)-of-(\d+)\.json(?:\.gz)?$")
_SNAPSHOT_NAME = re.compile(r"\.json(?:\.gz)?$")
_MERGE_FIX = "merge the N shard snapshots of one `pcicheck collect --shard K/N` run"


def shard_file_name(index: int, count: int) -> str:
    return f"shard-{index:04d}-of-{count:04d}.json.gz"


def snapshot_target(destination: str, snapshot: Snapshot) -> str:
    """Where a snapshot goes: `destination` itself, or, for a folder (an existing one, or a name ending
    in '/'), a file in it named after the shard, so every shard of a Job can be given the same folder."""
    shard = (snapshot.request.get("aws") or {}).get("shard")
    folder = destination.endswith("/") or (not is_s3_url(destination) and Path(destination).is_dir())
    if not folder:
        return destination
    name = shard_file_name(shard["index"], shard["count"]) if isinstance(shard, dict) else "snapshot.json.gz"
    return destination.rstrip("/") + "/" + name


def deliver_snapshot(snapshot: Snapshot, destination: str, *, kms_key: str | None = None) -> str:
    """Write `snapshot` to `destination` (a path or an s3:// URL; a folder or a prefix ending in '/': see
    snapshot_target), in S3 encrypted with `kms_key` when given; where it went."""
    target = snapshot_target(destination, snapshot)
    write_snapshot_at(snapshot, target, kms_key=kms_key)
    return target


@dataclass(frozen=True)
class ShardFile:
    path: str
    snapshot: Snapshot
    index: int
    count: int
    fingerprint: str
    units: tuple[Unit, ...]
    accounts: tuple[str, ...]
    options: dict[str, Any]


def read_shard(path: str) -> ShardFile:
    snap = read_snapshot_at(path)
    record = (snap.request.get("aws") or {}).get("shard")
    if not isinstance(record, dict):
        raise InputError(
            "not a shard snapshot (it records no request.aws.shard)",
            path=str(path),
            fix="collect each shard with `pcicheck collect --aws --shard K/N`; evaluate a whole snapshot directly",
        )
    try:
        index, count, fp = record["index"], record["count"], record["fingerprint"]
        units = tuple(Unit.parse(u) for u in record["units"])
        accounts, options = record["accounts"], record["options"]
        if not (type(index) is int and type(count) is int and 0 <= index < count and isinstance(fp, str)):
            raise ValueError("index, count or fingerprint")
        if not (isinstance(accounts, list) and all(isinstance(a, str) for a in accounts) and isinstance(options, dict)):
            raise ValueError("accounts or options")
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"the shard record request.aws.shard is malformed ({exc})", path=str(path), fix="collect the shard again"
        ) from None
    return ShardFile(str(path), snap, index, count, fp, units, tuple(accounts), options)


def merge_shards(shards: Sequence[ShardFile]) -> Snapshot:
    """One snapshot of a whole partition; every refusal is an InputError naming the file."""
    if not shards:
        raise InputError("no shard snapshots to merge", fix=_MERGE_FIX)
    _check_partition(shards)
    ordered = sorted(shards, key=lambda s: s.index)
    _check_units(ordered)
    _check_disjoint(ordered)
    return _joined(ordered)


def _check_partition(shards: Sequence[ShardFile]) -> None:
    first = shards[0]
    seen: dict[int, ShardFile] = {}
    for s in shards:
        if s.count != first.count:
            raise InputError(
                f"shard {s.index}/{s.count} is of a partition into {s.count} shards, {first.path} of {first.count}",
                path=s.path,
                fix=_MERGE_FIX,
            )
        if s.fingerprint != first.fingerprint:
            raise InputError(
                f"shard {s.index}/{s.count} is of another partition ({s.fingerprint[:19]}…, {first.path} has "
                f"{first.fingerprint[:19]}…: other accounts, regions, options or pcicheck version)",
                path=s.path,
                fix=_MERGE_FIX,
            )
        if s.index in seen:
            raise InputError(
                f"shard {s.index}/{s.count} is given twice (also {seen[s.index].path})",
                path=s.path,
                fix="pass each shard once",
            )
        seen[s.index] = s
    missing = [f"{i}/{first.count}" for i in range(first.count) if i not in seen]
    if missing:
        raise InputError(
            f"shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} of partition {first.fingerprint[:19]}… "
            f"missing: {len(seen)} of {first.count} given",
            path=first.path,
            fix="wait for the missing shards to finish (or collect them again with --shard K/N) and merge all of them",
        )


def _check_units(ordered: Sequence[ShardFile]) -> None:
    """Each shard holds its deal of the partition its record describes (every shard records the whole
    account list and options), and that partition is the one its fingerprint names."""
    for s in ordered:
        try:
            every = recorded_units(s.accounts, s.options.get("regions") or [])
        except InputError as exc:
            raise InputError(exc.message, path=s.path, fix="collect the shard again") from None
        claimed = fingerprint(every, s.count, s.options, version=s.snapshot.tool_version)
        if claimed != s.fingerprint or list(s.units) != deal(every, s.count)[s.index]:
            raise InputError(
                f"shard {s.index}/{s.count}'s units or options do not match its partition's fingerprint",
                path=s.path,
                fix="collect the shard again: the file was edited, or comes from another pcicheck",
            )


def _check_disjoint(ordered: Sequence[ShardFile]) -> None:
    held: dict[str, str] = {}
    for s in ordered:
        for r in s.snapshot.resources:
            if r.uid in held:
                raise InputError(
                    f"resource {r.uid} is in two shards (also {held[r.uid]})",
                    path=s.path,
                    fix="shards of one partition never share a resource: collect both shards again",
                )
            held[r.uid] = s.path


def _account_entries(ordered: Sequence[ShardFile], accounts: Sequence[str]) -> list[dict[str, Any]]:
    """One identity entry per account, in the order the accounts were listed; an account that a shard
    could not read keeps that shard's error (fail closed), and every entry names the shards that read it."""
    entries: dict[str, dict[str, Any]] = {}
    shards_of: dict[str, list[int]] = {}
    for s in ordered:
        for entry in s.snapshot.identity.get("aws", {}).get("accounts", []):
            account = str(entry.get("account", ""))
            shards_of.setdefault(account, []).append(s.index)
            if account not in entries or ("error" in entry and "error" not in entries[account]):
                entries[account] = dict(entry)
    return [{**entries[a], "shards": shards_of[a]} for a in accounts if a in entries]


def _joined(ordered: Sequence[ShardFile]) -> Snapshot:
    first = ordered[0]
    accounts = list(first.accounts)
    requests = [s.snapshot.request.get("aws") or {} for s in ordered]
    if first.options.get("regions") == [EVERY_REGION]:
        regions = sorted({r for q in requests for r in q.get("regions", [])})
    else:
        regions = list(first.options.get("regions") or [])
    calls: dict[str, int] = {}
    for s in ordered:
        for k, v in s.snapshot.calls.items():
            calls[k] = calls.get(k, 0) + v
    # An account no shard could assume is reported by every shard holding a unit of it: once is enough.
    errors = sorted(
        dict.fromkeys(e for s in ordered for e in s.snapshot.errors),
        key=lambda e: (e.account, e.region, e.service, e.resource_uid or "", e.operation),
    )
    caller = first.snapshot.identity.get("aws") or {}  # the keys in the order a single collection writes them
    entries = _account_entries(ordered, accounts)
    return Snapshot(
        tool_version=first.snapshot.tool_version,
        created_at=min(s.snapshot.created_at for s in ordered),
        request={
            "providers": ["aws"],
            "aws": {
                "profile": requests[0].get("profile"),
                "regions": regions,
                "services": sorted({n for q in requests for n in q.get("services", [])}),
                "accounts": [e["account"] for e in entries],
                "partition": {
                    "method": PARTITION_METHOD,
                    "count": first.count,
                    "fingerprint": first.fingerprint,
                    "options": first.options,
                    "shards": [_provenance(s) for s in ordered],
                },
            },
        },
        identity={"aws": {**caller, "account": ", ".join(e["account"] for e in entries), "accounts": entries}},
        resources=tuple(sorted((r for s in ordered for r in s.snapshot.resources), key=lambda r: r.uid)),
        errors=tuple(errors),
        calls=calls,
    )


def _provenance(s: ShardFile) -> dict[str, Any]:
    identity = s.snapshot.identity.get("aws") or {}
    return {
        "index": s.index,
        "file": Path(s.path).name,
        "created_at": s.snapshot.created_at,
        "tool_version": s.snapshot.tool_version,
        "units": [u.name for u in s.units],
        "caller": {k: v for k, v in identity.items() if k not in ("account", "accounts")},
        "resources": len(s.snapshot.resources),
        "errors": len(s.snapshot.errors),
        "error_accounts": sorted({e.account for e in s.snapshot.errors}),
    }


def shard_paths(
    inputs: Sequence[str],
    *,
    wait: float = 0.0,
    poll: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """The files and S3 objects to merge: each input file or object, and each folder's or S3 prefix's
    shard-K-of-N snapshots. With `wait`, a folder or prefix is polled until it holds a snapshot for every
    shard its names count (N), for at most `wait` seconds; then the missing shards are an error naming them.
    An s3:// input is one object when its name ends in .json or .json.gz, else a prefix."""
    store = ObjectStore() if any(is_s3_url(i) for i in inputs) else None
    deadline = clock() + wait
    while True:
        found, missing = _listed(inputs, store)
        if not missing or clock() >= deadline:
            break
        sleep(min(poll, max(0.0, deadline - clock())))
    if missing:
        raise InputError(
            f"after {wait:g} s, {len(missing)} shard snapshot{'s' if len(missing) > 1 else ''} missing: "
            + ", ".join(missing[:8])
            + (f" and {len(missing) - 8} more" if len(missing) > 8 else ""),
            path=inputs[0] if len(inputs) == 1 else None,
            fix="see why those shards failed (kubectl logs job/pcicheck-org-scan-collect), or wait longer with --wait",
        )
    return found


def _listed(inputs: Sequence[str], store: ObjectStore | None) -> tuple[list[str], list[str]]:
    """Snapshots found, and (for folders and prefixes) the shard snapshots still missing, by name."""
    found: list[str] = []
    missing: list[str] = []
    for given in inputs:
        if is_s3_url(given) and store is not None and not _SNAPSHOT_NAME.search(given):
            where = parse(given)
            _shards_in([o.name for o in store.children(where)[1]], where.url(), found, missing)
        elif not is_s3_url(given) and Path(given).is_dir():
            _shards_in([p.name for p in Path(given).iterdir()], f"{Path(given)}/", found, missing)
        else:
            found.append(given)
    return found, missing


def _shards_in(names: Sequence[str], base: str, found: list[str], missing: list[str]) -> None:
    """The shard snapshots among the `names` in a folder or prefix (`base`, ending in '/'), and those their
    names count that are absent."""
    named = {m: n for n in sorted(names) if (m := _SHARD_FILE.match(n))}
    found.extend(base + n for n in named.values())
    counts = {int(m.group(2)) for m in named}
    if not counts:
        missing.append(f"{base}shard-K-of-N.json.gz (none yet)")
        return
    have = {int(m.group(1)) for m in named}
    missing.extend(base + shard_file_name(i, n) for n in sorted(counts) for i in range(n) if i not in have)


def merge_files(sources: Sequence[str]) -> Snapshot:
    """Merge the shard snapshots at these paths and s3:// URLs."""
    return merge_shards([read_shard(p) for p in sources])
