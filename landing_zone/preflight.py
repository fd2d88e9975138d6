"""Checks `make deploy` runs before `cdk deploy --all`, with the one-time manual steps.

Read-only AWS calls with the operator's credentials: who am I, is this the
management account of the configured organization with all features enabled,
is the configured root id right, is every governed region CDK-bootstrapped
(the management account's baseline is one stack per region), does the
management account already run an AWS Config recorder the baseline would
clash with, does the organization's account quota leave room for the
accounts the config creates, and would the organization conformance pack
reach an account without a recorder. It also reports, as information,
which centralized root access features the organization has on.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, ProfileNotFound
from botocore.exceptions import ConnectionError as EndpointUnreachable

from landing_zone.config import ConfigError, CoreReference, LandingZoneConfig, load_config
from landing_zone.config.identity import ROOT_ACCESS_FEATURES, root_access_enabled
from landing_zone.detection_services import BY_KEY as SERVICE
from landing_zone.identity_center import center_of
from landing_zone.naming import resource_name, stack_id
from landing_zone.org_tree import ROOT

BOOTSTRAP_STACK = "CDKToolkit"
# How the preflight names the centralized root access features.
ROOT_ACCESS_NAMES = {
    "RootCredentialsManagement": "root credentials management",
    "RootSessions": "root sessions",
}

# The Service Quotas name of the organization's account quota. Quota codes
# may change over time, names do not: the quota is looked up by name.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
ACCOUNT_QUOTA_NAME = "Default maximum number of accounts"
# The documented default, used when Service Quotas does not list the quota.
DEFAULT_ACCOUNT_QUOTA = 10
# ExcludedAccounts of an organization conformance pack holds at most 1,000 ids.
# See: https://docs.aws.amazon.com/config/latest/APIReference/API_PutOrganizationConformancePack.html
MAX_EXCLUDED_ACCOUNTS = 1000


def deploy_regions(config: LandingZoneConfig) -> tuple[str, ...]:
    """Regions this fork deploys management-account stacks to (a business unit: home only)."""
    return (config.regions.home,) if config.business_unit else config.baseline_region_order


def manual_steps(config: LandingZoneConfig) -> str:
    """The one-time steps no stack can do for you, as `make deploy` prints them."""
    return "\n".join(manual_step_lines(config))


def manual_step_lines(config: LandingZoneConfig) -> list[str]:
    """The organization's one-time steps, then those this config's settings need, numbered.

    The first three are always there (``check`` refers to steps 1 and 2 by number).
    """
    account = config.organization.management_account_id
    bootstrap = [
        f"       npx cdk bootstrap aws://{account}/{region}" for region in deploy_regions(config)
    ]
    center = center_of(config)
    if center is not None and center.region not in deploy_regions(config):
        bootstrap.append(
            f"       npx cdk bootstrap aws://{account}/{center.region}   # Identity Center's region"
        )
    lines = [
        "One-time manual steps (management account, administrator credentials):",
        "  1. Enable all features in AWS Organizations (not only consolidated billing):",
        "       aws organizations enable-all-features   # then accept in every member account",
        "     See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html",
        *(
            [
                "  2. Bootstrap CDK in the management account in the home region (every stack",
                "     of a business unit deploys there; member accounts are never bootstrapped,",
                "     they get everything through service-managed StackSets):",
            ]
            if config.business_unit
            else [
                "  2. Bootstrap CDK in the management account in every governed region (its",
                "     baseline is one stack per region; member accounts are never bootstrapped,",
                "     they get everything through service-managed StackSets):",
            ]
        ),
        *bootstrap,
        "  3. Check organization.id, organization.root_id and management_account_id in",
        "     your config against `aws organizations describe-organization` and",
        "     `aws organizations list-roots`.",
    ]
    for number, (first, *rest) in enumerate(config_steps(config), start=4):
        lines.append(f"  {number}. {first}")
        lines.extend(f"     {line}" for line in rest)
    return lines


def config_steps(config: LandingZoneConfig) -> list[list[str]]:
    """The one-time steps this config's own settings need, each as its lines."""
    steps: list[list[str]] = []
    center = center_of(config)
    if center is not None:
        groups = ", ".join(dict.fromkeys(a.group for a in center.assignments)) or "none yet"
        steps.append(
            [
                f"Enable IAM Identity Center (organization instance) in {center.region}, connect",
                "the identity source and sync the groups the assignments name (SCIM):",
                f"  {groups}",
                f"then copy `aws sso-admin list-instances --region {center.region}` into",
                "identity.identity_center (instance_arn, identity_store_id); docs/identity.md.",
                "See: https://docs.aws.amazon.com/singlesignon/latest/userguide/enable-identity-center.html",
            ]
        )
    trusted = [
        principal
        for role in config.identity.break_glass.values()
        for principal in role.trusted_principals
    ]
    if trusted:
        # IAM stores a trust policy's principal as its unique id, so it refuses
        # one that does not exist yet.
        steps.append(
            [
                "Create the break-glass trusted principals before the first deploy (a trust",
                "policy naming one that does not exist is refused), each with an MFA device:",
                *(f"  {principal}" for principal in dict.fromkeys(trusted)),
                "See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles",
            ]
        )
    slack = config.detection.notifications.slack
    if slack is not None and (not config.business_unit or config.business_unit_alerts()):
        # The channel configuration needs a workspace id that only the console's
        # authorization flow with Slack creates.
        steps.append(
            [
                f"Authorize the Slack workspace {slack.workspace_id} in the AWS Chatbot console of",
                "the audit account before the first deploy (findings go to channel "
                f"{slack.channel_id}).",
                "See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-chatbot-slackchannelconfiguration.html",
            ]
        )
    adopted = [account for _, account in config.all_accounts() if account.adopted]
    if adopted:
        steps.append(
            [
                "Move each adopted account into its OU once the OU exists (this app never",
                "moves an account): `aws organizations move-account --account-id <id>",
                "--source-parent-id <its parent> --destination-parent-id <the OU's id>`:",
                *_at_most(
                    [f"  {a.account_id} ({a.name}) -> {a.ou}" for a in adopted],
                    what="(the OU tree of `make synth` lists every adopted account)",
                ),
            ]
        )
        if root_access_enabled(config):
            steps.append(
                [
                    "Delete the root credentials the adopted accounts above already have",
                    "(centralized root access deletes none): docs/identity.md, 'Deleting the",
                    "root credentials members already have'.",
                    "See: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html",
                ]
            )
    recipients = subscription_emails(config)
    if recipients:
        # SNS sends each address a confirmation message; the subscription
        # delivers nothing until its link is followed.
        steps.append(
            [
                "Confirm each email subscription (the link in the confirmation message SNS",
                "sends each address after the deploy; until then nothing is delivered there):",
                *(f"  {email} ({what})" for email, what in recipients.items()),
                "See: https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html",
            ]
        )
    return steps


