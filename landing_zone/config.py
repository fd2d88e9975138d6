"""The one typed config of a business unit's landing zone.

``load_config`` reads a YAML file from ``config/``, validates it with pydantic
(``extra="forbid"``, frozen models) and a second pass of cross-field checks,
and raises :class:`ConfigError` whose message names the file, the line, the
dotted field, what is wrong and what to do. Nothing here imports aws_cdk, so a
bad config fails in well under a second, before the CDK app starts.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import botocore.session
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.cis_alarms import BY_CIS_ID as CIS_ALARMS
from landing_zone.guardrails.model import GuardrailInputs
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.guardrails.packs import PACK_IDS
from landing_zone.yaml_source import Location, YamlDocument, YamlSourceError, load_yaml

# AWS Organizations quota: OUs nest at most five levels below the root.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
MAX_OU_DEPTH = 5

# ---- scalar types -----------------------------------------------------------


def _account_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PydanticCustomError(
            "account_id_type",
            "an account id must be a quoted string of 12 digits, e.g. '012345678901'",
        )
    if isinstance(value, int):
        # YAML 1.1 reads 011111111111 as octal and 123456789012 as a number;
        # either way leading zeros are gone. Show what the user most likely typed.
        guess = f"0{value:o}" if len(f"0{value:o}") == 12 else f"{value:012d}"
        raise PydanticCustomError(
            "account_id_unquoted",
            "account id is an unquoted number ({value}); YAML drops leading zeros and reads "
            "0-prefixed numbers as octal. Quote account ids in YAML, e.g. '{guess}'",
            {"value": value, "guess": guess},
        )
    if not re.fullmatch(r"\d{12}", value):
        raise PydanticCustomError(
            "account_id_format",
            "'{value}' is not an AWS account id: it must be exactly 12 digits "
            "(it has {length} characters)",
            {"value": value, "length": len(value)},
        )
    return value


AccountId = Annotated[
    str,
    BeforeValidator(_account_id),
    Field(
        description="12-digit AWS account id, quoted",
        json_schema_extra={"pattern": r"^\d{12}$"},
    ),
]


def _notification_email(value: str) -> str:
    # email-validator is the well-kept RFC 5322 checker pydantic itself uses;
    # deliverability (DNS) checks stay off so validation needs no network.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email_format",
            "'{value}' is not a valid email address ({reason}); use the form name@example.com",
            {"value": value, "reason": str(error).rstrip(".")},
        ) from None


def _email(value: str) -> str:
    normalized = _notification_email(value)
    if not 6 <= len(normalized) <= 64:
        raise PydanticCustomError(
            "email_length",
            "'{value}' has {length} characters; AWS account emails must have 6 to 64",
            {"value": value, "length": len(normalized)},
        )
    return normalized


Email = Annotated[
    str,
    AfterValidator(_email),
    Field(description="Root user email of the account (6-64 characters, unique in AWS)"),
]


def _key(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", value) or len(value) > 40:
        raise PydanticCustomError(
            "key_format",
            "'{value}' is not a valid key: use lowercase kebab-case starting with a letter, "
            "at most 40 characters, e.g. 'retail-prod'",
            {"value": value},
        )
    return value


Key = Annotated[str, AfterValidator(_key)]


@cache
def _regions_by_partition() -> dict[str, tuple[str, ...]]:
    # botocore's endpoint data is the SDK's own list of regions per partition,
    # refreshed with every release; no hand-kept list to rot.
    session = botocore.session.get_session()
    return {
        partition: tuple(sorted(session.get_available_regions("sts", partition_name=partition)))
        for partition in session.get_available_partitions()
    }


def known_regions() -> tuple[str, ...]:
    """Every region botocore knows, across partitions."""
    return tuple(sorted({r for rs in _regions_by_partition().values() for r in rs}))


def partition_of(region: str) -> str:
    """The partition (aws, aws-cn, aws-us-gov, ...) a region belongs to."""
    for partition, regions in _regions_by_partition().items():
        if region in regions:
            return partition
    raise KeyError(region)


def _region(value: str) -> str:
    regions = known_regions()
    if value not in regions:
        close = difflib.get_close_matches(value, regions, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see `aws ec2 describe-regions`"
        raise PydanticCustomError(
            "region_unknown",
            "'{value}' is not an AWS region; {hint}",
            {"value": value, "hint": hint},
        )
    return value


Region = Annotated[str, AfterValidator(_region)]


# ---- models -----------------------------------------------------------------


class Model(BaseModel):
    """Base for every config section: unknown fields are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_fields(cls, data: Any) -> Any:
        # extra="forbid" alone says "Extra inputs are not permitted"; a typo
        # deserves the field it was probably meant to be.
        if isinstance(data, Mapping):
            # A field may be spelled differently in YAML (``lambda``, a Python keyword).
            allowed = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_field",
                        "unknown field '{field}'{hint}; fields allowed here: {allowed}",
                        {"field": str(key), "hint": hint, "allowed": ", ".join(sorted(allowed))},
                    )
        return data


# A stack holds at most 500 resources; accounts are sharded across stacks
# beyond what one can hold, and Organizations creates at most 5 accounts
# at a time (one per stack: accounts within a template are created in turn).
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
MAX_ACCOUNT_STACKS = 5


class OrganizationConfig(Model):
    """The existing AWS Organization this landing zone governs."""

    id: str = Field(
        pattern=r"^o-[a-z0-9]{10,32}$",
        description="Organization id (o-...), from `aws organizations describe-organization`",
    )
    root_id: str = Field(
        pattern=r"^r-[0-9a-z]{4,32}$",
        description="Root id (r-...), from `aws organizations list-roots`",
    )
    management_account_id: AccountId
    account_stacks: int = Field(
        default=1,
        ge=1,
        le=MAX_ACCOUNT_STACKS,
        description="Stacks the created workload accounts are spread over by a stable hash of "
        "their key (1: they live in the Organization stack). Set it once, before creating "
        "hundreds of accounts: changing it moves accounts between stacks (docs/performance.md)",
    )


class RegionsConfig(Model):
    """Where the landing zone runs and which regions it governs."""

    home: Region = Field(description="Region of the management-account stacks and aggregations")
    governed: list[Region] = Field(
        min_length=1,
        description="Regions workloads may use; must include home. Others are denied later.",
    )


class OrganizationalUnitConfig(Model):
    """One OU; ``children`` nest under it. The mapping key is its stable id."""

    name: str = Field(
        min_length=1,
        max_length=128,
        description="Display name in AWS Organizations; renaming does not replace the OU",
    )
    children: dict[Key, OrganizationalUnitConfig] = Field(default_factory=dict)


class AccountConfig(Model):
    """An account: created (``email``) or adopted (``account_id``)."""

    name: str = Field(min_length=1, max_length=50, pattern=r"^[\x20-\x7E]+$")
    ou: Key = Field(description="Key of the OU the account belongs in")
    email: Email | None = Field(default=None, description="Set to create the account")
    account_id: AccountId | None = Field(
        default=None, description="Set to adopt an existing account instead of creating one"
    )

    @model_validator(mode="after")
    def _created_or_adopted(self) -> AccountConfig:
        if (self.email is None) == (self.account_id is None):
            raise PydanticCustomError(
                "account_mode",
                "set exactly one of 'email' (to create a new account) or "
                "'account_id' (to adopt an existing one)",
            )
        return self

    @property
    def adopted(self) -> bool:
        return self.account_id is not None


class CoreAccountsConfig(Model):
    """The shared security accounts every landing zone has."""

    log_archive: AccountConfig
    audit: AccountConfig


# OU ids: ou-<root suffix>-<8-32 chars>; the root itself is r-<4-32 chars>.
# See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
OU_ID_PATTERN = r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
ROOT_ID_PATTERN = r"r-[0-9a-z]{4,32}"


def _parent_id(value: str) -> str:
    if not re.fullmatch(f"{OU_ID_PATTERN}|{ROOT_ID_PATTERN}", value):
        raise PydanticCustomError(
            "ou_id_format",
            "'{value}' is not an OU id; OU ids look like ou-a1b2-c3d4e5f6 (lowercase; "
            "`aws organizations list-organizational-units-for-parent --parent-id <root id>` "
            "lists them), and the root's like r-a1b2",
            {"value": value},
        )
    return value


