"""Break-glass roles: validated trust, deployed everywhere, privileged, and alarmed on every use.

Config: only exact IAM users and roles of the trusted account, core mode
only. Synth (the example): a role with AdministratorAccess, the configured
session length and an MFA-only trust policy in every member account (a
StackSet on the root, home region) and in the management account; its ARN
pattern exempt from the guardrails and privileged in the log archive
without a privileged_principals entry. Alarm: one pattern (proven against
sample CloudTrail records with a matcher of the documented filter syntax)
feeds the alarm and the function that says who used which role where.
"""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from landing_zone.break_glass import insights_query, use_pattern
from landing_zone.config import load_config
from landing_zone.config.guardrails import guardrail_inputs, privileged_arns
from landing_zone.guardrails.evaluate import Request, resource_policy_decision
from landing_zone.lambdas import break_glass_alert
from tests.conftest import EXAMPLE, Synth, synthesize
from tests.log_patterns import matches
from tests.test_detection_services import LAMBDAS, api_calls
from tests.variants import BUSINESS_UNIT, MINIMAL, minimal_variant, problems_of, variant

#: The ``handler_module`` and ``REGION`` the shared ``aws`` fixture reads.
handler_module = break_glass_alert
REGION = "eu-west-1"

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
ROLE = "Acme-BreakGlass-Primary"
ROLE_ARN = f"arn:aws:iam::{MEMBER}:role/{ROLE}"
ONCALL = f"arn:aws:iam::{MANAGEMENT}:role/AcmeSecurityOncall"
TOPIC = f"arn:aws:sns:{REGION}:{MANAGEMENT}:Acme-SecurityAlarms"

BREAK_GLASS = """\
identity:
  break_glass:
    primary:
      trusted_account: '111111111111'
      trusted_principals:
        - arn:aws:iam::111111111111:user/alice
        - arn:aws:iam::111111111111:role/TinyOncall
      max_session_hours: 2
"""


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


# ---- config ---------------------------------------------------------------------------------


def test_a_valid_break_glass_section_loads(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path, append=BREAK_GLASS))
    assert config.identity.break_glass["primary"].max_session_hours == 2
    assert "arn:aws:iam::*:role/Tiny-BreakGlass-Primary" in guardrail_inputs(config).exempt_arns


REFUSED = {
    "arn:aws:iam::111111111111:role/Oncall*": "wildcard",
    "arn:aws:iam::111111111111:user/?lice": "wildcard",
    "arn:aws:iam::*:role/TinyOncall": "wildcard",
    "arn:aws:iam::111111111111:root": "trusting an account",
    "111111111111": "trusting an account",
    "arn:aws:sts::111111111111:assumed-role/TinyOncall/alice": "assumed-role session",
    "arn:aws:iam::111111111111:group/Admins": "not an IAM user or role ARN",
    "arn:aws:iam::1111:role/TinyOncall": "not an IAM user or role ARN",
    "TinyOncall": "not an IAM user or role ARN",
}


@pytest.mark.parametrize("arn", sorted(REFUSED))
def test_trusted_principals_are_exact_users_and_roles(tmp_path: Path, arn: str) -> None:
    path = minimal_variant(
        tmp_path,
        append=BREAK_GLASS.replace("arn:aws:iam::111111111111:user/alice", json.dumps(arn)),
    )
    (line,) = problems_of(path)
    assert "identity.break_glass.primary.trusted_principals[0]:" in line
    assert REFUSED[arn] in line


def test_only_the_management_account_may_be_trusted(tmp_path: Path) -> None:
    """Admins of a trusted member account could re-trust its principals to themselves."""
    member = BREAK_GLASS.replace("111111111111", "222222222222")
    (line,) = problems_of(minimal_variant(tmp_path, append=member))
    assert "identity.break_glass.primary.trusted_account:" in line
    assert "must trust the management account (111111111111)" in line


def test_the_role_refuses_stale_or_absent_mfa(example_synth: Synth) -> None:
    role = next(
        r
        for r in _resources(example_synth.templates["Acme-BreakGlass"], "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == ROLE
    )
    trust = role["Properties"]["AssumeRolePolicyDocument"]

    def decide(**context: str) -> str:
        context = {"aws:PrincipalArn": ONCALL, "aws:PrincipalAccount": MANAGEMENT, **context}
        asked = Request("sts:AssumeRole", ROLE_ARN, context, principal=("AWS", ONCALL))
        return resource_policy_decision(trust, asked)

    fresh = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "120"}
    assert decide(**fresh) == "allow"
    assert decide(**{**fresh, "aws:MultiFactorAuthAge": "7200"}) != "allow"
    assert decide() != "allow"


