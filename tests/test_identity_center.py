"""IAM Identity Center: config rules, the synthesized permission sets, the reconciler's
rules and wiring (its handler: tests/test_identity_center_reconciler.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench.make_org import make_org
from landing_zone.cli import identity_center_lines
from landing_zone.config import load_config, load_config_and_warnings
from landing_zone.config.identity import MAX_POLICIES_PER_PERMISSION_SET
from landing_zone.identity_center import (
    MAX_ENCODED_RULES,
    RULES_VARIABLE,
    encode,
    events_stack,
    ou_name_paths,
    reconciler_input,
    who_can_reach_what,
)
from landing_zone.lambdas import identity_center_reconciler as reconciler_module
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


def _reconciler(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = (
        (logical, r)
        for logical, r in resources_of(template, "AWS::Lambda::Function").items()
        if r["Properties"].get("FunctionName") == "Acme-IdentityCenterReconciler"
    )
    return found


def _decoded_rules(template: dict[str, Any]) -> dict[str, Any]:
    """The rules the function's environment holds; the custom resource must hold the same."""
    _, function = _reconciler(template)
    encoded = function["Properties"]["Environment"]["Variables"][RULES_VARIABLE]
    (custom,) = resources_of(template, "Custom::IdentityCenterAssignments").values()
    assert custom["Properties"]["Rules"] == encoded
    return reconciler_module.decode(encoded)


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


