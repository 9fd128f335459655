"""Process-level performance switches, each scoped and restored."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Evaluating 100,000 resources allocates several hundred thousand result records; each
    allocation burst triggers full collections that walk the whole estate again (about a fifth
    of the evaluation time). Nothing built here forms reference cycles, so pausing is safe; a
    forked evaluation worker also no longer touches (and copies) every page of the parent.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
