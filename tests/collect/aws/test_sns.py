"""SNS collector against the moto server: an encrypted and a plain topic, and a refused
attributes read leaving the key unknown rather than "off"."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.sns import SPEC
from pcicheck.resource_types import TYPES

REGION = "eu-west-1"


def test_sns_topics(client: Any, run_service: Any) -> None:
    sns = client("sns", REGION)
    sealed = sns.create_topic(Name="payments", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    sns.create_topic(Name="plain")
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    assert by_name["payments"].uid == sealed
    assert by_name["payments"].attributes == {
        "arn": sealed,
        "name": "payments",
        "kms_key_id": "alias/aws/sns",
        "fifo": False,
    }
    assert set(by_name["payments"].attributes) == set(TYPES["aws.sns.topic"].attributes)
    assert by_name["plain"].attributes["kms_key_id"] is None
    assert set(calls) == set(SPEC.permissions)


def test_sns_attributes_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    arn = client("sns").create_topic(Name="payments")["TopicArn"]
    [topic], ctx = run_with_hooks(
        aws, SPEC, {"before-parameter-build.sns.GetTopicAttributes": deny("GetTopicAttributes")}
    )
    assert "kms_key_id" not in topic.attributes
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (arn, ("kms_key_id", "fifo"))
