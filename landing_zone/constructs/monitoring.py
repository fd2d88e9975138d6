"""Security alarms of the management account: the key, the topic, the CIS alarms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.keys import AdministeredKey
from landing_zone.guardrails.cis_alarms import CisAlarm
from landing_zone.naming import kms_alias_name, resource_name


class MonitoringKey(Construct):
    """KMS key for the trail's log group and the alarm topic (management account).

    CloudWatch Logs encrypts only the named log group with it, and CloudWatch
    alarms may publish to topics encrypted with it; nobody else decrypts.
    See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/encrypt-log-data-kms.html
    See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, log_group_arns: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        administered = AdministeredKey(
            self,
            "Administered",
            description="Landing zone monitoring: trail log group and security alarm topic",
            alias=kms_alias_name(prefix, "monitoring"),
            statements=[
                iam.PolicyStatement(
                    sid="CloudWatchLogsEncrypt",
                    principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                    actions=[
                        "kms:Decrypt",
                        "kms:DescribeKey",
                        "kms:Encrypt",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                    ],
                    resources=["*"],
                    conditions={
                        "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": list(log_group_arns)}
                    },
                ),
                alarm_key_statement(stack),
            ],
        )
        self.key: kms.IKey = administered.key


def alarm_key_statement(stack: Stack) -> iam.PolicyStatement:
    """CloudWatch alarms of ``stack``'s account may publish to topics encrypted with the key.

    See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    """
    return iam.PolicyStatement(
        sid="CloudWatchAlarmsPublish",
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        resources=["*"],
        conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
    )


@dataclass(frozen=True)
class Publisher:
    """The AWS service that publishes to a topic, and the resources it may publish for."""

    sid: str
    service: str
    #: ARN pattern of the publishing resources (alarms, EventBridge rules) of this account.
    source_arn: str


class AlarmTopic(Construct):
    """A KMS-encrypted SNS topic one AWS service publishes to, with email subscriptions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str,
        display_name: str,
        key: kms.IKey,
        emails: Sequence[str],
        publisher: Publisher,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            display_name=display_name,
            master_key=key,
            enforce_ssl=True,
        )
        # Publishers of this account only (confused-deputy guard).
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=publisher.sid,
                principals=[iam.ServicePrincipal(publisher.service)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": publisher.source_arn},
                },
            )
        )
        for email in emails:
            # Each address gets a confirmation mail; until it is confirmed
            # the subscription stays "pending" and delivers nothing.
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


def allow_publish(handler: HandlerFunction, *, topic: sns.ITopic, key: kms.IKey, sid: str) -> None:
    """``handler``'s role may publish to ``topic``, which ``key`` encrypts.

    ``sns:Publish`` on the topic, and the key's use in the key policy
    (statement ``sid``): a publisher to an encrypted topic needs
    ``kms:GenerateDataKey*`` and ``kms:Decrypt``, and the key policy
    (administration only) lets nobody else use it.
    See: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
    """
    handler.allow(["sns:Publish"], [topic.topic_arn])
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid=sid,
            principals=[iam.ArnPrincipal(handler.role.role_arn)],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
    )


def alarm_publisher(stack: Stack, *, names: str = "*") -> Publisher:
    """CloudWatch alarms of ``stack``'s account and region (those named like ``names``)."""
    return Publisher(
        sid="CloudWatchAlarmsPublish",
        service="cloudwatch.amazonaws.com",
        source_arn=stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=names,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        ),
    )


class CisAlarms(Construct):
    """One metric filter and one alarm per CIS monitoring row (management account).

    The table is ``landing_zone/guardrails/cis_alarms.py``; this construct
    only loops. Alarms fire on any match in a 5-minute period, as CIS asks,
    and stay OK when no events arrive.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        log_group: logs.ILogGroup,
        topic: sns.ITopic,
        alarms: Sequence[CisAlarm],
        disabled: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        namespace = f"{prefix}/CISBenchmark"
        action = cloudwatch_actions.SnsAction(topic)
        #: CIS id -> (metric filter, alarm) for every enabled row.
        self.alarms: dict[str, tuple[logs.MetricFilter, cloudwatch.Alarm]] = {}
        for row in alarms:
            if row.cis_id in disabled:
                continue
            self.alarms[row.cis_id] = log_alarm(
                self,
                row.key,
                log_group=log_group,
                name=resource_name(prefix, f"CIS-{row.cis_id}-{row.key}"),
                pattern=row.pattern,
                namespace=namespace,
                description=f"CIS AWS Foundations v3.0 {row.cis_id}: {row.title} "
                "in any account of the organization (organization trail)",
                action=action,
            )


def log_alarm(
    scope: Construct,
    key: str,
    *,
    log_group: logs.ILogGroup,
    name: str,
    pattern: str,
    namespace: str,
    description: str,
    action: cloudwatch.IAlarmAction,
) -> tuple[logs.MetricFilter, cloudwatch.Alarm]:
    """A metric filter counting ``pattern`` in ``log_group`` and an alarm on any match.

    Children ``<key>Filter`` and ``<key>Alarm`` of ``scope``, both named
    ``name``; the metric is ``<namespace>/<key>``. The alarm fires on any
    match in a 5-minute period (as CIS asks) and stays OK when no events arrive.
    """
    metric_filter = logs.MetricFilter(
        scope,
        f"{key}Filter",
        log_group=log_group,
        filter_name=name,
        filter_pattern=logs.FilterPattern.literal(pattern),
        metric_namespace=namespace,
        metric_name=key,
        metric_value="1",
    )
    alarm = cloudwatch.Alarm(
        scope,
        f"{key}Alarm",
        alarm_name=name,
        alarm_description=description,
        metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(action)
    return metric_filter, alarm


#: How long an event EventBridge could not deliver waits in a dead-letter queue.
DEAD_LETTER_RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, *, queue_name: str, reason: str) -> sqs.Queue:
    """``Undelivered``: the SQS queue where EventBridge puts what it could not deliver.

    SQS-managed keys: EventBridge needs no key grant to send. ``reason``
    acknowledges cdk-nag's SQS3 (a queue without its own dead-letter queue).
    See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    """
    queue = sqs.Queue(
        scope,
        "Undelivered",
        queue_name=queue_name,
        retention_period=DEAD_LETTER_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    Validations.of(queue).acknowledge(Acknowledgment(id="AwsSolutions-SQS3", reason=reason))
    return queue
