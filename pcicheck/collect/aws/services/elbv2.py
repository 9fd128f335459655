"""Elastic Load Balancing v2 (application, network and gateway load balancers).

DescribeLoadBalancers lists them with their placement (VPC, subnets, security groups, scheme);
DescribeListeners per load balancer gives the ports and protocols it answers on; DescribeTags,
20 ARNs at a time, gives the tags. DescribeLoadBalancerAttributes gives access logging and HTTP
desync mitigation; for an application load balancer, WAFv2 GetWebACLForResource names the web ACL
protecting it. A failing per-balancer or tags read leaves only what it was for absent, with a
CollectionError per load balancer, so reachability on it becomes unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    tag_map,
)
from pcicheck.model import Resource, resource_type

LOAD_BALANCER = resource_type(
    "aws.elbv2.load_balancer",
    "Elastic Load Balancing v2 load balancer (application, network or gateway); uid = its ARN",
    arn="string: load balancer ARN",
    name="string: load balancer name",
    type="string: 'application'|'network'|'gateway'",
    scheme="string: 'internet-facing'|'internal'",
    ip_address_type="string: 'ipv4'|'dualstack'|'dualstack-without-public-ipv4'",
    state="string: 'active'|'provisioning'|'active_impaired'|'failed'",
    vpc_id="string?: vpc-…",
    subnet_ids="list: sorted ids of the subnets it has nodes in",
    security_groups="list: sorted sg ids ([] for a network or gateway load balancer without groups)",
    dns_name="string?",
    listeners="list: {port, protocol ('HTTP'|'HTTPS'|'TCP'|'TLS'|'UDP'|'TCP_UDP'|'GENEVE'|'QUIC'|'TCP_QUIC'; "
    "left out when the answer did), ssl_policy (string|null; null unless HTTPS/TLS), certificate_arns [ARNs], "
    "default_actions [{type ('forward'|'redirect'|'fixed-response'|'authenticate-oidc'|'authenticate-cognito'|"
    "'jwt-validation'), redirect_protocol (string|null)}]}, sorted by port",
    access_logs_enabled="bool?: null for a gateway load balancer",
    desync_mitigation_mode="string?: 'monitor'|'defensive'|'strictest'; null unless application",
    web_acl_arn="string?: ARN of the WAFv2 web ACL associated with it (always null unless application)",
)
# DescribeTags accepts at most 20 resource ARNs per call.
_TAGS_BATCH = 20
_SETTINGS = ("access_logs_enabled", "desync_mitigation_mode")


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
    found: dict[str, Any] = {"port": listener.get("Port")}
    # A listener without its protocol is left without the key, so a control asking for it is `error`
    # (a null would read as "not HTTP, not HTTPS" and leave the balancer not applicable).
    if listener.get("Protocol"):
        found["protocol"] = listener["Protocol"]
    found["ssl_policy"] = listener.get("SslPolicy") if listener.get("Protocol") in ("HTTPS", "TLS") else None
    found["certificate_arns"] = sorted(
        c["CertificateArn"] for c in listener.get("Certificates") or () if c.get("CertificateArn")
    )
    found["default_actions"] = [_action(a) for a in listener.get("DefaultActions") or ()]
    return found


def _flag(values: dict[str, str], key: str) -> Any:
    # AWS always answers with these keys for the balancer types that have them; one left out of
    # the answer is unknown, and stays absent so no control passes on it.
    return values[key] == "true" if key in values else FAILED


# What the ELBv2 API reference documents for a load balancer attribute the answer leaves out (moto, for one,
# leaves both out): used, and recorded in the resource's `defaulted`, so the evidence says so.
_DOCUMENTED = {
    "access_logs.s3.enabled": ("access_logs_enabled", "false"),
    "routing.http.desync_mitigation_mode": ("desync_mitigation_mode", "defensive"),
}


def _settings(reads: ResourceReads, elb: Any, arn: str, lb_type: Any, defaulted: dict[str, str]) -> dict[str, Any]:
    """Access logging and desync mitigation, from DescribeLoadBalancerAttributes."""
    answer = reads.get(elb, "describe_load_balancer_attributes", _SETTINGS, LoadBalancerArn=arn)
    if answer is FAILED:
        return dict.fromkeys(_SETTINGS, FAILED)
    # An attribute without its Key or Value is left out, so it reads as unknown (not the string "None").
    values = {
        str(a["Key"]): str(a["Value"])
        for a in answer.get("Attributes") or ()
        if a.get("Key") is not None and a.get("Value") is not None
    }
    answered = {a.get("Key") for a in answer.get("Attributes") or ()}
    for key, (attribute, value) in _DOCUMENTED.items():
        if key not in answered:  # left out: the documented default; given without a value: unknown
            values[key] = value
            defaulted[attribute] = f"not reported; the ELBv2 API reference documents {key} = {value} by default"
    return {
        # Gateway load balancers pass packets through and have no access logs to turn on.
        "access_logs_enabled": None if lb_type == "gateway" else _flag(values, "access_logs.s3.enabled"),
        # Only application load balancers parse HTTP, so only they have a desync mitigation mode.
        "desync_mitigation_mode": values.get("routing.http.desync_mitigation_mode", FAILED)
        if lb_type == "application"
        else None,
    }


def _web_acl(ctx: CollectContext, reads: ResourceReads, arn: str, lb_type: Any) -> Any:
    """The WAFv2 web ACL of an application load balancer (null: none); null for other types,
    which WAF cannot protect."""
    if lb_type != "application":
        return None
    waf = ctx.client("wafv2")
    answer = reads.get(waf, "get_web_acl_for_resource", ("web_acl_arn",), ResourceArn=arn)
    if answer is FAILED:
        return FAILED
    return (answer.get("WebACL") or {}).get("ARN")


def batch_tags(
    ctx: CollectContext,
    elb: Any,
    uids: dict[str, str],
    *,
    resource_type: str,
    param: str = "ResourceArns",
    key: str = "ResourceArn",
) -> dict[str, Any]:
    """DescribeTags, 20 load balancers a call: id → tag map, or FAILED for every id of a batch whose
    call failed (recorded against the balancer's uid). `uids` maps the id the call takes (ELBv2: the
    ARN; Classic: the name, with `param`/`key` LoadBalancerNames/LoadBalancerName) to the uid."""
    ids = list(uids)
    out: dict[str, Any] = {}
    for start in range(0, len(ids), _TAGS_BATCH):
        batch = ids[start : start + _TAGS_BATCH]
        try:
            answer = ctx.call(elb, "describe_tags", **{param: batch})
        except Exception as exc:  # botocore raises many unrelated classes; any failure means unknown
            for ident in batch:
                ctx.record_error(
                    elb, "describe_tags", exc, resource_type=resource_type, uid=uids[ident], attributes=("tags",)
                )
                out[ident] = FAILED
            continue
        for description in answer.get("TagDescriptions") or ():
            out[description.get(key, "")] = tag_map(description.get("Tags"))
        for ident in batch:
            # An id the answer leaves out has no tags it could report; AWS lists every one it was asked.
            out.setdefault(ident, {})
    return out


def collect(ctx: CollectContext) -> Iterator[Resource]:
    elb = ctx.client()
    balancers = list(ctx.pages(elb, "describe_load_balancers", "LoadBalancers"))
    listing = ctx.action(elb, "describe_load_balancers")
    tags_by_arn = batch_tags(
        ctx, elb, {lb["LoadBalancerArn"]: lb["LoadBalancerArn"] for lb in balancers}, resource_type=LOAD_BALANCER.name
    )
    for lb in balancers:
        arn = lb["LoadBalancerArn"]
        name = lb.get("LoadBalancerName", arn.rsplit("/", 2)[-2])
        reads = ResourceReads(ctx, arn, LOAD_BALANCER.name, source={listing})
        listeners: Any = FAILED
        try:
            listeners = [
                _listener(item) for item in ctx.pages(elb, "describe_listeners", "Listeners", LoadBalancerArn=arn)
            ]
            reads.source.add(ctx.action(elb, "describe_listeners"))
        except Exception as exc:  # any failure: the ports it answers on are unknown, never "none"
            ctx.record_error(
                elb, "describe_listeners", exc, resource_type=LOAD_BALANCER.name, uid=arn, attributes=("listeners",)
            )
        defaulted: dict[str, str] = {}
        settings = _settings(reads, elb, arn, lb.get("Type"), defaulted)
        web_acl = _web_acl(ctx, reads, arn, lb.get("Type"))
        tags = tags_by_arn.get(arn, FAILED)
        if tags is not FAILED:
            reads.source.add(ctx.action(elb, "describe_tags"))
        resource = reads.resource(
            name,
            {
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
                "listeners": sorted(listeners, key=lambda x: (x["port"] or 0, str(x.get("protocol"))))
                if listeners is not FAILED
                else FAILED,
                **settings,
                "web_acl_arn": web_acl,
            },
            tags,
        )
        yield replace(
            resource, defaulted={k: v for k, v in defaulted.items() if resource.attributes.get(k) is not None}
        )


SPEC = ServiceSpec(
    name="elbv2",
    client="elbv2",
    regional=True,
    types=(LOAD_BALANCER,),
    permissions=(
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeTags",
        "wafv2:GetWebACLForResource",
    ),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
