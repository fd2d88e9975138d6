"""Identity Center assignments for accounts outside the config: created or moved later.

Runs in the management account, in us-east-1, where AWS Organizations'
CloudTrail events reach EventBridge; its Identity Center calls go to the
instance's region (``region`` of its input). Triggered by
``CreateAccountResult`` (the account in the event), ``MoveAccount`` (the
account moved) and a daily schedule (every account of the organization).

Ownership: CloudFormation owns every assignment of the accounts of the config
(``ids``, ``emails``: never touched here) and this function owns, on every
other account except the management account, exactly the (group, permission
set) pairs of the config (``owned``): it creates the ones the account's OU
path asks for (``rules``: OU names from the root; an empty path is the root)
and deletes the other owned ones (an account that left the OU). Assignments
of any other group or permission set (made by hand) are never touched. Run
twice, it changes nothing the second time.

Group ids and permission set ARNs are looked up by name at run time
(identitystore:GetGroupId, sso-admin:ListPermissionSets and
DescribePermissionSet): they are deploy-time values of a stack in another
region. Any failure is raised after every account was tried, so Lambda's
retries and the failure destination apply.
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DeleteAccountAssignment.html
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignments.html
"""

from __future__ import annotations

import json
import os
import time
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        RESPONSE_MARGIN_SECONDS,
        client,
        error_code,
        own_region,
        remaining_seconds,
        retrying,
        seconds_left,
        sleep,
    )
except ImportError:  # the Lambda's inline code: both files merged
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        RESPONSE_MARGIN_SECONDS,
        client,
        error_code,
        own_region,
        remaining_seconds,
        retrying,
        seconds_left,
        sleep,
    )

THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerException",
    "ConcurrentModificationException",
}
VARIABLE = "DESIRED"
#: Seconds between two status checks of an asynchronous assignment request.
POLL_SECONDS = 2.0

Pair = tuple[str, str]  # (group display name, permission set name)


class ReconcileError(Exception):
    """What failed, for every account tried: Lambda records it and retries."""


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: reconcile the event's account, or every account on the schedule."""
    desired = json.loads(os.environ[VARIABLE])
    deadline = time.monotonic() + remaining_seconds(context) - RESPONSE_MARGIN_SECONDS
    return Reconciler(desired, deadline).run(accounts_of(event))


def accounts_of(event: dict[str, Any]) -> list[str] | None:
    """The account ids an event is about; ``None``: every account (the schedule).

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccountStatus.html
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_MoveAccount.html
    """
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    if name == "CreateAccountResult":
        status = (detail.get("serviceEventDetails") or {}).get("createAccountStatus") or {}
        if status.get("state") != "SUCCEEDED" or not status.get("accountId"):
            LOG.info("account creation %s: nothing to assign", status.get("state"))
            return []
        return [str(status["accountId"])]
    if name == "MoveAccount":
        return [str((detail.get("requestParameters") or {})["accountId"])]
    return None


