"""The parsed built-in catalog kept across runs (catalog_cache.py, cachefile.py): a cached catalog equals a
freshly read one, lines included; an entry is used only when its key, its checksum and its owner say so;
anything else is read again from the YAML, and a cache that cannot be written is no cache, not an error."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcicheck import cachefile, catalog_cache
from pcicheck.catalog import load_catalog, load_frameworks
from pcicheck.iac.mapping import load_mapping, mapping_path
from pcicheck.model import Severity, Status
from pcicheck.yamlfile import LineDict
from tests.test_yamlfile import same


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PCICHECK_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "pcicheck" / "derived"


def entry(cache: Path, name: str) -> Path:
    (path,) = cache.glob(f"builtin-{name}-*.json")  # named by its key too
    return path


def rewrite(path: Path, edit: Callable[[Any], object]) -> None:
    """Changes an entry's payload and gives it the checksum of the new payload (as its owner could)."""
    head, _, body = path.read_bytes().partition(b"\n")
    payload = json.loads(body)
    edit(payload)
    new_body = json.dumps(payload).encode()
    header = json.loads(head) | {"sha256": hashlib.sha256(new_body).hexdigest()}
    path.write_bytes(json.dumps(header).encode() + b"\n" + new_body)


def test_a_cached_catalog_equals_a_freshly_read_one(cache: Path) -> None:
    fresh = load_catalog()
    assert {p.name.rsplit("-", 1)[0] for p in cache.iterdir()} == {"builtin-frameworks", "builtin-controls"}
    cached = load_catalog()
    assert cached == fresh and cached.digest() == fresh.digest()
    for a, b in zip(cached.controls, fresh.controls, strict=True):
        same(a.params, b.params, a.id)
        for x, y in zip(a.tests, b.tests, strict=True):
            assert x.line == y.line
            same(x.resource, y.resource, f"{a.id}: {x.name}")
            same(list(x.related), list(y.related), f"{a.id}: {x.name}")
            same(x.params, y.params, f"{a.id}: {x.name}")
    assert isinstance(cached.controls[0].severity, Severity)
    assert isinstance(cached.controls[0].tests[0].expect, Status)
    assert isinstance(cached.controls[0].tests[0].resource, LineDict)


def test_the_checkov_mapping_is_cached_too(cache: Path) -> None:
    fresh = load_mapping()
    assert entry(cache, "checkov-mapping").is_file()
    assert load_mapping() == fresh == load_mapping(mapping_path())


def test_the_entry_is_what_a_second_run_reads(cache: Path) -> None:
    """Shown with an entry its owner changed: read as it is (the key says the inputs did not change)."""
    load_frameworks()

    rewrite(entry(cache, "frameworks"), lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update(title="retitled"))
    assert load_frameworks()["pci-dss-4.0.1"].title == "retitled"


def test_a_damaged_entry_is_read_again_and_replaced(cache: Path) -> None:
    expected = load_frameworks()
    path = entry(cache, "frameworks")
    data = bytearray(path.read_bytes())
    data[-20] ^= 1  # one flipped bit in the payload: the checksum no longer matches
    path.write_bytes(bytes(data))
    assert load_frameworks() == expected
    assert path.read_bytes() != bytes(data)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(b"not json\n{}"),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: rewrite(p, lambda payload: payload.update({"v": {"x": {"c": ["Control", {}]}}})),
        lambda p: rewrite(p, lambda payload: payload.update({"v": {"x": {"c": ["os.system", {}]}}})),
        lambda p: rewrite(p, lambda payload: payload.clear()),
    ],
    ids=["empty", "not json", "cut short", "wrong fields", "unknown class", "no payload"],
)
def test_a_foreign_or_malformed_entry_is_never_used(cache: Path, damage: Callable[[Path], object]) -> None:
    expected = load_frameworks()
    damage(entry(cache, "frameworks"))
    assert load_frameworks() == expected


def test_an_entry_for_other_inputs_is_not_used(cache: Path) -> None:
    load_frameworks()
    path = entry(cache, "frameworks")
    head, _, body = path.read_bytes().partition(b"\n")
    header = json.loads(head) | {"key": "0" * 64}
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    rewrite(path, lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update({"title": "stale"}))
    assert load_frameworks()["pci-dss-4.0.1"].title != "stale"


