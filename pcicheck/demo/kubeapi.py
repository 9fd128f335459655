"""A small read-only Kubernetes API server, standard library only, for the tests and the demo.

It serves objects loaded from fixture manifests over real HTTP with the list semantics a collector
must cope with on a real cluster: discovery, `limit`/`continue` pagination with opaque tokens,
`resourceVersion`, 410 for stale tokens, bearer-token auth (401) and 403 for kinds the caller's
role may not list. The official `kubernetes` client talks to it unchanged, so collector tests
exercise the same code paths they would against EKS.

What it deliberately does not do: writes, watches, label/field selectors, protobuf, TLS. Each of
those is refused with the Status a real server would send, never silently ignored.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import hmac
import json
import os
import ssl
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

# The kinds served are the kinds pcicheck reads: one table (pcicheck.collect.k8s.kinds), so the test
# server can never drift from the collector or the ClusterRole. Policy kinds pcicheck does not read
# (collect/k8s/unread.py) are served as a cluster with their CRD installed serves them: only where
# installed (an object of the kind in the manifests, or named in `crds`).
from pcicheck.collect.k8s import unread
from pcicheck.collect.k8s.kinds import KINDS, Kind

# The identity the 403 messages name: the service account the shipped ClusterRole is bound to.
SCANNER_USER = "system:serviceaccount:pcicheck:scanner"
CONTEXT_NAME = "pcicheck-demo"
# Objects without a creation time get a fixed one, so snapshots and golden files stay stable.
DEFAULT_CREATION_TIMESTAMP = "2024-01-01T00:00:00Z"
# Namespace used for namespaced objects that name none, as `kubectl apply` does.
DEFAULT_NAMESPACE = "default"
# uid namespace for deterministic uids (uuid5 of kind/namespace/name): stable across runs.
_UID_NAMESPACE = uuid.UUID("6f0b5d4e-3c1a-4c2b-9a57-7e0d2f4c1b10")
# Same version tag the real server puts in its continue tokens.
_TOKEN_VERSION = "meta.k8s.io/v1"


_CRDS: dict[str, Kind] = {k.as_kind.group_plural: k.as_kind for k in unread.KINDS}
# The discovery path a caller may be forbidden (`forbidden={"/apis"}`), as RBAC's nonResourceURLs do.
DISCOVERY_PATH = "/apis"
_AGGREGATED = "as=APIGroupDiscoveryList"


@dataclass(frozen=True)
class _Served:
    """The kinds one server serves: the built-in ones, then the installed CRDs'."""

    kinds: tuple[Kind, ...]

    def by_gv_plural(self, gv: str, plural: str) -> Kind | None:
        return next((k for k in self.kinds if (k.group_version, k.plural) == (gv, plural)), None)

    def by_gv_kind(self, gv: str, kind: str) -> Kind | None:
        return next((k for k in self.kinds if (k.group_version, k.kind) == (gv, kind)), None)

    @property
    def groups(self) -> tuple[str, ...]:
        # Group order as a real server lists it: registration order, not alphabetical.
        return tuple(dict.fromkeys(k.group for k in self.kinds if k.group))


def _served(manifests: list[dict[str, Any]], crds: Iterable[str]) -> _Served:
    wanted = set(crds)
    unknown = sorted(wanted - set(_CRDS))
    if unknown:
        raise ValueError(f"unknown CRD(s) in crds: {', '.join(unknown)}")
    for raw in manifests:
        if isinstance(raw, dict):
            wanted |= {
                name
                for name, k in _CRDS.items()
                if (k.group_version, k.kind) == (str(raw.get("apiVersion")), str(raw.get("kind")))
            }
    return _Served((*KINDS, *(k for name, k in _CRDS.items() if name in wanted)))


# --------------------------------------------------------------------------- manifests


