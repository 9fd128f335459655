"""What the control catalog covers: controls counted by domain and provider, and by PCI requirement.

An auditor's first question of a scanner is "which requirements does it actually test?". The answer
is read from the catalog alone (no scan). The requirements counted are the leaves of the tree, plus
any requirement with sub-requirements that a control maps to directly: whether "4.1" or "10.2" is a
requirement of its own or only a heading differs between versions, and a direct mapping says it is
one; otherwise its sub-requirements stand for it. A counted requirement is covered when some control
maps to one of its testing procedures. `manual` ones (policies, interviews, physical checks) are left
out, since no configuration read can prove them. The testing procedures that examine configuration are
counted too: the part of the standard a configuration scan can evidence at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pcicheck.model import BASIS_SOURCES, DOMAINS, Control, Framework

PROVIDERS = ("aws", "k8s")


@dataclass(frozen=True)
class PrincipalRow:
    """One principal requirement (1–12, A1…) of a framework."""

    id: str
    title: str
    controls: int  # controls mapped to it or to any requirement beneath it
    testable: int  # requirements beneath it counted as testable (see above)
    covered: int  # of those, how many some control maps to
    procedures: int = 0  # testing procedures beneath it that examine configuration
    procedures_covered: int = 0  # of those, how many some control maps to


@dataclass(frozen=True)
class CatalogCoverage:
    framework: str
    by_domain: dict[str, dict[str, int]]  # domain → provider → control count
    principals: tuple[PrincipalRow, ...]
    uncovered: tuple[str, ...]  # testable leaf requirements no control maps to
    basis: dict[str, int] = field(default_factory=dict)  # where the mappings come from → controls

    def as_json(self) -> dict[str, object]:
        return {
            "framework": self.framework,
            "by_domain": self.by_domain,
            "mapping_basis": self.basis,
            "by_requirement": [row.__dict__ for row in self.principals],
            "uncovered_testable_requirements": list(self.uncovered),
        }


def _principal(framework: Framework, rid: str) -> str:
    req = framework.requirements[rid]
    while req.parent is not None:
        req = framework.requirements[req.parent]
    return req.id


def catalog_coverage(controls: tuple[Control, ...] | list[Control], framework: Framework) -> CatalogCoverage:
    by_domain = {d: dict.fromkeys(PROVIDERS, 0) for d in DOMAINS}
    for c in controls:
        provider = c.resource.split(".", 1)[0]
        by_domain[c.domain][provider] = by_domain[c.domain].get(provider, 0) + 1

    covered: set[str] = set()
    mapped_procedures: set[str] = set()
    per_principal: Counter[str] = Counter()
    for c in controls:
        ids = c.requirements.get(framework.id, ())
        mapped_procedures.update(ids)
        mapped = {framework.procedures[p].requirement if p in framework.procedures else p for p in ids}
        covered.update(mapped)
        for principal in {_principal(framework, rid) for rid in mapped}:
            per_principal[principal] += 1

    testable: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    uncovered: list[str] = []
    for rid, req in framework.requirements.items():
        # A parent's `manual` is derived from its children's, so a mapped parent counts regardless.
        if req.parent is None or (rid not in covered if req.children else req.manual):
            continue
        principal = _principal(framework, rid)
        testable[principal] += 1
        if rid in covered:
            hit[principal] += 1
        else:
            uncovered.append(rid)

    configuration: Counter[str] = Counter()
    configuration_hit: Counter[str] = Counter()
    for p in framework.procedures.values():
        if "configuration" in p.methods:
            principal = _principal(framework, p.requirement)
            configuration[principal] += 1
            configuration_hit[principal] += p.id in mapped_procedures
    principals = tuple(
        PrincipalRow(
            rid, req.title, per_principal[rid], testable[rid], hit[rid], configuration[rid], configuration_hit[rid]
        )
        for rid, req in framework.requirements.items()
        if req.parent is None
    )
    sources = Counter(c.basis.get(framework.id, {}).get("source", "inferred") for c in controls)
    basis = {s: sources.get(s, 0) for s in BASIS_SOURCES}
    return CatalogCoverage(framework.id, by_domain, principals, tuple(uncovered), basis)
