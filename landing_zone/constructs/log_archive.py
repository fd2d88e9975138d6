"""The log archive's KMS key and buckets (log-archive account, home region, via StackSet).

Who may do what is data: ``LOG_WRITERS`` lists the AWS services that deliver
logs (CloudTrail, Config, GuardDuty's findings export), and
``PROTECTED_BUCKET_ACTIONS`` / ``PROTECTED_OBJECT_ACTIONS`` what only the
privileged principals may do. The bucket and key policies are generated
from them; ``tests/test_log_archive.py`` evaluates the synthesized policies
against requests that must be allowed and requests that must be denied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from landing_zone.config import LogArchiveConfig
from landing_zone.constructs.keys import AdministeredKey
from landing_zone.guardrails.catalog import LOG_ARCHIVE_BUCKET_ACTIONS
from landing_zone.naming import (
    ACCESS_LOG_BUCKET,
    CONFIG_BUCKET,
    LOG_ARCHIVE_KEY,
    LOG_BUCKET,
    kms_alias_name,
    log_archive_bucket_name,
)
from landing_zone.regions import is_opt_in


@dataclass(frozen=True)
class LogArchiveTrust:
    """Who the log archive trusts: the organization, its trail, its auditors, its admins."""

    partition: str
    organization_id: str
    management_account_id: str
    trail_arn: str
    #: Account whose principals may read and decrypt logs (the audit account).
    reader_account_id: str
    #: IAM role ARN patterns exempt from the deletion and policy-change denials.
    privileged_principal_arns: Sequence[str]
    #: The governed regions: a writer with a regional principal in opt-in
    #: regions is granted under that name too.
    governed_regions: Sequence[str] = ()
    #: The audit account's remediation function role: it adds decision records
    #: under ``remediation/`` of the log bucket (Object Lock), nothing else.
    remediation_writer_arn: str | None = None


#: Where the remediation function's records go in the log bucket.
REMEDIATION_PREFIX = "remediation/"


@dataclass(frozen=True)
class LogWriter:
    """An AWS service that delivers logs into the central bucket.

    Conditions are ``{operator: {key: template}}``, the templates filled with
    ``{org}``, ``{management}``, ``{partition}``, ``{trail}`` and
    ``{reader}`` (the audit account). Each writer is pinned with the keys its
    own documentation says it sends: a key the service does not send makes
    an Allow that requires it never match.
    """

    sid: str
    service: str
    #: Which bucket it delivers to (``LOG_BUCKET`` or ``CONFIG_BUCKET``).
    bucket: str
    #: Object key patterns it writes under (``{org}``/``{management}`` filled in).
    key_patterns: tuple[str, ...]
    #: Bucket-level reads the service makes before delivering.
    bucket_actions: tuple[str, ...]
    #: The cryptographic operations it needs of the KMS key.
    key_actions: tuple[str, ...]
    #: The source conditions of every grant: whose delivery this is.
    source: dict[str, dict[str, str]]
    #: Encryption-context conditions of the cryptographic grant only (a
    #: context exists on cryptographic operations, never on DescribeKey).
    encryption_context: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The service calls kms:DescribeKey (CloudTrail does, to validate the key).
    describes_key: bool = False
    #: With S3 Bucket Keys the service also needs kms:Decrypt, and the
    #: encryption context is then the bucket's, not its own.
    bucket_key_decrypt: bool = False
    #: The service sends x-amz-acl: bucket-owner-full-control (CloudTrail and
    #: Config do); the bucket policy then insists on it.
    sends_owner_acl: bool = True
    #: In opt-in regions the service calls as ``<name>.<region>.amazonaws.com``.
    regional_in_opt_in: bool = False

    def principals(self, trust: LogArchiveTrust) -> list[iam.IPrincipal]:
        """The service principal, and its regional names in the governed opt-in regions."""
        names = [self.service]
        if self.regional_in_opt_in:
            name, _, domain = self.service.partition(".")
            names += [f"{name}.{r}.{domain}" for r in trust.governed_regions if is_opt_in(r)]
        return [iam.ServicePrincipal(n) for n in names]


# Where a writer's own pages do not show aws:SourceOrgID, a grant does not
# require it (a key the service does not send makes StringEquals false);
# where it is sent it must be this organization's. AWS's RCP examples rely
# on services that send aws:SourceAccount for an account in an organization
# sending aws:SourceOrgID with it (docs/assumptions.md), and the root RCP
# denies those that do not: the grants here need not insist again.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_examples.html
ORGANIZATION_IF_SENT = {"StringEqualsIfExists": {"aws:SourceOrgID": "{org}"}}

LOG_WRITERS: tuple[LogWriter, ...] = (
    # CloudTrail writes the organization trail under AWSLogs/<org-id>/ and the
    # management account's own events under AWSLogs/<management>/. Its
    # documentation pins every grant with aws:SourceArn, the trail's ARN, and
    # lists DescribeKey as a statement of its own: DescribeKey carries no
    # encryption context, so it cannot share the GenerateDataKey* statement
    # that requires kms:EncryptionContext:aws:cloudtrail:arn.
    # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
    # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    LogWriter(
        sid="CloudTrail",
        service="cloudtrail.amazonaws.com",
        bucket=LOG_BUCKET,
        key_patterns=("AWSLogs/{management}/*", "AWSLogs/{org}/*"),
        bucket_actions=("s3:GetBucketAcl",),
        key_actions=("kms:GenerateDataKey*",),
        source={"StringEquals": {"aws:SourceArn": "{trail}"}, **ORGANIZATION_IF_SENT},
        # The encryption context names the trail; member accounts' logs are
        # encrypted under the management account's organization trail.
        encryption_context={
            "StringLike": {
                "kms:EncryptionContext:aws:cloudtrail:arn": "arn:{partition}:cloudtrail:*:"
                "{management}:trail/*"
            }
        },
        describes_key=True,
        bucket_key_decrypt=True,
    ),
    # AWS Config delivers every account's configuration history and snapshots,
    # always as the config.amazonaws.com service principal because the
    # recorders use the service-linked role (which has no S3 or KMS rights),
    # in the log-archive account itself as much as in every other account.
    # It cannot deliver into a bucket with Object Lock default retention, so
    # it has a bucket of its own. Its own pages pin aws:SourceAccount, one
    # account at a time; for a whole organization AWS Control Tower's
    # log-archive policy pins Config's delivery with aws:SourceOrgID, which
    # Config sends.
    # See: https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
    # See: https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html
    # See: https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html
    # See: https://docs.aws.amazon.com/controltower/latest/userguide/logging-s3-audit-bucket.html
    LogWriter(
        sid="Config",
        service="config.amazonaws.com",
        bucket=CONFIG_BUCKET,
        key_patterns=("AWSLogs/*/Config/*",),
        bucket_actions=("s3:GetBucketAcl", "s3:ListBucket"),
        key_actions=("kms:Decrypt", "kms:GenerateDataKey"),
        source={"StringEquals": {"aws:SourceOrgID": "{org}"}},
    ),
    # GuardDuty exports every account's findings from the audit account (the
    # administrator's detector, in each governed region) under
    # AWSLogs/<audit>/GuardDuty/<region>/. Into the Config bucket, not the
    # Object Lock one: GuardDuty does not document writing under Object Lock
    # default retention (which requires a checksum on every PutObject), and a
    # failed export is silent until someone reads the destination's status.
    # Its documentation pins aws:SourceAccount and aws:SourceArn (the
    # exporting detector) and does not mention aws:SourceOrgID. In a
    # manually-enabled (opt-in) region GuardDuty calls as
    # guardduty.<region>.amazonaws.com: "If you're using GuardDuty in a
    # manually-enabled Region, replace the value for the 'Service' with the
    # service endpoint for the Region".
    # See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html
    LogWriter(
        sid="GuardDuty",
        service="guardduty.amazonaws.com",
        bucket=CONFIG_BUCKET,
        key_patterns=("AWSLogs/*/GuardDuty/*",),
        bucket_actions=("s3:GetBucketLocation",),
        key_actions=("kms:GenerateDataKey",),
        source={
            "StringEquals": {"aws:SourceAccount": "{reader}"},
            "ArnLike": {"aws:SourceArn": "arn:{partition}:guardduty:*:{reader}:detector/*"},
            **ORGANIZATION_IF_SENT,
        },
        sends_owner_acl=False,
        regional_in_opt_in=True,
    ),
)

# Only the privileged principals (and the StackSet execution role that
# deploys this template) may change or delete the buckets, the locks or the
# versions: Control Tower's AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED and
# AWS-GR_CT_AUDIT_BUCKET_{ENCRYPTION,LOGGING,POLICY,LIFECYCLE}_CHANGES_PROHIBITED,
# enforced in the bucket policy as well as by the log-archive SCP pack.
PROTECTED_BUCKET_ACTIONS = LOG_ARCHIVE_BUCKET_ACTIONS
PROTECTED_OBJECT_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
)
READ_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions")
READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")

# What would make the archive unreadable or hand it out: privileged only.
PROTECTED_KEY_ACTIONS = (
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:UpdateAlias",
)


def _fill(text: str, trust: LogArchiveTrust) -> str:
    return text.format(
        org=trust.organization_id,
        management=trust.management_account_id,
        partition=trust.partition,
        trail=trust.trail_arn,
        reader=trust.reader_account_id,
    )


def _conditions(*blocks: dict[str, dict[str, str]], trust: LogArchiveTrust) -> dict[str, Any]:
    """Condition blocks merged (operator by operator), their templates filled."""
    merged: dict[str, dict[str, str]] = {}
    for block in blocks:
        for operator, values in block.items():
            merged.setdefault(operator, {}).update(
                {key: _fill(value, trust) for key, value in values.items()}
            )
    return merged


def _exempt(trust: LogArchiveTrust, account: str) -> list[str]:
    # The service-managed StackSet execution role applies this very template,
    # so it must stay able to update the policies it denies everyone else.
    stack_set_role = f"arn:{trust.partition}:iam::{account}:role/stacksets-exec-*"
    return [*trust.privileged_principal_arns, stack_set_role]


class LogArchiveKey(Construct):
    """The customer managed KMS key of the central log bucket (log-archive account)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, trust: LogArchiveTrust
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        statements = [
            iam.PolicyStatement(
                sid="DenyKeyChangesExceptPrivileged",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(PROTECTED_KEY_ACTIONS),
                resources=["*"],
                conditions={"ArnNotLike": {"aws:PrincipalArn": _exempt(trust, account)}},
            ),
            iam.PolicyStatement(
                sid="ReadersDecrypt",
                principals=[iam.AccountPrincipal(trust.reader_account_id)],
                actions=["kms:Decrypt", "kms:DescribeKey"],
                resources=["*"],
            ),
        ]
        if trust.remediation_writer_arn is not None:
            # S3 encrypts the records with the bucket's key on the writer's behalf.
            # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
            statements.append(
                iam.PolicyStatement(
                    sid="RemediationRecordsEncrypt",
                    principals=[iam.AccountPrincipal(trust.reader_account_id)],
                    actions=["kms:GenerateDataKey"],
                    resources=["*"],
                    conditions={
                        "ArnEquals": {"aws:PrincipalArn": trust.remediation_writer_arn},
                        "StringEquals": {
                            "kms:ViaService": f"s3.{Stack.of(self).region}.amazonaws.com"
                        },
                    },
                )
            )
        for writer in LOG_WRITERS:
            source = _conditions(writer.source, trust=trust)
            statements.append(
                iam.PolicyStatement(
                    sid=f"{writer.sid}Encrypt",
                    principals=writer.principals(trust),
                    actions=list(writer.key_actions),
                    resources=["*"],
                    conditions=_conditions(writer.source, writer.encryption_context, trust=trust),
                )
            )
            if writer.describes_key:
                # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html#create-kms-key-policy-for-cloudtrail-describe
                statements.append(
                    iam.PolicyStatement(
                        sid=f"{writer.sid}DescribeKey",
                        principals=writer.principals(trust),
                        actions=["kms:DescribeKey"],
                        resources=["*"],
                        conditions=source,
                    )
                )
            if writer.bucket_key_decrypt:
                # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html#create-kms-key-policy-for-cloudtrail-decrypt
                statements.append(
                    iam.PolicyStatement(
                        sid=f"{writer.sid}BucketKeyDecrypt",
                        principals=writer.principals(trust),
                        actions=["kms:Decrypt"],
                        resources=["*"],
                        conditions=source,
                    )
                )
        administered = AdministeredKey(
            self,
            "Administered",
            description="Landing zone log archive: CloudTrail, Config and findings",
            # Services in other accounts (the trail, Config delivery channels)
            # refer to the key by this alias: the key id is only known here.
            alias=kms_alias_name(prefix, LOG_ARCHIVE_KEY),
            statements=statements,
        )
        self.key = administered.key
        self.alias = administered.alias


