"""The preventive guardrail catalog: every SCP and RCP the landing zone can attach.

Each entry is data (id, what it enforces, why, which controls it implements)
plus a small function that renders its statements from the config. Ids are
stable: packs, docs and the case table refer to them.

SCPs never affect the management account or service-linked roles, and RCPs
never affect the management account's resources; both are Deny-only here
(FullAWSAccess / RCPFullAWSAccess stay attached and grant the Allow).
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
"""

from __future__ import annotations

from landing_zone.guardrails.model import (
    STACKSET_EXECUTION_ROLE,
    Controls,
    Guardrail,
    GuardrailInputs,
    Statement,
)
from landing_zone.naming import MANAGED_BY_TAG

# ARN patterns of the root user of any account (member-account root sessions).
ROOT_PRINCIPAL = "arn:{partition}:iam::*:root"

# Services that are global, or whose control plane lives in one region
# (us-east-1 / us-west-2), so region deny must not block them from any region.
# Per-action entries are global read/list calls the console makes everywhere.
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/primary-region-deny-policy.html
GLOBAL_SERVICE_ACTIONS = (
    "account:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "budgets:*",
    "ce:*",
    "chatbot:*",
    "cloudfront:*",
    "consolidatedbilling:*",
    "cur:*",
    "ec2:DescribeRegions",
    "ecr-public:*",
    "freetier:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "invoicing:*",
    "networkmanager:*",
    "notifications:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:CreateMultiRegionAccessPoint",
    "s3:DeleteMultiRegionAccessPoint",
    "s3:DescribeMultiRegionAccessPointOperation",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetMultiRegionAccessPoint",
    "s3:GetMultiRegionAccessPointPolicy",
    "s3:GetMultiRegionAccessPointPolicyStatus",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:PutMultiRegionAccessPointPolicy",
    "shield:*",
    "sts:*",
    "support:*",
    "supportplans:*",
    "sustainability:*",
    "tax:*",
    "trustedadvisor:*",
    "waf:*",
    "wafv2:*",
)

# Services the RCP data perimeter covers: those RCPs support and where data or
# credentials live. See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
# STS: only the calls that use this organization's roles or credentials.
# AssumeRoleWithWebIdentity / WithSAML are deliberately absent: external
# identity providers (GitHub OIDC, SAML IdPs) are not organization principals.
PERIMETER_ACTIONS = (
    "kms:*",
    "s3:*",
    "secretsmanager:*",
    "sqs:*",
    "sts:AssumeRole",
    "sts:DecodeAuthorizationMessage",
    "sts:GetAccessKeyInfo",
    "sts:GetFederationToken",
    "sts:GetServiceBearerToken",
    "sts:GetSessionToken",
    "sts:SetContext",
)


def _arn(inputs: GuardrailInputs, service: str, resource: str, *, region: str = "*") -> str:
    # IAM ARNs have no region; S3 bucket ARNs have neither region nor account.
    account = "" if service == "s3" else "*"
    region = "" if service in ("iam", "s3") else region
    return f"arn:{inputs.partition}:{service}:{region}:{account}:{resource}"


# Changes that would delete, expose or stop the log archive; the SCP and the
# buckets' own policies deny them to all but the privileged principals.
LOG_ARCHIVE_BUCKET_ACTIONS = (
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutBucketLogging",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
)


def _log_archive_buckets(i: GuardrailInputs) -> tuple[Statement, ...]:
    buckets = _arn(i, "s3", f"{i.lower}-log-archive-*")
    return (
        Statement(
            sid="ProtectLogArchiveBuckets",
            actions=LOG_ARCHIVE_BUCKET_ACTIONS,
            resources=(buckets,),
        ),
        # Object Lock GOVERNANCE retention can be shortened or bypassed by
        # anyone holding s3:BypassGovernanceRetention; nobody but the
        # privileged roles may hold it on the log archive.
        Statement(
            sid="ProtectLogArchiveObjects",
            actions=(
                "s3:BypassGovernanceRetention",
                "s3:DeleteObjectVersion",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
            ),
            resources=(f"{buckets}/*",),
        ),
    )


def _organization_trail(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="ProtectOrganizationTrail",
            actions=(
                "cloudtrail:AddTags",
                "cloudtrail:DeleteTrail",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:PutInsightSelectors",
                "cloudtrail:RemoveTags",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
            ),
            resources=(_arn(i, "cloudtrail", f"trail/{i.prefix}-*"),),
        ),
    )


