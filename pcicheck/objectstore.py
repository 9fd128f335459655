"""Object storage: the one home for `s3://bucket/prefix/` locations.

Evidence packs (and whatever else pcicheck keeps in a bucket) are written and read here, through boto3
with the clients the AWS collectors build: the same botocore Config (timeouts, retries, user agent),
the standard credential chain (AWS_PROFILE, IRSA / EKS Pod Identity, instance roles), and
AWS_ENDPOINT_URL when set (an emulator, a VPC endpoint proxy), which botocore itself honours.

Reads are bounded as inputfile.py bounds a local file: a limit, counted as the bytes stream in (the
size S3 reports is checked first, but not trusted). Every failure is one InputError naming the
s3:// URL and what to do: no such bucket or object, access denied, an object too large, no
credentials, no endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcicheck.errors import InputError

SCHEME = "s3://"
KMS = "aws:kms"  # the ServerSideEncryption value for SSE-KMS
CHUNK = 1 << 20
PAGE = 1000  # keys per ListObjectsV2 page: S3's own maximum
# Bucket names as S3 allows them for new buckets (3-63 characters: lower-case letters, digits, dots and
# hyphens, beginning and ending with a letter or digit); a typo fails here, not after a round trip.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
URL_FIX = "write it as s3://bucket/prefix/"


class NoSuchObject(InputError):
    """The bucket answered, and holds no object under that key."""


def is_s3_url(text: str) -> bool:
    """Whether a command-line operand names an S3 location rather than a local path."""
    return text[: len(SCHEME)].lower() == SCHEME


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix: "" (the whole bucket) or ending in "/", so `s3://b/packs/a` never
    takes in `packs/ab/`."""

    bucket: str
    prefix: str = ""

    def key(self, name: str) -> str:
        return self.prefix + name

    def url(self, name: str = "") -> str:
        return f"{SCHEME}{self.bucket}/{self.prefix}{name}"

    def child(self, name: str) -> S3Location:
        """The location one level down, e.g. one pack under a prefix of packs."""
        return S3Location(self.bucket, f"{self.prefix}{name.strip('/')}/")

    def __str__(self) -> str:
        return self.url()


