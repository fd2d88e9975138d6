"""The organization as config describes it: OU paths, ancestors, and who a target reaches.

One helper for every question about the tree, so the config checks, the
guardrail packer, the baseline and the summary cannot disagree on it. Pure
Python (no pydantic, no aws_cdk): built from ``(key, parent)`` pairs and
``(key, ou, account_id)`` triples, so it knows nothing of the config models.

A *target* is ``"root"`` or an OU key, as in ``guardrails.attachments``,
``baseline.targets`` and Security Hub policy targets. Policies attached to a
target and StackSets deployed to it reach every OU below it.
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

ROOT = "root"


@dataclass(frozen=True)
class TreeAccount:
    """An account of the config: its key, the OU key it sits in, its id if adopted."""

    key: str
    ou: str
    account_id: str | None = None


@dataclass(frozen=True)
class OrgTree:
    """OU keys with their parents (``None`` for a top-level OU), in config order."""

    parents: dict[str, str | None]
    accounts: tuple[TreeAccount, ...] = ()
    _paths: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Parents come before children (the config is walked top-down), so
        # one pass builds every path. A parent that is not a key is treated
        # as a top-level OU; the config checks report it.
        paths: dict[str, tuple[str, ...]] = {ROOT: (ROOT,)}
        for key, parent in self.parents.items():
            paths[key] = (*paths.get(parent or ROOT, (ROOT,)), key)
        object.__setattr__(self, "_paths", paths)

    @classmethod
    def build(
        cls, *, units: Iterable[tuple[str, str | None]], accounts: Iterable[TreeAccount] = ()
    ) -> OrgTree:
        """The tree of ``(key, parent)`` pairs, parents first.

        A repeated key keeps its first place and parent, and an OU keyed
        ``root`` is left out: neither can be deployed, and the config
        reports both; until then the tree stays the one ``walk_units`` sees.
        """
        parents: dict[str, str | None] = {}
        for key, parent in units:
            if key != ROOT and key not in parents:
                parents[key] = parent
        return cls(parents=parents, accounts=tuple(accounts))

    def path(self, target: str) -> tuple[str, ...]:
        """From the root to ``target``, both included: ``prod`` -> (root, workloads, prod)."""
        return self._paths[target]

    def paths(self) -> dict[str, tuple[str, ...]]:
        """Every target's path, the root first, then OUs parents first."""
        return dict(self._paths)

    def ancestors(self, target: str) -> tuple[str, ...]:
        """OU keys above ``target``, nearest first (the root excluded)."""
        return tuple(reversed(self._paths[target][1:-1]))

    def reaches(self, targets: Collection[str], ou: str) -> bool:
        """Whether something deployed to ``targets`` reaches OU ``ou`` (or its accounts)."""
        return any(level in targets for level in self._paths.get(ou, (ROOT, ou)))

    def covering(self, targets: Collection[str], target: str) -> tuple[str, ...]:
        """The targets among ``target``'s ancestors, nearest first: each already reaches it."""
        return tuple(a for a in self.ancestors(target) if a in targets)

    def units_reached(self, targets: Collection[str]) -> tuple[str, ...]:
        """OU keys ``targets`` reach, parents first."""
        return tuple(key for key in self.parents if self.reaches(targets, key))

    def accounts_reached(
        self, targets: Collection[str], *, excluded: Collection[str] = ()
    ) -> tuple[str, ...]:
        """Keys of the accounts ``targets`` reach, less ``excluded`` (account keys or ids)."""
        return tuple(
            account.key
            for account in self.accounts
            if self.reaches(targets, account.ou)
            and account.key not in excluded
            and (account.account_id or "") not in excluded
        )
