"""The Identity Center assignments of every member account, kept equal to the config's rules.

Runs in the management account, in the Identity Center instance's region
(every Identity Center call goes there). Four things start it:

- the deploy-time custom resource ``Custom::IdentityCenterAssignments``
  (Create, Update, Delete): a full run with the rules of its properties.
  An Update also revokes what the previous rules gave (a group or
  permission set removed from the config); a Delete revokes everything its
  rules gave. It runs before CloudFormation's cleanup deletes a removed
  permission set, so no assignment is left on a permission set that is
  about to go. The Delete of a Create that failed does nothing (the next
  run revokes what the config no longer asks for: see the ledger below);
- AWS Organizations' ``CreateAccountResult`` and ``MoveAccount`` events
  (forwarded from us-east-1): that one account;
- CloudFormation's status change of its own stack to CREATE_COMPLETE,
  UPDATE_COMPLETE or UPDATE_ROLLBACK_COMPLETE: a full run once cleanup is
  done (it deletes replaced resources after the custom resource ran);
- an hourly schedule: a full run (an event missed, an account invited);
- its own continuation: a full run that reaches its deadline hands the rest
  to a new invocation of itself.

What it owns (docs/identity.md, "Who owns which assignment"): the
assignments of the rules' permission sets (by name) to the rules' groups (by
display name) on ACTIVE member accounts, and those of the groups and
permission sets of earlier rules until a full run has revoked them all: the
*ledger*, an SSM parameter (:func:`ledger_parameter`) each run adds its
rules' names to before it changes anything, and a full run that left nothing
undone resets to the current rules' names. A removed group's access is
revoked by whichever run comes next, however the deploy that removed it went
(a deadline, a lost continuation, a rollback racing a continuation). Each
run creates the ones the rules ask for and deletes the other ones it owns. An OU under the deny-all
guardrail (Suspended) is reached only by a rule naming it, an OU in it or an
account. It never touches the management
account, accounts that are not ACTIVE, users, other groups or other
permission sets. The function's reserved concurrency is 1: runs never
overlap, so two runs never race on one assignment.

Both writes are asynchronous; at most :data:`MAX_OUTSTANDING` are in flight
(Identity Center allows 15 outstanding, whoever makes them).
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/aam-quotas.html
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DeleteAccountAssignment.html
See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListAccountAssignmentsForPrincipal.html
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        remaining_seconds,
        retrying,
        run,
        seconds_left,
        sleep,
    )
except ImportError:  # the Lambda's inline code: both files merged
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        remaining_seconds,
        retrying,
        run,
        seconds_left,
        sleep,
    )

RULES_VARIABLE = "RULES"
#: Retried with backoff until the run's deadline.
THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerException",
    "ConcurrentModificationException",
}
#: ConflictException: Identity Center is still applying an earlier write on the
#: same account or permission set, or another writer made the same change. Retried a
#: few times only: a create that keeps conflicting is reported, and the next run,
#: which lists again, finds what is there.
#: See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/CommonErrors.html
CONFLICT_ATTEMPTS = 4
#: Writes in flight at once: Identity Center allows 15 outstanding asynchronous
#: writes per instance; 10 leaves room for other writers (the console, other
#: tools), whose writes count too.
MAX_OUTSTANDING = 10
#: Seconds between two status checks of the writes in flight.
POLL_SECONDS = 2.0
#: No new write starts with less time left: the ones in flight must finish.
SUBMIT_MARGIN_SECONDS = 60.0
#: Runs one full run may hand over to: our own bound on a chain of self-invocations,
#: below the 16 after which Lambda's recursive loop detection stops a chain of the
#: services it tracks (whether a direct self-invocation is one, the chain stops here
#: first); 1,000 accounts x 5 assignments need about 4. A chain stopped here loses
#: nothing: the hourly run goes on, and the ledger keeps what is left to revoke.
#: See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
MAX_CONTINUATIONS = 8
RESOURCE_TYPE = "Custom::IdentityCenterAssignments"


def ledger_parameter(function_name: str) -> str:
    """The SSM parameter holding the names this function owns beyond the current rules
    (under ``/landing-zone``: a name may not begin with ``aws`` or ``ssm``, as a prefix
    could).

    See: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
    """
    return f"/landing-zone/{function_name}/owned"


def _ledger(context: Any) -> str | None:
    """The ledger of the function ``context`` runs (``None``: no function, in a tool).

    See: https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
    """
    name = getattr(context, "function_name", None)
    return ledger_parameter(str(name)) if name else None


#: (account id, permission set ARN, group id)
Key = tuple[str, str, str]


class ReconcileError(Exception):
    """What failed: Lambda retries the event and then sends it to the failure queue;
    a custom resource answers FAILED with it."""


def decode(encoded: str) -> dict[str, Any]:
    """The reconciler input the stack encoded (``landing_zone/identity_center.py``)."""
    document: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(encoded)))
    return document


# ---- entry point ------------------------------------------------------------------


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """Lambda entry point: a custom-resource request, an Organizations event, the schedule
    or a continuation."""
    if "RequestType" in event:
        _custom_resource(event, context)
        return None
    rules = decode(os.environ[RULES_VARIABLE])
    deadline = time.monotonic() + remaining_seconds(context) - 10
    # What earlier rules gave and these do not is revoked too: the ledger has their names.
    reconciler = Reconciler(rules, deadline=deadline, ledger=_ledger(context))
    account = account_of(event)
    continued = False
    if account is not None:
        summary = reconciler.reconcile_account(account)
    elif _is_organizations_event(event):
        return {"skipped": "no account to reconcile in this event"}
    else:
        summary = reconciler.reconcile_all()
        if summary["pending"]:
            continued = _continue(context, event, summary)
    LOG.info("%s", _loggable(summary))
    if summary["failed"] and continued:
        # Raising would make Lambda retry this event, and each retry would start one
        # more continuation: chains would multiply. The continuation tries the failed
        # changes again (they are still differences) and the last run raises.
        # See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
        LOG.error("failed, left to the continuation: %s", "; ".join(summary["failed"]))
    elif summary["failed"]:
        raise ReconcileError("; ".join(summary["failed"])[:3000])
    return summary


def _loggable(summary: dict[str, Any], *, shown: int = 50) -> str:
    """The summary with counts and at most ``shown`` labels per list: a first run at 1,000
    accounts creates about 5,000 assignments, whose labels would near CloudWatch Logs'
    256 KB per event (each change is also logged as it completes).
    See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html"""
    compact: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, list):
            compact[key] = len(value)
            if value:
                compact[f"{key}_first"] = value[:shown]
        else:
            compact[key] = value
    return json.dumps(compact)


def _is_organizations_event(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.organizations"


def account_of(event: dict[str, Any]) -> str | None:
    """The account an Organizations event is about (``None``: not such an event, or one
    that names no account to reconcile: a failed creation).

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccountStatus.html
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_MoveAccount.html
    """
    if not _is_organizations_event(event):
        return None
    detail = event.get("detail") or {}
    name = detail.get("eventName")
    if name == "CreateAccountResult":
        status = (detail.get("serviceEventDetails") or {}).get("createAccountStatus") or {}
        account = status.get("accountId")
        if status.get("state") != "SUCCEEDED" or not account:
            LOG.info("account creation %s: nothing to assign", status.get("state"))
            return None
        return str(account)
    if name == "MoveAccount":
        account = (detail.get("requestParameters") or {}).get("accountId")
        return str(account) if account else None
    return None


def _continue(context: Any, event: dict[str, Any], summary: dict[str, Any]) -> bool:
    """Hand the rest of a full run to a new invocation of this function (asynchronous:
    reserved concurrency 1 queues it until this one ends). ``False``: not handed over, and
    why is in ``summary["failed"]``.

    The payload is the generation alone: the continuation reads the rules from its
    environment, and the names of earlier rules (an Update's previous ones) from the
    ledger, so a lost or late continuation leaves nothing that is nobody's.
    """
    generation = int(event.get("continuation", 0)) + 1
    if generation > MAX_CONTINUATIONS:
        summary["failed"].append(
            f"{summary['pending']} changes still pending after {MAX_CONTINUATIONS} runs; the "
            "hourly run continues: check the function's log for throttling or failures"
        )
        return False
    arn = getattr(context, "invoked_function_arn", None)
    if not arn:
        summary["failed"].append("no function ARN to continue with")
        return False
    payload: dict[str, Any] = {"continuation": generation}
    lambda_client = client("lambda", region_name=own_region())
    lambda_client.invoke(
        FunctionName=arn, InvocationType="Event", Payload=json.dumps(payload).encode()
    )
    LOG.info("%s changes pending: continuation %d started", summary["pending"], generation)
    return True


# ---- the custom resource -----------------------------------------------------------


def _custom_resource(event: dict[str, Any], context: Any) -> None:
    """Create/Update: a full run with the properties' rules (an Update's scope includes the
    previous rules, so what they gave and these do not is revoked); Delete: revoke all."""
    previous = (event.get("OldResourceProperties") or {}).get("Rules")
    ledger = _ledger(context)

    def apply(properties: dict[str, Any], deadline: float) -> dict[str, str]:
        rules = decode(str(properties["Rules"]))
        scope = [rules, decode(str(previous))] if previous else [rules]
        reconciler = Reconciler(rules, deadline=deadline, scope=scope, ledger=ledger)
        summary = reconciler.reconcile_all()
        LOG.info("%s", _loggable(summary))
        if summary["failed"]:
            raise CustomResourceError("; ".join(summary["failed"]))
        # The deployment goes on; the rest is done by continuations of the function,
        # which read the same rules from its environment (updated before this ran) and
        # the previous ones' names from the ledger (written before any change).
        if summary["pending"] and not _continue(context, {}, summary):
            raise CustomResourceError("; ".join(summary["failed"]))
        return {key: str(len(value)) for key, value in summary.items() if key != "pending"} | {
            "pending": str(summary["pending"])
        }

    def delete(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
        rules = decode(str(properties["Rules"]))
        reconciler = Reconciler(
            {**rules, "rules": []}, deadline=deadline, scope=[rules], ledger=ledger
        )
        summary = reconciler.reconcile_all()
        LOG.info("%s", _loggable(summary))
        if summary["failed"] or summary["pending"]:
            raise CustomResourceError(
                f"{summary['pending']} revocations not done; "
                + "; ".join(summary["failed"])
                + " (delete again to retry)"
            )
        return {}

    # The Delete of a failed Create does nothing (run() answers it without acting):
    # revoking everything the rules own would also take what was there before the
    # Create (an upgrade adopting the assignments CloudFormation made), locking every
    # user out. What the failed Create made is in the ledger: the next run revokes what
    # the config no longer asks for.
    run(
        event,
        context,
        physical_id=_physical_id,
        apply=apply,
        delete=delete,
    )


def _physical_id(properties: dict[str, Any]) -> str:
    return f"assignments/{decode(str(properties['Rules']))['instance']}"


# ---- the reconciler ----------------------------------------------------------------


@dataclass
class Account:
    """A member account as Organizations lists it, with its OU's names from the root."""

    id: str
    email: str
    state: str
    path: list[str]

    @classmethod
    def of(cls, listed: dict[str, Any], path: list[str]) -> Account:
        """From an Organizations ``Account``: its ``State`` (``Status`` is retired on
        September 9, 2026; read where an older answer holds only it).

        See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
        """
        state = listed.get("State") or listed.get("Status") or ""
        return cls(str(listed["Id"]), str(listed["Email"]), str(state), path)


