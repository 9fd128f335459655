"""Build an AWS estate from a declarative YAML file, with real boto3 calls against an endpoint.

The demo and the tests describe an estate once, in YAML with logical names, and this module
creates it (normally in the moto emulator). References use logical names: a bucket says
`kms_key: tenant-acme`, an instance `subnet: cde-private-a`, and the seeder resolves them to the
ids AWS returned. The whole file is parsed and every reference checked *before* the first call,
so a bad file never leaves a half-built estate behind.

Shape of the file (every section optional; unknown fields are errors, to catch typos)::

    description: free text
    account:
      password_policy: {minimum_length, require_symbols, require_numbers, require_uppercase,
                        require_lowercase, max_age_days, reuse_prevention, allow_users_to_change}
      s3_public_access_block: true | false | {block_public_acls, ignore_public_acls,
                                              block_public_policy, restrict_public_buckets}
    iam:
      policies: {NAME: {description, document}}
      groups:   {NAME: {policies: [policy NAME or ARN]}}
      users:    {NAME: {console_password, mfa, access_keys (count), policies, groups, tags}}
    regions:
      REGION:
        ebs_encryption_by_default: bool      # applied last: volumes declared unencrypted stay so,
        ebs_default_kms_key: KEY             # as volumes made before the switch do in AWS
        guardduty: bool
        kms_keys:  {NAME: {description, tags, aliases, rotation, rotation_period_days}}
        s3_buckets: {NAME: {tags, encryption: AES256 | none | {kms_key, bucket_key},
                            public_access_block, policy: {deny_insecure_transport, statements},
                            versioning, logging: {target: BUCKET, prefix}}}
        vpcs:
          NAME:
            cidr, tags, flow_logs: {bucket: BUCKET | log_group + role_arn, traffic_type}
            restrict_default_security_group: bool     # remove every rule of the VPC's default group
            network_acl_entries: [{rule, egress, protocol, ports, cidr, action}]
            subnets: {NAME: {cidr, az, tags, public, map_public_ip_on_launch}}
            security_groups: {NAME: {description, tags,
                                     ingress: [{protocol, ports, cidrs, groups, description}]}}
        instances: {NAME: {subnet, security_groups, instance_type, image, public_ip,
                           http_tokens, root_volume: {encrypted, kms_key, size_gib}, tags}}
        volumes:   {NAME: {size_gib, encrypted, kms_key, attach_to, device, az, tags}}
        rds_instances: {NAME: {engine, engine_version, instance_class, storage_gib, encrypted,
                               kms_key, publicly_accessible, subnets, security_groups,
                               backup_retention_days, deletion_protection, iam_auth,
                               ca_certificate, tags}}
        cloudtrail_trails: {NAME: {bucket, multi_region, log_file_validation, kms_key,
                                   include_global_service_events, logging,
                                   cloudwatch_logs: {log_group, role_arn}, tags}}
        rest_apis: {NAME: {tags, authorizers: {NAME: {type, lambda_arn, identity_source}},
                           methods: {"VERB /path": {authorizer | authorization, api_key_required}},
                           stages: {NAME: {description, access_log_group}}}}
        http_apis: {NAME: {tags, authorizers: {NAME: {issuer, audience, identity_source}},
                           routes: {"VERB /path": {authorizer | authorization, scopes}},
                           stages: {NAME: {auto_deploy, access_log_group}}}}
        secrets: {NAME: {description, kms_key, tags, rotation_days, rotation_lambda_arn}}
        vpc_peerings: {NAME: {requester: VPC, accepter: VPC,
                              routes: [VPC]}}   # VPCs whose main route table routes the other's CIDR
        load_balancers: {NAME: {scheme: internet-facing | internal, subnets, security_groups, tags,
                                listeners: [{port, protocol: HTTP | HTTPS, certificate: DOMAIN,
                                             action: fixed-response | redirect-https}]}}
        web_acls: {NAME: {scope: REGIONAL | CLOUDFRONT (us-east-1 only), default_action: allow | block,
                          protects: [LOAD_BALANCER], tags,
                          logging: {log_group: aws-waf-logs-NAME, kms_key, redact_headers: [HEADER]}}}
        sns_topics: {NAME: {kms_key, tags, subscriptions: [{protocol: email | https | sqs…, endpoint}]}}
        metric_filters: {NAME: {log_group, pattern, metric: {namespace, name}}}
        alarms: {NAME: {metric_filter: FILTER, notify: [TOPIC], actions_enabled, threshold}}
        sqs_queues: {NAME: {encryption: sqs | none | {kms_key: KEY}, tags}}
        dynamodb_tables: {NAME: {key, kms_key, point_in_time_recovery, tags}}   # no kms_key: AWS-owned key
        elasticache_replication_groups: {NAME: {engine: redis | valkey, node_type, nodes,
                                                backup_retention_days, at_rest_encryption, kms_key,
                                                transit_encryption, auth_token: bool, tags}}
        codebuild_projects: {NAME: {source: {type, location}, image, service_role: ARN, tags,
                                    environment: {VAR: "value" | {secret: SECRET} | {parameter: /NAME}}}}
        elastic_ips: {NAME: {tags}}                    # allocated, associated with nothing
    cloudfront_distributions:                          # global, after the regions
      NAME: {comment, enabled, aliases, certificate: DOMAIN, minimum_protocol_version, web_acl: ACL,
             logging: {bucket: BUCKET, prefix}, tags,
             origins: {ID: {domain, protocol: https-only | match-viewer | http-only, ssl_protocols}
                           | {s3_bucket: BUCKET}},
             behaviours: {"*" | PATH: {origin: ID, viewer_protocol: allow-all | redirect-to-https |
                                                                    https-only}}}

Logical names are unique per kind across the whole file (S3 bucket names are the real names).
Load balancers are application load balancers; an HTTPS listener gets an ACM certificate requested
for its `certificate` domain, and no targets (`fixed-response` answers 200, `redirect-https` sends
HTTP to HTTPS).
EC2 resources get a `Name` tag with their logical name unless their tags give one. CloudWatch
log groups named by `log_group`/`access_log_group` are created in the resource's region, by
the first entry that names them (a WAF ACL's logging `kms_key` encrypts the group it creates).
An alarm watches the metric its `metric_filter` publishes (Sum over 5 minutes, at or above
`threshold`). A distribution's `certificate` is requested from ACM in us-east-1, where CloudFront
reads certificates; without one it uses the default *.cloudfront.net certificate. Credential-like
values (a cache's AUTH token) are the module's placeholder, never taken from the file; a CodeBuild
PLAINTEXT variable takes its value from the file, so give only obvious placeholders there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.collect.aws.endpoint import pin_s3control_host
from pcicheck.errors import InputError, PcicheckError
from pcicheck.yamlfile import LineDict, load_mapping

# moto ships this AMI in every region; real AWS accounts need `image:` set per instance.
DEFAULT_IMAGE = "ami-12c6146b"
# Placeholders only: the estate must never carry a real credential.
PLACEHOLDER_SECRET = "demo-not-a-secret"
# Long and mixed so it satisfies any password policy the estate declares (AWS checks at creation).
PLACEHOLDER_PASSWORD = "Demo-not-a-secret-0000-Placeholder!"
GLOBAL_REGION = "us-east-1"
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
    '"method":"$context.httpMethod","path":"$context.path","status":"$context.status"}'
)  # where IAM, S3's bucket listing and S3 Control are called

KMS_KEY = "aws.kms.key"
KMS_ALIAS = "aws.kms.alias"
BUCKET = "aws.s3.bucket"
IAM_POLICY = "aws.iam.policy"
IAM_GROUP = "aws.iam.group"
IAM_USER = "aws.iam.user"
ACCESS_KEY = "aws.iam.access_key"
MFA_DEVICE = "aws.iam.mfa_device"
VPC = "aws.ec2.vpc"
SUBNET = "aws.ec2.subnet"
SECURITY_GROUP = "aws.ec2.security_group"
INTERNET_GATEWAY = "aws.ec2.internet_gateway"
ROUTE_TABLE = "aws.ec2.route_table"
FLOW_LOG = "aws.ec2.flow_log"
NACL_ENTRY = "aws.ec2.network_acl_entry"
INSTANCE = "aws.ec2.instance"
VOLUME = "aws.ec2.volume"
DB_SUBNET_GROUP = "aws.rds.db_subnet_group"
DB_INSTANCE = "aws.rds.instance"
TRAIL = "aws.cloudtrail.trail"
REST_API = "aws.apigateway.rest_api"
REST_AUTHORIZER = "aws.apigateway.authorizer"
REST_METHOD = "aws.apigateway.method"
REST_STAGE = "aws.apigateway.stage"
HTTP_API = "aws.apigatewayv2.api"
HTTP_AUTHORIZER = "aws.apigatewayv2.authorizer"
HTTP_ROUTE = "aws.apigatewayv2.route"
HTTP_STAGE = "aws.apigatewayv2.stage"
SECRET = "aws.secretsmanager.secret"
DETECTOR = "aws.guardduty.detector"
LOG_GROUP = "aws.logs.log_group"
PEERING = "aws.ec2.vpc_peering_connection"
LOAD_BALANCER = "aws.elbv2.load_balancer"
CERTIFICATE = "aws.acm.certificate"
WEB_ACL = "aws.wafv2.web_acl"
SNS_TOPIC = "aws.sns.topic"
METRIC_FILTER = "aws.logs.metric_filter"
ALARM = "aws.cloudwatch.alarm"
QUEUE = "aws.sqs.queue"
TABLE = "aws.dynamodb.table"
CACHE = "aws.elasticache.replication_group"
BUILD_PROJECT = "aws.codebuild.project"
ELASTIC_IP = "aws.ec2.address"
DISTRIBUTION = "aws.cloudfront.distribution"


# ---------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class SeededResource:
    kind: str  # a pcicheck resource type where one exists, e.g. "aws.s3.bucket"
    name: str  # the logical name from the estate file
    region: str  # "" for global (IAM)
    id: str  # what AWS returned: ARN, id, or name


@dataclass(frozen=True)
class SeedReport:
    path: str
    endpoint_url: str
    resources: tuple[SeededResource, ...]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.kind] = out.get(r.kind, 0) + 1
        return dict(sorted(out.items()))

    @property
    def counts_by_region(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources:
            per = out.setdefault(r.region or "global", {})
            per[r.kind] = per.get(r.kind, 0) + 1
        return {region: dict(sorted(kinds.items())) for region, kinds in sorted(out.items())}

    def ids(self, kind: str) -> dict[str, str]:
        """Logical name → real id/ARN for one kind."""
        return {r.name: r.id for r in self.resources if r.kind == kind}

    def id(self, kind: str, name: str) -> str:
        for r in self.resources:
            if r.kind == kind and r.name == name:
                return r.id
        raise KeyError(f"{kind} {name!r} was not seeded")


# ---------------------------------------------------------------------------------------------
# Parsed estate (every field validated, every reference resolved to a declared logical name)


@dataclass(frozen=True)
class _Ref:
    kind: str
    name: str
    line: int


@dataclass(frozen=True)
class _Rule:
    protocol: str  # AWS form: "tcp" | "udp" | "icmp" | "-1"
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...]
    groups: tuple[_Ref, ...]
    description: str | None


@dataclass(frozen=True)
class _NaclEntry:
    rule: int
    egress: bool
    protocol: str  # AWS form: "-1" | "6" | "17" | "1"
    from_port: int | None
    to_port: int | None
    cidr: str
    action: str


@dataclass(frozen=True)
class _Policy:
    name: str
    line: int
    description: str
    document: dict[str, Any]


@dataclass(frozen=True)
class _Group:
    name: str
    line: int
    policies: tuple[_Ref | str, ...]  # str: an ARN given verbatim


@dataclass(frozen=True)
class _User:
    name: str
    line: int
    console_password: bool
    mfa: bool
    access_keys: int
    policies: tuple[_Ref | str, ...]
    groups: tuple[_Ref, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class _Key:
    name: str
    line: int
    region: str
    description: str
    tags: dict[str, str]
    aliases: tuple[str, ...]
    rotation: bool
    rotation_period_days: int | None


@dataclass(frozen=True)
class _Bucket:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    encryption: str | None  # "AES256" | "aws:kms" | None (no default encryption)
    kms_key: _Ref | None
    bucket_key: bool
    public_access_block: dict[str, bool] | None
    deny_insecure_transport: bool
    statements: tuple[dict[str, Any], ...]
    versioning: bool
    logging_target: _Ref | None
    logging_prefix: str


@dataclass(frozen=True)
class _Subnet:
    name: str
    line: int
    vpc: str
    cidr: str
    az: str
    tags: dict[str, str]
    public: bool
    map_public_ip_on_launch: bool


@dataclass(frozen=True)
class _SecurityGroup:
    name: str
    line: int
    vpc: str
    description: str
    tags: dict[str, str]
    ingress: tuple[_Rule, ...]


@dataclass(frozen=True)
class _Vpc:
    name: str
    line: int
    region: str
    cidr: str
    tags: dict[str, str]
    flow_logs_bucket: _Ref | None
    flow_logs_log_group: str | None
    flow_logs_role_arn: str | None
    flow_logs_traffic: str
    restrict_default_security_group: bool
    nacl_entries: tuple[_NaclEntry, ...]
    subnets: tuple[_Subnet, ...]
    security_groups: tuple[_SecurityGroup, ...]


@dataclass(frozen=True)
class _RootVolume:
    encrypted: bool
    kms_key: _Ref | None
    size_gib: int | None


@dataclass(frozen=True)
class _Instance:
    name: str
    line: int
    region: str
    subnet: _Ref
    security_groups: tuple[_Ref, ...]
    instance_type: str
    image: str
    public_ip: bool | None  # None: the subnet's MapPublicIpOnLaunch decides
    http_tokens: str
    root_volume: _RootVolume | None  # None: as the AMI and the region's defaults make it
    tags: dict[str, str]


@dataclass(frozen=True)
class _Volume:
    name: str
    line: int
    region: str
    size_gib: int
    encrypted: bool
    kms_key: _Ref | None
    attach_to: _Ref | None
    device: str
    az: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class _Database:
    name: str
    line: int
    region: str
    engine: str
    engine_version: str | None
    instance_class: str
    storage_gib: int
    encrypted: bool
    kms_key: _Ref | None
    publicly_accessible: bool
    subnets: tuple[_Ref, ...]
    security_groups: tuple[_Ref, ...]
    backup_retention_days: int | None
    deletion_protection: bool
    iam_auth: bool
    ca_certificate: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class _Trail:
    name: str
    line: int
    region: str
    bucket: _Ref
    multi_region: bool
    log_file_validation: bool
    kms_key: _Ref | None
    include_global_service_events: bool
    logging: bool
    cloudwatch_log_group: str | None
    cloudwatch_role_arn: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class _Operation:
    """A REST method ("GET /cart") or an HTTP API route ("POST /refunds")."""

    key: str
    line: int
    authorization: str  # REST: NONE | AWS_IAM | CUSTOM; HTTP: NONE | AWS_IAM | JWT
    authorizer: str | None  # the API-local authorizer name
    scopes: tuple[str, ...]
    api_key_required: bool


@dataclass(frozen=True)
class _RestAuthorizer:
    name: str
    type: str
    lambda_arn: str
    identity_source: str


@dataclass(frozen=True)
class _HttpAuthorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: tuple[str, ...]


@dataclass(frozen=True)
class _Stage:
    name: str
    description: str  # REST only
    auto_deploy: bool  # HTTP only
    access_log_group: str | None


@dataclass(frozen=True)
class _RestApi:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    authorizers: tuple[_RestAuthorizer, ...]
    methods: tuple[_Operation, ...]
    stages: tuple[_Stage, ...]


@dataclass(frozen=True)
class _HttpApi:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    authorizers: tuple[_HttpAuthorizer, ...]
    routes: tuple[_Operation, ...]
    stages: tuple[_Stage, ...]


@dataclass(frozen=True)
class _Secret:
    name: str
    line: int
    region: str
    description: str
    kms_key: _Ref | None
    tags: dict[str, str]
    rotation_days: int | None
    rotation_lambda_arn: str | None


@dataclass(frozen=True)
class _Peering:
    name: str
    line: int
    region: str
    requester: _Ref
    accepter: _Ref
    routes: tuple[_Ref, ...]  # VPCs whose main route table sends the other VPC's CIDR to the peering


@dataclass(frozen=True)
class _Listener:
    port: int
    protocol: str  # HTTP | HTTPS
    certificate: str | None  # the domain an ACM certificate is requested for (HTTPS)
    action: str  # fixed-response | redirect-https


@dataclass(frozen=True)
class _LoadBalancer:
    name: str
    line: int
    region: str
    scheme: str
    subnets: tuple[_Ref, ...]
    security_groups: tuple[_Ref, ...]
    listeners: tuple[_Listener, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class _WebAcl:
    name: str
    line: int
    region: str
    scope: str  # REGIONAL | CLOUDFRONT
    default_action: str  # allow | block
    protects: tuple[_Ref, ...]  # load balancers of the region (REGIONAL only)
    log_group: str | None  # CloudWatch Logs destination, named aws-waf-logs-*
    log_kms_key: _Ref | None  # encrypts that log group (when this ACL creates it)
    redact: tuple[str, ...]  # header names kept out of the logs
    tags: dict[str, str]


@dataclass(frozen=True)
class _Topic:
    name: str
    line: int
    region: str
    kms_key: _Ref | None
    subscriptions: tuple[tuple[str, str], ...]  # (protocol, endpoint)
    tags: dict[str, str]


@dataclass(frozen=True)
class _MetricFilter:
    name: str
    line: int
    region: str
    log_group: str
    pattern: str
    namespace: str
    metric: str


@dataclass(frozen=True)
class _Alarm:
    name: str
    line: int
    region: str
    metric_filter: _Ref  # the alarm watches the metric this filter publishes
    notify: tuple[_Ref, ...]  # SNS topics
    actions_enabled: bool
    threshold: int


@dataclass(frozen=True)
class _Queue:
    name: str
    line: int
    region: str
    encryption: str  # sqs | kms | none
    kms_key: _Ref | None
    tags: dict[str, str]


@dataclass(frozen=True)
class _Table:
    name: str
    line: int
    region: str
    key: str  # the partition key attribute (a string)
    kms_key: _Ref | None  # None: the AWS-owned key
    pitr: bool
    tags: dict[str, str]


@dataclass(frozen=True)
class _Cache:
    name: str
    line: int
    region: str
    engine: str
    node_type: str
    nodes: int
    backup_retention_days: int
    at_rest_encryption: bool
    kms_key: _Ref | None
    transit_encryption: bool
    auth_token: bool
    tags: dict[str, str]


@dataclass(frozen=True)
class _EnvVar:
    name: str
    type: str  # PLAINTEXT | SECRETS_MANAGER | PARAMETER_STORE
    value: str | None  # PLAINTEXT and PARAMETER_STORE
    secret: _Ref | None  # SECRETS_MANAGER


@dataclass(frozen=True)
class _Project:
    name: str
    line: int
    region: str
    source_type: str
    source_location: str | None
    image: str
    service_role: str
    environment: tuple[_EnvVar, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class _ElasticIp:
    name: str
    line: int
    region: str
    tags: dict[str, str]


@dataclass(frozen=True)
class _Origin:
    id: str
    domain: str | None  # a custom origin's host name
    bucket: _Ref | None  # an S3 origin
    protocol: str  # custom origins: https-only | match-viewer | http-only
    ssl_protocols: tuple[str, ...]


@dataclass(frozen=True)
class _Behaviour:
    path: str  # "*" is the default behaviour
    origin: str
    viewer_protocol: str


@dataclass(frozen=True)
class _Distribution:
    name: str
    line: int
    comment: str
    enabled: bool
    aliases: tuple[str, ...]
    certificate: str | None  # an ACM certificate (us-east-1) is requested for this domain
    minimum_protocol_version: str
    web_acl: _Ref | None
    logging_bucket: _Ref | None
    logging_prefix: str
    origins: tuple[_Origin, ...]
    behaviours: tuple[_Behaviour, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class _Region:
    name: str
    line: int
    ebs_encryption_by_default: bool | None
    ebs_default_kms_key: _Ref | None
    guardduty: bool
    keys: tuple[_Key, ...]
    buckets: tuple[_Bucket, ...]
    vpcs: tuple[_Vpc, ...]
    instances: tuple[_Instance, ...]
    volumes: tuple[_Volume, ...]
    databases: tuple[_Database, ...]
    trails: tuple[_Trail, ...]
    rest_apis: tuple[_RestApi, ...]
    http_apis: tuple[_HttpApi, ...]
    secrets: tuple[_Secret, ...]
    peerings: tuple[_Peering, ...] = ()
    load_balancers: tuple[_LoadBalancer, ...] = ()
    web_acls: tuple[_WebAcl, ...] = ()
    topics: tuple[_Topic, ...] = ()
    metric_filters: tuple[_MetricFilter, ...] = ()
    alarms: tuple[_Alarm, ...] = ()
    queues: tuple[_Queue, ...] = ()
    tables: tuple[_Table, ...] = ()
    caches: tuple[_Cache, ...] = ()
    projects: tuple[_Project, ...] = ()
    elastic_ips: tuple[_ElasticIp, ...] = ()


@dataclass(frozen=True)
class _Estate:
    path: str
    password_policy: dict[str, Any] | None
    account_public_access_block: dict[str, bool] | None
    policies: tuple[_Policy, ...]
    groups: tuple[_Group, ...]
    users: tuple[_User, ...]
    regions: tuple[_Region, ...]
    lines: dict[tuple[str, str], int]  # (kind, logical name) → line, for errors while seeding
    distributions: tuple[_Distribution, ...] = ()


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class _Decl:
    """Where a logical name was declared: what references to it are checked against."""

    region: str
    vpc: str | None
    line: int


_MISSING: Any = object()
_PAB_FIELDS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
_PASSWORD_FIELDS = {
    "minimum_length": ("MinimumPasswordLength", int),
    "require_symbols": ("RequireSymbols", bool),
    "require_numbers": ("RequireNumbers", bool),
    "require_uppercase": ("RequireUppercaseCharacters", bool),
    "require_lowercase": ("RequireLowercaseCharacters", bool),
    "max_age_days": ("MaxPasswordAge", int),
    "reuse_prevention": ("PasswordReusePrevention", int),
    "allow_users_to_change": ("AllowUsersToChangePassword", bool),
}
_SG_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1", "-1": "-1"}
_NACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1", "-1": "-1"}
_HTTP_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
_SNS_PROTOCOLS = {"email", "email-json", "http", "https", "sqs", "lambda", "sms"}
_BUILD_SOURCES = {"GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "CODECOMMIT", "S3", "NO_SOURCE"}
_VIEWER_PROTOCOLS = {"allow-all", "redirect-to-https", "https-only"}
_ORIGIN_PROTOCOLS = {"https-only", "match-viewer", "http-only"}
_ORIGIN_SSL = {"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"}


class _Fields:
    """Typed, line-aware reads of one YAML mapping; `done()` rejects fields nobody read."""

    def __init__(self, parser: _Parser, data: Any, what: str, line: int) -> None:
        if data is None:
            data = LineDict()
            data.line, data.key_lines = line, {}
        if not isinstance(data, LineDict):
            raise parser.error(f"{what} must be a mapping", line)
        self.p = parser
        self.data = data
        self.what = what
        self.seen: set[str] = set()

    @property
    def line(self) -> int:
        return self.data.line

    def line_of(self, key: str) -> int:
        return self.data.line_of(key)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            if default is _MISSING:
                raise self.p.error(f"{self.what}: field '{key}' is required", self.line)
            return default
        return self.data[key]

    def _typed(self, key: str, default: Any, types: tuple[type, ...], noun: str) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        # bool is an int in Python; a `true` where a number belongs is still a mistake.
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise self.p.error(f"{self.what}: field '{key}' must be {noun}", self.line_of(key))
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (str,), "a string")

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (bool,), "true or false")

    def number(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, default, (int,), "a whole number")

    def choice(self, key: str, options: set[str], default: Any = _MISSING) -> Any:
        value = self.text(key, default)
        if value is not default and value not in options:
            raise self.p.error(
                f"{self.what}: field '{key}' is {value!r}, expected one of {', '.join(sorted(options))}",
                self.line_of(key),
            )
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.p.error(f"{self.what}: field '{key}' must be a list of strings", self.line_of(key))
        return tuple(value)

    def mapping(self, key: str) -> LineDict:
        value = self.raw(key, None)
        if value is None:
            empty = LineDict()
            empty.line, empty.key_lines = self.line_of(key), {}
            return empty
        if not isinstance(value, LineDict):
            raise self.p.error(f"{self.what}: field '{key}' must be a mapping", self.line_of(key))
        return value

    def tags(self, key: str = "tags") -> dict[str, str]:
        value = self.mapping(key)
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise self.p.error(f"{self.what}: tag '{k}' must have a string value", value.line_of(k))
            out[str(k)] = str(v)
        return out

    def ref(
        self, key: str, kind: str, default: Any = _MISSING, region: str | None = None, vpc: str | None = None
    ) -> Any:
        """A reference to a logical name; checked (exists, same region/VPC) once all is parsed."""
        name = self.text(key, default)
        if name is default and default is not _MISSING:
            return name
        return self.p.ref(kind, name, self.line_of(key), self.what, region, vpc)

    def refs(self, key: str, kind: str, region: str | None = None, vpc: str | None = None) -> tuple[_Ref, ...]:
        line = self.line_of(key)
        return tuple(self.p.ref(kind, name, line, self.what, region, vpc) for name in self.texts(key))

    def done(self) -> None:
        for key in self.data:
            if key not in self.seen:
                raise self.p.error(f"{self.what}: unknown field '{key}'", self.line_of(key))


def _label(kind: str) -> str:
    return kind.removeprefix("aws.").replace(".", " ").replace("_", " ")


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.declared: dict[str, dict[str, _Decl]] = {}
        # Each reference with the region (and VPC) it must live in; checked once all is declared.
        self.checks: list[tuple[_Ref, str | None, str | None, str]] = []
        self.acl_scopes: dict[str, str] = {}  # web ACL → REGIONAL | CLOUDFRONT, for distributions

    def error(self, message: str, line: int | None, fix: str | None = None) -> InputError:
        return InputError(message, path=self.path, line=line, fix=fix)

    def declare(self, kind: str, name: Any, line: int, region: str, vpc: str | None = None) -> str:
        if not isinstance(name, str) or not name:
            raise self.error(f"{_label(kind)} names must be non-empty strings", line)
        seen = self.declared.setdefault(kind, {})
        if name in seen:
            raise self.error(
                f"{_label(kind)} '{name}' is declared twice (first at line {seen[name].line})",
                line,
                fix="logical names are unique per kind across the whole file",
            )
        seen[name] = _Decl(region, vpc, line)
        return name

    def ref(
        self, kind: str, name: str, line: int, what: str, region: str | None = None, vpc: str | None = None
    ) -> _Ref:
        result = _Ref(kind, name, line)
        self.checks.append((result, region, vpc, what))
        return result

    def check_refs(self) -> None:
        for ref, region, vpc, what in self.checks:
            decls = self.declared.get(ref.kind, {})
            decl = decls.get(ref.name)
            if decl is None:
                known = ", ".join(sorted(decls)) or "none declared"
                raise self.error(
                    f"{what}: unknown {_label(ref.kind)} '{ref.name}'",
                    ref.line,
                    fix=f"declared {_label(ref.kind)}s: {known}",
                )
            if region is not None and decl.region != region:
                raise self.error(
                    f"{what}: {_label(ref.kind)} '{ref.name}' is in {decl.region}, not {region}",
                    ref.line,
                    fix="AWS only lets a resource use one in its own region",
                )
            if vpc is not None and decl.vpc != vpc:
                raise self.error(
                    f"{what}: {_label(ref.kind)} '{ref.name}' is in VPC '{decl.vpc}', not '{vpc}'",
                    ref.line,
                )

    # --- top level ---------------------------------------------------------------------------

    def estate(self, data: LineDict) -> _Estate:
        top = _Fields(self, data, "estate", data.line)
        top.text("description", "")
        account = _Fields(self, top.mapping("account"), "account", top.line_of("account"))
        password_policy = self.password_policy(account)
        account_pab = self.public_access_block(account, "s3_public_access_block")
        account.done()

        iam = _Fields(self, top.mapping("iam"), "iam", top.line_of("iam"))
        policies = tuple(self.each(iam.mapping("policies"), IAM_POLICY, "", self.policy))
        groups = tuple(self.each(iam.mapping("groups"), IAM_GROUP, "", self.group))
        users = tuple(self.each(iam.mapping("users"), IAM_USER, "", self.user))
        iam.done()

        regions_map = top.mapping("regions")
        regions = []
        for region, body in regions_map.items():
            regions.append(self.region(region, body, regions_map.line_of(region)))
        # After the regions: a distribution names web ACLs (and buckets) declared in them.
        distributions = tuple(self.each(top.mapping("cloudfront_distributions"), DISTRIBUTION, "", self.distribution))
        top.done()
        self.check_refs()
        lines = {(kind, name): d.line for kind, decls in self.declared.items() for name, d in decls.items()}
        return _Estate(
            self.path, password_policy, account_pab, policies, groups, users, tuple(regions), lines, distributions
        )

    def each(self, mapping: LineDict, kind: str, region: str, build: Callable[..., Any]) -> Iterator[Any]:
        for name, body in mapping.items():
            line = mapping.line_of(name)
            self.declare(kind, name, line, region)
            yield build(name, _Fields(self, body, f"{_label(kind)} '{name}'", line), region)

    def password_policy(self, account: _Fields) -> dict[str, Any] | None:
        if "password_policy" not in account.data:
            return None
        f = _Fields(self, account.mapping("password_policy"), "password_policy", account.line_of("password_policy"))
        out: dict[str, Any] = {}
        for key, (api_name, typ) in _PASSWORD_FIELDS.items():
            value = f.number(key, None) if typ is int else f.flag(key, None)
            if value is not None:
                out[api_name] = value
        f.done()
        return out

    def public_access_block(self, f: _Fields, key: str) -> dict[str, bool] | None:
        value = f.raw(key, False)
        if isinstance(value, bool):
            return dict.fromkeys(_PAB_FIELDS.values(), True) if value else None
        sub = _Fields(self, value, f"{f.what}: {key}", f.line_of(key))
        out = {api: sub.flag(name, False) for name, api in _PAB_FIELDS.items()}
        sub.done()
        return out

    # --- IAM ---------------------------------------------------------------------------------

    def policy(self, name: str, f: _Fields, _region: str) -> _Policy:
        document = f.raw("document")
        if not isinstance(document, dict) or "Statement" not in document:
            raise self.error(f"{f.what}: 'document' must be an IAM policy document", f.line_of("document"))
        result = _Policy(name, f.line, f.text("description", ""), _plain(document))
        f.done()
        return result

    def policy_refs(self, f: _Fields) -> tuple[_Ref | str, ...]:
        out: list[_Ref | str] = []
        for value in f.texts("policies"):
            if value.startswith("arn:"):
                out.append(value)
            else:
                out.append(self.ref(IAM_POLICY, value, f.line_of("policies"), f.what))
        return tuple(out)

    def group(self, name: str, f: _Fields, _region: str) -> _Group:
        result = _Group(name, f.line, self.policy_refs(f))
        f.done()
        return result

    def user(self, name: str, f: _Fields, _region: str) -> _User:
        groups = f.refs("groups", IAM_GROUP)
        keys = f.number("access_keys", 0)
        if not 0 <= keys <= 2:
            raise self.error(f"{f.what}: access_keys must be 0, 1 or 2 (the AWS limit)", f.line_of("access_keys"))
        result = _User(
            name,
            f.line,
            console_password=f.flag("console_password", False),
            mfa=f.flag("mfa", False),
            access_keys=keys,
            policies=self.policy_refs(f),
            groups=groups,
            tags=f.tags(),
        )
        f.done()
        return result

    # --- one region --------------------------------------------------------------------------

    def region(self, region: Any, body: Any, line: int) -> _Region:
        if not isinstance(region, str) or region.count("-") < 2:
            raise self.error(f"'{region}' is not an AWS region name", line, fix="e.g. us-east-1")
        f = _Fields(self, body, f"region {region}", line)
        ebs_default = f.flag("ebs_encryption_by_default", None)
        ebs_key = f.ref("ebs_default_kms_key", KMS_KEY, None, region)
        keys = tuple(self.each(f.mapping("kms_keys"), KMS_KEY, region, self.key))
        buckets = tuple(self.each(f.mapping("s3_buckets"), BUCKET, region, self.bucket))
        vpcs = tuple(self.each(f.mapping("vpcs"), VPC, region, self.vpc))
        instances = tuple(self.each(f.mapping("instances"), INSTANCE, region, self.instance))
        volumes = tuple(self.each(f.mapping("volumes"), VOLUME, region, self.volume))
        databases = tuple(self.each(f.mapping("rds_instances"), DB_INSTANCE, region, self.database))
        trails = tuple(self.each(f.mapping("cloudtrail_trails"), TRAIL, region, self.trail))
        rest_apis = tuple(self.each(f.mapping("rest_apis"), REST_API, region, self.rest_api))
        http_apis = tuple(self.each(f.mapping("http_apis"), HTTP_API, region, self.http_api))
        secrets = tuple(self.each(f.mapping("secrets"), SECRET, region, self.secret))
        peerings = tuple(self.each(f.mapping("vpc_peerings"), PEERING, region, self.peering))
        balancers = tuple(self.each(f.mapping("load_balancers"), LOAD_BALANCER, region, self.load_balancer))
        web_acls = tuple(self.each(f.mapping("web_acls"), WEB_ACL, region, self.web_acl))
        topics = tuple(self.each(f.mapping("sns_topics"), SNS_TOPIC, region, self.topic))
        metric_filters = tuple(self.each(f.mapping("metric_filters"), METRIC_FILTER, region, self.metric_filter))
        alarms = tuple(self.each(f.mapping("alarms"), ALARM, region, self.alarm))
        queues = tuple(self.each(f.mapping("sqs_queues"), QUEUE, region, self.queue))
        tables = tuple(self.each(f.mapping("dynamodb_tables"), TABLE, region, self.table))
        caches = tuple(self.each(f.mapping("elasticache_replication_groups"), CACHE, region, self.cache))
        projects = tuple(self.each(f.mapping("codebuild_projects"), BUILD_PROJECT, region, self.project))
        elastic_ips = tuple(self.each(f.mapping("elastic_ips"), ELASTIC_IP, region, self.elastic_ip))
        result = _Region(
            region,
            line,
            ebs_default,
            ebs_key,
            f.flag("guardduty", False),
            keys,
            buckets,
            vpcs,
            instances,
            volumes,
            databases,
            trails,
            rest_apis,
            http_apis,
            secrets,
            peerings,
            balancers,
            web_acls,
            topics,
            metric_filters,
            alarms,
            queues,
            tables,
            caches,
            projects,
            elastic_ips,
        )
        f.done()
        return result

    def key(self, name: str, f: _Fields, region: str) -> _Key:
        rotation = f.flag("rotation", False)
        period = f.number("rotation_period_days", None)
        if period is not None and not rotation:
            raise self.error(f"{f.what}: rotation_period_days needs rotation: true", f.line_of("rotation_period_days"))
        if period is not None and not 90 <= period <= 2560:
            raise self.error(f"{f.what}: rotation_period_days must be 90–2560", f.line_of("rotation_period_days"))
        aliases = f.texts("aliases")
        for alias in aliases:
            if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
                raise self.error(
                    f"{f.what}: alias '{alias}' must start with 'alias/' (not alias/aws/)",
                    f.line_of("aliases"),
                )
            self.declare(KMS_ALIAS, alias, f.line_of("aliases"), region)
        result = _Key(name, f.line, region, f.text("description", ""), f.tags(), aliases, rotation, period)
        f.done()
        return result

    def bucket(self, name: str, f: _Fields, region: str) -> _Bucket:
        if not 3 <= len(name) <= 63 or name != name.lower():
            raise self.error(f"{f.what}: bucket names are 3–63 lowercase characters", f.line)
        encryption: str | None = "AES256"
        kms_key: _Ref | None = None
        bucket_key = False
        raw_enc = f.raw("encryption", "AES256")
        if isinstance(raw_enc, str):
            if raw_enc not in ("AES256", "none"):
                raise self.error(
                    f"{f.what}: encryption is '{raw_enc}', expected AES256, none or {{kms_key: KEY}}",
                    f.line_of("encryption"),
                )
            encryption = None if raw_enc == "none" else raw_enc
        else:
            enc = _Fields(self, raw_enc, f"{f.what}: encryption", f.line_of("encryption"))
            encryption = "aws:kms"
            kms_key = enc.ref("kms_key", KMS_KEY, region=region)
            bucket_key = enc.flag("bucket_key", False)
            enc.done()
        policy = _Fields(self, f.mapping("policy"), f"{f.what}: policy", f.line_of("policy"))
        deny_insecure = policy.flag("deny_insecure_transport", False)
        statements = policy.raw("statements", [])
        if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
            raise self.error(f"{f.what}: policy statements must be a list of mappings", policy.line_of("statements"))
        policy.done()
        logging = _Fields(self, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
        # AWS refuses a logging target in another region, so check it before the first call.
        target = logging.ref("target", BUCKET, region=region) if logging.data else None
        prefix = logging.text("prefix", f"{name}/") if logging.data else ""
        logging.done()
        result = _Bucket(
            name,
            f.line,
            region,
            f.tags(),
            encryption,
            kms_key,
            bucket_key,
            self.public_access_block(f, "public_access_block"),
            deny_insecure,
            tuple(_plain(s) for s in statements),
            f.flag("versioning", False),
            target,
            prefix,
        )
        f.done()
        return result

    def vpc(self, name: str, f: _Fields, region: str) -> _Vpc:
        flow = f.raw("flow_logs", False)
        bucket: _Ref | None = None
        log_group = role_arn = None
        traffic = "ALL"
        if flow is True:
            raise self.error(
                f"{f.what}: flow_logs needs a destination: {{bucket: B}} or {{log_group: G, role_arn: R}}",
                f.line_of("flow_logs"),
            )
        if flow is not False:
            fl = _Fields(self, flow, f"{f.what}: flow_logs", f.line_of("flow_logs"))
            bucket = fl.ref("bucket", BUCKET, None)
            log_group = fl.text("log_group", None)
            role_arn = fl.text("role_arn", None)
            traffic = fl.choice("traffic_type", {"ALL", "ACCEPT", "REJECT"}, "ALL")
            fl.done()
            if (bucket is None) == (log_group is None) or (log_group is not None and role_arn is None):
                raise self.error(
                    f"{f.what}: flow_logs needs either bucket, or log_group and role_arn",
                    f.line_of("flow_logs"),
                )
        entries = f.raw("network_acl_entries", [])
        if not isinstance(entries, list):
            raise self.error(f"{f.what}: network_acl_entries must be a list", f.line_of("network_acl_entries"))
        nacl = tuple(
            self.nacl_entry(e, f"{f.what}: network ACL entry", f.line_of("network_acl_entries")) for e in entries
        )
        subnets_map = f.mapping("subnets")
        subnets = []
        for sub_name, body in subnets_map.items():
            line = subnets_map.line_of(sub_name)
            self.declare(SUBNET, sub_name, line, region, vpc=name)
            sf = _Fields(self, body, f"subnet '{sub_name}'", line)
            subnets.append(
                _Subnet(
                    sub_name,
                    line,
                    name,
                    sf.text("cidr"),
                    sf.text("az", f"{region}a"),
                    sf.tags(),
                    sf.flag("public", False),
                    sf.flag("map_public_ip_on_launch", False),
                )
            )
            sf.done()
        groups_map = f.mapping("security_groups")
        groups = []
        for sg_name, body in groups_map.items():
            line = groups_map.line_of(sg_name)
            self.declare(SECURITY_GROUP, sg_name, line, region, vpc=name)
            gf = _Fields(self, body, f"security group '{sg_name}'", line)
            rules = gf.raw("ingress", [])
            if not isinstance(rules, list):
                raise self.error(f"{gf.what}: ingress must be a list", gf.line_of("ingress"))
            ingress = tuple(self.rule(r, gf.what, gf.line_of("ingress"), region, name) for r in rules)
            groups.append(
                _SecurityGroup(
                    sg_name,
                    line,
                    name,
                    gf.text("description", f"{sg_name} security group"),
                    gf.tags(),
                    ingress,
                )
            )
            gf.done()
        result = _Vpc(
            name,
            f.line,
            region,
            f.text("cidr"),
            f.tags(),
            bucket,
            log_group,
            role_arn,
            traffic,
            f.flag("restrict_default_security_group", False),
            nacl,
            tuple(subnets),
            tuple(groups),
        )
        f.done()
        return result

    def ports(self, f: _Fields) -> tuple[int | None, int | None]:
        value = f.raw("ports", None)
        if value is None:
            return None, None
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        if isinstance(value, str) and "-" in value:
            low, _, high = value.partition("-")
            if low.strip().isdigit() and high.strip().isdigit():
                return int(low), int(high)
        raise self.error(f"{f.what}: ports must be a number or a range like 8000-8080", f.line_of("ports"))

    def rule(self, data: Any, what: str, line: int, region: str, vpc: str) -> _Rule:
        f = _Fields(self, data, f"{what}: ingress rule", getattr(data, "line", line))
        protocol = _SG_PROTOCOLS[f.choice("protocol", set(_SG_PROTOCOLS))]
        low, high = self.ports(f)
        if protocol in ("tcp", "udp") and low is None:
            raise self.error(f"{f.what}: a {protocol} rule needs ports", f.line)
        groups = f.refs("groups", SECURITY_GROUP, region, vpc)
        cidrs = f.texts("cidrs")
        if not cidrs and not groups:
            raise self.error(f"{f.what}: give cidrs or groups (or both)", f.line)
        result = _Rule(protocol, low, high, cidrs, groups, f.text("description", None))
        f.done()
        return result

    def nacl_entry(self, data: Any, what: str, line: int) -> _NaclEntry:
        f = _Fields(self, data, what, getattr(data, "line", line))
        rule = f.number("rule")
        if not 1 <= rule <= 32766:
            raise self.error(f"{what}: rule must be 1–32766", f.line_of("rule"))
        protocol = _NACL_PROTOCOLS[f.choice("protocol", set(_NACL_PROTOCOLS))]
        low, high = self.ports(f)
        result = _NaclEntry(
            rule,
            f.flag("egress", False),
            protocol,
            low,
            high,
            f.text("cidr"),
            f.choice("action", {"allow", "deny"}),
        )
        f.done()
        return result

    def instance(self, name: str, f: _Fields, region: str) -> _Instance:
        subnet = f.ref("subnet", SUBNET, region=region)
        # The groups must sit in the subnet's VPC; when the subnet is unknown its own error wins.
        decl = self.declared.get(SUBNET, {}).get(subnet.name)
        sgs = f.refs("security_groups", SECURITY_GROUP, region, decl.vpc if decl else None)
        result = _Instance(
            name,
            f.line,
            region,
            subnet,
            sgs,
            f.text("instance_type", "t3.micro"),
            f.text("image", DEFAULT_IMAGE),
            f.flag("public_ip", None),
            f.choice("http_tokens", {"required", "optional"}, "required"),
            self.root_volume(f, region),
            f.tags(),
        )
        f.done()
        return result

    def root_volume(self, f: _Fields, region: str) -> _RootVolume | None:
        if "root_volume" not in f.data:
            return None
        rf = _Fields(self, f.mapping("root_volume"), f"{f.what}: root_volume", f.line_of("root_volume"))
        encrypted = rf.flag("encrypted", False)
        kms_key = rf.ref("kms_key", KMS_KEY, None, region)
        if kms_key is not None and not encrypted:
            raise self.error(f"{rf.what}: kms_key needs encrypted: true", rf.line_of("kms_key"))
        result = _RootVolume(encrypted, kms_key, rf.number("size_gib", None))
        rf.done()
        return result

    def volume(self, name: str, f: _Fields, region: str) -> _Volume:
        encrypted = f.flag("encrypted", False)
        kms_key = f.ref("kms_key", KMS_KEY, None, region)
        if kms_key is not None and not encrypted:
            raise self.error(f"{f.what}: kms_key needs encrypted: true", f.line_of("kms_key"))
        attach = f.ref("attach_to", INSTANCE, None, region)
        az = f.text("az", None)
        if (attach is None) == (az is None):
            raise self.error(f"{f.what}: give az, or attach_to an instance (whose AZ it takes)", f.line)
        result = _Volume(
            name,
            f.line,
            region,
            f.number("size_gib", 8),
            encrypted,
            kms_key,
            attach,
            f.text("device", "/dev/sdf"),
            az,
            f.tags(),
        )
        f.done()
        return result

    def database(self, name: str, f: _Fields, region: str) -> _Database:
        encrypted = f.flag("encrypted", False)
        kms_key = f.ref("kms_key", KMS_KEY, None, region)
        if kms_key is not None and not encrypted:
            raise self.error(f"{f.what}: kms_key needs encrypted: true", f.line_of("kms_key"))
        subnets = f.refs("subnets", SUBNET, region)
        if len(subnets) < 2:
            raise self.error(f"{f.what}: an RDS subnet group needs at least two subnets", f.line_of("subnets"))
        # One VPC for the whole subnet group and its security groups, as AWS requires.
        first = self.declared.get(SUBNET, {}).get(subnets[0].name)
        vpc = first.vpc if first else None
        if vpc is not None:
            for ref in subnets:
                self.ref(SUBNET, ref.name, ref.line, f.what, region, vpc)
        sgs = f.refs("security_groups", SECURITY_GROUP, region, vpc)
        result = _Database(
            name,
            f.line,
            region,
            f.text("engine", "postgres"),
            f.text("engine_version", None),
            f.text("instance_class", "db.t3.micro"),
            f.number("storage_gib", 20),
            encrypted,
            kms_key,
            f.flag("publicly_accessible", False),
            subnets,
            sgs,
            f.number("backup_retention_days", None),
            f.flag("deletion_protection", False),
            f.flag("iam_auth", False),
            f.text("ca_certificate", None),
            f.tags(),
        )
        f.done()
        return result

    def trail(self, name: str, f: _Fields, region: str) -> _Trail:
        bucket = f.ref("bucket", BUCKET)
        cw_group = cw_role = None
        if "cloudwatch_logs" in f.data:
            cw = _Fields(self, f.mapping("cloudwatch_logs"), f"{f.what}: cloudwatch_logs", f.line_of("cloudwatch_logs"))
            cw_group, cw_role = cw.text("log_group"), cw.text("role_arn")
            cw.done()
        kms_key = f.ref("kms_key", KMS_KEY, None, region)
        result = _Trail(
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

    def operation(
        self,
        key: Any,
        data: Any,
        line: int,
        what: str,
        authorizers: set[str],
        types: set[str],
        with_authorizer: str,
    ) -> _Operation:
        verb, _, path = str(key).partition(" ")
        if not (key == "$default" or (verb in _HTTP_VERBS and path.startswith("/"))):
            raise self.error(f"{what}: '{key}' is not 'VERB /path'", line, fix="e.g. 'POST /refunds'")
        f = _Fields(self, data, f"{what} '{key}'", line)
        authorizer = f.text("authorizer", None)
        if authorizer is not None and authorizer not in authorizers:
            raise self.error(
                f"{f.what}: unknown authorizer '{authorizer}'",
                f.line_of("authorizer"),
                fix=f"this API's authorizers: {', '.join(sorted(authorizers)) or 'none declared'}",
            )
        default = with_authorizer if authorizer else "NONE"
        authorization = f.choice("authorization", types | {with_authorizer}, default)
        if (authorization == with_authorizer) != (authorizer is not None):
            raise self.error(f"{f.what}: authorization {with_authorizer} goes with an authorizer", f.line)
        result = _Operation(
            str(key), line, authorization, authorizer, f.texts("scopes"), f.flag("api_key_required", False)
        )
        f.done()
        return result

    def stages(self, f: _Fields, rest: bool) -> list[_Stage]:
        stages_map = f.mapping("stages")
        stages = []
        for stage, body in stages_map.items():
            sf = _Fields(self, body, f"{f.what}: stage '{stage}'", stages_map.line_of(stage))
            stages.append(
                _Stage(
                    str(stage),
                    sf.text("description", "") if rest else "",
                    False if rest else sf.flag("auto_deploy", False),
                    sf.text("access_log_group", None),
                )
            )
            sf.done()
        return stages

    def rest_api(self, name: str, f: _Fields, region: str) -> _RestApi:
        auth_map = f.mapping("authorizers")
        authorizers = []
        for auth_name, body in auth_map.items():
            af = _Fields(self, body, f"{f.what}: authorizer '{auth_name}'", auth_map.line_of(auth_name))
            authorizers.append(
                _RestAuthorizer(
                    auth_name,
                    af.choice("type", {"TOKEN", "REQUEST"}, "TOKEN"),
                    af.text("lambda_arn"),
                    af.text("identity_source", "method.request.header.Authorization"),
                )
            )
            af.done()
        methods_map = f.mapping("methods")
        methods = tuple(
            self.operation(
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
                raise self.error(f"{f.what}: method '{m.key}' is not valid on a REST API", m.line)
        stages = self.stages(f, rest=True)
        result = _RestApi(name, f.line, region, f.tags(), tuple(authorizers), methods, tuple(stages))
        f.done()
        return result

    def http_api(self, name: str, f: _Fields, region: str) -> _HttpApi:
        auth_map = f.mapping("authorizers")
        authorizers = []
        for auth_name, body in auth_map.items():
            af = _Fields(self, body, f"{f.what}: authorizer '{auth_name}'", auth_map.line_of(auth_name))
            authorizers.append(
                _HttpAuthorizer(
                    auth_name,
                    af.text("issuer"),
                    af.texts("audience"),
                    af.texts("identity_source") or ("$request.header.Authorization",),
                )
            )
            af.done()
        routes_map = f.mapping("routes")
        routes = tuple(
            self.operation(
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
        stages = self.stages(f, rest=False)
        result = _HttpApi(name, f.line, region, f.tags(), tuple(authorizers), routes, tuple(stages))
        f.done()
        return result

    def secret(self, name: str, f: _Fields, region: str) -> _Secret:
        kms_key = f.ref("kms_key", KMS_KEY, None, region)
        days = f.number("rotation_days", None)
        if days is not None and not 1 <= days <= 1000:
            raise self.error(f"{f.what}: rotation_days must be 1–1000", f.line_of("rotation_days"))
        lambda_arn = f.text("rotation_lambda_arn", None)
        if lambda_arn is not None and days is None:
            raise self.error(f"{f.what}: rotation_lambda_arn needs rotation_days", f.line_of("rotation_lambda_arn"))
        result = _Secret(name, f.line, region, f.text("description", ""), kms_key, f.tags(), days, lambda_arn)
        f.done()
        return result

    def peering(self, name: str, f: _Fields, region: str) -> _Peering:
        requester = f.ref("requester", VPC, region=region)
        accepter = f.ref("accepter", VPC, region=region)
        routes = f.refs("routes", VPC, region)
        for r in routes:
            if r.name not in (requester.name, accepter.name):
                raise self.error(
                    f"{f.what}: routes names VPC '{r.name}', which is not one of the two peers",
                    r.line,
                    fix=f"use {requester.name} and/or {accepter.name}",
                )
        result = _Peering(name, f.line, region, requester, accepter, routes)
        f.done()
        return result

    def load_balancer(self, name: str, f: _Fields, region: str) -> _LoadBalancer:
        subnets = f.refs("subnets", SUBNET, region)
        if not subnets:
            raise self.error(f"{f.what}: give at least one subnet", f.line)
        # Its groups and every subnet must sit in the first subnet's VPC; unknown subnets fail later.
        decl = self.declared.get(SUBNET, {}).get(subnets[0].name)
        vpc = decl.vpc if decl else None
        subnets = f.refs("subnets", SUBNET, region, vpc)
        groups = f.refs("security_groups", SECURITY_GROUP, region, vpc)
        raw = f.raw("listeners", [])
        if not isinstance(raw, list) or not raw:
            raise self.error(f"{f.what}: listeners must be a non-empty list", f.line_of("listeners"))
        listeners = []
        for item in raw:
            lf = _Fields(self, item, f"{f.what}: listener", getattr(item, "line", f.line_of("listeners")))
            protocol = lf.choice("protocol", {"HTTP", "HTTPS"})
            certificate = lf.text("certificate", None)
            if (protocol == "HTTPS") != (certificate is not None):
                raise self.error(f"{lf.what}: an HTTPS listener needs a certificate domain, HTTP none", lf.line)
            port = lf.number("port")
            if not 1 <= port <= 65535:
                raise self.error(f"{lf.what}: port must be 1–65535", lf.line_of("port"))
            listeners.append(
                _Listener(
                    port,
                    protocol,
                    certificate,
                    lf.choice("action", {"fixed-response", "redirect-https"}, "fixed-response"),
                )
            )
            lf.done()
        result = _LoadBalancer(
            name,
            f.line,
            region,
            f.choice("scheme", {"internet-facing", "internal"}),
            subnets,
            groups,
            tuple(listeners),
            f.tags(),
        )
        f.done()
        return result

    # --- edge, monitoring, data stores, builds (the tier-1 services beyond the network) -------

    def web_acl(self, name: str, f: _Fields, region: str) -> _WebAcl:
        scope = f.choice("scope", {"REGIONAL", "CLOUDFRONT"}, "REGIONAL")
        if scope == "CLOUDFRONT" and region != GLOBAL_REGION:
            raise self.error(f"{f.what}: CLOUDFRONT web ACLs live in {GLOBAL_REGION}, not {region}", f.line_of("scope"))
        protects = f.refs("protects", LOAD_BALANCER, region)
        if protects and scope != "REGIONAL":
            raise self.error(
                f"{f.what}: only a REGIONAL web ACL protects load balancers",
                f.line_of("protects"),
                fix="a CLOUDFRONT web ACL is named by the distribution's web_acl",
            )
        log_group: str | None = None
        log_kms_key: _Ref | None = None
        redact: tuple[str, ...] = ()
        if "logging" in f.data:
            lf = _Fields(self, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
            log_group = lf.text("log_group")
            if not log_group.startswith("aws-waf-logs-"):
                raise self.error(f"{lf.what}: WAF log groups are named aws-waf-logs-…", lf.line_of("log_group"))
            redact = lf.texts("redact_headers")
            log_kms_key = lf.ref("kms_key", KMS_KEY, None, region)
            lf.done()
        self.acl_scopes[name] = scope
        result = _WebAcl(
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

    def topic(self, name: str, f: _Fields, region: str) -> _Topic:
        raw = f.raw("subscriptions", [])
        if not isinstance(raw, list):
            raise self.error(f"{f.what}: subscriptions must be a list", f.line_of("subscriptions"))
        subscriptions = []
        for item in raw:
            sf = _Fields(self, item, f"{f.what}: subscription", getattr(item, "line", f.line_of("subscriptions")))
            subscriptions.append((sf.choice("protocol", _SNS_PROTOCOLS), sf.text("endpoint")))
            sf.done()
        result = _Topic(name, f.line, region, f.ref("kms_key", KMS_KEY, None, region), tuple(subscriptions), f.tags())
        f.done()
        return result

    def metric_filter(self, name: str, f: _Fields, region: str) -> _MetricFilter:
        mf = _Fields(self, f.mapping("metric"), f"{f.what}: metric", f.line_of("metric"))
        namespace, metric = mf.text("namespace"), mf.text("name")
        mf.done()
        result = _MetricFilter(name, f.line, region, f.text("log_group"), f.text("pattern"), namespace, metric)
        f.done()
        return result

    def alarm(self, name: str, f: _Fields, region: str) -> _Alarm:
        result = _Alarm(
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

    def queue(self, name: str, f: _Fields, region: str) -> _Queue:
        encryption, kms_key = "sqs", None
        raw = f.raw("encryption", "sqs")
        if isinstance(raw, str):
            if raw not in ("sqs", "none"):
                raise self.error(
                    f"{f.what}: encryption is '{raw}', expected sqs, none or {{kms_key: KEY}}", f.line_of("encryption")
                )
            encryption = raw
        else:
            enc = _Fields(self, raw, f"{f.what}: encryption", f.line_of("encryption"))
            encryption, kms_key = "kms", enc.ref("kms_key", KMS_KEY, region=region)
            enc.done()
        result = _Queue(name, f.line, region, encryption, kms_key, f.tags())
        f.done()
        return result

    def table(self, name: str, f: _Fields, region: str) -> _Table:
        result = _Table(
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

    def cache(self, name: str, f: _Fields, region: str) -> _Cache:
        at_rest = f.flag("at_rest_encryption", False)
        kms_key = f.ref("kms_key", KMS_KEY, None, region)
        if kms_key is not None and not at_rest:
            raise self.error(f"{f.what}: kms_key needs at_rest_encryption: true", f.line_of("kms_key"))
        transit = f.flag("transit_encryption", False)
        auth_token = f.flag("auth_token", False)
        if auth_token and not transit:
            raise self.error(f"{f.what}: auth_token needs transit_encryption: true", f.line_of("auth_token"))
        nodes = f.number("nodes", 2)
        if not 1 <= nodes <= 6:
            raise self.error(f"{f.what}: nodes must be 1–6 (a primary and up to five replicas)", f.line_of("nodes"))
        days = f.number("backup_retention_days", 0)
        if not 0 <= days <= 35:
            raise self.error(f"{f.what}: backup_retention_days must be 0–35", f.line_of("backup_retention_days"))
        result = _Cache(
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

    def project(self, name: str, f: _Fields, region: str) -> _Project:
        sf = _Fields(self, f.mapping("source"), f"{f.what}: source", f.line_of("source"))
        source_type = sf.choice("type", _BUILD_SOURCES, "NO_SOURCE")
        location = sf.text("location", None)
        if (source_type == "NO_SOURCE") != (location is None):
            raise self.error(f"{sf.what}: a location goes with every source type but NO_SOURCE", sf.line)
        sf.done()
        env_map = f.mapping("environment")
        environment = [self.env_var(k, v, env_map.line_of(k), f.what, region) for k, v in env_map.items()]
        result = _Project(
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

    def env_var(self, key: Any, value: Any, line: int, what: str, region: str) -> _EnvVar:
        """VAR: "text" (PLAINTEXT), {secret: SECRET} (Secrets Manager) or {parameter: /NAME} (Parameter Store)."""
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return _EnvVar(str(key), "PLAINTEXT", str(value), None)
        vf = _Fields(self, value, f"{what}: environment variable '{key}'", line)
        if ("secret" in vf.data) == ("parameter" in vf.data):
            raise self.error(f"{vf.what}: give a plain value, {{secret: SECRET}} or {{parameter: /NAME}}", line)
        secret = vf.ref("secret", SECRET, None, region)
        parameter = vf.text("parameter", None)
        vf.done()
        if secret is not None:
            return _EnvVar(str(key), "SECRETS_MANAGER", None, secret)
        return _EnvVar(str(key), "PARAMETER_STORE", parameter, None)

    def elastic_ip(self, name: str, f: _Fields, region: str) -> _ElasticIp:
        result = _ElasticIp(name, f.line, region, f.tags())
        f.done()
        return result

    def distribution(self, name: str, f: _Fields, _region: str) -> _Distribution:
        origins_map = f.mapping("origins")
        origins = [self.origin(k, v, origins_map.line_of(k), f.what) for k, v in origins_map.items()]
        if not origins:
            raise self.error(f"{f.what}: give at least one origin", f.line)
        behaviours_map = f.mapping("behaviours")
        behaviours = []
        for path, body in behaviours_map.items():
            bf = _Fields(self, body, f"{f.what}: behaviour '{path}'", behaviours_map.line_of(path))
            origin = bf.text("origin")
            if origin not in {o.id for o in origins}:
                raise self.error(
                    f"{bf.what}: unknown origin '{origin}'",
                    bf.line_of("origin"),
                    fix=f"this distribution's origins: {', '.join(o.id for o in origins)}",
                )
            behaviours.append(_Behaviour(str(path), origin, bf.choice("viewer_protocol", _VIEWER_PROTOCOLS)))
            bf.done()
        if "*" not in {b.path for b in behaviours}:
            raise self.error(f"{f.what}: behaviours needs the default one, '*'", f.line_of("behaviours"))
        web_acl = f.ref("web_acl", WEB_ACL, None, GLOBAL_REGION)
        if web_acl is not None and self.acl_scopes.get(web_acl.name, "CLOUDFRONT") != "CLOUDFRONT":
            raise self.error(f"{f.what}: web ACL '{web_acl.name}' is REGIONAL, not CLOUDFRONT", web_acl.line)
        logging = _Fields(self, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
        bucket = logging.ref("bucket", BUCKET) if logging.data else None
        prefix = logging.text("prefix", "") if logging.data else ""
        logging.done()
        certificate = f.text("certificate", None)
        result = _Distribution(
            name,
            f.line,
            f.text("comment", ""),
            f.flag("enabled", True),
            f.texts("aliases"),
            certificate,
            f.text("minimum_protocol_version", "TLSv1.2_2021"),
            web_acl,
            bucket,
            prefix,
            tuple(origins),
            tuple(sorted(behaviours, key=lambda b: b.path != "*")),  # the default first
            f.tags(),
        )
        f.done()
        return result

    def origin(self, key: Any, data: Any, line: int, what: str) -> _Origin:
        f = _Fields(self, data, f"{what}: origin '{key}'", line)
        domain = f.text("domain", None)
        bucket = f.ref("s3_bucket", BUCKET, None)
        if (domain is None) == (bucket is None):
            raise self.error(f"{f.what}: give domain (a custom origin) or s3_bucket", line)
        protocol = f.choice("protocol", _ORIGIN_PROTOCOLS, "https-only")
        ssl = f.texts("ssl_protocols") or ("TLSv1.2",)
        for p in ssl:
            if p not in _ORIGIN_SSL:
                raise self.error(
                    f"{f.what}: ssl protocol '{p}' is not one of {', '.join(sorted(_ORIGIN_SSL))}",
                    f.line_of("ssl_protocols"),
                )
        if bucket is not None and ("protocol" in f.data or "ssl_protocols" in f.data):
            raise self.error(f"{f.what}: S3 origins are always reached over HTTPS; protocol is for custom ones", line)
        f.done()
        return _Origin(str(key), domain, bucket, protocol, ssl)


def _plain(value: Any) -> Any:
    """LineDicts back to plain dicts, so policy documents serialize exactly as written."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_estate(path: Path) -> _Estate:
    """Parse and check an estate file; nothing is called. Any problem → InputError with file:line."""
    return _Parser(path).estate(load_mapping(path))


