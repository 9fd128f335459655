"""The "Segmentation" section of index.html: the CDE isolation and tenant separation plans a scan that
covered networks carries (results.json `segmentation`), each flow with its configured verdict, and a
line under every requirement a plan supports. Endpoint names and reasons come from the scanned estate:
every value is clipped here and autoescaped by the template."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pcicheck.report.html_text import clip

MAX_FLOWS = 500  # flows shown per plan, open ones first (a hand-edited document is held to it too)


class FlowRow(NamedTuple):
    source: str
    destination: str
    port: str
    verdict: str
    reason: str


@dataclass(frozen=True)
class PlanView:
    id: str
    title: str
    requirements: str  # "PCI DSS v4.0.1 1.3.1, …; v3.2.1 …"
    flows: int
    not_denied: int
    note: str
    rows: list[FlowRow]
    left_out: int


@dataclass(frozen=True)
class SegmentationSection:
    support: str
    plans: list[PlanView]
    # (framework id, requirement id) → the line shown under that requirement
    links: dict[tuple[str, str], str]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _requirements(plan: Mapping[str, Any]) -> Mapping[str, Any]:
    found = plan.get("requirements")
    return found if isinstance(found, Mapping) else {}


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _row(f: Mapping[str, Any]) -> FlowRow:
    return FlowRow(
        clip(f.get("from", ""), 300),
        clip(f.get("to", ""), 300),
        clip(f"{f.get('port', '')}/{f.get('protocol', '')}", 40),
        clip(f.get("verdict", ""), 20),
        clip(f.get("reason", ""), 600),
    )


def _plan(p: Mapping[str, Any]) -> PlanView:
    listed = [f for f in p.get("listed") or [] if isinstance(f, Mapping)]
    flows = _int(p.get("flows"))
    requirements = _requirements(p)
    return PlanView(
        id=clip(p.get("id", ""), 40),
        title=clip(p.get("title", ""), 300),
        requirements="; ".join(f"{clip(fw, 40)} {clip(', '.join(_ids(ids)), 200)}" for fw, ids in requirements.items()),
        flows=flows,
        not_denied=_int(p.get("not_denied")),
        note=clip(p.get("note", ""), 300),
        rows=[_row(f) for f in listed[:MAX_FLOWS]],
        left_out=max(0, flows - min(len(listed), MAX_FLOWS)),
    )


def read(doc: Mapping[str, Any]) -> SegmentationSection | None:
    """The section, or None when the scan covered no network (the page then has no such section)."""
    seg = doc.get("segmentation")
    if not isinstance(seg, Mapping):
        return None
    raw = [p for p in seg.get("plans") or [] if isinstance(p, Mapping)]
    plans = [_plan(p) for p in raw]
    links: dict[tuple[str, str], str] = {}
    for p, view in zip(raw, plans, strict=True):
        requirements = _requirements(p)
        for fw, ids in requirements.items():
            for rid in _ids(ids):
                line = f"{view.title.split(':')[0]} plan: {view.not_denied:,} of {view.flows:,} flows not denied"
                links[(str(fw), str(rid))] = "; ".join(filter(None, [links.get((str(fw), str(rid))), line]))
    return SegmentationSection(support=clip(seg.get("support", ""), 1000), plans=plans, links=links)
