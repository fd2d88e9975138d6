"""Checks `make deploy` runs before `cdk deploy --all`, with the one-time manual steps.

Read-only AWS calls with the operator's credentials: who am I, is this the
management account of the configured organization with all features enabled,
is the configured root id right, is the home region CDK-bootstrapped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from landing_zone.config import ConfigError, LandingZoneConfig, load_config

BOOTSTRAP_STACK = "CDKToolkit"


def manual_steps(config: LandingZoneConfig) -> str:
    """The one-time steps no stack can do for you."""
    account = config.organization.management_account_id
    region = config.regions.home
    return "\n".join(
        [
            "One-time manual steps (management account, administrator credentials):",
            "  1. Enable all features in AWS Organizations (not only consolidated billing):",
            "       aws organizations enable-all-features   # then accept in every member account",
            "     See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html",
            "  2. Bootstrap CDK in the management account's home region (only there; members",
            "     get everything through service-managed StackSets):",
            f"       npx cdk bootstrap aws://{account}/{region}",
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
    cloudformation = session.client("cloudformation", region_name=config.regions.home)
    try:
        cloudformation.describe_stacks(StackName=BOOTSTRAP_STACK)
    except ClientError:
        problems.append(
            f"CDK is not bootstrapped in {config.regions.home} (no {BOOTSTRAP_STACK} stack); "
            "see step 2 below"
        )
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
    problems = check(config, boto3.Session())
    if problems:
        print("Deployment prerequisites not met:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(
        f"Prerequisites ok: management account {config.organization.management_account_id}, "
        f"organization {config.organization.id} with all features, "
        f"CDK bootstrapped in {config.regions.home}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
