"""CloudWatch metric alarms (aws.cloudwatch.alarm): which metric each watches and whom it notifies.

DescribeAlarms (MetricAlarms only; composite alarms watch other alarms, not a metric) carries
everything, so an alarm is never half-read. An alarm on a metric-math expression watches no
single metric: its namespace and metric name are null and `metrics` lists what the math reads.
Tags are not read: alarms are judged as links in account-wide monitoring, not by CDE or tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.cloudwatch.alarm",
    "CloudWatch metric alarm; uid = its ARN (tags are not read)",
    name="string: alarm name",
    arn="string: alarm ARN",
    namespace="string?: metric namespace; null for a metric-math alarm",
    metric_name="string?: metric name; null for a metric-math alarm",
    metrics="list: {namespace, name} a metric-math alarm reads (empty otherwise)",
    alarm_actions="list: ARNs notified or run on ALARM (SNS topics, scaling policies, ...)",
    actions_enabled="bool: actions run when the state changes",
    state="string?: 'OK'|'ALARM'|'INSUFFICIENT_DATA'",
)


def _math_metrics(alarm: dict[str, Any]) -> list[dict[str, str]]:
    """The metrics a metric-math alarm reads (empty for an alarm on one metric)."""
    out = []
    for query in alarm.get("Metrics") or ():
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric:
            out.append({"namespace": str(metric.get("Namespace", "")), "name": str(metric.get("MetricName", ""))})
    return out


def collect(ctx: CollectContext) -> Iterator[Resource]:
    cw = ctx.client()
    listing = ctx.action(cw, "describe_alarms")
    for alarm in ctx.pages(cw, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]):
        arn, name = str(alarm["AlarmArn"]), str(alarm["AlarmName"])
        yield ctx.resource(
            type=TYPE.name,
            uid=arn,
            name=name,
            attributes={
                "name": name,
                "arn": arn,
                "namespace": alarm.get("Namespace"),
                "metric_name": alarm.get("MetricName"),
                "metrics": _math_metrics(alarm),
                # ARNs of SNS topics, Auto Scaling policies, SSM or EC2 actions: names, not secrets.
                "alarm_actions": [str(a) for a in alarm.get("AlarmActions") or ()],
                "actions_enabled": bool(alarm.get("ActionsEnabled", False)),
                "state": alarm.get("StateValue"),
            },
            source={listing},
        )


SPEC = ServiceSpec(
    name="cloudwatch",
    client="cloudwatch",
    regional=True,
    types=(TYPE,),
    permissions=("cloudwatch:DescribeAlarms",),
    collect=collect,
)
