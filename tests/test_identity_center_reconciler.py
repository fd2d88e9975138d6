"""The Identity Center reconciler against moto's AWS: an organization, an instance, its groups.

moto (organizations, sso-admin, identitystore) holds the state; every client
the handler creates goes through :class:`Cloud`, which counts the calls by
kind and, where moto cannot, makes a write IN_PROGRESS, FAILED or throttled.
The Lambda client (continuations) is a botocore Stubber. Every test checks
the assignments that really exist afterwards, not only what the handler says.

The Lambda runs in ``REGION``; the Identity Center instance is in
``INSTANCE_REGION`` (they differ here on purpose: each client must go where
what it acts on lives).
"""

from __future__ import annotations

import json
import math
import sys
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from landing_zone.identity_center import encode
from landing_zone.lambdas import custom_resource
from landing_zone.lambdas import identity_center_reconciler as handler_module
from landing_zone.lambdas.identity_center_reconciler import (
    CONFLICT_ATTEMPTS,
    MAX_CONTINUATIONS,
    MAX_OUTSTANDING,
    POLL_SECONDS,
    RESOURCE_TYPE,
    ReconcileError,
)
from tests.custom_resources import Captured, Context, cfn_event, load_inline

#: Where the Lambda runs (the ``mocked_aws`` fixture's region).
REGION = "eu-central-1"
#: Where the Identity Center instance lives.
INSTANCE_REGION = "eu-west-1"
#: moto's account: the one that creates the organization, its management account.
MANAGEMENT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{MANAGEMENT}:function:Acme-IdentityCenterReconciler"
STACK_ID = f"arn:aws:cloudformation:{INSTANCE_REGION}:{MANAGEMENT}:stack/Acme-IdentityCenter/x"

WRITES = ("create_account_assignment", "delete_account_assignment")
STATUS_KEY = {
    "create_account_assignment": "AccountAssignmentCreationStatus",
    "delete_account_assignment": "AccountAssignmentDeletionStatus",
    "describe_account_assignment_creation_status": "AccountAssignmentCreationStatus",
    "describe_account_assignment_deletion_status": "AccountAssignmentDeletionStatus",
}


