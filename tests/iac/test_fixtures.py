"""The planted misconfigurations in fixtures/iac and their clean counterparts, through `pcicheck iac`
with the pinned Checkov from the cache: the exact findings, not counts (counts drift between releases)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.iac.checkov_env import CHECKOV_VERSION
from tests.iac.conftest import FIXTURES, failures, run_iac_in, statuses

TF_BAD = {
    # unencrypted storage
    ("ckv-aws-3", "iac://main.tf#aws_ebs_volume.ledger"),
    ("ckv-aws-3", "iac://main.tf#aws_ebs_volume.scratch"),  # despite its inline checkov:skip
    ("ckv-aws-16", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv-aws-145", "iac://main.tf#aws_s3_bucket.card_exports"),
    # world-open security group: SSH (Checkov's own check) and databases (pcicheck's policies)
    ("ckv-aws-24", "iac://main.tf#aws_security_group.db"),
    ("ckv2-pcicheck-1", "iac://main.tf#aws_security_group.db"),
    ("ckv2-pcicheck-3", "iac://main.tf#aws_vpc_security_group_ingress_rule.mysql_world"),
    # KMS key without rotation
    ("ckv-aws-7", "iac://main.tf#aws_kms_key.payments"),
    # what else the same resources get wrong
    ("ckv-aws-17", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv-aws-129", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv-aws-161", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv-aws-226", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv-aws-18", "iac://main.tf#aws_s3_bucket.card_exports"),
    ("ckv-aws-18", "iac://main.tf#aws_s3_bucket.acme_statements"),
    ("ckv2-aws-6", "iac://main.tf#aws_s3_bucket.card_exports"),
    ("ckv2-aws-6", "iac://main.tf#aws_s3_bucket.acme_statements"),
    # mapped since the mapping covers every check: Postgres query logging, an explicit key policy, and a
    # lifecycle (retention) configuration on buckets
    ("ckv2-aws-30", "iac://main.tf#aws_db_instance.card_vault"),
    ("ckv2-aws-64", "iac://main.tf#aws_kms_key.payments"),
    ("ckv2-aws-61", "iac://main.tf#aws_s3_bucket.acme_statements"),
    ("ckv2-aws-61", "iac://main.tf#aws_s3_bucket.card_exports"),
}

K8S_BAD = {
    # privileged pod, by Checkov and by pcicheck's own control
    ("ckv-k8s-16", "iac://checkout.yaml#Deployment.checkout.card-api"),
    ("k8s-workload-no-privileged", "k8s://iac/checkout/Deployment/card-api"),
    ("ckv-k8s-20", "iac://checkout.yaml#Deployment.checkout.card-api"),
    ("k8s-workload-no-privilege-escalation", "k8s://iac/checkout/Deployment/card-api"),
    # a CDE namespace without any NetworkPolicy
    ("ckv2-k8s-6", "iac://checkout.yaml#Pod.checkout.card-api.app-card-api"),
    ("k8s-namespace-default-deny-ingress", "k8s://iac/_cluster/Namespace/checkout"),
    ("k8s-cde-workload-not-internet-reachable", "k8s://iac/checkout/Deployment/card-api"),
    ("k8s-cde-workload-egress-allowlisted", "k8s://iac/checkout/Deployment/card-api"),
    ("k8s-cde-namespace-pod-security-enforced", "k8s://iac/_cluster/Namespace/checkout"),
}


@pytest.fixture(scope="module")
def tf_bad(checkov_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("tf-bad")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCICHECK_CACHE", str(checkov_cache))
        mp.delenv("PCICHECK_CHECKOV", raising=False)
        code, doc = run_iac_in(out, FIXTURES / "terraform" / "bad", "--out", str(out / "pack"))
    return code, doc, out


def test_terraform_bad_exact_findings(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    code, doc, _ = tf_bad
    assert code == 1
    assert failures(doc) == TF_BAD
    assert not statuses(doc, "error")


def test_checkov_from_the_cache_is_named_in_the_results(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, doc, _ = tf_bad
    iac = doc["snapshot"]["request"]["iac"]
    assert iac["checkov"]["source"] == "cache"
    assert iac["checkov"]["version"] == CHECKOV_VERSION
    assert iac["checkov"]["path"].endswith(f"checkov-{CHECKOV_VERSION}/bin/checkov")
    assert doc["snapshot"]["identity"]["iac"] == {"checkov": f"{CHECKOV_VERSION} (cache)"}
    assert iac["unmapped"]["failed"]["CKV_AWS_21"] == 2  # versioning: not PCI, so not judged, but not hidden either


def test_unmapped_failures_are_listed_with_file_and_line(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, doc, out = tf_bad
    unmapped = doc["snapshot"]["request"]["iac"]["unmapped"]
    versioning = [f for f in unmapped["findings"] if f["check"] == "CKV_AWS_21"]
    assert versioning == [
        {
            "check": "CKV_AWS_21",
            "title": "Ensure all data stored in the S3 bucket have versioning enabled",
            "resource": f"aws_s3_bucket.{name}",
            "file": "fixtures/iac/terraform/bad/main.tf",
            "line": line,
            "check_type": "terraform",
            "outcome": "failed",
            "excluded_because": "availability or resilience (backups, replication, versioning, multi-AZ, deletion "
            "protection, failover, caching, capacity): no PCI DSS requirement asks for it",
        }
        for name, line in (("card_exports", 15), ("acme_statements", 72))
    ]
    # One finding per failure counted, in a stable order, and none of them a mapped check.
    assert len(unmapped["findings"]) == sum(unmapped["failed"].values()) and unmapped["findings_left_out"] == 0
    keys = [(f["check"], f["file"], f["line"], f["resource"]) for f in unmapped["findings"]]
    assert keys == sorted(keys)
    assert not {f"ckv-{f['check'].lower().replace('_', '-')}" for f in unmapped["findings"]} & {
        r["control"] for r in results_doc.results(doc)
    }
    section = (out / "pack" / "index.html").read_text().split('<section id="unmapped">')[1].split("</section>")[0]
    assert "<td>Ensure all data stored in the S3 bucket have versioning enabled</td>" in section
    assert '<td class="mono">fixtures/iac/terraform/bad/main.tf:72</td>' in section
    assert section.count("<tr>") == len(unmapped["findings"]) + 1  # and the heading row


def test_inline_skip_is_ignored_and_reported(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, doc, _ = tf_bad
    (scratch,) = [
        r
        for r in results_doc.results(doc)
        if r["resource"]["uid"].endswith("aws_ebs_volume.scratch") and r["control"] == "ckv-aws-3"
    ]
    assert scratch["control"] == "ckv-aws-3" and scratch["status"] == "fail"
    assert scratch["evidence"]["inline_skip"] == "scratch space, nothing sensitive"
    assert "pcicheck ignores inline suppressions" in scratch["message"]
    found = doc["snapshot"]["request"]["iac"]["inline_suppressions"]["found"]
    assert found == [
        {
            "file": "fixtures/iac/terraform/bad/main.tf",
            "line": 89,
            "checks": ["CKV_AWS_3"],
            "comment": "scratch space, nothing sensitive",
        }
    ]


def test_results_carry_pci_mapping_severity_and_location(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, doc, _ = tf_bad
    (kms,) = [r for r in results_doc.results(doc) if r["control"] == "ckv-aws-7"]
    assert kms["severity"] == "high"
    assert kms["requirements"] == {"pci-dss-3.2.1": ["3.6.4.b"], "pci-dss-4.0.1": ["3.7.4.b"]}
    assert kms["resource"]["location"] == {"file": "fixtures/iac/terraform/bad/main.tf", "line": 9}
    assert kms["resource"]["type"] == "iac.terraform"
    assert kms["evidence"]["evaluated_keys"] == ["enable_key_rotation"]
    (bucket,) = [r for r in statuses(doc, "fail") if r["control"] == "ckv-aws-145"]
    assert bucket["resource"]["scope"] == "cde"  # tagged pci-scope=cde, as the live scope selector reads it
    by_id = {q["id"]: q for q in doc["requirements"]}
    assert by_id["3.7.4"]["outcome"] == "not_in_place"


def test_evidence_never_holds_source_code(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, _, out = tf_bad
    text = (out / "results.json").read_text()
    assert "code_block" not in text
    assert 'resource "aws_' not in text
    assert "tillpoint-card-exports" not in text and "vpc-0123456789abcdef0" not in text  # values from the code


def test_evidence_pack_and_sarif_point_at_the_terraform(tf_bad: tuple[int, dict[str, Any], Path]) -> None:
    _, _, out = tf_bad
    pack = out / "pack"
    assert {"index.html", "results.json", "evidence.csv", "manifest.json"} <= {p.name for p in pack.iterdir()}
    assert main(["report", str(pack), "--format", "sarif", "--output", str(out / "results.sarif"), "-q"]) == 0
    sarif = json.loads((out / "results.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"].startswith("ckv")
    }
    assert uris == {"fixtures/iac/terraform/bad/main.tf"}


def test_terraform_good_has_no_finding(iac_env: Path, tmp_path: Path) -> None:
    code, doc = run_iac_in(tmp_path, FIXTURES / "terraform" / "good")
    assert code == 0
    assert not failures(doc) and not statuses(doc, "error")
    passed = {r["control"] for r in statuses(doc, "pass")}
    assert {"ckv-aws-3", "ckv-aws-16", "ckv-aws-145", "ckv-aws-7", "ckv-aws-24", "ckv2-pcicheck-1"} <= passed
    assert "ckv2-pcicheck-3" in passed
    # what bad/main.tf fails since the mapping covers every check, passed by the clean counterpart: query
    # logging through a parameter group (which then has to force TLS itself), a lifecycle on each bucket, and
    # an explicit key policy that the key-policy check reads (no wildcard principal)
    assert {"ckv2-aws-30", "ckv2-aws-69", "ckv2-aws-61", "ckv2-aws-64", "ckv-aws-33"} <= passed
    lifecycle = {r["resource"]["uid"] for r in statuses(doc, "pass") if r["control"] == "ckv2-aws-61"}
    assert lifecycle == {"iac://main.tf#aws_s3_bucket.logs", "iac://main.tf#aws_s3_bucket.card_exports"}


def test_kubernetes_bad_exact_findings_by_checkov_and_pcicheck(iac_env: Path, tmp_path: Path) -> None:
    code, doc = run_iac_in(tmp_path, FIXTURES / "k8s" / "bad")
    assert code == 1
    assert failures(doc) == K8S_BAD
    assert not statuses(doc, "error")
    (ns,) = [r for r in results_doc.results(doc) if r["control"] == "k8s-namespace-default-deny-ingress"]
    assert ns["resource"]["location"] == {"file": "fixtures/iac/k8s/bad/checkout.yaml", "line": 3}
    assert doc["snapshot"]["request"]["providers"] == ["iac", "manifests"]
    # Checkov's findings take the scope of the namespace they are declared in, as pcicheck's own do
    assert {r["resource"]["scope"] for r in statuses(doc, "fail")} == {"cde"}


def test_kubernetes_good_has_no_finding(iac_env: Path, tmp_path: Path) -> None:
    # The site's approved registry (the control has no default: without it, the scan is incomplete).
    config = tmp_path / "pcicheck.yaml"
    config.write_text("params:\n  k8s-workload-image-allowed-registry: {registries: [registry.example.com/]}\n")
    code, doc = run_iac_in(tmp_path, FIXTURES / "k8s" / "good", "--config", str(config))
    assert code == 0
    assert not failures(doc) and not statuses(doc, "error")
    passed = {r["control"] for r in statuses(doc, "pass")}
    assert {"ckv-k8s-16", "ckv2-k8s-6", "k8s-workload-no-privileged", "k8s-namespace-default-deny-ingress"} <= passed
