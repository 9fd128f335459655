"""`pcicheck demo` end to end: both emulated sources scanned, results and snapshot written, no values leak."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pcicheck.cli import main


def test_demo_scans_aws_and_kubernetes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "Kubernetes API server on http://127.0.0.1:" in err
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["snapshot"]["request"]["providers"] == ["aws", "k8s"]
    failed = {(r["control"], r["resource"]["name"]) for r in doc["results"] if r["status"] == "fail"}
    assert ("k8s-workload-no-privileged", "DaemonSet payments/log-shipper") in failed
    assert ("k8s-role-binding-same-tenant-subjects", "RoleBinding tenant-globex/reader") in failed
    assert ("aws-s3-tenant-bucket-tenant-key", "tillpoint-globex-exports") in failed
    # Segmentation, from the cluster's NetworkPolicies (see the violations in k8s-cluster.yaml).
    assert ("k8s-cde-workload-no-non-cde-ingress", "Deployment payments/card-api") in failed
    assert ("k8s-tenant-namespace-isolated", "Namespace tenant-globex") in failed
    assert ("k8s-ingress-no-every-namespace", "Deployment tenant-globex/billing") in failed
    passed = {(r["control"], r["resource"]["name"]) for r in doc["results"] if r["status"] == "pass"}
    # The demo's pcicheck.yaml approves the card processor's CIDR.
    assert ("k8s-cde-workload-egress-allowlisted", "Deployment payments/card-api") in passed
    connected = {c["name"] for c in doc["connected_to"]}
    assert {"Deployment tenant-acme/web", "Deployment tenant-globex/billing"} <= connected
    raw = gzip.decompress((tmp_path / "snapshot.json.gz").read_bytes()).decode() + json.dumps(doc)
    for value in ("demo-placeholder-not-a-password", "demo-placeholder-not-a-token", "demo-not-a-secret"):
        assert value not in raw
