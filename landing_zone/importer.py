"""``make import OUT=config/<name>.yaml``: a config that adopts an organization as it is.

``python -m landing_zone.importer --out PATH [--prefix P] [--home-region R]
[--governed R,R] [--log-archive ID] [--audit ID] [--force]`` reads the live
organization (read-only, management-account credentials) and writes a
config that adopts it:

- the OU tree, each OU keyed by its name (lowercase, every run of other
  characters a dash); where two OUs anywhere would share a key, a nested one
  takes its parent's key as a prefix (``workloads-prod``), and a number
  after that if it must;
- every active account in an OU, adopted by id with its name as it is (its
  email in a comment: an adopted account is named by id alone); accounts
  at the root or not ACTIVE are listed in comments, left out;
- the log-archive and audit accounts, when one account clearly is each
  (named like one, e.g. Control Tower's "Log Archive" and "Audit"; for audit
  also the one account that administers the security services), else the
  ``--log-archive`` and ``--audit`` flags say which;
- the SCPs and RCPs already attached, as comments beside the guardrails
  (name, id, size, targets), and quotas that reserve the slots they take;
- trusted access, delegated administrators and the management account's
  AWS Config recorders as they are, as comments, and in the config where it
  has a setting (trusted services, the audit account).
- the baseline on the root, S3 Block Public Access off (on, the first
  deploy would override every public bucket in every account at once), and
  above it and the guardrails what they change in every account.

The file is written only once it loads back and validates (the text
itself, through ``load_config``), to a temporary file renamed over the
target: nothing half-written, and an existing file only with ``--force``.
Exit 0 written, 2 not (with why on stderr).

The first deploy of such a config would try to create OUs that exist;
``make adopt-ous`` (``landing_zone.ou_adoption``) imports them into the
stack first, and ``make deploy`` refuses until then
(``landing_zone.brownfield.unadopted_units``). docs/operations.md says how.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, get_args

import yaml

from landing_zone.brownfield import (
    LivePolicy,
    control_tower,
    delegated_administrators,
    read_policies,
    trusted_services,
)
from landing_zone.config import (
    DEFAULT_POLICY_TYPES,
    DEFAULT_TRUSTED_SERVICES,
    TRUSTED_SERVICES,
    ConfigError,
    LandingZoneConfig,
    load_config_and_warnings,
)
from landing_zone.config.guardrails import RCP_MAX_PER_TARGET, SCP_MAX_PER_TARGET
from landing_zone.config.organization import PolicyType
from landing_zone.config.types import partition_of
from landing_zone.detection_services import SERVICES
from landing_zone.guardrails.packer import FULL_ACCESS_POLICY, POLICY_TYPE, GuardrailBudgetError
from landing_zone.naming import pascal, resource_name
from landing_zone.preflight import customer_recorders, default_session, organizations_region
from landing_zone.verify import expected
from landing_zone.verify.checks import ERRORS, Account, Organization, _error, walk_organization
from landing_zone.verify.model import CannotRun
from landing_zone.verify.reads import Reader

#: Config keys: lowercase kebab-case from a letter, at most 40 characters
#: (landing_zone.config.types.Key).
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
KEY_MAX = 40
#: Account names of the config: printable ASCII, at most 50 (AccountConfig.name).
NAME_MAX = 50
DEFAULT_PREFIX = "LandingZone"
#: Principals of the services whose administrator the audit account becomes.
SECURITY_PRINCIPALS = tuple(
    dict.fromkeys(
        expected.registration_principal(service)
        for service in SERVICES
        if service.delegation is not None
    )
)
#: Control Tower's role in the accounts it enrolls, through which it deploys its
#: baselines and controls; the guardrails must not stop it.
#: See: https://docs.aws.amazon.com/controltower/latest/userguide/account-factory-considerations.html
CONTROL_TOWER_ROLE = "AWSControlTowerExecution"


class CannotImport(Exception):
    """Nothing was written: why, and what to do."""


# ---- what the organization holds ---------------------------------------------------------------


@dataclass
class Live:
    """The organization as the management account reads it."""

    organization_id: str
    management_account_id: str
    feature_set: str
    root_id: str
    enabled_policy_types: tuple[str, ...]
    tree: Organization
    policies: list[LivePolicy]
    trusted: list[str]
    #: Service principal -> delegated administrator account ids.
    delegated: dict[str, list[str]]
    #: Region -> the management account's customer-managed recorders, or why unread.
    recorders: dict[str, list[str] | str] = field(default_factory=dict)
    #: What could not be read, and why (written as notes: the config is built without it).
    unread: list[str] = field(default_factory=list)
    unread_trusted: bool = False
    unread_delegated: bool = False


def read_live(session: Any, *, home: str, governed: Sequence[str]) -> Live:
    """Every read the import makes, in parallel where they do not depend on each other."""
    reader = Reader(session)
    try:
        organizations = reader.client(
            "organizations", organizations_region(partition_of(home), home)
        )
        caller = reader.submit(reader.client("sts", home).get_caller_identity)
        described = reader.submit(organizations.describe_organization)
        roots = reader.submit(organizations.list_roots)
        try:
            organization = described.result()["Organization"]
            root = roots.result()["Roots"][0]
            account = caller.result()["Account"]
        except ERRORS as error:
            raise CannotImport(
                f"cannot read AWS Organizations ({_error(error)}); use credentials of the "
                "organization's management account"
            ) from error
        if account != organization["MasterAccountId"]:
            raise CannotImport(
                f"credentials are for account {account}, not the management account "
                f"{organization['MasterAccountId']} of {organization['Id']}; switch profile "
                "(AWS_PROFILE)"
            )
        recorders = {
            region: reader.submit(reader.client("config", region).describe_configuration_recorders)
            for region in governed
        }
        try:
            tree = walk_organization(reader, organizations, root["Id"])
        except CannotRun as error:
            raise CannotImport(str(error)) from error
        live = Live(
            organization_id=organization["Id"],
            management_account_id=organization["MasterAccountId"],
            feature_set=organization.get("FeatureSet", ""),
            root_id=root["Id"],
            enabled_policy_types=tuple(
                t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"
            ),
            tree=tree,
            policies=[],
            trusted=[],
            delegated={},
        )
        # What the config only describes (comments) or can do without: an organization
        # without all features, or credentials denied one of these, still imports, saying so.
        for kind in POLICY_TYPE.values():
            try:
                live.policies += read_policies(reader, organizations, kind)
            except ERRORS as error:
                live.unread.append(f"the {kind} policies ({_error(error)})")
        try:
            live.trusted = trusted_services(reader, organizations)
        except ERRORS as error:
            live.unread_trusted = True
            live.unread.append(f"trusted access ({_error(error)})")
        try:
            live.delegated = delegated_administrators(reader, organizations)
        except ERRORS as error:
            live.unread_delegated = True
            live.unread.append(f"the delegated administrators ({_error(error)})")
        for region, future in recorders.items():
            try:
                live.recorders[region] = customer_recorders(
                    future.result().get("ConfigurationRecorders", [])
                )
            except ERRORS as error:
                live.recorders[region] = _error(error)
        return live
    finally:
        reader.close()


# ---- keys ----------------------------------------------------------------------------------------


def slug(name: str) -> str:
    """``Workloads (Prod)`` -> ``workloads-prod``: lowercase, every other run a dash."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def fit(text: str, *, kind: str) -> str:
    """``text`` made a valid key: starting with a letter (else ``<kind>-``), at most 40."""
    if not text[:1].isalpha():
        text = f"{kind}-{text}".strip("-")
    return text[:KEY_MAX].rstrip("-")


