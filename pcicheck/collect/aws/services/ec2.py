"""EC2 and VPC: per-region EBS defaults, security groups, instances, volumes and the network.

Split into one spec per listing so that a denied `Describe*` only errors its own resource
types: losing `ec2:DescribeRouteTables` must not hide every security group in the region.
Joins (ENIs per group, flow logs per VPC, route tables per subnet) are secondary reads: when
one fails, only the joined attribute goes absent, with a `CollectionError` per resource.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ServiceSpec,
    iso,
    name_from_tags,
    tag_map,
)
from pcicheck.model import Resource, resource_type

REGION = resource_type(
    "aws.region",
    "Per-region settings (one per account and scanned region)",
    ebs_encryption_by_default="bool",
    ebs_default_kms_key_id="string?: key id/ARN/alias",
)
# Both directions of a security group's rules.
_SG_RULE = (
    "list: {protocol ('tcp'|'udp'|'icmp'|'icmpv6'|'-1' for all, else the protocol number as text, e.g. '50'), "
    "from_port, to_port (int; -1/null when all), cidrs [ipv4], "
    "ipv6_cidrs [ipv6], prefix_lists [ids], groups [sg ids], description}"
)
SECURITY_GROUP = resource_type(
    "aws.ec2.security_group",
    "EC2/VPC security group",
    group_id="string: sg-…",
    group_name="string",
    vpc_id="string?: vpc-…",
    description="string",
    is_default="bool: the VPC's 'default' group",
    ingress=_SG_RULE,
    egress=_SG_RULE,
    attached_enis="int: network interfaces using the group",
)
INSTANCE = resource_type(
    "aws.ec2.instance",
    "EC2 instance",
    instance_id="string: i-…",
    state="string: 'running'|'stopped'|…",
    instance_type="string",
    image_id="string: ami-…",
    vpc_id="string?: vpc-…",
    subnet_id="string?: subnet-…",
    public_ip="string?",
    private_ip="string?",
    security_groups="list: sg ids",
    iam_instance_profile="string?: ARN",
    imdsv2_required="bool: MetadataOptions.HttpTokens == 'required'",
    launch_time="timestamp?",
)
VOLUME = resource_type(
    "aws.ec2.volume",
    "EBS volume",
    volume_id="string: vol-…",
    state="string",
    encrypted="bool",
    kms_key_id="string?: ARN",
    size_gib="int?",
    attached_instances="list: instance ids",
)
VPC = resource_type(
    "aws.ec2.vpc",
    "VPC",
    vpc_id="string: vpc-…",
    cidr_blocks="list: ipv4 CIDRs",
    is_default="bool",
    flow_logs="list: {id, status, traffic_type ('ALL'|'ACCEPT'|'REJECT'), destination_type}",
)
SUBNET = resource_type(
    "aws.ec2.subnet",
    "VPC subnet",
    subnet_id="string: subnet-…",
    vpc_id="string?: vpc-…",
    cidr="string?: ipv4 CIDR",
    availability_zone="string?",
    map_public_ip_on_launch="bool",
    route_table_id="string: the associated (or the VPC's main) route table id",
    routes_to_internet_gateway="bool: its route table sends anything (0.0.0.0/0, ::/0, /1 halves, a prefix list, "
    "any range) to an igw-",
)
ROUTE_TABLE = resource_type(
    "aws.ec2.route_table",
    "VPC route table",
    route_table_id="string: rtb-…",
    vpc_id="string?: vpc-…",
    main="bool",
    subnet_ids="list: explicitly associated subnet ids",
    routes="list: {destination (CIDR or prefix list), target_type ('gateway'|'nat'|'peering'|'transit_gateway'|"
    "'instance'|'interface'|'local'|'endpoint'|'other'), target, state}",
)
NETWORK_ACL = resource_type(
    "aws.ec2.network_acl",
    "VPC network ACL",
    network_acl_id="string: acl-…",
    vpc_id="string?: vpc-…",
    is_default="bool",
    subnet_ids="list: subnet ids",
    entries="list: {rule_number, egress (bool), protocol ('-1'|'6'|'17'|…), action ('allow'|'deny'), cidr "
    "(ipv4|null), ipv6_cidr (|null), from_port, to_port (null when all)}",
)

# AWS answers with a name for these protocols and a number for the rest; the contract uses names.
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def _arn(ctx: CollectContext, kind: str, ident: str) -> str:
    return f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:{kind}/{ident}"


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: if it is missing the value is unknown, so the attribute is
    left absent (FAILED is dropped by ctx.resource) rather than given a guessed default."""
    return data.get(key, FAILED)


