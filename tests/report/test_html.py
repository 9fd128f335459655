"""index.html from a results document: sections, evidence ids, collapsed passes, unproven requirements, and
hostile strings that stay text. The page is parsed back with html.parser to check its structure, not grepped."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pcicheck import paths, results_doc
from pcicheck.catalog import load_catalog
from pcicheck.config import Config
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.model import evidence_id
from pcicheck.report import html
from pcicheck.report.html import CONNECTED_ROWS, INLINE_FINDINGS, INLINE_LISTED, MAX_LISTED, render_html
from pcicheck.report.html_text import MAX_TEXT, clip
from pcicheck.report.results_json import render
from tests.report.test_results_json import kms_snapshot

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
BRACKETS = "role/[admin]"
HUGE = "A" * 1_000_000
FW = "pci-dss-3.2.1"


def res(uid: str, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "type": extra.pop("type", "aws.kms.key"),
        "name": name,
        "account": "111122223333",
        "region": "eu-west-2",
        "tags": extra.pop("tags", {}),
        "scope": extra.pop("scope", "out-of-scope"),
        "scope_reason": extra.pop("scope_reason", "no CDE marker"),
        "tenant": extra.pop("tenant", None),
        **extra,
    }


def result(control: str, resource: dict[str, Any], status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": evidence_id(control, resource["uid"]),
        "control": control,
        "title": f"title of {control}",
        "status": status,
        "severity": extra.pop("severity", "high"),
        "domain": extra.pop("domain", "key-management"),
        "requirements": {FW: ["3.6.4"]},
        "resource": resource,
        "message": extra.pop("message", {"pass": "met", "fail": "not met"}.get(status, status)),
        "evidence": extra.pop("evidence", {}),
        **extra,
    }


def control(cid: str, rtype: str, reqs: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "title": extra.pop("title", f"title of {cid}"),
        "severity": extra.pop("severity", "high"),
        "domain": extra.pop("domain", "key-management"),
        "resource_type": rtype,
        "scope": extra.pop("scope", "all"),
        "requirements": {FW: reqs, "pci-dss-4.0.1": ["3.7.4"]},
        "rationale": "why it matters",
        "remediation": "aws kms enable-key-rotation",
        "evidence": ["rotation_enabled"],
        "source": f"controls/aws/{cid}.yaml:1",
    }


def requirement(rid: str, parent: str | None, outcome: str, controls: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "title": extra.pop("title", f"requirement {rid}"),
        "parent": parent,
        "outcome": outcome,
        "manual": extra.pop("manual", False),
        "controls": controls,
        "counts": extra.pop("counts", {}),
        "procedures": extra.pop("procedures", []),
    }


def document(results: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    results = results if results is not None else []
    return {
        "schema": "pcicheck/results/v1",
        "tool": {"name": "pcicheck", "version": "0.1.0", "catalog_digest": "ab" * 32},
        "framework": {"id": FW, "title": "PCI DSS v3.2.1"},
        "started_at": "2026-11-25T00:00:00Z",
        "finished_at": "2026-11-25T00:00:02Z",
        "snapshot": {
            "created_at": "2026-11-25T00:00:00Z",
            "tool_version": "0.1.0",
            "identity": {"aws": {"account": "111122223333", "arn": "arn:aws:sts::111122223333:assumed-role/audit/x"}},
            "request": {"providers": ["aws"], "aws": {"regions": ["eu-west-2"], "profile": None}},
            "resources": 3,
        },
        "scope": {"cde": {"tag": "pci-scope", "value": "cde"}, "tenant": {"tag": "tenant"}},
        "summary": {s: sum(r["status"] == s for r in results) for s in html.STATUSES},
        "results": results,
        "requirements": extra.pop(
            "requirements",
            [
                requirement("3", None, "not_in_place", ["aws-kms-key-rotation", "aws-s3-bucket-default-encryption"]),
                requirement("3.4", "3", "automated_checks_pass", ["aws-s3-bucket-default-encryption"]),
                requirement("3.5", "3", "manual", [], title="Keys are protected", manual=True),
                requirement("3.6", "3", "not_in_place", ["aws-kms-key-rotation"], manual=True),
                requirement("3.6.4", "3.6", "not_in_place", ["aws-kms-key-rotation"], counts={"fail": 1, "pass": 1}),
                requirement("12", None, "manual", [], title="Maintain a security policy", manual=True),
            ],
        ),
        "controls": extra.pop(
            "controls",
            [
                control("aws-kms-key-rotation", "aws.kms.key", ["3.6.4"]),
                control("aws-s3-bucket-default-encryption", "aws.s3.bucket", ["3.4"], domain="encryption-at-rest"),
            ],
        ),
        "waivers": extra.pop("waivers", []),
        "connected_to": extra.pop("connected_to", []),
        **({"population": extra.pop("population")} if "population" in extra else {}),
        **({"segmentation": extra.pop("segmentation")} if "segmentation" in extra else {}),
        "errors": extra.pop("errors", []),
    }


def page(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    render_html(doc, out)
    return out.getvalue()


class Tree(HTMLParser):
    """Every start tag with its attributes, the text inside <script> and <style> (a data block's apart, under
    "data"), and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": [], "data": []}
        self.text: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None
        if tag == "script" and dict(attrs).get("type") == "application/json":
            self._in = "data"

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)

    def ids(self) -> set[str]:
        return {str(a["id"]) for _, a in self.tags if a.get("id")}

    def element(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        return next((t, a) for t, a in self.tags if a.get("id") == element_id)


def parse(text: str) -> Tree:
    tree = Tree()
    tree.feed(text)
    tree.close()
    return tree


def data_block(tree: Tree) -> dict[str, Any]:
    (raw,) = tree.raw["data"]
    return json.loads(raw)  # type: ignore[no-any-return]


def index_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The evidence index as report.js reads it: four entries per result, written flat."""
    flat = data["index"]
    assert len(flat) % 4 == 0
    return [flat[at : at + 4] for at in range(0, len(flat), 4)]


def resource_row(data: dict[str, Any], at: int) -> dict[str, Any]:
    """A resource's row with the strings it names by position read back, as report.js's `resource` does."""
    name, uid, source, shown, details = data["resources"][at]
    strings = data["strings"]
    row = {"name": name, "uid": uid, "source": strings[source]}
    row["shown"] = {strings[shown[i]]: strings[shown[i + 1]] for i in range(0, len(shown), 2)}
    if details:
        fields = ("type", "account", "region", "scope", "scope_reason", "tenant")
        row |= {k: strings[n] for k, n in zip(fields, details, strict=False)}
        tags = details[6]
        row["tags"] = [(strings[tags[i]], strings[tags[i + 1]]) for i in range(0, len(tags), 2)]
        row["tags_more"] = details[7]
    return row


def words(tree: Tree) -> str:
    """The page's text as a reader sees it: text nodes apart, runs of white space as one space."""
    return " ".join(" ".join(tree.text).split())


def hostile_doc() -> dict[str, Any]:
    tags = {"Name": SCRIPT, "owner": ATTRIBUTE, "link": JS_URL, SCRIPT: "key is hostile too", "huge": HUGE}
    bad = res("arn:aws:kms:eu-west-2:111122223333:key/bad", SCRIPT, tags=tags)
    brackets = res("arn:aws:iam::111122223333:role/admin", BRACKETS, type="aws.iam.role")
    link = res("arn:aws:kms:eu-west-2:111122223333:key/link", JS_URL)
    results = [
        result(
            "aws-kms-key-rotation",
            bad,
            "fail",
            message=ATTRIBUTE,
            evidence={"rotation_enabled": False, "policy": ATTRIBUTE, "huge": HUGE},
        ),
        result("aws-kms-key-rotation", brackets, "fail", evidence={"arn": BRACKETS}),
        result("aws-kms-key-rotation", link, "pass", evidence={"rotation_enabled": True, "url": JS_URL}),
    ]
    errors = [
        {
            "provider": "aws",
            "account": "111122223333",
            "region": "eu-west-2",
            "service": "kms",
            "operation": "ListKeys",
            "code": "AccessDenied",
            "message": SCRIPT,
            "resource_types": ["aws.kms.key"],
            "resource_uid": "aws://111122223333/eu-west-2/kms",
            "attributes": [],
        }
    ]
    connected = [{"uid": "k8s://c/ns/Deployment/x", "type": "k8s.workload", "name": ATTRIBUTE, "links": []}]
    flow = {"from": SCRIPT, "to": JS_URL, "port": ATTRIBUTE, "protocol": "TCP", "verdict": SCRIPT, "reason": HUGE}
    plan = {"id": ATTRIBUTE, "title": SCRIPT, "requirements": {FW: [SCRIPT]}, "flows": 1, "listed": [flow]}
    segmentation = {"support": SCRIPT, "plans": [plan]}
    return document(results, errors=errors, connected_to=connected, segmentation=segmentation)


def test_sections_are_present_in_order() -> None:
    text = page(document())
    tree = parse(text)
    order = ["scope", "summary", "errors", "waivers", "manual", "requirements", "controls", "evidence"]
    assert all(s in tree.ids() for s in order)
    positions = [text.index(f'<section id="{s}"') for s in order]
    assert positions == sorted(positions)
    assert text.startswith("<!DOCTYPE html>")


def test_hostile_strings_are_text_and_nothing_executes() -> None:
    text = page(hostile_doc())
    tree = parse(text)
    # Exactly our one script, its data block and one style; no element the data could have smuggled in.
    names = [t for t, _ in tree.tags]
    assert [a for t, a in tree.tags if t == "script"] == [{"type": "application/json", "id": "pcicheck-data"}, {}]
    assert names.count("style") == 1
    # The data block is JSON no character of which can end the element: its text is exactly the data.
    (raw,) = tree.raw["data"]
    assert not {"<", ">", "&"} & set(raw)
    assert SCRIPT in json.dumps(data_block(tree), ensure_ascii=False)
    assert not {"img", "iframe", "frame", "object", "embed", "base", "video", "audio", "source"} & set(names)
    assert [a for t, a in tree.tags if t == "link"] == [{"rel": "icon", "href": "data:,"}]
    assert [t for t in names if t == "svg"] == ["svg"]  # the summary chart, nothing else
    for tag, attrs in tree.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)  # the CSP would block it anyway: keep the page clean
    # The payloads are visible, verbatim, as text.
    visible = "".join(tree.text)
    for payload in (SCRIPT, ATTRIBUTE, JS_URL):
        assert payload in visible
    assert "<script>alert" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_only_fragment_links_and_no_url_outside_text() -> None:
    text = page(hostile_doc())
    tree = parse(text)
    for tag, attrs in tree.tags:
        for name in ("href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data"):
            value = attrs.get(name)
            if value is None:
                continue
            assert value.startswith("#") or (tag, name, value) == ("link", "href", "data:,"), (tag, attrs)
        for value in attrs.values():
            assert not re.search(r"(?i)(https?|ftp|javascript):", value or ""), (tag, attrs)
    # The style and script are ours and fetch nothing.
    for raw in tree.raw["style"] + tree.raw["script"]:
        assert not re.search(r"(?i)https?://|url\(|@import|fetch\(|XMLHttpRequest|WebSocket", raw)