class Keys:
    """Keys handed out so far: unique, and unique as CloudFormation logical ids too.

    ``pascal(key)`` names the construct: ``team-1`` and ``team1`` would both
    be ``Team1`` (landing_zone.config.types.id_clashes).
    """

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._keys: set[str] = set()
        self._ids: set[str] = set()
        for key in reserved:
            self._take(key)

    def _take(self, key: str) -> str:
        self._keys.add(key)
        self._ids.add(pascal(key))
        return key

    def free(self, key: str) -> bool:
        return (
            KEY_PATTERN.fullmatch(key) is not None
            and len(key) <= KEY_MAX
            and key not in self._keys
            and pascal(key) not in self._ids
        )

    def first_free(self, candidates: Iterable[str], *, kind: str) -> str:
        for candidate in candidates:
            key = fit(candidate, kind=kind)
            if self.free(key):
                return self._take(key)
        raise AssertionError("the numbered candidates never run out")  # pragma: no cover


def _suffixed(base: str, suffix: str) -> str:
    """``base-suffix`` within the 40 characters of a key: ``base`` gives way, never the
    suffix (cut after it, the suffix of a 40-character base would be lost, and every
    candidate would be the base again)."""
    return f"{base[: KEY_MAX - len(suffix) - 1].rstrip('-')}-{suffix}"