def _config_recording(_: GuardrailInputs) -> tuple[Statement, ...]:
    # Recorders, delivery channels and retention have no name-bearing ARN a
    # member could choose around, so the whole API surface is denied, as
    # Control Tower does for AWS-GR_CONFIG_CHANGE_PROHIBITED.
    return (
        Statement(
            sid="ProtectConfigRecording",
            actions=(
                "config:DeleteAggregationAuthorization",
                "config:DeleteConfigurationRecorder",
                "config:DeleteDeliveryChannel",
                "config:DeleteRetentionConfiguration",
                "config:PutAggregationAuthorization",
                "config:PutConfigurationRecorder",
                "config:PutDeliveryChannel",
                "config:PutRetentionConfiguration",
                "config:StopConfigurationRecorder",
            ),
        ),
    )


def _config_rules(_: GuardrailInputs) -> tuple[Statement, ...]:
    # Config rule ARNs carry a generated id, not the name, so the landing
    # zone's rules are recognised by tag; the tag itself is protected too.
    # Organization rules and conformance packs are service-linked in member
    # accounts and cannot be changed there at all.
    key, value = MANAGED_BY_TAG
    return (
        Statement(
            sid="ProtectConfigRules",
            actions=(
                "config:DeleteConfigRule",
                "config:DeleteEvaluationResults",
                "config:DeleteRemediationConfiguration",
                "config:PutConfigRule",
                "config:PutRemediationConfigurations",
            ),
            condition={"StringEquals": {f"aws:ResourceTag/{key}": value}},
        ),
        Statement(
            sid="ProtectConfigRuleTags",
            actions=("config:TagResource", "config:UntagResource"),
            condition={"ForAnyValue:StringLike": {"aws:TagKeys": "landing-zone:*"}},
        ),
    )


# Every change that could let someone else become a role, or change what it
# may do: creating it (a new trust policy), its trust policy, its policies,
# its permissions boundary, its tags, deleting it. The actions of Control
# Tower's role-protection artifacts (CT.IAM.PV.1 shows one), plus the tags.
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/ct-iam-pv-1.html
ROLE_CHANGE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)

# The roles IAM Identity Center creates in each account from permission sets
# (AWSReservedSSO_<permission set>_<suffix>, under a path that may carry the
# instance's region). Identity Center manages them through its service-linked
# role, which SCPs do not affect, so denying everyone else leaves it working.
# See: https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSSSOServiceRolePolicy.html
IDENTITY_CENTER_ROLES = "role/aws-reserved/sso.amazonaws.com/*"


def _privileged_roles(i: GuardrailInputs) -> tuple[Statement, ...]:
    # An exemption by aws:PrincipalArn is only as strong as the name it
    # matches: whoever can create or re-trust a role of a privileged name
    # passes every guardrail. So the privileged patterns themselves are the
    # resources, and only the privileged principals and the StackSets (which
    # deploy these roles) may create or change a role matching one. IAM role
    # ARNs carry the path, and Resource and ArnLike match the same way, so
    # every ARN an exemption matches is also a resource this statement covers.
    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html#awsidentityandaccessmanagementiam-resources-for-iam-policies
    return (
        Statement(
            sid="ProtectPrivilegedRoles",
            actions=ROLE_CHANGE_ACTIONS,
            resources=(*i.exempt_arns, _arn(i, "iam", IDENTITY_CENTER_ROLES)),
        ),
    )


