"""Kubernetes objects (as the API returns them, or as written in manifests) → Resource records.

One function for live clusters and manifest files, so both evaluate alike. Values of Secrets and
ConfigMaps never reach a record: only key names, and whether a key or env value looks like a
credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pcicheck.collect.k8s.images import ImageRef, parse_image
from pcicheck.collect.k8s.kinds import BY_KIND
from pcicheck.model import Resource, ResourceType, resource_type
from pcicheck.redact import looks_like_credential

CLUSTER_SCOPE = "_cluster"

# The record types built here. uid k8s://<cluster>/<namespace or _cluster>/<Kind>/<name>; account =
# cluster name, region = namespace ('' for cluster-scoped kinds); tags = the object's labels. Live
# clusters and manifest files produce the same records (the API server's meaningful defaults applied).
# Which kinds become which type: kinds.KINDS.
NAMESPACE = resource_type(
    "k8s.namespace",
    "Namespace",
    labels="map: labels (always includes kubernetes.io/metadata.name)",
    pod_security="map: {enforce, enforce_version, audit, warn}: values of the pod-security.kubernetes.io/* "
    "labels, each null when unset",
)
WORKLOAD = resource_type(
    "k8s.workload",
    "A pod, or the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/ReplicationController/Job/CronJob "
    "(live pods owned by a controller are not repeated)",
    kind="string: 'Pod'|'Deployment'|'StatefulSet'|'DaemonSet'|'ReplicaSet'|'ReplicationController'|'Job'|'CronJob'",
    pod_labels="map: the pod's (template's) labels",
    service_account="string: 'default' when unset",
    automount_token="bool?: pod spec automountServiceAccountToken; null = not set",
    host_network="bool",
    host_pid="bool",
    host_ipc="bool",
    node_name="string?",
    node_selector="map",
    host_path_volumes="list: host paths mounted through hostPath volumes",
    containers="list: {name, init (bool), ephemeral (bool: an ephemeral container, e.g. added by `kubectl debug`), "
    "image, image_ref ({registry, repository, name, tag, digest, reference}: the image as the runtime resolves it, "
    "e.g. 'nginx' → docker.io/library/nginx:latest; null when the reference grammar refuses it), image_pull_policy "
    "(defaulted as the API server does: Always for a latest tag, else IfNotPresent), privileged (bool), "
    "allow_privilege_escalation (bool|null; null = not set, which Linux treats as true), run_as_non_root (bool|null, "
    "container setting else pod's), run_as_user (int|null, container else pod), read_only_root_filesystem (bool), "
    "seccomp_profile (string|null: seccompProfile.type, container else pod; null = not set), capabilities_add [names, "
    "upper case without CAP_], capabilities_drop [names], limits (map: resources.limits, name → quantity string), "
    "requests (map: resources.requests), host_ports [ints], ports [{name, port, protocol}], credential_env [names of "
    "env vars whose name or literal value looks like a credential; values are never stored], secret_env [names of "
    "env vars taken from a Secret]}",
    pod_ip="string?: the Pod's IP (status.podIP); null for templates and pending pods",
)
POD = resource_type(
    "k8s.pod",
    "Every Pod (controller-made too) as a network endpoint for reachability; controls judge k8s.workload instead",
    pod_name="string",
    ips="list: the pod's IPs (status.podIPs / podIP)",
    node_name="string?",
    host_network="bool",
    ports="list: {name, port, protocol} of all its containers",
)
SERVICE = resource_type(
    "k8s.service",
    "Service",
    service_type="string: 'ClusterIP'|'NodePort'|'LoadBalancer'|'ExternalName'",
    selector="map: empty selects no pods",
    ports="list: {name, port, target_port (int or name), protocol, node_port (int|null)}",
    load_balancer_source_ranges="list: CIDRs",
    external_ips="list",
)
INGRESS = resource_type(
    "k8s.ingress",
    "Ingress (networking.k8s.io/v1)",
    ingress_class="string?",
    hosts="list: the rules' hosts ('*' for a rule without host)",
    tls_hosts="list: hosts named in spec.tls",
    tls_complete="bool: spec.tls is set and every rule host is covered by it",
)
NETWORK_POLICY = resource_type(
    "k8s.network_policy",
    "NetworkPolicy (networking.k8s.io/v1), with policyTypes defaulted as the API server does",
    pod_selector="map: label selector {match_labels, match_expressions}",
    policy_types="list: 'Ingress'/'Egress' (defaulted)",
    ingress="list: rules {from: [peers], ports: [{protocol (defaulted TCP), port, end_port}]}; absent 'from'/'ports' "
    "are [] (= all)",
    egress="list: rules {to: [peers], ports: [...]}",
    default_deny_ingress="bool: empty pod selector, Ingress in policy_types and no ingress rules",
    default_deny_egress="bool: empty pod selector, Egress in policy_types and no egress rules",
)
SERVICE_ACCOUNT = resource_type(
    "k8s.service_account",
    "ServiceAccount",
    automount_token="bool?: null = not set, which means true",
)
_RULES = "list: {api_groups, resources, verbs, resource_names, non_resource_urls}"
ROLE = resource_type("k8s.role", "Role", rules=_RULES)
CLUSTER_ROLE = resource_type(
    "k8s.cluster_role",
    "ClusterRole",
    rules=_RULES,
    aggregated="bool: has an aggregationRule",
)
ROLE_BINDING = resource_type(
    "k8s.role_binding",
    "RoleBinding",
    role_ref="map: {kind ('Role'|'ClusterRole'), name}",
    subjects="list: {kind ('User'|'Group'|'ServiceAccount'), name, namespace (string|null)}",
)
CLUSTER_ROLE_BINDING = resource_type(
    "k8s.cluster_role_binding",
    "ClusterRoleBinding",
    role_ref="map: {kind, name}",
    subjects="list: {kind, name, namespace}",
)
RESOURCE_QUOTA = resource_type("k8s.resource_quota", "ResourceQuota", hard="map: resource name → quantity string")
LIMIT_RANGE = resource_type("k8s.limit_range", "LimitRange", limits="list: {type, default, default_request, max, min}")
NODE = resource_type(
    "k8s.node",
    "Node",
    labels="map",
    taints="list: {key, value, effect}",
    kubelet_version="string?",
    internal_ips="list: the node's InternalIP addresses",
    pod_namespaces="list: sorted namespaces of the pods scheduled on the node (spec.nodeName), controller-made pods "
    "included",
)
CONFIGMAP = resource_type(
    "k8s.configmap",
    "ConfigMap (keys only; values are never stored)",
    keys="list: data and binaryData keys",
    credential_keys="list: keys whose name or value looks like a credential",
)
SECRET = resource_type(
    "k8s.secret",
    "Secret (names, type and keys only; values are never read)",
    secret_type="string",
    keys="list: data keys",
)
TYPES: tuple[ResourceType, ...] = (
    NAMESPACE,
    WORKLOAD,
    POD,
    SERVICE,
    INGRESS,
    NETWORK_POLICY,
    SERVICE_ACCOUNT,
    ROLE,
    CLUSTER_ROLE,
    ROLE_BINDING,
    CLUSTER_ROLE_BINDING,
    RESOURCE_QUOTA,
    LIMIT_RANGE,
    NODE,
    CONFIGMAP,
    SECRET,
)

# Objects a controller made from a template pcicheck already judges (the Deployment, not its Pods).
_TEMPLATED = {"Pod", "ReplicaSet", "Job"}


def made_by_controller(kind: str, obj: dict[str, Any]) -> bool:
    """A Pod/ReplicaSet/Job owned by a controller: judged through its owner's template, not again.
    Live clusters and `kubectl get -o yaml` dumps both list them; skipping in both keeps verdicts equal.
    A Pod that has ephemeral containers (`kubectl debug`) is no longer what its template says: it is
    judged itself, or those containers would be judged nowhere."""
    owners = _map(obj.get("metadata")).get("ownerReferences")
    if kind == "Pod" and _list(_map(obj.get("spec")).get("ephemeralContainers")):
        return False
    return kind in _TEMPLATED and any(_map(o).get("controller") for o in _list(owners))


def uid(cluster: str, namespace: str | None, kind: str, name: str) -> str:
    return f"k8s://{cluster}/{namespace or CLUSTER_SCOPE}/{kind}/{name}"


# Objects reach the builders below only after shapes.check: every field read here has the API's type.
# The two readers still refuse a wrong type rather than read it as empty, so a field shapes.READS
# forgot fails closed (an error) instead of passing; a missing field (None) is empty.


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return list(value)


def _map(value: Any) -> dict[str, Any]:
    """The mapping itself, not a copy: builders only read it (attributes copy what they keep)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return value


