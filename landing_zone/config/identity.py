"""The `identity` section: how people get in, and how the security team investigates.

- ``root_access``: centralized root access for member accounts (root
  credentials management and task-scoped root sessions from the management
  account), so no member keeps a root password or access key;
- ``investigation_role``: a read-only role in every account that only the
  audit account can assume;
- ``break_glass``: one or two emergency roles in every account, trusting only
  named principals of one named account, with MFA, alarmed on every use.

- ``identity_center``: IAM Identity Center permission sets, and which
  groups get which of them in which accounts of the config.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field, PrivateAttr, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from landing_zone.config.types import (
    AccountId,
    Check,
    Key,
    Model,
    Problem,
    Region,
    partition_of,
    repeats,
)
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


# ---- IAM Identity Center: permission sets and assignments -------------------------

# The instance and identity store, as the sso-admin and identitystore APIs
# spell them (botocore's service models carry the same patterns).
# See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_PermissionSet.html
# See: https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_GetGroupId.html
INSTANCE_ARN_PATTERN = r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$"
IDENTITY_STORE_ID_PATTERN = r"^d-[0-9a-f]{10}$"
# Permission set names: 1-32 characters of [\w+=,.@-], ASCII only (pydantic's
# regex engine reads \w as any Unicode letter, which the API refuses);
# descriptions up to 700 characters of tab, newline, carriage return, printable
# ASCII and Latin-1 (U+00A1-U+00FF).
# See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreatePermissionSet.html
PERMISSION_SET_NAME_PATTERN = r"^[A-Za-z0-9_+=,.@-]{1,32}$"
PERMISSION_SET_DESCRIPTION_PATTERN = r"^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$"
# An AWS managed policy: arn:<partition>:iam::aws:policy/<path/>name.
# See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_AttachManagedPolicyToPermissionSet.html
_MANAGED_POLICY_ARN = re.compile(
    r"arn:(?P<partition>aws(-[a-z]{1,5}){0,3}):iam::aws:policy((/[A-Za-z0-9.,+@=_-]+)*)/"
    r"[A-Za-z0-9.,+=@_-]+",
    re.ASCII,
)
_MANAGED_POLICY_NAME = re.compile(r"([A-Za-z0-9.,+@=_-]+/)*[A-Za-z0-9.,+=@_-]+", re.ASCII)
# Customer managed policy references: a name and a path.
# See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CustomerManagedPolicyReference.html
_CUSTOMER_POLICY_PATH = r"^((/[A-Za-z0-9.,+@=_-]+)*)/$"

# IAM Identity Center quotas (none adjustable but the first): permission sets
# per instance, AWS managed plus customer managed policies per permission set
# (IAM's own default is 10 per role, raisable to 20 in each account), and the
# one inline policy's size: 32,768 bytes, at most 10,240 of them
# non-whitespace.
# See: https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html
MAX_PERMISSION_SETS = 3500
MAX_POLICIES_PER_PERMISSION_SET = 20
IAM_DEFAULT_POLICIES_PER_ROLE = 10
MAX_INLINE_POLICY_BYTES = 32_768
MAX_INLINE_POLICY_NON_WHITESPACE = 10_240
# Session duration: 1 to 12 hours, ISO-8601.
# See: https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html
_SESSION_DURATION = re.compile(r"PT(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?")


def _managed_policy(value: str) -> str:
    """Field validator: an AWS managed policy name (``ReadOnlyAccess``, ``job-function/Billing``)
    or its ARN (``arn:aws:iam::aws:policy/ReadOnlyAccess``)."""
    if value.startswith("arn:"):
        if _MANAGED_POLICY_ARN.fullmatch(value) is None:
            raise PydanticCustomError(
                "managed_policy_arn",
                "'{value}' is not an AWS managed policy ARN; write it like "
                "arn:aws:iam::aws:policy/ReadOnlyAccess, or give the name alone. A policy of "
                "your own goes in customer_managed_policies",
                {"value": value},
            )
    elif _MANAGED_POLICY_NAME.fullmatch(value) is None:
        raise PydanticCustomError(
            "managed_policy_name",
            "'{value}' is not an AWS managed policy name; write it like ReadOnlyAccess or "
            "job-function/Billing",
            {"value": value},
        )
    return value


ManagedPolicy = Annotated[
    str,
    AfterValidator(_managed_policy),
    Field(
        description="An AWS managed policy name (e.g. ReadOnlyAccess, job-function/Billing) or ARN"
    ),
]


def managed_policy_name(policy: str) -> str:
    """An AWS managed policy's name with its path (``job-function/Billing``), from name or ARN."""
    match = _MANAGED_POLICY_ARN.fullmatch(policy)
    return policy.split(":policy/", 1)[1] if match is not None else policy


