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

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from landing_zone.config.types import AccountId, Check, Key, Model, Problem, repeats
from landing_zone.naming import break_glass_role_name

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


# An IAM user or role, by its exact ARN: arn:<partition>:iam::<account>:<user|role>/<path/>name.
# Names and paths are alphanumerics and +=,.@_- (paths add /).
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
_TRUSTED_ARN = re.compile(
    r"arn:(?P<partition>aws[\w-]*):iam::(?P<account>\d{12}):(?P<kind>user|role)/"
    r"(?P<name>(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64})",
    re.ASCII,
)
_TRUSTED_EXAMPLE = "arn:aws:iam::111111111111:role/AcmeSecurityOncall"


def _trusted_principal(value: str) -> str:
    """Field validator: one exact IAM user or role ARN (no wildcards, no account root)."""
    if "*" in value or "?" in value:
        problem = (
            "a break-glass role trusts named principals only: a wildcard would let whoever "
            "creates a matching user or role assume it; name each user or role exactly"
        )
    elif re.fullmatch(r"arn:[\w-]+:iam::\d{12}:root|\d{12}", value):
        problem = (
            "trusting an account lets every principal there that an IAM policy allows "
            "sts:AssumeRole assume the role; name the users or roles that may"
        )
    elif value.startswith("arn:") and ":sts::" in value:
        problem = (
            "an assumed-role session ARN names one session, not who may assume the role; "
            "name the role (arn:...:iam::<account>:role/<name>)"
        )
    elif _TRUSTED_ARN.fullmatch(value) is None:
        problem = f"'{value}' is not an IAM user or role ARN; write it like {_TRUSTED_EXAMPLE}"
    else:
        return value
    raise PydanticCustomError("break_glass_trusted_principal", "{problem}", {"problem": problem})


TrustedPrincipal = Annotated[
    str,
    AfterValidator(_trusted_principal),
    Field(description="An IAM user or role ARN, exactly (no wildcards)"),
]


class BreakGlassRoleConfig(Model):
    """An emergency role deployed to every account: <Prefix>-BreakGlass-<Key>."""

    trusted_account: AccountId = Field(
        description="The account whose principals may assume the role: the management "
        "account (whoever administers the trusted principals can become administrator of "
        "every account, so they must live where only the CCoE is administrator)"
    )
    trusted_principals: list[TrustedPrincipal] = Field(
        min_length=1,
        max_length=10,
        description="IAM role or user ARNs in trusted_account that may assume the role, with "
        "MFA: IAM users calling AssumeRole with their MFA device, or roles whose own session "
        "was created with MFA (docs/identity.md, Break-glass)",
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


def break_glass_role_arns(config: LandingZoneConfig) -> tuple[str, ...]:
    """The ARN pattern of each break-glass role in every account: privileged principals.

    Every guardrail that exempts the privileged principals exempts these
    too (and protect-privileged-roles reserves their names), so a config
    need not list them in ``privileged_principals``.
    """
    return tuple(
        f"arn:{config.partition}:iam::*:role/{break_glass_role_name(config.prefix, key)}"
        for key in config.identity.break_glass
    )


# IAM role names are at most 64 characters.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_ROLE_NAME = 64


def break_glass_core_only(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit defines no break-glass roles: the core's reach every account already."""
    if config.business_unit and config.identity.break_glass:
        yield Problem(
            ("identity", "break_glass"),
            "break-glass roles belong to the core fork: its StackSet deploys them to every "
            "account of the organization, this fork's included. Remove them here and list "
            "the core's role (arn:...:iam::*:role/<CorePrefix>-BreakGlass-<Key>) in "
            "privileged_principals so this fork's guardrails exempt it too",
        )


def break_glass_role_names_fit(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each break-glass role name fits IAM's 64 characters."""
    for key in config.identity.break_glass:
        name = break_glass_role_name(config.prefix, key)
        if len(name) > MAX_ROLE_NAME:
            yield Problem(
                ("identity", "break_glass", key),
                f"the role would be named '{name}' ({len(name)} characters); IAM allows "
                f"{MAX_ROLE_NAME}. Use a shorter key",
            )


def break_glass_trusted_by_the_management_account(
    config: LandingZoneConfig,
) -> Iterator[Problem]:
    """Break-glass roles trust principals of the management account only.

    Whoever administers the trusted principals can re-trust a role or give a
    user a new key and MFA device, then become administrator of every
    account. In a member account, that is every admin of that account; the
    management account's admins already hold the organization. An account
    outside the organization would also be refused by the data-perimeter RCP
    in every member account.
    """
    management = config.organization.management_account_id
    for key, role in config.identity.break_glass.items():
        if role.trusted_account != management:
            yield Problem(
                ("identity", "break_glass", key, "trusted_account"),
                f"break-glass roles must trust the management account ({management}): the "
                f"admins of {role.trusted_account} could re-trust a trusted principal to "
                "themselves and become administrator of every account; name principals of "
                "the management account",
            )


def break_glass_principals_in_trusted_account(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every trusted principal lives in trusted_account, in the home region's partition."""
    for key, role in config.identity.break_glass.items():
        for index, arn in enumerate(role.trusted_principals):
            location = ("identity", "break_glass", key, "trusted_principals", index)
            partition, account = arn.split(":")[1], arn.split(":")[4]
            if account != role.trusted_account:
                yield Problem(
                    location,
                    f"'{arn}' is in account {account}, but trusted_account is "
                    f"{role.trusted_account}: a break-glass role trusts principals of one "
                    "account only; move the principal there or change trusted_account",
                )
            if partition != config.partition:
                yield Problem(
                    location,
                    f"ARN partition '{partition}' differs from the home region's partition "
                    f"'{config.partition}'; write arn:{config.partition}:iam::...",
                )
        for index, arn in repeats(role.trusted_principals):
            yield Problem(
                ("identity", "break_glass", key, "trusted_principals", index),
                f"'{arn}' is listed twice; remove the repeat",
            )


CHECKS: tuple[Check, ...] = (
    root_access_needs_iam_trusted_access,
    business_unit_leaves_root_access,
    business_unit_investigation_role_with_own_baseline,
    break_glass_core_only,
    break_glass_trusted_by_the_management_account,
    break_glass_role_names_fit,
    break_glass_principals_in_trusted_account,
)
