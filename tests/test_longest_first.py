"""The xdist queue order: the slowest modules of the latest run first, every test kept."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests import longest_first


class Config:
    """What the hooks read of pytest's config: the --dist option, and workerinput on a worker."""

    def __init__(self, dist: str = "loadfile", workerinput: dict[str, Any] | None = None) -> None:
        self.option = SimpleNamespace(loadscopereorder=True)
        self._dist = dist
        if workerinput is not None:
            self.workerinput = workerinput

    def getoption(self, name: str, default: object = None) -> object:
        return self._dist if name == "dist" else default


def items(*nodeids: str) -> list[Any]:
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def test_a_worker_runs_the_slowest_modules_first_and_every_test() -> None:
    collected = items(
        "tests/test_a.py::one",
        "tests/test_a.py::two",
        "tests/test_b.py::one",
        "tests/test_new.py::one",
        "tests/test_c.py::one",
        "tests/test_c.py::two",
    )
    seconds = {"tests/test_a.py": 1.0, "tests/test_b.py": 9.0, "tests/test_c.py": 4.0}
    ordered = list(collected)
    longest_first.pytest_collection_modifyitems(
        Config(workerinput={"module_seconds": seconds}),  # type: ignore[arg-type]
        ordered,
    )
    assert [item.nodeid for item in ordered] == [
        "tests/test_new.py::one",  # never timed: it may be the slowest
        "tests/test_b.py::one",
        "tests/test_c.py::one",
        "tests/test_c.py::two",
        "tests/test_a.py::one",
        "tests/test_a.py::two",
    ]
    # Without xdist (or before any run was timed) the order is pytest's.
    untouched = list(collected)
    longest_first.pytest_collection_modifyitems(Config(), untouched)  # type: ignore[arg-type]
    assert untouched == collected


def test_the_controller_keeps_the_collection_order_as_the_queue() -> None:
    controller = Config()
    longest_first.pytest_configure(controller)  # type: ignore[arg-type]
    assert controller.option.loadscopereorder is False
    other = Config(dist="load")
    longest_first.pytest_configure(other)  # type: ignore[arg-type]
    assert other.option.loadscopereorder is True


def test_the_controller_records_each_modules_seconds_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds = tmp_path / "module-seconds.json"
    seconds.write_text(json.dumps({"tests/test_gone.py": 3.0, "tests/test_a.py": 9.0}))
    monkeypatch.setattr(longest_first, "SECONDS", seconds)
    monkeypatch.setattr(longest_first, "_spent", longest_first.defaultdict(float))
    for nodeid, duration in [
        ("tests/test_a.py::one", 0.5),
        ("tests/test_a.py::one", 1.25),
        ("tests/test_b.py::one", 2.0),
    ]:
        longest_first.pytest_runtest_logreport(
            SimpleNamespace(nodeid=nodeid, duration=duration)  # type: ignore[arg-type]
        )
    longest_first.pytest_sessionfinish(SimpleNamespace(config=Config()))  # type: ignore[arg-type]
    assert json.loads(seconds.read_text()) == {
        "tests/test_a.py": 1.75,
        "tests/test_b.py": 2.0,
        "tests/test_gone.py": 3.0,
    }
    # What the workers are handed.
    node = SimpleNamespace(workerinput={})
    longest_first.pytest_configure_node(node)
    assert node.workerinput["module_seconds"]["tests/test_b.py"] == 2.0
    # A worker records nothing.
    seconds.unlink()
    worker = Config(workerinput={})
    longest_first.pytest_sessionfinish(SimpleNamespace(config=worker))  # type: ignore[arg-type]
    assert not seconds.exists()
