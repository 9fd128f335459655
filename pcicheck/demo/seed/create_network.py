"""Create the network and what runs in it: VPCs with their subnets, security groups and network ACL
entries, peerings, load balancers, instances, volumes and RDS instances."""

from __future__ import annotations

from typing import Any

from pcicheck.demo.seed.records import (
    DB_INSTANCE,
    DB_SUBNET_GROUP,
    FLOW_LOG,
    INSTANCE,
    INTERNET_GATEWAY,
    LOAD_BALANCER,
    NACL_ENTRY,
    PEERING,
    ROUTE_TABLE,
    SECURITY_GROUP,
    SUBNET,
    VOLUME,
    VPC,
    Database,
    Instance,
    LoadBalancer,
    Peering,
    Region,
    RootVolume,
    Rule,
    Volume,
    Vpc,
)
from pcicheck.demo.seed.seeder import PLACEHOLDER_SECRET, Seeder, ec2_tags, kv


def vpc(seeder: Seeder, v: Vpc) -> None:
    ec2 = seeder.client("ec2", v.region)
    with seeder.step(VPC, v.name):
        vpc_id = ec2.create_vpc(CidrBlock=v.cidr, TagSpecifications=ec2_tags("vpc", v.name, v.tags))["Vpc"]["VpcId"]
        seeder.record(VPC, v.name, v.region, vpc_id)
        _flow_logs(seeder, ec2, v, vpc_id)
    _subnets(seeder, ec2, v, vpc_id)
    _security_groups(seeder, ec2, v, vpc_id)
    if v.nacl_entries:
        _nacl_entries(seeder, ec2, v, vpc_id)


