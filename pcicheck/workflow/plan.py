"""Which AWS collectors a scan needs: only those producing a resource type some selected control reads.

A control reads its own `resource` type, the types it names in `resources("…")`, and the types the
facts it reads are built from (the analyzer registry's declarations, which also decide which listing
failures make it `error`). CDE and tenant scope are inherited from subnets and VPCs, so any
AWS control needs those two listings as well; a control on Tagging API records (which inherit the
scope of the collected record of the same ARN) needs every type that can sit in a subnet or VPC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pcicheck.analyze.scope import NETWORK_PLACED_TYPES, TAG_VIEW
from pcicheck.collect.aws.interface import ServiceSpec
from pcicheck.collect.aws.runner import service_specs
from pcicheck.evaluate.engine import listings_read
from pcicheck.model import Control

# Where scope comes from for resources without their own CDE tag (analyze/scope.py).
SCOPE_TYPES = ("aws.ec2.subnet", "aws.ec2.vpc")


@dataclass(frozen=True)
class CollectionPlan:
    services: tuple[str, ...]  # ServiceSpec names to run
    skipped: tuple[str, ...]  # ServiceSpec names no selected control needs
    types: tuple[str, ...]  # the AWS resource types the controls read

    def describe(self) -> str:
        if not self.skipped:
            return f"{len(self.services)} AWS collectors, all needed by the controls"
        return f"{len(self.services)} AWS collectors; not needed by the controls: {', '.join(self.skipped)}"


def needed_types(controls: Iterable[Control]) -> set[str]:
    """Every AWS resource type the controls read, directly or through facts."""
    types: set[str] = set()
    for c in controls:
        if not c.resource.startswith("aws."):
            continue
        text = "\n".join((c.where, c.assertion, *c.evidence))
        types.add(c.resource)
        if c.resource == TAG_VIEW:
            types.update(NETWORK_PLACED_TYPES)
        types.update(t for t in listings_read(c, text) if t.startswith("aws."))
    if types:
        types.update(SCOPE_TYPES)
    return types


def plan_collection(controls: Iterable[Control], specs: Iterable[ServiceSpec]) -> CollectionPlan:
    """Keep the specs that produce at least one needed type (a spec listing several types runs whole)."""
    types = needed_types(controls)
    run: list[str] = []
    skipped: list[str] = []
    for spec in specs:
        (run if types & set(spec.resource_types) else skipped).append(spec.name)
    return CollectionPlan(services=tuple(run), skipped=tuple(skipped), types=tuple(sorted(types)))


def planned_services(controls: Iterable[Control]) -> tuple[str, ...]:
    """The AWS collectors the controls need (a scan reads nothing no control judges)."""
    return plan_collection(controls, service_specs()).services
