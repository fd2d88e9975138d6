"""Turn the packs attached to each target into as few organization policies as fit the quotas.

For every target (the root or an OU) and policy type:

1. collect the guardrails of its packs, in pack order, skipping any a parent
   target already applies (SCPs and RCPs inherit down the tree);
2. render their statements with the privileged exemption;
3. merge statements that differ only in their actions (same resources and
   condition): a Deny over the union denies exactly what the parts denied;
4. pack the statements into policies of at most the size quota (first fit,
   largest first, so the result is deterministic), minified because
   Organizations counts every character, whitespace included; each fit is
   measured on the very document that will be stored, not estimated;
5. check the attachment quota: FullAWSAccess (or RCPFullAWSAccess) always
   takes one slot, and ``*_reserved_per_target`` slots stay free.

Written here rather than taken from a library: no PyPI package packs SCPs
against quotas (LZA and Control Tower users split policies by hand).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from landing_zone.config import LandingZoneConfig, guardrail_inputs
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.evaluate import listed
from landing_zone.guardrails.model import PolicyKind, render
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.org_tree import ROOT

KINDS: tuple[PolicyKind, ...] = ("scp", "rcp")
FULL_ACCESS_POLICY = {"scp": "FullAWSAccess", "rcp": "RCPFullAWSAccess"}
POLICY_TYPE = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}
VERSION = "2012-10-17"
DESCRIPTION_MAX = 512  # AWS::Organizations::Policy Description


@dataclass(frozen=True)
class PackedPolicy:
    """One organization policy ready to become an ``AWS::Organizations::Policy``."""

    target: str
    kind: PolicyKind
    index: int
    name: str
    description: str
    packs: tuple[str, ...]
    guardrails: tuple[str, ...]
    content: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class TargetBudget:
    """Quota use of one target for one policy type."""

    target: str
    kind: PolicyKind
    policies: tuple[PackedPolicy, ...]
    slots: int  # policies this target may hold for guardrails
    max_chars: int

    @property
    def largest(self) -> int:
        return max((p.size for p in self.policies), default=0)


@dataclass(frozen=True)
class GuardrailPlan:
    """Every policy the landing zone attaches, and the budget use per target."""

    budgets: tuple[TargetBudget, ...]

    @property
    def policies(self) -> tuple[PackedPolicy, ...]:
        return tuple(p for budget in self.budgets for p in budget.policies)


class GuardrailBudgetError(Exception):
    """The guardrails for one or more targets do not fit the quotas."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def target_paths(config: LandingZoneConfig) -> dict[str, tuple[str, ...]]:
    """Each target's path from the root, itself included: ``prod`` -> (root, workloads, prod)."""
    return config.tree.paths()


def plan_guardrails(config: LandingZoneConfig) -> GuardrailPlan:
    """Pack every target's guardrails, or raise :class:`GuardrailBudgetError`."""
    inputs = guardrail_inputs(config)
    quotas = config.guardrails.quotas
    attachments = config.guardrails.attachments
    budgets: list[TargetBudget] = []
    problems: list[str] = []
    for target, path in target_paths(config).items():
        packs = tuple(attachments.get(target, ()))
        if not packs:
            continue
        inherited = {
            g
            for ancestor in path[:-1]
            for p in attachments.get(ancestor, ())
            for g in PACKS[p].guardrails
        }
        for kind in KINDS:
            guardrails = tuple(
                dict.fromkeys(
                    g
                    for p in packs
                    for g in PACKS[p].guardrails
                    if GUARDRAILS[g].kind == kind and g not in inherited
                )
            )
            if not guardrails:
                continue
            max_chars: int = getattr(quotas, f"{kind}_max_chars")
            maximum: int = getattr(quotas, f"{kind}_max_per_target")
            reserved: int = getattr(quotas, f"{kind}_reserved_per_target")
            slots = maximum - 1 - reserved
            statements = _merge(
                (g, render(s, kind=kind, inputs=inputs))
                for g in guardrails
                for s in GUARDRAILS[g].statements(inputs)
            )
            bins, too_big = _pack(statements, max_chars=max_chars)
            for guardrail_ids, size in too_big:
                problems.append(
                    f"{_label(target)}: a statement of {', '.join(guardrail_ids)} is {size} "
                    f"characters on its own, over the {kind.upper()} size quota of {max_chars}. "
                    f"Shorten its config-driven lists (regions, instance types, principals) "
                    f"or raise guardrails.quotas.{kind}_max_chars if your organization's "
                    "quota is higher"
                )
            if len(bins) > slots:
                problems.append(
                    f"{kind.upper()} packs for {_label(target)} need {len(bins)} policies; "
                    f"the quota is {maximum} (1 taken by {FULL_ACCESS_POLICY[kind]}, "
                    f"{reserved} reserved), leaving {slots} for guardrails. Move packs to a parent "
                    f"OU, drop a pack from this target, or raise "
                    f"guardrails.quotas.{kind}_max_per_target (if AWS raised your quota) or "
                    f"lower guardrails.quotas.{kind}_reserved_per_target"
                )
            policies = tuple(
                _policy(
                    prefix=config.prefix,
                    target=target,
                    kind=kind,
                    number=number,
                    packs=packs,
                    members=members,
                    content=content,
                )
                for number, (members, content) in enumerate(bins, start=1)
            )
            budgets.append(TargetBudget(target, kind, policies, slots, max_chars))
    if problems:
        raise GuardrailBudgetError(problems)
    return GuardrailPlan(tuple(budgets))


