"""resources.csv: every resource the results name, one row each — what it is, where it sits (account,
region or namespace), its scope and why, its tenant, and where its configuration was read (the API calls
that read it, or the file and line). evidence.csv names each result's resource by uid only: a resource's
fields once, not once per control that judged it (at 20,000 Kubernetes objects, 33 MB of 91 in the
evidence index). Cells are made inert as the other CSV files' are (pcicheck.inert)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from pcicheck import inert, results_doc

COLUMNS = (
    "resource_uid",
    "resource_type",
    "resource_name",
    "account",
    "region",
    "scope",
    "scope_reason",
    "tenant",
    "source",
)


def source_text(resource: Mapping[str, Any]) -> str:
    """The API calls that read a resource, or the file and line it was written in."""
    location = resource.get("location")
    if location:
        return f"{location.get('file')}:{location.get('line')}"
    return " ".join(str(s) for s in resource.get("source") or ())


def write_resources(doc: Mapping[str, Any], out: TextIO) -> None:
    inert.write_csv(out, COLUMNS, _rows(doc))


def _rows(doc: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    for uid, res in sorted(results_doc.resources(doc).items()):
        yield (
            uid,
            res.get("type"),
            res.get("name"),
            res.get("account"),
            res.get("region"),
            res.get("scope"),
            res.get("scope_reason"),
            res.get("tenant"),
            source_text(res),
        )
