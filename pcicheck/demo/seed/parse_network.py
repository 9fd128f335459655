"""Parse the network and what runs in it: VPCs with their subnets, security groups and network ACL
entries, peerings, load balancers, instances, volumes and RDS instances."""

from __future__ import annotations

from typing import Any

from pcicheck.demo.seed.parser import Fields, Parser
from pcicheck.demo.seed.records import (
    BUCKET,
    INSTANCE,
    KMS_KEY,
    SECURITY_GROUP,
    SUBNET,
    VPC,
    Database,
    Instance,
    Listener,
    LoadBalancer,
    NaclEntry,
    Peering,
    Ref,
    RootVolume,
    Rule,
    SecurityGroup,
    Subnet,
    Volume,
    Vpc,
)

# moto ships this AMI in every region; real AWS accounts need `image:` set per instance.
DEFAULT_IMAGE = "ami-12c6146b"
_SG_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1", "-1": "-1"}
_NACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1", "-1": "-1"}


def vpc(parser: Parser, name: str, f: Fields, region: str) -> Vpc:
    bucket, log_group, role_arn, traffic = _flow_logs(parser, f)
    entries = f.raw("network_acl_entries", [])
    if not isinstance(entries, list):
        raise parser.error(f"{f.what}: network_acl_entries must be a list", f.line_of("network_acl_entries"))
    nacl = tuple(
        _nacl_entry(parser, e, f"{f.what}: network ACL entry", f.line_of("network_acl_entries")) for e in entries
    )
    subnets = _subnets(parser, f, name, region)
    groups = _security_groups(parser, f, name, region)
    result = Vpc(
        name,
        f.line,
        region,
        f.text("cidr"),
        f.tags(),
        bucket,
        log_group,
        role_arn,
        traffic,
        f.flag("restrict_default_security_group", False),
        nacl,
        subnets,
        groups,
    )
    f.done()
    return result


def _flow_logs(parser: Parser, f: Fields) -> tuple[Ref | None, str | None, str | None, str]:
    """A VPC's flow logs destination: (bucket, log group, role ARN, traffic type)."""
    flow = f.raw("flow_logs", False)
    if flow is True:
        raise parser.error(
            f"{f.what}: flow_logs needs a destination: {{bucket: B}} or {{log_group: G, role_arn: R}}",
            f.line_of("flow_logs"),
        )
    if flow is False:
        return None, None, None, "ALL"
    fl = Fields(parser, flow, f"{f.what}: flow_logs", f.line_of("flow_logs"))
    bucket = fl.ref("bucket", BUCKET, None)
    log_group = fl.text("log_group", None)
    role_arn = fl.text("role_arn", None)
    traffic = fl.choice("traffic_type", {"ALL", "ACCEPT", "REJECT"}, "ALL")
    fl.done()
    if (bucket is None) == (log_group is None) or (log_group is not None and role_arn is None):
        raise parser.error(
            f"{f.what}: flow_logs needs either bucket, or log_group and role_arn",
            f.line_of("flow_logs"),
        )
    return bucket, log_group, role_arn, traffic


def _subnets(parser: Parser, f: Fields, vpc_name: str, region: str) -> tuple[Subnet, ...]:
    subnets_map = f.mapping("subnets")
    subnets = []
    for sub_name, body in subnets_map.items():
        line = subnets_map.line_of(sub_name)
        parser.declare(SUBNET, sub_name, line, region, vpc=vpc_name)
        sf = Fields(parser, body, f"subnet '{sub_name}'", line)
        subnets.append(
            Subnet(
                sub_name,
                line,
                vpc_name,
                sf.text("cidr"),
                sf.text("az", f"{region}a"),
                sf.tags(),
                sf.flag("public", False),
                sf.flag("map_public_ip_on_launch", False),
            )
        )
        sf.done()
    return tuple(subnets)


def _security_groups(parser: Parser, f: Fields, vpc_name: str, region: str) -> tuple[SecurityGroup, ...]:
    groups_map = f.mapping("security_groups")
    groups = []
    for sg_name, body in groups_map.items():
        line = groups_map.line_of(sg_name)
        parser.declare(SECURITY_GROUP, sg_name, line, region, vpc=vpc_name)
        gf = Fields(parser, body, f"security group '{sg_name}'", line)
        rules = gf.raw("ingress", [])
        if not isinstance(rules, list):
            raise parser.error(f"{gf.what}: ingress must be a list", gf.line_of("ingress"))
        ingress = tuple(_rule(parser, r, gf.what, gf.line_of("ingress"), region, vpc_name) for r in rules)
        groups.append(
            SecurityGroup(
                sg_name,
                line,
                vpc_name,
                gf.text("description", f"{sg_name} security group"),
                gf.tags(),
                ingress,
            )
        )
        gf.done()
    return tuple(groups)


