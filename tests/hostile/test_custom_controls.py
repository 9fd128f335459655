"""Defect class 10: custom controls. `scan --controls DIR` used a control whose own pass case fails
without a word, and `controls validate` crashed on malformed test attributes and accepted malformed
`related` resources. A custom control's own cases now run before anything is judged (a failing one stops
the run: exit 2, file:line of the case), and every part of a case has a checked shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcicheck import results_doc
from pcicheck.catalog import CatalogInvalid, load_catalog
from pcicheck.cli import main
from pcicheck.evaluate.controltests import run_control_tests

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: ops}
spec:
  hostPID: true
  containers: [{name: a, image: registry.example.com/agent:1}]
"""

CONTROL = """\
id: my-no-host-pid
title: Pods do not share the host PID namespace
domain: configuration
severity: high
resource: k8s.workload
scope: all
where: "true"
assert: resource.attributes.host_pid == false
requirements: {pci-dss-3.2.1: ["2.2.4.c"], pci-dss-4.0.1: ["2.2.6.c"]}
rationale: Host PID exposes every process on the node.
remediation: Set hostPID to false.
tests:
  - name: isolated
    resource: {attributes: {host_pid: false}}
    expect: pass
  - name: host PID
    resource: {attributes: {host_pid: true}}
    expect: fail
"""
# The same control with its assertion inverted by mistake: its own cases say so.
INVERTED = CONTROL.replace("host_pid == false", "host_pid == true")


