"""What an estate file declares, once parsed: every field validated, every reference a declared name.

The parser builds these records and the seeder reads them; neither side ever sees raw YAML of the
other. Kinds name what a logical name refers to, and are the pcicheck resource type where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Where the global services are called: IAM, STS, S3 Control, and CloudFront with the ACM certificates
# and web ACLs it reads (which exist nowhere else).
GLOBAL_REGION = "us-east-1"

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


def label(kind: str) -> str:
    """How a kind reads in a message: "aws.ec2.security_group" → "ec2 security group"."""
    return kind.removeprefix("aws.").replace(".", " ").replace("_", " ")


@dataclass(frozen=True)
class Ref:
    kind: str
    name: str
    line: int


@dataclass(frozen=True)
class Rule:
    protocol: str  # AWS form: "tcp" | "udp" | "icmp" | "-1"
    from_port: int | None
    to_port: int | None
    cidrs: tuple[str, ...]
    groups: tuple[Ref, ...]
    description: str | None


@dataclass(frozen=True)
class NaclEntry:
    rule: int
    egress: bool
    protocol: str  # AWS form: "-1" | "6" | "17" | "1"
    from_port: int | None
    to_port: int | None
    cidr: str
    action: str


@dataclass(frozen=True)
class Policy:
    name: str
    line: int
    description: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Group:
    name: str
    line: int
    policies: tuple[Ref | str, ...]  # str: an ARN given verbatim


@dataclass(frozen=True)
class User:
    name: str
    line: int
    console_password: bool
    mfa: bool
    access_keys: int
    policies: tuple[Ref | str, ...]
    groups: tuple[Ref, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class Key:
    name: str
    line: int
    region: str
    description: str
    tags: dict[str, str]
    aliases: tuple[str, ...]
    rotation: bool
    rotation_period_days: int | None


@dataclass(frozen=True)
class Bucket:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    encryption: str | None  # "AES256" | "aws:kms" | None (no default encryption)
    kms_key: Ref | None
    bucket_key: bool
    public_access_block: dict[str, bool] | None
    deny_insecure_transport: bool
    statements: tuple[dict[str, Any], ...]
    versioning: bool
    logging_target: Ref | None
    logging_prefix: str


@dataclass(frozen=True)
class Subnet:
    name: str
    line: int
    vpc: str
    cidr: str
    az: str
    tags: dict[str, str]
    public: bool
    map_public_ip_on_launch: bool


@dataclass(frozen=True)
class SecurityGroup:
    name: str
    line: int
    vpc: str
    description: str
    tags: dict[str, str]
    ingress: tuple[Rule, ...]


@dataclass(frozen=True)
class Vpc:
    name: str
    line: int
    region: str
    cidr: str
    tags: dict[str, str]
    flow_logs_bucket: Ref | None
    flow_logs_log_group: str | None
    flow_logs_role_arn: str | None
    flow_logs_traffic: str
    restrict_default_security_group: bool
    nacl_entries: tuple[NaclEntry, ...]
    subnets: tuple[Subnet, ...]
    security_groups: tuple[SecurityGroup, ...]


@dataclass(frozen=True)
class RootVolume:
    encrypted: bool
    kms_key: Ref | None
    size_gib: int | None


@dataclass(frozen=True)
class Instance:
    name: str
    line: int
    region: str
    subnet: Ref
    security_groups: tuple[Ref, ...]
    instance_type: str
    image: str
    public_ip: bool | None  # None: the subnet's MapPublicIpOnLaunch decides
    http_tokens: str
    root_volume: RootVolume | None  # None: as the AMI and the region's defaults make it
    tags: dict[str, str]


@dataclass(frozen=True)
class Volume:
    name: str
    line: int
    region: str
    size_gib: int
    encrypted: bool
    kms_key: Ref | None
    attach_to: Ref | None
    device: str
    az: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class Database:
    name: str
    line: int
    region: str
    engine: str
    engine_version: str | None
    instance_class: str
    storage_gib: int
    encrypted: bool
    kms_key: Ref | None
    publicly_accessible: bool
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    backup_retention_days: int | None
    deletion_protection: bool
    iam_auth: bool
    ca_certificate: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class Trail:
    name: str
    line: int
    region: str
    bucket: Ref
    multi_region: bool
    log_file_validation: bool
    kms_key: Ref | None
    include_global_service_events: bool
    logging: bool
    cloudwatch_log_group: str | None
    cloudwatch_role_arn: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class Operation:
    """A REST method ("GET /cart") or an HTTP API route ("POST /refunds")."""

    key: str
    line: int
    authorization: str  # REST: NONE | AWS_IAM | CUSTOM; HTTP: NONE | AWS_IAM | JWT
    authorizer: str | None  # the API-local authorizer name
    scopes: tuple[str, ...]
    api_key_required: bool


@dataclass(frozen=True)
class RestAuthorizer:
    name: str
    type: str
    lambda_arn: str
    identity_source: str


@dataclass(frozen=True)
class HttpAuthorizer:
    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_source: tuple[str, ...]


@dataclass(frozen=True)
class Stage:
    name: str
    description: str  # REST only
    auto_deploy: bool  # HTTP only
    access_log_group: str | None


@dataclass(frozen=True)
class RestApi:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    authorizers: tuple[RestAuthorizer, ...]
    methods: tuple[Operation, ...]
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class HttpApi:
    name: str
    line: int
    region: str
    tags: dict[str, str]
    authorizers: tuple[HttpAuthorizer, ...]
    routes: tuple[Operation, ...]
    stages: tuple[Stage, ...]


@dataclass(frozen=True)
class Secret:
    name: str
    line: int
    region: str
    description: str
    kms_key: Ref | None
    tags: dict[str, str]
    rotation_days: int | None
    rotation_lambda_arn: str | None


@dataclass(frozen=True)
class Peering:
    name: str
    line: int
    region: str
    requester: Ref
    accepter: Ref
    routes: tuple[Ref, ...]  # VPCs whose main route table sends the other VPC's CIDR to the peering


@dataclass(frozen=True)
class Listener:
    port: int
    protocol: str  # HTTP | HTTPS
    certificate: str | None  # the domain an ACM certificate is requested for (HTTPS)
    action: str  # fixed-response | redirect-https


@dataclass(frozen=True)
class LoadBalancer:
    name: str
    line: int
    region: str
    scheme: str
    subnets: tuple[Ref, ...]
    security_groups: tuple[Ref, ...]
    listeners: tuple[Listener, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class WebAcl:
    name: str
    line: int
    region: str
    scope: str  # REGIONAL | CLOUDFRONT
    default_action: str  # allow | block
    protects: tuple[Ref, ...]  # load balancers of the region (REGIONAL only)
    log_group: str | None  # CloudWatch Logs destination, named aws-waf-logs-*
    log_kms_key: Ref | None  # encrypts that log group (when this ACL creates it)
    redact: tuple[str, ...]  # header names kept out of the logs
    tags: dict[str, str]


@dataclass(frozen=True)
class Topic:
    name: str
    line: int
    region: str
    kms_key: Ref | None
    subscriptions: tuple[tuple[str, str], ...]  # (protocol, endpoint)
    tags: dict[str, str]


@dataclass(frozen=True)
class MetricFilter:
    name: str
    line: int
    region: str
    log_group: str
    pattern: str
    namespace: str
    metric: str


@dataclass(frozen=True)
class Alarm:
    name: str
    line: int
    region: str
    metric_filter: Ref  # the alarm watches the metric this filter publishes
    notify: tuple[Ref, ...]  # SNS topics
    actions_enabled: bool
    threshold: int


@dataclass(frozen=True)
class Queue:
    name: str
    line: int
    region: str
    encryption: str  # sqs | kms | none
    kms_key: Ref | None
    tags: dict[str, str]


@dataclass(frozen=True)
class Table:
    name: str
    line: int
    region: str
    key: str  # the partition key attribute (a string)
    kms_key: Ref | None  # None: the AWS-owned key
    pitr: bool
    tags: dict[str, str]


@dataclass(frozen=True)
class Cache:
    name: str
    line: int
    region: str
    engine: str
    node_type: str
    nodes: int
    backup_retention_days: int
    at_rest_encryption: bool
    kms_key: Ref | None
    transit_encryption: bool
    auth_token: bool
    tags: dict[str, str]


@dataclass(frozen=True)
class EnvVar:
    name: str
    type: str  # PLAINTEXT | SECRETS_MANAGER | PARAMETER_STORE
    value: str | None  # PLAINTEXT and PARAMETER_STORE
    secret: Ref | None  # SECRETS_MANAGER


@dataclass(frozen=True)
class Project:
    name: str
    line: int
    region: str
    source_type: str
    source_location: str | None
    image: str
    service_role: str
    environment: tuple[EnvVar, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class ElasticIp:
    name: str
    line: int
    region: str
    tags: dict[str, str]


@dataclass(frozen=True)
class Origin:
    id: str
    domain: str | None  # a custom origin's host name
    bucket: Ref | None  # an S3 origin
    protocol: str  # custom origins: https-only | match-viewer | http-only
    ssl_protocols: tuple[str, ...]


@dataclass(frozen=True)
class Behaviour:
    path: str  # "*" is the default behaviour
    origin: str
    viewer_protocol: str


@dataclass(frozen=True)
class Distribution:
    name: str
    line: int
    comment: str
    enabled: bool
    aliases: tuple[str, ...]
    certificate: str | None  # an ACM certificate (us-east-1) is requested for this domain
    minimum_protocol_version: str
    web_acl: Ref | None
    logging_bucket: Ref | None
    logging_prefix: str
    origins: tuple[Origin, ...]
    behaviours: tuple[Behaviour, ...]
    tags: dict[str, str]


@dataclass(frozen=True)
class Region:
    name: str
    line: int
    ebs_encryption_by_default: bool | None
    ebs_default_kms_key: Ref | None
    guardduty: bool
    keys: tuple[Key, ...]
    buckets: tuple[Bucket, ...]
    vpcs: tuple[Vpc, ...]
    instances: tuple[Instance, ...]
    volumes: tuple[Volume, ...]
    databases: tuple[Database, ...]
    trails: tuple[Trail, ...]
    rest_apis: tuple[RestApi, ...]
    http_apis: tuple[HttpApi, ...]
    secrets: tuple[Secret, ...]
    peerings: tuple[Peering, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    web_acls: tuple[WebAcl, ...] = ()
    topics: tuple[Topic, ...] = ()
    metric_filters: tuple[MetricFilter, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    queues: tuple[Queue, ...] = ()
    tables: tuple[Table, ...] = ()
    caches: tuple[Cache, ...] = ()
    projects: tuple[Project, ...] = ()
    elastic_ips: tuple[ElasticIp, ...] = ()


@dataclass(frozen=True)
class Estate:
    path: str
    password_policy: dict[str, Any] | None
    account_public_access_block: dict[str, bool] | None
    policies: tuple[Policy, ...]
    groups: tuple[Group, ...]
    users: tuple[User, ...]
    regions: tuple[Region, ...]
    lines: dict[tuple[str, str], int]  # (kind, logical name) → line, for errors while seeding
    distributions: tuple[Distribution, ...] = ()
