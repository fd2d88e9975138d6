"""What every account gets (AWS Config, account hygiene), how its StackSet rolls out, and checks."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from landing_zone.config.guardrails import deny_all_packs
from landing_zone.config.types import (
    Check,
    Location,
    Model,
    Problem,
    Region,
    repeats,
    service_enum,
    unexplained,
)

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig


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


VaultLockMode = Literal["governance", "compliance"]


class VaultLockConfig(Model):
    """AWS Backup Vault Lock on the baseline's vault: retention bounds every job must respect.

    Governance: the lock can be changed or removed by whoever may call
    PutBackupVaultLockConfiguration / DeleteBackupVaultLockConfiguration (the
    guardrails leave that to the privileged principals). Compliance: after
    ``changeable_for_days`` the lock is immutable, for everyone, AWS included,
    and the vault cannot be deleted while it holds recovery points.
    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html
    """

    mode: VaultLockMode = Field(
        description="governance (the privileged principals can still change or remove the "
        "lock) or compliance (immutable after changeable_for_days, for everyone)",
    )
    min_retention_days: int = Field(
        ge=1,
        le=36500,
        description="Every backup or copy job into the vault must keep its recovery points at "
        "least this long (AWS: 1 to 36500 days); shorter jobs fail",
    )
    max_retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Every backup or copy job into the vault must keep its recovery points at "
        "most this long (AWS: up to 36500 days); none: no maximum",
    )
    changeable_for_days: int | None = Field(
        default=None,
        ge=3,
        le=36500,
        description="compliance only: days until the lock becomes immutable (AWS: at least 3, "
        "its 72-hour cooling-off period)",
    )


class BackupConfig(Model):
    """The AWS Backup vault, its KMS key and the backup role in every account and region."""

    enabled: bool = Field(
        default=True,
        description="A KMS-encrypted backup vault in every account and governed region, and "
        "the IAM role AWS Backup assumes, for organization backup policies to use",
    )
    vault_lock: VaultLockConfig | None = Field(
        default=None, description="Vault Lock on the vault; none: no lock"
    )


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
    backup: BackupConfig = Field(default_factory=BackupConfig)


def config_resource_types() -> frozenset[str]:
    """Every resource type AWS Config can record, from botocore's service model."""
    return service_enum("config", "ResourceType")


# ---- checks -----------------------------------------------------------------------

TARGETS: Location = ("baseline", "targets")


def _first_targets(config: LandingZoneConfig) -> Iterator[tuple[int, str]]:
    """``(index, target)`` of each target's first listing (a repeat is its own problem)."""
    repeated = {index for index, _ in repeats(config.baseline.targets)}
    for index, target in enumerate(config.baseline.targets):
        if index not in repeated:
            yield index, target


def baseline_has_targets(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork's baseline goes somewhere: 'root' or at least one OU."""
    if not config.baseline.targets and not config.business_unit:
        yield Problem(TARGETS, "list 'root' or at least one OU key; the baseline must go somewhere")


def baseline_targets_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each baseline target is listed once."""
    for index, target in repeats(config.baseline.targets):
        yield Problem((*TARGETS, index), f"'{target}' is listed twice; remove one")


def baseline_targets_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every baseline target is 'root' or an OU key."""
    choices = sorted(config.tree.parents)
    for index, target in _first_targets(config):
        if target != "root" and target not in config.tree.parents:
            close = difflib.get_close_matches(target, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*TARGETS, index),
                f"'{target}' is not an OU key; {hint}use 'root' or keys from "
                f"organizational_units ({', '.join(choices)})",
            )


