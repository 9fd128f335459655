"""Every analyzer, in the order they run, and the facts they declare: the one list of facts a control
may read under `resource.facts`, with what each means and what it is built from."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pcicheck.analyze.aws_reach import REACHABILITY
from pcicheck.analyze.interface import Analyzer, Fact
from pcicheck.analyze.k8s_segmentation import SEGMENTATION
from pcicheck.analyze.monitoring import ROOT_USAGE
from pcicheck.analyze.namespaces import NAMESPACES, NODES
from pcicheck.analyze.pci_scope import PCI_SCOPE
from pcicheck.analyze.pooled_buckets import POOLED_BUCKETS
from pcicheck.analyze.references import CLUSTER_LINKS, KEY_REFERENCES
from pcicheck.analyze.scope import SCOPE
from pcicheck.analyze.tenancy import ABAC

# Scope first: the analyzers after it read what it decided (AnalysisInput.earlier["scope"]).
ANALYZERS: tuple[Analyzer, ...] = (
    SCOPE,
    KEY_REFERENCES,
    CLUSTER_LINKS,
    NAMESPACES,
    NODES,
    REACHABILITY,
    SEGMENTATION,
    ABAC,
    POOLED_BUCKETS,
    ROOT_USAGE,
    PCI_SCOPE,  # after the reachability analyses: connected-to systems are in scope too
)


def _by_name(analyzers: Iterable[Analyzer]) -> dict[str, tuple[Fact, ...]]:
    facts: dict[str, list[Fact]] = {}
    for a in analyzers:
        for f in a.writes:
            facts.setdefault(f.name, []).append(f)
    return {name: tuple(found) for name, found in sorted(facts.items())}


# Fact name → its declarations. A name can have two, one per provider (non_cde_sources is AWS
# reachability on AWS resources and NetworkPolicy reachability on Kubernetes ones).
FACTS: dict[str, tuple[Fact, ...]] = _by_name(ANALYZERS)

_FACT_READ = re.compile(r"\bfacts\.([A-Za-z_][A-Za-z0-9_]*)")


def fact_names_read(text: str) -> set[str]:
    """Every `facts.NAME` an expression (or evidence path) names, declared or not."""
    return set(_FACT_READ.findall(text))


def facts_read(text: str) -> tuple[Fact, ...]:
    """The declarations of the facts `text` names (undeclared names are the catalog's to reject)."""
    return tuple(f for name in sorted(fact_names_read(text)) for f in FACTS.get(name, ()))


def types_read(text: str, provider: str) -> set[str]:
    """The resource types of `provider` ('aws'/'k8s') that the facts `text` names are built from."""
    return {t for f in facts_read(text) for t in f.reads if t.startswith(provider + ".")}
