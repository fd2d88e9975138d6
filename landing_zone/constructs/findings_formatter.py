"""``<Prefix>-FindingsFormatter``: the findings rules' target, between them and the findings topic.

The function (``lambdas/findings_formatter.py``, inline code: it lives in
the audit home StackSet) turns each finding event into one message with a
switch-role link to the investigation role of every affected account.
Failure is never silent:

- the function fails (after Lambda's two retries): its on-failure
  destination publishes Lambda's invocation record, the event inside, to the
  same topic, and the ``<Prefix>-FindingsFormatterFailed`` alarm says so;
- EventBridge cannot invoke it (permission or function gone, retries
  exhausted): the event goes to the rule target's dead-letter queue
  ``<Prefix>-FindingsUndelivered`` (kept 14 days), and the
  ``<Prefix>-FindingsUndelivered`` alarm says so.

See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.constructs.monitoring import allow_publish, dead_letter_queue
from landing_zone.naming import resource_name

# The account names the function shows beside ids. Lambda allows 4 KB of
# environment variables in all; the names take at most half, the first ones
# in the order given (the management account first), and an account past
# the budget shows its id alone.
# See: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
ACCOUNT_NAMES_BYTES = 2_048

# Lambda retries a failed asynchronous invocation twice (one minute, then
# two), then sends the record to the on-failure destination: the raw alert
# arrives about three minutes late rather than never.
# See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(6)

# SQS keeps a message 14 days at most: as long as anyone has to read an
# undelivered finding from the dead-letter queue.
# See: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html


def account_names_json(names: Mapping[str, str], *, limit: int = ACCOUNT_NAMES_BYTES) -> str:
    """``names`` as compact JSON, the first ones that fit in ``limit`` bytes."""
    kept: dict[str, str] = {}
    for account, name in names.items():
        candidate = {**kept, account: name}
        if len(json.dumps(candidate, separators=(",", ":")).encode()) > limit:
            break
        kept = candidate
    return json.dumps(kept, separators=(",", ":"))


class FindingsFormatter(Construct):
    """The formatter function, its failure destination, dead-letter queue and alarms.

    ``investigation_role``: the role name the switch-role links name, or
    ``None`` when the role is not deployed (the alerts then say so).
    ``account_names``: account id -> name, shown beside the ids.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        topic: sns.ITopic,
        key: kms.IKey,
        investigation_role: str | None,
        account_names: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        name = resource_name(prefix, "FindingsFormatter")
        self.handler = HandlerFunction(
            self,
            "Handler",
            description="Landing zone: findings alerts with links to the investigation role",
            code=lambda_.Code.from_inline(
                inline_handler("findings_formatter", custom_resource=False)
            ),
            handler="index.handler",
            # <Prefix>-...: the guardrails protect the function and its role.
            role_name=name,
            function_name=name,
            timeout=Duration.minutes(1),
        )
        self.function = self.handler.function
        self.function.add_environment("TOPIC_ARN", topic.topic_arn)
        self.function.add_environment("ROLE_NAME", investigation_role or "")
        self.function.add_environment("ACCOUNT_NAMES", account_names_json(account_names))
        # The function publishes, and Lambda publishes its failure records
        # with the function's role.
        # See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
        allow_publish(self.handler, topic=topic, key=key, sid="FindingsFormatterPublish")
        self.invoke_config = lambda_.CfnEventInvokeConfig(
            self,
            "FailureDestination",
            function_name=self.function.function_name,
            qualifier="$LATEST",
            maximum_retry_attempts=RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=int(MAX_EVENT_AGE.to_seconds()),
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(
                    destination=topic.topic_arn
                )
            ),
        )
        # Lambda checks that the role may publish to the destination when
        # the configuration is written: after the role's policy.
        self.invoke_config.node.add_dependency(self.handler.role)

        self.dead_letters = dead_letter_queue(
            self,
            queue_name=resource_name(prefix, "FindingsUndelivered"),
            reason="It is the dead-letter queue of the findings rules' target "
            "(EventBridge DeadLetterConfig, which cdk-nag does not see)",
        )
        topic_action = cloudwatch_actions.SnsAction(topic)
        self.alarms = {
            "failed": cloudwatch.Alarm(
                self,
                "FailedAlarm",
                alarm_name=resource_name(prefix, "FindingsFormatterFailed"),
                alarm_description="The findings formatter failed: after two retries Lambda "
                "publishes the event unformatted (its invocation record) to this topic. The "
                f"function's log says why (Lambda console, {name}, Monitor, View CloudWatch logs)",
                metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            "undelivered": cloudwatch.Alarm(
                self,
                "UndeliveredAlarm",
                alarm_name=resource_name(prefix, "FindingsUndelivered"),
                alarm_description="EventBridge could not deliver findings to the formatter: "
                f"they wait in the SQS queue {resource_name(prefix, 'FindingsUndelivered')} "
                "(14 days). Read them there, and fix the formatter's permission or function",
                metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        }
        for alarm in self.alarms.values():
            alarm.add_alarm_action(topic_action)

    def target(self, name: str, rule_arn: str) -> events.CfnRule.TargetProperty:
        """The rule ``name`` (ARN ``rule_arn``) invokes the function; what it cannot deliver
        goes to the dead-letter queue. Both grants are scoped to that rule.

        See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
        """
        lambda_.CfnPermission(
            self,
            f"{name}Invoke",
            action="lambda:InvokeFunction",
            function_name=self.function.function_arn,
            principal="events.amazonaws.com",
            source_arn=rule_arn,
        )
        self.dead_letters.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"{name}DeadLetters",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sqs:SendMessage"],
                resources=[self.dead_letters.queue_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
            )
        )
        return events.CfnRule.TargetProperty(
            id="FindingsFormatter",
            arn=self.function.function_arn,
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(
                arn=self.dead_letters.queue_arn
            ),
        )
