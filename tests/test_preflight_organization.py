"""`make deploy` prerequisites read from the organization itself, with moto's Organizations.

- The account quota must hold the organization's accounts plus those the
  config creates (Service Quotas answers come from botocore Stubber: moto
  serves no applied Organizations quota).
- Every account the organization conformance pack reaches must get a Config
  recorder from the baseline, wherever the account really sits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.preflight import check, organization_problems
from tests.conftest import EXAMPLE
from tests.custom_resources import fake_credentials
from tests.variants import variant

MANAGEMENT = "111111111111"
#: The example's adopted account, replaced by the id moto gives it.
ADOPTED = "210987654321"


@pytest.fixture
def organizations(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's Organizations, its organization created by the example's management account."""
    from moto import mock_aws

    fake_credentials(monkeypatch, "eu-west-1")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        yield client


class Session:
    """moto's clients, but Service Quotas, CloudFormation and handshakes stubbed.

    Queue Service Quotas answers on ``quotas`` and Organizations' handshakes
    (moto serves none) on ``handshakes``. CloudFormation (moto's needs
    packages this project does not install) answers that CDK is bootstrapped.
    """

    def __init__(self) -> None:
        self.quota_client = boto3.client("service-quotas", region_name="us-east-1")
        self.quotas = Stubber(self.quota_client)
        self.quotas.activate()
        self.handshake_client = boto3.client("organizations", region_name="us-east-1")
        self.handshakes = Stubber(self.handshake_client)
        self.handshakes.activate()
        self.cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        stub = Stubber(self.cloudformation)
        for _ in range(3):
            stub.add_response("describe_stacks", BOOTSTRAPPED)
        stub.activate()

    def client(self, name: str, *, region_name: str) -> Any:
        if name == "service-quotas":
            assert region_name == "us-east-1"  # Organizations' quotas are served there
            return self.quota_client
        if name == "cloudformation":
            return self.cloudformation
        client = boto3.client(name, region_name=region_name)  # type: ignore[call-overload]
        if name == "organizations":
            return _WithHandshakes(client, self.handshake_client)
        return client


