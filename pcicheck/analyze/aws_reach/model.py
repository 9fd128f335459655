"""The network as read from a snapshot (subnets, route tables, ACLs, security groups and the nodes
that sit in them), the ends and positions of a flow, and verdict arithmetic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pcicheck.analyze.aws_reach.ranges import NAMES, PORTED, Net, ports_text
from pcicheck.analyze.k8s_reach import Verdict

INSTANCE = "aws.ec2.instance"
DATABASE = "aws.rds.instance"
BALANCER = "aws.elbv2.load_balancer"
CLASSIC = "aws.elb.load_balancer"  # Classic Load Balancer (ELB v1)
BALANCERS = (BALANCER, CLASSIC)
CLUSTER = "aws.eks.cluster"
SUBNET = "aws.ec2.subnet"
GROUP = "aws.ec2.security_group"
NODE_TYPES = (INSTANCE, DATABASE, BALANCER, CLASSIC, CLUSTER)

STAR = 32767  # the number AWS gives each ACL's final catch-all entry, shown as '*'

ORDER: dict[str, int] = {"denied": 0, "possible": 1, "allowed": 2}

# Paths are worked out once per shape of network position and shared by every resource of that
# shape; these stand for the two ends until the path is named for one pair.
SRC = "⟨source⟩"
DST = "⟨destination⟩"


def worst(a: Verdict, b: Verdict) -> Verdict:
    return a if ORDER[a] <= ORDER[b] else b


def one_of(verdicts: list[Verdict]) -> Verdict:
    """The answer for something placed in one unknown position among several."""
    if all(v == verdicts[0] for v in verdicts):
        return verdicts[0]
    return "possible"


def name_path(path: Iterable[str], src: str, dst: str) -> list[str]:
    return [p.replace(SRC, src).replace(DST, dst) for p in path]


@dataclass(frozen=True)
class SgRule:
    group: str
    egress: bool
    protocol: int
    low: int
    high: int
    nets: tuple[tuple[Net, str], ...]  # (range, as written)
    groups: tuple[str, ...]
    prefix_lists: tuple[str, ...]

    def covers(self, protocol: int, port: int) -> bool:
        if self.protocol == -1:
            return True
        if self.protocol != protocol:
            return False
        return protocol not in PORTED or self.low <= port <= self.high

    def describe(self, peer: str) -> str:
        what = "all traffic" if self.protocol == -1 else ports_text(self.protocol, self.low, self.high)
        if self.protocol in PORTED:
            name, _, _ = what.partition("/")
            what = f"{NAMES[self.protocol]} {'all' if name == 'all' else name}"
        return f"{self.group} {'egress' if self.egress else 'ingress'} {what} {'to' if self.egress else 'from'} {peer}"


@dataclass(frozen=True)
class Group:
    id: str
    uid: str
    name: str
    ingress: tuple[SgRule, ...] | None  # None: the rules could not be read
    egress: tuple[SgRule, ...] | None


@dataclass(frozen=True)
class AclEntry:
    number: int
    protocol: int
    low: int
    high: int
    net: Net | None  # None: the entry's CIDR is unreadable
    cidr: str
    allow: bool

    def covers(self, protocol: int, low: int, high: int) -> bool:
        """Whether the entry applies to some port of [low, high] for `protocol`."""
        if self.protocol == -1:
            return True
        if self.protocol != protocol:
            return False
        return protocol not in PORTED or (self.low <= high and low <= self.high)


@dataclass(frozen=True)
class Acl:
    id: str
    inbound: tuple[AclEntry, ...] | None  # by rule number; None: entries could not be read
    outbound: tuple[AclEntry, ...] | None


@dataclass(frozen=True)
class Route:
    dest: Net | None  # None: a prefix list (contents not collected)
    dest_text: str
    kind: str  # local | igw | eigw | nat | peering | tgw | vgw | endpoint | instance | interface | gateway | other
    target: str
    prefix: int

    def describe(self, table: str) -> str:
        return f"{table} {self.dest_text} → {self.target}"


@dataclass(frozen=True)
class Subnet:
    id: str
    uid: str
    name: str
    vpc: str | None
    net: Net | None
    table: str | None  # None: the route table is unknown
    acl: str | None  # None: the network ACL is unknown
    scope: str
    tenant: str | None


@dataclass(frozen=True)
class Node:
    """A resource that can be reached or can connect: an instance, a database, a load balancer (ELBv2
    or Classic), or an EKS cluster's API endpoint. Its network shape (`shape`) is everything
    reachability depends on."""

    uid: str
    type: str
    id: str
    name: str
    scope: str
    tenant: str | None
    vpc: str | None
    subnets: tuple[str, ...]
    one_of: bool  # sits in one (unknown) of its subnets, rather than in all of them
    groups: tuple[str, ...] | None  # None: unknown
    filtered: bool  # security groups apply (False: a network load balancer without groups)
    address: Net | None  # the exact private address, when known
    public: bool | None  # has an address the internet can reach
    public_note: str
    ipv6: bool | None  # has IPv6 addresses (None: not collected)
    services: tuple[tuple[int, int, int], ...] | None  # (protocol, low, high) it answers on; None: any
    eks_public: bool | None = None  # EKS: public endpoint on
    eks_cidrs: tuple[tuple[Net, str], ...] | None = None  # EKS: the CIDRs the public endpoint admits
    private: bool | None = True  # reachable on its private addresses (EKS: private endpoint on)
    ec2_classic: bool = False  # a Classic Load Balancer in EC2-Classic: outside every VPC, path not modelled

    @property
    def shape(self) -> tuple[Any, ...]:
        return (
            self.type,
            self.vpc,
            self.subnets,
            self.one_of,
            self.groups,
            self.filtered,
            self.public,
            self.public_note,
            self.ipv6,
            self.services,
            self.eks_public,
            self.eks_cidrs,
            self.private,
            self.ec2_classic,
        )


@dataclass(frozen=True)
class End:
    """One end of a flow: the internet, a range of addresses (a subnet, a CIDR), or a node."""

    label: str
    kind: Literal["internet", "range", "node"]
    net: Net | None = None
    subnet: Subnet | None = None  # a range inside one scanned subnet
    node: Node | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.label, self.net, self.node.shape if self.node else None)


@dataclass(frozen=True)
class Spot:
    """One concrete position and address of an end, as one flow sees it."""

    label: str
    addr: Net
    subnet: Subnet | None
    groups: tuple[str, ...] | None  # () for a bare address
    node: Node | None = None
    internet: bool = False
    external: bool = False  # outside every scanned VPC but not on the internet (on-premises, …)
    missing: str | None = None  # the subnet it sits in is not in the snapshot
    stand_in: bool = False  # `addr` is the subnet standing in for a known exact address


@dataclass(frozen=True)
class Exposure:
    """Ports on which a flow is allowed or possible, and the rules one such flow passes."""

    protocol: int
    low: int
    high: int
    verdict: Verdict
    path: tuple[str, ...]

    @property
    def ports(self) -> str:
        return ports_text(self.protocol, self.low, self.high)


@dataclass(slots=True)
class Trace:
    """The judgement of one flow as it goes: every judge writes its steps here, so the reasons come
    out in the order the flow meets them. Mutable, and never shared between flows."""

    reasons: list[str] = field(default_factory=list)
    split: bool = False  # a rule held only part of a stand-in range: judge the exact address instead
    passed: int = 0  # steps passed before a denial: the denial that got furthest explains best
    verdict: Verdict = "allowed"  # the worst step so far

    def step(self, verdict: Verdict, text: str) -> Verdict:
        """Record one step of the path; returns the verdict of the flow so far."""
        self.reasons.append(text)
        self.passed += verdict == "allowed"
        self.verdict = worst(self.verdict, verdict)
        return self.verdict
