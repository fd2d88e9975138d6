"""IAM Identity Center: config rules, the synthesized permission sets and assignments,
the group resolver handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.make_org import make_org
from landing_zone.cli import identity_center_lines
from landing_zone.config import load_config
from landing_zone.config.identity import MAX_POLICIES_PER_PERMISSION_SET
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.identity_center import assignment_stack, assignments, shards, stack_resources
from landing_zone.quotas import StackLimitError, check_stack_limits
from tests.conftest import EXAMPLE, Synth
from tests.templates import resources_of
from tests.test_detection_services import LAMBDAS, api_calls, needed
from tests.variants import BUSINESS_UNIT, problems_of, variant, write_yaml

# ---- config -------------------------------------------------------------------------

INSTANCE = "arn:aws:sso:::instance/ssoins-0123456789abcdef"


def example_with(tmp_path: Path, old: str, new: str) -> Path:
    return variant(EXAMPLE, tmp_path, replace=[(old, new)])


def test_the_example_loads_with_its_inline_policy_read() -> None:
    center = load_config(EXAMPLE).identity.identity_center
    assert center is not None
    document = center.permission_sets["break-glass-eligible"].inline_document
    assert document is not None
    assert document["Statement"][0]["Action"] == "sts:AssumeRole"


REFUSALS = {
    "instance ARN": (
        f"instance_arn: {INSTANCE}",
        "instance_arn: arn:aws:sso:::instance/0123",
        "identity.identity_center.instance_arn",
    ),
    "instance partition": (
        f"instance_arn: {INSTANCE}",
        "instance_arn: arn:aws-cn:sso:::instance/ssoins-0123456789abcdef",
        "is in partition 'aws-cn' but the home region is in 'aws'",
    ),
    "identity store id": (
        "identity_store_id: d-0123456789",
        "identity_store_id: 0123456789",
        "identity.identity_center.identity_store_id",
    ),
    "region of another partition": (
        "    region: eu-west-1\n    permission_sets:",
        "    region: cn-north-1\n    permission_sets:",
        "'cn-north-1' is not in the home region's partition 'aws'",
    ),
    "name too long": (
        "name: AcmeAdministrator",
        "name: AcmeAdministratorOfEverythingEverywhere",
        "identity.identity_center.permission_sets.admin.name",
    ),
    "session too long": (
        "managed_policies: [AdministratorAccess]\n        session_duration: PT1H",
        "managed_policies: [AdministratorAccess]\n        session_duration: PT13H",
        "'PT13H' is not a session duration IAM Identity Center accepts",
    ),
    "session too short": (
        "managed_policies: [AdministratorAccess]\n        session_duration: PT1H",
        "managed_policies: [AdministratorAccess]\n        session_duration: PT30M",
        "'PT30M' is not a session duration",
    ),
    "customer policy as managed ARN": (
        "managed_policies: [AdministratorAccess]",
        "managed_policies: ['arn:aws:iam::222222222222:policy/Mine']",
        "is not an AWS managed policy ARN",
    ),
    "managed policy ARN of another partition": (
        "managed_policies: [AdministratorAccess]",
        "managed_policies: ['arn:aws-us-gov:iam::aws:policy/AdministratorAccess']",
        "is in partition 'aws-us-gov', the home region in 'aws'",
    ),
    "repeated managed policy": (
        "managed_policies: [AdministratorAccess]",
        "managed_policies: [AdministratorAccess, AdministratorAccess]",
        "'AdministratorAccess' is listed twice",
    ),
    "unknown permission set": (
        "permission_set: power-user",
        "permission_set: power-users",
        "unknown permission set 'power-users'; did you mean 'power-user'?",
    ),
    "unknown target": (
        "targets: [workloads, infrastructure]",
        "targets: [workload, infrastructure]",
        "unknown target 'workload'; did you mean 'workloads'?",
    ),
    "management account as target": (
        "targets: [audit]",
        "targets: ['111111111111']",
        "the management account is not assignable here",
    ),
    "repeated target": (
        "targets: [workloads, infrastructure]",
        "targets: [workloads, workloads]",
        "'workloads' is listed twice",
    ),
    "repeated pair": (
        "group: aws-finops\n        permission_set: billing",
        "group: aws-security-auditors\n        permission_set: security-audit",
        "group 'aws-security-auditors' already has permission set 'security-audit'",
    ),
    "same name twice": (
        "name: AcmeReadOnly",
        "name: acmepoweruser",
        "permission set 'power-user' is already named",
    ),
    "missing inline policy": (
        "inline_policy: policies/break-glass-eligible.json",
        "inline_policy: policies/missing.json",
        "no such file",
    ),
    "inline policy outside the config directory": (
        "inline_policy: policies/break-glass-eligible.json",
        "inline_policy: ../etc/passwd",
        "must be a path relative to the config file's directory",
    ),
    "unknown field": (
        "    assignments:\n      - group: aws-platform-admins",
        "    assignment:\n      - group: aws-platform-admins",
        "unknown field 'assignment' (did you mean 'assignments'?)",
    ),
    "boundary with both": (
        "managed_policies: [PowerUserAccess]",
        "managed_policies: [PowerUserAccess]\n        permissions_boundary:\n"
        "          managed_policy: PowerUserAccess\n"
        "          customer_managed_policy: {name: Boundary}",
        "set exactly one of 'managed_policy' or 'customer_managed_policy'",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal(case: str, tmp_path: Path) -> None:
    old, new, expected = REFUSALS[case]
    problems = problems_of(example_with(tmp_path, old, new))
    assert any(expected in line for line in problems), problems


def test_too_many_policies(tmp_path: Path) -> None:
    policies = ", ".join(f"P{i}" for i in range(MAX_POLICIES_PER_PERMISSION_SET + 1))
    path = example_with(
        tmp_path,
        "managed_policies: [AdministratorAccess]",
        f"managed_policies: [{policies}]",
    )
    assert any("21 managed policies; IAM Identity Center allows 20" in p for p in problems_of(path))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "is not JSON"),
        ('{"Version": "2008-10-17", "Statement": [{}]}', "is not an IAM policy document"),
        ('{"Version": "2012-10-17", "Statement": []}', "is not an IAM policy document"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Sid": "' + "x" * 10_300 + '"}]}',
            "IAM Identity Center allows 32768 and 10240",
        ),
    ],
)
def test_inline_policy_must_be_a_policy_within_the_quota(
    content: str, expected: str, tmp_path: Path
) -> None:
    path = example_with(tmp_path, "policies/break-glass-eligible.json", "policies/other.json")
    (tmp_path / "policies" / "other.json").write_text(content)
    assert any(expected in line for line in problems_of(path))


def test_a_business_unit_refuses_identity_center(tmp_path: Path) -> None:
    text = BUSINESS_UNIT.read_text()
    addition = (
        "  identity_center:\n"
        f"    instance_arn: {INSTANCE}\n"
        "    identity_store_id: d-0123456789\n"
        "    region: eu-west-1\n"
    )
    body = (
        text.replace("identity:\n", "identity:\n" + addition, 1)
        if "\nidentity:\n" in text
        else text + "\nidentity:\n" + addition
    )
    path = tmp_path / "bu.yaml"
    path.write_text(body)
    assert any(
        "identity.identity_center: IAM Identity Center has one organization instance" in line
        for line in problems_of(path)
    )


# ---- synthesized ---------------------------------------------------------------------


def _granted_actions(template: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return {a for a in actions if not a.startswith("logs:")}


def synthesized_assignments(templates: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    """``(group display name, permission set name, account id or email)`` of every
    ``AWS::SSO::Assignment``, resolved through the stacks' own resources."""
    main = templates["Acme-IdentityCenter"]
    names = {
        logical: resource["Properties"]["Name"]
        for logical, resource in resources_of(main, "AWS::SSO::PermissionSet").items()
    }
    found = set()
    for name, template in templates.items():
        if not name.startswith("Acme-IdentityCenter"):
            continue
        resources = template["Resources"]
        for resource in resources_of(template, "AWS::SSO::Assignment").values():
            properties = resource["Properties"]
            assert properties["PrincipalType"] == "GROUP"
            assert properties["TargetType"] == "AWS_ACCOUNT"
            group_logical = properties["PrincipalId"]["Fn::GetAtt"][0]
            group = resources[group_logical]["Properties"]["DisplayName"]
            arn = properties["PermissionSetArn"]
            if "Fn::GetAtt" in arn:
                permission_set = names[arn["Fn::GetAtt"][0]]
            else:  # the main stack's output, named after the permission set
                export = json.dumps(arn)
                (permission_set,) = (n for logical, n in names.items() if logical in export)
            target = properties["TargetId"]
            if isinstance(target, dict):
                resolver, attribute = target["Fn::GetAtt"]
                target = resources[resolver]["Properties"]["Emails"][int(attribute[1:])]
            found.add((group, permission_set, target))
    return found


