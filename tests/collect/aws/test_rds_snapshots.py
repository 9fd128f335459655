"""RDS snapshot collector against the moto server: an encrypted private DB snapshot, a public one,
cluster snapshots (manual and automated), and a refused attributes read leaving sharing unknown."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.rds_snapshots import SHARING, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def _instance(rds: Any, name: str, encrypted: bool) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="password1",
        AllocatedStorage=20,
        StorageEncrypted=encrypted,
    )


def test_rds_snapshots(client: Any, run_service: Any) -> None:
    rds = client("rds", REGION)
    _instance(rds, "cards", True)
    _instance(rds, "plain", False)
    rds.create_db_snapshot(
        DBInstanceIdentifier="cards", DBSnapshotIdentifier="cards-1", Tags=[{"Key": "pci-scope", "Value": "cde"}]
    )
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="plain-1")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="plain-1", AttributeName="restore", ValuesToAdd=["all", "111122223333"]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="ledger", Engine="aurora-postgresql", MasterUsername="app", MasterUserPassword="password1"
    )
    rds.create_db_cluster_snapshot(DBClusterIdentifier="ledger", DBClusterSnapshotIdentifier="ledger-1")
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="ledger-1", AttributeName="restore", ValuesToAdd=["all"]
    )
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["snapshot_identifier"]: r for r in resources}
    card = by_id["cards-1"]
    assert card.uid == f"arn:aws:rds:{REGION}:123456789012:snapshot:cards-1"
    assert card.tags == {"pci-scope": "cde"}
    assert set(card.attributes) == set(resource_types()["aws.rds.snapshot"].attributes)
    assert violations(card) == []  # kinds and nullability as declared
    assert [card.attributes[k] for k in ("kind", "encrypted", "public")] == ["instance", True, False]
    plain = by_id["plain-1"].attributes
    assert (plain["encrypted"], plain["public"], plain["shared_with_accounts"]) == (False, True, ["111122223333"])
    ledger = by_id["ledger-1"].attributes
    assert (ledger["kind"], ledger["source_identifier"], ledger["public"]) == ("cluster", "ledger", True)
    automated = [r.attributes for r in resources if r.attributes["snapshot_type"] == "automated"]
    assert automated and all(a["public"] is False for a in automated)
    assert set(calls) == set(SPEC.permissions)


def test_rds_snapshot_attributes_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    rds = client("rds")
    _instance(rds, "cards", True)
    rds.create_db_snapshot(DBInstanceIdentifier="cards", DBSnapshotIdentifier="cards-1")
    resources, ctx = run_with_hooks(
        aws, SPEC, {"before-parameter-build.rds.DescribeDBSnapshotAttributes": deny("DescribeDBSnapshotAttributes")}
    )
    [snap] = [r for r in resources if r.attributes["snapshot_identifier"] == "cards-1"]
    assert not set(SHARING) & set(snap.attributes)
    assert snap.attributes["encrypted"] is True
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (snap.uid, SHARING)
