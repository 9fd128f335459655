"""Redaction of credential-looking strings before anything reaches a snapshot or an output.

Collectors never read secret values; this is the second line: access key ids (which AWS
echoes in identities and error messages), and private-key blocks, wherever they appear.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from pcicheck.model import Snapshot

_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)


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
