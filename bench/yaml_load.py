"""Benchmark: reading Kubernetes manifests (pcicheck/yamlfile.py, then pcicheck/collect/k8s/manifests.py).

Writes a folder of realistic manifests (Deployments with full pod templates, Services, NetworkPolicies,
Namespaces; each Deployment with its own `app` label), one file per namespace, then times:
- yaml: `yamlfile.load_documents` over every file (the YAML reader alone);
- read: `manifests.read_manifests` (YAML plus turning objects into resources).
Each figure is the median of --repeat runs (CPU seconds of this process), at N and 4N objects, with the
growth ratio time(4N)/time(N) (linear is 4).

    python bench/yaml_load.py [--objects 5000] [--repeat 3] [--list]

--list writes each namespace as one `kubectl get -o yaml` List (items: [...]) instead of `---` documents.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pcicheck.collect.k8s.manifests import manifest_files, read_manifests
from pcicheck.yamlfile import load_documents


def deployment(i: int, ns: str) -> dict[str, Any]:
    app = f"app-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": app,
            "namespace": ns,
            "labels": {"app": app, "team": f"team-{i % 17}", "app.kubernetes.io/part-of": "shop"},
            "annotations": {"deployment.kubernetes.io/revision": "3", "owner": f"squad-{i % 9}@example.com"},
        },
        "spec": {
            "replicas": 2 + i % 3,
            "selector": {"matchLabels": {"app": app}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": app, "team": f"team-{i % 17}"}},
                "spec": {
                    "serviceAccountName": app,
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [
                        {
                            "name": "app",
                            "image": f"registry.example.com/{app}:1.{i % 40}.0",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                            "env": [
                                {"name": "MODE", "value": "prod"},
                                {"name": "LOG_LEVEL", "value": "info"},
                                {"name": "DB_HOST", "value": f"db-{i % 11}.internal"},
                            ],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "512Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 10},
                        }
                    ],
                },
            },
        },
    }


def service(i: int, ns: str) -> dict[str, Any]:
    app = f"app-{i}"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app": app},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    }


def network_policy(i: int, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"allow-{i}", "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"app": f"app-{i}"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app": f"app-{i + 1}"}}}],
                    "ports": [{"port": 8080, "protocol": "TCP"}],
                }
            ],
        },
    }


def estate(objects: int, namespaces: int) -> dict[str, list[dict[str, Any]]]:
    """About `objects` objects: per workload a Deployment, a Service and (one in three) a NetworkPolicy."""
    by_ns: dict[str, list[dict[str, Any]]] = {}
    for n in range(namespaces):
        ns = f"ns-{n}"
        labels = {"pci-scope": "cde"} if n % 10 == 0 else {"tenant": f"t{n % 20}"}
        by_ns[ns] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}]
    workloads = max(1, (objects - namespaces) * 3 // 7)
    for i in range(workloads):
        ns = f"ns-{i % namespaces}"
        by_ns[ns] += [deployment(i, ns), service(i, ns)] + ([network_policy(i, ns)] if i % 3 == 0 else [])
    return by_ns


def write(folder: Path, objects: int, namespaces: int, as_list: bool) -> tuple[int, int]:
    """The manifests, one file per namespace; returns (objects, bytes) written."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    count = size = 0
    for ns, objs in estate(objects, namespaces).items():
        path = folder / f"{ns}.yaml"
        if as_list:
            text = yaml.dump({"apiVersion": "v1", "kind": "List", "items": objs}, Dumper=dumper, sort_keys=False)
        else:
            text = yaml.dump_all(objs, Dumper=dumper, sort_keys=False)
        path.write_text(text)
        count += len(objs)
        size += len(text)
    return count, size


def cpu(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def measure(objects: int, repeat: int, as_list: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="pcicheck-yaml-bench-") as tmp:
        folder = Path(tmp)
        count, size = write(folder, objects, max(10, objects // 100), as_list)
        files = manifest_files(folder)
        yaml_s = cpu(lambda: [load_documents(f) for f in files], repeat)
        read_s = cpu(lambda: read_manifests([folder]), repeat)
    print(f"objects={count:>6} files={len(files)} bytes={size / 2**20:.1f}MiB  yaml={yaml_s:.2f}s  read={read_s:.2f}s")
    return yaml_s, read_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--list", action="store_true", help="one List document per file")
    args = parser.parse_args()
    print(f"libyaml: {yaml.__with_libyaml__}; CPU seconds, median of {args.repeat}")
    small = measure(args.objects, args.repeat, args.list)
    large = measure(4 * args.objects, args.repeat, args.list)
    print(f"growth time(4N)/time(N): yaml={large[0] / small[0]:.2f} read={large[1] / small[1]:.2f} (linear: 4)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
