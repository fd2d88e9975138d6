"""Evaluate a request against organization policies (SCPs or RCPs) along an OU path,
or against one resource policy (bucket and key policies of the log archive, role
trust policies).

Semantics, per the IAM and Organizations documentation:

- An explicit Deny in any policy at any level wins.
- Otherwise every level of the path (root, each OU, the account) needs at
  least one matching Allow: FullAWSAccess / RCPFullAWSAccess provide it.
- Condition blocks: operators are ANDed, keys within an operator are ANDed,
  values for one key are ORed (for negated operators: none may match).
- A key missing from the request context makes a condition false, except for
  negated operators (StringNot*, ArnNot*), which are then true, ...IfExists
  (true), ``Null`` (which tests exactly that), and ForAllValues (true).
- ArnLike/ArnEquals compare the six colon-separated ARN parts separately,
  each with * and ? wildcards; action names match case-insensitively.

See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html

Written here rather than taken from PyPI: the one SCP evaluator there
(npkt 1.0.1) evaluates all policies as one flat set (an Allow anywhere
satisfies every level), takes CloudTrail events rather than requests,
treats conditions it cannot evaluate as matching, and has no RCP
semantics. The operators below are the ones IAM defines for strings, ARNs,
numbers, booleans and nulls; any other operator raises rather than guessing.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

Decision = Literal["allow", "deny"]
ContextValue = str | tuple[str, ...]

_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
}
_NUMERIC_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "NumericEquals": operator.eq,
    "NumericNotEquals": operator.ne,
    "NumericLessThan": operator.lt,
    "NumericLessThanEquals": operator.le,
    "NumericGreaterThan": operator.gt,
    "NumericGreaterThanEquals": operator.ge,
}
_STRING_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "Bool",
}


# The AWS-managed policies Organizations attaches to the root, every OU and
# every account when the policy type is enabled; they supply the Allow each
# level needs. See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
FULL_ACCESS: dict[str, dict[str, object]] = {
    "SERVICE_CONTROL_POLICY": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "RESOURCE_CONTROL_POLICY": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    },
}


class UnsupportedPolicy(ValueError):
    """The policy uses an element or operator this evaluator does not implement."""


class Undecidable(Exception):
    """The decision depends on condition keys whose values the request does not know.

    A request built from a record (a CloudTrail event) knows some context keys,
    knows that others are absent, and cannot know the rest: those are listed in
    ``Request.unknown``. A statement whose outcome turns on one of them raises
    this rather than guessing that the key is missing or present.
    """

    def __init__(self, keys: frozenset[str]) -> None:
        super().__init__(f"the decision depends on unknown condition keys {sorted(keys)}")
        self.keys = keys


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it: action, resource ARN and request context.

    ``principal`` matters only for resource policies: ``("Service",
    "cloudtrail.amazonaws.com")`` or ``("AWS", "arn:aws:iam::123456789012:role/x")``.
    ``unknown`` names (case-folded) the condition keys whose values cannot be
    known: a condition on one of them makes its statement undecidable
    (:class:`Undecidable`) instead of evaluating it as if the key were missing.
    """

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: tuple[str, str] | None = None
    unknown: frozenset[str] = frozenset()

    def value(self, key: str) -> ContextValue | None:
        # Condition key names are case-insensitive.
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
        folded = key.casefold()
        for name, value in self.context.items():
            if name.casefold() == folded:
                return value
        return None


def evaluate(levels: Sequence[Sequence[Mapping[str, object]]], request: Request) -> Decision:
    """Decide ``request`` against the policies attached at each level of a path.

    Raises :class:`Undecidable` only when no certain answer exists: a deny
    that certainly matches, or a level that certainly has no matching Allow,
    decides the request whatever the unknown keys hold.
    """
    statements_by_level = [[s for p in level for s in statements_of(p)] for level in levels]
    unknown: set[str] = set()
    for statements in statements_by_level:
        for statement in statements:
            if statement["Effect"] == "Deny":
                match = _match_or_unknown(statement, request, unknown)
                if match:
                    return "deny"
    levels_unknown: set[str] = set()
    for statements in statements_by_level:
        level_unknown: set[str] = set()
        allowed = any(
            statement["Effect"] == "Allow" and _match_or_unknown(statement, request, level_unknown)
            for statement in statements
        )
        if not allowed:
            if not level_unknown:
                return "deny"
            levels_unknown |= level_unknown
    if unknown or levels_unknown:
        raise Undecidable(frozenset(unknown | levels_unknown))
    return "allow"


