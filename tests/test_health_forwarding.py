"""Member accounts' AWS Health key-exposure events reach the audit account's remediation rule.

The forwarding rule (StackSet ``Acme-HealthEventsForward``), its role and the
audit bus policy, read from the example's synthesized templates: the rule
matches the documented sample and nothing near it, the role is EventBridge's
for that rule alone, the bus accepts only the organization's forwarders'
AWS Health events, and the remediation rule takes the event as it arrives.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from landing_zone.app import build_landing_zone
from landing_zone.config import load_config
from landing_zone.config.health_events import health_event_regions_known
from landing_zone.guardrails.evaluate import Request, resource_policy_decision
from landing_zone.remediation import health_forwarding as health
from landing_zone.remediation.playbooks import BY_KEY, event_pattern
from tests.cfn_resolve import Resolver
from tests.conftest import EXAMPLE, Synth, cdk_context
from tests.event_patterns import matches
from tests.templates import resources_of
from tests.variants import BUSINESS_UNIT, variant

FIXTURE = Path(__file__).parent / "fixtures" / "remediation" / "health-credentials-exposed.json"
ORG = "o-a1b2c3d4e5"
AUDIT = "444444444444"
MEMBER = "555555555555"
HOME = "eu-west-1"


def sample() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


@pytest.fixture(scope="module")
def forward_template(example_synth: Synth) -> dict[str, Any]:
    return example_synth.stackset_templates["Acme-HealthEvents/Template"]


@pytest.fixture(scope="module")
def stack_set(example_synth: Synth) -> dict[str, Any]:
    (resource,) = resources_of(
        example_synth.templates["Acme-HealthEvents"], "AWS::CloudFormation::StackSet"
    ).values()
    properties: dict[str, Any] = resource["Properties"]
    return properties


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = resources_of(template, kind).values()
    return resource


# ---- the rule ------------------------------------------------------------------------------


def test_the_forwarding_rule_matches_the_documented_sample(
    forward_template: dict[str, Any],
) -> None:
    rule = _one(forward_template, "AWS::Events::Rule")["Properties"]
    assert rule["Name"] == "Acme-HealthEventsForward"
    assert rule["EventPattern"] == {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["RISK"], "eventTypeCode": ["AWS_RISK_CREDENTIALS_EXPOSED"]},
    }
    assert matches(rule["EventPattern"], sample())


def _near_misses() -> Iterator[tuple[str, dict[str, Any]]]:
    def edited(path: tuple[str, ...], value: Any) -> dict[str, Any]:
        event = sample()
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return event

    yield "another-risk-event", edited(("detail", "eventTypeCode"), "AWS_RISK_IAM_QUARANTINE")
    yield "another-service", edited(("detail", "service"), "EC2")
    yield "abuse-event", edited(("detail-type",), "AWS Health Abuse Event")
    yield "health-api-call", edited(("detail-type",), "AWS API Call via CloudTrail")
    # What PutEvents could send: any source but aws.*
    yield "custom-source", edited(("source",), "com.example.health")
    yield "prefix-of-source", edited(("source",), "aws.healthy")


@pytest.mark.parametrize(
    "event", [e for _, e in _near_misses()], ids=[n for n, _ in _near_misses()]
)
def test_the_forwarding_rule_ignores_near_misses(
    forward_template: dict[str, Any], event: dict[str, Any]
) -> None:
    rule = _one(forward_template, "AWS::Events::Rule")["Properties"]
    assert not matches(rule["EventPattern"], event)


def test_the_remediation_rule_takes_the_forwarded_event_as_it_arrives(
    example_synth: Synth,
) -> None:
    # The event keeps its source and detail; its account is the member's
    # (the forwarding account is the affected one either way) and its region
    # the one Health emitted it in.
    forwarded = {**sample(), "account": MEMBER, "region": "us-west-2"}
    template = example_synth.stackset_templates["Acme-Audit/RemediationTemplate"]
    rules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::Events::Rule").values()
    }
    rule = rules["Acme-RemediationExposedAccessKey"]
    assert rule["EventPattern"] == event_pattern(BY_KEY["exposed-access-key"])
    assert matches(rule["EventPattern"], forwarded)
    assert not rule.get("EventBusName"), "the default bus: where the forwarders put the events"


def test_the_rule_targets_the_audit_home_bus_through_its_role(
    forward_template: dict[str, Any],
) -> None:
    resolve = Resolver(
        forward_template, account=MEMBER, region="us-east-1", parameters={"AuditAccountId": AUDIT}
    )
    rule = _one(forward_template, "AWS::Events::Rule")["Properties"]
    (target,) = rule["Targets"]
    assert resolve(target["Arn"]) == f"arn:aws:events:{HOME}:{AUDIT}:event-bus/default"
    role = _one(forward_template, "AWS::IAM::Role")["Properties"]
    assert resolve(role["RoleName"]) == "Acme-HealthEventsForwarder-us-east-1"
    (policy,) = role["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert resolve(statement["Resource"]) == f"arn:aws:events:{HOME}:{AUDIT}:event-bus/default"


# ---- the role ------------------------------------------------------------------------------


def _assume(source_account: str, source_arn: str) -> Request:
    return Request(
        "sts:AssumeRole",
        "*",
        {
            "aws:SourceAccount": source_account,
            "aws:SourceArn": source_arn,
            "aws:PrincipalIsAWSService": "true",
        },
        principal=("Service", "events.amazonaws.com"),
    )


def test_only_the_forwarding_rule_of_the_account_may_have_eventbridge_assume_the_role(
    forward_template: dict[str, Any],
) -> None:
    resolve = Resolver(
        forward_template, account=MEMBER, region="us-east-1", parameters={"AuditAccountId": AUDIT}
    )
    trust = resolve(
        _one(forward_template, "AWS::IAM::Role")["Properties"]["AssumeRolePolicyDocument"]
    )
    document = {**trust, "Statement": [{**s, "Resource": "*"} for s in trust["Statement"]]}
    rule = f"arn:aws:events:us-east-1:{MEMBER}:rule/Acme-HealthEventsForward"
    assert resource_policy_decision(document, _assume(MEMBER, rule)) == "allow"
    for account, arn in (
        (MEMBER, f"arn:aws:events:us-east-1:{MEMBER}:rule/SomeoneElsesRule"),
        (MEMBER, f"arn:aws:events:us-west-2:{MEMBER}:rule/Acme-HealthEventsForward"),
        ("999999999999", "arn:aws:events:us-east-1:999999999999:rule/Acme-HealthEventsForward"),
    ):
        assert resource_policy_decision(document, _assume(account, arn)) != "allow", arn


# ---- the audit bus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bus_policy(example_synth: Synth) -> dict[str, Any]:
    template = example_synth.stackset_templates["Acme-Audit/RemediationTemplate"]
    policy = _one(template, "AWS::Events::EventBusPolicy")["Properties"]
    assert policy["EventBusName"] == "default"
    assert policy["StatementId"] == health.STATEMENT_ID
    resolve = Resolver(
        template, account=AUDIT, region=HOME, parameters={"LogArchiveAccountId": "333333333333"}
    )
    return {"Statement": [resolve(policy["Statement"])]}


def _put(
    *,
    role: str = f"arn:aws:iam::{MEMBER}:role/Acme-HealthEventsForwarder-us-east-1",
    org: str = ORG,
    source: str = "aws.health",
    detail_type: str = "AWS Health Event",
) -> Request:
    account = role.split(":")[4]
    return Request(
        "events:PutEvents",
        f"arn:aws:events:{HOME}:{AUDIT}:event-bus/default",
        {
            "aws:PrincipalOrgID": org,
            "aws:PrincipalAccount": account,
            "aws:PrincipalArn": role,
            "aws:PrincipalIsAWSService": "false",
            "events:source": source,
            "events:detail-type": detail_type,
        },
        principal=("AWS", role),
    )


def test_the_bus_accepts_the_organizations_forwarders_health_events(
    bus_policy: dict[str, Any],
) -> None:
    for region in ("us-east-1", "us-west-2"):
        role = f"arn:aws:iam::{MEMBER}:role/Acme-HealthEventsForwarder-{region}"
        assert resource_policy_decision(bus_policy, _put(role=role)) == "allow"


@pytest.mark.parametrize(
    "forged",
    [
        _put(
            org="o-zz9999zz99", role="arn:aws:iam::999999999999:role/Acme-HealthEventsForwarder-x"
        ),
        _put(role=f"arn:aws:iam::{MEMBER}:role/WorkloadAdmin"),
        _put(role=f"arn:aws:iam::{MEMBER}:role/Acme-RemediationFunction"),
        _put(source="com.example.health"),
        _put(detail_type="AWS Health Abuse Event"),
    ],
    ids=[
        "another-organization",
        "a-workload-role",
        "another-landing-zone-role",
        "another-source",
        "another-detail-type",
    ],
)
def test_the_bus_refuses_anything_else(bus_policy: dict[str, Any], forged: Request) -> None:
    assert resource_policy_decision(bus_policy, forged) != "allow"


# ---- where it deploys ----------------------------------------------------------------------


def test_the_stack_set_reaches_the_member_baselines_accounts_in_the_health_regions(
    example_synth: Synth, stack_set: dict[str, Any]
) -> None:
    (baseline,) = (
        stack_set_
        for stack_set_ in resources_of(
            example_synth.templates["Acme-MemberBaseline"], "AWS::CloudFormation::StackSet"
        ).values()
        if stack_set_["Properties"]["StackSetName"] == "Acme-MemberBaseline"
    )
    (mine,) = stack_set["StackInstancesGroup"]
    (theirs,) = baseline["Properties"]["StackInstancesGroup"]
    assert stack_set["StackSetName"] == "Acme-HealthEventsForward"
    assert mine["DeploymentTargets"] == theirs["DeploymentTargets"]
    assert mine["Regions"] == ["us-east-1", "us-west-2"]
    assert stack_set["AutoDeployment"]["Enabled"] is True
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}.keys() == {
        "AuditAccountId"
    }


def test_nothing_is_created_in_the_audit_accounts_home_region(
    forward_template: dict[str, Any],
) -> None:
    # There the events already are on the bus, and a rule cannot target its own bus.
    (name,) = forward_template["Conditions"]
    for resource in forward_template["Resources"].values():
        if resource["Type"] in ("AWS::Events::Rule", "AWS::IAM::Role"):
            assert resource["Condition"] == name
    expression = json.dumps(forward_template["Conditions"][name])
    assert '"Ref": "AuditAccountId"' in expression
    assert f'"{HOME}"' in expression
    assert '"Fn::Not"' in expression


def _stacks(config_path: Path) -> dict[str, Any]:
    app = App(context=cdk_context())
    return build_landing_zone(app, config=load_config(config_path))


def test_no_forwarding_when_the_playbook_is_off(tmp_path: Path) -> None:
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[("    exposed-access-key: dry-run\n", "    exposed-access-key: 'off'\n")],
    )
    stacks = _stacks(path)
    assert "health_events" not in stacks
    assert stacks["audit"].remediation_template.health_bus_policy is None
    assert "health_events" in _stacks(EXAMPLE)


def test_no_forwarding_in_a_business_unit() -> None:
    assert not health.forwarding_enabled(load_config(BUSINESS_UNIT))


def test_a_partition_without_documented_health_regions_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load_config(EXAMPLE)
    assert list(health_event_regions_known(config)) == []
    monkeypatch.delitem(health.GLOBAL_EVENT_REGIONS, "aws")
    (problem,) = health_event_regions_known(config)
    assert problem.location == ("remediation", "playbooks", "exposed-access-key")
    off = copy.deepcopy(config)
    off.remediation.playbooks["exposed-access-key"] = "off"
    assert list(health_event_regions_known(off)) == []
