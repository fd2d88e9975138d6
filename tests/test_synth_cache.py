"""The synth and cfn-lint cache: what its keys see, that one producer serves every worker,
and that a stale entry is caught."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests import conftest, synth_cache
from tests.conftest import ROOT, cdk_context, synthesize
from tests.synth_cache import environment_fingerprint, remembered, synth_key
from tests.templates import cfn_lint_errors
from tests.variants import minimal_variant

CONTEXT = cdk_context(config="any")


def config_in(directory: Path) -> Path:
    directory.mkdir(parents=True)
    return minimal_variant(directory)


def key_of(
    config: Path,
    *,
    outdir: Path | None = None,
    validation: bool = True,
    context: dict[str, Any] = CONTEXT,
) -> str:
    outdir = outdir or config.parent / "cdk.out"
    return synth_key(config, outdir=outdir, validation=validation, context=context)


def test_the_same_content_anywhere_has_one_key(tmp_path: Path) -> None:
    # Two checkouts (or pytest's numbered temporary directories) share entries.
    first = config_in(tmp_path / "a")
    second = config_in(tmp_path / "b" / "deeper")
    assert key_of(first) == key_of(second, outdir=tmp_path / "elsewhere")
    assert key_of(first) == key_of(first, context={**CONTEXT, "config": "other/path.yaml"})


def test_every_input_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_in(tmp_path / "config")
    before = key_of(config)
    # The config itself.
    config.write_text(config.read_text() + "\n# a comment\n")
    edited = key_of(config)
    assert edited != before
    # A file it may name (an inline policy, relative to its directory).
    (tmp_path / "config" / "policies").mkdir()
    (tmp_path / "config" / "policies" / "read.json").write_text("{}")
    beside = key_of(config)
    assert beside != edited
    # ... but not the synth's own output inside that directory.
    (tmp_path / "config" / "cdk.out").mkdir()
    (tmp_path / "config" / "cdk.out" / "manifest.json").write_text("{}")
    assert key_of(config) == beside
    # The validator, and the rest of the context (cdk.json's feature flags).
    assert key_of(config, validation=False) != beside
    assert key_of(config, context={**CONTEXT, "@aws-cdk/core:newStyle": False}) != beside
    # The environment aws-cdk-lib and jsii read, but not the CLI's own switch
    # the Makefile sets (so `make test` and a bare pytest share entries).
    monkeypatch.setenv("CDK_DISABLE_CLI_TELEMETRY", "true")
    environment_fingerprint.cache_clear()
    try:
        assert key_of(config) == beside
        monkeypatch.setenv("JSII_DEPRECATED", "warn")
        environment_fingerprint.cache_clear()
        assert key_of(config) != beside
    finally:
        monkeypatch.undo()
        environment_fingerprint.cache_clear()
    assert key_of(config) == beside


def test_a_change_to_the_app_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_in(tmp_path / "config")
    code = tmp_path / "landing_zone"
    shutil.copytree(synth_cache.CODE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(synth_cache, "CODE", code)
    synth_cache.code_digest.cache_clear()
    try:
        before = key_of(config)
        (code / "__pycache__").mkdir(exist_ok=True)
        (code / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"bytecode")
        synth_cache.code_digest.cache_clear()
        assert key_of(config) == before, "bytecode is not an input"
        handler = code / "lambdas" / "custom_resource.py"
        handler.write_text(handler.read_text() + "\n")
        synth_cache.code_digest.cache_clear()
        assert key_of(config) != before
    finally:
        monkeypatch.undo()
        synth_cache.code_digest.cache_clear()


def test_the_app_reads_no_context() -> None:
    """What lets the key leave out the config's path: the app gets the loaded config,
    and only app.py asks the CDK context for anything."""
    readers = [
        path.relative_to(ROOT)
        for path in synth_cache.CODE.rglob("*.py")
        if "get_context" in path.read_text()
    ]
    assert readers == []
    assert "try_get_context" in (ROOT / "app.py").read_text()


def test_one_producer_serves_every_caller(tmp_path: Path) -> None:
    made: list[str] = []
    results: list[str] = []

    def produce(entry: Path) -> str:
        made.append(threading.current_thread().name)
        time.sleep(0.3)  # the others arrive meanwhile and wait
        (entry / "value").write_text("synthesized")
        return "made"

    def read(entry: Path) -> str:
        return (entry / "value").read_text()

    def call() -> None:
        results.append(remembered("k", produce=produce, read=read, root=tmp_path))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert sorted(results) == ["made", "synthesized", "synthesized"]
    assert remembered("k", produce=produce, read=read, root=tmp_path) == "synthesized"
    assert len(made) == 1


def test_a_failed_producer_leaves_nothing(tmp_path: Path) -> None:
    def fail(entry: Path) -> str:
        (entry / "half").write_text("written")
        raise RuntimeError("synth failed")

    with pytest.raises(RuntimeError):
        remembered("k", produce=fail, read=lambda entry: "read", root=tmp_path)
    assert not (tmp_path / "k").exists()
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []
    assert remembered("k", produce=lambda entry: "made", read=lambda e: "read", root=tmp_path) == (
        "made"
    )


def test_a_producer_that_lost_a_race_keeps_the_winners_entry(tmp_path: Path) -> None:
    # Two producers of one key only when pruning replaced the lock file one
    # of them waited on; the second rename then finds the entry in place.
    def produce(entry: Path) -> str:
        (entry / "value").write_text("mine")
        (tmp_path / "k").mkdir()
        (tmp_path / "k" / "value").write_text("theirs")
        return "mine"

    def read(entry: Path) -> str:
        return (entry / "value").read_text()

    assert remembered("k", produce=produce, read=read, root=tmp_path) == "mine"
    assert remembered("k", produce=produce, read=read, root=tmp_path) == "theirs"
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["k"]


def test_least_recently_used_entries_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth_cache, "KEEP_SYNTHS", 2)
    for key in ("a", "b", "c"):
        remembered(key, produce=lambda entry: None, read=lambda entry: None, root=tmp_path)
        time.sleep(0.01)
    remembered("a", produce=lambda entry: None, read=lambda entry: None, root=tmp_path)
    time.sleep(0.01)
    remembered("d", produce=lambda entry: None, read=lambda entry: None, root=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["a", "d"]


def test_a_cached_synth_is_the_synth_and_a_stale_one_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_cache, "ENABLED", True)
    monkeypatch.setattr(synth_cache, "SYNTH_CACHE", tmp_path / "cache")
    config = config_in(tmp_path / "config")
    made = synthesize(config, tmp_path / "first", validation=False)
    read = synthesize(config, tmp_path / "second", validation=False)
    assert read.templates == made.templates
    assert read.stackset_templates == made.stackset_templates
    assert read.nested_templates == made.nested_templates
    assert read.config == made.config
    files = {
        p.relative_to(made.outdir): p.read_bytes() for p in made.outdir.rglob("*") if p.is_file()
    }
    assert files == {
        p.relative_to(read.outdir): p.read_bytes() for p in read.outdir.rglob("*") if p.is_file()
    }
    # The live stacks of a read synth come from a new synth (here the first
    # one again: a synth takes seconds), checked against the cached templates.
    monkeypatch.setattr(conftest, "_synthesize", lambda *args, **kwargs: made)
    assert read.stacks is made.stacks
    # An entry that no longer matches what its key stands for (an input the
    # key misses): the templates are served, but that check fails.
    (entry,) = (p for p in (tmp_path / "cache").iterdir() if p.is_dir())
    parts = json.loads((entry / "templates.json").read_text())
    parts["templates"]["Tiny-Organization"]["Resources"] = {}
    (entry / "templates.json").write_text(json.dumps(parts))
    stale = synthesize(config, tmp_path / "third", validation=False)
    assert stale.templates["Tiny-Organization"]["Resources"] == {}
    with pytest.raises(AssertionError, match="its key misses an input"):
        _ = stale.stacks


def test_a_clean_lint_verdict_is_remembered_and_an_error_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_cache, "ENABLED", True)
    monkeypatch.setattr(synth_cache, "LINT_CACHE", tmp_path / "lint")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topicc"}}}))
    assert cfn_lint_errors([good], ["eu-west-1"]) == []
    assert len(cfn_lint_errors([bad], ["eu-west-1"])) == 1
    assert len(list((tmp_path / "lint").iterdir())) == 1
    import cfnlint.api

    def refuse(*args: object, **kwargs: object) -> list[object]:
        raise AssertionError("linted again")

    monkeypatch.setattr(cfnlint.api, "lint_file", refuse)
    assert cfn_lint_errors([good], ["eu-west-1"]) == []
    with pytest.raises(AssertionError, match="linted again"):
        cfn_lint_errors([bad], ["eu-west-1"])
    # The same bytes against other regions are another question.
    with pytest.raises(AssertionError, match="linted again"):
        cfn_lint_errors([good], ["eu-west-1", "us-east-1"])


def test_switched_off_nothing_is_read_or_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_cache, "ENABLED", False)
    monkeypatch.setattr(synth_cache, "LINT_CACHE", tmp_path / "lint")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was used")

    made = object()
    monkeypatch.setattr(synth_cache, "remembered", refuse)
    monkeypatch.setattr(conftest, "_synthesize", lambda *args, **kwargs: made)
    assert synthesize(tmp_path / "any.yaml", tmp_path / "out") is made
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    assert cfn_lint_errors([good], ["eu-west-1"]) == []
    assert not (tmp_path / "lint").exists()


class Distribution:
    """What the fingerprint reads of an installed distribution."""

    def __init__(self, name: str, version: str, requires: list[str] | None = None) -> None:
        self.metadata = {"Name": name}
        self.version = version
        self.requires = requires


def test_lint_verdicts_follow_cfn_lint_and_what_it_runs_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed = {
        "cfn-lint": Distribution(
            "cfn-lint", "1.0", ["regex>=1", "junit-xml; extra == 'junit'", "sympy"]
        ),
        "regex": Distribution("regex", "2024.1"),
        "sympy": Distribution("sympy", "1.14", ["mpmath<1.4"]),
        "mpmath": Distribution("mpmath", "1.3"),
        "junit-xml": Distribution("junit-xml", "1.9"),
        "boto3": Distribution("boto3", "1.44"),
    }

    def fingerprint() -> tuple[str, str]:
        synth_cache.packages_fingerprint.cache_clear()
        return synth_cache.packages_fingerprint("cfn-lint"), synth_cache.packages_fingerprint()

    monkeypatch.setattr(synth_cache.importlib.metadata, "distribution", installed.__getitem__)
    monkeypatch.setattr(
        synth_cache.importlib.metadata, "distributions", lambda: list(installed.values())
    )
    try:
        lint, everything = fingerprint()
        installed["boto3"].version = "1.45"
        installed["junit-xml"].version = "2.0"  # an extra cfn-lint is not run with
        assert fingerprint()[0] == lint
        assert fingerprint()[1] != everything  # the synth's key sees every package
        installed["mpmath"].version = "1.4"  # a dependency of a dependency
        assert fingerprint()[0] != lint
    finally:
        monkeypatch.undo()
        synth_cache.packages_fingerprint.cache_clear()
