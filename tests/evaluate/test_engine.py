"""Statuses, fail-closed behaviour and cross-resource functions of the evaluation engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pcicheck.analyze.estate import analyze
from pcicheck.config import ScopeConfig
from pcicheck.evaluate.engine import Evaluator, subject
from pcicheck.evaluate.reads import reads_of
from pcicheck.evaluate.rollup import RequirementOutcome, roll_up
from pcicheck.model import CollectionError, Control, Resource, Severity, Status

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def control(
    where: str = "true",
    check: str = "true",
    *,
    resource: str = "aws.kms.key",
    scope: str = "all",
    evidence: tuple[str, ...] = (),
    params: dict[str, Any] | None = None,
    cid: str = "c1",
    requirements: tuple[str, ...] = ("3.6.4",),
) -> Control:
    return Control(
        id=cid,
        title="t",
        domain="key-management",
        severity=Severity.HIGH,
        resource=resource,
        scope=scope,
        where=where,
        assertion=check,
        params=params or {},
        requirements={"pci-dss-3.2.1": requirements, "pci-dss-4.0.1": ("3.7.4.b",)},
        rationale="r",
        remediation="m",
        evidence=evidence,
        tests=(),
        path="x.yaml",
    )


def res(
    rtype: str,
    uid: str,
    *,
    tags: dict[str, str] | None = None,
    attributes: dict[str, Any] | None = None,
    account: str = "111",
    region: str = "eu-west-2",
    provider: str = "aws",
    name: str | None = None,
) -> Resource:
    return Resource(
        uid=uid,
        type=rtype,
        provider=provider,
        account=account,
        region=region,
        name=name or uid,
        tags=tags or {},
        attributes=attributes or {},
    )


def key(uid: str = "arn:key/1", tags: dict[str, str] | None = None, **attributes: Any) -> Resource:
    return res("aws.kms.key", uid, tags=tags, attributes=attributes)


def denied(
    service: str,
    operation: str,
    resource_type: str,
    *,
    region: str = "eu-west-2",
    code: str = "AccessDenied",
    uid: str | None = None,
    attributes: tuple[str, ...] = (),
) -> CollectionError:
    """A call that was refused: a whole listing, or (with uid) some attributes of one resource."""
    return CollectionError(
        provider="aws",
        account="111",
        region=region,
        service=service,
        operation=operation,
        code=code,
        message="no",
        resource_types=(resource_type,),
        resource_uid=uid,
        attributes=attributes,
    )


def judge(controls: list[Control], resources: list[Resource], errors: list[CollectionError] | None = None):
    estate = analyze(resources, ScopeConfig())
    return Evaluator(controls).evaluate(estate, errors or [], NOW)


def test_pass_fail_not_applicable() -> None:
    c = control("resource.attributes.manager == 'CUSTOMER'", "resource.attributes.rotation_enabled")
    results = judge(
        [c],
        [
            key("a", manager="CUSTOMER", rotation_enabled=True),
            key("b", manager="CUSTOMER", rotation_enabled=False),
            key("c", manager="AWS", rotation_enabled=False),
        ],
    )
    assert [r.status for r in results] == [Status.PASS, Status.FAIL, Status.NOT_APPLICABLE]


def test_missing_attribute_is_error_never_pass() -> None:
    (r,) = judge([control(check="resource.attributes.rotation_enabled == true")], [key()])
    assert r.status == Status.ERROR
    assert "rotation_enabled" in r.message


def test_non_boolean_and_runtime_errors_are_errors() -> None:
    results = judge(
        [control(check="resource.attributes.n", cid="a"), control(check="1 + 'x' == 2", cid="b")], [key(n=3)]
    )
    assert [r.status for r in results] == [Status.ERROR, Status.ERROR]
    assert "not a boolean" in results[0].message


def test_collection_error_on_an_attribute_the_control_reads_is_error() -> None:
    err = denied(
        "kms",
        "GetKeyRotationStatus",
        "aws.kms.key",
        code="AccessDeniedException",
        uid="a",
        attributes=("rotation_enabled",),
    )
    # `has()` would let a naive engine pass a resource whose attribute was never read.
    reads = control(
        check="!has(resource.attributes.rotation_enabled) || resource.attributes.rotation_enabled",
        cid="reads",
    )
    other = control(check="resource.attributes.manager == 'CUSTOMER'", cid="other")
    results = {r.control.id: r for r in judge([reads, other], [key("a", manager="CUSTOMER")], [err])}
    assert results["reads"].status == Status.ERROR
    assert "AccessDeniedException" in results["reads"].message
    assert results["other"].status == Status.PASS


def test_listing_error_yields_error_results_for_its_controls() -> None:
    err = denied("kms", "ListKeys", "aws.kms.key")
    (r,) = judge([control()], [], [err])
    assert r.status == Status.ERROR and r.resource["uid"] == "aws://111/eu-west-2/kms"


def test_resources_function_fails_closed_when_its_type_was_not_listed() -> None:
    account = res("aws.account", "aws://111", region="", name="111", attributes={})
    c = control(check='resources("aws.cloudtrail.trail").exists(t, t.attributes.is_logging)', resource="aws.account")
    assert judge([c], [account])[0].status == Status.FAIL
    err = denied("cloudtrail", "DescribeTrails", "aws.cloudtrail.trail", region="us-east-1")
    assert judge([c], [account], [err])[0].status == Status.ERROR


def test_scope_and_lookup_across_resources() -> None:
    bucket = res(
        "aws.s3.bucket",
        "arn:aws:s3:::b",
        name="b",
        tags={"tenant": "globex", "pci-scope": "cde"},
        attributes={"encryption": {"algorithm": "aws:kms", "kms_key_id": "alias/acme"}},
    )
    acme = key("arn:aws:kms:eu-west-2:111:key/k1", tags={"tenant": "acme"}, key_id="k1", aliases=["alias/acme"])
    c = control(
        check="lookup(resource.facts.kms_key_uid).facts.tenant == resource.facts.tenant",
        resource="aws.s3.bucket",
        scope="tenant",
        evidence=("facts.kms_key_uid", "encryption.algorithm"),
    )
    (r,) = judge([c], [bucket, acme])
    assert r.status == Status.FAIL
    assert r.evidence == {"facts.kms_key_uid": acme.uid, "encryption.algorithm": "aws:kms"}
    assert r.resource["scope"] == "cde" and r.resource["scope_reason"] == "tag pci-scope=cde"
    untenanted = res("aws.s3.bucket", "u", attributes={})
    assert judge([c], [untenanted])[0].status == Status.NOT_APPLICABLE


def test_cde_scope_is_inherited_from_the_vpc() -> None:
    vpc = res("aws.ec2.vpc", "vpc", region="r", tags={"pci-scope": "cde"}, attributes={"vpc_id": "vpc-1"})
    inst = res("aws.ec2.instance", "i", region="r", attributes={"vpc_id": "vpc-1", "public_ip": "1.2.3.4"})
    c = control(check="resource.attributes.public_ip == null", resource="aws.ec2.instance", scope="cde")
    (r,) = judge([c], [vpc, inst])
    assert r.status == Status.FAIL and r.resource["scope_reason"] == "in vpc-1 (tag pci-scope=cde)"


def test_params_and_now() -> None:
    c = control(
        check="now - timestamp(resource.attributes.created) <= duration(string(params.days * 24) + 'h')",
        params={"days": 90},
    )
    results = judge([c], [key("old", created="2026-01-01T00:00:00Z"), key("new", created="2026-05-01T00:00:00Z")])
    assert [r.status for r in results] == [Status.FAIL, Status.PASS]
    overridden = Evaluator([c], {"c1": {"days": 365}}).evaluate(
        analyze([key("old", created="2026-01-01T00:00:00Z")], ScopeConfig()), [], NOW
    )
    assert overridden[0].status == Status.PASS


def test_requirement_roll_up() -> None:
    from pcicheck.catalog import load_frameworks

    fw = load_frameworks()["pci-dss-4.0.1"]
    c = control(check="resource.attributes.ok")
    results = judge([c], [key("a", ok=True), key("b", ok=False)])
    outcomes = {q.id: q for q in roll_up(fw, [c], results)}
    q = outcomes["3.7.4"]
    assert q.outcome == RequirementOutcome.NOT_IN_PLACE and q.counts == {"pass": 1, "fail": 1}
    assert outcomes["3"].outcome == RequirementOutcome.NOT_IN_PLACE  # parents roll up their children
    assert outcomes["12"].outcome == RequirementOutcome.MANUAL
    only_pass = judge([c], [key("a", ok=True)])
    # 3.7.4.a asks for documents: a passing configuration check is not the whole requirement.
    assert {q.id: q for q in roll_up(fw, [c], only_pass)}["3.7.4"].outcome == RequirementOutcome.AUTOMATED_CHECKS_PASS


def test_key_users_fact_and_its_fail_closed_dependencies() -> None:
    acme = key("arn:aws:kms:eu-west-2:111:key/k1", tags={"tenant": "acme"}, key_id="k1", aliases=["alias/acme"])
    bucket = res(
        "aws.s3.bucket",
        "arn:aws:s3:::g",
        name="g",
        tags={"tenant": "globex"},
        attributes={"encryption": {"algorithm": "aws:kms", "kms_key_id": "k1"}},
    )
    c = control(check="resource.facts.key_tenants.all(t, t == resource.facts.tenant)", scope="tenant")
    (r,) = (x for x in judge([c], [acme, bucket]) if x.resource["uid"] == acme.uid)
    assert r.status == Status.FAIL
    facts = analyze([acme, bucket], ScopeConfig()).facts[acme.uid]
    assert facts["key_user_count"] == 1 and facts["key_tenants"] == ["globex"]
    assert facts["key_other_tenant_users"] == [{"uid": bucket.uid, "type": "aws.s3.bucket", "tenant": "globex"}]
    assert judge([c], [acme])[0].status == Status.PASS
    unread = denied("s3", "GetBucketEncryption", "aws.s3.bucket", uid="arn:aws:s3:::x", attributes=("encryption",))
    assert judge([c], [acme], [unread])[0].status == Status.ERROR
    unlisted = denied("rds", "DescribeDBInstances", "aws.rds.instance")
    statuses = {x.resource["uid"]: x.status for x in judge([c], [acme], [unlisted])}
    assert statuses[acme.uid] == Status.ERROR


def test_parallel_evaluation_gives_the_serial_results() -> None:
    import random

    from pcicheck.catalog import load_catalog

    rng = random.Random(3)
    catalog = load_catalog()
    resources = []
    for i in range(400):
        c = catalog.controls[i % len(catalog.controls)]
        case = c.tests[i % len(c.tests)]
        tags = dict(case.resource.get("tags") or {})
        if rng.random() < 0.3:
            tags["pci-scope"] = "cde"
        resources.append(
            res(
                c.resource,
                f"u{i}",
                region="r",
                name=f"n{i}",
                tags=tags,
                attributes=dict(case.resource.get("attributes") or {}),
            )
        )
    estate = analyze(resources, ScopeConfig())

    def key(r):
        return (r.control.id, r.resource["uid"], r.status, r.message, repr(r.evidence), repr(r.resource))

    serial = sorted(map(key, Evaluator(catalog.controls).evaluate(estate, [], NOW)))
    parallel = sorted(map(key, Evaluator(catalog.controls, parallel_from=1).evaluate(estate, [], NOW)))
    assert len(serial) > 400 and parallel == serial


def test_unreadable_tags_make_scoped_controls_error_not_out_of_scope() -> None:
    err = denied("kms", "ListResourceTags", "aws.kms.key", uid="a", attributes=("tags",))
    cde = control(check="true", scope="cde", cid="cde")
    everywhere = control(check="true", cid="all")
    results = {r.control.id: r.status for r in judge([cde, everywhere], [key("a")], [err])}
    assert results == {"cde": Status.ERROR, "all": Status.PASS}


def test_key_resolution_depends_on_the_key_listing() -> None:
    bucket = res(
        "aws.s3.bucket",
        "arn:aws:s3:::b",
        name="b",
        attributes={"encryption": {"algorithm": "aws:kms", "kms_key_id": "alias/acme"}},
    )
    c = control(check="resource.facts.kms_key_uid != null", resource="aws.s3.bucket")
    assert judge([c], [bucket])[0].status == Status.FAIL
    refused = denied("kms", "ListKeys", "aws.kms.key")
    statuses = {r.resource["uid"]: r.status for r in judge([c], [bucket], [refused])}
    assert statuses["arn:aws:s3:::b"] == Status.ERROR


def test_key_summary_facts_fail_closed_when_the_manager_was_not_read() -> None:
    key_read = key("arn:aws:kms:eu-west-2:111:key/k1", tags={"tenant": "acme"}, key_id="k1", manager="CUSTOMER")
    key_unread = key("arn:aws:kms:eu-west-2:111:key/k1", tags={"tenant": "acme"}, key_id="k1")
    bucket = res("aws.s3.bucket", "b", attributes={"encryption": {"algorithm": "aws:kms", "kms_key_id": "k1"}})
    c = control(check="resource.facts.kms_key_manager == 'CUSTOMER'", resource="aws.s3.bucket")
    assert judge([c], [bucket, key_read])[0].status == Status.PASS
    assert judge([c], [bucket, key_unread])[0].status == Status.ERROR
    facts = analyze([bucket, key_read], ScopeConfig()).facts["b"]
    assert (facts["kms_key_tenant"], facts["kms_key_manager"]) == ("acme", "CUSTOMER")


def test_scanned_cluster_is_linked_to_its_eks_record() -> None:
    eks = res(
        "aws.eks.cluster",
        "arn:aws:eks:eu-west-2:111:cluster/pay",
        name="pay",
        attributes={"endpoint": "https://ABC123.gr7.eu-west-2.eks.amazonaws.com"},
    )
    k8s = res(
        "k8s.cluster",
        "k8s://pay/_cluster/Cluster/pay",
        provider="k8s",
        account="pay",
        region="",
        name="Cluster pay",
        attributes={"server": "https://abc123.gr7.eu-west-2.eks.amazonaws.com:443/"},
    )
    facts = analyze([eks, k8s], ScopeConfig()).facts
    assert facts[k8s.uid]["eks_cluster_uid"] == eks.uid
    assert facts[eks.uid]["k8s_cluster_uid"] == k8s.uid
    assert analyze([k8s], ScopeConfig()).facts[k8s.uid]["eks_cluster_uid"] is None


def test_facts_read_by_name_or_whole() -> None:
    named = reads_of('resource.facts.scope == "cde" && resource.facts["tenant"] != null', "resource.attributes.a")
    assert (named.keys, named.attributes, named.facts) == ({"facts", "attributes"}, {"a"}, {"scope", "tenant"})
    for whole in ("resource.facts.exists(k, k == 'x')", "'x' in resource.facts", "size(resource)"):
        assert reads_of(whole).facts is None, whole
    view = {"uid": "u", "facts": {"scope": "cde", "tenant": "t", "sources": [1, 2]}, "attributes": {"a": 1, "b": 2}}
    assert subject(named, view) == {"facts": {"scope": "cde", "tenant": "t"}, "attributes": {"a": 1}}


def test_each_control_sees_the_facts_it_reads_however_it_reads_them() -> None:
    """Controls of one resource get the facts they read (CEL converts only those): one reading a fact by
    name, one the whole map, one none; each sees what it needs, and absent stays absent."""
    by_name = control(check='resource.facts.scope == "non-cde" && !has(resource.facts.no_such_fact)', cid="name")
    whole = control(check='resource.facts.exists(k, k == "scope_reason")', cid="whole")
    neither = control(check='resource.attributes.manager == "CUSTOMER"', cid="none")
    missing = control(check="resource.facts.no_such_fact == 1", cid="missing")
    results = {r.control.id: r for r in judge([by_name, whole, neither, missing], [key(manager="CUSTOMER")])}
    assert {cid: r.status for cid, r in results.items()} == {
        "name": Status.PASS,
        "whole": Status.PASS,
        "none": Status.PASS,
        "missing": Status.ERROR,
    }


def test_projected_evidence_shows_the_fields_it_names_under_its_path() -> None:
    grants = [
        {"id": "g1", "operations": ["Decrypt"], "grantee": "arn:role/a", "constraints": {"x": "y"}},
        {"id": "g2", "operations": ["Encrypt"]},
        "unparsed",
    ]
    c = control(
        check="resource.attributes.grants.all(g, g.operations.all(o, o == 'Decrypt'))",
        evidence=("manager", "grants[].{ id, operations, grantee }", "facts.tenant"),
    )
    (r,) = judge([c], [key(manager="CUSTOMER", grants=grants)])
    assert r.status == Status.FAIL
    assert r.evidence == {
        "manager": "CUSTOMER",
        "grants[].{id,operations,grantee}": [
            {"id": "g1", "operations": ["Decrypt"], "grantee": "arn:role/a"},
            {"id": "g2", "operations": ["Encrypt"], "grantee": "<not collected>"},
            "unparsed",  # not a record: shown as it is
        ],
        "facts.tenant": None,
    }


def test_a_projected_list_it_does_not_read_left_unread_is_named_in_the_message() -> None:
    err = denied("kms", "ListGrants", "aws.kms.key", uid="arn:key/1", attributes=("grants",))
    c = control(check="resource.attributes.manager == 'CUSTOMER'", evidence=("manager", "grants[].{id,operations}"))
    (r,) = judge([c], [key(manager="CUSTOMER")], [err])
    assert r.status == Status.PASS
    assert r.evidence["grants[].{id,operations}"] == "<not collected>"
    assert "evidence grants not read, and not needed: " in r.message