def baseline_root_not_in_business_unit(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit's baseline targets its own OUs, not the root."""
    if not config.business_unit:
        return
    for index, target in _first_targets(config):
        if target == "root":
            yield Problem(
                (*TARGETS, index),
                "a business unit does not own the root; list this fork's own OU keys "
                f"({', '.join(sorted(config.tree.parents))})",
            )


def baseline_root_alone(config: LandingZoneConfig) -> Iterator[Problem]:
    """'root' is the only baseline target when it is one (it already covers every OU)."""
    if config.business_unit or len(config.baseline.targets) < 2:
        return
    for index, target in _first_targets(config):
        if target == "root":
            yield Problem(
                (*TARGETS, index),
                "'root' already covers every OU; list either 'root' alone or the OUs",
            )


def baseline_targets_not_nested(config: LandingZoneConfig) -> Iterator[Problem]:
    """No baseline target OU lies inside another target (a StackSet reaches every OU below)."""
    tree = config.tree
    targets = config.baseline.targets
    for index, target in _first_targets(config):
        if target != "root" and target in tree.parents:
            covered = tree.covering(targets, target)
            if covered:
                yield Problem(
                    (*TARGETS, index),
                    f"'{target}' is inside '{covered[0]}', which is already targeted "
                    "(a StackSet reaches every OU below its targets); remove it",
                )


def baseline_avoids_deny_all_packs(config: LandingZoneConfig) -> Iterator[Problem]:
    """The baseline reaches no OU under a pack that denies everything to all but privileged roles.

    The baseline's custom resources run as a Lambda role inside each
    account; an SCP that denies everything but the privileged roles makes
    them fail, and the failure rolls the whole stack instance back.
    """
    tree = config.tree
    deny_all = deny_all_packs(config)
    attachments = config.guardrails.attachments
    for key in tree.units_reached(config.baseline.targets):
        packs = {
            pack
            for level in tree.path(key)
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
                TARGETS,
                f"the baseline would reach OU '{key}', where the '{sorted(packs)[0]}' pack "
                "denies everything to all but the privileged roles; its custom resources "
                "would fail there and roll the stack instance back. Target the other OUs "
                f"instead, e.g. [{', '.join(others)}]",
            )
            return


def baseline_exclusions_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every excluded account is an account key or a 12-digit account id."""
    account_keys = {key for key, _ in config.all_accounts()}
    for account in config.baseline.excluded_accounts:
        if account not in account_keys and not re.fullmatch(r"\d{12}", account):
            close = difflib.get_close_matches(account, sorted(account_keys), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                ("baseline", "excluded_accounts", account),
                f"'{account}' is neither an account key nor a 12-digit account id; {hint}"
                "quote ids, e.g. '012345678901'",
            )


def baseline_exclusions_name_each_account_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """No account is excluded both by its key and by its id."""
    excluded = config.baseline.excluded_accounts
    for key, account in config.all_accounts():
        if key in excluded and account.account_id in excluded:
            yield Problem(
                ("baseline", "excluded_accounts", account.account_id),
                f"{account.account_id} is the account '{key}', which is already excluded by "
                "its key; remove one of the two",
            )


def baseline_exclusions_not_management(config: LandingZoneConfig) -> Iterator[Problem]:
    """The management account is not excluded: the member baseline never reaches it.

    Service-managed StackSets never deploy to the management account; its
    own <Prefix>-ManagementBaseline stacks give it the baseline.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html
    """
    management_id = config.organization.management_account_id
    if management_id in config.baseline.excluded_accounts:
        yield Problem(
            ("baseline", "excluded_accounts", management_id),
            "this is the management account, which the member baseline StackSet never "
            "reaches (StackSets do not deploy to it; its ManagementBaseline stacks cover it); "
            "remove it",
        )


def baseline_exclusions_have_reason(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every excluded account says why, in at least 10 characters."""
    yield from unexplained(
        config.baseline.excluded_accounts,
        location=("baseline", "excluded_accounts"),
        what="this account goes without the baseline",
    )


def baseline_region_order_complete(config: LandingZoneConfig) -> Iterator[Problem]:
    """A region order, if given, lists every governed region exactly once."""
    order = config.baseline.operation_preferences.region_order
    if order and sorted(order) != sorted(config.regions.governed):
        yield Problem(
            ("baseline", "operation_preferences", "region_order"),
            f"list every governed region exactly once ({', '.join(config.regions.governed)}); "
            "StackSets deploy the baseline to all of them",
        )


RECORDER_TYPE_FIELDS = ("excluded_resource_types", "daily_resource_types")


def _recorder_types(config: LandingZoneConfig) -> Iterator[tuple[Location, str, bool]]:
    """``(location, type, listed before)`` of every resource type the recorder names."""
    recorder = config.baseline.config_recorder
    for field_name in RECORDER_TYPE_FIELDS:
        values: list[str] = getattr(recorder, field_name)
        repeated = {index for index, _ in repeats(values)}
        for index, value in enumerate(values):
            yield ("baseline", "config_recorder", field_name, index), value, index in repeated


def recorder_types_known(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every resource type the recorder excludes or records daily is one AWS Config records."""
    known = config_resource_types()
    for location, value, _ in _recorder_types(config):
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                location,
                f"'{value}' is not a resource type AWS Config records; {hint}see "
                "https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html",
            )


def recorder_types_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each resource type is listed once in its list."""
    known = config_resource_types()
    for location, value, repeated in _recorder_types(config):
        if value in known and repeated:
            yield Problem(location, f"'{value}' is listed twice; remove one")


def recorder_types_excluded_or_daily(config: LandingZoneConfig) -> Iterator[Problem]:
    """No resource type is both excluded and recorded daily."""
    recorder = config.baseline.config_recorder
    both = set(recorder.excluded_resource_types) & set(recorder.daily_resource_types)
    for value in sorted(both):
        yield Problem(
            ("baseline", "config_recorder", "daily_resource_types"),
            f"'{value}' is also excluded; a type is either not recorded or recorded daily",
        )


VAULT_LOCK: Location = ("baseline", "backup", "vault_lock")


def vault_lock_min_within_max(config: LandingZoneConfig) -> Iterator[Problem]:
    """Vault Lock's minimum retention is at most its maximum."""
    lock = config.baseline.backup.vault_lock
    maximum = lock.max_retention_days if lock is not None else None
    if lock is not None and maximum is not None and lock.min_retention_days > maximum:
        yield Problem(
            (*VAULT_LOCK, "min_retention_days"),
            f"{lock.min_retention_days} days is longer than max_retention_days ({maximum}); "
            "every job into the vault would fail. Lower it or raise max_retention_days",
        )


def vault_lock_grace_period_in_compliance_only(config: LandingZoneConfig) -> Iterator[Problem]:
    """changeable_for_days is given in compliance mode, and only there.

    ChangeableForDays is what makes a lock compliance mode: without it the
    lock stays changeable (governance); with it the lock becomes immutable
    when the days have passed.
    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    """
    lock = config.baseline.backup.vault_lock
    if lock is None:
        return
    if lock.mode == "compliance" and lock.changeable_for_days is None:
        yield Problem(
            (*VAULT_LOCK, "changeable_for_days"),
            "compliance mode needs changeable_for_days (at least 3): the days during which "
            "the lock can still be removed before it becomes immutable",
        )
    if lock.mode == "governance" and lock.changeable_for_days is not None:
        yield Problem(
            (*VAULT_LOCK, "changeable_for_days"),
            "governance mode has no grace period (a lock with one becomes compliance mode, "
            "immutable); remove changeable_for_days or set mode: compliance",
        )


def s3_block_public_access_policy_enabled(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork that blocks S3 public access has S3_POLICY enabled (the setting is one)."""
    if (
        not config.business_unit
        and config.baseline.s3_block_public_access
        and "S3_POLICY" not in config.organization_features.policy_types
    ):
        yield Problem(
            ("baseline", "s3_block_public_access"),
            "the S3 Block Public Access baseline is an S3_POLICY organization policy, but "
            "S3_POLICY is not enabled; add it to organization_features.policy_types",
        )


# ---- warnings: legal, but dangerous --------------------------------------------------


def default_vpc_kept(config: LandingZoneConfig) -> Iterator[Problem]:
    """The baseline leaves default VPCs alone (removing them is destructive)."""
    if config.baseline.remove_default_vpc:
        yield Problem(
            ("baseline", "remove_default_vpc"),
            "destructive: deletes the default VPC (subnets, internet gateway) in every "
            "governed region of every account the baseline reaches, wherever nothing uses it; "
            "this app never brings it back (`aws ec2 create-default-vpc` makes a new one)",
        )


def vault_lock_not_compliance(config: LandingZoneConfig) -> Iterator[Problem]:
    """Vault Lock, if on, is in governance mode (compliance cannot be undone).

    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    """
    backup = config.baseline.backup
    lock = backup.vault_lock
    if backup.enabled and lock is not None and lock.mode == "compliance":
        yield Problem(
            (*VAULT_LOCK, "mode"),
            f"irreversible {lock.changeable_for_days} days after the first deploy: nobody, not "
            "even the root user or AWS, can then remove the lock, shorten retention below "
            f"{lock.min_retention_days} days or delete the vault while it holds recovery "
            "points, in every account and governed region the baseline reaches",
        )


WARNINGS: tuple[Check, ...] = (default_vpc_kept, vault_lock_not_compliance)


CHECKS: tuple[Check, ...] = (
    baseline_has_targets,
    baseline_targets_listed_once,
    baseline_targets_exist,
    baseline_root_not_in_business_unit,
    baseline_root_alone,
    baseline_targets_not_nested,
    baseline_avoids_deny_all_packs,
    baseline_exclusions_exist,
    baseline_exclusions_name_each_account_once,
    baseline_exclusions_not_management,
    baseline_exclusions_have_reason,
    baseline_region_order_complete,
    recorder_types_known,
    recorder_types_listed_once,
    recorder_types_excluded_or_daily,
    s3_block_public_access_policy_enabled,
    vault_lock_min_within_max,
    vault_lock_grace_period_in_compliance_only,
)
