"""The Checkov-to-PCI DSS mapping (controls/checkov/mapping.yaml), loaded as pcicheck controls.

Each entry becomes a `Control` that the CEL engine never evaluates (`where`/`assert` are "true"):
Checkov judges, the mapping says what the verdict means for PCI DSS and how much it matters.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcicheck import catalog_cache, paths
from pcicheck.catalog import READING_CODE, framework_files, load_frameworks, parse_basis, parse_requirements
from pcicheck.errors import InputError
from pcicheck.model import DOMAINS, Control, Framework, Severity
from pcicheck.yamlfile import LineDict
from pcicheck.yamlfile import load_mapping as load_yaml_mapping

CHECKOV_FRAMEWORKS = ("terraform", "cloudformation", "kubernetes", "secrets")
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_[0-9]+$")
ENTRY_FIELDS = ("checkov", "title", "frameworks", "severity", "domain", "requirements", "rationale", "remediation")
GUARD_FIELDS = ("id", "title", "severity", "domain", "requirements", "rationale", "remediation")


def mapping_path() -> Path:
    return paths.controls_dir() / "checkov" / "mapping.yaml"


def policies_dir() -> Path:
    return paths.checkov_policies_dir()


def pinned_checks_path() -> Path:
    return paths.controls_dir() / "checkov" / "checkov-checks.yaml"


def pinned_checks(path: Path | None = None) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The pinned Checkov's own list of AWS, Kubernetes and secrets checks (derived from `checkov --list`):
    its version, and check id -> the frameworks the id exists in."""
    path = path or pinned_checks_path()
    doc = load_yaml_mapping(path)
    checks = doc.get("checks")
    if not isinstance(checks, dict):
        raise InputError("'checks' must map check ids to frameworks", path=str(path), line=doc.line)
    return str(doc.get("checkov_version", "")), {str(k): tuple(str(f) for f in v) for k, v in checks.items()}


def control_id(check_id: str) -> str:
    """CKV_AWS_19 -> ckv-aws-19: kebab-case like every other control id, and stable."""
    return check_id.lower().replace("_", "-")


@dataclass(frozen=True)
class CheckovMapping:
    checks: dict[str, Control]  # Checkov check id -> control
    frameworks: dict[str, tuple[str, ...]]  # Checkov check id -> where the id exists
    guard: Control  # behind `error` results: what could not be evaluated
    checkov_version: str  # the Checkov release the mapping was reviewed against
    path: str
    # Checks judged to evidence no PCI DSS requirement: check id -> the one-line reason.
    excluded: dict[str, str] = field(default_factory=dict)

    def mentions(self, check_id: str) -> bool:
        return check_id in self.checks or check_id in self.excluded

    def controls(self) -> tuple[Control, ...]:
        return (self.guard, *sorted(self.checks.values(), key=lambda c: c.id))


def _control(
    doc: LineDict, path: Path, frameworks: dict[str, Framework], cid: str, resource: str, fields: tuple[str, ...]
) -> Control:
    def fail(message: str, key: str | None = None, fix: str | None = None) -> InputError:
        return InputError(message, path=str(path), line=doc.line_of(key) if key else doc.line, fix=fix)

    _check_fields(doc, fields, fail)
    _check_texts(doc, fail)
    if doc["domain"] not in DOMAINS:
        raise fail(f"unknown domain {doc['domain']!r}", "domain", fix=f"use one of: {', '.join(DOMAINS)}")
    try:
        severity = Severity(doc["severity"])
    except ValueError:
        raise fail(
            f"unknown severity {doc['severity']!r}", "severity", fix="use critical, high, medium or low"
        ) from None
    requirements = parse_requirements(doc["requirements"], frameworks, fail)
    return Control(
        id=cid,
        title=" ".join(doc["title"].split()),
        domain=str(doc["domain"]),
        severity=severity,
        resource=resource,
        scope="all",
        where="true",
        assertion="true",
        params={},
        requirements=requirements,
        rationale=" ".join(doc["rationale"].split()),
        remediation=" ".join(doc["remediation"].split()),
        evidence=(),
        tests=(),
        path=str(path),
        line=doc.line,
        basis=parse_basis(doc.get("basis"), fail),
    )


# Where a mapping comes from (catalog.parse_basis); absent, it is pcicheck's own reasoning.
OPTIONAL_FIELDS = ("basis",)


def _check_fields(doc: LineDict, fields: tuple[str, ...], fail: Callable[..., InputError]) -> None:
    """Every one of `fields` present, and nothing else but the optional ones."""
    for key in fields:
        if key not in doc:
            raise fail(f"mapping entry is missing {key!r}", fix=f"add '{key}:'")
    allowed = (*fields, *OPTIONAL_FIELDS)
    for key in doc:
        if key not in allowed:
            raise fail(f"unknown field {key!r}", key, fix=f"allowed fields: {', '.join(allowed)}")


def _check_texts(doc: LineDict, fail: Callable[..., InputError]) -> None:
    """Title, rationale and remediation are non-empty text; the rationale one line of it."""
    for key in ("title", "rationale", "remediation"):
        text = doc[key]
        if not isinstance(text, str) or not text.strip():
            raise fail(f"{key!r} must be non-empty text", key)
        if key == "rationale" and "\n" in text.strip():
            raise fail("'rationale' must be one line", key)


