"""Property-based test of the manifest reader (hypothesis): any value at any place of real-looking objects
of every kind pcicheck reads. The reader returns records that evaluate without a crash, or raises
InputError with the file and line; and a mapping, list or boolean on a path pcicheck reads, replaced by a
value of another kind, is always refused — never read as empty and judged. (Memory bounds: the alias
and size tests in test_yaml_bombs.py and test_yaml_reading.py run the CLI under an address-space cap.)"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pcicheck.catalog import load_catalog
from pcicheck.collect.k8s.manifests import manifest_snapshot
from pcicheck.collect.k8s.shapes import READS
from pcicheck.config import Config
from pcicheck.errors import InputError
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.snapshot import judging_file, read_snapshot, to_document
from tests.hostile.test_fuzz_readers import _paths, _replaced, json_values

SETTINGS = settings(
    max_examples=int(os.environ.get("PCICHECK_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
CATALOG = load_catalog()

_CONTAINER = {
    "name": "app",
    "image": "registry.example.com/app:1.2",
    "securityContext": {"privileged": True, "runAsNonRoot": False, "capabilities": {"add": ["NET_ADMIN"]}},
    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
    "env": [{"name": "MODE", "value": "live"}],
}
_POD_SPEC = {"hostNetwork": False, "containers": [_CONTAINER], "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}
_META = {"namespace": "payments", "labels": {"app": "api", "pci-scope": "cde"}}
OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments", "labels": {"pci-scope": "cde"}}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-0", **_META}, "spec": _POD_SPEC,
     "status": {"podIP": "10.0.0.5"}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", **_META},
     "spec": {"selector": {"matchLabels": {"app": "api"}},
              "template": {"metadata": {"labels": {"app": "api", "pci-scope": "cde"}}, "spec": _POD_SPEC}}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "everything"},
     "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "allow", **_META},
     "spec": {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"],
              "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                           "ports": [{"port": 443, "endPort": 445, "protocol": "TCP"}]}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", **_META},
     "spec": {"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 443, "targetPort": 8080}]}},
]  # fmt: skip
PLACES = [(i, p) for i, obj in enumerate(OBJECTS) for p in _paths(obj) if p]


def _read(kind: str) -> set[str]:
    """The dotted paths pcicheck reads in `kind`, and every path above them."""
    out = set()
    for entry in READS.get(kind, ()):
        parts = entry.split(":")[0].split(".")
        out |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return out


def _kind_of(value: Any) -> str:
    return "null" if value is None else type(value).__name__


_CIDR = (4, ("spec", "ingress", 0, "from", 0, "ipBlock", "cidr"))
_IPBLOCK = (4, ("spec", "ingress", 0, "from", 0, "ipBlock"))


@SETTINGS
@given(place=st.sampled_from(PLACES), value=json_values)
@example(place=_CIDR, value=None)  # found by this test: a null cidr read as the text "None"
@example(place=_IPBLOCK, value={"a": None})  # an ipBlock without its required cidr
def test_any_value_anywhere_in_a_manifest(tmp_path: Path, place: tuple[int, tuple[Any, ...]], value: Any) -> None:
    index, where = place
    objects = [_replaced(o, where, value) if i == index else o for i, o in enumerate(OBJECTS)]
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    dotted = ".".join(str(p) for p in where if not isinstance(p, int))
    original: Any = OBJECTS[index]
    for key in where:
        original = original[key]
    must_refuse = (
        dotted in _read(OBJECTS[index]["kind"])
        and isinstance(original, dict | list | bool)
        and value is not None
        and _kind_of(value) != _kind_of(original)
    )
    event("a wrong kind on a path pcicheck reads" if must_refuse else "any other change")
    try:
        snapshot, _ = manifest_snapshot([path])
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in exc.message
        return
    assert not must_refuse, f"{OBJECTS[index]['kind']} {dotted}: {value!r} was read, not refused"
    evaluate_snapshot(snapshot, CATALOG, Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))


def _k8s_snapshot_document(tmp: Path) -> dict[str, Any]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "m.yaml").write_text(yaml.safe_dump_all(OBJECTS, sort_keys=False))
    return to_document(manifest_snapshot([tmp / "m.yaml"])[0])


K8S_SNAPSHOT = _k8s_snapshot_document(Path(tempfile.mkdtemp()) / "objects")
K8S_PLACES = [p for p in _paths(K8S_SNAPSHOT) if p[:1] == ("resources",) and len(p) > 2]


@SETTINGS
@given(where=st.sampled_from(K8S_PLACES), value=json_values)
def test_any_value_anywhere_in_a_kubernetes_snapshot(tmp_path: Path, where: tuple[Any, ...], value: Any) -> None:
    """A saved snapshot is not re-read from manifests: what the snapshot reader lets through must evaluate."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_replaced(K8S_SNAPSHOT, where, value)))
    try:
        snapshot = read_snapshot(path)
        with judging_file(path):
            evaluate_snapshot(snapshot, CATALOG, Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in exc.message
