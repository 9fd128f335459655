"""Class 7 (and 11's Kubernetes part): wrongly typed fields in Kubernetes objects. The API server refuses
them; pcicheck used to read them as empty and judge `pass` (a privileged container hidden in a
`containers` mapping, `rules: "*"` exiting 0) or crash with "internal error" (ports, CIDRs). Now each
is exit 2 naming file:line and the field in a manifest, and `error` (never pass) when a live API
server sends one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.k8s import normalize, shapes
from pcicheck.collect.k8s.kinds import BY_KIND, KINDS
from pcicheck.collect.k8s.live import K8sOptions, collect_k8s
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.demo.kubeapi import load_manifests, serve

ROOT = Path(__file__).resolve().parents[2]

# (case, manifest, line, message): the line and words the error must name.
CASES = [
    (
        "containers as a mapping holding a privileged container",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    evil: {name: evil, image: x, securityContext: {privileged: true}}
""",
        5,
        "spec.containers: expected a list, got a mapping",
    ),
    (
        "securityContext as a string",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: c
      image: x
      securityContext: "privileged"
""",
        8,
        "spec.containers[0].securityContext: expected a mapping, got a string",
    ),
    (
        "privileged as the string 'false'",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: c
      image: x
      securityContext:
        privileged: "false"
""",
        9,
        "securityContext.privileged: expected true or false, got a string ('false')",
    ),
    (
        "spec.template as a list",
        """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: shop}
spec:
  template:
    - spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}
""",
        5,
        "spec.template: expected a mapping, got a list",
    ),
    (
        "CronJob pod template runAsUser as a string",
        """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: shop}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {runAsUser: "0"}
          containers: [{name: c, image: x}]
""",
        9,
        "spec.jobTemplate.spec.template.spec.securityContext.runAsUser: expected an integer",
    ),
    (
        "ClusterRole rules: '*'",
        """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: god}
rules: "*"
""",
        4,
        "rules: expected a list, got a string ('*')",
    ),
    (
        "ClusterRole verbs: '*'",
        """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: god}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: "*"
""",
        7,
        "rules[0].verbs: expected a list, got a string ('*')",
    ),
    (
        "Namespace labels as a list",
        """\
apiVersion: v1
kind: Namespace
metadata:
  name: pay
  labels: [pci-scope=cde]
""",
        5,
        "metadata.labels: expected a mapping, got a list",
    ),
    (
        "containerPort 'eighty'",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: c
      image: x
      ports: [{containerPort: eighty}]
""",
        8,
        "spec.containers[0].ports[0].containerPort: expected an integer, got a string ('eighty')",
    ),
    (
        "NetworkPolicy port [80]",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: [80]
""",
        8,
        "spec.ingress[0].ports[0].port: expected a port number or name, got a list",
    ),
    (
        "NetworkPolicy port '80' (a digit string is neither a number nor a port name)",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  egress:
    - ports:
        - port: "80"
""",
        8,
        "spec.egress[0].ports[0].port: expected a port number or name, got a string ('80')",
    ),
    (
        "NetworkPolicy port out of range",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 70000
""",
        8,
        "spec.ingress[0].ports[0].port: port 70000 is out of range",
    ),
    (
        "endPort 'ninety'",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 80
          endPort: ninety
""",
        9,
        "spec.ingress[0].ports[0].endPort: expected an integer, got a string ('ninety')",
    ),
    (
        "ipBlock without a cidr (found by the manifest fuzzer: an internal error before)",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock: {except: [10.0.0.0/24]}
""",
        8,
        "spec.egress[0].to[0].ipBlock: an ipBlock without a cidr",
    ),
    (
        "endPort below port",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: 8080
          endPort: 80
""",
        9,
        "spec.ingress[0].ports[0].endPort: endPort 80 is below port 8080",
    ),
    (
        "endPort with a named port",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports:
        - port: http
          endPort: 90
""",
        9,
        "endPort needs a numbered port",
    ),
    (
        "ipBlock CIDR /33",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - from:
        - ipBlock:
            cidr: 10.0.0.0/33
""",
        9,
        "spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.0/33' is not a CIDR",
    ),
    (
        "ipBlock except not a CIDR",
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  egress:
    - to:
        - ipBlock:
            cidr: 10.0.0.0/8
            except: [everything]
""",
        10,
        "spec.egress[0].to[0].ipBlock.except[0]: 'everything' is not a CIDR",
    ),
    (
        "Pod IP 999.1.1.1",
        """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers: [{name: c, image: x}]
status:
  podIP: 999.1.1.1
""",
        7,
        "status.podIP: '999.1.1.1' is not an IP address",
    ),
    (
        "Service port 'eighty' and a bad source range",
        """\
apiVersion: v1
kind: Service
metadata: {name: s, namespace: shop}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [0.0.0.0/0, "internet"]
""",
        6,
        "spec.loadBalancerSourceRanges[1]: 'internet' is not a CIDR",
    ),
]

