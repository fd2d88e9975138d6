"""What the config synthesizes, as the live organization should hold it: no AWS calls.

Taken from the same Python the stacks are built from (the guardrail plan,
the detection registry, the organization features in config, the naming
helpers), not from cdk.out: verify then needs no synth, no Node and no
cloud assembly that could be stale or from another config, and it knows each
policy's target by its config key rather than by a CloudFormation token.
tests/test_verify_expected.py holds every list here to the synthesized
example, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import investigation_role_name
from landing_zone.detection_services import (
    SERVICES,
    DetectionService,
    home_services,
    regional_services,
)
from landing_zone.guardrails.packer import FULL_ACCESS_POLICY, POLICY_TYPE, plan_guardrails
from landing_zone.naming import (
    LOG_BUCKET,
    ORGANIZATION_TRAIL,
    log_archive_bucket_name,
    resource_name,
    stack_id,
    trail_log_group_arn,
)
from landing_zone.organization_policies import OrganizationPolicy, organization_policies
from landing_zone.remediation.health_forwarding import (
    forwarding_enabled,
    health_event_regions,
)
from landing_zone.remediation.health_forwarding import stack_set_name as health_stack_set_name

#: AWS managed policies every target holds unless someone detached them.
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
FULL_ACCESS = {POLICY_TYPE[kind]: name for kind, name in FULL_ACCESS_POLICY.items()}

#: Who a StackSet's instances are for: one named account, or every active
#: account under its target OUs (the management account never: StackSets do
#: not deploy to it).
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
Reach = Literal["account", "targets"]


@dataclass(frozen=True)
class ExpectedStackSet:
    """A service-managed StackSet of the app and where its instances must be."""

    name: str
    regions: tuple[str, ...]
    reach: Reach
    #: ``reach == "account"``: the config key of the account (``log-archive``,
    #: ``audit``) or, in a business unit, the core's account id.
    account: str = ""
    #: ``reach == "targets"``: ``root`` or OU keys.
    targets: tuple[str, ...] = ()
    #: ``reach == "targets"``: account keys or ids left out.
    excluded: tuple[str, ...] = ()


def stack_sets(config: LandingZoneConfig) -> tuple[ExpectedStackSet, ...]:
    """Every StackSet ``landing_zone.app`` creates for ``config``, in deploy order."""
    prefix = config.prefix
    home = (config.regions.home,)
    regions = config.baseline_region_order
    baseline = config.baseline
    member = ExpectedStackSet(
        name=stack_id(prefix, "MemberBaseline"),
        regions=regions,
        reach="targets",
        targets=tuple(baseline.targets),
        excluded=tuple(baseline.excluded_accounts),
    )
    proactive = config.proactive_controls
    # The FAIL-mode Guard hooks, deployed beside the member baseline.
    enforced = (
        [
            ExpectedStackSet(
                name=stack_id(prefix, "EnforcedGuardHooks"),
                regions=regions,
                reach="targets",
                targets=tuple(proactive.fail_on),
            )
        ]
        if proactive.enabled and proactive.fail_on and baseline.targets
        else []
    )
    core = config.core
    if core is not None:
        owned: list[ExpectedStackSet] = [member, *enforced] if baseline.targets else []
        if config.business_unit_detection():
            owned.append(
                ExpectedStackSet(
                    name=stack_id(prefix, "AuditHome"),
                    regions=home,
                    reach="account",
                    account=core.audit_account_id,
                )
            )
        return tuple(owned)
    sets = [
        ExpectedStackSet(
            name=stack_id(prefix, "LogArchive"),
            regions=home,
            reach="account",
            account="log-archive",
        ),
        member,
        *enforced,
    ]
    if config.identity.break_glass:
        sets.append(
            ExpectedStackSet(
                name=stack_id(prefix, "BreakGlass"),
                regions=home,
                reach="targets",
                targets=("root",),
            )
        )
    if regional_services(config.detection):
        sets.append(
            ExpectedStackSet(
                name=stack_id(prefix, "AuditRegional"),
                regions=regions,
                reach="account",
                account="audit",
            )
        )
    if home_services(config.detection):
        sets.append(
            ExpectedStackSet(
                name=stack_id(prefix, "AuditHome"), regions=home, reach="account", account="audit"
            )
        )
    if config.remediation.enabled:
        sets.append(
            ExpectedStackSet(
                name=stack_id(prefix, "AuditRemediation"),
                regions=home,
                reach="account",
                account="audit",
            )
        )
    # The audit stack (and its remediation rule) exists only with a detection service.
    if forwarding_enabled(config) and (
        regional_services(config.detection) or home_services(config.detection)
    ):
        sets.append(
            ExpectedStackSet(
                name=health_stack_set_name(prefix),
                regions=health_event_regions(config.partition),
                reach="targets",
                targets=tuple(baseline.targets),
                excluded=tuple(baseline.excluded_accounts),
            )
        )
    return tuple(sets)


def policies(config: LandingZoneConfig) -> tuple[OrganizationPolicy, ...]:
    """Every organization policy of this fork (raises GuardrailBudgetError like synth)."""
    return organization_policies(config, plan_guardrails(config))


def policy_types(policies: tuple[OrganizationPolicy, ...]) -> tuple[str, ...]:
    """The policy types whose attachments verify reads: SCPs, RCPs and those of ``policies``."""
    types = dict.fromkeys(POLICY_TYPE.values())
    types.update(dict.fromkeys(policy.type for policy in policies))
    return tuple(types)


def trail_name(config: LandingZoneConfig) -> str | None:
    """The organization trail's name; None in a business unit (its core owns the trail)."""
    return None if config.business_unit else resource_name(config.prefix, ORGANIZATION_TRAIL)


