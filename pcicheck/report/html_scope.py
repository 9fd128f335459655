"""The scope statement of index.html: what was asked for, who asked, and how scope was decided, as
label/value lines. Raw text: the page clips every line when it takes them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pcicheck.report.html_text import clip

Line = tuple[str, str]

# The PCI DSS scope of a resource, as results carry it; the columns of the system component table.
PCI_SCOPES = ("cde", "connected-to", "security-impacting", "out-of-scope", "unknown")


@dataclass(frozen=True)
class Connected:
    """A non-CDE system that can reach the CDE or be reached from it: in scope as connected-to."""

    name: str
    type: str
    uid: str
    links: list[tuple[str, str, str]]  # direction, peer, verdict
    tagged: bool  # whether anyone declared its scope with the CDE tag (or its namespace's label)
    verdicts: list[tuple[str, int]]  # status → results of CDE controls judged because it is connected-to


def connected(
    entries: Iterable[Mapping[str, Any]], judged: Mapping[str, Counter[str]], max_links: int
) -> list[Connected]:
    out = []
    for c in entries:
        uid = "" if c.get("uid") is None else str(c["uid"])
        links = [
            (clip(ln.get("direction", "")), clip(ln.get("peer", "")), clip(ln.get("verdict", "")))
            for ln in (c.get("links") or [])[:max_links]
        ]
        counts = judged.get(uid, Counter())
        out.append(
            Connected(
                name=clip(c.get("name") or ""),
                type=clip(c.get("type") or ""),
                uid=clip(uid),
                links=links,
                tagged=bool(c.get("scope_tagged")),
                verdicts=[
                    (s, counts[s]) for s in ("fail", "error", "needs_configuration", "pass", "waived") if counts[s]
                ],
            )
        )
    return out


def population_lines(population: Mapping[str, Any]) -> list[Line]:
    """The population tested and its limits: what a ROC's sampling section needs."""
    if not population:
        return []
    return [
        (
            "Population tested",
            f"{population.get('resources', '?')} resources. Sampling: {population.get('sampling', '?')}",
        ),
        (
            "Limits of the population",
            f"{population.get('where', '?')}, and only the resource types the controls read. Systems outside "
            "these accounts, regions and clusters, or outside AWS and Kubernetes, were not examined: the "
            "assessor covers them.",
        ),
    ]


def aws_lines(identity: Mapping[str, Any], request: Mapping[str, Any]) -> list[Line]:
    aws, aws_request = identity.get("aws") or {}, request.get("aws") or {}
    if not (aws or aws_request):
        return []
    lines = [("AWS account and caller", f"{aws.get('account', '?')} as {aws.get('arn', '?')}")]
    regions = aws_request.get("regions")
    lines.append(("AWS regions requested", ", ".join(map(str, regions)) if regions else "every enabled region"))
    if aws_request.get("profile"):
        lines.append(("AWS profile", str(aws_request["profile"])))
    if aws_request.get("services"):
        lines.append(("AWS services read", ", ".join(map(str, aws_request["services"]))))
    return lines


def k8s_lines(identity: Mapping[str, Any], request: Mapping[str, Any]) -> list[Line]:
    k8s, k8s_request = identity.get("k8s") or {}, request.get("k8s") or {}
    if not (k8s or k8s_request):
        return []
    lines = [
        (
            "Kubernetes cluster",
            f"{k8s.get('cluster', '?')} at {k8s.get('server', '?')} (version {k8s.get('version', '?')}), "
            f"read as {k8s.get('user', '?')}",
        )
    ]
    if k8s_request.get("context"):
        lines.append(("Kubernetes context", str(k8s_request["context"])))
    return lines


def manifest_lines(identity: Mapping[str, Any], request: Mapping[str, Any]) -> list[Line]:
    manifests = request.get("manifests") or {}
    if not manifests:
        return []
    cluster = (identity.get("manifests") or {}).get("cluster", "?")
    files = manifests.get("files") or []
    lines = [
        ("Kubernetes manifests", f"{len(files)} files from {', '.join(map(str, manifests.get('paths') or []))}"),
        ("Manifests judged as cluster", str(cluster)),
    ]
    skipped = manifests.get("skipped_kinds") or {}
    if skipped:
        lines.append(("Kinds in the manifests not evaluated", ", ".join(f"{k} ({n})" for k, n in skipped.items())))
    return lines


def selector_lines(scope: Mapping[str, Any]) -> list[Line]:
    """How the CDE and tenants were told apart."""
    cde, tenant = scope.get("cde") or {}, scope.get("tenant") or {}
    lines: list[Line] = []
    if cde:
        lines.append(
            (
                "CDE selector",
                f"tag or label {cde.get('tag', '?')}={cde.get('value', '?')} on the resource, its subnet or VPC, "
                "or its namespace",
            )
        )
    if tenant:
        lines.append(("Tenant selector", f"tag or label {tenant.get('tag', '?')}=<tenant id>"))
    return lines


def not_scanned(providers: list[str]) -> list[str]:
    """Warnings for the providers a scan left out, whose requirements are then left manual. Nothing
    when the document does not say which were scanned."""
    if not providers:
        return []
    out: list[str] = []
    if "aws" not in providers:
        out.append("AWS was not scanned: requirements only AWS controls evidence are left manual.")
    if not {"k8s", "manifests"} & set(providers):
        out.append("Kubernetes was not scanned: requirements only Kubernetes controls evidence are left manual.")
    return out


def run_lines(run: Mapping[str, Any], config: Mapping[str, Any]) -> list[Line]:
    """Who ran it and with what configuration: what re-performing the run starts from."""
    lines: list[Line] = []
    if run:
        lines.append(("Run by", f"{run.get('operator', '?')} on {run.get('host', '?')} ({run.get('time_zone', '?')})"))
        lines.append(("Command", str(run.get("command", "?"))))
    if config:
        where = f", loaded from {config['loaded_from']}" if config.get("loaded_from") else ", the defaults"
        lines.append(("Configuration", f"{config.get('file', '?')} sha256 {config.get('sha256', '?')}{where}"))
    return lines
