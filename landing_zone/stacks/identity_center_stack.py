"""IAM Identity Center: permission sets, and group assignments in the config's accounts.

``<Prefix>-IdentityCenter`` lives in the management account, in the
instance's region (every Identity Center API call goes to that region). It
holds the permission sets and, unless ``assignment_stacks`` spreads them,
the assignments; otherwise each ``<Prefix>-IdentityCenter-<n>`` holds the
assignments of the accounts that hash to it (``landing_zone/identity_center.py``).

What it never touches: users, groups and the identity source. A group is
looked up by display name at deploy time (``Custom::IdentityStoreGroup``);
created accounts' ids by email (``Custom::AccountIds``); adopted accounts'
ids are literals.
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-assignment.html
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from aws_cdk import Acknowledgment, Aws, CustomResource, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sso as sso
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import IdentityCenterConfig, PermissionSetConfig
from landing_zone.constructs.handler import SERVICE_TIMEOUT, HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.identity_center import ACCOUNTS_PER_RESOLVER, AssignmentShard
from landing_zone.lambdas.identity_center import ACCOUNTS_TYPE, GROUP_TYPE
from landing_zone.naming import pascal


def managed_policy_arn(policy: str, *, partition: str) -> str:
    """An AWS managed policy's ARN from its name (``job-function/Billing``) or ARN."""
    return policy if policy.startswith("arn:") else f"arn:{partition}:iam::aws:policy/{policy}"


def _permission_set_properties(
    permission_set: PermissionSetConfig, *, partition: str
) -> dict[str, Any]:
    boundary = permission_set.permissions_boundary
    properties: dict[str, Any] = {
        "name": permission_set.name,
        "description": permission_set.description,
        "session_duration": permission_set.session_duration,
        "managed_policies": [
            managed_policy_arn(p, partition=partition) for p in permission_set.managed_policies
        ]
        or None,
        "customer_managed_policy_references": [
            sso.CfnPermissionSet.CustomerManagedPolicyReferenceProperty(name=p.name, path=p.path)
            for p in permission_set.customer_managed_policies
        ]
        or None,
        "inline_policy": permission_set.inline_document,
    }
    if boundary is not None:
        reference = boundary.customer_managed_policy
        properties["permissions_boundary"] = sso.CfnPermissionSet.PermissionsBoundaryProperty(
            managed_policy_arn=managed_policy_arn(boundary.managed_policy, partition=partition)
            if boundary.managed_policy is not None
            else None,
            customer_managed_policy_reference=sso.CfnPermissionSet.CustomerManagedPolicyReferenceProperty(
                name=reference.name, path=reference.path
            )
            if reference is not None
            else None,
        )
    return properties


class IdentityCenterStack(Stack):
    """The permission sets (main stack) and/or one shard of assignments."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        center: IdentityCenterConfig,
        shard: AssignmentShard | None,
        permission_set_arns: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.permission_set_arns: dict[str, str] = dict(permission_set_arns or {})
        if permission_set_arns is None:
            for key, permission_set in center.permission_sets.items():
                resource = sso.CfnPermissionSet(
                    self,
                    f"PermissionSet{pascal(key)}",
                    instance_arn=center.instance_arn,
                    **_permission_set_properties(permission_set, partition=config.partition),
                )
                self.permission_set_arns[key] = resource.attr_permission_set_arn
        if shard is not None and shard.assignments:
            self._assignments(config=config, center=center, shard=shard)

    def _assignments(
        self, *, config: LandingZoneConfig, center: IdentityCenterConfig, shard: AssignmentShard
    ) -> None:
        handler = HandlerFunction(
            self,
            "Resolver",
            description="Landing zone: Identity Center group ids by display name, account ids "
            "by email",
            code=lambda_.Code.from_inline(inline_handler("identity_center")),
            handler="index.handler",
        )
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentitystore.html
        handler.allow(
            ["identitystore:GetGroupId"],
            [
                f"arn:{Aws.PARTITION}:identitystore::{Aws.ACCOUNT_ID}:identitystore/"
                f"{center.identity_store_id}",
                f"arn:{Aws.PARTITION}:identitystore:::group/*",
            ],
        )
        if shard.created:
            handler.allow(["organizations:ListAccounts"], ["*"])
        Validations.of(handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="organizations:ListAccounts supports no resource-level permissions",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:identitystore:::group/*]",
                reason="GetGroupId looks a group up by name: its id is what it finds out",
            ),
        )
        token = handler.function.function_arn
        groups = {
            name: CustomResource(
                self,
                f"Group{zlib.crc32(name.encode()):08X}",
                service_token=token,
                resource_type=GROUP_TYPE,
                service_timeout=SERVICE_TIMEOUT,
                properties={"IdentityStoreId": center.identity_store_id, "DisplayName": name},
            ).get_att_string("GroupId")
            for name in shard.groups
        }
        account_ids = {
            key: account.account_id
            for key, account in config.all_accounts()
            if account.account_id is not None
        }
        for start in range(0, len(shard.created), ACCOUNTS_PER_RESOLVER):
            chunk = shard.created[start : start + ACCOUNTS_PER_RESOLVER]
            resolver = CustomResource(
                self,
                f"AccountIds{start // ACCOUNTS_PER_RESOLVER + 1}",
                service_token=token,
                resource_type=ACCOUNTS_TYPE,
                service_timeout=SERVICE_TIMEOUT,
                properties={"Emails": [email for _, email in chunk]},
            )
            for index, (key, _) in enumerate(chunk):
                account_ids[key] = resolver.get_att_string(f"A{index}")
        for assignment in shard.assignments:
            group = zlib.crc32(assignment.group.encode())
            sso.CfnAssignment(
                self,
                f"Assign{pascal(assignment.permission_set)}{group:08X}{pascal(assignment.account)}",
                instance_arn=center.instance_arn,
                permission_set_arn=self.permission_set_arns[assignment.permission_set],
                principal_type="GROUP",
                principal_id=groups[assignment.group],
                target_type="AWS_ACCOUNT",
                target_id=account_ids[assignment.account],
            )
