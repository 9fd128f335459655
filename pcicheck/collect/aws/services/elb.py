"""Classic Load Balancers (Elastic Load Balancing v1), type aws.elb.load_balancer.

DescribeLoadBalancers lists them with their listeners (protocol, ports, certificate), scheme and
placement (VPC, subnets, security groups); DescribeTags, 20 names a call, gives the tags (shared with
the ELBv2 collector). Per balancer, DescribeLoadBalancerAttributes gives access logging, connection
settings and the HTTP desync mitigation mode, and, only when it has an HTTPS or SSL listener,
DescribeLoadBalancerPolicies gives the TLS protocols its SSL negotiation policy allows. A failing
per-balancer read leaves only what it was for absent, with a CollectionError naming the balancer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.collect.aws.services.elbv2 import batch_tags
from pcicheck.model import Resource, resource_type

LOAD_BALANCER = resource_type(
    "aws.elb.load_balancer",
    "Classic Load Balancer (Elastic Load Balancing v1); uid = its ARN (…:loadbalancer/<name>)",
    arn="string: load balancer ARN",
    name="string: load balancer name",
    scheme="string: 'internet-facing'|'internal'",
    dns_name="string?",
    vpc_id="string?: vpc-…; null for EC2-Classic",
    subnet_ids="list: sorted ids of the subnets it has nodes in",
    security_groups="list: sorted sg ids",
    availability_zones="list: sorted zone names",
    listeners="list: {port, protocol ('HTTP'|'HTTPS'|'TCP'|'SSL'; left out when the answer did), "
    "instance_port, instance_protocol, "
    "certificate_id (ACM or IAM server certificate ARN, or null), policy_names [names], ssl_policy (the predefined "
    "policy its SSL negotiation policy references, else that policy's name; null unless HTTPS/SSL or without one), "
    "ssl_protocols (sorted enabled protocols, e.g. ['TLSv1.2'], or null: not HTTPS/SSL, no negotiation policy, or "
    "one naming no protocol)}, sorted by port; ssl_policy and ssl_protocols are left out of HTTPS/SSL listeners "
    "when the policies could not be read",
    instance_ids="list: sorted ids of the registered instances",
    access_logs_enabled="bool",
    access_logs_bucket="string?: S3 bucket name",
    idle_timeout_seconds="int: connection settings",
    desync_mitigation_mode="string: 'monitor'|'defensive'|'strictest'",
)
SETTINGS = ("access_logs_enabled", "access_logs_bucket", "idle_timeout_seconds", "desync_mitigation_mode")
# The listener fields DescribeLoadBalancerPolicies fills; named in the CollectionError when it fails
# so that only controls reading them become `error`.
SSL_FIELDS = ("ssl_policy", "ssl_protocols")
TLS_PROTOCOLS = ("HTTPS", "SSL")
_DESYNC_KEY = "elb.http.desyncmitigationmode"
_SSL_POLICY_TYPE = "SSLNegotiationPolicyType"
_PROTOCOL_PREFIX = "Protocol-"


def _arn(ctx: CollectContext, name: str) -> str:
    # DescribeLoadBalancers does not return the ARN; this is AWS's documented form for a Classic one.
    return f"arn:{ctx.partition}:elasticloadbalancing:{ctx.region}:{ctx.account}:loadbalancer/{name}"


def _listener(description: dict[str, Any]) -> dict[str, Any]:
    listener = description.get("Listener") or {}
    found: dict[str, Any] = {"port": listener.get("LoadBalancerPort")}
    # A listener without its protocol is left without the key: a control asking for it is `error`, never
    # "no HTTPS listener" (not applicable).
    if listener.get("Protocol"):
        found["protocol"] = str(listener["Protocol"]).upper()
    found["instance_port"] = listener.get("InstancePort")
    found["instance_protocol"] = str(listener.get("InstanceProtocol") or "").upper() or None
    found["certificate_id"] = listener.get("SSLCertificateId") or None
    found["policy_names"] = sorted(description.get("PolicyNames") or ())
    return found


def _settings(reads: ResourceReads, elb: Any, name: str) -> dict[str, Any]:
    """Access logging, idle timeout and desync mitigation, from DescribeLoadBalancerAttributes."""
    answer = reads.get(elb, "describe_load_balancer_attributes", SETTINGS, LoadBalancerName=name)
    if answer is FAILED:
        return dict.fromkeys(SETTINGS, FAILED)
    values = answer.get("LoadBalancerAttributes") or {}
    access_log = values.get("AccessLog")
    additional = {
        str(a["Key"]): a["Value"] for a in values.get("AdditionalAttributes") or () if a.get("Key") and a.get("Value")
    }
    enabled = access_log.get("Enabled") if isinstance(access_log, dict) else None
    return {
        # AWS always answers with AccessLog; a missing or malformed one is unknown, not "off".
        "access_logs_enabled": enabled if isinstance(enabled, bool) else FAILED,
        "access_logs_bucket": (access_log.get("S3BucketName") or None) if isinstance(access_log, dict) else FAILED,
        "idle_timeout_seconds": (values.get("ConnectionSettings") or {}).get("IdleTimeout", FAILED),
        # AWS lists the mode among the additional attributes of every Classic balancer; one left out
        # of the answer (moto does until it is set) is unknown, never the "defensive" default.
        "desync_mitigation_mode": additional.get(_DESYNC_KEY, FAILED),
    }


def _ssl_negotiation(policy: dict[str, Any]) -> dict[str, Any]:
    """An SSLNegotiationPolicyType policy → {ssl_policy, ssl_protocols}: the predefined policy it
    references (else its own name) and the protocols it enables, or null if it names none."""
    attributes = {
        str(a["AttributeName"]): a.get("AttributeValue")
        for a in policy.get("PolicyAttributeDescriptions") or ()
        if a.get("AttributeName") is not None
    }
    protocols = [k[len(_PROTOCOL_PREFIX) :] for k in attributes if k.startswith(_PROTOCOL_PREFIX)]
    # A Protocol-* attribute without its value leaves unknown whether that protocol is on (not "off").
    stated = all(attributes[_PROTOCOL_PREFIX + p] is not None for p in protocols)
    return {
        "ssl_policy": str(attributes.get("Reference-Security-Policy") or policy.get("PolicyName") or "") or None,
        # No Protocol-* attribute at all: what it negotiates is not stated, so nothing can pass on it.
        "ssl_protocols": sorted(p for p in protocols if attributes[_PROTOCOL_PREFIX + p] == "true")
        if protocols and stated
        else None,
    }


def _with_ssl(reads: ResourceReads, elb: Any, name: str, listeners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds ssl_policy/ssl_protocols to every listener: null unless HTTPS/SSL; for those, from the SSL
    negotiation policy among its policy names (null when it has none). Only balancers with such a
    listener are asked; if the read fails, the two fields are left out of their listeners."""
    if not any(lis.get("protocol") in TLS_PROTOCOLS for lis in listeners):
        return [{**lis, **dict.fromkeys(SSL_FIELDS)} for lis in listeners]
    answer = reads.get(elb, "describe_load_balancer_policies", SSL_FIELDS, LoadBalancerName=name)
    negotiation = (
        {
            str(p.get("PolicyName")): _ssl_negotiation(p)
            for p in answer.get("PolicyDescriptions") or ()
            if p.get("PolicyTypeName") == _SSL_POLICY_TYPE
        }
        if answer is not FAILED
        else {}
    )
    out = []
    for lis in listeners:
        if lis.get("protocol") not in TLS_PROTOCOLS:
            out.append({**lis, **dict.fromkeys(SSL_FIELDS)})
        elif answer is FAILED:
            out.append(lis)
        else:
            found = [negotiation[n] for n in lis["policy_names"] if n in negotiation]
            out.append({**lis, **(found[0] if found else dict.fromkeys(SSL_FIELDS))})
    return out