def _landing_zone_resources(i: GuardrailInputs) -> tuple[Statement, ...]:
    roles = (
        _arn(i, "iam", f"role/{i.prefix}-*"),
        _arn(i, "iam", f"role/{i.account_access_role_name}"),
        # Execution roles of service-managed (stacksets-exec-*) and
        # self-managed StackSets.
        _arn(i, "iam", "role/AWSCloudFormationStackSetExecutionRole"),
        STACKSET_EXECUTION_ROLE.format(partition=i.partition),
    )
    return (
        Statement(
            sid="ProtectLandingZoneRoles",
            actions=ROLE_CHANGE_ACTIONS,
            resources=roles,
        ),
        Statement(
            sid="ProtectLandingZoneFunctions",
            actions=(
                "lambda:AddPermission",
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
            ),
            resources=(_arn(i, "lambda", f"function:{i.prefix}-*"),),
        ),
        Statement(
            sid="ProtectLandingZoneTopics",
            actions=(
                "sns:AddPermission",
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:RemovePermission",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:UntagResource",
            ),
            resources=(_arn(i, "sns", f"{i.prefix}-*"),),
        ),
        Statement(
            sid="ProtectLandingZoneLogGroups",
            actions=(
                "logs:AssociateKmsKey",
                "logs:DeleteLogGroup",
                "logs:DeleteLogStream",
                "logs:DeleteRetentionPolicy",
                "logs:DeleteSubscriptionFilter",
                "logs:DisassociateKmsKey",
                "logs:PutRetentionPolicy",
                "logs:PutSubscriptionFilter",
            ),
            resources=(
                _arn(i, "logs", f"log-group:/{i.lower}/landing-zone/*"),
                _arn(i, "logs", f"log-group:/aws/lambda/{i.prefix}-*"),
            ),
        ),
        Statement(
            sid="ProtectLandingZoneRules",
            actions=(
                "events:DeleteRule",
                "events:DisableRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
            ),
            resources=(
                _arn(i, "events", f"rule/{i.prefix}-*"),
                _arn(i, "events", f"rule/*/{i.prefix}-*"),
            ),
        ),
    )


def _detection_services(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="ProtectDetectionServices",
            actions=(
                # GuardDuty: detector, membership, suppression (filters and
                # trusted IP lists hide findings) and findings export.
                "guardduty:CreateFilter",
                "guardduty:CreateIPSet",
                "guardduty:DeleteDetector",
                "guardduty:DeleteFilter",
                "guardduty:DeleteMembers",
                "guardduty:DeletePublishingDestination",
                "guardduty:DisassociateFromAdministratorAccount",
                "guardduty:DisassociateFromMasterAccount",
                "guardduty:DisassociateMembers",
                "guardduty:StopMonitoringMembers",
                "guardduty:UpdateFilter",
                "guardduty:UpdateIPSet",
                "guardduty:UpdateMalwareScanSettings",
                "guardduty:UpdateMemberDetectors",
                "guardduty:UpdatePublishingDestination",
                # Security Hub
                "securityhub:BatchDisableStandards",
                "securityhub:DeleteFindingAggregator",
                "securityhub:DeleteMembers",
                "securityhub:DisableImportFindingsForProduct",
                "securityhub:DisableSecurityHub",
                "securityhub:DisassociateFromAdministratorAccount",
                "securityhub:DisassociateFromMasterAccount",
                "securityhub:DisassociateMembers",
                "securityhub:UpdateFindingAggregator",
                "securityhub:UpdateSecurityHubConfiguration",
                "securityhub:UpdateStandardsControl",
                # Macie
                "macie2:DeleteMember",
                "macie2:DisableMacie",
                "macie2:DisassociateFromAdministratorAccount",
                "macie2:DisassociateFromMasterAccount",
                "macie2:DisassociateMember",
                "macie2:PutClassificationExportConfiguration",
                "macie2:PutFindingsPublicationConfiguration",
                # Inspector
                "inspector2:Disable",
                "inspector2:DisassociateMember",
                "inspector2:UpdateConfiguration",
                # Detective
                "detective:DeleteGraph",
                "detective:DeleteMembers",
                "detective:DisassociateMembership",
                "detective:UpdateDatasourcePackages",
            ),
        ),
        # What the audit account's detection handler (docs/detection.md) must
        # do to configure the services for the organization; it alone is
        # exempt. Only the StackSet can create a role by that name:
        # protect-landing-zone-resources denies iam:CreateRole on <Prefix>-*.
        Statement(
            sid="ProtectDetectionConfiguration",
            actions=(
                "guardduty:UpdateDetector",
                "inspector2:UpdateOrganizationConfiguration",
                "macie2:UpdateMacieSession",
            ),
            exempt_also=(f"arn:{i.partition}:iam::*:role/{i.prefix}-DetectionHandler-*",),
        ),
        # Access Analyzer analyzers are named: protect the landing zone's own
        # (and their archive rules, which silently hide findings), leave
        # workload teams free to run their own.
        Statement(
            sid="ProtectAccessAnalyzers",
            actions=(
                "access-analyzer:ApplyArchiveRule",
                "access-analyzer:CreateArchiveRule",
                "access-analyzer:DeleteAnalyzer",
                "access-analyzer:DeleteArchiveRule",
                "access-analyzer:UpdateAnalyzer",
                "access-analyzer:UpdateArchiveRule",
            ),
            resources=(_arn(i, "access-analyzer", f"analyzer/{i.prefix}-*"),),
        ),
    )


