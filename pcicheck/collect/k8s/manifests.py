"""Kubernetes manifests offline: YAML/JSON files, directories, multi-document files, `kind: List`
and typed lists such as `PodList` (as `kubectl get -A -o yaml` and the API server write them) and
rendered Helm output, read into the same records a live cluster gives.

A file in a folder holding no mapping at all (a JSON array, a bare value: some tool's output lying
beside the manifests) is not a manifest: it is skipped and named, never a reason to refuse the folder.
Network policies of kinds pcicheck does not evaluate (unread.KINDS) become `k8s.unread_policy` records,
so reachability can say which flows they may govern."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import __version__
from pcicheck.collect.k8s.kinds import BY_KIND
from pcicheck.collect.k8s.normalize import made_by_controller, pod_endpoint, to_resource, with_node_placement
from pcicheck.collect.k8s.shapes import check
from pcicheck.collect.k8s.unread import PolicyKind, policy_kind, unread_record
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
    skipped_files: tuple[str, ...] = ()  # files in the folders given that hold no manifest (no mapping at all)


def manifest_files(path: Path) -> list[Path]:
    """The manifest files under `path`, or `path` itself. A folder that could not be read completely
    (an unreadable subfolder, a dangling or looping link) or that holds no manifest file at all is an
    InputError: a scan that read nothing, or part of what it was given, must never say all is well."""
    if path.is_file():
        return [path]
    if path.is_dir():
        found = _walk(path, path, set())
        if not found:
            raise InputError(
                "nothing to scan: no .yaml, .yml or .json files",
                path=str(path),
                fix="pass the folder that holds the Kubernetes manifests",
            )
        return sorted(found)
    if path.is_symlink():
        raise InputError("broken symbolic link", path=str(path), fix="point it at a manifest file or folder")
    if path.exists():
        raise InputError("not a regular file or folder", path=str(path), fix="pass a manifest file or a folder of them")
    raise InputError("no such file or directory", path=str(path), fix="pass a manifest file or a folder of them")


def _walk(folder: Path, root: Path, ancestors: set[tuple[int, int]]) -> list[Path]:
    """Manifest files under `folder`, following links to folders as `find -L` does: a link back into
    a folder being walked is a loop, reported like any other folder that cannot be read."""
    try:
        stat = folder.stat()
        here = (stat.st_dev, stat.st_ino)
        if here in ancestors:
            raise InputError(
                "symbolic link loop: this folder links back to a folder that contains it",
                path=str(folder),
                fix="remove the link, or pass the folders to scan one by one",
            )
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(
            f"cannot read this folder: {exc.strerror or exc}",
            path=str(folder),
            fix=f"make it readable, or pass only the readable parts of {root}",
        ) from None
    out: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()  # follows links
            is_file = entry.is_file()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
        if is_dir:
            out.extend(_walk(path, root, ancestors | {here}))
        elif path.suffix not in SUFFIXES:
            continue
        elif is_file:
            out.append(path)
        elif entry.is_symlink() and not path.exists():
            raise InputError(
                "broken symbolic link: the manifest it names does not exist",
                path=str(path),
                fix="fix or remove the link",
            )
        else:
            raise InputError(
                "not a regular file (a device, pipe or socket)",
                path=str(path),
                fix="remove it, or rename it so it does not end in .yaml, .yml or .json",
            )
    return out


def _objects(doc: Any, path: Path) -> list[LineDict]:
    """A document's objects, with `kind: List` (and *List kinds from kubectl) flattened."""
    if not isinstance(doc, LineDict):
        raise InputError("a manifest document must be a mapping", path=str(path), line=1)
    kind = doc.get("kind")
    items = doc.get("items")
    if isinstance(kind, str) and (kind == "List" or (kind.endswith("List") and isinstance(items, list))):
        if items is not None and not isinstance(items, list):
            raise InputError(
                f"items: expected a list, got {type(items).__name__}",
                path=str(path),
                line=doc.line_of("items"),
                fix=f"a {kind} holds its objects as a list under items",
            )
        out = []
        for item in items or []:
            out.extend(_objects(_typed_item(item, kind, doc.get("apiVersion")), path))
        return out
    return [doc]


def _typed_item(item: Any, list_kind: str, api_version: Any) -> Any:
    """An item of a typed list (`PodList`, `NamespaceList`) with the kind its list names: the API server
    leaves kind and apiVersion out of the items of a typed list, since the list says them once. A
    `kind: List` holds objects of any kind, each naming its own; an item naming one keeps it."""
    if list_kind == "List" or not isinstance(item, LineDict) or "kind" in item:
        return item
    typed = LineDict(item)
    typed.line, typed.key_lines = item.line, item.key_lines
    typed["kind"] = list_kind.removesuffix("List")
    if "apiVersion" not in typed and isinstance(api_version, str):
        typed["apiVersion"] = api_version
    return typed


