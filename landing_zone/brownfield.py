"""An organization the landing zone did not build: what it holds already, and what would clash.

``make import`` reads it to write a config (``landing_zone.importer``);
``make deploy``'s preflight (``landing_zone.preflight.check``) refuses to
start on what would make the first deploy fail halfway, naming each
conflict and its fix:

- an OU of the config that exists already outside ``<Prefix>-Organization``:
  CloudFormation would try to create it again and Organizations refuses a
  second OU of one name under a parent (``make adopt-ous`` imports it first);
- another account administering a detection service the config gives to
  the audit account;
- policies the landing zone does not own (Control Tower's among them)
  leaving too few SCP or RCP slots on a target for the ones it attaches;
- Control Tower, whose SCPs on an OU it comes to govern would not fit
  beside the landing zone's;
- with ``--deep`` (a role in each member account): accounts outside the
  baseline's reach without a recorder of their own
  (``preflight.recorder_problems``), and accounts inside it whose own
  recorder would keep the baseline's from being created.

Management-account credentials, read-only calls, through verify's
:class:`~landing_zone.verify.reads.Reader` (thread pool, standard retries).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from landing_zone.config import LandingZoneConfig
from landing_zone.guardrails.packer import (
    FULL_ACCESS_POLICY,
    KINDS,
    POLICY_TYPE,
    GuardrailBudgetError,
)
from landing_zone.naming import resource_name, stack_id
from landing_zone.org_tree import ROOT
from landing_zone.organization_policies import OrganizationPolicy
from landing_zone.preflight import OrgAccount, Recorded, customer_recorders, global_region
from landing_zone.verify import expected
from landing_zone.verify.checks import (
    ERRORS,
    Organization,
    _error,
    _pages,
    check_units,
    read_organization,
)
from landing_zone.verify.model import CannotRun
from landing_zone.verify.reads import RETRIES, Reader

#: Control Tower's service principal for trusted access in Organizations.
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/services-that-can-integrate-CTower.html
CONTROL_TOWER_PRINCIPAL = "controltower.amazonaws.com"
#: Control Tower names the SCPs of its preventive controls ``aws-guardrails-<suffix>``
#: and attaches them to the OUs it governs (its drift notifications name them so).
#: See: https://docs.aws.amazon.com/controltower/latest/userguide/drift.html
CONTROL_TOWER_SCP_PREFIX = "aws-guardrails-"
#: Control Tower's recorder (``aws-controltower-BaselineConfigRecorder``) in each
#: account it provisions or enrolls.
#: See: https://docs.aws.amazon.com/controltower/latest/userguide/account-factory-considerations.html
CONTROL_TOWER_RECORDER_PREFIX = "aws-controltower-"


#: Service principal -> how many delegated administrators Organizations registers for it
#: (one where not listed).
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-config-organizationconfigrule.html
#: See: https://docs.aws.amazon.com/config/latest/developerguide/aggregated-register-delegated-administrator.html
ADMINISTRATORS = {"config.amazonaws.com": 3}


# ---- what the organization holds: reads shared with the importer ---------------------------


@dataclass(frozen=True)
class PolicyTarget:
    """Where a policy is attached: the root, an OU or an account."""

    id: str
    name: str
    #: ``ROOT``, ``ORGANIZATIONAL_UNIT`` or ``ACCOUNT``.
    type: str


@dataclass(frozen=True)
class LivePolicy:
    """An organization policy as it is, with where it is attached."""

    id: str
    name: str
    type: str
    aws_managed: bool
    #: Characters of its content, as Organizations counts them for the size quota.
    size: int
    targets: tuple[PolicyTarget, ...]

    @property
    def control_tower(self) -> bool:
        return self.name.startswith(CONTROL_TOWER_SCP_PREFIX)


def read_policies(
    reader: Reader,
    organizations: Any,
    policy_type: str,
    *,
    where: Callable[[str], bool] = lambda name: True,
) -> list[LivePolicy]:
    """Every policy of ``policy_type`` whose name is ``where``, its size and its targets
    (two reads each, in parallel).

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPolicies.html
    """
    summaries = [
        summary
        for summary in reader.submit(
            _pages, organizations, "list_policies", "Policies", Filter=policy_type
        ).result()
        if where(summary["Name"])
    ]
    details = [
        (
            reader.submit(organizations.describe_policy, PolicyId=summary["Id"]),
            reader.submit(
                _pages, organizations, "list_targets_for_policy", "Targets", PolicyId=summary["Id"]
            ),
        )
        for summary in summaries
    ]
    return [
        LivePolicy(
            id=summary["Id"],
            name=summary["Name"],
            type=policy_type,
            aws_managed=bool(summary.get("AwsManaged")),
            size=len(described.result()["Policy"].get("Content", "")),
            targets=tuple(
                PolicyTarget(t["TargetId"], t.get("Name", ""), t.get("Type", ""))
                for t in targets.result()
            ),
        )
        for summary, (described, targets) in zip(summaries, details, strict=True)
    ]


def trusted_services(reader: Reader, organizations: Any) -> list[str]:
    """Service principals with trusted access in the organization, sorted."""
    listed = reader.submit(
        _pages,
        organizations,
        "list_aws_service_access_for_organization",
        "EnabledServicePrincipals",
    ).result()
    return sorted(s["ServicePrincipal"] for s in listed)


def delegated_administrators(reader: Reader, organizations: Any) -> dict[str, list[str]]:
    """Service principal -> the accounts registered as its delegated administrators.

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListDelegatedAdministrators.html
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListDelegatedServicesForAccount.html
    """
    admins = reader.submit(
        _pages, organizations, "list_delegated_administrators", "DelegatedAdministrators"
    ).result()
    services = reader.map(
        lambda admin: _pages(
            organizations,
            "list_delegated_services_for_account",
            "DelegatedServices",
            AccountId=admin["Id"],
        ),
        admins,
    )
    by_principal: dict[str, list[str]] = {}
    for admin, delegated in zip(admins, services, strict=True):
        for service in delegated:
            by_principal.setdefault(service["ServicePrincipal"], []).append(admin["Id"])
    return {principal: sorted(ids) for principal, ids in sorted(by_principal.items())}


@dataclass(frozen=True)
class ControlTower:
    """Whether AWS Control Tower runs in the organization, and its SCPs."""

    #: Why it is thought to run (empty: it does not).
    signals: tuple[str, ...]
    scps: tuple[LivePolicy, ...]

    @property
    def present(self) -> bool:
        return bool(self.signals)

    def per_target(self) -> dict[str, list[LivePolicy]]:
        """Target id -> Control Tower's SCPs attached there."""
        found: dict[str, list[LivePolicy]] = {}
        for policy in self.scps:
            for target in policy.targets:
                found.setdefault(target.id, []).append(policy)
        return found

    def most(self) -> tuple[int, str]:
        """The most SCPs it has attached to one target, and that target's name."""
        counts = [
            (len(policies), next(t.name for t in policies[0].targets if t.id == target))
            for target, policies in self.per_target().items()
        ]
        return max(counts, default=(0, ""))