class CoreLogArchiveReference(Model):
    """The core's central log destination that this business unit's accounts deliver to."""

    config_bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="The core's AWS Config bucket in the log-archive account "
        "(<core prefix>-log-archive-config-<account>-<home region>)",
    )
    key_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|alias/[\w/+=,.@-]+)$",
        description="The log-archive KMS key, by key or alias ARN "
        "(arn:aws:kms:<home>:<log-archive account>:alias/<core prefix>/landing-zone/log-archive)",
    )


class CoreReference(Model):
    """What a business-unit fork adopts from the core fork (``mode: business-unit`` only).

    Every value comes from the core fork's deployment: its config (prefix),
    ``aws organizations list-organizational-units-for-parent`` (OU id) and
    the core's ``make synth`` summary (account ids, bucket, key).
    """

    prefix: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,19}$",
        description="The core fork's prefix (its stack ids start with it)",
    )
    parent_ou_id: Annotated[str, AfterValidator(_parent_id)] = Field(
        description="The core's OU (ou-...) this fork's top-level OUs are created under, "
        "e.g. Workloads; or the root id (r-...)",
    )
    log_archive_account_id: AccountId = Field(description="The core's log-archive account")
    audit_account_id: AccountId = Field(
        description="The core's audit account, delegated administrator of the detection services"
    )
    log_archive: CoreLogArchiveReference


class PrivilegedPrincipal(Model):
    """A principal that guardrails exempt (deployment, break-glass, StackSets)."""

    arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*-]+$",
        description="IAM role ARN pattern; '*' allowed for the account and in the name",
    )
    reason: str = Field(min_length=10, description="Why this principal is exempt")


PolicyType = Literal[
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
    "SECURITYHUB_POLICY",
    "INSPECTOR_POLICY",
    "BEDROCK_POLICY",
    "S3_POLICY",
    "GUARDDUTY_POLICY",
]

# Services the landing zone integrates with Organizations. StackSets is
# special: AWS requires cloudformation:ActivateOrganizationsAccess for it.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
TrustedService = Literal[
    "access-analyzer.amazonaws.com",
    "account.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "detective.amazonaws.com",
    "fms.amazonaws.com",
    "guardduty.amazonaws.com",
    "iam.amazonaws.com",
    "inspector2.amazonaws.com",
    "macie.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "ram.amazonaws.com",
    "securityhub.amazonaws.com",
    "sso.amazonaws.com",
]

DEFAULT_POLICY_TYPES: tuple[PolicyType, ...] = (
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "DECLARATIVE_POLICY_EC2",
    # S3 account-level Block Public Access for every account (baseline).
    "S3_POLICY",
)

DEFAULT_TRUSTED_SERVICES: tuple[TrustedService, ...] = (
    "access-analyzer.amazonaws.com",
    "account.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "config-multiaccountsetup.amazonaws.com",
    "config.amazonaws.com",
    "detective.amazonaws.com",
    "guardduty.amazonaws.com",
    "inspector2.amazonaws.com",
    "macie.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "securityhub.amazonaws.com",
    "sso.amazonaws.com",
)


class OrganizationFeaturesConfig(Model):
    """Organization-wide switches that have no CloudFormation type."""

    policy_types: list[PolicyType] = Field(
        default_factory=lambda: list(DEFAULT_POLICY_TYPES),
        description="Policy types enabled on the root (kept enabled if removed here)",
    )
    trusted_services: list[TrustedService] = Field(
        default_factory=lambda: list(DEFAULT_TRUSTED_SERVICES),
        description="Service principals given trusted access (kept if removed here)",
    )


def _pack_id(value: str) -> str:
    if value not in PACK_IDS:
        close = difflib.get_close_matches(value, PACK_IDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise PydanticCustomError(
            "guardrail_pack_unknown",
            "guardrail pack '{value}' does not exist; {hint}packs: {packs} "
            "(docs/guardrails.md describes each)",
            {"value": value, "hint": hint, "packs": ", ".join(PACK_IDS)},
        )
    return value


PackId = Annotated[str, AfterValidator(_pack_id), Field(description="A guardrail pack id")]


class GuardrailQuotas(Model):
    """AWS Organizations quotas the packer fits policies into.

    Defaults are the quotas as of 2026-11; some partitions and older
    organizations lag, so each is configurable.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """

    scp_max_chars: int = Field(default=10240, ge=1000, description="SCP document size quota")
    rcp_max_chars: int = Field(default=5120, ge=1000, description="RCP document size quota")
    scp_max_per_target: int = Field(
        default=10, ge=2, description="SCPs directly attached per root/OU (FullAWSAccess counts)"
    )
    rcp_max_per_target: int = Field(
        default=5, ge=2, description="RCPs directly attached per root/OU (RCPFullAWSAccess counts)"
    )
    scp_reserved_per_target: int = Field(
        default=2,
        ge=0,
        description="SCP slots left free per target, e.g. for Control Tower's own SCPs (up to 2)",
    )
    rcp_reserved_per_target: int = Field(
        default=0, ge=0, description="RCP slots left free per target"
    )


class GuardrailsConfig(Model):
    """Which guardrail packs attach where, and the values guardrails take from config."""

    attachments: dict[str, list[PackId]] = Field(
        default_factory=lambda: {"root": ["core"]},
        description="Target ('root' or an OU key) -> guardrail packs attached there",
    )
    sandbox_instance_types: list[str] = Field(
        default_factory=lambda: ["t3.*", "t3a.*", "t4g.*", "m7g.large", "m7i.large"],
        min_length=1,
        description="EC2 instance types (wildcards allowed) the sandbox pack allows",
    )
    trusted_external_accounts: list[AccountId] = Field(
        default_factory=list,
        description="Accounts outside the organization the data-perimeter RCP lets in "
        "(e.g. a SaaS vendor that assumes roles here)",
    )
    quotas: GuardrailQuotas = Field(default_factory=GuardrailQuotas)


class ObjectLockConfig(Model):
    """Default Object Lock retention of the central log bucket.

    GOVERNANCE lets the privileged roles (holding s3:BypassGovernanceRetention)
    remove a locked version; COMPLIANCE lets nobody, not even the root user,
    until the period ends. See docs/logging.md for when to choose which.
    See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
    """

    mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        default="GOVERNANCE", description="GOVERNANCE (privileged roles can bypass) or COMPLIANCE"
    )
    days: int = Field(
        default=365, ge=1, le=36500, description="Default retention of every log object, in days"
    )


class TransitionConfig(Model):
    """When log objects move to a Glacier storage class."""

    days: int = Field(default=90, ge=1, description="Days after creation")
    storage_class: Literal["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] = Field(
        default="GLACIER_IR",
        description="GLACIER_IR (millisecond reads), GLACIER (minutes-hours) or DEEP_ARCHIVE",
    )


class LogArchiveConfig(Model):
    """The central log bucket in the log-archive account (CloudTrail, Config, findings)."""

    object_lock: ObjectLockConfig = Field(default_factory=ObjectLockConfig)
    transition: TransitionConfig = Field(default_factory=TransitionConfig)
    expiration_days: int | None = Field(
        default=None,
        ge=1,
        description="Days after which log objects are deleted; default and minimum: "
        "object_lock.days (locked versions cannot be deleted earlier)",
    )
    access_log_expiration_days: int = Field(
        default=365, ge=1, description="Days the S3 server access logs of the log bucket are kept"
    )

    @property
    def effective_expiration_days(self) -> int:
        return self.expiration_days if self.expiration_days is not None else self.object_lock.days


# CloudWatch Logs accepts only these retention periods.
# See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        longer = [d for d in LOG_RETENTION_DAYS if d >= value]
        hint = f"the next allowed value is {longer[0]}" if longer else "the maximum is 3653"
        raise PydanticCustomError(
            "log_retention_days",
            "{value} is not a CloudWatch Logs retention period; {hint} (allowed: {allowed})",
            {"value": value, "hint": hint, "allowed": ", ".join(map(str, LOG_RETENTION_DAYS))},
        )
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]


