"""EC2/VPC collectors against the moto server: exact attributes, joins, and fail-closed reads."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec, iso
from pcicheck.collect.aws.services import ec2 as ec2_service
from pcicheck.collect.aws.services.ec2 import (
    SPEC_INSTANCES,
    SPEC_NETWORK_ACLS,
    SPEC_REGION,
    SPEC_ROUTE_TABLES,
    SPEC_SECURITY_GROUPS,
    SPEC_SUBNETS,
    SPEC_VOLUMES,
    SPEC_VPCS,
    SPECS,
)
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "eu-west-2"
Hook = Callable[..., Any]


def run_with_hooks(
    aws: Any, spec: ServiceSpec, hooks: dict[str, Hook], region: str = REGION
) -> tuple[list[Any], list[Any], dict[str, int]]:
    """Like the `run_service` fixture, but every client gets botocore event hooks (to deny or
    answer one call) and no retries (so a denied call fails at once)."""

    def make_client(name: str, reg: str) -> Any:
        client = boto3.client(
            name, region_name=reg, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        for event, handler in hooks.items():
            client.meta.events.register(event, handler)
        return client

    ctx = CollectContext(spec=spec, account=ACCOUNT, region=region, partition="aws", make_client=make_client)
    resources = list(spec.collect(ctx))
    return resources, ctx.errors, dict(ctx.calls)


def deny(code: str = "UnauthorizedOperation") -> Hook:
    """A before-call hook that answers as AWS does when IAM denies the call."""

    def handler(**_: Any) -> Any:
        return SimpleNamespace(status_code=403, headers={}), {
            "Error": {"Code": code, "Message": "You are not authorized to perform this operation."},
            "ResponseMetadata": {},
        }

    return handler


def answer(parsed: dict[str, Any]) -> Hook:
    def handler(**_: Any) -> Any:
        return SimpleNamespace(status_code=200, headers={}), {**parsed, "ResponseMetadata": {}}

    return handler


def by_uid(resources: list[Any], type_name: str) -> dict[str, Any]:
    return {r.uid: r for r in resources if r.type == type_name}


def arn(kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{ident}"


def check_contract(resources: list[Any], spec: ServiceSpec, calls: dict[str, int]) -> None:
    """Every attribute is in the contract, and every call made is in the spec's permissions."""
    for r in resources:
        assert r.type in spec.resource_types
        assert set(r.attributes) <= set(resource_types()[r.type].attributes), r.uid
        assert violations(r) == []  # kinds and nullability as declared
        assert set(r.source) <= set(spec.permissions)
    assert set(calls) <= set(spec.permissions)


def test_specs_cover_each_type_once() -> None:
    types = [t for spec in SPECS for t in spec.resource_types]
    assert sorted(types) == sorted(
        [
            "aws.region",
            "aws.ec2.security_group",
            "aws.ec2.instance",
            "aws.ec2.volume",
            "aws.ec2.vpc",
            "aws.ec2.subnet",
            "aws.ec2.route_table",
            "aws.ec2.network_acl",
        ]
    )
    assert all(spec.regional and spec.client == "ec2" for spec in SPECS)
    assert len({spec.name for spec in SPECS}) == len(SPECS)
    assert not hasattr(ec2_service, "SPEC")  # the runner reads SPECS


# --- aws.region ---------------------------------------------------------------------------------


def test_region_ebs_default_off_and_moto_gap(client: Any, run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC_REGION, REGION)
    (region,) = resources
    assert region.uid == f"aws://{ACCOUNT}/{REGION}"
    assert region.name == REGION
    assert region.region == REGION
    # moto 5.2.5 does not implement GetEbsDefaultKmsKeyId (HTTP 500): the attribute is absent
    # and the failure is recorded against it, never guessed.
    assert region.attributes == {"ebs_encryption_by_default": False}
    assert region.source == ("ec2:GetEbsEncryptionByDefault",)
    (error,) = errors
    assert (error.resource_uid, error.attributes, error.operation) == (
        region.uid,
        ("ebs_default_kms_key_id",),
        "GetEbsDefaultKmsKeyId",
    )
    assert error.resource_types == ("aws.region",)
    check_contract(resources, SPEC_REGION, calls)


