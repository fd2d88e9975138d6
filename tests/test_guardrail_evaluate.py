"""The policy evaluator itself: IAM and Organizations semantics, one rule per test."""

from __future__ import annotations

import gc
import ipaddress
import operator
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from landing_zone.config import load_config
from landing_zone.guardrails.evaluate import (
    FULL_ACCESS,
    ContextValue,
    InvalidContextValue,
    Request,
    Undecidable,
    UnsupportedPolicy,
    condition_holds,
    evaluate,
    resource_policy_decision,
    string_like,
)
from landing_zone.guardrails.packer import plan_guardrails, target_paths
from landing_zone.guardrails.paths import policy_levels
from tests.conftest import EXAMPLE

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
        pattern,
        {"aws:PrincipalArn": "arn:aws:iam::1:x:role/AdminX"},
    )
    assert not holds(
        "ArnLike", "aws:PrincipalArn", pattern, {"aws:PrincipalArn": "arn:aws:iam::1:root"}
    )


def test_missing_key_is_false_for_positive_and_true_for_negated_operators() -> None:
    assert not holds("StringEquals", "aws:PrincipalOrgID", ["o-1"], {})
    assert not holds("ArnLike", "aws:PrincipalArn", ["arn:*:*:*:*:*"], {})
    assert not holds("Bool", "aws:SecureTransport", ["false"], {})
    assert holds("StringNotEquals", "aws:PrincipalOrgID", ["o-1"], {})
    assert holds("ArnNotLike", "aws:PrincipalArn", ["arn:*:*:*:*:*"], {})


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
        {
            "Statement": [
                {"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": {"AWS": "1"}}
            ]
        },
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "NotPrincipal": "*"}]},
        deny(Action="*", Condition={"StringEqualsRegex": {"aws:SourceIp": "10.*"}}),
        deny(Action="*", Condition={"NullIfExists": {"aws:SourceIp": "true"}}),
        deny(Action="*", Condition={"ForAnyValue:Null": {"aws:SourceIp": "true"}}),
        deny(Action="*", Condition={"BoolIfExists": {"aws:SecureTransport": "maybe"}}),
        deny(Action="*", Condition={"IpAddress": {"aws:SourceIp": "2001:db8::1"}}),
        deny(Action="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.1/8"}}),
        deny(Action="*", Condition={"DateLessThan": {"aws:CurrentTime": "2026"}}),
        deny(Action="*", Condition={"DateLessThan": {"aws:CurrentTime": "2026-01-01T10:00"}}),
        deny(Action="*", Condition={"NumericLessThan": {"s3:max-keys": "1_000"}}),
        deny(Action="*", Condition={"BinaryEquals": {"s3:x": "not base64!"}}),
        deny(Action="*", Condition={"StringEquals": {"aws:SourceIp": {"nested": "1"}}}),
        deny(Action="*", Condition={"StringEquals": {"aws:SourceIp": []}}),
        deny(Action="*", NotAction="s3:*"),
        deny(NotResource="arn:aws:s3:::b"),
        {"Statement": [{"Effect": "Deny", "Resource": "*"}]},
        {"Statement": [{"Effect": "Audit", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Extra": 1}]},
        {
            "Version": "2025-01-01",
            "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
        },
    ],
    ids=[
        "named-principal",
        "not-principal",
        "unknown-operator",
        "null-if-exists",
        "set-operator-on-null",
        "bool-value",
        "ipv6-without-prefix",
        "cidr-with-host-bits",
        "bare-four-digits-date",
        "time-without-zone",
        "number-with-underscore",
        "invalid-base64",
        "object-value",
        "no-values",
        "action-and-not-action",
        "resource-and-not-resource",
        "no-action",
        "unknown-effect",
        "unknown-element",
        "unknown-version",
    ],
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


# --------------------------------------------------------------------------
# The examples of the condition-operator page, one per operator family.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html


def allows(statement: dict[str, object], request_: Request) -> bool:
    """Whether an SCP level holding only ``statement`` (an Allow) lets the request through."""
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    return evaluate([[policy]], request_) == "allow"


def allow_if(condition: dict[str, object], **statement: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition, **statement}


def test_docs_string_example_principal_tag() -> None:
    """StringEquals aws:PrincipalTag/job-category; a principal without the tag does not match."""
    statement = allow_if({"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}})
    tagged = request(**{"aws:PrincipalTag/job-category": "iamuser-admin"})
    assert allows(statement, tagged)
    assert not allows(statement, request(**{"aws:PrincipalTag/job-category": "dev"}))
    assert not allows(statement, request())


def test_docs_string_like_example_with_a_policy_variable() -> None:
    """StringLike s3:prefix ["", "home/", "home/${aws:username}/"] (condition-operator page)."""
    statement = allow_if({"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}})

    def listing(prefix: str) -> Request:
        return request("s3:ListBucket", **{"s3:prefix": prefix, "aws:username": "Adele"})

    assert allows(statement, listing(""))
    assert allows(statement, listing("home/Adele/"))
    assert not allows(statement, listing("home/David/"))


def test_docs_numeric_example_max_keys() -> None:
    statement = allow_if({"NumericLessThanEquals": {"s3:max-keys": "10"}})
    assert allows(statement, request(**{"s3:max-keys": "10"}))
    assert allows(statement, request(**{"s3:max-keys": "9.5"}))
    assert not allows(statement, request(**{"s3:max-keys": "11"}))
    assert not allows(statement, request())


def test_docs_date_example_token_issue_time() -> None:
    statement = allow_if({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}})
    assert allows(statement, request(**{"aws:TokenIssueTime": "2020-06-01T10:00:00Z"}))
    assert not allows(statement, request(**{"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}))
    # "The key is not present in ... requests that are made using access keys."
    assert not allows(statement, request())


def test_docs_bool_example_denies_plain_http() -> None:
    policy = deny(Action="s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    assert evaluate([[FULL, policy]], request(**{"aws:SecureTransport": "false"})) == "deny"
    assert evaluate([[FULL, policy]], request(**{"aws:SecureTransport": "true"})) == "allow"
    assert evaluate([[FULL, policy]], request(**{"aws:SecureTransport": "FALSE"})) == "deny"


def test_docs_binary_example_compares_bytes_of_base64() -> None:
    statement = allow_if({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})
    assert allows(statement, request(key="QmluYXJ5VmFsdWVJbkJhc2U2NA=="))
    assert not allows(statement, request(key="QmluYXJ5VmFsdWU="))
    with pytest.raises(InvalidContextValue):
        allows(statement, request(key="%%%"))


def test_docs_ip_examples_ipv4_and_ipv6_ranges() -> None:
    statement = allow_if(
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    )
    assert allows(statement, request(**{"aws:SourceIp": "203.0.113.255"}))
    assert not allows(statement, request(**{"aws:SourceIp": "203.0.114.0"}))
    assert allows(statement, request(**{"aws:SourceIp": "2001:db8:1234:5678::1"}))
    assert not allows(statement, request(**{"aws:SourceIp": "2001:db8:1234:5679::1"}))
    # "If you specify an IP address without the associated routing prefix, IAM uses /32."
    single = allow_if({"IpAddress": {"aws:SourceIp": "203.0.113.7"}})
    assert allows(single, request(**{"aws:SourceIp": "203.0.113.7"}))
    assert not allows(single, request(**{"aws:SourceIp": "203.0.113.8"}))
    # A VPC-endpoint request has no aws:SourceIp: the condition is false.
    assert not allows(statement, request())
    with pytest.raises(InvalidContextValue):
        allows(statement, request(**{"aws:SourceIp": "cloudtrail.amazonaws.com"}))


def test_docs_arn_example_string_like_matches_where_arn_like_does_not() -> None:
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert holds("StringLike", "aws:SourceArn", [pattern], {"aws:SourceArn": value})
    assert not holds("ArnLike", "aws:SourceArn", [pattern], {"aws:SourceArn": value})
    assert not holds("ArnEquals", "aws:SourceArn", [pattern], {"aws:SourceArn": value})
    assert holds("ArnNotEquals", "aws:SourceArn", [pattern], {"aws:SourceArn": value})


def test_docs_arn_equals_example_source_arn() -> None:
    topic = "arn:aws:sns:REGION:123456789012:TOPIC-ID"
    assert holds("ArnEquals", "aws:SourceArn", [topic], {"aws:SourceArn": topic})
    assert not holds("ArnEquals", "aws:SourceArn", [topic], {"aws:SourceArn": topic + "2"})
    # "If an IAM user attempts to perform this operation directly, the condition returns false."
    assert not holds("ArnEquals", "aws:SourceArn", [topic], {})


def test_docs_if_exists_example_instance_type() -> None:
    statement = allow_if({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}})
    assert allows(statement, request("ec2:RunInstances", **{"ec2:InstanceType": "t2.micro"}))
    assert not allows(statement, request("ec2:RunInstances", **{"ec2:InstanceType": "p5.48xlarge"}))
    # Images, key pairs and security groups have no ec2:InstanceType.
    assert allows(statement, request("ec2:RunInstances"))
    without = allow_if({"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}})
    assert not allows(without, request("ec2:RunInstances"))


def test_docs_null_example_long_term_credentials_only() -> None:
    statement = allow_if({"Null": {"aws:TokenIssueTime": "true"}})
    assert allows(statement, request())
    assert not allows(statement, request(**{"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}))
    assert allows(allow_if({"Null": {"aws:TokenIssueTime": True}}), request())


# --------------------------------------------------------------------------
# Negated operators, qualifiers, IfExists and missing keys, operator by operator.

# One present value per family, and a policy value it matches.
FAMILY_SAMPLES: dict[str, tuple[str, str]] = {
    "String": ("abc", "abc"),
    "Numeric": ("5", "5"),
    "Date": ("2025-09-01T00:00:00Z", "2025-09-01T00:00:00Z"),
    "Bool": ("true", "true"),
    "Binary": ("YWJj", "YWJj"),
    "Ip": ("10.0.0.1", "10.0.0.0/8"),
    "Arn": ("arn:aws:iam::1:role/x", "arn:aws:iam::1:role/x"),
}
OPERATOR_FAMILIES: dict[str, str] = {
    "StringEquals": "String",
    "StringNotEquals": "String",
    "StringEqualsIgnoreCase": "String",
    "StringNotEqualsIgnoreCase": "String",
    "StringLike": "String",
    "StringNotLike": "String",
    "NumericEquals": "Numeric",
    "NumericNotEquals": "Numeric",
    "NumericLessThan": "Numeric",
    "NumericLessThanEquals": "Numeric",
    "NumericGreaterThan": "Numeric",
    "NumericGreaterThanEquals": "Numeric",
    "DateEquals": "Date",
    "DateNotEquals": "Date",
    "DateLessThan": "Date",
    "DateLessThanEquals": "Date",
    "DateGreaterThan": "Date",
    "DateGreaterThanEquals": "Date",
    "Bool": "Bool",
    "BinaryEquals": "Binary",
    "IpAddress": "Ip",
    "NotIpAddress": "Ip",
    "ArnEquals": "Arn",
    "ArnLike": "Arn",
    "ArnNotEquals": "Arn",
    "ArnNotLike": "Arn",
}
NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "NumericNotEquals",
    "DateNotEquals",
    "NotIpAddress",
    "ArnNotEquals",
    "ArnNotLike",
}


@pytest.mark.parametrize("operator", sorted(OPERATOR_FAMILIES))
def test_a_missing_key_is_true_only_for_negated_operators(operator: str) -> None:
    _, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    assert holds(operator, "k", [value], {}) is (operator in NEGATED)


@pytest.mark.parametrize("operator", sorted(OPERATOR_FAMILIES))
def test_if_exists_on_every_operator_is_true_for_a_missing_key(operator: str) -> None:
    present, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    assert holds(f"{operator}IfExists", "k", [value], {})
    # Present, it checks as the operator does.
    assert holds(f"{operator}IfExists", "k", [value], {"k": present}) == holds(
        operator, "k", [value], {"k": present}
    )


@pytest.mark.parametrize("operator", sorted(OPERATOR_FAMILIES))
def test_set_operators_on_every_operator_for_missing_and_empty_keys(operator: str) -> None:
    """ForAllValues is true when the key is missing or empty; ForAnyValue is false.

    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    """
    present, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    for context in ({}, {"k": ()}):
        assert holds(f"ForAllValues:{operator}", "k", [value], context)
        assert not holds(f"ForAnyValue:{operator}", "k", [value], context)
    # One value under ForAnyValue is the operator on that value.
    assert holds(f"ForAnyValue:{operator}", "k", [value], {"k": (present,)}) == holds(
        operator, "k", [value], {"k": present}
    )


def test_for_all_values_needs_every_value_for_any_value_one() -> None:
    keys = {"aws:TagKeys": ("team", "cost-center")}
    assert holds("ForAllValues:StringEquals", "aws:TagKeys", ["team", "cost-center", "x"], keys)
    assert not holds("ForAllValues:StringEquals", "aws:TagKeys", ["team"], keys)
    assert holds("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], keys)
    assert not holds("ForAnyValue:StringEquals", "aws:TagKeys", ["x"], keys)
    # Negated under a set operator: each value is tested against "matches none".
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", ["team"], keys)
    assert not holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["team"], keys)


def test_a_multivalued_key_needs_a_set_operator() -> None:
    """The docs say multivalued keys "require a condition set operator" and stop there."""
    with pytest.raises(UnsupportedPolicy):
        holds("StringEquals", "aws:TagKeys", ["team"], {"aws:TagKeys": ("team", "x")})
    # One value is one value.
    assert holds("StringEquals", "aws:TagKeys", ["team"], {"aws:TagKeys": ("team",)})


def test_negated_numeric_date_and_ip_operators_need_no_value_to_match() -> None:
    assert not holds("NumericNotEquals", "n", ["1", "2"], {"n": "1"})
    assert holds("NumericNotEquals", "n", ["1", "2"], {"n": "3"})
    assert not holds("DateNotEquals", "d", ["2025-01-01T00:00:00Z"], {"d": "1735689600"})
    assert holds("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], {"aws:SourceIp": "11.0.0.1"})
    assert not holds("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8"], {"aws:SourceIp": "10.0.0.1"})


def test_numeric_values_compare_as_numbers_not_text() -> None:
    assert holds("NumericLessThan", "n", ["10"], {"n": "9"})
    assert holds("NumericEquals", "n", ["1.2"], {"n": "1.20"})
    assert holds("NumericGreaterThan", "n", ["-1"], {"n": "0"})
    with pytest.raises(InvalidContextValue):
        holds("NumericLessThan", "n", ["10"], {"n": "ten"})


def test_dates_in_every_w3c_form_and_epoch_seconds() -> None:
    """W3C profile of ISO 8601 or epoch time. See: http://www.w3.org/TR/NOTE-datetime"""
    now = {"aws:CurrentTime": "2025-09-30T12:00:00Z"}
    assert holds("DateGreaterThan", "aws:CurrentTime", ["2025-09"], now)
    assert holds("DateLessThan", "aws:CurrentTime", ["2025-10-01"], now)
    assert holds("DateEquals", "aws:CurrentTime", ["2025-09-30T14:00:00+02:00"], now)
    assert holds("DateEquals", "aws:CurrentTime", ["2025-09-30T12:00Z"], now)
    assert holds("DateLessThan", "aws:CurrentTime", ["2025-09-30T12:00:00.5Z"], now)
    assert holds("DateEquals", "aws:CurrentTime", ["1759233600"], now)
    assert holds(
        "DateEquals", "aws:EpochTime", ["2025-09-30T12:00:00Z"], {"aws:EpochTime": "1759233600"}
    )
    with pytest.raises(InvalidContextValue):
        holds("DateEquals", "aws:CurrentTime", ["2025-09-30T12:00:00Z"], {"aws:CurrentTime": "now"})


def test_bool_accepts_json_booleans_and_rejects_other_context_values() -> None:
    assert holds("Bool", "aws:SecureTransport", [True], {"aws:SecureTransport": "true"})  # type: ignore[list-item]
    with pytest.raises(InvalidContextValue):
        holds("Bool", "aws:SecureTransport", ["true"], {"aws:SecureTransport": "yes"})


def test_string_equals_ignore_case_and_like_wildcards() -> None:
    assert holds("StringEqualsIgnoreCase", "k", ["ABC"], {"k": "abc"})
    assert holds("StringEqualsIgnoreCase", "k", ["abc"], {"k": "ABC"})
    assert not holds("StringNotEqualsIgnoreCase", "k", ["ABC"], {"k": "abc"})
    assert holds("StringLike", "k", ["a?c*"], {"k": "abcdef"})
    assert not holds("StringLike", "k", ["a?c"], {"k": "abcd"})
    assert not holds("StringLike", "k", ["A*"], {"k": "abc"})


def test_colons_after_the_fifth_belong_to_the_resource_part() -> None:
    pattern = ["arn:aws:logs:*:*:log-group:app:*"]
    stream = {"k": "arn:aws:logs:eu-west-1:1:log-group:app:log-stream:x"}
    assert holds("ArnLike", "k", pattern, stream)
    assert not holds("ArnLike", "k", pattern, {"k": "arn:aws:logs:eu-west-1:1:log-group:other"})


def test_an_arn_value_with_fewer_than_six_parts_matches_no_arn_pattern() -> None:
    assert not holds("ArnLike", "k", ["arn:aws:iam::*:role/*"], {"k": "arn:aws:iam::1"})
    assert holds("ArnNotLike", "k", ["arn:aws:iam::*:role/*"], {"k": "not-an-arn"})


# --------------------------------------------------------------------------
# Policy variables. See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html


def variable_deny(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", **statement}]}


def test_a_variable_in_resource_is_replaced_by_the_request_value() -> None:
    policy = variable_deny(Resource="arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*")
    team = {"aws:PrincipalTag/team": "red"}
    assert (
        evaluate([[FULL, policy]], request(resource="arn:aws:s3:::bucket/red/k", **team)) == "deny"
    )
    assert (
        evaluate([[FULL, policy]], request(resource="arn:aws:s3:::bucket/blue/k", **team))
        == "allow"
    )


def test_a_variable_in_a_condition_value_is_replaced() -> None:
    policy = variable_deny(
        Resource="*",
        Condition={"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    )
    mine = {"aws:PrincipalAccount": "111111111111", "aws:ResourceAccount": "111111111111"}
    other = {"aws:PrincipalAccount": "111111111111", "aws:ResourceAccount": "222222222222"}
    assert evaluate([[FULL, policy]], request(**mine)) == "allow"
    assert evaluate([[FULL, policy]], request(**other)) == "deny"


def test_arn_like_takes_a_variable_in_any_part() -> None:
    pattern = ["arn:aws:iam::${aws:PrincipalAccount}:role/*"]
    context = {"aws:PrincipalAccount": "111111111111"}
    assert holds("ArnLike", "r", pattern, {**context, "r": "arn:aws:iam::111111111111:role/x"})
    assert not holds("ArnLike", "r", pattern, {**context, "r": "arn:aws:iam::222222222222:role/x"})


def test_a_missing_variable_without_default_makes_the_statement_not_apply() -> None:
    """The docs: a key "not present" means "any attempt to match it fails and causes the
    statement to be invalid"."""
    policy = variable_deny(
        Resource="*",
        Condition={"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    )
    # Negated, a plain missing value would match; a missing variable voids the statement.
    assert evaluate([[FULL, policy]], request(**{"aws:ResourceAccount": "2"})) == "allow"
    in_resource = variable_deny(Resource="arn:aws:s3:::b/${aws:username}/*")
    assert evaluate([[FULL, in_resource]], request(resource="arn:aws:s3:::b/x/k")) == "allow"


def test_a_default_value_stands_in_for_a_missing_key() -> None:
    policy = variable_deny(Resource="arn:aws:s3:::b/${aws:userid, 'anonymous'}/*")
    assert evaluate([[FULL, policy]], request(resource="arn:aws:s3:::b/anonymous/k")) == "deny"
    named = request(resource="arn:aws:s3:::b/anonymous/k", **{"aws:userid": "AIDA1"})
    assert evaluate([[FULL, policy]], named) == "allow"


def test_a_variable_with_an_unknown_key_is_undecidable() -> None:
    policy = variable_deny(Resource="arn:aws:s3:::b/${aws:PrincipalTag/team}/*")
    with pytest.raises(Undecidable) as raised:
        evaluate(
            [[FULL, policy]],
            Request(
                "s3:GetObject", "arn:aws:s3:::b/red/k", unknown=frozenset({"aws:principaltag/team"})
            ),
        )
    assert raised.value.keys == {"aws:principaltag/team"}


def test_special_variables_are_literal_characters() -> None:
    assert holds("StringLike", "k", ["a${*}"], {"k": "a*"})
    assert not holds("StringLike", "k", ["a${*}"], {"k": "abc"})
    assert holds("StringLike", "k", ["a${?}"], {"k": "a?"})
    assert not holds("StringLike", "k", ["a${?}"], {"k": "ab"})
    assert holds("StringEquals", "k", ["${$}5"], {"k": "$5"})


def test_version_2008_and_a_missing_version_read_variables_as_text() -> None:
    for version in ({"Version": "2008-10-17"}, {}):
        policy = {
            **version,
            "Statement": [
                {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}"}
            ],
        }
        literal = request(resource="arn:aws:s3:::b/${aws:username}", **{"aws:username": "x"})
        assert evaluate([[FULL, policy]], literal) == "deny"
        assert (
            evaluate(
                [[FULL, policy]], request(resource="arn:aws:s3:::b/x", **{"aws:username": "x"})
            )
            == "allow"
        )


@pytest.mark.parametrize(
    ("operator", "value", "context"),
    [
        ("Bool", "${aws:x}", {"aws:x": "true", "k": "true"}),
        ("NumericEquals", "${aws:x}", {"aws:x": "1"}),
        ("IpAddress", "${aws:x}", {"aws:x": "10.0.0.0/8"}),
        ("StringEquals", "${aws:x", {}),
        ("StringEquals", "${aws:x, unquoted}", {}),
        ("StringLike", "${aws:TagKeys}", {"aws:TagKeys": ("a", "b")}),
    ],
    ids=["bool", "numeric", "ip", "unterminated", "unquoted-default", "multivalued"],
)
def test_variables_the_docs_do_not_define_raise(
    operator: str, value: str, context: Mapping[str, ContextValue]
) -> None:
    with pytest.raises(UnsupportedPolicy):
        holds(operator, "k", [value], {"k": "1", **context})


def test_a_substituted_wildcard_raises_rather_than_guessing() -> None:
    with pytest.raises(InvalidContextValue):
        holds("StringLike", "k", ["${aws:username}"], {"aws:username": "a*", "k": "ab"})


def test_a_variable_before_the_resource_part_of_an_arn_raises() -> None:
    policy = variable_deny(Resource="arn:aws:s3:${aws:RequestedRegion}::b")
    with pytest.raises(UnsupportedPolicy):
        evaluate([[FULL, policy]], request())


# --------------------------------------------------------------------------
# Elements SCPs and RCPs accept today.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


def test_an_scp_allow_with_not_resource_allows_everything_else() -> None:
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret*"}],
    }
    levels = [[FULL], [allow]]
    assert evaluate(levels, request(resource="arn:aws:s3:::public"), policy_type=SCP) == "allow"
    assert evaluate(levels, request(resource="arn:aws:s3:::secret-x"), policy_type=SCP) == "deny"


def test_an_scp_allow_with_a_condition_allows_only_when_it_holds() -> None:
    allow = {
        "Version": "2012-10-17",
        "Statement": [
            allow_if({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        ],
    }
    levels = [[FULL], [allow]]
    assert (
        evaluate(levels, request(**{"aws:RequestedRegion": "eu-west-1"}), policy_type=SCP)
        == "allow"
    )
    assert (
        evaluate(levels, request(**{"aws:RequestedRegion": "us-east-1"}), policy_type=SCP) == "deny"
    )


def test_an_scp_allow_with_not_action() -> None:
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
    }
    assert evaluate([[allow]], request("s3:GetObject"), policy_type=SCP) == "allow"
    assert evaluate([[allow]], request("iam:CreateUser"), policy_type=SCP) == "deny"


@pytest.mark.parametrize(
    ("policy_type", "statement"),
    [
        (SCP, {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}),
        (RCP, {"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "Resource": "*"}),
        (
            RCP,
            {
                "Effect": "Deny",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Action": "*",
                "Resource": "*",
            },
        ),
        (RCP, {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
    ],
    ids=["scp-principal", "rcp-not-action", "rcp-named-principal", "rcp-allow"],
)
def test_what_a_policy_type_does_not_accept_raises(
    policy_type: str, statement: dict[str, object]
) -> None:
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    with pytest.raises(UnsupportedPolicy):
        evaluate([[FULL_ACCESS[policy_type], policy]], request(), policy_type=policy_type)  # type: ignore[arg-type]


def test_the_full_access_policies_pass_their_own_type_checks() -> None:
    assert evaluate([[FULL]], request(), policy_type=SCP) == "allow"
    assert evaluate([[FULL_ACCESS[RCP]]], request(), policy_type=RCP) == "allow"


# --------------------------------------------------------------------------
# Speed-related: compiled policies are cached and stay correct.


def test_a_statement_remembers_actions_per_request_action() -> None:
    policy = deny(Action=["s3:Get*", "ec2:*"])
    levels = [[FULL, policy]]
    for _ in range(2):
        assert evaluate(levels, request("s3:getobject")) == "deny"
        assert evaluate(levels, request("s3:GetObject")) == "deny"
        assert evaluate(levels, request("s3:PutObject")) == "allow"
        assert evaluate(levels, request("s3:putobject")) == "allow"
        assert evaluate(levels, request("EC2:RunInstances")) == "deny"


def test_a_new_policy_object_is_compiled_afresh() -> None:
    first = deny(Action="s3:*")
    assert evaluate([[FULL, first]], request("s3:GetObject")) == "deny"
    second = deny(Action="ec2:*")
    assert evaluate([[FULL, second]], request("s3:GetObject")) == "allow"


def test_the_request_context_is_folded_once() -> None:
    asked = request(**{"AWS:PrincipalOrgID": "o-1"})
    assert asked.value("aws:principalorgid") == "o-1"
    assert asked.folded is asked.folded


def test_policy_levels_puts_full_access_at_every_level_and_reuses_documents() -> None:
    config = load_config(EXAMPLE)
    plan = plan_guardrails(config)
    path = (
        target_paths(config)["prod"]
        if "prod" in target_paths(config)
        else next(p for p in target_paths(config).values() if len(p) > 2)
    )
    for policy_type in (SCP, RCP):
        levels = policy_levels(plan, path=path, policy_type=policy_type)  # type: ignore[arg-type]
        assert len(levels) == len(path) + 1
        assert all(level[0] is FULL_ACCESS[policy_type] for level in levels)
        again = policy_levels(plan, path=path, policy_type=policy_type)  # type: ignore[arg-type]
        assert all(
            a is b for x, y in zip(levels, again, strict=True) for a, b in zip(x, y, strict=True)
        )
    attached = sum(len(level) - 1 for level in policy_levels(plan, path=path, policy_type=SCP))  # type: ignore[arg-type]
    expected = sum(1 for p in plan.policies if p.kind == "scp" and p.target in path)
    assert attached == expected > 0


# --------------------------------------------------------------------------
# Properties.

NAMES = st.text(alphabet="ab*?", max_size=6)
TEXTS = st.text(alphabet="ab", max_size=8)


@given(pattern=NAMES, text=TEXTS)
@example(pattern="*a*a*", text="a")
@example(pattern="?*b?", text="abb")
def test_string_like_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert string_like(pattern, text) == (re.fullmatch(regex, text, re.DOTALL) is not None)


@given(operator=st.sampled_from(sorted(OPERATOR_FAMILIES)))
def test_for_all_values_over_an_empty_set_is_true(operator: str) -> None:
    _, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    assert holds(f"ForAllValues:{operator}", "k", [value], {"k": ()})


POSITIVE_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


@given(
    negated=st.sampled_from(sorted(POSITIVE_OF)),
    values=st.lists(st.text(alphabet="aA:*", max_size=8), min_size=1, max_size=3),
    present=st.text(alphabet="aA:", max_size=8),
)
def test_negated_operators_are_the_negation_when_the_key_is_present(
    negated: str, values: list[str], present: str
) -> None:
    context = {"k": present}
    if negated.startswith("Arn"):
        # An ARN pattern needs its six parts (fewer raises); the value's own colons
        # still move the part boundaries.
        values = [f"{value}:::::" for value in values]
    assert holds(negated, "k", values, context) is not holds(
        POSITIVE_OF[negated], "k", values, context
    )


@given(
    negated=st.sampled_from(["NumericNotEquals", "DateNotEquals", "NotIpAddress"]),
    number=st.integers(min_value=0, max_value=255),
)
def test_negated_typed_operators_are_the_negation_too(negated: str, number: int) -> None:
    positive = {
        "NumericNotEquals": "NumericEquals",
        "DateNotEquals": "DateEquals",
        "NotIpAddress": "IpAddress",
    }[negated]
    value, present = {
        "NumericNotEquals": ("7", str(number)),
        "DateNotEquals": ("1000000007", str(1_000_000_000 + number)),
        "NotIpAddress": ("10.0.0.0/29", f"10.0.0.{number}"),
    }[negated]
    assert holds(negated, "k", [value], {"k": present}) is not holds(
        positive, "k", [value], {"k": present}
    )


@given(operator=st.sampled_from(sorted(OPERATOR_FAMILIES)))
def test_if_exists_on_a_missing_key_is_always_true(operator: str) -> None:
    _, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    assert holds(f"{operator}IfExists", "k", [value], {"other": "x"})


@given(
    network=st.one_of(
        st.ip_addresses(v=4).flatmap(
            lambda a: st.integers(0, 32).map(
                lambda p: ipaddress.ip_network(f"{a}/{p}", strict=False)
            )
        ),
        st.ip_addresses(v=6).flatmap(
            lambda a: st.integers(0, 128).map(
                lambda p: ipaddress.ip_network(f"{a}/{p}", strict=False)
            )
        ),
    ),
    address=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)),
)
def test_ip_address_agrees_with_the_ipaddress_module(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    context = {"aws:SourceIp": str(address)}
    assert holds("IpAddress", "aws:SourceIp", [str(network)], context) == (address in network)


MOMENTS = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
DATE_OPERATORS = {
    "DateEquals": operator.eq,
    "DateLessThan": operator.lt,
    "DateLessThanEquals": operator.le,
    "DateGreaterThan": operator.gt,
    "DateGreaterThanEquals": operator.ge,
}


@given(
    name=st.sampled_from(sorted(DATE_OPERATORS)),
    present=MOMENTS,
    value=MOMENTS,
    epoch=st.booleans(),
    offset=st.integers(min_value=-12, max_value=12),
)
def test_date_comparisons_agree_with_datetime(
    name: str, present: datetime, value: datetime, epoch: bool, offset: int
) -> None:
    zone = timezone(timedelta(hours=offset))
    written = str(int(value.timestamp())) if epoch else value.astimezone(zone).isoformat()
    context = {"aws:CurrentTime": present.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert holds(name, "aws:CurrentTime", [written], context) == DATE_OPERATORS[name](
        present, value
    )


@given(limit=st.integers(min_value=-1000, max_value=1000), present=st.integers(-1000, 1000))
def test_numeric_comparisons_agree_with_python(limit: int, present: int) -> None:
    assert holds("NumericLessThan", "n", [str(limit)], {"n": str(present)}) == (present < limit)
    assert holds("NumericGreaterThanEquals", "n", [str(limit)], {"n": str(present)}) == (
        present >= limit
    )


@pytest.mark.parametrize("operator", sorted(OPERATOR_FAMILIES))
def test_for_any_value_with_if_exists_is_false_for_a_missing_key(operator: str) -> None:
    """IfExists does not turn ForAnyValue over no values into true.

    IAM refuses an Allow with ``ForAnyValue:StringEqualsIfExists`` on ``aws:TagKeys``
    for a request without tags; read as IfExists, a Deny written that way would be
    proven to deny requests AWS lets through.
    See: https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w/foranyvalue-stringequalsifexists-behaving-unexpectedly
    """
    present, value = FAMILY_SAMPLES[OPERATOR_FAMILIES[operator]]
    for context in ({}, {"k": ()}):
        assert not holds(f"ForAnyValue:{operator}IfExists", "k", [value], context)
        assert holds(f"ForAllValues:{operator}IfExists", "k", [value], context)
    assert holds(f"ForAnyValue:{operator}IfExists", "k", [value], {"k": (present,)}) == holds(
        operator, "k", [value], {"k": present}
    )
    tagless = request("sqs:ListQueues")
    statement = {f"ForAnyValue:{operator}IfExists": {"k": value}}
    assert evaluate([[FULL], [FULL, deny(Action="sqs:*", Condition=statement)]], tagless) == "allow"


@pytest.mark.parametrize("operator", ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"])
def test_an_arn_pattern_without_six_parts_raises_rather_than_matching_nothing(
    operator: str,
) -> None:
    """``arn:aws:iam::*`` (the account and resource run together) is not an ARN pattern.

    Read as "matches nothing", a Deny on ``ArnLike`` would never deny.
    """
    principal = {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"}
    policy = deny(Action="*", Condition={operator: {"aws:PrincipalArn": "arn:aws:iam::*"}})
    with pytest.raises(UnsupportedPolicy):
        evaluate([[FULL, policy]], request(**principal))
    # A substituted value that leaves fewer than six parts raises too.
    templated = deny(Action="*", Condition={operator: {"aws:PrincipalArn": "${aws:userid}"}})
    with pytest.raises(InvalidContextValue):
        evaluate([[FULL, templated]], request(**principal, **{"aws:userid": "AIDA:x"}))


@pytest.mark.parametrize(
    ("policy_value", "present"),
    [
        ("99999999999999", "2026-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00+01:00", "2026-01-01T00:00:00Z"),
    ],
)
def test_a_date_beyond_year_9999_or_before_year_1_is_refused_not_a_traceback(
    policy_value: str, present: str
) -> None:
    """Out-of-range dates raise the evaluator's errors, which callers report, not OverflowError."""
    with pytest.raises(UnsupportedPolicy):
        holds("DateLessThan", "aws:CurrentTime", [policy_value], {"aws:CurrentTime": present})
    with pytest.raises(InvalidContextValue):
        holds("DateLessThan", "aws:CurrentTime", [present], {"aws:CurrentTime": policy_value})


@pytest.mark.parametrize("policy", [{"Version": "2012-10-17"}, [], "x"])
def test_a_policy_without_statements_raises_unsupported_not_a_traceback(policy: object) -> None:
    with pytest.raises(UnsupportedPolicy):
        evaluate([[FULL, policy]], request())  # type: ignore[list-item]


def test_a_bare_account_id_principal_is_the_account_principal() -> None:
    """``{"AWS": "111122223333"}`` is the account, as ``arn:aws:iam::111122223333:root`` is.

    Read as a literal, a Deny naming an account by id would deny none of its roles.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
    """
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "s3:*",
             "Resource": "*"},
        ],
    }  # fmt: skip

    def decide(identity: str) -> str:
        return resource_policy_decision(
            policy, Request("s3:GetObject", "arn:aws:s3:::b/k", principal=("AWS", identity))
        )

    assert decide("arn:aws:iam::111122223333:role/Reader") == "deny"
    assert decide("arn:aws:sts::111122223333:assumed-role/Reader/s") == "deny"
    assert decide("arn:aws:iam::444455556666:role/Reader") == "none"
    # A requester given as a bare id (not an ARN) is compared, not a traceback.
    assert decide("111122223333") == "deny"
    assert decide("not-an-arn") == "none"


def test_a_policy_built_where_a_collected_one_was_is_not_read_from_the_cache() -> None:
    """The compile cache is keyed by id(); CPython reuses the id of a collected dict.

    The cache keeps each policy it compiled alive (and checks identity), so a new
    policy never gets a dead one's compiled form.
    """
    # Collections scan only what the loop makes: the suite's heap is large.
    gc.freeze()
    try:
        _build_and_collect_policies()
    finally:
        gc.unfreeze()


def _build_and_collect_policies() -> None:
    for turn in range(20):
        action = "s3:*" if turn % 2 else "ec2:*"
        expected = "deny" if turn % 2 else "allow"
        policy = deny(Action=action)
        assert evaluate([[FULL, policy]], request("s3:GetObject")) == expected
        del policy
        gc.collect()