class DataEventsConfig(Model):
    """Data events the organization trail records (priced per event; off by default)."""

    s3: bool = Field(
        default=False, description="S3 object-level events in every bucket (except the log bucket)"
    )
    lambda_: bool = Field(default=False, alias="lambda", description="Lambda Invoke events")


class CloudTrailLakeConfig(Model):
    """An organization event data store in CloudTrail Lake (SQL over events)."""

    enabled: bool = Field(default=False, description="Create the event data store")
    retention_days: int = Field(default=366, ge=7, le=3653, description="Days events are kept")
    billing_mode: Literal["EXTENDABLE_RETENTION_PRICING", "FIXED_RETENTION_PRICING"] = Field(
        default="EXTENDABLE_RETENTION_PRICING",
        description="EXTENDABLE: 1 year included, pay per month beyond; FIXED: up to 7 years",
    )


class OrganizationTrailConfig(Model):
    """The organization CloudTrail (management account, every account and region)."""

    log_group_retention_days: LogRetentionDays = Field(
        default=365, description="Retention of the trail's CloudWatch Logs log group"
    )
    data_events: DataEventsConfig = Field(default_factory=DataEventsConfig)
    cloudtrail_lake: CloudTrailLakeConfig = Field(default_factory=CloudTrailLakeConfig)


NotificationEmail = Annotated[
    str, AfterValidator(_notification_email), Field(description="An email address")
]


class MonitoringConfig(Model):
    """Who hears about the CIS monitoring alarms on the organization trail."""

    alarm_emails: list[NotificationEmail] = Field(
        default_factory=list,
        description="Email addresses subscribed to the security alarm topic "
        "(each must confirm the subscription)",
    )
    disabled_cis_alarms: dict[str, str] = Field(
        default_factory=dict,
        description="CIS control id (e.g. '4.1') -> why its alarm is off in this landing zone",
    )


class StackSetPreferencesConfig(Model):
    """How a StackSet operation rolls out across accounts and regions.

    The defaults suit a 1,000-account organization: a quarter of the accounts
    per region at a time (four waves), a broken template stops after the
    first wave has failed in more than 10% of the accounts instead of failing
    everywhere, and soft failure tolerance keeps the concurrency at 25%
    whatever fails (strict mode would shrink it to the tolerance + 1).
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stackset-ops-options.html
    """

    max_concurrent_percentage: int = Field(
        default=25, ge=1, le=100, description="Accounts per region deployed at once, in percent"
    )
    failure_tolerance_percentage: int = Field(
        default=10,
        ge=0,
        le=100,
        description="Failed accounts per region, in percent, before the operation stops",
    )
    concurrency_mode: Literal["SOFT_FAILURE_TOLERANCE", "STRICT_FAILURE_TOLERANCE"] = Field(
        default="SOFT_FAILURE_TOLERANCE",
        description="SOFT keeps the concurrency whatever fails; STRICT lowers it to the "
        "failure tolerance + 1",
    )
    region_concurrency: Literal["PARALLEL", "SEQUENTIAL"] = Field(
        default="PARALLEL", description="Deploy all regions at once, or one after another"
    )
    region_order: list[Region] = Field(
        default_factory=list,
        description="Order of regions for SEQUENTIAL (default: home first, then governed order)",
    )


ConfigFrequency = Literal[
    "One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"
]


class ConfigRecorderConfig(Model):
    """What the AWS Config recorder in every account and governed region records."""

    excluded_resource_types: list[str] = Field(
        default_factory=list,
        description="Resource types not recorded anywhere (e.g. AWS::EC2::NetworkInterface); "
        "each saves its configuration items but blinds the rules that evaluate it",
    )
    daily_resource_types: list[str] = Field(
        default_factory=list,
        description="Resource types recorded once a day instead of on every change "
        "(high-churn types: fewer configuration items, changes seen up to a day late)",
    )
    snapshot_delivery_frequency: ConfigFrequency = Field(
        default="TwentyFour_Hours",
        description="How often a full configuration snapshot is delivered to the Config bucket",
    )


class PasswordPolicyConfig(Model):
    """The IAM account password policy of every account (CIS AWS Foundations v3.0 1.8, 1.9)."""

    enabled: bool = Field(default=True, description="Set the password policy in every account")
    minimum_length: int = Field(
        default=14, ge=14, le=128, description="CIS 1.8: at least 14 characters"
    )
    reuse_prevention: int = Field(
        default=24, ge=1, le=24, description="CIS 1.9: previous passwords that cannot be reused"
    )
    max_age_days: int | None = Field(
        default=None,
        ge=1,
        le=1095,
        description="Days before a password expires; none by default (NIST SP 800-63B and "
        "CIS v3 advise against forced rotation; PCI DSS 8.3.9 wants 90 where a password is "
        "the only factor)",
    )
    require_symbols: bool = Field(default=True, description="Require a non-alphanumeric character")
    require_numbers: bool = Field(default=True, description="Require a digit")
    require_uppercase: bool = Field(default=True, description="Require an uppercase letter")
    require_lowercase: bool = Field(default=True, description="Require a lowercase letter")


class BaselineConfig(Model):
    """What every account gets: AWS Config and account hygiene, in every governed region."""

    targets: list[str] = Field(
        default_factory=lambda: ["root"],
        description="'root' or OU keys the member baseline StackSet deploys to; accounts "
        "created in or moved into them get the baseline automatically",
    )
    excluded_accounts: dict[str, str] = Field(
        default_factory=dict,
        description="Account key or 12-digit id -> why it does not get the baseline",
    )
    retain_stacks_on_account_removal: bool = Field(
        default=False,
        description="Keep the baseline in an account that leaves the targets (false: delete "
        "it, so the account can come back without a clash with its old recorder)",
    )
    operation_preferences: StackSetPreferencesConfig = Field(
        default_factory=StackSetPreferencesConfig
    )
    config_recorder: ConfigRecorderConfig = Field(default_factory=ConfigRecorderConfig)
    ebs_encryption_by_default: bool = Field(
        default=True, description="Turn on EBS encryption by default in every governed region"
    )
    s3_block_public_access: bool = Field(
        default=True,
        description="All four S3 Block Public Access settings in every account, through an "
        "S3_POLICY organization policy on the root",
    )
    password_policy: PasswordPolicyConfig = Field(default_factory=PasswordPolicyConfig)
    account_access_analyzer: bool = Field(
        default=True,
        description="An IAM Access Analyzer with the account as zone of trust in every "
        "account and governed region (free): finds access granted to other accounts, "
        "including this organization's, which an organization analyzer treats as trusted",
    )
    remove_default_vpc: bool = Field(
        default=False,
        description="DESTRUCTIVE: delete the default VPC (its subnets and internet gateway) "
        "in every governed region where nothing uses it; cannot be undone by this app",
    )


GuardDutyFrequency = Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]


class GuardDutyPlansConfig(Model):
    """GuardDuty protection plans, each enabled for every account of the organization.

    Foundational threat detection (CloudTrail management events, VPC flow
    logs, DNS logs) is always on; these are the optional plans, priced per
    volume of what they analyse.
    See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-features-activation-model.html
    """

    s3_data_events: bool = Field(default=True, description="S3 Protection (S3 data events)")
    eks_audit_logs: bool = Field(default=True, description="EKS Protection (EKS audit logs)")
    runtime_monitoring: bool = Field(
        default=True,
        description="Runtime Monitoring for EKS, ECS Fargate and EC2, with the security "
        "agent managed by GuardDuty",
    )
    ebs_malware_protection: bool = Field(
        default=True, description="Malware Protection for EC2 (scans EBS volumes on findings)"
    )
    rds_login_events: bool = Field(default=True, description="RDS Protection (login activity)")
    lambda_network_logs: bool = Field(
        default=True, description="Lambda Protection (network activity of functions)"
    )


