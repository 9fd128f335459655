"""KMS keys (aws.kms.key), customer- and AWS-managed, in every state.

Keys pending deletion or awaiting import are still listed: a key that is about to vanish is
exactly what an auditor asks about (data encrypted under it becomes unreadable).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    iso,
    tag_map,
)
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.kms.key",
    "KMS key (customer- and AWS-managed)",
    key_id="string: key id",
    arn="string: key ARN",
    manager="string?: 'CUSTOMER'|'AWS'",
    state="string?: 'Creating'|'Enabled'|'Disabled'|'PendingDeletion'|'PendingImport'|'PendingReplicaDeletion'"
    "|'Unavailable'|'Updating'",
    key_spec="string?: e.g. 'SYMMETRIC_DEFAULT'",
    key_usage="string?: e.g. 'ENCRYPT_DECRYPT'",
    origin="string?: 'AWS_KMS'|'EXTERNAL'|'AWS_CLOUDHSM'|'EXTERNAL_KEY_STORE'",
    description="string",
    creation_date="timestamp?",
    multi_region="bool",
    rotation_enabled="bool?: null for asymmetric/HMAC keys, where rotation is not supported, and for keys pending "
    "deletion or import",
    rotation_period_days="int?: days between automatic rotations; when rotation is on and KMS leaves it out, its "
    "documented default, 365, recorded in the resource's `defaulted`",
    next_rotation_date="timestamp?",
    aliases="list: alias names ('alias/…')",
)

_DESCRIBED = (
    "manager",
    "state",
    "key_spec",
    "key_usage",
    "origin",
    "description",
    "creation_date",
    "multi_region",
    "rotation_enabled",
    "rotation_period_days",
    "next_rotation_date",
)
_ROTATION = ("rotation_enabled", "rotation_period_days", "next_rotation_date")

# KMS refuses GetKeyRotationStatus outside these states (KMSInvalidStateException).
_ROTATION_STATES = ("Enabled", "Disabled")

# AWS rotates AWS-managed keys yearly and does not let this be changed.
_AWS_MANAGED_PERIOD_DAYS = 365
# GetKeyRotationStatus: "RotationPeriodInDays … The default value is 365 days."
_DOCUMENTED_PERIOD_DAYS = 365


def collect(ctx: CollectContext) -> Iterator[Resource]:
    kms = ctx.client()
    keys = list(ctx.pages(kms, "list_keys", "Keys"))
    aliases, alias_failure = _aliases(ctx, kms)
    for key in keys:
        yield _key(ctx, kms, key, aliases, alias_failure)


def _aliases(ctx: CollectContext, kms: Any) -> tuple[dict[str, list[str]], BaseException | None]:
    """One ListAliases per region, mapped to key ids. A failure only costs the `aliases`
    attribute of each key, so it is kept and recorded per key rather than sinking the listing."""
    by_key: dict[str, list[str]] = {}
    try:
        for alias in ctx.pages(kms, "list_aliases", "Aliases"):
            # Predefined AWS aliases have no target until a service first uses them.
            if alias.get("TargetKeyId"):
                by_key.setdefault(str(alias["TargetKeyId"]), []).append(str(alias["AliasName"]))
    except Exception as exc:  # botocore raises many unrelated classes; the error code decides
        return {}, exc
    return {k: sorted(v) for k, v in by_key.items()}, None


def _key(
    ctx: CollectContext,
    kms: Any,
    key: dict[str, Any],
    aliases: dict[str, list[str]],
    alias_failure: BaseException | None,
) -> Resource:
    key_id = str(key["KeyId"])
    uid = str(key.get("KeyArn") or f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account}:key/{key_id}")
    reads = ResourceReads(ctx, uid, TYPE.name, {ctx.action(kms, "list_keys")})
    attributes: dict[str, Any] = {"key_id": key_id, "arn": uid}
    defaulted: dict[str, str] = {}

    if alias_failure is None:
        reads.source.add(ctx.action(kms, "list_aliases"))
        key_aliases: list[str] = aliases.get(key_id, [])
        attributes["aliases"] = key_aliases
    else:
        key_aliases = []
        ctx.record_error(kms, "list_aliases", alias_failure, resource_type=TYPE.name, uid=uid, attributes=("aliases",))

    described = reads.get(kms, "describe_key", _DESCRIBED, KeyId=key_id)
    metadata: dict[str, Any] = {} if described is FAILED else described.get("KeyMetadata") or {}
    if described is FAILED:
        attributes.update(dict.fromkeys(_DESCRIBED, FAILED))
    else:
        attributes.update(
            {
                # DescribeKey always reports these; one it leaves out is unknown (absent), never null,
                # which `manager == "CUSTOMER"` would read as "not a customer key" and skip.
                "manager": metadata.get("KeyManager", FAILED),
                "state": metadata.get("KeyState", FAILED),
                "key_spec": _spec(metadata),
                "key_usage": metadata.get("KeyUsage", FAILED),
                "origin": metadata.get("Origin", FAILED),
                "description": metadata.get("Description") or "",
                "creation_date": iso(metadata.get("CreationDate")),
                "multi_region": bool(metadata.get("MultiRegion", False)),
            }
        )
        attributes.update(_rotation(reads, kms, key_id, metadata, defaulted))

    tags: dict[str, str] = {}
    # AWS-managed keys cannot carry tags; only ask when the key may have some.
    if metadata.get("KeyManager") != "AWS":
        listed = reads.all_pages(kms, "list_resource_tags", "Tags", ("tags",), KeyId=key_id)
        if listed is not FAILED:
            tags = tag_map(listed, key="TagKey", value="TagValue")

    fallback = key_aliases[0] if key_aliases else key_id
    resource = reads.resource(fallback, attributes, tags)
    return replace(resource, defaulted={k: v for k, v in defaulted.items() if k in resource.attributes})


def _spec(metadata: dict[str, Any]) -> Any:
    return metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec") or FAILED


# Why a value is AWS's documented one rather than one the API sent (recorded in the snapshot, shown as evidence).
_PERIOD_DEFAULT = (
    "GetKeyRotationStatus did not report RotationPeriodInDays; the KMS API reference documents "
    "'The default value is 365 days'"
)
_AWS_MANAGED_ROTATION = (
    "AWS-managed key: KMS rotates it every year and the period cannot be changed (KMS developer guide, "
    "'AWS managed keys'); GetKeyRotationStatus did not report it"
)


def _aws_managed_rotation(reads: ResourceReads, kms: Any, key_id: str, defaulted: dict[str, str]) -> dict[str, Any]:
    # Reading an AWS-managed key's status can be refused by its key policy; AWS rotates
    # those keys every year regardless, so a refusal is not a gap in the evidence.
    status = reads.get(kms, "get_key_rotation_status", _ROTATION, absent=("AccessDeniedException",), KeyId=key_id)
    if status is FAILED:
        return dict.fromkeys(_ROTATION, FAILED)
    status = status or {}
    if "KeyRotationEnabled" not in status:
        defaulted["rotation_enabled"] = _AWS_MANAGED_ROTATION
    if status.get("RotationPeriodInDays") is None:
        defaulted["rotation_period_days"] = _AWS_MANAGED_ROTATION
    return {
        "rotation_enabled": bool(status.get("KeyRotationEnabled", True)),
        "rotation_period_days": int(status.get("RotationPeriodInDays") or _AWS_MANAGED_PERIOD_DAYS),
        "next_rotation_date": iso(status.get("NextRotationDate")),
    }


def _rotation(
    reads: ResourceReads, kms: Any, key_id: str, metadata: dict[str, Any], defaulted: dict[str, str]
) -> dict[str, Any]:
    manager = metadata.get("KeyManager")
    spec = _spec(metadata)
    state = metadata.get("KeyState")
    if manager is None or spec is FAILED or state is None:
        # Whether the key can rotate at all depends on what DescribeKey left out: unknown.
        return dict.fromkeys(_ROTATION, FAILED)
    if spec != "SYMMETRIC_DEFAULT" or state not in _ROTATION_STATES:
        # Asymmetric and HMAC keys cannot rotate; a key that is pending deletion or import
        # has no rotation to report (KMS refuses the call in those states).
        return dict.fromkeys(_ROTATION)

    if manager == "AWS":
        return _aws_managed_rotation(reads, kms, key_id, defaulted)

    # Imported key material and custom key stores answer UnsupportedOperationException:
    # read, and automatic rotation is not on.
    status = reads.get(
        kms, "get_key_rotation_status", _ROTATION, absent=("UnsupportedOperationException",), KeyId=key_id
    )
    if status is FAILED:
        return dict.fromkeys(_ROTATION, FAILED)
    if status is None:
        return {"rotation_enabled": False, "rotation_period_days": None, "next_rotation_date": None}
    enabled = status.get("KeyRotationEnabled")
    if not isinstance(enabled, bool):
        # No documented default: whether the key rotates is unknown, and so is its period.
        return dict.fromkeys(_ROTATION, FAILED)
    period = status.get("RotationPeriodInDays")
    if enabled and period is None:
        period = _DOCUMENTED_PERIOD_DAYS
        defaulted["rotation_period_days"] = _PERIOD_DEFAULT
    return {
        "rotation_enabled": enabled,
        "rotation_period_days": int(period) if period is not None else None,
        "next_rotation_date": iso(status.get("NextRotationDate")),
    }


SPEC = ServiceSpec(
    name="kms",
    client="kms",
    regional=True,
    types=(TYPE,),
    permissions=(
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:ListAliases",
        "kms:ListKeys",
        "kms:ListResourceTags",
    ),
    collect=collect,
)
