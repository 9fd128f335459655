"""AWS network reachability: can this open a connection to that, on which ports, through which rules.

The model follows the VPC documentation. Security groups (stateful, allow-only), network ACLs
(stateless, ordered, replies on ephemeral ports) and routes (longest prefix match; internet gateway,
NAT, peering; transit gateways and appliances hide the far side) each judge their own leg of a flow,
as security_groups.py, acls.py and routes.py describe; judge.py takes them in the order a packet
meets them.

Load balancers (ELBv2 and Classic) have a node in each of their subnets and answer only on their
listener ports; the scheme says whether they have internet addresses. Forwarding to targets is not
modelled: a balancer reaches its registered instances as any other source would, through its own
groups' egress and the instances' ingress. A Classic balancer in EC2-Classic (no VPC) sits where no
route, ACL or VPC group is seen: every flow to or from it is "possible", except on ports it does not
listen on.

"The internet" is every address outside private, shared, loopback, link-local, multicast and
reserved space and outside every scanned VPC. A set of addresses (the internet, a subnet) is judged
exactly by cutting it at every CIDR boundary the rules in play mention: inside one piece every rule
answers alike, so one address per piece stands for the piece. Ports are cut the same way.

Fail closed: whatever could not be read (an absent attribute, a group or table not in the snapshot)
makes the answer "possible" or the fact null (unknown), never "denied" or false. IPv6 addresses of
instances, databases and subnets are not collected, so an IPv6 path to them is at best "possible".

One job per module:
  ranges           addresses and ports as integer ranges, protocol numbers, the internet's address space
  model            the records (subnets, route tables, ACLs, groups, nodes), the ends of a flow, verdicts
  parse            collected resources → the model
  routes, acls, security_groups
                   one leg of a flow each
  judge            one flow between two concrete positions, end to end
  network          `Network`: naming and placing the ends, every port and position → exposures, decisions
  facts            the facts written on resources (`reach_facts`) and the connected-to systems
"""

from pcicheck.analyze.aws_reach.facts import PEER_LIMIT, REACHABILITY, connected_to, reach_facts
from pcicheck.analyze.aws_reach.model import (
    BALANCER,
    BALANCERS,
    CLASSIC,
    CLUSTER,
    DATABASE,
    GROUP,
    INSTANCE,
    NODE_TYPES,
    STAR,
    SUBNET,
    Acl,
    AclEntry,
    End,
    Exposure,
    Group,
    Node,
    Route,
    SgRule,
    Spot,
    Subnet,
)
from pcicheck.analyze.aws_reach.network import Network
from pcicheck.analyze.aws_reach.ranges import EPHEMERAL, Net

__all__ = [
    "BALANCER",
    "BALANCERS",
    "CLASSIC",
    "CLUSTER",
    "DATABASE",
    "EPHEMERAL",
    "GROUP",
    "INSTANCE",
    "NODE_TYPES",
    "PEER_LIMIT",
    "REACHABILITY",
    "STAR",
    "SUBNET",
    "Acl",
    "AclEntry",
    "End",
    "Exposure",
    "Group",
    "Net",
    "Network",
    "Node",
    "Route",
    "SgRule",
    "Spot",
    "Subnet",
    "connected_to",
    "reach_facts",
]
