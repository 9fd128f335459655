"""RDS collector against the moto server: a public, unencrypted instance vs a hardened one."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.rds import SPEC, SPECS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _seed(client: Any) -> dict[str, str]:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for cidr, az in (("10.0.1.0/24", "a"), ("10.0.2.0/24", "b"))
    ]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds = client("rds", REGION)
    rds.create_db_subnet_group(DBSubnetGroupName="cde", DBSubnetGroupDescription="cde", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="payments",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        EngineVersion="15.4",
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        DBSubnetGroupName="cde",
        VpcSecurityGroupIds=[sg],
        PubliclyAccessible=False,
        StorageEncrypted=True,
        KmsKeyId=KEY,
        MultiAZ=True,
        BackupRetentionPeriod=14,
        EnableIAMDatabaseAuthentication=True,
        DeletionProtection=True,
        AutoMinorVersionUpgrade=True,
        Tags=[{"Key": "Name", "Value": "payments-db"}, {"Key": "pci", "Value": "cde"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="reporting",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=20,
        PubliclyAccessible=True,
        StorageEncrypted=False,
        BackupRetentionPeriod=0,
        AutoMinorVersionUpgrade=False,
    )
    return {"vpc": vpc, "sg": sg, "subnet_a": subnets[0], "subnet_b": subnets[1]}


def test_rds_instances_hardened_vs_public(client: Any, run_service: Any) -> None:
    seeded = _seed(client)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["db_instance_identifier"]: r for r in resources}

    hardened = by_id["payments"]
    assert hardened.uid == f"arn:aws:rds:{REGION}:{ACCOUNT}:db:payments"
    assert hardened.type == "aws.rds.instance"
    assert hardened.name == "payments-db"
    assert hardened.tags == {"Name": "payments-db", "pci": "cde"}
    assert hardened.region == REGION
    assert hardened.source == ("rds:DescribeDBInstances",)
    assert hardened.attributes == {
        "db_instance_identifier": "payments",
        "engine": "postgres",
        "engine_version": "15.4",
        "status": "available",
        "storage_encrypted": True,
        "kms_key_id": KEY,
        "publicly_accessible": False,
        "multi_az": True,
        "backup_retention_days": 14,
        "auto_minor_version_upgrade": True,
        "iam_auth_enabled": True,
        "deletion_protection": True,
        "vpc_id": seeded["vpc"],
        "subnet_ids": sorted([seeded["subnet_a"], seeded["subnet_b"]]),
        "security_groups": [seeded["sg"]],
        "port": 5432,
        "ca_certificate_identifier": "rds-ca-default",
        "master_username": "app",
    }

    public = by_id["reporting"]
    assert public.name == "reporting"
    assert public.tags == {}
    attrs = dict(public.attributes)
    assert len(attrs.pop("security_groups")) == 1  # moto picks the default VPC's group
    assert attrs == {
        "db_instance_identifier": "reporting",
        "engine": "mysql",
        "engine_version": attrs["engine_version"],  # moto's default for mysql
        "status": "available",
        "storage_encrypted": False,
        "kms_key_id": None,
        "publicly_accessible": True,
        "multi_az": False,
        "backup_retention_days": 0,
        "auto_minor_version_upgrade": False,
        "iam_auth_enabled": False,
        "deletion_protection": False,
        "vpc_id": None,  # no DB subnet group given
        "subnet_ids": [],
        "port": 3306,
        "ca_certificate_identifier": "rds-ca-default",
        "master_username": "admin",
    }

    assert set(resource_types()["aws.rds.instance"].attributes) == set(hardened.attributes)
    assert violations(hardened) == []  # kinds and nullability as declared
    assert set(calls) <= set(SPEC.permissions)
    assert SPECS == (SPEC,)


def test_rds_empty_region(run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC, REGION)
    assert (resources, errors) == ([], [])
    assert calls == {"rds:DescribeDBInstances": 1}


def test_aurora_member_reports_its_clusters_master_user(client: Any, run_service: Any) -> None:
    """Aurora clusters are judged through their instances: each carries the cluster's master user."""
    rds = client("rds", REGION)
    rds.create_db_cluster(
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        MasterUsername="postgres",
        MasterUserPassword="not-a-real-password",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="ledger-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier="ledger",
    )
    [member], errors, _ = run_service(SPEC, REGION)
    assert errors == []
    assert member.attributes["master_username"] == "postgres"
