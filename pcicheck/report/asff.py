"""AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08) from the results document.

One AwsSecurityFinding per result that is a finding (pcicheck.report.finding_parts: passes included,
so that re-importing after a fix turns the finding PASSED instead of leaving it FAILED for ever). The
findings belong to a custom integration: ProductArn `arn:PARTITION:securityhub:REGION:ACCOUNT:product/
ACCOUNT/default`, which Security Hub accepts only in the finding's own account and region, so a finding
sits in its resource's account and region; Kubernetes resources and global AWS resources (IAM, the
account itself, CloudFront) sit in the home account and region (the scanning identity's account and the
first scanned region for `--format asff`; the importing identity's for `pcicheck security-hub`).

- Id is `pcicheck/<evidence id>`: a pure function of control and resource, so a re-import updates the
  finding instead of adding one, and the finding traces back to its result (ProductFields too).
- Compliance.Status: pass → PASSED, fail and waived → FAILED, needs_configuration → WARNING (not
  supported for this configuration until a site param is set), error → NOT_AVAILABLE (the check could
  not be performed: access denied, data missing). RelatedRequirements are `PCI DSS v4.0.1/3.7.4`.
- Severity is the control's for what needs attention and INFORMATIONAL for a pass, as Security Hub scores
  its own passed controls; Workflow is NEW, RESOLVED for a pass, SUPPRESSED for a waived result (Security
  Hub keeps the customer's Workflow on later imports).
- Lengths and counts are cut to the limits AWS documents for ASFF (botocore's model does not carry
  them), and every string goes through pcicheck.redact once more: these findings leave for AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from pcicheck import __version__
from pcicheck.errors import InputError
from pcicheck.report.finding_parts import (
    Outbound,
    findings,
    framework_titles,
    iso,
    qualified_requirements,
    scan_time,
    write_json_array,
)

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/PCI-DSS"
ID_PREFIX = "pcicheck/"

COMPLIANCE_STATUS = {
    "pass": "PASSED",
    "fail": "FAILED",
    "waived": "FAILED",
    "needs_configuration": "WARNING",
    "error": "NOT_AVAILABLE",
}
WORKFLOW = {"pass": "RESOLVED", "waived": "SUPPRESSED"}  # NEW otherwise

# pcicheck resource type → ASFF resource type. Each is a type Security Hub defines (a member of botocore's
# ResourceDetails, or AwsAccount, which has no details); a type Security Hub lacks is "Other", with
# pcicheck's type in Details.Other. A test holds every declared resource type to one decision here.
RESOURCE_TYPES = {
    "aws.account": "AwsAccount",
    "aws.acm.certificate": "AwsCertificateManagerCertificate",
    "aws.apigateway.stage": "AwsApiGatewayStage",
    "aws.apigatewayv2.stage": "AwsApiGatewayV2Stage",
    "aws.autoscaling.group": "AwsAutoScalingAutoScalingGroup",
    "aws.cloudfront.distribution": "AwsCloudFrontDistribution",
    "aws.cloudtrail.trail": "AwsCloudTrailTrail",
    "aws.cloudwatch.alarm": "AwsCloudWatchAlarm",
    "aws.codebuild.project": "AwsCodeBuildProject",
    "aws.dms.replication_instance": "AwsDmsReplicationInstance",
    "aws.dynamodb.table": "AwsDynamoDbTable",
    "aws.ec2.address": "AwsEc2Eip",
    "aws.ec2.instance": "AwsEc2Instance",
    "aws.ec2.network_acl": "AwsEc2NetworkAcl",
    "aws.ec2.route_table": "AwsEc2RouteTable",
    "aws.ec2.security_group": "AwsEc2SecurityGroup",
    "aws.ec2.subnet": "AwsEc2Subnet",
    "aws.ec2.volume": "AwsEc2Volume",
    "aws.ec2.vpc": "AwsEc2Vpc",
    "aws.eks.cluster": "AwsEksCluster",
    "aws.elb.load_balancer": "AwsElbLoadBalancer",
    "aws.elbv2.load_balancer": "AwsElbv2LoadBalancer",
    "aws.guardduty.detector": "AwsGuardDutyDetector",
    "aws.iam.policy": "AwsIamPolicy",
    "aws.iam.role": "AwsIamRole",
    "aws.iam.user": "AwsIamUser",
    "aws.kms.key": "AwsKmsKey",
    "aws.lambda.function": "AwsLambdaFunction",
    "aws.opensearch.domain": "AwsOpenSearchServiceDomain",
    "aws.rds.instance": "AwsRdsDbInstance",
    "aws.rds.snapshot": "AwsRdsDbSnapshot",
    "aws.redshift.cluster": "AwsRedshiftCluster",
    "aws.s3.bucket": "AwsS3Bucket",
    "aws.sagemaker.notebook_instance": "AwsSageMakerNotebookInstance",
    "aws.secretsmanager.secret": "AwsSecretsManagerSecret",
    "aws.sns.topic": "AwsSnsTopic",
    "aws.sqs.queue": "AwsSqsQueue",
    "aws.wafv2.web_acl": "AwsWafv2WebAcl",
}
OTHER = "Other"
# The AWS types Security Hub has no type for, decided so rather than forgotten.
OTHER_TYPES = frozenset(
    {
        "aws.apigateway.method",
        "aws.apigatewayv2.route",
        "aws.config.region",  # pcicheck's per-region record of AWS Config
        "aws.ec2.snapshot",
        "aws.efs.file_system",  # ASFF has access points only
        "aws.elasticache.replication_group",
        "aws.emr.cluster",
        "aws.logs.log_group",
        "aws.logs.metric_filter",
        "aws.region",  # pcicheck's per-region account settings
        "aws.tagging.resource",
    }
)

# Limits from AWS's ASFF syntax documentation.
MAX_TITLE = 256
MAX_DESCRIPTION = 1024
MAX_RECOMMENDATION = 512
MAX_ID = 512
MAX_REQUIREMENTS = 32
MAX_MAP_ENTRIES = 50
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256
MAX_FIELD_KEY, MAX_FIELD_VALUE = 128, 2048
MAX_OTHER_VALUE = 1024

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class Home:
    """Where findings without an account and region of their own go: Kubernetes and global resources."""

    partition: str
    account: str
    region: str


def home_of(doc: Mapping[str, Any]) -> Home:
    """The scanning identity's account and partition, and the first region scanned."""
    identity = doc["snapshot"]["identity"].get("aws") or {}
    arn = str(identity.get("arn") or "")
    parts = arn.split(":")
    account = parts[4] if len(parts) > 4 and _ACCOUNT.fullmatch(parts[4]) else str(identity.get("account") or "")
    if not _ACCOUNT.fullmatch(account):
        raise InputError(
            "ASFF findings belong to an AWS account, and this scan has no AWS identity",
            fix="scan with --aws, import with `pcicheck security-hub` (the importing account), or use --format ocsf",
        )
    partition = parts[1] if len(parts) > 1 and parts[1].startswith("aws") else "aws"
    aws_request = (doc["snapshot"].get("request") or {}).get("aws")
    regions = aws_request.get("regions") if isinstance(aws_request, Mapping) else None
    scanned = [str(r) for r in regions if _REGION.fullmatch(str(r))] if isinstance(regions, list) else []
    first = scanned[0] if scanned else "us-east-1"
    return Home(partition, account, first)


