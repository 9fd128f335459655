"""Hostile evidence packs (issue 14, class 4): what `pcicheck verify` is handed by someone who wants a
forged report to pass, or a careless copy. Each test first shows what the input does to a naive reader
(a duplicate entry's two copies differ, a bomb declares far more than it weighs, a FIFO has no writer),
then that pcicheck refuses it on one line (exit 2) or fails verification naming it (exit 1).

The packs are built here: a signed pack sealed by pcicheck's own `seal`, then zipped or laid out with
the hostile entry added, patched at the byte level where zipfile cannot write the entry itself."""

from __future__ import annotations

import errno
import os
import stat
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcicheck import paths
from pcicheck.cli import main
from pcicheck.errors import InputError
from pcicheck.report.integrity import seal, verify
from pcicheck.report.pack_reader import PACK_MAX_BYTES
from tests.report.test_integrity import DOC as integrity_doc

DOC: dict[str, Any] = {**integrity_doc, "summary": {"fail": 3}}  # the sealed document of a genuine pack
GENUINE = {
    "index.html": b"<html>3 controls fail</html>" + b" " * 300,
    "results.json": b'{"summary": {"fail": 3}}',
    "controls/mine.yaml": b"id: mine\n",
}
FORGED = {"index.html": b"<html>every control passes</html>", "results.json": b'{"summary": {"fail": 0}}'}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return private, public


def zip_of(
    path: Path, entries: Iterable[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED
) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on a duplicate name, and writes it
        with zipfile.ZipFile(path, "w", compression=method) as z:
            for name, data in entries:
                z.writestr(name, data)
    return path


def patch_headers(path: Path, name: bytes, offset_local: int, offset_central: int, fmt: str, value: int) -> None:
    """Set one field of `name`'s local header and central directory record (zipfile cannot write
    encrypted or foreign-method entries, nor a NUL in a name)."""
    raw = bytearray(path.read_bytes())
    for signature, name_at, offset in ((b"PK\x03\x04", 30, offset_local), (b"PK\x01\x02", 46, offset_central)):
        at = raw.find(signature)
        while at != -1:
            length = struct.unpack_from("<H", raw, at + name_at - (4 if signature == b"PK\x03\x04" else 18))[0]
            if raw[at + name_at : at + name_at + length] == name:
                struct.pack_into(fmt, raw, at + offset, value)
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["verify", *argv])
    return code, capsys.readouterr().err


def one_line_error(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


# ---------------------------------------------------------------------------------------------------
# Duplicate entries


@pytest.mark.parametrize("forged_first", [True, False])
def test_a_forged_duplicate_entry_is_refused(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str], forged_first: bool
) -> None:
    private, public = signer
    genuine = list(seal(GENUINE, DOC, private).items())
    forged = list(FORGED.items())
    pack = zip_of(tmp_path / "pack.zip", forged + genuine if forged_first else genuine + forged)
    # The hostile input: two different index.html; zipfile reads one, `unzip -n` extracts the other.
    with zipfile.ZipFile(pack) as z:
        copies = {z.read(i) for i in z.infolist() if i.filename == "index.html"}
    assert copies == {GENUINE["index.html"], FORGED["index.html"]}
    code, err = run(capsys, str(pack), "--pub-key", str(public), "--require-signature")
    assert code == 2
    one_line_error(err, str(pack), "'index.html' appears twice")
    # Without the duplicate the same signed pack verifies.
    clean = zip_of(tmp_path / "clean.zip", genuine)
    assert run(capsys, str(clean), "--pub-key", str(public), "--require-signature")[0] == 0


# ---------------------------------------------------------------------------------------------------
# Names that are not plain relative paths


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/cron.d/evil", "absolute"),
        ("../evil.txt", "climbs out"),
        ("controls/../../evil.txt", "climbs out"),
        ("controls\\..\\evil.txt", "backslash"),
        ("C:/Windows/evil.txt", "absolute"),
    ],
)
def test_unsafe_entry_names_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, why: str
) -> None:
    pack = zip_of(tmp_path / "pack.zip", [*seal(GENUINE, DOC, None).items(), (name, b"planted")])
    with zipfile.ZipFile(pack) as z:
        assert name in z.namelist()  # zipfile keeps the name as written; extracting it naively escapes
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), repr(name), why)


def test_a_nul_in_a_name_is_refused_not_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """zipfile cuts a name at NUL, so "index.html\\0x" would read as a second index.html."""
    pack = zip_of(tmp_path / "pack.zip", [*seal(GENUINE, DOC, None).items(), ("index.htmlXforged", b"x")])
    raw = pack.read_bytes().replace(b"index.htmlXforged", b"index.html\x00forged")
    pack.write_bytes(raw)
    with zipfile.ZipFile(pack) as z:
        assert z.namelist().count("index.html") == 2  # what a naive reader sees
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, "NUL")


