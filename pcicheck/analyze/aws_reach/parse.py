"""Collected resources → the network model. Whatever could not be read stays None (unknown), so that
the judges answer "possible" for it rather than "denied"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from pcicheck.analyze.aws_reach.model import (
    BALANCER,
    CLASSIC,
    CLUSTER,
    DATABASE,
    GROUP,
    INSTANCE,
    NODE_TYPES,
    SUBNET,
    Acl,
    AclEntry,
    Group,
    Node,
    Route,
    SgRule,
    Subnet,
)
from pcicheck.analyze.aws_reach.ranges import PORTED, Net, prefix_length, protocol_number, to_net
from pcicheck.model import Resource

_GONE_STATES = ("terminated", "shutting-down")
# Listener protocols (ELBv2 and Classic) → the IP protocols they answer on.
_LISTENER_PROTOCOLS = {
    "HTTP": (6,),
    "HTTPS": (6,),
    "TCP": (6,),
    "TLS": (6,),
    "SSL": (6,),
    "UDP": (17,),
    "TCP_UDP": (6, 17),
}
# A route whose target_type is "gateway": the target's id prefix tells which kind.
_GATEWAY_KINDS = (("igw-", "igw"), ("eigw-", "eigw"), ("vgw-", "vgw"))

Scopes = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Parts:
    """Everything the network is built from, indexed by id (nodes by uid)."""

    vpcs: dict[str, list[Net]]
    subnets: dict[str, Subnet]
    tables: dict[str, tuple[Route, ...] | None]
    acls: dict[str, Acl]
    groups: dict[str, Group]
    nodes: dict[str, Node]
    table_vpcs: dict[str, str]


class _NodeBase(TypedDict):
    """What every node takes straight from its resource and its scope."""

    uid: str
    type: str
    name: str
    scope: str
    tenant: str | None


def read(resources: Iterable[Resource], scopes: Scopes | None = None) -> Parts:
    scopes = scopes or {}
    by_type: dict[str, list[Resource]] = defaultdict(list)
    for r in resources:
        by_type[r.type].append(r)

    def scope_of(r: Resource) -> tuple[str, str | None]:
        found = scopes.get(r.uid) or {}
        return str(found.get("scope") or "non-cde"), found.get("tenant")

    vpcs = _vpcs(by_type["aws.ec2.vpc"])
    tables, table_vpcs = _tables(by_type["aws.ec2.route_table"])
    acls, acl_of, default_acl = _acls(by_type["aws.ec2.network_acl"])
    subnets: dict[str, Subnet] = {}
    for r in by_type[SUBNET]:
        subnet = _subnet(r, *scope_of(r), acl_of, default_acl)
        subnets[subnet.id] = subnet
    groups = _groups(by_type[GROUP])
    nodes: dict[str, Node] = {}
    for t in NODE_TYPES:
        for r in by_type[t]:
            node = _node(r, *scope_of(r), subnets)
            if node is not None:
                nodes[r.uid] = node
    return Parts(vpcs, subnets, tables, acls, groups, nodes, table_vpcs)


# --- VPCs, route tables, ACLs, subnets, security groups --------------------------------------------


def _vpcs(resources: Iterable[Resource]) -> dict[str, list[Net]]:
    return {
        str(r.attributes.get("vpc_id")): [n for n in map(to_net, r.attributes.get("cidr_blocks") or ()) if n]
        for r in resources
    }


def _tables(resources: Iterable[Resource]) -> tuple[dict[str, tuple[Route, ...] | None], dict[str, str]]:
    """Route table id → its routes (None: unreadable), and → its VPC where the table names one."""
    tables: dict[str, tuple[Route, ...] | None] = {}
    table_vpcs: dict[str, str] = {}
    for r in resources:
        routes = r.attributes.get("routes")
        rid = str(r.attributes.get("route_table_id"))
        tables[rid] = tuple(route(x) for x in routes) if isinstance(routes, list) else None
        if r.attributes.get("vpc_id"):
            table_vpcs[rid] = str(r.attributes["vpc_id"])
    return tables, table_vpcs


def _acls(resources: Iterable[Resource]) -> tuple[dict[str, Acl], dict[str, str], dict[str, str]]:
    """ACL id → ACL, subnet id → the ACL that lists it, and VPC id → its default ACL."""
    acls: dict[str, Acl] = {}
    acl_of: dict[str, str] = {}
    default_acl: dict[str, str] = {}
    for r in resources:
        aid = str(r.attributes.get("network_acl_id"))
        entries = r.attributes.get("entries")
        if isinstance(entries, list):
            parsed = sorted((e for e in entries if isinstance(e, dict)), key=lambda e: e.get("rule_number") or 0)
            acls[aid] = Acl(
                aid,
                tuple(acl_entry(e) for e in parsed if not e.get("egress")),
                tuple(acl_entry(e) for e in parsed if e.get("egress")),
            )
        else:
            acls[aid] = Acl(aid, None, None)
        for sid in r.attributes.get("subnet_ids") or ():
            acl_of[str(sid)] = aid
        if r.attributes.get("is_default") is True:
            default_acl[str(r.attributes.get("vpc_id"))] = aid
    return acls, acl_of, default_acl


def _subnet(
    r: Resource, scope: str, tenant: str | None, acl_of: Mapping[str, str], default_acl: Mapping[str, str]
) -> Subnet:
    a = r.attributes
    sid, vpc = str(a.get("subnet_id")), a.get("vpc_id")
    # Every subnet has exactly one ACL; one listed by none is on its VPC's default ACL.
    return Subnet(
        sid,
        r.uid,
        r.name,
        vpc,
        to_net(a["cidr"]) if a.get("cidr") else None,
        a.get("route_table_id") or None,
        acl_of.get(sid) or default_acl.get(str(vpc)),
        scope,
        tenant,
    )


def _groups(resources: Iterable[Resource]) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for r in resources:
        gid = str(r.attributes.get("group_id"))
        groups[gid] = Group(
            gid,
            r.uid,
            r.name,
            sg_rules(gid, r.attributes.get("ingress"), egress=False),
            sg_rules(gid, r.attributes.get("egress"), egress=True),
        )
    return groups


def route(r: Mapping[str, Any]) -> Route:
    dest_text = str(r.get("destination") or "")
    dest = to_net(dest_text) if dest_text and not dest_text.startswith("pl-") else None
    target = str(r.get("target") or "")
    target_type = r.get("target_type")
    if target_type == "gateway":
        kind = next((k for prefix, k in _GATEWAY_KINDS if target.startswith(prefix)), "gateway")
    else:
        kind = {"transit_gateway": "tgw"}.get(str(target_type), str(target_type or "other"))
    return Route(dest, dest_text or "?", kind, target or kind, prefix_length(dest) if dest else -1)


def acl_entry(e: Mapping[str, Any]) -> AclEntry:
    cidr = e.get("cidr") or e.get("ipv6_cidr") or ""
    try:
        protocol = protocol_number(e.get("protocol", "-1"))
    except ValueError:
        protocol = -1  # an unreadable protocol is treated as matching everything: its action still applies
    low, high = e.get("from_port"), e.get("to_port")
    return AclEntry(
        int(e.get("rule_number") or 0),
        protocol,
        0 if low is None else int(low),
        65535 if high is None else int(high),
        to_net(cidr) if cidr else None,
        str(cidr),
        e.get("action") == "allow",
    )


def sg_rules(gid: str, rules: Any, *, egress: bool) -> tuple[SgRule, ...] | None:
    if not isinstance(rules, list):
        return None
    out = []
    for rule in rules:
        protocol = protocol_number(rule.get("protocol", "-1"))
        low, high = rule.get("from_port"), rule.get("to_port")
        if protocol not in PORTED or low is None or low == -1:
            low, high = 0, 65535
        nets = tuple(
            (n, str(c))
            for c in (rule.get("cidrs") or []) + (rule.get("ipv6_cidrs") or [])
            if (n := to_net(c)) is not None
        )
        out.append(
            SgRule(
                gid,
                egress,
                protocol,
                int(low),
                int(high if high is not None else low),
                nets,
                tuple(rule.get("groups") or ()),
                tuple(rule.get("prefix_lists") or ()),
            )
        )
    return tuple(out)


# --- nodes -----------------------------------------------------------------------------------------


def _node(r: Resource, scope: str, tenant: str | None, subnets: Mapping[str, Subnet]) -> Node | None:
    """The network shape of a resource, or None when it has no place in a network (terminated)."""
    build = _NODE_BUILDERS.get(r.type)
    if build is None:
        return None
    base: _NodeBase = {"uid": r.uid, "type": r.type, "name": r.name, "scope": scope, "tenant": tenant}
    return build(r.attributes, base, subnets)


def _security_groups(a: Mapping[str, Any]) -> tuple[str, ...] | None:
    return tuple(a["security_groups"]) if isinstance(a.get("security_groups"), list) else None


def _instance(a: Mapping[str, Any], base: _NodeBase, _subnets: Mapping[str, Subnet]) -> Node | None:
    if a.get("state") in _GONE_STATES:
        return None
    public_ip = a.get("public_ip") if "public_ip" in a else None
    return Node(
        **base,
        id=str(a.get("instance_id") or base["uid"]),
        vpc=a.get("vpc_id"),
        subnets=(str(a["subnet_id"]),) if a.get("subnet_id") else (),  # () : placement unknown
        one_of=False,
        groups=_security_groups(a),
        filtered=True,
        address=to_net(a["private_ip"]) if a.get("private_ip") else None,
        public=bool(public_ip) if "public_ip" in a else None,
        public_note="has a public IP address" if public_ip else "has no public IP address",
        ipv6=None,
        services=None,
    )


def _database(a: Mapping[str, Any], base: _NodeBase, _subnets: Mapping[str, Subnet]) -> Node:
    port = a.get("port")
    public = a.get("publicly_accessible")
    return Node(
        **base,
        id=str(a.get("db_instance_identifier") or base["uid"]),
        vpc=a.get("vpc_id"),
        subnets=tuple(a.get("subnet_ids") or ()),
        one_of=True,
        groups=_security_groups(a),
        filtered=True,
        address=None,
        public=public if isinstance(public, bool) else None,
        public_note="is publicly accessible" if public else "is not publicly accessible",
        ipv6=None,
        services=((6, int(port), int(port)),) if port else (() if "port" in a else None),
    )


def _balancer(a: Mapping[str, Any], base: _NodeBase, _subnets: Mapping[str, Subnet]) -> Node:
    scheme = a.get("scheme")
    groups = _security_groups(a)
    services = _listener_services(a.get("listeners"))
    if a.get("type") == "gateway":
        services = ()  # reached only through gateway load balancer endpoints, never directly
    address_type = a.get("ip_address_type")
    return Node(
        **base,
        id=str(a.get("name") or base["uid"]),
        vpc=a.get("vpc_id"),
        subnets=tuple(a.get("subnet_ids") or ()),
        one_of=False,
        groups=groups,
        filtered=bool(groups) or groups is None,
        address=None,
        public=None if scheme is None else scheme == "internet-facing",
        public_note=f"is {scheme}",
        ipv6=None if address_type is None else str(address_type).startswith("dualstack"),
        services=services,
    )


def _classic(a: Mapping[str, Any], base: _NodeBase, subnets: Mapping[str, Subnet]) -> Node:
    """A Classic Load Balancer: like an application load balancer, a node in each of its subnets behind
    its security groups, answering on its listener ports (the `port` clients connect to)."""
    scheme = a.get("scheme")
    # The collector writes vpc_id null only for a balancer outside any VPC (EC2-Classic); one that
    # still lists subnets is in their VPC.
    ec2_classic = "vpc_id" in a and a["vpc_id"] is None and not a.get("subnet_ids")
    groups = _security_groups(a)
    if groups == () and not ec2_classic:
        # AWS gives every balancer in a VPC a group (the VPC's default when none is named), so an
        # empty list is an incomplete answer, not "no filtering".
        groups = None
    return Node(
        **base,
        id=str(a.get("name") or base["uid"]),
        vpc=a.get("vpc_id") or _vpc_of(a.get("subnet_ids") or (), subnets),
        subnets=tuple(a.get("subnet_ids") or ()),
        one_of=False,
        groups=groups,
        filtered=not ec2_classic,
        address=None,
        public=None if scheme is None else scheme == "internet-facing",
        public_note=f"is {scheme}",
        # A Classic Load Balancer in a VPC has IPv4 addresses only; EC2-Classic ones could be dual-stack.
        ipv6=None if ec2_classic else False,
        services=_listener_services(a.get("listeners")),
        ec2_classic=ec2_classic,
    )


def _cluster(a: Mapping[str, Any], base: _NodeBase, subnets: Mapping[str, Subnet]) -> Node:
    """An EKS cluster's API endpoint: private in its subnets behind the cluster group and any extra
    ones, public on the internet to the CIDRs it admits."""
    cidrs = a.get("public_access_cidrs")
    extra = tuple(a.get("security_group_ids") or ())
    cluster_group = a.get("cluster_security_group_id")
    private = a.get("endpoint_private_access")
    public = a.get("endpoint_public_access")
    return Node(
        **base,
        id=str(a.get("name") or base["uid"]),
        vpc=a.get("vpc_id") or _vpc_of(a.get("subnet_ids") or (), subnets),
        subnets=tuple(a.get("subnet_ids") or ()),
        one_of=True,
        groups=(((cluster_group,) if cluster_group else ()) + extra) if "security_group_ids" in a else None,
        filtered=True,
        address=None,
        public=public if isinstance(public, bool) else None,
        public_note="public endpoint",
        ipv6=None,
        services=((6, 443, 443),),
        eks_public=public if isinstance(public, bool) else None,
        eks_cidrs=tuple((n, str(c)) for c in cidrs if (n := to_net(c))) if isinstance(cidrs, list) else None,
        private=private if isinstance(private, bool) else None,
    )


_NODE_BUILDERS: dict[str, Callable[[Mapping[str, Any], _NodeBase, Mapping[str, Subnet]], Node | None]] = {
    INSTANCE: _instance,
    DATABASE: _database,
    BALANCER: _balancer,
    CLASSIC: _classic,
    CLUSTER: _cluster,
}


def _listener_services(listeners: Any) -> tuple[tuple[int, int, int], ...] | None:
    """(protocol, port, port) for each listener; None when the listeners could not be read, or one of them
    (a snapshot edited by hand, a collector change) is not a record or has a port that is not a number:
    an unknown listener may open any port, so it makes what it could open unknown, never closed."""
    if not isinstance(listeners, list):
        return None
    found = set()
    for item in listeners:
        if not isinstance(item, Mapping):
            return None
        port = item.get("port")
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)):
            return None
        for p in _LISTENER_PROTOCOLS.get(str(item.get("protocol")), ()):
            if port is not None:
                found.add((p, port, port))
    return tuple(sorted(found))


def _vpc_of(subnet_ids: Iterable[str], subnets: Mapping[str, Subnet]) -> str | None:
    return next((subnets[s].vpc for s in subnet_ids if s in subnets), None)
