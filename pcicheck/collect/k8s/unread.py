"""Network policy kinds pcicheck does not evaluate, recognised so their presence is never ignored.

A CiliumNetworkPolicy, a Calico (Global)NetworkPolicy or an AdminNetworkPolicy can deny traffic that
NetworkPolicy allows, and most can allow traffic it denies: where one may govern a flow, pcicheck cannot
say more than `possible`. They are kept as `k8s.unread_policy` records (kind, namespace, name, no
contents) so reachability, its facts and the controls on them can say which kinds they did not read.

Which traffic each kind may govern, as its API defines its subjects:
- namespaced kinds (CiliumNetworkPolicy, Calico and Antrea NetworkPolicy) select pods of their own
  namespace only: they govern the egress of a source there and the ingress of a destination there. So
  they may deny a flow with an end there, and allow one only where the directions they govern are what
  denies it: a flow the other end's NetworkPolicy denies stays denied (analyze/k8s_reach.py);
- cluster-wide kinds (CiliumClusterwideNetworkPolicy, Calico GlobalNetworkPolicy, AdminNetworkPolicy,
  BaselineAdminNetworkPolicy, ClusterNetworkPolicy, Antrea ClusterNetworkPolicy) may select any pod.
A BaselineAdminNetworkPolicy applies only to traffic no NetworkPolicy decides (network-policy-api: its
rules apply to pods "not matched by any ANP or NetworkPolicy"), so it may deny what NetworkPolicy leaves
open but never allow what NetworkPolicy isolation denies. The others may do both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pcicheck.collect.k8s.kinds import Kind
from pcicheck.model import Resource, resource_type

UNREAD_POLICY = resource_type(
    "k8s.unread_policy",
    "A network policy of a kind pcicheck does not evaluate (Cilium, Calico, Antrea, AdminNetworkPolicy…): the "
    "flows it may govern are `possible`. Only its kind, namespace and name are kept",
    kind="string: the object's kind, e.g. 'CiliumNetworkPolicy'",
    api_group="string: its API group, e.g. 'cilium.io'",
    label="string: how reports name the kind, e.g. 'CiliumNetworkPolicy (cilium.io)'",
    cluster_wide="bool: it may select pods of every namespace",
    may_allow="bool: it may allow traffic NetworkPolicy denies (false: it can only deny)",
    unlisted="string?: set when the policies of this kind (or, kind '*', of any kind) could not be listed "
    "live: why; the one record then stands for all of them, cluster-wide",
)


@dataclass(frozen=True)
class PolicyKind:
    group: str
    kind: str
    plural: str  # the resource name in URLs and RBAC rules
    version: str  # the version current releases serve (the demo API server's; live scans ask discovery)
    cluster_wide: bool
    may_allow: bool = True

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.group})"

    @property
    def as_kind(self) -> Kind:
        """The kind as the API serves it (kinds.Kind): what the live collector lists and the demo API
        server serves."""
        return Kind(self.kind, self.group, self.version, self.plural, UNREAD_POLICY.name, not self.cluster_wide)


_CALICO = ("projectcalico.org", "crd.projectcalico.org")  # the API server's group, and the CRDs' behind it
_CALICO_VERSION = {"projectcalico.org": "v3", "crd.projectcalico.org": "v1"}
_NP_API = "policy.networking.k8s.io"
KINDS: tuple[PolicyKind, ...] = (
    PolicyKind("cilium.io", "CiliumNetworkPolicy", "ciliumnetworkpolicies", "v2", cluster_wide=False),
    PolicyKind(
        "cilium.io", "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", "v2", cluster_wide=True
    ),
    *(PolicyKind(g, "NetworkPolicy", "networkpolicies", _CALICO_VERSION[g], cluster_wide=False) for g in _CALICO),
    *(
        PolicyKind(g, "GlobalNetworkPolicy", "globalnetworkpolicies", _CALICO_VERSION[g], cluster_wide=True)
        for g in _CALICO
    ),
    PolicyKind(_NP_API, "AdminNetworkPolicy", "adminnetworkpolicies", "v1alpha1", cluster_wide=True),
    PolicyKind(
        _NP_API,
        "BaselineAdminNetworkPolicy",
        "baselineadminnetworkpolicies",
        "v1alpha1",
        cluster_wide=True,
        may_allow=False,
    ),
    PolicyKind(_NP_API, "ClusterNetworkPolicy", "clusternetworkpolicies", "v1alpha2", cluster_wide=True),
    PolicyKind("crd.antrea.io", "NetworkPolicy", "networkpolicies", "v1beta1", cluster_wide=False),
    PolicyKind("crd.antrea.io", "ClusterNetworkPolicy", "clusternetworkpolicies", "v1beta1", cluster_wide=True),
)
# crd.projectcalico.org is where Calico stores what its API server serves as projectcalico.org: where
# both serve a kind, the second holds the same policies, and listing it too would count each twice.
STORED_BEHIND = {"crd.projectcalico.org": "projectcalico.org"}
UNREAD_LABELS = frozenset(k.label for k in KINDS)  # how manifests list them among the kinds not evaluated
BY_GROUP_KIND: Mapping[tuple[str, str], PolicyKind] = MappingProxyType({(k.group, k.kind): k for k in KINDS})


def group_of(api_version: Any) -> str:
    """`cilium.io/v2` → `cilium.io`; `v1` (the core group) → ``."""
    text = str(api_version or "")
    return text.rsplit("/", 1)[0] if "/" in text else ""


def policy_kind(obj: Mapping[str, Any]) -> PolicyKind | None:
    """The unread policy kind of a manifest object, by API group and kind; None for any other object."""
    return BY_GROUP_KIND.get((group_of(obj.get("apiVersion")), str(obj.get("kind"))))


def unread_record(known: PolicyKind, namespace: str, name: str, cluster: str, source: tuple[str, ...]) -> Resource:
    scope = "_cluster" if known.cluster_wide else namespace
    return Resource(
        uid=f"k8s://{cluster}/{scope}/{known.kind}.{known.group}/{name}",
        type=UNREAD_POLICY.name,
        provider="k8s",
        account=cluster,
        region="" if known.cluster_wide else namespace,
        name=f"{known.label} {name}" if known.cluster_wide else f"{known.label} {namespace}/{name}",
        tags={},
        attributes={
            "kind": known.kind,
            "api_group": known.group,
            "label": known.label,
            "cluster_wide": known.cluster_wide,
            "may_allow": known.may_allow,
            "unlisted": None,
        },
        source=source,
    )


ANY_KIND = "*"


def unlisted_record(known: PolicyKind | None, why: str, cluster: str, source: tuple[str, ...]) -> Resource:
    """One record for every policy of a kind that could not be listed (None: any kind, discovery failed):
    nothing says where they are or what they select, so it stands cluster-wide and may allow."""
    kind, group = (known.kind, known.group) if known else (ANY_KIND, ANY_KIND)
    label = known.label if known else "network policy kinds not discovered"
    return Resource(
        uid=f"k8s://{cluster}/_cluster/{kind}.{group}/(not-listed)",
        type=UNREAD_POLICY.name,
        provider="k8s",
        account=cluster,
        region="",
        name=f"{label}: not listed ({why})",
        tags={},
        attributes={
            "kind": kind,
            "api_group": group,
            "label": label,
            "cluster_wide": True,
            "may_allow": known.may_allow if known else True,
            "unlisted": why,
        },
        source=source,
    )