@dataclass
class Change:
    verb: str  # "create" | "delete"
    key: Key
    label: str
    request: str = ""


@dataclass
class Reconciler:
    """One run: the rules, the lookups it made (cached), what it changed."""

    rules: dict[str, Any]
    deadline: float
    #: Rule sets whose groups and permission sets this run owns (default: the rules').
    scope: list[dict[str, Any]] = field(default_factory=list)
    #: The SSM parameter of the ledger (``None``: none, in a tool or a test).
    ledger: str | None = None
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pending: int = 0

    def __post_init__(self) -> None:
        self.scope = self.scope or [self.rules]
        self.instance = str(self.rules["instance"])
        self.management = str(self.rules["management"])
        region = str(self.rules["region"])
        # Organizations is global: its endpoint answers from any region.
        self.organizations = client("organizations", region_name=own_region())
        self.sso = client("sso-admin", region_name=region)
        self.identitystore = client("identitystore", region_name=region)
        # The ledger lives beside the function, in its own region.
        self.ssm = client("ssm", region_name=own_region())
        #: What the ledger holds, once read (``None``: not read yet).
        self._ledger_holds: tuple[set[str], set[str]] | None = None
        self._groups: dict[str, str | None] = {}
        self._permission_sets: dict[str, str] | None = None
        self._ou_names: dict[str, str] = {}
        self._root_id: str | None = None
        #: OU ids by name, by parent id: each parent listed once per run.
        self._units: dict[str, dict[str, str]] = {}

    def _call(self, method: Any, **kwargs: Any) -> Any:
        return retrying(partial(method, **kwargs), self.deadline, THROTTLED)

    def _pages(self, method: Any, key: str, **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(method, **kwargs, **({"NextToken": token} if token else {}))
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "deleted": self.deleted,
            "failed": self.failed,
            "pending": self.pending,
        }

    # ---- names to ids ----

    def group_id(self, name: str, *, required: bool) -> str | None:
        """The id of the group named ``name``; a missing required group is an error (a
        missing group of a previous rule set has nothing left to revoke)."""
        if name not in self._groups:
            try:
                answer = self._call(
                    self.identitystore.get_group_id,
                    IdentityStoreId=self.rules["store"],
                    AlternateIdentifier={
                        "UniqueAttribute": {"AttributePath": "DisplayName", "AttributeValue": name}
                    },
                )
                self._groups[name] = str(answer["GroupId"])
            except ClientError as error:
                if error_code(error) != "ResourceNotFoundException":
                    raise
                self._groups[name] = None
        found = self._groups[name]
        if found is None and required:
            raise ReconcileError(
                f"no group named '{name}' in identity store {self.rules['store']}: create or "
                "sync the group in your identity source (SCIM), or fix the name in "
                "identity.identity_center.assignments"
            )
        return found

    def permission_set_arn(self, name: str, *, required: bool) -> str | None:
        """The ARN of the instance's permission set named ``name`` (names are unique)."""
        if self._permission_sets is None:
            self._permission_sets = {}
            for arn in self._pages(
                self.sso.list_permission_sets, "PermissionSets", InstanceArn=self.instance
            ):
                described = self._call(
                    self.sso.describe_permission_set,
                    InstanceArn=self.instance,
                    PermissionSetArn=arn,
                )
                self._permission_sets[described["PermissionSet"]["Name"]] = arn
        found = self._permission_sets.get(name)
        if found is None and required:
            raise ReconcileError(
                f"no permission set named '{name}' in {self.instance}: deploy the "
                "IdentityCenter stack (it creates the permission sets)"
            )
        return found

    def _owned(self) -> tuple[dict[str, str], dict[str, str]]:
        """Group ids by name and permission set ARNs by name this run owns: the current
        rules' (which must exist), and the previous ones' and the ledger's (which may be
        gone already). The ledger gets every one of these names before any change."""
        groups, permission_sets = _names([self.rules])
        known_groups, known_sets = self._read_ledger()
        owned_groups, owned_sets = _names(self.scope)
        owned_groups |= known_groups | groups
        owned_sets |= known_sets | permission_sets
        self._write_ledger(owned_groups, owned_sets)
        group_ids: dict[str, str] = {}
        arns: dict[str, str] = {}
        for group in sorted(owned_groups):
            group_id = self.group_id(group, required=group in groups)
            if group_id is not None:
                group_ids[group] = group_id
        for permission_set in sorted(owned_sets):
            arn = self.permission_set_arn(
                permission_set, required=permission_set in permission_sets
            )
            if arn is not None:
                arns[permission_set] = arn
        return group_ids, arns

    # ---- the ledger ----

    def _read_ledger(self) -> tuple[set[str], set[str]]:
        """The group and permission set names the ledger holds (none: no ledger yet).

        See: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
        """
        if self.ledger is None:
            return set(), set()
        try:
            answer = self._call(self.ssm.get_parameter, Name=self.ledger)
        except ClientError as error:
            if error_code(error) != "ParameterNotFound":
                raise
            self._ledger_holds = (set(), set())
        else:
            document = json.loads(answer["Parameter"]["Value"])
            self._ledger_holds = (set(document["groups"]), set(document["permission_sets"]))
        return self._ledger_holds

    def _write_ledger(self, groups: set[str], permission_sets: set[str]) -> None:
        """The ledger holds exactly these names; none: it is deleted.

        Intelligent-Tiering: the standard tier (4 KB) while the names fit, the advanced
        one (8 KB) beyond.
        See: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
        See: https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
        """
        if self.ledger is None or self._ledger_holds == (groups, permission_sets):
            return
        if not groups and not permission_sets:
            try:
                self._call(self.ssm.delete_parameter, Name=self.ledger)
            except ClientError as error:
                if error_code(error) != "ParameterNotFound":
                    raise
            self._ledger_holds = (set(), set())
            return
        document = {"groups": sorted(groups), "permission_sets": sorted(permission_sets)}
        self._call(
            self.ssm.put_parameter,
            Name=self.ledger,
            Value=json.dumps(document, separators=(",", ":")),
            Type="String",
            Overwrite=True,
            Tier="Intelligent-Tiering",
            Description="Landing zone: the Identity Center groups and permission sets whose "
            "assignments the reconciler owns (it keeps this up to date)",
        )
        self._ledger_holds = (set(groups), set(permission_sets))

    # ---- the organization ----

    def root(self) -> str:
        if self._root_id is None:
            self._root_id = str(self._call(self.organizations.list_roots)["Roots"][0]["Id"])
        return self._root_id

    def units(self, parent: str) -> dict[str, str]:
        """The OUs directly under ``parent``: id by name (unique among siblings).

        See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
        """
        if parent not in self._units:
            self._units[parent] = {
                str(unit["Name"]): str(unit["Id"])
                for unit in self._pages(
                    self.organizations.list_organizational_units_for_parent,
                    "OrganizationalUnits",
                    ParentId=parent,
                )
            }
        return self._units[parent]

    def accounts(self) -> list[Account]:
        """Every member account (not the management account), with its OU name path."""
        found: list[Account] = []
        queue: list[tuple[str, list[str]]] = [(self.root(), [])]
        while queue:
            parent, path = queue.pop(0)
            for account in self._pages(
                self.organizations.list_accounts_for_parent, "Accounts", ParentId=parent
            ):
                if account["Id"] != self.management:
                    found.append(Account.of(account, path))
            for name, unit in self.units(parent).items():
                queue.append((unit, [*path, name]))
        return found

    def check_targets(self) -> set[tuple[str, str]]:
        """The (group, permission set) pairs of rules naming an OU the organization does
        not have (found by its names from the root), each reported as a failure.

        An OU renamed, moved or deleted outside the config reaches no account, so the
        run would revoke what the rule gives each of its accounts: following the
        rename, not the config. Those pairs are never revoked by this run (their
        grants elsewhere still happen); everything else is reconciled, and the run
        fails, saying which OU and what to do, until the config and the organization
        agree again.
        """
        missing: dict[str, None] = {}
        protected: set[tuple[str, str]] = set()
        for target, group, permission_set in self.rules["rules"]:
            if not isinstance(target, list):
                continue
            parent: str | None = self.root()
            for name in target:
                parent = self.units(parent).get(name) if parent else None
            if parent is None:
                missing["/".join(target)] = None
                protected.add((group, permission_set))
        if missing:
            self.failed.append(
                f"no OU {', '.join(missing)} in the organization (renamed, moved or deleted "
                "outside the config?): its rules' assignments were not revoked anywhere. "
                "Give the OU its config name and place back, or change "
                "organizational_units in the config and deploy"
            )
        return protected

    @staticmethod
    def _shield(
        desired: dict[Key, str],
        actual: dict[Key, str],
        protected: set[tuple[str, str]],
        groups: dict[str, str],
        permission_sets: dict[str, str],
    ) -> dict[Key, str]:
        """``desired`` plus the protected pairs' present assignments: kept, never revoked
        by this run (and not created twice)."""
        shielded = {
            (permission_sets[p], groups[g])
            for g, p in protected
            if g in groups and p in permission_sets
        }
        kept = {key: label for key, label in actual.items() if (key[1], key[2]) in shielded}
        return {**kept, **desired}

    def account(self, account_id: str) -> Account:
        """One account, its OU name path read upwards with ListParents."""
        described = self._call(self.organizations.describe_account, AccountId=account_id)["Account"]
        names: list[str] = []
        child = account_id
        while True:
            parent = self._call(self.organizations.list_parents, ChildId=child)["Parents"][0]
            if parent["Type"] == "ROOT":
                break
            if parent["Id"] not in self._ou_names:
                unit = self._call(
                    self.organizations.describe_organizational_unit,
                    OrganizationalUnitId=parent["Id"],
                )
                self._ou_names[parent["Id"]] = unit["OrganizationalUnit"]["Name"]
            names.append(self._ou_names[parent["Id"]])
            child = parent["Id"]
        return Account.of(described, names[::-1])

    # ---- desired and actual ----

    def wanted(self, account: Account) -> set[tuple[str, str]]:
        """(group name, permission set name) pairs the rules give ``account``."""
        pairs = set()
        # An OU under a deny-all guardrail (suspended) is reached by a rule naming it
        # or a descendant, or the account itself; never by a rule on an ancestor.
        fenced = [p for p in self.rules.get("excluded", []) if account.path[: len(p)] == p]
        for target, group, permission_set in self.rules["rules"]:
            if isinstance(target, list):
                reached = account.path[: len(target)] == target and all(
                    len(target) >= len(p) for p in fenced
                )
            else:
                reached = target in (account.id, account.email.lower())
            if reached:
                pairs.add((group, permission_set))
        return pairs

    def desired(
        self, accounts: list[Account], groups: dict[str, str], permission_sets: dict[str, str]
    ) -> dict[Key, str]:
        keys: dict[Key, str] = {}
        for account in accounts:
            for group, permission_set in sorted(self.wanted(account)):
                key = (account.id, permission_sets[permission_set], groups[group])
                keys[key] = f"{group} / {permission_set} in {account.id}"
        return keys

    # ---- runs ----

    def reconcile_all(self) -> dict[str, Any]:
        """Every ACTIVE member account."""
        groups, permission_sets = self._owned()
        active = [a for a in self.accounts() if a.state == "ACTIVE"]
        protected = self.check_targets()
        ids = {a.id for a in active}
        arns = set(permission_sets.values())
        actual: dict[Key, str] = {}
        for name, group in sorted(groups.items()):
            for item in self._pages(
                self.sso.list_account_assignments_for_principal,
                "AccountAssignments",
                InstanceArn=self.instance,
                PrincipalId=group,
                PrincipalType="GROUP",
            ):
                if item["AccountId"] in ids and item["PermissionSetArn"] in arns:
                    key = (item["AccountId"], item["PermissionSetArn"], group)
                    actual[key] = f"{name} / {_name_of(permission_sets, key[1])} in {key[0]}"
        desired = self.desired(active, groups, permission_sets)
        self._apply(self._shield(desired, actual, protected, groups, permission_sets), actual)
        if not self.failed and not self.pending:
            # Every ACTIVE account holds exactly what the current rules give: nothing of
            # an earlier rule is left to revoke, so the ledger forgets those names.
            self._write_ledger(*_names([self.rules]))
        return self.summary()

    def reconcile_account(self, account_id: str) -> dict[str, Any]:
        """One account, after an Organizations event about it."""
        if account_id == self.management:
            LOG.info("%s is the management account: never assigned", account_id)
            return self.summary()
        try:
            account = self.account(account_id)
        except ClientError as error:
            # Moved, then removed from the organization before this ran.
            # See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeAccount.html
            if error_code(error) != "AccountNotFoundException":
                raise
            LOG.info("%s is not in the organization (any more): nothing to do", account_id)
            return self.summary()
        if account.state != "ACTIVE":
            LOG.info("%s is %s: left as it is", account_id, account.state)
            return self.summary()
        protected = self.check_targets()
        groups, permission_sets = self._owned()
        names = {group: name for name, group in groups.items()}
        actual: dict[Key, str] = {}
        for ps_name, arn in sorted(permission_sets.items()):
            for item in self._pages(
                self.sso.list_account_assignments,
                "AccountAssignments",
                InstanceArn=self.instance,
                AccountId=account_id,
                PermissionSetArn=arn,
            ):
                if item["PrincipalType"] == "GROUP" and item["PrincipalId"] in names:
                    key = (account_id, arn, item["PrincipalId"])
                    actual[key] = f"{names[item['PrincipalId']]} / {ps_name} in {account_id}"
        desired = self.desired([account], groups, permission_sets)
        self._apply(self._shield(desired, actual, protected, groups, permission_sets), actual)
        return self.summary()

    # ---- writes ----

    def _apply(self, desired: dict[Key, str], actual: dict[Key, str]) -> None:
        """Revocations first (they remove access), then grants, at most MAX_OUTSTANDING in
        flight; what the deadline leaves undone is counted as pending."""
        changes = [Change("delete", key, actual[key]) for key in sorted(actual.keys() - desired)]
        changes += [Change("create", key, desired[key]) for key in sorted(desired.keys() - actual)]
        LOG.info(
            "%d assignments wanted, %d present: %d to delete, %d to create",
            len(desired),
            len(actual),
            sum(c.verb == "delete" for c in changes),
            sum(c.verb == "create" for c in changes),
        )
        waiting = list(reversed(changes))
        in_flight: list[Change] = []
        while waiting or in_flight:
            while (
                waiting
                and len(in_flight) < MAX_OUTSTANDING
                and seconds_left(self.deadline) > SUBMIT_MARGIN_SECONDS
            ):
                change = waiting.pop()
                try:
                    status = self._submit(change)
                except ClientError as error:
                    if change.verb == "delete" and error_code(error) == "ResourceNotFoundException":
                        # Revoked by someone else since it was listed: nothing left to do.
                        # See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DeleteAccountAssignment.html
                        LOG.info("%s: already gone", change.label)
                        self.deleted.append(change.label)
                    else:
                        self.failed.append(f"{change.verb} {change.label}: {error}")
                    continue
                self._settle(change, status, in_flight)
            if not in_flight:
                break
            if seconds_left(self.deadline) < POLL_SECONDS:
                break
            sleep(POLL_SECONDS)
            for change in list(in_flight):
                in_flight.remove(change)
                try:
                    status = self._status(change)
                except ClientError as error:
                    self.failed.append(f"{change.verb} {change.label}: {error}")
                    continue
                self._settle(change, status, in_flight)
        # Writes still in flight finish on their own; the next run sees their result.
        self.pending = len(waiting) + len(in_flight)

    def _request(self, key: Key) -> dict[str, str]:
        account, arn, group = key
        return {
            "InstanceArn": self.instance,
            "TargetId": account,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": arn,
            "PrincipalType": "GROUP",
            "PrincipalId": group,
        }

    def _submit(self, change: Change) -> dict[str, Any]:
        write = (
            self.sso.create_account_assignment
            if change.verb == "create"
            else self.sso.delete_account_assignment
        )
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                answer = self._call(write, **self._request(change.key))
                break
            except ClientError as error:
                if error_code(error) != "ConflictException" or attempt + 1 == CONFLICT_ATTEMPTS:
                    raise
                sleep(2.0**attempt)
        if change.verb == "create":
            status: dict[str, Any] = answer["AccountAssignmentCreationStatus"]
        else:
            status = answer["AccountAssignmentDeletionStatus"]
        change.request = str(status.get("RequestId", ""))
        return status

    def _status(self, change: Change) -> dict[str, Any]:
        """See: https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_DescribeAccountAssignmentCreationStatus.html"""
        if change.verb == "create":
            answer = self._call(
                self.sso.describe_account_assignment_creation_status,
                InstanceArn=self.instance,
                AccountAssignmentCreationRequestId=change.request,
            )
            status: dict[str, Any] = answer["AccountAssignmentCreationStatus"]
        else:
            answer = self._call(
                self.sso.describe_account_assignment_deletion_status,
                InstanceArn=self.instance,
                AccountAssignmentDeletionRequestId=change.request,
            )
            status = answer["AccountAssignmentDeletionStatus"]
        return status

    def _settle(self, change: Change, status: dict[str, Any], in_flight: list[Change]) -> None:
        state = status.get("Status")
        if state == "IN_PROGRESS":
            in_flight.append(change)
        elif state == "SUCCEEDED":
            LOG.info("%sd %s", change.verb, change.label)
            (self.created if change.verb == "create" else self.deleted).append(change.label)
        else:
            self.failed.append(f"{change.verb} {change.label}: {status.get('FailureReason')}")


def _names(rule_sets: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """The group names and permission set names of ``rule_sets``' rules."""
    rules = [rule for rule_set in rule_sets for rule in rule_set["rules"]]
    return {group for _, group, _ in rules}, {permission_set for _, _, permission_set in rules}


def _name_of(permission_sets: dict[str, str], arn: str) -> str:
    return next((name for name, value in permission_sets.items() if value == arn), arn)
