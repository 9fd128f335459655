"""yamlfile's two readers agree: the plain reader (documents built straight from libyaml's events) gives
exactly what the composing loader gives — values, their types, every mapping's line and each key's line —
or gives up, and then the composing loader reads the file, with its bounds and its errors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pcicheck.errors import InputError
from pcicheck.yamlfile import (
    MAX_DEPTH,
    MAX_OBJECT_BYTES,
    LineDict,
    NotPlain,
    composed_documents,
    load_documents,
    plain_documents,
)

REPO = Path(__file__).resolve().parents[1]


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal values of the same types (True is not 1), with the same lines for every mapping and key."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, LineDict):
        assert (a.line, a.key_lines) == (b.line, b.key_lines), where
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


def agree(text: str) -> bool:
    """The plain reader's documents equal the composing loader's; False when it gave up."""
    try:
        plain = plain_documents(text)
    except NotPlain:
        return False
    same(plain, composed_documents(text))
    return True


def repo_yaml() -> list[Path]:
    return sorted(p for folder in ("controls", "fixtures", "tests") for p in (REPO / folder).rglob("*.y*ml"))


def test_every_yaml_file_in_the_repository_reads_the_same() -> None:
    files = repo_yaml()
    assert len(files) > 200
    plain = [path for path in files if agree(path.read_text())]
    # The catalog is what every run reads: all of it takes the plain path but the few controls whose test
    # cases share resources through anchors.
    composed = [p for p in files if p.is_relative_to(REPO / "controls") and p not in plain]
    assert all(" &" in p.read_text() for p in composed), composed
    assert len(plain) > 0.9 * len(files)


GIVES_UP = {
    "an anchor and an alias": "a: &x [1, 2]\nb: *x\n",
    "an anchor alone": "a: &x 1\n",
    "a tag": "a: !!str 1\n",
    "a local tag": "a: !thing x\n",
    "a tagged top level": "--- !!map\na: 1\n",
    "a merge key": "base: {x: 1}\nuse: {<<: {x: 1}, y: 2}\n",
    "a value key": "a: {=: 1}\n",
    "a duplicate key": "a: {x: 1, x: 2}\n",
    "a duplicate top-level key": "a: 1\na: 2\n",
    "a quoted merge key at the top": "'<<': 1\n",
    "a list as a key": "a: {? [1, 2] : x}\n",
    "a syntax error": "a: [1, 2\n",
    "one object too deep": "a: {b: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}\n",
}


@pytest.mark.parametrize("text", GIVES_UP.values(), ids=GIVES_UP.keys())
def test_what_the_plain_reader_leaves_to_the_composing_loader(text: str, tmp_path: Path) -> None:
    with pytest.raises(NotPlain):
        plain_documents(text)
    path = tmp_path / "f.yaml"
    path.write_text(text)
    try:
        composed = composed_documents(text)
    except yaml.YAMLError:
        with pytest.raises(InputError) as info:
            load_documents(path)
        assert info.value.path == str(path) and info.value.line
        return
    same(load_documents(path), composed)


def test_the_depth_bound_is_the_same() -> None:
    """MAX_DEPTH levels inside a top-level list's element are read; one more is left to the composing
    loader, which refuses it."""
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert agree(f"- {deep}\n")
    with pytest.raises(NotPlain):
        plain_documents(f"- [{deep}]\n")
    with pytest.raises(yaml.YAMLError, match="nested more than"):
        composed_documents(f"- [{deep}]\n")


def test_the_object_size_bound_is_the_same(tmp_path: Path) -> None:
    small = "x" * (MAX_OBJECT_BYTES // 2)
    assert agree(f"items:\n- {{data: {small}}}\n- {{data: {small}}}\n")
    path = tmp_path / "big.yaml"
    path.write_text(f"items:\n- {{data: {small}}}\n- {{data: {small}{small}x}}\n")
    with pytest.raises(NotPlain):
        plain_documents(path.read_text())
    with pytest.raises(InputError, match="one object is larger than") as info:
        load_documents(path)
    assert info.value.line == 3


@pytest.mark.parametrize("text", ["0b_", "0x_", "._", "-0b_"])
def test_a_scalar_only_shaped_like_a_number_is_text(text: str) -> None:
    """PyYAML raised ValueError (an internal error naming no file); kubectl reads these as strings."""
    assert plain_documents(f"a: {text}\n") == [{"a": text}]
    assert composed_documents(f"a: {text}\n") == [{"a": text}]


def test_implicit_types_are_yaml_1_1_without_timestamps() -> None:
    text = (
        "a: [yes, No, on, OFF, true, ~, null, '', 1_000, 0x1F, 0o7, 017, 0b101, 1:30, -2.5e+3, .inf, -.Inf, .nan,"
        " 2027-02-30, '123', \"true\", 1e3, +12, =x, <<x]\n"
    )
    assert agree(text)
    [doc] = plain_documents(text)
    assert doc["a"][:8] == [True, False, True, False, True, None, None, ""]
    assert doc["a"][8:13] == [1000, 31, "0o7", 15, 5] and doc["a"][18] == "2027-02-30"


def test_keys_of_every_scalar_type_become_text() -> None:
    assert agree("1: a\ntrue: b\n~: c\n2.5: d\nx: {1: a, false: b, null: c}\n")
    [doc] = plain_documents("1: a\nx: {null: c}\n")
    assert list(doc) == ["1", "x"] and list(doc["x"]) == ["None"]


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["yes", "off", "~", "0x1F", "1:30", ".nan", "2027-01-01", "<<", "=", "0b_", "- a", "a: b"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(docs=st.lists(VALUES, min_size=1, max_size=3), flow=st.sampled_from([None, True, False]))
def test_any_document_reads_the_same(docs: list[Any], flow: bool | None) -> None:
    text = yaml.safe_dump_all(docs, default_flow_style=flow, allow_unicode=True)
    agree(text)
    for doc in docs:  # and each one as the element of a top-level list and a top-level key's value
        agree(yaml.safe_dump({"items": [doc, doc], "one": doc}, default_flow_style=flow))
