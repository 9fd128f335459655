"""Many AWS accounts in one scan: a role to assume in each, from a file or AWS Organizations.

Each account is collected by `collect_aws` exactly as a single account is; accounts run in a
bounded pool. An account that cannot be read at all (the role cannot be assumed, its regions cannot
be listed) becomes one CollectionError for every resource type, so its controls are `error` with the
cause, and the other accounts go on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.collect.aws.interface import error_code, error_message
from pcicheck.collect.aws.runner import (
    AccountFailed,
    AwsOptions,
    ProgressHook,
    _boto_config,
    _identity,
    _session,
    assume_role,
    collect_aws,
    service_specs,
)
from pcicheck.collect.aws.shard import EVERY_REGION, Partition, Shard, account_regions, recorded_units
from pcicheck.errors import CollectionFailed, InputError
from pcicheck.model import CollectionError, Snapshot
from pcicheck.redact import redact_value
from pcicheck.yamlfile import LineDict, load_documents

DEFAULT_MAX_ACCOUNTS_PARALLEL = 4


@dataclass(frozen=True)
class AccountTarget:
    """One account to scan. No role: the caller's own credentials (e.g. the Organizations
    management account itself)."""

    role_arn: str | None = None
    external_id: str | None = None
    session_name: str | None = None

    @property
    def account(self) -> str:
        """The account id in the role ARN (arn:aws:iam::111111111111:role/audit), or '' for the caller."""
        if not self.role_arn:
            return ""
        parts = self.role_arn.split(":")
        return parts[4] if len(parts) > 5 else ""


def role_arn(account: str, role: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role.removeprefix('/')}"


def _valid_role_arn(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4].isdigit() and "role/" in parts[5]


def load_accounts_file(path: Path) -> list[AccountTarget]:
    """The accounts file: a YAML list (or `accounts:` holding one) whose items are a role ARN, or a
    mapping with `role_arn` (or `account` and `role`) and optional `external_id` and `session_name`."""
    docs = load_documents(path)
    if len(docs) != 1:
        raise InputError("expected one YAML document listing accounts", path=str(path), line=1)
    items = docs[0].get("accounts") if isinstance(docs[0], dict) else docs[0]
    if not isinstance(items, list) or not items:
        raise InputError(
            "no accounts listed",
            path=str(path),
            line=getattr(docs[0], "line", 1),
            fix="a list of role ARNs, or of {account, role} / {role_arn, external_id} mappings",
        )
    targets: list[AccountTarget] = []
    for item in items:
        line = item.line if isinstance(item, LineDict) else getattr(docs[0], "line", 1)
        if isinstance(item, str):
            item = {"role_arn": item}
        if not isinstance(item, dict):
            raise InputError("an account must be a role ARN or a mapping", path=str(path), line=line)
        unknown = set(item) - {"role_arn", "account", "role", "external_id", "session_name"}
        if unknown:
            raise InputError(
                f"unknown key {sorted(unknown)[0]!r}",
                path=str(path),
                line=line,
                fix="keys: role_arn, account, role, external_id, session_name",
            )
        arn = item.get("role_arn")
        if arn is None and item.get("account") is not None and item.get("role"):
            arn = role_arn(str(item["account"]).zfill(12), str(item["role"]))
        if not isinstance(arn, str) or not _valid_role_arn(arn):
            raise InputError(
                f"not a role ARN: {arn!r}",
                path=str(path),
                line=line,
                fix="role_arn: arn:aws:iam::111111111111:role/NAME, or account: 111111111111 with role: NAME",
            )
        targets.append(
            AccountTarget(
                role_arn=arn,
                external_id=str(item["external_id"]) if item.get("external_id") else None,
                session_name=str(item["session_name"]) if item.get("session_name") else None,
            )
        )
    return list(dict.fromkeys(targets))


def organization_targets(session: Any, config: Any, role: str, caller: dict[str, Any]) -> list[AccountTarget]:
    """Every ACTIVE account of the organization: members through `role`, the caller's own account
    (the management account, where that role usually does not exist) with the caller's credentials."""
    import botocore.exceptions

    try:
        org = session.client("organizations", region_name="us-east-1", config=config)
        accounts = [a for page in org.get_paginator("list_accounts").paginate() for a in page.get("Accounts", [])]
    except botocore.exceptions.ClientError as exc:
        raise CollectionFailed(
            f"cannot list the organization's accounts: {error_code(exc)}: {error_message(exc)}",
            fix="run from the management (or a delegated administrator) account, or pass --accounts FILE",
        ) from None
    targets = []
    for a in sorted(accounts, key=lambda a: str(a["Id"])):
        if a.get("Status", "ACTIVE") != "ACTIVE":
            continue
        if str(a["Id"]) == caller["account"]:
            targets.append(AccountTarget())
        else:
            targets.append(AccountTarget(role_arn=role_arn(str(a["Id"]), role, caller["partition"])))
    return targets


