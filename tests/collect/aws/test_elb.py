"""Classic Load Balancer collector against the moto server: an internet-facing balancer with an HTTPS
listener, its TLS negotiation policy and access logs, an internal TCP-only one, pagination, and the
fail-closed paths of the per-balancer reads.

moto gaps (5.2.x): AdditionalAttributes is empty until the balancer's attributes are modified (AWS
always lists elb.http.desyncmitigationmode), and SSL negotiation policies keep only the attributes
they were created with (AWS expands a Reference-Security-Policy into its protocols and ciphers).
"""

from __future__ import annotations

from typing import Any

from pcicheck.collect.aws.services.elb import SETTINGS, SPEC, SSL_FIELDS
from pcicheck.collect.conformance import violations
from pcicheck.collect.registry import resource_types
from tests.support.aws_network import two_subnet_vpc

ACCOUNT = "123456789012"
REGION = "eu-west-1"
REFERENCE = "ELBSecurityPolicy-TLS-1-2-2017-01"


def _seed(client: Any) -> dict[str, str]:
    net = two_subnet_vpc(client, REGION, "web")
    vpc, a, b, sg = net.vpc, net.subnet_a, net.subnet_b, net.security_group
    cert = client("acm", REGION).request_certificate(DomainName="pay.example.com")["CertificateArn"]
    elb = client("elb", REGION)
    elb.create_load_balancer(
        LoadBalancerName="web",
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 8080,
                "SSLCertificateId": cert,
            },
            {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080},
        ],
        Subnets=[b, a],
        SecurityGroups=[sg],
        Tags=[{"Key": "Name", "Value": "payments-web"}, {"Key": "pci-scope", "Value": "cde"}],
    )
    elb.create_load_balancer_policy(
        LoadBalancerName="web",
        PolicyName="tls12",
        PolicyTypeName="SSLNegotiationPolicyType",
        PolicyAttributes=[
            {"AttributeName": "Reference-Security-Policy", "AttributeValue": REFERENCE},
            {"AttributeName": "Protocol-TLSv1", "AttributeValue": "false"},
            {"AttributeName": "Protocol-TLSv1.1", "AttributeValue": "false"},
            {"AttributeName": "Protocol-TLSv1.2", "AttributeValue": "true"},
        ],
    )
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="web", LoadBalancerPort=443, PolicyNames=["tls12"])
    elb.modify_load_balancer_attributes(
        LoadBalancerName="web",
        LoadBalancerAttributes={
            "AccessLog": {"Enabled": True, "S3BucketName": "elb-logs", "EmitInterval": 5},
            "ConnectionSettings": {"IdleTimeout": 120},
            "AdditionalAttributes": [{"Key": "elb.http.desyncmitigationmode", "Value": "strictest"}],
        },
    )
    elb.create_load_balancer(
        LoadBalancerName="ledger",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 5432, "InstanceProtocol": "TCP", "InstancePort": 5432}],
        Subnets=[a],
        Scheme="internal",
    )
    return {"vpc": vpc, "a": a, "b": b, "sg": sg, "cert": cert}


