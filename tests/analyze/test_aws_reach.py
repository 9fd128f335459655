"""The AWS reachability engine against hand-worked cases.

Every expected verdict below was worked out from the AWS VPC documentation (security groups:
stateful, allow-only, union of groups; network ACLs: stateless, lowest rule number first, `*`
denies, replies to ephemeral ports 1024-65535; routes: longest prefix match, internet gateways
need a public address, NAT is egress only, peering needs routes both ways), not from the engine's
output. Each case builds the few records it needs in the shape the collectors write them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pcicheck.analyze.aws_reach import Network, connected_to, reach_facts
from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator, compile_control
from pcicheck.model import CollectionError, Resource, Status

ACCOUNT = "123456789012"
REGION = "us-east-1"
OPEN = [(100, "-1", None, "0.0.0.0/0", "allow")]  # the default ACL's entries
ALL_OUT = [{"protocol": "-1", "from_port": None, "to_port": None, "cidrs": ["0.0.0.0/0"]}]


def res(kind: str, ident: str, attributes: dict[str, Any], tags: dict[str, str] | None = None) -> Resource:
    short = kind.rsplit(".", 1)[-1].replace("_", "-")
    return Resource(
        uid=f"arn:aws:{kind.split('.')[1]}:{REGION}:{ACCOUNT}:{short}/{ident}",
        type=kind,
        provider="aws",
        account=ACCOUNT,
        region=REGION,
        name=ident,
        tags=dict(tags or {}),
        attributes=attributes,
    )


def vpc(ident: str, cidr: str, tags: dict[str, str] | None = None) -> Resource:
    return res("aws.ec2.vpc", ident, {"vpc_id": ident, "cidr_blocks": [cidr]}, tags)


def subnet(ident: str, vpc_id: str, cidr: str, table: str | None, tags: dict[str, str] | None = None) -> Resource:
    attrs: dict[str, Any] = {"subnet_id": ident, "vpc_id": vpc_id, "cidr": cidr}
    if table is not None:
        attrs["route_table_id"] = table
    return res("aws.ec2.subnet", ident, attrs, tags)


def table(ident: str, vpc_id: str, cidr: str, *routes: tuple[str, str, str]) -> Resource:
    """routes: (destination, target_type, target); the local route for `cidr` comes first."""
    entries = [{"destination": cidr, "target_type": "local", "target": "local", "state": "active"}]
    entries += [{"destination": d, "target_type": t, "target": x, "state": "active"} for d, t, x in routes]
    return res("aws.ec2.route_table", ident, {"route_table_id": ident, "vpc_id": vpc_id, "routes": entries})


def acl(
    ident: str,
    vpc_id: str,
    subnets: list[str],
    inbound: list[tuple[int, str, Any, str, str]] = OPEN,
    outbound: list[tuple[int, str, Any, str, str]] = OPEN,
) -> Resource:
    """Entries as (rule number, protocol number, ports (int | (low, high) | None), cidr, action)."""

    def entry(e: tuple[int, str, Any, str, str], egress: bool) -> dict[str, Any]:
        number, protocol, ports, cidr, action = e
        low, high = (ports, ports) if isinstance(ports, int) else (ports or (None, None))
        v6 = ":" in cidr
        return {
            "rule_number": number,
            "egress": egress,
            "protocol": protocol,
            "action": action,
            "cidr": None if v6 else cidr,
            "ipv6_cidr": cidr if v6 else None,
            "from_port": low,
            "to_port": high,
        }

    star = [(32767, "-1", None, "0.0.0.0/0", "deny")]
    entries = [entry(e, False) for e in inbound + star] + [entry(e, True) for e in outbound + star]
    return res(
        "aws.ec2.network_acl",
        ident,
        {"network_acl_id": ident, "vpc_id": vpc_id, "is_default": False, "subnet_ids": subnets, "entries": entries},
    )


def rule(protocol: str, ports: Any = None, **peers: Any) -> dict[str, Any]:
    low, high = (ports, ports) if isinstance(ports, int) else (ports or (None, None))
    return {
        "protocol": protocol,
        "from_port": low,
        "to_port": high,
        "cidrs": peers.get("cidrs", []),
        "ipv6_cidrs": peers.get("ipv6_cidrs", []),
        "prefix_lists": peers.get("prefix_lists", []),
        "groups": peers.get("groups", []),
        "description": None,
    }


def sg(ident: str, vpc_id: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]] = ALL_OUT) -> Resource:
    return res(
        "aws.ec2.security_group",
        ident,
        {"group_id": ident, "vpc_id": vpc_id, "ingress": ingress, "egress": egress},
    )


def instance(
    ident: str,
    subnet_id: str,
    vpc_id: str,
    groups: list[str] | None,
    private_ip: str,
    public_ip: str | None = None,
    tags: dict[str, str] | None = None,
) -> Resource:
    attrs: dict[str, Any] = {
        "instance_id": ident,
        "state": "running",
        "vpc_id": vpc_id,
        "subnet_id": subnet_id,
        "public_ip": public_ip,
        "private_ip": private_ip,
    }
    if groups is not None:
        attrs["security_groups"] = groups
    return res("aws.ec2.instance", ident, attrs, tags)


def database(
    ident: str,
    subnets: list[str],
    vpc_id: str,
    groups: list[str],
    public: bool = False,
    port: int = 5432,
    tags: dict[str, str] | None = None,
) -> Resource:
    return res(
        "aws.rds.instance",
        ident,
        {
            "db_instance_identifier": ident,
            "publicly_accessible": public,
            "vpc_id": vpc_id,
            "subnet_ids": subnets,
            "security_groups": groups,
            "port": port,
        },
        tags,
    )


def balancer(
    name: str,
    subnets: list[str],
    vpc_id: str,
    groups: list[str],
    scheme: str,
    listeners: list[tuple[int, str]],
    kind: str = "application",
    address_type: str = "ipv4",
    tags: dict[str, str] | None = None,
) -> Resource:
    return res(
        "aws.elbv2.load_balancer",
        name,
        {
            "arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{name}/1",
            "name": name,
            "type": kind,
            "scheme": scheme,
            "ip_address_type": address_type,
            "vpc_id": vpc_id,
            "subnet_ids": subnets,
            "security_groups": groups,
            "listeners": [
                {"port": p, "protocol": proto, "ssl_policy": None, "certificate_arns": [], "default_actions": []}
                for p, proto in listeners
            ],
        },
        tags,
    )


def cluster(
    name: str,
    subnets: list[str],
    vpc_id: str,
    cluster_group: str,
    public: bool,
    cidrs: list[str],
    private: bool = True,
    tags: dict[str, str] | None = None,
) -> Resource:
    return res(
        "aws.eks.cluster",
        name,
        {
            "name": name,
            "endpoint_public_access": public,
            "endpoint_private_access": private,
            "public_access_cidrs": cidrs,
            "vpc_id": vpc_id,
            "subnet_ids": subnets,
            "security_group_ids": [],
            "cluster_security_group_id": cluster_group,
        },
        tags,
    )


def public_vpc(route: tuple[str, str, str] = ("0.0.0.0/0", "gateway", "igw-1"), **acls: Any) -> list[Resource]:
    """vpc-1 10.0.0.0/16: subnet-pub (10.0.1.0/24, table rtb-pub with `route`) and subnet-app
    (10.0.2.0/24, local only), each on its own ACL (open unless given)."""
    return [
        vpc("vpc-1", "10.0.0.0/16"),
        table("rtb-pub", "vpc-1", "10.0.0.0/16", route),
        table("rtb-app", "vpc-1", "10.0.0.0/16"),
        subnet("subnet-pub", "vpc-1", "10.0.1.0/24", "rtb-pub"),
        subnet("subnet-app", "vpc-1", "10.0.2.0/24", "rtb-app"),
        acl("acl-pub", "vpc-1", ["subnet-pub"], **acls.get("pub", {})),
        acl("acl-app", "vpc-1", ["subnet-app"], **acls.get("app", {})),
    ]


def web(ingress: list[dict[str, Any]] | None = None, public_ip: str | None = "54.1.2.3") -> list[Resource]:
    return [
        sg("sg-web", "vpc-1", ingress if ingress is not None else [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        instance("i-web", "subnet-pub", "vpc-1", ["sg-web"], "10.0.1.10", public_ip),
    ]


def verdict(records: list[Resource], src: str, dst: str, port: int, protocol: str = "tcp") -> str:
    return Network.from_resources(records).query(src, dst, port, protocol).verdict


# --- from the internet ----------------------------------------------------------------------------


def test_public_instance_behind_internet_gateway_is_reachable() -> None:
    records = public_vpc() + web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "allowed"
    # The path names each rule that lets the flow through.
    assert "rtb-pub 0.0.0.0/0 → igw-1" in decision.reasons
    assert "acl-pub inbound rule 100 allow" in decision.reasons
    assert "acl-pub outbound rule 100 allow (reply on 1024-65535)" in decision.reasons
    assert "sg-web ingress tcp 443 from 0.0.0.0/0" in decision.reasons
    assert verdict(records, "internet", "i-web", 22) == "denied"  # no rule for 22


def test_nat_route_gives_no_ingress() -> None:
    records = public_vpc(route=("0.0.0.0/0", "nat", "nat-1")) + web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "denied"
    assert any("nat-1" in r and "never in" in r for r in decision.reasons)
    # …but the instance can still open connections out through it.
    assert verdict(records, "i-web", "internet", 443) == "allowed"


def test_public_ip_without_an_internet_route_is_not_reachable() -> None:
    """The demo's ops-debug: a public IP in a subnet whose table has only the local route."""
    records = [
        *public_vpc(),
        sg("sg-web", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        instance("i-debug", "subnet-app", "vpc-1", ["sg-web"], "10.0.2.10", "54.9.9.9"),
    ]
    assert verdict(records, "internet", "i-debug", 443) == "denied"
    facts = reach_facts(records)[records[-1].uid]
    assert facts["reachable_from_internet"] is False and facts["internet_ingress"] == []
    assert facts["internet_egress"] == []


def test_no_public_ip_in_public_subnet_is_not_reachable() -> None:
    records = public_vpc() + web(public_ip=None)
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "denied"
    assert "i-web has no public IP address" in decision.reasons


def test_acl_denies_inbound() -> None:
    inbound = [(100, "6", 22, "0.0.0.0/0", "allow")]
    records = public_vpc(pub={"inbound": inbound}) + web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "denied"
    assert "acl-pub inbound rule * deny" in decision.reasons


def test_acl_without_ephemeral_return_denies() -> None:
    """Stateless: inbound 443 is allowed, but replies to the client's ephemeral port are not."""
    pub = {"inbound": [(100, "6", 443, "0.0.0.0/0", "allow")], "outbound": [(100, "6", 443, "0.0.0.0/0", "allow")]}
    records = public_vpc(pub=pub) + web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "denied"
    assert decision.reasons[-1] == "acl-pub outbound rule * deny (reply on 1024-65535)"


def test_acl_some_ephemeral_ports_suffice() -> None:
    """A client picks its own source port: a reply range narrower than 1024-65535 still lets it in."""
    pub = {"outbound": [(100, "6", (32768, 60999), "0.0.0.0/0", "allow")]}
    records = public_vpc(pub=pub) + web()
    assert verdict(records, "internet", "i-web", 443) == "allowed"


def test_acl_lowest_rule_number_wins() -> None:
    deny_first = [(90, "6", 443, "0.0.0.0/0", "deny"), (100, "-1", None, "0.0.0.0/0", "allow")]
    allow_first = [(100, "-1", None, "0.0.0.0/0", "allow"), (110, "6", 443, "0.0.0.0/0", "deny")]
    records = public_vpc(pub={"inbound": deny_first}) + web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "denied"
    assert "acl-pub inbound rule 90 deny" in decision.reasons
    assert verdict(public_vpc(pub={"inbound": allow_first}) + web(), "internet", "i-web", 443) == "allowed"


def test_acl_deny_for_one_cidr_leaves_the_rest_of_the_internet() -> None:
    inbound = [(50, "-1", None, "198.51.100.0/24", "deny"), (100, "-1", None, "0.0.0.0/0", "allow")]
    records = public_vpc(pub={"inbound": inbound}) + web()
    assert verdict(records, "internet", "i-web", 443) == "allowed"
    assert verdict(records, "cidr:198.51.100.7", "i-web", 443) == "denied"
    assert verdict(records, "cidr:203.0.113.7", "i-web", 443) == "allowed"


def test_rds_publicly_accessible_decides_in_a_public_subnet() -> None:
    base = [*public_vpc(), sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["0.0.0.0/0"])])]
    private = [*base, database("card-vault", ["subnet-pub"], "vpc-1", ["sg-db"], public=False)]
    decision = Network.from_resources(private).query("internet", "card-vault", 5432)
    assert decision.verdict == "denied"
    assert "card-vault is not publicly accessible" in decision.reasons
    public = [*base, database("card-vault", ["subnet-pub"], "vpc-1", ["sg-db"], public=True)]
    assert verdict(public, "internet", "card-vault", 5432) == "allowed"
    assert verdict(public, "internet", "card-vault", 3306) == "denied"  # nothing listens there


