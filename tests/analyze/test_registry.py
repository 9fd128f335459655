"""The analyzer registry is the one list of facts: every fact a control reads is declared, every
declared fact is written by the analyzer declaring it, and no analyzer writes one it did not declare."""

from __future__ import annotations

import inspect
import re
import sys

import pytest

from pcicheck.analyze.estate import analyze
from pcicheck.analyze.interface import AnalysisInput, Analyzer, Fact, FactMap
from pcicheck.analyze.registry import ANALYZERS, FACTS, fact_names_read, facts_read, types_read
from pcicheck.catalog import load_catalog
from pcicheck.collect.registry import resource_types
from pcicheck.config import ScopeConfig
from pcicheck.model import Resource
from pcicheck.snapshot import read_snapshot
from tests.conftest import DemoRun


def test_every_fact_a_control_reads_is_declared() -> None:
    undeclared = {
        (c.id, name)
        for c in load_catalog().controls
        for name in fact_names_read("\n".join((c.where, c.assertion, *c.evidence)))
        if name not in FACTS
    }
    assert undeclared == set()


def test_declarations_are_whole() -> None:
    names = [a.name for a in ANALYZERS]
    assert len(names) == len(set(names))
    assert ANALYZERS[0].name == "scope"  # the others read what it decided
    known_types = set(resource_types())
    for a in ANALYZERS:
        written = [f.name for f in a.writes]
        assert len(written) == len(set(written)), a.name
        for f in a.writes:
            assert f.doc and not f.doc.endswith("."), f.name
            assert set(f.reads) <= known_types, (a.name, f.name)


def test_a_name_two_analyzers_declare_is_one_per_provider() -> None:
    for name, declarations in FACTS.items():
        if len(declarations) > 1:
            providers = [{t.split(".", 1)[0] for t in f.reads} for f in declarations]
            assert all(len(p) == 1 for p in providers), name
            assert len({next(iter(p)) for p in providers}) == len(declarations), name


@pytest.mark.parametrize("analyzer", ANALYZERS, ids=lambda a: a.name)
def test_every_declared_fact_is_written_by_its_analyzer_code(analyzer: Analyzer) -> None:
    """Each fact name is a key the analyzer's module writes (a string literal there)."""
    source = inspect.getsource(sys.modules[analyzer.run.__module__])
    missing = [f.name for f in analyzer.writes if not re.search(rf"[\"']{f.name}[\"']", source)]
    assert missing == []


def test_the_demo_estate_gets_the_facts_its_resources_have(demo_run: DemoRun) -> None:
    """On a real snapshot nearly every fact is written somewhere; the rest need shapes the demo lacks."""
    snapshot = read_snapshot(demo_run.out / "snapshot.json.gz")
    estate = analyze(snapshot.resources, ScopeConfig())
    written = {name for facts in estate.facts.values() for name in facts}
    not_in_demo = {
        "k8s_cluster_uid",  # an EKS cluster and its API server scanned together
        "tag_session_tenant_bound",  # IAM roles: the demo estate has none
        "abac_unjudged_policies",
        "abac_aws_managed_policies",
        "abac_unscoped_statements",
        "pooled_unjudged_policies",  # a pooled bucket
        "pooled_wide_access",
    }
    assert set(FACTS) - written == not_in_demo


def test_an_undeclared_fact_is_a_bug_not_a_silent_extra() -> None:
    def writes_too_much(inputs: AnalysisInput) -> FactMap:
        return {r.uid: {"declared": 1, "surprise": 2} for r in inputs.resources}

    rogue = Analyzer("rogue", (Fact("declared", "a fact"),), writes_too_much)
    bucket = Resource("arn:aws:s3:::b", "aws.s3.bucket", "aws", "1", "us-east-1", "b", {}, {}, ())
    with pytest.raises(RuntimeError, match=r"rogue wrote undeclared facts \['surprise'\]"):
        analyze([bucket], ScopeConfig(), analyzers=(ANALYZERS[0], rogue))


def test_dependencies_follow_the_declarations_and_the_provider() -> None:
    text = "resource.facts.non_cde_sources.size() == 0 && resource.facts.key_tenants == []"
    assert {f.name for f in facts_read(text)} == {"non_cde_sources", "key_tenants"}
    aws = types_read(text, "aws")
    assert "aws.ec2.subnet" in aws and "aws.s3.bucket" in aws  # reachability; a key user
    assert types_read(text, "k8s") == {
        "k8s.namespace",
        "k8s.pod",
        "k8s.network_policy",
        "k8s.workload",
        "k8s.unread_policy",
    }
    # An attribute that shares a fact's name is not the fact.
    assert facts_read("resource.attributes.kms_key_manager == 'CUSTOMER'") == ()
