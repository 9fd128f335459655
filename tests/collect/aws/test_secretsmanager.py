"""Secrets Manager collector against the moto server: metadata only, rotation on vs off."""

from __future__ import annotations

from typing import Any

import pytest

from pcicheck.collect.aws.interface import FAILED, iso
from pcicheck.collect.aws.services.secretsmanager import SPEC, SPECS, _rotation_days
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "ap-southeast-2"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VALUE = "s3cr3t-value-that-must-never-appear"


def test_secrets_with_and_without_rotation(client: Any, run_service: Any) -> None:
    sm = client("secretsmanager", REGION)
    rotated = sm.create_secret(
        Name="payments/db",
        Description="card vault db credentials",
        SecretString=VALUE,
        KmsKeyId=KEY,
        Tags=[{"Key": "Name", "Value": "vault-db"}, {"Key": "pci", "Value": "cde"}],
    )["ARN"]
    # moto accepts rotation without a Lambda (AWS requires one); the metadata is what is read.
    sm.rotate_secret(SecretId="payments/db", RotationRules={"AutomaticallyAfterDays": 30})
    plain = sm.create_secret(Name="legacy/api-key", SecretString=VALUE)["ARN"]

    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    assert calls == {"secretsmanager:ListSecrets": 1}
    by_uid = {r.uid: r for r in resources}
    listed = {s["ARN"]: s for s in sm.list_secrets()["SecretList"]}

    on = by_uid[rotated]
    assert on.type == "aws.secretsmanager.secret"
    assert on.name == "vault-db"
    assert on.tags == {"Name": "vault-db", "pci": "cde"}
    assert on.source == ("secretsmanager:ListSecrets",)
    assert on.attributes == {
        "arn": rotated,
        "description": "card vault db credentials",
        "kms_key_id": KEY,
        "rotation_enabled": True,
        "rotation_days": 30,
        "last_rotated_date": iso(listed[rotated].get("LastRotatedDate")),
        "next_rotation_date": iso(listed[rotated]["NextRotationDate"]),
        "last_accessed_date": None,
        "created_date": iso(listed[rotated]["CreatedDate"]),
    }
    assert on.attributes["next_rotation_date"].endswith("Z")
    assert on.attributes["last_rotated_date"].endswith("Z")

    off = by_uid[plain]
    assert off.name == "legacy/api-key"
    assert off.attributes == {
        "arn": plain,
        "description": "",
        "kms_key_id": None,
        "rotation_enabled": False,
        "rotation_days": None,
        "last_rotated_date": None,
        "next_rotation_date": None,
        "last_accessed_date": None,
        "created_date": iso(listed[plain]["CreatedDate"]),
    }
    assert set(resource_types()["aws.secretsmanager.secret"].attributes) == set(on.attributes)
    assert violations(on) == []  # kinds and nullability as declared
    assert VALUE not in repr([r.to_dict() for r in resources])
    assert SPECS == (SPEC,)


def test_never_reads_secret_values() -> None:
    assert SPEC.permissions == ("secretsmanager:ListSecrets",)
    assert not any("GetSecretValue" in p or "DescribeSecret" in p for p in SPEC.permissions)


@pytest.mark.parametrize(
    ("rules", "days"),
    [
        ({}, None),
        ({"AutomaticallyAfterDays": 90}, 90),
        ({"ScheduleExpression": "rate(10 days)"}, 10),
        ({"ScheduleExpression": "rate(1 day)"}, 1),
        ({"ScheduleExpression": "rate(4 hours)"}, 1),
        ({"ScheduleExpression": "rate(36 hours)"}, 2),
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)"}, FAILED),  # not one number: left absent
    ],
)
def test_rotation_days_from_rules(rules: dict[str, Any], days: Any) -> None:
    found = _rotation_days({"RotationRules": rules} if rules else {})
    assert found is FAILED if days is FAILED else found == days
