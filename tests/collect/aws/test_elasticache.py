"""ElastiCache collector against the moto server: an encrypted, backed-up replication group with AUTH and
a bare one, and a refused tags read leaving the tags unknown while the configuration stays."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.elasticache import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:123456789012:key/cache"
BASE: dict[str, Any] = {"ReplicationGroupDescription": "cache", "Engine": "redis", "CacheNodeType": "cache.t3.micro"}


def test_replication_groups(client: Any, run_service: Any) -> None:
    elasticache = client("elasticache", REGION)
    elasticache.create_replication_group(
        ReplicationGroupId="sessions",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        SnapshotRetentionLimit=15,
        AtRestEncryptionEnabled=True,
        KmsKeyId=KEY,
        TransitEncryptionEnabled=True,
        AuthToken="a-long-enough-auth-token",
        Tags=[{"Key": "pci-scope", "Value": "cde"}],
        **BASE,
    )
    elasticache.create_replication_group(ReplicationGroupId="scratch", NumCacheClusters=1, **BASE)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    sessions = by_name["sessions"]
    assert (sessions.uid, sessions.tags) == (
        f"arn:aws:elasticache:{REGION}:123456789012:replicationgroup:sessions",
        {"pci-scope": "cde"},
    )
    assert set(sessions.attributes) == set(resource_types()["aws.elasticache.replication_group"].attributes)
    assert violations(sessions) == []  # kinds and nullability as declared
    assert {k: sessions.attributes[k] for k in ("engine", "snapshot_retention_limit", "automatic_failover")} == {
        "engine": "redis",
        "snapshot_retention_limit": 15,
        "automatic_failover": "enabled",
    }
    assert [sessions.attributes[k] for k in ("at_rest_encryption_enabled", "kms_key_id")] == [True, KEY]
    assert [sessions.attributes[k] for k in ("transit_encryption_enabled", "auth_token_enabled")] == [True, True]
    assert "a-long-enough-auth-token" not in str(sessions.attributes)
    scratch = by_name["scratch"].attributes
    assert [
        scratch[k]
        for k in (
            "snapshot_retention_limit",
            "automatic_failover",
            "at_rest_encryption_enabled",
            "kms_key_id",
            "transit_encryption_enabled",
            "transit_encryption_mode",
            "auth_token_enabled",
        )
    ] == [0, "disabled", False, None, False, None, False]
    assert sessions.source == tuple(sorted(SPEC.permissions))
    assert set(calls) == set(SPEC.permissions)


def test_tags_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    client("elasticache").create_replication_group(ReplicationGroupId="sessions", NumCacheClusters=1, **BASE)
    [group], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.elasticache.ListTagsForResource": deny("x")})
    assert group.tags == {}
    assert group.attributes["snapshot_retention_limit"] == 0
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (group.uid, ("tags",))
