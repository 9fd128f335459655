"""Defect class 6 (issue 14): credential detection by name instead of value. Literal tokens under
harmless names (FOO=ghp_…) in ConfigMap data, container env and CodeBuild variables were not flagged,
and credential-named settings holding plainly no credential (TOKEN_URL=https://…, SECRET_FILE=/…,
PASSWORD_AUTH=true, SECRET_BACKEND=vault) were. Now a credential shape is flagged whatever its name,
and a credential name is flagged unless its value is plainly not a credential (the closed rule in
pcicheck.redact._plainly_not_credential); when in doubt, flagged.

The secrets are fakes, built by concatenation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from pcicheck.cli import main
from pcicheck.collect.aws.services.codebuild import SPEC
from pcicheck.redact import looks_like_credential

GITHUB = "ghp" + "_" + "R8f2Kx9Lm3Qz7Vb1Nc4Wd6Yh0Tj5Pg2Sa8Uq"
GITLAB = "glpat" + "-" + "Tp3Fs2QhX6KWxOiixgVo"
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiJhZG1pbiJ9" + "." + "Tq3vY8sK2mXw9LpR4bN7cZ1dF6gH0jQ5uE_-aV"
SECRET_KEY = "wJ9rT2xK7mQ4vL8pZ3nB6hY1" + "cF5gD0sA/u+EeRk3"
SLACK = "xoxp" + "-" + "393363387500-4743957551313-eMVNen5n1Ae6pWzpF1qH6Yyt"
STRIPE = "rk" + "_live_" + "wMe4LbyoVFz8uZdZv8FuKKIB"
KEY_ID = "ASIA" + "M2V8K3R7Q9ZW4T6X"

# Harmless names, credential values: flagged by the value's shape.
BY_VALUE = {
    "FOO": GITHUB,
    "GL": GITLAB,
    "SESSION_CONFIG": JWT,
    "BAR": SECRET_KEY,
    "NOTIFY": SLACK,
    "BILLING": STRIPE,
    "NOTE": f"rotate {KEY_ID} soon",
    "DATABASE_URL": "postgres://app:hunter2@db.internal:5432/cards",
    "CALLBACK": "https://hooks.example/cb?access_token=abc123&x=1",
}
# Credential names whose values may be credentials: flagged (when in doubt, flagged).
BY_NAME = {
    "DB_PASSWORD": "hunter2",
    "API_TOKEN": "abc123xyz",
    "SECRET": "vault-prod",  # not a word of the closed vocabulary
    "ADMIN_PASSWORD": "12345678",  # a number, but under a password name: PINs and numeric passwords exist
    "SMTP_PASS": "x9",
    "GITHUB_TOKEN": "some-token-value",
    "TOKEN_URL": "https://robot@auth.example/token",  # user information: may be a token
}
# Credential names holding plainly no credential: not flagged.
PLAIN = {
    "TOKEN_URL": "https://auth.example/oauth/token",
    "TOKEN_AUDIENCE": "https://api.example",
    "SECRET_FILE": "/var/run/secrets/app/key",
    "CREDENTIALS_FILE": "~/.aws/credentials",
    "SECRET_PATH": "./conf/secret.yaml",
    "PASSWORD_AUTH": "true",
    "ENABLE_TOKEN": "yes",
    "TOKEN_TTL": "3600",
    "SECRET_BACKEND": "vault",
    "API_KEY_MODE": "disabled",
    "TOKEN_AUTH": "Required",
    "DB_PASSWORD": "",
    "REDIS_PASSWORD": "$(REDIS_PASSWORD_FROM_SECRET)",
}
# Neither: not flagged.
HARMLESS = {"STAGE": "prod", "LOG_LEVEL": "info", "REPO": "https://github.com/acme/app.git?ref=main"}


def _cases() -> list[tuple[str, str, bool]]:
    return (
        [(n, v, True) for n, v in BY_VALUE.items()]
        + [(n, v, True) for n, v in BY_NAME.items()]
        + [(n, v, False) for n, v in PLAIN.items()]
        + [(n, v, False) for n, v in HARMLESS.items()]
    )


@pytest.mark.parametrize(("name", "value", "flagged"), _cases())
def test_the_rule(name: str, value: str, flagged: bool) -> None:
    assert looks_like_credential(name, value) is flagged


def test_names_alone_and_typed_values() -> None:
    assert looks_like_credential("PRIVATE_KEY")  # no value to look at (binaryData): the name decides
    assert looks_like_credential(GITHUB, "x")  # a key named with the token itself holds it
    assert not looks_like_credential("TOKEN_TTL", 3600)
    assert not looks_like_credential("PASSWORD_AUTH", True)
    assert looks_like_credential("ADMIN_PASSWORD", 1234)
    assert looks_like_credential("API_TOKEN", {"nested": "map"})  # not plainly anything: flagged


def _configmap_and_deployment(directory: Path) -> Path:
    """A ConfigMap holding every case as data, and a Deployment holding every case as env."""
    data = {f"V{i}_{name}": value for i, (name, value, _) in enumerate(_cases())}
    env = [{"name": name, "value": value} for name, value in data.items()]
    objects = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "app"}, "data": data},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "app"},
            "spec": {
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "env": env}]},
                },
            },
        },
    ]
    directory.mkdir()
    (directory / "app.yaml").write_text("\n---\n".join(json.dumps(o) for o in objects))
    return directory


def test_configmap_data_and_env_values_flagged_by_value_not_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    estate = _configmap_and_deployment(tmp_path / "estate")
    expected = sorted(f"V{i}_{name}" for i, (name, _, flagged) in enumerate(_cases()) if flagged)
    snap = tmp_path / "snap.json.gz"
    main(["scan", "--manifests", str(estate), "--quiet", "--snapshot", str(snap)])
    capsys.readouterr()
    resources = {r["uid"]: r for r in json.loads(gzip.decompress(snap.read_bytes()))["resources"]}
    cfg = resources["k8s://manifests/app/ConfigMap/cfg"]["attributes"]
    assert len(cfg["keys"]) == len(_cases())
    assert cfg["credential_keys"] == expected
    (container,) = resources["k8s://manifests/app/Deployment/api"]["attributes"]["containers"]
    assert container["credential_env"] == expected


def test_codebuild_plaintext_variables_flagged_by_value_not_by_name(client: Any, run_service: Any) -> None:
    variables = [{"name": name, "value": value, "type": "PLAINTEXT"} for name, value, _ in _cases() if value]
    # A reference to Parameter Store or Secrets Manager is not a secret, whatever its name or value.
    variables.append({"name": "DB_PASSWORD_REF", "value": "/prod/db", "type": "PARAMETER_STORE"})
    client("codebuild").create_project(
        name="build",
        source={"type": "S3", "location": "builds/app.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": variables,
        },
        serviceRole="arn:aws:iam::123456789012:role/build",
    )
    (project,), errors, _ = run_service(SPEC)
    assert errors == []
    # Names repeat between the groups (DB_PASSWORD, TOKEN_URL): a name is listed when any of its
    # variables is flagged.
    flagged = sorted({n for n, v, f in _cases() if f and v})
    assert project.attributes["plaintext_credential_env"] == flagged
