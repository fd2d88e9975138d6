"""IAM Identity Center: the permission sets, and the reconciler that owns the assignments.

``<Prefix>-IdentityCenter`` lives in the management account, in the
instance's region (every Identity Center API call goes to that region):

- the permission sets (``AWS::SSO::PermissionSet``);
- ``<Prefix>-IdentityCenterReconciler``, the one owner of the assignments
  (``landing_zone/identity_center.py`` says why not CloudFormation), its
  deploy-time custom resource, an hourly schedule and a rule on AWS
  Organizations' ``CreateAccountResult`` and ``MoveAccount`` events. Those
  events reach EventBridge in us-east-1 only; when the instance is elsewhere
  ``<Prefix>-IdentityCenterEvents`` (us-east-1) forwards them to this
  region's default event bus.
  See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html

What it never touches: users, groups and the identity source. A group is
looked up by display name at each run (identitystore:GetGroupId).
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sso-permissionset.html
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Aws, CustomResource, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_sso as sso
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import IdentityCenterConfig, PermissionSetConfig
from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.identity_center import (
    ORGANIZATIONS_EVENTS_REGION,
    RULES_VARIABLE,
    encoded_rules,
    reconciler_name,
)
from landing_zone.lambdas.identity_center_reconciler import RESOURCE_TYPE, ledger_parameter
from landing_zone.naming import pascal

#: The Organizations events that put an account in an OU, or change which.
#: CreateAccountResult is a service event ("AWS Service Event via CloudTrail"),
#: MoveAccount an API call ("AWS API Call via CloudTrail").
#: See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
#: See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_security_incident-response.html
ORGANIZATIONS_EVENTS: dict[str, list[str]] = {
    "source": ["aws.organizations"],
    "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
}
ORGANIZATIONS_EVENT_NAMES = ["CreateAccountResult", "MoveAccount"]
#: Stack statuses after which the stack's resources are settled (cleanup done).
#: See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html
SETTLED_STATUSES = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"]
#: The function's timeout: Lambda's longest. A full run at 1,000 accounts reads
#: the organization and each group's assignments in about a minute; the rest
#: is writes, which continue in a new invocation when this one runs out.
#: See: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
RECONCILER_TIMEOUT = Duration.minutes(15)


def _organizations_pattern() -> events.EventPattern:
    return events.EventPattern(
        source=ORGANIZATIONS_EVENTS["source"],
        detail_type=ORGANIZATIONS_EVENTS["detail-type"],
        detail={
            "eventSource": ["organizations.amazonaws.com"],
            "eventName": ORGANIZATIONS_EVENT_NAMES,
        },
    )


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
    """The permission sets, and the reconciler that assigns them.

    Public attributes: ``permission_set_arns`` (permission set key -> ARN
    token), ``reconciler``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        center: IdentityCenterConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.permission_set_arns: dict[str, str] = {}
        permission_sets = []
        for key, permission_set in center.permission_sets.items():
            resource = sso.CfnPermissionSet(
                self,
                f"PermissionSet{pascal(key)}",
                instance_arn=center.instance_arn,
                **_permission_set_properties(permission_set, partition=config.partition),
            )
            permission_sets.append(resource)
            self.permission_set_arns[key] = resource.attr_permission_set_arn
        # Also without assignments: emptying them is an Update that revokes what the
        # previous ones gave, with continuations and the ledger; removing the reconciler
        # instead would leave it to the custom resource's Delete in CloudFormation's
        # cleanup, one invocation long, whose failure CloudFormation skips.
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html
        self.reconciler = self._reconciler(config=config, center=center)
        function = self.reconciler.function
        encoded = encoded_rules(config)
        function.add_environment(RULES_VARIABLE, encoded)
        # One run at a time: two runs never race on one assignment. Every caller
        # invokes asynchronously (EventBridge, the continuation, and CloudFormation
        # for a custom resource), so a run waits in Lambda's queue (up to six hours)
        # until the one before it ends, rather than failing.
        # See: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
        # See: https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html
        cast_function = function.node.default_child
        if not isinstance(cast_function, lambda_.CfnFunction):
            raise TypeError("the reconciler's L1 function was not found")
        cast_function.reserved_concurrent_executions = 1
        failures = sqs.Queue(
            self,
            "ReconcilerFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=Duration.days(14),
        )
        # EventBridge and the continuations invoke asynchronously: Lambda
        # retries a failed run twice, then keeps the event in the queue.
        # See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(failures), retry_attempts=2
        )
        assignments = CustomResource(
            self,
            "Assignments",
            service_token=function.function_arn,
            resource_type=RESOURCE_TYPE,
            # CloudFormation's longest wait: the request may queue behind a running
            # hourly run (reserved concurrency 1) for up to 15 minutes, then use 15.
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
            service_timeout=Duration.hours(1),
            properties={"Rules": encoded},
        )
        for resource in permission_sets:
            assignments.node.add_dependency(resource)
        for rule in (
            events.Rule(
                self,
                "AccountEvents",
                rule_name=f"{config.prefix}-IdentityCenterAccountEvents",
                description="Landing zone: an account was created or moved: reconcile its "
                "Identity Center assignments",
                event_pattern=_organizations_pattern(),
            ),
            # After the stack's update or rollback completes, a full run with the
            # rules then in the function's environment: it restores what cleanup took
            # (assignments of resources an earlier version made) and settles a
            # rollback whose continuation ran with the newer rules.
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html
            events.Rule(
                self,
                "StackSettled",
                rule_name=f"{config.prefix}-IdentityCenterStackSettled",
                description="Landing zone: the Identity Center stack finished an update or "
                "rollback: reconcile every account",
                event_pattern=events.EventPattern(
                    source=["aws.cloudformation"],
                    detail_type=["CloudFormation Stack Status Change"],
                    detail={
                        "stack-id": [Aws.STACK_ID],
                        "status-details": {"status": SETTLED_STATUSES},
                    },
                ),
            ),
            events.Rule(
                self,
                "Hourly",
                rule_name=f"{config.prefix}-IdentityCenterHourly",
                description="Landing zone: reconcile every account's Identity Center "
                "assignments (a missed event, an invited account)",
                schedule=events.Schedule.rate(Duration.hours(1)),
            ),
        ):
            rule.add_target(targets.LambdaFunction(function, retry_attempts=2))
        Validations.of(failures).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="this queue is the failure destination of the reconciler itself",
            ),
            Acknowledgment(
                id="AwsSolutions-SQS4",
                reason="no queue policy: only principals of this account granted by IAM reach "
                "it, and Lambda's destination writes with the function's role over HTTPS",
            ),
        )

    def _reconciler(
        self, *, config: LandingZoneConfig, center: IdentityCenterConfig
    ) -> HandlerFunction:
        name = reconciler_name(config)
        handler = HandlerFunction(
            self,
            "Reconciler",
            description="Landing zone: Identity Center group assignments of every member "
            "account, by the config's rules",
            code=lambda_.Code.from_inline(inline_handler("identity_center_reconciler")),
            handler="index.handler",
            function_name=name,
            timeout=RECONCILER_TIMEOUT,
        )
        # Reads of this organization; Organizations' list and describe calls on
        # accounts, OUs and roots support no narrower resource for a walk.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
        handler.allow(
            [
                "organizations:DescribeAccount",
                "organizations:DescribeOrganizationalUnit",
                "organizations:ListAccountsForParent",
                "organizations:ListOrganizationalUnitsForParent",
                "organizations:ListParents",
                "organizations:ListRoots",
            ],
            ["*"],
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
        instance = center.instance_arn
        instance_id = instance.split("/")[-1]
        partition = config.partition
        permission_sets = f"arn:{partition}:sso:::permissionSet/{instance_id}/*"
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiamidentitycenter.html
        handler.allow(
            ["sso:DescribePermissionSet", "sso:ListPermissionSets"], [instance, permission_sets]
        )
        handler.allow(
            [
                "sso:CreateAccountAssignment",
                "sso:DeleteAccountAssignment",
                "sso:DescribeAccountAssignmentCreationStatus",
                "sso:DescribeAccountAssignmentDeletionStatus",
                "sso:ListAccountAssignments",
                "sso:ListAccountAssignmentsForPrincipal",
            ],
            [instance, permission_sets, f"arn:{partition}:sso:::account/*"],
        )
        # No IAM permissions: Identity Center provisions a permission set in a
        # member account with its own service-linked role there. Only an
        # assignment in the caller's own account (the management account,
        # never assigned here) needs the caller to hold iam:CreateRole and the like.
        # See: https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
        # Its continuation: the function's own ARN, written out (a reference to
        # the function from its own role's policy would be a circular dependency).
        handler.allow(
            ["lambda:InvokeFunction"],
            [f"arn:{partition}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{name}"],
        )
        # Its ledger: the names it owns beyond the current rules, created and kept by
        # the function (not the stack: it outlives a failed first deploy's rollback).
        # See: https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
        handler.allow(
            ["ssm:DeleteParameter", "ssm:GetParameter", "ssm:PutParameter"],
            [
                f"arn:{partition}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter"
                f"{ledger_parameter(name)}"
            ],
        )
        Validations.of(handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Organizations' walk (list roots, OUs and accounts) supports no "
                "narrower resource",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:identitystore:::group/*]",
                reason="GetGroupId looks a group up by name: its id is what it finds out",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{permission_sets}]",
                reason="the permission sets are found by name at run time; this instance's only",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:sso:::account/*]",
                reason="the accounts include those created or moved later: not known at "
                "deploy time",
            ),
        )
        return handler


class IdentityCenterEventsStack(Stack):
    """us-east-1: forwards Organizations' account events to the instance's region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        center: IdentityCenterConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if center.region == ORGANIZATIONS_EVENTS_REGION:
            raise ValueError("the events are already in the instance's region: no forwarding")
        bus = events.EventBus.from_event_bus_arn(
            self,
            "InstanceRegionBus",
            f"arn:{config.partition}:events:{center.region}:{Aws.ACCOUNT_ID}:event-bus/default",
        )
        rule_name = f"{config.prefix}-IdentityCenterAccountEventsForward"
        # Only this rule of this account may have EventBridge act as the role.
        # See: https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html
        role = iam.Role(
            self,
            "ForwardRole",
            role_name=f"{config.prefix}-IdentityCenterEventsForwarder",
            assumed_by=iam.ServicePrincipal(
                "events.amazonaws.com",
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": Aws.ACCOUNT_ID,
                        "aws:SourceArn": f"arn:{config.partition}:events:"
                        f"{ORGANIZATIONS_EVENTS_REGION}:{Aws.ACCOUNT_ID}:rule/{rule_name}",
                    }
                },
            ),
            description="Landing zone: EventBridge forwards Organizations' account events to "
            "the Identity Center region",
        )
        events.Rule(
            self,
            "ForwardAccountEvents",
            rule_name=rule_name,
            description=f"Landing zone: Organizations' account events to {center.region}, "
            "where the Identity Center reconciler runs",
            event_pattern=_organizations_pattern(),
            targets=[targets.EventBus(bus, role=role)],
        )
