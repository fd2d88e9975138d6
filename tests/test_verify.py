"""`make verify` against an organization built to match the example config, then drifted.

Two organizations are built per run of this module, each read once through
the command itself (``--json``): a clean one, and one carrying every kind of
drift at once, on parts that do not touch each other. Each test then looks
at the rows of its own kind of drift, exactly, so a check that misses its
drift or reports one where there is none fails its test; the clean run
holds the rest to "ok".

moto serves Organizations, CloudTrail, GuardDuty and Macie. What it lacks
(CloudFormation StackSets need a package this project does not install;
Security Hub, Inspector and Detective administrators; GetTrailStatus's
LatestDeliveryError) is answered by :class:`Answers`: botocore "before-call"
handlers keyed by operation, each answer checked against the API's output
shape as botocore's Stubber checks it, and safe with verify's threads.

The organization is built from the config by these tests' own code (not
verify's expectations), so a check that wrongly reports ok or drift fails
the clean test or its drift test.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters
from moto import mock_aws

from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.management_policies import management_policies
from landing_zone.verify.__main__ import run
from landing_zone.verify.model import Result
from tests.conftest import EXAMPLE
from tests.custom_resources import fake_credentials
from tests.variants import variant

MANAGEMENT = "111111111111"
ADOPTED = "210987654321"
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")
HOME = "eu-west-1"
STACK_SETS = (
    "Acme-LogArchive",
    "Acme-MemberBaseline",
    "Acme-EnforcedGuardHooks",
    "Acme-BreakGlass",
    "Acme-AuditRegional",
    "Acme-AuditHome",
    "Acme-AuditRemediation",
    "Acme-HealthEventsForward",
)
MANAGEMENT_EVENTS = [{"Field": "eventCategory", "Equals": ["Management"]}]
#: Added to the trail's management selector, it leaves out every write event.
READ_ONLY = {"Field": "readOnly", "Equals": ["true"]}
#: Policy types moto can enable; the example's others (declarative, S3) it refuses.
POLICY_TYPES = (
    "SERVICE_CONTROL_POLICY",
    "RESOURCE_CONTROL_POLICY",
    "TAG_POLICY",
    "BACKUP_POLICY",
    "AISERVICES_OPT_OUT_POLICY",
)
# moto creates no EC2 declarative or backup policies: the example's go.
UNSUPPORTED_POLICIES = (
    ("    # EC2 declarative policy", "    # Tag policy"),
    ("  workloads:\n    # Backup plans", "  prod:\n    tags:"),
)


def _error(code: str, message: str = "") -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


class Answers:
    """Operation -> answer, for the APIs moto lacks; everything else goes on to moto."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {}

    def set(
        self, service: str, operation: str, answer: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> None:
        self.handlers[(service, operation)] = answer

    def install(self, client: Any) -> None:
        model = client.meta.service_model
        for (name, operation), answer in self.handlers.items():
            if name == model.service_name:
                event = f"{model.service_id.hyphenize()}.{operation}"
                client.meta.events.register(f"before-parameter-build.{event}", self._keep)
                client.meta.events.register(f"before-call.{event}", self._handler(answer))

    @staticmethod
    def _keep(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        # before-call sees the serialized request; the API's parameters are these.
        context["answer_params"] = dict(params)

    @staticmethod
    def _handler(answer: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
        def handle(model: Any, context: dict[str, Any], **kwargs: Any) -> Any:
            parsed = answer(context["answer_params"])
            if "Error" in parsed:
                return AWSResponse("https://example", 400, {}, None), parsed
            if model.output_shape is not None:
                validate_parameters(parsed, model.output_shape)
            return AWSResponse("https://example", 200, {}, None), parsed

        return handle


#: One botocore session for the module: each new one loads the API models again
#: (a third of a second). Made after moto's import, which hooks every session
#: created from then on.
_SESSION = boto3.Session()


def _client(name: str, region: str) -> Any:
    return _SESSION.client(name, region_name=region)  # type: ignore[call-overload]


class Session:
    """boto3's session (moto behind it), with :class:`Answers` installed on every client."""

    def __init__(self, answers: Answers) -> None:
        self.answers = answers
        self._session = _SESSION

    def client(self, name: str, *, region_name: str, config: Any = None) -> Any:
        client = self._session.client(name, region_name=region_name, config=config)  # type: ignore[call-overload]
        self.answers.install(client)
        return client


@dataclass
class World:
    """The organization, built from ``config`` by the tests' own hand."""

    config_path: Path
    config: LandingZoneConfig
    root: str
    ous: dict[str, str]
    accounts: dict[str, str]
    session: Session
    #: StackSet name -> its instances (ListStackInstances summaries).
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    trail_status: dict[str, Any] = field(default_factory=dict)
    admins: dict[str, str] = field(default_factory=dict)
    #: Trusted access (moto refuses iam.amazonaws.com and GuardDuty's malware protection).
    trusted: set[str] = field(default_factory=set)
    #: Delegated administrators by service principal (moto knows a few principals only).
    delegated: dict[str, list[str]] = field(default_factory=dict)
    #: StackSets on OUs whose automatic deployment someone turned off.
    manual: set[str] = field(default_factory=set)

    @property
    def organizations(self) -> Any:
        return _client("organizations", "us-east-1")

    def policy_id(self, name: str) -> str:
        for kind in POLICY_TYPES:
            for policy in self.organizations.list_policies(Filter=kind)["Policies"]:
                if policy["Name"] == name:
                    return str(policy["Id"])
        raise KeyError(name)


def _build(tmp_path: Path) -> World:
    organizations = _client("organizations", "us-east-1")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    adopted = organizations.create_account(
        Email="payments-api-prod@acme.example", AccountName="Acme-Payments-API-Prod"
    )["CreateAccountStatus"]["AccountId"]
    types = "".join(f"    - {kind}\n" for kind in POLICY_TYPES)
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[
            ("id: o-a1b2c3d4e5", f"id: {organization['Id']}"),
            ("root_id: r-a1b2", f"root_id: {root}"),
            (ADOPTED, adopted),
            ("s3_block_public_access: true", "s3_block_public_access: false"),
        ],
        cut=("  policy_types:\n", "  trusted_services:\n"),
        insert=f"  policy_types:\n{types}",
    )
    text = path.read_text()
    for start, end in UNSUPPORTED_POLICIES:
        text = text[: text.index(start)] + text[text.index(end) :]
    path.write_text(text)
    config = load_config(path)
    tags = [{"Key": "landing-zone:prefix", "Value": "Acme"}]
    ous: dict[str, str] = {}
    for key, unit, parent, _ in config.walk_units():
        ous[key] = organizations.create_organizational_unit(
            ParentId=root if parent is None else ous[parent],
            Name=unit.name,
            Tags=[*tags, {"Key": "landing-zone:ou-key", "Value": key}],
        )["OrganizationalUnit"]["Id"]
    accounts: dict[str, str] = {}
    for key, account in config.all_accounts():
        if account.email is None:
            accounts[key] = str(account.account_id)
        else:
            accounts[key] = organizations.create_account(
                Email=account.email, AccountName=account.name
            )["CreateAccountStatus"]["AccountId"]
        organizations.move_account(
            AccountId=accounts[key], SourceParentId=root, DestinationParentId=ous[account.ou]
        )
    for kind in POLICY_TYPES:
        organizations.enable_policy_type(RootId=root, PolicyType=kind)
    for packed in plan_guardrails(config).policies:
        policy = organizations.create_policy(
            Content=packed.content,
            Description=packed.description,
            Name=packed.name,
            Type={"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}[packed.kind],
        )["Policy"]["PolicySummary"]["Id"]
        organizations.attach_policy(
            PolicyId=policy, TargetId=root if packed.target == "root" else ous[packed.target]
        )
    # The management policies (tag, backup, AI opt-out) as the stack creates them.
    for name, kind, target, content in management_policies(config):
        policy = organizations.create_policy(
            Content=content, Description=name, Name=name, Type=kind
        )["Policy"]["PolicySummary"]["Id"]
        organizations.attach_policy(
            PolicyId=policy, TargetId=root if target == "root" else ous[target]
        )
    audit = accounts["audit"]
    for region in REGIONS:
        _client("guardduty", region).enable_organization_admin_account(AdminAccountId=audit)
    log_archive = accounts["log-archive"]
    bucket = f"acme-log-archive-logs-{log_archive}-{HOME}"
    s3 = _client("s3", HOME)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": HOME})
    cloudtrail = _client("cloudtrail", HOME)
    cloudtrail.create_trail(
        Name="Acme-OrganizationTrail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        KmsKeyId=f"arn:aws:kms:{HOME}:{log_archive}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{MANAGEMENT}:log-group:"
        "/acme/landing-zone/organization-trail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{MANAGEMENT}:role/Acme-OrganizationTrailLogs",
    )
    cloudtrail.put_event_selectors(
        TrailName="Acme-OrganizationTrail",
        AdvancedEventSelectors=[
            {
                "Name": "Management events (read and write)",
                "FieldSelectors": MANAGEMENT_EVENTS,
            }
        ],
    )
    cloudtrail.start_logging(Name="Acme-OrganizationTrail")

    answers = Answers()
    world = World(path, config, root, ous, accounts, Session(answers))
    world.admins = {"securityhub": audit, "inspector2": audit, "detective": audit}
    world.trusted = set(config.organization_features.trusted_services)
    world.delegated = {
        principal: [audit]
        for principal in (
            "guardduty.amazonaws.com",
            "securityhub.amazonaws.com",
            "config.amazonaws.com",
            "access-analyzer.amazonaws.com",
            "inspector2.amazonaws.com",
            "detective.amazonaws.com",
        )
    }
    members = [accounts[key] for key in config.baseline_account_keys()]
    everyone = [a for key, a in accounts.items()]
    for name, reached, regions in (
        ("Acme-LogArchive", [accounts["log-archive"]], (HOME,)),
        ("Acme-MemberBaseline", members, REGIONS),
        # The FAIL-mode Guard hook: the example's payments-prod accounts.
        (
            "Acme-EnforcedGuardHooks",
            [accounts[k] for k in config.tree.accounts_reached({"payments-prod"})],
            REGIONS,
        ),
        ("Acme-BreakGlass", everyone, (HOME,)),
        ("Acme-AuditRegional", [audit], REGIONS),
        ("Acme-AuditHome", [audit], (HOME,)),
        ("Acme-AuditRemediation", [audit], (HOME,)),
        ("Acme-HealthEventsForward", members, ("us-east-1", "us-west-2")),
    ):
        world.instances[name] = [
            {
                "StackSetId": f"{name}:1",
                "Region": region,
                "Account": account,
                "Status": "CURRENT",
                "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"},
            }
            for account in reached
            for region in regions
        ]

    def stack_set(params: dict[str, Any]) -> dict[str, Any]:
        assert params["CallAs"] == "SELF"
        if params["StackSetName"] not in world.instances:
            return _error("StackSetNotFoundException")
        name = params["StackSetName"]
        automatic = (
            name
            in (
                "Acme-MemberBaseline",
                "Acme-EnforcedGuardHooks",
                "Acme-BreakGlass",
                "Acme-HealthEventsForward",
            )
            and name not in world.manual
        )
        return {
            "StackSet": {
                "StackSetName": name,
                "Status": "ACTIVE",
                "AutoDeployment": {"Enabled": automatic},
            }
        }

    def stack_instances(params: dict[str, Any]) -> dict[str, Any]:
        assert params["CallAs"] == "SELF"
        return {"Summaries": world.instances[params["StackSetName"]]}

    def trail_status(params: dict[str, Any]) -> dict[str, Any]:
        status = dict(moto_trail_status(Name=params["Name"]))
        status.pop("ResponseMetadata", None)
        # moto answers some timestamps as strings; keep what the shape allows.
        return {
            **{k: v for k, v in status.items() if k in ("IsLogging", "LatestDeliveryTime")},
            **world.trail_status,
        }

    moto_trail_status = _client("cloudtrail", HOME).get_trail_status
    answers.set("cloudformation", "DescribeStackSet", stack_set)
    answers.set("cloudformation", "ListStackInstances", stack_instances)
    answers.set("cloudtrail", "GetTrailStatus", trail_status)
    answers.set(
        "organizations",
        "ListDelegatedAdministrators",
        lambda params: {
            "DelegatedAdministrators": [
                {"Id": account} for account in world.delegated.get(params["ServicePrincipal"], [])
            ]
        },
    )
    answers.set(
        "organizations",
        "ListAWSServiceAccessForOrganization",
        lambda _: {"EnabledServicePrincipals": [{"ServicePrincipal": p} for p in world.trusted]},
    )
    answers.set(
        "securityhub",
        "ListOrganizationAdminAccounts",
        lambda _: {
            "AdminAccounts": [{"AccountId": world.admins["securityhub"], "Status": "ENABLED"}]
        },
    )
    answers.set(
        "inspector2",
        "GetDelegatedAdminAccount",
        lambda _: {
            "delegatedAdmin": {
                "accountId": world.admins["inspector2"],
                "relationshipStatus": "ENABLED",
            }
        },
    )
    answers.set(
        "detective",
        "ListOrganizationAdminAccounts",
        lambda _: {"Administrators": [{"AccountId": world.admins["detective"]}]},
    )
    return world


@dataclass(frozen=True)
class Verified:
    """One run of the command against a built organization."""

    world: World
    code: int
    document: dict[str, Any]
    err: str

    @property
    def results(self) -> list[Result]:
        return [Result(**row) for row in self.document["results"]]

    def rows(self, check: str, status: str = "drift") -> list[tuple[str, str]]:
        return [(r.item, r.actual) for r in self.results if r.check == check and r.status == status]

    def row(self, item: str) -> Result:
        return next(r for r in self.results if r.item == item)


def _verified(directory: Path, mutate: Callable[[World], None], *options: str) -> Verified:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_credentials(monkeypatch, HOME)
        monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
        with mock_aws():
            world = _build(directory)
            mutate(world)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run([str(world.config_path), "--json", *options], session=world.session)
    return Verified(world, code, json.loads(out.getvalue()), err.getvalue())


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Verified:
    return _verified(tmp_path_factory.mktemp("clean"), lambda world: None)


#: The SCP whose content the drifted organization edits, and the one it detaches.
EDITED_TARGET, DETACHED_TARGET = "security", "prod"
#: The OU whose SCP the drifted organization also attaches to an account.
EXTRA_TARGET = "retail-prod"


def _drift(world: World) -> None:
    """Every kind of drift at once, each on its own OU, account, policy or service."""
    organizations = world.organizations
    ours = [{"Key": "landing-zone:prefix", "Value": "Acme"}]
    # Renamed by hand (found by its tag).
    organizations.update_organizational_unit(
        OrganizationalUnitId=world.ous["sandbox"], Name="Playground"
    )
    # "Moved": Organizations cannot move an OU, so the new one is made under
    # Workloads and the old one renamed and untagged.
    organizations.update_organizational_unit(
        OrganizationalUnitId=world.ous["suspended"], Name="Old"
    )
    organizations.untag_resource(ResourceId=world.ous["suspended"], TagKeys=["landing-zone:ou-key"])
    world.ous["suspended-new"] = organizations.create_organizational_unit(
        ParentId=world.ous["workloads"],
        Name="Suspended",
        Tags=[*ours, {"Key": "landing-zone:ou-key", "Value": "suspended"}],
    )["OrganizationalUnit"]["Id"]
    # Gone: neither its name nor its tag is found; its account cannot be placed.
    organizations.update_organizational_unit(
        OrganizationalUnitId=world.ous["payments-sdlc"], Name="Elsewhere"
    )
    organizations.untag_resource(
        ResourceId=world.ous["payments-sdlc"], TagKeys=["landing-zone:ou-key"]
    )
    # OUs the config does not name: one made by hand under Prod, and a business
    # unit's (tagged with its own prefix), which is not ours to report.
    world.ous["by-hand"] = organizations.create_organizational_unit(
        ParentId=world.ous["prod"], Name="Backdoor"
    )["OrganizationalUnit"]["Id"]
    organizations.create_organizational_unit(
        ParentId=world.ous["workloads"],
        Name="Cards",
        Tags=[{"Key": "landing-zone:prefix", "Value": "Cards"}],
    )
    # Accounts the config does not name: one in the root (where moto creates it),
    # one left in an OU (removed from the config: no longer managed).
    world.accounts["in-root"] = organizations.create_account(
        Email="console@acme.example", AccountName="Console"
    )["CreateAccountStatus"]["AccountId"]
    retired = organizations.create_account(Email="old@acme.example", AccountName="Old")[
        "CreateAccountStatus"
    ]["AccountId"]
    organizations.move_account(
        AccountId=retired, SourceParentId=world.root, DestinationParentId=world.ous["sdlc"]
    )
    # Both are active accounts under StackSet targets: their instances exist.
    for name, account, regions in (
        ("Acme-BreakGlass", world.accounts["in-root"], (HOME,)),
        ("Acme-BreakGlass", retired, (HOME,)),
        ("Acme-MemberBaseline", retired, REGIONS),
        ("Acme-HealthEventsForward", retired, ("us-east-1", "us-west-2")),
    ):
        world.instances[name] += [
            {**world.instances[name][0], "Account": account, "Region": region} for region in regions
        ]
    # An account in the wrong OU.
    organizations.move_account(
        AccountId=world.accounts["network"],
        SourceParentId=world.ous["infrastructure"],
        DestinationParentId=world.ous["prod"],
    )
    plan = plan_guardrails(world.config).policies
    # SCP content edited: one action fewer in its first statement.
    edited = next(p for p in plan if p.target == EDITED_TARGET and p.kind == "scp")
    policy_id = world.policy_id(edited.name)
    document = json.loads(organizations.describe_policy(PolicyId=policy_id)["Policy"]["Content"])
    statement = document["Statement"][0]
    actions = (
        statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    )
    statement["Action"] = actions[1:] or ["s3:GetObject"]
    organizations.update_policy(PolicyId=policy_id, Content=json.dumps(document))
    # SCP content reordered and reformatted only: the same policy.
    same = next(p for p in plan if p.target == "root" and p.kind == "scp")
    same_id = world.policy_id(same.name)
    document = json.loads(organizations.describe_policy(PolicyId=same_id)["Policy"]["Content"])
    for statement in document["Statement"]:
        if isinstance(statement.get("Action"), list):
            statement["Action"] = list(reversed(statement["Action"]))
    document["Statement"].reverse()
    organizations.update_policy(
        PolicyId=same_id, Content=json.dumps(dict(reversed(document.items())), indent=4)
    )
    # SCP detached.
    detached = next(p for p in plan if p.target == DETACHED_TARGET and p.kind == "scp")
    organizations.detach_policy(
        PolicyId=world.policy_id(detached.name), TargetId=world.ous[DETACHED_TARGET]
    )
    # An SCP of ours attached to one more target (an account), and an RCP to one more OU.
    extra = next(p for p in plan if p.target == EXTRA_TARGET and p.kind == "scp")
    organizations.attach_policy(
        PolicyId=world.policy_id(extra.name), TargetId=world.accounts["retail-web-prod"]
    )
    rcp = next(p for p in plan if p.kind == "rcp")
    organizations.attach_policy(PolicyId=world.policy_id(rcp.name), TargetId=world.ous["sandbox"])
    # A foreign SCP, and FullAWSAccess detached elsewhere.
    world.ous["foreign"] = organizations.create_policy(
        Content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}],
            }
        ),
        Description="by hand",
        Name="ConsoleDenyEc2",
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    organizations.attach_policy(PolicyId=world.ous["foreign"], TargetId=world.ous["sdlc"])
    organizations.detach_policy(PolicyId="p-FullAWSAccess", TargetId=world.ous["retail"])
    # A policy type off, trusted access missing, delegated administrators changed.
    organizations.disable_policy_type(RootId=world.root, PolicyType="TAG_POLICY")
    world.trusted.discard("sso.amazonaws.com")
    world.delegated["config.amazonaws.com"] = [world.accounts["network"]]
    world.admins["securityhub"] = world.accounts["network"]
    # StackSets: an instance OUTDATED and FAILED, one missing, one StackSet gone.
    member = world.instances["Acme-MemberBaseline"]
    member[0] = {
        **member[0],
        "Status": "OUTDATED",
        "StatusReason": "ResourceLogicalId:Recorder, ResourceStatusReason:already exists",
        "StackInstanceStatus": {"DetailedStatus": "FAILED"},
    }
    world.manual.add("Acme-MemberBaseline")
    world.instances["lost"] = [world.instances["Acme-BreakGlass"].pop()]
    del world.instances["Acme-AuditHome"]
    # An instance whose last drift detection found changed resources, and one
    # in a region its StackSet does not deploy to.
    regional = world.instances["Acme-AuditRegional"]
    regional[0] = {
        **regional[0],
        "DriftStatus": "DRIFTED",
        "LastDriftCheckTimestamp": datetime(2026, 1, 2, tzinfo=UTC),
    }
    log_archive = world.instances["Acme-LogArchive"]
    log_archive.append({**log_archive[0], "Region": "us-east-1"})
    # The trail: no longer an organization trail, without log file validation,
    # delivering elsewhere with another account's key, read-only management events,
    # stopped, failing to deliver.
    _client("s3", HOME).create_bucket(
        Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": HOME}
    )
    cloudtrail = _client("cloudtrail", HOME)
    cloudtrail.update_trail(
        Name="Acme-OrganizationTrail",
        IsOrganizationTrail=False,
        EnableLogFileValidation=False,
        S3BucketName="elsewhere",
        KmsKeyId=f"arn:aws:kms:{HOME}:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    )
    cloudtrail.put_event_selectors(
        TrailName="Acme-OrganizationTrail",
        AdvancedEventSelectors=[{"FieldSelectors": [*MANAGEMENT_EVENTS, READ_ONLY]}],
    )
    cloudtrail.stop_logging(Name="Acme-OrganizationTrail")
    world.trail_status["LatestDeliveryError"] = "AccessDenied"
    # Inspector's administrator cannot be read: cannot check, not drift.
    _deny_inspector(world)


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Verified:
    return _verified(tmp_path_factory.mktemp("drifted"), _drift)


# ---- clean ---------------------------------------------------------------------------------


def test_a_matching_organization_is_clean(clean: Verified) -> None:
    results = clean.results
    assert [r for r in results if r.status == "drift"] == []
    assert clean.code == 0
    assert {r.check for r in results if r.status == "ok"} == {
        "ou",
        "account",
        "policy",
        "attachment",
        "foreign-policies",
        "policy-type",
        "trusted-access",
        "delegated-admin",
        "stack-set",
        "trail",
        "unmanaged",
    }
    # Every OU, account, policy and StackSet of the config has its row.
    config = clean.world.config
    assert sum(r.check == "ou" for r in results) == len(list(config.walk_units()))
    assert sum(r.check == "account" for r in results) == len(list(config.all_accounts()))
    assert sum(r.check == "policy" for r in results) == len(plan_guardrails(config).policies) + len(
        management_policies(config)
    )
    assert {r.item for r in results if r.check == "stack-set"} == set(STACK_SETS)
    assert clean.row("Acme-MemberBaseline").actual.startswith("ACTIVE, ")


def test_the_json_document_has_a_stable_schema(clean: Verified) -> None:
    document = clean.document
    assert set(document) == {
        "schema_version",
        "config",
        "prefix",
        "organization_id",
        "exit_code",
        "counts",
        "results",
        "calls",
        "seconds",
    }
    assert document["schema_version"] == 1
    assert document["exit_code"] == 0
    assert document["counts"] == {
        status: sum(r["status"] == status for r in document["results"])
        for status in ("ok", "drift", "cannot_check")
    }
    assert {key for row in document["results"] for key in row} == {
        "check",
        "item",
        "status",
        "expected",
        "actual",
    }
    assert document["calls"]["organizations:ListAccountsForParent"] >= len(clean.world.ous)
    assert "0 drift" in clean.err


# ---- one test per kind of drift -------------------------------------------------------------


def test_the_cli_exits_1_on_drift(drifted: Verified) -> None:
    assert drifted.code == 1
    assert drifted.document["exit_code"] == 1


def test_renamed_moved_and_missing_ous(drifted: Verified) -> None:
    ous = drifted.world.ous
    assert drifted.rows("ou") == [
        ("sandbox", f"Root/Playground ({ous['sandbox']}): renamed"),
        ("payments-sdlc", "no OU named 'SDLC' under Root/Payments"),
        ("suspended", f"Root/Workloads/Suspended ({ous['suspended-new']}): moved"),
    ]


def test_ous_and_root_accounts_the_config_does_not_name(drifted: Verified) -> None:
    ous = drifted.world.ous
    console = drifted.world.accounts["in-root"]
    assert sorted(drifted.rows("unmanaged")) == sorted(
        [
            (f"OU Root/Workloads/Prod/Backdoor ({ous['by-hand']})", "made by hand"),
            # The OUs the tests renamed and stripped of their key tag.
            *(
                (
                    f"OU {path} ({ous[key]})",
                    "tagged Acme but no OU key of the config (left behind?)",
                )
                for key, path in (
                    ("suspended", "Root/Old"),
                    ("payments-sdlc", "Root/Payments/Elsewhere"),
                )
            ),
            (
                f"account {console} (Console)",
                "in the root, not in the config: add it (account_id) or move it into an OU",
            ),
        ]
    )


def test_an_account_in_the_wrong_ou(drifted: Verified) -> None:
    network = drifted.world.accounts["network"]
    assert drifted.rows("account") == [
        (
            "network",
            f"{network} in Root/Workloads/Prod: in Root/Workloads/Prod, not Root/Infrastructure",
        )
    ]
    # The renamed OU was found by its tag: its account is where it belongs.
    assert drifted.row("sandbox-data-science").status == "ok"


def test_an_account_whose_ou_is_gone_cannot_be_placed(drifted: Verified) -> None:
    row = drifted.row("payments-api-dev")
    assert row.status == "cannot_check"
    assert "OU payments-sdlc was not found" in row.actual


def test_an_edited_scp_but_not_a_reformatted_one(drifted: Verified) -> None:
    plan = plan_guardrails(drifted.world.config).policies
    edited = next(p for p in plan if p.target == EDITED_TARGET and p.kind == "scp")
    first = json.loads(edited.content)["Statement"][0]
    rows = drifted.rows("policy")
    assert [item for item, _ in rows] == [edited.name]
    assert f"changed or missing: {first['Sid']}" in rows[0][1]


def test_a_detached_scp_and_policies_attached_to_one_more_target(drifted: Verified) -> None:
    world = drifted.world
    plan = plan_guardrails(world.config).policies
    detached = next(p for p in plan if p.target == DETACHED_TARGET and p.kind == "scp")
    extra = next(p for p in plan if p.target == EXTRA_TARGET and p.kind == "scp")
    rcp = next(p for p in plan if p.kind == "rcp")
    suspended = [p.name for p in plan if p.target == "suspended"]
    old = world.ous["suspended"]
    rows = dict(drifted.rows("attachment"))
    assert set(rows) == {detached.name, extra.name, rcp.name, *suspended}
    assert rows[detached.name] == "attached to nothing"
    # Attached to the old OU, not the one found by its tag.
    assert all(rows[name] == f"attached to Old ({old})" for name in suspended)
    assert world.accounts["retail-web-prod"] in rows[extra.name]
    assert world.ous[EXTRA_TARGET] in rows[extra.name]
    assert world.ous["sandbox"] in rows[rcp.name]


def test_a_foreign_policy_and_a_missing_full_access(drifted: Verified) -> None:
    ous = drifted.world.ous
    assert drifted.rows("foreign-policies") == [
        (
            f"SERVICE_CONTROL_POLICY on OU sdlc ({ous['sdlc']})",
            f"not ours: ConsoleDenyEc2 ({ous['foreign']})",
        ),
        (f"SERVICE_CONTROL_POLICY on OU retail ({ous['retail']})", "FullAWSAccess is not attached"),
    ]


def test_a_disabled_policy_type(drifted: Verified) -> None:
    # Disabled, a type leaves the root's list (moto does the same).
    assert drifted.rows("policy-type") == [("TAG_POLICY", "not enabled")]


def test_missing_trusted_access(drifted: Verified) -> None:
    assert drifted.rows("trusted-access") == [("sso.amazonaws.com", "not enabled")]


def test_a_changed_delegated_administrator(drifted: Verified) -> None:
    other = drifted.world.accounts["network"]
    assert sorted(drifted.rows("delegated-admin")) == sorted(
        [
            ("config.amazonaws.com (Organizations)", other),
            *((f"Security Hub in {region}", other) for region in REGIONS),
        ]
    )


def test_outdated_failed_missing_drifted_and_unexpected_stack_instances(
    drifted: Verified,
) -> None:
    instances = drifted.world.instances
    outdated = instances["Acme-MemberBaseline"][0]
    lost = instances["lost"][0]
    audit = drifted.world.accounts["audit"]
    log_archive = drifted.world.accounts["log-archive"]
    assert sorted(drifted.rows("stack-instance")) == sorted(
        [
            (
                f"Acme-MemberBaseline {outdated['Account']} {outdated['Region']}",
                "OUTDATED, FAILED: ResourceLogicalId:Recorder, ResourceStatusReason:already exists",
            ),
            (f"Acme-BreakGlass {lost['Account']} {HOME}", "no stack instance"),
            (
                f"Acme-AuditRegional {audit} {REGIONS[0]}",
                "CURRENT, SUCCEEDED; DRIFTED (drift detection of 2026-01-02 00:00:00+00:00)",
            ),
            (
                f"Acme-LogArchive {log_archive} us-east-1",
                "CURRENT, SUCCEEDED; not expected here (not under the targets, excluded, or not "
                "governed)",
            ),
        ]
    )


def test_stack_sets_with_bad_instances_and_a_missing_one(drifted: Verified) -> None:
    rows = dict(drifted.rows("stack-set"))
    assert set(rows) == {
        "Acme-MemberBaseline",
        "Acme-BreakGlass",
        "Acme-AuditHome",
        "Acme-AuditRegional",
        "Acme-LogArchive",
    }
    assert rows["Acme-AuditHome"] == "not found"
    assert rows["Acme-MemberBaseline"].endswith(
        "; automatic deployment OFF (accounts joining its OUs get nothing)"
    )
    assert rows["Acme-BreakGlass"].endswith(", 1 missing")


def test_a_stopped_trail_with_a_delivery_error_that_is_no_organization_trail(
    drifted: Verified,
) -> None:
    log_archive = drifted.world.accounts["log-archive"]
    assert drifted.rows("trail") == [
        (
            "Acme-OrganizationTrail",
            "NOT an organization trail; log file validation OFF; delivers into elsewhere, not "
            f"acme-log-archive-logs-{log_archive}-{HOME}; encrypted with arn:aws:kms:{HOME}:"
            "999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab, not a key of the log "
            f"archive {log_archive}",
        ),
        (
            "Acme-OrganizationTrail events",
            json.dumps(
                {"AdvancedEventSelectors": [{"FieldSelectors": [*MANAGEMENT_EVENTS, READ_ONLY]}]}
            ),
        ),
        ("Acme-OrganizationTrail logging", "stopped"),
        ("Acme-OrganizationTrail delivery", "LatestDeliveryError: AccessDenied"),
    ]


# ---- cannot check --------------------------------------------------------------------------


def test_organization_configuration_names_the_audit_role_and_call(clean: Verified) -> None:
    rows = [r for r in clean.results if r.status == "cannot_check"]
    assert {r.item for r in rows} == {
        f"{name} organization configuration"
        for name in ("GuardDuty", "Security Hub", "Inspector", "Detective")
    }
    audit = clean.world.accounts["audit"]
    guardduty = next(r for r in rows if r.item.startswith("GuardDuty"))
    assert f"arn:aws:iam::{audit}:role/Acme-Investigation" in guardduty.actual
    assert "guardduty list-detectors, then describe-organization-configuration" in guardduty.actual


def test_an_unreadable_service_is_cannot_check_not_drift(drifted: Verified) -> None:
    inspector = [r for r in drifted.results if r.item.startswith("Inspector in ")]
    assert len(inspector) == len(REGIONS)
    assert {r.status for r in inspector} == {"cannot_check"}
    assert "AccessDeniedException: not authorized" in inspector[0].actual


def _deny_inspector(world: World) -> None:
    world.session.answers.set(
        "inspector2",
        "GetDelegatedAdminAccount",
        lambda _: _error("AccessDeniedException", "not authorized"),
    )


def test_a_clean_run_that_could_not_read_everything_exits_2_not_0(tmp_path: Path) -> None:
    """Denied reads found no drift because they read nothing: not clean. The detection
    services' organization configurations, "cannot check" by design, do not count."""
    unread = _verified(tmp_path, _deny_inspector, "--progress")
    assert not [r for r in unread.results if r.status == "drift"]
    assert unread.code == 2
    assert unread.document["exit_code"] == 2
    assert "could not be read (exit 2, fix the access and run again): delegated-admin" in (
        unread.err
    )
    # The progress counter went to stderr; stdout held the JSON document alone.
    assert "\rverify: " in unread.err


def test_the_detection_rows_alone_leave_a_clean_run_at_0(clean: Verified) -> None:
    assert {r.check for r in clean.results if r.status == "cannot_check"} == {"detection"}
    assert clean.code == 0


# ---- cannot run ----------------------------------------------------------------------------


@pytest.fixture
def moto_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_credentials(monkeypatch, HOME)
    monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
    with mock_aws():
        _client("organizations", "us-east-1").create_organization(FeatureSet="ALL")
        yield _SESSION


def test_the_cli_exits_2_for_another_account(
    moto_session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = variant(
        EXAMPLE,
        tmp_path,
        replace=[("111111111111", "999999999999")],
    )
    assert run([str(other)], session=moto_session) == 2
    assert "not the management account 999999999999" in capsys.readouterr().err


def test_the_cli_exits_2_for_another_organization(
    moto_session: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(EXAMPLE)], session=moto_session) == 2
    assert "config says o-a1b2c3d4e5" in capsys.readouterr().err


def test_the_cli_exits_2_on_a_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(tmp_path / "missing.yaml")], session=object()) == 2
    assert "config error" in capsys.readouterr().err


def test_the_cli_exits_2_for_an_unknown_profile(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-here")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    assert run([str(EXAMPLE)]) == 2
    assert "AWS_PROFILE" in capsys.readouterr().err


def test_an_unforeseen_error_exits_2_in_one_line_not_1_with_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python exits 1 on an uncaught exception: the code of drift."""

    def broken(path: Path) -> LandingZoneConfig:
        raise RuntimeError("an answer of a shape nobody foresaw")

    monkeypatch.setattr("landing_zone.verify.__main__.load_config", broken)
    assert run([str(EXAMPLE)], session=object()) == 2
    err = capsys.readouterr().err
    assert "unexpected RuntimeError: an answer of a shape nobody foresaw" in err
    assert "Traceback" not in err