class GuardDutyConfig(Model):
    """GuardDuty in every account and governed region, administered from the audit account."""

    enabled: bool = Field(default=True, description="Enable GuardDuty organization-wide")
    protection_plans: GuardDutyPlansConfig = Field(default_factory=GuardDutyPlansConfig)
    finding_publishing_frequency: GuardDutyFrequency = Field(
        default="FIFTEEN_MINUTES",
        description="How often updates to existing findings reach EventBridge and the export",
    )
    export_findings: bool = Field(
        default=True,
        description="Export every account's findings, KMS-encrypted, to the log archive",
    )


SecurityControlId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*\.\d{1,3}$")]


class SecurityHubPolicyConfig(Model):
    """A Security Hub configuration policy and the targets it is associated with."""

    description: str = Field(
        default="", max_length=512, description="What this policy is for (shown in the console)"
    )
    targets: list[str] = Field(
        min_length=1,
        description="'root' or OU keys this policy is associated with; accounts below "
        "inherit it (an OU's own association wins over its parent's)",
    )
    enabled: bool = Field(
        default=True,
        description="false: Security Hub is turned OFF in the targets (e.g. Suspended)",
    )
    standards: list[str] = Field(
        default_factory=list,
        description="Standard keys to enable (see docs/detection.md for the list)",
    )
    disabled_controls: dict[SecurityControlId, str] = Field(
        default_factory=dict,
        description="Security control id (e.g. 'IAM.6') -> why it is off under this policy",
    )


def _default_security_hub_policies() -> dict[str, SecurityHubPolicyConfig]:
    return {
        "default": SecurityHubPolicyConfig(
            description="AWS Foundational Security Best Practices and CIS v3.0 everywhere",
            targets=["root"],
            standards=[
                "aws-foundational-security-best-practices",
                "cis-aws-foundations-benchmark-v3.0.0",
            ],
        )
    }


class SecurityHubConfig(Model):
    """Security Hub with central configuration, administered from the audit account."""

    enabled: bool = Field(default=True, description="Enable Security Hub organization-wide")
    policies: dict[Key, SecurityHubPolicyConfig] = Field(
        default_factory=_default_security_hub_policies,
        description="Configuration policies by key; exactly one must target 'root'",
    )


class ConformancePackConfig(Model):
    """The organization conformance pack of detective guardrails (AWS Config rules)."""

    enabled: bool = Field(
        default=True,
        description="Deploy the Control Tower detective controls as an organization "
        "conformance pack in every governed region",
    )
    disabled_rules: dict[str, str] = Field(
        default_factory=dict,
        description="Rule id (docs/detection.md) -> why it is left out",
    )


class UnusedAccessAnalyzerConfig(Model):
    """The organization unused-access analyzer (priced per IAM role and user analysed)."""

    enabled: bool = Field(
        default=False,
        description="Find unused roles, users, permissions and keys across the organization "
        "(about USD 0.20 per role or user a month)",
    )
    unused_access_age_days: int = Field(
        default=90, ge=1, le=365, description="Days without use before access counts as unused"
    )


class AccessAnalyzerConfig(Model):
    """IAM Access Analyzer with the organization as zone of trust (audit account)."""

    organization: bool = Field(
        default=True,
        description="An organization external-access analyzer in every governed region (free)",
    )
    unused_access: UnusedAccessAnalyzerConfig = Field(default_factory=UnusedAccessAnalyzerConfig)


InspectorScan = Literal["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"]


class InspectorConfig(Model):
    """Amazon Inspector vulnerability scanning, organization-wide."""

    enabled: bool = Field(default=True, description="Enable Inspector organization-wide")
    scan_types: list[InspectorScan] = Field(
        default_factory=lambda: list[InspectorScan](["EC2", "ECR", "LAMBDA"]),
        min_length=1,
        description="What Inspector scans: EC2 instances, ECR images, Lambda functions "
        "(packages) and Lambda code",
    )


class MacieConfig(Model):
    """Amazon Macie, organization-wide (off by default: see the cost note)."""

    # Off by default: Macie bills every account for the S3 buckets it
    # inventories (per bucket a month) and for every GB automated sensitive
    # data discovery inspects; across a large organization that is the most
    # expensive service here, and most accounts hold no sensitive data.
    # Turn it on where PCI DSS or personal data demand it.
    enabled: bool = Field(
        default=False,
        description="Enable Macie organization-wide (billed per bucket and per GB inspected)",
    )
    finding_publishing_frequency: GuardDutyFrequency = Field(
        default="FIFTEEN_MINUTES", description="How often finding updates reach EventBridge"
    )


class DetectiveConfig(Model):
    """Amazon Detective behaviour graph, organization-wide."""

    enabled: bool = Field(default=True, description="Enable Detective organization-wide")


class SlackConfig(Model):
    """An AWS Chatbot (Amazon Q Developer in chat applications) Slack channel."""

    workspace_id: str = Field(
        pattern=r"^[0-9A-Z]{1,255}$",
        description="Slack workspace (team) id, e.g. T012ABCDE; authorize the workspace "
        "in the Chatbot console of the audit account first",
    )
    channel_id: str = Field(
        pattern=r"^[A-Za-z0-9]{9,11}$", description="Slack channel id, e.g. C0123456789"
    )


SeverityLabel = Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class FindingsNotificationsConfig(Model):
    """Who hears about findings: one topic in the audit account's home region."""

    emails: list[NotificationEmail] = Field(
        default_factory=list,
        description="Email addresses subscribed to the findings topic (each must confirm)",
    )
    security_hub_min_severity: SeverityLabel = Field(
        default="HIGH",
        description="Security Hub findings at or above this severity label are sent",
    )
    guardduty_min_severity: float = Field(
        default=7.0,
        ge=1.0,
        le=10.0,
        description="GuardDuty findings at or above this severity (1.0-10.0; 7.0 = High, "
        "9.0 = Critical) are sent",
    )
    slack: SlackConfig | None = Field(
        default=None, description="Optional Slack channel for the same findings"
    )


class DetectionConfig(Model):
    """Detection services with the audit account as delegated administrator."""

    guardduty: GuardDutyConfig = Field(default_factory=GuardDutyConfig)
    security_hub: SecurityHubConfig = Field(default_factory=SecurityHubConfig)
    conformance_pack: ConformancePackConfig = Field(default_factory=ConformancePackConfig)
    config_aggregator: bool = Field(
        default=True,
        description="An organization-wide AWS Config aggregator in the audit account",
    )
    access_analyzer: AccessAnalyzerConfig = Field(default_factory=AccessAnalyzerConfig)
    inspector: InspectorConfig = Field(default_factory=InspectorConfig)
    macie: MacieConfig = Field(default_factory=MacieConfig)
    detective: DetectiveConfig = Field(default_factory=DetectiveConfig)
    notifications: FindingsNotificationsConfig = Field(default_factory=FindingsNotificationsConfig)


