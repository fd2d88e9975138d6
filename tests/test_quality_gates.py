"""Quality gates over the synthesized example: snapshots, determinism, cfn-lint, cdk-nag."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import EXAMPLE, Synth, synthesize
from tests.templates import cfn_lint_errors, nag_failures

ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def mask_assets(template: dict[str, Any]) -> Any:
    """Asset hashes change with every handler edit; the snapshot reviews the template.

    A StackSet's inline TemplateBody is one long JSON string; its content is
    snapshotted as its own readable template instead.
    """
    masked = json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template)))
    for resource in masked.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudFormation::StackSet" and "TemplateBody" in properties:
            properties["TemplateBody"] = "<see the StackSet template snapshot>"
    return masked


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_stack_matches_its_snapshot(
    example_synth: Synth, snapshot_json: SnapshotAssertion
) -> None:
    assert example_synth.templates, "no stacks synthesized"
    for name, template in sorted(example_synth.templates.items()):
        assert mask_assets(template) == snapshot_json(name=name)
    assert example_synth.stackset_templates, "no StackSet templates synthesized"
    for name, template in sorted(example_synth.stackset_templates.items()):
        assert mask_assets(template) == snapshot_json(name=f"stackset-{name.replace('/', '-')}")


def test_synth_is_deterministic(example_synth: Synth, tmp_path: Path) -> None:
    again = synthesize(EXAMPLE, tmp_path / "again")
    first = {p.name: p.read_bytes() for p in example_synth.template_files()}
    second = {p.name: p.read_bytes() for p in again.template_files()}
    assert first.keys() == second.keys()
    for name, content in first.items():
        assert content == second[name], f"{name} differs between two synths"


# cfn-lint takes about a second per template: two halves let pytest-xdist
# run them on both workers.
@pytest.mark.parametrize("half", [0, 1])
def test_cfn_lint_finds_no_errors(example_synth: Synth, half: int) -> None:
    files = example_synth.template_files()[half::2]
    assert len(files) >= 7
    # Management-account stacks deploy to the home region; StackSet bodies to
    # every governed region: lint against all governed regions of the example.
    errors = cfn_lint_errors(files, ["eu-west-1", "eu-central-1", "us-east-1"])
    assert errors == [], "\n".join(str(m) for m in errors)


def test_cdk_nag_reports_no_unacknowledged_findings(example_synth: Synth) -> None:
    assert nag_failures(example_synth.outdir) == []


def test_every_nag_acknowledgement_names_a_rule_and_a_reason(example_synth: Synth) -> None:
    acknowledged: dict[str, str] = {}
    for stack in example_synth.stacks.values():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == "aws:cdk:acknowledged-rules":
                    acknowledged.update(entry.data)
    assert acknowledged, "expected the reasoned acknowledgements of the feature handler"
    for rule, reason in acknowledged.items():
        assert rule.startswith("Annotation::AwsSolutions-"), rule
        assert len(reason) >= 40, f"{rule}: reason too thin: {reason!r}"
