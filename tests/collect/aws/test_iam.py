"""IAM users, customer-managed policies and account settings against the moto server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.collect.aws.services import account, iam
from pcicheck.collect.aws.services.iam import allows_full_admin, redact_key_id
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
STAR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NARROW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::cards/*"}],
}


def run_with_hooks(
    aws: Any, spec: ServiceSpec, hooks: dict[str, Callable[..., Any]] | None = None
) -> tuple[list[Any], CollectContext]:
    """Collect with botocore event hooks on every client: how a test makes one call fail or
    answer with data moto cannot hold (old dates, AWS-managed policies)."""

    def make_client(name: str, region: str) -> Any:
        client = boto3.client(name, region_name=region, endpoint_url=aws.endpoint)
        if name == "s3control":
            # botocore puts the account id in front of the host ("123456789012.127.0.0.1"),
            # which only resolves on AWS; the emulator serves it on its own host.
            client.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
        for event, handler in (hooks or {}).items():
            client.meta.events.register(event, handler)
        return client

    ctx = CollectContext(spec=spec, account=ACCOUNT, region="us-east-1", partition="aws", make_client=make_client)
    return list(spec.collect(ctx)), ctx


def _strip_account_prefix(request: Any, **_: Any) -> None:
    request.url = request.url.replace(f"//{ACCOUNT}.", "//", 1)


def deny(operation: str, message: str = "not authorized", **match: str) -> Callable[..., None]:
    """A `before-parameter-build` hook refusing the call (optionally only for matching parameters)."""

    def handler(params: dict[str, Any], **_: Any) -> None:
        if all(params.get(k) == v for k, v in match.items()):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": message}}, operation)

    return handler


def by_uid(resources: list[Any]) -> dict[str, Any]:
    return {r.uid: r for r in resources}


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def policy_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def seed_estate(client: Any) -> dict[str, str]:
    c = client("iam")
    star = c.create_policy(PolicyName="star", PolicyDocument=json.dumps(STAR))["Policy"]["Arn"]
    narrow = c.create_policy(PolicyName="narrow", PolicyDocument=json.dumps(NARROW))["Policy"]["Arn"]

    # alice: console password, no MFA, an access key, one harmless inline policy
    c.create_user(UserName="alice", Tags=[{"Key": "Name", "Value": "Alice A."}, {"Key": "team", "Value": "pay"}])
    c.create_login_profile(UserName="alice", Password="Correct-Horse-Battery-9")
    key_id = c.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    c.put_user_policy(UserName="alice", PolicyName="read-cards", PolicyDocument=json.dumps(NARROW))

    # bob: API only, MFA on, admin through a group's customer-managed policy
    c.create_user(UserName="bob")
    device = c.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    c.enable_mfa_device(UserName="bob", SerialNumber=device, AuthenticationCode1="123456", AuthenticationCode2="654321")
    c.create_group(GroupName="admins")
    c.attach_group_policy(GroupName="admins", PolicyArn=star)
    c.add_user_to_group(GroupName="admins", UserName="bob")

    # carol: a narrow managed policy directly and a group with a narrow inline policy
    c.create_user(UserName="carol")
    c.attach_user_policy(UserName="carol", PolicyArn=narrow)
    c.create_group(GroupName="readers")
    c.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=json.dumps(NARROW))
    c.add_user_to_group(GroupName="readers", UserName="carol")
    return {"key_id": key_id, "star": star, "narrow": narrow}


def test_users_and_policies(client: Any, aws: Any) -> None:
    seeded = seed_estate(client)
    created = datetime(2020, 1, 1, tzinfo=UTC)
    used = datetime(2020, 2, 1, 8, 30, tzinfo=UTC)

    def old_key(parsed: dict[str, Any], **_: Any) -> None:
        # moto stamps keys with the current time; AWS would report a key made years ago.
        for meta in parsed["AccessKeyMetadata"]:
            meta["CreateDate"] = created

    def last_used(parsed: dict[str, Any], **_: Any) -> None:
        parsed["AccessKeyLastUsed"]["LastUsedDate"] = used

    resources, ctx = run_with_hooks(
        aws,
        iam.SPEC,
        {"after-call.iam.ListAccessKeys": old_key, "after-call.iam.GetAccessKeyLastUsed": last_used},
    )

    assert ctx.errors == []
    found = by_uid(resources)
    assert set(found) == {user_arn(n) for n in ("alice", "bob", "carol")} | {seeded["star"], seeded["narrow"]}

    alice = found[user_arn("alice")]
    assert (alice.type, alice.region, alice.name) == ("aws.iam.user", "", "Alice A.")
    assert alice.tags == {"Name": "Alice A.", "team": "pay"}
    assert alice.attributes == {
        "user_name": "alice",
        "arn": user_arn("alice"),
        "create_date": alice.attributes["create_date"],
        "password_last_used": None,
        "console_access": True,
        "mfa_enabled": False,
        "access_keys": [
            {
                "id": "****" + seeded["key_id"][-4:],
                "status": "Active",
                "create_date": "2020-01-01T00:00:00Z",
                "last_used_date": "2020-02-01T08:30:00Z",
            }
        ],
        "attached_policies": [],
        "inline_policies": ["read-cards"],
        "groups": [],
        "admin": False,
    }
    assert set(alice.attributes) == set(resource_types()["aws.iam.user"].attributes)
    assert violations(alice) == []  # kinds and nullability as declared

    bob = found[user_arn("bob")].attributes
    assert (bob["console_access"], bob["mfa_enabled"], bob["access_keys"]) == (False, True, [])
    assert (bob["groups"], bob["attached_policies"], bob["admin"]) == (["admins"], [], True)
    assert "iam:GetPolicyVersion" in found[user_arn("bob")].source  # the group's policy document

    carol = found[user_arn("carol")].attributes
    assert (carol["attached_policies"], carol["groups"], carol["admin"]) == (
        [seeded["narrow"]],
        ["readers"],
        False,
    )

    star = found[seeded["star"]]
    assert (star.type, star.name, star.region) == ("aws.iam.policy", "star", "")
    assert star.attributes == {
        "policy_name": "star",
        "arn": seeded["star"],
        "attachment_count": 1,
        "document": STAR,
        "allows_full_admin": True,
    }
    assert set(star.attributes) == set(resource_types()["aws.iam.policy"].attributes)
    assert violations(star) == []  # kinds and nullability as declared
    assert found[seeded["narrow"]].attributes["allows_full_admin"] is False
    assert star.source == ("iam:GetPolicyVersion", "iam:ListPolicies")

    # Each shared document is read once, though the policy resource and bob's group both need it.
    assert ctx.calls["iam:GetPolicyVersion"] == 2
    assert ctx.calls["iam:ListAttachedGroupPolicies"] == 2
    assert "iam:GetPolicy" not in ctx.calls


def test_no_full_access_key_id_anywhere(client: Any, run_service: Any) -> None:
    seeded = seed_estate(client)

    resources, errors, _ = run_service(iam.SPEC)

    assert errors == []
    dumped = json.dumps([r.to_dict() for r in resources])
    assert seeded["key_id"] not in dumped
    assert redact_key_id(seeded["key_id"]) in dumped


def test_aws_administrator_access_counts_without_being_read(client: Any, aws: Any) -> None:
    c = client("iam")
    c.create_user(UserName="dave")
    c.create_group(GroupName="ops")
    c.add_user_to_group(GroupName="ops", UserName="dave")

    def attach_admin(parsed: dict[str, Any], **_: Any) -> None:
        # moto server does not load AWS-managed policies, so one cannot be attached for real.
        parsed["AttachedPolicies"] = [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ARN}]

    resources, ctx = run_with_hooks(aws, iam.SPEC, {"after-call.iam.ListAttachedGroupPolicies": attach_admin})

    assert ctx.errors == []
    [dave] = resources
    assert dave.attributes["admin"] is True
    # moto would answer NoSuchEntity for it: no read of AdministratorAccess was attempted.
    assert "iam:GetPolicy" not in ctx.calls and "iam:GetPolicyVersion" not in ctx.calls


def test_other_aws_managed_policy_is_read_through_get_policy(client: Any, aws: Any) -> None:
    c = client("iam")
    c.create_user(UserName="erin")
    c.attach_user_policy(
        UserName="erin",
        PolicyArn=c.create_policy(PolicyName="tmp", PolicyDocument=json.dumps(NARROW))["Policy"]["Arn"],
    )
    power_user = "arn:aws:iam::aws:policy/PowerUserAccess"

    def attach_power_user(parsed: dict[str, Any], **_: Any) -> None:
        parsed["AttachedPolicies"] = [{"PolicyName": "PowerUserAccess", "PolicyArn": power_user}]

    resources, ctx = run_with_hooks(aws, iam.SPEC, {"after-call.iam.ListAttachedUserPolicies": attach_power_user})

    erin = by_uid(resources)[user_arn("erin")]
    # moto does not hold AWS-managed policies, so the read fails: admin is unknown, not False.
    assert "admin" not in erin.attributes
    assert erin.attributes["attached_policies"] == [power_user]
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation, error.code) == (
        user_arn("erin"),
        ("admin",),
        "GetPolicy",
        "NoSuchEntity",
    )


def test_denied_mfa_listing_is_absent_and_recorded(client: Any, aws: Any) -> None:
    seed_estate(client)

    resources, ctx = run_with_hooks(
        aws, iam.SPEC, {"before-parameter-build.iam.ListMFADevices": deny("ListMFADevices", UserName="bob")}
    )

    found = by_uid(resources)
    assert "mfa_enabled" not in found[user_arn("bob")].attributes
    assert found[user_arn("alice")].attributes["mfa_enabled"] is False
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation, error.code, error.resource_types) == (
        user_arn("bob"),
        ("mfa_enabled",),
        "ListMFADevices",
        "AccessDenied",
        ("aws.iam.user",),
    )


def test_failed_key_read_drops_the_list_and_redacts_the_message(client: Any, aws: Any) -> None:
    seeded = seed_estate(client)
    key_id = seeded["key_id"]

    resources, ctx = run_with_hooks(
        aws,
        iam.SPEC,
        {
            "before-parameter-build.iam.GetAccessKeyLastUsed": deny(
                "GetAccessKeyLastUsed", f"The Access Key with id {key_id} cannot be read"
            )
        },
    )

    alice = by_uid(resources)[user_arn("alice")]
    assert "access_keys" not in alice.attributes  # a partial list could hide the stale key
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (user_arn("alice"), ("access_keys",))
    assert key_id not in error.message
    assert redact_key_id(key_id) in error.message


def test_failed_group_read_makes_admin_unknown_for_each_member(client: Any, aws: Any) -> None:
    seeded = seed_estate(client)
    c = client("iam")
    c.create_user(UserName="frank")
    c.add_user_to_group(GroupName="admins", UserName="frank")
    c.create_user(UserName="grace")
    c.add_user_to_group(GroupName="admins", UserName="grace")
    c.attach_user_policy(UserName="grace", PolicyArn=seeded["star"])

    resources, ctx = run_with_hooks(
        aws,
        iam.SPEC,
        {"before-parameter-build.iam.ListAttachedGroupPolicies": deny("ListAttachedGroupPolicies", GroupName="admins")},
    )

    found = by_uid(resources)
    assert "admin" not in found[user_arn("bob")].attributes
    assert "admin" not in found[user_arn("frank")].attributes
    # grace's own policy settles it: one known full-admin grant makes her admin whatever the group holds.
    assert found[user_arn("grace")].attributes["admin"] is True
    assert found[user_arn("carol")].attributes["admin"] is False
    assert sorted((e.resource_uid, e.attributes) for e in ctx.errors) == [
        (user_arn(n), ("admin",)) for n in ("bob", "frank", "grace")
    ]
    assert {e.operation for e in ctx.errors} == {"ListAttachedGroupPolicies"}
    # One read per group (admins, readers): the failed one is not retried for each member.
    assert ctx.calls["iam:ListAttachedGroupPolicies"] == 2


def test_failed_policy_document_is_absent_for_policy_and_users(client: Any, aws: Any) -> None:
    seeded = seed_estate(client)

    resources, ctx = run_with_hooks(
        aws,
        iam.SPEC,
        {"before-parameter-build.iam.GetPolicyVersion": deny("GetPolicyVersion", PolicyArn=seeded["star"])},
    )

    found = by_uid(resources)
    assert not {"document", "allows_full_admin"} & set(found[seeded["star"]].attributes)
    assert found[seeded["narrow"]].attributes["allows_full_admin"] is False
    assert "admin" not in found[user_arn("bob")].attributes
    assert sorted((e.resource_uid, e.attributes) for e in ctx.errors) == sorted(
        [(seeded["star"], ("document", "allows_full_admin")), (user_arn("bob"), ("admin",))]
    )


def test_listing_failure_raises_for_the_runner(client: Any, aws: Any) -> None:
    seed_estate(client)
    with pytest.raises(ClientError):
        run_with_hooks(aws, iam.SPEC, {"before-parameter-build.iam.ListUsers": deny("ListUsers")})


def test_iam_permissions_cover_every_call(client: Any, aws: Any) -> None:
    seed_estate(client)
    c = client("iam")
    c.create_user(UserName="erin")

    def power_user(parsed: dict[str, Any], params: dict[str, Any] | None = None, **_: Any) -> None:
        parsed["AttachedPolicies"] = [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
        ]

    _, ctx = run_with_hooks(aws, iam.SPEC, {"after-call.iam.ListAttachedUserPolicies": power_user})

    assert set(ctx.calls) == set(iam.SPEC.permissions)  # every action exercised and declared


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:*", "*:*"], "Resource": ["*"]}, True),
        (
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
            True,
        ),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::cards"}, False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
    ],
)
def test_allows_full_admin(statement: dict[str, Any], expected: bool) -> None:
    assert allows_full_admin({"Version": "2012-10-17", "Statement": statement}) is expected
    assert allows_full_admin({"Version": "2012-10-17", "Statement": [statement]}) is expected


# -- aws.account ------------------------------------------------------------------------------


def test_account_without_password_policy_or_public_access_block(aws: Any) -> None:
    [resource], ctx = run_with_hooks(aws, account.SPEC)

    assert ctx.errors == []
    assert (resource.uid, resource.type, resource.region, resource.name) == (
        f"aws://{ACCOUNT}",
        "aws.account",
        "",
        ACCOUNT,
    )
    assert resource.attributes == {
        "account_id": ACCOUNT,
        "password_policy": None,
        "s3_public_access_block": None,
        "root_mfa_enabled": False,
        "root_access_keys_present": False,
        "root_virtual_mfa": False,
    }
    assert set(resource.attributes) == set(resource_types()["aws.account"].attributes)
    assert violations(resource) == []  # kinds and nullability as declared
    assert resource.source == (
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices",
        "s3:GetPublicAccessBlock",
    )


def test_account_with_password_policy_and_public_access_block(client: Any, aws: Any) -> None:
    client("iam").update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=False,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=4,
    )
    s3control = client("s3control")
    s3control.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
    s3control.put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )

    [resource], ctx = run_with_hooks(aws, account.SPEC)

    assert ctx.errors == []
    assert resource.attributes == {
        "account_id": ACCOUNT,
        "password_policy": {
            "minimum_length": 14,
            "require_symbols": True,
            "require_numbers": True,
            "require_uppercase": True,
            "require_lowercase": False,
            "max_age_days": 90,
            "reuse_prevention": 4,
            "expire_passwords": True,
            "allow_users_to_change": True,
        },
        "s3_public_access_block": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": False,
        },
        "root_mfa_enabled": False,
        "root_access_keys_present": False,
        "root_virtual_mfa": False,
    }


def test_account_summary_denied_leaves_root_unknown(aws: Any) -> None:
    [resource], ctx = run_with_hooks(
        aws, account.SPEC, {"before-parameter-build.iam.GetAccountSummary": deny("GetAccountSummary")}
    )

    assert "root_mfa_enabled" not in resource.attributes
    assert "root_access_keys_present" not in resource.attributes
    assert resource.attributes["password_policy"] is None
    [error] = ctx.errors
    assert (error.attributes, error.operation) == (
        ("root_mfa_enabled", "root_access_keys_present"),
        "GetAccountSummary",
    )


def test_account_settings_fail_closed(aws: Any) -> None:
    [resource], ctx = run_with_hooks(
        aws,
        account.SPEC,
        {"before-parameter-build.iam.GetAccountPasswordPolicy": deny("GetAccountPasswordPolicy")},
    )

    assert "password_policy" not in resource.attributes
    assert resource.attributes["s3_public_access_block"] is None
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.operation, error.resource_types) == (
        f"aws://{ACCOUNT}",
        ("password_policy",),
        "GetAccountPasswordPolicy",
        ("aws.account",),
    )


def test_unreachable_s3control_endpoint_is_recorded(run_service: Any) -> None:
    """The shared fixture's plain clients hit botocore's account-prefixed s3control host, which
    does not resolve against an emulator: the attribute must come out absent, with an error."""
    [resource], errors, _ = run_service(account.SPEC)

    assert resource.attributes["password_policy"] is None
    assert "s3_public_access_block" not in resource.attributes
    [error] = errors
    assert (error.resource_uid, error.attributes, error.operation) == (
        f"aws://{ACCOUNT}",
        ("s3_public_access_block",),
        "GetPublicAccessBlock",
    )


def test_account_permissions_are_the_iam_actions() -> None:
    assert account.SPEC.permissions == (
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices",
        "s3:GetAccountPublicAccessBlock",
    )
    # The one call IAM knows under another name: S3 Control's account-level public access block.
    assert account.SPEC.renamed_actions == {("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock"}


ROOT_DEVICE = f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _root_enrolled(parsed: dict[str, Any], **_: Any) -> None:
    """What moto cannot hold: MFA on the root user (AccountMFAEnabled) ..."""
    parsed["SummaryMap"]["AccountMFAEnabled"] = 1


def _root_virtual_device(parsed: dict[str, Any], **_: Any) -> None:
    """... and a virtual device assigned to it, answered with a seed as a defensive worst case."""
    parsed["VirtualMFADevices"].append(
        {
            "SerialNumber": ROOT_DEVICE,
            "Base32StringSeed": SEED.encode(),
            "QRCodePNG": b"\x89PNG-not-a-real-image",
            "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserId": ACCOUNT, "UserName": "", "Path": "/"},
            "EnableDate": datetime(2024, 1, 1, tzinfo=UTC),
        }
    )


def test_root_with_a_virtual_device_is_seen_and_no_seed_is_kept(client: Any, aws: Any) -> None:
    # A user's assigned virtual device (moto's answer carries its seed) is not the root's.
    seed_estate(client)
    [resource], ctx = run_with_hooks(
        aws,
        account.SPEC,
        {
            "after-call.iam.GetAccountSummary": _root_enrolled,
            "after-call.iam.ListVirtualMFADevices": _root_virtual_device,
        },
    )
    assert ctx.errors == []
    assert resource.attributes["root_mfa_enabled"] is True
    assert resource.attributes["root_virtual_mfa"] is True
    dumped = json.dumps(resource.attributes, default=str)
    assert SEED not in dumped and "PNG" not in dumped and ROOT_DEVICE not in dumped


def test_only_a_users_virtual_device_is_not_the_roots(client: Any, aws: Any) -> None:
    seed_estate(client)
    listed: list[dict[str, Any]] = []

    def keep(parsed: dict[str, Any], **_: Any) -> None:
        listed.extend(parsed["VirtualMFADevices"])

    [resource], ctx = run_with_hooks(aws, account.SPEC, {"after-call.iam.ListVirtualMFADevices": keep})
    assert ctx.errors == []
    assert [d["User"]["UserName"] for d in listed] == ["bob"]  # the listing did see a device
    assert "Base32StringSeed" in listed[0]  # moto answers with the seed: the worst case is exercised
    assert resource.attributes["root_virtual_mfa"] is False


def test_root_virtual_mfa_found_by_user_arn_alone() -> None:
    devices = [
        {"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/my-phone", "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root"}}
    ]
    assert account._root_virtual_mfa(devices) is True
    assert devices == []  # the entries are dropped once judged
    assert account._root_virtual_mfa([{"SerialNumber": ROOT_DEVICE}]) is True
    assert account._root_virtual_mfa([{"SerialNumber": "x", "User": {"Arn": user_arn("root-admin")}}]) is False


def test_virtual_mfa_listing_denied_leaves_it_unknown(aws: Any) -> None:
    [resource], ctx = run_with_hooks(
        aws, account.SPEC, {"before-parameter-build.iam.ListVirtualMFADevices": deny("ListVirtualMFADevices")}
    )
    assert "root_virtual_mfa" not in resource.attributes
    assert resource.attributes["root_mfa_enabled"] is False
    [error] = ctx.errors
    assert (error.attributes, error.operation, error.code) == (
        ("root_virtual_mfa",),
        "ListVirtualMFADevices",
        "AccessDenied",
    )
