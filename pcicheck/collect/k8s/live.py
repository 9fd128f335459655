"""Live Kubernetes collection with the official client: every kind listed cluster-wide, paginated,
concurrently; a kind the caller may not list becomes a CollectionError and the scan goes on.

Network policies of kinds pcicheck does not read (Cilium, Calico, AdminNetworkPolicy, …) are found by
one discovery call and listed (kind, namespace and name only), one list per kind the cluster serves. A
discovery or list that fails leaves a record standing for every policy it may have hidden, cluster-wide
(unread.unlisted_record), so the flows they may govern are `possible`, and a CollectionError, so the
controls built on those flows are `error`: never a definite answer from a list not read.

The client is imported lazily so `pcicheck --help` stays instant. A fresh client Configuration is
used, never the process-wide default, so nothing here leaks into other code in the process.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pcicheck import __version__
from pcicheck.collect.k8s import discovery
from pcicheck.collect.k8s.kinds import KINDS, Kind
from pcicheck.collect.k8s.kubeconfig import check_kubeconfig, kubeconfig_files
from pcicheck.collect.k8s.normalize import (
    NODE,
    POD,
    made_by_controller,
    pod_endpoint,
    to_resource,
    with_node_placement,
)
from pcicheck.collect.k8s.shapes import check
from pcicheck.collect.k8s.unread import UNREAD_POLICY, PolicyKind, unlisted_record, unread_record
from pcicheck.errors import CollectionFailed
from pcicheck.model import CollectionError, Resource, Snapshot, resource_type
from pcicheck.redact import redact_snapshot

PAGE_SIZE = 500
MAX_WORKERS = 8
_JSON = "application/json"
# Secrets are listed as metadata only: the server never sends their values to pcicheck.
_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"


# Built here, from the server's /version, not from an object: live scans only.
CLUSTER = resource_type(
    "k8s.cluster",
    "The cluster a live scan talked to (one per scanned cluster; not produced from files)",
    server="string: API server URL",
    version="string?: gitVersion the server reported",
    context="string?: kubeconfig context; null in-cluster",
)


@dataclass(frozen=True)
class K8sOptions:
    kubeconfig: str | None = None
    context: str | None = None


class _ListFailed(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _configure(options: K8sOptions) -> tuple[Any, dict[str, Any]]:
    import yaml
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    cfg = client.Configuration()
    in_cluster = (
        not options.kubeconfig and not os.environ.get("KUBECONFIG") and os.environ.get("KUBERNETES_SERVICE_HOST")
    )
    if not in_cluster:
        for path in kubeconfig_files(options.kubeconfig):
            check_kubeconfig(path)  # file:line for a garbage kubeconfig, before the client trips on it
    # The kubernetes client's config loaders carry no type hints: untyped calls at this boundary.
    # Its loader assumes a well-formed file: what the check above does not cover still fails here,
    # as a CollectionFailed naming the file, never as a traceback.
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            return cfg, {"cluster": "in-cluster", "user": "in-cluster service account", "context": None}
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=options.kubeconfig, context=options.context, client_configuration=cfg
        )
        contexts, active = config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=options.kubeconfig
        )
    except (
        ConfigException,
        OSError,
        TypeError,
        ValueError,
        AttributeError,
        KeyError,
        IndexError,
        yaml.YAMLError,
    ) as exc:
        where = options.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise CollectionFailed(
            f"cannot load the Kubernetes configuration ({where}): {str(exc).splitlines()[0] if str(exc) else exc}",
            fix="pass --kubeconfig FILE and --context NAME",
        ) from None
    chosen = next((c for c in contexts if c["name"] == options.context), active) if options.context else active
    ctx = chosen.get("context", {}) if chosen else {}
    return cfg, {
        "cluster": ctx.get("cluster", "unknown"),
        "user": ctx.get("user"),
        "context": chosen and chosen["name"],
    }


def _get(api: Any, path: str, query: list[tuple[str, Any]], accept: str) -> dict[str, Any]:
    method, url, headers, _, _ = api.param_serialize(
        "GET", path, query_params=query, header_params={"Accept": accept}, auth_settings=["BearerToken"]
    )
    response = api.call_api(method, url, headers, _request_timeout=60)
    body = response.read()
    if response.status != 200:
        try:
            status = json.loads(body)
        except ValueError:
            status = {}
        raise _ListFailed(response.status, str(status.get("reason", response.status)), str(status.get("message", "")))
    document: dict[str, Any] = json.loads(body)
    return document


def _list_all(api: Any, spec: Kind) -> tuple[list[dict[str, Any]], int]:
    """Every object of a kind and the number of pages read, following `continue`; an expired
    continuation restarts the list once."""
    pages = 0
    for attempt in (1, 2):
        items: list[dict[str, Any]] = []
        token = None
        try:
            while True:
                query: list[tuple[str, Any]] = [("limit", PAGE_SIZE)] + ([("continue", token)] if token else [])
                page = _get(api, spec.path, query, _METADATA_ONLY if spec.metadata_only else _JSON)
                pages += 1
                items.extend(page.get("items") or [])
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    return items, pages
        except _ListFailed as exc:
            if exc.status == 410 and attempt == 1:
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _records(spec: Kind, objects: list[dict[str, Any]], cluster: str) -> list[Resource]:
    out = []
    source = (f"k8s:list {spec.group_plural}",)
    for obj in objects:
        if made_by_controller(spec.kind, obj):
            continue
        record = to_resource({**obj, "kind": spec.kind}, cluster, source)
        if record is None:
            continue
        if spec.metadata_only:
            # Type and keys live beside the values, which were deliberately not fetched: unknown.
            record = replace(record, attributes={})
        out.append(record)
    return out


def _well_formed(spec: Kind, objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The objects whose fields pcicheck reads have the API's types, and a description of each of the
    others. The API server validates what it stores, so these are rare (an aggregated API, a proxy, a
    server bug): they are left out and reported, never read as empty."""
    good, bad = [], []
    for obj in objects:
        problem = check({**obj, "kind": spec.kind})
        if problem is None:
            good.append(obj)
            continue
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name = "/".join(str(meta[k]) for k in ("namespace", "name") if meta.get(k))
        bad.append(f"{spec.kind} {name or '?'}: {problem}")
    return good, bad