def test_the_roles_deploy_with_every_detection_service_off(tmp_path: Path) -> None:
    from tests.variants import EVERYTHING_OFF

    path = minimal_variant(tmp_path, append=EVERYTHING_OFF.replace("identity:\n", BREAK_GLASS, 1))
    synth = synthesize(path, tmp_path / "out", validation=False)
    assert "Tiny-BreakGlass" in synth.templates
    assert "Tiny-Audit" not in synth.templates


def test_trusted_principals_live_in_the_trusted_account(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=BREAK_GLASS.replace("iam::111111111111:user/alice", "iam::999999999999:user/alice"),
    )
    (line,) = problems_of(path)
    assert "identity.break_glass.primary.trusted_principals[0]:" in line
    assert "is in account 999999999999, but trusted_account is 111111111111" in line


def test_trusted_principals_are_in_the_home_partition(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=BREAK_GLASS.replace(
            "arn:aws:iam::111111111111:user", "arn:aws-cn:iam::111111111111:user"
        ),
    )
    (line,) = problems_of(path)
    assert "trusted_principals[0]: ARN partition 'aws-cn' differs" in line


def test_a_trusted_principal_is_listed_once(tmp_path: Path) -> None:
    again = "        - arn:aws:iam::111111111111:role/TinyOncall\n"
    path = minimal_variant(tmp_path, append=BREAK_GLASS.replace(again, again + again))
    (line,) = problems_of(path)
    assert (
        "trusted_principals[2]: 'arn:aws:iam::111111111111:role/TinyOncall' is listed twice" in line
    )


def test_at_most_two_break_glass_roles(tmp_path: Path) -> None:
    roles = "".join(
        f"    r{n}:\n      trusted_account: '111111111111'\n"
        f"      trusted_principals: [arn:aws:iam::111111111111:user/u{n}]\n"
        for n in range(3)
    )
    lines = problems_of(minimal_variant(tmp_path, append=f"identity:\n  break_glass:\n{roles}"))
    assert any("identity.break_glass" in line and "at most 2" in line for line in lines), lines


def test_a_role_name_fits_iam(tmp_path: Path) -> None:
    key = "a" * 40
    path = variant(
        MINIMAL,
        tmp_path,
        replace=[("prefix: Tiny", "prefix: TinyTinyTinyTinyTiny")],
        append=BREAK_GLASS.replace("primary:", f"{key}:"),
    )
    (line,) = problems_of(path)
    assert f"identity.break_glass.{key}: the role would be named 'TinyTinyTinyTinyTiny-" in line
    assert "(72 characters); IAM allows 64" in line


def test_break_glass_is_core_only(tmp_path: Path) -> None:
    path = variant(BUSINESS_UNIT, tmp_path, append="\n" + BREAK_GLASS)
    lines = problems_of(path)
    assert any(
        line.endswith(
            "identity.break_glass: break-glass roles belong to the core fork: its StackSet "
            "deploys them to every account of the organization, this fork's included. Remove "
            "them here and list the core's role (arn:...:iam::*:role/<CorePrefix>-BreakGlass-"
            "<Key>) in privileged_principals so this fork's guardrails exempt it too"
        )
        for line in lines
    ), lines


# ---- privileged without a privileged_principals entry ----------------------------------------


def test_the_example_lists_no_break_glass_principal_but_exempts_the_role() -> None:
    config = load_config(EXAMPLE)
    listed = {p.arn for p in config.privileged_principals.values()}
    pattern = f"arn:aws:iam::*:role/{ROLE}"
    assert pattern not in listed
    assert pattern in privileged_arns(config)
    assert pattern in guardrail_inputs(config).exempt_arns


def test_the_log_archive_treats_the_role_as_privileged(
    log_archive_template: dict[str, Any],
) -> None:
    policies = json.dumps(
        [
            r["Properties"]
            for r in log_archive_template["Resources"].values()
            if r["Type"] in ("AWS::S3::BucketPolicy", "AWS::KMS::Key")
        ]
    )
    assert f"arn:aws:iam::*:role/{ROLE}" in policies


