"""A real HTTP proxy in front of the emulator that denies chosen AWS API calls with AccessDenied.

It decides from the wire, as AWS would: the JSON protocol's X-Amz-Target header
(e.g. "TrentService.ListKeys") or the query protocol's Action parameter (e.g. "DescribeVolumes").
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _action(headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    try:
        form = parse_qs(body.decode())
    except UnicodeDecodeError:
        return ""
    return (form.get("Action") or [""])[0]


@contextmanager
def denying_proxy(upstream: str, denied: set[str]) -> Iterator[tuple[str, list[str]]]:
    """Yields (proxy endpoint, list of denied actions seen)."""
    target = urlsplit(upstream)
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            action = _action(headers, body)
            if action in denied:
                seen.append(action)
                if "x-amz-target" in headers:
                    payload = json.dumps(
                        {"__type": "AccessDeniedException", "message": f"not authorized to perform {action}"}
                    ).encode()
                    ctype = "application/x-amz-json-1.1"
                else:
                    payload = (
                        f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                        f"<Message>not authorized to perform {action}</Message></Error>"
                        f"<RequestId>1</RequestId></ErrorResponse>"
                    ).encode()
                    ctype = "text/xml"
                self.send_response(403)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            conn.request(
                self.command,
                self.path,
                body=body,
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
            )
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
