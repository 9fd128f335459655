"""Hostile text for the output sinks (issue 14): what an attacker can put in a name, label, kind, waiver
field or file name, and a small Kubernetes estate that carries it (written by the test that uses it,
as JSON-escaped YAML, so no raw control character sits in the repository)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ESC = "\x1b"
OSC_TITLE = f"{ESC}]0;pwned-title\x07"  # sets the terminal window title
OSC_LINK = f"{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\"  # a hyperlink to anywhere
CLEAR = f"{ESC}[2J{ESC}[H"  # clears the screen
CSI_8BIT = "\x9b31m"  # 8-bit CSI: red, on terminals that read C1 controls
BIDI = "\u202egnp.exe\u2069\u2066x\u2069"  # right-to-left override and isolates: text shown reordered
FORMULA = "\r=cmd|' /C calc'!A0"  # a bare CR, then a spreadsheet formula that runs a program

TERMINAL_ATTACK = OSC_TITLE + OSC_LINK + CLEAR + CSI_8BIT + BIDI
HOSTILE = TERMINAL_ATTACK + FORMULA

# What must never reach a terminal raw: ESC other than a plain colour (SGR) sequence rich writes itself,
# the C1 controls (0x9B is an 8-bit CSI, 0x9D an 8-bit OSC), BEL and the bidi controls.
_UNSAFE = re.compile(
    "\x1b(?!\\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def unsafe(text: str) -> list[str]:
    """The characters in `text` a terminal would obey (each with a little context)."""
    return [repr(text[max(m.start() - 10, 0) : m.end() + 10]) for m in _UNSAFE.finditer(text)]


def quoted(text: str) -> str:
    """A YAML scalar holding `text` exactly (JSON is YAML; control characters stay escapes)."""
    return json.dumps(text)


def write_estate(directory: Path) -> Path:
    """A CDE namespace and a privileged pod whose name, labels, annotations and image carry HOSTILE;
    a second namespace with a hostile name, so namespace matrices show it too."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hostile.yaml").write_text(
        f"""apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pci-scope: cde
---
apiVersion: v1
kind: Namespace
metadata:
  name: {quoted("ns" + TERMINAL_ATTACK)}
---
apiVersion: v1
kind: Pod
metadata:
  name: {quoted("api" + HOSTILE)}
  namespace: payments
  labels:
    app: {quoted(FORMULA)}
  annotations:
    note: {quoted(HOSTILE)}
spec:
  containers:
    - name: api
      image: {quoted("registry.example.com/x:1" + HOSTILE)}
      securityContext:
        privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: {quoted("ns" + TERMINAL_ATTACK)}
spec:
  containers:
    - name: web
      image: registry.example.com/web:1
""",
        encoding="utf-8",
    )
    return directory


def flat(text: str) -> str:
    """Console text without rich's colours and with its wrapping undone: what a reader reads."""
    return " ".join(re.sub("\x1b\\[[0-9;]*m", "", text).split())
