"""Decide translated requests against a plan's SCPs and RCPs, with a decision cache.

Who the policies apply to, as AWS documents it:

- SCPs restrict IAM users and roles (and the root user) of member accounts
  only: not the management account, not service-linked roles, not AWS
  service principals, and not principals of other organizations.
  See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
- RCPs restrict requests to resources in member accounts: not resources in
  the management account; service-linked roles are not restricted either.
  See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html

SCPs are decided on the OU path of the principal's account, RCPs on that of
the resource's account. The cache key is everything the decision can depend
on: both OU paths, the action, the resources, and only the context keys the
policies test (their values, and which are unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from landing_zone.guardrails.evaluate import (
    FULL_ACCESS,
    Request,
    Undecidable,
    UnsupportedPolicy,
    condition_holds,
    evaluate,
    listed,
    statement_matches,
    statements_of,
    string_like,
)
from landing_zone.whatif.translate import IAM_IDENTITY_TYPES, Translated

Kind = Literal["scp", "rcp"]
POLICY_TYPE = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}
#: Context values whose signatures are remembered (then forgotten all at once): bounded memory.
SIGNATURES_KEPT = 200_000
#: The account is not in the organization (known only with --live).
OUTSIDE = "(outside the organization)"


@dataclass(frozen=True)
class Policy:
    name: str
    target: str
    kind: Kind
    document: Mapping[str, Any]
    #: guardrail id -> its statements as rendered (to name what denied).
    guardrails: Mapping[str, Sequence[Mapping[str, Any]]]


class Plan:
    """A snapshot (``snapshot.py``) as levels of policies per OU and policy type."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.organization_id: str = data["organization_id"]
        self.management_account_id: str = data["management_account_id"]
        self.partition: str = data.get("partition", "aws")
        self.paths: dict[str, tuple[str, ...]] = {
            key: tuple(path) for key, path in data["paths"].items()
        }
        self.accounts: dict[str, str] = dict(data["accounts"])
        self.policies = tuple(
            Policy(p["name"], p["target"], p["kind"], p["document"], p["guardrails"])
            for p in data["policies"]
        )
        self._levels: dict[tuple[str, Kind], list[list[tuple[Policy | None, Mapping[str, Any]]]]]
        self._levels = {}
        self._relevant: dict[tuple[Kind, str], bool] = {}
        self._sensitive: dict[tuple[Kind, str], bool] = {}
        self._action_levels: dict[tuple[str, Kind, str], list[list[Mapping[str, Any]]]] = {}
        self._signatures: dict[tuple[str, str], tuple[object, ...]] = {}
        self._tests: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self._patterns: dict[tuple[tuple[Kind, ...], str], tuple[str, ...]] = {}
        self.tested = frozenset(
            key.casefold()
            for p in self.policies
            for s in statements_of(p.document)
            for keys in _condition(s).values()
            for key in keys
        )

    def policy_levels(
        self, ou: str, kind: Kind
    ) -> list[list[tuple[Policy | None, Mapping[str, Any]]]]:
        """Root, each OU down to ``ou``, then the account: FullAWSAccess and the policies there."""
        cached = self._levels.get((ou, kind))
        if cached is None:
            full: tuple[Policy | None, Mapping[str, Any]] = (None, FULL_ACCESS[POLICY_TYPE[kind]])
            cached = [
                [
                    full,
                    *((p, p.document) for p in self.policies if p.target == t and p.kind == kind),
                ]
                for t in self.paths[ou]
            ]
            cached.append([full])
            self._levels[(ou, kind)] = cached
        return cached

    def action_levels(self, ou: str, kind: Kind, action: str) -> list[list[Mapping[str, Any]]]:
        """``policy_levels`` with only the statements naming ``action``: the others never match,
        so the decision is the same and the evaluator reads a few statements, not hundreds."""
        key = (ou, kind, action)
        cached = self._action_levels.get(key)
        if cached is None:
            cached = [
                [
                    # The Version too: it decides whether policy variables are read.
                    {
                        **({"Version": d["Version"]} if "Version" in d else {}),
                        "Statement": [s for s in statements_of(d) if _names_action(s, action)],
                    }
                    for _, d in level
                ]
                for level in self.policy_levels(ou, kind)
            ]
            self._action_levels[key] = cached
        return cached

    def resource_signature(
        self, kinds: tuple[Kind, ...], action: str, resource: str
    ) -> tuple[bool, ...]:
        """Which Resource/NotResource patterns naming ``action`` match ``resource``.

        Resources with the same signature are decided alike (the evaluator reads
        a resource only through these patterns), so they share a cache entry.
        """
        key = (kinds, action)
        patterns = self._patterns.get(key)
        if patterns is None:
            patterns = tuple(
                dict.fromkeys(
                    pattern
                    for p in self.policies
                    if p.kind in kinds
                    for s in statements_of(p.document)
                    if _names_action(s, action)
                    for pattern in listed(s.get("Resource", s.get("NotResource", "*")))
                )
            )
            self._patterns[key] = patterns
        return tuple(string_like(pattern, resource) for pattern in patterns)

    def value_signature(self, key: str, value: str) -> tuple[object, ...]:
        """How ``value`` of context key ``key`` fares against every test of that key.

        The evaluator reads a context value only through ``operator: {key:
        values}`` entries, and an entry's outcome follows from the outcome for
        each of its values alone (ORed, or for negated operators NORed), so
        values with the same signature decide every policy alike: thousands
        of role ARNs collapse to the few patterns the exemptions name.
        """
        memo = self._signatures.get((key, value))
        if memo is not None:
            return memo
        if len(self._signatures) > SIGNATURES_KEPT:
            self._signatures.clear()
        folded = key.casefold()
        tests = self._tests.get(folded)
        if tests is None:
            tests = tuple(
                dict.fromkeys(
                    (operator, name, item)
                    for p in self.policies
                    for s in statements_of(p.document)
                    for operator, keys in _condition(s).items()
                    for name, values in keys.items()
                    if name.casefold() == folded
                    for item in listed(_text(values))
                )
            )
            self._tests[folded] = tests
        request = Request(action="", resource="", context={key: value})
        try:
            signature: tuple[object, ...] = tuple(
                condition_holds(operator, name, [item], request) for operator, name, item in tests
            )
        except UnsupportedPolicy:
            signature = ("exact", value)  # the evaluation itself reports the operator
        self._signatures[(key, value)] = signature
        return signature

    def _denies(self, kind: Kind) -> Iterable[Mapping[str, Any]]:
        for p in self.policies:
            if p.kind == kind:
                for s in statements_of(p.document):
                    if s["Effect"] == "Deny":
                        yield s

    def relevant(self, kind: Kind, action: str) -> bool:
        """Whether any Deny of this type names ``action``: if none does, every level allows it."""
        key = (kind, action)
        if key not in self._relevant:
            self._relevant[key] = any(_names_action(s, action) for s in self._denies(kind))
        return self._relevant[key]

    def resource_sensitive(self, kind: Kind, action: str) -> bool:
        """Whether a Deny naming ``action`` limits its resources (so "*" would not do)."""
        key = (kind, action)
        if key not in self._sensitive:
            self._sensitive[key] = any(
                _names_action(s, action)
                and ("NotResource" in s or listed(s.get("Resource", "*")) != ["*"])
                for s in self._denies(kind)
            )
        return self._sensitive[key]


