"""The segmentation evidence an evidence pack carries when a scan covers networks: the CDE isolation plan
and the tenant separation plan, each with the requirements it supports, how many of its flows the
configuration leaves open, and those flows listed (open ones first)."""

from __future__ import annotations

from typing import Any

from pcicheck.config import ScopeConfig
from pcicheck.model import Snapshot
from pcicheck.segmentation.flows import Flow
from pcicheck.segmentation.plan import Facts, answered, cde_flows, tenant_flows

LISTED = 500  # flows listed per plan in a pack, open ones first; the counts are never cut

SUPPORT = (
    "Configuration-level support for the segmentation penetration test, not a replacement of it: every "
    "verdict is read from the configuration as collected (security groups, network ACLs, route tables, "
    "NetworkPolicies); no traffic was sent. The test itself remains the assessor's to see performed."
)

# Where each plan is evidence, by framework: the CDE's inbound restrictions and its pen test; the tenants'.
_REQUIREMENTS = {
    "cde": {"pci-dss-4.0.1": ["1.3.1", "1.4.2", "11.4.5"], "pci-dss-3.2.1": ["1.2.1", "1.3", "11.3.4"]},
    "tenants": {"pci-dss-4.0.1": ["A1.1.1", "A1.1.2", "A1.1.4"], "pci-dss-3.2.1": ["A1.2"]},
}
_EMPTY = {
    "cde": "no CDE component with a network placement was found to isolate",
    "tenants": "fewer than two tenants with a network placement were found to separate",
}

_NETWORK_TYPES = ("aws.ec2.subnet", "k8s.pod")


def covers_networks(snapshot: Snapshot) -> bool:
    """Whether the scan read anything a flow can be answered against: AWS subnets or Kubernetes pods."""
    return any(r.type in _NETWORK_TYPES for r in snapshot.resources)


def segmentation_evidence(
    snapshot: Snapshot, scope: ScopeConfig, facts: Facts, listed: int = LISTED
) -> dict[str, Any] | None:
    """The pack's segmentation section, or None when the scan covered no network. `listed` bounds the
    flows listed per plan."""
    if not covers_networks(snapshot):
        return None
    plans = (
        (
            "cde",
            "CDE isolation: flows into the CDE from outside it and from the internet",
            cde_flows,
            "non_cde_sources",
        ),
        (
            "tenants",
            "Tenant separation: flows from each tenant into every other tenant",
            tenant_flows,
            "other_tenant_sources",
        ),
    )
    entries = []
    for plan_id, title, build, sources in plans:
        answers = answer_with_facts(snapshot, scope, build(snapshot, scope, facts), facts, sources, listed)
        entries.append(_entry(plan_id, title, answers, _REQUIREMENTS[plan_id], _EMPTY[plan_id], listed))
    return {"support": SUPPORT, "plans": entries}


def answer_with_facts(
    snapshot: Snapshot, scope: ScopeConfig, flows: list[Flow], facts: Facts, sources: str, listed: int
) -> list[dict[str, Any]]:
    """Every flow's configured verdict. An AWS subnet → node flow whose subnet the node's reach facts
    (`sources`: every subnet from which some address reaches it, on any port) do not name is denied
    without asking again: the plan of a large account is hundreds of thousands of such flows. Those
    listed in the pack are still asked, for the reason where each is stopped."""
    reaching = {
        (str(s.get("uid")), uid) for uid, f in facts.items() for s in (f.get(sources) or ()) if isinstance(s, dict)
    }

    def vouched(f: Flow) -> bool:
        return f.uids is not None and facts.get(f.uids[1], {}).get(sources) is not None and f.uids not in reaching

    closed = [vouched(f) for f in flows]
    asked = [i for i, c in enumerate(closed) if not c]
    answers = dict(zip(asked, answered(snapshot, scope, [flows[i] for i in asked]), strict=True))
    # Denied flows are listed after the open ones, in the plan's order: ask for the reasons of those shown.
    room = max(0, listed - sum(a["allowed"] is not False for a in answers.values()))
    shown: list[int] = []
    denied = 0
    for i, c in enumerate(closed):
        if denied >= room:
            break
        if c:
            shown.append(i)
        denied += c or answers[i]["allowed"] is False
    answers.update(zip(shown, answered(snapshot, scope, [flows[i] for i in shown]), strict=True))
    return [answers[i] if i in answers else _closed(f) for i, f in enumerate(flows)]


def _closed(f: Flow) -> dict[str, Any]:
    return {
        "from": f.source,
        "to": f.destination,
        "port": f.port,
        "protocol": f.protocol,
        "allowed": False,
        "reason": f"no address of {f.source} reaches {f.destination} on any port (its reachability facts)",
        "expect": "denied",
    }


def _verdict(allowed: Any) -> str:
    return {True: "allowed", False: "denied"}.get(allowed, "possible")


def _entry(
    plan_id: str,
    title: str,
    answers: list[dict[str, Any]],
    requirements: dict[str, list[str]],
    empty: str,
    listed: int,
) -> dict[str, Any]:
    flows = [
        {
            "from": a["from"],
            "to": a["to"],
            "port": a["port"],
            "protocol": a["protocol"],
            "verdict": _verdict(a["allowed"]),
            "reason": a["reason"],
        }
        for a in answers
    ]
    order = {"allowed": 0, "possible": 1, "denied": 2}
    flows.sort(key=lambda f: order[f["verdict"]])  # stable: the plan's own order within a verdict
    counts = {v: sum(f["verdict"] == v for f in flows) for v in order}
    return {
        "id": plan_id,
        "title": title,
        "requirements": requirements,
        "flows": len(flows),
        "not_denied": counts["allowed"] + counts["possible"],
        "counts": counts,
        **({"note": empty} if not flows else {}),
        "listed": flows[:listed],
        "left_out": max(0, len(flows) - listed),
    }
