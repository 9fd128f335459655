"""API Gateway REST APIs (v1): one resource per method (path + verb) and one per stage.

GetRestApis is the listing. Per API, GetResources and GetStages are listings of their own:
when one fails, that API's methods or stages are unknown, so a listing-level error is
recorded for the type (the engine then errors every control on it in this region) and the
other APIs are still collected. IAM authorizes every read here as `apigateway:GET`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ServiceSpec,
)
from pcicheck.model import Resource, resource_type

METHOD = resource_type(
    "aws.apigateway.method",
    "API Gateway REST API method (one per resource path and HTTP verb)",
    api_id="string",
    api_name="string",
    path="string: resource path, e.g. '/payments/{id}'",
    http_method="string: GET|POST|…|ANY|OPTIONS",
    authorization_type="string: 'NONE'|'AWS_IAM'|'CUSTOM'|'COGNITO_USER_POOLS'",
    authorizer="map?: {id, name, type ('TOKEN'|'REQUEST'|'COGNITO_USER_POOLS'), identity_source}; null without one",
    api_key_required="bool",
    endpoint_types="list: e.g. ['REGIONAL']",
)
STAGE = resource_type(
    "aws.apigateway.stage",
    "API Gateway REST API stage",
    api_id="string",
    api_name="string",
    stage_name="string",
    client_certificate_id="string?",
    web_acl_arn="string?: ARN",
    access_log_destination="string?: ARN",
    method_logging_level="string: 'OFF'|'ERROR'|'INFO' (the '*/*' method setting; 'OFF' when unset)",
    tracing_enabled="bool",
    cache_encrypted="bool",
)

_METHOD_ATTRS = ("authorization_type", "authorizer", "api_key_required")


def _api_arn(ctx: CollectContext, api_id: str) -> str:
    return f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api_id}"


def _authorizer(auth: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": auth.get("id"),
        "name": auth.get("name"),
        "type": auth.get("type"),
        "identity_source": auth.get("identitySource"),
    }


# One method as listed: (uid, resource path, verb, the method or FAILED, the calls that read it).
_Listed = tuple[str, str, str, Any, list[str]]


def _methods(ctx: CollectContext, ag: Any, api: dict[str, Any]) -> Iterator[Resource]:
    api_id, api_name = api["id"], api.get("name", api["id"])
    try:
        # embed=methods returns each Method inline, saving one GetMethod per verb.
        items = list(ctx.pages(ag, "get_resources", "items", restApiId=api_id, embed=["methods"]))
    except Exception as exc:  # this API's methods are unknown: error the type, keep the other APIs
        ctx.record_error(ag, "get_resources", exc, resource_type=METHOD.name, note=f"REST API {api_id} {api_name!r}")
        return
    endpoint = api.get("endpointConfiguration")
    endpoint_types: Any = list(endpoint.get("types") or []) if isinstance(endpoint, dict) else FAILED
    found = _listed_methods(ctx, ag, api_id, items)
    naming = [uid for uid, _, _, m, _ in found if m is not FAILED and m.get("authorizerId")]
    authorizers = _authorizers(ctx, ag, api_id, naming)
    for uid, path, verb, method, source in found:
        attributes: dict[str, Any] = {
            "api_id": api_id,
            "api_name": api_name,
            "path": path,
            "http_method": verb,
            "endpoint_types": endpoint_types,
        }
        if method is not FAILED:
            attributes.update(_method_attributes(method, authorizers))
            if attributes["authorizer"] is not None and attributes["authorizer"] is not FAILED:
                source.append(ctx.action(ag, "get_authorizers"))
        yield ctx.resource(
            type=METHOD.name,
            uid=uid,
            name=f"{api_name} {verb} {path}",
            tags=api.get("tags") or {},
            attributes=attributes,
            source=source,
        )


def _listed_methods(ctx: CollectContext, ag: Any, api_id: str, items: list[dict[str, Any]]) -> list[_Listed]:
    """Every method of every resource path, read on its own where the listing did not embed it."""
    base_source = [ctx.action(ag, "get_rest_apis"), ctx.action(ag, "get_resources")]
    found: list[_Listed] = []
    for item in items:
        path = item.get("path", "")
        for verb, method in sorted((item.get("resourceMethods") or {}).items()):
            uid = f"{_api_arn(ctx, api_id)}/resources/{item['id']}/methods/{verb}"
            source = list(base_source)
            if "authorizationType" not in (method or {}):
                # The embedded form was not returned (e.g. an older API): read the method itself.
                method = ctx.get(
                    ag,
                    "get_method",
                    uid=uid,
                    resource_type=METHOD.name,
                    attributes=_METHOD_ATTRS,
                    restApiId=api_id,
                    resourceId=item["id"],
                    httpMethod=verb,
                )
                if method is not FAILED:
                    source.append(ctx.action(ag, "get_method"))
            found.append((uid, path, verb, method, source))
    return found


def _authorizers(ctx: CollectContext, ag: Any, api_id: str, needs: list[str]) -> Any:
    """The API's authorizers by id, read only when a method names one; FAILED (recorded against each
    method in `needs`) when they could not be listed."""
    if not needs:
        return {}
    try:
        return {a["id"]: a for a in ctx.pages(ag, "get_authorizers", "items", restApiId=api_id)}
    except Exception as exc:  # every method that names an authorizer loses that attribute
        for uid in needs:
            ctx.record_error(ag, "get_authorizers", exc, resource_type=METHOD.name, uid=uid, attributes=("authorizer",))
        return FAILED


def _method_attributes(method: dict[str, Any], authorizers: Any) -> dict[str, Any]:
    auth_id = method.get("authorizerId")
    authorizer: Any = None
    if auth_id:
        # A dangling authorizer id (not in the listing) is unknown, not "none".
        missing = authorizers is FAILED or auth_id not in authorizers
        authorizer = FAILED if missing else _authorizer(authorizers[auth_id])
    return {
        "authorization_type": method.get("authorizationType", FAILED),
        "authorizer": authorizer,
        "api_key_required": bool(method.get("apiKeyRequired", False)),
    }


def _stages(ctx: CollectContext, ag: Any, api: dict[str, Any]) -> Iterator[Resource]:
    api_id, api_name = api["id"], api.get("name", api["id"])
    try:
        stages = list(ctx.pages(ag, "get_stages", "item", restApiId=api_id))
    except Exception as exc:  # this API's stages are unknown: error the type, keep the other APIs
        ctx.record_error(ag, "get_stages", exc, resource_type=STAGE.name, note=f"REST API {api_id} {api_name!r}")
        return
    source = [ctx.action(ag, "get_rest_apis"), ctx.action(ag, "get_stages")]
    for stage in stages:
        name = stage["stageName"]
        access_log = (stage.get("accessLogSettings") or {}).get("destinationArn") or None
        # '*/*' holds the stage-wide defaults; AWS omits it when nothing was set.
        defaults = (stage.get("methodSettings") or {}).get("*/*") or {}
        yield ctx.resource(
            type=STAGE.name,
            uid=f"{_api_arn(ctx, api_id)}/stages/{name}",
            name=f"{api_name}/{name}",
            # The stage's own tags are the more specific, so they win over the API's.
            tags={**(api.get("tags") or {}), **(stage.get("tags") or {})},
            attributes={
                "api_id": api_id,
                "api_name": api_name,
                "stage_name": name,
                "client_certificate_id": stage.get("clientCertificateId") or None,
                "web_acl_arn": stage.get("webAclArn") or None,
                "access_log_destination": access_log,
                "method_logging_level": defaults.get("loggingLevel") or "OFF",
                "tracing_enabled": bool(stage.get("tracingEnabled", False)),
                "cache_encrypted": bool(defaults.get("cacheDataEncrypted", False)),
            },
            source=source,
        )


def collect(ctx: CollectContext) -> Iterator[Resource]:
    ag = ctx.client()
    apis = list(ctx.pages(ag, "get_rest_apis", "items"))
    for api in apis:
        yield from _methods(ctx, ag, api)
        yield from _stages(ctx, ag, api)


SPEC = ServiceSpec(
    name="apigateway",
    client="apigateway",
    regional=True,
    types=(METHOD, STAGE),
    permissions=("apigateway:GET",),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
