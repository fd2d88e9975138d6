"""Load a YAML config file and remember where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys and
forgets line numbers. Config errors must name the line, and a duplicated OU
key must be an error rather than a silent overwrite, so this module composes
the node graph itself and walks it once. PyYAML has no option for either
(see https://github.com/yaml/pyyaml/issues/165), hence this small walker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class SourceProblem:
    """A problem found before validation: syntax, duplicates, empty file."""

    line: int | None
    message: str


@dataclass
class YamlDocument:
    """The parsed data plus a map from dotted location to 1-based line."""

    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Location) -> int | None:
        """Line of the closest enclosing value that exists in the file."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(location[:end])
            if line is not None:
                return line
        return None


class YamlSourceError(Exception):
    """Raised with every source-level problem at once."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise :class:`YamlSourceError` for unusable input."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise YamlSourceError(
            [
                SourceProblem(
                    None,
                    f"the file is not UTF-8 text (byte {error.start}: {error.reason}); "
                    "save it as UTF-8",
                )
            ]
        ) from None
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise YamlSourceError(
            [
                SourceProblem(
                    None,
                    "the file is empty; copy config/example.yaml and edit it",
                )
            ]
        )
    loader: yaml.SafeLoader | None = None
    try:
        # The reader checks every character as the loader is built.
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            raise YamlSourceError([SourceProblem(None, "the file holds no YAML document")])
        document = YamlDocument(data=None)
        problems: list[SourceProblem] = []
        _walk(node, (), document, problems, visited=set())
        if problems:
            raise YamlSourceError(problems)
        document.data = loader.construct_document(node)
    except RecursionError:
        raise YamlSourceError(
            [
                SourceProblem(
                    None,
                    "the YAML is nested too deeply to be a config; start from config/example.yaml",
                )
            ]
        ) from None
    except yaml.reader.ReaderError as error:
        raise YamlSourceError(
            [
                SourceProblem(
                    _line_at(text, error.position),
                    f"character {_shown(error.character)} at line "
                    f"{_line_at(text, error.position)} "
                    "is not allowed in YAML; remove it (an editor that shows control "
                    "characters finds it)",
                )
            ]
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        column = f", column {mark.column + 1}" if mark is not None else ""
        what = error.problem or error.context or "unreadable YAML"
        raise YamlSourceError(
            [
                SourceProblem(
                    line,
                    f"invalid YAML syntax at line {line}{column}: {what}; "
                    "check indentation and quoting on that line and the one before it",
                )
            ]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(document.data, Mapping):
        raise YamlSourceError(
            [
                SourceProblem(
                    1,
                    "the top level must be a mapping of settings (key: value), "
                    f"not a {type(document.data).__name__}; start from config/example.yaml",
                )
            ]
        )
    return document


def _shown(character: object) -> str:
    """A rejected character as people can read it: ``U+0000``."""
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return f"U+{code:04X}"


def _line_at(text: str, position: int) -> int:
    """1-based line of character ``position`` of ``text``."""
    return text.count("\n", 0, position) + 1


def _walk(
    node: yaml.Node,
    location: Location,
    document: YamlDocument,
    problems: list[SourceProblem],
    *,
    visited: set[int],
) -> None:
    # A node an alias (*name) refers to again is walked once: walking every
    # path through nested aliases would take exponential time ("billion
    # laughs"); its repeats keep the line of their enclosing value.
    if id(node) in visited:
        return
    visited.add(id(node))
    document.lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                dotted = ".".join(str(p) for p in (*location, key))
                problems.append(
                    SourceProblem(
                        line,
                        f"duplicate key '{dotted}' (first defined at line {seen[key]}); "
                        "YAML would silently keep only the last one. Give each entry a unique key",
                    )
                )
                continue
            seen[key] = line
            _walk(value_node, (*location, key), document, problems, visited=visited)
            # A key's own line is more useful than its value's for block values.
            document.lines[(*location, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*location, index), document, problems, visited=visited)
