"""The human summary on stderr: per requirement, per severity, the failing resources, what could not be read.

Names and tags are attacker-controlled: they are passed to rich as `Text`, and every console is made
with markup off and neutralises what it writes (InertConsole), so a name can neither style itself nor
reach the terminal as an escape sequence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from pcicheck.evaluate.evaluation import Evaluation
from pcicheck.evaluate.rollup import RequirementOutcome, RequirementStatus
from pcicheck.evaluate.waiving import WaiverOutcome
from pcicheck.inert import terminal
from pcicheck.model import SEVERITY_ORDER, Resource, Result, Status

STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "yellow",
    Status.NOT_APPLICABLE: "dim",
    Status.WAIVED: "cyan",
    Status.NEEDS_CONFIGURATION: "magenta",
    Status.MANUAL: "blue",
}
MAX_ROWS = 40


class InertConsole(Console):
    """A rich console that writes no control character it did not make itself.

    Rich strips only BEL, BS, VT, FF and CR from text: ESC, the 8-bit C1 controls and the bidi
    overrides pass. So the last step before writing, where every segment is turned into characters,
    neutralises the text of every segment that is not one of rich's own control segments (cursor
    moves of a live display); rich's styles (colours) are applied afterwards, to the inert text, and
    still work. One place for tables, summaries, notices and progress rows alike, with or without a
    terminal. (Widths were measured before: a row holding an escape is shown a little wider.)"""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(terminal(segment.text), segment.style) for segment in buffer
        )


def make_console(*, quiet: bool = False, stderr: bool = True) -> Console:
    """When the stream is not a terminal (CI logs, pipes) rich would wrap at 80 columns: use 140.
    No markup and no emoji codes: a string from a results file is shown as it is, never as `[link=…]`."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 140
    return InertConsole(stderr=stderr, quiet=quiet, highlight=False, markup=False, emoji=False, width=width)


def _status(status: Status) -> Text:
    return Text(status.value, style=STATUS_STYLE[status])


def render(ev: Evaluation, console: Console, *, verbose: bool = False) -> None:
    snap = ev.snapshot
    console.print(Text(f"pcicheck — {ev.framework.title}", style="bold"))
    console.print(
        Text(
            f"{'; '.join(_scanned(ev)) or 'nothing scanned'}; snapshot {snap.created_at}, "
            f"{len(snap.resources) + len(_iac_judged(ev))} resources, {len(ev.catalog.controls)} controls"
        )
    )

    unread = _unread_policies(snap.resources)
    if unread:
        console.print(Text(unread, style="yellow"))

    counts = Counter(r.status for r in ev.results)
    line = Text("results: ")
    for s in (Status.PASS, Status.FAIL, Status.ERROR, Status.WAIVED, Status.NOT_APPLICABLE, Status.NEEDS_CONFIGURATION):
        if s == Status.NEEDS_CONFIGURATION and not counts.get(s):
            continue  # named only when some control waits for its site's params
        line.append(f"{counts.get(s, 0)} {s.value}", style=STATUS_STYLE[s])
        line.append("  ")
    console.print(line)

    failed = [r for r in ev.results if r.status == Status.FAIL]
    sev = Counter(r.control.severity for r in failed)
    sev_line = Text("failures by severity: ")
    for severity in reversed(SEVERITY_ORDER):
        found = sev.get(severity, 0)
        sev_line.append(f"{severity.value} {found}  ", style="bold red" if found else "dim")
    console.print(sev_line)

    console.print(_outcomes_line("requirements: ", ev.requirements))
    for view in ev.also:
        retired = f", retired by PCI SSC on {view.framework.retired}" if view.framework.retired else ""
        console.print(_outcomes_line(f"{view.framework.title} (from the same results{retired}): ", view.requirements))
    table, manual = _requirements_table(ev, verbose)
    console.print(table)
    console.print(
        Text(
            f"{manual} requirements have no automated control: they need the auditor's own evidence (manual).",
            style="blue",
        )
    )
    for w in ev.waivers:
        console.print(_waiver_line(w))
    _connected(ev, console)

    if failed:
        _results_table(console, "Failing", failed)
    errored = [r for r in ev.results if r.status == Status.ERROR]
    if errored:
        _results_table(console, "Could not be evaluated (error)", errored)
    _needs_configuration(ev, console)
    _collection_errors(ev, console)


