"""deploy/: the kustomize base for scheduled in-cluster scans, rendered by the real `kubectl kustomize`,
then judged three ways: each object against the Kubernetes API schema the `kubernetes` client carries,
the CronJob's hardening field by field, and the whole rendering by pcicheck's own Kubernetes controls
(the scanner's namespace is CDE-scoped, so the CDE-grade controls apply to it)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcicheck import results_doc
from tests.support.k8s_schema import problems

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBECTL = shutil.which("kubectl")
pytestmark = pytest.mark.skipif(
    KUBECTL is None and not os.environ.get("CI"), reason="kubectl (with its built-in kustomize) is not installed"
)
# What a scanner that reads the API inherently holds: its ClusterRole lists Secrets (metadata only, but
# RBAC cannot say so) and its pod mounts a token. Each is the site's accepted risk: a waiver.
INHERENT = {
    ("k8s-clusterrole-no-secret-read", "ClusterRole pcicheck-reader"),
    ("k8s-workload-token-automount-disabled", "CronJob pcicheck/pcicheck"),
}


def render(folder: Path) -> list[dict[str, Any]]:
    assert KUBECTL is not None
    done = subprocess.run([KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def overlay(tmp_path: Path, *, components: tuple[str, ...] = (), config: str | None = None) -> Path:
    """A site's overlay of the base, as deploy/README.md shows it (kustomize wants relative paths)."""
    folder = tmp_path / "overlay"
    folder.mkdir()
    base = os.path.relpath(DEPLOY, folder)
    doc: dict[str, Any] = {"resources": [base], "components": [f"{base}/{c}" for c in components]}
    if config is not None:
        (folder / "pcicheck.yaml").write_text(config)
        doc["configMapGenerator"] = [{"name": "pcicheck-config", "behavior": "replace", "files": ["pcicheck.yaml"]}]
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(doc))
    return folder


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind]
    return found


