"""The `identity` section: how people get in, and how the security team investigates.

- ``root_access``: centralized root access for member accounts (root
  credentials management and task-scoped root sessions from the management
  account), so no member keeps a root password or access key;
- ``investigation_role``: a read-only role in every account that only the
  audit account can assume;
- ``break_glass``: one or two emergency roles in every account, trusting only
  named principals of one named account, with MFA, alarmed on every use.

Identity Center permission sets and assignments come later in this section.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from landing_zone.config.types import AccountId, Check, Key, Model, Problem

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

# The organization's trusted access for IAM: both root access features
# require it ("Enable trusted access for AWS Identity and Access Management
# in AWS Organizations" is a prerequisite of each).
# See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootCredentialsManagement.html
# See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootSessions.html
IAM_PRINCIPAL = "iam.amazonaws.com"
# The two features, as IAM's ListOrganizationsFeatures names them: root
# credentials management (delete and audit members' root credentials, no root
# password recovery) and root sessions (sts:AssumeRoot task sessions).
# See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
ROOT_ACCESS_FEATURES = ("RootCredentialsManagement", "RootSessions")


class RootAccessConfig(Model):
    """Centralized root access for member accounts (core mode only).

    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management
    """

    enabled: bool = Field(
        default=True,
        description="Enable root credentials management and root sessions for member accounts "
        "(needs iam.amazonaws.com in organization_features.trusted_services); the management "
        "account can then delete a member's root credentials and take task-scoped root "
        "sessions (sts:AssumeRoot). Turning it off later leaves both features on: disable them "
        "by hand (docs/identity.md)",
    )


def root_access_enabled(config: LandingZoneConfig) -> bool:
    """Whether this fork enables centralized root access (the core does, for the organization)."""
    return not config.business_unit and config.identity.root_access.enabled


class InvestigationRoleConfig(Model):
    """A read-only role in every account, assumable only from the audit account.

    Named with the core's prefix in every fork (``<Core>-Investigation``): one
    name for the security team in every account, the name the core's findings
    alerts link to, and one the core's guardrails protect everywhere.
    """

    enabled: bool = Field(
        default=True,
        description="Deploy <Prefix>-Investigation (SecurityAudit and ViewOnlyAccess) to every "
        "account the baseline reaches, trusting only the audit account",
    )
    max_session_hours: int = Field(
        default=1,
        ge=1,
        le=12,
        description="Maximum session duration of the role, in hours (console switch-role "
        "sessions; CLI and API sessions assumed from another role are capped at 1 hour)",
    )


def investigation_role_name(config: LandingZoneConfig) -> str:
    """``<Prefix>-Investigation``, with the core's prefix in a business-unit fork."""
    core = config.core
    prefix = core.prefix if config.business_unit and core is not None else config.prefix
    return f"{prefix}-Investigation"


class BreakGlassRoleConfig(Model):
    """An emergency role deployed to every account: <Prefix>-BreakGlass-<Key>."""

    trusted_account: AccountId = Field(
        description="The one account whose principals may assume the role (the management "
        "account, or a security tooling account)"
    )
    trusted_principals: list[str] = Field(
        min_length=1,
        max_length=10,
        description="IAM role or user ARNs in trusted_account that may assume the role, with MFA",
    )
    max_session_hours: int = Field(
        default=1, ge=1, le=12, description="Maximum session duration of the role, in hours"
    )


class IdentityConfig(Model):
    """Identity and access: root access, the investigation role, break-glass roles."""

    root_access: RootAccessConfig = Field(default_factory=RootAccessConfig)
    investigation_role: InvestigationRoleConfig = Field(default_factory=InvestigationRoleConfig)
    break_glass: dict[Key, BreakGlassRoleConfig] = Field(
        default_factory=dict,
        max_length=2,
        description="Break-glass roles by key: each becomes <Prefix>-BreakGlass-<Key> in every "
        "account and a privileged principal; every use raises an alarm",
    )


# ---- checks -----------------------------------------------------------------------


def root_access_needs_iam_trusted_access(config: LandingZoneConfig) -> Iterator[Problem]:
    """With centralized root access on, IAM has trusted access in the organization."""
    if root_access_enabled(config) and IAM_PRINCIPAL not in (
        config.organization_features.trusted_services
    ):
        yield Problem(
            ("organization_features", "trusted_services"),
            f"identity.root_access needs trusted access for '{IAM_PRINCIPAL}' (AWS requires it "
            "before root credentials management and root sessions can be enabled); add it to "
            "organization_features.trusted_services, or set identity.root_access.enabled: false",
        )


def business_unit_leaves_root_access(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit leaves centralized root access to the core (it is organization-wide)."""
    if config.business_unit and "root_access" in config.identity.model_fields_set:
        yield Problem(
            ("identity", "root_access"),
            "centralized root access is on or off for the whole organization, which the core "
            "fork decides (it runs in the management account); remove this field",
        )


def business_unit_investigation_role_with_own_baseline(
    config: LandingZoneConfig,
) -> Iterator[Problem]:
    """A business unit sets the investigation role only if its own baseline deploys it."""
    if (
        config.business_unit
        and not config.baseline.targets
        and "investigation_role" in config.identity.model_fields_set
    ):
        yield Problem(
            ("identity", "investigation_role"),
            "this fork deploys no baseline (baseline.targets is []): the core's baseline "
            "deploys the investigation role to this business unit's accounts, from the "
            "core's config. Remove this field, or list this fork's OU keys in "
            "baseline.targets",
        )


CHECKS: tuple[Check, ...] = (
    root_access_needs_iam_trusted_access,
    business_unit_leaves_root_access,
    business_unit_investigation_role_with_own_baseline,
)