def _text(values: object) -> object:
    # Numeric condition values may be JSON numbers.
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        return str(values)
    if isinstance(values, list):
        return [str(v) if isinstance(v, (int, float)) else v for v in values]
    return values


def _condition(statement: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    condition: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    return condition


def _names_action(statement: Mapping[str, Any], action: str) -> bool:
    folded = action.casefold()
    if "Action" in statement:
        return any(string_like(p.casefold(), folded) for p in listed(statement["Action"]))
    return not any(string_like(p.casefold(), folded) for p in listed(statement["NotAction"]))


@dataclass(frozen=True)
class Outcome:
    """``denied`` / ``allowed`` / ``not_affected`` / ``skipped``, and why."""

    status: Literal["denied", "allowed", "not_affected", "skipped"]
    reason: str = ""
    ou: str = ""
    resource: str = ""
    #: Which policy type denied: "scp" (the principal's account) or "rcp" (the resource's).
    kind: str = ""
    #: (guardrail id, policy name) of each statement that denies.
    denials: tuple[tuple[str, str], ...] = ()


@dataclass
class Engine:
    """Places accounts, builds requests and decides them, caching decisions."""

    plan: Plan
    placement: Any  # landing_zone.whatif.placement.Placement
    cache: dict[tuple[object, ...], Outcome] = field(default_factory=dict)
    hits: int = 0

    def decide(self, t: Translated) -> Outcome:
        plan = self.plan
        management = plan.management_account_id
        scp_ou: str | None = None
        rcp_ou: str | None = None
        exempt: list[str] = []
        org_member: bool | None = None
        if t.principal_account is not None:
            placed = self.placement.ou(t.principal_account)
            org_member = None if placed is None else placed != OUTSIDE
        if plan.relevant("scp", t.action):
            # AWSAccount is a principal of another account, recorded without its
            # ARN: the SCPs of that account still apply to it.
            # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
            if t.principal_type not in (*IAM_IDENTITY_TYPES, "AWSAccount"):
                exempt.append(f"SCPs do not apply to {t.principal_type} principals")
            elif t.service_linked:
                exempt.append("SCPs do not apply to service-linked roles")
            elif t.principal_account == management:
                exempt.append("SCPs do not apply to the management account")
            else:
                placed = self.placement.ou(t.principal_account or "")
                if placed is None:
                    return Outcome("skipped", f"unknown account {t.principal_account}")
                if placed == OUTSIDE:
                    exempt.append("SCPs do not apply to principals outside the organization")
                else:
                    scp_ou = placed
        if plan.relevant("rcp", t.action):
            if t.service_linked:
                exempt.append("RCPs do not apply to service-linked roles")
            elif t.resource_account == management:
                exempt.append("RCPs do not apply to resources of the management account")
            elif t.resource_account is None:
                return Outcome("skipped", "resource account not recorded")
            else:
                placed = self.placement.ou(t.resource_account)
                if placed is None:
                    return Outcome("skipped", f"unknown account {t.resource_account}")
                if placed == OUTSIDE:
                    exempt.append("RCPs do not apply to resources outside the organization")
                else:
                    rcp_ou = placed
        if scp_ou is None and rcp_ou is None:
            if exempt:
                return Outcome("not_affected", "; ".join(exempt))
            return Outcome("allowed", "no guardrail names this action")
        sensitive = (scp_ou is not None and plan.resource_sensitive("scp", t.action)) or (
            rcp_ou is not None and plan.resource_sensitive("rcp", t.action)
        )
        resources = t.resources
        if not sensitive:
            # Every Deny naming the action applies to any resource: one cache
            # entry serves all of them (and the record's resource is reported).
            resources = ("*",)
        elif resources is None:
            return Outcome("skipped", f"resource of {t.action} not derivable from the record")
        context = {k: v for k, v in t.context.items() if k.casefold() in plan.tested}
        if org_member and t.principal_type in (*IAM_IDENTITY_TYPES, "AWSAccount"):
            context["aws:PrincipalOrgID"] = plan.organization_id
        known = {k.casefold() for k in context} | t.absent
        if org_member is False:
            known.add("aws:principalorgid")
        unknown = frozenset(plan.tested - known)
        pairs: tuple[tuple[Kind, str | None], ...] = (("scp", scp_ou), ("rcp", rcp_ou))
        kinds = tuple(k for k, ou in pairs if ou is not None)
        key = (
            scp_ou,
            rcp_ou,
            t.action,
            tuple(plan.resource_signature(kinds, t.action, r) for r in resources),
            tuple(sorted((k, plan.value_signature(k, v)) for k, v in context.items())),
            unknown,
        )
        cached = self.cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        outcome = self._evaluate(scp_ou, rcp_ou, t.action, resources, context, unknown)
        self.cache[key] = outcome
        return outcome

    def _evaluate(
        self,
        scp_ou: str | None,
        rcp_ou: str | None,
        action: str,
        resources: tuple[str, ...],
        context: dict[str, str],
        unknown: frozenset[str],
    ) -> Outcome:
        undecided: set[str] = set()
        for resource in resources:
            request = Request(action=action, resource=resource, context=context, unknown=unknown)
            for kind, ou in (("scp", scp_ou), ("rcp", rcp_ou)):
                if ou is None:
                    continue
                try:
                    decision = evaluate(self.plan.action_levels(ou, kind, action), request)  # type: ignore[arg-type]
                except Undecidable as error:
                    undecided |= error.keys
                    continue
                except UnsupportedPolicy as error:
                    return Outcome("skipped", f"unsupported policy: {error}")
                if decision == "deny":
                    return Outcome(
                        "denied",
                        ou=ou,
                        resource=resource,
                        kind=kind,
                        denials=_attribute(self.plan.policy_levels(ou, kind), request),  # type: ignore[arg-type]
                    )
        if undecided:
            return Outcome(
                "skipped",
                "condition keys CloudTrail does not record: " + ", ".join(sorted(undecided)),
            )
        return Outcome("allowed", ou=scp_ou or rcp_ou or "")


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    try:
        return statement["Effect"] == "Deny" and statement_matches(statement, request)
    except (Undecidable, UnsupportedPolicy):
        return False


def _attribute(
    levels: Sequence[Sequence[tuple[Policy | None, Mapping[str, Any]]]], request: Request
) -> tuple[tuple[str, str], ...]:
    """Which guardrail of which policy denies: the packed statements merge several,
    so each guardrail's own statements are matched."""
    found: list[tuple[str, str]] = []
    for level in levels:
        for policy, document in level:
            if policy is None:
                continue
            if not any(_matches(s, request) for s in statements_of(document)):
                continue
            named = [
                (guardrail, policy.name)
                for guardrail, statements in policy.guardrails.items()
                if any(_matches(s, request) for s in statements)
            ]
            found += named or [
                (str(s.get("Sid", "?")), policy.name)
                for s in statements_of(document)
                if _matches(s, request)
            ]
    if not found:
        # Denied because a level has no Allow (not the landing zone's policies).
        found.append(("(no Allow at some level)", ""))
    return tuple(dict.fromkeys(found))
