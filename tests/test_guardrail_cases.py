"""The case table, evaluated against the policies synthesized for the example organization.

Policies are read back from the CloudFormation template (content and target
ids), not from the packer, so the proof covers what would be deployed.
FullAWSAccess and RCPFullAWSAccess, which AWS attaches to every root, OU and
account, are added at every level, as in a real organization.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from landing_zone.config import guardrail_inputs, load_config
from landing_zone.guardrails.catalog import GUARDRAILS
from landing_zone.guardrails.docs import coverage_rows, reach
from landing_zone.guardrails.evaluate import FULL_ACCESS, Decision, Request, evaluate
from landing_zone.guardrails.model import render
from landing_zone.guardrails.packer import plan_guardrails, target_paths
from landing_zone.naming import MANAGED_BY_TAG
from tests.conftest import EXAMPLE, synthesize
from tests.guardrail_cases import CASES, CT_PACK_CASES, CT_PACKS, PRINCIPALS, Case, ou_sets
from tests.test_guardrail_lint import problems_in
from tests.variants import variant

Policies = dict[tuple[str, str], list[dict[str, Any]]]

CONFIG = load_config(EXAMPLE)
PATHS = target_paths(CONFIG)
OU_SETS = ou_sets(PATHS)


def attached_policies(template: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """``(target key, policy type) -> documents``, targets resolved from the template itself."""
    resources = template["Resources"]
    logical_to_key: dict[str, str] = {}
    # OU names are unique among siblings, so (parent, name) identifies an OU.
    by_parent_and_name = {
        (parent or "root", unit.name): key for key, unit, parent, _ in CONFIG.walk_units()
    }
    pending = {
        logical: r["Properties"]
        for logical, r in resources.items()
        if r["Type"] == "AWS::Organizations::OrganizationalUnit"
    }
    while pending:
        for logical, properties in list(pending.items()):
            parent = properties["ParentId"]
            if parent == CONFIG.organization.root_id:
                parent_key = "root"
            elif parent["Fn::GetAtt"][0] in logical_to_key:
                parent_key = logical_to_key[parent["Fn::GetAtt"][0]]
            else:
                continue
            logical_to_key[logical] = by_parent_and_name[(parent_key, properties["Name"])]
            del pending[logical]
    policies: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::Organizations::Policy":
            continue
        properties = resource["Properties"]
        if properties["Type"] not in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            continue
        for target in properties["TargetIds"]:
            key = (
                "root"
                if target == CONFIG.organization.root_id
                else logical_to_key[target["Fn::GetAtt"][0]]
            )
            policies.setdefault((key, properties["Type"]), []).append(
                json.loads(properties["Content"])
            )
    return policies


@pytest.fixture(scope="module")
def policies(organization_template: dict[str, Any]) -> Policies:
    return attached_policies(organization_template)


# The example with every Control Tower opt-in pack also attached at the root.
ROOT_PACKS = "    root: [core, region-deny, data-perimeter]\n"


@pytest.fixture(scope="module")
def pack_policies(tmp_path_factory: pytest.TempPathFactory) -> Policies:
    directory = tmp_path_factory.mktemp("ct-packs")
    packs = ", ".join(("core", "region-deny", "data-perimeter", *CT_PACKS))
    path = variant(EXAMPLE, directory, replace=[(ROOT_PACKS, f"    root: [{packs}]\n")])
    synth = synthesize(path, directory / "cdk.out", validation=False)
    return attached_policies(synth.templates["Acme-Organization"])


def request_of(case: Case) -> Request:
    context = {**PRINCIPALS[case.principal].context, "aws:RequestedRegion": case.region}
    return Request(action=case.action, resource=case.resource, context={**context, **case.context})


def decide(case: Case, ou: str, policies: Policies) -> Decision:
    request = request_of(case)

    def levels(policy_type: str) -> list[list[dict[str, Any]]]:
        # Root, each OU on the path, then the account (FullAWSAccess only).
        path_levels = [
            [FULL_ACCESS[policy_type], *policies.get((t, policy_type), [])] for t in PATHS[ou]
        ]
        return [*path_levels, [FULL_ACCESS[policy_type]]]

    if (
        PRINCIPALS[case.principal].scp_applies
        and evaluate(levels("SERVICE_CONTROL_POLICY"), request) == "deny"
    ):
        return "deny"
    return evaluate(levels("RESOURCE_CONTROL_POLICY"), request)


def test_the_table_is_large_and_covers_every_principal_kind() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.principal for c in CASES} == set(PRINCIPALS)
    assert {name for c in CASES for name in c.denied_in.split("+")} == set(OU_SETS)


def expected_and_actual(
    case: Case, policies: Policies
) -> tuple[dict[str, Decision], dict[str, Decision]]:
    denied = frozenset().union(*(OU_SETS[name] for name in case.denied_in.split("+")))
    expected: dict[str, Decision] = {
        ou: ("deny" if ou in denied else "allow") for ou in sorted(OU_SETS["all"])
    }
    actual = {ou: decide(case, ou, policies) for ou in sorted(OU_SETS["all"])}
    return expected, actual


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_decision_in_every_ou(case: Case, policies: Policies) -> None:
    expected, actual = expected_and_actual(case, policies)
    assert actual == expected


@pytest.mark.parametrize("case", CT_PACK_CASES, ids=[c.id for c in CT_PACK_CASES])
def test_opt_in_pack_case_decision_in_every_ou(case: Case, pack_policies: Policies) -> None:
    expected, actual = expected_and_actual(case, pack_policies)
    assert actual == expected


def unexercised_statements(policies: Policies, cases: tuple[Case, ...]) -> list[str]:
    statements = {
        statement["Sid"]: statement
        for documents in policies.values()
        for document in documents
        for statement in document["Statement"]
    }
    unexercised = []
    for sid, statement in statements.items():
        single = [[{"Statement": [statement]}, FULL_ACCESS["SERVICE_CONTROL_POLICY"]]]
        if not any(evaluate(single, request_of(case)) == "deny" for case in cases):
            unexercised.append(sid)
    return unexercised


def test_every_guardrail_is_exercised_by_some_denied_case(policies: Policies) -> None:
    """A guardrail no case reaches is unproven: each statement must deny at least one case."""
    assert unexercised_statements(policies, CASES) == []


def test_every_opt_in_pack_statement_is_exercised(pack_policies: Policies) -> None:
    assert unexercised_statements(pack_policies, (*CASES, *CT_PACK_CASES)) == []


INPUTS = guardrail_inputs(CONFIG)


def denied_by_guardrail_alone(guardrail_id: str, case: Case) -> bool:
    guardrail = next(g for g in GUARDRAILS if g.id == guardrail_id)
    statements = [
        render(s, kind=guardrail.kind, inputs=INPUTS) for s in guardrail.statements(INPUTS)
    ]
    full = FULL_ACCESS[
        "SERVICE_CONTROL_POLICY" if guardrail.kind == "scp" else "RESOURCE_CONTROL_POLICY"
    ]
    return evaluate([[{"Statement": statements}, full]], request_of(case)) == "deny"


def test_every_control_tower_control_the_catalog_names_is_proven_by_a_case() -> None:
    """docs/guardrails.md says "covered" for every id a guardrail names: a case must prove it.

    The case names the control (``proves``), is in a table evaluated against
    synthesized policies above, and the naming guardrail alone denies it.
    """
    cases = (*CASES, *CT_PACK_CASES)
    unproven = [
        f"{guardrail.id}: {control}"
        for guardrail in GUARDRAILS
        for control in guardrail.controls.control_tower
        if not any(
            control in case.proves and denied_by_guardrail_alone(guardrail.id, case)
            for case in cases
        )
    ]
    assert unproven == []


def test_every_proved_control_is_named_by_the_catalog() -> None:
    named = {c for g in GUARDRAILS for c in g.controls.control_tower}
    assert {c for case in (*CASES, *CT_PACK_CASES) for c in case.proves} <= named


def test_every_guardrail_in_the_catalog_lints_clean() -> None:
    """Opt-in packs are not in the example's policies; lint every guardrail as rendered."""
    problems = [
        f"{guardrail.id}: {problem}"
        for guardrail in GUARDRAILS
        for problem in problems_in(
            {
                "Statement": [
                    render(s, kind=guardrail.kind, inputs=INPUTS)
                    for s in guardrail.statements(INPUTS)
                ]
            }
        )
    ]
    assert problems == []


def test_the_aggregator_carries_the_tag_its_protection_matches(
    audit_home_template: dict[str, Any],
) -> None:
    """protect-config-rules recognises the landing zone's aggregator by tag (its ARN has an id)."""
    aggregators = [
        r
        for r in audit_home_template["Resources"].values()
        if r["Type"] == "AWS::Config::ConfigurationAggregator"
    ]
    assert aggregators
    key, value = MANAGED_BY_TAG
    for aggregator in aggregators:
        assert {"Key": key, "Value": value} in aggregator["Properties"]["Tags"]


def test_every_preventive_row_of_the_coverage_table_has_a_status() -> None:
    """A preventive control is covered, opt-in, or says why not ("Not applicable" / "Not yet")."""
    rows = coverage_rows(reach(plan_guardrails(CONFIG)))
    unexplained = [r[0] for r in rows if "detective" not in r[1] and r[3] == "detective"]
    assert unexplained == []
    named = {c for g in GUARDRAILS for c in g.controls.control_tower}
    assert {r[0] for r in rows if r[3] in ("covered", "opt-in")} == named
