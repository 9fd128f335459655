"""`pcicheck segmentation query` on manifests: single flows, a flows file (a pen-test plan), bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcicheck import paths
from pcicheck.cli import main
from tests.conftest import DemoRun

CLUSTER = str(paths.demo_dir() / "k8s-cluster.yaml")
CARD_API = "payments/card-api-6b7f9-x2x4q"
WEB = "tenant-acme/web-5c9d8-kq7zt"
BILLING = "tenant-globex/billing-7d4c1-m2pq8"


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
        BILLING,
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
        f"- {{from: {BILLING}, to: {CARD_API}, port: 8443}}\n"
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
    code, out, _ = run(capsys, "segmentation", "matrix", "--manifests", str(tmp_path))
    assert code == 0 and "–" in out and "✓" in out and "·" in out  # the table marks every kind of cell


def test_segmentation_needs_a_source(capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "segmentation", "matrix")
    assert code == 2 and "nothing to analyse (pass --manifests PATH, --k8s, --aws or --snapshot FILE)" in err


EXPOSURE_CASE = """\
apiVersion: v1
kind: Namespace
metadata: {name: cde, labels: {pci-scope: cde}}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: cde, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: cde, labels: {app: api}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: open, namespace: cde, labels: {app: open}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: cde}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: payments}}}]
      ports: [{port: 5432}]
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: cde}}
          podSelector: {matchLabels: {app: api}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: cde}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{namespaceSelector: {}}, {ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16]}}]
      ports: [{port: 8443}]
"""


def test_exposure_of_cde_pods(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(EXPOSURE_CASE)
    code, out, _ = run(capsys, "segmentation", "exposure", "--manifests", str(tmp_path), "--format", "json")
    report = {item["pod"]: item["exposed_to"] for item in json.loads(out)}
    assert code == 0 and set(report) == {"cde/db", "cde/api", "cde/open"}  # shop/web is not in the CDE
    spoofable, by_name = report["cde/db"]
    assert spoofable["source"] == "namespace {team=payments}" and spoofable["ports"] == "5432/TCP"
    assert "can be set by anyone" in spoofable["warnings"][0]
    assert by_name["source"] == "namespace {kubernetes.io/metadata.name=cde} and pod {app=api}"
    assert by_name["warnings"] == [] and by_name["ports"] == "all"
    every_ns, internet = report["cde/api"]
    assert every_ns["warnings"] == ["every namespace, including ones created later"]
    assert internet["source"] == "cidr 0.0.0.0/0 except ['169.254.0.0/16']"
    assert internet["warnings"] == ["open to the internet"]
    assert report["cde/open"][0]["source"] == "anything (not isolated for ingress)"


def test_plan_lists_the_flows_that_must_be_denied(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    code, out, err = run(
        capsys, "segmentation", "plan", "--manifests", CLUSTER, "--format", "json", "--output", str(plan_file)
    )
    flows = json.loads(out)
    # Into each CDE pod class (card-api on its https port; the log shipper declares no port, so 443),
    # from one pod of each non-CDE namespace and from the internet.
    assert {(f["from"], f["to"], f["port"]) for f in flows} == {
        (WEB, CARD_API, 8443),
        (BILLING, CARD_API, 8443),
        ("cidr:203.0.113.10", CARD_API, 8443),
        (WEB, "payments/log-shipper", 443),
        (BILLING, "payments/log-shipper", 443),
        ("cidr:203.0.113.10", "payments/log-shipper", 443),
    }
    assert all(f["expect"] == "denied" for f in flows)
    open_now = {(f["from"], f["to"]) for f in flows if f["allowed"] is not False}
    assert (WEB, CARD_API) in open_now and (BILLING, CARD_API) not in open_now
    assert code == 1 and "6 flows in the plan; 4 not denied by the configuration today" in err
    # The written plan is a flows file: checking it again reports each disagreement and exits 1.
    assert plan_file.read_text().startswith("# CDE segmentation test plan (PCI DSS 3.2.1 11.3.4 / 4.0.1 11.4.5)")
    code, out, err = run(capsys, "segmentation", "query", "--manifests", CLUSTER, "--flows", str(plan_file))
    assert code == 1 and f"{WEB} -> {CARD_API} 8443/TCP: expected denied, allowed" in err
    assert len(err.strip().splitlines()) == 4


def test_flows_file_expectations_met(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"- {{from: {BILLING}, to: {CARD_API}, port: 8443, expect: denied}}\n")
    code, _, _ = run(capsys, "segmentation", "query", "--manifests", CLUSTER, "--flows", str(plan))
    assert code == 0
    plan.write_text(f"- {{from: {BILLING}, to: {CARD_API}, port: 8443, expect: closed}}\n")
    code, _, err = run(capsys, "segmentation", "query", "--manifests", CLUSTER, "--flows", str(plan))
    assert code == 2 and "plan.yaml:1: expect: 'closed' is not one of allowed, denied, possible" in err


def test_tenant_matrix(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "segmentation", "matrix", "--manifests", CLUSTER, "--by", "tenant", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["tenants"] == ["acme", "globex"]
    # acme has no policies and globex admits every namespace: each reaches the other; one pod each.
    assert doc["matrix"] == {"acme": {"acme": None, "globex": "allowed"}, "globex": {"acme": "allowed", "globex": None}}


def test_segmentation_reads_a_snapshot(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json.gz"
    assert run(capsys, "collect", "--manifests", CLUSTER, "--output", str(snap), "--quiet")[0] == 0
    code, out, _ = run(
        capsys, "segmentation", "query", "--snapshot", str(snap), "--from", WEB, "--to", CARD_API, "--port", "8443"
    )
    assert code == 0 and "allowed" in out


def test_aws_flows_on_the_demo_snapshot(capsys: pytest.CaptureFixture, demo_run: DemoRun, tmp_path: Path) -> None:
    """The demo's corp VPC is peered into the CDE and card-vault's group admits 0.0.0.0/0 on 5432
    (fixtures/demo/aws-estate.yaml); the CDE's private subnets have no route from the internet."""
    snap = str(demo_run.out / "snapshot.json.gz")
    flows = tmp_path / "flows.yaml"
    flows.write_text(
        "- {from: corp-tools-a, to: card-vault, port: 5432}\n"
        "- {from: internet, to: card-vault, port: 5432}\n"
        "- {from: internet, to: payments-edge, port: 443}\n"
        f"- {{from: {WEB}, to: {CARD_API}, port: 8443}}\n"
    )
    code, out, _ = run(capsys, "segmentation", "query", "--snapshot", snap, "--flows", str(flows), "--format", "json")
    answers = json.loads(out)
    assert code == 0 and [a["allowed"] for a in answers] == [True, False, True, True]
    assert "pcx-" in answers[0]["reason"] and "ingress tcp 5432 from 0.0.0.0/0" in answers[0]["reason"]
    assert "has no route from the internet" in answers[1]["reason"]
    code, _, err = run(
        capsys,
        "segmentation",
        "query",
        "--snapshot",
        snap,
        "--from",
        "no-such-db",
        "--to",
        "card-vault",
        "--port",
        "5432",
    )
    assert code == 2 and "unknown endpoint" in err and len(err.strip().splitlines()) == 1


