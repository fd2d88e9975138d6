"""Handlers run where they really run: a governed region that is not home, in their own account.

A StackSet runs the same custom-resource handler in every governed region;
the resources they act on live in one region (a KMS key, a detector, a
default VPC). Every client names the region of what it acts on, checked from
the source, and each handler is run here with its Lambda in ``REGION`` (not
the home region) and the account it deploys to, against moto's AWS where the
resources are where they really are.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from landing_zone.lambdas import (
    account_baseline,
    custom_resource,
    delegated_admin,
    organization_detection,
    organization_features,
)
from tests.custom_resources import (
    Captured,
    Context,
    StubbedClients,
    capture_responses,
    cfn_event,
    load_inline,
)

LAMBDAS = Path(custom_resource.__file__).parent
HOME = "eu-west-1"
#: Where the Lambda runs: a governed region that is not home.
REGION = "eu-central-1"
MANAGEMENT = "111111111111"
AUDIT = "222222222222"
LOG_ARCHIVE = "333333333333"
MEMBER = "555555555555"
ALIAS = f"arn:aws:kms:{HOME}:{LOG_ARCHIVE}:alias/acme/landing-zone/log-archive"
#: The ``handler_module`` the shared fixtures read (``mocked_aws`` uses REGION only).
handler_module = organization_detection


# ---- every client names its region ---------------------------------------------------------


def _client_calls(tree: ast.AST) -> Iterator[ast.Call]:
    """``client(...)``, ``<anything>.client(...)`` and ``<anything>.resource(...)`` calls."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Name) and func.id == "client") or (
            isinstance(func, ast.Attribute) and func.attr in ("client", "resource")
        ):
            yield node


def unregioned_clients(source: str) -> list[int]:
    """Lines of ``source`` that create a boto3 client or resource without ``region_name=``."""
    return [
        call.lineno
        for call in _client_calls(ast.parse(source))
        if not any(k.arg == "region_name" for k in call.keywords)
    ]


@pytest.mark.parametrize("module", sorted(LAMBDAS.glob("*.py")), ids=lambda p: p.name)
def test_every_client_names_the_region_it_acts_in(module: Path) -> None:
    missing = unregioned_clients(module.read_text())
    assert not missing, (
        f"{module.name}: lines {missing} create a client without region_name=; name the "
        "region where the resource lives (own_region(), or the region of its ARN)"
    )


def test_the_check_sees_clients_without_a_region() -> None:
    assert unregioned_clients("kms = client('kms')\nboto3.resource('s3')\n") == [1, 2]
    assert unregioned_clients("x = Session().client('kms', region_name=r)\n") == []


def test_the_client_factory_uses_the_region_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    assert custom_resource.client("kms", region_name=HOME).meta.region_name == HOME
    assert custom_resource.own_region() == REGION


def test_arn_region_is_the_fourth_field_or_a_clear_error() -> None:
    assert custom_resource.arn_region(ALIAS) == HOME
    with pytest.raises(custom_resource.CustomResourceError, match="not an ARN with a region"):
        custom_resource.arn_region("arn:aws:s3:::bucket")


# ---- moto, with accounts ---------------------------------------------------------------------


def credentials(account: str) -> dict[str, str]:
    """Keys moto maps to ``account`` (it names accounts by the role that was assumed)."""
    found = boto3.client("sts", region_name=HOME).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/Setup", RoleSessionName="setup"
    )["Credentials"]
    return {
        "aws_access_key_id": found["AccessKeyId"],
        "aws_secret_access_key": found["SecretAccessKey"],
        "aws_session_token": found["SessionToken"],
    }


