"""Defect class 5 (issue 14): redaction gaps. Credentials written into what an attacker or a careless
user controls (labels, tags, IAM user names, ConfigMap keys, image tags, Checkov resource names,
snapshot files) reached every output verbatim: access key ids inside words (`backup_AKIA…_old`, where
`\\b` fails), in uids and sources; JWTs, GitHub, GitLab, Slack and Stripe tokens, AWS secret keys, and
PEM blocks cut short. Now one redaction is applied to every string before it reaches a snapshot, and
every output is checked for every secret, byte for byte.

The secrets are fakes, built by concatenation so no scanner mistakes this file for a leak."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck import results_doc
from pcicheck.cli import main
from pcicheck.model import CollectionError, Resource, Snapshot
from pcicheck.redact import SHAPES, find_credential, looks_like_credential, redact_snapshot, redact_text
from pcicheck.snapshot import write_snapshot
from tests.iac.conftest import fake_program

KEY_ID = "AKIA" + "Q7XW2R9ZK4M3P8TN"
TEMP_KEY_ID = "ASIA" + "M2V8K3R7Q9ZW4T6X"
SECRET_KEY = "wJ9rT2xK7mQ4vL8pZ3nB6hY1" + "cF5gD0sA/u+EeRk3"
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJhZG1pbiJ9" + "." + "Tq3vY8sK2mXw9LpR4bN7cZ1dF6gH0jQ5uE_-aV"
GITHUB = {
    p: p + "_" + "R8f2Kx9Lm3Qz7Vb1Nc4Wd6Yh0Tj5Pg2Sa8U" + p[2]
    for p in ("ghp", "gho", "ghs", "ghu", "ghr")  # one distinct token per prefix
}
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0123456789abc" + "_" + "x" * 20 + "Yz09" * 9 + "Qw1"
GITLAB = "glpat" + "-" + "Tp3Fs2QhX6KWxOiixgVo"
SLACK = "xoxb" + "-" + "393363387500-4743957551313-eMVNen5n1Ae6pWzpF1qH6Yyt"
STRIPE = "sk" + "_live_" + "wMe4LbyoVFz8uZdZv8FuKKIB"
PEM_BODY = "MIIEowIBAAKCAQEA7Vb1Nc4Wd6Yh0Tj5Pg2Sa8Uq3vY8sK2mXw9LpR4bN7cZ1dF6"
PEM_CUT = ("-----BEGIN RSA PRIVATE KEY-----" + PEM_BODY * 4)[:256]  # a 256-character tag: no END line

SECRETS = {
    "key id": KEY_ID,
    "temporary key id": TEMP_KEY_ID,
    "secret key": SECRET_KEY,
    "jwt": JWT,
    **{f"github {p}": t for p, t in GITHUB.items()},
    "github pat": GITHUB_PAT,
    "gitlab": GITLAB,
    "slack": SLACK,
    "stripe": STRIPE,
    "private key body": PEM_BODY[:40],
}


def _texts(out: Path) -> dict[str, str]:
    """Every file under `out` as text, gzip files decompressed."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        texts[str(path.relative_to(out))] = raw.decode("utf-8", "replace")
    return texts


def _leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    """{file: [the secrets found in it verbatim]}, only files with any."""
    found = {name: [label for label, secret in SECRETS.items() if secret in text] for name, text in texts.items()}
    return {name: labels for name, labels in found.items() if labels}


def _manifests(directory: Path) -> Path:
    labels = {
        "backup": f"backup_{KEY_ID}_old",  # inside an identifier: `\b` fails after `_`
        "gh": GITHUB["ghp"],
        "gl": GITLAB,
        "st": STRIPE,
        "pem": PEM_CUT,
    }
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "pay", "labels": labels},
            "data": {"NOTE": f"key {TEMP_KEY_ID}", GITHUB["gho"]: "a key named as a token", "X": SLACK},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "pay", "labels": {"sl": SLACK[:63], "jwt": JWT}},
            "spec": {
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api", "pat": GITHUB_PAT, "s": SECRET_KEY}},
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "image": "registry.example/api:" + GITHUB["ghs"],
                                "env": [{"name": "FOO", "value": GITHUB["ghu"]}],
                            }
                        ]
                    },
                },
            },
        },
    ]
    directory.mkdir()
    (directory / "estate.yaml").write_text("\n---\n".join(json.dumps(o) for o in objects))
    return directory


