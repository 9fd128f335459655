"""Redaction of credential-looking strings before anything reaches a snapshot or an output.

Collectors never read secret values; this is the second line: whatever an attacker or a careless
user wrote into a name, tag, label, key, image or error message is matched against one table of
credential shapes (SHAPES) and replaced, wherever in the string it sits. The same table decides
whether a value *looks like* a credential (looks_like_credential), the one judgement the Kubernetes
and AWS collectors share, so what is redacted and what is flagged never drift apart.

The shapes follow the public token formats and the rule shapes of well-known secret scanners
(gitleaks, GitHub secret scanning): a fixed prefix where the issuer has one, matched anywhere, even
inside a word (`backup_AKIA…_old`), since a redactor that misses a key in an identifier leaks it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pcicheck.model import CollectionError, Resource, Snapshot


def _always(_: str) -> bool:
    return True


@dataclass(frozen=True)
class Shape:
    """One kind of credential: its pattern, and what it becomes once redacted."""

    label: str
    # What every match contains, as a regex cheap to search (a literal prefix): the prefilter that lets
    # almost every string through with one search, since the full patterns cost several times more.
    hint: str
    pattern: str
    # Recognisable without revealing: the public prefix and last four characters (AWS, Stripe and
    # GitHub show keys this way), never enough of the secret part to use or guess it.
    redact: Callable[[str], str]
    # A test on the match beyond the pattern (a prefix-less shape must look random, not like a word).
    plausible: Callable[[str], bool] = _always


def _tail(label: str) -> Callable[[str], str]:
    return lambda s: f"<redacted {label} ****{s[-4:]}>"


def _shannon_bits(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _random_looking(text: str) -> bool:
    """Whether a 40-character run of the base64 alphabet looks like an AWS secret access key (random)
    rather than a word or a digest. The rule: upper and lower case letters; per-character Shannon
    entropy of at least 4.0 bits; and a digit, `/` or `+`, or else at least 4.3 bits.

    Why: a random key lacks upper or lower case with probability about 1e-9, and falls below 4.0 bits
    never (none of 300,000 simulated keys; the lowest seen was 4.15); the 1 in 4,000 that has no digit,
    `/` or `+` is caught by 4.3 bits (fewer than 1 in 3,000 keys fall below it). Hex digests (git
    SHA-1s, image digests) have one case only and never pass; repetitive strings fall below 4.0 bits.
    What can pass is a 40-character identifier of mixed case: most with a digit, about 1 in 20 of the
    letters-only ones. It is then redacted and flagged: failing closed, the cost is a name shown as
    `<redacted …>`, where the other way a secret key would be printed."""
    if not (any(c.isupper() for c in text) and any(c.islower() for c in text)):
        return False
    bits = _shannon_bits(text)
    return bits >= 4.0 and (bits >= 4.3 or any(c.isdigit() or c in "/+" for c in text))


# Not preceded by a letter or digit: a token may follow `_`, `-`, `/`, `=` or a space (`backup_ghp_…`)
# but not be the tail of a longer alphanumeric run.
_START = r"(?<![A-Za-z0-9])"

SHAPES: tuple[Shape, ...] = (
    # Private keys (PKCS#1, PKCS#8, EC, OpenSSH, PGP …): to the END line, or, when it was cut off (a
    # 256-character tag keeps only the start), to the end of the string.
    Shape(
        "private key",
        "-----BEGIN",
        r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?s:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*)",
        lambda s: "<redacted private key>",
    ),
    # JSON Web Tokens (and JWE): base64url parts, the header a JSON object, so it starts `eyJ`.
    Shape(
        "jwt",
        "eyJ",
        _START + r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}",
        _tail("jwt"),
    ),
    # GitHub: personal, OAuth, user-to-server, server-to-server and refresh tokens; fine-grained PATs.
    # Twenty characters at least rather than the issued 36, so a token cut short is still caught.
    Shape(
        "github token",
        "gh[pousr]_|github_pat_",
        _START + r"(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        _tail("github token"),
    ),
    Shape(
        "gitlab token",
        "gl(?:pat|ptt|dt|rt)-",
        _START + r"gl(?:pat|ptt|dt|rt)-[A-Za-z0-9_-]{20,}",
        _tail("gitlab token"),
    ),
    Shape("slack token", "xox[abposre]-", _START + r"xox[abposre]-[A-Za-z0-9-]{10,}", _tail("slack token")),
    # Stripe secret and restricted keys, test mode included: a test key still opens the account's
    # test data and is as much a credential to whoever holds it (publishable pk_ keys are public).
    Shape("stripe key", "k_(?:live|test)_", _START + r"[sr]k_(?:live|test)_[A-Za-z0-9]{10,}", _tail("stripe key")),
    # AWS access key ids (AKIA long-term, ASIA temporary, ABIA/ACCA service) and the unique ids AWS
    # echoes beside them (AIDA users, AROA roles, …). Only an uppercase letter or digit may not come
    # before: `backup_AKIA…_old` and `fooAKIA…` are caught, where `\b` fails after `_`.
    Shape(
        "aws access key id",
        "A(?:KIA|SIA|BIA|CCA|IDA|ROA|GPA|NPA|NVA|IPA|3T)",
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|A3T[A-Z0-9])[A-Z0-9]{16,}",
        lambda s: f"{s[:4]}****{s[-4:]}",
    ),
    # AWS secret access keys: exactly 40 characters of the base64 alphabet, standing alone; or, since
    # `/` is in that alphabet, a whole path segment of 40 (an ARN's `user/<key>`, a URL's `/<key>/`).
    Shape(
        "aws secret access key",
        "[A-Za-z0-9/+]{40}",
        r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])|(?<=/)[A-Za-z0-9+]{40}(?![A-Za-z0-9+=])",
        _tail("aws secret access key"),
        _random_looking,
    ),
)


def _alternation(keep: Callable[[Shape], bool]) -> re.Pattern[str]:
    """One pass over a string for several shapes: each is a named group, so a match says its shape."""
    return re.compile("|".join(f"(?P<s{i}>{s.pattern})" for i, s in enumerate(SHAPES) if keep(s)))


_ANY = _alternation(lambda s: True)
_HINTS = re.compile("|".join(s.hint for s in SHAPES))
# The shapes whose pattern alone decides: searched again inside a run a plausibility test rejected
# (a 40-character run that is not random may still hold `fooAKIA…`).
_DEFINITE = _alternation(lambda s: s.plausible is _always)
# Below this length no shape can match (a Slack token `xoxb-` + 10), so most strings cost one len().
_SHORTEST = 15


def _shape_of(match: re.Match[str]) -> Shape:
    return SHAPES[int(str(match.lastgroup)[1:])]


def _replace(match: re.Match[str]) -> str:
    text = match.group(0)
    shape = _shape_of(match)
    return shape.redact(text) if shape.plausible(text) else _DEFINITE.sub(_replace, text)


def find_credential(text: str) -> str | None:
    """The label of the first credential shape in `text` (None when there is none)."""
    if len(text) < _SHORTEST or _HINTS.search(text) is None:
        return None
    for match in _ANY.finditer(text):
        shape = _shape_of(match)
        if shape.plausible(match.group(0)):
            return shape.label
        inner = _DEFINITE.search(match.group(0))
        if inner is not None:
            return _shape_of(inner).label
    return None


def redact_text(text: str) -> str:
    if len(text) < _SHORTEST or _HINTS.search(text) is None:  # the common case: nothing to replace
        return text
    return _ANY.sub(_replace, text)


def redact_value(value: Any) -> Any:
    """Every string in a JSON-like value, mapping keys included, redacted; other values kept."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {redact_text(str(k)): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


