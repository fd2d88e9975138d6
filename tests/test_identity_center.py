"""IAM Identity Center: config rules, the synthesized permission sets and assignments,
the group resolver handler."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from bench.make_org import make_org
from landing_zone.cli import identity_center_lines
from landing_zone.config import load_config, load_config_and_warnings
from landing_zone.config.identity import MAX_POLICIES_PER_PERMISSION_SET
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.identity_center import (
    SLOTS,
    assignments,
    slot_of,
    slots,
    stack_resources,
)
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
    document = center.permission_sets["view-only"].inline_document
    assert document is not None
    assert "logs:FilterLogEvents" in document["Statement"][0]["Action"]


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
        "'AdministratorAccess' is policy 'AdministratorAccess', listed already",
    ),
    "managed policy by name and by ARN": (
        "managed_policies: [AdministratorAccess]",
        "managed_policies: [AdministratorAccess, 'arn:aws:iam::aws:policy/AdministratorAccess']",
        "is policy 'AdministratorAccess', listed already (by name or ARN)",
    ),
    "non-ASCII name": (
        "name: AcmeAdministrator",
        "name: AcmeAdministratör",
        "identity.identity_center.permission_sets.admin.name",
    ),
    "non-ASCII customer managed policy name": (
        "managed_policies: [AdministratorAccess]",
        "customer_managed_policies: [{name: Pölicy}]",
        "'Pölicy' does not match the required format",
    ),
    "description outside Latin-1": (
        "description: Full administration of workload and infrastructure accounts",
        "description: Full administration \u2014 everything",
        "identity.identity_center.permission_sets.admin.description",
    ),
    "blank group": (
        "group: aws-finops",
        "group: '   '",
        "a group's display name cannot be blank",
    ),
    "assignment_stacks is gone": (
        "    assignments:\n      - group: aws-platform-admins",
        "    assignment_stacks: 2\n    assignments:\n      - group: aws-platform-admins",
        "unknown field 'assignment_stacks'",
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
        "targets: [workloads, infrastructure]",
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
        "name: AcmeViewOnly",
        "name: acmepoweruser",
        "permission set 'power-user' is already named",
    ),
    "missing inline policy": (
        "inline_policy: policies/read-logs.json",
        "inline_policy: policies/missing.json",
        "no such file",
    ),
    "inline policy outside the config directory": (
        "inline_policy: policies/read-logs.json",
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
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", '
            '"Resource": "*", "Effect": "Deny"}]}',
            "has the key 'Effect' twice in one object",
        ),
        ('{"Version": "2012-10-17", "Statement": ["s3:*"]}', "statement 0 is not an IAM statement"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", '
            '"Resource": "*"}, {"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}',
            "statement 1 is not an IAM statement",
        ),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}',
            "statement 0 is not an IAM statement",
        ),
    ],
)
def test_inline_policy_must_be_a_policy_within_the_quota(
    content: str, expected: str, tmp_path: Path
) -> None:
    path = example_with(tmp_path, "policies/read-logs.json", "policies/other.json")
    (tmp_path / "policies" / "other.json").write_text(content)
    assert any(expected in line for line in problems_of(path))


def test_an_inline_policy_symlinked_out_of_the_config_directory_is_refused(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text((EXAMPLE.parent / "policies" / "read-logs.json").read_text())
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    path = example_with(config_dir, "policies/read-logs.json", "policies/link.json")
    (config_dir / "policies").mkdir(exist_ok=True)
    (config_dir / "policies" / "link.json").symlink_to(outside)
    assert any("leads outside the config file's directory" in line for line in problems_of(path))


def test_more_managed_policies_than_iam_allows_by_default_is_a_warning(tmp_path: Path) -> None:
    policies = ", ".join(f"P{i}" for i in range(11))
    path = example_with(
        tmp_path,
        "managed_policies: [AdministratorAccess]",
        f"managed_policies: [{policies}]",
    )
    _, warnings = load_config_and_warnings(path)
    assert any(
        "permission_sets.admin: 11 managed policies; IAM allows 10 per role" in w for w in warnings
    ), warnings
    _, none = load_config_and_warnings(EXAMPLE)
    assert not any("managed policies" in w for w in none)


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


def nested_resource(parent: dict[str, Any], slot: str) -> dict[str, Any]:
    """The ``AWS::CloudFormation::Stack`` resource of nested stack ``slot`` in ``parent``."""
    (resource,) = (
        r
        for logical, r in resources_of(parent, "AWS::CloudFormation::Stack").items()
        if logical.startswith(f"{slot}NestedStack")
    )
    return resource


def synthesized_assignments(synth: Synth) -> set[tuple[str, str, str]]:
    """``(group display name, permission set name, account id or email)`` of every
    ``AWS::SSO::Assignment``, resolved through the nested stacks' parameters to the
    parent's own resources."""
    main = synth.templates["Acme-IdentityCenter"]
    assert not resources_of(main, "AWS::SSO::Assignment"), "assignments live in nested stacks"
    found = set()
    for name, template in synth.nested_templates.items():
        parent_name, slot = name.split("/")
        assert parent_name == "Acme-IdentityCenter"
        passed = nested_resource(main, slot)["Properties"]["Parameters"]

        def parent_resource(
            value: dict[str, Any], passed: dict[str, Any] = passed
        ) -> dict[str, Any]:
            # A parameter the parent passes as a GetAtt of its own resource.
            (logical, _) = passed[value["Ref"]]["Fn::GetAtt"]
            return main["Resources"][logical]  # type: ignore[no-any-return]

        resources = template["Resources"]
        for resource in resources_of(template, "AWS::SSO::Assignment").values():
            properties = resource["Properties"]
            assert properties["PrincipalType"] == "GROUP"
            assert properties["TargetType"] == "AWS_ACCOUNT"
            group = parent_resource(properties["PrincipalId"])["Properties"]["DisplayName"]
            permission_set = parent_resource(properties["PermissionSetArn"])["Properties"]["Name"]
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
        "AcmeViewOnly",
        "AcmeSecurityAudit",
        "AcmeBilling",
    }
    assert sets["AcmeBilling"]["ManagedPolicies"] == [
        "arn:aws:iam::aws:policy/job-function/Billing"
    ]
    assert sets["AcmeSecurityAudit"]["ManagedPolicies"] == [
        "arn:aws:iam::aws:policy/SecurityAudit",
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
    ]
    # Metadata only: no set but the administrators' and power users' reads data
    # wholesale (ReadOnlyAccess reads S3 objects and DynamoDB items).
    assert not any(
        policy.endswith("/ReadOnlyAccess")
        for p in sets.values()
        for policy in p.get("ManagedPolicies", [])
    )
    assert sets["AcmePowerUser"]["SessionDuration"] == "PT8H"
    policy = json.loads((EXAMPLE.parent / "policies" / "read-logs.json").read_text())
    assert sets["AcmeViewOnly"]["InlinePolicy"] == policy
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
        ("aws-developers", "AcmeViewOnly"): {
            "platform-prod",
            "retail-web-prod",
            "payments-api-prod",
        },
        ("aws-security-auditors", "AcmeSecurityAudit"): every,
        ("aws-finops", "AcmeBilling"): every,
    }
    ids = {
        key: account.account_id or account.email
        for key, account in example_synth.config.all_accounts()
    }
    wanted = {(g, p, ids[a]) for (g, p), accounts in expected.items() for a in accounts}
    found = synthesized_assignments(example_synth)
    assert found == wanted
    # The management account is never a target.
    assert not any(t == "111111111111" for _, _, t in found)


