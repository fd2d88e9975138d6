"""The account-baseline custom resource: create, create again, update, delete, API errors.

AWS calls run against moto; the answers moto does not give (a service-linked
role taken by another region, access denied) come from botocore Stubber. The
inline variant that StackSet templates carry is exercised too, so the code
that actually ships is the code that is tested.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import boto3
import pytest

from landing_zone.constructs import inline_code
from landing_zone.lambdas import account_baseline as handler_module
from tests.custom_resources import Captured, Context, StubbedClients, cfn_event, load_inline

REGION = "eu-central-1"
CONFIG_ROLE = (
    "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
)
PASSWORD = {
    "MinimumPasswordLength": "14",
    "PasswordReusePrevention": "24",
    "MaxPasswordAge": "0",
    "RequireSymbols": "true",
    "RequireNumbers": "true",
    "RequireUppercase": "true",
    "RequireLowercase": "true",
}


def event(request: str, setting: str, **properties: str) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id="arn:aws:cloudformation:eu-central-1:555555555555:stack/StackSet-x/y",
        logical_id=setting,
        resource_type=f"Custom::{setting}",
        properties={"ServiceTimeout": "360", "Setting": setting, **properties},
        physical_id=f"{setting}/{REGION}",
    )


# ---- service-linked role ---------------------------------------------------------------


def test_service_linked_role_is_created_and_its_arn_returned(
    mocked_aws: None, responses: Captured
) -> None:
    handler_module.handler(
        event("Create", "ServiceLinkedRole", ServiceName="config.amazonaws.com"), Context()
    )
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert responses.last["PhysicalResourceId"] == "ServiceLinkedRole/config.amazonaws.com"
    assert responses.last["Data"]["Created"] == "true"
    arn = responses.last["Data"]["Arn"]
    assert "/aws-service-role/config.amazonaws.com/" in arn
    roles = boto3.client("iam").list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert [r["Arn"] for r in roles] == [arn]


def test_service_linked_role_taken_by_another_region_is_success(
    aws: StubbedClients, responses: Captured
) -> None:
    stub = aws("iam")
    stub.add_client_error(
        "create_service_linked_role",
        "InvalidInput",
        "Service role name AWSServiceRoleForConfig has been taken in this account, "
        "please try a different suffix.",
    )
    role = {
        "Path": "/aws-service-role/config.amazonaws.com/",
        "RoleName": "AWSServiceRoleForConfig",
        "RoleId": "AROAEXAMPLEEXAMPLE123",
        "Arn": CONFIG_ROLE,
        "CreateDate": "2026-01-01T00:00:00Z",
    }
    stub.add_response(
        "list_roles", {"Roles": [role]}, {"PathPrefix": "/aws-service-role/config.amazonaws.com/"}
    )
    with stub:
        handler_module.handler(
            event("Create", "ServiceLinkedRole", ServiceName="config.amazonaws.com"), Context()
        )
    stub.assert_no_pending_responses()
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["Data"] == {"Arn": CONFIG_ROLE, "Created": "false"}


def test_service_linked_role_created_twice_and_updated_stays_one_role(
    mocked_aws: None, responses: Captured
) -> None:
    for request in ("Create", "Create", "Update"):
        handler_module.handler(
            event(request, "ServiceLinkedRole", ServiceName="config.amazonaws.com"), Context()
        )
    assert [b["Status"] for b in responses.bodies] == ["SUCCESS"] * 3
    roles = boto3.client("iam").list_roles(PathPrefix="/aws-service-role/")["Roles"]
    assert len(roles) == 1


def test_service_linked_role_access_denied_fails_with_the_reason(
    aws: StubbedClients, responses: Captured
) -> None:
    stub = aws("iam")
    stub.add_client_error("create_service_linked_role", "AccessDenied", "explicit deny in an SCP")
    with stub:
        handler_module.handler(
            event("Create", "ServiceLinkedRole", ServiceName="config.amazonaws.com"), Context()
        )
    assert responses.last["Status"] == "FAILED"
    assert "AccessDenied" in responses.last["Reason"]
    assert "explicit deny in an SCP" in responses.last["Reason"]


def test_service_linked_role_delete_leaves_the_role(mocked_aws: None, responses: Captured) -> None:
    create = event("Create", "ServiceLinkedRole", ServiceName="config.amazonaws.com")
    handler_module.handler(create, Context())
    delete = event("Delete", "ServiceLinkedRole", ServiceName="config.amazonaws.com")
    delete["PhysicalResourceId"] = "ServiceLinkedRole/config.amazonaws.com"
    handler_module.handler(delete, Context())
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == "ServiceLinkedRole/config.amazonaws.com"
    assert boto3.client("iam").list_roles(PathPrefix="/aws-service-role/")["Roles"]


# ---- EBS encryption by default -------------------------------------------------------------


def ebs_default() -> bool:
    return bool(boto3.client("ec2").get_ebs_encryption_by_default()["EbsEncryptionByDefault"])


def test_ebs_encryption_create_repeat_update_delete(mocked_aws: None, responses: Captured) -> None:
    assert not ebs_default()
    handler_module.handler(event("Create", "EbsEncryptionByDefault"), Context())
    assert responses.last["Status"] == "SUCCESS"
    assert responses.last["PhysicalResourceId"] == f"EbsEncryptionByDefault/{REGION}"
    assert responses.last["Data"] == {"Enabled": "true"}
    assert ebs_default()
    for request in ("Create", "Update", "Delete"):
        handler_module.handler(event(request, "EbsEncryptionByDefault"), Context())
        assert responses.last["Status"] == "SUCCESS"
    # Delete leaves encryption on: switching the item off must not weaken the account.
    assert ebs_default()


def test_ebs_encryption_api_error_fails(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("ec2")
    stub.add_client_error("enable_ebs_encryption_by_default", "UnauthorizedOperation", "denied")
    with stub:
        handler_module.handler(event("Create", "EbsEncryptionByDefault"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "UnauthorizedOperation" in responses.last["Reason"]


# ---- password policy ---------------------------------------------------------------------


def password_policy() -> dict[str, Any]:
    return dict(boto3.client("iam").get_account_password_policy()["PasswordPolicy"])


def test_password_policy_create_sets_the_cis_values(mocked_aws: None, responses: Captured) -> None:
    handler_module.handler(event("Create", "PasswordPolicy", **PASSWORD), Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    policy = password_policy()
    assert policy["MinimumPasswordLength"] == 14
    assert policy["PasswordReusePrevention"] == 24
    for flag in ("Symbols", "Numbers", "UppercaseCharacters", "LowercaseCharacters"):
        assert policy[f"Require{flag}"] is True, flag
    assert policy["AllowUsersToChangePassword"] is True
    assert not policy.get("MaxPasswordAge")


def test_password_policy_update_and_repeat_then_delete_keeps_it(
    mocked_aws: None, responses: Captured
) -> None:
    handler_module.handler(event("Create", "PasswordPolicy", **PASSWORD), Context())
    stricter = {**PASSWORD, "MinimumPasswordLength": "16", "MaxPasswordAge": "90"}
    for _ in range(2):
        handler_module.handler(event("Update", "PasswordPolicy", **stricter), Context())
        assert responses.last["Status"] == "SUCCESS"
    assert password_policy()["MinimumPasswordLength"] == 16
    assert password_policy()["MaxPasswordAge"] == 90
    handler_module.handler(event("Delete", "PasswordPolicy", **stricter), Context())
    assert responses.last["Status"] == "SUCCESS"
    assert password_policy()["MinimumPasswordLength"] == 16


def test_password_policy_with_a_malformed_flag_fails_instead_of_guessing(
    mocked_aws: None, responses: Captured
) -> None:
    handler_module.handler(
        event("Create", "PasswordPolicy", **{**PASSWORD, "RequireSymbols": "yes"}), Context()
    )
    assert responses.last["Status"] == "FAILED"
    assert "RequireSymbols must be true or false" in responses.last["Reason"]


def test_password_policy_api_error_fails(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("iam")
    stub.add_client_error("update_account_password_policy", "MalformedPolicyDocument", "bad")
    with stub:
        handler_module.handler(event("Create", "PasswordPolicy", **PASSWORD), Context())
    assert responses.last["Status"] == "FAILED"
    assert "MalformedPolicyDocument" in responses.last["Reason"]


# ---- default VPC -------------------------------------------------------------------------


def default_vpcs() -> list[dict[str, Any]]:
    ec2 = boto3.client("ec2")
    return list(ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"])


def test_unused_default_vpc_is_deleted_and_a_repeat_finds_none(
    mocked_aws: None, responses: Captured
) -> None:
    (vpc,) = default_vpcs()
    handler_module.handler(event("Create", "DefaultVpcRemoval"), Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert responses.last["Data"] == {"Result": f"deleted {vpc['VpcId']}"}
    assert default_vpcs() == []
    ec2 = boto3.client("ec2")
    assert not ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ]
    handler_module.handler(event("Update", "DefaultVpcRemoval"), Context())
    assert responses.last["Data"] == {"Result": "no default VPC"}


def test_default_vpc_in_use_is_kept_and_says_why(mocked_aws: None, responses: Captured) -> None:
    (vpc,) = default_vpcs()
    ec2 = boto3.client("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])[
        "Subnets"
    ][0]
    ec2.create_network_interface(SubnetId=subnet["SubnetId"])
    handler_module.handler(event("Create", "DefaultVpcRemoval"), Context())
    assert responses.last["Status"] == "SUCCESS"
    result = responses.last["Data"]["Result"]
    assert result.startswith(f"kept {vpc['VpcId']}: in use (1 network interfaces")
    assert default_vpcs() == [vpc]


def test_default_vpc_with_a_custom_security_group_is_kept(
    mocked_aws: None, responses: Captured
) -> None:
    (vpc,) = default_vpcs()
    boto3.client("ec2").create_security_group(
        GroupName="app", Description="someone's", VpcId=vpc["VpcId"]
    )
    handler_module.handler(event("Create", "DefaultVpcRemoval"), Context())
    assert "1 security groups" in responses.last["Data"]["Result"]
    assert default_vpcs()


def test_default_vpc_delete_request_recreates_nothing(
    mocked_aws: None, responses: Captured
) -> None:
    handler_module.handler(event("Create", "DefaultVpcRemoval"), Context())
    handler_module.handler(event("Delete", "DefaultVpcRemoval"), Context())
    assert responses.last["Status"] == "SUCCESS"
    assert default_vpcs() == []


def test_default_vpc_api_error_fails(aws: StubbedClients, responses: Captured) -> None:
    stub = aws("ec2")
    stub.add_client_error("describe_vpcs", "RequestLimitExceeded", "slow down")
    with stub:
        handler_module.handler(event("Create", "DefaultVpcRemoval"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "RequestLimitExceeded" in responses.last["Reason"]


# ---- every path answers ------------------------------------------------------------------


def test_unknown_setting_fails_and_names_the_choices(responses: Captured) -> None:
    handler_module.handler(event("Create", "Nonsense"), Context())
    assert responses.last["Status"] == "FAILED"
    assert "DefaultVpcRemoval, EbsEncryptionByDefault" in responses.last["Reason"]
    assert responses.last["PhysicalResourceId"] == "failed/req-1"


def test_crash_while_creating_a_client_still_answers(
    monkeypatch: pytest.MonkeyPatch, responses: Captured
) -> None:
    def explode(service: str, *, region_name: str) -> Any:
        raise RuntimeError("no credentials")

    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # as Lambda sets it
    monkeypatch.setattr(handler_module, "client", explode)
    handler_module.handler(event("Create", "EbsEncryptionByDefault"), Context())
    assert responses.last["Status"] == "FAILED"
    assert responses.last["Reason"] == "RuntimeError: no credentials"


# ---- the inline code StackSet templates carry ----------------------------------------------


@pytest.fixture
def inline_module() -> types.ModuleType:
    return load_inline("account_baseline")


def test_inline_code_has_no_docstrings_and_is_one_module(inline_module: types.ModuleType) -> None:
    source = inline_code.inline_handler("account_baseline")
    assert '"""' not in source
    assert "custom_resource" not in source
    assert callable(inline_module.handler)
    # Both modules are in it, minus docstrings and comments.
    lambdas = Path(handler_module.__file__).parent
    originals = sum(
        len((lambdas / f).read_text()) for f in ("custom_resource.py", "account_baseline.py")
    )
    assert "def respond(" in source
    assert "def _default_vpc_removal(" in source
    assert len(source) < originals * 0.75


def test_inline_code_answers_cloudformation_like_the_module(
    mocked_aws: None, monkeypatch: pytest.MonkeyPatch, inline_module: types.ModuleType
) -> None:
    captured = Captured()
    monkeypatch.setattr(inline_module.urllib.request, "urlopen", captured)
    monkeypatch.setattr(inline_module, "sleep", lambda seconds: None)
    inline_module.handler(event("Create", "EbsEncryptionByDefault"), Context())
    assert captured.last["Status"] == "SUCCESS"
    assert ebs_default()
    inline_module.handler(event("Create", "Nonsense"), Context())
    assert captured.last["Status"] == "FAILED"


def test_inline_merge_refuses_a_name_clash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "custom_resource.py").write_text("def run():\n    pass\n")
    (tmp_path / "clash.py").write_text("from custom_resource import run\n\ndef run():\n    pass\n")
    monkeypatch.setattr(inline_code, "LAMBDAS", tmp_path)
    inline_code.inline_handler.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"clash.py redefines \['run'\]"):
            inline_code.inline_handler("clash")
    finally:
        inline_code.inline_handler.cache_clear()
