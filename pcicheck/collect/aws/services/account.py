"""Account-wide settings (aws.account): the IAM password policy, S3 Block Public Access and, from
the IAM account summary, whether the root user has MFA and access keys; from the list of virtual
MFA devices, whether the root user's MFA is a virtual one.

One resource per account, with region '' because neither setting belongs to a region.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.collect.aws.services.s3 import public_access_block
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.account",
    "Account-wide settings (one per account, region '')",
    account_id="string: 12-digit account id",
    password_policy="map?: {minimum_length, require_symbols, require_numbers, require_uppercase, require_lowercase, "
    "max_age_days (int|null), reuse_prevention (int|null), expire_passwords, allow_users_to_change}; null when the "
    "account has no policy",
    s3_public_access_block="map?: {block_public_acls, ignore_public_acls, block_public_policy, "
    "restrict_public_buckets}; null when not configured",
    root_mfa_enabled="bool: the root user has an MFA device (IAM account summary AccountMFAEnabled)",
    root_access_keys_present="bool: the root user has access keys (AccountAccessKeysPresent)",
    root_virtual_mfa="bool: a virtual (authenticator app) MFA device is assigned to the root user "
    "(ListVirtualMFADevices; only serial numbers and assigned users are read)",
)

# S3 Control's GetPublicAccessBlock reads the account-level setting, which IAM authorises as
# s3:GetAccountPublicAccessBlock (ctx.action names the call "s3:GetPublicAccessBlock", after the signing
# name: the same string as the bucket-level call).
RENAMED_ACTIONS: dict[tuple[str, str], str] = {("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock"}


def collect(ctx: CollectContext) -> Iterator[Resource]:
    uid = f"aws://{ctx.account}"
    reads = ResourceReads(ctx, uid, TYPE.name)
    iam = ctx.client("iam")
    policy = reads.get(iam, "get_account_password_policy", ("password_policy",), absent=("NoSuchEntity",))
    summary = reads.get(iam, "get_account_summary", _ROOT)
    root_virtual = _root_virtual_mfa(
        reads.all_pages(
            iam, "list_virtual_mfa_devices", "VirtualMFADevices", ("root_virtual_mfa",), AssignmentStatus="Assigned"
        )
    )
    s3control = ctx.client("s3control")
    pab = reads.get(
        s3control,
        "get_public_access_block",
        ("s3_public_access_block",),
        absent=("NoSuchPublicAccessBlockConfiguration",),
        AccountId=ctx.account,
    )
    yield reads.resource(
        ctx.account,
        {
            "account_id": ctx.account,
            "password_policy": policy if policy is FAILED else _password_policy(policy),
            "s3_public_access_block": pab if pab is FAILED else public_access_block(pab),
            **_root(summary),
            "root_virtual_mfa": root_virtual,
        },
        region="",
    )


_ROOT = ("root_mfa_enabled", "root_access_keys_present")


def _root(summary: Any) -> dict[str, Any]:
    """The root user's MFA and access keys, as the IAM account summary counts them (the same
    figures the credential report's root row gives, without generating a report)."""
    if summary is FAILED:
        return dict.fromkeys(_ROOT, FAILED)
    counts = summary.get("SummaryMap") or {}
    # Both keys are always in the summary; one missing is unknown, never "no".
    return {
        "root_mfa_enabled": counts["AccountMFAEnabled"] == 1 if "AccountMFAEnabled" in counts else FAILED,
        "root_access_keys_present": int(counts["AccountAccessKeysPresent"]) > 0
        if "AccountAccessKeysPresent" in counts
        else FAILED,
    }


# The name AWS gives the device when the root user enrols an authenticator app from the console.
_ROOT_DEVICE_SUFFIX = ":mfa/root-account-mfa-device"


def _root_virtual_mfa(devices: Any) -> Any:
    """Whether an assigned virtual MFA device belongs to the root user.

    ListVirtualMFADevices does not return device seeds (only CreateVirtualMFADevice does), but its
    entries share a shape with fields that can hold them; only the serial number and the assigned
    user's ARN are looked at, and the entries are dropped here, so nothing else reaches a snapshot."""
    if devices is FAILED:
        return FAILED
    refs = [(str(d.get("SerialNumber") or ""), str((d.get("User") or {}).get("Arn") or "")) for d in devices]
    devices.clear()
    return any(user.endswith(":root") or serial.endswith(_ROOT_DEVICE_SUFFIX) for serial, user in refs)


def _password_policy(response: dict[str, Any] | None) -> dict[str, Any] | None:
    if response is None:
        return None
    policy = response.get("PasswordPolicy") or {}
    max_age = policy.get("MaxPasswordAge")
    reuse = policy.get("PasswordReusePrevention")
    return {
        # IAM's documented default when the field is left out is 6 characters.
        "minimum_length": int(policy.get("MinimumPasswordLength") or 6),
        "require_symbols": bool(policy.get("RequireSymbols", False)),
        "require_numbers": bool(policy.get("RequireNumbers", False)),
        "require_uppercase": bool(policy.get("RequireUppercaseCharacters", False)),
        "require_lowercase": bool(policy.get("RequireLowercaseCharacters", False)),
        "max_age_days": int(max_age) if max_age else None,
        "reuse_prevention": int(reuse) if reuse else None,
        "expire_passwords": bool(policy.get("ExpirePasswords", False)),
        "allow_users_to_change": bool(policy.get("AllowUsersToChangePassword", False)),
    }


SPEC = ServiceSpec(
    name="account",
    client="iam",
    regional=False,
    types=(TYPE,),
    permissions=(
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:ListVirtualMFADevices",
        "s3:GetAccountPublicAccessBlock",
    ),
    collect=collect,
    renamed_actions=RENAMED_ACTIONS,
)