def _failed_account(target: AccountTarget, exc: CollectionFailed, services: tuple[str, ...] | None) -> CollectionError:
    types = sorted({t for s in service_specs() if services is None or s.name in services for t in s.resource_types})
    return CollectionError(
        provider="aws",
        account=target.account,
        region="",
        service="sts",
        operation=getattr(exc, "operation", "") or "AssumeRole",
        code=getattr(exc, "code", "") or "CollectionFailed",
        message=exc.message,
        resource_types=tuple(types),
    )


def collect_accounts(
    options: AwsOptions,
    *,
    accounts_file: Path | None = None,
    org_role: str | None = None,
    max_parallel: int = DEFAULT_MAX_ACCOUNTS_PARALLEL,
    progress: ProgressHook | None = None,
    targets: Sequence[AccountTarget] | None = None,
    shard: Shard | None = None,
) -> Snapshot:
    """Every account of the file (or of the organization, or `targets`), merged into one snapshot;
    with `shard`, only that shard's units of them (shard.py), the partition recorded in
    `request.aws.shard`.

    `options.role_arn`, when given, is the hub role assumed first; the accounts' roles are then
    assumed from it."""
    started = datetime.now(UTC)
    session = _session(options)
    config = _boto_config(options)
    if options.role_arn:
        session = assume_role(session, config, options)
    # Credentials are checked once here: with none at all, every account would fail the same way.
    caller = _identity(session, config)
    if targets is None:
        if accounts_file is not None:
            targets = load_accounts_file(accounts_file)
        elif org_role:
            targets = organization_targets(session, config, org_role, caller)
        else:
            raise InputError("no accounts to scan", fix="pass --accounts FILE or --org-role NAME")
    if not targets:
        raise CollectionFailed("the organization lists no active accounts")
    partition = shard_partition(shard, targets, caller, options) if shard else None
    runs = _account_runs(targets, caller, options, partition)

    def one(run: tuple[AccountTarget, AwsOptions]) -> Snapshot | CollectionError:
        target, per = run
        try:
            return collect_aws(per, progress, session=session)
        except AccountFailed as exc:
            failed = _failed_account(target, exc, options.services)
            return failed if failed.account else dataclasses.replace(failed, account=caller["account"])

    with ThreadPoolExecutor(max_workers=max(1, min(max_parallel, len(runs)))) as pool:
        outcomes = list(pool.map(one, runs))
    snapshot = merge_accounts(outcomes, [t for t, _ in runs], caller, options, started)
    if partition is None:
        return snapshot
    request = {**snapshot.request, "aws": {**snapshot.request["aws"], "shard": partition.record()}}
    return dataclasses.replace(snapshot, request=request)


def shard_partition(
    shard: Shard, targets: Sequence[AccountTarget], caller: dict[str, Any], options: AwsOptions
) -> Partition:
    """The deal of every target's units over the shards, and the options the shards must agree on."""
    accounts = [t.account or caller["account"] for t in targets]
    regions = list(dict.fromkeys(options.regions)) or [EVERY_REGION]
    agreed = {
        "regions": regions,
        "services": sorted(options.services) if options.services is not None else None,
        "hub_role": options.role_arn,
        "session_name": options.session_name,
        "roles": {a: t.role_arn for a, t in zip(accounts, targets, strict=True)},
    }
    return Partition(shard, tuple(recorded_units(accounts, regions)), tuple(accounts), agreed)


def _account_runs(
    targets: Sequence[AccountTarget], caller: dict[str, Any], options: AwsOptions, partition: Partition | None
) -> list[tuple[AccountTarget, AwsOptions]]:
    """Each account to read, with its options: all of every account, or this shard's units of them."""
    plan = account_regions(partition.mine) if partition else None
    runs = []
    for target in targets:
        per = dataclasses.replace(
            options,
            role_arn=target.role_arn,
            external_id=target.external_id,
            session_name=target.session_name or options.session_name,
        )
        if plan is not None:
            account = target.account or caller["account"]
            if account not in plan:
                continue
            has_global, regions = plan[account]
            per = dataclasses.replace(
                per,
                regions=regions or (),
                global_services=has_global,
                regional_services=regions is None or bool(regions),
            )
        runs.append((target, per))
    return runs


