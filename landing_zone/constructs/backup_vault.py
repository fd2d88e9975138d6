"""The AWS Backup vault, its KMS key and the backup role, in every account and governed region.

Organization backup policies name a vault and a role by name, with
``$account`` for each account; they create neither. The baseline creates
both (``landing_zone/backup.py`` holds the names): the vault in every
governed region, the role once per account (IAM is global: the home region
only, on the same CloudFormation condition as the investigation role).
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html

A plan that copies to a second governed region copies into the same-named
vault of the same account there. A same-account copy needs no vault access
policy (AWS Backup refuses cross-account access for every action but
backup:CopyIntoBackupVault, and that only where the destination vault's
policy allows it; within one account IAM decides); the destination vault
re-encrypts the copy with its own key, which the role may use in every
region (below).
See: https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
See: https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Aws, CfnCondition, RemovalPolicy, Validations
from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from constructs import Construct

from landing_zone.backup import BACKUP_KEY, backup_role_name, backup_vault_name
from landing_zone.config import VaultLockConfig
from landing_zone.constructs.keys import AdministeredKey
from landing_zone.naming import kms_alias_name

BACKUP_SERVICE = "backup.amazonaws.com"

# AWS maintains these as AWS Backup adds resource types. The first two (ARNs
# with the service-role/ path) leave Amazon S3 out: S3 backups and restores
# need the two S3 policies (ARNs without a path) as well, or every job of a
# bucket a plan selects fails.
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForRestores.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Backup.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForS3Restore.html
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html
BACKUP_ROLE_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)

# What a principal needs on a vault's key to create the vault and to back up
# into and restore from it (the create-vault page lists these five). AWS
# Backup encrypts with the vault's key only what it fully manages (S3,
# DynamoDB advanced backups, EFS, VMware, ...); EBS, RDS and the like keep
# their source's key.
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:RetireGrant")
GRANT_ACTION = "kms:CreateGrant"

# What a workload principal could do to a recovery point of the vault to
# lose it early: delete it, shorten its lifecycle, or detach it (continuous
# backups). Recovery point ARNs do not name their vault, so an SCP cannot
# single out this vault's; the vault's own access policy can.
# See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
RECOVERY_POINT_ACTIONS = (
    "backup:DeleteRecoveryPoint",
    "backup:DisassociateRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
)

# AWS Backup falls back to its service-linked role to manage lifecycle when
# the plan's role cannot; exempt it too, so expiry never fails on our deny.
# Only AWS Backup can be that role.
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-iam.html
# See: https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles.html
BACKUP_SERVICE_LINKED_ROLE = (
    "arn:{partition}:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
)


def backup_role_trust_policy() -> dict[str, Any]:
    """AWS Backup, and nothing else, assumes the role (the trust of AWS's own default role).

    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": BACKUP_SERVICE},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def backup_key_statements(*, role_arn: str, account: str, region: str) -> list[iam.PolicyStatement]:
    """What the key policy lets use the key besides its administration: Backup, nobody else.

    The backup role is named by ``aws:PrincipalArn`` under ``Principal: *``,
    not as the principal: KMS refuses a key policy naming a role that does
    not exist yet, and the role is created by the home region's stack, which
    a parallel StackSet rollout may not have reached when another region
    creates its key. The condition grants the role itself, as a principal
    would (no IAM policy is needed in the same account).
    See: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn

    Every other principal of the account may use the key only through AWS
    Backup (kms:ViaService), as the AWS managed aws/backup key allows: that is
    how CloudFormation creates the vault with it, and how anyone restores
    with a role of their own. Directly, nobody can encrypt or decrypt with it.
    See: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    See: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    """
    role = {"ArnEquals": {"aws:PrincipalArn": role_arn}}
    through_backup = {
        "StringEquals": {
            "kms:CallerAccount": account,
            "kms:ViaService": f"backup.{region}.amazonaws.com",
        }
    }
    for_aws_resources = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    statements = []
    for who, condition in (("BackupRole", role), ("AccountThroughBackup", through_backup)):
        statements += [
            iam.PolicyStatement(
                sid=f"{who}UsesKey",
                principals=[iam.AnyPrincipal()],
                actions=list(KEY_USE_ACTIONS),
                resources=["*"],
                conditions=condition,
            ),
            # Grants only for AWS resources: Backup's own, never a principal's.
            iam.PolicyStatement(
                sid=f"{who}GrantsToBackup",
                principals=[iam.AnyPrincipal()],
                actions=[GRANT_ACTION],
                resources=["*"],
                conditions={**condition, **for_aws_resources},
            ),
        ]
    return statements


def vault_access_policy(*, exempt: Sequence[str]) -> dict[str, Any]:
    """The vault's access policy: only ``exempt`` may delete or shorten a recovery point.

    The AWS Config managed rule backup-recovery-point-manual-deletion-disabled
    looks for this shape (Principal and Resource ``*``).
    PutBackupVaultAccessPolicy is not denied here, unlike that rule expects:
    CloudFormation must be able to update this policy, and in the management
    account it runs as a role no config names; the guardrails deny it to
    workload principals in every member account instead.
    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
    See: https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-manual-deletion-disabled.html
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProtectRecoveryPoints",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": list(RECOVERY_POINT_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted(set(exempt))}},
            }
        ],
    }


def lock_configuration(
    lock: VaultLockConfig,
) -> backup.CfnBackupVault.LockConfigurationTypeProperty:
    """Vault Lock as CloudFormation writes it: a grace period is what makes it compliance mode.

    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-backup-backupvault-lockconfigurationtype.html
    """
    return backup.CfnBackupVault.LockConfigurationTypeProperty(
        min_retention_days=lock.min_retention_days,
        max_retention_days=lock.max_retention_days,
        changeable_for_days=lock.changeable_for_days if lock.mode == "compliance" else None,
    )


@dataclass(frozen=True)
class BackupVaultSpec:
    """What the baseline's vault depends on in the config."""

    vault_lock: VaultLockConfig | None
    #: Who may still delete or shorten a recovery point (the guardrails' exemptions).
    exempt_arns: tuple[str, ...]


class BackupVault(Construct):
    """``<Prefix>-Backup``: the vault (own key, retained) here, and the role in the home region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        is_home_region: CfnCondition,
        spec: BackupVaultSpec,
    ) -> None:
        super().__init__(scope, construct_id)
        partition, account = Aws.PARTITION, Aws.ACCOUNT_ID
        role_name = backup_role_name(prefix)
        role_arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        self.key = AdministeredKey(
            self,
            "Key",
            description="Landing zone: encrypts the backup vault's recovery points",
            alias=kms_alias_name(prefix, BACKUP_KEY),
            statements=backup_key_statements(role_arn=role_arn, account=account, region=Aws.REGION),
        ).key
        self.vault = backup.CfnBackupVault(
            self,
            "Vault",
            backup_vault_name=backup_vault_name(prefix),
            encryption_key_arn=self.key.key_arn,
            access_policy=vault_access_policy(
                exempt=[
                    *spec.exempt_arns,
                    # Lifecycle (expiry) runs as the plan's role.
                    role_arn,
                    BACKUP_SERVICE_LINKED_ROLE.format(partition=partition),
                ]
            ),
            lock_configuration=(lock_configuration(spec.vault_lock) if spec.vault_lock else None),
        )
        # Recovery points outlive a stack: a vault that still holds any cannot
        # be deleted anyway, and its key must stay to decrypt them.
        self.vault.apply_removal_policy(RemovalPolicy.RETAIN)
        self.role = iam.CfnRole(
            self,
            "Role",
            role_name=role_name,
            description="Landing zone: AWS Backup backs up and restores with this role "
            "(organization backup policies)",
            assume_role_policy_document=backup_role_trust_policy(),
            managed_policy_arns=[
                f"arn:{partition}:iam::aws:policy/{policy}" for policy in BACKUP_ROLE_POLICIES
            ],
        )
        # IAM is global: once per account.
        self.role.cfn_options.condition = is_home_region
        Validations.of(self.role).acknowledge(
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
                    reason="AWS maintains the AWS Backup service role policies as resource "
                    "types are added; a customer managed copy would fall behind and fail "
                    "backups or restores of new types",
                )
                for policy in BACKUP_ROLE_POLICIES
            )
        )
