"""Generate a valid landing-zone config of N accounts across M business units.

The config is the example (``config/example.yaml``) with its OU tree and
accounts replaced: the standard OUs (Security, Infrastructure, Sandbox,
Workloads with Prod/SDLC, Suspended) plus M business-unit subtrees
``bu-01`` ... ``bu-M``, each with its own Prod and SDLC OU and the workload
and production guardrail packs. The log-archive and audit accounts count
towards N; the other N - 2 accounts are spread round-robin over the business
units' Prod and SDLC OUs. Every tenth workload account is adopted by id (as
in a brownfield organization), the rest are created.

Usage: python bench/make_org.py --accounts 1000 --business-units 50 [-o out.yaml]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "example.yaml"


def business_unit_key(index: int) -> str:
    return f"bu-{index + 1:02d}"


def make_org(*, accounts: int, business_units: int) -> dict[str, Any]:
    """The example config, grown to ``accounts`` accounts across ``business_units`` BUs."""
    if accounts < 2:
        raise ValueError("accounts must be at least 2 (the log-archive and audit accounts)")
    if business_units < 1:
        raise ValueError("business_units must be at least 1")
    config: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    prefix = config["prefix"]
    units: dict[str, Any] = {
        "security": {"name": "Security"},
        "infrastructure": {"name": "Infrastructure"},
        "sandbox": {"name": "Sandbox"},
        "workloads": {
            "name": "Workloads",
            "children": {"prod": {"name": "Prod"}, "sdlc": {"name": "SDLC"}},
        },
        "suspended": {"name": "Suspended"},
    }
    attachments: dict[str, list[str]] = {
        "root": ["core", "region-deny", "data-perimeter"],
        "security": ["log-archive"],
        "sandbox": ["sandbox"],
        "workloads": ["workload"],
        "prod": ["production"],
        "suspended": ["suspended"],
    }
    leaves: list[str] = []
    for index in range(business_units):
        bu = business_unit_key(index)
        units[bu] = {
            "name": f"BU{index + 1:02d}",
            "children": {f"{bu}-prod": {"name": "Prod"}, f"{bu}-sdlc": {"name": "SDLC"}},
        }
        attachments[bu] = ["workload"]
        attachments[f"{bu}-prod"] = ["production"]
        leaves += [f"{bu}-prod", f"{bu}-sdlc"]
    workload_accounts: dict[str, Any] = {}
    for index in range(accounts - 2):
        key = f"acct-{index + 1:04d}"
        account: dict[str, Any] = {"name": f"{prefix}-{key}", "ou": leaves[index % len(leaves)]}
        if index % 10 == 9:
            # Adopted ids: 2xxxxxxxxxxx, clear of the example's management account.
            account["account_id"] = f"{200000000000 + index:012d}"
        else:
            account["email"] = f"aws+{key}@acme.example"
        workload_accounts[key] = account
    created = sum(1 for a in workload_accounts.values() if "email" in a)
    # About 400 created accounts per account stack: a stack holds 500
    # resources, and the hash spreads keys only roughly evenly.
    config["organization"]["account_stacks"] = max(1, math.ceil(created / 400))
    config["organizational_units"] = units
    config["workload_accounts"] = workload_accounts
    config["guardrails"]["attachments"] = attachments
    config["baseline"]["targets"] = [
        "security",
        "infrastructure",
        "sandbox",
        "workloads",
        *(business_unit_key(i) for i in range(business_units)),
    ]
    # Security Hub: the example's default and sandbox policies; the regulated
    # policy follows the first business unit instead of Payments.
    policies = config["detection"]["security_hub"]["policies"]
    policies["regulated"]["targets"] = [business_unit_key(0)]
    # The FAIL-mode Guard hook likewise: the first business unit's Prod OU.
    config["proactive_controls"]["fail_on"] = [f"{business_unit_key(0)}-prod"]
    _identity_center(config, business_units=business_units, accounts=accounts)
    return config


def _identity_center(config: dict[str, Any], *, business_units: int, accounts: int) -> None:
    """Five group assignments per account: three on the root, a developer and a reader
    permission set by the account's SDLC or Prod OU."""
    center = config["identity"]["identity_center"]
    # The example's inline policy file is relative to the example; the rest is the same.
    center["permission_sets"]["view-only"].pop("inline_policy")
    bus = [business_unit_key(i) for i in range(business_units)]
    center["assignments"] = [
        {"group": "aws-platform-admins", "permission_set": "admin", "targets": ["root"]},
        {"group": "aws-security-auditors", "permission_set": "security-audit", "targets": ["root"]},
        {"group": "aws-finops", "permission_set": "billing", "targets": ["root"]},
        {"group": "aws-readers", "permission_set": "view-only", "targets": ["root"]},
        {
            "group": "aws-developers",
            "permission_set": "power-user",
            "targets": ["sdlc", *(f"{bu}-sdlc" for bu in bus)],
        },
        {
            "group": "aws-developers",
            "permission_set": "view-only",
            "targets": ["prod", *(f"{bu}-prod" for bu in bus)],
        },
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, required=True, help="N, core accounts included")
    parser.add_argument("--business-units", type=int, required=True, help="M")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args()
    text = "# Generated by bench/make_org.py; do not edit.\n" + yaml.safe_dump(
        make_org(accounts=args.accounts, business_units=args.business_units), sort_keys=False
    )
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
