"""Benchmark: the evidence pack of a real-sized Kubernetes estate — `pcicheck scan --manifests DIR --out PACK`.

Budget (issue 16): 20,000 objects with --out: the pack <= 150 MB and its index.html interactive in headless
Chromium (the filters wired: `window.__pcicheckReady`) <= 3 s after navigation starts.

The estate has the issue's proportions: 1% Namespaces (200 at 20k), 60% Deployments, 30% Services, 9%
NetworkPolicies. Deployments carry `app` (`--apps` distinct values), `team`, `tier`, `version` and `--labels`
more labels of realistic length; one namespace in ten is CDE, four in ten belong to a tenant. The
analysis's own cost in label diversity is bench/k8s_scale.py's subject; this one measures what the
outputs cost, so `--apps` defaults to 100 and the scan stays short. The scan runs as a child process
(whichever pcicheck PYTHONPATH names, so the same command measures another checkout), its peak RSS
read from wait4; the page is opened by bench/html_report.py's Chromium measurement.

    python bench/k8s_pack.py [--objects 20000] [--apps 100] [--labels 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate import run_pcicheck  # bench/evaluate.py
from html_report import interactive_seconds  # bench/html_report.py
from k8s_scale import deployment  # bench/k8s_scale.py

BUDGET_PACK_MB = 150.0
BUDGET_INTERACTIVE_SECONDS = 3.0
TIERS = ("frontend", "backend", "worker", "data")


def _namespace(n: int) -> dict[str, Any]:
    labels = {"team": f"team{n % 25}", "env": "prod"}
    if n % 10 == 2:
        labels["pci-scope"] = "cde"
    elif n % 10 in (3, 4, 5, 6):
        labels["tenant"] = f"t{n % 10}"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{n:04d}", "labels": labels}}


def _deployment(i: int, ns: str, app: str, extra: int) -> dict[str, Any]:
    labels = {"app": app, "team": f"team{i % 25}", "tier": TIERS[i % 4], "version": f"v{i % 3}"}
    labels |= {f"example.com/attribute-{k:02d}": f"value-{(i + k) % 997:04d}" for k in range(extra)}
    hardened = i % 3 != 0  # a third of the workloads fail the pod-security controls
    security = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    pod_security = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}} if hardened else {}
    container = {
        "name": "main",
        "image": f"registry.example.com/{app}:1.{i % 9}@sha256:{'ab' * 32}",
        "ports": [{"containerPort": 8080}],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": security if hardened else {},
    }
    pod = {"automountServiceAccountToken": False, "securityContext": pod_security, "containers": [container]}
    return deployment(f"{app}-{i}", ns, labels, pod)


def _service(i: int, ns: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{app}-svc-{i}", "namespace": ns, "labels": {"app": app}},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def _policy(i: int, ns: str, app: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    if i % 2:
        spec = {
            "podSelector": {"matchLabels": {"app": app}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": "frontend"}}}]}],
        }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"policy-{i}", "namespace": ns},
        "spec": spec,
    }


def estate(objects: int, apps: int, extra_labels: int) -> dict[str, list[dict[str, Any]]]:
    """Manifests by namespace, `objects` in all."""
    namespaces = max(1, objects // 100)
    files: dict[str, list[dict[str, Any]]] = {f"ns{n:04d}": [_namespace(n)] for n in range(namespaces)}
    made = namespaces
    i = 0
    while made < objects:
        ns = f"ns{i % namespaces:04d}"
        app = f"app{i % apps}"
        roll = i % 10
        if roll < 6:
            files[ns].append(_deployment(i, ns, app, extra_labels))
        elif roll < 9:
            files[ns].append(_service(i, ns, app))
        else:
            files[ns].append(_policy(i, ns, app))
        made += 1
        i += 1
    return files


def write_estate(where: Path, files: dict[str, list[dict[str, Any]]]) -> None:
    where.mkdir(parents=True, exist_ok=True)
    for name, docs in files.items():
        # JSON is YAML: one document per object, written fast.
        (where / f"{name}.yaml").write_text("".join("---\n" + json.dumps(d) + "\n" for d in docs), encoding="utf-8")


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--labels", type=int, default=10, help="extra labels on every Deployment")
    parser.add_argument("--keep", type=Path, help="write the manifests and the pack here instead of a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        manifests, pack = out / "manifests", out / "pack"
        write_estate(manifests, estate(args.objects, args.apps, args.labels))
        command = [sys.executable, "-m", "pcicheck", "scan", "--manifests", str(manifests), "--out", str(pack)]
        command += ["--framework", "pci-dss-4.0.1", "--allow-incomplete", "-q"]
        wall, usage = run_pcicheck(command, out)
        if usage is None:
            return 2
        files = {p.name: _mb(p) for p in sorted(pack.iterdir()) if p.is_file()}
        pack_mb = sum(files.values())
        with (pack / "results.json").open(encoding="utf-8") as fp:
            results = sum(json.load(fp)["summary"].values())
        print(f"objects={args.objects} apps={args.apps} labels/deployment={4 + args.labels} results={results}")
        print("pack files (MB): " + ", ".join(f"{k}={v:.1f}" for k, v in files.items()))
        print(
            f"scan --out: wall={wall:.1f}s peak_rss={usage.ru_maxrss / 1024:.0f}MB "
            f"pack={pack_mb:.1f}MB (budget {BUDGET_PACK_MB:.0f}MB)"
        )
        ready, load, filtering, leaving = interactive_seconds(pack / "index.html")
    print(
        f"chromium: interactive={ready:.2f}s (budget {BUDGET_INTERACTIVE_SECONDS:.0f}s) load_event={load:.2f}s "
        f"filter(status=fail)={filtering:.2f}s requests_off_page={leaving}"
    )
    ok = pack_mb <= BUDGET_PACK_MB and ready <= BUDGET_INTERACTIVE_SECONDS and leaving == 0
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
