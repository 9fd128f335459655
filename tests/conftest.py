"""Shared fixtures: one moto server per test session over real HTTP, reset before each AWS test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcicheck.demo.emulator import Emulator, running_emulator

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with running_emulator() as emu:
        yield emu


@pytest.fixture
def aws(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """A clean emulated account; boto3 in this process (and pcicheck) talks to it over HTTP."""
    emulator.reset()
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    return emulator


@pytest.fixture
def client(aws: Emulator) -> Any:
    """client("s3", "eu-west-2") → a boto3 client against the emulator, for seeding."""

    def make(name: str, region: str = "us-east-1") -> Any:
        return boto3.client(name, region_name=region, endpoint_url=aws.endpoint)

    return make


@pytest.fixture
def run_service(aws: Emulator) -> Any:
    """run_service(SPEC, region) → (resources, errors, calls) from one service collector, real HTTP."""
    from pcicheck.collect.aws.interface import CollectContext, ServiceSpec

    def run(spec: ServiceSpec, region: str = "us-east-1") -> tuple[list[Any], list[Any], dict[str, int]]:
        ctx = CollectContext(
            spec=spec,
            account=ACCOUNT,
            region=region,
            partition="aws",
            make_client=lambda name, reg: boto3.client(name, region_name=reg, endpoint_url=aws.endpoint),
        )
        resources = list(spec.collect(ctx))
        return resources, ctx.errors, dict(ctx.calls)

    return run


@dataclass(frozen=True)
class DemoRun:
    out: Path  # the evidence pack `pcicheck demo` wrote
    code: int
    stderr: str


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`pcicheck demo` run once per session, as a user runs it: its own process (with its own emulator
    and API server, about 15 s), from the pack's parent with a relative --out. moto keeps its state per
    process, and which of its regional backends already exist changes the ids it hands out, so only a
    fresh process makes the same estate with the same ids (the golden files pin them); the console
    names `out/`, not a temporary path whose length would change how the summary wraps."""
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "pcicheck", "demo", "--out", "out"],
        cwd=out.parent,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        check=False,
    )
    return DemoRun(out, done.returncode, done.stderr)
