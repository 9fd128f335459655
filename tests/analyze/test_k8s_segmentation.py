"""Segmentation facts on the demo cluster, worked out by hand from its policies (fixtures/demo/k8s-cluster.yaml).

payments (CDE): default-deny both ways; card-api admits namespaces labelled team=storefront on 8443 and
sends only DNS to kube-system and 443 to 198.51.100.0/24; log-shipper uses hostNetwork.
tenant-acme (team=storefront): no policies. tenant-globex: billing admits every namespace on `http`.
"""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck import paths
from pcicheck.analyze.addresses import admits_internet, covers_private
from pcicheck.analyze.estate import analyze
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, Any]]:
    read = read_manifests([paths.demo_dir() / "k8s-cluster.yaml"])
    estate = analyze(read.resources, ScopeConfig())
    return {r.name: estate.facts[r.uid] for r in read.resources}


def test_cde_api_is_reached_from_the_labelled_tenant_namespace(facts: dict[str, dict[str, Any]]) -> None:
    api = facts["Deployment payments/card-api"]
    assert api["non_cde_sources"] == [{"namespace": "tenant-acme", "verdict": "allowed"}]
    # globex is not labelled team=storefront; log-shipper (hostNetwork, in payments) is plugin-defined.
    assert api["ingress_sources"] == [
        {"namespace": "payments", "verdict": "possible"},
        {"namespace": "tenant-acme", "verdict": "allowed"},
    ]
    assert api["label_selected_ingress"] == ["NetworkPolicy payments/card-api-ingress"]
    assert api["internet_ingress"] == [] and api["any_namespace_ingress"] == []
    assert api["internet_egress_cidrs"] == ["198.51.100.0/24"]


def test_host_network_pod_fails_closed(facts: dict[str, dict[str, Any]]) -> None:
    shipper = facts["DaemonSet payments/log-shipper"]
    assert shipper["internet_ingress"] == ["hostNetwork: NetworkPolicy may not apply (plugin-defined)"]
    assert shipper["internet_egress_cidrs"] == ["0.0.0.0/0", "::/0"]
    assert {s["verdict"] for s in shipper["non_cde_sources"]} == {"possible"}


def test_tenants_and_connected_to(facts: dict[str, dict[str, Any]]) -> None:
    billing = facts["Deployment tenant-globex/billing"]
    assert billing["other_tenant_sources"] == [{"namespace": "tenant-acme", "verdict": "allowed", "tenant": "acme"}]
    assert billing["any_namespace_ingress"] == ["NetworkPolicy tenant-globex/billing-ingress"]
    assert facts["Namespace tenant-globex"]["other_tenant_sources"][0]["namespace"] == "tenant-acme"
    # acme's web reaches the CDE: a connected-to system. globex's billing reaches only the log shipper,
    # whose hostNetwork makes that a possibility, and the CDE cannot open connections to billing:
    # card-api's egress is closed and the log shipper's answer is plugin-defined.
    web = facts["Deployment tenant-acme/web"]
    assert {"direction": "to-cde", "peer": "payments", "verdict": "allowed"} in web["connected_to_cde"]
    assert billing["connected_to_cde"] == [
        {"direction": "to-cde", "peer": "payments", "verdict": "possible"},
        {"direction": "from-cde", "peer": "payments", "verdict": "possible"},
    ]
    assert facts["Deployment payments/card-api"]["connected_to_cde"] == []  # the CDE itself is not connected-to


@pytest.mark.parametrize(
    ("cidr", "excepts", "internet", "private"),
    [
        ("0.0.0.0/0", [], True, True),
        ("0.0.0.0/0", ["0.0.0.0/1", "128.0.0.0/1"], False, False),
        ("10.0.0.0/8", [], False, True),
        ("198.51.100.0/24", [], True, False),
        ("100.64.0.0/10", [], False, True),  # shared address space (EKS custom networking) is private
        ("172.0.0.0/8", ["172.16.0.0/12"], True, False),
        ("::/0", [], True, True),
        ("fd00::/8", [], False, True),
        ("192.168.1.7/32", [], False, True),
    ],
)
def test_address_space(cidr: str, excepts: list[str], internet: bool, private: bool) -> None:
    assert admits_internet(cidr, excepts) is internet
    assert covers_private(cidr, excepts) is private
