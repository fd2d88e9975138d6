"""The audit account's detection custom resource: create, again, update, delete, errors.

botocore Stubber answers every call (and checks each request against the
service model); the inline code the StackSet ships is exercised too.
"""

from __future__ import annotations

from typing import Any

import pytest

from landing_zone.constructs import inline_code
from landing_zone.lambdas import organization_detection as handler_module
from tests.custom_resources import Captured, Run, StubbedClients, cfn_event, load_inline

REGION = "eu-central-1"
AUDIT = "222222222222"
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"
GRAPH = f"arn:aws:detective:{REGION}:{AUDIT}:graph:0123456789abcdef0123456789abcdef"
FEATURES = {
    "S3_DATA_EVENTS": "true",
    "EKS_AUDIT_LOGS": "false",
    "RUNTIME_MONITORING": "true",
    "EBS_MALWARE_PROTECTION": "true",
    "RDS_LOGIN_EVENTS": "true",
    "LAMBDA_NETWORK_LOGS": "true",
}
ACCOUNTS = [
    {"Id": "111111111111", "Email": "aws+management@acme.example", "Status": "ACTIVE"},
    {"Id": AUDIT, "Email": "aws+audit@acme.example", "Status": "ACTIVE"},
    {"Id": "444444444444", "Email": "aws+one@acme.example", "Status": "ACTIVE"},
    {"Id": "555555555555", "Email": "aws+gone@acme.example", "Status": "SUSPENDED"},
]


def event(request: str, service: str, **properties: Any) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id=f"arn:aws:cloudformation:{REGION}:{AUDIT}:stack/StackSet-Acme-AuditRegional/x",
        logical_id=service,
        resource_type=f"Custom::{service}Org",
        properties={"Service": service, **properties},
        physical_id=f"{service}/{REGION}",
    )


def organization(aws: StubbedClients) -> None:
    aws("sts").add_response(
        "get_caller_identity",
        {"Account": AUDIT, "Arn": f"arn:aws:sts::{AUDIT}:assumed-role/x/y", "UserId": "x"},
    )
    aws("organizations").add_response("list_accounts", {"Accounts": ACCOUNTS[:2], "NextToken": "t"})
    aws("organizations").add_response(
        "list_accounts", {"Accounts": ACCOUNTS[2:]}, {"NextToken": "t"}
    )


# ---- GuardDuty -------------------------------------------------------------------------------


