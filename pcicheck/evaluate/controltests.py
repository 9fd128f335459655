"""Runs the pass/fail cases embedded in each control through the real analyze and evaluate stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator
from pcicheck.model import Control, ControlTest, Resource, Status

TEST_ACCOUNT = "123456789012"
TEST_REGION = "us-east-1"
# Fixed, so cases about ages (key older than 90 days) give the same answer every day.
TEST_NOW = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CaseOutcome:
    control: Control
    case: ControlTest
    status: Status
    message: str

    @property
    def ok(self) -> bool:
        return self.status == self.case.expect


def _resource(data: dict[str, Any], default_uid: str, default_type: str, default_name: str) -> Resource:
    return Resource(
        uid=str(data.get("uid", default_uid)),
        type=str(data.get("type", default_type)),
        provider=str(data.get("provider", "aws")),
        account=str(data.get("account", TEST_ACCOUNT)),
        region=str(data.get("region", TEST_REGION)),
        name=str(data.get("name", default_name)),
        tags={str(k): str(v) for k, v in (data.get("tags") or {}).items()},
        attributes=dict(data.get("attributes") or {}),
    )


def run_case(control: Control, case: ControlTest, index: int) -> CaseOutcome:
    subject = _resource(case.resource, f"test://{control.id}/{index}", control.resource, case.name)
    related = [
        _resource(r, f"test://{control.id}/{index}/related/{j}", control.resource, f"related {j}")
        for j, r in enumerate(case.related)
    ]
    estate = analyze([subject, *related], ScopeConfig())
    results = Evaluator([control], {control.id: case.params}).evaluate(estate, [], now=TEST_NOW)
    mine = [r for r in results if r.resource["uid"] == subject.uid]
    if len(mine) != 1:
        return CaseOutcome(control, case, Status.ERROR, "the case's resource type does not match the control")
    return CaseOutcome(control, case, mine[0].status, mine[0].message)


def run_control_tests(controls: list[Control] | tuple[Control, ...]) -> list[CaseOutcome]:
    return [run_case(c, case, i) for c in controls for i, case in enumerate(c.tests)]