def test_region_ebs_default_on_with_customer_key(aws: Any, client: Any) -> None:
    client("ec2", REGION).enable_ebs_encryption_by_default()
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    # Stands in for the call moto lacks, so the parsing path is still exercised.
    hooks = {"before-call.ec2.GetEbsDefaultKmsKeyId": answer({"KmsKeyId": key})}
    (region,), errors, calls = run_with_hooks(aws, SPEC_REGION, hooks)
    assert errors == []
    assert region.attributes == {"ebs_encryption_by_default": True, "ebs_default_kms_key_id": key}
    assert region.source == ("ec2:GetEbsDefaultKmsKeyId", "ec2:GetEbsEncryptionByDefault")
    check_contract([region], SPEC_REGION, calls)


def test_region_denied_reads_leave_both_attributes_absent(aws: Any) -> None:
    hooks = {
        "before-call.ec2.GetEbsEncryptionByDefault": deny(),
        "before-call.ec2.GetEbsDefaultKmsKeyId": deny(),
    }
    (region,), errors, _ = run_with_hooks(aws, SPEC_REGION, hooks)
    assert region.attributes == {}
    assert sorted((e.operation, e.code, e.attributes) for e in errors) == [
        ("GetEbsDefaultKmsKeyId", "UnauthorizedOperation", ("ebs_default_kms_key_id",)),
        ("GetEbsEncryptionByDefault", "UnauthorizedOperation", ("ebs_encryption_by_default",)),
    ]


# --- aws.ec2.security_group ---------------------------------------------------------------------


def _seed_groups(ec2: Any) -> tuple[str, str, str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    open_sg = ec2.create_security_group(
        GroupName="db-open",
        Description="postgres for everyone",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "payments-db"}]}],
    )["GroupId"]
    closed_sg = ec2.create_security_group(GroupName="db-closed", Description="app only", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=open_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "anyone"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=closed_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "IpRanges": [{"CidrIp": "10.0.1.0/24"}],
                "UserIdGroupPairs": [{"GroupId": open_sg, "Description": "app tier"}],
            }
        ],
    )
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[open_sg])
    return vpc, subnet, open_sg, closed_sg


ALL_EGRESS = [
    {
        "protocol": "-1",
        "from_port": None,
        "to_port": None,
        "cidrs": ["0.0.0.0/0"],
        "ipv6_cidrs": [],
        "prefix_lists": [],
        "groups": [],
        "description": None,
    }
]


def test_security_groups_open_vs_restricted(client: Any, run_service: Any) -> None:
    vpc, _, open_sg, closed_sg = _seed_groups(client("ec2", REGION))
    resources, errors, calls = run_service(SPEC_SECURITY_GROUPS, REGION)
    assert errors == []
    groups = by_uid(resources, "aws.ec2.security_group")
    opened = groups[arn("security-group", open_sg)]
    assert opened.name == "payments-db"
    assert opened.tags == {"Name": "payments-db"}
    assert opened.attributes == {
        "group_id": open_sg,
        "group_name": "db-open",
        "vpc_id": vpc,
        "description": "postgres for everyone",
        "is_default": False,
        "ingress": [
            {
                "protocol": "tcp",
                "from_port": 5432,
                "to_port": 5432,
                "cidrs": ["0.0.0.0/0"],
                "ipv6_cidrs": ["::/0"],
                "prefix_lists": [],
                "groups": [],
                "description": "anyone",
            }
        ],
        "egress": ALL_EGRESS,
        "attached_enis": 1,
    }
    closed = groups[arn("security-group", closed_sg)]
    assert closed.name == closed_sg
    assert closed.attributes["ingress"] == [
        {
            "protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
            "cidrs": ["10.0.1.0/24"],
            "ipv6_cidrs": [],
            "prefix_lists": [],
            "groups": [open_sg],
            "description": "app tier",
        }
    ]
    assert closed.attributes["attached_enis"] == 0
    default = [g for g in groups.values() if g.attributes["vpc_id"] == vpc and g.attributes["is_default"]]
    assert [g.attributes["group_name"] for g in default] == ["default"]
    assert opened.source == ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups")
    check_contract(resources, SPEC_SECURITY_GROUPS, calls)


