"""The resource types are declared beside their collectors (model.resource_type), and the collected
records keep to those declarations: every type, attribute and value kind of the demo's snapshot."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from pcicheck.collect.aws.runner import service_specs
from pcicheck.collect.conformance import violations
from pcicheck.collect.k8s import live, normalize, rbac, unread
from pcicheck.collect.k8s.kinds import BY_KIND, KINDS
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.collect.registry import resource_types
from pcicheck.demo import kubeapi
from pcicheck.model import ResourceType, resource_type
from pcicheck.snapshot import read_snapshot
from tests.conftest import DemoRun


def test_every_type_has_a_description_and_attributes() -> None:
    types = resource_types()
    assert len(types) == 67
    for name, t in types.items():
        assert t.name == name
        assert name.startswith(("aws.", "k8s.")), name
        assert t.description.strip(), name
        assert t.attributes, name


def test_each_type_is_declared_once() -> None:
    """Specs may share a declaration (wafv2's REGIONAL and CLOUDFRONT specs), never hold two of one name."""
    by_name: dict[str, set[int]] = defaultdict(set)
    for spec in service_specs():
        assert len(set(spec.resource_types)) == len(spec.types), spec.name
        for t in spec.types:
            by_name[t.name].add(id(t))
    for t in (live.CLUSTER, *normalize.TYPES, unread.UNREAD_POLICY):
        by_name[t.name].add(id(t))
    assert {n for n, ids in by_name.items() if len(ids) > 1} == set()
    assert set(by_name) == set(resource_types())
    assert len({s.name for s in service_specs()}) == len(service_specs())


@pytest.mark.parametrize(
    "spec",
    ["boolean", "bool:", "bool:no-space", "bool?? x", "str: a string", "", "?: doc", "Bool: doc"],
)
def test_a_malformed_attribute_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"aws\.example, attribute broken"):
        resource_type("aws.example", "Example", broken=spec)


def test_declarations_parse_kind_nullability_and_doc() -> None:
    t = resource_type("aws.example", "Example", on="bool", key="string?: key ARN; null = none")
    assert (t.attributes["on"].kind, t.attributes["on"].nullable, t.attributes["on"].doc) == ("bool", False, "")
    assert (t.attributes["key"].kind, t.attributes["key"].nullable) == ("string", True)
    assert t.attributes["key"].doc == "key ARN; null = none"
    with pytest.raises(ValueError, match="no attributes"):
        resource_type("aws.example", "Example")
    with pytest.raises(ValueError, match="no description"):
        resource_type("aws.example", " ", on="bool")
    with pytest.raises(TypeError):
        t.attributes["on"] = t.attributes["key"]  # type: ignore[index]


def test_the_demo_snapshot_keeps_to_the_declarations(demo_run: DemoRun) -> None:
    assert demo_run.code == 0
    snapshot = read_snapshot(demo_run.out / "snapshot.json.gz")
    assert len({r.type for r in snapshot.resources}) > 40  # both providers, most types
    found = [v for r in snapshot.resources for v in violations(r)]
    assert found == []


ROOT = Path(__file__).resolve().parents[2]
# Kinds no fixture holds, written as a manifest would have them.
_MORE_OBJECTS = (
    {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "a"}, "spec": {"hard": {"pods": 10}}},
    {
        "kind": "LimitRange",
        "metadata": {"name": "l", "namespace": "a"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]},
    },
    {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "auditors"}],
    },
    {"kind": "Secret", "metadata": {"name": "s", "namespace": "a"}, "type": "Opaque", "data": {"k": "dg=="}},
)


def test_manifest_records_keep_to_the_declarations() -> None:
    fixtures = (
        ROOT / "fixtures" / "k8s",
        ROOT / "fixtures" / "demo" / "k8s-cluster.yaml",
        ROOT / "fixtures" / "iac" / "k8s",
    )
    # One read per fixture: they are separate clusters, and share namespace names.
    records = [r for path in fixtures for r in read_manifests([path]).resources]
    records += [r for o in _MORE_OBJECTS if (r := normalize.to_resource(o, "c", ())) is not None]
    assert {r.type for r in records} >= {"k8s.resource_quota", "k8s.limit_range", "k8s.cluster_role_binding"}
    assert [v for r in records for v in violations(r)] == []


def test_one_table_of_kubernetes_kinds() -> None:
    """The collector, the normalizer, the ClusterRole and the demo API server all read kinds.KINDS."""
    assert kubeapi.KINDS is KINDS
    assert live.KINDS is KINDS  # type: ignore[attr-defined]  # what it lists: the imported table
    assert list(BY_KIND) == [k.kind for k in KINDS]
    declared = {t.name: t for t in normalize.TYPES}
    for kind in KINDS:
        assert isinstance(declared.get(kind.resource_type), ResourceType), kind.kind
        assert kind.resource_type in normalize._ATTRIBUTES, kind.kind
    listed = {(rule["apiGroups"][0], p) for rule in rbac.cluster_role()["rules"] for p in rule["resources"]}
    # And the policy kinds pcicheck does not read, listed where a cluster serves them (unread.KINDS).
    assert listed == {(k.group, k.plural) for k in KINDS} | {(k.group, k.plural) for k in unread.KINDS}
    # Every record type the normalizer declares is built from some kind, except the pod endpoints.
    assert set(declared) - {k.resource_type for k in KINDS} == {normalize.POD.name}