@dataclass
class _Merged:
    guardrails: list[str]
    statement: dict[str, object]
    sids: list[str]


def _merge(rendered: Iterable[tuple[str, dict[str, object]]]) -> list[_Merged]:
    merged: list[_Merged] = []
    by_shape: dict[str, _Merged] = {}
    for guardrail, statement in rendered:
        if "Action" not in statement:
            merged.append(_Merged([guardrail], statement, [str(statement["Sid"])]))
            continue
        shape = json.dumps(
            {k: v for k, v in statement.items() if k not in ("Sid", "Action")}, sort_keys=True
        )
        existing = by_shape.get(shape)
        if existing is None:
            entry = _Merged([guardrail], dict(statement), [str(statement["Sid"])])
            by_shape[shape] = entry
            merged.append(entry)
            continue
        actions = listed(existing.statement["Action"]) + listed(statement["Action"])
        existing.statement["Action"] = sorted(set(actions), key=str.lower)
        existing.sids.append(str(statement["Sid"]))
        # The Sid names the first part and how many were merged into it; the
        # policy description lists every guardrail the policy carries.
        existing.statement["Sid"] = f"{existing.sids[0]}And{len(existing.sids) - 1}More"
        if guardrail not in existing.guardrails:
            existing.guardrails.append(guardrail)
    return merged


def _minified(statements: Sequence[dict[str, object]]) -> str:
    # ASCII only (json.dumps escapes anything else), so the length in
    # characters, which the quota counts, is also the length in bytes.
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    return json.dumps({"Version": VERSION, "Statement": list(statements)}, separators=(",", ":"))


def _pack(
    statements: list[_Merged], *, max_chars: int
) -> tuple[list[tuple[list[_Merged], str]], list[tuple[list[str], int]]]:
    """First-fit-decreasing bins of statements, each with its document as it will be stored.

    Every fit is decided on the real minified document the bin would become
    (catalog order, separators and all), not on a sum of per-statement
    estimates, so a policy is never a character over ``max_chars``.
    """

    def document(members: list[int]) -> str:
        # Catalog order inside each policy keeps the output readable and stable.
        return _minified([statements[i].statement for i in sorted(members)])

    alone = [len(document([i])) for i in range(len(statements))]
    # A statement's own text: what it adds to any document besides a comma.
    text = [size - len(_minified([])) for size in alone]
    bins: list[list[int]] = []
    contents: list[str] = []
    too_big: list[tuple[list[str], int]] = []
    for index in sorted(range(len(statements)), key=lambda i: (-alone[i], i)):
        if alone[index] > max_chars:
            too_big.append((statements[index].guardrails, alone[index]))
            continue
        for number, members in enumerate(bins):
            if len(contents[number]) + text[index] > max_chars:
                continue  # cannot fit even before the comma: spare the serialization
            candidate = document([*members, index])
            if len(candidate) <= max_chars:
                members.append(index)
                contents[number] = candidate
                break
        else:
            bins.append([index])
            contents.append(document([index]))
    # Policies ordered by their first statement, for the same reason.
    ordered = sorted(zip(bins, contents, strict=True), key=lambda pair: min(pair[0]))
    return [([statements[i] for i in sorted(b)], content) for b, content in ordered], too_big


def _policy(
    *,
    prefix: str,
    target: str,
    kind: PolicyKind,
    number: int,
    packs: tuple[str, ...],
    members: list[_Merged],
    content: str,
) -> PackedPolicy:
    guardrails = tuple(dict.fromkeys(g for m in members for g in m.guardrails))
    description = f"{prefix} landing zone guardrails (packs {', '.join(packs)}): " + ", ".join(
        guardrails
    )
    if len(description) > DESCRIPTION_MAX:
        description = description[: DESCRIPTION_MAX - 3] + "..."
    return PackedPolicy(
        target=target,
        kind=kind,
        index=number,
        name=f"{prefix}-{target}-{kind}-{number}",
        description=description,
        packs=packs,
        guardrails=guardrails,
        content=content,
    )


def _label(target: str) -> str:
    return "the root" if target == ROOT else f"OU '{target}'"
