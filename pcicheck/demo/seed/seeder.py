"""The seeder's state while an estate is created: one boto3 client per service and region, what was
made so far (logical name → the id AWS returned), and errors turned into one line naming the entry.

The area modules (create_account, create_network, create_services) make one entry each through it;
`apply` calls them in dependency order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pcicheck.collect.aws.endpoint import pin_s3control_host
from pcicheck.demo.seed.records import CERTIFICATE, LOG_GROUP, Estate, Ref, label
from pcicheck.demo.seed.report import SeededResource
from pcicheck.errors import PcicheckError

# Placeholders only: the estate must never carry a real credential.
PLACEHOLDER_SECRET = "demo-not-a-secret"
# Long and mixed so it satisfies any password policy the estate declares (AWS checks at creation).
PLACEHOLDER_PASSWORD = "Demo-not-a-secret-0000-Placeholder!"


class Seeder:
    def __init__(self, estate: Estate, endpoint_url: str) -> None:
        import boto3  # lazily: `pcicheck --help` must not pay for boto3
        from botocore.config import Config

        self.estate = estate
        self.endpoint_url = endpoint_url
        self.session = boto3.session.Session()
        self.config = Config(retries={"mode": "standard", "max_attempts": 2})
        self.clients: dict[tuple[str, str], Any] = {}
        self.created: list[SeededResource] = []
        self.ids: dict[tuple[str, str], str] = {}
        self.extra: dict[tuple[str, str], Any] = {}  # facts later steps need: AZs, AMI root devices

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self.clients:
            client = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )
            if service == "s3control":
                # S3 Control puts the account id in front of the host (123456789012.127.0.0.1),
                # which does not resolve for a local emulator: send it to the endpoint as given.
                pin_s3control_host(client, self.endpoint_url)
            self.clients[key] = client
        return self.clients[key]

    def record(self, kind: str, name: str, region: str, real_id: str) -> str:
        self.created.append(SeededResource(kind, name, region, real_id))
        self.ids[(kind, name)] = real_id
        return real_id

    def id(self, ref: Ref) -> str:
        return self.ids[(ref.kind, ref.name)]

    @contextmanager
    def step(self, kind: str, name: str) -> Iterator[None]:
        """Turn an AWS refusal into one line naming the estate entry that caused it."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
        )

        try:
            yield
        except EndpointConnectionError as exc:
            raise PcicheckError(
                f"cannot reach the AWS endpoint {self.endpoint_url}",
                fix="start the emulator first, or pass an endpoint that is listening",
            ) from exc
        except NoCredentialsError as exc:
            raise PcicheckError(
                "no AWS credentials in the environment",
                fix="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the emulator accepts any value)",
            ) from exc
        except (ClientError, BotoCoreError) as exc:
            raise PcicheckError(
                f"could not create {label(kind)} '{name}': {exc}",
                path=self.estate.path,
                line=self.estate.lines.get((kind, name)),
            ) from exc

    # --- made once, shared by the entries that name them ------------------------------------

    def certificate(self, region: str, domain: str) -> str:
        if (CERTIFICATE, f"{region}/{domain}") not in self.ids:
            arn = self.client("acm", region).request_certificate(DomainName=domain)["CertificateArn"]
            self.record(CERTIFICATE, f"{region}/{domain}", region, arn)
        return self.ids[(CERTIFICATE, f"{region}/{domain}")]

    def log_group(self, region: str, name: str, kms_key: Ref | None = None) -> str:
        """Create a CloudWatch log group once and return its ARN (the form trails and stages take)."""
        if (LOG_GROUP, f"{region}:{name}") not in self.ids:
            logs = self.client("logs", region)
            extra = {"kmsKeyId": self.id(kms_key)} if kms_key is not None else {}
            logs.create_log_group(logGroupName=name, **extra)
            arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
            self.record(LOG_GROUP, f"{region}:{name}", region, arn.removesuffix(":*"))
        return self.ids[(LOG_GROUP, f"{region}:{name}")]


def kv(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def ec2_tags(resource_type: str, name: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    """EC2 tags at creation, with a Name tag of the logical name unless `tags` give their own."""
    return [{"ResourceType": resource_type, "Tags": kv({"Name": name, **tags})}]
