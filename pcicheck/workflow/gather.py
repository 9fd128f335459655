"""Everything a run asked for, collected into one snapshot: manifest files, a live cluster, AWS accounts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from pcicheck.collect.aws.accounts import AccountSelection, collect_selected
from pcicheck.collect.aws.runner import ProgressHook
from pcicheck.collect.aws.shard import Shard
from pcicheck.errors import InputError
from pcicheck.model import Snapshot
from pcicheck.snapshot import merge

# Opens the AWS progress display (a terminal's), yielding the hook that feeds it, or None.
ProgressDisplay = Callable[[], AbstractContextManager[ProgressHook | None]]


@dataclass(frozen=True)
class Sources:
    """Where to collect from: the CLI's source options."""

    aws: bool = False
    manifests: tuple[Path, ...] = ()
    k8s: bool = False
    kubeconfig: str | None = None
    context: str | None = None
    profile: str | None = None
    regions: str | None = None  # as given: comma-separated
    accounts: AccountSelection = field(default_factory=AccountSelection)
    services: tuple[str, ...] | None = None  # the AWS collectors to run (None: all of them)
    shard: Shard | None = None  # collect only this shard's accounts × regions (collect/aws/shard.py)

    @property
    def any(self) -> bool:
        return bool(self.aws or self.k8s or self.manifests)


def parse_regions(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    regions = tuple(r.strip() for r in value.split(",") if r.strip())
    for r in regions:
        if not r.replace("-", "").isalnum() or r.count("-") < 2:
            raise InputError(f"--regions: {r!r} is not a region name", fix="e.g. --regions eu-west-2,us-east-1")
    if not regions:
        raise InputError("--regions is empty", fix="e.g. --regions eu-west-2,us-east-1")
    return regions


def parse_services(value: str | None) -> tuple[str, ...] | None:
    """`--services a,b` → the AWS collectors to run, each one pcicheck has (None: every collector)."""
    if value is None:
        return None
    from pcicheck.collect.aws.runner import service_specs

    known = {s.name for s in service_specs()}
    services = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = [n for n in services if n not in known]
    if unknown or not services:
        raise InputError(
            f"--services: {', '.join(map(repr, unknown)) or 'empty'} is not a collector pcicheck has",
            fix="name some of: " + ", ".join(sorted(known)),
        )
    return services


def gather(
    sources: Sources,
    *,
    notice: Callable[[str], None],
    aws_progress: ProgressDisplay | None = None,
) -> Snapshot:
    """One snapshot of every source asked for. Manifests are read first: a bad file fails in a second.
    `notice` hears what the reader left out (kinds pcicheck does not know); `aws_progress` is shown while
    AWS is collected."""
    parts = []
    if sources.manifests:
        from pcicheck.collect.k8s.manifests import manifest_snapshot
        from pcicheck.collect.k8s.unread import UNREAD_LABELS

        snap, read = manifest_snapshot(list(sources.manifests))
        skipped = ", ".join(f"{kind} ({n})" for kind, n in sorted(read.skipped_kinds.items()))
        if not read.resources:
            # Files were read but nothing in them is judged: "nothing left unproven" would be a lie.
            raise InputError(
                f"nothing to evaluate: {len(read.files)} file{'' if len(read.files) == 1 else 's'}, "
                "no Kubernetes object of a kind pcicheck reads" + (f" (not evaluated: {skipped})" if skipped else ""),
                path=", ".join(map(str, sources.manifests)),
                fix="pass rendered manifests (helm template, kustomize build) or `kubectl get -A -o yaml` output",
            )
        unknown = {k: n for k, n in read.skipped_kinds.items() if k not in UNREAD_LABELS}
        unread = {k: n for k, n in read.skipped_kinds.items() if k in UNREAD_LABELS}
        if unknown:
            listed = ", ".join(f"{kind} ({n})" for kind, n in sorted(unknown.items()))
            notice(f"manifests: not evaluated, kinds pcicheck does not know: {listed}")
        if unread:
            listed = ", ".join(f"{kind} ({n})" for kind, n in sorted(unread.items()))
            notice(
                f"manifests: network policies pcicheck does not read: {listed}; flows they may govern are `possible`"
            )
        if read.skipped_files:
            notice(f"manifests: skipped, not Kubernetes manifests: {', '.join(read.skipped_files)}")
        parts.append(snap)
    if sources.k8s:
        from pcicheck.collect.k8s.live import K8sOptions, collect_k8s

        parts.append(collect_k8s(K8sOptions(kubeconfig=sources.kubeconfig, context=sources.context)))
    if sources.aws:
        regions = parse_regions(sources.regions)
        with (aws_progress or nullcontext)() as hook:
            parts.append(
                collect_selected(
                    sources.accounts,
                    profile=sources.profile,
                    regions=regions,
                    services=sources.services,
                    progress=hook,
                    shard=sources.shard,
                )
            )
    return merge(parts)
