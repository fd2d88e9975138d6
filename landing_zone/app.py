"""Compose the landing zone's stacks into a CDK app. ``app.py`` and the tests both call this."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from landing_zone.config import LandingZoneConfig
from landing_zone.constructs.organization_tree import AccountIds
from landing_zone.detection_services import home_services, regional_services
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.identity_center import (
    ORGANIZATIONS_EVENTS_REGION,
    center_of,
    events_stack,
    main_stack,
)
from landing_zone.naming import stack_id, tags
from landing_zone.quotas import check_stack_limits
from landing_zone.references import (
    CrossStackReferences,
    LogArchiveRef,
    cross_stack_references,
)
from landing_zone.remediation.health_forwarding import STACK as HEALTH_STACK
from landing_zone.remediation.health_forwarding import forwarding_enabled
from landing_zone.stacks.baseline_stack import ManagementBaselineStack, MemberBaselineStack
from landing_zone.stacks.break_glass_stack import BreakGlassStack
from landing_zone.stacks.detection_stack import (
    AuditStack,
    BusinessUnitDetectionStack,
    DetectionAdminStack,
)
from landing_zone.stacks.health_events_stack import HealthEventsStack
from landing_zone.stacks.identity_center_stack import (
    IdentityCenterEventsStack,
    IdentityCenterStack,
)
from landing_zone.stacks.log_archive_stack import LogArchiveStack
from landing_zone.stacks.organization_stack import AccountsStack, OrganizationStack
from landing_zone.stacks.trail_stack import TrailStack


def build_landing_zone(app: App, *, config: LandingZoneConfig) -> dict[str, Stack]:
    """Add every stack for ``config`` to ``app`` and the cdk-nag checks; return the stacks.

    Core mode builds the whole landing zone; business-unit mode only what
    the fork owns (its OUs, accounts, guardrails and, from config, its
    baseline and detection extras). Raises
    :class:`~landing_zone.guardrails.packer.GuardrailBudgetError` before any
    stack is built if the guardrails cannot fit the quotas, and
    :class:`~landing_zone.quotas.StackLimitError` if a stack would exceed
    CloudFormation's resource or output quota.
    """
    guardrails = plan_guardrails(config)
    check_stack_limits(config, guardrails)
    # Every stack, resource and StackSet template carries the same tags.
    for key, value in tags(config.prefix).items():
        Tags.of(app).add(key, value)
    management = _management(config)
    name = stack_id(config.prefix, "Organization")
    organization = OrganizationStack(
        app,
        name,
        stack_name=name,
        env=management,
        config=config,
        guardrails=guardrails,
        description=(
            f"{config.prefix} landing zone: OU tree, accounts, organization features, guardrails"
            if not config.business_unit
            else f"{config.prefix} business unit: its OU subtree, accounts and guardrails"
        ),
        termination_protection=True,
    )
    stacks: dict[str, Stack] = {"organization": organization}
    # The OU and account ids other stacks may refer to, and no others: each
    # is an output of the stack that creates it, and quotas.py counted the
    # same set against CloudFormation's output quota.
    references = cross_stack_references(config)
    unit_ids = {key: organization.tree.units[key].attr_id for key in sorted(references.ou_keys)}
    # Account key -> id, over the organization stack and the account stacks.
    created = AccountIds()
    created.include(organization.tree.account_ids)
    if config.organization.account_stacks > 1:
        for shard in range(config.organization.account_stacks):
            if not config.account_stack_accounts(shard):
                # No created account hashes here (yet): no stack rather than
                # an empty one, which CloudFormation refuses. The shard's name
                # stays Accounts-<n> for when one does.
                # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html
                continue
            name = stack_id(config.prefix, f"Accounts-{shard + 1}")
            accounts = AccountsStack(
                app,
                name,
                stack_name=name,
                env=management,
                config=config,
                shard=shard,
                unit_ids=unit_ids,
                description=f"{config.prefix} landing zone: created workload accounts, "
                f"stack {shard + 1} of {config.organization.account_stacks}",
                termination_protection=True,
            )
            accounts.add_stack_dependency(organization, "the OUs the accounts are created in")
            created.include(accounts.account_ids)
            stacks[f"accounts/{shard + 1}"] = accounts
    # An id that is not an account key (a raw id in an exclusion list) stands for itself.
    account_ids = {key: created.get(key, key) for key in sorted(references.account_keys)}

    # Where the shared things live: the core's (business-unit mode) or this
    # fork's own. Every stack below takes them from here.
    core = config.core
    shared = Shared(
        references=references,
        ou_ids=unit_ids,
        account_ids=account_ids,
        audit_account_id=account_ids["audit"] if core is None else core.audit_account_id,
        log_archive=LogArchiveRef.of(
            config,
            account_id=account_ids["log-archive"] if core is None else core.log_archive_account_id,
        ),
    )
    if core is not None:
        _business_unit_stacks(app, config=config, stacks=stacks, shared=shared)
    else:
        _core_stacks(app, config=config, stacks=stacks, shared=shared)
        _identity_center_stacks(app, config=config, stacks=stacks)

    # cdk-nag v3 runs as a validation plugin: any unacknowledged finding fails
    # synth, and every acknowledgement in the code carries its reason.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks


def _after_accounts(stack: Stack, stacks: dict[str, Stack]) -> None:
    """``stack`` refers to account ids: it deploys after every stack that creates accounts."""
    for key, other in stacks.items():
        if key == "organization" or key.startswith("accounts/"):
            stack.add_stack_dependency(other, "the accounts it refers to")


@dataclass(frozen=True)
class Shared:
    """What several stacks refer to, resolved once by :func:`build_landing_zone`."""

    #: Which OU and account keys each stack refers to, per use.
    references: CrossStackReferences
    #: OU key -> id, for the OUs other stacks refer to (``cross_stack_references``).
    ou_ids: Mapping[str, str]
    #: Account key -> id, for the accounts other stacks refer to; a raw id maps to itself.
    account_ids: Mapping[str, str]
    #: The delegated administrator of the detection services, trusted by the investigation role.
    audit_account_id: str
    #: Where logs go and the key they are encrypted with.
    log_archive: LogArchiveRef


def _business_unit_stacks(
    app: App, *, config: LandingZoneConfig, stacks: dict[str, Stack], shared: Shared
) -> None:
    """What a business-unit fork adds: its own baseline and detection extras, from config."""
    if config.baseline.targets:
        _member_baseline(
            app,
            config=config,
            stacks=stacks,
            shared=shared,
            description=f"{config.prefix} business unit: StackSet deploying the account "
            "baseline (AWS Config into the core's log archive, EBS encryption, password "
            "policy, Access Analyzer) to the business unit's accounts",
        )
    if config.business_unit_detection():
        name = stack_id(config.prefix, "Audit")
        audit = BusinessUnitDetectionStack(
            app,
            name,
            stack_name=name,
            env=_management(config),
            config=config,
            audit_account_id=shared.audit_account_id,
            ou_ids=shared.ou_ids,
            account_ids=[shared.account_ids[key] for key in shared.references.alert_accounts],
            description=f"{config.prefix} business unit: StackSet of its Security Hub "
            "policies and findings alerts in the core's audit account",
            termination_protection=True,
        )
        _after_accounts(audit, stacks)
        stacks["audit"] = audit


def _member_baseline(
    app: App,
    *,
    config: LandingZoneConfig,
    stacks: dict[str, Stack],
    shared: Shared,
    description: str,
) -> MemberBaselineStack:
    """The member baseline StackSet's stack, after every stack whose accounts it names."""
    name = stack_id(config.prefix, "MemberBaseline")
    member_baseline = MemberBaselineStack(
        app,
        name,
        stack_name=name,
        env=_management(config),
        config=config,
        **_baseline_targets(config, shared),
        log_archive=shared.log_archive,
        audit_account_id=shared.audit_account_id,
        fail_on_ou_ids=[shared.ou_ids[key] for key in config.proactive_controls.fail_on],
        description=description,
        termination_protection=True,
    )
    # Its excluded ids (and the conformance pack's, which waits for it) may
    # name accounts of any account stack.
    _after_accounts(member_baseline, stacks)
    stacks["member_baseline"] = member_baseline
    return member_baseline


