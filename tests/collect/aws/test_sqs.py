"""SQS collector against the moto server: SSE-KMS, SSE-SQS and unencrypted queues, and a refused
attributes read leaving encryption unknown rather than "off"."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.sqs import ENCRYPTION, SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_sqs_queues(client: Any, run_service: Any) -> None:
    sqs = client("sqs", REGION)
    sqs.create_queue(QueueName="cards", Attributes={"KmsMasterKeyId": "alias/cards"}, tags={"pci-scope": "cde"})
    sqs.create_queue(QueueName="managed", Attributes={"SqsManagedSseEnabled": "true"})
    sqs.create_queue(QueueName="plain", Attributes={"SqsManagedSseEnabled": "false"})
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    cards = by_name["cards"]
    assert (cards.uid, cards.tags) == (f"arn:aws:sqs:{REGION}:123456789012:cards", {"pci-scope": "cde"})
    assert set(cards.attributes) == set(resource_types()["aws.sqs.queue"].attributes)
    assert violations(cards) == []  # kinds and nullability as declared
    assert (cards.attributes["kms_key_id"], cards.attributes["fifo"]) == ("alias/cards", False)
    managed = by_name["managed"].attributes
    assert (managed["kms_key_id"], managed["sqs_managed_sse"]) == (None, True)
    plain = by_name["plain"].attributes
    assert (plain["kms_key_id"], plain["sqs_managed_sse"]) == (None, False)
    assert cards.source == ("sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:ListQueues")
    assert set(calls) == set(SPEC.permissions)


def test_sqs_attributes_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    client("sqs").create_queue(QueueName="cards")
    [queue], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.sqs.GetQueueAttributes": deny("x")})
    assert not set(ENCRYPTION) & set(queue.attributes)
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (queue.uid, ENCRYPTION)
