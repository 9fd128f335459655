"""Live scans find the network policies pcicheck does not read (issue 15): one discovery call, one list per
policy kind the cluster serves, recorded as manifests record them (kind, namespace, name); a discovery or
list that fails fails closed (flows `possible`, controls `error`); a cluster without the CRD is judged as
before. The real kubernetes client and the real CLI against the repository's local API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.conformance import violations
from pcicheck.collect.k8s.kinds import KINDS
from pcicheck.collect.k8s.live import PAGE_SIZE, K8sOptions, collect_k8s
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.demo.kubeapi import KubeApiHandle, serve

NAMESPACES = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}}
    for n, labels in (("cde", {"pci-scope": "cde"}), ("shop", {}))
]
PODS = [
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "postgres@sha256:" + "a" * 64, "ports": ports}]},
        "status": {"podIP": ip},
    }
    for name, ns, app, ip, ports in (
        ("db-0", "cde", "db", "10.0.1.5", [{"containerPort": 5432}]),
        ("web-1", "shop", "web", "10.0.2.5", []),
    )
]
DENY_ALL = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-all", "namespace": "cde"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}
CILIUM = {
    "apiVersion": "cilium.io/v2",
    "kind": "CiliumNetworkPolicy",
    "metadata": {"name": "lock-db", "namespace": "cde"},
    "spec": {"endpointSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"fromEndpoints": [{}]}]},
}
CDE_FLOW = ("shop/web-1", "cde/db-0", "5432")
CILIUM_LIST = f"/apis/cilium.io/v2/ciliumnetworkpolicies?limit={PAGE_SIZE}"
INTERNET = "k8s-cde-workload-not-internet-reachable"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Any]:
    """Serve manifests; yields a function (manifests, **serve options) → (handle, kubeconfig)."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def start(manifests: list[dict[str, Any]], **options: Any) -> tuple[KubeApiHandle, Path]:
            handle = stack.enter_context(serve(manifests, token="t0ken", **options))
            return handle, handle.kubeconfig(tmp_path / f"kc{len(handle.url)}-{id(handle)}")

        yield start