def throttled(operation: str, code: str = "ThrottlingException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, operation)


# ---- the instrumented cloud -----------------------------------------------------------------


class _Proxy:
    """A boto3 client whose every call goes through :meth:`Cloud.call`."""

    def __init__(self, cloud: Cloud, service: str, real: Any) -> None:
        self._cloud = cloud
        self._service = service
        self._real = real

    def __getattr__(self, operation: str) -> Callable[..., Any]:
        method = getattr(self._real, operation)

        def call(**kwargs: Any) -> Any:
            return self._cloud.call(self._service, operation, method, kwargs)

        return call


@dataclass
class Cloud:
    """moto behind the handler's ``client()``, instrumented.

    - ``calls``: calls made, by ``service.operation``;
    - ``clients``: (service, region) of each client the handler created;
    - ``errors``: operation -> errors its next calls raise, in order (throttling);
    - ``polls``: status checks a write answers IN_PROGRESS to before its result;
    - ``failing``: (account, permission set ARN, group id) -> the FailureReason its
      creation ends with (moto is not asked);
    - ``outstanding`` / ``most_outstanding``: writes IN_PROGRESS now / at most;
    - ``before``: operation -> a function run with the call's arguments first;
    - ``rewrite``: operation -> a function of (arguments, answer) returning the answer;
    - ``sleeps``: the handler's sleeps (none is slept);
    - ``write_log``: the writes made.
    """

    lambda_stub: Stubber
    calls: Counter[str] = field(default_factory=Counter)
    clients: set[tuple[str, str]] = field(default_factory=set)
    errors: dict[str, list[ClientError]] = field(default_factory=dict)
    polls: int = 0
    failing: dict[tuple[str, str, str], str] = field(default_factory=dict)
    outstanding: int = 0
    most_outstanding: int = 0
    before: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    rewrite: dict[str, Callable[[dict[str, Any], Any], Any]] = field(default_factory=dict)
    sleeps: list[float] = field(default_factory=list)
    #: Writes after which the clock says 30 s are left (``None``: the real clock).
    time_runs_out_after: int | None = None
    #: (operation, arguments) of each write, in order.
    write_log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _waiting: dict[str, int] = field(default_factory=dict)
    _failed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, service: str, *, region_name: str) -> Any:
        self.clients.add((service, region_name))
        if service == "lambda":
            return self.lambda_stub.client
        return _Proxy(self, service, boto3.client(service, region_name=region_name))

    def writes(self) -> int:
        return sum(self.calls[f"sso-admin.{w}"] for w in WRITES)

    def seconds_left(self, deadline: float) -> float:
        """30 s once ``time_runs_out_after`` writes were made: less than the margin a new
        write needs, more than a status check."""
        limit = self.time_runs_out_after
        if limit is not None and self.writes() >= limit:
            return 30.0
        return custom_resource.seconds_left(deadline)

    def call(
        self, service: str, operation: str, method: Callable[..., Any], kwargs: dict[str, Any]
    ) -> Any:
        self.calls[f"{service}.{operation}"] += 1
        if operation in self.before:
            self.before[operation](kwargs)
        if self.errors.get(operation):
            raise self.errors[operation].pop(0)
        if operation in WRITES:
            answer = self._write(operation, method, kwargs)
        elif operation.startswith("describe_account_assignment"):
            answer = self._status(operation, method, kwargs)
        else:
            answer = method(**kwargs)
        if operation in self.rewrite:
            answer = self.rewrite[operation](kwargs, answer)
        return answer

    def _write(self, operation: str, method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        self.write_log.append((operation, kwargs))
        key = (kwargs["TargetId"], kwargs["PermissionSetArn"], kwargs["PrincipalId"])
        if operation == "create_account_assignment" and key in self.failing:
            request = f"failed-{len(self._failed)}"
            status = {"Status": "FAILED", "RequestId": request, "FailureReason": self.failing[key]}
            self._failed[request] = status
            answer: dict[str, Any] = {STATUS_KEY[operation]: status}
        else:
            answer = method(**kwargs)
        if self.polls:
            status = dict(answer[STATUS_KEY[operation]])
            self._waiting[status["RequestId"]] = self.polls
            self.outstanding += 1
            self.most_outstanding = max(self.most_outstanding, self.outstanding)
            answer = {STATUS_KEY[operation]: {**status, "Status": "IN_PROGRESS"}}
        return answer

    def _status(self, operation: str, method: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        request = next(v for k, v in kwargs.items() if k.endswith("RequestId"))
        key = STATUS_KEY[operation]
        left = self._waiting[request] - 1
        if left:
            self._waiting[request] = left
            return {key: {"RequestId": request, "Status": "IN_PROGRESS"}}
        del self._waiting[request]
        self.outstanding -= 1
        if request in self._failed:
            return {key: self._failed[request]}
        return method(**kwargs)


@pytest.fixture
def cloud(
    mocked_aws: None, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cloud]:
    lambda_client = boto3.client("lambda", region_name=REGION)
    stub = Stubber(lambda_client)
    stub.activate()
    instrumented = Cloud(lambda_stub=stub)
    monkeypatch.setattr(handler_module, "client", instrumented.client)
    monkeypatch.setattr(handler_module, "seconds_left", instrumented.seconds_left)
    for module in (handler_module, custom_resource):
        monkeypatch.setattr(module, "sleep", instrumented.sleeps.append)
    yield instrumented
    stub.assert_no_pending_responses()


# ---- the organization -----------------------------------------------------------------------

#: OU name paths of the organization, parents first.
OUS = [("Workloads",), ("Workloads", "Prod"), ("Workloads", "SDLC"), ("Sandbox",), ("Suspended",)]
#: Account key -> (OU path, email). ``prod-closed`` is closed (SUSPENDED) after creation.
ACCOUNTS = {
    "root-tools": ((), "tools@acme.example"),
    "prod-a": (("Workloads", "Prod"), "prod-a@acme.example"),
    "prod-b": (("Workloads", "Prod"), "prod-b@acme.example"),
    "prod-closed": (("Workloads", "Prod"), "prod-closed@acme.example"),
    "sdlc-a": (("Workloads", "SDLC"), "sdlc-a@acme.example"),
    "workloads-shared": (("Workloads",), "shared@acme.example"),
    "sandbox-data": (("Sandbox",), "Data.Team@Acme.EXAMPLE"),
    "sandbox-finops": (("Sandbox",), "finops@acme.example"),
    "sandbox-other": (("Sandbox",), "other@acme.example"),
    "in-suspended-ou": (("Suspended",), "leaving@acme.example"),
}
PERMISSION_SETS = ["Admin", "PowerUser", "ReadOnly", "Billing", "HandMade"]
GROUPS = ["platform-admins", "developers", "auditors", "finops", "other-team"]


@dataclass
class World:
    """The moto organization and Identity Center, by name."""

    org: Any
    sso: Any
    store: Any
    instance: str
    store_id: str
    root: str
    ous: dict[tuple[str, ...], str]
    accounts: dict[str, str]
    groups: dict[str, str]
    permission_sets: dict[str, str]

    def key_of(self, account_id: str) -> str:
        return next((k for k, v in self.accounts.items() if v == account_id), account_id)

    def assignments(self) -> Counter[tuple[str, str, str]]:
        """(account key, group, permission set) of every group assignment, with repeats."""
        group_names = {v: k for k, v in self.groups.items()}
        ps_names = {v: k for k, v in self.permission_sets.items()}
        found: Counter[tuple[str, str, str]] = Counter()
        for group in self.groups.values():
            pages = self.sso.get_paginator("list_account_assignments_for_principal").paginate(
                InstanceArn=self.instance, PrincipalId=group, PrincipalType="GROUP"
            )
            for page in pages:
                for item in page["AccountAssignments"]:
                    found[
                        (
                            self.key_of(item["AccountId"]),
                            group_names[item["PrincipalId"]],
                            ps_names[item["PermissionSetArn"]],
                        )
                    ] += 1
        return found

    def assign(self, account: str, group: str, permission_set: str) -> None:
        """A hand-made assignment (console, another tool)."""
        self.sso.create_account_assignment(
            InstanceArn=self.instance,
            TargetId=self.accounts.get(account, account),
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=self.permission_sets[permission_set],
            PrincipalType="GROUP",
            PrincipalId=self.groups[group],
        )

    def unassign(self, account: str, group: str, permission_set: str) -> None:
        """An assignment removed by hand."""
        self.sso.delete_account_assignment(
            InstanceArn=self.instance,
            TargetId=self.accounts.get(account, account),
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=self.permission_sets[permission_set],
            PrincipalType="GROUP",
            PrincipalId=self.groups[group],
        )

    def add_permission_set(self, name: str) -> None:
        self.permission_sets[name] = self.sso.create_permission_set(
            Name=name, InstanceArn=self.instance
        )["PermissionSet"]["PermissionSetArn"]

    def add_group(self, name: str) -> None:
        self.groups[name] = self.store.create_group(
            IdentityStoreId=self.store_id, DisplayName=name
        )["GroupId"]

    def move(self, account: str, path: tuple[str, ...]) -> None:
        account_id = self.accounts[account]
        source = self.org.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        self.org.move_account(
            AccountId=account_id,
            SourceParentId=source,
            DestinationParentId=self.ous[path] if path else self.root,
        )

    def rename_ou(self, path: tuple[str, ...], name: str) -> None:
        """Renamed live (the console, another tool): same id, new name."""
        self.org.update_organizational_unit(OrganizationalUnitId=self.ous[path], Name=name)

    def encoded(self, rules: list[list[Any]]) -> str:
        """The rules as the stack encodes them (``landing_zone/identity_center.py``)."""
        return encode(
            {
                "instance": self.instance,
                "store": self.store_id,
                "region": INSTANCE_REGION,
                "management": MANAGEMENT,
                "rules": rules,
            }
        )

    def rules(self) -> list[list[Any]]:
        """The config's rules: root, OU subtrees, an account by id, one by email."""
        return [
            [["Workloads"], "platform-admins", "Admin"],
            [["Workloads", "SDLC"], "developers", "PowerUser"],
            [["Workloads", "Prod"], "developers", "ReadOnly"],
            [[], "auditors", "ReadOnly"],
            [self.accounts["sandbox-finops"], "finops", "Billing"],
            # The stack lowercases emails; Organizations keeps the case it was given.
            ["data.team@acme.example", "developers", "ReadOnly"],
        ]


#: What ``World.rules()`` gives: never the management account or ``prod-closed``
#: (SUSPENDED); the root rule reaches the ACTIVE account in the Suspended OU.
EXPECTED = {
    ("root-tools", "auditors", "ReadOnly"),
    ("prod-a", "platform-admins", "Admin"),
    ("prod-a", "developers", "ReadOnly"),
    ("prod-a", "auditors", "ReadOnly"),
    ("prod-b", "platform-admins", "Admin"),
    ("prod-b", "developers", "ReadOnly"),
    ("prod-b", "auditors", "ReadOnly"),
    ("sdlc-a", "platform-admins", "Admin"),
    ("sdlc-a", "developers", "PowerUser"),
    ("sdlc-a", "auditors", "ReadOnly"),
    ("workloads-shared", "platform-admins", "Admin"),
    ("workloads-shared", "auditors", "ReadOnly"),
    ("sandbox-data", "developers", "ReadOnly"),
    ("sandbox-data", "auditors", "ReadOnly"),
    ("sandbox-finops", "finops", "Billing"),
    ("sandbox-finops", "auditors", "ReadOnly"),
    ("sandbox-other", "auditors", "ReadOnly"),
    ("in-suspended-ou", "auditors", "ReadOnly"),
}


def organization(
    ous: list[tuple[str, ...]], accounts: dict[str, tuple[tuple[str, ...], str]]
) -> tuple[Any, str, dict[tuple[str, ...], str], dict[str, str]]:
    """A moto organization with ``ous`` (parents first) and ``accounts`` (key -> OU, email).

    Returns the client, the root id, OU ids by path and account ids by key (the
    management account's key is ``management``).
    """
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit_ids: dict[tuple[str, ...], str] = {}
    for path in ous:
        parent = unit_ids[path[:-1]] if len(path) > 1 else root
        unit_ids[path] = org.create_organizational_unit(ParentId=parent, Name=path[-1])[
            "OrganizationalUnit"
        ]["Id"]
    account_ids = {"management": MANAGEMENT}
    for key, (path, email) in accounts.items():
        created = org.create_account(AccountName=key, Email=email)["CreateAccountStatus"]
        account_ids[key] = created["AccountId"]
        if path:
            org.move_account(
                AccountId=created["AccountId"],
                SourceParentId=root,
                DestinationParentId=unit_ids[path],
            )
    return org, root, unit_ids, account_ids


def identity_center(
    permission_sets: list[str], groups: list[str]
) -> tuple[Any, Any, str, str, dict[str, str], dict[str, str]]:
    """moto's instance in INSTANCE_REGION, with ``permission_sets`` and ``groups``."""
    sso = boto3.client("sso-admin", region_name=INSTANCE_REGION)
    store = boto3.client("identitystore", region_name=INSTANCE_REGION)
    (instance,) = sso.list_instances()["Instances"]
    arn, store_id = instance["InstanceArn"], instance["IdentityStoreId"]
    ps_arns = {
        name: sso.create_permission_set(Name=name, InstanceArn=arn)["PermissionSet"][
            "PermissionSetArn"
        ]
        for name in permission_sets
    }
    group_ids = {
        name: store.create_group(IdentityStoreId=store_id, DisplayName=name)["GroupId"]
        for name in groups
    }
    return sso, store, arn, store_id, ps_arns, group_ids


@pytest.fixture
def world(cloud: Cloud) -> World:
    org, root, ous, accounts = organization(OUS, ACCOUNTS)
    org.close_account(AccountId=accounts["prod-closed"])
    sso, store, instance, store_id, permission_sets, groups = identity_center(
        PERMISSION_SETS, GROUPS
    )
    assert org.describe_account(AccountId=accounts["prod-closed"])["Account"]["State"] == (
        "SUSPENDED"
    )
    return World(org, sso, store, instance, store_id, root, ous, accounts, groups, permission_sets)


# ---- requests -------------------------------------------------------------------------------


class LambdaContext(Context):
    invoked_function_arn = FUNCTION_ARN
    function_name = FUNCTION_ARN.rsplit(":", 1)[1]


#: The reconciler's ledger (the names it owns beyond the current rules).
LEDGER = handler_module.ledger_parameter(LambdaContext.function_name)


def ledger(world: World) -> dict[str, list[str]] | None:
    """What the ledger holds (``None``: no parameter)."""
    ssm = boto3.client("ssm", region_name=REGION)
    try:
        value = ssm.get_parameter(Name=LEDGER)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    document: dict[str, list[str]] = json.loads(value)
    return document


def request(
    kind: str, rules: str, *, old: str | None = None, physical_id: str | None = None
) -> dict[str, Any]:
    extra = {"OldResourceProperties": {"ServiceToken": "arn:...", "Rules": old}} if old else {}
    return cfn_event(
        kind,
        stack_id=STACK_ID,
        logical_id="Assignments",
        resource_type=RESOURCE_TYPE,
        properties={"Rules": rules},
        physical_id=physical_id,
        **extra,
    )


def deploy(
    responses: Captured, kind: str, rules: str, *, old: str | None = None, world: World
) -> dict[str, Any]:
    """One custom-resource request; what CloudFormation was told."""
    physical_id = None if kind == "Create" else f"assignments/{world.instance}"
    handler_module.handler(request(kind, rules, old=old, physical_id=physical_id), LambdaContext())
    return responses.last


def counts(created: int = 0, deleted: int = 0, failed: int = 0, pending: int = 0) -> dict[str, str]:
    return {
        "created": str(created),
        "deleted": str(deleted),
        "failed": str(failed),
        "pending": str(pending),
    }


SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}


def run_event(
    monkeypatch: pytest.MonkeyPatch, world: World, event: dict[str, Any], rules: str | None = None
) -> Any:
    """The function started by EventBridge or a continuation, the rules in its environment."""
    monkeypatch.setenv("RULES", rules or world.encoded(world.rules()))
    return handler_module.handler(event, LambdaContext())


def create_account_result(account_id: str | None, state: str = "SUCCEEDED") -> dict[str, Any]:
    """CreateAccountResult as EventBridge delivers it (an AWS service event via CloudTrail).

    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_security_incident-response.html
    """
    status: dict[str, Any] = {"id": "car-1234567890", "state": state}
    if account_id:
        status["accountId"] = account_id
    return {
        "source": "aws.organizations",
        "detail-type": "AWS Service Event via CloudTrail",
        "detail": {
            "eventSource": "organizations.amazonaws.com",
            "eventName": "CreateAccountResult",
            "serviceEventDetails": {"createAccountStatus": status},
        },
    }


def move_account(account_id: str, source: str, destination: str) -> dict[str, Any]:
    """MoveAccount as EventBridge delivers it (an API call via CloudTrail).

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_MoveAccount.html
    """
    return {
        "source": "aws.organizations",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {
            "eventSource": "organizations.amazonaws.com",
            "eventName": "MoveAccount",
            "requestParameters": {
                "accountId": account_id,
                "sourceParentId": source,
                "destinationParentId": destination,
            },
        },
    }


def expect_continuation(cloud: Cloud, payload: dict[str, Any]) -> None:
    cloud.lambda_stub.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": FUNCTION_ARN,
            "InvocationType": "Event",
            "Payload": json.dumps(payload).encode(),
        },
    )


