"""CodeBuild collector against the moto server: credentials in source URLs and plaintext variables are
reported by name and boolean only, secondary sources are judged like the primary, BatchGetProjects is
called in batches of 100, and a refused batch leaves its projects' details unknown."""

from __future__ import annotations

import json
from typing import Any

from pcicheck.collect.aws.services.codebuild import DETAIL, SPEC, attributes_of
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/build"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def _project(client: Any, name: str, location: str, variables: list[dict[str, str]], **extra: Any) -> None:
    client.create_project(
        name=name,
        source={"type": "BITBUCKET" if "bitbucket" in location else "GITHUB", "location": location},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "environmentVariables": variables,
        },
        serviceRole=ROLE,
        **extra,
    )


def test_codebuild_projects(client: Any, run_service: Any) -> None:
    codebuild = client("codebuild", REGION)
    _project(
        codebuild,
        "leaky",
        "https://bob:hunter2@bitbucket.org/acme/app.git",
        [
            {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG", "type": "PLAINTEXT"},
            {"name": "DEPLOY_ID", "value": KEY_ID},  # no type: PLAINTEXT by default
            {"name": "DB_PASSWORD", "value": "/prod/db", "type": "PARAMETER_STORE"},  # a reference
            {"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
        ],
        tags=[{"key": "pci-scope", "value": "cde"}],
    )
    _project(codebuild, "clean", "https://github.com/acme/app.git", [{"name": "STAGE", "value": "prod"}])
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.name: r for r in resources}
    leaky = by_name["leaky"]
    assert (leaky.uid, leaky.tags) == (f"arn:aws:codebuild:{REGION}:123456789012:project/leaky", {"pci-scope": "cde"})
    assert set(leaky.attributes) == set(resource_types()["aws.codebuild.project"].attributes)
    assert violations(leaky) == []  # kinds and nullability as declared
    assert leaky.attributes["sources"] == [
        {
            "identifier": "primary",
            "type": "BITBUCKET",
            "location": "https://bitbucket.org/acme/app.git",
            "auth_type": None,
            "url_credentials": True,
        }
    ]
    assert leaky.attributes["sources_with_url_credentials"] == ["primary"]
    assert leaky.attributes["plaintext_credential_env"] == ["AWS_SECRET_ACCESS_KEY", "DEPLOY_ID"]
    # No secret value reaches the record, whichever attribute one looks in.
    text = json.dumps(leaky.attributes)
    assert all(secret not in text for secret in ("hunter2", "bob:", "wJalrXUtnFEMI", KEY_ID))
    clean = by_name["clean"].attributes
    assert (clean["source_type"], clean["sources_with_url_credentials"], clean["plaintext_credential_env"]) == (
        "GITHUB",
        [],
        [],
    )
    assert clean["sources"][0]["location"] == "https://github.com/acme/app.git"
    assert leaky.source == ("codebuild:BatchGetProjects", "codebuild:ListProjects")
    assert set(calls) == set(SPEC.permissions)


def test_codebuild_batches_of_one_hundred(client: Any, run_service: Any) -> None:
    codebuild = client("codebuild", REGION)
    for i in range(101):
        _project(codebuild, f"p{i:03}", "https://github.com/acme/app.git", [])
    resources, errors, calls = run_service(SPEC, REGION)
    assert (len(resources), errors) == (101, [])
    assert calls["codebuild:BatchGetProjects"] == 2


def test_codebuild_secondary_sources(client: Any, aws: Any) -> None:
    """moto drops secondarySources on CreateProject: the real HTTP answer is extended after parsing."""
    from tests.collect.aws.test_iam import run_with_hooks

    _project(client("codebuild"), "multi", "https://github.com/acme/app.git", [])

    def with_secondary(parsed: dict[str, Any], **_: Any) -> None:
        for project in parsed.get("projects", []):
            project["secondarySources"] = [
                {
                    "type": "GITHUB",
                    "location": "https://ghp_abcdefghijklmnopqrstuvwxyz012345@github.com/acme/lib",
                    "sourceIdentifier": "lib",
                },
                {"type": "S3", "location": "acme-builds/assets.zip", "sourceIdentifier": "assets"},
            ]

    [project], ctx = run_with_hooks(aws, SPEC, {"after-call.codebuild.BatchGetProjects": with_secondary})
    assert ctx.errors == []
    sources = {s["identifier"]: s for s in project.attributes["sources"]}
    assert list(sources) == ["primary", "lib", "assets"]
    assert (sources["lib"]["location"], sources["lib"]["url_credentials"]) == ("https://github.com/acme/lib", True)
    assert (sources["assets"]["location"], sources["assets"]["url_credentials"]) == ("acme-builds/assets.zip", False)
    assert project.attributes["sources_with_url_credentials"] == ["lib"]
    assert "ghp_" not in json.dumps(project.attributes)


def test_codebuild_batch_denied(client: Any, aws: Any) -> None:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _project(client("codebuild"), "leaky", "https://bob:hunter2@bitbucket.org/acme/app.git", [])
    [project], ctx = run_with_hooks(aws, SPEC, {"before-parameter-build.codebuild.BatchGetProjects": deny("x")})
    assert project.attributes == {"name": "leaky", "arn": "arn:aws:codebuild:us-east-1:123456789012:project/leaky"}
    [error] = ctx.errors
    assert (error.resource_uid, error.attributes, error.code) == (project.uid, DETAIL, "AccessDenied")


def test_codebuild_normalization_without_source() -> None:
    project = {
        "name": "pipeline",
        "arn": "arn:aws:codebuild:eu-west-1:123456789012:project/pipeline",
        "source": {"type": "CODEPIPELINE"},
        "environment": {"environmentVariables": [{"name": "GITHUB_TOKEN", "value": "x", "type": "SECRETS_MANAGER"}]},
    }
    attributes = attributes_of(project)
    assert attributes["sources"] == [
        {"identifier": "primary", "type": "CODEPIPELINE", "location": None, "auth_type": None, "url_credentials": False}
    ]
    assert (attributes["sources_with_url_credentials"], attributes["plaintext_credential_env"]) == ([], [])
