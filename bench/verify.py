"""`make verify` against a stubbed organization of 1,000 accounts: wall time and calls by API.

The organization is ``bench/make_org.py``'s (1,000 accounts in 50 business
units), held in memory exactly as the config synthesizes it, so the run is
clean. Every AWS call is answered by real botocore clients with no network:
a "before-call" handler answers from memory after sleeping LATENCY (50 ms by
default), a stand-in for the round trip to AWS, and pages as AWS does
(Organizations at most 20 items a page, ListStackInstances 100). Sleeping
releases the GIL, so verify's thread pool overlaps the waits as it would
overlap real requests. Throttling is not modelled: verify's standard retry
mode handles it, and its cost depends on AWS's rates (docs/performance.md).

Usage: python bench/verify.py [--accounts 1000] [--business-units 50] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import yaml
from botocore.awsrequest import AWSResponse

from bench.make_org import make_org
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.naming import (
    LOG_BUCKET,
    ORGANIZATION_TRAIL,
    log_archive_bucket_name,
    resource_name,
    trail_log_group_arn,
)
from landing_zone.organization_policies import organization_policies
from landing_zone.verify.__main__ import run
from landing_zone.verify.expected import delegated_services, registration_principal

#: Items per page: Organizations' list operations return at most 20.
#: See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccountsForParent.html
PAGE = {"cloudformation": 100}
ORGANIZATIONS_PAGE = 20

Answer = Callable[[dict[str, Any]], dict[str, Any]]


class FakeOrganization:
    """The organization as the config synthesizes it, by the bench's own hand."""

    def __init__(self, config: LandingZoneConfig) -> None:
        self.config = config
        self.root = config.organization.root_id
        self.units: dict[str, tuple[str, str]] = {}  # id -> (name, parent)
        self.ou_ids: dict[str, str] = {}
        for index, (key, unit, parent, _) in enumerate(config.walk_units()):
            self.ou_ids[key] = f"ou-{self.root[2:]}-{index:08d}"
            self.units[self.ou_ids[key]] = (
                unit.name,
                self.root if parent is None else self.ou_ids[parent],
            )
        self.accounts: dict[str, dict[str, Any]] = {}
        self.account_ids: dict[str, str] = {}
        management = config.organization.management_account_id
        self.accounts[management] = self._account(management, "Management", "m@x.example")
        self.parent = {management: self.root}
        for index, (key, account) in enumerate(config.all_accounts()):
            account_id = account.account_id or f"{500000000000 + index}"
            self.account_ids[key] = account_id
            self.accounts[account_id] = self._account(
                account_id, account.name, account.email or f"{key}@adopted.example"
            )
            self.parent[account_id] = self.ou_ids[account.ou]
        self.policies: dict[str, dict[str, Any]] = {}
        self.targets: dict[str, list[str]] = {}
        for index, policy in enumerate(organization_policies(config, plan_guardrails(config))):
            policy_id = f"p-{index:08d}"
            self.policies[policy_id] = {
                "Id": policy_id,
                "Name": policy.name,
                "Type": policy.type,
                "Content": policy.content,
                "AwsManaged": False,
            }
            target = self.root if policy.target == "root" else self.ou_ids[policy.target]
            self.targets[policy_id] = [target]
        for name, kind in (
            ("FullAWSAccess", "SERVICE_CONTROL_POLICY"),
            ("RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY"),
        ):
            self.policies[f"p-{name}"] = {
                "Id": f"p-{name}",
                "Name": name,
                "Type": kind,
                "Content": "{}",
                "AwsManaged": True,
            }
            self.targets[f"p-{name}"] = [self.root, *self.units]
        self.audit = self.account_ids["audit"]
        self.instances = self._instances()

    @staticmethod
    def _account(account_id: str, name: str, email: str) -> dict[str, Any]:
        return {"Id": account_id, "Name": name, "Email": email, "State": "ACTIVE"}

    def _instances(self) -> dict[str, list[dict[str, Any]]]:
        config = self.config
        prefix = config.prefix
        members = [self.account_ids[key] for key in config.baseline_account_keys()]
        everyone = [a for a in self.accounts if a != config.organization.management_account_id]
        home, regions = (config.regions.home,), config.baseline_region_order
        reach = {
            f"{prefix}-LogArchive": ([self.account_ids["log-archive"]], home),
            f"{prefix}-MemberBaseline": (members, regions),
            f"{prefix}-EnforcedGuardHooks": (
                [
                    self.account_ids[key]
                    for key in config.tree.accounts_reached(set(config.proactive_controls.fail_on))
                ],
                regions,
            ),
            f"{prefix}-BreakGlass": (everyone, home),
            f"{prefix}-AuditRegional": ([self.audit], regions),
            f"{prefix}-AuditHome": ([self.audit], home),
        }
        return {
            name: [
                {
                    "Account": account,
                    "Region": region,
                    "Status": "CURRENT",
                    "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"},
                }
                for account in accounts
                for region in where
            ]
            for name, (accounts, where) in reach.items()
        }

    def trail(self) -> dict[str, Any]:
        """The organization trail as the trail stack creates it (GetTrail's fields)."""
        config = self.config
        log_archive, home = self.account_ids["log-archive"], config.regions.home
        return {
            "Name": resource_name(config.prefix, ORGANIZATION_TRAIL),
            "IsOrganizationTrail": True,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "LogFileValidationEnabled": True,
            "S3BucketName": log_archive_bucket_name(config.prefix, LOG_BUCKET, log_archive, home),
            "KmsKeyId": f"arn:aws:kms:{home}:{log_archive}:key/{uuid.UUID(int=0)}",
            "CloudWatchLogsLogGroupArn": trail_log_group_arn(
                partition=config.partition,
                region=home,
                account=config.organization.management_account_id,
                prefix=config.prefix,
            )
            + ":*",
        }

    def answers(self) -> dict[str, dict[str, Answer]]:
        """Service -> operation -> answer (before paging)."""
        config = self.config
        org = {
            "Id": config.organization.id,
            "FeatureSet": "ALL",
            "MasterAccountId": config.organization.management_account_id,
        }
        types = [
            {"Type": t, "Status": "ENABLED"} for t in config.organization_features.policy_types
        ]
        delegated = {registration_principal(s) for s in delegated_services(config)}

        def accounts_for_parent(p: dict[str, Any]) -> dict[str, Any]:
            return {
                "Accounts": [
                    self.accounts[a] for a, parent in self.parent.items() if parent == p["ParentId"]
                ]
            }

        return {
            "sts": {
                "GetCallerIdentity": lambda p: {
                    "Account": config.organization.management_account_id
                }
            },
            "organizations": {
                "DescribeOrganization": lambda p: {"Organization": org},
                "ListRoots": lambda p: {"Roots": [{"Id": self.root, "PolicyTypes": types}]},
                "ListOrganizationalUnitsForParent": lambda p: {
                    "OrganizationalUnits": [
                        {"Id": i, "Name": name}
                        for i, (name, parent) in self.units.items()
                        if parent == p["ParentId"]
                    ]
                },
                "ListAccountsForParent": accounts_for_parent,
                "ListAccounts": lambda p: {"Accounts": list(self.accounts.values())},
                "ListPolicies": lambda p: {
                    "Policies": [
                        {k: v for k, v in policy.items() if k != "Content"}
                        for policy in self.policies.values()
                        if policy["Type"] == p["Filter"]
                    ]
                },
                "DescribePolicy": lambda p: {
                    "Policy": {
                        "PolicySummary": {"Id": p["PolicyId"]},
                        "Content": self.policies[p["PolicyId"]]["Content"],
                    }
                },
                "ListTargetsForPolicy": lambda p: {
                    "Targets": [{"TargetId": t} for t in self.targets[p["PolicyId"]]]
                },
                "ListPoliciesForTarget": lambda p: {
                    "Policies": [
                        {"Id": i, "Name": self.policies[i]["Name"]}
                        for i, targets in self.targets.items()
                        if p["TargetId"] in targets and self.policies[i]["Type"] == p["Filter"]
                    ]
                },
                "ListAWSServiceAccessForOrganization": lambda p: {
                    "EnabledServicePrincipals": [
                        {"ServicePrincipal": s}
                        for s in config.organization_features.trusted_services
                    ]
                },
                "ListDelegatedAdministrators": lambda p: {
                    "DelegatedAdministrators": [{"Id": self.audit}]
                    if p["ServicePrincipal"] in delegated
                    else []
                },
            },
            "cloudformation": {
                "DescribeStackSet": lambda p: {"StackSet": {"Status": "ACTIVE"}},
                "ListStackInstances": lambda p: {"Summaries": self.instances[p["StackSetName"]]},
            },
            "cloudtrail": {
                "GetTrail": lambda p: {"Trail": self.trail()},
                "GetTrailStatus": lambda p: {"IsLogging": True},
                "GetEventSelectors": lambda p: {
                    "AdvancedEventSelectors": [
                        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                    ]
                },
            },
            "guardduty": {
                "ListOrganizationAdminAccounts": lambda p: {
                    "AdminAccounts": [{"AdminAccountId": self.audit, "AdminStatus": "ENABLED"}]
                }
            },
            "securityhub": {
                "ListOrganizationAdminAccounts": lambda p: {
                    "AdminAccounts": [{"AccountId": self.audit, "Status": "ENABLED"}]
                }
            },
            "inspector2": {
                "GetDelegatedAdminAccount": lambda p: {
                    "delegatedAdmin": {"accountId": self.audit, "relationshipStatus": "ENABLED"}
                }
            },
            "macie2": {
                "ListOrganizationAdminAccounts": lambda p: {
                    "adminAccounts": [{"accountId": self.audit, "status": "ENABLED"}]
                }
            },
            "detective": {
                "ListOrganizationAdminAccounts": lambda p: {
                    "Administrators": [{"AccountId": self.audit}]
                }
            },
        }


