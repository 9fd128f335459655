"""The deal of accounts × regions over shards: complete, disjoint, balanced, and the same whatever the order
the accounts are listed in and whichever process computes it."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from pcicheck.collect.aws.shard import GLOBAL, Partition, Shard, Unit, account_regions, deal, fingerprint, work_units
from pcicheck.errors import InputError

ACCOUNTS = [f"{100000000000 + i * 7919:012d}" for i in range(100)]
REGIONS = ("us-east-1", "eu-west-2", "eu-central-1")


def test_every_unit_dealt_once_and_evenly() -> None:
    units = work_units(ACCOUNTS, REGIONS)
    assert len(units) == 100 * 4  # a global unit per account beside its regions
    shards = deal(units, 7)
    dealt = [u for s in shards for u in s]
    assert sorted(dealt) == units and len(set(dealt)) == len(units)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1
    # The global units are spread too, not dealt to one shard as round-robin over sorted names would.
    globals_per_shard = [sum(u.region == GLOBAL for u in s) for s in deal(units, 4)]
    assert min(globals_per_shard) >= 15, globals_per_shard


def test_the_listing_order_changes_nothing() -> None:
    shuffled = ACCOUNTS[:]
    random.Random(7).shuffle(shuffled)
    assert deal(work_units(shuffled, REGIONS[::-1]), 4) == deal(work_units(ACCOUNTS, REGIONS), 4)
    options = {"regions": list(REGIONS)}
    assert fingerprint(work_units(shuffled, REGIONS), 4, options) == fingerprint(
        work_units(ACCOUNTS, REGIONS), 4, options
    )


def test_another_process_deals_the_same() -> None:
    """No salted hash(): processes with different hash seeds agree on the deal and the fingerprint."""
    code = (
        "import json; from pcicheck.collect.aws.shard import work_units, deal, fingerprint\n"
        f"u = work_units({ACCOUNTS[:30]!r}, {REGIONS!r})\n"
        "print(json.dumps([[x.name for x in s] for s in deal(u, 4)] + [fingerprint(u, 4, {})]))"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.append(
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        )
    units = work_units(ACCOUNTS[:30], REGIONS)
    here = [[x.name for x in s] for s in deal(units, 4)] + [fingerprint(units, 4, {})]
    assert json.loads(outs[0]) == json.loads(outs[1]) == here


def test_the_fingerprint_names_the_partition() -> None:
    units = work_units(ACCOUNTS, REGIONS)
    base = fingerprint(units, 4, {"regions": list(REGIONS)})
    assert fingerprint(units[:-1], 4, {"regions": list(REGIONS)}) != base
    assert fingerprint(units, 5, {"regions": list(REGIONS)}) != base
    assert fingerprint(units, 4, {"regions": list(REGIONS), "services": ["s3"]}) != base
    assert fingerprint(units, 4, {"regions": list(REGIONS)}, version="0.0.0") != base


def test_each_account_runs_what_its_units_ask() -> None:
    units = [Unit("1", GLOBAL), Unit("1", "eu-west-2"), Unit("2", "us-east-1"), Unit("3", GLOBAL), Unit("4", "*")]
    assert account_regions(units) == {
        "1": (True, ("eu-west-2",)),
        "2": (False, ("us-east-1",)),
        "3": (True, ()),
        "4": (True, None),
    }
    assert work_units(["2", "1"], ()) == [Unit("1", "*"), Unit("2", "*")]
    partition = Partition(Shard(1, 2), tuple(work_units(["2", "1"], ())), ("2", "1"), {})
    assert partition.record()["units"] == [u.name for u in deal(partition.units, 2)[1]]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4/4", "less than N"),
        ("1", "not K/N"),
        ("$(JOB_COMPLETION_INDEX)/4", "not K/N"),
        ("-1/4", "not K/N"),
        ("0/0", "less than N"),
    ],
)
def test_bad_shard_values(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Shard.parse(value)
    assert Shard.parse(" 3/4 ") == Shard(3, 4)


def test_an_account_listed_twice_is_refused() -> None:
    with pytest.raises(InputError, match="listed twice"):
        work_units(["1", "2", "1"], REGIONS)