def test_a_manifest_scan_writes_no_secret_into_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = _manifests(tmp_path / "estate")
    assert set(_leaks({"in": (estate / "estate.yaml").read_text()})["in"]) == set(SECRETS) - {"github ghr"}
    out = tmp_path / "out"
    argv = [
        "scan",
        "--manifests",
        str(estate),
        "--out",
        str(out),
        "--format",
        "json",
        "--output",
        str(tmp_path / "r.json"),
    ]
    code = main(argv)
    console = capsys.readouterr()
    assert code == 1
    texts = _texts(out) | {"stdout": console.out, "stderr": console.err, "r.json": (tmp_path / "r.json").read_text()}
    for fmt in ("sarif", "junit", "csv"):  # the feeds a pack does not hold, rendered from it
        assert main(["report", str(out), "--format", fmt, "--output", str(tmp_path / fmt), "-q"]) == 0
        texts[fmt] = (tmp_path / fmt).read_text()
    assert {"index.html", "results.json", "evidence.csv", "sarif", "junit", "csv", "summary.md"} <= set(texts)
    assert "snapshot.json.gz" in texts
    assert _leaks(texts) == {}
    # Recognisable without being revealing: the access-key style keeps 4+4, tokens say what they were.
    snapshot = json.loads(texts["snapshot.json.gz"])
    cfg = next(r for r in snapshot["resources"] if r["uid"] == "k8s://manifests/pay/ConfigMap/cfg")
    assert cfg["tags"]["backup"] == f"backup_AKIA****{KEY_ID[-4:]}_old"
    assert cfg["tags"]["pem"] == "<redacted private key>"
    assert cfg["tags"]["gh"] == f"<redacted github token ****{GITHUB['ghp'][-4:]}>"
    assert f"<redacted github token ****{GITHUB['gho'][-4:]}>" in cfg["attributes"]["keys"]


def test_iam_users_named_as_key_ids_keep_no_key_in_any_uid_or_output(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iam = client("iam")
    iam.create_user(UserName=KEY_ID)
    iam.create_user(UserName=f"backup_{TEMP_KEY_ID}_old")
    iam.create_user(UserName=GITHUB["ghp"], Tags=[{"Key": "note", "Value": PEM_CUT}, {"Key": "jwt", "Value": JWT}])
    iam.create_user(UserName="svc", Tags=[{"Key": "s", "Value": SECRET_KEY}, {"Key": GITHUB["gho"], "Value": STRIPE}])
    users = {u["Arn"] for u in iam.list_users()["Users"]}
    assert f"arn:aws:iam::123456789012:user/{KEY_ID}" in users  # the key id is in the user's ARN
    out = tmp_path / "out"
    code = main(["scan", "--aws", "--regions", "us-east-1", "--quiet", "--out", str(out)])
    capsys.readouterr()
    assert code in (1, 3)  # findings, and the emulator's gaps
    texts = _texts(out)
    assert _leaks(texts) == {}
    snapshot = json.loads(texts["snapshot.json.gz"])
    uids = {r["uid"] for r in snapshot["resources"] if r["type"] == "aws.iam.user"}
    # Redacted the same way everywhere (and so stable across scans), and still four distinct users.
    assert uids == {
        f"arn:aws:iam::123456789012:user/AKIA****{KEY_ID[-4:]}",
        f"arn:aws:iam::123456789012:user/backup_ASIA****{TEMP_KEY_ID[-4:]}_old",
        f"arn:aws:iam::123456789012:user/<redacted github token ****{GITHUB['ghp'][-4:]}>",
        "arn:aws:iam::123456789012:user/svc",
    }


def _unredacted_snapshot() -> Snapshot:
    """What an older pcicheck, or another hand, may have written: credentials in every field."""
    uid = f"arn:aws:iam::123456789012:user/{KEY_ID}"
    return Snapshot(
        tool_version="0.0.1",
        created_at="2024-05-01T00:00:00Z",
        request={"providers": ["aws"], "aws": {"profile": GITLAB}},
        identity={"aws": {"account": "123456789012", "user_id": TEMP_KEY_ID, "arn": uid}},
        resources=(
            Resource(
                uid=uid,
                type="aws.iam.user",
                provider="aws",
                account="123456789012",
                region="",
                name=KEY_ID,
                tags={"note": PEM_CUT, GITHUB["ghs"]: JWT, "s": SECRET_KEY},
                attributes={"user_name": KEY_ID, "arn": uid, "groups": [f"/{SLACK}/"]},
                source=(f"iam:ListUsers {STRIPE}",),
            ),
        ),
        errors=(
            CollectionError(
                "aws", "123456789012", "us-east-1", "iam", "GetUser", "AccessDenied", f"denied for {GITHUB_PAT}",
                resource_uid=uid,
            ),
        ),
    )  # fmt: skip


def test_a_snapshot_file_holding_secrets_is_redacted_when_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.json"
    write_snapshot(_unredacted_snapshot(), path)
    assert len(_leaks({"file": path.read_text()})["file"]) == 10  # one in every field of the file
    out = tmp_path / "out"
    main(["evaluate", str(path), "--quiet", "--out", str(out)])
    # `pcicheck report` packs a snapshot file beside saved results: the redacted one, not the file's bytes.
    main(["report", str(out / "results.json"), "--snapshot", str(path), "--out", str(tmp_path / "pack"), "--quiet"])
    capsys.readouterr()
    for pack in (out, tmp_path / "pack"):
        texts = _texts(pack)
        assert {"results.json", "snapshot.json.gz"} <= set(texts)
        assert _leaks(texts) == {}


def test_checkov_records_are_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Resource addresses, tags, suppression comments and unmapped findings come from the sources."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.tf").write_text(f'resource "aws_kms_key" "{GITHUB["ghp"]}" {{}}\n')

    def record(check: str) -> dict[str, Any]:
        return {
            "check_id": check,
            "check_name": f"check of {JWT}",
            "check_result": {"result": "FAILED", "evaluated_keys": [SLACK]},
            "file_path": "/main.tf",
            "file_line_range": [1, 1],
            "resource": f"aws_kms_key.{GITHUB['ghp']}",
            "entity_tags": {"owner": STRIPE, GITLAB: KEY_ID},
        }

    report = {
        "check_type": "terraform",
        "results": {"failed_checks": [record("CKV_AWS_7"), record("CKV_AWS_999999")], "passed_checks": []},
        "summary": {"checkov_version": "9.9.9"},
    }
    assert len(_leaks({"report": json.dumps(report)})["report"]) == 6
    fake = fake_program(tmp_path / "bin", "checkov", f"print({json.dumps(json.dumps(report))})\n")
    out = tmp_path / "out"
    code = main(["iac", str(tmp_path / "src"), "--checkov", str(fake), "--out", str(out)])
    console = capsys.readouterr()
    assert code == 1
    texts = _texts(out) | {"stdout": console.out, "stderr": console.err}
    results = json.loads(texts["results.json"])
    assert any(r["control"] == "ckv-aws-7" and r["status"] == "fail" for r in results_doc.results(results))
    assert _leaks(texts) == {}


