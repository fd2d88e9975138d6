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

from landing_zone.config import load_config
from landing_zone.guardrails.evaluate import FULL_ACCESS, Decision, Request, evaluate
from landing_zone.guardrails.packer import target_paths
from tests.conftest import EXAMPLE
from tests.guardrail_cases import CASES, PRINCIPALS, Case, ou_sets

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
def policies(organization_template: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    return attached_policies(organization_template)


def request_of(case: Case) -> Request:
    context = {**PRINCIPALS[case.principal].context, "aws:RequestedRegion": case.region}
    return Request(action=case.action, resource=case.resource, context={**context, **case.context})


def decide(case: Case, ou: str, policies: dict[tuple[str, str], list[dict[str, Any]]]) -> Decision:
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


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_decision_in_every_ou(
    case: Case, policies: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    denied = frozenset().union(*(OU_SETS[name] for name in case.denied_in.split("+")))
    expected = {ou: ("deny" if ou in denied else "allow") for ou in sorted(OU_SETS["all"])}
    actual = {ou: decide(case, ou, policies) for ou in sorted(OU_SETS["all"])}
    assert actual == expected


def test_every_guardrail_is_exercised_by_some_denied_case(
    policies: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    """A guardrail no case reaches is unproven: each statement must deny at least one case."""
    statements = {
        statement["Sid"]: statement
        for documents in policies.values()
        for document in documents
        for statement in document["Statement"]
    }
    unexercised = []
    for sid, statement in statements.items():
        single = [[{"Statement": [statement]}, FULL_ACCESS["SERVICE_CONTROL_POLICY"]]]
        if not any(evaluate(single, request_of(case)) == "deny" for case in CASES):
            unexercised.append(sid)
    assert unexercised == []