def test_rds_in_one_of_two_subnets_that_disagree_is_possible() -> None:
    """A database sits in one subnet of its group; if only one of them is public, it may be exposed."""
    records = [
        *public_vpc(),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["0.0.0.0/0"])]),
        database("card-vault", ["subnet-app", "subnet-pub"], "vpc-1", ["sg-db"], public=True),
    ]
    assert verdict(records, "internet", "card-vault", 5432) == "possible"


def test_load_balancer_scheme_and_listeners() -> None:
    base = [*public_vpc(), sg("sg-lb", "vpc-1", [rule("tcp", (0, 65535), cidrs=["0.0.0.0/0"])])]
    facing = [*base, balancer("edge", ["subnet-pub"], "vpc-1", ["sg-lb"], "internet-facing", [(443, "HTTPS")])]
    assert verdict(facing, "internet", "edge", 443) == "allowed"
    assert verdict(facing, "internet", "edge", 8080) == "denied"  # no listener
    internal = [*base, balancer("edge", ["subnet-pub"], "vpc-1", ["sg-lb"], "internal", [(443, "HTTPS")])]
    decision = Network.from_resources(internal).query("internet", "edge", 443)
    assert decision.verdict == "denied" and "edge is internal" in decision.reasons


def test_network_load_balancer_without_groups_is_filtered_by_acls_only() -> None:
    records = [
        *public_vpc(),
        balancer("nlb", ["subnet-pub"], "vpc-1", [], "internet-facing", [(9000, "TCP")], "network"),
    ]
    assert verdict(records, "internet", "nlb", 9000) == "allowed"
    records = public_vpc(pub={"inbound": [(100, "6", 443, "0.0.0.0/0", "allow")]}) + records[7:]
    assert verdict(records, "internet", "nlb", 9000) == "denied"