def test_an_entry_others_can_write_is_not_used(cache: Path) -> None:
    load_frameworks()
    path = entry(cache, "frameworks")
    rewrite(path, lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update({"title": "planted"}))
    path.chmod(0o666)
    assert load_frameworks()["pci-dss-4.0.1"].title != "planted"
    rewrite(path, lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update({"title": "planted"}))
    path.chmod(0o600)
    cache.chmod(0o777)  # a folder others can write to: they could have swapped the file in
    assert load_frameworks()["pci-dss-4.0.1"].title != "planted"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_an_entry_owned_by_another_user_is_not_used(cache: Path) -> None:
    load_frameworks()
    path = entry(cache, "frameworks")
    rewrite(path, lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update({"title": "planted"}))
    os.chown(path, 12345, 12345)
    assert load_frameworks()["pci-dss-4.0.1"].title != "planted"


def test_a_symlinked_entry_is_not_followed(cache: Path, tmp_path: Path) -> None:
    load_frameworks()
    path = entry(cache, "frameworks")
    rewrite(path, lambda payload: payload["v"]["pci-dss-4.0.1"]["c"][1].update({"title": "planted"}))
    elsewhere = tmp_path / "elsewhere.json"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert load_frameworks()["pci-dss-4.0.1"].title != "planted"


def test_an_unwritable_cache_is_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("PCICHECK_CACHE", str(blocker))
    assert load_catalog() == load_catalog()
    assert blocker.read_text().startswith("a file")


def test_the_key_follows_every_input_byte_and_the_code(tmp_path: Path) -> None:
    a, b, code = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "code.py"
    a.write_text("x: 1\n")
    b.write_text("y: 2\n")
    code.write_text("pass\n")
    first = catalog_cache.key([a, b], [code], ["aws.s3.bucket"])
    assert catalog_cache.key([a, b], [code], ["aws.s3.bucket"]) == first
    b.write_text("y: 3\n")
    assert catalog_cache.key([a, b], [code], ["aws.s3.bucket"]) != first
    b.write_text("y: 2\n")
    code.write_text("pass  # changed\n")
    assert catalog_cache.key([a, b], [code], ["aws.s3.bucket"]) != first
    code.write_text("pass\n")
    assert catalog_cache.key([a, b], [code], []) != first  # a resource type no longer declared
    assert catalog_cache.key([b, a], [code], ["aws.s3.bucket"]) != first


def test_parts_cannot_run_into_each_other() -> None:
    assert cachefile.content_key([b"ab", b"c"]) != cachefile.content_key([b"a", b"bc"])


def test_only_plain_data_and_known_records_are_encoded() -> None:
    lines = LineDict({"x": "y"})
    lines.line, lines.key_lines = 3, {"x": 4}
    value = {"a": (1, 2.5, None, True, float("inf")), "b": [lines], "s": Severity.HIGH, "e": Status.ERROR}
    decoded = catalog_cache.decode(json.loads(json.dumps(catalog_cache.encode(value))))
    same(decoded, value)
    assert type(decoded["s"]) is Severity and type(decoded["a"]) is tuple
    for bad in (object(), {1: "int key"}, {"set": {1}}, Path("/x"), LineDict({"no": "lines"})):
        with pytest.raises(TypeError):
            catalog_cache.encode(bad)


def test_entries_of_other_versions_stay_side_by_side(cache: Path) -> None:
    """Two checkouts or versions sharing a cache each keep their entry; only the newest KEEP of a name stay."""
    keys = [f"{n:x}" * 64 for n in range(cachefile.KEEP + 2)]
    for n, key in enumerate(keys[:2]):
        cachefile.write("thing", key[:64], {"n": n})
    assert [cachefile.read("thing", key[:64]) for key in keys[:2]] == [{"n": 0}, {"n": 1}]  # no thrashing
    for n, key in enumerate(keys[2:], start=2):
        time.sleep(0.01)  # distinct modification times
        cachefile.write("thing", key[:64], {"n": n})
    assert len(list(cache.glob("thing-*.json"))) == cachefile.KEEP
    assert cachefile.read("thing", keys[0][:64]) is None  # the oldest went
    assert cachefile.read("thing", keys[-1][:64]) == {"n": len(keys) - 1}