def _malformed_error(spec: Kind, malformed: list[str], cluster: str) -> CollectionError:
    """One error per kind, so every control on the kind (and every fact that reads it) is `error`."""
    types = [spec.resource_type]
    if spec.kind == "Pod":
        types += [POD.name, NODE.name]  # pods are endpoints too, and place namespaces on nodes
    more = f" (and {len(malformed) - 1} more)" if len(malformed) > 1 else ""
    return CollectionError(
        provider="k8s",
        account=cluster,
        region="",
        service="kubernetes",
        operation=f"list {spec.plural}",
        code="MalformedObject",
        message=f"{malformed[0]}{more}"[:300],
        resource_types=tuple(types),
    )


def _error(cluster: str, operation: str, exc: Exception, types: tuple[str, ...]) -> CollectionError:
    status = exc if isinstance(exc, _ListFailed) else None
    return CollectionError(
        provider="k8s",
        account=cluster,
        region="",
        service="kubernetes",
        operation=operation,
        code=status.reason if status else type(exc).__name__,
        message=(status.message if status else str(exc)).splitlines()[0][:300] if str(exc) else type(exc).__name__,
        resource_types=types,
    )


def _why(exc: Exception) -> str:
    return f"{exc.status} {exc.reason}" if isinstance(exc, _ListFailed) else type(exc).__name__


@dataclass
class _Unread:
    """What discovery found to list, and what could not be read (its errors, and one record per kind
    that may be there unlisted, so the flows it may govern are `possible`, never a definite answer)."""

    cluster: str
    to_list: dict[Kind, PolicyKind]
    errors: list[CollectionError]
    records: list[Resource]

    def failed(self, operation: str, exc: Exception, known: PolicyKind | None) -> None:
        self.errors.append(_error(self.cluster, operation, exc, (UNREAD_POLICY.name,)))
        self.records.append(unlisted_record(known, _why(exc), self.cluster, (f"k8s:{operation}",)))

    def listed(
        self, spec: Kind, outcome: tuple[list[dict[str, Any]], int] | Exception, calls: dict[str, int]
    ) -> list[Resource]:
        """The records of one listed policy kind; a failed list fails closed (404: the kind went away
        since discovery, none left)."""
        known = self.to_list[spec]
        action = f"list {spec.group_plural}"
        if isinstance(outcome, Exception):
            calls[f"k8s:{action}"] = 1
            if not (isinstance(outcome, _ListFailed) and outcome.status == 404):
                self.failed(action, outcome, known)
            return []
        records, malformed = _policy_records(spec, known, outcome[0], self.cluster)
        calls[f"k8s:{action}"] = outcome[1]
        if malformed:
            self.failed(action, ValueError("a policy without its name or namespace"), known)
        return records


