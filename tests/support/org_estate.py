"""A small organisation in the emulator, for the sharded-collection tests and bench/shards.py.

Every account has an `audit` role trusting the hub account (moto files what an assumed role creates under
the role's account), a bucket and a user (or only every n-th account), and in each region a VPC with a
security group; each account's first VPC peers with the next account's (a cross-account fact only a scan
of both sides sees).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

import boto3

HUB = "123456789012"  # moto's default account: the scanner's own
ROLE = "audit"


# The collectors of what the organisation holds, and of the network records its reachability and scope are
# built from (`collect --services`): the others find nothing in the emulator and would triple a collection.
ORG_SERVICES = (
    "account,iam,iam.roles,s3,ec2.region,ec2.vpcs,ec2.subnets,ec2.route_tables,ec2.network_acls,ec2.security_groups"
)


def org_accounts(count: int) -> list[str]:
    return [f"{210000000000 + i * 1013:012d}" for i in range(count)]


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ROLE}"


def accounts_yaml(accounts: Sequence[str]) -> str:
    return "accounts:\n" + "".join(f"  - {role_arn(a)}\n" for a in accounts)


def account_credentials(endpoint: str, account: str, hub: boto3.Session | None = None) -> dict[str, str]:
    """Client keyword arguments holding `account`'s audit role, assumed from the hub."""
    sts = (hub or boto3.Session()).client("sts", region_name="us-east-1", endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="seed")["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def as_account(
    endpoint: str, account: str, name: str, region: str = "us-east-1", hub: boto3.Session | None = None
) -> Any:
    """A client in `account`. Pass one `hub` session for many clients: it loads each service's model once,
    which costs far more than the few calls a seed makes with a client."""
    hub = hub or boto3.Session()
    creds = account_credentials(endpoint, account, hub)
    return hub.client(name, region_name=region, endpoint_url=endpoint, **creds)


_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def seed_organisation(
    endpoint: str, accounts: Sequence[str], regions: Sequence[str], *, users_and_buckets_every: int = 1
) -> None:
    """The organisation; the user and the bucket only in every `users_and_buckets_every`-th account (each
    costs its collectors a dozen calls, and the cross-account facts are in the network)."""
    hub = boto3.Session()  # one session: each service's model is loaded once for every account's clients
    vpcs: dict[str, str] = {}
    clients: dict[tuple[str, str], Any] = {}
    for i, account in enumerate(accounts):
        creds = account_credentials(endpoint, account, hub)

        def client(name: str, region: str = regions[0], creds: dict[str, str] = creds) -> Any:
            return hub.client(name, region_name=region, endpoint_url=endpoint, **creds)

        iam = client("iam")
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_TRUST)
        scope = [{"Key": "pci-scope", "Value": "cde" if i % 2 == 0 else "none"}]
        if i % users_and_buckets_every == 0:
            iam.create_user(UserName=f"ops-{i}")
            client("s3").create_bucket(Bucket=f"ledger-{account}")
        for r, region in enumerate(regions):
            ec2 = client("ec2", region)
            vpc = ec2.create_vpc(
                CidrBlock=f"10.{i % 250}.{r * 16}.0/20",
                TagSpecifications=[{"ResourceType": "vpc", "Tags": scope}],
            )["Vpc"]["VpcId"]
            group = ec2.create_security_group(GroupName=f"app-{i}", Description="app", VpcId=vpc)["GroupId"]
            if i % 3 == 0:
                ec2.authorize_security_group_ingress(
                    GroupId=group,
                    IpPermissions=[
                        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                    ],
                )
            if r == 0:
                vpcs[account] = vpc
                clients[account, "ec2"] = ec2
    for account, peer in itertools.pairwise(accounts):
        clients[account, "ec2"].create_vpc_peering_connection(
            VpcId=vpcs[account], PeerVpcId=vpcs[peer], PeerOwnerId=peer
        )
