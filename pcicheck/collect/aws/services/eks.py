"""EKS clusters: ListClusters for the names, DescribeCluster for each one's settings and tags.

A failing DescribeCluster leaves only that cluster's described attributes (and its tags) absent,
with a CollectionError naming them; the other clusters are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.model import Resource, resource_type

CLUSTER = resource_type(
    "aws.eks.cluster",
    "EKS cluster (DescribeCluster); uid = cluster ARN",
    name="string: cluster name",
    arn="string: cluster ARN",
    version="string: Kubernetes minor version, e.g. '1.31'",
    status="string: 'CREATING'|'ACTIVE'|'DELETING'|'FAILED'|'UPDATING'|'PENDING'",
    endpoint="string?: API server endpoint URL; null when not yet created",
    endpoint_public_access="bool",
    endpoint_private_access="bool",
    public_access_cidrs="list: CIDRs allowed to reach the public endpoint; when the endpoint is public and "
    "DescribeCluster leaves them out, the documented default (0.0.0.0/0, and ::/0 for IPv6 clusters), recorded in "
    "the resource's `defaulted`",
    secrets_encryption_key_arn="string?: KMS key ARN of the encryptionConfig entry whose resources include "
    "'secrets'; null when secrets envelope encryption with a KMS key is not configured",
    logging_enabled_types="list: sorted enabled control-plane log types "
    "('api'|'audit'|'authenticator'|'controllerManager'|'scheduler')",
    vpc_id="string?",
    subnet_ids="list: sorted subnet ids",
    security_group_ids="list: sorted additional security group ids",
    cluster_security_group_id="string?",
    kms_key_id="string?: same as secrets_encryption_key_arn (resolved into facts.kms_key_uid)",
)

# Everything DescribeCluster answers for; absent for a cluster whose describe failed.
DESCRIBED = (
    "version",
    "status",
    "endpoint",
    "endpoint_public_access",
    "endpoint_private_access",
    "public_access_cidrs",
    "secrets_encryption_key_arn",
    "logging_enabled_types",
    "vpc_id",
    "subnet_ids",
    "security_group_ids",
    "cluster_security_group_id",
    "kms_key_id",
    "tags",
)


@dataclass(frozen=True)
class Defaulted:
    """An attribute value AWS documents for a field its answer left out, and where that is documented."""

    value: Any
    why: str


def _opt(data: dict[str, Any], key: str) -> Any:
    """A field AWS always sends: missing means unknown, so the attribute stays absent."""
    return data.get(key, FAILED)


def _secrets_key(cluster: dict[str, Any]) -> str | None:
    """The KMS key ARN of the encryptionConfig entry covering 'secrets' (AWS omits the list when unset)."""
    for entry in cluster.get("encryptionConfig") or ():
        if "secrets" in (entry.get("resources") or ()):
            return (entry.get("provider") or {}).get("keyArn") or None
    return None


def _logging_types(cluster: dict[str, Any]) -> Any:
    logging = cluster.get("logging")
    if not isinstance(logging, dict):
        return FAILED
    enabled: set[str] = set()
    for entry in logging.get("clusterLogging") or ():
        if entry.get("enabled"):
            enabled.update(str(t) for t in entry.get("types") or ())
    return sorted(enabled)


# DescribeCluster's publicAccessCidrs: "The default value is 0.0.0.0/0 and additionally ::/0 for dual-stack
# IPv6 clusters." Only IPv6 clusters made after October 2024 are dual-stack; counting ::/0 for the older
# ones too can make a cluster look more open than it is, never less.
_DEFAULT_CIDRS = "DescribeCluster did not report publicAccessCidrs; the EKS API reference documents the default {}"


def _public_access_cidrs(cluster: dict[str, Any], vpc: dict[str, Any]) -> Any:
    """The reported CIDRs; with the public endpoint on and none reported, AWS's documented default (a
    Defaulted value, which the collector records in the resource's `defaulted`). Otherwise absent."""
    if "publicAccessCidrs" in vpc:
        return list(vpc["publicAccessCidrs"])
    if vpc.get("endpointPublicAccess") is not True:
        return FAILED
    ipv6 = (cluster.get("kubernetesNetworkConfig") or {}).get("ipFamily") == "ipv6"
    cidrs = ["0.0.0.0/0", "::/0"] if ipv6 else ["0.0.0.0/0"]
    return Defaulted(cidrs, _DEFAULT_CIDRS.format(" and ".join(cidrs)))


def _attributes(cluster: dict[str, Any]) -> dict[str, Any]:
    vpc = cluster.get("resourcesVpcConfig")
    if not isinstance(vpc, dict):
        vpc_attrs: dict[str, Any] = {
            k: FAILED
            for k in (
                "endpoint_public_access",
                "endpoint_private_access",
                "public_access_cidrs",
                "vpc_id",
                "subnet_ids",
                "security_group_ids",
                "cluster_security_group_id",
            )
        }
    else:
        vpc_attrs = {
            "endpoint_public_access": _opt(vpc, "endpointPublicAccess"),
            "endpoint_private_access": _opt(vpc, "endpointPrivateAccess"),
            "public_access_cidrs": _public_access_cidrs(cluster, vpc),
            "vpc_id": vpc.get("vpcId") or None,
            "subnet_ids": sorted(vpc.get("subnetIds") or ()),
            "security_group_ids": sorted(vpc.get("securityGroupIds") or ()),
            "cluster_security_group_id": vpc.get("clusterSecurityGroupId") or None,
        }
    key = _secrets_key(cluster)
    return {
        "version": _opt(cluster, "version"),
        "status": _opt(cluster, "status"),
        "endpoint": cluster.get("endpoint") or None,
        **vpc_attrs,
        "secrets_encryption_key_arn": key,
        "logging_enabled_types": _logging_types(cluster),
        "kms_key_id": key,
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    eks = ctx.client()
    names = list(ctx.pages(eks, "list_clusters", "clusters"))
    for name in names:
        # The ARN is fixed by partition, region, account and name, so a failed describe still has a uid.
        arn = f"arn:{ctx.partition}:eks:{ctx.region}:{ctx.account}:cluster/{name}"
        reads = ResourceReads(ctx, arn, CLUSTER.name, source={ctx.action(eks, "list_clusters")})
        described = reads.get(eks, "describe_cluster", DESCRIBED, name=name)
        attributes: dict[str, Any] = dict.fromkeys(DESCRIBED[:-1], FAILED)
        tags: dict[str, str] = {}
        if described is not FAILED:
            cluster = described.get("cluster") or {}
            arn = cluster.get("arn") or arn
            tags = {str(k): str(v) for k, v in (cluster.get("tags") or {}).items()}
            attributes = _attributes(cluster)
        defaulted = {k: v.why for k, v in attributes.items() if isinstance(v, Defaulted)}
        values = {k: v.value if isinstance(v, Defaulted) else v for k, v in attributes.items()}
        resource = reads.resource(name, {"name": name, "arn": arn, **values}, tags)
        yield replace(resource, defaulted=defaulted) if defaulted else resource


SPEC = ServiceSpec(
    name="eks",
    client="eks",
    regional=True,
    types=(CLUSTER,),
    permissions=("eks:ListClusters", "eks:DescribeCluster"),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
