"""IAM policy documents, read the same way by the collectors (pcicheck.collect.aws.services) and by
the analyses built on what they collect (pcicheck.analyze.tenancy, .pooled_buckets).

Standard library only: the analyze stage must not depend on collector modules to read a document.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from typing import Any

# The action that lets a caller attach session tags when it assumes a role (casefolded).
TAG_SESSION = "sts:tagsession"


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list of them (Action, Resource, Statement, a
    condition's values) → a list; None → []."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def decode_document(document: Any) -> dict[str, Any]:
    """botocore decodes IAM documents to dicts; the raw API returns URL-encoded JSON."""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    return document if isinstance(document, dict) else {}


def action_matches(pattern: str, action: str) -> bool:
    """IAM action globbing: case-insensitive, '*' for any run of characters, '?' for one."""
    return fnmatch.fnmatchcase(action.casefold(), pattern.casefold())


def statement_allows(statement: Any, action: str) -> bool:
    """An Allow statement whose Action (or NotAction) admits `action`. Conditions are not weighed."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return not any(action_matches(str(p), action) for p in as_list(statement["NotAction"]))
    return any(action_matches(str(p), action) for p in as_list(statement.get("Action")))
