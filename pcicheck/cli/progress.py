"""The AWS collection progress on a terminal: one row per service (regions done, resources found)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.text import Text

from pcicheck.cli.output import stderr

if TYPE_CHECKING:
    from rich.progress import TaskID

    from pcicheck.collect.aws.runner import ProgressHook, ServiceProgress


@contextmanager
def aws_progress(quiet: bool) -> Iterator[ProgressHook | None]:
    """A live display while AWS is collected; nothing (a None hook) when quiet or not on a terminal."""
    console = stderr(quiet)
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("AWS {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[found]} resources"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        # One row per service; with many accounts a row sums that service's regions over accounts.
        rows: dict[str, TaskID] = {}
        totals: dict[str, dict[str, int]] = {}
        lock = threading.Lock()

        def hook(event: ServiceProgress) -> None:
            with lock:
                if event.service not in rows:
                    rows[event.service] = progress.add_task(Text(event.service).plain, total=None, found=0)
                totals.setdefault(event.service, {})[event.account] = event.total
                row = rows[event.service]
                progress.update(row, total=sum(totals[event.service].values()), advance=1 if event.done else 0)
                found = progress.tasks[progress.task_ids.index(row)].fields["found"] + event.resources
                progress.update(row, found=found)

        yield hook
