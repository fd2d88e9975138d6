"""The root of the config: ``LandingZoneConfig``, its derived views, and the checks it runs.

Each section module holds its models and their cross-field checks (a
``CHECKS`` tuple of small functions, one rule each). After pydantic has
validated every field, the root runs :data:`CHECKS` in order and raises
every problem found at once, each with its own location.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from landing_zone.config import (
    baseline,
    detection,
    guardrails,
    health_events,
    identity,
    logging,
    organization,
    organization_policies,
    privileged,
    proactive,
    remediation,
)
from landing_zone.config.baseline import BaselineConfig
from landing_zone.config.detection import DetectionConfig
from landing_zone.config.guardrails import GuardrailsConfig
from landing_zone.config.identity import IdentityConfig
from landing_zone.config.logging import LogArchiveConfig, MonitoringConfig, OrganizationTrailConfig
from landing_zone.config.organization import (
    AccountConfig,
    CoreAccountsConfig,
    CoreReference,
    OrganizationalUnitConfig,
    OrganizationConfig,
    OrganizationFeaturesConfig,
    PrivilegedPrincipal,
    RegionsConfig,
)
from landing_zone.config.organization_policies import TargetPoliciesConfig
from landing_zone.config.proactive import ProactiveControlsConfig
from landing_zone.config.remediation import RemediationConfig
from landing_zone.config.types import Check, CrossFieldProblems, Key, Model, Problem, partition_of
from landing_zone.org_tree import OrgTree, TreeAccount


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
    identity: IdentityConfig = Field(default_factory=IdentityConfig)
    organization_policies: dict[str, TargetPoliciesConfig] = Field(
        default_factory=dict,
        description="Management policies per target (root or an OU key): EC2 declarative, "
        "backup, tag and AI services opt-out; children inherit them as Organizations merges "
        "them (docs/organization-policies.md). The root opts out of every AI service unless "
        "root.ai_opt_out says otherwise",
    )
    proactive_controls: ProactiveControlsConfig = Field(default_factory=ProactiveControlsConfig)
    remediation: RemediationConfig = Field(default_factory=RemediationConfig)

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
        problems = list(cross_field_problems(self))
        if problems:
            # Not a ValueError: pydantic lets it through unwrapped, so every
            # problem keeps its own location instead of collapsing into one.
            raise CrossFieldProblems(problems)
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (see pydantic); views cached on this instance are built anew for the copy."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("tree", None)
        return copied

    # -- derived views used by the checks, stacks and the summary --

    @cached_property
    def tree(self) -> OrgTree:
        """The OU tree and the accounts in it: ancestry, depth, who a target reaches."""
        return OrgTree.build(
            units=((key, parent) for key, _, parent, _ in self.walk_units()),
            accounts=(
                TreeAccount(key, account.ou, account.account_id)
                for key, account in self.all_accounts()
            ),
        )

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
        accounts = list(self.all_accounts())
        # An account of this config excluded by its id is listed by its key already.
        known_ids = {account.account_id for _, account in accounts if account.account_id}
        return [key for key, _ in accounts if key not in reached] + [
            account
            for account in self.baseline.excluded_accounts
            if account.isdigit() and account not in known_ids
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
        return list(
            self.tree.accounts_reached(
                set(self.baseline.targets), excluded=set(self.baseline.excluded_accounts)
            )
        )

    @property
    def baseline_region_order(self) -> tuple[str, ...]:
        """The baseline's region order: from config, else home first, then governed order."""
        order = self.baseline.operation_preferences.region_order
        if order:
            return tuple(order)
        home = self.regions.home
        return (home, *(r for r in self.regions.governed if r != home))


#: Every cross-field check, in the order their problems are reported: the
#: organization's regions, features and OU tree; what each mode requires;
#: each section's own; the accounts last. Within one check, problems follow
#: the order of the config.
CHECKS: tuple[Check, ...] = (
    *organization.CHECKS,
    *organization.MODE_CHECKS,
    *guardrails.CHECKS,
    *privileged.CHECKS,
    *logging.CHECKS,
    *baseline.CHECKS,
    *detection.CHECKS,
    *identity.CHECKS,
    *organization_policies.CHECKS,
    *proactive.CHECKS,
    *remediation.CHECKS,
    *health_events.CHECKS,
    *organization.ACCOUNT_CHECKS,
)


#: Settings that are legal but dangerous: each yields a Problem that is
#: reported as a warning (validation still passes).
WARNINGS: tuple[Check, ...] = (
    *organization.WARNINGS,
    *guardrails.WARNINGS,
    *logging.WARNINGS,
    *baseline.WARNINGS,
    *detection.WARNINGS,
    *identity.WARNINGS,
    *organization_policies.WARNINGS,
    *remediation.WARNINGS,
)


def warnings_of(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every warning :data:`WARNINGS` find in a valid ``config``, in order."""
    for check in WARNINGS:
        yield from check(config)


def cross_field_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every problem :data:`CHECKS` find in ``config``, in order."""
    for check in CHECKS:
        yield from check(config)
