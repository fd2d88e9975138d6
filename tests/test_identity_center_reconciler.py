"""The Identity Center reconciler: assignments of accounts outside the config, against moto.

moto 5 keeps Organizations, Identity Center's assignments (created SUCCEEDED at
once) and the identity store; the Lambda runs in us-east-1, Identity Center
lives in eu-west-1, so a client of the wrong region would find nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from landing_zone.config import load_config
from landing_zone.identity_center import reconciler_input
from landing_zone.lambdas import identity_center_reconciler as handler_module
from landing_zone.lambdas.identity_center_reconciler import (
    VARIABLE,
    ReconcileError,
    accounts_of,
)
from tests.conftest import EXAMPLE, Synth
from tests.custom_resources import Context
from tests.templates import resources_of
from tests.test_detection_services import LAMBDAS, api_calls, needed
from tests.variants import problems_of, variant

#: Where the Lambda runs (``mocked_aws``): Organizations' events arrive here.
REGION = "us-east-1"
CENTER = "eu-west-1"


@dataclass
class Org:
    root: str
    ous: dict[str, str]
    instance: str
    store: str
    groups: dict[str, str]
    permission_sets: dict[str, str]

    def account(self, name: str, ou: str | None) -> str:
        organizations = boto3.client("organizations", region_name=REGION)
        status = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
        account = str(status["CreateAccountStatus"]["AccountId"])
        if ou is not None:
            self.move(account, ou)
        return account

    def move(self, account: str, ou: str) -> None:
        organizations = boto3.client("organizations", region_name=REGION)
        parent = organizations.list_parents(ChildId=account)["Parents"][0]["Id"]
        organizations.move_account(
            AccountId=account, SourceParentId=parent, DestinationParentId=self.ous[ou]
        )

    def assign(self, account: str, group: str, permission_set: str) -> None:
        boto3.client("sso-admin", region_name=CENTER).create_account_assignment(
            InstanceArn=self.instance,
            TargetId=account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=self.permission_sets[permission_set],
            PrincipalType="GROUP",
            PrincipalId=self.groups[group],
        )

    def assigned(self, account: str) -> set[tuple[str, str]]:
        sso = boto3.client("sso-admin", region_name=CENTER)
        names = {arn: name for name, arn in self.permission_sets.items()}
        groups = {gid: name for name, gid in self.groups.items()}
        found = set()
        for arn, name in names.items():
            page = sso.list_account_assignments(
                InstanceArn=self.instance, AccountId=account, PermissionSetArn=arn
            )
            found |= {(groups[a["PrincipalId"]], name) for a in page["AccountAssignments"]}
        return found


@pytest.fixture
def org(mocked_aws: None) -> Org:
    organizations = boto3.client("organizations", region_name=REGION)
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    workloads = organizations.create_organizational_unit(ParentId=root, Name="Workloads")
    prod = organizations.create_organizational_unit(
        ParentId=workloads["OrganizationalUnit"]["Id"], Name="Prod"
    )
    dev = organizations.create_organizational_unit(
        ParentId=workloads["OrganizationalUnit"]["Id"], Name="Dev"
    )
    ous = {
        "workloads": workloads["OrganizationalUnit"]["Id"],
        "prod": prod["OrganizationalUnit"]["Id"],
        "dev": dev["OrganizationalUnit"]["Id"],
    }
    sso = boto3.client("sso-admin", region_name=CENTER)
    instance = sso.list_instances()["Instances"][0]
    permission_sets = {
        name: sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name=name)[
            "PermissionSet"
        ]["PermissionSetArn"]
        for name in ("AcmeReadOnly", "AcmeAdministrator", "HandMade")
    }
    store = boto3.client("identitystore", region_name=CENTER)
    groups = {
        name: store.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName=name)[
            "GroupId"
        ]
        for name in ("auditors", "prod-admins", "dev-admins", "hand")
    }
    return Org(
        root=root,
        ous=ous,
        instance=instance["InstanceArn"],
        store=instance["IdentityStoreId"],
        groups=groups,
        permission_sets=permission_sets,
    )


def desired(org: Org, **changes: Any) -> dict[str, Any]:
    """The reconciler's input: auditors read everywhere, each team administers its OU."""
    value: dict[str, Any] = {
        "instance": org.instance,
        "store": org.store,
        "region": CENTER,
        "management": "123456789012",
        "ids": [],
        "emails": [],
        "owned": [
            ["auditors", "AcmeReadOnly"],
            ["dev-admins", "AcmeAdministrator"],
            ["prod-admins", "AcmeAdministrator"],
        ],
        "rules": [
            [[], "auditors", "AcmeReadOnly"],
            [["Workloads", "Prod"], "prod-admins", "AcmeAdministrator"],
            [["Workloads", "Dev"], "dev-admins", "AcmeAdministrator"],
        ],
    }
    value.update(changes)
    return value


def reconcile(
    monkeypatch: pytest.MonkeyPatch, value: dict[str, Any], event: dict[str, Any]
) -> dict[str, Any]:
    monkeypatch.setenv(VARIABLE, json.dumps(value))
    monkeypatch.setattr(handler_module, "sleep", lambda seconds: None)
    result: dict[str, Any] = handler_module.handler(event, Context())
    return result


