"""Custom endpoints (AWS_ENDPOINT_URL: an emulator, a VPC endpoint proxy) and S3 Control.

botocore puts the account id in front of S3 Control's host (`123456789012.s3-control…`).
Against a custom endpoint that host does not exist, so the call would fail after every retry.
Pinning the request back to the configured endpoint keeps the call, and its answer, real.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def custom_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3_CONTROL") or os.environ.get("AWS_ENDPOINT_URL") or None


def pin_s3control_host(client: Any, endpoint_url: str) -> None:
    target = urlsplit(endpoint_url)

    def pin(request: Any, **_: Any) -> None:
        url = urlsplit(request.url)
        request.url = urlunsplit((url.scheme, target.netloc, url.path, url.query, url.fragment))

    client.meta.events.register("before-send.s3-control", pin)
