"""Detection: delegated administrators (management account) and the audit account's services.

- ``<Prefix>-DetectionAdmin-<region>`` (management account, every governed
  region): the audit account becomes each service's delegated administrator,
  and the organization conformance pack of detective guardrails deploys.
- ``<Prefix>-Audit`` (management account, home region): two StackSets into
  the audit account. ``<Prefix>-AuditRegional`` goes to every governed region
  (GuardDuty, Inspector, Macie and Detective organization configuration, the
  GuardDuty export, the organization analyzer, GuardDuty forwarding);
  ``<Prefix>-AuditHome`` to the home region only (Security Hub central
  configuration, the Config aggregator, the unused-access analyzer, alerts).
  Two templates instead of one with conditions: each stays well under the
  51,200-byte inline limit, and neither carries resources it never creates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnParameter, Fn, Stack
from constructs import Construct

from landing_zone.config import OU_ID_PATTERN, LandingZoneConfig
from landing_zone.config.identity import investigation_role_name
from landing_zone.constructs.detection import (
    FindingsAlerts,
    GuardDutyForwarder,
    OrganizationConfigAggregator,
    OrganizationDetection,
    SecurityHubCentralConfiguration,
    UnusedAccessAnalyzer,
    add_configuration_policies,
    other_regions,
    outside_home,
)
from landing_zone.constructs.detection_admin import (
    DelegatedAdministrators,
    OrganizationConformancePack,
)
from landing_zone.constructs.health_forwarding import HealthEventsBusPolicy
from landing_zone.constructs.remediation import FUNCTION, RemediationPipeline
from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.detection_services import BY_KEY as SERVICE
from landing_zone.detection_services import (
    auto_enable,
    delegations,
    home_services,
    regional_services,
)
from landing_zone.naming import LOG_BUCKET, log_archive_bucket_name, pascal, resource_name, stack_id
from landing_zone.references import LogArchiveRef
from landing_zone.remediation.health_forwarding import forwarding_enabled


class DetectionAdminStack(Stack):
    """Delegated administrators and the conformance pack, in one governed region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        audit_account_id: str,
        excluded_account_ids: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        detection = config.detection
        home = self.region == config.regions.home
        self.administrators = DelegatedAdministrators(
            self,
            "DelegatedAdministrators",
            services=delegations(detection, home_region=home),
            audit_account_id=audit_account_id,
            partition=config.partition,
            management_account_id=config.organization.management_account_id,
            organization_id=config.organization.id,
        )
        self.conformance_pack: OrganizationConformancePack | None = None
        if SERVICE["conformance_pack"].enabled(detection):
            self.conformance_pack = OrganizationConformancePack(
                self,
                "ConformancePack",
                prefix=config.prefix,
                home_region=home,
                disabled_rules=sorted(detection.conformance_pack.disabled_rules),
                excluded_accounts=excluded_account_ids,
            )


def alerted_role(config: LandingZoneConfig) -> str | None:
    """The investigation role the findings alerts link to; ``None`` when it is not deployed.

    Every account the baseline reaches has it, the management account
    included (its own baseline stack), under the core's prefix in every fork.
    """
    return investigation_role_name(config) if config.identity.investigation_role.enabled else None


def alerted_account_names(config: LandingZoneConfig) -> dict[str, str]:
    """Account id -> name, for the accounts whose ids the config itself holds.

    The management account first, then the core's accounts (a business
    unit's config names them by id), then adopted accounts. A created
    account's id is known only once its stack has run: its alerts show the id.
    """
    names = {config.organization.management_account_id: "management account"}
    core = config.core
    if core is not None:
        names[core.audit_account_id] = "audit account"
        names[core.log_archive_account_id] = "log-archive account"
    for _, account in config.all_accounts():
        if account.account_id is not None:
            names.setdefault(account.account_id, account.name)
    return names


