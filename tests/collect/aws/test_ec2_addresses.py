"""Elastic IP collector against the moto server: an address associated with an instance, one on a
network interface, and an unused one."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.ec2_addresses import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_elastic_ips(client: Any, run_service: Any) -> None:
    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    on_instance = ec2.allocate_address(
        Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "bastion"}]}]
    )
    on_eni = ec2.allocate_address(Domain="vpc")
    unused = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=on_instance["AllocationId"], InstanceId=instance["InstanceId"])
    ec2.associate_address(AllocationId=on_eni["AllocationId"], NetworkInterfaceId=eni)

    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == [] and calls == {"ec2:DescribeAddresses": 1}
    by_id = {r.attributes["allocation_id"]: r for r in resources}

    bastion = by_id[on_instance["AllocationId"]]
    assert bastion.uid == f"arn:aws:ec2:{REGION}:123456789012:elastic-ip/{on_instance['AllocationId']}"
    assert (bastion.type, bastion.name, bastion.tags) == ("aws.ec2.address", "bastion", {"Name": "bastion"})
    assert bastion.source == ("ec2:DescribeAddresses",)
    assert set(bastion.attributes) == set(resource_types()["aws.ec2.address"].attributes)
    assert violations(bastion) == []  # kinds and nullability as declared
    attrs = bastion.attributes
    assert attrs["public_ip"] == on_instance["PublicIp"] and attrs["domain"] == "vpc"
    assert attrs["instance_id"] == instance["InstanceId"]
    assert attrs["association_id"] and attrs["association_id"].startswith("eipassoc-")

    eni_attrs = by_id[on_eni["AllocationId"]].attributes
    assert (eni_attrs["network_interface_id"], eni_attrs["instance_id"]) == (eni, None)
    assert eni_attrs["association_id"] is not None

    idle = by_id[unused["AllocationId"]]
    assert idle.name == unused["PublicIp"]
    assert {k: idle.attributes[k] for k in ("association_id", "instance_id", "network_interface_id", "private_ip")} == {
        "association_id": None,
        "instance_id": None,
        "network_interface_id": None,
        "private_ip": None,
    }


def test_elastic_ips_empty_region(run_service: Any) -> None:
    assert run_service(SPEC, REGION) == ([], [], {"ec2:DescribeAddresses": 1})
