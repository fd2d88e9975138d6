"""Loading a config file, and error messages that name the file, line, field and fix."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from landing_zone.config.root import LandingZoneConfig, warnings_of
from landing_zone.config.types import CrossFieldProblems, dotted
from landing_zone.yaml_source import Location, YamlDocument, YamlSourceError, load_yaml


class ConfigError(Exception):
    """A config file that cannot be used, with one readable line per problem."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
        body = "\n".join(f"  - {line}" for line in lines)
        super().__init__(f"{path}: {count}\n{body}")


def _where(path: Path, document: YamlDocument | None, location: Location) -> str:
    line = document.line_of(location) if document is not None else None
    at = f"{path}:{line}" if line is not None else str(path)
    return f"{at}: {dotted(location)}" if location else at


def _in_file(data: Any, location: Location) -> Location:
    """``location`` up to the value the file holds there.

    pydantic follows a scalar with one tag per branch of a union type
    (``hop_limit.literal[-1]``, ``hop_limit.constrained-int``): not fields
    the config has, so they are cut off.
    """
    node = data
    for depth, part in enumerate(location):
        if isinstance(node, dict):
            if part not in node:
                break  # a missing field: its own place
            node = node[part]
        elif isinstance(node, list):
            if not (isinstance(part, int) and 0 <= part < len(node)):
                break
            node = node[part]
        else:
            return location[:depth]
    return location


def _union_line(items: list[ErrorDetails]) -> str:
    """One message for a value no branch of a union type accepts: what each branch wanted."""
    wanted = ", or ".join(item["msg"][:1].lower() + item["msg"][1:] for item in items)
    return (
        f"{items[0]['input']!r} is not allowed: {wanted}; see this field's comment in "
        "config/example.yaml or config/schema.json"
    )


def _pydantic_lines(path: Path, document: YamlDocument, error: ValidationError) -> list[str]:
    lines: list[str | Location] = []
    unions: dict[Location, list[ErrorDetails]] = {}
    for item in error.errors(include_url=False):
        location: Location = tuple(item["loc"])
        if location[-1:] == ("[key]",):
            # pydantic marks a bad mapping key so; the key itself is the place.
            location = location[:-1]
        if (in_file := _in_file(document.data, location)) != location:
            if in_file not in unions:
                lines.append(in_file)  # placeholder: its line once every branch is known
            unions.setdefault(in_file, []).append(item)
            continue
        kind = item["type"]
        context = item.get("ctx") or {}
        if kind == "unknown_field":
            location = (*location, context["field"])
            message = item["msg"]
        elif kind == "missing":
            message = (
                f"required field '{location[-1]}' is missing; add it "
                "(config/example.yaml shows every field with a comment)"
            )
        elif kind == "string_pattern_mismatch":
            message = (
                f"'{item['input']}' does not match the required format "
                f"{context.get('pattern')}; see the comment for this field in config/example.yaml"
            )
        elif kind == "literal_error":
            expected = str(context.get("expected"))
            close = difflib.get_close_matches(
                str(item["input"]), re.findall(r"'([^']*)'", expected), n=1
            )
            hint = f"did you mean '{close[0]}'? " if close else ""
            message = f"'{item['input']}' is not allowed; {hint}expected one of {expected}"
        elif kind.startswith(("account_", "email_", "guardrail_", "key_", "ou_", "region_")):
            # Our own PydanticCustomErrors already say what to do.
            message = item["msg"]
        else:
            # pydantic's own wording (wrong type, too long, ...) says what is
            # wrong but not where to look for the right shape.
            message = (
                f"{item['msg']}; see this field's comment in config/example.yaml "
                "or config/schema.json"
            )
        lines.append(f"{_where(path, document, location)}: {message}")
    return [
        line
        if isinstance(line, str)
        else f"{_where(path, document, line)}: {_union_line(unions[line])}"
        for line in lines
    ]


def load_config(path: Path | str) -> LandingZoneConfig:
    """Load and validate one config file, or raise :class:`ConfigError`."""
    return _load(Path(path))[1]


def load_config_and_warnings(path: Path | str) -> tuple[LandingZoneConfig, list[str]]:
    """:func:`load_config`, and a ``warning: file:line: field: message`` line per warning.

    A warning is a legal but dangerous setting (root.WARNINGS): it is
    printed, and validation still passes.
    """
    path = Path(path)
    document, config = _load(path)
    return config, [
        f"warning: {_where(path, document, p.location)}: {p.message}" for p in warnings_of(config)
    ]


def _load(path: Path) -> tuple[YamlDocument, LandingZoneConfig]:
    if path.is_dir():
        raise ConfigError(
            path, [f"{path}: is a directory; pass a YAML file, e.g. config/example.yaml"]
        )
    if not path.is_file():
        raise ConfigError(
            path, [f"{path}: no such file; pass an existing file, e.g. config/example.yaml"]
        )
    try:
        document = load_yaml(path)
    except YamlSourceError as error:
        raise ConfigError(
            path,
            [
                f"{path}:{p.line}: {p.message}" if p.line else f"{path}: {p.message}"
                for p in error.problems
            ],
        ) from None
    try:
        # Files the config names (an inline policy) are relative to its directory.
        context = {"config_dir": path.parent}
        return document, LandingZoneConfig.model_validate(document.data, context=context)
    except ValidationError as error:
        raise ConfigError(path, _pydantic_lines(path, document, error)) from None
    except CrossFieldProblems as error:
        raise ConfigError(
            path,
            [f"{_where(path, document, p.location)}: {p.message}" for p in error.problems],
        ) from None
