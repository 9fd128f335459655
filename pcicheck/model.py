"""The records every stage passes to the next. Frozen, so no stage edits another's output."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast, get_args


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"
    # The control has a param no default can answer for every estate (which registries are approved) and
    # the site has not set it: not judged, and counted as incomplete like `error`, never as a failure.
    NEEDS_CONFIGURATION = "needs_configuration"
    MANUAL = "manual"  # requirement-level only: no automated control evidences it


# The statuses that leave a scan incomplete: something could not be judged (exit 3, roll-up `incomplete`).
INCOMPLETE_STATUSES = frozenset({Status.ERROR, Status.NEEDS_CONFIGURATION})


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)


SEVERITY_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)

DOMAINS = (
    "encryption-at-rest",
    "encryption-in-transit",
    "key-management",
    "segmentation",
    "perimeter-auth",
    "identity-access",
    "logging",
    "configuration",
    "tenant-isolation",
)

# cde: the CDE and systems connected to it (PCI DSS scoping); cde-only: the CDE alone, for controls whose
# subject is stored card data or the CDE's own boundary, which a connected-to system does not have.
SCOPES = ("all", "cde", "cde-only", "tenant")

FRAMEWORKS = ("pci-dss-3.2.1", "pci-dss-4.0.1")


@dataclass(frozen=True)
class Resource:
    """One thing in the estate, as collected. `attributes` is the evidence."""

    uid: str
    type: str
    provider: str
    account: str
    region: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    source: tuple[str, ...] = ()
    # Attribute → why its value is the provider's documented default rather than a value the API sent
    # (KMS leaves RotationPeriodInDays out and documents 365). Every other absent field stays absent.
    defaulted: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "type": self.type,
            "provider": self.provider,
            "account": self.account,
            "region": self.region,
            "name": self.name,
            "tags": self.tags,
            "attributes": self.attributes,
            "source": list(self.source),
            # Only when there is one: snapshots without defaults keep their bytes, and a reader that
            # predates the field still evaluates the same values.
            **({"defaulted": dict(sorted(self.defaulted.items()))} if self.defaulted else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resource:
        return cls(
            uid=data["uid"],
            type=data["type"],
            provider=data["provider"],
            account=data.get("account", ""),
            region=data.get("region", ""),
            name=data.get("name", ""),
            tags=dict(data.get("tags") or {}),
            attributes=dict(data.get("attributes") or {}),
            source=tuple(data.get("source") or ()),
            defaulted=dict(data.get("defaulted") or {}),
        )


# The JSON kinds an attribute value can have. `timestamp` is an ISO-8601 UTC string
# ("2024-01-31T12:00:00Z", compared with `timestamp(x)` in CEL); `number` is an int or a float;
# `any` is for values whose kind depends on the resource (a policy's Condition values, …).
AttributeKind = Literal["bool", "int", "number", "string", "timestamp", "list", "map", "any"]
ATTRIBUTE_KINDS: tuple[AttributeKind, ...] = get_args(AttributeKind)


@dataclass(frozen=True)
class Attribute:
    """One attribute a resource type carries: the contract between its collector and the controls.

    `nullable`: null is a value the collector writes (read, and not configured, or not reported).
    An attribute that could not be read is *absent* instead, whatever `nullable` says, and the
    engine turns any control that touches it into `error`."""

    kind: AttributeKind
    nullable: bool
    doc: str


@dataclass(frozen=True)
class ResourceType:
    """A kind of collected resource and the attributes its collector fills. Every control names one."""

    name: str
    description: str
    # Read-only (a MappingProxyType); left out of the hash, which the name and description decide.
    attributes: Mapping[str, Attribute] = field(hash=False)


# "<kind>[?]: <doc>": the doc may be left out when the kind says it all ("bool").
_ATTRIBUTE_SPEC = re.compile(r"(?P<kind>[a-z]+)(?P<nullable>\?)?(?::\s+(?P<doc>\S.*))?", re.DOTALL)


def attribute(spec: str) -> Attribute:
    """Parse one attribute written `"<kind>[?]: <doc>"`, e.g. `"string?: key ARN; null = none"`."""
    match = _ATTRIBUTE_SPEC.fullmatch(spec)
    if match is None:
        raise ValueError(f"{spec!r} is not '<kind>[?]: <doc>'")
    kind = match["kind"]
    if kind not in ATTRIBUTE_KINDS:
        raise ValueError(f"{spec!r}: kind {kind!r} is not one of {', '.join(ATTRIBUTE_KINDS)}")
    return Attribute(cast(AttributeKind, kind), bool(match["nullable"]), match["doc"] or "")


def resource_type(name: str, description: str, /, **attributes: str) -> ResourceType:
    """Declare a resource type beside the collector that builds it. Every spec is parsed here, so a
    malformed declaration fails when its module is imported, not when a control first reads it."""
    if not description.strip():
        raise ValueError(f"resource type {name}: no description")
    if not attributes:
        raise ValueError(f"resource type {name}: no attributes")
    parsed: dict[str, Attribute] = {}
    for key, spec in attributes.items():
        try:
            parsed[key] = attribute(spec)
        except ValueError as exc:
            raise ValueError(f"resource type {name}, attribute {key}: {exc}") from None
    return ResourceType(name, description, MappingProxyType(parsed))


@dataclass(frozen=True)
class CollectionError:
    """Something that could not be read. Controls that needed it become `error`, never `pass`.

    With `resource_uid` the failure hit one resource's `attributes`; without it, a whole
    listing of `resource_types` in `account`/`region` is missing.
    """

    provider: str
    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str
    resource_types: tuple[str, ...] = ()
    resource_uid: str | None = None
    attributes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "account": self.account,
            "region": self.region,
            "service": self.service,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "resource_types": list(self.resource_types),
            "resource_uid": self.resource_uid,
            "attributes": list(self.attributes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CollectionError:
        return cls(
            provider=data["provider"],
            account=data.get("account", ""),
            region=data.get("region", ""),
            service=data["service"],
            operation=data.get("operation", ""),
            code=data.get("code", ""),
            message=data.get("message", ""),
            resource_types=tuple(data.get("resource_types") or ()),
            resource_uid=data.get("resource_uid"),
            attributes=tuple(data.get("attributes") or ()),
        )

    @property
    def cause(self) -> str:
        return f"{self.service}:{self.operation} {self.code}: {self.message}".strip()


@dataclass(frozen=True)
class Snapshot:
    """Everything one collection run saw, with who/when/what was asked: the reproducible input."""

    tool_version: str
    created_at: str
    request: dict[str, Any]
    identity: dict[str, Any]
    resources: tuple[Resource, ...]
    errors: tuple[CollectionError, ...]
    calls: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ControlTest:
    name: str
    resource: dict[str, Any]
    expect: Status
    related: tuple[dict[str, Any], ...] = ()
    params: dict[str, Any] = field(default_factory=dict)  # overrides of the control's params for this case
    line: int = 0


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    domain: str
    severity: Severity
    resource: str
    scope: str
    where: str
    assertion: str
    params: dict[str, Any]
    requirements: dict[str, tuple[str, ...]]
    rationale: str
    remediation: str
    evidence: tuple[str, ...]
    tests: tuple[ControlTest, ...]
    path: str
    line: int = 1
    # Where each framework's mapping comes from: {framework: {"source": …, "ref": …}} (see BASIS_SOURCES).
    basis: dict[str, dict[str, str]] = field(default_factory=dict)
    applies_to: str = ""  # what `where` selects, in words: "it judges only …"
    # Params the site must set in pcicheck.yaml: their default only declares the type. Until set, the
    # control's results are `needs_configuration`.
    site_params: tuple[str, ...] = ()


# Where a mapping to PCI DSS comes from: PCI SSC's own documents, AWS's published mappings (Security Hub,
# Config conformance packs), a named peer's published mapping, or our own reasoning (the rationale).
BASIS_SOURCES = ("pci-ssc", "aws", "peer", "inferred")


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    manual: bool
    parent: str | None
    children: tuple[str, ...]
    procedures: tuple[TestingProcedure, ...] = ()  # as the standard lists them; none under a heading


# How a testing procedure has the assessor look for evidence. Only examining configuration is what
# reading live configuration can do; the others are the assessor's (documents, records, interviews,
# observation).
METHODS = ("configuration", "documentation", "records", "interview", "observe")


@dataclass(frozen=True)
class TestingProcedure:
    """One testing procedure of a requirement (`1.2.5.a`; a requirement with a single one shares its id)."""

    __test__: ClassVar[bool] = False  # not a test class, whatever pytest guesses from the name

    id: str
    requirement: str
    methods: tuple[str, ...]
    about: str  # our own paraphrase of what it checks

    @property
    def automatable(self) -> bool:
        """Every kind of evidence it asks for is configuration: a scan can give all of it."""
        return self.methods == ("configuration",)


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    version: str
    requirements: dict[str, Requirement]  # in document order
    path: str = ""
    retired: str = ""  # when PCI SSC retired this version, if it has
    procedures: dict[str, TestingProcedure] = field(default_factory=dict)  # by id, in document order

    def procedure_ids(self, requirement: str) -> tuple[str, ...]:
        return tuple(p.id for p in self.requirements[requirement].procedures)


@dataclass(frozen=True)
class Result:
    """One control judged on one resource (or on a listing that could not be read)."""

    control: Control
    resource: dict[str, Any]  # uid, type, name, account, region, tags, scope, scope_reason, tenant
    status: Status
    message: str
    evidence: dict[str, Any]
    waiver: dict[str, Any] | None = None  # the waiver in force, on a `waived` result

    @property
    def evidence_id(self) -> str:
        return evidence_id(self.control.id, str(self.resource["uid"]))


@dataclass(frozen=True)
class ExternalResults:
    """Results judged outside the CEL engine (Checkov on IaC), with the controls that describe them;
    they join the same roll-up, waivers, baseline, reports and exit code."""

    controls: tuple[Control, ...]
    results: tuple[Result, ...]


def evidence_id(control_id: str, resource_uid: str) -> str:
    """`EV-` and 12 hex digits of SHA-256 over control id and resource uid: the same finding keeps its
    id across scans, reports and formats, so an auditor can cite it and a baseline can match it."""
    digest = hashlib.sha256(f"{control_id}\n{resource_uid}".encode()).hexdigest()
    return f"EV-{digest[:12].upper()}"
