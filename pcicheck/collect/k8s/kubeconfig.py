"""The kubeconfig's shape, checked before the kubernetes client reads it: the client's loader assumes a
well-formed file and fails on a wrong type with a bare AttributeError or TypeError. The fields and
types are client-go's (k8s.io/client-go/tools/clientcmd/api/v1 Config): only those the Python
client's loader reads are checked; other keys are left alone, as kubectl leaves them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pcicheck.errors import InputError
from pcicheck.yamlfile import LineDict, load_documents

# A schema: "str"/"bool"/"list[str]"/"map" for scalars, lists of strings and free mappings; a dict
# for a mapping with these fields; a one-element list for a list of such mappings.
_Schema = str | dict[str, Any] | list[Any]

_CLUSTER: dict[str, _Schema] = {
    "server": "str",
    "tls-server-name": "str",
    "insecure-skip-tls-verify": "bool",
    "certificate-authority": "str",
    "certificate-authority-data": "str",
    "proxy-url": "str",
}
_EXEC: dict[str, _Schema] = {
    "command": "str",
    "args": "list[str]",
    "env": [{"name": "str", "value": "str"}],
    "apiVersion": "str",
    "provideClusterInfo": "bool",
    "interactiveMode": "str",
}
_USER: dict[str, _Schema] = {
    "client-certificate": "str",
    "client-certificate-data": "str",
    "client-key": "str",
    "client-key-data": "str",
    "token": "str",
    "tokenFile": "str",
    "username": "str",
    "password": "str",
    "auth-provider": {"name": "str", "config": "map"},
    "exec": _EXEC,
}
_CONFIG: dict[str, _Schema] = {
    "current-context": "str",
    "clusters": [{"name": "str", "cluster": _CLUSTER}],
    "contexts": [{"name": "str", "context": {"cluster": "str", "user": "str", "namespace": "str"}}],
    "users": [{"name": "str", "user": _USER}],
    "preferences": "map",
}
_KINDS = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "a mapping",
    LineDict: "a mapping",
}
_FIX = "correct the kubeconfig (see `kubectl config view`), or pass another with --kubeconfig"


def kubeconfig_files(flag: str | None) -> list[Path]:
    """The files the client will read: --kubeconfig, else each file in $KUBECONFIG, else ~/.kube/config."""
    if flag:
        return [Path(flag)]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def check_kubeconfig(path: Path) -> None:
    """InputError with file:line when an existing kubeconfig is not YAML or a field has the wrong type.
    A missing file is left to the client, which names it."""
    if not path.exists():
        return
    docs = load_documents(path)
    if not docs:
        return  # empty: the client says so
    if len(docs) > 1 or not isinstance(docs[0], LineDict):
        raise InputError("a kubeconfig is one YAML mapping", path=str(path), line=1, fix=_FIX)
    _check(docs[0], _CONFIG, "", path, docs[0].line)


def _want(schema: _Schema) -> str:
    if schema == "list[str]":
        return "a list of strings"
    if isinstance(schema, list):
        return "a list"
    if isinstance(schema, dict) or schema == "map":
        return "a mapping"
    return "true or false" if schema == "bool" else "a string"


def _fits(value: Any, schema: _Schema) -> bool:
    if isinstance(schema, dict) or schema == "map":
        return isinstance(value, dict)
    if isinstance(schema, list):
        return isinstance(value, list)
    if schema == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, bool) if schema == "bool" else isinstance(value, str)


def _check(value: Any, schema: _Schema, where: str, path: Path, line: int) -> None:
    if value is None:
        return
    if not _fits(value, schema):
        # The kind of value, never the value: a kubeconfig holds tokens and keys.
        got = _KINDS.get(type(value), type(value).__name__)
        raise InputError(f"{where}: expected {_want(schema)}, got {got}", path=str(path), line=line, fix=_FIX)
    if isinstance(schema, list):
        for i, item in enumerate(value):
            if item is None:
                raise InputError(f"{where}[{i}]: expected a mapping, got null", path=str(path), line=line, fix=_FIX)
            _check(item, schema[0], f"{where}[{i}]", path, getattr(item, "line", 0) or line)
    elif isinstance(schema, dict):
        for key, sub in schema.items():
            if key in value:
                _check(value[key], sub, f"{where}.{key}" if where else key, path, value.line_of(key))
