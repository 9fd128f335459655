"""Issue 15, errors spread wider than the missing data. A failed read on one attribute used to make `error`
every control whose *evidence* listed the attribute, or whose text merely contained its name: EBS
encryption-by-default was an error in every region because the emulator cannot answer
GetEbsDefaultKmsKeyId, although the control's assert reads only `ebs_encryption_by_default`. Now an error
attaches to the controls whose `where`/`assert` read the attribute (pcicheck/evaluate/reads.py), and to
every control that reads the attribute map as a whole; the verdict of the others stands, and says which
shown evidence could not be read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.analyze.estate import analyze
from pcicheck.cli import main
from pcicheck.collect.aws.services import ec2
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.evaluate.reads import reads_of
from pcicheck.model import CollectionError, Control, Resource, Severity, Snapshot, Status
from pcicheck.snapshot import write_snapshot

ACCOUNT = "123456789012"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _results(snapshot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, str], Any]:
    out = tmp_path / "results.json"
    code = main(["evaluate", str(snapshot), "--format", "json", "-o", str(out), "-q"])
    assert code in (0, 1, 3), capsys.readouterr().err
    return {(r["control"], r["resource"]["uid"]): r for r in results_doc.results(json.loads(out.read_text()))}


def test_an_evidence_only_attribute_that_failed_leaves_the_verdict_standing(
    run_service: Any, client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client("ec2", "us-east-1").enable_ebs_encryption_by_default()
    resources, errors, _ = run_service(ec2.SPEC_REGION, "us-east-1")
    (region,) = resources
    # The hostile input: the emulator cannot answer the default-key call, so that attribute is unread.
    (failed,) = [e for e in errors if e.resource_uid == region.uid]
    assert failed.attributes == ("ebs_default_kms_key_id",) and "ebs_default_kms_key_id" not in region.attributes
    assert region.attributes["ebs_encryption_by_default"] is True

    snap = tmp_path / "snap.json.gz"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, (region,), (failed,)), snap)
    result = _results(snap, tmp_path, capsys)[("aws-ec2-ebs-encryption-by-default", region.uid)]
    assert result["status"] == "pass", result
    # The evidence still shows the unread attribute as such, and the message says why it is missing.
    assert result["evidence"]["ebs_default_kms_key_id"] == "<not collected>"
    assert "evidence ebs_default_kms_key_id not read, and not needed" in result["message"]
    assert "GetEbsDefaultKmsKeyId" in result["message"]


def _control(check: str, cid: str, evidence: tuple[str, ...] = ()) -> Control:
    return Control(
        id=cid,
        title="t",
        domain="key-management",
        severity=Severity.HIGH,
        resource="aws.kms.key",
        scope="all",
        where="true",
        assertion=check,
        params={},
        requirements={"pci-dss-3.2.1": ("3.6.4",), "pci-dss-4.0.1": ("3.7.4.b",)},
        rationale="r",
        remediation="m",
        evidence=evidence,
        tests=(),
        path="x.yaml",
    )


def _judge(controls: list[Control], attributes: dict[str, Any], failed: tuple[str, ...]) -> dict[str, Status]:
    key = Resource("k", "aws.kms.key", "aws", ACCOUNT, "eu-west-2", "k", attributes=attributes)
    error = CollectionError(
        "aws", ACCOUNT, "eu-west-2", "kms", "GetKeyPolicy", "AccessDenied", "no", ("aws.kms.key",), "k", failed
    )
    results = Evaluator(controls).evaluate(analyze([key], ScopeConfig()), [error], NOW)
    return {r.control.id: r.status for r in results}


def test_a_name_inside_another_name_is_not_a_read() -> None:
    # `policy` failed; a control reading `policy_name` only used to match it as text and become an error.
    controls = [
        _control("resource.attributes.policy_name == 'p'", "longer"),
        _control("resource.attributes.manager == 'CUSTOMER'", "evidence-only", evidence=("policy",)),
        _control("!has(resource.attributes.policy) || resource.attributes.policy == ''", "guarded"),
    ]
    statuses = _judge(controls, {"policy_name": "p", "manager": "CUSTOMER"}, ("policy",))
    assert statuses == {"longer": Status.PASS, "evidence-only": Status.PASS, "guarded": Status.ERROR}


@pytest.mark.parametrize(
    "check",
    [
        # Each reads the attribute map as a whole, so a failed `policy` may change its answer.
        "!resource.attributes.exists(k, k == 'policy')",
        "!('policy' in resource.attributes)",
        "resource.attributes.size() == 1",
        "!resource['attributes'].exists(k, k == 'policy')",
        "!('policy' in resource)",
        "['policy'].all(k, !(k in resource.attributes))",
        "resource.attributes.filter(k, k.startsWith('pol')).size() == 0",
    ],
)
def test_whole_map_reads_and_odd_spellings_still_attach_the_error(check: str) -> None:
    statuses = _judge([_control(check, "c")], {"manager": "CUSTOMER"}, ("policy",))
    assert statuses == {"c": Status.ERROR}, check


def test_strings_and_comments_naming_attributes_are_not_reads() -> None:
    reads = reads_of('"resource.attributes.policy" != resource.attributes.manager // resource.attributes.tags')
    assert reads.attributes == frozenset({"manager"})
    assert reads_of(r"r'''resource.attributes.x''' + resource.uid").attributes == frozenset()
    # A field named `resource` of something else is not the variable.
    assert reads_of("lookup(resource.uid).resource.attributes.x").attributes == frozenset()
    assert reads_of("f(resource)").attributes is None


def test_a_fact_derived_from_the_failed_attribute_still_attaches_the_error() -> None:
    """A bucket whose `encryption` could not be read has no key, so its key's tenant is null: a control
    reading only `facts.kms_key_tenant` would pass on missing data. Facts about a resource are derived from
    its attributes, so a control reading them is an error on any failed read of that resource."""
    bucket = Resource(
        "arn:aws:s3:::b", "aws.s3.bucket", "aws", ACCOUNT, "", "b", tags={"tenant": "acme"}, attributes={"name": "b"}
    )
    error = CollectionError(
        "aws",
        ACCOUNT,
        "",
        "s3",
        "GetBucketEncryption",
        "AccessDenied",
        "no",
        ("aws.s3.bucket",),
        bucket.uid,
        ("encryption",),
    )
    foreign = replace(
        _control(
            "resource.facts.kms_key_tenant == null || resource.facts.kms_key_tenant == resource.facts.tenant", "f"
        ),
        resource="aws.s3.bucket",
    )
    own = replace(_control("resource.attributes.name == 'b'", "own"), resource="aws.s3.bucket")
    estate = analyze([bucket], ScopeConfig())
    statuses = {r.control.id: r.status for r in Evaluator([foreign, own]).evaluate(estate, [], NOW)}
    assert statuses["f"] == Status.PASS  # the hostile input: without the error, missing data passes
    statuses = {r.control.id: r.status for r in Evaluator([foreign, own]).evaluate(estate, [error], NOW)}
    assert statuses == {"f": Status.ERROR, "own": Status.PASS}  # `own` reads neither the attribute nor a fact
