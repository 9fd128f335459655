"""ACM collector against the moto server: a requested certificate with its validity window, the
empty region, and a refused describe leaving the certificate's fields unknown."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.acm import SPEC
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_acm_certificate(client: Any, run_service: Any) -> None:
    arn = client("acm", REGION).request_certificate(DomainName="pay.example.com")["CertificateArn"]
    [cert], errors, calls = run_service(SPEC, REGION)
    assert errors == []
    assert (cert.uid, cert.type, cert.name, cert.region) == (arn, "aws.acm.certificate", "pay.example.com", REGION)
    attrs = cert.attributes
    assert set(attrs) == set(resource_types()["aws.acm.certificate"].attributes)
    # moto issues the validity window at once, even while the status is PENDING_VALIDATION.
    assert attrs["status"] == "PENDING_VALIDATION" and attrs["type"] == "AMAZON_ISSUED"
    assert attrs["not_after"] > attrs["not_before"] and attrs["not_after"].endswith("Z")
    assert attrs["in_use_by"] == [] and attrs["key_algorithm"] == "RSA_2048"
    assert cert.source == ("acm:DescribeCertificate", "acm:ListCertificates")
    assert set(calls) == set(SPEC.permissions)


def test_acm_empty_region(run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC, REGION)
    assert (resources, errors, calls) == ([], [], {"acm:ListCertificates": 1})


def test_acm_describe_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    arn = client("acm", "us-east-1").request_certificate(DomainName="pay.example.com")["CertificateArn"]
    [cert], ctx = run_with_hooks(
        aws, SPEC, {"before-parameter-build.acm.DescribeCertificate": deny("DescribeCertificate")}
    )
    assert "not_after" not in cert.attributes and "status" not in cert.attributes
    [error] = ctx.errors
    assert (error.resource_uid, error.operation) == (arn, "DescribeCertificate")
