"""Property-based tests of the readers that take untrusted documents (hypothesis: it shrinks a failing input
to the smallest one, and its recursive strategies reach the nested shapes where wrong types hide).

Each property: for any input, the reader returns a record or raises InputError (one line, exit 2 at the
CLI) — never another exception, never an unbounded allocation."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.errors import InputError
from pcicheck.evaluate.baseline import diff, findings_of_document, markdown
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.report import console
from pcicheck.report.formats import FORMATS
from pcicheck.report.formats import render as render_format
from pcicheck.report.pack import load_results
from pcicheck.report.results_json import render
from pcicheck.snapshot import read_snapshot, to_document
from tests.support.results_v1 import as_v1
from tests.test_snapshot import SNAP

SETTINGS = settings(
    max_examples=int(os.environ.get("PCICHECK_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value sits."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    copy[head] = _replaced(doc[head], tuple(rest), value)
    return copy


# SNAP with the request and identity parts every source writes, so the mutations reach them too.
GOOD = {
    **to_document(SNAP),
    "request": {
        "providers": ["aws", "k8s", "manifests"],
        "aws": {"profile": None, "regions": ["r"], "services": ["kms"], "accounts": ["111"]},
        "k8s": {"kubeconfig": "k", "context": "c"},
        "manifests": {"paths": ["m"], "files": ["m/a.yaml"], "skipped_kinds": {"Foo": 1}},
    },
    "identity": {
        "aws": {"account": "111", "arn": "arn:aws:iam::111:user/u", "accounts": [{"account": "111"}]},
        "k8s": {"cluster": "c", "server": "s", "user": "u", "version": "v1"},
    },
}
PATHS = _paths(GOOD)
CATALOG = load_catalog()


@SETTINGS
@given(where=st.sampled_from(PATHS), value=json_values)
def test_a_snapshot_with_any_value_anywhere_reads_or_is_refused(tmp_path: Path, where: Any, value: Any) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_replaced(GOOD, where, value)))
    try:
        snapshot = read_snapshot(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in exc.message
        return
    # What the reader let through is evaluated and written without a crash.
    evaluation = evaluate_snapshot(snapshot, CATALOG, Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))
    render(evaluation)
    console.render(evaluation, Console(file=io.StringIO(), width=120))


@SETTINGS
@given(doc=json_values)
def test_any_json_document_as_a_snapshot(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schema": "pcicheck/snapshot/v1", **doc} if isinstance(doc, dict) else doc))
    with contextlib.suppress(InputError):
        read_snapshot(path)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes_as_a_snapshot(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "s.json.gz"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        read_snapshot(path)


RESULTS = json.loads(render(evaluate_snapshot(SNAP, CATALOG, Config(), ("pci-dss-4.0.1", "pci-dss-3.2.1"))))
# An AWS identity as a scan records it, so ASFF (which places findings in the scanning account) renders.
RESULTS["snapshot"]["identity"]["aws"] = {"account": "123456789012", "arn": "arn:aws:sts::123456789012:user/ci"}
# Saved results of both versions pcicheck reads: this one's (v2) and those written before it (v1).
DOCUMENTS = {"v2": RESULTS, "v1": as_v1(RESULTS)}
RESULT_PATHS = [
    (version, p)
    for version, document in DOCUMENTS.items()
    for p in _paths(document)
    if len(p) < 2 or p[0] != "controls" or len(p) < 4
]


@SETTINGS
@given(case=st.sampled_from(RESULT_PATHS), value=json_values, fmt=st.sampled_from(sorted(FORMATS)))
def test_a_results_document_with_any_value_anywhere(
    tmp_path: Path, case: tuple[str, tuple[Any, ...]], value: Any, fmt: str
) -> None:
    """`diff` and `report` read saved results of either version: what load_results accepts, they render."""
    version, where = case
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_replaced(DOCUMENTS[version], where, value)))
    try:
        _, doc = load_results(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in exc.message
        return
    d = diff(findings_of_document(DOCUMENTS[version]), findings_of_document(doc), "old.json")
    markdown(d)
    if fmt != "html" or where[:1] != ("controls",):  # the HTML of every control is slow; sample it
        try:
            render_format(fmt, doc)
        except InputError as exc:  # a foreign format may lack what it needs (ASFF: an AWS account, a time)
            assert fmt in ("ocsf", "asff") and "\n" not in str(exc)
