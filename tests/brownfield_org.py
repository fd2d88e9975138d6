"""A brownfield organization in moto: built by hand, years before any landing zone.

Nested OUs (two named Prod, one whose name starts with a digit, one named
Root), Control Tower's shared accounts by their default names, workload
accounts (two of one name), an account left in the root, SCPs and an RCP
of its own and two of Control Tower's, trusted access, delegated
administrators and an AWS Config recorder in the management account.

moto serves Organizations, STS and AWS Config (member accounts' too,
through assumed roles). What it lacks (the delegated-administrator and
trusted-access listings for every principal, CloudFormation) is answered by
verify's :class:`~tests.test_verify.Answers`, checked against each API's
output shape.

:func:`deployed_example` builds the other side: a greenfield organization as
a successful deploy of config/example.yaml leaves it, where the brownfield
checks must find nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from landing_zone.config import load_config
from landing_zone.guardrails.packer import POLICY_TYPE, plan_guardrails
from landing_zone.naming import resource_name
from landing_zone.verify import expected
from tests.conftest import EXAMPLE
from tests.custom_resources import fake_credentials
from tests.test_verify import Answers
from tests.variants import variant

#: moto's default account: with MOTO_ACCOUNT_ID unset, moto serves each request in the
#: account its credentials belong to, assumed roles' included (member accounts' recorders).
MANAGEMENT = "123456789012"
HOME = "eu-west-1"
GOVERNED = ("eu-west-1", "eu-central-1")

#: OU paths (parent first) in the order they are created.
UNITS = (
    ("Security",),
    ("Workloads",),
    ("Workloads", "Prod"),
    ("Workloads", "Dev"),
    ("Retail",),
    ("Retail", "Prod"),
    ("Sandbox",),
    ("2024 Projects",),
    ("Root",),
)
#: Account name -> OU path (``()``: the root).
ACCOUNTS = {
    "Log Archive": ("Security",),
    "Audit": ("Security",),
    "Shop Prod": ("Workloads", "Prod"),
    "Payments API": ("Workloads", "Prod"),
    "Shop Dev": ("Workloads", "Dev"),
    "Retail Web": ("Retail", "Prod"),
    "Sandbox 1": ("Sandbox",),
    "Sandbox-1": ("Sandbox",),
    "Experiments": ("2024 Projects",),
    "Legacy": (),
}
#: A second account named like one above (names are unique in a config).
DUPLICATE = ("Shop Dev", ("Sandbox",))

DENY_LEAVE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}
        ],
    }
)
DENY_REGIONS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "NotAction": ["iam:*", "organizations:*"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(GOVERNED)}},
            }
        ],
    }
)
DENY_EXTERNAL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-x"}},
            }
        ],
    }
)
#: Name, type, content, targets (OU paths; ``()`` the root).
POLICIES = (
    ("DenyLeaveOrg", "SERVICE_CONTROL_POLICY", DENY_LEAVE, ((), ("Workloads",))),
    ("DenyRegions", "SERVICE_CONTROL_POLICY", DENY_REGIONS, (("Workloads",),)),
    ("aws-guardrails-AbCdEf", "SERVICE_CONTROL_POLICY", DENY_LEAVE, (("Security",),)),
    (
        "aws-guardrails-GhIjKl",
        "SERVICE_CONTROL_POLICY",
        DENY_REGIONS,
        (("Security",), ("Workloads",)),
    ),
    ("DenyExternalS3", "RESOURCE_CONTROL_POLICY", DENY_EXTERNAL, ((),)),
)
TRUSTED = (
    "controltower.amazonaws.com",
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "sso.amazonaws.com",
    "ssm.amazonaws.com",
)

#: One botocore session for every client (each new one loads the API models
#: again); made after moto's import, which hooks sessions made from then on.
_SESSION = boto3.Session()


class Session:
    """boto3's session (moto behind it), verify's Answers on every client it makes."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def client(self, name: str, *, region_name: str, config: Any = None, **credentials: Any) -> Any:
        client = _SESSION.client(  # type: ignore[call-overload]
            name, region_name=region_name, config=config, **credentials
        )
        self.answers.install(client)
        return client


def client(name: str, region: str = "us-east-1", **credentials: Any) -> Any:
    return _SESSION.client(name, region_name=region, **credentials)  # type: ignore[call-overload]