def control_tower(trusted: Iterable[str], scps: Iterable[LivePolicy]) -> ControlTower:
    """Control Tower is known by its trusted access, or by its SCPs.

    Both read from the management account with Organizations alone: the
    landing zone API (controltower:ListLandingZones) answers only in Control
    Tower's home region, which nothing else tells, and the
    ``AWSControlTowerExecution`` role of enrolled accounts is read only
    from inside them.
    See: https://docs.aws.amazon.com/controltower/latest/APIReference/API_ListLandingZones.html
    """
    own = tuple(p for p in scps if p.control_tower)
    signals = []
    if CONTROL_TOWER_PRINCIPAL in set(trusted):
        signals.append(f"trusted access for {CONTROL_TOWER_PRINCIPAL}")
    if own:
        signals.append(f"{len(own)} SCP(s) named {CONTROL_TOWER_SCP_PREFIX}*")
    return ControlTower(tuple(signals), own)


# ---- member accounts' recorders (--deep) ------------------------------------------------------

#: Assumed-role sessions are named so in the accounts' CloudTrail.
SESSION_NAME = "landing-zone-preflight"


@dataclass(frozen=True)
class Recorders:
    """One member account's customer-managed AWS Config recorders by region, or why unread."""

    by_region: Mapping[str, tuple[str, ...]]
    error: str = ""


