# Cases for the custom Checkov policies in controls/checkov/policies (tests/iac/test_policies.py).
resource "aws_security_group" "open_pg" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "open_https_private_pg" {
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
resource "aws_security_group" "v6_range" {
  ingress {
    from_port        = 1024
    to_port          = 65535
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }
}
resource "aws_security_group" "all" {
  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "none" {
  name = "x"
}
resource "aws_security_group_rule" "open_mysql" {
  type        = "ingress"
  from_port   = 3306
  to_port     = 3306
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
resource "aws_security_group_rule" "open_https" {
  type        = "ingress"
  from_port   = 443
  to_port     = 443
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
resource "aws_security_group_rule" "egress_all" {
  type        = "egress"
  from_port   = 0
  to_port     = 0
  protocol    = "-1"
  cidr_blocks = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
resource "aws_security_group_rule" "private_redis" {
  type        = "ingress"
  from_port   = 6379
  to_port     = 6379
  protocol    = "tcp"
  cidr_blocks = ["10.0.0.0/8"]
  security_group_id = "sg-1"
}
resource "aws_vpc_security_group_ingress_rule" "open_mongo" {
  security_group_id = "sg-1"
  cidr_ipv4   = "0.0.0.0/0"
  from_port   = 27017
  to_port     = 27017
  ip_protocol = "tcp"
}
resource "aws_vpc_security_group_ingress_rule" "all_v6" {
  security_group_id = "sg-1"
  cidr_ipv6   = "::/0"
  ip_protocol = "-1"
}
resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = "sg-1"
  cidr_ipv4   = "0.0.0.0/0"
  from_port   = 443
  to_port     = 443
  ip_protocol = "tcp"
}
resource "aws_vpc_security_group_ingress_rule" "private_pg" {
  security_group_id = "sg-1"
  cidr_ipv4   = "10.0.0.0/8"
  from_port   = 5432
  to_port     = 5432
  ip_protocol = "tcp"
}
# protocol -1 written as a number: all traffic to AWS, and no string comparison matches it.
resource "aws_security_group" "all_numeric" {
  ingress {
    from_port   = 0
    to_port     = 0
    protocol    = -1
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group_rule" "all_numeric" {
  type              = "ingress"
  from_port         = 0
  to_port           = 0
  protocol          = -1
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
resource "aws_vpc_security_group_ingress_rule" "all_numeric" {
  security_group_id = "sg-1"
  ip_protocol       = -1
  cidr_ipv4         = "0.0.0.0/0"
}
# Values Checkov cannot resolve (variables without a default).
variable "allowed" {}
variable "port" {}
variable "protocol" {}
resource "aws_security_group" "unresolved_source_pg" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = var.allowed
  }
}
resource "aws_security_group" "unresolved_source_https" {
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.allowed
  }
}
resource "aws_security_group_rule" "unresolved_port" {
  type              = "ingress"
  from_port         = var.port
  to_port           = var.port
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-1"
}
resource "aws_security_group_rule" "unresolved_port_private" {
  type              = "ingress"
  from_port         = var.port
  to_port           = var.port
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
  security_group_id = "sg-1"
}
resource "aws_vpc_security_group_ingress_rule" "unresolved_protocol" {
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = var.protocol
  from_port         = 443
  to_port           = 443
}
resource "aws_vpc_security_group_ingress_rule" "unresolved_protocol_pg" {
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = var.protocol
  from_port         = 5432
  to_port           = 5432
}
