"""The organization, its regions, OU tree and accounts, and a business unit's link to its core.

Checks here: the regions, the organization features, the privileged
principals and the OU tree (run first); what each mode (core or business
unit) requires and leaves to the other (run next); the accounts (run last,
after every other section's checks, so problems keep the order they have
always been reported in).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from landing_zone.config.privileged import MIN_LITERAL_PREFIX, privileged_arn
from landing_zone.config.types import (
    AccountId,
    Check,
    Email,
    Key,
    Location,
    Model,
    Problem,
    Region,
    dotted,
    id_clashes,
    partition_of,
    repeats,
)
from landing_zone.detection_services import SERVICES as DETECTION_SERVICES
from landing_zone.org_tree import ROOT

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

# AWS Organizations quota: OUs nest at most five levels below the root.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
MAX_OU_DEPTH = 5


# A stack holds at most 500 resources; accounts are sharded across stacks
# beyond what one can hold, and Organizations creates at most 5 accounts
# at a time (one per stack: accounts within a template are created in turn).
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
MAX_ACCOUNT_STACKS = 5


class OrganizationConfig(Model):
    """The existing AWS Organization this landing zone governs."""

    id: str = Field(
        pattern=r"^o-[a-z0-9]{10,32}$",
        description="Organization id (o-...), from `aws organizations describe-organization`",
    )
    root_id: str = Field(
        pattern=r"^r-[0-9a-z]{4,32}$",
        description="Root id (r-...), from `aws organizations list-roots`",
    )
    management_account_id: AccountId
    account_stacks: int = Field(
        default=1,
        ge=1,
        le=MAX_ACCOUNT_STACKS,
        description="Stacks the created workload accounts are spread over by a stable hash of "
        "their key (1: they live in the Organization stack). Set it once, before creating "
        "hundreds of accounts: changing it moves accounts between stacks (docs/performance.md)",
    )


class RegionsConfig(Model):
    """Where the landing zone runs and which regions it governs."""

    home: Region = Field(description="Region of the management-account stacks and aggregations")
    governed: list[Region] = Field(
        min_length=1,
        description="Regions workloads may use; must include home. Others are denied later.",
    )


class OrganizationalUnitConfig(Model):
    """One OU; ``children`` nest under it. The mapping key is its stable id."""

    # CreateOrganizationalUnit takes ASCII only (printable here: YAML refuses
    # control characters already).
    # See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[\x20-\x7E]+$",
        description="Display name in AWS Organizations (printable ASCII); renaming does not "
        "replace the OU",
    )
    children: dict[Key, OrganizationalUnitConfig] = Field(default_factory=dict)


class AccountConfig(Model):
    """An account: created (``email``) or adopted (``account_id``)."""

    name: str = Field(min_length=1, max_length=50, pattern=r"^[\x20-\x7E]+$")
    ou: Key = Field(description="Key of the OU the account belongs in")
    email: Email | None = Field(default=None, description="Set to create the account")
    account_id: AccountId | None = Field(
        default=None, description="Set to adopt an existing account instead of creating one"
    )

    @model_validator(mode="after")
    def _created_or_adopted(self) -> AccountConfig:
        if (self.email is None) == (self.account_id is None):
            raise PydanticCustomError(
                "account_mode",
                "set exactly one of 'email' (to create a new account) or "
                "'account_id' (to adopt an existing one)",
            )
        return self

    @property
    def adopted(self) -> bool:
        return self.account_id is not None


class CoreAccountsConfig(Model):
    """The shared security accounts every landing zone has."""

    log_archive: AccountConfig
    audit: AccountConfig


# OU ids: ou-<root suffix>-<8-32 chars>; the root itself is r-<4-32 chars>.
# See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
OU_ID_PATTERN = r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
ROOT_ID_PATTERN = r"r-[0-9a-z]{4,32}"


def _parent_id(value: str) -> str:
    if not re.fullmatch(f"{OU_ID_PATTERN}|{ROOT_ID_PATTERN}", value):
        raise PydanticCustomError(
            "ou_id_format",
            "'{value}' is not an OU id; OU ids look like ou-a1b2-c3d4e5f6 (lowercase; "
            "`aws organizations list-organizational-units-for-parent --parent-id <root id>` "
            "lists them), and the root's like r-a1b2",
            {"value": value},
        )
    return value


class CoreLogArchiveReference(Model):
    """The core's central log destination that this business unit's accounts deliver to."""

    config_bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="The core's AWS Config bucket in the log-archive account "
        "(<core prefix>-log-archive-config-<account>-<home region>)",
    )
    key_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|alias/[\w/+=,.@-]+)$",
        description="The log-archive KMS key, by key or alias ARN "
        "(arn:aws:kms:<home>:<log-archive account>:alias/<core prefix>/landing-zone/log-archive)",
    )


class CoreReference(Model):
    """What a business-unit fork adopts from the core fork (``mode: business-unit`` only).

    Every value comes from the core fork's deployment: its config (prefix),
    ``aws organizations list-organizational-units-for-parent`` (OU id) and
    the core's ``make synth`` summary (account ids, bucket, key).
    """

    prefix: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,19}$",
        description="The core fork's prefix (its stack ids start with it)",
    )
    parent_ou_id: Annotated[str, AfterValidator(_parent_id)] = Field(
        description="The core's OU (ou-...) this fork's top-level OUs are created under, "
        "e.g. Workloads; or the root id (r-...)",
    )
    log_archive_account_id: AccountId = Field(description="The core's log-archive account")
    audit_account_id: AccountId = Field(
        description="The core's audit account, delegated administrator of the detection services"
    )
    log_archive: CoreLogArchiveReference


class PrivilegedPrincipal(Model):
    """A principal that guardrails exempt (deployment, break-glass, StackSets)."""

    arn: Annotated[str, AfterValidator(privileged_arn)] = Field(
        description="IAM role ARN (pattern): arn:aws:iam::<account id or *>:role/<path/name>; "
        f"a wildcard in the name needs {MIN_LITERAL_PREFIX} literal characters before it. "
        "Users, roots, assumed-role sessions and Identity Center (aws-reserved/) roles are "
        "refused: the guardrails cannot reserve their names",
    )
    reason: str = Field(min_length=10, description="Why this principal is exempt")
    every_account: bool = Field(
        default=False,
        description="true for a role deployed to every account (break-glass, the account "
        "access role): its ARN's account is '*', and validation does not warn about it",
    )


PolicyType = Literal[
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY",
    "DECLARATIVE_POLICY_EC2",
    "SECURITYHUB_POLICY",
    "INSPECTOR_POLICY",
    "BEDROCK_POLICY",
    "S3_POLICY",
    "GUARDDUTY_POLICY",
]

# Services the landing zone integrates with Organizations, besides the
# detection services (their principals come from their registry rows).
# StackSets is special: AWS requires cloudformation:ActivateOrganizationsAccess.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
OTHER_TRUSTED_SERVICES = (
    "account.amazonaws.com",
    "backup.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "fms.amazonaws.com",
    "iam.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "ram.amazonaws.com",
    "sso.amazonaws.com",
)
_DETECTION_PRINCIPALS = {
    access.principal for service in DETECTION_SERVICES for access in service.trusted_access
}
TRUSTED_SERVICES: tuple[str, ...] = tuple(sorted({*OTHER_TRUSTED_SERVICES, *_DETECTION_PRINCIPALS}))


# A Literal built from the tuple: pydantic's own "is not allowed; expected
# one of" error for any value, a string or not, and the enum in the schema.
TrustedService = Literal[TRUSTED_SERVICES]  # type: ignore[valid-type]

DEFAULT_POLICY_TYPES: tuple[PolicyType, ...] = (
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "DECLARATIVE_POLICY_EC2",
    # organization_policies: the root opts out of AI services by default.
    "AISERVICES_OPT_OUT_POLICY",
    # S3 account-level Block Public Access for every account (baseline).
    "S3_POLICY",
)

# On by default: what the core needs (account management, the organization
# trail, StackSets, Identity Center, IAM for centralized root access) and
# every detection service's principals.
DEFAULT_TRUSTED_SERVICES: tuple[str, ...] = tuple(
    sorted(
        {
            "account.amazonaws.com",
            "cloudtrail.amazonaws.com",
            "iam.amazonaws.com",
            "member.org.stacksets.cloudformation.amazonaws.com",
            "sso.amazonaws.com",
            *_DETECTION_PRINCIPALS,
        }
    )
)


class OrganizationFeaturesConfig(Model):
    """Organization-wide switches that have no CloudFormation type."""

    policy_types: list[PolicyType] = Field(
        default_factory=lambda: list(DEFAULT_POLICY_TYPES),
        description="Policy types enabled on the root (kept enabled if removed here)",
    )
    trusted_services: list[TrustedService] = Field(
        default_factory=lambda: list(DEFAULT_TRUSTED_SERVICES),
        description="Service principals given trusted access (kept if removed here)",
    )


# ---- checks: regions, features, principals, OU tree ----------------------------


def regions_home_governed(config: LandingZoneConfig) -> Iterator[Problem]:
    """The home region is one of the governed regions."""
    regions = config.regions
    if regions.home not in regions.governed:
        yield Problem(
            ("regions", "home"),
            f"home region '{regions.home}' is not in regions.governed "
            f"({', '.join(regions.governed)}); add it there or pick a governed home region",
        )


def regions_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each governed region is listed once."""
    for index, region in repeats(config.regions.governed):
        yield Problem(("regions", "governed", index), f"region '{region}' is listed twice")


