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

from landing_zone.backup import backup_key_alias, backup_vault_name
from landing_zone.guardrails.model import (
    STACKSET_EXECUTION_ROLE,
    Condition,
    Controls,
    Guardrail,
    GuardrailInputs,
    Statement,
)
from landing_zone.naming import MANAGED_BY_TAG

# ARN patterns of the root user of any account (member-account root sessions).
ROOT_PRINCIPAL = "arn:{partition}:iam::*:root"

# What region deny leaves allowed outside the governed regions: Control
# Tower's AWS-GR_REGION_DENY NotAction list, adopted whole (86 entries, in its
# order). Global services, services whose control plane lives in one region
# (us-east-1 / us-west-2), and the read-only calls consoles and tools make from
# every region (s3:GetBucketLocation, cloudtrail:LookupEvents, sso:*, ...).
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/primary-region-deny-policy.html
#
# Exempt from region deny is not exempt from everything: the other guardrails
# still apply in every region (s3:PutAccountPublicAccessBlock stays denied by
# protect-s3-account-public-access-block, config changes by
# protect-config-recording, iam:CreateRole on landing-zone names by
# protect-landing-zone-resources, ...). Every entry is pinned by a case in
# tests/guardrail_cases.py (REGION_DENY_CASES).
CT_REGION_DENY_NOT_ACTION = (
    "a4b:*",
    "access-analyzer:*",
    "account:*",
    "acm:*",
    "activate:*",
    "artifact:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "billingconductor:*",
    "budgets:*",
    "ce:*",
    "chatbot:*",
    "chime:*",
    "cloudfront:*",
    "cloudtrail:LookupEvents",
    "compute-optimizer:*",
    "config:*",
    "consoleapp:*",
    "consolidatedbilling:*",
    "cur:*",
    "datapipeline:GetAccountLimits",
    "devicefarm:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "ecr-public:*",
    "fms:*",
    "freetier:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "invoicing:*",
    "iq:*",
    "kms:*",
    "license-manager:ListReceivedLicenses",
    "lightsail:Get*",
    "mobileanalytics:*",
    "networkmanager:*",
    "notifications-contacts:*",
    "notifications:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "quicksight:DescribeAccountSubscription",
    "resource-explorer-2:*",
    "route53-recovery-cluster:*",
    "route53-recovery-control-config:*",
    "route53-recovery-readiness:*",
    "route53:*",
    "route53domains:*",
    "s3:CreateMultiRegionAccessPoint",
    "s3:DeleteMultiRegionAccessPoint",
    "s3:DescribeMultiRegionAccessPointOperation",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetMultiRegionAccessPoint",
    "s3:GetMultiRegionAccessPointPolicy",
    "s3:GetMultiRegionAccessPointPolicyStatus",
    "s3:GetStorageLensConfiguration",
    "s3:GetStorageLensDashboard",
    "s3:ListAllMyBuckets",
    "s3:ListMultiRegionAccessPoints",
    "s3:ListStorageLensConfigurations",
    "s3:PutAccountPublicAccessBlock",
    "s3:PutMultiRegionAccessPointPolicy",
    "savingsplans:*",
    "shield:*",
    "sso:*",
    "sts:*",
    "support:*",
    "supportapp:*",
    "supportplans:*",
    "sustainability:*",
    "tag:GetResources",
    "tax:*",
    "trustedadvisor:*",
    "vendor-insights:ListEntitledSecurityProfiles",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
)

# Control Tower exemptions this landing zone keeps denying, each with why
# (docs/guardrails.md renders this table). Empty: every exemption is adopted.
REGION_DENY_KEPT_DENIED: dict[str, str] = {}

