"""The NetworkPolicy reachability engine against hand-worked cases (fixtures/segmentation/cases).

Each case's expected verdicts were derived from the Kubernetes specification by hand, not from
this engine's output; the objects go through the same normalizer as live clusters and manifests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pcicheck.analyze.k8s_reach import Cluster
from pcicheck.collect.k8s.normalize import pod_endpoint, to_resource
from pcicheck.collect.k8s.unread import policy_kind, unread_record
from pcicheck.model import Resource

CASES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "segmentation" / "cases").glob("*.yaml"))


def records_of(objects: list[dict[str, Any]], cluster: str) -> list[Resource]:
    """The records a scan makes of `objects`: known kinds, pods as endpoints too, and policies of kinds
    pcicheck does not read."""
    records = [r for r in (to_resource(o, cluster, ("file",)) for o in objects) if r is not None]
    records += [pod_endpoint(o, cluster, ("file",)) for o in objects if o["kind"] == "Pod"]
    for o in objects:
        kind = policy_kind(o)
        if kind is not None:
            meta = o["metadata"]
            records.append(unread_record(kind, meta.get("namespace", "default"), meta["name"], cluster, ("file",)))
    return records


def load(path: Path) -> tuple[Cluster, list[dict[str, Any]]]:
    case = yaml.safe_load(path.read_text())
    return Cluster.from_resources(records_of(case["objects"], "case")), case["flows"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    cluster, flows = load(path)
    wrong = []
    for f in flows:
        decision = cluster.flow(
            cluster.endpoint(f["from"]), cluster.endpoint(f["to"]), int(f["port"]), str(f.get("protocol", "TCP"))
        )
        if decision.verdict != f["expect"]:
            wrong.append(
                f"{f['from']} -> {f['to']} {f['port']}/{f.get('protocol', 'TCP')}: expected {f['expect']}, "
                f"got {decision.verdict} ({'; '.join(decision.reasons)})"
            )
    assert not wrong, "\n".join(wrong)


def test_enough_cases() -> None:
    flows = sum(len(load(p)[1]) for p in CASES)
    assert len(CASES) >= 40 and flows >= 200
