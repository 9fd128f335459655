"""OpenSearch Service domains (aws.opensearch.domain), both engine types (OpenSearch and Elasticsearch).

ListDomainNames names them; DescribeDomains (at most five names per call) carries encryption, the
endpoint options, VPC placement, fine-grained access control and log publishing. A failed describe
leaves every configuration attribute of its batch absent, so no control can pass on it. Tags are
not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.opensearch.domain",
    "OpenSearch Service domain (OpenSearch or Elasticsearch engine); uid = its ARN (tags are not read)",
    domain_name="string",
    arn="string: domain ARN",
    engine_version="string?: e.g. 'OpenSearch_2.11' or 'Elasticsearch_7.10'",
    deleted="bool: deletion in progress",
    encrypted_at_rest="bool",
    kms_key_id="string?: KMS key id/ARN",
    node_to_node_encryption="bool",
    enforce_https="bool",
    tls_security_policy="string?: e.g. 'Policy-Min-TLS-1-2-2019-07'",
    vpc_subnet_ids="list: sorted subnet ids; empty for a domain with a public endpoint",
    fine_grained_access="bool: advanced security options enabled",
    audit_logs_enabled="bool: AUDIT_LOGS published to a CloudWatch log group",
    application_logs_enabled="bool: ES_APPLICATION_LOGS, the error log, published to CloudWatch",
)
# DescribeDomains rejects more than five domain names in one request.
BATCH = 5
CONFIG = (
    "engine_version",
    "deleted",
    "encrypted_at_rest",
    "kms_key_id",
    "node_to_node_encryption",
    "enforce_https",
    "tls_security_policy",
    "vpc_subnet_ids",
    "fine_grained_access",
    "audit_logs_enabled",
    "application_logs_enabled",
)


def _enabled_log(logs: dict[str, Any], kind: str) -> bool:
    # A log type counts only when it is switched on and has somewhere to go.
    option = logs.get(kind) or {}
    return bool(option.get("Enabled")) and bool(option.get("CloudWatchLogsLogGroupArn"))


def _config(status: dict[str, Any]) -> dict[str, Any]:
    endpoint = status.get("DomainEndpointOptions") or {}
    at_rest = status.get("EncryptionAtRestOptions") or {}
    logs = status.get("LogPublishingOptions") or {}
    return {
        "engine_version": status.get("EngineVersion"),
        "deleted": bool(status.get("Deleted")),
        "encrypted_at_rest": bool(at_rest.get("Enabled")),
        "kms_key_id": at_rest.get("KmsKeyId"),
        "node_to_node_encryption": bool((status.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        "enforce_https": bool(endpoint.get("EnforceHTTPS")),
        "tls_security_policy": endpoint.get("TLSSecurityPolicy"),
        # VPCOptions is present only for VPC domains; a public domain has none (its endpoint is public).
        "vpc_subnet_ids": sorted((status.get("VPCOptions") or {}).get("SubnetIds") or []),
        "fine_grained_access": bool((status.get("AdvancedSecurityOptions") or {}).get("Enabled")),
        "audit_logs_enabled": _enabled_log(logs, "AUDIT_LOGS"),
        "application_logs_enabled": _enabled_log(logs, "ES_APPLICATION_LOGS"),
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "list_domain_names")
    describe = ctx.action(client, "describe_domains")
    names = sorted(str(d["DomainName"]) for d in ctx.pages(client, "list_domain_names", "DomainNames"))
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        failure: Exception | None = None
        statuses: dict[str, dict[str, Any]] = {}
        try:
            answer = ctx.call(client, "describe_domains", DomainNames=batch)
            statuses = {str(s["DomainName"]): s for s in answer.get("DomainStatusList") or ()}
        except Exception as exc:  # any failure leaves the batch's configuration unknown, recorded per domain
            failure = exc
        for name in batch:
            arn = f"arn:{ctx.partition}:es:{ctx.region}:{ctx.account}:domain/{name}"
            status = statuses.get(name)
            if status is not None:
                arn = str(status.get("ARN") or arn)
                attributes: dict[str, Any] = {"domain_name": name, "arn": arn, **_config(status)}
                source = {listing, describe}
            elif failure is not None:
                ctx.record_error(
                    client, "describe_domains", failure, resource_type=TYPE.name, uid=arn, attributes=CONFIG
                )
                attributes = {"domain_name": name, "arn": arn}
                source = {listing}
            else:
                continue  # deleted between the listing and the describe
            yield ctx.resource(type=TYPE.name, uid=arn, name=name, attributes=attributes, source=source)


SPEC = ServiceSpec(
    name="opensearch",
    client="opensearch",
    regional=True,
    types=(TYPE,),
    permissions=("es:DescribeDomains", "es:ListDomainNames"),
    collect=collect,
)