def _iac_judged(ev: Evaluation) -> set[str]:
    """The IaC resources (and files) Checkov's verdicts are about: results, not snapshot resources."""
    return {str(r.resource.get("uid")) for r in ev.results if str(r.resource.get("type", "")).startswith("iac.")}


def _needs_configuration(ev: Evaluation, console: Console) -> None:
    """One line per control waiting for a site param (not one per resource): what to set, and on how many."""
    waiting: dict[str, list[Result]] = {}
    for r in ev.results:
        if r.status == Status.NEEDS_CONFIGURATION:
            waiting.setdefault(r.control.id, []).append(r)
    if not waiting:
        return
    total = sum(len(rs) for rs in waiting.values())
    console.print(
        Text(f"Needs configuration ({total}): not judged until pcicheck.yaml sets these params", style="bold")
    )
    for cid, rs in sorted(waiting.items()):
        message = rs[0].message.removeprefix("needs configuration: ")
        console.print(Text(f"  {cid} ({len(rs)} resources): {message}", style=STATUS_STYLE[Status.NEEDS_CONFIGURATION]))


def _unread_policies(resources: Iterable[Resource]) -> str | None:
    """How many network policies of kinds pcicheck does not read the scan holds, by kind: the flows they
    may govern are `possible`, and the segmentation controls on them say so."""
    kinds = Counter(str(r.attributes.get("label")) for r in resources if r.type == "k8s.unread_policy")
    if not kinds:
        return None
    listed = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    total = sum(kinds.values())
    return (
        f"unread policy kinds: {total} network polic{'y' if total == 1 else 'ies'} pcicheck does not read "
        f"({listed}); the flows they may govern are `possible`"
    )


def _scanned(ev: Evaluation) -> list[str]:
    """What was read: the AWS account and regions, the cluster, the manifests."""
    snap = ev.snapshot
    scanned = []
    if "aws" in snap.identity:
        ident = snap.identity["aws"]
        regions = snap.request.get("aws", {}).get("regions", [])
        scanned.append(
            f"account {ident.get('account', '?')} ({ident.get('arn', '?')}), regions {', '.join(regions) or '-'}"
        )
    if "k8s" in snap.identity:
        k = snap.identity["k8s"]
        scanned.append(f"cluster {k.get('cluster')} ({k.get('server')}, {k.get('version')})")
    if "manifests" in snap.request:
        scanned.append(f"manifests: {len(snap.request['manifests'].get('files', []))} files")
    if "iac" in snap.request:
        # Checkov's verdicts are results on IaC resources, not snapshot resources: count those, so a
        # Terraform-only run does not read "nothing scanned ... 0 resources" above its failures.
        iac = snap.request["iac"]
        checkov = (iac.get("checkov") or {}).get("version", "not run") if iac.get("checkov") else "not run"
        scanned.append(
            f"IaC: {iac.get('files', 0)} files, {len(_iac_judged(ev))} resources judged by Checkov {checkov}"
        )
    return scanned


OUTCOME_STYLE = {
    RequirementOutcome.NOT_IN_PLACE: "bold red",
    RequirementOutcome.INCOMPLETE: "yellow",
    RequirementOutcome.COMPENSATING_CONTROL: "cyan",
    RequirementOutcome.AUTOMATED_CHECKS_PASS: "green",
    RequirementOutcome.IN_PLACE_AUTOMATED: "bold green",
    RequirementOutcome.NOT_APPLICABLE: "dim",
    RequirementOutcome.MANUAL: "blue",
}


def _outcomes_line(label: str, requirements: tuple[RequirementStatus, ...]) -> Text:
    outcomes = Counter(q.outcome for q in requirements)
    line = Text(label)
    for outcome in RequirementOutcome:
        line.append(f"{outcomes.get(outcome, 0)} {outcome.value.replace('_', ' ')}", style=OUTCOME_STYLE[outcome])
        line.append("  ")
    return line


