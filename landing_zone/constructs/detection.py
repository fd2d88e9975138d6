"""Audit-account side of detection: the services' organization configuration and the alerts.

Built into the two audit StackSet templates (``stacks/detection_stack.py``):
:class:`OrganizationDetection` in every governed region,
:class:`SecurityHubCentralConfiguration`, :class:`OrganizationConfigAggregator`,
:class:`UnusedAccessAnalyzer` and :class:`FindingsAlerts` in the home region,
where Security Hub aggregates every region's findings.

One enabling mechanism per service: the services' organization auto-enable
creates detectors, hubs and members in every account, so no StackSet creates
them anywhere (a second mechanism would fail with "already exists").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnCondition,
    CfnResource,
    CustomResource,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_config as config_
from aws_cdk import aws_events as events
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct

from landing_zone.config import (
    FindingsNotificationsConfig,
    SecurityHubConfig,
    SecurityHubPolicyConfig,
)
from landing_zone.constructs.findings_formatter import FindingsFormatter
from landing_zone.constructs.handler import SERVICE_TIMEOUT, HandlerFunction
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.constructs.keys import AdministeredKey
from landing_zone.constructs.monitoring import AlarmTopic, alarm_key_statement, alarm_publisher
from landing_zone.detection_services import (
    FINDING_AGGREGATOR_GRANTS,
    FINDING_AGGREGATOR_TYPE,
    AutoEnable,
    Grant,
)
from landing_zone.guardrails.security_hub import BY_KEY as STANDARDS
from landing_zone.guardrails.security_hub import labels_at_or_above, standards_arn
from landing_zone.naming import kms_alias_name, pascal, resource_name
from landing_zone.references import LogArchiveRef

# Enrolling every existing account of a large organization (one API call per
# account for Macie) takes minutes: the longest a Lambda function may run.
DETECTION_TIMEOUT = Duration.minutes(15)
DETECTION_SERVICE_TIMEOUT = Duration.minutes(16)

# Service-linked roles the services create in the administrator account when
# a plan or scan type is switched on there.
SERVICE_LINKED_ROLE_SERVICES = (
    "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com",
    "inspector2.amazonaws.com",
    "agentless.inspector2.amazonaws.com",
    "macie.amazonaws.com",
)


def guardduty_finding_pattern(
    min_severity: float, *, accounts: Sequence[str] | None = None
) -> dict[str, Any]:
    """GuardDuty findings at or above ``min_severity``, matched numerically.

    A list of literal severities misses every value not in it (CRITICAL
    findings went unnoticed in BLEA that way:
    https://github.com/aws-samples/baseline-environment-on-aws/issues/1139);
    numeric matching cannot.
    See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
    """
    detail: dict[str, Any] = {"severity": [{"numeric": [">=", min_severity]}]}
    if accounts is not None:
        # The member account the finding is about (the event's own account
        # is the administrator's).
        detail["accountId"] = accounts
    return {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": detail}


def security_hub_finding_pattern(
    min_label: str, *, accounts: Sequence[str] | None = None
) -> dict[str, Any]:
    """New, active Security Hub findings at or above ``min_label``, GuardDuty's excepted.

    GuardDuty's own findings reach Security Hub too; they are left to the
    GuardDuty rule so that one finding sends one message.
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html
    """
    findings: dict[str, Any] = {
        "Severity": {"Label": labels_at_or_above(min_label)},
        "Workflow": {"Status": ["NEW"]},
        "RecordState": ["ACTIVE"],
        "ProductName": [{"anything-but": ["GuardDuty"]}],
    }
    if accounts is not None:
        findings["AwsAccountId"] = accounts
    return {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {"findings": findings},
    }


def allow_grants(handler: HandlerFunction, grants: Sequence[Grant]) -> None:
    """Each grant to ``handler``'s role, its resource in this account and region."""
    for grant in grants:
        resource = grant.resource.format(
            partition=Aws.PARTITION, region=Aws.REGION, account=Aws.ACCOUNT_ID
        )
        handler.allow(list(grant.actions), [resource])


class OrganizationDetection(Construct):
    """Organization auto-enable of the detection services, and the organization analyzer.

    In the audit account, one governed region: a custom resource per
    ``auto_enable`` row (:func:`landing_zone.detection_services.auto_enable`),
    GuardDuty's findings export into ``export`` (the log archive) when given.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        auto_enable: Sequence[AutoEnable],
        home_region: str,
        export: LogArchiveRef | None,
        organization_analyzer: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        partition = Aws.PARTITION
        self.services: dict[str, CustomResource] = {}
        if auto_enable:
            self.handler = self._handler(prefix=prefix)
        for service in auto_enable:
            allow_grants(self.handler, service.grants)
            resource = self._service(service.service, **service.properties)
            if service.service == "GuardDuty" and export is not None:
                self._export(
                    detector=resource, export=export, home_region=home_region, partition=partition
                )

        if organization_analyzer:
            # Zone of trust: the organization. Finds what is shared outside it,
            # in every governed region (analyzers are regional), for free.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-getting-started.html
            self.analyzer = accessanalyzer.CfnAnalyzer(
                self,
                "OrganizationAnalyzer",
                type="ORGANIZATION",
                analyzer_name=resource_name(prefix, "OrganizationAnalyzer"),
            )
            self.analyzer.apply_removal_policy(RemovalPolicy.RETAIN)

    def _export(
        self, *, detector: CustomResource, export: LogArchiveRef, home_region: str, partition: str
    ) -> None:
        """Every region's administrator detector exports every member's findings to the archive.

        GuardDuty writes AWSLogs/<account>/GuardDuty/<region>/... with the key.
        See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html
        """
        self.handler.allow(
            ["kms:DescribeKey"],
            [f"arn:{partition}:kms:{home_region}:{export.account_id}:key/*"],
        )
        Validations.of(self.handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:"
                f"{home_region}:<LogArchiveAccountId>:key/*]",
                reason="Resolves the log-archive key's alias to its ARN (DescribeKey "
                "only); the key id is only known in the log-archive account",
            )
        )
        key = self._service("KeyArn", KeyId=export.key_arn)
        self.export = guardduty.CfnPublishingDestination(
            self,
            "GuardDutyExport",
            detector_id=detector.get_att_string("DetectorId"),
            destination_type="S3",
            destination_properties=guardduty.CfnPublishingDestination.CFNDestinationPropertiesProperty(
                destination_arn=f"arn:{partition}:s3:::{export.config_bucket_name}",
                kms_key_arn=key.get_att_string("Arn"),
            ),
        )

    def _service(self, service: str, **properties: Any) -> CustomResource:
        resource = CustomResource(
            self,
            service,
            service_token=self.handler.function.function_arn,
            resource_type="Custom::KeyArn" if service == "KeyArn" else f"Custom::{service}Org",
            properties={"Service": service, **properties},
            service_timeout=DETECTION_SERVICE_TIMEOUT,
        )
        self.services[service] = resource
        return resource

    def _handler(self, *, prefix: str) -> HandlerFunction:
        partition, account = Aws.PARTITION, Aws.ACCOUNT_ID
        handler = HandlerFunction(
            self,
            "Handler",
            description="Landing zone: organization-wide settings of the detection services",
            code=lambda_.Code.from_inline(inline_handler("organization_detection")),
            handler="index.handler",
            # Named <Prefix>-... so the guardrails protect them; IAM names are
            # global, so the role carries the region.
            role_name=f"{resource_name(prefix, 'DetectionHandler')}-{Aws.REGION}",
            function_name=resource_name(prefix, "DetectionHandler"),
            timeout=DETECTION_TIMEOUT,
        )
        # The delegated administrator may list the organization's accounts.
        handler.allow(["organizations:ListAccounts"], ["*"])
        roles = f"arn:{partition}:iam::{account}:role/aws-service-role/*"
        handler.allow(
            ["iam:CreateServiceLinkedRole"],
            [roles],
            StringEquals={"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)},
        )
        Validations.of(handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="organizations:ListAccounts, guardduty:ListDetectors, detective:ListGraphs "
                "and the Inspector and Macie organization APIs support no resource-level "
                "permissions",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:"
                "role/aws-service-role/*]",
                reason="Only the detection services' own service-linked roles "
                "(iam:AWSServiceName condition); their names are AWS-defined",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:guardduty:<AWS::Region>:"
                "<AWS::AccountId>:detector/*]",
                reason="The detector id is created by designating the administrator and "
                "differs per region; only this account's detectors",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:detective:<AWS::Region>:"
                "<AWS::AccountId>:graph:*]",
                reason="The behaviour graph id is created by designating the administrator; "
                "only this account's graphs",
            ),
        )
        return handler


class GuardDutyForwarder(Construct):
    """Outside the home region: GuardDuty findings go to the home region's event bus.

    Security Hub aggregates its findings into the home region itself;
    GuardDuty's EventBridge events stay in the region they happen in, so
    without this the home region's rule would see one region only.
    See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        home_region: str,
        min_severity: float,
        condition: CfnCondition,
    ) -> None:
        super().__init__(scope, construct_id)
        home_bus = f"arn:{Aws.PARTITION}:events:{home_region}:{Aws.ACCOUNT_ID}:event-bus/default"
        self.role = iam.CfnRole(
            self,
            "Role",
            role_name=f"{resource_name(prefix, 'FindingsForwarder')}-{Aws.REGION}",
            description="EventBridge: forward GuardDuty findings to the home region",
            assume_role_policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                    }
                ],
            },
            policies=[
                iam.CfnRole.PolicyProperty(
                    policy_name="PutEventsOnHomeBus",
                    policy_document={
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "events:PutEvents", "Resource": home_bus}
                        ],
                    },
                )
            ],
        )
        self.rule = events.CfnRule(
            self,
            "Rule",
            name=resource_name(prefix, "GuardDutyFindingsToHome"),
            description=f"GuardDuty findings of severity {min_severity} or more, to {home_region}",
            event_pattern=guardduty_finding_pattern(min_severity),
            state="ENABLED",
            targets=[
                events.CfnRule.TargetProperty(
                    id="HomeRegionBus", arn=home_bus, role_arn=self.role.attr_arn
                )
            ],
        )
        for resource in (self.role, self.rule):
            resource.cfn_options.condition = condition


