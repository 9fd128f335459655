"""The Kubernetes kinds pcicheck reads, in one table.

Every consumer reads it: the live collector (what to list, and how), the normalizer (which record
type an object becomes, and whether it lives in a namespace), the ClusterRole generator (get/list
on exactly these) and the demo API server (what it serves, with kubectl's short names). Adding a
kind is a row here, plus a record type and its builder in normalize.py when it needs a new one.

The order is the order kinds are listed in, and so of a live scan's errors and calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Kind:
    kind: str  # "Deployment"
    group: str  # API group; "" for the core group
    version: str
    plural: str  # the resource name in URLs and RBAC rules, "deployments"
    resource_type: str  # the record type normalize.py builds from it, e.g. "k8s.workload"
    namespaced: bool
    short_names: tuple[str, ...] = ()  # as discovery reports them (kubectl get deploy)
    # Listed as PartialObjectMetadataList: the server never sends the objects' contents (Secrets).
    metadata_only: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        """The cluster-wide list URL: /api/v1/pods, /apis/apps/v1/deployments."""
        return (
            f"/api/{self.version}/{self.plural}"
            if not self.group
            else f"/apis/{self.group}/{self.version}/{self.plural}"
        )

    @property
    def qualified(self) -> str:
        """How the API server names the resource in messages: `clusterroles.rbac.authorization.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def group_plural(self) -> str:
        """`apps/deployments`, `secrets`: how a list is named in provenance ("k8s:list apps/deployments")
        and in the demo API server's `forbidden` set."""
        return f"{self.group}/{self.plural}" if self.group else self.plural


_RBAC = "rbac.authorization.k8s.io"
_NET = "networking.k8s.io"

KINDS: tuple[Kind, ...] = (
    Kind("Namespace", "", "v1", "namespaces", "k8s.namespace", False, ("ns",)),
    Kind("Node", "", "v1", "nodes", "k8s.node", False, ("no",)),
    Kind("Pod", "", "v1", "pods", "k8s.workload", True, ("po",)),
    Kind("Service", "", "v1", "services", "k8s.service", True, ("svc",)),
    Kind("ServiceAccount", "", "v1", "serviceaccounts", "k8s.service_account", True, ("sa",)),
    Kind("ConfigMap", "", "v1", "configmaps", "k8s.configmap", True, ("cm",)),
    Kind("Secret", "", "v1", "secrets", "k8s.secret", True, metadata_only=True),
    Kind("ResourceQuota", "", "v1", "resourcequotas", "k8s.resource_quota", True, ("quota",)),
    Kind("LimitRange", "", "v1", "limitranges", "k8s.limit_range", True, ("limits",)),
    Kind("Deployment", "apps", "v1", "deployments", "k8s.workload", True, ("deploy",)),
    Kind("StatefulSet", "apps", "v1", "statefulsets", "k8s.workload", True, ("sts",)),
    Kind("DaemonSet", "apps", "v1", "daemonsets", "k8s.workload", True, ("ds",)),
    Kind("ReplicaSet", "apps", "v1", "replicasets", "k8s.workload", True, ("rs",)),
    Kind("ReplicationController", "", "v1", "replicationcontrollers", "k8s.workload", True, ("rc",)),
    Kind("Job", "batch", "v1", "jobs", "k8s.workload", True),
    Kind("CronJob", "batch", "v1", "cronjobs", "k8s.workload", True, ("cj",)),
    Kind("NetworkPolicy", _NET, "v1", "networkpolicies", "k8s.network_policy", True, ("netpol",)),
    Kind("Ingress", _NET, "v1", "ingresses", "k8s.ingress", True, ("ing",)),
    Kind("Role", _RBAC, "v1", "roles", "k8s.role", True),
    Kind("ClusterRole", _RBAC, "v1", "clusterroles", "k8s.cluster_role", False),
    Kind("RoleBinding", _RBAC, "v1", "rolebindings", "k8s.role_binding", True),
    Kind("ClusterRoleBinding", _RBAC, "v1", "clusterrolebindings", "k8s.cluster_role_binding", False),
)

BY_KIND: Mapping[str, Kind] = MappingProxyType({k.kind: k for k in KINDS})