def _requirements_table(ev: Evaluation, verbose: bool) -> tuple[Table, int]:
    """The requirements table (top-level ones, those not in place or incomplete, or all when verbose),
    and how many requirements are manual: those are counted, not listed."""
    table = Table(title="Requirements", title_justify="left", show_lines=False)
    table.add_column("req")
    table.add_column("outcome")
    table.add_column("pass", justify="right")
    table.add_column("fail", justify="right")
    table.add_column("error", justify="right")
    table.add_column("title", overflow="ellipsis", max_width=60)
    manual = 0
    worst = (RequirementOutcome.NOT_IN_PLACE, RequirementOutcome.INCOMPLETE)
    for q in ev.requirements:
        if q.outcome == RequirementOutcome.MANUAL:
            manual += 1
            continue
        if not ("." not in q.id or verbose or q.outcome in worst):
            continue
        table.add_row(
            Text(q.id),
            Text(q.outcome.value.replace("_", " "), style=OUTCOME_STYLE[q.outcome]),
            str(q.counts.get("pass", 0)),
            str(q.counts.get("fail", 0)),
            str(q.counts.get("error", 0)),
            Text(q.title),
        )
    return table, manual


def _waiver_line(w: WaiverOutcome) -> Text:
    text = {
        "applied": f"waiver {w.waiver.id} ({w.waiver.control}, approved by {w.waiver.approved_by}, "
        f"{w.waiver.ticket}) waives {len(w.matched)} finding(s) until {w.waiver.expires}",
        "expired": f"waiver {w.waiver.id} expired on {w.waiver.expires}: its findings count again "
        f"({len(w.matched)} matched)",
        "stale": f"waiver {w.waiver.id} ({w.waiver.control}) matched no failing result: fixed, or a wrong "
        "selector; remove it",
        "not_yet": f"waiver {w.waiver.id} is not in force before {w.waiver.created}",
    }[w.status]
    return Text(text, style="magenta" if w.status == "applied" else "yellow")


def _connected(ev: Evaluation, console: Console) -> None:
    connected = ev.estate.connected_to(ev.config.scope.cde_tag)
    if connected:
        names = ", ".join(c["name"] + ("" if c["scope_tagged"] else " (untagged)") for c in connected[:MAX_ROWS])
        more = f" and {len(connected) - MAX_ROWS} more" if len(connected) > MAX_ROWS else ""
        text = f"connected-to (not in the CDE, in scope through links to it; judged by the CDE controls): {names}{more}"
        console.print(Text(text, style="blue"))


def _collection_errors(ev: Evaluation, console: Console) -> None:
    """What could not be read, the first MAX_ROWS of it."""
    errors = ev.snapshot.errors
    if errors:
        console.print(Text(f"{len(errors)} collection errors: what could not be read", style="yellow"))
        for e in errors[:MAX_ROWS]:
            target = e.resource_uid or ", ".join(e.resource_types)
            console.print(Text(f"  {e.region or 'global'} {e.cause} — {target}"))


def _results_table(console: Console, title: str, results: list[Result]) -> None:
    order = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    rows = sorted(results, key=lambda r: (order[r.control.severity], r.control.id, r.resource["uid"]))
    table = Table(title=f"{title} ({len(rows)})", title_justify="left")
    table.add_column("severity")
    table.add_column("control")
    table.add_column("resource", overflow="fold")
    table.add_column("scope")
    table.add_column("message", overflow="fold")
    for r in rows[:MAX_ROWS]:
        res = r.resource
        name = res["name"] if res["name"] == res["uid"] else f"{res['name']} ({res['uid']})"
        table.add_row(
            Text(r.control.severity.value),
            Text(r.control.id),
            Text(name),
            Text(res.get("scope", "")),
            Text(r.message),
        )
    console.print(table)
    if len(rows) > MAX_ROWS:
        console.print(Text(f"… and {len(rows) - MAX_ROWS} more: see the JSON results (--format json)", style="dim"))