def _session_duration(value: str) -> str:
    """Field validator: ISO-8601 ``PT<h>H[<m>M]`` from 1 to 12 hours."""
    match = _SESSION_DURATION.fullmatch(value)
    minutes = (
        int(match["hours"] or 0) * 60 + int(match["minutes"] or 0) if match and value != "PT" else 0
    )
    if not 60 <= minutes <= 720:
        raise PydanticCustomError(
            "session_duration",
            "'{value}' is not a session duration IAM Identity Center accepts: write an ISO-8601 "
            "duration from PT1H to PT12H, e.g. PT4H or PT1H30M",
            {"value": value},
        )
    return value


class CustomerManagedPolicyRef(Model):
    """A customer managed policy, by name and path, that must exist in every assigned account."""

    # See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CustomerManagedPolicyReference.html
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_+=,.@-]+$")
    path: str = Field(default="/", min_length=1, max_length=512, pattern=_CUSTOMER_POLICY_PATH)


class PermissionsBoundaryConfig(Model):
    """A permission set's permissions boundary: one AWS managed or one customer managed policy."""

    managed_policy: ManagedPolicy | None = None
    customer_managed_policy: CustomerManagedPolicyRef | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> PermissionsBoundaryConfig:
        if (self.managed_policy is None) == (self.customer_managed_policy is None):
            raise PydanticCustomError(
                "permissions_boundary",
                "set exactly one of 'managed_policy' or 'customer_managed_policy'",
            )
        return self


def config_directory(info: ValidationInfo) -> Path:
    """Where files a config names live: its own directory (``config/`` when run from the repo)."""
    context = info.context if isinstance(info.context, dict) else {}
    directory = context.get("config_dir")
    return Path(directory) if directory is not None else Path("config")


def _inline_policy_problem(path: str, directory: Path) -> tuple[str, dict[str, Any] | None]:
    """Why ``path`` (relative to ``directory``) is not a usable inline policy, or its document."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        return (
            f"'{path}' must be a path relative to the config file's directory, inside it "
            "(e.g. policies/read-logs.json)",
            None,
        )
    file = directory / relative
    if not file.is_file():
        return f"no such file '{file}'; create it or fix the path", None
    # A symlink may point anywhere: what counts is where it leads.
    if not file.resolve().is_relative_to(directory.resolve()):
        return (
            f"'{file}' leads outside the config file's directory (to '{file.resolve()}'); "
            "copy the policy next to the config",
            None,
        )
    text = file.read_text(encoding="utf-8")
    size = len(text.encode())
    non_whitespace = len("".join(text.split()).encode())
    if size > MAX_INLINE_POLICY_BYTES or non_whitespace > MAX_INLINE_POLICY_NON_WHITESPACE:
        return (
            f"'{file}' is {size} bytes, {non_whitespace} of them not whitespace; IAM Identity "
            f"Center allows {MAX_INLINE_POLICY_BYTES} and {MAX_INLINE_POLICY_NON_WHITESPACE}. "
            "Move statements to a customer managed policy",
            None,
        )
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as error:
        return f"'{file}' is not JSON ({error}); write an IAM policy document", None
    except _DuplicateKeyError as error:
        # json.loads keeps the last of two equal keys silently; IAM may read another.
        return f"'{file}' has the key '{error.key}' twice in one object; keep one", None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not (
        isinstance(document, dict)
        and document.get("Version") == "2012-10-17"
        and isinstance(statements, (list, dict))
        and statements
    ):
        return (
            f'\'{file}\' is not an IAM policy document: it needs "Version": "2012-10-17" and a '
            'non-empty "Statement"',
            None,
        )
    for position, statement in enumerate(
        statements if isinstance(statements, list) else [statements]
    ):
        if not (
            isinstance(statement, dict)
            and statement.get("Effect") in ("Allow", "Deny")
            and ("Action" in statement or "NotAction" in statement)
        ):
            return (
                f"'{file}': statement {position} is not an IAM statement: each needs "
                '"Effect" ("Allow" or "Deny") and "Action" or "NotAction"',
                None,
            )
    return "", document


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook: the object, or :class:`_DuplicateKeyError` on a repeated key."""
    for _, key in repeats([key for key, _ in pairs]):
        raise _DuplicateKeyError(key)
    return dict(pairs)


