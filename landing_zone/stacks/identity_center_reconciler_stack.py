"""Identity Center assignments for accounts outside the config, kept current without a redeploy.

``<Prefix>-IdentityCenterReconciler`` lives in the management account in
us-east-1: AWS Organizations is a global service and its CloudTrail events
reach EventBridge only there.
See: https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
See: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-organizations.html

Two rules start the function (``landing_zone/lambdas/identity_center_reconciler.py``):
Organizations' ``CreateAccountResult`` (a service event: detail-type "AWS
Service Event via CloudTrail") and ``MoveAccount`` (an API call: "AWS API Call
via CloudTrail"), and a daily schedule that reconciles every account (an
event missed, a config change, an account invited into the organization).
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_security_incident-response.html

Its input is literals of the config in one environment variable (the
permission sets and groups are looked up by name at run time: their ids are
deploy-time values of the IdentityCenter stack, in another region).
EventBridge invokes the function asynchronously: Lambda retries a failed run
twice, then sends the event to the failure queue.
See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import IdentityCenterConfig
from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.identity_center import RECONCILER_VARIABLE, reconciler_environment

#: The Organizations events that put an account in an OU (or change which).
ORGANIZATIONS_EVENTS: dict[str, Any] = {
    "source": ["aws.organizations"],
    "detail-type": ["AWS API Call via CloudTrail", "AWS Service Event via CloudTrail"],
    "detail": {
        "eventSource": ["organizations.amazonaws.com"],
        "eventName": ["CreateAccountResult", "MoveAccount"],
    },
}


class IdentityCenterReconcilerStack(Stack):
    """The reconciler function, its two rules and its failure queue."""

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
        handler = HandlerFunction(
            self,
            "Reconciler",
            description="Landing zone: Identity Center assignments of accounts outside the "
            "config, by OU",
            code=lambda_.Code.from_inline(inline_handler("identity_center_reconciler")),
            handler="index.handler",
            function_name=f"{config.prefix}-IdentityCenterReconciler",
            # Lambda's longest: the daily run walks every account of the organization.
            # See: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
            timeout=Duration.minutes(15),
        )
        handler.function.add_environment(RECONCILER_VARIABLE, reconciler_environment(config))
        # Organizations' read calls support no resource-level permissions but
        # DescribeAccount / ListParents / DescribeOrganizationalUnit do; all
        # four are reads of this organization.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
        handler.allow(
            [
                "organizations:DescribeAccount",
                "organizations:DescribeOrganizationalUnit",
                "organizations:ListAccounts",
                "organizations:ListParents",
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
        partition = config.partition
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsiamidentitycenter.html
        handler.allow(
            ["sso:DescribePermissionSet", "sso:ListPermissionSets"],
            [instance, f"arn:{partition}:sso:::permissionSet/{instance.split('/')[-1]}/*"],
        )
        handler.allow(
            [
                "sso:CreateAccountAssignment",
                "sso:DeleteAccountAssignment",
                "sso:DescribeAccountAssignmentCreationStatus",
                "sso:DescribeAccountAssignmentDeletionStatus",
                "sso:ListAccountAssignments",
            ],
            [
                instance,
                f"arn:{partition}:sso:::permissionSet/{instance.split('/')[-1]}/*",
                f"arn:{partition}:sso:::account/*",
            ],
        )
        failures = sqs.Queue(
            self,
            "Failures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=Duration.days(14),
        )
        handler.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(failures), retry_attempts=2
        )
        Validations.of(self).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Organizations' ListAccounts supports no resource-level permissions; "
                "the other three reads are of this organization's accounts and OUs",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:identitystore:::group/*]",
                reason="GetGroupId looks a group up by name: its id is what it finds out",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:sso:::permissionSet/"
                f"{instance.split('/')[-1]}/*]",
                reason="the permission sets are found by name at run time (their ARNs are "
                "deploy-time values of a stack in another region); this instance's only",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:sso:::account/*]",
                reason="the accounts are those created or moved later: not known at deploy "
                "time; the config's own are skipped by the code",
            ),
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="this queue is the dead-letter destination of the reconciler itself",
            ),
            Acknowledgment(
                id="AwsSolutions-SQS4",
                reason="no queue policy: only principals of this account granted by IAM reach "
                "it (Lambda's destination writes with the function's role, over HTTPS)",
            ),
        )
        for rule in (
            events.Rule(
                self,
                "OrganizationsEvents",
                rule_name=f"{config.prefix}-IdentityCenterAccountEvents",
                description="Landing zone: an account created or moved: reconcile its Identity "
                "Center assignments",
                event_pattern=events.EventPattern(
                    source=ORGANIZATIONS_EVENTS["source"],
                    detail_type=ORGANIZATIONS_EVENTS["detail-type"],
                    detail=ORGANIZATIONS_EVENTS["detail"],
                ),
            ),
            events.Rule(
                self,
                "Daily",
                rule_name=f"{config.prefix}-IdentityCenterDaily",
                description="Landing zone: reconcile every account's Identity Center "
                "assignments (missed events, config changes, invited accounts)",
                schedule=events.Schedule.rate(Duration.days(1)),
            ),
        ):
            rule.add_target(targets.LambdaFunction(handler.function))
