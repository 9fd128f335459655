"""The resource types pcicheck knows and the attributes each carries.

This is the contract between collectors (which fill `attributes`) and controls (which read
them in CEL). Every control names one of these types; the catalog rejects any other.
Attribute values are JSON: strings, numbers, booleans, lists, maps, or null. `null` means
"read, and not configured" (e.g. a bucket with no policy). An attribute that could not be
read is *absent*, and the engine turns any control that touches it into `error`.
Timestamps are ISO-8601 UTC strings ("2024-01-31T12:00:00Z"): compare with `timestamp(x)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    name: str
    description: str
    attributes: dict[str, str]


def _t(name: str, description: str, /, **attributes: str) -> ResourceType:
    return ResourceType(name, description, attributes)


_SG_RULE = (
    "list of {protocol ('tcp'|'udp'|'icmp'|'-1' for all), from_port, to_port (int; -1/null when all), "
    "cidrs [ipv4], ipv6_cidrs [ipv6], prefix_lists [ids], groups [sg ids], description}"
)

TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        _t(
            "aws.account",
            "Account-wide settings (one per account, region '')",
            account_id="12-digit account id",
            password_policy="map {minimum_length, require_symbols, require_numbers, require_uppercase, "
            "require_lowercase, max_age_days (int|null), reuse_prevention (int|null), expire_passwords, "
            "allow_users_to_change} or null when the account has no policy",
            s3_public_access_block="map {block_public_acls, ignore_public_acls, block_public_policy, "
            "restrict_public_buckets} or null when not configured",
            root_mfa_enabled="bool: the root user has an MFA device (IAM account summary AccountMFAEnabled)",
            root_access_keys_present="bool: the root user has access keys (AccountAccessKeysPresent)",
            root_virtual_mfa="bool: a virtual (authenticator app) MFA device is assigned to the root user "
            "(ListVirtualMFADevices; only serial numbers and assigned users are read)",
        ),
        _t(
            "aws.region",
            "Per-region settings (one per account and scanned region)",
            ebs_encryption_by_default="bool",
            ebs_default_kms_key_id="string key id/ARN/alias or null",
        ),
        _t(
            "aws.s3.bucket",
            "S3 bucket",
            creation_date="timestamp",
            encryption="map {algorithm ('AES256'|'aws:kms'|'aws:kms:dsse'), kms_key_id (string|null), "
            "bucket_key_enabled} or null when no default encryption is configured",
            public_access_block="map {block_public_acls, ignore_public_acls, block_public_policy, "
            "restrict_public_buckets} or null",
            policy="the bucket policy document (map) or null",
            policy_is_public="bool (S3's own policy-status verdict; false when no policy)",
            secure_transport_enforced="bool: policy denies requests with aws:SecureTransport=false",
            acl_public="bool: the ACL grants AllUsers or AuthenticatedUsers",
            versioning="'Enabled'|'Suspended'|'Disabled'",
            mfa_delete="bool",
            logging_target="target bucket name or null when server access logging is off",
            replication="list of rules {id (string|null), enabled (bool), whole_bucket (bool: no prefix, tag or "
            "size filter), destination_bucket (bucket ARN), destination_account (account id|null)}, or null "
            "when the bucket has no replication configuration",
            lifecycle="list of rules {id (string|null), enabled (bool), whole_bucket (bool: no prefix, tag or size "
            "filter), expiration_days (int|null: current objects expire after N days), noncurrent_expiration_days "
            "(int|null)}, or null when the bucket has no lifecycle configuration",
        ),
        _t(
            "aws.kms.key",
            "KMS key (customer- and AWS-managed)",
            key_id="key id",
            arn="key ARN",
            manager="'CUSTOMER'|'AWS'",
            state="'Enabled'|'Disabled'|'PendingDeletion'|'PendingImport'|...",
            key_spec="e.g. 'SYMMETRIC_DEFAULT'",
            key_usage="e.g. 'ENCRYPT_DECRYPT'",
            origin="'AWS_KMS'|'EXTERNAL'|'AWS_CLOUDHSM'|...",
            description="string",
            creation_date="timestamp",
            multi_region="bool",
            rotation_enabled="bool (null for asymmetric/HMAC keys, where rotation is not supported)",
            rotation_period_days="int or null",
            next_rotation_date="timestamp or null",
            aliases="list of alias names ('alias/…')",
        ),
        _t(
            "aws.ec2.security_group",
            "EC2/VPC security group",
            group_id="sg-…",
            group_name="string",
            vpc_id="vpc-…",
            description="string",
            is_default="bool: the VPC's 'default' group",
            ingress=_SG_RULE,
            egress=_SG_RULE,
            attached_enis="int: network interfaces using the group",
        ),
        _t(
            "aws.ec2.instance",
            "EC2 instance",
            instance_id="i-…",
            state="'running'|'stopped'|…",
            instance_type="string",
            image_id="ami-…",
            vpc_id="vpc-… or null",
            subnet_id="subnet-… or null",
            public_ip="string or null",
            private_ip="string or null",
            security_groups="list of sg ids",
            iam_instance_profile="ARN or null",
            imdsv2_required="bool: MetadataOptions.HttpTokens == 'required'",
            launch_time="timestamp",
        ),
        _t(
            "aws.ec2.volume",
            "EBS volume",
            volume_id="vol-…",
            state="string",
            encrypted="bool",
            kms_key_id="ARN or null",
            size_gib="int",
            attached_instances="list of instance ids",
        ),
        _t(
            "aws.ec2.vpc",
            "VPC",
            vpc_id="vpc-…",
            cidr_blocks="list of ipv4 CIDRs",
            is_default="bool",
            flow_logs="list of {id, status, traffic_type ('ALL'|'ACCEPT'|'REJECT'), destination_type}",
        ),
        _t(
            "aws.ec2.subnet",
            "VPC subnet",
            subnet_id="subnet-…",
            vpc_id="vpc-…",
            cidr="ipv4 CIDR",
            availability_zone="string",
            map_public_ip_on_launch="bool",
            route_table_id="the associated (or the VPC's main) route table id",
            routes_to_internet_gateway="bool: its route table sends 0.0.0.0/0 or ::/0 to an igw-",
        ),
        _t(
            "aws.ec2.route_table",
            "VPC route table",
            route_table_id="rtb-…",
            vpc_id="vpc-…",
            main="bool",
            subnet_ids="list of explicitly associated subnet ids",
            routes="list of {destination (CIDR or prefix list), target_type ('gateway'|'nat'|'peering'|"
            "'transit_gateway'|'instance'|'interface'|'local'|'endpoint'|'other'), target, state}",
        ),
        _t(
            "aws.ec2.network_acl",
            "VPC network ACL",
            network_acl_id="acl-…",
            vpc_id="vpc-…",
            is_default="bool",
            subnet_ids="list of subnet ids",
            entries="list of {rule_number, egress (bool), protocol ('-1'|'6'|'17'|…), action ('allow'|"
            "'deny'), cidr (ipv4|null), ipv6_cidr (|null), from_port, to_port (null when all)}",
        ),
        _t(
            "aws.rds.instance",
            "RDS DB instance",
            db_instance_identifier="string",
            engine="string",
            engine_version="string",
            status="string",
            storage_encrypted="bool",
            kms_key_id="ARN or null",
            publicly_accessible="bool",
            multi_az="bool",
            backup_retention_days="int",
            auto_minor_version_upgrade="bool",
            iam_auth_enabled="bool",
            deletion_protection="bool",
            vpc_id="vpc-… or null",
            subnet_ids="list of subnet ids (its DB subnet group)",
            security_groups="list of sg ids",
            port="int or null",
            ca_certificate_identifier="string or null",
            master_username="string: the master (administrator) user name; for Aurora, the cluster's",
        ),
        _t(
            "aws.iam.user",
            "IAM user",
            user_name="string",
            arn="ARN",
            create_date="timestamp",
            console_access="bool: has a login profile (password)",
            mfa_enabled="bool: at least one MFA device",
            password_last_used="timestamp or null",
            access_keys="list of {id (redacted to its last 4 chars), status ('Active'|'Inactive'), "
            "create_date, last_used_date (timestamp|null)}",
            attached_policies="list of managed policy ARNs attached directly",
            inline_policies="list of inline policy names",
            groups="list of group names",
            admin="bool: an attached, inline or group policy allows Action '*' on Resource '*'",
        ),
        _t(
            "aws.iam.policy",
            "Customer-managed IAM policy (default version)",
            policy_name="string",
            arn="ARN",
            attachment_count="int",
            document="the default version's policy document (map)",
            allows_full_admin="bool: a statement allows Action '*' on Resource '*'",
        ),
        _t(
            "aws.iam.role",
            "IAM role (global); uid = its ARN. Tags are the role's own (ListRoleTags)",
            role_name="string",
            arn="ARN",
            path="string, e.g. '/' or '/aws-service-role/…' for service-linked roles",
            create_date="timestamp",
            trust_policy="the trust (assume-role) policy document (map)",
            trust_principals="sorted list of 'Type:value' for each principal an Allow statement of the trust "
            "policy names ('Service:lambda.amazonaws.com', 'AWS:<arn>', 'Federated:<provider>'), or '*'",
            trust_allows_tag_session="bool: an Allow statement of the trust policy admits sts:TagSession "
            "(conditions not weighed)",
            inline_policies="list of {name, document (map)} sorted by name",
            attached_policies="sorted list of attached managed policy ARNs (documents: aws.iam.policy)",
        ),
        _t(
            "aws.cloudtrail.trail",
            "CloudTrail trail (collected in its home region)",
            trail_arn="ARN",
            home_region="string",
            is_multi_region="bool",
            is_organization_trail="bool",
            log_file_validation="bool",
            kms_key_id="ARN or null",
            is_logging="bool (GetTrailStatus)",
            s3_bucket="string",
            cloudwatch_logs_log_group_arn="ARN or null",
            include_global_service_events="bool",
            s3_data_events="null when the trail records no S3 object-level data events, else map {all_buckets "
            "(bool: reads and writes of every object in every bucket, nothing excluded), reads and writes (lists "
            "of {prefix (object-ARN prefix; 'arn:aws:s3:::' is every bucket), excluding (object-ARN prefixes left "
            "out)}), partial_selectors (int: selectors that record S3 object events only for some event names, "
            "identities or exact keys; they add no prefix)}; absent when the selectors could not be read or judged",
        ),
        _t(
            "aws.apigateway.method",
            "API Gateway REST API method (one per resource path and HTTP verb)",
            api_id="string",
            api_name="string",
            path="resource path, e.g. '/payments/{id}'",
            http_method="GET|POST|…|ANY|OPTIONS",
            authorization_type="'NONE'|'AWS_IAM'|'CUSTOM'|'COGNITO_USER_POOLS'",
            authorizer="map {id, name, type ('TOKEN'|'REQUEST'|'COGNITO_USER_POOLS'), identity_source} or null",
            api_key_required="bool",
            endpoint_types="list, e.g. ['REGIONAL']",
        ),
        _t(
            "aws.apigateway.stage",
            "API Gateway REST API stage",
            api_id="string",
            api_name="string",
            stage_name="string",
            client_certificate_id="string or null",
            web_acl_arn="ARN or null",
            access_log_destination="ARN or null",
            method_logging_level="'OFF'|'ERROR'|'INFO' (the '*/*' method setting; 'OFF' when unset)",
            tracing_enabled="bool",
            cache_encrypted="bool",
        ),
        _t(
            "aws.apigatewayv2.route",
            "API Gateway HTTP/WebSocket API route",
            api_id="string",
            api_name="string",
            protocol="'HTTP'|'WEBSOCKET'",
            route_key="e.g. 'POST /payments' or '$default'",
            authorization_type="'NONE'|'JWT'|'AWS_IAM'|'CUSTOM'",
            authorizer="map {id, name, type ('JWT'|'REQUEST'), issuer (string|null), audience [strings], "
            "identity_source [strings]} or null",
            authorization_scopes="list of strings",
        ),
        _t(
            "aws.apigatewayv2.stage",
            "API Gateway HTTP/WebSocket API stage",
            api_id="string",
            api_name="string",
            stage_name="string",
            access_log_destination="ARN or null",
            auto_deploy="bool",
        ),
        _t(
            "aws.secretsmanager.secret",
            "Secrets Manager secret (metadata only: values are never read)",
            arn="ARN",
            description="string",
            kms_key_id="key id/ARN/alias or null (null = the AWS-managed aws/secretsmanager key)",
            rotation_enabled="bool",
            rotation_days="int or null (RotationRules.AutomaticallyAfterDays)",
            last_rotated_date="timestamp or null",
            next_rotation_date="timestamp or null",
            last_accessed_date="timestamp or null",
            created_date="timestamp or null",
        ),
        _t(
            "aws.guardduty.detector",
            "GuardDuty detector",
            detector_id="string",
            status="'ENABLED'|'DISABLED'",
            finding_publishing_frequency="string",
        ),
        _t(
            "aws.eks.cluster",
            "EKS cluster (DescribeCluster); uid = cluster ARN",
            name="cluster name",
            arn="cluster ARN",
            version="Kubernetes minor version string, e.g. '1.31'",
            status="'CREATING'|'ACTIVE'|'DELETING'|'FAILED'|'UPDATING'|'PENDING'",
            endpoint="API server endpoint URL or null (not yet created)",
            endpoint_public_access="bool",
            endpoint_private_access="bool",
            public_access_cidrs="list of CIDRs allowed to reach the public endpoint",
            secrets_encryption_key_arn="KMS key ARN of the encryptionConfig entry whose resources include "
            "'secrets', or null when secrets envelope encryption with a KMS key is not configured",
            logging_enabled_types="sorted list of enabled control-plane log types "
            "('api'|'audit'|'authenticator'|'controllerManager'|'scheduler')",
            vpc_id="string or null",
            subnet_ids="sorted list of subnet ids",
            security_group_ids="sorted list of additional security group ids",
            cluster_security_group_id="string or null",
            kms_key_id="same as secrets_encryption_key_arn (resolved into facts.kms_key_uid)",
        ),
        _t(
            "aws.elbv2.load_balancer",
            "Elastic Load Balancing v2 load balancer (application, network or gateway); uid = its ARN",
            arn="load balancer ARN",
            name="load balancer name",
            type="'application'|'network'|'gateway'",
            scheme="'internet-facing'|'internal'",
            ip_address_type="'ipv4'|'dualstack'|'dualstack-without-public-ipv4'",
            state="'active'|'provisioning'|'active_impaired'|'failed'",
            vpc_id="vpc-… or null",
            subnet_ids="sorted list of the subnets it has nodes in",
            security_groups="sorted list of sg ids ([] for a network or gateway load balancer without groups)",
            dns_name="string or null",
            listeners="list of {port, protocol ('HTTP'|'HTTPS'|'TCP'|'TLS'|'UDP'|'TCP_UDP'|'GENEVE'), ssl_policy "
            "(string|null; null unless HTTPS/TLS), certificate_arns [ARNs], default_actions [{type ('forward'|"
            "'redirect'|'fixed-response'|'authenticate-oidc'|'authenticate-cognito'), redirect_protocol "
            "(string|null)}]}, sorted by port",
            access_logs_enabled="bool (null for a gateway load balancer)",
            desync_mitigation_mode="'monitor'|'defensive'|'strictest' (null unless application)",
            web_acl_arn="ARN of the WAFv2 web ACL associated with it, or null (always null unless application)",
        ),
        _t(
            "aws.elb.load_balancer",
            "Classic Load Balancer (Elastic Load Balancing v1); uid = its ARN (…:loadbalancer/<name>)",
            arn="load balancer ARN",
            name="load balancer name",
            scheme="'internet-facing'|'internal'",
            dns_name="string or null",
            vpc_id="vpc-… or null (EC2-Classic)",
            subnet_ids="sorted list of the subnets it has nodes in",
            security_groups="sorted list of sg ids",
            availability_zones="sorted list of zone names",
            listeners="list of {port, protocol ('HTTP'|'HTTPS'|'TCP'|'SSL'), instance_port, instance_protocol, "
            "certificate_id (ACM or IAM server certificate ARN, or null), policy_names [names], ssl_policy (the "
            "predefined policy its SSL negotiation policy references, else that policy's name; null unless "
            "HTTPS/SSL or without one), ssl_protocols (sorted enabled protocols, e.g. ['TLSv1.2'], or null: not "
            "HTTPS/SSL, no negotiation policy, or one naming no protocol)}, sorted by port; ssl_policy and "
            "ssl_protocols are left out of HTTPS/SSL listeners when the policies could not be read",
            instance_ids="sorted list of registered instance ids",
            access_logs_enabled="bool",
            access_logs_bucket="S3 bucket name or null",
            idle_timeout_seconds="int (connection settings)",
            desync_mitigation_mode="'monitor'|'defensive'|'strictest'",
        ),
        _t(
            "aws.autoscaling.group",
            "EC2 Auto Scaling group; uid = its ARN",
            arn="group ARN",
            name="group name",
            health_check_types="sorted list of 'EC2'|'ELB'|'EBS'|'VPC_LATTICE' (HealthCheckType, split on commas)",
            health_check_grace_period="int seconds or null",
            load_balancer_names="sorted list of attached Classic Load Balancer names",
            target_group_arns="sorted list of attached ELBv2 target group ARNs",
            traffic_sources="list of {identifier, type ('elb'|'elbv2'|'vpc-lattice')}, sorted by type",
            subnet_ids="sorted list of subnet ids (VPCZoneIdentifier; [] when placed by zone only)",
            availability_zones="sorted list of zone names",
            launch_configuration_name="string or null",
            launch_template="map {id, name, version, mixed_instances (bool: through a mixed-instances policy)} or null",
            min_size="int",
            max_size="int",
            desired_capacity="int",
            instance_ids="sorted list of instance ids in the group",
        ),
        _t(
            "aws.acm.certificate",
            "ACM certificate; uid = its ARN",
            arn="certificate ARN",
            domain_name="string",
            status="'ISSUED'|'PENDING_VALIDATION'|'EXPIRED'|'REVOKED'|'FAILED'|'INACTIVE'|'VALIDATION_TIMED_OUT'",
            type="'AMAZON_ISSUED'|'IMPORTED'|'PRIVATE'",
            not_before="timestamp or null (not issued)",
            not_after="timestamp or null (not issued)",
            in_use_by="sorted list of ARNs of the resources using it",
            renewal_eligibility="'ELIGIBLE'|'INELIGIBLE' or null",
            key_algorithm="e.g. 'RSA_2048'",
        ),
        _t(
            "aws.logs.log_group",
            "CloudWatch Logs log group; uid = its ARN (tags are not read)",
            name="log group name",
            arn="log group ARN",
            retention_days="int, or null when events never expire",
            kms_key_id="KMS key ARN or null (encrypted with a service-owned key)",
            log_group_class="'STANDARD'|'INFREQUENT_ACCESS'|'DELIVERY'",
        ),
        _t(
            "aws.logs.metric_filter",
            "CloudWatch Logs metric filter; uid = <log group ARN>:metric-filter:<name> (filters have no ARN)",
            name="filter name",
            log_group_name="the log group it reads",
            log_group_arn="that log group's ARN (without the ':*' suffix)",
            filter_pattern="the filter pattern, as written",
            metric_transformations="list of {namespace, name}: the metrics it publishes",
        ),
        _t(
            "aws.cloudwatch.alarm",
            "CloudWatch metric alarm; uid = its ARN (tags are not read)",
            name="alarm name",
            arn="alarm ARN",
            namespace="metric namespace, or null for a metric-math alarm",
            metric_name="metric name, or null for a metric-math alarm",
            metrics="list of {namespace, name} a metric-math alarm reads (empty otherwise)",
            alarm_actions="list of ARNs notified or run on ALARM (SNS topics, scaling policies, ...)",
            actions_enabled="bool: actions run when the state changes",
            state="'OK'|'ALARM'|'INSUFFICIENT_DATA'",
        ),
        _t(
            "aws.sns.topic",
            "SNS topic; uid = its ARN (tags are not read)",
            arn="topic ARN",
            name="topic name",
            kms_key_id="KMS key id/ARN/alias, or null when server-side encryption is off",
            fifo="bool",
            confirmed_subscriptions="int: confirmed subscriptions (pending ones are not counted)",
            subscription_protocols="map protocol → confirmed count ('email', 'https', 'sqs', ...); "
            "endpoints are never kept",
        ),
        _t(
            "aws.tagging.resource",
            "A tagged resource of any service, from the Resource Groups Tagging API; "
            "uid aws://<account>/<region>/tagging/<arn>; tags = its tags",
            arn="the resource's ARN",
            service="ARN service ('ec2', 's3', 'kms', ...)",
            resource_type="the kind in the ARN ('instance', 'key', ...), or null (S3 buckets)",
        ),
        _t(
            "aws.efs.file_system",
            "EFS file system; uid = its ARN",
            file_system_id="fs-…",
            arn="file system ARN",
            encrypted="bool",
            kms_key_id="KMS key ARN or null",
            life_cycle_state="'creating'|'available'|'updating'|'deleting'|'deleted'|'error'",
            creation_time="timestamp",
        ),
        _t(
            "aws.opensearch.domain",
            "OpenSearch Service domain (OpenSearch or Elasticsearch engine); uid = its ARN (tags are not read)",
            domain_name="string",
            arn="domain ARN",
            engine_version="e.g. 'OpenSearch_2.11' or 'Elasticsearch_7.10'",
            deleted="bool (deletion in progress)",
            encrypted_at_rest="bool",
            kms_key_id="KMS key id/ARN or null",
            node_to_node_encryption="bool",
            enforce_https="bool",
            tls_security_policy="e.g. 'Policy-Min-TLS-1-2-2019-07', or null",
            vpc_subnet_ids="sorted list of subnet ids; empty for a domain with a public endpoint",
            fine_grained_access="bool (advanced security options enabled)",
            audit_logs_enabled="bool (AUDIT_LOGS published to a CloudWatch log group)",
            application_logs_enabled="bool (ES_APPLICATION_LOGS, the error log, published to CloudWatch)",
        ),
        _t(
            "aws.redshift.cluster",
            "Redshift provisioned cluster; uid = its ARN",
            cluster_identifier="string",
            arn="cluster ARN",
            cluster_status="e.g. 'available'",
            publicly_accessible="bool",
            encrypted="bool",
            kms_key_id="KMS key ARN or null",
            vpc_id="vpc-… or null (EC2-Classic)",
            create_time="timestamp",
            logging_enabled="bool (audit logging on)",
            log_destination_type="'s3'|'cloudwatch', or null when logging is off",
        ),
        _t(
            "aws.lambda.function",
            "Lambda function ($LATEST); uid = its ARN",
            function_name="string",
            arn="function ARN",
            runtime="e.g. 'python3.12', or null (container image)",
            package_type="'Zip'|'Image'",
            subnet_ids="sorted list of subnet ids; empty when not attached to a VPC",
            vpc_id="vpc-… or null",
            last_modified="timestamp string as AWS reports it",
            has_policy="bool (a resource-based policy exists)",
            public_policy_statements="list of Sids (or positions) of Allow statements open to principal '*' "
            "without an aws:Source*/aws:Principal* account, ARN or organisation condition",
        ),
        _t(
            "aws.ec2.snapshot",
            "EBS snapshot owned by the scanned account; uid = its ARN",
            snapshot_id="snap-…",
            volume_id="vol-… it was taken from",
            state="'pending'|'completed'|'error'|'recoverable'|'recovering'",
            encrypted="bool",
            kms_key_id="KMS key ARN or null",
            start_time="timestamp",
            public="bool (createVolumePermission includes the group 'all')",
            shared_with_accounts="sorted list of account ids allowed to create volumes from it",
        ),
        _t(
            "aws.rds.snapshot",
            "RDS DB or cluster snapshot owned by the scanned account; uid = its ARN",
            snapshot_identifier="string",
            arn="snapshot ARN",
            kind="'instance'|'cluster'",
            source_identifier="DB instance or cluster identifier it was taken from",
            snapshot_type="'manual'|'automated'|'awsbackup'|…",
            engine="e.g. 'postgres', 'aurora-mysql'",
            status="e.g. 'available'",
            encrypted="bool",
            kms_key_id="KMS key ARN, or null when not encrypted",
            create_time="timestamp",
            public="bool (the restore attribute includes 'all'; false for automated snapshots, which AWS cannot share)",
            shared_with_accounts="sorted list of account ids allowed to restore it",
        ),
        _t(
            "aws.dynamodb.table",
            "DynamoDB table; uid = its ARN",
            table_name="string",
            arn="table ARN",
            table_status="'CREATING'|'ACTIVE'|'UPDATING'|'DELETING'|…",
            sse_type="'KMS', or null when the AWS-owned key encrypts it",
            kms_key_arn="KMS key ARN or null",
            kms_key_manager="'CUSTOMER'|'AWS' (the AWS-managed aws/dynamodb key), or null without a KMS key",
            pitr_enabled="bool (point-in-time recovery)",
        ),
        _t(
            "aws.ec2.address",
            "Elastic IP address; uid = arn:…:ec2:<region>:<account>:elastic-ip/<allocation id, or the public IP "
            "for EC2-Classic>",
            allocation_id="eipalloc-… or null (EC2-Classic)",
            public_ip="the public IPv4 address",
            domain="'vpc'|'standard'",
            association_id="eipassoc-… or null when not associated (EC2-Classic addresses have none)",
            instance_id="i-… it is associated with, or null",
            network_interface_id="eni-… it is associated with, or null",
            private_ip="the private IPv4 address it maps to, or null",
            public_ipv4_pool="'amazon' or a BYOIP pool id, or null",
        ),
        _t(
            "aws.sqs.queue",
            "SQS queue; uid = its ARN",
            name="queue name",
            arn="queue ARN",
            url="queue URL",
            kms_key_id="KMS key id/ARN/alias (SSE-KMS), or null",
            sqs_managed_sse="bool (SSE-SQS, encryption with SQS-owned keys)",
            fifo="bool",
        ),
        _t(
            "aws.cloudfront.distribution",
            "CloudFront distribution (global, region ''); uid = its ARN",
            id="distribution id",
            arn="distribution ARN",
            domain_name="*.cloudfront.net host name",
            aliases="list of alternate domain names (CNAMEs)",
            enabled="bool",
            behaviours="list of {path ('*' for the default behaviour), origin (target origin id), viewer_protocol "
            "('allow-all'|'redirect-to-https'|'https-only')}",
            origins="list of {id, domain, kind ('s3'|'custom'), protocol_policy ('http-only'|'match-viewer'|"
            "'https-only', null for S3), ssl_protocols [e.g. 'TLSv1.2'; empty for S3]}",
            default_certificate="bool: viewers get the *.cloudfront.net certificate (no custom certificate)",
            certificate="ACM certificate ARN or IAM certificate id, or null",
            minimum_protocol_version="viewer security policy, e.g. 'TLSv1.2_2021'; null with the default certificate",
            ssl_support_method="'sni-only'|'vip'|'static-ip', or null",
            web_acl_id="associated WAF web ACL (ARN for WAFv2), or null",
            logging_enabled="bool (standard access logs)",
            logging_bucket="log bucket domain, or null",
        ),
        _t(
            "aws.sagemaker.notebook_instance",
            "SageMaker notebook instance; uid = its ARN",
            notebook_instance_name="notebook instance name",
            arn="notebook instance ARN",
            status="'Pending'|'InService'|'Stopping'|'Stopped'|'Failed'|'Deleting'|'Updating'",
            creation_time="timestamp",
            kms_key_id="KMS key id/ARN encrypting the ML storage volume, or null (AWS-owned key)",
            direct_internet_access="'Enabled'|'Disabled' (internet access through the SageMaker service VPC)",
            subnet_id="subnet-… or null (no VPC attachment: runs in the SageMaker service VPC)",
            security_groups="sorted list of sg ids ([] without a VPC attachment)",
            root_access="'Enabled'|'Disabled' (users get root on the notebook instance)",
            instance_type="ML instance type, e.g. 'ml.t3.medium'",
            role_arn="ARN of the IAM role the notebook assumes",
        ),
        _t(
            "aws.emr.cluster",
            "EMR cluster in an active state (terminated clusters are not listed); uid = its ARN",
            cluster_id="j-…",
            cluster_name="cluster name",
            arn="cluster ARN",
            state="'STARTING'|'BOOTSTRAPPING'|'RUNNING'|'WAITING'|'TERMINATING'",
            creation_time="timestamp",
            release_label="e.g. 'emr-6.10.0', or null (AMI-versioned clusters)",
            instance_collection_type="'INSTANCE_GROUP'|'INSTANCE_FLEET'",
            subnet_id="subnet-… the nodes run in, or null",
            master_security_groups="sorted list of sg ids on the master (EMR-managed and additional)",
            security_configuration="security configuration name, or null",
            master_public_dns_name="MasterPublicDnsName as EMR reports it (the private name in a private "
            "subnet), or null",
            master_instance_count="int: live (not terminated) master instances listed",
            master_public_ips="sorted list of the public IPv4 addresses of the live master instances ([] when none)",
        ),
        _t(
            "aws.dms.replication_instance",
            "DMS replication instance; uid = its ARN",
            replication_instance_identifier="identifier",
            arn="replication instance ARN",
            status="e.g. 'available'",
            instance_class="e.g. 'dms.t3.medium'",
            publicly_accessible="bool",
            kms_key_id="KMS key id/ARN encrypting its storage (always set by AWS), or null",
            engine_version="string or null",
            multi_az="bool",
            auto_minor_version_upgrade="bool",
            vpc_id="vpc-… of its replication subnet group, or null",
            subnet_ids="sorted list of subnet ids of its replication subnet group",
            security_groups="sorted list of VPC sg ids",
            create_time="timestamp or null",
        ),
        _t(
            "aws.codebuild.project",
            "CodeBuild project; uid = its ARN. No secret value is ever stored: names and booleans only",
            name="project name",
            arn="project ARN",
            source_type="primary source type: 'GITHUB'|'BITBUCKET'|'CODECOMMIT'|'S3'|'CODEPIPELINE'|'NO_SOURCE'|…",
            sources="list of {identifier ('primary' or the sourceIdentifier), type, location (credentials "
            "removed; null when none, or when it could not be parsed), auth_type (or null), "
            "url_credentials (bool: the location carried user information or credential-like query values)}",
            sources_with_url_credentials="list of source identifiers whose location carried credentials",
            plaintext_credential_env="names of PLAINTEXT environment variables whose name or value looks like a "
            "credential (values are never stored)",
        ),
        _t(
            "aws.wafv2.web_acl",
            "WAFv2 web ACL (REGIONAL in each region, CLOUDFRONT from us-east-1); uid = its ARN",
            name="web ACL name",
            id="web ACL id",
            arn="web ACL ARN",
            scope="'REGIONAL'|'CLOUDFRONT'",
            log_destinations="list of log destination ARNs (CloudWatch Logs, S3, Firehose), or null without logging",
            log_redacted_fields="fields kept out of the logs ('SingleHeader:authorization', 'QueryString', …), "
            "or null without logging",
        ),
        _t(
            "aws.elasticache.replication_group",
            "ElastiCache (Redis OSS / Valkey) replication group; uid = its ARN",
            replication_group_id="string",
            arn="replication group ARN",
            engine="'redis'|'valkey', or null when the API does not say",
            status="'available'|'creating'|'modifying'|…",
            snapshot_retention_limit="int: days automatic backups are kept (0: automatic backups off)",
            automatic_failover="'enabled'|'disabled'|'enabling'|'disabling'",
            at_rest_encryption_enabled="bool",
            kms_key_id="KMS key id/ARN for encryption at rest, or null (AWS-owned key or none)",
            transit_encryption_enabled="bool (TLS)",
            transit_encryption_mode="'required'|'preferred' (plaintext still accepted), "
            "or null (set before modes existed)",
            auth_token_enabled="bool (Redis AUTH token)",
        ),
        _t(
            "aws.config.region",
            "AWS Config in one scanned region (one per region, even with no recorder); uid aws://<account>/<region>/config",
            region="region name",
            recorders="list of {name, all_supported (bool), include_global_resource_types (bool), recording (bool), "
            "last_status ('SUCCESS'|'FAILURE'|'PENDING'|null)}",
        ),
        # --- Kubernetes -------------------------------------------------------------------------
        # uid k8s://<cluster>/<namespace or _cluster>/<Kind>/<name>; account = cluster name,
        # region = namespace ('' for cluster-scoped kinds); tags = the object's labels. Live clusters
        # and manifest files produce the same records (the API server's meaningful defaults applied).
        _t(
            "k8s.cluster",
            "The cluster a live scan talked to (one per scanned cluster; not produced from files)",
            server="API server URL",
            version="gitVersion the server reported",
            context="kubeconfig context or null (in-cluster)",
        ),
        _t(
            "k8s.namespace",
            "Namespace",
            labels="map of labels (always includes kubernetes.io/metadata.name)",
            pod_security="map {enforce, enforce_version, audit, warn}: values of the "
            "pod-security.kubernetes.io/* labels, each null when unset",
        ),
        _t(
            "k8s.workload",
            "A pod, or the pod template of a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob "
            "(live pods owned by a controller are not repeated)",
            kind="'Pod'|'Deployment'|'StatefulSet'|'DaemonSet'|'ReplicaSet'|'Job'|'CronJob'",
            pod_labels="map: the pod's (template's) labels",
            service_account="string ('default' when unset)",
            automount_token="bool or null (pod spec automountServiceAccountToken; null = not set)",
            host_network="bool",
            host_pid="bool",
            host_ipc="bool",
            node_name="string or null",
            node_selector="map",
            host_path_volumes="list of host paths mounted through hostPath volumes",
            containers="list of {name, init (bool), image, privileged (bool), allow_privilege_escalation "
            "(bool|null; null = not set, which Linux treats as true), run_as_non_root (bool|null, container "
            "setting else pod's), run_as_user (int|null, container else pod), read_only_root_filesystem "
            "(bool), capabilities_add [names, upper case without CAP_], capabilities_drop [names], "
            "host_ports [ints], ports [{name, port, protocol}], credential_env [names of env vars whose "
            "name or literal value looks like a credential; values are never stored], secret_env [names of "
            "env vars taken from a Secret]}",
            pod_ip="the Pod's IP (status.podIP) or null (templates, pending pods)",
        ),
        _t(
            "k8s.pod",
            "Every Pod (controller-made too) as a network endpoint for reachability; controls judge "
            "k8s.workload instead",
            pod_name="string",
            ips="list of the pod's IPs (status.podIPs / podIP)",
            node_name="string or null",
            host_network="bool",
            ports="list of {name, port, protocol} of all its containers",
        ),
        _t(
            "k8s.service",
            "Service",
            service_type="'ClusterIP'|'NodePort'|'LoadBalancer'|'ExternalName'",
            selector="map (empty: selects no pods)",
            ports="list of {name, port, target_port (int or name), protocol, node_port (int|null)}",
            load_balancer_source_ranges="list of CIDRs",
            external_ips="list",
        ),
        _t(
            "k8s.ingress",
            "Ingress (networking.k8s.io/v1)",
            ingress_class="string or null",
            hosts="list of the rules' hosts ('*' for a rule without host)",
            tls_hosts="list of hosts named in spec.tls",
            tls_complete="bool: spec.tls is set and every rule host is covered by it",
        ),
        _t(
            "k8s.network_policy",
            "NetworkPolicy (networking.k8s.io/v1), with policyTypes defaulted as the API server does",
            pod_selector="label selector map {match_labels, match_expressions}",
            policy_types="list of 'Ingress'/'Egress' (defaulted)",
            ingress="list of rules {from: [peers], ports: [{protocol (defaulted TCP), port, end_port}]}; "
            "absent 'from'/'ports' are [] (= all)",
            egress="list of rules {to: [peers], ports: [...]}",
            default_deny_ingress="bool: empty pod selector, Ingress in policy_types and no ingress rules",
            default_deny_egress="bool: empty pod selector, Egress in policy_types and no egress rules",
        ),
        _t(
            "k8s.service_account",
            "ServiceAccount",
            automount_token="bool or null (null = not set, which means true)",
        ),
        _t(
            "k8s.role",
            "Role",
            rules="list of {api_groups, resources, verbs, resource_names, non_resource_urls}",
        ),
        _t(
            "k8s.cluster_role",
            "ClusterRole",
            rules="list of {api_groups, resources, verbs, resource_names, non_resource_urls}",
            aggregated="bool: has an aggregationRule",
        ),
        _t(
            "k8s.role_binding",
            "RoleBinding",
            role_ref="map {kind ('Role'|'ClusterRole'), name}",
            subjects="list of {kind ('User'|'Group'|'ServiceAccount'), name, namespace (string|null)}",
        ),
        _t(
            "k8s.cluster_role_binding",
            "ClusterRoleBinding",
            role_ref="map {kind, name}",
            subjects="list of {kind, name, namespace}",
        ),
        _t("k8s.resource_quota", "ResourceQuota", hard="map of resource name → quantity string"),
        _t("k8s.limit_range", "LimitRange", limits="list of {type, default, default_request, max, min}"),
        _t(
            "k8s.node",
            "Node",
            labels="map",
            taints="list of {key, value, effect}",
            kubelet_version="string or null",
            internal_ips="list of the node's InternalIP addresses",
            pod_namespaces="sorted namespaces of the pods scheduled on the node (spec.nodeName), controller-made "
            "pods included",
        ),
        _t(
            "k8s.configmap",
            "ConfigMap (keys only; values are never stored)",
            keys="list of data and binaryData keys",
            credential_keys="list of keys whose name or value looks like a credential",
        ),
        _t(
            "k8s.secret",
            "Secret (names, type and keys only; values are never read)",
            secret_type="string",
            keys="list of data keys",
        ),
    )
}

# Facts the analyze stage adds under `resource.facts` (available to every control):
FACTS = {
    "scope": "'cde' or 'non-cde' (Kubernetes objects: from their namespace's labels)",
    "scope_reason": "why: the tag or parent (VPC/subnet) that put it in the CDE, or 'no CDE marker'",
    "tenant": "tenant id (from the tenant tag, or inherited from the VPC/subnet) or null",
    "kms_key_uid": "uid of the KMS key the resource's kms_key_id/encryption names, resolved through "
    "aliases, or null when it names none or a key not in the snapshot",
    "kms_key_tenant": "the tenant tag of that KMS key, or null (no key, key not in the snapshot, untagged key)",
    "kms_key_manager": "that key's manager ('CUSTOMER'|'AWS'), or null when there is no resolved key",
    "key_user_count": "KMS keys only: how many resources in the snapshot name this key",
    "key_tenants": "KMS keys only: the distinct tenants of those resources (null for untenanted ones)",
    "key_other_tenant_users": "KMS keys only: up to 20 {uid, type, tenant} of them whose tenant differs from the key's",
    "network_policy_count": "Kubernetes namespaces only: NetworkPolicies in the namespace",
    "default_deny_ingress": "Kubernetes namespaces only: a policy selects every pod and allows no ingress",
    "default_deny_egress": "Kubernetes namespaces only: a policy selects every pod and allows no egress",
    "has_resource_quota": "Kubernetes namespaces only: a ResourceQuota exists in it",
    "has_limit_range": "Kubernetes namespaces only: a LimitRange exists in it",
    "eks_cluster_uid": "k8s.cluster only: the aws.eks.cluster whose endpoint is this API server, when both "
    "were scanned, else null",
    "k8s_cluster_uid": "aws.eks.cluster only: the scanned k8s.cluster served at its endpoint, else null",
    "pod_scopes": "Kubernetes nodes only: the distinct scopes ('cde'/'non-cde') of the namespaces its pods run in",
    # AWS network reachability (pcicheck/analyze/aws_reach/) on aws.ec2.instance, aws.rds.instance,
    # aws.elbv2.load_balancer, aws.elb.load_balancer and aws.eks.cluster. A verdict is 'allowed', or 'possible' where
    # something could not be read or is not visible (prefix lists, transit gateways, IPv6 addresses);
    # null means the resource's own placement is unknown. Paths name each rule passed, e.g.
    # "rtb-1 0.0.0.0/0 → igw-1", "acl-1 inbound rule 100 allow", "sg-1 ingress tcp 443 from 0.0.0.0/0".
    "internet_ingress": "AWS: list of {ports ('443/tcp', '8000-8010/tcp', 'all/udp', 'icmp'), verdict, path} on "
    "which some internet address can open connections to it ([] when none), or null. Kubernetes (k8s.workload): "
    "list of texts naming what admits addresses outside the cluster (not isolated for ingress, a rule without "
    "'from', an ipBlock holding internet addresses, hostNetwork)",
    "reachable_from_internet": "AWS: true if some port is allowed from the internet, null if only possible or "
    "unknown, false if none",
    "internet_egress": "aws.ec2.instance only: list of {ports, verdict, path} on which it can open connections to "
    "the internet (through an internet gateway with its public IP, a NAT gateway, …), or null",
    "non_cde_sources": "AWS, CDE resources only: list of non-CDE sources that can reach it: {source (subnet-… "
    "meaning any address in it, or sg-… meaning the resources holding a group its rules name), uid, type, name, "
    "tenant, ports, verdict, path; for groups also members (up to 10 uids), member_count, member_tenants}; "
    "null when its placement is unknown. Kubernetes (k8s.workload, any scope): the non-CDE namespaces with a "
    "pod that can reach one of its pods on some port, as {namespace, verdict}",
    "other_tenant_sources": "AWS, resources with a tenant only: the same entries, for sources whose tenant is "
    "another (subnets) or held by resources of another tenant (groups, see member_tenants). Kubernetes "
    "(k8s.workload, k8s.namespace of a tenant): {namespace, verdict, tenant} for namespaces of another tenant",
    "connected_to_cde": "AWS, non-CDE resources only: links that put it in PCI scope as connected-to, one per CDE "
    "peer {direction ('to-cde'|'from-cde'), peer (uid), peer_type, ports, verdict, via (path)}, at most 10 per "
    "direction; [] when none, null when its placement is unknown. Kubernetes (non-CDE k8s.workload): "
    "{direction, peer (the CDE namespace), verdict}",
    "ingress_sources": "k8s.workload only: every namespace with a pod that can reach one of its pods on some "
    "port (NetworkPolicy reachability, both directions), as {namespace, verdict ('allowed'|'possible')}",
    "internet_egress_cidrs": "k8s.workload only: CIDRs holding internet addresses its egress policies admit "
    "(0.0.0.0/0 and ::/0 when not isolated for egress, a rule has no 'to', or it uses hostNetwork)",
    "any_namespace_ingress": "k8s.workload only: NetworkPolicies selecting it whose ingress admits every "
    "namespace (namespaceSelector: {}), including ones created later",
    "label_selected_ingress": "k8s.workload only: NetworkPolicies selecting it whose ingress selects namespaces "
    "by a label other than kubernetes.io/metadata.name (settable by anyone who may label namespaces)",
    "internet_routes": "aws.ec2.subnet only: routes of its table whose destination holds internet addresses, "
    "as {destination, kind ('igw'|'nat'|'eigw'|'tgw'|'peering'|'vgw'|'endpoint'|'instance'|'interface'|…), "
    "target}; null when the table is unknown",
}


def known(type_name: str) -> bool:
    return type_name in TYPES
