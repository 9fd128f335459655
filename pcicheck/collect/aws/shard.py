"""One organisation-wide collection split over N processes: `pcicheck collect --shard K/N`.

The work is a list of units, one per (account, region) and one (account, "global") for the
collectors AWS serves from one region (IAM, S3's bucket list, CloudFront, …), so an account's
global resources are read exactly once whichever shards hold its regions. Without `--regions`
an account is one unit, (account, "*"): every region it has enabled, discovered by the shard
that holds it.

How units are dealt: sorted by the SHA-256 of their name, then round-robin (unit i to shard
i mod N). Sorting makes the deal independent of the order accounts are listed in and of the
process (no salted `hash()`); the digest order spreads each account's units over the shards
rather than dealing every account's "global" unit to the same shard, as plain round-robin over
the sorted names would when each account has N units; round-robin then gives every shard the
same number of units, give or take one, which a hash modulo N does not (for 400 units over 4
shards, a hash alone leaves shards about ±10 % apart).

Every shard records the partition's fingerprint: the digest of the whole sorted unit list, N,
the pcicheck version and the collection options. Shards of one run agree on it; `pcicheck merge`
refuses shards that do not, so a shard from another account list, version or run setting cannot
be joined in unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pcicheck import __version__
from pcicheck.errors import InputError

GLOBAL = "global"  # the unit of an account's global collectors
EVERY_REGION = "*"  # the unit of a whole account, when no --regions were given
PARTITION_METHOD = "sha256-ordered round-robin over (account, region) units"


@dataclass(frozen=True, order=True)
class Unit:
    account: str
    region: str  # a region name, GLOBAL, or EVERY_REGION

    @property
    def name(self) -> str:
        return f"{self.account}/{self.region}"

    @classmethod
    def parse(cls, value: Any) -> Unit:
        if not isinstance(value, str) or value.count("/") != 1:
            raise ValueError(f"not a work unit (ACCOUNT/REGION): {value!r}")
        account, region = value.split("/")
        return cls(account, region)


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`; indexes count from 0, as a Kubernetes Indexed Job's do."""

    index: int
    count: int

    @classmethod
    def parse(cls, value: str) -> Shard:
        fix = "--shard K/N with 0 <= K < N, e.g. --shard 0/4 (an Indexed Job passes $(JOB_COMPLETION_INDEX)/N)"
        index, slash, count = value.strip().partition("/")
        if not slash or not index.isdigit() or not count.isdigit():
            raise InputError(f"--shard {value!r} is not K/N", fix=fix)
        shard = cls(int(index), int(count))
        if shard.count < 1 or shard.index >= shard.count:
            raise InputError(f"--shard {value!r}: K must be at least 0 and less than N", fix=fix)
        return shard

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def work_units(accounts: Iterable[str], regions: Sequence[str]) -> list[Unit]:
    """Every unit of the collection, sorted by name."""
    listed = list(accounts)
    twice = sorted({a for a in listed if listed.count(a) > 1})
    if twice:
        raise InputError(
            f"account {twice[0]} is listed twice: a sharded collection reads each account once",
            fix="list each account once in --accounts",
        )
    per_account = [GLOBAL, *dict.fromkeys(regions)] if regions else [EVERY_REGION]
    return sorted(Unit(a, r) for a in listed for r in per_account)


def recorded_units(accounts: Iterable[str], regions_option: Sequence[str]) -> list[Unit]:
    """Every unit of a partition, from what each shard records: its accounts and its `regions` option."""
    return work_units(accounts, () if list(regions_option) == [EVERY_REGION] else regions_option)


def deal(units: Iterable[Unit], count: int) -> list[list[Unit]]:
    """The units of each shard (each list sorted by name)."""
    ordered = sorted(set(units), key=lambda u: (hashlib.sha256(u.name.encode()).hexdigest(), u.name))
    shards: list[list[Unit]] = [[] for _ in range(count)]
    for i, unit in enumerate(ordered):
        shards[i % count].append(unit)
    return [sorted(s) for s in shards]


def fingerprint(units: Iterable[Unit], count: int, options: Mapping[str, Any], version: str = __version__) -> str:
    """The partition's identity: what every shard of one run agrees on."""
    canonical = json.dumps(
        {
            "method": PARTITION_METHOD,
            "count": count,
            "version": version,
            "options": options,
            "units": [u.name for u in sorted(set(units))],
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Partition:
    """The whole deal, as one shard computed it; `record` is what its snapshot keeps."""

    shard: Shard
    units: tuple[Unit, ...]  # every unit, sorted
    accounts: tuple[str, ...]  # every account, in the order they were listed
    options: Mapping[str, Any]

    @property
    def mine(self) -> list[Unit]:
        return deal(self.units, self.shard.count)[self.shard.index]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.units, self.shard.count, self.options)

    def record(self) -> dict[str, Any]:
        return {
            "index": self.shard.index,
            "count": self.shard.count,
            "method": PARTITION_METHOD,
            "fingerprint": self.fingerprint,
            "units": [u.name for u in self.mine],
            "accounts": list(self.accounts),
            "options": dict(self.options),
        }


def account_regions(units: Iterable[Unit]) -> dict[str, tuple[bool, tuple[str, ...] | None]]:
    """Per account of `units`: whether its global collectors run here, and the regions its regional
    collectors read (None: every enabled region)."""
    plan: dict[str, tuple[bool, tuple[str, ...] | None]] = {}
    for u in sorted(units):
        has_global, regions = plan.get(u.account, (False, ()))
        if u.region == EVERY_REGION:
            plan[u.account] = (True, None)
        elif u.region == GLOBAL:
            plan[u.account] = (True, regions)
        elif regions is not None:
            plan[u.account] = (has_global, (*regions, u.region))
    return plan
