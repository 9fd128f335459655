"""`pcicheck demo` end to end: both emulated sources scanned, results and snapshot written, no values leak."""

from __future__ import annotations

import gzip
import json

from pcicheck import results_doc
from pcicheck.cli import main
from tests.conftest import DemoRun


def test_demo_scans_aws_and_kubernetes(demo_run: DemoRun) -> None:
    tmp_path = demo_run.out
    assert demo_run.code == 0
    assert "Kubernetes API server on http://127.0.0.1:" in demo_run.stderr
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["snapshot"]["request"]["providers"] == ["aws", "k8s"]
    failed = {(r["control"], r["resource"]["name"]) for r in results_doc.results(doc) if r["status"] == "fail"}
    assert ("k8s-workload-no-privileged", "DaemonSet payments/log-shipper") in failed
    assert ("k8s-role-binding-same-tenant-subjects", "RoleBinding tenant-globex/reader") in failed
    assert ("aws-s3-tenant-bucket-tenant-key", "tillpoint-globex-exports") in failed
    # Segmentation, from the cluster's NetworkPolicies (see the violations in k8s-cluster.yaml).
    assert ("k8s-cde-workload-no-non-cde-ingress", "Deployment payments/card-api") in failed
    assert ("k8s-tenant-namespace-isolated", "Namespace tenant-globex") in failed
    assert ("k8s-ingress-no-every-namespace", "Deployment tenant-globex/billing") in failed
    # The tier-1 services beyond the network (see the violations in aws-estate.yaml).
    assert ("aws-cloudfront-viewer-https", "storefront-cdn") in failed
    assert ("aws-wafv2-web-acl-logging", "payments-edge-waf") in failed
    assert ("aws-dynamodb-pitr", "payment-idempotency") in failed
    assert ("aws-codebuild-no-plaintext-credentials", "storefront-build") in failed
    assert ("aws-ec2-elastic-ip-associated", "legacy-sftp-gateway") in failed
    passed = {(r["control"], r["resource"]["name"]) for r in results_doc.results(doc) if r["status"] == "pass"}
    assert ("aws-cloudwatch-root-usage-alarm", "123456789012") in passed
    assert ("aws-wafv2-web-acl-logging", "storefront-cdn-waf") in passed
    for control in ("aws-sqs-queue-encrypted", "aws-elasticache-automatic-backups", "aws-cloudfront-viewer-tls12"):
        assert any(c == control for c, _ in passed), control
    # The demo's pcicheck.yaml approves the card processor's CIDR.
    assert ("k8s-cde-workload-egress-allowlisted", "Deployment payments/card-api") in passed
    connected = {c["name"] for c in doc["connected_to"]}
    assert {"Deployment tenant-acme/web", "Deployment tenant-globex/billing"} <= connected
    pack = {p.name for p in tmp_path.iterdir()}
    assert pack == {
        "index.html",
        "results.json",
        "snapshot.json.gz",
        "evidence.csv",
        "resources.csv",
        "pcicheck.yaml",
        "summary.md",
        "manifest.json",
    }
    assert main(["verify", str(tmp_path)]) == 0
    raw = gzip.decompress((tmp_path / "snapshot.json.gz").read_bytes()).decode() + json.dumps(doc)
    raw += "".join((tmp_path / name).read_text(encoding="utf-8") for name in sorted(pack - {"snapshot.json.gz"}))
    for value in ("demo-placeholder-not-a-password", "demo-placeholder-not-a-token", "demo-not-a-secret"):
        assert value not in raw
