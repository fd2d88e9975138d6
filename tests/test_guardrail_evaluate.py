"""The policy evaluator itself: IAM and Organizations semantics, one rule per test."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from landing_zone.guardrails.evaluate import (
    FULL_ACCESS,
    ContextValue,
    Request,
    Undecidable,
    UnsupportedPolicy,
    condition_holds,
    evaluate,
    resource_policy_decision,
)

FULL = FULL_ACCESS["SERVICE_CONTROL_POLICY"]


def deny(**statement: object) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Resource": "*", **statement}],
    }


def request(action: str = "s3:GetObject", resource: str = "*", **context: ContextValue) -> Request:
    return Request(action=action, resource=resource, context=context)


def holds(operator: str, key: str, values: list[str], context: Mapping[str, ContextValue]) -> bool:
    return condition_holds(operator, key, values, Request("s3:GetObject", "*", context))


def test_explicit_deny_at_any_level_wins_over_allows() -> None:
    levels = [[FULL], [FULL, deny(Action="s3:*")], [FULL]]
    assert evaluate(levels, request()) == "deny"


def test_every_level_needs_an_allow() -> None:
    only_ec2 = {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
    assert evaluate([[FULL], [only_ec2], [FULL]], request("s3:GetObject")) == "deny"
    assert evaluate([[FULL], [only_ec2], [FULL]], request("ec2:RunInstances")) == "allow"


def test_actions_match_case_insensitively_with_wildcards() -> None:
    assert evaluate([[FULL, deny(Action="S3:Get*")]], request("s3:getobject")) == "deny"
    assert evaluate([[FULL, deny(Action="s3:Get?bject")]], request("s3:GetObject")) == "deny"
    assert evaluate([[FULL, deny(Action="s3:Get")]], request("s3:GetObject")) == "allow"


def test_not_action_denies_everything_else() -> None:
    policy = deny(NotAction=["iam:*", "sts:*"])
    assert evaluate([[FULL, policy]], request("iam:CreateRole")) == "allow"
    assert evaluate([[FULL, policy]], request("ec2:RunInstances")) == "deny"


def test_resources_match_case_sensitively() -> None:
    policy = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::acme-*"}]}
    assert evaluate([[FULL, policy]], request(resource="arn:aws:s3:::acme-logs")) == "deny"
    assert evaluate([[FULL, policy]], request(resource="arn:aws:s3:::ACME-logs")) == "allow"


def test_arn_like_matches_each_of_the_six_parts_separately() -> None:
    pattern = ["arn:aws:iam::*:role/Admin*"]
    assert holds(
        "ArnLike",
        "aws:PrincipalArn",
        pattern,
        {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/AdminX"},
    )
    # '*' in the account part cannot swallow the colon into the resource part.
    assert not holds(
        "ArnLike",
        "aws:PrincipalArn",
        ["arn:aws:iam::*"],
        {"aws:PrincipalArn": "arn:aws:iam::1:root"},
    )
    assert not holds(
        "ArnLike", "aws:PrincipalArn", pattern, {"aws:PrincipalArn": "arn:aws:iam::1:root"}
    )


def test_missing_key_is_false_for_positive_and_true_for_negated_operators() -> None:
    assert not holds("StringEquals", "aws:PrincipalOrgID", ["o-1"], {})
    assert not holds("ArnLike", "aws:PrincipalArn", ["arn:*"], {})
    assert not holds("Bool", "aws:SecureTransport", ["false"], {})
    assert holds("StringNotEquals", "aws:PrincipalOrgID", ["o-1"], {})
    assert holds("ArnNotLike", "aws:PrincipalArn", ["arn:*"], {})


def test_if_exists_is_true_when_the_key_is_missing_and_checks_it_otherwise() -> None:
    assert holds("BoolIfExists", "aws:SecureTransport", ["false"], {})
    assert holds("BoolIfExists", "aws:SecureTransport", ["false"], {"aws:SecureTransport": "false"})
    assert not holds(
        "BoolIfExists", "aws:SecureTransport", ["false"], {"aws:SecureTransport": "true"}
    )
    assert not holds(
        "StringNotEqualsIfExists", "aws:PrincipalOrgID", ["o-1"], {"aws:PrincipalOrgID": "o-1"}
    )


def test_negated_operators_require_no_value_to_match() -> None:
    context = {"aws:RequestedRegion": "eu-west-1"}
    assert not holds("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], context)
    assert holds("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-central-1"], context)
    assert holds("StringNotLike", "ec2:InstanceType", ["t3.*"], {"ec2:InstanceType": "p5.48xlarge"})


def test_null_tests_presence() -> None:
    assert holds("Null", "aws:SourceAccount", ["false"], {"aws:SourceAccount": "1"})
    assert not holds("Null", "aws:SourceAccount", ["false"], {})
    assert holds("Null", "aws:SourceAccount", ["true"], {})


def test_set_operators_on_multivalued_keys() -> None:
    keys = {"aws:TagKeys": ("team", "landing-zone:prefix")}
    assert holds("ForAnyValue:StringLike", "aws:TagKeys", ["landing-zone:*"], keys)
    assert not holds("ForAllValues:StringLike", "aws:TagKeys", ["landing-zone:*"], keys)
    # Missing or empty: ForAnyValue is false, ForAllValues vacuously true.
    assert not holds("ForAnyValue:StringLike", "aws:TagKeys", ["landing-zone:*"], {})
    assert holds("ForAllValues:StringLike", "aws:TagKeys", ["landing-zone:*"], {"aws:TagKeys": ()})


def test_condition_key_names_are_case_insensitive_values_are_not() -> None:
    assert holds("StringEquals", "AWS:PRINCIPALORGID", ["o-1"], {"aws:PrincipalOrgID": "o-1"})
    assert not holds("StringEquals", "aws:PrincipalOrgID", ["O-1"], {"aws:PrincipalOrgID": "o-1"})
    assert holds(
        "StringEqualsIgnoreCase", "aws:PrincipalOrgID", ["O-1"], {"aws:PrincipalOrgID": "o-1"}
    )


def test_operators_and_keys_are_anded() -> None:
    statement = deny(
        Action="*",
        Condition={
            "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"},
            "BoolIfExists": {"aws:AssumedRoot": "false"},
        },
    )
    root = {"aws:PrincipalArn": "arn:aws:iam::123456789012:root"}
    assert evaluate([[FULL, statement]], request(**root)) == "deny"
    assert evaluate([[FULL, statement]], request(**root, **{"aws:AssumedRoot": "true"})) == "allow"


@pytest.mark.parametrize(
    "policy",
    [
        deny(Action="*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2026-01-01"}}),
        deny(Action="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        {
            "Statement": [
                {"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": {"AWS": "1"}}
            ]
        },
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "NotPrincipal": "*"}]},
    ],
    ids=["date", "ip-address", "named-principal", "not-principal"],
)
def test_what_it_does_not_implement_raises_instead_of_guessing(policy: dict[str, object]) -> None:
    with pytest.raises(UnsupportedPolicy):
        evaluate([[FULL, policy]], request(**{"aws:SourceIp": "10.1.1.1", "s3:max-keys": "5"}))


def test_numeric_conditions_compare_numbers_written_as_json_numbers() -> None:
    statement = deny(Action="s3:*", Condition={"NumericLessThan": {"s3:TlsVersion": 1.2}})
    assert evaluate([[FULL, statement]], request(**{"s3:TlsVersion": "1.0"})) == "deny"
    assert evaluate([[FULL, statement]], request(**{"s3:TlsVersion": "1.3"})) == "allow"
    # A missing key makes a (non-negated) numeric condition false.
    assert evaluate([[FULL, statement]], request()) == "allow"


def test_resource_policy_matches_service_and_account_principals() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
            },
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:DeleteObject",
             "Resource": "arn:aws:s3:::b/*"},
        ]
    }  # fmt: skip

    def decide(action: str, principal: tuple[str, str]) -> str:
        return resource_policy_decision(
            policy, Request(action, "arn:aws:s3:::b/k", principal=principal)
        )

    assert decide("s3:PutObject", ("Service", "cloudtrail.amazonaws.com")) == "allow"
    assert decide("s3:PutObject", ("Service", "config.amazonaws.com")) == "none"
    assert decide("s3:GetObject", ("AWS", "arn:aws:iam::222222222222:role/Reader")) == "allow"
    assert decide("s3:GetObject", ("AWS", "arn:aws:iam::333333333333:role/Reader")) == "none"
    assert decide("s3:DeleteObject", ("Service", "config.amazonaws.com")) == "deny"


def test_a_trust_policy_names_no_resource_and_applies_to_its_role() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = "arn:aws:iam::555555555555:role/Acme-Investigation"
    audit = Request(
        "sts:AssumeRole", role, principal=("AWS", "arn:aws:iam::444444444444:role/Responder")
    )
    other = Request(
        "sts:AssumeRole", role, principal=("AWS", "arn:aws:iam::555555555555:role/Admin")
    )
    assert resource_policy_decision(trust, audit) == "allow"
    assert resource_policy_decision(trust, other) == "none"
    # An organization policy without Resource is malformed, not "everything".
    scp = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*"}]}
    with pytest.raises(UnsupportedPolicy):
        evaluate([[scp]], Request("s3:GetObject", "arn:aws:s3:::b/k"))


def _unknown(*keys: str, **context: ContextValue) -> Request:
    return Request("s3:GetObject", "*", context, unknown=frozenset(k.casefold() for k in keys))


def test_a_deny_that_turns_on_an_unknown_key_is_undecidable() -> None:
    levels = [
        [FULL, deny(Action="s3:*", Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})]
    ]
    with pytest.raises(Undecidable) as raised:
        evaluate(levels, _unknown("aws:SourceVpc"))
    assert raised.value.keys == {"aws:sourcevpc"}


def test_a_certain_deny_decides_despite_unknown_keys() -> None:
    levels = [
        [FULL, deny(Action="s3:*", Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})],
        [FULL, deny(Action="s3:GetObject")],
    ]
    assert evaluate(levels, _unknown("aws:SourceVpc")) == "deny"


def test_a_condition_that_certainly_fails_decides_its_statement() -> None:
    # The statement needs both entries; the known one fails, so it cannot match.
    statement = {
        "StringEquals": {"aws:PrincipalAccount": "111111111111"},
        "Bool": {"aws:ViaAWSService": "false"},
    }
    levels = [[FULL, deny(Action="s3:*", Condition=statement)]]
    request_ = _unknown("aws:ViaAWSService", **{"aws:PrincipalAccount": "222222222222"})
    assert evaluate(levels, request_) == "allow"


def test_a_level_certainly_without_allow_denies_despite_unknown_keys() -> None:
    allow_if = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ],
    }
    assert evaluate([[FULL], []], _unknown("aws:SecureTransport")) == "deny"
    with pytest.raises(Undecidable):
        evaluate([[FULL], [allow_if]], _unknown("aws:SecureTransport"))


def test_known_keys_are_unaffected_by_the_unknown_set() -> None:
    levels = [
        [FULL, deny(Action="s3:*", Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}})]
    ]
    assert evaluate(levels, _unknown("aws:SourceIp", **{"aws:SourceVpc": "vpc-1"})) == "allow"
