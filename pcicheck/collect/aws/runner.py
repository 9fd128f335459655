"""Runs every AWS service collector across regions, concurrently, and assembles a snapshot.

boto3 is imported here, not at module import of the CLI, so `pcicheck --help` stays instant.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pcicheck import __version__
from pcicheck.collect.aws import services
from pcicheck.collect.aws.endpoint import custom_endpoint, pin_s3control_host
from pcicheck.collect.aws.interface import CollectContext, ServiceSpec, error_code, error_message
from pcicheck.errors import CollectionFailed
from pcicheck.model import CollectionError, Resource, Snapshot
from pcicheck.redact import redact_snapshot

MAX_WORKERS = 16
GLOBAL_REGION = "us-east-1"


def service_specs() -> list[ServiceSpec]:
    """Every collector: the specs of each module of `pcicheck.collect.aws.services` (its SPECS, else
    its SPEC), so adding a service is adding a module. Modules come in name order (pkgutil sorts
    them); nothing recorded depends on it: resources are sorted by uid, errors by account, region,
    service, uid and operation, calls by action, and the IAM policy and collection plans sort or
    only test membership. Only the order of the live progress rows on a terminal follows it."""
    return list(_discovered_specs())


@cache
def _discovered_specs() -> tuple[ServiceSpec, ...]:
    specs: list[ServiceSpec] = []
    for info in pkgutil.iter_modules(services.__path__, f"{services.__name__}."):
        module = importlib.import_module(info.name)
        found = getattr(module, "SPECS", None) or ((module.SPEC,) if hasattr(module, "SPEC") else ())
        if not found:
            # Loud, not skipped: a collector whose spec is misnamed would otherwise never run.
            raise ValueError(f"{info.name} declares no SPEC or SPECS")
        specs.extend(found)
    names = [s.name for s in specs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"AWS collectors declared twice: {', '.join(duplicated)}")
    return tuple(specs)


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()  # empty: every region enabled for the account
    # Assume this role before reading anything (the scanned account is the role's).
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str | None = None
    # The ServiceSpec names to run (see plan.py); None runs every collector.
    services: tuple[str, ...] | None = None
    # None: PCICHECK_AWS_READ_TIMEOUT / PCICHECK_AWS_RETRIES, else 60 s and 10 retries. Tests and
    # the fault benchmark shorten them so a held connection costs a second, not minutes.
    read_timeout: float | None = None
    retries: int | None = None  # after the first attempt (botocore's retries.max_attempts)
    # Which collectors run: a shard (shard.py) may hold an account's global unit, some of its regions, or both.
    global_services: bool = True
    regional_services: bool = True


@dataclass(frozen=True)
class ServiceProgress:
    """One service × region task of one account finished (or, with done=0, was planned)."""

    account: str
    service: str
    region: str
    done: int  # tasks of this service finished in this account
    total: int  # tasks of this service in this account
    resources: int  # resources this task found


ProgressHook = Callable[[ServiceProgress], None]

DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_RETRIES = 10
DEFAULT_SESSION_NAME = "pcicheck"


class AccountFailed(CollectionFailed):
    """One account could not be read at all; in a many-account scan it becomes that account's
    CollectionError (with the API operation and error code) and the other accounts go on."""

    def __init__(self, message: str, *, operation: str, code: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.operation = operation
        self.code = code


def _env_number(name: str, default: float, *, least: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = float("nan")
    if not value >= least or value == float("inf"):  # NaN compares false
        raise CollectionFailed(
            f"{name}={raw!r} is not a number of at least {least:g}", fix=f"unset {name} or give a number"
        ) from None
    return value


def _boto_config(options: AwsOptions | None = None) -> Any:
    from botocore.config import Config

    options = options or AwsOptions()
    read_timeout = options.read_timeout or _env_number("PCICHECK_AWS_READ_TIMEOUT", DEFAULT_READ_TIMEOUT, least=0.1)
    retries = options.retries or int(_env_number("PCICHECK_AWS_RETRIES", DEFAULT_RETRIES, least=0))
    # Adaptive mode backs off on throttling across threads sharing a client's rate limiter.
    return Config(
        retries={"mode": "adaptive", "max_attempts": retries},
        connect_timeout=min(10.0, read_timeout),
        read_timeout=read_timeout,
        max_pool_connections=MAX_WORKERS,
        user_agent_extra=f"pcicheck/{__version__}",
    )


def _session(options: AwsOptions) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=options.profile)
    except botocore.exceptions.ProfileNotFound:
        raise CollectionFailed(
            f"AWS profile {options.profile!r} not found", fix="check --profile against ~/.aws/config"
        ) from None


def assume_role(session: Any, config: Any, options: AwsOptions) -> Any:
    """A session holding the temporary credentials of `options.role_arn` (AssumeRole, one hour)."""
    import boto3
    import botocore.exceptions

    params: dict[str, Any] = {
        "RoleArn": options.role_arn,
        "RoleSessionName": options.session_name or DEFAULT_SESSION_NAME,
    }
    if options.external_id:
        params["ExternalId"] = options.external_id
    try:
        sts = session.client("sts", region_name=session.region_name or GLOBAL_REGION, config=config)
        creds = sts.assume_role(**params)["Credentials"]
    except botocore.exceptions.ClientError as exc:
        raise AccountFailed(
            f"cannot assume {options.role_arn}: {error_code(exc)}: {error_message(exc)}",
            operation="AssumeRole",
            code=error_code(exc),
            fix="check the role's trust policy names this caller (and the external id, if it requires one)",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AccountFailed(
            f"cannot assume {options.role_arn}: {exc}", operation="AssumeRole", code=type(exc).__name__
        ) from None
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=session.region_name,
        botocore_session=_sharing_models(session),
    )


def _sharing_models(session: Any) -> Any:
    """A botocore session that reads service models through `session`'s loader. Each session otherwise
    parses every model it uses again (EC2's alone is tens of MB): an organisation scan held ~150 MB per
    account being collected, 600-840 MB per process at four accounts at once; shared, the models are
    parsed once per process. The loader only reads botocore's data files (and caches what it read), so
    sharing it shares no credentials or state of an account."""
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", session._session.get_component("data_loader"))
    return core


def _identity(session: Any, config: Any) -> dict[str, Any]:
    import botocore.exceptions
    from botocore.config import Config

    try:
        # The first call: fail fast when there is no endpoint at all, rather than after ten backoffs.
        quick = config.merge(Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5))
        ident = session.client("sts", region_name=GLOBAL_REGION, config=quick).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise CollectionFailed(
            "no AWS credentials found", fix="set AWS_PROFILE or --profile, or run `aws configure`"
        ) from None
    except botocore.exceptions.EndpointConnectionError as exc:
        raise CollectionFailed(f"cannot reach AWS: {exc}", fix="check the network or AWS_ENDPOINT_URL") from None
    except botocore.exceptions.ClientError as exc:
        raise AccountFailed(
            f"cannot identify the caller: {error_code(exc)}: {error_message(exc)}",
            operation="GetCallerIdentity",
            code=error_code(exc),
            fix="check the credentials are valid and not expired",
        ) from None
    arn = str(ident["Arn"])
    return {
        "account": str(ident["Account"]),
        "arn": arn,
        "user_id": str(ident["UserId"]),
        "partition": arn.split(":")[1] if arn.count(":") > 2 else "aws",
    }


def _regions(session: Any, config: Any, options: AwsOptions) -> list[str]:
    if options.regions:
        return list(dict.fromkeys(options.regions))
    try:
        ec2 = session.client("ec2", region_name=session.region_name or GLOBAL_REGION, config=config)
        return sorted(r["RegionName"] for r in ec2.describe_regions()["Regions"])
    except Exception as exc:
        raise AccountFailed(
            f"cannot list enabled regions: {error_code(exc)}",
            operation="DescribeRegions",
            code=error_code(exc),
            fix="pass --regions eu-west-2,us-east-1",
        ) from None


def _not_offered(session: Any, specs: list[ServiceSpec], regions: list[str], partition: str) -> dict[str, list[str]]:
    """Per regional collector, the scanned regions where AWS does not offer its service (botocore's
    endpoint data): nothing can exist there, and calling would only cost retries against an endpoint
    that does not answer. An empty list from botocore means "unknown": then every region is read."""
    skipped: dict[str, list[str]] = {}
    for spec in specs:
        if not spec.regional:
            continue
        offered = set(session.get_available_regions(spec.client, partition_name=partition))
        missing = [r for r in regions if offered and r not in offered]
        if missing:
            skipped[spec.name] = missing
    return skipped


def _left_out(options: AwsOptions, account: str) -> list[CollectionError]:
    """A collector `--services` left out read nothing: its resource types are unknown in this account, so
    every control on them is `error` (a narrowed snapshot is incomplete), never not applicable for want
    of resources. One record per account and collector, the same whichever shard writes it."""
    if options.services is None:
        return []
    return [
        CollectionError(
            provider="aws",
            account=account,
            region="",
            service=spec.name,
            operation="collect",
            code="NotCollected",
            message="left out by --services",
            resource_types=spec.resource_types,
        )
        for spec in service_specs()
        if spec.name not in options.services
    ]


def collect_aws(options: AwsOptions, progress: ProgressHook | None = None, *, session: Any = None) -> Snapshot:
    """One account: `session` (else the profile's, or the standard chain), through `options.role_arn`
    when given."""
    started = datetime.now(UTC)
    session = session or _session(options)
    config = _boto_config(options)
    if options.role_arn:
        session = assume_role(session, config, options)
    identity = _identity(session, config)
    account, partition = identity["account"], identity["partition"]
    regions = _regions(session, config, options) if options.regional_services else []
    make_client = _client_factory(session, config)
    specs = [
        s
        for s in service_specs()
        if (options.services is None or s.name in options.services)
        and (options.regional_services if s.regional else options.global_services)
    ]
    not_offered = _not_offered(session, specs, regions, partition)
    tasks = [
        (spec, region)
        for spec in specs
        for region in (regions if spec.regional else [GLOBAL_REGION])
        if region not in not_offered.get(spec.name, ())
    ]
    per_service = Counter(spec.name for spec, _ in tasks)
    service_done: Counter[str] = Counter()
    if progress:
        for name, total in per_service.items():
            progress(ServiceProgress(account=account, service=name, region="", done=0, total=total, resources=0))
    resources: dict[str, Resource] = {}
    errors: list[CollectionError] = []
    calls: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, max(1, len(tasks)))) as pool:
        futures = {
            pool.submit(_run_service, spec, region, account, partition, make_client): (spec, region)
            for spec, region in tasks
        }
        for future in as_completed(futures):
            spec, region = futures[future]
            ctx, found = future.result()
            for r in found:
                resources[r.uid] = r
            errors.extend(ctx.errors)
            calls.update(ctx.calls)
            service_done[spec.name] += 1
            if progress:
                progress(
                    ServiceProgress(
                        account=account,
                        service=spec.name,
                        region=region if spec.regional else "global",
                        done=service_done[spec.name],
                        total=per_service[spec.name],
                        resources=len(found),
                    )
                )
    errors.extend(_left_out(options, account))
    errors.sort(key=lambda e: (e.account, e.region, e.service, e.resource_uid or "", e.operation))
    return redact_snapshot(
        Snapshot(
            tool_version=__version__,
            created_at=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            request={
                "providers": ["aws"],
                "aws": {
                    "profile": options.profile,
                    "regions": regions,
                    "services": sorted({s.name for s, _ in tasks}),
                    **({"not_offered": not_offered} if not_offered else {}),
                    **({"role_arn": options.role_arn} if options.role_arn else {}),
                },
            },
            identity={"aws": identity},
            resources=tuple(sorted(resources.values(), key=lambda r: r.uid)),
            errors=tuple(errors),
            calls=dict(calls),
        )
    )


def _client_factory(session: Any, config: Any) -> Callable[[str, str], Any]:
    """(boto3 client name, region) → a client of `session`, safe to call from the worker threads."""
    # botocore sessions are not thread-safe for client creation; clients themselves are.
    client_lock = threading.Lock()
    endpoint = custom_endpoint()

    def make_client(name: str, region: str) -> Any:
        with client_lock:
            client = session.client(name, region_name=region, config=config)
        if name == "s3control" and endpoint:
            pin_s3control_host(client, endpoint)
        return client

    return make_client


def _run_service(
    spec: ServiceSpec, region: str, account: str, partition: str, make_client: Callable[[str, str], Any]
) -> tuple[CollectContext, list[Resource]]:
    """One collector in one region: what it found, and (in its context) the calls it made and the
    errors it recorded; a listing that failed is recorded for all of the spec's types."""
    # A timeout or a dropped connection carries no operation name: remember the last one started.
    last_operation: list[str] = [""]

    def started(model: Any, **_: Any) -> None:
        last_operation[0] = model.name

    def tracked_client(name: str, client_region: str) -> Any:
        client = make_client(name, client_region)
        client.meta.events.register("before-call.*.*", started)
        return client

    ctx = CollectContext(spec=spec, account=account, region=region, partition=partition, make_client=tracked_client)
    found: list[Resource] = []
    try:
        for r in spec.collect(ctx):
            found.append(r)
    except Exception as exc:  # any failure of a listing: record it, keep what was read
        ctx.errors.append(
            CollectionError(
                provider="aws",
                account=account,
                region=region if spec.regional else "",
                service=spec.name,
                operation=_operation_of(exc) or last_operation[0],
                code=error_code(exc),
                message=error_message(exc),
                resource_types=spec.resource_types,
            )
        )
    return ctx, found


def _operation_of(exc: BaseException) -> str:
    return str(getattr(exc, "operation_name", "") or "")