def _discover(api: Any, cluster: str, calls: dict[str, int]) -> _Unread:
    """The network policy kinds pcicheck does not read that the cluster serves (collect/k8s/discovery.py).
    A failed discovery fails closed: any kind may be there, anywhere."""
    from urllib3.exceptions import HTTPError

    out = _Unread(cluster, {}, [], [])
    calls["k8s:get /apis"] = 1
    try:
        document = _get(api, "/apis", [], discovery.ACCEPT)
    except (_ListFailed, HTTPError, OSError, ValueError) as exc:
        out.failed("get /apis", exc, None)
        return out
    reasons: dict[str, Exception] = {}

    def resources(group: str, version: str) -> list[tuple[str, str]] | None:
        path = f"/apis/{group}/{version}"
        calls[f"k8s:get {path}"] = 1
        try:
            return discovery.resource_list(_get(api, path, [], _JSON))
        except _ListFailed as exc:
            if exc.status == 404:
                return []  # the version went away since the group list: it serves nothing
            reasons[group] = exc
        except (discovery.DiscoveryError, HTTPError, OSError, ValueError) as exc:
            reasons[group] = exc
        return None

    try:
        found, unknown = discovery.discovered(document, resources)
    except discovery.DiscoveryError as exc:
        out.failed("get /apis", exc, None)
        return out
    for group, failure in sorted(reasons.items()):
        out.errors.append(_error(cluster, f"get /apis/{group}", failure, (UNREAD_POLICY.name,)))
    for known in unknown:
        out.records.append(
            unlisted_record(known, _why(reasons[known.group]), cluster, (f"k8s:get /apis/{known.group}",))
        )
    out.to_list = {f.kind: f.known for f in found}
    return out


def _policy_records(
    spec: Kind, known: PolicyKind, objects: list[dict[str, Any]], cluster: str
) -> tuple[list[Resource], bool]:
    """The kind, namespace and name of each listed policy, as manifests record them; and whether some
    object could not be placed (no name, or a namespaced one without its namespace)."""
    out, malformed = [], False
    source = (f"k8s:list {spec.group_plural}",)
    for obj in objects:
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name, namespace = meta.get("name"), meta.get("namespace")
        if not (isinstance(name, str) and name) or (
            not known.cluster_wide and not (isinstance(namespace, str) and namespace)
        ):
            malformed = True
            continue
        out.append(unread_record(known, str(namespace or ""), name, cluster, source))
    return out, malformed


def collect_k8s(options: K8sOptions) -> Snapshot:
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    started = datetime.now(UTC)
    cfg, who = _configure(options)
    cluster = who["cluster"]
    api = client.ApiClient(cfg)
    try:
        version = _get(api, "/version", [], _JSON)
    except _ListFailed as exc:
        hint = "the token is wrong or expired" if exc.status == 401 else "check the credentials"
        raise CollectionFailed(
            f"the Kubernetes API server at {cfg.host} refused pcicheck ({exc.status} {exc.reason})", fix=hint
        ) from None
    except (HTTPError, OSError) as exc:
        raise CollectionFailed(
            f"cannot reach the Kubernetes API server at {cfg.host} ({type(exc).__name__})",
            fix="check the kubeconfig's server address and the network",
        ) from None

    resources: list[Resource] = []
    pods: list[dict[str, Any]] | None = None  # every pod, controller-made too: node placement
    errors: list[CollectionError] = []
    calls: dict[str, int] = {}
    unread = _discover(api, cluster, calls)

    def run(spec: Kind) -> tuple[Kind, tuple[list[dict[str, Any]], int] | Exception]:
        try:
            return spec, _list_all(api, spec)
        except (_ListFailed, HTTPError, OSError, ValueError) as exc:
            return spec, exc

    with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        for spec, outcome in pool.map(run, (*KINDS, *unread.to_list)):
            rtype = spec.resource_type
            action = f"k8s:list {spec.group_plural}"
            if spec in unread.to_list:
                resources += unread.listed(spec, outcome, calls)
                continue
            if isinstance(outcome, Exception):
                calls[action] = 1
                errors.append(_error(cluster, f"list {spec.plural}", outcome, (rtype,)))
                continue
            objects, calls[action] = outcome
            objects, malformed = _well_formed(spec, objects)
            if malformed:
                errors.append(_malformed_error(spec, malformed, cluster))
            if spec.kind == "Pod":
                pods = objects
                resources.extend(pod_endpoint({**o, "kind": "Pod"}, cluster, (action,)) for o in objects)
            resources.extend(_records(spec, objects, cluster))
    errors += unread.errors
    resources += unread.records
    resources = with_node_placement(resources, pods)
    resources.append(
        Resource(
            uid=f"k8s://{cluster}/_cluster/Cluster/{cluster}",
            type=CLUSTER.name,
            provider="k8s",
            account=cluster,
            region="",
            name=f"Cluster {cluster}",
            attributes={"server": cfg.host, "version": version.get("gitVersion"), "context": who["context"]},
            source=("k8s:get /version",),
        )
    )
    snapshot = Snapshot(
        tool_version=__version__,
        created_at=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        request={"providers": ["k8s"], "k8s": {"kubeconfig": options.kubeconfig, "context": who["context"]}},
        identity={
            "k8s": {"cluster": cluster, "server": cfg.host, "user": who["user"], "version": version.get("gitVersion")}
        },
        resources=tuple(sorted({r.uid: r for r in resources}.values(), key=lambda r: r.uid)),
        errors=tuple(errors),
        calls=calls,
    )
    return redact_snapshot(snapshot)
