"""Reading an evidence pack, a directory or a .zip, without trusting it.

A pack comes from elsewhere (an auditee hands it to an assessor), so whoever made it controls its
names, sizes and entry types. The reader therefore:

- refuses a zip that names one file twice: the central directory is then ambiguous (Python's zipfile
  keeps the last copy, `unzip -n` extracts the first), so what was verified need not be what is read;
- refuses a zip whose entries do not tile the file (bytes before, between or after them that the
  central directory does not list, or two entries sharing bytes): a tool reading local headers front
  to back would find a file verify never saw, and shared bytes are how small zips inflate huge;
- refuses entry names that are not plain relative paths (absolute, a drive letter, a `..` segment, a
  backslash or a NUL byte): the rule Go's archive/zip applies since 1.20 (ErrInsecurePath);
- reads only stored and deflated entries, unencrypted: what pcicheck writes and what every zip tool
  writes by default (OOXML and EPUB containers allow the same two methods); anything else is refused;
- inflates by streaming, hashing each chunk, and stops once PACK_MAX_BYTES have actually come out
  (the sizes a zip header declares are not trusted), so memory stays a few chunks whatever the pack;
- in a directory, never opens or follows what is not a regular file or a directory: a symlink (even
  one pointing inside the pack), a FIFO, a socket or a device is reported as an unexpected entry;
- under an S3 prefix (objectstore.py), lists the objects page by page and refuses a key whose name
  below the prefix is not a plain relative path (as in a zip), then streams each object through the
  same budget; a key ending in "/" (a console-made folder marker) is a directory.

Every refusal is an InputError naming the pack, the entry and what to do; nothing reaches the user as
an internal error.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from pcicheck.errors import InputError
from pcicheck.objectstore import NoSuchObject, ObjectStore, S3Location

PackSource = Path | S3Location  # where a pack is: its directory or .zip, or an S3 prefix

# The most a whole pack may inflate to. A pack holds the rendered reports, results.json and the
# gzipped snapshot; the largest estates expected produce packs of ~150 MB, so 1 GiB leaves room
# while an inflated zip bomb stops after a few seconds of work.
PACK_MAX_BYTES = 1 << 30
# The most of one file kept in memory whole (manifest.json, manifest.sig): the manifest of a pack
# holding 100,000 files is ~15 MB; a larger one is refused before it is parsed.
KEEP_MAX_BYTES = 64 << 20
CHUNK = 1 << 20

ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
DESCRIPTOR_SIZES = {12, 16, 20, 24}  # CRC and sizes, 32- or 64-bit, with or without its signature
UNIX = 3  # "version made by" host system: only then do the upper external attributes hold a mode
NOT_A_PACK = "pass the directory or .zip written by --out"
NOT_AN_S3_PACK = "pass the s3://bucket/prefix/ a pack was written to with --out"
REEXPORT = "ask for the pack as pcicheck wrote it: `pcicheck scan --out` or `pcicheck report --out`"
UNREADABLE = "check that it is readable by this user"
RECOPY = "copy the pack again from its source: it was damaged on the way or edited"


@dataclass(frozen=True)
class PackFile:
    """One regular file of a pack, as read: its digest, its size and, when asked for, its bytes."""

    sha256: str
    size: int
    data: bytes | None = None


@dataclass(frozen=True)
class PackContents:
    files: dict[str, PackFile]  # every regular file, by its path inside the pack
    unexpected: dict[str, str]  # entries that are not regular files → what they are ("symbolic link", …)


def read_pack(
    path: PackSource, keep: Collection[str] = (), *, limit: int = PACK_MAX_BYTES, keep_limit: int = KEEP_MAX_BYTES
) -> PackContents:
    """Every regular file of the pack at `path` (a directory, a zip or an S3 prefix) hashed, with the
    bytes of those named in `keep`, and every other entry named. Raises InputError for what is not a
    pack, an ambiguous or unsafe zip or key, corrupt data, or more than `limit` bytes in all."""
    budget = _Budget(path, limit, keep_limit)
    if isinstance(path, S3Location):
        return _read_s3(path, keep, budget)
    if _is_dir(path):
        return _read_folder(path, keep, budget)
    with _open_zip(path) as archive:
        files: dict[str, PackFile] = {}
        unexpected: dict[str, str] = {}
        for info in archive.infolist():
            kind = _zip_kind(info)
            if kind == "file":
                files[info.filename] = _read_entry(path, archive, info, budget, info.filename in keep)
            elif kind != "directory":
                unexpected[info.filename] = kind
    return PackContents(files, unexpected)


def read_one(path: PackSource, name: str, *, limit: int = PACK_MAX_BYTES) -> bytes:
    """The bytes of the regular file `name` in the pack at `path`, with the same refusals as read_pack
    (a zip is refused whole when any entry is ambiguous or unsafe), reading no other entry."""
    budget = _Budget(path, limit, limit)
    if isinstance(path, S3Location):
        found: PackFile | str = _read_object(ObjectStore(), path, name, budget, keep=True)
    elif _is_dir(path):
        found = _read_regular(path, name, budget, keep=True)
    else:
        with _open_zip(path) as archive:
            info = next((i for i in archive.infolist() if i.filename == name), None)
            if info is None:
                raise InputError(f"no {name} in the pack", path=str(path), fix=NOT_A_PACK)
            kind = _zip_kind(info)
            found = _read_entry(path, archive, info, budget, keep=True) if kind == "file" else kind
    if isinstance(found, str):
        raise InputError(f"{name} is a {found}, not a regular file", path=str(path), fix=REEXPORT)
    assert found.data is not None  # kept
    return found.data


def is_pack(path: PackSource) -> bool:
    """Whether `path` is a directory, a zip or an S3 prefix (what read_pack reads), without opening
    anything else: a FIFO or a device is neither."""
    if isinstance(path, S3Location):
        return True  # whether it holds a pack, reading it tells (one line naming the URL)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) or (stat.S_ISREG(mode) and zipfile.is_zipfile(path))


def _is_dir(path: Path) -> bool:
    """True for a directory, False for a regular file; InputError for anything else."""
    try:
        mode = os.stat(path).st_mode  # the operand itself may be a symlink, as `find -H` follows it
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path), fix=NOT_A_PACK) from None
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return stat.S_ISDIR(mode)
    raise InputError(f"not an evidence pack: a {kind_of(mode)}", path=str(path), fix=NOT_A_PACK)


def kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "symbolic link"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISREG, "regular file"),
    ):
        if test(mode):
            return name
    return "special file"


class _Budget:
    """Bytes left to read in the whole pack; every chunk is charged as it comes out."""

    def __init__(self, pack: PackSource, limit: int, keep_limit: int) -> None:
        self.pack, self.limit, self.keep_limit, self.left = pack, limit, keep_limit, limit

    def drain(self, name: str, read: Callable[[int], bytes], keep: bool) -> PackFile:
        digest, size, parts = hashlib.sha256(), 0, []
        while chunk := read(CHUNK):
            size += len(chunk)
            if size > self.left:
                raise InputError(
                    f"entry {name!r}: the pack holds more than {_size(self.limit)} (a zip bomb, or not an "
                    "evidence pack); reading stopped there",
                    path=str(self.pack),
                    fix=REEXPORT,
                )
            if keep and size > self.keep_limit:
                raise InputError(
                    f"entry {name!r}: larger than {_size(self.keep_limit)}, far more than pcicheck writes",
                    path=str(self.pack),
                    fix=REEXPORT,
                )
            digest.update(chunk)
            if keep:
                parts.append(chunk)
        self.left -= size
        return PackFile(digest.hexdigest(), size, b"".join(parts) if keep else None)


def _size(n: int) -> str:
    return f"{n >> 30} GiB" if n % (1 << 30) == 0 else f"{n / (1 << 20):g} MiB"


# ---------------------------------------------------------------------------------------------------
# A directory


def _read_folder(root: Path, keep: Collection[str], budget: _Budget) -> PackContents:
    files: dict[str, PackFile] = {}
    unexpected: dict[str, str] = {}
    for name, mode in _walk(root):
        if not stat.S_ISREG(mode):
            unexpected[name] = kind_of(mode)
            continue
        read = _read_regular(root, name, budget, name in keep)
        if isinstance(read, str):  # replaced by something else since it was listed
            unexpected[name] = read
        else:
            files[name] = read
    return PackContents(files, unexpected)


def _walk(root: Path) -> Iterator[tuple[str, int]]:
    """(path inside the pack, lstat mode) of every entry but directories, which are descended into.
    lstat only: no symlink is followed, nothing is opened. A stack, not recursion: depth is the
    pack's to choose."""
    pending = [""]
    while pending:
        prefix = pending.pop()
        try:
            with os.scandir(root / prefix if prefix else root) as entries:
                listed = [(prefix + e.name, e.stat(follow_symlinks=False).st_mode) for e in entries]
        except OSError as exc:
            raise InputError(f"{prefix or '.'}: cannot list: {exc.strerror}", path=str(root), fix=UNREADABLE) from None
        for name, mode in sorted(listed):
            if stat.S_ISDIR(mode):
                pending.append(name + "/")
            else:
                yield name, mode