def test_security_groups_eni_listing_denied_leaves_attached_enis_absent(client: Any, aws: Any) -> None:
    _, _, open_sg, _ = _seed_groups(client("ec2", REGION))
    hooks = {"before-call.ec2.DescribeNetworkInterfaces": deny()}
    resources, errors, _ = run_with_hooks(aws, SPEC_SECURITY_GROUPS, hooks)
    groups = by_uid(resources, "aws.ec2.security_group")
    opened = groups[arn("security-group", open_sg)]
    assert "attached_enis" not in opened.attributes
    assert opened.attributes["ingress"][0]["cidrs"] == ["0.0.0.0/0"]  # the rest is still evidence
    assert opened.source == ("ec2:DescribeSecurityGroups",)
    assert {e.resource_uid for e in errors} == set(groups)  # one error per group, each naming it
    assert {(e.operation, e.code, e.attributes) for e in errors} == {
        ("DescribeNetworkInterfaces", "UnauthorizedOperation", ("attached_enis",))
    }


def test_security_group_listing_denied_raises(aws: Any) -> None:
    hooks = {"before-call.ec2.DescribeSecurityGroups": deny()}
    with pytest.raises(Exception, match="UnauthorizedOperation"):
        run_with_hooks(aws, SPEC_SECURITY_GROUPS, hooks)


# --- aws.ec2.instance and aws.ec2.volume ---------------------------------------------------------


def test_instances_public_ip_and_imds(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    iam = client("iam", REGION)
    profile = iam.create_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Arn"]
    public = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True, "Groups": [sg]}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}]}],
    )["Instances"][0]
    private = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[sg],
        IamInstanceProfile={"Arn": profile},
        MetadataOptions={"HttpTokens": "required"},
    )["Instances"][0]

    resources, errors, calls = run_service(SPEC_INSTANCES, REGION)
    assert errors == []
    instances = by_uid(resources, "aws.ec2.instance")
    pub = instances[arn("instance", public["InstanceId"])]
    assert pub.name == "web-1"
    assert pub.attributes == {
        "instance_id": public["InstanceId"],
        "state": "running",
        "instance_type": "t3.micro",
        "image_id": "ami-12c6146b",
        "vpc_id": vpc,
        "subnet_id": subnet,
        "public_ip": public["PublicIpAddress"],
        "private_ip": public["PrivateIpAddress"],
        "security_groups": [sg],
        "iam_instance_profile": None,
        "imdsv2_required": False,
        "launch_time": iso(public["LaunchTime"]),
    }
    assert pub.attributes["public_ip"]
    assert pub.attributes["launch_time"].endswith("Z")
    priv = instances[arn("instance", private["InstanceId"])]
    assert priv.name == private["InstanceId"]
    assert priv.attributes["public_ip"] is None
    assert priv.attributes["imdsv2_required"] is True
    assert priv.attributes["iam_instance_profile"] == profile
    assert priv.source == ("ec2:DescribeInstances",)
    check_contract(resources, SPEC_INSTANCES, calls)


