"""The organization stack: OU tree, accounts, organization features and guardrail policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Match, Template

from landing_zone.config import DEFAULT_POLICY_TYPES, LandingZoneConfig, load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.stacks.organization_stack import OrganizationStack
from tests.conftest import EXAMPLE, cdk_context
from tests.templates import resources_of
from tests.variants import copy_policy_files


def _ou_tree(template: dict[str, Any]) -> dict[str, str | None]:
    """OU name path -> parent name path, read back from the template's references."""
    units = resources_of(template, "AWS::Organizations::OrganizationalUnit")

    def path(logical_id: str) -> str:
        unit = units[logical_id]["Properties"]
        parent = unit["ParentId"]
        if isinstance(parent, dict):
            return f"{path(parent['Fn::GetAtt'][0])}/{unit['Name']}"
        return unit["Name"]

    return {path(k): (path(k).rsplit("/", 1)[0] if "/" in path(k) else None) for k in units}


def test_ou_tree_matches_config(organization_template: dict[str, Any]) -> None:
    tree = _ou_tree(organization_template)
    assert tree == {
        "Security": None,
        "Infrastructure": None,
        "Sandbox": None,
        "Workloads": None,
        "Workloads/Prod": "Workloads",
        "Workloads/SDLC": "Workloads",
        "Retail": None,
        "Retail/Prod": "Retail",
        "Retail/SDLC": "Retail",
        "Payments": None,
        "Payments/Prod": "Payments",
        "Payments/SDLC": "Payments",
        "Suspended": None,
    }


def test_top_level_ous_hang_off_the_configured_root(organization_template: dict[str, Any]) -> None:
    units = resources_of(organization_template, "AWS::Organizations::OrganizationalUnit")
    roots = {
        u["Properties"]["ParentId"]
        for u in units.values()
        if isinstance(u["Properties"]["ParentId"], str)
    }
    assert roots == {"r-a1b2"}


def test_created_accounts_sit_in_their_ou(organization_template: dict[str, Any]) -> None:
    accounts = resources_of(organization_template, "AWS::Organizations::Account")
    units = resources_of(organization_template, "AWS::Organizations::OrganizationalUnit")
    placed = {
        a["Properties"]["AccountName"]: units[a["Properties"]["ParentIds"][0]["Fn::GetAtt"][0]][
            "Properties"
        ]["Name"]
        for a in accounts.values()
    }
    assert placed["Acme-LogArchive"] == "Security"
    assert placed["Acme-Audit"] == "Security"
    assert placed["Acme-Platform-Prod"] == "Prod"
    assert placed["Acme-Retail-Web-Staging"] == "SDLC"
    assert len(placed) == 10


def test_adopted_accounts_are_not_created(organization_template: dict[str, Any]) -> None:
    names = {
        a["Properties"]["AccountName"]
        for a in resources_of(organization_template, "AWS::Organizations::Account").values()
    }
    assert "Acme-Payments-API-Prod" not in names


def test_accounts_are_retained_never_closed(organization_template: dict[str, Any]) -> None:
    for account in resources_of(organization_template, "AWS::Organizations::Account").values():
        assert account["DeletionPolicy"] == "Retain"
        assert account["UpdateReplacePolicy"] == "Retain"
        assert account["Properties"]["RoleName"] == "OrganizationAccountAccessRole"


def test_accounts_are_created_one_at_a_time(organization_template: dict[str, Any]) -> None:
    accounts = resources_of(organization_template, "AWS::Organizations::Account")
    firsts = [k for k, a in accounts.items() if "DependsOn" not in a]
    assert len(firsts) == 1
    # Every other account depends on exactly one account: a single chain.
    dependents = sorted(a["DependsOn"][0] for a in accounts.values() if "DependsOn" in a)
    assert len(dependents) == len(set(dependents)) == len(accounts) - 1
    assert set(dependents) <= set(accounts)


def test_every_configured_policy_type_is_enabled(organization_template: dict[str, Any]) -> None:
    template = Template.from_json(organization_template)
    for policy_type in DEFAULT_POLICY_TYPES:
        template.has_resource_properties(
            "Custom::OrganizationPolicyType",
            {"Feature": "PolicyType", "Value": policy_type, "ServiceTimeout": "360"},
        )
    template.resource_count_is("Custom::OrganizationPolicyType", len(DEFAULT_POLICY_TYPES))


