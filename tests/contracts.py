"""The service contracts: what each AWS service asks of the landing zone's resource policies.

Every resource policy the landing zone writes (KMS key policies, bucket
policies, SNS topic policies, SQS queue policies, event bus policies, Lambda function policies,
in every template and
StackSet template body) is there for requests an AWS service makes on the
user's behalf. Each row here is one such request as the service's own
documentation describes it: the principal, the action, the resource, the
condition keys the request carries (with the values of a genuine request)
and the keys the service is not documented to send, with the page that
says so. ``tests/test_contracts.py`` evaluates every row against the
synthesized policies (Allow expected) and forged variants of it (another
organization, another account, no source) that must not be allowed, and
fails when a policy appears in a template with no row.

A key in ``omits`` is one the service does not send on that request: a
policy must not require it (a missing key makes ``StringEquals`` false and
``StringNotEquals`` true).

``aws:SourceOrgID`` follows one model, AWS's own: a service that sends
``aws:SourceAccount`` for an account in an organization also sends
``aws:SourceOrgID``. AWS's RCP examples build on it (their confused-deputy
statement "applies controls only on requests that have aws:SourceAccount
present", where the ``Null`` condition on ``aws:SourceAccount`` causes "the
aws:SourceOrgID key to be enforced"), and so does the landing zone's root
RCP: a row that sent ``aws:SourceAccount`` without ``aws:SourceOrgID`` would
be denied by it. So every row with ``aws:SourceAccount`` carries
``aws:SourceOrgID`` (``tests/test_contracts.py`` checks), and a request
without ``aws:SourceAccount`` (CloudWatch Logs' KMS calls, Lambda and
Config assuming their roles) omits all the ``aws:Source*`` keys.
docs/assumptions.md lists the model with what a user would see if a
service broke it. Rows are evaluated against the resource policy and the
synthesized RCPs along the owning account's OU path (``ACCOUNT_OUS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ORG = "o-a1b2c3d4e5"
MANAGEMENT = "111111111111"
LOG_ARCHIVE = "333333333333"
AUDIT = "444444444444"
MEMBER = "555555555555"
HOME = "eu-west-1"
OTHER_REGION = "eu-central-1"
PREFIX = "acme"

OPT_IN_REGION = "me-central-1"

#: Where each template with resource policies deploys: account, region, parameters.
DEPLOYMENTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "Acme-Trail": (MANAGEMENT, HOME, {}),
    "Acme-IdentityCenter": (MANAGEMENT, HOME, {}),
    "Acme-IdentityCenterEvents": (MANAGEMENT, "us-east-1", {}),
    "stackset:Acme-LogArchive/Template": (LOG_ARCHIVE, HOME, {"ReaderAccountId": AUDIT}),
    "stackset:Acme-Audit/HomeTemplate": (AUDIT, HOME, {}),
    "stackset:Acme-Audit/RegionalTemplate": (AUDIT, OTHER_REGION, {}),
    "Acme-MemberBaseline": (MANAGEMENT, HOME, {}),
    "stackset:Acme-MemberBaseline/Template": (
        MEMBER,
        HOME,
        {"LogArchiveAccountId": LOG_ARCHIVE, "AuditAccountId": AUDIT, "GuardRulesVersion": "v1"},
    ),
    "stackset:Acme-MemberBaseline/EnforcedHooksTemplate": (
        MEMBER,
        HOME,
        {"GuardRulesVersion": "v1"},
    ),
    "stackset:Acme-Audit/RemediationTemplate": (AUDIT, HOME, {"LogArchiveAccountId": LOG_ARCHIVE}),
    "stackset:Acme-HealthEvents/Template": (MEMBER, "us-east-1", {"AuditAccountId": AUDIT}),
}

#: Templates whose policies are those of another deployment, proven there:
#: the management account's baseline stacks are the member baseline's
#: construct (tests/test_backup_vault.py checks their vault, key and role).
REPLICAS = frozenset(
    f"Acme-ManagementBaseline-{region}" for region in (HOME, OTHER_REGION, "us-east-1")
)

#: The OU (config key) of each account; ``None`` for the management
#: account, whose resources no RCP governs.
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
ACCOUNT_OUS: dict[str, str | None] = {
    MANAGEMENT: None,
    LOG_ARCHIVE: "security",
    AUDIT: "security",
    MEMBER: "prod",
}

LOGS_BUCKET = f"{PREFIX}-log-archive-logs-{LOG_ARCHIVE}-{HOME}"
CONFIG_BUCKET = f"{PREFIX}-log-archive-config-{LOG_ARCHIVE}-{HOME}"
ACCESS_LOGS_BUCKET = f"{PREFIX}-log-archive-access-logs-{LOG_ARCHIVE}-{HOME}"
LOG_ARCHIVE_KEY = "alias/acme/landing-zone/log-archive"
MONITORING_KEY = "alias/acme/landing-zone/monitoring"
FINDINGS_KEY = "alias/acme/landing-zone/findings"
BACKUP_KEY = "alias/acme/landing-zone/backup"
ALARM_TOPIC = "Acme-SecurityAlarms"
BREAK_GLASS_ALERT = "Acme-BreakGlassAlert"
FINDINGS_TOPIC = "Acme-SecurityFindings"
FORMATTER = "Acme-FindingsFormatter"
FORMATTER_ARN = f"arn:aws:lambda:{HOME}:{AUDIT}:function:{FORMATTER}"
UNDELIVERED = "Acme-FindingsUndelivered"
UNDELIVERED_ARN = f"arn:aws:sqs:{HOME}:{AUDIT}:{UNDELIVERED}"

TRAIL = f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT}:trail/Acme-OrganizationTrail"
DETECTOR = f"arn:aws:guardduty:{OTHER_REGION}:{AUDIT}:detector/12abc34d567e8fa901bc2d34e56789f0"
TRAIL_LOG_GROUP = (
    f"arn:aws:logs:{HOME}:{MANAGEMENT}:log-group:/acme/landing-zone/organization-trail"
)

# The pages each row cites.
CLOUDTRAIL_S3 = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "create-s3-bucket-policy-for-cloudtrail.html"
)
CLOUDTRAIL_KMS = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "create-kms-key-policy-for-cloudtrail.html"
)
CONTROL_TOWER_ORG = (
    "https://docs.aws.amazon.com/controltower/latest/userguide/logging-s3-audit-bucket.html"
)
CONFIG_S3 = "https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html"
CONFIG_KMS = "https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html"
GUARDDUTY_EXPORT = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html"
ACCESS_LOGGING = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"
)
LOGS_KMS = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/encrypt-log-data-kms.html"
ALARMS_SNS = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
LOGS_LAMBDA = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html"
SNS_KMS_PUBLISHER = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
EVENTBRIDGE_TARGETS = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html"
)
EVENTBRIDGE_CROSS_ACCOUNT = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html"
)
HEALTH_FORWARDER = "Acme-HealthEventsForwarder-us-east-1"
EVENTBRIDGE_DLQ = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html"
LAMBDA_DESTINATIONS = (
    "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html"
)
CLOUDTRAIL_LOGS_ROLE = (
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-required-policy-for-cloudwatch-logs.html"
)
EVENTBRIDGE_ROLE = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/"
    "cross-service-confused-deputy-prevention.html"
)
CONFIG_AGGREGATOR_ROLE = (
    "https://docs.aws.amazon.com/config/latest/developerguide/set-up-aggregator-cli.html"
)
LAMBDA_ROLE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
BACKUP_ROLE_TRUST = "https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html"
BACKUP_KMS = "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html"
BACKUP_CREATE_VAULT = "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html"
CROSS_ACCOUNT = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_evaluation-logic-cross-account.html"
)

TLS = {"aws:SecureTransport": "true"}
OWNER_ACL = {"s3:x-amz-acl": "bucket-owner-full-control"}
CLOUDTRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL}
FROM_TRAIL = {
    **TLS,
    "aws:SourceArn": TRAIL,
    "aws:SourceAccount": MANAGEMENT,
    "aws:SourceOrgID": ORG,
}
FROM_CONFIG = {**TLS, "aws:SourceAccount": MEMBER, "aws:SourceOrgID": ORG}
FROM_DETECTOR = {
    **TLS,
    "aws:SourceArn": DETECTOR,
    "aws:SourceAccount": AUDIT,
    "aws:SourceOrgID": ORG,
}
#: The keys a service sends without aws:SourceAccount: none of the aws:Source* keys.
NO_SOURCE = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID")


def _key(account: str) -> str:
    """A key's ARN: the key policies say ``Resource: *``, so any key id serves."""
    return f"arn:aws:kms:{HOME}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass(frozen=True)
