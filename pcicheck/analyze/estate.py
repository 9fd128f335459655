"""The analyze stage: every resource with the facts that single resources cannot show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, FactMap
from pcicheck.analyze.registry import ANALYZERS
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
            "source": r.source,
        }

    def connected_to(self, scope_tag: str = "pci-scope") -> list[dict[str, Any]]:
        """The non-CDE systems that can reach, or be reached from, the CDE: in PCI scope as
        connected-to systems. Each with the links that put it there (fact `pci_scope_links`), and
        whether anyone tagged its scope at all: an untagged one is in scope nobody declared."""
        namespaces = {
            (r.account, r.name.removeprefix("Namespace ")): r for r in self.resources if r.type == "k8s.namespace"
        }
        out = []
        for r in self.resources:
            facts = self.facts[r.uid]
            if facts.get("pci_scope") != "connected-to":
                continue
            links = facts.get("pci_scope_links") or []
            namespace = namespaces.get((r.account, r.region)) if r.provider == "k8s" else None
            tagged = scope_tag in r.tags or (namespace is not None and scope_tag in namespace.tags)
            out.append({"uid": r.uid, "type": r.type, "name": r.name, "links": links, "scope_tagged": tagged})
        return out


def analyze(
    resources: list[Resource] | tuple[Resource, ...],
    scope: ScopeConfig,
    analyzers: tuple[Analyzer, ...] = ANALYZERS,
) -> Estate:
    """Run the registered analyzers in order; each adds only the facts it declares."""
    resources = list(resources)
    facts: dict[str, dict[str, Any]] = {r.uid: {} for r in resources}
    earlier: dict[str, FactMap] = {}
    for analyzer in analyzers:
        derived = analyzer.run(AnalysisInput(resources, scope, earlier))
        declared = {f.name for f in analyzer.writes}
        for uid, values in derived.items():
            if not declared.issuperset(values):  # a bug in pcicheck: a fact no control can be checked against
                undeclared = sorted(values.keys() - declared)
                raise RuntimeError(f"analyzer {analyzer.name} wrote undeclared facts {undeclared}")
            facts[uid].update(values)
        earlier[analyzer.name] = derived
    return Estate(resources=tuple(resources), facts=facts)
