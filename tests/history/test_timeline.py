"""The timeline rules on hand-made series: when a failure opens and is fixed (an unjudged or missing scan
leaves it open, a waiver ends it and says so), where a gap starts (interval + grace, to the second), and
what breaks "continuously supported". Also the durations --interval takes, and the one reader of results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pcicheck.errors import InputError
from pcicheck.history.period import parse_duration, show_duration
from pcicheck.history.read import ControlScan, ResultView, Scan, estate_of, results_of, scan_of
from pcicheck.history.timeline import compute

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def scan(at: datetime, statuses: dict[str, str]) -> Scan:
    controls = {cid: ControlScan(status, {status: 1}, (), frozenset()) for cid, status in statuses.items()}
    return Scan(
        pack=at.isoformat(), at=at, finished_at="", manifest_sha256="0" * 64, signed=False, tool_version="t",
        identity={}, estate="", frameworks={}, requirements={}, requirement_titles={}, procedures={},
        procedure_titles={}, controls=controls, control_titles={cid: (cid, "high") for cid in statuses},
    )  # fmt: skip


def series(*statuses: str | None, every: timedelta = DAY) -> list[Scan]:
    return [scan(T0 + every * n, {} if s is None else {"c": s}) for n, s in enumerate(statuses)]


def test_an_unjudged_or_missing_scan_leaves_a_failure_open() -> None:
    c = compute(series("pass", "fail", "error", None, "pass"), DAY).controls[0]
    assert c.statuses == ("pass", "fail", "error", None, "pass")
    [episode] = c.episodes
    assert (episode.failed, episode.fixed, episode.fixed_as) == (T0 + DAY, T0 + 4 * DAY, "pass")
    assert episode.remediation == 3 * DAY and not c.failing_now


def test_a_waiver_ends_a_failure_and_says_so() -> None:
    [episode] = compute(series("fail", "waived"), DAY).controls[0].episodes
    assert episode.fixed == T0 + DAY and episode.fixed_as == "waived"


def test_two_failures_and_one_still_open() -> None:
    c = compute(series("fail", "pass", "fail", "fail"), DAY).controls[0]
    assert [(e.failed, e.fixed) for e in c.episodes] == [(T0, T0 + DAY), (T0 + 2 * DAY, None)]
    assert c.first_failed == T0 and c.last_fixed == T0 + DAY and c.failing_now
    assert c.episodes[-1].remediation is None and c.supported_since is None


def test_supported_since_is_broken_by_any_other_status() -> None:
    assert compute(series("pass", "not_applicable", "pass", "pass"), DAY).controls[0].supported_since == T0 + 2 * DAY
    assert compute(series("pass", "pass", "pass"), DAY).controls[0].supported_since == T0
    assert compute(series("pass", "pass", "error"), DAY).controls[0].supported_since is None


def test_a_gap_is_more_than_interval_plus_grace_to_the_second() -> None:
    grace = timedelta(hours=12)
    on_time = [scan(T0, {"c": "pass"}), scan(T0 + DAY + grace, {"c": "pass"})]
    h = compute(on_time, DAY)
    assert h.gaps == () and h.controls[0].supported_since == T0
    late = [scan(T0, {"c": "pass"}), scan(T0 + DAY + grace + timedelta(seconds=1), {"c": "pass"})]
    h = compute(late, DAY)
    assert [g.length for g in h.gaps] == [DAY + grace + timedelta(seconds=1)] and h.late == (False, True)
    assert h.controls[0].supported_since == late[1].at
    assert compute(late, DAY, timedelta(hours=13)).gaps == ()


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("1d", DAY),
        ("12h", timedelta(hours=12)),
        ("1w", 7 * DAY),
        ("1d12h", timedelta(hours=36)),
        ("90M", timedelta(minutes=90)),
    ],
)
def test_durations(text: str, length: timedelta) -> None:
    assert parse_duration(text, option="--interval") == length


@pytest.mark.parametrize("text", ["", "d", "1", "1.5d", "1y", "-1d", "1d 2h", "0h"])
def test_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_duration(text, option="--interval")
    assert str(caught.value).startswith(f"--interval {text!r} is not")


def test_durations_are_shown_in_days_and_hours() -> None:
    shown = [show_duration(t) for t in (3 * DAY + timedelta(hours=4), 2 * DAY, timedelta(hours=23, minutes=53))]
    assert shown == ["3d 4h", "2d", "23h 53m"]
    assert show_duration(timedelta(minutes=40)) == "40m"


def test_an_estate_is_what_was_observed_not_who_looked() -> None:
    role = {"account": "123456789012", "user_id": "AROA****:botocore-session-1"}
    one = estate_of({"aws": {**role, "arn": "arn:aws:sts::123456789012:assumed-role/pcicheck/botocore-session-1"}})
    two = estate_of({"aws": {**role, "arn": "arn:aws:sts::123456789012:assumed-role/pcicheck/botocore-session-2"}})
    assert one == two == "aws(account=123456789012)"
    cluster = {"cluster": "prod", "server": "https://k8s.example", "user": "a", "version": "v1.30"}
    assert estate_of({"k8s": cluster}) == "k8s(cluster=prod, server=https://k8s.example)"
    assert estate_of({"k8s": {**cluster, "version": "v1.31"}}) == estate_of({"k8s": cluster})
    assert estate_of({"k8s": {**cluster, "cluster": "staging"}}) != estate_of({"k8s": cluster})


def test_results_are_read_with_an_embedded_resource_or_its_uid() -> None:
    v1 = {
        "schema": "pcicheck/results/v1",
        "results": [
            {"id": "EV-1", "control": "c", "status": "fail", "resource": {"uid": "arn:1", "name": "x"}},
            {"id": "EV-2", "control": "c", "status": "error", "resource": {"uid": "arn:2"}},
        ],
    }
    v2 = {
        "schema": "pcicheck/results/v2",
        "resources": {"arn:1": {"name": "x"}, "arn:2": {}},
        "results": [
            {"id": "EV-1", "control": "c", "status": "fail", "resource": "arn:1"},
            {"id": "EV-2", "control": "c", "status": "error", "resource": "arn:2"},
        ],
    }
    expected = [ResultView("c", "fail", "EV-1", "arn:1"), ResultView("c", "error", "EV-2", "arn:2")]
    assert list(results_of(v1)) == expected
    assert list(results_of(v2)) == expected
    doc = v2
    full = {
        **doc,
        "framework": {"id": "fw", "title": "FW"},
        "requirements": [],
        "controls": [{"id": "c", "title": "C", "severity": "high"}, {"id": "idle", "title": "I", "severity": "low"}],
        "started_at": "2026-11-01T02:00:00Z",
    }
    s = scan_of(full, "pack", "0" * 64, False)
    assert s.controls["c"] == ControlScan("fail", {"error": 1, "fail": 1}, (("EV-1", "arn:1"),), frozenset({"EV-2"}))
    assert s.controls["idle"].status == "not_applicable" and s.at == T0
