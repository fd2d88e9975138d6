"""IAM Identity Center: config rules, the synthesized permission sets and assignments,
the group resolver handler."""

from __future__ import annotations

from pathlib import Path

import pytest

from landing_zone.config import load_config
from landing_zone.config.identity import MAX_POLICIES_PER_PERMISSION_SET
from tests.conftest import EXAMPLE
from tests.variants import BUSINESS_UNIT, problems_of, variant

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
