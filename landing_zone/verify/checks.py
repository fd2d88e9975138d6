"""Read the live organization and compare it, item by item, with what the config synthesizes.

Management-account credentials, read-only calls only. Organizations first
(the OU tree and accounts, which every other check needs for ids), then the
other checks side by side: each runs in a coordinator thread and sends its
reads to the :class:`~landing_zone.verify.reads.Reader`'s pool, whose
threads only ever make calls (never wait for each other).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from landing_zone.config import LandingZoneConfig
from landing_zone.detection_services import DetectionService, auto_enable
from landing_zone.lambdas.delegated_admin import guardduty_admins, inspector_admins, macie_admins
from landing_zone.org_tree import ROOT
from landing_zone.organization_policies import OrganizationPolicy
from landing_zone.preflight import global_region, list_accounts
from landing_zone.verify import expected
from landing_zone.verify.model import CannotRun, Result, content_difference
from landing_zone.verify.reads import Reader

#: The tags the organization stack puts on each OU (naming.tags and the key tag):
#: an OU renamed or moved by hand is still found by them.
OU_KEY_TAG = "landing-zone:ou-key"
PREFIX_TAG = "landing-zone:prefix"
ERRORS = (ClientError, BotoCoreError)


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item under ``key`` of every page of ``operation`` (one call if it has no pages)."""
    if not client.can_paginate(operation):
        return list(getattr(client, operation)(**params)[key])
    return [
        item for page in client.get_paginator(operation).paginate(**params) for item in page[key]
    ]


def _error(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)


# ---- the organization: OUs and accounts -----------------------------------------------------


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    parent: str


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str
    state: str
    #: The OU or root it sits in; None when outside the walked subtree.
    parent: str | None


@dataclass
class Organization:
    """The live tree under the scope (the root; a business unit's parent OU) and every account."""

    scope: str
    units: dict[str, Unit]
    accounts: dict[str, Account]
    #: Config OU key -> live id (None: not found).
    unit_ids: dict[str, str | None] = field(default_factory=dict)
    #: Config account key -> live id (None: not found).
    account_ids: dict[str, str | None] = field(default_factory=dict)

    def children(self, parent: str) -> list[Unit]:
        return [unit for unit in self.units.values() if unit.parent == parent]

    def path(self, unit_id: str) -> str:
        """``Root/Workloads/Prod``: names from the scope down."""
        names = []
        current = unit_id
        while current in self.units:
            names.append(self.units[current].name)
            current = self.units[current].parent
        return "/".join(["Root" if current.startswith("r-") else current, *reversed(names)])

    def accounts_below(self, parent: str) -> Iterator[Account]:
        """Accounts in ``parent`` and every OU below it."""
        below = {parent}
        frontier = [parent]
        while frontier:
            frontier = [unit.id for p in frontier for unit in self.children(p)]
            below.update(frontier)
        return (account for account in self.accounts.values() if account.parent in below)


def read_organization(config: LandingZoneConfig, reader: Reader) -> Organization:
    """The tree under the config's scope (the root; a business unit's parent OU)."""
    scope = config.core.parent_ou_id if config.core is not None else config.organization.root_id
    return walk_organization(reader, reader.client("organizations", global_region(config)), scope)


def walk_organization(reader: Reader, organizations: Any, scope: str) -> Organization:
    """Walk the tree under ``scope`` level by level, reads of a level in parallel."""
    everyone = reader.submit(list_accounts, organizations)
    units: dict[str, Unit] = {}
    parent_of: dict[str, str] = {}
    level = [scope]
    try:
        while level:
            ous = {
                parent: reader.submit(
                    _pages,
                    organizations,
                    "list_organizational_units_for_parent",
                    "OrganizationalUnits",
                    ParentId=parent,
                )
                for parent in level
            }
            members = {
                parent: reader.submit(
                    _pages, organizations, "list_accounts_for_parent", "Accounts", ParentId=parent
                )
                for parent in level
            }
            level = []
            for parent, future in ous.items():
                for unit in future.result():
                    units[unit["Id"]] = Unit(unit["Id"], unit["Name"], parent)
                    level.append(unit["Id"])
            for parent, future in members.items():
                for account in future.result():
                    parent_of[account["Id"]] = parent
        accounts = everyone.result()
    except ERRORS as error:
        raise CannotRun(f"cannot read the organization's tree ({_error(error)})") from error
    return Organization(
        scope=scope,
        units=units,
        accounts={
            a.id: Account(a.id, a.name, a.email, a.state, parent_of.get(a.id)) for a in accounts
        },
    )


