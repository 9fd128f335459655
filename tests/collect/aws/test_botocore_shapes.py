"""Every AWS collector fed answers drawn from botocore's own output shapes (tests/support/botocore_shapes.py):
optional members absent or present, empty lists, every enum value of the model, page tokens on the first
pages. For each spec, whatever AWS may send:

- the collector does not crash (a crash would sink every resource of its region into one listing error);
- every record keeps its type's declaration (pcicheck.collect.conformance), enumerated values included;
- every page token handed out is asked for (a listing never stops while AWS says there is more);
- no control passes or becomes not applicable because a field was absent: the same answers with every
  absent member filled in must not turn that verdict into another one.

PCICHECK_SHAPE_EXAMPLES sets the examples per collector (default 6: about 250 in all, within seconds).
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws import services
from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.collect.aws.runner import service_specs
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import Resource, Status
from tests.support.botocore_shapes import WORDS, ShapeClients, ShapeWorld

ACCOUNT = "123456789012"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXAMPLES = int(os.environ.get("PCICHECK_SHAPE_EXAMPLES", "6"))
# Survey mode (for a person fixing collectors): append every problem to this file instead of stopping.
SURVEY = os.environ.get("PCICHECK_SHAPE_SURVEY")


def require(problems: list[str]) -> None:
    if SURVEY and problems:
        with open(SURVEY, "a", encoding="utf-8") as out:
            out.writelines(p + "\n" for p in problems)
        return
    assert not problems, "\n".join(problems)


SPECS = service_specs()
CONTROLS = [c for c in load_catalog().controls if c.resource.startswith("aws.")]
DECIDED = (Status.PASS, Status.NOT_APPLICABLE)
READS = {c.id: set(re.findall(r"resource\.attributes\.(\w+)", f"{c.where}\n{c.assertion}")) for c in CONTROLS}
SERVICES = Path(services.__file__).parent


def identity_members() -> frozenset[str]:
    """The identity members (ids, ARNs, names) the collectors read as always there (`x["GroupId"]`): AWS
    never lists a thing without its identity, so those are always drawn; every other member may be absent."""
    read = set()
    for module in SERVICES.glob("*.py"):
        read.update(re.findall(r'\["([A-Za-z][A-Za-z0-9]*)"\]', module.read_text()))
    # A member a collector subscripts is one it trusts to be there; if AWS ever left it out, the KeyError
    # fails the whole listing closed (the runner records it for every resource type of the region).
    read.update(("DBSnapshotIdentifier", "DBClusterSnapshotIdentifier"))  # subscripted through a variable
    return frozenset(read)


ALWAYS = identity_members()

# Where AWS documents what an absent member means, or the absence cannot bear on the verdict, a verdict
# may follow from it: (control, attribute it reads that differs) → why.
DOCUMENTED: dict[tuple[str, str], str] = {
    ("aws-ec2-cde-instance-no-non-cde-sources", "state"): "an instance without a state is judged as live (its "
    "sources from its security groups); only a terminated one drops out of the network",
    ("aws-elasticache-encrypted-in-transit", "transit_encryption_mode"): "ElastiCache: TransitEncryptionMode "
    "(2022) is absent on groups that predate it, whose in-transit encryption, when enabled, is required",
    ("aws-logs-log-group-retention", "retention_days"): "CloudWatch Logs: without retentionInDays, events never expire",
    ("aws-logs-log-group-retention", "log_group_class"): "CloudWatch Logs: a log group created without a class is "
    "STANDARD",
    ("aws-ec2-cde-instance-no-public-ip", "public_ip"): "EC2: PublicIpAddress is absent when the instance has none",
    ("aws-iam-console-user-inactive", "password_last_used"): "IAM: PasswordLastUsed is absent when the "
    "password has never been used",
    ("aws-elbv2-access-logging", "access_logs_enabled"): "ELBv2: access_logs.s3.enabled is false by default "
    "(recorded in `defaulted`)",
    ("aws-elbv2-alb-desync-mitigation", "desync_mitigation_mode"): "ELBv2: routing.http.desync_mitigation_mode "
    "is defensive by default (recorded in `defaulted`)",
}

# "'A'|'B'|null" in an attribute's doc, at its start or after "key (" for a member of its items.
_ENUM = re.compile(r"(?:^|(?P<key>\w+) \()(?P<values>'[^']*'(?:\s*\|\s*(?:'[^']*'|null))+)")


def declared_enums() -> dict[tuple[str, str, str | None], set[str | None]]:
    """(type, attribute, item key or None) → the values its doc enumerates."""
    out: dict[tuple[str, str, str | None], set[str | None]] = {}
    for type_name, declared in resource_types().items():
        for attr, spec in declared.attributes.items():
            if spec.kind not in ("string", "list", "map"):
                continue
            for m in _ENUM.finditer(spec.doc):
                if spec.kind == "string" and m["key"] is not None:
                    continue
                if spec.kind != "string" and m["key"] is None:
                    continue
                # "e.g." or "…" after the list says it is an example, not the set.
                tail = spec.doc[m.end() : m.end() + 8]
                if "…" in m["values"] or "e.g" in spec.doc[max(0, m.start() - 8) : m.start()] or "…" in tail:
                    continue
                values: set[str | None] = {
                    None if v.strip() == "null" else v.strip().strip("'") for v in m["values"].split("|")
                }
                out[(type_name, attr, m["key"])] = values
    return out


ENUMS = declared_enums()
UNIQUE = re.compile(r"u\d+$", re.IGNORECASE)
FREE_TEXT = {w.lower() for w in WORDS} | {"tcp", "udp", "icmp", "icmpv6", "-1", "6", "50"}


def enum_violations(resource: Resource) -> list[str]:
    found = []
    for (type_name, attr, key), allowed in ENUMS.items():
        if type_name != resource.type or attr not in resource.attributes:
            continue
        value = resource.attributes[attr]
        if key is None:
            seen = [value]
        else:
            items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            seen = [i.get(key) for i in items if isinstance(i, dict) and key in i]
        for v in seen:
            # Only values of the model's enums count: free text drawn for unenumerated members says nothing.
            if v not in allowed and v is not None and str(v).lower() not in FREE_TEXT and not UNIQUE.match(str(v)):
                found.append(
                    f"{type_name}.{attr}{'.' + key if key else ''}: {v!r} is not one of {sorted(map(str, allowed))}"
                )
    return found


def run(spec: ServiceSpec, clients: ShapeClients, world: ShapeWorld) -> tuple[list[Resource], list[Any]]:
    clients.world = world
    ctx = CollectContext(spec=spec, account=ACCOUNT, region="us-east-1", partition="aws", make_client=clients)
    return list(spec.collect(ctx)), ctx.errors


def verdicts(resources: list[Resource], errors: list[Any], controls: list[Any]) -> dict[tuple[str, str], Any]:
    # Every resource judged as CDE, so CDE controls judge it too.
    tagged = [dataclasses.replace(r, tags={**r.tags, "pci-scope": "cde"}) for r in resources]
    estate = analyze(tagged, ScopeConfig())
    results = Evaluator(controls).evaluate(estate, errors, NOW)
    return {(r.control.id, str(r.resource["uid"])): r for r in results}


def differing(a: Resource, b: Resource) -> list[str]:
    keys = sorted(set(a.attributes) | set(b.attributes))
    return [k for k in keys if a.attributes.get(k, "<absent>") != b.attributes.get(k, "<absent>")]


# Collectors whose remaining findings belong to another change of issue 15 (documented defaults).
PENDING: dict[str, str] = {}


def _attempt(spec: ServiceSpec, clients: ShapeClients, world: ShapeWorld, label: str) -> tuple[Any, Any] | None:
    """The collector run on `world`'s answers, its records held to their contracts; None after a crash in
    survey mode (recorded), which otherwise propagates."""
    try:
        found, errors = run(spec, clients, world)
    except Exception as exc:
        if not SURVEY:
            raise
        require([f"{spec.name}: crash{label} {type(exc).__name__}: {exc}"])
        return None
    require([f"{spec.name}: {v}" for r in found for v in violations(r) + enum_violations(r)])
    return found, errors


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(s, marks=pytest.mark.xfail(reason=PENDING[s.name], strict=False)) if s.name in PENDING else s
        for s in SPECS
    ],
    ids=[s.name for s in SPECS],
)
def test_collector_on_botocore_shapes(spec: ServiceSpec) -> None:
    clients = ShapeClients()
    types = set(spec.resource_types)
    controls = [c for c in CONTROLS if c.resource in types]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=os.environ.get("PCICHECK_SHAPE_RANDOM") is None,
        database=None,
        suppress_health_check=list(HealthCheck),
        # The message names what differs; shrinking hundreds of draws would only cost minutes.
        phases=(Phase.explicit, Phase.generate),
    )
    @given(st.data())
    def check(data: Any) -> None:
        world = ShapeWorld(data, always=ALWAYS)
        first = _attempt(spec, clients, world, "")
        if first is None:
            return
        found, errors = first
        unfollowed = {op: sorted(world.issued[op] - world.returned[op]) for op in world.issued}
        require([f"{spec.name}: {op}: page tokens never asked for: {t}" for op, t in unfollowed.items() if t])

        second = _attempt(spec, clients, world.refilled(), " (filled)")
        if second is None:
            return
        filled, filled_errors = second
        if not controls:
            return
        before = verdicts(found, errors, controls)
        after = verdicts(filled, filled_errors, controls)
        by_uid = {r.uid: r for r in found}
        filled_by_uid = {r.uid: r for r in filled}
        decided = []
        for key, result in before.items():
            other = after.get(key)
            if result.status not in DECIDED or other is None or other.status == result.status:
                continue
            uid = key[1]
            changed = differing(by_uid[uid], filled_by_uid[uid]) if uid in by_uid and uid in filled_by_uid else []
            read = READS[key[0]] | {attr for control, attr in DOCUMENTED if control == key[0]}
            relevant = [a for a in changed if a in read]
            if relevant and all((key[0], attr) in DOCUMENTED for attr in relevant):
                continue
            decided.append(
                f"{key[0]} on {uid}: {result.status.value} with fields absent, {other.status.value} with them "
                f"present; attributes that differ: "
                + ", ".join(
                    f"{k}: {by_uid[uid].attributes.get(k, '<absent>')!r} → "
                    f"{filled_by_uid[uid].attributes.get(k, '<absent>')!r}"
                    for k in changed
                )
                + f"; {other.message}"
            )
        require(decided)

    check()
