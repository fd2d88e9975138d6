"""The landing zone over a matrix of named configs, not one example.

Each variant of ``tests.variants.MATRIX`` is synthesized once per session
(its fixture in conftest.py) and checked alike: cfn-lint over every template,
StackSet bodies included; no unacknowledged cdk-nag finding; every template
within CloudFormation's limits; and the guardrail invariants
(``tests.invariants.guardrail_problems``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App

from landing_zone.app import build_landing_zone
from landing_zone.config import load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.org_tree import ROOT
from tests.conftest import Synth, cdk_context
from tests.invariants import guardrail_problems, limit_problems, lint_errors
from tests.templates import nag_failures, resources_of
from tests.variants import MATRIX, minimal_variant

# The account stacks of a sharded organization are one construct over
# disjoint sets of account keys: the same resource shape, hundreds of times.
# cfn-lint reads each resource (about 15 ms apiece), so one shard stands for
# the others: the second and later shards are not linted.
LATER_SHARD = re.compile(r"-Accounts-([2-9]|\d\d+)\.template\.json$")


@pytest.fixture(params=sorted(MATRIX), scope="module")
def synth(request: pytest.FixtureRequest) -> Synth:
    synthesized: Synth = request.getfixturevalue(MATRIX[request.param])
    return synthesized


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    files = [path for path in synth.template_files() if not LATER_SHARD.search(path.name)]
    # Stacks and StackSet bodies: every template the assembly holds.
    assert len(files) >= len(synth.templates) - 4
    assert any(path.name not in {f"{n}.template.json" for n in synth.templates} for path in files)
    regions = tuple(synth.config.regions.governed)
    errors = lint_errors(files, regions)
    assert errors == [], "\n".join(errors)


def test_cdk_nag_reports_no_unacknowledged_findings(synth: Synth) -> None:
    assert nag_failures(synth.outdir) == []


def test_every_template_is_within_cloudformation_limits(synth: Synth) -> None:
    assert limit_problems(synth) == []


def test_guardrail_invariants_hold(synth: Synth) -> None:
    assert guardrail_problems(synth.config) == []


def test_the_root_carries_the_core_pack_unless_deliberately_emptied(synth: Synth) -> None:
    config = synth.config
    quotas = config.guardrails.quotas
    organization = synth.templates[f"{config.prefix}-Organization"]
    on_root = {}
    for policy in resources_of(organization, "AWS::Organizations::Policy").values():
        properties = policy["Properties"]
        kind = KINDS.get(properties["Type"])
        if kind is None:
            continue
        # Every synthesized SCP and RCP, wherever attached, fits its quota.
        assert len(properties["Content"]) <= getattr(quotas, f"{kind}_max_chars")
        if properties["TargetIds"] == [config.organization.root_id]:
            on_root[properties["Name"]] = properties
    if config.business_unit or not config.guardrails.attachments.get(ROOT):
        # A business unit leaves the root to the core; everything-off empties it.
        assert on_root == {}
        return
    assert "core" in config.guardrails.attachments[ROOT]
    carried = {
        guardrail
        for policy in plan_guardrails(config).policies
        if policy.target == ROOT and policy.name in on_root
        for guardrail in policy.guardrails
    }
    assert set(PACKS["core"].guardrails) <= carried


KINDS = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}


def test_an_account_stack_no_created_account_hashes_to_is_not_built(tmp_path: Path) -> None:
    """CloudFormation refuses a template without resources; found by the generated configs."""
    path = minimal_variant(
        tmp_path,
        replace=(
            "  management_account_id: '111111111111'\n",
            "  management_account_id: '111111111111'\n  account_stacks: 2\n",
        ),
    )
    config = load_config(path)
    shard = config.account_stack("app-prod")
    stacks = build_landing_zone(App(context=cdk_context()), config=config)
    built = sorted(s.stack_name for s in stacks.values() if "-Accounts-" in s.stack_name)
    assert built == [f"Tiny-Accounts-{shard + 1}"]
