"""A 1,000-account, 50-business-unit organization: every template within CloudFormation limits.

The organization comes from ``bench/make_org.py`` (the generator the scale
benchmark uses). It is synthesized once per session (conftest.py), without aws-cdk-lib's
built-in validator (which does not change a byte of the templates; the
example's synth keeps it on) to keep the suite fast.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench.make_org import make_org
from landing_zone.cli import identity_center_lines
from landing_zone.cli import main as cli_main
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.identity_center import (
    MAX_ENCODED_RULES,
    encoded_rules,
    reconciler_input,
    who_can_reach_what,
)
from landing_zone.quotas import (
    organization_stack_outputs,
    organization_stack_resources,
)
from tests.conftest import EXAMPLE, Synth
from tests.invariants import limit_problems
from tests.variants import write_org, write_yaml


@pytest.fixture(scope="module")
def large(large_config: Path) -> LandingZoneConfig:
    """``large_config`` loaded once for the module (about 0.5 s a load; a config is frozen)."""
    return load_config(large_config)


def test_generated_organization_has_the_requested_shape(large: LandingZoneConfig) -> None:
    config = large
    accounts = list(config.all_accounts())
    assert len(accounts) == 1000
    assert len([u for u in config.organizational_units if u.startswith("bu-")]) == 50
    assert sum(1 for _ in config.walk_units()) == 7 + 3 * 50
    assert config.organization.account_stacks == 3  # 899 created accounts, ~400 a stack


def test_every_template_is_within_cloudformation_limits(large_synth: Synth) -> None:
    assert "Acme-Accounts-3" in large_synth.templates
    assert limit_problems(large_synth) == []
    largest = max(len(t["Resources"]) for t in large_synth.templates.values())
    assert largest > 250  # the check has real stacks to look at


def accounts_by_stack(synth: Synth) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        name: {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Organizations::Account"
        }
        for name, template in synth.templates.items()
    }


def test_each_created_account_is_in_exactly_the_stack_its_key_hashes_to(
    large_synth: Synth, large: LandingZoneConfig
) -> None:
    config = large
    found: dict[str, str] = {}
    for stack, accounts in accounts_by_stack(large_synth).items():
        for resource in accounts.values():
            tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
            key = tags["landing-zone:account-key"]
            assert key not in found, f"{key} in {found[key]} and {stack}"
            found[key] = stack
    created = {key for key, account in config.all_accounts() if not account.adopted}
    assert set(found) == created
    for key, stack in found.items():
        if key in ("log-archive", "audit"):
            assert stack == "Acme-Organization"
        else:
            assert stack == f"Acme-Accounts-{config.account_stack(key) + 1}"


def test_accounts_in_a_stack_are_created_one_after_another_and_retained(
    large_synth: Synth,
) -> None:
    for stack, accounts in accounts_by_stack(large_synth).items():
        if not stack.startswith("Acme-Accounts-"):
            continue
        ids = list(accounts)
        assert len(ids) > 200
        for previous, logical_id in itertools.pairwise(ids):
            assert accounts[logical_id]["DependsOn"] == [previous]
        assert "DependsOn" not in accounts[ids[0]]
        for logical_id, resource in accounts.items():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"
            # Same construct path as in the organization stack, so moving an
            # account between stacks keeps its logical id.
            assert re.fullmatch(r"TreeAccountAcct\d{4}[0-9A-F]{8}", logical_id)


def test_account_stack_depends_on_the_key_alone(tmp_path: Path) -> None:
    data = make_org(accounts=400, business_units=25)
    data["organization"]["account_stacks"] = 3
    before = load_config(write_yaml(tmp_path / "before.yaml", data))
    # Some accounts gone, the rest in reverse order and moved to another OU:
    # an order- or OU-based assignment would move the survivors.
    survivors = list(data["workload_accounts"].items())[7:][::-1]
    for _key, account in survivors:
        account["ou"] = "bu-01-sdlc"
    data["workload_accounts"] = dict(survivors)
    after = load_config(write_yaml(tmp_path / "after.yaml", data))
    assert all(
        after.account_stack(key) == before.account_stack(key) for key in after.workload_accounts
    )
    assert {before.account_stack(key) for key in before.workload_accounts} == {0, 1, 2}


def test_guardrail_packing_fits_the_quotas_at_50_business_units(large: LandingZoneConfig) -> None:
    config = large
    plan = plan_guardrails(config)
    for budget in plan.budgets:
        assert len(budget.policies) <= budget.slots
        assert budget.largest <= budget.max_chars
    # Organizations allows 1,000 policies of a type per organization.
    scps = [p for p in plan.policies if p.kind == "scp"]
    assert 100 < len(scps) <= 1000


def organization_resource_count(config: LandingZoneConfig) -> int:
    return sum(organization_stack_resources(config, plan_guardrails(config)).values())


def test_estimates_equal_the_synthesized_organization_stack(
    example_synth: Synth, large_synth: Synth, large: LandingZoneConfig
) -> None:
    """The pre-synth checks count what synth produces: resources and outputs."""
    for config, synth in (
        (load_config(EXAMPLE), example_synth),
        (large, large_synth),
    ):
        template = synth.templates["Acme-Organization"]
        assert organization_resource_count(config) == len(template["Resources"])
        assert organization_stack_outputs(config) == len(template.get("Outputs", {}))


def test_too_many_accounts_for_one_stack_fail_before_synth_with_the_field_to_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_org(tmp_path / "crowded.yaml", accounts=600, units=1, account_stacks=1)
    assert cli_main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"stack limit error: {path}:")
    # The total moves with the guardrail policies; the parts named are fixed.
    assert re.search(
        r"the Acme-Organization stack would hold \d+ resources \(10 OUs, 541 created ",
        captured.err,
    )
    assert "CloudFormation allows 500" in captured.err
    assert "organization.account_stacks" in captured.err
    assert "Traceback" not in captured.err


def test_manifest_lists_the_account_stacks_after_the_organization(large_synth: Synth) -> None:
    manifest = json.loads((large_synth.outdir / "manifest.json").read_text())
    for shard in (1, 2, 3):
        dependencies = manifest["artifacts"][f"Acme-Accounts-{shard}"]["dependencies"]
        assert "Acme-Organization" in dependencies
    assert "Acme-Accounts-2" in manifest["artifacts"]["Acme-MemberBaseline"]["dependencies"]


# Here, not in test_identity_center.py: with the other checks of the
# 1,000-account synth.
def test_1000_accounts_assignments_cost_no_resource_per_account(
    large_synth: Synth, large: LandingZoneConfig
) -> None:
    """The reconciler owns the assignments: the stack's size does not grow with accounts,
    and its rules (by OU) fit the function's environment however many accounts there are."""
    config = large
    main = large_synth.templates["Acme-IdentityCenter"]
    assert len(main["Resources"]) < 30
    assert not large_synth.nested_templates
    rules = reconciler_input(config)
    assert len(encoded_rules(config)) < MAX_ENCODED_RULES / 2
    assert all(isinstance(target, list) for target, _, _ in rules["rules"])  # type: ignore[union-attr]
    reached = sum(count for *_, count in who_can_reach_what(config))
    assert reached == 5 * 998 + 4 * 2
    lines = identity_center_lines(config)
    assert lines[-1].startswith("  kept so by Acme-IdentityCenterReconciler")