def run_in(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    """The Lambda's environment: its region (REGION) and its account's role credentials."""
    keys = credentials(account)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["aws_secret_access_key"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["aws_session_token"])


@pytest.fixture
def cross_account_kms(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's KMS answers a key or alias ARN of another account, as KMS does.

    KMS accepts the key ARN or alias ARN of a key in another account (and
    only those); the request still goes to one region's endpoint, so a client
    of another region does not find the key.
    See: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
    moto keeps one backend per caller account and region, so this routes a
    request naming an ARN to that account's backend in the request's region.
    """
    from moto.kms import responses
    from moto.kms.models import kms_backends

    def backend(self: Any) -> Any:
        key = str(self._get_param("KeyId") or "")
        account = key.split(":")[4] if key.startswith("arn:") else self.current_account
        return kms_backends[account][self.region]

    monkeypatch.setattr(responses.KmsResponse, "kms_backend", property(backend))


def log_archive_key() -> str:
    """The log archive's key and alias, in its account and home region; the key ARN."""
    kms = boto3.client("kms", region_name=HOME, **credentials(LOG_ARCHIVE))
    key = kms.create_key(Description="log archive")["KeyMetadata"]
    kms.create_alias(AliasName="alias/acme/landing-zone/log-archive", TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def detection_event(request: str, service: str, **properties: Any) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id=f"arn:aws:cloudformation:{REGION}:{AUDIT}:stack/StackSet-Acme-AuditRegional/x",
        logical_id=service,
        resource_type="Custom::KeyArn" if service == "KeyArn" else f"Custom::{service}Org",
        properties={"Service": service, **properties},
    )


@pytest.mark.usefixtures("mocked_aws", "cross_account_kms")
def test_key_arn_resolves_the_home_region_key_from_another_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arn = log_archive_key()
    run_in(monkeypatch, AUDIT)
    responses = capture_responses(monkeypatch, organization_detection)
    organization_detection.handler(detection_event("Create", "KeyArn", KeyId=ALIAS), Context())
    answer = responses.last
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"Arn": arn}


@pytest.mark.usefixtures("mocked_aws", "cross_account_kms")
def test_the_inline_key_arn_code_resolves_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the StackSet really runs: the inline ``ZipFile`` code."""
    arn = log_archive_key()
    run_in(monkeypatch, AUDIT)
    module = load_inline("organization_detection")
    responses = Captured()
    monkeypatch.setattr(module.urllib.request, "urlopen", responses)
    module.handler(detection_event("Create", "KeyArn", KeyId=ALIAS), Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert responses.last["Data"] == {"Arn": arn}


@pytest.mark.usefixtures("mocked_aws", "cross_account_kms")
def test_the_region_matters_a_key_is_not_found_from_another_region() -> None:
    """The emulation is faithful: the same alias ARN asked in REGION is not found."""
    log_archive_key()
    kms = boto3.client("kms", region_name=REGION, **credentials(AUDIT))
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=ALIAS)


# ---- a failed Create rolls back without undoing anything ------------------------------------


def test_rollback_of_a_failed_create_does_not_turn_auto_enable_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CloudFormation's rollback Deletes with the id the failed Create answered.

    That id must not be the one a working resource has, or Delete turns the
    organization's auto-enable off (set by an earlier deployment, or by
    another stack instance of the same region).
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
    """
    aws = StubbedClients(monkeypatch, organization_detection, REGION)
    responses = capture_responses(monkeypatch, organization_detection)
    stub = aws("guardduty")
    stub.add_response("list_detectors", {"DetectorIds": ["d1"]})
    stub.add_client_error("update_detector", "AccessDeniedException", "denied by an SCP")
    create = detection_event("Create", "GuardDuty", Features={"S3_DATA_EVENTS": "true"})
    organization_detection.handler(create, Context())
    failed = responses.last
    assert failed["Status"] == "FAILED"
    assert failed["PhysicalResourceId"] != f"GuardDuty/{REGION}"  # not the working one's
    aws.verify()

    delete = {**create, "RequestType": "Delete", "PhysicalResourceId": failed["PhysicalResourceId"]}
    organization_detection.handler(delete, Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert responses.last["PhysicalResourceId"] == failed["PhysicalResourceId"]
    aws.verify()  # no call was stubbed, and none was made


def test_a_failed_update_keeps_its_physical_id(monkeypatch: pytest.MonkeyPatch) -> None:
    aws = StubbedClients(monkeypatch, organization_detection, REGION)
    responses = capture_responses(monkeypatch, organization_detection)
    aws("guardduty").add_client_error("list_detectors", "AccessDeniedException", "denied")
    update = detection_event("Update", "GuardDuty", Features={"S3_DATA_EVENTS": "true"})
    update["PhysicalResourceId"] = f"GuardDuty/{REGION}"
    organization_detection.handler(update, Context())
    assert responses.last["Status"] == "FAILED"
    assert responses.last["PhysicalResourceId"] == f"GuardDuty/{REGION}"


# ---- every other handler, in REGION and its own account ---------------------------------------


@pytest.mark.usefixtures("mocked_aws")
def test_account_baseline_applies_regional_settings_in_its_own_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_in(monkeypatch, MEMBER)
    responses = capture_responses(monkeypatch, account_baseline)
    for setting in ("EbsEncryptionByDefault", "DefaultVpcRemoval"):
        body = cfn_event(
            "Create",
            stack_id=f"arn:aws:cloudformation:{REGION}:{MEMBER}:stack/StackSet-Acme-Member/x",
            logical_id=setting,
            resource_type="Custom::AccountSetting",
            properties={"Setting": setting},
        )
        account_baseline.handler(body, Context())
        assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
        assert responses.last["PhysicalResourceId"] == f"{setting}/{REGION}"
    keys = credentials(MEMBER)
    here = boto3.client("ec2", region_name=REGION, **keys)
    home = boto3.client("ec2", region_name=HOME, **keys)
    assert here.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    assert home.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    default = [{"Name": "is-default", "Values": ["true"]}]
    assert here.describe_vpcs(Filters=default)["Vpcs"] == []
    assert home.describe_vpcs(Filters=default)["Vpcs"]  # another region's is not touched


@pytest.mark.usefixtures("mocked_aws")
def test_delegated_admin_designates_in_its_own_region(monkeypatch: pytest.MonkeyPatch) -> None:
    run_in(monkeypatch, MANAGEMENT)
    responses = capture_responses(monkeypatch, delegated_admin)
    body = cfn_event(
        "Create",
        stack_id=f"arn:aws:cloudformation:{REGION}:{MANAGEMENT}:stack/Acme-DetectionAdmin/x",
        logical_id="GuardDuty",
        resource_type="Custom::DelegatedAdmin",
        properties={"Service": "guardduty", "AccountId": AUDIT},
    )
    delegated_admin.handler(body, Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert responses.last["PhysicalResourceId"] == f"guardduty/{REGION}/{AUDIT}"
    keys = credentials(MANAGEMENT)

    def admins(region: str) -> list[str]:
        guardduty = boto3.client("guardduty", region_name=region, **keys)
        return [
            a["AdminAccountId"]
            for a in guardduty.list_organization_admin_accounts()["AdminAccounts"]
        ]

    assert admins(REGION) == [AUDIT]
    assert admins(HOME) == []


@pytest.mark.usefixtures("mocked_aws")
def test_organization_features_reach_the_global_organization_from_any_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = credentials(MANAGEMENT)
    boto3.client("organizations", region_name=HOME, **keys).create_organization(FeatureSet="ALL")
    run_in(monkeypatch, MANAGEMENT)
    responses = capture_responses(monkeypatch, organization_features)
    body = cfn_event(
        "Create",
        stack_id=f"arn:aws:cloudformation:{REGION}:{MANAGEMENT}:stack/Acme-Organization/x",
        logical_id="Scp",
        resource_type="Custom::OrganizationFeature",
        properties={"Feature": "PolicyType", "Value": "SERVICE_CONTROL_POLICY"},
    )
    organization_features.handler(body, Context())
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    (root,) = boto3.client("organizations", region_name=HOME, **keys).list_roots()["Roots"]
    assert {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in root["PolicyTypes"]