def parse(url: str) -> S3Location:
    """`s3://bucket/prefix/` → its location; InputError for what is not one."""
    if not is_s3_url(url):
        raise InputError("not an s3:// URL", path=url, fix=URL_FIX)
    bucket, _, prefix = url[len(SCHEME) :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise InputError(f"{bucket!r} is not an S3 bucket name", path=url, fix=URL_FIX)
    segments = [s for s in prefix.split("/") if s]
    if any(s in (".", "..") for s in segments) or "\\" in prefix or "\x00" in prefix:
        raise InputError("the prefix holds '.', '..', a backslash or a NUL byte", path=url, fix=URL_FIX)
    return S3Location(bucket, "".join(f"{s}/" for s in segments))


def parse_object(url: str) -> tuple[S3Location, str]:
    """`s3://bucket/prefix/name` → the location it is in and the object's name; InputError for a URL that
    names no object (one ending in '/', or only a bucket)."""
    where = parse(url)
    head, _, name = where.prefix.rstrip("/").rpartition("/")
    if not name or url.endswith("/"):
        raise InputError("names a prefix, not an object", path=url, fix="write it as s3://bucket/prefix/NAME")
    return S3Location(where.bucket, head + "/" if head else ""), name


def local_or_s3(operand: str) -> Path | S3Location:
    """A command-line operand that may name either: an s3:// URL is parsed, anything else is a path."""
    return parse(operand) if is_s3_url(operand) else Path(operand)


@dataclass(frozen=True)
class StoredObject:
    name: str  # its key relative to the location listed
    size: int


def client() -> Any:
    """An S3 client as the collectors build theirs: their botocore Config, the default credential chain,
    the session's region (or us-east-1: S3 redirects to the bucket's own region), AWS_ENDPOINT_URL."""
    import boto3
    import botocore.exceptions

    from pcicheck.collect.aws.runner import GLOBAL_REGION, _boto_config

    try:
        session = boto3.Session()
        return session.client("s3", region_name=session.region_name or GLOBAL_REGION, config=_boto_config())
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(f"cannot set up an S3 client: {exc}", fix="check AWS_PROFILE and ~/.aws/config") from None


class ObjectStore:
    """put, bounded get, and paginated listing of the objects under an S3Location."""

    def __init__(self, s3: Any | None = None, *, page_size: int = PAGE) -> None:
        self._s3 = s3 if s3 is not None else client()
        self._page = page_size

    def put(self, where: S3Location, name: str, data: bytes, *, kms_key: str | None = None) -> None:
        """Store `data` as `name` under `where`; with `kms_key` (a KMS key id, ARN or alias) encrypted
        by S3 with that key (SSE-KMS), else with the bucket's default encryption."""
        extra: dict[str, str] = {"ServerSideEncryption": KMS, "SSEKMSKeyId": kms_key} if kms_key else {}
        with _calls(where.url(name), "s3:PutObject" + (" and kms:GenerateDataKey" if kms_key else "")):
            self._s3.put_object(Bucket=where.bucket, Key=where.key(name), Body=data, **extra)

    def get(self, where: S3Location, name: str, limit: int, *, what: str = "object") -> bytes:
        """The bytes of `name` under `where`, refused past `limit` bytes."""
        parts: list[bytes] = []
        size = 0
        with self.reading(where, name) as read:
            while chunk := read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise InputError(
                        f"{what} is larger than {_size(limit)}", path=where.url(name), fix=f"pass a smaller {what}"
                    )
                parts.append(chunk)
        return b"".join(parts)

    @contextmanager
    def reading(self, where: S3Location, name: str) -> Iterator[Callable[[int], bytes]]:
        """`read(n)` on the object's body as it streams, for a caller that counts and hashes each chunk
        (the pack reader's budget); the connection is released however the block ends."""
        url = where.url(name)
        with _calls(url, "s3:GetObject"):
            body = self._s3.get_object(Bucket=where.bucket, Key=where.key(name))["Body"]
        try:
            with _calls(url, "s3:GetObject"):
                yield body.read
        finally:
            body.close()

    def objects(self, where: S3Location) -> Iterator[StoredObject]:
        """Every object under `where`, in key order, page by page (a large prefix never sits in memory)."""
        with _calls(where.url(), "s3:ListBucket"):
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=where.bucket, Prefix=where.prefix, PaginationConfig={"PageSize": self._page}
            )
            for page in pages:
                for entry in page.get("Contents", ()):
                    yield StoredObject(str(entry["Key"])[len(where.prefix) :], int(entry["Size"]))

    def children(self, where: S3Location) -> tuple[list[S3Location], list[StoredObject]]:
        """One level below `where` (the "/" delimiter): the locations under it (S3's common prefixes),
        and the objects directly in it."""
        below: list[S3Location] = []
        objects: list[StoredObject] = []
        with _calls(where.url(), "s3:ListBucket"):
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=where.bucket, Prefix=where.prefix, Delimiter="/", PaginationConfig={"PageSize": self._page}
            )
            for page in pages:
                below.extend(S3Location(where.bucket, str(p["Prefix"])) for p in page.get("CommonPrefixes", ()))
                objects.extend(
                    StoredObject(str(o["Key"])[len(where.prefix) :], int(o["Size"])) for o in page.get("Contents", ())
                )
        return sorted(below, key=lambda loc: loc.prefix), objects


_NO_OBJECT = {"NoSuchKey", "404", "NotFound"}
_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccountProblem", "InvalidAccessKeyId"}


@contextmanager
def _calls(url: str, permission: str) -> Iterator[None]:
    """botocore's exceptions → one InputError naming `url` and the fix."""
    import botocore.exceptions

    from pcicheck.collect.aws.interface import error_code, error_message

    try:
        yield
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        if code == "NoSuchBucket":
            raise InputError(
                "no such bucket", path=url, fix="create the bucket, or check its name in the s3:// URL"
            ) from None
        if code in _NO_OBJECT:
            raise NoSuchObject("no such object", path=url, fix="check the s3:// URL") from None
        if "KMS" in code:
            raise InputError(
                f"KMS refused ({code}: {error_message(exc)})",
                path=url,
                fix="name a KMS key that exists in the bucket's region and that this identity may use",
            ) from None
        if code in _DENIED:
            raise InputError(
                f"{code}: {error_message(exc)}",
                path=url,
                fix=f"grant this identity {permission} on it, and use of its KMS key when one encrypts it",
            ) from None
        raise InputError(f"{code}: {error_message(exc)}", path=url, fix="check the s3:// URL and the bucket") from None
    except botocore.exceptions.NoCredentialsError:
        raise InputError(
            "no AWS credentials to reach S3",
            path=url,
            fix="set AWS_PROFILE, run `aws configure`, or give the pod an IAM role (IRSA / EKS Pod Identity)",
        ) from None
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError) as exc:
        raise InputError(f"cannot reach S3: {exc}", path=url, fix="check the network or AWS_ENDPOINT_URL") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise InputError(f"S3 failed: {exc}", path=url, fix="check the network, the credentials and the URL") from None


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n} bytes"