class Contract:
    """One request an AWS service (or the audit account) makes against a resource policy."""

    what: str
    #: ``key:<alias>``, ``bucket:<name>``, ``topic:<name>``, ``queue:<name>``, ``bus:<name>``
    #: or ``function:<name>``.
    policy: str
    #: ``("Service", "<principal>")`` or ``("AWS", "<role ARN>")``.
    principal: tuple[str, str]
    action: str
    resource: str
    #: The request context of a genuine request: every key the service sets.
    context: Mapping[str, str]
    #: Keys the service does not set on this request (a policy must not require them).
    omits: tuple[str, ...]
    #: The page that documents the request.
    url: str
    #: Where the contract goes beyond the page (an assumption), said here.
    note: str = field(default="")


#: The name under which every Lambda execution role's trust policy is one contract.
LAMBDA_EXECUTION = "lambda-execution"


def service(name: str) -> tuple[str, str]:
    return ("Service", name)


INVESTIGATOR = ("AWS", f"arn:aws:iam::{AUDIT}:role/Investigator")
DETECTION_HANDLER = ("AWS", f"arn:aws:iam::{AUDIT}:role/Acme-DetectionHandler-{OTHER_REGION}")
#: What every IAM principal of the organization's accounts carries.
#: See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
IN_THE_ORGANIZATION = {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": AUDIT}
AS_INVESTIGATOR = {
    **TLS,
    **IN_THE_ORGANIZATION,
    "s3:TlsVersion": "1.3",
    "aws:PrincipalArn": INVESTIGATOR[1],
}
AS_DETECTION_HANDLER = {**IN_THE_ORGANIZATION, "aws:PrincipalArn": DETECTION_HANDLER[1]}
ALARM = f"arn:aws:cloudwatch:{HOME}:{MANAGEMENT}:alarm:Acme-CIS-3.1-X"
FROM_ALARM = {"aws:SourceAccount": MANAGEMENT, "aws:SourceArn": ALARM, "aws:SourceOrgID": ORG}
GUARDDUTY_RULE = f"arn:aws:events:{HOME}:{AUDIT}:rule/Acme-GuardDutyFindings"
SECURITY_HUB_RULE = f"arn:aws:events:{HOME}:{AUDIT}:rule/Acme-SecurityHubFindings"
FORMATTER_ROLE = ("AWS", f"arn:aws:iam::{AUDIT}:role/{FORMATTER}")
AS_FORMATTER = {**IN_THE_ORGANIZATION, "aws:PrincipalArn": FORMATTER_ROLE[1]}
REMEDIATION = "Acme-RemediationFunction"
REMEDIATION_ARN = f"arn:aws:lambda:{HOME}:{AUDIT}:function:{REMEDIATION}"
REMEDIATION_ROLE = ("AWS", f"arn:aws:iam::{AUDIT}:role/{REMEDIATION}")
AS_REMEDIATION = {**IN_THE_ORGANIZATION, "aws:PrincipalArn": REMEDIATION_ROLE[1]}
REMEDIATION_UNDELIVERED = "Acme-RemediationUndelivered"
REMEDIATION_RULES = (
    "Acme-RemediationInstanceCredentialExfiltration",
    "Acme-RemediationPublicS3Bucket",
    "Acme-RemediationOpenAdminPorts",
    "Acme-RemediationExposedAccessKey",
    "Acme-RemediationRootActivity",
)
REMEDIATION_RECORDS = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-"
    "example2.html"
)
AUDIT_ALARM = f"arn:aws:cloudwatch:{HOME}:{AUDIT}:alarm:Acme-FindingsFormatterFailed"
FROM_AUDIT_ALARM = {
    "aws:SourceAccount": AUDIT,
    "aws:SourceArn": AUDIT_ALARM,
    "aws:SourceOrgID": ORG,
}
FORWARDER_RULE = f"arn:aws:events:{OTHER_REGION}:{AUDIT}:rule/Acme-GuardDutyFindingsToHome"
FORWARDER_ROLE = f"Acme-FindingsForwarder-{OTHER_REGION}"
BACKUP_ROLE = ("AWS", f"arn:aws:iam::{MEMBER}:role/Acme-Backup")
STACKSET_ROLE = ("AWS", f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0123456789abcdef")
IN_MEMBER = {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": MEMBER}
AS_BACKUP_ROLE = {**IN_MEMBER, "aws:PrincipalArn": BACKUP_ROLE[1]}
AS_STACKSET = {**IN_MEMBER, "aws:PrincipalArn": STACKSET_ROLE[1]}
#: What KMS sees when AWS Backup calls it for a caller of the member account.
#: See: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
THROUGH_BACKUP = {"kms:ViaService": f"backup.{HOME}.amazonaws.com", "kms:CallerAccount": MEMBER}


def from_rule(rule: str) -> dict[str, str]:
    """What EventBridge sends for a rule of the audit account."""
    return {"aws:SourceAccount": AUDIT, "aws:SourceArn": rule, "aws:SourceOrgID": ORG}


def from_bucket(bucket: str) -> dict[str, str]:
    """What S3 server access logging sends for a bucket of the log-archive account."""
    return {
        "aws:SourceArn": f"arn:aws:s3:::{bucket}",
        "aws:SourceAccount": LOG_ARCHIVE,
        "aws:SourceOrgID": ORG,
    }


GUARD_RULES_BUCKET = f"{PREFIX}-guard-rules-{MANAGEMENT}-{HOME}"
GUARD_HOOK_ROLE = ("AWS", f"arn:aws:iam::{MEMBER}:role/Acme-GuardHook-{HOME}")
AS_GUARD_HOOK = {**TLS, "aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": MEMBER,
                 "aws:PrincipalArn": GUARD_HOOK_ROLE[1]}  # fmt: skip
GUARD_HOOKS = "https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-prepare-to-create-hook.html"

CONTRACTS: tuple[Contract, ...] = (
    # ---- Guard hooks: each account's hook role reads the rules object ----
    Contract(
        "A member account's Guard hook reads the rules", f"bucket:{GUARD_RULES_BUCKET}",
        GUARD_HOOK_ROLE, "s3:GetObjectVersion",
        f"arn:aws:s3:::{GUARD_RULES_BUCKET}/proactive-controls/rules.guard",
        AS_GUARD_HOOK, NO_SOURCE, GUARD_HOOKS,
    ),
    Contract(
        "A member account's Guard hook lists the rules bucket", f"bucket:{GUARD_RULES_BUCKET}",
        GUARD_HOOK_ROLE, "s3:ListBucket", f"arn:aws:s3:::{GUARD_RULES_BUCKET}",
        AS_GUARD_HOOK, NO_SOURCE, GUARD_HOOKS,
    ),
    Contract(
        "CloudFormation assumes the Guard hook's execution role", f"role:Acme-GuardHook-{HOME}",
        service("hooks.cloudformation.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{MEMBER}:role/Acme-GuardHook-{HOME}", {}, NO_SOURCE, GUARD_HOOKS,
        note="the page's trust policy has no condition and documents no aws:Source* key",
    ),
    Contract(
        "CloudFormation assumes the FAIL-mode hook's execution role",
        f"role:Acme-GuardHookEnforced-{HOME}",
        service("hooks.cloudformation.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{MEMBER}:role/Acme-GuardHookEnforced-{HOME}", {}, NO_SOURCE, GUARD_HOOKS,
        note="the page's trust policy has no condition and documents no aws:Source* key",
    ),
    # ---- CloudTrail: the organization trail into the log bucket, encrypted with the key ----
    Contract(
        "CloudTrail checks the bucket ACL", f"bucket:{LOGS_BUCKET}",
        service("cloudtrail.amazonaws.com"), "s3:GetBucketAcl", f"arn:aws:s3:::{LOGS_BUCKET}",
        FROM_TRAIL, (), CLOUDTRAIL_S3,
    ),
    Contract(
        "CloudTrail writes a member account's events", f"bucket:{LOGS_BUCKET}",
        service("cloudtrail.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{LOGS_BUCKET}/AWSLogs/{ORG}/{MEMBER}/CloudTrail/{HOME}/2026/f.json.gz",
        {**FROM_TRAIL, **OWNER_ACL}, (), CLOUDTRAIL_S3,
        note=f"aws:SourceOrgID on the delivery: {CONTROL_TOWER_ORG}",
    ),
    Contract(
        "CloudTrail writes the management account's events", f"bucket:{LOGS_BUCKET}",
        service("cloudtrail.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{LOGS_BUCKET}/AWSLogs/{MANAGEMENT}/CloudTrail/{HOME}/2026/f.json.gz",
        {**FROM_TRAIL, **OWNER_ACL}, (), CLOUDTRAIL_S3,
    ),
    Contract(
        "CloudTrail describes the key (no encryption context)", f"key:{LOG_ARCHIVE_KEY}",
        service("cloudtrail.amazonaws.com"), "kms:DescribeKey",
        _key(LOG_ARCHIVE), FROM_TRAIL,
        ("kms:EncryptionContext:aws:cloudtrail:arn",), CLOUDTRAIL_KMS,
    ),
    Contract(
        "CloudTrail generates a data key for a log file", f"key:{LOG_ARCHIVE_KEY}",
        service("cloudtrail.amazonaws.com"), "kms:GenerateDataKey",
        _key(LOG_ARCHIVE), {**FROM_TRAIL, **CLOUDTRAIL_CONTEXT}, (), CLOUDTRAIL_KMS,
    ),
    Contract(
        "CloudTrail decrypts for the S3 Bucket Key", f"key:{LOG_ARCHIVE_KEY}",
        service("cloudtrail.amazonaws.com"), "kms:Decrypt",
        _key(LOG_ARCHIVE), FROM_TRAIL,
        ("kms:EncryptionContext:aws:cloudtrail:arn",), CLOUDTRAIL_KMS,
        note="the S3 Bucket Key's encryption context is the bucket's, not the trail's",
    ),
    # ---- AWS Config: every account's delivery channel into the Config bucket ----
    Contract(
        "Config checks the bucket ACL", f"bucket:{CONFIG_BUCKET}",
        service("config.amazonaws.com"), "s3:GetBucketAcl", f"arn:aws:s3:::{CONFIG_BUCKET}",
        FROM_CONFIG, ("aws:SourceArn",), CONFIG_S3,
    ),
    Contract(
        "Config checks the bucket exists", f"bucket:{CONFIG_BUCKET}",
        service("config.amazonaws.com"), "s3:ListBucket", f"arn:aws:s3:::{CONFIG_BUCKET}",
        FROM_CONFIG, ("aws:SourceArn",), CONFIG_S3,
    ),
    Contract(
        "Config delivers a member's history", f"bucket:{CONFIG_BUCKET}",
        service("config.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{MEMBER}/Config/{HOME}/2026/f.json.gz",
        {**FROM_CONFIG, **OWNER_ACL}, ("aws:SourceArn",), CONFIG_S3,
        note=f"aws:SourceOrgID on the delivery: {CONTROL_TOWER_ORG}",
    ),
    Contract(
        "Config delivers the log-archive account's own history", f"bucket:{CONFIG_BUCKET}",
        service("config.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{LOG_ARCHIVE}/Config/{HOME}/2026/f.json.gz",
        {**FROM_CONFIG, **OWNER_ACL, "aws:SourceAccount": LOG_ARCHIVE}, ("aws:SourceArn",),
        CONFIG_S3,
    ),
    Contract(
        "Config generates a data key", f"key:{LOG_ARCHIVE_KEY}",
        service("config.amazonaws.com"), "kms:GenerateDataKey",
        _key(LOG_ARCHIVE), FROM_CONFIG, ("aws:SourceArn",), CONFIG_KMS,
        note="aws:SourceOrgID on Config's KMS requests as on its S3 deliveries (assumed)",
    ),
    Contract(
        "Config decrypts", f"key:{LOG_ARCHIVE_KEY}",
        service("config.amazonaws.com"), "kms:Decrypt",
        _key(LOG_ARCHIVE), FROM_CONFIG, ("aws:SourceArn",), CONFIG_KMS,
        note="aws:SourceOrgID on Config's KMS requests as on its S3 deliveries (assumed)",
    ),
    # ---- GuardDuty: the administrator's detector exports findings, in every region ----
    Contract(
        "GuardDuty locates the bucket", f"bucket:{CONFIG_BUCKET}",
        service("guardduty.amazonaws.com"), "s3:GetBucketLocation",
        f"arn:aws:s3:::{CONFIG_BUCKET}", FROM_DETECTOR, (), GUARDDUTY_EXPORT,
    ),
    Contract(
        "GuardDuty exports findings (no ACL header)", f"bucket:{CONFIG_BUCKET}",
        service("guardduty.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{AUDIT}/GuardDuty/{OTHER_REGION}/2026/f.jsonl.gz",
        FROM_DETECTOR, ("s3:x-amz-acl",), GUARDDUTY_EXPORT,
    ),
    Contract(
        "GuardDuty generates a data key", f"key:{LOG_ARCHIVE_KEY}",
        service("guardduty.amazonaws.com"), "kms:GenerateDataKey",
        _key(LOG_ARCHIVE), FROM_DETECTOR, (), GUARDDUTY_EXPORT,
    ),
    # ---- S3 server access logging: the archive buckets log into the access-log bucket ----
    Contract(
        "S3 logs the log bucket's requests", f"bucket:{ACCESS_LOGS_BUCKET}",
        service("logging.s3.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{ACCESS_LOGS_BUCKET}/logs/2026-11-23-10-00-00-0123456789ABCDEF",
        {**TLS, **from_bucket(LOGS_BUCKET)}, (), ACCESS_LOGGING,
    ),
    Contract(
        "S3 logs the Config bucket's requests", f"bucket:{ACCESS_LOGS_BUCKET}",
        service("logging.s3.amazonaws.com"), "s3:PutObject",
        f"arn:aws:s3:::{ACCESS_LOGS_BUCKET}/config/2026-11-23-10-00-00-0123456789ABCDEF",
        {**TLS, **from_bucket(CONFIG_BUCKET)}, (), ACCESS_LOGGING,
    ),
    # ---- the audit account's investigation reads ----
    Contract(
        "the audit account reads a trail log", f"bucket:{LOGS_BUCKET}", INVESTIGATOR,
        "s3:GetObject", f"arn:aws:s3:::{LOGS_BUCKET}/AWSLogs/{ORG}/{MEMBER}/CloudTrail/f.json.gz",
        AS_INVESTIGATOR, (), CROSS_ACCOUNT,
    ),
    Contract(
        "the audit account lists the log bucket", f"bucket:{LOGS_BUCKET}", INVESTIGATOR,
        "s3:ListBucket", f"arn:aws:s3:::{LOGS_BUCKET}", AS_INVESTIGATOR, (), CROSS_ACCOUNT,
    ),
    Contract(
        "the audit account reads Config history", f"bucket:{CONFIG_BUCKET}", INVESTIGATOR,
        "s3:GetObject", f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{MEMBER}/Config/f.json.gz",
        AS_INVESTIGATOR, (), CROSS_ACCOUNT,
    ),
    Contract(
        "the audit account decrypts", f"key:{LOG_ARCHIVE_KEY}", INVESTIGATOR, "kms:Decrypt",
        _key(LOG_ARCHIVE), {**IN_THE_ORGANIZATION, "aws:PrincipalArn": INVESTIGATOR[1]}, (),
        CROSS_ACCOUNT,
    ),
    Contract(
        "the detection handler resolves the key alias (GuardDuty export)",
        f"key:{LOG_ARCHIVE_KEY}", DETECTION_HANDLER, "kms:DescribeKey",
        _key(LOG_ARCHIVE), AS_DETECTION_HANDLER, (),
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html",
    ),
    # ---- the management account's monitoring: trail log group and alarm topic ----
    Contract(
        "CloudWatch Logs encrypts the trail's log group", f"key:{MONITORING_KEY}",
        service(f"logs.{HOME}.amazonaws.com"), "kms:GenerateDataKey",
        _key(MANAGEMENT), {"kms:EncryptionContext:aws:logs:arn": TRAIL_LOG_GROUP},
        NO_SOURCE, LOGS_KMS,
    ),
    Contract(
        "CloudWatch Logs decrypts the trail's log group", f"key:{MONITORING_KEY}",
        service(f"logs.{HOME}.amazonaws.com"), "kms:Decrypt",
        _key(MANAGEMENT), {"kms:EncryptionContext:aws:logs:arn": TRAIL_LOG_GROUP},
        NO_SOURCE, LOGS_KMS,
    ),
    Contract(
        "a CloudWatch alarm publishes to the alarm topic", f"topic:{ALARM_TOPIC}",
        service("cloudwatch.amazonaws.com"), "sns:Publish",
        f"arn:aws:sns:{HOME}:{MANAGEMENT}:{ALARM_TOPIC}",
        {**TLS, **FROM_ALARM}, (), ALARMS_SNS,
    ),
    Contract(
        "a CloudWatch alarm encrypts for the alarm topic", f"key:{MONITORING_KEY}",
        service("cloudwatch.amazonaws.com"), "kms:GenerateDataKey",
        _key(MANAGEMENT),
        FROM_ALARM, (), ALARMS_SNS,
    ),
    Contract(
        "a CloudWatch alarm decrypts for the alarm topic", f"key:{MONITORING_KEY}",
        service("cloudwatch.amazonaws.com"), "kms:Decrypt", _key(MANAGEMENT),
        FROM_ALARM, (), ALARMS_SNS,
    ),
    # ---- the break-glass alert: the trail's log group feeds a function that publishes ----
    Contract(
        "CloudWatch Logs delivers break-glass events to the alert function",
        f"function:{BREAK_GLASS_ALERT}",
        service("logs.amazonaws.com"), "lambda:InvokeFunction",
        f"arn:aws:lambda:{HOME}:{MANAGEMENT}:function:{BREAK_GLASS_ALERT}",
        {
            "aws:SourceArn": f"{TRAIL_LOG_GROUP}:*",
            "aws:SourceAccount": MANAGEMENT,
            "aws:SourceOrgID": ORG,
        },
        (), LOGS_LAMBDA,
        note="the page's add-permission example names the log group ARN with :* as "
        "--source-arn; that the request's aws:SourceArn is that same string is assumed",
    ),
    Contract(
        "the break-glass alert function encrypts for the alarm topic", f"key:{MONITORING_KEY}",
        ("AWS", f"arn:aws:iam::{MANAGEMENT}:role/{BREAK_GLASS_ALERT}"), "kms:GenerateDataKey",
        _key(MANAGEMENT),
        {"aws:PrincipalArn": f"arn:aws:iam::{MANAGEMENT}:role/{BREAK_GLASS_ALERT}"},
        (), SNS_KMS_PUBLISHER,
    ),
    Contract(
        "the break-glass alert function decrypts for the alarm topic", f"key:{MONITORING_KEY}",
        ("AWS", f"arn:aws:iam::{MANAGEMENT}:role/{BREAK_GLASS_ALERT}"), "kms:Decrypt",
        _key(MANAGEMENT),
        {"aws:PrincipalArn": f"arn:aws:iam::{MANAGEMENT}:role/{BREAK_GLASS_ALERT}"},
        (), SNS_KMS_PUBLISHER,
    ),
    # ---- the Identity Center reconciler: three rules of its region invoke it ----
    *(
        Contract(
            f"EventBridge rule {rule} invokes the Identity Center reconciler",
            "function:Acme-IdentityCenterReconciler",
            service("events.amazonaws.com"), "lambda:InvokeFunction",
            f"arn:aws:lambda:{HOME}:{MANAGEMENT}:function:Acme-IdentityCenterReconciler",
            {
                "aws:SourceArn": f"arn:aws:events:{HOME}:{MANAGEMENT}:rule/{rule}",
                "aws:SourceAccount": MANAGEMENT,
                "aws:SourceOrgID": ORG,
            },
            (), EVENTBRIDGE_TARGETS,
        )
        for rule in (
            "Acme-IdentityCenterAccountEvents",
            "Acme-IdentityCenterHourly",
            "Acme-IdentityCenterStackSettled",
        )
    ),
    Contract(
        "EventBridge (us-east-1) assumes the role that forwards Organizations' account events",
        "role:Acme-IdentityCenterEventsForwarder", service("events.amazonaws.com"),
        "sts:AssumeRole", f"arn:aws:iam::{MANAGEMENT}:role/Acme-IdentityCenterEventsForwarder",
        {
            "aws:SourceAccount": MANAGEMENT,
            "aws:SourceArn": f"arn:aws:events:us-east-1:{MANAGEMENT}:rule/"
            "Acme-IdentityCenterAccountEventsForward",
            "aws:SourceOrgID": ORG,
        },
        (), EVENTBRIDGE_ROLE,
    ),
    # ---- the audit account's findings: rules -> formatter -> topic; what fails, alarmed ----
    Contract(
        "the GuardDuty rule invokes the findings formatter", f"function:{FORMATTER}",
        service("events.amazonaws.com"), "lambda:InvokeFunction", FORMATTER_ARN,
        from_rule(GUARDDUTY_RULE), (), EVENTBRIDGE_TARGETS,
    ),
    Contract(
        "the Security Hub rule invokes the findings formatter", f"function:{FORMATTER}",
        service("events.amazonaws.com"), "lambda:InvokeFunction", FORMATTER_ARN,
        from_rule(SECURITY_HUB_RULE), (), EVENTBRIDGE_TARGETS,
    ),
    Contract(
        "the GuardDuty rule dead-letters a finding the formatter did not get",
        f"queue:{UNDELIVERED}", service("events.amazonaws.com"), "sqs:SendMessage",
        UNDELIVERED_ARN, {**TLS, **from_rule(GUARDDUTY_RULE)}, (), EVENTBRIDGE_DLQ,
    ),
    Contract(
        "the Security Hub rule dead-letters a finding the formatter did not get",
        f"queue:{UNDELIVERED}", service("events.amazonaws.com"), "sqs:SendMessage",
        UNDELIVERED_ARN, {**TLS, **from_rule(SECURITY_HUB_RULE)}, (), EVENTBRIDGE_DLQ,
    ),
    Contract(
        "the findings formatter encrypts for the findings topic", f"key:{FINDINGS_KEY}",
        FORMATTER_ROLE, "kms:GenerateDataKey", _key(AUDIT), AS_FORMATTER, (), SNS_KMS_PUBLISHER,
        note="the same role publishes Lambda's failure records (on-failure destination): "
        f"{LAMBDA_DESTINATIONS}",
    ),
    Contract(
        "the findings formatter decrypts for the findings topic", f"key:{FINDINGS_KEY}",
        FORMATTER_ROLE, "kms:Decrypt", _key(AUDIT), AS_FORMATTER, (), SNS_KMS_PUBLISHER,
    ),
    Contract(
        "a formatter alarm publishes to the findings topic", f"topic:{FINDINGS_TOPIC}",
        service("cloudwatch.amazonaws.com"), "sns:Publish",
        f"arn:aws:sns:{HOME}:{AUDIT}:{FINDINGS_TOPIC}", {**TLS, **FROM_AUDIT_ALARM}, (),
        ALARMS_SNS,
    ),
    Contract(
        "a formatter alarm encrypts for the findings topic", f"key:{FINDINGS_KEY}",
        service("cloudwatch.amazonaws.com"), "kms:GenerateDataKey", _key(AUDIT),
        FROM_AUDIT_ALARM, (), ALARMS_SNS,
    ),
    Contract(
        "a formatter alarm decrypts for the findings topic", f"key:{FINDINGS_KEY}",
        service("cloudwatch.amazonaws.com"), "kms:Decrypt", _key(AUDIT),
        FROM_AUDIT_ALARM, (), ALARMS_SNS,
    ),
    # ---- remediation: rules -> function -> archive, finding, topic ----
    *(
        Contract(
            f"the remediation rule {rule} invokes the remediation function",
            f"function:{REMEDIATION}", service("events.amazonaws.com"), "lambda:InvokeFunction",
            REMEDIATION_ARN, from_rule(f"arn:aws:events:{HOME}:{AUDIT}:rule/{rule}"), (),
            EVENTBRIDGE_TARGETS,
        )
        for rule in REMEDIATION_RULES
    ),
    *(
        Contract(
            f"the remediation rule {rule} dead-letters an event the function did not get",
            f"queue:{REMEDIATION_UNDELIVERED}", service("events.amazonaws.com"),
            "sqs:SendMessage", f"arn:aws:sqs:{HOME}:{AUDIT}:{REMEDIATION_UNDELIVERED}",
            {**TLS, **from_rule(f"arn:aws:events:{HOME}:{AUDIT}:rule/{rule}")}, (),
            EVENTBRIDGE_DLQ,
        )
        for rule in REMEDIATION_RULES
    ),
    Contract(
        "the remediation function writes a decision record", f"bucket:{LOGS_BUCKET}",
        REMEDIATION_ROLE, "s3:PutObject",
        f"arn:aws:s3:::{LOGS_BUCKET}/remediation/2026/11/23/{MEMBER}/public-s3-bucket/x/r.json",
        {**TLS, **AS_REMEDIATION}, (), REMEDIATION_RECORDS,
    ),
    Contract(
        "the remediation function's record is encrypted with the archive key",
        f"key:{LOG_ARCHIVE_KEY}", REMEDIATION_ROLE, "kms:GenerateDataKey", _key(LOG_ARCHIVE),
        {**AS_REMEDIATION, "kms:ViaService": f"s3.{HOME}.amazonaws.com"}, (), CROSS_ACCOUNT,
    ),
    Contract(
        "the remediation function encrypts for the findings topic", f"key:{FINDINGS_KEY}",
        REMEDIATION_ROLE, "kms:GenerateDataKey", _key(AUDIT), AS_REMEDIATION, (),
        SNS_KMS_PUBLISHER,
        note=f"the same role publishes Lambda's failure records: {LAMBDA_DESTINATIONS}",
    ),
    Contract(
        "the remediation function decrypts for the findings topic", f"key:{FINDINGS_KEY}",
        REMEDIATION_ROLE, "kms:Decrypt", _key(AUDIT), AS_REMEDIATION, (), SNS_KMS_PUBLISHER,
    ),
    # ---- role trust policies: services that assume the landing zone's roles ----
    Contract(
        "CloudTrail assumes the role that delivers to CloudWatch Logs",
        "role:Acme-OrganizationTrailLogs", service("cloudtrail.amazonaws.com"), "sts:AssumeRole",
        "arn:aws:iam::111111111111:role/Acme-OrganizationTrailLogs",
        {"aws:SourceArn": TRAIL, "aws:SourceAccount": MANAGEMENT, "aws:SourceOrgID": ORG}, (),
        CLOUDTRAIL_LOGS_ROLE,
    ),
    Contract(
        "EventBridge assumes the role that forwards GuardDuty findings home",
        f"role:{FORWARDER_ROLE}", service("events.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{AUDIT}:role/{FORWARDER_ROLE}", from_rule(FORWARDER_RULE), (),
        EVENTBRIDGE_ROLE,
    ),
    Contract(
        "Config assumes the organization aggregator's role", "role:Acme-ConfigAggregator",
        service("config.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{AUDIT}:role/Acme-ConfigAggregator", {}, NO_SOURCE,
        CONFIG_AGGREGATOR_ROLE,
        note="Config's organization-aggregator page shows the trust policy with no condition "
        "and documents no aws:Source* key on the AssumeRole; docs/assumptions.md",
    ),
    Contract(
        "Lambda assumes a function's execution role", f"role:{LAMBDA_EXECUTION}",
        service("lambda.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{AUDIT}:role/Acme-DetectionHandler-{OTHER_REGION}", {}, NO_SOURCE,
        LAMBDA_ROLE,
        note="one trust policy, the same in every template (tests/test_contracts.py checks)",
    ),
    # ---- the baseline's backup vault: its key and the role AWS Backup assumes ----
    Contract(
        "AWS Backup assumes the backup role", "role:Acme-Backup",
        service("backup.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{MEMBER}:role/Acme-Backup", {}, NO_SOURCE, BACKUP_ROLE_TRUST,
        note="the trust of AWS Backup's own default role, with no condition; AWS Backup "
        "documents no aws:Source* key on the AssumeRole (docs/assumptions.md)",
    ),
    Contract(
        "the backup role encrypts a recovery point with the vault's key", f"key:{BACKUP_KEY}",
        BACKUP_ROLE, "kms:GenerateDataKey", _key(MEMBER), AS_BACKUP_ROLE, (), BACKUP_KMS,
    ),
    Contract(
        "the backup role decrypts a recovery point for a restore", f"key:{BACKUP_KEY}",
        BACKUP_ROLE, "kms:Decrypt", _key(MEMBER), AS_BACKUP_ROLE, (), BACKUP_KMS,
    ),
    Contract(
        "CloudFormation creates the vault: AWS Backup grants itself the key",
        f"key:{BACKUP_KEY}", STACKSET_ROLE, "kms:CreateGrant", _key(MEMBER),
        {**AS_STACKSET, **THROUGH_BACKUP, "kms:GrantIsForAWSResource": "true"}, (),
        BACKUP_CREATE_VAULT,
        note="AWS Backup calls KMS with the caller's credentials, so kms:ViaService is "
        "backup.<region>.amazonaws.com (docs/assumptions.md)",
    ),
    Contract(
        "CloudFormation creates the vault: AWS Backup describes the key",
        f"key:{BACKUP_KEY}", STACKSET_ROLE, "kms:DescribeKey", _key(MEMBER),
        {**AS_STACKSET, **THROUGH_BACKUP}, (), BACKUP_CREATE_VAULT,
        note="as for the grant",
    ),
    # ---- AWS Health key-exposure events: each member account -> the audit bus ----
    Contract(
        "EventBridge (us-east-1) assumes the role that forwards AWS Health events to the audit "
        "account", f"role:{HEALTH_FORWARDER}", service("events.amazonaws.com"), "sts:AssumeRole",
        f"arn:aws:iam::{MEMBER}:role/{HEALTH_FORWARDER}",
        {
            "aws:SourceAccount": MEMBER,
            "aws:SourceArn": f"arn:aws:events:us-east-1:{MEMBER}:rule/Acme-HealthEventsForward",
            "aws:SourceOrgID": ORG,
        },
        (), EVENTBRIDGE_ROLE,
    ),
    Contract(
        "a member account's forwarder puts an AWS Health event on the audit account's bus",
        "bus:default", ("AWS", f"arn:aws:iam::{MEMBER}:role/{HEALTH_FORWARDER}"),
        "events:PutEvents", f"arn:aws:events:{HOME}:{AUDIT}:event-bus/default",
        {
            "aws:PrincipalOrgID": ORG,
            "aws:PrincipalAccount": MEMBER,
            "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/{HEALTH_FORWARDER}",
            "events:source": "aws.health",
            "events:detail-type": "AWS Health Event",
        },
        (), EVENTBRIDGE_CROSS_ACCOUNT,
        note="the rule's role is the principal of the cross-account PutEvents, and the "
        "events:source / events:detail-type keys are those of the forwarded event, as in "
        "EventBridge's cross-account example policy; docs/assumptions.md",
    ),
)  # fmt: skip

# ---- GuardDuty in an opt-in governed region: its regional service principal ----
# Evaluated against the log archive of the example with OPT_IN_REGION governed.
OPT_IN_DETECTOR = f"arn:aws:guardduty:{OPT_IN_REGION}:{AUDIT}:detector/12abc34d567e8fa901bc2d3"
FROM_OPT_IN_DETECTOR = {
    **TLS,
    "aws:SourceArn": OPT_IN_DETECTOR,
    "aws:SourceAccount": AUDIT,
    "aws:SourceOrgID": ORG,
}
REGIONAL_GUARDDUTY = service(f"guardduty.{OPT_IN_REGION}.amazonaws.com")
OPT_IN_CONTRACTS: tuple[Contract, ...] = (
    Contract(
        "GuardDuty in an opt-in region locates the bucket", f"bucket:{CONFIG_BUCKET}",
        REGIONAL_GUARDDUTY, "s3:GetBucketLocation", f"arn:aws:s3:::{CONFIG_BUCKET}",
        FROM_OPT_IN_DETECTOR, (), GUARDDUTY_EXPORT,
    ),
    Contract(
        "GuardDuty in an opt-in region exports findings", f"bucket:{CONFIG_BUCKET}",
        REGIONAL_GUARDDUTY, "s3:PutObject",
        f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{AUDIT}/GuardDuty/{OPT_IN_REGION}/2026/f.jsonl.gz",
        FROM_OPT_IN_DETECTOR, ("s3:x-amz-acl",), GUARDDUTY_EXPORT,
    ),
    Contract(
        "GuardDuty in an opt-in region generates a data key", f"key:{LOG_ARCHIVE_KEY}",
        REGIONAL_GUARDDUTY, "kms:GenerateDataKey", _key(LOG_ARCHIVE), FROM_OPT_IN_DETECTOR, (),
        GUARDDUTY_EXPORT,
    ),
)  # fmt: skip
