"""What an AWS service collector is, and the context the runner hands it.

A service module is mostly data: a `ServiceSpec` naming its boto3 client, whether it is
regional, the resource types it yields (declared in the module, beside the code that fills them)
and the IAM actions it needs, plus one `collect` function. The runner finds every module of
`pcicheck.collect.aws.services` and calls `collect(ctx)` once per region (or once for a global
service).

Fail-closed rules every collector keeps:
- A listing call that fails is left to raise: the runner records a `CollectionError` for all
  of the spec's resource types in that region, and their controls become `error`.
- A per-resource call that fails goes through `ctx.get(...)`, which records a
  `CollectionError` for that resource's attributes and returns `FAILED`; the collector then
  leaves those attributes *out* (absent, not null), so no control can pass on them.
- `null` is only written for "read, and not configured" (e.g. NoSuchBucketPolicy).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pcicheck.collect.aws.actions import provenance_action
from pcicheck.model import CollectionError, Resource, ResourceType


class _Failed:
    def __repr__(self) -> str:
        return "FAILED"

    def __bool__(self) -> bool:
        return False


FAILED: Any = _Failed()
"""Returned by `CollectContext.get` when the call failed and the failure was recorded."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # short name used in errors and progress, e.g. "s3"
    client: str  # boto3 client name
    regional: bool  # False: collected once per account (IAM, S3 listing)
    types: tuple[ResourceType, ...]  # what `collect` yields; a listing failure errors all of them
    permissions: tuple[str, ...]  # IAM actions the collector calls, e.g. "s3:GetBucketEncryption"
    collect: Callable[[CollectContext], Iterable[Resource]]
    # (botocore service name, API operation) → the IAM action authorising it, for the calls IAM
    # knows under another name than `<prefix>:<operation>` (see policy.iam_action). Left out of
    # the hash: a dict has none.
    renamed_actions: Mapping[tuple[str, str], str] = field(default_factory=dict, hash=False)

    @property
    def resource_types(self) -> tuple[str, ...]:
        """The names of `types`: what CollectionErrors and collection plans speak of."""
        return tuple(t.name for t in self.types)


def iso(value: Any) -> str | None:
    """botocore datetimes → ISO-8601 UTC with 'Z'; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def tag_map(tags: Iterable[dict[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's [{Key, Value}] tag lists → {key: value}."""
    return {str(t[key]): str(t.get(value, "")) for t in (tags or ()) if key in t}


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        msg = response.get("Error", {}).get("Message")
        if msg:
            return str(msg)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@dataclass