def test_eks_public_endpoint_restricted_cidrs() -> None:
    records = [
        *public_vpc(),
        sg("sg-eks", "vpc-1", [rule("tcp", 443, groups=["sg-nodes"])]),
        cluster("payments", ["subnet-app"], "vpc-1", "sg-eks", public=True, cidrs=["203.0.113.0/24"]),
    ]
    # Some internet addresses (the office range) reach it; others do not.
    assert verdict(records, "internet", "payments", 443) == "allowed"
    assert verdict(records, "cidr:203.0.113.9", "payments", 443) == "allowed"
    assert verdict(records, "cidr:198.51.100.7", "payments", 443) == "denied"
    closed = [*records[:-1], cluster("payments", ["subnet-app"], "vpc-1", "sg-eks", public=False, cidrs=["0.0.0.0/0"])]
    assert verdict(closed, "internet", "payments", 443) == "denied"


def test_eks_private_endpoint_through_the_cluster_security_group() -> None:
    records = [
        *public_vpc(),
        sg("sg-eks", "vpc-1", [rule("tcp", 443, groups=["sg-nodes"])]),
        sg("sg-nodes", "vpc-1", []),
        cluster("payments", ["subnet-app"], "vpc-1", "sg-eks", public=False, cidrs=[]),
        instance("i-node", "subnet-pub", "vpc-1", ["sg-nodes"], "10.0.1.20"),
        instance("i-other", "subnet-pub", "vpc-1", [], "10.0.1.21"),
    ]
    assert verdict(records, "i-node", "payments", 443) == "allowed"
    assert verdict(records, "i-other", "payments", 443) == "denied"
    no_private = [
        *records[:-3],
        cluster("payments", ["subnet-app"], "vpc-1", "sg-eks", public=False, cidrs=[], private=False),
        *records[-2:],
    ]
    assert verdict(no_private, "i-node", "payments", 443) == "denied"


def test_ipv6_rule_without_collected_ipv6_addresses_is_possible() -> None:
    records = public_vpc(route=("::/0", "gateway", "igw-1"), pub={"inbound": [(100, "-1", None, "::/0", "allow")]})
    records = [
        *records[:-2],
        acl(
            "acl-pub",
            "vpc-1",
            ["subnet-pub"],
            inbound=[(100, "-1", None, "::/0", "allow")],
            outbound=[(100, "-1", None, "::/0", "allow")],
        ),
        records[-1],
    ]
    records += web([rule("tcp", 443, ipv6_cidrs=["::/0"])])
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "possible"
    assert "IPv6 addresses of i-web are not collected" in decision.reasons
    # A dual-stack load balancer has IPv6 addresses for sure.
    records += [
        sg("sg-lb", "vpc-1", [rule("tcp", 443, ipv6_cidrs=["::/0"])]),
        balancer(
            "edge", ["subnet-pub"], "vpc-1", ["sg-lb"], "internet-facing", [(443, "HTTPS")], address_type="dualstack"
        ),
    ]
    assert verdict(records, "internet", "edge", 443) == "allowed"


def test_prefix_list_source_is_possible() -> None:
    records = public_vpc() + web([rule("tcp", 443, prefix_lists=["pl-0123"])])
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "possible"
    assert any("pl-0123" in r and "not collected" in r for r in decision.reasons)


def test_unreadable_security_groups_are_possible_never_denied() -> None:
    records = [*public_vpc(), instance("i-web", "subnet-pub", "vpc-1", None, "10.0.1.10", "54.1.2.3")]
    assert verdict(records, "internet", "i-web", 443) == "possible"
    facts = reach_facts(records)[records[-1].uid]
    assert facts["reachable_from_internet"] is None
    assert {e["verdict"] for e in facts["internet_ingress"]} == {"possible"}
    # A group that is named but not in the snapshot is just as unknown.
    missing = [*public_vpc(), instance("i-web", "subnet-pub", "vpc-1", ["sg-gone"], "10.0.1.10", "54.1.2.3")]
    assert verdict(missing, "internet", "i-web", 443) == "possible"


