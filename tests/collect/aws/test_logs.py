"""CloudWatch Logs collector against the moto server: retention and KMS key per log group, and
metric filters (their own spec, so a refused filter listing leaves the log groups read)."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.logs import SPEC, SPEC_METRIC_FILTERS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_log_groups(client: Any, run_service: Any) -> None:
    logs = client("logs", REGION)
    logs.create_log_group(logGroupName="/pci/audit", kmsKeyId=KEY)
    logs.put_retention_policy(logGroupName="/pci/audit", retentionInDays=400)
    logs.create_log_group(logGroupName="/app/debug")
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    audit = by_name["/pci/audit"]
    assert audit.uid == f"arn:aws:logs:{REGION}:123456789012:log-group:/pci/audit"
    assert audit.attributes == {
        "name": "/pci/audit",
        "arn": audit.uid,
        "retention_days": 400,
        "kms_key_id": KEY,
        "log_group_class": "STANDARD",
    }
    assert set(audit.attributes) == set(resource_types()["aws.logs.log_group"].attributes)
    assert violations(audit) == []  # kinds and nullability as declared
    debug = by_name["/app/debug"].attributes
    assert (debug["retention_days"], debug["kms_key_id"]) == (None, None)  # never expires, service key
    assert audit.source == ("logs:DescribeLogGroups",)
    assert set(calls) == set(SPEC.permissions)


def test_metric_filters(client: Any, run_service: Any) -> None:
    logs = client("logs", REGION)
    logs.create_log_group(logGroupName="cloudtrail")
    pattern = '{ $.userIdentity.type = "Root" }'
    logs.put_metric_filter(
        logGroupName="cloudtrail",
        filterName="root-usage",
        filterPattern=pattern,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    resources, errors, calls = run_service(SPEC_METRIC_FILTERS, REGION)
    assert errors == []
    [root] = resources
    group = f"arn:aws:logs:{REGION}:123456789012:log-group:cloudtrail"
    assert (root.type, root.uid, root.name) == (
        "aws.logs.metric_filter",
        f"{group}:metric-filter:root-usage",
        "root-usage",
    )
    assert root.attributes == {
        "name": "root-usage",
        "log_group_name": "cloudtrail",
        "log_group_arn": group,
        "filter_pattern": pattern,
        "metric_transformations": [{"namespace": "CIS", "name": "RootUsage"}],
    }
    assert set(root.attributes) == set(resource_types()["aws.logs.metric_filter"].attributes)
    assert violations(root) == []  # kinds and nullability as declared
    assert set(calls) == set(SPEC_METRIC_FILTERS.permissions)
