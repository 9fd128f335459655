"""CloudTrail trails, each collected once, in its home region.

Shadow trails are included so that, in a member account, the organization trail (which
exists there only as a shadow) is seen; keeping only trails whose HomeRegion is the region
asked means a multi-region trail is still collected once, not in every region it covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

TRAIL = resource_type(
    "aws.cloudtrail.trail",
    "CloudTrail trail (collected in its home region)",
    trail_arn="string: ARN",
    home_region="string",
    is_multi_region="bool",
    is_organization_trail="bool",
    log_file_validation="bool",
    kms_key_id="string?: ARN",
    is_logging="bool: GetTrailStatus",
    s3_bucket="string",
    cloudwatch_logs_log_group_arn="string?: ARN",
    include_global_service_events="bool",
    s3_data_events="map?: {all_buckets (bool: reads and writes of every object in every bucket, nothing "
    "excluded), reads and writes (lists of {prefix (object-ARN prefix; 'arn:aws:s3:::' is every bucket), excluding "
    "(object-ARN prefixes left out)}), partial_selectors (int: selectors that record S3 object events only for "
    "some event names, identities or exact keys; they add no prefix)}; null when the trail records no S3 "
    "object-level data events; absent when the selectors could not be read or judged",
)
S3_OBJECT = "AWS::S3::Object"
_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: missing means unknown, so the attribute stays absent."""
    return data.get(key, FAILED)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    ct = ctx.client()
    # DescribeTrails has no paginator: it returns every trail in one response.
    trails = list(ctx.pages(ct, "describe_trails", "trailList", includeShadowTrails=True))
    for trail in trails:
        home = trail.get("HomeRegion", ctx.region)
        if home != ctx.region:
            continue  # the collector of its home region owns it
        arn = trail["TrailARN"]
        source = [ctx.action(ct, "describe_trails")]
        status = ctx.get(
            ct, "get_trail_status", uid=arn, resource_type=TRAIL.name, attributes=("is_logging",), Name=arn
        )
        is_logging: Any = FAILED
        if status is not FAILED:
            is_logging = _opt(status, "IsLogging")
            source.append(ctx.action(ct, "get_trail_status"))
        s3_events = _s3_data_events(ctx, ct, arn, source)
        # ListTags' NextToken is "reserved for future use"; followed all the same, so a future second page
        # of tags (which decide scope) is not lost.
        tags: dict[str, str] = {}
        entries: list[Any] = []
        kwargs: dict[str, Any] = {"ResourceIdList": [arn]}
        while True:
            tag_resp = ctx.get(ct, "list_tags", uid=arn, resource_type=TRAIL.name, attributes=("tags",), **kwargs)
            if tag_resp is FAILED:
                entries = []
                break
            entries.extend(tag_resp.get("ResourceTagList") or ())
            token = tag_resp.get("NextToken")
            if not token or token == kwargs.get("NextToken"):
                source.append(ctx.action(ct, "list_tags"))
                break
            kwargs["NextToken"] = token
        for entry in entries:
            if entry.get("ResourceId") == arn:
                tags.update(tag_map(entry.get("TagsList")))
        yield ctx.resource(
            type=TRAIL.name,
            uid=arn,
            name=name_from_tags(tags, trail.get("Name", arn)),
            tags=tags,
            attributes={
                "trail_arn": arn,
                "home_region": home,
                "is_multi_region": _opt(trail, "IsMultiRegionTrail"),
                "is_organization_trail": _opt(trail, "IsOrganizationTrail"),
                "log_file_validation": _opt(trail, "LogFileValidationEnabled"),
                "kms_key_id": trail.get("KmsKeyId"),
                "is_logging": is_logging,
                "s3_bucket": trail.get("S3BucketName", ""),
                "cloudwatch_logs_log_group_arn": trail.get("CloudWatchLogsLogGroupArn"),
                "include_global_service_events": _opt(trail, "IncludeGlobalServiceEvents"),
                "s3_data_events": s3_events,
            },
            source=source,
        )


class UnrecognizedEventSelector(Exception):
    """An event selector whose effect on S3 object events pcicheck cannot tell: the coverage is
    then unknown, never assumed."""


def _s3_data_events(ctx: CollectContext, ct: Any, arn: str, source: list[str]) -> Any:
    response = ctx.get(
        ct, "get_event_selectors", uid=arn, resource_type=TRAIL.name, attributes=("s3_data_events",), TrailName=arn
    )
    if response is FAILED:
        return FAILED
    source.append(ctx.action(ct, "get_event_selectors"))
    try:
        return s3_data_events(response, ctx.partition)
    except UnrecognizedEventSelector as exc:
        ctx.record_error(
            ct, "get_event_selectors", exc, resource_type=TRAIL.name, uid=arn, attributes=("s3_data_events",)
        )
        return FAILED


