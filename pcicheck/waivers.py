"""Waivers: accepted risk with a justification, an approver, a ticket and an end date (PCI's
compensating controls are recorded here too).

This module reads them (from a waivers file or pcicheck.yaml): a file with a mistake is rejected with
file:line, never half-applied. Applying them to results is the evaluate stage's (evaluate/waiving.py).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.errors import InputError
from pcicheck.model import Result
from pcicheck.yamlfile import LineDict, load_mapping

REQUIRED = ("id", "control", "resource", "justification", "approved_by", "ticket", "created", "expires")
OPTIONAL = ("kind", "owner", "compensating_control", "worksheet")
# An exception is accepted risk: the control is not in place, and no report says it is. A compensating
# control is PCI DSS's alternative to a requirement (Appendices B and C): it reads "in place with a
# compensating control" only with the worksheet the assessor validates.
KINDS = ("exception", "compensating-control")
# The compensating controls worksheet (PCI DSS Appendix C), one entry per part.
WORKSHEET = ("constraints", "objective", "identified_risk", "definition", "validation", "maintenance")
SELECTORS = ("uid", "match", "tags")
MAX_DAYS = 366  # PCI reviews accepted risk at least yearly: a waiver cannot outlive one review
# The one spelling a waiver date has. date.fromisoformat alone would also take 20270131 and 2027-W05-1.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Waiver:
    id: str
    control: str
    uid: str | None
    match: str | None
    tags: dict[str, str] | None
    justification: str
    approved_by: str
    ticket: str
    created: dt.date
    expires: dt.date
    owner: str | None = None
    compensating_control: str | None = None
    where: str = ""  # file:line
    kind: str = "exception"
    worksheet: dict[str, str] | None = None  # with kind compensating-control: WORKSHEET's parts

    @property
    def compensating(self) -> bool:
        return self.kind == "compensating-control"

    def selects(self, result: Result) -> bool:
        if not fnmatch.fnmatchcase(result.control.id, self.control):
            return False
        res = result.resource
        if self.uid is not None:
            return bool(res["uid"] == self.uid)
        if self.match is not None:
            return fnmatch.fnmatchcase(str(res["uid"]), self.match) or fnmatch.fnmatchcase(str(res["name"]), self.match)
        tags = res.get("tags") or {}
        return all(tags.get(k) == v for k, v in (self.tags or {}).items())

    def record(self) -> dict[str, Any]:
        """What a waived result carries, in every output."""
        out: dict[str, Any] = {
            "id": self.id,
            "justification": self.justification,
            "approved_by": self.approved_by,
            "ticket": self.ticket,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat(),
        }
        out["kind"] = self.kind
        if self.owner:
            out["owner"] = self.owner
        if self.compensating_control:
            out["compensating_control"] = self.compensating_control
        if self.worksheet:
            out["worksheet"] = dict(self.worksheet)
        return out

    def document(self) -> dict[str, Any]:
        """The waiver as it is written in a file: what a pack's pcicheck.yaml holds to re-perform the run."""
        selector = {"uid": self.uid} if self.uid is not None else {"match": self.match} if self.match else {}
        return {
            "id": self.id,
            "kind": self.kind,
            "control": self.control,
            "resource": selector or {"tags": dict(self.tags or {})},
            "justification": self.justification,
            "approved_by": self.approved_by,
            "ticket": self.ticket,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat(),
            **({"owner": self.owner} if self.owner else {}),
            **({"compensating_control": self.compensating_control} if self.compensating_control else {}),
            **({"worksheet": dict(self.worksheet)} if self.worksheet else {}),
        }


def _date(item: LineDict, key: str, path: Path) -> dt.date:
    """A calendar date written YYYY-MM-DD. YAML gives a date object for a valid unquoted one; anything
    else (a string, quoted or not, a time of day, a number, a list) is checked here and refused with its line."""
    value = item.get(key)
    line = item.line_of(key)
    if isinstance(value, dt.datetime):
        raise InputError(
            f"waiver {key!r} has a time of day: {value.isoformat()}",
            path=str(path),
            line=line,
            fix="a waiver runs whole days: write the date alone, YYYY-MM-DD",
        )
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        shown = repr(value) if isinstance(value, str) else _kind_of(value)
        raise InputError(f"waiver {key!r} is not a date: {shown}", path=str(path), line=line, fix="use YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(
            f"waiver {key!r} is not a real date: {value.strip()} ({exc})",
            path=str(path),
            line=line,
            fix="use YYYY-MM-DD with a day that exists in that month",
        ) from None


def _text(item: LineDict, key: str, path: Path) -> str:
    """Non-empty text. A whole number is taken as its digits (`ticket: 1234`); true/false, a fraction, a
    date, a list or a mapping is a mistake, not text."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(
            f"waiver {key!r} must be non-empty text, not {_kind_of(value)}",
            path=str(path),
            line=item.line_of(key),
            fix="quote it if it is meant as text",
        )
    if not str(value).strip():
        raise InputError(f"waiver {key!r} must be non-empty text", path=str(path), line=item.line_of(key))
    return str(value).strip()


def _kind_of(value: Any) -> str:
    """What YAML made of a value, in the words of the file: `true/false`, `a date`, `a list`."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dt.date):
        return "a date"
    if value is None:
        return "empty"
    names = {list: "a list", dict: "a mapping", LineDict: "a mapping", float: "a number", int: "a number"}
    return names.get(type(value), type(value).__name__)


