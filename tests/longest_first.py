"""Longest modules first, so that the pytest-xdist workers finish together.

With ``--dist loadfile`` a worker takes the next module from a queue when
it runs out, and pytest-xdist orders that queue by each module's number of
tests: a module of few slow tests (the generated configs: two tests, about
8 s) can come last and leave the other worker idle. These hooks (conftest.py
imports them) order the queue by the seconds each module took in the
latest run instead, longest first (the longest-processing-time rule), a
module never timed before any other. The controller records the seconds
next to the synth cache and hands them to both workers, which order their
collection alike (pytest-xdist requires the same order). Only the order
changes: every test runs, and a module's tests keep theirs.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from typing import Any

import pytest

from tests.synth_cache import CACHE

SECONDS = CACHE / "module-seconds.json"

_spent: defaultdict[str, float] = defaultdict(float)


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _distributing(config: pytest.Config) -> bool:
    """The controller of a ``--dist loadfile`` run."""
    return not hasattr(config, "workerinput") and config.getoption("dist", "no") == "loadfile"


def pytest_configure(config: pytest.Config) -> None:
    if _distributing(config):
        # Keep the collection's order (set below) as the queue's.
        config.option.loadscopereorder = False


def _recorded() -> dict[str, float]:
    """The seconds per module recorded so far (none before the first run)."""
    try:
        seconds: dict[str, float] = json.loads(SECONDS.read_text())
    except (OSError, ValueError):
        return {}
    return seconds


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["module_seconds"] = _recorded()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seconds = getattr(config, "workerinput", {}).get("module_seconds")
    if seconds is None:
        return
    # A stable sort: a module's tests stay together and in their order.
    items.sort(key=lambda item: -seconds.get(_module(item.nodeid), math.inf))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _spent[_module(report.nodeid)] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not (_distributing(session.config) and _spent):
        return
    seconds = _recorded()
    seconds.update({module: round(spent, 2) for module, spent in _spent.items()})
    SECONDS.parent.mkdir(parents=True, exist_ok=True)
    partial = SECONDS.with_name(f".{SECONDS.name}.{os.getpid()}")
    partial.write_text(json.dumps(seconds, indent=1, sort_keys=True))
    partial.replace(SECONDS)
