"""pcicheck's own Checkov policies (controls/checkov/policies) judged by the pinned Checkov on cases
that mirror the live control aws-ec2-sg-no-world-database-ports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pcicheck.iac.checkov_env import venv_dir
from pcicheck.iac.mapping import policies_dir
from pcicheck.iac.runner import checkov_env

CASES = Path(__file__).parent / "policy_cases"


def test_world_open_database_ports(checkov_cache: Path, tmp_path: Path) -> None:
    checkov = venv_dir({"PCICHECK_CACHE": str(checkov_cache)}) / "bin" / "checkov"
    done = subprocess.run(
        [
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
            "CKV2_PCICHECK_1,CKV2_PCICHECK_2,CKV2_PCICHECK_3",
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
    }