def test_a_traversal_listed_in_the_manifest_is_reported_never_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The manifest's names are keys, never paths: `../secret.txt` next to the pack is not read."""
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"outside the pack")
    listed = dict(GENUINE, **{"../secret.txt": secret.read_bytes()})
    pack = tmp_path / "pack"
    pack.mkdir()
    for name, data in seal(listed, DOC, None).items():
        if not name.startswith(".."):
            (pack / name).parent.mkdir(parents=True, exist_ok=True)
            (pack / name).write_bytes(data)
    assert (pack / "../secret.txt").read_bytes() == listed["../secret.txt"]  # it would match if followed
    result = verify(pack)
    assert result.problems == ["../secret.txt: removed (listed in the manifest, not in the pack)"]
    assert run(capsys, str(pack))[0] == 1


# ---------------------------------------------------------------------------------------------------
# Bytes the central directory does not account for


def drop_from_directory(path: Path, name: bytes) -> None:
    """Remove `name`'s central directory record (its local header and data stay): a file that tools
    reading the central directory never see, and tools reading front to back do."""
    raw = bytearray(path.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while raw[at + 46 : at + 46 + len(name)] != name:
        at = raw.find(b"PK\x01\x02", at + 4)
    n, m, k = struct.unpack_from("<HHH", raw, at + 28)
    size = 46 + n + m + k
    del raw[at : at + size]
    end = raw.rfind(b"PK\x05\x06")
    entries, cd_size = struct.unpack_from("<HI", raw, end + 10)
    struct.pack_into("<HHI", raw, end + 8, entries - 1, entries - 1, cd_size - size)
    path.write_bytes(bytes(raw))


def front_to_back(path: Path) -> list[str]:
    """Names as a streaming reader (local headers, in order) finds them."""
    raw, names, at = path.read_bytes(), [], 0
    while (at := raw.find(b"PK\x03\x04", at)) != -1:
        n = struct.unpack_from("<H", raw, at + 26)[0]
        names.append(raw[at + 30 : at + 30 + n].decode())
        at += 30
    return names


def test_an_entry_hidden_from_the_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sealed = list(seal(GENUINE, DOC, None).items())
    pack = zip_of(tmp_path / "pack.zip", [sealed[0], ("hidden.html", b"<html>forged</html>"), *sealed[1:]])
    drop_from_directory(pack, b"hidden.html")
    with zipfile.ZipFile(pack) as z:
        assert "hidden.html" not in z.namelist() and z.testzip() is None  # a valid zip to zipfile ...
    assert "hidden.html" in front_to_back(pack)  # ... with a file a streaming reader extracts
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), "bytes between", "does not list")


def test_bytes_before_the_first_entry_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = sealed_zip(tmp_path / "pack.zip")
    pack.write_bytes(b"#!/bin/sh\necho a self-extracting stub\n" + pack.read_bytes())
    with zipfile.ZipFile(pack) as z:
        assert z.testzip() is None  # zipfile skips the prefix
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, "bytes between the start of the file and")


def test_overlapping_entries_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two directory records pointing at one stretch of data: the trick of non-recursive zip bombs."""
    pack = sealed_zip(tmp_path / "pack.zip")
    with zipfile.ZipFile(pack) as z:
        first = z.infolist()[0].header_offset
    patch_headers(pack, b"results.json", 42, 42, "<I", first)  # only the central record has an offset
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), "overlaps the next one")


# ---------------------------------------------------------------------------------------------------
# Zip bombs

BOMB_BYTES = 300 << 20


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sealed pack plus a 300 MB entry of zeros that weighs ~300 KB, written by streaming."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zip_of(path, seal(GENUINE, DOC, None).items())
    zeros = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("snapshot.json.gz", "w") as f,
    ):
        for _ in range(BOMB_BYTES // len(zeros)):
            f.write(zeros)
    return path


def test_a_zip_bomb_stops_at_the_bound(bomb: Path) -> None:
    with zipfile.ZipFile(bomb) as z:
        declared = z.getinfo("snapshot.json.gz").file_size
    assert declared == BOMB_BYTES and bomb.stat().st_size < BOMB_BYTES // 100  # the hostile ratio
    with pytest.raises(InputError, match=r"'snapshot.json.gz': the pack holds more than 64 MiB") as caught:
        verify(bomb, limit=64 << 20)
    assert str(bomb) in str(caught.value)
    assert PACK_MAX_BYTES == 1 << 30  # what a genuine pack gets: packs of ~150 MB fit many times


def test_a_declared_size_is_not_trusted(tmp_path: Path, bomb: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same bomb declaring 1 KB: what actually inflates is counted, and the lie is damage."""
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bomb.read_bytes())
    patch_headers(liar, b"snapshot.json.gz", 22, 24, "<I", 1024)
    with zipfile.ZipFile(liar) as z:
        assert z.getinfo("snapshot.json.gz").file_size == 1024
    code, err = run(capsys, str(liar))
    assert code == 2
    one_line_error(err, str(liar), "'snapshot.json.gz' is damaged")


