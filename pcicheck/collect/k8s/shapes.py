"""Strict shapes for the Kubernetes objects pcicheck reads: every field normalize.py reads is checked
for the type the Kubernetes API gives it before it is read, so a wrongly typed field is an error with
its path (and line, in a manifest), never read as empty and judged `pass`.

The types come from the ecosystem's schema, not a hand-written copy: the official `kubernetes`
client's OpenAPI models (`V1PodSpec.openapi_types` → `{'containers': 'List[V1Container]', ...}`),
walked from the kind's model (`V1Pod`, `V1ClusterRole`, …) along the fields named below. Only the
fields pcicheck reads are walked (READS), which keeps the check cheap on 20,000-object manifests and
never rejects an object for a field pcicheck does not judge. tests/hostile/test_k8s_shapes.py proves
READS covers every field normalize.py reads.

Where the OpenAPI type is wider or narrower than what the API server accepts, a format says so:
  port       int32 port number 1-65535 (containerPort, Service port)
  port0      as port, 0 meaning unset (hostPort, nodePort)
  portOrName IntOrString: a port number, or an IANA service name (NetworkPolicy port, targetPort)
  cidr, ip   an address the API server would parse (ipBlock, podIP, loadBalancerSourceRanges, …)
  quantity   resource.Quantity, which the client models as 'str' but JSON also writes as a number
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pcicheck.collect.k8s.kinds import BY_KIND

# --------------------------------------------------------------------------- what pcicheck reads

_META = ("metadata.name", "metadata.namespace", "metadata.labels", "metadata.ownerReferences.controller")
_CONTAINER = (
    "name",
    "image",
    "securityContext.privileged",
    "securityContext.allowPrivilegeEscalation",
    "securityContext.runAsNonRoot",
    "securityContext.runAsUser",
    "securityContext.readOnlyRootFilesystem",
    "securityContext.capabilities.add",
    "securityContext.capabilities.drop",
    "securityContext.seccompProfile.type",
    "imagePullPolicy",
    "resources.limits:quantity",
    "resources.requests:quantity",
    "ports.name",
    "ports.containerPort:port",
    "ports.hostPort:port0",
    "ports.protocol",
    "env.name",
    "env.value",
    "env.valueFrom.secretKeyRef",
)
_POD_SPEC = (
    "securityContext.runAsNonRoot",
    "securityContext.runAsUser",
    "securityContext.seccompProfile.type",
    "automountServiceAccountToken",
    "serviceAccountName",
    "serviceAccount",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "nodeName",
    "nodeSelector",
    "volumes.hostPath.path",
    *(f"{group}.{field}" for group in ("containers", "initContainers", "ephemeralContainers") for field in _CONTAINER),
)


def _template(prefix: str) -> tuple[str, ...]:
    return (f"{prefix}.metadata.labels", *(f"{prefix}.spec.{p}" for p in _POD_SPEC))


_SELECTOR = ("matchLabels", "matchExpressions.key", "matchExpressions.operator", "matchExpressions.values")


def _policy_rules(direction: str, peers: str) -> tuple[str, ...]:
    return (
        *(f"spec.{direction}.{peers}.{sel}.{p}" for sel in ("podSelector", "namespaceSelector") for p in _SELECTOR),
        f"spec.{direction}.{peers}.ipBlock.cidr:cidr",
        f"spec.{direction}.{peers}.ipBlock.except:cidr",
        f"spec.{direction}.ports.protocol",
        f"spec.{direction}.ports.port:portOrName",
        f"spec.{direction}.ports.endPort:port",
    )


_RULES = ("rules.apiGroups", "rules.resources", "rules.verbs", "rules.resourceNames", "rules.nonResourceURLs")
_BINDING = ("roleRef.kind", "roleRef.name", "subjects.kind", "subjects.name", "subjects.namespace")
# Keys pcicheck lists for both kinds; neither model has all three (the API server drops the others).
_KEYS = ("data=Dict[str, str]", "binaryData=Dict[str, str]", "stringData=Dict[str, str]")

# Every field normalize.py reads, per kind, as dotted JSON paths (a list's items take the list's path).
READS: Mapping[str, tuple[str, ...]] = {
    "Namespace": (),
    "Node": (
        "spec.taints.key",
        "spec.taints.value",
        "spec.taints.effect",
        "status.nodeInfo.kubeletVersion",
        "status.addresses.type",
        "status.addresses.address",
    ),
    "Pod": (*(f"spec.{p}" for p in _POD_SPEC), "status.podIP:ip", "status.podIPs.ip:ip"),
    "Service": (
        "spec.type",
        "spec.selector",
        "spec.ports.name",
        "spec.ports.port:port",
        "spec.ports.targetPort:portOrName",
        "spec.ports.protocol",
        "spec.ports.nodePort:port0",
        "spec.loadBalancerSourceRanges:cidr",
        "spec.externalIPs:ip",
    ),
    "ServiceAccount": ("automountServiceAccountToken",),
    "ConfigMap": _KEYS,
    "Secret": ("type", *_KEYS),
    "ResourceQuota": ("spec.hard:quantity",),
    "LimitRange": (
        "spec.limits.type",
        *(f"spec.limits.{m}:quantity" for m in ("default", "defaultRequest", "max", "min")),
    ),
    "Deployment": _template("spec.template"),
    "StatefulSet": _template("spec.template"),
    "DaemonSet": _template("spec.template"),
    "ReplicaSet": _template("spec.template"),
    "ReplicationController": _template("spec.template"),
    "Job": _template("spec.template"),
    "CronJob": _template("spec.jobTemplate.spec.template"),
    "NetworkPolicy": (
        "spec.policyTypes",
        *(f"spec.podSelector.{p}" for p in _SELECTOR),
        *_policy_rules("ingress", "from"),
        *_policy_rules("egress", "to"),
    ),
    "Ingress": ("spec.ingressClassName", "spec.rules.host", "spec.tls.hosts"),
    "Role": _RULES,
    "ClusterRole": (*_RULES, "aggregationRule"),
    "RoleBinding": _BINDING,
    "ClusterRoleBinding": _BINDING,
}


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ShapeProblem:
    """A field whose type or value the Kubernetes API would refuse."""

    path: str  # spec.template.spec.containers[0].securityContext
    message: str  # expected a mapping, got a string ('privileged')
    line: int  # in the manifest; 0 for live objects
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# --------------------------------------------------------------------------- the schema, compiled


@dataclass(frozen=True)
class _Field:
    """One field to check, compiled from its OpenAPI type: what shape its value must have, the format
    of a scalar, the element of a list or map, and the fields under an object that pcicheck reads."""

    type: str  # 'str', 'int', 'bool', 'List[V1Container]', 'Dict[str, str]', 'V1PodSpec', ...
    shape: str  # "list", "map", "model" or the scalar type ('object' is a free-form or IntOrString scalar)
    fmt: str = ""
    item: _Field | None = None  # the element of a list or map
    children: Mapping[str, _Field] = field(default_factory=dict)  # object fields pcicheck reads


_LIST = re.compile(r"^[Ll]ist\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict\[str, (.+)\]|dict\(str, (.+)\))$")  # client 31+ and older clients
_SCALARS = frozenset({"str", "int", "float", "bool", "datetime", "date", "object", "bytes"})


def _field_type(model: str, json_name: str) -> str:
    from kubernetes import client

    cls = getattr(client, model)
    for attr, name in cls.attribute_map.items():
        if name == json_name:
            return str(cls.openapi_types[attr])
    raise KeyError(f"{model} has no field {json_name!r}")  # READS names a field the API does not have


def _make(type_: str, fmt: str, deeper: list[tuple[list[str], str]]) -> _Field:
    if m := _LIST.match(type_):
        return _Field(type_, "list", fmt, _make(m.group(1), fmt, deeper))
    if m := _DICT.match(type_):
        return _Field(type_, "map", fmt, _make(m.group(1) or m.group(2), fmt, deeper))
    if type_ in _SCALARS:
        return _Field(type_, type_, fmt)
    # A model: its fields that pcicheck reads (none for one read whole: aggregationRule, secretKeyRef).
    return _Field(type_, "model", fmt, children=_compile(type_, deeper))


def _compile(model: str, paths: list[tuple[list[str], str]]) -> Mapping[str, _Field]:
    grouped: dict[str, list[tuple[list[str], str]]] = {}
    for parts, fmt in paths:
        if parts:
            grouped.setdefault(parts[0], []).append((parts[1:], fmt))
    out: dict[str, _Field] = {}
    for head, rest in grouped.items():
        # `name=Type`: a field the model lacks that pcicheck reads anyway, with the type it must have.
        name, _, given = head.partition("=")
        fmt = next((f for p, f in rest if not p and f), "")
        out[name] = _make(given or _field_type(model, name), fmt, rest)
    return out


@functools.cache
def schema(kind: str) -> _Field:
    """The compiled shape of a kind: its model and the fields pcicheck reads. Cached: the models are
    static, and compiling walks them once per kind and process."""
    model = f"{BY_KIND[kind].version.capitalize()}{kind}"
    paths = [p.partition(":") for p in (*_META, "kind", "apiVersion", *READS[kind])]
    return _make(model, "", [(name.split("."), fmt) for name, _, fmt in paths])


# --------------------------------------------------------------------------- checking

_WANT = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false", "bytes": "a string"}
_WANT_SHAPE = {"list": "a list", "map": "a mapping", "model": "a mapping"}
_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$")  # IANA_SVC_NAME, as the API has it
_PORT_FIX = "a port number from 1 to 65535, or a port name (lower-case letters, digits and '-', at most 15)"


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"a string ({shown!r})"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_SCALAR_OK: Mapping[str, Any] = {
    "str": lambda v: isinstance(v, str),
    "bytes": lambda v: isinstance(v, str),  # base64 text in JSON and YAML
    "int": _is_int,
    "float": lambda v: _is_int(v) or isinstance(v, float),
    "bool": lambda v: isinstance(v, bool),
    "datetime": lambda v: isinstance(v, str | date),  # YAML reads an unquoted timestamp as a date
    "date": lambda v: isinstance(v, str | date),
    "object": lambda v: True,  # free-form, or IntOrString (checked by its format)
}

Problem = tuple[str, str] | None  # (message, fix)


def _port(value: Any, low: int = 1) -> Problem:
    fix = f"a number from {max(low, 1)} to 65535"
    if not _is_int(value):
        return f"expected a port number, got {_got(value)}", fix
    return None if low <= value <= 65535 else (f"port {value} is out of range", fix)


def _port_or_name(value: Any) -> Problem:
    if _is_int(value):
        return None if 1 <= value <= 65535 else (f"port {value} is out of range", _PORT_FIX)
    # A named port, as the API validates it: a digit-only string is neither a number nor a name.
    if isinstance(value, str) and _PORT_NAME.match(value) and "--" not in value:
        return None
    return f"expected a port number or name, got {_got(value)}", _PORT_FIX


def _quantity(value: Any) -> Problem:
    if isinstance(value, str) or _is_int(value) or isinstance(value, float):
        return None
    return f"expected a quantity, got {_got(value)}", "a quantity such as 500m, 2 or 1Gi"


def _cidr(value: Any) -> Problem:
    try:
        ipaddress.ip_network(value, strict=False)  # host bits set are accepted, as the API does
    except ValueError:
        return f"{value!r} is not a CIDR", "e.g. 10.0.0.0/16"
    return None


def _ip(value: Any) -> Problem:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"{value!r} is not an IP address", "e.g. 10.0.0.12"
    return None


_FORMATS: Mapping[str, Any] = {
    "port": _port,
    "port0": lambda v: _port(v, 0),
    "portOrName": _port_or_name,
    "quantity": _quantity,
    "cidr": _cidr,
    "ip": _ip,
}


def _line_of(container: Any, key: str, default: int) -> int:
    line_of = getattr(container, "line_of", None)
    return int(line_of(key)) if line_of else default


class _Walk:
    """One object's walk, stopping at the first problem. The path and line of a field are worked out only
    when it is wrong: `trail` holds, per level, the mapping or list and the key or index in it."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.trail: list[tuple[Any, str | int]] = []
        self.problem: ShapeProblem | None = None

    def where(self) -> tuple[str, int]:
        path, line = "", int(getattr(self.root, "line", 0))
        for container, key in self.trail:
            if isinstance(key, int):
                path += f"[{key}]"
                line = int(getattr(container[key], "line", 0)) or line  # a list item knows its own line
            else:
                path += f".{key}" if path else key
                line = _line_of(container, key, line)
        return path, line

    def fail(self, message: str, fix: str) -> None:
        path, line = self.where()
        self.problem = ShapeProblem(path, message, line, fix)

    def mismatch(self, f: _Field, value: Any) -> None:
        want = _WANT_SHAPE.get(f.shape) or _WANT.get(f.shape, "a value")
        self.fail(f"expected {want}, got {_got(value)}", f"write {want} there, as the Kubernetes API requires")

    def value(self, f: _Field, value: Any) -> None:
        if value is None:
            return  # null is "not set", as the API server reads it
        shape = f.shape
        if shape == "model":
            self.object(f, value)
        elif shape == "list":
            self.items(f, value)
        elif shape == "map":
            self.entries(f, value)
        elif not _SCALAR_OK[shape](value) and (f.fmt != "quantity" or _quantity(value)):
            self.mismatch(f, value)  # a Quantity is 'str' in the models, a number in JSON too
        elif f.fmt and (bad := _FORMATS[f.fmt](value)):
            self.fail(*bad)

    def object(self, f: _Field, value: Any) -> None:
        if not isinstance(value, dict):
            self.mismatch(f, value)
            return
        for name, child in f.children.items():
            if name in value:
                self.trail.append((value, name))
                self.value(child, value[name])
                if self.problem:
                    return
                self.trail.pop()

    def items(self, f: _Field, value: Any) -> None:
        if not isinstance(value, list):
            self.mismatch(f, value)
            return
        self.elements(f, value, enumerate(value))

    def entries(self, f: _Field, value: Any) -> None:
        if not isinstance(value, dict):
            self.mismatch(f, value)
            return
        self.elements(f, value, ((str(k), v) for k, v in value.items()))

    def elements(self, f: _Field, container: Any, pairs: Iterable[tuple[str | int, Any]]) -> None:
        """Each element of a list or map against the field's item type; a null element is never valid
        (not a list entry, not a label or quantity)."""
        item = f.item
        assert item is not None
        for key, element in pairs:
            self.trail.append((container, key))
            if element is None:
                self.mismatch(item, element)
            else:
                self.value(item, element)
            if self.problem:
                return
            self.trail.pop()