def regions_one_partition(config: LandingZoneConfig) -> Iterator[Problem]:
    """The governed regions are all in one partition, the organization's."""
    partitions = {partition_of(r) for r in config.regions.governed}
    if len(partitions) > 1:
        yield Problem(
            ("regions", "governed"),
            f"governed regions span partitions {sorted(partitions)}; an organization "
            "lives in one partition, so list regions of one partition only",
        )


def features_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each policy type and each trusted service is listed once."""
    features = config.organization_features
    for field_name, values in (
        ("policy_types", features.policy_types),
        ("trusted_services", features.trusted_services),
    ):
        for index, value in repeats(values):
            yield Problem(
                ("organization_features", field_name, index),
                f"'{value}' is listed twice; remove the repeat",
            )


def principals_in_home_partition(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every privileged principal's ARN is in the home region's partition."""
    partition = config.partition
    for key, principal in config.privileged_principals.items():
        arn_partition = principal.arn.split(":")[1]
        if arn_partition != partition:
            yield Problem(
                ("privileged_principals", key, "arn"),
                f"ARN partition '{arn_partition}' differs from the home region's partition "
                f"'{partition}'; write arn:{partition}:iam::...",
            )


def principals_pinned(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each privileged principal names one role: in one account (or every_account), no wildcard.

    protect-privileged-roles stops anyone creating or re-trusting a role that
    matches, but an account wildcard still exempts the role in every account
    (whoever may assume it anywhere passes every guardrail there), and a name
    wildcard exempts, and reserves, a whole family of names.
    """
    for key, principal in config.privileged_principals.items():
        # arn:<partition>:iam::<account>:role/<path and name>
        account, resource = principal.arn.split(":")[4:6]
        role = resource.removeprefix("role/")
        location = ("privileged_principals", key, "arn")
        if account == "*" and not principal.every_account:
            yield Problem(
                location,
                "a wildcard in the account exempts a role of this name in every account: "
                "whoever may assume it in any account passes every guardrail there; pin the "
                f"account where the role lives (arn:{config.partition}:iam::111111111111:role/...)"
                ", or set every_account: true if the role is deployed to every account",
            )
        if "*" in role or "?" in role:
            yield Problem(
                location,
                "a wildcard in the role name exempts every role it matches (and reserves all "
                "those names); name the exact role",
            )


def every_account_means_any_account(config: LandingZoneConfig) -> Iterator[Problem]:
    """A principal marked every_account has '*' as its account."""
    for key, principal in config.privileged_principals.items():
        account = principal.arn.split(":")[4]
        if principal.every_account and account != "*":
            yield Problem(
                ("privileged_principals", key, "every_account"),
                f"every_account is true but the ARN names account {account}; write "
                "arn:...:iam::*:role/... for a role deployed to every account, or drop "
                "every_account",
            )


class _Unit(NamedTuple):
    """An OU as the checks see it: its key, where it is in the file, how deep, its parent."""

    key: str
    location: Location
    depth: int
    parent: str | None
    name: str


def _units_by_location(config: LandingZoneConfig) -> Iterator[_Unit]:
    """Every OU in file order, parents first; depth 1 and parent ``None``: top level."""

    def visit(
        units: Mapping[str, OrganizationalUnitConfig],
        base: Location,
        depth: int,
        parent: str | None,
    ) -> Iterator[_Unit]:
        for key, unit in units.items():
            location = (*base, key)
            yield _Unit(key, location, depth, parent, unit.name)
            yield from visit(unit.children, (*location, "children"), depth + 1, key)

    yield from visit(config.organizational_units, ("organizational_units",), 1, None)


def ou_keys_unique(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each OU key appears once in the whole tree (accounts and targets refer to OUs by key)."""
    first: dict[str, Location] = {}
    for key, location, *_ in _units_by_location(config):
        if key in first:
            yield Problem(
                location,
                f"duplicate OU key '{key}' (also at {'.'.join(str(p) for p in first[key])}); "
                "OU keys are ids accounts refer to, so each must be unique in the whole tree",
            )
        else:
            first[key] = location


def ou_keys_not_reserved(config: LandingZoneConfig) -> Iterator[Problem]:
    """No OU is keyed ``root``: that key names the organization's root as a target.

    Guardrail attachments, baseline targets and Security Hub policies say
    ``root`` for the root; an OU of that key would make the root's guardrails
    look inherited, and they would vanish from every template.
    """
    for key, location, *_ in _units_by_location(config):
        if key == ROOT:
            yield Problem(
                location,
                f"'{ROOT}' is reserved: targets use it for the organization's root. "
                "Key this OU differently (e.g. 'platform'); its display name can stay",
            )


def ou_depth_within_quota(config: LandingZoneConfig) -> Iterator[Problem]:
    """No OU is nested deeper than AWS Organizations allows (MAX_OU_DEPTH below the root)."""
    for key, location, depth, *_ in _units_by_location(config):
        if depth > MAX_OU_DEPTH:
            yield Problem(
                location,
                f"OU '{key}' is nested {depth} levels deep; AWS Organizations "
                f"allows at most {MAX_OU_DEPTH} levels below the root. Flatten the tree",
            )


# Names AWS reserves that a prefix would produce: every KMS alias of the
# landing zone is alias/<prefix>/..., every log bucket <prefix>-log-archive-...
# (the prefix lowercased).
RESERVED_PREFIXES = {
    # See: https://docs.aws.amazon.com/kms/latest/developerguide/alias-about.html
    "aws": "KMS reserves aliases beginning with alias/aws/ for AWS managed keys, and the "
    "landing zone's keys are aliased alias/<prefix>/landing-zone/<name>",
    # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    "sthree": "S3 reserves bucket names beginning with sthree-, and the landing zone's log "
    "buckets are named <prefix>-log-archive-<purpose>-<account>-<region>",
}


def prefix_not_reserved(config: LandingZoneConfig) -> Iterator[Problem]:
    """The prefix, lowercased, yields no name AWS reserves (KMS alias, S3 bucket)."""
    reason = RESERVED_PREFIXES.get(config.prefix.lower())
    if reason is not None:
        yield Problem(
            ("prefix",),
            f"'{config.prefix}' is reserved by AWS: {reason}. Choose another prefix "
            f"(e.g. '{config.prefix}Lz' or the business unit's name)",
        )


def ou_names_unique_among_siblings(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two OUs under one parent (or both top level) share a display name.

    Organizations refuses a second OU of the same name under a parent
    (CreateOrganizationalUnit: DuplicateOrganizationalUnitException), so the
    deploy would fail halfway.
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
    """
    seen: dict[tuple[str | None, str], Location] = {}
    for unit in _units_by_location(config):
        sibling = seen.setdefault((unit.parent, unit.name), unit.location)
        if sibling != unit.location:
            under = f"under '{unit.parent}'" if unit.parent else "at the top level"
            yield Problem(
                (*unit.location, "name"),
                f"OU name '{unit.name}' is already used {under} by {dotted(sibling)}; AWS "
                "Organizations requires unique OU names under one parent. Rename one",
            )


def ou_keys_distinct_ids(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two OU keys become the same CloudFormation logical id."""
    yield from id_clashes(
        ((unit.key, unit.location) for unit in _units_by_location(config)), what="OU key"
    )


CHECKS: tuple[Check, ...] = (
    regions_home_governed,
    regions_listed_once,
    regions_one_partition,
    features_listed_once,
    principals_in_home_partition,
    every_account_means_any_account,
    ou_keys_unique,
    ou_keys_not_reserved,
    ou_keys_distinct_ids,
    ou_names_unique_among_siblings,
    ou_depth_within_quota,
    prefix_not_reserved,
)

#: Legal but dangerous (reported as warnings): see ``root.WARNINGS``.
WARNINGS: tuple[Check, ...] = (principals_pinned,)


# ---- checks: core and business-unit mode ----------------------------------------

# Sections a business-unit fork leaves to the core: the core deploys them once
# for the whole organization, and a second copy would clash or be ignored.
CORE_ONLY_SECTIONS = (
    "core_accounts",
    "organization_features",
    "log_archive",
    "organization_trail",
    "monitoring",
)
# Packs that protect the core's own resources, named with the core's prefix:
# the core attaches them (root, Security) and every business unit inherits them.
CORE_ONLY_PACKS = ("core", "log-archive")
# What a business unit may set under `detection`.
BUSINESS_UNIT_DETECTION = ("security_hub", "notifications")


def core_mode_names_no_core(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork has no ``core`` section (only a business unit adopts a core)."""
    if not config.business_unit and config.core is not None:
        yield Problem(
            ("core",),
            "only a business-unit fork names a core; set mode: business-unit (and remove "
            "core_accounts), or remove this section",
        )


def core_mode_has_core_accounts(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork names its log-archive and audit accounts."""
    if not config.business_unit and config.core_accounts is None:
        yield Problem(
            ("core_accounts",),
            "required in core mode: the log-archive and audit accounts (created or "
            "adopted); a fork that adopts an existing core sets mode: business-unit",
        )


def business_unit_names_core(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit names the core fork it adopts."""
    if config.business_unit and config.core is None:
        yield Problem(
            ("core",),
            "mode business-unit adopts an existing core: add `core` with the core's prefix, "
            "parent_ou_id, log_archive_account_id, audit_account_id and log_archive "
            "(config/example-business-unit.yaml shows each)",
        )


def business_unit_leaves_core_sections(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit sets none of the sections the core deploys for the organization."""
    if not config.business_unit:
        return
    for section in CORE_ONLY_SECTIONS:
        if section in config.model_fields_set:
            yield Problem(
                (section,),
                f"'{section}' belongs to the core fork, which deploys it once for the "
                "organization; remove it from this business-unit config"
                + (
                    " and name the core's accounts in core.log_archive_account_id and "
                    "core.audit_account_id"
                    if section == "core_accounts"
                    else ""
                ),
            )


def business_unit_leaves_root_guardrails(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit attaches no guardrails to the root (the core owns it)."""
    if config.business_unit and "root" in config.guardrails.attachments:
        yield Problem(
            ("guardrails", "attachments", "root"),
            "a business unit does not own the root: the core attaches the root's "
            "guardrails. Attach packs to this fork's own OUs "
            f"({', '.join(sorted(config.tree.parents))})",
        )


def business_unit_leaves_core_packs(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit attaches none of the packs that protect the core's own resources."""
    if not config.business_unit:
        return
    for target, packs in config.guardrails.attachments.items():
        for index, pack in enumerate(packs):
            if pack in CORE_ONLY_PACKS:
                yield Problem(
                    ("guardrails", "attachments", target, index),
                    f"pack '{pack}' protects the core's own resources and is attached by the "
                    "core fork, so this business unit already inherits it; remove it",
                )


def business_unit_chooses_baseline_targets(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit says where its baseline goes: its own OU keys, or ``[]``."""
    if config.business_unit and "targets" not in config.baseline.model_fields_set:
        yield Problem(
            ("baseline", "targets"),
            "a business unit chooses who baselines its accounts: list this fork's OU keys "
            "(it deploys its own <Prefix>-MemberBaseline StackSet) or [] (the core's "
            "baseline already reaches core.parent_ou_id). Never both: two Config recorders "
            "in one account fail",
        )


#: The pack a business unit attaches where its own baseline runs.
BUSINESS_UNIT_BASELINE_PACK = "business-unit-baseline"


def business_unit_protects_its_baseline(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit's own baseline is protected where it runs.

    Its baseline creates ``<BU>-*`` roles, functions, rules and the
    ``<BU>-Backup`` vault and key; the core's root packs protect those names
    only under the core's prefix, so without this pack an admin of one of
    the fork's accounts could delete the vault or re-trust the roles.
    """
    if not config.business_unit or not config.baseline.targets:
        return
    attachments = config.guardrails.attachments
    protected = [t for t, packs in attachments.items() if BUSINESS_UNIT_BASELINE_PACK in packs]
    for index, target in enumerate(config.baseline.targets):
        if target in config.tree.parents and not config.tree.reaches(protected, target):
            yield Problem(
                ("baseline", "targets", index),
                f"this fork's own baseline runs in '{target}', but the "
                f"{BUSINESS_UNIT_BASELINE_PACK} pack does not reach it: the core's guardrails "
                f"protect only the core's names, so an admin there could delete "
                f"{config.prefix}-Backup or change the {config.prefix}-* roles. Attach "
                f"{BUSINESS_UNIT_BASELINE_PACK} to '{target}' or an OU above it",
            )


def business_unit_leaves_s3_block_public_access(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit leaves S3 Block Public Access (a root policy) to the core."""
    if config.business_unit and "s3_block_public_access" in config.baseline.model_fields_set:
        yield Problem(
            ("baseline", "s3_block_public_access"),
            "S3 Block Public Access is an organization policy on the root, which the core "
            "owns; remove this field",
        )


def business_unit_leaves_detection_services(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit sets only its Security Hub policies and its alert recipients."""
    if not config.business_unit:
        return
    for field_name in sorted(config.detection.model_fields_set - set(BUSINESS_UNIT_DETECTION)):
        yield Problem(
            ("detection", field_name),
            "the core fork runs the detection services for the whole organization; a "
            "business unit may set only detection.security_hub.policies and "
            "detection.notifications (its own policies and alert recipients). Remove this field",
        )


def business_unit_leaves_security_hub_switch(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit sets nothing of Security Hub but its policies."""
    if not config.business_unit:
        return
    for field_name in sorted(config.detection.security_hub.model_fields_set - {"policies"}):
        yield Problem(
            ("detection", "security_hub", field_name),
            "Security Hub is on or off for the whole organization, which the core decides; a "
            "business unit sets only detection.security_hub.policies. Remove this field",
        )


def business_unit_prefix_differs_from_core(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit's prefix is not the core's (every name carries the prefix)."""
    core = config.core
    if config.business_unit and core is not None and core.prefix == config.prefix:
        yield Problem(
            ("prefix",),
            f"'{config.prefix}' is the core's prefix too; every stack, policy and resource "
            "name carries the prefix, so a business unit needs its own (e.g. "
            f"'{config.prefix}Retail')",
        )


def core_parent_in_organization(config: LandingZoneConfig) -> Iterator[Problem]:
    """A parent given as a root id is this organization's root."""
    core = config.core
    if not config.business_unit or core is None:
        return
    root_id = config.organization.root_id
    if core.parent_ou_id.startswith("r-") and core.parent_ou_id != root_id:
        yield Problem(
            ("core", "parent_ou_id"),
            f"'{core.parent_ou_id}' is a root id but not this organization's root "
            f"({root_id}); use an OU id (ou-...) or the organization's root id",
        )


def _core_account_ids(config: LandingZoneConfig) -> dict[str, str]:
    """``core`` field -> account id of the core's log-archive and audit accounts."""
    core = config.core
    if not config.business_unit or core is None:
        return {}
    return {
        "log_archive_account_id": core.log_archive_account_id,
        "audit_account_id": core.audit_account_id,
    }


def core_accounts_not_management(config: LandingZoneConfig) -> Iterator[Problem]:
    """Neither of the core's accounts is the management account."""
    for field_name, core_id in _core_account_ids(config).items():
        if core_id == config.organization.management_account_id:
            yield Problem(
                ("core", field_name),
                "this is the management account; name the core's "
                f"{field_name.removesuffix('_account_id').replace('_', '-')} account",
            )


def core_accounts_apart(config: LandingZoneConfig) -> Iterator[Problem]:
    """The core's audit account is not its log-archive account."""
    core = config.core
    if not config.business_unit or core is None:
        return
    if core.log_archive_account_id == core.audit_account_id:
        yield Problem(
            ("core", "audit_account_id"),
            "the audit account is the log-archive account too; the core keeps them apart "
            "(logs must not be writable by the security tooling account)",
        )


def business_unit_adopts_no_core_account(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit adopts neither of the core's accounts as a workload account."""
    core_ids = _core_account_ids(config).values()
    if not core_ids:
        return
    for key, workload in config.workload_accounts.items():
        if workload.account_id in core_ids:
            yield Problem(
                ("workload_accounts", key, "account_id"),
                f"{workload.account_id} is one of the core's accounts; a business unit cannot "
                "adopt it",
            )


def core_key_in_log_archive_home(config: LandingZoneConfig) -> Iterator[Problem]:
    """The core's log-archive key ARN names this partition, the home region and the account."""
    core = config.core
    if not config.business_unit or core is None:
        return
    arn = core.log_archive.key_arn.split(":")
    expected = {
        "partition": (arn[1], config.partition),
        "region": (arn[3], config.regions.home),
        "account": (arn[4], core.log_archive_account_id),
    }
    for what, (found, wanted) in expected.items():
        if found != wanted:
            yield Problem(
                ("core", "log_archive", "key_arn"),
                f"the key's {what} is '{found}' but the log-archive key lives in {what} "
                f"'{wanted}' (core.log_archive_account_id, regions.home); copy the ARN from "
                "the core's summary",
            )


#: Core vs business unit: each mode's required sections, and what a business unit may own.
MODE_CHECKS: tuple[Check, ...] = (
    core_mode_names_no_core,
    core_mode_has_core_accounts,
    business_unit_names_core,
    business_unit_leaves_core_sections,
    business_unit_leaves_root_guardrails,
    business_unit_leaves_core_packs,
    business_unit_chooses_baseline_targets,
    business_unit_protects_its_baseline,
    business_unit_leaves_s3_block_public_access,
    business_unit_leaves_detection_services,
    business_unit_leaves_security_hub_switch,
    business_unit_prefix_differs_from_core,
    core_parent_in_organization,
    core_accounts_not_management,
    core_accounts_apart,
    business_unit_adopts_no_core_account,
    core_key_in_log_archive_home,
)


# ---- checks: accounts ------------------------------------------------------------


# The keys the core accounts go by (all_accounts, exclusions, the summary).
CORE_ACCOUNT_KEYS = ("log-archive", "audit")


def _account_location(key: str) -> Location:
    if key in CORE_ACCOUNT_KEYS:
        return ("core_accounts", key.replace("-", "_"))
    return ("workload_accounts", key)


def accounts_in_known_ou(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every account's OU is a key of the OU tree."""
    ou_keys = config.tree.parents
    for key, account in config.all_accounts():
        if account.ou not in ou_keys:
            close = difflib.get_close_matches(account.ou, sorted(ou_keys), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*_account_location(key), "ou"),
                f"OU '{account.ou}' does not exist; {hint}use a key from "
                f"organizational_units ({', '.join(sorted(ou_keys))})",
            )


def account_names_unique(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two accounts share a name (case-insensitively)."""
    names: dict[str, str] = {}
    for key, account in config.all_accounts():
        location = _account_location(key)
        folded = account.name.casefold()
        if folded in names:
            yield Problem(
                (*location, "name"),
                f"account name '{account.name}' is already used by {names[folded]}; "
                "account names must be unique",
            )
        else:
            names[folded] = dotted(location)


def account_emails_unique(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two created accounts share a root email (case-insensitively)."""
    emails: dict[str, str] = {}
    for key, account in config.all_accounts():
        if account.email is None:
            continue
        location = _account_location(key)
        email = account.email.casefold()
        if email in emails:
            yield Problem(
                (*location, "email"),
                f"email '{account.email}' is already used by {emails[email]}; every AWS "
                "account needs its own root email (plus-addressing works: aws+name@...)",
            )
        else:
            emails[email] = dotted(location)


def accounts_not_management(config: LandingZoneConfig) -> Iterator[Problem]:
    """No adopted account is the management account."""
    management_id = config.organization.management_account_id
    for key, account in config.all_accounts():
        if account.account_id == management_id:
            yield Problem(
                (*_account_location(key), "account_id"),
                "this is the management account; it cannot be a core or workload account. "
                "Use another account's id, or give an email to create a new one",
            )


def accounts_adopted_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """No account id is adopted twice (the management account's is reported on its own)."""
    management_id = config.organization.management_account_id
    ids: dict[str, str] = {}
    for key, account in config.all_accounts():
        if account.account_id is None or account.account_id == management_id:
            continue
        location = _account_location(key)
        if account.account_id in ids:
            yield Problem(
                (*location, "account_id"),
                f"account id {account.account_id} is already adopted by "
                f"{ids[account.account_id]}; an account can be adopted only once, "
                "remove one of the two entries",
            )
        else:
            ids[account.account_id] = dotted(location)


def workload_keys_not_reserved(config: LandingZoneConfig) -> Iterator[Problem]:
    """In core mode no workload account is keyed like a core account (``log-archive``, ``audit``).

    The core accounts go by those keys wherever accounts are named by key
    (baseline exclusions, the conformance pack's, the summary).
    """
    if config.core_accounts is None:
        return
    for key in config.workload_accounts:
        if key in CORE_ACCOUNT_KEYS:
            yield Problem(
                ("workload_accounts", key),
                f"'{key}' is reserved for the core account of core_accounts; key this "
                "account differently (its name can stay)",
            )


def account_keys_distinct_ids(config: LandingZoneConfig) -> Iterator[Problem]:
    """No two account keys become the same CloudFormation logical id."""
    yield from id_clashes(
        ((key, _account_location(key)) for key, _ in config.all_accounts()), what="account key"
    )


ACCOUNT_CHECKS: tuple[Check, ...] = (
    workload_keys_not_reserved,
    account_keys_distinct_ids,
    accounts_in_known_ou,
    account_names_unique,
    account_emails_unique,
    accounts_not_management,
    accounts_adopted_once,
)