def test_every_configured_trusted_service_is_enabled(
    organization_template: dict[str, Any],
) -> None:
    config = load_config(EXAMPLE)
    template = Template.from_json(organization_template)
    for service in config.organization_features.trusted_services:
        template.has_resource_properties(
            "Custom::OrganizationTrustedService", {"Feature": "TrustedService", "Value": service}
        )
    template.resource_count_is(
        "Custom::OrganizationTrustedService", len(config.organization_features.trusted_services)
    )


def test_feature_handler_is_python_312_with_bounded_timeout(
    organization_template: dict[str, Any],
) -> None:
    Template.from_json(organization_template).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.12",
            "Handler": "organization_features.handler",
            "Timeout": 300,
        },
    )


def test_feature_role_scopes_enable_policy_type_to_the_root(
    organization_template: dict[str, Any],
) -> None:
    Template.from_json(organization_template).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": "organizations:EnablePolicyType",
                            "Effect": "Allow",
                            "Resource": (
                                "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-a1b2"
                            ),
                        }
                    ]
                )
            }
        },
    )


def test_handler_log_group_is_retained(organization_template: dict[str, Any]) -> None:
    Template.from_json(organization_template).has_resource(
        "AWS::Logs::LogGroup",
        {
            "DeletionPolicy": "Retain",
            "Properties": {"LogGroupName": "/acme/landing-zone/organization-features"},
        },
    )


def test_stack_carries_prefix_and_termination_protection(example_synth: Any) -> None:
    stack = example_synth.stacks["organization"]
    assert stack.stack_name == "Acme-Organization"
    assert stack.termination_protection is True
    assert stack.account == "111111111111"
    assert stack.region == "eu-west-1"


def _organization_template(config: LandingZoneConfig) -> dict[str, Any]:
    app = App(context=cdk_context())
    stack = OrganizationStack(
        app, "Test-Organization", config=config, guardrails=plan_guardrails(config)
    )
    return Template.from_stack(stack).to_json()


def test_renaming_an_ou_or_reordering_keeps_logical_ids(tmp_path: Path) -> None:
    original = EXAMPLE.read_text()
    renamed = original.replace("name: Workloads ", "name: Platform ").replace(
        "    name: Sandbox ", "    name: Experiments "
    )
    assert renamed != original
    path = tmp_path / "renamed.yaml"
    path.write_text(renamed)
    copy_policy_files(EXAMPLE.parent, tmp_path)
    before = _organization_template(load_config(EXAMPLE))
    after = _organization_template(load_config(path))
    assert set(before["Resources"]) == set(after["Resources"])
    names = {
        r["Properties"]["Name"]
        for r in resources_of(after, "AWS::Organizations::OrganizationalUnit").values()
    }
    assert {"Platform", "Experiments"} <= names


def test_every_packed_policy_is_attached_to_its_target(
    organization_template: dict[str, Any],
) -> None:
    policies = resources_of(organization_template, "AWS::Organizations::Policy")
    plan = plan_guardrails(load_config(EXAMPLE))
    by_name = {
        r["Properties"]["Name"]: r["Properties"]
        for r in policies.values()
        if r["Properties"]["Type"] in {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    }
    assert set(by_name) == {p.name for p in plan.policies}
    units = resources_of(organization_template, "AWS::Organizations::OrganizationalUnit")
    for packed in plan.policies:
        properties = by_name[packed.name]
        # The stored document is the packer's string, byte for byte.
        assert properties["Content"] == packed.content
        assert properties["Type"] == (
            "SERVICE_CONTROL_POLICY" if packed.kind == "scp" else "RESOURCE_CONTROL_POLICY"
        )
        (target,) = properties["TargetIds"]
        if packed.target == "root":
            assert target == "r-a1b2"
        else:
            assert target["Fn::GetAtt"][0] in units


def test_policies_wait_for_their_policy_type(organization_template: dict[str, Any]) -> None:
    policies = resources_of(organization_template, "AWS::Organizations::Policy")
    features = resources_of(organization_template, "Custom::OrganizationPolicyType")
    enabling = {r["Properties"]["Value"]: k for k, r in features.items()}
    for policy in policies.values():
        policy_type = policy["Properties"]["Type"]
        assert enabling[policy_type] in policy["DependsOn"]