class LogArchiveBuckets(Construct):
    """The log bucket, the Config bucket and their access-log bucket (log-archive account)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        config: LogArchiveConfig,
        key: kms.IKey,
        trust: LogArchiveTrust,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        account, region = stack.account, stack.region

        # S3 server access logs can only be delivered to a bucket with SSE-S3
        # default encryption and no Object Lock default retention, so this one
        # has neither. It holds request metadata, not the logs themselves, and
        # keeps the versioning, public-access, TLS and deletion protections.
        # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
        self.access_log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=log_archive_bucket_name(prefix, ACCESS_LOG_BUCKET, account, region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs",
                    expiration=Duration.days(config.access_log_expiration_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            **_hardening(),
        )
        # No access logging of its own (into itself it would loop, into another
        # bucket it would only move the problem); cdk-nag's AwsSolutions-S1
        # already passes a bucket that receives other buckets' access logs.

        lock = config.object_lock
        retention = Duration.days(lock.days)
        self.bucket = self._archive_bucket(
            "Logs",
            name=log_archive_bucket_name(prefix, LOG_BUCKET, account, region),
            config=config,
            key=key,
            object_lock=(
                s3.ObjectLockRetention.compliance(retention)
                if lock.mode == "COMPLIANCE"
                else s3.ObjectLockRetention.governance(retention)
            ),
            access_log_prefix="logs/",
        )
        # AWS Config refuses a delivery bucket with Object Lock default
        # retention ("AWS Config does not support the delivery channel to an
        # Amazon S3 bucket where object lock is enabled with default retention
        # enabled"). Its history is protected by policy instead: only the
        # privileged roles may delete an object or a version (bucket policy
        # below and the log-archive SCP pack), and versioning keeps every write.
        # See: https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html
        self.config_bucket = self._archive_bucket(
            "Config",
            name=log_archive_bucket_name(prefix, CONFIG_BUCKET, account, region),
            config=config,
            key=key,
            object_lock=None,
            access_log_prefix="config/",
        )

        by_purpose = {LOG_BUCKET: self.bucket, CONFIG_BUCKET: self.config_bucket}
        for bucket in (self.bucket, self.config_bucket, self.access_log_bucket):
            _protect(
                bucket,
                trust,
                account,
                writers=[trust.remediation_writer_arn]
                if bucket is self.bucket and trust.remediation_writer_arn is not None
                else [],
            )
        if trust.remediation_writer_arn is not None:
            # New objects under remediation/ only: Object Lock keeps each
            # record, and the deletion denials above still apply to the writer.
            self.bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="RemediationRecords",
                    principals=[iam.AccountPrincipal(trust.reader_account_id)],
                    actions=["s3:PutObject"],
                    resources=[self.bucket.arn_for_objects(f"{REMEDIATION_PREFIX}*")],
                    conditions={"ArnEquals": {"aws:PrincipalArn": trust.remediation_writer_arn}},
                )
            )
        for writer in LOG_WRITERS:
            target = by_purpose[writer.bucket]
            owner_acl = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
            target.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"{writer.sid}BucketCheck",
                    principals=writer.principals(trust),
                    actions=list(writer.bucket_actions),
                    resources=[target.bucket_arn],
                    conditions=_conditions(writer.source, trust=trust),
                )
            )
            target.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"{writer.sid}Write",
                    principals=writer.principals(trust),
                    actions=["s3:PutObject"],
                    resources=[
                        target.arn_for_objects(_fill(p, trust)) for p in writer.key_patterns
                    ],
                    conditions=_conditions(
                        writer.source, owner_acl if writer.sends_owner_acl else {}, trust=trust
                    ),
                )
            )
        # Investigation happens from the audit account: read, never write.
        for bucket in by_purpose.values():
            bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="ReadersRead",
                    principals=[iam.AccountPrincipal(trust.reader_account_id)],
                    actions=[*READ_BUCKET_ACTIONS, *READ_OBJECT_ACTIONS],
                    resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
                )
            )

    def _archive_bucket(
        self,
        construct_id: str,
        *,
        name: str,
        config: LogArchiveConfig,
        key: kms.IKey,
        object_lock: s3.ObjectLockRetention | None,
        access_log_prefix: str,
    ) -> s3.Bucket:
        """A KMS-encrypted archive bucket, access-logged, archived then expired per config."""
        return s3.Bucket(
            self,
            construct_id,
            bucket_name=name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            # Bucket keys cut KMS requests (and their cost) by orders of magnitude.
            bucket_key_enabled=True,
            object_lock_enabled=object_lock is not None or None,
            object_lock_default_retention=object_lock,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=access_log_prefix,
            lifecycle_rules=_archive_lifecycle(config),
            # CloudTrail and Config files are small: objects under 128 KB stay
            # in S3 Standard, where a Glacier transition would cost more than it saves.
            transition_default_minimum_object_size=(
                s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K
            ),
            **_hardening(),
        )


def _hardening() -> dict[str, Any]:
    """What every log-archive bucket shares: versioned, private, TLS 1.2+, retained."""
    return {
        "versioned": True,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "enforce_ssl": True,
        "minimum_tls_version": 1.2,
        "removal_policy": RemovalPolicy.RETAIN,
    }


def _archive_lifecycle(config: LogArchiveConfig) -> list[s3.LifecycleRule]:
    transition = config.transition
    storage_class = {
        "GLACIER_IR": s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
        "GLACIER": s3.StorageClass.GLACIER,
        "DEEP_ARCHIVE": s3.StorageClass.DEEP_ARCHIVE,
    }[transition.storage_class]
    return [
        s3.LifecycleRule(
            id="ArchiveThenExpire",
            transitions=[
                s3.Transition(
                    storage_class=storage_class,
                    transition_after=Duration.days(transition.days),
                )
            ],
            noncurrent_version_transitions=[
                s3.NoncurrentVersionTransition(
                    storage_class=storage_class,
                    transition_after=Duration.days(transition.days),
                )
            ],
            # Expiration adds a delete marker once Object Lock has released
            # the version (config validation keeps it >= the lock period);
            # the now-noncurrent version is removed a day later. Nobody but
            # the privileged roles may add delete markers themselves.
            expiration=Duration.days(config.effective_expiration_days),
            noncurrent_version_expiration=Duration.days(1),
            abort_incomplete_multipart_upload_after=Duration.days(7),
        ),
        # S3 does not allow ExpiredObjectDeleteMarker beside a day-based expiration.
        s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True),
    ]


def _protect(
    bucket: s3.Bucket, trust: LogArchiveTrust, account: str, *, writers: Sequence[str] = ()
) -> None:
    """The denials; ``writers`` may write (their own Allow says where) but not delete."""
    exempt = {"ArnNotLike": {"aws:PrincipalArn": _exempt(trust, account)}}
    writes_exempt = {"ArnNotLike": {"aws:PrincipalArn": [*_exempt(trust, account), *writers]}}
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyBucketChangesExceptPrivileged",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=list(PROTECTED_BUCKET_ACTIONS),
            resources=[bucket.bucket_arn],
            conditions=exempt,
        )
    )
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyObjectChangesExceptPrivileged",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=list(PROTECTED_OBJECT_ACTIONS),
            resources=[bucket.arn_for_objects("*")],
            conditions=exempt,
        )
    )
    # Only AWS services delivering on behalf of a resource write logs. Not
    # every writer's page shows aws:SourceOrgID (GuardDuty's export and S3
    # server access logging show aws:SourceAccount and aws:SourceArn), and
    # a missing key satisfies StringNotEquals, so the two denials are
    # guarded with Null as AWS's data-perimeter examples do: a write with
    # no aws:SourceAccount is not a service delivery (IAM principals of the
    # log-archive account never carry it), and aws:SourceOrgID, where it is
    # sent, must be this organization's. Which delivery is allowed is then
    # each writer's Allow, pinned with the keys it does send.
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
    # See: https://github.com/aws-samples/data-perimeter-policy-examples/blob/main/resource_control_policies/identity_perimeter_rcp.json
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyWritesExceptServiceDelivery",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("*")],
            conditions={"Null": {"aws:SourceAccount": "true"}, **writes_exempt},
        )
    )
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyDeliveryForOtherOrganizations",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("*")],
            conditions={
                "Null": {"aws:SourceOrgID": "false"},
                "StringNotEquals": {"aws:SourceOrgID": trust.organization_id},
            },
        )
    )