def test_the_example_permission_sets(example_synth: Synth) -> None:
    template = example_synth.templates["Acme-IdentityCenter"]
    sets = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::SSO::PermissionSet").values()
    }
    assert set(sets) == {
        "AcmeAdministrator",
        "AcmePowerUser",
        "AcmeReadOnly",
        "AcmeSecurityAudit",
        "AcmeBilling",
        "AcmeBreakGlassEligible",
    }
    assert sets["AcmeBilling"]["ManagedPolicies"] == [
        "arn:aws:iam::aws:policy/job-function/Billing"
    ]
    assert sets["AcmeSecurityAudit"]["ManagedPolicies"] == [
        "arn:aws:iam::aws:policy/SecurityAudit",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    assert sets["AcmePowerUser"]["SessionDuration"] == "PT8H"
    policy = json.loads((EXAMPLE.parent / "policies" / "break-glass-eligible.json").read_text())
    assert sets["AcmeBreakGlassEligible"]["InlinePolicy"] == policy
    assert all(
        p["InstanceArn"] == "arn:aws:sso:::instance/ssoins-0123456789abcdef" for p in sets.values()
    )


def test_each_group_gets_its_permission_set_in_exactly_the_accounts_its_targets_reach(
    example_synth: Synth,
) -> None:
    email = {key: account.email for key, account in example_synth.config.all_accounts()}
    every = set(email)
    expected = {
        ("aws-platform-admins", "AcmeAdministrator"): {
            "network",
            "shared-services",
            "platform-prod",
            "platform-dev",
        },
        ("aws-developers", "AcmePowerUser"): {
            "platform-dev",
            "retail-web-staging",
            "payments-api-dev",
        },
        ("aws-developers", "AcmeReadOnly"): {
            "platform-prod",
            "retail-web-prod",
            "payments-api-prod",
        },
        ("aws-security-auditors", "AcmeSecurityAudit"): every,
        ("aws-finops", "AcmeBilling"): every,
        ("aws-break-glass-eligible", "AcmeBreakGlassEligible"): {"audit"},
    }
    ids = {
        key: account.account_id or account.email
        for key, account in example_synth.config.all_accounts()
    }
    wanted = {(g, p, ids[a]) for (g, p), accounts in expected.items() for a in accounts}
    found = synthesized_assignments(example_synth.templates)
    assert found == wanted
    # The management account is never a target.
    assert not any(t == "111111111111" for _, _, t in found)


def test_one_lookup_per_group_and_the_plan_counts_what_is_synthesized(
    example_synth: Synth,
) -> None:
    template = example_synth.templates["Acme-IdentityCenter"]
    groups = resources_of(template, "Custom::IdentityStoreGroup")
    assert sorted(g["Properties"]["DisplayName"] for g in groups.values()) == [
        "aws-break-glass-eligible",
        "aws-developers",
        "aws-finops",
        "aws-platform-admins",
        "aws-security-auditors",
    ]
    assert all(g["Properties"]["IdentityStoreId"] == "d-0123456789" for g in groups.values())
    (counts,) = stack_resources(example_synth.config).values()
    assert sum(counts.values()) == len(template["Resources"])
    assert example_synth.stacks["identity_center"].region == "eu-west-1"


def test_the_resolver_is_granted_exactly_the_calls_it_makes(example_synth: Synth) -> None:
    calls = api_calls(LAMBDAS / "identity_center.py")
    made = {action for service in calls.values() for action in needed(service)}
    assert _granted_actions(example_synth.templates["Acme-IdentityCenter"]) == made


def test_1000_accounts_spread_over_stacks_within_the_limits(
    large_synth: Synth, large_config: Path
) -> None:
    config = load_config(large_config)
    counts = stack_resources(config)
    assert len(counts) == 1 + config.identity.identity_center.assignment_stacks  # type: ignore[union-attr]
    for stack, kinds in counts.items():
        assert sum(kinds.values()) == len(large_synth.templates[stack]["Resources"]), stack
        assert sum(kinds.values()) <= 500, (stack, kinds)
    # Five assignments per workload account (four per core account, in neither an SDLC
    # nor a Prod OU), each in the stack its account hashes to.
    planned = assignments(config)
    assert len(planned) == 5 * 998 + 4 * 2
    for shard in shards(config):
        assert {assignment_stack(config, a.account) for a in shard.assignments} == {shard.index}
    found = synthesized_assignments(large_synth.templates)
    assert len(found) == len(planned)


def test_too_many_assignments_for_one_stack_fail_before_synth(tmp_path: Path) -> None:
    data = make_org(accounts=200, business_units=5)
    data["identity"]["identity_center"]["assignment_stacks"] = 1
    config = load_config(write_yaml(tmp_path / "org.yaml", data))
    with pytest.raises(StackLimitError) as raised:
        check_stack_limits(config, plan_guardrails(config))
    (line,) = raised.value.lines
    assert line.startswith(
        "the Acme-IdentityCenter stack would hold 1014 resources (5 permission sets, "
        "4 resolver function, 5 group lookups, 2 account id lookups, 998 assignments)"
    )
    assert "identity.identity_center.assignment_stacks (now 1" in line


def test_the_summary_says_who_can_reach_what() -> None:
    lines = identity_center_lines(load_config(EXAMPLE))
    assert "aws-security-auditors    -> AcmeSecurityAudit on root (11 accounts)" in "\n".join(lines)
    assert "aws-break-glass-eligible -> AcmeBreakGlassEligible on audit (1 account)" in "\n".join(
        lines
    )
    assert lines[-1] == "  resources per stack: Acme-IdentityCenter 49"