def pod_spec_of(kind: str, obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pod metadata, pod spec) of a Pod or of a controller's pod template."""
    spec = _map(obj.get("spec"))
    if kind == "Pod":
        return _map(obj.get("metadata")), spec
    if kind == "CronJob":
        spec = _map(_map(spec.get("jobTemplate")).get("spec"))
    template = _map(spec.get("template"))
    return _map(template.get("metadata")), _map(template.get("spec"))


def _pull_policy(c: dict[str, Any], ref: ImageRef | None) -> str:
    """imagePullPolicy as the API server defaults it (SetDefaults_Container): Always when the tag pulled
    is `latest` (written, or implied by no tag and no digest), else IfNotPresent."""
    given = c.get("imagePullPolicy")
    if given:
        return str(given)
    return "Always" if ref is not None and ref.tag == "latest" else "IfNotPresent"


def _quantities(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in _map(value).items()}


def _container(c: dict[str, Any], pod_sc: dict[str, Any], init: bool, ephemeral: bool = False) -> dict[str, Any]:
    sc = _map(c.get("securityContext"))
    caps = _map(sc.get("capabilities"))
    env = _list(c.get("env"))
    resources = _map(c.get("resources"))
    run_as_non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
    run_as_user = sc.get("runAsUser", pod_sc.get("runAsUser"))
    seccomp = _map(sc.get("seccompProfile")).get("type") or _map(pod_sc.get("seccompProfile")).get("type")
    image = str(c.get("image", ""))
    ref = parse_image(image)
    return {
        "name": str(c.get("name", "")),
        "init": init,
        "ephemeral": ephemeral,
        "image": image,
        "image_ref": ref.as_attribute() if ref else None,
        "image_pull_policy": _pull_policy(c, ref),
        "privileged": bool(sc.get("privileged", False)),
        "allow_privilege_escalation": sc.get("allowPrivilegeEscalation"),
        "run_as_non_root": run_as_non_root if isinstance(run_as_non_root, bool) else None,
        "run_as_user": run_as_user if isinstance(run_as_user, int) else None,
        "read_only_root_filesystem": bool(sc.get("readOnlyRootFilesystem", False)),
        "seccomp_profile": str(seccomp) if seccomp else None,
        "capabilities_add": sorted({str(x).upper().removeprefix("CAP_") for x in _list(caps.get("add"))}),
        "capabilities_drop": sorted({str(x).upper().removeprefix("CAP_") for x in _list(caps.get("drop"))}),
        "limits": _quantities(resources.get("limits")),
        "requests": _quantities(resources.get("requests")),
        "host_ports": sorted(int(p["hostPort"]) for p in _list(c.get("ports")) if _map(p).get("hostPort")),
        "ports": [
            {
                "name": p.get("name"),
                "port": p.get("containerPort"),
                "protocol": p.get("protocol") or "TCP",  # the API server's default
            }
            for p in map(_map, _list(c.get("ports")))
        ],
        "credential_env": sorted(
            str(e.get("name", ""))
            for e in map(_map, env)
            if "value" in e and looks_like_credential(str(e.get("name", "")), e.get("value"))
        ),
        "secret_env": sorted(
            str(e.get("name", "")) for e in map(_map, env) if _map(_map(e.get("valueFrom")).get("secretKeyRef"))
        ),
    }


