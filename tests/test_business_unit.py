"""Business-unit forks next to the core: what each synthesizes, and that no name collides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from landing_zone.config import load_config
from landing_zone.guardrails.evaluate import Request, evaluate
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.guardrails.paths import policy_levels
from landing_zone.quotas import organization_stack_outputs, organization_stack_resources
from tests.conftest import Synth, synthesize
from tests.templates import cfn_lint_errors, nag_failures
from tests.variants import BUSINESS_UNIT, problems_of, variant

# A second business unit: its own prefix, OUs and accounts, under another
# core OU, with its own baseline StackSet and alert recipients but no
# Security Hub policy of its own.
PAYMENTS_EDITS = (
    ("prefix: AcmeLogistics\n", "prefix: AcmePayments\n"),
    ("parent_ou_id: ou-a1b2-w0rkl0ad", "parent_ou_id: ou-a1b2-bunits01"),
    ("  logistics:\n    name: Logistics\n", "  payments:\n    name: Payments\n"),
    ("      logistics-prod:\n        name: Prod", "      payments-prod:\n        name: Prod"),
    ("      logistics-sdlc:\n        name: SDLC", "      payments-sdlc:\n        name: SDLC"),
    ("AcmeLogistics-Fleet-Prod", "AcmePayments-Gateway-Prod"),
    ("aws+logistics-fleet-prod@", "aws+payments-gateway-prod@"),
    ("AcmeLogistics-Fleet-Staging", "AcmePayments-Gateway-Dev"),
    ("aws+logistics-fleet-staging@", "aws+payments-gateway-dev@"),
    ("AcmeLogistics-Warehouse-Data", "AcmePayments-Ledger"),
    ("account_id: '444444444444'", "account_id: '555555555555'"),
    ("    ou: logistics-prod\n", "    ou: payments-prod\n"),
    ("    ou: logistics-sdlc\n", "    ou: payments-sdlc\n"),
    (
        "    logistics: [privileged-roles]",
        "    payments: [privileged-roles, business-unit-baseline]",
    ),
    ("    logistics-prod: [production", "    payments-prod: [production"),
    ("  targets: []\n", "  targets: [payments]\n"),
    ("logistics-security@", "payments-security@"),
)


def payments_config(directory: Path) -> Path:
    return variant(
        BUSINESS_UNIT,
        directory,
        replace=PAYMENTS_EDITS,
        cut=("  security_hub:\n", "  notifications:\n"),
        name="payments.yaml",
    )


@pytest.fixture(scope="module")
def payments_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    directory = tmp_path_factory.mktemp("payments")
    return synthesize(payments_config(directory), directory / "cdk.out")


# Names that live inside something already prefixed, so they cannot collide:
# the role Organizations creates in each new account, an inline policy of a
# (prefixed) role, the AWS service a service-linked role is for, the metric
# an alarm (prefixed) watches.
SCOPED_NAMES = {
    ("AWS::Organizations::Account", "RoleName"),
    ("AWS::IAM::Policy", "PolicyName"),
    ("Custom::ServiceLinkedRole", "ServiceName"),
    ("AWS::CloudWatch::Alarm", "MetricName"),
}


def resources(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    """(template name, resource) over every stack and StackSet template."""
    for name, template in {**synth.templates, **synth.stackset_templates}.items():
        for resource in template.get("Resources", {}).values():
            yield name, resource


def physical_names(synth: Synth) -> set[str]:
    """Every name that must be unique in the organization, an account or a region.

    Stack names, and every literal property naming something: StackSetName,
    RoleName, FunctionName, TopicName, BucketName, AliasName, LogGroupName,
    policy and rule names (``Name``), account names and emails; and, for OUs
    created under a literal parent, the (parent, name) pair, since
    Organizations rejects two sibling OUs of one name.
    """
    names = set(synth.templates)
    for _, resource in resources(synth):
        properties = resource.get("Properties", {})
        for key, value in properties.items():
            if (resource["Type"], key) in SCOPED_NAMES:
                continue
            if isinstance(value, str) and (key.endswith("Name") or key == "Email"):
                if resource["Type"] == "AWS::Organizations::OrganizationalUnit":
                    parent = properties["ParentId"]
                    if isinstance(parent, str):
                        names.add(f"OU {parent}/{value}")
                    continue
                names.add(f"{key} {value}")
    return names


def test_core_and_two_business_units_synthesize_disjoint_names(
    example_synth: Synth, logistics_synth: Synth, payments_synth: Synth
) -> None:
    synths = {"core": example_synth, "logistics": logistics_synth, "payments": payments_synth}
    names = {key: physical_names(synth) for key, synth in synths.items()}
    # The check has something to compare: each fork names stacks, StackSets,
    # accounts and resources of its own.
    assert {n for n in names["logistics"] if n.startswith("StackSetName ")} == {
        "StackSetName AcmeLogistics-AuditHome"
    }
    assert "StackSetName AcmePayments-MemberBaseline" in names["payments"]
    assert "OU ou-a1b2-w0rkl0ad/Logistics" in names["logistics"]
    assert len(names["core"]) > 100
    # One name on purpose: a business unit's baseline deploys the core's
    # investigation role (<Core>-Investigation) to accounts the core's
    # baseline does not reach, so no account holds two.
    shared_on_purpose = {"RoleName Acme-Investigation"}
    assert shared_on_purpose <= names["core"] & names["payments"]
    for first, second in (("core", "logistics"), ("core", "payments"), ("logistics", "payments")):
        shared = names[first] & names[second] - shared_on_purpose
        assert shared == set(), f"{first} and {second} both name {sorted(shared)}"


def test_names_would_collide_with_a_copied_prefix(logistics_synth: Synth, tmp_path: Path) -> None:
    # The disjointness test can fail: the same fork under another file name
    # (same prefix, same accounts) shares every name.
    copy = tmp_path / "copy.yaml"
    copy.write_text(BUSINESS_UNIT.read_text())
    again = synthesize(copy, tmp_path / "cdk.out")
    assert physical_names(again) == physical_names(logistics_synth)


def test_business_unit_deploys_only_what_it_owns(
    logistics_synth: Synth, payments_synth: Synth
) -> None:
    assert sorted(logistics_synth.templates) == [
        "AcmeLogistics-Audit",
        "AcmeLogistics-Organization",
    ]
    assert set(logistics_synth.stackset_templates) == {"AcmeLogistics-Audit/HomeTemplate"}
    assert sorted(payments_synth.templates) == [
        "AcmePayments-Audit",
        "AcmePayments-MemberBaseline",
        "AcmePayments-Organization",
    ]
    organization = logistics_synth.templates["AcmeLogistics-Organization"]["Resources"]
    types = sorted({r["Type"] for r in organization.values()})
    # No organization features, no S3 policy on the root, no core accounts.
    assert types == [
        "AWS::Organizations::Account",
        "AWS::Organizations::OrganizationalUnit",
        "AWS::Organizations::Policy",
    ]
    accounts = [r for r in organization.values() if r["Type"] == "AWS::Organizations::Account"]
    assert sorted(a["Properties"]["AccountName"] for a in accounts) == [
        "AcmeLogistics-Fleet-Prod",
        "AcmeLogistics-Fleet-Staging",
    ]


def test_business_unit_tree_hangs_under_the_core_ou_and_policies_stay_in_it(
    logistics_synth: Synth,
) -> None:
    organization = logistics_synth.templates["AcmeLogistics-Organization"]["Resources"]
    top = [
        r["Properties"]
        for r in organization.values()
        if r["Type"] == "AWS::Organizations::OrganizationalUnit"
        and isinstance(r["Properties"]["ParentId"], str)
    ]
    assert top == [top[0]]
    assert top[0]["ParentId"] == "ou-a1b2-w0rkl0ad"
    policies = [
        r["Properties"] for r in organization.values() if r["Type"] == "AWS::Organizations::Policy"
    ]
    assert [p["Name"] for p in policies] == [
        "AcmeLogistics-logistics-scp-1",
        "AcmeLogistics-logistics-prod-scp-1",
    ]
    for policy in policies:
        # Attached to this fork's own OUs only (a token), never the root id.
        assert all(not isinstance(target, str) for target in policy["TargetIds"])


def test_business_unit_security_hub_policy_and_alerts_cover_its_ous_and_accounts(
    logistics_synth: Synth,
) -> None:
    audit = logistics_synth.templates["AcmeLogistics-Audit"]["Resources"]
    (stack_set,) = (
        r["Properties"] for r in audit.values() if r["Type"] == "AWS::CloudFormation::StackSet"
    )
    targets = stack_set["StackInstancesGroup"][0]["DeploymentTargets"]
    assert targets["Accounts"] == ["333333333333"]
    assert targets["AccountFilterType"] == "INTERSECTION"
    assert stack_set["StackInstancesGroup"][0]["Regions"] == ["eu-west-1"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    joined = parameters["AccountIds"]["Fn::Join"]
    assert joined[0] == ","
    assert len(joined[1]) == 3
    assert "444444444444" in joined[1]

    template = logistics_synth.stackset_templates["AcmeLogistics-Audit/HomeTemplate"]["Resources"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in template.values():
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    (policy,) = by_type["AWS::SecurityHub::ConfigurationPolicy"]
    assert policy["Name"] == "AcmeLogistics-Logistics"
    (association,) = by_type["AWS::SecurityHub::PolicyAssociation"]
    assert association["TargetType"] == "ORGANIZATIONAL_UNIT"
    assert association["TargetId"] == {"Ref": "OuIdLogistics"}
    # No central configuration of its own: the core's applies the policy.
    assert "AWS::SecurityHub::OrganizationConfiguration" not in by_type
    assert "AWS::SecurityHub::FindingAggregator" not in by_type
    rules = {r["Name"]: r["EventPattern"] for r in by_type["AWS::Events::Rule"]}
    assert rules["AcmeLogistics-SecurityHubFindings"]["detail"]["findings"]["AwsAccountId"] == {
        "Ref": "AccountIds"
    }
    assert rules["AcmeLogistics-GuardDutyFindings"]["detail"]["accountId"] == {"Ref": "AccountIds"}
    (topic,) = by_type["AWS::SNS::Topic"]
    assert topic["TopicName"] == "AcmeLogistics-SecurityFindings"


def test_business_unit_baseline_delivers_to_the_cores_log_archive(payments_synth: Synth) -> None:
    body = json.dumps(payments_synth.stackset_templates["AcmePayments-MemberBaseline/Template"])
    config = load_config(BUSINESS_UNIT)
    assert config.core is not None
    assert config.core.log_archive.config_bucket in body
    assert config.core.log_archive.key_arn in body
    stack = payments_synth.templates["AcmePayments-MemberBaseline"]["Resources"]
    (stack_set,) = (
        r["Properties"] for r in stack.values() if r["Type"] == "AWS::CloudFormation::StackSet"
    )
    assert stack_set["StackSetName"] == "AcmePayments-MemberBaseline"
    targets = stack_set["StackInstancesGroup"][0]["DeploymentTargets"]["OrganizationalUnitIds"]
    assert len(targets) == 1
    assert not isinstance(targets[0], str)


def test_business_unit_baseline_trusts_the_cores_audit_account(payments_synth: Synth) -> None:
    stack = payments_synth.templates["AcmePayments-MemberBaseline"]["Resources"]
    (stack_set,) = (
        r["Properties"] for r in stack.values() if r["Type"] == "AWS::CloudFormation::StackSet"
    )
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    config = load_config(BUSINESS_UNIT)
    assert config.core is not None
    assert parameters["AuditAccountId"] == config.core.audit_account_id


def test_business_unit_templates_pass_cfn_lint_and_cdk_nag(
    logistics_synth: Synth, payments_synth: Synth
) -> None:
    for synth in (logistics_synth, payments_synth):
        files = synth.template_files()
        assert len(files) >= 3
        errors = cfn_lint_errors(files, ["eu-west-1", "eu-central-1", "us-east-1"])
        assert errors == [], "\n".join(str(m) for m in errors)
        assert nag_failures(synth.outdir) == []


def test_estimates_equal_the_synthesized_business_unit_organization_stacks(
    logistics_synth: Synth, payments_synth: Synth, tmp_path: Path
) -> None:
    for synth, path in (
        (logistics_synth, BUSINESS_UNIT),
        (payments_synth, payments_config(tmp_path)),
    ):
        config = load_config(path)
        template = synth.templates[f"{config.prefix}-Organization"]
        counts = organization_stack_resources(config, plan_guardrails(config))
        assert sum(counts.values()) == len(template["Resources"])
        assert organization_stack_outputs(config) == len(template.get("Outputs", {})) > 0


def test_summary_names_the_core_and_what_the_business_unit_adds(logistics_synth: Synth) -> None:
    from landing_zone.cli import summary

    text = summary(load_config(BUSINESS_UNIT), logistics_synth.outdir)
    for expected in (
        "Landing zone AcmeLogistics (business unit of the core Acme): organization o-a1b2c3d4e5",
        "Core Acme's OU ou-a1b2-w0rkl0ad\n└── Logistics [logistics]",
        "Account baseline: left to the core Acme's StackSet, which must reach ou-a1b2-w0rkl0ad",
        "Detection: run by the core Acme (audit account 333333333333); this business unit adds:",
        "  Security Hub policy logistics -> logistics (aws-foundational-security-best-practices, "
        "cis-aws-foundations-benchmark-v3.0.0, pci-dss-v4.0.1)",
        "  alerts on its 3 accounts' findings: Security Hub >= HIGH, GuardDuty >= 7.0 -> "
        "1 email(s)",
        "StackSet AcmeLogistics-AuditHome",
        # Its own organization policies only (none here), never a view that
        # looks like the whole effective policy without the core's.
        "Organization policies this fork attaches (each OU's where it differs from its "
        "parent's; the core's on ou-a1b2-w0rkl0ad and above merge with them: see the core's "
        "summary):\n  none\n",
    ):
        assert expected in text, text
    assert "Organization policies in effect" not in text


BACKUP_PLANS = """\
organization_policies:
  logistics:
    backup:
      plans:
        standard:
          tag_value: standard
          rules:
            daily: {schedule: "cron(0 3 ? * * *)", delete_after_days: 35}