def _baseline_targets(config: LandingZoneConfig, shared: Shared) -> dict[str, list[str]]:
    """The member baseline's OUs and exclusions: StackSets that reach the same accounts."""
    return {
        "organizational_unit_ids": [
            config.organization.root_id if target == "root" else shared.ou_ids[target]
            for target in config.baseline.targets
        ],
        "excluded_account_ids": [
            shared.account_ids[account] for account in shared.references.baseline_exclusions
        ],
    }


def _health_events(
    app: App, *, config: LandingZoneConfig, stacks: dict[str, Stack], shared: Shared
) -> None:
    """Member accounts' AWS Health key-exposure events, forwarded to the remediation pipeline."""
    if not forwarding_enabled(config) or "audit" not in stacks:
        return
    name = stack_id(config.prefix, HEALTH_STACK)
    health = HealthEventsStack(
        app,
        name,
        stack_name=name,
        env=_management(config),
        config=config,
        audit_account_id=shared.audit_account_id,
        description=f"{config.prefix} landing zone: StackSet forwarding every member "
        "account's AWS Health key-exposure events to the audit account's remediation pipeline",
        termination_protection=True,
        **_baseline_targets(config, shared),
    )
    _after_accounts(health, stacks)
    # The audit bus accepts the events (its policy is in the remediation StackSet).
    health.add_stack_dependency(stacks["audit"], "the audit bus policy and the remediation rule")
    stacks["health_events"] = health


