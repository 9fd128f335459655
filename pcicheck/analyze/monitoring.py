"""Root-user activity monitoring: is there a chain from CloudTrail to a person?

The chain (CIS 3.3 / Security Hub CloudWatch.1) is: a multi-region trail that is logging sends its
events to a CloudWatch Logs group; a metric filter on that group matches root-user activity; a
metric alarm on the filter's metric, with actions enabled, notifies an SNS topic; and that topic has
at least one confirmed subscription.

Facts:
- `root_usage_pattern` on every aws.logs.metric_filter: its pattern matches every root-user event
  the CIS pattern matches.
- `root_usage_alarms` on every aws.account: the complete chains found, one line each; an empty list
  when there is none; absent when none is complete but one is blocked only by something that could
  not be read (a trail's status, a topic's subscriptions), so the control is `error`, not `fail`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.model import Resource

# The CIS clauses, whitespace and quotes removed: the root user, acting itself (not through an AWS
# service on its behalf), on anything but an AWS service event.
_ROOT_TYPE = "$.userIdentity.type=Root"
_CIS_CLAUSES = frozenset({_ROOT_TYPE, "$.userIdentity.invokedByNOTEXISTS", "$.eventType!=AwsServiceEvent"})
_NOISE = re.compile(r"""[\s"'()]""")


def matches_root_usage(pattern: str) -> bool:
    """Does the filter pattern match at least every event the CIS root-usage pattern matches?

    Strict by construction: the pattern must be a conjunction (`&&` only; with no `||`, parentheses
    change nothing and are dropped) of CIS clauses that includes the root-identity clause. Fewer
    CIS clauses match more events, which is still complete; any other clause could narrow it
    (`&& $.sourceIPAddress = …`), and an `||` makes it a different expression, so both fail."""
    text = pattern.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if "||" in text:
        return False
    clauses = {_NOISE.sub("", c).replace("==", "=") for c in text.split("&&")}
    return _ROOT_TYPE in clauses and clauses <= _CIS_CLAUSES


def _and(*values: bool | None) -> bool | None:
    """Three-valued AND: False wins over unknown (None), which wins over True."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _trail_ok(trail: Resource) -> bool | None:
    """Multi-region and logging; None when either could not be read (absent)."""
    multi, logging = (trail.attributes.get(k) for k in ("is_multi_region", "is_logging"))
    return _and(None if multi is None else bool(multi), None if logging is None else bool(logging))


def _alarm_metrics(alarm: Resource) -> list[tuple[str, str, str]]:
    """(region, namespace, name) of the metric an alarm watches, or of each its metric math reads."""
    a = alarm.attributes
    watched = [(a.get("namespace"), a.get("metric_name"))]
    watched += [(m.get("namespace"), m.get("name")) for m in a.get("metrics") or ()]
    return [(alarm.region, str(ns), str(name)) for ns, name in watched if ns and name]


def _group_arn(value: Any) -> str:
    """A trail names the group as '…:log-group:NAME:*'; filters as '…:log-group:NAME'."""
    return str(value or "").removesuffix(":*")


def _topic_reached(topic: Resource | None) -> bool | None:
    if topic is None:
        return False  # not an SNS topic of this account: nobody can be shown to receive it
    count = topic.attributes.get("confirmed_subscriptions")
    return None if count is None else count > 0


def _sns_actions(alarm: Resource) -> list[str]:
    """The SNS topics an alarm notifies; none when its actions are disabled."""
    if not alarm.attributes.get("actions_enabled"):
        return []
    actions = [str(a) for a in alarm.attributes.get("alarm_actions") or ()]
    return [a for a in actions if a.startswith("arn:") and a.split(":")[2:3] == ["sns"]]


def _candidates(
    trails: list[Resource], filters: dict[str, list[Resource]], alarms: dict[tuple[str, str, str], list[Resource]]
) -> Iterator[tuple[Resource, Resource, Resource, str]]:
    """Every (trail, filter, alarm, topic ARN) joined by log group, metric and alarm action."""
    for trail in trails:
        for f in filters.get(_group_arn(trail.attributes.get("cloudwatch_logs_log_group_arn")), ()):
            for metric in f.attributes.get("metric_transformations") or ():
                for alarm in alarms.get((f.region, str(metric.get("namespace")), str(metric.get("name"))), ()):
                    for topic in _sns_actions(alarm):
                        yield trail, f, alarm, topic


def _account_chains(
    trails: list[Resource],
    filters: dict[str, list[Resource]],
    alarms: dict[tuple[str, str, str], list[Resource]],
    topics: dict[str, Resource],
) -> list[str] | None:
    """The complete chains, one line each; None when none is complete but one might be (unread links)."""
    chains: set[str] = set()
    unknown = False
    for trail, f, alarm, topic in _candidates(trails, filters, alarms):
        ok = _and(_trail_ok(trail), _topic_reached(topics.get(topic)))
        if ok:
            name = topic.rsplit(":", 1)[-1]
            chains.add(f"{trail.name} → {f.attributes.get('log_group_name')} → {f.name} → {alarm.name} → {name}")
        unknown = unknown or ok is None
    if chains:
        return sorted(chains)
    return None if unknown else []


def root_usage_facts(resources: Iterable[Resource]) -> dict[str, dict[str, Any]]:
    """uid → {root_usage_pattern} for metric filters and {root_usage_alarms} (when known) for accounts."""
    resources = list(resources)
    facts: dict[str, dict[str, Any]] = {}
    trails: dict[str, list[Resource]] = defaultdict(list)
    filters: dict[str, dict[str, list[Resource]]] = defaultdict(lambda: defaultdict(list))
    alarms: dict[str, dict[tuple[str, str, str], list[Resource]]] = defaultdict(lambda: defaultdict(list))
    topics: dict[str, dict[str, Resource]] = defaultdict(dict)
    for r in resources:
        if r.type == "aws.logs.metric_filter":
            matched = matches_root_usage(str(r.attributes.get("filter_pattern", "")))
            facts[r.uid] = {"root_usage_pattern": matched}
            if matched:
                filters[r.account][str(r.attributes.get("log_group_arn"))].append(r)
        elif r.type == "aws.cloudtrail.trail":
            trails[r.account].append(r)
        elif r.type == "aws.cloudwatch.alarm":
            for key in _alarm_metrics(r):
                alarms[r.account][key].append(r)
        elif r.type == "aws.sns.topic":
            topics[r.account][str(r.attributes.get("arn", r.uid))] = r
    for r in resources:
        if r.type == "aws.account":
            chains = _account_chains(trails[r.account], filters[r.account], alarms[r.account], topics[r.account])
            # Unknown stays absent, like an unread attribute: the control reading it is `error`.
            facts[r.uid] = {} if chains is None else {"root_usage_alarms": chains}
    return facts


def _analyze(inputs: AnalysisInput) -> FactMap:
    return root_usage_facts(inputs.resources)


ROOT_USAGE = Analyzer(
    "root-usage",
    (
        Fact(
            "root_usage_alarms",
            "aws.account only: the chains that alert on the root user's activity, each naming a multi-region "
            "logging trail → its CloudWatch Logs group → a metric filter matching root use → an enabled alarm on "
            "that metric → an SNS topic of the account with a confirmed subscription; null when a link could "
            "not be judged",
            ("aws.cloudtrail.trail", "aws.logs.metric_filter", "aws.cloudwatch.alarm", "aws.sns.topic"),
        ),
        Fact(
            "root_usage_pattern",
            "aws.logs.metric_filter only: true when its pattern matches only the root user's own activity "
            "(a subset of the CIS root-usage clauses)",
        ),
    ),
    _analyze,
)