class SecurityHubCentralConfiguration(Construct):
    """Security Hub central configuration: aggregator, policies and their associations.

    ``ConfigurationType: CENTRAL`` needs a finding aggregator in the home
    region (linking the other governed regions, or none when the home region
    is the only one); the policies then configure Security Hub, its standards
    and controls in every account and linked region, and accounts inherit the
    policy of their nearest associated OU (or the root).
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        config: SecurityHubConfig,
        linked_regions: Sequence[str],
        target_ids: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.aggregator: CfnResource = (
            securityhub.CfnFindingAggregator(
                self,
                "FindingAggregator",
                region_linking_mode="SPECIFIED_REGIONS",
                regions=list(linked_regions),
            )
            if linked_regions
            else self._unlinked_aggregator(prefix=prefix)
        )
        self.organization = securityhub.CfnOrganizationConfiguration(
            self,
            "Organization",
            configuration_type="CENTRAL",
            # Central configuration: the policies decide, not auto-enable.
            auto_enable=False,
            auto_enable_standards="NONE",
        )
        self.organization.add_resource_dependency(self.aggregator)
        self.policies, self.associations = add_configuration_policies(
            self,
            prefix=prefix,
            policies=config.policies,
            target_ids=target_ids,
            after=self.organization,
        )

    def _unlinked_aggregator(self, *, prefix: str) -> CfnResource:
        """The home region alone is governed: an aggregator that links no Region.

        ``SPECIFIED_REGIONS`` needs at least one Region and the other modes
        link every Region AWS adds; ``NO_REGIONS`` is the API's only, so a
        custom resource creates it (``lambdas/security_hub_aggregator.py``).
        Same construct id as the native one, so the same logical id: the
        dependency of the organization configuration reads the same.
        See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-securityhub-findingaggregator.html
        """
        handler = HandlerFunction(
            self,
            "AggregatorHandler",
            description="Landing zone: Security Hub's finding aggregator, linking no Region",
            code=lambda_.Code.from_inline(inline_handler("security_hub_aggregator")),
            handler="index.handler",
            # <Prefix>-DetectionHandler-*: the guardrail that protects the
            # aggregator exempts the detection handlers only.
            role_name=f"{resource_name(prefix, 'DetectionHandler')}-FindingAggregator",
            function_name=resource_name(prefix, "FindingAggregatorHandler"),
        )
        allow_grants(handler, FINDING_AGGREGATOR_GRANTS)
        Validations.of(handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="securityhub:CreateFindingAggregator and ListFindingAggregators "
                "support no resource-level permissions",
            ),
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:securityhub:<AWS::Region>:"
                "<AWS::AccountId>:finding-aggregator/*]",
                reason="The aggregator id is generated when it is created; only this "
                "account's aggregators in this region",
            ),
        )
        resource = CustomResource(
            self,
            "FindingAggregator",
            service_token=handler.function.function_arn,
            resource_type=FINDING_AGGREGATOR_TYPE,
            properties={"RegionLinkingMode": "NO_REGIONS"},
            service_timeout=SERVICE_TIMEOUT,
        )
        return resource.node.default_child  # type: ignore[return-value]


def add_configuration_policies(
    scope: Construct,
    *,
    prefix: str,
    policies: Mapping[str, SecurityHubPolicyConfig],
    target_ids: Mapping[str, str],
    after: CfnResource | None,
) -> tuple[
    dict[str, securityhub.CfnConfigurationPolicy], dict[str, securityhub.CfnPolicyAssociation]
]:
    """Security Hub configuration policies and their associations with the root or OUs.

    Used by the core (after its central configuration) and by a business
    unit's fork (whose central configuration the core already made).
    """
    resources: dict[str, securityhub.CfnConfigurationPolicy] = {}
    associations: dict[str, securityhub.CfnPolicyAssociation] = {}
    for key, policy in policies.items():
        hub = securityhub.CfnConfigurationPolicy.SecurityHubPolicyProperty(
            service_enabled=policy.enabled,
            enabled_standard_identifiers=[
                standards_arn(STANDARDS[s].path, partition=Aws.PARTITION, region=Aws.REGION)
                for s in policy.standards
            ]
            if policy.enabled
            else None,
            # Disabled by list, so controls AWS adds later are on by default.
            security_controls_configuration=securityhub.CfnConfigurationPolicy.SecurityControlsConfigurationProperty(
                disabled_security_control_identifiers=sorted(policy.disabled_controls)
            )
            if policy.enabled
            else None,
        )
        resource = securityhub.CfnConfigurationPolicy(
            scope,
            f"Policy{pascal(key)}",
            name=resource_name(prefix, pascal(key)),
            description=policy.description or f"{prefix} landing zone policy '{key}'",
            configuration_policy=securityhub.CfnConfigurationPolicy.PolicyProperty(
                security_hub=hub
            ),
        )
        if after is not None:
            resource.add_resource_dependency(after)
        resources[key] = resource
        for target in policy.targets:
            association = securityhub.CfnPolicyAssociation(
                scope,
                f"Association{pascal(target)}",
                configuration_policy_id=resource.attr_id,
                target_type="ROOT" if target == "root" else "ORGANIZATIONAL_UNIT",
                target_id=target_ids[target],
            )
            associations[target] = association
    return resources, associations


class OrganizationConfigAggregator(Construct):
    """One AWS Config view of every account and governed region (audit account, home region).

    An organization aggregator needs no authorization from the accounts: the
    audit account is Config's delegated administrator.
    See: https://docs.aws.amazon.com/config/latest/developerguide/aggregated-register-delegated-administrator.html
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, regions: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            role_name=resource_name(prefix, "ConfigAggregator"),
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            description="AWS Config organization aggregator",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AWSConfigRoleForOrganizations"
                )
            ],
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AWSConfigRoleForOrganizations]",
                reason="The policy AWS documents for organization aggregators "
                "(organizations:ListAccounts and Describe*); AWS keeps it current",
            )
        )
        self.aggregator = config_.CfnConfigurationAggregator(
            self,
            "Resource",
            configuration_aggregator_name=resource_name(prefix, "Organization"),
            organization_aggregation_source=config_.CfnConfigurationAggregator.OrganizationAggregationSourceProperty(
                role_arn=self.role.role_arn,
                aws_regions=list(regions),
                all_aws_regions=False,
            ),
        )


