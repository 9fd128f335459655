"""The results document, `pcicheck/results/v1`: a public contract (documented in the README)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pcicheck import __version__
from pcicheck.model import Result, Status
from pcicheck.pipeline import Evaluation

SCHEMA = "pcicheck/results/v1"


def summary(results: tuple[Result, ...] | list[Result]) -> dict[str, int]:
    counts = Counter(r.status.value for r in results)
    return {s.value: counts.get(s.value, 0) for s in Status if s != Status.MANUAL}


def result_entry(r: Result, requirements: dict[str, list[str]] | None = None) -> dict[str, Any]:
    c = r.control
    return {
        "control": c.id,
        "title": c.title,
        "status": r.status.value,
        "severity": c.severity.value,
        "domain": c.domain,
        "requirements": requirements or {fw: list(ids) for fw, ids in c.requirements.items()},
        "resource": r.resource,
        "message": r.message,
        "evidence": r.evidence,
    }


def build(ev: Evaluation) -> dict[str, Any]:
    snap = ev.snapshot
    # One mapping object per control, shared by its results: 100,000 results stay small in memory.
    mapped = {c.id: {fw: list(ids) for fw, ids in c.requirements.items()} for c in ev.catalog.controls}
    return {
        "schema": SCHEMA,
        "tool": {"name": "pcicheck", "version": __version__, "catalog_digest": ev.catalog.digest()},
        "framework": {"id": ev.framework.id, "title": ev.framework.title},
        "started_at": ev.started_at,
        "finished_at": ev.finished_at,
        "snapshot": {
            "created_at": snap.created_at,
            "tool_version": snap.tool_version,
            "identity": snap.identity,
            "request": snap.request,
            "resources": len(snap.resources),
        },
        "scope": ev.config.scope.describe(),
        "summary": summary(ev.results),
        "results": [result_entry(r, mapped[r.control.id]) for r in ev.results],
        "requirements": [
            {
                "id": q.id,
                "title": q.title,
                "status": q.status.value,
                "manual": q.manual,
                "controls": list(q.controls),
                "counts": q.counts,
            }
            for q in ev.requirements
        ],
        "errors": [e.to_dict() for e in snap.errors],
    }


def dumps(document: dict[str, Any]) -> str:
    """Compact (a large estate's document is hundreds of MB indented); pretty-print with `jq .`."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