def _clip(value: Any, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fields(pairs: Mapping[str, Any], key_limit: int, value_limit: int) -> dict[str, str]:
    """A string map within ASFF's limits: at most 50 entries, keys and values cut, empty values left out
    (ASFF's strings may not be empty)."""
    out: dict[str, str] = {}
    for key, value in sorted(pairs.items()):
        if len(out) == MAX_MAP_ENTRIES:
            break
        if str(key) and str(value):
            out[_clip(key, key_limit)] = _clip(value, value_limit)
    return out


def _place(resource: Mapping[str, Any], home: Home) -> tuple[str, str, str]:
    """The finding's partition, account and region."""
    if not str(resource["type"]).startswith("aws."):
        return home.partition, home.account, home.region
    uid = str(resource["uid"])
    partition = uid.split(":")[1] if uid.startswith("arn:") and uid.count(":") > 1 else home.partition
    account = str(resource.get("account") or "")
    region = str(resource.get("region") or "")
    return (
        partition,
        account if _ACCOUNT.fullmatch(account) else home.account,
        region if _REGION.fullmatch(region) else home.region,
    )


def _resource(resource: Mapping[str, Any], partition: str, region: str) -> dict[str, Any]:
    kind = str(resource["type"])
    asff_type = RESOURCE_TYPES.get(kind, OTHER)
    out: dict[str, Any] = {"Type": asff_type, "Id": _clip(resource["uid"], MAX_ID)}
    if kind.startswith("aws."):
        out["Partition"] = partition
        out["Region"] = region
    tags = _fields(dict(resource.get("tags") or {}), MAX_TAG_KEY, MAX_TAG_VALUE)
    if tags:
        out["Tags"] = tags
    if asff_type == OTHER:
        about = {"pcicheckType": kind, "name": resource["name"], "account": resource.get("account") or ""}
        if kind.startswith("k8s."):
            about["namespace"] = resource.get("region") or ""
        out["Details"] = {"Other": _fields(about, MAX_FIELD_KEY, MAX_OTHER_VALUE)}
    return out


def _product_fields(result: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, str]:
    fields = {
        "ProviderName": "pcicheck",
        "ProviderVersion": __version__,
        "pcicheck/evidenceId": result["id"],
        "pcicheck/control": result["control"],
        "pcicheck/status": result["status"],
        "pcicheck/domain": result["domain"],
        "pcicheck/resourceType": resource["type"],
        "pcicheck/scope": resource.get("scope") or "",
    }
    waiver = result.get("waiver")
    if isinstance(waiver, Mapping):
        for key in ("id", "kind", "approved_by", "ticket", "expires", "justification"):
            if waiver.get(key) is not None:
                fields[f"pcicheck/waiver/{key}"] = waiver[key]
    return _fields(fields, MAX_FIELD_KEY, MAX_FIELD_VALUE)


@dataclass(frozen=True)
class _Run:
    home: Home
    titles: Mapping[str, str]
    remediation: Mapping[str, str]
    first_seen: str
    last_seen: str


def asff_finding(result: Mapping[str, Any], resource: Mapping[str, Any], run: _Run) -> dict[str, Any]:
    """One AwsSecurityFinding for one result (before the redaction every finding gets on its way out)."""
    status = str(result["status"])
    partition, account, region = _place(resource, run.home)
    label = "INFORMATIONAL" if status == "pass" else str(result["severity"]).upper()
    severity = {"Label": label, "Original": str(result["severity"])}
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": _clip(ID_PREFIX + str(result["id"]), MAX_ID),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": "pcicheck",
        "CompanyName": "pcicheck",
        "Region": region,
        "GeneratorId": _clip(ID_PREFIX + str(result["control"]), MAX_ID),
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "FirstObservedAt": run.first_seen,
        "LastObservedAt": run.last_seen,
        "CreatedAt": run.last_seen,
        "UpdatedAt": run.last_seen,
        "Severity": severity,
        "Title": _clip(result["title"], MAX_TITLE),
        "Description": _clip(f"{result['message']} ({resource['type']} {resource['name']})", MAX_DESCRIPTION),
        "ProductFields": _product_fields(result, resource),
        "Resources": [_resource(resource, partition, region)],
        "Compliance": {
            "Status": COMPLIANCE_STATUS.get(status, "NOT_AVAILABLE"),
            "RelatedRequirements": [
                _clip(r, 256) for r in qualified_requirements(result, run.titles)[:MAX_REQUIREMENTS]
            ],
        },
        "FindingProviderFields": {"Severity": severity, "Types": [FINDING_TYPE]},
        "Workflow": {"Status": WORKFLOW.get(status, "NEW")},
        "RecordState": "ACTIVE",
    }
    if not finding["Compliance"]["RelatedRequirements"]:
        del finding["Compliance"]["RelatedRequirements"]
    remediation = run.remediation.get(str(result["control"]))
    if remediation and status != "pass":
        finding["Remediation"] = {"Recommendation": {"Text": _clip(remediation, MAX_RECOMMENDATION)}}
    return finding


def iter_asff_findings(doc: Mapping[str, Any], home: Home | None = None) -> Iterator[dict[str, Any]]:
    """Every finding of the document in ASFF, in the document's order, one at a time (a large document's
    findings are written as they are made, never all held at once)."""
    run = _Run(
        home=home or home_of(doc),
        titles=framework_titles(doc),
        remediation={str(c["id"]): str(c["remediation"]) for c in doc["controls"]},
        first_seen=iso(scan_time(doc, "started_at")),
        last_seen=iso(scan_time(doc)),
    )
    clean = Outbound()
    return (clean(asff_finding(result, resource, run)) for result, resource in findings(doc))


def asff_findings(doc: Mapping[str, Any], home: Home | None = None) -> list[dict[str, Any]]:
    return list(iter_asff_findings(doc, home))


def write_asff(doc: Mapping[str, Any], out: TextIO) -> None:
    """The findings as one JSON array: what `aws securityhub batch-import-findings --findings` takes, in
    batches of 100."""
    write_json_array(iter_asff_findings(doc), out)
