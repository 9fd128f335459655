"""Kubernetes objects against the API schema the `kubernetes` client carries: its models (`V1CronJob`,
…), generated from the API's OpenAPI document, the same source pcicheck/collect/k8s/shapes.py reads.
The client's models validate a whole object (they are pydantic models that forbid extra fields), so an
unknown field (a typo the API server would drop or refuse), a wrong type or a missing required field
is a problem with its path. Strict: no string is read as a number or the reverse (a quantity must be
written as a string here, which the API also accepts)."""

from __future__ import annotations

from typing import Any


def model_name(api_version: str, kind: str) -> str:
    """`batch/v1` CronJob -> V1CronJob; `rbac.authorization.k8s.io/v1` ClusterRole -> V1ClusterRole."""
    return f"{api_version.rpartition('/')[2].capitalize()}{kind}"


def problems(obj: dict[str, Any]) -> list[str]:
    """`path: message` for each field the API schema refuses; [] when the object fits it."""
    import pydantic
    from kubernetes import client

    name = model_name(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    model = getattr(client, name, None)
    if model is None:
        return [f"{obj.get('apiVersion')} {obj.get('kind')}: not a kind the kubernetes client models"]
    try:
        model.model_validate(obj, strict=True)
    except pydantic.ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return []
