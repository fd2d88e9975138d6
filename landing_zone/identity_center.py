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

The assignments live in nested stacks of ``<Prefix>-IdentityCenter``, one per
*slot*: an account's slot is CRC-32 of its key modulo :data:`SLOTS`, fixed
forever, so adding or removing other accounts never moves an account's
assignments (a move would create an assignment that still exists in another
nested stack). A slot with no assignments is not synthesized: the parent's
update then deletes that nested stack, and with it its assignments.
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html
"""

from __future__ import annotations

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
#: The resolver function of the parent stack: log group, role, its policy, the function.
HANDLER_RESOURCES = 4
#: Nested stacks the assignments are spread over. A constant, never a setting:
#: changing it moves almost every account to another slot. 20 slots of up to
#: 500 resources hold about 20 x 480 = 9,600 assignments with the hash's
#: unevenness (1,000 accounts x 5 assignments fill the fullest slot to about
#: 300); more slots would only add nested stacks (each a stack to create and
#: update, counted in the account's stack quota) to every small organization.
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
SLOTS = 20


@dataclass(frozen=True)
class Assignment:
    """One group given one permission set (by key) in one account (by key)."""

    group: str
    permission_set: str
    account: str


@dataclass(frozen=True)
class Slot:
    """What one nested stack of assignments holds."""

    #: 0-based slot number: ``crc32(account key) % SLOTS``.
    index: int
    assignments: tuple[Assignment, ...]
    #: Display names of the groups its assignments give, sorted.
    groups: tuple[str, ...]
    #: Keys of the permission sets its assignments give, sorted.
    permission_sets: tuple[str, ...]
    #: ``(account key, email)`` of the created accounts its assignments name, in order.
    created: tuple[tuple[str, str], ...]

    @property
    def construct_id(self) -> str:
        """The nested stack's construct id (and logical id prefix) in the parent."""
        return f"Assignments{self.index + 1:02d}"

    @property
    def resolvers(self) -> int:
        """``Custom::AccountIds`` resources: one per ``ACCOUNTS_PER_RESOLVER`` created accounts."""
        return -(-len(self.created) // ACCOUNTS_PER_RESOLVER)

    def resources(self) -> dict[str, int]:
        """Its resources by kind."""
        return {"account id lookups": self.resolvers, "assignments": len(self.assignments)}

    def parameters(self) -> int:
        """Parameters the parent passes: each permission set ARN and group id it uses, and
        the resolver's ARN when it looks accounts up."""
        return len(self.permission_sets) + len(self.groups) + (1 if self.created else 0)


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


def slot_of(account: str) -> int:
    """The slot (0-based) of an account: CRC-32 of its key, stable across runs and configs."""
    return zlib.crc32(account.encode()) % SLOTS


def main_stack(config: LandingZoneConfig) -> str:
    return stack_id(config.prefix, "IdentityCenter")


def slots(config: LandingZoneConfig) -> tuple[Slot, ...]:
    """The slots with assignments, by index (empty ones are not synthesized)."""
    center = center_of(config)
    if center is None:
        return ()
    accounts = dict(config.all_accounts())
    planned = assignments(config)
    result = []
    for index in range(SLOTS):
        mine = tuple(a for a in planned if slot_of(a.account) == index)
        if not mine:
            continue
        created = {
            a.account: accounts[a.account].email
            for a in mine
            if accounts[a.account].email is not None
        }
        result.append(
            Slot(
                index=index,
                assignments=mine,
                groups=tuple(sorted({a.group for a in mine})),
                permission_sets=tuple(sorted({a.permission_set for a in mine})),
                created=tuple((key, str(email)) for key, email in created.items()),
            )
        )
    return tuple(result)


def parent_resources(config: LandingZoneConfig) -> dict[str, int]:
    """Resources by kind of ``<Prefix>-IdentityCenter`` itself (not its nested stacks)."""
    center = center_of(config)
    if center is None:
        return {}
    planned = slots(config)
    groups = {a.group for slot in planned for a in slot.assignments}
    return {
        "permission sets": len(center.permission_sets),
        "resolver function": HANDLER_RESOURCES if planned else 0,
        "group lookups": len(groups),
        "nested stacks": len(planned),
    }


def stack_resources(config: LandingZoneConfig) -> dict[str, dict[str, int]]:
    """Resources by kind of the Identity Center stack and of each nested stack
    (``<Prefix>-IdentityCenter/Assignments<nn>``), computed from config alone."""
    center = center_of(config)
    if center is None:
        return {}
    main = main_stack(config)
    counts = {main: parent_resources(config)}
    for slot in slots(config):
        counts[f"{main}/{slot.construct_id}"] = slot.resources()
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