def test_one_lookup_per_group_and_the_plan_counts_what_is_synthesized(
    example_synth: Synth,
) -> None:
    template = example_synth.templates["Acme-IdentityCenter"]
    groups = resources_of(template, "Custom::IdentityStoreGroup")
    assert sorted(g["Properties"]["DisplayName"] for g in groups.values()) == [
        "aws-developers",
        "aws-finops",
        "aws-platform-admins",
        "aws-security-auditors",
    ]
    assert all(g["Properties"]["IdentityStoreId"] == "d-0123456789" for g in groups.values())
    counts = stack_resources(example_synth.config)
    assert sum(counts.pop("Acme-IdentityCenter").values()) == len(template["Resources"])
    assert counts.keys() == example_synth.nested_templates.keys()
    for name, kinds in counts.items():
        assert sum(kinds.values()) == len(example_synth.nested_templates[name]["Resources"])
    assert example_synth.stacks["identity_center"].region == "eu-west-1"


def test_the_resolver_is_granted_exactly_the_calls_it_makes(example_synth: Synth) -> None:
    calls = api_calls(LAMBDAS / "identity_center.py")
    made = {action for service in calls.values() for action in needed(service)}
    assert _granted_actions(example_synth.templates["Acme-IdentityCenter"]) == made


def test_an_account_keeps_its_slot_whatever_else_the_config_holds() -> None:
    # CRC-32 of the key alone, modulo a constant: known values, no config involved.
    assert SLOTS == 20
    assert [slot_of(key) for key in ("audit", "log-archive", "retail-web-prod")] == [
        zlib.crc32(key.encode()) % 20 for key in ("audit", "log-archive", "retail-web-prod")
    ]