# VmHWM is this process's own peak: ru_maxrss would carry over the forking test runner's, which in a full
# test run is already larger than the bound.
MEASURE = """
import sys
from pcicheck.cli import main
code = main(["verify", sys.argv[1]])
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(code, peak)
"""


def test_a_large_entry_is_streamed_in_bounded_memory(bomb: Path) -> None:
    """Through the real CLI in a fresh process: a 300 MB entry is hashed chunk by chunk (it is within
    the 1 GiB bound, and not in the manifest), so the peak stays far below its size. Reading it whole,
    as verify did, peaked above 600 MB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb)], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    code, peak_kib = map(int, done.stdout.split())
    assert code == 1 and "snapshot.json.gz: added (not in the manifest)" in done.stderr
    assert peak_kib < 200 * 1024, f"peak RSS {peak_kib} KiB"


# ---------------------------------------------------------------------------------------------------
# Damaged, encrypted and foreign entries


def sealed_zip(path: Path, method: int = zipfile.ZIP_STORED) -> Path:
    return zip_of(path, seal(GENUINE, DOC, None).items(), method)


def test_a_bad_crc_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = sealed_zip(tmp_path / "pack.zip")
    raw = pack.read_bytes()
    pack.write_bytes(raw.replace(b"3 controls fail", b"0 controls fail", 1))  # stored: the bytes are plain
    with zipfile.ZipFile(pack) as z, pytest.raises(zipfile.BadZipFile, match="CRC"):
        z.read("index.html")
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), "'index.html' is damaged", "copy the pack again")


def test_a_truncated_entry_and_a_truncated_zip_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = b"evidence " * 20_000
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = squeeze.compress(data) + squeeze.flush()
    half = stream[: len(stream) // 2]  # the deflate stream stops half way, headers still promise it all
    pack = zip_of(tmp_path / "pack.zip", [*seal(GENUINE, DOC, None).items(), ("big.bin", half)], zipfile.ZIP_STORED)
    patch_headers(pack, b"big.bin", 8, 10, "<H", zipfile.ZIP_DEFLATED)
    patch_headers(pack, b"big.bin", 14, 16, "<I", zlib.crc32(data))
    patch_headers(pack, b"big.bin", 22, 24, "<I", len(data))
    with zipfile.ZipFile(pack) as z, pytest.raises((zipfile.BadZipFile, EOFError)):
        z.read("big.bin")
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), "'big.bin' is damaged")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])  # a partial download
    code, err = run(capsys, str(cut))
    assert code == 2
    one_line_error(err, str(cut), "truncated")


def test_an_encrypted_entry_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = sealed_zip(tmp_path / "pack.zip")
    patch_headers(pack, b"index.html", 6, 8, "<H", 0x1)  # general purpose flag bit 0: encrypted
    with zipfile.ZipFile(pack) as z, pytest.raises(RuntimeError, match="encrypted"):
        z.read("index.html")
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), "'index.html' is encrypted")


@pytest.mark.parametrize("method", [9, 12, 14, 93, 99])  # deflate64, bzip2, lzma, zstd, AES
def test_a_foreign_compression_method_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], method: int
) -> None:
    pack = sealed_zip(tmp_path / "pack.zip")
    patch_headers(pack, b"index.html", 8, 10, "<H", method)
    with zipfile.ZipFile(pack) as z:
        assert z.getinfo("index.html").compress_type == method
    code, err = run(capsys, str(pack))
    assert code == 2
    one_line_error(err, str(pack), f"'index.html' uses compression method {method}")


def test_a_symlink_entry_in_a_zip_is_not_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """unzip makes an entry with a symlink mode into a symlink; the pack holds only regular files."""
    link = zipfile.ZipInfo("etc")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    pack = zip_of(tmp_path / "pack.zip", [*seal(GENUINE, DOC, None).items(), (link, b"/etc")])
    code, err = run(capsys, str(pack))
    assert code == 1
    assert "etc: unexpected symbolic link" in err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=4))
def test_any_corruption_is_a_verdict_or_one_line_error(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    """Bytes flipped anywhere in a signed deflated pack: verify returns a verdict or raises InputError,
    never anything else (what reached the user as "internal error")."""
    seed, pack = tmp_path / "seed.zip", tmp_path / "fuzz.zip"
    if not seed.exists():  # tmp_path is shared by the examples
        sealed_zip(seed, zipfile.ZIP_DEFLATED)
    raw = bytearray(seed.read_bytes())
    for at, xor in flips:
        raw[at % len(raw)] ^= xor
    pack.write_bytes(bytes(raw))
    try:
        verify(pack)
    except InputError as exc:
        assert "\n" not in str(exc)


# ---------------------------------------------------------------------------------------------------
# A pack folder holding what is not a regular file


def folder(path: Path) -> Path:
    path.mkdir()
    for name, data in seal(GENUINE, DOC, None).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


def test_symlinks_in_a_pack_folder_are_reported_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = folder(tmp_path / "pack")
    outside = tmp_path / "copy.html"
    outside.write_bytes(GENUINE["index.html"])
    (pack / "index.html").unlink()
    (pack / "index.html").symlink_to(outside)  # the genuine bytes, from outside the pack
    (pack / "etc").symlink_to("/etc")
    (pack / "dangling").symlink_to(tmp_path / "nowhere")
    (pack / "controls" / "inside").symlink_to("mine.yaml")
    assert (pack / "index.html").read_bytes() == GENUINE["index.html"]  # a follower would find it genuine
    result = verify(pack)
    assert result.problems == [
        f"{name}: unexpected symbolic link (a pack holds only regular files; not opened or followed)"
        for name in ("controls/inside", "dangling", "etc", "index.html")
    ]
    assert result.checked == 2
    assert run(capsys, str(pack))[0] == 1


VERIFY = "import sys; from pcicheck.cli import main; sys.exit(main(['verify', *sys.argv[1:]]))"


def test_a_fifo_is_reported_never_opened(tmp_path: Path) -> None:
    """A FIFO with no writer blocks whoever opens it for reading; as a pack entry or as the pack
    itself it is named and never opened. In a subprocess with a timeout, so a regression fails
    rather than hangs."""
    pack = folder(tmp_path / "pack")
    os.mkfifo(pack / "pipe")
    os.mkfifo(tmp_path / "pack.zip")
    with pytest.raises(OSError) as no_reader:
        os.close(os.open(pack / "pipe", os.O_WRONLY | os.O_NONBLOCK))
    assert no_reader.value.errno == errno.ENXIO  # nobody will ever write to it
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for target, code, says in (
        (pack, 1, "pipe: unexpected FIFO (named pipe)"),
        (tmp_path / "pack.zip", 2, "not an evidence pack: a FIFO (named pipe)"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", VERIFY, str(target)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == code and says in done.stderr, done.stderr


def test_a_device_in_a_pack_folder_is_reported(tmp_path: Path) -> None:
    pack = folder(tmp_path / "pack")
    try:
        os.mknod(pack / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    assert verify(pack).problems == [
        "zero: unexpected character device (a pack holds only regular files; not opened or followed)"
    ]


# ---------------------------------------------------------------------------------------------------
# diff and report read a pack's results.json through the same reader


def test_diff_and_report_read_packs_with_the_same_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scanned = tmp_path / "scanned"
    assert main(["scan", "--manifests", str(paths.demo_dir() / "k8s-cluster.yaml"), "--out", str(scanned), "-q"]) == 1
    files = [(p.relative_to(scanned).as_posix(), p.read_bytes()) for p in sorted(scanned.rglob("*")) if p.is_file()]
    zipped = zip_of(tmp_path / "pack.zip", files)
    assert main(["diff", str(scanned), str(zipped)]) == 0  # a folder pack and a zip pack, same findings
    capsys.readouterr()
    forged = zip_of(tmp_path / "forged.zip", [("results.json", b'{"schema": "forged"}'), *files])
    for argv in (["diff", str(scanned), str(forged)], ["report", str(forged), "--out", str(tmp_path / "again")]):
        assert main(argv) == 2
        one_line_error(capsys.readouterr().err, str(forged), "'results.json' appears twice")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "results.json").symlink_to(scanned / "results.json")
    assert main(["diff", str(scanned), str(linked)]) == 2
    one_line_error(capsys.readouterr().err, "results.json is a symbolic link")
    os.mkfifo(tmp_path / "results.json")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    diff = "import sys; from pcicheck.cli import main; sys.exit(main(['diff', *sys.argv[1:]]))"
    done = subprocess.run(
        [sys.executable, "-c", diff, str(scanned), str(tmp_path / "results.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "results document is a FIFO" in done.stderr, done.stderr
