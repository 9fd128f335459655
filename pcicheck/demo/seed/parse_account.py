"""Parse what the account holds before any network: account settings, IAM, KMS keys and S3 buckets."""

from __future__ import annotations

from typing import Any

from pcicheck.demo.seed.parser import Fields, Parser
from pcicheck.demo.seed.records import (
    BUCKET,
    IAM_GROUP,
    IAM_POLICY,
    KMS_ALIAS,
    KMS_KEY,
    Bucket,
    Group,
    Key,
    Policy,
    Ref,
    User,
)

_PAB_FIELDS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
_PASSWORD_FIELDS = {
    "minimum_length": ("MinimumPasswordLength", int),
    "require_symbols": ("RequireSymbols", bool),
    "require_numbers": ("RequireNumbers", bool),
    "require_uppercase": ("RequireUppercaseCharacters", bool),
    "require_lowercase": ("RequireLowercaseCharacters", bool),
    "max_age_days": ("MaxPasswordAge", int),
    "reuse_prevention": ("PasswordReusePrevention", int),
    "allow_users_to_change": ("AllowUsersToChangePassword", bool),
}


def password_policy(parser: Parser, account: Fields) -> dict[str, Any] | None:
    if "password_policy" not in account.data:
        return None
    f = Fields(parser, account.mapping("password_policy"), "password_policy", account.line_of("password_policy"))
    out: dict[str, Any] = {}
    for key, (api_name, typ) in _PASSWORD_FIELDS.items():
        value = f.number(key, None) if typ is int else f.flag(key, None)
        if value is not None:
            out[api_name] = value
    f.done()
    return out


def public_access_block(parser: Parser, f: Fields, key: str) -> dict[str, bool] | None:
    value = f.raw(key, False)
    if isinstance(value, bool):
        return dict.fromkeys(_PAB_FIELDS.values(), True) if value else None
    sub = Fields(parser, value, f"{f.what}: {key}", f.line_of(key))
    out = {api: sub.flag(name, False) for name, api in _PAB_FIELDS.items()}
    sub.done()
    return out


def policy(parser: Parser, name: str, f: Fields, _region: str) -> Policy:
    document = f.raw("document")
    if not isinstance(document, dict) or "Statement" not in document:
        raise parser.error(f"{f.what}: 'document' must be an IAM policy document", f.line_of("document"))
    result = Policy(name, f.line, f.text("description", ""), _plain(document))
    f.done()
    return result


def _policy_refs(parser: Parser, f: Fields) -> tuple[Ref | str, ...]:
    out: list[Ref | str] = []
    for value in f.texts("policies"):
        if value.startswith("arn:"):
            out.append(value)
        else:
            out.append(parser.ref(IAM_POLICY, value, f.line_of("policies"), f.what))
    return tuple(out)


def group(parser: Parser, name: str, f: Fields, _region: str) -> Group:
    result = Group(name, f.line, _policy_refs(parser, f))
    f.done()
    return result


def user(parser: Parser, name: str, f: Fields, _region: str) -> User:
    groups = f.refs("groups", IAM_GROUP)
    keys = f.number("access_keys", 0)
    if not 0 <= keys <= 2:
        raise parser.error(f"{f.what}: access_keys must be 0, 1 or 2 (the AWS limit)", f.line_of("access_keys"))
    result = User(
        name,
        f.line,
        console_password=f.flag("console_password", False),
        mfa=f.flag("mfa", False),
        access_keys=keys,
        policies=_policy_refs(parser, f),
        groups=groups,
        tags=f.tags(),
    )
    f.done()
    return result


def key(parser: Parser, name: str, f: Fields, region: str) -> Key:
    rotation = f.flag("rotation", False)
    period = f.number("rotation_period_days", None)
    if period is not None and not rotation:
        raise parser.error(f"{f.what}: rotation_period_days needs rotation: true", f.line_of("rotation_period_days"))
    if period is not None and not 90 <= period <= 2560:
        raise parser.error(f"{f.what}: rotation_period_days must be 90–2560", f.line_of("rotation_period_days"))
    aliases = f.texts("aliases")
    for alias in aliases:
        if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
            raise parser.error(
                f"{f.what}: alias '{alias}' must start with 'alias/' (not alias/aws/)",
                f.line_of("aliases"),
            )
        parser.declare(KMS_ALIAS, alias, f.line_of("aliases"), region)
    result = Key(name, f.line, region, f.text("description", ""), f.tags(), aliases, rotation, period)
    f.done()
    return result


def bucket(parser: Parser, name: str, f: Fields, region: str) -> Bucket:
    if not 3 <= len(name) <= 63 or name != name.lower():
        raise parser.error(f"{f.what}: bucket names are 3–63 lowercase characters", f.line)
    encryption: str | None = "AES256"
    kms_key: Ref | None = None
    bucket_key = False
    raw_enc = f.raw("encryption", "AES256")
    if isinstance(raw_enc, str):
        if raw_enc not in ("AES256", "none"):
            raise parser.error(
                f"{f.what}: encryption is '{raw_enc}', expected AES256, none or {{kms_key: KEY}}",
                f.line_of("encryption"),
            )
        encryption = None if raw_enc == "none" else raw_enc
    else:
        enc = Fields(parser, raw_enc, f"{f.what}: encryption", f.line_of("encryption"))
        encryption = "aws:kms"
        kms_key = enc.ref("kms_key", KMS_KEY, region=region)
        bucket_key = enc.flag("bucket_key", False)
        enc.done()
    pf = Fields(parser, f.mapping("policy"), f"{f.what}: policy", f.line_of("policy"))
    deny_insecure = pf.flag("deny_insecure_transport", False)
    statements = pf.raw("statements", [])
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise parser.error(f"{f.what}: policy statements must be a list of mappings", pf.line_of("statements"))
    pf.done()
    logging = Fields(parser, f.mapping("logging"), f"{f.what}: logging", f.line_of("logging"))
    # AWS refuses a logging target in another region, so check it before the first call.
    target = logging.ref("target", BUCKET, region=region) if logging.data else None
    prefix = logging.text("prefix", f"{name}/") if logging.data else ""
    logging.done()
    result = Bucket(
        name,
        f.line,
        region,
        f.tags(),
        encryption,
        kms_key,
        bucket_key,
        public_access_block(parser, f, "public_access_block"),
        deny_insecure,
        tuple(_plain(s) for s in statements),
        f.flag("versioning", False),
        target,
        prefix,
    )
    f.done()
    return result


def _plain(value: Any) -> Any:
    """LineDicts back to plain dicts, so policy documents serialize exactly as written."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