def write(folder: Path, text: str, name: str = "my-no-host-pid.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def scan(capsys: pytest.CaptureFixture, tmp_path: Path, controls: Path) -> tuple[int, str, list[str] | None]:
    """(exit, stderr, statuses of the custom control, None when the scan judged nothing)."""
    (tmp_path / "pod.yaml").write_text(MANIFEST)
    out = tmp_path / "results.json"
    out.unlink(missing_ok=True)
    config = write(tmp_path / "cfg", "scope: {}\n", "pcicheck.yaml") / "pcicheck.yaml"
    argv = ["scan", "--manifests", str(tmp_path / "pod.yaml"), "--controls", str(controls), "--config", str(config)]
    code = main([*argv, "--format", "json", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    if not out.exists():
        return code, err, None
    return (
        code,
        err,
        [r["status"] for r in results_doc.results(json.loads(out.read_text())) if r["control"] == "my-no-host-pid"],
    )


def test_a_custom_control_that_fails_its_own_cases_judges_nothing(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    good = write(tmp_path / "good", CONTROL)
    assert scan(capsys, tmp_path, good)[::2] == (1, ["fail"])  # the host-PID pod fails the sound control
    bad = write(tmp_path / "bad", INVERTED)
    # The inverted control is wrong, and its own cases show it:
    assert main(["controls", "validate", str(bad)]) == 2
    assert "test 'isolated' expected pass, got fail" in capsys.readouterr().err
    # It would have passed the pod. The scan refuses it instead, before judging anything.
    code, err, statuses = scan(capsys, tmp_path, bad)
    assert (code, statuses) == (2, None)
    assert err.strip() == (
        f"pcicheck: error: {bad / 'my-no-host-pid.yaml'}:13: custom control 'my-no-host-pid' fails its own test "
        "'isolated': expected pass, got fail (not met: Pods do not share the host PID namespace) (and 1 more) "
        f"(a control is used only when its own tests pass: run `pcicheck controls validate {bad}`)"
    )


def test_built_in_controls_are_not_rerun_by_a_scan() -> None:
    """They are run by tests/catalog/test_builtin_catalog.py on every change; only --controls ones run per scan."""
    from pcicheck.evaluate.controltests import custom_controls

    catalog = load_catalog()
    assert custom_controls(catalog) == []


CASE = "  - name: isolated\n    resource: {attributes: {host_pid: false}}\n    expect: pass\n"


def case(resource: str = "{}", expect: str = "    expect: pass\n", name: str = "isolated") -> str:
    return f"  - name: {name}\n    resource: {resource}\n{expect}"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("  - isolated\n", ":12: each test must be a mapping"),
        (case("{attributes: [1, 2]}"), ":14: test resource: 'attributes' must be a mapping"),
        (case("{tags: [a], attributes: {}}"), ":14: test resource: 'tags' must map"),
        (case("{tags: {tier: 1}}"), ":14: test resource: 'tags' must map"),
        (case("{uid: [x]}"), ":14: test resource: 'uid' must be text"),
        (case("{colour: red}"), ":14: test resource has an unknown field 'colour'"),
        (case("[host_pid]"), ":14: test resource must be a mapping"),
        (case("{type: aws.kms.key}"), ":14: test resource is a aws.kms.key, but the control judges k8s.workload"),
        (case(name="[isolated]"), ":13: test 'name' must be non-empty text"),
        (case(name="on"), ":13: test 'name' must be non-empty text, not True"),
        (case(expect="    expect: [pass]\n"), ":15: test expect ['pass'] is not a status"),
        (case(expect="    expected: pass\n"), ":13: test is missing 'expect'"),
        (case(expect="    expect: pass\n    note: x\n"), ":16: test has an unknown field 'note'"),
        (case(expect="    expect: pass\n    params: {x: 1}\n"), ":16: test 'params' names 'x', which the control"),
    ],
)
def test_controls_validate_reports_malformed_cases_with_their_line(
    capsys: pytest.CaptureFixture, tmp_path: Path, case: str, expected: str
) -> None:
    assert CASE in CONTROL
    folder = write(tmp_path / "c", CONTROL.replace(CASE, case))
    code = main(["controls", "validate", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and "Traceback" not in err
    assert f"{folder / 'my-no-host-pid.yaml'}{expected}" in err, err


RELATED = "  - name: isolated\n    resource: {attributes: {host_pid: false}}\n    related: RELATED\n    expect: pass\n"


@pytest.mark.parametrize(
    ("related", "expected"),
    [
        ("{type: k8s.namespace}", ":15: test 'related' must be a list of resources"),
        ("[k8s-namespace-default-deny-ingress]", ":15: test related[0] must be a mapping (a resource)"),
        ("[{type: k8s.nonsense}]", ":15: test related[0] has an unknown resource type 'k8s.nonsense'"),
        ("[{type: 7}]", ":15: test related[0]: 'type' must be text, not 7"),
        ("[{uid: a}, {uid: a}]", ":13: test names uid 'a' twice"),
        ("[{attributes: 5}]", ":15: test related[0]: 'attributes' must be a mapping"),
        ("[{requirement: 3.6.4}]", ":15: test related[0] has an unknown field 'requirement'"),
    ],
)
def test_related_resources_are_checked_like_the_case_resource(
    capsys: pytest.CaptureFixture, tmp_path: Path, related: str, expected: str
) -> None:
    """`related` lists the other resources in the case's estate (a namespace, a policy, a key)."""
    folder = write(tmp_path / "c", CONTROL.replace(CASE, RELATED.replace("RELATED", related)))
    code = main(["controls", "validate", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err
    assert f"{folder / 'my-no-host-pid.yaml'}{expected}" in err, err


def test_a_case_whose_attributes_break_an_analyzer_is_that_cases_error(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    """A namespace whose labels are a number: the analyzer that reads labels cannot, and used to crash
    `controls validate` (internal error). Now the case fails with its line, never passes."""
    related = '[{uid: "k8s://c/_cluster/Namespace/ops", type: k8s.namespace, provider: k8s, attributes: {labels: 7}}]'
    folder = write(tmp_path / "c", CONTROL.replace(CASE, RELATED.replace("RELATED", related)))
    code = main(["controls", "validate", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err
    assert f"{folder / 'my-no-host-pid.yaml'}:13: my-no-host-pid / test 'isolated' expected pass, got error" in err
    assert "the case could not be run (AttributeError" in err


_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6,
)
_PLACES = ("name", "resource", "expect", "related", "params", "resource.attributes", "resource.tags", "resource.uid")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(_PLACES), value=_VALUE)
def test_no_case_shape_crashes_the_loader_or_the_runner(tmp_path: Path, place: str, value: object) -> None:
    """Whatever a case holds, loading gives a control or file:line problems, and running gives outcomes."""
    case = {"name": "isolated", "resource": {"attributes": {"host_pid": False}}, "expect": "pass"}
    if place.startswith("resource."):
        case["resource"] = {place.split(".")[1]: value}
    else:
        case[place] = value
    text = CONTROL.replace(CASE, "  - " + json.dumps(case) + "\n")
    folder = write(tmp_path / "fuzz", text)
    try:
        catalog = load_catalog([folder], builtin=False)
    except CatalogInvalid as exc:
        assert all(p.path and p.line for p in exc.problems)
        return
    assert len(run_control_tests(catalog.controls)) == 2