def test_unknown_route_table_is_possible() -> None:
    records = [r for r in public_vpc() if r.name != "subnet-pub"] + [subnet("subnet-pub", "vpc-1", "10.0.1.0/24", None)]
    records += web()
    assert verdict(records, "internet", "i-web", 443) == "possible"
    assert reach_facts(records)[records[-1].uid]["reachable_from_internet"] is None
    subnet_facts = reach_facts(records)[next(r.uid for r in records if r.name == "subnet-pub")]
    assert subnet_facts["internet_routes"] is None


def test_transit_gateway_route_is_possible() -> None:
    records = public_vpc(route=("0.0.0.0/0", "transit_gateway", "tgw-1")) + web()
    assert verdict(records, "internet", "i-web", 443) == "possible"
    assert verdict(records, "cidr:192.168.50.5", "i-web", 443) == "possible"  # on-premises, via the TGW


# --- inside and between VPCs -------------------------------------------------------------------------


def cde_estate(db_cidr: str = "10.0.0.0/16") -> list[Resource]:
    """vpc-1: subnet-pub (non-CDE) and subnet-app; vpc-cde holds the database."""
    return [
        *public_vpc(),
        vpc("vpc-cde", "10.1.0.0/16", {"pci-scope": "cde"}),
        table("rtb-cde", "vpc-cde", "10.1.0.0/16"),
        subnet("subnet-db", "vpc-cde", "10.1.1.0/24", "rtb-cde"),
        acl("acl-cde", "vpc-cde", ["subnet-db"]),
        sg("sg-db", "vpc-cde", [rule("tcp", 5432, cidrs=[db_cidr])]),
        database("card-vault", ["subnet-db"], "vpc-cde", ["sg-db"]),
    ]


def test_non_cde_subnet_reaches_cde_database_through_sg_cidr() -> None:
    records = [r for r in cde_estate() if r.type != "aws.ec2.vpc" or r.name != "vpc-cde"]
    # Put the database in vpc-1 (same VPC): the local route connects every subnet.
    records = [
        *public_vpc(),
        subnet("subnet-db", "vpc-1", "10.0.9.0/24", "rtb-app", {"pci-scope": "cde"}),
        acl("acl-cde", "vpc-1", ["subnet-db"]),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["10.0.0.0/16"])]),
        database("card-vault", ["subnet-db"], "vpc-1", ["sg-db"], tags={"pci-scope": "cde"}),
    ]
    decision = Network.from_resources(records).query("subnet-pub", "card-vault", 5432)
    assert decision.verdict == "allowed"
    assert "sg-db ingress tcp 5432 from 10.0.0.0/16" in decision.reasons
    assert "vpc-1 local route" in decision.reasons
    estate = analyze(records, ScopeConfig())
    db = next(r for r in records if r.type == "aws.rds.instance")
    sources = estate.facts[db.uid]["non_cde_sources"]
    assert [s["source"] for s in sources] == ["subnet-app", "subnet-pub"]
    assert sources[0]["ports"] == ["5432/tcp"] and sources[0]["verdict"] == "allowed"
    assert estate.facts[db.uid]["reachable_from_internet"] is False


def test_peering_needs_routes_on_both_sides() -> None:
    both = [r for r in cde_estate() if r.type != "aws.ec2.route_table" or r.name not in ("rtb-pub", "rtb-cde")] + [
        table("rtb-pub", "vpc-1", "10.0.0.0/16", ("10.1.0.0/16", "peering", "pcx-1")),
        table("rtb-cde", "vpc-cde", "10.1.0.0/16", ("10.0.1.0/24", "peering", "pcx-1")),
    ]
    decision = Network.from_resources(both).query("subnet-pub", "card-vault", 5432)
    assert decision.verdict == "allowed"
    assert "rtb-pub 10.1.0.0/16 → pcx-1" in decision.reasons and "rtb-cde 10.0.1.0/24 → pcx-1" in decision.reasons
    assert verdict(both, "subnet-app", "card-vault", 5432) == "denied"  # its table has no peering route
    one_way = [r for r in both if r.name != "rtb-cde"] + [table("rtb-cde", "vpc-cde", "10.1.0.0/16")]
    decision = Network.from_resources(one_way).query("subnet-pub", "card-vault", 5432)
    assert decision.verdict == "denied"
    assert "rtb-cde has no route to subnet-pub" in decision.reasons[-1]
    crossed = [r for r in both if r.name != "rtb-cde"] + [
        table("rtb-cde", "vpc-cde", "10.1.0.0/16", ("10.0.1.0/24", "peering", "pcx-2"))
    ]
    assert verdict(crossed, "subnet-pub", "card-vault", 5432) == "denied"


def test_same_subnet_crosses_no_acl() -> None:
    closed = {"inbound": [], "outbound": []}
    records = [
        *public_vpc(app=closed),
        sg("sg-app", "vpc-1", [rule("tcp", 8080, cidrs=["10.0.0.0/16"])]),
        instance("i-a", "subnet-app", "vpc-1", ["sg-app"], "10.0.2.10"),
        instance("i-b", "subnet-app", "vpc-1", ["sg-app"], "10.0.2.11"),
        instance("i-c", "subnet-pub", "vpc-1", ["sg-app"], "10.0.1.11"),
    ]
    decision = Network.from_resources(records).query("i-a", "i-b", 8080)
    assert decision.verdict == "allowed"
    assert "same subnet subnet-app: no network ACL crossed" in decision.reasons
    assert verdict(records, "i-c", "i-b", 8080) == "denied"  # crosses acl-app, which allows nothing


def test_security_group_reference_admits_holders_only() -> None:
    records = [
        *public_vpc(),
        sg("sg-app", "vpc-1", []),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, groups=["sg-app"])]),
        database("card-vault", ["subnet-app"], "vpc-1", ["sg-db"]),
        instance("i-app", "subnet-pub", "vpc-1", ["sg-app"], "10.0.1.20"),
        instance("i-other", "subnet-pub", "vpc-1", [], "10.0.1.21"),
    ]
    decision = Network.from_resources(records).query("i-app", "card-vault", 5432)
    assert decision.verdict == "allowed" and "sg-db ingress tcp 5432 from sg-app" in decision.reasons
    assert verdict(records, "i-other", "card-vault", 5432) == "denied"
    # A bare address holds no group.
    assert verdict(records, "subnet-pub", "card-vault", 5432) == "denied"


