"""EC2 Auto Scaling groups, type aws.autoscaling.group.

DescribeAutoScalingGroups (paginated) alone gives everything: the health check types, the load
balancers, target groups and other traffic sources the group is attached to, its subnets, launch
template or configuration, and tags. Nothing is read per group, so the listing is the only call that
can fail, and the runner then records the whole type as unknown in that region.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type

GROUP = resource_type(
    "aws.autoscaling.group",
    "EC2 Auto Scaling group; uid = its ARN",
    arn="string: group ARN",
    name="string: group name",
    health_check_types="list: sorted 'EC2'|'ELB'|'EBS'|'VPC_LATTICE' (HealthCheckType, split on commas)",
    health_check_grace_period="int?: seconds",
    load_balancer_names="list: sorted names of the attached Classic Load Balancers",
    target_group_arns="list: sorted ARNs of the attached ELBv2 target groups",
    traffic_sources="list: {identifier, type ('elb'|'elbv2'|'vpc-lattice')}, sorted by type",
    subnet_ids="list: sorted subnet ids (VPCZoneIdentifier; [] when placed by zone only)",
    availability_zones="list: sorted zone names",
    launch_configuration_name="string?",
    launch_template="map?: {id, name, version, mixed_instances (bool: through a mixed-instances policy)}; null "
    "without one",
    min_size="int?",
    max_size="int?",
    desired_capacity="int?",
    instance_ids="list: sorted ids of the instances in the group",
)


def _split(value: Any) -> list[str]:
    """AWS's comma-separated strings (VPCZoneIdentifier, HealthCheckType) → a sorted list."""
    return sorted({part.strip() for part in str(value or "").split(",") if part.strip()})


def _launch_template(group: dict[str, Any]) -> dict[str, Any] | None:
    """The launch template the group launches from, directly or through a mixed-instances policy."""
    spec = group.get("LaunchTemplate") or (
        ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    )
    if not spec:
        return None
    return {
        "id": spec.get("LaunchTemplateId"),
        "name": spec.get("LaunchTemplateName"),
        "version": spec.get("Version"),
        "mixed_instances": "LaunchTemplate" not in group,
    }


def _traffic_sources(group: dict[str, Any]) -> Any:
    # AWS answers with the list (often empty) for every group; one left out (moto 5.2 does not know
    # the field) is unknown, so a group attached only that way cannot look detached.
    if not isinstance(group.get("TrafficSources"), list):
        return FAILED
    return sorted(
        ({"identifier": t.get("Identifier"), "type": t.get("Type")} for t in group["TrafficSources"]),
        key=lambda t: (str(t["type"]), str(t["identifier"])),
    )


def _listed(group: dict[str, Any], key: str) -> Any:
    # Always sent by AWS, empty when nothing is attached; missing means unknown.
    return sorted(group[key]) if isinstance(group.get(key), list) else FAILED


def _attributes(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "arn": group.get("AutoScalingGroupARN") or FAILED,
        "name": group["AutoScalingGroupName"],
        "health_check_types": _split(group["HealthCheckType"]) if group.get("HealthCheckType") else FAILED,
        "health_check_grace_period": group.get("HealthCheckGracePeriod"),
        "load_balancer_names": _listed(group, "LoadBalancerNames"),
        "target_group_arns": _listed(group, "TargetGroupARNs"),
        "traffic_sources": _traffic_sources(group),
        "subnet_ids": _split(group.get("VPCZoneIdentifier")),
        "availability_zones": sorted(group.get("AvailabilityZones") or ()),
        "launch_configuration_name": group.get("LaunchConfigurationName") or None,
        "launch_template": _launch_template(group),
        "min_size": group.get("MinSize"),
        "max_size": group.get("MaxSize"),
        "desired_capacity": group.get("DesiredCapacity"),
        "instance_ids": sorted(i["InstanceId"] for i in group.get("Instances") or () if i.get("InstanceId")),
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "describe_auto_scaling_groups")
    for group in ctx.pages(client, "describe_auto_scaling_groups", "AutoScalingGroups"):
        name = group["AutoScalingGroupName"]
        attributes = _attributes(group)
        # The ARN embeds a generated id, so it cannot be rebuilt; AWS always sends it, and a group
        # without one still gets a stable uid from its name (unique per region).
        uid = group.get("AutoScalingGroupARN") or f"aws://{ctx.account}/{ctx.region}/autoscaling/{name}"
        tags = tag_map(group.get("Tags"))
        yield ctx.resource(
            type=GROUP.name,
            uid=uid,
            name=name_from_tags(tags, name),
            tags=tags,
            attributes=attributes,
            source={listing},
        )


SPEC = ServiceSpec(
    name="autoscaling",
    client="autoscaling",
    regional=True,
    types=(GROUP,),
    permissions=("autoscaling:DescribeAutoScalingGroups",),
    collect=collect,
)
