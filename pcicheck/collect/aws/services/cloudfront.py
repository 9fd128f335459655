"""CloudFront distributions (aws.cloudfront.distribution): how viewers and origins are reached.

CloudFront is global: it is read once per account, through us-east-1. ListDistributions carries
the cache behaviours, origins, viewer certificate and web ACL of every distribution; only logging
needs GetDistributionConfig, and tags ListTagsForResource. A failed per-distribution read leaves
its attributes absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec, tag_map
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.cloudfront.distribution",
    "CloudFront distribution (global, region ''); uid = its ARN",
    id="string?: distribution id",
    arn="string: distribution ARN",
    domain_name="string?: *.cloudfront.net host name",
    aliases="list: alternate domain names (CNAMEs)",
    enabled="bool?",
    behaviours="list: {path ('*' for the default behaviour), origin (target origin id), viewer_protocol "
    "('allow-all'|'redirect-to-https'|'https-only')}",
    origins="list: {id, domain, kind ('s3'|'custom'|'vpc'|'unknown'), protocol_policy ('http-only'|'match-viewer'|"
    "'https-only'|null: null for S3), ssl_protocols [e.g. 'TLSv1.2'; empty for S3]}; protocol_policy and "
    "ssl_protocols are left out where they were not read: VPC origins (their protocol is on the VPC origin), "
    "origins of no known kind, and custom origins whose answer left them out",
    default_certificate="bool: viewers get the *.cloudfront.net certificate (no custom certificate)",
    certificate="string?: ACM certificate ARN or IAM certificate id",
    minimum_protocol_version="string?: viewer security policy, e.g. 'TLSv1.2_2021'; null with the default certificate",
    ssl_support_method="string?: 'sni-only'|'vip'|'static-ip'",
    web_acl_id="string?: associated WAF web ACL (ARN for WAFv2)",
    logging_enabled="bool: standard access logs",
    logging_bucket="string?: log bucket domain",
)
LOGGING = ("logging_enabled", "logging_bucket")


def _items(container: Any) -> list[Any]:
    """CloudFront's {Quantity, Items} lists; Items is left out when Quantity is 0."""
    return list((container or {}).get("Items") or ())


def _behaviours(summary: dict[str, Any]) -> list[dict[str, Any]]:
    default = summary.get("DefaultCacheBehavior") or {}
    found = [
        {"path": "*", "origin": default.get("TargetOriginId"), "viewer_protocol": default.get("ViewerProtocolPolicy")}
    ]
    for b in _items(summary.get("CacheBehaviors")):
        found.append(
            {
                "path": b.get("PathPattern"),
                "origin": b.get("TargetOriginId"),
                "viewer_protocol": b.get("ViewerProtocolPolicy"),
            }
        )
    return found


def _origin_kind(origin: dict[str, Any]) -> str:
    """Which of CloudFront's origin configurations this origin carries. Only an S3 REST origin
    (S3OriginConfig) is always reached over HTTPS; a VPC origin's protocol lives on the VPC origin
    (GetVpcOrigin), not read here; an origin carrying none of the three is not known to be anything."""
    if origin.get("CustomOriginConfig"):
        return "custom"
    if origin.get("S3OriginConfig") is not None:
        return "s3"
    if origin.get("VpcOriginConfig"):
        return "vpc"
    return "unknown"


def _origins(summary: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for o in _items(summary.get("Origins")):
        kind = _origin_kind(o)
        origin: dict[str, Any] = {"id": o.get("Id"), "domain": o.get("DomainName"), "kind": kind}
        if kind == "s3":
            origin.update(protocol_policy=None, ssl_protocols=[])
        elif kind == "custom":
            custom = o["CustomOriginConfig"]
            # What AWS left out stays out: a control reading it is then `error`, never a pass on no evidence.
            if custom.get("OriginProtocolPolicy"):
                origin["protocol_policy"] = custom["OriginProtocolPolicy"]
            protocols = _items(custom.get("OriginSslProtocols"))
            if protocols:
                origin["ssl_protocols"] = protocols
        found.append(origin)
    return found


def _certificate(summary: dict[str, Any]) -> dict[str, Any]:
    cert = summary.get("ViewerCertificate") or {}
    custom = cert.get("ACMCertificateArn") or cert.get("IAMCertificateId") or None
    return {
        # The *.cloudfront.net certificate admits TLS 1.0 whatever MinimumProtocolVersion says.
        "default_certificate": custom is None,
        "certificate": custom,
        "minimum_protocol_version": cert.get("MinimumProtocolVersion") if custom else None,
        "ssl_support_method": cert.get("SSLSupportMethod") if custom else None,
    }


def _distributions(ctx: CollectContext, cf: Any) -> Iterator[dict[str, Any]]:
    # The items sit one level down (DistributionList.Items), which ctx.pages cannot reach.
    action = ctx.action(cf, "list_distributions")
    for page in cf.get_paginator("list_distributions").paginate():
        ctx.calls[action] += 1
        yield from _items(page.get("DistributionList"))


def collect(ctx: CollectContext) -> Iterator[Resource]:
    cf = ctx.client()
    listing = ctx.action(cf, "list_distributions")
    for summary in _distributions(ctx, cf):
        arn = str(summary["ARN"])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        attributes: dict[str, Any] = {
            "id": summary.get("Id"),
            "arn": arn,
            "domain_name": summary.get("DomainName"),
            "aliases": _items(summary.get("Aliases")),
            # Absent is unknown, not "disabled" (which would leave its controls not applicable).
            "enabled": summary["Enabled"]
            if isinstance(summary.get("Enabled"), bool)
            else reads.missing(cf, "list_distributions", "Enabled", ("enabled",)),
            "behaviours": _behaviours(summary),
            "origins": _origins(summary),
            **_certificate(summary),
            "web_acl_id": summary.get("WebACLId") or None,
            **dict.fromkeys(LOGGING, FAILED),
        }
        config = reads.get(cf, "get_distribution_config", LOGGING, Id=summary["Id"])
        if config is not FAILED:
            logging = (config.get("DistributionConfig") or {}).get("Logging") or {}
            attributes["logging_enabled"] = bool(logging.get("Enabled"))
            attributes["logging_bucket"] = logging.get("Bucket") or None if logging.get("Enabled") else None
        tagged = reads.get(cf, "list_tags_for_resource", ("tags",), Resource=arn)
        tags = {} if tagged is FAILED else tag_map(_items(tagged.get("Tags")))
        yield reads.resource(str(summary.get("Id")), attributes, tags, region="")


SPEC = ServiceSpec(
    name="cloudfront",
    client="cloudfront",
    regional=False,
    types=(TYPE,),
    permissions=("cloudfront:GetDistributionConfig", "cloudfront:ListDistributions", "cloudfront:ListTagsForResource"),
    collect=collect,
)
