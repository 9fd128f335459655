"""Runs the pass/fail cases embedded in each control through the real analyze and evaluate stages, and
refuses a custom control whose own cases do not give what they expect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcicheck import paths
from pcicheck.analyze.estate import analyze
from pcicheck.catalog import Catalog, CatalogInvalid
from pcicheck.config import ScopeConfig
from pcicheck.errors import InputError
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
    broken: bool = False  # the case could not be run at all: never counts as giving what it expects

    @property
    def ok(self) -> bool:
        return not self.broken and self.status == self.case.expect


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
    try:
        return _run_case(control, case, index)
    # The loader checks a case's form, not what its attributes hold: an analyzer handed a namespace
    # whose labels are a number fails like any code given data of the wrong shape. That is a mistake in
    # the case, reported with its line, not a crash of `controls validate` or of a scan.
    except Exception as exc:  # any failure of a user-written case is that case's problem
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        message = f"the case could not be run ({detail}); give its attributes the shape the collector writes"
        return CaseOutcome(control, case, Status.ERROR, message, broken=True)


def _run_case(control: Control, case: ControlTest, index: int) -> CaseOutcome:
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


def custom_controls(catalog: Catalog) -> list[Control]:
    """The controls not shipped with pcicheck (`--controls DIR`). The built-in ones are run by the test
    suite on every change and cannot be edited in an installed copy, so a scan does not run them again."""
    builtin = paths.controls_dir().resolve()
    return [c for c in catalog.controls if not Path(c.path).resolve().is_relative_to(builtin)]


def refuse_failing_controls(catalog: Catalog, directories: Iterable[Path]) -> None:
    """Run every custom control's own cases; if any does not give what it expects, nothing is judged by it
    (or by anything else: the run stops, exit 2), with each failing case as file:line."""
    dirs = [d.resolve() for d in directories]
    if not dirs:  # custom controls come only from --controls directories
        return
    problems = []
    for outcome in run_control_tests(custom_controls(catalog)):
        if outcome.ok:
            continue
        control, case = outcome.control, outcome.case
        home = next((d for d in dirs if Path(control.path).resolve().is_relative_to(d)), Path(control.path).parent)
        problems.append(
            InputError(
                f"custom control {control.id!r} fails its own test {case.name!r}: expected {case.expect.value}, "
                f"got {outcome.status.value} ({outcome.message})",
                path=control.path,
                line=case.line,
                fix=f"a control is used only when its own tests pass: run `pcicheck controls validate {home}`",
            )
        )
    if problems:
        raise CatalogInvalid(problems)
