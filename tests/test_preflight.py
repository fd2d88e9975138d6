"""`make deploy` prerequisites: right account, right organization, all features, bootstrapped."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from landing_zone import preflight
from landing_zone.config import load_config
from landing_zone.preflight import check, manual_steps
from tests.conftest import EXAMPLE, ROOT

CONFIG = load_config(EXAMPLE)
ORGANIZATION = {
    "Id": "o-a1b2c3d4e5",
    "Arn": "arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5",
    "FeatureSet": "ALL",
    "MasterAccountId": "111111111111",
}
ROOTS = {"Roots": [{"Id": "r-a1b2", "Arn": "arn", "Name": "Root", "PolicyTypes": []}]}
STACK = {
    "Stacks": [
        {
            "StackName": "CDKToolkit",
            "CreationTime": "2026-01-01T00:00:00Z",
            "StackStatus": "CREATE_COMPLETE",
        }
    ]
}


@pytest.fixture(autouse=True)
def _organization_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The account quota and recorder checks have their moto tests (test_preflight_organization),
    the brownfield ones theirs (test_brownfield)."""
    monkeypatch.setattr(preflight, "organization_problems", lambda config, session, **_: [])
    monkeypatch.setattr(preflight, "brownfield_problems", lambda config, session, **_: [])


class FakeSession:
    """Hands out pre-stubbed clients, one per service."""

    def __init__(self) -> None:
        self.clients = {
            name: boto3.client(name, region_name="eu-west-1")
            for name in ("sts", "organizations", "cloudformation", "config")
        }
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, name: str, **_: Any) -> Any:
        return self.clients[name]

    def __enter__(self) -> FakeSession:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *args: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()


def identity(account: str) -> dict[str, str]:
    return {"Account": account, "Arn": f"arn:aws:iam::{account}:role/x", "UserId": "AIDA"}


def stub_management_account(
    session: FakeSession,
    organization: dict[str, Any] = ORGANIZATION,
    roots: dict[str, Any] = ROOTS,
) -> None:
    """Queue the identity and Organizations answers of the configured management account."""
    session.stubs["sts"].add_response("get_caller_identity", identity("111111111111"))
    session.stubs["organizations"].add_response(
        "describe_organization", {"Organization": organization}
    )
    session.stubs["organizations"].add_response("list_roots", roots)


REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")


def stub_regions(session: FakeSession, recorders: dict[str, list[dict[str, Any]]]) -> None:
    """Bootstrapped everywhere; ``recorders`` by region (none where not given)."""
    for region in REGIONS:
        session.stubs["cloudformation"].add_response(
            "describe_stacks", STACK, {"StackName": "CDKToolkit"}
        )
        session.stubs["config"].add_response(
            "describe_configuration_recorders",
            {"ConfigurationRecorders": recorders.get(region, [])},
        )


def test_ready_management_account_passes() -> None:
    with FakeSession() as session:
        stub_management_account(session)
        stub_regions(
            session,
            {
                # Ours (a redeploy) and another service's service-linked recorder are fine.
                "eu-west-1": [{"name": "Acme-ConfigRecorder"}],
                "us-east-1": [
                    {
                        "name": "AWSConfigurationRecorderForObservabilityAdmin",
                        "servicePrincipal": "observabilityadmin.amazonaws.com",
                    }
                ],
            },
        )
        assert check(CONFIG, session) == []


def test_an_existing_config_recorder_is_reported_with_the_fix() -> None:
    with FakeSession() as session:
        stub_management_account(session)
        stub_regions(session, {"eu-central-1": [{"name": "default"}]})
        (problem,) = check(CONFIG, session)
    assert problem.startswith(
        "the management account already has the AWS Config recorder 'default' in eu-central-1"
    )
    assert "delete-configuration-recorder --configuration-recorder-name default" in problem


def test_wrong_account_is_refused_before_anything_else() -> None:
    with FakeSession() as session:
        session.stubs["sts"].add_response("get_caller_identity", identity("999999999999"))
        problems = check(CONFIG, session)
    assert len(problems) == 1
    assert "credentials are for account 999999999999, not the management account" in problems[0]