def _selector(item: LineDict, path: Path) -> tuple[str | None, str | None, dict[str, str] | None]:
    """(uid, match, tags): exactly one of them, each of the right type, so a wrongly typed selector is an
    error and never a waiver that silently selects nothing (or, turned into text, something else)."""
    selector = item["resource"]
    if not isinstance(selector, LineDict) or len(set(selector) & set(SELECTORS)) != 1 or set(selector) - set(SELECTORS):
        raise InputError(
            "waiver 'resource' must have exactly one of uid, match (a glob on uid or name) or tags",
            path=str(path),
            line=item.line_of("resource"),
            fix="e.g. resource: {uid: arn:aws:rds:…:db:card-vault}",
        )
    if "tags" in selector:
        tags = selector["tags"]
        if (
            not isinstance(tags, dict)
            or not tags
            or not all(isinstance(v, str) and v for v in tags.values())
            or not all(isinstance(k, str) and k for k in tags)
        ):
            raise InputError(
                "waiver 'resource.tags' must be a non-empty mapping of tag names to text values",
                path=str(path),
                line=selector.line_of("tags"),
                fix="e.g. tags: {team: batch}; quote values such as '1' or 'true'",
            )
        return None, None, dict(tags)
    key = "uid" if "uid" in selector else "match"
    value = selector[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"waiver 'resource.{key}' must be non-empty text, not {_kind_of(value)}",
            path=str(path),
            line=selector.line_of(key),
            fix="one uid (or one glob); write one waiver per resource",
        )
    return (value, None, None) if key == "uid" else (None, value, None)


def _parse(item: Any, path: Path) -> Waiver:
    if not isinstance(item, LineDict):
        raise InputError("each waiver must be a mapping", path=str(path), line=getattr(item, "line", 1))
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        raise InputError(
            f"waiver is missing {', '.join(missing)}",
            path=str(path),
            line=item.line,
            fix=f"every waiver needs {', '.join(REQUIRED)}",
        )
    item.refuse_unknown((*REQUIRED, *OPTIONAL), what="waiver", path=path, fix=f"use {', '.join(REQUIRED + OPTIONAL)}")
    uid, match, tags = _selector(item, path)
    created, expires = _date(item, "created", path), _date(item, "expires", path)
    if expires <= created:
        raise InputError("waiver expires before it is created", path=str(path), line=item.line_of("expires"))
    if (expires - created).days > MAX_DAYS:
        raise InputError(
            f"waiver runs {(expires - created).days} days; at most {MAX_DAYS}",
            path=str(path),
            line=item.line_of("expires"),
            fix="accepted risk is reviewed at least yearly: renew it with a new approval instead",
        )
    kind, worksheet = _kind(item, path)
    return Waiver(
        id=_text(item, "id", path),
        control=_text(item, "control", path),
        uid=uid,
        match=match,
        tags=tags,
        justification=_text(item, "justification", path),
        approved_by=_text(item, "approved_by", path),
        ticket=_text(item, "ticket", path),
        created=created,
        expires=expires,
        owner=_text(item, "owner", path) if "owner" in item else None,
        compensating_control=_text(item, "compensating_control", path) if "compensating_control" in item else None,
        where=f"{path}:{item.line}",
        kind=kind,
        worksheet=worksheet,
    )


def _kind(item: LineDict, path: Path) -> tuple[str, dict[str, str] | None]:
    """The waiver's kind, and for a compensating control its worksheet: every part, each non-empty text."""
    kind = item.get("kind", "exception")
    if kind not in KINDS:
        raise InputError(
            f"waiver kind {kind!r} is not one of {', '.join(KINDS)}", path=str(path), line=item.line_of("kind")
        )
    sheet = item.get("worksheet")
    if kind == "exception":
        if sheet is not None:
            raise InputError(
                "a worksheet belongs to a compensating control",
                path=str(path),
                line=item.line_of("worksheet"),
                fix="add 'kind: compensating-control', or remove the worksheet",
            )
        return kind, None
    parts = ", ".join(WORKSHEET)
    if not isinstance(sheet, LineDict):
        raise InputError(
            "a compensating control needs its worksheet (PCI DSS Appendix C)",
            path=str(path),
            line=item.line_of("worksheet") if "worksheet" in item else item.line,
            fix=f"add 'worksheet:' with {parts}",
        )
    missing = [k for k in WORKSHEET if not isinstance(sheet.get(k), str) or not sheet[k].strip()]
    unknown = sorted(set(sheet) - set(WORKSHEET))
    if missing or unknown:
        what = f"is missing {', '.join(missing)}" if missing else f"has an unknown part {unknown[0]!r}"
        raise InputError(f"the worksheet {what}", path=str(path), line=sheet.line, fix=f"its parts are {parts}")
    return kind, {k: " ".join(str(sheet[k]).split()) for k in WORKSHEET}


def parse_waivers(items: Any, path: Path, line: int) -> tuple[Waiver, ...]:
    if not isinstance(items, list):
        raise InputError("'waivers' must be a list", path=str(path), line=line)
    waivers = tuple(_parse(item, path) for item in items)
    seen: dict[str, str] = {}
    for w in waivers:
        if w.id in seen:
            raise InputError(
                f"waiver id {w.id!r} is used twice (also at {seen[w.id]})",
                path=str(path),
                line=int(w.where.rsplit(":", 1)[1]),
            )
        seen[w.id] = w.where
    return waivers


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """A waivers file: `waivers: [...]`."""
    doc = load_mapping(path, what="waivers file", fix="check the --waivers path")
    if set(doc) != {"waivers"}:
        raise InputError("a waivers file has one key, 'waivers' (a list)", path=str(path), line=doc.line or 1)
    return parse_waivers(doc["waivers"], path, doc.line_of("waivers"))
