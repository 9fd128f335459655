"""Containers as the cluster runs them: ephemeral (debug) containers included, files and live alike;
images resolved by the Docker/OCI reference grammar; pull policy defaulted as the API server does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pcicheck.analyze.estate import analyze
from pcicheck.catalog import load_catalog
from pcicheck.collect.k8s.images import parse_image
from pcicheck.collect.k8s.live import K8sOptions, collect_k8s
from pcicheck.collect.k8s.manifests import read_manifests
from pcicheck.config import ScopeConfig
from pcicheck.demo.kubeapi import load_manifests, serve
from pcicheck.evaluate.engine import Evaluator

NOW = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)
DIGEST = "sha256:" + "0123456789abcdef" * 4

# A pod of a Deployment after `kubectl debug -it web-… --image=busybox --profile=sysadmin`: the debug
# container is privileged, runs as root, has no seccomp profile and a writable root filesystem.
DEBUGGED = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4@DIGEST
          resources: {limits: {cpu: 500m, memory: 128Mi}}
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5c9d8-kq7zt
  namespace: shop
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5c9d8, uid: u, controller: true}]
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: web
      image: registry.example.com/shop/web:1.4@DIGEST
      resources: {limits: {cpu: 500m, memory: 128Mi}}
      securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}
  ephemeralContainers:
    - name: debugger
      image: busybox
      targetContainerName: web
      securityContext:
        privileged: true
        runAsNonRoot: false
        seccompProfile: {type: Unconfined}
        capabilities: {add: [SYS_PTRACE]}
""".replace("@DIGEST", "@" + DIGEST)

# Every container control, and whether the debug container alone makes it fail.
CONTAINER_CONTROLS = {
    "k8s-workload-no-privileged": "fail",
    "k8s-workload-run-as-non-root": "fail",
    "k8s-workload-capabilities-allowed": "fail",
    "k8s-workload-read-only-root-fs": "fail",
    "k8s-workload-no-privilege-escalation": "fail",
    "k8s-workload-seccomp-profile": "fail",
    "k8s-workload-image-not-latest": "fail",
    "k8s-workload-image-digest": "fail",
    "k8s-workload-image-allowed-registry": "fail",
    "k8s-workload-resource-limits": "pass",  # ephemeral containers cannot set resources
}


def _verdicts(resources: Any) -> dict[tuple[str, str], str]:
    controls = [c for c in load_catalog().controls if c.resource == "k8s.workload"]
    # The site's approved registries (a site param: unset, the control would need configuration).
    site = {"k8s-workload-image-allowed-registry": {"registries": ["registry.example.com/"]}}
    results = Evaluator(controls, site).evaluate(analyze(resources, ScopeConfig()), [], NOW)
    return {(r.control.id, r.resource["name"]): r.status.value for r in results}


def _debugged(tmp_path: Path) -> Path:
    path = tmp_path / "debugged.yaml"
    path.write_text(DEBUGGED)
    return path


def test_an_ephemeral_container_is_read_as_a_container_of_its_pod(tmp_path: Path) -> None:
    read = read_manifests([_debugged(tmp_path)])
    workloads = {r.name: r for r in read.resources if r.type == "k8s.workload"}
    # The debugged pod is no longer what its template says: it is judged itself, beside its Deployment.
    assert set(workloads) == {"Deployment shop/web", "Pod shop/web-5c9d8-kq7zt"}
    containers = workloads["Pod shop/web-5c9d8-kq7zt"].attributes["containers"]
    assert [(c["name"], c["ephemeral"]) for c in containers] == [("web", False), ("debugger", True)]
    debugger = containers[1]
    assert debugger["privileged"] is True and debugger["seccomp_profile"] == "Unconfined"
    assert debugger["image_ref"]["reference"] == "docker.io/library/busybox:latest"
    assert debugger["image_pull_policy"] == "Always"  # the API server's default for a latest tag
    assert containers[0]["image_pull_policy"] == "IfNotPresent"
    assert containers[0]["seccomp_profile"] == "RuntimeDefault"  # from the pod's security context
    assert containers[0]["limits"] == {"cpu": "500m", "memory": "128Mi"}


def test_every_container_control_judges_the_ephemeral_container(tmp_path: Path) -> None:
    verdicts = _verdicts(read_manifests([_debugged(tmp_path)]).resources)
    pod, deployment = "Pod shop/web-5c9d8-kq7zt", "Deployment shop/web"
    for control, expected in CONTAINER_CONTROLS.items():
        assert verdicts[(control, pod)] == expected, control
    # The Deployment is clean on each of them except the approved-registry placeholder; only the debug
    # container makes its pod fail.
    clean = {c for c in CONTAINER_CONTROLS if c != "k8s-workload-image-allowed-registry"}
    assert {c for c in clean if verdicts[(c, deployment)] != "pass"} == set()


def test_ephemeral_containers_are_read_live_as_from_files(tmp_path: Path) -> None:
    path = _debugged(tmp_path)
    with serve(load_manifests([path]), token="t") as handle:
        live = collect_k8s(K8sOptions(kubeconfig=str(handle.kubeconfig(tmp_path / "kc"))))
    assert live.errors == ()
    pod = next(r for r in live.resources if r.name == "Pod shop/web-5c9d8-kq7zt" and r.type == "k8s.workload")
    assert [c["name"] for c in pod.attributes["containers"] if c["ephemeral"]] == ["debugger"]
    assert _verdicts(live.resources) == _verdicts(read_manifests([path]).resources)


def test_a_controller_pod_without_ephemeral_containers_is_still_judged_through_its_template(tmp_path: Path) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text(DEBUGGED.split("  ephemeralContainers:")[0])
    names = {r.name for r in read_manifests([path]).resources if r.type == "k8s.workload"}
    assert names == {"Deployment shop/web"}


@pytest.mark.parametrize(
    ("image", "reference"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/library/nginx:1", "docker.io/library/nginx:1"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/team/app:2", "localhost:5000/team/app:2"),
        ("Registry/app", "Registry/app:latest"),  # an upper-case first component is a host
        ("registry.example.com/app@" + DIGEST, "registry.example.com/app@" + DIGEST),  # no tag beside a digest
        ("app:1.0@" + DIGEST, "docker.io/library/app:1.0@" + DIGEST),
        ("[::1]:5000/app", "[::1]:5000/app:latest"),
    ],
)
def test_images_are_normalised_by_the_reference_grammar(image: str, reference: str) -> None:
    ref = parse_image(image)
    assert ref is not None and ref.reference == reference


@pytest.mark.parametrize(
    "image",
    [
        "",
        "Nginx",  # a repository name must be lower case
        "ghcr.io/Org/app",
        "nginx:",
        "app@sha256:abc",  # too short for sha256
        "app@md5:" + "0" * 32,  # an algorithm the runtime does not know
        "a" * 64,  # an image id, not a name
        "my___app",
        "x/-y",
        "registry.example.com/" + "a" * 250,  # longer than a name may be
    ],
)
def test_references_the_grammar_refuses_are_none(image: str) -> None:
    assert parse_image(image) is None


def test_an_unparsable_image_fails_the_image_controls(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
        "spec: {containers: [{name: c, image: 'Registry.example.com/Team/App:1'}]}\n"
    )
    verdicts = _verdicts(read_manifests([path]).resources)
    image_controls = ("image-allowed-registry", "image-not-latest", "image-digest")
    for control in image_controls:
        assert verdicts[(f"k8s-workload-{control}", "Pod shop/p")] == "fail", control