# ---- the roles --------------------------------------------------------------------------------


def _check_role(role: dict[str, Any]) -> None:
    properties = role["Properties"]
    assert properties["RoleName"] == ROLE
    assert properties["MaxSessionDuration"] == 3600
    (policy,) = properties["ManagedPolicyArns"]
    assert policy["Fn::Join"][1][-1] == ":iam::aws:policy/AdministratorAccess"
    (statement,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert statement == {
        "Action": "sts:AssumeRole",
        "Condition": {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
        },
        "Effect": "Allow",
        "Principal": {"AWS": ONCALL},
    }


def test_every_member_account_gets_the_role_from_a_stack_set_on_the_root(
    example_synth: Synth,
) -> None:
    template = example_synth.templates["Acme-BreakGlass"]
    (stack_set,) = _resources(template, "AWS::CloudFormation::StackSet").values()
    properties = stack_set["Properties"]
    (group,) = properties["StackInstancesGroup"]
    assert group == {
        "DeploymentTargets": {"OrganizationalUnitIds": ["r-a1b2"]},
        "Regions": ["eu-west-1"],
    }
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    content = example_synth.stackset_templates["Acme-BreakGlass/Template"]
    (role,) = _resources(content, "AWS::IAM::Role").values()
    _check_role(role)
    assert len(content["Resources"]) == 1


def test_the_management_account_gets_the_role_from_the_stack_itself(example_synth: Synth) -> None:
    (role,) = _resources(example_synth.templates["Acme-BreakGlass"], "AWS::IAM::Role").values()
    _check_role(role)
    stack = example_synth.stacks["break_glass"]
    assert (stack.account, stack.region) == (MANAGEMENT, "eu-west-1")


def test_no_break_glass_stack_without_roles(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path))
    assert not config.identity.break_glass
    assert privileged_arns(config) == ("arn:aws:iam::*:role/TinyCCoE",)


# ---- the alarm -------------------------------------------------------------------------------


