"""Who gets which permission set where: the Identity Center assignments, planned from config.

Pure Python (no aws_cdk): the stacks, ``quotas.py`` and the summary use the
same plan, so the resource budget and the synthesized templates cannot
disagree.

An assignment entry of the config (group, permission set, targets) becomes
one ``AWS::SSO::Assignment`` per account of the config its targets reach
(``root`` reaches every account of the config, an OU its subtree:
:meth:`~landing_zone.org_tree.OrgTree.accounts_reached`). The management
account is not an account of the config, so nothing is ever assigned there:
permission sets provisioned to it cannot be managed by a delegated
administrator, and AWS recommends keeping access to it to the fewest people.
See: https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html

Assignments are spread over ``assignment_stacks`` stacks by a stable hash of
the account key, like created accounts over the account stacks: adding or
removing other accounts never moves an account's assignments between stacks.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from landing_zone.naming import stack_id

if TYPE_CHECKING:
    from landing_zone.config import LandingZoneConfig
    from landing_zone.config.identity import IdentityCenterConfig

#: Accounts one ``Custom::AccountIds`` resolves: its answer to CloudFormation
#: (``A<i>`` -> 12-digit id, about 20 bytes each) must stay under the 4,096
#: bytes a custom resource response may have.
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
ACCOUNTS_PER_RESOLVER = 100
#: The resolver function of each stack with assignments: log group, role, its
#: policy, the function.
HANDLER_RESOURCES = 4


@dataclass(frozen=True)
class Assignment:
    """One group given one permission set (by key) in one account (by key)."""

    group: str
    permission_set: str
    account: str


@dataclass(frozen=True)
class AssignmentShard:
    """What one stack of assignments holds."""

    #: 0-based shard number.
    index: int
    #: The stack's id (``<Prefix>-IdentityCenter`` alone when unsharded).
    stack: str
    assignments: tuple[Assignment, ...]
    #: Display names of the groups its assignments give, sorted.
    groups: tuple[str, ...]
    #: ``(account key, email)`` of the created accounts its assignments name, in order.
    created: tuple[tuple[str, str], ...]

    @property
    def resolvers(self) -> int:
        """``Custom::AccountIds`` resources: one per ``ACCOUNTS_PER_RESOLVER`` created accounts."""
        return -(-len(self.created) // ACCOUNTS_PER_RESOLVER)

    def resources(self) -> dict[str, int]:
        """Its resources by kind (without the permission sets of the unsharded stack)."""
        if not self.assignments:
            return {}
        return {
            "resolver function": HANDLER_RESOURCES,
            "group lookups": len(self.groups),
            "account id lookups": self.resolvers,
            "assignments": len(self.assignments),
        }


def center_of(config: LandingZoneConfig) -> IdentityCenterConfig | None:
    """The Identity Center section a core fork deploys (``None``: nothing to deploy)."""
    if config.business_unit:
        return None
    return config.identity.identity_center


def accounts_reached(config: LandingZoneConfig, targets: list[str]) -> tuple[str, ...]:
    """Account keys ``targets`` reach, in config order: 'root' and OU keys by the tree,
    account keys themselves."""
    by_tree = set(config.tree.accounts_reached(targets))
    return tuple(key for key, _ in config.all_accounts() if key in by_tree or key in targets)


def assignments(config: LandingZoneConfig) -> tuple[Assignment, ...]:
    """Every (group, permission set, account) the config asks for, in config order."""
    center = center_of(config)
    if center is None:
        return ()
    seen: dict[Assignment, None] = {}
    for entry in center.assignments:
        for account in accounts_reached(config, entry.targets):
            seen.setdefault(Assignment(entry.group, entry.permission_set, account))
    return tuple(seen)


def assignment_stack(config: LandingZoneConfig, account: str) -> int:
    """The assignment stack (0-based) of an account: CRC-32 of its key, stable across runs."""
    center = center_of(config)
    stacks = center.assignment_stacks if center is not None else 1
    return zlib.crc32(account.encode()) % stacks


def main_stack(config: LandingZoneConfig) -> str:
    return stack_id(config.prefix, "IdentityCenter")


def shards(config: LandingZoneConfig) -> tuple[AssignmentShard, ...]:
    """Each assignment stack's content; one shard (the main stack) when unsharded."""
    center = center_of(config)
    if center is None:
        return ()
    accounts = dict(config.all_accounts())
    planned = assignments(config)
    result = []
    for index in range(center.assignment_stacks):
        mine = tuple(a for a in planned if assignment_stack(config, a.account) == index)
        created = {
            a.account: accounts[a.account].email
            for a in mine
            if accounts[a.account].email is not None
        }
        result.append(
            AssignmentShard(
                index=index,
                stack=main_stack(config)
                if center.assignment_stacks == 1
                else stack_id(config.prefix, f"IdentityCenter-{index + 1}"),
                assignments=mine,
                groups=tuple(sorted({a.group for a in mine})),
                created=tuple((key, str(email)) for key, email in created.items()),
            )
        )
    return tuple(result)


