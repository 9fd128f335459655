"""Kubernetes manifests offline: YAML/JSON files, directories, multi-document files, `kind: List`
(as `kubectl get -A -o yaml` writes) and rendered Helm output, read into the same records a live
cluster gives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.collect.k8s.kinds import BY_KIND
from pcicheck.collect.k8s.normalize import made_by_controller, pod_endpoint, to_resource, with_node_placement
from pcicheck.errors import InputError
from pcicheck.model import Resource, Snapshot
from pcicheck.redact import redact_snapshot
from pcicheck.yamlfile import LineDict, load_documents

SUFFIXES = (".yaml", ".yml", ".json")
DEFAULT_CLUSTER = "manifests"


@dataclass(frozen=True)
class ManifestRead:
    resources: tuple[Resource, ...]
    files: tuple[str, ...]
    skipped_kinds: dict[str, int]  # kinds pcicheck does not evaluate, with how many objects


def manifest_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    raise InputError("no such file or directory", path=str(path), fix="pass a manifest file or a folder of them")


def _objects(doc: Any, path: Path) -> list[LineDict]:
    """A document's objects, with `kind: List` (and *List kinds from kubectl) flattened."""
    if not isinstance(doc, LineDict):
        raise InputError("a manifest document must be a mapping", path=str(path), line=1)
    kind = str(doc.get("kind", ""))
    if kind == "List" or (kind.endswith("List") and isinstance(doc.get("items"), list)):
        out = []
        for item in doc.get("items") or []:
            out.extend(_objects(item, path))
        return out
    return [doc]


_NEEDS = "every manifest object needs apiVersion, kind and metadata.name"


def _kind(obj: LineDict, path: Path) -> str:
    """The object's kind, once it is known to have one and a name."""
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError("object has no 'kind'", path=str(path), line=obj.line, fix=_NEEDS)
    meta = obj.get("metadata")
    if not isinstance(meta, LineDict) or not isinstance(meta.get("name"), str):
        raise InputError(f"{kind} has no metadata.name", path=str(path), line=obj.line, fix=_NEEDS)
    return kind


def _add(resources: dict[str, Resource], record: Resource, path: Path, line: int) -> None:
    if record.uid in resources:
        raise InputError(
            f"{record.name} is defined twice (also at {resources[record.uid].source[0][5:]})",
            path=str(path),
            line=line,
            fix="one object per kind, namespace and name",
        )
    resources[record.uid] = record


def read_manifests(paths: list[Path], cluster: str = DEFAULT_CLUSTER) -> ManifestRead:
    resources: dict[str, Resource] = {}
    pods: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    files: list[str] = []
    for root in paths:
        for path in manifest_files(root):
            files.append(str(path))
            for doc in load_documents(path):
                for obj in _objects(doc, path):
                    kind = _kind(obj, path)
                    if kind not in BY_KIND:
                        skipped[kind] += 1
                        continue
                    source = (f"file:{path}:{obj.line}",)
                    if kind == "Pod":
                        pods.append(obj)
                        endpoint = pod_endpoint(obj, cluster, source)
                        resources.setdefault(endpoint.uid, endpoint)
                    if made_by_controller(kind, obj):
                        continue
                    record = to_resource(obj, cluster, source=source)
                    if record is not None:  # always, for a kind in BY_KIND
                        _add(resources, record, path, obj.line)
    placed = with_node_placement(list(resources.values()), pods)
    return ManifestRead(tuple(sorted(placed, key=lambda r: r.uid)), tuple(files), dict(skipped))


def manifest_snapshot(paths: list[Path], cluster: str = DEFAULT_CLUSTER) -> tuple[Snapshot, ManifestRead]:
    read = read_manifests(paths, cluster)
    snap = Snapshot(
        tool_version=__version__,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        request={
            "providers": ["manifests"],
            "manifests": {
                "paths": [str(p) for p in paths],
                "files": list(read.files),
                "skipped_kinds": read.skipped_kinds,
            },
        },
        identity={"manifests": {"cluster": cluster}},
        resources=read.resources,
        errors=(),
        calls={},
    )
    return redact_snapshot(snap), read
