"""The detection services, one row each: the single place that says what a service needs.

Config validation (trusted access), the stacks (which audit StackSet holds
what), the constructs (delegated administrators, the organization
configuration handler and its IAM actions), the summary and the docs read
these rows instead of deciding for themselves. Pure data: no aws_cdk, no
pydantic (``config`` imports this module, not the other way round).

Adding a service is one row here, its config model in
``landing_zone/config/detection.py`` and, if it has no CloudFormation type,
its branch in the handler (``lambdas/delegated_admin.py`` for the
administrator, ``lambdas/organization_detection.py`` for auto-enable);
``tests/test_detection_services.py`` holds every row to those handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from landing_zone.config import DetectionConfig

Scope = Literal["home", "regional"]

# GuardDuty protection plans by config field -> API feature name.
# See: https://docs.aws.amazon.com/guardduty/latest/APIReference/API_OrganizationFeatureConfiguration.html
GUARDDUTY_FEATURES = {
    "s3_data_events": "S3_DATA_EVENTS",
    "eks_audit_logs": "EKS_AUDIT_LOGS",
    "runtime_monitoring": "RUNTIME_MONITORING",
    "ebs_malware_protection": "EBS_MALWARE_PROTECTION",
    "rds_login_events": "RDS_LOGIN_EVENTS",
    "lambda_network_logs": "LAMBDA_NETWORK_LOGS",
}


@dataclass(frozen=True)
class TrustedAccess:
    """A service principal that needs Organizations trusted access, and the field that needs it.

    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
    """

    principal: str
    needed_by: str
    #: Only when this is true too (a protection plan, say); ``None``: whenever the service is on.
    when: Callable[[DetectionConfig], bool] | None = None


@dataclass(frozen=True)
class Delegation:
    """How the audit account becomes the service's delegated administrator.

    ``organizations``: a plain ``organizations:RegisterDelegatedAdministrator``
    for ``principal`` (the handler's ``Service: organizations``).
    ``handler``: the service's own designation API, through the handler's
    ``Service: <api>`` (``actions`` are what it calls).
    ``native``: the CloudFormation type named by ``api``
    (``AWS::SecurityHub::DelegatedAdmin``, ``AWS::Detective::OrganizationAdmin``).
    """

    mechanism: Literal["organizations", "handler", "native"]
    #: Home region once (a global registration) or every governed region.
    scope: Scope
    #: ``Service`` of ``lambdas/delegated_admin.py`` (handler), the principal
    #: (organizations) or the CloudFormation type (native).
    api: str
    #: What the handler calls on the service's API (handler only).
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    """IAM actions on a resource; ``{partition}``, ``{region}``, ``{account}`` are the audit's."""

    actions: tuple[str, ...]
    resource: str = "*"


@dataclass(frozen=True)
class OrganizationHandler:
    """Organization-wide auto-enable through ``lambdas/organization_detection.py``."""

    #: ``Service`` of the handler; also the custom resource's construct id.
    service: str
    grants: tuple[Grant, ...]
    #: The custom resource's other properties, from config.
    properties: Callable[[DetectionConfig], Mapping[str, Any]] = lambda _: {}


#: Security Hub's finding aggregator linking no Region, a custom resource of the
#: audit home StackSet when the home region is the only governed region
#: (``lambdas/security_hub_aggregator.py``); with other governed regions it is
#: the native ``AWS::SecurityHub::FindingAggregator``.
FINDING_AGGREGATOR_TYPE = "Custom::SecurityHubFindingAggregator"
#: What that handler calls, and nothing more.
#: See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecurityhub.html
FINDING_AGGREGATOR_GRANTS = (
    # No resource-level permissions: the aggregator does not exist yet, or is listed.
    Grant(("securityhub:CreateFindingAggregator", "securityhub:ListFindingAggregators")),
    Grant(
        ("securityhub:DeleteFindingAggregator", "securityhub:UpdateFindingAggregator"),
        "arn:{partition}:securityhub:{region}:{account}:finding-aggregator/*",
    ),
)


@dataclass(frozen=True)
class DetectionService:
    """One detection service of the organization, administered by the audit account."""

    #: Its field under ``detection`` in config, e.g. ``guardduty``.
    key: str
    #: As people say it (summary, docs).
    name: str
    #: PascalCase, for construct ids (and so logical ids): never change it for a deployed row.
    id: str
    #: Whether config turns it on.
    enabled: Callable[[DetectionConfig], bool]
    trusted_access: tuple[TrustedAccess, ...]
    #: ``None``: the management account runs it itself (the conformance pack).
    delegation: Delegation | None
    #: Whether the audit account's every-region StackSet holds something of it.
    regional: Callable[[DetectionConfig], bool]
    #: Whether the audit account's home-region StackSet holds something of it.
    home: Callable[[DetectionConfig], bool]
    organization_handler: OrganizationHandler | None = None
    #: Listed as a service in the summary (the conformance pack has its own line).
    listed: bool = True


def _off(_: DetectionConfig) -> bool:
    return False


def _guardduty_handler_properties(detection: DetectionConfig) -> dict[str, Any]:
    guard = detection.guardduty
    return {
        "Features": {
            feature: str(getattr(guard.protection_plans, field)).lower()
            for field, feature in GUARDDUTY_FEATURES.items()
        },
        "FindingPublishingFrequency": guard.finding_publishing_frequency,
    }


def _access_analyzer_on(detection: DetectionConfig) -> bool:
    analyzer = detection.access_analyzer
    return analyzer.organization or analyzer.unused_access.enabled


# Registry order is the summary's and the docs' order. The delegated
# administrators register home-scoped (global) ones first, then regional ones
# in this order, one after another (Organizations rejects concurrent changes).
SERVICES: tuple[DetectionService, ...] = (
    DetectionService(
        key="guardduty",
        name="GuardDuty",
        id="GuardDuty",
        enabled=lambda d: d.guardduty.enabled,
        trusted_access=(
            TrustedAccess("guardduty.amazonaws.com", "detection.guardduty"),
            # Malware Protection for EC2 has its own principal and service-linked role.
            TrustedAccess(
                "malware-protection.guardduty.amazonaws.com",
                "detection.guardduty.protection_plans.ebs_malware_protection",
                when=lambda d: d.guardduty.protection_plans.ebs_malware_protection,
            ),
        ),
        delegation=Delegation(
            "handler",
            "regional",
            api="guardduty",
            actions=(
                "guardduty:EnableOrganizationAdminAccount",
                "guardduty:ListOrganizationAdminAccounts",
            ),
        ),
        regional=lambda d: d.guardduty.enabled,
        # Its findings alerts and forwarded findings land in the home region.
        home=lambda d: d.guardduty.enabled,
        organization_handler=OrganizationHandler(
            "GuardDuty",
            grants=(
                Grant(
                    (
                        "guardduty:UpdateDetector",
                        "guardduty:UpdateOrganizationConfiguration",
                    ),
                    "arn:{partition}:guardduty:{region}:{account}:detector/*",
                ),
                Grant(("guardduty:ListDetectors",)),
            ),
            properties=_guardduty_handler_properties,
        ),
    ),
    DetectionService(
        key="security_hub",
        name="Security Hub",
        id="SecurityHub",
        enabled=lambda d: d.security_hub.enabled,
        trusted_access=(TrustedAccess("securityhub.amazonaws.com", "detection.security_hub"),),
        delegation=Delegation("native", "regional", api="AWS::SecurityHub::DelegatedAdmin"),
        # Central configuration lives in the home region, where findings aggregate.
        regional=_off,
        home=lambda d: d.security_hub.enabled,
    ),
    DetectionService(
        key="config_aggregator",
        name="Config aggregator",
        id="Config",
        enabled=lambda d: d.config_aggregator,
        trusted_access=(TrustedAccess("config.amazonaws.com", "detection.config_aggregator"),),
        delegation=Delegation("organizations", "home", api="config.amazonaws.com"),
        regional=_off,
        home=lambda d: d.config_aggregator,
    ),
    DetectionService(
        key="access_analyzer",
        name="Access Analyzer",
        id="AccessAnalyzer",
        enabled=_access_analyzer_on,
        trusted_access=(
            TrustedAccess("access-analyzer.amazonaws.com", "detection.access_analyzer"),
        ),
        delegation=Delegation("organizations", "home", api="access-analyzer.amazonaws.com"),
        # Analyzers are regional; the unused-access one is priced, so home only.
        regional=lambda d: d.access_analyzer.organization,
        home=lambda d: d.access_analyzer.unused_access.enabled,
    ),
    DetectionService(
        key="inspector",
        name="Inspector",
        id="Inspector",
        enabled=lambda d: d.inspector.enabled,
        trusted_access=(TrustedAccess("inspector2.amazonaws.com", "detection.inspector"),),
        delegation=Delegation(
            "handler",
            "regional",
            api="inspector2",
            actions=(
                "inspector2:EnableDelegatedAdminAccount",
                "inspector2:GetDelegatedAdminAccount",
            ),
        ),
        regional=lambda d: d.inspector.enabled,
        home=_off,
        organization_handler=OrganizationHandler(
            "Inspector",
            grants=(
                Grant(
                    (
                        "inspector2:AssociateMember",
                        "inspector2:Enable",
                        "inspector2:ListMembers",
                        "inspector2:UpdateOrganizationConfiguration",
                    )
                ),
            ),
            properties=lambda d: {"ResourceTypes": list(d.inspector.scan_types)},
        ),
    ),
    DetectionService(
        key="macie",
        name="Macie",
        id="Macie",
        enabled=lambda d: d.macie.enabled,
        trusted_access=(TrustedAccess("macie.amazonaws.com", "detection.macie"),),
        delegation=Delegation(
            "handler",
            "regional",
            api="macie2",
            actions=(
                "macie2:EnableOrganizationAdminAccount",
                "macie2:ListOrganizationAdminAccounts",
            ),
        ),
        regional=lambda d: d.macie.enabled,
        home=_off,
        organization_handler=OrganizationHandler(
            "Macie",
            grants=(
                Grant(
                    (
                        "macie2:CreateMember",
                        "macie2:ListMembers",
                        "macie2:UpdateMacieSession",
                        "macie2:UpdateOrganizationConfiguration",
                    )
                ),
            ),
            properties=lambda d: {
                "FindingPublishingFrequency": d.macie.finding_publishing_frequency
            },
        ),
    ),
    DetectionService(
        key="detective",
        name="Detective",
        id="Detective",
        enabled=lambda d: d.detective.enabled,
        trusted_access=(TrustedAccess("detective.amazonaws.com", "detection.detective"),),
        delegation=Delegation("native", "regional", api="AWS::Detective::OrganizationAdmin"),
        regional=lambda d: d.detective.enabled,
        home=_off,
        organization_handler=OrganizationHandler(
            "Detective",
            grants=(
                Grant(
                    (
                        "detective:CreateMembers",
                        "detective:ListMembers",
                        "detective:UpdateOrganizationConfiguration",
                    ),
                    "arn:{partition}:detective:{region}:{account}:graph:*",
                ),
                Grant(("detective:ListGraphs",)),
            ),
        ),
    ),
    DetectionService(
        key="conformance_pack",
        name="Config rules (conformance pack)",
        id="ConformancePack",
        enabled=lambda d: d.conformance_pack.enabled,
        trusted_access=(
            TrustedAccess("config-multiaccountsetup.amazonaws.com", "detection.conformance_pack"),
        ),
        # The management account deploys organization conformance packs itself.
        # See: https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-organization-apis.html
        delegation=None,
        regional=_off,
        home=_off,
        listed=False,
    ),
)

BY_KEY = {service.key: service for service in SERVICES}


def enabled_services(detection: DetectionConfig) -> tuple[DetectionService, ...]:
    """The rows config turns on, in registry order."""
    return tuple(s for s in SERVICES if s.enabled(detection))


def required_trusted_services(detection: DetectionConfig) -> dict[str, str]:
    """Service principal -> the config field that needs its trusted access."""
    return {
        access.principal: access.needed_by
        for service in enabled_services(detection)
        for access in service.trusted_access
        if access.when is None or access.when(detection)
    }


def delegations(detection: DetectionConfig, *, home_region: bool) -> tuple[DetectionService, ...]:
    """The services to delegate in one region: home-scoped ones first (home region only)."""
    on = enabled_services(detection)
    home = [s for s in on if s.delegation and s.delegation.scope == "home"] if home_region else []
    regional = [s for s in on if s.delegation and s.delegation.scope == "regional"]
    return (*home, *regional)


def delegated_admin_actions() -> tuple[str, ...]:
    """Every action the delegated-administrator handler may call on a service's API.

    All services', not only the enabled ones': the handler's policy does not
    change when a service is switched on, so a switch never needs the policy
    to propagate before the registration runs.
    """
    return tuple(
        sorted(
            action
            for service in SERVICES
            if service.delegation is not None
            for action in service.delegation.actions
        )
    )


@dataclass(frozen=True)
class AutoEnable:
    """One service's organization auto-enable as the handler applies it, resolved from config."""

    service: str
    grants: tuple[Grant, ...]
    properties: Mapping[str, Any]


def auto_enable(detection: DetectionConfig) -> tuple[AutoEnable, ...]:
    """What the audit account's handler enables organization-wide, in registry order."""
    return tuple(
        AutoEnable(handler.service, handler.grants, dict(handler.properties(detection)))
        for service in enabled_services(detection)
        if (handler := service.organization_handler) is not None
    )


def regional_services(detection: DetectionConfig) -> bool:
    """Whether the audit account has anything to run in every governed region."""
    return any(s.regional(detection) for s in SERVICES)


def home_services(detection: DetectionConfig) -> bool:
    """Whether the audit account has anything to run in the home region only."""
    return any(s.home(detection) for s in SERVICES)


def registry_markdown() -> str:
    """The registry as a Markdown table (docs/detection.md, between its registry markers)."""
    mechanisms = {
        "organizations": "Organizations registration (handler)",
        "handler": "the service's designation API (handler)",
        "native": "native",
    }
    lines = [
        "| service | config | trusted access | delegated administrator | where the audit "
        "account runs it | auto-enable (handler `Service`) | handler's IAM actions |",
        "|---|---|---|---|---|---|---|",
    ]
    for service in SERVICES:
        delegation = service.delegation
        if delegation is None:
            admin = "none: the management account deploys it"
        else:
            where = "home region, once" if delegation.scope == "home" else "every governed region"
            admin = f"{mechanisms[delegation.mechanism]} `{delegation.api}`, {where}"
        handler = service.organization_handler
        actions = sorted(
            {
                *(delegation.actions if delegation else ()),
                *(a for grant in handler.grants for a in grant.actions),
            }
            if handler
            else (delegation.actions if delegation else ())
        )
        lines.append(
            "| "
            + " | ".join(
                (
                    service.name,
                    f"`detection.{service.key}`",
                    ", ".join(f"`{a.principal}`" for a in service.trusted_access),
                    admin,
                    _where_it_runs(service),
                    f"`{handler.service}`" if handler else "-",
                    ", ".join(f"`{a}`" for a in actions) or "-",
                )
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def switched(on: bool) -> DetectionConfig:
    """A detection section with every row's service on (or off), read from the models.

    Each row's field is a switch or a model with ``enabled``; Access Analyzer
    has two analyzers behind one row.
    """
    from landing_zone.config import DetectionConfig

    values: dict[str, Any] = {}
    for service in SERVICES:
        field = DetectionConfig.model_fields[service.key]
        values[service.key] = on if field.annotation is bool else {"enabled": on}
    values["access_analyzer"] = {"organization": on, "unused_access": {"enabled": on}}
    return DetectionConfig.model_validate(values)


def _where_it_runs(service: DetectionService) -> str:
    """Which audit StackSet holds the service's resources, with everything on."""
    everything = switched(True)
    places = [
        name
        for name, holds in (("every governed region", service.regional), ("home", service.home))
        if holds(everything)
    ]
    return ", ".join(places) or "management account"
