"""Auto Scaling collector against the moto server: groups behind a Classic Load Balancer and a target
group, a detached one launched from a mixed-instances policy, and traffic sources.

moto gap (5.2.x): DescribeAutoScalingGroups has no TrafficSources field, so traffic_sources is absent
(unknown) there; a botocore hook adds the field the way AWS sends it to test that path.
"""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.autoscaling import SPEC
from pcicheck.collect.registry import resource_types
from tests.support.aws_network import two_subnet_vpc

REGION = "eu-west-1"


def _seed(client: Any, region: str = REGION) -> dict[str, str]:
    net = two_subnet_vpc(client, region)
    vpc, a, b = net.vpc, net.subnet_a, net.subnet_b
    client("elb", region).create_load_balancer(
        LoadBalancerName="web",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}],
        Subnets=[a],
    )
    group_arn = client("elbv2", region).create_target_group(Name="app", Protocol="HTTP", Port=80, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    template = client("ec2", region).create_launch_template(
        LaunchTemplateName="app", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg = client("autoscaling", region)
    asg.create_launch_configuration(LaunchConfigurationName="web", ImageId="ami-12c6146b", InstanceType="t3.micro")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web",
        LaunchConfigurationName="web",
        MinSize=0,
        MaxSize=2,
        VPCZoneIdentifier=f"{b},{a}",
        LoadBalancerNames=["web"],
        HealthCheckType="ELB",
        HealthCheckGracePeriod=120,
        Tags=[{"Key": "Name", "Value": "payments-web", "PropagateAtLaunch": True}],
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="app",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=0,
        MaxSize=2,
        VPCZoneIdentifier=a,
        TargetGroupARNs=[group_arn],
        HealthCheckType="EC2",
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="batch",
        MixedInstancesPolicy={
            "LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateName": "app", "Version": "1"}}
        },
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=b,
    )
    return {"a": a, "b": b, "target_group": group_arn, "template": template}


def test_autoscaling_groups(client: Any, run_service: Any) -> None:
    seeded = _seed(client)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == [] and calls == {"autoscaling:DescribeAutoScalingGroups": 1}
    by_name = {r.attributes["name"]: r for r in resources}

    web = by_name["web"]
    assert web.uid.startswith(f"arn:aws:autoscaling:{REGION}:123456789012:autoScalingGroup:")
    assert web.uid.endswith(":autoScalingGroupName/web")
    assert (web.type, web.name, web.source) == (
        "aws.autoscaling.group",
        "payments-web",
        ("autoscaling:DescribeAutoScalingGroups",),
    )
    assert web.tags == {"Name": "payments-web"}
    attrs = web.attributes
    assert attrs["health_check_types"] == ["ELB"]
    assert attrs["health_check_grace_period"] == 120
    assert (attrs["load_balancer_names"], attrs["target_group_arns"]) == (["web"], [])
    assert attrs["subnet_ids"] == sorted([seeded["a"], seeded["b"]])
    assert (attrs["launch_configuration_name"], attrs["launch_template"]) == ("web", None)
    assert (attrs["min_size"], attrs["max_size"], attrs["desired_capacity"]) == (0, 2, 0)
    # moto gap: no TrafficSources field, so the attribute is unknown; everything else is there.
    assert set(resource_types()["aws.autoscaling.group"].attributes) - set(attrs) == {"traffic_sources"}

    app = by_name["app"].attributes
    assert (app["health_check_types"], app["target_group_arns"]) == (["EC2"], [seeded["target_group"]])
    assert app["launch_template"] == {
        "id": seeded["template"],
        "name": app["launch_template"]["name"],
        "version": "$Latest",
        "mixed_instances": False,
    }
    assert app["launch_configuration_name"] is None

    batch = by_name["batch"].attributes
    assert batch["health_check_types"] == ["EC2"]  # the AWS default
    assert (batch["load_balancer_names"], batch["target_group_arns"]) == ([], [])
    assert batch["launch_template"]["name"] == "app" and batch["launch_template"]["mixed_instances"] is True


def _add_traffic_sources(parsed: dict[str, Any], **_: Any) -> None:
    """Answer as AWS does: every group lists its traffic sources, here one elbv2 target group for 'app'."""
    for group in parsed.get("AutoScalingGroups") or ():
        group["TrafficSources"] = [{"Identifier": arn, "Type": "elbv2"} for arn in group.get("TargetGroupARNs") or ()]


def test_autoscaling_traffic_sources(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import run_with_hooks

    seeded = _seed(client, "us-east-1")
    resources, ctx = run_with_hooks(
        aws, SPEC, {"after-call.auto-scaling.DescribeAutoScalingGroups": _add_traffic_sources}
    )
    assert ctx.errors == []
    by_name = {r.attributes["name"]: r.attributes for r in resources}
    assert by_name["app"]["traffic_sources"] == [{"identifier": seeded["target_group"], "type": "elbv2"}]
    assert by_name["batch"]["traffic_sources"] == []
    assert set(by_name["web"]) == set(resource_types()["aws.autoscaling.group"].attributes)


def test_autoscaling_empty_region(run_service: Any) -> None:
    assert run_service(SPEC, REGION) == ([], [], {"autoscaling:DescribeAutoScalingGroups": 1})
