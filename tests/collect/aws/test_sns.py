"""SNS collector against the moto server: an encrypted and a plain topic, confirmed subscriptions
counted by protocol (endpoints never kept), and refused reads leaving attributes unknown rather than
"off" or zero."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.sns import SPEC, SUBSCRIPTIONS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_sns_topics(client: Any, run_service: Any) -> None:
    sns = client("sns", REGION)
    sealed = sns.create_topic(Name="payments", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    sns.create_topic(Name="plain")
    for protocol, endpoint in (
        ("email", "soc@example.com"),
        ("email", "oncall@example.com"),
        ("https", "https://hooks.example.com/t0ken"),
    ):
        sns.subscribe(TopicArn=sealed, Protocol=protocol, Endpoint=endpoint)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    assert by_name["payments"].uid == sealed
    assert by_name["payments"].attributes == {
        "arn": sealed,
        "name": "payments",
        "kms_key_id": "alias/aws/sns",
        "fifo": False,
        "confirmed_subscriptions": 3,
        "subscription_protocols": {"email": 2, "https": 1},
    }
    assert set(by_name["payments"].attributes) == set(resource_types()["aws.sns.topic"].attributes)
    assert violations(by_name["payments"]) == []  # kinds and nullability as declared
    assert by_name["plain"].attributes["kms_key_id"] is None
    assert (
        by_name["plain"].attributes["confirmed_subscriptions"],
        by_name["plain"].attributes["subscription_protocols"],
    ) == (0, {})
    assert "example.com" not in repr(resources)  # no endpoint reaches the snapshot
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


def test_subscriptions_paged_and_pending_not_counted(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import run_with_hooks

    sns = client("sns")
    arn = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="soc@example.com")
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    pages = iter(range(3))

    def split(parsed: dict[str, Any], **_: Any) -> None:
        """First answer: one confirmed email and a NextToken; second: the sqs one, unconfirmed."""
        page = next(pages)
        subs = parsed.get("Subscriptions") or []
        if page == 0:
            parsed["Subscriptions"], parsed["NextToken"] = subs[:1], "more"
        else:
            parsed["Subscriptions"] = [{**s, "SubscriptionArn": "PendingConfirmation"} for s in subs[1:]]
            parsed.pop("NextToken", None)

    def follow(params: dict[str, Any], **_: Any) -> None:
        assert params.get("NextToken") in (None, "more")
        params.pop("NextToken", None)  # moto did not issue the token; ask it for everything again

    hooks = {
        "before-parameter-build.sns.ListSubscriptionsByTopic": follow,
        "after-call.sns.ListSubscriptionsByTopic": split,
    }
    [topic], ctx = run_with_hooks(aws, SPEC, hooks)
    assert ctx.errors == []
    assert ctx.calls["sns:ListSubscriptionsByTopic"] == 2
    assert (topic.attributes["confirmed_subscriptions"], topic.attributes["subscription_protocols"]) == (
        1,
        {"email": 1},
    )


def test_subscriptions_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    arn = client("sns").create_topic(Name="alerts")["TopicArn"]
    [topic], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.sns.ListSubscriptionsByTopic": deny("x")})
    assert not set(SUBSCRIPTIONS) & set(topic.attributes)
    assert topic.attributes["kms_key_id"] is None  # the other read still counts
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes) == (arn, SUBSCRIPTIONS)
