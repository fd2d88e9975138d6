"""An EventBridge pattern matcher for the operators the landing zone's rules use.

Arrays in the event match when any element matches (objects inside arrays
included: EventBridge flattens them); a pattern's array lists the accepted
values; ``numeric``, ``anything-but`` and ``suffix`` are the only operators.
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
"""

from __future__ import annotations

import operator
from typing import Any

_NUMERIC = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    ">": operator.gt,
    ">=": operator.ge,
}


def _leaf(accepted: list[Any], value: Any) -> bool:
    for rule in accepted:
        if isinstance(rule, dict) and "numeric" in rule:
            terms = rule["numeric"]
            if isinstance(value, (int, float)) and all(
                _NUMERIC[terms[i]](value, terms[i + 1]) for i in range(0, len(terms), 2)
            ):
                return True
        elif isinstance(rule, dict) and "suffix" in rule:
            if isinstance(value, str) and value.endswith(rule["suffix"]):
                return True
        elif isinstance(rule, dict) and "anything-but" in rule:
            if value not in rule["anything-but"]:
                return True
        elif rule == value:
            return True
    return False


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` matches ``pattern``."""
    if isinstance(event, list):
        return any(matches(pattern, item) for item in event)
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not matches(expected, value):
                return False
        elif isinstance(value, list):
            if not any(_leaf(expected, item) for item in value):
                return False
        elif not _leaf(expected, value):
            return False
    return True