def test_http_in_data_is_escaped_text_only() -> None:
    r = result(
        "aws-kms-key-rotation",
        res("k", "key"),
        "fail",
        evidence={"endpoint": "https://auth.example.com/", "issuer": "http://x.test/a?b=<c>"},
    )
    tree = parse(page(document([r])))
    assert "https://auth.example.com/" in "".join(tree.text)
    assert all("http" not in (v or "") for _, attrs in tree.tags for v in attrs.values())


def test_content_security_policy_admits_exactly_the_inline_style_and_script() -> None:
    tree = parse(page(document()))
    csp = next(a["content"] for t, a in tree.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert directives["script-src"] == digest("".join(tree.raw["script"]))
    assert directives["style-src"] == digest("".join(tree.raw["style"]))
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
    template_dir = paths.templates_dir()
    assert "".join(tree.raw["script"]) == (template_dir / "report.js").read_text(encoding="utf-8")


def test_a_megabyte_string_is_clipped_with_a_marker() -> None:
    text = page(hostile_doc())
    assert len(text) < 300_000  # three copies of a megabyte would be 3 MB
    marker = f"… ({1_000_000 - MAX_TEXT:,} more characters)"
    assert marker in text
    assert "A" * MAX_TEXT in text and "A" * (MAX_TEXT + 1) not in text
    assert clip("short") == "short"
    assert clip("x" * (MAX_TEXT + 5)) == "x" * MAX_TEXT + "… (5 more characters)"


def test_brackets_survive_verbatim() -> None:
    tree = parse(page(hostile_doc()))
    visible = "".join(tree.text)
    assert f"arn: {BRACKETS}" in visible
    assert BRACKETS in visible and "role/\\[admin\\]" not in visible


def test_every_listed_finding_has_its_evidence_id_as_anchor() -> None:
    doc = hostile_doc()
    tree = parse(page(doc))
    ids = tree.ids()
    for r in results_doc.results(doc):
        assert r["id"] in ids
        assert re.fullmatch(r"EV-[0-9A-F]{12}", r["id"])
    failing = next(r for r in results_doc.results(doc) if r["status"] == "fail")
    _, attrs = tree.element(failing["id"])
    assert attrs["data-s"] == "fail" and attrs["data-v"] == "high" and attrs["data-d"] == "key-management"
    assert ("a", {"class": "ev", "href": f"#{failing['id']}"}) in tree.tags


def test_evidence_remediation_and_waiver_are_shown() -> None:
    waived = result(
        "aws-kms-key-rotation",
        res("arn:k2", "old-key"),
        "waived",
        evidence={"rotation_enabled": False},
        waiver={"reason": "compensating control CC-7", "expires": "2027-03-31", "approved_by": "qsa@corp"},
    )
    failing = result("aws-kms-key-rotation", res("arn:k1", "new-key"), "fail", evidence={"rotation_enabled": None})
    visible = "".join(parse(page(document([failing, waived]))).text)
    assert "rotation_enabled: null" in visible and "rotation_enabled: false" in visible
    assert "aws kms enable-key-rotation" in visible and "why it matters" in visible
    assert "controls/aws/aws-kms-key-rotation.yaml:1" in visible
    assert "waiver: reason: compensating control CC-7; expires: 2027-03-31; approved by: qsa@corp" in visible


def test_accepted_risk_lists_every_waiver_and_links_its_findings() -> None:
    waivers = [
        {
            "id": "W-1",
            "status": "applied",
            "control": "aws-kms-key-rotation",
            "approved_by": "QSA <b>Roe</b>",
            "ticket": "RISK-1",
            "created": "2026-11-01",
            "expires": "2027-01-31",
            "matched": ["EV-ABC123ABC123"],
            "justification": "HSM-backed key, rotated by hand",
            "compensating_control": "quarterly manual rotation",
        },
        {
            "id": "W-2",
            "status": "stale",
            "control": "aws-s3-*",
            "approved_by": "CISO",
            "ticket": "RISK-2",
            "created": "2026-11-01",
            "expires": "2026-12-31",
            "matched": [],
            "justification": "legacy",
        },
    ]
    text = page(document(waivers=waivers))
    visible = " ".join(parse(text).text)
    assert (
        "Waivers: exceptions and compensating controls" in visible
        and "Compensating measure: quarterly manual rotation" in visible
    )
    assert 'href="#EV-ABC123ABC123"' in text and "QSA <b>Roe</b>" in visible and "<b>Roe</b>" not in text
    assert "stale" in visible


def test_passing_results_collapse_into_a_count() -> None:
    passes = [
        result("aws-kms-key-rotation", res(f"arn:k{i:04d}", f"key-{i:04d}"), "pass") for i in range(MAX_LISTED + 50)
    ]
    na = [
        result("aws-kms-key-rotation", res(f"arn:n{i}", f"other-{i}"), "not_applicable", message="out of scope: x")
        for i in range(3)
    ]
    passes[INLINE_LISTED + 3]["resource"]["name"] = None  # named by its uid
    text = page(document(passes + na))
    tree = parse(text)
    # The first few named as markup; the rest of the first MAX_LISTED are data, drawn when the list opens.
    assert [r["id"] for r in passes if r["id"] in tree.ids()] == [r["id"] for r in passes[:INLINE_LISTED]]
    data = data_block(tree)
    pend = next(a for t, a in tree.tags if t == "li" and a.get("class") == "pend")
    rows = data["groups"][int(str(pend["data-g"]))]
    assert [row[0] for row in rows] == [r["id"] for r in passes[INLINE_LISTED:MAX_LISTED]]
    names = [row[3] if len(row) > 3 else resource_row(data, row[1])["name"] for row in rows]
    assert names[3] == "" and rows[3][3:] == [] and resource_row(data, rows[3][1])["uid"] == "arn:k0013"
    assert names[:3] == ["key-0010", "key-0011", "key-0012"]
    visible = words(tree)
    assert "and 90 more named here by the page's script, which is off: evidence.csv beside this page" in visible
    assert f"{MAX_LISTED + 50:,} passing" in visible
    assert "and 50 more, listed with their evidence ids in results.json" in visible
    assert "3 not applicable: out of scope: x" in visible
    groups = [a for t, a in tree.tags if t == "details" and "grp" in (a.get("class") or "")]
    assert [g["data-s"] for g in groups] == ["pass", "not_applicable"]


def test_manual_requirements_need_the_auditors_own_evidence() -> None:
    text = page(document())
    manual = text[text.index('<section id="manual">') : text.index('<section id="requirements"')]
    visible = words(parse(manual))
    assert "No automated evidence (2)" in visible
    assert "3.5 Keys are protected" in visible and "12 Maintain a security policy" in visible
    assert "Partly automated (1)" in visible and "3.6 requirement 3.6" in visible
    tree = parse(text)
    assert tree.element("r-3.5")[1]["data-s"] == "manual"
    assert "No automated control: needs the auditor's own evidence." in "".join(tree.text)


def test_collection_errors_name_the_requirements_they_leave_unproven() -> None:
    doc = hostile_doc()
    text = page(doc)
    errors = text[text.index('<section id="errors">') : text.index('<section id="manual">')]
    tree = parse(errors)
    links = [a["href"] for t, a in tree.tags if t == "a"]
    # aws.kms.key → aws-kms-key-rotation → 3.6.4 (its 3.2.1 requirement); the S3 control is unaffected.
    assert "#r-3.6.4" in links and "#c-aws-kms-key-rotation" in links
    assert "#r-3.4" not in links and "#c-aws-s3-bucket-default-encryption" not in links
    visible = words(tree)
    assert "kms:ListKeys AccessDenied" in visible and SCRIPT in visible
    assert "1 collection error." in visible


def test_requirement_tree_nests_and_links_direct_controls() -> None:
    tree = parse(page(document()))
    assert tree.element("r-3")[1]["class"] == "req d0"
    assert tree.element("r-3.6")[1]["class"] == "req d1"
    assert tree.element("r-3.6.4")[1]["class"] == "req d2"
    chips = [a for t, a in tree.tags if t == "li" and a.get("class") == "chip"]
    assert [c["title"] for c in chips] == ["title of aws-s3-bucket-default-encryption", "title of aws-kms-key-rotation"]


def test_parent_cycles_do_not_hang() -> None:
    reqs = [requirement("a", "b", "manual", []), requirement("b", "a", "manual", [])]
    assert 'id="r-a"' in page(document(requirements=reqs))


def test_results_without_their_controls_still_render() -> None:
    r = result("custom-control", res("arn:x", "x"), "fail")
    tree = parse(page(document([r], controls=[])))
    assert "c-custom-control" in tree.ids() and r["id"] in tree.ids()


def test_scope_statement() -> None:
    cde = res(
        "arn:db", "cards-db", scope="cde", scope_reason="tag pci-scope=cde", tenant="acme", type="aws.rds.instance"
    )
    doc = document(
        [result("aws-kms-key-rotation", cde, "pass")],
        connected_to=[
            {
                "uid": "k8s://c/tenant-acme/Deployment/web",
                "type": "k8s.workload",
                "name": "Deployment tenant-acme/web",
                "links": [{"direction": "to-cde", "peer": "payments", "verdict": "allowed"}],
            }
        ],
    )
    text = page(doc)
    scope = text[text.index('<section id="scope">') : text.index('<section id="summary">')]
    visible = words(parse(scope))
    assert "AWS account and caller 111122223333 as arn:aws:sts::111122223333:assumed-role/audit/x" in visible
    assert "AWS regions requested eu-west-2" in visible
    assert "CDE selector tag or label pci-scope=cde" in visible
    assert "cde tag pci-scope=cde 1" in visible and "acme 1" in visible
    assert "aws.rds.instance 1 0 0 0 0" in visible  # cde, connected-to, security-impacting, out, unknown
    assert "Deployment tenant-acme/web" in visible and "to-cde payments: allowed" in visible
    assert "untagged, connected to the CDE" in visible
    assert "Kubernetes was not scanned" in visible


def test_connected_to_systems_past_the_first_page_are_data_with_their_links_once() -> None:
    """A cluster has a connected-to row per workload, each with the same links: the first CONNECTED_ROWS rows
    are markup (with scripting off, a note names where the rest are); every row is data, the links once."""
    links = [{"direction": "to-cde", "peer": f"ns{n}", "verdict": "allowed"} for n in range(3)]
    systems = [
        {
            "uid": f"k8s://c/ns/Deployment/w{i:03d}",
            "type": "k8s.workload",
            "name": SCRIPT if i == CONNECTED_ROWS + 7 else f"Deployment ns/w{i:03d}",
            "links": links if i % 2 else links[:1],
            "scope_tagged": i == 1,
        }
        for i in range(CONNECTED_ROWS + 50)
    ]
    text = page(document(connected_to=systems))
    tree = parse(text)
    scope = parse(text[text.index('<div id="connected">') : text.index('<section id="summary">')])
    assert sum(1 for t, _ in scope.tags if t == "tr") == CONNECTED_ROWS + 1  # and the head
    assert "50 more connected-to systems are drawn a page at a time" in words(scope)
    assert SCRIPT not in words(scope)  # past the markup
    data = data_block(tree)
    strings = data["strings"]
    assert len(data["linksets"]) == 2 and len(strings) == len(set(strings))

    def links(linkset: int) -> list[dict[str, str]]:
        flat = [strings[n] for n in data["linksets"][linkset]]
        keys = ("direction", "peer", "verdict")
        return [dict(zip(keys, flat[i : i + 3], strict=True)) for i in range(0, len(flat), 3)]

    rows = [
        {"name": name, "uid": uid, "type": strings[kind], "scope_tagged": bool(tagged), "links": links(linkset)}
        for name, uid, kind, tagged, linkset, verdicts in data["connected"]
        if verdicts == []
    ]
    assert rows == systems


def test_few_connected_to_systems_are_markup_only() -> None:
    systems = [{"uid": f"k8s://c/ns/Deployment/w{i}", "type": "k8s.workload", "name": f"w{i}"} for i in range(3)]
    tree = parse(page(document(connected_to=systems)))
    assert data_block(tree)["connected"] == [] and "more connected-to systems" not in words(tree)


def test_connected_to_verdicts_population_and_segmentation_plans() -> None:
    web = res("k8s://c/tenant-acme/Deployment/web", "Deployment tenant-acme/web", type="k8s.workload")
    web |= {"scope": "connected-to", "scope_reason": "connected to the CDE: to-cde payments (allowed)"}
    cde_control = control("k8s-cde-workload-not-internet-reachable", "k8s.workload", ["1.3.1"], scope="cde")
    flow = {"from": "tenant-acme/web", "to": "payments/api", "port": 8443, "protocol": "TCP", "verdict": "allowed"}
    doc = document(
        [result(cde_control["id"], web, "fail", message="not met (judged as connected to the CDE: to-cde payments)")],
        controls=[cde_control],
        requirements=[requirement("1.3.1", None, "not_in_place", [cde_control["id"]])],
        connected_to=[{"uid": web["uid"], "type": "k8s.workload", "name": web["name"], "scope_tagged": True}],
        population={"resources": 7, "sampling": "none: every resource enumerated", "where": "cluster c"},
        segmentation={
            "support": "Configuration-level support for the segmentation penetration test, not a replacement of it",
            "plans": [
                {
                    "id": "cde",
                    "title": "CDE isolation: flows into the CDE",
                    "requirements": {FW: ["1.3.1"]},
                    "flows": 3,
                    "not_denied": 1,
                    "listed": [flow],
                    "left_out": 2,
                }
            ],
        },
    )
    text = page(doc)
    tree = parse(text)
    visible = words(tree)
    assert "tagged" in visible and "untagged, connected to the CDE" not in visible
    assert "1 fail" in visible  # the verdict the CDE control gave because it is connected to the CDE
    assert "Population tested 7 resources. Sampling: none: every resource enumerated" in visible
    assert "Limits of the population cluster c, and only the resource types the controls read" in visible
    assert {"segmentation", "seg-cde"} <= tree.ids()
    seg = words(parse(text[text.index('<section id="segmentation">') :]))
    assert "not a replacement of it" in seg and "3 flows must be denied; the configuration leaves 1 not denied" in seg
    assert "tenant-acme/web payments/api 8443/TCP allowed" in seg and "2 more flows are counted" in seg
    row = text[text.index('id="r-1.3.1"') :]
    row = words(parse(row[row.index(">") + 1 : row.index('<div class="req', 1) if '<div class="req' in row else None]))
    assert row.startswith("1.3.1 not in place") and "CDE isolation plan: 1 of 3 flows not denied" in row


def test_the_real_pipeline_document_renders(tmp_path: Path) -> None:
    """A document as pcicheck writes it, through JSON text, with a hostile key and a listing error."""
    snap = kms_snapshot(BRACKETS, SCRIPT)
    for framework in ("pci-dss-3.2.1", "pci-dss-4.0.1"):
        doc = json.loads(render(evaluate_snapshot(snap, load_catalog(), Config(), framework)))
        out = tmp_path / f"{framework}.html"
        with out.open("w", encoding="utf-8") as fp:
            render_html(doc, fp)
        tree = parse(out.read_text(encoding="utf-8"))
        assert {r["id"] for r in results_doc.results(doc) if r["status"] == "fail"} <= tree.ids()
        assert {f"r-{q['id']}" for q in doc["requirements"]} <= tree.ids()
        errors = out.read_text(encoding="utf-8").split('<section id="errors">')[1].split("</section>")[0]
        unproven = {a["href"] for t, a in parse(errors).tags if t == "a" and a["href"].startswith("#r-")}
        requirement_of = {p["id"]: q["id"] for q in doc["requirements"] for p in q["procedures"]}
        s3 = {
            f"#r-{requirement_of.get(pid, pid)}"
            for c in doc["controls"]
            if c["resource_type"] == "aws.s3.bucket"
            for pid in c["requirements"][framework]
        }
        assert s3 and unproven == s3
        assert BRACKETS in "".join(tree.text)


def test_output_is_deterministic() -> None:
    assert page(hostile_doc()) == page(hostile_doc())


def test_the_evidence_index_lists_every_result_passes_included() -> None:
    """What an "in place" rests on is the passes: each is listed with its procedures and where it was read."""
    api = res("arn:aws:kms:eu-west-1:1:key/a", "key-a", source=["kms:DescribeKey", "kms:GetKeyRotationStatus"])
    filed = res("k8s://c/ns/Deployment/web", "Deployment ns/web", location={"file": "k8s/web.yaml", "line": 7})
    doc = document(
        [
            result("aws-kms-key-rotation", api, "pass"),
            result("aws-kms-key-rotation", filed, "fail"),
        ]
    )
    tree = parse(page(doc))
    data = data_block(tree)
    assert len(index_rows(data)) == len(doc["results"]) == 2  # every row, drawn a page at a time by report.js
    rows = [
        [row[0], data["statuses"][row[1]], *data["controls"][row[2]], resource_row(data, row[3])]
        for row in index_rows(data)
    ]
    passing, failing = rows
    assert passing[:4] == [doc["results"][0]["id"], "pass", "aws-kms-key-rotation", "3.6.4"]
    assert passing[4] == {
        "name": "key-a",
        "uid": api["uid"],
        "source": "kms:DescribeKey kms:GetKeyRotationStatus",
        "shown": {},  # only the index names it: no details drawn from data need
    }
    assert failing[0] == doc["results"][1]["id"] and failing[1] in data["listed"]
    assert failing[4]["source"] == "k8s/web.yaml:7"
    assert "Evidence index (2 results)" in words(tree)


def test_findings_past_the_first_of_a_control_are_data_with_their_resource_once() -> None:
    """A control's first INLINE_FINDINGS findings are markup; the rest are rows of the data block, in the same
    order (failures, then errors, then waived), each naming its resource, which is in the block once."""
    tags = {f"tag-{k:02d}": f"value-{k}" for k in range(50)}
    keys = [res(f"arn:aws:kms:eu-west-2:1:key/{i:03d}", f"key-{i:03d}", tags=tags) for i in range(INLINE_FINDINGS + 7)]
    results = [
        result("aws-kms-key-rotation", k, "waived" if i == 0 else "fail", evidence={"rotation_enabled": False})
        for i, k in enumerate(keys)
    ]
    # The same resources, another control: the same attribute once, another value at it kept with its finding.
    results += [result("aws-kms-key-deletion", keys[-1], "fail", evidence={"rotation_enabled": False, "state": "x"})]
    results += [result("aws-kms-key-other", keys[-1], "fail", evidence={"rotation_enabled": "other"})]
    # Past the markup too: a value that differs from the one in the resource's row stays with its finding.
    results += [
        result("aws-kms-key-other", k, "fail", evidence={"rotation_enabled": "other", "state": "x"})
        for k in [*keys[1:INLINE_FINDINGS], keys[0]]  # the last is past the markup; its row says "false"
    ]
    doc = document(results)
    tree = parse(page(doc))
    rotation = [r["id"] for r in results[1:] if r["control"] == "aws-kms-key-rotation"] + [results[0]["id"]]
    drawn = [a["id"] for t, a in tree.tags if t == "div" and "fd" in str(a.get("class")) and a["id"] in rotation]
    assert drawn == rotation[:INLINE_FINDINGS]  # waived last
    data = data_block(tree)
    pending = data["pending"]["aws-kms-key-rotation"]
    assert [row[0] for row in pending] == rotation[INLINE_FINDINGS:]
    assert "aws-kms-key-deletion" not in data["pending"]
    strings = data["strings"]
    # A path (a string's position): the value is in the resource's row, written once for every control showing it.
    assert all([strings[n] for n in row[4]] == ["rotation_enabled"] for row in pending)
    assert resource_row(data, pending[-2][2])["shown"] == {"rotation_enabled": "false"}
    assert len(strings) == len(set(strings))  # each string once
    # The other control's finding past its markup differs at that path: it carries its own pairs.
    (other,) = data["pending"]["aws-kms-key-other"]
    assert other[4] == [["rotation_enabled", "other"], ["state", "x"]]
    assert strings[other[3]] == "not met"  # the message, shared by every finding that has it
    assert ("div", {"class": "more", "data-c": "aws-kms-key-rotation", "data-n": "7"}) in tree.tags
    assert len(data["resources"]) == len(keys) and len(index_rows(data)) == len(results)
    detailed = [resource_row(data, at) for at in range(len(keys)) if data["resources"][at][4]]
    assert len(detailed) == 7 and all(d["tags"] == list(tags.items()) for d in detailed)  # resources of data findings
    assert all(d["type"] == "aws.kms.key" and d["tags_more"] == 0 for d in detailed)