# A list in a step longer than this shows its first entries and a count.
STEP_LIST_LIMIT = 10


def _at_most(lines: list[str], *, what: str) -> list[str]:
    """The first :data:`STEP_LIST_LIMIT` of ``lines``, then how many more, and ``what`` says."""
    if len(lines) <= STEP_LIST_LIMIT:
        return lines
    return [*lines[:STEP_LIST_LIMIT], f"  ... and {len(lines) - STEP_LIST_LIMIT} more {what}"]


def subscription_emails(config: LandingZoneConfig) -> dict[str, str]:
    """Email address -> what it receives, for every SNS email subscription of this fork."""
    emails: dict[str, list[str]] = {}
    if not config.business_unit:
        for email in config.monitoring.alarm_emails:
            emails.setdefault(email, []).append("security alarms")
    if not config.business_unit or config.business_unit_alerts():
        for email in config.detection.notifications.emails:
            emails.setdefault(email, []).append("findings alerts")
    return {email: ", ".join(what) for email, what in emails.items()}


def credentials_problem(config: LandingZoneConfig, session: Any) -> str | None:
    """Why the credentials in use cannot deploy this config, in one line, or None.

    Checked before anything else (and before `cdk diff`, whose own error is
    pages long): no credentials, expired or revoked ones, or another account's.
    GetCallerIdentity needs no permission, so any error it answers is the
    credentials'; only not reaching STS at all is not.
    See: https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
    """
    management = config.organization.management_account_id
    region = config.regions.home
    try:
        identity = session.client("sts", region_name=region).get_caller_identity()
    except (EndpointUnreachable, HTTPClientError) as error:
        return f"cannot reach AWS STS in {region} ({_one_line(error)}); check the network or proxy"
    except (ClientError, BotoCoreError) as error:
        profile = os.environ.get("AWS_PROFILE")
        login = (
            f"aws sso login --profile {profile}"
            if profile
            else "e.g. aws sso login --profile <profile>, then export AWS_PROFILE=<profile>"
        )
        return (
            f"no usable AWS credentials ({_one_line(error)}); log in to the management account "
            f"{management} ({login})"
        )
    if identity["Account"] != management:
        return (
            f"credentials are for account {identity['Account']}, not the management account "
            f"{management}; switch profile (AWS_PROFILE) or fix the config"
        )
    return None


