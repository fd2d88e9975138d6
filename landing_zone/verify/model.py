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


def _as_set(value: Any, *, fold: bool = False) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return sorted({str(v).lower() if fold else str(v) for v in values})


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    canonical: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _SETS:
            # Action names are case-insensitive; resources (ARNs) are not.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
            canonical[key] = _as_set(value, fold=key.endswith("Action"))
        elif key == "Condition" and isinstance(value, dict):
            # Condition keys are case-insensitive, operators are not; values are a set.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
            canonical[key] = {
                operator: {name.lower(): _as_set(v) for name, v in block.items()}
                for operator, block in value.items()
            }
        elif key in ("Principal", "NotPrincipal") and isinstance(value, dict):
            canonical[key] = {kind: _as_set(v) for kind, v in value.items()}
        else:
            canonical[key] = value
    return canonical


def statements(document: dict[str, Any]) -> dict[str, str]:
    """Canonical JSON of each statement -> its Sid (or a short form without one)."""
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
    as parsed JSON: their lists can be ordered.
    """
    document = json.loads(content)
    if policy_type not in IAM_POLICY_TYPES or not isinstance(document, dict):
        return document
    rest = {k: v for k, v in document.items() if k != "Statement"}
    return {**rest, "Statement": sorted(statements(document))}


def content_difference(expected: str, actual: str, policy_type: str) -> str | None:
    """None when the documents mean the same; else which statements differ, by Sid."""
    try:
        same = normalized(expected, policy_type) == normalized(actual, policy_type)
    except json.JSONDecodeError:
        return "the stored content is not JSON"
    if same:
        return None
    if policy_type not in IAM_POLICY_TYPES:
        return "the document differs"
    ours, theirs = statements(json.loads(expected)), statements(json.loads(actual))
    missing = [sid for text, sid in ours.items() if text not in theirs]
    extra = [sid for text, sid in theirs.items() if text not in ours]
    parts = []
    if missing:
        parts.append(f"changed or missing: {', '.join(missing)}")
    if extra:
        parts.append(f"not in the config: {', '.join(extra)}")
    return "; ".join(parts) or "the document differs outside its statements (Version)"