def test_volumes_encrypted_and_not(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    plain = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    sealed = ec2.create_volume(
        AvailabilityZone=f"{REGION}a",
        Size=20,
        Encrypted=True,
        KmsKeyId=key,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "card-data"}]}],
    )["VolumeId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.attach_volume(VolumeId=plain, InstanceId=instance, Device="/dev/sdf")

    resources, errors, calls = run_service(SPEC_VOLUMES, REGION)
    assert errors == []
    volumes = by_uid(resources, "aws.ec2.volume")
    assert volumes[arn("volume", plain)].attributes == {
        "volume_id": plain,
        "state": "in-use",
        "encrypted": False,
        "kms_key_id": None,
        "size_gib": 8,
        "attached_instances": [instance],
    }
    enc = volumes[arn("volume", sealed)]
    assert enc.name == "card-data"
    assert enc.attributes == {
        "volume_id": sealed,
        "state": "available",
        "encrypted": True,
        "kms_key_id": key,
        "size_gib": 20,
        "attached_instances": [],
    }
    check_contract(resources, SPEC_VOLUMES, calls)


# --- aws.ec2.vpc --------------------------------------------------------------------------------


def test_vpcs_with_and_without_flow_logs(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    client("s3", REGION).create_bucket(Bucket="flow-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    logged = ec2.create_vpc(
        CidrBlock="10.2.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "cde"}]}],
    )["Vpc"]["VpcId"]
    dark = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    flow = ec2.create_flow_logs(
        ResourceIds=[logged],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",
    )["FlowLogIds"][0]

    resources, errors, calls = run_service(SPEC_VPCS, REGION)
    assert errors == []
    vpcs = by_uid(resources, "aws.ec2.vpc")
    cde = vpcs[arn("vpc", logged)]
    assert cde.name == "cde"
    assert cde.attributes == {
        "vpc_id": logged,
        "cidr_blocks": ["10.2.0.0/16"],
        "is_default": False,
        "flow_logs": [{"id": flow, "status": "ACTIVE", "traffic_type": "ALL", "destination_type": "s3"}],
    }
    assert cde.source == ("ec2:DescribeFlowLogs", "ec2:DescribeVpcs")
    assert vpcs[arn("vpc", dark)].attributes["flow_logs"] == []
    assert [v.attributes["is_default"] for v in vpcs.values()].count(True) == 1  # moto's default VPC
    check_contract(resources, SPEC_VPCS, calls)


def test_vpc_flow_logs_denied_is_absent_not_empty(client: Any, aws: Any) -> None:
    vpc = client("ec2", REGION).create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    hooks = {"before-call.ec2.DescribeFlowLogs": deny()}
    resources, errors, _ = run_with_hooks(aws, SPEC_VPCS, hooks)
    mine = by_uid(resources, "aws.ec2.vpc")[arn("vpc", vpc)]
    assert "flow_logs" not in mine.attributes
    assert mine.attributes["cidr_blocks"] == ["10.2.0.0/16"]
    assert arn("vpc", vpc) in {e.resource_uid for e in errors}
    assert {e.attributes for e in errors} == {("flow_logs",)}


# --- aws.ec2.subnet, route_table, network_acl ---------------------------------------------------


def _seed_network(ec2: Any) -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.4.1.0/24",
        AvailabilityZone=f"{REGION}a",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "public-a"}]}],
    )["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.4.2.0/24", AvailabilityZone=f"{REGION}b")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    main_rt = next(t["RouteTableId"] for t in tables if any(a.get("Main") for a in t["Associations"]))
    peer_vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"
    ]
    ec2.create_route(RouteTableId=main_rt, DestinationCidrBlock="10.5.0.0/16", VpcPeeringConnectionId=peering)
    return {
        "vpc": vpc,
        "public": public,
        "private": private,
        "igw": igw,
        "public_rt": public_rt,
        "main_rt": main_rt,
        "peering": peering,
    }


def test_subnets_route_table_and_internet_route(client: Any, run_service: Any) -> None:
    net = _seed_network(client("ec2", REGION))
    ec2 = client("ec2", REGION)
    ec2.modify_subnet_attribute(SubnetId=net["public"], MapPublicIpOnLaunch={"Value": True})
    resources, errors, calls = run_service(SPEC_SUBNETS, REGION)
    assert errors == []
    subnets = by_uid(resources, "aws.ec2.subnet")
    public = subnets[arn("subnet", net["public"])]
    assert public.name == "public-a"
    assert public.attributes == {
        "subnet_id": net["public"],
        "vpc_id": net["vpc"],
        "cidr": "10.4.1.0/24",
        "availability_zone": f"{REGION}a",
        "map_public_ip_on_launch": True,
        "route_table_id": net["public_rt"],
        "routes_to_internet_gateway": True,
    }
    assert public.source == ("ec2:DescribeRouteTables", "ec2:DescribeSubnets")
    # No explicit association: the VPC's main table decides, and it has no internet route.
    assert subnets[arn("subnet", net["private"])].attributes == {
        "subnet_id": net["private"],
        "vpc_id": net["vpc"],
        "cidr": "10.4.2.0/24",
        "availability_zone": f"{REGION}b",
        "map_public_ip_on_launch": False,
        "route_table_id": net["main_rt"],
        "routes_to_internet_gateway": False,
    }
    check_contract(resources, SPEC_SUBNETS, calls)


