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
    """cfn-lint's error-severity matches in the template files at ``paths``."""
    from cfnlint.api import ManualArgs, lint_file

    args = ManualArgs(regions=list(regions))
    return [
        match
        for path in paths
        for match in lint_file(path, config=args)
        if match.rule.severity == "error"
    ]


def nag_failures(outdir: Path) -> list[dict[str, Any]]:
    """The cdk-nag plugin reports of a cloud assembly that did not conclude in success."""
    report = json.loads((outdir / "validation-report.json").read_text())
    assert report["title"] == "Validation Report"
    return [r for r in report["pluginReports"] if r.get("conclusion") != "success"]
