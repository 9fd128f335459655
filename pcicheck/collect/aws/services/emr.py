"""EMR clusters (aws.emr.cluster): whether the master node(s) carry a public IP, plus placement.

ListClusters (active states only: a terminated cluster has no nodes left) names them; DescribeCluster
per cluster carries placement, security groups and tags; ListInstances restricted to the master group
or fleet lists the master nodes with their public addresses. The master listing is the evidence: the
cluster's MasterPublicDnsName is the private name in a private subnet, so it cannot tell on its own.
A failed read leaves its attributes absent, never "no public IP".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    iso,
    tag_map,
)
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.emr.cluster",
    "EMR cluster in an active state (terminated clusters are not listed); uid = its ARN",
    cluster_id="string: j-…",
    cluster_name="string?: cluster name",
    arn="string: cluster ARN",
    state="string?: 'STARTING'|'BOOTSTRAPPING'|'RUNNING'|'WAITING'|'TERMINATING'|'TERMINATED'|'TERMINATED_WITH_ERRORS'",
    creation_time="timestamp?",
    release_label="string?: e.g. 'emr-6.10.0'; null for AMI-versioned clusters",
    instance_collection_type="string?: 'INSTANCE_GROUP'|'INSTANCE_FLEET'",
    subnet_id="string?: subnet-… the nodes run in",
    master_security_groups="list: sorted sg ids on the master (EMR-managed and additional)",
    security_configuration="string?: security configuration name",
    master_public_dns_name="string?: MasterPublicDnsName as EMR reports it (the private name in a private subnet)",
    master_instance_count="int: live (not terminated) master instances listed",
    master_public_ips="list: sorted public IPv4 addresses of the live master instances ([] when none)",
)
ACTIVE_STATES = ("STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING")
# Instances that hold (or are about to hold) an address; terminated masters are history.
LIVE_INSTANCE_STATES = ("AWAITING_FULFILLMENT", "PROVISIONING", "BOOTSTRAPPING", "RUNNING")
DESCRIPTION = (
    "release_label",
    "instance_collection_type",
    "subnet_id",
    "master_security_groups",
    "security_configuration",
    "master_public_dns_name",
)
MASTERS = ("master_instance_count", "master_public_ips")


def _description(cluster: dict[str, Any]) -> dict[str, Any]:
    ec2 = cluster.get("Ec2InstanceAttributes") or {}
    managed = ec2.get("EmrManagedMasterSecurityGroup")
    return {
        "release_label": cluster.get("ReleaseLabel"),
        "instance_collection_type": cluster.get("InstanceCollectionType"),
        # Null: launched without a subnet (EC2-Classic era) or, for instance fleets, before a subnet
        # was chosen from the requested ones.
        "subnet_id": ec2.get("Ec2SubnetId") or None,
        "master_security_groups": sorted(
            {*([managed] if managed else []), *(ec2.get("AdditionalMasterSecurityGroups") or ())}
        ),
        "security_configuration": cluster.get("SecurityConfiguration") or None,
        "master_public_dns_name": cluster.get("MasterPublicDnsName") or None,
    }


def _masters(reads: ResourceReads, emr: Any, cluster_id: str, collection_type: str | None) -> Any:
    """The live master instances, every page; FAILED if any page failed.

    Instance-fleet clusters name the master fleet with InstanceFleetType, instance-group clusters
    the master group with InstanceGroupTypes."""
    select: dict[str, Any] = (
        {"InstanceFleetType": "MASTER"} if collection_type == "INSTANCE_FLEET" else {"InstanceGroupTypes": ["MASTER"]}
    )
    return reads.all_pages(
        emr,
        "list_instances",
        "Instances",
        MASTERS,
        ClusterId=cluster_id,
        InstanceStates=list(LIVE_INSTANCE_STATES),
        **select,
    )


def collect(ctx: CollectContext) -> Iterator[Resource]:
    emr = ctx.client()
    listing = ctx.action(emr, "list_clusters")
    for summary in ctx.pages(emr, "list_clusters", "Clusters", ClusterStates=list(ACTIVE_STATES)):
        cluster_id = str(summary["Id"])
        arn = str(
            summary.get("ClusterArn")
            or f"arn:{ctx.partition}:elasticmapreduce:{ctx.region}:{ctx.account}:cluster/{cluster_id}"
        )
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        attributes: dict[str, Any] = {
            "cluster_id": cluster_id,
            "cluster_name": summary.get("Name"),
            "arn": arn,
            # Without its state the cluster cannot be judged running or not: absent, so its controls error.
            "state": (summary.get("Status") or {}).get("State")
            or ctx.missing(
                emr, "list_clusters", "Status.State", uid=arn, resource_type=TYPE.name, attributes=("state",)
            ),
            "creation_time": iso(((summary.get("Status") or {}).get("Timeline") or {}).get("CreationDateTime")),
            **dict.fromkeys(DESCRIPTION + MASTERS, FAILED),
        }
        # Without the description the master group/fleet cannot be told apart, so the masters are
        # not listed either (a guess could list nothing and read as "no public IP").
        described = reads.get(emr, "describe_cluster", DESCRIPTION + MASTERS + ("tags",), ClusterId=cluster_id)
        cluster = {} if described is FAILED else described.get("Cluster") or {}
        masters = FAILED
        if described is not FAILED:
            attributes.update(_description(cluster))
            masters = _masters(reads, emr, cluster_id, cluster.get("InstanceCollectionType"))
        if masters is not FAILED:
            attributes["master_instance_count"] = len(masters)
            attributes["master_public_ips"] = sorted(
                {str(m["PublicIpAddress"]) for m in masters if m.get("PublicIpAddress")}
            )
        tags = tag_map(cluster.get("Tags"))
        yield reads.resource(str(summary.get("Name") or cluster_id), attributes, tags)


SPEC = ServiceSpec(
    name="emr",
    client="emr",
    regional=True,
    types=(TYPE,),
    permissions=(
        "elasticmapreduce:DescribeCluster",
        "elasticmapreduce:ListClusters",
        "elasticmapreduce:ListInstances",
    ),
    collect=collect,
)
