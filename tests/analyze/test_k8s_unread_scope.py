"""Which flows a policy of a kind pcicheck does not read may change, by what its kind can select (issue 15).

A namespaced CiliumNetworkPolicy, Calico or Antrea NetworkPolicy selects pods of its own namespace only: it
may restrict (or open) the egress of a source there and the ingress of a destination there, nothing else.
So a flow between two other namespaces keeps its definite answer; an allowed flow with an end there becomes
`possible` (it may deny); a denied flow becomes `possible` only where the directions it may open would let
it through, and stays denied where the other end's NetworkPolicy denies. A cluster-wide kind may select any
pod: every flow it may change is `possible`. Each flow through the per-flow engine and the class engine.
"""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck.analyze.k8s_classes import Reach
from pcicheck.analyze.k8s_reach import Cluster, Endpoint, Verdict
from tests.analyze.test_k8s_reach import records_of

NAMESPACES = ("cde", "shop", "tools", "ops")


def _pod(ns: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 8080}]}]},
        "status": {"podIP": f"10.0.{NAMESPACES.index(ns)}.5"},
    }


def _deny_all(ns: str, *types: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-" + "-".join(t.lower() for t in types), "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": list(types)},
    }


def _unread(api: str, kind: str, name: str, ns: str | None = None) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, **({"namespace": ns} if ns else {})}}


CILIUM_IN_SHOP = _unread("cilium.io/v2", "CiliumNetworkPolicy", "shop-egress", "shop")
PODS = [_pod(ns, f"{ns}-app") for ns in NAMESPACES]
# cde denies all ingress, ops denies all egress; shop and tools are open.
BASE = [*PODS, _deny_all("cde", "Ingress"), _deny_all("ops", "Egress")]


def _verdicts(objects: list[dict[str, Any]], src: str, dst: str) -> tuple[Verdict, Verdict, str]:
    cluster = Cluster.from_resources(records_of([*BASE, *objects], "c"))
    decision = cluster.flow(
        Endpoint(pod=cluster.pods[f"{src}/{src}-app"]), Endpoint(pod=cluster.pods[f"{dst}/{dst}-app"]), 8080, "TCP"
    )
    reach = Reach.compute(cluster)
    matrix = reach.namespace_matrix()
    return decision.verdict, matrix[src][dst] or "denied", " ".join(decision.reasons)


@pytest.mark.parametrize(
    ("src", "dst", "before", "after"),
    [
        # Between two other namespaces: the shop policy selects neither end, the answer stays definite.
        ("tools", "cde", "denied", "denied"),
        ("tools", "ops", "allowed", "allowed"),
        ("ops", "tools", "denied", "denied"),
        # An end in shop, and NetworkPolicy allows: the shop policy may deny it.
        ("shop", "tools", "allowed", "possible"),
        ("tools", "shop", "allowed", "possible"),
        # shop → cde: cde's own ingress policy denies it; a shop policy can open only shop's egress. Was
        # `possible` (any flow with an end in shop); now denied, as the specification of the kind says.
        ("shop", "cde", "denied", "denied"),
        # ops → shop: ops's egress denies it; the shop policy can open only shop's ingress: denied.
        ("ops", "shop", "denied", "denied"),
    ],
)
def test_a_namespaced_policy_changes_only_flows_of_its_own_pods(src: str, dst: str, before: str, after: str) -> None:
    assert _verdicts([], src, dst)[:2] == (before, before)
    flow, matrix, reasons = _verdicts([CILIUM_IN_SHOP], src, dst)
    assert (flow, matrix) == (after, after), reasons
    assert ("CiliumNetworkPolicy (cilium.io): shop/shop-egress" in reasons) == (after != before)


def test_a_denied_flow_opens_where_its_policy_selects_the_denying_end() -> None:
    # cde's ingress denies tools → cde; a Cilium policy in cde may allow that ingress.
    flow, matrix, reasons = _verdicts([_unread("cilium.io/v2", "CiliumNetworkPolicy", "lock", "cde")], "tools", "cde")
    assert (flow, matrix) == ("possible", "possible")
    assert "may allow it (CiliumNetworkPolicy (cilium.io): cde/lock)" in reasons
    # Denied at both ends (ops egress, cde ingress): it takes a policy at each end to open it.
    one_end = [_unread("projectcalico.org/v3", "NetworkPolicy", "a", "cde")]
    assert _verdicts(one_end, "ops", "cde")[:2] == ("denied", "denied")
    both_ends = [*one_end, _unread("crd.antrea.io/v1beta1", "NetworkPolicy", "b", "ops")]
    assert _verdicts(both_ends, "ops", "cde")[:2] == ("possible", "possible")


@pytest.mark.parametrize(
    ("api", "kind", "denied_after"),
    [
        ("cilium.io/v2", "CiliumClusterwideNetworkPolicy", "possible"),
        ("projectcalico.org/v3", "GlobalNetworkPolicy", "possible"),
        ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy", "possible"),
        # A BaselineAdminNetworkPolicy never allows what NetworkPolicy denies.
        ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy", "denied"),
    ],
)
def test_cluster_wide_kinds_govern_every_flow(api: str, kind: str, denied_after: str) -> None:
    objects = [_unread(api, kind, "all")]
    assert _verdicts(objects, "tools", "shop")[:2] == ("possible", "possible")
    assert _verdicts(objects, "ops", "cde")[:2] == (denied_after, denied_after)
