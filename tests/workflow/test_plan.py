"""Collection planned from the controls: a collector runs only when some control reads what it lists."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.runner import AwsOptions, collect_aws, service_specs
from pcicheck.config import Config
from pcicheck.demo.emulator import Emulator
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.model import Status
from pcicheck.workflow.plan import SCOPE_TYPES, needed_types, plan_collection


def _controls(*ids: str) -> list:
    by_id = {c.id: c for c in load_catalog(()).controls}
    return [by_id[i] for i in ids]


def test_the_whole_catalog_needs_every_collector() -> None:
    plan = plan_collection(load_catalog(()).controls, service_specs())
    assert plan.skipped == ()
    assert set(plan.services) == {s.name for s in service_specs()}


def test_one_kms_control_reads_keys_and_scope_only() -> None:
    [rotation] = _controls("aws-kms-key-rotation")
    assert needed_types([rotation]) == {"aws.kms.key", *SCOPE_TYPES}
    plan = plan_collection([rotation], service_specs())
    assert set(plan.services) == {"kms", "ec2.vpcs", "ec2.subnets"}
    assert "s3" in plan.skipped and "iam" in plan.skipped


def test_facts_pull_in_their_sources() -> None:
    [control] = _controls("aws-rds-cde-no-non-cde-sources")
    types = needed_types([control])
    # Reachability is built from the network's listings and every possible source.
    assert {"aws.ec2.security_group", "aws.ec2.route_table", "aws.ec2.network_acl", "aws.ec2.instance"} <= types


def test_kubernetes_controls_need_no_aws_collector() -> None:
    k8s = [c for c in load_catalog(()).controls if c.resource.startswith("k8s.")][:5]
    assert plan_collection(k8s, service_specs()).services == ()


def test_planned_collection_makes_only_the_planned_calls(aws: Emulator, tmp_path: Path) -> None:
    [rotation] = _controls("aws-kms-key-rotation")
    plan = plan_collection([rotation], service_specs())
    snap = collect_aws(dataclasses.replace(AwsOptions(regions=("us-east-1",)), services=plan.services))
    assert {a.split(":", 1)[0] for a in snap.calls} <= {"kms", "ec2"}
    assert snap.request["aws"]["services"] == sorted(plan.services)


def test_regions_where_a_service_is_not_offered_are_not_called(aws: Emulator, client: Any) -> None:
    # botocore's endpoint data has no CodeBuild in ca-west-1: nothing can exist there, so the scan
    # records the gap instead of retrying an endpoint that cannot answer.
    client("codebuild", "eu-west-2").create_project(
        name="build",
        source={"type": "GITHUB", "location": "https://github.com/example/app.git"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole="arn:aws:iam::123456789012:role/build",
    )
    options = AwsOptions(regions=("eu-west-2", "ca-west-1"), services=("codebuild", "kms"))
    snap = collect_aws(options)
    assert snap.request["aws"]["not_offered"] == {"codebuild": ["ca-west-1"]}
    # Nothing failed; the collectors --services left out are recorded as not collected (their controls error).
    assert [(e.service, e.region) for e in snap.errors if e.code != "NotCollected"] == []
    left_out = {e.service for e in snap.errors if e.code == "NotCollected"}
    assert "codebuild" not in left_out and "kms" not in left_out and {"s3", "iam"} <= left_out
    assert [r.name for r in snap.resources if r.type == "aws.codebuild.project"] == ["build"]
    assert {r.region for r in snap.resources if r.type == "aws.kms.key"} <= {"eu-west-2", "ca-west-1"}


def test_collectors_left_out_by_services_leave_their_controls_in_error(aws: Emulator, client: Any) -> None:
    """`collect --services kms` read no bucket: evaluated with the whole catalog, the bucket controls are
    `error` (not collected), never not applicable for want of buckets."""
    snap = collect_aws(AwsOptions(regions=("eu-west-2",), services=("kms",)))
    ev = evaluate_snapshot(snap, load_catalog(()), Config(), "pci-dss-4.0.1")
    buckets = [r for r in ev.results if r.control.resource == "aws.s3.bucket"]
    assert buckets and {r.status for r in buckets} == {Status.ERROR}
    assert all("NotCollected: left out by --services" in r.message for r in buckets)
