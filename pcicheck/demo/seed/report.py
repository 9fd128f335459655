"""What seeding made: each resource by kind, logical name, region and the id AWS returned."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeededResource:
    kind: str  # a pcicheck resource type where one exists, e.g. "aws.s3.bucket"
    name: str  # the logical name from the estate file
    region: str  # "" for global (IAM)
    id: str  # what AWS returned: ARN, id, or name


@dataclass(frozen=True)
class SeedReport:
    path: str
    endpoint_url: str
    resources: tuple[SeededResource, ...]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.resources:
            out[r.kind] = out.get(r.kind, 0) + 1
        return dict(sorted(out.items()))

    @property
    def counts_by_region(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources:
            per = out.setdefault(r.region or "global", {})
            per[r.kind] = per.get(r.kind, 0) + 1
        return {region: dict(sorted(kinds.items())) for region, kinds in sorted(out.items())}

    def ids(self, kind: str) -> dict[str, str]:
        """Logical name → real id/ARN for one kind."""
        return {r.name: r.id for r in self.resources if r.kind == kind}

    def id(self, kind: str, name: str) -> str:
        for r in self.resources:
            if r.kind == kind and r.name == name:
                return r.id
        raise KeyError(f"{kind} {name!r} was not seeded")
