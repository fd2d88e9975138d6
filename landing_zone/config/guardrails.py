"""Which guardrail packs attach where, the quotas they are packed into, and their checks."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from landing_zone.config.identity import break_glass_role_arns
from landing_zone.config.types import (
    AccountId,
    Check,
    Location,
    Model,
    Problem,
    repeats,
    service_enum,
)
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.evaluate import string_like
from landing_zone.guardrails.model import GuardrailInputs
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.guardrails.packs import PACK_IDS

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig


def _pack_id(value: str) -> str:
    if value not in PACK_IDS:
        close = difflib.get_close_matches(value, PACK_IDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise PydanticCustomError(
            "guardrail_pack_unknown",
            "guardrail pack '{value}' does not exist; {hint}packs: {packs} "
            "(docs/guardrails.md describes each)",
            {"value": value, "hint": hint, "packs": ", ".join(PACK_IDS)},
        )
    return value


PackId = Annotated[str, AfterValidator(_pack_id), Field(description="A guardrail pack id")]


# AWS Organizations' hard limits. The quotas below may only lower them (an
# older organization or another partition may lag): a larger value would
# pack policies that CreatePolicy or AttachPolicy reject at deploy time.
# The SCP size limit was raised from 5,120 to 10,240 characters in May 2026.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
QUOTAS_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
SCP_MAX_CHARS = 10240
RCP_MAX_CHARS = 5120
SCP_MAX_PER_TARGET = 10
RCP_MAX_PER_TARGET = 5


def _at_most(limit: int, what: str) -> AfterValidator:
    """Refuses a value above AWS's ``limit`` on ``what``: a quota can only lower a limit."""

    def check(value: int) -> int:
        if value > limit:
            raise PydanticCustomError(
                "guardrail_quota_above_limit",
                "{value} is above AWS's limit of {limit} {what}; a quota here can only lower "
                "the limit, never raise it. Use at most {limit} (see {url})",
                {"value": value, "limit": limit, "what": what, "url": QUOTAS_URL},
            )
        return value

    return AfterValidator(check)


def _quota(*, limit: int, low: int, description: str) -> Any:
    """A quota field: AWS's ``limit`` by default and at most, ``low`` at least."""
    return Field(
        default=limit,
        ge=low,
        description=f"{description}: at most {limit} (AWS's limit); set lower if yours is",
        json_schema_extra={"maximum": limit},
    )


class GuardrailQuotas(Model):
    """AWS Organizations quotas the packer fits policies into.

    Defaults are AWS's limits; some partitions and older organizations lag,
    so each can be set lower, never higher.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """

    scp_max_chars: Annotated[int, _at_most(SCP_MAX_CHARS, "characters per SCP")] = _quota(
        limit=SCP_MAX_CHARS, low=1000, description="SCP document size, in characters"
    )
    rcp_max_chars: Annotated[int, _at_most(RCP_MAX_CHARS, "characters per RCP")] = _quota(
        limit=RCP_MAX_CHARS, low=1000, description="RCP document size, in characters"
    )
    scp_max_per_target: Annotated[
        int, _at_most(SCP_MAX_PER_TARGET, "SCPs attached per root or OU")
    ] = _quota(
        limit=SCP_MAX_PER_TARGET,
        low=2,
        description="SCPs directly attached per root/OU (FullAWSAccess counts)",
    )
    rcp_max_per_target: Annotated[
        int, _at_most(RCP_MAX_PER_TARGET, "RCPs attached per root or OU")
    ] = _quota(
        limit=RCP_MAX_PER_TARGET,
        low=2,
        description="RCPs directly attached per root/OU (RCPFullAWSAccess counts)",
    )
    scp_reserved_per_target: int = Field(
        default=2,
        ge=0,
        description="SCP slots left free per target, e.g. for Control Tower's own SCPs (up to 2)",
    )
    rcp_reserved_per_target: int = Field(
        default=0, ge=0, description="RCP slots left free per target"
    )