class LandingZoneConfig(Model):
    """Everything one business unit's fork of the landing zone is built from."""

    prefix: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,19}$",
        description="Business unit / prefix carried by every stack id and physical name",
    )
    mode: Literal["core", "business-unit"] = Field(
        default="core",
        description="core: this fork owns the organization-wide parts (root guardrails, log "
        "archive, audit, trail, delegated admins). business-unit: it adopts a core fork's "
        "(see `core`) and owns only its OU subtree, accounts, guardrail packs and, optionally, "
        "its baseline, Security Hub policies and alert recipients (docs/forking.md)",
    )
    core: CoreReference | None = Field(
        default=None, description="business-unit mode only: the core fork this one adopts"
    )
    organization: OrganizationConfig
    regions: RegionsConfig
    organizational_units: dict[Key, OrganizationalUnitConfig] = Field(min_length=1)
    core_accounts: CoreAccountsConfig | None = Field(
        default=None, description="core mode only (required there): log-archive and audit"
    )
    workload_accounts: dict[Key, AccountConfig] = Field(default_factory=dict)
    privileged_principals: dict[Key, PrivilegedPrincipal] = Field(min_length=1)
    organization_features: OrganizationFeaturesConfig = Field(
        default_factory=OrganizationFeaturesConfig
    )
    account_access_role_name: str = Field(
        default="OrganizationAccountAccessRole",
        pattern=r"^[\w+=,.@-]{1,64}$",
        description="Role Organizations creates in new accounts for management-account admins",
    )
    guardrails: GuardrailsConfig = Field(default_factory=GuardrailsConfig)
    log_archive: LogArchiveConfig = Field(default_factory=LogArchiveConfig)
    organization_trail: OrganizationTrailConfig = Field(default_factory=OrganizationTrailConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    baseline: BaselineConfig = Field(default_factory=BaselineConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)

    @model_validator(mode="before")
    @classmethod
    def _business_unit_defaults(cls, data: Any) -> Any:
        # The Security Hub default (one policy on the root) is the core's; a
        # business unit that names no policies has none of its own.
        # Values of the wrong type are left alone, for the field's own error.
        if not isinstance(data, Mapping) or data.get("mode") != "business-unit":
            return data
        detection = data.get("detection") or {}
        if not isinstance(detection, Mapping):
            return data
        hub = detection.get("security_hub") or {}
        if isinstance(hub, Mapping) and "policies" not in hub:
            hub = {**hub, "policies": {}}
            data = {**data, "detection": {**detection, "security_hub": hub}}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> LandingZoneConfig:
        problems = list(_cross_field_problems(self))
        if problems:
            # Not a ValueError: pydantic lets it through unwrapped, so every
            # problem keeps its own location instead of collapsing into one.
            raise CrossFieldProblems(problems)
        return self

    # -- derived views used by stacks and the summary --

    def walk_units(self) -> Iterator[tuple[str, OrganizationalUnitConfig, str | None, int]]:
        """Yield ``(key, ou, parent_key, depth)`` parents first, in file order."""

        def visit(
            units: Mapping[str, OrganizationalUnitConfig], parent: str | None, depth: int
        ) -> Iterator[tuple[str, OrganizationalUnitConfig, str | None, int]]:
            for key, unit in units.items():
                yield key, unit, parent, depth
                yield from visit(unit.children, key, depth + 1)

        yield from visit(self.organizational_units, None, 1)

    @property
    def business_unit(self) -> bool:
        return self.mode == "business-unit"

    def all_accounts(self) -> Iterator[tuple[str, AccountConfig]]:
        """Core accounts first (keys ``log-archive``, ``audit``; core mode), then workloads."""
        if self.core_accounts is not None:
            yield "log-archive", self.core_accounts.log_archive
            yield "audit", self.core_accounts.audit
        yield from self.workload_accounts.items()

    def conformance_pack_exclusions(self) -> list[str]:
        """Accounts (keys or ids) without a Config recorder: outside the baseline's reach.

        The management account always has one (its own baseline stacks).
        """
        reached = set(self.baseline_account_keys())
        return [key for key, _ in self.all_accounts() if key not in reached] + [
            account for account in self.baseline.excluded_accounts if account.isdigit()
        ]

    def security_hub_ou_keys(self) -> list[str]:
        """OU keys a Security Hub configuration policy is associated with, in config order."""
        hub = self.detection.security_hub
        if not hub.enabled:
            return []
        return [
            target
            for policy in hub.policies.values()
            for target in policy.targets
            if target != "root"
        ]

    def business_unit_alerts(self) -> bool:
        """Whether a business-unit fork alerts its own recipients (about its own accounts)."""
        return (
            self.business_unit
            and "notifications" in self.detection.model_fields_set
            and bool(self.workload_accounts)
        )

    def business_unit_detection(self) -> bool:
        """Whether a business-unit fork has its own Security Hub policies or alert recipients."""
        return self.business_unit and bool(
            self.detection.security_hub.policies or self.business_unit_alerts()
        )

    def organization_stack_accounts(self) -> list[tuple[str, AccountConfig]]:
        """Accounts the organization stack holds: core, adopted, and created ones if unsharded."""
        sharded = self.organization.account_stacks > 1
        return [
            (key, account)
            for key, account in self.all_accounts()
            if not (sharded and key in self.workload_accounts and not account.adopted)
        ]

    def account_stack_accounts(self, shard: int) -> list[tuple[str, AccountConfig]]:
        """Created workload accounts of account stack ``shard`` (0-based), in config order."""
        if self.organization.account_stacks == 1:
            return []
        return [
            (key, account)
            for key, account in self.workload_accounts.items()
            if not account.adopted and self.account_stack(key) == shard
        ]

    def account_stack(self, key: str) -> int:
        """The account stack (0-based) a created workload account lives in.

        A hash of the key alone (CRC-32: stable across Python runs, unlike
        ``hash()``), so adding, removing or moving other accounts never moves
        this one between stacks; only changing ``account_stacks`` does.
        """
        return zlib.crc32(key.encode()) % self.organization.account_stacks

    @property
    def partition(self) -> str:
        return partition_of(self.regions.home)

    def baseline_account_keys(self) -> list[str]:
        """Config accounts the member baseline reaches: in a target OU, not excluded."""
        parents = {key: parent for key, _, parent, _ in self.walk_units()}
        targets = set(self.baseline.targets)

        def targeted(ou: str | None) -> bool:
            while ou is not None:
                if ou in targets:
                    return True
                ou = parents.get(ou)
            return "root" in targets

        excluded = set(self.baseline.excluded_accounts)
        return [
            key
            for key, account in self.all_accounts()
            if targeted(account.ou)
            and key not in excluded
            and (account.account_id or "") not in excluded
        ]

    @property
    def baseline_region_order(self) -> tuple[str, ...]:
        """The baseline's region order: from config, else home first, then governed order."""
        order = self.baseline.operation_preferences.region_order
        if order:
            return tuple(order)
        home = self.regions.home
        return (home, *(r for r in self.regions.governed if r != home))


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str


class CrossFieldProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _cross_field_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    regions = config.regions
    if regions.home not in regions.governed:
        yield Problem(
            ("regions", "home"),
            f"home region '{regions.home}' is not in regions.governed "
            f"({', '.join(regions.governed)}); add it there or pick a governed home region",
        )
    for index, region in enumerate(regions.governed):
        if region in regions.governed[:index]:
            yield Problem(("regions", "governed", index), f"region '{region}' is listed twice")
    partitions = {partition_of(r) for r in regions.governed}
    if len(partitions) > 1:
        yield Problem(
            ("regions", "governed"),
            f"governed regions span partitions {sorted(partitions)}; an organization "
            "lives in one partition, so list regions of one partition only",
        )

    features = config.organization_features
    for field_name, values in (
        ("policy_types", features.policy_types),
        ("trusted_services", features.trusted_services),
    ):
        for index, value in enumerate(values):
            if value in values[:index]:
                yield Problem(
                    ("organization_features", field_name, index),
                    f"'{value}' is listed twice; remove the repeat",
                )

    partition = partition_of(regions.home)
    for key, principal in config.privileged_principals.items():
        arn_partition = principal.arn.split(":")[1]
        if arn_partition != partition:
            yield Problem(
                ("privileged_principals", key, "arn"),
                f"ARN partition '{arn_partition}' differs from the home region's partition "
                f"'{partition}'; write arn:{partition}:iam::...",
            )

    # OU keys are global ids (accounts and guardrail packs refer to them).
    paths: dict[str, Location] = {}

    def check_units(
        units: Mapping[str, OrganizationalUnitConfig], base: Location, depth: int
    ) -> None:
        for key, unit in units.items():
            location = (*base, key)
            if key in paths:
                first = ".".join(str(p) for p in paths[key])
                problems.append(
                    Problem(
                        location,
                        f"duplicate OU key '{key}' (also at {first}); OU keys are "
                        "ids accounts refer to, so each must be unique in the whole tree",
                    )
                )
            else:
                paths[key] = location
            if depth > MAX_OU_DEPTH:
                problems.append(
                    Problem(
                        location,
                        f"OU '{key}' is nested {depth} levels deep; AWS Organizations "
                        f"allows at most {MAX_OU_DEPTH} levels below the root. Flatten the tree",
                    )
                )
            check_units(unit.children, (*location, "children"), depth + 1)

    problems: list[Problem] = []
    check_units(config.organizational_units, ("organizational_units",), 1)
    yield from problems

    yield from _mode_problems(config, set(paths))
    yield from _guardrail_problems(config, set(paths))
    yield from _logging_problems(config)
    yield from _baseline_problems(config)
    yield from _detection_problems(config)

    def account_location(key: str) -> Location:
        if key in ("log-archive", "audit"):
            return ("core_accounts", key.replace("-", "_"))
        return ("workload_accounts", key)

    names: dict[str, str] = {}
    emails: dict[str, str] = {}
    ids: dict[str, str] = {}
    management_id = config.organization.management_account_id
    for key, account in config.all_accounts():
        location = account_location(key)
        if account.ou not in paths:
            close = difflib.get_close_matches(account.ou, sorted(paths), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*location, "ou"),
                f"OU '{account.ou}' does not exist; {hint}use a key from "
                f"organizational_units ({', '.join(sorted(paths))})",
            )
        folded = account.name.casefold()
        if folded in names:
            yield Problem(
                (*location, "name"),
                f"account name '{account.name}' is already used by {names[folded]}; "
                "account names must be unique",
            )
        else:
            names[folded] = dotted(location)
        if account.email is not None:
            email = account.email.casefold()
            if email in emails:
                yield Problem(
                    (*location, "email"),
                    f"email '{account.email}' is already used by {emails[email]}; every AWS "
                    "account needs its own root email (plus-addressing works: aws+name@...)",
                )
            else:
                emails[email] = dotted(location)
        if account.account_id is not None:
            if account.account_id == management_id:
                yield Problem(
                    (*location, "account_id"),
                    "this is the management account; it cannot be a core or workload account. "
                    "Use another account's id, or give an email to create a new one",
                )
            elif account.account_id in ids:
                yield Problem(
                    (*location, "account_id"),
                    f"account id {account.account_id} is already adopted by "
                    f"{ids[account.account_id]}; an account can be adopted only once, "
                    "remove one of the two entries",
                )
            else:
                ids[account.account_id] = dotted(location)