def _workload(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    meta, spec = pod_spec_of(kind, obj)
    pod_sc = _map(spec.get("securityContext"))
    containers = [_container(_map(c), pod_sc, True) for c in _list(spec.get("initContainers"))]
    containers += [_container(_map(c), pod_sc, False) for c in _list(spec.get("containers"))]
    # Added to a running Pod by `kubectl debug`; they run with the pod's privileges and are judged alike.
    containers += [_container(_map(c), pod_sc, False, True) for c in _list(spec.get("ephemeralContainers"))]
    automount = spec.get("automountServiceAccountToken")
    return {
        "kind": kind,
        "pod_labels": {str(k): str(v) for k, v in _map(meta.get("labels")).items()},
        "service_account": str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        "automount_token": automount if isinstance(automount, bool) else None,
        "host_network": bool(spec.get("hostNetwork", False)),
        "host_pid": bool(spec.get("hostPID", False)),
        "host_ipc": bool(spec.get("hostIPC", False)),
        "node_name": spec.get("nodeName"),
        "node_selector": dict(_map(spec.get("nodeSelector"))),
        "host_path_volumes": sorted(
            str(_map(v.get("hostPath")).get("path", ""))
            for v in map(_map, _list(spec.get("volumes")))
            if v.get("hostPath")
        ),
        "containers": containers,
        # Only a running Pod has an address; templates do not.
        "pod_ip": _map(obj.get("status")).get("podIP") if kind == "Pod" else None,
    }


def _selector(sel: Any) -> dict[str, Any]:
    sel = _map(sel)
    return {
        "match_labels": {str(k): str(v) for k, v in _map(sel.get("matchLabels")).items()},
        "match_expressions": [
            {"key": e.get("key"), "operator": e.get("operator"), "values": [str(v) for v in _list(e.get("values"))]}
            for e in map(_map, _list(sel.get("matchExpressions")))
        ],
    }


def _policy_ports(ports: Any) -> list[dict[str, Any]]:
    return [
        {"protocol": p.get("protocol") or "TCP", "port": p.get("port"), "end_port": p.get("endPort")}
        for p in map(_map, _list(ports))
    ]


def _peers(peers: Any) -> list[dict[str, Any]]:
    out = []
    for p in map(_map, _list(peers)):
        block = _map(p.get("ipBlock"))
        out.append(
            {
                "pod_selector": _selector(p["podSelector"]) if "podSelector" in p else None,
                "namespace_selector": _selector(p["namespaceSelector"]) if "namespaceSelector" in p else None,
                "ip_block": {"cidr": block.get("cidr"), "except": _list(block.get("except"))} if block else None,
            }
        )
    return out


def _network_policy(obj: dict[str, Any]) -> dict[str, Any]:
    spec = _map(obj.get("spec"))
    types = _list(spec.get("policyTypes"))
    if not types:
        # API server default: Ingress always; Egress only when egress rules are present.
        types = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    ingress = [
        {"from": _peers(r.get("from")), "ports": _policy_ports(r.get("ports"))}
        for r in map(_map, _list(spec.get("ingress")))
    ]
    egress = [
        {"to": _peers(r.get("to")), "ports": _policy_ports(r.get("ports"))}
        for r in map(_map, _list(spec.get("egress")))
    ]
    selector = _selector(spec.get("podSelector"))
    selects_all = not selector["match_labels"] and not selector["match_expressions"]
    return {
        "pod_selector": selector,
        "policy_types": sorted(str(t) for t in types),
        "ingress": ingress,
        "egress": egress,
        "default_deny_ingress": selects_all and "Ingress" in types and not ingress,
        "default_deny_egress": selects_all and "Egress" in types and not egress,
    }


def _rules(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "api_groups": [str(x) for x in _list(r.get("apiGroups"))],
            "resources": [str(x) for x in _list(r.get("resources"))],
            "verbs": [str(x) for x in _list(r.get("verbs"))],
            "resource_names": [str(x) for x in _list(r.get("resourceNames"))],
            "non_resource_urls": [str(x) for x in _list(r.get("nonResourceURLs"))],
        }
        for r in map(_map, _list(obj.get("rules")))
    ]


