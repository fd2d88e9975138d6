"""Detective guardrails: the AWS Config managed rules of the organization conformance pack.

One row per rule. Each names the Control Tower control it stands for (the
strongly recommended detective controls and the mandatory detective ones;
``cloudtrail-enabled`` covers the shared-accounts CloudTrail control too),
the AWS Config managed rule that implements it, and where it runs. The
conformance pack template is generated from this table, and so is the
detective coverage in ``docs/guardrails.md``; ``docs/detection.md`` lists it
and a test holds that list to this table.

Rules on account-wide or global facts (root MFA, the trails of an account)
run in the home region only: evaluating them in every region would bill the
same answer three times and file three findings for one problem.
See: https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
See: https://docs.aws.amazon.com/controltower/latest/controlreference/strongly-recommended-controls.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Frequency = Literal["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"]


@dataclass(frozen=True)
class DetectiveRule:
    """One AWS Config managed rule in the organization conformance pack."""

    #: Stable kebab-case id: the rule name is ``<prefix>-<id>``.
    id: str
    #: What a NON_COMPLIANT result means, in one line.
    statement: str
    #: The Control Tower control(s) this rule stands for.
    control_tower: tuple[str, ...]
    #: The AWS Config managed rule identifier.
    source_identifier: str
    #: Resource types that trigger an evaluation (change-triggered rules).
    resource_types: tuple[str, ...] = ()
    #: Managed-rule parameters, as the rule expects them (strings).
    parameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Periodic rules run on a schedule instead of on configuration changes.
    periodic: Frequency | None = None
    #: Account-wide or global facts: evaluated in the home region only.
    home_region_only: bool = False
    #: Only resources carrying the landing zone's prefix tag (its own buckets).
    landing_zone_resources_only: bool = False


DETECTIVE_RULES: tuple[DetectiveRule, ...] = (
    # -- Control Tower mandatory detective controls -----------------------------
    DetectiveRule(
        id="log-archive-public-read-prohibited",
        statement="A landing-zone bucket (the log archive) allows public read access",
        control_tower=("AWS-GR_AUDIT_BUCKET_PUBLIC_READ_PROHIBITED",),
        source_identifier="S3_BUCKET_PUBLIC_READ_PROHIBITED",
        resource_types=("AWS::S3::Bucket",),
        home_region_only=True,
        landing_zone_resources_only=True,
    ),
    DetectiveRule(
        id="log-archive-public-write-prohibited",
        statement="A landing-zone bucket (the log archive) allows public write access",
        control_tower=("AWS-GR_AUDIT_BUCKET_PUBLIC_WRITE_PROHIBITED",),
        source_identifier="S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
        resource_types=("AWS::S3::Bucket",),
        home_region_only=True,
        landing_zone_resources_only=True,
    ),
    DetectiveRule(
        id="multi-region-cloudtrail-enabled",
        statement="No multi-region trail (the organization trail) logs this account",
        control_tower=("AWS-GR_CLOUDTRAIL_ENABLED",),
        source_identifier="MULTI_REGION_CLOUD_TRAIL_ENABLED",
        periodic="TwentyFour_Hours",
        home_region_only=True,
    ),
    DetectiveRule(
        id="cloudtrail-log-file-validation-enabled",
        statement="A trail does not create digest files to validate its log files",
        control_tower=("AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",),
        source_identifier="CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
        periodic="TwentyFour_Hours",
        home_region_only=True,
    ),
    DetectiveRule(
        id="cloudtrail-cloudwatch-logs-enabled",
        statement="A trail does not send its events to CloudWatch Logs",
        control_tower=("AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",),
        source_identifier="CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
        periodic="TwentyFour_Hours",
        home_region_only=True,
    ),
    # -- Control Tower strongly recommended detective controls ------------------
    DetectiveRule(
        id="cloudtrail-enabled",
        statement="CloudTrail is not enabled for this account (shared and member accounts)",
        control_tower=("AWS-GR_DETECT_CLOUDTRAIL_ENABLED_ON_MEMBER_ACCOUNTS",),
        source_identifier="CLOUD_TRAIL_ENABLED",
        periodic="TwentyFour_Hours",
        home_region_only=True,
    ),
    DetectiveRule(
        id="root-account-mfa-enabled",
        statement="The root user has no MFA device",
        control_tower=("AWS-GR_ROOT_ACCOUNT_MFA_ENABLED",),
        source_identifier="ROOT_ACCOUNT_MFA_ENABLED",
        periodic="TwentyFour_Hours",
        home_region_only=True,
    ),
    DetectiveRule(
        id="encrypted-volumes",
        statement="An attached EBS volume is not encrypted",
        control_tower=("AWS-GR_ENCRYPTED_VOLUMES",),
        source_identifier="ENCRYPTED_VOLUMES",
        resource_types=("AWS::EC2::Volume",),
    ),
    DetectiveRule(
        id="restricted-common-ports",
        statement="A security group allows unrestricted inbound traffic on a common "
        "high-risk port (FTP 20/21, RDP 3389, MySQL 3306, 4333)",
        control_tower=("AWS-GR_RESTRICTED_COMMON_PORTS",),
        source_identifier="RESTRICTED_INCOMING_TRAFFIC",
        resource_types=("AWS::EC2::SecurityGroup",),
        # Control Tower's ports for this control.
        parameters=MappingProxyType(
            {
                "blockedPort1": "20",
                "blockedPort2": "21",
                "blockedPort3": "3389",
                "blockedPort4": "3306",
                "blockedPort5": "4333",
            }
        ),
    ),
    DetectiveRule(
        id="restricted-ssh",
        statement="A security group allows SSH (22) from 0.0.0.0/0 or ::/0",
        control_tower=("AWS-GR_RESTRICTED_SSH",),
        source_identifier="INCOMING_SSH_DISABLED",
        resource_types=("AWS::EC2::SecurityGroup",),
    ),
    DetectiveRule(
        id="s3-bucket-public-read-prohibited",
        statement="An S3 bucket allows public read access",
        control_tower=("AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED",),
        source_identifier="S3_BUCKET_PUBLIC_READ_PROHIBITED",
        resource_types=("AWS::S3::Bucket",),
    ),
    DetectiveRule(
        id="s3-bucket-public-write-prohibited",
        statement="An S3 bucket allows public write access",
        control_tower=("AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED",),
        source_identifier="S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
        resource_types=("AWS::S3::Bucket",),
    ),
    DetectiveRule(
        id="ec2-volume-inuse-check",
        statement="An EBS volume is not attached to any instance (cost, and forgotten data)",
        control_tower=("AWS-GR_EC2_VOLUME_INUSE_CHECK",),
        source_identifier="EC2_VOLUME_INUSE_CHECK",
        resource_types=("AWS::EC2::Volume",),
    ),
    DetectiveRule(
        id="ebs-optimized-instance",
        statement="An EBS-optimizable EC2 instance runs without EBS optimization",
        control_tower=("AWS-GR_EBS_OPTIMIZED_INSTANCE",),
        source_identifier="EBS_OPTIMIZED_INSTANCE",
        resource_types=("AWS::EC2::Instance",),
    ),
    DetectiveRule(
        id="rds-instance-public-access-check",
        statement="An RDS DB instance is publicly accessible",
        control_tower=("AWS-GR_RDS_INSTANCE_PUBLIC_ACCESS_CHECK",),
        source_identifier="RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
        resource_types=("AWS::RDS::DBInstance",),
    ),
    DetectiveRule(
        id="rds-snapshots-public-prohibited",
        statement="An RDS snapshot is shared publicly",
        control_tower=("AWS-GR_RDS_SNAPSHOTS_PUBLIC_PROHIBITED",),
        source_identifier="RDS_SNAPSHOTS_PUBLIC_PROHIBITED",
        resource_types=("AWS::RDS::DBSnapshot", "AWS::RDS::DBClusterSnapshot"),
    ),
    DetectiveRule(
        id="rds-storage-encrypted",
        statement="An RDS DB instance's storage is not encrypted",
        control_tower=("AWS-GR_RDS_STORAGE_ENCRYPTED",),
        source_identifier="RDS_STORAGE_ENCRYPTED",
        resource_types=("AWS::RDS::DBInstance",),
    ),
)

BY_ID: Mapping[str, DetectiveRule] = MappingProxyType({rule.id: rule for rule in DETECTIVE_RULES})


def rules_for_region(*, home: bool, disabled: frozenset[str] | set[str]) -> list[DetectiveRule]:
    """The rules of one region's pack: all but the disabled, global ones only at home."""
    return [
        rule
        for rule in DETECTIVE_RULES
        if rule.id not in disabled and (home or not rule.home_region_only)
    ]


