"""Scalar types every config section shares, the ``Model`` base, and what a check reports.

A scalar type is an ``Annotated`` alias whose validator raises a
``PydanticCustomError`` that says what is wrong and what to do; the loader
passes those messages through unchanged. A cross-field check yields
:class:`Problem` (where, what); the root model raises them together as
:class:`CrossFieldProblems`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

import botocore.loaders
import botocore.model
from botocore.regions import EndpointResolver
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from landing_zone.naming import pascal
from landing_zone.yaml_source import Location

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

__all__ = [
    "LOG_RETENTION_DAYS",
    "AccountId",
    "Check",
    "CrossFieldProblems",
    "Email",
    "Key",
    "Location",
    "LogRetentionDays",
    "Model",
    "NotificationEmail",
    "Problem",
    "Region",
    "dotted",
    "known_regions",
    "partition_of",
    "service_enum",
]


def _account_id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PydanticCustomError(
            "account_id_type",
            "an account id must be a quoted string of 12 digits, e.g. '012345678901'",
        )
    if isinstance(value, int):
        # YAML 1.1 reads 011111111111 as octal and 123456789012 as a number;
        # either way leading zeros are gone. Show what the user most likely typed.
        guess = f"0{value:o}" if len(f"0{value:o}") == 12 else f"{value:012d}"
        raise PydanticCustomError(
            "account_id_unquoted",
            "account id is an unquoted number ({value}); YAML drops leading zeros and reads "
            "0-prefixed numbers as octal. Quote account ids in YAML, e.g. '{guess}'",
            {"value": value, "guess": guess},
        )
    if not re.fullmatch(r"\d{12}", value):
        raise PydanticCustomError(
            "account_id_format",
            "'{value}' is not an AWS account id: it must be exactly 12 digits "
            "(it has {length} characters)",
            {"value": value, "length": len(value)},
        )
    return value


AccountId = Annotated[
    str,
    BeforeValidator(_account_id),
    Field(
        description="12-digit AWS account id, quoted",
        json_schema_extra={"pattern": r"^\d{12}$"},
    ),
]


def _notification_email(value: str) -> str:
    # email-validator is the well-kept RFC 5322 checker pydantic itself uses;
    # deliverability (DNS) checks stay off so validation needs no network.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email_format",
            "'{value}' is not a valid email address ({reason}); use the form name@example.com",
            {"value": value, "reason": str(error).rstrip(".")},
        ) from None


def _email(value: str) -> str:
    normalized = _notification_email(value)
    if not 6 <= len(normalized) <= 64:
        raise PydanticCustomError(
            "email_length",
            "'{value}' has {length} characters; AWS account emails must have 6 to 64",
            {"value": value, "length": len(normalized)},
        )
    return normalized


Email = Annotated[
    str,
    AfterValidator(_email),
    Field(description="Root user email of the account (6-64 characters, unique in AWS)"),
]

NotificationEmail = Annotated[
    str, AfterValidator(_notification_email), Field(description="An email address")
]


def _key(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", value) or len(value) > 40:
        raise PydanticCustomError(
            "key_format",
            "'{value}' is not a valid key: use lowercase kebab-case starting with a letter, "
            "at most 40 characters, e.g. 'retail-prod'",
            {"value": value},
        )
    return value


Key = Annotated[str, AfterValidator(_key)]


# botocore's bundled data (endpoints, service models) is the SDK's own list of
# regions, resource types and instance types, refreshed with every release: no
# hand-kept list to rot. Read straight from its loader, never through a
# Session: a session reads AWS_PROFILE and the shared config files, so a
# profile typo (or no ~/.aws at all) would break validation, which needs no
# credentials.


@cache
def _botocore_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@cache
def service_enum(service: str, shape: str) -> frozenset[str]:
    """The values of enum ``shape`` in botocore's model of ``service`` (no session, no network)."""
    model = botocore.model.ServiceModel(
        _botocore_loader().load_service_model(service, "service-2"), service_name=service
    )
    return frozenset(getattr(model.shape_for(shape), "enum", ()))


@cache
def _regions_by_partition() -> dict[str, tuple[str, ...]]:
    resolver = EndpointResolver(_botocore_loader().load_data("endpoints"))
    return {
        partition: tuple(sorted(resolver.get_available_endpoints("sts", partition)))
        for partition in resolver.get_available_partitions()
    }


