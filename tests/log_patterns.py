"""A CloudWatch Logs JSON filter pattern matcher, for the subset the landing zone writes.

``{ <expression> }`` where an expression is comparisons joined by ``&&``
and ``||`` (``&&`` binds tighter) with parentheses; a comparison is
``$.a.b = value``, ``$.a.b != value`` or ``$.a.b NOT EXISTS`` / ``EXISTS``.
Semantics, as the CloudWatch Logs documentation states them:

- the selector must point to a value (string or number); a missing field, an
  object or an array fails ``=`` and ``!=`` alike;
- ``*`` is a wildcard only at the start or the end of a value ("*Event",
  "Event*"); in the middle it is the literal character ("Ev*ent only
  matches the actual string Ev*ent");
- matching is case sensitive.

See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|(?P<op>&&|\|\||!=|=)|(?P<quoted>"(?:[^"\\]|\\.)*")'
    r"|(?P<word>[^\s()=!&|]+))"
)
_MISSING = object()


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    expression = expression.strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the pattern at {expression[position:]!r}")
        tokens.append(match.group().strip())
        position = match.end()
    return tokens


def _select(record: Any, selector: str) -> Any:
    if not selector.startswith("$."):
        raise ValueError(f"selector {selector!r} must start with $.")
    value = record
    for part in selector[2:].split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _value_matches(pattern: str, value: Any) -> bool:
    if value is _MISSING or isinstance(value, (dict, list)) or value is None:
        return False
    text = json.dumps(value) if isinstance(value, bool) else str(value)
    starts, ends = pattern.startswith("*"), pattern.endswith("*") and len(pattern) > 1
    core = pattern[1 if starts else 0 : len(pattern) - 1 if ends else len(pattern)]
    if starts and ends:
        return core in text
    if starts:
        return text.endswith(core)
    if ends:
        return text.startswith(core)
    return text == core


class _Parser:
    def __init__(self, tokens: list[str], record: Any) -> None:
        self.tokens, self.index, self.record = tokens, 0, record

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("pattern ends too early")
        self.index += 1
        return token

    def any_of(self) -> bool:
        result = self.all_of()
        while self.peek() == "||":
            self.take()
            right = self.all_of()
            result = result or right
        return result

    def all_of(self) -> bool:
        result = self.term()
        while self.peek() == "&&":
            self.take()
            right = self.term()
            result = result and right
        return result

    def term(self) -> bool:
        if self.peek() == "(":
            self.take()
            result = self.any_of()
            if self.take() != ")":
                raise ValueError("unbalanced parentheses")
            return result
        selector = self.take()
        value = _select(self.record, selector)
        operator = self.take()
        if operator == "NOT":
            if self.take() != "EXISTS":
                raise ValueError("NOT must be followed by EXISTS")
            return value is _MISSING
        if operator == "EXISTS":
            return value is not _MISSING
        raw = self.take()
        expected = json.loads(raw) if raw.startswith('"') else raw
        if operator == "=":
            return _value_matches(expected, value)
        if operator == "!=":
            return value is not _MISSING and not _value_matches(expected, value)
        raise ValueError(f"unsupported operator {operator!r}")


def matches(pattern: str, record: dict[str, Any]) -> bool:
    """Whether the JSON filter ``pattern`` matches the log event ``record``."""
    stripped = pattern.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        raise ValueError("only JSON patterns ({ ... }) are supported")
    parser = _Parser(_tokens(stripped[1:-1]), record)
    result = parser.any_of()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r} in the pattern")
    return result
