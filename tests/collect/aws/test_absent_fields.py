"""The defects the botocore-shape fuzz (test_botocore_shapes.py) found, each pinned by one hostile answer
AWS's model allows: a field left out, an origin kind, a route spelled another way, a page that is empty but
not the last. Each test first shows the answer is what the collector now sees, then that the control
reading it is `error` or `fail`, never `pass` or `not_applicable`."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.interface import CollectContext
from pcicheck.collect.aws.runner import service_specs
from pcicheck.collect.conformance import violations
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import CollectionError, Resource, Status
from tests.support.botocore_shapes import FixedWorld, ShapeClients

ACCOUNT = "123456789012"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPECS = {s.name: s for s in service_specs()}
CONTROLS = {c.id: c for c in load_catalog().controls}


def collect(spec: str, **bodies: Any) -> tuple[list[Resource], list[CollectionError], FixedWorld]:
    """Run one collector against these answers (operation → body, or a list of bodies, one per call)."""
    world = FixedWorld({op: body if isinstance(body, list) else [body] for op, body in bodies.items()})
    clients = ShapeClients(world)
    ctx = CollectContext(spec=SPECS[spec], account=ACCOUNT, region="us-east-1", partition="aws", make_client=clients)
    found = list(SPECS[spec].collect(ctx))
    assert not [v for r in found for v in violations(r)]
    return found, ctx.errors, world


def judge(control: str, found: list[Resource], errors: list[CollectionError]) -> list[Status]:
    """The control's status on each collected resource, every resource judged as CDE."""
    tagged = [dataclasses.replace(r, tags={**r.tags, "pci-scope": "cde"}) for r in found]
    results = Evaluator([CONTROLS[control]]).evaluate(analyze(tagged, ScopeConfig()), errors, NOW)
    return [r.status for r in results]


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]})


def test_s3_policy_status_without_is_public_is_unknown_not_private() -> None:
    found, errors, _ = collect(
        "s3",
        ListBuckets={"Buckets": [{"Name": "b"}]},
        GetBucketPolicy={"Policy": POLICY},
        GetBucketPolicyStatus={"PolicyStatus": {}},  # S3's verdict left out
    )
    assert "policy_is_public" not in found[0].attributes  # was False: "not public"
    assert [e.code for e in errors] == ["MissingField"]
    assert judge("aws-s3-bucket-policy-not-public", found, errors) == [Status.ERROR]


def test_lambda_get_policy_without_policy_is_unknown_not_empty() -> None:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    found, errors, _ = collect(
        "lambda", ListFunctions={"Functions": [{"FunctionName": "f", "FunctionArn": arn}]}, GetPolicy={}
    )
    assert "public_policy_statements" not in found[0].attributes  # was [] from json.loads("{}")
    assert judge("aws-lambda-no-public-access", found, errors) == [Status.ERROR]


def _distribution(*origins: dict[str, Any], enabled: bool | None = True) -> dict[str, Any]:
    summary = {
        "Id": "E1",
        "ARN": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1",
        "DomainName": "d1.cloudfront.net",
        "Origins": {"Quantity": len(origins), "Items": list(origins)},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only"},
        **({"Enabled": enabled} if enabled is not None else {}),
    }
    return {"DistributionList": {"Quantity": 1, "Items": [summary], "IsTruncated": False}}


def test_cloudfront_vpc_origin_is_not_taken_for_s3() -> None:
    vpc = {"Id": "o", "DomainName": "internal.example.com", "VpcOriginConfig": {"VpcOriginId": "vo-1"}}
    found, errors, _ = collect("cloudfront", ListDistributions=_distribution(vpc))
    assert found[0].attributes["origins"] == [{"id": "o", "domain": "internal.example.com", "kind": "vpc"}]
    assert judge("aws-cloudfront-origin-https", found, errors) == [Status.ERROR]  # was not_applicable


