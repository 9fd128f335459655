"""ACM certificates (aws.acm.certificate): status, validity window and what uses them.

ListCertificates returns only RSA-2048 certificates unless other key types are asked for, so every
key type is named; DescribeCertificate per certificate gives the fields the evidence shows. A failed
describe leaves those fields absent, with a CollectionError naming the certificate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec, iso
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.acm.certificate",
    "ACM certificate; uid = its ARN",
    arn="string: certificate ARN",
    domain_name="string?",
    status="string: 'ISSUED'|'PENDING_VALIDATION'|'EXPIRED'|'REVOKED'|'FAILED'|'INACTIVE'|'VALIDATION_TIMED_OUT'",
    type="string: 'AMAZON_ISSUED'|'IMPORTED'|'PRIVATE'",
    not_before="timestamp?: null when not issued",
    not_after="timestamp?: null when not issued",
    in_use_by="list: sorted ARNs of the resources using it",
    renewal_eligibility="string?: 'ELIGIBLE'|'INELIGIBLE'",
    key_algorithm="string?: e.g. 'RSA_2048'",
)
_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]
_DESCRIBED = ("status", "type", "not_before", "not_after", "in_use_by", "renewal_eligibility", "key_algorithm")


def collect(ctx: CollectContext) -> Iterator[Resource]:
    acm = ctx.client()
    listing = ctx.action(acm, "list_certificates")
    for summary in ctx.pages(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": _KEY_TYPES}):
        arn = str(summary["CertificateArn"])
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        described = reads.get(acm, "describe_certificate", _DESCRIBED, CertificateArn=arn)
        cert: dict[str, Any] = {} if described is FAILED else described.get("Certificate") or {}
        attributes: dict[str, Any] = {"arn": arn, "domain_name": summary.get("DomainName")}
        if described is FAILED:
            attributes.update(dict.fromkeys(_DESCRIBED, FAILED))
        else:
            attributes.update(
                {
                    "status": cert.get("Status", FAILED),
                    "type": cert.get("Type", FAILED),
                    # Null until the certificate is issued (pending validation, failed, revoked early).
                    "not_before": iso(cert.get("NotBefore")),
                    "not_after": iso(cert.get("NotAfter")),
                    "in_use_by": sorted(cert.get("InUseBy") or ()),
                    "renewal_eligibility": cert.get("RenewalEligibility"),
                    "key_algorithm": cert.get("KeyAlgorithm"),
                }
            )
        yield reads.resource(str(summary.get("DomainName") or arn), attributes)


SPEC = ServiceSpec(
    name="acm",
    client="acm",
    regional=True,
    types=(TYPE,),
    permissions=("acm:DescribeCertificate", "acm:ListCertificates"),
    collect=collect,
)
