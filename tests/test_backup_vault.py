"""The backup vault, its key and the backup role: in every account and region, as configured.

The key policy and the vault's access policy are evaluated as deployed
(intrinsics resolved) with the project's resource-policy evaluator, as the
log archive's are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from landing_zone.config import load_config
from landing_zone.config.loading import load_config_and_warnings
from landing_zone.constructs.keys import KEY_ADMIN_ACTIONS
from landing_zone.guardrails.evaluate import Request, resource_policy_decision
from tests.cfn_resolve import Resolver
from tests.conftest import FIXTURES, Synth
from tests.templates import one, resources_of
from tests.variants import minimal_variant, problems_of, with_baseline

MEMBER = "555555555555"
OTHER = "666666666666"
HOME = "eu-west-1"
KEY = f"arn:aws:kms:{HOME}:{MEMBER}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
VAULT = f"arn:aws:backup:{HOME}:{MEMBER}:backup-vault:Acme-Backup"
RECOVERY_POINT = f"arn:aws:backup:{HOME}:{MEMBER}:recovery-point:1EB3B5E7-9EB0-435A-A80B"
PARAMETERS = {"LogArchiveAccountId": "333333333333", "AuditAccountId": "444444444444"}


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


BACKUP_ROLE = role(MEMBER, "Acme-Backup")
ADMIN = role(MEMBER, "WorkloadAdmin")
STACKSET = role(MEMBER, "stacksets-exec-0123456789abcdef0123456789abcdef")


def named(template: dict[str, Any], kind: str, prop: str, value: str) -> dict[str, Any]:
    (found,) = [r for r in resources_of(template, kind).values() if r["Properties"][prop] == value]
    return found


def backup_parts(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The vault, the key it names, and the role (None where the template has none)."""
    vault = named(template, "AWS::Backup::BackupVault", "BackupVaultName", "Acme-Backup")
    key_id = vault["Properties"]["EncryptionKeyArn"]["Fn::GetAtt"][0]
    roles = [
        r
        for r in resources_of(template, "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == "Acme-Backup"
    ]
    return vault, template["Resources"][key_id], roles[0] if roles else None


# ---- the member StackSet template: every member account, every governed region ----------


def test_vault_is_encrypted_with_its_own_rotating_retained_key(
    member_baseline_template: dict[str, Any],
) -> None:
    template = member_baseline_template
    vault, key, _ = backup_parts(template)
    # No condition: the vault and its key exist in every governed region.
    assert "Condition" not in vault
    assert "Condition" not in key
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    for resource in (vault, key):
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    alias = named(template, "AWS::KMS::Alias", "AliasName", "alias/acme/landing-zone/backup")
    assert alias["DeletionPolicy"] == "Retain"


def test_vault_lock_follows_the_example_governance_mode(
    member_baseline_template: dict[str, Any],
) -> None:
    vault, _, _ = backup_parts(member_baseline_template)
    # Governance: no ChangeableForDays, so the lock never becomes immutable.
    assert vault["Properties"]["LockConfiguration"] == {
        "MinRetentionDays": 7,
        "MaxRetentionDays": 3650,
    }


def test_role_is_home_region_only_trusts_backup_and_has_the_managed_policies(
    member_baseline_template: dict[str, Any],
) -> None:
    template = member_baseline_template
    _, _, backup_role = backup_parts(template)
    assert template["Conditions"][backup_role["Condition"]] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, HOME]
    }
    # The same condition as every other global resource of the baseline.
    assert backup_role["Condition"] == one(template, "Custom::PasswordPolicy")["Condition"]
    properties = backup_role["Properties"]
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert [json.dumps(arn) for arn in properties["ManagedPolicyArns"]] == [
        json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{p}"]]})
        for p in (
            "service-role/AWSBackupServiceRolePolicyForBackup",
            "service-role/AWSBackupServiceRolePolicyForRestores",
            # S3 is in neither of the two above: without these, S3 jobs fail.
            "AWSBackupServiceRolePolicyForS3Backup",
            "AWSBackupServiceRolePolicyForS3Restore",
        )
    ]


