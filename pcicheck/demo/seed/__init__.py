"""Build an AWS estate from a declarative YAML file, with real boto3 calls against an endpoint.

The demo and the tests describe an estate once, in YAML with logical names, and this package
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
values (a cache's AUTH token) are the package's placeholder, never taken from the file; a CodeBuild
PLAINTEXT variable takes its value from the file, so give only obvious placeholders there.

Where things are: `records` (kinds and the parsed records); reading the file: `fields` (typed,
line-aware reads), `parser` (declarations and references), `load` (the file in order) and
`parse_account`, `parse_network`, `parse_services`; creating it: `seeder` (clients, ids, errors),
`apply` (the order) and `create_account`, `create_network`, `create_services`; `report` (what was made).
"""

from __future__ import annotations

from pcicheck.demo.seed.apply import seed_estate
from pcicheck.demo.seed.create_services import ACCESS_LOG_FORMAT
from pcicheck.demo.seed.load import load_estate
from pcicheck.demo.seed.parse_network import DEFAULT_IMAGE
from pcicheck.demo.seed.records import (
    ACCESS_KEY,
    ALARM,
    BUCKET,
    BUILD_PROJECT,
    CACHE,
    CERTIFICATE,
    DB_INSTANCE,
    DB_SUBNET_GROUP,
    DETECTOR,
    DISTRIBUTION,
    ELASTIC_IP,
    FLOW_LOG,
    GLOBAL_REGION,
    HTTP_API,
    HTTP_AUTHORIZER,
    HTTP_ROUTE,
    HTTP_STAGE,
    IAM_GROUP,
    IAM_POLICY,
    IAM_USER,
    INSTANCE,
    INTERNET_GATEWAY,
    KMS_ALIAS,
    KMS_KEY,
    LOAD_BALANCER,
    LOG_GROUP,
    METRIC_FILTER,
    MFA_DEVICE,
    NACL_ENTRY,
    PEERING,
    QUEUE,
    REST_API,
    REST_AUTHORIZER,
    REST_METHOD,
    REST_STAGE,
    ROUTE_TABLE,
    SECRET,
    SECURITY_GROUP,
    SNS_TOPIC,
    SUBNET,
    TABLE,
    TRAIL,
    VOLUME,
    VPC,
    WEB_ACL,
    Estate,
)
from pcicheck.demo.seed.report import SeededResource, SeedReport
from pcicheck.demo.seed.seeder import PLACEHOLDER_PASSWORD, PLACEHOLDER_SECRET

__all__ = [
    "ACCESS_KEY",
    "ACCESS_LOG_FORMAT",
    "ALARM",
    "BUCKET",
    "BUILD_PROJECT",
    "CACHE",
    "CERTIFICATE",
    "DB_INSTANCE",
    "DB_SUBNET_GROUP",
    "DEFAULT_IMAGE",
    "DETECTOR",
    "DISTRIBUTION",
    "ELASTIC_IP",
    "FLOW_LOG",
    "GLOBAL_REGION",
    "HTTP_API",
    "HTTP_AUTHORIZER",
    "HTTP_ROUTE",
    "HTTP_STAGE",
    "IAM_GROUP",
    "IAM_POLICY",
    "IAM_USER",
    "INSTANCE",
    "INTERNET_GATEWAY",
    "KMS_ALIAS",
    "KMS_KEY",
    "LOAD_BALANCER",
    "LOG_GROUP",
    "METRIC_FILTER",
    "MFA_DEVICE",
    "NACL_ENTRY",
    "PEERING",
    "PLACEHOLDER_PASSWORD",
    "PLACEHOLDER_SECRET",
    "QUEUE",
    "REST_API",
    "REST_AUTHORIZER",
    "REST_METHOD",
    "REST_STAGE",
    "ROUTE_TABLE",
    "SECRET",
    "SECURITY_GROUP",
    "SNS_TOPIC",
    "SUBNET",
    "TABLE",
    "TRAIL",
    "VOLUME",
    "VPC",
    "WEB_ACL",
    "Estate",
    "SeedReport",
    "SeededResource",
    "load_estate",
    "seed_estate",
]
