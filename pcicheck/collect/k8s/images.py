"""Container image references, read as the container runtime reads them.

Kubernetes hands `image` to the runtime, which parses it with the Docker/OCI reference grammar
(github.com/distribution/reference, the parser the kubelet and containerd use) and normalises it:

  nginx                     → docker.io/library/nginx:latest
  bitnami/redis:7           → docker.io/bitnami/redis:7
  index.docker.io/x/y       → docker.io/x/y:latest
  localhost:5000/app        → localhost:5000/app:latest       (a host: has '.' or ':', is 'localhost',
  Registry/app              → Registry/app:latest              or has an upper-case letter)
  app@sha256:<64 hex>       → docker.io/library/app@sha256:…  (no tag implied beside a digest)

So an allow-list of registries, or a rule on tags, judges what is pulled, not how it was spelled: a
bare `nginx` comes from Docker Hub, and no tag means `latest`. A string the grammar refuses gives
None: the runtime cannot pull it, and controls that read the reference report `error`, not a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
_LEGACY_DEFAULT_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_NAME_MAX = 255  # reference.NameTotalLengthMax

# The grammar of distribution/reference (regexp.go), written out.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")  # an image id, which is not a repository name
# The digest algorithms the parser knows (opencontainers/go-digest), with their hex lengths.
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}


@dataclass(frozen=True)
class ImageRef:
    registry: str  # docker.io, registry.example.com:5000
    repository: str  # library/nginx, payments/api
    tag: str | None  # the tag pulled: 'latest' when neither a tag nor a digest is given
    digest: str | None  # sha256:…

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def reference(self) -> str:
        """The fully qualified reference: docker.io/library/nginx:latest, …/app@sha256:…"""
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.name}{tag}{digest}"

    def as_attribute(self) -> dict[str, str | None]:
        return {
            "registry": self.registry,
            "repository": self.repository,
            "name": self.name,
            "tag": self.tag,
            "digest": self.digest,
            "reference": self.reference,
        }


def _split_domain(image: str) -> tuple[str, str]:
    """distribution/reference splitDockerDomain: the first component is a registry host only when it
    has a '.' or ':', is 'localhost', or has an upper-case letter; otherwise the image is Docker Hub's."""
    first, slash, rest = image.partition("/")
    if not slash or (not any(ch in first for ch in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, image
    else:
        domain, remainder = first, rest
    if domain == _LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = _OFFICIAL_PREFIX + remainder
    return domain, remainder


def _digest_ok(digest: str) -> bool:
    algorithm, _, hex_ = digest.partition(":")
    return _DIGEST_HEX.get(algorithm) == len(hex_) and hex_ == hex_.lower()


def parse_image(image: str) -> ImageRef | None:
    """The normalised reference of a container's `image` (ParseNormalizedNamed, then the tag the
    kubelet pulls), or None where that parser refuses it, so the runtime could not pull it either."""
    if _IDENTIFIER.match(image):
        return None  # a bare 64-hex image id is not a repository name
    registry, remainder = _split_domain(image)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        return None  # "repository name must be lowercase"
    match = _REFERENCE.match(f"{registry}/{remainder}")
    if match is None or len(match.group("name")) > _NAME_MAX:
        return None
    digest = match.group("digest")
    if digest is not None and not _digest_ok(digest):
        return None  # an unknown algorithm, or a length or case the algorithm does not have
    repository = match.group("name")[len(registry) + 1 :]
    # The kubelet's ParseImageName: no tag and no digest pulls `latest`; a digest alone, no tag.
    tag = match.group("tag") or (None if digest else "latest")
    return ImageRef(registry, repository, tag, digest)
