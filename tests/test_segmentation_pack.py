"""The segmentation evidence an evidence pack carries: the CDE isolation and tenant separation plans with
their configured verdicts, the requirements they support, open flows first, bounded, and labelled as
support for the penetration test, never a replacement of it. Verdicts are worked by hand."""

from __future__ import annotations

from pcicheck import paths
from pcicheck.analyze.estate import analyze
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource, Snapshot
from pcicheck.segmentation.pack import answer_with_facts, segmentation_evidence
from tests.analyze.test_aws_reach import instance, public_vpc, rule, sg, subnet


def _snapshot(resources: list[Resource], providers: list[str]) -> Snapshot:
    return Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": providers}, {}, tuple(resources), ())


def _evidence(resources: list[Resource], providers: list[str], listed: int = 500) -> dict:
    snap = _snapshot(resources, providers)
    evidence = segmentation_evidence(snap, ScopeConfig(), analyze(snap.resources, ScopeConfig()).facts, listed)
    assert evidence is not None
    return {p["id"]: p for p in evidence["plans"]} | {"support": evidence["support"]}


def test_the_demo_cluster_plans_show_the_open_flows_first() -> None:
    resources = list(read_manifests([paths.demo_dir() / "k8s-cluster.yaml"]).resources)
    plans = _evidence(resources, ["manifests"])
    assert "not a replacement of it" in plans["support"] and "no traffic was sent" in plans["support"]
    cde = plans["cde"]
    assert cde["requirements"]["pci-dss-4.0.1"] == ["1.3.1", "1.4.2", "11.4.5"]
    assert cde["requirements"]["pci-dss-3.2.1"] == ["1.2.1", "1.3", "11.3.4"]
    # acme's web reaches card-api on 8443 (labelled team=storefront): the one allowed flow, listed first.
    first = cde["listed"][0]
    assert (first["from"], first["to"], first["port"], first["verdict"]) == (
        "tenant-acme/web-5c9d8-kq7zt",
        "payments/card-api-6b7f9-x2x4q",
        8443,
        "allowed",
    )
    verdicts = [f["verdict"] for f in cde["listed"]]
    assert verdicts == sorted(verdicts, key=["allowed", "possible", "denied"].index)
    assert cde["counts"] == {"allowed": 1, "possible": 3, "denied": cde["flows"] - 4}
    assert cde["not_denied"] == 4 and cde["left_out"] == 0
    # Each tenant reaches the other: billing admits every namespace, acme's web has no policy at all.
    tenants = plans["tenants"]
    assert tenants["requirements"]["pci-dss-4.0.1"] == ["A1.1.1", "A1.1.2", "A1.1.4"]
    assert {(f["from"].split("/")[0], f["to"].split("/")[0], f["verdict"]) for f in tenants["listed"]} == {
        ("tenant-acme", "tenant-globex", "allowed"),
        ("tenant-globex", "tenant-acme", "allowed"),
    }


def test_the_list_is_bounded_and_the_counts_are_not() -> None:
    resources = list(read_manifests([paths.demo_dir() / "k8s-cluster.yaml"]).resources)
    cde = _evidence(resources, ["manifests"], listed=2)["cde"]
    assert len(cde["listed"]) == 2 and cde["left_out"] == cde["flows"] - 2
    assert [f["verdict"] for f in cde["listed"]] == ["allowed", "possible"]


def test_aws_tenant_subnets_into_another_tenants_instance() -> None:
    """Subnet-pub belongs to tenant a, subnet-app to b; b's instance admits 10.0.1.0/24 (a's subnet) on 22."""
    base = [r for r in public_vpc() if r.type != "aws.ec2.subnet"]
    records = [
        *base,
        subnet("subnet-pub", "vpc-1", "10.0.1.0/24", "rtb-pub", tags={"tenant": "a"}),
        subnet("subnet-app", "vpc-1", "10.0.2.0/24", "rtb-app", tags={"tenant": "b"}),
        sg("sg-b", "vpc-1", [rule("tcp", 22, cidrs=["10.0.1.0/24"])]),
        instance("i-b", "subnet-app", "vpc-1", ["sg-b"], "10.0.2.10", tags={"tenant": "b"}),
    ]
    plans = _evidence(records, ["aws"])
    assert plans["cde"]["flows"] == 0 and plans["cde"]["note"].startswith("no CDE component")
    flows = {(f["from"], f["to"], f["port"]): f["verdict"] for f in plans["tenants"]["listed"]}
    # Nothing listens on a known port, so the plan tries SSH and HTTPS; 22 is open from tenant a.
    assert flows == {("subnet-pub", "i-b", 22): "allowed", ("subnet-pub", "i-b", 443): "denied"}


def test_no_network_scanned_means_no_segmentation_section() -> None:
    key = Resource("arn:k", "aws.kms.key", "aws", "111", "eu-west-2", "k", {}, {})
    snap = _snapshot([key], ["aws"])
    assert segmentation_evidence(snap, ScopeConfig(), analyze(snap.resources, ScopeConfig()).facts) is None


def _table(answers: list[dict]) -> dict:
    verdict = {True: "allowed", False: "denied"}
    return {(a["from"], a["to"], a["port"]): verdict.get(a["allowed"], "possible") for a in answers}


def test_verdicts_vouched_by_the_reach_facts_agree_with_asking_every_flow() -> None:
    """The pack answers most AWS flows from the reachability facts (a large account's plan is hundreds of
    thousands of flows): on a synthetic estate of peered VPCs, with tenants, each verdict is the one a
    query gives."""
    import dataclasses

    from pcicheck.segmentation.plan import answered, cde_flows, tenant_flows
    from tests.analyze.test_aws_reach import synthetic

    records = []
    for i, r in enumerate(synthetic(n_vpcs=4, subnets_per_vpc=4, nodes=240)):
        if r.type in ("aws.ec2.subnet", "aws.ec2.instance", "aws.rds.instance") and not r.tags:
            r = dataclasses.replace(r, tags={"tenant": f"t{i % 3}"})
        records.append(r)
    snap = _snapshot(records, ["aws"])
    facts = analyze(snap.resources, ScopeConfig()).facts
    plans = [(cde_flows, "non_cde_sources"), (tenant_flows, "other_tenant_sources")]
    for build, sources in plans:
        flows = build(snap, ScopeConfig(), facts)
        expected = _table(answered(snap, ScopeConfig(), flows))
        quick = answer_with_facts(snap, ScopeConfig(), flows, facts, sources, 0)
        assert _table(quick) == expected
        assert any(a["reason"].endswith("(its reachability facts)") for a in quick)  # the shortcut was taken
        # Every flow a pack lists carries the reason a query gives, shortcut or not.
        shown = answer_with_facts(snap, ScopeConfig(), flows, facts, sources, len(flows))
        assert shown == answered(snap, ScopeConfig(), flows)
        assert len(expected) > 100 and 0 < sum(v != "denied" for v in expected.values()) < len(expected)