# ---------------------------------------------------------------------------------------------
# Applying


class _Seeder:
    def __init__(self, estate: _Estate, endpoint_url: str) -> None:
        import boto3  # lazily: `pcicheck --help` must not pay for boto3
        from botocore.config import Config

        self.estate = estate
        self.endpoint_url = endpoint_url
        self.session = boto3.session.Session()
        self.config = Config(retries={"mode": "standard", "max_attempts": 2})
        self.clients: dict[tuple[str, str], Any] = {}
        self.created: list[SeededResource] = []
        self.ids: dict[tuple[str, str], str] = {}
        self.extra: dict[tuple[str, str], Any] = {}  # facts later steps need: AZs, AMI root devices

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.clients:
            client = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )
            if service == "s3control":
                # S3 Control puts the account id in front of the host (123456789012.127.0.0.1),
                # which does not resolve for a local emulator: send it to the endpoint as given.
                pin_s3control_host(client, self.endpoint_url)
            self.clients[key] = client
        return self.clients[key]

    def record(self, kind: str, name: str, region: str, real_id: str) -> str:
        self.created.append(SeededResource(kind, name, region, real_id))
        self.ids[(kind, name)] = real_id
        return real_id

    def id(self, ref: _Ref) -> str:
        return self.ids[(ref.kind, ref.name)]

    @contextmanager
    def step(self, kind: str, name: str) -> Iterator[None]:
        """Turn an AWS refusal into one line naming the estate entry that caused it."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        try:
            yield
        except EndpointConnectionError as exc:
            raise PcicheckError(
                f"cannot reach the AWS endpoint {self.endpoint_url}",
                fix="start the emulator first, or pass an endpoint that is listening",
            ) from exc
        except NoCredentialsError as exc:
            raise PcicheckError(
                "no AWS credentials in the environment",
                fix="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the emulator accepts any value)",
            ) from exc
        except (ClientError, BotoCoreError) as exc:
            raise PcicheckError(
                f"could not create {_label(kind)} '{name}': {exc}",
                path=self.estate.path,
                line=self.estate.lines.get((kind, name)),
            ) from exc

    def run(self) -> None:
        e = self.estate
        self.account()
        for policy in e.policies:
            self.iam_policy(policy)
        for group in e.groups:
            self.iam_group(group)
        for user in e.users:
            self.iam_user(user)
        for region in e.regions:
            for key in region.keys:
                self.kms_key(key)
        # Buckets everywhere before policies and logging: a logging target or a trail's bucket
        # may be declared after (or in another region than) the bucket that points at it.
        buckets = [b for r in e.regions for b in r.buckets]
        for bucket in buckets:
            self.bucket(bucket)
        for bucket in buckets:
            self.bucket_policy(bucket, buckets)
        for bucket in buckets:
            self.bucket_logging(bucket)
        for region in e.regions:
            for vpc in region.vpcs:
                self.vpc(vpc)
            for peering in region.peerings:
                self.peering(peering, {v.name: v for v in region.vpcs})
            for balancer in region.load_balancers:
                self.load_balancer(balancer)
            for instance in region.instances:
                self.instance(instance)
            for volume in region.volumes:
                self.volume(volume)
            for db in region.databases:
                self.database(db)
            for trail in region.trails:
                self.trail(trail)
            for api in region.rest_apis:
                self.rest_api(api)
            for http in region.http_apis:
                self.http_api(http)
            for secret in region.secrets:
                self.secret(secret)
            self.region_extras(region)
            self.region_settings(region)
        # CloudFront is global; its distributions name buckets and web ACLs made above.
        for distribution in e.distributions:
            self.distribution(distribution)

    def region_extras(self, region: _Region) -> None:
        """Web ACLs (after the load balancers they protect), the alarm chain, stores, builds."""
        for acl in region.web_acls:
            self.web_acl(acl)
        for topic in region.topics:
            self.topic(topic)
        for metric_filter in region.metric_filters:
            self.metric_filter(metric_filter)
        for alarm in region.alarms:
            self.alarm(alarm)
        for queue in region.queues:
            self.queue(queue)
        for table in region.tables:
            self.table(table)
        for cache in region.caches:
            self.cache(cache)
        for project in region.projects:
            self.project(project)
        for address in region.elastic_ips:
            self.elastic_ip(address)

    # --- account and IAM ---------------------------------------------------------------------

    def account(self) -> None:
        e = self.estate
        if e.password_policy is not None:
            with self.step("account", "password_policy"):
                self.client("iam", GLOBAL_REGION).update_account_password_policy(**e.password_policy)
        if e.account_public_access_block is not None:
            with self.step("account", "s3_public_access_block"):
                account = self.client("sts", GLOBAL_REGION).get_caller_identity()["Account"]
                self.client("s3control", GLOBAL_REGION).put_public_access_block(
                    AccountId=account, PublicAccessBlockConfiguration=e.account_public_access_block
                )

    def policy_arn(self, ref: _Ref | str) -> str:
        return ref if isinstance(ref, str) else self.id(ref)

    def iam_policy(self, p: _Policy) -> None:
        with self.step(IAM_POLICY, p.name):
            arn = self.client("iam", GLOBAL_REGION).create_policy(
                PolicyName=p.name, Description=p.description, PolicyDocument=json.dumps(p.document)
            )["Policy"]["Arn"]
        self.record(IAM_POLICY, p.name, "", arn)

    def iam_group(self, g: _Group) -> None:
        iam = self.client("iam", GLOBAL_REGION)
        with self.step(IAM_GROUP, g.name):
            arn = iam.create_group(GroupName=g.name)["Group"]["Arn"]
            for policy in g.policies:
                iam.attach_group_policy(GroupName=g.name, PolicyArn=self.policy_arn(policy))
        self.record(IAM_GROUP, g.name, "", arn)

    def iam_user(self, u: _User) -> None:
        iam = self.client("iam", GLOBAL_REGION)
        with self.step(IAM_USER, u.name):
            arn = iam.create_user(UserName=u.name, Tags=_kv(u.tags))["User"]["Arn"]
            self.record(IAM_USER, u.name, "", arn)
            if u.console_password:
                iam.create_login_profile(UserName=u.name, Password=PLACEHOLDER_PASSWORD)
            if u.mfa:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=u.name)["VirtualMFADevice"]["SerialNumber"]
                # Two consecutive codes, as AWS asks; the emulator takes any pair of digits.
                iam.enable_mfa_device(
                    UserName=u.name,
                    SerialNumber=serial,
                    AuthenticationCode1="123456",
                    AuthenticationCode2="654321",
                )
                self.record(MFA_DEVICE, u.name, "", serial)
            for n in range(u.access_keys):
                key = iam.create_access_key(UserName=u.name)["AccessKey"]
                # Only the tail is kept: even a placeholder key id is not something to print.
                self.record(ACCESS_KEY, f"{u.name}#{n + 1}", "", "…" + key["AccessKeyId"][-4:])
            for policy in u.policies:
                iam.attach_user_policy(UserName=u.name, PolicyArn=self.policy_arn(policy))
            for group in u.groups:
                iam.add_user_to_group(UserName=u.name, GroupName=group.name)

    # --- KMS and S3 --------------------------------------------------------------------------

    def kms_key(self, k: _Key) -> None:
        kms = self.client("kms", k.region)
        with self.step(KMS_KEY, k.name):
            meta = kms.create_key(
                Description=k.description, Tags=[{"TagKey": t, "TagValue": v} for t, v in k.tags.items()]
            )["KeyMetadata"]
            self.record(KMS_KEY, k.name, k.region, meta["Arn"])
            for alias in k.aliases:
                kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
                self.record(KMS_ALIAS, alias, k.region, f"arn:aws:kms:{k.region}:{meta['Arn'].split(':')[4]}:{alias}")
            if k.rotation:
                extra = {"RotationPeriodInDays": k.rotation_period_days} if k.rotation_period_days else {}
                kms.enable_key_rotation(KeyId=meta["KeyId"], **extra)

    def bucket(self, b: _Bucket) -> None:
        s3 = self.client("s3", b.region)
        with self.step(BUCKET, b.name):
            create: dict[str, Any] = {"Bucket": b.name}
            if b.region != "us-east-1":  # us-east-1 is the one region S3 refuses as a constraint
                create["CreateBucketConfiguration"] = {"LocationConstraint": b.region}
            s3.create_bucket(**create)
            self.record(BUCKET, b.name, b.region, f"arn:aws:s3:::{b.name}")
            if b.tags:
                s3.put_bucket_tagging(Bucket=b.name, Tagging={"TagSet": _kv(b.tags)})
            if b.encryption is None:
                # New buckets get SSE-S3 by default on AWS: remove it for an explicitly unencrypted one.
                s3.delete_bucket_encryption(Bucket=b.name)
            else:
                default: dict[str, Any] = {"SSEAlgorithm": b.encryption}
                if b.kms_key is not None:
                    default["KMSMasterKeyID"] = self.id(b.kms_key)
                s3.put_bucket_encryption(
                    Bucket=b.name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": b.bucket_key}]
                    },
                )
            if b.public_access_block is not None:
                s3.put_public_access_block(Bucket=b.name, PublicAccessBlockConfiguration=b.public_access_block)
            if b.versioning:
                s3.put_bucket_versioning(Bucket=b.name, VersioningConfiguration={"Status": "Enabled"})

    def bucket_policy(self, b: _Bucket, buckets: list[_Bucket]) -> None:
        statements = list(b.statements)
        # AWS (and moto) refuse a server-access-logging target the logging service cannot write to.
        # It goes first: moto's check stops at the first statement whose Principal is the string "*".
        if any(o.logging_target is not None and o.logging_target.name == b.name for o in buckets):
            statements.insert(
                0,
                {
                    "Sid": "S3ServerAccessLogsPolicy",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": ["s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{b.name}/*",
                },
            )
        if b.deny_insecure_transport:
            statements.append(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{b.name}", f"arn:aws:s3:::{b.name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            )
        if statements:
            with self.step(BUCKET, b.name):
                self.client("s3", b.region).put_bucket_policy(
                    Bucket=b.name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
                )

    def bucket_logging(self, b: _Bucket) -> None:
        if b.logging_target is None:
            return
        with self.step(BUCKET, b.name):
            self.client("s3", b.region).put_bucket_logging(
                Bucket=b.name,
                BucketLoggingStatus={
                    "LoggingEnabled": {
                        "TargetBucket": b.logging_target.name,
                        "TargetPrefix": b.logging_prefix,
                    }
                },
            )

    # --- networks and compute ----------------------------------------------------------------

    def vpc(self, v: _Vpc) -> None:
        ec2 = self.client("ec2", v.region)
        with self.step(VPC, v.name):
            vpc_id = ec2.create_vpc(CidrBlock=v.cidr, TagSpecifications=_ec2_tags("vpc", v.name, v.tags))["Vpc"][
                "VpcId"
            ]
            self.record(VPC, v.name, v.region, vpc_id)
            if v.flow_logs_bucket is not None:
                flow = ec2.create_flow_logs(
                    ResourceIds=[vpc_id],
                    ResourceType="VPC",
                    TrafficType=v.flow_logs_traffic,
                    LogDestinationType="s3",
                    LogDestination=self.id(v.flow_logs_bucket),
                )
                self.record(FLOW_LOG, v.name, v.region, flow["FlowLogIds"][0])
            elif v.flow_logs_log_group is not None:
                flow = ec2.create_flow_logs(
                    ResourceIds=[vpc_id],
                    ResourceType="VPC",
                    TrafficType=v.flow_logs_traffic,
                    LogDestinationType="cloud-watch-logs",
                    LogGroupName=v.flow_logs_log_group,
                    DeliverLogsPermissionArn=v.flow_logs_role_arn,
                )
                self.record(FLOW_LOG, v.name, v.region, flow["FlowLogIds"][0])
        public_rt: str | None = None
        for s in v.subnets:
            with self.step(SUBNET, s.name):
                subnet_id = ec2.create_subnet(
                    VpcId=vpc_id,
                    CidrBlock=s.cidr,
                    AvailabilityZone=s.az,
                    TagSpecifications=_ec2_tags("subnet", s.name, s.tags),
                )["Subnet"]["SubnetId"]
                self.record(SUBNET, s.name, v.region, subnet_id)
                self.extra[(SUBNET, s.name)] = s.az
                if s.map_public_ip_on_launch:
                    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
                if s.public:
                    public_rt = public_rt or self.internet_route(ec2, v, vpc_id)
                    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=subnet_id)
        for g in v.security_groups:
            with self.step(SECURITY_GROUP, g.name):
                sg_id = ec2.create_security_group(
                    GroupName=g.name,
                    Description=g.description,
                    VpcId=vpc_id,
                    TagSpecifications=_ec2_tags("security-group", g.name, g.tags),
                )["GroupId"]
                self.record(SECURITY_GROUP, g.name, v.region, sg_id)
        # Rules after all groups exist: a rule may name a group declared below it.
        if v.restrict_default_security_group:
            with self.step(VPC, v.name):
                default = ec2.describe_security_groups(
                    Filters=[
                        {"Name": "vpc-id", "Values": [vpc_id]},
                        {"Name": "group-name", "Values": ["default"]},
                    ]
                )["SecurityGroups"][0]
                if default["IpPermissions"]:
                    ec2.revoke_security_group_ingress(
                        GroupId=default["GroupId"], IpPermissions=default["IpPermissions"]
                    )
                if default["IpPermissionsEgress"]:
                    ec2.revoke_security_group_egress(
                        GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"]
                    )
        for g in v.security_groups:
            if g.ingress:
                with self.step(SECURITY_GROUP, g.name):
                    ec2.authorize_security_group_ingress(
                        GroupId=self.ids[(SECURITY_GROUP, g.name)],
                        IpPermissions=[self.permission(r) for r in g.ingress],
                    )
        if v.nacl_entries:
            with self.step(VPC, v.name):
                acl_id = ec2.describe_network_acls(
                    Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
                )["NetworkAcls"][0]["NetworkAclId"]
                for entry in v.nacl_entries:
                    args: dict[str, Any] = {
                        "NetworkAclId": acl_id,
                        "RuleNumber": entry.rule,
                        "Protocol": entry.protocol,
                        "RuleAction": entry.action,
                        "Egress": entry.egress,
                        "CidrBlock": entry.cidr,
                    }
                    if entry.from_port is not None:
                        args["PortRange"] = {"From": entry.from_port, "To": entry.to_port}
                    ec2.create_network_acl_entry(**args)
                    self.record(
                        NACL_ENTRY,
                        f"{v.name}#{entry.rule}{'-egress' if entry.egress else ''}",
                        v.region,
                        acl_id,
                    )

    def internet_route(self, ec2: Any, v: _Vpc, vpc_id: str) -> str:
        igw = ec2.create_internet_gateway(TagSpecifications=_ec2_tags("internet-gateway", f"{v.name}-igw", {}))[
            "InternetGateway"
        ]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        self.record(INTERNET_GATEWAY, f"{v.name}-igw", v.region, igw)
        rt = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_ec2_tags("route-table", f"{v.name}-public", {}))[
            "RouteTable"
        ]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        self.record(ROUTE_TABLE, f"{v.name}-public", v.region, rt)
        return rt

    def peering(self, p: _Peering, vpcs: dict[str, _Vpc]) -> None:
        ec2 = self.client("ec2", p.region)
        with self.step(PEERING, p.name):
            pcx = ec2.create_vpc_peering_connection(VpcId=self.id(p.requester), PeerVpcId=self.id(p.accepter))[
                "VpcPeeringConnection"
            ]["VpcPeeringConnectionId"]
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            for side in p.routes:
                other = p.accepter if side.name == p.requester.name else p.requester
                main = ec2.describe_route_tables(
                    Filters=[
                        {"Name": "vpc-id", "Values": [self.id(side)]},
                        {"Name": "association.main", "Values": ["true"]},
                    ]
                )["RouteTables"][0]["RouteTableId"]
                ec2.create_route(
                    RouteTableId=main, DestinationCidrBlock=vpcs[other.name].cidr, VpcPeeringConnectionId=pcx
                )
        self.record(PEERING, p.name, p.region, pcx)

    def load_balancer(self, b: _LoadBalancer) -> None:
        elb = self.client("elbv2", b.region)
        with self.step(LOAD_BALANCER, b.name):
            arn = elb.create_load_balancer(
                Name=b.name,
                Subnets=[self.id(s) for s in b.subnets],
                SecurityGroups=[self.id(g) for g in b.security_groups],
                Scheme=b.scheme,
                Type="application",
                Tags=_kv(b.tags),
            )["LoadBalancers"][0]["LoadBalancerArn"]
            self.record(LOAD_BALANCER, b.name, b.region, arn)
            for listener in b.listeners:
                args: dict[str, Any] = {"LoadBalancerArn": arn, "Protocol": listener.protocol, "Port": listener.port}
                if listener.certificate is not None:
                    args["Certificates"] = [{"CertificateArn": self.certificate(b.region, listener.certificate)}]
                    args["SslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
                if listener.action == "redirect-https":
                    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
                    args["DefaultActions"] = [{"Type": "redirect", "RedirectConfig": redirect}]
                else:
                    fixed = {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "ok"}
                    args["DefaultActions"] = [{"Type": "fixed-response", "FixedResponseConfig": fixed}]
                elb.create_listener(**args)

    def certificate(self, region: str, domain: str) -> str:
        if (CERTIFICATE, f"{region}/{domain}") not in self.ids:
            arn = self.client("acm", region).request_certificate(DomainName=domain)["CertificateArn"]
            self.record(CERTIFICATE, f"{region}/{domain}", region, arn)
        return self.ids[(CERTIFICATE, f"{region}/{domain}")]

    def permission(self, r: _Rule) -> dict[str, Any]:
        perm: dict[str, Any] = {"IpProtocol": r.protocol}
        if r.from_port is not None:
            perm["FromPort"], perm["ToPort"] = r.from_port, r.to_port
        extra = {"Description": r.description} if r.description else {}
        if r.cidrs:
            perm["IpRanges"] = [{"CidrIp": c, **extra} for c in r.cidrs]
        if r.groups:
            perm["UserIdGroupPairs"] = [{"GroupId": self.id(g), **extra} for g in r.groups]
        return perm

    def instance(self, i: _Instance) -> None:
        ec2 = self.client("ec2", i.region)
        groups = [self.id(g) for g in i.security_groups]
        args: dict[str, Any] = {
            "ImageId": i.image,
            "InstanceType": i.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "MetadataOptions": {"HttpTokens": i.http_tokens, "HttpEndpoint": "enabled"},
            "TagSpecifications": _ec2_tags("instance", i.name, i.tags),
        }
        if i.public_ip is None:
            args.update(SubnetId=self.id(i.subnet), SecurityGroupIds=groups)
        else:
            # Only the network-interface form can ask for (or refuse) a public IP per instance.
            args["NetworkInterfaces"] = [
                {
                    "DeviceIndex": 0,
                    "SubnetId": self.id(i.subnet),
                    "Groups": groups,
                    "AssociatePublicIpAddress": i.public_ip,
                }
            ]
        with self.step(INSTANCE, i.name):
            if i.root_volume is not None:
                args["BlockDeviceMappings"] = [self.root_mapping(ec2, i.image, i.root_volume)]
            instance_id = ec2.run_instances(**args)["Instances"][0]["InstanceId"]
            if i.public_ip is not None and groups:
                # moto keeps network-interface groups off the instance's own SecurityGroups list;
                # setting them again (a no-op on AWS) makes both views agree.
                ec2.modify_instance_attribute(InstanceId=instance_id, Groups=groups)
        self.record(INSTANCE, i.name, i.region, instance_id)
        self.extra[(INSTANCE, i.name)] = self.extra[(SUBNET, i.subnet.name)]

    def root_mapping(self, ec2: Any, image: str, root: _RootVolume) -> dict[str, Any]:
        # The root device is the AMI's own ("/dev/sda1", "/dev/xvda"...): a mapping under another
        # name would add a second volume instead of configuring the root one.
        if ("image", image) not in self.extra:
            found = ec2.describe_images(ImageIds=[image])["Images"][0]
            device = found.get("RootDeviceName", "/dev/sda1")
            size = next(
                (
                    m["Ebs"].get("VolumeSize")
                    for m in found.get("BlockDeviceMappings", [])
                    if m.get("DeviceName") == device and "Ebs" in m
                ),
                None,
            )
            self.extra[("image", image)] = (device, size or 8)
        device, image_size = self.extra[("image", image)]
        # AWS would take the size from the AMI's snapshot; moto insists on one being given.
        ebs: dict[str, Any] = {
            "Encrypted": root.encrypted,
            "DeleteOnTermination": True,
            "VolumeSize": root.size_gib or image_size,
        }
        if root.kms_key is not None:
            ebs["KmsKeyId"] = self.id(root.kms_key)
        return {"DeviceName": device, "Ebs": ebs}

    def volume(self, v: _Volume) -> None:
        ec2 = self.client("ec2", v.region)
        az = v.az if v.attach_to is None else self.extra[(INSTANCE, v.attach_to.name)]
        args: dict[str, Any] = {
            "AvailabilityZone": az,
            "Size": v.size_gib,
            "Encrypted": v.encrypted,
            "TagSpecifications": _ec2_tags("volume", v.name, v.tags),
        }
        if v.kms_key is not None:
            args["KmsKeyId"] = self.id(v.kms_key)
        with self.step(VOLUME, v.name):
            volume_id = ec2.create_volume(**args)["VolumeId"]
            self.record(VOLUME, v.name, v.region, volume_id)
            if v.attach_to is not None:
                ec2.attach_volume(VolumeId=volume_id, InstanceId=self.id(v.attach_to), Device=v.device)

    def database(self, d: _Database) -> None:
        rds = self.client("rds", d.region)
        group = f"{d.name}-subnets"
        with self.step(DB_INSTANCE, d.name):
            rds.create_db_subnet_group(
                DBSubnetGroupName=group,
                DBSubnetGroupDescription=f"subnets of {d.name}",
                SubnetIds=[self.id(s) for s in d.subnets],
            )
            self.record(DB_SUBNET_GROUP, group, d.region, group)
            args: dict[str, Any] = {
                "DBInstanceIdentifier": d.name,
                "Engine": d.engine,
                "DBInstanceClass": d.instance_class,
                "AllocatedStorage": d.storage_gib,
                "MasterUsername": "demo_admin",
                "MasterUserPassword": PLACEHOLDER_SECRET,
                "StorageEncrypted": d.encrypted,
                "PubliclyAccessible": d.publicly_accessible,
                "DBSubnetGroupName": group,
                "VpcSecurityGroupIds": [self.id(g) for g in d.security_groups],
                "Tags": _kv(d.tags),
            }
            if d.engine_version:
                args["EngineVersion"] = d.engine_version
            if d.backup_retention_days is not None:
                args["BackupRetentionPeriod"] = d.backup_retention_days
            if d.deletion_protection:
                args["DeletionProtection"] = True
            if d.iam_auth:
                args["EnableIAMDatabaseAuthentication"] = True
            if d.ca_certificate:
                args["CACertificateIdentifier"] = d.ca_certificate
            if d.kms_key is not None:
                args["KmsKeyId"] = self.id(d.kms_key)
            arn = rds.create_db_instance(**args)["DBInstance"]["DBInstanceArn"]
        self.record(DB_INSTANCE, d.name, d.region, arn)

    # --- logging, APIs, secrets, detection ---------------------------------------------------

    def trail(self, t: _Trail) -> None:
        ct = self.client("cloudtrail", t.region)
        args: dict[str, Any] = {
            "Name": t.name,
            "S3BucketName": t.bucket.name,
            "IsMultiRegionTrail": t.multi_region,
            "EnableLogFileValidation": t.log_file_validation,
            "IncludeGlobalServiceEvents": t.include_global_service_events,
        }
        if t.kms_key is not None:
            args["KmsKeyId"] = self.id(t.kms_key)
        if t.tags:
            args["TagsList"] = _kv(t.tags)
        with self.step(TRAIL, t.name):
            if t.cloudwatch_log_group is not None:
                args["CloudWatchLogsLogGroupArn"] = self.log_group(t.region, t.cloudwatch_log_group)
                args["CloudWatchLogsRoleArn"] = t.cloudwatch_role_arn
            arn = ct.create_trail(**args)["TrailARN"]
            if t.logging:
                ct.start_logging(Name=arn)
        self.record(TRAIL, t.name, t.region, arn)

    def log_group(self, region: str, name: str, kms_key: _Ref | None = None) -> str:
        """Create a CloudWatch log group once and return its ARN (the form trails and stages take)."""
        if (LOG_GROUP, f"{region}:{name}") not in self.ids:
            logs = self.client("logs", region)
            extra = {"kmsKeyId": self.id(kms_key)} if kms_key is not None else {}
            logs.create_log_group(logGroupName=name, **extra)
            arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
            self.record(LOG_GROUP, f"{region}:{name}", region, arn.removesuffix(":*"))
        return self.ids[(LOG_GROUP, f"{region}:{name}")]

    def rest_api(self, a: _RestApi) -> None:
        ag = self.client("apigateway", a.region)
        with self.step(REST_API, a.name):
            api_id = ag.create_rest_api(name=a.name, endpointConfiguration={"types": ["REGIONAL"]}, tags=a.tags)["id"]
            self.record(REST_API, a.name, a.region, api_id)
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
                self.record(REST_AUTHORIZER, f"{a.name}/{auth.name}", a.region, authorizers[auth.name])
            resources = {r["path"]: r["id"] for r in ag.get_resources(restApiId=api_id)["items"]}
            for m in a.methods:
                verb, _, path = m.key.partition(" ")
                resource_id = self.rest_resource(ag, api_id, resources, path)
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
                self.record(REST_METHOD, f"{a.name} {m.key}", a.region, f"{api_id}/{resource_id}/{verb}")
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
                                "value": self.log_group(a.region, stage.access_log_group),
                            },
                            {
                                "op": "replace",
                                "path": "/accessLogSettings/format",
                                "value": ACCESS_LOG_FORMAT,
                            },
                        ],
                    )
                self.record(REST_STAGE, f"{a.name}/{stage.name}", a.region, f"{api_id}/{stage.name}")

    def rest_resource(self, ag: Any, api_id: str, resources: dict[str, str], path: str) -> str:
        if path in resources:
            return resources[path]
        parent, _, part = path.rstrip("/").rpartition("/")
        parent_id = self.rest_resource(ag, api_id, resources, parent or "/")
        resources[path] = ag.create_resource(restApiId=api_id, parentId=parent_id, pathPart=part)["id"]
        return resources[path]

    def http_api(self, a: _HttpApi) -> None:
        v2 = self.client("apigatewayv2", a.region)
        with self.step(HTTP_API, a.name):
            api_id = v2.create_api(Name=a.name, ProtocolType="HTTP", Tags=a.tags)["ApiId"]
            self.record(HTTP_API, a.name, a.region, api_id)
            authorizers: dict[str, str] = {}
            for auth in a.authorizers:
                authorizers[auth.name] = v2.create_authorizer(
                    ApiId=api_id,
                    Name=auth.name,
                    AuthorizerType="JWT",
                    IdentitySource=list(auth.identity_source),
                    JwtConfiguration={"Issuer": auth.issuer, "Audience": list(auth.audience)},
                )["AuthorizerId"]
                self.record(HTTP_AUTHORIZER, f"{a.name}/{auth.name}", a.region, authorizers[auth.name])
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
                self.record(HTTP_ROUTE, f"{a.name} {r.key}", a.region, route_id)
            for stage in a.stages:
                args = {"ApiId": api_id, "StageName": stage.name, "AutoDeploy": stage.auto_deploy}
                if stage.access_log_group is not None:
                    args["AccessLogSettings"] = {
                        "DestinationArn": self.log_group(a.region, stage.access_log_group),
                        "Format": ACCESS_LOG_FORMAT,
                    }
                v2.create_stage(**args)
                self.record(HTTP_STAGE, f"{a.name}/{stage.name}", a.region, f"{api_id}/{stage.name}")

    def secret(self, s: _Secret) -> None:
        sm = self.client("secretsmanager", s.region)
        args: dict[str, Any] = {
            "Name": s.name,
            "Description": s.description,
            "SecretString": PLACEHOLDER_SECRET,
            "Tags": _kv(s.tags),
        }
        if s.kms_key is not None:
            args["KmsKeyId"] = self.id(s.kms_key)
        with self.step(SECRET, s.name):
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
        self.record(SECRET, s.name, s.region, arn)

    # --- edge, monitoring, data stores, builds -----------------------------------------------

    def web_acl(self, w: _WebAcl) -> None:
        waf = self.client("wafv2", w.region)
        visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": w.name}
        with self.step(WEB_ACL, w.name):
            args: dict[str, Any] = {
                "Name": w.name,
                "Scope": w.scope,
                "DefaultAction": {"Allow": {}} if w.default_action == "allow" else {"Block": {}},
                "VisibilityConfig": visibility,
            }
            if w.tags:
                args["Tags"] = _kv(w.tags)
            arn = waf.create_web_acl(**args)["Summary"]["ARN"]
            self.record(WEB_ACL, w.name, w.region, arn)
            for balancer in w.protects:
                waf.associate_web_acl(WebACLArn=arn, ResourceArn=self.id(balancer))
            if w.log_group is not None:
                config: dict[str, Any] = {
                    "ResourceArn": arn,
                    "LogDestinationConfigs": [self.log_group(w.region, w.log_group, w.log_kms_key)],
                }
                if w.redact:
                    config["RedactedFields"] = [{"SingleHeader": {"Name": h}} for h in w.redact]
                waf.put_logging_configuration(LoggingConfiguration=config)

    def topic(self, t: _Topic) -> None:
        sns = self.client("sns", t.region)
        with self.step(SNS_TOPIC, t.name):
            args: dict[str, Any] = {"Name": t.name}
            if t.kms_key is not None:
                args["Attributes"] = {"KmsMasterKeyId": self.id(t.kms_key)}
            if t.tags:
                args["Tags"] = _kv(t.tags)
            arn = sns.create_topic(**args)["TopicArn"]
            # AWS leaves an email subscription pending until someone follows the link; the
            # emulator confirms it at once, which is what a working alarm chain looks like.
            for protocol, endpoint in t.subscriptions:
                sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
        self.record(SNS_TOPIC, t.name, t.region, arn)

    def metric_filter(self, m: _MetricFilter) -> None:
        with self.step(METRIC_FILTER, m.name):
            self.log_group(m.region, m.log_group)  # usually a trail's, made already
            self.client("logs", m.region).put_metric_filter(
                logGroupName=m.log_group,
                filterName=m.name,
                filterPattern=m.pattern,
                metricTransformations=[{"metricName": m.metric, "metricNamespace": m.namespace, "metricValue": "1"}],
            )
        self.record(METRIC_FILTER, m.name, m.region, f"{m.log_group}:{m.name}")
        self.extra[(METRIC_FILTER, m.name)] = (m.namespace, m.metric)

    def alarm(self, a: _Alarm) -> None:
        cw = self.client("cloudwatch", a.region)
        namespace, metric = self.extra[(METRIC_FILTER, a.metric_filter.name)]
        with self.step(ALARM, a.name):
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
                AlarmActions=[self.id(t) for t in a.notify],
            )
            arn = cw.describe_alarms(AlarmNames=[a.name])["MetricAlarms"][0]["AlarmArn"]
        self.record(ALARM, a.name, a.region, arn)

    def queue(self, q: _Queue) -> None:
        sqs = self.client("sqs", q.region)
        # New queues get SSE-SQS by default, as on AWS: "none" has to switch it off.
        attributes = {"SqsManagedSseEnabled": "true" if q.encryption == "sqs" else "false"}
        if q.kms_key is not None:
            attributes = {"KmsMasterKeyId": self.id(q.kms_key)}
        with self.step(QUEUE, q.name):
            url = sqs.create_queue(QueueName=q.name, Attributes=attributes, tags=q.tags)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.record(QUEUE, q.name, q.region, arn)

    def table(self, t: _Table) -> None:
        dynamodb = self.client("dynamodb", t.region)
        args: dict[str, Any] = {
            "TableName": t.name,
            "AttributeDefinitions": [{"AttributeName": t.key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": t.key, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if t.kms_key is not None:
            args["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": self.id(t.kms_key)}
        if t.tags:
            args["Tags"] = _kv(t.tags)
        with self.step(TABLE, t.name):
            arn = dynamodb.create_table(**args)["TableDescription"]["TableArn"]
            if t.pitr:
                dynamodb.update_continuous_backups(
                    TableName=t.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
                )
        self.record(TABLE, t.name, t.region, arn)

    def cache(self, c: _Cache) -> None:
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
            "Tags": _kv(c.tags),
        }
        if c.kms_key is not None:
            args["KmsKeyId"] = self.id(c.kms_key)
        if c.auth_token:
            args["AuthToken"] = PLACEHOLDER_SECRET
        with self.step(CACHE, c.name):
            arn = self.client("elasticache", c.region).create_replication_group(**args)["ReplicationGroup"]["ARN"]
        self.record(CACHE, c.name, c.region, arn)

    def project(self, p: _Project) -> None:
        source: dict[str, Any] = {"type": p.source_type}
        if p.source_location is not None:
            source["location"] = p.source_location
        variables = [
            {"name": v.name, "type": v.type, "value": v.value if v.secret is None else v.secret.name}
            for v in p.environment
        ]
        with self.step(BUILD_PROJECT, p.name):
            arn = self.client("codebuild", p.region).create_project(
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
        self.record(BUILD_PROJECT, p.name, p.region, arn)

    def elastic_ip(self, e: _ElasticIp) -> None:
        with self.step(ELASTIC_IP, e.name):
            allocation = self.client("ec2", e.region).allocate_address(
                Domain="vpc", TagSpecifications=_ec2_tags("elastic-ip", e.name, e.tags)
            )["AllocationId"]
        self.record(ELASTIC_IP, e.name, e.region, allocation)

    def distribution(self, d: _Distribution) -> None:
        origins = []
        for o in d.origins:
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
            origins.append(origin)
        default, *ordered = [self.cache_behaviour(b) for b in d.behaviours]
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
        with self.step(DISTRIBUTION, d.name):
            if d.certificate is not None:
                # CloudFront takes its certificates from ACM in us-east-1 only.
                viewer = {
                    "ACMCertificateArn": self.certificate(GLOBAL_REGION, d.certificate),
                    "SSLSupportMethod": "sni-only",
                    "MinimumProtocolVersion": d.minimum_protocol_version,
                }
            config["ViewerCertificate"] = viewer
            if d.web_acl is not None:
                config["WebACLId"] = self.id(d.web_acl)
            tags = {"Items": _kv({"Name": d.name, **d.tags})}
            arn = self.client("cloudfront", GLOBAL_REGION).create_distribution_with_tags(
                DistributionConfigWithTags={"DistributionConfig": config, "Tags": tags}
            )["Distribution"]["ARN"]
        self.record(DISTRIBUTION, d.name, "", arn)

    def cache_behaviour(self, b: _Behaviour) -> dict[str, Any]:
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

    def region_settings(self, r: _Region) -> None:
        if r.guardduty:
            with self.step(DETECTOR, r.name):
                detector = self.client("guardduty", r.name).create_detector(Enable=True)["DetectorId"]
            self.record(DETECTOR, r.name, r.name, detector)
        ec2 = self.client("ec2", r.name)
        if r.ebs_encryption_by_default:
            with self.step("region", r.name):
                ec2.enable_ebs_encryption_by_default()
        if r.ebs_default_kms_key is not None:
            with self.step("region", r.name):
                ec2.modify_ebs_default_kms_key_id(KmsKeyId=self.id(r.ebs_default_kms_key))


def _kv(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _cf_list(items: list[Any]) -> dict[str, Any]:
    """CloudFront's list shape: a count, and the items only when there are some."""
    return {"Quantity": len(items), "Items": items} if items else {"Quantity": 0}


def _ec2_tags(resource_type: str, name: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": _kv({"Name": name, **tags})}]


def seed_estate(path: Path, endpoint_url: str) -> SeedReport:
    """Create the estate described in `path` at `endpoint_url` (credentials from the environment)."""
    estate = load_estate(path)
    started = time.perf_counter()
    seeder = _Seeder(estate, endpoint_url)
    seeder.run()
    return SeedReport(str(path), endpoint_url, tuple(seeder.created), round(time.perf_counter() - started, 3))


__all__ = ["SeedReport", "SeededResource", "load_estate", "seed_estate"]
