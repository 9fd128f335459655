"""CLI behaviour without AWS: usage errors, bad inputs and the controls commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcicheck.cli import main


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_unknown_flag_is_one_line_and_exit_2(capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "scan", "--zzzz")
    assert code == 2
    assert err.strip().splitlines() == ["pcicheck: error: No such option: --zzzz (see `pcicheck scan --help`)"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["scan"], "nothing to scan (pass --aws, --k8s and/or --manifests PATH)"),
        (["scan", "--aws", "--regions", "mars"], "'mars' is not a region name"),
        (["scan", "--aws", "--fail-on", "huge"], "Invalid value for '--fail-on'"),
        (["evaluate", "/nonexistent/snap.json"], "/nonexistent/snap.json: snapshot not found"),
        (["controls", "show", "no-such-control"], "no control with id 'no-such-control'"),
        (["controls", "list", "--domain", "crypto"], "unknown domain 'crypto'"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture, argv: list[str], expected: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert expected in err


def test_corrupt_snapshot(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "s.json.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    code, _, err = run(capsys, "evaluate", str(tmp_path / "s.json.gz"))
    assert code == 2
    assert err.strip() == (
        f"pcicheck: error: {tmp_path / 's.json.gz'}: snapshot is a truncated or corrupt gzip file (collect it again)"
    )


def test_broken_user_control_stops_the_scan_with_file_and_line(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("id: mine\ntitle: [oops\n")
    code, _, err = run(capsys, "scan", "--aws", "--controls", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'mine.yaml'}:3: invalid YAML" in err


def test_controls_validate_reports_every_problem(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n")
    (tmp_path / "b.yaml").write_text("id: b\ntitle: t\n")
    code, _, err = run(capsys, "controls", "validate", str(tmp_path))
    assert code == 2
    assert len(err.strip().splitlines()) == 2


def test_controls_list_json_and_filters(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "controls", "list", "--format", "json")
    everything = json.loads(out)
    assert code == 0 and len(everything) >= 35
    code, out, _ = run(capsys, "controls", "list", "--format", "json", "--domain", "key-management")
    assert {c["domain"] for c in json.loads(out)} == {"key-management"}
    code, out, _ = run(capsys, "controls", "list", "--format", "json", "--requirement", "3.6")
    assert "aws-kms-key-rotation" in {c["id"] for c in json.loads(out)}
    code, out, _ = run(
        capsys,
        "controls",
        "list",
        "--format",
        "json",
        "--resource",
        "aws.kms.key",
        "--framework",
        "pci-dss-4.0.1",
        "--requirement",
        "3.7.4",
    )
    assert [c["id"] for c in json.loads(out)] == ["aws-kms-key-rotation"]


def test_controls_show_and_test(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "controls", "show", "aws-kms-key-rotation")
    assert code == 0 and "assert: " in out and "requirements pci-dss-4.0.1: 3.7.4" in out
    code, _, err = run(capsys, "controls", "test")
    assert code == 0 and " passed, 0 failed" in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "scan", "--help")
    assert code == 0 and "3 scan incomplete" in " ".join(out.split())


def test_demo_without_the_emulator_says_how(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "moto.server", None)  # as if pcicheck[demo] were not installed
    code, _, err = run(capsys, "demo", "--quiet")
    assert code == 2
    assert "the AWS emulator (moto) is not installed (install the demo extra" in err


@pytest.mark.parametrize(
    ("env", "argv", "expected"),
    [
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
            [],
            "cannot reach AWS: Could not connect to the endpoint URL",
        ),
        ({}, ["--profile", "nope-profile"], "AWS profile 'nope-profile' not found"),
        (
            {
                "AWS_CONFIG_FILE": "/nonexistent",
                "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true",
            },
            [],
            "no AWS credentials found",
        ),
    ],
)
def test_aws_unusable(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], argv: list[str], expected: str
) -> None:
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, _, err = run(capsys, "scan", "--aws", "--regions", "us-east-1", *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and expected in err
