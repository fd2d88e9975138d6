"""The effective management policy of a target, merged as AWS Organizations merges them.

Management policies (tag, backup, AI opt-out, EC2 declarative, S3) attached
along a path root -> OU -> ... are applied in that order. Value-setting
operators: ``@@assign`` overwrites (a whole list for a list), ``@@append``
adds values to an inherited list, ``@@remove`` takes values out of it.
``@@operators_allowed_for_child_policies`` limits which of them policies
lower in the tree may use at that key and below (``@@all`` by default,
``@@none`` locks it); a child can narrow that further but never widen it.
The effective policy shows the values alone, without operators.
See: https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/inheritance-examples.html

One policy per type per target here (the config attaches at most one), so
the same-level merging of several policies on one node is not modelled.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ASSIGN = "@@assign"
APPEND = "@@append"
REMOVE = "@@remove"
CHILD_CONTROL = "@@operators_allowed_for_child_policies"
VALUE_OPERATORS = frozenset({ASSIGN, APPEND, REMOVE})
_UNSET: Any = object()


@dataclass(frozen=True)
class Violation:
    """A child policy used an operator at ``path`` that a parent policy does not allow there."""

    path: tuple[str, ...]
    operator: str
    allowed: frozenset[str]

    def describe(self) -> str:
        allowed = ", ".join(sorted(self.allowed)) or "@@none"
        return (
            f"{self.operator} at {'.'.join(self.path)} is not allowed: a parent policy allows "
            f"child policies only {allowed} there"
        )


def _allowed(operators: Iterable[str]) -> frozenset[str]:
    listed = set(operators)
    if "@@all" in listed:
        return VALUE_OPERATORS
    return frozenset(listed & VALUE_OPERATORS)


@dataclass
class _Node:
    value: Any = _UNSET
    #: What policies applied after the one that set it may use here and below.
    allowed: frozenset[str] = VALUE_OPERATORS
    children: dict[str, _Node] = field(default_factory=dict)

    def render(self) -> Any:
        if self.value is not _UNSET:
            return copy.deepcopy(self.value)
        rendered = {key: child.render() for key, child in self.children.items()}
        return {key: value for key, value in rendered.items() if value != {}}


def _apply(
    node: _Node,
    fragment: Mapping[str, Any],
    *,
    allowed: frozenset[str],
    path: tuple[str, ...],
    violations: list[Violation],
) -> None:
    # The policy's own restriction binds the policies after it, not itself.
    allowed_here = allowed & node.allowed
    for key, value in fragment.items():
        if key == CHILD_CONTROL:
            continue
        if key in VALUE_OPERATORS:
            if key not in allowed_here:
                violations.append(Violation(path, key, allowed_here))
                continue
            node.children.clear()
            if key == ASSIGN:
                node.value = copy.deepcopy(value)
            else:
                current = node.value if isinstance(node.value, list) else []
                if key == APPEND:
                    node.value = [*current, *(v for v in value if v not in current)]
                else:
                    node.value = [v for v in current if v not in value]
        elif isinstance(value, Mapping):
            child = node.children.setdefault(key, _Node())
            _apply(child, value, allowed=allowed_here, path=(*path, key), violations=violations)
        else:
            # A bare value (not under an operator) is what @@assign would set.
            if ASSIGN not in allowed_here:
                violations.append(Violation((*path, key), ASSIGN, allowed_here))
                continue
            node.children[key] = _Node(value=copy.deepcopy(value))
    if CHILD_CONTROL in fragment:
        node.allowed = node.allowed & _allowed(fragment[CHILD_CONTROL])


@dataclass(frozen=True)
class Effective:
    """The effective policy (values only) and every operator a locked setting refused."""

    policy: dict[str, Any]
    violations: tuple[Violation, ...]


def effective_policy(policies: Iterable[Mapping[str, Any]]) -> Effective:
    """The effective policy of ``policies``, given parent first (root, OUs, then the account)."""
    root = _Node()
    violations: list[Violation] = []
    for policy in policies:
        _apply(root, policy, allowed=VALUE_OPERATORS, path=(), violations=violations)
    rendered = root.render()
    return Effective(rendered if isinstance(rendered, dict) else {}, tuple(violations))
