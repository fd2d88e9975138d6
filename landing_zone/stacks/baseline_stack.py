"""The account baseline: a StackSet for member accounts, ordinary stacks for the management one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig, guardrail_inputs
from landing_zone.config.identity import investigation_role_name
from landing_zone.constructs.account_baseline import AccountBaseline, InvestigationRoleSpec
from landing_zone.constructs.backup_vault import BackupVaultSpec
from landing_zone.constructs.proactive_controls import (
    VERSION_PARAMETER,
    EnforcedHooks,
    GuardHook,
    GuardRulesBucket,
    RulesLocation,
    rules_bucket_name,
)
from landing_zone.constructs.remediation import RemediationRole
from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.naming import stack_id
from landing_zone.references import LogArchiveRef


def _baseline(
    scope: Construct,
    *,
    config: LandingZoneConfig,
    log_archive: LogArchiveRef,
    audit_account_id: str,
) -> AccountBaseline:
    baseline = config.baseline
    investigation = config.identity.investigation_role
    return AccountBaseline(
        scope,
        "Baseline",
        prefix=config.prefix,
        recorder=baseline.config_recorder,
        password_policy=baseline.password_policy,
        ebs_encryption_by_default=baseline.ebs_encryption_by_default,
        account_access_analyzer=baseline.account_access_analyzer,
        remove_default_vpc=baseline.remove_default_vpc,
        home_region=config.regions.home,
        config_bucket_name=log_archive.config_bucket_name,
        key_arn=log_archive.key_arn,
        investigation_role=InvestigationRoleSpec(
            role_name=investigation_role_name(config),
            audit_account_id=audit_account_id,
            max_session_hours=investigation.max_session_hours,
        )
        if investigation.enabled
        else None,
        backup_vault=BackupVaultSpec(
            vault_lock=baseline.backup.vault_lock,
            exempt_arns=guardrail_inputs(config).exempt_arns,
        )
        if baseline.backup.enabled
        else None,
    )


class MemberBaselineTemplate(StackSetTemplate):
    """The baseline as it lands in every member account and governed region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        log_archive: LogArchiveRef,
        audit_account_id: str,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: account baseline (AWS Config, EBS "
            "encryption, password policy, Access Analyzer), deployed by the management "
            "account's StackSet",
        )
        # The log-archive account may be created in the same deployment, so
        # its id arrives as a StackSet parameter rather than a literal.
        account = self.parameter(
            "LogArchiveAccountId",
            description="Account holding the Config bucket and the log-archive key",
            pattern=r"^\d{12}$",
        )
        # The audit account likewise (or the core's, in a business unit),
        # trusted by the investigation role.
        audit = (
            self.parameter(
                "AuditAccountId",
                description="Account whose principals may assume the investigation role",
                pattern=r"^\d{12}$",
            )
            if config.identity.investigation_role.enabled or config.remediation.enabled
            else ""
        )
        self.baseline = _baseline(
            self,
            config=config,
            log_archive=log_archive.in_account(account),
            audit_account_id=audit,
        )
        self.remediation = (
            RemediationRole(
                self,
                "Remediation",
                prefix=config.prefix,
                audit_account_id=audit,
                modes=config.remediation.modes(),
                condition=self.baseline.is_home_region,
            )
            if config.remediation.enabled
            else None
        )
        proactive = config.proactive_controls
        self.guard_hook = (
            GuardHook(
                self,
                "GuardHook",
                prefix=config.prefix,
                rules=_rules_location(
                    config,
                    self.parameter(
                        VERSION_PARAMETER,
                        description="Version of the Guard rules object the hook reads",
                    ),
                ),
                failure_mode=proactive.failure_mode,
            )
            if proactive.enabled
            else None
        )


def _rules_location(config: LandingZoneConfig, version_id: str) -> RulesLocation:
    """The rules object in the management account's home region, at ``version_id``."""
    return RulesLocation(
        bucket_name=rules_bucket_name(
            prefix=config.prefix,
            account=config.organization.management_account_id,
            region=config.regions.home,
        ),
        version_id=version_id,
    )


class MemberBaselineStack(Stack):
    """The member baseline StackSet (management account, home region).

    Service-managed, auto-deployed to the target OUs in every governed region:
    an account created in or moved into a target OU gets the baseline without
    a redeploy, and one that leaves loses it (or keeps it, from config).
    Later StackSets and organization Config rules that need the recorders
    depend on :attr:`stack_set`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        organizational_unit_ids: Sequence[str],
        excluded_account_ids: Sequence[str],
        log_archive: LogArchiveRef,
        audit_account_id: str,
        fail_on_ou_ids: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        baseline = config.baseline
        preferences = baseline.operation_preferences
        self.template = MemberBaselineTemplate(
            self,
            "Template",
            config=config,
            log_archive=log_archive,
            audit_account_id=audit_account_id,
        )
        parameters = {"LogArchiveAccountId": log_archive.account_id}
        if config.identity.investigation_role.enabled or config.remediation.enabled:
            parameters["AuditAccountId"] = audit_account_id
        self.stack_set_preferences = OperationPreferences(
            max_concurrent_percentage=preferences.max_concurrent_percentage,
            failure_tolerance_percentage=preferences.failure_tolerance_percentage,
            region_concurrency=preferences.region_concurrency,
            region_order=config.baseline_region_order,
            concurrency_mode=preferences.concurrency_mode,
        )
        self.guard_rules = self._guard_rules(config)
        if self.guard_rules is not None:
            parameters[VERSION_PARAMETER] = self.guard_rules.location.version_id
        self.stack_set = ServiceManagedStackSet(
            self,
            "StackSet",
            stack_set_name=stack_id(config.prefix, "MemberBaseline"),
            description=f"{config.prefix} landing zone: account baseline in every member "
            "account and governed region",
            template=self.template,
            organizational_unit_ids=organizational_unit_ids,
            excluded_accounts=excluded_account_ids,
            regions=config.baseline_region_order,
            auto_deployment=True,
            retain_stacks_on_account_removal=baseline.retain_stacks_on_account_removal,
            parameters=parameters,
            operation_preferences=self.stack_set_preferences,
            # The handler's and the investigation roles are named <Prefix>-...
            # so the guardrails protect them.
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
        if self.guard_rules is not None and fail_on_ou_ids:
            # After the baseline's StackSet: the FAIL-mode hook (proactive_controls.fail_on).
            self.enforced_hooks = EnforcedHooks(
                self,
                "EnforcedHooks",
                prefix=config.prefix,
                stack_set_name=stack_id(config.prefix, "EnforcedGuardHooks"),
                rules=self.guard_rules.location,
                organizational_unit_ids=fail_on_ou_ids,
                regions=config.baseline_region_order,
                retain_stacks_on_account_removal=False,
                operation_preferences=self.stack_set_preferences,
            )

    def _guard_rules(self, config: LandingZoneConfig) -> GuardRulesBucket | None:
        """The proactive controls' rules bucket and object (proactive_controls.enabled)."""
        if not config.proactive_controls.enabled:
            return None
        return GuardRulesBucket(
            self,
            "GuardRules",
            prefix=config.prefix,
            bucket_name=_rules_location(config, "").bucket_name,
            organization_id=config.organization.id,
        )


class ManagementBaselineStack(Stack):
    """The same baseline for the management account, one stack per governed region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        log_archive: LogArchiveRef,
        audit_account_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.baseline = _baseline(
            self, config=config, log_archive=log_archive, audit_account_id=audit_account_id
        )