def scan(docs: list[dict[str, Any]], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """pcicheck's CLI on the rendered objects, with the pcicheck.yaml the CronJob would mount."""
    tmp_path.mkdir(exist_ok=True)
    manifests, config, out = tmp_path / "rendered.yaml", tmp_path / "pcicheck.yaml", tmp_path / "results.json"
    manifests.write_text(yaml.safe_dump_all(docs))
    config.write_text(one(docs, "ConfigMap")["data"]["pcicheck.yaml"])
    argv = ["scan", "--manifests", str(manifests), "--config", str(config), "--format", "json", "--output", str(out)]
    done = subprocess.run([sys.executable, "-m", "pcicheck", *argv, "-q"], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(out.read_text())


def by_status(doc: dict[str, Any], status: str) -> set[tuple[str, str]]:
    return {(r["control"], r["resource"]["name"]) for r in results_doc.results(doc) if r["status"] == status}


def site_config() -> str:
    """The base's pcicheck.yaml plus the two waivers deploy/README.md tells the site to approve."""
    today = dt.datetime.now(dt.UTC).date()
    base = (DEPLOY / "pcicheck.yaml").read_text().replace("waivers: []\n", "")
    return base + (
        "waivers:\n"
        "  - {id: PCICHECK-1, control: k8s-clusterrole-no-secret-read,\n"
        "     resource: {match: '*/ClusterRole/pcicheck-reader'},\n"
        "     justification: the scanner lists Secrets as metadata only, approved_by: QSA, ticket: SEC-1,\n"
        f"     created: {today}, expires: {today + dt.timedelta(days=365)}}}\n"
        "  - {id: PCICHECK-2, control: k8s-workload-token-automount-disabled,\n"
        "     resource: {match: '*/pcicheck/CronJob/pcicheck'}, justification: the scanner reads the API,\n"
        f"     approved_by: QSA, ticket: SEC-1, created: {today}, expires: {today + dt.timedelta(days=365)}}}\n"
    )


def test_the_base_renders_what_a_scheduled_scan_needs() -> None:
    docs = render(DEPLOY)
    assert sorted((d["kind"], d["metadata"]["name"]) for d in docs if d["kind"] != "ConfigMap") == [
        ("ClusterRole", "pcicheck-reader"),
        ("ClusterRoleBinding", "pcicheck-reader"),
        ("CronJob", "pcicheck"),
        ("Namespace", "pcicheck"),
        ("NetworkPolicy", "pcicheck"),
        ("PersistentVolumeClaim", "pcicheck-packs"),
        ("ServiceAccount", "pcicheck"),
    ]
    assert {
        d["metadata"].get("namespace")
        for d in docs
        if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")
    } == {"pcicheck"}
    # The ClusterRole is the shipped one (tests/collect/k8s/test_live.py keeps that equal to the generator's).
    shipped = yaml.safe_load((DEPLOY / "pcicheck-clusterrole.yaml").read_text())
    role = one(docs, "ClusterRole")
    assert role["rules"] == shipped["rules"]
    assert all(set(rule["verbs"]) == {"get", "list"} for rule in role["rules"])
    binding = one(docs, "ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pcicheck", "namespace": "pcicheck"}]
    namespace = one(docs, "Namespace")["metadata"]["labels"]
    assert namespace["pci-scope"] == "cde" and namespace["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_rendered_object_fits_the_kubernetes_api_schema(tmp_path: Path) -> None:
    for components in ((), ("aws",), ("aws", "s3")):
        folder = tmp_path / "-".join(("schema", *components))
        folder.mkdir()
        docs = render(overlay(folder, components=components)) if components else render(DEPLOY)
        assert {d["kind"]: problems(d) for d in docs} == {d["kind"]: [] for d in docs}


def test_the_s3_component_sends_packs_to_s3_encrypted_and_drops_the_volume(tmp_path: Path) -> None:
    docs = render(overlay(tmp_path, components=("aws", "s3")))
    assert "PersistentVolumeClaim" not in {d["kind"] for d in docs}
    pod = one(docs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    outs = [a for a in container["args"] if a.startswith("--out")]
    assert outs == [
        "--out=s3://pcicheck-packs-111122223333/cluster-scan/$(JOB_NAME)/",
        "--out-kms-key=alias/pcicheck-packs",
    ]
    assert "packs" not in {v["name"] for v in pod["volumes"]} | {m["name"] for m in container["volumeMounts"]}


def test_the_schema_check_refuses_a_typo_a_wrong_type_and_a_missing_field() -> None:
    cronjob = one(render(DEPLOY), "CronJob")
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod["containers"][0]["securityContex"] = pod["containers"][0].pop("securityContext")
    cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] = "2"
    del cronjob["spec"]["schedule"]
    found = problems(cronjob)
    assert len(found) == 3, found
    assert any(p.startswith("spec.jobTemplate.spec.template.spec.containers.0.securityContex:") for p in found)
    assert any(p.startswith("spec.jobTemplate.spec.backoffLimit:") for p in found)
    assert any(p.startswith("spec.schedule:") for p in found)


def test_the_cronjob_is_hardened_and_writes_one_pack_per_run() -> None:
    docs = render(DEPLOY)
    cronjob = one(docs, "CronJob")["spec"]
    assert cronjob["concurrencyPolicy"] == "Forbid"
    assert cronjob["successfulJobsHistoryLimit"] == cronjob["failedJobsHistoryLimit"] == 3
    job = cronjob["jobTemplate"]["spec"]
    # Findings (1) and bad input (2) fail the Job at once: a retry cannot change them.
    assert job["podFailurePolicy"]["rules"][0] == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "pcicheck", "operator": "In", "values": [1, 2]},
    }
    pod = job["template"]["spec"]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,  # image/build.sh's user
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert "65532:65532" in (ROOT / "image" / "build.sh").read_text()
    (container,) = pod["containers"]
    assert re.fullmatch(r"[^@:]+@sha256:[0-9a-f]{64}", container["image"])  # pinned by digest
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] and context["runAsNonRoot"]
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]["limits"]) == {"cpu", "memory", "ephemeral-storage"}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert (
        volumes[mounts["/packs"]]["persistentVolumeClaim"]["claimName"]
        == one(docs, "PersistentVolumeClaim")["metadata"]["name"]
    )
    # The hashed ConfigMap name kustomize generated is the one mounted where --config reads.
    assert volumes[mounts["/etc/pcicheck"]]["configMap"]["name"] == one(docs, "ConfigMap")["metadata"]["name"]
    assert container["args"][:4] == [
        "scan",
        "--k8s",
        "--config=/etc/pcicheck/pcicheck.yaml",
        "--out=/packs/$(JOB_NAME)",
    ]
    env = {e["name"]: e for e in container["env"]}
    assert env["JOB_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    # In-cluster configuration: no kubeconfig, so pcicheck uses the pod's service account.
    assert "KUBECONFIG" not in env and not any("kubeconfig" in a for a in container["args"])
    assert pod["serviceAccountName"] == "pcicheck" and pod["automountServiceAccountToken"] is True


def test_the_scanner_passes_its_own_cde_grade_checks(tmp_path: Path) -> None:
    code, shipped = scan(render(DEPLOY), tmp_path / "shipped")
    # As shipped, it fails only on what reading the API needs, until the site accepts that risk.
    assert code == 1 and by_status(shipped, "fail") == INHERENT
    cde = {r["resource"]["name"] for r in results_doc.results(shipped) if r["resource"]["scope"] == "cde"}
    assert {"Namespace pcicheck", "CronJob pcicheck/pcicheck"} <= cde
    passed = by_status(shipped, "pass")
    for control in (
        "k8s-cde-workload-egress-allowlisted",
        "k8s-cde-workload-not-internet-reachable",
        "k8s-workload-read-only-root-fs",
        "k8s-workload-image-digest",
        "k8s-workload-image-allowed-registry",
    ):
        assert (control, "CronJob pcicheck/pcicheck") in passed
    assert ("k8s-cde-namespace-pod-security-enforced", "Namespace pcicheck") in passed

    for components in ((), ("aws",), ("aws", "s3")):
        folder = tmp_path / "-".join(("site", *components))
        folder.mkdir()
        code, site = scan(render(overlay(folder, components=components, config=site_config())), folder)
        assert code == 0
        assert by_status(site, "fail") == set() and by_status(site, "waived") == INHERENT
        assert {r["status"] for r in results_doc.results(site)} <= {"pass", "waived", "not_applicable"}
