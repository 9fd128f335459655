"""CodeBuild projects (aws.codebuild.project): credentials in source URLs and plaintext environment variables.

ListProjects names the projects; BatchGetProjects (up to 100 names a call) returns each whole, tags
included. Nothing secret is kept: a source location is stored with its credentials removed, next to a
boolean saying it had some, and of the plaintext environment variables only the names of those that
look like credentials (by name or by the value's shape; the value is never stored). Both judgements
come from pcicheck.redact, which the Kubernetes collector uses too. A failed batch read leaves these
attributes absent on every project of the batch, never "clean".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec, name_from_tags, tag_map
from pcicheck.model import Resource, resource_type
from pcicheck.redact import looks_like_credential, strip_url_credentials

TYPE = resource_type(
    "aws.codebuild.project",
    "CodeBuild project; uid = its ARN. No secret value is ever stored: names and booleans only",
    name="string: project name",
    arn="string: project ARN",
    source_type="string?: primary source type: 'GITHUB'|'BITBUCKET'|'CODECOMMIT'|'S3'|'CODEPIPELINE'|'NO_SOURCE'|…",
    sources="list: {identifier ('primary' or the sourceIdentifier), type, location (credentials removed; null when "
    "none, or when it could not be parsed), auth_type (or null), url_credentials (bool: the location carried user "
    "information or credential-like query values)}",
    sources_with_url_credentials="list: source identifiers whose location carried credentials",
    plaintext_credential_env="list: names of PLAINTEXT environment variables whose name or value looks like a "
    "credential (values are never stored)",
)
DETAIL = ("source_type", "sources", "sources_with_url_credentials", "plaintext_credential_env")
BATCH = 100  # BatchGetProjects accepts at most 100 names
PRIMARY = "primary"  # identifier of the primary source when it has no sourceIdentifier of its own


def source_entry(source: dict[str, Any], identifier: str) -> dict[str, Any]:
    """One source as evidence: its location cleaned of credentials, and whether it had any."""
    location = source.get("location")
    clean, embedded = strip_url_credentials(str(location)) if location else (None, False)
    return {
        "identifier": str(source.get("sourceIdentifier") or identifier),
        "type": source.get("type"),
        "location": clean,
        "auth_type": (source.get("auth") or {}).get("type"),
        "url_credentials": embedded,
    }


def plaintext_credential_env(variables: Iterable[dict[str, Any]]) -> list[str]:
    """Names of PLAINTEXT variables (the default type) whose name or value looks like a credential.
    Parameter Store and Secrets Manager variables hold references, not secrets, so they are skipped."""
    return sorted(
        {
            str(v.get("name", ""))
            for v in variables
            if (v.get("type") or "PLAINTEXT") == "PLAINTEXT"
            and looks_like_credential(str(v.get("name", "")), v.get("value"))
        }
    )


def attributes_of(project: dict[str, Any]) -> dict[str, Any]:
    primary = project.get("source") or {}
    sources = [source_entry(primary, PRIMARY)]
    sources += [source_entry(s, f"secondary-{i}") for i, s in enumerate(project.get("secondarySources") or ())]
    environment = project.get("environment") or {}
    return {
        "name": str(project["name"]),
        "arn": str(project["arn"]),
        "source_type": primary.get("type"),
        "sources": sources,
        "sources_with_url_credentials": [s["identifier"] for s in sources if s["url_credentials"]],
        "plaintext_credential_env": plaintext_credential_env(environment.get("environmentVariables") or ()),
    }


def _batch(ctx: CollectContext, client: Any, listing: str, names: list[str]) -> Iterator[Resource]:
    try:
        answer = ctx.call(client, "batch_get_projects", names=names)
    except Exception as exc:  # botocore raises many unrelated classes; every project of the batch is unknown
        for name in names:
            # The ARN follows from region, account and name, so the project still appears, as unreadable.
            arn = f"arn:{ctx.partition}:codebuild:{ctx.region}:{ctx.account}:project/{name}"
            ctx.record_error(client, "batch_get_projects", exc, resource_type=TYPE.name, uid=arn, attributes=DETAIL)
            yield ctx.resource(
                type=TYPE.name, uid=arn, name=name, attributes={"name": name, "arn": arn}, source={listing}
            )
        return
    read = ctx.action(client, "batch_get_projects")
    # Names in projectsNotFound were deleted since the listing: there is nothing left to judge.
    for project in answer.get("projects") or ():
        attributes = attributes_of(project)
        tags = tag_map(project.get("tags"), key="key", value="value")
        yield ctx.resource(
            type=TYPE.name,
            uid=attributes["arn"],
            name=name_from_tags(tags, attributes["name"]),
            tags=tags,
            attributes=attributes,
            source={listing, read},
        )


def collect(ctx: CollectContext) -> Iterator[Resource]:
    client = ctx.client()
    listing = ctx.action(client, "list_projects")
    names = [str(n) for n in ctx.pages(client, "list_projects", "projects")]
    for start in range(0, len(names), BATCH):
        yield from _batch(ctx, client, listing, names[start : start + BATCH])


SPEC = ServiceSpec(
    name="codebuild",
    client="codebuild",
    regional=True,
    types=(TYPE,),
    permissions=("codebuild:BatchGetProjects", "codebuild:ListProjects"),
    collect=collect,
)