_Record = TypeVar("_Record", Resource, CollectionError)


def _redact_record(record: _Record) -> _Record:
    """A record with each of its fields redacted: every field, so one added later is not missed."""
    changes: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        redacted = redact_value(value)
        if isinstance(value, tuple):
            redacted = tuple(redacted)
        if redacted != value:
            changes[f.name] = redacted
    return replace(record, **changes) if changes else record


def redact_snapshot(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every string redacted: uids, sources, names, tags (keys and values),
    attributes, errors, request, identity and call names. Deterministic, so a uid that held a key
    stays the same across scans and references to it (by uid, in other records) still resolve."""
    return replace(
        snapshot,
        request=redact_value(snapshot.request),
        identity=redact_value(snapshot.identity),
        resources=tuple(_redact_record(r) for r in snapshot.resources),
        errors=tuple(_redact_record(e) for e in snapshot.errors),
        calls={redact_text(k): v for k, v in snapshot.calls.items()},
    )


# --- Credential detection: by value's shape first, then by name -------------------------------------

_CREDENTIAL_NAME = re.compile(
    r"passw(or)?d|passphrase|passcode|pwd|(?<![a-z])pass(?![a-z])|secret|token|api[_-]?key|apikey|private[_-]?key"
    r"|credential|access[_-]?key|bearer|jwt",
    re.I,
)
# Names under which a number is no sign of harmlessness: numeric passwords and passcodes exist.
_NUMERIC_SECRET_NAME = re.compile(r"passw(or)?d|passphrase|passcode|pwd|(?<![a-z])pass(?![a-z])", re.I)
_BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n"})
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Configuration words a credential-named setting takes when it names a mode or a backend instead of
# holding a secret (SECRET_BACKEND=vault, TOKEN_AUTH=required). Closed on purpose: anything else is
# flagged. Matched whole and case-insensitively.
PLAIN_WORDS = frozenset(
    {
        "enabled", "disabled", "enable", "disable", "none", "null", "nil", "unset", "required", "optional",
        "auto", "automatic", "manual", "default", "vault", "file", "env", "environment", "kms", "ssm",
        "secretsmanager", "iam", "oidc", "saml", "ldap", "basic", "bearer", "jwt", "oauth", "oauth2", "hmac",
        "plain", "plaintext", "local", "remote", "memory", "always", "never", "strict", "lax", "header",
        "cookie", "query",
    }
)  # fmt: skip
_PATH = re.compile(r"(?:/|\./|\.\./|~/)[^\s]*")
# A whole-value reference to another variable ($(DB_PASSWORD) in a Kubernetes env, ${VAR} in a shell):
# the value is elsewhere.
_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _url_has_credentials(value: str) -> bool:
    """A URL with a password in its user information, or a credential-like query or fragment parameter."""
    try:
        parts = urlsplit(value)
        params = parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(parts.fragment, keep_blank_values=True)
    except ValueError:
        return True  # cannot be read: cannot be cleared
    return parts.password is not None or any(looks_like_credential(k, v) for k, v in params)


def _plainly_not_credential(name: str, value: Any) -> bool:
    """A value a credential-named setting may hold without holding a credential. The rule, exactly:
    no value but an empty string; a boolean or a boolean word (true/false/yes/no/on/off/y/n); a number,
    unless the name says password; a whole-value variable reference ($(VAR), ${VAR}); a word of
    PLAIN_WORDS; a file path (starting /, ./, ../ or ~/, no whitespace); a URL (scheme://) with no user
    information and no credential-like parameter. Anything else (an absent value included) is flagged."""
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return not _NUMERIC_SECRET_NAME.search(name)
    if not isinstance(value, str):
        return False
    text = value.strip()
    lowered = text.lower()
    if not text or lowered in _BOOLEAN or lowered in PLAIN_WORDS or _REFERENCE.fullmatch(text):
        return True
    if _NUMBER.fullmatch(text):
        return not _NUMERIC_SECRET_NAME.search(name)
    if _URL.match(text):
        try:
            user = urlsplit(text).username
        except ValueError:
            return False
        return user is None and not _url_has_credentials(text)
    return bool(_PATH.fullmatch(text))


def looks_like_credential(name: str, value: Any = None) -> bool:
    """Whether a named value (an env variable, a ConfigMap key, a URL parameter) holds a credential.

    By shape first, whatever the name says: a name or value of one of SHAPES, or a URL carrying a password or a
    credential parameter (FOO=ghp_…, DATABASE_URL=postgres://app:pw@db). Then by the name: one with
    a credential word (password, secret, token, api key, …) is flagged unless its value is plainly not
    a credential (_plainly_not_credential). No value (`None`: a binary or unread one) is judged by
    the name alone. The value itself is never kept."""
    if find_credential(name) is not None:  # a key named with the credential itself holds it
        return True
    if isinstance(value, str) and (
        find_credential(value) is not None or (_URL.match(value.strip()) and _url_has_credentials(value.strip()))
    ):
        return True
    if not _CREDENTIAL_NAME.search(name):
        return False
    return value is None or not _plainly_not_credential(name, value)


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
    by their redaction). A URL that does not parse counts as carrying credentials and is not returned,
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
    redacted = redact_text(clean)  # e.g. a key or token pasted into the path
    return redacted, found or redacted != clean
