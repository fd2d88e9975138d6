"""The investigation role: read-only, in every baselined account, assumable only from audit.

The trust policy is evaluated as deployed (intrinsics resolved) with the same
resource-policy evaluator the log archive's bucket and key policies use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from landing_zone.config import load_config
from landing_zone.guardrails.evaluate import Request, resource_policy_decision
from landing_zone.references import LogArchiveRef
from landing_zone.stacks.baseline_stack import MemberBaselineStack
from tests.cfn_resolve import Resolver
from tests.conftest import BUSINESS_UNIT_EXAMPLE, Synth, cdk_context
from tests.templates import nag_failures, one, resources_of
from tests.variants import minimal_variant, problems_of, variant

MEMBER = "555555555555"
AUDIT = "444444444444"
OTHER_ORG_ACCOUNT = "666666666666"
OUTSIDE = "999999999999"
ORG = "o-a1b2c3d4e5"
ROLE_ARN = f"arn:aws:iam::{MEMBER}:role/Acme-Investigation"
# The security team's Identity Center role in the audit account.
OTHER_SSO_ROLE = f"arn:aws:iam::{OTHER_ORG_ACCOUNT}:role/AWSReservedSSO_Admin_0123"
AUDIT_SSO_ROLE = (
    f"arn:aws:iam::{AUDIT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_SecurityAudit_0123456789abcdef"
)


def investigation_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (logical, resource)
        for logical, resource in resources_of(template, "AWS::IAM::Role").items()
        if resource["Properties"].get("RoleName") == "Acme-Investigation"
    ]
    return found


# ---- the role as the member StackSet template deploys it ----------------------------------


def test_role_is_read_only_named_for_the_guardrails_and_home_region_only(
    member_baseline_template: dict[str, Any],
) -> None:
    template = member_baseline_template
    _, role = investigation_role(template)
    properties = role["Properties"]
    assert properties["MaxSessionDuration"] == 3600
    assert [json.dumps(arn) for arn in properties["ManagedPolicyArns"]] == [
        json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{p}"]]})
        for p in ("SecurityAudit", "job-function/ViewOnlyAccess")
    ]
    assert "Policies" not in properties
    # IAM is global: created once per account, where the password policy is.
    assert role["Condition"] == one(template, "Custom::PasswordPolicy")["Condition"]
    assert template["Conditions"][role["Condition"]] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]
    }
    assert template["Parameters"]["AuditAccountId"]["AllowedPattern"] == r"^\d{12}$"


@pytest.fixture(scope="module")
def trust_policy(member_baseline_template: dict[str, Any]) -> dict[str, Any]:
    _, role = investigation_role(member_baseline_template)
    resolve = Resolver(
        member_baseline_template,
        account=MEMBER,
        region="eu-west-1",
        parameters={"AuditAccountId": AUDIT, "LogArchiveAccountId": "333333333333"},
    )
    document: dict[str, Any] = resolve(role["Properties"]["AssumeRolePolicyDocument"])
    return document


def _principal(account: str, arn: str) -> dict[str, str]:
    return {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalOrgID": ORG}


# (what, principal ARN, action, context, whether the role may be assumed)
TRUST_CASES: list[tuple[str, str, str, dict[str, str], bool]] = [
    ("the security team's Identity Center role in audit", AUDIT_SSO_ROLE, "sts:AssumeRole",
     _principal(AUDIT, AUDIT_SSO_ROLE), True),
    ("any IAM role of the audit account (its IAM policies decide)",
     f"arn:aws:iam::{AUDIT}:role/Responder", "sts:AssumeRole",
     _principal(AUDIT, f"arn:aws:iam::{AUDIT}:role/Responder"), True),
    ("the member account's own administrator", f"arn:aws:iam::{MEMBER}:role/Admin",
     "sts:AssumeRole", _principal(MEMBER, f"arn:aws:iam::{MEMBER}:role/Admin"), False),
    ("another account of the organization", OTHER_SSO_ROLE, "sts:AssumeRole",
     _principal(OTHER_ORG_ACCOUNT, OTHER_SSO_ROLE), False),
    ("an account outside the organization", f"arn:aws:iam::{OUTSIDE}:role/Attacker",
     "sts:AssumeRole",
     {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDE}:role/Attacker",
      "aws:PrincipalAccount": OUTSIDE}, False),
    ("the audit account through web identity is not allowed", AUDIT_SSO_ROLE,
     "sts:AssumeRoleWithWebIdentity", _principal(AUDIT, AUDIT_SSO_ROLE), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("principal", "action", "context", "assumable"),
    [case[1:] for case in TRUST_CASES],
    ids=[case[0] for case in TRUST_CASES],
)
def test_trust_policy_decides(
    trust_policy: dict[str, Any],
    principal: str,
    action: str,
    context: dict[str, str],
    assumable: bool,
) -> None:
    request = Request(action, ROLE_ARN, context, principal=("AWS", principal))
    # A role's trust policy must itself allow the principal: an identity
    # policy in the role's account does not suffice, so "none" is a refusal.
    # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    decision = resource_policy_decision(trust_policy, request)
    assert (decision == "allow") is assumable, decision


def test_management_account_gets_the_role_in_its_home_region_stack_only(
    example_synth: Synth, member_baseline_template: dict[str, Any]
) -> None:
    _, member = investigation_role(member_baseline_template)
    for region in ("eu-west-1", "eu-central-1", "us-east-1"):
        template = example_synth.templates[f"Acme-ManagementBaseline-{region}"]
        _, role = investigation_role(template)
        # Every regional stack holds it under the home-region condition.
        assert template["Conditions"][role["Condition"]] == {
            "Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]
        }
        trust = json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
        # The audit account id comes from the organization stack (it creates it).
        assert "AccountAudit" in trust
        assert role["Properties"]["ManagedPolicyArns"] == member["Properties"]["ManagedPolicyArns"]


# ---- configuration ------------------------------------------------------------------------


def _member_template(config_path: Path, outdir: Path) -> dict[str, Any]:
    config = load_config(config_path)
    app = App(context=cdk_context(), outdir=str(outdir))
    stack = MemberBaselineStack(
        app,
        "MemberBaseline",
        env=Environment(account="111111111111", region=config.regions.home),
        config=config,
        organizational_unit_ids=["ou-t1ny-security"],
        excluded_account_ids=[],
        log_archive=LogArchiveRef.of(config, account_id="333333333333"),
        audit_account_id=AUDIT,
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    assert nag_failures(outdir) == []
    return stack.template.template


def test_max_session_hours_sets_the_roles_max_session_duration(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, append="identity:\n  investigation_role:\n    max_session_hours: 4\n"
    )
    template = _member_template(path, tmp_path / "cdk.out")
    (role,) = [
        r
        for r in resources_of(template, "AWS::IAM::Role").values()
        if r["Properties"]["RoleName"] == "Tiny-Investigation"
    ]
    assert role["Properties"]["MaxSessionDuration"] == 4 * 3600


def test_business_unit_without_its_own_baseline_cannot_set_the_role(tmp_path: Path) -> None:
    path = variant(
        BUSINESS_UNIT_EXAMPLE,
        tmp_path,
        append="identity:\n  investigation_role:\n    max_session_hours: 2\n",
    )
    (problem,) = problems_of(path)
    assert "identity.investigation_role: this fork deploys no baseline" in problem


def test_business_unit_with_its_own_baseline_deploys_the_cores_role_name(tmp_path: Path) -> None:
    path = variant(
        BUSINESS_UNIT_EXAMPLE,
        tmp_path,
        replace=[
            ("  targets: []\n", "  targets: [logistics]\n"),
            (
                "    logistics: [privileged-roles]\n",
                "    logistics: [privileged-roles, business-unit-baseline]\n",
            ),
        ],
        append="identity:\n  investigation_role:\n    max_session_hours: 2\n",
    )
    template = _member_template(path, tmp_path / "cdk.out")
    (role,) = [
        r
        for r in resources_of(template, "AWS::IAM::Role").values()
        if "Investigation" in json.dumps(r["Properties"]["RoleName"])
    ]
    # The core's prefix: one name in every account, the one the core's alerts
    # link to and the core's guardrails protect (role/Acme-*).
    assert role["Properties"]["RoleName"] == "Acme-Investigation"
    assert role["Properties"]["MaxSessionDuration"] == 2 * 3600