class AuditRegionalTemplate(StackSetTemplate):
    """What the audit account runs in every governed region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        log_archive: LogArchiveRef,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: organization configuration of GuardDuty, "
            "Inspector, Macie, Detective and Access Analyzer (audit account, every governed "
            "region), deployed by the management account's StackSet",
        )
        detection = config.detection
        home = config.regions.home
        account = self.parameter(
            "LogArchiveAccountId",
            description="Account holding the log archive bucket and key (GuardDuty export)",
            pattern=r"^\d{12}$",
        )
        guard = detection.guardduty
        self.detection = OrganizationDetection(
            self,
            "Detection",
            prefix=config.prefix,
            auto_enable=auto_enable(detection),
            home_region=home,
            export=log_archive.in_account(account)
            if SERVICE["guardduty"].regional(detection) and guard.export_findings
            else None,
            organization_analyzer=SERVICE["access_analyzer"].regional(detection),
        )
        self.forwarder: GuardDutyForwarder | None = None
        if SERVICE["guardduty"].regional(detection) and other_regions(
            config.regions.governed, home
        ):
            self.forwarder = GuardDutyForwarder(
                self,
                "GuardDutyForwarder",
                prefix=config.prefix,
                home_region=home,
                min_severity=detection.notifications.guardduty_min_severity,
                condition=outside_home(self, home),
            )


#: What a user can change when an audit home template outgrows the inline limit:
#: its size grows with the Security Hub policies (each control listed) and the
#: alert recipients; the findings formatter's code is fixed (about 16 KB).
ALERTS_TEMPLATE_TOO_LARGE = (
    "Its size grows with detection.security_hub.policies (each disabled control is listed) "
    "and notifications: disable fewer controls, merge policies with the same standards, or "
    "give fewer recipients"
)


class AuditHomeTemplate(StackSetTemplate):
    """What the audit account runs in the home region only."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: Security Hub central configuration, "
            "Config aggregator, unused-access analyzer and findings alerts (audit account, "
            "home region), deployed by the management account's StackSet",
            too_large=ALERTS_TEMPLATE_TOO_LARGE,
        )
        detection = config.detection
        home = config.regions.home
        if SERVICE["security_hub"].home(detection):
            # OU ids are only known once the organization stack has run:
            # they arrive as StackSet parameters.
            target_ids = {"root": config.organization.root_id}
            for key in config.security_hub_ou_keys():
                target_ids[key] = self.parameter(
                    f"OuId{pascal(key)}",
                    description=f"Id of OU '{key}' (Security Hub policy association)",
                    pattern=f"^{OU_ID_PATTERN}$",
                )
            self.security_hub = SecurityHubCentralConfiguration(
                self,
                "SecurityHub",
                prefix=config.prefix,
                config=detection.security_hub,
                linked_regions=other_regions(config.regions.governed, home),
                target_ids=target_ids,
            )
        if SERVICE["config_aggregator"].home(detection):
            self.aggregator = OrganizationConfigAggregator(
                self, "ConfigAggregator", prefix=config.prefix, regions=config.regions.governed
            )
        if SERVICE["access_analyzer"].home(detection):
            self.unused_access = UnusedAccessAnalyzer(
                self,
                "UnusedAccessAnalyzer",
                prefix=config.prefix,
                unused_access_age_days=detection.access_analyzer.unused_access.unused_access_age_days,
            )
        # Findings of the services that send them reach people from the home region.
        if SERVICE["security_hub"].home(detection) or SERVICE["guardduty"].home(detection):
            self.alerts = FindingsAlerts(
                self,
                "FindingsAlerts",
                prefix=config.prefix,
                notifications=detection.notifications,
                security_hub=SERVICE["security_hub"].enabled(detection),
                guardduty=SERVICE["guardduty"].enabled(detection),
                investigation_role=alerted_role(config),
                account_names=alerted_account_names(config),
                remediation_role=resource_name(config.prefix, FUNCTION)
                if config.remediation.enabled
                else None,
            )


