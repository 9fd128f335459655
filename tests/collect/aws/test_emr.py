"""EMR collector against the moto server: masters with a public IP (moto gives every EMR node one), a
private master (answered through a botocore hook, since moto cannot launch one), the master fleet of
an instance-fleet cluster, terminated clusters left out, and refused reads leaving the master's
addresses unknown rather than "none"."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.emr import DESCRIPTION, MASTERS, SPEC
from pcicheck.collect.registry import resource_types

REGION = "us-east-1"  # run_with_hooks collects in us-east-1


def _cluster(emr: Any, name: str, *, masters: int = 1, subnet: str | None = None, **kwargs: Any) -> str:
    instances: dict[str, Any] = {
        "InstanceGroups": [
            {"Name": "master", "InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": masters},
            {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2},
        ],
        "KeepJobFlowAliveWhenNoSteps": True,
        **({"Ec2SubnetId": subnet} if subnet else {}),
    }
    return str(
        emr.run_job_flow(
            Name=name,
            ReleaseLabel="emr-6.10.0",
            Instances=instances,
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
            **kwargs,
        )["JobFlowId"]
    )


def _subnet(client: Any) -> str:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return str(ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"])


def test_emr_clusters_with_public_masters(client: Any, run_service: Any) -> None:
    emr = client("emr", REGION)
    subnet = _subnet(client)
    etl = _cluster(emr, "etl", masters=3, subnet=subnet, Tags=[{"Key": "pci-scope", "Value": "cde"}])
    gone = _cluster(emr, "old")
    emr.terminate_job_flows(JobFlowIds=[gone])
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    [cluster] = resources  # the terminated one is not listed
    assert cluster.uid == f"arn:aws:elasticmapreduce:{REGION}:123456789012:cluster/{etl}"
    assert (cluster.name, cluster.tags) == ("etl", {"pci-scope": "cde"})
    attributes = cluster.attributes
    assert set(attributes) == set(resource_types()["aws.emr.cluster"].attributes)
    assert (attributes["cluster_id"], attributes["state"], attributes["subnet_id"]) == (etl, "WAITING", subnet)
    assert (attributes["release_label"], attributes["security_configuration"]) == ("emr-6.10.0", None)
    # moto leaves InstanceCollectionType out; the collector then asks for the master instance group
    assert attributes["instance_collection_type"] is None
    assert len(attributes["master_security_groups"]) == 1  # the EMR-managed master group
    # moto puts every EMR node on a public address, whatever its subnet
    assert attributes["master_instance_count"] == 3
    assert len(attributes["master_public_ips"]) == 3
    assert attributes["master_public_dns_name"]
    assert cluster.source == tuple(sorted(SPEC.permissions))
    assert set(calls) == set(SPEC.permissions)


def test_emr_private_master(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import run_with_hooks

    _cluster(client("emr", REGION), "etl", subnet=_subnet(client))
    sent: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    def private(parsed: dict[str, Any], **_: Any) -> None:
        # What AWS answers for a master in a private subnet: no public address at all.
        for instance in parsed["Instances"]:
            instance.pop("PublicIpAddress", None)
            instance["PublicDnsName"] = ""

    hooks = {"before-parameter-build.emr.ListInstances": remember, "after-call.emr.ListInstances": private}
    [cluster], ctx = run_with_hooks(aws, SPEC, hooks)
    assert ctx.errors == []
    assert (cluster.attributes["master_instance_count"], cluster.attributes["master_public_ips"]) == (1, [])
    [params] = sent
    assert params["InstanceGroupTypes"] == ["MASTER"]
    assert "TERMINATED" not in params["InstanceStates"]


def test_emr_instance_fleet_lists_the_master_fleet(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import run_with_hooks

    _cluster(client("emr", REGION), "fleet")
    sent: list[dict[str, Any]] = []

    def fleet(parsed: dict[str, Any], **_: Any) -> None:
        parsed["Cluster"]["InstanceCollectionType"] = "INSTANCE_FLEET"

    def remember(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    hooks = {"after-call.emr.DescribeCluster": fleet, "before-parameter-build.emr.ListInstances": remember}
    [cluster], _ = run_with_hooks(aws, SPEC, hooks)
    assert cluster.attributes["instance_collection_type"] == "INSTANCE_FLEET"
    [params] = sent
    assert params["InstanceFleetType"] == "MASTER" and "InstanceGroupTypes" not in params


def test_emr_list_instances_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _cluster(client("emr", REGION), "etl")
    [cluster], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.emr.ListInstances": deny("ListInstances")})
    assert not set(MASTERS) & set(cluster.attributes)
    assert set(DESCRIPTION) <= set(cluster.attributes)
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (cluster.uid, MASTERS, "AccessDenied")


def test_emr_describe_denied_leaves_masters_unread(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _cluster(client("emr", REGION), "etl")
    [cluster], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.emr.DescribeCluster": deny("DescribeCluster")})
    assert not (set(DESCRIPTION) | set(MASTERS)) & set(cluster.attributes)
    assert cluster.attributes["state"] == "WAITING"
    [error] = ctx.errors
    assert error.operation == "DescribeCluster"
    assert "elasticmapreduce:ListInstances" not in ctx.calls
