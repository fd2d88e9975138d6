"""The central log archive, the organization trail, its CIS monitoring alarms, and checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from landing_zone.config.types import (
    Check,
    LogRetentionDays,
    Model,
    NotificationEmail,
    Problem,
    unexplained,
)
from landing_zone.guardrails.cis_alarms import BY_CIS_ID as CIS_ALARMS

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig


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


# ---- checks -----------------------------------------------------------------------


def log_expiration_after_lock(config: LandingZoneConfig) -> Iterator[Problem]:
    """Log objects expire no earlier than their Object Lock retention ends."""
    archive = config.log_archive
    lock_days = archive.object_lock.days
    if archive.expiration_days is not None and archive.expiration_days < lock_days:
        yield Problem(
            ("log_archive", "expiration_days"),
            f"{archive.expiration_days} days is shorter than object_lock.days ({lock_days}); "
            "Object Lock keeps every version that long anyway, so set expiration_days to at "
            f"least {lock_days} or lower object_lock.days",
        )


def log_transition_before_expiration(config: LandingZoneConfig) -> Iterator[Problem]:
    """Log objects move to Glacier before they expire."""
    archive = config.log_archive
    expiration = archive.effective_expiration_days
    if archive.transition.days >= expiration:
        yield Problem(
            ("log_archive", "transition", "days"),
            f"objects would move to {archive.transition.storage_class} after "
            f"{archive.transition.days} days but expire after {expiration}; transition earlier "
            "or keep the logs longer",
        )


def disabled_cis_alarms_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every disabled CIS alarm is a monitoring control of this landing zone."""
    for cis_id in config.monitoring.disabled_cis_alarms:
        if cis_id not in CIS_ALARMS:
            yield Problem(
                ("monitoring", "disabled_cis_alarms", cis_id),
                f"'{cis_id}' is not a CIS monitoring control of this landing zone; use one of "
                f"{', '.join(CIS_ALARMS)}",
            )


def disabled_cis_alarms_have_reason(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every disabled CIS alarm says why, in at least 10 characters."""
    yield from unexplained(
        config.monitoring.disabled_cis_alarms,
        location=("monitoring", "disabled_cis_alarms"),
        what="this alarm is off",
        why="; the reason is the audit trail for a missing control",
    )


# ---- warnings: legal, but dangerous --------------------------------------------------

# Retention beyond ten years is rarely asked for and paid for in full.
LONG_RETENTION_DAYS = 3650


def object_lock_not_compliance(config: LandingZoneConfig) -> Iterator[Problem]:
    """Object Lock is in GOVERNANCE mode (COMPLIANCE cannot be undone).

    See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
    """
    lock = config.log_archive.object_lock
    if lock.mode == "COMPLIANCE":
        yield Problem(
            ("log_archive", "object_lock", "mode"),
            "COMPLIANCE is irreversible: nobody, not even the root user, can delete a log "
            f"object or shorten its retention before its {lock.days} days have passed, nor "
            "delete the bucket while one is locked. Keep it only where a regulation demands "
            "it (SEC 17a-4, PCI DSS); GOVERNANCE lets the privileged roles remove a version",
        )


def object_lock_within_ten_years(config: LandingZoneConfig) -> Iterator[Problem]:
    """Object Lock keeps log objects at most ten years (3650 days)."""
    days = config.log_archive.object_lock.days
    if days > LONG_RETENTION_DAYS:
        yield Problem(
            ("log_archive", "object_lock", "days"),
            f"{days} days is over ten years: every log object is kept, and paid for, at least "
            "that long, and locked versions cannot be removed earlier. Check the retention "
            "your regulation asks for",
        )


def alarms_have_recipients(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork's CIS alarms have at least one email recipient."""
    monitoring = config.monitoring
    alarms_on = len(set(monitoring.disabled_cis_alarms) & set(CIS_ALARMS)) < len(CIS_ALARMS)
    if not config.business_unit and alarms_on and not monitoring.alarm_emails:
        yield Problem(
            ("monitoring", "alarm_emails"),
            "no recipients: the CIS alarms (root use, console sign-in without MFA, policy "
            "changes, ...) notify a topic nobody is subscribed to; add at least one address",
        )


def cloudtrail_lake_off(config: LandingZoneConfig) -> Iterator[Problem]:
    """CloudTrail Lake is off: it has been closed to new customers since 2026-05-31.

    Existing CloudTrail Lake customers keep using it; an account that never
    used it cannot create the event data store.
    See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-lake-service-availability-change.html
    """
    if config.organization_trail.cloudtrail_lake.enabled:
        yield Problem(
            ("organization_trail", "cloudtrail_lake", "enabled"),
            "CloudTrail Lake has been closed to new customers since 2026-05-31: the event "
            "data store deploys only where the organization already used CloudTrail Lake "
            "before then. Otherwise set it to false and query the trail's logs in the log "
            "archive (Athena) or the trail's CloudWatch Logs log group",
        )


WARNINGS: tuple[Check, ...] = (
    object_lock_not_compliance,
    object_lock_within_ten_years,
    alarms_have_recipients,
    cloudtrail_lake_off,
)


CHECKS: tuple[Check, ...] = (
    log_expiration_after_lock,
    log_transition_before_expiration,
    disabled_cis_alarms_exist,
    disabled_cis_alarms_have_reason,
)