# --- The table itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(SECRETS))
@pytest.mark.parametrize(
    "context",
    ["{}", "x {} y", "backup_{}_old", "arn:aws:iam::1:user/{}", "k={}&b=1", "{}\n", '"{}"', "https://h/{}/r"],
)
def test_every_shape_is_redacted_wherever_it_sits(label: str, context: str) -> None:
    secret = PEM_CUT if label == "private key body" else SECRETS[label]
    if label == "secret key" and "/{}" in context:
        # `/` is in a secret key's alphabet: after a `/`, only a key without one is a whole path segment
        # to be told apart (the limit of a prefix-less shape; an ARN's user name cannot hold a `/`).
        secret = secret.replace("/", "Q")
    text = context.format(secret)
    assert looks_like_credential("HARMLESS", text)  # detected by the same table …
    redacted = redact_text(text)
    assert secret not in redacted  # … that redacts
    assert redact_text(text) == redacted  # deterministic: a uid that held it stays the same
    assert redact_text(redacted) == redacted  # a redaction is not redacted again


@pytest.mark.parametrize(
    "harmless",
    [
        "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d",  # a git SHA-1: hex, one case
        "4F53CDA18C2BAA0C0354BB5F9A3ECBE5ED12AB4D",
        "busybox@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        "arn:aws:iam::123456789012:role/service-role/AWSCodeBuildServiceRole-eu-west-1",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # 40 characters, not random
        "alias/AKIA",  # too short to be a key id
        "ghp_short",  # too short to be a token
        "my-ghp_token-name",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "AmazonEC2ContainerRegistryReadOnly",
    ],
)
def test_what_is_not_a_credential_is_left_alone(harmless: str) -> None:
    assert redact_text(harmless) == harmless
    assert find_credential(harmless) is None


def test_different_secrets_stay_distinct() -> None:
    """Redacted uids must not merge two resources: the kept characters differ where the secrets do."""
    redacted = {redact_text(t) for t in GITHUB.values()}
    assert len(redacted) == len(GITHUB)
    assert redact_text(KEY_ID) != redact_text(KEY_ID[:-1] + "Z")


def test_a_pem_block_cut_short_is_redacted_to_the_end_and_a_whole_one_to_its_end_line() -> None:
    assert redact_text("key: " + PEM_CUT) == "key: <redacted private key>"
    whole = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + PEM_BODY + "\n-----END OPENSSH PRIVATE KEY----- kept"
    assert redact_text("a " + whole) == "a <redacted private key> kept"
    pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n" + PEM_BODY + "\n-----END PGP PRIVATE KEY BLOCK-----"
    assert redact_text(pgp) == "<redacted private key>"


def test_redact_snapshot_covers_every_string_field() -> None:
    snap = _unredacted_snapshot()
    raw = json.dumps([repr(snap)])
    assert len(_leaks({"snap": raw})["snap"]) == 10
    assert _leaks({"snap": repr(redact_snapshot(snap))}) == {}


def test_one_table_drives_redaction_and_detection() -> None:
    labels = {s.label for s in SHAPES}
    assert {find_credential(s if s != PEM_BODY[:40] else PEM_CUT) for s in SECRETS.values()} == labels