class MemberRecorders:
    """The AWS Config recorders of member accounts, read through a role assumed in each.

    ``make deploy ARGS=--deep`` only: it needs a role every member account
    trusts the management account to assume, the config's
    ``account_access_role_name`` (``OrganizationAccountAccessRole``, which
    Organizations creates in the accounts it creates; invited accounts have
    it only if someone made it) unless ``--role`` names another
    (``AWSControlTowerExecution`` in accounts Control Tower enrolled).
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html
    See: https://docs.aws.amazon.com/controltower/latest/userguide/account-factory-considerations.html
    """

    def __init__(self, config: LandingZoneConfig, session: Any, *, role: str | None) -> None:
        self.config = config
        self.session = session
        self.role = role or config.account_access_role_name
        self._read: dict[str, Recorders] = {}
        self._lock = threading.Lock()

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.config.partition}:iam::{account_id}:role/{self.role}"

    def read(self, account_ids: Iterable[str]) -> dict[str, Recorders]:
        """Each account's recorders in every governed region (read once per account)."""
        wanted = list(dict.fromkeys(account_ids))
        todo = [a for a in wanted if a not in self._read]
        if todo:
            reader = Reader(self.session)
            try:
                sts = reader.client("sts", self.config.regions.home)
                for account_id, recorders in zip(
                    todo, reader.map(lambda a: self._account(sts, a), todo), strict=True
                ):
                    with self._lock:
                        self._read[account_id] = recorders
            finally:
                reader.close()
        return {account_id: self._read[account_id] for account_id in wanted}

    def _account(self, sts: Any, account_id: str) -> Recorders:
        arn = self.role_arn(account_id)
        try:
            credentials = sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME)["Credentials"]
        except ERRORS as error:
            return Recorders({}, f"cannot assume {arn} ({_error(error)})")
        found: dict[str, tuple[str, ...]] = {}
        for region in self.config.baseline_region_order:
            # Creating clients is not thread safe; calling them is.
            # See: https://docs.aws.amazon.com/boto3/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients
            with self._lock:
                client = self.session.client(
                    "config",
                    region_name=region,
                    config=RETRIES,
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                )
            try:
                listed = client.describe_configuration_recorders()["ConfigurationRecorders"]
            except ERRORS as error:
                return Recorders(found, f"cannot read its recorders in {region} ({_error(error)})")
            found[region] = tuple(customer_recorders(listed))
        return Recorders(found)

    def __call__(self, accounts: Sequence[OrgAccount]) -> dict[str, str | None]:
        """For the conformance pack: None where a recorder runs in every governed region."""
        regions = self.config.baseline_region_order
        answers: dict[str, str | None] = {}
        for account_id, recorders in self.read(a.id for a in accounts).items():
            missing = [r for r in regions if not recorders.by_region.get(r)]
            if recorders.error:
                answers[account_id] = f"unknown: {recorders.error}"
            elif missing:
                answers[account_id] = f"no recorder in {', '.join(missing)}"
            else:
                answers[account_id] = None
        return answers


def clashing_recorders(
    config: LandingZoneConfig, organization: Organization, recorders: MemberRecorders
) -> list[str]:
    """No account the baseline reaches already runs a recorder other than the baseline's.

    An account holds one customer-managed recorder per region: the
    baseline's ``<Prefix>-ConfigRecorder`` fails to create beside another
    (Control Tower's ``aws-controltower-BaselineConfigRecorder`` in the
    accounts it enrolls, the console's ``default``), and with it the
    account's baseline stack instance.
    See: https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
    """
    ours = resource_name(config.prefix, "ConfigRecorder")
    reached = _reached(config, organization)
    problems = []
    for account_id, found in recorders.read(reached).items():
        account = organization.accounts[account_id]
        if found.error:
            problems.append(
                f"account {account_id} ({account.name}) is in the baseline's reach, and its AWS "
                f"Config recorders could not be read: {found.error}. Pass --role with a role it "
                "trusts the management account to assume, or check it by hand "
                "(aws configservice describe-configuration-recorders in each governed region)"
            )
            continue
        others = {
            name: [region for region, names in found.by_region.items() if name in names]
            for names in found.by_region.values()
            for name in names
            if name != ours
        }
        for name, regions in others.items():
            control_tower = name.startswith(CONTROL_TOWER_RECORDER_PREFIX)
            problems.append(
                f"account {account_id} ({account.name}) already records with the AWS Config "
                f"recorder '{name}' in {', '.join(regions)}"
                + (" (Control Tower's: the account is enrolled in it)" if control_tower else "")
                + f"; the baseline's '{ours}' cannot be created beside it (one per region) and "
                f"the account's baseline would fail. Add '{account_id}' to "
                "baseline.excluded_accounts with the reason, or move the account out of "
                "baseline.targets"
                + (
                    ""
                    if control_tower
                    else ", or delete that recorder first (aws configservice "
                    "delete-delivery-channel, then delete-configuration-recorder "
                    f"--configuration-recorder-name {name} in each of those regions)"
                )
            )
    return problems