# Sections a business-unit fork leaves to the core: the core deploys them once
# for the whole organization, and a second copy would clash or be ignored.
CORE_ONLY_SECTIONS = (
    "core_accounts",
    "organization_features",
    "log_archive",
    "organization_trail",
    "monitoring",
)
# Packs that protect the core's own resources, named with the core's prefix:
# the core attaches them (root, Security) and every business unit inherits them.
CORE_ONLY_PACKS = ("core", "log-archive")
# What a business unit may set under `detection`.
BUSINESS_UNIT_DETECTION = ("security_hub", "notifications")


def _mode_problems(config: LandingZoneConfig, ou_keys: set[str]) -> Iterator[Problem]:
    """Core vs business-unit: each mode's required sections, and what a business unit may own."""
    if not config.business_unit:
        if config.core is not None:
            yield Problem(
                ("core",),
                "only a business-unit fork names a core; set mode: business-unit (and remove "
                "core_accounts), or remove this section",
            )
        if config.core_accounts is None:
            yield Problem(
                ("core_accounts",),
                "required in core mode: the log-archive and audit accounts (created or "
                "adopted); a fork that adopts an existing core sets mode: business-unit",
            )
        return
    core = config.core
    if core is None:
        yield Problem(
            ("core",),
            "mode business-unit adopts an existing core: add `core` with the core's prefix, "
            "parent_ou_id, log_archive_account_id, audit_account_id and log_archive "
            "(config/example-business-unit.yaml shows each)",
        )
    for section in CORE_ONLY_SECTIONS:
        if section in config.model_fields_set:
            yield Problem(
                (section,),
                f"'{section}' belongs to the core fork, which deploys it once for the "
                "organization; remove it from this business-unit config"
                + (
                    " and name the core's accounts in core.log_archive_account_id and "
                    "core.audit_account_id"
                    if section == "core_accounts"
                    else ""
                ),
            )
    for target, packs in config.guardrails.attachments.items():
        if target == "root":
            yield Problem(
                ("guardrails", "attachments", "root"),
                "a business unit does not own the root: the core attaches the root's "
                "guardrails. Attach packs to this fork's own OUs "
                f"({', '.join(sorted(ou_keys))})",
            )
        for index, pack in enumerate(packs):
            if pack in CORE_ONLY_PACKS:
                yield Problem(
                    ("guardrails", "attachments", target, index),
                    f"pack '{pack}' protects the core's own resources and is attached by the "
                    "core fork, so this business unit already inherits it; remove it",
                )
    baseline = config.baseline
    if "targets" not in baseline.model_fields_set:
        yield Problem(
            ("baseline", "targets"),
            "a business unit chooses who baselines its accounts: list this fork's OU keys "
            "(it deploys its own <Prefix>-MemberBaseline StackSet) or [] (the core's "
            "baseline already reaches core.parent_ou_id). Never both: two Config recorders "
            "in one account fail",
        )
    if "s3_block_public_access" in baseline.model_fields_set:
        yield Problem(
            ("baseline", "s3_block_public_access"),
            "S3 Block Public Access is an organization policy on the root, which the core "
            "owns; remove this field",
        )
    detection = config.detection
    for field_name in sorted(detection.model_fields_set - set(BUSINESS_UNIT_DETECTION)):
        yield Problem(
            ("detection", field_name),
            "the core fork runs the detection services for the whole organization; a "
            "business unit may set only detection.security_hub.policies and "
            "detection.notifications (its own policies and alert recipients). Remove this field",
        )
    for field_name in sorted(detection.security_hub.model_fields_set - {"policies"}):
        yield Problem(
            ("detection", "security_hub", field_name),
            "Security Hub is on or off for the whole organization, which the core decides; a "
            "business unit sets only detection.security_hub.policies. Remove this field",
        )
    if core is None:
        return
    if core.prefix == config.prefix:
        yield Problem(
            ("prefix",),
            f"'{config.prefix}' is the core's prefix too; every stack, policy and resource "
            "name carries the prefix, so a business unit needs its own (e.g. "
            f"'{config.prefix}Retail')",
        )
    organization = config.organization
    if core.parent_ou_id.startswith("r-") and core.parent_ou_id != organization.root_id:
        yield Problem(
            ("core", "parent_ou_id"),
            f"'{core.parent_ou_id}' is a root id but not this organization's root "
            f"({organization.root_id}); use an OU id (ou-...) or the organization's root id",
        )
    core_ids = {
        "log_archive_account_id": core.log_archive_account_id,
        "audit_account_id": core.audit_account_id,
    }
    for field_name, core_id in core_ids.items():
        if core_id == organization.management_account_id:
            yield Problem(
                ("core", field_name),
                "this is the management account; name the core's "
                f"{field_name.removesuffix('_account_id').replace('_', '-')} account",
            )
    if core.log_archive_account_id == core.audit_account_id:
        yield Problem(
            ("core", "audit_account_id"),
            "the audit account is the log-archive account too; the core keeps them apart "
            "(logs must not be writable by the security tooling account)",
        )
    for key, workload in config.workload_accounts.items():
        if workload.account_id in core_ids.values():
            yield Problem(
                ("workload_accounts", key, "account_id"),
                f"{workload.account_id} is one of the core's accounts; a business unit cannot "
                "adopt it",
            )
    arn = core.log_archive.key_arn.split(":")
    expected = {
        "partition": (arn[1], config.partition),
        "region": (arn[3], config.regions.home),
        "account": (arn[4], core.log_archive_account_id),
    }
    for what, (found, wanted) in expected.items():
        if found != wanted:
            yield Problem(
                ("core", "log_archive", "key_arn"),
                f"the key's {what} is '{found}' but the log-archive key lives in {what} "
                f"'{wanted}' (core.log_archive_account_id, regions.home); copy the ARN from "
                "the core's summary",
            )


