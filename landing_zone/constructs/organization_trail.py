"""The organization CloudTrail, its CloudWatch Logs delivery and optional CloudTrail Lake store."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, CfnDeletionPolicy, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from landing_zone.config import OrganizationTrailConfig
from landing_zone.naming import (
    ORGANIZATION_TRAIL,
    TRAIL_LOG_GROUP,
    log_group_name,
    resource_name,
    trail_log_group_arn,
)

_MANAGEMENT_EVENTS = cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
    name="Management events (read and write)",
    field_selectors=[
        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
            field="eventCategory", equal_to=["Management"]
        )
    ],
)


def organization_trail_arn(*, partition: str, region: str, account: str, prefix: str) -> str:
    """The trail's ARN: the log archive and the logs role trust it before it exists."""
    name = resource_name(prefix, ORGANIZATION_TRAIL)
    return f"arn:{partition}:cloudtrail:{region}:{account}:trail/{name}"


class OrganizationTrail(Construct):
    """Organization trail into the log archive, plus a CloudWatch Logs copy (management account).

    Multi-region, global service events, log file validation and KMS
    encryption with the log-archive key: Control Tower's
    AWS-GR_CLOUDTRAIL_ENABLED, _VALIDATION_ENABLED, _CLOUDWATCH_LOGS_ENABLED;
    CIS 3.1, 3.2, 3.4 (v3.0). Management events always; data events through
    advanced event selectors when config asks (priced per event).
    See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        config: OrganizationTrailConfig,
        bucket_name: str,
        key_arn: str,
        log_group_key: kms.IKey,
        excluded_bucket_names: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        trail_name = resource_name(prefix, ORGANIZATION_TRAIL)
        where = {
            "partition": stack.partition,
            "region": stack.region,
            "account": stack.account,
            "prefix": prefix,
        }
        trail_arn = organization_trail_arn(**where)

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=log_group_name(prefix, TRAIL_LOG_GROUP),
            encryption_key=log_group_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # RetentionDays is an enum of names; config already checked the number
        # against the periods CloudWatch Logs accepts, so set it directly.
        log_group_resource = self.log_group.node.default_child
        if not isinstance(log_group_resource, logs.CfnLogGroup):  # pragma: no cover
            raise TypeError("LogGroup's default child is not a CfnLogGroup")
        log_group_resource.retention_in_days = config.log_group_retention_days
        streams = f"{trail_log_group_arn(**where)}:log-stream:*"
        # The role exists with its permissions before the trail: CreateTrail
        # checks it can deliver to the log group. An inline policy (rather
        # than a separate Policy resource) makes that ordering implicit.
        # aws:SourceArn keeps other trails from borrowing it (confused deputy).
        # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
        self.role = iam.Role(
            self,
            "LogsRole",
            role_name=resource_name(prefix, "OrganizationTrailLogs"),
            description="Lets the organization trail deliver events to its CloudWatch Logs group",
            assumed_by=iam.ServicePrincipal(
                "cloudtrail.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceArn": trail_arn, "aws:SourceAccount": stack.account}
                },
            ),
            inline_policies={
                "Deliver": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[streams],
                        )
                    ]
                )
            },
        )

        selectors = [_MANAGEMENT_EVENTS]
        if config.data_events.s3:
            # The log archive's own buckets are excluded: every delivery
            # would otherwise log a data event that is delivered in turn.
            selectors.append(
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name="S3 object events outside the log archive",
                    field_selectors=[
                        _field("eventCategory", equals=["Data"]),
                        _field("resources.type", equals=["AWS::S3::Object"]),
                        cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(
                            field="resources.ARN",
                            not_starts_with=[
                                f"arn:{stack.partition}:s3:::{name}/"
                                for name in excluded_bucket_names
                            ],
                        ),
                    ],
                )
            )
        if config.data_events.lambda_:
            selectors.append(
                cloudtrail.CfnTrail.AdvancedEventSelectorProperty(
                    name="Lambda invocations",
                    field_selectors=[
                        _field("eventCategory", equals=["Data"]),
                        _field("resources.type", equals=["AWS::Lambda::Function"]),
                    ],
                )
            )

        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{streams}]",
                reason="An organization trail writes one stream per account and region "
                "(<org-id>_<account>_CloudTrail_<region>), unknown until accounts exist; the "
                "wildcard stays inside this one log group",
            )
        )

        self.trail = cloudtrail.CfnTrail(
            self,
            "Trail",
            trail_name=trail_name,
            is_logging=True,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            s3_bucket_name=bucket_name,
            # The log-archive key's alias ARN: the key id exists only in the
            # log-archive account, and KMS accepts alias ARNs across accounts.
            kms_key_id=key_arn,
            cloud_watch_logs_log_group_arn=self.log_group.log_group_arn,
            cloud_watch_logs_role_arn=self.role.role_arn,
            advanced_event_selectors=selectors,
        )
        self.trail_arn = trail_arn

        self.event_data_store: cloudtrail.CfnEventDataStore | None = None
        lake = config.cloudtrail_lake
        if lake.enabled:
            # SQL over the organization's events, independent of the S3 copy.
            # See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-lake-organizations.html
            self.event_data_store = cloudtrail.CfnEventDataStore(
                self,
                "EventDataStore",
                name=resource_name(prefix, "OrganizationEvents"),
                organization_enabled=True,
                multi_region_enabled=True,
                retention_period=lake.retention_days,
                billing_mode=lake.billing_mode,
                termination_protection_enabled=True,
                advanced_event_selectors=[
                    cloudtrail.CfnEventDataStore.AdvancedEventSelectorProperty(
                        name="Management events",
                        field_selectors=[
                            cloudtrail.CfnEventDataStore.AdvancedFieldSelectorProperty(
                                field="eventCategory", equal_to=["Management"]
                            )
                        ],
                    )
                ],
            )
            self.event_data_store.cfn_options.deletion_policy = CfnDeletionPolicy.RETAIN
            self.event_data_store.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN


def _field(name: str, *, equals: list[str]) -> cloudtrail.CfnTrail.AdvancedFieldSelectorProperty:
    return cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field=name, equal_to=equals)
