"""Evaluate a request against organization policies (SCPs or RCPs) along an OU path,
or against one resource policy (bucket and key policies of the log archive, role
trust policies).

Semantics, per the IAM and Organizations documentation:

- An explicit Deny in any policy at any level wins.
- Otherwise every level of the path (root, each OU, the account) needs at
  least one matching Allow: FullAWSAccess / RCPFullAWSAccess provide it.
- Since September 2025 SCPs accept the IAM policy language in Allow
  statements too (Condition, NotAction, NotResource); RCPs accept Principal
  ``"*"``, Action, Resource, NotResource and Condition, and Allow only in
  RCPFullAWSAccess. Neither accepts NotPrincipal.
- Condition blocks: operators are ANDed, keys within an operator are ANDed,
  values for one key are ORed (for negated operators: none may match).
- A key missing from the request context makes a condition false, except for
  negated operators (StringNot*, NumericNotEquals, DateNotEquals, ArnNot*,
  NotIpAddress), which are then true, ...IfExists (true), ``Null`` (which
  tests exactly that), and ForAllValues (true; ForAnyValue is false).
- Every operator family: String (IgnoreCase, Like with ``*`` and ``?``),
  Numeric, Date (W3C ISO 8601 or epoch seconds), Bool, BinaryEquals (base64),
  IpAddress/NotIpAddress (IPv4 and IPv6 CIDR), Arn (six colon-separated parts
  matched separately), Null; IfExists on all but Null; ForAllValues and
  ForAnyValue on all but Null.
- Policy variables (``${aws:PrincipalTag/team}``, ``${aws:username, 'anon'}``,
  ``${*}``, ``${?}``, ``${$}``) in the resource part of Resource/NotResource and
  in String and ARN condition values, for Version 2012-10-17 only; a variable
  whose key the request lacks (and that has no default) makes the statement
  not apply.

What the documentation leaves open raises :class:`UnsupportedPolicy` (or
:class:`InvalidContextValue` for a request value of the wrong type) rather
than guessing: NotPrincipal, policy variables with Bool, a multivalued key
under an operator without ForAllValues/ForAnyValue, a substituted value that
contains a wildcard character, an IPv6 address without a prefix length.

See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html

Written here rather than taken from PyPI: the one SCP evaluator there
(npkt 1.0.1) evaluates all policies as one flat set (an Allow anywhere
satisfies every level), takes CloudTrail events rather than requests,
treats conditions it cannot evaluate as matching, and has no RCP
semantics.

Speed: each policy is parsed once into a compiled form, cached by the
identity of the policy object (so a policy must not be changed in place
after it has been evaluated), and each statement remembers which actions
it matched. :func:`landing_zone.guardrails.paths.policy_levels` returns the
same objects for the same plan, so repeated evaluations reuse the cache.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any, Literal

Decision = Literal["allow", "deny"]
ContextValue = str | tuple[str, ...]
PolicyType = Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]

# "2012-10-17" is the current policy language; "2008-10-17" (the default when
# Version is missing) treats ${...} as literal text.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
CURRENT_VERSION = "2012-10-17"
LEGACY_VERSION = "2008-10-17"

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

_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
# Elements each organization policy type accepts (all with Allow and Deny for
# SCPs; RCPs allow Allow only in RCPFullAWSAccess).
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
_TYPE_ELEMENTS: dict[str, frozenset[str]] = {
    "SERVICE_CONTROL_POLICY": frozenset(
        {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
    ),
    "RESOURCE_CONTROL_POLICY": frozenset(
        {"Sid", "Effect", "Principal", "Action", "Resource", "NotResource", "Condition"}
    ),
}


class UnsupportedPolicy(ValueError):
    """The policy uses an element or operator this evaluator does not implement."""


class InvalidContextValue(UnsupportedPolicy):
    """A request context value cannot be read as the operator's type (an IP, a number...)."""


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