def _label(organization: Organization, key: str) -> str:
    """``root (r-ab12)``, ``OU prod (ou-...)`` or ``OU prod (not found)``."""
    if key == ROOT:
        return f"root ({organization.scope})"
    return f"OU {key} ({organization.unit_ids.get(key) or 'not found'})"


def check_units(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """Each OU of the config exists under its parent with its name.

    Found by name under its parent, as the organization stack creates it;
    failing that, by the tags the stack put on it (renamed or moved by hand),
    whose reads happen only then.
    """
    names = {key: unit.name for key, unit, _, _ in config.walk_units()}
    tagged: dict[str, str] | None = None
    results = []
    for key, unit, parent, _ in config.walk_units():
        parent_id = organization.scope if parent is None else organization.unit_ids.get(parent)
        where = (
            "/".join(["Root", *(names[step] for step in config.tree.path(key)[1:])])
            if config.core is None
            else "/".join([organization.scope, *(names[s] for s in config.tree.path(key)[1:])])
        )
        found = next(
            (u for u in organization.children(parent_id or "") if u.name == unit.name), None
        )
        if found is not None:
            organization.unit_ids[key] = found.id
            results.append(Result("ou", key, "ok", where, f"{where} ({found.id})"))
            continue
        if tagged is None:
            tagged = _units_by_tag(config, organization, reader)
        live = organization.units.get(tagged.get(key, ""))
        organization.unit_ids[key] = live.id if live is not None else None
        if live is None:
            actual = f"no OU named '{unit.name}' under " + (
                organization.path(parent_id) if parent_id else f"OU {parent} (not found)"
            )
        else:
            actual = f"{organization.path(live.id)} ({live.id}): " + (
                "renamed" if live.parent == parent_id else "moved"
            )
        results.append(Result("ou", key, "drift", where, actual))
    return results


def _units_by_tag(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> dict[str, str]:
    """OU key -> id, from the tags of the live OUs this fork's stack created."""
    organizations = reader.client("organizations", global_region(config))
    ids = list(organization.units)
    try:
        tags = reader.map(
            lambda unit: _pages(organizations, "list_tags_for_resource", "Tags", ResourceId=unit),
            ids,
        )
        found = {}
        for unit, unit_tags in zip(ids, tags, strict=True):
            values = {tag["Key"]: tag["Value"] for tag in unit_tags}
            if values.get(PREFIX_TAG) == config.prefix and OU_KEY_TAG in values:
                found[values[OU_KEY_TAG]] = unit
        return found
    except ERRORS:
        return {}


def check_accounts(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """Each account of the config is in the organization, active, in its OU.

    Adopted accounts are known by id, created ones by email (Organizations
    keeps emails unique). A created account's name is the stack's; an
    adopted one's is its owner's business.
    """
    by_email = {account.email: account for account in organization.accounts.values()}
    results = []
    for key, account in config.all_accounts():
        wanted_unit = organization.unit_ids.get(account.ou)
        live = (
            organization.accounts.get(account.account_id)
            if account.account_id is not None
            else by_email.get((account.email or "").lower())
        )
        who = account.account_id or account.email or ""
        where = f"{who} in OU {account.ou}"
        organization.account_ids[key] = live.id if live is not None else None
        if live is None:
            results.append(Result("account", key, "drift", where, "not in the organization"))
            continue
        parent = live.parent or _parent_of(config, reader, live.id)
        here = organization.path(parent) if parent else "?"
        problems = []
        if live.state != "ACTIVE":
            problems.append(live.state)
        if not account.adopted and live.name != account.name:
            problems.append(f"named '{live.name}', not '{account.name}'")
        if wanted_unit is None:
            results.append(
                Result(
                    "account",
                    key,
                    "cannot_check",
                    where,
                    f"{live.id} in {here}; OU {account.ou} was not found (see its row)",
                )
            )
            continue
        if parent != wanted_unit:
            problems.append(f"in {here}, not {organization.path(wanted_unit)}")
        results.append(
            Result(
                "account",
                key,
                "drift" if problems else "ok",
                f"{where} ({organization.path(wanted_unit)})",
                f"{live.id} in {here}" + (f": {'; '.join(problems)}" if problems else ""),
            )
        )
    return results


def _parent_of(config: LandingZoneConfig, reader: Reader, account_id: str) -> str | None:
    """The parent of an account outside the walked subtree (a business unit's)."""
    organizations = reader.client("organizations", global_region(config))
    try:
        parents = _pages(organizations, "list_parents", "Parents", ChildId=account_id)
    except ERRORS:
        return None
    return parents[0]["Id"] if parents else None


def check_unmanaged(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """No OU the config does not name sits in one it manages; no account it does not name sits
    in the root.

    An OU made by hand (or left behind) under the root or a config OU is
    drift unless another fork's organization stack tagged it (a business
    unit's subtree, with its own prefix). An account in the root gets the
    root's policies only, none of an OU's: one the config does not name is
    drift. Accounts the config no longer names but left in an OU are not:
    removing one from the config stops managing it, and its OU's policies
    still apply.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
    """
    managed = {unit_id for unit_id in organization.unit_ids.values() if unit_id is not None}
    parents = set(managed) | ({organization.scope} if config.core is None else set())
    extra = [
        unit
        for parent in sorted(parents)
        for unit in organization.children(parent)
        if unit.id not in managed
    ]
    organizations = reader.client("organizations", global_region(config))
    tags = [
        reader.submit(_pages, organizations, "list_tags_for_resource", "Tags", ResourceId=unit.id)
        for unit in extra
    ]
    results = []
    for unit, future in zip(extra, tags, strict=True):
        item = f"OU {organization.path(unit.id)} ({unit.id})"
        try:
            prefix = next((t["Value"] for t in future.result() if t["Key"] == PREFIX_TAG), None)
        except ERRORS as error:
            results.append(Result("unmanaged", item, "cannot_check", "not here", _error(error)))
            continue
        if prefix is not None and prefix != config.prefix:
            continue  # another fork's (a business unit's subtree)
        results.append(
            Result(
                "unmanaged",
                item,
                "drift",
                "not here: no OU of the config",
                "made by hand"
                if prefix is None
                else f"tagged {config.prefix} but no OU key of the config (left behind?)",
            )
        )
    named = {account_id for account_id in organization.account_ids.values() if account_id}
    management = config.organization.management_account_id
    if config.core is None:
        results += [
            Result(
                "unmanaged",
                f"account {account.id} ({account.name})",
                "drift",
                "not in the root: only the root's policies apply there",
                "in the root, not in the config: add it (account_id) or move it into an OU",
            )
            for account in organization.accounts.values()
            if account.parent == organization.scope
            and account.state == "ACTIVE"
            and account.id not in named | {management}
        ]
    return results or [
        Result("unmanaged", "OUs and root accounts", "ok", "only the config's", "none else")
    ]


# ---- policies ------------------------------------------------------------------------------


def check_policies(
    config: LandingZoneConfig,
    organization: Organization,
    reader: Reader,
    policies: Sequence[OrganizationPolicy],
) -> list[Result]:
    """Each policy exists with the synthesized content, attached to its target and only there;
    every target holds no policy the landing zone does not own (but FullAWSAccess)."""
    organizations = reader.client("organizations", global_region(config))
    types = expected.policy_types(tuple(policies))
    try:
        listed = dict(
            zip(
                types,
                reader.map(
                    lambda kind: _pages(organizations, "list_policies", "Policies", Filter=kind),
                    types,
                ),
                strict=True,
            )
        )
    except ERRORS as error:
        return [
            Result("policy", policy.name, "cannot_check", policy.type, _error(error))
            for policy in policies
        ]
    ids = {
        (summary["Type"], summary["Name"]): summary["Id"] for s in listed.values() for summary in s
    }
    found = [(policy, ids.get((policy.type, policy.name))) for policy in policies]
    details = {
        policy.name: (
            reader.submit(organizations.describe_policy, PolicyId=policy_id),
            reader.submit(
                _pages, organizations, "list_targets_for_policy", "Targets", PolicyId=policy_id
            ),
        )
        for policy, policy_id in found
        if policy_id is not None
    }
    targets = [ROOT if config.core is None else None, *(key for key, *_ in config.walk_units())]
    attached = {
        (key, kind): reader.submit(
            _pages,
            organizations,
            "list_policies_for_target",
            "Policies",
            TargetId=organization.scope if key == ROOT else organization.unit_ids[key],
            Filter=kind,
        )
        for key in targets
        if key is not None and (key == ROOT or organization.unit_ids.get(key))
        for kind in types
    }
    results = []
    for policy, policy_id in found:
        results.extend(_policy_results(organization, policy, policy_id, details.get(policy.name)))
    ours = {policy.name for policy in policies}
    for (key, kind), future in attached.items():
        results.append(_foreign(organization, key, kind, future, ours))
    return results


def _policy_results(
    organization: Organization,
    policy: OrganizationPolicy,
    policy_id: str | None,
    details: tuple[Future[Any], Future[list[dict[str, Any]]]] | None,
) -> list[Result]:
    kind = policy.type.replace("_", " ").lower()
    where = _label(organization, policy.target)
    statements = len(json.loads(policy.content).get("Statement", []))
    described = f"{kind}, {len(policy.content)} characters" + (
        f", {statements} statements" if statements else ""
    )
    if policy_id is None or details is None:
        return [Result("policy", policy.name, "drift", described, "no policy of this name")]
    content_future, targets_future = details
    try:
        content = content_future.result()["Policy"]["Content"]
        difference = content_difference(policy.content, content, policy.type)
        result = Result(
            "policy",
            policy.name,
            "drift" if difference else "ok",
            described,
            f"{policy_id}: {difference or 'same content'}",
        )
    except ERRORS as error:
        result = Result("policy", policy.name, "cannot_check", described, _error(error))
    wanted = (
        organization.scope if policy.target == ROOT else organization.unit_ids.get(policy.target)
    )
    try:
        targets = targets_future.result()
    except ERRORS as error:
        return [result, Result("attachment", policy.name, "cannot_check", where, _error(error))]
    actual = ", ".join(f"{t.get('Name', '')} ({t['TargetId']})" for t in targets) or "nothing"
    if wanted is None:
        attachment = Result(
            "attachment", policy.name, "cannot_check", where, f"attached to {actual}"
        )
    else:
        ok = {t["TargetId"] for t in targets} == {wanted}
        attachment = Result(
            "attachment", policy.name, "ok" if ok else "drift", where, f"attached to {actual}"
        )
    return [result, attachment]


def _foreign(
    organization: Organization,
    key: str,
    kind: str,
    future: Future[list[dict[str, Any]]],
    ours: set[str],
) -> Result:
    item = f"{kind} on {_label(organization, key)}"
    full_access = expected.FULL_ACCESS.get(kind)
    wanted = (f"{full_access} and " if full_access else "") + "the landing zone's own only"
    try:
        attached = future.result()
    except ERRORS as error:
        return Result("foreign-policies", item, "cannot_check", wanted, _error(error))
    names = {p["Name"] for p in attached}
    foreign = sorted(
        f"{p['Name']} ({p['Id']})" for p in attached if p["Name"] not in ours | {full_access}
    )
    problems = [f"not ours: {', '.join(foreign)}"] if foreign else []
    # Without FullAWSAccess on a target, everything below it is denied.
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
    if full_access and full_access not in names:
        problems.append(f"{full_access} is not attached")
    return Result(
        "foreign-policies",
        item,
        "drift" if problems else "ok",
        wanted,
        "; ".join(problems) or f"{len(attached)} attached, all expected",
    )


# ---- organization features and delegated administrators ------------------------------------


def check_features(config: LandingZoneConfig, reader: Reader) -> list[Result]:
    """Each configured policy type is enabled on the root; each trusted service has access."""
    if config.business_unit:
        return []
    organizations = reader.client("organizations", global_region(config))
    features = config.organization_features
    results = []
    try:
        roots = _pages(organizations, "list_roots", "Roots")
        root = next(r for r in roots if r["Id"] == config.organization.root_id)
        enabled = {t["Type"]: t["Status"] for t in root.get("PolicyTypes", [])}
        for kind in features.policy_types:
            status = enabled.get(kind, "not enabled")
            results.append(
                Result(
                    "policy-type",
                    kind,
                    "ok" if status == "ENABLED" else "drift",
                    f"ENABLED on {root['Id']}",
                    status,
                )
            )
    except (*ERRORS, StopIteration) as error:
        results += [
            Result("policy-type", kind, "cannot_check", "ENABLED", _error(error))
            for kind in features.policy_types
        ]
    try:
        access = {
            s["ServicePrincipal"]
            for s in _pages(
                organizations,
                "list_aws_service_access_for_organization",
                "EnabledServicePrincipals",
            )
        }
        results += [
            Result(
                "trusted-access",
                principal,
                "ok" if principal in access else "drift",
                "enabled",
                "enabled" if principal in access else "not enabled",
            )
            for principal in features.trusted_services
        ]
    except ERRORS as error:
        results += [
            Result("trusted-access", principal, "cannot_check", "enabled", _error(error))
            for principal in features.trusted_services
        ]
    return results


def _securityhub_admins(client: Any) -> list[str]:
    """Security Hub's enabled administrator accounts (read by the management account).

    See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_ListOrganizationAdminAccounts.html
    """
    return [
        admin["AccountId"]
        for admin in _pages(client, "list_organization_admin_accounts", "AdminAccounts")
        if admin.get("Status") == "ENABLED"
    ]


def _detective_admins(client: Any) -> list[str]:
    """Detective's administrator accounts (read by the management account).

    See: https://docs.aws.amazon.com/detective/latest/APIReference/API_ListOrganizationAdminAccounts.html
    """
    return [
        admin["AccountId"]
        for admin in _pages(client, "list_organization_admin_accounts", "Administrators")
    ]


#: Service key -> (boto3 service, reader of the administrator in one region).
ADMIN_READERS: dict[str, tuple[str, Callable[[Any], list[str]]]] = {
    "guardduty": ("guardduty", guardduty_admins),
    "security_hub": ("securityhub", _securityhub_admins),
    "inspector": ("inspector2", inspector_admins),
    "macie": ("macie2", macie_admins),
    "detective": ("detective", _detective_admins),
}

#: Service key -> what reads its organization configuration. Only the
#: delegated administrator can: the management account gets an access error.
#: See: https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DescribeOrganizationConfiguration.html
#: See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_DescribeOrganizationConfiguration.html
#: See: https://docs.aws.amazon.com/inspector/v2/APIReference/API_DescribeOrganizationConfiguration.html
#: See: https://docs.aws.amazon.com/macie/latest/APIReference/admin-configuration.html
#: See: https://docs.aws.amazon.com/detective/latest/APIReference/API_DescribeOrganizationConfiguration.html
ORGANIZATION_CONFIGURATION_CALLS = {
    "guardduty": "guardduty list-detectors, then describe-organization-configuration "
    "--detector-id <id>",
    "security_hub": "securityhub describe-organization-configuration and "
    "list-configuration-policy-associations",
    "inspector": "inspector2 describe-organization-configuration",
    "macie": "macie2 describe-organization-configuration",
    "detective": "detective list-graphs, then describe-organization-configuration "
    "--graph-arn <arn>",
}


def check_delegated_administrators(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """The audit account administers each enabled detection service: in Organizations, and
    in each governed region as the service itself reports it."""
    services = expected.delegated_services(config)
    if not services:
        return []
    audit = organization.account_ids.get("audit")
    organizations = reader.client("organizations", global_region(config))
    wanted = f"the audit account {audit or '(not found)'}"
    registered = {
        service.key: reader.submit(
            _pages,
            organizations,
            "list_delegated_administrators",
            "DelegatedAdministrators",
            ServicePrincipal=expected.registration_principal(service),
        )
        for service in services
    }
    regional = {
        (service.key, region): reader.submit(
            ADMIN_READERS[service.key][1],
            reader.client(ADMIN_READERS[service.key][0], region),
        )
        for service in services
        if service.delegation is not None
        and service.delegation.scope == "regional"
        and service.key in ADMIN_READERS
        for region in config.baseline_region_order
    }
    results = []
    for service in services:
        principal = expected.registration_principal(service)
        results.append(
            _admin_result(
                f"{principal} (Organizations)",
                registered[service.key],
                audit,
                wanted,
                lambda listed: [a["Id"] for a in listed],
            )
        )
        for region in config.baseline_region_order:
            future = regional.get((service.key, region))
            if future is not None:
                results.append(
                    _admin_result(f"{service.name} in {region}", future, audit, wanted, list)
                )
    results += _organization_configurations(config, services, audit)
    return results


def _admin_result(
    item: str,
    future: Future[Any],
    audit: str | None,
    wanted: str,
    ids: Callable[[Any], list[str]],
) -> Result:
    try:
        admins = ids(future.result())
    except ERRORS as error:
        return Result("delegated-admin", item, "cannot_check", wanted, _error(error))
    actual = ", ".join(admins) or "none"
    if audit is None:
        return Result("delegated-admin", item, "cannot_check", wanted, actual)
    return Result("delegated-admin", item, "ok" if admins == [audit] else "drift", wanted, actual)


def _organization_configurations(
    config: LandingZoneConfig, services: Sequence[DetectionService], audit: str | None
) -> list[Result]:
    """What only the audit account can read: "cannot check", with who and what can."""
    settings = {item.service: item.properties for item in auto_enable(config.detection)}
    role = expected.investigation_role(config)
    account = audit or "<audit account id>"
    who = (
        f"assume arn:{config.partition}:iam::{account}:role/{role} from a principal of the "
        f"audit account (it trusts that account only, not the management account)"
        if role is not None
        else "use a role of the audit account allowed to read it"
    )
    results = []
    for service in services:
        call = ORGANIZATION_CONFIGURATION_CALLS.get(service.key)
        if call is None:
            continue
        handler = service.organization_handler
        properties = settings.get(handler.service, {}) if handler is not None else {}
        if service.key == "security_hub":
            wanted = "central configuration: " + ", ".join(config.detection.security_hub.policies)
        else:
            wanted = "auto-enable every account" + (
                f" {json.dumps(properties, sort_keys=True)}" if properties else ""
            )
        results.append(
            Result(
                "detection",
                f"{service.name} organization configuration",
                "cannot_check",
                wanted,
                f"only the delegated administrator (audit account {account}) can read it: {who}, "
                f"then `aws {call}` in each governed region",
            )
        )
    return results


# ---- StackSets -----------------------------------------------------------------------------

#: A stack instance is fine when it is CURRENT and its last operation SUCCEEDED.
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceComprehensiveStatus.html
GOOD_INSTANCE = ("CURRENT", "SUCCEEDED")


def check_stack_sets(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """Each StackSet of the app exists, with a CURRENT, SUCCEEDED instance per account and region.

    Service-managed StackSets live in the management account and are read
    there with CallAs=SELF.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackInstances.html
    """
    cloudformation = reader.client("cloudformation", config.regions.home)
    sets = expected.stack_sets(config)
    reads = {
        stack_set.name: (
            reader.submit(
                cloudformation.describe_stack_set, StackSetName=stack_set.name, CallAs="SELF"
            ),
            reader.submit(
                _pages,
                cloudformation,
                "list_stack_instances",
                "Summaries",
                StackSetName=stack_set.name,
                CallAs="SELF",
            ),
        )
        for stack_set in sets
    }
    results = []
    for stack_set in sets:
        described, listed = reads[stack_set.name]
        accounts, unknown = _instance_accounts(config, organization, stack_set)
        pairs = {(a, r) for a in accounts for r in stack_set.regions}
        wanted = f"ACTIVE, {len(accounts)} account(s) x {len(stack_set.regions)} region(s) CURRENT"
        try:
            description = described.result()["StackSet"]
            instances = listed.result()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "StackSetNotFoundException":
                results.append(Result("stack-set", stack_set.name, "drift", wanted, "not found"))
            else:
                results.append(
                    Result("stack-set", stack_set.name, "cannot_check", wanted, _error(error))
                )
            continue
        except BotoCoreError as error:
            results.append(
                Result("stack-set", stack_set.name, "cannot_check", wanted, _error(error))
            )
            continue
        inactive = {a.id for a in organization.accounts.values() if a.state != "ACTIVE"}
        bad = []
        seen = set()
        for instance in instances:
            pair = (instance.get("Account", ""), instance.get("Region", ""))
            seen.add(pair)
            if pair[0] in inactive:
                continue
            # Where none is expected (an account left outside the targets, an
            # excluded one, a region no longer governed): only when every
            # target was found, else the expected accounts are not all known.
            unexpected = pair not in pairs and not unknown
            problem = _instance_problem(instance, unexpected=unexpected)
            if problem is not None:
                bad.append(
                    Result(
                        "stack-instance",
                        f"{stack_set.name} {pair[0]} {pair[1]}",
                        "drift",
                        "no stack instance" if unexpected else "CURRENT, SUCCEEDED",
                        problem,
                    )
                )
        missing = sorted(pairs - seen)
        bad += [
            Result(
                "stack-instance",
                f"{stack_set.name} {account} {region}",
                "drift",
                "CURRENT, SUCCEEDED",
                "no stack instance",
            )
            for account, region in missing
        ]
        good = len(instances) - sum(1 for r in bad if r.actual != "no stack instance")
        status = description.get("Status")
        # A StackSet on OUs deploys to accounts joining them only while
        # automatic deployment is on (the stacks turn it on for those alone).
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
        automatic = bool(description.get("AutoDeployment", {}).get("Enabled"))
        off = stack_set.reach == "targets" and not automatic
        summary = (
            f"{status}, {good} of {len(instances)} instance(s) CURRENT"
            + (f", {len(missing)} missing" if missing else "")
            + ("; automatic deployment OFF (accounts joining its OUs get nothing)" if off else "")
        )
        results.append(
            Result(
                "stack-set",
                stack_set.name,
                "ok" if status == "ACTIVE" and not bad and not off else "drift",
                wanted + (", automatic deployment on" if stack_set.reach == "targets" else ""),
                summary,
            )
        )
        results += bad
        results += [
            Result(
                "stack-set",
                f"{stack_set.name} reach",
                "cannot_check",
                f"instances in {what}",
                "not found in the organization (see its row)",
            )
            for what in unknown
        ]
    return results


def _instance_problem(instance: Mapping[str, Any], *, unexpected: bool) -> str | None:
    """What is wrong with one stack instance (None: nothing).

    A CURRENT, SUCCEEDED instance whose last drift detection found its
    resources changed (DriftStatus DRIFTED) is drift too: verify starts no
    drift detection (a write), but reports what the last one found.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceSummary.html
    """
    detailed = instance.get("StackInstanceStatus", {}).get("DetailedStatus", "")
    reason = instance.get("StatusReason")
    state = f"{instance.get('Status')}, {detailed or '-'}" + (f": {reason}" if reason else "")
    if unexpected:
        return f"{state}; not expected here (not under the targets, excluded, or not governed)"
    if (instance.get("Status"), detailed) != GOOD_INSTANCE:
        return state
    if instance.get("DriftStatus") == "DRIFTED":
        checked = instance.get("LastDriftCheckTimestamp")
        return f"{state}; DRIFTED (drift detection of {checked or 'an unknown time'})"
    return None


def _instance_accounts(
    config: LandingZoneConfig, organization: Organization, stack_set: expected.ExpectedStackSet
) -> tuple[set[str], list[str]]:
    """The active accounts the StackSet must reach, and the targets that could not be found."""
    management = config.organization.management_account_id
    if stack_set.reach == "account":
        account = stack_set.account
        live = organization.account_ids.get(account) if not account.isdigit() else account
        return ({live}, []) if live else (set(), [f"account {account}"])
    accounts: set[str] = set()
    unknown = []
    for target in stack_set.targets:
        unit = organization.scope if target == ROOT else organization.unit_ids.get(target)
        if unit is None:
            unknown.append(f"OU {target}")
            continue
        accounts.update(a.id for a in organization.accounts_below(unit) if a.state == "ACTIVE")
    excluded = {
        entry if entry.isdigit() else organization.account_ids.get(entry) or ""
        for entry in stack_set.excluded
    }
    return accounts - excluded - {management}, unknown


# ---- the organization trail ----------------------------------------------------------------


def check_trail(
    config: LandingZoneConfig, organization: Organization, reader: Reader
) -> list[Result]:
    """The organization trail is as the trail stack made it, logs every management event, is
    logging, and delivers.

    See: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Trail.html
    See: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html
    See: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html
    """
    log_archive = organization.account_ids.get("log-archive")
    wanted = expected.trail(config, log_archive=log_archive)
    if wanted is None:
        return []
    name = wanted.name
    cloudtrail = reader.client("cloudtrail", config.regions.home)
    trail_future = reader.submit(cloudtrail.get_trail, Name=name)
    status_future = reader.submit(cloudtrail.get_trail_status, Name=name)
    selectors_future = reader.submit(cloudtrail.get_event_selectors, TrailName=name)
    described = (
        "an organization trail, multi-region, global service events, log file validation, "
        f"KMS-encrypted, into {wanted.bucket or 'the log archive (account not found)'}, "
        "CloudWatch Logs"
    )
    try:
        trail = trail_future.result()["Trail"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status: Any = "drift" if code == "TrailNotFoundException" else "cannot_check"
        return [Result("trail", name, status, described, _error(error))]
    except BotoCoreError as error:
        return [Result("trail", name, "cannot_check", described, _error(error))]
    problems = _trail_problems(trail, wanted, log_archive)
    results = [
        Result(
            "trail",
            name,
            "drift" if problems else "ok",
            described,
            "; ".join(problems) or "as synthesized",
        ),
        _events_result(name, selectors_future),
    ]
    try:
        trail_status = status_future.result()
    except ERRORS as error:
        return [
            *results,
            Result("trail", f"{name} logging", "cannot_check", "logging", _error(error)),
        ]
    logging = bool(trail_status.get("IsLogging"))
    results.append(
        Result(
            "trail",
            f"{name} logging",
            "ok" if logging else "drift",
            "logging",
            "logging" if logging else "stopped",
        )
    )
    delivery = trail_status.get("LatestDeliveryError")
    results.append(
        Result(
            "trail",
            f"{name} delivery",
            "drift" if delivery else "ok",
            "no delivery error",
            f"LatestDeliveryError: {delivery}" if delivery else "no delivery error",
        )
    )
    return results


def _trail_problems(
    trail: Mapping[str, Any], wanted: expected.ExpectedTrail, log_archive: str | None
) -> list[str]:
    """What differs from the trail stack's CloudTrail::Trail (GetTrail's fields)."""
    flags = {
        "IsOrganizationTrail": "NOT an organization trail",
        "IsMultiRegionTrail": "NOT multi-region",
        "IncludeGlobalServiceEvents": "global service events NOT included",
        "LogFileValidationEnabled": "log file validation OFF",
    }
    problems = [problem for field, problem in flags.items() if not trail.get(field)]
    bucket = trail.get("S3BucketName")
    if wanted.bucket is not None and bucket != wanted.bucket:
        problems.append(f"delivers into {bucket}, not {wanted.bucket}")
    # GetTrail names the key by its key ARN (the stack gave the alias ARN):
    # only its account can be compared from here.
    key = trail.get("KmsKeyId")
    if not key:
        problems.append("NOT KMS-encrypted")
    elif log_archive is not None and f":{log_archive}:" not in key:
        problems.append(f"encrypted with {key}, not a key of the log archive {log_archive}")
    group = str(trail.get("CloudWatchLogsLogGroupArn") or "")
    # The log group's Arn attribute ends in ":*"; compare the group itself.
    if group.removesuffix(":*") != wanted.log_group_arn:
        problems.append(
            f"CloudWatch Logs {group or 'none'}, not {wanted.log_group_arn} "
            "(the CIS alarms read it)"
        )
    return problems


def _events_result(name: str, future: Future[Any]) -> Result:
    """Every management event, read and write, logged: the stack's advanced selector, or the
    basic selector's equivalent (ReadWriteType All, management events, none excluded)."""
    wanted = "every management event, read and write"
    try:
        selectors = future.result()
    except ERRORS as error:
        return Result("trail", f"{name} events", "cannot_check", wanted, _error(error))
    advanced = selectors.get("AdvancedEventSelectors") or []
    basic = selectors.get("EventSelectors") or []
    logged = any(
        [dict(field) for field in selector.get("FieldSelectors", [])]
        == list(expected.MANAGEMENT_EVENTS)
        for selector in advanced
    ) or any(
        selector.get("ReadWriteType") == "All"
        and selector.get("IncludeManagementEvents")
        and not selector.get("ExcludeManagementEventSources")
        for selector in basic
    )
    actual = json.dumps(
        {"AdvancedEventSelectors": advanced} if advanced else {"EventSelectors": basic}
    )
    return Result("trail", f"{name} events", "ok" if logged else "drift", wanted, actual)


# ---- all of it -----------------------------------------------------------------------------


def verify(config: LandingZoneConfig, reader: Reader) -> list[Result]:
    """Every check, in report order. Raises CannotRun when the organization cannot be read."""
    policies = expected.policies(config)
    organization = read_organization(config, reader)
    results = check_units(config, organization, reader)
    results += check_accounts(config, organization, reader)
    checks: list[Callable[[], list[Result]]] = [
        lambda: check_unmanaged(config, organization, reader),
        lambda: check_policies(config, organization, reader, policies),
        lambda: check_features(config, reader),
        lambda: check_delegated_administrators(config, organization, reader),
        lambda: check_stack_sets(config, organization, reader),
        lambda: check_trail(config, organization, reader),
    ]
    # Coordinators only wait on the reader's calls: no thread waits for its own pool.
    with ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="check") as pool:
        for found in pool.map(lambda check: check(), checks):
            results += found
    return results


def counts(results: Iterable[Result]) -> Mapping[str, int]:
    """Results per status, every status present."""
    totals = {"ok": 0, "drift": 0, "cannot_check": 0}
    for result in results:
        totals[result.status] += 1
    return totals
