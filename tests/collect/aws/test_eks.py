"""EKS collector against the moto server: a hardened cluster vs one created with defaults.

moto gaps (5.2.x), asserted below so a moto upgrade that closes them shows up here:
- resourcesVpcConfig is echoed back as given: no vpcId, no clusterSecurityGroupId, and no
  defaults for endpointPublicAccess/endpointPrivateAccess/publicAccessCidrs (AWS returns
  true/false/["0.0.0.0/0"]). A cluster created without them therefore has those attributes
  absent (fail-closed: AWS always sends them, so missing means unknown).
- The default version is moto's own ("1.19"), and the KMS key in encryptionConfig is not checked.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.eks import SPEC, SPECS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _arn(name: str) -> str:
    return f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{name}"


def _seed(client: Any) -> None:
    eks = client("eks", REGION)
    eks.create_cluster(
        name="payments",
        version="1.31",
        roleArn=ROLE,
        resourcesVpcConfig={
            "subnetIds": ["subnet-b", "subnet-a"],
            "securityGroupIds": ["sg-2", "sg-1"],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["203.0.113.0/24"],
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
        logging={"clusterLogging": [{"types": list(reversed(ALL_LOGS)), "enabled": True}]},
        tags={"Name": "payments-eks", "pci-scope": "cde"},
    )
    eks.create_cluster(name="scratch", roleArn=ROLE, resourcesVpcConfig={})


def test_eks_clusters_hardened_vs_defaults(client: Any, run_service: Any) -> None:
    _seed(client)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.attributes["name"]: r for r in resources}

    hardened = by_name["payments"]
    assert hardened.uid == _arn("payments")
    assert hardened.type == "aws.eks.cluster"
    assert hardened.name == "payments-eks"
    assert hardened.tags == {"Name": "payments-eks", "pci-scope": "cde"}
    assert hardened.region == REGION
    assert hardened.source == ("eks:DescribeCluster", "eks:ListClusters")
    attrs = dict(hardened.attributes)
    assert attrs.pop("endpoint").startswith("https://")
    assert attrs == {
        "name": "payments",
        "arn": _arn("payments"),
        "version": "1.31",
        "status": "ACTIVE",
        "endpoint_public_access": True,
        "endpoint_private_access": True,
        "public_access_cidrs": ["203.0.113.0/24"],
        "secrets_encryption_key_arn": KEY,
        "logging_enabled_types": sorted(ALL_LOGS),
        "vpc_id": None,  # moto gap: no vpcId
        "subnet_ids": ["subnet-a", "subnet-b"],
        "security_group_ids": ["sg-1", "sg-2"],
        "cluster_security_group_id": None,  # moto gap: no cluster security group
        "kms_key_id": KEY,
    }
    assert set(resource_types()["aws.eks.cluster"].attributes) == set(hardened.attributes)
    assert violations(hardened) == []  # kinds and nullability as declared

    defaults = by_name["scratch"]
    assert defaults.uid == _arn("scratch")
    assert defaults.name == "scratch"
    assert defaults.tags == {}
    attrs = dict(defaults.attributes)
    assert attrs.pop("endpoint").startswith("https://")
    assert attrs == {
        "name": "scratch",
        "arn": _arn("scratch"),
        "version": "1.19",  # moto's default
        "status": "ACTIVE",
        # endpoint_public_access / endpoint_private_access / public_access_cidrs: absent (moto gap)
        "secrets_encryption_key_arn": None,
        "logging_enabled_types": [],  # moto lists the five types with enabled: false
        "vpc_id": None,
        "subnet_ids": [],
        "security_group_ids": [],
        "cluster_security_group_id": None,
        "kms_key_id": None,
    }

    assert set(calls) <= set(SPEC.permissions)
    assert calls == {"eks:ListClusters": 1, "eks:DescribeCluster": 2}
    assert SPECS == (SPEC,)


def test_eks_empty_region(run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC, REGION)
    assert (resources, errors) == ([], [])
    assert calls == {"eks:ListClusters": 1}


def test_eks_describe_denied_fails_closed(client: Any, aws: Any) -> None:
    """DescribeCluster denied for one cluster: only its attributes (and tags) are absent."""
    _seed(client)

    def deny_payments(params: dict[str, Any], **_: Any) -> Any:
        if not str(params.get("url_path", "")).endswith("/clusters/payments"):  # the serialized request
            return None  # let the call through
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": "AccessDeniedException", "Message": "User is not authorized"},
            "ResponseMetadata": {},
        }

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register("before-call.eks.DescribeCluster", deny_payments)
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)
    by_name = {r.attributes["name"]: r for r in SPEC.collect(ctx)}

    denied = by_name["payments"]
    assert denied.uid == _arn("payments")
    assert denied.name == "payments"  # no tags read, so no Name tag
    assert denied.tags == {}
    assert denied.attributes == {"name": "payments", "arn": _arn("payments")}
    assert denied.source == ("eks:ListClusters",)

    assert by_name["scratch"].attributes["status"] == "ACTIVE"  # the other cluster is unaffected

    assert len(ctx.errors) == 1
    error = ctx.errors[0]
    assert (error.provider, error.account, error.region, error.service) == ("aws", ACCOUNT, REGION, "eks")
    assert (error.operation, error.code, error.message) == (
        "DescribeCluster",
        "AccessDeniedException",
        "User is not authorized",
    )
    assert error.resource_uid == _arn("payments")
    assert error.resource_types == ("aws.eks.cluster",)
    assert "tags" in error.attributes
    assert set(error.attributes) == (set(resource_types()["aws.eks.cluster"].attributes) - {"name", "arn"}) | {"tags"}
