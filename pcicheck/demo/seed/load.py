"""Read a whole estate file in order: the account, IAM, each region's sections, then CloudFront.

Nothing is called here; every reference is checked once the whole file is declared, so a bad file
never leaves a half-built estate behind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pcicheck.demo.seed import parse_account, parse_network, parse_services
from pcicheck.demo.seed.parser import Fields, Parser
from pcicheck.demo.seed.records import (
    ALARM,
    BUCKET,
    BUILD_PROJECT,
    CACHE,
    DB_INSTANCE,
    DISTRIBUTION,
    ELASTIC_IP,
    HTTP_API,
    IAM_GROUP,
    IAM_POLICY,
    IAM_USER,
    INSTANCE,
    KMS_KEY,
    LOAD_BALANCER,
    METRIC_FILTER,
    PEERING,
    QUEUE,
    REST_API,
    SECRET,
    SNS_TOPIC,
    TABLE,
    TRAIL,
    VOLUME,
    VPC,
    WEB_ACL,
    Estate,
    Region,
)
from pcicheck.yamlfile import LineDict, load_mapping

# A region's sections in the order they are read (which decides the error a file with several
# mistakes reports): (YAML key, kind declared, parse one entry, Region field).
REGION_SECTIONS: tuple[tuple[str, str, Callable[[Parser, str, Fields, str], Any], str], ...] = (
    ("kms_keys", KMS_KEY, parse_account.key, "keys"),
    ("s3_buckets", BUCKET, parse_account.bucket, "buckets"),
    ("vpcs", VPC, parse_network.vpc, "vpcs"),
    ("instances", INSTANCE, parse_network.instance, "instances"),
    ("volumes", VOLUME, parse_network.volume, "volumes"),
    ("rds_instances", DB_INSTANCE, parse_network.database, "databases"),
    ("cloudtrail_trails", TRAIL, parse_services.trail, "trails"),
    ("rest_apis", REST_API, parse_services.rest_api, "rest_apis"),
    ("http_apis", HTTP_API, parse_services.http_api, "http_apis"),
    ("secrets", SECRET, parse_services.secret, "secrets"),
    ("vpc_peerings", PEERING, parse_network.peering, "peerings"),
    ("load_balancers", LOAD_BALANCER, parse_network.load_balancer, "load_balancers"),
    ("web_acls", WEB_ACL, parse_services.web_acl, "web_acls"),
    ("sns_topics", SNS_TOPIC, parse_services.topic, "topics"),
    ("metric_filters", METRIC_FILTER, parse_services.metric_filter, "metric_filters"),
    ("alarms", ALARM, parse_services.alarm, "alarms"),
    ("sqs_queues", QUEUE, parse_services.queue, "queues"),
    ("dynamodb_tables", TABLE, parse_services.table, "tables"),
    ("elasticache_replication_groups", CACHE, parse_services.cache, "caches"),
    ("codebuild_projects", BUILD_PROJECT, parse_services.project, "projects"),
    ("elastic_ips", ELASTIC_IP, parse_services.elastic_ip, "elastic_ips"),
)


def load_estate(path: Path) -> Estate:
    """Parse and check an estate file; nothing is called. Any problem → InputError with file:line."""
    return estate(Parser(path), load_mapping(path))


def estate(parser: Parser, data: LineDict) -> Estate:
    top = Fields(parser, data, "estate", data.line)
    top.text("description", "")
    account = Fields(parser, top.mapping("account"), "account", top.line_of("account"))
    password_policy = parse_account.password_policy(parser, account)
    account_pab = parse_account.public_access_block(parser, account, "s3_public_access_block")
    account.done()

    iam = Fields(parser, top.mapping("iam"), "iam", top.line_of("iam"))
    policies = tuple(parser.each(iam.mapping("policies"), IAM_POLICY, "", parse_account.policy))
    groups = tuple(parser.each(iam.mapping("groups"), IAM_GROUP, "", parse_account.group))
    users = tuple(parser.each(iam.mapping("users"), IAM_USER, "", parse_account.user))
    iam.done()

    regions_map = top.mapping("regions")
    regions = tuple(region(parser, name, body, regions_map.line_of(name)) for name, body in regions_map.items())
    # After the regions: a distribution names web ACLs (and buckets) declared in them.
    distributions = tuple(
        parser.each(top.mapping("cloudfront_distributions"), DISTRIBUTION, "", parse_services.distribution)
    )
    top.done()
    parser.check_refs()
    lines = {(kind, name): d.line for kind, decls in parser.declared.items() for name, d in decls.items()}
    return Estate(parser.path, password_policy, account_pab, policies, groups, users, regions, lines, distributions)


def region(parser: Parser, name: Any, body: Any, line: int) -> Region:
    if not isinstance(name, str) or name.count("-") < 2:
        raise parser.error(f"'{name}' is not an AWS region name", line, fix="e.g. us-east-1")
    f = Fields(parser, body, f"region {name}", line)
    ebs_default = f.flag("ebs_encryption_by_default", None)
    ebs_key = f.ref("ebs_default_kms_key", KMS_KEY, None, name)
    sections = {
        field: tuple(parser.each(f.mapping(key), kind, name, build)) for key, kind, build, field in REGION_SECTIONS
    }
    result = Region(name, line, ebs_default, ebs_key, f.flag("guardduty", False), **sections)
    f.done()
    return result
