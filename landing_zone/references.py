"""What stacks share, resolved once in ``landing_zone/app.py`` and passed down as small values.

Two kinds of shared thing:

- :class:`LogArchiveRef`: where logs go (buckets) and the key they are
  encrypted with, as other accounts name them. A core fork names its own
  log archive from its prefix, home region and log-archive account; a
  business-unit fork uses the core's, from its config. No stack decides
  this for itself.
- :func:`cross_stack_references`: which OU and account ids other stacks
  refer to. Each one becomes an output of the stack that creates it, and
  CloudFormation allows 200 outputs per stack. ``app.py`` passes down only
  these ids, and ``quotas.py`` counts the same set, so the budget check and
  the synthesized template cannot disagree.

Pure Python (no aws_cdk): ``quotas.py`` and the CLI use it before any synth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from landing_zone.detection_services import BY_KEY as SERVICE
from landing_zone.naming import (
    ACCESS_LOG_BUCKET,
    CONFIG_BUCKET,
    LOG_ARCHIVE_KEY,
    LOG_BUCKET,
    kms_alias_arn,
    log_archive_bucket_name,
)

if TYPE_CHECKING:
    from landing_zone.config import LandingZoneConfig


@dataclass(frozen=True)
class LogArchiveRef:
    """The log archive as other accounts name it.

    ``account_id`` may be a literal or a token (a created account, or a
    StackSet parameter inside a StackSet template): :meth:`in_account`
    renames everything for another spelling of the same account.
    """

    account_id: str
    #: Where the organization trail delivers (core only: a business unit has no trail).
    bucket_name: str | None
    #: Where AWS Config delivery channels deliver, and GuardDuty exports.
    config_bucket_name: str
    #: Where the archive buckets' own S3 server access logs go (core only).
    access_log_bucket_name: str | None
    #: The log-archive key by its alias ARN: its key id is only known in its own account.
    key_arn: str
    #: ``(prefix, partition, home region)`` the names derive from; ``None`` when adopted.
    naming: tuple[str, str, str] | None = None

    @classmethod
    def owned(
        cls, *, prefix: str, partition: str, home_region: str, account_id: str
    ) -> LogArchiveRef:
        """A core fork's own log archive, named from its prefix, home region and account."""
        return cls(
            account_id=account_id,
            bucket_name=log_archive_bucket_name(prefix, LOG_BUCKET, account_id, home_region),
            config_bucket_name=log_archive_bucket_name(
                prefix, CONFIG_BUCKET, account_id, home_region
            ),
            access_log_bucket_name=log_archive_bucket_name(
                prefix, ACCESS_LOG_BUCKET, account_id, home_region
            ),
            key_arn=kms_alias_arn(
                partition=partition,
                region=home_region,
                account=account_id,
                prefix=prefix,
                name=LOG_ARCHIVE_KEY,
            ),
            naming=(prefix, partition, home_region),
        )

    @classmethod
    def of(cls, config: LandingZoneConfig, *, account_id: str) -> LogArchiveRef:
        """This fork's log archive: its own (core mode) or the core's (business-unit mode)."""
        core = config.core
        if core is not None:
            return cls(
                account_id=account_id,
                bucket_name=None,
                config_bucket_name=core.log_archive.config_bucket,
                access_log_bucket_name=None,
                key_arn=core.log_archive.key_arn,
            )
        return cls.owned(
            prefix=config.prefix,
            partition=config.partition,
            home_region=config.regions.home,
            account_id=account_id,
        )

    def in_account(self, account_id: str) -> LogArchiveRef:
        """The same archive, its account spelled ``account_id`` (e.g. a StackSet parameter)."""
        if self.naming is None:
            # Adopted names are literals from config: they do not change.
            return replace(self, account_id=account_id)
        prefix, partition, home_region = self.naming
        return self.owned(
            prefix=prefix, partition=partition, home_region=home_region, account_id=account_id
        )

    @property
    def bucket_names(self) -> tuple[str, ...]:
        """Every bucket of the archive this fork knows of."""
        names = (self.bucket_name, self.config_bucket_name, self.access_log_bucket_name)
        return tuple(name for name in names if name is not None)


