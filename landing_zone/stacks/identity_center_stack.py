"""IAM Identity Center: permission sets, and group assignments in the config's accounts.

``<Prefix>-IdentityCenter`` lives in the management account, in the
instance's region (every Identity Center API call goes to that region). It
holds the permission sets, the resolver function and the group lookups; the
assignments live in its nested stacks, one per slot of accounts
(``landing_zone/identity_center.py``). Permission set ARNs, group ids and the
resolver's ARN reach a nested stack as its parameters, so a replaced permission
set (a new name) changes them and the nested stack replaces its assignments in
the same deployment; a slot left without assignments is deleted with them.
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html

What it never touches: users, groups and the identity source. A group is
looked up by display name at deploy time (``Custom::IdentityStoreGroup``);
created accounts' ids by email (``Custom::AccountIds``); adopted accounts'
ids are literals.
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-assignment.html
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, Aws, CustomResource, NestedStack, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sso as sso
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import IdentityCenterConfig, PermissionSetConfig
from landing_zone.constructs.handler import SERVICE_TIMEOUT, HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.identity_center import ACCOUNTS_PER_RESOLVER, SLOTS, Assignment, Slot
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
    """The permission sets and group lookups; the assignments in one nested stack per slot.

    Public attributes: ``permission_set_arns`` (permission set key -> ARN
    token), ``group_ids`` (display name -> ``Custom::IdentityStoreGroup`` id
    token), ``resolver`` (the lookup function, ``None`` without assignments) and
    ``assignment_stacks`` (slot index -> :class:`AssignmentSlotStack`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        center: IdentityCenterConfig,
        slots: Sequence[Slot],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.permission_set_arns: dict[str, str] = {}
        for key, permission_set in center.permission_sets.items():
            resource = sso.CfnPermissionSet(
                self,
                f"PermissionSet{pascal(key)}",
                instance_arn=center.instance_arn,
                **_permission_set_properties(permission_set, partition=config.partition),
            )
            self.permission_set_arns[key] = resource.attr_permission_set_arn
        self.group_ids: dict[str, str] = {}
        self.resolver: HandlerFunction | None = None
        self.assignment_stacks: dict[int, AssignmentSlotStack] = {}
        if not slots:
            return
        self.resolver = self._resolver(center=center, slots=slots)
        token = self.resolver.function.function_arn
        for name in sorted({group for slot in slots for group in slot.groups}):
            self.group_ids[name] = CustomResource(
                self,
                group_logical_id(name),
                service_token=token,
                resource_type=GROUP_TYPE,
                service_timeout=SERVICE_TIMEOUT,
                properties={"IdentityStoreId": center.identity_store_id, "DisplayName": name},
            ).get_att_string("GroupId")
        for slot in slots:
            self.assignment_stacks[slot.index] = AssignmentSlotStack(
                self,
                slot.construct_id,
                config=config,
                center=center,
                slot=slot,
                resolver_arn=token,
                permission_set_arns=self.permission_set_arns,
                group_ids=self.group_ids,
                description=f"{config.prefix} landing zone: IAM Identity Center group "
                f"assignments, slot {slot.index + 1} of {SLOTS}",
            )

    def _resolver(self, *, center: IdentityCenterConfig, slots: Sequence[Slot]) -> HandlerFunction:
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
        if any(slot.created for slot in slots):
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
        return handler


def group_logical_id(name: str) -> str:
    """A group lookup's logical id, from its display name (a rename: docs/identity.md)."""
    return f"Group{zlib.crc32(name.encode()):08X}"


def assignment_logical_id(assignment: Assignment) -> str:
    """An assignment's logical id in its nested stack: permission set key, group, account key."""
    group = zlib.crc32(assignment.group.encode())
    return f"Assign{pascal(assignment.permission_set)}{group:08X}{pascal(assignment.account)}"


class AssignmentSlotStack(NestedStack):
    """The assignments (and created accounts' id lookups) of the accounts of one slot.

    The permission set ARNs, group ids and resolver ARN it refers to in its
    parent become its parameters (CDK does it for every token of another stack).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        center: IdentityCenterConfig,
        slot: Slot,
        resolver_arn: str,
        permission_set_arns: Mapping[str, str],
        group_ids: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        account_ids = {
            key: account.account_id
            for key, account in config.all_accounts()
            if account.account_id is not None
        }
        for start in range(0, len(slot.created), ACCOUNTS_PER_RESOLVER):
            chunk = slot.created[start : start + ACCOUNTS_PER_RESOLVER]
            resolver = CustomResource(
                self,
                f"AccountIds{start // ACCOUNTS_PER_RESOLVER + 1}",
                service_token=resolver_arn,
                resource_type=ACCOUNTS_TYPE,
                service_timeout=SERVICE_TIMEOUT,
                properties={"Emails": [email for _, email in chunk]},
            )
            for index, (key, _) in enumerate(chunk):
                account_ids[key] = resolver.get_att_string(f"A{index}")
        for assignment in slot.assignments:
            sso.CfnAssignment(
                self,
                assignment_logical_id(assignment),
                instance_arn=center.instance_arn,
                permission_set_arn=permission_set_arns[assignment.permission_set],
                principal_type="GROUP",
                principal_id=group_ids[assignment.group],
                target_type="AWS_ACCOUNT",
                target_id=account_ids[assignment.account],
            )
