"""DMS collector against the moto server: a public and a private replication instance, the fields moto
does not return (engine version, Multi-AZ, minor upgrades, subnet group) answered through a botocore
hook, a refused tag read, and CDE scope inherited from the subnet group's VPC."""

from __future__ import annotations

from typing import Any

from pcicheck.analyze.scope import scope_facts
from pcicheck.collect.aws.services.dms import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource

REGION = "us-east-1"  # run_with_hooks collects in us-east-1
KEY = "arn:aws:kms:us-east-1:123456789012:key/1"
# Flags AWS always sends and moto leaves out: absent means "unknown" to the collector.
MOTO_MISSING = ("multi_az", "auto_minor_version_upgrade")


def _instance(dms: Any, name: str, public: bool, **kwargs: Any) -> None:
    dms.create_replication_instance(
        ReplicationInstanceIdentifier=name,
        ReplicationInstanceClass="dms.t3.medium",
        PubliclyAccessible=public,
        **kwargs,
    )


def test_dms_replication_instances(client: Any, run_service: Any) -> None:
    dms = client("dms", REGION)
    _instance(dms, "cards-migration", False, KmsKeyId=KEY, Tags=[{"Key": "pci-scope", "Value": "cde"}])
    _instance(dms, "open", True)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["replication_instance_identifier"]: r for r in resources}
    cards = by_id["cards-migration"]
    assert cards.uid == f"arn:aws:dms:{REGION}:123456789012:rep:cards-migration"
    assert (cards.name, cards.tags) == ("cards-migration", {"pci-scope": "cde"})
    assert set(cards.attributes) == set(resource_types()["aws.dms.replication_instance"].attributes) - set(MOTO_MISSING)
    assert violations(cards) == []  # kinds and nullability as declared
    assert (cards.attributes["publicly_accessible"], cards.attributes["kms_key_id"]) == (False, KEY)
    assert (cards.attributes["instance_class"], cards.attributes["status"]) == ("dms.t3.medium", "available")
    assert by_id["open"].attributes["publicly_accessible"] is True
    assert cards.source == tuple(sorted(SPEC.permissions))
    assert set(calls) == set(SPEC.permissions)


def test_dms_full_answer_and_denied_tags(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _instance(client("dms", REGION), "cards-migration", False, Tags=[{"Key": "Name", "Value": "x"}])

    def complete(parsed: dict[str, Any], **_: Any) -> None:
        # The fields a real answer carries that moto does not hold.
        for instance in parsed["ReplicationInstances"]:
            instance.update(
                EngineVersion="3.5.3",
                MultiAZ=True,
                AutoMinorVersionUpgrade=False,
                VpcSecurityGroups=[{"VpcSecurityGroupId": "sg-2", "Status": "active"}],
                ReplicationSubnetGroup={
                    "ReplicationSubnetGroupIdentifier": "private",
                    "VpcId": "vpc-1",
                    "Subnets": [{"SubnetIdentifier": "subnet-b"}, {"SubnetIdentifier": "subnet-a"}],
                },
            )

    hooks = {
        "after-call.database-migration-service.DescribeReplicationInstances": complete,
        "before-parameter-build.database-migration-service.ListTagsForResource": deny("ListTagsForResource"),
    }
    [instance], ctx = run_with_hooks(aws, SPEC, hooks)
    attributes = instance.attributes
    assert set(attributes) == set(resource_types()["aws.dms.replication_instance"].attributes)
    assert {k: attributes[k] for k in ("engine_version", "multi_az", "auto_minor_version_upgrade")} == {
        "engine_version": "3.5.3",
        "multi_az": True,
        "auto_minor_version_upgrade": False,
    }
    assert (attributes["vpc_id"], attributes["subnet_ids"], attributes["security_groups"]) == (
        "vpc-1",
        ["subnet-a", "subnet-b"],
        ["sg-2"],
    )
    # The tags could not be read: the name falls back to the identifier and the failure is recorded.
    assert (instance.name, instance.tags) == ("cards-migration", {})
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation) == (instance.uid, ("tags",), "ListTagsForResource")


def test_dms_instance_inherits_vpc_scope() -> None:
    def resource(uid: str, type_: str, attributes: dict[str, Any], tags: dict[str, str] | None = None) -> Resource:
        return Resource(
            uid=uid,
            type=type_,
            provider="aws",
            account="123456789012",
            region=REGION,
            name=uid,
            tags=tags or {},
            attributes=attributes,
            source=(),
        )

    vpc = resource("arn:vpc", "aws.ec2.vpc", {"vpc_id": "vpc-1"}, {"pci-scope": "cde"})
    rep = resource("arn:rep", "aws.dms.replication_instance", {"vpc_id": "vpc-1", "subnet_ids": ["subnet-a"]})
    assert scope_facts([vpc, rep], ScopeConfig())["arn:rep"]["scope"] == "cde"