def _one_line(error: Exception) -> str:
    """``error``'s text on one line: a credential_process's error carries its whole stderr.

    See: https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-sourcing-external.html
    """
    return " ".join(str(error).split())


@dataclass(frozen=True)
class ManagementCheck:
    """Whether the credentials are the configured management account's, and what is wrong.

    ``reachable``: Organizations could be read as that account, so the
    checks that read the organization can run (``problems`` may still say
    that its id, root or feature set differ from the config).
    """

    problems: list[str]
    reachable: bool


def management_check(config: LandingZoneConfig, session: Any) -> ManagementCheck:
    """Who am I, and is this the management account of the configured organization and root.

    Shared by ``make deploy`` (this module) and ``make verify`` (``landing_zone.verify``).
    """
    problems: list[str] = []
    expected = config.organization
    credentials = credentials_problem(config, session)
    if credentials is not None:
        return ManagementCheck([credentials], reachable=False)
    organizations = session.client("organizations", region_name=global_region(config))
    try:
        organization = organizations.describe_organization()["Organization"]
        roots = organizations.list_roots()["Roots"]
    except (ClientError, BotoCoreError) as error:
        return ManagementCheck(
            [f"cannot read AWS Organizations ({error}); is this account in an organization?"],
            reachable=False,
        )
    if organization["Id"] != expected.id:
        problems.append(f"organization is {organization['Id']}, config says {expected.id}")
    if organization.get("FeatureSet") != "ALL":
        problems.append(
            "all features are not enabled in AWS Organizations (SCPs, RCPs and delegated "
            "administrators need them); see step 1 below"
        )
    root_ids = [root["Id"] for root in roots]
    if expected.root_id not in root_ids:
        problems.append(f"root is {', '.join(root_ids)}, config says {expected.root_id}")
    return ManagementCheck(problems, reachable=True)


