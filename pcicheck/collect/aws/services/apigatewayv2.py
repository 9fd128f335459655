"""API Gateway HTTP and WebSocket APIs (v2): one resource per route and one per stage.

GetApis is the listing; per API, GetRoutes and GetStages are listings of their own (a failure
errors that type in this region and the other APIs are still collected). Authorizers are read
one by one with GetAuthorizer, only for ids that routes reference: it is the same
`apigateway:GET` permission, skips unused authorizers, and a failure touches only the routes
that use that authorizer. IAM authorizes every read here as `apigateway:GET`.
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

ROUTE = resource_type(
    "aws.apigatewayv2.route",
    "API Gateway HTTP/WebSocket API route",
    api_id="string",
    api_name="string",
    protocol="string: 'HTTP'|'WEBSOCKET'",
    route_key="string: e.g. 'POST /payments' or '$default'",
    authorization_type="string: 'NONE'|'JWT'|'AWS_IAM'|'CUSTOM'",
    authorizer="map?: {id, name, type ('JWT'|'REQUEST'), issuer (string|null), audience [strings], "
    "identity_source [strings]}; null without one",
    authorization_scopes="list: of strings",
)
STAGE = resource_type(
    "aws.apigatewayv2.stage",
    "API Gateway HTTP/WebSocket API stage",
    api_id="string",
    api_name="string",
    stage_name="string",
    access_log_destination="string?: ARN",
    auto_deploy="bool",
)


def _api_arn(ctx: CollectContext, api_id: str) -> str:
    return f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}"


def _authorizer(auth: dict[str, Any]) -> dict[str, Any]:
    jwt = auth.get("JwtConfiguration") or {}
    return {
        "id": auth.get("AuthorizerId"),
        "name": auth.get("Name"),
        "type": auth.get("AuthorizerType"),
        "issuer": jwt.get("Issuer") or None,
        "audience": list(jwt.get("Audience") or []),
        "identity_source": list(auth.get("IdentitySource") or []),
    }


def _routes(ctx: CollectContext, v2: Any, api: dict[str, Any]) -> Iterator[Resource]:
    api_id, api_name = api["ApiId"], api.get("Name", api["ApiId"])
    try:
        routes = list(ctx.pages(v2, "get_routes", "Items", ApiId=api_id))
    except Exception as exc:  # this API's routes are unknown: error the type, keep the other APIs
        ctx.record_error(v2, "get_routes", exc, resource_type=ROUTE.name, note=f"API {api_id} {api_name!r}")
        return
    uids = {r["RouteId"]: f"{_api_arn(ctx, api_id)}/routes/{r['RouteId']}" for r in routes}

    authorizers: dict[str, Any] = {}  # id → GetAuthorizer response, or FAILED
    for auth_id in sorted({r["AuthorizerId"] for r in routes if r.get("AuthorizerId")}):
        users = [uids[r["RouteId"]] for r in routes if r.get("AuthorizerId") == auth_id]
        try:
            authorizers[auth_id] = ctx.call(v2, "get_authorizer", ApiId=api_id, AuthorizerId=auth_id)
        except Exception as exc:  # each route using it loses `authorizer`, and says so
            authorizers[auth_id] = FAILED
            for uid in users:
                ctx.record_error(
                    v2, "get_authorizer", exc, resource_type=ROUTE.name, uid=uid, attributes=("authorizer",)
                )

    base_source = [ctx.action(v2, "get_apis"), ctx.action(v2, "get_routes")]
    for route in routes:
        auth_id = route.get("AuthorizerId")
        source = list(base_source)
        authorizer: Any = None
        if auth_id:
            authorizer = authorizers[auth_id]
            if authorizer is not FAILED:
                authorizer = _authorizer(authorizer)
                source.append(ctx.action(v2, "get_authorizer"))
        yield ctx.resource(
            type=ROUTE.name,
            uid=uids[route["RouteId"]],
            name=f"{api_name} {route.get('RouteKey', route['RouteId'])}",
            tags=api.get("Tags") or {},
            attributes={
                "api_id": api_id,
                "api_name": api_name,
                "protocol": api.get("ProtocolType", FAILED),
                "route_key": route.get("RouteKey", ""),
                "authorization_type": route.get("AuthorizationType", FAILED),
                "authorizer": authorizer,
                "authorization_scopes": list(route.get("AuthorizationScopes") or []),
            },
            source=source,
        )


def _stages(ctx: CollectContext, v2: Any, api: dict[str, Any]) -> Iterator[Resource]:
    api_id, api_name = api["ApiId"], api.get("Name", api["ApiId"])
    try:
        stages = list(ctx.pages(v2, "get_stages", "Items", ApiId=api_id))
    except Exception as exc:  # this API's stages are unknown: error the type, keep the other APIs
        ctx.record_error(v2, "get_stages", exc, resource_type=STAGE.name, note=f"API {api_id} {api_name!r}")
        return
    source = [ctx.action(v2, "get_apis"), ctx.action(v2, "get_stages")]
    for stage in stages:
        name = stage["StageName"]
        access_log = (stage.get("AccessLogSettings") or {}).get("DestinationArn") or None
        yield ctx.resource(
            type=STAGE.name,
            uid=f"{_api_arn(ctx, api_id)}/stages/{name}",
            name=f"{api_name}/{name}",
            # The stage's own tags are the more specific, so they win over the API's.
            tags={**(api.get("Tags") or {}), **(stage.get("Tags") or {})},
            attributes={
                "api_id": api_id,
                "api_name": api_name,
                "stage_name": name,
                "access_log_destination": access_log,
                "auto_deploy": bool(stage.get("AutoDeploy", False)),
            },
            source=source,
        )


def collect(ctx: CollectContext) -> Iterator[Resource]:
    v2 = ctx.client()
    apis = list(ctx.pages(v2, "get_apis", "Items"))
    for api in apis:
        yield from _routes(ctx, v2, api)
        yield from _stages(ctx, v2, api)


SPEC = ServiceSpec(
    name="apigatewayv2",
    client="apigatewayv2",
    regional=True,
    types=(ROUTE, STAGE),
    permissions=("apigateway:GET",),
    collect=collect,
)
SPECS: tuple[ServiceSpec, ...] = (SPEC,)
