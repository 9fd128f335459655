"""A local AWS emulator (moto's HTTP server) on a free loopback port, for the demo and the tests."""

from __future__ import annotations

import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pcicheck.errors import PcicheckError

# Fake, well-known placeholder credentials: the emulator accepts anything and nothing real is used.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Emulator:
    endpoint: str
    _server: Any

    def reset(self) -> None:
        """Forget every resource (moto's reset API), so each test seeds its own estate."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        # A reset after an all-regions scan clears hundreds of regional backends: seconds on a quiet
        # machine, far more on a loaded one, and a timeout here would only fail a test for the load.
        with urllib.request.urlopen(req, timeout=120):
            pass

    def seed(self, value: int) -> None:
        """Seed the emulator's id generator (moto's seed API): the same estate seeded in the same order
        then gets the same VPC, instance and load balancer ids on every run."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/seed?a={int(value)}", method="POST")
        with urllib.request.urlopen(req, timeout=30):
            pass

    def env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise PcicheckError(
            "the AWS emulator (moto) is not installed",
            fix="install the demo extra: pip install 'pcicheck[demo]', or run `make demo`",
        ) from exc
    # The emulator's web server logs every request (and a traceback for calls it lacks): noise here.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Emulator(endpoint=f"http://127.0.0.1:{port}", _server=server)
    finally:
        server.stop()


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (boto3 reads AWS_ENDPOINT_URL from there)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