def _query(capsys: pytest.CaptureFixture[str], kubeconfig: Path) -> dict[str, Any]:
    src, dst, port = CDE_FLOW
    code = main(
        ["segmentation", "query", "--k8s", "--kubeconfig", str(kubeconfig), "--from", src, "--to", dst, "--port", port,
         "--format", "json"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    answer: dict[str, Any] = json.loads(out)[0]
    return answer


def _scan(capsys: pytest.CaptureFixture[str], kubeconfig: Path) -> tuple[dict[tuple[str, str], Any], str]:
    main(["scan", "--k8s", "--kubeconfig", str(kubeconfig), "--format", "json", "--allow-incomplete"])
    out, err = capsys.readouterr()
    results = {(r["control"], r["resource"]["name"]): r for r in results_doc.results(json.loads(out))}
    return results, err


def _discovery_and_policy_calls(handle: KubeApiHandle) -> list[str]:
    """The requests beyond /version and the built-in kinds' lists."""
    builtin = {k.path for k in KINDS}
    return [p for _, p, _ in handle.requests if p.startswith("/apis") and p.split("?")[0] not in builtin]


def test_a_live_cilium_policy_makes_the_cde_flows_possible_naming_it(
    live: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    handle, kubeconfig = live([*NAMESPACES, *PODS, DENY_ALL, CILIUM])
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    assert snap.errors == ()
    # Recorded exactly as manifests record it: kind, namespace and name, nothing of its contents.
    (record,) = [r for r in snap.resources if r.type == "k8s.unread_policy"]
    manifest = tmp_path / "cilium.yaml"
    manifest.write_text(yaml.safe_dump(CILIUM))
    (from_file,) = [r for r in read_manifests([manifest]).resources if r.type == "k8s.unread_policy"]
    assert record.uid.replace("pcicheck-demo", "manifests") == from_file.uid  # the cluster's name differs
    assert (record.name, record.region, record.attributes) == (from_file.name, from_file.region, from_file.attributes)
    assert record.attributes["unlisted"] is None and "spec" not in json.dumps(record.attributes)
    # One discovery call (aggregated: no per-group call), one list for the one policy kind served.
    assert _discovery_and_policy_calls(handle) == ["/apis", CILIUM_LIST]
    assert snap.calls["k8s:get /apis"] == 1 and snap.calls["k8s:list cilium.io/ciliumnetworkpolicies"] == 1

    answer = _query(capsys, kubeconfig)
    # NetworkPolicy alone denies it (deny-all); the Cilium policy may allow it.
    assert answer["allowed"] == "possible"
    assert "CiliumNetworkPolicy (cilium.io): cde/lock-db" in answer["reason"]
    results, err = _scan(capsys, kubeconfig)
    assert "unread policy kinds: 1 network policy pcicheck does not read (CiliumNetworkPolicy (cilium.io) 1)" in err
    internet = results[(INTERNET, "Pod cde/db-0")]
    assert internet["status"] == "fail"
    assert any("cde/lock-db" in t for t in internet["evidence"]["facts.internet_ingress"])
    # Which namespaces may reach it is the evidence of the non-CDE-ingress control, with the same note.
    sources = results[("k8s-cde-workload-no-non-cde-ingress", "Pod cde/db-0")]["evidence"]["facts.ingress_sources"]
    assert {
        "namespace": "shop",
        "verdict": "possible",
        "unread_policies": ["CiliumNetworkPolicy (cilium.io)"],
    } in sources


def test_without_the_crd_the_verdicts_are_unchanged(live: Any, capsys: pytest.CaptureFixture[str]) -> None:
    handle, kubeconfig = live([*NAMESPACES, *PODS, DENY_ALL])
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    assert snap.errors == () and not [r for r in snap.resources if r.type == "k8s.unread_policy"]
    assert _discovery_and_policy_calls(handle) == ["/apis"]  # nothing to list
    assert _query(capsys, kubeconfig)["allowed"] is False
    results, _ = _scan(capsys, kubeconfig)
    assert results[(INTERNET, "Pod cde/db-0")]["status"] == "pass"


def test_a_crd_installed_without_policies_changes_nothing(live: Any, capsys: pytest.CaptureFixture[str]) -> None:
    handle, kubeconfig = live([*NAMESPACES, *PODS, DENY_ALL], crds=["cilium.io/ciliumnetworkpolicies"])
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    assert snap.errors == () and not [r for r in snap.resources if r.type == "k8s.unread_policy"]
    assert _discovery_and_policy_calls(handle) == ["/apis", CILIUM_LIST]
    assert _query(capsys, kubeconfig)["allowed"] is False


@pytest.mark.parametrize(
    ("forbidden", "operation", "label"),
    [
        ("/apis", "get /apis", "network policy kinds not discovered"),
        ("cilium.io/ciliumnetworkpolicies", "list cilium.io/ciliumnetworkpolicies", "CiliumNetworkPolicy (cilium.io)"),
    ],
    ids=["discovery-forbidden", "list-forbidden"],
)
def test_a_forbidden_discovery_or_list_fails_closed(
    live: Any, capsys: pytest.CaptureFixture[str], forbidden: str, operation: str, label: str
) -> None:
    # NetworkPolicy alone denies the flow and passes the control (previous test); what was not read may
    # allow it, so neither a denied flow nor a pass may stand.
    _, kubeconfig = live([*NAMESPACES, *PODS, DENY_ALL, CILIUM], forbidden={forbidden})
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    (error,) = snap.errors
    assert (error.operation, error.code, error.resource_types) == (operation, "Forbidden", ("k8s.unread_policy",))
    (record,) = [r for r in snap.resources if r.type == "k8s.unread_policy"]
    assert record.attributes["label"] == label and record.attributes["cluster_wide"] is True
    assert record.attributes["unlisted"] == "403 Forbidden"
    assert [v for r in snap.resources for v in violations(r)] == []  # the record keeps to its declaration

    answer = _query(capsys, kubeconfig)
    assert answer["allowed"] == "possible" and label in answer["reason"]
    results, _ = _scan(capsys, kubeconfig)
    internet = results[(INTERNET, "Pod cde/db-0")]
    assert internet["status"] == "error", internet


def test_servers_without_aggregated_discovery_are_asked_per_group_version(
    live: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    calico = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "default-deny"},
        "spec": {"selector": "all()", "types": ["Ingress"]},
    }
    handle, kubeconfig = live(
        [*NAMESPACES, *PODS, CILIUM, calico],
        aggregated_discovery=False,
        crds=["crd.projectcalico.org/globalnetworkpolicies"],
    )
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    assert snap.errors == ()
    names = sorted(r.name for r in snap.resources if r.type == "k8s.unread_policy")
    assert names == [
        "CiliumNetworkPolicy (cilium.io) cde/lock-db",
        "GlobalNetworkPolicy (projectcalico.org) default-deny",
    ]
    calls = _discovery_and_policy_calls(handle)
    assert calls[0] == "/apis"
    assert sorted(calls[1:4]) == ["/apis/cilium.io/v2", "/apis/crd.projectcalico.org/v1", "/apis/projectcalico.org/v3"]
    # Calico's storage group holds what its API server serves: listed once, from the API server's group.
    assert sorted(calls[4:]) == [
        CILIUM_LIST,
        f"/apis/projectcalico.org/v3/globalnetworkpolicies?limit={PAGE_SIZE}",
    ]


def test_a_stale_or_unreadable_group_version_is_asked_or_fails_closed() -> None:
    """Aggregated discovery marks a version `Stale` when its aggregated API server is not answering (Calico's
    projectcalico.org is one): that version is asked directly, and a version that cannot be read leaves its
    group's kinds possibly there (the collector records a cluster-wide record for each)."""
    from pcicheck.collect.k8s.discovery import discovered

    document = {
        "kind": "APIGroupDiscoveryList",
        "items": [
            {"metadata": {"name": "projectcalico.org"}, "versions": [{"version": "v3", "freshness": "Stale"}]},
            {"metadata": {"name": "crd.antrea.io"}, "versions": [{"version": "v1beta1", "freshness": "Stale"}]},
            {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": []}]},
        ],
    }
    asked: list[tuple[str, str]] = []

    def resources(group: str, version: str) -> list[tuple[str, str]] | None:
        asked.append((group, version))
        return [("globalnetworkpolicies", "GlobalNetworkPolicy")] if group == "projectcalico.org" else None

    found, unknown = discovered(document, resources)
    assert asked == [("projectcalico.org", "v3"), ("crd.antrea.io", "v1beta1")]
    assert [(f.kind.group_version, f.kind.plural) for f in found] == [("projectcalico.org/v3", "globalnetworkpolicies")]
    assert sorted(k.label for k in unknown) == ["ClusterNetworkPolicy (crd.antrea.io)", "NetworkPolicy (crd.antrea.io)"]


def test_a_group_version_that_cannot_be_read_fails_closed_for_its_kinds(
    live: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # A server without aggregated discovery, whose cilium.io/v2 resource list is refused.
    _, kubeconfig = live(
        [*NAMESPACES, *PODS, DENY_ALL, CILIUM], aggregated_discovery=False, forbidden={"/apis/cilium.io/v2"}
    )
    snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    (error,) = snap.errors
    assert (error.operation, error.code) == ("get /apis/cilium.io", "Forbidden")
    names = sorted(r.name for r in snap.resources if r.type == "k8s.unread_policy")
    assert names == [
        "CiliumClusterwideNetworkPolicy (cilium.io): not listed (403 Forbidden)",
        "CiliumNetworkPolicy (cilium.io): not listed (403 Forbidden)",
    ]
    assert _query(capsys, kubeconfig)["allowed"] == "possible"
