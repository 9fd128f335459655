"""Defect class 9: a misspelt or wrongly typed parameter. `max_dayz: 180` in pcicheck.yaml used to be
ignored, leaving the 365-day default in force so a key rotating every 300 days passed. Every override now
names a declared param of a known control, with a value of the param's type, or the run stops: exit 2,
file:line, and the nearest declared name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.model import Resource, Snapshot
from pcicheck.params import declared_type, mismatch
from pcicheck.snapshot import write_snapshot
from tests.catalog.test_loader import GOOD

KEY_UID = "arn:aws:kms:us-east-1:123456789012:key/k1"


@pytest.fixture
def kms_snapshot(tmp_path: Path) -> Path:
    """One customer-managed key that rotates every 300 days: passes the 365-day default, fails 180."""
    key = Resource(
        uid=KEY_UID,
        type="aws.kms.key",
        provider="aws",
        account="123456789012",
        region="us-east-1",
        name="k1",
        attributes={
            "manager": "CUSTOMER",
            "state": "Enabled",
            "key_spec": "SYMMETRIC_DEFAULT",
            "rotation_enabled": True,
            "rotation_period_days": 300,
            "next_rotation_date": None,
        },
    )
    path = tmp_path / "snap.json.gz"
    write_snapshot(Snapshot("0.1.0", "2026-11-25T10:00:00Z", {"providers": ["aws"]}, {}, (key,), ()), path)
    return path


def evaluate(capsys: pytest.CaptureFixture, tmp_path: Path, snapshot: Path, config: str) -> tuple[int, str, str | None]:
    """(exit code, stderr, the key's status or None when nothing was judged)."""
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text(config)
    out = tmp_path / "results.json"
    out.unlink(missing_ok=True)
    code = main(["evaluate", str(snapshot), "--config", str(cfg), "--format", "json", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    if not out.exists():
        return code, err, None
    statuses = [
        r["status"] for r in results_doc.results(json.loads(out.read_text())) if r["control"] == "aws-kms-key-rotation"
    ]
    return code, err, statuses[0]


def test_a_misspelt_param_stops_the_run_and_names_the_declared_one(
    capsys: pytest.CaptureFixture, tmp_path: Path, kms_snapshot: Path
) -> None:
    # The override matters: spelt right, the 300-day key fails; the default alone lets it pass.
    assert evaluate(capsys, tmp_path, kms_snapshot, "params:\n  aws-kms-key-rotation: {max_days: 180}\n")[::2] == (
        1,
        "fail",
    )
    assert evaluate(capsys, tmp_path, kms_snapshot, "scope: {}\n")[::2] == (0, "pass")
    code, err, status = evaluate(
        capsys, tmp_path, kms_snapshot, "scope: {}\nparams:\n  aws-kms-key-rotation:\n    max_dayz: 180\n"
    )
    assert (code, status) == (2, None)
    assert err.strip() == (
        f"pcicheck: error: {tmp_path / 'pcicheck.yaml'}:4: control 'aws-kms-key-rotation' has no param 'max_dayz' "
        "(did you mean max_days?)"
    )


def test_params_for_a_misspelt_control_name_the_nearest_control(
    capsys: pytest.CaptureFixture, tmp_path: Path, kms_snapshot: Path
) -> None:
    code, err, status = evaluate(capsys, tmp_path, kms_snapshot, "params:\n  aws-kms-key-rotatoin: {max_days: 180}\n")
    assert (code, status) == (2, None)
    assert ":2: params given for unknown control 'aws-kms-key-rotatoin' (did you mean aws-kms-key-rotation?)" in err


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # Text that looks like a number: CEL compared 300 <= "180" as an error.
        ('{max_days: "180"}', "param 'max_days' must be a whole number, not '180' (text)"),
        # true is 1 to Python, not to CEL, and not a number of days to anyone.
        ("{max_days: true}", "param 'max_days' must be a whole number, not true (true/false)"),
        ("{max_days: 180.5}", "param 'max_days' must be a whole number, not 180.5 (a number)"),
        ("{max_days: [180]}", "param 'max_days' must be a whole number, not [180] (a list)"),
        ("{max_days: }", "param 'max_days' must be a whole number, not nothing (an empty value)"),
        ("{max_days: {days: 180}}", "param 'max_days' must be a whole number, not {'days': 180} (a mapping)"),
    ],
)
def test_a_wrongly_typed_param_stops_the_run(
    capsys: pytest.CaptureFixture, tmp_path: Path, kms_snapshot: Path, override: str, expected: str
) -> None:
    code, err, status = evaluate(capsys, tmp_path, kms_snapshot, f"params:\n  aws-kms-key-rotation: {override}\n")
    assert (code, status) == (2, None)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"pcicheck.yaml:2: aws-kms-key-rotation: {expected}" in err


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # A list param given one bare name: `ns in "kube-system"` is a substring test in no CEL dialect.
        (
            "k8s-namespace-default-deny-ingress: {exempt_namespaces: kube-system}",
            "param 'exempt_namespaces' must be a list of text, not 'kube-system' (text) "
            "(give a list of text, like the default ['kube-system', 'kube-public', 'kube-node-lease']: "
            "write a list, [a, b], even of one item)",
        ),
        # Unquoted versions are numbers, and 1.30 is 1.3.
        (
            "aws-eks-supported-version: {supported_versions: [1.30, 1.31]}",
            "param 'supported_versions' must be a list of text, not [1.3, 1.31] (a list)",
        ),
        (
            "k8s-cde-namespace-pod-security-enforced: {min_level: 3}",
            "param 'min_level' must be text, not 3 (a whole number) "
            "(give text, like the default 'restricted': quote it)",
        ),
        ("aws-ec2-sg-no-world-admin-ports: {ports: ['22']}", "param 'ports' must be a list of whole numbers"),
    ],
)
def test_lists_and_text_are_typed_too(
    capsys: pytest.CaptureFixture, tmp_path: Path, kms_snapshot: Path, config: str, expected: str
) -> None:
    code, err, _ = evaluate(capsys, tmp_path, kms_snapshot, f"params:\n  {config}\n")
    assert code == 2 and "pcicheck.yaml:2: " in err and expected in err, err