# What the same objects become when well formed: pcicheck reads them (the errors above are the shapes').
NAMED_PORT = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports: [{port: eighty}, {port: 80, endPort: 90}]
      from: [{ipBlock: {cidr: 10.0.0.1/24, except: [10.0.0.0/28]}}]
"""


def scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str, Path]:
    folder = tmp_path / "manifests"
    folder.mkdir(exist_ok=True)
    path = folder / "app.yaml"
    path.write_text(text)
    code = main(["scan", "--manifests", str(folder), "--format", "json", "-o", str(tmp_path / "out.json")])
    return code, capsys.readouterr().err, path


@pytest.mark.parametrize(("case", "text", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_wrongly_typed_field_in_a_manifest_is_exit_2_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, text: str, line: int, message: str
) -> None:
    # The hostile input: valid YAML of a kind pcicheck reads, which the API server would refuse.
    (obj,) = yaml.safe_load_all(text)
    assert obj["kind"] in BY_KIND
    assert shapes.check(obj) is not None
    code, err, path = scan(tmp_path, capsys, text)
    assert code == 2, err
    assert f"{path}:{line}: " in err and message in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert not (tmp_path / "out.json").exists()  # nothing judged, nothing written


def test_well_formed_ports_and_cidrs_still_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err, path = scan(tmp_path, capsys, NAMED_PORT)
    assert code in (0, 1), err  # a named port (IntOrString) and a CIDR with host bits are valid API input
    (policy,) = read_manifests([path]).resources
    assert policy.attributes["ingress"][0]["ports"][0]["port"] == "eighty"


def test_privileged_container_in_a_mapping_was_judged_pass_before(tmp_path: Path) -> None:
    """The fail-open the check closes: without it, normalize read the mapping as no containers."""
    obj = yaml.safe_load(CASES[0][1])
    assert obj["spec"]["containers"]["evil"]["securityContext"]["privileged"] is True
    with pytest.raises(TypeError, match="expected a list"):  # the readers refuse too, as a second line
        normalize.to_resource(obj, "c", ("test",))


# --------------------------------------------------------------------------- live


def test_a_malformed_live_object_makes_its_controls_error_never_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = load_manifests([ROOT / "fixtures" / "k8s" / "sample.yaml"])
    objects.append(yaml.safe_load(CASES[0][1]))  # the privileged container hidden in a mapping
    objects.append(yaml.safe_load(CASES[5][1]))  # rules: "*"
    with serve(objects, token="t") as handle:
        kubeconfig = handle.kubeconfig(tmp_path / "kc")
        snap = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
        errors = {e.operation: e for e in snap.errors}
        assert errors["list pods"].code == "MalformedObject"
        assert "Pod shop/p: spec.containers: expected a list, got a mapping" in errors["list pods"].message
        assert set(errors["list pods"].resource_types) == {"k8s.workload", "k8s.pod", "k8s.node"}
        assert "ClusterRole god: rules: expected a list" in errors["list clusterroles"].message
        assert not any(r.name in ("Pod shop/p", "ClusterRole god") for r in snap.resources)
        code = main(["scan", "--k8s", "--kubeconfig", str(kubeconfig), "--format", "json", "-o", str(tmp_path / "o")])
    capsys.readouterr()
    doc = json.loads((tmp_path / "o").read_text())
    by_control: dict[str, set[str]] = {}
    for r in results_doc.results(doc):
        by_control.setdefault(r["control"], set()).add(r["status"])
    assert "error" in by_control["k8s-workload-no-privileged"]
    assert "error" in by_control["k8s-clusterrole-no-wildcards"]
    assert code in (1, 3)  # findings in the sample, or incomplete: never 0


# --------------------------------------------------------------------------- kubeconfig

KUBECONFIGS = [
    ("not YAML", "garbage: [1, 2\n", ":2: invalid YAML"),
    ("a list", "- 1\n- 2\n", ":1: a kubeconfig is one YAML mapping"),
    ("contexts a string", "contexts: x\ncurrent-context: y\n", ":1: contexts: expected a list, got a string"),
    (
        "server a number",
        "clusters: [{name: c, cluster: {server: 5}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
        "current-context: x\nusers: [{name: u, user: {token: 7}}]\n",
        ":1: clusters[0].cluster.server: expected a string, got a number",
    ),
    ("users a mapping", "current-context: x\nusers: {u: {token: abc}}\n", ":2: users: expected a list, got a mapping"),
]


@pytest.mark.parametrize(("case", "text", "expected"), KUBECONFIGS, ids=[c[0] for c in KUBECONFIGS])
def test_garbage_kubeconfig_is_file_line_not_internal_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, text: str, expected: str
) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    code = main(["scan", "--k8s", "--kubeconfig", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}{expected}" in err, err
    assert "internal error" not in err
    assert "abc" not in err and " 7" not in err  # values are never shown: a kubeconfig holds credentials


# --------------------------------------------------------------------------- coverage of READS


class _Recorder(dict[str, Any]):
    """A mapping that records every key read through it, as a dotted path (list items share their
    list's path, as in shapes.READS)."""

    def __init__(self, data: dict[str, Any], path: str, seen: set[str]) -> None:
        super().__init__({k: _wrap(v, f"{path}.{k}" if path else k, seen) for k, v in data.items()})
        self.path, self.seen = path, seen

    def _saw(self, key: str) -> None:
        self.seen.add(f"{self.path}.{key}" if self.path else key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._saw(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._saw(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._saw(str(key))
        return super().__contains__(key)


def _wrap(value: Any, path: str, seen: set[str]) -> Any:
    if isinstance(value, dict):
        return _Recorder(value, path, seen)
    if isinstance(value, list):
        return [_wrap(v, path, seen) for v in value]
    return value


def _declared(kind: str) -> set[str]:
    """Every path shapes checks for a kind, with its prefixes."""
    out = set()
    for p in (*shapes._META, "kind", "apiVersion", *shapes.READS[kind]):
        parts = p.partition(":")[0].split(".")
        for i in range(1, len(parts) + 1):
            out.add(".".join(x.partition("=")[0] for x in parts[:i]))
    return out


def _rich_objects() -> list[dict[str, Any]]:
    from pcicheck import paths

    objects = load_manifests([ROOT / "fixtures" / "k8s" / "sample.yaml", paths.demo_dir() / "k8s-cluster.yaml"])
    objects += [yaml.safe_load(NAMED_PORT), *yaml.safe_load_all(EVERY_FIELD)]
    pod_spec = next(o for o in objects if o["metadata"]["name"] == "full")["spec"]
    template = {"metadata": {"labels": {"app": "a"}}, "spec": pod_spec}
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"):
        objects.append({"kind": kind, "metadata": {"name": "w", "namespace": "n"}, "spec": {"template": template}})
    cron = {"jobTemplate": {"spec": {"template": template}}}
    objects.append({"kind": "CronJob", "metadata": {"name": "w", "namespace": "n"}, "spec": cron})
    return objects


# One object per kind with every field pcicheck reads set, so the readers reach all of them.
EVERY_FIELD = """kind: Pod
metadata:
  name: full
  namespace: n
  labels: {app: a}
  ownerReferences: [{apiVersion: v1, kind: X, name: x, uid: u, controller: false}]
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  automountServiceAccountToken: false
  serviceAccountName: sa
  serviceAccount: sa
  hostNetwork: false
  hostPID: false
  hostIPC: false
  nodeName: node1
  nodeSelector: {zone: a}
  volumes: [{name: v, hostPath: {path: /var}}]
  initContainers: &containers
    - name: c
      image: i
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
        runAsNonRoot: true
        runAsUser: 1
        readOnlyRootFilesystem: true
        capabilities: {add: [NET_ADMIN], drop: [ALL]}
        seccompProfile: {type: Localhost, localhostProfile: p.json}
      imagePullPolicy: Always
      resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 1}}
      ports: [{name: http, containerPort: 80, hostPort: 8080, protocol: TCP}]
      env:
        - {name: A, value: b}
        - {name: T, valueFrom: {secretKeyRef: {name: s, key: k}}}
  containers: *containers
  ephemeralContainers: *containers
status:
  podIP: 10.0.0.1
  podIPs: [{ip: 10.0.0.1}]
---
kind: Service
metadata: {name: s, namespace: n}
spec:
  type: NodePort
  selector: {app: a}
  ports: [{name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}]
  loadBalancerSourceRanges: [10.0.0.0/8]
  externalIPs: [192.0.2.1]
---
kind: ResourceQuota
metadata: {name: q, namespace: n}
spec: {hard: {pods: 10, cpu: "4", memory: 8Gi}}
---
kind: LimitRange
metadata: {name: l, namespace: n}
spec:
  limits:
    - {type: Container, default: {cpu: 1}, defaultRequest: {cpu: 500m}, max: {cpu: 2}, min: {cpu: 100m}}
---
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: ServiceAccount, name: sa, namespace: n}]
---
kind: ClusterRole
metadata: {name: agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}]}
rules: [{apiGroups: [""], resources: [pods], verbs: [get], resourceNames: [x], nonResourceURLs: [/x]}]
---
kind: Node
metadata: {name: node1, labels: {zone: a}}
spec: {taints: [{key: k, value: v, effect: NoSchedule}]}
status:
  nodeInfo: {kubeletVersion: v1.30.0}
  addresses: [{type: InternalIP, address: 10.0.1.1}, {type: Hostname, address: node1}]
---
kind: Ingress
metadata: {name: i, namespace: n}
spec:
  ingressClassName: nginx
  rules: [{host: a.example.com}]
  tls: [{hosts: [a.example.com]}]
---
kind: ConfigMap
metadata: {name: c, namespace: n}
data: {a: b}
binaryData: {c: ZA==}
---
kind: Secret
metadata: {name: s, namespace: n}
type: Opaque
data: {a: Yg==}
stringData: {c: d}
---
kind: ServiceAccount
metadata: {name: sa, namespace: n}
automountServiceAccountToken: false
"""


def test_shapes_cover_every_field_normalize_reads() -> None:
    """shapes.READS names every field the builders read: a field read but not checked could be read
    wrongly typed (TypeError at best, a wrong verdict at worst)."""
    objects = _rich_objects()
    assert {o["kind"] for o in objects} >= {k.kind for k in KINDS}  # every kind exercised
    for obj in objects:
        seen: set[str] = set()
        recorded = _Recorder(obj, "", seen)
        if obj["kind"] == "Pod":
            normalize.pod_endpoint(recorded, "c", ("t",))
            normalize.with_node_placement([], [recorded])
        normalize.made_by_controller(obj["kind"], recorded)
        normalize.to_resource(recorded, "c", ("t",))
        missing = seen - _declared(obj["kind"])
        assert not missing, f"{obj['kind']}: normalize reads {sorted(missing)} that shapes.READS does not check"


def test_every_declared_field_exists_in_the_kubernetes_models() -> None:
    for spec in KINDS:
        shapes.schema(spec.kind)  # raises KeyError for a field the API does not have


# --------------------------------------------------------------------------- property: check, then read

_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in an object, as a tuple of keys and indices."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whatever_a_field_holds_the_check_refuses_it_or_the_readers_read_it(data: st.DataObject) -> None:
    """Any value at any place of a well-formed object of each kind: shapes.check names a problem, or
    normalize builds the record without an exception (no "internal error", no silent misread)."""
    import copy

    original = data.draw(st.sampled_from(list(yaml.safe_load_all(EVERY_FIELD))))
    obj = copy.deepcopy(original)
    place = data.draw(st.sampled_from([p for p in _paths(obj) if p[0] not in ("kind",)]))
    parent = obj
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = data.draw(_HOSTILE)
    if shapes.check(obj) is None:
        normalize.to_resource(obj, "c", ("t",))
        if obj["kind"] == "Pod":
            normalize.pod_endpoint(obj, "c", ("t",))