def test_plan_covers_aws_and_kubernetes(capsys: pytest.CaptureFixture, demo_run: DemoRun) -> None:
    code, out, err = run(
        capsys, "segmentation", "plan", "--snapshot", str(demo_run.out / "snapshot.json.gz"), "--format", "json"
    )
    flows = json.loads(out)
    opened = {(f["from"], f["to"], f["port"]) for f in flows if f["allowed"] is not False}
    assert ("corp-tools-a", "card-vault", 5432) in opened and (WEB, CARD_API, 8443) in opened
    assert ("internet", "card-vault", 5432) in {(f["from"], f["to"], f["port"]) for f in flows}
    # The internet-facing CDE load balancer's listeners are its public service, not a gap.
    assert not any(f["from"] == "internet" and f["to"] == "payments-edge" for f in flows)
    assert code == 1 and f"{len(flows)} flows in the plan; {len(opened)} not denied" in err


def test_plan_and_query_cover_classic_load_balancers(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    """Two CDE Classic balancers and a CDE ALB in public_vpc() (tests/analyze/test_aws_reach.py): `legacy`
    (internet-facing, subnet-pub, 443 open to all, 80 listed but not admitted), `ledger` (internal,
    subnet-app, 8443 admitted from subnet-pub only) and an ALB also named `ledger`, which the plan
    names by ARN since the Classic one holds the name. Every verdict below is worked by hand."""
    from pcicheck.model import Snapshot
    from pcicheck.snapshot import write_snapshot
    from tests.analyze.test_aws_reach import balancer, classic, public_vpc, rule, sg

    cde = {"pci-scope": "cde"}
    alb = balancer("ledger", ["subnet-app"], "vpc-1", ["sg-ledger"], "internal", [(8443, "HTTPS")], tags=cde)
    resources = (
        *public_vpc(),
        sg("sg-clb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        sg("sg-ledger", "vpc-1", [rule("tcp", 8443, cidrs=["10.0.1.0/24"])]),
        classic(
            "legacy",
            ["subnet-pub"],
            "vpc-1",
            ["sg-clb"],
            "internet-facing",
            [(443, "HTTPS", 80), (80, "HTTP", 80)],
            tags=cde,
        ),
        classic("ledger", ["subnet-app"], "vpc-1", ["sg-ledger"], "internal", [(8443, "TCP", 8443)], tags=cde),
        alb,
    )
    snap = tmp_path / "snap.json.gz"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, resources, ()), snap)
    code, out, err = run(capsys, "segmentation", "plan", "--snapshot", str(snap), "--format", "json")
    flows = {(f["from"], f["to"], f["port"]): f["allowed"] for f in json.loads(out)}
    # The internet-facing balancer's listeners are its public service: no internet flow into it.
    assert flows == {
        ("subnet-app", "legacy", 80): False,
        ("subnet-pub", "legacy", 80): False,
        ("subnet-app", "legacy", 443): True,
        ("subnet-pub", "legacy", 443): True,
        ("subnet-app", "ledger", 8443): False,
        ("subnet-pub", "ledger", 8443): True,
        ("internet", "ledger", 8443): False,
        ("subnet-app", alb.uid, 8443): False,
        ("subnet-pub", alb.uid, 8443): True,
        ("internet", alb.uid, 8443): False,
    }
    assert code == 1 and "10 flows in the plan; 4 not denied" in err
    code, out, _ = run(
        capsys,
        "segmentation",
        "query",
        "--snapshot",
        str(snap),
        "--from",
        "internet",
        "--to",
        "legacy",
        "--port",
        "443",
    )
    assert code == 0 and "allowed" in out
