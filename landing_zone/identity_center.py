"""Who gets which permission set where: the Identity Center assignment rules, from config.

Pure Python (no aws_cdk): the stack, the config checks and the summary use
the same rules, so what is validated, deployed and printed cannot disagree.

One owner per assignment. ``<Prefix>-IdentityCenterReconciler``
(``landing_zone/lambdas/identity_center_reconciler.py``) owns every
assignment of the landing zone's permission sets to the config's groups, in
every member account: the accounts of the config and the accounts created,
invited or moved outside it. CloudFormation owns the permission sets, not
the assignments. docs/identity.md says why: with CloudFormation owning the
config accounts' assignments and a reconciler the others', an account that
joins the config already holds the reconciler's assignment, and
``AWS::SSO::Assignment`` refuses to create one that exists; an account that
leaves it loses CloudFormation's while the reconciler adds its own, in either
order. Nothing is ever assigned in the management account: permission sets
provisioned there cannot be managed by a delegated administrator, and AWS
recommends keeping access to it to the fewest people.
See: https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html

A *rule* is one (target, group, permission set name) of the config: the
target is ``[]`` (the root: every member account), a list of OU names from
the root (every account in that OU's subtree, found by name in the live
organization: OU names are unique among siblings), or an account's id or
email (one account of the config). The rules travel as one compressed
string, in the function's environment (for the runs Organizations' events
and the schedule start) and in the deploy-time custom resource's properties
(for the run each deployment starts, and its rollback).
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from landing_zone.naming import stack_id

if TYPE_CHECKING:
    from landing_zone.config import LandingZoneConfig
    from landing_zone.config.identity import IdentityCenterConfig

#: The environment variable holding the encoded rules.
RULES_VARIABLE = "RULES"
#: Lambda allows 4 KB of environment variables in all (names and values); the
#: rest of this function's environment is this variable's name.
#: See: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_ENCODED_RULES = 4096 - len(RULES_VARIABLE) - 64
#: Where AWS Organizations' events reach EventBridge: Organizations is a
#: global service whose CloudTrail events are delivered in us-east-1 only.
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_security_incident-response.html
ORGANIZATIONS_EVENTS_REGION = "us-east-1"

#: The guardrail that denies everything but the privileged roles: an OU under it
#: (Suspended) gets no assignment from a rule on the root or an ancestor.
DENY_ALL_GUARDRAIL = "deny-all-suspended"

#: A rule's target: ``[]`` the root, ``[name, ...]`` an OU by its name path,
#: ``"<id or email>"`` one account.
Target = list[str] | str


@dataclass(frozen=True)
class Rule:
    """One group given one permission set (by name) on one target."""

    target: Target
    group: str
    permission_set: str


def center_of(config: LandingZoneConfig) -> IdentityCenterConfig | None:
    """The Identity Center section a core fork deploys (``None``: nothing to deploy)."""
    if config.business_unit:
        return None
    return config.identity.identity_center


def main_stack(config: LandingZoneConfig) -> str:
    return stack_id(config.prefix, "IdentityCenter")


def events_stack(config: LandingZoneConfig) -> str | None:
    """The us-east-1 stack forwarding Organizations' events to the instance's region
    (``None``: no Identity Center, or the instance is in us-east-1, where the events are)."""
    center = center_of(config)
    if center is None or center.region == ORGANIZATIONS_EVENTS_REGION:
        return None
    return stack_id(config.prefix, "IdentityCenterEvents")


def reconciler_name(config: LandingZoneConfig) -> str:
    """The function's name: ``<Prefix>-*`` functions are protected by the guardrails."""
    return f"{config.prefix}-IdentityCenterReconciler"


def ou_name_paths(config: LandingZoneConfig) -> dict[str, list[str]]:
    """Each OU key's names from the root down, itself included."""
    paths: dict[str, list[str]] = {}
    for key, unit, parent, _ in config.walk_units():
        paths[key] = [*(paths[parent] if parent else []), unit.name]
    return paths


def rules(config: LandingZoneConfig) -> tuple[Rule, ...]:
    """Every (target, group, permission set name) the config asks for, in config order."""
    center = center_of(config)
    if center is None:
        return ()
    paths = ou_name_paths(config)
    accounts = dict(config.all_accounts())
    result: list[Rule] = []
    for entry in center.assignments:
        name = center.permission_sets[entry.permission_set].name
        for target in entry.targets:
            if target == "root":
                resolved: Target = []
            elif target in paths:
                resolved = paths[target]
            else:
                account = accounts[target]
                resolved = account.account_id or str(account.email).lower()
            result.append(Rule(resolved, entry.group, name))
    return tuple(result)


def fenced_units(config: LandingZoneConfig) -> list[list[str]]:
    """Name paths of the OUs under the deny-all guardrail: every session there is denied
    everything (but the privileged roles), so assigning there only makes unusable roles.
    A rule naming such an OU (or an account in it) still reaches it."""
    from landing_zone.guardrails.packs import BY_ID

    paths = ou_name_paths(config)
    return [
        paths[target]
        for target, packs in config.guardrails.attachments.items()
        if target in paths
        and any(DENY_ALL_GUARDRAIL in BY_ID[p].guardrails for p in packs if p in BY_ID)
    ]


def reconciler_input(config: LandingZoneConfig) -> dict[str, object]:
    """What the reconciler needs, all of it literal config (no deploy-time value)."""
    center = center_of(config)
    if center is None:
        return {}
    return {
        "excluded": fenced_units(config),
        "instance": center.instance_arn,
        "store": center.identity_store_id,
        "region": center.region,
        "management": config.organization.management_account_id,
        "rules": [[r.target, r.group, r.permission_set] for r in rules(config)],
    }


def encode(document: dict[str, object]) -> str:
    """Compact JSON, gzip (no timestamp: the same config gives the same bytes), base64."""
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()


def encoded_rules(config: LandingZoneConfig) -> str:
    return encode(reconciler_input(config))


def accounts_reached(config: LandingZoneConfig, targets: list[str]) -> tuple[str, ...]:
    """Account keys of the config ``targets`` reach, in config order, as the reconciler
    reaches them: 'root' and OU keys their subtree (but an OU under the deny-all guardrail
    only from itself or below), account keys themselves."""
    from landing_zone.guardrails.packs import BY_ID

    tree = config.tree
    fenced = {
        target
        for target, packs in config.guardrails.attachments.items()
        if target in tree.parents
        and any(DENY_ALL_GUARDRAIL in BY_ID[p].guardrails for p in packs if p in BY_ID)
    }
    reached = []
    for key, account in config.all_accounts():
        path = tree.path(account.ou)  # (root, ..., the account's OU)
        fences = [path.index(unit) for unit in path if unit in fenced]
        if key in targets or any(
            unit in targets and all(depth >= fence for fence in fences)
            for depth, unit in enumerate(path)
        ):
            reached.append(key)
    return tuple(reached)


def who_can_reach_what(config: LandingZoneConfig) -> list[tuple[str, str, str, int]]:
    """``(group, targets, permission set name, accounts of the config reached)`` per entry."""
    center = center_of(config)
    if center is None:
        return []
    return [
        (
            entry.group,
            ", ".join(entry.targets),
            center.permission_sets[entry.permission_set].name,
            len(accounts_reached(config, entry.targets)),
        )
        for entry in center.assignments
    ]