@dataclass(frozen=True)
class CrossStackReferences:
    """The OU and account keys each stack refers to across stacks, per use.

    ``app.py`` builds every cross-stack list from these fields (and only
    hands the stacks the ids of :attr:`ou_keys` and :attr:`account_keys`),
    and ``quotas.py`` counts the same sets, so the budget and the templates
    cannot disagree.
    """

    #: OUs the account stacks create accounts in.
    account_stack_ous: tuple[str, ...]
    #: OU targets of the member baseline StackSet (``root`` excluded).
    baseline_ous: tuple[str, ...]
    #: OUs associated with Security Hub configuration policies.
    security_hub_ous: tuple[str, ...]
    #: Accounts (keys or raw ids) the member baseline StackSet excludes.
    baseline_exclusions: tuple[str, ...]
    #: Accounts (keys or raw ids) the organization conformance pack excludes.
    conformance_pack_exclusions: tuple[str, ...]
    #: A business unit's accounts its alerts filter on.
    alert_accounts: tuple[str, ...]
    #: The core accounts (core mode): the log archive and the audit account.
    core_accounts: tuple[str, ...]
    #: OU targets of the FAIL-mode Guard hook StackSet (proactive_controls.fail_on).
    enforced_hook_ous: tuple[str, ...] = ()

    @property
    def ou_keys(self) -> frozenset[str]:
        return frozenset(
            (
                *self.account_stack_ous,
                *self.baseline_ous,
                *self.security_hub_ous,
                *self.enforced_hook_ous,
            )
        )

    @property
    def account_keys(self) -> frozenset[str]:
        return frozenset(
            (
                *self.baseline_exclusions,
                *self.conformance_pack_exclusions,
                *self.alert_accounts,
                *self.core_accounts,
            )
        )


def cross_stack_references(config: LandingZoneConfig) -> CrossStackReferences:
    """Which OU and account ids the stacks ``app.py`` builds refer to across stacks."""
    core_mode = not config.business_unit
    targets = config.baseline.targets
    return CrossStackReferences(
        account_stack_ous=tuple(
            dict.fromkeys(
                account.ou
                for shard in range(config.organization.account_stacks)
                for _, account in config.account_stack_accounts(shard)
            )
        ),
        baseline_ous=tuple(t for t in targets if t != "root"),
        security_hub_ous=tuple(config.security_hub_ou_keys())
        if core_mode or config.business_unit_detection()
        else (),
        baseline_exclusions=tuple(config.baseline.excluded_accounts) if targets else (),
        conformance_pack_exclusions=tuple(config.conformance_pack_exclusions())
        if core_mode and SERVICE["conformance_pack"].enabled(config.detection)
        else (),
        alert_accounts=tuple(config.workload_accounts) if config.business_unit_alerts() else (),
        core_accounts=("log-archive", "audit") if core_mode else (),
        enforced_hook_ous=tuple(config.proactive_controls.fail_on)
        if config.proactive_controls.enabled and targets
        else (),
    )


@dataclass(frozen=True)
class CoreOutput:
    """A value of the core that business-unit forks copy into their ``core`` section.

    The core's ``<prefix>-LogArchive`` stack outputs each one under ``name``
    (exported as ``<prefix>-<name>``), and ``make synth`` prints them, from
    this one list, so the summary and the outputs cannot name different things.
    """

    #: The output's logical id in the stack, and its export name after the prefix.
    name: str
    #: Where a business-unit config puts it; ``None``: for reference, not in ``core``.
    field: str | None
    description: str
    value: str


def core_outputs(log_archive: LogArchiveRef, *, audit_account_id: str) -> tuple[CoreOutput, ...]:
    """What a core's business-unit forks copy (docs/forking.md), in the order ``core`` lists it."""
    outputs = [
        CoreOutput(
            "LogArchiveAccountId",
            "core.log_archive_account_id",
            "The log-archive account (core.log_archive_account_id of a business-unit fork)",
            log_archive.account_id,
        ),
        CoreOutput(
            "AuditAccountId",
            "core.audit_account_id",
            "The audit account, delegated administrator of the detection services "
            "(core.audit_account_id of a business-unit fork)",
            audit_account_id,
        ),
        CoreOutput(
            "ConfigBucket",
            "core.log_archive.config_bucket",
            "The AWS Config bucket every baseline delivers to "
            "(core.log_archive.config_bucket of a business-unit fork)",
            log_archive.config_bucket_name,
        ),
        CoreOutput(
            "LogArchiveKeyArn",
            "core.log_archive.key_arn",
            "The log-archive KMS key by its alias ARN (core.log_archive.key_arn of a "
            "business-unit fork)",
            log_archive.key_arn,
        ),
    ]
    if log_archive.bucket_name is not None:
        outputs.append(
            CoreOutput(
                "TrailBucket",
                None,
                "The organization trail's bucket (Object Lock), for whoever reads the logs",
                log_archive.bucket_name,
            )
        )
    return tuple(outputs)
