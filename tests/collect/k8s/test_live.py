"""Live collection with the real kubernetes client against the local API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.cli import main
from pcicheck.collect.k8s.live import PAGE_SIZE, K8sOptions, collect_k8s
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig
from pcicheck.demo.kubeapi import load_manifests, serve
from pcicheck.errors import CollectionFailed
from pcicheck.evaluate.engine import Evaluator

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "fixtures" / "k8s" / "sample.yaml"
NOW = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    with serve(load_manifests([SAMPLE]), token="t0ken") as handle:
        yield handle, handle.kubeconfig(tmp_path / "kubeconfig")


def comparable(resources: Any) -> dict[tuple[str, str, str], tuple[Any, Any]]:
    # Secrets (metadata only when live) and the cluster record (live only) are compared elsewhere.
    return {
        (r.type, r.region, r.name): (r.tags, r.attributes)
        for r in resources
        if r.type not in ("k8s.secret", "k8s.cluster")
    }


def test_live_and_files_give_the_same_records_and_verdicts(cluster: tuple[Any, Path]) -> None:
    handle, kubeconfig = cluster
    live = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    files = read_manifests([SAMPLE])
    assert live.errors == ()
    assert comparable(live.resources) == comparable(files.resources)
    assert live.identity["k8s"]["cluster"] == "pcicheck-demo"
    (record,) = [r for r in live.resources if r.type == "k8s.cluster"]
    assert record.attributes["server"] == handle.url and record.attributes["version"]
    controls = [c for c in load_catalog().controls if c.resource.startswith("k8s.") and c.resource != "k8s.secret"]

    def verdicts(resources: Any) -> set[tuple[str, str, str]]:
        results = Evaluator(controls).evaluate(analyze(resources, ScopeConfig()), [], NOW)
        return {
            (r.control.id, r.resource["name"], r.status.value) for r in results if r.resource["type"] != "k8s.secret"
        }

    assert verdicts(live.resources) == verdicts(files.resources)


def test_secrets_are_listed_as_metadata_only(cluster: tuple[Any, Path]) -> None:
    handle, kubeconfig = cluster
    live = collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    secrets = [r for r in live.resources if r.type == "k8s.secret"]
    assert secrets and all(r.attributes == {} for r in secrets)
    secret_calls = [path for _, path, _ in handle.requests if "/secrets" in path]
    assert secret_calls == [f"/api/v1/secrets?limit={PAGE_SIZE}"]


def test_only_get_list_calls_with_pagination(tmp_path: Path) -> None:
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "a"},
            "spec": {"containers": [{"name": "c", "image": "i"}]},
        }
        for i in range(1203)
    ]
    with serve(pods, token="t") as handle:
        snap = collect_k8s(K8sOptions(kubeconfig=str(handle.kubeconfig(tmp_path / "kc"))))
        assert sum(r.type == "k8s.workload" for r in snap.resources) == 1203
        assert snap.calls["k8s:list pods"] == 3
        assert {method for method, _, _ in handle.requests} == {"GET"}


def test_forbidden_kind_is_a_collection_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    with serve(load_manifests([SAMPLE]), token="t", forbidden={"rbac.authorization.k8s.io/clusterroles"}) as handle:
        snap = collect_k8s(K8sOptions(kubeconfig=str(handle.kubeconfig(tmp_path / "kc"))))
    (err,) = snap.errors
    assert (err.operation, err.code, err.resource_types) == ("list clusterroles", "Forbidden", ("k8s.cluster_role",))
    assert any(r.type == "k8s.role" for r in snap.resources)


def test_wrong_token_and_unreachable_server(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with serve(load_manifests([SAMPLE]), token="right") as handle:
        kubeconfig = handle.kubeconfig(tmp_path / "kc")
        kubeconfig.write_text(kubeconfig.read_text().replace("right", "expired"))
        with pytest.raises(CollectionFailed, match=r"refused pcicheck \(401 Unauthorized\).*token is wrong or expired"):
            collect_k8s(K8sOptions(kubeconfig=str(kubeconfig)))
    # The server is gone now: the same kubeconfig points nowhere.
    code = main(["scan", "--k8s", "--kubeconfig", str(kubeconfig)])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach the Kubernetes API server at http://127.0.0.1:" in err


def test_missing_kubeconfig(capsys: pytest.CaptureFixture) -> None:
    code = main(["scan", "--k8s", "--kubeconfig", "/nonexistent/kubeconfig"])
    assert code == 2 and "cannot load the Kubernetes configuration (/nonexistent/kubeconfig)" in capsys.readouterr().err


def test_collector_stays_inside_the_shipped_cluster_role(tmp_path: Path) -> None:
    import yaml

    from pcicheck.collect.k8s import unread
    from pcicheck.collect.k8s.rbac import cluster_role_yaml

    shipped = (ROOT / "deploy" / "pcicheck-clusterrole.yaml").read_text()
    assert shipped == cluster_role_yaml()  # regenerate with `pcicheck k8s-clusterrole`
    granted = {
        (group, resource, verb)
        for rule in yaml.safe_load(shipped)["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert {verb for _, _, verb in granted} == {"get", "list"}
    # Every policy CRD pcicheck lists where installed is installed here, so their lists are checked too.
    crds = [k.as_kind.group_plural for k in unread.KINDS]
    with serve(load_manifests([SAMPLE]), token="t", crds=crds, aggregated_discovery=False) as handle:
        collect_k8s(K8sOptions(kubeconfig=str(handle.kubeconfig(tmp_path / "kc"))))
    assert any("ciliumnetworkpolicies" in path for _, path, _ in handle.requests)
    for method, path, _status in handle.requests:
        assert method == "GET"
        route = path.split("?")[0].strip("/").split("/")
        if route == ["version"] or (route[0] == "apis" and len(route) <= 3):
            continue  # version and discovery: non-resource URLs every authenticated user may read (system:discovery)
        group, plural = ("", route[2]) if route[0] == "api" else (route[1], route[3])
        assert (group, plural, "list") in granted, path


def test_demo_cluster_live_and_files_agree_including_node_placement(tmp_path: Path) -> None:
    from pcicheck import paths

    demo = paths.demo_dir() / "k8s-cluster.yaml"
    with serve(load_manifests([demo]), token="t") as handle:
        live = collect_k8s(K8sOptions(kubeconfig=str(handle.kubeconfig(tmp_path / "kc"))))
    files = read_manifests([demo])
    assert comparable(live.resources) == comparable(files.resources)
    node = next(r for r in live.resources if r.type == "k8s.node" and "10-0-1-10" in r.name)
    assert node.attributes["pod_namespaces"] == ["payments", "tenant-acme"]
