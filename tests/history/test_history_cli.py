"""`pcicheck history` over four real packs (supported, failing, fixed, then a three-day gap): status over
time, first failed, fixed, time to remediate, the gap and "continuously supported since", for a control,
its requirements in both frameworks and their testing procedures; every pack verified (and its signature
checked) first, and a pack that fails verification refused by name."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pcicheck.cli import main
from tests.history.conftest import CONTROL, Packs

DAYS = ["2026-11-01T02:00:00Z", "2026-11-02T02:05:00Z", "2026-11-03T01:58:00Z", "2026-11-06T02:00:00Z"]


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def subject(items: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(i for i in items if i["id"] == sid)


def requirement(doc: dict[str, Any], framework: str, rid: str) -> dict[str, Any]:
    fw = next(f for f in doc["frameworks"] if f["id"] == framework)
    return subject(fw["requirements"], rid)


def test_history_of_a_failure_its_fix_and_a_gap(history_packs: Packs, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "history"
    code, err = run(
        capsys, "history", str(history_packs.folder), "--out", str(out), "--pub-key", str(history_packs.public_key)
    )
    assert code == 0, err
    assert f"history of 4 scans (1 gaps) from {history_packs.folder}: 3 files in {out}" in err
    doc = json.loads((out / "history.json").read_text())
    assert doc["schema"] == "pcicheck/history/v1" and doc["as_of"] == DAYS[-1]
    assert [s["at"] for s in doc["scans"]] == DAYS  # by the time observed, not by the packs' names
    assert [Path(s["pack"]).name for s in doc["scans"]] == ["monday", "a-tuesday.zip", "wednesday", "0-saturday"]
    assert all(s["signature_checked"] for s in doc["scans"]) and doc["estates"] == 1
    assert doc["gaps"] == [{"after": DAYS[2], "before": DAYS[3], "hours": 72.03}]
    assert [s["after_gap"] for s in doc["scans"]] == [False, False, False, True]

    control = subject(doc["controls"], CONTROL)
    assert control["statuses"] == ["pass", "fail", "pass", "pass"]
    assert control["first_failed"] == DAYS[1] and control["fixed"] == [DAYS[2]] and not control["failing_now"]
    assert control["episodes"] == [
        {"failed": DAYS[1], "fixed": DAYS[2], "fixed_as": "pass", "hours_to_remediate": 23.88}
    ]
    # Supported on 1, 3 and 6 Nov, but the gap before 6 Nov breaks the run: no scan, no evidence.
    assert control["continuously_supported_since"] == DAYS[3]

    for framework, rid, pid in (("pci-dss-4.0.1", "2.2.4", "2.2.4.b"), ("pci-dss-3.2.1", "2.2.5", "2.2.5.a")):
        q = requirement(doc, framework, rid)
        assert q["statuses"] == [
            "automated_checks_pass",
            "not_in_place",
            "automated_checks_pass",
            "automated_checks_pass",
        ]
        assert q["first_failed"] == DAYS[1] and q["fixed"] == [DAYS[2]]
        assert q["episodes"][0]["hours_to_remediate"] == 23.88
        assert q["continuously_supported_since"] == DAYS[3]
        p = subject(q["procedures"], pid)
        assert p["statuses"] == ["supported", "not_in_place", "supported", "supported"] and p["fixed"] == [DAYS[2]]
    manual = requirement(doc, "pci-dss-4.0.1", "12.1.1")
    assert set(manual["statuses"]) == {"manual"} and manual["first_failed"] is None
    assert manual["continuously_supported_since"] is None

    [finding] = [f for f in doc["findings"] if f["control"] == CONTROL]
    assert finding["resource"] == "k8s://manifests/payments/Pod/tokenizer-0" and finding["id"].startswith("EV-")
    assert finding["statuses"] == ["pass", "fail", "pass", "pass"] and finding["fixed"] == [DAYS[2]]

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "pcicheck/history" and len(manifest["packs"]) == 4
    assert {f["path"] for f in manifest["files"]} == {"history.json", "index.html"}
    code, err = run(capsys, "verify", str(out))
    assert code == 0 and "2 files match manifest.json" in err


def test_the_gap_is_interval_plus_grace(history_packs: Packs, tmp_path: Path, capsys: Any) -> None:
    # 3 Nov 01:58 to 6 Nov 02:00 is 72h 2m: more than 2d + its default grace of 1d, within 2d + 1d1h.
    code, err = run(capsys, "history", str(history_packs.folder), "--out", str(tmp_path / "a"), "--interval", "2d")
    assert code == 0, err
    doc = json.loads((tmp_path / "a" / "history.json").read_text())
    assert doc["interval_hours"] == 48 and doc["grace_hours"] == 24 and len(doc["gaps"]) == 1
    args = ["--interval", "2d", "--grace", "1d1h"]
    code, err = run(capsys, "history", str(history_packs.folder), "--out", str(tmp_path / "h"), *args)
    assert code == 0, err
    doc = json.loads((tmp_path / "h" / "history.json").read_text())
    assert doc["gaps"] == [] and doc["grace_hours"] == 25
    assert subject(doc["controls"], CONTROL)["continuously_supported_since"] == DAYS[2]
    assert not any(s["signature_checked"] for s in doc["scans"])  # no --pub-key: nothing checked


def test_a_tampered_pack_is_refused_by_name(packs_copy: Path, tmp_path: Path, capsys: Any) -> None:
    page = packs_copy / "wednesday" / "results.json"
    doc = json.loads(page.read_text())
    doc["results"] = [dict(r, status="pass") for r in doc["results"]]  # rewrite history: never failed
    page.write_text(json.dumps(doc))
    out = tmp_path / "history"
    code, err = run(capsys, "history", str(packs_copy), "--out", str(out))
    assert code == 2 and err.count("\n") == 1
    assert f"{packs_copy / 'wednesday'}: refused: fails verification: results.json: changed (SHA-256 differs" in err
    assert not out.exists()


def test_a_tampered_zip_pack_is_refused(packs_copy: Path, tmp_path: Path, capsys: Any) -> None:
    zipped = packs_copy / "a-tuesday.zip"
    with zipfile.ZipFile(zipped, "a") as z:
        z.writestr("extra.txt", "planted")
    code, err = run(capsys, "history", str(packs_copy), "--out", str(tmp_path / "h"))
    assert code == 2 and f"{zipped}: refused: fails verification: extra.txt: added (not in the manifest)" in err


def test_signatures_are_checked_when_a_key_is_given(
    history_packs: Packs, packs_copy: Path, tmp_path: Path, capsys: Any
) -> None:
    code, err = run(
        capsys, "history", str(packs_copy), "--out", str(tmp_path / "a"), "--pub-key", str(history_packs.other_key)
    )
    assert code == 2 and "refused: fails verification: manifest.sig: does not match manifest.json under this key" in err
    (packs_copy / "monday" / "manifest.sig").unlink()
    code, err = run(
        capsys, "history", str(packs_copy), "--out", str(tmp_path / "b"), "--pub-key", str(history_packs.public_key),
        "--require-signature",
    )  # fmt: skip
    assert code == 2 and f"{packs_copy / 'monday'}: refused: fails verification: manifest.sig: missing" in err
    code, err = run(capsys, "history", str(packs_copy), "--out", str(tmp_path / "c"), "--require-signature")
    assert code == 2 and "refused: fails verification: manifest.sig present but not checked: pass --pub-key" in err


def test_a_history_pack_and_stray_files_in_the_source_are_skipped(packs_copy: Path, capsys: Any) -> None:
    assert run(capsys, "history", str(packs_copy), "--out", str(packs_copy / "history"))[0] == 0
    (packs_copy / "README.txt").write_text("daily packs")
    code, err = run(capsys, "history", str(packs_copy), "--out", str(packs_copy.parent / "again"))
    assert code == 0, err
    assert f"{packs_copy / 'history'}: skipped: a history pack, not a scan's" in err
    assert f"{packs_copy / 'README.txt'}: skipped: not a pack (neither a directory nor a .zip)" in err
    assert len(json.loads((packs_copy.parent / "again" / "history.json").read_text())["scans"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "daily"], "--interval 'daily' is not a duration (write a duration such as 1d"),
        (["--interval", "0d"], "--interval '0d' is not longer than zero"),
        (["--grace", "1x"], "--grace '1x' is not a duration"),
    ],
)
def test_a_bad_interval_is_one_line(
    history_packs: Packs, tmp_path: Path, capsys: Any, args: list[str], message: str
) -> None:
    code, err = run(capsys, "history", str(history_packs.folder), "--out", str(tmp_path / "h"), *args)
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_source_without_packs_is_one_line(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "empty").mkdir()
    code, err = run(capsys, "history", str(tmp_path / "empty"), "--out", str(tmp_path / "h"))
    assert code == 2 and f"{tmp_path / 'empty'}: holds no evidence pack" in err
    code, err = run(capsys, "history", str(tmp_path / "missing"), "--out", str(tmp_path / "h"))
    assert code == 2 and f"{tmp_path / 'missing'}: cannot read: No such file or directory" in err


def test_a_signed_history_pack_as_one_zip(history_packs: Packs, tmp_path: Path, capsys: Any) -> None:
    args = ["--out", str(tmp_path / "history"), "--zip", "--sign-key", str(history_packs.private_key)]
    code, err = run(capsys, "history", str(history_packs.folder), *args)
    assert code == 0 and err.endswith(f": 4 files in {tmp_path / 'history.zip'}\n"), err
    with zipfile.ZipFile(tmp_path / "history.zip") as z:
        assert sorted(z.namelist()) == ["history.json", "index.html", "manifest.json", "manifest.sig"]
    code, err = run(capsys, "verify", str(tmp_path / "history.zip"), "--pub-key", str(history_packs.public_key))
    assert code == 0 and "2 files match signed manifest.json" in err