class _WithHandshakes:
    """moto's Organizations client, its handshake listing answered by a stubbed one."""

    def __init__(self, client: Any, handshakes: Any) -> None:
        self._client, self._handshakes = client, handshakes

    def get_paginator(self, operation: str) -> Any:
        owner = self._handshakes if "handshakes" in operation else self._client
        return owner.get_paginator(operation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


BOOTSTRAPPED = {
    "Stacks": [
        {"StackName": "CDKToolkit", "CreationTime": "2026-01-01", "StackStatus": "CREATE_COMPLETE"}
    ]
}


def root_id(client: Any) -> str:
    return str(client.list_roots()["Roots"][0]["Id"])


def build_units(client: Any, config: LandingZoneConfig) -> dict[str, str]:
    """The config's OUs in the organization, as the organization stack creates them."""
    ids = {"root": root_id(client)}
    for key, unit, parent, _ in config.walk_units():
        response = client.create_organizational_unit(ParentId=ids[parent or "root"], Name=unit.name)
        ids[key] = response["OrganizationalUnit"]["Id"]
    return ids


def create(client: Any, *, name: str, email: str, parent: str | None = None) -> str:
    """An account in the root, then moved to ``parent``; its id."""
    account = client.create_account(AccountName=name, Email=email)["CreateAccountStatus"]
    account_id = str(account["AccountId"])
    if parent is not None:
        client.move_account(
            AccountId=account_id, SourceParentId=root_id(client), DestinationParentId=parent
        )
    return account_id


def example_with_adopted(
    directory: Path, adopted_id: str, *, excluded: str | None = None
) -> LandingZoneConfig:
    """The example, its adopted account the one moto created; ``excluded`` from the baseline."""
    replace = [(ADOPTED, adopted_id)]
    if excluded is not None:
        replace.append(
            ("excluded_accounts: {}", f"excluded_accounts:\n    '{excluded}': own recorder")
        )
    return load_config(variant(EXAMPLE, directory, replace=replace))


def deployed_example(
    client: Any, directory: Path, *, excluded: str | None = None
) -> tuple[LandingZoneConfig, dict[str, str], dict[str, str]]:
    """The example's organization as a finished deploy leaves it.

    Returns the config, account key -> id and OU key -> id.
    """
    adopted = create(client, name="Acme-Payments-API-Prod", email="payments@acme.example")
    config = example_with_adopted(directory, adopted, excluded=excluded)
    units = build_units(client, config)
    ids: dict[str, str] = {}
    for key, account in config.all_accounts():
        if account.account_id is not None:
            client.move_account(
                AccountId=account.account_id,
                SourceParentId=root_id(client),
                DestinationParentId=units[account.ou],
            )
            ids[key] = account.account_id
        else:
            assert account.email is not None
            ids[key] = create(
                client, name=account.name, email=account.email, parent=units[account.ou]
            )
    return config, ids, units


def test_a_deployed_example_organization_passes(organizations: Any, tmp_path: Path) -> None:
    config, _, _ = deployed_example(organizations, tmp_path)
    session = Session()
    # Every account exists: no quota to ask for, no account the pack would fail on.
    assert organization_problems(config, session) == []
    session.quotas.assert_no_pending_responses()


def test_accounts_without_a_recorder_are_refused_with_the_fix(
    organizations: Any, tmp_path: Path
) -> None:
    config, ids, units = deployed_example(organizations, tmp_path)
    root = root_id(organizations)
    # Not in the config, in the root (untargeted).
    stray = create(organizations, name="Legacy", email="legacy@acme.example")
    # In the config, moved to Suspended: the baseline StackSet removes its recorder.
    organizations.move_account(
        AccountId=ids["platform-dev"],
        SourceParentId=units["sdlc"],
        DestinationParentId=units["suspended"],
    )
    # Adopted, still outside its OU (the app never moves adopted accounts).
    organizations.move_account(
        AccountId=ids["payments-api-prod"],
        SourceParentId=units["payments-prod"],
        DestinationParentId=root,
    )
    (problem,) = organization_problems(config, Session())
    assert problem.startswith(
        "3 account(s) of the organization would get no AWS Config recorder from the baseline"
    )
    for account in (stray, ids["platform-dev"], ids["payments-api-prod"]):
        assert account in problem
    assert "(Legacy)" in problem
    assert "add its id to baseline.excluded_accounts" in problem


def test_accounts_the_config_excludes_pass(organizations: Any, tmp_path: Path) -> None:
    # An account outside the config the baseline excludes by id: the pack excludes it too.
    stray = create(organizations, name="Legacy", email="legacy@acme.example")
    config, _, _ = deployed_example(organizations, tmp_path, excluded=stray)
    assert organization_problems(config, Session()) == []


def test_before_the_first_deploy_an_adopted_account_outside_its_ou_is_refused(
    organizations: Any, tmp_path: Path
) -> None:
    # No OU exists yet; the created accounts do not either (the quota is asked).
    adopted = create(organizations, name="Acme-Payments-API-Prod", email="payments@acme.example")
    config = example_with_adopted(tmp_path, adopted)
    (problem,) = organization_problems(config, answering(list_service_quotas=[quota(50)]))
    assert problem.startswith("1 account(s) of the organization would get no AWS Config recorder")
    assert f"{adopted} (Acme-Payments-API-Prod)" in problem


def test_check_refuses_accounts_the_pack_would_fail_on(organizations: Any, tmp_path: Path) -> None:
    # Through the whole preflight: this problem among the others a moto
    # organization has (its id and root differ from the config's, no CDK).
    config, _, _ = deployed_example(organizations, tmp_path)
    create(organizations, name="Legacy", email="legacy@acme.example")
    problems = check(config, Session())
    assert any("would get no AWS Config recorder" in problem for problem in problems), problems


# ---- the account quota ------------------------------------------------------------------------


def quota(value: float, code: str = "L-29A0C5DF") -> dict[str, Any]:
    return {
        "ServiceCode": "organizations",
        "QuotaCode": code,
        "QuotaName": "Default maximum number of accounts",
        "Value": value,
    }


def fresh_example(organizations: Any, tmp_path: Path) -> LandingZoneConfig:
    """The example before its first deploy: its OUs and adopted account exist, nothing else."""
    adopted = create(organizations, name="Acme-Payments-API-Prod", email="payments@acme.example")
    config = example_with_adopted(tmp_path, adopted)
    units = build_units(organizations, config)
    organizations.move_account(
        AccountId=adopted,
        SourceParentId=root_id(organizations),
        DestinationParentId=units["payments-prod"],
    )
    return config


def answering(*, handshakes: tuple[str, ...] = (), **quotas: list[dict[str, Any]]) -> Session:
    """A session whose Service Quotas answers each operation with its list, in order, and
    whose organization has invitations in the ``handshakes`` states."""
    session = Session()
    for operation, answer in quotas.items():
        session.quotas.add_response(operation, {"Quotas": answer}, {"ServiceCode": "organizations"})
    session.handshakes.add_response(
        "list_handshakes_for_organization",
        {"Handshakes": [invitation(state, n) for n, state in enumerate(handshakes)]},
        {"Filter": {"ActionType": "INVITE"}},
    )
    return session


def invitation(state: str, n: int) -> dict[str, Any]:
    return {"Id": f"h-{n:032d}", "Action": "INVITE", "State": state}


def test_an_account_quota_too_small_is_refused_with_how_to_raise_it(
    organizations: Any, tmp_path: Path
) -> None:
    config = fresh_example(organizations, tmp_path)
    (problem,) = organization_problems(config, answering(list_service_quotas=[quota(5)]))
    # The management and the adopted account exist; the example creates 10.
    assert problem.startswith(
        "the organization has 2 account(s) and this config creates 10 more (log-archive, audit,"
    )
    assert "12 in all, over its quota of 5" in problem
    assert "--quota-code L-29A0C5DF --desired-value 12 --region us-east-1" in problem


def test_a_quota_large_enough_passes(organizations: Any, tmp_path: Path) -> None:
    config = fresh_example(organizations, tmp_path)
    assert organization_problems(config, answering(list_service_quotas=[quota(12)])) == []


def test_without_an_applied_value_the_aws_default_counts(
    organizations: Any, tmp_path: Path
) -> None:
    config = fresh_example(organizations, tmp_path)
    session = answering(list_service_quotas=[], list_aws_default_service_quotas=[quota(10)])
    (problem,) = organization_problems(config, session)
    assert "12 in all, over its quota of 10" in problem


def test_an_unreadable_quota_is_reported(organizations: Any, tmp_path: Path) -> None:
    config = fresh_example(organizations, tmp_path)
    session = Session()
    session.quotas.add_client_error("list_service_quotas", "AccessDeniedException")
    (problem,) = organization_problems(config, session)
    assert problem.startswith("cannot read the organization's account quota from Service Quotas")


def test_pending_invitations_count_against_the_quota(organizations: Any, tmp_path: Path) -> None:
    """ "Invitations sent to accounts count against this quota" until answered or expired."""
    config = fresh_example(organizations, tmp_path)
    answered = ("ACCEPTED", "DECLINED", "CANCELED", "EXPIRED")
    pending = ("OPEN", "REQUESTED")
    session = answering(list_service_quotas=[quota(13)], handshakes=(*pending, *answered))
    (problem,) = organization_problems(config, session)
    assert problem.startswith(
        "the organization has 2 account(s), 2 pending invitation(s) and this config creates 10"
    )
    assert "14 in all, over its quota of 13" in problem
    session.handshakes.assert_no_pending_responses()


def test_answered_invitations_do_not_count(organizations: Any, tmp_path: Path) -> None:
    config = fresh_example(organizations, tmp_path)
    session = answering(list_service_quotas=[quota(12)], handshakes=("ACCEPTED", "EXPIRED"))
    assert organization_problems(config, session) == []


def test_unlisted_invitations_are_reported(organizations: Any, tmp_path: Path) -> None:
    config = fresh_example(organizations, tmp_path)
    session = Session()
    session.quotas.add_response(
        "list_service_quotas", {"Quotas": [quota(50)]}, {"ServiceCode": "organizations"}
    )
    session.handshakes.add_client_error("list_handshakes_for_organization", "AccessDeniedException")
    (problem,) = organization_problems(config, session)
    assert problem.startswith("cannot list the organization's pending invitations")
