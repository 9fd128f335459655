"""pcicheck's own Checkov checks (controls/checkov/policies) judged by the pinned Checkov, through the shim
pcicheck runs it with (so an UNKNOWN verdict is kept), on cases that mirror the live control
aws-ec2-sg-no-world-database-ports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pcicheck.iac.checkov_env import venv_dir
from pcicheck.iac.checkov_shim import UNKNOWN_MARK
from pcicheck.iac.mapping import load_mapping, policies_dir
from pcicheck.iac.runner import SHIM, checkov_env, interpreter

CASES = Path(__file__).parent / "policy_cases"


def _verdicts(checkov_cache: Path, tmp_path: Path, checks: str) -> dict[tuple[str, str], str]:
    checkov = venv_dir({"PCICHECK_CACHE": str(checkov_cache)}) / "bin" / "checkov"
    done = subprocess.run(
        [
            interpreter(str(checkov)) or "python3",
            str(SHIM),
            str(checkov),
            "--directory",
            ".",
            "--framework",
            "terraform",
            "--output",
            "json",
            "--skip-download",
            "--external-checks-dir",
            str(policies_dir()),
            "--check",
            checks,
        ],
        cwd=CASES,
        env=checkov_env({"PATH": "/usr/bin:/bin"}, str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-500:]
    results = json.loads(done.stdout)["results"]
    verdicts = {
        (r["check_id"], r["resource"]): r["check_result"]["result"]
        for key in ("passed_checks", "failed_checks")
        for r in results[key]
    }
    for r in results["skipped_checks"]:
        assert r["check_result"].get("suppress_comment") == UNKNOWN_MARK, r  # nothing else is skipped here
        verdicts[r["check_id"], r["resource"]] = "UNKNOWN"
    return verdicts


def test_world_open_database_ports(checkov_cache: Path, tmp_path: Path) -> None:
    verdicts = _verdicts(checkov_cache, tmp_path, "CKV2_PCICHECK_1,CKV2_PCICHECK_2,CKV2_PCICHECK_3")
    assert verdicts == {
        ("CKV2_PCICHECK_1", "aws_security_group.open_pg"): "FAILED",
        ("CKV2_PCICHECK_1", "aws_security_group.v6_range"): "FAILED",  # 1024-65535 covers Redis, over IPv6
        ("CKV2_PCICHECK_1", "aws_security_group.all"): "FAILED",  # protocol -1
        ("CKV2_PCICHECK_1", "aws_security_group.open_https_private_pg"): "PASSED",  # port and source in one block
        ("CKV2_PCICHECK_1", "aws_security_group.none"): "PASSED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.open_mysql"): "FAILED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.open_https"): "PASSED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.egress_all"): "PASSED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.private_redis"): "PASSED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.open_mongo"): "FAILED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.all_v6"): "FAILED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.https"): "PASSED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.private_pg"): "PASSED",
        # protocol = -1 as a number
        ("CKV2_PCICHECK_1", "aws_security_group.all_numeric"): "FAILED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.all_numeric"): "FAILED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.all_numeric"): "FAILED",
        # What Checkov could not resolve decides nothing: unknown (pcicheck's `error`), unless the rest does.
        ("CKV2_PCICHECK_1", "aws_security_group.unresolved_source_pg"): "UNKNOWN",
        ("CKV2_PCICHECK_1", "aws_security_group.unresolved_source_https"): "PASSED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.unresolved_port"): "UNKNOWN",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.unresolved_port_private"): "PASSED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.unresolved_protocol"): "UNKNOWN",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.unresolved_protocol_pg"): "FAILED",
    }


def test_numeric_all_traffic_protocol_missed_by_ckv_aws_277_is_failed_by_pcichecks_policies(
    checkov_cache: Path, tmp_path: Path
) -> None:
    """Checkov's CKV_AWS_277 (world-open all traffic) compares the protocol with the string "-1", so a rule
    written `protocol = -1` passes it. pcicheck's own policies fail the same rules (all traffic includes
    every database port), under a superset of CKV_AWS_277's requirements: the blind spot is covered."""
    verdicts = _verdicts(checkov_cache, tmp_path, "CKV_AWS_277,CKV2_PCICHECK_1,CKV2_PCICHECK_2,CKV2_PCICHECK_3")
    numeric = {k: v for k, v in verdicts.items() if k[1].endswith(".all_numeric")}
    assert numeric == {
        ("CKV_AWS_277", "aws_security_group.all_numeric"): "PASSED",  # the blind spot
        ("CKV_AWS_277", "aws_security_group_rule.all_numeric"): "PASSED",
        ("CKV_AWS_277", "aws_vpc_security_group_ingress_rule.all_numeric"): "PASSED",
        ("CKV2_PCICHECK_1", "aws_security_group.all_numeric"): "FAILED",
        ("CKV2_PCICHECK_2", "aws_security_group_rule.all_numeric"): "FAILED",
        ("CKV2_PCICHECK_3", "aws_vpc_security_group_ingress_rule.all_numeric"): "FAILED",
    }
    mapping = load_mapping()
    covered = mapping.checks["CKV_AWS_277"].requirements
    for own in ("CKV2_PCICHECK_1", "CKV2_PCICHECK_2", "CKV2_PCICHECK_3"):
        for framework, procedures in covered.items():
            assert set(procedures) <= set(mapping.checks[own].requirements[framework])
