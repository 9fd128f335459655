"""Elastic IP addresses, type aws.ec2.address.

DescribeAddresses (not paginated: one answer holds every address of the region) gives each address
with what it is associated with and its tags. Nothing is read per address.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

ADDRESS = resource_type(
    "aws.ec2.address",
    "Elastic IP address; uid = arn:…:ec2:<region>:<account>:elastic-ip/<allocation id, or the public IP for "
    "EC2-Classic>",
    allocation_id="string?: eipalloc-…; null for EC2-Classic",
    public_ip="string?: the public IPv4 address",
    domain="string?: 'vpc'|'standard'",
    association_id="string?: eipassoc-…; null when not associated (EC2-Classic addresses have none)",
    instance_id="string?: i-… it is associated with",
    network_interface_id="string?: eni-… it is associated with",
    private_ip="string?: the private IPv4 address it maps to",
    public_ipv4_pool="string?: 'amazon' or a BYOIP pool id",
)


def _uid(ctx: CollectContext, address: dict[str, Any]) -> str:
    # VPC addresses have an allocation id and an ARN built from it; an EC2-Classic address has only
    # its public IP, which is unique while it is allocated.
    ident = address.get("AllocationId") or address.get("PublicIp")
    return f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:elastic-ip/{ident}"


def _attributes(address: dict[str, Any]) -> dict[str, Any]:
    # AWS leaves out the association fields of an unassociated address (moto sends ""): both are null.
    return {
        "allocation_id": address.get("AllocationId") or None,
        "public_ip": address.get("PublicIp") or None,
        "domain": address.get("Domain") or None,
        "association_id": address.get("AssociationId") or None,
        "instance_id": address.get("InstanceId") or None,
        "network_interface_id": address.get("NetworkInterfaceId") or None,
        "private_ip": address.get("PrivateIpAddress") or None,
        "public_ipv4_pool": address.get("PublicIpv4Pool") or None,
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    ec2 = ctx.client()
    listing = ctx.action(ec2, "describe_addresses")
    for address in ctx.pages(ec2, "describe_addresses", "Addresses"):
        attributes = _attributes(address)
        tags = tag_map(address.get("Tags"))
        yield ctx.resource(
            type=ADDRESS.name,
            uid=_uid(ctx, address),
            name=name_from_tags(tags, str(attributes["public_ip"] or attributes["allocation_id"])),
            tags=tags,
            attributes=attributes,
            source={listing},
        )


SPEC = ServiceSpec(
    name="ec2.addresses",
    client="ec2",
    regional=True,
    types=(ADDRESS,),
    permissions=("ec2:DescribeAddresses",),
    collect=collect,
)
