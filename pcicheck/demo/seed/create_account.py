"""Create what the account holds before any network: account and region-wide settings, IAM, KMS keys
and S3 buckets."""

from __future__ import annotations

import json
from typing import Any

from pcicheck.demo.seed.records import (
    ACCESS_KEY,
    BUCKET,
    DETECTOR,
    GLOBAL_REGION,
    IAM_GROUP,
    IAM_POLICY,
    IAM_USER,
    KMS_ALIAS,
    KMS_KEY,
    MFA_DEVICE,
    Bucket,
    Group,
    Key,
    Policy,
    Ref,
    Region,
    User,
)
from pcicheck.demo.seed.seeder import PLACEHOLDER_PASSWORD, Seeder, kv


def account_settings(seeder: Seeder) -> None:
    e = seeder.estate
    if e.password_policy is not None:
        with seeder.step("account", "password_policy"):
            seeder.client("iam", GLOBAL_REGION).update_account_password_policy(**e.password_policy)
    if e.account_public_access_block is not None:
        with seeder.step("account", "s3_public_access_block"):
            account = seeder.client("sts", GLOBAL_REGION).get_caller_identity()["Account"]
            seeder.client("s3control", GLOBAL_REGION).put_public_access_block(
                AccountId=account, PublicAccessBlockConfiguration=e.account_public_access_block
            )


def iam_resources(seeder: Seeder) -> None:
    for policy in seeder.estate.policies:
        iam_policy(seeder, policy)
    for group in seeder.estate.groups:
        iam_group(seeder, group)
    for user in seeder.estate.users:
        iam_user(seeder, user)


def kms_keys(seeder: Seeder) -> None:
    for region in seeder.estate.regions:
        for key in region.keys:
            kms_key(seeder, key)


def s3_buckets(seeder: Seeder) -> None:
    """Every region's buckets before any policy or logging: a logging target or a trail's bucket
    may be declared after (or in another region than) the bucket that points at it."""
    buckets = [b for r in seeder.estate.regions for b in r.buckets]
    for b in buckets:
        bucket(seeder, b)
    for b in buckets:
        bucket_policy(seeder, b, buckets)
    for b in buckets:
        bucket_logging(seeder, b)


def _policy_arn(seeder: Seeder, ref: Ref | str) -> str:
    return ref if isinstance(ref, str) else seeder.id(ref)


def iam_policy(seeder: Seeder, p: Policy) -> None:
    with seeder.step(IAM_POLICY, p.name):
        arn = seeder.client("iam", GLOBAL_REGION).create_policy(
            PolicyName=p.name, Description=p.description, PolicyDocument=json.dumps(p.document)
        )["Policy"]["Arn"]
    seeder.record(IAM_POLICY, p.name, "", arn)


def iam_group(seeder: Seeder, g: Group) -> None:
    iam = seeder.client("iam", GLOBAL_REGION)
    with seeder.step(IAM_GROUP, g.name):
        arn = iam.create_group(GroupName=g.name)["Group"]["Arn"]
        for policy in g.policies:
            iam.attach_group_policy(GroupName=g.name, PolicyArn=_policy_arn(seeder, policy))
    seeder.record(IAM_GROUP, g.name, "", arn)