def test_management_account_gets_a_vault_per_region_and_the_role_once(
    example_synth: Synth,
) -> None:
    for region in ("eu-west-1", "eu-central-1", "us-east-1"):
        template = example_synth.templates[f"Acme-ManagementBaseline-{region}"]
        vault, key, backup_role = backup_parts(template)
        assert vault["DeletionPolicy"] == key["DeletionPolicy"] == "Retain"
        assert template["Conditions"][backup_role["Condition"]] == {
            "Fn::Equals": [{"Ref": "AWS::Region"}, HOME]
        }


# ---- the key policy, as deployed in a member account ----------------------------------------


@pytest.fixture(scope="module")
def resolve(member_baseline_template: dict[str, Any]) -> Resolver:
    return Resolver(member_baseline_template, account=MEMBER, region=HOME, parameters=PARAMETERS)


@pytest.fixture(scope="module")
def key_policy(member_baseline_template: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    _, key, _ = backup_parts(member_baseline_template)
    policy: dict[str, Any] = resolve(key["Properties"]["KeyPolicy"])
    return policy


def _as(arn: str, **extra: str) -> dict[str, str]:
    return {"aws:PrincipalArn": arn, "aws:PrincipalAccount": arn.split(":")[4], **extra}


VIA_BACKUP = {"kms:ViaService": f"backup.{HOME}.amazonaws.com", "kms:CallerAccount": MEMBER}
FOR_AWS = {"kms:GrantIsForAWSResource": "true"}

# (what, principal ARN, action, context, decision)
KEY_CASES: list[tuple[str, str, str, dict[str, str], str]] = [
    ("the backup role encrypts a recovery point", BACKUP_ROLE, "kms:GenerateDataKey",
     _as(BACKUP_ROLE), "allow"),
    ("the backup role decrypts for a restore", BACKUP_ROLE, "kms:Decrypt", _as(BACKUP_ROLE),
     "allow"),
    # A copy into another region's vault: that vault's key, the same role.
    ("the backup role encrypts a copy from another region", BACKUP_ROLE, "kms:GenerateDataKey",
     _as(BACKUP_ROLE, **{"kms:ViaService": "backup.eu-central-1.amazonaws.com"}), "allow"),
    ("the backup role grants to an AWS resource", BACKUP_ROLE, "kms:CreateGrant",
     _as(BACKUP_ROLE, **FOR_AWS), "allow"),
    ("the backup role grants to a principal of its choosing", BACKUP_ROLE, "kms:CreateGrant",
     _as(BACKUP_ROLE), "none"),
    ("a role of that name in another account", role(OTHER, "Acme-Backup"), "kms:Decrypt",
     _as(role(OTHER, "Acme-Backup")), "none"),
    ("CloudFormation creates the vault through Backup", STACKSET, "kms:CreateGrant",
     _as(STACKSET, **VIA_BACKUP, **FOR_AWS), "allow"),
    ("CloudFormation describes the key through Backup", STACKSET, "kms:DescribeKey",
     _as(STACKSET, **VIA_BACKUP), "allow"),
    ("a workload restores through Backup with a role of its own", ADMIN, "kms:Decrypt",
     _as(ADMIN, **VIA_BACKUP), "allow"),
    ("a workload admin decrypts directly", ADMIN, "kms:Decrypt", _as(ADMIN), "none"),
    ("a workload admin encrypts directly", ADMIN, "kms:GenerateDataKey", _as(ADMIN), "none"),
    ("a workload admin decrypts through another service", ADMIN, "kms:Decrypt",
     _as(ADMIN, **{"kms:ViaService": f"s3.{HOME}.amazonaws.com", "kms:CallerAccount": MEMBER}),
     "none"),
    ("a workload admin grants through Backup to a principal", ADMIN, "kms:CreateGrant",
     _as(ADMIN, **VIA_BACKUP), "none"),
    ("another account through Backup", role(OTHER, "Admin"), "kms:Decrypt",
     _as(role(OTHER, "Admin"), **{**VIA_BACKUP, "kms:CallerAccount": OTHER}), "none"),
    ("the account administers the key (the guardrail stops workloads)", ADMIN,
     "kms:ScheduleKeyDeletion", _as(ADMIN), "allow"),
]  # fmt: skip


@pytest.mark.parametrize("case", KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_key_policy_decides(
    key_policy: dict[str, Any], case: tuple[str, str, str, dict[str, str], str]
) -> None:
    _, principal, action, context, expected = case
    request = Request(action, KEY, context, principal=("AWS", principal))
    assert resource_policy_decision(key_policy, request) == expected


def test_key_policy_grants_nothing_beyond_administration_and_backup(
    key_policy: dict[str, Any],
) -> None:
    """Every Allow is the administration (no use) or names the backup role or Backup itself."""
    for statement in key_policy["Statement"]:
        assert statement["Effect"] == "Allow"
        if statement["Sid"] == "KeyAdministration":
            assert set(statement["Action"]) == set(KEY_ADMIN_ACTIONS)
            continue
        condition = json.dumps(statement["Condition"])
        assert BACKUP_ROLE in condition or f"backup.{HOME}.amazonaws.com" in condition
        assert not {"kms:Encrypt", "kms:ReEncrypt*", "kms:*"} & set(
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )


# ---- the vault's access policy: recovery points --------------------------------------------


@pytest.fixture(scope="module")
def access_policy(member_baseline_template: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    vault, _, _ = backup_parts(member_baseline_template)
    policy: dict[str, Any] = resolve(vault["Properties"]["AccessPolicy"])
    return policy


ACCESS_CASES: list[tuple[str, str, str, str]] = [
    ("a workload admin deletes a recovery point", ADMIN, "backup:DeleteRecoveryPoint", "deny"),
    ("a workload admin shortens a recovery point's lifecycle", ADMIN,
     "backup:UpdateRecoveryPointLifecycle", "deny"),
    ("a workload admin detaches a continuous backup", ADMIN, "backup:DisassociateRecoveryPoint",
     "deny"),
    ("a role named like the backup role elsewhere", role(OTHER, "Acme-Backup"),
     "backup:DeleteRecoveryPoint", "deny"),
    ("the backup role expires a recovery point", BACKUP_ROLE, "backup:DeleteRecoveryPoint",
     "none"),
    ("Backup's service-linked role expires one", role(
        MEMBER, "aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"),
     "backup:DeleteRecoveryPoint", "none"),
    ("the StackSet role", STACKSET, "backup:DeleteRecoveryPoint", "none"),
    ("break-glass", role(MEMBER, "Acme-BreakGlass-Primary"), "backup:DeleteRecoveryPoint",
     "none"),
    ("a workload admin restores", ADMIN, "backup:StartRestoreJob", "none"),
]  # fmt: skip


@pytest.mark.parametrize("case", ACCESS_CASES, ids=[c[0] for c in ACCESS_CASES])
def test_vault_access_policy_decides(
    access_policy: dict[str, Any], case: tuple[str, str, str, str]
) -> None:
    _, principal, action, expected = case
    request = Request(action, RECOVERY_POINT, _as(principal), principal=("AWS", principal))
    assert resource_policy_decision(access_policy, request) == expected


# ---- variants: compliance lock, backup off -------------------------------------------------


def test_compliance_lock_has_its_grace_period(everything_synth: Synth) -> None:
    template = everything_synth.stackset_templates["Tiny-MemberBaseline/Template"]
    (vault,) = resources_of(template, "AWS::Backup::BackupVault").values()
    assert vault["Properties"]["LockConfiguration"] == {
        "MinRetentionDays": 30,
        "MaxRetentionDays": 400,
        "ChangeableForDays": 3,
    }


def test_no_lock_without_vault_lock(tmp_path: Path) -> None:
    # The minimal fixture configures no Vault Lock (the default).
    assert load_config(FIXTURES / "minimal.yaml").baseline.backup.vault_lock is None


def test_backup_off_leaves_no_vault_key_or_role(everything_off_synth: Synth) -> None:
    templates = [
        everything_off_synth.stackset_templates["Tiny-MemberBaseline/Template"],
        *(t for name, t in everything_off_synth.templates.items() if "ManagementBaseline" in name),
    ]
    for template in templates:
        assert resources_of(template, "AWS::Backup::BackupVault") == {}
        assert resources_of(template, "AWS::KMS::Key") == {}
        assert "Acme-Backup" not in json.dumps(template)
        assert "Tiny-Backup" not in json.dumps(template)


# ---- configuration ------------------------------------------------------------------------


def test_defaults_are_a_vault_without_lock() -> None:
    backup = load_config(FIXTURES / "minimal.yaml").baseline.backup
    assert backup.enabled is True
    assert backup.vault_lock is None


def _lock(tmp_path: Path, lock: str) -> Path:
    return with_baseline(tmp_path, "  backup:\n    vault_lock:\n" + lock)


def test_minimum_longer_than_maximum_is_refused(tmp_path: Path) -> None:
    path = _lock(
        tmp_path,
        "      mode: governance\n      min_retention_days: 40\n      max_retention_days: 30\n",
    )
    (problem,) = problems_of(path)
    assert "baseline.backup.vault_lock.min_retention_days: 40 days is longer than " in problem
    assert "max_retention_days (30)" in problem


def test_compliance_needs_a_grace_period_and_governance_has_none(tmp_path: Path) -> None:
    (problem,) = problems_of(
        _lock(tmp_path, "      mode: compliance\n      min_retention_days: 7\n")
    )
    assert "vault_lock.changeable_for_days: compliance mode needs changeable_for_days" in problem
    (problem,) = problems_of(
        _lock(
            tmp_path,
            "      mode: governance\n      min_retention_days: 7\n      changeable_for_days: 3\n",
        )
    )
    assert "vault_lock.changeable_for_days: governance mode has no grace period" in problem


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("min_retention_days", 0),
        ("max_retention_days", 36501),
        ("changeable_for_days", 2),
        ("mode", "GOVERNANCE"),
    ],
)
def test_values_outside_what_aws_accepts_are_refused(
    tmp_path: Path, field: str, value: object
) -> None:
    lock = {"mode": "compliance", "min_retention_days": 7, "changeable_for_days": 3, field: value}
    text = "".join(f"      {k}: {v}\n" for k, v in lock.items())
    problems = problems_of(_lock(tmp_path, text))
    assert any(f"baseline.backup.vault_lock.{field}" in p for p in problems), problems


def lock_warnings(path: Path) -> list[str]:
    """The warnings about the vault's lock (the minimal fixture has others)."""
    return [w for w in load_config_and_warnings(path)[1] if "vault_lock" in w]


def test_compliance_mode_is_warned_about(tmp_path: Path) -> None:
    path = _lock(
        tmp_path,
        "      mode: compliance\n      min_retention_days: 30\n      changeable_for_days: 3\n",
    )
    (warning,) = lock_warnings(path)
    assert "baseline.backup.vault_lock.mode: irreversible 3 days after the first deploy" in warning
    path = _lock(tmp_path, "      mode: governance\n      min_retention_days: 30\n")
    assert lock_warnings(path) == []


def test_a_disabled_vault_is_not_warned_about_its_lock(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="baseline:\n  backup:\n    enabled: false\n    vault_lock:\n"
        "      mode: compliance\n      min_retention_days: 30\n      changeable_for_days: 3\n",
    )
    assert lock_warnings(path) == []
