"""pcicheck.yaml: how CDE and tenant membership are recognised, and per-control parameters.

Every field is optional; without a file the defaults below apply:

    scope:
      cde:    {tag: pci-scope, value: cde}   # AWS tag (and, later, Kubernetes namespace label)
      tenant: {tag: tenant}                  # its value is the tenant id
      pooled: {tag: tenancy, value: pooled}  # S3 buckets shared by tenants under per-tenant prefixes
    params:
      aws-kms-key-rotation: {max_days: 180}  # overrides a control's own params
    waivers: [...]                           # accepted risk (see waivers.py)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pcicheck.errors import InputError
from pcicheck.params import closest, mismatch, unknown_param_fix
from pcicheck.waivers import Waiver, parse_waivers
from pcicheck.yamlfile import LineDict, load_mapping

DEFAULT_FILE = "pcicheck.yaml"


@dataclass(frozen=True)
class ScopeConfig:
    cde_tag: str = "pci-scope"
    cde_value: str = "cde"
    tenant_tag: str = "tenant"
    pooled_tag: str = "tenancy"
    pooled_value: str = "pooled"

    def describe(self) -> dict[str, Any]:
        return {
            "cde": {"tag": self.cde_tag, "value": self.cde_value},
            "tenant": {"tag": self.tenant_tag},
            "pooled": {"tag": self.pooled_tag, "value": self.pooled_value},
        }


@dataclass(frozen=True)
class Config:
    scope: ScopeConfig = field(default_factory=ScopeConfig)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: str | None = None
    waivers: tuple[Waiver, ...] = ()
    # Where each override was written, for file:line errors: (control id, None) is the control's line,
    # (control id, param) the param's. Not part of what the run used.
    params_at: dict[tuple[str, str | None], int] = field(default_factory=dict, compare=False, repr=False)


def _section(doc: LineDict, key: str, path: Path) -> LineDict:
    value = doc.get(key)
    if value is None:
        return LineDict()
    if not isinstance(value, LineDict):
        raise InputError(f"'{key}' must be a mapping", path=str(path), line=doc.line_of(key))
    return value


def _tag_rule(section: LineDict, key: str, path: Path, need_value: bool) -> tuple[str, str | None] | None:
    rule = section.get(key)
    if rule is None:
        return None
    allowed = {"tag", "value"} if need_value else {"tag"}
    if not isinstance(rule, LineDict) or not isinstance(rule.get("tag"), str) or set(rule) - allowed:
        shape = "{tag: NAME, value: VALUE}" if need_value else "{tag: NAME}"
        raise InputError(f"'scope.{key}' must be {shape}", path=str(path), line=section.line_of(key))
    value = rule.get("value")
    if need_value and not isinstance(value, str):
        raise InputError(f"'scope.{key}.value' must be text", path=str(path), line=rule.line_of("value"))
    return rule["tag"], value


def load_config(path: Path | None) -> Config:
    """The given file, else ./pcicheck.yaml if present, else defaults."""
    if path is None:
        default = Path(DEFAULT_FILE)
        if not default.is_file():
            return Config()
        path = default
    doc = load_mapping(path, what="config file", fix="check the --config path")
    unknown = set(doc) - {"scope", "params", "waivers"}
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(
            f"unknown section {key!r}", path=str(path), line=doc.line_of(key), fix="use scope, params or waivers"
        )
    scope_doc = _section(doc, "scope", path)
    if set(scope_doc) - {"cde", "tenant", "pooled"}:
        key = sorted(set(scope_doc) - {"cde", "tenant", "pooled"})[0]
        raise InputError(f"unknown scope rule {key!r}", path=str(path), line=scope_doc.line_of(key))
    scope = ScopeConfig()
    cde = _tag_rule(scope_doc, "cde", path, need_value=True)
    tenant = _tag_rule(scope_doc, "tenant", path, need_value=False)
    pooled = _tag_rule(scope_doc, "pooled", path, need_value=True)
    scope = ScopeConfig(
        cde_tag=cde[0] if cde else scope.cde_tag,
        cde_value=(cde[1] or scope.cde_value) if cde else scope.cde_value,
        tenant_tag=tenant[0] if tenant else scope.tenant_tag,
        pooled_tag=pooled[0] if pooled else scope.pooled_tag,
        pooled_value=(pooled[1] or scope.pooled_value) if pooled else scope.pooled_value,
    )
    params, params_at = _params(_section(doc, "params", path), path)
    waivers = parse_waivers(doc["waivers"], path, doc.line_of("waivers")) if "waivers" in doc else ()
    return Config(scope=scope, params=params, path=str(path), waivers=waivers, params_at=params_at)


def _params(params_doc: LineDict, path: Path) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str | None], int]]:
    """`params:` as {control id: {param: value}}, and the line of each. Whether the control and param
    exist, and the value fits, needs the catalog: check_params."""
    params: dict[str, dict[str, Any]] = {}
    lines: dict[tuple[str, str | None], int] = {}
    for control_id, values in params_doc.items():
        if not isinstance(values, LineDict):
            raise InputError(
                f"params for {control_id!r} must be a mapping",
                path=str(path),
                line=params_doc.line_of(control_id),
                fix="e.g. aws-kms-key-rotation: {max_days: 180}",
            )
        params[control_id] = dict(values)
        lines[(control_id, None)] = params_doc.line_of(control_id)
        lines.update({(control_id, key): values.line_of(key) for key in values})
    return params, lines


def check_params(config: Config, declared: Mapping[str, Mapping[str, Any]]) -> None:
    """Every override names a control (`declared`: control id → its params with their defaults), a param
    that control declares, and a value of that param's type. A misspelt name is an error, never a
    silently ignored override that leaves the default in force."""
    for control_id, values in config.params.items():
        line = config.params_at.get((control_id, None))
        if control_id not in declared:
            close = closest(control_id, declared)
            raise InputError(
                f"params given for unknown control {control_id!r}",
                path=config.path,
                line=line,
                fix=f"did you mean {close}?" if close else "check the id with `pcicheck controls list`",
            )
        own = declared[control_id]
        for key, value in values.items():
            where = config.params_at.get((control_id, key), line)
            if key not in own:
                raise InputError(
                    f"control {control_id!r} has no param {key!r}",
                    path=config.path,
                    line=where,
                    fix=unknown_param_fix(key, own),
                )
            wrong = mismatch(key, value, own[key])
            if wrong:
                raise InputError(f"{control_id}: {wrong[0]}", path=config.path, line=where, fix=wrong[1])


def effective_document(config: Config) -> dict[str, Any]:
    """The configuration a run used, every default written out: what a pack keeps to re-perform it."""
    return {
        "scope": config.scope.describe(),
        "params": {cid: dict(values) for cid, values in sorted(config.params.items())},
        "waivers": [w.document() for w in config.waivers],
    }


def effective_text(document: dict[str, Any]) -> str:
    """An effective configuration as pcicheck.yaml text: the same document always gives the same bytes."""
    header = (
        "# The configuration this run used (scope selectors, control params, waivers), every default\n"
        "# written out. Re-perform the run with: pcicheck evaluate snapshot.json.gz --config pcicheck.yaml\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