class AuditRemediationTemplate(StackSetTemplate):
    """The remediation pipeline (audit account, home region): its own template.

    Apart from the audit home template, which the Security Hub policies and
    the findings formatter bring near the 51,200-byte inline limit.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: automatic remediation of high-risk "
            "findings (audit account, home region), deployed by the management account's "
            "StackSet",
        )
        account = self.parameter(
            "LogArchiveAccountId",
            description="Account holding the log archive bucket (remediation records)",
            pattern=r"^\d{12}$",
        )
        home = config.regions.home
        self.pipeline = RemediationPipeline(
            self,
            "Remediation",
            prefix=config.prefix,
            modes=config.remediation.modes(),
            archive_bucket=log_archive_bucket_name(config.prefix, LOG_BUCKET, account, home),
            archive_key_account=account,
            archive_nag_names=(
                log_archive_bucket_name(config.prefix, LOG_BUCKET, "<LogArchiveAccountId>", home),
                "<LogArchiveAccountId>",
            ),
            home_region=home,
            management_account_id=config.organization.management_account_id,
        )
        # The member accounts' forwarded AWS Health events (HealthEventsStack).
        self.health_bus_policy = (
            HealthEventsBusPolicy(
                self, "HealthEvents", prefix=config.prefix, organization_id=config.organization.id
            )
            if forwarding_enabled(config)
            else None
        )


class AuditStack(Stack):
    """The two audit StackSets (management account, home region), aimed at the audit account.

    Like the log archive's: the root intersected with the audit account, so
    it reaches the account wherever it sits; no auto-deployment, since no
    other account must get these.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        audit_account_id: str,
        log_archive: LogArchiveRef,
        ou_ids: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.regional: ServiceManagedStackSet | None = None
        self.home: ServiceManagedStackSet | None = None
        if regional_services(config.detection):
            self._regional(config, audit_account_id, log_archive)
        if home_services(config.detection):
            self._home(config, audit_account_id, ou_ids)
        if self.home is not None and self.regional is not None:
            # Security Hub's aggregator links regions whose hubs the regional
            # designation created, and the alerts need GuardDuty forwarding.
            self.home.resource.add_resource_dependency(self.regional.resource)
        self.remediation: ServiceManagedStackSet | None = None
        if config.remediation.enabled:
            self._remediation(config, audit_account_id, log_archive)

    def _remediation(
        self, config: LandingZoneConfig, audit_account_id: str, log_archive: LogArchiveRef
    ) -> None:
        prefix = config.prefix
        self.remediation_template = AuditRemediationTemplate(
            self, "RemediationTemplate", config=config
        )
        self.remediation = ServiceManagedStackSet(
            self,
            "Remediation",
            stack_set_name=stack_id(prefix, "AuditRemediation"),
            description=f"{prefix} landing zone: automatic remediation, audit account, home region",
            template=self.remediation_template,
            organizational_unit_ids=[config.organization.root_id],
            accounts=[audit_account_id],
            regions=[config.regions.home],
            auto_deployment=False,
            parameters={"LogArchiveAccountId": log_archive.account_id},
            # The function's role is named <Prefix>-... (guardrail-protected).
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
        if self.home is not None:
            # Its alarms and failures publish to the home template's findings topic.
            self.remediation.resource.add_resource_dependency(self.home.resource)

    def _regional(
        self, config: LandingZoneConfig, audit_account_id: str, log_archive: LogArchiveRef
    ) -> None:
        prefix = config.prefix
        self.regional_template = AuditRegionalTemplate(
            self, "RegionalTemplate", config=config, log_archive=log_archive
        )
        self.regional = ServiceManagedStackSet(
            self,
            "Regional",
            stack_set_name=stack_id(prefix, "AuditRegional"),
            description=f"{prefix} landing zone: detection services' organization "
            "configuration, audit account, every governed region",
            template=self.regional_template,
            organizational_unit_ids=[config.organization.root_id],
            accounts=[audit_account_id],
            regions=config.baseline_region_order,
            auto_deployment=False,
            parameters={"LogArchiveAccountId": log_archive.account_id},
            operation_preferences=OperationPreferences(
                region_concurrency="PARALLEL", region_order=config.baseline_region_order
            ),
            # The handler and forwarder roles are named <Prefix>-... (guardrail-protected).
            capabilities=["CAPABILITY_NAMED_IAM"],
        )

    def _home(
        self, config: LandingZoneConfig, audit_account_id: str, ou_ids: Mapping[str, str]
    ) -> None:
        prefix = config.prefix
        self.home_template = AuditHomeTemplate(self, "HomeTemplate", config=config)
        self.home = audit_home_stack_set(
            self,
            config=config,
            audit_account_id=audit_account_id,
            template=self.home_template,
            description=f"{prefix} landing zone: Security Hub central configuration, Config "
            "aggregator and findings alerts, audit account, home region",
            parameters={f"OuId{pascal(key)}": ou_ids[key] for key in config.security_hub_ou_keys()},
        )


def audit_home_stack_set(
    scope: Construct,
    *,
    config: LandingZoneConfig,
    audit_account_id: str,
    template: StackSetTemplate,
    description: str,
    parameters: Mapping[str, str],
) -> ServiceManagedStackSet:
    """``<Prefix>-AuditHome``: the audit account alone (root intersected with it), home region."""
    return ServiceManagedStackSet(
        scope,
        "Home",
        stack_set_name=stack_id(config.prefix, "AuditHome"),
        description=description,
        template=template,
        organizational_unit_ids=[config.organization.root_id],
        accounts=[audit_account_id],
        regions=[config.regions.home],
        auto_deployment=False,
        parameters=parameters,
        # Roles are named <Prefix>-... (guardrail-protected).
        capabilities=["CAPABILITY_NAMED_IAM"],
    )


class BusinessUnitDetectionTemplate(StackSetTemplate):
    """A business unit's own part of detection, in the core's audit account (home region).

    Its Security Hub configuration policies, associated with its OUs (the
    core's central configuration applies them; an OU's own association wins
    over the root's), and alerts on findings about its accounts only, to its
    own recipients. The core's alerts still see every account.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} business unit: Security Hub configuration policies "
            "for its OUs and alerts on its accounts' findings (the core's audit account, "
            "home region), deployed by the management account's StackSet",
            too_large=ALERTS_TEMPLATE_TOO_LARGE,
        )
        detection = config.detection
        target_ids = {
            key: self.parameter(
                f"OuId{pascal(key)}",
                description=f"Id of OU '{key}' (Security Hub policy association)",
                pattern=f"^{OU_ID_PATTERN}$",
            )
            for key in config.security_hub_ou_keys()
        }
        self.policies, self.associations = add_configuration_policies(
            self,
            prefix=config.prefix,
            policies=detection.security_hub.policies,
            target_ids=target_ids,
            after=None,
        )
        self.alerts: FindingsAlerts | None = None
        if config.business_unit_alerts():
            # Created accounts' ids are known only once their stack has run.
            accounts = CfnParameter(
                self,
                "AccountIds",
                type="CommaDelimitedList",
                description="This business unit's account ids: alerts cover these only",
            )
            self.alerts = FindingsAlerts(
                self,
                "FindingsAlerts",
                prefix=config.prefix,
                notifications=detection.notifications,
                security_hub=SERVICE["security_hub"].enabled(detection),
                guardduty=SERVICE["guardduty"].enabled(detection),
                investigation_role=alerted_role(config),
                account_names=alerted_account_names(config),
                accounts=accounts.value_as_list,
            )


class BusinessUnitDetectionStack(Stack):
    """The StackSet ``<Prefix>-AuditHome`` of a business-unit fork (management account).

    Aimed at the core's audit account alone (root intersected with it), like
    the core's own audit StackSets.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        audit_account_id: str,
        ou_ids: Mapping[str, str],
        account_ids: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = config.prefix
        self.template = BusinessUnitDetectionTemplate(self, "HomeTemplate", config=config)
        parameters = {f"OuId{pascal(key)}": ou_ids[key] for key in config.security_hub_ou_keys()}
        if self.template.alerts is not None:
            parameters["AccountIds"] = Fn.join(",", list(account_ids))
        self.stack_set = audit_home_stack_set(
            self,
            config=config,
            audit_account_id=audit_account_id,
            template=self.template,
            description=f"{prefix} business unit: Security Hub policies and findings alerts, "
            "the core's audit account, home region",
            parameters=parameters,
        )