def test_source_egress_rules_apply() -> None:
    records = [
        *public_vpc(),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["10.0.0.0/16"])]),
        sg("sg-client", "vpc-1", [], egress=[rule("tcp", 5432, cidrs=["10.0.3.0/24"])]),
        database("card-vault", ["subnet-app"], "vpc-1", ["sg-db"]),
        instance("i-client", "subnet-pub", "vpc-1", ["sg-client"], "10.0.1.20"),
    ]
    decision = Network.from_resources(records).query("i-client", "card-vault", 5432)
    assert decision.verdict == "denied"
    assert decision.reasons[-1] == "sg-client: no egress rule for tcp 5432 to card-vault"


def test_rule_cutting_through_a_subnet_is_judged_per_address() -> None:
    """The security group admits only the upper half of subnet-pub: the subnet as a whole can reach
    the database (some addresses can); an instance is judged by its own address."""
    records = [
        *public_vpc(),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["10.0.1.128/25"])]),
        sg("sg-any", "vpc-1", []),
        database("card-vault", ["subnet-app"], "vpc-1", ["sg-db"]),
        instance("i-low", "subnet-pub", "vpc-1", ["sg-any"], "10.0.1.5"),
        instance("i-high", "subnet-pub", "vpc-1", ["sg-any"], "10.0.1.200"),
    ]
    assert verdict(records, "subnet-pub", "card-vault", 5432) == "allowed"
    assert verdict(records, "i-low", "card-vault", 5432) == "denied"
    assert verdict(records, "i-high", "card-vault", 5432) == "allowed"
    # The facts path shares work between equal shapes, and must still tell the two apart.
    links = {c["uid"].rsplit("/", 1)[-1]: c["links"] for c in connected_to(records, _cde(records, "card-vault"))}
    assert set(links) == {"i-high"} and [x["direction"] for x in links["i-high"]] == ["to-cde"]


def _cde(records: list[Resource], *names: str) -> dict[str, dict[str, Any]]:
    return {r.uid: {"scope": "cde" if r.name in names else "non-cde", "tenant": None} for r in records}


# --- facts -------------------------------------------------------------------------------------------


def test_internet_ingress_facts_name_ports_and_path() -> None:
    records = public_vpc() + web(
        [rule("tcp", 443, cidrs=["0.0.0.0/0"]), rule("tcp", (8000, 8010), cidrs=["0.0.0.0/0"])]
    )
    facts = reach_facts(records)[records[-1].uid]
    assert [e["ports"] for e in facts["internet_ingress"]] == ["443/tcp", "8000-8010/tcp"]
    assert facts["reachable_from_internet"] is True
    assert "sg-web ingress tcp 8000-8010 from 0.0.0.0/0" in facts["internet_ingress"][1]["path"]
    assert [e["ports"] for e in facts["internet_egress"]] == ["all/tcp", "all/udp", "icmp"]
    subnet_facts = reach_facts(records)[next(r.uid for r in records if r.name == "subnet-pub")]
    assert subnet_facts["internet_routes"] == [{"destination": "0.0.0.0/0", "kind": "igw", "target": "igw-1"}]


def test_other_tenant_sources() -> None:
    records = [
        *public_vpc(),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, cidrs=["10.0.1.0/24"])]),
        database("acme-db", ["subnet-app"], "vpc-1", ["sg-db"], tags={"tenant": "acme"}),
    ]
    records = [
        subnet("subnet-pub", "vpc-1", "10.0.1.0/24", "rtb-pub", {"tenant": "globex"}) if r.name == "subnet-pub" else r
        for r in records
    ]
    estate = analyze(records, ScopeConfig())
    found = estate.facts[records[-1].uid]["other_tenant_sources"]
    assert [(s["source"], s["tenant"], s["ports"]) for s in found] == [("subnet-pub", "globex", ["5432/tcp"])]


def test_connected_to_both_directions() -> None:
    records = [
        *public_vpc(),
        subnet("subnet-db", "vpc-1", "10.0.9.0/24", "rtb-app", {"pci-scope": "cde"}),
        acl("acl-cde", "vpc-1", ["subnet-db"]),
        sg("sg-db", "vpc-1", [rule("tcp", 5432, groups=["sg-jump"])]),
        sg("sg-jump", "vpc-1", []),
        sg("sg-logs", "vpc-1", [rule("udp", 514, cidrs=["10.0.9.0/24"])]),
        sg("sg-lonely", "vpc-1", []),
        database("card-vault", ["subnet-db"], "vpc-1", ["sg-db"], tags={"pci-scope": "cde"}),
        instance("i-app", "subnet-db", "vpc-1", ["sg-lonely"], "10.0.9.10"),
        instance("i-jump", "subnet-pub", "vpc-1", ["sg-jump"], "10.0.1.10"),
        instance("i-logs", "subnet-app", "vpc-1", ["sg-logs"], "10.0.2.10"),
        instance("i-island", "subnet-app", "vpc-1", ["sg-lonely"], "10.0.2.11"),
    ]
    estate = analyze(records, ScopeConfig())
    scopes = {uid: {"scope": f["scope"], "tenant": f["tenant"]} for uid, f in estate.facts.items()}
    links = {
        (c["uid"].rsplit("/", 1)[-1], link["direction"], link["peer"].rsplit("/", 1)[-1]): link
        for c in connected_to(records, scopes)
        for link in c["links"]
    }
    # The jump host reaches the vault through the group reference; everything in the vault's subnet
    # (the app, and the database: its egress is open) reaches the log server on syslog. The island
    # reaches nothing and nothing reaches it.
    assert set(links) == {
        ("i-jump", "to-cde", "card-vault"),
        ("i-logs", "from-cde", "i-app"),
        ("i-logs", "from-cde", "card-vault"),
    }
    assert links[("i-jump", "to-cde", "card-vault")]["ports"] == ["5432/tcp"]
    assert "sg-db ingress tcp 5432 from sg-jump" in links[("i-jump", "to-cde", "card-vault")]["via"]
    assert links[("i-logs", "from-cde", "i-app")]["ports"] == ["514/udp"]
    uid = {r.name: r.uid for r in records}
    assert [c["direction"] for c in estate.facts[uid["i-jump"]]["connected_to_cde"]] == ["to-cde"]
    assert estate.facts[uid["i-island"]]["connected_to_cde"] == []
    assert "connected_to_cde" not in estate.facts[uid["i-app"]]  # CDE resources are not connected-to
    sources = estate.facts[uid["card-vault"]]["non_cde_sources"]
    assert [(s["source"], s["type"], s["member_count"]) for s in sources] == [("sg-jump", "aws.ec2.security_group", 1)]