def _endport_problem(spec: Mapping[str, Any]) -> ShapeProblem | None:
    """endPort needs a numbered port at or below it (the API server's rule; the analyzers rely on it)."""
    for direction in ("ingress", "egress"):
        for i, rule in enumerate(spec.get(direction) or ()):
            for j, port in enumerate(rule.get("ports") or ()):
                end, start = port.get("endPort"), port.get("port")
                if end is None:
                    continue
                where = f"spec.{direction}[{i}].ports[{j}].endPort"
                line = _line_of(port, "endPort", getattr(port, "line", 0))
                if not _is_int(start):
                    return ShapeProblem(where, "endPort needs a numbered port", line, "set port to a number")
                if end < start:
                    return ShapeProblem(where, f"endPort {end} is below port {start}", line, "endPort must be >= port")
    return None


def _ip_block_problem(spec: Mapping[str, Any]) -> ShapeProblem | None:
    """An ipBlock needs its cidr (a required field the API server enforces): without it the peer would
    be read as no addresses at all, or not read."""
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or ()):
            for j, peer in enumerate(rule.get(peers) or ()):
                block = peer.get("ipBlock")
                if block is not None and block.get("cidr") is None:
                    where = f"spec.{direction}[{i}].{peers}[{j}].ipBlock"
                    line = _line_of(peer, "ipBlock", getattr(peer, "line", 0))
                    return ShapeProblem(where, "an ipBlock without a cidr", line, "set cidr, e.g. 10.0.0.0/16")
    return None


def _node_address_problem(status: Mapping[str, Any]) -> ShapeProblem | None:
    """An InternalIP must be an address (a Hostname address need not be)."""
    for i, address in enumerate(status.get("addresses") or ()):
        if address.get("type") == "InternalIP" and (bad := _ip(address.get("address"))):
            line = _line_of(address, "address", getattr(address, "line", 0))
            return ShapeProblem(f"status.addresses[{i}].address", bad[0], line, bad[1])
    return None


def check(obj: Mapping[str, Any]) -> ShapeProblem | None:
    """The first field of `obj` (of a kind in kinds.KINDS) pcicheck reads whose type or value the
    Kubernetes API would refuse; None when every such field is well formed."""
    kind = str(obj.get("kind"))
    walk = _Walk(obj)
    walk.object(schema(kind), obj)
    if walk.problem:
        return walk.problem
    # Past the walk, every field below has its type: the rules across fields can read them.
    if kind == "NetworkPolicy" and obj.get("spec"):
        return _endport_problem(obj["spec"]) or _ip_block_problem(obj["spec"])
    if kind == "Node" and obj.get("status"):
        return _node_address_problem(obj["status"])
    return None