_NEEDS = "every Kubernetes object needs apiVersion, kind and metadata.name"
NOT_KUBERNETES = "not a Kubernetes object"  # how documents without a kind are listed among skipped kinds


def _kind(obj: LineDict, path: Path) -> str | None:
    """The object's kind; None for a document that is not a Kubernetes object (Helm values, a
    Chart.yaml, any YAML without a kind). A document that has a Kubernetes object's apiVersion and
    metadata but no kind is a broken object, not some other file: an error, not skipped."""
    kind = obj.get("kind")
    if kind is None:
        if "apiVersion" in obj and "metadata" in obj:
            raise InputError("object has no 'kind'", path=str(path), line=obj.line, fix=_NEEDS)
        return None
    if not isinstance(kind, str) or not kind:
        raise InputError(
            "kind: expected a kind name such as Deployment", path=str(path), line=obj.line_of("kind"), fix=_NEEDS
        )
    return kind


def _check_known(kind: str, obj: LineDict, path: Path) -> None:
    """A kind pcicheck reads: named, and every field pcicheck reads of the type the API gives it."""
    meta = obj.get("metadata")
    if not isinstance(meta, LineDict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InputError(f"{kind} has no metadata.name", path=str(path), line=obj.line, fix=_NEEDS)
    problem = check(obj)
    if problem is not None:
        raise InputError(
            f"{kind} {meta['name']}: {problem}", path=str(path), line=problem.line or obj.line, fix=problem.fix
        )


def _add(resources: dict[str, Resource], record: Resource, path: Path, line: int) -> None:
    if record.uid in resources:
        raise InputError(
            f"{record.name} is defined twice (also at {resources[record.uid].source[0][5:]})",
            path=str(path),
            line=line,
            fix="one object per kind, namespace and name",
        )
    resources[record.uid] = record


def _unread_policy(known: PolicyKind, obj: LineDict, path: Path, cluster: str) -> Resource:
    meta = obj.get("metadata")
    if not isinstance(meta, LineDict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InputError(f"{known.kind} has no metadata.name", path=str(path), line=obj.line, fix=_NEEDS)
    namespace = meta.get("namespace") or "default"
    if not isinstance(namespace, str):
        raise InputError(
            f"{known.kind} {meta['name']}: metadata.namespace: expected a namespace name",
            path=str(path),
            line=meta.line_of("namespace"),
            fix="a namespace name such as payments",
        )
    return unread_record(known, namespace, meta["name"], cluster, (f"file:{path}:{obj.line}",))


@dataclass(frozen=True)
class _Reading:
    """What reading the files has gathered so far."""

    cluster: str
    resources: dict[str, Resource] = field(default_factory=dict)
    pods: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def object(self, obj: LineDict, path: Path) -> None:
        kind = _kind(obj, path)
        unread = policy_kind(obj) if kind is not None else None
        if unread is not None:
            # A policy of a kind pcicheck does not evaluate: kept (kind and name only) so the flows it
            # may govern are `possible`; also listed among the kinds not evaluated.
            self.skipped[unread.label] += 1
            _add(self.resources, _unread_policy(unread, obj, path, self.cluster), path, obj.line)
            return
        if kind is None or kind not in BY_KIND:
            # Listed, not judged: unknown kinds (a CRD, a Kustomization) and other YAML.
            self.skipped[kind or NOT_KUBERNETES] += 1
            return
        _check_known(kind, obj, path)
        source = (f"file:{path}:{obj.line}",)
        if kind == "Pod":
            self.pods.append(obj)
            endpoint = pod_endpoint(obj, self.cluster, source)
            self.resources.setdefault(endpoint.uid, endpoint)
        if made_by_controller(kind, obj):
            return
        record = to_resource(obj, self.cluster, source=source)
        if record is not None:  # always, for a kind in BY_KIND
            _add(self.resources, record, path, obj.line)


def read_manifests(paths: list[Path], cluster: str = DEFAULT_CLUSTER) -> ManifestRead:
    reading = _Reading(cluster)
    files: list[str] = []
    not_manifests: list[str] = []
    for root in paths:
        for path in manifest_files(root):
            docs = load_documents(path)
            if root.is_dir() and docs and not any(isinstance(d, LineDict) for d in docs):
                # Some tool's output beside the manifests (a JSON array, a bare value): not a manifest.
                not_manifests.append(str(path))
                continue
            files.append(str(path))
            for doc in docs:
                for obj in _objects(doc, path):
                    reading.object(obj, path)
    placed = with_node_placement(list(reading.resources.values()), reading.pods)
    return ManifestRead(
        tuple(sorted(placed, key=lambda r: r.uid)), tuple(files), dict(reading.skipped), tuple(not_manifests)
    )


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
                "skipped_files": list(read.skipped_files),
            },
        },
        identity={"manifests": {"cluster": cluster}},
        resources=read.resources,
        errors=(),
        calls={},
    )
    return redact_snapshot(snap), read