def _binding(obj: dict[str, Any]) -> dict[str, Any]:
    ref = _map(obj.get("roleRef"))
    return {
        "role_ref": {"kind": ref.get("kind"), "name": ref.get("name")},
        "subjects": [
            {"kind": s.get("kind"), "name": s.get("name"), "namespace": s.get("namespace")}
            for s in map(_map, _list(obj.get("subjects")))
        ],
    }


def _service(obj: dict[str, Any]) -> dict[str, Any]:
    spec = _map(obj.get("spec"))
    return {
        "service_type": spec.get("type") or "ClusterIP",
        "selector": dict(_map(spec.get("selector"))),
        "ports": [
            {
                "name": p.get("name"),
                "port": p.get("port"),
                "target_port": p.get("targetPort", p.get("port")),
                "protocol": p.get("protocol") or "TCP",
                "node_port": p.get("nodePort"),
            }
            for p in map(_map, _list(spec.get("ports")))
        ],
        "load_balancer_source_ranges": _list(spec.get("loadBalancerSourceRanges")),
        "external_ips": _list(spec.get("externalIPs")),
    }


def _ingress(obj: dict[str, Any]) -> dict[str, Any]:
    spec = _map(obj.get("spec"))
    hosts = sorted({str(_map(r).get("host") or "*") for r in _list(spec.get("rules"))})
    tls_hosts = sorted({str(h) for t in map(_map, _list(spec.get("tls"))) for h in _list(t.get("hosts"))})
    has_tls = bool(_list(spec.get("tls")))
    return {
        "ingress_class": spec.get("ingressClassName"),
        "hosts": hosts,
        "tls_hosts": tls_hosts,
        "tls_complete": has_tls and all(h in tls_hosts for h in hosts if h != "*"),
    }