def _leave_organization(_: GuardrailInputs) -> tuple[Statement, ...]:
    # No exemption: removing an account is the management account's job
    # (RemoveAccountFromOrganization), which SCPs do not restrict.
    return (
        Statement(
            sid="DenyLeaveOrganization",
            actions=("organizations:LeaveOrganization",),
            exempt_privileged=False,
        ),
    )


def _root_condition(i: GuardrailInputs) -> dict[str, dict[str, str | tuple[str, ...]]]:
    # Centralized root access sessions (sts:AssumeRoot from the management
    # account) carry aws:AssumedRoot=true and stay usable for their
    # task-scoped repairs; a root password or access-key sign-in does not.
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
    return {
        "ArnLike": {"aws:PrincipalArn": ROOT_PRINCIPAL.format(partition=i.partition)},
        "BoolIfExists": {"aws:AssumedRoot": "false"},
    }


def _root_user(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyRootUser",
            actions=("*",),
            condition=_root_condition(i),
            exempt_privileged=False,
        ),
    )


def _root_access_keys(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyRootAccessKeys",
            actions=("iam:CreateAccessKey",),
            condition={
                "ArnLike": {"aws:PrincipalArn": ROOT_PRINCIPAL.format(partition=i.partition)}
            },
            exempt_privileged=False,
        ),
    )


def _region_deny(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyUngovernedRegions",
            not_actions=GLOBAL_SERVICE_ACTIONS,
            condition={"StringNotEquals": {"aws:RequestedRegion": tuple(i.governed_regions)}},
        ),
    )


def _ebs_default_encryption(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="ProtectEbsDefaultEncryption",
            actions=("ec2:DisableEbsEncryptionByDefault",),
        ),
    )


def _s3_account_public_access(_: GuardrailInputs) -> tuple[Statement, ...]:
    # PutAccountPublicAccessBlock also authorizes DeletePublicAccessBlock.
    return (
        Statement(
            sid="ProtectS3AccountPublicAccessBlock",
            actions=("s3:PutAccountPublicAccessBlock",),
        ),
    )


def _imdsv2(i: GuardrailInputs) -> tuple[Statement, ...]:
    # No exemption: nobody needs to launch an instance with IMDSv1.
    return (
        Statement(
            sid="RequireImdsv2",
            actions=("ec2:RunInstances",),
            resources=(_arn(i, "ec2", "instance/*"),),
            condition={"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}},
            exempt_privileged=False,
        ),
    )


def _iam_users(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyIamUsersAndAccessKeys",
            actions=(
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:CreateUser",
                "iam:UpdateAccessKey",
            ),
        ),
    )


def _account_settings(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="ProtectAccountSettings",
            actions=(
                "account:DeleteAlternateContact",
                "account:DisableRegion",
                "account:EnableRegion",
                "account:PutAlternateContact",
                "account:PutContactInformation",
            ),
        ),
    )


def _external_shares(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyExternalResourceShares",
            actions=("ram:CreateResourceShare", "ram:UpdateResourceShare"),
            condition={"Bool": {"ram:RequestedAllowsExternalPrincipals": "true"}},
        ),
    )


def _commitments(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyLongTermCommitments",
            actions=(
                "aws-marketplace:AcceptAgreementRequest",
                "aws-marketplace:Subscribe",
                "directconnect:AllocateHostedConnection",
                "directconnect:CreateConnection",
                "directconnect:CreateInterconnect",
                "directconnect:CreateLag",
                "dynamodb:PurchaseReservedCapacityOfferings",
                "ec2:AcceptReservedInstancesExchangeQuote",
                "ec2:CreateCapacityReservation",
                "ec2:PurchaseCapacityBlock",
                "ec2:PurchaseHostReservation",
                "ec2:PurchaseReservedInstancesOffering",
                "ec2:PurchaseScheduledInstances",
                "elasticache:PurchaseReservedCacheNodesOffering",
                "es:PurchaseReservedInstanceOffering",
                "memorydb:PurchaseReservedNodesOffering",
                "rds:PurchaseReservedDBInstancesOffering",
                "redshift:PurchaseReservedNodeOffering",
                "route53domains:RegisterDomain",
                "route53domains:RenewDomain",
                "route53domains:TransferDomain",
                "savingsplans:CreateSavingsPlan",
                "shield:CreateSubscription",
            ),
        ),
    )