def iam_user(seeder: Seeder, u: User) -> None:
    iam = seeder.client("iam", GLOBAL_REGION)
    with seeder.step(IAM_USER, u.name):
        arn = iam.create_user(UserName=u.name, Tags=kv(u.tags))["User"]["Arn"]
        seeder.record(IAM_USER, u.name, "", arn)
        if u.console_password:
            iam.create_login_profile(UserName=u.name, Password=PLACEHOLDER_PASSWORD)
        if u.mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=u.name)["VirtualMFADevice"]["SerialNumber"]
            # Two consecutive codes, as AWS asks; the emulator takes any pair of digits.
            iam.enable_mfa_device(
                UserName=u.name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
            seeder.record(MFA_DEVICE, u.name, "", serial)
        for n in range(u.access_keys):
            key = iam.create_access_key(UserName=u.name)["AccessKey"]
            # Only the tail is kept: even a placeholder key id is not something to print.
            seeder.record(ACCESS_KEY, f"{u.name}#{n + 1}", "", "…" + key["AccessKeyId"][-4:])
        for policy in u.policies:
            iam.attach_user_policy(UserName=u.name, PolicyArn=_policy_arn(seeder, policy))
        for group in u.groups:
            iam.add_user_to_group(UserName=u.name, GroupName=group.name)


def kms_key(seeder: Seeder, k: Key) -> None:
    kms = seeder.client("kms", k.region)
    with seeder.step(KMS_KEY, k.name):
        meta = kms.create_key(
            Description=k.description, Tags=[{"TagKey": t, "TagValue": v} for t, v in k.tags.items()]
        )["KeyMetadata"]
        seeder.record(KMS_KEY, k.name, k.region, meta["Arn"])
        for alias in k.aliases:
            kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
            seeder.record(KMS_ALIAS, alias, k.region, f"arn:aws:kms:{k.region}:{meta['Arn'].split(':')[4]}:{alias}")
        if k.rotation:
            extra = {"RotationPeriodInDays": k.rotation_period_days} if k.rotation_period_days else {}
            kms.enable_key_rotation(KeyId=meta["KeyId"], **extra)


def bucket(seeder: Seeder, b: Bucket) -> None:
    s3 = seeder.client("s3", b.region)
    with seeder.step(BUCKET, b.name):
        create: dict[str, Any] = {"Bucket": b.name}
        if b.region != "us-east-1":  # us-east-1 is the one region S3 refuses as a constraint
            create["CreateBucketConfiguration"] = {"LocationConstraint": b.region}
        s3.create_bucket(**create)
        seeder.record(BUCKET, b.name, b.region, f"arn:aws:s3:::{b.name}")
        if b.tags:
            s3.put_bucket_tagging(Bucket=b.name, Tagging={"TagSet": kv(b.tags)})
        if b.encryption is None:
            # New buckets get SSE-S3 by default on AWS: remove it for an explicitly unencrypted one.
            s3.delete_bucket_encryption(Bucket=b.name)
        else:
            default: dict[str, Any] = {"SSEAlgorithm": b.encryption}
            if b.kms_key is not None:
                default["KMSMasterKeyID"] = seeder.id(b.kms_key)
            s3.put_bucket_encryption(
                Bucket=b.name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": b.bucket_key}]
                },
            )
        if b.public_access_block is not None:
            s3.put_public_access_block(Bucket=b.name, PublicAccessBlockConfiguration=b.public_access_block)
        if b.versioning:
            s3.put_bucket_versioning(Bucket=b.name, VersioningConfiguration={"Status": "Enabled"})


def bucket_policy(seeder: Seeder, b: Bucket, buckets: list[Bucket]) -> None:
    statements = list(b.statements)
    # AWS (and moto) refuse a server-access-logging target the logging service cannot write to.
    # It goes first: moto's check stops at the first statement whose Principal is the string "*".
    if any(o.logging_target is not None and o.logging_target.name == b.name for o in buckets):
        statements.insert(
            0,
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{b.name}/*",
            },
        )
    if b.deny_insecure_transport:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{b.name}", f"arn:aws:s3:::{b.name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if statements:
        with seeder.step(BUCKET, b.name):
            seeder.client("s3", b.region).put_bucket_policy(
                Bucket=b.name, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
            )


def bucket_logging(seeder: Seeder, b: Bucket) -> None:
    if b.logging_target is None:
        return
    with seeder.step(BUCKET, b.name):
        seeder.client("s3", b.region).put_bucket_logging(
            Bucket=b.name,
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": b.logging_target.name,
                    "TargetPrefix": b.logging_prefix,
                }
            },
        )


def region_settings(seeder: Seeder, r: Region) -> None:
    if r.guardduty:
        with seeder.step(DETECTOR, r.name):
            detector = seeder.client("guardduty", r.name).create_detector(Enable=True)["DetectorId"]
        seeder.record(DETECTOR, r.name, r.name, detector)
    ec2 = seeder.client("ec2", r.name)
    if r.ebs_encryption_by_default:
        with seeder.step("region", r.name):
            ec2.enable_ebs_encryption_by_default()
    if r.ebs_default_kms_key is not None:
        with seeder.step("region", r.name):
            ec2.modify_ebs_default_kms_key_id(KmsKeyId=seeder.id(r.ebs_default_kms_key))
