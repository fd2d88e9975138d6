"""Reading synthesized templates: resources by type, StackSets by name, cfn-lint and cdk-nag."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.conftest import Synth


def resources_of(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The resources of type ``kind``, by logical id."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def one(template: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The one resource of type ``kind`` (fails if there are none or several)."""
    (resource,) = resources_of(template, kind).values()
    return resource


def stack_sets(synth: Synth, stack: str | None = None) -> dict[str, dict[str, Any]]:
    """StackSet resources by StackSetName, in the stack named ``stack`` or in every stack."""
    templates = [synth.templates[stack]] if stack else synth.templates.values()
    return {
        resource["Properties"]["StackSetName"]: resource
        for template in templates
        for resource in resources_of(template, "AWS::CloudFormation::StackSet").values()
    }


def written(templates: Mapping[str, Mapping[str, Any]], directory: Path) -> list[Path]:
    """Each template as a JSON file in ``directory``, named after its key."""
    paths = []
    for name, template in templates.items():
        path = directory / f"{name.replace('/', '-')}.json"
        path.write_text(json.dumps(template))
        paths.append(path)
    return paths


def cfn_lint_errors(paths: Iterable[Path], regions: Sequence[str]) -> list[Any]:
    """cfn-lint's error-severity matches in the template files at ``paths``.

    cfn-lint takes about half a second of CPU per template and seconds for
    a large one, and its verdict depends only on the template's bytes, the
    regions and the installed packages: a clean verdict is remembered
    under that key (``tests.synth_cache.lint_key``), as mypy caches what it
    checked, so a warm run lints only the templates that changed. A
    template with errors is linted every time.
    """
    from tests.synth_cache import ENABLED, LINT_CACHE, lint_key

    errors = []
    for path in paths:
        clean = LINT_CACHE / lint_key(path.read_bytes(), regions=regions)
        if ENABLED and clean.exists():
            continue
        # Imported only when needed: loading cfn-lint takes about a second.
        from cfnlint.api import ManualArgs, lint_file

        args = ManualArgs(regions=list(regions))
        found = [m for m in lint_file(path, config=args) if m.rule.severity == "error"]
        if ENABLED and not found:
            LINT_CACHE.mkdir(parents=True, exist_ok=True)
            clean.touch()
        errors += found
    return errors


def nag_failures(outdir: Path) -> list[dict[str, Any]]:
    """The cdk-nag plugin reports of a cloud assembly that did not conclude in success."""
    report = json.loads((outdir / "validation-report.json").read_text())
    assert report["title"] == "Validation Report"
    return [r for r in report["pluginReports"] if r.get("conclusion") != "success"]
