"""The demo estate seeds into the emulator as declared, and bad estate files fail with file:line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from pcicheck.demo.emulator import Emulator
from pcicheck.demo.seed import (
    ALARM,
    BUCKET,
    BUILD_PROJECT,
    CACHE,
    DISTRIBUTION,
    ELASTIC_IP,
    HTTP_ROUTE,
    INSTANCE,
    KMS_KEY,
    LOAD_BALANCER,
    QUEUE,
    SECURITY_GROUP,
    SNS_TOPIC,
    TABLE,
    VOLUME,
    WEB_ACL,
    SeedReport,
    load_estate,
    seed_estate,
)
from pcicheck.errors import InputError
from pcicheck.paths import demo_dir

DEMO_ESTATE = demo_dir() / "aws-estate.yaml"

Client = Callable[..., Any]


# The whole module reads one seeded estate: seeding takes seconds, and every test below only
# reads. It runs on the session's emulator with the same reset and fake credentials as `aws`.
@pytest.fixture(scope="module")
def seeded(emulator: Emulator) -> Iterator[tuple[SeedReport, Client]]:
    emulator.reset()
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            mp.delenv(key, raising=False)
        for key, value in emulator.env().items():
            mp.setenv(key, value)
        # How long seeding takes is printed by `pcicheck demo` and bench/aws_collect.py, not judged here.
        report = seed_estate(DEMO_ESTATE, emulator.endpoint)

        def client(name: str, region: str = "us-east-1") -> Any:
            return boto3.client(name, region_name=region, endpoint_url=emulator.endpoint)

        yield report, client
    emulator.reset()


def _tags(items: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items}


def test_report_counts_and_regions(seeded: tuple[SeedReport, Client]) -> None:
    report, _ = seeded
    counts = report.counts
    assert counts[BUCKET] == 6
    assert counts[KMS_KEY] == 6
    assert counts[INSTANCE] == 4
    assert counts[HTTP_ROUTE] == 5
    assert 60 <= len(report.resources) <= 120
    assert set(report.counts_by_region) == {"global", "us-east-1", "eu-west-2"}
    assert report.id(BUCKET, "tillpoint-acme-exports") == "arn:aws:s3:::tillpoint-acme-exports"
    # Access keys are recorded by their tail only.
    assert all(r.id.startswith("…") for r in report.resources if r.kind == "aws.iam.access_key")


def test_tenant_buckets_and_the_cross_tenant_key(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    s3, kms = client("s3"), client("kms")
    acme_key = report.id(KMS_KEY, "tenant-acme")

    def bucket_key(bucket: str) -> str:
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        return str(rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"])

    assert bucket_key("tillpoint-acme-exports") == acme_key
    # The deliberate tenant-isolation violation: globex's exports use acme's key.
    assert bucket_key("tillpoint-globex-exports") == acme_key
    assert _tags(s3.get_bucket_tagging(Bucket="tillpoint-globex-exports")["TagSet"])["tenant"] == "globex"
    key_tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=acme_key)["Tags"]}
    assert key_tags["tenant"] == "acme"

    policy = s3.get_bucket_policy(Bucket="tillpoint-acme-exports")["Policy"]
    assert '"aws:SecureTransport": "false"' in policy
    assert s3.get_bucket_logging(Bucket="tillpoint-acme-exports")["LoggingEnabled"]["TargetBucket"] == (
        "tillpoint-access-logs"
    )
    assert s3.get_bucket_versioning(Bucket="tillpoint-acme-exports")["Status"] == "Enabled"
    with pytest.raises(ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        s3.get_public_access_block(Bucket="tillpoint-marketing-assets")
    assert s3.get_bucket_location(Bucket="tillpoint-eu-reports")["LocationConstraint"] == "eu-west-2"


def test_account_settings(seeded: tuple[SeedReport, Client], emulator: Emulator) -> None:
    _, client = seeded
    policy = client("iam").get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["MaxPasswordAge"] == 90

    s3control = client("s3control")

    # S3 Control prefixes the host with the account id, which a loopback emulator cannot serve.
    def pin(request: Any, **_: Any) -> None:
        url, endpoint = urlsplit(request.url), urlsplit(emulator.endpoint)
        request.url = urlunsplit((url.scheme, endpoint.netloc, url.path, url.query, url.fragment))

    s3control.meta.events.register("before-send.s3-control", pin)
    block = s3control.get_public_access_block(AccountId="123456789012")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4


def test_kms_rotation(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    us, eu = client("kms"), client("kms", "eu-west-2")
    assert us.get_key_rotation_status(KeyId=report.id(KMS_KEY, "tenant-acme"))["KeyRotationEnabled"]
    assert us.get_key_rotation_status(KeyId=report.id(KMS_KEY, "cde-data"))["KeyRotationEnabled"]
    assert not eu.get_key_rotation_status(KeyId=report.id(KMS_KEY, "eu-reporting"))["KeyRotationEnabled"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in us.list_aliases()["Aliases"]}
    assert report.id(KMS_KEY, "cde-data").endswith(aliases["alias/cde-data"])


def test_cde_network(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    ec2 = client("ec2")
    vpc = ec2.describe_vpcs(VpcIds=[report.id("aws.ec2.vpc", "cde")])["Vpcs"][0]
    assert _tags(vpc["Tags"]) == {"Name": "cde", "pci-scope": "cde", "data-classification": "cardholder-data"}

    db_sg = ec2.describe_security_groups(GroupIds=[report.id(SECURITY_GROUP, "cde-db")])["SecurityGroups"][0]
    open_to_world = [
        p
        for p in db_sg["IpPermissions"]
        if p.get("FromPort") == 5432 and any(r["CidrIp"] == "0.0.0.0/0" for r in p.get("IpRanges", []))
    ]
    assert open_to_world, "the CDE database group must be open to 0.0.0.0/0 on 5432"
    app_sg = report.id(SECURITY_GROUP, "cde-app")
    assert any(g["GroupId"] == app_sg for p in db_sg["IpPermissions"] for g in p.get("UserIdGroupPairs", []))

    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    assert default["IpPermissions"] == [] and default["IpPermissionsEgress"] == []

    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NetworkAcls"][0]
    denies = {e["RuleNumber"] for e in acl["Entries"] if e["RuleAction"] == "deny" and not e["Egress"]}
    assert {90, 91} <= denies

    flows = ec2.describe_flow_logs()["FlowLogs"]
    assert [f["ResourceId"] for f in flows] == [vpc["VpcId"]]  # none on the web VPC
    assert flows[0]["LogDestination"] == "arn:aws:s3:::tillpoint-audit-logs"


def test_instances_and_volumes(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    ec2 = client("ec2")
    ids = report.ids(INSTANCE)
    us_ids = [ids["payments-app-a"], ids["payments-app-b"], ids["ops-debug"]]
    found = {
        i["InstanceId"]: i for r in ec2.describe_instances(InstanceIds=us_ids)["Reservations"] for i in r["Instances"]
    }
    assert all(i["MetadataOptions"]["HttpTokens"] == "required" for i in found.values())
    debug = found[ids["ops-debug"]]
    assert debug.get("PublicIpAddress")
    assert [g["GroupId"] for g in debug["SecurityGroups"]] == [report.id(SECURITY_GROUP, "cde-app")]
    assert not found[ids["payments-app-a"]].get("PublicIpAddress")

    volumes = [v for region in ("us-east-1", "eu-west-2") for v in client("ec2", region).describe_volumes()["Volumes"]]
    unencrypted = [v["VolumeId"] for v in volumes if not v["Encrypted"]]
    assert unencrypted == [report.id(VOLUME, "ops-debug-scratch")]
    data = next(v for v in volumes if v["VolumeId"] == report.id(VOLUME, "payments-app-a-data"))
    assert data["KmsKeyId"] == report.id(KMS_KEY, "cde-data")
    assert data["Attachments"][0]["InstanceId"] == ids["payments-app-a"]
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True


def test_web_vpc_is_public(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    ec2 = client("ec2", "eu-west-2")
    subnet = report.id("aws.ec2.subnet", "web-public-a")
    table = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
    routes = table["RouteTables"][0]["Routes"]
    assert any(
        r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId", "").startswith("igw-") for r in routes
    )


def test_card_vault_database(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    db = client("rds").describe_db_instances(DBInstanceIdentifier="card-vault")["DBInstances"][0]
    assert db["Engine"] == "postgres" and db["StorageEncrypted"] is True
    assert db["KmsKeyId"] == report.id(KMS_KEY, "cde-data")
    assert not db.get("PubliclyAccessible")
    assert db["DBSubnetGroup"]["VpcId"] == report.id("aws.ec2.vpc", "cde")
    assert db["VpcSecurityGroups"][0]["VpcSecurityGroupId"] == report.id(SECURITY_GROUP, "cde-db")


def test_trail_and_guardduty(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    ct = client("cloudtrail")
    trail = ct.describe_trails()["trailList"][0]
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert trail["KmsKeyId"] == report.id(KMS_KEY, "audit-logs")
    assert trail["CloudWatchLogsLogGroupArn"].startswith("arn:aws:logs:us-east-1:")
    assert ct.get_trail_status(Name=trail["TrailARN"])["IsLogging"]
    assert len(client("guardduty").list_detectors()["DetectorIds"]) == 1
    assert client("guardduty", "eu-west-2").list_detectors()["DetectorIds"] == []


def test_http_api_jwt_and_open_routes(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    v2 = client("apigatewayv2")
    api_id = report.id("aws.apigatewayv2.api", "payments-api")
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
    assert routes["POST /refunds"]["AuthorizationType"] == "NONE"
    assert routes["GET /health"]["AuthorizationType"] == "NONE"
    payments = routes["POST /payments"]
    assert payments["AuthorizationType"] == "JWT" and payments["AuthorizationScopes"] == ["payments:write"]
    # moto has no GetAuthorizers for HTTP APIs: read the one the route names.
    authorizer = v2.get_authorizer(ApiId=api_id, AuthorizerId=payments["AuthorizerId"])
    assert authorizer["JwtConfiguration"] == {"Issuer": "https://auth.example.com/", "Audience": ["payments"]}
    stage = v2.get_stages(ApiId=api_id)["Items"][0]
    assert stage["StageName"] == "$default" and stage["AccessLogSettings"]["DestinationArn"]


def test_rest_api_token_authorizer_and_open_method(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    ag = client("apigateway")
    api_id = report.id("aws.apigateway.rest_api", "mobile-commerce-api")
    (authorizer,) = ag.get_authorizers(restApiId=api_id)["items"]
    assert authorizer["type"] == "TOKEN"
    methods = {}
    for resource in ag.get_resources(restApiId=api_id)["items"]:
        for verb in resource.get("resourceMethods", {}):
            methods[f"{verb} {resource['path']}"] = ag.get_method(
                restApiId=api_id, resourceId=resource["id"], httpMethod=verb
            )
    assert methods["GET /customers/{id}/orders"]["authorizationType"] == "NONE"
    for key in ("GET /cart", "POST /cart", "POST /checkout", "GET /orders/{id}"):
        assert methods[key]["authorizationType"] == "CUSTOM"
        assert methods[key]["authorizerId"] == authorizer["id"]
    assert [s["stageName"] for s in ag.get_stages(restApiId=api_id)["item"]] == ["prod"]


def test_secrets_and_iam_users(seeded: tuple[SeedReport, Client]) -> None:
    _, client = seeded
    master = client("secretsmanager").describe_secret(SecretId="card-vault/master-credentials")
    assert master["RotationEnabled"] and master["RotationRules"]["AutomaticallyAfterDays"] == 30
    partner = client("secretsmanager", "eu-west-2").describe_secret(SecretId="partner/legacy-acquirer-api-key")
    assert not partner.get("RotationEnabled")

    iam = client("iam")
    assert iam.get_login_profile(UserName="bob.support")["LoginProfile"]
    assert iam.list_mfa_devices(UserName="bob.support")["MFADevices"] == []
    assert len(iam.list_mfa_devices(UserName="alice.ops")["MFADevices"]) == 1
    assert len(iam.list_access_keys(UserName="ci-deployer")["AccessKeyMetadata"]) == 1
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="ci-deployer")["Groups"]] == ["deployers"]


def test_web_acls_guard_the_payments_edge_and_the_cdn(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    waf = client("wafv2")
    edge = report.id(WEB_ACL, "payments-edge-waf")
    protected = waf.get_web_acl_for_resource(ResourceArn=report.id(LOAD_BALANCER, "payments-edge"))
    assert protected["WebACL"]["ARN"] == edge
    # The deliberate violation: the edge ACL has no logging configuration.
    with pytest.raises(ClientError, match="WAFNonexistentItemException"):
        waf.get_logging_configuration(ResourceArn=edge)
    cdn = report.id(WEB_ACL, "storefront-cdn-waf")
    assert ":global/webacl/storefront-cdn-waf/" in cdn
    logging = waf.get_logging_configuration(ResourceArn=cdn)["LoggingConfiguration"]
    assert logging["LogDestinationConfigs"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-storefront-cdn"
    ]
    assert [f["SingleHeader"]["Name"] for f in logging["RedactedFields"]] == ["authorization", "cookie"]
    (group,) = client("logs").describe_log_groups(logGroupNamePrefix="aws-waf-logs-")["logGroups"]
    assert group["kmsKeyId"] == report.id(KMS_KEY, "audit-logs")


def test_root_usage_alarm_chain(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    (metric_filter,) = client("logs").describe_metric_filters(logGroupName="tillpoint/cloudtrail")["metricFilters"]
    assert '$.userIdentity.type = "Root"' in metric_filter["filterPattern"]
    transformation = metric_filter["metricTransformations"][0]
    (alarm,) = client("cloudwatch").describe_alarms(AlarmNames=["root-usage-alarm"])["MetricAlarms"]
    assert alarm["AlarmArn"] == report.id(ALARM, "root-usage-alarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        transformation["metricNamespace"],
        transformation["metricName"],
    )
    topic = report.id(SNS_TOPIC, "security-alerts")
    assert alarm["ActionsEnabled"] and alarm["AlarmActions"] == [topic]
    sns = client("sns")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == report.id(KMS_KEY, "audit-logs")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    # Confirmed: an ARN, not PendingConfirmation.
    assert subscription["Protocol"] == "email" and subscription["SubscriptionArn"].startswith(f"{topic}:")


def test_queue_table_and_cache(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    cde_key = report.id(KMS_KEY, "cde-data")
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName="payment-events")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["QueueArn"] == report.id(QUEUE, "payment-events")
    assert attributes["KmsMasterKeyId"] == cde_key
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"]["pci-scope"] == "cde"

    dynamodb = client("dynamodb")
    table = dynamodb.describe_table(TableName="payment-idempotency")["Table"]
    assert table["TableArn"] == report.id(TABLE, "payment-idempotency")
    assert table["KeySchema"] == [{"AttributeName": "idempotency_key", "KeyType": "HASH"}]
    assert (table["SSEDescription"]["SSEType"], table["SSEDescription"]["KMSMasterKeyArn"]) == ("KMS", cde_key)
    backups = dynamodb.describe_continuous_backups(TableName="payment-idempotency")["ContinuousBackupsDescription"]
    # The deliberate violation: no point-in-time recovery.
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"

    (group,) = client("elasticache").describe_replication_groups(ReplicationGroupId="payments-sessions")[
        "ReplicationGroups"
    ]
    assert group["ARN"] == report.id(CACHE, "payments-sessions")
    # (moto lists one member cluster whatever NumCacheClusters says, so the count is not checked.)
    assert (group["SnapshotRetentionLimit"], group["AutomaticFailover"]) == (15, "enabled")
    assert group["AtRestEncryptionEnabled"] and group["KmsKeyId"] == cde_key
    assert group["TransitEncryptionEnabled"] and group["AuthTokenEnabled"]


def test_build_project_and_stray_elastic_ip(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    (project,) = client("codebuild", "eu-west-2").batch_get_projects(names=["storefront-build"])["projects"]
    assert project["arn"] == report.id(BUILD_PROJECT, "storefront-build")
    assert project["source"] == {"type": "GITHUB", "location": "https://github.com/tillpoint/storefront.git"}
    variables = {v["name"]: v for v in project["environment"]["environmentVariables"]}
    assert {n: v["type"] for n, v in variables.items()} == {
        "DEPLOY_BUCKET": "PLAINTEXT",
        "SENTRY_DSN": "PARAMETER_STORE",
        "AWS_ACCESS_KEY_ID": "PLAINTEXT",
        "AWS_SECRET_ACCESS_KEY": "PLAINTEXT",
    }
    # The deliberate violation carries the module's placeholder, nothing that could be a key.
    assert variables["AWS_SECRET_ACCESS_KEY"]["value"] == "demo-not-a-secret"
    assert variables["SENTRY_DSN"]["value"] == "/storefront/sentry-dsn"

    (address,) = client("ec2", "eu-west-2").describe_addresses()["Addresses"]
    assert address["AllocationId"] == report.id(ELASTIC_IP, "legacy-sftp-gateway")
    assert not address.get("AssociationId") and not address.get("InstanceId")
    assert _tags(address["Tags"])["Name"] == "legacy-sftp-gateway"
    assert client("ec2").describe_addresses()["Addresses"] == []


def test_storefront_distribution(seeded: tuple[SeedReport, Client]) -> None:
    report, client = seeded
    cf = client("cloudfront")
    (summary,) = cf.list_distributions()["DistributionList"]["Items"]
    assert summary["ARN"] == report.id(DISTRIBUTION, "storefront-cdn")
    config = cf.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    assert config["Aliases"]["Items"] == ["shop.tillpoint.example"]
    assert config["WebACLId"] == report.id(WEB_ACL, "storefront-cdn-waf")
    assert config["Logging"]["Enabled"] and config["Logging"]["Bucket"] == "tillpoint-access-logs.s3.amazonaws.com"
    viewer = config["ViewerCertificate"]
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["ACMCertificateArn"] == report.id("aws.acm.certificate", "us-east-1/shop.tillpoint.example")
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["storefront"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origins["storefront"]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert origins["assets"]["DomainName"] == "tillpoint-marketing-assets.s3.amazonaws.com"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (assets,) = config["CacheBehaviors"]["Items"]
    # The deliberate violation: static files over plain HTTP too.
    assert (assets["PathPattern"], assets["TargetOriginId"], assets["ViewerProtocolPolicy"]) == (
        "/assets/*",
        "assets",
        "allow-all",
    )
    tags = cf.list_tags_for_resource(Resource=summary["ARN"])["Tags"]["Items"]
    assert _tags(tags) == {"Name": "storefront-cdn"}


# --- bad estate files: parsed and checked before any call, so no emulator is needed --------

UNREACHABLE = "http://127.0.0.1:9"  # nothing may be called: a call here would fail differently


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text("regions:\n  us-east-1:\n    kms_keys: {a: [1, 2}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        seed_estate(path, UNREACHABLE)
    assert info.value.path == str(path)
    assert info.value.line == 3
    assert "invalid YAML" in info.value.message


def test_unknown_reference_names_it(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(
        "regions:\n"
        "  us-east-1:\n"
        "    kms_keys:\n"
        "      tenant-acme: {rotation: true}\n"
        "    s3_buckets:\n"
        "      tillpoint-globex-exports:\n"
        "        encryption: {kms_key: tenant-acmee}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        seed_estate(path, UNREACHABLE)
    err = info.value
    assert err.path == str(path) and err.line == 7
    assert "'tenant-acmee'" in err.message and "tillpoint-globex-exports" in err.message
    assert err.fix is not None and "tenant-acme" in err.fix


def test_cross_region_key_and_unknown_field_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(
        "regions:\n"
        "  eu-west-2:\n"
        "    kms_keys: {eu: {}}\n"
        "  us-east-1:\n"
        "    s3_buckets:\n"
        "      some-bucket: {encryption: {kms_key: eu}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="is in eu-west-2, not us-east-1"):
        load_estate(path)
    path.write_text("regions:\n  us-east-1:\n    kms_keys:\n      k: {rotaton: true}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'rotaton'") as info:
        load_estate(path)
    assert info.value.line == 4


def test_demo_estate_parses_and_marks_its_violations() -> None:
    load_estate(DEMO_ESTATE)
    text = DEMO_ESTATE.read_text(encoding="utf-8")
    assert text.count("# violation:") >= 10


_REGION = "regions:\n  eu-west-2:\n"
_US = "regions:\n  us-east-1:\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # A CLOUDFRONT web ACL outside us-east-1.
        (_REGION + "    web_acls:\n      cdn:\n        scope: CLOUDFRONT\n", 5, "live in us-east-1"),
        # WAF log groups must be named aws-waf-logs-…
        (
            _US + "    web_acls:\n      edge:\n        logging: {log_group: waf}\n",
            5,
            "aws-waf-logs-",
        ),
        # An alarm on a metric filter nobody declared.
        (
            _US + "    alarms:\n      root-usage:\n        metric_filter: root-usag\n",
            5,
            "unknown logs metric filter 'root-usag'",
        ),
        # A subscription protocol SNS does not have.
        (
            _US
            + "    sns_topics:\n      alerts:\n        subscriptions:\n          - {protocol: pager, endpoint: x}\n",
            6,
            "expected one of",
        ),
        # SQS encryption that is neither sqs, none nor a key.
        (_US + "    sqs_queues:\n      events: {encryption: yes-please}\n", 4, "expected sqs, none"),
        (_US + "    dynamodb_tables:\n      t: {pitr: true}\n", 4, "unknown field 'pitr'"),
        (
            _US + "    elasticache_replication_groups:\n      c: {auth_token: true}\n",
            4,
            "auth_token needs transit_encryption",
        ),
        # A CodeBuild variable that is both a secret reference and a parameter.
        (
            _US + "    codebuild_projects:\n      b:\n        service_role: arn:aws:iam::1:role/r\n"
            "        environment:\n          TOKEN: {secret: s, parameter: /p}\n",
            7,
            "give a plain value",
        ),
        (_US + "    elastic_ips:\n      ip: {instance: i}\n", 4, "unknown field 'instance'"),
        # A behaviour pointing at an origin the distribution does not have.
        (
            "cloudfront_distributions:\n  cdn:\n    origins: {web: {domain: example.com}}\n"
            "    behaviours:\n      '*': {origin: wbe, viewer_protocol: https-only}\n",
            5,
            "unknown origin 'wbe'",
        ),
        # A REGIONAL web ACL on a distribution.
        (
            _US + "    web_acls: {edge: {}}\n"
            "cloudfront_distributions:\n  cdn:\n    web_acl: edge\n"
            "    origins: {web: {domain: example.com}}\n"
            "    behaviours: {'*': {origin: web, viewer_protocol: https-only}}\n",
            6,
            "is REGIONAL, not CLOUDFRONT",
        ),
    ],
)
def test_new_kinds_reject_bad_input_with_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        seed_estate(path, UNREACHABLE)
    assert (info.value.path, info.value.line) == (str(path), line)
    assert message in info.value.message