def _reached(config: LandingZoneConfig, organization: Organization) -> list[str]:
    """Active member accounts under the baseline's targets as they sit today, less exclusions."""
    known = dict(config.all_accounts())
    excluded = {
        (known[entry].account_id or "") if entry in known else entry
        for entry in config.baseline.excluded_accounts
    }
    reached: dict[str, None] = {}
    for target in config.baseline.targets:
        unit = organization.scope if target == ROOT else organization.unit_ids.get(target)
        if unit is not None:
            reached.update(dict.fromkeys(a.id for a in organization.accounts_below(unit)))
    management = config.organization.management_account_id
    return [
        account_id
        for account_id in reached
        if account_id not in excluded
        and account_id != management
        and organization.accounts[account_id].state == "ACTIVE"
    ]


# ---- conflicts --------------------------------------------------------------------------------


def unadopted_units(
    config: LandingZoneConfig, organization: Organization, managed: set[str]
) -> list[str]:
    """Every OU of the config that exists already is managed by ``<Prefix>-Organization``.

    The stack creates each OU of the config (``AWS::Organizations::
    OrganizationalUnit``). The type's create handler first looks for an OU of
    that name under the parent and fails with AlreadyExists if there is one
    (Organizations itself refuses the duplicate too), so an OU that exists
    outside the stack fails its creation and rolls the stack back: no
    duplicate, and no deploy. Resource import adopts it instead, unchanged.
    See: https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-organizations/blob/main/aws-organizations-organizationalunit/src/main/java/software/amazon/organizations/organizationalunit/CreateHandler.java
    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import.html
    """
    existing = [
        (key, unit_id)
        for key, *_ in config.walk_units()
        if (unit_id := organization.unit_ids.get(key)) is not None and unit_id not in managed
    ]
    if not existing:
        return []
    stack = stack_id(config.prefix, "Organization")
    listed = ", ".join(
        f"{key} ({organization.path(unit_id)}, {unit_id})" for key, unit_id in existing
    )
    return [
        f"{len(existing)} OU(s) of the config exist already and {stack} does not manage them: "
        f"{listed}. Creating them again fails (an OU name is unique under its parent) and "
        f"rolls {stack} back. Adopt them into the stack first, unchanged: `make adopt-ous "
        "CONFIG=...` writes the mapping and prints the `cdk import` command "
        "(docs/operations.md, 'Adopting existing OUs')"
    ]


def stack_units(config: LandingZoneConfig, reader: Reader) -> set[str]:
    """Ids of the OUs ``<Prefix>-Organization`` manages (none before its first deploy).

    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html
    """
    cloudformation = reader.client("cloudformation", config.regions.home)
    try:
        resources = reader.submit(
            _pages,
            cloudformation,
            "list_stack_resources",
            "StackResourceSummaries",
            StackName=stack_id(config.prefix, "Organization"),
        ).result()
    except ClientError as error:
        # "Stack with id ... does not exist": a first deploy.
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return set()
        raise
    return {
        r["PhysicalResourceId"]
        for r in resources
        if r.get("ResourceType") == "AWS::Organizations::OrganizationalUnit"
        and r.get("PhysicalResourceId")
    }


def delegated_admin_problems(
    config: LandingZoneConfig,
    organization: Organization,
    administrators: Mapping[str, Sequence[str]],
) -> list[str]:
    """Another account administers a service the config gives the audit account only where
    the audit account cannot become one beside it.

    The delegated-administrator handler refuses to replace another
    administrator (that would disassociate every member account from it),
    so the deploy would stop at the first such service. AWS Config takes up
    to three (each aggregates the organization on its own): the audit
    account is registered beside the others until they are three.
    """
    audit = organization.account_ids.get("audit")
    names = {a.id: a.name for a in organization.accounts.values()}
    problems = []
    for service in expected.delegated_services(config):
        principal = expected.registration_principal(service)
        others = [a for a in administrators.get(principal, ()) if a != audit]
        if len(others) < ADMINISTRATORS.get(principal, 1):
            continue
        who = ", ".join(f"{a} ({names.get(a, 'not in the organization')})" for a in others)
        problems.append(
            f"{service.name}: {who} is already the delegated administrator for {principal}; "
            f"the config gives it to the audit account "
            f"{audit or '(not created yet)'}. Make {others[0]} the audit account "
            f"(core_accounts.audit.account_id: '{others[0]}'), or remove it as administrator "
            "in the service's settings from the management account (every member account "
            "is disassociated from it), e.g. `aws organizations "
            f"deregister-delegated-administrator --account-id {others[0]} --service-principal "
            f"{principal}` for a plain registration"
        )
    return problems


