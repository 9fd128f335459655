"""CloudTrail collector against the moto server, including a denied GetTrailStatus."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.cloudtrail import SPEC, SPECS, UnrecognizedEventSelector, s3_data_events
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
HOME = "us-east-1"
KEY = f"arn:aws:kms:{HOME}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_GROUP = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:cloudtrail:*"


def _trail_arn(name: str, region: str = HOME) -> str:
    return f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{name}"


def _seed(client: Any) -> None:
    s3 = client("s3", HOME)
    s3.create_bucket(Bucket="org-trail-logs")
    ct = client("cloudtrail", HOME)
    ct.create_trail(
        Name="org-trail",
        S3BucketName="org-trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        IncludeGlobalServiceEvents=True,
        KmsKeyId=KEY,
        CloudWatchLogsLogGroupArn=LOG_GROUP,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-logs",
        TagsList=[{"Key": "Name", "Value": "audit-trail"}, {"Key": "pci", "Value": "cde"}],
    )
    ct.start_logging(Name="org-trail")
    ct.create_trail(Name="scratch", S3BucketName="org-trail-logs", IncludeGlobalServiceEvents=False)


def _by_name(resources: list[Any]) -> dict[str, Any]:
    return {r.uid.rsplit("/", 1)[1]: r for r in resources}


def test_trails_in_home_region(client: Any, run_service: Any) -> None:
    _seed(client)
    resources, errors, calls = run_service(SPEC, HOME)
    assert errors == []
    trails = _by_name(resources)
    assert sorted(trails) == ["org-trail", "scratch"]

    org = trails["org-trail"]
    assert org.uid == _trail_arn("org-trail")
    assert org.type == "aws.cloudtrail.trail"
    assert org.name == "audit-trail"
    assert org.tags == {"Name": "audit-trail", "pci": "cde"}
    assert org.source == (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:ListTags",
    )
    assert org.attributes == {
        "trail_arn": _trail_arn("org-trail"),
        "home_region": HOME,
        "is_multi_region": True,
        "is_organization_trail": False,
        "log_file_validation": True,
        "kms_key_id": KEY,
        "is_logging": True,
        "s3_bucket": "org-trail-logs",
        "cloudwatch_logs_log_group_arn": LOG_GROUP,
        "include_global_service_events": True,
        "s3_data_events": None,
    }
    assert trails["scratch"].name == "scratch"
    assert trails["scratch"].attributes == {
        "trail_arn": _trail_arn("scratch"),
        "home_region": HOME,
        "is_multi_region": False,
        "is_organization_trail": False,
        "log_file_validation": False,
        "kms_key_id": None,
        "is_logging": False,
        "s3_bucket": "org-trail-logs",
        "cloudwatch_logs_log_group_arn": None,
        "include_global_service_events": False,
        "s3_data_events": None,
    }
    assert set(org.attributes) == set(resource_types()["aws.cloudtrail.trail"].attributes)
    assert violations(org) == []  # kinds and nullability as declared
    assert set(calls) <= set(SPEC.permissions)
    assert calls == {
        "cloudtrail:DescribeTrails": 1,
        "cloudtrail:GetEventSelectors": 2,
        "cloudtrail:GetTrailStatus": 2,
        "cloudtrail:ListTags": 2,
    }
    assert SPECS == (SPEC,)


def test_multi_region_trail_is_not_repeated_in_other_regions(client: Any, run_service: Any) -> None:
    _seed(client)
    resources, errors, _ = run_service(SPEC, "eu-west-1")
    assert (resources, errors) == ([], [])


def _run_denying(aws: Any, event: str) -> tuple[list[Any], list[Any]]:
    """The collector with a client whose `event` call is denied, as IAM would deny it."""

    def denied(**_: Any) -> Any:
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": "AccessDeniedException", "Message": "User is not authorized"},
            "ResponseMetadata": {},
        }

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register(event, denied)
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=HOME, partition="aws", make_client=make_client)
    return list(SPEC.collect(ctx)), ctx.errors


def _raising(exc: Exception) -> Callable[..., Any]:
    def handler(**_: Any) -> Any:
        raise exc

    return handler


def test_trail_status_denied_fails_closed(client: Any, aws: Any) -> None:
    _seed(client)
    resources, errors = _run_denying(aws, "before-call.cloudtrail.GetTrailStatus")
    org = _by_name(resources)["org-trail"]
    assert "is_logging" not in org.attributes  # absent, so no control can pass on it
    assert org.attributes["log_file_validation"] is True  # the rest is still evidence
    assert org.source == ("cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:ListTags")
    assert sorted((e.resource_uid, e.attributes, e.operation, e.code) for e in errors) == [
        (_trail_arn("org-trail"), ("is_logging",), "GetTrailStatus", "AccessDeniedException"),
        (_trail_arn("scratch"), ("is_logging",), "GetTrailStatus", "AccessDeniedException"),
    ]
    error = errors[0]
    assert (error.provider, error.account, error.region, error.service) == (
        "aws",
        ACCOUNT,
        HOME,
        "cloudtrail",
    )
    assert error.resource_types == ("aws.cloudtrail.trail",)
    assert error.message == "User is not authorized"


def test_trail_status_raising_in_hook_fails_closed(client: Any, aws: Any) -> None:
    """Same, with the exception raised from the hook itself (any exception class is handled)."""
    from botocore.exceptions import ClientError

    _seed(client)
    exc = ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "GetTrailStatus")

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(name, region_name=region, endpoint_url=aws.endpoint)
        c.meta.events.register("before-call.cloudtrail.GetTrailStatus", _raising(exc))
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=HOME, partition="aws", make_client=make_client)
    resources = list(SPEC.collect(ctx))
    assert all("is_logging" not in r.attributes for r in resources)
    assert {(e.resource_uid, e.code) for e in ctx.errors} == {
        (_trail_arn("org-trail"), "AccessDenied"),
        (_trail_arn("scratch"), "AccessDenied"),
    }


def test_trail_tags_denied_is_recorded(client: Any, aws: Any) -> None:
    _seed(client)
    resources, errors = _run_denying(aws, "before-call.cloudtrail.ListTags")
    org = _by_name(resources)["org-trail"]
    assert org.tags == {}
    assert org.name == "org-trail"
    assert org.attributes["is_logging"] is True
    assert {(e.resource_uid, e.attributes) for e in errors} == {
        (_trail_arn("org-trail"), ("tags",)),
        (_trail_arn("scratch"), ("tags",)),
    }


EVERY = "arn:aws:s3:::"


def _entry(prefix: str, *excluding: str) -> dict[str, Any]:
    return {"prefix": prefix, "excluding": list(excluding)}


def _field(name: str, op: str = "Equals", *values: str) -> dict[str, Any]:
    return {"Field": name, op: list(values)}


def _s3_selector(*extra: dict[str, Any], name: str = "s3") -> dict[str, Any]:
    return {
        "Name": name,
        "FieldSelectors": [
            _field("eventCategory", "Equals", "Data"),
            _field("resources.type", "Equals", "AWS::S3::Object"),
            *extra,
        ],
    }


def test_event_selectors_classic_and_advanced(client: Any, run_service: Any) -> None:
    _seed(client)
    ct = client("cloudtrail", HOME)
    ct.put_event_selectors(
        TrailName="org-trail",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    ct.put_event_selectors(
        TrailName="scratch",
        AdvancedEventSelectors=[
            {"Name": "management", "FieldSelectors": [_field("eventCategory", "Equals", "Management")]},
            _s3_selector(
                _field("readOnly", "Equals", "true"), _field("resources.ARN", "StartsWith", "arn:aws:s3:::cards/")
            ),
            _s3_selector(
                _field("readOnly", "Equals", "false"),
                _field("resources.ARN", "NotStartsWith", "arn:aws:s3:::org-trail-logs/"),
            ),
        ],
    )
    resources, errors, calls = run_service(SPEC, HOME)
    assert errors == []
    trails = _by_name(resources)
    assert trails["org-trail"].attributes["s3_data_events"] == {
        "all_buckets": True,
        "reads": [_entry(EVERY)],
        "writes": [_entry(EVERY)],
        "partial_selectors": 0,
    }
    assert trails["scratch"].attributes["s3_data_events"] == {
        "all_buckets": False,
        "reads": [_entry("arn:aws:s3:::cards/")],
        "writes": [_entry(EVERY, "arn:aws:s3:::org-trail-logs/")],
        "partial_selectors": 0,
    }
    assert calls["cloudtrail:GetEventSelectors"] == 2


def test_event_selectors_denied_fails_closed(client: Any, aws: Any) -> None:
    _seed(client)
    resources, errors = _run_denying(aws, "before-call.cloudtrail.GetEventSelectors")
    org = _by_name(resources)["org-trail"]
    assert "s3_data_events" not in org.attributes
    assert org.attributes["is_logging"] is True
    assert "cloudtrail:GetEventSelectors" not in org.source
    assert {(e.resource_uid, e.attributes, e.operation) for e in errors} == {
        (_trail_arn("org-trail"), ("s3_data_events",), "GetEventSelectors"),
        (_trail_arn("scratch"), ("s3_data_events",), "GetEventSelectors"),
    }


def test_unjudgeable_selector_is_recorded_not_guessed(client: Any, aws: Any) -> None:
    _seed(client)

    def odd(parsed: dict[str, Any], **_: Any) -> None:
        parsed["AdvancedEventSelectors"] = [_s3_selector(_field("readOnly", "StartsWith", "t"), name="odd")]

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(name, region_name=region, endpoint_url=aws.endpoint)
        c.meta.events.register("after-call.cloudtrail.GetEventSelectors", odd)
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=HOME, partition="aws", make_client=make_client)
    resources = list(SPEC.collect(ctx))
    assert all("s3_data_events" not in r.attributes for r in resources)
    assert {(e.resource_uid, e.code, e.attributes) for e in ctx.errors} == {
        (_trail_arn("org-trail"), "UnrecognizedEventSelector", ("s3_data_events",)),
        (_trail_arn("scratch"), "UnrecognizedEventSelector", ("s3_data_events",)),
    }
    assert "readOnly" in ctx.errors[0].message


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        # Classic: ReadWriteType left out means All; values are prefixes; other types are ignored.
        (
            {"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::"]}]}]},
            {"all_buckets": True, "reads": [_entry(EVERY)], "writes": [_entry(EVERY)], "partial_selectors": 0},
        ),
        (
            {
                "EventSelectors": [
                    {
                        "ReadWriteType": "WriteOnly",
                        "DataResources": [
                            {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]},
                            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3", "arn:aws:s3:::cards/"]},
                        ],
                    }
                ]
            },
            {
                "all_buckets": False,
                "reads": [],
                "writes": [_entry(EVERY), _entry("arn:aws:s3:::cards/")],
                "partial_selectors": 0,
            },
        ),
        ({"EventSelectors": [{"ReadWriteType": "All", "DataResources": []}]}, None),
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, None),
        # Advanced: no resources.ARN and no readOnly is every object, reads and writes.
        (
            {"AdvancedEventSelectors": [_s3_selector()]},
            {"all_buckets": True, "reads": [_entry(EVERY)], "writes": [_entry(EVERY)], "partial_selectors": 0},
        ),
        # Another data type, or management events only: nothing about S3 objects.
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            _field("eventCategory", "Equals", "Data"),
                            _field("resources.type", "Equals", "AWS::DynamoDB::Table"),
                        ]
                    }
                ]
            },
            None,
        ),
        # Narrowed by event name, identity or suffix: recorded as partial, no coverage credited.
        (
            {"AdvancedEventSelectors": [_s3_selector(_field("eventName", "Equals", "GetObject"))]},
            {"all_buckets": False, "reads": [], "writes": [], "partial_selectors": 1},
        ),
        (
            {"AdvancedEventSelectors": [_s3_selector(_field("userIdentity.arn", "NotStartsWith", "arn:aws:sts::1"))]},
            {"all_buckets": False, "reads": [], "writes": [], "partial_selectors": 1},
        ),
        (
            {"AdvancedEventSelectors": [_s3_selector(_field("resources.ARN", "NotEndsWith", ".tmp"))]},
            {"all_buckets": False, "reads": [], "writes": [], "partial_selectors": 1},
        ),
        # Exact keys only count as partial; StartsWith next to them is still a whole prefix.
        (
            {
                "AdvancedEventSelectors": [
                    _s3_selector(
                        {
                            "Field": "resources.ARN",
                            "Equals": ["arn:aws:s3:::a/key"],
                            "StartsWith": ["arn:aws:s3:::b/"],
                            "NotEquals": ["arn:aws:s3:::b/skip"],
                        }
                    )
                ]
            },
            {
                "all_buckets": False,
                "reads": [_entry("arn:aws:s3:::b/", "arn:aws:s3:::b/skip")],
                "writes": [_entry("arn:aws:s3:::b/", "arn:aws:s3:::b/skip")],
                "partial_selectors": 1,
            },
        ),
        # A reads-only and a writes-only selector together cover everything.
        (
            {
                "AdvancedEventSelectors": [
                    _s3_selector(_field("readOnly", "Equals", "true"), name="reads"),
                    _s3_selector(_field("readOnly", "Equals", "false"), name="writes"),
                ]
            },
            {"all_buckets": True, "reads": [_entry(EVERY)], "writes": [_entry(EVERY)], "partial_selectors": 0},
        ),
    ],
)
def test_s3_data_events_judgement(selectors: dict[str, Any], expected: Any) -> None:
    assert s3_data_events(selectors, "aws") == expected


@pytest.mark.parametrize(
    "selector",
    [
        {"FieldSelectors": [_field("resources.type", "Equals", "AWS::S3::Object")]},  # no eventCategory
        {"FieldSelectors": [_field("eventCategory", "StartsWith", "Da")]},
        {"FieldSelectors": [_field("eventCategory", "Equals", "Data")]},  # data events of no type
        _s3_selector(_field("readOnly", "Equals", "maybe")),
        _s3_selector(_field("resources.type", "Equals", "AWS::S3::Object")),  # a field twice
    ],
)
def test_unjudgeable_advanced_selectors(selector: dict[str, Any]) -> None:
    with pytest.raises(UnrecognizedEventSelector):
        s3_data_events({"AdvancedEventSelectors": [selector]}, "aws")


def test_unknown_read_write_type_is_unjudgeable() -> None:
    with pytest.raises(UnrecognizedEventSelector):
        s3_data_events({"EventSelectors": [{"ReadWriteType": "Some", "DataResources": []}]}, "aws")
