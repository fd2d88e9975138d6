"""The Identity Center resolver: group ids by display name, account ids by email.

Every AWS answer comes from botocore Stubber, which also checks each request
against the service model (GetGroupId's AlternateIdentifier shape included).
"""

from __future__ import annotations

from typing import Any

# The handler fixtures (responses, run, aws) in conftest.py call handler_module.
from landing_zone.lambdas import identity_center as handler_module
from tests.custom_resources import Run, StubbedClients, cfn_event

REGION = "us-east-1"
STORE = "d-0123456789"
GROUP_ID = "9067b4d8-f0b1-70d3-2d0a-bc1234567890"
GROUP_ARN = f"arn:aws:identitystore:::group/{GROUP_ID}"
STACK = "arn:aws:cloudformation:us-east-1:111111111111:stack/Acme-IdentityCenter/x"


def group_event(request: str, name: str = "aws-developers") -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id=STACK,
        logical_id="GroupABCD",
        resource_type=handler_module.GROUP_TYPE,
        properties={"IdentityStoreId": STORE, "DisplayName": name},
        physical_id=f"group/{STORE}/{name}",
    )


def accounts_event(request: str, emails: list[str]) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id=STACK,
        logical_id="AccountIds1",
        resource_type=handler_module.ACCOUNTS_TYPE,
        properties={"Emails": emails},
        physical_id=f"accounts/{len(emails)}/{emails[0]}",
    )


def get_group_id(name: str) -> dict[str, Any]:
    return {
        "IdentityStoreId": STORE,
        "AlternateIdentifier": {
            "UniqueAttribute": {"AttributePath": "DisplayName", "AttributeValue": name}
        },
    }


def test_a_group_resolves_to_its_id(aws: StubbedClients, run: Run) -> None:
    aws("identitystore").add_response(
        "get_group_id",
        {"IdentityStoreId": STORE, "GroupId": GROUP_ID, "GroupArn": GROUP_ARN},
        get_group_id("aws-developers"),
    )
    answer = run(group_event("Create"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"GroupId": GROUP_ID}
    aws.verify()


def test_a_missing_group_fails_with_its_name_and_the_fix(aws: StubbedClients, run: Run) -> None:
    aws("identitystore").add_client_error("get_group_id", "ResourceNotFoundException")
    answer = run(group_event("Create", "aws-devs"))
    assert answer["Status"] == "FAILED"
    assert "no group named 'aws-devs'" in answer["Reason"]
    assert "create or sync the group in your identity source (SCIM)" in answer["Reason"]


def test_throttling_is_retried(aws: StubbedClients, run: Run) -> None:
    stub = aws("identitystore")
    stub.add_client_error("get_group_id", "ThrottlingException")
    stub.add_response(
        "get_group_id", {"IdentityStoreId": STORE, "GroupId": GROUP_ID, "GroupArn": GROUP_ARN}
    )
    answer = run(group_event("Update"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_delete_calls_nothing(aws: StubbedClients, run: Run) -> None:
    # No stubbed client: any call would fail the test.
    assert run(group_event("Delete"))["Status"] == "SUCCESS"
    assert run(accounts_event("Delete", ["a@acme.example"]))["Status"] == "SUCCESS"


def test_accounts_resolve_by_email_over_every_page(aws: StubbedClients, run: Run) -> None:
    stub = aws("organizations")

    def account(number: str, email: str) -> dict[str, Any]:
        return {"Id": number, "Email": email, "Status": "ACTIVE", "Name": email}

    stub.add_response(
        "list_accounts", {"Accounts": [account("222222222222", "a@acme.example")], "NextToken": "t"}
    )
    stub.add_response(
        "list_accounts",
        {"Accounts": [account("333333333333", "B@acme.example")]},
        {"NextToken": "t"},
    )
    answer = run(accounts_event("Create", ["b@acme.example", "a@acme.example"]))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"A0": "333333333333", "A1": "222222222222"}
    aws.verify()


def test_an_account_not_in_the_organization_fails_with_its_email(
    aws: StubbedClients, run: Run
) -> None:
    aws("organizations").add_response("list_accounts", {"Accounts": []})
    answer = run(accounts_event("Create", ["new@acme.example"]))
    assert answer["Status"] == "FAILED"
    assert "no account of the organization has the email new@acme.example" in answer["Reason"]
