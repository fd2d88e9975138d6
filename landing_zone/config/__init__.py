"""The one typed config of a business unit's landing zone.

``load_config`` reads a YAML file from ``config/``, validates it with pydantic
(``extra="forbid"``, frozen models) and a second pass of cross-field checks,
and raises :class:`ConfigError` whose message names the file, the line, the
dotted field, what is wrong and what to do. Nothing here imports aws_cdk, so a
bad config fails in well under a second, before the CDK app starts.

One module per config section holds its models and, beside them, its
cross-field checks: small functions, one rule each, whose docstring states
the compliant condition (``config in, problems out``), listed in the module's
``CHECKS``. Settings that are legal but dangerous have checks of the same
shape in the module's ``WARNINGS``: ``load_config_and_warnings`` reports them
as ``warning: file:line: field: message`` lines and validation still passes.
``root`` holds :class:`LandingZoneConfig`, its derived views and the order
the checks run in; ``types`` the shared scalar types and the ``Model`` base;
``loading`` the loader and its error messages.
"""

from __future__ import annotations

from landing_zone.config.baseline import (
    BackupConfig,
    BaselineConfig,
    ConfigFrequency,
    ConfigRecorderConfig,
    PasswordPolicyConfig,
    StackSetPreferencesConfig,
    VaultLockConfig,
    config_resource_types,
)
from landing_zone.config.detection import (
    AccessAnalyzerConfig,
    ConformancePackConfig,
    DetectionConfig,
    DetectiveConfig,
    FindingsNotificationsConfig,
    GuardDutyConfig,
    GuardDutyFrequency,
    GuardDutyPlansConfig,
    InspectorConfig,
    InspectorScan,
    MacieConfig,
    SecurityControlId,
    SecurityHubConfig,
    SecurityHubPolicyConfig,
    SeverityLabel,
    SlackConfig,
    UnusedAccessAnalyzerConfig,
)
from landing_zone.config.guardrails import (
    GuardrailQuotas,
    GuardrailsConfig,
    PackId,
    guardrail_inputs,
)
from landing_zone.config.loading import ConfigError, load_config, load_config_and_warnings
from landing_zone.config.logging import (
    CloudTrailLakeConfig,
    DataEventsConfig,
    LogArchiveConfig,
    MonitoringConfig,
    ObjectLockConfig,
    OrganizationTrailConfig,
    TransitionConfig,
)
from landing_zone.config.organization import (
    BUSINESS_UNIT_DETECTION,
    CORE_ONLY_PACKS,
    CORE_ONLY_SECTIONS,
    DEFAULT_POLICY_TYPES,
    DEFAULT_TRUSTED_SERVICES,
    MAX_ACCOUNT_STACKS,
    MAX_OU_DEPTH,
    OU_ID_PATTERN,
    ROOT_ID_PATTERN,
    TRUSTED_SERVICES,
    AccountConfig,
    CoreAccountsConfig,
    CoreLogArchiveReference,
    CoreReference,
    OrganizationalUnitConfig,
    OrganizationConfig,
    OrganizationFeaturesConfig,
    PolicyType,
    PrivilegedPrincipal,
    RegionsConfig,
    TrustedService,
)
from landing_zone.config.root import LandingZoneConfig
from landing_zone.config.types import (
    LOG_RETENTION_DAYS,
    AccountId,
    Check,
    CrossFieldProblems,
    Email,
    Key,
    Location,
    LogRetentionDays,
    Model,
    NotificationEmail,
    Problem,
    Region,
    dotted,
    known_regions,
    partition_of,
)
from landing_zone.detection_services import required_trusted_services

__all__ = [
    "BUSINESS_UNIT_DETECTION",
    "CORE_ONLY_PACKS",
    "CORE_ONLY_SECTIONS",
    "DEFAULT_POLICY_TYPES",
    "DEFAULT_TRUSTED_SERVICES",
    "LOG_RETENTION_DAYS",
    "MAX_ACCOUNT_STACKS",
    "MAX_OU_DEPTH",
    "OU_ID_PATTERN",
    "ROOT_ID_PATTERN",
    "TRUSTED_SERVICES",
    "AccessAnalyzerConfig",
    "AccountConfig",
    "AccountId",
    "BackupConfig",
    "BaselineConfig",
    "Check",
    "CloudTrailLakeConfig",
    "ConfigError",
    "ConfigFrequency",
    "ConfigRecorderConfig",
    "ConformancePackConfig",
    "CoreAccountsConfig",
    "CoreLogArchiveReference",
    "CoreReference",
    "CrossFieldProblems",
    "DataEventsConfig",
    "DetectionConfig",
    "DetectiveConfig",
    "Email",
    "FindingsNotificationsConfig",
    "GuardDutyConfig",
    "GuardDutyFrequency",
    "GuardDutyPlansConfig",
    "GuardrailQuotas",
    "GuardrailsConfig",
    "InspectorConfig",
    "InspectorScan",
    "Key",
    "LandingZoneConfig",
    "Location",
    "LogArchiveConfig",
    "LogRetentionDays",
    "MacieConfig",
    "Model",
    "MonitoringConfig",
    "NotificationEmail",
    "ObjectLockConfig",
    "OrganizationConfig",
    "OrganizationFeaturesConfig",
    "OrganizationTrailConfig",
    "OrganizationalUnitConfig",
    "PackId",
    "PasswordPolicyConfig",
    "PolicyType",
    "PrivilegedPrincipal",
    "Problem",
    "Region",
    "RegionsConfig",
    "SecurityControlId",
    "SecurityHubConfig",
    "SecurityHubPolicyConfig",
    "SeverityLabel",
    "SlackConfig",
    "StackSetPreferencesConfig",
    "TransitionConfig",
    "TrustedService",
    "UnusedAccessAnalyzerConfig",
    "VaultLockConfig",
    "config_resource_types",
    "dotted",
    "guardrail_inputs",
    "known_regions",
    "load_config",
    "load_config_and_warnings",
    "partition_of",
    "required_trusted_services",
]
