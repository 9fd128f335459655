"""Two results documents of the same evidence compared: what differs between two runs of it — when, by
whom, and where the inputs were read from — set aside."""

from __future__ import annotations

from typing import Any

_RUN_SPECIFIC = ("started_at", "finished_at", "run")


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    doc = {k: v for k, v in doc.items() if k not in _RUN_SPECIFIC}
    doc["config"] = {k: v for k, v in doc["config"].items() if k != "loaded_from"}
    doc["controls"] = [{k: v for k, v in c.items() if k != "source"} for c in doc["controls"]]
    doc["waivers"] = [{k: v for k, v in w.items() if k != "where"} for w in doc["waivers"]]
    return doc