def stack_resources(config: LandingZoneConfig) -> dict[str, dict[str, int]]:
    """Resources by kind of every Identity Center stack, computed from config alone."""
    center = center_of(config)
    if center is None:
        return {}
    counts: dict[str, dict[str, int]] = {
        main_stack(config): {"permission sets": len(center.permission_sets)}
    }
    for shard in shards(config):
        if shard.assignments:
            counts.setdefault(shard.stack, {}).update(shard.resources())
    return counts


def who_can_reach_what(config: LandingZoneConfig) -> list[tuple[str, str, str, int]]:
    """``(group, targets, permission set name, accounts reached)`` per config entry."""
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


# ---- the reconciler: assignments of accounts outside the config ----------------------------

#: Lambda allows 4 KB for all of a function's environment variables together
#: (names and values): the reconciler's whole input is one of them.
#: See: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
ENVIRONMENT_BYTES = 4096
#: The environment variable that carries :func:`reconciler_input`.
RECONCILER_VARIABLE = "DESIRED"
#: Organizations is a global service: its CloudTrail events reach EventBridge
#: only in US East (N. Virginia), so the rule and its function live there.
#: See: https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
EVENTS_REGION = "us-east-1"


def reconciler_input(config: LandingZoneConfig) -> dict[str, object]:
    """What the reconciler needs, literals from the config only (it runs in another region
    than the permission sets and cannot read their ARNs): the instance, the config's
    accounts to leave to CloudFormation, and each rule as (OU names from the root, group
    display name, permission set name). A rule ``[[], g, p]`` is ``root``: every account.
    Account-key targets give no rule: they name config accounts, which CloudFormation owns.
    """
    center = center_of(config)
    if center is None:
        return {}
    names = {key: unit.name for key, unit, _, _ in config.walk_units()}
    rules: list[list[object]] = []
    known = [e for e in center.assignments if e.permission_set in center.permission_sets]
    for entry in known:
        permission_set = center.permission_sets[entry.permission_set].name
        for target in entry.targets:
            if target == "root":
                rules.append([[], entry.group, permission_set])
            elif target in names:
                path = [names[key] for key in config.tree.path(target)[1:]]
                rules.append([path, entry.group, permission_set])
    return {
        "instance": center.instance_arn,
        "store": center.identity_store_id,
        "region": center.region,
        "management": config.organization.management_account_id,
        "ids": sorted(a.account_id for _, a in config.all_accounts() if a.account_id),
        "emails": sorted(str(a.email).lower() for _, a in config.all_accounts() if a.email),
        # Every (group, permission set) pair of the config: the reconciler owns these
        # pairs, and no other, on the accounts outside the config.
        "owned": sorted({(e.group, center.permission_sets[e.permission_set].name) for e in known}),
        "rules": rules,
    }


def reconciler_environment(config: LandingZoneConfig) -> str:
    """:func:`reconciler_input` as compact JSON, the environment variable's value."""
    return json.dumps(reconciler_input(config), separators=(",", ":"), sort_keys=True)


def reconciler_environment_bytes(config: LandingZoneConfig) -> int:
    """Bytes the reconciler's environment takes (name and value, UTF-8)."""
    return len(RECONCILER_VARIABLE.encode()) + len(reconciler_environment(config).encode())


def reconciler_stack(config: LandingZoneConfig) -> str:
    return stack_id(config.prefix, "IdentityCenterReconciler")