class PermissionSetConfig(Model):
    """An IAM Identity Center permission set: the role its users get in each assigned account."""

    name: str = Field(
        pattern=PERMISSION_SET_NAME_PATTERN,
        description="The permission set's name (1-32 of letters, digits and +=,.@_-); its role "
        "in each account is AWSReservedSSO_<name>_<suffix>",
    )
    description: str | None = Field(
        default=None, min_length=1, max_length=700, pattern=PERMISSION_SET_DESCRIPTION_PATTERN
    )
    managed_policies: list[ManagedPolicy] = Field(
        default_factory=list, description="AWS managed policies, by name or ARN"
    )
    customer_managed_policies: list[CustomerManagedPolicyRef] = Field(
        default_factory=list,
        description="Customer managed policies by name and path; each must exist in every "
        "account the permission set is assigned in before the assignment",
    )
    inline_policy: str | None = Field(
        default=None,
        description="A JSON IAM policy file, relative to the config file's directory (e.g. "
        "policies/read-logs.json)",
    )
    permissions_boundary: PermissionsBoundaryConfig | None = None
    session_duration: Annotated[str, AfterValidator(_session_duration)] = Field(
        default="PT1H", description="How long a session lasts: ISO-8601, PT1H to PT12H"
    )
    _inline_document: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _read_inline_policy(self, info: ValidationInfo) -> PermissionSetConfig:
        if self.inline_policy is not None:
            problem, document = _inline_policy_problem(self.inline_policy, config_directory(info))
            if document is None:
                raise PydanticCustomError("inline_policy", "{problem}", {"problem": problem})
            self._inline_document = document
        return self

    @property
    def inline_document(self) -> dict[str, Any] | None:
        """The inline policy, parsed (read and checked when the config was loaded)."""
        return self._inline_document


def _not_blank(value: str) -> str:
    """Field validator: not only whitespace."""
    if not value.strip():
        raise PydanticCustomError(
            "blank", "a group's display name cannot be blank; copy it from Identity Center"
        )
    return value


class AssignmentConfig(Model):
    """One group given one permission set in every member account its targets reach."""

    group: Annotated[str, AfterValidator(_not_blank)] = Field(
        min_length=1,
        max_length=1024,
        description="The group's display name in the identity store (synced from your IdP "
        "by SCIM, or created in Identity Center); resolved to its id at deploy time",
    )
    permission_set: Key = Field(description="A key of identity_center.permission_sets")
    targets: list[str] = Field(
        min_length=1,
        description="'root' (every member account of the organization), OU keys (every "
        "account in the OU's subtree, including accounts created or moved there outside this "
        "config) or account keys",
    )