def written_to(cloud: Cloud, world: World, since: int = 0) -> set[str]:
    """The accounts written to since the ``since``-th write (keys of ``world``)."""
    return {world.key_of(arguments["TargetId"]) for _, arguments in cloud.write_log[since:]}


# ---- Create ---------------------------------------------------------------------------------


def test_create_assigns_exactly_what_the_rules_reach(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """Root, an OU subtree, an account by id and one by email (case-insensitively); never
    the management account, never a SUSPENDED account; CloudFormation gets the counts."""
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == f"assignments/{world.instance}"
    assert answer["Data"] == counts(created=len(EXPECTED))
    assert world.assignments() == Counter(EXPECTED)
    assert cloud.calls["sso-admin.create_account_assignment"] == len(EXPECTED)
    assert cloud.calls["sso-admin.delete_account_assignment"] == 0


# ---- Repeat ---------------------------------------------------------------------------------


def test_a_second_run_changes_nothing(world: World, cloud: Cloud, responses: Captured) -> None:
    """moto accepts a duplicate create: no Create call may be made, and none is listed twice."""
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)
    writes = cloud.writes()
    answer = deploy(responses, "Update", rules, old=rules, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == counts()
    assert cloud.writes() == writes
    assert world.assignments() == Counter(EXPECTED)


def test_the_hourly_run_repairs_what_went_missing_and_nothing_else(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    world.sso.delete_account_assignment(
        InstanceArn=world.instance,
        TargetId=world.accounts["prod-a"],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=world.permission_sets["Admin"],
        PrincipalType="GROUP",
        PrincipalId=world.groups["platform-admins"],
    )
    summary = run_event(monkeypatch, world, SCHEDULED)
    assert summary["created"] == [f"platform-admins / Admin in {world.accounts['prod-a']}"]
    assert summary["deleted"] == summary["failed"] == []
    assert world.assignments() == Counter(EXPECTED)


# ---- Update ---------------------------------------------------------------------------------

#: Hand-made assignments a run must leave alone: another group, another permission set,
#: and an assignment (of an owned pair) in the management account.
NOT_OWNED = {
    ("prod-a", "other-team", "Admin"),
    ("sdlc-a", "developers", "HandMade"),
    ("management", "auditors", "ReadOnly"),
}


def test_update_revokes_what_the_old_rules_gave_and_grants_the_new(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """A group removed (platform-admins), a rule removed (the email one), a permission set
    renamed (Billing -> BillingV2: CloudFormation creates the new one first and deletes
    the old one in its cleanup, after this ran)."""
    old = world.encoded(world.rules())
    deploy(responses, "Create", old, world=world)
    for assignment in NOT_OWNED:
        world.assign(*assignment)
    # An owned pair by hand where no rule reaches: the reconciler owns it.
    world.assign("sandbox-other", "developers", "PowerUser")
    world.add_permission_set("BillingV2")
    new_rules = [
        [["Workloads", "SDLC"], "developers", "PowerUser"],
        [["Workloads", "Prod"], "developers", "ReadOnly"],
        [[], "auditors", "ReadOnly"],
        [world.accounts["sandbox-finops"], "finops", "BillingV2"],
    ]
    answer = deploy(responses, "Update", world.encoded(new_rules), old=old, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    expected = {
        *(a for a in EXPECTED if a[1] != "platform-admins" and a[0] != "sandbox-finops"),
        ("sandbox-finops", "finops", "BillingV2"),
        ("sandbox-finops", "auditors", "ReadOnly"),
    } - {("sandbox-data", "developers", "ReadOnly")}
    assert world.assignments() == Counter(expected | NOT_OWNED)
    # 4 platform-admins, the email rule's, Billing's, the hand-made PowerUser.
    assert answer["Data"] == counts(created=1, deleted=7)
    # Revocations first: access goes before any is given.
    assert [operation for operation, _ in cloud.write_log[len(EXPECTED) :]] == [
        *["delete_account_assignment"] * 7,
        "create_account_assignment",
    ]


def test_a_removed_group_is_revoked_by_whichever_run_comes_next(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Update ran with the previous rules (its continuation was lost, or reached its
    limit, or a rollback raced it): the hourly run has only the current rules, and the
    ledger the names of the earlier ones. Without it the group kept its access for good."""
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert ledger(world) == {
        "groups": ["auditors", "developers", "finops", "platform-admins"],
        "permission_sets": ["Admin", "Billing", "PowerUser", "ReadOnly"],
    }
    current = [r for r in world.rules() if r[1] != "platform-admins"]
    summary = run_event(monkeypatch, world, SCHEDULED, world.encoded(current))
    assert len(summary["deleted"]) == 4
    assert world.assignments() == Counter(a for a in EXPECTED if a[1] != "platform-admins")
    # Nothing of them is left: the ledger forgets the group and Admin, which are no
    # longer the landing zone's (a later hand-made assignment of them is left alone).
    assert ledger(world) == {
        "groups": ["auditors", "developers", "finops"],
        "permission_sets": ["Billing", "PowerUser", "ReadOnly"],
    }
    world.assign("prod-a", "platform-admins", "Admin")
    assert run_event(monkeypatch, world, SCHEDULED, world.encoded(current))["deleted"] == []


def test_a_run_that_leaves_work_undone_keeps_the_ledger(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger forgets a name only after a full run that left nothing undone."""
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    current = world.encoded([r for r in world.rules() if r[1] != "platform-admins"])
    cloud.time_runs_out_after = cloud.writes() + 1
    expect_continuation(cloud, {"continuation": 1})
    summary = run_event(monkeypatch, world, SCHEDULED, current)
    assert summary["pending"] == 3
    assert ledger(world) is not None
    assert "platform-admins" in ledger(world)["groups"]  # type: ignore[index]
    cloud.time_runs_out_after = None
    run_event(monkeypatch, world, SCHEDULED, current)  # the continuation was lost
    assert world.assignments() == Counter(a for a in EXPECTED if a[1] != "platform-admins")
    assert "platform-admins" not in ledger(world)["groups"]  # type: ignore[index]


def test_a_rollback_raced_by_a_continuation_is_settled_by_the_next_run(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Update adds a group and runs out of time; its continuation is queued. The deploy
    then fails elsewhere: the rollback's Update revokes the group, but the continuation
    runs after it with the function's environment not yet rolled back, and grants it
    again. The run after the rollback (the stack settled, or the hour) has the old rules
    only: the ledger remembers the group, so it is revoked."""
    old_rules = world.rules()
    old = world.encoded(old_rules)
    deploy(responses, "Create", old, world=world)
    new = world.encoded([*old_rules, [["Workloads"], "other-team", "Admin"]])
    cloud.time_runs_out_after = cloud.writes() + 1
    expect_continuation(cloud, {"continuation": 1})
    assert deploy(responses, "Update", new, old=old, world=world)["Status"] == "SUCCESS"
    cloud.time_runs_out_after = None
    rollback = deploy(responses, "Update", old, old=new, world=world)
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    run_event(monkeypatch, world, {"continuation": 1}, new)  # the environment: still new
    assert ("prod-a", "other-team", "Admin") in world.assignments()
    settled = {
        "source": "aws.cloudformation",
        "detail-type": "CloudFormation Stack Status Change",
        "detail": {"stack-id": STACK_ID, "status-details": {"status": "UPDATE_ROLLBACK_COMPLETE"}},
    }
    run_event(monkeypatch, world, settled, old)
    assert world.assignments() == Counter(EXPECTED)


def test_ownership_is_every_rules_group_with_every_rules_permission_set(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """The documented ownership is groups x permission sets, not the rules' pairs: auditors
    with PowerUser is revoked though no rule pairs them (and the account is reached)."""
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)
    world.assign("root-tools", "auditors", "PowerUser")
    answer = deploy(responses, "Update", rules, old=rules, world=world)
    assert answer["Data"] == counts(deleted=1)
    assert world.assignments() == Counter(EXPECTED)


# ---- Delete ---------------------------------------------------------------------------------


def test_delete_revokes_everything_the_rules_gave_and_nothing_else(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)
    for assignment in NOT_OWNED:
        world.assign(*assignment)
    answer = deploy(responses, "Delete", rules, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter(NOT_OWNED)
    assert cloud.calls["sso-admin.delete_account_assignment"] == len(EXPECTED)
    assert ledger(world) is None  # nothing left to own: no trace


def test_the_rollback_of_a_failed_create_keeps_the_access_that_was_there(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """An upgrade from assignments CloudFormation made: the Create adopts them, one new
    one fails, the rollback sends a Delete. Revoking what the rules own would lock every
    user out (CloudFormation still holds its assignments, Identity Center not)."""
    for account, group, permission_set in EXPECTED - {("sdlc-a", "developers", "PowerUser")}:
        world.assign(account, group, permission_set)
    key = (world.accounts["sdlc-a"], world.permission_sets["PowerUser"], world.groups["developers"])
    cloud.failing[key] = "customer managed policy missing in the account"
    rules = world.encoded(world.rules())
    failed = deploy(responses, "Create", rules, world=world)
    assert failed["Status"] == "FAILED"
    assert failed["PhysicalResourceId"].startswith("failed/")
    handler_module.handler(
        request("Delete", rules, physical_id=failed["PhysicalResourceId"]), LambdaContext()
    )
    assert responses.last["Status"] == "SUCCESS", responses.last["Reason"]
    assert world.assignments() == Counter(EXPECTED - {("sdlc-a", "developers", "PowerUser")})


def test_what_a_failed_first_create_made_is_revoked_by_the_next_deploy(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """The failed Create's rollback left what it made (and its function was deleted); the
    ledger, kept outside the stack, remembers its groups: the next deploy, with one
    group fewer, revokes that group's access."""
    rules = world.encoded(world.rules())
    cloud.errors = {
        "create_account_assignment": [throttled("CreateAccountAssignment", "AccessDeniedException")]
    }
    failed = deploy(responses, "Create", rules, world=world)
    assert failed["Status"] == "FAILED"
    handler_module.handler(
        request("Delete", rules, physical_id=failed["PhysicalResourceId"]), LambdaContext()
    )
    assert sum(world.assignments().values()) == len(EXPECTED) - 1
    current = [r for r in world.rules() if r[1] != "platform-admins"]
    answer = deploy(responses, "Create", world.encoded(current), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter(a for a in EXPECTED if a[1] != "platform-admins")


def test_the_stack_settling_starts_a_full_run(
    monkeypatch: pytest.MonkeyPatch, world: World, cloud: Cloud
) -> None:
    """CloudFormation's own status change (after cleanup) reconciles every account."""
    event = {
        "source": "aws.cloudformation",
        "detail-type": "CloudFormation Stack Status Change",
        "detail": {
            "stack-id": STACK_ID,
            "status-details": {"status": "UPDATE_COMPLETE", "status-reason": ""},
        },
    }
    summary = run_event(monkeypatch, world, event)
    assert world.assignments() == Counter(EXPECTED)
    assert len(summary["created"]) == len(EXPECTED)


def test_delete_after_a_group_is_gone_revokes_the_rest(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """A Delete does not require its groups: one deleted from the IdP has nothing left."""
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)
    world.store.delete_group(IdentityStoreId=world.store_id, GroupId=world.groups["finops"])
    answer = deploy(responses, "Delete", rules, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert set(world.assignments()) == {("sandbox-finops", "finops", "Billing")}


def test_a_failed_update_rolls_back_to_the_old_assignments(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """Partial failure: the Update revokes, then a creation FAILS, CloudFormation is told
    FAILED and rolls back with an Update from the new rules to the old ones, which
    restores exactly what the old rules gave."""
    old = world.encoded(world.rules())
    deploy(responses, "Create", old, world=world)
    world.add_permission_set("BillingV2")
    new_rules = [r for r in world.rules() if r[1] != "platform-admins"]
    new_rules[-2] = [world.accounts["sandbox-finops"], "finops", "BillingV2"]
    new = world.encoded(new_rules)
    key = (
        world.accounts["sandbox-finops"],
        world.permission_sets["BillingV2"],
        world.groups["finops"],
    )
    cloud.failing[key] = "customer managed policy missing in the account"
    failed = deploy(responses, "Update", new, old=old, world=world)
    assert failed["Status"] == "FAILED"
    assert "customer managed policy missing" in failed["Reason"]
    assert ("prod-a", "platform-admins", "Admin") not in world.assignments()  # revoked first
    del cloud.failing[key]
    rollback = deploy(responses, "Update", old, old=new, world=world)
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert world.assignments() == Counter(EXPECTED)


# ---- Events ---------------------------------------------------------------------------------


def new_account(world: World, key: str, path: tuple[str, ...]) -> str:
    created = world.org.create_account(AccountName=key, Email=f"{key}@acme.example")
    account_id: str = created["CreateAccountStatus"]["AccountId"]
    world.accounts[key] = account_id
    world.move(key, path)
    return account_id


def test_create_account_result_assigns_the_new_account_its_ous_pairs(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    writes = cloud.writes()
    calls = cloud.calls.copy()
    account = new_account(world, "sdlc-new", ("Workloads", "SDLC"))
    summary = run_event(monkeypatch, world, create_account_result(account))
    assert summary["failed"] == []
    assert len(summary["created"]) == 3
    assert world.assignments() == Counter(
        EXPECTED
        | {
            ("sdlc-new", "platform-admins", "Admin"),
            ("sdlc-new", "developers", "PowerUser"),
            ("sdlc-new", "auditors", "ReadOnly"),
        }
    )
    assert written_to(cloud, world, since=writes) == {"sdlc-new"}
    # One account: no walk of the organization, no listing of every group's assignments.
    made = cloud.calls - calls
    assert made["organizations.list_accounts_for_parent"] == 0
    assert made["sso-admin.list_account_assignments_for_principal"] == 0


def test_a_failed_account_creation_does_nothing(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the event names: prod-a has nothing yet, and keeps nothing."""
    for account in (None, world.accounts["prod-a"]):
        event = create_account_result(account, state="FAILED")
        answer = run_event(monkeypatch, world, event)
        assert answer == {"skipped": "no account to reconcile in this event"}
    assert cloud.calls == Counter()


def test_move_from_prod_to_sdlc_changes_that_account_only(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    # An owned pair by hand elsewhere: a full run would revoke it, an event does not look.
    world.assign("sandbox-other", "developers", "PowerUser")
    writes = cloud.writes()
    world.move("prod-a", ("Workloads", "SDLC"))
    event = move_account(
        world.accounts["prod-a"], world.ous["Workloads", "Prod"], world.ous["Workloads", "SDLC"]
    )
    summary = run_event(monkeypatch, world, event)
    assert summary["deleted"] == [f"developers / ReadOnly in {world.accounts['prod-a']}"]
    assert summary["created"] == [f"developers / PowerUser in {world.accounts['prod-a']}"]
    expected = EXPECTED - {("prod-a", "developers", "ReadOnly")}
    assert world.assignments() == Counter(
        expected
        | {("prod-a", "developers", "PowerUser"), ("sandbox-other", "developers", "PowerUser")}
    )
    assert written_to(cloud, world, since=writes) == {"prod-a"}


def test_move_of_the_management_account_does_nothing(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = move_account(MANAGEMENT, world.root, world.ous["Workloads",])
    summary = run_event(monkeypatch, world, event)
    assert summary == {"created": [], "deleted": [], "failed": [], "pending": 0}
    assert cloud.calls == Counter()


def test_an_account_moved_where_no_ou_rule_reaches_keeps_the_root_rules_only(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    world.move("sdlc-a", ("Sandbox",))
    run_event(
        monkeypatch,
        world,
        move_account(
            world.accounts["sdlc-a"], world.ous["Workloads", "SDLC"], world.ous["Sandbox",]
        ),
    )
    assert {a for a in world.assignments() if a[0] == "sdlc-a"} == {
        ("sdlc-a", "auditors", "ReadOnly")
    }


def test_an_event_for_an_account_that_left_the_organization_does_nothing(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MoveAccount, then the account left before the event ran: not an error to retry."""
    summary = run_event(monkeypatch, world, move_account("999999999999", world.root, world.root))
    assert summary["failed"] == []
    assert cloud.writes() == 0


def test_an_event_for_a_suspended_account_leaves_it_as_it_is(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.assign("prod-closed", "developers", "PowerUser")
    event = move_account(world.accounts["prod-closed"], world.root, world.ous["Workloads", "Prod"])
    summary = run_event(monkeypatch, world, event)
    assert summary["created"] == summary["deleted"] == []
    assert world.assignments() == Counter({("prod-closed", "developers", "PowerUser"): 1})


# ---- Errors ---------------------------------------------------------------------------------


def test_a_missing_group_fails_the_deployment_naming_the_group_and_the_fix(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    rules = [*world.rules(), [[], "ghosts", "ReadOnly"]]
    answer = deploy(responses, "Create", world.encoded(rules), world=world)
    assert answer["Status"] == "FAILED"
    assert "no group named 'ghosts'" in answer["Reason"]
    assert "create or sync the group in your identity source" in answer["Reason"]
    assert cloud.writes() == 0


def test_a_missing_group_in_an_event_raises_so_lambda_retries(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = world.encoded([*world.rules(), [[], "ghosts", "ReadOnly"]])
    with pytest.raises(ReconcileError, match="no group named 'ghosts'"):
        run_event(monkeypatch, world, SCHEDULED, rules)
    account = new_account(world, "new", ())
    with pytest.raises(ReconcileError, match="no group named 'ghosts'"):
        run_event(monkeypatch, world, create_account_result(account), rules)
    assert cloud.writes() == 0


def test_a_failed_creation_is_reported_with_its_reason_and_the_rest_happens(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    cloud.polls = 2  # the failure comes from a status check, as it does in Identity Center
    key = (
        world.accounts["prod-b"],
        world.permission_sets["Admin"],
        world.groups["platform-admins"],
    )
    cloud.failing[key] = "Received a 404 status error: No policy AcmeBoundary in the account"
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "FAILED"
    assert (
        f"create platform-admins / Admin in {world.accounts['prod-b']}: Received a 404 status "
        "error: No policy AcmeBoundary in the account"
    ) in answer["Reason"]
    assert world.assignments() == Counter(EXPECTED - {("prod-b", "platform-admins", "Admin")})


def test_a_long_failure_with_non_ascii_names_still_fits_cloudformations_response(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudFormation refuses a response body over 4,096 bytes. Group names are display
    names (any Unicode): JSON escapes each such character to six bytes, so a reason cut to
    a number of characters can still be far too long; the deploy would fail without it."""
    world.add_group("Développeurs-Équipe-Paiements-Sécurité")
    for account in ACCOUNTS:
        for permission_set in ("Admin", "PowerUser", "ReadOnly"):
            key = (
                world.accounts[account],
                world.permission_sets[permission_set],
                world.groups["Développeurs-Équipe-Paiements-Sécurité"],
            )
            cloud.failing[key] = "Stratégie « AcmeBoundary » absente du compte ; réessayez"
    rules = [
        [[], "Développeurs-Équipe-Paiements-Sécurité", name]
        for name in ("Admin", "PowerUser", "ReadOnly")
    ]
    sizes: list[int] = []
    answers = Captured()

    def urlopen(request: Any, timeout: float) -> Any:
        sizes.append(len(request.data))
        return answers(request, timeout)

    monkeypatch.setattr(custom_resource.urllib.request, "urlopen", urlopen)
    handler_module.handler(request("Create", world.encoded(rules)), LambdaContext())
    (size,) = sizes
    assert size <= 4096
    assert answers.last["Status"] == "FAILED"
    assert answers.last["Reason"].startswith(
        "CustomResourceError: create Développeurs-Équipe-Paiements-Sécurité / "
    )


def test_a_failed_creation_in_an_event_raises(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = (
        world.accounts["prod-b"],
        world.permission_sets["Admin"],
        world.groups["platform-admins"],
    )
    cloud.failing[key] = "denied"
    event = move_account(world.accounts["prod-b"], world.root, world.ous["Workloads", "Prod"])
    with pytest.raises(ReconcileError, match=f"platform-admins / Admin in {key[0]}: denied"):
        run_event(monkeypatch, world, event)
    assert {a for a in world.assignments() if a[0] == "prod-b"} == {
        ("prod-b", "developers", "ReadOnly"),
        ("prod-b", "auditors", "ReadOnly"),
    }


def test_throttling_is_retried_with_backoff(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    cloud.errors = {
        "get_group_id": [throttled("GetGroupId")],
        "list_accounts_for_parent": [
            throttled("ListAccountsForParent", "TooManyRequestsException")
        ],
        "create_account_assignment": [
            throttled("CreateAccountAssignment"),
            throttled("CreateAccountAssignment", "ConflictException"),
            throttled("CreateAccountAssignment"),
        ],
    }
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter(EXPECTED)
    # Throttling backs off within one call; a conflict is a new attempt (at most
    # CONFLICT_ATTEMPTS), whose own throttling starts again from one second.
    assert cloud.sleeps == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert cloud.calls["sso-admin.create_account_assignment"] == len(EXPECTED) + 3


def test_a_create_that_keeps_conflicting_is_reported_not_retried_until_the_deadline(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    cloud.errors = {
        "create_account_assignment": [
            throttled("CreateAccountAssignment", "ConflictException")
            for _ in range(CONFLICT_ATTEMPTS)
        ],
    }
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "FAILED"
    assert "ConflictException" in answer["Reason"]
    # The other changes still happened; the conflicting one is left to the next run.
    assert sum(world.assignments().values()) == len(EXPECTED) - 1
    assert cloud.sleeps == [1.0, 2.0, 4.0]


def test_in_progress_writes_are_polled_until_they_succeed(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    cloud.polls = 3
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == counts(created=len(EXPECTED))
    assert world.assignments() == Counter(EXPECTED)
    assert cloud.calls["sso-admin.describe_account_assignment_creation_status"] == (
        3 * len(EXPECTED)
    )
    assert cloud.outstanding == 0
    assert set(cloud.sleeps) == {POLL_SECONDS}


def test_in_progress_revocations_are_polled_too(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)
    cloud.polls = 2
    answer = deploy(responses, "Delete", rules, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter()
    assert cloud.calls["sso-admin.describe_account_assignment_deletion_status"] == (
        2 * len(EXPECTED)
    )


def test_an_assignment_revoked_by_someone_else_meanwhile_is_done_not_failed(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """Listed, then deleted by hand before the run's delete: a failure here would fail
    the deployment (and roll it back) over an assignment that is already gone."""
    rules = world.encoded(world.rules())
    deploy(responses, "Create", rules, world=world)

    def someone_else_first(kwargs: dict[str, Any]) -> None:
        world.sso.delete_account_assignment(**kwargs)

    cloud.before["delete_account_assignment"] = someone_else_first
    answer = deploy(responses, "Delete", rules, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter()


# ---- Concurrency ----------------------------------------------------------------------------


def test_never_more_than_max_outstanding_writes_in_flight(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    cloud.polls = 2
    assert len(EXPECTED) > MAX_OUTSTANDING
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert cloud.most_outstanding == MAX_OUTSTANDING
    assert world.assignments() == Counter(EXPECTED)


# ---- Deadline -------------------------------------------------------------------------------


def test_a_run_out_of_time_hands_the_rest_to_a_continuation(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.time_runs_out_after = 5
    expect_continuation(cloud, {"continuation": 1})
    summary = run_event(monkeypatch, world, SCHEDULED)
    assert len(summary["created"]) == 5
    assert summary["pending"] == len(EXPECTED) - 5
    cloud.lambda_stub.assert_no_pending_responses()
    cloud.time_runs_out_after = None  # the continuation has its own 15 minutes
    summary = run_event(monkeypatch, world, {"continuation": 1})
    assert len(summary["created"]) == len(EXPECTED) - 5
    assert summary["pending"] == 0
    assert world.assignments() == Counter(EXPECTED)


def test_continuation_n_hands_over_to_n_plus_1(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.time_runs_out_after = 1
    expect_continuation(cloud, {"continuation": 4})
    summary = run_event(monkeypatch, world, {"continuation": 3})
    assert summary["pending"] == len(EXPECTED) - 1


def test_after_max_continuations_it_fails_instead_of_looping(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.time_runs_out_after = 1
    with pytest.raises(ReconcileError, match=f"still pending after {MAX_CONTINUATIONS} runs"):
        run_event(monkeypatch, world, {"continuation": MAX_CONTINUATIONS})
    # No invoke was stubbed: a continuation would have failed the Stubber.


def test_a_run_that_hands_over_does_not_raise_with_its_failures(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raising makes Lambda retry the event, and each retry would start one more chain of
    continuations; the continuation retries the failed changes itself."""
    for account in ("prod-a", "prod-b", "sdlc-a", "workloads-shared"):
        key = (
            world.accounts[account],
            world.permission_sets["Admin"],
            world.groups["platform-admins"],
        )
        cloud.failing[key] = "denied"
    # 3 changes left: at least one of the 4 failing ones was made, whatever the order.
    cloud.time_runs_out_after = len(EXPECTED) - 3
    expect_continuation(cloud, {"continuation": 1})
    summary = run_event(monkeypatch, world, SCHEDULED)
    assert summary["pending"] == 3
    assert summary["failed"]
    assert all(f.startswith("create platform-admins / Admin in ") for f in summary["failed"])
    cloud.time_runs_out_after = None
    with pytest.raises(ReconcileError, match="denied"):  # the last run says so
        run_event(monkeypatch, world, {"continuation": 1})


def test_a_deployment_out_of_time_succeeds_and_continues_with_the_previous_rules(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Update that revokes a group in more accounts than its time allows: the
    continuation has the current rules only, and the ledger the previous ones' names,
    or the rest of that group's access would stay."""
    old = world.encoded(world.rules())
    deploy(responses, "Create", old, world=world)
    current = [r for r in world.rules() if r[1] != "platform-admins"]
    new = world.encoded(current)
    writes = cloud.writes()
    cloud.time_runs_out_after = writes + 2
    expect_continuation(cloud, {"continuation": 1})
    answer = deploy(responses, "Update", new, old=old, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == counts(deleted=2, pending=2)
    cloud.time_runs_out_after = None
    summary = run_event(monkeypatch, world, {"continuation": 1}, new)
    assert len(summary["deleted"]) == 2
    assert world.assignments() == Counter(a for a in EXPECTED if a[1] != "platform-admins")


def test_a_deployment_that_cannot_continue_fails(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.time_runs_out_after = 1
    handler_module.handler(request("Create", world.encoded(world.rules())), Context())
    assert responses.last["Status"] == "FAILED"
    assert "no function ARN to continue with" in responses.last["Reason"]


# ---- Regions --------------------------------------------------------------------------------


def test_each_client_is_created_in_the_region_of_what_it_acts_on(
    world: World, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Organizations (global) and the continuation (this function) from the function's own
    region; Identity Center and its identity store in the instance's region."""
    cloud.time_runs_out_after = 1
    expect_continuation(cloud, {"continuation": 1})
    run_event(monkeypatch, world, SCHEDULED)
    assert cloud.clients == {
        ("organizations", REGION),
        ("sso-admin", INSTANCE_REGION),
        ("identitystore", INSTANCE_REGION),
        ("lambda", REGION),
        ("ssm", REGION),
    }


# ---- the organization changing under the rules ----------------------------------------------


def test_accounts_are_read_by_state_once_status_is_retired(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    """Organizations retires the account's ``Status`` on September 9, 2026 (``State``
    stays): the closed account is still left out, and the run does not crash."""

    def without_status(kwargs: dict[str, Any], answer: Any) -> Any:
        for account in answer.get("Accounts", [answer.get("Account")]):
            account.pop("Status", None)
        return answer

    cloud.rewrite["list_accounts_for_parent"] = without_status
    cloud.rewrite["describe_account"] = without_status
    answer = deploy(responses, "Create", world.encoded(world.rules()), world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert world.assignments() == Counter(EXPECTED)


def test_an_ou_renamed_outside_the_config_revokes_nothing_of_its_rules_and_says_so(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renamed live, Workloads/Prod reaches no account: revoking its accounts' access would
    follow the rename, not the config. Its rules' pairs are revoked nowhere, everything
    else is reconciled, and the run fails naming the OU."""
    deploy(responses, "Create", world.encoded(world.rules()), world=world)
    writes = cloud.writes()
    world.rename_ou(("Workloads", "Prod"), "Production")
    # Something else to do: an assignment of an owned pair removed by hand.
    world.unassign("sdlc-a", "developers", "PowerUser")
    with pytest.raises(ReconcileError, match="no OU Workloads/Prod in the organization"):
        run_event(monkeypatch, world, SCHEDULED)
    assert world.assignments() == Counter(EXPECTED)
    assert cloud.writes() == writes + 1
    event = move_account(world.accounts["prod-a"], world.root, world.ous["Workloads", "Prod"])
    with pytest.raises(ReconcileError, match="no OU Workloads/Prod"):
        run_event(monkeypatch, world, event)
    assert world.assignments() == Counter(EXPECTED)


def test_an_ou_renamed_in_the_config_and_the_organization_moves_nothing(
    world: World, cloud: Cloud, responses: Captured
) -> None:
    old = world.encoded(world.rules())
    deploy(responses, "Create", old, world=world)
    world.rename_ou(("Workloads", "Prod"), "Production")
    rules = [
        [["Workloads", "Production"] if r[0] == ["Workloads", "Prod"] else r[0], r[1], r[2]]
        for r in world.rules()
    ]
    answer = deploy(responses, "Update", world.encoded(rules), old=old, world=world)
    assert answer["Data"] == counts()


def rename_group(world: World, old: str, new: str) -> None:
    """A group renamed in the IdP and synced (SCIM): same id, new display name (moto's
    identity store has no UpdateGroup)."""
    from moto.identitystore.models import identitystore_backends

    store = identitystore_backends[MANAGEMENT][INSTANCE_REGION].identity_stores[world.store_id]
    group_id = world.groups.pop(old)
    store.groups[group_id] = store.groups[group_id]._replace(DisplayName=new)
    world.groups[new] = group_id


def test_a_group_renamed_in_the_idp_keeps_its_access_until_the_config_follows(
    world: World, cloud: Cloud, responses: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renamed first in the IdP: runs fail (nothing revoked); then the config follows and
    the Update finds the same group id: not one assignment is deleted or created."""
    old = world.encoded(world.rules())
    deploy(responses, "Create", old, world=world)
    rename_group(world, "developers", "engineers")
    with pytest.raises(ReconcileError, match="no group named 'developers'"):
        run_event(monkeypatch, world, SCHEDULED)
    rules = [[t, "engineers" if g == "developers" else g, p] for t, g, p in world.rules()]
    answer = deploy(responses, "Update", world.encoded(rules), old=old, world=world)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == counts()


def test_the_inline_code_runs_a_deployment_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the function really runs: this module merged with custom_resource.py."""
    # Lambda imports the code as the module ``index``: in sys.modules while it runs (its
    # dataclasses look their module up there).
    monkeypatch.setitem(sys.modules, "index", types.ModuleType("index"))
    module = load_inline("identity_center_reconciler")
    answers = Captured()
    monkeypatch.setattr(module.urllib.request, "urlopen", answers)
    monkeypatch.setattr(module, "sleep", lambda seconds: None)
    module.handler(request("Create", world.encoded(world.rules())), LambdaContext())
    assert answers.last["Status"] == "SUCCESS", answers.last["Reason"]
    assert world.assignments() == Counter(EXPECTED)


# ---- Scale ----------------------------------------------------------------------------------

#: Each top-level OU's children in a synthetic organization.
ENVIRONMENTS = ("Prod", "SDLC", "Shared")
#: Five rules: two on the root, one on an OU subtree, two on single OUs.
SCALE_RULES: list[list[Any]] = [
    [[], "auditors", "ReadOnly"],
    [[], "finops", "Billing"],
    [["BU0"], "platform-admins", "Admin"],
    [["BU1", "SDLC"], "developers", "PowerUser"],
    [["BU0", "Prod"], "developers", "ReadOnly"],
]


def synthetic_organization(
    accounts: int, units: int
) -> tuple[list[tuple[str, ...]], dict[str, tuple[tuple[str, ...], str]]]:
    """``units`` OUs (a quarter of them top-level ``BU<n>``, each with children
    ``ENVIRONMENTS``) and ``accounts`` accounts spread evenly over the children."""
    tops = units // (1 + len(ENVIRONMENTS))
    ous: list[tuple[str, ...]] = []
    for n in range(tops):
        ous += [(f"BU{n}",), *((f"BU{n}", e) for e in ENVIRONMENTS)]
    leaves = [path for path in ous if len(path) == 2]
    return ous, {
        f"a{i:04}": (leaves[i % len(leaves)], f"a{i:04}@acme.example") for i in range(accounts)
    }


def synthetic_world(accounts: int, units: int) -> tuple[World, dict[tuple[str, ...], int]]:
    """A World of ``synthetic_organization``; accounts per OU path (the root: ``()``)."""
    ous, members = synthetic_organization(accounts, units)
    org, root, ou_ids, account_ids = organization(ous, members)
    sso, store, instance, store_id, permission_sets, groups = identity_center(
        PERMISSION_SETS, GROUPS
    )
    per_ou = Counter(path for path, _ in members.values())
    per_ou[()] += 1  # the management account
    world = World(org, sso, store, instance, store_id, root, ou_ids, account_ids, groups, {})
    world.permission_sets = permission_sets
    return world, {(): per_ou[()], **{path: per_ou[path] for path in ous}}


def pages(items: int, size: int) -> int:
    """Calls to list ``items`` in pages of ``size`` (an empty list is one call)."""
    return max(1, math.ceil(items / size))


def test_a_full_run_reads_the_organization_in_pages_and_writes_only_the_changes(
    cloud: Cloud, responses: Captured
) -> None:
    """Reads grow with OUs and pages, not with accounts; writes are the changes alone.

    moto's pages: 20 accounts or OUs, 100 assignments. The numbers at 1,000 accounts
    are bench/reconciler.py's.
    """
    world, per_ou = synthetic_world(accounts=130, units=8)
    accounts = sum(per_ou.values()) - 1
    bu0 = sum(n for path, n in per_ou.items() if path[:1] == ("BU0",))
    wanted = {
        "auditors": accounts,
        "finops": accounts,
        "platform-admins": bu0,
        "developers": per_ou["BU1", "SDLC"] + per_ou["BU0", "Prod"],
    }
    rules = world.encoded(SCALE_RULES)
    answer = deploy(responses, "Create", rules, world=world)
    assert answer["Data"] == counts(created=sum(wanted.values()))
    organization_reads = {
        "organizations.list_roots": 1,
        "organizations.list_accounts_for_parent": sum(pages(n, 20) for n in per_ou.values()),
        "organizations.list_organizational_units_for_parent": len(per_ou),
    }
    permission_set_reads = {
        "sso-admin.list_permission_sets": 1,
        "sso-admin.describe_permission_set": len(PERMISSION_SETS),
        "identitystore.get_group_id": len(wanted),
        "ssm.get_parameter": 1,  # the ledger
    }
    assert cloud.calls == Counter(
        {
            **organization_reads,
            **permission_set_reads,
            "ssm.put_parameter": 1,  # the first run writes its names
            "sso-admin.list_account_assignments_for_principal": len(wanted),
            "sso-admin.create_account_assignment": sum(wanted.values()),
        }
    )
    cloud.calls.clear()
    again = deploy(responses, "Update", rules, old=rules, world=world)
    assert again["Data"] == counts()
    assert cloud.calls == Counter(
        {
            **organization_reads,
            **permission_set_reads,
            "sso-admin.list_account_assignments_for_principal": sum(
                pages(n, 100) for n in wanted.values()
            ),
        }
    )
    assert world.assignments().most_common(1)[0][1] == 1
