"""Detection services administered by the audit account, who hears about findings, and checks.

What each service needs beyond its model (trusted access, delegation, the
audit account's StackSets) is its row in :mod:`landing_zone.detection_services`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from landing_zone.config.types import (
    Check,
    Key,
    Location,
    Model,
    NotificationEmail,
    Problem,
    id_clashes,
    repeats,
    unexplained,
)
from landing_zone.detection_services import required_trusted_services
from landing_zone.guardrails.detective import BY_ID as DETECTIVE_RULES
from landing_zone.guardrails.security_hub import BY_KEY as STANDARDS

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig


GuardDutyFrequency = Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]


class GuardDutyPlansConfig(Model):
    """GuardDuty protection plans, each enabled for every account of the organization.

    Foundational threat detection (CloudTrail management events, VPC flow
    logs, DNS logs) is always on; these are the optional plans, priced per
    volume of what they analyse.
    See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-features-activation-model.html
    """

    s3_data_events: bool = Field(default=True, description="S3 Protection (S3 data events)")
    eks_audit_logs: bool = Field(default=True, description="EKS Protection (EKS audit logs)")
    runtime_monitoring: bool = Field(
        default=True,
        description="Runtime Monitoring for EKS, ECS Fargate and EC2, with the security "
        "agent managed by GuardDuty",
    )
    ebs_malware_protection: bool = Field(
        default=True, description="Malware Protection for EC2 (scans EBS volumes on findings)"
    )
    rds_login_events: bool = Field(default=True, description="RDS Protection (login activity)")
    lambda_network_logs: bool = Field(
        default=True, description="Lambda Protection (network activity of functions)"
    )


class GuardDutyConfig(Model):
    """GuardDuty in every account and governed region, administered from the audit account."""

    enabled: bool = Field(default=True, description="Enable GuardDuty organization-wide")
    protection_plans: GuardDutyPlansConfig = Field(default_factory=GuardDutyPlansConfig)
    finding_publishing_frequency: GuardDutyFrequency = Field(
        default="FIFTEEN_MINUTES",
        description="How often updates to existing findings reach EventBridge and the export",
    )
    export_findings: bool = Field(
        default=True,
        description="Export every account's findings, KMS-encrypted, to the log archive",
    )


SecurityControlId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]*\.\d{1,3}$")]


class SecurityHubPolicyConfig(Model):
    """A Security Hub configuration policy and the targets it is associated with."""

    description: str = Field(
        default="", max_length=512, description="What this policy is for (shown in the console)"
    )
    targets: list[str] = Field(
        min_length=1,
        description="'root' or OU keys this policy is associated with; accounts below "
        "inherit it (an OU's own association wins over its parent's)",
    )
    enabled: bool = Field(
        default=True,
        description="false: Security Hub is turned OFF in the targets (e.g. Suspended)",
    )
    standards: list[str] = Field(
        default_factory=list,
        description="Standard keys to enable (see docs/detection.md for the list)",
    )
    disabled_controls: dict[SecurityControlId, str] = Field(
        default_factory=dict,
        description="Security control id (e.g. 'IAM.6') -> why it is off under this policy",
    )


def _default_security_hub_policies() -> dict[str, SecurityHubPolicyConfig]:
    return {
        "default": SecurityHubPolicyConfig(
            description="AWS Foundational Security Best Practices and CIS v3.0 everywhere",
            targets=["root"],
            standards=[
                "aws-foundational-security-best-practices",
                "cis-aws-foundations-benchmark-v3.0.0",
            ],
        )
    }


class SecurityHubConfig(Model):
    """Security Hub with central configuration, administered from the audit account."""

    enabled: bool = Field(default=True, description="Enable Security Hub organization-wide")
    policies: dict[Key, SecurityHubPolicyConfig] = Field(
        default_factory=_default_security_hub_policies,
        description="Configuration policies by key; exactly one must target 'root'",
    )


class ConformancePackConfig(Model):
    """The organization conformance pack of detective guardrails (AWS Config rules)."""

    enabled: bool = Field(
        default=True,
        description="Deploy the Control Tower detective controls as an organization "
        "conformance pack in every governed region",
    )
    disabled_rules: dict[str, str] = Field(
        default_factory=dict,
        description="Rule id (docs/detection.md) -> why it is left out",
    )


class UnusedAccessAnalyzerConfig(Model):
    """The organization unused-access analyzer (priced per IAM role and user analysed)."""

    enabled: bool = Field(
        default=False,
        description="Find unused roles, users, permissions and keys across the organization "
        "(about USD 0.20 per role or user a month)",
    )
    unused_access_age_days: int = Field(
        default=90, ge=1, le=365, description="Days without use before access counts as unused"
    )


class AccessAnalyzerConfig(Model):
    """IAM Access Analyzer with the organization as zone of trust (audit account)."""

    organization: bool = Field(
        default=True,
        description="An organization external-access analyzer in every governed region (free)",
    )
    unused_access: UnusedAccessAnalyzerConfig = Field(default_factory=UnusedAccessAnalyzerConfig)


InspectorScan = Literal["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"]


class InspectorConfig(Model):
    """Amazon Inspector vulnerability scanning, organization-wide."""

    enabled: bool = Field(default=True, description="Enable Inspector organization-wide")
    scan_types: list[InspectorScan] = Field(
        default_factory=lambda: list[InspectorScan](["EC2", "ECR", "LAMBDA"]),
        min_length=1,
        description="What Inspector scans: EC2 instances, ECR images, Lambda functions "
        "(packages) and Lambda code",
    )


class MacieConfig(Model):
    """Amazon Macie, organization-wide (off by default: see the cost note)."""

    # Off by default: Macie bills every account for the S3 buckets it
    # inventories (per bucket a month) and for every GB automated sensitive
    # data discovery inspects; across a large organization that is the most
    # expensive service here, and most accounts hold no sensitive data.
    # Turn it on where PCI DSS or personal data demand it.
    enabled: bool = Field(
        default=False,
        description="Enable Macie organization-wide (billed per bucket and per GB inspected)",
    )
    finding_publishing_frequency: GuardDutyFrequency = Field(
        default="FIFTEEN_MINUTES", description="How often finding updates reach EventBridge"
    )


class DetectiveConfig(Model):
    """Amazon Detective behaviour graph, organization-wide."""

    enabled: bool = Field(default=True, description="Enable Detective organization-wide")


class SlackConfig(Model):
    """An AWS Chatbot (Amazon Q Developer in chat applications) Slack channel."""

    workspace_id: str = Field(
        pattern=r"^[0-9A-Z]{1,255}$",
        description="Slack workspace (team) id, e.g. T012ABCDE; authorize the workspace "
        "in the Chatbot console of the audit account first",
    )
    channel_id: str = Field(
        pattern=r"^[A-Za-z0-9]{9,11}$", description="Slack channel id, e.g. C0123456789"
    )


SeverityLabel = Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


class FindingsNotificationsConfig(Model):
    """Who hears about findings: one topic in the audit account's home region."""

    emails: list[NotificationEmail] = Field(
        default_factory=list,
        description="Email addresses subscribed to the findings topic (each must confirm)",
    )
    security_hub_min_severity: SeverityLabel = Field(
        default="HIGH",
        description="Security Hub findings at or above this severity label are sent",
    )
    guardduty_min_severity: float = Field(
        default=7.0,
        ge=1.0,
        le=10.0,
        description="GuardDuty findings at or above this severity (1.0-10.0; 7.0 = High, "
        "9.0 = Critical) are sent",
    )
    slack: SlackConfig | None = Field(
        default=None, description="Optional Slack channel for the same findings"
    )