def check(
    config: LandingZoneConfig, session: Any, *, deep: bool = False, role: str | None = None
) -> list[str]:
    """Return the failed prerequisites (empty when ready to deploy).

    ``deep``: also read each member account's AWS Config recorders through
    ``role`` (default: the config's ``account_access_role_name``).
    """
    management = management_check(config, session)
    problems = list(management.problems)
    if not management.reachable:
        return problems
    recorded = member_recorders(config, session, role=role) if deep else None
    problems.extend(organization_problems(config, session, recorded=recorded))
    if not management.problems:
        # What exists already and would make the deploy fail halfway; read by
        # the config's organization and root, so only once they are right.
        problems.extend(brownfield_problems(config, session, recorded=recorded))
    if config.core is not None:
        return problems + _core_problems(config, config.core, session)
    ours = resource_name(config.prefix, "ConfigRecorder")
    for region in config.baseline_region_order:
        cloudformation = session.client("cloudformation", region_name=region)
        try:
            cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)
        except ClientError:
            problems.append(
                f"CDK is not bootstrapped in {region} (no {BOOTSTRAP_STACK} stack); "
                "see step 2 below"
            )
        # An account holds one customer-managed recorder per region; another
        # one (the console's "default", an old Control Tower or LZA setup)
        # makes the baseline's recorder fail. Service-linked recorders of
        # other AWS services do not count.
        # See: https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
        try:
            recorders = session.client(
                "config", region_name=region
            ).describe_configuration_recorders()
        except (ClientError, BotoCoreError) as error:
            problems.append(f"cannot read AWS Config recorders in {region} ({error})")
            continue
        for name in customer_recorders(recorders.get("ConfigurationRecorders", [])):
            if name != ours:
                problems.append(
                    f"the management account already has the AWS Config recorder '{name}' in "
                    f"{region}; the baseline creates '{ours}' and a region holds one. Delete "
                    f"it first (aws configservice delete-delivery-channel, then "
                    f"delete-configuration-recorder --configuration-recorder-name {name} "
                    f"--region {region}); its history stays in its bucket"
                )
    return problems


