"""AWS network reachability: can this open a connection to that, on which ports, through which rules.

The model follows the VPC documentation:
- Security groups are stateful and allow-only: a flow needs some ingress rule of some group on the
  destination's interface and some egress rule of some group on the source's; replies are implied.
  A rule names a CIDR, a security group (matching interfaces that hold it, by private address) or
  a prefix list (whose contents are not collected: "possible").
- Network ACLs are stateless and ordered: per subnet and direction, the lowest-numbered matching
  entry decides and `*` denies. Crossing a subnet boundary needs the destination subnet's inbound
  (service port) and outbound (reply to the client's ephemeral port, 1024-65535) entries, and for a
  source inside a VPC its own subnet's outbound and inbound-reply entries. Traffic within one subnet
  crosses no ACL.
- Routes: longest prefix match in the subnet's table. From the internet only a resource with a
  public address in a subnet whose table sends internet addresses to an internet gateway; NAT is
  egress only. Within a VPC the `local` route; between VPCs a peering route on both sides with the
  same pcx-; transit gateways, appliances and VPN gateways hide the far side: "possible".
- Load balancers (ELBv2 and Classic) have a node in each of their subnets and answer only on their
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
"""

from pcicheck.analyze.aws_reach.facts import FACT_SOURCES, PEER_LIMIT, connected_to, reach_facts
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
    "FACT_SOURCES",
    "GROUP",
    "INSTANCE",
    "NODE_TYPES",
    "PEER_LIMIT",
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
