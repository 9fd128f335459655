"""SQS queues (aws.sqs.queue): server-side encryption, SQS-managed (SSE-SQS) or with a KMS key (SSE-KMS).

ListQueues names them; GetQueueAttributes per queue gives the ARN and encryption, ListQueueTags the
tags. A failed attributes read leaves the encryption attributes absent, never "off".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.sqs.queue",
    "SQS queue; uid = its ARN",
    name="string: queue name",
    arn="string: queue ARN",
    url="string: queue URL",
    kms_key_id="string?: KMS key id/ARN/alias (SSE-KMS)",
    sqs_managed_sse="bool: SSE-SQS, encryption with SQS-owned keys",
    fifo="bool",
)
ENCRYPTION = ("kms_key_id", "sqs_managed_sse", "fifo")


def collect(ctx: CollectContext) -> Iterator[Resource]:
    sqs = ctx.client()
    listing = ctx.action(sqs, "list_queues")
    for url in ctx.pages(sqs, "list_queues", "QueueUrls"):
        name = str(url).rstrip("/").rsplit("/", 1)[-1]
        # The ARN follows from region, account and name; building it saves a read that might fail.
        arn = f"arn:{ctx.partition}:sqs:{ctx.region}:{ctx.account}:{name}"
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        attributes: dict[str, Any] = {"name": name, "arn": arn, "url": str(url), **dict.fromkeys(ENCRYPTION, FAILED)}
        answer = reads.get(
            sqs,
            "get_queue_attributes",
            ENCRYPTION,
            QueueUrl=url,
            AttributeNames=["KmsMasterKeyId", "SqsManagedSseEnabled", "FifoQueue"],
        )
        if answer is not FAILED:
            values = answer.get("Attributes") or {}
            # Present only for SSE-KMS; SSE-SQS is a separate flag.
            attributes["kms_key_id"] = values.get("KmsMasterKeyId") or None
            attributes["sqs_managed_sse"] = values.get("SqsManagedSseEnabled") == "true"
            attributes["fifo"] = values.get("FifoQueue") == "true"
        tagged = reads.get(sqs, "list_queue_tags", ("tags",), QueueUrl=url)
        tags = {} if tagged is FAILED else {str(k): str(v) for k, v in (tagged.get("Tags") or {}).items()}
        yield reads.resource(name, attributes, tags)


SPEC = ServiceSpec(
    name="sqs",
    client="sqs",
    regional=True,
    types=(TYPE,),
    permissions=("sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:ListQueues"),
    collect=collect,
)
