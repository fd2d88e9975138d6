"""The proactive controls: one table of Guard rules, and the rules file generated from it.

Each row says what it enforces, on which resource types, which Control Tower
proactive control it matches (where one does) and the Guard clauses that
check one resource. :func:`guard_rules` writes the rules file the hooks read
from it, deterministically: the same table gives the same bytes, so the S3
object (and the version every hook pins) changes only when a rule does.

The rules are written for the input a Guard hook evaluates on resource
operations (``TargetOperations: RESOURCE`` and ``CLOUD_CONTROL``): one
resource under ``Resources.<logical id>`` with ``ResourceType`` and
``ResourceProperties`` (intrinsic functions already resolved).
See: https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-write-rules.html
:func:`hook_input` turns a template into that shape, so the same file runs
offline against fixtures and the landing zone's own templates
(tests/test_proactive_rules.py).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Where each Control Tower id below is documented (proactive controls are
#: CloudFormation Guard rules; "Control behavior: Proactive").
CT_S3 = "https://docs.aws.amazon.com/controltower/latest/controlreference/s3-rules.html"
CT_IAM = "https://docs.aws.amazon.com/controltower/latest/controlreference/iam-rules.html"
CT_LAMBDA = "https://docs.aws.amazon.com/controltower/latest/controlreference/lambda-rules.html"
CT_EC2 = "https://docs.aws.amazon.com/controltower/latest/controlreference/ec2-rules.html"
CT_RDS = "https://docs.aws.amazon.com/controltower/latest/controlreference/rds-rules.html"
# The same ids head the Control Tower rule files the npm package
# @cdklabs/cdk-validator-cfnguard ships (rules/control-tower/cfn-guard/<service>/),
# which is where the EC2 and RDS ones were read.

# Guard compares a boolean with a boolean; a value that arrives as the string
# "true" (CloudFormation accepts either for a Boolean property) must pass too.
TRUE = '[true, "true"]'
FALSE = '[false, "false"]'
# IpProtocol: a name, or its number as a string or an integer; -1 is every protocol.
# The name is matched in any case ("TCP" as well as "tcp"): a rule that only
# knows the lower-case spelling is passed by the upper-case one.
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-security-group-ingress.html
ALL_PROTOCOLS = '["-1", -1]'
PORT_PROTOCOLS = "[/(?i)^(tcp|udp|6|17)$/, 6, 17]"
#: The whole IPv4 or IPv6 internet in any spelling: every CIDR of prefix length
#: 0 ("0.0.0.0/0", "::/0", "::0/0", "0:0:0:0:0:0:0:0/0").
WORLD = r"/\/0$/"
#: The remote administration ports no security group may open to the world:
#: SSH and RDP (RDP listens on TCP and UDP 3389).
ADMIN_PORTS = (22, 3389)


@dataclass(frozen=True)
class ProactiveRule:
    """One Guard rule: what it enforces, where, and its clauses over one resource."""

    #: The Guard rule name (what a blocked stack's hook message names).
    id: str
    enforces: str
    resource_types: tuple[str, ...]
    #: Control Tower proactive controls with the same intent (empty: none matched).
    control_tower: tuple[str, ...]
    #: Where the Control Tower ids are documented.
    reference: str
    #: What the developer is told to do, shown in the hook's message.
    fix: str
    #: Guard clauses run inside ``%<var>.ResourceProperties { ... }`` per resource type;
    #: ``{type: clauses}``.
    clauses: Mapping[str, str]


# One ingress rule (a SecurityGroupIngress entry, or the properties of an
# AWS::EC2::SecurityGroupIngress): open to the world, it may carry no admin
# port. FromPort and ToPort bound the range; -1 as protocol opens every port.
# A port may be written as a number or a string (CloudFormation accepts both
# for an Integer), and Guard does not compare a string with a number:
# parse_int reads either, so "0" to "65535" is caught and "443" passes.
# (Guard 3.0.1 and later.) See: https://github.com/aws-cloudformation/cloudformation-guard/blob/main/docs/FUNCTIONS.md
_INGRESS = f"""\
when CidrIp == {WORLD} or CidrIpv6 == {WORLD} {{
    IpProtocol not in {ALL_PROTOCOLS}
    when IpProtocol in {PORT_PROTOCOLS} {{
        FromPort exists
        ToPort exists
        let from_port = parse_int(FromPort)
        let to_port = parse_int(ToPort)
{chr(10).join(f"        %from_port > {port} or %to_port < {port}" for port in ADMIN_PORTS)}
    }}
}}"""


def _each(path: str, clauses: str) -> str:
    """``clauses`` for every element of the optional list at ``path`` (absent: nothing to check)."""
    head = path.split("[", 1)[0]
    return (
        f"when {head} exists {{\n    {path} {{\n{textwrap.indent(clauses, '        ')}\n    }}\n}}"
    )


# An Allow statement may not have "*" among its actions and among its
# resources at once (Guard compares every element of a list: != holds only
# when no element is "*"). Statement, Action and Resource may each be one
# value or a list. See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
_NO_ADMIN = """\
when Effect == "Allow" {
    Action != "*" or Resource != "*"
}"""
_IAM_INLINE = _each("Policies[*].PolicyDocument.Statement[*]", _NO_ADMIN)
_IAM_DOCUMENT = f"PolicyDocument.Statement[*] {{\n{textwrap.indent(_NO_ADMIN, '    ')}\n}}"

RULES: tuple[ProactiveRule, ...] = (
    ProactiveRule(
        id="S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
        enforces="S3 buckets turn on all four Block Public Access settings.",
        resource_types=("AWS::S3::Bucket",),
        control_tower=("CT.S3.PR.1",),
        reference=CT_S3,
        fix="set PublicAccessBlockConfiguration with BlockPublicAcls, BlockPublicPolicy, "
        "IgnorePublicAcls and RestrictPublicBuckets all true",
        clauses={
            "AWS::S3::Bucket": "\n".join(
                f"PublicAccessBlockConfiguration.{setting} in {TRUE}"
                for setting in (
                    "BlockPublicAcls",
                    "BlockPublicPolicy",
                    "IgnorePublicAcls",
                    "RestrictPublicBuckets",
                )
            )
        },
    ),
    ProactiveRule(
        id="S3_BUCKET_ENCRYPTED",
        enforces="S3 buckets name their default encryption (SSE-S3, SSE-KMS or DSSE-KMS).",
        resource_types=("AWS::S3::Bucket",),
        # CT.S3.PR.10 requires SSE-KMS; this rule accepts SSE-S3 as well.
        control_tower=(),
        reference="https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
        "aws-properties-s3-bucket-serversideencryptionbydefault.html",
        fix="set BucketEncryption.ServerSideEncryptionConfiguration with an SSEAlgorithm "
        "(aws:kms, aws:kms:dsse or AES256)",
        clauses={
            "AWS::S3::Bucket": "BucketEncryption.ServerSideEncryptionConfiguration[*]"
            ".ServerSideEncryptionByDefault.SSEAlgorithm in "
            '["aws:kms", "aws:kms:dsse", "AES256"]'
        },
    ),
    ProactiveRule(
        id="EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        enforces="Security groups do not open SSH (22) or RDP (3389), or every protocol, to "
        "0.0.0.0/0 or ::/0.",
        resource_types=("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"),
        # CT.EC2.PR.4 blocks 24 high-risk ports, 22 and 3389 among them: stricter.
        control_tower=("CT.EC2.PR.4",),
        reference=CT_EC2,
        fix="allow 22 and 3389 from a known CIDR or a security group (or use Session "
        "Manager), never from 0.0.0.0/0 or ::/0",
        clauses={
            "AWS::EC2::SecurityGroup": _each("SecurityGroupIngress[*]", _INGRESS),
            "AWS::EC2::SecurityGroupIngress": _INGRESS,
        },
    ),
    ProactiveRule(
        id="EBS_VOLUME_ENCRYPTED",
        enforces="EBS volumes are encrypted.",
        resource_types=("AWS::EC2::Volume",),
        control_tower=("CT.EC2.PR.7",),
        reference=CT_EC2,
        fix="set Encrypted: true (and KmsKeyId for a customer managed key)",
        clauses={"AWS::EC2::Volume": f"Encrypted in {TRUE}"},
    ),
    ProactiveRule(
        id="RDS_STORAGE_ENCRYPTED",
        enforces="RDS DB instances and clusters encrypt their storage (an instance of a "
        "cluster inherits the cluster's).",
        resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
        control_tower=("CT.RDS.PR.24", "CT.RDS.PR.16"),
        reference=CT_RDS,
        fix="set StorageEncrypted: true (on the DBCluster for Aurora)",
        clauses={
            # An Aurora instance takes its encryption from its cluster
            # (StorageEncrypted does not apply to it); the cluster is checked.
            "AWS::RDS::DBInstance": f"when DBClusterIdentifier !exists {{\n"
            f"    StorageEncrypted in {TRUE}\n}}",
            "AWS::RDS::DBCluster": f"StorageEncrypted in {TRUE}",
        },
    ),
    ProactiveRule(
        id="RDS_INSTANCE_NOT_PUBLIC",
        enforces="RDS DB instances say PubliclyAccessible: false.",
        resource_types=("AWS::RDS::DBInstance",),
        control_tower=("CT.RDS.PR.23",),
        reference=CT_RDS,
        # Explicit, because the default depends on the subnet group: without
        # one (the default VPC) an instance is publicly accessible.
        fix="set PubliclyAccessible: false (the default without a DB subnet group is true)",
        clauses={"AWS::RDS::DBInstance": f"PubliclyAccessible in {FALSE}"},
    ),
    ProactiveRule(
        id="LAMBDA_URL_IAM_AUTH",
        enforces="Lambda function URLs use AWS_IAM authentication.",
        resource_types=("AWS::Lambda::Url",),
        control_tower=("CT.LAMBDA.PR.5",),
        reference=CT_LAMBDA,
        fix="set AuthType: AWS_IAM (put CloudFront with origin access control in front for "
        "public traffic)",
        clauses={"AWS::Lambda::Url": 'AuthType == "AWS_IAM"'},
    ),
    ProactiveRule(
        id="IAM_NO_ADMIN_POLICY",
        enforces='No IAM policy (managed, or inline on a role, user or group) allows Action "*" '
        'on Resource "*".',
        resource_types=(
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::Policy",
            "AWS::IAM::Role",
            "AWS::IAM::User",
            "AWS::IAM::Group",
            # The single-principal inline policy types: the same document.
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-rolepolicy.html
            "AWS::IAM::RolePolicy",
            "AWS::IAM::UserPolicy",
            "AWS::IAM::GroupPolicy",
        ),
        control_tower=("CT.IAM.PR.1", "CT.IAM.PR.2"),
        reference=CT_IAM,
        fix="name the actions and resources the principal needs; full administrator access "
        "comes from the privileged roles, not from workload stacks",
        clauses={
            "AWS::IAM::ManagedPolicy": _IAM_DOCUMENT,
            "AWS::IAM::Policy": _IAM_DOCUMENT,
            "AWS::IAM::Role": _IAM_INLINE,
            "AWS::IAM::User": _IAM_INLINE,
            "AWS::IAM::Group": _IAM_INLINE,
            "AWS::IAM::RolePolicy": _IAM_DOCUMENT,
            "AWS::IAM::UserPolicy": _IAM_DOCUMENT,
            "AWS::IAM::GroupPolicy": _IAM_DOCUMENT,
        },
    ),
)

BY_ID: dict[str, ProactiveRule] = {rule.id: rule for rule in RULES}

#: Every resource type a rule reads: the hook's target names.
TARGET_TYPES: tuple[str, ...] = tuple(
    sorted({resource_type for rule in RULES for resource_type in rule.resource_types})
)

HEADER = """\
# Generated by landing_zone/proactive/rules.py from its rule table: do not edit.
# Input: a Guard hook's resource input (Resources.<id>.ResourceType and
# ResourceProperties). See docs/response.md, "Proactive controls".
"""


def _variable(rule: ProactiveRule, resource_type: str) -> str:
    return f"{rule.id.lower()}_{resource_type.split('::', 1)[1].replace('::', '_').lower()}"


def _message(rule: ProactiveRule) -> str:
    controls = f" ({', '.join(rule.control_tower)})" if rule.control_tower else ""
    return f"{rule.id}{controls}: {rule.enforces} Fix: {rule.fix}."


def _with_messages(clauses: str, rule: ProactiveRule) -> str:
    """``clauses`` with the rule's message on every clause (Guard attaches a message to one
    clause, and reports the message of each clause that fails)."""
    return "\n".join(
        line
        if line.rstrip().endswith(("{", "}")) or line.lstrip().startswith("let ")
        else f"{line} <<{_message(rule)}>>"
        for line in clauses.splitlines()
    )


def guard_rule(rule: ProactiveRule) -> str:
    """One rule's Guard text: a filter per resource type and a block per type."""
    lets = [
        f'let {_variable(rule, t)} = Resources.*[ ResourceType == "{t}" ]'
        for t in rule.resource_types
    ]
    any_present = " or ".join(f"%{_variable(rule, t)} !empty" for t in rule.resource_types)
    blocks = []
    for resource_type in rule.resource_types:
        variable = _variable(rule, resource_type)
        body = textwrap.indent(_with_messages(rule.clauses[resource_type], rule), "            ")
        # Each type's block runs only where that type is present: a block
        # over an empty query fails in Guard.
        blocks.append(
            f"    when %{variable} !empty {{\n"
            f"        %{variable}.ResourceProperties {{\n{body}\n        }}\n    }}"
        )
    # A rule whose types are absent is skipped (not applicable), not failed.
    return (
        f"# {rule.enforces}\n"
        + "\n".join(lets)
        + f"\nrule {rule.id} when {any_present} {{\n"
        + "\n".join(blocks)
        + "\n}\n"
    )


def guard_rules(rules: tuple[ProactiveRule, ...] = RULES) -> str:
    """The rules file: every rule of ``rules``, in table order."""
    return HEADER + "\n" + "\n".join(guard_rule(rule) for rule in rules)


def hook_input(template: Mapping[str, Any]) -> dict[str, Any]:
    """A template's resources in the shape a Guard hook's resource input has.

    The hook evaluates one resource per invocation; all of them in one
    document gives every rule the same verdicts, each named by logical id.
    """
    return {
        "Resources": {
            logical_id: {
                "ResourceType": resource.get("Type"),
                "ResourceProperties": resource.get("Properties", {}),
            }
            for logical_id, resource in template.get("Resources", {}).items()
        }
    }
