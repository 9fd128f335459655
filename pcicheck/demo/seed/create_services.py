"""Create the services beyond the network: trails, API gateways, secrets, web ACLs, the alarm chain
(SNS topics, metric filters, alarms), queues, tables, caches, builds, Elastic IPs and CloudFront."""

from __future__ import annotations

from typing import Any

from pcicheck.demo.seed.records import (
    ALARM,
    BUILD_PROJECT,
    CACHE,
    DISTRIBUTION,
    ELASTIC_IP,
    GLOBAL_REGION,
    HTTP_API,
    HTTP_AUTHORIZER,
    HTTP_ROUTE,
    HTTP_STAGE,
    METRIC_FILTER,
    QUEUE,
    REST_API,
    REST_AUTHORIZER,
    REST_METHOD,
    REST_STAGE,
    SECRET,
    SNS_TOPIC,
    TABLE,
    TRAIL,
    WEB_ACL,
    Alarm,
    Behaviour,
    Cache,
    Distribution,
    ElasticIp,
    HttpApi,
    MetricFilter,
    Origin,
    Project,
    Queue,
    RestApi,
    Secret,
    Table,
    Topic,
    Trail,
    WebAcl,
)
from pcicheck.demo.seed.seeder import PLACEHOLDER_SECRET, Seeder, ec2_tags, kv

# What an API stage's access log records of each request.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
    '"method":"$context.httpMethod","path":"$context.path","status":"$context.status"}'
)


def trail(seeder: Seeder, t: Trail) -> None:
    ct = seeder.client("cloudtrail", t.region)
    args: dict[str, Any] = {
        "Name": t.name,
        "S3BucketName": t.bucket.name,
        "IsMultiRegionTrail": t.multi_region,
        "EnableLogFileValidation": t.log_file_validation,
        "IncludeGlobalServiceEvents": t.include_global_service_events,
    }
    if t.kms_key is not None:
        args["KmsKeyId"] = seeder.id(t.kms_key)
    if t.tags:
        args["TagsList"] = kv(t.tags)
    with seeder.step(TRAIL, t.name):
        if t.cloudwatch_log_group is not None:
            args["CloudWatchLogsLogGroupArn"] = seeder.log_group(t.region, t.cloudwatch_log_group)
            args["CloudWatchLogsRoleArn"] = t.cloudwatch_role_arn
        arn = ct.create_trail(**args)["TrailARN"]
        if t.logging:
            ct.start_logging(Name=arn)
    seeder.record(TRAIL, t.name, t.region, arn)


def rest_api(seeder: Seeder, a: RestApi) -> None:
    ag = seeder.client("apigateway", a.region)
    with seeder.step(REST_API, a.name):
        api_id = ag.create_rest_api(name=a.name, endpointConfiguration={"types": ["REGIONAL"]}, tags=a.tags)["id"]
        seeder.record(REST_API, a.name, a.region, api_id)
        authorizers = _rest_authorizers(seeder, ag, a, api_id)
        _rest_methods(seeder, ag, a, api_id, authorizers)
        _rest_stages(seeder, ag, a, api_id)


def _rest_authorizers(seeder: Seeder, ag: Any, a: RestApi, api_id: str) -> dict[str, str]:
    """The API's Lambda authorizers, by their name in the estate file → authorizer id."""
    authorizers: dict[str, str] = {}
    for auth in a.authorizers:
        uri = f"arn:aws:apigateway:{a.region}:lambda:path/2015-03-31/functions/{auth.lambda_arn}/invocations"
        authorizers[auth.name] = ag.create_authorizer(
            restApiId=api_id,
            name=auth.name,
            type=auth.type,
            authorizerUri=uri,
            identitySource=auth.identity_source,
        )["id"]
        seeder.record(REST_AUTHORIZER, f"{a.name}/{auth.name}", a.region, authorizers[auth.name])
    return authorizers


def _rest_methods(seeder: Seeder, ag: Any, a: RestApi, api_id: str, authorizers: dict[str, str]) -> None:
    resources = {r["path"]: r["id"] for r in ag.get_resources(restApiId=api_id)["items"]}
    for m in a.methods:
        verb, _, path = m.key.partition(" ")
        resource_id = _rest_resource(ag, api_id, resources, path)
        args: dict[str, Any] = {
            "restApiId": api_id,
            "resourceId": resource_id,
            "httpMethod": verb,
            "authorizationType": m.authorization,
            "apiKeyRequired": m.api_key_required,
        }
        if m.authorizer:
            args["authorizerId"] = authorizers[m.authorizer]
        ag.put_method(**args)
        # A deployment needs every method integrated; a mock answers without a backend.
        ag.put_integration(
            restApiId=api_id,
            resourceId=resource_id,
            httpMethod=verb,
            type="MOCK",
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )
        seeder.record(REST_METHOD, f"{a.name} {m.key}", a.region, f"{api_id}/{resource_id}/{verb}")