def test_subnets_route_tables_denied_leaves_routing_absent(client: Any, aws: Any) -> None:
    net = _seed_network(client("ec2", REGION))
    hooks = {"before-call.ec2.DescribeRouteTables": deny()}
    resources, errors, _ = run_with_hooks(aws, SPEC_SUBNETS, hooks)
    public = by_uid(resources, "aws.ec2.subnet")[arn("subnet", net["public"])]
    assert "route_table_id" not in public.attributes
    assert "routes_to_internet_gateway" not in public.attributes
    assert public.attributes["cidr"] == "10.4.1.0/24"
    mine = [e for e in errors if e.resource_uid == public.uid]
    assert [(e.operation, e.attributes) for e in mine] == [
        ("DescribeRouteTables", ("route_table_id", "routes_to_internet_gateway"))
    ]


def test_route_tables(client: Any, run_service: Any) -> None:
    net = _seed_network(client("ec2", REGION))
    resources, errors, calls = run_service(SPEC_ROUTE_TABLES, REGION)
    assert errors == []
    tables = by_uid(resources, "aws.ec2.route_table")
    assert tables[arn("route-table", net["public_rt"])].attributes == {
        "route_table_id": net["public_rt"],
        "vpc_id": net["vpc"],
        "main": False,
        "subnet_ids": [net["public"]],
        "routes": [
            {"destination": "10.4.0.0/16", "target_type": "local", "target": "local", "state": "active"},
            {"destination": "0.0.0.0/0", "target_type": "gateway", "target": net["igw"], "state": "active"},
        ],
    }
    main = tables[arn("route-table", net["main_rt"])]
    assert main.attributes["main"] is True
    assert main.attributes["subnet_ids"] == []
    assert main.attributes["routes"][1] == {
        "destination": "10.5.0.0/16",
        "target_type": "peering",
        "target": net["peering"],
        "state": "active",
    }
    check_contract(resources, SPEC_ROUTE_TABLES, calls)


def test_network_acls(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    acl = ec2.create_network_acl(
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "cde-acl"}]}],
    )["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=110,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 22, "To": 22},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True, Ipv6CidrBlock="::/0"
    )
    resources, errors, calls = run_service(SPEC_NETWORK_ACLS, REGION)
    assert errors == []
    acls = by_uid(resources, "aws.ec2.network_acl")
    mine = acls[arn("network-acl", acl)]
    assert mine.name == "cde-acl"
    assert mine.attributes == {
        "network_acl_id": acl,
        "vpc_id": vpc,
        "is_default": False,
        "subnet_ids": [],
        "entries": [
            {
                "rule_number": 110,
                "egress": False,
                "protocol": "6",
                "action": "deny",
                "cidr": "0.0.0.0/0",
                "ipv6_cidr": None,
                "from_port": 22,
                "to_port": 22,
            },
            {
                "rule_number": 100,
                "egress": True,
                "protocol": "-1",
                "action": "allow",
                "cidr": None,
                "ipv6_cidr": "::/0",
                "from_port": None,
                "to_port": None,
            },
        ],
    }
    default = [a for a in acls.values() if a.attributes["vpc_id"] == vpc and a.attributes["is_default"]]
    assert len(default) == 1
    assert default[0].attributes["entries"][0]["action"] == "allow"
    check_contract(resources, SPEC_NETWORK_ACLS, calls)