def _numbered(base: str) -> Iterator[str]:
    """``base-2``, ``base-3``, ...: all different, each a valid key if ``base`` is one."""
    n = 2
    while True:
        yield _suffixed(base, str(n))
        n += 1


def unit_keys(tree: Organization, keys: Keys) -> dict[str, str]:
    """OU id -> key, parents first, siblings by name.

    A name whose key another OU anywhere would take too gets its parent's
    key as a prefix (top-level OUs have none), then a number if need be.
    """
    base = {unit.id: fit(slug(unit.name), kind="ou") for unit in tree.units.values()}
    shared = {key for key, count in Counter(base.values()).items() if count > 1}
    found: dict[str, str] = {}
    level = [tree.scope]
    while level:
        children = sorted(
            (unit for parent in level for unit in tree.children(parent)),
            key=lambda unit: (tree.path(unit.parent), unit.name.lower(), unit.id),
        )
        for unit in children:
            own = base[unit.id]
            prefixed = f"{found[unit.parent]}-{own}" if unit.parent in found else None
            candidates = [prefixed] if prefixed and own in shared else []
            candidates += [own, *([prefixed] if prefixed else [])]
            found[unit.id] = keys.first_free(
                chain(candidates, _numbered(prefixed or own)), kind="ou"
            )
        level = [unit.id for unit in children]
    return found


# ---- choosing the core accounts --------------------------------------------------------------


