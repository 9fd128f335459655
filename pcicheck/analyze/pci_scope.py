"""PCI DSS scope of every resource, as PCI SSC's scoping guidance defines it: in the CDE; connected to
it (it can reach the CDE, or be reached from it); security-impacting (it provides security services
the CDE relies on: keys, identity, logging and alerting, network security controls); or out of scope.

A resource whose connectivity could not be worked out (its own network placement unknown) is
`unknown`, never out of scope: the engine then cannot say the CDE's controls do not apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pcicheck.analyze.aws_reach import REACHABILITY
from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.analyze.k8s_segmentation import SEGMENTATION
from pcicheck.model import Resource

CDE = "cde"
CONNECTED = "connected-to"
SECURITY_IMPACTING = "security-impacting"
OUT_OF_SCOPE = "out-of-scope"
UNKNOWN = "unknown"

# Whether something is connected to the CDE is only as complete as the listings reachability reads.
CONNECTIVITY_READS = tuple(
    sorted({t for a in (REACHABILITY, SEGMENTATION) for t in a.fact("connected_to_cde").reads} | {"k8s.node"})
)

# Types whose job is a security service for whatever runs beside them: encryption keys, identity and
# access, audit logging and alerting, threat detection, and the network security controls themselves.
SECURITY_TYPES = frozenset(
    {
        "aws.account",
        "aws.region",  # regional security settings: GuardDuty, default EBS encryption, Config
        "aws.kms.key",
        "aws.iam.user",
        "aws.iam.role",
        "aws.iam.policy",
        "aws.cloudtrail.trail",
        "aws.logs.log_group",
        "aws.logs.metric_filter",
        "aws.cloudwatch.alarm",
        "aws.sns.topic",
        "aws.guardduty.detector",
        "aws.config.region",
        "aws.secretsmanager.secret",
        "aws.acm.certificate",
        "aws.wafv2.web_acl",
        "aws.ec2.security_group",
        "aws.ec2.network_acl",
        "aws.ec2.route_table",
        "aws.eks.cluster",
        "k8s.cluster",
        "k8s.network_policy",
        "k8s.role",
        "k8s.cluster_role",
        "k8s.role_binding",
        "k8s.cluster_role_binding",
    }
)


def _links_text(links: list[Any]) -> str:
    shown = [
        f"{link.get('direction', '?')} {link.get('peer', '?')} ({link.get('verdict', '?')})"
        for link in links[:3]
        if isinstance(link, Mapping)
    ]
    more = f" and {len(links) - 3} more" if len(links) > 3 else ""
    return "; ".join(shown) + more


def _connectivity(inputs: AnalysisInput) -> dict[str, Any]:
    """uid → connected_to_cde as the reachability analyzers left it (a list, or None when unknown), and
    for a subnet from which some address can reach a CDE node, a `to-cde` link to that node: a network
    segment with a path into the CDE is itself connected-to."""
    out: dict[str, Any] = {}
    for name in ("aws-reachability", "k8s-segmentation"):
        for uid, facts in inputs.earlier.get(name, {}).items():
            if "connected_to_cde" in facts:
                found = facts["connected_to_cde"]
                out[uid] = None if found is None else list(found)  # a copy: links are added below
    names = {r.uid: r.name for r in inputs.resources}
    for uid, facts in inputs.earlier.get("aws-reachability", {}).items():
        for source in facts.get("non_cde_sources") or ():
            if source.get("type") == "aws.ec2.subnet" and source.get("uid"):
                link = {"direction": "to-cde", "peer": names.get(uid, uid), "verdict": source.get("verdict")}
                out.setdefault(source["uid"], [])
                if out[source["uid"]] is not None:
                    out[source["uid"]].append(link)
    return out


def _verdict(r: Resource, scope: Mapping[str, Any], links: Any, has_cde: bool, any_cde: bool) -> tuple[str, str]:
    if scope.get("scope") == "cde":
        return CDE, str(scope.get("scope_reason", ""))
    if "cde" in (scope.get("pod_scopes") or ()):
        # A node is shared infrastructure of every pod on it: one CDE pod brings it into the CDE.
        return CDE, "runs pods of a CDE namespace"
    if links:
        return CONNECTED, f"connected to the CDE: {_links_text(links)}"
    if not any_cde:
        return OUT_OF_SCOPE, "not in the CDE, and the scan found no CDE it could connect to"
    if links is None and r.type not in SECURITY_TYPES:
        return UNKNOWN, "whether it connects to the CDE is unknown: its network placement could not be read"
    if has_cde and r.type in SECURITY_TYPES:
        return SECURITY_IMPACTING, "a security service (keys, identity, logging, network controls) beside a CDE"
    return OUT_OF_SCOPE, f"not in the CDE ({scope.get('scope_reason', 'no CDE marker')}) and not connected to it"


def _analyze(inputs: AnalysisInput) -> FactMap:
    scopes = inputs.earlier["scope"]
    links = _connectivity(inputs)
    with_cde = {r.account for r in inputs.resources if scopes.get(r.uid, {}).get("scope") == "cde"}
    facts: FactMap = {}
    nodes = inputs.earlier.get("nodes", {})
    for r in inputs.resources:
        # Only resources the reachability analyses judged can be connected-to; for the rest, no links.
        has_cde = r.account in with_cde
        own = {**scopes.get(r.uid, {}), **nodes.get(r.uid, {})}
        mine = links.get(r.uid, [])
        scope, reason = _verdict(r, own, mine, has_cde, bool(with_cde))
        facts[r.uid] = {"pci_scope": scope, "pci_scope_reason": reason, "pci_scope_links": mine or []}
    return facts


PCI_SCOPE = Analyzer(
    "pci-scope",
    (
        Fact(
            "pci_scope",
            "'cde', 'connected-to' (it can reach the CDE or be reached from it), 'security-impacting' (a security "
            "service beside a CDE), 'out-of-scope', or 'unknown' (its connectivity could not be worked out)",
            CONNECTIVITY_READS,
        ),
        Fact("pci_scope_reason", "why, in words a report can quote", CONNECTIVITY_READS),
        Fact(
            "pci_scope_links",
            "{direction, peer, verdict} links to the CDE that make it connected-to (empty otherwise)",
            CONNECTIVITY_READS,
        ),
    ),
    _analyze,
)
