"""Faults on the wire: a proxy in front of the emulator throttles, fails, holds and denies chosen calls.

The demo estate is seeded once; each test collects it through the proxy with short timeouts
(PCICHECK_AWS_READ_TIMEOUT, PCICHECK_AWS_RETRIES) so a held connection costs a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck import paths, results_doc
from pcicheck.cli import main
from pcicheck.demo.emulator import Emulator, patched_environ
from pcicheck.demo.seed import seed_estate
from pcicheck.model import Snapshot
from pcicheck.snapshot import read_snapshot
from tests.support.faultproxy import Fault, FaultLog, fault_proxy

REGIONS = ("us-east-1", "eu-west-2")


@pytest.fixture(scope="module")
def estate(emulator: Emulator) -> Iterator[Emulator]:
    emulator.reset()
    with patched_environ(emulator.env()):
        seed_estate(paths.demo_dir() / "aws-estate.yaml", emulator.endpoint)
        yield emulator


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCICHECK_AWS_READ_TIMEOUT", "1")
    monkeypatch.setenv("PCICHECK_AWS_RETRIES", "2")


def transient_faults() -> list[Fault]:
    """Each fails fewer times than the 3 attempts allowed (2 retries), in every protocol pcicheck speaks."""
    return [
        Fault("ListKeys", "throttle", times=2),  # JSON: 400 ThrottlingException
        Fault("DescribeSecurityGroups", "throttle", times=2),  # EC2: 400 RequestLimitExceeded
        Fault("ListUsers", "throttle", times=1, status=429),  # query: 429 TooManyRequestsException
        Fault("ListBuckets", "throttle", times=1),  # S3: 503 SlowDown
        Fault("GetBucketVersioning", "throttle", times=2),  # S3, per bucket
        Fault("DescribeVolumes", "error500", times=1),  # a one-off 500
        Fault("ListSecrets", "timeout", times=1, hold=1.5),  # one held connection
    ]


def permanent_faults() -> list[Fault]:
    return [
        Fault("DescribeDBInstances", "error500"),
        Fault("DescribeTrails", "timeout", hold=1.5),
        Fault("GetBucketEncryption", "deny"),
    ]


def inventory(endpoint: str) -> dict[str, set[tuple[str, str]]]:
    """What the emulator holds, listed with boto3 directly: type → {(region, id)}; '' for global."""

    def c(name: str, region: str = "us-east-1") -> Any:
        return boto3.client(name, region_name=region, endpoint_url=endpoint)

    found: dict[str, set[tuple[str, str]]] = {}

    def add(kind: str, region: str, ids: Any) -> None:
        found.setdefault(kind, set()).update((region, str(i)) for i in ids)

    add("aws.s3.bucket", "", (b["Name"] for b in c("s3").list_buckets()["Buckets"]))
    add("aws.iam.user", "", (u["UserName"] for u in c("iam").list_users()["Users"]))
    add("aws.iam.policy", "", (p["Arn"] for p in c("iam").list_policies(Scope="Local")["Policies"]))
    distributions = c("cloudfront").list_distributions()["DistributionList"].get("Items", [])
    add("aws.cloudfront.distribution", "", (d["ARN"] for d in distributions))
    # CLOUDFRONT-scope web ACLs are served by us-east-1 only.
    cdn_acls = c("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    add("aws.wafv2.web_acl", "us-east-1", (a["ARN"] for a in cdn_acls))
    for region in REGIONS:
        ec2 = c("ec2", region)
        add("aws.kms.key", region, (k["KeyId"] for k in c("kms", region).list_keys()["Keys"]))
        add(
            "aws.ec2.instance",
            region,
            (i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]),
        )
        add("aws.ec2.volume", region, (v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]))
        add("aws.ec2.security_group", region, (g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]))
        add("aws.ec2.vpc", region, (v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]))
        add("aws.ec2.subnet", region, (s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]))
        add("aws.ec2.route_table", region, (t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]))
        add("aws.ec2.network_acl", region, (a["NetworkAclId"] for a in ec2.describe_network_acls()["NetworkAcls"]))
        add(
            "aws.rds.instance",
            region,
            (d["DBInstanceArn"] for d in c("rds", region).describe_db_instances()["DBInstances"]),
        )
        add(
            "aws.cloudtrail.trail",
            region,
            (t["TrailARN"] for t in c("cloudtrail", region).describe_trails()["trailList"]),
        )
        add(
            "aws.secretsmanager.secret",
            region,
            (s["ARN"] for s in c("secretsmanager", region).list_secrets()["SecretList"]),
        )
        add("aws.guardduty.detector", region, c("guardduty", region).list_detectors()["DetectorIds"])
        add(
            "aws.elbv2.load_balancer",
            region,
            (lb["LoadBalancerArn"] for lb in c("elbv2", region).describe_load_balancers()["LoadBalancers"]),
        )
        add("aws.eks.cluster", region, c("eks", region).list_clusters()["clusters"])
        add("aws.ec2.address", region, (a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]))
        acls = c("wafv2", region).list_web_acls(Scope="REGIONAL")["WebACLs"]
        add("aws.wafv2.web_acl", region, (a["ARN"] for a in acls))
        logs = c("logs", region)
        add("aws.logs.log_group", region, (g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]))
        add(
            "aws.logs.metric_filter", region, (f["filterName"] for f in logs.describe_metric_filters()["metricFilters"])
        )
        alarms = c("cloudwatch", region).describe_alarms()["MetricAlarms"]
        add("aws.cloudwatch.alarm", region, (a["AlarmArn"] for a in alarms))
        add("aws.sns.topic", region, (t["TopicArn"] for t in c("sns", region).list_topics()["Topics"]))
        # Queue URLs end in the name, and so does the ARN the collector builds.
        urls = c("sqs", region).list_queues().get("QueueUrls", [])
        add("aws.sqs.queue", region, (u.rsplit("/", 1)[-1] for u in urls))
        add("aws.dynamodb.table", region, c("dynamodb", region).list_tables()["TableNames"])
        groups = c("elasticache", region).describe_replication_groups()["ReplicationGroups"]
        add("aws.elasticache.replication_group", region, (g["ARN"] for g in groups))
        add("aws.codebuild.project", region, c("codebuild", region).list_projects()["projects"])
    return found


def _collected(snap: Snapshot, kind: str, ident: str) -> bool:
    """The emulator's id is the uid or its last segment (ARNs end in the id or name)."""
    return any(
        r.type == kind and (r.uid == ident or r.uid.endswith((f"/{ident}", f":{ident}"))) for r in snap.resources
    )