class _NoValue(Exception):
    """A policy variable names a key the request lacks and gives no default."""


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it: action, resource ARN and request context.

    ``principal`` matters only for resource policies: ``("Service",
    "cloudtrail.amazonaws.com")`` or ``("AWS", "arn:aws:iam::123456789012:role/x")``.
    ``unknown`` names (case-folded) the condition keys whose values cannot be
    known: a condition on one of them makes its statement undecidable
    (:class:`Undecidable`) instead of evaluating it as if the key were missing.
    Context values are strings as IAM writes them: dates in ISO 8601 or epoch
    seconds, booleans ``"true"``/``"false"``, binary values base64-encoded; a
    tuple is a multivalued key.
    """

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal: tuple[str, str] | None = None
    unknown: frozenset[str] = frozenset()

    @cached_property
    def folded(self) -> dict[str, ContextValue]:
        """The context by case-folded key name, built once per request.

        Condition key names are case-insensitive.
        See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
        """
        return {name.casefold(): value for name, value in self.context.items()}

    def value(self, key: str) -> ContextValue | None:
        return self.folded.get(key.casefold())


# --------------------------------------------------------------------------
# Wildcard patterns

_STAR = 0  # '*': any run of characters
_ONE = 1  # '?': any one character
_Unit = str | int


def _units(text: str) -> list[_Unit]:
    """Pattern text as units: characters, with ``*`` and ``?`` as wildcards."""
    return [_STAR if c == "*" else _ONE if c == "?" else c for c in text]


class _Segment:
    """A run of a pattern between stars: fixed length, ``?`` at ``wild`` positions."""

    __slots__ = ("size", "text", "wild")

    def __init__(self, units: Sequence[_Unit]) -> None:
        self.text = "".join(u if isinstance(u, str) else "?" for u in units)
        self.wild = tuple(i for i, u in enumerate(units) if u == _ONE)
        self.size = len(units)

    def at(self, text: str, start: int) -> bool:
        if not self.wild:
            return text.startswith(self.text, start)
        if start + self.size > len(text):
            return False
        wild = self.wild
        return all(i in wild or c == text[start + i] for i, c in enumerate(self.text))

    def find(self, text: str, start: int, end: int) -> int:
        if not self.wild:
            return text.find(self.text, start, end)
        for i in range(start, end - self.size + 1):
            if self.at(text, i):
                return i
        return -1


class _Glob:
    """IAM's ``*`` / ``?`` wildcard match of a whole string.

    Written here, not a regex: one ``.*`` per ``*`` backtracks exponentially
    on patterns like ``*********z`` (config validation hung on one), and
    fnmatch reads ``[`` as a class. The pieces between stars have fixed
    lengths, so matching each at its leftmost place is exact, in time linear
    in both strings. Units keep a ``*`` that came from ``${*}`` literal.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
    """

    __slots__ = ("everything", "segments")

    def __init__(self, units: Sequence[_Unit]) -> None:
        pieces: list[list[_Unit]] = [[]]
        for unit in units:
            if unit == _STAR and not isinstance(unit, str):
                pieces.append([])
            else:
                pieces[-1].append(unit)
        self.segments = [_Segment(p) for p in pieces]
        self.everything = len(pieces) == 2 and not pieces[0] and not pieces[1]

    def match(self, text: str) -> bool:
        if self.everything:
            return True
        segments = self.segments
        if len(segments) == 1:
            return len(text) == segments[0].size and segments[0].at(text, 0)
        first, last = segments[0], segments[-1]
        end = len(text) - last.size
        if end < first.size or not first.at(text, 0) or not last.at(text, end):
            return False
        position = first.size
        for segment in segments[1:-1]:
            found = segment.find(text, position, end)
            if found < 0:
                return False
            position = found + segment.size
        return True


@lru_cache(maxsize=1 << 14)
def _static_glob(pattern: str) -> _Glob:
    return _Glob(_units(pattern))


@lru_cache(maxsize=1 << 16)
def string_like(pattern: str, text: str) -> bool:
    """Whether IAM's ``*`` / ``?`` wildcard ``pattern`` matches all of ``text``."""
    return _static_glob(pattern).match(text)


# --------------------------------------------------------------------------
# Policy variables

_MEMO_LIMIT = 1 << 14

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_REFERENCE = re.compile(r"\s*([^\s,'{}$]+)\s*(?:,\s*'([^']*)'\s*)?")
# ${*}, ${?} and ${$} stand for the character itself, never a wildcard.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-specialchars
_SPECIAL = frozenset("*?$")


@dataclass(frozen=True)
class _Literal:
    """A character written as ``${*}``, ``${?}`` or ``${$}``."""

    char: str


@dataclass(frozen=True)
class _Reference:
    """``${key}`` or ``${key, 'default'}`` (key case-folded)."""

    key: str
    default: str | None


_Part = str | _Literal | _Reference


def _template(text: str) -> tuple[_Part, ...] | None:
    """The parts of ``text`` when it holds a variable, else None."""
    if "${" not in text:
        return None
    parts: list[_Part] = []
    position = 0
    for found in _VARIABLE.finditer(text):
        parts.append(text[position : found.start()])
        inner = found.group(1)
        if inner in _SPECIAL:
            parts.append(_Literal(inner))
        else:
            reference = _REFERENCE.fullmatch(inner)
            if reference is None:
                raise UnsupportedPolicy(f"policy variable ${{{inner}}} is not of a documented form")
            parts.append(_Reference(reference.group(1).casefold(), reference.group(2)))
        position = found.end()
    parts.append(text[position:])
    if any(isinstance(p, str) and "${" in p for p in parts):
        raise UnsupportedPolicy(f"unterminated policy variable in {text!r}")
    return tuple(p for p in parts if p != "")


def _resolve(reference: _Reference, request: Request) -> str:
    if reference.key in request.unknown:
        raise Undecidable(frozenset({reference.key}))
    value = request.folded.get(reference.key)
    if isinstance(value, tuple):
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
        raise UnsupportedPolicy(
            f"${{{reference.key}}}: a multivalued context key cannot be a policy variable"
        )
    if value is None:
        if reference.default is None:
            # "any attempt to match it fails and causes the statement to be invalid"
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
            raise _NoValue
        return reference.default
    return value


def _render_text(parts: tuple[_Part, ...], request: Request) -> str:
    return "".join(
        p if isinstance(p, str) else p.char if isinstance(p, _Literal) else _resolve(p, request)
        for p in parts
    )


def _render_units(parts: tuple[_Part, ...], request: Request) -> list[_Unit]:
    units: list[_Unit] = []
    for part in parts:
        if isinstance(part, str):
            units += _units(part)
        elif isinstance(part, _Literal):
            units.append(part.char)
        else:
            value = _resolve(part, request)
            if "*" in value or "?" in value:
                raise InvalidContextValue(
                    f"${{{part.key}}} is {value!r}: whether a substituted * or ? is a "
                    "wildcard is not documented"
                )
            units += list(value)
    return units


# --------------------------------------------------------------------------
# Condition operators

_Family = Literal[
    "string", "string_ci", "like", "numeric", "date", "bool", "binary", "ip", "arn", "null"
]
_Compare = Callable[[Any, Any], bool]

# operator -> (family, negated, comparison). Negated operators are true when no
# value matches, and when the key is missing.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
_OPERATORS: dict[str, tuple[_Family, bool, _Compare]] = {
    "StringEquals": ("string", False, operator.eq),
    "StringNotEquals": ("string", True, operator.eq),
    "StringEqualsIgnoreCase": ("string_ci", False, operator.eq),
    "StringNotEqualsIgnoreCase": ("string_ci", True, operator.eq),
    "StringLike": ("like", False, operator.eq),
    "StringNotLike": ("like", True, operator.eq),
    "NumericEquals": ("numeric", False, operator.eq),
    "NumericNotEquals": ("numeric", True, operator.eq),
    "NumericLessThan": ("numeric", False, operator.lt),
    "NumericLessThanEquals": ("numeric", False, operator.le),
    "NumericGreaterThan": ("numeric", False, operator.gt),
    "NumericGreaterThanEquals": ("numeric", False, operator.ge),
    "DateEquals": ("date", False, operator.eq),
    "DateNotEquals": ("date", True, operator.eq),
    "DateLessThan": ("date", False, operator.lt),
    "DateLessThanEquals": ("date", False, operator.le),
    "DateGreaterThan": ("date", False, operator.gt),
    "DateGreaterThanEquals": ("date", False, operator.ge),
    "Bool": ("bool", False, operator.eq),
    "BinaryEquals": ("binary", False, operator.eq),
    "IpAddress": ("ip", False, operator.eq),
    "NotIpAddress": ("ip", True, operator.eq),
    "ArnEquals": ("arn", False, operator.eq),
    "ArnLike": ("arn", False, operator.eq),
    "ArnNotEquals": ("arn", True, operator.eq),
    "ArnNotLike": ("arn", True, operator.eq),
    "Null": ("null", False, operator.eq),
}
# Policy variables work in string and ARN comparisons. The condition-operator
# page also lists Bool, the policy-variables page excludes it: Bool with a
# variable raises.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-conditionelement
_VARIABLE_FAMILIES = frozenset({"string", "string_ci", "like", "arn"})

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")
# W3C profile of ISO 8601: YYYY, YYYY-MM, YYYY-MM-DD, or a date with hh:mm,
# hh:mm:ss or hh:mm:ss.s and a time zone designator (Z or +hh:mm).
# See: http://www.w3.org/TR/NOTE-datetime
_W3C_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?"
)
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