def _namespace(obj: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    prefix = "pod-security.kubernetes.io/"
    return {
        "labels": labels,
        "pod_security": {
            "enforce": labels.get(prefix + "enforce"),
            "enforce_version": labels.get(prefix + "enforce-version"),
            "audit": labels.get(prefix + "audit"),
            "warn": labels.get(prefix + "warn"),
        },
    }


def _keys(obj: dict[str, Any]) -> list[str]:
    return sorted(
        {
            *map(str, _map(obj.get("data"))),
            *map(str, _map(obj.get("binaryData"))),
            *map(str, _map(obj.get("stringData"))),
        }
    )


_ATTRIBUTES: dict[str, Callable[[str, dict[str, Any], dict[str, str]], dict[str, Any]]] = {
    NAMESPACE.name: lambda kind, o, labels: _namespace(o, labels),
    WORKLOAD.name: lambda kind, o, labels: _workload(kind, o),
    SERVICE.name: lambda kind, o, labels: _service(o),
    INGRESS.name: lambda kind, o, labels: _ingress(o),
    NETWORK_POLICY.name: lambda kind, o, labels: _network_policy(o),
    SERVICE_ACCOUNT.name: lambda kind, o, labels: {
        "automount_token": o.get("automountServiceAccountToken")
        if isinstance(o.get("automountServiceAccountToken"), bool)
        else None
    },
    ROLE.name: lambda kind, o, labels: {"rules": _rules(o)},
    CLUSTER_ROLE.name: lambda kind, o, labels: {"rules": _rules(o), "aggregated": bool(o.get("aggregationRule"))},
    ROLE_BINDING.name: lambda kind, o, labels: _binding(o),
    CLUSTER_ROLE_BINDING.name: lambda kind, o, labels: _binding(o),
    RESOURCE_QUOTA.name: lambda kind, o, labels: {
        "hard": {str(k): str(v) for k, v in _map(_map(o.get("spec")).get("hard")).items()}
    },
    LIMIT_RANGE.name: lambda kind, o, labels: {
        "limits": [
            {
                "type": x.get("type"),
                "default": dict(_map(x.get("default"))),
                "default_request": dict(_map(x.get("defaultRequest"))),
                "max": dict(_map(x.get("max"))),
                "min": dict(_map(x.get("min"))),
            }
            for x in map(_map, _list(_map(o.get("spec")).get("limits")))
        ]
    },
    NODE.name: lambda kind, o, labels: {
        "labels": labels,
        "taints": [
            {"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")}
            for t in map(_map, _list(_map(o.get("spec")).get("taints")))
        ],
        "kubelet_version": _map(_map(_map(o.get("status")).get("nodeInfo"))).get("kubeletVersion"),
        "internal_ips": sorted(
            str(a.get("address"))
            for a in map(_map, _list(_map(o.get("status")).get("addresses")))
            if a.get("type") == "InternalIP" and a.get("address")
        ),
    },
    CONFIGMAP.name: lambda kind, o, labels: {
        "keys": _keys(o),
        "credential_keys": sorted(
            k
            for k, v in {**_map(o.get("data")), **{b: None for b in _map(o.get("binaryData"))}}.items()
            if looks_like_credential(str(k), v)
        ),
    },
    SECRET.name: lambda kind, o, labels: {"secret_type": o.get("type") or "Opaque", "keys": _keys(o)},
}


