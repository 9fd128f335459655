"""Create a parsed estate in dependency order, and report what was made.

Account settings, IAM, KMS keys and every region's buckets come first: anything after may name
them. Then each region in turn, then CloudFront, which is global and names buckets and web ACLs
of the regions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pcicheck.demo.seed import create_account, create_network, create_services
from pcicheck.demo.seed.load import load_estate
from pcicheck.demo.seed.records import Region
from pcicheck.demo.seed.report import SeedReport
from pcicheck.demo.seed.seeder import Seeder

T = TypeVar("T")
RegionStep = Callable[[Seeder, Region], None]


def _each(items: Callable[[Region], tuple[T, ...]], create: Callable[[Seeder, T], None]) -> RegionStep:
    def step(seeder: Seeder, region: Region) -> None:
        for item in items(region):
            create(seeder, item)

    return step


# One region's steps, in order: the network before what runs in it, load balancers before the web
# ACLs that protect them, metric filters before the alarms that watch them.
REGION_STEPS: tuple[RegionStep, ...] = (
    _each(lambda r: r.vpcs, create_network.vpc),
    create_network.peerings,
    _each(lambda r: r.load_balancers, create_network.load_balancer),
    _each(lambda r: r.instances, create_network.instance),
    _each(lambda r: r.volumes, create_network.volume),
    _each(lambda r: r.databases, create_network.database),
    _each(lambda r: r.trails, create_services.trail),
    _each(lambda r: r.rest_apis, create_services.rest_api),
    _each(lambda r: r.http_apis, create_services.http_api),
    _each(lambda r: r.secrets, create_services.secret),
    _each(lambda r: r.web_acls, create_services.web_acl),
    _each(lambda r: r.topics, create_services.topic),
    _each(lambda r: r.metric_filters, create_services.metric_filter),
    _each(lambda r: r.alarms, create_services.alarm),
    _each(lambda r: r.queues, create_services.queue),
    _each(lambda r: r.tables, create_services.table),
    _each(lambda r: r.caches, create_services.cache),
    _each(lambda r: r.projects, create_services.project),
    _each(lambda r: r.elastic_ips, create_services.elastic_ip),
    # Last, as in AWS: turning on EBS encryption by default leaves volumes made before unencrypted.
    create_account.region_settings,
)


def run(seeder: Seeder) -> None:
    create_account.account_settings(seeder)
    create_account.iam_resources(seeder)
    create_account.kms_keys(seeder)
    create_account.s3_buckets(seeder)
    for region in seeder.estate.regions:
        for step in REGION_STEPS:
            step(seeder, region)
    # CloudFront is global; its distributions name buckets and web ACLs made above.
    for distribution in seeder.estate.distributions:
        create_services.distribution(seeder, distribution)


def seed_estate(path: Path, endpoint_url: str) -> SeedReport:
    """Create the estate described in `path` at `endpoint_url` (credentials from the environment)."""
    estate = load_estate(path)
    started = time.perf_counter()
    seeder = Seeder(estate, endpoint_url)
    run(seeder)
    return SeedReport(str(path), endpoint_url, tuple(seeder.created), round(time.perf_counter() - started, 3))