def _number(text: str) -> Decimal:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return Decimal(text)


def _date(text: str) -> datetime:
    """A W3C ISO 8601 date/time or epoch seconds, as an aware UTC datetime.

    A date without a time is read as midnight UTC (see docs/assumptions.md);
    four bare digits are ambiguous (a year or an epoch second) and raise.
    A moment outside years 1-9999 raises ValueError like any other bad date.
    """
    try:
        return _moment(text)
    except OverflowError as error:
        raise ValueError(text) from error


def _moment(text: str) -> datetime:
    matched = _W3C_DATE.fullmatch(text)
    if matched and len(text) > 4:
        year, month, day, hour, minute, second, fraction, zone = matched.groups()
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(Decimal(fraction or "0") * 1_000_000),
            tzinfo=UTC,
        )
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        return moment
    if _EPOCH.fullmatch(text) and len(text.lstrip("+-")) != 4:
        return _EPOCH_START + timedelta(seconds=float(text))
    raise ValueError(text)


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _binary(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(text) from error


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR value; an IPv4 address alone is /32.

    The documentation gives /32 as the default prefix without naming IPv6, so
    an IPv6 address needs its prefix. Host bits set (10.0.0.1/8) raise.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
    """
    if "/" not in text and ":" in text:
        raise ValueError(f"{text}: an IPv6 address needs a prefix length")
    return ipaddress.ip_network(text, strict=True)


_CONTEXT_PARSERS: dict[str, Callable[[str], object]] = {
    "numeric": _number,
    "date": _date,
    "bool": _boolean,
    "binary": _binary,
    "ip": _ip,
}
_POLICY_PARSERS: dict[str, Callable[[str], object]] = {
    **_CONTEXT_PARSERS,
    "ip": _network,
    "null": _boolean,
}


def _condition_values(value: object) -> list[str]:
    """Condition values as text; JSON numbers and booleans as IAM reads them."""
    items = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in items:
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            texts.append(str(item))
        elif isinstance(item, str):
            texts.append(item)
        else:
            raise UnsupportedPolicy(f"condition value {item!r} is not a string, number or boolean")
    return texts


class _Condition:
    """One ``operator: {key: values}`` entry, parsed once."""

    __slots__ = (
        "compare",
        "family",
        "if_exists",
        "key",
        "memo",
        "name",
        "negated",
        "qualifier",
        "templates",
        "values",
    )

    def __init__(self, name: str, key: str, raw: object, *, variables: bool) -> None:
        base, if_exists, qualifier = _parse(name)
        self.name = name
        self.key = key.casefold()
        self.family, self.negated, self.compare = _OPERATORS[base]
        self.if_exists = if_exists
        self.qualifier = qualifier
        # Results by request value, for values without variables: a trail repeats
        # its principals, regions and accounts.
        self.memo: dict[str, bool] = {}
        texts = _condition_values(raw)
        if not texts:
            raise UnsupportedPolicy(f"{name} {key}: no values")
        templates = [_template(t) if variables else None for t in texts]
        self.templates: tuple[tuple[_Part, ...], ...] | None = None
        if any(t is not None for t in templates):
            if self.family not in _VARIABLE_FAMILIES:
                raise UnsupportedPolicy(f"{name} {key}: policy variables are not supported here")
            self.templates = tuple(
                t if t is not None else (s,) for t, s in zip(templates, texts, strict=True)
            )
            self.values: tuple[Any, ...] = ()
        else:
            self.values = self._static(texts)

    def _static(self, texts: list[str]) -> tuple[Any, ...]:
        family = self.family
        if family == "string":
            return tuple(texts)
        if family == "string_ci":
            return tuple(t.casefold() for t in texts)
        if family == "like":
            return tuple(_static_glob(t) for t in texts)
        if family == "arn":
            patterns = tuple(_arn_pattern(_units(t)) for t in texts)
            if None in patterns:
                # "Each of the six colon-delimited components of the ARN is checked
                # separately": what a value with fewer parts matches is not documented,
                # and read as "matches nothing" an ArnLike Deny would never deny.
                # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
                raise UnsupportedPolicy(
                    f"{self.name} {self.key}: {texts} holds a value without the six "
                    "colon-separated parts of an ARN"
                )
            return patterns
        parser = _POLICY_PARSERS[family]
        try:
            return tuple(parser(t) for t in texts)
        except ValueError as error:
            raise UnsupportedPolicy(
                f"{self.name} {self.key}: {error} is not a {family} value"
            ) from error

    def _values_for(self, request: Request) -> tuple[Any, ...]:
        if self.templates is None:
            return self.values
        family = self.family
        if family == "string":
            return tuple(_render_text(t, request) for t in self.templates)
        if family == "string_ci":
            return tuple(_render_text(t, request).casefold() for t in self.templates)
        if family == "like":
            return tuple(_Glob(_render_units(t, request)) for t in self.templates)
        patterns = tuple(_arn_pattern(_render_units(t, request)) for t in self.templates)
        if None in patterns:
            raise InvalidContextValue(
                f"{self.name} {self.key}: a substituted value leaves an ARN without six parts"
            )
        return patterns

    def holds(self, request: Request) -> bool:
        if self.key in request.unknown:
            raise Undecidable(frozenset({self.key}))
        present = request.folded.get(self.key)
        if self.family == "null":
            return (present is None or present == ()) in self.values
        if present is None or present == ():
            # ForAnyValue over no values is false, and IfExists does not change
            # that: an Allow with ForAnyValue:StringEqualsIfExists on aws:TagKeys
            # does not allow a request without tags.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
            # See: https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w/foranyvalue-stringequalsifexists-behaving-unexpectedly
            if self.qualifier == "ForAnyValue":
                return False
            if self.if_exists or self.qualifier == "ForAllValues":
                return True
            return self.negated
        values = self._values_for(request)
        if self.qualifier is None:
            if isinstance(present, tuple):
                if len(present) != 1:
                    # "Multivalued context keys require a condition set operator";
                    # what IAM does without one is not documented.
                    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
                    raise UnsupportedPolicy(
                        f"{self.name}: {self.key} is multivalued here; use ForAnyValue or "
                        "ForAllValues with it"
                    )
                present = present[0]
            return self._one(present, values)
        items = (present,) if isinstance(present, str) else present
        if self.qualifier == "ForAnyValue":
            return any(self._one(item, values) for item in items)
        return all(self._one(item, values) for item in items)

    def _one(self, present: str, values: tuple[Any, ...]) -> bool:
        """One request value against the policy values: any matches (none, if negated)."""
        if self.templates is not None:
            return self._compare(present, values)
        memo = self.memo
        result = memo.get(present)
        if result is None:
            result = self._compare(present, values)
            if len(memo) < _MEMO_LIMIT:
                memo[present] = result
        return result

    def _compare(self, present: str, values: tuple[Any, ...]) -> bool:
        family = self.family
        if family == "string":
            hit = present in values
        elif family == "string_ci":
            hit = present.casefold() in values
        elif family == "like":
            hit = any(glob.match(present) for glob in values)
        elif family == "arn":
            parts = present.split(":", 5)
            hit = len(parts) == 6 and any(
                all(g.match(p) for g, p in zip(pattern, parts, strict=True))
                for pattern in values
                if pattern is not None
            )
        elif family == "ip":
            try:
                address = _ip(present)
            except ValueError as error:
                raise InvalidContextValue(
                    f"{self.key} is {present!r}, not an IP address"
                ) from error
            hit = any(address in network for network in values)
        else:
            try:
                parsed = _CONTEXT_PARSERS[family](present)
            except ValueError as error:
                raise InvalidContextValue(
                    f"{self.key} is {present!r}, not a {family} value"
                ) from error
            compare = self.compare
            hit = any(compare(parsed, value) for value in values)
        return not hit if self.negated else hit


def _arn_pattern(units: list[_Unit]) -> tuple[_Glob, ...] | None:
    """An ARN pattern as six globs, one per colon-separated part (None: not an ARN)."""
    parts: list[list[_Unit]] = [[]]
    for unit in units:
        if unit == ":" and len(parts) < 6:
            parts.append([])
        else:
            parts[-1].append(unit)
    return tuple(_Glob(p) for p in parts) if len(parts) == 6 else None


def _parse(name: str) -> tuple[str, bool, str | None]:
    qualifier: str | None = None
    base = name
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if base.startswith(prefix):
            qualifier, base = prefix[:-1], base[len(prefix) :]
    if_exists = base.endswith("IfExists")
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in _OPERATORS:
        raise UnsupportedPolicy(f"condition operator {name} is not implemented")
    if base == "Null" and (if_exists or qualifier):
        # IfExists goes on "any condition operator name except the Null condition".
        raise UnsupportedPolicy(
            f"condition operator {name}: Null takes no IfExists or set operator"
        )
    return base, if_exists, qualifier


def condition_holds(name: str, key: str, values: list[str], request: Request) -> bool:
    """One ``operator: {key: values}`` entry of a Condition block (Version 2012-10-17).

    A policy variable whose key the request lacks makes the entry false here;
    inside a statement it makes the whole statement not apply.
    """
    try:
        return _Condition(name, key, values, variables=True).holds(request)
    except _NoValue:
        return False


# --------------------------------------------------------------------------
# Statements and policies


def listed(value: object) -> list[str]:
    """An element that may be one string or a list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise UnsupportedPolicy(f"expected a string or a list of strings, not {value!r}")


def statements_of(policy: Mapping[str, object]) -> list[Mapping[str, object]]:
    """A policy's statements as a list (IAM allows a single object too)."""
    if not isinstance(policy, Mapping) or "Statement" not in policy:
        raise UnsupportedPolicy(f"a policy must be an object with a Statement, not {policy!r}")
    statements = policy["Statement"]
    if isinstance(statements, Mapping):
        return [statements]
    if not isinstance(statements, list):
        raise UnsupportedPolicy(f"Statement must be an object or a list, not {statements!r}")
    return statements


def _version(policy: Mapping[str, object]) -> str:
    version = policy.get("Version", LEGACY_VERSION)
    if version not in (CURRENT_VERSION, LEGACY_VERSION):
        raise UnsupportedPolicy(
            f"policy Version {version!r} is neither {CURRENT_VERSION} nor {LEGACY_VERSION}"
        )
    return str(version)


class _Resource:
    """One Resource/NotResource entry: a static glob, or a template with variables."""

    __slots__ = ("glob", "template")

    def __init__(self, text: str, *, variables: bool) -> None:
        template = _template(text) if variables else None
        if template is not None:
            # Variables go only in the resource part of the ARN, after the fifth colon.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-resourceelement
            first = text.index("${")
            if text.count(":", 0, first) < 5:
                raise UnsupportedPolicy(f"Resource {text!r}: a variable before the resource part")
        self.template = template
        self.glob = None if template is not None else _static_glob(text)

    def match(self, resource: str, request: Request) -> bool:
        if self.glob is not None:
            return self.glob.match(resource)
        return _Glob(_render_units(self.template or (), request)).match(resource)


class _Statement:
    """A statement parsed once: wildcard patterns, conditions, remembered action matches."""

    __slots__ = (
        "_action_memo",
        "actions",
        "any_resource",
        "conditions",
        "effect",
        "has_principal",
        "not_action",
        "not_resource",
        "principal",
        "resources",
        "source",
    )

    def __init__(self, statement: Mapping[str, object], *, version: str) -> None:
        if not isinstance(statement, Mapping):
            raise UnsupportedPolicy(f"a statement must be an object, not {statement!r}")
        unknown = set(statement) - _ELEMENTS
        if unknown:
            raise UnsupportedPolicy(f"unsupported statement elements {sorted(unknown)}")
        for one, other in (
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ):
            if one in statement and other in statement:
                raise UnsupportedPolicy(f"a statement has both {one} and {other}")
        if "NotPrincipal" in statement:
            # SCPs and RCPs do not support it, and its resource-policy semantics
            # (account, role and session matched in turn) are not implemented.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
            raise UnsupportedPolicy("NotPrincipal is not implemented")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise UnsupportedPolicy(f"Effect must be Allow or Deny, not {effect!r}")
        if "Action" not in statement and "NotAction" not in statement:
            raise UnsupportedPolicy("a statement needs Action or NotAction")
        variables = version == CURRENT_VERSION
        self.source = statement
        self.effect = effect
        self.has_principal = "Principal" in statement
        self.principal = statement.get("Principal", "*")
        self.not_action = "NotAction" in statement
        self.actions = tuple(
            _static_glob(a.casefold())
            for a in listed(statement["NotAction" if self.not_action else "Action"])
        )
        self.not_resource = "NotResource" in statement
        element = "NotResource" if self.not_resource else "Resource"
        self.resources: tuple[_Resource, ...] | None = (
            tuple(_Resource(r, variables=variables) for r in listed(statement[element]))
            if element in statement
            else None
        )
        # Resource "*" matches every request: skip the resource check.
        self.any_resource = (
            not self.not_resource
            and self.resources is not None
            and any(r.glob is not None and r.glob.everything for r in self.resources)
        )
        condition = statement.get("Condition", {})
        if not isinstance(condition, Mapping):
            raise UnsupportedPolicy(f"Condition must be an object, not {condition!r}")
        conditions: list[_Condition] = []
        for name, keys in condition.items():
            if not isinstance(keys, Mapping):
                raise UnsupportedPolicy(f"{name} must map condition keys to values, not {keys!r}")
            conditions.extend(
                _Condition(name, key, values, variables=variables) for key, values in keys.items()
            )
        self.conditions = tuple(conditions)
        self._action_memo: dict[str, bool] = {}

    def action_matches(self, action: str) -> bool:
        memo = self._action_memo
        hit = memo.get(action)
        if hit is None:
            folded = action.casefold()
            hit = any(glob.match(folded) for glob in self.actions) != self.not_action
            if len(memo) < _MEMO_LIMIT:
                memo[action] = hit
        return hit

    def matches(self, request: Request) -> bool:
        """Whether the statement applies to the request (ignoring its Effect).

        Raises :class:`Undecidable` only when no element certainly fails.
        """
        if request.principal is None:
            if self.principal != "*":
                raise UnsupportedPolicy(
                    f"organization policies allow only Principal '*', not {self.principal!r}"
                )
        elif not _principal_matches(self.principal, request.principal):
            return False
        if not self.action_matches(request.action):
            return False
        undecided: set[str] = set()
        try:
            if self.any_resource:
                pass
            elif self.resources is not None:
                try:
                    hit = any(r.match(request.resource, request) for r in self.resources)
                    if hit == self.not_resource:
                        return False
                except Undecidable as undecidable:
                    undecided |= undecidable.keys
            elif request.principal is None:
                raise UnsupportedPolicy(
                    "an organization policy statement needs Resource or NotResource"
                )
            # Otherwise a role's trust policy: it names no resource, the role it belongs to.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
            # Every entry must hold. One that certainly fails decides the statement
            # even when another tests a key the request cannot know.
            for condition in self.conditions:
                try:
                    if not condition.holds(request):
                        return False
                except Undecidable as undecidable:
                    undecided |= undecidable.keys
        except _NoValue:
            return False
        if undecided:
            raise Undecidable(frozenset(undecided))
        return True

    def check_type(self, policy_type: str) -> None:
        """Raise for an element or effect ``policy_type`` does not accept."""
        forbidden = set(self.source) - _TYPE_ELEMENTS[policy_type]
        if forbidden:
            raise UnsupportedPolicy(f"{policy_type} statements do not accept {sorted(forbidden)}")
        if policy_type == "RESOURCE_CONTROL_POLICY":
            if self.principal != "*":
                # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
                raise UnsupportedPolicy(f"RCPs accept only Principal '*', not {self.principal!r}")
            full = statements_of(FULL_ACCESS["RESOURCE_CONTROL_POLICY"])[0]
            without_sid = {k: v for k, v in self.source.items() if k != "Sid"}
            if self.effect == "Allow" and without_sid != full:
                raise UnsupportedPolicy("RCPs accept Allow only in RCPFullAWSAccess")


class _Policy:
    """A policy parsed once, its statements split by effect."""

    __slots__ = ("_by_action", "allows", "checked", "denies")

    def __init__(self, policy: Mapping[str, object]) -> None:
        listed_statements = statements_of(policy)
        version = _version(policy)
        statements = [_Statement(s, version=version) for s in listed_statements]
        self.denies = tuple(s for s in statements if s.effect == "Deny")
        self.allows = tuple(s for s in statements if s.effect == "Allow")
        self.checked: set[str] = set()
        self._by_action: dict[str, tuple[tuple[_Statement, ...], tuple[_Statement, ...]]] = {}

    def for_action(self, action: str) -> tuple[tuple[_Statement, ...], tuple[_Statement, ...]]:
        """The Deny and Allow statements whose Action/NotAction covers ``action``."""
        found = self._by_action.get(action)
        if found is None:
            found = (
                tuple(s for s in self.denies if s.action_matches(action)),
                tuple(s for s in self.allows if s.action_matches(action)),
            )
            if len(self._by_action) < _MEMO_LIMIT:
                self._by_action[action] = found
        return found

    def check_type(self, policy_type: str) -> None:
        if policy_type not in self.checked:
            for statement in (*self.denies, *self.allows):
                statement.check_type(policy_type)
            self.checked.add(policy_type)


_CACHE_LIMIT = 4096
_compiled_policies: dict[int, tuple[Mapping[str, object], _Policy]] = {}
_compiled_statements: dict[tuple[int, str], tuple[Mapping[str, object], _Statement]] = {}


def _remember(cache: dict[Any, Any], key: object, value: object) -> None:
    if len(cache) >= _CACHE_LIMIT:
        del cache[next(iter(cache))]
    cache[key] = value


def _compile_policy(policy: Mapping[str, object]) -> _Policy:
    """The parsed form of ``policy``, cached by object identity."""
    entry = _compiled_policies.get(id(policy))
    if entry is not None and entry[0] is policy:
        return entry[1]
    compiled = _Policy(policy)
    _remember(_compiled_policies, id(policy), (policy, compiled))
    return compiled


def _compile_statement(statement: Mapping[str, object], version: str) -> _Statement:
    entry = _compiled_statements.get((id(statement), version))
    if entry is not None and entry[0] is statement:
        return entry[1]
    compiled = _Statement(statement, version=version)
    _remember(_compiled_statements, (id(statement), version), (statement, compiled))
    return compiled


def evaluate(
    levels: Sequence[Sequence[Mapping[str, object]]],
    request: Request,
    *,
    policy_type: PolicyType | None = None,
) -> Decision:
    """Decide ``request`` against the policies attached at each level of a path.

    Raises :class:`Undecidable` only when no certain answer exists: a deny
    that certainly matches, or a level that certainly has no matching Allow,
    decides the request whatever the unknown keys hold. With ``policy_type``
    an element or effect that type does not accept raises
    :class:`UnsupportedPolicy`.
    """
    compiled = [[_compile_policy(p) for p in level] for level in levels]
    if policy_type is not None:
        for level in compiled:
            for policy in level:
                policy.check_type(policy_type)
    action = request.action
    candidates = [[policy.for_action(action) for policy in level] for level in compiled]
    unknown: set[str] = set()
    for level_candidates in candidates:
        for denies, _ in level_candidates:
            for statement in denies:
                if _match_or_unknown(statement, request, unknown):
                    return "deny"
    levels_unknown: set[str] = set()
    for level_candidates in candidates:
        level_unknown: set[str] = set()
        allowed = any(
            _match_or_unknown(statement, request, level_unknown)
            for _, allows in level_candidates
            for statement in allows
        )
        if not allowed:
            if not level_unknown:
                return "deny"
            levels_unknown |= level_unknown
    if unknown or levels_unknown:
        raise Undecidable(frozenset(unknown | levels_unknown))
    return "allow"


def _match_or_unknown(statement: _Statement, request: Request, unknown: set[str]) -> bool:
    """``statement.matches``, adding to ``unknown`` the keys that kept it from deciding."""
    try:
        return statement.matches(request)
    except Undecidable as undecidable:
        unknown |= undecidable.keys
        return False


def statement_matches(
    statement: Mapping[str, object], request: Request, *, version: str = CURRENT_VERSION
) -> bool:
    """Whether one statement applies to the request (ignoring its Effect).

    ``version`` is the Version of the policy the statement comes from.
    """
    return _compile_statement(statement, version).matches(request)


def resource_policy_decision(
    policy: Mapping[str, object], request: Request
) -> Literal["allow", "deny", "none"]:
    """What one resource policy says: explicit deny, explicit allow, or nothing.

    "none" means the request is allowed only if something else allows it
    (an identity policy in the same account, or for KMS the key policy's
    delegation to the account); the callers' cases say which they expect.
    """
    compiled = _compile_policy(policy)
    if any(s.matches(request) for s in compiled.denies):
        return "deny"
    if any(s.matches(request) for s in compiled.allows):
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
            # An account principal (…:root, or the bare 12-digit account id, which
            # IAM reads as the same) stands for every principal of the account.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
            account = _account_of(value)
            if kind == "AWS" and account is not None and account == _arn_account(identity):
                return True
    return False


def _account_of(value: str) -> str | None:
    """The account an account principal names (``…:root`` or a bare id), else None."""
    if re.fullmatch(r"\d{12}", value):
        return value
    parts = value.split(":")
    if len(parts) == 6 and parts[5] == "root":
        return parts[4]
    return None


def _arn_account(identity: str) -> str | None:
    """The account of a requesting principal's ARN (None for anything else)."""
    parts = identity.split(":", 5)
    return parts[4] if len(parts) == 6 else None