def conformance_pack_template(
    rules: list[DetectiveRule], *, prefix: str, tag: tuple[str, str]
) -> dict[str, object]:
    """The conformance pack template (a CloudFormation template of AWS::Config::ConfigRule)."""
    resources: dict[str, object] = {}
    for rule in rules:
        properties: dict[str, object] = {
            "ConfigRuleName": f"{prefix.lower()}-{rule.id}",
            "Description": f"{rule.statement} ({', '.join(rule.control_tower)})",
            "Source": {"Owner": "AWS", "SourceIdentifier": rule.source_identifier},
        }
        if rule.parameters:
            properties["InputParameters"] = dict(rule.parameters)
        if rule.periodic:
            properties["MaximumExecutionFrequency"] = rule.periodic
        scope: dict[str, object] = {}
        if rule.landing_zone_resources_only:
            # A Config rule scope is resource types, or one type and id, or a
            # tag: the tag every landing-zone resource carries selects the
            # log-archive buckets wherever their account id makes the name.
            scope = {"TagKey": tag[0], "TagValue": tag[1]}
        elif rule.resource_types:
            scope = {"ComplianceResourceTypes": list(rule.resource_types)}
        if scope:
            properties["Scope"] = scope
        logical_id = "".join(part.capitalize() for part in rule.id.split("-"))
        resources[logical_id] = {"Type": "AWS::Config::ConfigRule", "Properties": properties}
    return {"Resources": resources}
