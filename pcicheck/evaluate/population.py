"""What a scan looked at, in words an assessor can take into a report: the accounts and regions, the
clusters, the files. Not-applicable verdicts say "none found in …" against it: the absence is proven
only there."""

from __future__ import annotations

from typing import Any

from pcicheck.model import Snapshot


def _listed(values: Any) -> str:
    return ", ".join(str(v) for v in values)


def where_scanned(snapshot: Snapshot) -> str:
    request, identity = snapshot.request, snapshot.identity
    parts = []
    aws = identity.get("aws") or {}
    if "aws" in request.get("providers", ()) or aws:
        regions = (request.get("aws") or {}).get("regions")
        accounts = str(aws.get("account") or "?")
        noun = "accounts" if "," in accounts else "account"
        parts.append(f"AWS {noun} {accounts} (regions {_listed(regions) if regions else 'every enabled region'})")
    k8s = identity.get("k8s") or {}
    if k8s:
        parts.append(f"Kubernetes cluster {k8s.get('cluster', '?')}")
    manifests = request.get("manifests") or {}
    if manifests:
        files = manifests.get("files") or []
        parts.append(f"Kubernetes manifests ({len(files)} files under {_listed(manifests.get('paths') or [])})")
    iac = request.get("iac") or {}
    if iac:
        parts.append(f"infrastructure-as-code sources under {_listed(iac.get('paths') or [])}")
    return "; ".join(parts) or "the scanned sources"
