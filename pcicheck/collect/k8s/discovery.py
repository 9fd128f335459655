"""Which network policy kinds pcicheck does not read (unread.KINDS) a live cluster serves, from API discovery.

One call: `GET /apis` asking for aggregated discovery (apidiscovery.k8s.io/v2, GA in Kubernetes 1.30,
v2beta1 from 1.26; what kubectl asks for), which names every group, version and resource at once. A server
that answers with the plain APIGroupList instead (older, or aggregation off) names groups and versions only:
then each version of a known policy group is asked for its resource list (`GET /apis/GROUP/VERSION`), so
no kind is guessed into or out of existence. A kind the answers do not name is absent from the cluster;
a group version whose aggregated entry is `Stale` (its aggregated API server is not answering) is asked
directly, like the plain form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pcicheck.collect.k8s.kinds import Kind
from pcicheck.collect.k8s.unread import BY_GROUP_KIND, KINDS, STORED_BEHIND, PolicyKind

ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
GROUPS = frozenset(k.group for k in KINDS)


@dataclass(frozen=True)
class Found:
    """A policy kind the cluster serves, and where to list it."""

    known: PolicyKind
    kind: Kind  # with the version and plural the cluster serves


class DiscoveryError(Exception):
    """Discovery answered with something that is not a discovery document."""


# (group, version) → that version's resources as [(plural, kind)]; None when it could not be read (the
# lister records why).
ResourceLister = Callable[[str, str], list[tuple[str, str]] | None]
_Versions = list[tuple[str, str, list[tuple[str, str]] | None]]


def discovered(document: Mapping[str, Any], resources: ResourceLister) -> tuple[list[Found], list[PolicyKind]]:
    """The unread policy kinds the cluster serves, each at the first (preferred) version that serves it;
    and the kinds it may serve that no answer ruled in or out (a group version that could not be read)."""
    kind = document.get("kind")
    if kind == "APIGroupDiscoveryList":
        versions = _aggregated(document, resources)
    elif kind == "APIGroupList":
        versions = _plain(document, resources)
    else:
        raise DiscoveryError(f"/apis answered {str(kind)[:60]!r}, not an API group list")
    found: dict[tuple[str, str], Found] = {}
    unknown = {group for group, _, served in versions if served is None}
    for group, version, served in versions:
        for plural, name in served or ():
            known = BY_GROUP_KIND.get((group, name))
            if known is not None and "/" not in plural and (group, name) not in found:
                found[(group, name)] = Found(
                    known, Kind(name, group, version, plural, known.as_kind.resource_type, not known.cluster_wide)
                )
    kept = [f for f in found.values() if (STORED_BEHIND.get(f.known.group), f.known.kind) not in found]
    return kept, [k for k in KINDS if k.group in unknown and (k.group, k.kind) not in found]


def _aggregated(document: Mapping[str, Any], resources: ResourceLister) -> _Versions:
    out: _Versions = []
    for item in _list(document.get("items")):
        group = str(_map(item.get("metadata")).get("name", ""))
        if group not in GROUPS:
            continue
        for entry in _list(item.get("versions")):
            version = str(entry.get("version", ""))
            if entry.get("freshness") == "Stale":
                out.append((group, version, resources(group, version)))
                continue
            served = [
                (str(r.get("resource", "")), str(_map(r.get("responseKind")).get("kind", "")))
                for r in _list(entry.get("resources"))
            ]
            out.append((group, version, served))
    return out


def _plain(document: Mapping[str, Any], resources: ResourceLister) -> _Versions:
    out: _Versions = []
    for item in _list(document.get("groups")):
        group = str(item.get("name", ""))
        if group not in GROUPS:
            continue
        preferred = str(_map(item.get("preferredVersion")).get("version", ""))
        versions = [str(v.get("version", "")) for v in _list(item.get("versions"))]
        # The preferred version first, as aggregated discovery orders them.
        for version in sorted(versions, key=lambda v: v != preferred):
            out.append((group, version, resources(group, version)))
    return out


def resource_list(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(plural, kind) of an APIResourceList (`GET /apis/GROUP/VERSION`)."""
    if document.get("kind") != "APIResourceList":
        raise DiscoveryError(f"a group version answered {str(document.get('kind'))[:60]!r}, not APIResourceList")
    return [(str(r.get("name", "")), str(r.get("kind", ""))) for r in _list(document.get("resources"))]


def _list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DiscoveryError(f"discovery: expected a list of objects, got {type(value).__name__}")
    return value


def _map(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DiscoveryError(f"discovery: expected an object, got {type(value).__name__}")
    return value
