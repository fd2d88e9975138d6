"""Checks `make deploy` runs before `cdk deploy --all`, with the one-time manual steps.

Read-only AWS calls with the operator's credentials: who am I, is this the
management account of the configured organization with all features enabled,
is the configured root id right, is every governed region CDK-bootstrapped
(the management account's baseline is one stack per region), and does the
management account already run an AWS Config recorder the baseline would clash with.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from landing_zone.config import ConfigError, CoreReference, LandingZoneConfig, load_config
from landing_zone.naming import resource_name, stack_id

BOOTSTRAP_STACK = "CDKToolkit"


def deploy_regions(config: LandingZoneConfig) -> tuple[str, ...]:
    """Regions this fork deploys management-account stacks to (a business unit: home only)."""
    return (config.regions.home,) if config.business_unit else config.baseline_region_order


def manual_steps(config: LandingZoneConfig) -> str:
    """The one-time steps no stack can do for you."""
    account = config.organization.management_account_id
    bootstrap = [
        f"       npx cdk bootstrap aws://{account}/{region}" for region in deploy_regions(config)
    ]
    return "\n".join(
        [
            "One-time manual steps (management account, administrator credentials):",
            "  1. Enable all features in AWS Organizations (not only consolidated billing):",
            "       aws organizations enable-all-features   # then accept in every member account",
            "     See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html",
            "  2. Bootstrap CDK in the management account in every governed region (its",
            "     baseline is one stack per region; member accounts are never bootstrapped,",
            "     they get everything through service-managed StackSets):",
            *bootstrap,
            "  3. Check organization.id, organization.root_id and management_account_id in",
            "     your config against `aws organizations describe-organization` and",
            "     `aws organizations list-roots`.",
        ]
    )


def check(config: LandingZoneConfig, session: Any) -> list[str]:
    """Return the failed prerequisites (empty when ready to deploy)."""
    problems: list[str] = []
    expected = config.organization
    try:
        identity = session.client("sts").get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        return [f"no usable AWS credentials ({error}); log in to the management account first"]
    if identity["Account"] != expected.management_account_id:
        problems.append(
            f"credentials are for account {identity['Account']}, not the management account "
            f"{expected.management_account_id}; switch profile (AWS_PROFILE) or fix the config"
        )
        return problems
    organizations = session.client("organizations")
    try:
        organization = organizations.describe_organization()["Organization"]
        roots = organizations.list_roots()["Roots"]
    except (ClientError, BotoCoreError) as error:
        return [f"cannot read AWS Organizations ({error}); is this account in an organization?"]
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
        for recorder in recorders.get("ConfigurationRecorders", []):
            name = recorder.get("name", "")
            if name != ours and not recorder.get("servicePrincipal"):
                problems.append(
                    f"the management account already has the AWS Config recorder '{name}' in "
                    f"{region}; the baseline creates '{ours}' and a region holds one. Delete "
                    f"it first (aws configservice delete-delivery-channel, then "
                    f"delete-configuration-recorder --configuration-recorder-name {name} "
                    f"--region {region}); its history stays in its bucket"
                )
    return problems


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
    organizations = session.client("organizations")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m landing_zone.preflight")
    parser.add_argument("config", type=Path)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    print(manual_steps(config))
    print()
    try:
        session = boto3.Session()
    except ProfileNotFound as error:
        print(
            f"AWS credentials: {error}; set AWS_PROFILE to a profile of ~/.aws/config "
            "(`aws configure list-profiles`) or unset it",
            file=sys.stderr,
        )
        return 2
    problems = check(config, session)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
