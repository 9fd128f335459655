"""OpenSearch collector against the moto server: a hardened VPC domain, a public default one, and a
refused DescribeDomains leaving the configuration unknown rather than "off"."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.opensearch import CONFIG, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:search"


def test_opensearch_domains(client: Any, run_service: Any) -> None:
    search = client("opensearch", REGION)
    search.create_domain(
        DomainName="cards",
        EncryptionAtRestOptions={"Enabled": True},
        NodeToNodeEncryptionOptions={"Enabled": True},
        DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
        VPCOptions={"SubnetIds": ["subnet-b", "subnet-a"], "SecurityGroupIds": ["sg-1"]},
        AdvancedSecurityOptions={"Enabled": True, "InternalUserDatabaseEnabled": True},
        LogPublishingOptions={
            "AUDIT_LOGS": {"CloudWatchLogsLogGroupArn": LOG_GROUP, "Enabled": True},
            "ES_APPLICATION_LOGS": {"CloudWatchLogsLogGroupArn": LOG_GROUP, "Enabled": True},
        },
    )
    search.create_domain(DomainName="plain")
    # Seven domains make two DescribeDomains batches (five names at most per call).
    for i in range(5):
        search.create_domain(DomainName=f"extra{i}")
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    assert calls["es:DescribeDomains"] == 2
    by_name = {r.name: r for r in resources}
    assert len(by_name) == 7
    cards = by_name["cards"]
    assert cards.uid == f"arn:aws:es:{REGION}:123456789012:domain/cards"
    assert set(cards.attributes) == set(resource_types()["aws.opensearch.domain"].attributes)
    assert violations(cards) == []  # kinds and nullability as declared
    assert {k: cards.attributes[k] for k in CONFIG if k not in ("engine_version", "kms_key_id")} == {
        "deleted": False,
        "encrypted_at_rest": True,
        "node_to_node_encryption": True,
        "enforce_https": True,
        "tls_security_policy": "Policy-Min-TLS-1-2-2019-07",
        "vpc_subnet_ids": ["subnet-a", "subnet-b"],
        "fine_grained_access": True,
        "audit_logs_enabled": True,
        "application_logs_enabled": True,
    }
    plain = by_name["plain"].attributes
    assert (plain["encrypted_at_rest"], plain["node_to_node_encryption"], plain["enforce_https"]) == (False,) * 3
    assert (plain["vpc_subnet_ids"], plain["fine_grained_access"], plain["audit_logs_enabled"]) == ([], False, False)
    assert cards.source == ("es:DescribeDomains", "es:ListDomainNames")
    assert set(calls) == set(SPEC.permissions)


def test_opensearch_describe_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    client("opensearch").create_domain(DomainName="cards", EncryptionAtRestOptions={"Enabled": True})
    [domain], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.opensearch.DescribeDomains": deny("x")})
    assert domain.attributes == {"domain_name": "cards", "arn": domain.uid}
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (domain.uid, CONFIG, "AccessDenied")