def _covered_by_error(snap: Snapshot, kind: str, region: str) -> bool:
    return any(e.resource_uid is None and kind in e.resource_types and e.region in (region, "") for e in snap.errors)


def _collect(endpoint: str, faults: list[Fault], out: Path) -> tuple[int, FaultLog, Snapshot]:
    with fault_proxy(endpoint, faults) as (proxy, log), patched_environ({"AWS_ENDPOINT_URL": proxy}):
        code = main(["collect", "--aws", "--regions", ",".join(REGIONS), "--quiet", "--output", str(out)])
    return code, log, read_snapshot(out)


def _figures(title: str, faults: list[Fault], log: FaultLog) -> None:
    print(f"\n{title}: injected {sum(f.injected for f in faults)} faults: {dict(sorted(log.injected.items()))}")


def test_transient_faults_are_retried_and_nothing_is_dropped(
    estate: Emulator, short_timeouts: None, tmp_path: Path
) -> None:
    faults = transient_faults()
    code, log, snap = _collect(estate.endpoint, faults, tmp_path / "snap.json")
    _figures("transient", faults, log)
    for f in faults:
        # Every fault fired as often as asked, and the call then went through on a retry.
        assert f.injected == f.times, f
        assert log.forwarded[f.operation] >= 1, f
    assert not [e for e in snap.errors if e.operation in {f.operation for f in faults}]
    expected = inventory(estate.endpoint)
    missing = [(k, r, i) for k, ids in expected.items() for r, i in ids if not _collected(snap, k, i)]
    total = sum(len(ids) for ids in expected.values())
    print(f"resources the emulator holds: {total}; collected: {total - len(missing)}; missing: {missing}")
    assert total > 60 and not missing
    # Only the emulator's own gap (GetEbsDefaultKmsKeyId) is left: the collection is otherwise complete.
    assert {e.operation for e in snap.errors} <= {"GetEbsDefaultKmsKeyId"}
    assert code == 3


