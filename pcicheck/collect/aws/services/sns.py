"""SNS topics (aws.sns.topic): server-side encryption and who is subscribed.

ListTopics names them; GetTopicAttributes per topic says whether a KMS key encrypts messages at
rest; ListSubscriptionsByTopic counts the confirmed subscriptions by protocol, so an alarm's topic
can be shown to reach someone. Endpoints (email addresses, URLs with tokens, phone numbers) are
never kept: only protocol counts. A failed read leaves its attributes absent, never null or zero.
Tags are not read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import FAILED, CollectContext, ResourceReads, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.sns.topic",
    "SNS topic; uid = its ARN (tags are not read)",
    arn="string: topic ARN",
    name="string: topic name",
    kms_key_id="string?: KMS key id/ARN/alias; null when server-side encryption is off",
    fifo="bool",
    confirmed_subscriptions="int: confirmed subscriptions (pending ones are not counted)",
    subscription_protocols="map: protocol → confirmed count ('email', 'https', 'sqs', ...); endpoints are never kept",
)
SUBSCRIPTIONS = ("confirmed_subscriptions", "subscription_protocols")
# What ListSubscriptionsByTopic shows instead of an ARN for a subscription nobody has confirmed.
_UNCONFIRMED = ("PendingConfirmation", "Deleted")


def _subscriptions(reads: ResourceReads, sns: Any, arn: str) -> Any:
    """{protocol: confirmed count} over every page; FAILED if any page could not be read."""
    protocols: Counter[str] = Counter()
    kwargs: dict[str, Any] = {"TopicArn": arn}
    while True:
        page = reads.get(sns, "list_subscriptions_by_topic", SUBSCRIPTIONS, **kwargs)
        if page is FAILED:
            return FAILED
        for sub in page.get("Subscriptions") or ():
            if str(sub.get("SubscriptionArn", "")).startswith("arn:"):
                protocols[str(sub.get("Protocol", ""))] += 1
        token = page.get("NextToken")
        if not token:
            return dict(sorted(protocols.items()))
        kwargs["NextToken"] = token


def collect(ctx: CollectContext) -> Iterator[Resource]:
    sns = ctx.client()
    listing = ctx.action(sns, "list_topics")
    for topic in ctx.pages(sns, "list_topics", "Topics"):
        arn = str(topic["TopicArn"])
        name = arn.rsplit(":", 1)[-1]
        reads = ResourceReads(ctx, arn, TYPE.name, {listing})
        answer = reads.get(sns, "get_topic_attributes", ("kms_key_id", "fifo"), TopicArn=arn)
        attributes = {
            "arn": arn,
            "name": name,
            "kms_key_id": FAILED,
            "fifo": FAILED,
            **dict.fromkeys(SUBSCRIPTIONS, FAILED),
        }
        if answer is not FAILED:
            values = answer.get("Attributes") or {}
            # The attribute is present only when server-side encryption is on.
            attributes["kms_key_id"] = values.get("KmsMasterKeyId") or None
            attributes["fifo"] = values.get("FifoTopic") == "true"
        protocols = _subscriptions(reads, sns, arn)
        if protocols is not FAILED:
            attributes["confirmed_subscriptions"] = sum(protocols.values())
            attributes["subscription_protocols"] = protocols
        yield reads.resource(name, attributes)


SPEC = ServiceSpec(
    name="sns",
    client="sns",
    regional=True,
    types=(TYPE,),
    permissions=("sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTopics"),
    collect=collect,
)
