"""Cross-resource references: which KMS key a resource's key id, ARN or alias really names."""

from __future__ import annotations

from typing import Any

from pcicheck.model import Resource


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


def reference_facts(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    """uid → {kms_key_uid} (None when no key is named or the named key is not in the snapshot)."""
    index = _key_index(resources)
    facts: dict[str, dict[str, Any]] = {}
    for r in resources:
        named = _named_key(r)
        uid = None
        if named:
            # Full ARNs resolve directly; bare ids and alias names are relative to the resource's region.
            uid = index.get(named) or index.get(f"{r.account}/{r.region}/{named}")
        facts[r.uid] = {"kms_key_uid": uid}
    return facts