def _label(config: LandingZoneConfig, organization: Organization, key: str) -> str:
    if key == ROOT:
        return f"the root ({organization.scope})"
    unit_id = organization.unit_ids.get(key, "")
    return f"OU {key} ({organization.path(unit_id or '')}, {unit_id})"


def _live_target(organization: Organization, key: str) -> str | None:
    return organization.scope if key == ROOT else organization.unit_ids.get(key)


def slot_problems(
    config: LandingZoneConfig,
    organization: Organization,
    reader: Reader,
    policies: Sequence[OrganizationPolicy],
) -> list[str]:
    """On every target, the SCPs (RCPs) attached today that the landing zone does not own and
    the ones it attaches fit the per-target quota of ``guardrails.quotas``.

    FullAWSAccess counts: every policy attached directly to a target takes
    a slot. AttachPolicy over the quota fails (ConstraintViolationException),
    midway through the stack.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """
    organizations = reader.client("organizations", global_region(config))
    ours = {policy.name for policy in policies}
    planned: dict[tuple[str, str], list[OrganizationPolicy]] = {}
    for policy in policies:
        planned.setdefault((policy.target, policy.type), []).append(policy)
    quotas = config.guardrails.quotas
    reads: dict[tuple[str, str], Future[list[dict[str, Any]]]] = {}
    for each in KINDS:
        for (target, policy_type), _ in planned.items():
            live = _live_target(organization, target)
            if policy_type == POLICY_TYPE[each] and live is not None:
                reads[(target, each)] = reader.submit(
                    _pages,
                    organizations,
                    "list_policies_for_target",
                    "Policies",
                    TargetId=live,
                    Filter=policy_type,
                )
    problems = []
    for (target, kind), future in reads.items():
        attached = future.result()
        foreign = sorted(
            (p for p in attached if p["Name"] not in ours), key=lambda p: p["Name"].lower()
        )
        coming = planned[(target, POLICY_TYPE[kind])]
        maximum: int = getattr(quotas, f"{kind}_max_per_target")
        if len(foreign) + len(coming) <= maximum:
            continue
        tower = [p for p in foreign if p["Name"].startswith(CONTROL_TOWER_SCP_PREFIX)]
        others = [p for p in foreign if p not in tower]
        held = "; ".join(
            part
            for part in (
                "Control Tower's " + ", ".join(f"{p['Name']} ({p['Id']})" for p in tower)
                if tower
                else "",
                ", ".join(f"{p['Name']} ({p['Id']})" for p in others),
            )
            if part
        )
        upper = kind.upper()
        problems.append(
            f"{_label(config, organization, target)} holds {len(foreign)} {upper}(s) the "
            f"landing zone does not own ({held}); with the {len(coming)} it attaches there, "
            f"{len(foreign) + len(coming)} would exceed the quota of {maximum} per target "
            f"(guardrails.quotas.{kind}_max_per_target) and the deploy would stop at the "
            f"first AttachPolicy over it. Detach what is no longer needed (`aws organizations "
            f"detach-policy --policy-id <id> --target-id {_live_target(organization, target)}`"
            f"; never {FULL_ACCESS_POLICY[kind]}, without which everything below is denied), "
            f"or set guardrails.quotas.{kind}_reserved_per_target: {len(foreign) - 1} so "
            "`make synth` packs the guardrails into the slots left, or attach fewer packs here"
        )
    return problems


