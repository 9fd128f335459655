"""SNS topics (aws.sns.topic): server-side encryption.

ListTopics names them; GetTopicAttributes per topic says whether a KMS key encrypts messages at
rest. A failed attributes read leaves `kms_key_id` absent, never null. Tags are not read.
"""

from __future__ import annotations

from collections.abc import Iterator

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.model import Resource

TYPE = "aws.sns.topic"


def collect(ctx: CollectContext) -> Iterator[Resource]:
    sns = ctx.client()
    listing = ctx.action(sns, "list_topics")
    for topic in ctx.pages(sns, "list_topics", "Topics"):
        arn = str(topic["TopicArn"])
        name = arn.rsplit(":", 1)[-1]
        reads = ResourceReads(ctx, arn, TYPE, {listing})
        answer = reads.get(sns, "get_topic_attributes", ("kms_key_id", "fifo"), TopicArn=arn)
        attributes = {"arn": arn, "name": name, "kms_key_id": FAILED, "fifo": FAILED}
        if answer is not FAILED:
            values = answer.get("Attributes") or {}
            # The attribute is present only when server-side encryption is on.
            attributes["kms_key_id"] = values.get("KmsMasterKeyId") or None
            attributes["fifo"] = values.get("FifoTopic") == "true"
        yield ctx.resource(type=TYPE, uid=arn, name=name, attributes=attributes, source=reads.source)


SPEC = ServiceSpec(
    name="sns",
    client="sns",
    regional=True,
    resource_types=(TYPE,),
    permissions=("sns:GetTopicAttributes", "sns:ListTopics"),
    collect=collect,
)