@pytest.mark.parametrize(
    ("organization", "roots", "expected"),
    [
        ({**ORGANIZATION, "FeatureSet": "CONSOLIDATED_BILLING"}, ROOTS, "all features are not"),
        ({**ORGANIZATION, "Id": "o-zzzzzzzzzz"}, ROOTS, "organization is o-zzzzzzzzzz"),
        (ORGANIZATION, {"Roots": [{"Id": "r-zzzz", "Arn": "a", "Name": "R"}]}, "root is r-zzzz"),
    ],
)
def test_organization_mismatches_are_reported(
    organization: dict[str, Any], roots: dict[str, Any], expected: str
) -> None:
    with FakeSession() as session:
        stub_management_account(session, organization, roots)
        stub_regions(session, {})
        problems = check(CONFIG, session)
    assert any(expected in p for p in problems), problems


def test_missing_bootstrap_is_reported() -> None:
    with FakeSession() as session:
        stub_management_account(session)
        for region in REGIONS:
            if region == "us-east-1":
                session.stubs["cloudformation"].add_client_error(
                    "describe_stacks", "ValidationError", "Stack with id CDKToolkit does not exist"
                )
            else:
                session.stubs["cloudformation"].add_response("describe_stacks", STACK)
            session.stubs["config"].add_response(
                "describe_configuration_recorders", {"ConfigurationRecorders": []}
            )
        problems = check(CONFIG, session)
    assert problems == [
        "CDK is not bootstrapped in us-east-1 (no CDKToolkit stack); see step 2 below"
    ]


def test_manual_steps_name_bootstrap_and_all_features() -> None:
    text = manual_steps(CONFIG)
    assert "aws organizations enable-all-features" in text
    for region in REGIONS:
        assert f"cdk bootstrap aws://111111111111/{region}" in text


def test_main_prints_manual_steps_and_fails_on_problems(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from landing_zone import preflight

    monkeypatch.setattr(preflight, "credentials_problem", lambda config, session: None)
    monkeypatch.setattr(
        preflight, "check", lambda config, session, **_: ["CDK is not bootstrapped"]
    )
    monkeypatch.setattr(preflight.boto3, "Session", lambda: None)
    assert preflight.main([str(EXAMPLE)]) == 1
    captured = capsys.readouterr()
    assert "One-time manual steps" in captured.out
    assert "  - CDK is not bootstrapped" in captured.err


BUSINESS_UNIT = load_config(ROOT / "config" / "example-business-unit.yaml")


def stub_business_unit(
    session: FakeSession, *, core_stack: bool = True, audit_status: str = "ACTIVE"
) -> None:
    stub_management_account(session)
    session.stubs["cloudformation"].add_response(
        "describe_stacks", STACK, {"StackName": "CDKToolkit"}
    )
    if core_stack:
        session.stubs["cloudformation"].add_response(
            "describe_stacks", STACK, {"StackName": "Acme-Organization"}
        )
    else:
        session.stubs["cloudformation"].add_client_error(
            "describe_stacks", "ValidationError", "Stack with id Acme-Organization does not exist"
        )
    session.stubs["organizations"].add_response(
        "describe_organizational_unit",
        {"OrganizationalUnit": {"Id": "ou-a1b2-w0rkl0ad", "Name": "Workloads"}},
        {"OrganizationalUnitId": "ou-a1b2-w0rkl0ad"},
    )
    for account, status in (("222222222222", "ACTIVE"), ("333333333333", audit_status)):
        session.stubs["organizations"].add_response(
            "describe_account",
            {"Account": {"Id": account, "Status": status}},
            {"AccountId": account},
        )


def test_business_unit_checks_the_core_not_the_management_recorders() -> None:
    # Home region only, no recorder check (the core's baseline owns the
    # management account's recorder): the stubs hold no other call.
    with FakeSession() as session:
        stub_business_unit(session)
        assert check(BUSINESS_UNIT, session) == []
        for stub in session.stubs.values():
            stub.assert_no_pending_responses()


def test_business_unit_before_its_core_is_refused_with_the_reason() -> None:
    with FakeSession() as session:
        stub_business_unit(session, core_stack=False, audit_status="SUSPENDED")
        problems = check(BUSINESS_UNIT, session)
    assert problems == [
        "the core's stack Acme-Organization is not deployed in eu-west-1; deploy the core "
        "fork first, or fix core.prefix ('Acme')",
        "core.audit_account_id 333333333333 is SUSPENDED, not ACTIVE",
    ]


def test_business_unit_bootstraps_the_home_region_only() -> None:
    steps = manual_steps(BUSINESS_UNIT)
    assert "aws://111111111111/eu-west-1" in steps
    assert "eu-central-1" not in steps


def test_check_reports_the_organization_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight, "organization_problems", lambda config, session, **_: ["quota"])
    with FakeSession() as session:
        stub_management_account(session)
        stub_regions(session, {})
        assert check(CONFIG, session) == ["quota"]