class CollectContext:
    """One service in one region of one account. Thread-confined: the runner makes one per task."""

    spec: ServiceSpec
    account: str
    region: str  # the region the client talks to ("us-east-1" for global services)
    partition: str
    make_client: Callable[[str, str], Any]  # (boto3 client name, region) -> client
    errors: list[CollectionError] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, name: str | None = None, region: str | None = None) -> Any:
        key = (name or self.spec.client, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.make_client(*key)
        return self._clients[key]

    @staticmethod
    def action(client: Any, operation: str) -> str:
        """'get_bucket_encryption' on an s3 client → 's3:GetBucketEncryption' (see actions.py)."""
        return provenance_action(client, operation)

    def call(self, client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One API call, counted for provenance. Exceptions propagate."""
        self.calls[self.action(client, operation)] += 1
        response: dict[str, Any] = getattr(client, operation)(**kwargs)
        return response

    def pages(self, client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item under `key` across all pages (falls back to one call when not paginated)."""
        action = self.action(client, operation)
        if client.can_paginate(operation):
            for page in client.get_paginator(operation).paginate(**kwargs):
                self.calls[action] += 1
                yield from page.get(key) or ()
        else:
            self.calls[action] += 1
            yield from getattr(client, operation)(**kwargs).get(key) or ()

    def record_error(
        self,
        client: Any,
        operation: str,
        exc: BaseException,
        *,
        resource_type: str,
        uid: str | None = None,
        attributes: tuple[str, ...] = (),
        note: str = "",
        region: str | None = None,
    ) -> None:
        """Record that `operation` failed with `exc`: for `uid`'s `attributes`, or without a uid
        for every `resource_type` in the region. `note` is appended to the message in brackets
        (e.g. which parent's listing failed); `region` defaults to the context's."""
        message = error_message(exc)
        message = f"{message} ({note})" if note else message
        self._error(client, operation, error_code(exc), message, resource_type, uid, attributes, region)

    def _error(
        self,
        client: Any,
        operation: str,
        code: str,
        message: str,
        resource_type: str,
        uid: str | None,
        attributes: tuple[str, ...],
        region: str | None,
    ) -> None:
        self.errors.append(
            CollectionError(
                provider="aws",
                account=self.account,
                region=self.region if region is None else region,
                service=self.spec.name,
                operation=self.action(client, operation).split(":", 1)[1],
                code=code,
                message=message,
                resource_types=(resource_type,),
                resource_uid=uid,
                attributes=attributes,
            )
        )

    def get(
        self,
        client: Any,
        operation: str,
        *,
        uid: str,
        resource_type: str,
        attributes: tuple[str, ...],
        absent: tuple[str, ...] = (),
        region: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """A per-resource read. Returns the response; None if the error code is in `absent`
        (meaning "not configured"); FAILED (and records a CollectionError naming `uid` and
        `attributes`, in `region`, by default the context's) on any other error."""
        try:
            return self.call(client, operation, **kwargs)
        except Exception as exc:  # botocore raises many unrelated classes; the code decides
            if error_code(exc) in absent:
                return None
            self.record_error(
                client, operation, exc, resource_type=resource_type, uid=uid, attributes=attributes, region=region
            )
            return FAILED

    def missing(
        self,
        client: Any,
        operation: str,
        member: str,
        *,
        uid: str,
        resource_type: str,
        attributes: tuple[str, ...],
        region: str | None = None,
    ) -> Any:
        """AWS answered `operation` without `member`, which `attributes` are read from: recorded as a
        CollectionError (code MissingField) and FAILED returned, so those attributes stay absent and
        the controls reading them are `error`. A default guessed here could decide a pass."""
        self._error(
            client, operation, "MissingField", f"the answer left out {member}", resource_type, uid, attributes, region
        )
        return FAILED

    def resource(
        self,
        *,
        type: str,
        uid: str,
        name: str,
        attributes: dict[str, Any],
        tags: dict[str, str] | None = None,
        region: str | None = None,
        source: Iterable[str] = (),
    ) -> Resource:
        """Build a Resource, dropping FAILED attributes so they read as absent."""
        return Resource(
            uid=uid,
            type=type,
            provider="aws",
            account=self.account,
            region=self.region if region is None else region,
            name=name,
            tags=dict(tags or {}),
            attributes={k: v for k, v in attributes.items() if v is not FAILED},
            source=tuple(sorted(set(source))),
        )


@dataclass
class ResourceReads:
    """The per-resource reads of one resource, remembering which calls produced it (`source`).

    Every read goes through `ctx.get`, so a failure is recorded against `uid`, `resource_type`
    and the attributes the read was for, in `region` (None: the context's region)."""

    ctx: CollectContext
    uid: str
    resource_type: str
    source: set[str] = field(default_factory=set)
    region: str | None = None

    def get(
        self, client: Any, operation: str, attributes: tuple[str, ...], *, absent: tuple[str, ...] = (), **kwargs: Any
    ) -> Any:
        result = self.ctx.get(
            client,
            operation,
            uid=self.uid,
            resource_type=self.resource_type,
            attributes=attributes,
            absent=absent,
            region=self.region,
            **kwargs,
        )
        if result is not FAILED:
            self.source.add(self.ctx.action(client, operation))
        return result

    def missing(self, client: Any, operation: str, member: str, attributes: tuple[str, ...]) -> Any:
        """`operation` answered without `member`: recorded for these attributes; FAILED (see CollectContext.missing)."""
        return self.ctx.missing(
            client,
            operation,
            member,
            uid=self.uid,
            resource_type=self.resource_type,
            attributes=attributes,
            region=self.region,
        )

    def resource(
        self, name: str, attributes: dict[str, Any], tags: dict[str, str] | None = None, *, region: str | None = None
    ) -> Resource:
        """The resource these reads describe, its source the calls that produced it. `name` is the
        fallback: a Name tag, when there is one, is the name (the results contract)."""
        tags = tags or {}
        return self.ctx.resource(
            type=self.resource_type,
            uid=self.uid,
            name=name_from_tags(tags, name),
            tags=tags,
            attributes=attributes,
            region=self.region if region is None else region,
            source=self.source,
        )

    def all_pages(self, client: Any, operation: str, key: str, attributes: tuple[str, ...], **kwargs: Any) -> Any:
        """Every item of a paginated per-resource call; FAILED if any page failed, None if absent.

        The marker styles AWS uses are followed: IAM pages with IsTruncated/Marker and KMS with
        Truncated/NextMarker (each taking the marker back as `Marker`), EMR with a bare Marker, and
        the JSON services with NextToken (taken back as `NextToken`)."""
        items: list[Any] = []
        while True:
            page = self.get(client, operation, attributes, **kwargs)
            if page is FAILED or page is None:
                return page
            items.extend(page.get(key) or ())
            if page.get("NextToken"):
                param, following = "NextToken", page["NextToken"]
            else:
                following = page.get("Marker") or page.get("NextMarker")
                # Where the answer says whether it is truncated, that decides; else a marker does.
                flagged = "IsTruncated" in page or "Truncated" in page
                if not following or (flagged and not (page.get("IsTruncated") or page.get("Truncated"))):
                    return items
                param = "Marker"
            if following == kwargs.get(param):
                return items  # an API that echoes the marker it was sent would otherwise loop
            kwargs[param] = following


def name_from_tags(tags: dict[str, str], fallback: str) -> str:
    """The results contract: an AWS resource's name is its Name tag, else its own name or id."""
    return tags.get("Name") or fallback
