"""AWS answers made from botocore's own output shapes, for fuzzing the collectors.

A `ShapeWorld` answers every call a collector makes through a real botocore client: a `before-call`
handler (the hook botocore's Stubber uses) returns a response drawn from the operation's output shape,
so the collector's own parsing, paginators and error handling run unchanged. Each answer is drawn with
hypothesis: optional members absent or present, lists empty or not, every enum value of the model, and
pagination tokens on the first pages. The same world can then answer again with every absent member
filled in (`fill=True`): what a collector concludes from absence shows up as a verdict that changes.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.model import OperationModel, Shape
from hypothesis import strategies as st

# Members that carry a page marker, in the services that page by hand (no botocore paginator).
TOKEN_MEMBERS = frozenset({"NextToken", "NextMarker", "Marker", "nextToken", "NextContinuationToken", "Position"})
TRUNCATION_MEMBERS = frozenset({"IsTruncated", "Truncated"})
MAX_DEPTH = 7  # deeper optional members stay absent and lists empty: WAF statements nest without end

ARN = "arn:aws:svc:us-east-1:123456789012:thing/x"
POLICIES = (
    json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": []}),
)
CIDRS = ("0.0.0.0/0", "10.0.0.0/16", "::/0", "0.0.0.0/1", "128.0.0.0/1", "192.168.1.0/24")
WORDS = ("x", "id-1", "default", "*")
IDENTITY = re.compile(r"(Id|Arn|ARN|Name|Identifier)$|^(id|arn|name)$")
TIMES = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2025, 12, 30, 12, 0, tzinfo=UTC))


def _string_choices(name: str) -> tuple[str, ...]:
    lowered = name.lower()
    if lowered.endswith("arn") or lowered.endswith("arns"):
        return (ARN, "arn:aws:iam::123456789012:role/r")
    if lowered == "document" or (
        "policy" in lowered and ("document" in lowered or lowered in ("policy", "policytext"))
    ):
        return POLICIES
    if "cidr" in lowered or lowered in ("sourceranges",):
        return CIDRS
    if lowered in ("region", "regionname", "locationconstraint", "bucketregion"):
        return ("us-east-1", "eu-west-2")
    if lowered in ("ipprotocol", "protocol"):
        return ("tcp", "udp", "icmp", "icmpv6", "-1", "6", "50")
    if lowered.endswith("port"):
        return ("443", "22")
    return WORDS


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def paginator_config(service: str, operation: str) -> dict[str, Any] | None:
    try:
        model = _session().get_paginator_model(service)
        config: dict[str, Any] = model.get_paginator(operation)
        return config
    except Exception:  # no paginators file, or none for this operation
        return None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


@dataclass
class ShapeWorld:
    """Answers every call of one collector run. `answers` remembers the n-th answer to each operation,
    so a second run (`fill=True`) sees the same data with what was absent filled in."""

    data: Any  # hypothesis st.data()
    fill: bool = False
    # Members always sent: a listed thing's own identity (its id, ARN or name), never left out by AWS.
    always: frozenset[str] = frozenset()
    answers: dict[tuple[str, int], Any] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    pages: dict[str, int] = field(default_factory=dict)  # operation -> pages that carry a token
    issued: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # tokens handed out
    returned: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # tokens sent back
    absent_paths: set[str] = field(default_factory=set)  # Operation.member.member… left out
    serial: int = 0  # for identities, unique within the world

    def refilled(self) -> ShapeWorld:
        """The same answers again, every absent member filled in; the same pages."""
        return ShapeWorld(
            self.data, fill=True, always=self.always, answers=self.answers, pages=self.pages, serial=self.serial
        )

    def draw(self, strategy: Any, label: str = "") -> Any:
        return self.data.draw(strategy, label=label or None)

    # ---- the botocore hooks

    def params_seen(self, params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        for value in params.values():
            if isinstance(value, str) and value.startswith("tok-"):
                self.returned[model.name].add(value)

    def answer(self, model: OperationModel, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        op = model.name
        n = self.calls[op]
        self.calls[op] += 1
        key = (op, n)
        if key in self.answers:
            body = self.answers[key]
            if self.fill:
                body = self._filled(model.output_shape, body, f"{op}")
        else:
            body = self._value(model.output_shape, op, 0, op) if model.output_shape is not None else {}
            self.answers[key] = body
        # A copy each time: botocore's own after-call handlers edit answers in place (IAM documents).
        body = self._paged(model, _copy(body), n)
        return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    # ---- paging

    def _paged(self, model: OperationModel, body: dict[str, Any], n: int) -> dict[str, Any]:
        service = model.service_model.service_name
        config = paginator_config(service, model.name)
        if config is not None:
            tokens = _as_list(config.get("output_token"))
            more = config.get("more_results")
        else:
            shape = model.output_shape
            members = shape.members if shape is not None else {}
            tokens = [m for m in members if m in TOKEN_MEMBERS]
            more = next((m for m in members if m in TRUNCATION_MEMBERS), None)
        if not tokens:
            return body
        op = model.name
        if op not in self.pages:
            self.pages[op] = self.draw(st.integers(0, 2), f"pages of {op}")
        body = _copy(body)
        carries = n < self.pages[op]
        for path in tokens:
            path = path.split(" || ")[0].strip()
            if carries:
                token = f"tok-{op}-{n}-{path}"
                self.issued[op].add(token)
                _set_path(body, path, token)
            else:
                _drop_path(body, path)
        if more:
            _set_path(body, more, carries)
        return body

    # ---- values from shapes

    def _value(self, shape: Shape, name: str, depth: int, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            out: dict[str, Any] = {}
            required = set(shape.required_members)
            for member, sub in shape.members.items():
                metadata = member == "ResponseMetadata" or sub.serialization.get("location") in ("header", "headers")
                if metadata and member not in required:
                    continue
                here = f"{path}.{member}"
                present = (
                    member in required
                    or member in self.always
                    or (depth < MAX_DEPTH and self.draw(st.booleans(), f"{here} present"))
                )
                if present:
                    out[member] = self._value(sub, member, depth + 1, here)
                else:
                    self.absent_paths.add(here)
            return out
        if kind == "list":
            size = self.draw(st.integers(0, 2 if depth < MAX_DEPTH else 0), f"{path} length")
            return [self._value(shape.member, name, depth + 1, f"{path}[]") for _ in range(size)]
        if kind == "map":
            size = self.draw(st.integers(0, 1 if depth < MAX_DEPTH else 0), f"{path} size")
            return {
                self._value(shape.key, name, depth + 1, f"{path}{{}}") + str(i): self._value(
                    shape.value, name, depth + 1, f"{path}{{}}"
                )
                for i in range(size)
            }
        return self._scalar(shape, name, path)

    def _scalar(self, shape: Shape, name: str, path: str) -> Any:
        kind = shape.type_name
        if kind == "string":
            if shape.enum:
                return self.draw(st.sampled_from(shape.enum), path)
            if name == "GatewayId":
                return self.draw(st.sampled_from(("igw-1", "nat-1", "local", "vgw-1", "eigw-1")), path)
            if IDENTITY.search(name):
                # Every listed thing its own identity: two resources with one ARN would be one record.
                self.serial += 1
                return f"{ARN[:-1]}u{self.serial}" if name.lower().endswith(("arn", "arns")) else f"u{self.serial}"
            return self.draw(st.sampled_from(_string_choices(name)), path)
        if kind in ("integer", "long"):
            low = int(shape.metadata.get("min", -1))
            high = int(shape.metadata.get("max", 400))
            return self.draw(st.integers(max(low, -1), max(min(high, 400), max(low, -1))), path)
        if kind in ("float", "double"):
            return self.draw(st.sampled_from((0.0, 1.5)), path)
        if kind == "boolean":
            return self.draw(st.booleans(), path)
        if kind == "timestamp":
            return self.draw(st.sampled_from(TIMES), path)
        if kind == "blob":
            return b"x"
        raise AssertionError(f"{path}: shape type {kind} is not generated")

    def _filled(self, shape: Shape, value: Any, path: str, depth: int = 0) -> Any:
        """`value` with every absent optional member drawn (lists absent → [], as AWS means by leaving a
        list out), members already present kept, their own absent members filled too."""
        kind = shape.type_name
        if kind == "structure" and isinstance(value, dict):
            out = {}
            for member, sub in shape.members.items():
                if sub.serialization.get("location") in ("header", "headers") or member == "ResponseMetadata":
                    continue
                here = f"{path}.{member}"
                if member in value:
                    out[member] = self._filled(sub, value[member], here, depth + 1)
                elif member in TOKEN_MEMBERS or member in TRUNCATION_MEMBERS:
                    continue
                elif sub.type_name in ("list", "map"):
                    out[member] = [] if sub.type_name == "list" else {}
                elif depth < MAX_DEPTH:
                    drawn = self._value(sub, member, depth + 1, here)
                    out[member] = self._filled(sub, drawn, here, depth + 1)
            return out
        if kind == "list" and isinstance(value, list):
            return [self._filled(shape.member, v, f"{path}[]", depth + 1) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: self._filled(shape.value, v, f"{path}{{}}", depth + 1) for k, v in value.items()}
        return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = body
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value


def _drop_path(body: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node: Any = body
    for p in parents:
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


@dataclass
class ShapeClients:
    """make_client for a CollectContext: real botocore clients whose calls `world` answers."""

    world: ShapeWorld | FixedWorld | None = None
    clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def __call__(self, name: str, region: str) -> Any:
        key = (name, region)
        if key not in self.clients:
            client = boto3.client(
                name, region_name=region, aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
            )
            client.meta.events.register("before-call.*.*", self._answer)
            client.meta.events.register("before-parameter-build.*.*", self._params)
            self.clients[key] = client
        return self.clients[key]

    def _answer(self, **kwargs: Any) -> Any:
        assert self.world is not None
        return self.world.answer(**kwargs)

    def _params(self, **kwargs: Any) -> None:
        assert self.world is not None
        self.world.params_seen(**kwargs)


@dataclass
class FixedWorld:
    """Answers each operation with the bodies given for it (one per call, the last repeated; {} for an
    operation not given), for tests that pin one hostile answer. Answers go through botocore like any."""

    bodies: dict[str, list[dict[str, Any]]]
    calls: Counter[str] = field(default_factory=Counter)
    params: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def params_seen(self, params: dict[str, Any], model: OperationModel, **_: Any) -> None:
        self.params.append((model.name, dict(params)))

    def answer(self, model: OperationModel, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        given = self.bodies.get(model.name) or [{}]
        body = given[min(self.calls[model.name], len(given) - 1)]
        self.calls[model.name] += 1
        return AWSResponse(None, 200, {}, None), {**_copy(body), "ResponseMetadata": {"HTTPStatusCode": 200}}
