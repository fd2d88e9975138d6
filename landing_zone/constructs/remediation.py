"""Automatic remediation: the pipeline in the audit account, the role in every member account.

- :class:`RemediationPipeline` (audit account, home region, its own StackSet
  template: the audit home template is near the inline limit): one
  EventBridge rule per playbook that is not off, invoking
  ``<Prefix>-RemediationFunction`` (``lambdas/remediation.py``, inline) with
  ``{"playbook": <key>, "event": <event>}``; its failures go to the findings
  topic (on-failure destination) and raise ``<Prefix>-FindingsRemediationFailed``,
  events it could not be given wait in ``<Prefix>-RemediationUndelivered``.
- :class:`RemediationRole` (member baseline, home region: IAM is global):
  ``<Prefix>-Remediation``, trusted only by the function's role, allowed
  exactly the actions of the playbooks in their modes
  (:func:`landing_zone.remediation.playbooks.role_actions`).

The playbook table is ``landing_zone/remediation/playbooks.py``; what it does
and how to turn it on is docs/response.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Acknowledgment, Aws, CfnCondition, Duration, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.constructs.monitoring import dead_letter_queue
from landing_zone.naming import pascal, resource_name
from landing_zone.remediation.playbooks import BY_KEY, Mode, event_pattern, role_actions

#: The role in every member account, and the function's role that alone may assume it.
ROLE = "Remediation"
FUNCTION = "RemediationFunction"
# Lambda retries a failed asynchronous invocation twice, then the on-failure
# destination gets the record: remediation is safe to retry (idempotent).
# See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
RETRY_ATTEMPTS = 2


def remediation_function_role_arn(*, prefix: str, partition: str, audit_account_id: str) -> str:
    """``<Prefix>-RemediationFunction`` in the audit account: the only one that assumes the role."""
    return f"arn:{partition}:iam::{audit_account_id}:role/{resource_name(prefix, FUNCTION)}"


def remediation_trust_policy(
    *, audit_account_id: str, function_role_arn: str, partition: str
) -> dict[str, Any]:
    """Only the remediation function's role, in the audit account, may assume the role.

    The principal is the audit account and the role ARN a condition
    (aws:PrincipalArn): a trust policy naming a role that does not exist yet
    is refused, and the member baseline may deploy before the pipeline.
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RemediationFunctionOnly",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{audit_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:PrincipalAccount": audit_account_id},
                    "ArnEquals": {"aws:PrincipalArn": function_role_arn},
                },
            }
        ],
    }


