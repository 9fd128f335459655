"""An organisation of 20 emulated accounts collected by 4 shard processes (`pcicheck collect --shard K/N`,
the real CLI, each given the accounts in its own order), merged, and evaluated once: the results equal a
single process's scan of the same accounts. And every way a merge can be handed the wrong shards is refused,
naming the file."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.demo.emulator import Emulator, patched_environ
from tests.support.comparable import comparable
from tests.support.org_estate import ORG_SERVICES, accounts_yaml, org_accounts, seed_organisation

SHARDS = 4
REGIONS = ("us-east-1",)
ACCOUNTS = org_accounts(20)


@dataclass(frozen=True)
class Org:
    tmp: Path
    env: dict[str, str]
    single: Path  # one process's snapshot of every account
    shards: list[Path]  # shard K at index K
    other: Path  # shard 1/4 of another account list
    thirds: Path  # shard 0/3 of that list


def _collect(env: dict[str, str], accounts: Path, output: str, *shard: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "pcicheck", "collect", "--aws", "--regions", ",".join(REGIONS)),
            *(
                "--accounts",
                str(accounts),
                "--services",
                ORG_SERVICES,
                "--allow-incomplete",
                "-q",
                "-o",
                output,
                *shard,
            ),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def org(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    tmp = tmp_path_factory.mktemp("org")
    emulator.reset()
    with patched_environ(emulator.env()):
        seed_organisation(emulator.endpoint, ACCOUNTS, REGIONS, users_and_buckets_every=4)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **emulator.env()}
    listed = tmp / "accounts.yaml"
    listed.write_text(accounts_yaml(ACCOUNTS))
    runs = [_collect(env, listed, str(tmp / "single.json.gz"))]
    for k in range(SHARDS):
        # Each shard reads the accounts in its own order (shard 0 in the single scan's): the deal must not care.
        mine = ACCOUNTS[:] if k == 0 else random.Random(k).sample(ACCOUNTS, len(ACCOUNTS))
        (tmp / f"accounts-{k}.yaml").write_text(accounts_yaml(mine))
        runs.append(_collect(env, tmp / f"accounts-{k}.yaml", f"{tmp}/shards/", "--shard", f"{k}/{SHARDS}"))
    few = tmp / "few.yaml"
    few.write_text(accounts_yaml(ACCOUNTS[:2]))
    runs.append(_collect(env, few, str(tmp / "other.json.gz"), "--shard", f"1/{SHARDS}"))
    runs.append(_collect(env, few, str(tmp / "thirds.json.gz"), "--shard", "0/3"))
    for run in runs:
        _, err = run.communicate(timeout=1200)
        assert run.returncode == 0, err
    shards = [tmp / "shards" / f"shard-{k:04d}-of-{SHARDS:04d}.json.gz" for k in range(SHARDS)]
    yield Org(tmp, env, tmp / "single.json.gz", shards, tmp / "other.json.gz", tmp / "thirds.json.gz")


def _results(snapshot: Path, out: Path) -> dict[str, Any]:
    main(["evaluate", str(snapshot), "--quiet", "--format", "json", "-o", str(out)])
    return json.loads(out.read_text())


def _doc(path: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()))


def test_shards_merged_evaluate_as_one_process(org: Org) -> None:
    merged = org.tmp / "merged.json.gz"
    assert main(["merge", str(org.tmp / "shards"), "-o", str(merged), "-q"]) == 0
    single, whole = _results(org.single, org.tmp / "single.json"), _results(merged, org.tmp / "merged.json")
    assert len(whole["results"]) > 500 and {r["resource"]["account"] for r in results_doc.results(whole)} >= set(
        ACCOUNTS
    )
    one, many = comparable(single), comparable(whole)
    s1, s2 = one.pop("snapshot"), many.pop("snapshot")
    assert many == one
    # The merged snapshot describes the same estate, with each shard's provenance beside it.
    partition = s2["request"]["aws"].pop("partition")
    assert s2["request"] == s1["request"] and s2["resources"] == s1["resources"]
    entries = s2["identity"]["aws"]["accounts"]
    read_by = [e.pop("shards") for e in entries]
    # An account's global unit and its region may fall to different shards: both read it, once each.
    assert any(len(shards) > 1 for shards in read_by) and all(read_by)
    assert s2["identity"] == s1["identity"]
    assert [s["index"] for s in partition["shards"]] == list(range(SHARDS)) and partition["count"] == SHARDS
    units = [u for s in partition["shards"] for u in s["units"]]
    assert sorted(units) == sorted(f"{a}/{r}" for a in ACCOUNTS for r in ("global", *REGIONS))
    assert all(s["resources"] > 0 for s in partition["shards"])


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["merge", *args, "-o", "/nonexistent/never-written.json", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_missing_shard(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, *map(str, org.shards[:2]), str(org.shards[3]))
    assert "shard 2/4 of partition sha256:" in err and "missing: 3 of 4 given" in err and str(org.shards[0]) in err


def test_missing_shard_in_a_folder_after_waiting(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    folder = org.tmp / "partial"
    folder.mkdir()
    for s in (org.shards[0], org.shards[2]):
        (folder / s.name).write_bytes(s.read_bytes())
    err = _refused(capsys, str(folder), "--wait", "0.3")
    assert "after 0.3 s, 2 shard snapshots missing" in err
    assert str(folder / "shard-0001-of-0004.json.gz") in err and str(folder / "shard-0003-of-0004.json.gz") in err


def test_duplicated_shard(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    copy = org.tmp / "copy-of-shard-1.json.gz"
    copy.write_bytes(org.shards[1].read_bytes())
    err = _refused(capsys, *map(str, org.shards), str(copy))
    assert err.startswith(f"pcicheck: error: {copy}: shard 1/4 is given twice (also {org.shards[1]})")


def test_shard_of_another_partition(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, str(org.shards[0]), str(org.other), *map(str, org.shards[2:]))
    assert f"{org.other}: shard 1/4 is of another partition" in err
    err = _refused(capsys, *map(str, org.shards), str(org.thirds))
    assert f"{org.thirds}: shard 0/3 is of a partition into 3 shards, {org.shards[0]} of 4" in err


def test_a_whole_snapshot_is_not_a_shard(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, str(org.single), *map(str, org.shards))
    assert f"{org.single}: not a shard snapshot" in err


def test_a_shard_alone_is_not_evaluated(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["evaluate", str(org.shards[2]), "-q"]) == 2
    assert f"{org.shards[2]}: this snapshot is shard 2/4 of one collection" in capsys.readouterr().err


def _edited(org: Org, index: int, name: str, edit: Any) -> list[str]:
    doc = _doc(org.shards[index])
    edit(doc)
    path = org.tmp / name
    path.write_text(json.dumps(doc))
    return [str(path) if k == index else str(s) for k, s in enumerate(org.shards)]


def test_overlapping_resources(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    stolen = _doc(org.shards[0])["resources"][0]
    paths = _edited(org, 2, "overlap.json", lambda d: d["resources"].append(stolen))
    err = _refused(capsys, *paths)
    assert f"{paths[2]}: resource {stolen['uid']} is in two shards (also {org.shards[0]})" in err


def test_edited_units(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    paths = _edited(org, 3, "units.json", lambda d: d["request"]["aws"]["shard"]["units"].pop())
    err = _refused(capsys, *paths)
    assert f"{paths[3]}: shard 3/4's units or options do not match its partition's fingerprint" in err


def test_collect_shard_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "s.json")
    cases = {
        ("--aws", "--shard", "4/4"): "K must be at least 0 and less than N",
        ("--aws", "--shard", "$(JOB_COMPLETION_INDEX)/4"): "is not K/N",
        ("--aws", "--manifests", str(tmp_path), "--shard", "0/2"): "--shard splits AWS accounts × regions only",
        ("--aws", "--services", "s3,nope"): "--services: 'nope' is not a collector pcicheck has",
    }
    for args, message in cases.items():
        capsys.readouterr()
        assert main(["collect", *args, "-o", out]) == 2
        assert message in capsys.readouterr().err


def test_one_account_sharded_by_region(org: Org) -> None:
    """Without --accounts, --shard splits one account's global collectors and regions."""
    role = f"arn:aws:iam::{ACCOUNTS[0]}:role/audit"
    base = [*(sys.executable, "-m", "pcicheck", "collect", "--aws", "--role-arn", role), "-q", "--allow-incomplete"]
    base += ["--regions", "us-east-1,eu-west-2", "--services", ORG_SERVICES]
    runs = [subprocess.Popen([*base, "-o", str(org.tmp / "one.json.gz")], env=org.env, stderr=subprocess.PIPE)]
    runs += [
        subprocess.Popen(
            [*base, "--shard", f"{k}/2", "-o", f"{org.tmp}/one-shards/"], env=org.env, stderr=subprocess.PIPE
        )
        for k in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    assert main(["merge", str(org.tmp / "one-shards"), "-o", str(org.tmp / "one-merged.json.gz"), "-q"]) == 0
    merged = _doc(org.tmp / "one-merged.json.gz")
    units = sorted(u for s in merged["request"]["aws"]["partition"]["shards"] for u in s["units"])
    assert units == [f"{ACCOUNTS[0]}/{r}" for r in ("eu-west-2", "global", "us-east-1")]
    one = comparable(_results(org.tmp / "one.json.gz", org.tmp / "one.json"))
    whole = comparable(_results(org.tmp / "one-merged.json.gz", org.tmp / "one-merged.json"))
    one.pop("snapshot"), whole.pop("snapshot")
    assert whole == one and {r["resource"]["account"] for r in results_doc.results(one)} == {ACCOUNTS[0]}
