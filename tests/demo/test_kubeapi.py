"""The local Kubernetes API server, driven by the real `kubernetes` client over HTTP.

The point of the server is that collector tests exercise the client exactly as against EKS, so
these tests use the official client wherever it can express the call, and raw HTTP only to
check wire details the client hides (item shape, headers, HEAD).
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from pcicheck.demo.kubeapi import KubeApiHandle, load_manifests, serve

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "k8s" / "sample.yaml"
TOKEN = "fake-demo-token"  # fake; the server accepts only this


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    return load_manifests([SAMPLE])


@pytest.fixture
def api(manifests: list[dict[str, Any]]) -> Iterator[KubeApiHandle]:
    with serve(manifests, token=TOKEN) as handle:
        yield handle


def kube_client(handle: KubeApiHandle, tmp_path: Path, *, token: str | None = None) -> client.ApiClient:
    """A client configured from a kubeconfig file, as the collector will be.

    client_configuration keeps the test from touching the process-wide default Configuration.
    """
    if token is not None:  # a kubeconfig carrying some other (wrong, expired) token
        handle = dataclasses.replace(handle, token=token)
    path = handle.kubeconfig(tmp_path / "kubeconfig")
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(path), context="pcicheck-demo", client_configuration=cfg)
    return client.ApiClient(cfg)


def raw_get(handle: KubeApiHandle, path: str, *, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(handle.url + path, method=method, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def status_body(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


# --------------------------------------------------------------------------- lists and pagination


def test_paginates_pods_across_namespaces_with_limit_and_continue(api: KubeApiHandle, tmp_path: Path) -> None:
    core = client.CoreV1Api(kube_client(api, tmp_path))
    pods, pages, token = [], [], None
    while True:
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        pages.append(page)
        pods.extend(page.items)
        token = page.metadata._continue
        if not token:
            break

    assert len(pages) == 3
    assert [p.metadata.remaining_item_count for p in pages] == [3, 1, None]
    # etcd key order: namespace, then name.
    assert [(p.metadata.namespace, p.metadata.name) for p in pods] == [
        ("payments", "api-7d9f"),
        ("payments", "tokenizer-0"),
        ("tenant-a", "web-1"),
        ("tenant-b", "batch-1"),
        ("tenant-b", "worker-1"),
    ]
    # Typed objects deserialize fully, including nested fields and server-set metadata.
    api_pod = pods[0]
    assert api_pod.spec.containers[0].image == "registry.example.com/payments/api:1.4.2"
    assert api_pod.spec.containers[0].ports[0].container_port == 8443
    assert api_pod.spec.containers[0].security_context.run_as_non_root is True
    assert api_pod.metadata.uid and api_pod.metadata.resource_version
    assert api_pod.metadata.creation_timestamp is not None
    assert pods[3].spec.host_network is True
    # Every page reports the same list resourceVersion: one consistent snapshot.
    assert len({p.metadata.resource_version for p in pages}) == 1

    calls = [c for c in api.requests if c[1].startswith("/api/v1/pods")]
    assert len(calls) == 3
    assert all(method == "GET" and code == 200 and "limit=2" in path for method, path, code in calls)
    assert "continue=" not in calls[0][1]
    assert all("continue=" in path for _, path, _ in calls[1:])


def test_namespaced_lists_only_that_namespace(api: KubeApiHandle, tmp_path: Path) -> None:
    api_client = kube_client(api, tmp_path)
    netpols = client.NetworkingV1Api(api_client).list_namespaced_network_policy("payments")
    assert [n.metadata.name for n in netpols.items] == ["default-deny"]
    assert netpols.items[0].spec.policy_types == ["Ingress", "Egress"]
    assert netpols.items[0].spec.pod_selector.match_labels is None

    pods = client.CoreV1Api(api_client).list_namespaced_pod("tenant-b")
    assert [p.metadata.name for p in pods.items] == ["batch-1", "worker-1"]
    # A namespace that sorts right after another must not leak into it.
    assert client.CoreV1Api(api_client).list_namespaced_pod("tenant").items == []

    deployments = client.AppsV1Api(api_client).list_deployment_for_all_namespaces()
    assert [d.spec.template.spec.containers[0].name for d in deployments.items] == ["api"]
    assert ("GET", "/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies", 200) in api.requests


def test_namespaces_carry_labels_and_the_server_set_name_label(api: KubeApiHandle, tmp_path: Path) -> None:
    namespaces = client.CoreV1Api(kube_client(api, tmp_path)).list_namespace().items
    labels = {n.metadata.name: n.metadata.labels for n in namespaces}
    assert labels["payments"]["pci-scope"] == "cde"
    assert labels["tenant-a"]["tenant"] == "acme"
    assert labels["tenant-b"]["tenant"] == "globex"
    assert all(labels[name]["kubernetes.io/metadata.name"] == name for name in labels)


def test_list_items_have_the_real_servers_shape(api: KubeApiHandle) -> None:
    code, headers, body = raw_get(api, "/apis/rbac.authorization.k8s.io/v1/rolebindings")
    data = json.loads(body)
    assert code == 200 and headers["Content-Type"] == "application/json"
    assert data["kind"] == "RoleBindingList" and data["apiVersion"] == "rbac.authorization.k8s.io/v1"
    item = data["items"][0]
    assert "kind" not in item and "apiVersion" not in item  # typed lists omit them per item
    assert set(item["metadata"]) >= {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}
    # A single GET keeps kind/apiVersion.
    _, _, one = raw_get(api, "/apis/rbac.authorization.k8s.io/v1/namespaces/tenant-a/rolebindings/pod-reader")
    assert json.loads(one)["kind"] == "RoleBinding"


def test_page_limit_max_caps_pages_even_without_a_limit(manifests: list[dict[str, Any]], tmp_path: Path) -> None:
    with serve(manifests, token=TOKEN, page_limit_max=2) as handle:
        core = client.CoreV1Api(kube_client(handle, tmp_path))
        first = core.list_namespace()
        assert len(first.items) == 2 and first.metadata._continue
        rest = core.list_namespace(limit=50, _continue=first.metadata._continue)
        assert [n.metadata.name for n in rest.items] == ["tenant-b"] and rest.metadata._continue is None


def test_continue_token_after_a_change_is_410_expired(api: KubeApiHandle, tmp_path: Path) -> None:
    core = client.CoreV1Api(kube_client(api, tmp_path))
    first = core.list_pod_for_all_namespaces(limit=2)
    api.bump_resource_version()  # the cluster changed since the first page
    with pytest.raises(ApiException) as exc:
        core.list_pod_for_all_namespaces(limit=2, _continue=first.metadata._continue)
    assert exc.value.status == 410
    assert status_body(exc.value)["reason"] == "Expired"
    # Starting over works and reports the new resourceVersion.
    again = core.list_pod_for_all_namespaces(limit=2)
    assert again.metadata.resource_version == api.resource_version != first.metadata.resource_version


def test_garbage_continue_token_is_400_like_the_real_server(api: KubeApiHandle, tmp_path: Path) -> None:
    core = client.CoreV1Api(kube_client(api, tmp_path))
    with pytest.raises(ApiException) as exc:
        core.list_pod_for_all_namespaces(limit=2, _continue="not-a-token")
    assert exc.value.status == 400
    assert status_body(exc.value)["message"].startswith("invalid continue token")


# --------------------------------------------------------------------------- single objects


def test_get_single_object_and_404(api: KubeApiHandle, tmp_path: Path) -> None:
    api_client = kube_client(api, tmp_path)
    core = client.CoreV1Api(api_client)
    pod = core.read_namespaced_pod("web-1", "tenant-a")
    assert pod.kind == "Pod" and pod.spec.containers[0].image == "docker.io/library/nginx:1.25"
    assert core.read_namespace("payments").metadata.labels["pci-scope"] == "cde"
    assert client.RbacAuthorizationV1Api(api_client).read_cluster_role("everything").rules[0].verbs == ["*"]

    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod("web-1", "payments")
    body = status_body(exc.value)
    assert exc.value.status == 404 and body["reason"] == "NotFound"
    assert body["message"] == 'pods "web-1" not found'


# --------------------------------------------------------------------------- auth


def test_wrong_or_missing_token_is_401(api: KubeApiHandle, tmp_path: Path) -> None:
    core = client.CoreV1Api(kube_client(api, tmp_path, token="wrong-token"))
    with pytest.raises(ApiException) as exc:
        core.list_namespace()
    assert exc.value.status == 401
    assert status_body(exc.value) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(api.url + "/api/v1/namespaces", timeout=5)
    assert missing.value.code == 401
    # Discovery needs a token too.
    with pytest.raises(ApiException) as disc:
        client.CoreApi(kube_client(api, tmp_path, token="wrong-token")).get_api_versions()
    assert disc.value.status == 401
    assert [c[2] for c in api.requests] == [401, 401, 401]


def test_forbidden_kinds_are_403_and_the_rest_still_lists(manifests: list[dict[str, Any]], tmp_path: Path) -> None:
    forbidden = {"rbac.authorization.k8s.io/clusterroles", "secrets"}
    with serve(manifests, token=TOKEN, forbidden=forbidden) as handle:
        api_client = kube_client(handle, tmp_path)
        rbac = client.RbacAuthorizationV1Api(api_client)
        with pytest.raises(ApiException) as exc:
            rbac.list_cluster_role()
        body = status_body(exc.value)
        assert exc.value.status == 403 and body["reason"] == "Forbidden"
        assert body["message"] == (
            'clusterroles.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:pcicheck:scanner" '
            'cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope'
        )
        assert body["details"] == {"group": "rbac.authorization.k8s.io", "kind": "clusterroles"}

        core = client.CoreV1Api(api_client)
        with pytest.raises(ApiException) as secret_exc:
            core.list_namespaced_secret("payments")
        assert secret_exc.value.status == 403
        assert status_body(secret_exc.value)["message"].endswith(
            'cannot list resource "secrets" in API group "" in the namespace "payments"'
        )
        with pytest.raises(ApiException) as get_exc:
            core.read_namespaced_secret("db-credentials", "payments")
        assert get_exc.value.status == 403 and "cannot get resource" in get_exc.value.body

        # Other kinds, including other RBAC kinds, are unaffected.
        assert [r.metadata.name for r in rbac.list_role_for_all_namespaces().items] == ["pod-reader"]
        assert len(core.list_namespace().items) == 3
        assert ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", 403) in handle.requests


# --------------------------------------------------------------------------- discovery


def test_discovery_through_the_client(api: KubeApiHandle, tmp_path: Path) -> None:
    api_client = kube_client(api, tmp_path)
    assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api_client).get_api_versions().groups}
    assert set(groups) == {"apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io"}
    assert groups["apps"].preferred_version.group_version == "apps/v1"

    core = {r.name: r for r in client.CoreV1Api(api_client).get_api_resources().resources}
    assert set(core) == {
        "namespaces",
        "nodes",
        "pods",
        "services",
        "serviceaccounts",
        "configmaps",
        "secrets",
        "resourcequotas",
        "limitranges",
        "replicationcontrollers",
    }
    assert core["pods"].namespaced is True and core["nodes"].namespaced is False
    assert core["pods"].kind == "Pod" and core["pods"].verbs == ["get", "list"]

    rbac = {r.name: r.namespaced for r in client.RbacAuthorizationV1Api(api_client).get_api_resources().resources}
    assert rbac == {"roles": True, "clusterroles": False, "rolebindings": True, "clusterrolebindings": False}
    batch = client.BatchV1Api(api_client).get_api_resources()
    assert batch.group_version == "batch/v1" and {r.name for r in batch.resources} == {"jobs", "cronjobs"}
    assert client.VersionApi(api_client).get_code().git_version.startswith("v1.")

    # The client asks for discovery documents with a trailing slash; the server accepts both.
    paths = [c[1] for c in api.requests]
    assert paths[:3] == ["/api/", "/apis/", "/api/v1/"]
    assert raw_get(api, "/apis")[0] == raw_get(api, "/api/v1")[0] == 200


def test_unknown_paths_are_404(api: KubeApiHandle) -> None:
    for path in ("/apis/example.com/v1", "/api/v2", "/api/v1/widgets", "/api/v1/namespaces/x/nodes", "/healthz"):
        code, _, body = raw_get(api, path)
        assert (code, json.loads(body)["reason"]) == (404, "NotFound"), path


# --------------------------------------------------------------------------- refused operations


def test_writes_are_405_and_watch_is_400(api: KubeApiHandle, tmp_path: Path) -> None:
    core = client.CoreV1Api(kube_client(api, tmp_path))
    with pytest.raises(ApiException) as exc:
        core.create_namespace({"metadata": {"name": "new"}})
    assert exc.value.status == 405 and status_body(exc.value)["reason"] == "MethodNotAllowed"
    with pytest.raises(ApiException) as del_exc:
        core.delete_namespace("payments")
    assert del_exc.value.status == 405
    # The connection survives a refused write with a body: the next call on it works.
    assert len(core.list_namespace().items) == 3

    code, _, body = raw_get(api, "/api/v1/pods?watch=true")
    assert code == 400 and json.loads(body)["message"] == "watch not supported by the pcicheck demo API server"
    code, _, _ = raw_get(api, "/api/v1/pods?labelSelector=app%3Dweb")
    assert code == 400  # refused, not silently ignored
    assert ("POST", "/api/v1/namespaces", 405) in api.requests


def test_head_returns_headers_only(api: KubeApiHandle) -> None:
    code, headers, body = raw_get(api, "/api/v1/pods", method="HEAD")
    assert code == 200 and body == b"" and int(headers["Content-Length"]) > 0


# --------------------------------------------------------------------------- startup and loading


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, "'Widget'"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {}}, "Pod without metadata.name"),
        (
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "namespace": "x"}},
            "Node 'n' is cluster-scoped",
        ),
    ],
)
def test_bad_manifests_fail_at_startup(manifest: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message), serve([manifest], token=TOKEN):
        pass


def test_duplicates_and_unknown_forbidden_names_fail_at_startup(manifests: list[dict[str, Any]]) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    with pytest.raises(ValueError, match="duplicate Pod default/p"), serve([pod, pod], token=TOKEN):
        pass
    with pytest.raises(ValueError, match="clusterrole"), serve(manifests, token=TOKEN, forbidden={"clusterrole"}):
        pass


def test_manifests_are_not_mutated_and_namespace_defaults(manifests: list[dict[str, Any]], tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    with serve([pod], token=TOKEN) as handle:
        listed = client.CoreV1Api(kube_client(handle, tmp_path)).list_namespaced_pod("default").items
    assert [p.metadata.name for p in listed] == ["p"]
    assert pod["metadata"] == {"name": "p"}  # the caller's dict is untouched


def test_load_manifests_flattens_lists_and_skips_empty_documents(tmp_path: Path) -> None:
    dump = tmp_path / "dump.yaml"
    dump.write_text(
        "---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: a}\n"
        "  - apiVersion: v1\n    kind: PodList\n    items:\n      - metadata: {name: p, namespace: a}\n"
        "---\n"
        "# just a comment\n"
        "---\n"
        "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
        encoding="utf-8",
    )
    docs = load_manifests([dump])
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("Namespace", "a"), ("Pod", "p"), ("Node", "n1")]
    assert docs[1]["apiVersion"] == "v1"  # typed-list items get their kind and apiVersion back

    sample = load_manifests([SAMPLE])
    assert len(sample) == 14 and {d["kind"] for d in sample} >= {"Namespace", "Pod", "ClusterRole", "Secret"}


def test_load_manifests_rejects_non_mapping_documents(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml: a manifest document must be a mapping"):
        load_manifests([bad])


def test_kubeconfig_file_is_private_and_names_the_context(api: KubeApiHandle, tmp_path: Path) -> None:
    path = api.kubeconfig(tmp_path / "kc")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    contexts, current = config.list_kube_config_contexts(config_file=str(path))
    assert current["name"] == "pcicheck-demo" and [c["name"] for c in contexts] == ["pcicheck-demo"]


def test_secret_values_never_reach_the_request_log(manifests: list[dict[str, Any]], tmp_path: Path) -> None:
    with serve(manifests, token=TOKEN) as handle:
        secrets = client.CoreV1Api(kube_client(handle, tmp_path)).list_namespaced_secret("payments")
        assert secrets.items[0].type == "Opaque"
        log = repr(handle.requests)
    assert "ZmFrZS1ub3Qt" not in log and TOKEN not in log


def test_concurrent_lists_across_kinds(api: KubeApiHandle, tmp_path: Path) -> None:
    # The collector lists kinds concurrently; the server and its request log must keep up.
    api_client = kube_client(api, tmp_path)
    core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    calls = [core.list_namespace, core.list_pod_for_all_namespaces, rbac.list_cluster_role] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda call: len(call().items), calls))
    assert counts == [3, 5, 1] * 8
    assert len(api.requests) == len(calls) and all(code == 200 for _, _, code in api.requests)
