"""Redaction of credential-looking strings before anything reaches a snapshot or an output.

Collectors never read secret values; this is the second line: access key ids (which AWS
echoes in identities and error messages), and private-key blocks, wherever they appear.
It also holds the one judgement of what *looks like* a credential (a variable or key name, a
value's shape, a URL's user information), shared by the Kubernetes and AWS collectors so both
flag the same things and keep only names and booleans.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pcicheck.model import Snapshot

_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)

_CREDENTIAL_NAME = re.compile(
    r"(passw(or)?d|pwd|secret|token|api[_-]?key|apikey|private[_-]?key|credential|access[_-]?key|bearer|jwt)",
    re.I,
)
_CREDENTIAL_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY|eyJhbGciO|ghp_[A-Za-z0-9]{20,}"
    r"|xox[baprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{10,})"
)


def looks_like_credential(name: str, value: Any = None) -> bool:
    """By the key's name, or by a literal value's shape. The value itself is never kept."""
    if _CREDENTIAL_NAME.search(name):
        return True
    return isinstance(value, str) and bool(_CREDENTIAL_VALUE.search(value))


def _without_credentials(params: str) -> tuple[str, bool]:
    """A query string (or fragment) less its credential-looking parameters, and whether any were dropped."""
    pairs = parse_qsl(params, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not looks_like_credential(k, v)]
    return (urlencode(kept), True) if len(kept) != len(pairs) else (params, False)


def strip_url_credentials(url: str) -> tuple[str | None, bool]:
    """(the URL without credentials, whether it carried any).

    Credentials are user information (`user:password@`, or `token@`: a user name alone cannot be
    told from a token, since GitHub and Bitbucket accept tokens there), query or fragment parameters
    whose name or value looks like a credential, and credential-shaped values anywhere else (replaced
    by <redacted>). A URL that does not parse counts as carrying credentials and is not returned,
    since its parts cannot be cleaned."""
    try:
        parts = urlsplit(url)
        query, in_query = _without_credentials(parts.query)
        fragment, in_fragment = _without_credentials(parts.fragment)
    except ValueError:
        return None, True
    host = parts.netloc.rpartition("@")[2]
    clean = urlunsplit(parts._replace(netloc=host, query=query, fragment=fragment))
    found = host != parts.netloc or in_query or in_fragment
    if _CREDENTIAL_VALUE.search(clean):  # e.g. a key or token pasted into the path
        return _CREDENTIAL_VALUE.sub("<redacted>", clean), True
    return clean, found


def redact_text(text: str) -> str:
    if "A" not in text and "-----" not in text:  # cheap skip for the common case
        return text
    text = _ACCESS_KEY_ID.sub(lambda m: f"{m.group(0)[:4]}****{m.group(0)[-4:]}", text)
    return _PRIVATE_KEY.sub("<redacted private key>", text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def redact_snapshot(snapshot: Snapshot) -> Snapshot:
    resources = tuple(
        replace(r, name=redact_text(r.name), tags=redact_value(r.tags), attributes=redact_value(r.attributes))
        for r in snapshot.resources
    )
    errors = tuple(replace(e, message=redact_text(e.message)) for e in snapshot.errors)
    return replace(snapshot, resources=resources, errors=errors, identity=redact_value(snapshot.identity))