def _reached(
    rules: dict[str, Any], config: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[tuple[str, str], set[str]]:
    """(group, permission set name) -> config account keys, by the reconciler's own matching
    (``Reconciler.wanted``) on each account's live OU path as the config builds it."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    run = reconciler_module.Reconciler(rules, deadline=0.0)
    paths = ou_name_paths(config)
    reached: dict[tuple[str, str], set[str]] = {}
    for key, account in config.all_accounts():
        live = reconciler_module.Account(
            id=account.account_id or "999999999999",
            email=str(account.email or f"{key}@example.com").upper(),  # emails match any case
            state="ACTIVE",
            path=paths[account.ou],
        )
        for pair in run.wanted(live):
            reached.setdefault(pair, set()).add(key)
    return reached


def test_each_group_gets_its_permission_set_in_exactly_the_accounts_its_targets_reach(
    example_synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = {key for key, _ in example_synth.config.all_accounts()}
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
    rules = _decoded_rules(example_synth.templates["Acme-IdentityCenter"])
    assert _reached(rules, example_synth.config, monkeypatch) == expected
    assert rules == reconciler_input(example_synth.config)
    assert rules["management"] == "111111111111"
    assert rules["region"] == "eu-west-1"
    assert rules["store"] == "d-0123456789"


def test_account_targets_reach_one_account_by_id_or_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[
            (
                "permission_set: admin\n        targets: [workloads, infrastructure]",
                "permission_set: admin\n        targets: [retail-web-prod, audit]",
            )
        ],
    )
    config = load_config(path)
    rules = reconciler_input(config)
    accounts = dict(config.all_accounts())
    targets = {str(t) for t, group, _ in rules["rules"] if group == "aws-platform-admins"}  # type: ignore[union-attr]
    assert targets == {
        accounts["retail-web-prod"].account_id or str(accounts["retail-web-prod"].email).lower(),
        accounts["audit"].account_id or str(accounts["audit"].email).lower(),
    }
    reached = _reached(rules, config, monkeypatch)
    assert reached[("aws-platform-admins", "AcmeAdministrator")] == {"retail-web-prod", "audit"}


def test_no_assignment_resource_and_no_nested_stack_one_owner(example_synth: Synth) -> None:
    """The reconciler owns every assignment: CloudFormation makes none, so the two can
    never fight over one (docs/identity.md, "Who owns which assignment")."""
    for template in example_synth.templates.values():
        assert not resources_of(template, "AWS::SSO::Assignment")
    assert not example_synth.nested_templates
    template = example_synth.templates["Acme-IdentityCenter"]
    assert not resources_of(template, "AWS::CloudFormation::Stack")


def test_the_reconciler_runs_alone_long_and_after_every_permission_set(
    example_synth: Synth,
) -> None:
    template = example_synth.templates["Acme-IdentityCenter"]
    logical, function = _reconciler(template)
    properties = function["Properties"]
    assert properties["ReservedConcurrentExecutions"] == 1
    assert properties["Timeout"] == 900
    (custom_id, custom) = next(
        iter(resources_of(template, "Custom::IdentityCenterAssignments").items())
    )
    assert custom["Properties"]["ServiceToken"] == {"Fn::GetAtt": [logical, "Arn"]}
    # CloudFormation's longest: it may queue behind a 15-minute run, then take 15.
    assert int(custom["Properties"]["ServiceTimeout"]) == 3600
    permission_sets = set(resources_of(template, "AWS::SSO::PermissionSet"))
    assert permission_sets <= set(custom["DependsOn"])
    # A failed asynchronous run is retried twice, then kept in the failure queue.
    (invoke_config,) = resources_of(template, "AWS::Lambda::EventInvokeConfig").values()
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 2
    destination = invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    (queue_id,) = resources_of(template, "AWS::SQS::Queue")
    assert destination == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert custom_id.startswith("Assignments")


def test_organizations_events_and_the_hourly_schedule_start_the_reconciler(
    example_synth: Synth,
) -> None:
    template = example_synth.templates["Acme-IdentityCenter"]
    logical, _ = _reconciler(template)
    rules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::Events::Rule").values()
    }
    events = rules["Acme-IdentityCenterAccountEvents"]
    assert events["EventPattern"] == {
        "source": ["aws.organizations"],
        "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
        "detail": {
            "eventSource": ["organizations.amazonaws.com"],
            "eventName": ["CreateAccountResult", "MoveAccount"],
        },
    }
    assert rules["Acme-IdentityCenterHourly"]["ScheduleExpression"] == "rate(1 hour)"
    # Its own stack settled (cleanup done): a full run.
    assert rules["Acme-IdentityCenterStackSettled"]["EventPattern"] == {
        "source": ["aws.cloudformation"],
        "detail-type": ["CloudFormation Stack Status Change"],
        "detail": {
            "stack-id": [{"Ref": "AWS::StackId"}],
            "status-details": {
                "status": ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]
            },
        },
    }
    for rule in rules.values():
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}
    # EventBridge may invoke it for these two rules only.
    permissions = resources_of(template, "AWS::Lambda::Permission").values()
    sources = sorted(
        p["Properties"]["SourceArn"]["Fn::GetAtt"][0]
        for p in permissions
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    )
    assert len(sources) == 3
    assert all(
        p["Properties"]["FunctionName"] == {"Fn::GetAtt": [logical, "Arn"]} for p in permissions
    )


def test_us_east_1_forwards_the_account_events_to_the_instance_region(
    example_synth: Synth,
) -> None:
    assert example_synth.config.identity.identity_center is not None
    assert example_synth.config.identity.identity_center.region == "eu-west-1"
    name = events_stack(example_synth.config)
    assert name == "Acme-IdentityCenterEvents"
    assert example_synth.stacks["identity_center_events"].region == "us-east-1"
    template = example_synth.templates[name]
    (rule,) = resources_of(template, "AWS::Events::Rule").values()
    main_rules = resources_of(example_synth.templates["Acme-IdentityCenter"], "AWS::Events::Rule")
    (main_events,) = (
        r
        for r in main_rules.values()
        if r["Properties"]["Name"] == "Acme-IdentityCenterAccountEvents"
    )
    assert rule["Properties"]["EventPattern"] == main_events["Properties"]["EventPattern"]
    (target,) = rule["Properties"]["Targets"]
    bus = {
        "Fn::Join": [
            "",
            ["arn:aws:events:eu-west-1:", {"Ref": "AWS::AccountId"}, ":event-bus/default"],
        ]
    }
    assert target["Arn"] == bus
    (role_id, role) = next(iter(resources_of(template, "AWS::IAM::Role").items()))
    assert target["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    (policy,) = resources_of(template, "AWS::IAM::Policy").values()
    (granted,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (granted["Action"], granted["Resource"]) == ("events:PutEvents", bus)


def test_without_assignments_the_reconciler_stays_to_revoke_what_they_gave() -> None:
    """Emptying the assignments is an Update of the custom resource, which revokes what the
    previous ones gave with continuations and the ledger. Without the reconciler it would be
    the custom resource's Delete in CloudFormation's cleanup: one 15-minute invocation,
    whose failure CloudFormation skips, and the function deleted right after."""
    from aws_cdk import App, Environment

    from landing_zone.stacks.identity_center_stack import IdentityCenterStack

    config = load_config(EXAMPLE)
    assert config.identity.identity_center is not None
    center = config.identity.identity_center.model_copy(update={"assignments": []})
    config = config.model_copy(
        update={"identity": config.identity.model_copy(update={"identity_center": center})}
    )
    app = App()
    IdentityCenterStack(
        app,
        "Acme-IdentityCenter",
        config=config,
        center=center,
        env=Environment(account=config.organization.management_account_id, region=center.region),
    )
    template = app.synth().get_stack_by_name("Acme-IdentityCenter").template
    _reconciler(template)
    (custom,) = resources_of(template, "Custom::IdentityCenterAssignments").values()
    assert reconciler_module.decode(custom["Properties"]["Rules"])["rules"] == []
    assert events_stack(config) == "Acme-IdentityCenterEvents"


def test_an_instance_in_us_east_1_needs_no_forwarding(tmp_path: Path) -> None:
    path = example_with(
        tmp_path,
        "    region: eu-west-1\n    permission_sets:",
        "    region: us-east-1\n    permission_sets:",
    )
    config = load_config(path)
    assert config.identity.identity_center is not None
    assert config.identity.identity_center.region == "us-east-1"
    assert events_stack(config) is None


def test_the_reconciler_is_granted_exactly_the_calls_it_makes(example_synth: Synth) -> None:
    calls = api_calls(LAMBDAS / "identity_center_reconciler.py")
    # botocore's Invoke operation is IAM's lambda:InvokeFunction.
    calls["lambda"] = {"lambda:InvokeFunction" for _ in calls.pop("lambda")}
    made = {action for service in calls.values() for action in needed(service)}
    granted = _granted_actions(example_synth.templates["Acme-IdentityCenter"])
    # Lambda itself writes a failed run to the failure queue, with the function's role.
    assert {a for a in granted if a.startswith("sqs:")} == {
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage",
    }
    assert {a for a in granted if not a.startswith("sqs:")} == made
    assert not any(a.startswith("iam:") for a in made)


def test_rules_too_large_for_the_function_environment_are_refused(tmp_path: Path) -> None:
    data = make_org(accounts=400, business_units=2)
    accounts = list(data["workload_accounts"])
    data["identity"]["identity_center"]["assignments"] = [
        {
            # Names that do not compress: as SCIM-synced groups with ids in them can be.
            "group": hashlib.sha256(str(i).encode()).hexdigest()[:24],
            "permission_set": "admin",
            "targets": [accounts[i % len(accounts)]],
        }
        for i in range(400)
    ]
    problems = problems_of(write_yaml(tmp_path / "org.yaml", data))
    assert any(
        re.search(
            r"identity\.identity_center\.assignments: the assignment rules take [\d,]+ bytes "
            r"compressed; the reconciler's environment holds [\d,]+",
            line,
        )
        for line in problems
    ), problems


def test_the_encoding_is_deterministic_and_compact() -> None:
    config = load_config(EXAMPLE)
    document = reconciler_input(config)
    assert encode(document) == encode(json.loads(json.dumps(document)))
    assert len(encode(document)) < MAX_ENCODED_RULES / 4


def test_the_summary_says_who_can_reach_what() -> None:
    lines = identity_center_lines(load_config(EXAMPLE))
    text = "\n".join(lines)
    assert "aws-security-auditors -> AcmeSecurityAudit on root (11 accounts of this config)" in text
    assert "aws-finops            -> AcmeBilling on root (11 accounts of this config)" in text
    assert lines[-1].startswith("  kept so by Acme-IdentityCenterReconciler: at each deploy")


def test_a_suspended_ou_is_reached_only_by_rules_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root rules skip an OU under the deny-all guardrail (every session there is denied
    everything); a rule naming it, or the account, still reaches it."""
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[
            (
                "permission_set: billing\n        targets: [root]",
                "permission_set: billing\n        targets: [root, suspended]",
            ),
            (
                "workload_accounts:\n",
                "workload_accounts:\n  parked:\n    name: Acme-Parked\n"
                "    email: aws+parked@acme.example\n    ou: suspended\n",
            ),
        ],
    )
    config = load_config(path)
    rules = reconciler_input(config)
    assert rules["excluded"] == [["Suspended"]]
    reached = _reached(rules, config, monkeypatch)
    assert "parked" not in reached[("aws-security-auditors", "AcmeSecurityAudit")]
    assert "parked" in reached[("aws-finops", "AcmeBilling")]
    # The summary counts what the reconciler reaches.
    counts = {(g, p): n for g, _, p, n in who_can_reach_what(config)}
    assert counts[("aws-security-auditors", "AcmeSecurityAudit")] == len(
        reached[("aws-security-auditors", "AcmeSecurityAudit")]
    )
    assert counts[("aws-finops", "AcmeBilling")] == len(reached[("aws-finops", "AcmeBilling")])
