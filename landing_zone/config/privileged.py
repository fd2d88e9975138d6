"""Privileged principals: which patterns the guardrails can protect, and where they must.

Every guardrail that exempts anyone exempts the privileged principals by
``aws:PrincipalArn`` (``ArnNotLike``). An exemption by name is only as strong
as the name: whoever can create a role that matches it, or change the trust
policy of one, passes every guardrail. The ``protect-privileged-roles``
guardrail therefore denies creating or changing any role that matches a
privileged pattern to everyone but the privileged principals and the
StackSets. That works only for patterns it can reserve without blocking
ordinary work, and only where it is attached; this module refuses the rest.

See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic_core import PydanticCustomError

from landing_zone.config.guardrails import deny_all_packs, guardrail_inputs
from landing_zone.config.types import Check, Problem
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.packs import BY_ID as PACKS

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

# The guardrail that reserves the privileged names.
PROTECTION = "protect-privileged-roles"

# A wildcard needs this many literal characters before it. Shorter prefixes
# (Admin*, Deploy*, Github*) are names workload teams choose every day: the
# guardrails would exempt every such role and reserve every such name, so
# nobody could create one. Eight characters take an organization-specific
# prefix (AcmeCCoE-*, stacksets-exec-*), which nobody picks by accident.
MIN_LITERAL_PREFIX = 8

_ARN = re.compile(
    r"arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):"
    r"(?P<resource>.*)",
    re.DOTALL,
)
# IAM names and paths: alphanumerics and +=,.@_- (paths add /); ArnLike adds * and ?.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
_ROLE_CHARACTERS = re.compile(r"[\w+=,.@/*?-]+", re.ASCII)
_WILDCARD = re.compile(r"[*?]")

_EXAMPLE = "arn:aws:iam::111111111111:role/AcmeBreakGlass"


def unprotectable(arn: str) -> str | None:
    """Why the guardrails cannot protect this privileged pattern, or None if they can."""
    match = _ARN.fullmatch(arn)
    if match is None or not match["partition"].startswith("aws"):
        return f"'{arn}' is not an IAM role ARN; write it like {_EXAMPLE}"
    if match["service"] == "sts":
        return (
            "aws:PrincipalArn of a role session is the role's ARN, never the assumed-role "
            f"session's, so '{arn}' would exempt nobody; write the role's ARN, like {_EXAMPLE}"
        )
    if match["service"] != "iam" or match["region"]:
        return f"'{arn}' is not an IAM role ARN; write it like {_EXAMPLE}"
    account = match["account"]
    if account != "*" and not re.fullmatch(r"\d{12}", account):
        return (
            f"the account in '{arn}' must be a 12-digit account id (best: the one account the "
            "role lives in) or '*' for a role that exists in every account"
        )
    resource = match["resource"]
    if resource == "root":
        return (
            "an account's root user cannot be exempt: the core pack denies member root users "
            "everything, and centralized root access (sts:AssumeRoot from the management "
            "account) is how to repair an account; remove this principal"
        )
    kind = resource.split("/", 1)[0]
    if kind == "user":
        return (
            "IAM users cannot be privileged: their access keys and passwords are long-lived "
            "credentials no session policy or MFA condition bounds, and the guardrails only "
            "reserve role names; exempt a role the person assumes (with MFA) instead"
        )
    if kind != "role" or "/" not in resource:
        return (
            f"'{kind}' is not a principal the guardrails can exempt (only IAM roles are); "
            f"write a role ARN like {_EXAMPLE}"
        )
    role = resource.removeprefix("role/")
    if not _ROLE_CHARACTERS.fullmatch(role) or "//" in role or role.startswith("/"):
        return (
            f"'{role}' is not a valid role name or path (letters, digits, +=,.@_- and / "
            "between path parts; * and ? as wildcards)"
        )
    wildcard = _WILDCARD.search(role)
    literal = role if wildcard is None else role[: wildcard.start()]
    if wildcard is not None and wildcard.start() < MIN_LITERAL_PREFIX:
        reach = f"whose name starts with '{literal}'" if literal else "in the account"
        return (
            f"'role/{role}' matches every role {reach}: the "
            "guardrails would exempt each of them and reserve all those names, so workload "
            f"teams could not create one; give at least {MIN_LITERAL_PREFIX} literal "
            "characters before the first wildcard (role/AcmeCCoE-*) or, better, the exact name"
        )
    if _may_match_under(role, literal, "aws-reserved/"):
        return (
            "Identity Center creates the roles under aws-reserved/ itself (through its "
            "service-linked role, which SCPs do not affect), and names them after permission "
            "sets that any Identity Center administrator can create, so the guardrails cannot "
            "reserve those names; exempt a role you deploy and let the permission set's users "
            "assume it"
        )
    if _may_match_under(role, literal, "aws-service-role/"):
        return (
            "SCPs never apply to service-linked roles, so exempting one does nothing; "
            "remove this principal"
        )
    return None


def _may_match_under(role: str, literal: str, path: str) -> bool:
    """Whether the pattern can match a role under ``path``: it starts there, or its
    literal text before the first wildcard is a beginning of ``path`` (``aws-reserv*``,
    ``aws-reserved?sso...``)."""
    if role.startswith(path):
        return True
    return literal != role and path.startswith(literal)


def privileged_arn(value: str) -> str:
    """Field validator: refuse a pattern the guardrails cannot protect, saying why."""
    problem = unprotectable(value)
    if problem is not None:
        raise PydanticCustomError(
            "guardrail_privileged_principal", "{problem}", {"problem": problem}
        )
    return value


# ---- checks -----------------------------------------------------------------------


def privileged_names_protected_where_exempt(config: LandingZoneConfig) -> Iterator[Problem]:
    """Wherever an SCP exempts the privileged principals, protect-privileged-roles applies too.

    An exemption without the protection is the bypass itself: any admin of an
    account there could create a role of a privileged name and pass every
    guardrail. The protection reaches a target from the target itself or any
    ancestor (SCPs inherit down the tree); a deny-all pack protects as well.
    """
    inputs = guardrail_inputs(config)
    attachments = config.guardrails.attachments
    # A pack that denies everything to all but the privileged principals
    # denies creating or changing a role with their names too.
    deny_all = deny_all_packs(config)
    protected = {
        target
        for target, packs in attachments.items()
        if any(
            pack in deny_all or PROTECTION in PACKS[pack].guardrails
            for pack in packs
            if pack in PACKS
        )
    }
    for target, path in config.tree.paths().items():
        exempting = sorted(
            {
                guardrail
                for pack in attachments.get(target, ())
                if pack in PACKS
                for guardrail in PACKS[pack].guardrails
                if GUARDRAILS[guardrail].kind == "scp"
                and any(s.exempt_privileged for s in GUARDRAILS[guardrail].statements(inputs))
            }
        )
        if exempting and not protected.intersection(path):
            fix = (
                "attach the privileged-roles pack to this fork's top OU"
                if config.mode == "business-unit"
                else "attach the core pack to root"
            )
            yield Problem(
                ("guardrails", "attachments", target),
                f"{', '.join(exempting)} exempt the privileged principals here, but "
                f"{PROTECTION} (in the core and privileged-roles packs) does not reach this "
                "target, so an admin of an account here could create a role with a privileged "
                f"name and pass every guardrail; {fix}",
            )


CHECKS: tuple[Check, ...] = (privileged_names_protected_where_exempt,)
