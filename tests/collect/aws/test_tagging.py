"""Resource Groups Tagging API collector against the moto server, and the mandatory-tag control on
what it lists: scope from a resource's own tags, or inherited from the collected record of the same
ARN (an instance in a CDE subnet)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.services.tagging import SPEC, _arn_parts
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import CollectionError, Status
from pcicheck.workflow.plan import needed_types

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's
CONTROL = "aws-tagging-in-scope-mandatory-tags"


def _control() -> Any:
    [control] = [c for c in load_catalog().controls if c.id == CONTROL]
    return control


def test_tagged_resources_of_any_service(client: Any, run_service: Any) -> None:
    client("sqs", REGION).create_queue(QueueName="jobs", tags={"tenant": "acme", "data-classification": "internal"})
    s3 = client("s3", REGION)
    s3.create_bucket(Bucket="cards-vault", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="cards-vault", Tagging={"TagSet": [{"Key": "pci-scope", "Value": "cde"}]})
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_arn = {r.attributes["arn"]: r for r in resources}
    queue = by_arn[f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"]
    assert queue.uid == f"aws://{ACCOUNT}/{REGION}/tagging/arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    assert (queue.type, queue.name) == ("aws.tagging.resource", "jobs")
    assert queue.tags == {"tenant": "acme", "data-classification": "internal"}
    assert queue.attributes == {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", "service": "sqs", "resource_type": None}
    assert set(queue.attributes) == set(resource_types()["aws.tagging.resource"].attributes)
    assert violations(queue) == []  # kinds and nullability as declared
    bucket = by_arn["arn:aws:s3:::cards-vault"]
    assert (bucket.name, bucket.tags) == ("cards-vault", {"pci-scope": "cde"})
    assert queue.source == ("tag:GetResources",)  # the IAM prefix, not the signing name "tagging"
    assert set(calls) == set(SPEC.permissions)


def test_arn_parts() -> None:
    assert _arn_parts("arn:aws:ec2:eu-west-1:1:instance/i-1") == ("ec2", "instance", "i-1")
    assert _arn_parts("arn:aws:rds:eu-west-1:1:db:cards") == ("rds", "db", "cards")
    assert _arn_parts("arn:aws:s3:::bucket") == ("s3", None, "bucket")
    assert _arn_parts("not-an-arn") == ("", None, "not-an-arn")


def test_control_on_collected_tags(client: Any, run_service: Any) -> None:
    from pcicheck.collect.aws.services.ec2 import SPEC_INSTANCES, SPEC_SUBNETS

    ec2 = client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.0.1.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "pci-scope", "Value": "cde"}]}],
    )["Subnet"]["SubnetId"]
    # In the CDE only through its subnet: its own tags name it, nothing more.
    instance = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )["Instances"][0]["InstanceId"]
    client("sqs", REGION).create_queue(QueueName="complete", tags={"tenant": "acme", "data-classification": "pan"})
    client("sqs", REGION).create_queue(QueueName="unclassified", tags={"tenant": "acme"})
    client("sqs", REGION).create_queue(QueueName="sandbox", tags={"owner": "dev"})
    resources, errors = [], []
    for spec in (SPEC, SPEC_INSTANCES, SPEC_SUBNETS):
        found, spec_errors, _ = run_service(spec, REGION)
        resources += found
        errors += spec_errors
    assert errors == []
    results = Evaluator([_control()]).evaluate(analyze(resources, ScopeConfig()), [], now=datetime.now(UTC))
    status = {r.resource["name"]: r.status for r in results}
    assert status["complete"] == Status.PASS
    assert status["unclassified"] == Status.FAIL
    assert status["sandbox"] == Status.NOT_APPLICABLE
    [web] = [r for r in results if r.resource["uid"].endswith(f"instance/{instance}")]
    assert (web.status, web.resource["scope"]) == (Status.FAIL, "cde")


def test_refused_listing_is_an_error() -> None:
    error = CollectionError(
        provider="aws",
        account=ACCOUNT,
        region=REGION,
        service="tagging",
        operation="GetResources",
        code="AccessDenied",
        message="not authorized",
        resource_types=("aws.tagging.resource",),
    )
    results = Evaluator([_control()]).evaluate(analyze([], ScopeConfig()), [error], now=datetime.now(UTC))
    assert [r.status for r in results] == [Status.ERROR]


def test_plan_collects_what_tag_views_inherit_scope_from() -> None:
    types = needed_types([_control()])
    assert {"aws.tagging.resource", "aws.ec2.instance", "aws.ec2.subnet", "aws.rds.instance"} <= types