def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type, from botocore's model of EC2 (the ``InstanceType`` enum)."""
    return service_enum("ec2", "InstanceType")


def instance_types_like(pattern: str) -> frozenset[str]:
    """The EC2 instance types an IAM ``StringLike`` ``pattern`` matches.

    IAM's wildcards are ``*`` (any run of characters) and ``?`` (one); every
    other character, ``[`` included, matches itself (fnmatch's would not).
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """
    return frozenset(t for t in ec2_instance_types() if string_like(pattern, t))


def _instance_type_pattern(value: str) -> str:
    if not instance_types_like(value):
        types = ec2_instance_types()
        families = {f"{t.split('.')[0]}.*" for t in types}
        close = difflib.get_close_matches(value, sorted(types | families), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise PydanticCustomError(
            "guardrail_instance_type_unknown",
            "'{value}' matches no EC2 instance type; {hint}write a type such as 'm7i.large' "
            "or a family with a wildcard such as 't3.*' (`aws ec2 describe-instance-types` "
            "lists them)",
            {"value": value, "hint": hint},
        )
    return value


InstanceTypePattern = Annotated[
    str,
    AfterValidator(_instance_type_pattern),
    Field(description="An EC2 instance type, or a pattern of them with * and ?"),
]


class GuardrailsConfig(Model):
    """Which guardrail packs attach where, and the values guardrails take from config."""

    attachments: dict[str, list[PackId]] = Field(
        default_factory=lambda: {"root": ["core"]},
        description="Target ('root' or an OU key) -> guardrail packs attached there",
    )
    sandbox_instance_types: list[InstanceTypePattern] = Field(
        default_factory=lambda: ["t3.*", "t3a.*", "t4g.*", "m7g.large", "m7i.large"],
        min_length=1,
        description="EC2 instance types (wildcards allowed) the sandbox pack allows",
    )
    trusted_external_accounts: list[AccountId] = Field(
        default_factory=list,
        description="Accounts outside the organization the data-perimeter RCP lets in "
        "(e.g. a SaaS vendor that assumes roles here)",
    )
    quotas: GuardrailQuotas = Field(default_factory=GuardrailQuotas)


def privileged_arns(config: LandingZoneConfig) -> tuple[str, ...]:
    """Every privileged principal: the config's list, then the break-glass roles.

    The guardrails exempt these (and reserve their names), and the log
    archive's bucket and key policies let them repair what others cannot.
    """
    listed = (p.arn for p in config.privileged_principals.values())
    return tuple(dict.fromkeys((*listed, *break_glass_role_arns(config))))


def guardrail_inputs(config: LandingZoneConfig) -> GuardrailInputs:
    """The config values guardrail statements are rendered from."""
    return GuardrailInputs(
        partition=config.partition,
        prefix=config.prefix,
        organization_id=config.organization.id,
        governed_regions=tuple(config.regions.governed),
        privileged_arns=privileged_arns(config),
        sandbox_instance_types=tuple(config.guardrails.sandbox_instance_types),
        trusted_external_accounts=tuple(config.guardrails.trusted_external_accounts),
        account_access_role_name=config.account_access_role_name,
    )


def deny_all_packs(config: LandingZoneConfig) -> set[str]:
    """Packs holding an SCP that denies every action to all but the privileged roles."""
    inputs = guardrail_inputs(config)
    found = set()
    for pack in PACKS.values():
        for guardrail_id in pack.guardrails:
            guardrail = GUARDRAILS[guardrail_id]
            if guardrail.kind == "scp" and any(
                s.actions == ("*",) and s.resources == ("*",) and not s.condition
                for s in guardrail.statements(inputs)
            ):
                found.add(pack.id)
    return found


# ---- checks -----------------------------------------------------------------------


def guardrail_targets_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every attachment target is 'root' or an OU key."""
    ou_keys = config.tree.parents
    targets = sorted({*ou_keys, "root"})
    for target in config.guardrails.attachments:
        if target not in targets:
            close = difflib.get_close_matches(target, targets, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                ("guardrails", "attachments", target),
                f"'{target}' is not a guardrail target; {hint}use 'root' or an OU key "
                f"({', '.join(sorted(ou_keys))})",
            )


def guardrail_packs_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """A target lists each pack once."""
    for target, packs in config.guardrails.attachments.items():
        for index, pack in repeats(packs):
            location: Location = ("guardrails", "attachments", target, index)
            yield Problem(location, f"pack '{pack}' is listed twice; remove one")


def guardrail_policy_types_enabled(config: LandingZoneConfig) -> Iterator[Problem]:
    """The policy types of the attached guardrails (SCP, RCP) are enabled on the root."""
    kinds = {
        GUARDRAILS[guardrail].kind
        for packs in config.guardrails.attachments.values()
        for pack in packs
        if pack in PACKS
        for guardrail in PACKS[pack].guardrails
    }
    policy_types = config.organization_features.policy_types
    for kind, policy_type in (
        ("scp", "SERVICE_CONTROL_POLICY"),
        ("rcp", "RESOURCE_CONTROL_POLICY"),
    ):
        if kind in kinds and policy_type not in policy_types:
            yield Problem(
                ("organization_features", "policy_types"),
                f"guardrails.attachments uses {kind.upper()} guardrails but {policy_type} is "
                "not enabled; add it to organization_features.policy_types",
            )


def guardrail_quotas_leave_room(config: LandingZoneConfig) -> Iterator[Problem]:
    """Reserved slots leave at least one SCP/RCP per target for guardrails."""
    quotas = config.guardrails.quotas
    for kind in ("scp", "rcp"):
        maximum = getattr(quotas, f"{kind}_max_per_target")
        reserved = getattr(quotas, f"{kind}_reserved_per_target")
        if reserved > maximum - 2:
            yield Problem(
                ("guardrails", "quotas", f"{kind}_reserved_per_target"),
                f"reserving {reserved} of {maximum} {kind.upper()} slots leaves none for "
                f"guardrails (1 is taken by the FullAWSAccess policy); lower it to at most "
                f"{maximum - 2}",
            )


# ---- warnings: legal, but dangerous --------------------------------------------------


def root_has_guardrails(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork attaches guardrails to the root (a business unit leaves the root to the core)."""
    attachments = config.guardrails.attachments
    if not config.business_unit and not attachments.get("root"):
        location: Location = ("guardrails", "attachments")
        yield Problem(
            (*location, "root") if "root" in attachments else location,
            "no guardrails are attached to 'root', so nothing protects the organization as a "
            "whole (an account outside the OUs with packs, or an OU added later, gets none); "
            "attach at least the core pack to root",
        )


def sandbox_types_not_everything(config: LandingZoneConfig) -> Iterator[Problem]:
    """The sandbox instance type patterns, together, leave some EC2 instance type out."""
    everything = ec2_instance_types()
    patterns = config.guardrails.sandbox_instance_types
    for index, pattern in enumerate(patterns):
        if instance_types_like(pattern) == everything:
            yield Problem(
                ("guardrails", "sandbox_instance_types", index),
                f"'{pattern}' matches every EC2 instance type, GPU and bare-metal ones "
                "included, so the sandbox pack limits nothing; list the types or families "
                "sandboxes may use, e.g. 't3.*'",
            )
            return
    if frozenset().union(*(instance_types_like(p) for p in patterns)) == everything:
        yield Problem(
            ("guardrails", "sandbox_instance_types"),
            "together these patterns match every EC2 instance type, GPU and bare-metal ones "
            "included, so the sandbox pack limits nothing; list the types or families "
            "sandboxes may use, e.g. 't3.*'",
        )


WARNINGS: tuple[Check, ...] = (root_has_guardrails, sandbox_types_not_everything)


CHECKS: tuple[Check, ...] = (
    guardrail_targets_exist,
    guardrail_packs_listed_once,
    guardrail_policy_types_enabled,
    guardrail_quotas_leave_room,
)
