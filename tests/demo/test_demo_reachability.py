"""The demo estate's network, seeded into the emulator, collected and analyzed: the reachability
findings the demo is meant to show, and the seeder's peering and load balancer sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck.analyze.aws_reach import Network
from pcicheck.analyze.estate import analyze
from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services import ec2, elbv2, rds
from pcicheck.config import ScopeConfig
from pcicheck.demo.emulator import Emulator
from pcicheck.demo.seed import LOAD_BALANCER, PEERING, load_estate, seed_estate
from pcicheck.errors import InputError
from pcicheck.paths import demo_dir

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _collect(endpoint: str) -> list[Any]:
    resources: list[Any] = []
    for spec in (*ec2.SPECS, rds.SPEC, elbv2.SPEC):
        ctx = CollectContext(
            spec=spec,
            account=ACCOUNT,
            region=REGION,
            partition="aws",
            make_client=lambda name, region: boto3.client(name, region_name=region, endpoint_url=endpoint),
        )
        resources += list(spec.collect(ctx))
    return resources


def test_demo_network_findings(aws: Emulator) -> None:
    report = seed_estate(demo_dir() / "aws-estate.yaml", aws.endpoint)
    assert report.counts[PEERING] == 1 and report.counts[LOAD_BALANCER] == 1
    resources = _collect(aws.endpoint)
    estate = analyze(resources, ScopeConfig())
    by_name = {r.name: r for r in resources}
    facts = {name: estate.facts[r.uid] for name, r in by_name.items()}

    # The corporate tools subnet reaches the card vault over the peering, through its 0.0.0.0/0 rule.
    (source,) = facts["card-vault"]["non_cde_sources"]
    assert (source["name"], source["ports"], source["verdict"]) == ("corp-tools-a", ["5432/tcp"], "allowed")
    assert any("→ pcx-" in step for step in source["path"])
    # …but nothing on the internet does: it is not publicly accessible.
    assert facts["card-vault"]["reachable_from_internet"] is False

    # ops-debug has a public IP, but its subnet has no route to an internet gateway.
    assert by_name["ops-debug"].attributes["public_ip"]
    assert facts["ops-debug"]["reachable_from_internet"] is False
    assert facts["ops-debug"]["internet_egress"] == []

    # The payments load balancer answers the internet on 443 and (plain HTTP) on 80.
    edge = facts["payments-edge"]
    assert [e["ports"] for e in edge["internet_ingress"]] == ["80/tcp", "443/tcp"]
    assert edge["reachable_from_internet"] is True

    network = Network.from_resources(resources, {uid: f for uid, f in estate.facts.items()})
    assert network.query("internet", "payments-edge", 443).verdict == "allowed"
    assert network.query("internet", "payments-edge", 8080).verdict == "denied"
    corp = by_name["corp-tools-a"].attributes["subnet_id"]
    assert network.query(corp, "card-vault", 5432).verdict == "allowed"
    assert network.query(corp, "ops-debug", 443).verdict == "denied"  # cde-app admits 10.20.0.0/16 only


UNREACHABLE = "http://127.0.0.1:9"


def _estate(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "estate.yaml"
    path.write_text(
        "regions:\n"
        "  us-east-1:\n"
        "    vpcs:\n"
        "      a: {cidr: 10.1.0.0/16, subnets: {a-1: {cidr: 10.1.1.0/24}}}\n"
        "      b: {cidr: 10.2.0.0/16}\n"
        "      c: {cidr: 10.3.0.0/16}\n" + body,
        encoding="utf-8",
    )
    return path


def test_peering_routes_must_name_a_peer(tmp_path: Path) -> None:
    path = _estate(tmp_path, "    vpc_peerings:\n      ab: {requester: a, accepter: b, routes: [a, c]}\n")
    with pytest.raises(InputError, match="not one of the two peers") as info:
        seed_estate(path, UNREACHABLE)
    assert info.value.line == 8


def test_https_listener_needs_a_certificate(tmp_path: Path) -> None:
    path = _estate(
        tmp_path,
        "    load_balancers:\n"
        "      edge:\n"
        "        scheme: internet-facing\n"
        "        subnets: [a-1]\n"
        "        listeners: [{port: 443, protocol: HTTPS}]\n",
    )
    with pytest.raises(InputError, match="HTTPS listener needs a certificate"):
        load_estate(path)