def test_the_nested_stacks_are_the_slots_with_assignments(example_synth: Synth) -> None:
    planned = slots(example_synth.config)
    assert [f"Acme-IdentityCenter/{s.construct_id}" for s in planned] == sorted(
        example_synth.nested_templates
    )
    for slot in planned:
        assert {slot_of(a.account) for a in slot.assignments} == {slot.index}
    # Every slot with no assignments is absent: the parent's update deletes its stack.
    assert len(planned) < SLOTS


def test_accounts_without_assignments_leave_their_slots_out(tmp_path: Path) -> None:
    # The example reaches the security OU's accounts only through 'root'.
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[
            (
                f"permission_set: {key}\n        targets: [root]",
                f"permission_set: {key}\n        targets: [workloads, infrastructure]",
            )
            for key in ("security-audit", "billing")
        ],
    )
    config = load_config(path)
    reached = {a.account for a in assignments(config)}
    assert {"audit", "log-archive"}.isdisjoint(reached)
    assert [s.index for s in slots(config)] == sorted({slot_of(a) for a in reached})
    assert len(slots(config)) > 1


def test_nested_assignments_take_permission_sets_and_groups_as_parameters(
    example_synth: Synth,
) -> None:
    """A replaced permission set (a new name: a new ARN) changes the parameter its nested
    stacks get, so they replace their assignments in the same deployment: the parent
    passes each ARN as a GetAtt, never an export or a stack output read by name."""
    main = example_synth.templates["Acme-IdentityCenter"]
    assert example_synth.nested_templates
    for name, template in example_synth.nested_templates.items():
        passed = nested_resource(main, name.split("/")[1])["Properties"]["Parameters"]
        for resource in resources_of(template, "AWS::SSO::Assignment").values():
            for field in ("PermissionSetArn", "PrincipalId"):
                reference = resource["Properties"][field]["Ref"]
                assert reference in template["Parameters"]
                (logical, attribute) = passed[reference]["Fn::GetAtt"]
                assert attribute in ("PermissionSetArn", "GroupId")
                assert main["Resources"][logical]["Type"] in (
                    "AWS::SSO::PermissionSet",
                    "Custom::IdentityStoreGroup",
                )
    assert "Fn::GetStackOutput" not in json.dumps(main)
    # One stack: nothing for `cdk deploy --all` to leave behind.
    assert [n for n in example_synth.templates if n.startswith("Acme-IdentityCenter")] == [
        "Acme-IdentityCenter"
    ]


def _org_with_groups(groups: int, *, accounts: int) -> dict[str, Any]:
    data = make_org(accounts=accounts, business_units=2)
    data["identity"]["identity_center"]["assignments"] = [
        {"group": f"team-{i}", "permission_set": "admin", "targets": ["root"]}
        for i in range(groups)
    ]
    return data


def test_a_slot_over_500_resources_fails_before_synth_and_no_setting_is_offered(
    tmp_path: Path,
) -> None:
    # 200 accounts x 60 groups: about 600 assignments per slot.
    config = load_config(write_yaml(tmp_path / "org.yaml", _org_with_groups(60, accounts=200)))
    with pytest.raises(StackLimitError) as raised:
        check_stack_limits(config, plan_guardrails(config))
    line = raised.value.lines[0]
    assert re.match(
        r"the Acme-IdentityCenter/Assignments\d\d stack would hold \d+ resources "
        r"\(\d+ account id lookups?, \d+ assignments\); CloudFormation allows 500\.",
        line,
    ), line
    assert "No setting spreads the accounts over more nested stacks" in line
    assert "business-unit forks" in line


def test_a_slot_over_200_parameters_fails_before_synth(tmp_path: Path) -> None:
    # 210 groups on one account: 210 assignments, but 210 group ids to pass.
    data = _org_with_groups(210, accounts=40)
    for entry in data["identity"]["identity_center"]["assignments"]:
        entry["targets"] = ["log-archive"]
    config = load_config(write_yaml(tmp_path / "org.yaml", data))
    with pytest.raises(StackLimitError) as raised:
        check_stack_limits(config, plan_guardrails(config))
    assert any(
        "stack would need 212 parameters (1 permission sets, 210 groups); CloudFormation "
        "allows 200" in line
        for line in raised.value.lines
    ), raised.value.lines


def test_the_summary_says_who_can_reach_what() -> None:
    lines = identity_center_lines(load_config(EXAMPLE))
    assert "aws-security-auditors -> AcmeSecurityAudit on root (11 accounts)" in "\n".join(lines)
    assert "aws-finops            -> AcmeBilling on root (11 accounts)" in "\n".join(lines)
    assert lines[-2] == "  resources: Acme-IdentityCenter 19"
    assert lines[-1].startswith("  resources per nested stack (of 500; fullest ")
