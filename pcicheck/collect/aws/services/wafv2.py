"""WAFv2 web ACLs (aws.wafv2.web_acl): whether each ACL logs the requests it inspects.

Two specs share the module: REGIONAL web ACLs (ALB, API Gateway, AppSync, Cognito…) are listed in
every scanned region; CLOUDFRONT web ACLs live only in us-east-1, so their spec is global and runs
once there whatever --regions says. GetLoggingConfiguration per ACL gives the log destinations
(WAFNonexistentItemException: no logging, null); ListTagsForResource the tags. Only the default
(customer-configured) log scope is read; Security Lake or Firewall Manager-managed delivery
configured elsewhere is not seen here. WAF Classic (end of support September 2025) is not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    tag_map,
)
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.wafv2.web_acl",
    "WAFv2 web ACL (REGIONAL in each region, CLOUDFRONT from us-east-1); uid = its ARN",
    name="string: web ACL name",
    id="string: web ACL id",
    arn="string: web ACL ARN",
    scope="string: 'REGIONAL'|'CLOUDFRONT'",
    log_destinations="list?: log destination ARNs (CloudWatch Logs, S3, Firehose); null without logging",
    log_redacted_fields="list?: fields kept out of the logs ('SingleHeader:authorization', 'QueryString', …); null "
    "without logging",
)
LOGGING = ("log_destinations", "log_redacted_fields")
PAGE_SIZE = 100  # the most ListWebACLs returns at once
PERMISSIONS = ("wafv2:GetLoggingConfiguration", "wafv2:ListTagsForResource", "wafv2:ListWebACLs")


def _web_acls(ctx: CollectContext, client: Any, scope: str) -> Iterator[dict[str, Any]]:
    """Every ACL summary; ListWebACLs has no botocore paginator, so NextMarker is followed here."""
    kwargs: dict[str, Any] = {"Scope": scope, "Limit": PAGE_SIZE}
    while True:
        page = ctx.call(client, "list_web_acls", **kwargs)
        yield from page.get("WebACLs") or ()
        marker = page.get("NextMarker")
        # WAF may hand back a marker on the last page too, and an empty page with a marker need not be the
        # last (AWS says to page until no marker comes back): only no marker, or the marker it was sent, ends it.
        if not marker or marker == kwargs.get("NextMarker"):
            return
        kwargs["NextMarker"] = marker


def redacted_field(field: dict[str, Any]) -> str:
    """A FieldToMatch kept out of the logs → 'SingleHeader:authorization', 'QueryString', …"""
    kind, detail = next(iter(field.items()), ("unknown", {}))
    name = detail.get("Name") if isinstance(detail, dict) else None
    return f"{kind}:{name}" if name else str(kind)


def _logging(reads: ResourceReads, client: Any, arn: str) -> dict[str, Any]:
    answer = reads.get(
        client, "get_logging_configuration", LOGGING, absent=("WAFNonexistentItemException",), ResourceArn=arn
    )
    if answer is FAILED:
        return dict.fromkeys(LOGGING, FAILED)
    if answer is None:  # read, and no logging configured
        return dict.fromkeys(LOGGING)
    config = answer.get("LoggingConfiguration") or {}
    return {
        "log_destinations": [str(d) for d in config.get("LogDestinationConfigs") or ()],
        "log_redacted_fields": [redacted_field(f) for f in config.get("RedactedFields") or ()],
    }


def _tags(reads: ResourceReads, client: Any, arn: str) -> dict[str, str]:
    """Every page of ListTagsForResource (it pages with NextMarker; botocore has no paginator for it).
    Tags decide scope, so a failed page leaves all the tags unread (recorded), not a partial set."""
    kwargs: dict[str, Any] = {"ResourceARN": arn}
    found: list[Any] = []
    while True:
        page = reads.get(client, "list_tags_for_resource", ("tags",), **kwargs)
        if page is FAILED:
            return {}
        found.extend((page.get("TagInfoForResource") or {}).get("TagList") or ())
        marker = page.get("NextMarker")
        if not marker or marker == kwargs.get("NextMarker"):
            return tag_map(found)
        kwargs["NextMarker"] = marker


def _collect(ctx: CollectContext, scope: str) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "list_web_acls")
    for summary in _web_acls(ctx, client, scope):
        arn, name = str(summary["ARN"]), str(summary["Name"])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        attributes: dict[str, Any] = {"name": name, "id": str(summary["Id"]), "arn": arn, "scope": scope}
        attributes.update(_logging(reads, client, arn))
        tags = _tags(reads, client, arn)
        yield reads.resource(name, attributes, tags)


def collect_regional(ctx: CollectContext) -> Iterator[Resource]:
    return _collect(ctx, "REGIONAL")


def collect_cloudfront(ctx: CollectContext) -> Iterator[Resource]:
    # A global spec's context is us-east-1, the only region that serves CLOUDFRONT-scope ACLs.
    return _collect(ctx, "CLOUDFRONT")


SPEC = ServiceSpec(
    name="wafv2",
    client="wafv2",
    regional=True,
    types=(TYPE,),
    permissions=PERMISSIONS,
    collect=collect_regional,
)
CLOUDFRONT_SPEC = ServiceSpec(
    name="wafv2-cloudfront",
    client="wafv2",
    regional=False,
    types=(TYPE,),
    permissions=PERMISSIONS,
    collect=collect_cloudfront,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC, CLOUDFRONT_SPEC)
