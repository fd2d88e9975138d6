"""The catalog, the packs and the packer: quotas, merging, determinism, readable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landing_zone.cli import DOCS_PATH
from landing_zone.cli import main as cli_main
from landing_zone.config import guardrail_inputs, load_config
from landing_zone.config.guardrails import ec2_instance_types
from landing_zone.guardrails.catalog import GUARDRAILS
from landing_zone.guardrails.docs import CONTROL_TOWER, guardrails_markdown
from landing_zone.guardrails.evaluate import FULL_ACCESS, Request, evaluate
from landing_zone.guardrails.model import render
from landing_zone.guardrails.packer import GuardrailBudgetError, plan_guardrails
from landing_zone.guardrails.packs import PACKS
from tests.conftest import EXAMPLE, ROOT
from tests.variants import minimal_variant

CONFIG = load_config(EXAMPLE)
PLAN = plan_guardrails(CONFIG)

OVER_BUDGET = """
guardrails:
  attachments:
    root: [core, region-deny]
  quotas:
    scp_max_chars: 4000
    scp_max_per_target: 4
    scp_reserved_per_target: 2
"""


def test_ids_are_stable_kebab_case_and_unique() -> None:
    ids = [g.id for g in GUARDRAILS]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)
    sids = [s.sid for g in GUARDRAILS for s in g.statements(guardrail_inputs(CONFIG))]
    assert len(sids) == len(set(sids)), "Sids must be unique across the catalog"


def test_every_pack_names_existing_guardrails_and_every_guardrail_is_in_a_pack() -> None:
    known = {g.id for g in GUARDRAILS}
    in_packs = {g for p in PACKS for g in p.guardrails}
    assert in_packs <= known
    assert known == in_packs


def test_every_guardrail_is_documented_and_mapped_to_a_control() -> None:
    for guardrail in GUARDRAILS:
        assert guardrail.enforces, guardrail.id
        assert guardrail.rationale, guardrail.id
        controls = guardrail.controls
        assert controls.control_tower or controls.cis or controls.well_architected, guardrail.id


def test_every_mapped_control_tower_id_is_in_the_coverage_table() -> None:
    listed = {row[0] for row in CONTROL_TOWER}
    mapped = {c for g in GUARDRAILS for c in g.controls.control_tower}
    assert mapped <= listed
    uncovered = [row[0] for row in CONTROL_TOWER if row[0] not in mapped and not row[3]]
    assert uncovered == [], "each control needs a guardrail or a coverage note"


def test_every_policy_fits_its_size_quota_and_is_minified_json() -> None:
    quotas = CONFIG.guardrails.quotas
    for policy in PLAN.policies:
        limit = quotas.scp_max_chars if policy.kind == "scp" else quotas.rcp_max_chars
        assert policy.size <= limit, policy.name
        assert policy.content == json.dumps(json.loads(policy.content), separators=(",", ":"))


def test_every_target_stays_within_its_attachment_quota() -> None:
    for budget in PLAN.budgets:
        assert 1 <= len(budget.policies) <= budget.slots, budget.target
    # FullAWSAccess + 2 reserved for Control Tower leave 7 SCP slots; RCPFullAWSAccess leaves 4.
    assert {(b.kind, b.slots) for b in PLAN.budgets} == {("scp", 7), ("rcp", 4)}


def test_policy_names_derive_from_target_kind_and_number() -> None:
    names = [p.name for p in PLAN.policies]
    assert "Acme-root-scp-1" in names
    assert "Acme-root-rcp-1" in names
    assert "Acme-payments-prod-scp-1" in names
    assert len(names) == len(set(names))


def test_guardrails_inherited_from_a_parent_are_not_attached_again() -> None:
    prod = next(b for b in PLAN.budgets if b.target == "prod")
    assert "require-imdsv2" not in prod.policies[0].guardrails  # workloads already has it
    assert prod.policies[0].guardrails == ("deny-external-resource-shares",)


def test_statements_with_the_same_resources_and_condition_are_merged() -> None:
    root = next(b for b in PLAN.budgets if b.target == "root" and b.kind == "scp")
    statements = json.loads(root.policies[0].content)["Statement"]
    rendered = [
        s
        for g in root.policies[0].guardrails
        for s in next(x for x in GUARDRAILS if x.id == g).statements(guardrail_inputs(CONFIG))
    ]
    assert len(statements) < len(rendered)
    merged = [s for s in statements if "More" in s["Sid"]]
    assert merged, "the unconditioned Resource '*' statements should have merged"


def test_merging_changes_no_decision() -> None:
    """Evaluating the unmerged statements and the packed policy gives the same answers."""
    inputs = guardrail_inputs(CONFIG)
    root = next(b for b in PLAN.budgets if b.target == "root" and b.kind == "scp")
    unmerged = {
        "Statement": [
            render(s, kind="scp", inputs=inputs)
            for g in GUARDRAILS
            if g.id in root.policies[0].guardrails
            for s in g.statements(inputs)
        ]
    }
    packed = json.loads(root.policies[0].content)
    actions = sorted(
        {
            a
            for s in unmerged["Statement"]
            for a in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
        }
    )
    assert len(actions) > 100
    for action in actions:
        for principal in (
            "arn:aws:iam::222222222222:role/Dev",
            "arn:aws:iam::222222222222:role/AcmeBreakGlass",
        ):
            request = Request(
                action, "*", {"aws:PrincipalArn": principal, "aws:RequestedRegion": "eu-west-1"}
            )
            assert evaluate([[unmerged]], request) == evaluate([[packed]], request), action


def test_packing_is_deterministic() -> None:
    assert plan_guardrails(load_config(EXAMPLE)) == PLAN


def test_more_statements_than_one_policy_holds_spill_into_more_policies(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [core, region-deny]\n"
            "  quotas:\n    scp_max_chars: 4000\n"
        ),
    )
    plan = plan_guardrails(load_config(path))
    root = [p for p in plan.policies if p.target == "root"]
    assert len(root) >= 2
    assert all(p.size <= 4000 for p in root)


def test_over_budget_config_fails_naming_target_numbers_and_fix(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, append=OVER_BUDGET)
    with pytest.raises(GuardrailBudgetError) as raised:
        plan_guardrails(load_config(path))
    (message,) = raised.value.lines
    assert message.startswith("SCP packs for the root need ")
    assert (
        "policies; the quota is 4 (1 taken by FullAWSAccess, 2 reserved), leaving 1 for guardrails"
        in message
    )
    assert "Move packs to a parent OU" in message
    assert "guardrails.quotas.scp_max_per_target" in message
    assert "guardrails.quotas.scp_reserved_per_target" in message


def test_oversized_single_statement_is_reported(tmp_path: Path) -> None:
    # Real types: validation refuses one that matches no EC2 instance type.
    types = "\n".join(f"    - '{t}'" for t in sorted(ec2_instance_types())[:1000])
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [core, sandbox]\n"
            f"  sandbox_instance_types:\n{types}\n"
        ),
    )
    with pytest.raises(GuardrailBudgetError) as raised:
        plan_guardrails(load_config(path))
    assert any(
        "a statement of sandbox-instance-types is" in line
        and "over the SCP size quota of 10240" in line
        for line in raised.value.lines
    )


def test_validate_command_exits_2_on_over_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = minimal_variant(tmp_path, append=OVER_BUDGET)
    assert cli_main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"guardrail error: {path}:\n  - SCP packs for the root need")
    assert "Traceback" not in captured.err


def test_docs_are_generated_from_the_catalog_and_not_stale() -> None:
    expected = guardrails_markdown(CONFIG, PLAN)
    assert (ROOT / DOCS_PATH).read_text() == expected, (
        "run `make docs` and commit docs/guardrails.md"
    )
    for guardrail in GUARDRAILS:
        assert f"### `{guardrail.id}`" in expected
    for control, *_ in CONTROL_TOWER:
        assert f"| {control} |" in expected


def test_trusted_external_accounts_pass_the_data_perimeter_and_no_one_else(
    tmp_path: Path,
) -> None:
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [data-perimeter]\n"
            "  trusted_external_accounts: ['333333333333']\n"
        ),
    )
    (policy,) = plan_guardrails(load_config(path)).policies
    document = json.loads(policy.content)

    def decision(account: str) -> str:
        context = {
            "aws:PrincipalAccount": account,
            "aws:PrincipalOrgID": "o-someoneelse",
            "aws:PrincipalIsAWSService": "false",
            "aws:SecureTransport": "true",
        }
        return evaluate(
            [[document, FULL_ACCESS["RESOURCE_CONTROL_POLICY"]]],
            Request("sts:AssumeRole", "*", context),
        )

    assert decision("333333333333") == "allow"
    assert decision("444444444444") == "deny"
