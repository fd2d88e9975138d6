"""The delegated-administrator custom resource: create, create again, update, delete, errors.

Every AWS answer comes from botocore Stubber (moto models none of these
designation APIs), which also checks each request against the service model.
"""

from __future__ import annotations

from typing import Any

import pytest

from landing_zone.lambdas import delegated_admin as handler_module
from tests.custom_resources import (
    RESPONSE_URL,
    Captured,
    Context,
    StubbedClients,
    capture_responses,
)

REGION = "eu-central-1"
AUDIT = "222222222222"
OTHER = "333333333333"


@pytest.fixture
def responses(monkeypatch: pytest.MonkeyPatch) -> Captured:
    return capture_responses(monkeypatch, handler_module)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> StubbedClients:
    return StubbedClients(monkeypatch, handler_module, REGION)


def event(request: str, service: str, account: str = AUDIT, **properties: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RequestType": request,
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:eu-central-1:111111111111:stack/Acme-DetectionAdmin/x",
        "RequestId": "req-1",
        "LogicalResourceId": "Registration",
        "ResourceType": "Custom::DelegatedAdministrator",
        "ResourceProperties": {
            "ServiceToken": "arn:...",
            "Service": service,
            "AccountId": account,
            **properties,
        },
    }
    if request != "Create":
        body["PhysicalResourceId"] = f"{service}/{REGION}/{AUDIT}"
    return body


def run(body: dict[str, Any], responses: Captured) -> dict[str, Any]:
    handler_module.handler(body, Context())
    return responses.last


# ---- Organizations registrations (Config, Access Analyzer) ----------------------------------


def test_organizations_registration_is_made(aws: StubbedClients, responses: Captured) -> None:
    aws("organizations").add_response(
        "register_delegated_administrator",
        {},
        {"AccountId": AUDIT, "ServicePrincipal": "config.amazonaws.com"},
    )
    answer = run(
        event("Create", "organizations", ServicePrincipal="config.amazonaws.com"), responses
    )
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"organizations/config.amazonaws.com/{AUDIT}"
    assert answer["Data"] == {"AccountId": AUDIT, "Status": "REGISTERED"}
    aws.verify()


def test_organizations_registration_twice_is_success(
    aws: StubbedClients, responses: Captured
) -> None:
    aws("organizations").add_client_error(
        "register_delegated_administrator", "AccountAlreadyRegisteredException"
    )
    answer = run(
        event("Create", "organizations", ServicePrincipal="config.amazonaws.com"), responses
    )
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_REGISTERED"


def test_organizations_concurrent_change_is_retried(
    aws: StubbedClients, responses: Captured
) -> None:
    stub = aws("organizations")
    stub.add_client_error("register_delegated_administrator", "ConcurrentModificationException")
    stub.add_response("register_delegated_administrator", {})
    answer = run(
        event("Create", "organizations", ServicePrincipal="access-analyzer.amazonaws.com"),
        responses,
    )
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_organizations_without_a_principal_fails_clearly(
    aws: StubbedClients, responses: Captured
) -> None:
    answer = run(event("Create", "organizations"), responses)
    assert answer["Status"] == "FAILED"
    assert "ServicePrincipal" in answer["Reason"]


# ---- GuardDuty -------------------------------------------------------------------------------


