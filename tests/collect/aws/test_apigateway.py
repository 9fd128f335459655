"""API Gateway REST (v1) and HTTP/WebSocket (v2) collectors against the moto server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.collect.aws.services import apigateway, apigatewayv2
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

ACCOUNT = "123456789012"
REGION = "eu-central-1"
LAMBDA_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:authorize/invocations"
)
ACCESS_LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:api-access"


def _denied(**_: Any) -> Any:
    return SimpleNamespace(status_code=403, headers={}), {
        "Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform apigateway:GET"},
        "ResponseMetadata": {},
    }


def run_denying(aws: Any, spec: ServiceSpec, event: str) -> tuple[list[Any], list[Any]]:
    def make_client(name: str, region: str) -> Any:
        c = boto3.client(
            name, region_name=region, endpoint_url=aws.endpoint, config=Config(retries={"max_attempts": 1})
        )
        c.meta.events.register(event, _denied)
        return c

    ctx = CollectContext(spec=spec, account=ACCOUNT, region=REGION, partition="aws", make_client=make_client)
    return list(spec.collect(ctx)), ctx.errors


def check_contract(resources: list[Any], spec: ServiceSpec, calls: dict[str, int]) -> None:
    for r in resources:
        assert r.type in spec.resource_types
        assert set(r.attributes) == set(resource_types()[r.type].attributes), r.uid
        assert violations(r) == []  # kinds and nullability as declared
    # IAM authorizes every API Gateway read as apigateway:GET; the API names are all Get*.
    assert spec.permissions == ("apigateway:GET",)
    assert all(c.startswith("apigateway:Get") for c in calls), calls


# --- REST APIs ----------------------------------------------------------------------------------


def _seed_rest(client: Any) -> dict[str, str]:
    ag = client("apigateway", REGION)
    api = ag.create_rest_api(name="payments-api", tags={"pci": "cde"}, endpointConfiguration={"types": ["REGIONAL"]})[
        "id"
    ]
    root = next(r["id"] for r in ag.get_resources(restApiId=api)["items"] if r["path"] == "/")
    payments = ag.create_resource(restApiId=api, parentId=root, pathPart="payments")["id"]
    auth = ag.create_authorizer(
        restApiId=api,
        name="token-check",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
    )["id"]
    ag.put_method(restApiId=api, resourceId=payments, httpMethod="GET", authorizationType="NONE")
    ag.put_method(
        restApiId=api,
        resourceId=payments,
        httpMethod="POST",
        authorizationType="CUSTOM",
        authorizerId=auth,
        apiKeyRequired=True,
    )
    for verb in ("GET", "POST"):
        ag.put_integration(restApiId=api, resourceId=payments, httpMethod=verb, type="MOCK")
    deployment = ag.create_deployment(restApiId=api)["id"]
    ag.create_stage(restApiId=api, stageName="prod", deploymentId=deployment, tracingEnabled=True, tags={"env": "prod"})
    ag.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
            {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"},
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": ACCESS_LOGS},
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        ],
    )
    ag.create_stage(restApiId=api, stageName="dev", deploymentId=deployment)
    return {"api": api, "payments": payments, "auth": auth}


def _rest_uid(api: str, tail: str) -> str:
    return f"arn:aws:apigateway:{REGION}::/restapis/{api}/{tail}"


def test_rest_methods_none_vs_custom_authorizer(client: Any, run_service: Any) -> None:
    ids = _seed_rest(client)
    resources, errors, calls = run_service(apigateway.SPEC, REGION)
    assert errors == []
    by_uid = {r.uid: r for r in resources}
    open_uid = _rest_uid(ids["api"], f"resources/{ids['payments']}/methods/GET")
    guarded_uid = _rest_uid(ids["api"], f"resources/{ids['payments']}/methods/POST")
    assert sorted(r.uid for r in resources if r.type == "aws.apigateway.method") == [open_uid, guarded_uid]

    opened = by_uid[open_uid]
    assert opened.name == "payments-api GET /payments"
    assert opened.tags == {"pci": "cde"}
    assert opened.source == ("apigateway:GetResources", "apigateway:GetRestApis")
    assert opened.attributes == {
        "api_id": ids["api"],
        "api_name": "payments-api",
        "path": "/payments",
        "http_method": "GET",
        "authorization_type": "NONE",
        "authorizer": None,
        "api_key_required": False,
        "endpoint_types": ["REGIONAL"],
    }
    guarded = by_uid[guarded_uid]
    assert guarded.attributes == {
        "api_id": ids["api"],
        "api_name": "payments-api",
        "path": "/payments",
        "http_method": "POST",
        "authorization_type": "CUSTOM",
        "authorizer": {
            "id": ids["auth"],
            "name": "token-check",
            "type": "TOKEN",
            "identity_source": "method.request.header.Authorization",
        },
        "api_key_required": True,
        "endpoint_types": ["REGIONAL"],
    }
    assert "apigateway:GetAuthorizers" in guarded.source
    check_contract(resources, apigateway.SPEC, calls)


def test_rest_stages_configured_vs_defaults(client: Any, run_service: Any) -> None:
    ids = _seed_rest(client)
    resources, _, _ = run_service(apigateway.SPEC, REGION)
    stages = {r.attributes["stage_name"]: r for r in resources if r.type == "aws.apigateway.stage"}
    prod = stages["prod"]
    assert prod.uid == _rest_uid(ids["api"], "stages/prod")
    assert prod.name == "payments-api/prod"
    assert prod.tags == {"pci": "cde", "env": "prod"}
    assert prod.source == ("apigateway:GetRestApis", "apigateway:GetStages")
    assert prod.attributes == {
        "api_id": ids["api"],
        "api_name": "payments-api",
        "stage_name": "prod",
        "client_certificate_id": None,
        "web_acl_arn": None,
        "access_log_destination": ACCESS_LOGS,
        "method_logging_level": "ERROR",
        "tracing_enabled": True,
        "cache_encrypted": True,
    }
    assert stages["dev"].attributes == {
        "api_id": ids["api"],
        "api_name": "payments-api",
        "stage_name": "dev",
        "client_certificate_id": None,
        "web_acl_arn": None,
        "access_log_destination": None,
        "method_logging_level": "OFF",
        "tracing_enabled": False,
        "cache_encrypted": False,
    }


def test_rest_authorizers_denied_leaves_authorizer_absent(client: Any, aws: Any) -> None:
    ids = _seed_rest(client)
    resources, errors = run_denying(aws, apigateway.SPEC, "before-call.api-gateway.GetAuthorizers")
    methods = {r.attributes["http_method"]: r for r in resources if r.type == "aws.apigateway.method"}
    assert "authorizer" not in methods["POST"].attributes
    assert methods["POST"].attributes["authorization_type"] == "CUSTOM"
    assert methods["GET"].attributes["authorizer"] is None  # it names none: nothing was missed
    assert [(e.resource_uid, e.attributes, e.operation, e.code) for e in errors] == [
        (methods["POST"].uid, ("authorizer",), "GetAuthorizers", "AccessDeniedException")
    ]
    assert ids["auth"]


def test_rest_resources_denied_errors_the_method_listing(client: Any, aws: Any) -> None:
    ids = _seed_rest(client)
    resources, errors = run_denying(aws, apigateway.SPEC, "before-call.api-gateway.GetResources")
    assert {r.type for r in resources} == {"aws.apigateway.stage"}  # stages still collected
    (error,) = errors
    assert error.resource_uid is None  # a listing gap: every method control errors in the region
    assert error.resource_types == ("aws.apigateway.method",)
    assert error.operation == "GetResources"
    assert ids["api"] in error.message


def test_rest_listing_denied_raises(aws: Any) -> None:
    # A failed listing raises, so the runner records it for both types in the region.
    with pytest.raises(Exception, match="AccessDeniedException"):
        run_denying(aws, apigateway.SPEC, "before-call.api-gateway.GetRestApis")


# --- HTTP / WebSocket APIs ----------------------------------------------------------------------


def _seed_http(client: Any) -> dict[str, str]:
    v2 = client("apigatewayv2", REGION)
    api = v2.create_api(Name="checkout-api", ProtocolType="HTTP", Tags={"pci": "cde"})["ApiId"]
    jwt = v2.create_authorizer(
        ApiId=api,
        AuthorizerType="JWT",
        Name="cognito-jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["checkout-client"], "Issuer": "https://issuer.example.com/pool"},
    )["AuthorizerId"]
    guarded = v2.create_route(
        ApiId=api,
        RouteKey="POST /payments",
        AuthorizationType="JWT",
        AuthorizerId=jwt,
        AuthorizationScopes=["payments/write"],
    )["RouteId"]
    opened = v2.create_route(ApiId=api, RouteKey="GET /health")["RouteId"]
    v2.create_stage(
        ApiId=api,
        StageName="$default",
        AutoDeploy=True,
        AccessLogSettings={"DestinationArn": ACCESS_LOGS, "Format": "$context.requestId"},
    )
    v2.create_stage(ApiId=api, StageName="beta", Tags={"env": "beta"})
    return {"api": api, "jwt": jwt, "guarded": guarded, "opened": opened}


def _http_uid(api: str, tail: str) -> str:
    return f"arn:aws:apigateway:{REGION}::/apis/{api}/{tail}"


def test_http_routes_jwt_vs_none(client: Any, run_service: Any) -> None:
    ids = _seed_http(client)
    resources, errors, calls = run_service(apigatewayv2.SPEC, REGION)
    assert errors == []
    by_uid = {r.uid: r for r in resources}
    guarded = by_uid[_http_uid(ids["api"], f"routes/{ids['guarded']}")]
    assert guarded.name == "checkout-api POST /payments"
    assert guarded.tags == {"pci": "cde"}
    assert guarded.source == ("apigateway:GetApis", "apigateway:GetAuthorizer", "apigateway:GetRoutes")
    assert guarded.attributes == {
        "api_id": ids["api"],
        "api_name": "checkout-api",
        "protocol": "HTTP",
        "route_key": "POST /payments",
        "authorization_type": "JWT",
        "authorizer": {
            "id": ids["jwt"],
            "name": "cognito-jwt",
            "type": "JWT",
            "issuer": "https://issuer.example.com/pool",
            "audience": ["checkout-client"],
            "identity_source": ["$request.header.Authorization"],
        },
        "authorization_scopes": ["payments/write"],
    }
    opened = by_uid[_http_uid(ids["api"], f"routes/{ids['opened']}")]
    assert opened.attributes == {
        "api_id": ids["api"],
        "api_name": "checkout-api",
        "protocol": "HTTP",
        "route_key": "GET /health",
        "authorization_type": "NONE",
        "authorizer": None,
        "authorization_scopes": [],
    }
    assert opened.source == ("apigateway:GetApis", "apigateway:GetRoutes")
    check_contract(resources, apigatewayv2.SPEC, calls)
    assert calls["apigateway:GetAuthorizer"] == 1  # once per referenced authorizer


def test_http_stages(client: Any, run_service: Any) -> None:
    ids = _seed_http(client)
    resources, _, _ = run_service(apigatewayv2.SPEC, REGION)
    stages = {r.attributes["stage_name"]: r for r in resources if r.type == "aws.apigatewayv2.stage"}
    default = stages["$default"]
    assert default.uid == _http_uid(ids["api"], "stages/$default")
    assert default.name == "checkout-api/$default"
    assert default.attributes == {
        "api_id": ids["api"],
        "api_name": "checkout-api",
        "stage_name": "$default",
        "access_log_destination": ACCESS_LOGS,
        "auto_deploy": True,
    }
    assert stages["beta"].tags == {"pci": "cde", "env": "beta"}
    assert stages["beta"].attributes == {
        "api_id": ids["api"],
        "api_name": "checkout-api",
        "stage_name": "beta",
        "access_log_destination": None,
        "auto_deploy": False,
    }


def test_http_authorizer_denied_leaves_authorizer_absent(client: Any, aws: Any) -> None:
    ids = _seed_http(client)
    resources, errors = run_denying(aws, apigatewayv2.SPEC, "before-call.apigatewayv2.GetAuthorizer")
    routes = {r.attributes["route_key"]: r for r in resources if r.type == "aws.apigatewayv2.route"}
    guarded = routes["POST /payments"]
    assert "authorizer" not in guarded.attributes
    assert guarded.attributes["authorization_type"] == "JWT"
    assert routes["GET /health"].attributes["authorizer"] is None
    assert [(e.resource_uid, e.attributes, e.operation) for e in errors] == [
        (_http_uid(ids["api"], f"routes/{ids['guarded']}"), ("authorizer",), "GetAuthorizer")
    ]


def test_websocket_api_protocol(client: Any, run_service: Any) -> None:
    v2 = client("apigatewayv2", REGION)
    api = v2.create_api(Name="events", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")[
        "ApiId"
    ]
    v2.create_route(ApiId=api, RouteKey="$connect", AuthorizationType="AWS_IAM")
    resources, errors, _ = run_service(apigatewayv2.SPEC, REGION)
    assert errors == []
    (route,) = resources
    assert (route.attributes["protocol"], route.attributes["route_key"]) == ("WEBSOCKET", "$connect")
    assert (route.attributes["authorization_type"], route.attributes["authorizer"]) == ("AWS_IAM", None)


def test_specs_shape() -> None:
    for module in (apigateway, apigatewayv2):
        assert module.SPECS == (module.SPEC,)
        assert module.SPEC.regional
    assert apigateway.SPEC.resource_types == ("aws.apigateway.method", "aws.apigateway.stage")
    assert apigatewayv2.SPEC.resource_types == ("aws.apigatewayv2.route", "aws.apigatewayv2.stage")
