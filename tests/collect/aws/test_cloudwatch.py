"""CloudWatch alarms against the moto server, and the root-usage chain end to end: trail → log group →
metric filter → alarm → SNS topic with a subscriber, collected for real and judged by the control."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.analyze.monitoring import matches_root_usage
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.runner import AwsOptions, collect_aws
from pcicheck.collect.aws.services import cloudwatch
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import Status

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
CIS = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
CONTROL = "aws-cloudwatch-root-usage-alarm"


def _alarm(cw: Any, name: str, **kwargs: Any) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        **kwargs,
    )


def test_metric_alarms(client: Any, run_service: Any) -> None:
    cw = client("cloudwatch", REGION)
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:security"
    _alarm(cw, "root", Namespace="CIS", MetricName="RootUsage", Statistic="Sum", Period=300, AlarmActions=[topic])
    _alarm(
        cw,
        "ratio",
        ActionsEnabled=False,
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {"Metric": {"Namespace": "CIS", "MetricName": "RootUsage"}, "Period": 300, "Stat": "Sum"},
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
        ],
    )
    resources, errors, calls = run_service(cloudwatch.SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    root = by_name["root"]
    assert root.uid == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:root"
    assert set(root.attributes) == set(resource_types()["aws.cloudwatch.alarm"].attributes)
    assert violations(root) == []  # kinds and nullability as declared
    assert (root.attributes["namespace"], root.attributes["metric_name"]) == ("CIS", "RootUsage")
    assert (root.attributes["alarm_actions"], root.attributes["actions_enabled"]) == ([topic], True)
    ratio = by_name["ratio"].attributes
    assert (ratio["namespace"], ratio["metric_name"], ratio["actions_enabled"]) == (None, None, False)
    assert ratio["metrics"] == [{"namespace": "CIS", "name": "RootUsage"}]
    # CloudWatch signs its requests as "monitoring"; the IAM action is cloudwatch:*.
    assert root.source == ("cloudwatch:DescribeAlarms",)
    assert set(calls) == set(cloudwatch.SPEC.permissions)


def test_root_usage_pattern_normalization() -> None:
    assert matches_root_usage(CIS)
    assert matches_root_usage('{($.userIdentity.type="Root")&&($.userIdentity.invokedBy NOT EXISTS)}')
    assert matches_root_usage("{ $.userIdentity.type = Root }")
    assert not matches_root_usage('{ $.userIdentity.type = "Root" && $.sourceIPAddress = "10.0.0.1" }')
    assert not matches_root_usage('{ $.userIdentity.type = "Root" || $.eventName = "x" }')
    assert not matches_root_usage('{ $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }')
    assert not matches_root_usage('{ $.userIdentity.type = "IAMUser" }')
    assert not matches_root_usage("")


def _seed_chain(client: Any) -> str:
    """The whole chain in one region; returns the topic ARN."""
    client("s3", REGION).create_bucket(Bucket="trail-logs")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:cloudtrail"
    ct = client("cloudtrail", REGION)
    ct.create_trail(
        Name="main",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"{group}:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/trail-to-logs",
    )
    ct.start_logging(Name="main")
    lg = client("logs", REGION)
    lg.create_log_group(logGroupName="cloudtrail")
    lg.put_metric_filter(
        logGroupName="cloudtrail",
        filterName="root-usage",
        filterPattern=CIS,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    topic = client("sns", REGION).create_topic(Name="security")["TopicArn"]
    client("sns", REGION).subscribe(TopicArn=topic, Protocol="email", Endpoint="soc@example.com")
    _alarm(
        client("cloudwatch", REGION),
        "root-usage",
        Namespace="CIS",
        MetricName="RootUsage",
        Statistic="Sum",
        Period=300,
        AlarmActions=[topic],
    )
    return topic


def _judge(hooks: dict[str, Any] | None = None) -> tuple[Any, list[Any]]:
    """Collect the chain's services and the account through the real runner (botocore hooks on its
    session), analyze, and evaluate the control on the account."""
    import boto3

    session = boto3.Session()
    for event, handler in (hooks or {}).items():
        session.events.register(event, handler)
    services = ("account", "cloudtrail", "logs", "logs.metric_filters", "cloudwatch", "sns")
    snapshot = collect_aws(AwsOptions(regions=(REGION,), services=services), session=session)
    [control] = [c for c in load_catalog().controls if c.id == CONTROL]
    estate = analyze(snapshot.resources, ScopeConfig())
    results = Evaluator([control]).evaluate(estate, snapshot.errors, now=datetime.now(UTC))
    [result] = [r for r in results if r.resource["type"] == "aws.account"]
    return result, list(snapshot.resources)


def test_root_usage_chain_passes(client: Any, aws: Any) -> None:
    _seed_chain(client)
    result, resources = _judge()
    assert result.status == Status.PASS, result.message
    assert result.evidence == {"facts.root_usage_alarms": ["main → cloudtrail → root-usage → root-usage → security"]}
    [topic] = [r for r in resources if r.type == "aws.sns.topic"]
    assert (topic.attributes["confirmed_subscriptions"], topic.attributes["subscription_protocols"]) == (
        1,
        {"email": 1},
    )


def test_pending_subscription_does_not_count(client: Any, aws: Any) -> None:
    _seed_chain(client)

    def pending(parsed: dict[str, Any], **_: Any) -> None:
        for sub in parsed.get("Subscriptions") or ():
            sub["SubscriptionArn"] = "PendingConfirmation"

    result, _ = _judge({"after-call.sns.ListSubscriptionsByTopic": pending})
    assert result.status == Status.FAIL


def test_unreadable_subscriptions_make_it_an_error(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny

    _seed_chain(client)
    result, _ = _judge({"before-parameter-build.sns.ListSubscriptionsByTopic": deny("ListSubscriptionsByTopic")})
    assert result.status == Status.ERROR
    assert "root_usage_alarms" in result.message


def test_refused_metric_filter_listing_makes_it_an_error(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny

    _seed_chain(client)
    result, resources = _judge({"before-parameter-build.logs.DescribeMetricFilters": deny("DescribeMetricFilters")})
    assert result.status == Status.ERROR
    assert result.message == "could not be read: logs.metric_filters:DescribeMetricFilters AccessDenied: not authorized"
    # The log groups, in their own spec, are still read.
    assert any(r.type == "aws.logs.log_group" for r in resources)