def test_cloudfront_custom_origin_without_ssl_protocols_does_not_pass_on_no_evidence() -> None:
    custom = {
        "Id": "o",
        "DomainName": "api.example.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    found, errors, _ = collect("cloudfront", ListDistributions=_distribution(custom))
    assert "ssl_protocols" not in found[0].attributes["origins"][0]  # was [] and all([]) passed
    assert judge("aws-cloudfront-origin-https", found, errors) == [Status.ERROR]


def test_cloudfront_distribution_without_enabled_is_judged() -> None:
    s3 = {"Id": "o", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    found, errors, _ = collect("cloudfront", ListDistributions=_distribution(s3, enabled=None))
    assert "enabled" not in found[0].attributes  # was null, outside "enabled == true"
    assert judge("aws-cloudfront-viewer-https", found, errors) == [Status.ERROR]  # was not_applicable


def test_classic_elb_listener_without_protocol_is_not_left_unjudged() -> None:
    found, errors, _ = collect(
        "elb",
        DescribeLoadBalancers={
            "LoadBalancerDescriptions": [
                {"LoadBalancerName": "c", "Scheme": "internet-facing", "ListenerDescriptions": [{"Listener": {}}]}
            ]
        },
    )
    assert "protocol" not in found[0].attributes["listeners"][0]  # was null: "no HTTPS listener"
    assert judge("aws-elb-classic-tls-listeners-only", found, errors) == [Status.FAIL]  # no certificate either
    assert judge("aws-elb-classic-tls-policy-min-tls12", found, errors) == [Status.ERROR]  # was not_applicable


def test_cloudfront_s3_origin_is_still_not_judged() -> None:
    s3 = {"Id": "o", "DomainName": "b.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    found, errors, _ = collect("cloudfront", ListDistributions=_distribution(s3))
    assert judge("aws-cloudfront-origin-https", found, errors) == [Status.NOT_APPLICABLE]


def _subnet_with_routes(*routes: dict[str, Any]) -> tuple[list[Resource], list[CollectionError], FixedWorld]:
    return collect(
        "ec2.subnets",
        DescribeSubnets={"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}]},
        DescribeRouteTables={
            "RouteTables": [
                {
                    "RouteTableId": "rtb-1",
                    "VpcId": "vpc-1",
                    "Associations": [{"SubnetId": "subnet-1", "RouteTableId": "rtb-1"}],
                    "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}, *routes],
                }
            ]
        },
    )


def test_internet_gateway_route_to_a_prefix_list_is_an_internet_route() -> None:
    found, errors, _ = _subnet_with_routes({"DestinationPrefixListId": "pl-1", "GatewayId": "igw-1"})
    assert found[0].attributes["routes_to_internet_gateway"] is True
    assert judge("aws-ec2-cde-subnet-no-igw-route", found, errors) == [Status.FAIL]  # was pass


def test_two_half_internet_routes_are_an_internet_route() -> None:
    found, errors, _ = _subnet_with_routes(
        {"DestinationCidrBlock": "0.0.0.0/1", "GatewayId": "igw-1"},
        {"DestinationCidrBlock": "128.0.0.0/1", "GatewayId": "igw-1"},
    )
    assert judge("aws-ec2-cde-subnet-no-igw-route", found, errors) == [Status.FAIL]  # was pass


def test_private_subnet_still_passes() -> None:
    found, errors, _ = _subnet_with_routes({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"})
    assert judge("aws-ec2-cde-subnet-no-igw-route", found, errors) == [Status.PASS]


def test_wafv2_lists_past_an_empty_page_and_pages_its_tags() -> None:
    acl = {"Name": "acl", "Id": "1", "ARN": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/webacl/acl/1"}
    found, _, world = collect(
        "wafv2",
        ListWebACLs=[{"WebACLs": [], "NextMarker": "m1"}, {"WebACLs": [acl]}],  # an empty page, not the last
        ListTagsForResource=[
            {"TagInfoForResource": {"TagList": [{"Key": "owner", "Value": "pay"}]}, "NextMarker": "t1"},
            {"TagInfoForResource": {"TagList": [{"Key": "pci-scope", "Value": "cde"}]}},
        ],
    )
    assert [r.name for r in found] == ["acl"]  # was no ACL at all
    assert found[0].tags == {"owner": "pay", "pci-scope": "cde"}  # was only the first page's
    assert ("ListTagsForResource", {"ResourceARN": acl["ARN"], "NextMarker": "t1"}) in world.params


def test_elbv2_attribute_without_value_is_not_the_string_none() -> None:
    lb = {
        "LoadBalancerArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/a/1",
        "LoadBalancerName": "a",
        "Type": "application",
        "Scheme": "internal",
    }
    found, errors, _ = collect(
        "elbv2",
        DescribeLoadBalancers={"LoadBalancers": [lb]},
        DescribeLoadBalancerAttributes={"Attributes": [{"Key": "access_logs.s3.enabled"}]},
    )
    assert "access_logs_enabled" not in found[0].attributes
    assert judge("aws-elbv2-access-logging", found, errors) == [Status.ERROR]


def test_elbv2_listener_without_protocol_is_not_left_unjudged() -> None:
    lb = {
        "LoadBalancerArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/net/n/1",
        "LoadBalancerName": "n",
        "Type": "network",
        "Scheme": "internet-facing",
    }
    found, errors, _ = collect(
        "elbv2",
        DescribeLoadBalancers={"LoadBalancers": [lb]},
        DescribeListeners={"Listeners": [{"Port": 443}]},
    )
    assert "protocol" not in found[0].attributes["listeners"][0]
    assert judge("aws-elbv2-tls-policy-min-tls12", found, errors) == [Status.ERROR]  # was not_applicable


def test_emr_cluster_without_state_is_judged_not_skipped() -> None:
    found, errors, _ = collect("emr", ListClusters={"Clusters": [{"Id": "j-1", "Name": "c"}]})
    assert "state" not in found[0].attributes  # was null, outside the control's running states
    assert judge("aws-emr-master-no-public-ip", found, errors) == [Status.ERROR]


def test_rds_instance_without_engine_or_endpoint() -> None:
    db = {"DBInstanceIdentifier": "db", "DBInstanceArn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db"}
    found, errors, _ = collect("rds", DescribeDBInstances={"DBInstances": [db]})
    attributes = found[0].attributes
    assert "engine" not in attributes and "port" not in attributes  # were "" and null
    assert judge("aws-rds-cde-iam-auth", found, errors) == [Status.ERROR]  # was not_applicable
    assert judge("aws-rds-cde-not-internet-reachable", found, errors) != [Status.PASS]


def test_config_recorder_status_as_aws_spells_it_passes_conformance() -> None:
    found, _, _ = collect(
        "config",
        DescribeConfigurationRecorders={"ConfigurationRecorders": [{"name": "default"}]},
        DescribeConfigurationRecorderStatus={
            "ConfigurationRecordersStatus": [{"name": "default", "recording": True, "lastStatus": "NotApplicable"}]
        },
    )
    assert found[0].attributes["recorders"][0]["last_status"] == "NotApplicable"
    assert "'NotApplicable'" in SPECS["config"].types[0].attributes["recorders"].doc
