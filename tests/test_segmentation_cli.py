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


SERVICE_CASE = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 443, targetPort: https}]
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, labels: {app: api}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8443, name: https}]}]}
status: {podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.6}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-client, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: client}}}]
      ports: [{port: 8443}]
"""


def test_service_destination_resolves_backends_and_target_port(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(SERVICE_CASE)
    answers = []
    for source in ("shop/client", "cidr:203.0.113.9"):
        code, out, _ = run(
            capsys,
            "segmentation",
            "query",
            "--manifests",
            str(tmp_path),
            "--from",
            source,
            "--to",
            "svc:shop/api",
            "--port",
            "443",
            "--format",
            "json",
        )
        assert code == 0
        answers.append(json.loads(out)[0])
    assert [a["allowed"] for a in answers] == [True, False]  # the policy sees 8443 (targetPort), not 443
    assert "shop/api-1:8443 allowed" in answers[0]["reason"]


MATRIX_CASE = """\
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: v1
kind: Namespace
metadata: {name: empty}
---
{apiVersion: v1, kind: Pod, metadata: {name: a1, namespace: a}, spec: {containers: [{name: c, image: i}]}}
---
{apiVersion: v1, kind: Pod, metadata: {name: a2, namespace: a}, spec: {containers: [{name: c, image: i}]}}
---
{apiVersion: v1, kind: Pod, metadata: {name: b1, namespace: b}, spec: {containers: [{name: c, image: i}]}}
---
{apiVersion: v1, kind: Pod, metadata: {name: c1, namespace: c}, spec: {containers: [{name: c, image: i}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-from-a, namespace: b}
spec:
  podSelector: {}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: a}}}]
      ports: [{port: 5432, endPort: 5433}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all-egress, namespace: empty}
spec: {podSelector: {}, policyTypes: [Egress]}
"""


def test_namespace_matrix(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MATRIX_CASE)
    code, out, _ = run(capsys, "segmentation", "matrix", "--manifests", str(tmp_path), "--format", "json")
    matrix = json.loads(out)["matrix"]
    assert code == 0
    assert matrix["a"] == {"a": "allowed", "b": "allowed", "c": "allowed", "empty": None}
    assert matrix["b"] == {"a": "allowed", "b": None, "c": "allowed", "empty": None}  # one pod: no pair
    assert matrix["c"] == {"a": "allowed", "b": "denied", "c": None, "empty": None}  # b admits only a
    assert matrix["empty"] == {"a": None, "b": None, "c": None, "empty": None}
