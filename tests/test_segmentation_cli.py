"""`pcicheck segmentation query` on manifests: single flows, a flows file (a pen-test plan), bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcicheck import paths
from pcicheck.cli import main

CLUSTER = str(paths.demo_dir() / "k8s-cluster.yaml")
CARD_API = "payments/card-api-6b7f9-x2x4q"
WEB = "tenant-acme/web-5c9d8-kq7zt"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_single_flow_json(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(
        capsys,
        "segmentation",
        "query",
        "--manifests",
        CLUSTER,
        "--from",
        WEB,
        "--to",
        CARD_API,
        "--port",
        "8443/tcp",
        "--format",
        "json",
    )
    (answer,) = json.loads(out)
    assert code == 0 and answer["allowed"] is False
    assert "payments/default-deny" in answer["reason"]


def test_flows_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        f"- {{from: {WEB}, to: {CARD_API}, port: 8443}}\n"
        f"- {{from: 'cidr:203.0.113.9', to: {WEB}, port: 80, protocol: TCP}}\n"
        f"- {{from: {CARD_API}, to: {CARD_API}, port: 8443}}\n"
    )
    code, out, _ = run(
        capsys, "segmentation", "query", "--manifests", CLUSTER, "--flows", str(plan), "--format", "json"
    )
    assert code == 0 and [a["allowed"] for a in json.loads(out)] == [False, True, True]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--from", "nope/pod", "--to", CARD_API, "--port", "80"], "unknown endpoint: \"no pod 'nope/pod'\""),
        (["--from", WEB, "--to", CARD_API, "--port", "80/ICMP"], "--port: '80/ICMP' is not PORT[/TCP|UDP|SCTP]"),
        (["--from", WEB], "say which flow"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture, argv: list[str], expected: str) -> None:
    code, _, err = run(capsys, "segmentation", "query", "--manifests", CLUSTER, *argv)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1