def _record_each(
    ctx: CollectContext,
    client: Any,
    operation: str,
    exc: BaseException,
    *,
    resource_type: str,
    uids: Iterable[str],
    attributes: tuple[str, ...],
) -> None:
    """A shared secondary read failed: every resource that needed it gets its own error,
    because the engine matches per-resource errors by uid and attribute."""
    for uid in uids:
        ctx.record_error(client, operation, exc, resource_type=resource_type, uid=uid, attributes=attributes)


# --- aws.region ---------------------------------------------------------------------------------


def collect_region(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    uid = f"aws://{ctx.account}/{ctx.region}"
    source: list[str] = []
    by_default = ctx.get(
        ec2,
        "get_ebs_encryption_by_default",
        uid=uid,
        resource_type=REGION.name,
        attributes=("ebs_encryption_by_default",),
    )
    encryption: Any = FAILED
    if by_default is not FAILED:
        encryption = _opt(by_default, "EbsEncryptionByDefault")
        source.append(ctx.action(ec2, "get_ebs_encryption_by_default"))
    default_key = ctx.get(
        ec2,
        "get_ebs_default_kms_key_id",
        uid=uid,
        resource_type=REGION.name,
        attributes=("ebs_default_kms_key_id",),
    )
    key_id: Any = FAILED
    if default_key is not FAILED:
        key_id = default_key.get("KmsKeyId") or None
        source.append(ctx.action(ec2, "get_ebs_default_kms_key_id"))
    yield ctx.resource(
        type=REGION.name,
        uid=uid,
        name=ctx.region,
        attributes={"ebs_encryption_by_default": encryption, "ebs_default_kms_key_id": key_id},
        source=source,
    )


# --- aws.ec2.security_group ---------------------------------------------------------------------


def _rule(perm: dict[str, Any]) -> dict[str, Any]:
    protocol = str(perm.get("IpProtocol", "-1"))
    cidrs = [r["CidrIp"] for r in perm.get("IpRanges") or () if "CidrIp" in r]
    ipv6 = [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or () if "CidrIpv6" in r]
    prefix_lists = [r["PrefixListId"] for r in perm.get("PrefixListIds") or () if "PrefixListId" in r]
    groups = [r["GroupId"] for r in perm.get("UserIdGroupPairs") or () if "GroupId" in r]
    # Descriptions live on each source; the contract has one per rule, so keep them all, in order.
    descriptions: list[str] = []
    for key in ("IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"):
        for r in perm.get(key) or ():
            d = r.get("Description")
            if d and d not in descriptions:
                descriptions.append(str(d))
    return {
        "protocol": _PROTOCOL_NAMES.get(protocol, protocol),
        "from_port": perm.get("FromPort"),
        "to_port": perm.get("ToPort"),
        "cidrs": cidrs,
        "ipv6_cidrs": ipv6,
        "prefix_lists": prefix_lists,
        "groups": groups,
        "description": "; ".join(descriptions) or None,
    }


def collect_security_groups(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    groups = list(ctx.pages(ec2, "describe_security_groups", "SecurityGroups"))
    uids = {g["GroupId"]: _arn(ctx, "security-group", g["GroupId"]) for g in groups}
    source = [ctx.action(ec2, "describe_security_groups")]
    enis: Counter[str] | Any
    try:
        enis = Counter(
            gid
            for eni in ctx.pages(ec2, "describe_network_interfaces", "NetworkInterfaces")
            for gid in {g["GroupId"] for g in eni.get("Groups") or () if "GroupId" in g}
        )
        source.append(ctx.action(ec2, "describe_network_interfaces"))
    except Exception as exc:  # botocore raises many unrelated classes; any failure means unknown
        enis = FAILED
        _record_each(
            ctx,
            ec2,
            "describe_network_interfaces",
            exc,
            resource_type=SECURITY_GROUP.name,
            uids=uids.values(),
            attributes=("attached_enis",),
        )
    for g in groups:
        gid = g["GroupId"]
        tags = tag_map(g.get("Tags"))
        yield ctx.resource(
            type=SECURITY_GROUP.name,
            uid=uids[gid],
            name=name_from_tags(tags, gid),
            tags=tags,
            attributes={
                "group_id": gid,
                "group_name": g.get("GroupName", ""),
                "vpc_id": g.get("VpcId"),
                "description": g.get("Description", ""),
                "is_default": g.get("GroupName") == "default",
                "ingress": [_rule(p) for p in g.get("IpPermissions") or ()],
                "egress": [_rule(p) for p in g.get("IpPermissionsEgress") or ()],
                "attached_enis": FAILED if enis is FAILED else enis.get(gid, 0),
            },
            source=source,
        )


# --- aws.ec2.instance ---------------------------------------------------------------------------


def _instance_groups(inst: dict[str, Any]) -> list[str]:
    """The instance's groups plus those of each of its ENIs: a secondary ENI can carry other
    groups, and reachability must see all of them (moto also leaves SecurityGroups empty when
    the groups were given per interface)."""
    ids: list[str] = []
    sources = [inst.get("SecurityGroups") or ()]
    sources += [eni.get("Groups") or () for eni in inst.get("NetworkInterfaces") or ()]
    for groups in sources:
        for g in groups:
            if g.get("GroupId") and g["GroupId"] not in ids:
                ids.append(g["GroupId"])
    return ids


def collect_instances(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    reservations = list(ctx.pages(ec2, "describe_instances", "Reservations"))
    source = [ctx.action(ec2, "describe_instances")]
    for reservation in reservations:
        for inst in reservation.get("Instances") or ():
            iid = inst["InstanceId"]
            tags = tag_map(inst.get("Tags"))
            metadata = inst.get("MetadataOptions") or {}
            yield ctx.resource(
                type=INSTANCE.name,
                uid=_arn(ctx, "instance", iid),
                name=name_from_tags(tags, iid),
                tags=tags,
                attributes={
                    "instance_id": iid,
                    "state": (inst.get("State") or {}).get("Name", FAILED),
                    "instance_type": inst.get("InstanceType", ""),
                    "image_id": inst.get("ImageId", ""),
                    "vpc_id": inst.get("VpcId"),
                    "subnet_id": inst.get("SubnetId"),
                    "public_ip": inst.get("PublicIpAddress"),
                    "private_ip": inst.get("PrivateIpAddress"),
                    "security_groups": _instance_groups(inst),
                    "iam_instance_profile": (inst.get("IamInstanceProfile") or {}).get("Arn"),
                    "imdsv2_required": (metadata["HttpTokens"] == "required" if "HttpTokens" in metadata else FAILED),
                    "launch_time": iso(inst.get("LaunchTime")),
                },
                source=source,
            )


# --- aws.ec2.volume -----------------------------------------------------------------------------


def collect_volumes(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    volumes = list(ctx.pages(ec2, "describe_volumes", "Volumes"))
    source = [ctx.action(ec2, "describe_volumes")]
    for vol in volumes:
        vid = vol["VolumeId"]
        tags = tag_map(vol.get("Tags"))
        yield ctx.resource(
            type=VOLUME.name,
            uid=_arn(ctx, "volume", vid),
            name=name_from_tags(tags, vid),
            tags=tags,
            attributes={
                "volume_id": vid,
                "state": vol.get("State", ""),
                "encrypted": _opt(vol, "Encrypted"),
                "kms_key_id": vol.get("KmsKeyId"),
                "size_gib": vol.get("Size"),
                "attached_instances": [a["InstanceId"] for a in vol.get("Attachments") or () if "InstanceId" in a],
            },
            source=source,
        )


# --- aws.ec2.vpc --------------------------------------------------------------------------------


def collect_vpcs(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    vpcs = list(ctx.pages(ec2, "describe_vpcs", "Vpcs"))
    uids = {v["VpcId"]: _arn(ctx, "vpc", v["VpcId"]) for v in vpcs}
    source = [ctx.action(ec2, "describe_vpcs")]
    flow_logs: dict[str, list[dict[str, Any]]] | Any = {}
    try:
        for fl in ctx.pages(ec2, "describe_flow_logs", "FlowLogs"):
            flow_logs.setdefault(fl.get("ResourceId", ""), []).append(
                {
                    "id": fl.get("FlowLogId"),
                    "status": fl.get("FlowLogStatus"),
                    "traffic_type": fl.get("TrafficType"),
                    "destination_type": fl.get("LogDestinationType"),
                }
            )
        source.append(ctx.action(ec2, "describe_flow_logs"))
    except Exception as exc:  # any failure: flow logs unknown, never "none"
        flow_logs = FAILED
        _record_each(
            ctx,
            ec2,
            "describe_flow_logs",
            exc,
            resource_type=VPC.name,
            uids=uids.values(),
            attributes=("flow_logs",),
        )
    for vpc in vpcs:
        vid = vpc["VpcId"]
        tags = tag_map(vpc.get("Tags"))
        cidrs = [
            a["CidrBlock"]
            for a in vpc.get("CidrBlockAssociationSet") or ()
            if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated" and "CidrBlock" in a
        ] or ([vpc["CidrBlock"]] if vpc.get("CidrBlock") else [])
        yield ctx.resource(
            type=VPC.name,
            uid=uids[vid],
            name=name_from_tags(tags, vid),
            tags=tags,
            attributes={
                "vpc_id": vid,
                "cidr_blocks": cidrs,
                "is_default": _opt(vpc, "IsDefault"),
                "flow_logs": FAILED if flow_logs is FAILED else flow_logs.get(vid, []),
            },
            source=source,
        )


# --- aws.ec2.subnet -----------------------------------------------------------------------------


def _routes_to_igw(table: dict[str, Any]) -> bool:
    # Any route to an internet gateway counts, whatever its destination: 0.0.0.0/0 is only the usual
    # spelling, and 0.0.0.0/1 + 128.0.0.0/1, a prefix list (DestinationPrefixListId) or a narrower public
    # range send traffic to the internet just the same (an IGW forwards nothing else). Blackhole routes
    # count too: the route is still configured, and reattaching the gateway revives it; overstating
    # exposure is the fail-closed side.
    return any(str(route.get("GatewayId") or "").startswith("igw-") for route in table.get("Routes") or ())


def collect_subnets(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    subnets = list(ctx.pages(ec2, "describe_subnets", "Subnets"))
    uids = {s["SubnetId"]: _arn(ctx, "subnet", s["SubnetId"]) for s in subnets}
    source = [ctx.action(ec2, "describe_subnets")]
    explicit: dict[str, dict[str, Any]] = {}
    main: dict[str, dict[str, Any]] = {}
    tables_read = True
    try:
        for table in ctx.pages(ec2, "describe_route_tables", "RouteTables"):
            for assoc in table.get("Associations") or ():
                if assoc.get("SubnetId"):
                    explicit[assoc["SubnetId"]] = table
                elif assoc.get("Main"):
                    main[table.get("VpcId", "")] = table
        source.append(ctx.action(ec2, "describe_route_tables"))
    except Exception as exc:  # any failure: routing unknown, never "not public"
        tables_read = False
        _record_each(
            ctx,
            ec2,
            "describe_route_tables",
            exc,
            resource_type=SUBNET.name,
            uids=uids.values(),
            attributes=("route_table_id", "routes_to_internet_gateway"),
        )
    for sub in subnets:
        sid = sub["SubnetId"]
        tags = tag_map(sub.get("Tags"))
        table = (explicit.get(sid) or main.get(sub.get("VpcId", ""))) if tables_read else None
        # No table found although the listing worked (e.g. a race with a VPC being deleted):
        # routing is unknown, so both attributes stay absent.
        yield ctx.resource(
            type=SUBNET.name,
            uid=uids[sid],
            name=name_from_tags(tags, sid),
            tags=tags,
            attributes={
                "subnet_id": sid,
                "vpc_id": sub.get("VpcId"),
                "cidr": sub.get("CidrBlock"),
                "availability_zone": sub.get("AvailabilityZone"),
                "map_public_ip_on_launch": _opt(sub, "MapPublicIpOnLaunch"),
                "route_table_id": table["RouteTableId"] if table else FAILED,
                "routes_to_internet_gateway": _routes_to_igw(table) if table else FAILED,
            },
            source=source,
        )


# --- aws.ec2.route_table ------------------------------------------------------------------------

# Checked in order: a route to an instance also carries that instance's ENI id.
_TARGETS = (
    ("NatGatewayId", "nat"),
    ("VpcPeeringConnectionId", "peering"),
    ("TransitGatewayId", "transit_gateway"),
    ("InstanceId", "instance"),
    ("NetworkInterfaceId", "interface"),
    ("EgressOnlyInternetGatewayId", "gateway"),
    ("LocalGatewayId", "other"),
    ("CarrierGatewayId", "other"),
    ("CoreNetworkArn", "other"),
)


def _route(route: dict[str, Any]) -> dict[str, Any]:
    destination = (
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
    )
    gateway = route.get("GatewayId")
    if gateway == "local":
        target_type, target = "local", "local"
    elif gateway and str(gateway).startswith("vpce-"):
        target_type, target = "endpoint", gateway
    elif gateway:
        target_type, target = "gateway", gateway
    else:
        target_type, target = "other", None
        for key, kind in _TARGETS:
            if route.get(key):
                target_type, target = kind, route[key]
                break
    return {
        "destination": destination,
        "target_type": target_type,
        "target": target,
        "state": route.get("State"),
    }


def collect_route_tables(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    tables = list(ctx.pages(ec2, "describe_route_tables", "RouteTables"))
    source = [ctx.action(ec2, "describe_route_tables")]
    for table in tables:
        rid = table["RouteTableId"]
        tags = tag_map(table.get("Tags"))
        associations = table.get("Associations") or ()
        yield ctx.resource(
            type=ROUTE_TABLE.name,
            uid=_arn(ctx, "route-table", rid),
            name=name_from_tags(tags, rid),
            tags=tags,
            attributes={
                "route_table_id": rid,
                "vpc_id": table.get("VpcId"),
                "main": any(a.get("Main") for a in associations),
                "subnet_ids": sorted(a["SubnetId"] for a in associations if a.get("SubnetId")),
                "routes": [_route(r) for r in table.get("Routes") or ()],
            },
            source=source,
        )


# --- aws.ec2.network_acl ------------------------------------------------------------------------


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    return {
        "rule_number": entry.get("RuleNumber"),
        "egress": bool(entry.get("Egress")),
        "protocol": str(entry["Protocol"]),
        "action": entry.get("RuleAction"),
        "cidr": entry.get("CidrBlock"),
        "ipv6_cidr": entry.get("Ipv6CidrBlock"),
        "from_port": ports.get("From"),
        "to_port": ports.get("To"),
    }


def collect_network_acls(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    acls = list(ctx.pages(ec2, "describe_network_acls", "NetworkAcls"))
    source = [ctx.action(ec2, "describe_network_acls")]
    for acl in acls:
        aid = acl["NetworkAclId"]
        tags = tag_map(acl.get("Tags"))
        uid = _arn(ctx, "network-acl", aid)
        raw = acl.get("Entries") or ()
        # An entry without its number, action or protocol cannot be ordered or judged: the rule set is unknown.
        gap = next((m for e in raw for m in ("RuleNumber", "RuleAction", "Protocol") if e.get(m) is None), None)
        entries: Any = (
            ctx.missing(
                ec2,
                "describe_network_acls",
                f"Entries[].{gap}",
                uid=uid,
                resource_type=NETWORK_ACL.name,
                attributes=("entries",),
            )
            if gap
            else sorted((_entry(e) for e in raw), key=lambda e: (e["egress"], e["rule_number"]))
        )
        yield ctx.resource(
            type=NETWORK_ACL.name,
            uid=uid,
            name=name_from_tags(tags, aid),
            tags=tags,
            attributes={
                "network_acl_id": aid,
                "vpc_id": acl.get("VpcId"),
                "is_default": _opt(acl, "IsDefault"),
                "subnet_ids": sorted(a["SubnetId"] for a in acl.get("Associations") or () if a.get("SubnetId")),
                # Evaluation order is by rule number, per direction; keep it so controls read it as AWS does.
                "entries": entries,
            },
            source=source,
        )


# --- specs --------------------------------------------------------------------------------------

SPEC_REGION = ServiceSpec(
    name="ec2.region",
    client="ec2",
    regional=True,
    types=(REGION,),
    permissions=("ec2:GetEbsEncryptionByDefault", "ec2:GetEbsDefaultKmsKeyId"),
    collect=collect_region,
)
SPEC_SECURITY_GROUPS = ServiceSpec(
    name="ec2.security_groups",
    client="ec2",
    regional=True,
    types=(SECURITY_GROUP,),
    permissions=("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"),
    collect=collect_security_groups,
)
SPEC_INSTANCES = ServiceSpec(
    name="ec2.instances",
    client="ec2",
    regional=True,
    types=(INSTANCE,),
    permissions=("ec2:DescribeInstances",),
    collect=collect_instances,
)
SPEC_VOLUMES = ServiceSpec(
    name="ec2.volumes",
    client="ec2",
    regional=True,
    types=(VOLUME,),
    permissions=("ec2:DescribeVolumes",),
    collect=collect_volumes,
)
SPEC_VPCS = ServiceSpec(
    name="ec2.vpcs",
    client="ec2",
    regional=True,
    types=(VPC,),
    permissions=("ec2:DescribeVpcs", "ec2:DescribeFlowLogs"),
    collect=collect_vpcs,
)
SPEC_SUBNETS = ServiceSpec(
    name="ec2.subnets",
    client="ec2",
    regional=True,
    types=(SUBNET,),
    permissions=("ec2:DescribeSubnets", "ec2:DescribeRouteTables"),
    collect=collect_subnets,
)
SPEC_ROUTE_TABLES = ServiceSpec(
    name="ec2.route_tables",
    client="ec2",
    regional=True,
    types=(ROUTE_TABLE,),
    permissions=("ec2:DescribeRouteTables",),
    collect=collect_route_tables,
)
SPEC_NETWORK_ACLS = ServiceSpec(
    name="ec2.network_acls",
    client="ec2",
    regional=True,
    types=(NETWORK_ACL,),
    permissions=("ec2:DescribeNetworkAcls",),
    collect=collect_network_acls,
)

SPECS: tuple[ServiceSpec, ...] = (
    SPEC_REGION,
    SPEC_SECURITY_GROUPS,
    SPEC_INSTANCES,
    SPEC_VOLUMES,
    SPEC_VPCS,
    SPEC_SUBNETS,
    SPEC_ROUTE_TABLES,
    SPEC_NETWORK_ACLS,
)
