"""Benchmark: `pcicheck scan --manifests` over a real-sized Kubernetes estate with real label diversity.

Budget (issue 16): 20,000 objects with 10k distinct label sets, scanned by the whole CLI, in <= 30 s
wall and <= 1 GB peak RSS; at 80,000 objects the growth ratio time(80k)/time(20k) <= 5.

The estate is shaped like the one the issue measured: objects split 1% Namespaces, 60% Deployments
(one of them a hostNetwork DaemonSet), 30% Services, 9% NetworkPolicies (200 namespaces, 12k
Deployments, 6k Services, 1.8k NetworkPolicies at 20k). Each Deployment carries `app` (`--apps`
distinct values: 1, 100, 10k, ...; default one per two objects, about one per Deployment as in real
clusters), `team`, `tier` and `version`. One namespace in ten is CDE (`pci-scope: cde`), four in ten
belong to one of ten tenants (`tenant: tN`), as pcicheck's default scope and the demo mark them.
Three namespaces in four have policies (the others, kube-system and the ingress controller's
are not isolated): default-deny both ways, DNS egress to kube-system, the ingress
controller to the frontends, same-tenant (or same-team) ingress by namespaceSelector, then
app-to-app rules by podSelector; CDE namespaces send to the card processor by ipBlock, others to the
internet outside 10.0.0.0/8, and one namespace in 40 admits every namespace (a misconfiguration).

Each size is written as one multi-document YAML file per namespace, then scanned `--repeat` times
by a fresh `python -m pcicheck scan` (the median is reported; the machine is shared, so single runs
are noisy). `--phases` also times the stages in-process (manifests, each analyzer, evaluation);
`--profile` prints cProfile's top functions of the in-process run.

    python bench/k8s_scale.py [--objects 5000 20000 80000] [--apps N] [--namespaces N] [--repeat 3]
                              [--phases] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

BUDGET_SECONDS = 30.0
BUDGET_RSS_MB = 1024
BUDGET_GROWTH = 5.0
TIERS = ("frontend", "backend", "worker", "data")
TENANTS = 10


# --- the estate ---------------------------------------------------------------------------------


def _namespace_labels(n: int) -> dict[str, str]:
    team = {"team": f"team{n % 25}", "env": "prod"}
    if n % 10 == 2:
        return team | {"pci-scope": "cde"}
    if n % 10 in (3, 4, 5, 6):
        return team | {"tenant": f"t{n % TENANTS}"}
    return team


def _namespace_names(count: int) -> list[str]:
    # kube-system (DNS, the node agent) and the ingress controller's namespace come first.
    return ["kube-system", "ingress-nginx", *(f"ns{n:04d}" for n in range(2, count))]


def deployment(name: str, ns: str, labels: dict[str, str], pod_spec: dict[str, Any]) -> dict[str, Any]:
    """A Deployment of two replicas selecting its pods by `app` and `tier`, its pods labelled as itself: the
    shape every benchmark estate writes (bench/k8s_pack.py too), with the pod spec its own."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": labels["app"], "tier": labels["tier"]}},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def _deployment(i: int, ns: str, app: str, team: str) -> dict[str, Any]:
    labels = {"app": app, "team": team, "tier": TIERS[i % len(TIERS)], "version": f"v{i % 3}"}
    ports = [{"name": "http", "containerPort": 8080}] + ([{"name": "metrics", "containerPort": 9090}] * (i % 2))
    return deployment(
        f"{app}-{i}",
        ns,
        labels,
        {
            "serviceAccountName": "default",
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "main",
                    "image": f"registry.example.com/{team}/{app}:1.{i % 7}.0",
                    "ports": ports,
                    "env": [{"name": "MODE", "value": "prod"}, {"name": "LOG_LEVEL", "value": "info"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": i % 5 != 0,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    )


def _node_agent() -> dict[str, Any]:
    labels = {"app": "node-agent", "team": "platform", "tier": "infra", "version": "v1"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "node-agent", "namespace": "kube-system", "labels": labels},
        "spec": {
            "selector": {"matchLabels": {"app": "node-agent"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,
                    "containers": [
                        {
                            "name": "agent",
                            "image": "registry.example.com/platform/node-agent:2.1.0",
                            "ports": [{"name": "metrics", "containerPort": 9100}],
                        }
                    ],
                },
            },
        },
    }


def _service(j: int, ns: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{app}-svc-{j}", "namespace": ns, "labels": {"app": app}},
        "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _policies(n: int, ns: str, labels: dict[str, str], apps: list[str], count: int) -> list[dict[str, Any]]:
    """`count` policies for one namespace, the fixed ones first, then app-to-app rules."""
    peers: dict[str, Any] = (
        {"namespaceSelector": {"matchLabels": {"tenant": labels["tenant"]}}}
        if "tenant" in labels
        else {
            "namespaceSelector": {"matchLabels": {"team": labels["team"]}},
            "podSelector": {"matchLabels": {"tier": "frontend"}},
        }
    )
    if n % 40 == 7:
        peers = {"namespaceSelector": {}}
    outside = (
        {"ipBlock": {"cidr": "198.51.100.0/24"}}
        if "pci-scope" in labels
        else {"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}
    )
    fixed: list[tuple[str, dict[str, Any]]] = [
        ("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        (
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                    }
                ],
            },
        ),
        (
            "allow-ingress-controller",
            {
                "podSelector": {"matchLabels": {"tier": "frontend"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
                        ],
                        "ports": [{"port": "http"}],
                    }
                ],
            },
        ),
        (
            "allow-tenant",
            {
                "podSelector": {
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "backend"]}]
                },
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [peers], "ports": [{"port": 8080}]}],
            },
        ),
        (
            "allow-outside",
            {
                "podSelector": {"matchLabels": {"tier": "backend"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [outside], "ports": [{"port": 443}]}],
            },
        ),
    ]
    out = [_policy(ns, name, spec) for name, spec in fixed[:count]]
    for k in range(count - len(out)):
        dst, src = apps[k % len(apps)], apps[(k + 1) % len(apps)]
        spec = {
            "podSelector": {"matchLabels": {"app": dst}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": src}}}], "ports": [{"port": 8080}]}],
            "egress": [
                {"to": [{"podSelector": {"matchLabels": {"tier": "data"}}}], "ports": [{"port": 5432, "endPort": 5440}]}
            ],
        }
        out.append(_policy(ns, f"allow-{src}-to-{dst}-{k}", spec))
    return out


def estate(objects: int, apps: int | None = None, namespaces: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Namespace → its objects (the Namespace itself first), `objects` in all."""
    n_ns = namespaces or max(4, objects // 100)
    n_deploy = objects * 60 // 100
    n_svc = objects * 30 // 100
    n_pol = objects - n_ns - n_deploy - n_svc
    distinct = apps or max(1, objects // 2)
    names = _namespace_names(n_ns)
    labels = [_namespace_labels(n) for n in range(n_ns)]
    out: dict[str, list[dict[str, Any]]] = {
        name: [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels[n]}}]
        for n, name in enumerate(names)
    }
    apps_in: dict[str, list[str]] = {name: [] for name in names}
    out["kube-system"].append(_node_agent())
    for i in range(n_deploy - 1):
        n = i % n_ns
        # Within a namespace the apps vary; across namespaces they start apart, so `distinct` values
        # in all (one per Deployment by default).
        app = f"app{(i // n_ns + n * max(1, distinct // n_ns)) % distinct:05d}"
        out[names[n]].append(_deployment(i, names[n], app, labels[n]["team"]))
        apps_in[names[n]].append(app)
    for j in range(n_svc):
        i = (2 * j) % (n_deploy - 1)  # a Service in front of every other Deployment
        n = i % n_ns
        out[names[n]].append(_service(j, names[n], apps_in[names[n]][i // n_ns]))
    # kube-system, the ingress controller's namespace and one namespace in four have no policy at
    # all (not isolated: reachable from every pod), as in most real clusters.
    isolated = [n for n in range(n_ns) if n != 0 and n % 4 != 1]
    for k, n in enumerate(isolated):
        count = n_pol // len(isolated) + (k < n_pol % len(isolated))
        out[names[n]] += _policies(n, names[n], labels[n], apps_in[names[n]] or ["none"], count)
    return out


class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes a dict used twice (a Deployment's labels, in its metadata and its pod template) twice, as
    kubectl, Helm and kustomize do: PyYAML would write an anchor and an alias, which real manifests rarely
    hold and which send every file to pcicheck's slower composing reader."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_estate(folder: Path, objects: dict[str, list[dict[str, Any]]]) -> int:
    for ns, docs in objects.items():
        (folder / f"{ns}.yaml").write_text(yaml.dump_all(docs, Dumper=_NoAliases, sort_keys=False))
    return sum(len(d) for d in objects.values())


def distinct_label_sets(objects: dict[str, list[dict[str, Any]]]) -> int:
    return len(
        {
            (ns, tuple(sorted(o["spec"]["template"]["metadata"]["labels"].items())))
            for ns, docs in objects.items()
            for o in docs
            if o["kind"] in ("Deployment", "DaemonSet")
        }
    )


# --- measuring ----------------------------------------------------------------------------------


def scan_once(folder: Path) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MB, exit code, CPU seconds) of one `pcicheck scan --manifests folder`
    process (CPU counts its forked evaluation worker too, and says less about other load on the machine)."""
    command = [sys.executable, "-m", "pcicheck", "scan", "--manifests", str(folder), "--quiet"]
    started = time.perf_counter()
    # Its own working directory: no ./pcicheck.yaml of the caller's is picked up.
    child = subprocess.Popen(command, cwd=folder.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.stderr is not None
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.returncode not in (0, 1, 3):  # findings (1) and incomplete (3) are answers; 2 is a bad run
        raise SystemExit(f"scan failed ({child.returncode}): {err.strip()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, child.returncode, usage.ru_utime + usage.ru_stime


def phases(folder: Path) -> dict[str, float]:
    """Seconds of each stage of the scan, in this process: reading, each analyzer, evaluating."""
    from pcicheck.analyze.interface import AnalysisInput
    from pcicheck.analyze.registry import ANALYZERS
    from pcicheck.catalog import load_catalog
    from pcicheck.collect.k8s.manifests import manifest_snapshot
    from pcicheck.config import Config
    from pcicheck.evaluate.evaluation import evaluate_snapshot

    out: dict[str, float] = {}
    t = time.perf_counter()
    catalog = load_catalog()
    out["catalog"] = time.perf_counter() - t
    t = time.perf_counter()
    snapshot, _ = manifest_snapshot([folder])
    out["manifests"] = time.perf_counter() - t
    resources = list(snapshot.resources)
    earlier: dict[str, Any] = {}
    config = Config()
    for analyzer in ANALYZERS:
        t = time.perf_counter()
        earlier[analyzer.name] = analyzer.run(AnalysisInput(resources, config.scope, earlier))
        out[f"analyze {analyzer.name}"] = time.perf_counter() - t
    t = time.perf_counter()
    evaluate_snapshot(snapshot, catalog, config, "pci-dss-4.0.1")
    out["evaluate (analysis again + controls + roll-up)"] = time.perf_counter() - t
    return out


def profile(folder: Path, top: int = 30) -> None:
    from pcicheck.catalog import load_catalog
    from pcicheck.collect.k8s.manifests import manifest_snapshot
    from pcicheck.config import Config
    from pcicheck.evaluate.evaluation import evaluate_snapshot

    profiler = cProfile.Profile()
    profiler.enable()
    snapshot, _ = manifest_snapshot([folder])
    evaluate_snapshot(snapshot, load_catalog(), Config(), "pci-dss-4.0.1")
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--apps", type=int, help="distinct `app` labels (default: objects / 2)")
    parser.add_argument("--namespaces", type=int, help="default: objects / 100")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="also time each stage in-process")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions (largest size)")
    args = parser.parse_args()
    medians: dict[int, float] = {}
    ok = True
    for size in args.objects:
        objects = estate(size, args.apps, args.namespaces)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "manifests"
            folder.mkdir()
            written = write_estate(folder, objects)
            runs = [scan_once(folder) for _ in range(args.repeat)]
            seconds = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[3] for r in runs)
            medians[size] = seconds
            print(
                f"{written} objects, {len(objects)} namespaces, "
                f"{distinct_label_sets(objects)} distinct pod label sets: "
                f"scan {seconds:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in runs)}), CPU {cpu:.2f} s, "
                f"peak RSS {rss:.0f} MB, "
                f"exit {runs[0][2]}",
                flush=True,
            )
            if args.phases:
                for name, spent in phases(folder).items():
                    print(f"    {name:<52} {spent:7.2f} s")
            if args.profile and size == max(args.objects):
                profile(folder)
            if size >= 20000 and size < 80000:
                ok &= seconds <= BUDGET_SECONDS and rss <= BUDGET_RSS_MB
    for size, seconds in medians.items():
        if 4 * size in medians:
            ratio = medians[4 * size] / seconds
            print(f"growth time({4 * size})/time({size}) = {ratio:.2f} (budget {BUDGET_GROWTH:.0f} from 20k)")
            if size >= 20000:
                ok &= ratio <= BUDGET_GROWTH
    print(f"budgets: 20k <= {BUDGET_SECONDS:.0f} s and {BUDGET_RSS_MB} MB; 80k/20k <= {BUDGET_GROWTH:.0f}")
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