def load_mapping(path: Path | None = None) -> CheckovMapping:
    """The mapping, validated; any problem is one InputError naming the file and line. The built-in one
    (no path) through the cache of parsed built-in files (catalog_cache.py)."""
    if path is not None:
        return _read_mapping(path)
    fields = catalog_cache.builtin(
        "checkov-mapping",
        [*framework_files(), mapping_path()],
        (*READING_CODE, __name__),
        lambda: _fields(_read_mapping(mapping_path())),
        _checked_fields,
    )
    return CheckovMapping(**fields)


def _fields(mapping: CheckovMapping) -> dict[str, Any]:
    """The mapping as a dict of its fields: plain data and controls, which the cache stores."""
    return {f.name: getattr(mapping, f.name) for f in dataclasses.fields(mapping)}


def _checked_fields(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != {f.name for f in dataclasses.fields(CheckovMapping)}:
        raise TypeError("not a Checkov mapping")
    if not isinstance(value["guard"], Control) or not all(isinstance(c, Control) for c in value["checks"].values()):
        raise TypeError("not a Checkov mapping")
    return value


def _read_mapping(path: Path) -> CheckovMapping:
    frameworks = load_frameworks()
    doc = load_yaml_mapping(path)
    for key in ("checkov_version", "guard", "checks"):
        if key not in doc:
            raise InputError(f"mapping is missing {key!r}", path=str(path), line=doc.line)
    guard_doc = doc["guard"]
    if not isinstance(guard_doc, LineDict) or not isinstance(guard_doc.get("id"), str):
        raise InputError("'guard' must be a mapping with an 'id'", path=str(path), line=doc.line_of("guard"))
    guard = _control(guard_doc, path, frameworks, guard_doc["id"], "iac.file", GUARD_FIELDS)
    entries = doc["checks"]
    if not isinstance(entries, list) or not entries:
        raise InputError("'checks' must be a non-empty list", path=str(path), line=doc.line_of("checks"))
    checks: dict[str, Control] = {}
    where: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        if not isinstance(entry, LineDict):
            raise InputError("each entry in 'checks' must be a mapping", path=str(path), line=doc.line_of("checks"))
        check_id = entry.get("checkov")
        if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
            raise InputError(
                f"'checkov' must be a Checkov check id, got {check_id!r}",
                path=str(path),
                line=entry.line_of("checkov"),
                fix="e.g. CKV_AWS_19 or CKV2_AWS_6",
            )
        if check_id in checks:
            raise InputError(
                f"{check_id} is mapped twice (also at line {checks[check_id].line})", path=str(path), line=entry.line
            )
        fws = entry.get("frameworks")
        if not isinstance(fws, list) or not fws or any(f not in CHECKOV_FRAMEWORKS for f in fws):
            raise InputError(
                f"'frameworks' must list some of {', '.join(CHECKOV_FRAMEWORKS)}",
                path=str(path),
                line=entry.line_of("frameworks"),
            )
        resource = "iac." + "+".join(fws)
        checks[check_id] = _control(entry, path, frameworks, control_id(check_id), resource, ENTRY_FIELDS)
        where[check_id] = tuple(fws)
    return CheckovMapping(
        checks=checks,
        frameworks=where,
        guard=guard,
        checkov_version=str(doc["checkov_version"]),
        path=str(path),
        excluded=_excluded(doc, path, checks),
    )


def _excluded(doc: LineDict, path: Path, checks: dict[str, Control]) -> dict[str, str]:
    """`excluded: {CHECK_ID: reason-key}` with the reasons spelled out once in `exclusion_reasons`."""
    if "excluded" not in doc:
        return {}
    reasons = doc.get("exclusion_reasons")
    entries = doc["excluded"]
    if not isinstance(reasons, LineDict) or not all(isinstance(v, str) and v.strip() for v in reasons.values()):
        raise InputError(
            "'exclusion_reasons' must map a short key to one line of text",
            path=str(path),
            line=doc.line_of("exclusion_reasons") if "exclusion_reasons" in doc else doc.line,
        )
    if not isinstance(entries, LineDict):
        raise InputError("'excluded' must map check ids to a reason key", path=str(path), line=doc.line_of("excluded"))
    out: dict[str, str] = {}
    for check_id, reason in entries.items():
        line = entries.line_of(check_id)
        if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
            raise InputError(f"excluded: {check_id!r} is not a Checkov check id", path=str(path), line=line)
        if check_id in checks:
            raise InputError(
                f"{check_id} is both mapped (line {checks[check_id].line}) and excluded",
                path=str(path),
                line=line,
                fix="keep one of the two",
            )
        if reason not in reasons:
            raise InputError(
                f"{check_id}: unknown exclusion reason {reason!r}",
                path=str(path),
                line=line,
                fix=f"use one of: {', '.join(reasons)}",
            )
        out[check_id] = " ".join(str(reasons[reason]).split())
    return out
