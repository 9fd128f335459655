"""AWS Config in each scanned region (aws.config.region): its configuration recorders and whether
they are recording.

One resource per region even when nothing is set up, because "no recorder here" is the finding:
a resource per recorder would leave an unmonitored region with nothing to fail. Both reads are
region-wide, so either failing sinks the region's resource (the runner records the error).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pcicheck.collect.aws.interface import CollectContext, ServiceSpec
from pcicheck.model import Resource, resource_type

TYPE = resource_type(
    "aws.config.region",
    "AWS Config in one scanned region (one per region, even with no recorder); uid aws://<account>/<region>/config",
    region="string: region name",
    recorders="list: {name, all_supported (bool), include_global_resource_types (bool), recording (bool), "
    "last_status ('Pending'|'Success'|'Failure'|'NotApplicable'|null, as AWS spells them)}",
)


def _recorder(recorder: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
    group = recorder.get("recordingGroup") or {}
    return {
        "name": recorder.get("name"),
        "all_supported": bool(group.get("allSupported", False)),
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes", False)),
        # A recorder without a status entry has never been started.
        "recording": bool((status or {}).get("recording", False)),
        "last_status": (status or {}).get("lastStatus"),
    }


def collect(ctx: CollectContext) -> Iterator[Resource]:
    config = ctx.client()
    recorders = ctx.call(config, "describe_configuration_recorders").get("ConfigurationRecorders") or []
    statuses = {
        str(s.get("name")): s
        for s in ctx.call(config, "describe_configuration_recorder_status").get("ConfigurationRecordersStatus") or []
    }
    uid = f"aws://{ctx.account}/{ctx.region}/config"
    yield ctx.resource(
        type=TYPE.name,
        uid=uid,
        name=f"AWS Config {ctx.region}",
        attributes={
            "region": ctx.region,
            "recorders": [_recorder(r, statuses.get(str(r.get("name")))) for r in recorders],
        },
        source={
            ctx.action(config, "describe_configuration_recorders"),
            ctx.action(config, "describe_configuration_recorder_status"),
        },
    )


SPEC = ServiceSpec(
    name="config",
    client="config",
    regional=True,
    types=(TYPE,),
    permissions=("config:DescribeConfigurationRecorderStatus", "config:DescribeConfigurationRecorders"),
    collect=collect,
)
