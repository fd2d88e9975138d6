"""Results remembered by content, shared by the pytest-xdist workers and by later runs.

A synth costs seconds (the example about 7, the 1,000-account organization
about 17) and cfn-lint about half a second per template, yet both are pure
functions of their inputs. Each result is kept under a key that hashes
every input (:func:`synth_key`, :func:`lint_key`), in the directory the
Makefile keeps its virtualenvs and mypy's cache in, so a worker that needs
a synth another worker or an earlier run already made reads it instead.
The key holds content only, never a path: two checkouts of the same commit
share entries, and a checkout that differs in one byte of an input gets
its own.

Only successes are remembered: a synth that raises, or a template cfn-lint
reports an error in, is redone every time. ``LANDING_ZONE_TEST_CACHE=off``
remembers nothing (a CI that wants every synth made in the run).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

# The Makefile's CACHE (it exports it as LANDING_ZONE_CACHE).
CACHE = Path(os.environ.get("LANDING_ZONE_CACHE", Path.home() / ".cache" / "landing-zone"))
#: LANDING_ZONE_TEST_CACHE=off makes and lints everything afresh (and keeps nothing).
ENABLED = os.environ.get("LANDING_ZONE_TEST_CACHE", "on") != "off"
SYNTH_CACHE = CACHE / "synth"
LINT_CACHE = CACHE / "cfn-lint-clean"
# Entries not used in the latest runs go: a run of the suite makes about 17
# for a state of the code (30 MB, half of it the 1,000-account synth), and
# every clone on the machine shares the directory, so this keeps about a
# dozen states, 350 MB at most.
KEEP_SYNTHS = 200

Result = TypeVar("Result")

TESTS = Path(__file__).resolve().parent
CODE = TESTS.parent / "landing_zone"
# What turns a config into a Synth besides the app's code: the function
# that synthesizes and records the result (conftest.py) and this module.
SYNTH_CODE = (TESTS / "conftest.py", Path(__file__).resolve())
# Environment variables the synth reads: aws-cdk-lib's (CDK_VALIDATION,
# CDK_CONTEXT_JSON, CDK_OUTDIR, CDK_DEFAULT_*) and jsii's (JSII_DEPRECATED,
# JSII_NODE, JSII_RUNTIME_PACKAGE_CACHE_ROOT); but not the one the Makefile
# sets for the CDK CLI alone (aws-cdk-lib's JavaScript never reads it), so
# `make test` and a bare pytest share entries.
ENVIRONMENT_PREFIXES = ("CDK_", "JSII_")
CLI_ONLY = frozenset({"CDK_DISABLE_CLI_TELEMETRY"})


def _digest(parts: Iterable[bytes]) -> str:
    """One hash over ``parts``, each length-prefixed so no two sequences collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def tree_digest(directory: Path, *, skip: Path | None = None) -> str:
    """A hash of every file under ``directory`` (names relative to it, and bytes).

    ``__pycache__`` is left out (bytecode follows the sources), and so is
    ``skip`` (a synth's output directory inside its config's directory).
    """
    parts = []
    for parent, directories, files in os.walk(directory):
        directories[:] = sorted(d for d in directories if d != "__pycache__")
        for name in sorted(files):
            path = Path(parent, name)
            if skip is not None and path.is_relative_to(skip):
                continue
            parts += [path.relative_to(directory).as_posix().encode(), path.read_bytes()]
    return _digest(parts)