def _placement(lb: dict[str, Any]) -> dict[str, Any]:
    return {
        "vpc_id": lb.get("VPCId") or None,  # null: EC2-Classic, outside any VPC
        "subnet_ids": sorted(lb["Subnets"]) if isinstance(lb.get("Subnets"), list) else FAILED,
        "security_groups": sorted(lb["SecurityGroups"]) if isinstance(lb.get("SecurityGroups"), list) else FAILED,
        "availability_zones": sorted(lb.get("AvailabilityZones") or ()),
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    elb = ctx.client()
    balancers = list(ctx.pages(elb, "describe_load_balancers", "LoadBalancerDescriptions"))
    listing = ctx.action(elb, "describe_load_balancers")
    uids = {lb["LoadBalancerName"]: _arn(ctx, lb["LoadBalancerName"]) for lb in balancers}
    tags_by_name = batch_tags(
        ctx,
        elb,
        uids,
        resource_type=LOAD_BALANCER.name,
        param="LoadBalancerNames",
        key="LoadBalancerName",
    )
    for lb in balancers:
        name = lb["LoadBalancerName"]
        arn = uids[name]
        reads = ResourceReads(ctx, arn, LOAD_BALANCER.name, source={listing})
        listeners: Any = FAILED
        if isinstance(lb.get("ListenerDescriptions"), list):
            listeners = _with_ssl(reads, elb, name, [_listener(d) for d in lb["ListenerDescriptions"]])
        settings = _settings(reads, elb, name)
        tags = tags_by_name.get(name, FAILED)
        if tags is not FAILED:
            reads.source.add(ctx.action(elb, "describe_tags"))
        yield reads.resource(
            name,
            {
                "arn": arn,
                "name": name,
                "scheme": lb.get("Scheme", FAILED),
                "dns_name": lb.get("DNSName") or None,
                **_placement(lb),
                "listeners": sorted(listeners, key=lambda x: (x["port"] or 0, str(x.get("protocol"))))
                if listeners is not FAILED
                else FAILED,
                "instance_ids": sorted(i["InstanceId"] for i in lb.get("Instances") or () if i.get("InstanceId")),
                **settings,
            },
            tags,
        )


SPEC = ServiceSpec(
    name="elb",
    client="elb",
    regional=True,
    types=(LOAD_BALANCER,),
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeTags",
    ),
    collect=collect,
)