@dataclass
class _Coverage:
    """What a trail's selectors record of S3 object events, selector by selector (they are ORed)."""

    everything: str  # "arn:<partition>:s3:::", the prefix of every object ARN
    reads: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    partial: int = 0
    seen: bool = False

    def add(self, prefixes: Iterable[str], excluding: Iterable[str], read: bool, write: bool) -> None:
        excluded = sorted({self.canonical(x) for x in excluding})
        for p in prefixes:
            entry = {"prefix": self.canonical(p), "excluding": excluded}
            for wanted, entries in ((read, self.reads), (write, self.writes)):
                if wanted and entry not in entries:
                    entries.append(entry)

    def canonical(self, prefix: str) -> str:
        # "arn:aws:s3" (the documented all-buckets value) and anything shorter match every object.
        return self.everything if self.everything.startswith(prefix) else prefix

    def covers_all(self, entries: list[dict[str, Any]]) -> bool:
        return any(e["prefix"] == self.everything and not e["excluding"] for e in entries)


def s3_data_events(response: dict[str, Any], partition: str) -> dict[str, Any] | None:
    """GetEventSelectors → which S3 object events the trail records; None when it records none.

    Classic selectors: each AWS::S3::Object data resource value is an object-ARN prefix, recorded
    for the selector's ReadWriteType (All when left out). Advanced selectors: field selectors are
    ANDed, values within one operator ORed. A selector counts for the prefixes of its
    resources.ARN StartsWith (every object when resources.ARN is not given), minus its NotStartsWith
    and NotEquals values (kept as exclusions); readOnly picks reads, writes or both. A selector that
    also filters on anything else (event name, identity, error code, …), or matches ARNs by Equals,
    EndsWith or NotEndsWith, records only part of the events: it is counted as partial and adds no
    coverage. A selector that cannot be read this way raises UnrecognizedEventSelector."""
    cov = _Coverage(everything=f"arn:{partition}:s3:::")
    for selector in response.get("EventSelectors") or ():
        _classic(selector, cov)
    for selector in response.get("AdvancedEventSelectors") or ():
        _advanced(selector, cov)
    if not cov.seen:
        return None
    key = lambda e: (e["prefix"], e["excluding"])  # noqa: E731
    return {
        "all_buckets": cov.covers_all(cov.reads) and cov.covers_all(cov.writes),
        "reads": sorted(cov.reads, key=key),
        "writes": sorted(cov.writes, key=key),
        "partial_selectors": cov.partial,
    }


def _classic(selector: dict[str, Any], cov: _Coverage) -> None:
    kind = selector.get("ReadWriteType") or "All"
    if kind not in ("All", "ReadOnly", "WriteOnly"):
        raise UnrecognizedEventSelector(f"event selector with ReadWriteType {kind!r}")
    for resource in selector.get("DataResources") or ():
        if resource.get("Type") != S3_OBJECT:
            continue
        cov.seen = True
        values = [str(v) for v in resource.get("Values") or ()]
        cov.add(values, (), read=kind != "WriteOnly", write=kind != "ReadOnly")


def _fields(selector: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    name = selector.get("Name") or "unnamed"
    fields: dict[str, dict[str, list[str]]] = {}
    for fs in selector.get("FieldSelectors") or ():
        field_name = str(fs.get("Field") or "")
        if not field_name or field_name in fields:
            raise UnrecognizedEventSelector(f"advanced event selector {name!r} names a field twice or not at all")
        fields[field_name] = {op: [str(v) for v in fs[op]] for op in _OPERATORS if fs.get(op)}
    return fields


def _equals_only(fields: dict[str, dict[str, list[str]]], name: str, selector: str) -> list[str] | None:
    """The Equals values of a field AWS allows only with Equals; None when the field is not given."""
    if name not in fields:
        return None
    ops = fields.pop(name)
    if set(ops) != {"Equals"}:
        raise UnrecognizedEventSelector(f"advanced event selector {selector!r}: {name} with {sorted(ops)}")
    return ops["Equals"]


def _advanced(selector: dict[str, Any], cov: _Coverage) -> None:
    name = selector.get("Name") or "unnamed"
    fields = _fields(selector)
    category = _equals_only(fields, "eventCategory", name)
    if category is None:
        raise UnrecognizedEventSelector(f"advanced event selector {name!r} has no eventCategory")
    if "Data" not in category:
        return  # management or other events: no S3 object events
    types = _equals_only(fields, "resources.type", name)
    if types is None:
        raise UnrecognizedEventSelector(f"advanced event selector {name!r} selects data events of no type")
    if S3_OBJECT not in types:
        return
    cov.seen = True
    read_only = _equals_only(fields, "readOnly", name)
    if read_only is not None and not set(read_only) <= {"true", "false"}:
        raise UnrecognizedEventSelector(f"advanced event selector {name!r}: readOnly {read_only}")
    read = read_only is None or "true" in read_only
    write = read_only is None or "false" in read_only
    arn = fields.pop("resources.ARN", {})
    if fields or "NotEndsWith" in arn:
        cov.partial += 1  # narrowed by event, identity or suffix: some object events go unrecorded
        return
    if "Equals" in arn or "EndsWith" in arn:
        cov.partial += 1  # exact keys and suffixes: recorded, but not credited as whole prefixes
    positive = set(arn) & {"Equals", "StartsWith", "EndsWith"}
    prefixes = arn.get("StartsWith", []) if positive else [cov.everything]
    cov.add(prefixes, arn.get("NotStartsWith", []) + arn.get("NotEquals", []), read=read, write=write)


SPEC = ServiceSpec(
    name="cloudtrail",
    client="cloudtrail",
    regional=True,
    types=(TRAIL,),
    permissions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:ListTags",
    ),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
