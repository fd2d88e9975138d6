"""Customer managed KMS keys the landing zone creates: administered, never decrypting by default."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# Key administration without cryptographic use: the owning account may
# manage the key through IAM policies but not encrypt or decrypt with it;
# kms:CreateGrant is left out because a grant is a way to hand out decryption.
# See: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)


class AdministeredKey(Construct):
    """A rotating, retained KMS key whose policy is exactly: administration plus ``statements``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        alias: str,
        statements: Sequence[iam.PolicyStatement],
    ) -> None:
        super().__init__(scope, construct_id)
        administration = iam.PolicyStatement(
            sid="KeyAdministration",
            principals=[iam.AccountRootPrincipal()],
            actions=list(KEY_ADMIN_ACTIONS),
            resources=["*"],
        )
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            # CIS 3.6 / Security Hub KMS.4: automatic yearly rotation.
            enable_key_rotation=True,
            # An explicit policy replaces CDK's default, which grants the
            # account root kms:* (decryption included).
            policy=iam.PolicyDocument(statements=[administration, *statements]),
            # Nothing is lost: data encrypted under a deleted key is gone.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.alias = self.key.add_alias(alias)
        self.alias.apply_removal_policy(RemovalPolicy.RETAIN)
