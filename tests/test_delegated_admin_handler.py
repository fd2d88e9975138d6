"""The delegated-administrator custom resource: create, create again, update, delete, errors.

Every AWS answer comes from botocore Stubber (moto models none of these
designation APIs), which also checks each request against the service model.
"""

from __future__ import annotations

from typing import Any

import pytest

# The handler fixtures (responses, run, aws) in conftest.py call handler_module.
from landing_zone.lambdas import delegated_admin as handler_module  # noqa: F401
from tests.custom_resources import Run, StubbedClients, cfn_event

REGION = "eu-central-1"
AUDIT = "222222222222"
OTHER = "333333333333"


def event(request: str, service: str, account: str = AUDIT, **properties: str) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id="arn:aws:cloudformation:eu-central-1:111111111111:stack/Acme-DetectionAdmin/x",
        logical_id="Registration",
        resource_type="Custom::DelegatedAdministrator",
        properties={"Service": service, "AccountId": account, **properties},
        physical_id=f"{service}/{REGION}/{AUDIT}",
    )


# ---- Organizations registrations (Config, Access Analyzer) ----------------------------------


def test_organizations_registration_is_made(aws: StubbedClients, run: Run) -> None:
    aws("organizations").add_response(
        "register_delegated_administrator",
        {},
        {"AccountId": AUDIT, "ServicePrincipal": "config.amazonaws.com"},
    )
    answer = run(event("Create", "organizations", ServicePrincipal="config.amazonaws.com"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"organizations/config.amazonaws.com/{AUDIT}"
    assert answer["Data"] == {"AccountId": AUDIT, "Status": "REGISTERED"}
    aws.verify()


def test_organizations_registration_twice_is_success(aws: StubbedClients, run: Run) -> None:
    aws("organizations").add_client_error(
        "register_delegated_administrator", "AccountAlreadyRegisteredException"
    )
    answer = run(event("Create", "organizations", ServicePrincipal="config.amazonaws.com"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_REGISTERED"


def test_organizations_concurrent_change_is_retried(aws: StubbedClients, run: Run) -> None:
    stub = aws("organizations")
    stub.add_client_error("register_delegated_administrator", "ConcurrentModificationException")
    stub.add_response("register_delegated_administrator", {})
    answer = run(event("Create", "organizations", ServicePrincipal="access-analyzer.amazonaws.com"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_organizations_without_a_principal_fails_clearly(aws: StubbedClients, run: Run) -> None:
    answer = run(event("Create", "organizations"))
    assert answer["Status"] == "FAILED"
    assert "ServicePrincipal" in answer["Reason"]


# ---- GuardDuty -------------------------------------------------------------------------------


def test_guardduty_admin_is_designated(aws: StubbedClients, run: Run) -> None:
    stub = aws("guardduty")
    stub.add_response("list_organization_admin_accounts", {"AdminAccounts": []})
    stub.add_response("enable_organization_admin_account", {}, {"AdminAccountId": AUDIT})
    answer = run(event("Create", "guardduty"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"guardduty/{REGION}/{AUDIT}"
    assert answer["Data"]["Status"] == "ENABLED"
    aws.verify()


def test_guardduty_designated_again_is_a_no_op(aws: StubbedClients, run: Run) -> None:
    aws("guardduty").add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": AUDIT, "AdminStatus": "ENABLED"}]},
    )
    answer = run(event("Update", "guardduty"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"
    aws.verify()  # and no enable call was made


def test_guardduty_with_another_admin_fails_and_says_how_to_fix(
    aws: StubbedClients, run: Run
) -> None:
    aws("guardduty").add_response(
        "list_organization_admin_accounts",
        {"AdminAccounts": [{"AdminAccountId": OTHER, "AdminStatus": "ENABLED"}]},
    )
    answer = run(event("Create", "guardduty"))
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]
    assert AUDIT in answer["Reason"]
    assert "remove" in answer["Reason"]
    assert REGION in answer["Reason"]


def test_guardduty_api_error_fails_the_resource(aws: StubbedClients, run: Run) -> None:
    stub = aws("guardduty")
    stub.add_response("list_organization_admin_accounts", {"AdminAccounts": []})
    stub.add_client_error(
        "enable_organization_admin_account", "AccessDeniedException", "not allowed"
    )
    answer = run(event("Create", "guardduty"))
    assert answer["Status"] == "FAILED"
    assert "AccessDenied" in answer["Reason"]


# ---- Inspector -------------------------------------------------------------------------------


def test_inspector_admin_is_designated_when_none_exists(aws: StubbedClients, run: Run) -> None:
    stub = aws("inspector2")
    stub.add_client_error("get_delegated_admin_account", "ResourceNotFoundException")
    stub.add_response(
        "enable_delegated_admin_account",
        {"delegatedAdminAccountId": AUDIT},
        {"delegatedAdminAccountId": AUDIT},
    )
    answer = run(event("Create", "inspector2"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ENABLED"
    aws.verify()


def test_inspector_already_designated_is_a_no_op(aws: StubbedClients, run: Run) -> None:
    aws("inspector2").add_response(
        "get_delegated_admin_account",
        {"delegatedAdmin": {"accountId": AUDIT, "relationshipStatus": "ENABLED"}},
    )
    answer = run(event("Create", "inspector2"))
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"
    aws.verify()


def test_inspector_with_another_admin_fails(aws: StubbedClients, run: Run) -> None:
    aws("inspector2").add_response(
        "get_delegated_admin_account",
        {"delegatedAdmin": {"accountId": OTHER, "relationshipStatus": "ENABLED"}},
    )
    answer = run(event("Create", "inspector2"))
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]


def test_inspector_race_with_a_concurrent_designation_is_success(
    aws: StubbedClients, run: Run
) -> None:
    stub = aws("inspector2")
    stub.add_client_error("get_delegated_admin_account", "ResourceNotFoundException")
    stub.add_client_error("enable_delegated_admin_account", "ConflictException")
    answer = run(event("Create", "inspector2"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Status"] == "ALREADY_ENABLED"


# ---- Macie ----------------------------------------------------------------------------------


def test_macie_admin_is_designated(aws: StubbedClients, run: Run) -> None:
    stub = aws("macie2")
    stub.add_response("list_organization_admin_accounts", {"adminAccounts": []})
    stub.add_response("enable_organization_admin_account", {}, {"adminAccountId": AUDIT})
    answer = run(event("Create", "macie2"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_macie_with_another_admin_fails(aws: StubbedClients, run: Run) -> None:
    aws("macie2").add_response(
        "list_organization_admin_accounts",
        {"adminAccounts": [{"accountId": OTHER, "status": "ENABLED"}]},
    )
    answer = run(event("Create", "macie2"))
    assert answer["Status"] == "FAILED"
    assert OTHER in answer["Reason"]


# ---- Delete, bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["guardduty", "inspector2", "macie2", "organizations"])
def test_delete_keeps_the_administrator(aws: StubbedClients, run: Run, service: str) -> None:
    answer = run(event("Delete", service, ServicePrincipal="config.amazonaws.com"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert aws.stubbers == {}  # not a single AWS call


@pytest.mark.parametrize(
    ("service", "account", "expected"),
    [("securityhub", AUDIT, "Service"), ("guardduty", "12345", "AccountId")],
)
def test_bad_properties_fail_clearly(
    aws: StubbedClients, run: Run, service: str, account: str, expected: str
) -> None:
    answer = run(event("Create", service, account))
    assert answer["Status"] == "FAILED"
    assert expected in answer["Reason"]