GLOBAL_SERVICE_ACTIONS = tuple(
    action for action in CT_REGION_DENY_NOT_ACTION if action not in REGION_DENY_KEPT_DENIED
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

# What Control Tower's landing-zone-4.0 log-archive controls leave allowed on
# its log buckets (CT.S3.PV.8) and Config bucket (CT.S3.PV.7): their artifact
# is a Deny with this NotAction list, so every other bucket or object action
# is denied. The list below is that artifact's, verbatim.
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/mandatory-controls.html
CT_LOG_ARCHIVE_ALLOWED = (
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:Get*",
    "s3:List*",
    "s3:PutBucketTagging",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionAcl",
    "s3:PutObjectVersionTagging",
    "s3:RestoreObject",
)

# Bucket actions outside CT_LOG_ARCHIVE_ALLOWED, beyond the ones the buckets'
# own policies also deny: the SCP alone denies these (every S3 action of the
# Service Authorization Reference with a bucket resource; a test derives the
# set from the reference and fails when AWS adds one).
# See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
LOG_ARCHIVE_SCP_BUCKET_ACTIONS = (
    *LOG_ARCHIVE_BUCKET_ACTIONS,
    "s3:AllowVendedLogDeliveryForResource",
    "s3:CreateBucket",
    "s3:CreateBucketMetadataTableConfiguration",
    "s3:DeleteBucketMetadataTableConfiguration",
    "s3:DeleteBucketWebsite",
    "s3:PauseReplication",
    "s3:PutAccelerateConfiguration",
    "s3:PutAnalyticsConfiguration",
    "s3:PutBucketAbac",
    "s3:PutBucketCORS",
    "s3:PutBucketNotification",
    "s3:PutBucketRequestPayment",
    "s3:PutBucketWebsite",
    "s3:PutIntelligentTieringConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:PutMetricsConfiguration",
    "s3:TagResource",
    "s3:UntagResource",
    "s3:UpdateBucketMetadataAnnotationTableConfiguration",
    "s3:UpdateBucketMetadataInventoryTableConfiguration",
    "s3:UpdateBucketMetadataJournalTableConfiguration",
)

# Object actions the SCP denies on the log archive: the ones outside
# CT_LOG_ARCHIVE_ALLOWED, plus three Control Tower leaves allowed and this
# landing zone does not (deleting versions, and shortening retention or
# holds, would defeat Object Lock).
LOG_ARCHIVE_OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:BypassGovernanceRetention",
    "s3:DeleteObjectAnnotation",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionAnnotation",
    "s3:InitiateReplication",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:PutObjectAnnotation",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectVersionAnnotation",
    "s3:ReplicateDelete",
    "s3:ReplicateObject",
    "s3:ReplicateObjectAnnotation",
    "s3:ReplicateTags",
    "s3:UpdateObjectEncryption",
)