def customer_recorders(recorders: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names of the customer-managed recorders among ``recorders`` (one per region at most).

    Service-linked recorders (``servicePrincipal`` set) belong to other AWS
    services and do not take the place the baseline's recorder needs.
    See: https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
    """
    return [str(r.get("name", "")) for r in recorders if not r.get("servicePrincipal")]


def member_recorders(config: LandingZoneConfig, session: Any, *, role: str | None) -> Recorded:
    """``--deep``: the member accounts' recorders, through a role assumed in each."""
    from landing_zone.brownfield import MemberRecorders  # it reads through verify, which imports us

    return MemberRecorders(config, session, role=role)


def brownfield_problems(
    config: LandingZoneConfig, session: Any, *, recorded: Recorded | None
) -> list[str]:
    """What the organization holds already that the deploy would clash with."""
    from landing_zone.brownfield import problems  # it reads through verify, which imports us

    return problems(config, session, recorded=recorded)


def root_access_status(config: LandingZoneConfig, session: Any) -> str | None:
    """Which centralized root access features the organization has on: information only.

    Core mode only (a business unit does not own them). Read with IAM's
    ListOrganizationsFeatures, which fails with ServiceAccessNotEnabled while
    IAM has no trusted access in the organization.
    See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
    """
    if config.business_unit:
        return None
    wanted = root_access_enabled(config)
    try:
        listed = (
            session.client("iam", region_name=global_region(config))
            .list_organizations_features()
            .get("EnabledFeatures", [])
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ServiceAccessNotEnabledException":
            return f"Centralized root access: could not be read ({error})"
        listed = []
    on = [feature for feature in ROOT_ACCESS_FEATURES if feature in listed]
    state = ", ".join(
        f"{ROOT_ACCESS_NAMES[feature]} {'on' if feature in on else 'off'}"
        for feature in ROOT_ACCESS_FEATURES
    )
    if wanted and len(on) < len(ROOT_ACCESS_FEATURES):
        return f"Centralized root access: {state}; this deploy turns the rest on."
    if not wanted and on:
        return (
            f"Centralized root access: {state}; identity.root_access.enabled is false, but "
            "the landing zone never turns them off (docs/identity.md says how, by hand)."
        )
    return f"Centralized root access: {state}."


def global_region(config: LandingZoneConfig) -> str:
    """Where the global Organizations API and its quotas are served in this partition.

    In the commercial partition, Organizations is hosted in us-east-1 and its
    quotas are read there; elsewhere the home region's endpoint resolves to
    the partition's own.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """
    return organizations_region(config.partition, config.regions.home)


def organizations_region(partition: str, home: str) -> str:
    """:func:`global_region` before there is a config (``make import``)."""
    return "us-east-1" if partition == "aws" else home


@dataclass(frozen=True)
class OrgAccount:
    """An account as AWS Organizations lists it."""

    id: str
    name: str
    email: str
    state: str


#: Account id -> None when it records in every governed region, else why not
#: (``--deep``: read through a role in each account, landing_zone.brownfield).
Recorded = Callable[[Sequence[OrgAccount]], Mapping[str, str | None]]


def list_accounts(organizations: Any) -> list[OrgAccount]:
    """Every account of the organization, whatever its state (closed ones count too)."""
    return [
        OrgAccount(
            id=account["Id"],
            name=account.get("Name", ""),
            email=account.get("Email", "").lower(),
            # ``State`` replaces the deprecated ``Status``.
            # See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
            state=account.get("State") or account.get("Status", "ACTIVE"),
        )
        for page in organizations.get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
    ]


def organization_problems(
    config: LandingZoneConfig, session: Any, *, recorded: Recorded | None = None
) -> list[str]:
    """The account quota, and (core mode) the accounts the conformance pack would fail on."""
    organizations = session.client("organizations", region_name=global_region(config))
    try:
        accounts = list_accounts(organizations)
    except (ClientError, BotoCoreError) as error:
        return [f"cannot list the organization's accounts ({error})"]
    problems = account_quota_problems(
        config,
        accounts=accounts,
        organizations=organizations,
        quotas=session.client("service-quotas", region_name=global_region(config)),
    )
    if not config.business_unit and SERVICE["conformance_pack"].enabled(config.detection):
        try:
            problems.extend(
                recorder_problems(
                    config, accounts=accounts, organizations=organizations, recorded=recorded
                )
            )
        except (ClientError, BotoCoreError) as error:
            problems.append(f"cannot read the organization's OUs ({error})")
    return problems


def accounts_to_create(config: LandingZoneConfig, accounts: Sequence[OrgAccount]) -> list[str]:
    """Keys of the accounts this config creates that the organization does not hold yet.

    A created account is known by its email: Organizations requires every
    account's email to be unique.
    """
    emails = {account.email for account in accounts}
    return [
        key
        for key, account in config.all_accounts()
        if account.email is not None and account.email.lower() not in emails
    ]


def account_quota_problems(
    config: LandingZoneConfig,
    *,
    accounts: Sequence[OrgAccount],
    organizations: Any,
    quotas: Any,
) -> list[str]:
    """The organization's account quota holds its accounts, its pending invitations and
    the accounts this config creates.

    New organizations may start below the default of 10, every account
    counts until it is permanently closed, and "Invitations sent to accounts
    count against this quota" until the account declines, the management
    account cancels or the invitation expires. CloudFormation creates
    accounts one after another: without this check, a deploy stops at the
    first one over the quota with the ones before it created and retained.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
    """
    new = accounts_to_create(config, accounts)
    if not new:
        return []
    try:
        quota = account_quota(quotas)
    except (ClientError, BotoCoreError) as error:
        return [
            f"cannot read the organization's account quota from Service Quotas ({error}); "
            f"this config creates {len(new)} account(s)"
        ]
    try:
        invited = pending_invitations(organizations)
    except (ClientError, BotoCoreError) as error:
        return [
            f"cannot list the organization's pending invitations ({error}), which count "
            f"against its account quota; this config creates {len(new)} account(s)"
        ]
    limit = int(quota["Value"]) if quota else DEFAULT_ACCOUNT_QUOTA
    needed = len(accounts) + invited + len(new)
    if needed <= limit:
        return []
    code = quota["QuotaCode"] if quota else "<quota-code>"
    region = global_region(config)
    pending = f", {invited} pending invitation(s)" if invited else ""
    return [
        f"the organization has {len(accounts)} account(s){pending} and this config creates "
        f"{len(new)} more ({', '.join(new)}): {needed} in all, over its quota of {limit} "
        f"('{ACCOUNT_QUOTA_NAME}'{'' if quota else ', documented default'}). The deploy "
        "would stop at the first account over it, with the ones before it created. Raise "
        f"the quota to at least {needed} first: Service Quotas console ({region}) > AWS "
        f"Organizations > '{ACCOUNT_QUOTA_NAME}', or `aws service-quotas "
        f"request-service-quota-increase --service-code organizations --quota-code {code} "
        f"--desired-value {needed} --region {region}` (only the management account can "
        "ask; AWS Support can help), or create fewer accounts"
    ]


#: Handshake states of an invitation still waiting for an answer: it counts
#: against the account quota until it is declined, canceled or expires.
#: See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_Handshake.html
PENDING_HANDSHAKE_STATES = frozenset({"REQUESTED", "OPEN"})


def pending_invitations(organizations: Any) -> int:
    """How many invitations to join the organization are still unanswered.

    See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListHandshakesForOrganization.html
    """
    paginator = organizations.get_paginator("list_handshakes_for_organization")
    return sum(
        1
        for page in paginator.paginate(Filter={"ActionType": "INVITE"})
        for handshake in page["Handshakes"]
        if handshake.get("State") in PENDING_HANDSHAKE_STATES
    )


def account_quota(quotas: Any) -> Mapping[str, Any] | None:
    """The account quota as applied to this organization, else its AWS default, else None.

    ListServiceQuotas lists applied values only where Service Quotas has
    them; ListAWSDefaultServiceQuotas always has the default.
    See: https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html
    """
    for operation in ("list_service_quotas", "list_aws_default_service_quotas"):
        for page in quotas.get_paginator(operation).paginate(ServiceCode="organizations"):
            for quota in page["Quotas"]:
                if quota.get("QuotaName") == ACCOUNT_QUOTA_NAME and "Value" in quota:
                    return dict(quota)
    return None


def recorder_problems(
    config: LandingZoneConfig,
    *,
    accounts: Sequence[OrgAccount],
    organizations: Any,
    recorded: Recorded | None = None,
) -> list[str]:
    """Every account the conformance pack reaches has a recorder: the baseline's, or
    (``recorded``, read with ``--deep``) its own in every governed region.

    An organization conformance pack fails as a whole
    (NoAvailableConfigurationRecorderException) when one account it reaches
    has no Config recorder. The pack excludes the accounts config places
    outside the baseline (``LandingZoneConfig.conformance_pack_exclusions``);
    the organization may hold others: adopted accounts not yet moved into
    their OU, accounts this config does not name, accounts moved to an OU
    the baseline does not target (Suspended), whose recorder the StackSet
    removes. Where each account really sits is what counts.
    See: https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-organization-apis.html
    """
    excluded = _excluded_ids(config, accounts)
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    reached = set(_reached_ids(config, organizations, root_id=root_id))
    management = config.organization.management_account_id
    missing = [
        account
        for account in accounts
        if account.id != management and account.id not in reached and account.id not in excluded
    ]
    why = dict.fromkeys((a.id for a in missing), "")
    if recorded is not None and missing:
        # An account recording on its own in every governed region is fine.
        why = {
            account_id: reason
            for account_id, reason in recorded(missing).items()
            if reason is not None
        }
        missing = [account for account in missing if account.id in why]
    problems = []
    if missing:
        listed = ", ".join(
            f"{a.id} ({a.name}{'' if a.state == 'ACTIVE' else ', ' + a.state}"
            + (f": {why[a.id]}" if why.get(a.id) else "")
            + ")"
            for a in missing
        )
        problems.append(
            f"{len(missing)} account(s) of the organization would get no AWS Config recorder "
            "from the baseline (they are not in an OU of baseline.targets), yet the "
            f"organization conformance pack would reach them and fail: {listed}. Move each "
            "into an OU the baseline targets (`aws organizations move-account`), or add its "
            "id to baseline.excluded_accounts with the reason (the pack then excludes it too)"
            + (
                ""
                if recorded is not None
                else "; one that runs its own recorder in every governed region passes "
                "`make deploy ARGS=--deep`, which reads it through a role in the account"
            )
        )
    total = len(excluded | {a.id for a in missing})
    if total > MAX_EXCLUDED_ACCOUNTS:
        problems.append(
            f"the organization conformance pack would have to exclude {total} accounts; it "
            f"can exclude at most {MAX_EXCLUDED_ACCOUNTS}. Target more OUs with the baseline, "
            "or set detection.conformance_pack.enabled: false"
        )
    return problems


def _excluded_ids(config: LandingZoneConfig, accounts: Sequence[OrgAccount]) -> set[str]:
    """The ids of the accounts the conformance pack excludes (created ones found by email)."""
    by_email = {account.email: account.id for account in accounts}
    known = dict(config.all_accounts())
    ids: set[str] = set()
    for entry in config.conformance_pack_exclusions():
        account = known.get(entry)
        if account is None:
            ids.add(entry)  # a raw id from baseline.excluded_accounts
        elif account.account_id is not None:
            ids.add(account.account_id)
        elif account.email is not None and account.email.lower() in by_email:
            ids.add(by_email[account.email.lower()])
    return ids


def _reached_ids(config: LandingZoneConfig, organizations: Any, *, root_id: str) -> Iterator[str]:
    """Ids of the accounts under the baseline's targets as they are now, less its exclusions.

    A target OU is found by its name under its parent's, as the organization
    stack creates it; one that does not exist yet holds no account yet.
    """
    targets = config.baseline.targets
    excluded = set(config.baseline.excluded_accounts)
    ids: list[str] = []
    for target in targets:
        unit = root_id if target == ROOT else _unit_id(config, organizations, target, root_id)
        if unit is not None:
            ids.extend(_accounts_below(organizations, unit))
    known = dict(config.all_accounts())
    excluded_ids = {
        (known[entry].account_id or "") if entry in known else entry for entry in excluded
    }
    return (account for account in ids if account not in excluded_ids)


def _children(organizations: Any, parent: str) -> dict[str, str]:
    """Name -> id of the OUs directly under ``parent``."""
    paginator = organizations.get_paginator("list_organizational_units_for_parent")
    return {
        unit["Name"]: unit["Id"]
        for page in paginator.paginate(ParentId=parent)
        for unit in page["OrganizationalUnits"]
    }


def _unit_id(config: LandingZoneConfig, organizations: Any, key: str, root_id: str) -> str | None:
    """The id of the OU ``key`` of the config, found by names from the root; None if absent."""
    names = {unit_key: unit.name for unit_key, unit, _, _ in config.walk_units()}
    parent = root_id
    for step in config.tree.path(key)[1:]:
        found = _children(organizations, parent).get(names[step])
        if found is None:
            return None
        parent = found
    return parent


def _accounts_below(organizations: Any, parent: str) -> Iterator[str]:
    """Ids of the accounts in ``parent`` and every OU below it."""
    for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
        for account in page["Accounts"]:
            yield account["Id"]
    for child in _children(organizations, parent).values():
        yield from _accounts_below(organizations, child)


def _core_problems(config: LandingZoneConfig, core: CoreReference, session: Any) -> list[str]:
    """A business unit's prerequisites: the core it adopts is deployed, its ids are right.

    It deploys in the home region only, and never creates a recorder in the
    management account (the core's baseline has one there).
    """
    problems: list[str] = []
    region = config.regions.home
    cloudformation = session.client("cloudformation", region_name=region)
    for stack in (BOOTSTRAP_STACK, stack_id(core.prefix, "Organization")):
        try:
            cloudformation.describe_stacks(StackName=stack)
        except ClientError:
            problems.append(
                f"CDK is not bootstrapped in {region} (no {BOOTSTRAP_STACK} stack); see step 2 "
                "below"
                if stack == BOOTSTRAP_STACK
                else f"the core's stack {stack} is not deployed in {region}; deploy the core "
                f"fork first, or fix core.prefix ('{core.prefix}')"
            )
    organizations = session.client("organizations", region_name=global_region(config))
    if core.parent_ou_id.startswith("ou-"):
        try:
            organizations.describe_organizational_unit(OrganizationalUnitId=core.parent_ou_id)
        except ClientError as error:
            problems.append(
                f"core.parent_ou_id {core.parent_ou_id} cannot be read ({error}); list the "
                "core's OUs with `aws organizations list-organizational-units-for-parent`"
            )
    for field_name, account_id in (
        ("log_archive_account_id", core.log_archive_account_id),
        ("audit_account_id", core.audit_account_id),
    ):
        try:
            account = organizations.describe_account(AccountId=account_id)["Account"]
        except ClientError as error:
            problems.append(f"core.{field_name} {account_id} is not in the organization ({error})")
            continue
        if account.get("Status", "ACTIVE") != "ACTIVE":
            problems.append(f"core.{field_name} {account_id} is {account['Status']}, not ACTIVE")
    return problems


def default_session() -> tuple[Any, str | None]:
    """boto3's session from the environment, or why there is none (an unknown profile)."""
    try:
        return boto3.Session(), None
    except ProfileNotFound as error:
        return None, (
            f"AWS credentials: {error}; set AWS_PROFILE to a profile of ~/.aws/config "
            "(`aws configure list-profiles`) or unset it"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m landing_zone.preflight")
    parser.add_argument("config", type=Path)
    parser.add_argument(
        "--credentials-only",
        action="store_true",
        help="only check that the credentials are the management account's (make diff)",
    )
    parser.add_argument(
        "--make-target",
        choices=("deploy", "diff"),
        help="the make target to run again once the credentials are right",
    )
    parser.add_argument(
        "--deep",
        action="store_true",
        help="also read each member account's AWS Config recorders, through a role assumed "
        "in it (--role)",
    )
    parser.add_argument(
        "--role",
        help="the role --deep assumes in each member account (default: the config's "
        "account_access_role_name, OrganizationAccountAccessRole unless set)",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    again = (
        f"make {args.make_target} CONFIG={shlex.quote(str(args.config))}"
        if args.make_target
        else f"python -m landing_zone.preflight {shlex.quote(str(args.config))}"
    )
    # Credentials first, in one line and exit 2: without them nothing below
    # (nor cdk) can run, and the fix is the same whatever else is missing.
    session, unusable = default_session()
    if unusable is not None:
        print(f"{unusable}, then run `{again}` again", file=sys.stderr)
        return 2
    problem = credentials_problem(config, session)
    if problem is not None:
        print(f"{problem}, then run `{again}` again", file=sys.stderr)
        return 2
    if args.credentials_only:
        return 0
    print(manual_steps(config))
    print()
    problems = check(config, session, deep=args.deep, role=args.role)
    if problems:
        print("Deployment prerequisites not met:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(
        f"Prerequisites ok: management account {config.organization.management_account_id}, "
        f"organization {config.organization.id} with all features, "
        f"CDK bootstrapped in {', '.join(deploy_regions(config))}"
        + (
            f", the core {config.core.prefix} deployed."
            if config.core is not None
            else ", no other Config recorder."
        )
    )
    status = root_access_status(config, session)
    if status is not None:
        print(status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