def _management(config: LandingZoneConfig, region: str | None = None) -> Environment:
    """The management account, in ``region`` (default: the home region)."""
    return Environment(
        account=config.organization.management_account_id, region=region or config.regions.home
    )


def _core_stacks(
    app: App, *, config: LandingZoneConfig, stacks: dict[str, Stack], shared: Shared
) -> None:
    """The organization-wide part a core fork owns: logs, baselines, detection."""
    organization = stacks["organization"]
    management = _management(config)
    name = stack_id(config.prefix, "LogArchive")
    log_archive = LogArchiveStack(
        app,
        name,
        stack_name=name,
        env=management,
        config=config,
        log_archive=shared.log_archive,
        audit_account_id=shared.audit_account_id,
        description=f"{config.prefix} landing zone: StackSet deploying the log archive "
        "(KMS key, log bucket, access-log bucket) into the log-archive account",
        termination_protection=True,
    )
    # Service-managed StackSets need trusted access for StackSets and the
    # log-archive account itself, both made by the organization stack.
    log_archive.add_stack_dependency(organization, "StackSets trusted access and the accounts")

    name = stack_id(config.prefix, "Trail")
    trail = TrailStack(
        app,
        name,
        stack_name=name,
        env=management,
        config=config,
        log_archive=shared.log_archive,
        description=f"{config.prefix} landing zone: organization trail, its log group and "
        "the CIS AWS Foundations monitoring alarms",
        termination_protection=True,
    )
    # CreateTrail fails unless the bucket and key policies already let
    # CloudTrail write, and the StackSet resource completes only when its
    # stack instance has: the trail deploys strictly after the log archive.
    trail.add_stack_dependency(log_archive, "the log bucket and key must exist before the trail")

    # The member baseline: one StackSet, auto-deployed to the target OUs.
    member_baseline = _member_baseline(
        app,
        config=config,
        stacks=stacks,
        shared=shared,
        description=f"{config.prefix} landing zone: StackSet deploying the account baseline "
        "(AWS Config, EBS encryption, password policy, Access Analyzer) to every member account",
    )
    member_baseline.add_stack_dependency(organization, "StackSets trusted access and the OUs")
    # Config delivery channels are validated against the bucket when they are
    # created: nothing of the baseline deploys before the log archive exists.
    member_baseline.add_stack_dependency(log_archive, "the Config bucket and key must exist")
    stacks.update(log_archive=log_archive, trail=trail)

    # StackSets never deploy to the management account: its baseline is one
    # ordinary stack per governed region (each region CDK-bootstrapped).
    for region in config.baseline_region_order:
        name = stack_id(config.prefix, f"ManagementBaseline-{region}")
        management_baseline = ManagementBaselineStack(
            app,
            name,
            stack_name=name,
            env=_management(config, region),
            config=config,
            log_archive=shared.log_archive,
            audit_account_id=shared.audit_account_id,
            description=f"{config.prefix} landing zone: the management account's baseline "
            f"in {region} (AWS Config, EBS encryption, password policy, Access Analyzer)",
            termination_protection=True,
        )
        management_baseline.add_stack_dependency(
            log_archive, "the Config bucket and key must exist"
        )
        stacks[f"management_baseline/{region}"] = management_baseline

    # Detection: the audit account becomes every service's delegated
    # administrator in every governed region, then configures them.
    detection_admins = []
    for region in config.baseline_region_order:
        name = stack_id(config.prefix, f"DetectionAdmin-{region}")
        detection_admin = DetectionAdminStack(
            app,
            name,
            stack_name=name,
            env=_management(config, region),
            config=config,
            audit_account_id=shared.audit_account_id,
            excluded_account_ids=[
                shared.account_ids[key] for key in shared.references.conformance_pack_exclusions
            ],
            description=f"{config.prefix} landing zone: the audit account as delegated "
            f"administrator of the detection services, and the detective guardrails "
            f"(organization conformance pack) in {region}",
            termination_protection=True,
        )
        detection_admin.add_stack_dependency(
            organization, "trusted access for the services and the audit account"
        )
        # The conformance pack evaluates with every account's recorder,
        # the management account's own included.
        detection_admin.add_stack_dependency(member_baseline, "the Config recorders")
        detection_admin.add_stack_dependency(
            stacks[f"management_baseline/{region}"], "the management account's recorder"
        )
        detection_admins.append(detection_admin)
        stacks[f"detection_admin/{region}"] = detection_admin

    if config.identity.break_glass:
        name = stack_id(config.prefix, "BreakGlass")
        break_glass = BreakGlassStack(
            app,
            name,
            stack_name=name,
            env=management,
            config=config,
            description=f"{config.prefix} landing zone: break-glass roles in every account "
            "(a StackSet for the members, this stack for the management account)",
            termination_protection=True,
        )
        break_glass.add_stack_dependency(organization, "StackSets trusted access")
        # The alarm on every use exists before the roles do.
        break_glass.add_stack_dependency(stacks["trail"], "the break-glass alarm on the trail")
        stacks["break_glass"] = break_glass

    if not (regional_services(config.detection) or home_services(config.detection)):
        # Nothing for the audit account: no stack rather than an empty one,
        # which CloudFormation refuses ("At least one Resources member must
        # be defined") and the CDK CLI skips, or deletes if it exists.
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html
        return
    name = stack_id(config.prefix, "Audit")
    audit = AuditStack(
        app,
        name,
        stack_name=name,
        env=management,
        config=config,
        audit_account_id=shared.audit_account_id,
        log_archive=shared.log_archive,
        ou_ids=shared.ou_ids,
        description=f"{config.prefix} landing zone: StackSets configuring GuardDuty, Security "
        "Hub, Config aggregation, Access Analyzer, Inspector, Macie, Detective and findings "
        "alerts in the audit account",
        termination_protection=True,
    )
    for detection_admin in detection_admins:
        audit.add_stack_dependency(detection_admin, "the delegated administrators")
    # GuardDuty exports into the log archive, with its key.
    audit.add_stack_dependency(log_archive, "the GuardDuty export bucket and key")
    stacks["audit"] = audit
    _health_events(app, config=config, stacks=stacks, shared=shared)


def _identity_center_stacks(
    app: App, *, config: LandingZoneConfig, stacks: dict[str, Stack]
) -> None:
    """Permission sets and assignments, in the management account and the instance's region."""
    center = center_of(config)
    if center is None:
        return
    environment = _management(config, center.region)
    name = main_stack(config)
    main = IdentityCenterStack(
        app,
        name,
        stack_name=name,
        env=environment,
        config=config,
        center=center,
        description=f"{config.prefix} landing zone: IAM Identity Center permission sets, and "
        "the reconciler that assigns them",
        termination_protection=True,
    )
    # The reconciler's first run needs the OUs and accounts to exist.
    _after_accounts(main, stacks)
    forwarder = events_stack(config)
    if forwarder is not None:
        events = IdentityCenterEventsStack(
            app,
            forwarder,
            stack_name=forwarder,
            env=_management(config, ORGANIZATIONS_EVENTS_REGION),
            config=config,
            center=center,
            description=f"{config.prefix} landing zone: Organizations' account events, "
            f"forwarded to the Identity Center reconciler in {center.region}",
            termination_protection=True,
        )
        events.add_stack_dependency(main, "the reconciler the events reach")
        stacks["identity_center_events"] = events
    stacks["identity_center"] = main
