"""WAFv2 collector against the moto server: REGIONAL ACLs per region, CLOUDFRONT ACLs from the global
spec only, logging read (or null when not configured), NextMarker followed, and a refused logging
read leaving logging unknown rather than "off"."""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck.collect.aws.services import wafv2
from pcicheck.collect.aws.services.wafv2 import CLOUDFRONT_SPEC, LOGGING, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "acl"}


def _acl(client: Any, name: str, scope: str = "REGIONAL", **extra: Any) -> str:
    summary = client.create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY, **extra
    )["Summary"]
    return str(summary["ARN"])


def test_regional_web_acls(client: Any, run_service: Any) -> None:
    waf = client("wafv2", REGION)
    edge = _acl(waf, "edge", Tags=[{"Key": "pci-scope", "Value": "cde"}])
    _acl(waf, "quiet")
    destination = f"arn:aws:logs:{REGION}:123456789012:log-group:aws-waf-logs-edge"
    waf.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": edge,
            "LogDestinationConfigs": [destination],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"QueryString": {}}],
        }
    )
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    logged = by_name["edge"]
    assert (logged.uid, logged.tags, logged.region) == (edge, {"pci-scope": "cde"}, REGION)
    assert set(logged.attributes) == set(resource_types()["aws.wafv2.web_acl"].attributes)
    assert violations(logged) == []  # kinds and nullability as declared
    assert logged.attributes["scope"] == "REGIONAL"
    assert logged.attributes["log_destinations"] == [destination]
    assert logged.attributes["log_redacted_fields"] == ["SingleHeader:authorization", "QueryString"]
    quiet = by_name["quiet"].attributes
    assert (quiet["log_destinations"], quiet["log_redacted_fields"]) == (None, None)
    assert logged.source == tuple(sorted(SPEC.permissions))
    assert set(calls) == set(SPEC.permissions)


def test_cloudfront_web_acls_come_from_the_global_spec(client: Any, run_service: Any) -> None:
    cdn = _acl(client("wafv2"), "cdn", scope="CLOUDFRONT")
    [acl], errors, _ = run_service(CLOUDFRONT_SPEC, "us-east-1")
    assert errors == []
    assert (acl.uid, acl.attributes["scope"], acl.attributes["log_destinations"]) == (cdn, "CLOUDFRONT", None)
    # The regional listing in us-east-1 does not report it a second time.
    assert run_service(SPEC, "us-east-1")[0] == []


def test_web_acl_listing_follows_next_marker(client: Any, run_service: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    waf = client("wafv2", REGION)
    for name in ("a1", "a2", "a3"):
        _acl(waf, name)
    monkeypatch.setattr(wafv2, "PAGE_SIZE", 2)
    resources, errors, calls = run_service(SPEC, REGION)
    assert (sorted(r.name for r in resources), errors) == (["a1", "a2", "a3"], [])
    assert calls["wafv2:ListWebACLs"] == 2


def test_logging_read_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _acl(client("wafv2"), "edge")
    [acl], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.wafv2.GetLoggingConfiguration": deny("x")})
    assert not set(LOGGING) & set(acl.attributes)
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (acl.uid, LOGGING)


def test_redacted_field_names() -> None:
    assert wafv2.redacted_field({"Method": {}}) == "Method"
    assert wafv2.redacted_field({"SingleHeader": {"Name": "cookie"}}) == "SingleHeader:cookie"