class RemediationRole(Construct):
    """``<Prefix>-Remediation`` in one member account (home region only: IAM is global)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        audit_account_id: str,
        modes: Mapping[str, Mode],
        condition: CfnCondition,
    ) -> None:
        super().__init__(scope, construct_id)
        partition = Aws.PARTITION
        actions = role_actions(dict(modes))
        function_role = (
            f"arn:{partition}:iam::{audit_account_id}:role/{resource_name(prefix, FUNCTION)}"
        )
        policies = (
            [
                iam.CfnRole.PolicyProperty(
                    policy_name="Playbooks",
                    policy_document={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "PlaybookActions",
                                "Effect": "Allow",
                                "Action": list(actions),
                                # The resources are whatever a finding names, in
                                # any workload; the table's actions are the limit.
                                "Resource": "*",
                            }
                        ],
                    },
                )
            ]
            if actions
            else None
        )
        self.role = iam.CfnRole(
            self,
            "Role",
            role_name=resource_name(prefix, ROLE),
            description="Landing zone: automatic remediation by the audit account's "
            "remediation function (docs/response.md)",
            assume_role_policy_document=remediation_trust_policy(
                audit_account_id=audit_account_id,
                function_role_arn=function_role,
                partition=partition,
            ),
            policies=policies,
            max_session_duration=3600,
        )
        self.role.cfn_options.condition = condition
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="A playbook acts on whatever resource a finding names in the account; "
                "the playbook table's actions are the limit",
            )
        )


class RemediationPipeline(Construct):
    """Rules, function, dead-letter queue and alarms (audit account, home region).

    ``archive_nag_names``: the archive bucket and its account as cdk-nag
    writes them (parameters as ``<Name>``), for the acknowledgements.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        modes: Mapping[str, Mode],
        archive_bucket: str,
        archive_key_account: str,
        archive_nag_names: tuple[str, str],
        home_region: str,
        management_account_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        partition, account = Aws.PARTITION, Aws.ACCOUNT_ID
        name = resource_name(prefix, FUNCTION)
        topic = resource_name(prefix, "SecurityFindings")
        topic_arn = f"arn:{partition}:sns:{home_region}:{account}:{topic}"
        role = resource_name(prefix, ROLE)
        self.handler = HandlerFunction(
            self,
            "Handler",
            description="Landing zone: automatic remediation of high-risk findings",
            code=lambda_.Code.from_inline(inline_handler("remediation", custom_resource=False)),
            handler="index.handler",
            role_name=name,
            function_name=name,
            timeout=Duration.minutes(5),
        )
        function = self.handler.function
        for key, value in {
            "MODES": json.dumps(dict(modes), separators=(",", ":")),
            "ROLE_NAME": resource_name(prefix, ROLE),
            "PARTITION": partition,
            "HOME_REGION": home_region,
            "ARCHIVE_BUCKET": archive_bucket,
            "TOPIC_ARN": topic_arn,
            "MANAGEMENT_ACCOUNT_ID": management_account_id,
        }.items():
            function.add_environment(key, value)
        self.handler.allow(
            ["sts:AssumeRole"], [f"arn:{partition}:iam::*:role/{resource_name(prefix, ROLE)}"]
        )
        # The archive: new objects under remediation/ only (Object Lock keeps them).
        self.handler.allow(
            ["s3:PutObject"], [f"arn:{partition}:s3:::{archive_bucket}/remediation/*"]
        )
        self.handler.allow(
            ["kms:GenerateDataKey"],
            [f"arn:{partition}:kms:{home_region}:{archive_key_account}:key/*"],
            StringEquals={"kms:ViaService": f"s3.{home_region}.amazonaws.com"},
        )
        # BatchUpdateFindings supports no resource-level permissions.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecurityhub.html
        self.handler.allow(["securityhub:BatchUpdateFindings"], ["*"])
        self.handler.allow(["sns:Publish"], [topic_arn])
        self.handler.allow(
            ["kms:Decrypt", "kms:GenerateDataKey*"],
            [f"arn:{partition}:kms:{home_region}:{account}:key/*"],
            StringEquals={"kms:ViaService": f"sns.{home_region}.amazonaws.com"},
        )
        Validations.of(self.handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="securityhub:BatchUpdateFindings supports no resource-level permissions",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/{role}]",
                reason="The remediation role has one name in every member account; which "
                "accounts trust the function is each role's trust policy",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
                f"{archive_nag_names[0]}/remediation/*]",
                reason="New decision records under remediation/ only; Object Lock keeps them",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                reason="Publishing to the KMS-encrypted findings topic (SNS calls "
                "GenerateDataKey variants); limited to SNS by kms:ViaService",
            ),
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:{home_region}:{who}:key/*]",
                    reason="Key ids are known only in their own accounts; use is limited by "
                    "kms:ViaService to S3 (archive) and SNS (findings topic)",
                )
                for who in (archive_nag_names[1], "<AWS::AccountId>")
            ),
        )
        self.invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            "FailureDestination",
            function_name=function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=int(Duration.hours(6).to_seconds()),
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=topic_arn)
            ),
        )
        self.invoke_config.node.add_dependency(self.handler.role)
        self.dead_letters = dead_letter_queue(
            self,
            queue_name=resource_name(prefix, "RemediationUndelivered"),
            reason="It is the dead-letter queue of the remediation rules' target",
        )
        self.alarms = {
            "failed": cloudwatch.CfnAlarm(
                self,
                "FailedAlarm",
                # Named <Prefix>-Findings*: the findings topic accepts those alarms.
                alarm_name=resource_name(prefix, "FindingsRemediationFailed"),
                alarm_description="A remediation failed (after two retries): its record is "
                "in the log archive under remediation/ and on the findings topic",
                namespace="AWS/Lambda",
                metric_name="Errors",
                dimensions=[
                    cloudwatch.CfnAlarm.DimensionProperty(
                        name="FunctionName", value=function.function_name
                    )
                ],
                statistic="Sum",
                period=300,
                threshold=1,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic_arn],
            ),
            "undelivered": cloudwatch.CfnAlarm(
                self,
                "UndeliveredAlarm",
                alarm_name=resource_name(prefix, "FindingsRemediationUndelivered"),
                alarm_description="EventBridge could not invoke the remediation function: the "
                f"events wait in {resource_name(prefix, 'RemediationUndelivered')} (14 days)",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions=[
                    cloudwatch.CfnAlarm.DimensionProperty(
                        name="QueueName", value=self.dead_letters.queue_name
                    )
                ],
                statistic="Maximum",
                period=300,
                threshold=1,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=[topic_arn],
            ),
        }
        self.rules: dict[str, events.CfnRule] = {}
        for key, mode in modes.items():
            if mode != "off":
                self._rule(prefix, key, mode)

    def _rule(self, prefix: str, key: str, mode: Mode) -> None:
        playbook = BY_KEY[key]
        name = f"Remediation{pascal(key)}"
        rule = events.CfnRule(
            self,
            name,
            name=resource_name(prefix, name),
            description=f"Remediation playbook {key} ({mode}): {playbook.title}"[:512],
            event_pattern=event_pattern(playbook),
            state="ENABLED",
        )
        lambda_.CfnPermission(
            self,
            f"{name}Invoke",
            action="lambda:InvokeFunction",
            function_name=self.handler.function.function_arn,
            principal="events.amazonaws.com",
            source_arn=rule.attr_arn,
        )
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{name}DeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.attr_arn}},
            )
        )
        # The whole event, with the playbook's key: one function serves every rule.
        # See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
        rule.targets = [
            events.CfnRule.TargetProperty(
                id="Remediation",
                arn=self.handler.function.function_arn,
                input_transformer=events.CfnRule.InputTransformerProperty(
                    input_paths_map={},
                    input_template=f'{{"playbook":"{key}","event":<aws.events.event.json>}}',
                ),
                dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                    arn=self.dead_letters.queue_arn
                ),
            )
        ]
        self.rules[key] = rule