def test_overrides_of_the_declared_type_are_used(
    capsys: pytest.CaptureFixture, tmp_path: Path, kms_snapshot: Path
) -> None:
    config = (
        "params:\n"
        "  aws-kms-key-rotation: {max_days: 299}\n"
        "  k8s-namespace-default-deny-ingress: {exempt_namespaces: []}\n"
        "  aws-eks-supported-version: {supported_versions: ['1.30']}\n"
    )
    assert evaluate(capsys, tmp_path, kms_snapshot, config)[::2] == (1, "fail")


def test_a_scan_refuses_the_typo_before_collecting_anything(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    """load_rules checks params before a live scan spends minutes collecting: no endpoint is contacted."""
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text("params:\n  aws-kms-key-rotation: {max_dayz: 180}\n")
    code = main(["scan", "--manifests", str(tmp_path), "--config", str(cfg), "-q"])
    assert code == 2
    assert "pcicheck.yaml:2: control 'aws-kms-key-rotation' has no param 'max_dayz'" in capsys.readouterr().err


def test_waivers_validate_checks_the_params_of_a_pcicheck_yaml(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    cfg = tmp_path / "pcicheck.yaml"
    cfg.write_text("params:\n  aws-kms-key-rotation: {max_dayz: 180}\nwaivers: []\n")
    code = main(["waivers", "validate", str(cfg)])
    assert code == 2 and "did you mean max_days?" in capsys.readouterr().err


# --- the control's own declaration and its test cases ------------------------------------------------


def validate(capsys: pytest.CaptureFixture, tmp_path: Path, text: str) -> tuple[int, str]:
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    (folder / "my-key-rotation.yaml").write_text(text)
    code = main(["controls", "validate", str(folder)])
    return code, capsys.readouterr().err


WITH_PARAMS = (
    GOOD.replace(
        "assert: resource.attributes.rotation_enabled == true",
        "assert: resource.attributes.rotation_enabled == true && resource.attributes.period <= params.max_days",
    )
    .replace("rationale:", "params: {max_days: 365}\nrationale:")
    .replace("rotation_enabled: true}}, expect: pass}", "rotation_enabled: true, period: 365}}, expect: pass}")
)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace("params: {max_days: 365}", "params: {max-days: 365}"),
            ":10: param name 'max-days' cannot be read in CEL as params.max-days",
        ),
        (
            lambda t: t.replace("params: {max_days: 365}", "params: {max_days: null}"),
            ":10: param 'max_days' has a default of no type a param can have: None",
        ),
        (
            lambda t: t.replace("params: {max_days: 365}", "params: {max_days: [1, a]}"),
            ":10: param 'max_days' has a default of no type a param can have",
        ),
        (
            lambda t: t.replace("expect: pass}", "expect: pass, params: {max_dayz: 400}}"),
            ":14: test 'params' names 'max_dayz', which the control does not declare (did you mean max_days?)",
        ),
        (
            lambda t: t.replace("expect: pass}", 'expect: pass, params: {max_days: "400"}}'),
            ":14: test param 'max_days' must be a whole number, not '400' (text)",
        ),
        (
            lambda t: t.replace("expect: pass}", "expect: pass, params: [max_days]}"),
            ":14: test 'params' must be a mapping of the control's params",
        ),
    ],
)
def test_a_control_declares_typed_params_and_its_cases_keep_to_them(
    capsys: pytest.CaptureFixture, tmp_path: Path, edit, expected: str
) -> None:
    assert validate(capsys, tmp_path, WITH_PARAMS) == (0, "1 controls valid\n")
    code, err = validate(capsys, tmp_path, edit(WITH_PARAMS))
    assert code == 2 and "Traceback" not in err and "internal error" not in err
    assert expected in err, err


_SCALARS = st.one_of(st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.none())


@given(default=_SCALARS, value=st.one_of(_SCALARS, st.lists(_SCALARS, max_size=3)))
def test_a_value_fits_only_the_type_its_default_declares(default: object, value: object) -> None:
    """bool is never a number, a number never text, a scalar never a list; only an int widens to a float."""
    declared = declared_type(default)
    fits = mismatch("p", value, default) is None
    if declared is None:
        assert default is None and fits  # nothing declared: the loader refuses the control instead
        return
    same = type(value) is type(default) or (isinstance(default, float) and type(value) is int)
    assert fits == same
