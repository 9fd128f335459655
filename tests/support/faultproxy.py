"""A real HTTP proxy in front of the emulator that injects faults into chosen AWS API calls.

It decides from the wire, as AWS would: the JSON protocol's X-Amz-Target header
(e.g. "TrentService.ListKeys"), the query protocol's Action parameter (e.g. "DescribeVolumes"), or
for S3 the method and sub-resource ("GET /bucket?encryption" → GetBucketEncryption). The service
(for the error format each protocol uses) comes from the request signature's credential scope.

Faults, each for one operation, for its first `times` matching calls or always (times=None):
- throttle: 400 ThrottlingException (JSON), 400 Throttling / RequestLimitExceeded (query, EC2),
  503 SlowDown (S3); `status=429` gives 429 TooManyRequestsException instead;
- error500: 500 InternalFailure (InternalError for S3);
- timeout: holds the connection `hold` seconds without answering, then drops it;
- deny: 403 AccessDenied(Exception).
Every injected fault and every call that then went through is counted, per operation.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KINDS = ("throttle", "error500", "timeout", "deny")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# S3 sub-resources (the query key of a bucket GET) → operation name.
_S3_SUBRESOURCES = {
    "encryption": "GetBucketEncryption",
    "policy": "GetBucketPolicy",
    "policyStatus": "GetBucketPolicyStatus",
    "versioning": "GetBucketVersioning",
    "logging": "GetBucketLogging",
    "publicAccessBlock": "GetPublicAccessBlock",
    "tagging": "GetBucketTagging",
    "acl": "GetBucketAcl",
    "location": "GetBucketLocation",
    "ownershipControls": "GetBucketOwnershipControls",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "object-lock": "GetObjectLockConfiguration",
    "replication": "GetBucketReplication",
}


@dataclass
class Fault:
    operation: str  # e.g. "ListKeys", "DescribeVolumes", "GetBucketEncryption", "ListBuckets"
    kind: str  # one of KINDS
    times: int | None = None  # the first N matching calls; None: every one
    match: str = ""  # only calls whose body or path contains this (e.g. an account id in a RoleArn)
    status: int | None = None  # throttle only: 429 instead of the protocol's usual status
    hold: float = 2.0  # timeout only: seconds to hold the connection (beyond the client's read timeout)
    injected: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")


@dataclass
class FaultLog:
    """What the proxy did: faults injected and calls forwarded, per operation."""

    injected: Counter[str] = field(default_factory=Counter)  # "ListKeys throttle" → n
    forwarded: Counter[str] = field(default_factory=Counter)  # "ListKeys" → n (answered by the emulator)
    denied: list[str] = field(default_factory=list)  # each call answered AccessDenied, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total(self, kind: str) -> int:
        return sum(n for k, n in self.injected.items() if k.endswith(f" {kind}"))


def _service(headers: dict[str, str]) -> str:
    m = _SCOPE.search(headers.get("authorization", ""))
    return m.group(1) if m else ""


def _operation(method: str, path: str, headers: dict[str, str], body: bytes, service: str) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "s3":
        parts = urlsplit(path)
        if method == "GET" and parts.path in ("", "/"):
            return "ListBuckets"
        keys = set(parse_qs(parts.query, keep_blank_values=True))
        for key, op in _S3_SUBRESOURCES.items():
            if key in keys and method == "GET":
                return op
        return f"{method} {parts.path}"
    try:
        form = parse_qs(body.decode())
    except UnicodeDecodeError:
        return ""
    return (form.get("Action") or [""])[0]


def _error(kind: str, fault: Fault, operation: str, service: str, json_protocol: bool) -> tuple[int, str, bytes]:
    """(status, content type, body) of the injected error, in the protocol the client expects."""
    if kind == "throttle":
        status = fault.status or (503 if service == "s3" else 400)
        usual = "RequestLimitExceeded" if service == "ec2" else "ThrottlingException" if json_protocol else "Throttling"
        code = {429: "TooManyRequestsException", 503: "SlowDown"}.get(status, usual)
        message = "Rate exceeded"
    elif kind == "error500":
        status, code, message = 500, "InternalError" if service in ("s3", "ec2") else "InternalFailure", "internal"
    else:
        status, code = 403, "AccessDeniedException" if json_protocol else "AccessDenied"
        message = f"not authorized to perform {operation}"
    if json_protocol:
        return status, "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}).encode()
    if service == "s3":
        return status, "application/xml", f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    if service == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>1</RequestID></Response>"
        )
        return status, "text/xml", body.encode()
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>1</RequestId></ErrorResponse>"
    )
    return status, "text/xml", body.encode()


def _applies(fault: Fault, operation: str, path: str, body: bytes) -> bool:
    if fault.operation != operation:
        return False
    if fault.match and fault.match not in path and fault.match.encode() not in body:
        return False
    return fault.times is None or fault.injected < fault.times


def _pick(faults: list[Fault], log: FaultLog, operation: str, path: str, body: bytes) -> Fault | None:
    """The first fault that applies to this call, counted; None (and the call counted as forwarded)."""
    with log.lock:
        fault = next((f for f in faults if _applies(f, operation, path, body)), None)
        if fault is None:
            log.forwarded[operation] += 1
            return None
        fault.injected += 1
        log.injected[f"{operation} {fault.kind}"] += 1
        if fault.kind == "deny":
            log.denied.append(operation)
        return fault


def _relay(target: Any, command: str, path: str, headers: Any, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The upstream's answer to the call, with the hop-by-hop headers left out."""
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        conn.request(command, path, body=body, headers={k: v for k, v in headers.items() if k.lower() != "host"})
        resp = conn.getresponse()
        data = resp.read()
        passed = [
            (k, v)
            for k, v in resp.getheaders()
            if k.lower() not in ("transfer-encoding", "connection", "content-length")
        ]
        return resp.status, passed, data
    finally:
        conn.close()


@contextmanager
def fault_proxy(upstream: str, faults: list[Fault]) -> Iterator[tuple[str, FaultLog]]:
    """Yields (proxy endpoint, log). Faults are tried in order; the first that applies is injected."""
    target = urlsplit(upstream)
    log = FaultLog()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            service = _service(headers)
            operation = _operation(self.command, self.path, headers, body, service)
            fault = _pick(faults, log, operation, self.path, body)
            if fault is not None:
                if fault.kind == "timeout":
                    time.sleep(fault.hold)
                    self.close_connection = True
                    return
                status, ctype, payload = _error(fault.kind, fault, operation, service, "x-amz-target" in headers)
                self._reply(status, [("Content-Type", ctype)], payload)
                return
            self._reply(*_relay(target, self.command, self.path, self.headers, body))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def denying_proxy(upstream: str, denied: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Yields (proxy endpoint, list of denied actions seen): AccessDenied on every call of `denied`."""
    with fault_proxy(upstream, [Fault(op, "deny") for op in sorted(denied)]) as (endpoint, log):
        yield endpoint, log.denied