@dataclass
class Brownfield:
    """The organization, and what the answers say."""

    organization_id: str
    root: str
    #: OU path -> id.
    units: dict[tuple[str, ...], str]
    #: Account name -> id (the duplicate under its name + " (2)").
    accounts: dict[str, str]
    policies: dict[str, str]
    session: Session
    trusted: list[str] = field(default_factory=lambda: list(TRUSTED))
    #: Service principal -> administrator account ids.
    delegated: dict[str, list[str]] = field(default_factory=dict)
    #: OU ids <Prefix>-Organization manages (ListStackResources); None: no stack.
    stack_units: set[str] | None = None
    #: Account ids whose role cannot be assumed.
    unassumable: set[str] = field(default_factory=set)

    @property
    def organizations(self) -> Any:
        return client("organizations")

    def path_of(self, unit_id: str) -> tuple[str, ...]:
        return next(path for path, found in self.units.items() if found == unit_id)

    def member_config(self, account_id: str, region: str) -> Any:
        """AWS Config in a member account, as its own administrators reach it."""
        credentials = client("sts", HOME).assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
            RoleSessionName="test",
        )["Credentials"]
        return client(
            "config",
            region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def record(self, account_id: str, name: str, regions: tuple[str, ...] = GOVERNED) -> None:
        """A customer-managed AWS Config recorder named ``name`` in ``account_id``."""
        for region in regions:
            recorder = {"name": name, "roleARN": f"arn:aws:iam::{account_id}:role/config"}
            if account_id == MANAGEMENT:
                client("config", region).put_configuration_recorder(ConfigurationRecorder=recorder)
            else:
                self.member_config(account_id, region).put_configuration_recorder(
                    ConfigurationRecorder=recorder
                )


def _error(code: str, message: str = "") -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


def build() -> Brownfield:
    """The organization in moto (call inside :func:`moto_world`)."""
    organizations = client("organizations")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    for kind in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        organizations.enable_policy_type(RootId=root, PolicyType=kind)
    units: dict[tuple[str, ...], str] = {(): root}
    for path in UNITS:
        units[path] = organizations.create_organizational_unit(
            ParentId=units[path[:-1]], Name=path[-1]
        )["OrganizationalUnit"]["Id"]
    accounts: dict[str, str] = {}
    for n, (name, path) in enumerate([*ACCOUNTS.items(), DUPLICATE]):
        key = name if name not in accounts else f"{name} (2)"
        accounts[key] = organizations.create_account(
            Email=f"aws+{n}@brownfield.example", AccountName=name
        )["CreateAccountStatus"]["AccountId"]
        if path:
            organizations.move_account(
                AccountId=accounts[key], SourceParentId=root, DestinationParentId=units[path]
            )
    policies: dict[str, str] = {}
    for name, kind, content, targets in POLICIES:
        policies[name] = organizations.create_policy(
            Content=content, Description=name, Name=name, Type=kind
        )["Policy"]["PolicySummary"]["Id"]
        for target in targets:
            organizations.attach_policy(PolicyId=policies[name], TargetId=units[target])
    world = Brownfield(organization["Id"], root, units, accounts, policies, Session(Answers()))
    audit = accounts["Audit"]
    world.delegated = {
        "guardduty.amazonaws.com": [audit],
        "securityhub.amazonaws.com": [audit],
    }
    world.record(MANAGEMENT, "default", (HOME,))
    answer(world)
    return world


def answer(world: Brownfield) -> None:
    """What moto lacks, answered from ``world``: delegated administrators, trusted access, the
    organization stack's OUs and assume-role refusals."""
    answers = world.session.answers

    def administrators(params: dict[str, Any]) -> dict[str, Any]:
        principal = params.get("ServicePrincipal")
        ids = sorted(
            {
                account
                for listed, admins in world.delegated.items()
                if principal in (None, listed)
                for account in admins
            }
        )
        return {"DelegatedAdministrators": [{"Id": account} for account in ids]}

    def delegated_services(params: dict[str, Any]) -> dict[str, Any]:
        return {
            "DelegatedServices": [
                {"ServicePrincipal": principal}
                for principal, admins in world.delegated.items()
                if params["AccountId"] in admins
            ]
        }

    def stack_resources(params: dict[str, Any]) -> dict[str, Any]:
        if world.stack_units is None:
            return _error("ValidationError", f"Stack with id {params['StackName']} does not exist")
        return {
            "StackResourceSummaries": [
                {
                    "LogicalResourceId": f"Ou{n}",
                    "PhysicalResourceId": unit,
                    "ResourceType": "AWS::Organizations::OrganizationalUnit",
                    "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
                for n, unit in enumerate(sorted(world.stack_units))
            ]
        }

    moto_assume_role = client("sts", HOME).assume_role

    def assume_role(params: dict[str, Any]) -> dict[str, Any]:
        account = params["RoleArn"].split(":")[4]
        if account in world.unassumable:
            return _error("AccessDenied", f"not authorized to perform sts:AssumeRole on {account}")
        reply = dict(moto_assume_role(**params))
        reply.pop("ResponseMetadata", None)
        return reply

    answers.set("organizations", "ListDelegatedAdministrators", administrators)
    answers.set("organizations", "ListDelegatedServicesForAccount", delegated_services)
    answers.set(
        "organizations",
        "ListAWSServiceAccessForOrganization",
        lambda _: {"EnabledServicePrincipals": [{"ServicePrincipal": p} for p in world.trusted]},
    )
    answers.set("cloudformation", "ListStackResources", stack_resources)
    answers.set(
        "cloudformation",
        "DescribeStacks",
        lambda params: {
            "Stacks": [
                {
                    "StackName": params["StackName"],
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                }
            ]
        },
    )
    answers.set("sts", "AssumeRole", assume_role)


@contextmanager
def _moto() -> Iterator[None]:
    """moto, with credentials of its default account, the management account."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_credentials(monkeypatch, HOME)
        monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
        with mock_aws():
            yield


@contextmanager
def moto_world() -> Iterator[Brownfield]:
    """The organization, in moto, with credentials of its management account."""
    with _moto():
        yield build()


@contextmanager
def deployed_example(directory: Path) -> Iterator[tuple[Brownfield, Path]]:
    """A greenfield organization as a successful ``make deploy`` of config/example.yaml
    leaves it, and that config (its ids made moto's), written in ``directory``.

    Built by hand from the config, as verify's tests build theirs: the OUs
    with the stack's tags, in the stack; the accounts in their OUs; the
    packed guardrails attached; the audit account administering every
    detection service; every trusted service on; the baseline's recorder in
    every governed region of every account it reaches and of the
    management account.
    """
    with _moto():
        organizations = client("organizations")
        organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
        root = organizations.list_roots()["Roots"][0]["Id"]
        adopted = organizations.create_account(
            Email="payments-api-prod@acme.example", AccountName="Acme-Payments-API-Prod"
        )["CreateAccountStatus"]["AccountId"]
        path = variant(
            EXAMPLE,
            directory,
            replace=[
                ("id: o-a1b2c3d4e5", f"id: {organization['Id']}"),
                ("root_id: r-a1b2", f"root_id: {root}"),
                ("210987654321", adopted),
                ("111111111111", MANAGEMENT),
            ],
        )
        config = load_config(path)
        for kind in POLICY_TYPE.values():
            organizations.enable_policy_type(RootId=root, PolicyType=kind)
        units: dict[str, str] = {"root": root}
        for key, unit, parent, _ in config.walk_units():
            units[key] = organizations.create_organizational_unit(
                ParentId=units[parent or "root"],
                Name=unit.name,
                Tags=[
                    {"Key": "landing-zone:prefix", "Value": config.prefix},
                    {"Key": "landing-zone:ou-key", "Value": key},
                ],
            )["OrganizationalUnit"]["Id"]
        accounts: dict[str, str] = {}
        for key, account in config.all_accounts():
            accounts[key] = (
                account.account_id
                or organizations.create_account(Email=str(account.email), AccountName=account.name)[
                    "CreateAccountStatus"
                ]["AccountId"]
            )
            organizations.move_account(
                AccountId=accounts[key], SourceParentId=root, DestinationParentId=units[account.ou]
            )
        policies: dict[str, str] = {}
        for packed in plan_guardrails(config).policies:
            policies[packed.name] = organizations.create_policy(
                Content=packed.content,
                Description=packed.description,
                Name=packed.name,
                Type=POLICY_TYPE[packed.kind],
            )["Policy"]["PolicySummary"]["Id"]
            organizations.attach_policy(
                PolicyId=policies[packed.name], TargetId=units[packed.target]
            )
        world = Brownfield(
            organization["Id"],
            root,
            {(key,): unit for key, unit in units.items()},
            accounts,
            policies,
            Session(Answers()),
            trusted=list(config.organization_features.trusted_services),
            delegated={
                expected.registration_principal(service): [accounts["audit"]]
                for service in expected.delegated_services(config)
            },
            stack_units={unit for key, unit in units.items() if key != "root"},
        )
        ours = resource_name(config.prefix, "ConfigRecorder")
        regions = tuple(config.baseline_region_order)
        world.record(MANAGEMENT, ours, regions)
        for key in config.baseline_account_keys():
            world.record(accounts[key], ours, regions)
        answer(world)
        yield world, path