def _guardrail_problems(config: LandingZoneConfig, ou_keys: set[str]) -> Iterator[Problem]:
    targets = sorted(ou_keys | {"root"})
    kinds: set[str] = set()
    for target, packs in config.guardrails.attachments.items():
        location: Location = ("guardrails", "attachments", target)
        if target not in targets:
            close = difflib.get_close_matches(target, targets, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                location,
                f"'{target}' is not a guardrail target; {hint}use 'root' or an OU key "
                f"({', '.join(sorted(ou_keys))})",
            )
        for index, pack in enumerate(packs):
            if pack in packs[:index]:
                yield Problem((*location, index), f"pack '{pack}' is listed twice; remove one")
            if pack in PACKS:
                kinds.update(GUARDRAILS[g].kind for g in PACKS[pack].guardrails)
    policy_types = config.organization_features.policy_types
    for kind, policy_type in (
        ("scp", "SERVICE_CONTROL_POLICY"),
        ("rcp", "RESOURCE_CONTROL_POLICY"),
    ):
        if kind in kinds and policy_type not in policy_types:
            yield Problem(
                ("organization_features", "policy_types"),
                f"guardrails.attachments uses {kind.upper()} guardrails but {policy_type} is "
                "not enabled; add it to organization_features.policy_types",
            )
    quotas = config.guardrails.quotas
    for kind in ("scp", "rcp"):
        maximum = getattr(quotas, f"{kind}_max_per_target")
        reserved = getattr(quotas, f"{kind}_reserved_per_target")
        if reserved > maximum - 2:
            yield Problem(
                ("guardrails", "quotas", f"{kind}_reserved_per_target"),
                f"reserving {reserved} of {maximum} {kind.upper()} slots leaves none for "
                f"guardrails (1 is taken by the FullAWSAccess policy); lower it to at most "
                f"{maximum - 2}",
            )


def _logging_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    archive = config.log_archive
    lock_days = archive.object_lock.days
    expiration = archive.effective_expiration_days
    if archive.expiration_days is not None and archive.expiration_days < lock_days:
        yield Problem(
            ("log_archive", "expiration_days"),
            f"{archive.expiration_days} days is shorter than object_lock.days ({lock_days}); "
            "Object Lock keeps every version that long anyway, so set expiration_days to at "
            f"least {lock_days} or lower object_lock.days",
        )
    if archive.transition.days >= expiration:
        yield Problem(
            ("log_archive", "transition", "days"),
            f"objects would move to {archive.transition.storage_class} after "
            f"{archive.transition.days} days but expire after {expiration}; transition earlier "
            "or keep the logs longer",
        )
    for cis_id in config.monitoring.disabled_cis_alarms:
        if cis_id not in CIS_ALARMS:
            yield Problem(
                ("monitoring", "disabled_cis_alarms", cis_id),
                f"'{cis_id}' is not a CIS monitoring control of this landing zone; use one of "
                f"{', '.join(CIS_ALARMS)}",
            )
    for cis_id, reason in config.monitoring.disabled_cis_alarms.items():
        if len(reason.strip()) < 10:
            yield Problem(
                ("monitoring", "disabled_cis_alarms", cis_id),
                "say why this alarm is off (at least 10 characters); the reason is the audit "
                "trail for a missing control",
            )


def guardrail_inputs(config: LandingZoneConfig) -> GuardrailInputs:
    """The config values guardrail statements are rendered from."""
    return GuardrailInputs(
        partition=config.partition,
        prefix=config.prefix,
        organization_id=config.organization.id,
        governed_regions=tuple(config.regions.governed),
        privileged_arns=tuple(p.arn for p in config.privileged_principals.values()),
        sandbox_instance_types=tuple(config.guardrails.sandbox_instance_types),
        trusted_external_accounts=tuple(config.guardrails.trusted_external_accounts),
        account_access_role_name=config.account_access_role_name,
    )


@cache
def config_resource_types() -> frozenset[str]:
    """Every resource type AWS Config can record, from botocore's service model."""
    model = botocore.session.get_session().get_service_model("config")
    shape = model.shape_for("ResourceType")
    return frozenset(getattr(shape, "enum", ()))


def _deny_all_packs(config: LandingZoneConfig) -> set[str]:
    """Packs holding an SCP that denies every action to all but the privileged roles."""
    inputs = guardrail_inputs(config)
    found = set()
    for pack in PACKS.values():
        for guardrail_id in pack.guardrails:
            guardrail = GUARDRAILS[guardrail_id]
            if guardrail.kind == "scp" and any(
                s.actions == ("*",) and s.resources == ("*",) and not s.condition
                for s in guardrail.statements(inputs)
            ):
                found.add(pack.id)
    return found


