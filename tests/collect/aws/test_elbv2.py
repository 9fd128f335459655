"""ELBv2 collector against the moto server: an internet-facing ALB with TLS and a redirect, an
internal NLB without security groups, and the fail-closed paths of the per-balancer reads.

moto gap (5.2.x): every load balancer ARN is spelled `loadbalancer/app/...`, NLBs included.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.services.elbv2 import SPEC, SPECS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from tests.support.aws_network import two_subnet_vpc

ACCOUNT = "123456789012"
REGION = "eu-west-1"
POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def _seed(client: Any) -> dict[str, str]:
    net = two_subnet_vpc(client, REGION, "edge")
    vpc, a, b, sg = net.vpc, net.subnet_a, net.subnet_b, net.security_group
    cert = client("acm", REGION).request_certificate(DomainName="pay.example.com")["CertificateArn"]
    elb = client("elbv2", REGION)
    alb = elb.create_load_balancer(
        Name="edge",
        Subnets=[b, a],
        SecurityGroups=[sg],
        Scheme="internet-facing",
        Type="application",
        Tags=[{"Key": "Name", "Value": "payments-edge"}, {"Key": "pci-scope", "Value": "cde"}],
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    elb.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTPS",
        Port=443,
        SslPolicy=POLICY,
        Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )
    elb.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
        ],
    )
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=alb,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "routing.http.desync_mitigation_mode", "Value": "defensive"},
        ],
    )
    waf = client("wafv2", REGION)
    acl = waf.create_web_acl(
        Name="edge",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "edge"},
    )["Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=alb)
    nlb = elb.create_load_balancer(Name="ledger", Subnets=[a], Scheme="internal", Type="network")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    return {"vpc": vpc, "a": a, "b": b, "sg": sg, "cert": cert, "alb": alb, "nlb": nlb, "acl": acl}


def test_elbv2_alb_and_nlb(client: Any, run_service: Any) -> None:
    seeded = _seed(client)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.attributes["name"]: r for r in resources}

    alb = by_name["edge"]
    assert alb.uid == seeded["alb"]
    assert alb.type == "aws.elbv2.load_balancer"
    assert alb.name == "payments-edge"
    assert alb.tags == {"Name": "payments-edge", "pci-scope": "cde"}
    assert alb.region == REGION
    assert alb.source == (
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "wafv2:GetWebACLForResource",
    )
    attrs = dict(alb.attributes)
    assert attrs.pop("dns_name").startswith("edge-")
    assert attrs == {
        "arn": seeded["alb"],
        "name": "edge",
        "type": "application",
        "scheme": "internet-facing",
        "ip_address_type": "ipv4",
        "state": "active",
        "vpc_id": seeded["vpc"],
        "subnet_ids": sorted([seeded["a"], seeded["b"]]),
        "security_groups": [seeded["sg"]],
        "listeners": [
            {
                "port": 80,
                "protocol": "HTTP",
                "ssl_policy": None,
                "certificate_arns": [],
                "default_actions": [{"type": "redirect", "redirect_protocol": "HTTPS"}],
            },
            {
                "port": 443,
                "protocol": "HTTPS",
                "ssl_policy": POLICY,
                "certificate_arns": [seeded["cert"]],
                "default_actions": [{"type": "forward", "redirect_protocol": None}],
            },
        ],
        "access_logs_enabled": True,
        "desync_mitigation_mode": "defensive",
        "web_acl_arn": seeded["acl"],
    }
    assert set(resource_types()["aws.elbv2.load_balancer"].attributes) == set(alb.attributes)
    assert violations(alb) == []  # kinds and nullability as declared

    nlb = by_name["ledger"]
    assert nlb.name == "ledger" and nlb.tags == {}
    assert nlb.attributes["type"] == "network"
    assert nlb.attributes["scheme"] == "internal"
    assert nlb.attributes["security_groups"] == []
    assert nlb.attributes["listeners"] == []
    assert nlb.attributes["subnet_ids"] == [seeded["a"]]
    assert nlb.attributes["desync_mitigation_mode"] is None and nlb.attributes["web_acl_arn"] is None
    # moto leaves access_logs.s3.enabled out until the attribute is modified; the API reference documents
    # false as its default, which is used and recorded.
    assert nlb.attributes["access_logs_enabled"] is False
    assert nlb.defaulted == {
        "access_logs_enabled": "not reported; the ELBv2 API reference documents access_logs.s3.enabled = false"
        " by default"
    }

    assert set(calls) == set(SPEC.permissions)  # every declared action exercised, nothing else
    assert calls["elasticloadbalancing:DescribeTags"] == 1  # both ARNs in one batch
    assert calls["elasticloadbalancing:DescribeListeners"] == 2
    assert SPECS == (SPEC,)


def test_elbv2_empty_region(run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC, REGION)
    assert (resources, errors) == ([], [])
    assert calls == {"elasticloadbalancing:DescribeLoadBalancers": 1}


def _ctx(aws: Any, deny: str, only: str | None = None) -> CollectContext:
    """A context whose clients get AccessDenied for `deny` (for requests mentioning `only`, if given)."""

    def refuse(params: dict[str, Any], **_: Any) -> Any:
        if only is not None and only not in str(params.get("body", "")):
            return None  # let the call through
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": "AccessDenied", "Message": "User is not authorized"},
            "ResponseMetadata": {},
        }

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register(f"before-call.elastic-load-balancing-v2.{deny}", refuse)
        return c

    return CollectContext(spec=SPEC, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)


def test_elbv2_listeners_denied_for_one_balancer(client: Any, aws: Any) -> None:
    """DescribeListeners denied for the ALB: its listeners are absent (unknown), not [] (none)."""
    seeded = _seed(client)
    ctx = _ctx(aws, "DescribeListeners", only="/edge/")
    by_name = {r.attributes["name"]: r for r in SPEC.collect(ctx)}

    alb = by_name["edge"]
    assert "listeners" not in alb.attributes
    assert alb.attributes["scheme"] == "internet-facing"  # the listing's attributes are still there
    assert "elasticloadbalancing:DescribeListeners" not in alb.source
    assert by_name["ledger"].attributes["listeners"] == []  # the other balancer is unaffected

    (error,) = ctx.errors
    assert (error.service, error.operation, error.code) == ("elbv2", "DescribeListeners", "AccessDenied")
    assert error.resource_uid == seeded["alb"]
    assert error.resource_types == ("aws.elbv2.load_balancer",)
    assert error.attributes == ("listeners",)


def test_elbv2_tags_denied_makes_scope_unknown(client: Any, aws: Any) -> None:
    """DescribeTags denied: every balancer gets an error naming 'tags', which the engine turns into
    an unknown scope (an untagged-looking balancer must not pass as outside the CDE)."""
    seeded = _seed(client)
    ctx = _ctx(aws, "DescribeTags")
    resources = list(SPEC.collect(ctx))
    assert {r.name for r in resources} == {"edge", "ledger"}  # no Name tag could be read
    assert all(r.tags == {} for r in resources)
    assert sorted(e.resource_uid for e in ctx.errors) == sorted([seeded["alb"], seeded["nlb"]])
    assert all(e.attributes == ("tags",) and e.operation == "DescribeTags" for e in ctx.errors)


def test_elbv2_web_acl_denied_leaves_it_unknown(client: Any, aws: Any) -> None:
    """WAFv2 GetWebACLForResource denied: the ALB's web_acl_arn is absent (unknown), never null."""
    seeded = _seed(client)

    def refuse(**_: Any) -> Any:
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
            "ResponseMetadata": {},
        }

    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register("before-call.wafv2.GetWebACLForResource", refuse)
        return c

    ctx = CollectContext(spec=SPEC, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)
    by_name = {r.attributes["name"]: r for r in SPEC.collect(ctx)}
    assert "web_acl_arn" not in by_name["edge"].attributes
    assert by_name["ledger"].attributes["web_acl_arn"] is None  # a network load balancer is not asked
    (error,) = ctx.errors
    assert (error.operation, error.resource_uid, error.attributes) == (
        "GetWebACLForResource",
        seeded["alb"],
        ("web_acl_arn",),
    )