def _match_or_unknown(statement: Mapping[str, object], request: Request, unknown: set[str]) -> bool:
    """``statement_matches``, adding to ``unknown`` the keys that kept it from deciding."""
    try:
        return statement_matches(statement, request)
    except Undecidable as undecidable:
        unknown |= undecidable.keys
        return False


def statements_of(policy: Mapping[str, object]) -> list[Mapping[str, object]]:
    """A policy's statements as a list (IAM allows a single object too)."""
    statements = policy["Statement"]
    if isinstance(statements, Mapping):
        return [statements]
    if not isinstance(statements, list):
        raise UnsupportedPolicy(f"Statement must be an object or a list, not {statements!r}")
    return statements


def statement_matches(statement: Mapping[str, object], request: Request) -> bool:
    """Whether one statement applies to the request (ignoring its Effect)."""
    unknown = set(statement) - {
        "Sid",
        "Effect",
        "Principal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
    if unknown:
        raise UnsupportedPolicy(f"unsupported statement elements {sorted(unknown)}")
    principal = statement.get("Principal", "*")
    if request.principal is None:
        if principal != "*":
            raise UnsupportedPolicy(
                f"organization policies allow only Principal '*', not {principal!r}"
            )
    elif not _principal_matches(principal, request.principal):
        return False
    if "Action" in statement:
        if not any(_glob(p, request.action, fold=True) for p in listed(statement["Action"])):
            return False
    elif any(_glob(p, request.action, fold=True) for p in listed(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_glob(p, request.resource) for p in listed(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_glob(p, request.resource) for p in listed(statement["NotResource"])):
            return False
    elif request.principal is None:
        raise UnsupportedPolicy("an organization policy statement needs Resource or NotResource")
    # Otherwise a role's trust policy: it names no resource, the role it belongs to.
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    condition = statement.get("Condition", {})
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicy(f"Condition must be an object, not {condition!r}")
    # Every entry must hold. One that certainly fails decides the statement
    # even when another tests a key the request cannot know.
    undecided: set[str] = set()
    for name, keys in condition.items():
        for key, values in keys.items():
            try:
                if not condition_holds(name, key, listed(_numbers_as_text(values)), request):
                    return False
            except Undecidable as undecidable:
                undecided |= undecidable.keys
    if undecided:
        raise Undecidable(frozenset(undecided))
    return True


def resource_policy_decision(
    policy: Mapping[str, object], request: Request
) -> Literal["allow", "deny", "none"]:
    """What one resource policy says: explicit deny, explicit allow, or nothing.

    "none" means the request is allowed only if something else allows it
    (an identity policy in the same account, or for KMS the key policy's
    delegation to the account); the callers' cases say which they expect.
    """
    statements = statements_of(policy)
    if any(s["Effect"] == "Deny" and statement_matches(s, request) for s in statements):
        return "deny"
    if any(s["Effect"] == "Allow" and statement_matches(s, request) for s in statements):
        return "allow"
    return "none"


def _principal_matches(principal: object, requester: tuple[str, str]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise UnsupportedPolicy(f"Principal must be '*' or an object, not {principal!r}")
    kind, identity = requester
    for principal_kind, values in principal.items():
        for value in listed(values):
            if principal_kind == "AWS" and value == "*":
                return True
            if principal_kind != kind:
                continue
            if value == identity:
                return True
            # An account principal (…:root) stands for every principal of the account.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
            if (
                kind == "AWS"
                and value.endswith(":root")
                and identity.split(":")[4] == value.split(":")[4]
            ):
                return True
    return False


def condition_holds(name: str, key: str, values: list[str], request: Request) -> bool:
    """One ``operator: {key: values}`` entry of a Condition block."""
    base, if_exists, qualifier = _parse(name)
    if key.casefold() in request.unknown:
        raise Undecidable(frozenset({key.casefold()}))
    present = request.value(key)
    if base == "Null":
        wanted_missing = [v.lower() == "true" for v in values]
        return (present is None or present == ()) in wanted_missing
    if present is None or present == ():
        if if_exists:
            return True
        if qualifier == "ForAllValues":
            return True
        if qualifier == "ForAnyValue":
            return False
        return base in _NEGATED
    if base in _NUMERIC_OPERATORS:
        if not isinstance(present, str):
            raise UnsupportedPolicy(f"{key} is multivalued; numeric operators need one value")
        compare = _NUMERIC_OPERATORS[base]
        return any(compare(float(present), float(v)) for v in values)
    if qualifier is None:
        if not isinstance(present, str):
            raise UnsupportedPolicy(f"{key} is multivalued; use ForAnyValue/ForAllValues with it")
        return _single(base, present, values)
    items = (present,) if isinstance(present, str) else present
    results = [_single(base, item, values) for item in items]
    return any(results) if qualifier == "ForAnyValue" else all(results)


def _single(base: str, present: str, values: list[str]) -> bool:
    negated = base in _NEGATED
    positive = base.replace("Not", "", 1) if negated else base
    if positive == "StringEquals":
        hit = present in values
    elif positive == "StringEqualsIgnoreCase":
        hit = present.casefold() in {v.casefold() for v in values}
    elif positive == "StringLike":
        hit = any(_glob(v, present) for v in values)
    elif positive in ("ArnEquals", "ArnLike"):
        hit = any(_arn_like(v, present) for v in values)
    elif positive == "Bool":
        hit = present.lower() in {v.lower() for v in values}
    else:  # pragma: no cover - _parse rejects everything else
        raise UnsupportedPolicy(base)
    return not hit if negated else hit


def _parse(operator: str) -> tuple[str, bool, str | None]:
    qualifier: str | None = None
    base = operator
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if base.startswith(prefix):
            qualifier, base = prefix[:-1], base[len(prefix) :]
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in _STRING_OPERATORS and base not in _NUMERIC_OPERATORS and base != "Null":
        raise UnsupportedPolicy(f"condition operator {operator} is not implemented")
    return base, if_exists, qualifier


def _arn_like(pattern: str, arn: str) -> bool:
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_glob(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _glob(pattern: str, text: str, *, fold: bool = False) -> bool:
    if fold:
        return string_like(pattern.casefold(), text.casefold())
    return string_like(pattern, text)


@lru_cache(maxsize=1 << 16)
def string_like(pattern: str, text: str) -> bool:
    """Whether IAM's ``*`` / ``?`` wildcard ``pattern`` matches all of ``text``.

    Written here, not a regex: one ``.*`` per ``*`` backtracks exponentially
    on patterns like ``*********z`` (config validation hung on one), and
    fnmatch reads ``[`` as a class. The pieces between stars have fixed
    lengths, so matching each at its leftmost place is exact, in time linear
    in both strings.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return len(text) == len(pattern) and _piece_at(pattern, text, 0)
    first, *middle, last = pieces
    end = len(text) - len(last)
    if end < len(first) or not _piece_at(first, text, 0) or not _piece_at(last, text, end):
        return False
    position = len(first)
    for piece in middle:
        found = next(
            (i for i in range(position, end - len(piece) + 1) if _piece_at(piece, text, i)), None
        )
        if found is None:
            return False
        position = found + len(piece)
    return True


def _piece_at(piece: str, text: str, start: int) -> bool:
    return all(p in ("?", t) for p, t in zip(piece, text[start : start + len(piece)], strict=True))


def _numbers_as_text(value: object) -> object:
    # Numeric conditions may be written as JSON numbers ({"s3:TlsVersion": 1.2}).
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_numbers_as_text(v) for v in value]
    return value


def listed(value: object) -> list[str]:
    """An element that may be one string or a list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise UnsupportedPolicy(f"expected a string or a list of strings, not {value!r}")