def test_permanent_faults_become_errors_with_their_cause(
    estate: Emulator, short_timeouts: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    faults = transient_faults() + permanent_faults()
    code, log, snap = _collect(estate.endpoint, faults, tmp_path / "snap.json")
    assert code == 3  # collect: incomplete
    by_op: dict[str, list[Any]] = {}
    for e in snap.errors:
        by_op.setdefault(e.operation, []).append(e)
    # A 500 on every attempt, per region, with the error code AWS gave.
    assert {(e.region, e.code) for e in by_op["DescribeDBInstances"]} == {(r, "InternalFailure") for r in REGIONS}
    # A held connection: botocore's read timeout, per region.
    assert {e.region for e in by_op["DescribeTrails"]} == set(REGIONS)
    assert all(e.code in ("ReadTimeoutError", "ConnectTimeoutError") for e in by_op["DescribeTrails"])
    # A denied per-bucket read: one error per bucket, naming it and the attributes left unknown.
    buckets = {r.uid for r in snap.resources if r.type == "aws.s3.bucket"}
    assert {e.resource_uid for e in by_op["GetBucketEncryption"]} == buckets
    assert all(e.code == "AccessDenied" and "encryption" in e.attributes for e in by_op["GetBucketEncryption"])
    # Retried faults still succeeded alongside the permanent ones.
    for f in faults[: len(transient_faults())]:
        assert f.injected == f.times and log.forwarded[f.operation] >= 1, f
    failed = sum(len(by_op[op]) for op in ("DescribeDBInstances", "DescribeTrails", "GetBucketEncryption"))
    retried = sum(f.injected for f in faults if f.times is not None)
    figures = f"calls injected {sum(log.injected.values())}, retried and succeeded {retried}, errors recorded {failed}"

    # Nothing silently dropped: what the emulator holds is collected, or its listing is an error.
    expected = inventory(estate.endpoint)
    dropped = [
        (k, r, i)
        for k, ids in expected.items()
        for r, i in ids
        if not _collected(snap, k, i) and not _covered_by_error(snap, k, r)
    ]
    assert not dropped

    # Evaluated: the controls on what could not be read are `error`, naming the cause.
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "snap.json"), "--quiet", "--format", "json"]) in (1, 3)
    doc = json.loads(capsys.readouterr().out)
    statuses: dict[str, set[str]] = {}
    messages: dict[str, str] = {}
    for r in results_doc.results(doc):
        statuses.setdefault(r["control"], set()).add(r["status"])
        if r["status"] == "error":
            messages[r["control"]] = r["message"]
    assert statuses["aws-rds-storage-encrypted"] == {"error"}
    assert "InternalFailure" in messages["aws-rds-storage-encrypted"]
    assert statuses["aws-s3-bucket-default-encryption"] == {"error"}
    assert "AccessDenied" in messages["aws-s3-bucket-default-encryption"]
    with capsys.disabled():  # the figures for the issue note, past the capture of the CLI's output
        _figures("transient + permanent", faults, log)
        print(f"{figures}; resources held {sum(map(len, expected.values()))}, collected {len(snap.resources)}")