def _ports(parser: Parser, f: Fields) -> tuple[int | None, int | None]:
    value = f.raw("ports", None)
    if value is None:
        return None, None
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, str) and "-" in value:
        low, _, high = value.partition("-")
        if low.strip().isdigit() and high.strip().isdigit():
            return int(low), int(high)
    raise parser.error(f"{f.what}: ports must be a number or a range like 8000-8080", f.line_of("ports"))


def _rule(parser: Parser, data: Any, what: str, line: int, region: str, vpc_name: str) -> Rule:
    f = Fields(parser, data, f"{what}: ingress rule", getattr(data, "line", line))
    protocol = _SG_PROTOCOLS[f.choice("protocol", set(_SG_PROTOCOLS))]
    low, high = _ports(parser, f)
    if protocol in ("tcp", "udp") and low is None:
        raise parser.error(f"{f.what}: a {protocol} rule needs ports", f.line)
    groups = f.refs("groups", SECURITY_GROUP, region, vpc_name)
    cidrs = f.texts("cidrs")
    if not cidrs and not groups:
        raise parser.error(f"{f.what}: give cidrs or groups (or both)", f.line)
    result = Rule(protocol, low, high, cidrs, groups, f.text("description", None))
    f.done()
    return result


def _nacl_entry(parser: Parser, data: Any, what: str, line: int) -> NaclEntry:
    f = Fields(parser, data, what, getattr(data, "line", line))
    rule = f.number("rule")
    if not 1 <= rule <= 32766:
        raise parser.error(f"{what}: rule must be 1–32766", f.line_of("rule"))
    protocol = _NACL_PROTOCOLS[f.choice("protocol", set(_NACL_PROTOCOLS))]
    low, high = _ports(parser, f)
    result = NaclEntry(
        rule,
        f.flag("egress", False),
        protocol,
        low,
        high,
        f.text("cidr"),
        f.choice("action", {"allow", "deny"}),
    )
    f.done()
    return result


def instance(parser: Parser, name: str, f: Fields, region: str) -> Instance:
    subnet = f.ref("subnet", SUBNET, region=region)
    # The groups must sit in the subnet's VPC; when the subnet is unknown its own error wins.
    decl = parser.declared.get(SUBNET, {}).get(subnet.name)
    sgs = f.refs("security_groups", SECURITY_GROUP, region, decl.vpc if decl else None)
    result = Instance(
        name,
        f.line,
        region,
        subnet,
        sgs,
        f.text("instance_type", "t3.micro"),
        f.text("image", DEFAULT_IMAGE),
        f.flag("public_ip", None),
        f.choice("http_tokens", {"required", "optional"}, "required"),
        _root_volume(parser, f, region),
        f.tags(),
    )
    f.done()
    return result


def _root_volume(parser: Parser, f: Fields, region: str) -> RootVolume | None:
    if "root_volume" not in f.data:
        return None
    rf = Fields(parser, f.mapping("root_volume"), f"{f.what}: root_volume", f.line_of("root_volume"))
    encrypted = rf.flag("encrypted", False)
    kms_key = rf.ref("kms_key", KMS_KEY, None, region)
    if kms_key is not None and not encrypted:
        raise parser.error(f"{rf.what}: kms_key needs encrypted: true", rf.line_of("kms_key"))
    result = RootVolume(encrypted, kms_key, rf.number("size_gib", None))
    rf.done()
    return result


def volume(parser: Parser, name: str, f: Fields, region: str) -> Volume:
    encrypted = f.flag("encrypted", False)
    kms_key = f.ref("kms_key", KMS_KEY, None, region)
    if kms_key is not None and not encrypted:
        raise parser.error(f"{f.what}: kms_key needs encrypted: true", f.line_of("kms_key"))
    attach = f.ref("attach_to", INSTANCE, None, region)
    az = f.text("az", None)
    if (attach is None) == (az is None):
        raise parser.error(f"{f.what}: give az, or attach_to an instance (whose AZ it takes)", f.line)
    result = Volume(
        name,
        f.line,
        region,
        f.number("size_gib", 8),
        encrypted,
        kms_key,
        attach,
        f.text("device", "/dev/sdf"),
        az,
        f.tags(),
    )
    f.done()
    return result