def known_regions() -> tuple[str, ...]:
    """Every region botocore knows, across partitions."""
    return tuple(sorted({r for rs in _regions_by_partition().values() for r in rs}))


def partition_of(region: str) -> str:
    """The partition (aws, aws-cn, aws-us-gov, ...) a region belongs to."""
    for partition, regions in _regions_by_partition().items():
        if region in regions:
            return partition
    raise KeyError(region)


def _region(value: str) -> str:
    regions = known_regions()
    if value not in regions:
        close = difflib.get_close_matches(value, regions, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "see `aws ec2 describe-regions`"
        raise PydanticCustomError(
            "region_unknown",
            "'{value}' is not an AWS region; {hint}",
            {"value": value, "hint": hint},
        )
    return value


Region = Annotated[str, AfterValidator(_region)]


# CloudWatch Logs accepts only these retention periods.
# See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        longer = [d for d in LOG_RETENTION_DAYS if d >= value]
        hint = f"the next allowed value is {longer[0]}" if longer else "the maximum is 3653"
        raise PydanticCustomError(
            "log_retention_days",
            "{value} is not a CloudWatch Logs retention period; {hint} (allowed: {allowed})",
            {"value": value, "hint": hint, "allowed": ", ".join(map(str, LOG_RETENTION_DAYS))},
        )
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]


class Model(BaseModel):
    """Base for every config section: unknown fields are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_fields(cls, data: Any) -> Any:
        # extra="forbid" alone says "Extra inputs are not permitted"; a typo
        # deserves the field it was probably meant to be.
        if isinstance(data, Mapping):
            # A field may be spelled differently in YAML (``lambda``, a Python keyword).
            allowed = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_field",
                        "unknown field '{field}'{hint}; fields allowed here: {allowed}",
                        {"field": str(key), "hint": hint, "allowed": ", ".join(sorted(allowed))},
                    )
        return data


@dataclass(frozen=True)
class Problem:
    """One thing a cross-field check found wrong: where (a field path) and what to do."""

    location: Location
    message: str


class CrossFieldProblems(Exception):
    """Every problem the cross-field checks found; the loader reports each on its own line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


#: A cross-field check: one rule, its docstring the compliant condition; the
#: root config in, a problem out for every place that breaks the rule.
Check: TypeAlias = Callable[["LandingZoneConfig"], Iterator[Problem]]


def dotted(location: Location) -> str:
    """``('a', 'b', 0, 'c')`` -> ``a.b[0].c``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# An exemption (an excluded account, a disabled control or rule) is the audit
# trail for a missing control: it must say why.
MIN_REASON_CHARACTERS = 10


def unexplained(
    reasons: Mapping[str, str], *, location: Location, what: str, why: str = ""
) -> Iterator[Problem]:
    """A problem at ``location + (key,)`` for each reason shorter than the minimum."""
    for key, reason in reasons.items():
        if len(reason.strip()) < MIN_REASON_CHARACTERS:
            yield Problem(
                (*location, key),
                f"say why {what} (at least {MIN_REASON_CHARACTERS} characters){why}",
            )


T = TypeVar("T", bound=Hashable)


def repeats(values: Sequence[T]) -> Iterator[tuple[int, T]]:
    """``(index, value)`` of every value already listed at a smaller index."""
    seen: set[T] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield index, value
        else:
            seen.add(value)


def id_clashes(keys: Iterable[tuple[str, Location]], *, what: str) -> Iterator[Problem]:
    """A problem for each key whose construct id is another key's.

    Construct ids (and CloudFormation logical ids) are ``pascal(key)``,
    which drops the dash before a digit: ``team-1`` and ``team1`` both
    become ``Team1``, and the second would fail synth as a duplicate id.
    """
    first: dict[str, str] = {}
    for key, location in keys:
        name = pascal(key)
        if name in first and first[name] != key:
            yield Problem(
                location,
                f"{what} '{key}' and '{first[name]}' both become '{name}' in CloudFormation "
                "logical ids (a dash before a digit is dropped), which must be unique; rename "
                "one so the two differ in more than a dash",
            )
        else:
            first.setdefault(name, key)
