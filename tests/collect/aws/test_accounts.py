"""Many accounts in one emulator: moto files what an assumed role creates under the role's account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.aws.accounts import AccountTarget, load_accounts_file
from pcicheck.demo.emulator import Emulator, patched_environ
from pcicheck.errors import InputError
from pcicheck.snapshot import read_snapshot
from tests.support.faultproxy import Fault, fault_proxy

A, B, DENIED = "111111111111", "222222222222", "333333333333"


def role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/audit"


def as_account(endpoint: str, account: str, name: str) -> Any:
    creds = boto3.client("sts", endpoint_url=endpoint).assume_role(RoleArn=role(account), RoleSessionName="seed")[
        "Credentials"
    ]
    return boto3.client(
        name,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def two_accounts(aws: Emulator) -> Emulator:
    for account in (A, B):
        as_account(aws.endpoint, account, "s3").create_bucket(Bucket=f"ledger-{account}")
        as_account(aws.endpoint, account, "iam").create_user(UserName=f"ops-{account}")
    return aws


def test_accounts_file_scans_each_and_a_denied_one_is_an_error(
    two_accounts: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        f"accounts:\n  - {role(A)}\n  - account: '{B}'\n    role: audit\n    external_id: x-1\n"
        f"  - role_arn: {role(DENIED)}\n"
    )
    out = tmp_path / "snap.json"
    faults = [Fault("AssumeRole", "deny", match=DENIED)]
    with fault_proxy(two_accounts.endpoint, faults) as (proxy, log), patched_environ({"AWS_ENDPOINT_URL": proxy}):
        code = main(
            ["collect", "--aws", "--regions", "us-east-1", "--accounts", str(accounts), "--quiet", "-o", str(out)]
        )
    assert code == 3 and log.denied == ["AssumeRole"]
    snap = read_snapshot(out)
    buckets = {r.account: r.name for r in snap.resources if r.type == "aws.s3.bucket"}
    assert buckets == {A: f"ledger-{A}", B: f"ledger-{B}"}
    users = {(r.account, r.name) for r in snap.resources if r.type == "aws.iam.user"}
    assert {(A, f"ops-{A}"), (B, f"ops-{B}")} <= users
    [failed] = [e for e in snap.errors if e.account == DENIED]
    assert (failed.operation, failed.code) == ("AssumeRole", "AccessDenied")
    assert "aws.s3.bucket" in failed.resource_types
    ident = snap.identity["aws"]
    assert [a["account"] for a in ident["accounts"]] == [A, B, DENIED]
    assert "error" in ident["accounts"][2] and snap.request["aws"]["accounts"] == [A, B, DENIED]

    # Evaluated: each result carries its account; the unreadable account's controls are `error`.
    capsys.readouterr()
    main(["evaluate", str(out), "--quiet", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    encryption = [r for r in results_doc.results(doc) if r["control"] == "aws-s3-bucket-default-encryption"]
    by_account = {r["resource"]["account"]: r["status"] for r in encryption}
    assert by_account[DENIED] == "error" and by_account[A] != "error" and by_account[B] != "error"
    assert "AccessDenied" in next(r["message"] for r in encryption if r["resource"]["account"] == DENIED)


def test_role_arn_scans_the_roles_account(two_accounts: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    code = main(
        [
            *("collect", "--aws", "--regions", "us-east-1", "--role-arn", role(A)),
            *("--session-name", "audit-2026", "--external-id", "x-1", "--quiet", "-o", str(out)),
        ]
    )
    snap = read_snapshot(out)
    assert code in (0, 3)
    assert snap.identity["aws"]["account"] == A
    assert snap.request["aws"]["role_arn"] == role(A)
    assert {r.name for r in snap.resources if r.type == "aws.s3.bucket"} == {f"ledger-{A}"}


def test_organization_members_through_the_org_role(aws: Emulator, tmp_path: Path) -> None:
    org = boto3.client("organizations", region_name="us-east-1", endpoint_url=aws.endpoint)
    org.create_organization(FeatureSet="ALL")
    members = [
        org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(2)
    ]
    for account in members:
        as_account(aws.endpoint, account, "s3").create_bucket(Bucket=f"member-{account}")
    boto3.client("s3", endpoint_url=aws.endpoint).create_bucket(Bucket="management")
    out = tmp_path / "snap.json"
    main(
        [
            *("collect", "--aws", "--regions", "us-east-1", "--org-role", "audit"),
            *("--max-accounts-parallel", "2", "--quiet", "-o", str(out)),
        ]
    )
    snap = read_snapshot(out)
    buckets = {r.name: r.account for r in snap.resources if r.type == "aws.s3.bucket"}
    assert buckets == {"management": "123456789012", **{f"member-{a}": a for a in members}}
    roles = {a.get("role_arn") for a in snap.identity["aws"]["accounts"]}
    assert roles == {None, *(role(a) for a in members)}


def test_accounts_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("- arn:aws:iam::12:user/x\n")
    with pytest.raises(InputError, match="not a role ARN"):
        load_accounts_file(bad)
    good = tmp_path / "b.yaml"
    good.write_text(f"- {role(A)}\n- {{account: {B}, role: audit, session_name: s}}\n")
    assert load_accounts_file(good) == [
        AccountTarget(role_arn=role(A)),
        AccountTarget(role_arn=role(B), session_name="s"),
    ]
    assert main(["collect", "--aws", "--accounts", str(good), "--org-role", "x", "-o", str(tmp_path / "s")]) == 2