#: The advanced event selector that logs every management event, read and
#: write (the trail's first; data events follow when config asks). With no
#: readOnly or eventSource field nothing is left out.
#: See: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedEventSelector.html
MANAGEMENT_EVENTS = ({"Field": "eventCategory", "Equals": ["Management"]},)


@dataclass(frozen=True)
class ExpectedTrail:
    """The organization trail as the trail stack creates it (core fork only)."""

    name: str
    #: The log archive's log bucket, where it delivers; None while the
    #: log-archive account is not found (its name carries the account id).
    bucket: str | None
    #: Its CloudWatch Logs group, which the CIS alarms read.
    log_group_arn: str


def trail(config: LandingZoneConfig, *, log_archive: str | None) -> ExpectedTrail | None:
    """The organization trail, given the live log-archive account id; None in a business unit."""
    name = trail_name(config)
    if name is None:
        return None
    home = config.regions.home
    return ExpectedTrail(
        name=name,
        bucket=log_archive_bucket_name(config.prefix, LOG_BUCKET, log_archive, home)
        if log_archive is not None
        else None,
        log_group_arn=trail_log_group_arn(
            partition=config.partition,
            region=home,
            account=config.organization.management_account_id,
            prefix=config.prefix,
        ),
    )


def delegated_services(config: LandingZoneConfig) -> tuple[DetectionService, ...]:
    """The detection services whose administrator the audit account must be (core only)."""
    if config.business_unit:
        return ()
    detection = config.detection
    return tuple(s for s in SERVICES if s.delegation is not None and s.enabled(detection))


def registration_principal(service: DetectionService) -> str:
    """The service principal Organizations lists the service's delegated administrator under.

    A plain registration names it (``delegation.api``); a service's own
    designation API registers the account for the service's principal,
    the first one it needs trusted access for.
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListDelegatedAdministrators.html
    """
    if service.delegation is not None and service.delegation.mechanism == "organizations":
        return service.delegation.api
    return service.trusted_access[0].principal


def investigation_role(config: LandingZoneConfig) -> str | None:
    """``<Prefix>-Investigation`` when config deploys it (in every account the baseline reaches)."""
    return investigation_role_name(config) if config.identity.investigation_role.enabled else None