def merge_accounts(
    outcomes: Sequence[Snapshot | CollectionError],
    targets: Sequence[AccountTarget],
    caller: dict[str, Any],
    options: AwsOptions,
    started: datetime,
) -> Snapshot:
    """One AWS snapshot of several accounts. `identity.aws` keeps the single-account keys (account,
    arn, …) for readers that know only those — `account` lists every account scanned — and adds
    `accounts`, one entry per account (with `error` for an account that could not be read)."""
    snaps = [o for o in outcomes if isinstance(o, Snapshot)]
    entries: list[dict[str, Any]] = []
    for target, outcome in zip(targets, outcomes, strict=True):
        if isinstance(outcome, Snapshot):
            entries.append({**outcome.identity["aws"], **({"role_arn": target.role_arn} if target.role_arn else {})})
        else:
            entries.append({"account": outcome.account, "role_arn": target.role_arn, "error": outcome.message})
    regions = list(dict.fromkeys(r for s in snaps for r in s.request["aws"]["regions"])) or list(options.regions)
    calls: dict[str, int] = {}
    for s in snaps:
        for k, v in s.calls.items():
            calls[k] = calls.get(k, 0) + v
    errors = [e for s in snaps for e in s.errors] + [o for o in outcomes if isinstance(o, CollectionError)]
    errors.sort(key=lambda e: (e.account, e.region, e.service, e.resource_uid or "", e.operation))
    return Snapshot(
        tool_version=__version__,
        created_at=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        request={
            "providers": ["aws"],
            "aws": {
                "profile": options.profile,
                "regions": regions,
                "services": sorted({n for s in snaps for n in s.request["aws"]["services"]}),
                "accounts": [e["account"] for e in entries],
            },
        },
        identity={
            "aws": redact_value({**caller, "account": ", ".join(e["account"] for e in entries), "accounts": entries})
        },
        resources=tuple(sorted((r for s in snaps for r in s.resources), key=lambda r: r.uid)),
        errors=tuple(errors),
        calls=calls,
    )


@dataclass(frozen=True)
class AccountSelection:
    """The CLI's account options: one account (the caller's, or `role_arn`'s), or many."""

    role_arn: str | None = None
    external_id: str | None = None
    session_name: str | None = None
    accounts_file: Path | None = None
    org_role: str | None = None
    max_parallel: int = DEFAULT_MAX_ACCOUNTS_PARALLEL

    def __post_init__(self) -> None:
        if self.accounts_file and self.org_role:
            raise InputError("--accounts and --org-role both list accounts", fix="pass one of them")
        if self.max_parallel < 1:
            raise InputError("--max-accounts-parallel must be at least 1")
        if self.role_arn and not _valid_role_arn(self.role_arn):
            raise InputError(f"--role-arn: not a role ARN: {self.role_arn!r}", fix="arn:aws:iam::ACCOUNT:role/NAME")

    @property
    def many(self) -> bool:
        return bool(self.accounts_file or self.org_role)


def collect_selected(
    selection: AccountSelection,
    *,
    profile: str | None,
    regions: tuple[str, ...],
    services: tuple[str, ...] | None = None,
    progress: ProgressHook | None = None,
    shard: Shard | None = None,
) -> Snapshot:
    """One account or many, as `selection` asks; with `shard`, that shard's part of them."""
    options = AwsOptions(
        profile=profile,
        regions=regions,
        role_arn=selection.role_arn,
        external_id=selection.external_id,
        session_name=selection.session_name,
        services=services,
    )
    if not selection.many:
        if shard is None:
            return collect_aws(options, progress)
        # One account's regions over several shards: the account is the one target, not a hub.
        one = AccountTarget(selection.role_arn, selection.external_id, selection.session_name)
        return collect_accounts(
            dataclasses.replace(options, role_arn=None, external_id=None), targets=[one], progress=progress, shard=shard
        )
    if selection.accounts_file is not None:
        load_accounts_file(selection.accounts_file)  # a typo fails before any credentials are tried
    return collect_accounts(
        options,
        accounts_file=selection.accounts_file,
        org_role=selection.org_role,
        max_parallel=selection.max_parallel,
        progress=progress,
        shard=shard,
    )