def _instance_types(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="AllowListedInstanceTypesOnly",
            actions=("ec2:RunInstances",),
            resources=(_arn(i, "ec2", "instance/*"),),
            condition={"StringNotLike": {"ec2:InstanceType": tuple(i.sandbox_instance_types)}},
        ),
    )


def _suspended(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (Statement(sid="DenyAllSuspended", actions=("*",)),)


def _identity_perimeter(i: GuardrailInputs) -> tuple[Statement, ...]:
    outside: dict[str, str | tuple[str, ...]] = {"aws:PrincipalOrgID": i.organization_id}
    if i.trusted_external_accounts:
        # Both keys under one IfExists operator are ANDed: denied only when
        # the principal is outside the organization AND not a trusted account.
        outside["aws:PrincipalAccount"] = tuple(i.trusted_external_accounts)
    return (
        Statement(
            sid="EnforceOrgIdentities",
            actions=PERIMETER_ACTIONS,
            condition={
                "StringNotEqualsIfExists": outside,
                # AWS service principals (CloudTrail, Config delivering logs)
                # carry no PrincipalOrgID; the next statement covers them.
                "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            },
            exempt_privileged=False,
        ),
        Statement(
            sid="EnforceConfusedDeputyProtection",
            actions=PERIMETER_ACTIONS,
            condition={
                "StringNotEqualsIfExists": {"aws:SourceOrgID": i.organization_id},
                # Only when the service says on whose behalf it acts.
                "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"},
            },
            exempt_privileged=False,
        ),
    )


def _tls(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="EnforceSecureTransport",
            actions=("s3:*",),
            condition={"BoolIfExists": {"aws:SecureTransport": "false"}},
            exempt_privileged=False,
        ),
    )


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        id="protect-log-archive-buckets",
        kind="scp",
        enforces="Nobody but the privileged roles may delete the log-archive buckets or change "
        "their policy, encryption, lifecycle, logging, versioning, Object Lock, ACLs or "
        "public-access settings, or bypass or shorten object retention.",
        rationale="The log archive is the evidence of record; an attacker's first move is to "
        "erase or redirect it. Object Lock GOVERNANCE retention is only as strong as the "
        "denial of s3:BypassGovernanceRetention.",
        controls=Controls(
            control_tower=(
                "AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED",
                "AWS-GR_CT_AUDIT_BUCKET_ENCRYPTION_CHANGES_PROHIBITED",
                "AWS-GR_CT_AUDIT_BUCKET_LOGGING_CONFIGURATION_CHANGES_PROHIBITED",
                "AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED",
                "AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_PROHIBITED",
            ),
            cis=("3.4",),
            well_architected=("SEC04-BP01",),
        ),
        statements=_log_archive_buckets,
    ),
    Guardrail(
        id="protect-organization-trail",
        kind="scp",
        enforces="The landing zone's trails cannot be stopped, deleted, re-targeted or have "
        "their event selectors or tags changed.",
        rationale="Without the trail there is no record of who did what; stopping it is a "
        "classic defence-evasion step (MITRE ATT&CK T1562.008).",
        controls=Controls(
            control_tower=("AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",),
            cis=("3.1",),
            well_architected=("SEC04-BP01",),
        ),
        statements=_organization_trail,
    ),
    Guardrail(
        id="protect-config-recording",
        kind="scp",
        enforces="AWS Config recorders, delivery channels, retention and aggregation "
        "authorizations cannot be stopped, deleted or changed.",
        rationale="Config is the inventory and change history the detective guardrails and "
        "investigations rely on.",
        controls=Controls(
            control_tower=(
                "AWS-GR_CONFIG_CHANGE_PROHIBITED",
                "AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY",
                "AWS-GR_CONFIG_ENABLED",
            ),
            cis=("3.3",),
            well_architected=("SEC04-BP01",),
        ),
        statements=_config_recording,
    ),
    Guardrail(
        id="protect-config-rules",
        kind="scp",
        enforces="Config rules and remediations tagged as the landing zone's cannot be "
        "changed or deleted, and the landing-zone tags on Config resources cannot be changed.",
        rationale="A detective control a workload can switch off detects nothing.",
        controls=Controls(
            control_tower=(
                "AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",
                "AWS-GR_CONFIG_AGGREGATION_CHANGE_PROHIBITED",
            ),
            well_architected=("SEC04-BP01",),
        ),
        statements=_config_rules,
    ),
    Guardrail(
        id="protect-privileged-roles",
        kind="scp",
        enforces="Nobody but the privileged principals and the StackSets can create, re-trust, "
        "change the policies, boundary or tags of, or delete a role whose ARN matches a "
        "privileged principal, or a role IAM Identity Center created.",
        rationale="Every guardrail exempts the privileged principals by role ARN; a workload "
        "admin who could create a role of that name in their own account would pass them all. "
        "Identity Center's roles carry what a permission set grants; changing one in an account "
        "grants more than the permission set says.",
        controls=Controls(
            control_tower=("AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",),
            well_architected=("SEC03-BP02",),
        ),
        statements=_privileged_roles,
    ),
    Guardrail(
        id="protect-landing-zone-resources",
        kind="scp",
        enforces="The landing zone's IAM roles (including StackSet execution and "
        "organization-access roles), Lambda functions, SNS topics, log groups and EventBridge "
        "rules cannot be changed by workload principals.",
        rationale="These resources are the landing zone's hands and ears in every account; "
        "a workload admin who can edit them can disable any other control.",
        controls=Controls(
            control_tower=(
                "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
                "AWS-GR_LAMBDA_CHANGE_PROHIBITED",
                "AWS-GR_SNS_CHANGE_PROHIBITED",
                "AWS-GR_SNS_SUBSCRIPTION_CHANGE_PROHIBITED",
                "AWS-GR_LOG_GROUP_POLICY",
                "AWS-GR_CLOUDWATCH_EVENTS_CHANGE_PROHIBITED",
            ),
            well_architected=("SEC01-BP06",),
        ),
        statements=_landing_zone_resources,
    ),
    Guardrail(
        id="protect-detection-services",
        kind="scp",
        enforces="Member accounts cannot disable, disassociate or reconfigure GuardDuty, "
        "Security Hub, Macie, Inspector or Detective, suppress their findings, change their "
        "findings export, or change the landing zone's Access Analyzer analyzers.",
        rationale="Detection is centrally administered from the audit account; a member "
        "turning it off (or archiving its findings) blinds the security team.",
        controls=Controls(cis=("1.20", "4.16"), well_architected=("SEC04-BP02", "SEC04-BP03")),
        statements=_detection_services,
    ),
    Guardrail(
        id="deny-leave-organization",
        kind="scp",
        enforces="No member account can leave the organization.",
        rationale="An account that leaves takes its data out of every guardrail, log and "
        "detector at once.",
        controls=Controls(well_architected=("SEC01-BP01",)),
        statements=_leave_organization,
    ),
    Guardrail(
        id="deny-root-user",
        kind="scp",
        enforces="The root user of a member account can do nothing (centralized root access "
        "sessions from the management account stay usable).",
        rationale="Member-account root credentials are unneeded with centralized root access "
        "and are the most powerful credential an attacker can steal.",
        controls=Controls(
            control_tower=("AWS-GR_RESTRICT_ROOT_USER",),
            cis=("1.7",),
            well_architected=("SEC02-BP01",),
        ),
        statements=_root_user,
    ),
    Guardrail(
        id="deny-root-access-keys",
        kind="scp",
        enforces="The root user of a member account cannot create access keys.",
        rationale="Long-lived root keys cannot be scoped or protected with MFA.",
        controls=Controls(
            control_tower=("AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS",),
            cis=("1.4",),
            well_architected=("SEC02-BP01",),
        ),
        statements=_root_access_keys,
    ),
    Guardrail(
        id="region-deny",
        kind="scp",
        enforces="Outside the governed regions only global services work (IAM, "
        "Organizations, STS, Route 53, CloudFront, billing, support, ...).",
        rationale="Resources in regions nobody watches escape detection, data-residency "
        "commitments and cost control.",
        controls=Controls(control_tower=("AWS-GR_REGION_DENY",), well_architected=("SEC01-BP06",)),
        statements=_region_deny,
    ),
    Guardrail(
        id="protect-ebs-default-encryption",
        kind="scp",
        enforces="EBS encryption by default cannot be turned off.",
        rationale="The account baseline turns it on in every region; this keeps it on.",
        controls=Controls(cis=("2.2.1",), well_architected=("SEC08-BP02",)),
        statements=_ebs_default_encryption,
    ),
    Guardrail(
        id="protect-s3-account-public-access-block",
        kind="scp",
        enforces="The account-level S3 Block Public Access settings cannot be changed or removed.",
        rationale="One account-level switch prevents every accidental public bucket.",
        controls=Controls(cis=("2.1.4",), well_architected=("SEC03-BP07",)),
        statements=_s3_account_public_access,
    ),
    Guardrail(
        id="require-imdsv2",
        kind="scp",
        enforces="New EC2 instances must require IMDSv2 (session tokens).",
        rationale="IMDSv1 lets an SSRF bug read the instance role's credentials.",
        controls=Controls(cis=("5.6",), well_architected=("SEC06-BP02",)),
        statements=_imdsv2,
    ),
    Guardrail(
        id="deny-iam-users-and-access-keys",
        kind="scp",
        enforces="No IAM users, console passwords or access keys can be created or re-activated.",
        rationale="For organizations that sign in only through IAM Identity Center: "
        "long-lived credentials are the most common source of leaked access.",
        controls=Controls(well_architected=("SEC02-BP02",)),
        statements=_iam_users,
    ),
    Guardrail(
        id="protect-account-settings",
        kind="scp",
        enforces="The account's contact information, alternate contacts and opted-in regions "
        "cannot be changed.",
        rationale="Security and billing notifications must reach the CCoE; opting into a "
        "region is a governance decision.",
        controls=Controls(cis=("1.2",), well_architected=("SEC10-BP02",)),
        statements=_account_settings,
    ),
    Guardrail(
        id="deny-external-resource-shares",
        kind="scp",
        enforces="AWS RAM resource shares cannot allow principals outside the organization.",
        rationale="Shared subnets, Transit Gateways or databases must stay inside the "
        "data perimeter.",
        controls=Controls(well_architected=("SEC03-BP09",)),
        statements=_external_shares,
    ),
    Guardrail(
        id="deny-long-term-commitments",
        kind="scp",
        enforces="No reserved capacity, Savings Plans, Marketplace subscriptions, domain "
        "registrations, Direct Connect connections or Shield Advanced subscriptions.",
        rationale="A sandbox is disposable; these purchases outlive it by one to three years.",
        controls=Controls(well_architected=("COST02-BP05",)),
        statements=_commitments,
    ),
    Guardrail(
        id="sandbox-instance-types",
        kind="scp",
        enforces="EC2 instances can be launched only with the instance types allowed in "
        "config (guardrails.sandbox_instance_types).",
        rationale="Caps the cost of a forgotten experiment.",
        controls=Controls(well_architected=("COST02-BP05",)),
        statements=_instance_types,
    ),
    Guardrail(
        id="deny-all-suspended",
        kind="scp",
        enforces="Everything is denied except to the privileged roles.",
        rationale="Accounts on their way out keep their data for the retention period but "
        "must not run or change anything.",
        controls=Controls(well_architected=("SEC01-BP01",)),
        statements=_suspended,
    ),
    Guardrail(
        id="rcp-identity-perimeter",
        kind="rcp",
        enforces="S3, KMS, SQS, Secrets Manager and STS resources accept requests only from "
        "principals in this organization (or the trusted external accounts in config), and "
        "from AWS services acting on behalf of this organization.",
        rationale="A leaked bucket policy or key policy granting an outside account cannot "
        "open the data perimeter.",
        controls=Controls(well_architected=("SEC03-BP09", "SEC07-BP02")),
        statements=_identity_perimeter,
    ),
    Guardrail(
        id="rcp-enforce-tls",
        kind="rcp",
        enforces="S3 requests without TLS are denied, whatever the bucket policy says.",
        rationale="Data in transit is encrypted everywhere without relying on every bucket "
        "policy to say so.",
        controls=Controls(well_architected=("SEC09-BP02",)),
        statements=_tls,
    ),
)

BY_ID: dict[str, Guardrail] = {guardrail.id: guardrail for guardrail in GUARDRAILS}
