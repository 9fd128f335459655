"""Documentation of the facts the analyze stage adds under `resource.facts` (moved unchanged from the
former pcicheck/resource_types.py, whose resource types are now declared beside their collectors)."""

from __future__ import annotations

# Facts the analyze stage adds under `resource.facts` (available to every control):
FACTS = {
    "scope": "'cde' or 'non-cde' (Kubernetes objects: from their namespace's labels)",
    "scope_reason": "why: the tag or parent (VPC/subnet) that put it in the CDE, or 'no CDE marker'",
    "tenant": "tenant id (from the tenant tag, or inherited from the VPC/subnet) or null",
    "kms_key_uid": "uid of the KMS key the resource's kms_key_id/encryption names, resolved through "
    "aliases, or null when it names none or a key not in the snapshot",
    "kms_key_tenant": "the tenant tag of that KMS key, or null (no key, key not in the snapshot, untagged key)",
    "kms_key_manager": "that key's manager ('CUSTOMER'|'AWS'), or null when there is no resolved key",
    "key_user_count": "KMS keys only: how many resources in the snapshot name this key",
    "key_tenants": "KMS keys only: the distinct tenants of those resources (null for untenanted ones)",
    "key_other_tenant_users": "KMS keys only: up to 20 {uid, type, tenant} of them whose tenant differs from the key's",
    "network_policy_count": "Kubernetes namespaces only: NetworkPolicies in the namespace",
    "default_deny_ingress": "Kubernetes namespaces only: a policy selects every pod and allows no ingress",
    "default_deny_egress": "Kubernetes namespaces only: a policy selects every pod and allows no egress",
    "has_resource_quota": "Kubernetes namespaces only: a ResourceQuota exists in it",
    "has_limit_range": "Kubernetes namespaces only: a LimitRange exists in it",
    "eks_cluster_uid": "k8s.cluster only: the aws.eks.cluster whose endpoint is this API server, when both "
    "were scanned, else null",
    "k8s_cluster_uid": "aws.eks.cluster only: the scanned k8s.cluster served at its endpoint, else null",
    "pod_scopes": "Kubernetes nodes only: the distinct scopes ('cde'/'non-cde') of the namespaces its pods run in",
    # AWS network reachability (pcicheck/analyze/aws_reach.py) on aws.ec2.instance, aws.rds.instance,
    # aws.elbv2.load_balancer, aws.elb.load_balancer and aws.eks.cluster. A verdict is 'allowed', or 'possible' where
    # something could not be read or is not visible (prefix lists, transit gateways, IPv6 addresses);
    # null means the resource's own placement is unknown. Paths name each rule passed, e.g.
    # "rtb-1 0.0.0.0/0 → igw-1", "acl-1 inbound rule 100 allow", "sg-1 ingress tcp 443 from 0.0.0.0/0".
    "internet_ingress": "AWS: list of {ports ('443/tcp', '8000-8010/tcp', 'all/udp', 'icmp'), verdict, path} on "
    "which some internet address can open connections to it ([] when none), or null. Kubernetes (k8s.workload): "
    "list of texts naming what admits addresses outside the cluster (not isolated for ingress, a rule without "
    "'from', an ipBlock holding internet addresses, hostNetwork)",
    "reachable_from_internet": "AWS: true if some port is allowed from the internet, null if only possible or "
    "unknown, false if none",
    "internet_egress": "aws.ec2.instance only: list of {ports, verdict, path} on which it can open connections to "
    "the internet (through an internet gateway with its public IP, a NAT gateway, …), or null",
    "non_cde_sources": "AWS, CDE resources only: list of non-CDE sources that can reach it: {source (subnet-… "
    "meaning any address in it, or sg-… meaning the resources holding a group its rules name), uid, type, name, "
    "tenant, ports, verdict, path; for groups also members (up to 10 uids), member_count, member_tenants}; "
    "null when its placement is unknown. Kubernetes (k8s.workload, any scope): the non-CDE namespaces with a "
    "pod that can reach one of its pods on some port, as {namespace, verdict}",
    "other_tenant_sources": "AWS, resources with a tenant only: the same entries, for sources whose tenant is "
    "another (subnets) or held by resources of another tenant (groups, see member_tenants). Kubernetes "
    "(k8s.workload, k8s.namespace of a tenant): {namespace, verdict, tenant} for namespaces of another tenant",
    "connected_to_cde": "AWS, non-CDE resources only: links that put it in PCI scope as connected-to, one per CDE "
    "peer {direction ('to-cde'|'from-cde'), peer (uid), peer_type, ports, verdict, via (path)}, at most 10 per "
    "direction; [] when none, null when its placement is unknown. Kubernetes (non-CDE k8s.workload): "
    "{direction, peer (the CDE namespace), verdict}",
    "ingress_sources": "k8s.workload only: every namespace with a pod that can reach one of its pods on some "
    "port (NetworkPolicy reachability, both directions), as {namespace, verdict ('allowed'|'possible')}",
    "internet_egress_cidrs": "k8s.workload only: CIDRs holding internet addresses its egress policies admit "
    "(0.0.0.0/0 and ::/0 when not isolated for egress, a rule has no 'to', or it uses hostNetwork)",
    "any_namespace_ingress": "k8s.workload only: NetworkPolicies selecting it whose ingress admits every "
    "namespace (namespaceSelector: {}), including ones created later",
    "label_selected_ingress": "k8s.workload only: NetworkPolicies selecting it whose ingress selects namespaces "
    "by a label other than kubernetes.io/metadata.name (settable by anyone who may label namespaces)",
    "internet_routes": "aws.ec2.subnet only: routes of its table whose destination holds internet addresses, "
    "as {destination, kind ('igw'|'nat'|'eigw'|'tgw'|'peering'|'vgw'|'endpoint'|'instance'|'interface'|…), "
    "target}; null when the table is unknown",
}
