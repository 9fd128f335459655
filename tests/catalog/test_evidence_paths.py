"""Evidence paths that project fields out of a list of records (pcicheck/evidence_path.py): their syntax,
what they show, the loader's errors, and — over the whole built-in catalog — that no projection drops a
field the control's `where` or `assert` reads."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pcicheck.catalog import load_catalog
from pcicheck.cli import main
from pcicheck.collect.registry import resource_types
from pcicheck.evaluate.reads import Token, tokens
from pcicheck.evidence_path import NOT_COLLECTED, EvidencePath, EvidencePathError, Fields, parse
from tests.catalog.test_loader import GOOD, problems_for

CONTAINER = {
    "name": "app",
    "init": False,
    "image": "registry.example/app@sha256:abc",
    "image_ref": {"registry": "registry.example", "tag": None, "digest": "sha256:abc", "reference": "r@sha256:abc"},
    "run_as_non_root": True,
    "run_as_user": 1000,
    "limits": {"cpu": "1"},
}


def test_a_plain_path_is_the_value_whole() -> None:
    path = parse("containers")
    assert (path.text, path.in_facts, path.keys, path.fields) == ("containers", False, ("containers",), None)
    assert path.value({"containers": [CONTAINER]}, {}) == [CONTAINER]
    assert parse("facts.tenant").value({}, {"tenant": "t1"}) == "t1"
    assert parse("encryption.kms_key_id").value({"encryption": None}, {}) == NOT_COLLECTED


def test_a_projection_keeps_the_named_fields_of_each_record_in_their_order() -> None:
    path = parse("containers[].{ name, run_as_user ,run_as_non_root}")
    assert path.text == "containers[].{name,run_as_user,run_as_non_root}"  # the one spelling: the key shown
    shown = path.value({"containers": [CONTAINER, {**CONTAINER, "name": "side", "run_as_user": 0}]}, {})
    assert shown == [
        {"name": "app", "run_as_user": 1000, "run_as_non_root": True},
        {"name": "side", "run_as_user": 0, "run_as_non_root": True},
    ]
    assert list(shown[0]) == ["name", "run_as_user", "run_as_non_root"]


def test_a_dotted_field_keeps_its_nesting_and_a_null_parent_stays_null() -> None:
    path = parse("containers[].{name,image_ref.tag,image_ref.digest}")
    refused = {**CONTAINER, "name": "odd", "image_ref": None}
    assert path.value({"containers": [CONTAINER, refused]}, {}) == [
        {"name": "app", "image_ref": {"tag": None, "digest": "sha256:abc"}},
        {"name": "odd", "image_ref": None},
    ]


def test_what_was_not_collected_stays_so_and_what_is_not_a_record_is_shown_whole() -> None:
    path = parse("containers[].{name,seccomp_profile}")
    assert path.value({}, {}) == NOT_COLLECTED
    assert path.value({"containers": None}, {}) is None
    assert path.value({"containers": "garbled"}, {}) == "garbled"
    assert path.value({"containers": [CONTAINER, "x", 3, None]}, {}) == [
        {"name": "app", "seccomp_profile": NOT_COLLECTED},
        "x",
        3,
        None,
    ]
    assert parse("facts.ingress_sources[].{namespace}").value({}, {"ingress_sources": [{"namespace": "a"}]}) == [
        {"namespace": "a"}
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not a dotted attribute or fact name"),
        ("containers[]", "is not a dotted attribute or fact name"),
        ("containers[].name", "is not a dotted attribute or fact name"),
        ("containers[0].{name}", "is not a dotted attribute or fact name"),
        ("containers[].{name,}", "has a field that is not a dotted name"),
        ("containers[].{}", "has a field that is not a dotted name"),
        ("containers[].{n: name}", "has a field that is not a dotted name"),
        ("containers[].{name,name}", "names a field twice"),
        ("containers[].{image_ref,image_ref.tag}", "names image_ref both whole and by its fields"),
        ("containers[].{image_ref.tag,image_ref}", "names image_ref both whole and by its fields"),
        ("facts.", "is not a dotted attribute or fact name"),
        ("facts", "names no fact"),
        ("a..b", "is not a dotted attribute or fact name"),
        ("containers[].{name}[].{x}", "is not a dotted attribute or fact name"),
    ],
)
def test_malformed_paths_say_what_is_wrong_and_how_to_write_one(text: str, says: str) -> None:
    with pytest.raises(EvidencePathError) as info:
        parse(text)
    assert says in str(info.value)
    assert info.value.fix


BAD = GOOD + 'evidence: [rotation_enabled, "containers[].{name,}"]\n'


def test_a_malformed_path_is_the_controls_error_with_its_line(tmp_path: Path) -> None:
    (problem,) = problems_for(tmp_path, BAD)
    assert problem.startswith(f"{tmp_path / 'my-key-rotation.yaml'}:15: evidence path 'containers[].{{name,}}'")
    assert "e.g. containers[].{name,init,run_as_non_root}" in problem


def test_a_user_control_with_a_malformed_path_stops_the_run_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "my-key-rotation.yaml").write_text(BAD)
    code = main(["scan", "--aws", "--controls", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"{tmp_path / 'my-key-rotation.yaml'}:15: evidence path" in err


def test_a_projection_is_loaded_in_its_one_spelling(tmp_path: Path) -> None:
    (tmp_path / "my-key-rotation.yaml").write_text(GOOD + 'evidence: [manager, "aliases[].{ name , arn }"]\n')
    (control,) = load_catalog([tmp_path], builtin=False).controls
    assert control.evidence == ("manager", "aliases[].{name,arn}")


# --- No projection in the catalog drops a field its control's CEL reads --------------------------------

MACROS = {"all", "exists", "exists_one", "map", "filter"}


@dataclass(frozen=True)
class Use:
    path: str  # the projected list, as the evidence path names it
    read: str  # what of a record the CEL reads: a dotted field, or a description of an unhandled use


def _selection(toks: list[Token], at: int) -> tuple[list[str], int]:
    """The field names selected from toks[at] on (`.a.b`, stopping before a method call), and the index after."""
    names: list[str] = []
    i = at
    while i + 1 < len(toks) and toks[i].text == "." and toks[i + 1].kind == "ident":
        if i + 2 < len(toks) and toks[i + 2].text == "(":
            break
        names.append(toks[i + 1].text)
        i += 2
    return names, i


def _closing(toks: list[Token], opening: int) -> int:
    depth = 0
    for i in range(opening, len(toks)):
        depth += {"(": 1, ")": -1}.get(toks[i].text, 0) if toks[i].kind == "punct" else 0
        if depth == 0:
            return i
    raise AssertionError("unbalanced parentheses")


def uses_of(expression: str, path: EvidencePath) -> list[Use]:
    """Every read of the list `path` projects, as the fields of a record it reads. A use this cannot
    follow (the list passed whole, a record variable used bare) is returned as such, so the check fails
    rather than guesses."""
    toks = list(tokens(expression))
    head = ["resource", "facts" if path.in_facts else "attributes", *path.keys]
    uses: list[Use] = []
    for i in range(len(toks)):
        if [t.text for t in toks[i : i + 2 * len(head) - 1 : 2]] != head or toks[i].kind != "ident":
            continue
        if (i > 0 and toks[i - 1].text == ".") or any(t.text != "." for t in toks[i + 1 : i + 2 * len(head) - 1 : 2]):
            continue
        j = i + 2 * len(head) - 1  # just after the list
        if j + 4 < len(toks) and toks[j].text == "." and toks[j + 1].text in MACROS and toks[j + 2].text == "(":
            var, comma = toks[j + 3], toks[j + 4]
            assert var.kind == "ident" and comma.text == ",", expression
            end = _closing(toks, j + 2)
            body = toks[j + 5 : end]
            for k, t in enumerate(body):
                if t.kind != "ident" or t.text != var.text or (k > 0 and body[k - 1].text == "."):
                    continue
                names, after = _selection(body, k + 1)
                # CEL's tokens here are one character of punctuation each: `!=` is `!`, `=`.
                rest = "".join(x.text for x in body[after : after + 3])
                null_test = rest in ("==null", "!=null")
                read = ".".join(names) + (" (null test)" if null_test else "")
                uses.append(Use(path.text, read or f"{var.text} used whole"))
        elif i >= 2 and toks[i - 2].text == "size" and toks[i - 1].text == "(" and toks[j].text == ")":
            continue  # its length only: a projection keeps every element
        else:
            uses.append(Use(path.text, "the list used whole"))
    return uses


def covered(fields: Fields, read: str) -> bool:
    null_test = read.endswith(" (null test)")
    node: Fields | None = fields
    for name in read.removesuffix(" (null test)").split(".") if read and "used whole" not in read else ["?"]:
        if node is None:
            return True
        if name not in node:
            return False
        node = node[name]
    return node is None or null_test  # a field shown whole, or only tested for null (its nesting shows that)


def dropped(control_where: str, control_assert: str, evidence: tuple[str, ...]) -> list[Use]:
    out = []
    for text in evidence:
        path = parse(text)
        if path.fields is None:
            continue
        for expr in (control_where, control_assert):
            out += [u for u in uses_of(expr, path) if not covered(path.fields, u.read)]
    return out


def test_the_check_catches_a_projection_that_drops_a_read_field() -> None:
    where, check = "true", 'resource.attributes.containers.all(c, c.image_ref != null && c.image_ref.tag != "x")'
    assert dropped(where, check, ("containers[].{name,image_ref.tag}",)) == []
    assert dropped(where, check, ("containers[].{name,image_ref}",)) == []
    assert dropped(where, check, ("containers[].{name,image_ref.digest}",)) == [
        Use("containers[].{name,image_ref.digest}", "image_ref.tag")
    ]
    assert dropped(where, "resource.attributes.containers.all(c, f(c))", ("containers[].{name}",)) == [
        Use("containers[].{name}", "c used whole")
    ]
    assert dropped(where, "resource.attributes.containers == []", ("containers[].{name}",)) == [
        Use("containers[].{name}", "the list used whole")
    ]
    assert dropped("size(resource.attributes.containers) > 0", "true", ("containers[].{name}",)) == []
    # Another list that merely shares the name's tail is not this one.
    assert dropped(where, "lookup(x).attributes.containers.all(c, c.tag == 1)", ("containers[].{name}",)) == []


def test_no_projection_in_the_catalog_drops_a_field_its_control_reads() -> None:
    checked: dict[str, list[Any]] = {}
    missing = []
    for c in load_catalog().controls:
        projected = [e for e in c.evidence if parse(e).fields is not None]
        if not projected:
            continue
        checked[c.id] = projected
        missing += [(c.id, u) for u in dropped(c.where, c.assertion, c.evidence)]
    assert missing == []
    # Not vacuous: the workload controls and the load balancers' listeners are among those checked.
    assert {"k8s-workload-run-as-non-root", "k8s-workload-image-not-latest", "aws-elbv2-tls-policy-min-tls12"} <= set(
        checked
    )
    assert len(checked) >= 28


def test_every_path_in_the_catalog_names_a_declared_attribute_and_its_fields() -> None:
    """A misspelt field would show `<not collected>` on every record of every finding: each path's
    attribute is declared for its control's resource type, and each projected field is a word of that
    attribute's declaration (which lists its records' fields)."""
    types = resource_types()
    wrong = []
    for c in load_catalog().controls:
        for text in c.evidence:
            path = parse(text)
            if path.in_facts:
                continue  # facts: tests/analyze/test_registry.py checks each is declared
            declared = types[c.resource].attributes.get(path.keys[0])
            if declared is None:
                wrong.append((c.id, text, path.keys[0]))
                continue
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", declared.doc or ""))
            wrong += [(c.id, text, name) for name in _field_names(path.fields or {}) if name not in words]
    assert wrong == []


def _field_names(fields: Fields) -> set[str]:
    return {n for name, sub in fields.items() for n in {name, *(_field_names(sub) if sub else ())}}
