"""Parse the services beyond the network: trails, API gateways, secrets, web ACLs, the alarm chain
(SNS topics, metric filters, alarms), queues, tables, caches, builds, Elastic IPs and CloudFront."""

from __future__ import annotations

from typing import Any

from pcicheck.demo.seed.parser import Fields, Parser
from pcicheck.demo.seed.records import (
    BUCKET,
    GLOBAL_REGION,
    KMS_KEY,
    LOAD_BALANCER,
    METRIC_FILTER,
    SECRET,
    SNS_TOPIC,
    WEB_ACL,
    Alarm,
    Behaviour,
    Cache,
    Distribution,
    ElasticIp,
    EnvVar,
    HttpApi,
    HttpAuthorizer,
    MetricFilter,
    Operation,
    Origin,
    Project,
    Queue,
    Ref,
    RestApi,
    RestAuthorizer,
    Secret,
    Stage,
    Table,
    Topic,
    Trail,
    WebAcl,
)

_HTTP_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
_SNS_PROTOCOLS = {"email", "email-json", "http", "https", "sqs", "lambda", "sms"}
_BUILD_SOURCES = {"GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "CODECOMMIT", "S3", "NO_SOURCE"}
_VIEWER_PROTOCOLS = {"allow-all", "redirect-to-https", "https-only"}
_ORIGIN_PROTOCOLS = {"https-only", "match-viewer", "http-only"}
_ORIGIN_SSL = {"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"}


def trail(parser: Parser, name: str, f: Fields, region: str) -> Trail:
    bucket = f.ref("bucket", BUCKET)
    cw_group = cw_role = None
    if "cloudwatch_logs" in f.data:
        cw = Fields(parser, f.mapping("cloudwatch_logs"), f"{f.what}: cloudwatch_logs", f.line_of("cloudwatch_logs"))
        cw_group, cw_role = cw.text("log_group"), cw.text("role_arn")
        cw.done()
    kms_key = f.ref("kms_key", KMS_KEY, None, region)
    result = Trail(
        name,
        f.line,
        region,
        bucket,
        f.flag("multi_region", False),
        f.flag("log_file_validation", False),
        kms_key,
        f.flag("include_global_service_events", True),
        # A trail that was created but never started logs nothing; say so explicitly if wanted.
        f.flag("logging", True),
        cw_group,
        cw_role,
        f.tags(),
    )
    f.done()
    return result


def _operation(
    parser: Parser,
    key: Any,
    data: Any,
    line: int,
    what: str,
    authorizers: set[str],
    types: set[str],
    with_authorizer: str,
) -> Operation:
    verb, _, path = str(key).partition(" ")
    if not (key == "$default" or (verb in _HTTP_VERBS and path.startswith("/"))):
        raise parser.error(f"{what}: '{key}' is not 'VERB /path'", line, fix="e.g. 'POST /refunds'")
    f = Fields(parser, data, f"{what} '{key}'", line)
    authorizer = f.text("authorizer", None)
    if authorizer is not None and authorizer not in authorizers:
        raise parser.error(
            f"{f.what}: unknown authorizer '{authorizer}'",
            f.line_of("authorizer"),
            fix=f"this API's authorizers: {', '.join(sorted(authorizers)) or 'none declared'}",
        )
    default = with_authorizer if authorizer else "NONE"
    authorization = f.choice("authorization", types | {with_authorizer}, default)
    if (authorization == with_authorizer) != (authorizer is not None):
        raise parser.error(f"{f.what}: authorization {with_authorizer} goes with an authorizer", f.line)
    result = Operation(str(key), line, authorization, authorizer, f.texts("scopes"), f.flag("api_key_required", False))
    f.done()
    return result


def _stages(parser: Parser, f: Fields, rest: bool) -> list[Stage]:
    stages_map = f.mapping("stages")
    stages = []
    for stage, body in stages_map.items():
        sf = Fields(parser, body, f"{f.what}: stage '{stage}'", stages_map.line_of(stage))
        stages.append(
            Stage(
                str(stage),
                sf.text("description", "") if rest else "",
                False if rest else sf.flag("auto_deploy", False),
                sf.text("access_log_group", None),
            )
        )
        sf.done()
    return stages


def rest_api(parser: Parser, name: str, f: Fields, region: str) -> RestApi:
    auth_map = f.mapping("authorizers")
    authorizers = []
    for auth_name, body in auth_map.items():
        af = Fields(parser, body, f"{f.what}: authorizer '{auth_name}'", auth_map.line_of(auth_name))
        authorizers.append(
            RestAuthorizer(
                auth_name,
                af.choice("type", {"TOKEN", "REQUEST"}, "TOKEN"),
                af.text("lambda_arn"),
                af.text("identity_source", "method.request.header.Authorization"),
            )
        )
        af.done()
    methods_map = f.mapping("methods")
    methods = tuple(
        _operation(
            parser,
            k,
            v,
            methods_map.line_of(k),
            f"{f.what}: method",
            {a.name for a in authorizers},
            {"NONE", "AWS_IAM"},
            "CUSTOM",
        )
        for k, v in methods_map.items()
    )
    for m in methods:
        if m.key == "$default" or m.scopes:
            raise parser.error(f"{f.what}: method '{m.key}' is not valid on a REST API", m.line)
    stages = _stages(parser, f, rest=True)
    result = RestApi(name, f.line, region, f.tags(), tuple(authorizers), methods, tuple(stages))
    f.done()
    return result


def http_api(parser: Parser, name: str, f: Fields, region: str) -> HttpApi:
    auth_map = f.mapping("authorizers")
    authorizers = []
    for auth_name, body in auth_map.items():
        af = Fields(parser, body, f"{f.what}: authorizer '{auth_name}'", auth_map.line_of(auth_name))
        authorizers.append(
            HttpAuthorizer(
                auth_name,
                af.text("issuer"),
                af.texts("audience"),
                af.texts("identity_source") or ("$request.header.Authorization",),
            )
        )
        af.done()
    routes_map = f.mapping("routes")
    routes = tuple(
        _operation(
            parser,
            k,
            v,
            routes_map.line_of(k),
            f"{f.what}: route",
            {a.name for a in authorizers},
            {"NONE", "AWS_IAM"},
            "JWT",
        )
        for k, v in routes_map.items()
    )
    stages = _stages(parser, f, rest=False)
    result = HttpApi(name, f.line, region, f.tags(), tuple(authorizers), routes, tuple(stages))
    f.done()
    return result


def secret(parser: Parser, name: str, f: Fields, region: str) -> Secret:
    kms_key = f.ref("kms_key", KMS_KEY, None, region)
    days = f.number("rotation_days", None)
    if days is not None and not 1 <= days <= 1000:
        raise parser.error(f"{f.what}: rotation_days must be 1–1000", f.line_of("rotation_days"))
    lambda_arn = f.text("rotation_lambda_arn", None)
    if lambda_arn is not None and days is None:
        raise parser.error(f"{f.what}: rotation_lambda_arn needs rotation_days", f.line_of("rotation_lambda_arn"))
    result = Secret(name, f.line, region, f.text("description", ""), kms_key, f.tags(), days, lambda_arn)
    f.done()
    return result


def web_acl(parser: Parser, name: str, f: Fields, region: str) -> WebAcl:
    scope = f.choice("scope", {"REGIONAL", "CLOUDFRONT"}, "REGIONAL")
    if scope == "CLOUDFRONT" and region != GLOBAL_REGION:
        raise parser.error(f"{f.what}: CLOUDFRONT web ACLs live in {GLOBAL_REGION}, not {region}", f.line_of("scope"))
    protects = f.refs("protects", LOAD_BALANCER, region)
    if protects and scope != "REGIONAL":
        raise parser.error(
            f"{f.what}: only a REGIONAL web ACL protects load balancers",
            f.line_of("protects"),
            fix="a CLOUDFRONT web ACL is named by the distribution's web_acl",
        )
    log_group: str | None = None
    log_kms_key: Ref | None = None
    redact: tuple[str, ...] = ()
    if "logging" in f.data:
        lf = Fields(parser, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
        log_group = lf.text("log_group")
        if not log_group.startswith("aws-waf-logs-"):
            raise parser.error(f"{lf.what}: WAF log groups are named aws-waf-logs-…", lf.line_of("log_group"))
        redact = lf.texts("redact_headers")
        log_kms_key = lf.ref("kms_key", KMS_KEY, None, region)
        lf.done()
    parser.acl_scopes[name] = scope
    result = WebAcl(
        name,
        f.line,
        region,
        scope,
        f.choice("default_action", {"allow", "block"}, "allow"),
        protects,
        log_group,
        log_kms_key,
        redact,
        f.tags(),
    )
    f.done()
    return result


def topic(parser: Parser, name: str, f: Fields, region: str) -> Topic:
    raw = f.raw("subscriptions", [])
    if not isinstance(raw, list):
        raise parser.error(f"{f.what}: subscriptions must be a list", f.line_of("subscriptions"))
    subscriptions = []
    for item in raw:
        sf = Fields(parser, item, f"{f.what}: subscription", getattr(item, "line", f.line_of("subscriptions")))
        subscriptions.append((sf.choice("protocol", _SNS_PROTOCOLS), sf.text("endpoint")))
        sf.done()
    result = Topic(name, f.line, region, f.ref("kms_key", KMS_KEY, None, region), tuple(subscriptions), f.tags())
    f.done()
    return result


def metric_filter(parser: Parser, name: str, f: Fields, region: str) -> MetricFilter:
    mf = Fields(parser, f.mapping("metric"), f"{f.what}: metric", f.line_of("metric"))
    namespace, metric = mf.text("namespace"), mf.text("name")
    mf.done()
    result = MetricFilter(name, f.line, region, f.text("log_group"), f.text("pattern"), namespace, metric)
    f.done()
    return result


def alarm(parser: Parser, name: str, f: Fields, region: str) -> Alarm:
    result = Alarm(
        name,
        f.line,
        region,
        f.ref("metric_filter", METRIC_FILTER, region=region),
        f.refs("notify", SNS_TOPIC, region),
        f.flag("actions_enabled", True),
        f.number("threshold", 1),
    )
    f.done()
    return result


def queue(parser: Parser, name: str, f: Fields, region: str) -> Queue:
    encryption, kms_key = "sqs", None
    raw = f.raw("encryption", "sqs")
    if isinstance(raw, str):
        if raw not in ("sqs", "none"):
            raise parser.error(
                f"{f.what}: encryption is '{raw}', expected sqs, none or {{kms_key: KEY}}", f.line_of("encryption")
            )
        encryption = raw
    else:
        enc = Fields(parser, raw, f"{f.what}: encryption", f.line_of("encryption"))
        encryption, kms_key = "kms", enc.ref("kms_key", KMS_KEY, region=region)
        enc.done()
    result = Queue(name, f.line, region, encryption, kms_key, f.tags())
    f.done()
    return result


def table(parser: Parser, name: str, f: Fields, region: str) -> Table:
    result = Table(
        name,
        f.line,
        region,
        f.text("key", "id"),
        f.ref("kms_key", KMS_KEY, None, region),
        f.flag("point_in_time_recovery", False),
        f.tags(),
    )
    f.done()
    return result


def cache(parser: Parser, name: str, f: Fields, region: str) -> Cache:
    at_rest = f.flag("at_rest_encryption", False)
    kms_key = f.ref("kms_key", KMS_KEY, None, region)
    if kms_key is not None and not at_rest:
        raise parser.error(f"{f.what}: kms_key needs at_rest_encryption: true", f.line_of("kms_key"))
    transit = f.flag("transit_encryption", False)
    auth_token = f.flag("auth_token", False)
    if auth_token and not transit:
        raise parser.error(f"{f.what}: auth_token needs transit_encryption: true", f.line_of("auth_token"))
    nodes = f.number("nodes", 2)
    if not 1 <= nodes <= 6:
        raise parser.error(f"{f.what}: nodes must be 1–6 (a primary and up to five replicas)", f.line_of("nodes"))
    days = f.number("backup_retention_days", 0)
    if not 0 <= days <= 35:
        raise parser.error(f"{f.what}: backup_retention_days must be 0–35", f.line_of("backup_retention_days"))
    result = Cache(
        name,
        f.line,
        region,
        f.choice("engine", {"redis", "valkey"}, "redis"),
        f.text("node_type", "cache.t3.micro"),
        nodes,
        days,
        at_rest,
        kms_key,
        transit,
        auth_token,
        f.tags(),
    )
    f.done()
    return result


def project(parser: Parser, name: str, f: Fields, region: str) -> Project:
    sf = Fields(parser, f.mapping("source"), f"{f.what}: source", f.line_of("source"))
    source_type = sf.choice("type", _BUILD_SOURCES, "NO_SOURCE")
    location = sf.text("location", None)
    if (source_type == "NO_SOURCE") != (location is None):
        raise parser.error(f"{sf.what}: a location goes with every source type but NO_SOURCE", sf.line)
    sf.done()
    env_map = f.mapping("environment")
    environment = [_env_var(parser, k, v, env_map.line_of(k), f.what, region) for k, v in env_map.items()]
    result = Project(
        name,
        f.line,
        region,
        source_type,
        location,
        f.text("image", "aws/codebuild/standard:7.0"),
        f.text("service_role"),
        tuple(environment),
        f.tags(),
    )
    f.done()
    return result


def _env_var(parser: Parser, key: Any, value: Any, line: int, what: str, region: str) -> EnvVar:
    """VAR: "text" (PLAINTEXT), {secret: SECRET} (Secrets Manager) or {parameter: /NAME} (Parameter Store)."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return EnvVar(str(key), "PLAINTEXT", str(value), None)
    vf = Fields(parser, value, f"{what}: environment variable '{key}'", line)
    if ("secret" in vf.data) == ("parameter" in vf.data):
        raise parser.error(f"{vf.what}: give a plain value, {{secret: SECRET}} or {{parameter: /NAME}}", line)
    secret_ref = vf.ref("secret", SECRET, None, region)
    parameter = vf.text("parameter", None)
    vf.done()
    if secret_ref is not None:
        return EnvVar(str(key), "SECRETS_MANAGER", None, secret_ref)
    return EnvVar(str(key), "PARAMETER_STORE", parameter, None)


def elastic_ip(parser: Parser, name: str, f: Fields, region: str) -> ElasticIp:
    result = ElasticIp(name, f.line, region, f.tags())
    f.done()
    return result


def distribution(parser: Parser, name: str, f: Fields, _region: str) -> Distribution:
    origins_map = f.mapping("origins")
    origins = [_origin(parser, k, v, origins_map.line_of(k), f.what) for k, v in origins_map.items()]
    if not origins:
        raise parser.error(f"{f.what}: give at least one origin", f.line)
    behaviours_map = f.mapping("behaviours")
    behaviours = []
    for path, body in behaviours_map.items():
        bf = Fields(parser, body, f"{f.what}: behaviour '{path}'", behaviours_map.line_of(path))
        origin = bf.text("origin")
        if origin not in {o.id for o in origins}:
            raise parser.error(
                f"{bf.what}: unknown origin '{origin}'",
                bf.line_of("origin"),
                fix=f"this distribution's origins: {', '.join(o.id for o in origins)}",
            )
        behaviours.append(Behaviour(str(path), origin, bf.choice("viewer_protocol", _VIEWER_PROTOCOLS)))
        bf.done()
    if "*" not in {b.path for b in behaviours}:
        raise parser.error(f"{f.what}: behaviours needs the default one, '*'", f.line_of("behaviours"))
    acl = f.ref("web_acl", WEB_ACL, None, GLOBAL_REGION)
    if acl is not None and parser.acl_scopes.get(acl.name, "CLOUDFRONT") != "CLOUDFRONT":
        raise parser.error(f"{f.what}: web ACL '{acl.name}' is REGIONAL, not CLOUDFRONT", acl.line)
    logging = Fields(parser, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
    bucket = logging.ref("bucket", BUCKET) if logging.data else None
    prefix = logging.text("prefix", "") if logging.data else ""
    logging.done()
    certificate = f.text("certificate", None)
    result = Distribution(
        name,
        f.line,
        f.text("comment", ""),
        f.flag("enabled", True),
        f.texts("aliases"),
        certificate,
        f.text("minimum_protocol_version", "TLSv1.2_2021"),
        acl,
        bucket,
        prefix,
        tuple(origins),
        tuple(sorted(behaviours, key=lambda b: b.path != "*")),  # the default first
        f.tags(),
    )
    f.done()
    return result


def _origin(parser: Parser, key: Any, data: Any, line: int, what: str) -> Origin:
    f = Fields(parser, data, f"{what}: origin '{key}'", line)
    domain = f.text("domain", None)
    bucket = f.ref("s3_bucket", BUCKET, None)
    if (domain is None) == (bucket is None):
        raise parser.error(f"{f.what}: give domain (a custom origin) or s3_bucket", line)
    protocol = f.choice("protocol", _ORIGIN_PROTOCOLS, "https-only")
    ssl = f.texts("ssl_protocols") or ("TLSv1.2",)
    for p in ssl:
        if p not in _ORIGIN_SSL:
            raise parser.error(
                f"{f.what}: ssl protocol '{p}' is not one of {', '.join(sorted(_ORIGIN_SSL))}",
                f.line_of("ssl_protocols"),
            )
    if bucket is not None and ("protocol" in f.data or "ssl_protocols" in f.data):
        raise parser.error(f"{f.what}: S3 origins are always reached over HTTPS; protocol is for custom ones", line)
    f.done()
    return Origin(str(key), domain, bucket, protocol, ssl)