class DetectionConfig(Model):
    """Detection services with the audit account as delegated administrator."""

    guardduty: GuardDutyConfig = Field(default_factory=GuardDutyConfig)
    security_hub: SecurityHubConfig = Field(default_factory=SecurityHubConfig)
    conformance_pack: ConformancePackConfig = Field(default_factory=ConformancePackConfig)
    config_aggregator: bool = Field(
        default=True,
        description="An organization-wide AWS Config aggregator in the audit account",
    )
    access_analyzer: AccessAnalyzerConfig = Field(default_factory=AccessAnalyzerConfig)
    inspector: InspectorConfig = Field(default_factory=InspectorConfig)
    macie: MacieConfig = Field(default_factory=MacieConfig)
    detective: DetectiveConfig = Field(default_factory=DetectiveConfig)
    notifications: FindingsNotificationsConfig = Field(default_factory=FindingsNotificationsConfig)


# ---- checks -----------------------------------------------------------------------


def trusted_access_enabled(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork gives trusted access to every service principal an enabled service needs."""
    if config.business_unit:
        return
    trusted = set(config.organization_features.trusted_services)
    for principal, needed_by in required_trusted_services(config.detection).items():
        if principal not in trusted:
            yield Problem(
                ("organization_features", "trusted_services"),
                f"{needed_by} needs trusted access for '{principal}'; add it to "
                "organization_features.trusted_services (or turn the service off)",
            )


def _hub_policies(
    config: LandingZoneConfig,
) -> Iterator[tuple[Location, SecurityHubPolicyConfig]]:
    """``(location, policy)`` of every Security Hub policy; none while Security Hub is off."""
    hub = config.detection.security_hub
    if hub.enabled:
        for key, policy in hub.policies.items():
            yield ("detection", "security_hub", "policies", key), policy


def security_hub_root_not_in_business_unit(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit's Security Hub policies target its own OUs, not the root."""
    if not config.business_unit:
        return
    for base, policy in _hub_policies(config):
        for index, target in enumerate(policy.targets):
            if target == "root":
                yield Problem(
                    (*base, "targets", index),
                    "a business unit does not own the root (the core's policy covers it); "
                    "target this fork's own OU keys",
                )


def security_hub_targets_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every Security Hub policy target is 'root' or an OU key."""
    ou_keys = config.tree.parents
    for base, policy in _hub_policies(config):
        for index, target in enumerate(policy.targets):
            if target != "root" and target not in ou_keys:
                close = difflib.get_close_matches(target, sorted(ou_keys), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield Problem(
                    (*base, "targets", index),
                    f"'{target}' is not an OU key; {hint}use 'root' or an OU key",
                )


def security_hub_target_one_policy(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each target is associated with one Security Hub policy."""
    ou_keys = config.tree.parents
    targeted: dict[str, str] = {}
    for base, policy in _hub_policies(config):
        policy_key = str(base[-1])
        for index, target in enumerate(policy.targets):
            if target == "root" and config.business_unit:
                continue
            if target != "root" and target not in ou_keys:
                continue
            if target in targeted:
                yield Problem(
                    (*base, "targets", index),
                    f"'{target}' is already associated with policy '{targeted[target]}'; "
                    "a target has one configuration policy",
                )
            else:
                targeted[target] = policy_key


def security_hub_policy_keys_distinct_ids(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two Security Hub policy keys become the same logical id and policy name."""
    yield from id_clashes(
        ((str(base[-1]), base) for base, _ in _hub_policies(config)),
        what="Security Hub policy key",
    )


def security_hub_standards_known(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every standard a policy enables is a known Security Hub standard."""
    for base, policy in _hub_policies(config):
        for index, standard in enumerate(policy.standards):
            if standard not in STANDARDS:
                close = difflib.get_close_matches(standard, sorted(STANDARDS), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield Problem(
                    (*base, "standards", index),
                    f"'{standard}' is not a known Security Hub standard; {hint}choose "
                    f"from {', '.join(sorted(STANDARDS))}",
                )


def security_hub_standards_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """A policy lists each standard once."""
    for base, policy in _hub_policies(config):
        for index, standard in repeats(policy.standards):
            if standard in STANDARDS:
                yield Problem(
                    (*base, "standards", index), f"'{standard}' is listed twice; remove one"
                )


def security_hub_enabled_policy_has_standards(config: LandingZoneConfig) -> Iterator[Problem]:
    """A policy that turns Security Hub on enables at least one standard."""
    for base, policy in _hub_policies(config):
        if policy.enabled and not policy.standards:
            yield Problem(
                (*base, "standards"),
                "list at least one standard (or set enabled: false to turn Security Hub "
                "off in the targets)",
            )


def security_hub_disabled_policy_is_bare(config: LandingZoneConfig) -> Iterator[Problem]:
    """A policy that turns Security Hub off enables no standard and disables no control."""
    for base, policy in _hub_policies(config):
        if not policy.enabled and (policy.standards or policy.disabled_controls):
            yield Problem(
                (*base, "enabled"),
                "a policy that turns Security Hub off cannot enable standards or "
                "disable controls; remove them",
            )


def security_hub_disabled_controls_have_reason(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every disabled control says why, in at least 10 characters."""
    for base, policy in _hub_policies(config):
        yield from unexplained(
            policy.disabled_controls,
            location=(*base, "disabled_controls"),
            what="this control is off",
        )


def security_hub_root_targeted(config: LandingZoneConfig) -> Iterator[Problem]:
    """In a core fork with Security Hub on, exactly one policy targets 'root' (new accounts too).

    "Exactly": a second one is reported as a target with two policies.
    """
    hub = config.detection.security_hub
    if not hub.enabled or config.business_unit:
        return
    if not any("root" in policy.targets for policy in hub.policies.values()):
        yield Problem(
            ("detection", "security_hub", "policies"),
            "no policy targets 'root'; exactly one policy must, so every account "
            "(including new ones) gets a Security Hub configuration",
        )


def conformance_rules_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every rule left out of the conformance pack is a detective rule id."""
    for rule_id in config.detection.conformance_pack.disabled_rules:
        if rule_id not in DETECTIVE_RULES:
            close = difflib.get_close_matches(rule_id, sorted(DETECTIVE_RULES), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                ("detection", "conformance_pack", "disabled_rules", rule_id),
                f"'{rule_id}' is not a detective rule id; {hint}see docs/detection.md",
            )


def conformance_rules_have_reason(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every rule left out of the conformance pack says why, in at least 10 characters."""
    disabled = config.detection.conformance_pack.disabled_rules
    # An unknown rule id has its own problem (conformance_rules_exist).
    yield from unexplained(
        {rule: reason for rule, reason in disabled.items() if rule in DETECTIVE_RULES},
        location=("detection", "conformance_pack", "disabled_rules"),
        what="this rule is left out",
    )


# ---- warnings: legal, but dangerous --------------------------------------------------


def findings_have_recipients(config: LandingZoneConfig) -> Iterator[Problem]:
    """Findings alerts, where this fork sends them, reach an email address or Slack."""
    detection = config.detection
    alerts = (
        config.business_unit_alerts()
        if config.business_unit
        else detection.security_hub.enabled or detection.guardduty.enabled
    )
    notifications = detection.notifications
    if alerts and not notifications.emails and notifications.slack is None:
        yield Problem(
            ("detection", "notifications"),
            "no recipients: Security Hub and GuardDuty findings go to a topic nobody is "
            "subscribed to; add emails or a slack channel",
        )


WARNINGS: tuple[Check, ...] = (findings_have_recipients,)


CHECKS: tuple[Check, ...] = (
    trusted_access_enabled,
    security_hub_root_not_in_business_unit,
    security_hub_targets_exist,
    security_hub_target_one_policy,
    security_hub_policy_keys_distinct_ids,
    security_hub_standards_known,
    security_hub_standards_listed_once,
    security_hub_enabled_policy_has_standards,
    security_hub_disabled_policy_is_bare,
    security_hub_disabled_controls_have_reason,
    security_hub_root_targeted,
    conformance_rules_exist,
    conformance_rules_have_reason,
)