def _read_regular(root: Path, name: str, budget: _Budget, keep: bool) -> PackFile | str:
    """The file's digest (and bytes), or what it turned out to be when it is no longer a regular file.
    O_NOFOLLOW and O_NONBLOCK: if the entry was swapped for a symlink or a FIFO after it was listed,
    the open neither follows nor blocks, and fstat tells."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(root / name, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink
            return "symbolic link"
        if exc.errno == errno.ENOENT:
            raise InputError(f"no {name} in the pack", path=str(root), fix=NOT_A_PACK) from None
        raise InputError(f"{name}: cannot read: {exc.strerror}", path=str(root), fix=UNREADABLE) from None
    with os.fdopen(fd, "rb", buffering=0) as f:
        mode = os.fstat(f.fileno()).st_mode
        if not stat.S_ISREG(mode):
            return kind_of(mode)
        try:
            return budget.drain(name, f.read, keep)
        except OSError as exc:
            raise InputError(f"{name}: cannot read: {exc.strerror}", path=str(root), fix=UNREADABLE) from None


# ---------------------------------------------------------------------------------------------------
# An S3 prefix


def _read_s3(where: S3Location, keep: Collection[str], budget: _Budget) -> PackContents:
    store = ObjectStore()
    files: dict[str, PackFile] = {}
    for obj in store.objects(where):
        if obj.name.endswith("/"):
            continue  # a folder marker (what the S3 console's "Create folder" makes): a directory
        why = _unsafe(obj.name)
        if why:
            raise InputError(
                f"key {where.key(obj.name)!r}: {why}; a pack holds only plain relative paths",
                path=str(where),
                fix=REEXPORT,
            )
        files[obj.name] = _read_object(store, where, obj.name, budget, obj.name in keep)
    if not files:
        raise InputError("no objects under this prefix: not an evidence pack", path=str(where), fix=NOT_AN_S3_PACK)
    return PackContents(files, {})


def _read_object(store: ObjectStore, where: S3Location, name: str, budget: _Budget, keep: bool) -> PackFile:
    try:
        with store.reading(where, name) as read:
            return budget.drain(name, read, keep)
    except NoSuchObject:
        raise InputError(f"no {name} in the pack", path=str(where), fix=NOT_AN_S3_PACK) from None


# ---------------------------------------------------------------------------------------------------
# A zip

# What zipfile and zlib raise on damaged input: a bad CRC, truncated data, a header that does not
# match the central directory, offsets past the end of the file.
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error, OverflowError)


def _open_zip(path: Path) -> zipfile.ZipFile:
    """The zip at `path`, its central directory checked: no name twice, none unsafe."""
    if not zipfile.is_zipfile(path):  # no end-of-central-directory record
        if _starts_like_a_zip(path):  # a zip cut short: a partial download or copy
            raise InputError("a damaged zip: truncated (its central directory is missing)", path=str(path), fix=RECOPY)
        raise InputError("not an evidence pack (neither a directory nor a zip)", path=str(path), fix=NOT_A_PACK)
    try:
        archive = zipfile.ZipFile(path)
    except (*_CORRUPT, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"a damaged zip: {exc}", path=str(path), fix=RECOPY) from None
    try:
        _check_names(path, archive.infolist())
        _check_layout(path, archive)
    except InputError:
        archive.close()
        raise
    return archive


def _zip_kind(info: zipfile.ZipInfo) -> str:
    """ "file", "directory", or what else unzip would make of the entry ("symbolic link", …)."""
    mode = info.external_attr >> 16 if info.create_system == UNIX else 0
    if info.is_dir() or stat.S_ISDIR(mode):
        return "directory"
    # No type bits at all (zipfile's writestr writes only permissions) is a regular file to every tool.
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return kind_of(mode)
    return "file"


def _starts_like_a_zip(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _check_layout(path: Path, archive: zipfile.ZipFile) -> None:
    """The entries the central directory lists tile the file from its first byte to the central
    directory: nothing before, between or after them (but a data descriptor, APPNOTE 4.3.9), and no
    two share bytes. Bytes nobody lists are where a tool reading front to back, by local headers,
    finds a file verify never saw; shared bytes are how a small zip inflates one stretch many times."""
    entries = sorted(archive.infolist(), key=lambda i: i.header_offset)
    ends = [*(i.header_offset for i in entries[1:]), archive.start_dir]
    at, before = 0, "the start of the file"
    try:
        with path.open("rb") as f:
            for info, next_start in zip(entries, ends, strict=True):
                if info.header_offset != at:
                    _unlisted(path, info.header_offset - at, before, repr(info.filename))
                f.seek(info.header_offset)
                header = f.read(30)
                if len(header) < 30 or header[:4] != b"PK\x03\x04":
                    raise InputError(
                        f"entry {info.filename!r}: no local header where the directory says", path=str(path), fix=RECOPY
                    )
                name_len, extra_len = struct.unpack("<HH", header[26:30])
                at = info.header_offset + 30 + name_len + extra_len + info.compress_size
                if info.flag_bits & 0x8 and next_start - at in DESCRIPTOR_SIZES:
                    at = next_start  # the data descriptor after the data
                if at > next_start:
                    raise InputError(
                        f"entry {info.filename!r} overlaps the next one (bytes read as two files, a zip bomb's trick)",
                        path=str(path),
                        fix=RECOPY,
                    )
                before = repr(info.filename)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path), fix=RECOPY) from None
    if at != archive.start_dir:
        _unlisted(path, archive.start_dir - at, before, "the central directory")


def _unlisted(path: Path, size: int, before: str, after: str) -> NoReturn:
    raise InputError(
        f"{size} bytes between {before} and {after} that the zip's directory does not list (a tool reading the "
        "zip front to back could find a file there that verify never saw)",
        path=str(path),
        fix=REEXPORT,
    )


def _check_names(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in entries:
        # orig_filename: zipfile cuts `filename` at a NUL byte, which would hide the NUL and make
        # "index.html\0x" a second index.html.
        raw = info.orig_filename
        why = _unsafe(raw)
        if why:
            raise InputError(
                f"entry {raw!r}: {why}; a pack holds only plain relative paths",
                path=str(path),
                fix=REEXPORT,
            )
        if raw in seen:
            raise InputError(
                f"entry {raw!r} appears twice: tools disagree on which copy is the file (Python keeps the "
                "last, unzip the first), so no copy can be trusted",
                path=str(path),
                fix=REEXPORT,
            )
        seen.add(raw)


def _unsafe(name: str) -> str | None:
    if "\x00" in name:
        return "its name holds a NUL byte"
    if "\\" in name:
        return "its name holds a backslash"
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return "its name is empty or absolute"
    if ".." in name.split("/"):
        return "its name climbs out of the pack (..)"
    return None


def _read_entry(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, keep: bool) -> PackFile:
    name = info.filename
    if info.flag_bits & 0x1:
        raise InputError(f"entry {name!r} is encrypted", path=str(path), fix="ask for an unencrypted pack")
    if info.compress_type not in ZIP_METHODS:
        raise InputError(
            f"entry {name!r} uses compression method {info.compress_type}, not stored or deflated",
            path=str(path),
            fix="repack it with deflate, as `zip` and pcicheck do, or " + REEXPORT,
        )
    try:
        with archive.open(info) as stream:
            return budget.drain(name, stream.read, keep)
    except (*_CORRUPT, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"entry {name!r} is damaged: {exc}", path=str(path), fix=RECOPY) from None
