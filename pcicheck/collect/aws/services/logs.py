"""CloudWatch Logs log groups (aws.logs.log_group): retention and KMS encryption; and metric filters
(aws.logs.metric_filter): which log events become which CloudWatch metric.

DescribeLogGroups alone carries both, so a log group is never half-read. Tags are not read:
log groups are judged account-wide, not by CDE or tenant tag. Metric filters have their own spec, so
a refused DescribeMetricFilters leaves the log groups judged and only the filters unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.logs.log_group",
    "CloudWatch Logs log group; uid = its ARN (tags are not read)",
    name="string: log group name",
    arn="string: log group ARN",
    retention_days="int?: null when events never expire",
    kms_key_id="string?: KMS key ARN; null: encrypted with a service-owned key",
    log_group_class="string: 'STANDARD'|'INFREQUENT_ACCESS'|'DELIVERY'|'ESSENTIALS'",
)
METRIC_FILTER = resource_type(
    "aws.logs.metric_filter",
    "CloudWatch Logs metric filter; uid = <log group ARN>:metric-filter:<name> (filters have no ARN)",
    name="string: filter name",
    log_group_name="string: the log group it reads",
    log_group_arn="string: that log group's ARN (without the ':*' suffix)",
    filter_pattern="string: the filter pattern, as written",
    metric_transformations="list: {namespace, name}: the metrics it publishes",
)


def collect(ctx: CollectContext) -> Iterator[Resource]:
    logs = ctx.client()
    listing = ctx.action(logs, "describe_log_groups")
    for group in ctx.pages(logs, "describe_log_groups", "logGroups"):
        name = str(group["logGroupName"])
        # `arn` ends in ':*' (the streams); logGroupArn, newer, is the group itself.
        arn = str(group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*"))
        retention = group.get("retentionInDays")
        yield ctx.resource(
            type=TYPE.name,
            uid=arn,
            name=name,
            attributes={
                "name": name,
                "arn": arn,
                # AWS leaves the field out when events never expire.
                "retention_days": int(retention) if retention is not None else None,
                "kms_key_id": group.get("kmsKeyId"),
                "log_group_class": group.get("logGroupClass", "STANDARD"),
            },
            source={listing},
        )


SPEC = ServiceSpec(
    name="logs",
    client="logs",
    regional=True,
    types=(TYPE,),
    permissions=("logs:DescribeLogGroups",),
    collect=collect,
)


def _transformation(item: dict[str, Any]) -> dict[str, str]:
    return {"namespace": str(item.get("metricNamespace", "")), "name": str(item.get("metricName", ""))}


def collect_metric_filters(ctx: CollectContext) -> Iterator[Resource]:
    logs = ctx.client()
    listing = ctx.action(logs, "describe_metric_filters")
    for item in ctx.pages(logs, "describe_metric_filters", "metricFilters"):
        group, name = str(item["logGroupName"]), str(item["filterName"])
        group_arn = f"arn:{ctx.partition}:logs:{ctx.region}:{ctx.account}:log-group:{group}"
        # A filter has no ARN of its own; its name is unique within its log group.
        yield ctx.resource(
            type=METRIC_FILTER.name,
            uid=f"{group_arn}:metric-filter:{name}",
            name=name,
            attributes={
                "name": name,
                "log_group_name": group,
                "log_group_arn": group_arn,
                "filter_pattern": str(item.get("filterPattern", "")),
                "metric_transformations": [_transformation(t) for t in item.get("metricTransformations") or ()],
            },
            source={listing},
        )


SPEC_METRIC_FILTERS = ServiceSpec(
    name="logs.metric_filters",
    client="logs",
    regional=True,
    types=(METRIC_FILTER,),
    permissions=("logs:DescribeMetricFilters",),
    collect=collect_metric_filters,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC, SPEC_METRIC_FILTERS)
