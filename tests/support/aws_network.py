"""A small network in the emulator for collector tests: a VPC with two subnets in two zones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Network:
    vpc: str
    subnet_a: str
    subnet_b: str
    security_group: str | None


def two_subnet_vpc(client: Any, region: str, security_group: str | None = None) -> Network:
    """10.0.0.0/16 with 10.0.1.0/24 in zone a and 10.0.2.0/24 in zone b; a security group if named."""
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for n, zone in ((1, "a"), (2, "b"))
    ]
    group = None
    if security_group:
        group = ec2.create_security_group(GroupName=security_group, Description=security_group, VpcId=vpc)["GroupId"]
    return Network(vpc, subnets[0], subnets[1], group)