def _rest_stages(seeder: Seeder, ag: Any, a: RestApi, api_id: str) -> None:
    for stage in a.stages:
        ag.create_deployment(restApiId=api_id, stageName=stage.name, stageDescription=stage.description)
        if stage.access_log_group is not None:
            ag.update_stage(
                restApiId=api_id,
                stageName=stage.name,
                patchOperations=[
                    {
                        "op": "replace",
                        "path": "/accessLogSettings/destinationArn",
                        "value": seeder.log_group(a.region, stage.access_log_group),
                    },
                    {
                        "op": "replace",
                        "path": "/accessLogSettings/format",
                        "value": ACCESS_LOG_FORMAT,
                    },
                ],
            )
        seeder.record(REST_STAGE, f"{a.name}/{stage.name}", a.region, f"{api_id}/{stage.name}")


def _rest_resource(ag: Any, api_id: str, resources: dict[str, str], path: str) -> str:
    """The resource id of `path`, creating it and any missing parents (REST APIs nest them)."""
    if path in resources:
        return resources[path]
    parent, _, part = path.rstrip("/").rpartition("/")
    parent_id = _rest_resource(ag, api_id, resources, parent or "/")
    resources[path] = ag.create_resource(restApiId=api_id, parentId=parent_id, pathPart=part)["id"]
    return resources[path]


def http_api(seeder: Seeder, a: HttpApi) -> None:
    v2 = seeder.client("apigatewayv2", a.region)
    with seeder.step(HTTP_API, a.name):
        api_id = v2.create_api(Name=a.name, ProtocolType="HTTP", Tags=a.tags)["ApiId"]
        seeder.record(HTTP_API, a.name, a.region, api_id)
        authorizers: dict[str, str] = {}
        for auth in a.authorizers:
            authorizers[auth.name] = v2.create_authorizer(
                ApiId=api_id,
                Name=auth.name,
                AuthorizerType="JWT",
                IdentitySource=list(auth.identity_source),
                JwtConfiguration={"Issuer": auth.issuer, "Audience": list(auth.audience)},
            )["AuthorizerId"]
            seeder.record(HTTP_AUTHORIZER, f"{a.name}/{auth.name}", a.region, authorizers[auth.name])
        for r in a.routes:
            args: dict[str, Any] = {
                "ApiId": api_id,
                "RouteKey": r.key,
                "AuthorizationType": r.authorization,
            }
            if r.authorizer:
                args["AuthorizerId"] = authorizers[r.authorizer]
            if r.scopes:
                args["AuthorizationScopes"] = list(r.scopes)
            route_id = v2.create_route(**args)["RouteId"]
            seeder.record(HTTP_ROUTE, f"{a.name} {r.key}", a.region, route_id)
        for stage in a.stages:
            args = {"ApiId": api_id, "StageName": stage.name, "AutoDeploy": stage.auto_deploy}
            if stage.access_log_group is not None:
                args["AccessLogSettings"] = {
                    "DestinationArn": seeder.log_group(a.region, stage.access_log_group),
                    "Format": ACCESS_LOG_FORMAT,
                }
            v2.create_stage(**args)
            seeder.record(HTTP_STAGE, f"{a.name}/{stage.name}", a.region, f"{api_id}/{stage.name}")


def secret(seeder: Seeder, s: Secret) -> None:
    sm = seeder.client("secretsmanager", s.region)
    args: dict[str, Any] = {
        "Name": s.name,
        "Description": s.description,
        "SecretString": PLACEHOLDER_SECRET,
        "Tags": kv(s.tags),
    }
    if s.kms_key is not None:
        args["KmsKeyId"] = seeder.id(s.kms_key)
    with seeder.step(SECRET, s.name):
        arn = sm.create_secret(**args)["ARN"]
        if s.rotation_days is not None:
            # AWS needs a rotation Lambda here (RotationLambdaARN); moto schedules rotation
            # without one, and would try to invoke any Lambda it is given.
            rotate: dict[str, Any] = {
                "SecretId": arn,
                "RotationRules": {"AutomaticallyAfterDays": s.rotation_days},
            }
            if s.rotation_lambda_arn:
                rotate["RotationLambdaARN"] = s.rotation_lambda_arn
            sm.rotate_secret(**rotate)
    seeder.record(SECRET, s.name, s.region, arn)


