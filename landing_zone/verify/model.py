"""What verify reports: one row per item, and the documents it compares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "drift", "cannot_check"]
STATUSES: tuple[Status, ...] = ("ok", "drift", "cannot_check")


@dataclass(frozen=True)
class Result:
    """One item of the organization compared with what the config synthesizes."""

    #: The kind of item, e.g. ``ou``, ``policy`` (docs/operations.md lists them).
    check: str
    #: Which one, e.g. ``ou prod`` or ``Acme-Root-Scp1``.
    item: str
    status: Status
    expected: str = ""
    #: What AWS holds; for ``cannot_check``, why and how to check it by hand.
    actual: str = ""


class CannotRun(Exception):
    """verify cannot compare anything: wrong credentials, unreadable organization."""


#: Policy types whose documents are IAM policy language (statements).
IAM_POLICY_TYPES = frozenset({"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"})
#: Statement elements whose order, and whose single-string form, mean nothing.
#: See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
_SETS = ("Action", "NotAction", "Resource", "NotResource")


class NotComparable(ValueError):
    """A stored document verify will not read by meaning: not JSON, or not a policy's shape."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys without a word, and IAM's
    # grammar does not say which one AWS reads: a document that repeats a
    # key (an Effect, a condition key) is drift, never read as our own.
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise NotComparable(f"the stored content repeats the key '{key}'")
        seen[key] = value
    return seen


def _load(content: str) -> Any:
    try:
        return json.loads(content, object_pairs_hook=_object)
    except json.JSONDecodeError as error:
        raise NotComparable("the stored content is not JSON") from error


def _as_set(value: Any, *, fold: bool = False) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return sorted({str(v).lower() if fold else str(v) for v in values})


def _condition(value: Any) -> Any:
    """Operator -> its keys (folded) and value sets, as a sorted list of pairs.

    Condition keys are case-insensitive, operators are not; values are a set.
    Pairs rather than a mapping: two keys that fold to one name
    (``aws:PrincipalArn`` and ``aws:principalarn``) stay two conditions, so
    one cannot hide behind the other.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    """
    if not isinstance(value, dict):
        return value
    return {
        operator: sorted([name.lower(), _as_set(v)] for name, v in block.items())
        if isinstance(block, dict)
        else block
        for operator, block in value.items()
    }


def _statement(statement: Any) -> Any:
    if not isinstance(statement, dict):
        raise NotComparable("a statement of the stored content is not an object")
    canonical: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _SETS:
            # Action names are case-insensitive; resources (ARNs) are not.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
            canonical[key] = _as_set(value, fold=key.endswith("Action"))
        elif key == "Condition":
            canonical[key] = _condition(value)
        elif key in ("Principal", "NotPrincipal") and isinstance(value, dict):
            canonical[key] = {kind: _as_set(v) for kind, v in value.items()}
        else:
            canonical[key] = value
    return canonical


def statements(document: Any) -> dict[str, str]:
    """Canonical JSON of each statement -> its Sid (or a short form without one)."""
    if not isinstance(document, dict):
        raise NotComparable("the stored content is not a policy document (an object)")
    listed = document.get("Statement", [])
    result: dict[str, str] = {}
    for statement in listed if isinstance(listed, list) else [listed]:
        canonical = json.dumps(_statement(statement), sort_keys=True, separators=(",", ":"))
        result[canonical] = str(statement.get("Sid") or canonical[:60])
    return result


def normalized(content: str, policy_type: str) -> Any:
    """A policy document compared by meaning: JSON parsed, key order and whitespace gone.

    IAM policies (SCPs, RCPs) also compare their statements, actions,
    resources and condition values as sets. Other types (S3_POLICY) compare
    as parsed JSON: their lists can be ordered. Raises NotComparable for a
    document that is not JSON, repeats a key, or (IAM) is not a policy's shape.
    """
    document = _load(content)
    if policy_type not in IAM_POLICY_TYPES:
        return document
    listed = sorted(statements(document))
    return {**{k: v for k, v in document.items() if k != "Statement"}, "Statement": listed}


def content_difference(expected: str, actual: str, policy_type: str) -> str | None:
    """None when the documents mean the same; else which statements differ, by Sid."""
    ours = normalized(expected, policy_type)
    try:
        theirs = normalized(actual, policy_type)
    except NotComparable as error:
        return str(error)
    if ours == theirs:
        return None
    if policy_type not in IAM_POLICY_TYPES:
        return "the document differs"
    mine, stored = statements(_load(expected)), statements(_load(actual))
    missing = [sid for text, sid in mine.items() if text not in stored]
    extra = [sid for text, sid in stored.items() if text not in mine]
    parts = []
    if missing:
        parts.append(f"changed or missing: {', '.join(missing)}")
    if extra:
        parts.append(f"not in the config: {', '.join(extra)}")
    return "; ".join(parts) or "the document differs outside its statements (Version)"