class IdentityCenterConfig(Model):
    """IAM Identity Center permission sets and group assignments (core fork only)."""

    instance_arn: str = Field(
        pattern=INSTANCE_ARN_PATTERN,
        description="The organization instance: `aws sso-admin list-instances` in its region",
    )
    identity_store_id: str = Field(
        pattern=IDENTITY_STORE_ID_PATTERN,
        description="The instance's identity store (d-xxxxxxxxxx): `aws sso-admin list-instances`",
    )
    region: Region = Field(description="The region the Identity Center instance lives in")
    permission_sets: dict[Key, PermissionSetConfig] = Field(
        default_factory=dict, max_length=MAX_PERMISSION_SETS
    )
    assignments: list[AssignmentConfig] = Field(default_factory=list)


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
    identity_center: IdentityCenterConfig | None = Field(
        default=None,
        description="IAM Identity Center permission sets and group assignments (core fork "
        "only); the instance, its identity source and the groups are set up by hand once "
        "(docs/identity.md)",
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


# ---- Identity Center checks ---------------------------------------------------------

_IDC = ("identity", "identity_center")


def identity_center_core_only(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit leaves Identity Center to the core (one instance per organization)."""
    if config.business_unit and config.identity.identity_center is not None:
        yield Problem(
            _IDC,
            "IAM Identity Center has one organization instance, administered from the "
            "management account, which the core fork deploys from: ask the core to add this "
            "business unit's permission sets and assignments (targets may name this fork's "
            "OUs), and remove this field",
        )


def identity_center_in_home_partition(config: LandingZoneConfig) -> Iterator[Problem]:
    """The instance, its region and every managed policy ARN are in the home region's partition."""
    center = config.identity.identity_center
    if center is None:
        return
    wanted = config.partition
    instance_partition = center.instance_arn.split(":")[1]
    if instance_partition != wanted:
        yield Problem(
            (*_IDC, "instance_arn"),
            f"the instance ARN is in partition '{instance_partition}' but the home region is "
            f"in '{wanted}'; write arn:{wanted}:sso:::instance/...",
        )
    if partition_of(center.region) != wanted:
        yield Problem(
            (*_IDC, "region"),
            f"'{center.region}' is not in the home region's partition '{wanted}'; give the "
            "region your Identity Center instance lives in (the console's Settings page)",
        )
    for key, permission_set in center.permission_sets.items():
        boundary = permission_set.permissions_boundary
        policies = [*permission_set.managed_policies]
        if boundary is not None and boundary.managed_policy is not None:
            policies.append(boundary.managed_policy)
        for policy in policies:
            match = _MANAGED_POLICY_ARN.fullmatch(policy)
            if match is not None and match["partition"] != wanted:
                yield Problem(
                    (*_IDC, "permission_sets", key),
                    f"'{policy}' is in partition '{match['partition']}', the home region in "
                    f"'{wanted}'; write arn:{wanted}:iam::aws:policy/... or the name alone",
                )


def permission_sets_fit_quotas(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each permission set has at most 20 managed policies and a name no other one has."""
    center = config.identity.identity_center
    if center is None:
        return
    seen: dict[str, str] = {}
    for key, permission_set in center.permission_sets.items():
        count = len(permission_set.managed_policies) + len(permission_set.customer_managed_policies)
        if count > MAX_POLICIES_PER_PERMISSION_SET:
            yield Problem(
                (*_IDC, "permission_sets", key),
                f"{count} managed policies; IAM Identity Center allows "
                f"{MAX_POLICIES_PER_PERMISSION_SET} per permission set (and IAM "
                f"{IAM_DEFAULT_POLICIES_PER_ROLE} per role unless raised in each account). "
                "Combine them into a customer managed policy or the inline policy",
            )
        names = [managed_policy_name(p) for p in permission_set.managed_policies]
        for index, name in repeats(names):
            yield Problem(
                (*_IDC, "permission_sets", key, "managed_policies", index),
                f"'{permission_set.managed_policies[index]}' is policy '{name}', listed "
                "already (by name or ARN); remove the repeat",
            )
        other = seen.setdefault(permission_set.name.lower(), key)
        if other != key:
            yield Problem(
                (*_IDC, "permission_sets", key, "name"),
                f"permission set '{other}' is already named '{permission_set.name}' (names are "
                "unique per instance, whatever their case); choose another name",
            )


def assignments_name_known_permission_sets(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every assignment names a permission set of the config."""
    center = config.identity.identity_center
    if center is None:
        return
    known = sorted(center.permission_sets)
    for index, assignment in enumerate(center.assignments):
        if assignment.permission_set not in center.permission_sets:
            close = difflib.get_close_matches(assignment.permission_set, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*_IDC, "assignments", index, "permission_set"),
                f"unknown permission set '{assignment.permission_set}'; {hint}"
                f"keys of identity_center.permission_sets: {', '.join(known) or '(none)'}",
            )


def assignment_targets_known(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every assignment target is 'root', an OU key or an account key, and none repeats."""
    center = config.identity.identity_center
    if center is None:
        return
    ous = set(config.tree.parents)
    accounts = {key for key, _ in config.all_accounts()}
    choices = sorted({"root", *ous, *accounts})
    for index, assignment in enumerate(center.assignments):
        location = (*_IDC, "assignments", index, "targets")
        for position, target in enumerate(assignment.targets):
            if target in choices:
                continue
            close = difflib.get_close_matches(target, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            management = (
                "the management account is not assignable here (docs/identity.md); "
                if target == config.organization.management_account_id
                else ""
            )
            yield Problem(
                (*location, position),
                f"unknown target '{target}'; {hint}{management}a target is 'root', an OU key "
                "or an account key of this config",
            )
        for position, target in repeats(assignment.targets):
            yield Problem((*location, position), f"'{target}' is listed twice; remove the repeat")


def assignments_not_repeated(config: LandingZoneConfig) -> Iterator[Problem]:
    """No (group, permission set) pair is listed twice: merge the targets into one entry."""
    center = config.identity.identity_center
    if center is None:
        return
    pairs = [(a.group, a.permission_set) for a in center.assignments]
    for index, (group, permission_set) in repeats(pairs):
        yield Problem(
            (*_IDC, "assignments", index),
            f"group '{group}' already has permission set '{permission_set}' in an earlier "
            "entry; merge the targets into that one",
        )


def assignment_rules_fit_the_reconciler(config: LandingZoneConfig) -> Iterator[Problem]:
    """The assignment rules, compressed, fit the reconciler function's environment (4 KB for
    every variable: Lambda's limit), which its event-driven and hourly runs read them from.
    See: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"""
    from landing_zone.identity_center import MAX_ENCODED_RULES, center_of, encoded_rules

    center = center_of(config)
    if center is None or not center.assignments:
        return
    try:
        size = len(encoded_rules(config))
    except KeyError:  # an unknown permission set or target: reported by the checks above
        return
    if size > MAX_ENCODED_RULES:
        yield Problem(
            (*_IDC, "assignments"),
            f"the assignment rules take {size:,} bytes compressed; the reconciler's "
            f"environment holds {MAX_ENCODED_RULES:,} (Lambda allows 4 KB of variables). "
            "Target OUs rather than many single accounts, or give one group to a job "
            "function rather than to each team",
        )


# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
def permission_sets_within_iam_default_policies(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each permission set has at most 10 managed policies (AWS plus customer managed): IAM's
    default per role. Up to 20 are legal once the quota is raised in every assigned account;
    until then provisioning the permission set fails there."""
    center = config.identity.identity_center
    if center is None:
        return
    for key, permission_set in center.permission_sets.items():
        count = len(permission_set.managed_policies) + len(permission_set.customer_managed_policies)
        if IAM_DEFAULT_POLICIES_PER_ROLE < count <= MAX_POLICIES_PER_PERMISSION_SET:
            yield Problem(
                (*_IDC, "permission_sets", key),
                f"{count} managed policies; IAM allows {IAM_DEFAULT_POLICIES_PER_ROLE} per role "
                "unless the 'Managed policies per role' quota is raised in every account it is "
                "assigned in (Service Quotas). Raise it there first, or combine policies",
            )


IDENTITY_CENTER_CHECKS: tuple[Check, ...] = (
    identity_center_core_only,
    identity_center_in_home_partition,
    permission_sets_fit_quotas,
    assignments_name_known_permission_sets,
    assignment_targets_known,
    assignments_not_repeated,
    assignment_rules_fit_the_reconciler,
)


CHECKS: tuple[Check, ...] = (
    root_access_needs_iam_trusted_access,
    business_unit_leaves_root_access,
    business_unit_investigation_role_with_own_baseline,
    break_glass_core_only,
    break_glass_trusted_by_the_management_account,
    break_glass_role_names_fit,
    break_glass_principals_in_trusted_account,
    *IDENTITY_CENTER_CHECKS,
)

#: Legal but dangerous settings (reported as warnings by root.WARNINGS).
WARNINGS: tuple[Check, ...] = (permission_sets_within_iam_default_policies,)
