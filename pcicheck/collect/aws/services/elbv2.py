"""Elastic Load Balancing v2 (application, network and gateway load balancers).

DescribeLoadBalancers lists them with their placement (VPC, subnets, security groups, scheme);
DescribeListeners per load balancer gives the ports and protocols it answers on; DescribeTags,
20 ARNs at a time, gives the tags. A failing per-balancer or tags read leaves only what it was
for absent, with a CollectionError per load balancer, so reachability on it becomes unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    name_from_tags,
    tag_map,
)
from pcicheck.model import Resource

LOAD_BALANCER = "aws.elbv2.load_balancer"
# DescribeTags accepts at most 20 resource ARNs per call.
_TAGS_BATCH = 20


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: missing means unknown, so the attribute stays absent."""
    return data.get(key, FAILED)


def _security_groups(lb: dict[str, Any]) -> Any:
    # Network and gateway load balancers may have no groups, and AWS then omits the key; an
    # application load balancer always has at least one, so its missing list is unknown.
    if "SecurityGroups" in lb:
        return sorted(lb["SecurityGroups"] or ())
    return FAILED if lb.get("Type") == "application" else []


def _action(action: dict[str, Any]) -> dict[str, Any]:
    redirect = action.get("RedirectConfig") or {}
    return {"type": action.get("Type"), "redirect_protocol": redirect.get("Protocol")}


def _listener(listener: dict[str, Any]) -> dict[str, Any]:
    return {
        "port": listener.get("Port"),
        "protocol": listener.get("Protocol"),
        "ssl_policy": listener.get("SslPolicy") if listener.get("Protocol") in ("HTTPS", "TLS") else None,
        "certificate_arns": sorted(
            c["CertificateArn"] for c in listener.get("Certificates") or () if c.get("CertificateArn")
        ),
        "default_actions": [_action(a) for a in listener.get("DefaultActions") or ()],
    }


def _tags(ctx: CollectContext, elb: Any, arns: list[str]) -> dict[str, Any]:
    """ARN → tag map, or FAILED for every ARN of a batch whose DescribeTags failed."""
    out: dict[str, Any] = {}
    for start in range(0, len(arns), _TAGS_BATCH):
        batch = arns[start : start + _TAGS_BATCH]
        try:
            answer = ctx.call(elb, "describe_tags", ResourceArns=batch)
        except Exception as exc:  # botocore raises many unrelated classes; any failure means unknown
            for arn in batch:
                ctx.record_error(elb, "describe_tags", exc, resource_type=LOAD_BALANCER, uid=arn, attributes=("tags",))
                out[arn] = FAILED
            continue
        for description in answer.get("TagDescriptions") or ():
            out[description.get("ResourceArn", "")] = tag_map(description.get("Tags"))
        for arn in batch:
            # An ARN the answer leaves out has no tags it could report; AWS lists every one it was asked.
            out.setdefault(arn, {})
    return out


def collect(ctx: CollectContext) -> Iterator[Resource]:
    elb = ctx.client()
    balancers = list(ctx.pages(elb, "describe_load_balancers", "LoadBalancers"))
    listing = ctx.action(elb, "describe_load_balancers")
    tags_by_arn = _tags(ctx, elb, [lb["LoadBalancerArn"] for lb in balancers])
    for lb in balancers:
        arn = lb["LoadBalancerArn"]
        name = lb.get("LoadBalancerName", arn.rsplit("/", 2)[-2])
        reads = ResourceReads(ctx, arn, LOAD_BALANCER, source={listing})
        listeners: Any = FAILED
        try:
            listeners = [
                _listener(item) for item in ctx.pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn)
            ]
            reads.source.add(ctx.action(elb, "describe_listeners"))
        except Exception as exc:  # any failure: the ports it answers on are unknown, never "none"
            ctx.record_error(
                elb, "describe_listeners", exc, resource_type=LOAD_BALANCER, uid=arn, attributes=("listeners",)
            )
        tags = tags_by_arn.get(arn, FAILED)
        if tags is not FAILED:
            reads.source.add(ctx.action(elb, "describe_tags"))
        yield ctx.resource(
            type=LOAD_BALANCER,
            uid=arn,
            name=name_from_tags(tags or {}, name),
            tags=tags or {},
            attributes={
                "arn": arn,
                "name": name,
                "type": _opt(lb, "Type"),
                "scheme": _opt(lb, "Scheme"),
                "ip_address_type": _opt(lb, "IpAddressType"),
                "state": (lb.get("State") or {}).get("Code", FAILED),
                "vpc_id": lb.get("VpcId") or None,
                "subnet_ids": (
                    sorted(z["SubnetId"] for z in lb["AvailabilityZones"] if z.get("SubnetId"))
                    if "AvailabilityZones" in lb
                    else FAILED
                ),
                "security_groups": _security_groups(lb),
                "dns_name": lb.get("DNSName") or None,
                "listeners": sorted(listeners, key=lambda x: (x["port"] or 0, str(x["protocol"])))
                if listeners is not FAILED
                else FAILED,
            },
            source=reads.source,
        )


SPEC = ServiceSpec(
    name="elbv2",
    client="elbv2",
    regional=True,
    resource_types=(LOAD_BALANCER,),
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTags",
    ),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
