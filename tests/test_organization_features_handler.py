"""The organization-features custom resource: create, create again, update, delete, errors.

Organizations calls run against moto; the paths moto cannot produce (pending
status, throttling, StackSets activation, access denied) use botocore Stubber.
Every test also checks what CloudFormation was told.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from landing_zone.lambdas import organization_features as handler_module
from tests.custom_resources import Captured, Context, StubbedClients, cfn_event

REGION = "us-east-1"


@pytest.fixture
def organization(mocked_aws: None) -> Any:
    client = boto3.client("organizations")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture
def organizations_stub(aws: StubbedClients) -> Stubber:
    """A Stubber whose Organizations client the handler uses: for paths moto cannot produce."""
    return aws("organizations")


def roots(policy_type: str | None = None, status: str | None = None) -> dict[str, Any]:
    """A ListRoots answer whose one root has ``policy_type`` in ``status`` (or nothing)."""
    types = [{"Type": policy_type, "Status": status}] if policy_type else []
    return {"Roots": [{"Id": "r-a1b2", "Arn": "arn", "Name": "Root", "PolicyTypes": types}]}


def event(request: str, feature: str, value: str, **extra: Any) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id="arn:aws:cloudformation:eu-west-1:111111111111:stack/Acme-Organization/x",
        logical_id="FeaturesPolicyType",
        resource_type=f"Custom::Organization{feature}",
        properties={"Feature": feature, "Value": value},
        **extra,
    )


def policy_types(client: Any) -> dict[str, str]:
    root = client.list_roots()["Roots"][0]
    return {p["Type"]: p["Status"] for p in root["PolicyTypes"]}


def test_create_enables_policy_type(organization: Any, responses: Captured) -> None:
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context())
    assert policy_types(organization) == {"TAG_POLICY": "ENABLED"}
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == "PolicyType/TAG_POLICY"
    assert responses.last["Data"] == {"Status": "ENABLED"}
    assert responses.last["RequestId"] == "req-1"


def test_create_twice_is_a_no_op_success(organization: Any, responses: Captured) -> None:
    for _ in range(2):
        handler_module.handler(event("Create", "PolicyType", "SERVICE_CONTROL_POLICY"), Context())
    assert [b["Status"] for b in responses.bodies] == ["SUCCESS", "SUCCESS"]
    assert policy_types(organization) == {"SERVICE_CONTROL_POLICY": "ENABLED"}


def test_already_enabled_race_is_success(organizations_stub: Stubber, responses: Captured) -> None:
    organizations_stub.add_response("list_roots", roots())
    organizations_stub.add_client_error(
        "enable_policy_type", "PolicyTypeAlreadyEnabledException", "already enabled"
    )
    organizations_stub.add_response("list_roots", roots("BACKUP_POLICY", "ENABLED"))
    handler_module.handler(event("Create", "PolicyType", "BACKUP_POLICY"), Context())
    organizations_stub.assert_no_pending_responses()
    assert responses.last["Status"] == "SUCCESS"


def test_pending_enable_is_polled_until_enabled(
    organizations_stub: Stubber, responses: Captured
) -> None:
    pending = roots("TAG_POLICY", "PENDING_ENABLE")
    organizations_stub.add_response("list_roots", roots())
    organizations_stub.add_client_error(
        "enable_policy_type", "ConcurrentModificationException", "busy"
    )
    organizations_stub.add_response("enable_policy_type", {"Root": pending["Roots"][0]})
    organizations_stub.add_response("list_roots", pending)
    organizations_stub.add_response("list_roots", roots("TAG_POLICY", "ENABLED"))
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context())
    organizations_stub.assert_no_pending_responses()
    assert responses.last["Status"] == "SUCCESS"


def test_still_pending_at_deadline_fails_before_lambda_timeout(
    organizations_stub: Stubber, responses: Captured
) -> None:
    organizations_stub.add_response("list_roots", roots("TAG_POLICY", "PENDING_ENABLE"))
    organizations_stub.add_response("list_roots", roots("TAG_POLICY", "PENDING_ENABLE"))
    # 21 s left: the 20 s response margin leaves no time to wait.
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context(21_000))
    organizations_stub.assert_no_pending_responses()
    assert responses.last["Status"] == "FAILED"
    assert "still PENDING_ENABLE" in responses.last["Reason"]


def test_update_enables_the_new_value_and_keeps_the_old(
    organization: Any, responses: Captured
) -> None:
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context())
    update = event(
        "Update",
        "PolicyType",
        "BACKUP_POLICY",
        PhysicalResourceId="PolicyType/TAG_POLICY",
        OldResourceProperties={"Feature": "PolicyType", "Value": "TAG_POLICY"},
    )
    handler_module.handler(update, Context())
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == "PolicyType/BACKUP_POLICY"
    assert policy_types(organization) == {"TAG_POLICY": "ENABLED", "BACKUP_POLICY": "ENABLED"}


def test_delete_leaves_the_feature_enabled(organization: Any, responses: Captured) -> None:
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context())
    delete = event("Delete", "PolicyType", "TAG_POLICY", PhysicalResourceId="PolicyType/TAG_POLICY")
    handler_module.handler(delete, Context())
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == "PolicyType/TAG_POLICY"
    assert policy_types(organization) == {"TAG_POLICY": "ENABLED"}


def test_delete_makes_no_aws_call(organizations_stub: Stubber, responses: Captured) -> None:
    # No responses queued: any AWS call would raise and turn the answer into FAILED.
    delete = event(
        "Delete", "TrustedService", "sso.amazonaws.com", PhysicalResourceId="TrustedService/sso"
    )
    handler_module.handler(delete, Context())
    assert responses.last["Status"] == "SUCCESS"


def test_trusted_service_create_and_repeat(organization: Any, responses: Captured) -> None:
    for _ in range(2):
        handler_module.handler(
            event("Create", "TrustedService", "guardduty.amazonaws.com"), Context()
        )
    enabled = organization.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [p["ServicePrincipal"] for p in enabled] == ["guardduty.amazonaws.com"]
    assert [b["Status"] for b in responses.bodies] == ["SUCCESS", "SUCCESS"]
    assert responses.last["PhysicalResourceId"] == "TrustedService/guardduty.amazonaws.com"


def test_stacksets_use_activate_organizations_access(
    monkeypatch: pytest.MonkeyPatch, responses: Captured
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # as Lambda sets it
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    with Stubber(cloudformation) as stub:
        stub.add_response("activate_organizations_access", {})
        monkeypatch.setattr(handler_module, "client", lambda service, region_name: cloudformation)
        handler_module.handler(
            event("Create", "TrustedService", handler_module.STACKSETS_PRINCIPAL), Context()
        )
        stub.assert_no_pending_responses()
    assert responses.last["Status"] == "SUCCESS"


def test_api_error_is_reported_as_failed(organizations_stub: Stubber, responses: Captured) -> None:
    organizations_stub.add_client_error(
        "enable_aws_service_access",
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
    )
    handler_module.handler(
        event("Create", "TrustedService", "securityhub.amazonaws.com"), Context()
    )
    assert responses.last["Status"] == "FAILED"
    assert "AccessDeniedException" in responses.last["Reason"]
    # Not the id a successful Create takes: the rollback's Delete must know
    # that nothing was done.
    assert responses.last["PhysicalResourceId"] == "failed/req-1"


def test_malformed_properties_fail_instead_of_hanging(responses: Captured) -> None:
    bad = event("Create", "Nonsense", "x")
    handler_module.handler(bad, Context())
    assert responses.last["Status"] == "FAILED"
    assert "Feature (PolicyType | TrustedService | RootAccess)" in responses.last["Reason"]
    assert responses.last["PhysicalResourceId"] == "failed/req-1"


def test_crash_in_client_creation_still_answers(
    monkeypatch: pytest.MonkeyPatch, responses: Captured
) -> None:
    def explode(service: str, *, region_name: str) -> Any:
        raise RuntimeError("no credentials")

    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # as Lambda sets it
    monkeypatch.setattr(handler_module, "client", explode)
    handler_module.handler(event("Create", "PolicyType", "TAG_POLICY"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "RuntimeError: no credentials" in responses.last["Reason"]


# ---- centralized root access ---------------------------------------------------------

ORG = "o-a1b2c3d4e5"


def features(*enabled: str) -> dict[str, Any]:
    """A ListOrganizationsFeatures (or Enable...) answer listing ``enabled``."""
    return {"OrganizationId": ORG, "EnabledFeatures": list(enabled)}


@pytest.mark.parametrize(
    ("feature", "call"),
    [
        ("RootCredentialsManagement", "enable_organizations_root_credentials_management"),
        ("RootSessions", "enable_organizations_root_sessions"),
    ],
)
def test_root_access_feature_is_enabled_when_missing(
    aws: StubbedClients, responses: Captured, feature: str, call: str
) -> None:
    iam = aws("iam")
    iam.add_response("list_organizations_features", features())
    iam.add_response(call, features(feature))
    handler_module.handler(event("Create", "RootAccess", feature), Context())
    aws.verify()
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == f"RootAccess/{feature}"
    assert responses.last["Data"] == {"Status": "ENABLED"}


def test_root_access_feature_already_on_makes_no_change(
    aws: StubbedClients, responses: Captured
) -> None:
    # Only the listing is queued: an Enable call would find no answer and FAIL.
    aws("iam").add_response(
        "list_organizations_features", features("RootCredentialsManagement", "RootSessions")
    )
    handler_module.handler(event("Create", "RootAccess", "RootSessions"), Context())
    aws.verify()
    assert responses.last["Status"] == "SUCCESS"


def test_root_access_waits_for_iam_trusted_access_to_arrive(
    aws: StubbedClients, responses: Captured
) -> None:
    iam = aws("iam")
    iam.add_client_error(
        "list_organizations_features",
        "ServiceAccessNotEnabledException",
        "trusted access is not enabled for IAM in AWS Organizations",
    )
    iam.add_response("list_organizations_features", features("RootSessions"))
    iam.add_response(
        "enable_organizations_root_credentials_management",
        features("RootSessions", "RootCredentialsManagement"),
    )
    handler_module.handler(event("Create", "RootAccess", "RootCredentialsManagement"), Context())
    aws.verify()
    assert responses.last["Status"] == "SUCCESS"


def test_root_access_without_trusted_access_fails_with_the_reason(
    aws: StubbedClients, responses: Captured
) -> None:
    aws("iam").add_client_error(
        "list_organizations_features",
        "ServiceAccessNotEnabledException",
        "trusted access is not enabled for IAM in AWS Organizations",
    )
    # 21 s left: the 20 s response margin leaves no time to retry.
    handler_module.handler(event("Create", "RootAccess", "RootSessions"), Context(21_000))
    assert responses.last["Status"] == "FAILED"
    assert "ServiceAccessNotEnabledException" in responses.last["Reason"]


def test_root_access_enable_that_does_not_take_fails(
    aws: StubbedClients, responses: Captured
) -> None:
    iam = aws("iam")
    iam.add_response("list_organizations_features", features())
    iam.add_response("enable_organizations_root_sessions", features())
    handler_module.handler(event("Create", "RootAccess", "RootSessions"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "after enabling RootSessions" in responses.last["Reason"]


def test_root_access_delete_leaves_it_on(aws: StubbedClients, responses: Captured) -> None:
    # No responses queued: any IAM call (a Disable...) would FAIL the Delete.
    aws("iam")
    delete = event(
        "Delete", "RootAccess", "RootSessions", PhysicalResourceId="RootAccess/RootSessions"
    )
    handler_module.handler(delete, Context())
    assert responses.last["Status"] == "SUCCESS"


def test_unknown_root_access_feature_fails(responses: Captured) -> None:
    handler_module.handler(event("Create", "RootAccess", "RootEverything"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "RootCredentialsManagement, RootSessions" in responses.last["Reason"]