# --- scale -------------------------------------------------------------------------------------------


def synthetic(n_vpcs: int = 10, subnets_per_vpc: int = 10, nodes: int = 10_000) -> list[Resource]:
    """About 10,000 records: VPCs pairwise peered in twos, half of them CDE; a few group shapes."""
    out: list[Resource] = []
    for v in range(n_vpcs):
        vid, cidr = f"vpc-{v}", f"10.{v}.0.0/16"
        peer = v ^ 1
        tags = {"pci-scope": "cde"} if v % 2 == 0 else {}
        out += [
            vpc(vid, cidr, tags),
            table(
                f"rtb-{v}-pub",
                vid,
                cidr,
                ("0.0.0.0/0", "gateway", f"igw-{v}"),
                (f"10.{peer}.0.0/16", "peering", f"pcx-{v // 2}"),
            ),
            table(
                f"rtb-{v}-priv",
                vid,
                cidr,
                ("0.0.0.0/0", "nat", f"nat-{v}"),
                (f"10.{peer}.0.0/16", "peering", f"pcx-{v // 2}"),
            ),
            acl(f"acl-{v}", vid, [f"subnet-{v}-{s}" for s in range(subnets_per_vpc)]),
            sg(f"sg-{v}-web", vid, [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
            sg(f"sg-{v}-app", vid, [rule("tcp", 8080, groups=[f"sg-{v}-web"]), rule("tcp", 22, cidrs=["10.0.0.0/8"])]),
            sg(
                f"sg-{v}-db",
                vid,
                [rule("tcp", 5432, groups=[f"sg-{v}-app"]), rule("tcp", 5432, cidrs=[f"10.{peer}.0.0/16"])],
            ),
        ]
        for s in range(subnets_per_vpc):
            out.append(subnet(f"subnet-{v}-{s}", vid, f"10.{v}.{s}.0/24", f"rtb-{v}-{'pub' if s == 0 else 'priv'}"))
    for i in range(nodes):
        v, s = i % n_vpcs, (i // n_vpcs) % subnets_per_vpc
        role = ("web", "app", "app", "db")[i % 4]
        vid, sid = f"vpc-{v}", f"subnet-{v}-{s}"
        if role == "db":
            out.append(database(f"db-{i}", [sid, f"subnet-{v}-{(s + 1) % subnets_per_vpc}"], vid, [f"sg-{v}-db"]))
        else:
            ip = f"10.{v}.{s}.{(i // 100) % 250 + 4}"
            public = f"54.0.{i // 250}.{i % 250}" if role == "web" and s == 0 else None
            out.append(instance(f"i-{i}", sid, vid, [f"sg-{v}-{role}"], ip, public))
    return out


def test_ten_thousand_records_analyze() -> None:
    # Its speed is measured by bench/aws_reach.py, on this same estate; here only the answers count.
    records = synthetic()
    assert len(records) >= 10_000
    estate = analyze(records, ScopeConfig())
    facts = reach_facts(records, {uid: {"scope": f["scope"], "tenant": f["tenant"]} for uid, f in estate.facts.items()})
    web_public = next(r for r in records if r.type == "aws.ec2.instance" and r.attributes["public_ip"])
    assert facts[web_public.uid]["reachable_from_internet"] is True


@pytest.mark.parametrize("bad", ["cidr:not-an-ip", "i-nope", "subnet-nope"])
def test_unknown_endpoints_are_errors(bad: str) -> None:
    with pytest.raises((KeyError, ValueError)):
        Network.from_resources(public_vpc()).query(bad, "internet", 443)


def test_on_premises_address_through_a_vpn_gateway_is_possible() -> None:
    """A private address outside every scanned VPC arrives only through a gateway we do not see."""
    via_vpn = [
        *public_vpc(route=("192.168.0.0/16", "gateway", "vgw-1")),
        *web([rule("tcp", 443, cidrs=["192.168.0.0/16"])]),
    ]
    decision = Network.from_resources(via_vpn).query("cidr:192.168.50.5", "i-web", 443)
    assert decision.verdict == "possible"
    assert "rtb-pub 192.168.0.0/16 → vgw-1: the far side is not scanned" in decision.reasons
    # Without a route toward it, no reply can leave: denied.
    assert (
        verdict([*public_vpc(), *web([rule("tcp", 443, cidrs=["192.168.0.0/16"])])], "cidr:192.168.50.5", "i-web", 443)
        == "denied"
    )


def test_transit_gateway_between_vpcs_is_possible() -> None:
    records = [
        *(r for r in cde_estate() if r.name not in ("rtb-pub", "rtb-cde")),
        table("rtb-pub", "vpc-1", "10.0.0.0/16", ("10.1.0.0/16", "transit_gateway", "tgw-1")),
        table("rtb-cde", "vpc-cde", "10.1.0.0/16", ("10.0.0.0/8", "transit_gateway", "tgw-1")),
    ]
    decision = Network.from_resources(records).query("subnet-pub", "card-vault", 5432)
    assert decision.verdict == "possible"
    assert "rtb-pub 10.1.0.0/16 → tgw-1: the far side is not visible" in decision.reasons


def test_unreadable_acl_entries_are_possible() -> None:
    records = [r for r in public_vpc() if r.name != "acl-pub"]
    records.append(
        res(
            "aws.ec2.network_acl",
            "acl-pub",
            {"network_acl_id": "acl-pub", "vpc_id": "vpc-1", "subnet_ids": ["subnet-pub"]},
        )
    )
    records += web()
    decision = Network.from_resources(records).query("internet", "i-web", 443)
    assert decision.verdict == "possible"
    assert "acl-pub inbound entries are unknown" in decision.reasons


def test_load_balancer_nodes_sit_in_every_subnet() -> None:
    """Unlike a database, a load balancer has a node in each of its subnets: one public one is enough."""
    records = [
        *public_vpc(),
        sg("sg-lb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        balancer("edge", ["subnet-app", "subnet-pub"], "vpc-1", ["sg-lb"], "internet-facing", [(443, "HTTPS")]),
    ]
    assert verdict(records, "internet", "edge", 443) == "allowed"


def test_subnet_internet_routes_fact() -> None:
    records = public_vpc(route=("0.0.0.0/0", "nat", "nat-1"))
    facts = reach_facts(records)
    by_name = {r.name: facts[r.uid] for r in records if r.type == "aws.ec2.subnet"}
    assert by_name["subnet-pub"]["internet_routes"] == [{"destination": "0.0.0.0/0", "kind": "nat", "target": "nat-1"}]
    assert by_name["subnet-app"]["internet_routes"] == []


def test_internet_routes_fact_holds_prefix_list_and_half_routes_to_a_gateway() -> None:
    """A customer-managed prefix list routed to an internet gateway, and 0.0.0.0/0 written as two /1
    halves, send traffic to the internet as much as 0.0.0.0/0 does (the fact once left out the first)."""
    listed = reach_facts(public_vpc(route=("pl-0abc", "gateway", "igw-1")))
    by_name = {r.name: listed[r.uid] for r in public_vpc() if r.type == "aws.ec2.subnet"}
    assert by_name["subnet-pub"]["internet_routes"] == [{"destination": "pl-0abc", "kind": "igw", "target": "igw-1"}]
    halves = [
        vpc("vpc-1", "10.0.0.0/16"),
        table(
            "rtb-pub", "vpc-1", "10.0.0.0/16", ("0.0.0.0/1", "gateway", "igw-1"), ("128.0.0.0/1", "gateway", "igw-1")
        ),
        subnet("subnet-pub", "vpc-1", "10.0.1.0/24", "rtb-pub"),
        acl("acl-pub", "vpc-1", ["subnet-pub"]),
        *web(),
    ]
    facts = reach_facts(halves)
    assert len(next(facts[r.uid] for r in halves if r.name == "subnet-pub")["internet_routes"]) == 2
    assert verdict(halves, "internet", "i-web", 443) == "allowed"
    # A prefix-list route to an endpoint leads to an AWS service, not the internet.
    endpoint = reach_facts(public_vpc(route=("pl-0abc", "vpc-endpoint", "vpce-1")))
    assert all(
        f["internet_routes"] == [] for r in public_vpc() if r.type == "aws.ec2.subnet" for f in [endpoint[r.uid]]
    )


# --- Classic Load Balancers ---------------------------------------------------------------------------


def classic(
    name: str,
    subnets: list[str],
    vpc_id: str | None,
    groups: list[str],
    scheme: str,
    listeners: list[tuple[int, str, int]],
    instances: list[str] | None = None,
    tags: dict[str, str] | None = None,
) -> Resource:
    """An aws.elb.load_balancer as the collector writes it; listeners as (port, protocol, instance port)."""
    return res(
        "aws.elb.load_balancer",
        name,
        {
            "arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{name}",
            "name": name,
            "scheme": scheme,
            "dns_name": f"{name}.{REGION}.elb.amazonaws.com",
            "vpc_id": vpc_id,
            "subnet_ids": subnets,
            "security_groups": groups,
            "availability_zones": [],
            "listeners": [
                {
                    "port": port,
                    "protocol": proto,
                    "instance_port": instance_port,
                    "instance_protocol": "HTTP",
                    "certificate_id": None,
                    "policy_names": [],
                    "ssl_policy": None,
                    "ssl_protocols": None,
                }
                for port, proto, instance_port in listeners
            ],
            "instance_ids": instances or [],
        },
        tags,
    )


WEB_LISTENERS = [(443, "HTTPS", 80), (80, "HTTP", 80)]


def test_internet_facing_classic_balancer_in_a_public_subnet() -> None:
    """subnet-pub routes 0.0.0.0/0 to igw-1, its ACL allows everything both ways, the balancer is
    internet-facing and sg-clb admits 443 from anywhere: 443 is open. Port 80 has a listener but no
    group rule; 8080 has no listener at all."""
    records = [
        *public_vpc(),
        sg("sg-clb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        classic("legacy", ["subnet-pub"], "vpc-1", ["sg-clb"], "internet-facing", WEB_LISTENERS),
    ]
    decision = Network.from_resources(records).query("internet", "legacy", 443)
    assert decision.verdict == "allowed"
    for step in (
        "rtb-pub 0.0.0.0/0 → igw-1",
        "legacy is internet-facing",
        "acl-pub inbound rule 100 allow",
        "acl-pub outbound rule 100 allow (reply on 1024-65535)",
        "sg-clb ingress tcp 443 from 0.0.0.0/0",
    ):
        assert step in decision.reasons
    decision = Network.from_resources(records).query("internet", "legacy", 80)
    assert decision.verdict == "denied" and decision.reasons[-1].startswith("sg-clb: no ingress rule for tcp 80")
    decision = Network.from_resources(records).query("internet", "legacy", 8080)
    assert decision.verdict == "denied" and decision.reasons == ["legacy answers only on 80/tcp, 443/tcp"]
    # A Classic balancer in a VPC has IPv4 addresses only.
    decision = Network.from_resources(records).query("cidr:2600::1", "legacy", 443)
    assert decision.verdict == "denied" and "legacy has no IPv6 address" in decision.reasons
    facts = reach_facts(records)[records[-1].uid]
    assert [(e["ports"], e["verdict"]) for e in facts["internet_ingress"]] == [("443/tcp", "allowed")]
    assert facts["reachable_from_internet"] is True


def test_internal_classic_balancer_is_not_reachable_from_the_internet() -> None:
    """The same balancer with the internal scheme has no internet address; inside the VPC, subnet-app
    reaches it over the local route, both open ACLs and sg-clb's 0.0.0.0/0 rule."""
    records = [
        *public_vpc(),
        sg("sg-clb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        classic("legacy", ["subnet-pub"], "vpc-1", ["sg-clb"], "internal", WEB_LISTENERS),
    ]
    decision = Network.from_resources(records).query("internet", "legacy", 443)
    assert decision.verdict == "denied" and "legacy is internal" in decision.reasons
    assert verdict(records, "subnet-app", "legacy", 443) == "allowed"
    facts = reach_facts(records)[records[-1].uid]
    assert facts["internet_ingress"] == [] and facts["reachable_from_internet"] is False


def test_network_acl_denies_a_classic_listener_port() -> None:
    """acl-pub rule 90 denies tcp 443 inbound before rule 100 allows everything: the first match
    decides, so 443 is closed while 80 (matched only by rule 100) stays open."""
    inbound = [(90, "6", 443, "0.0.0.0/0", "deny"), (100, "-1", None, "0.0.0.0/0", "allow")]
    records = [
        *public_vpc(pub={"inbound": inbound}),
        sg("sg-clb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"]), rule("tcp", 80, cidrs=["0.0.0.0/0"])]),
        classic("legacy", ["subnet-pub"], "vpc-1", ["sg-clb"], "internet-facing", WEB_LISTENERS),
    ]
    decision = Network.from_resources(records).query("internet", "legacy", 443)
    assert decision.verdict == "denied" and decision.reasons[-1] == "acl-pub inbound rule 90 deny"
    assert verdict(records, "internet", "legacy", 80) == "allowed"
    facts = reach_facts(records)[records[-1].uid]
    assert [(e["ports"], e["verdict"]) for e in facts["internet_ingress"]] == [("80/tcp", "allowed")]


def test_classic_balancer_groups_unknown_or_empty_are_possible() -> None:
    """Unreadable groups, or none listed (AWS always gives a VPC balancer one), cannot deny a flow."""
    for groups in (None, []):
        lb = classic("legacy", ["subnet-pub"], "vpc-1", [], "internet-facing", WEB_LISTENERS)
        if groups is None:
            del lb.attributes["security_groups"]
        records = [*public_vpc(), lb]
        decision = Network.from_resources(records).query("internet", "legacy", 443)
        assert decision.verdict == "possible"
        assert "security groups of legacy are unknown" in decision.reasons
        assert reach_facts(records)[lb.uid]["reachable_from_internet"] is None


def test_ec2_classic_balancer_is_possible() -> None:
    """Outside every VPC no route table, ACL or VPC group is seen: on its listener port a flow from
    the internet or from a subnet may pass, so possible; a port with no listener is still closed."""
    lb = classic("old-edge", [], None, [], "internet-facing", [(443, "SSL", 443)], tags={"pci-scope": "cde"})
    records = [*public_vpc(), *web(), lb]
    decision = Network.from_resources(records).query("internet", "old-edge", 443)
    assert decision.verdict == "possible"
    assert "old-edge is in EC2-Classic, outside every VPC: its path is not modelled" in decision.reasons
    assert verdict(records, "internet", "old-edge", 25) == "denied"
    assert verdict(records, "subnet-app", "old-edge", 443) == "possible"
    assert verdict(records, "old-edge", "i-web", 443) == "possible"  # forwarding to an instance
    estate = analyze(records, ScopeConfig())
    facts = estate.facts[lb.uid]
    assert [(e["ports"], e["verdict"]) for e in facts["internet_ingress"]] == [("443/tcp", "possible")]
    assert facts["reachable_from_internet"] is None
    assert facts["non_cde_sources"] is None  # unknown, not "none"


def test_classic_balancer_as_a_source_for_its_instances() -> None:
    """Forwarding is not modelled separately: the non-CDE balancer reaches the CDE instance it
    fronts because sg-pay admits 8080 from sg-clb, which the balancer holds (local route, open ACLs,
    sg-clb egress to anywhere). Bare addresses in the subnets hold no group, so only the group is a
    source. Back the other way, the instance reaches the balancer's 443 listener (sg-clb admits
    0.0.0.0/0 on 443, sg-pay egress is open)."""
    records = [
        *public_vpc(),
        sg("sg-clb", "vpc-1", [rule("tcp", 443, cidrs=["0.0.0.0/0"])]),
        sg("sg-pay", "vpc-1", [rule("tcp", 8080, groups=["sg-clb"])]),
        instance("i-pay", "subnet-app", "vpc-1", ["sg-pay"], "10.0.2.10", tags={"pci-scope": "cde"}),
        classic("legacy", ["subnet-pub"], "vpc-1", ["sg-clb"], "internet-facing", [(443, "HTTPS", 8080)], ["i-pay"]),
    ]
    assert verdict(records, "legacy", "i-pay", 8080) == "allowed"
    assert verdict(records, "subnet-pub", "i-pay", 8080) == "denied"
    estate = analyze(records, ScopeConfig())
    uid = {r.name: r.uid for r in records}
    [source] = estate.facts[uid["i-pay"]]["non_cde_sources"]
    assert (source["source"], source["members"], source["ports"], source["verdict"]) == (
        "sg-clb",
        [uid["legacy"]],
        ["8080/tcp"],
        "allowed",
    )
    links = {(x["direction"], x["peer"], tuple(x["ports"])) for x in estate.facts[uid["legacy"]]["connected_to_cde"]}
    assert links == {("to-cde", uid["i-pay"], ("8080/tcp",)), ("from-cde", uid["i-pay"], ("443/tcp",))}


def test_failed_classic_listing_makes_source_controls_error() -> None:
    """A Classic balancer could hold a group a CDE instance admits: without the elb listing the
    instance's non-CDE sources are incomplete, so the control is error, never pass."""
    [control] = [c for c in load_catalog().controls if c.id == "aws-ec2-cde-instance-no-non-cde-sources"]
    assert "aws.elb.load_balancer" in compile_control(control).depends_on
    records = [
        *public_vpc(),
        sg("sg-pay", "vpc-1", [rule("tcp", 8080, groups=["sg-clb"])]),
        instance("i-pay", "subnet-app", "vpc-1", ["sg-pay"], "10.0.2.10", tags={"pci-scope": "cde"}),
    ]
    listing = CollectionError(
        provider="aws",
        account=ACCOUNT,
        region=REGION,
        service="elb",
        operation="DescribeLoadBalancers",
        code="AccessDenied",
        message="no",
        resource_types=("aws.elb.load_balancer",),
    )
    estate = analyze(records, ScopeConfig())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    [clean] = Evaluator([control]).evaluate(estate, [], now)
    assert clean.status == Status.PASS  # nothing seen holds sg-clb
    [failed] = Evaluator([control]).evaluate(estate, [listing], now)
    assert failed.status == Status.ERROR


@pytest.mark.parametrize(
    "listener", ["HTTPS:443", {"port": "443x", "protocol": "HTTPS"}, {"port": True, "protocol": "TCP"}]
)
def test_a_listener_that_cannot_be_read_leaves_the_balancer_open_to_doubt(listener: Any) -> None:
    """A listener that is not a record, or whose port is not a number (a hand-edited snapshot), is not a
    crash and not a closed port: what the balancer listens on is unknown, so reaching it is possible."""
    base = [*public_vpc(), sg("sg-lb", "vpc-1", [rule("tcp", (0, 65535), cidrs=["0.0.0.0/0"])])]
    edge = balancer("edge", ["subnet-pub"], "vpc-1", ["sg-lb"], "internet-facing", [(443, "HTTPS")])
    edge.attributes["listeners"].append(listener)
    assert verdict([*base, edge], "internet", "edge", 8080) == "possible"