def database(parser: Parser, name: str, f: Fields, region: str) -> Database:
    encrypted = f.flag("encrypted", False)
    kms_key = f.ref("kms_key", KMS_KEY, None, region)
    if kms_key is not None and not encrypted:
        raise parser.error(f"{f.what}: kms_key needs encrypted: true", f.line_of("kms_key"))
    subnets = f.refs("subnets", SUBNET, region)
    if len(subnets) < 2:
        raise parser.error(f"{f.what}: an RDS subnet group needs at least two subnets", f.line_of("subnets"))
    # One VPC for the whole subnet group and its security groups, as AWS requires.
    first = parser.declared.get(SUBNET, {}).get(subnets[0].name)
    vpc_name = first.vpc if first else None
    if vpc_name is not None:
        for ref in subnets:
            parser.ref(SUBNET, ref.name, ref.line, f.what, region, vpc_name)
    sgs = f.refs("security_groups", SECURITY_GROUP, region, vpc_name)
    result = Database(
        name,
        f.line,
        region,
        f.text("engine", "postgres"),
        f.text("engine_version", None),
        f.text("instance_class", "db.t3.micro"),
        f.number("storage_gib", 20),
        encrypted,
        kms_key,
        f.flag("publicly_accessible", False),
        subnets,
        sgs,
        f.number("backup_retention_days", None),
        f.flag("deletion_protection", False),
        f.flag("iam_auth", False),
        f.text("ca_certificate", None),
        f.tags(),
    )
    f.done()
    return result


def peering(parser: Parser, name: str, f: Fields, region: str) -> Peering:
    requester = f.ref("requester", VPC, region=region)
    accepter = f.ref("accepter", VPC, region=region)
    routes = f.refs("routes", VPC, region)
    for r in routes:
        if r.name not in (requester.name, accepter.name):
            raise parser.error(
                f"{f.what}: routes names VPC '{r.name}', which is not one of the two peers",
                r.line,
                fix=f"use {requester.name} and/or {accepter.name}",
            )
    result = Peering(name, f.line, region, requester, accepter, routes)
    f.done()
    return result


def load_balancer(parser: Parser, name: str, f: Fields, region: str) -> LoadBalancer:
    subnets = f.refs("subnets", SUBNET, region)
    if not subnets:
        raise parser.error(f"{f.what}: give at least one subnet", f.line)
    # Its groups and every subnet must sit in the first subnet's VPC; unknown subnets fail later.
    decl = parser.declared.get(SUBNET, {}).get(subnets[0].name)
    vpc_name = decl.vpc if decl else None
    subnets = f.refs("subnets", SUBNET, region, vpc_name)
    groups = f.refs("security_groups", SECURITY_GROUP, region, vpc_name)
    raw = f.raw("listeners", [])
    if not isinstance(raw, list) or not raw:
        raise parser.error(f"{f.what}: listeners must be a non-empty list", f.line_of("listeners"))
    listeners = []
    for item in raw:
        lf = Fields(parser, item, f"{f.what}: listener", getattr(item, "line", f.line_of("listeners")))
        protocol = lf.choice("protocol", {"HTTP", "HTTPS"})
        certificate = lf.text("certificate", None)
        if (protocol == "HTTPS") != (certificate is not None):
            raise parser.error(f"{lf.what}: an HTTPS listener needs a certificate domain, HTTP none", lf.line)
        port = lf.number("port")
        if not 1 <= port <= 65535:
            raise parser.error(f"{lf.what}: port must be 1–65535", lf.line_of("port"))
        listeners.append(
            Listener(
                port,
                protocol,
                certificate,
                lf.choice("action", {"fixed-response", "redirect-https"}, "fixed-response"),
            )
        )
        lf.done()
    result = LoadBalancer(
        name,
        f.line,
        region,
        f.choice("scheme", {"internet-facing", "internal"}),
        subnets,
        groups,
        tuple(listeners),
        f.tags(),
    )
    f.done()
    return result
