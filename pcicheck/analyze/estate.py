"""The analyze stage: every resource with the facts that single resources cannot show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pcicheck.analyze.aws_reach import reach_facts
from pcicheck.analyze.k8s_segmentation import segmentation_facts
from pcicheck.analyze.monitoring import root_usage_facts
from pcicheck.analyze.namespaces import namespace_facts, node_facts
from pcicheck.analyze.pooled_buckets import pooled_bucket_facts
from pcicheck.analyze.references import cluster_links, reference_facts
from pcicheck.analyze.scope import scope_facts
from pcicheck.analyze.tenancy import abac_facts
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource


def file_location(source: tuple[str, ...]) -> dict[str, Any] | None:
    """{file, line} of a resource read from a file (manifests, IaC), else None (read from an API)."""
    for s in source:
        if s.startswith("file:"):
            path, _, line = s[5:].rpartition(":")
            if line.isdigit():
                return {"file": path, "line": int(line)}
            return {"file": s[5:], "line": 1}
    return None


@dataclass(frozen=True)
class Estate:
    """Resources plus derived facts, and the map each control sees as `resource` in CEL."""

    resources: tuple[Resource, ...]
    facts: dict[str, dict[str, Any]]

    def view(self, r: Resource) -> dict[str, Any]:
        return {
            "uid": r.uid,
            "type": r.type,
            "name": r.name,
            "account": r.account,
            "region": r.region,
            "tags": r.tags,
            "attributes": r.attributes,
            "facts": self.facts[r.uid],
            "location": file_location(r.source),
        }

    def connected_to(self) -> list[dict[str, Any]]:
        """The non-CDE systems that can reach, or be reached from, the CDE: in PCI scope as
        connected-to systems. Each with the links that put it there (fact `connected_to_cde`)."""
        return [
            {"uid": r.uid, "type": r.type, "name": r.name, "links": self.facts[r.uid]["connected_to_cde"]}
            for r in self.resources
            if self.facts[r.uid].get("connected_to_cde")
        ]


def analyze(resources: list[Resource] | tuple[Resource, ...], scope: ScopeConfig) -> Estate:
    resources = list(resources)
    facts: dict[str, dict[str, Any]] = {r.uid: {} for r in resources}
    scopes = scope_facts(resources, scope)
    for derived in (
        scopes,
        reference_facts(resources, scope.tenant_tag),
        cluster_links(resources),
        namespace_facts(resources),
        node_facts(resources, scopes),
        reach_facts(resources, scopes),
        segmentation_facts(resources, scopes, scope.tenant_tag),
        abac_facts(resources, scope.tenant_tag),
        pooled_bucket_facts(resources, scope),
        root_usage_facts(resources),
    ):
        for uid, values in derived.items():
            facts[uid].update(values)
    return Estate(resources=tuple(resources), facts=facts)