class UnusedAccessAnalyzer(Construct):
    """The organization unused-access analyzer (home region; it analyses IAM, which is global)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, unused_access_age_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.analyzer = accessanalyzer.CfnAnalyzer(
            self,
            "Resource",
            type="ORGANIZATION_UNUSED_ACCESS",
            analyzer_name=resource_name(prefix, "OrganizationUnusedAccess"),
            analyzer_configuration=accessanalyzer.CfnAnalyzer.AnalyzerConfigurationProperty(
                unused_access_configuration=accessanalyzer.CfnAnalyzer.UnusedAccessConfigurationProperty(
                    unused_access_age=unused_access_age_days
                )
            ),
        )


class FindingsAlerts(Construct):
    """Findings reach people: rules -> formatter -> KMS-encrypted SNS topic -> email, Slack.

    Home region of the audit account: Security Hub's aggregator brings every
    linked region's findings here, and :class:`GuardDutyForwarder` brings
    GuardDuty's. The rules invoke ``<Prefix>-FindingsFormatter``
    (:class:`~landing_zone.constructs.findings_formatter.FindingsFormatter`),
    which publishes one message per event: a summary with a switch-role link
    to the investigation role of each affected account, for email and as an
    AWS Chatbot custom notification (docs/detection.md shows both).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        notifications: FindingsNotificationsConfig,
        security_hub: bool,
        guardduty: bool,
        investigation_role: str | None,
        account_names: Mapping[str, str],
        accounts: Sequence[str] | None = None,
        remediation_role: str | None = None,
    ) -> None:
        """Rules for the findings of the services that are on (``security_hub``, ``guardduty``).

        ``investigation_role``: the role the alerts link to (``None``: not deployed).
        ``account_names``: account id -> name, shown beside the ids.
        ``accounts``: only findings about these accounts (a business unit's); default all.
        ``remediation_role``: the remediation function's role name, which publishes here too.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        whose = (
            "this business unit's accounts in every"
            if accounts is not None
            else "every account and"
        )
        # Publishers: the formatter's role (its messages and Lambda's failure
        # records) and the formatter's CloudWatch alarms. The AWS managed
        # aws/sns key cannot grant either, so the topic has its own key.
        # See: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        key = AdministeredKey(
            self,
            "Key",
            description="Landing zone: the security findings topic",
            alias=kms_alias_name(prefix, "findings"),
            statements=[
                alarm_key_statement(stack),
                *(
                    [remediation_key_statement(stack, remediation_role)]
                    if remediation_role is not None
                    else []
                ),
            ],
        )
        self.topic = AlarmTopic(
            self,
            "Topic",
            topic_name=resource_name(prefix, "SecurityFindings"),
            display_name=f"{prefix} landing zone security findings",
            key=key.key,
            emails=notifications.emails,
            # The formatter's alarms: <Prefix>-FindingsFormatterFailed, -FindingsUndelivered.
            publisher=alarm_publisher(stack, names=resource_name(prefix, "Findings*")),
        ).topic
        self.formatter = FindingsFormatter(
            self,
            "Formatter",
            prefix=prefix,
            topic=self.topic,
            key=key.key,
            investigation_role=investigation_role,
            account_names=account_names,
        )
        self.rules: dict[str, events.CfnRule] = {}
        if security_hub:
            self._rule(
                prefix,
                "SecurityHubFindings",
                f"Security Hub findings, severity {notifications.security_hub_min_severity} "
                f"or more, new and active, {whose} linked region",
                security_hub_finding_pattern(
                    notifications.security_hub_min_severity, accounts=accounts
                ),
            )
        if guardduty:
            self._rule(
                prefix,
                "GuardDutyFindings",
                f"GuardDuty findings of severity {notifications.guardduty_min_severity} or "
                f"more, {whose} governed region",
                guardduty_finding_pattern(notifications.guardduty_min_severity, accounts=accounts),
            )
        slack = notifications.slack
        if slack is not None:
            # Notifications only: the role grants nothing, and the guardrail
            # caps whatever anyone later attaches to it at read-only.
            role = iam.Role(
                self,
                "ChatbotRole",
                role_name=resource_name(prefix, "FindingsChatbot"),
                assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
                description="AWS Chatbot: deliver security findings to Slack",
            )
            self.slack = chatbot.CfnSlackChannelConfiguration(
                self,
                "Slack",
                configuration_name=resource_name(prefix, "SecurityFindings"),
                iam_role_arn=role.role_arn,
                slack_workspace_id=slack.workspace_id,
                slack_channel_id=slack.channel_id,
                sns_topic_arns=[self.topic.topic_arn],
                guardrail_policies=[f"arn:{Aws.PARTITION}:iam::aws:policy/ReadOnlyAccess"],
                logging_level="ERROR",
                user_role_required=True,
            )

    def _rule(self, prefix: str, name: str, description: str, pattern: dict[str, Any]) -> None:
        rule = events.CfnRule(
            self,
            name,
            name=resource_name(prefix, name),
            description=description,
            event_pattern=pattern,
            state="ENABLED",
        )
        rule.targets = [self.formatter.target(name, rule.attr_arn)]
        self.rules[name] = rule


def remediation_key_statement(stack: Stack, role_name: str) -> iam.PolicyStatement:
    """The remediation function's role may publish to the findings topic (its own template).

    By account and aws:PrincipalArn, not the role's ARN as principal: a key
    policy naming a role that does not exist yet is refused, and the
    remediation StackSet deploys after this one.
    See: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    """
    return iam.PolicyStatement(
        sid="RemediationPublish",
        principals=[iam.AccountRootPrincipal()],
        actions=["kms:Decrypt", "kms:GenerateDataKey*"],
        resources=["*"],
        conditions={
            "ArnEquals": {
                "aws:PrincipalArn": f"arn:{stack.partition}:iam::{stack.account}:role/{role_name}"
            }
        },
    )


def other_regions(regions: Sequence[str], home: str) -> list[str]:
    return [r for r in regions if r != home]


def outside_home(scope: Construct, home_region: str) -> CfnCondition:
    """A condition true in every region of a StackSet but the home region."""
    return CfnCondition(
        scope,
        "OutsideHomeRegion",
        expression=Fn.condition_not(Fn.condition_equals(Aws.REGION, home_region)),
    )