def _flat(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _looks_like(role: str, account: Account) -> bool:
    flat = _flat(account.name)
    if role == "log-archive":
        return "log" in flat and "archive" in flat
    return "audit" in flat


def choose_core_account(
    role: str,
    *,
    given: str | None,
    candidates: Sequence[Account],
    administrator: str | None,
    flag: str,
) -> str:
    """The account id for ``role`` (``log-archive``, ``audit``), or why it cannot be told."""
    by_id = {a.id: a for a in candidates}
    if given is not None:
        if given not in by_id:
            raise CannotImport(
                f"{flag} {given} is not an active member account of the organization, or is "
                "the other core account (the management account cannot be either)"
            )
        return given
    named = [a for a in candidates if _looks_like(role, a)]
    admin = by_id.get(administrator or "")
    if admin is not None and (not named or admin in named):
        return admin.id
    if admin is None and len(named) == 1:
        return named[0].id
    what = "log archive" if role == "log-archive" else "audit (security tooling)"
    found = ", ".join(f"{a.id} ({a.name})" for a in named)
    if admin is not None:
        hint = (
            f"{admin.id} ({admin.name}) administers the security services, but "
            f"{found} {'is' if len(named) == 1 else 'are'} named like one"
        )
    elif named:
        hint = f"{len(named)} accounts are named like one: {found}"
    else:
        hint = "no account is named like one" + (
            " or administers the security services" if role == "audit" else ""
        )
    raise CannotImport(
        f"cannot tell which account is the {what} account: {hint}. Rerun with {flag} <account "
        "id>"
        + (
            " (it becomes the delegated administrator of the detection services)"
            if role == "audit"
            else " (it receives every account's logs)"
        )
    )


def security_administrator(delegated: Mapping[str, Sequence[str]]) -> str | None:
    """The one account that administers every security service with an administrator."""
    admins = {a for principal in SECURITY_PRINCIPALS for a in delegated.get(principal, ())}
    return next(iter(admins)) if len(admins) == 1 else None


# ---- the config, as data and as commented YAML ------------------------------------------------


@dataclass(frozen=True)
class Options:
    prefix: str = DEFAULT_PREFIX
    home: str = "us-east-1"
    governed: tuple[str, ...] = ()
    log_archive: str | None = None
    audit: str | None = None


@dataclass
class Imported:
    """The config to write: its data, the comments beside it, and what was left out."""

    data: dict[str, Any]
    #: Key path (as in a Location) -> comment at the end of that line.
    trailing: dict[tuple[str | int, ...], str]
    #: Section -> comment lines above it.
    above: dict[str, list[str]]
    left_out: list[str]
    notes: list[str]


def build(live: Live, options: Options) -> Imported:
    """The config data for ``live`` (no AWS calls)."""
    tree = live.tree
    governed = tuple(dict.fromkeys((options.home, *options.governed)))
    partition = partition_of(options.home)
    keys = Keys(reserved=("root", "log-archive", "audit"))
    units = unit_keys(tree, keys)
    trailing: dict[tuple[str | int, ...], str] = {}
    above: dict[str, list[str]] = {}
    notes: list[str] = []

    def nest(parent: str, location: tuple[str, ...]) -> dict[str, Any]:
        nested: dict[str, Any] = {}
        for unit in sorted(tree.children(parent), key=lambda u: (u.name.lower(), u.id)):
            key = units[unit.id]
            order[unit.id] = len(order)
            trailing[(*location, key)] = unit.id
            entry: dict[str, Any] = {"name": unit.name}
            children = nest(unit.id, (*location, key, "children"))
            if children:
                entry["children"] = children
            nested[key] = entry
        return nested

    #: OU id -> its place in the file (depth first), which orders the accounts too.
    order: dict[str, int] = {}
    organizational_units = nest(tree.scope, ("organizational_units",))

    members = [a for a in tree.accounts.values() if a.id != live.management_account_id]
    placed = [a for a in members if a.state == "ACTIVE" and a.parent in units]
    left_out = [
        f"{a.id} {json.dumps(a.name)} <{a.email}>: "
        + (f"{a.state}, not ACTIVE" if a.state != "ACTIVE" else "in the root, not in an OU")
        for a in sorted(members, key=lambda a: a.name.lower())
        if a not in placed
    ]
    administrator = security_administrator(live.delegated)
    core: dict[str, str] = {}
    for role, given, flag in (
        ("log-archive", options.log_archive, "--log-archive"),
        ("audit", options.audit, "--audit"),
    ):
        core[role] = choose_core_account(
            role,
            given=given,
            candidates=[a for a in members if a.state == "ACTIVE" and a.id not in core.values()],
            administrator=administrator if role == "audit" else None,
            flag=flag,
        )
    for role, account_id in core.items():
        account = tree.accounts[account_id]
        if account.parent not in units:
            raise CannotImport(
                f"the {role} account {account_id} ({account.name}) sits in the root: the config "
                "places every account in an OU. Move it into one first (aws organizations "
                f"move-account --account-id {account_id} --source-parent-id {live.root_id} "
                "--destination-parent-id <ou id>) and import again"
            )

    names: dict[str, str] = {}

    def account_entry(account: Account, location: tuple[str, ...]) -> dict[str, Any]:
        name = account.name
        folded = name.casefold()
        if folded in names:
            # Names are unique in a config; an adopted account is never renamed.
            name = f"{name[: NAME_MAX - 15]} ({account.id})"
            trailing[(*location, "name")] = (
                f"named {json.dumps(account.name)} in AWS, like {names[folded]}"
            )
        names[name.casefold()] = ".".join(location)
        trailing[(*location, "account_id")] = f"email: {account.email}"
        return {"name": name, "account_id": account.id, "ou": units[str(account.parent)]}

    core_accounts = {
        "log_archive": account_entry(
            tree.accounts[core["log-archive"]], ("core_accounts", "log_archive")
        ),
        "audit": account_entry(tree.accounts[core["audit"]], ("core_accounts", "audit")),
    }
    workloads: dict[str, Any] = {}
    for account in sorted(
        (a for a in placed if a.id not in core.values()),
        key=lambda a: (order[str(a.parent)], a.name.lower(), a.id),
    ):
        base = fit(slug(account.name), kind="account")
        key = keys.first_free(
            chain((base, _suffixed(base, account.id[-4:])), _numbered(base)), kind="account"
        )
        workloads[key] = account_entry(account, ("workload_accounts", key))

    tower = control_tower(live.trusted, [p for p in live.policies if p.type == POLICY_TYPE["scp"]])
    role_name = "OrganizationAccountAccessRole"
    principals: dict[str, Any] = {
        "organization-access": {
            "arn": f"arn:{partition}:iam::*:role/{role_name}",
            "reason": "Role Organizations creates for management-account administrators",
            "every_account": True,
        }
    }
    if tower.present:
        principals["control-tower-execution"] = {
            "arn": f"arn:{partition}:iam::*:role/{CONTROL_TOWER_ROLE}",
            "reason": "Control Tower deploys its baselines and controls with it",
            "every_account": True,
        }
        notes.append(
            f"Control Tower runs here ({', '.join(tower.signals)}): its role is a privileged "
            "principal, and accounts it enrolled record with its own AWS Config recorder "
            "(make deploy ARGS=--deep names them)"
        )

    known_types = set(get_args(PolicyType))
    policy_types = list(
        dict.fromkeys(
            [*DEFAULT_POLICY_TYPES, *(t for t in live.enabled_policy_types if t in known_types)]
        )
    )
    trusted = sorted(
        {*DEFAULT_TRUSTED_SERVICES, *(p for p in live.trusted if p in TRUSTED_SERVICES)}
    )
    unmanaged = [p for p in live.trusted if p not in TRUSTED_SERVICES]
    above["organization_features"] = [
        "Organization-wide switches: what is on today stays on (the landing zone never turns",
        "anything off); the deploy turns on the rest listed here.",
        "Policy types enabled today: " + (", ".join(live.enabled_policy_types) or "none"),
        "Trusted access today: "
        + (", ".join(live.trusted) or ("not read" if live.unread_trusted else "none")),
    ]
    if unmanaged:
        above["organization_features"].append(
            "  of which this landing zone does not manage (left as they are): "
            + ", ".join(unmanaged)
        )

    reserved, slot_lines = _reserved_slots(live, tower_present=tower.present)
    guardrails = {
        "attachments": {"root": ["core"]},
        "quotas": {
            "scp_reserved_per_target": reserved["scp"],
            "rcp_reserved_per_target": reserved["rcp"],
        },
    }
    above["guardrails"] = [
        "Preventive guardrails (docs/guardrails.md lists the packs). They are added to what is",
        "attached today, which counts against the same per-target quotas:",
        *_policy_lines(live),
        *slot_lines,
        "The core pack on the root denies everyone but the privileged principals, in every",
        "account, from the first deploy: any action of a member account's root user; changing",
        "AWS Config recorders and delivery channels, GuardDuty, Security Hub, Macie, Inspector",
        "or Detective settings and filters, alternate contacts and Region opt-in, EBS default",
        "encryption and the account's S3 Block Public Access; and everyone from leaving the",
        "organization. Check that no pipeline of yours does any of that under another role.",
    ]

    ours = resource_name(options.prefix, "ConfigRecorder")
    recorder_lines = []
    for region, found in live.recorders.items():
        if isinstance(found, str):
            recorder_lines.append(f"  {region}: could not be read ({found})")
        for name in found if isinstance(found, list) else ():
            recorder_lines.append(
                f"  {region}: '{name}'"
                + (
                    ""
                    if name == ours
                    else " -- make deploy refuses until it is deleted, "
                    "the baseline records with its own"
                )
            )
    above["baseline"] = [
        "AWS Config recorders in the management account today:"
        + ("" if recorder_lines else " none"),
        *recorder_lines,
        "In every account it reaches the baseline replaces the IAM password policy (a stricter",
        "one of yours included) and turns on EBS encryption by default.",
        "s3_block_public_access stays off here: on, it turns on all four S3 Block Public Access",
        "settings in every account at once, which overrides every public bucket policy and ACL",
        "(websites and public objects served from S3 stop answering). Turn it on once no",
        "account relies on one.",
    ]
    admins = [
        f"  {principal}: " + ", ".join(f"{a} ({_name(tree, a)})" for a in accounts)
        for principal, accounts in live.delegated.items()
    ]
    above["detection"] = [
        "Delegated administrators today:"
        + ("" if admins else " not read" if live.unread_delegated else " none"),
        *admins,
        f"The config makes the audit account ({core['audit']}) the administrator of every",
        "detection service it turns on; make deploy refuses while another account is.",
    ]
    above["privileged_principals"] = [
        *(
            ["Left out (move an account into an OU, then add it like those above):"]
            + [f"  {line}" for line in left_out]
            + [""]
            if left_out
            else []
        ),
        "Principals every guardrail exempts (and whose role names it reserves): keep it short.",
    ]
    notes += [f"could not read {what}; the config is written without it" for what in live.unread]
    if live.feature_set != "ALL":
        notes.append(
            "all features are not enabled in AWS Organizations: make deploy refuses until they "
            "are (aws organizations enable-all-features)"
        )
    above["workload_accounts"] = [
        "Every active account in an OU, adopted by id: the landing zone never renames,",
        "moves or closes an adopted account.",
    ]

    data: dict[str, Any] = {
        "prefix": options.prefix,
        "organization": {
            "id": live.organization_id,
            "root_id": live.root_id,
            "management_account_id": live.management_account_id,
        },
        "regions": {"home": options.home, "governed": list(governed)},
        "organizational_units": organizational_units,
        "core_accounts": core_accounts,
        "workload_accounts": workloads,
        "privileged_principals": principals,
        "organization_features": {"policy_types": policy_types, "trusted_services": trusted},
        "guardrails": guardrails,
        # An S3 policy enforces Block Public Access in every account, overriding each
        # bucket's policy and ACLs: the one default that stops running workloads.
        # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3.html
        # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html
        "baseline": {"targets": ["root"], "s3_block_public_access": False},
        "monitoring": {"alarm_emails": []},
        "detection": {"notifications": {"emails": []}},
    }
    above["monitoring"] = [
        "Who hears about the CIS alarms and the findings: add at least one address to each",
        "(make validate warns until then).",
    ]
    trailing[("organization", "management_account_id")] = json.dumps(
        _name(tree, live.management_account_id)
    )
    return Imported(data, trailing, above, left_out, notes)


def _name(tree: Organization, account_id: str) -> str:
    account = tree.accounts.get(account_id)
    return account.name if account is not None else "not in the organization"


def _reserved_slots(live: Live, *, tower_present: bool) -> tuple[dict[str, int], list[str]]:
    """Per kind, the most policies (not FullAWSAccess) attached to one root or OU today.

    Reserving that many leaves them their slots: the packer fits the
    landing zone's policies into the rest. With Control Tower at least the
    landing zone's default reserve of 2.
    """
    reserved: dict[str, int] = {}
    lines = []
    limits = {"scp": SCP_MAX_PER_TARGET, "rcp": RCP_MAX_PER_TARGET}
    for kind, policy_type in POLICY_TYPE.items():
        counts: Counter[str] = Counter()
        names: dict[str, str] = {}
        for policy in live.policies:
            if policy.type != policy_type or policy.name == FULL_ACCESS_POLICY[kind]:
                continue
            for target in policy.targets:
                if target.type in ("ROOT", "ORGANIZATIONAL_UNIT"):
                    counts[target.id] += 1
                    names[target.id] = target.name
        most = max(counts.values(), default=0)
        wanted = max(most, 2 if kind == "scp" and tower_present else 0)
        reserved[kind] = min(wanted, limits[kind] - 2)
        if counts:
            lines.append(
                f"{kind.upper()}s attached per target today, besides {FULL_ACCESS_POLICY[kind]}: "
                + ", ".join(f"{names[t]} {n}" for t, n in counts.most_common())
                + f"; {kind}_reserved_per_target below keeps {reserved[kind]} slot(s) for them"
            )
        if wanted > reserved[kind]:
            lines.append(
                f"  at most {limits[kind] - 2} can be reserved: detach some before deploying"
            )
    return reserved, lines


def _policy_lines(live: Live) -> list[str]:
    lines = []
    for policy in sorted(live.policies, key=lambda p: (p.type, p.name.lower())):
        kind = "SCP" if policy.type == POLICY_TYPE["scp"] else "RCP"
        if policy.aws_managed:
            lines.append(
                f"{kind} {json.dumps(policy.name)} ({policy.id}, AWS managed) is attached to "
                f"{len(policy.targets)} target(s): one slot on each"
            )
            continue
        targets = [t.name or t.id for t in policy.targets]
        shown = ", ".join(targets[:8]) + (
            f" (+{len(targets) - 8} more)" if len(targets) > 8 else ""
        )
        lines.append(
            f"existing {kind} {json.dumps(policy.name)} ({policy.id}) {policy.size} chars, "
            + (f"attached to: {shown}" if targets else "attached nowhere")
            + (" (Control Tower)" if policy.control_tower else "")
        )
    return lines or ["no SCP or RCP exists besides the AWS managed ones"]


#: Plain YAML scalars we write unquoted when they read back as the same string.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ._/_()+@-]*[A-Za-z0-9._)]|[A-Za-z]")


def scalar(value: Any) -> str:
    """``value`` as a YAML scalar that reads back as itself.

    Account ids single-quoted (YAML reads 012345678901 as a number); a
    string plain where YAML reads it back unchanged (not ``yes``, ``null``,
    ``1.0``, nothing with ``: `` or `` #``), else double-quoted: JSON's
    escapes are YAML's too.
    See: https://yaml.org/spec/1.2.2/#double-quoted-style
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if re.fullmatch(r"\d{12}", text):
        return f"'{text}'"
    if _PLAIN.fullmatch(text) and ": " not in text and " #" not in text:
        with contextlib.suppress(yaml.YAMLError):
            if yaml.safe_load(f"k: {text}") == {"k": text}:
                return text
    # Every character outside printable ASCII as an escape: JSON's \uXXXX would
    # split one beyond U+FFFF into two surrogates, which YAML reads as two
    # characters; YAML's \UXXXXXXXX is the one character.
    return _NOT_ASCII.sub(_escape, json.dumps(text, ensure_ascii=False))


_NOT_ASCII = re.compile(r"[^\x20-\x7e]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


#: What a comment may not hold: characters YAML does not print, and its line breaks.
#: PyYAML reads YAML 1.1, where NEL, LS and PS (U+0085, U+2028, U+2029) end a line
#: as LF does: text from AWS (an invited account's email) holding one would go on
#: as YAML, not as comment.
#: See: https://yaml.org/spec/1.2.2/#51-character-set
#: See: https://yaml.org/spec/1.2.2/#54-line-break-characters
_NOT_IN_COMMENT = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _comment(text: str) -> str:
    """One comment line: nothing that would end it, nothing YAML refuses."""
    return _NOT_IN_COMMENT.sub("?", text)


def render(imported: Imported, *, source: str) -> str:
    """The config as YAML text, its comments beside and above the values they explain."""
    lines = [
        "# yaml-language-server: $schema=./schema.json",
        f"# Imported by `make import` from {source}.",
        '# Review every section before the first deploy: docs/operations.md ("Importing an',
        '# organization") says what it would do to what exists, and how to adopt the OUs',
        "# (`make adopt-ous`) before it.",
    ]
    lines += [f"# NOTE: {_comment(note)}" for note in imported.notes]

    def emit(value: Any, location: tuple[str | int, ...], indent: int) -> None:
        pad = "  " * indent
        if isinstance(value, dict):
            for key, item in value.items():
                here = (*location, key)
                note = imported.trailing.get(here)
                tail = f"  # {_comment(note)}" if note else ""
                if isinstance(item, dict | list) and item:
                    lines.append(f"{pad}{scalar(key)}:{tail}")
                    emit(item, here, indent + 1)
                elif isinstance(item, dict):
                    lines.append(f"{pad}{scalar(key)}: {{}}{tail}")
                elif isinstance(item, list):
                    lines.append(f"{pad}{scalar(key)}: []{tail}")
                else:
                    lines.append(f"{pad}{scalar(key)}: {scalar(item)}{tail}")
        else:
            for item in value:
                lines.append(f"{pad}- {scalar(item)}")

    for section, value in imported.data.items():
        lines.append("")
        lines += [
            f"# {_comment(line)}" if line else "#" for line in imported.above.get(section, [])
        ]
        emit({section: value}, (), 0)
    return "\n".join(lines) + "\n"


# ---- writing -----------------------------------------------------------------------------------


def write(path: Path, text: str, *, force: bool) -> tuple[LandingZoneConfig, list[str]]:
    """``text`` to ``path`` once it loads back and validates; nothing written otherwise.

    Written to a temporary file beside ``path``, then renamed over it
    (``force``) or hard-linked to it: within one file system both are
    atomic, so readers see the old file or the new one, never part of one,
    and a link fails where ``path`` exists, even one another process wrote
    since the check below, where a rename would replace it.
    See: https://docs.python.org/3/library/os.html#os.replace
    See: https://pubs.opengroup.org/onlinepubs/9699919799/functions/link.html
    """
    exists = f"{path} exists; pass --force to replace it"
    if path.exists() and not force:
        raise CannotImport(exists)
    if not path.parent.is_dir():
        raise CannotImport(f"{path.parent} is not a directory")
    if path.is_dir():
        raise CannotImport(f"{path} is a directory")
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise CannotImport(f"cannot write in {path.parent} ({error.strerror})") from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        try:
            config, warnings = load_config_and_warnings(temporary)
        except ConfigError as error:
            lines = [line.replace(temporary, str(path)) for line in error.lines]
            raise CannotImport(
                "the generated config does not validate:\n"
                + "\n".join(f"  - {line}" for line in lines)
            ) from error
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise
            except OSError:
                # A file system without hard links: the check above, then a rename.
                if path.exists():
                    raise CannotImport(exists) from None
                os.replace(temporary, path)
    except FileExistsError as error:
        raise CannotImport(exists) from error
    except OSError as error:
        raise CannotImport(f"cannot write {path} ({error.strerror})") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return config, [w.replace(temporary, str(path)) for w in warnings]


def run(argv: Sequence[str] | None = None, *, session: Any = None) -> int:
    """The command; ``session`` replaces boto3's default one (tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m landing_zone.importer",
        description="Write a config that adopts the live organization as it is "
        "(read-only, management-account credentials).",
    )
    parser.add_argument("--out", type=Path, required=True, help="the config file to write")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="the config's prefix")
    parser.add_argument("--home-region", help="the home region (default: the session's region)")
    parser.add_argument(
        "--governed",
        default="",
        help="comma-separated governed regions besides the home region",
    )
    parser.add_argument("--log-archive", help="the log-archive account's id")
    parser.add_argument("--audit", help="the audit (security tooling) account's id")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    try:
        if session is None:
            session, unusable = default_session()
            if unusable is not None:
                raise CannotImport(unusable)
        home = args.home_region or getattr(session, "region_name", None)
        if not home:
            raise CannotImport("no region: pass --home-region (the landing zone's home region)")
        options = Options(
            prefix=args.prefix,
            home=home,
            governed=tuple(r.strip() for r in args.governed.split(",") if r.strip()),
            log_archive=args.log_archive,
            audit=args.audit,
        )
        for region in (options.home, *options.governed):
            try:
                partition_of(region)
            except KeyError:
                raise CannotImport(f"'{region}' is not an AWS region") from None
        governed = tuple(dict.fromkeys((options.home, *options.governed)))
        live = read_live(session, home=options.home, governed=governed)
        imported = build(live, options)
        text = render(imported, source=f"organization {live.organization_id}")
        config, warnings = write(args.out, text, force=args.force)
    except CannotImport as error:
        print(f"import: nothing written: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(warning, file=sys.stderr)
    try:
        expected.policies(config)
    except GuardrailBudgetError as error:
        print(
            f"warning: {args.out}: `make synth` will refuse until the guardrails fit:",
            file=sys.stderr,
        )
        print("\n".join(f"  - {line}" for line in error.lines), file=sys.stderr)
    for note in imported.notes:
        print(f"note: {note}", file=sys.stderr)
    units = sum(1 for _ in config.walk_units())
    print(
        f"wrote {args.out}: {units} OUs, {sum(1 for _ in config.all_accounts())} accounts "
        f"adopted ({len(imported.left_out)} left out, listed in it), "
        f"{sum(1 for p in live.policies if not p.aws_managed)} existing SCPs/RCPs listed. "
        f"Next: review it, then `make adopt-ous CONFIG={shlex.quote(str(args.out))}` and "
        f"`make deploy CONFIG={shlex.quote(str(args.out))}`"
    )
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