def test_guardduty_admin_is_designated(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("guardduty")
    stub.add_response("list_organization_admin_accounts", {"AdminAccounts": []})
    stub.add_response("enable_organization_admin_account", {}, {"AdminAccountId": AUDIT})
    answer = run(event("Create", "guardduty"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"guardduty/{REGION}/{AUDIT}"
    assert answer["Data"]["Status"] == "ENABLED"
    aws.verify()


def test_guardduty_designated_again_is_a_no_op(aws: StubbedClients, responses: Captured) -> None:
    aws("guardduty").add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": AUDIT, "AdminStatus": "ENABLED"}]},
    )
    answer = run(event("Update", "guardduty"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"
    aws.verify()  # and no enable call was made


def test_guardduty_with_another_admin_fails_and_says_how_to_fix(
    aws: StubbedClients, responses: Captured
) -> None:
    aws("guardduty").add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": OTHER, "AdminStatus": "ENABLED"}]},
    )
    answer = run(event("Create", "guardduty"), responses)
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]
    assert AUDIT in answer["Reason"]
    assert "remove" in answer["Reason"]
    assert REGION in answer["Reason"]


def test_guardduty_api_error_fails_the_resource(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("guardduty")
    stub.add_response("list_organization_admin_accounts", {"AdminAccounts": []})
    stub.add_client_error(
        "enable_organization_admin_account", "AccessDeniedException", "not allowed"
    )
    answer = run(event("Create", "guardduty"), responses)
    assert answer["Status"] == "FAILED"
    assert "AccessDenied" in answer["Reason"]


# ---- Inspector -------------------------------------------------------------------------------


def test_inspector_admin_is_designated_when_none_exists(
    aws: StubbedClients, responses: Captured
) -> None:
    stub = aws("inspector2")
    stub.add_client_error("get_delegated_admin_account", "ResourceNotFoundException")
    stub.add_response(
        "enable_delegated_admin_account",
        {"delegatedAdminAccountId": AUDIT},
        {"delegatedAdminAccountId": AUDIT},
    )
    answer = run(event("Create", "inspector2"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ENABLED"
    aws.verify()


def test_inspector_already_designated_is_a_no_op(aws: StubbedClients, responses: Captured) -> None:
    aws("inspector2").add_response(
        "get_delegated_admin_account",
        {"delegatedAdmin": {"accountId": AUDIT, "relationshipStatus": "ENABLED"}},
    )
    answer = run(event("Create", "inspector2"), responses)
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"
    aws.verify()


def test_inspector_with_another_admin_fails(aws: StubbedClients, responses: Captured) -> None:
    aws("inspector2").add_response(
        "get_delegated_admin_account",
        {"delegatedAdmin": {"accountId": OTHER, "relationshipStatus": "ENABLED"}},
    )
    answer = run(event("Create", "inspector2"), responses)
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]


def test_inspector_race_with_a_concurrent_designation_is_success(
    aws: StubbedClients, responses: Captured
) -> None:
    stub = aws("inspector2")
    stub.add_client_error("get_delegated_admin_account", "ResourceNotFoundException")
    stub.add_client_error("enable_delegated_admin_account", "ConflictException")
    answer = run(event("Create", "inspector2"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"


# ---- Macie ----------------------------------------------------------------------------------


def test_macie_admin_is_designated(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("macie2")
    stub.add_response("list_organization_admin_accounts", {"adminAccounts": []})
    stub.add_response("enable_organization_admin_account", {}, {"adminAccountId": AUDIT})
    answer = run(event("Create", "macie2"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_macie_with_another_admin_fails(aws: StubbedClients, responses: Captured) -> None:
    aws("macie2").add_response(
        "list_organization_admin_accounts",
        {"adminAccounts": [{"accountId": OTHER, "status": "ENABLED"}]},
    )
    answer = run(event("Create", "macie2"), responses)
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]


# ---- Delete, bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["guardduty", "inspector2", "macie2", "organizations"])
def test_delete_keeps_the_administrator(
    aws: StubbedClients, responses: Captured, service: str
) -> None:
    answer = run(event("Delete", service, ServicePrincipal="config.amazonaws.com"), responses)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert aws.stubbers == {}  # not a single AWS call


@pytest.mark.parametrize(
    ("service", "account", "expected"),
    [("securityhub", AUDIT, "Service"), ("guardduty", "12345", "AccountId")],
)
def test_bad_properties_fail_clearly(
    aws: StubbedClients, responses: Captured, service: str, account: str, expected: str
) -> None:
    answer = run(event("Create", service, account), responses)
    assert answer["Status"] == "FAILED"
    assert expected in answer["Reason"]