def moved(account: str) -> dict[str, Any]:
    return {
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventName": "MoveAccount", "requestParameters": {"accountId": account}},
    }


def created(account: str, state: str = "SUCCEEDED") -> dict[str, Any]:
    return {
        "detail-type": "AWS Service Event via CloudTrail",
        "detail": {
            "eventName": "CreateAccountResult",
            "serviceEventDetails": {"createAccountStatus": {"accountId": account, "state": state}},
        },
    }


SCHEDULE = {"detail-type": "Scheduled Event", "detail": {}}


def test_events_name_their_accounts() -> None:
    assert accounts_of(created("111122223333")) == ["111122223333"]
    assert accounts_of(created("111122223333", "FAILED")) == []
    assert accounts_of(moved("111122223333")) == ["111122223333"]
    assert accounts_of(SCHEDULE) is None


def test_a_created_account_gets_its_ous_assignments_and_a_second_run_changes_nothing(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("new-prod", "prod")
    first = reconcile(monkeypatch, desired(org), created(account))
    assert org.assigned(account) == {
        ("auditors", "AcmeReadOnly"),
        ("prod-admins", "AcmeAdministrator"),
    }
    assert len(first["created"]) == 2
    again = reconcile(monkeypatch, desired(org), created(account))
    assert again == {"created": [], "deleted": [], "failed": []}


def test_an_account_moved_between_ous_changes_teams(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("wanderer", "prod")
    reconcile(monkeypatch, desired(org), created(account))
    org.move(account, "dev")
    result = reconcile(monkeypatch, desired(org), moved(account))
    assert org.assigned(account) == {
        ("auditors", "AcmeReadOnly"),
        ("dev-admins", "AcmeAdministrator"),
    }
    assert result["deleted"] == [f"prod-admins / AcmeAdministrator in {account}"]


def test_an_account_moved_out_of_every_rule_keeps_only_the_roots(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("leaver", "prod")
    reconcile(monkeypatch, desired(org), created(account))
    org.move(account, "workloads")
    reconcile(monkeypatch, desired(org), moved(account))
    assert org.assigned(account) == {("auditors", "AcmeReadOnly")}


def test_a_rule_changed_in_config_is_applied_by_the_schedule(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("dev-box", "dev")
    reconcile(monkeypatch, desired(org), SCHEDULE)
    # The dev team now gets read-only instead of administrator in Dev.
    changed = desired(
        org,
        owned=[["auditors", "AcmeReadOnly"], ["dev-admins", "AcmeReadOnly"]],
        rules=[
            [[], "auditors", "AcmeReadOnly"],
            [["Workloads", "Dev"], "dev-admins", "AcmeReadOnly"],
        ],
    )
    reconcile(monkeypatch, changed, SCHEDULE)
    # dev-admins / AcmeAdministrator is no longer an owned pair: it stays, by hand now.
    assert org.assigned(account) == {
        ("auditors", "AcmeReadOnly"),
        ("dev-admins", "AcmeReadOnly"),
        ("dev-admins", "AcmeAdministrator"),
    }


def test_config_accounts_and_the_management_account_are_left_to_cloudformation(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    adopted = org.account("adopted", "prod")
    created_by_config = org.account("created", "prod")
    outside = org.account("outside", "prod")
    management = boto3.client("organizations", region_name=REGION).describe_organization()[
        "Organization"
    ]["MasterAccountId"]
    value = desired(org, ids=[adopted], emails=["created@example.com"], management=management)
    result = reconcile(monkeypatch, value, SCHEDULE)
    assert org.assigned(adopted) == set()
    assert org.assigned(created_by_config) == set()
    assert org.assigned(management) == set()
    assert {label.split(" in ")[1] for label in result["created"]} == {outside}


def test_hand_made_assignments_are_never_touched(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    account = org.account("handled", "dev")
    org.assign(account, "hand", "HandMade")
    org.assign(account, "hand", "AcmeAdministrator")
    org.assign(account, "auditors", "HandMade")
    reconcile(monkeypatch, desired(org), moved(account))
    assert org.assigned(account) == {
        ("hand", "HandMade"),
        ("hand", "AcmeAdministrator"),
        ("auditors", "HandMade"),
        ("auditors", "AcmeReadOnly"),
        ("dev-admins", "AcmeAdministrator"),
    }


def test_a_missing_group_fails_the_run_after_the_other_accounts(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("orphan", "prod")
    value = desired(
        org,
        owned=[["auditors", "AcmeReadOnly"], ["nobody", "AcmeAdministrator"]],
        rules=[[[], "auditors", "AcmeReadOnly"], [["Workloads"], "nobody", "AcmeAdministrator"]],
    )
    with pytest.raises(ReconcileError, match="no group named 'nobody'"):
        reconcile(monkeypatch, value, moved(account))


def test_an_api_failure_propagates(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    account = org.account("denied", "prod")
    real = handler_module.client

    def failing(service: str, *, region_name: str) -> Any:
        made = real(service, region_name=region_name)
        if service == "sso-admin":

            def refuse(**kwargs: Any) -> Any:
                raise ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                    "CreateAccountAssignment",
                )

            made.create_account_assignment = refuse
        return made

    monkeypatch.setattr(handler_module, "client", failing)
    with pytest.raises(ReconcileError, match="AccessDeniedException"):
        reconcile(monkeypatch, desired(org), created(account))


def test_an_assignment_still_in_progress_at_the_deadline_fails(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = org.account("slow", "prod")
    real = handler_module.client

    def slow(service: str, *, region_name: str) -> Any:
        made = real(service, region_name=region_name)
        if service == "sso-admin":
            made.create_account_assignment = lambda **kwargs: {
                "AccountAssignmentCreationStatus": {"Status": "IN_PROGRESS", "RequestId": "r"}
            }
        return made

    monkeypatch.setattr(handler_module, "client", slow)
    monkeypatch.setattr(handler_module, "seconds_left", lambda deadline: 0.0)
    with pytest.raises(ReconcileError, match="still in progress"):
        reconcile(monkeypatch, desired(org), created(account))


# ---- synthesized -------------------------------------------------------------------------

STACK = "Acme-IdentityCenterReconciler"


def test_the_stack_listens_in_us_east_1_to_creations_and_moves_and_runs_daily(
    example_synth: Synth,
) -> None:
    assert example_synth.stacks["identity_center_reconciler"].region == "us-east-1"
    rules = resources_of(example_synth.templates[STACK], "AWS::Events::Rule")
    patterns = [
        r["Properties"]["EventPattern"] for r in rules.values() if "EventPattern" in r["Properties"]
    ]
    assert patterns == [
        {
            "source": ["aws.organizations"],
            "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
            "detail": {
                "eventSource": ["organizations.amazonaws.com"],
                "eventName": ["CreateAccountResult", "MoveAccount"],
            },
        }
    ]
    schedules = [r["Properties"].get("ScheduleExpression") for r in rules.values()]
    assert "rate(1 day)" in schedules
    # Both target the reconciler.
    assert all(len(r["Properties"]["Targets"]) == 1 for r in rules.values())


def test_the_function_carries_the_configs_rules_and_retries_into_a_queue(
    example_synth: Synth,
) -> None:
    template = example_synth.templates[STACK]
    (function,) = resources_of(template, "AWS::Lambda::Function").values()
    carried = json.loads(function["Properties"]["Environment"]["Variables"][VARIABLE])
    assert carried["region"] == "eu-west-1"
    assert [[], "aws-finops", "AcmeBilling"] in carried["rules"]
    assert "210987654321" in carried["ids"]
    (invoke,) = resources_of(template, "AWS::Lambda::EventInvokeConfig").values()
    assert invoke["Properties"]["MaximumRetryAttempts"] == 2
    assert "OnFailure" in invoke["Properties"]["DestinationConfig"]


def test_the_reconciler_is_granted_exactly_the_calls_it_makes(example_synth: Synth) -> None:
    calls = api_calls(LAMBDAS / "identity_center_reconciler.py")
    made = {action for service in calls.values() for action in needed(service)}
    granted: set[str] = set()
    for policy in resources_of(example_synth.templates[STACK], "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            granted.update([listed] if isinstance(listed, str) else listed)
    # Logs are the log group's; SQS is Lambda's own failure destination, not the code's.
    granted = {a for a in granted if not a.startswith(("logs:", "sqs:"))}
    assert granted == made


def test_too_big_an_input_is_refused_and_off_means_no_check(tmp_path: Path) -> None:
    extra = "".join(
        f"  extra-{index:03d}:\n    name: Extra-{index:03d}\n"
        f"    email: aws+a-rather-long-extra-account-address-{index:03d}@acme.example\n"
        "    ou: sandbox\n"
        for index in range(60)
    )
    big = variant(
        EXAMPLE, tmp_path, replace=[("workload_accounts:\n", "workload_accounts:\n" + extra)]
    )
    assert any(
        "reconcile_other_accounts" in p and "4096 bytes of environment" in p
        for p in problems_of(big)
    )
    off = variant(
        EXAMPLE,
        tmp_path,
        replace=[
            ("workload_accounts:\n", "workload_accounts:\n" + extra),
            ("reconcile_other_accounts: true", "reconcile_other_accounts: false"),
        ],
        name="off.yaml",
    )
    assert load_config(off).identity.identity_center is not None


def test_the_input_leaves_account_targets_to_cloudformation() -> None:
    config = load_config(EXAMPLE)
    center = config.identity.identity_center
    assert center is not None
    # An assignment that targets a config account only: no rule, but an owned pair.
    center.assignments.append(
        center.assignments[0].model_copy(update={"group": "aws-audit-only", "targets": ["audit"]})
    )
    carried = reconciler_input(config)
    name = center.permission_sets[center.assignments[0].permission_set].name
    assert not [r for r in carried["rules"] if r[1] == "aws-audit-only"]
    assert ("aws-audit-only", name) in carried["owned"]
    assert [["Workloads", "Prod"], "aws-developers", "AcmeViewOnly"] in carried["rules"]