def _flow_logs(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> None:
    destination: dict[str, Any]
    if v.flow_logs_bucket is not None:
        destination = {"LogDestinationType": "s3", "LogDestination": seeder.id(v.flow_logs_bucket)}
    elif v.flow_logs_log_group is not None:
        destination = {
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": v.flow_logs_log_group,
            "DeliverLogsPermissionArn": v.flow_logs_role_arn,
        }
    else:
        return
    flow = ec2.create_flow_logs(
        ResourceIds=[vpc_id], ResourceType="VPC", TrafficType=v.flow_logs_traffic, **destination
    )
    seeder.record(FLOW_LOG, v.name, v.region, flow["FlowLogIds"][0])


def _subnets(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> None:
    public_rt: str | None = None  # one public route table per VPC, made with its first public subnet
    for s in v.subnets:
        with seeder.step(SUBNET, s.name):
            subnet_id = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=s.cidr,
                AvailabilityZone=s.az,
                TagSpecifications=ec2_tags("subnet", s.name, s.tags),
            )["Subnet"]["SubnetId"]
            seeder.record(SUBNET, s.name, v.region, subnet_id)
            seeder.extra[(SUBNET, s.name)] = s.az
            if s.map_public_ip_on_launch:
                ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
            if s.public:
                public_rt = public_rt or _internet_route(seeder, ec2, v, vpc_id)
                ec2.associate_route_table(RouteTableId=public_rt, SubnetId=subnet_id)


def _internet_route(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> str:
    igw_tags = ec2_tags("internet-gateway", f"{v.name}-igw", {})
    igw = ec2.create_internet_gateway(TagSpecifications=igw_tags)["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    seeder.record(INTERNET_GATEWAY, f"{v.name}-igw", v.region, igw)
    rt_tags = ec2_tags("route-table", f"{v.name}-public", {})
    rt: str = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=rt_tags)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    seeder.record(ROUTE_TABLE, f"{v.name}-public", v.region, rt)
    return rt


def _security_groups(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> None:
    for g in v.security_groups:
        with seeder.step(SECURITY_GROUP, g.name):
            sg_id = ec2.create_security_group(
                GroupName=g.name,
                Description=g.description,
                VpcId=vpc_id,
                TagSpecifications=ec2_tags("security-group", g.name, g.tags),
            )["GroupId"]
            seeder.record(SECURITY_GROUP, g.name, v.region, sg_id)
    # Rules after all groups exist: a rule may name a group declared below it.
    if v.restrict_default_security_group:
        _restrict_default_group(seeder, ec2, v, vpc_id)
    for g in v.security_groups:
        if g.ingress:
            with seeder.step(SECURITY_GROUP, g.name):
                ec2.authorize_security_group_ingress(
                    GroupId=seeder.ids[(SECURITY_GROUP, g.name)],
                    IpPermissions=[_permission(seeder, r) for r in g.ingress],
                )


def _restrict_default_group(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> None:
    with seeder.step(VPC, v.name):
        default = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]
        if default["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=default["GroupId"], IpPermissions=default["IpPermissions"])
        if default["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])


def _permission(seeder: Seeder, r: Rule) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": r.protocol}
    if r.from_port is not None:
        perm["FromPort"], perm["ToPort"] = r.from_port, r.to_port
    extra = {"Description": r.description} if r.description else {}
    if r.cidrs:
        perm["IpRanges"] = [{"CidrIp": c, **extra} for c in r.cidrs]
    if r.groups:
        perm["UserIdGroupPairs"] = [{"GroupId": seeder.id(g), **extra} for g in r.groups]
    return perm


def _nacl_entries(seeder: Seeder, ec2: Any, v: Vpc, vpc_id: str) -> None:
    """Entries go into the VPC's default network ACL, which every subnet uses."""
    with seeder.step(VPC, v.name):
        acl_id = ec2.describe_network_acls(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
        )["NetworkAcls"][0]["NetworkAclId"]
        for entry in v.nacl_entries:
            args: dict[str, Any] = {
                "NetworkAclId": acl_id,
                "RuleNumber": entry.rule,
                "Protocol": entry.protocol,
                "RuleAction": entry.action,
                "Egress": entry.egress,
                "CidrBlock": entry.cidr,
            }
            if entry.from_port is not None:
                args["PortRange"] = {"From": entry.from_port, "To": entry.to_port}
            ec2.create_network_acl_entry(**args)
            seeder.record(NACL_ENTRY, f"{v.name}#{entry.rule}{'-egress' if entry.egress else ''}", v.region, acl_id)


def peerings(seeder: Seeder, r: Region) -> None:
    """A region's peerings; a route to the other side needs that VPC's CIDR."""
    vpcs = {v.name: v for v in r.vpcs}
    for p in r.peerings:
        peering(seeder, p, vpcs)


def peering(seeder: Seeder, p: Peering, vpcs: dict[str, Vpc]) -> None:
    ec2 = seeder.client("ec2", p.region)
    with seeder.step(PEERING, p.name):
        pcx = ec2.create_vpc_peering_connection(VpcId=seeder.id(p.requester), PeerVpcId=seeder.id(p.accepter))[
            "VpcPeeringConnection"
        ]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        for side in p.routes:
            other = p.accepter if side.name == p.requester.name else p.requester
            main = ec2.describe_route_tables(
                Filters=[
                    {"Name": "vpc-id", "Values": [seeder.id(side)]},
                    {"Name": "association.main", "Values": ["true"]},
                ]
            )["RouteTables"][0]["RouteTableId"]
            ec2.create_route(RouteTableId=main, DestinationCidrBlock=vpcs[other.name].cidr, VpcPeeringConnectionId=pcx)
    seeder.record(PEERING, p.name, p.region, pcx)


def load_balancer(seeder: Seeder, b: LoadBalancer) -> None:
    elb = seeder.client("elbv2", b.region)
    with seeder.step(LOAD_BALANCER, b.name):
        arn = elb.create_load_balancer(
            Name=b.name,
            Subnets=[seeder.id(s) for s in b.subnets],
            SecurityGroups=[seeder.id(g) for g in b.security_groups],
            Scheme=b.scheme,
            Type="application",
            Tags=kv(b.tags),
        )["LoadBalancers"][0]["LoadBalancerArn"]
        seeder.record(LOAD_BALANCER, b.name, b.region, arn)
        for listener in b.listeners:
            args: dict[str, Any] = {"LoadBalancerArn": arn, "Protocol": listener.protocol, "Port": listener.port}
            if listener.certificate is not None:
                args["Certificates"] = [{"CertificateArn": seeder.certificate(b.region, listener.certificate)}]
                args["SslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
            if listener.action == "redirect-https":
                redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
                args["DefaultActions"] = [{"Type": "redirect", "RedirectConfig": redirect}]
            else:
                fixed = {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "ok"}
                args["DefaultActions"] = [{"Type": "fixed-response", "FixedResponseConfig": fixed}]
            elb.create_listener(**args)


def instance(seeder: Seeder, i: Instance) -> None:
    ec2 = seeder.client("ec2", i.region)
    groups = [seeder.id(g) for g in i.security_groups]
    args: dict[str, Any] = {
        "ImageId": i.image,
        "InstanceType": i.instance_type,
        "MinCount": 1,
        "MaxCount": 1,
        "MetadataOptions": {"HttpTokens": i.http_tokens, "HttpEndpoint": "enabled"},
        "TagSpecifications": ec2_tags("instance", i.name, i.tags),
    }
    if i.public_ip is None:
        args.update(SubnetId=seeder.id(i.subnet), SecurityGroupIds=groups)
    else:
        # Only the network-interface form can ask for (or refuse) a public IP per instance.
        args["NetworkInterfaces"] = [
            {
                "DeviceIndex": 0,
                "SubnetId": seeder.id(i.subnet),
                "Groups": groups,
                "AssociatePublicIpAddress": i.public_ip,
            }
        ]
    with seeder.step(INSTANCE, i.name):
        if i.root_volume is not None:
            args["BlockDeviceMappings"] = [_root_mapping(seeder, ec2, i.image, i.root_volume)]
        instance_id = ec2.run_instances(**args)["Instances"][0]["InstanceId"]
        if i.public_ip is not None and groups:
            # moto keeps network-interface groups off the instance's own SecurityGroups list;
            # setting them again (a no-op on AWS) makes both views agree.
            ec2.modify_instance_attribute(InstanceId=instance_id, Groups=groups)
    seeder.record(INSTANCE, i.name, i.region, instance_id)
    seeder.extra[(INSTANCE, i.name)] = seeder.extra[(SUBNET, i.subnet.name)]


def _root_mapping(seeder: Seeder, ec2: Any, image: str, root: RootVolume) -> dict[str, Any]:
    # The root device is the AMI's own ("/dev/sda1", "/dev/xvda"...): a mapping under another
    # name would add a second volume instead of configuring the root one.
    if ("image", image) not in seeder.extra:
        found = ec2.describe_images(ImageIds=[image])["Images"][0]
        device = found.get("RootDeviceName", "/dev/sda1")
        size = next(
            (
                m["Ebs"].get("VolumeSize")
                for m in found.get("BlockDeviceMappings", [])
                if m.get("DeviceName") == device and "Ebs" in m
            ),
            None,
        )
        seeder.extra[("image", image)] = (device, size or 8)
    device, image_size = seeder.extra[("image", image)]
    # AWS would take the size from the AMI's snapshot; moto insists on one being given.
    ebs: dict[str, Any] = {
        "Encrypted": root.encrypted,
        "DeleteOnTermination": True,
        "VolumeSize": root.size_gib or image_size,
    }
    if root.kms_key is not None:
        ebs["KmsKeyId"] = seeder.id(root.kms_key)
    return {"DeviceName": device, "Ebs": ebs}


def volume(seeder: Seeder, v: Volume) -> None:
    ec2 = seeder.client("ec2", v.region)
    az = v.az if v.attach_to is None else seeder.extra[(INSTANCE, v.attach_to.name)]
    args: dict[str, Any] = {
        "AvailabilityZone": az,
        "Size": v.size_gib,
        "Encrypted": v.encrypted,
        "TagSpecifications": ec2_tags("volume", v.name, v.tags),
    }
    if v.kms_key is not None:
        args["KmsKeyId"] = seeder.id(v.kms_key)
    with seeder.step(VOLUME, v.name):
        volume_id = ec2.create_volume(**args)["VolumeId"]
        seeder.record(VOLUME, v.name, v.region, volume_id)
        if v.attach_to is not None:
            ec2.attach_volume(VolumeId=volume_id, InstanceId=seeder.id(v.attach_to), Device=v.device)


def database(seeder: Seeder, d: Database) -> None:
    rds = seeder.client("rds", d.region)
    group = f"{d.name}-subnets"
    with seeder.step(DB_INSTANCE, d.name):
        rds.create_db_subnet_group(
            DBSubnetGroupName=group,
            DBSubnetGroupDescription=f"subnets of {d.name}",
            SubnetIds=[seeder.id(s) for s in d.subnets],
        )
        seeder.record(DB_SUBNET_GROUP, group, d.region, group)
        args: dict[str, Any] = {
            "DBInstanceIdentifier": d.name,
            "Engine": d.engine,
            "DBInstanceClass": d.instance_class,
            "AllocatedStorage": d.storage_gib,
            "MasterUsername": "demo_admin",
            "MasterUserPassword": PLACEHOLDER_SECRET,
            "StorageEncrypted": d.encrypted,
            "PubliclyAccessible": d.publicly_accessible,
            "DBSubnetGroupName": group,
            "VpcSecurityGroupIds": [seeder.id(g) for g in d.security_groups],
            "Tags": kv(d.tags),
        }
        if d.engine_version:
            args["EngineVersion"] = d.engine_version
        if d.backup_retention_days is not None:
            args["BackupRetentionPeriod"] = d.backup_retention_days
        if d.deletion_protection:
            args["DeletionProtection"] = True
        if d.iam_auth:
            args["EnableIAMDatabaseAuthentication"] = True
        if d.ca_certificate:
            args["CACertificateIdentifier"] = d.ca_certificate
        if d.kms_key is not None:
            args["KmsKeyId"] = seeder.id(d.kms_key)
        arn = rds.create_db_instance(**args)["DBInstance"]["DBInstanceArn"]
    seeder.record(DB_INSTANCE, d.name, d.region, arn)