def _arn(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{name}"


def test_elb_classic_balancers(client: Any, run_service: Any) -> None:
    seeded = _seed(client)
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == []
    by_name = {r.attributes["name"]: r for r in resources}

    web = by_name["web"]
    assert (web.uid, web.type, web.name, web.region) == (
        _arn("web"),
        "aws.elb.load_balancer",
        "payments-web",
        REGION,
    )
    assert web.tags == {"Name": "payments-web", "pci-scope": "cde"}
    assert web.source == (
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancerPolicies",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
    )
    attrs = dict(web.attributes)
    assert attrs.pop("dns_name").startswith("web")
    listeners = attrs.pop("listeners")
    assert attrs == {
        "arn": _arn("web"),
        "name": "web",
        "scheme": "internet-facing",
        "vpc_id": seeded["vpc"],
        "subnet_ids": sorted([seeded["a"], seeded["b"]]),
        "security_groups": [seeded["sg"]],
        "availability_zones": [],  # moto leaves the zones of a subnet-placed balancer empty
        "instance_ids": [],
        "access_logs_enabled": True,
        "access_logs_bucket": "elb-logs",
        "idle_timeout_seconds": 120,
        "desync_mitigation_mode": "strictest",
    }
    http, https = listeners
    assert (http["port"], http["protocol"], http["certificate_id"], http["ssl_protocols"]) == (80, "HTTP", None, None)
    assert https == {
        "port": 443,
        "protocol": "HTTPS",
        "instance_port": 8080,
        "instance_protocol": https["instance_protocol"],  # moto echoes the front protocol here
        "certificate_id": seeded["cert"],
        "policy_names": ["tls12"],
        "ssl_policy": REFERENCE,
        "ssl_protocols": ["TLSv1.2"],
    }
    assert set(resource_types()["aws.elb.load_balancer"].attributes) == set(web.attributes)
    assert violations(web) == []  # kinds and nullability as declared

    ledger = by_name["ledger"]
    assert (ledger.name, ledger.tags, ledger.attributes["scheme"]) == ("ledger", {}, "internal")
    assert ledger.attributes["listeners"][0]["protocol"] == "TCP"
    assert ledger.attributes["access_logs_enabled"] is False
    # moto gap: no desync mode until the attributes are modified; unknown, so absent rather than a default.
    assert "desync_mitigation_mode" not in ledger.attributes
    # A balancer without HTTPS/SSL listeners needs no policy read.
    assert "elasticloadbalancing:DescribeLoadBalancerPolicies" not in ledger.source

    assert set(calls) == set(SPEC.permissions)
    assert calls["elasticloadbalancing:DescribeTags"] == 1  # both names in one batch
    assert calls["elasticloadbalancing:DescribeLoadBalancerPolicies"] == 1


def test_elb_listing_pages(client: Any, run_service: Any) -> None:
    elb = client("elb", REGION)
    listener = {"Protocol": "TCP", "LoadBalancerPort": 80, "InstanceProtocol": "TCP", "InstancePort": 80}
    for i in range(52):  # moto pages at 50; DescribeTags batches at 20
        elb.create_load_balancer(LoadBalancerName=f"lb{i:02d}", Listeners=[listener], AvailabilityZones=[f"{REGION}a"])
    resources, errors, calls = run_service(SPEC, REGION)
    assert errors == [] and len(resources) == 52
    assert calls["elasticloadbalancing:DescribeLoadBalancers"] == 2
    assert calls["elasticloadbalancing:DescribeTags"] == 3


def test_elb_empty_region(run_service: Any) -> None:
    resources, errors, calls = run_service(SPEC, REGION)
    assert (resources, errors) == ([], [])
    assert calls == {"elasticloadbalancing:DescribeLoadBalancers": 1}


def _run_denied(client: Any, aws: Any, operation: str) -> tuple[dict[str, Any], Any]:
    from tests.collect.aws.test_iam import deny, run_with_hooks

    _seed_in_us_east_1(client)
    resources, ctx = run_with_hooks(
        aws, SPEC, {f"before-parameter-build.elastic-load-balancing.{operation}": deny(operation)}
    )
    return {r.attributes["name"]: r for r in resources}, ctx


def _seed_in_us_east_1(client: Any) -> None:
    # run_with_hooks scans us-east-1; a plain-HTTP and an SSL balancer are enough there.
    elb = client("elb")
    cert = client("acm").request_certificate(DomainName="pay.example.com")["CertificateArn"]
    elb.create_load_balancer(
        LoadBalancerName="web",
        Listeners=[
            {
                "Protocol": "SSL",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "TCP",
                "InstancePort": 8443,
                "SSLCertificateId": cert,
            }
        ],
        AvailabilityZones=["us-east-1a"],
    )
    elb.create_load_balancer(
        LoadBalancerName="plain",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}],
        AvailabilityZones=["us-east-1a"],
    )


def test_elb_attributes_denied(client: Any, aws: Any) -> None:
    """DescribeLoadBalancerAttributes refused: logging and desync settings are absent, never "off"."""
    by_name, ctx = _run_denied(client, aws, "DescribeLoadBalancerAttributes")
    for lb in by_name.values():
        assert not set(SETTINGS) & set(lb.attributes)
        assert "listeners" in lb.attributes
    assert sorted(e.resource_uid for e in ctx.errors) == sorted(
        f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/{n}" for n in ("plain", "web")
    )
    assert all(e.attributes == SETTINGS for e in ctx.errors)


def test_elb_policies_denied(client: Any, aws: Any) -> None:
    """DescribeLoadBalancerPolicies refused: the SSL listener's negotiation fields are left out (unknown);
    the plain balancer is not asked and keeps null (not TLS)."""
    by_name, ctx = _run_denied(client, aws, "DescribeLoadBalancerPolicies")
    [ssl] = by_name["web"].attributes["listeners"]
    assert ssl["protocol"] == "SSL" and not set(SSL_FIELDS) & set(ssl)
    [http] = by_name["plain"].attributes["listeners"]
    assert (http["ssl_policy"], http["ssl_protocols"]) == (None, None)
    [error] = ctx.errors
    assert (error.operation, error.attributes) == ("DescribeLoadBalancerPolicies", SSL_FIELDS)
    assert error.resource_uid.endswith("loadbalancer/web")


def test_elb_tags_denied(client: Any, aws: Any) -> None:
    """DescribeTags refused: every balancer gets an error naming 'tags' (its scope is then unknown)."""
    by_name, ctx = _run_denied(client, aws, "DescribeTags")
    assert set(by_name) == {"plain", "web"} and all(r.tags == {} for r in by_name.values())
    assert all(e.attributes == ("tags",) and e.operation == "DescribeTags" for e in ctx.errors)
    assert len(ctx.errors) == 2
