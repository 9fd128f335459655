"""Shared fixtures: one moto server per test session over real HTTP, reset before each AWS test."""

from __future__ import annotations

import contextlib
import io
import os
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
def demo_run(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> DemoRun:
    """`pcicheck demo` run once per session (its own emulator and API server, about 10 s). moto keeps
    its state per process, not per server: clear it before (another module may have seeded the same
    estate) and after (so the demo's estate does not leak into later tests)."""
    from pcicheck.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    err = io.StringIO()
    emulator.reset()
    # Run from the pack's parent with a relative --out, as a user would: the console then names `out/`,
    # not a temporary path whose length would change how the summary wraps (the golden files pin it).
    cwd = Path.cwd()
    os.chdir(out.parent)
    try:
        with contextlib.redirect_stderr(err):
            code = main(["demo", "--out", "out"])
    finally:
        os.chdir(cwd)
        emulator.reset()
    return DemoRun(out, code, err.getvalue())