def _baseline_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    baseline = config.baseline
    parents = {key: parent for key, _, parent, _ in config.walk_units()}

    def ancestors(key: str) -> list[str]:
        chain = []
        parent = parents.get(key)
        while parent is not None:
            chain.append(parent)
            parent = parents.get(parent)
        return chain

    targets = baseline.targets
    location: Location = ("baseline", "targets")
    if not targets and not config.business_unit:
        yield Problem(
            location, "list 'root' or at least one OU key; the baseline must go somewhere"
        )
    for index, target in enumerate(targets):
        if target in targets[:index]:
            yield Problem((*location, index), f"'{target}' is listed twice; remove one")
        elif target != "root" and target not in parents:
            choices = sorted(parents)
            close = difflib.get_close_matches(target, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*location, index),
                f"'{target}' is not an OU key; {hint}use 'root' or keys from "
                f"organizational_units ({', '.join(choices)})",
            )
        elif target == "root" and config.business_unit:
            yield Problem(
                (*location, index),
                "a business unit does not own the root; list this fork's own OU keys "
                f"({', '.join(sorted(parents))})",
            )
        elif target == "root" and len(targets) > 1:
            yield Problem(
                (*location, index),
                "'root' already covers every OU; list either 'root' alone or the OUs",
            )
        elif target != "root":
            covered = [a for a in ancestors(target) if a in targets]
            if covered:
                yield Problem(
                    (*location, index),
                    f"'{target}' is inside '{covered[0]}', which is already targeted "
                    "(a StackSet reaches every OU below its targets); remove it",
                )

    # The baseline's custom resources run as a Lambda role inside each
    # account; an SCP that denies everything but the privileged roles makes
    # them fail, and the failure rolls the whole stack instance back.
    deny_all = _deny_all_packs(config)
    attachments = config.guardrails.attachments
    in_scope = [
        key
        for key in parents
        if "root" in targets or key in targets or any(a in targets for a in ancestors(key))
    ]
    for key in in_scope:
        packs = {
            pack
            for level in ("root", *ancestors(key), key)
            for pack in attachments.get(level, [])
            if pack in deny_all
        }
        if packs:
            others = [
                top
                for top in config.organizational_units
                if not any(p in deny_all for p in attachments.get(top, []))
            ]
            yield Problem(
                location,
                f"the baseline would reach OU '{key}', where the '{sorted(packs)[0]}' pack "
                "denies everything to all but the privileged roles; its custom resources "
                "would fail there and roll the stack instance back. Target the other OUs "
                f"instead, e.g. [{', '.join(others)}]",
            )
            break

    account_keys = {key for key, _ in config.all_accounts()}
    for account, reason in baseline.excluded_accounts.items():
        where: Location = ("baseline", "excluded_accounts", account)
        if account not in account_keys and not re.fullmatch(r"\d{12}", account):
            close = difflib.get_close_matches(account, sorted(account_keys), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                where,
                f"'{account}' is neither an account key nor a 12-digit account id; {hint}"
                "quote ids, e.g. '012345678901'",
            )
        if len(reason.strip()) < 10:
            yield Problem(
                where,
                "say why this account goes without the baseline (at least 10 characters)",
            )

    preferences = baseline.operation_preferences
    order = preferences.region_order
    if order and sorted(order) != sorted(config.regions.governed):
        yield Problem(
            ("baseline", "operation_preferences", "region_order"),
            f"list every governed region exactly once ({', '.join(config.regions.governed)}); "
            "StackSets deploy the baseline to all of them",
        )

    recorder = baseline.config_recorder
    for field_name in ("excluded_resource_types", "daily_resource_types"):
        values: list[str] = getattr(recorder, field_name)
        for index, value in enumerate(values):
            where = ("baseline", "config_recorder", field_name, index)
            if value not in config_resource_types():
                close = difflib.get_close_matches(value, sorted(config_resource_types()), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield Problem(
                    where,
                    f"'{value}' is not a resource type AWS Config records; {hint}see "
                    "https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html",
                )
            elif value in values[:index]:
                yield Problem(where, f"'{value}' is listed twice; remove one")
    both = set(recorder.excluded_resource_types) & set(recorder.daily_resource_types)
    for value in sorted(both):
        yield Problem(
            ("baseline", "config_recorder", "daily_resource_types"),
            f"'{value}' is also excluded; a type is either not recorded or recorded daily",
        )

    if (
        not config.business_unit
        and baseline.s3_block_public_access
        and "S3_POLICY" not in config.organization_features.policy_types
    ):
        yield Problem(
            ("baseline", "s3_block_public_access"),
            "the S3 Block Public Access baseline is an S3_POLICY organization policy, but "
            "S3_POLICY is not enabled; add it to organization_features.policy_types",
        )


def required_trusted_services(detection: DetectionConfig) -> dict[str, str]:
    """Service principal -> what needs its trusted access, for the enabled detection services."""
    needed: dict[str, str] = {}
    if detection.guardduty.enabled:
        needed["guardduty.amazonaws.com"] = "detection.guardduty"
        if detection.guardduty.protection_plans.ebs_malware_protection:
            needed["malware-protection.guardduty.amazonaws.com"] = (
                "detection.guardduty.protection_plans.ebs_malware_protection"
            )
    if detection.security_hub.enabled:
        needed["securityhub.amazonaws.com"] = "detection.security_hub"
    if detection.config_aggregator:
        needed["config.amazonaws.com"] = "detection.config_aggregator"
    if detection.conformance_pack.enabled:
        needed["config-multiaccountsetup.amazonaws.com"] = "detection.conformance_pack"
    analyzer = detection.access_analyzer
    if analyzer.organization or analyzer.unused_access.enabled:
        needed["access-analyzer.amazonaws.com"] = "detection.access_analyzer"
    if detection.inspector.enabled:
        needed["inspector2.amazonaws.com"] = "detection.inspector"
    if detection.macie.enabled:
        needed["macie.amazonaws.com"] = "detection.macie"
    if detection.detective.enabled:
        needed["detective.amazonaws.com"] = "detection.detective"
    return needed


def _detection_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    from landing_zone.guardrails.detective import BY_ID as DETECTIVE_RULES
    from landing_zone.guardrails.security_hub import BY_KEY as STANDARDS

    detection = config.detection
    trusted = set(config.organization_features.trusted_services)
    for principal, needed_by in required_trusted_services(detection).items():
        if principal not in trusted and not config.business_unit:
            yield Problem(
                ("organization_features", "trusted_services"),
                f"{needed_by} needs trusted access for '{principal}'; add it to "
                "organization_features.trusted_services (or turn the service off)",
            )

    ou_keys = {key for key, _, _, _ in config.walk_units()}
    hub = detection.security_hub
    if hub.enabled:
        targeted: dict[str, str] = {}
        for policy_key, policy in hub.policies.items():
            base: Location = ("detection", "security_hub", "policies", policy_key)
            for index, target in enumerate(policy.targets):
                where: Location = (*base, "targets", index)
                if target == "root" and config.business_unit:
                    yield Problem(
                        where,
                        "a business unit does not own the root (the core's policy covers it); "
                        "target this fork's own OU keys",
                    )
                elif target != "root" and target not in ou_keys:
                    close = difflib.get_close_matches(target, sorted(ou_keys), n=1)
                    hint = f"did you mean '{close[0]}'? " if close else ""
                    yield Problem(
                        where, f"'{target}' is not an OU key; {hint}use 'root' or an OU key"
                    )
                elif target in targeted:
                    yield Problem(
                        where,
                        f"'{target}' is already associated with policy '{targeted[target]}'; "
                        "a target has one configuration policy",
                    )
                else:
                    targeted[target] = policy_key
            for index, standard in enumerate(policy.standards):
                where = (*base, "standards", index)
                if standard not in STANDARDS:
                    close = difflib.get_close_matches(standard, sorted(STANDARDS), n=1)
                    hint = f"did you mean '{close[0]}'? " if close else ""
                    yield Problem(
                        where,
                        f"'{standard}' is not a known Security Hub standard; {hint}choose "
                        f"from {', '.join(sorted(STANDARDS))}",
                    )
                elif standard in policy.standards[:index]:
                    yield Problem(where, f"'{standard}' is listed twice; remove one")
            if policy.enabled and not policy.standards:
                yield Problem(
                    (*base, "standards"),
                    "list at least one standard (or set enabled: false to turn Security Hub "
                    "off in the targets)",
                )
            if not policy.enabled and (policy.standards or policy.disabled_controls):
                yield Problem(
                    (*base, "enabled"),
                    "a policy that turns Security Hub off cannot enable standards or "
                    "disable controls; remove them",
                )
            for control, reason in policy.disabled_controls.items():
                if len(reason.strip()) < 10:
                    yield Problem(
                        (*base, "disabled_controls", control),
                        "say why this control is off (at least 10 characters)",
                    )
        if "root" not in targeted and not config.business_unit:
            yield Problem(
                ("detection", "security_hub", "policies"),
                "no policy targets 'root'; exactly one policy must, so every account "
                "(including new ones) gets a Security Hub configuration",
            )

    for rule_id, reason in detection.conformance_pack.disabled_rules.items():
        where = ("detection", "conformance_pack", "disabled_rules", rule_id)
        if rule_id not in DETECTIVE_RULES:
            close = difflib.get_close_matches(rule_id, sorted(DETECTIVE_RULES), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                where, f"'{rule_id}' is not a detective rule id; {hint}see docs/detection.md"
            )
        elif len(reason.strip()) < 10:
            yield Problem(where, "say why this rule is left out (at least 10 characters)")


# ---- loading and error reporting ----------------------------------------------


class ConfigError(Exception):
    """A config file that cannot be used, with one readable line per problem."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
        body = "\n".join(f"  - {line}" for line in lines)
        super().__init__(f"{path}: {count}\n{body}")


def dotted(location: Location) -> str:
    """``('a', 'b', 0, 'c')`` -> ``a.b[0].c``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _where(path: Path, document: YamlDocument | None, location: Location) -> str:
    line = document.line_of(location) if document is not None else None
    at = f"{path}:{line}" if line is not None else str(path)
    return f"{at}: {dotted(location)}" if location else at


def _pydantic_lines(path: Path, document: YamlDocument, error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        location: Location = tuple(item["loc"])
        kind = item["type"]
        context = item.get("ctx") or {}
        if kind == "unknown_field":
            location = (*location, context["field"])
            message = item["msg"]
        elif kind == "missing":
            message = (
                f"required field '{location[-1]}' is missing; add it "
                "(config/example.yaml shows every field with a comment)"
            )
        elif kind == "string_pattern_mismatch":
            message = (
                f"'{item['input']}' does not match the required format "
                f"{context.get('pattern')}; see the comment for this field in config/example.yaml"
            )
        elif kind == "literal_error":
            message = f"'{item['input']}' is not allowed; expected one of {context.get('expected')}"
        elif kind.startswith(("account_", "email_", "guardrail_", "key_", "ou_", "region_")):
            # Our own PydanticCustomErrors already say what to do.
            message = item["msg"]
        else:
            # pydantic's own wording (wrong type, too long, ...) says what is
            # wrong but not where to look for the right shape.
            message = (
                f"{item['msg']}; see this field's comment in config/example.yaml "
                "or config/schema.json"
            )
        lines.append(f"{_where(path, document, location)}: {message}")
    return lines


def load_config(path: Path | str) -> LandingZoneConfig:
    """Load and validate one config file, or raise :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            path, [f"{path}: no such file; pass an existing file, e.g. config/example.yaml"]
        )
    try:
        document = load_yaml(path)
    except YamlSourceError as error:
        raise ConfigError(
            path,
            [
                f"{path}:{p.line}: {p.message}" if p.line else f"{path}: {p.message}"
                for p in error.problems
            ],
        ) from None
    try:
        return LandingZoneConfig.model_validate(document.data)
    except ValidationError as error:
        raise ConfigError(path, _pydantic_lines(path, document, error)) from None
    except CrossFieldProblems as error:
        raise ConfigError(
            path,
            [f"{_where(path, document, p.location)}: {p.message}" for p in error.problems],
        ) from None
