"""The proactive controls' Guard rules, run offline by the real Guard engine (tests/guard.py).

Per rule a compliant and a non-compliant fixture (tests/fixtures/proactive/),
the exact rule that fails asserted; then every template the example
synthesizes (stacks, StackSet bodies, nested stacks) must pass them all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from landing_zone.proactive.rules import (
    BY_ID,
    RULES,
    TARGET_TYPES,
    ProactiveRule,
    guard_rules,
    hook_input,
)
from tests.conftest import Synth
from tests.guard import failing, failing_in, messages, passing, reports

FIXTURES = Path(__file__).parent / "fixtures" / "proactive"


def fixture(rule: ProactiveRule, kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{rule.id.lower()}.{kind}.json").read_text())
    return loaded


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_compliant_fixture_passes_the_rule(rule: ProactiveRule) -> None:
    template = fixture(rule, "compliant")
    assert failing(template) == set()
    assert rule.id in passing(template)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_non_compliant_fixture_fails_exactly_its_rule(rule: ProactiveRule) -> None:
    template = fixture(rule, "non_compliant")
    assert failing(template) == {rule.id}
    # What the developer reads on the stack event names the rule and the fix.
    assert any(m.startswith(f"{rule.id}") and rule.fix in m for m in messages(template))


def _template(*resources: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "Resources": {
            f"R{i}": {"Type": kind, "Properties": props}
            for i, (kind, props) in enumerate(resources)
        }
    }


# Edge cases a rule must get right, beyond its two fixtures: (rule, resource, fails).
CASES = [
    (
        "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        (
            "AWS::EC2::SecurityGroupIngress",
            {"IpProtocol": "-1", "CidrIpv6": "::/0", "GroupId": "sg-1"},
        ),
        True,
    ),
    (
        "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        (
            "AWS::EC2::SecurityGroupIngress",
            {
                "IpProtocol": "udp",
                "FromPort": 3389,
                "ToPort": 3389,
                "CidrIp": "0.0.0.0/0",
                "GroupId": "sg-1",
            },
        ),
        True,
    ),
    (
        "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        (
            "AWS::EC2::SecurityGroup",
            {
                "GroupDescription": "x",
                "SecurityGroupIngress": [
                    {"IpProtocol": "6", "FromPort": 0, "ToPort": 65535, "CidrIp": "0.0.0.0/0"}
                ],
            },
        ),
        True,
    ),
    (
        "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        (
            "AWS::EC2::SecurityGroup",
            {
                "GroupDescription": "x",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 23, "ToPort": 3388, "CidrIp": "0.0.0.0/0"}
                ],
            },
        ),
        False,
    ),
    (
        "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS",
        ("AWS::EC2::SecurityGroup", {"GroupDescription": "no ingress"}),
        False,
    ),
    (
        "IAM_NO_ADMIN_POLICY",
        (
            "AWS::IAM::Policy",
            {
                "PolicyName": "p",
                "PolicyDocument": {
                    "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
                },
            },
        ),
        True,
    ),
    (
        "IAM_NO_ADMIN_POLICY",
        (
            "AWS::IAM::User",
            {
                "Policies": [
                    {
                        "PolicyName": "p",
                        "PolicyDocument": {
                            "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}]
                        },
                    }
                ]
            },
        ),
        True,
    ),
    (
        "IAM_NO_ADMIN_POLICY",
        (
            "AWS::IAM::Group",
            {
                "Policies": [
                    {
                        "PolicyName": "p",
                        "PolicyDocument": {
                            "Statement": [
                                {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}
                            ]
                        },
                    }
                ]
            },
        ),
        False,
    ),
    ("IAM_NO_ADMIN_POLICY", ("AWS::IAM::Role", {"AssumeRolePolicyDocument": {}}), False),
    ("RDS_STORAGE_ENCRYPTED", ("AWS::RDS::DBCluster", {"Engine": "aurora-postgresql"}), True),
    (
        "RDS_STORAGE_ENCRYPTED",
        ("AWS::RDS::DBInstance", {"DBClusterIdentifier": "c", "PubliclyAccessible": False}),
        False,
    ),
    ("RDS_INSTANCE_NOT_PUBLIC", ("AWS::RDS::DBInstance", {"StorageEncrypted": True}), True),
    (
        "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
        (
            "AWS::S3::Bucket",
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                }
            },
        ),
        True,
    ),
]


def _ingress(**props: Any) -> tuple[str, dict[str, Any]]:
    return ("AWS::EC2::SecurityGroupIngress", {"GroupId": "sg-1", **props})


SG = "EC2_SECURITY_GROUP_NO_PUBLIC_ADMIN_PORTS"
IAM = "IAM_NO_ADMIN_POLICY"
_ADMIN_DOCUMENT = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

# Spellings that passed the first version of the rules.
CASES += [
    # Ports written as strings (CloudFormation accepts a string for an Integer).
    (SG, _ingress(IpProtocol="tcp", FromPort="0", ToPort="65535", CidrIp="0.0.0.0/0"), True),
    (SG, _ingress(IpProtocol="tcp", FromPort="443", ToPort="443", CidrIp="0.0.0.0/0"), False),
    # The protocol name in upper case.
    (SG, _ingress(IpProtocol="TCP", FromPort=22, ToPort=22, CidrIp="0.0.0.0/0"), True),
    # The whole IPv6 internet in other spellings.
    (SG, _ingress(IpProtocol="tcp", FromPort=22, ToPort=22, CidrIpv6="::0/0"), True),
    (SG, _ingress(IpProtocol="udp", FromPort=3389, ToPort=3389, CidrIpv6="0:0:0:0::0/0"), True),
    # A TCP rule without ports is not a narrow one.
    (SG, _ingress(IpProtocol="tcp", CidrIp="0.0.0.0/0"), True),
    # A known range stays allowed.
    (SG, _ingress(IpProtocol="tcp", FromPort=22, ToPort=22, CidrIp="10.0.0.0/8"), False),
    # The single-principal inline policy resources.
    *(
        (IAM, (kind, {"PolicyName": "p", "PolicyDocument": _ADMIN_DOCUMENT, **name}), True)
        for kind, name in (
            ("AWS::IAM::RolePolicy", {"RoleName": "r"}),
            ("AWS::IAM::UserPolicy", {"UserName": "u"}),
            ("AWS::IAM::GroupPolicy", {"GroupName": "g"}),
        )
    ),
]


@pytest.mark.parametrize(("rule", "resource", "fails"), CASES)
def test_edge_cases(rule: str, resource: tuple[str, dict[str, Any]], fails: bool) -> None:
    assert (rule in failing(_template(resource))) is fails


def test_a_template_without_the_types_is_not_judged() -> None:
    template = _template(("AWS::SNS::Topic", {}))
    assert failing(template) == set()
    assert passing(template) == set()


def test_every_rule_has_both_fixtures_and_clauses_for_each_type() -> None:
    for rule in RULES:
        assert (FIXTURES / f"{rule.id.lower()}.compliant.json").exists()
        assert (FIXTURES / f"{rule.id.lower()}.non_compliant.json").exists()
        assert set(rule.clauses) == set(rule.resource_types), rule.id
    assert sorted(FIXTURES.glob("*.json")) == sorted(
        FIXTURES / f"{r.id.lower()}.{k}.json" for r in RULES for k in ("compliant", "non_compliant")
    )
    assert len(BY_ID) == len(RULES)
    assert set(TARGET_TYPES) == {t for r in RULES for t in r.resource_types}


def test_rules_file_is_deterministic_and_names_every_rule() -> None:
    text = guard_rules()
    assert text == guard_rules()
    for rule in RULES:
        assert f"\nrule {rule.id} when " in text


def test_hook_input_has_the_resource_input_shape() -> None:
    template = {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"X": 1}}}}
    assert hook_input(template) == {
        "Resources": {"B": {"ResourceType": "AWS::S3::Bucket", "ResourceProperties": {"X": 1}}}
    }


def _all_templates(synth: Synth) -> dict[str, dict[str, Any]]:
    return {**synth.templates, **synth.stackset_templates, **synth.nested_templates}


#: Templates of the landing zone that may fail a rule, and why. Empty: every
#: template of the example passes every rule.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def test_the_landing_zones_own_templates_pass(example_synth: Synth) -> None:
    templates = _all_templates(example_synth)
    assert len(templates) > 10
    found = {
        (name, rule) for name, result in reports(templates).items() for rule in failing_in(result)
    }
    assert found == set(EXCEPTIONS)


def test_the_rules_do_judge_the_landing_zones_templates(example_synth: Synth) -> None:
    """Guards the test above against passing vacuously: buckets and roles are checked."""
    results = reports(_all_templates(example_synth)).values()
    judged = {rule for result in results for rule in result["compliant"]}
    assert {
        "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
        "S3_BUCKET_ENCRYPTED",
        "IAM_NO_ADMIN_POLICY",
    } <= judged
