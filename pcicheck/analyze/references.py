"""Cross-resource references: which KMS key a resource's key id, ARN or alias really names."""

from __future__ import annotations

from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.collect.registry import resource_types
from pcicheck.model import Resource

# Attributes through which a resource names its KMS key; the `key_*` facts of keys are built from them.
# A region's default EBS key is not data the key protects, so regions are not key users.
KEY_REFERENCE_ATTRIBUTES = ("encryption", "kms_key_id")
KEY_REFERENCING_TYPES = tuple(
    sorted(t.name for t in resource_types().values() if set(t.attributes) & set(KEY_REFERENCE_ATTRIBUTES))
)


def _key_index(resources: list[Resource]) -> dict[str, str]:
    """Every way a key can be named (ARN, key id, alias name, alias ARN) → the key's uid."""
    index: dict[str, str] = {}
    for r in resources:
        if r.type != "aws.kms.key":
            continue
        key_id = r.attributes.get("key_id")
        names = [r.uid, r.attributes.get("arn"), key_id]
        region_prefix = r.uid.rsplit(":key/", 1)[0] if ":key/" in r.uid else None
        for alias in r.attributes.get("aliases") or ():
            names.append(f"{r.account}/{r.region}/{alias}")
            if region_prefix:
                names.append(f"{region_prefix}:{alias}")
        if key_id:
            names.append(f"{r.account}/{r.region}/{key_id}")
        for name in names:
            if name:
                index[name] = r.uid
    return index


def _named_key(r: Resource) -> str | None:
    attrs = r.attributes
    encryption = attrs.get("encryption")
    if isinstance(encryption, dict) and encryption.get("kms_key_id"):
        return str(encryption["kms_key_id"])
    for attr in ("kms_key_id", "ebs_default_kms_key_id"):
        if attrs.get(attr):
            return str(attrs[attr])
    return None


def _key_summary(key: Resource | None, tenant_tag: str) -> dict[str, Any]:
    """What controls ask of a resource's key, copied onto the resource: far cheaper than a CEL
    lookup() of the whole key per resource. A manager that was not read stays absent (→ error)."""
    if key is None:
        return {"kms_key_tenant": None, "kms_key_manager": None}
    summary: dict[str, Any] = {"kms_key_tenant": key.tags.get(tenant_tag) or None}
    if "manager" in key.attributes:
        summary["kms_key_manager"] = key.attributes["manager"]
    return summary


MAX_LISTED_USERS = 20  # evidence examples; the verdict reads the complete key_tenants


def reference_facts(resources: list[Resource], tenant_tag: str) -> dict[str, dict[str, Any]]:
    """uid → {kms_key_uid, kms_key_tenant, kms_key_manager} for every resource (None when no key is
    named or the key is not in the snapshot), and for every KMS key who it protects, seen from the key's side:
    {key_user_count, key_tenants (distinct tenants of its users, null for untenanted),
    key_other_tenant_users (up to 20 {uid, type, tenant} whose tenant differs from the key's)}.

    Done once here, and kept small, so judging 100,000 resources never copies a key's whole
    user list into CEL per resource.
    """
    index = _key_index(resources)
    keys = {r.uid: r for r in resources if r.type == "aws.kms.key"}
    key_tenant = {r.uid: r.tags.get(tenant_tag) or None for r in resources if r.type == "aws.kms.key"}
    facts: dict[str, dict[str, Any]] = {}
    count: dict[str, int] = dict.fromkeys(key_tenant, 0)
    tenants: dict[str, set[str | None]] = {uid: set() for uid in key_tenant}
    others: dict[str, list[dict[str, Any]]] = {uid: [] for uid in key_tenant}
    for r in resources:
        named = _named_key(r)
        uid = None
        if named:
            # Full ARNs resolve directly; bare ids and alias names are relative to the resource's region.
            uid = index.get(named) or index.get(f"{r.account}/{r.region}/{named}")
        facts[r.uid] = {"kms_key_uid": uid, **_key_summary(keys.get(uid) if uid else None, tenant_tag)}
        if uid is not None and r.type not in ("aws.kms.key", "aws.region"):
            tenant = r.tags.get(tenant_tag) or None
            count[uid] += 1
            tenants[uid].add(tenant)
            if tenant != key_tenant[uid] and len(others[uid]) < MAX_LISTED_USERS:
                others[uid].append({"uid": r.uid, "type": r.type, "tenant": tenant})
    for key_uid in key_tenant:
        facts[key_uid].update(
            key_user_count=count[key_uid],
            key_tenants=sorted(tenants[key_uid], key=lambda t: (t is not None, t or "")),
            key_other_tenant_users=others[key_uid],
        )
    return facts


def _host(url: Any) -> str:
    text = str(url or "").lower().strip()
    return text.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def cluster_links(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    """Link a scanned Kubernetes cluster and its EKS record through the API server's host name."""
    eks = {_host(r.attributes.get("endpoint")): r.uid for r in resources if r.type == "aws.eks.cluster"}
    clusters = {_host(r.attributes.get("server")): r.uid for r in resources if r.type == "k8s.cluster"}
    facts: dict[str, dict[str, Any]] = {}
    for r in resources:
        if r.type == "k8s.cluster":
            facts[r.uid] = {"eks_cluster_uid": eks.get(_host(r.attributes.get("server")))}
        elif r.type == "aws.eks.cluster":
            facts[r.uid] = {"k8s_cluster_uid": clusters.get(_host(r.attributes.get("endpoint")))}
    return facts


def _references(inputs: AnalysisInput) -> FactMap:
    return reference_facts(inputs.resources, inputs.scope.tenant_tag)


def _clusters(inputs: AnalysisInput) -> FactMap:
    return cluster_links(inputs.resources)


_KEYS = ("aws.kms.key",)
KEY_REFERENCES = Analyzer(
    "key-references",
    (
        Fact(
            "kms_key_uid",
            "uid of the KMS key the resource's kms_key_id/encryption names, resolved through aliases, or null "
            "when it names none or a key not in the snapshot",
            _KEYS,
        ),
        Fact(
            "kms_key_tenant",
            "the tenant tag of that KMS key, or null (no key, key not in the snapshot, untagged key)",
            _KEYS,
        ),
        Fact("kms_key_manager", "that key's manager ('CUSTOMER'|'AWS'), or null when there is no resolved key", _KEYS),
        Fact(
            "key_user_count",
            "KMS keys only: how many resources in the snapshot name this key",
            KEY_REFERENCING_TYPES,
            key_references=True,
        ),
        Fact(
            "key_tenants",
            "KMS keys only: the distinct tenants of those resources (null for untenanted ones)",
            KEY_REFERENCING_TYPES,
            key_references=True,
        ),
        Fact(
            "key_other_tenant_users",
            f"KMS keys only: up to {MAX_LISTED_USERS} {{uid, type, tenant}} of them whose tenant differs from "
            "the key's",
            KEY_REFERENCING_TYPES,
            key_references=True,
        ),
    ),
    _references,
)
CLUSTER_LINKS = Analyzer(
    "cluster-links",
    (
        Fact(
            "eks_cluster_uid",
            "k8s.cluster only: the aws.eks.cluster whose endpoint is this API server, when both were scanned, "
            "else null",
        ),
        Fact("k8s_cluster_uid", "aws.eks.cluster only: the scanned k8s.cluster served at its endpoint, else null"),
    ),
    _clusters,
)