def load_manifests(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Read YAML files (multi-document; `kind: List` flattened; empty documents skipped).

    safe_load_all because fixture and demo manifests are data, never code.
    """
    out: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for doc in yaml.safe_load_all(fh):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    raise ValueError(f"{path}: a manifest document must be a mapping, got {type(doc).__name__}")
                out.extend(_flatten(doc, str(path)))
    return out


def _flatten(doc: dict[str, Any], where: str) -> list[dict[str, Any]]:
    # `kubectl get -A -o yaml` wraps everything in a v1 List (items may themselves be Lists).
    # A raw API dump is a typed list (PodList) whose items lack kind/apiVersion: restore them.
    kind = str(doc.get("kind", ""))
    if not (kind.endswith("List") and "items" in doc):
        return [doc]
    items = doc.get("items") or []
    if not isinstance(items, list):
        raise ValueError(f"{where}: `items` of a {kind} must be a sequence")
    item_kind = kind.removesuffix("List") if kind != "List" else None
    flat: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError(f"{where}: a {kind} item must be a mapping")
        if item_kind is not None:
            item = {"apiVersion": doc.get("apiVersion"), "kind": item_kind, **item}
        flat.extend(_flatten(item, where))
    return flat


@dataclass(frozen=True)
class _Stored:
    """A stored object and its sort key, (namespace, name), which is the etcd key order."""

    key: tuple[str, str]
    obj: dict[str, Any]


def _prepared(raw: Any, served: _Served) -> tuple[Kind, dict[str, Any]]:
    """A manifest checked as the real server would, with the fields the server sets filled in (a
    copy: the caller's dicts are never aliased)."""
    if not isinstance(raw, dict):
        raise ValueError(f"manifest must be a mapping, got {type(raw).__name__}")
    api_version, kind_name = raw.get("apiVersion"), raw.get("kind")
    rk = served.by_gv_kind(str(api_version), str(kind_name))
    if rk is None:
        raise ValueError(f"kind {kind_name!r} (apiVersion {api_version!r}) is not served by the demo API server")
    obj = copy.deepcopy(raw)
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind_name} without metadata.name")
    if rk.namespaced:
        meta["namespace"] = meta.get("namespace") or DEFAULT_NAMESPACE
    elif meta.get("namespace"):
        raise ValueError(f"{kind_name} {name!r} is cluster-scoped but names namespace {meta['namespace']!r}")
    if rk.kind == "Namespace":
        # The real API server always sets this label; NetworkPolicies commonly select on it.
        labels = meta.get("labels") or {}
        meta["labels"] = {**labels, "kubernetes.io/metadata.name": name}
    ns = meta.get("namespace", "")
    meta.setdefault("uid", str(uuid.uuid5(_UID_NAMESPACE, f"{rk.qualified}/{ns}/{name}")))
    meta.setdefault("creationTimestamp", DEFAULT_CREATION_TIMESTAMP)
    return rk, obj


def _index(manifests: list[dict[str, Any]], served: _Served) -> tuple[dict[Kind, list[_Stored]], int]:
    """Validate manifests, fill server-set fields, and sort each kind's objects by (namespace, name)."""
    by_kind: dict[Kind, dict[tuple[str, str], dict[str, Any]]] = {k: {} for k in served.kinds}
    max_rv = 0
    for raw in manifests:
        rk, obj = _prepared(raw, served)
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if key in by_kind[rk]:
            raise ValueError(f"duplicate {rk.kind} {key[0] + '/' if key[0] else ''}{key[1]}")
        given_rv = meta.get("resourceVersion")
        if isinstance(given_rv, str) and given_rv.isdigit():
            max_rv = max(max_rv, int(given_rv))
        by_kind[rk][key] = obj
    # Fill missing resourceVersions after the given ones, in a fixed order, so runs are repeatable.
    next_rv = max_rv
    indexed: dict[Kind, list[_Stored]] = {}
    for rk in served.kinds:
        stored = []
        for key in sorted(by_kind[rk]):
            meta = by_kind[rk][key]["metadata"]
            if not meta.get("resourceVersion"):
                next_rv += 1
                meta["resourceVersion"] = str(next_rv)
            stored.append(_Stored(key, by_kind[rk][key]))
        indexed[rk] = stored
    return indexed, max(next_rv, 1)


# --------------------------------------------------------------------------- the server


class _ApiError(Exception):
    """Becomes a metav1.Status response."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def _encode_continue(rv: int, start: tuple[str, str]) -> str:
    # Opaque to clients, like the real server's base64(json{v, rv, start}).
    raw = json.dumps({"v": _TOKEN_VERSION, "rv": rv, "start": list(start)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data.get("v") != _TOKEN_VERSION:
            raise ValueError("unsupported version")
        rv, start = data["rv"], data["start"]
        if not isinstance(rv, int) or not (isinstance(start, list) and len(start) == 2):
            raise ValueError("malformed")
        return rv, (str(start[0]), str(start[1]))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError):
        # The real server answers an undecodable token with 400 BadRequest, not 410.
        raise _ApiError(400, "BadRequest", "invalid continue token: could not decode") from None


_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter."
)


class _State:
    """Everything the handler threads share. Objects are read-only after startup; the lock guards
    the resource version (bumped by tests to expire tokens) and the request log."""

    def __init__(
        self,
        manifests: list[dict[str, Any]],
        token: str,
        forbidden: Iterable[str],
        page_limit_max: int,
        crds: Iterable[str] = (),
        aggregated_discovery: bool = True,
    ) -> None:
        if page_limit_max < 1:
            raise ValueError("page_limit_max must be at least 1")
        self.served = _served(manifests, crds)
        self.aggregated_discovery = aggregated_discovery
        versions = {f"{DISCOVERY_PATH}/{k.group_version}" for k in self.served.kinds if k.group}
        known = {k.group_plural for k in self.served.kinds} | {DISCOVERY_PATH} | versions
        self.forbidden = frozenset(forbidden)
        unknown = sorted(self.forbidden - known)
        if unknown:
            # A typo here would silently allow what a test means to forbid.
            raise ValueError(f"unknown resource(s) in forbidden: {', '.join(unknown)}")
        self.objects, self.resource_version = _index(manifests, self.served)
        self.token = token
        self.page_limit_max = page_limit_max
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []
        self.server_address = ""


@dataclass
class KubeApiHandle:
    """What `serve()` yields: where the server is, how to authenticate, and what it was asked."""

    url: str
    token: str
    _state: _State = field(repr=False)

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path with query, status) of every request so far, in arrival order (a copy)."""
        with self._state.lock:
            return list(self._state.requests)

    def clear_requests(self) -> None:
        with self._state.lock:
            self._state.requests.clear()

    @property
    def resource_version(self) -> str:
        with self._state.lock:
            return str(self._state.resource_version)

    def bump_resource_version(self) -> None:
        """Simulate a write plus compaction: outstanding continue tokens now get 410 Expired."""
        with self._state.lock:
            self._state.resource_version += 1

    def kubeconfig(self, path: str | os.PathLike[str]) -> Path:
        """Write a kubeconfig (plain http, bearer token, context `pcicheck-demo`) and return its path."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CONTEXT_NAME, "cluster": {"server": self.url}}],
            "users": [{"name": CONTEXT_NAME, "user": {"token": self.token}}],
            "contexts": [{"name": CONTEXT_NAME, "context": {"cluster": CONTEXT_NAME, "user": CONTEXT_NAME}}],
            "current-context": CONTEXT_NAME,
        }
        out = Path(path)
        # 0600 like kubectl writes it: the file holds a (fake) credential all the same.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        return out


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so the client's connection pool reuses sockets (matters for the 5,000-pod bench).
    protocol_version = "HTTP/1.1"
    # Idle keep-alive connections are dropped after this, so a handler thread never hangs forever.
    timeout = 30
    server_version = "pcicheck-kubeapi"
    state: _State  # set on the per-server subclass in serve()

    def log_message(self, format: str, *args: Any) -> None:
        # Silent: the request log is the record, and stderr noise would leak into CLI output.
        return

    def do_GET(self) -> None:
        self._dispatch(send_body=True)

    def do_HEAD(self) -> None:
        self._dispatch(send_body=False)

    def _refuse_method(self) -> None:
        # Drain any body so the keep-alive connection stays in sync for the next request.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        msg = "the server does not allow this method on the requested resource"
        self._send(405, _status(405, "MethodNotAllowed", msg), send_body=True)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse_method

    def _dispatch(self, *, send_body: bool) -> None:
        try:
            code, body = 200, self._route()
        except _ApiError as err:
            code, body = err.code, _status(err.code, err.reason, err.message, err.details)
        self._send(code, body, send_body=send_body)

    def _send(self, code: int, body: dict[str, Any], *, send_body: bool) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        with self.state.lock:
            self.state.requests.append((self.command, self.path, code))
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="kubernetes-master"')
        self.end_headers()
        if send_body:
            self.wfile.write(payload)

    # ----------------------------------------------------------------- routing

    def _route(self) -> dict[str, Any]:
        self._authenticate()
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        parts = [p for p in split.path.split("/") if p]
        if parts == ["version"]:
            return _version_info()
        if parts and parts[0] == "api":
            return self._route_group("", parts[1:], query)
        if parts and parts[0] == "apis":
            if len(parts) == 1:
                return self._discovery()
            if parts[1] not in self.state.served.groups:
                raise _not_found_path()
            return self._route_group(parts[1], parts[2:], query)
        raise _not_found_path()

    def _discovery(self) -> dict[str, Any]:
        """`GET /apis`: aggregated discovery (every group, version and resource) when the client asks
        for it first, as a 1.30 server answers kubectl; the plain group list otherwise."""
        if DISCOVERY_PATH in self.state.forbidden:
            raise _ApiError(403, "Forbidden", f'forbidden: User "{SCANNER_USER}" cannot get path "{DISCOVERY_PATH}"')
        first = (self.headers.get("Accept") or "").split(",")[0]
        if self.state.aggregated_discovery and _AGGREGATED in first:
            version = "v2beta1" if "v=v2beta1" in first else "v2"
            return _aggregated_list(self.state.served, version)
        return _group_list(self.state.served)

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        # Constant-time compare is overkill for a fake token, but costs nothing and sets the example.
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), self.state.token.encode()):
            raise _ApiError(401, "Unauthorized", "Unauthorized")

    def _route_group(self, group: str, rest: list[str], query: dict[str, str]) -> dict[str, Any]:
        if not rest:
            if group == "":
                return {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        # Required by the client's model even though nothing routes by it here.
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": self.state.server_address}
                    ],
                }
            return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, self.state.served)}
        version, rest = rest[0], rest[1:]
        gv = f"{group}/{version}" if group else version
        if not any(k.group_version == gv for k in self.state.served.kinds):
            raise _not_found_path()
        if not rest:
            if f"{DISCOVERY_PATH}/{gv}" in self.state.forbidden:
                path = f"{DISCOVERY_PATH}/{gv}"
                raise _ApiError(403, "Forbidden", f'forbidden: User "{SCANNER_USER}" cannot get path "{path}"')
            return _resource_list(gv, self.state.served)
        ns: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            # /namespaces/{ns}/{plural}[/{name}]; /namespaces/{name} alone is a Namespace get.
            ns, rest = rest[1], rest[2:]
        rk = self.state.served.by_gv_plural(gv, rest[0])
        if rk is None or len(rest) > 2 or (ns is not None and not rk.namespaced):
            raise _not_found_path()
        if len(rest) == 2:
            return self._get(rk, ns, rest[1])
        return self._list(rk, ns, query)

    def _authorize(self, rk: Kind, verb: str, ns: str | None) -> None:
        if rk.group_plural not in self.state.forbidden:
            return
        scope = f'in the namespace "{ns}"' if ns is not None else "at the cluster scope"
        message = (
            f'{rk.qualified} is forbidden: User "{SCANNER_USER}" cannot {verb} resource "{rk.plural}" '
            f'in API group "{rk.group}" {scope}'
        )
        raise _ApiError(403, "Forbidden", message, {"group": rk.group, "kind": rk.plural})

    def _get(self, rk: Kind, ns: str | None, name: str) -> dict[str, Any]:
        self._authorize(rk, "get", ns)
        items = self.state.objects[rk]
        key = (ns or "", name)
        i = bisect.bisect_left(items, key, key=lambda s: s.key)
        if i < len(items) and items[i].key == key:
            # A single GET keeps apiVersion/kind, as the real server does.
            return items[i].obj
        details = {"name": name, "kind": rk.plural, **({"group": rk.group} if rk.group else {})}
        raise _ApiError(404, "NotFound", f'{rk.qualified} "{name}" not found', details)

    def _list(self, rk: Kind, ns: str | None, query: dict[str, str]) -> dict[str, Any]:
        if query.get("watch") in ("true", "1"):
            raise _ApiError(400, "BadRequest", "watch not supported by the pcicheck demo API server")
        for unsupported in ("labelSelector", "fieldSelector"):
            if query.get(unsupported):
                # Refuse rather than ignore: ignoring would return objects the caller filtered out.
                raise _ApiError(400, "BadRequest", f"{unsupported} not supported by the pcicheck demo API server")
        self._authorize(rk, "list", ns)
        limit = self._limit(query)
        with self.state.lock:
            current_rv = self.state.resource_version
        items = self.state.objects[rk]
        if ns is not None:
            lo = bisect.bisect_left(items, (ns, ""), key=lambda s: s.key)
            hi = bisect.bisect_left(items, (ns + "\x00", ""), key=lambda s: s.key)
            items = items[lo:hi]
        start = 0
        token = query.get("continue")
        if token:
            if query.get("resourceVersion"):
                raise _ApiError(400, "BadRequest", "specifying resource version is not allowed when using continue")
            token_rv, start_key = _decode_continue(token)
            if token_rv != current_rv:
                # The list moved on since the first page: a consistent continuation is impossible.
                raise _ApiError(410, "Expired", _EXPIRED_MESSAGE)
            start = bisect.bisect_left(items, start_key, key=lambda s: s.key)
        page = items[start : start + limit]
        remaining = len(items) - start - len(page)
        meta: dict[str, Any] = {"resourceVersion": str(current_rv)}
        if remaining > 0:
            meta["continue"] = _encode_continue(current_rv, items[start + len(page)].key)
            meta["remainingItemCount"] = remaining
        if "as=PartialObjectMetadataList" in (self.headers.get("Accept") or ""):
            # Metadata-only lists, as the real server answers them: how a collector lists Secrets
            # without ever receiving their values.
            return {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": meta,
                "items": [
                    {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": s.obj["metadata"]}
                    for s in page
                ],
            }
        return {
            "kind": f"{rk.kind}List",
            "apiVersion": rk.group_version,
            "metadata": meta,
            # Typed lists from the real server omit each item's apiVersion/kind; match that so a
            # collector never relies on fields it will not get from a live cluster.
            "items": [{k: v for k, v in s.obj.items() if k not in ("apiVersion", "kind")} for s in page],
        }

    def _limit(self, query: dict[str, str]) -> int:
        raw = query.get("limit", "")
        try:
            limit = int(raw) if raw else 0
        except ValueError:
            raise _ApiError(400, "BadRequest", f"limit: invalid value {raw!r}") from None
        # limit <= 0 means "no limit" to the real server. The cap applies even then, so collectors
        # that forget to follow `continue` are caught by tests rather than by a big cluster.
        return min(limit, self.state.page_limit_max) if limit > 0 else self.state.page_limit_max


def _not_found_path() -> _ApiError:
    return _ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _version_info() -> dict[str, Any]:
    return {
        "major": "1",
        "minor": "30",
        "gitVersion": "v1.30.0-pcicheck-demo",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": DEFAULT_CREATION_TIMESTAMP,
        "goVersion": "go1.22",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _group_entry(group: str, served: _Served) -> dict[str, Any]:
    versions = list(dict.fromkeys(k.version for k in served.kinds if k.group == group))
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def _group_list(served: _Served) -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group_entry(g, served) for g in served.groups]}


def _aggregated_list(served: _Served, version: str) -> dict[str, Any]:
    """apidiscovery.k8s.io APIGroupDiscoveryList: the groups under /apis with each version's resources."""
    items = []
    for group in served.groups:
        versions = list(dict.fromkeys(k.version for k in served.kinds if k.group == group))
        entries = [
            {
                "version": v,
                "resources": [
                    {
                        "resource": k.plural,
                        "responseKind": {"group": group, "version": v, "kind": k.kind},
                        "scope": "Namespaced" if k.namespaced else "Cluster",
                        "singularResource": k.kind.lower(),
                        "verbs": ["get", "list"],
                        **({"shortNames": list(k.short_names)} if k.short_names else {}),
                    }
                    for k in served.kinds
                    if k.group_version == f"{group}/{v}"
                ],
                "freshness": "Current",
            }
            for v in versions
        ]
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": entries})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


def _resource_list(gv: str, served: _Served) -> dict[str, Any]:
    resources = [
        {
            "name": k.plural,
            "singularName": k.kind.lower(),
            "namespaced": k.namespaced,
            "kind": k.kind,
            # Only what is really served: a client must not be told it may watch or write.
            "verbs": ["get", "list"],
            **({"shortNames": list(k.short_names)} if k.short_names else {}),
        }
        for k in served.kinds
        if k.group_version == gv
    ]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


@contextmanager
def serve(
    manifests: list[dict[str, Any]],
    *,
    token: str,
    forbidden: Iterable[str] = frozenset(),
    page_limit_max: int = 500,
    crds: Iterable[str] = (),
    aggregated_discovery: bool = True,
    tls: ssl.SSLContext | None = None,
) -> Iterator[KubeApiHandle]:
    """Serve `manifests` on 127.0.0.1 at a free port until the block exits.

    `tls`: serve HTTPS with this server context (in-cluster configuration only speaks HTTPS).

    `forbidden` holds resources the caller may not get or list (`secrets`,
    `rbac.authorization.k8s.io/clusterroles`), and `/apis` or `/apis/GROUP/VERSION` for discovery: those
    answer 403 as RBAC would.
    `page_limit_max` caps every page, even when the client asks for no limit.
    `crds` names policy CRDs installed without objects (`cilium.io/ciliumnetworkpolicies`); a manifest of
    such a kind installs its CRD too. `aggregated_discovery=False` answers `/apis` as servers before 1.26 do.
    Raises ValueError at startup for an unserved kind, a duplicate, or an unknown forbidden or CRD name.
    """
    if not token:
        raise ValueError("token must be non-empty")
    state = _State(manifests, token, forbidden, page_limit_max, crds, aggregated_discovery)
    handler = type("_BoundHandler", (_Handler,), {"state": state})
    # Port 0: the OS picks a free port atomically, so parallel test runs never collide.
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True  # keep-alive handler threads must not block shutdown
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    host, port = str(server.server_address[0]), server.server_address[1]
    state.server_address = f"{host}:{port}"
    # A short poll interval so shutdown() returns promptly: tests start many servers.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="pcicheck-kubeapi", daemon=True
    )
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield KubeApiHandle(url=f"{scheme}://{host}:{port}", token=token, _state=state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["KINDS", "Kind", "KubeApiHandle", "load_manifests", "serve"]
