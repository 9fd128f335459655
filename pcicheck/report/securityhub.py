"""Import a results document's findings into AWS Security Hub (BatchImportFindings), as ASFF.

A separate step from the scan, with its own credentials: the scan stays read-only (the IAM policy
pcicheck ships has no write action), and the only write here is securityhub:BatchImportFindings,
granted to whatever imports. Findings are sent to their own region's Security Hub (the ProductArn's
region must be the endpoint's), in batches of at most 100 (the API's limit). Ids are stable
(`pcicheck/<evidence id>`), so importing the same or a later scan updates findings in place.

With the default product ARN, Security Hub accepts a finding only from the account it belongs to:
findings of another account of a multi-account scan are not sent, and are counted as not imported with
that reason, as are the findings the API refuses (FailedFindings).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from pcicheck import __version__
from pcicheck.errors import CollectionFailed, InputError, PcicheckError
from pcicheck.report.asff import Home, asff_findings

BATCH = 100  # BatchImportFindings takes 1 to 100 findings (botocore's model: Findings min 1, max 100)
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class NotImported:
    id: str
    code: str
    message: str


@dataclass(frozen=True)
class Imported:
    """What an import did: findings sent and accepted, and each that was not, with the reason."""

    account: str
    regions: tuple[str, ...]
    findings: int
    batches: int
    succeeded: int
    failed: tuple[NotImported, ...]
    seconds: float


def _session(profile: str | None, region: str | None) -> Any:
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"AWS profile {profile!r} not found", fix="check --profile against ~/.aws/config") from None


def _config() -> Any:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra=f"pcicheck/{__version__}")


def _caller(session: Any, region: str) -> tuple[str, str]:
    """The importing account and its partition (GetCallerIdentity)."""
    import botocore.exceptions

    try:
        ident = session.client("sts", region_name=region, config=_config()).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise CollectionFailed("no AWS credentials found", fix="set AWS_PROFILE or --profile") from None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise CollectionFailed(f"cannot identify the importing account: {exc}", fix="check the credentials") from None
    arn = str(ident["Arn"]).split(":")
    return str(ident["Account"]), arn[1] if len(arn) > 1 else "aws"


def _send(client: Any, region: str, batch: list[dict[str, Any]]) -> tuple[int, list[NotImported]]:
    import botocore.exceptions

    try:
        answer = client.batch_import_findings(Findings=batch)
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        raise PcicheckError(
            f"Security Hub in {region} refused the import: {error.get('Code')}: {error.get('Message')}",
            fix="enable Security Hub in that region and allow securityhub:BatchImportFindings",
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise PcicheckError(f"cannot reach Security Hub in {region}: {exc}", fix="check the network") from None
    failed = [
        NotImported(str(f.get("Id", "")), str(f.get("ErrorCode", "")), str(f.get("ErrorMessage", "")))
        for f in answer.get("FailedFindings") or ()
    ]
    # FailedCount is the API's own count; the list is what it named. Trust the larger, never fewer.
    missing = int(answer.get("FailedCount") or 0) - len(failed)
    failed += [NotImported("", "Unnamed", "counted failed by Security Hub without an entry")] * max(missing, 0)
    return int(answer.get("SuccessCount") or 0), failed


def import_findings(
    doc: Mapping[str, Any],
    *,
    profile: str | None = None,
    region: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Imported:
    """Send every finding of `doc` to Security Hub: the importing account's, each in its own region
    (Kubernetes and global resources in `region`, else the session's region)."""
    started = time.perf_counter()
    session = _session(profile, region)
    home_region = region or session.region_name or DEFAULT_REGION
    account, partition = _caller(session, home_region)
    findings = asff_findings(doc, Home(partition, account, home_region))
    mine = sorted((f for f in findings if f["AwsAccountId"] == account), key=lambda f: str(f["Region"]))
    failed = [
        NotImported(f["Id"], "OtherAccount", f"belongs to account {f['AwsAccountId']}: import it with its credentials")
        for f in findings
        if f["AwsAccountId"] != account
    ]
    succeeded = batches = 0
    regions = []
    for where, group in groupby(mine, key=lambda f: str(f["Region"])):
        regions.append(where)
        client = session.client("securityhub", region_name=where, config=_config())
        items = list(group)
        for start in range(0, len(items), BATCH):
            ok, refused = _send(client, where, items[start : start + BATCH])
            succeeded += ok
            failed += refused
            batches += 1
        progress(f"{where}: {len(items)} findings sent")
    return Imported(
        account=account,
        regions=tuple(regions),
        findings=len(findings),
        batches=batches,
        succeeded=succeeded,
        failed=tuple(failed),
        seconds=round(time.perf_counter() - started, 3),
    )
