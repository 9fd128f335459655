"""IAM users (aws.iam.user) and customer-managed policies (aws.iam.policy).

Both live in one collector because a user's `admin` verdict needs the same policy documents
the policy resources carry: each document is read once and shared.

Credentials stay out of the evidence: access key ids are cut to their last four characters
before they reach a Resource or an error message, and nothing that returns a secret is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pcicheck.collect.aws.interface import (
    FAILED,
    CollectContext,
    ResourceReads,
    ServiceSpec,
    iso,
    name_from_tags,
    tag_map,
)
from pcicheck.iampolicy import as_list, decode_document
from pcicheck.model import CollectionError, Resource, resource_type

USER = resource_type(
    "aws.iam.user",
    "IAM user",
    user_name="string",
    arn="string: ARN",
    create_date="timestamp?",
    console_access="bool: has a login profile (password)",
    mfa_enabled="bool: at least one MFA device",
    password_last_used="timestamp?",
    access_keys="list: {id (redacted to its last 4 chars), status ('Active'|'Inactive'|'Expired'; left out when the "
    "answer did), create_date, last_used_date (timestamp|null)}",
    attached_policies="list: ARNs of the managed policies attached directly",
    inline_policies="list: inline policy names",
    groups="list: group names",
    admin="bool: an attached, inline or group policy allows Action '*' on Resource '*'",
)
POLICY = resource_type(
    "aws.iam.policy",
    "Customer-managed IAM policy (default version)",
    policy_name="string?",
    arn="string: ARN",
    attachment_count="int",
    document="map: the default version's policy document",
    allows_full_admin="bool: a statement allows Action '*' on Resource '*'",
)


def redact_key_id(key_id: str) -> str:
    """An access key id is half a credential: keep only enough to tell keys apart."""
    return "****" + key_id[-4:]


@dataclass
class _Reads(ResourceReads):
    """Per-resource reads that also keep the errors behind them, so a shared read's failure
    can be handed on to every other resource that depends on it."""

    failures: list[CollectionError] = field(default_factory=list)  # recorded or inherited

    def get(
        self, client: Any, operation: str, attributes: tuple[str, ...], *, absent: tuple[str, ...] = (), **kwargs: Any
    ) -> Any:
        result = super().get(client, operation, attributes, absent=absent, **kwargs)
        if result is FAILED:
            self.failures.append(self.ctx.errors[-1])
        return result

    def inherit(self, failure: CollectionError, attributes: tuple[str, ...]) -> None:
        """A shared read (a policy document, a group) failed earlier for another resource:
        this resource depends on it too, so it gets its own error naming it."""
        self.failures.append(failure)
        if failure.resource_uid == self.uid and failure.attributes == attributes:
            return  # already recorded for this very resource and attributes
        self.ctx.errors.append(
            dataclasses.replace(
                failure, resource_uid=self.uid, resource_types=(self.resource_type,), attributes=attributes
            )
        )


def inline_admin(reads: ResourceReads, iam: Any, operation: str, got: Any) -> Any:
    """An inline policy's answer → whether it allows '*' on '*'; FAILED when the read failed or its
    answer left the document out (recorded), never a verdict on an empty document."""
    if got is FAILED:
        return FAILED
    document = got.get("PolicyDocument")
    if document is None:
        return reads.missing(iam, operation, "PolicyDocument", ("admin",))
    return allows_full_admin(decode_document(document))


@dataclass(frozen=True)
class _Shared:
    """A read shared by several resources: its value, the calls behind it, or why it failed."""

    value: Any
    source: frozenset[str]
    failure: CollectionError | None = None


@dataclass
class _Collector:
    ctx: CollectContext
    iam: Any
    documents: dict[str, _Shared] = field(default_factory=dict)  # managed policy ARN → default doc
    groups: dict[str, _Shared] = field(default_factory=dict)  # group name → (admin, source)

    @property
    def admin_policy_arn(self) -> str:
        return f"arn:{self.ctx.partition}:iam::aws:policy/AdministratorAccess"

    def run(self) -> Iterator[Resource]:
        # Policies first: their documents are then cached for the users' `admin` verdicts, and
        # the runner keeps what was yielded if the user listing fails afterwards.
        for policy in self.ctx.pages(self.iam, "list_policies", "Policies", Scope="Local", OnlyAttached=False):
            yield self.policy(policy)
        for user in self.ctx.pages(self.iam, "list_users", "Users"):
            yield self.user(user)

    # -- policies ---------------------------------------------------------------------------

    def policy(self, policy: dict[str, Any]) -> Resource:
        arn = str(policy["Arn"])
        reads = _Reads(self.ctx, arn, POLICY.name, {self.ctx.action(self.iam, "list_policies")})
        document = self.document(reads, arn, policy.get("DefaultVersionId"), ("document", "allows_full_admin"))
        attributes = {
            "policy_name": policy.get("PolicyName"),
            "arn": arn,
            # Absent is unknown, not "attached nowhere" (which would make its controls not applicable).
            "attachment_count": policy["AttachmentCount"]
            if isinstance(policy.get("AttachmentCount"), int)
            else reads.missing(self.iam, "list_policies", "AttachmentCount", ("attachment_count",)),
            "document": document,
            "allows_full_admin": document if document is FAILED else allows_full_admin(document),
        }
        return self.ctx.resource(
            type=POLICY.name,
            uid=arn,
            name=str(policy.get("PolicyName") or arn),
            attributes=attributes,
            region="",
            source=reads.source,
        )

    def document(self, reads: _Reads, arn: str, version_id: str | None, attributes: tuple[str, ...]) -> Any:
        """The default version's document of a managed policy, read once per run."""
        cached = self.documents.get(arn)
        if cached is None:
            cached = self._read_document(reads, arn, version_id, attributes)
            self.documents[arn] = cached
            if cached.failure is not None:
                reads.failures.append(cached.failure)
        elif cached.failure is not None:
            reads.inherit(cached.failure, attributes)
        reads.source |= cached.source
        return FAILED if cached.failure is not None else cached.value

    def _read_document(self, reads: _Reads, arn: str, version_id: str | None, attributes: tuple[str, ...]) -> _Shared:
        own = _Reads(self.ctx, reads.uid, reads.resource_type)
        if version_id is None:
            # An AWS-managed policy attached to a user: ListPolicies (Local) did not give its version.
            described = own.get(self.iam, "get_policy", attributes, PolicyArn=arn)
            if described is FAILED:
                return _Shared(None, frozenset(own.source), own.failures[0])
            version_id = described["Policy"]["DefaultVersionId"]
        version = own.get(self.iam, "get_policy_version", attributes, PolicyArn=arn, VersionId=version_id)
        if version is FAILED:
            return _Shared(None, frozenset(own.source), own.failures[0])
        document = version["PolicyVersion"].get("Document")
        if document is None:
            # Left out of the answer: unknown, not {} (which would read as "allows nothing").
            own.missing(self.iam, "get_policy_version", "PolicyVersion.Document", attributes)
            return _Shared(None, frozenset(own.source), self.ctx.errors[-1])
        return _Shared(decode_document(document), frozenset(own.source))

    # -- users ------------------------------------------------------------------------------

    def user(self, user: dict[str, Any]) -> Resource:
        name = str(user["UserName"])
        arn = str(user["Arn"])
        reads = _Reads(self.ctx, arn, USER.name, {self.ctx.action(self.iam, "list_users")})
        attributes: dict[str, Any] = {
            "user_name": name,
            "arn": arn,
            "create_date": iso(user.get("CreateDate")),
            "password_last_used": iso(user.get("PasswordLastUsed")),
        }

        login = reads.get(self.iam, "get_login_profile", ("console_access",), absent=("NoSuchEntity",), UserName=name)
        attributes["console_access"] = login if login is FAILED else login is not None

        mfa = reads.all_pages(self.iam, "list_mfa_devices", "MFADevices", ("mfa_enabled",), UserName=name)
        attributes["mfa_enabled"] = mfa if mfa is FAILED else len(mfa) > 0

        attributes["access_keys"] = self.access_keys(reads, name)

        attached = reads.all_pages(
            self.iam,
            "list_attached_user_policies",
            "AttachedPolicies",
            ("attached_policies", "admin"),
            UserName=name,
        )
        arns = attached if attached is FAILED else sorted(str(p["PolicyArn"]) for p in attached)
        attributes["attached_policies"] = arns

        inline = reads.all_pages(
            self.iam, "list_user_policies", "PolicyNames", ("inline_policies", "admin"), UserName=name
        )
        attributes["inline_policies"] = inline if inline is FAILED else sorted(str(n) for n in inline)

        groups = reads.all_pages(self.iam, "list_groups_for_user", "Groups", ("groups", "admin"), UserName=name)
        group_names = groups if groups is FAILED else sorted(str(g["GroupName"]) for g in groups)
        attributes["groups"] = group_names

        attributes["admin"] = self.user_admin(reads, name, arns, attributes["inline_policies"], group_names)

        tag_list = reads.all_pages(self.iam, "list_user_tags", "Tags", ("tags",), UserName=name)
        tags = {} if tag_list is FAILED else tag_map(tag_list)

        return self.ctx.resource(
            type=USER.name,
            uid=arn,
            name=name_from_tags(tags, name),
            attributes=attributes,
            tags=tags,
            region="",
            source=reads.source,
        )

    def access_keys(self, reads: _Reads, user_name: str) -> Any:
        listed = reads.all_pages(
            self.iam, "list_access_keys", "AccessKeyMetadata", ("access_keys",), UserName=user_name
        )
        if listed is FAILED:
            return FAILED
        keys: list[dict[str, Any]] = []
        failed = False
        for meta in listed:
            key_id = str(meta["AccessKeyId"])
            redacted = redact_key_id(key_id)
            used = reads.get(self.iam, "get_access_key_last_used", ("access_keys",), AccessKeyId=key_id)
            if used is FAILED:
                # AWS echoes the key id in some error messages; the snapshot must not carry it.
                error = self.ctx.errors[-1]
                self.ctx.errors[-1] = dataclasses.replace(error, message=error.message.replace(key_id, redacted))
                failed = True
                continue
            key: dict[str, Any] = {"id": redacted}
            # A key without its status is left without the field: a control asking whether it is active
            # is then `error`, never "no active key" (not applicable).
            if meta.get("Status"):
                key["status"] = meta["Status"]
            key["create_date"] = iso(meta.get("CreateDate"))
            key["last_used_date"] = iso((used.get("AccessKeyLastUsed") or {}).get("LastUsedDate"))
            keys.append(key)
        # One unreadable key makes the list incomplete; a partial list could hide the stale key.
        return FAILED if failed else sorted(keys, key=lambda k: (str(k["create_date"]), k["id"]))

    def user_admin(self, reads: _Reads, user_name: str, arns: Any, inline: Any, groups: Any) -> Any:
        """True if any policy reaching the user allows '*' on '*'. One such policy settles it even
        when others could not be read; otherwise any unread policy leaves the verdict unknown."""
        verdicts: list[Any] = [arns, inline, groups]  # FAILED here means the listing failed
        for arn in arns or ():
            verdicts.append(self.managed_admin(reads, arn))
        for policy_name in inline or ():
            operation = "get_user_policy"
            got = reads.get(self.iam, operation, ("admin",), UserName=user_name, PolicyName=policy_name)
            verdicts.append(inline_admin(reads, self.iam, operation, got))
        for group in groups or ():
            verdicts.append(self.group_admin(reads, group))
        if any(v is True for v in verdicts):
            return True
        if any(v is FAILED for v in verdicts):
            return FAILED
        return False

    def managed_admin(self, reads: _Reads, arn: str) -> Any:
        if arn == self.admin_policy_arn:
            return True  # AWS's own full-admin policy: known by name, no need to read it
        document = self.document(reads, arn, None, ("admin",))
        return document if document is FAILED else allows_full_admin(document)

    def group_admin(self, reads: _Reads, group: str) -> Any:
        cached = self.groups.get(group)
        if cached is None:
            own = _Reads(self.ctx, reads.uid, reads.resource_type)
            verdict = self._read_group(own, group)
            failure = own.failures[0] if verdict is FAILED else None
            cached = _Shared(verdict, frozenset(own.source), failure)
            self.groups[group] = cached
            if failure is not None:
                reads.failures.append(failure)
        elif cached.failure is not None:
            reads.inherit(cached.failure, ("admin",))
        reads.source |= cached.source
        return cached.value

    def _read_group(self, reads: _Reads, group: str) -> Any:
        verdicts: list[Any] = []
        attached = reads.all_pages(
            self.iam, "list_attached_group_policies", "AttachedPolicies", ("admin",), GroupName=group
        )
        verdicts.append(attached)
        for policy in attached or ():
            verdicts.append(self.managed_admin(reads, str(policy["PolicyArn"])))
        inline = reads.all_pages(self.iam, "list_group_policies", "PolicyNames", ("admin",), GroupName=group)
        verdicts.append(inline)
        for policy_name in inline or ():
            operation = "get_group_policy"
            got = reads.get(self.iam, operation, ("admin",), GroupName=group, PolicyName=policy_name)
            verdicts.append(inline_admin(reads, self.iam, operation, got))
        if any(v is True for v in verdicts):
            return True
        if any(v is FAILED for v in verdicts):
            return FAILED
        return False


def allows_full_admin(document: dict[str, Any]) -> bool:
    """A statement allows Action '*' on Resource '*'. Conditions are not weighed: a conditional
    full-admin grant is still one an auditor has to see."""
    for statement in as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = {str(a) for a in as_list(statement.get("Action"))}
        resources = {str(r) for r in as_list(statement.get("Resource"))}
        if actions & {"*", "*:*"} and "*" in resources:
            return True
    return False


def collect(ctx: CollectContext) -> Iterator[Resource]:
    return _Collector(ctx, ctx.client()).run()


SPEC = ServiceSpec(
    name="iam",
    client="iam",
    regional=False,
    types=(USER, POLICY),
    permissions=(
        "iam:GetAccessKeyLastUsed",
        "iam:GetGroupPolicy",
        "iam:GetLoginProfile",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetUserPolicy",
        "iam:ListAccessKeys",
        "iam:ListAttachedGroupPolicies",
        "iam:ListAttachedUserPolicies",
        "iam:ListGroupPolicies",
        "iam:ListGroupsForUser",
        "iam:ListMFADevices",
        "iam:ListPolicies",
        "iam:ListUserPolicies",
        "iam:ListUserTags",
        "iam:ListUsers",
    ),
    collect=collect,
)