def _log_archive_buckets(i: GuardrailInputs) -> tuple[Statement, ...]:
    buckets = _arn(i, "s3", f"{i.lower}-log-archive-*")
    return (
        Statement(
            sid="ProtectLogArchiveBuckets",
            actions=LOG_ARCHIVE_SCP_BUCKET_ACTIONS,
            resources=(buckets,),
        ),
        # Object Lock GOVERNANCE retention can be shortened or bypassed by
        # anyone holding s3:BypassGovernanceRetention; nobody but the
        # privileged roles may hold it on the log archive.
        Statement(
            sid="ProtectLogArchiveObjects",
            actions=LOG_ARCHIVE_OBJECT_ACTIONS,
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
                # Associate/DisassociateResourceTypes change what a recorder
                # records (the baseline records by exclusion outside home).
                # See: https://docs.aws.amazon.com/config/latest/APIReference/API_DisassociateResourceTypes.html
                "config:AssociateResourceTypes",
                "config:DeleteAggregationAuthorization",
                "config:DeleteConfigurationRecorder",
                "config:DeleteDeliveryChannel",
                "config:DeleteRetentionConfiguration",
                "config:PutAggregationAuthorization",
                "config:PutConfigurationRecorder",
                "config:PutDeliveryChannel",
                "config:DisassociateResourceTypes",
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
                # Aggregator ARNs carry a generated id too; the audit
                # account's organization aggregator is tagged like the rules
                # (Control Tower's AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED
                # protects its aggregators in the same statement).
                "config:DeleteConfigurationAggregator",
                "config:DeleteEvaluationResults",
                "config:PutConfigRule",
                "config:PutConfigurationAggregator",
                # Remediation configurations are not here: their resource
                # type has no aws:ResourceTag key, so a tag condition would
                # never match them, and the landing zone deploys none in
                # member accounts.
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

# Changing a protected role, or lending it to code: iam:PassRole is how a
# Lambda function, an EC2 instance profile or a CloudFormation stack comes to
# run as the role, which would hand its exemptions to whoever wrote the code.
# The StackSets pass the landing zone's roles to its own functions and are
# exempt. See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
ROLE_PROTECTION_ACTIONS = tuple(sorted((*ROLE_CHANGE_ACTIONS, "iam:PassRole")))

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
            actions=ROLE_PROTECTION_ACTIONS,
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
            actions=ROLE_PROTECTION_ACTIONS,
            resources=roles,
        ),
        # InvokeFunction too: the handlers act on what their event says (a
        # forged Delete event would turn detection off), and some of their
        # roles are exempt from guardrails. CloudFormation invokes them for
        # the StackSets (exempt); EventBridge and SNS invoke as service
        # principals, which SCPs do not affect. The asynchronous invocation
        # configuration holds the findings formatter's on-failure destination
        # (what makes its failures heard): it authorizes against the function.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
        Statement(
            sid="ProtectLandingZoneFunctions",
            actions=(
                "lambda:AddPermission",
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "lambda:DeleteFunctionConcurrency",
                "lambda:DeleteFunctionEventInvokeConfig",
                "lambda:InvokeFunction",
                "lambda:PublishVersion",
                "lambda:PutFunctionConcurrency",
                "lambda:PutFunctionEventInvokeConfig",
                "lambda:RemovePermission",
                "lambda:TagResource",
                "lambda:UntagResource",
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:UpdateFunctionEventInvokeConfig",
            ),
            resources=(_arn(i, "lambda", f"function:{i.prefix}-*"),),
        ),
        # Event source mappings are not function resources: CreateEventSource-
        # Mapping authorizes against "*", Update/Delete against the mapping's
        # own ARN; all three carry lambda:FunctionArn, the function they feed.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
        Statement(
            sid="ProtectLandingZoneEventSources",
            actions=(
                "lambda:CreateEventSourceMapping",
                "lambda:DeleteEventSourceMapping",
                "lambda:UpdateEventSourceMapping",
            ),
            condition={
                "ArnLike": {"lambda:FunctionArn": _arn(i, "lambda", f"function:{i.prefix}-*")}
            },
        ),
        # A subscription's ARN is its topic's ARN plus ":<id>", so the same
        # pattern covers Unsubscribe and SetSubscriptionAttributes on the
        # landing zone's subscriptions.
        # See: https://docs.aws.amazon.com/sns/latest/api/API_Unsubscribe.html
        Statement(
            sid="ProtectLandingZoneTopics",
            actions=(
                "sns:AddPermission",
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:RemovePermission",
                "sns:SetSubscriptionAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:TagResource",
                "sns:Unsubscribe",
                "sns:UntagResource",
            ),
            resources=(_arn(i, "sns", f"{i.prefix}-*"),),
        ),
        # The findings rules' dead-letter queue: deleting or purging it, or
        # changing its policy, loses the findings EventBridge could not
        # deliver. Reading and deleting single messages (how the security team
        # works through it) stay allowed.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html
        Statement(
            sid="ProtectLandingZoneQueues",
            actions=(
                "sqs:AddPermission",
                "sqs:CreateQueue",
                "sqs:DeleteQueue",
                "sqs:PurgeQueue",
                "sqs:RemovePermission",
                "sqs:SetQueueAttributes",
                "sqs:TagQueue",
                "sqs:UntagQueue",
            ),
            resources=(_arn(i, "sqs", f"{i.prefix}-*"),),
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


# Security Hub's finding aggregator: with other governed regions CloudFormation
# (the StackSet role) changes it; with the home region the only governed one,
# the audit account's detection handler creates and deletes the aggregator
# that links no Region (docs/detection.md). Whatever the regions, only the
# StackSets and the landing zone's own handlers may: the same statement for
# every config, so going from one region to several (a handler's Delete runs
# after the Organization stack's SCPs changed) is not refused.
FINDING_AGGREGATOR_CHANGES = (
    "securityhub:DeleteFindingAggregator",
    "securityhub:UpdateFindingAggregator",
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
                "securityhub:DeleteMembers",
                "securityhub:DisableImportFindingsForProduct",
                "securityhub:DisableSecurityHub",
                "securityhub:DisassociateFromAdministratorAccount",
                "securityhub:DisassociateFromMasterAccount",
                "securityhub:DisassociateMembers",
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
                *FINDING_AGGREGATOR_CHANGES,
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


# Everything that would take the baseline's backup vault's name, delete it,
# unlock it, open or drop its access policy (which protects its recovery
# points), share it, or silence its notifications. A logically air-gapped
# vault is the same resource type (backup-vault:<name>) in the same name
# space, so creating one takes the name as well.
# See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateLogicallyAirGappedBackupVault.html
BACKUP_VAULT_ACTIONS = (
    "backup:CreateBackupVault",
    "backup:CreateLogicallyAirGappedBackupVault",
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DeleteBackupVaultNotifications",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:PutBackupVaultNotifications",
    "backup:PutBackupVaultSharingPolicy",
)

# What would make the vault's recovery points unreadable (a disabled or
# deleted key), open the key to other principals (its policy), take Backup's
# grants away, or stop its rotation.
# See: https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
BACKUP_KEY_ACTIONS = (
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
)


def _backup_vault(i: GuardrailInputs) -> tuple[Statement, ...]:
    # The baseline's vault, by name in every account and region (its ARN
    # carries the name), including creating it: a workload admin who took
    # the name first in an account the baseline has not reached would hold a
    # vault the organization's backup plans write into. Backup vault names
    # are case-sensitive, as ARN matching is.
    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
    # See: https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html
    # Its recovery points cannot be told apart by ARN (they do not name their
    # vault): the vault's own access policy protects them
    # (landing_zone/constructs/backup_vault.py), and this statement protects
    # that policy. The role (<Prefix>-Backup) is protected by
    # protect-landing-zone-resources with every <Prefix>-* role.
    vault = _arn(i, "backup", f"backup-vault:{backup_vault_name(i.prefix)}")
    alias = backup_key_alias(i.prefix)
    return (
        Statement(
            sid="ProtectBackupVault",
            actions=BACKUP_VAULT_ACTIONS,
            resources=(vault,),
        ),
        # Key ARNs carry a generated id, so the vault's key is recognised by
        # its alias: kms:ResourceAliases holds the aliases of the key a key
        # operation acts on. The alias itself cannot be deleted, repointed or
        # taken by another key (alias operations authorize against the alias
        # ARN).
        # See: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases
        # See: https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html
        Statement(
            sid="ProtectBackupKey",
            actions=BACKUP_KEY_ACTIONS,
            resources=(_arn(i, "kms", "key/*"),),
            condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
        ),
        Statement(
            sid="ProtectBackupKeyAlias",
            actions=("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"),
            resources=(_arn(i, "kms", alias),),
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


# -- Control Tower elective and CT.*.PV controls, as opt-in packs. Each
# renders Control Tower's artifact for a landing zone without Control Tower:
# the AWSControlTowerExecution exemption becomes the config's privileged
# principals (ExemptedPrincipalArns in Control Tower's terms).
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/elective-preventive-controls.html
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/control-parameter-concepts.html


def _vpc_internet_access(_: GuardrailInputs) -> tuple[Statement, ...]:
    # Control Tower's artifact also lists ec2:AttachEgressOnlyInternetGateway,
    # which the Service Authorization Reference does not define (an egress-only
    # gateway is created in its VPC): a Deny on it would deny nothing.
    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
    return (
        Statement(
            sid="DenyVpcInternetAccess",
            actions=(
                "ec2:AttachInternetGateway",
                "ec2:CreateCarrierGateway",
                "ec2:CreateDefaultSubnet",
                "ec2:CreateDefaultVpc",
                "ec2:CreateEgressOnlyInternetGateway",
                "ec2:CreateInternetGateway",
            ),
        ),
    )


def _cross_region_networking(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyCrossRegionNetworking",
            actions=(
                "cloudfront:CreateDistribution",
                "cloudfront:UpdateDistribution",
                "ec2:AcceptTransitGatewayPeeringAttachment",
                "ec2:AcceptVpcPeeringConnection",
                "ec2:CreateTransitGatewayPeeringAttachment",
                "ec2:CreateVpcPeeringConnection",
                "globalaccelerator:Create*",
                "globalaccelerator:Update*",
            ),
        ),
    )


def _vpn_connections(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyVpnConnections",
            actions=(
                "ec2:AssociateClientVpnTargetNetwork",
                "ec2:AttachVPNGateway",
                "ec2:AuthorizeClientVpnIngress",
                "ec2:CreateClientVpnEndpoint",
                "ec2:CreateCustomerGateway",
                "ec2:CreateVPNGateway",
                "ec2:CreateVpnConnection",
                "ec2:ModifyClientVpnEndpoint",
                "ec2:ModifyVpnConnection",
            ),
        ),
    )


def _s3_cross_region_replication(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (Statement(sid="DenyS3Replication", actions=("s3:PutReplicationConfiguration",)),)


def _s3_bucket_settings(_: GuardrailInputs) -> tuple[Statement, ...]:
    # Control Tower's four AWS-GR_AUDIT_BUCKET_* electives, on every bucket.
    return (
        Statement(
            sid="FreezeS3BucketSettings",
            actions=(
                "s3:PutBucketLogging",
                "s3:PutBucketPolicy",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
        ),
    )


def _encrypted_ebs(i: GuardrailInputs) -> tuple[Statement, ...]:
    # ec2:Encrypted is the volume's; an unencrypted volume can neither be
    # snapshotted (CT.EC2.PV.1) nor attached (CT.EC2.PV.2).
    unencrypted: Condition = {"Bool": {"ec2:Encrypted": "false"}}
    volumes = (_arn(i, "ec2", "volume/*"),)
    return (
        Statement(
            sid="DenyUnencryptedEbsSnapshots",
            actions=("ec2:CreateSnapshot", "ec2:CreateSnapshots"),
            resources=volumes,
            condition=unencrypted,
        ),
        Statement(
            sid="DenyUnencryptedEbsAttach",
            actions=("ec2:AttachVolume",),
            resources=volumes,
            condition=unencrypted,
        ),
    )


def _public_ebs_snapshots(i: GuardrailInputs) -> tuple[Statement, ...]:
    # Snapshot ARNs have no account (CT.EC2.PV.3's artifact writes "::").
    return (
        Statement(
            sid="DenyPublicEbsSnapshots",
            actions=("ec2:ModifySnapshotAttribute",),
            resources=(f"arn:{i.partition}:ec2:*::snapshot/*",),
            condition={"StringEquals": {"ec2:Add/group": "all"}},
        ),
    )


def _vm_import_export(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyVmImportExport",
            actions=(
                "ec2:CreateInstanceExportTask",
                "ec2:ExportImage",
                "ec2:ImportImage",
                "ec2:ImportInstance",
                "ec2:ImportSnapshot",
                "ec2:ImportVolume",
            ),
        ),
    )


def _kms_key_safety(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        # CT.KMS.PV.3: a key policy that locks everyone out makes the key
        # unmanageable; the safety check must not be bypassed.
        Statement(
            sid="DenyKmsLockoutBypass",
            actions=("kms:CreateKey", "kms:PutKeyPolicy"),
            condition={"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}},
        ),
        # CT.KMS.PV.1: grants only through AWS services integrated with KMS.
        # Both keys under one operator are ANDed.
        Statement(
            sid="DenyDirectKmsGrants",
            actions=("kms:CreateGrant",),
            condition={
                "BoolIfExists": {
                    "aws:PrincipalIsAWSService": "false",
                    "kms:GrantIsForAWSResource": "false",
                }
            },
        ),
    )


def _lambda_function_urls(i: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyPublicLambdaUrls",
            actions=("lambda:CreateFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig"),
            resources=(_arn(i, "lambda", "function:*"),),
            condition={"StringNotEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
        ),
    )


def _appsync_public_apis(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyPublicAppSyncApis",
            actions=("appsync:CreateGraphqlApi",),
            condition={"StringNotEquals": {"appsync:Visibility": "PRIVATE"}},
        ),
    )


def _cloudformation_registry(_: GuardrailInputs) -> tuple[Statement, ...]:
    return (
        Statement(
            sid="DenyCloudFormationRegistryChanges",
            actions=(
                # ActivateType brings a public third-party extension in;
                # DeactivateType switches an activated hook off.
                "cloudformation:ActivateType",
                "cloudformation:DeactivateType",
                "cloudformation:DeregisterType",
                "cloudformation:PublishType",
                "cloudformation:RegisterType",
                "cloudformation:SetTypeConfiguration",
                "cloudformation:SetTypeDefaultVersion",
            ),
        ),
    )


def _guard_hooks(_: GuardrailInputs) -> tuple[Statement, ...]:
    # A Guard hook is an activated registry type of its account: DeactivateType
    # switches it off, SetTypeConfiguration changes its mode (FAIL to WARN) or
    # targets. These actions authorize against "*" only (no resource-level
    # permission), so the landing zone's hooks cannot be singled out: every
    # hook's deactivation and configuration is left to the StackSets and the
    # privileged principals. Their execution roles (<Prefix>-GuardHook*) are
    # protected by protect-landing-zone-resources.
    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
    return (
        Statement(
            sid="ProtectGuardHooks",
            actions=(
                "cloudformation:DeactivateType",
                "cloudformation:DeregisterType",
                "cloudformation:SetTypeConfiguration",
                "cloudformation:SetTypeDefaultVersion",
            ),
        ),
    )


# The skip tag of automatic remediation (landing_zone/remediation/playbooks.py)
# and the remediation role in every member account.
REMEDIATION_SKIP_TAG = "landing-zone:remediation"
REMEDIATION_ROLE = "Remediation"
REMEDIATION_FUNCTION_ROLE = "RemediationFunction"


def _remediation(i: GuardrailInputs) -> tuple[Statement, ...]:
    # A compromised workload principal would tag its own resource "skip" to
    # escape remediation: only the privileged principals set or remove the
    # key. These tag writes take aws:TagKeys (a resource tagged at creation
    # goes through the same actions); s3:PutBucketTagging takes none, so the
    # bucket playbook ignores the tag instead. IgnoreCase: IAM tag keys are
    # case-insensitive, and no spelling of the key should pass.
    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html
    return (
        Statement(
            sid="ProtectRemediationSkipTag",
            actions=(
                "ec2:CreateTags",
                "ec2:DeleteTags",
                "iam:CreateRole",
                "iam:CreateUser",
                "iam:TagRole",
                "iam:TagUser",
                "iam:UntagRole",
                "iam:UntagUser",
            ),
            condition={"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": REMEDIATION_SKIP_TAG}},
        ),
        # Only the audit account's remediation function becomes the role; its
        # trust policy says so too, and protect-landing-zone-resources keeps
        # both roles' names from being created or re-trusted by anyone else.
        Statement(
            sid="OnlyTheFunctionAssumesRemediation",
            actions=("sts:AssumeRole",),
            resources=(_arn(i, "iam", f"role/{i.prefix}-{REMEDIATION_ROLE}"),),
            exempt_privileged=False,
            exempt_also=(_arn(i, "iam", f"role/{i.prefix}-{REMEDIATION_FUNCTION_ROLE}"),),
        ),
    )


GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        id="protect-log-archive-buckets",
        kind="scp",
        enforces="Nobody but the privileged roles may create, delete or reconfigure the "
        "log-archive buckets (policy, encryption, lifecycle, logging, versioning, Object Lock, "
        "ACLs, public access, replication, notifications, inventory, CORS, website, tags and "
        "every other bucket setting Control Tower's log-archive controls protect), delete "
        "object versions, or bypass or shorten object retention.",
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
                # Landing zone 4.0's log and Config buckets: the Config
                # recorder delivers into the log archive's config bucket.
                "CT.S3.PV.7",
                "CT.S3.PV.8",
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
            # Control Tower ships one SCP (GRCLOUDTRAILENABLED) for all four.
            control_tower=(
                "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
                "AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",
                "AWS-GR_CLOUDTRAIL_ENABLED",
                "AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",
            ),
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
        enforces="Config rules and aggregators tagged as the landing zone's cannot be "
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
        "organization-access roles), Lambda functions, SNS topics, SQS queues, log groups and "
        "EventBridge rules cannot be changed by workload principals.",
        rationale="These resources are the landing zone's hands and ears in every account; "
        "a workload admin who can edit them can disable any other control.",
        controls=Controls(
            control_tower=(
                "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
                "AWS-GR_LAMBDA_CHANGE_PROHIBITED",
                "AWS-GR_SNS_CHANGE_PROHIBITED",
                "AWS-GR_SNS_SUBSCRIPTION_CHANGE_PROHIBITED",
                "CT.SNS.PV.1",
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
        "Security Hub, Macie, Inspector or Detective, hide GuardDuty findings (filters, trusted "
        "IP lists), change their findings export, or change the landing zone's Access Analyzer "
        "analyzers. Security Hub workflow updates (BatchUpdateFindings) stay allowed: the "
        "audit account's analysts triage with them, and every update is recorded in the "
        "finding's history.",
        rationale="Detection is centrally administered from the audit account; a member "
        "turning it off (or archiving its findings) blinds the security team.",
        controls=Controls(cis=("1.20", "4.16"), well_architected=("SEC04-BP02", "SEC04-BP03")),
        statements=_detection_services,
    ),
    Guardrail(
        id="protect-backup-vault",
        kind="scp",
        enforces="Nobody but the privileged roles can create, delete, unlock, share or re-policy "
        "the baseline's backup vault (<Prefix>-Backup), change its notifications, or disable, "
        "delete, re-policy or revoke grants of its KMS key or move its alias.",
        rationale="Backups are what ransomware goes after first: a workload admin who can "
        "delete the vault, remove its Vault Lock or access policy, or schedule its key for "
        "deletion can destroy every recovery point at once.",
        controls=Controls(well_architected=("REL09-BP02",)),
        statements=_backup_vault,
    ),
    Guardrail(
        id="protect-remediation",
        kind="scp",
        enforces="Only the privileged principals can set or remove the remediation skip tag "
        "(landing-zone:remediation, any case) on EC2 resources and IAM roles and users, and "
        "only the audit account's remediation function can assume the remediation role.",
        rationale="A compromised workload principal would tag its own resource to escape "
        "automatic remediation, or borrow the remediation role's permissions.",
        controls=Controls(well_architected=("SEC01-BP06",)),
        statements=_remediation,
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
        enforces="Outside the governed regions only the services Control Tower's region deny "
        "exempts work: global ones (IAM, Organizations, STS, Route 53, CloudFront, billing, "
        "support, ...) and a few regional ones it keeps usable everywhere (KMS, Config, ACM, "
        "Direct Connect, WAF, Firewall Manager, Access Analyzer, Resource Explorer, ...).",
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
        controls=Controls(
            control_tower=(
                "CT.KMS.PV.7",
                "CT.S3.PV.4",
                "CT.SECRETSMANAGER.PV.1",
                "CT.SQS.PV.1",
                "CT.STS.PV.1",
            ),
            well_architected=("SEC03-BP09", "SEC07-BP02"),
        ),
        statements=_identity_perimeter,
    ),
    Guardrail(
        id="rcp-enforce-tls",
        kind="rcp",
        enforces="S3 requests without TLS are denied, whatever the bucket policy says.",
        rationale="Data in transit is encrypted everywhere without relying on every bucket "
        "policy to say so.",
        controls=Controls(control_tower=("CT.S3.PV.5",), well_architected=("SEC09-BP02",)),
        statements=_tls,
    ),
    Guardrail(
        id="deny-vpc-internet-access",
        kind="scp",
        enforces="No internet, egress-only internet or carrier gateways can be created or "
        "attached, and no default VPC or subnet created.",
        rationale="For OUs whose traffic must leave through a central egress or inspection VPC.",
        controls=Controls(
            control_tower=("AWS-GR_DISALLOW_VPC_INTERNET_ACCESS",),
            well_architected=("SEC05-BP01",),
        ),
        statements=_vpc_internet_access,
    ),
    Guardrail(
        id="deny-cross-region-networking",
        kind="scp",
        enforces="No VPC or Transit Gateway peering, CloudFront distributions or Global "
        "Accelerator resources can be created or changed.",
        rationale="Each of these links networks or regions outside the central network "
        "design and its inspection.",
        controls=Controls(
            control_tower=("AWS-GR_DISALLOW_CROSS_REGION_NETWORKING",),
            well_architected=("SEC05-BP01",),
        ),
        statements=_cross_region_networking,
    ),
    Guardrail(
        id="deny-vpn-connections",
        kind="scp",
        enforces="No Site-to-Site VPN or Client VPN endpoints, gateways or connections can be "
        "created or changed.",
        rationale="Private connectivity into a VPC belongs to the network team's hub, not to "
        "individual accounts.",
        controls=Controls(
            control_tower=("AWS-GR_DISALLOW_VPN_CONNECTIONS",), well_architected=("SEC05-BP01",)
        ),
        statements=_vpn_connections,
    ),
    Guardrail(
        id="deny-s3-replication",
        kind="scp",
        enforces="No S3 replication configuration can be set on any bucket.",
        rationale="Keeps data in the region (and account) where it was written, for "
        "data-residency commitments.",
        controls=Controls(
            control_tower=("AWS-GR_RESTRICT_S3_CROSS_REGION_REPLICATION",),
            well_architected=("SEC07-BP02",),
        ),
        statements=_s3_cross_region_replication,
    ),
    Guardrail(
        id="freeze-s3-bucket-settings",
        kind="scp",
        enforces="No bucket's policy, default encryption, access logging or lifecycle can be "
        "changed except by the privileged roles.",
        rationale="For OUs whose buckets are all provisioned by the platform pipeline.",
        controls=Controls(
            control_tower=(
                "AWS-GR_AUDIT_BUCKET_ENCRYPTION_ENABLED",
                "AWS-GR_AUDIT_BUCKET_LOGGING_ENABLED",
                "AWS-GR_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED",
                "AWS-GR_AUDIT_BUCKET_RETENTION_POLICY",
            ),
            well_architected=("SEC08-BP04",),
        ),
        statements=_s3_bucket_settings,
    ),
    Guardrail(
        id="require-encrypted-ebs",
        kind="scp",
        enforces="Unencrypted EBS volumes can be neither snapshotted nor attached.",
        rationale="EBS encryption by default covers new volumes; this stops older or "
        "imported unencrypted ones from spreading.",
        controls=Controls(
            control_tower=("CT.EC2.PV.1", "CT.EC2.PV.2"), well_architected=("SEC08-BP02",)
        ),
        statements=_encrypted_ebs,
    ),
    Guardrail(
        id="deny-public-ebs-snapshots",
        kind="scp",
        enforces="No EBS snapshot can be shared with everyone.",
        rationale="A public snapshot is a copy of a disk anyone can mount.",
        controls=Controls(control_tower=("CT.EC2.PV.3",), well_architected=("SEC08-BP04",)),
        statements=_public_ebs_snapshots,
    ),
    Guardrail(
        id="deny-vm-import-export",
        kind="scp",
        enforces="No VM Import/Export tasks that bring images, snapshots, instances or volumes "
        "in or take them out.",
        rationale="Export tasks copy whole disks out of the account; imports bring in "
        "unvetted images.",
        controls=Controls(control_tower=("CT.EC2.PV.5",), well_architected=("SEC08-BP04",)),
        statements=_vm_import_export,
    ),
    Guardrail(
        id="kms-key-safety",
        kind="scp",
        enforces="KMS key policies cannot bypass the lockout safety check, and grants can be "
        "created only by AWS services integrated with KMS.",
        rationale="A locked-out key makes its data unrecoverable; a direct grant is a "
        "permission no key policy review sees.",
        controls=Controls(
            control_tower=("CT.KMS.PV.1", "CT.KMS.PV.3"), well_architected=("SEC08-BP01",)
        ),
        statements=_kms_key_safety,
    ),
    Guardrail(
        id="deny-public-lambda-urls",
        kind="scp",
        enforces="Lambda function URLs must use IAM authentication.",
        rationale="A function URL with auth type NONE is a public, unauthenticated endpoint.",
        controls=Controls(control_tower=("CT.LAMBDA.PV.1",), well_architected=("SEC05-BP02",)),
        statements=_lambda_function_urls,
    ),
    Guardrail(
        id="deny-public-appsync-apis",
        kind="scp",
        enforces="New AppSync GraphQL APIs must be private (reachable only from a VPC).",
        rationale="Keeps internal APIs off the internet by construction.",
        controls=Controls(control_tower=("CT.APPSYNC.PV.1",), well_architected=("SEC05-BP02",)),
        statements=_appsync_public_apis,
    ),
    Guardrail(
        id="protect-cloudformation-registry",
        kind="scp",
        enforces="No CloudFormation registry extensions (resource types, modules, hooks) can be "
        "registered, published, configured or deregistered.",
        rationale="Third-party resource types run code with the deploying role's "
        "permissions; disabling a hook switches off a proactive control.",
        controls=Controls(
            control_tower=("CT.CLOUDFORMATION.PR.1",), well_architected=("SEC01-BP06",)
        ),
        statements=_cloudformation_registry,
    ),
    Guardrail(
        id="protect-guard-hooks",
        kind="scp",
        enforces="No CloudFormation hook (the landing zone's Guard hooks included) can be "
        "deactivated, deregistered or reconfigured by workload principals; the StackSets "
        "and the privileged principals manage hooks.",
        rationale="A hook a workload admin can switch off or move from FAIL to WARN is no "
        "control, and the registry actions allow no narrower resource than '*'.",
        controls=Controls(well_architected=("SEC01-BP06",)),
        statements=_guard_hooks,
    ),
)

BY_ID: dict[str, Guardrail] = {guardrail.id: guardrail for guardrail in GUARDRAILS}