def guardduty_calls(aws: StubbedClients, *, auto_enable: str = "ALL") -> None:
    stub = aws("guardduty")
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR]})
    agents = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
    stub.add_response(
        "update_detector",
        {},
        {
            "DetectorId": DETECTOR,
            "Enable": True,
            "FindingPublishingFrequency": "FIFTEEN_MINUTES",
            "Features": [
                {"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"},
                {"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"},
                {"Name": "LAMBDA_NETWORK_LOGS", "Status": "ENABLED"},
                {"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"},
                {
                    "Name": "RUNTIME_MONITORING",
                    "Status": "ENABLED",
                    "AdditionalConfiguration": [{"Name": a, "Status": "ENABLED"} for a in agents],
                },
                {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
            ],
        },
    )
    stub.add_response(
        "update_organization_configuration",
        {},
        {
            "DetectorId": DETECTOR,
            "AutoEnableOrganizationMembers": auto_enable,
            "Features": [
                {"Name": "EBS_MALWARE_PROTECTION", "AutoEnable": "ALL"},
                {"Name": "EKS_AUDIT_LOGS", "AutoEnable": "NONE"},
                {"Name": "LAMBDA_NETWORK_LOGS", "AutoEnable": "ALL"},
                {"Name": "RDS_LOGIN_EVENTS", "AutoEnable": "ALL"},
                {
                    "Name": "RUNTIME_MONITORING",
                    "AutoEnable": "ALL",
                    "AdditionalConfiguration": [{"Name": a, "AutoEnable": "ALL"} for a in agents],
                },
                {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
            ],
        },
    )


def test_guardduty_enables_every_account_with_the_configured_plans(
    aws: StubbedClients, run: Run
) -> None:
    guardduty_calls(aws)
    answer = run(event("Create", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"GuardDuty/{REGION}"
    assert answer["Data"] == {"DetectorId": DETECTOR}
    aws.verify()


def test_guardduty_applied_again_makes_the_same_calls(aws: StubbedClients, run: Run) -> None:
    guardduty_calls(aws)
    guardduty_calls(aws)
    run(event("Create", "GuardDuty", Features=FEATURES))
    answer = run(event("Update", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"GuardDuty/{REGION}"  # never replaced
    aws.verify()


def test_guardduty_waits_for_the_detector_then_gives_up_clearly(
    aws: StubbedClients, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clock: 60 s left twice, then 1 (sleep is instant in tests).
    clock = iter([60.0, 60.0, 1.0])
    monkeypatch.setattr(handler_module, "seconds_left", lambda deadline: next(clock))
    for _ in range(3):
        aws("guardduty").add_response("list_detectors", {"DetectorIds": []})
    answer = run(event("Create", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "FAILED"
    assert "no GuardDuty detector" in answer["Reason"]
    aws.verify()  # it looked three times before giving up


def test_guardduty_delete_stops_auto_enable_only(aws: StubbedClients, run: Run) -> None:
    stub = aws("guardduty")
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR]})
    stub.add_response(
        "update_organization_configuration",
        {},
        {"DetectorId": DETECTOR, "AutoEnableOrganizationMembers": "NONE"},
    )
    answer = run(event("Delete", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()  # and no member was disabled


def test_delete_after_the_administrator_was_removed_succeeds(aws: StubbedClients, run: Run) -> None:
    stub = aws("guardduty")
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR]})
    stub.add_client_error("update_organization_configuration", "BadRequestException")
    answer = run(event("Delete", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "SUCCESS", answer["Reason"]


def test_guardduty_api_error_fails_the_resource(aws: StubbedClients, run: Run) -> None:
    stub = aws("guardduty")
    stub.add_response("list_detectors", {"DetectorIds": [DETECTOR]})
    stub.add_client_error("update_detector", "AccessDeniedException", "denied by an SCP")
    answer = run(event("Create", "GuardDuty", Features=FEATURES))
    assert answer["Status"] == "FAILED"
    assert "denied by an SCP" in answer["Reason"]


def test_guardduty_without_features_fails_clearly(aws: StubbedClients, run: Run) -> None:
    answer = run(event("Create", "GuardDuty"))
    assert answer["Status"] == "FAILED"
    assert "Features" in answer["Reason"]


# ---- KeyArn ---------------------------------------------------------------------------------


def test_key_alias_resolves_to_the_key_arn(aws: StubbedClients, run: Run) -> None:
    alias = "arn:aws:kms:eu-west-1:333333333333:alias/acme/landing-zone/log-archive"
    arn = "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    # The function runs in REGION; the key lives in the log archive's home region.
    aws("kms", "eu-west-1").add_response(
        "describe_key", {"KeyMetadata": {"KeyId": "1234", "Arn": arn}}, {"KeyId": alias}
    )
    answer = run(event("Create", "KeyArn", KeyId=alias))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Arn": arn}
    assert answer["PhysicalResourceId"] == f"KeyArn/{alias}"
    # Delete undoes nothing.
    answer = run(event("Delete", "KeyArn", KeyId=alias))
    assert answer["Status"] == "SUCCESS"
    aws.verify()


# ---- Inspector ------------------------------------------------------------------------------


def test_inspector_enables_this_account_new_ones_and_every_existing_one(
    aws: StubbedClients, run: Run
) -> None:
    types_ = ["EC2", "ECR", "LAMBDA"]
    aws("sts").add_response(
        "get_caller_identity",
        {"Account": AUDIT, "Arn": f"arn:aws:sts::{AUDIT}:assumed-role/x/y", "UserId": "x"},
    )
    stub = aws("inspector2")
    stub.add_response(
        "enable",
        {"accounts": [], "failedAccounts": []},
        {"accountIds": [AUDIT], "resourceTypes": types_},
    )
    stub.add_response(
        "update_organization_configuration",
        {"autoEnable": {"ec2": True, "ecr": True}},
        {"autoEnable": {"ec2": True, "ecr": True, "lambda": True, "lambdaCode": False}},
    )
    organization(aws)
    stub.add_response(
        "list_members",
        {"members": [{"accountId": "111111111111", "relationshipStatus": "ENABLED"}]},
        {"onlyAssociated": False},
    )
    stub.add_response(
        "associate_member", {"accountId": "444444444444"}, {"accountId": "444444444444"}
    )
    stub.add_response(
        "enable",
        {
            "accounts": [],
            "failedAccounts": [
                {"accountId": "444444444444", "errorCode": "ACCESS_DENIED", "errorMessage": "x"}
            ],
        },
        {"accountIds": ["111111111111", "444444444444"], "resourceTypes": types_},
    )
    answer = run(event("Create", "Inspector", ResourceTypes=types_))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    # One account refused (e.g. being closed) must not fail the organization.
    assert answer["Data"] == {"Accounts": "3", "Failed": "1"}
    aws.verify()


def test_inspector_delete_turns_auto_enable_off(aws: StubbedClients, run: Run) -> None:
    aws("inspector2").add_response(
        "update_organization_configuration",
        {"autoEnable": {"ec2": False, "ecr": False}},
        {"autoEnable": {"ec2": False, "ecr": False, "lambda": False, "lambdaCode": False}},
    )
    answer = run(event("Delete", "Inspector", ResourceTypes=["EC2"]))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_inspector_with_an_unknown_scan_type_fails(aws: StubbedClients, run: Run) -> None:
    answer = run(event("Create", "Inspector", ResourceTypes=["EC3"]))
    assert answer["Status"] == "FAILED"
    assert "ResourceTypes" in answer["Reason"]


# ---- Macie ----------------------------------------------------------------------------------


def test_macie_enrolls_existing_accounts_once(aws: StubbedClients, run: Run) -> None:
    stub = aws("macie2")
    stub.add_response(
        "update_macie_session",
        {},
        {"findingPublishingFrequency": "FIFTEEN_MINUTES", "status": "ENABLED"},
    )
    stub.add_response("update_organization_configuration", {}, {"autoEnable": True})
    organization(aws)
    stub.add_response(
        "list_members",
        {"members": [{"accountId": "444444444444", "relationshipStatus": "Enabled"}]},
        {"onlyAssociated": "false"},
    )
    stub.add_response(
        "create_member",
        {"arn": "arn:aws:macie2:x"},
        {"account": {"accountId": "111111111111", "email": "aws+management@acme.example"}},
    )
    answer = run(event("Create", "Macie", FindingPublishingFrequency="FIFTEEN_MINUTES"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Accounts": "3", "Enrolled": "1"}
    aws.verify()


def test_macie_delete_turns_auto_enable_off(aws: StubbedClients, run: Run) -> None:
    aws("macie2").add_response("update_organization_configuration", {}, {"autoEnable": False})
    answer = run(event("Delete", "Macie"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


# ---- Detective ------------------------------------------------------------------------------


def test_detective_adds_every_missing_account_in_batches(
    aws: StubbedClients, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler_module, "DETECTIVE_BATCH", 1)
    stub = aws("detective")
    stub.add_response("list_graphs", {"GraphList": [{"Arn": GRAPH}]})
    stub.add_response(
        "update_organization_configuration", {}, {"GraphArn": GRAPH, "AutoEnable": True}
    )
    organization(aws)
    stub.add_response("list_members", {"MemberDetails": []}, {"GraphArn": GRAPH})
    for account in ACCOUNTS:
        if account["Id"] in ("111111111111", "444444444444"):
            stub.add_response(
                "create_members",
                {"Members": [], "UnprocessedAccounts": []},
                {
                    "GraphArn": GRAPH,
                    "Accounts": [{"AccountId": account["Id"], "EmailAddress": account["Email"]}],
                },
            )
    answer = run(event("Create", "Detective"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"GraphArn": GRAPH, "Enrolled": "2"}
    aws.verify()


def test_detective_delete_turns_auto_enable_off(aws: StubbedClients, run: Run) -> None:
    stub = aws("detective")
    stub.add_response("list_graphs", {"GraphList": [{"Arn": GRAPH}]})
    stub.add_response(
        "update_organization_configuration", {}, {"GraphArn": GRAPH, "AutoEnable": False}
    )
    answer = run(event("Delete", "Detective"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_enrolment_out_of_time_fails_and_says_to_deploy_again(
    aws: StubbedClients, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = aws("detective")
    stub.add_response("list_graphs", {"GraphList": [{"Arn": GRAPH}]})
    stub.add_response("update_organization_configuration", {})
    organization(aws)
    stub.add_response("list_members", {"MemberDetails": []})
    monkeypatch.setattr(handler_module, "seconds_left", lambda deadline: 1.0)
    answer = run(event("Create", "Detective"))
    assert answer["Status"] == "FAILED"
    assert "enrolled 0 of 2" in answer["Reason"]
    assert "deploy again" in answer["Reason"]


# ---- bad input, and the code that ships --------------------------------------------------------


def test_unknown_service_fails_clearly(aws: StubbedClients, run: Run) -> None:
    answer = run(event("Create", "SecurityHub"))
    assert answer["Status"] == "FAILED"
    assert "GuardDuty" in answer["Reason"]


def test_the_inline_code_runs_and_answers(
    monkeypatch: pytest.MonkeyPatch, responses: Captured, run: Run
) -> None:
    source = inline_code.inline_handler("organization_detection")
    module = load_inline("organization_detection")
    clients = StubbedClients(monkeypatch, module, REGION)
    monkeypatch.setattr(module.urllib.request, "urlopen", responses)
    arn = "arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    clients("kms", "eu-west-1").add_response(
        "describe_key", {"KeyMetadata": {"KeyId": "1", "Arn": arn}}
    )
    alias = "arn:aws:kms:eu-west-1:333333333333:alias/a"
    answer = run(event("Create", "KeyArn", KeyId=alias), module.handler)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Arn": arn}
    assert "def _guardduty" in source
    assert "def respond" in source
