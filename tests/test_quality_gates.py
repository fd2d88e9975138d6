"""Quality gates over the synthesized example: snapshots, determinism, cfn-lint, cdk-nag."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from landing_zone.app import build_landing_zone
from landing_zone.config import load_config
from landing_zone.config.types import MIN_REASON_CHARACTERS
from tests.conftest import EXAMPLE, Synth, cdk_context, synthesize
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
    # Never from the cache; the session's synth may be (an earlier run's or
    # the other worker's), so this also holds the cache to a fresh synth.
    again = synthesize(EXAMPLE, tmp_path / "again", cache=False)
    first = {p.name: p.read_bytes() for p in example_synth.template_files()}
    second = {p.name: p.read_bytes() for p in again.template_files()}
    assert first.keys() == second.keys()
    for name, content in first.items():
        assert content == second[name], f"{name} differs between two synths"


# cfn-lint takes about a second per template it has not seen clean before
# (tests.templates.cfn_lint_errors remembers clean verdicts by content).
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


# An acknowledgement silences one cdk-nag finding on one construct and
# everything below it; CDK records each as construct metadata, keyed by the
# rule id with an "Annotation::" prefix.
ACKNOWLEDGED = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
ANNOTATION = "Annotation::"
# An acknowledgement is the audit trail for a finding left open: it must say
# why, at least as firmly as a config exemption must.
MIN_ACKNOWLEDGEMENT_REASON = max(40, MIN_REASON_CHARACTERS)


def acknowledgements(scope: IConstruct) -> list[tuple[str, str, str]]:
    """``(construct path, rule id, reason)`` of every acknowledgement under ``scope``."""
    return [
        (construct.node.path, rule.removeprefix(ANNOTATION), reason)
        for construct in scope.node.find_all()
        for entry in construct.node.metadata
        if entry.type == ACKNOWLEDGED
        for rule, reason in entry.data.items()
    ]


def test_every_nag_acknowledgement_names_a_rule_and_a_reason(example_synth: Synth) -> None:
    found = acknowledgements(next(iter(example_synth.stacks.values())).node.root)
    # The same rule is acknowledged on many constructs (one per handler
    # role, per region): each carries its own reason and each is read.
    assert len(found) > len({rule for _, rule, _ in found}), found
    for path, rule, reason in found:
        assert rule.startswith("AwsSolutions-"), (path, rule)
        assert len(reason.strip()) >= MIN_ACKNOWLEDGEMENT_REASON, (
            f"{path}: {rule}: reason too thin: {reason!r}"
        )


class _Recorded:
    """Stands in for ``Validations.of(scope)``: notes acknowledgements, applies none."""

    def __init__(self, scope: IConstruct, noted: list[tuple[str, str, str]]) -> None:
        self.scope, self.noted = scope, noted

    def acknowledge(self, *acknowledgments: Acknowledgment) -> None:
        self.noted.extend((self.scope.node.path, a.id, a.reason) for a in acknowledgments)

    def add_plugins(self, *plugins: object) -> None:
        """The checks run below, on the whole tree, with nothing acknowledged."""


def test_every_nag_acknowledgement_silences_a_finding_cdk_nag_reports(
    example_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An acknowledgement of a finding cdk-nag does not report is dead: it hides nothing
    today and would silently hide a real finding later."""
    noted: list[tuple[str, str, str]] = []
    monkeypatch.setattr(Validations, "of", staticmethod(lambda scope: _Recorded(scope, noted)))
    app = App(context=cdk_context(config=str(EXAMPLE)))
    build_landing_zone(app, config=load_config(EXAMPLE))
    report = AwsSolutionsChecks().validate_scope(app)
    reported = {
        (violation.rule_name, resource.construct_path)
        for violation in report.violations
        for resource in violation.violating_resources
    }
    assert sorted(noted) == sorted(
        acknowledgements(next(iter(example_synth.stacks.values())).node.root)
    )
    for path, rule, _ in noted:
        assert any(
            name == rule and (where == path or where.startswith(f"{path}/"))
            for name, where in reported
        ), f"{path}: {rule} is acknowledged but cdk-nag reports no such finding there"
