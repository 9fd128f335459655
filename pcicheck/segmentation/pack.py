"""The segmentation evidence an evidence pack carries when a scan covers networks: the CDE isolation plan
and the tenant separation plan, each with the requirements it supports, how many of its flows the
configuration leaves open, and those flows listed (open ones first)."""

from __future__ import annotations

from typing import Any

from pcicheck.config import ScopeConfig
from pcicheck.model import Snapshot
from pcicheck.segmentation.plan import Facts, plan, tenant_plan

LISTED = 500  # flows listed per plan in a pack, open ones first; the counts are never cut

SUPPORT = (
    "Configuration-level support for the segmentation penetration test, not a replacement of it: every "
    "verdict is read from the configuration as collected (security groups, network ACLs, route tables, "
    "NetworkPolicies); no traffic was sent. The test itself remains the assessor's to see performed."
)

# Where each plan is evidence, by framework: the CDE's inbound restrictions and its pen test; the tenants'.
_CDE_REQUIREMENTS = {"pci-dss-4.0.1": ["1.3.1", "1.4.2", "11.4.5"], "pci-dss-3.2.1": ["1.2.1", "1.3", "11.3.4"]}
_TENANT_REQUIREMENTS = {"pci-dss-4.0.1": ["A1.1.1", "A1.1.2", "A1.1.4"], "pci-dss-3.2.1": ["A1.2"]}

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
    return {
        "support": SUPPORT,
        "plans": [
            _entry(
                "cde",
                "CDE isolation: flows into the CDE from outside it and from the internet",
                plan(snapshot, scope, facts),
                _CDE_REQUIREMENTS,
                "no CDE component with a network placement was found to isolate",
                listed,
            ),
            _entry(
                "tenants",
                "Tenant separation: flows from each tenant into every other tenant",
                tenant_plan(snapshot, scope, facts),
                _TENANT_REQUIREMENTS,
                "fewer than two tenants with a network placement were found to separate",
                listed,
            ),
        ],
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