"""


OWN_BASELINE_PACK = (
    "    logistics: [privileged-roles]\n",
    "    logistics: [privileged-roles, business-unit-baseline]\n",
)


def test_business_unit_backup_plans_need_its_own_baseline(tmp_path: Path) -> None:
    # With baseline.targets [] the core's baseline creates Acme-Backup in these
    # accounts; the fork's plans would write into AcmeLogistics-Backup, which
    # nothing creates, and every job would fail.
    path = variant(BUSINESS_UNIT, tmp_path, append=BACKUP_PLANS)
    (problem,) = problems_of(path)
    assert "organization_policies.logistics.backup: the plans write into " in problem
    assert "AcmeLogistics-Backup" in problem
    assert "baseline.targets is []" in problem
    # With its own baseline on those OUs the vault exists: accepted.
    own = variant(
        BUSINESS_UNIT,
        tmp_path,
        replace=(
            ("  targets: []\n", "  targets: [logistics]\n"),
            OWN_BASELINE_PACK,
        ),
        append=BACKUP_PLANS,
        name="own-baseline.yaml",
    )
    load_config(own)


def test_business_unit_fail_on_without_its_own_baseline_says_why(tmp_path: Path) -> None:
    path = variant(
        BUSINESS_UNIT, tmp_path, append="proactive_controls:\n  fail_on: [logistics-prod]\n"
    )
    (problem,) = problems_of(path)
    assert "proactive_controls.fail_on: baseline.targets is [], so this fork deploys no " in (
        problem
    )


def test_a_business_units_own_baseline_needs_its_protection_pack(tmp_path: Path) -> None:
    own = (("  targets: []\n", "  targets: [logistics]\n"),)
    (problem,) = problems_of(variant(BUSINESS_UNIT, tmp_path, replace=own))
    assert "baseline.targets[0]: this fork's own baseline runs in 'logistics'" in problem
    assert "Attach business-unit-baseline to 'logistics'" in problem
    load_config(variant(BUSINESS_UNIT, tmp_path, replace=(*own, OWN_BASELINE_PACK), name="ok.yaml"))


def test_the_protection_pack_guards_the_business_units_own_vault_and_roles(
    tmp_path: Path,
) -> None:
    # A workload admin of a Logistics account, under the fork's own packs and
    # the core's (not modelled here: they name Acme-*, not AcmeLogistics-*).
    config = load_config(
        variant(
            BUSINESS_UNIT,
            tmp_path,
            replace=(("  targets: []\n", "  targets: [logistics]\n"), OWN_BASELINE_PACK),
        )
    )
    plan = plan_guardrails(config)
    admin = "arn:aws:iam::444444444444:role/WorkloadAdmin"
    context = {
        "aws:PrincipalArn": admin,
        "aws:PrincipalAccount": "444444444444",
        "aws:PrincipalOrgID": config.organization.id,
        "aws:PrincipalIsAWSService": "false",
        "aws:RequestedRegion": "eu-west-1",
    }
    vault = "arn:aws:backup:eu-west-1:444444444444:backup-vault:AcmeLogistics-Backup"
    role = "arn:aws:iam::444444444444:role/AcmeLogistics-Backup"
    for ou in ("logistics", "logistics-prod"):
        levels = policy_levels(
            plan, path=config.tree.path(ou), policy_type="SERVICE_CONTROL_POLICY"
        )
        for action, resource in (
            ("backup:DeleteBackupVault", vault),
            ("iam:UpdateAssumeRolePolicy", role),
        ):
            asked = Request(action=action, resource=resource, context=context)
            assert evaluate(levels, asked) == "deny", (ou, action)
