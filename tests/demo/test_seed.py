"""The demo estate seeds into the emulator as declared, and bad estate files fail with file:line."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from pcicheck.demo.emulator import Emulator
from pcicheck.demo.seed import (
    BUCKET,
    HTTP_ROUTE,
    INSTANCE,
    KMS_KEY,
    SECURITY_GROUP,
    VOLUME,
    SeedReport,
    load_estate,
    seed_estate,
)
from pcicheck.errors import InputError
from pcicheck.paths import demo_dir

DEMO_ESTATE = demo_dir() / "aws-estate.yaml"
SEED_BUDGET_SECONDS = 12.0  # the demo must scan "in a few seconds"; seeding is only the start

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
        started = time.perf_counter()
        report = seed_estate(DEMO_ESTATE, emulator.endpoint)
        assert time.perf_counter() - started < SEED_BUDGET_SECONDS

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
    assert 40 <= len(report.resources) <= 90
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