def web_acl(seeder: Seeder, w: WebAcl) -> None:
    waf = seeder.client("wafv2", w.region)
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": w.name}
    with seeder.step(WEB_ACL, w.name):
        args: dict[str, Any] = {
            "Name": w.name,
            "Scope": w.scope,
            "DefaultAction": {"Allow": {}} if w.default_action == "allow" else {"Block": {}},
            "VisibilityConfig": visibility,
        }
        if w.tags:
            args["Tags"] = kv(w.tags)
        arn = waf.create_web_acl(**args)["Summary"]["ARN"]
        seeder.record(WEB_ACL, w.name, w.region, arn)
        for balancer in w.protects:
            waf.associate_web_acl(WebACLArn=arn, ResourceArn=seeder.id(balancer))
        if w.log_group is not None:
            config: dict[str, Any] = {
                "ResourceArn": arn,
                "LogDestinationConfigs": [seeder.log_group(w.region, w.log_group, w.log_kms_key)],
            }
            if w.redact:
                config["RedactedFields"] = [{"SingleHeader": {"Name": h}} for h in w.redact]
            waf.put_logging_configuration(LoggingConfiguration=config)


def topic(seeder: Seeder, t: Topic) -> None:
    sns = seeder.client("sns", t.region)
    with seeder.step(SNS_TOPIC, t.name):
        args: dict[str, Any] = {"Name": t.name}
        if t.kms_key is not None:
            args["Attributes"] = {"KmsMasterKeyId": seeder.id(t.kms_key)}
        if t.tags:
            args["Tags"] = kv(t.tags)
        arn = sns.create_topic(**args)["TopicArn"]
        # AWS leaves an email subscription pending until someone follows the link; the
        # emulator confirms it at once, which is what a working alarm chain looks like.
        for protocol, endpoint in t.subscriptions:
            sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
    seeder.record(SNS_TOPIC, t.name, t.region, arn)


def metric_filter(seeder: Seeder, m: MetricFilter) -> None:
    with seeder.step(METRIC_FILTER, m.name):
        seeder.log_group(m.region, m.log_group)  # usually a trail's, made already
        seeder.client("logs", m.region).put_metric_filter(
            logGroupName=m.log_group,
            filterName=m.name,
            filterPattern=m.pattern,
            metricTransformations=[{"metricName": m.metric, "metricNamespace": m.namespace, "metricValue": "1"}],
        )
    seeder.record(METRIC_FILTER, m.name, m.region, f"{m.log_group}:{m.name}")
    seeder.extra[(METRIC_FILTER, m.name)] = (m.namespace, m.metric)


def alarm(seeder: Seeder, a: Alarm) -> None:
    cw = seeder.client("cloudwatch", a.region)
    namespace, metric = seeder.extra[(METRIC_FILTER, a.metric_filter.name)]
    with seeder.step(ALARM, a.name):
        cw.put_metric_alarm(
            AlarmName=a.name,
            Namespace=namespace,
            MetricName=metric,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=float(a.threshold),
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            ActionsEnabled=a.actions_enabled,
            AlarmActions=[seeder.id(t) for t in a.notify],
        )
        arn = cw.describe_alarms(AlarmNames=[a.name])["MetricAlarms"][0]["AlarmArn"]
    seeder.record(ALARM, a.name, a.region, arn)


def queue(seeder: Seeder, q: Queue) -> None:
    sqs = seeder.client("sqs", q.region)
    # New queues get SSE-SQS by default, as on AWS: "none" has to switch it off.
    attributes = {"SqsManagedSseEnabled": "true" if q.encryption == "sqs" else "false"}
    if q.kms_key is not None:
        attributes = {"KmsMasterKeyId": seeder.id(q.kms_key)}
    with seeder.step(QUEUE, q.name):
        url = sqs.create_queue(QueueName=q.name, Attributes=attributes, tags=q.tags)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    seeder.record(QUEUE, q.name, q.region, arn)