def test_the_alarm_and_the_alert_share_one_pattern_on_the_trail_log_group(
    trail_template: dict[str, Any],
) -> None:
    pattern = use_pattern([ROLE])
    (metric_filter,) = [
        r["Properties"]
        for r in _resources(trail_template, "AWS::Logs::MetricFilter").values()
        if r["Properties"]["FilterName"] == "Acme-BreakGlassUse"
    ]
    (subscription,) = _resources(trail_template, "AWS::Logs::SubscriptionFilter").values()
    (log_group_id,) = [
        k
        for k, r in _resources(trail_template, "AWS::Logs::LogGroup").items()
        if r["Properties"].get("LogGroupName") == "/acme/landing-zone/organization-trail"
    ] or [metric_filter["LogGroupName"]["Ref"]]
    assert metric_filter["FilterPattern"] == subscription["Properties"]["FilterPattern"] == pattern
    assert metric_filter["LogGroupName"] == subscription["Properties"]["LogGroupName"]
    assert metric_filter["LogGroupName"] == {"Ref": log_group_id}
    (alarm,) = [
        r["Properties"]
        for r in _resources(trail_template, "AWS::CloudWatch::Alarm").values()
        if r["Properties"]["AlarmName"] == "Acme-BreakGlassUse"
    ]
    # Within 5 minutes: any match in one 5-minute period.
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["Threshold"]) == (300, 1, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    (topic_id,) = _resources(trail_template, "AWS::SNS::Topic")
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    assert insights_query([ROLE]) in alarm["AlarmDescription"]
    function_id = subscription["Properties"]["DestinationArn"]["Fn::GetAtt"][0]
    function = trail_template["Resources"][function_id]["Properties"]
    assert function["Environment"]["Variables"] == {"TOPIC_ARN": {"Ref": topic_id}}


def test_the_alert_function_may_publish_to_the_topic_and_nothing_else(
    trail_template: dict[str, Any],
) -> None:
    """Grants equal calls: the handler calls sns:Publish only (read from its source)."""
    assert api_calls(LAMBDAS / "break_glass_alert.py") == {"sns": {"sns:Publish"}}
    (subscription,) = _resources(trail_template, "AWS::Logs::SubscriptionFilter").values()
    function_id = subscription["Properties"]["DestinationArn"]["Fn::GetAtt"][0]
    role_id = trail_template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in _resources(trail_template, "AWS::IAM::Policy").values()
        if r["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    granted = {
        action
        for statement in policy["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
        if not action.startswith("logs:")
    }
    assert granted == {"sns:Publish"}
    # The topic's key lets the function encrypt (and nobody else new).
    (key,) = _resources(trail_template, "AWS::KMS::Key").values()
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "BreakGlassAlertPublish"
    ]
    assert statement["Principal"] == {"AWS": {"Fn::GetAtt": [role_id, "Arn"]}}
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


# ---- what the pattern matches: sample CloudTrail records --------------------------------------


def assume_role(
    *, role_arn: str = ROLE_ARN, recipient: str = MEMBER, error: str | None = None
) -> dict[str, Any]:
    """An AssumeRole record as STS logs it (IAM user Guide, CloudTrail examples)."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": f"arn:aws:sts::{MANAGEMENT}:assumed-role/AcmeSecurityOncall/alice",
            "accountId": MANAGEMENT,
            "sessionContext": {"attributes": {"mfaAuthenticated": "true"}},
        },
        "eventTime": "2026-11-30T10:00:00Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.17.0",
        "requestParameters": {
            "roleArn": role_arn,
            "roleSessionName": "alice-incident-42",
            "durationSeconds": 3600,
        },
        "eventID": "0f1e2d3c-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
        "recipientAccountId": recipient,
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "not authorized to perform: sts:AssumeRole"
    else:
        record["responseElements"] = {"assumedRoleUser": {"arn": "..."}}
    return record


def switch_role(session_role: str = ROLE) -> dict[str, Any]:
    """The console's SwitchRole sign-in event, in the role's account."""
    return {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": f"arn:aws:sts::{MEMBER}:assumed-role/{session_role}/alice",
            "accountId": MEMBER,
        },
        "eventTime": "2026-11-30T10:05:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "SwitchRole",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "requestParameters": None,
        "responseElements": {"SwitchRole": "Success"},
        "additionalEventData": {"SwitchFrom": f"arn:aws:iam::{MANAGEMENT}:user/alice"},
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": MEMBER,
    }


PATTERN = use_pattern([ROLE, "Acme-BreakGlass-Secondary"])

MATCHED = {
    "assumed in a member account": assume_role(),
    "the caller account's copy": assume_role(recipient=MANAGEMENT),
    "a refused attempt": assume_role(recipient=MANAGEMENT, error="AccessDenied"),
    "the second role": assume_role(
        role_arn=f"arn:aws:iam::{MEMBER}:role/Acme-BreakGlass-Secondary"
    ),
    "in the management account": assume_role(role_arn=f"arn:aws:iam::{MANAGEMENT}:role/{ROLE}"),
    "another partition": assume_role(role_arn=f"arn:aws-us-gov:iam::{MEMBER}:role/{ROLE}"),
    "a console switch": switch_role(),
}

IGNORED = {
    "another role": assume_role(role_arn=f"arn:aws:iam::{MEMBER}:role/WorkloadAdmin"),
    "the old hand-written name": assume_role(role_arn=f"arn:aws:iam::{MEMBER}:role/AcmeBreakGlass"),
    "a longer name": assume_role(role_arn=f"{ROLE_ARN}-Copy"),
    "a role under a path": assume_role(role_arn=f"arn:aws:iam::{MEMBER}:role/x/{ROLE}x"),
    "another STS call": {**assume_role(), "eventName": "GetSessionToken"},
    "another service": {**assume_role(), "eventSource": "iam.amazonaws.com"},
    "a console switch to another role": switch_role("WorkloadAdmin"),
    "a console sign-in": {**switch_role(), "eventName": "ConsoleLogin"},
}


@pytest.mark.parametrize("name", sorted(MATCHED))
def test_the_pattern_matches_every_use(name: str) -> None:
    assert matches(PATTERN, MATCHED[name])


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_the_pattern_ignores_everything_else(name: str) -> None:
    assert not matches(PATTERN, IGNORED[name])


def test_a_mid_value_wildcard_would_have_matched_nothing() -> None:
    """Why the pattern matches ARNs by their end: '*' mid-value is literal, so the obvious
    ``arn:aws:iam::*:role/<name>`` never matches a real ARN (the matcher agrees with the
    documentation's examples)."""
    naive = '{ $.requestParameters.roleArn = "arn:aws:iam::*:role/' + ROLE + '" }'
    assert not matches(naive, assume_role())
    assert matches('{ $.name = "*Event" }', {"name": "PutEvent"})
    assert matches('{ $.name = "Event*" }', {"name": "EventId"})
    assert not matches('{ $.name = "Ev*ent" }', {"name": "Event"})
    assert matches('{ $.name = "Ev*ent" }', {"name": "Ev*ent"})


# ---- the alert function ----------------------------------------------------------------------


def delivery(*records: dict[str, Any], kind: str = "DATA_MESSAGE") -> dict[str, Any]:
    """What CloudWatch Logs hands a subscribed function: gzip, base64, JSON."""
    payload = {
        "messageType": kind,
        "owner": MANAGEMENT,
        "logGroup": "/acme/landing-zone/organization-trail",
        "logStream": f"{MANAGEMENT}_CloudTrail_eu-west-1",
        "subscriptionFilters": ["Acme-BreakGlassUse"],
        "logEvents": [
            {"id": str(n), "timestamp": 0, "message": json.dumps(r)} for n, r in enumerate(records)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
    return {"awslogs": {"data": data}}


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TOPIC_ARN", TOPIC)
    return TOPIC


def test_a_use_is_published_with_who_which_role_and_account(aws: Any, topic: str) -> None:
    sns = aws("sns", REGION)
    published: list[dict[str, Any]] = []
    sns.add_response("publish", {"MessageId": "1"}, None)
    sns.client.meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: published.append(params)
    )
    sent = break_glass_alert.handler(
        delivery(assume_role(recipient=MANAGEMENT), assume_role()), None
    )
    aws.verify()
    # The caller account's copy of the same cross-account call is skipped.
    assert sent == 1
    (params,) = published
    assert params["TopicArn"] == TOPIC
    assert params["Subject"] == f"Break-glass {ROLE} used in {MEMBER}"
    message = params["Message"]
    for fact in (
        f"arn:aws:sts::{MANAGEMENT}:assumed-role/AcmeSecurityOncall/alice",
        f"Role:       {ROLE} in account {MEMBER}",
        "Source IP:  198.51.100.7",
        "Time:       2026-11-30T10:00:00Z (eu-west-1)",
        "Outcome:    succeeded",
        "Session:    alice-incident-42",
    ):
        assert fact in message


def test_a_refused_attempt_is_published_from_the_caller_account(aws: Any, topic: str) -> None:
    sns = aws("sns", REGION)
    sns.add_response(
        "publish",
        {"MessageId": "1"},
        {
            "TopicArn": TOPIC,
            "Subject": f"Break-glass {ROLE} refused in {MEMBER}",
            "Message": break_glass_alert.describe(
                assume_role(recipient=MANAGEMENT, error="AccessDenied")
            )[1],  # type: ignore[index]
        },
    )
    assert (
        break_glass_alert.handler(
            delivery(assume_role(recipient=MANAGEMENT, error="AccessDenied")), None
        )
        == 1
    )
    aws.verify()


def test_a_console_switch_names_who_switched() -> None:
    described = break_glass_alert.describe(switch_role())
    assert described is not None
    subject, message = described
    assert subject == f"Break-glass {ROLE} used in {MEMBER}"
    assert f"Who:        arn:aws:iam::{MANAGEMENT}:user/alice" in message
    assert "switched to it in the console" in message


def test_a_reachability_check_publishes_nothing(aws: Any, topic: str) -> None:
    aws("sns", REGION)  # no response queued: any publish would fail
    assert break_glass_alert.handler(delivery(kind="CONTROL_MESSAGE"), None) == 0


def test_one_failing_account_does_not_fail_the_organizations_rollout(example_synth: Synth) -> None:
    template = example_synth.templates["Acme-BreakGlass"]
    (stack_set,) = _resources(template, "AWS::CloudFormation::StackSet").values()
    preferences = stack_set["Properties"]["OperationPreferences"]
    rollout = load_config(EXAMPLE).baseline.operation_preferences
    assert preferences["FailureTolerancePercentage"] == rollout.failure_tolerance_percentage > 0
    assert preferences["MaxConcurrentPercentage"] == rollout.max_concurrent_percentage


def test_a_subject_stays_under_the_100_characters_sns_allows() -> None:
    """SNS wants subjects "less than 100 characters long": a long role name is cut to 99."""
    described = break_glass_alert.describe(switch_role(session_role=ROLE + "A" * 120))
    assert described is not None
    assert len(described[0]) == 99
