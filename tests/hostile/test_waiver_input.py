"""Defect class 11 (waivers): an impossible date (`expires: 2027-02-30`) gave "internal error", and
wrongly typed fields were turned into text (`uid: [arn]` became "['arn']", `ticket: true` became "True").
Every waiver field now has a checked type, a date is a real YYYY-MM-DD day, and any mistake is file:line,
exit 2, with nothing waived."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcicheck.cli import main
from pcicheck.errors import InputError
from pcicheck.waivers import load_waivers
from tests.hostile.test_params import KEY_UID, kms_snapshot  # noqa: F401 - the fixture is used by name

WAIVER = f"""\
waivers:
  - id: W-1
    control: aws-kms-key-rotation
    resource: {{uid: "{KEY_UID}"}}
    justification: the HSM bridge rotates on its own schedule
    approved_by: CISO
    ticket: RISK-1
    created: 2026-11-01
    expires: 2027-01-31
"""
STRICT = "params:\n  aws-kms-key-rotation: {max_days: 180}\n"  # the key fails: a waiver has something to waive


def run(capsys: pytest.CaptureFixture, tmp_path: Path, snapshot: Path, waivers: str) -> tuple[int, str, str | None]:
    """Evaluate with a waivers file: (exit, stderr, the key's status or None when nothing was judged)."""
    (tmp_path / "pcicheck.yaml").write_text(STRICT)
    (tmp_path / "w.yaml").write_text(waivers)
    out = tmp_path / "results.json"
    out.unlink(missing_ok=True)
    argv = [
        "evaluate",
        str(snapshot),
        "--config",
        str(tmp_path / "pcicheck.yaml"),
        "--waivers",
        str(tmp_path / "w.yaml"),
    ]
    code = main([*argv, "--format", "json", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    if not out.exists():
        return code, err, None
    results = json.loads(out.read_text())["results"]
    return code, err, next(r["status"] for r in results if r["control"] == "aws-kms-key-rotation")


def test_a_valid_waiver_waives_the_failing_key(
    capsys: pytest.CaptureFixture,
    tmp_path: Path,
    kms_snapshot: Path,  # noqa: F811
) -> None:
    assert run(capsys, tmp_path, kms_snapshot, WAIVER)[::2] == (0, "waived")


@pytest.mark.parametrize(
    "date",
    ["2027-02-30", "'2027-02-30'", '"2027-02-29"', "2027-13-01"],
)
def test_an_impossible_date_is_file_line_not_an_internal_error(
    capsys: pytest.CaptureFixture,
    tmp_path: Path,
    kms_snapshot: Path,  # noqa: F811
    date: str,
) -> None:
    # Unquoted, PyYAML builds the date while loading and raises a bare ValueError (no position); quoted, it
    # is text that looks like a date. Either way the same line is named.
    hostile = WAIVER.replace("expires: 2027-01-31", f"expires: {date}")
    code, err, status = run(capsys, tmp_path, kms_snapshot, hostile)
    assert (code, status) == (2, None)
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert f"{tmp_path / 'w.yaml'}:9: " in err and "is not a real date" in err
    assert "(use YYYY-MM-DD with a day that exists in that month)" in err
    assert main(["waivers", "validate", str(tmp_path / "w.yaml")]) == 2
    assert "w.yaml:9: " in capsys.readouterr().err


def test_an_impossible_date_in_pcicheck_yaml_names_its_line(
    capsys: pytest.CaptureFixture,
    tmp_path: Path,
    kms_snapshot: Path,  # noqa: F811
) -> None:
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text(STRICT + WAIVER.replace("expires: 2027-01-31", "expires: 2027-02-30"))
    code = main(["evaluate", str(kms_snapshot), "--config", str(cfg), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == (
        f"pcicheck: error: {cfg}:11: waiver 'expires' is not a real date: 2027-02-30 (day is out of range for month) "
        "(use YYYY-MM-DD with a day that exists in that month)"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("expires: 2027-01-31", "expires: [2027-01-31]", ":9: waiver 'expires' is not a date: a list"),
        (
            "expires: 2027-01-31",
            "expires: 2027-01-31T23:00:00",
            ":9: waiver 'expires' is not a date: '2027-01-31T23:00:00'",
        ),
        ("expires: 2027-01-31", "expires: '20270131'", ":9: waiver 'expires' is not a date: '20270131'"),
        ("expires: 2027-01-31", "expires: '2027-W05-1'", ":9: waiver 'expires' is not a date: '2027-W05-1'"),
        ("created: 2026-11-01", "created: 2026", ":8: waiver 'created' is not a date: a number"),
        ("created: 2026-11-01", "created:", ":8: waiver 'created' is not a date: empty"),
        (f'resource: {{uid: "{KEY_UID}"}}', f'resource: {{uid: ["{KEY_UID}"]}}', ":4: waiver 'resource.uid' must be"),
        (f'resource: {{uid: "{KEY_UID}"}}', "resource: {match: 5}", ":4: waiver 'resource.match' must be"),
        (f'resource: {{uid: "{KEY_UID}"}}', "resource: {tags: [team, batch]}", ":4: waiver 'resource.tags' must"),
        (f'resource: {{uid: "{KEY_UID}"}}', "resource: {tags: {team: [a, b]}}", ":4: waiver 'resource.tags' must"),
        (f'resource: {{uid: "{KEY_UID}"}}', "resource: {tags: {tier: 1}}", ":4: waiver 'resource.tags' must"),
        ("ticket: RISK-1", "ticket: true", ":7: waiver 'ticket' must be non-empty text, not true/false"),
        ("  - id: W-1", "  - id: [W-1]", ":2: waiver 'id' must be non-empty text, not a list"),
        ("control: aws-kms-key-rotation", "control: {id: x}", ":3: waiver 'control' must be non-empty text"),
    ],
)
def test_a_wrongly_typed_field_is_file_line_and_waives_nothing(
    capsys: pytest.CaptureFixture,
    tmp_path: Path,
    kms_snapshot: Path,  # noqa: F811
    old: str,
    new: str,
    expected: str,
) -> None:
    assert old in WAIVER
    code, err, status = run(capsys, tmp_path, kms_snapshot, WAIVER.replace(old, new))
    assert (code, status) == (2, None)
    assert f"{tmp_path / 'w.yaml'}{expected}" in err, err


def test_a_quoted_date_and_a_number_ticket_are_still_fine(
    capsys: pytest.CaptureFixture,
    tmp_path: Path,
    kms_snapshot: Path,  # noqa: F811
) -> None:
    """What a loader that keeps dates as text hands over, and ticket numbers, are not mistakes."""
    text = WAIVER.replace("expires: 2027-01-31", "expires: '2027-01-31'").replace("RISK-1", "1234")
    assert run(capsys, tmp_path, kms_snapshot, text)[::2] == (0, "waived")


_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
        st.dates().map(lambda d: d.isoformat()),
        st.just("2027-02-30"),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=4), inner, max_size=2)),
    max_leaves=4,
)
_FIELDS = ("id", "control", "resource", "justification", "approved_by", "ticket", "created", "expires", "kind")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=_VALUE, quoted=st.booleans())
def test_any_field_value_loads_or_is_file_line(tmp_path: Path, field: str, value: object, quoted: bool) -> None:
    """Whatever a field holds (YAML-built dates included, unquoted), the file loads or is one InputError with
    a line: never another exception, never a waiver whose fields are not what its type says."""
    item = yaml.safe_load(WAIVER)["waivers"][0]
    item[field] = value
    text = yaml.safe_dump({"waivers": [item]}, default_style='"' if quoted else None)
    if not quoted:
        text = text.replace("'2027-02-30'", "2027-02-30")  # let YAML try to build the impossible date
    path = tmp_path / "w.yaml"
    path.write_text(text)
    try:
        waivers = load_waivers(path)
    except InputError as exc:
        assert exc.path == str(path) and exc.line
        return
    w = waivers[0]
    assert all(isinstance(v, str) and v for v in (w.id, w.control, w.justification, w.approved_by, w.ticket))
    assert isinstance(w.created, dt.date) and isinstance(w.expires, dt.date) and w.created < w.expires