def table(seeder: Seeder, t: Table) -> None:
    dynamodb = seeder.client("dynamodb", t.region)
    args: dict[str, Any] = {
        "TableName": t.name,
        "AttributeDefinitions": [{"AttributeName": t.key, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": t.key, "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if t.kms_key is not None:
        args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": seeder.id(t.kms_key)}
    if t.tags:
        args["Tags"] = kv(t.tags)
    with seeder.step(TABLE, t.name):
        arn = dynamodb.create_table(**args)["TableDescription"]["TableArn"]
        if t.pitr:
            dynamodb.update_continuous_backups(
                TableName=t.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
    seeder.record(TABLE, t.name, t.region, arn)


def cache(seeder: Seeder, c: Cache) -> None:
    args: dict[str, Any] = {
        "ReplicationGroupId": c.name,
        "ReplicationGroupDescription": c.name,
        "Engine": c.engine,
        "CacheNodeType": c.node_type,
        "NumCacheClusters": c.nodes,
        # Failover needs a replica to fail over to.
        "AutomaticFailoverEnabled": c.nodes > 1,
        "SnapshotRetentionLimit": c.backup_retention_days,
        "AtRestEncryptionEnabled": c.at_rest_encryption,
        "TransitEncryptionEnabled": c.transit_encryption,
        "Tags": kv(c.tags),
    }
    if c.kms_key is not None:
        args["KmsKeyId"] = seeder.id(c.kms_key)
    if c.auth_token:
        args["AuthToken"] = PLACEHOLDER_SECRET
    with seeder.step(CACHE, c.name):
        arn = seeder.client("elasticache", c.region).create_replication_group(**args)["ReplicationGroup"]["ARN"]
    seeder.record(CACHE, c.name, c.region, arn)


def project(seeder: Seeder, p: Project) -> None:
    source: dict[str, Any] = {"type": p.source_type}
    if p.source_location is not None:
        source["location"] = p.source_location
    variables = [
        {"name": v.name, "type": v.type, "value": v.value if v.secret is None else v.secret.name} for v in p.environment
    ]
    with seeder.step(BUILD_PROJECT, p.name):
        arn = seeder.client("codebuild", p.region).create_project(
            name=p.name,
            source=source,
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": p.image,
                "computeType": "BUILD_GENERAL1_SMALL",
                "environmentVariables": variables,
            },
            serviceRole=p.service_role,
            tags=[{"key": k, "value": v} for k, v in p.tags.items()],
        )["project"]["arn"]
    seeder.record(BUILD_PROJECT, p.name, p.region, arn)


def elastic_ip(seeder: Seeder, e: ElasticIp) -> None:
    with seeder.step(ELASTIC_IP, e.name):
        allocation = seeder.client("ec2", e.region).allocate_address(
            Domain="vpc", TagSpecifications=ec2_tags("elastic-ip", e.name, e.tags)
        )["AllocationId"]
    seeder.record(ELASTIC_IP, e.name, e.region, allocation)


def distribution(seeder: Seeder, d: Distribution) -> None:
    origins = [_origin(o) for o in d.origins]
    default, *ordered = [_cache_behaviour(b) for b in d.behaviours]
    viewer: dict[str, Any] = {"CloudFrontDefaultCertificate": True}
    config: dict[str, Any] = {
        "CallerReference": d.name,
        "Comment": d.comment,
        "Enabled": d.enabled,
        "Aliases": _cf_list(list(d.aliases)),
        "Origins": _cf_list(origins),
        "DefaultCacheBehavior": default,
        "CacheBehaviors": _cf_list(ordered),
        "Logging": {
            "Enabled": d.logging_bucket is not None,
            "IncludeCookies": False,
            "Bucket": f"{d.logging_bucket.name}.s3.amazonaws.com" if d.logging_bucket else "",
            "Prefix": d.logging_prefix,
        },
    }
    with seeder.step(DISTRIBUTION, d.name):
        if d.certificate is not None:
            # CloudFront takes its certificates from ACM in us-east-1 only.
            viewer = {
                "ACMCertificateArn": seeder.certificate(GLOBAL_REGION, d.certificate),
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": d.minimum_protocol_version,
            }
        config["ViewerCertificate"] = viewer
        if d.web_acl is not None:
            config["WebACLId"] = seeder.id(d.web_acl)
        tags = {"Items": kv({"Name": d.name, **d.tags})}
        arn = seeder.client("cloudfront", GLOBAL_REGION).create_distribution_with_tags(
            DistributionConfigWithTags={"DistributionConfig": config, "Tags": tags}
        )["Distribution"]["ARN"]
    seeder.record(DISTRIBUTION, d.name, "", arn)


def _origin(o: Origin) -> dict[str, Any]:
    origin: dict[str, Any] = {"Id": o.id}
    if o.bucket is not None:
        origin["DomainName"] = f"{o.bucket.name}.s3.amazonaws.com"
        origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}
    else:
        origin["DomainName"] = o.domain
        origin["CustomOriginConfig"] = {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": o.protocol,
            "OriginSslProtocols": _cf_list(list(o.ssl_protocols)),
        }
    return origin


def _cache_behaviour(b: Behaviour) -> dict[str, Any]:
    behaviour: dict[str, Any] = {
        "TargetOriginId": b.origin,
        "ViewerProtocolPolicy": b.viewer_protocol,
        "MinTTL": 0,
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
    }
    if b.path != "*":
        behaviour["PathPattern"] = b.path
    return behaviour


def _cf_list(items: list[Any]) -> dict[str, Any]:
    """CloudFront's list shape: a count, and the items only when there are some."""
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}
