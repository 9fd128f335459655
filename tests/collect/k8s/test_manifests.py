"""Manifests read offline into the same records a live cluster gives, with the API server's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcicheck import results_doc
from pcicheck.analyze.estate import analyze
from pcicheck.cli import main
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig
from pcicheck.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "fixtures" / "k8s" / "sample.yaml"

LIST = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata: {name: shop, labels: {tenant: acme}}
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: allow-web, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      ingress:
        - ports: [{port: 8080}]
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: deny-all, namespace: shop}
    spec:
      podSelector: {}
      egress: []
      policyTypes: [Ingress, Egress]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1
          ports: [{containerPort: 8080, name: http}]
          env:
            - {name: DB_PASSWORD, value: hunter2}
            - {name: MODE, value: AKIAIOSFODNN7EXAMPLE}
            - {name: LOG_LEVEL, value: info}
            - name: API_TOKEN
              valueFrom: {secretKeyRef: {name: s, key: token}}
          securityContext: {capabilities: {add: [CAP_NET_ADMIN]}}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {password: hunter2, region: eu-west-2}
"""


def test_list_and_multi_document_files_with_defaults(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(LIST)
    read = read_manifests([tmp_path])
    by_name = {r.name: r for r in read.resources}
    assert read.skipped_kinds == {"Widget": 1}
    assert by_name["Namespace shop"].tags["kubernetes.io/metadata.name"] == "shop"
    allow = by_name["NetworkPolicy shop/allow-web"].attributes
    assert allow["policy_types"] == ["Ingress"]  # defaulted: no egress rules
    assert allow["ingress"] == [{"from": [], "ports": [{"protocol": "TCP", "port": 8080, "end_port": None}]}]
    assert by_name["NetworkPolicy shop/deny-all"].attributes["default_deny_egress"] is True
    web = by_name["Deployment shop/web"].attributes["containers"][0]
    assert web["credential_env"] == ["DB_PASSWORD", "MODE"]  # by name, and by the value's shape
    assert web["secret_env"] == ["API_TOKEN"]
    assert web["capabilities_add"] == ["NET_ADMIN"]
    assert web["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    cm = by_name["ConfigMap default/settings"]  # namespace defaulted
    assert cm.attributes == {"keys": ["password", "region"], "credential_keys": ["password"]}
    assert "hunter2" not in repr(read.resources)


def test_scope_and_tenant_come_from_the_namespace() -> None:
    read = read_manifests([SAMPLE])
    facts = analyze(read.resources, ScopeConfig()).facts
    deployment = next(r for r in read.resources if r.type == "k8s.workload" and r.region == "payments")
    assert facts[deployment.uid]["scope"] == "cde"
    assert facts[deployment.uid]["scope_reason"] == "namespace payments (label pci-scope=cde)"
    tenant_pod = next(r for r in read.resources if r.type == "k8s.workload" and r.region == "tenant-a")
    assert facts[tenant_pod.uid]["tenant"] == "acme"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: Pod\nmetadata:\n  name: [x\n", ":4: invalid YAML"),
        ("apiVersion: v1\nmetadata: {name: x}\n", ":1: object has no 'kind'"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {namespace: a}\n", ":1: Pod has no metadata.name"),
        ("kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: a}\n", ":4: Pod default/a is defined twice"),
        ("- just\n- a list\n", ":1: a manifest document must be a mapping"),
    ],
)
def test_bad_manifests_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(InputError) as info:
        read_manifests([tmp_path / "bad.yaml"])
    assert str(info.value).startswith(str(tmp_path / "bad.yaml")) and expected in str(info.value)


def test_missing_path() -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        read_manifests([Path("/nonexistent/manifests")])


def test_scan_manifests_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "all.yaml").write_text(LIST)
    code = main(["scan", "--manifests", str(tmp_path), "--format", "json"])
    out, err = capsys.readouterr()
    assert "kinds pcicheck does not know: Widget (1)" in err
    import json

    doc = json.loads(out)
    assert doc["snapshot"]["request"]["providers"] == ["manifests"]
    assert all(r["control"].startswith("k8s-") for r in results_doc.results(doc))  # AWS controls are not judged
    # Encryption at rest is judged by AWS controls only: unscanned, it is the assessor's, never "not applicable".
    assert {q["outcome"] for q in doc["requirements"] if q["id"] == "3.5.1"} == {"manual"}
    assert code in (0, 1)


def test_controller_made_pods_count_for_node_placement_only() -> None:
    from pcicheck import paths

    read = read_manifests([paths.demo_dir() / "k8s-cluster.yaml"])
    workloads = {r.name for r in read.resources if r.type == "k8s.workload"}
    assert "Pod payments/card-api-6b7f9-x2x4q" not in workloads  # judged through its Deployment, as live
    endpoints = {r.name for r in read.resources if r.type == "k8s.pod"}
    assert "Pod payments/card-api-6b7f9-x2x4q" in endpoints  # but still a network endpoint
    node = next(r for r in read.resources if r.name == "Node ip-10-0-1-10.ec2.internal")
    assert node.attributes["pod_namespaces"] == ["payments", "tenant-acme"]
    facts = analyze(read.resources, ScopeConfig()).facts[node.uid]
    assert facts["pod_scopes"] == ["cde", "non-cde"]
