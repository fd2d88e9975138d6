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
    """OU and account keys whose ids another stack refers to."""

    ou_keys: frozenset[str]
    account_keys: frozenset[str]


def cross_stack_references(config: LandingZoneConfig) -> CrossStackReferences:
    """Which OU and account ids the stacks ``app.py`` builds refer to across stacks.

    - OUs: those the account stacks create accounts in, the baseline's OU
      targets, and the OUs Security Hub policies are associated with (in a
      business unit, only if it has its own detection stack).
    - Accounts: the core accounts and the conformance pack's exclusions
      (core mode), a business unit's accounts for its alerts, and the
      baseline's exclusions.
    """
    ou_keys: set[str] = {
        account.ou
        for shard in range(config.organization.account_stacks)
        for _, account in config.account_stack_accounts(shard)
    }
    if config.baseline.targets:
        ou_keys.update(t for t in config.baseline.targets if t != "root")
    if not config.business_unit or config.business_unit_detection():
        ou_keys.update(config.security_hub_ou_keys())
    account_keys: set[str] = set()
    if config.business_unit:
        if config.business_unit_alerts():
            account_keys.update(config.workload_accounts)
    else:
        account_keys.update(("log-archive", "audit"))
        if config.detection.conformance_pack.enabled:
            account_keys.update(config.conformance_pack_exclusions())
    if config.baseline.targets:
        account_keys.update(config.baseline.excluded_accounts)
    return CrossStackReferences(ou_keys=frozenset(ou_keys), account_keys=frozenset(account_keys))
