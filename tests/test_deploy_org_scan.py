"""deploy/org-scan, rendered by real `kubectl kustomize` (as a site's overlay would use it, with its image
pinned by digest), is the Indexed Job and merge Job the README describes, and passes pcicheck's own
Kubernetes controls with every pcicheck object held to the CDE's bar."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.collect.aws.shard import Shard
from pcicheck.yamlfile import load_documents

BASE = Path(__file__).resolve().parents[1] / "deploy" / "org-scan"
DIGEST = "sha256:" + "ab" * 32

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {base}
images:
  - name: registry.example.com/security/pcicheck
    digest: {digest}
"""

CONFIG = """\
scope:
  cde: {tag: app.kubernetes.io/part-of, value: pcicheck-org-scan}
params:
  k8s-workload-image-allowed-registry: {registries: [registry.example.com/security/]}
"""


def _kustomize(folder: Path) -> str:
    kubectl, kustomize = shutil.which("kubectl"), shutil.which("kustomize")
    if not (kubectl or kustomize):
        pytest.skip("neither kubectl nor kustomize is installed")
    cmd = [kustomize, "build", str(folder)] if kustomize else [str(kubectl), "kustomize", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    overlay = tmp_path_factory.mktemp("overlay")
    # kustomize takes a base by relative path only.
    (overlay / "kustomization.yaml").write_text(OVERLAY.format(base=os.path.relpath(BASE, overlay), digest=DIGEST))
    out = overlay / "rendered.yaml"
    out.write_text(_kustomize(overlay))
    return out


def _objects(path: Path) -> dict[tuple[str, str], Any]:
    return {(d["kind"], d["metadata"]["name"]): d for d in load_documents(path) if isinstance(d, dict)}


def test_the_base_renders_on_its_own() -> None:
    assert "completionMode: Indexed" in _kustomize(BASE)


def test_an_indexed_job_of_shards_and_a_merge_job(rendered: Path) -> None:
    objs = _objects(rendered)
    collect = objs["Job", "pcicheck-org-scan-collect"]["spec"]
    assert collect["completionMode"] == "Indexed"
    [container] = collect["template"]["spec"]["containers"]
    args = container["args"]
    shard = args[args.index("--shard") + 1]
    # N comes from completions; Kubernetes expands $(JOB_COMPLETION_INDEX) from the container's environment.
    assert shard == f"$(JOB_COMPLETION_INDEX)/{collect['completions']}"
    for k in range(collect["completions"]):
        assert Shard.parse(shard.replace("$(JOB_COMPLETION_INDEX)", str(k))) == Shard(k, collect["completions"])
    assert args[args.index("--output") + 1] == "/snapshots/$(RUN)/" and "--allow-incomplete" in args
    run_config = container["envFrom"][0]["configMapRef"]["name"]
    assert run_config.startswith("pcicheck-org-scan-run-") and objs["ConfigMap", run_config]["data"]["RUN"]

    merge = objs["Job", "pcicheck-org-scan-merge"]["spec"]["template"]["spec"]
    [waits], [judges] = merge["initContainers"], merge["containers"]
    assert waits["args"][:2] == ["merge", "/snapshots/$(RUN)/"] and "--wait" in waits["args"]
    assert judges["args"][:2] == ["evaluate", "/snapshots/$(RUN)/merged.json.gz"]
    for c in [container, waits, judges]:
        assert c["image"] == f"registry.example.com/security/pcicheck@{DIGEST}"
        assert c["envFrom"][0]["configMapRef"]["name"] == run_config
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(c["resources"]["limits"])

    account = objs["ServiceAccount", "pcicheck-org-scan"]
    assert account["automountServiceAccountToken"] is False
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


def test_it_passes_pcicheck_held_to_the_cde_bar(
    rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "pcicheck.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "results.json"
    code = main(["scan", "--manifests", str(rendered), "--config", str(config), "--format", "json", "-o", str(out)])
    doc = json.loads(out.read_text())
    judged = [r for r in results_doc.results(doc) if r["status"] != "not_applicable"]
    bad = [(r["control"], r["resource"]["uid"], r["status"]) for r in judged if r["status"] != "pass"]
    assert bad == [] and code == 0, capsys.readouterr().err
    passed = {r["control"] for r in judged}
    # The CDE's controls did judge these objects: pod security enforced, no internet ingress or egress.
    assert {
        "k8s-cde-namespace-pod-security-enforced",
        "k8s-cde-workload-egress-allowlisted",
        "k8s-cde-workload-not-internet-reachable",
        "k8s-namespace-default-deny-ingress",
        "k8s-workload-read-only-root-fs",
        "k8s-workload-run-as-non-root",
        "k8s-workload-seccomp-profile",
        "k8s-workload-resource-limits",
        "k8s-workload-token-automount-disabled",
        "k8s-service-account-token-automount-disabled",
        "k8s-workload-image-digest",
    } <= passed
    workloads = {r["resource"]["uid"].rsplit("/", 2)[-2:][1] for r in judged if r["resource"]["type"] == "k8s.workload"}
    assert workloads == {"pcicheck-org-scan-collect", "pcicheck-org-scan-merge"}
