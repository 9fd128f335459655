"""Benchmark: AWS collection and evaluation against the emulator (moto over real HTTP).

Budgets (issue 7):
- the demo estate (fixtures/demo/aws-estate.yaml, 2 regions) collected and evaluated in <= 10 s wall;
- a synthetic estate of 5,000 resources across 4 regions collected and evaluated in <= 60 s wall.
Seeding is not timed. Collection is planned from the catalog's controls, as `pcicheck scan` does.

    python bench/aws_collect.py [--only demo|synthetic] [--resources 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3

from pcicheck import paths
from pcicheck.catalog import load_catalog
from pcicheck.collect.aws.runner import AwsOptions, collect_aws, service_specs
from pcicheck.config import Config
from pcicheck.demo.emulator import Emulator, patched_environ, running_emulator
from pcicheck.demo.seed import load_estate, seed_estate
from pcicheck.evaluate.evaluation import evaluate_snapshot
from pcicheck.workflow.plan import plan_collection

DEMO_BUDGET = 10.0
SYNTHETIC_BUDGET = 60.0
SYNTHETIC_REGIONS = ("us-east-1", "eu-west-2", "eu-central-1", "ap-southeast-2")
# One region's share of the synthetic estate, as fractions (the rest are security groups): list
# calls dominate for EC2, per-resource calls for KMS, so both kinds of collector are exercised.
_SHARES = {"vpcs": 0.004, "subnets": 0.08, "volumes": 0.24, "keys": 0.12, "secrets": 0.076}


@dataclass(frozen=True)
class Measure:
    name: str
    seeded: float
    collect: float
    evaluate: float
    resources: int
    errors: int
    results: int
    calls: int
    budget: float

    @property
    def wall(self) -> float:
        return self.collect + self.evaluate

    def line(self) -> str:
        verdict = "within budget" if self.wall <= self.budget else "OVER BUDGET"
        return (
            f"{self.name}: resources={self.resources} calls={self.calls} errors={self.errors} results={self.results} "
            f"seed={self.seeded:.1f}s collect={self.collect:.2f}s evaluate={self.evaluate:.2f}s "
            f"wall={self.wall:.2f}s (budget {self.budget:.0f}s) {verdict}"
        )


def _measure(name: str, regions: tuple[str, ...], seeded: float, budget: float) -> Measure:
    catalog = load_catalog()
    plan = plan_collection(catalog.controls, service_specs())
    start = time.perf_counter()
    snap = collect_aws(AwsOptions(regions=regions, services=plan.services))
    collected = time.perf_counter()
    ev = evaluate_snapshot(snap, catalog, Config(), "pci-dss-3.2.1")
    done = time.perf_counter()
    return Measure(
        name=name,
        seeded=seeded,
        collect=collected - start,
        evaluate=done - collected,
        resources=len(snap.resources),
        errors=len(snap.errors),
        results=len(ev.results),
        calls=sum(snap.calls.values()),
        budget=budget,
    )


def demo(emu: Emulator) -> Measure:
    emu.reset()
    path = paths.demo_dir() / "aws-estate.yaml"
    start = time.perf_counter()
    seed_estate(path, emu.endpoint)
    seeded = time.perf_counter() - start
    return _measure("demo estate", tuple(r.name for r in load_estate(path).regions), seeded, DEMO_BUDGET)


def _seed_region(endpoint: str, region: str, count: int, index: int) -> int:
    """`count` resources in one region, created with boto3 directly (no seeding framework)."""

    def client(name: str) -> Any:
        return boto3.client(name, region_name=region, endpoint_url=endpoint)

    ec2, kms, sm = client("ec2"), client("kms"), client("secretsmanager")
    n = {k: max(1, int(count * share)) for k, share in _SHARES.items()}
    n["groups"] = count - sum(n.values())
    made = 0
    vpcs = []
    for v in range(n["vpcs"]):
        cde = [{"Key": "pci-scope", "Value": "cde"}] if v == 0 else [{"Key": "tenant", "Value": f"t{v}"}]
        vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": cde}])[
            "Vpc"
        ]["VpcId"]
        vpcs.append(vpc)
        made += 1
    for s in range(n["subnets"]):
        ec2.create_subnet(VpcId=vpcs[s % len(vpcs)], CidrBlock=f"10.{s % len(vpcs)}.{s // len(vpcs)}.0/24")
        made += 1
    for g in range(n["groups"]):
        group = ec2.create_security_group(GroupName=f"g{g}", Description="bench", VpcId=vpcs[g % len(vpcs)])
        if g % 10 == 0:  # some open ingress, so reachability has work to do
            ec2.authorize_security_group_ingress(
                GroupId=group["GroupId"],
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                ],
            )
        made += 1
    zone = f"{region}a"
    for v in range(n["volumes"]):
        ec2.create_volume(AvailabilityZone=zone, Size=1, Encrypted=v % 2 == 0)
        made += 1
    for k in range(n["keys"]):
        key = kms.create_key(Description=f"bench {index}/{k}")["KeyMetadata"]["KeyId"]
        if k % 2:
            kms.enable_key_rotation(KeyId=key)
        made += 1
    for s in range(n["secrets"]):
        sm.create_secret(Name=f"bench/{s}", SecretString="not-a-secret")
        made += 1
    return made


def synthetic(emu: Emulator, total: int) -> Measure:
    emu.reset()
    per_region = total // len(SYNTHETIC_REGIONS)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(SYNTHETIC_REGIONS)) as pool:
        made = sum(
            pool.map(
                lambda ir: _seed_region(emu.endpoint, ir[1], per_region, ir[0]),
                enumerate(SYNTHETIC_REGIONS),
            )
        )
    seeded = time.perf_counter() - start
    print(f"seeded {made} synthetic resources across {len(SYNTHETIC_REGIONS)} regions in {seeded:.1f}s")
    return _measure(f"synthetic {made}", SYNTHETIC_REGIONS, seeded, SYNTHETIC_BUDGET)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("demo", "synthetic"))
    parser.add_argument("--resources", type=int, default=5000)
    args = parser.parse_args()
    runs: list[Callable[[Emulator], Measure]] = []
    if args.only in (None, "demo"):
        runs.append(demo)
    if args.only in (None, "synthetic"):
        runs.append(lambda emu: synthetic(emu, args.resources))
    ok = True
    with running_emulator() as emu, patched_environ(emu.env()):
        for run in runs:
            m = run(emu)
            print(m.line(), flush=True)
            ok = ok and m.wall <= m.budget
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
