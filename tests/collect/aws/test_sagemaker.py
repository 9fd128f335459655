"""SageMaker collector against the moto server: a VPC-only notebook with a KMS key and one with the
defaults (AWS-owned key, direct internet access), a refused describe leaving the configuration
unknown, and CDE scope inherited from the notebook's subnet."""

from __future__ import annotations

from typing import Any

from pcicheck.analyze.scope import scope_facts
from pcicheck.collect.aws.services import ec2
from pcicheck.collect.aws.services.sagemaker import CONFIGURATION, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig

REGION = "eu-west-1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1"
ROLE = "arn:aws:iam::123456789012:role/notebooks"


def test_sagemaker_notebook_instances(client: Any, run_service: Any) -> None:
    sagemaker = client("sagemaker", REGION)
    sagemaker.create_notebook_instance(
        NotebookInstanceName="fraud-lab",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        KmsKeyId=KEY,
        SubnetId="subnet-1",
        SecurityGroupIds=["sg-2", "sg-1"],
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
        Tags=[{"Key": "Name", "Value": "Fraud lab"}, {"Key": "pci-scope", "Value": "cde"}],
    )
    sagemaker.create_notebook_instance(
        NotebookInstanceName="scratch", InstanceType="ml.t3.medium", RoleArn=ROLE, RootAccess="Enabled"
    )
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["notebook_instance_name"]: r for r in resources}
    lab = by_id["fraud-lab"]
    assert lab.uid == f"arn:aws:sagemaker:{REGION}:123456789012:notebook-instance/fraud-lab"
    assert (lab.name, lab.tags["pci-scope"]) == ("Fraud lab", "cde")
    assert set(lab.attributes) == set(resource_types()["aws.sagemaker.notebook_instance"].attributes)
    assert violations(lab) == []  # kinds and nullability as declared
    assert {k: lab.attributes[k] for k in CONFIGURATION} == {
        "kms_key_id": KEY,
        "direct_internet_access": "Disabled",
        "subnet_id": "subnet-1",
        "security_groups": ["sg-1", "sg-2"],
        "root_access": "Disabled",
        "instance_type": "ml.t3.medium",
        "role_arn": ROLE,
    }
    scratch = by_id["scratch"]
    assert (scratch.name, scratch.tags) == ("scratch", {})
    assert {k: scratch.attributes[k] for k in ("kms_key_id", "direct_internet_access", "subnet_id")} == {
        "kms_key_id": None,
        "direct_internet_access": "Enabled",  # the AWS default
        "subnet_id": None,
    }
    assert scratch.attributes["security_groups"] == []
    assert lab.source == tuple(sorted(SPEC.permissions))
    assert set(calls) == set(SPEC.permissions)


def test_sagemaker_describe_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    client("sagemaker").create_notebook_instance(NotebookInstanceName="lab", InstanceType="ml.t3.medium", RoleArn=ROLE)
    hooks = {"before-parameter-build.sagemaker.DescribeNotebookInstance": deny("DescribeNotebookInstance")}
    [notebook], ctx = run_with_hooks(aws, SPEC, hooks)
    assert not set(CONFIGURATION) & set(notebook.attributes)
    assert notebook.attributes["notebook_instance_name"] == "lab"
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (notebook.uid, CONFIGURATION, "AccessDenied")


def test_sagemaker_tags_follow_next_token(client: Any, aws: Any) -> None:
    # moto answers ListTags in one page; the first answer is given a NextToken (and only one tag) so
    # the collector must ask again with it, as against AWS with many tags.
    from tests.collect.aws.test_iam import run_with_hooks

    client("sagemaker").create_notebook_instance(
        NotebookInstanceName="lab",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        Tags=[{"Key": "Name", "Value": "lab"}, {"Key": "pci-scope", "Value": "cde"}],
    )
    sent: list[dict[str, Any]] = []

    def remember(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))
        params.pop("NextToken", None)  # moto would refuse a token it did not issue

    rest: list[dict[str, str]] = []

    def split_in_two_pages(parsed: dict[str, Any], **_: Any) -> None:
        # The second answer is the first one's remainder.
        if len(sent) == 1:
            rest.extend(parsed["Tags"][1:])
            parsed["Tags"], parsed["NextToken"] = parsed["Tags"][:1], "page-2"
        else:
            parsed["Tags"] = rest

    hooks = {"before-parameter-build.sagemaker.ListTags": remember, "after-call.sagemaker.ListTags": split_in_two_pages}
    [notebook], ctx = run_with_hooks(aws, SPEC, hooks)
    assert ctx.errors == [], [(e.code, e.message) for e in ctx.errors]
    assert [p.get("NextToken") for p in sent] == [None, "page-2"]
    assert notebook.tags == {"Name": "lab", "pci-scope": "cde"}


def test_sagemaker_notebook_inherits_subnet_scope(client: Any, run_service: Any) -> None:
    ec2_client = client("ec2", REGION)
    vpc = ec2_client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2_client.create_subnet(
        VpcId=vpc,
        CidrBlock="10.0.1.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "pci-scope", "Value": "cde"}]}],
    )["Subnet"]["SubnetId"]
    client("sagemaker", REGION).create_notebook_instance(
        NotebookInstanceName="lab", InstanceType="ml.t3.medium", RoleArn=ROLE, SubnetId=subnet
    )
    notebooks, _, _ = run_service(SPEC, REGION)
    network, _, _ = run_service(ec2.SPEC_SUBNETS, REGION)
    [notebook] = notebooks
    facts = scope_facts([notebook, *network], ScopeConfig())[notebook.uid]
    assert (facts["scope"], facts["scope_reason"]) == ("cde", f"in {subnet} (tag pci-scope=cde)")
