"""The catalog of resource types: every type a collector declares, gathered from the declarations
that sit beside the code filling them (each AWS service module, through its ServiceSpec; the
Kubernetes normalizer and live collector). Controls name one of these; the catalog rejects any other.

Attribute values are JSON. `null` means "read, and not configured" (e.g. a bucket with no policy),
for the attributes declared nullable (`kind?`). An attribute that could not be read is *absent*, and
the engine turns any control that touches it into `error`. Timestamps are ISO-8601 UTC strings
("2024-01-31T12:00:00Z"): compare with `timestamp(x)`. The facts the analyze stage adds under
`resource.facts` are declared by the analyzers (pcicheck/analyze/registry.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from pcicheck.model import ResourceType


@cache
def resource_types() -> Mapping[str, ResourceType]:
    """Every declared type by name, in name order (nothing depends on the order; sorting keeps it
    independent of the order collectors are found in). Raises if two declarations share a name."""
    # Imported when first asked: importing every collector is not free, and the CLI's --help need not.
    from pcicheck.collect.aws.runner import service_specs
    from pcicheck.collect.k8s import live, normalize, unread

    declared = [t for spec in service_specs() for t in spec.types]
    declared += [live.CLUSTER, *normalize.TYPES, unread.UNREAD_POLICY]
    found: dict[str, ResourceType] = {}
    for t in declared:
        # Several specs may carry one declaration (wafv2's REGIONAL and CLOUDFRONT specs), never two.
        if found.setdefault(t.name, t) is not t:
            raise ValueError(f"resource type {t.name} is declared twice")
    return MappingProxyType(dict(sorted(found.items())))


def known(type_name: str) -> bool:
    return type_name in resource_types()
