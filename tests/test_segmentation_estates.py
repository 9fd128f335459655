"""Segmentation on estates pcicheck did not build (issue 15): what a peer analyzer's test corpus and real
clusters hold, through the real CLI.

- `kubectl get -A -o json` output: a PodList/NamespaceList whose items carry no `kind` (the API server
  writes it once, on the list);
- some tool's JSON output (an array) lying in the manifests folder;
- a ReplicationController;
- a Deployment whose pod template shares its labels with an unrelated Pod;
- network policies of kinds pcicheck does not read (Cilium, Calico, AdminNetworkPolicy): flows they may
  govern are `possible`, naming them, in queries, matrices, facts, controls and the scan summary.

Each test first shows the hostile input is what the issue describes, then asserts the safe behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pcicheck import results_doc
from pcicheck.cli import main

NAMESPACES = {
    "apiVersion": "v1",
    "kind": "NamespaceList",
    "items": [{"metadata": {"name": n, "labels": {"pci-scope": "cde"} if n == "cde" else {}}} for n in ("cde", "shop")],
}
PODS = {
    "apiVersion": "v1",
    "kind": "PodList",
    "items": [
        {
            "metadata": {"name": "db-0", "namespace": "cde", "labels": {"app": "db"}},
            "spec": {"containers": [{"name": "c", "image": "postgres", "ports": [{"containerPort": 5432}]}]},
            "status": {"podIP": "10.0.1.5"},
        },
        {
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            "status": {"podIP": "10.0.2.5"},
        },
    ],
}
DENY_ALL = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-all", "namespace": "cde"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def query(capsys: pytest.CaptureFixture, folder: Path, src: str, dst: str, port: str) -> tuple[int, dict, str]:
    code, out, err = run(
        capsys, "segmentation", "query", "--manifests", str(folder), "--from", src, "--to", dst, "--port", port,
        "--format", "json",
    )  # fmt: skip
    return code, (json.loads(out)[0] if out.strip() else {}), err


def write(folder: Path, name: str, *docs: object) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(yaml.safe_dump_all(list(docs)) if name.endswith(".yaml") else json.dumps(docs[0]))


def test_typed_list_items_take_their_lists_kind(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    write(tmp_path, "pods.json", PODS)
    write(tmp_path, "ns.json", NAMESPACES)
    assert all("kind" not in item for item in PODS["items"])  # as the API server writes them
    code, answer, err = query(capsys, tmp_path, "shop/web-1", "cde/db-0", "5432")
    assert code == 0, err
    assert answer["allowed"] is True and "not a Kubernetes object" not in err


def test_a_stray_json_array_is_skipped_and_named(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    write(tmp_path, "pods.json", PODS)
    (tmp_path / "connlist_output.json").write_text(json.dumps([{"src": "a", "dst": "b", "conn": "All"}]))
    code, answer, err = query(capsys, tmp_path, "shop/web-1", "cde/db-0", "5432")
    assert code == 0 and answer["allowed"] is True
    assert "skipped, not Kubernetes manifests" in err and "connlist_output.json" in err
    # Named explicitly, the same file is still refused: the user asked for it to be read.
    code, _, err = query(capsys, tmp_path / "connlist_output.json", "shop/web-1", "cde/db-0", "5432")
    assert code == 2 and "a manifest document must be a mapping" in err


def test_replication_controllers_are_read(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "legacy", "namespace": "shop"},
        "spec": {
            "selector": {"app": "legacy"},
            "template": {
                "metadata": {"labels": {"app": "legacy"}},
                "spec": {"containers": [{"name": "c", "image": "busybox", "securityContext": {"privileged": True}}]},
            },
        },
    }
    write(tmp_path, "all.yaml", rc, DENY_ALL, {"kind": "Pod", "apiVersion": "v1", **PODS["items"][0]})
    code, answer, err = query(capsys, tmp_path, "shop/legacy", "cde/db-0", "5432")
    assert code == 0, err
    assert answer["allowed"] is False and "deny-all" in answer["reason"]
    assert "ReplicationController" not in err  # not listed among the kinds pcicheck does not know
    code, out, _ = run(capsys, "scan", "--manifests", str(tmp_path), "--format", "json", "--allow-incomplete")
    results = list(results_doc.results(json.loads(out)))
    privileged = [r for r in results if r["resource"]["name"] == "ReplicationController shop/legacy"]
    assert code == 1 and any(r["control"] == "k8s-workload-no-privileged" and r["status"] == "fail" for r in privileged)


def test_an_unrelated_pod_with_the_same_labels_does_not_hide_a_deployment(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
        },
    }
    debug = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "shop", "labels": {"app": "web", "debug": "true"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]},
    }
    write(tmp_path, "all.yaml", deployment, debug)
    code, answer, err = query(capsys, tmp_path, "shop/web", "shop/debug", "80")
    assert code == 0, err  # was: unknown endpoint: "no pod 'shop/web'"
    assert answer["allowed"] is True


CILIUM = {
    "apiVersion": "cilium.io/v2",
    "kind": "CiliumNetworkPolicy",
    "metadata": {"name": "lock-db", "namespace": "cde"},
    "spec": {"endpointSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"fromEndpoints": [{}]}]},
}
CALICO = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "NetworkPolicy",
    "metadata": {"name": "calico-allow", "namespace": "cde"},
    "spec": {"selector": "app == 'db'", "ingress": [{"action": "Allow"}]},
}


@pytest.fixture
def cilium_estate(tmp_path: Path) -> Path:
    write(tmp_path, "ns.json", NAMESPACES)
    write(tmp_path, "pods.json", PODS)
    write(tmp_path, "cilium.yaml", CILIUM)
    return tmp_path


def test_unread_policy_makes_the_query_possible(capsys: pytest.CaptureFixture, cilium_estate: Path) -> None:
    code, answer, err = query(capsys, cilium_estate, "shop/web-1", "cde/db-0", "5432")
    assert code == 0
    assert answer["allowed"] == "possible"
    assert "CiliumNetworkPolicy (cilium.io): cde/lock-db" in answer["reason"]
    assert "network policies pcicheck does not read: CiliumNetworkPolicy (cilium.io) (1)" in err


def test_unread_policy_in_the_matrix(capsys: pytest.CaptureFixture, cilium_estate: Path) -> None:
    code, out, _ = run(capsys, "segmentation", "matrix", "--manifests", str(cilium_estate), "--format", "json")
    matrix = json.loads(out)["matrix"]
    assert code == 0 and matrix["shop"]["cde"] == "possible"


def test_unread_policy_in_facts_controls_and_summary(capsys: pytest.CaptureFixture, cilium_estate: Path) -> None:
    code, out, err = run(capsys, "scan", "--manifests", str(cilium_estate), "--format", "json", "--allow-incomplete")
    assert code == 1  # CDE controls fail: possible counts as reachable
    assert "unread policy kinds: 1 network policy pcicheck does not read (CiliumNetworkPolicy (cilium.io) 1)" in err
    results = list(results_doc.results(json.loads(out)))
    internet = next(
        r
        for r in results
        if r["control"] == "k8s-cde-workload-not-internet-reachable" and r["resource"]["name"] == "Pod cde/db-0"
    )
    # Still counted as reachable (what cannot be ruled out is not isolation), but the evidence says why.
    assert internet["status"] == "fail"
    texts = internet["evidence"]["facts.internet_ingress"]
    assert any("policies pcicheck does not read may restrict it" in t and "cde/lock-db" in t for t in texts)
    # Which namespaces may reach it is the evidence of the non-CDE-ingress control, with the same note.
    (non_cde,) = [
        r
        for r in results
        if r["control"] == "k8s-cde-workload-no-non-cde-ingress" and r["resource"]["name"] == "Pod cde/db-0"
    ]
    sources = non_cde["evidence"]["facts.ingress_sources"]
    assert {
        "namespace": "shop",
        "verdict": "possible",
        "unread_policies": ["CiliumNetworkPolicy (cilium.io)"],
    } in sources


def test_a_calico_network_policy_is_not_read_as_a_kubernetes_one(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    write(tmp_path, "pods.json", PODS)
    write(tmp_path, "calico.yaml", CALICO)
    assert CALICO["kind"] == "NetworkPolicy"  # same kind name as networking.k8s.io's
    code, answer, _ = query(capsys, tmp_path, "shop/web-1", "cde/db-0", "5432")
    # Read as a Kubernetes NetworkPolicy it would select every pod of cde and admit nothing: denied.
    assert code == 0 and answer["allowed"] == "possible"
    assert "NetworkPolicy (projectcalico.org): cde/calico-allow" in answer["reason"]
