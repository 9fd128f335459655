"""EFS collector against the moto server: encryption, key and tags from the listing."""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.efs import SPEC
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types

REGION = "eu-west-1"


def test_efs_file_systems(client: Any, run_service: Any) -> None:
    efs = client("efs", REGION)
    sealed = efs.create_file_system(
        CreationToken="a",
        Encrypted=True,
        Tags=[{"Key": "Name", "Value": "card-share"}, {"Key": "pci-scope", "Value": "cde"}],
    )["FileSystemId"]
    efs.create_file_system(CreationToken="b", Encrypted=False)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_id = {r.attributes["file_system_id"]: r for r in resources}
    share = by_id[sealed]
    assert (share.name, share.tags["pci-scope"]) == ("card-share", "cde")
    assert share.attributes["encrypted"] is True
    assert set(share.attributes) == set(resource_types()["aws.efs.file_system"].attributes)
    assert violations(share) == []  # kinds and nullability as declared
    assert [r.attributes["encrypted"] for r in resources if r.uid != share.uid] == [False]
    assert share.source == ("elasticfilesystem:DescribeFileSystems",)
    assert set(calls) == set(SPEC.permissions)
