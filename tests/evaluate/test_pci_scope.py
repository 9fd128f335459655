"""PCI DSS scope, as the scoping guidance defines it, on the demo cluster's manifests and hand-built AWS
records: connected-to systems get the CDE's verdicts (and say so), CDE-only controls leave them out, an
untagged connected-to system is flagged, and unknown connectivity is an error, never out of scope."""

from __future__ import annotations

from datetime import UTC, datetime

from pcicheck import paths
from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import Resource, Result, Status
from tests.evaluate.test_engine import control, denied, res

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _demo_cluster() -> tuple[list[Resource], list[Result]]:
    resources = list(read_manifests([paths.demo_dir() / "k8s-cluster.yaml"]).resources)
    catalog = load_catalog()
    controls = [c for c in catalog.controls if c.resource == "k8s.workload" and c.scope in ("cde", "cde-only")]
    estate = analyze(resources, ScopeConfig())
    return resources, Evaluator(controls).evaluate(estate, [], NOW)


def test_every_resource_has_a_pci_scope_and_a_reason() -> None:
    resources = list(read_manifests([paths.demo_dir() / "k8s-cluster.yaml"]).resources)
    estate = analyze(resources, ScopeConfig())
    scope = {r.name: (estate.facts[r.uid]["pci_scope"], estate.facts[r.uid]["pci_scope_reason"]) for r in resources}
    assert scope["Deployment payments/card-api"][0] == "cde"
    web, why = scope["Deployment tenant-acme/web"]
    assert web == "connected-to" and why.startswith("connected to the CDE: to-cde payments (allowed)")
    assert scope["NetworkPolicy tenant-globex/billing-ingress"][0] == "security-impacting"
    assert scope["Node ip-10-0-1-10.ec2.internal"] == ("cde", "runs pods of a CDE namespace")
    assert {s for s, _ in scope.values()} <= {"cde", "connected-to", "security-impacting", "out-of-scope"}
    # Nobody put the CDE label on tenant-acme: in scope that nobody declared.
    listed = {c["name"]: c for c in estate.connected_to()}
    assert listed["Deployment tenant-acme/web"]["scope_tagged"] is False


def test_a_connected_to_workload_gets_the_cde_verdicts_and_says_why() -> None:
    _, results = _demo_cluster()
    web = {r.control.id: r for r in results if r.resource["name"] == "Deployment tenant-acme/web"}
    judged = web["k8s-cde-workload-not-internet-reachable"]
    assert judged.resource["scope"] == "connected-to"
    assert judged.status in (Status.PASS, Status.FAIL) and "judged as connected to the CDE: " in judged.message
    # Its own boundary is not the CDE's: a CDE-only control leaves it out, and says why.
    boundary = web["k8s-cde-workload-no-non-cde-ingress"]
    assert boundary.status == Status.NOT_APPLICABLE and "judges only the CDE itself" in boundary.message
    # The CDE workload's own verdicts carry no such note.
    api = [r for r in results if r.resource["name"] == "Deployment payments/card-api"]
    assert api and not any("connected to the CDE" in r.message for r in api)


def _aws_estate(instance: Resource) -> list[Resource]:
    vpc = res("aws.ec2.vpc", "vpc", attributes={"vpc_id": "vpc-1", "cidr_blocks": ["10.0.0.0/16"]})
    db = res("aws.rds.instance", "db", tags={"pci-scope": "cde"}, attributes={"vpc_id": "vpc-1"})
    return [vpc, db, instance]


def test_unknown_connectivity_is_an_error_never_out_of_scope() -> None:
    # A non-CDE instance whose subnet was not recorded: nobody can say whether it reaches the CDE database.
    unplaced = res("aws.ec2.instance", "i-1", attributes={"vpc_id": "vpc-1", "public_ip": "1.2.3.4"})
    c = control(check="resource.attributes.public_ip == null", resource="aws.ec2.instance", scope="cde")
    estate = analyze(_aws_estate(unplaced), ScopeConfig())
    assert estate.facts["i-1"]["pci_scope"] == "unknown"
    (r,) = Evaluator([c]).evaluate(estate, [], NOW)
    assert r.status == Status.ERROR and r.message.startswith("scope unknown, whether it connects to the CDE")


def test_without_any_cde_nothing_is_connected_to_it() -> None:
    alone = res("aws.ec2.instance", "i-1", attributes={"vpc_id": "vpc-1", "public_ip": "1.2.3.4"})
    c = control(check="resource.attributes.public_ip == null", resource="aws.ec2.instance", scope="cde")
    estate = analyze([alone], ScopeConfig())
    assert estate.facts["i-1"]["pci_scope"] == "out-of-scope"
    (r,) = Evaluator([c]).evaluate(estate, [], NOW)
    assert r.status == Status.NOT_APPLICABLE and r.message == "out of scope: neither in the CDE nor connected to it"


def test_a_failed_listing_connectivity_rests_on_makes_out_of_scope_unknowable() -> None:
    subnet = res("aws.ec2.subnet", "sn", attributes={"subnet_id": "subnet-1", "vpc_id": "vpc-1"})
    placed = res("aws.ec2.instance", "i-1", attributes={"vpc_id": "vpc-1", "subnet_id": "subnet-1"})
    c = control(check="true", resource="aws.ec2.instance", scope="cde")
    estate = analyze([*_aws_estate(placed), subnet], ScopeConfig())
    refused = denied("ec2", "DescribeSecurityGroups", "aws.ec2.security_group")
    (r,) = Evaluator([c]).evaluate(estate, [refused], NOW)
    assert r.status == Status.ERROR and "DescribeSecurityGroups" in r.message


def test_a_subnet_with_a_path_into_the_cde_is_connected_to_and_listed_untagged() -> None:
    """The CDE database in subnet-app admits 10.0.1.0/24 (subnet-pub, untagged) on 5432."""
    from tests.analyze.test_aws_reach import database, public_vpc, rule, sg

    records = [
        *public_vpc(),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["10.0.1.0/24"])]),
        database("cards", ["subnet-app"], "vpc-1", ["sg-db"], tags={"pci-scope": "cde"}),
    ]
    estate = analyze(records, ScopeConfig())
    facts = {r.name: estate.facts[r.uid] for r in records}
    assert facts["subnet-pub"]["pci_scope"] == "connected-to"
    assert facts["subnet-pub"]["pci_scope_reason"] == "connected to the CDE: to-cde cards (allowed)"
    assert facts["subnet-app"]["pci_scope"] == "out-of-scope"  # the database's own subnet, untagged, admits nothing
    assert [(c["name"], c["scope_tagged"]) for c in estate.connected_to()] == [("subnet-pub", False)]