def control_tower_problems(
    config: LandingZoneConfig,
    organization: Organization,
    tower: ControlTower,
    policies: Sequence[OrganizationPolicy],
) -> list[str]:
    """Where Control Tower runs, its SCPs and the landing zone's fit every OU it could govern.

    Control Tower attaches its SCPs to the OUs it governs (registered OUs);
    an OU of the config without any of them today gets as many as the most
    it holds on one OU once it governs that OU. OUs that hold some today are
    counted as they are by :func:`slot_problems`. The root it never governs.
    See: https://docs.aws.amazon.com/controltower/latest/userguide/drift.html
    """
    if not tower.present:
        return []
    most, where = tower.most()
    if not most:
        return []
    maximum = config.guardrails.quotas.scp_max_per_target
    holding = tower.per_target()
    counts: dict[str, int] = {}
    for policy in policies:
        if policy.type == POLICY_TYPE["scp"] and policy.target != ROOT:
            counts[policy.target] = counts.get(policy.target, 0) + 1
    problems = []
    for target, ours in counts.items():
        live = organization.unit_ids.get(target)
        if live is not None and live in holding:
            continue
        if ours + 1 + most <= maximum:
            continue
        problems.append(
            f"Control Tower runs in this organization ({', '.join(tower.signals)}) and holds "
            f"up to {most} SCPs on one OU ({where}). Once it governs OU {target}, its {most}, "
            f"the landing zone's {ours} and {FULL_ACCESS_POLICY['scp']} would make "
            f"{ours + 1 + most}, over the quota of {maximum} per target. Set "
            f"guardrails.quotas.scp_reserved_per_target: {most} (`make synth` then says "
            "whether the packs still fit), attach fewer packs to this OU, or keep it out of "
            "Control Tower"
        )
    return problems


def problems(
    config: LandingZoneConfig, session: Any, *, recorded: Recorded | None = None
) -> list[str]:
    """Every conflict with what the organization holds already, each with its fix.

    ``recorded`` (``--deep``) is also asked about the accounts the baseline
    reaches, when it reads recorders (a :class:`MemberRecorders`).
    """
    reader = Reader(session)
    try:
        return _problems(config, reader, recorded)
    except CannotRun as error:
        return [str(error)]
    except ERRORS as error:
        return [f"cannot read what the organization holds already ({_error(error)})"]
    finally:
        reader.close()


def _problems(config: LandingZoneConfig, reader: Reader, recorded: Recorded | None) -> list[str]:
    organizations = reader.client("organizations", global_region(config))
    organization = read_organization(config, reader)
    # Fills organization.unit_ids (OUs found by name under their parent).
    check_units(config, organization, reader)
    # Adopted accounts by id, created ones by email (Organizations keeps emails unique).
    by_email = {a.email: a.id for a in organization.accounts.values()}
    for key, account in config.all_accounts():
        organization.account_ids[key] = account.account_id or by_email.get(
            (account.email or "").lower()
        )
    problems = unadopted_units(config, organization, stack_units(config, reader))
    if not config.business_unit:
        problems += delegated_admin_problems(
            config, organization, delegated_administrators(reader, organizations)
        )
    try:
        policies = expected.policies(config)
    except GuardrailBudgetError as error:
        return [*problems, *(f"guardrails: {line}" for line in error.lines)]
    problems += slot_problems(config, organization, reader, policies)
    tower = control_tower(
        trusted_services(reader, organizations),
        read_policies(
            reader,
            organizations,
            POLICY_TYPE["scp"],
            where=lambda name: name.startswith(CONTROL_TOWER_SCP_PREFIX),
        ),
    )
    problems += control_tower_problems(config, organization, tower, policies)
    if isinstance(recorded, MemberRecorders):
        problems += clashing_recorders(config, organization, recorded)
    else:
        problems += enrolled_accounts_unread(config, organization, tower)
    return problems


def enrolled_accounts_unread(
    config: LandingZoneConfig, organization: Organization, tower: ControlTower
) -> list[str]:
    """Without ``--deep``, the baseline reaches no account of an OU Control Tower governs.

    Control Tower's enrolled accounts run its own AWS Config recorder
    (``aws-controltower-BaselineConfigRecorder``), and a region holds one
    customer recorder: the baseline StackSet's would fail there. Only a read
    in each account (``--deep``) says which accounts really run one.
    See: https://docs.aws.amazon.com/controltower/latest/userguide/config-integration.html
    See: https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
    """
    if not tower.present:
        return []
    reached = set(_reached(config, organization))
    governed: dict[str, int] = {}
    for unit in tower.per_target():
        count = sum(1 for a in organization.accounts_below(unit) if a.id in reached)
        if count:
            governed[organization.path(unit)] = count
    if not governed:
        return []
    where = ", ".join(f"{path} ({n} account{'s' * (n != 1)})" for path, n in governed.items())
    return [
        f"Control Tower governs OUs the baseline reaches: {where}. Their accounts are likely "
        "enrolled and run Control Tower's AWS Config recorder, which the baseline's would clash "
        "with (one per region). Run `make deploy ARGS=--deep` to read each account's recorders "
        f"(it assumes {config.account_access_role_name} there, or --role), or "
        "leave those OUs out of baseline.targets"
    ]