@functools.cache
def packages_fingerprint(root: str | None = None) -> str:
    """Python's version and the name and version of every installed distribution
    (aws-cdk-lib and its bundled JavaScript, jsii, cdk-nag, the app's own
    dependencies), or only of ``root`` and what it requires, transitively
    (cfn-lint: its rules and schemas, and the libraries it runs them with)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    if root is None:
        found = list(importlib.metadata.distributions())
    else:
        found, seen, wanted = [], set(), [root]
        while wanted:
            name = canonicalize_name(wanted.pop())
            if name in seen:
                continue
            seen.add(name)
            try:
                distribution = importlib.metadata.distribution(name)
            except importlib.metadata.PackageNotFoundError:
                continue
            found.append(distribution)
            for line in distribution.requires or []:
                requirement = Requirement(line)
                # What it needs without extras, on this Python.
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    wanted.append(requirement.name)
    distributions = sorted(f"{d.metadata['Name']}=={d.version}" for d in found)
    return _digest([sys.version.encode(), "\n".join(distributions).encode()])


@functools.cache
def environment_fingerprint() -> str:
    """Everything outside the clone a synth depends on: the packages, the Node that
    jsii runs, and the environment variables of :data:`ENVIRONMENT_PREFIXES`."""
    node = os.environ.get("JSII_NODE") or shutil.which("node") or "node"
    try:
        version = subprocess.run(  # noqa: S603 - a fixed argument list
            [node, "--version"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        version = "none"
    settings = sorted(
        f"{name}={value}"
        for name, value in os.environ.items()
        if name.startswith(ENVIRONMENT_PREFIXES) and name not in CLI_ONLY
    )
    return _digest(
        [packages_fingerprint().encode(), version.encode()]
        + [setting.encode() for setting in settings]
    )


@functools.cache
def code_digest() -> str:
    """A hash of the app's code (every file of the landing_zone package, handlers included)
    and of the code that synthesizes it."""
    return _digest([tree_digest(CODE).encode(), *(path.read_bytes() for path in SYNTH_CODE)])


def synth_key(config_path: Path, *, outdir: Path, validation: bool, context: dict[str, Any]) -> str:
    """The key of synthesizing ``config_path`` with ``context``: content only.

    The config's whole directory counts, as the config names files relative
    to it (an Identity Center inline policy). The config's path does not:
    the app receives the loaded config, and only ``app.py`` reads the
    ``config`` context value (``test_the_app_reads_no_context`` holds
    landing_zone/ to that), so the same content anywhere gives the same
    templates. Neither does ``outdir``: a cloud assembly holds only paths
    relative to itself.
    """
    settings = {k: v for k, v in context.items() if k != "config"}
    return _digest(
        [
            b"synth",
            environment_fingerprint().encode(),
            code_digest().encode(),
            config_path.read_bytes(),
            tree_digest(config_path.resolve().parent, skip=outdir.resolve()).encode(),
            json.dumps(settings, sort_keys=True).encode(),
            str(validation).encode(),
        ]
    )


def lint_key(template: bytes, *, regions: Iterable[str]) -> str:
    """The key of cfn-lint's verdict on one template: its bytes (cfn-lint reads them as
    YAML or else JSON, whatever the file's name), the regions, and cfn-lint's
    version and its dependencies' (a pin bump elsewhere keeps the verdicts)."""
    return _digest(
        [
            b"cfn-lint",
            packages_fingerprint("cfn-lint").encode(),
            template,
            ",".join(regions).encode(),
        ]
    )


@contextmanager
def locked(path: Path, *, shared: bool) -> Iterator[None]:
    """An flock on ``path`` (created if missing): shared for readers, exclusive for a writer.

    flock locks belong to the open file, so two workers (or two threads
    that each open the file) exclude each other; the kernel drops the lock
    if the holder dies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remembered(
    key: str,
    *,
    produce: Callable[[Path], Result],
    read: Callable[[Path], Result],
    root: Path | None = None,
) -> Result:
    """``read`` of the entry for ``key`` under ``root`` (:data:`SYNTH_CACHE`), or what
    ``produce`` returns after filling a new entry.

    The first caller takes the key's lock and has ``produce`` fill a new
    directory, which appears under its final name only once complete (a
    rename); a caller that comes meanwhile waits on the lock and then reads
    the entry. A reader holds the lock shared, so no pruning removes an
    entry while it is read. If ``produce`` raises, nothing is kept and the
    next caller tries again.
    """
    root = root or SYNTH_CACHE
    entry, lock = root / key, root / f"{key}.lock"
    with locked(lock, shared=True):
        if entry.is_dir():
            os.utime(entry)  # most recently used: kept longest
            return read(entry)
    with locked(lock, shared=False):
        if entry.is_dir():
            os.utime(entry)
            return read(entry)
        partial = Path(tempfile.mkdtemp(dir=root, prefix=f".{key}."))
        try:
            result = produce(partial)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        try:
            partial.rename(entry)
        except OSError:
            # Another producer won (pruning replaced the lock file it waited
            # on): its entry holds the same content.
            shutil.rmtree(partial, ignore_errors=True)
            if not entry.is_dir():
                raise
    _forget_least_recent(root, keep=KEEP_SYNTHS)
    return result


def _forget_least_recent(root: Path, *, keep: int) -> None:
    """Removes all but the ``keep`` most recently used entries under ``root``.

    An entry being read holds its lock shared: it is skipped, not removed
    under the reader.
    """
    now = time.time()
    for partial in root.glob(".*"):
        # Left by a producer that was killed: none takes an hour.
        if partial.is_dir() and now - partial.stat().st_mtime > 3600:
            shutil.rmtree(partial, ignore_errors=True)
    entries = sorted(
        (path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for entry in entries[keep:]:
        lock = root / f"{entry.name}.lock"
        with lock.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(entry, ignore_errors=True)
            lock.unlink(missing_ok=True)