class Reconciler:
    """One run: the lookups it made (cached), what it changed, what failed."""

    def __init__(self, desired: dict[str, Any], deadline: float) -> None:
        self.desired = desired
        self.deadline = deadline
        self.instance = str(desired["instance"])
        self.rules = [(list(path), str(group), str(ps)) for path, group, ps in desired["rules"]]
        self.owned: set[Pair] = {(str(g), str(p)) for g, p in desired["owned"]}
        self.organizations = client("organizations", region_name=own_region())
        self.sso = client("sso-admin", region_name=desired["region"])
        self.identitystore = client("identitystore", region_name=desired["region"])
        self.ou_names: dict[str, str] = {}
        self.parents: dict[str, tuple[str, str]] = {}
        self._groups: dict[str, str] = {}
        self._permission_sets: dict[str, str] | None = None
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.failures: list[str] = []

    def _call(self, method: Any, **kwargs: Any) -> Any:
        return retrying(partial(method, **kwargs), self.deadline, THROTTLED)

    # ---- which accounts ----

    def run(self, accounts: list[str] | None) -> dict[str, Any]:
        targets = self._every_account() if accounts is None else self._described(accounts)
        for account, email in targets:
            if self._config_owns(account, email):
                LOG.info("%s is an account of the config: CloudFormation owns it", account)
                continue
            try:
                self.reconcile(account)
            except (ClientError, ReconcileError) as error:
                LOG.exception("account %s", account)
                self.failures.append(f"{account}: {error}")
        summary = {"created": self.created, "deleted": self.deleted, "failed": self.failures}
        LOG.info("%s", json.dumps(summary))
        if self.failures:
            raise ReconcileError("; ".join(self.failures))
        return summary

    def _config_owns(self, account: str, email: str) -> bool:
        return (
            account == self.desired["management"]
            or account in self.desired["ids"]
            or email.lower() in self.desired["emails"]
        )

    def _every_account(self) -> list[tuple[str, str]]:
        accounts: list[tuple[str, str]] = []
        token = None
        while True:
            page = self._call(
                self.organizations.list_accounts, **({"NextToken": token} if token else {})
            )
            accounts += [(a["Id"], a["Email"]) for a in page["Accounts"] if a["Status"] == "ACTIVE"]
            token = page.get("NextToken")
            if not token:
                return accounts

    def _described(self, accounts: list[str]) -> list[tuple[str, str]]:
        described = []
        for account in accounts:
            answer = self._call(self.organizations.describe_account, AccountId=account)
            described.append((account, answer["Account"]["Email"]))
        return described

    def ou_path(self, account: str) -> list[str]:
        """OU names from the root down to ``account``'s OU (``[]``: directly under the root)."""
        names: list[str] = []
        child = account
        while True:
            if child not in self.parents:
                parent = self._call(self.organizations.list_parents, ChildId=child)["Parents"][0]
                self.parents[child] = (parent["Id"], parent["Type"])
            parent_id, kind = self.parents[child]
            if kind == "ROOT":
                return list(reversed(names))
            if parent_id not in self.ou_names:
                unit = self._call(
                    self.organizations.describe_organizational_unit, OrganizationalUnitId=parent_id
                )
                self.ou_names[parent_id] = unit["OrganizationalUnit"]["Name"]
            names.append(self.ou_names[parent_id])
            child = parent_id

    def wanted(self, path: list[str]) -> set[Pair]:
        """The pairs whose rule's OU path is ``path`` or above it (the root: every account)."""
        return {(group, ps) for rule, group, ps in self.rules if path[: len(rule)] == rule}

    # ---- names to ids ----

    def group_id(self, name: str) -> str:
        if name not in self._groups:
            try:
                answer = self._call(
                    self.identitystore.get_group_id,
                    IdentityStoreId=self.desired["store"],
                    AlternateIdentifier={
                        "UniqueAttribute": {"AttributePath": "DisplayName", "AttributeValue": name}
                    },
                )
            except ClientError as error:
                if error_code(error) == "ResourceNotFoundException":
                    raise ReconcileError(
                        f"no group named '{name}' in identity store {self.desired['store']}: "
                        "create or sync it (SCIM), or fix identity.identity_center.assignments"
                    ) from None
                raise
            self._groups[name] = answer["GroupId"]
        return self._groups[name]

    def permission_set_arn(self, name: str) -> str:
        if self._permission_sets is None:
            arns: list[str] = []
            token = None
            while True:
                page = self._call(
                    self.sso.list_permission_sets,
                    InstanceArn=self.instance,
                    **({"NextToken": token} if token else {}),
                )
                arns += page.get("PermissionSets", [])
                token = page.get("NextToken")
                if not token:
                    break
            self._permission_sets = {}
            for arn in arns:
                described = self._call(
                    self.sso.describe_permission_set,
                    InstanceArn=self.instance,
                    PermissionSetArn=arn,
                )
                self._permission_sets[described["PermissionSet"]["Name"]] = arn
        if name not in self._permission_sets:
            raise ReconcileError(
                f"no permission set named '{name}' in {self.instance}: deploy the "
                "IdentityCenter stack first"
            )
        return self._permission_sets[name]

    # ---- one account ----

    def reconcile(self, account: str) -> None:
        """Create the owned pairs the account's OU path wants, delete the other owned ones."""
        want = self.wanted(self.ou_path(account))
        by_permission_set: dict[str, set[str]] = {}
        for group, ps in self.owned:
            by_permission_set.setdefault(ps, set()).add(group)
        for ps, groups in sorted(by_permission_set.items()):
            arn = self.permission_set_arn(ps)
            present = self._assigned_groups(account, arn)
            for group in sorted(groups):
                principal = self.group_id(group)
                label = f"{group} / {ps} in {account}"
                if (group, ps) in want and principal not in present:
                    self._change("create", account=account, arn=arn, principal=principal)
                    self.created.append(label)
                elif (group, ps) not in want and principal in present:
                    self._change("delete", account=account, arn=arn, principal=principal)
                    self.deleted.append(label)

    def _assigned_groups(self, account: str, arn: str) -> set[str]:
        groups: set[str] = set()
        token = None
        while True:
            page = self._call(
                self.sso.list_account_assignments,
                InstanceArn=self.instance,
                AccountId=account,
                PermissionSetArn=arn,
                **({"NextToken": token} if token else {}),
            )
            groups.update(
                a["PrincipalId"]
                for a in page["AccountAssignments"]
                if a["PrincipalType"] == "GROUP"
            )
            token = page.get("NextToken")
            if not token:
                return groups

    def _change(self, verb: str, *, account: str, arn: str, principal: str) -> None:
        """Create or delete one assignment, then wait (bounded) until it is done.

        Both are asynchronous: the request's status says IN_PROGRESS, then
        SUCCEEDED or FAILED with a reason.
        See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DescribeAccountAssignmentCreationStatus.html
        See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DescribeAccountAssignmentDeletionStatus.html
        """
        request = {
            "InstanceArn": self.instance,
            "TargetId": account,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": arn,
            "PrincipalType": "GROUP",
            "PrincipalId": principal,
        }
        if verb == "create":
            status = self._call(self.sso.create_account_assignment, **request)[
                "AccountAssignmentCreationStatus"
            ]
        else:
            status = self._call(self.sso.delete_account_assignment, **request)[
                "AccountAssignmentDeletionStatus"
            ]
        LOG.info("%s %s for group %s in %s: %s", verb, arn, principal, account, status["Status"])
        while status["Status"] == "IN_PROGRESS":
            if seconds_left(self.deadline) < POLL_SECONDS:
                raise ReconcileError(f"{verb} of {arn} for {principal} still in progress")
            sleep(POLL_SECONDS)
            if verb == "create":
                status = self._call(
                    self.sso.describe_account_assignment_creation_status,
                    InstanceArn=self.instance,
                    AccountAssignmentCreationRequestId=status["RequestId"],
                )["AccountAssignmentCreationStatus"]
            else:
                status = self._call(
                    self.sso.describe_account_assignment_deletion_status,
                    InstanceArn=self.instance,
                    AccountAssignmentDeletionRequestId=status["RequestId"],
                )["AccountAssignmentDeletionStatus"]
        if status["Status"] == "FAILED":
            raise ReconcileError(
                f"{verb} of {arn} for {principal} in {account}: {status.get('FailureReason')}"
            )