def to_resource(obj: dict[str, Any], cluster: str, source: tuple[str, ...]) -> Resource | None:
    """A record for a kind pcicheck knows (None for any other kind). Applies the API server's
    defaults that change meaning, so a manifest reads as the live object would."""
    kind = str(obj.get("kind", ""))
    known = BY_KIND.get(kind)
    if known is None:
        return None
    rtype, namespaced = known.resource_type, known.namespaced
    meta = _map(obj.get("metadata"))
    name = str(meta.get("name", ""))
    namespace = str(meta.get("namespace") or "default") if namespaced else ""
    labels = {str(k): str(v) for k, v in _map(meta.get("labels")).items()}
    if kind == "Namespace":
        labels.setdefault("kubernetes.io/metadata.name", name)  # set by the API server on every namespace
    return Resource(
        uid=uid(cluster, namespace, kind, name),
        type=rtype,
        provider="k8s",
        account=cluster,
        region=namespace,
        name=f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}",
        tags=labels,
        attributes=_ATTRIBUTES[rtype](kind, obj, labels),
        source=source,
    )


def with_node_placement(resources: list[Resource], pods: list[dict[str, Any]] | None) -> list[Resource]:
    """Nodes get `pod_namespaces`: where the pods scheduled on them come from (all pods, including
    those made by controllers). None for `pods` means pods could not be read: the attribute then
    stays absent, so node-sharing controls report `error` rather than a guess."""
    if pods is None:
        return resources
    placement: dict[str, set[str]] = {}
    for pod in pods:
        node = _map(pod.get("spec")).get("nodeName")
        if node:
            placement.setdefault(str(node), set()).add(str(_map(pod.get("metadata")).get("namespace") or "default"))
    return [
        replace(
            r, attributes={**r.attributes, "pod_namespaces": sorted(placement.get(r.name.removeprefix("Node "), ()))}
        )
        if r.type == NODE.name
        else r
        for r in resources
    ]


def pod_endpoint(obj: dict[str, Any], cluster: str, source: tuple[str, ...]) -> Resource:
    """Every Pod, controller-made or not, as a network endpoint for reachability (no controls judge
    these: workloads are judged as k8s.workload)."""
    meta = _map(obj.get("metadata"))
    namespace = str(meta.get("namespace") or "default")
    name = str(meta.get("name", ""))
    spec = _map(obj.get("spec"))
    status = _map(obj.get("status"))
    ips = [str(p.get("ip")) for p in map(_map, _list(status.get("podIPs"))) if p.get("ip")]
    if status.get("podIP") and str(status["podIP"]) not in ips:
        ips.insert(0, str(status["podIP"]))
    return Resource(
        uid=uid(cluster, namespace, "PodEndpoint", name),
        type=POD.name,
        provider="k8s",
        account=cluster,
        region=namespace,
        name=f"Pod {namespace}/{name}",
        tags={str(k): str(v) for k, v in _map(meta.get("labels")).items()},
        attributes={
            "pod_name": name,
            "ips": ips,
            "node_name": spec.get("nodeName"),
            "host_network": bool(spec.get("hostNetwork", False)),
            "ports": [
                {"name": p.get("name"), "port": p.get("containerPort"), "protocol": p.get("protocol") or "TCP"}
                for c in map(_map, _list(spec.get("containers")) + _list(spec.get("initContainers")))
                for p in map(_map, _list(c.get("ports")))
                if p.get("containerPort") is not None
            ],
        },
        source=source,
    )
