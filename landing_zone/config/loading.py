"""Loading a config file, and error messages that name the file, line, field and fix."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from pydantic import ValidationError

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


def _in_file(data: object, location: Location) -> Location:
    """``location`` cut where the file holds a scalar: pydantic follows a value no
    branch of a union accepts with one tag per branch (``literal[-1]``,
    ``constrained-int``), which are not fields of the config."""
    node = data
    for depth, part in enumerate(location):
        if isinstance(node, dict):
            if part not in node:
                return location  # a missing field names its own place
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, list):
            return location
        else:
            return location[:depth]
    return location


def _pydantic_lines(path: Path, document: YamlDocument, error: ValidationError) -> list[str]:
    lines: list[str] = []
    for item in error.errors(include_url=False):
        location: Location = tuple(item["loc"])
        if location[-1:] == ("[key]",):
            # pydantic marks a bad mapping key so; the key itself is the place.
            location = location[:-1]
        location = _in_file(document.data, location)
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
        line = f"{_where(path, document, location)}: {message}"
        if line not in lines:
            lines.append(line)
    return lines


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