class FakeSession:
    """Real botocore clients answered from memory after ``latency`` seconds, paged like AWS."""

    def __init__(self, organization: FakeOrganization, *, latency: float) -> None:
        self._answers = organization.answers()
        self._latency = latency
        # Placeholder credentials: no request ever leaves the process.
        self._session = boto3.Session(
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106
            region_name="us-east-1",
        )
        self._lock = threading.Lock()

    def client(self, name: str, *, region_name: str, config: Any = None) -> Any:
        with self._lock:
            client = self._session.client(name, region_name=region_name, config=config)  # type: ignore[call-overload]
        events = f"{client.meta.service_model.service_id.hyphenize()}"
        page = PAGE.get(name, ORGANIZATIONS_PAGE)
        for operation, answer in self._answers.get(name, {}).items():
            client.meta.events.register(f"before-parameter-build.{events}.{operation}", self._keep)
            client.meta.events.register(
                f"before-call.{events}.{operation}", self._answer(answer, page)
            )
        return client

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        context["bench_params"] = dict(params)

    def _answer(self, answer: Answer, page: int) -> Callable[..., Any]:
        def handle(context: dict[str, Any], **kwargs: Any) -> Any:
            time.sleep(self._latency)
            params = context["bench_params"]
            parsed = answer(params)
            for key, value in list(parsed.items()):
                if isinstance(value, list) and len(value) > page:
                    start = int(params.get("NextToken") or 0)
                    parsed[key] = value[start : start + page]
                    if start + page < len(value):
                        parsed["NextToken"] = str(start + page)
            return AWSResponse("https://bench.invalid", 200, {}, None), parsed

        return handle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--business-units", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per call")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "org.yaml"
        data = make_org(accounts=args.accounts, business_units=args.business_units)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        config = load_config(path)
        session = FakeSession(FakeOrganization(config), latency=args.latency)
        out = io.StringIO()
        argv = [str(path), "--json", "--no-progress"]
        if args.workers is not None:
            argv += ["--workers", str(args.workers)]
        started = time.monotonic()
        with contextlib.redirect_stdout(out):
            code = run(argv, session=session)
        wall = time.monotonic() - started
    document = json.loads(out.getvalue())
    calls = document["calls"]
    print(
        f"{args.accounts} accounts, {len(list(config.walk_units()))} OUs, "
        f"{args.latency * 1000:.0f} ms per call: exit {code}, {wall:.1f} s wall "
        f"(checks {document['seconds']} s), {sum(calls.values())} calls, "
        f"{document['counts']}"
    )
    for api, count in sorted(calls.items(), key=lambda item: -item[1]):
        print(f"  {count:>5}  {api}")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
