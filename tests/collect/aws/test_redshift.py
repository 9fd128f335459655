"""Redshift collector against the moto server: a private encrypted cluster with audit logging, a
public plain one, and a refused logging read leaving logging unknown rather than "off"."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.redshift import LOGGING, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1"


def _cluster(redshift: Any, name: str, **kwargs: Any) -> None:
    redshift.create_cluster(
        ClusterIdentifier=name, NodeType="dc2.large", MasterUsername="admin", MasterUserPassword="Passw0rdx", **kwargs
    )


def test_redshift_clusters(client: Any, run_service: Any) -> None:
    redshift = client("redshift", REGION)
    _cluster(
        redshift,
        "cards",
        Encrypted=True,
        KmsKeyId=KEY,
        PubliclyAccessible=False,
        Tags=[{"Key": "Name", "Value": "card-warehouse"}, {"Key": "pci-scope", "Value": "cde"}],
    )
    redshift.enable_logging(ClusterIdentifier="cards", BucketName="audit-logs")
    _cluster(redshift, "plain", PubliclyAccessible=True)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["cluster_identifier"]: r for r in resources}
    cards = by_id["cards"]
    assert cards.uid == f"arn:aws:redshift:{REGION}:123456789012:cluster:cards"
    assert (cards.name, cards.tags["pci-scope"]) == ("card-warehouse", "cde")
    assert set(cards.attributes) == set(resource_types()["aws.redshift.cluster"].attributes)
    assert violations(cards) == []  # kinds and nullability as declared
    assert {k: cards.attributes[k] for k in ("publicly_accessible", "encrypted", "kms_key_id")} == {
        "publicly_accessible": False,
        "encrypted": True,
        "kms_key_id": KEY,
    }
    assert (cards.attributes["logging_enabled"], cards.attributes["log_destination_type"]) == (True, "s3")
    plain = by_id["plain"].attributes
    assert (plain["publicly_accessible"], plain["encrypted"], plain["logging_enabled"]) == (True, False, False)
    assert plain["log_destination_type"] is None
    assert cards.source == ("redshift:DescribeClusters", "redshift:DescribeLoggingStatus")
    assert set(calls) == set(SPEC.permissions)


def test_redshift_logging_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _cluster(client("redshift"), "cards", Encrypted=True)
    [cluster], ctx = run_with_hooks(
        aws, SPEC, {"before-parameter-build.redshift.DescribeLoggingStatus": deny("DescribeLoggingStatus")}
    )
    assert not set(LOGGING) & set(cluster.attributes)
    assert cluster.attributes["encrypted"] is True
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (cluster.uid, LOGGING)
