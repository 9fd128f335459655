"""CloudFront collector against the moto server: behaviours, origins, viewer certificate, logging and
tags of a distribution, and a refused configuration read leaving logging unknown rather than off."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.cloudfront import LOGGING, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

_FORWARD = {"QueryString": False, "Cookies": {"Forward": "none"}}
_SIGNERS = {"Enabled": False, "Quantity": 0}


def _config(reference: str, *, logging: bool, certificate: str | None) -> dict[str, Any]:
    viewer: dict[str, Any] = {"CloudFrontDefaultCertificate": True}
    if certificate:
        viewer = {
            "ACMCertificateArn": certificate,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    return {
        "CallerReference": reference,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 2,
            "Items": [
                {
                    "Id": "api",
                    "DomainName": "api.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "match-viewer",
                        "OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1", "TLSv1.2"]},
                    },
                },
                {
                    "Id": "static",
                    "DomainName": "static.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                },
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "api",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": _FORWARD,
            "TrustedSigners": _SIGNERS,
        },
        "CacheBehaviors": {
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/img/*",
                    "TargetOriginId": "static",
                    "ViewerProtocolPolicy": "allow-all",
                    "MinTTL": 0,
                    "ForwardedValues": _FORWARD,
                    "TrustedSigners": _SIGNERS,
                }
            ],
        },
        "ViewerCertificate": viewer,
        "Logging": {
            "Enabled": logging,
            "IncludeCookies": False,
            "Bucket": "logs.s3.amazonaws.com" if logging else "",
            "Prefix": "",
        },
    }


def _create(cf: Any, reference: str, **kwargs: Any) -> str:
    tags = {"Items": [{"Key": "Name", "Value": reference}, {"Key": "pci-scope", "Value": "cde"}]}
    answer = cf.create_distribution_with_tags(
        DistributionConfigWithTags={"DistributionConfig": _config(reference, **kwargs), "Tags": tags}
    )
    return str(answer["Distribution"]["ARN"])


def test_cloudfront_distributions(client: Any, run_service: Any) -> None:
    cf = client("cloudfront")
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    shop = _create(cf, "shop", logging=True, certificate=cert)
    plain = _create(cf, "plain", logging=False, certificate=None)
    resources, errors, calls = run_service(SPEC)
    assert errors == []
    by_uid = {r.uid: r for r in resources}
    assert set(by_uid) == {shop, plain}
    one = by_uid[shop]
    assert (one.name, one.region, one.tags["pci-scope"]) == ("shop", "", "cde")
    assert set(one.attributes) == set(resource_types()["aws.cloudfront.distribution"].attributes)
    assert violations(one) == []  # kinds and nullability as declared
    a = one.attributes
    assert a["behaviours"] == [
        {"path": "*", "origin": "api", "viewer_protocol": "redirect-to-https"},
        {"path": "/img/*", "origin": "static", "viewer_protocol": "allow-all"},
    ]
    assert a["origins"] == [
        {
            "id": "api",
            "domain": "api.example.com",
            "kind": "custom",
            "protocol_policy": "match-viewer",
            "ssl_protocols": ["TLSv1", "TLSv1.2"],
        },
        {
            "id": "static",
            "domain": "static.s3.amazonaws.com",
            "kind": "s3",
            "protocol_policy": None,
            "ssl_protocols": [],
        },
    ]
    assert (a["default_certificate"], a["certificate"], a["minimum_protocol_version"]) == (False, cert, "TLSv1.2_2021")
    assert (a["logging_enabled"], a["logging_bucket"]) == (True, "logs.s3.amazonaws.com")
    b = by_uid[plain].attributes
    assert (b["default_certificate"], b["certificate"], b["minimum_protocol_version"]) == (True, None, None)
    assert (b["logging_enabled"], b["logging_bucket"]) == (False, None)
    assert set(calls) == set(SPEC.permissions)


def test_cloudfront_config_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _create(client("cloudfront"), "shop", logging=True, certificate=None)
    hooks = {"before-parameter-build.cloudfront.GetDistributionConfig": deny("GetDistributionConfig")}
    [distribution], ctx = run_with_hooks(aws, SPEC, hooks)
    assert not set(LOGGING) & set(distribution.attributes)
    assert distribution.attributes["behaviours"]  # the listing's facts stay
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (distribution.uid, LOGGING, "AccessDenied")
