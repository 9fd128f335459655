"""pcicheck's own Checkov checks (loaded with --external-checks-dir, run by Checkov's own interpreter).

Security group ingress open to the whole internet (0.0.0.0/0 or ::/0) on a database port — the concern and
port list of the live control aws-ec2-sg-no-world-database-ports, so a plan and the deployed account are
judged alike. Mapped to PCI DSS in ../mapping.yaml under these ids.

Python checks rather than Checkov's YAML policy format: a YAML attribute policy is evaluated condition by
condition over the whole graph, and these need a port range test per database port (about 0.2 s of CPU per
policy on TerraGoat, where Checkov's whole run is 4.5 s); here each rule is read once. They also say what
YAML could not: a value Checkov could not resolve (a variable without a default, a module output) is
UNKNOWN, which pcicheck reports as an error, not a pass.

Kept to the standard library and Checkov's public check API, since pcicheck's own environment does not
import this file: tests/iac/test_policies.py runs it in the pinned Checkov.
"""

from __future__ import annotations

from typing import Any, Optional

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

# SQL Server, Oracle, MySQL, PostgreSQL, Redshift, Redis, Elasticsearch, MongoDB.
DATABASE_PORTS = (1433, 1521, 3306, 5432, 5439, 6379, 9200, 27017)
WORLD = ("0.0.0.0/0", "::/0")
ALL_TRAFFIC = ("-1", "all")  # AWS reads protocol -1 (string or number) as every protocol and port

# A three-valued answer: True, False, or None when Checkov left the value unresolved. Optional, not
# `bool | None`: this runs on whatever Python the user's Checkov has, 3.9 included.
Maybe = Optional[bool]


def _one(value: Any) -> Any:
    """Checkov wraps each HCL attribute in a list: the value inside it, or None when absent."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _resolved(value: Any) -> bool:
    """False for what Checkov could not evaluate: a reference left as text (var.x, ${local.y}, module.z…)."""
    if isinstance(value, str):
        return "${" not in value and not value.startswith(("var.", "local.", "module.", "data.", "each."))
    return True


def _port(value: Any) -> int | None:
    value = _one(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _sources(value: Any) -> list[Any]:
    """A CIDR attribute as a flat list (a list of CIDRs, one CIDR, or nothing)."""
    value = _one(value)
    if value is None:
        return []
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            out += _sources(item) if isinstance(item, list) else [item]
        return out
    return [value]


def _world(cidrs: list[Any]) -> Maybe:
    """Whether a source list holds the whole internet; None when any entry is unresolved."""
    if any(isinstance(c, str) and c.strip() in WORLD for c in cidrs):
        return True
    if any(not isinstance(c, str) or not _resolved(c) for c in cidrs):
        return None
    return False


def _covers(protocol: Any, from_port: Any, to_port: Any) -> Maybe:
    """Whether a rule admits a database port; None when what decides it is unresolved."""
    proto = _one(protocol)
    if proto is not None and not isinstance(proto, bool) and str(proto).strip().lower() in ALL_TRAFFIC:
        return True
    low, high = _port(from_port), _port(to_port)
    if low is not None and high is not None and any(low <= p <= high for p in DATABASE_PORTS):
        return True
    if proto is None or not _resolved(proto) or isinstance(proto, bool) or low is None or high is None:
        return None
    return False


def _verdict(world: Maybe, covers: Maybe) -> CheckResult:
    if world is False or covers is False:
        return CheckResult.PASSED
    if world and covers:
        return CheckResult.FAILED
    return CheckResult.UNKNOWN


def _worst(verdicts: list[CheckResult]) -> CheckResult:
    for worst in (CheckResult.FAILED, CheckResult.UNKNOWN):
        if worst in verdicts:
            return worst
    return CheckResult.PASSED


class _WorldDatabasePorts(BaseResourceCheck):
    def __init__(self, check_id: str, name: str, resource: str) -> None:
        super().__init__(
            name=name, id=check_id, categories=(CheckCategories.NETWORKING,), supported_resources=(resource,)
        )


class InlineRules(_WorldDatabasePorts):
    def __init__(self) -> None:
        super().__init__(
            "CKV2_PCICHECK_1",
            "Security groups do not open database ports to the whole internet (inline ingress blocks)",
            "aws_security_group",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        # Each ingress block on its own: port and source must meet in one block.
        verdicts = []
        for block in conf.get("ingress") or []:
            for rule in block if isinstance(block, list) else [block]:
                if not isinstance(rule, dict):
                    verdicts.append(CheckResult.UNKNOWN)  # a dynamic block Checkov did not expand
                    continue
                world = _world(_sources(rule.get("cidr_blocks")) + _sources(rule.get("ipv6_cidr_blocks")))
                covers = _covers(rule.get("protocol"), rule.get("from_port"), rule.get("to_port"))
                verdicts.append(_verdict(world, covers))
        return _worst(verdicts)


class SecurityGroupRule(_WorldDatabasePorts):
    def __init__(self) -> None:
        super().__init__(
            "CKV2_PCICHECK_2",
            "Security group rules do not open database ports to the whole internet (aws_security_group_rule)",
            "aws_security_group_rule",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        kind = _one(conf.get("type"))
        if kind == "egress":
            return CheckResult.PASSED
        world = _world(_sources(conf.get("cidr_blocks")) + _sources(conf.get("ipv6_cidr_blocks")))
        verdict = _verdict(world, _covers(conf.get("protocol"), conf.get("from_port"), conf.get("to_port")))
        if kind != "ingress" and verdict == CheckResult.FAILED:
            return CheckResult.UNKNOWN  # an unresolved type: ingress or egress, it cannot be told
        return verdict


class IngressRule(_WorldDatabasePorts):
    def __init__(self) -> None:
        super().__init__(
            "CKV2_PCICHECK_3",
            "Security group ingress rules do not open database ports to the whole internet "
            "(aws_vpc_security_group_ingress_rule)",
            "aws_vpc_security_group_ingress_rule",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        world = _world(_sources(conf.get("cidr_ipv4")) + _sources(conf.get("cidr_ipv6")))
        return _verdict(world, _covers(conf.get("ip_protocol"), conf.get("from_port"), conf.get("to_port")))


# Checkov registers a check when it is made.
CHECKS = (InlineRules(), SecurityGroupRule(), IngressRule())
