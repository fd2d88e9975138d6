"""Break-glass roles (every account) and the alarm on their use (management account).

:class:`BreakGlassRoles` is the content of the break-glass StackSet and of
the management account's own stack; :class:`BreakGlassAlarm` lives with the
organization trail's log group and the security alarm topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from aws_cdk import aws_sns as sns
from constructs import Construct

from landing_zone.break_glass import MAX_DESCRIPTION_CHARS, insights_query, use_pattern
from landing_zone.config.identity import BreakGlassRoleConfig
from landing_zone.constructs.handler import HandlerFunction
from landing_zone.constructs.monitoring import allow_publish, log_alarm
from landing_zone.naming import break_glass_role_name, pascal, resource_name

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambdas"
HANDLER_FILE = "break_glass_alert.py"

# Trusted principals must present MFA. aws:MultiFactorAuthPresent is true
# only for temporary credentials that were validated with MFA: an IAM user's
# AssumeRole (or GetSessionToken) call with its MFA device's SerialNumber
# and TokenCode, or a role session created that way. It is absent for
# long-term access keys, so Bool (not BoolIfExists) refuses those.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html
# MultiFactorAuthAge bounds how old that MFA check may be: an IAM user's
# GetSessionToken credentials last up to 36 hours, an emergency needs one.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthage
MFA_MAX_AGE_SECONDS = 3600
MFA_CONDITION = {
    "Bool": {"aws:MultiFactorAuthPresent": "true"},
    "NumericLessThan": {"aws:MultiFactorAuthAge": str(MFA_MAX_AGE_SECONDS)},
}

# Break-glass is the way back in when everything else fails (a broken
# permission set, a guardrail that locks out the CCoE, a lost identity
# provider), so it cannot know in advance what it will need to repair.
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
ADMINISTRATOR_ACCESS = "AdministratorAccess"


class BreakGlassRoles(Construct):
    """One ``<Prefix>-BreakGlass-<Key>`` role per config entry, in the account deployed to."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        roles: Mapping[str, BreakGlassRoleConfig],
    ) -> None:
        super().__init__(scope, construct_id)
        self.roles: dict[str, iam.Role] = {}
        for key, config in roles.items():
            trusted = iam.CompositePrincipal(
                *(iam.ArnPrincipal(arn) for arn in config.trusted_principals)
            )
            role = iam.Role(
                self,
                pascal(key),
                role_name=break_glass_role_name(prefix, key),
                description=f"Break-glass ({key}): emergency administrator access, MFA "
                "required, every use alarmed",
                assumed_by=iam.PrincipalWithConditions(trusted, MFA_CONDITION),
                max_session_duration=Duration.hours(config.max_session_hours),
                managed_policies=[
                    iam.ManagedPolicy.from_aws_managed_policy_name(ADMINISTRATOR_ACCESS)
                ],
            )
            Validations.of(role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    f"{ADMINISTRATOR_ACCESS}]",
                    reason="AdministratorAccess on purpose: a break-glass role repairs what "
                    "nothing else can reach, so it cannot be scoped in advance; only named "
                    "principals with MFA may assume it and every use raises an alarm",
                )
            )
            self.roles[key] = role


class BreakGlassAlarm(Construct):
    """An alarm within 5 minutes of any use of a break-glass role, and a message saying whose.

    The metric filter and alarm are those of the CIS alarms
    (:func:`~landing_zone.constructs.monitoring.log_alarm`); a subscription
    filter with the same pattern sends the matching events to a function
    that publishes who, which role, which account, from where and when to
    the same topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        role_names: list[str],
        log_group: logs.ILogGroup,
        topic: sns.ITopic,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        pattern = use_pattern(role_names)
        description = (
            f"A break-glass role ({', '.join(role_names)}) was assumed or an attempt was "
            "refused, in some account of the organization. The message from the alert "
            "function says who, which role and account; or run in CloudWatch Logs Insights "
            f"on the trail's log group: {insights_query(role_names)}"
        )
        if len(description) > MAX_DESCRIPTION_CHARS:
            description = description[: MAX_DESCRIPTION_CHARS - 1] + "…"
        self.metric_filter, self.alarm = log_alarm(
            self,
            "BreakGlassUse",
            log_group=log_group,
            name=resource_name(prefix, "BreakGlassUse"),
            pattern=pattern,
            namespace=f"{prefix}/Identity",
            description=description,
            action=cloudwatch_actions.SnsAction(topic),
        )
        self.handler = HandlerFunction(
            self,
            "Alert",
            description="Landing zone: publish who used a break-glass role, where and when",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["*", f"!{HANDLER_FILE}"]),
            handler="break_glass_alert.handler",
            role_name=resource_name(prefix, "BreakGlassAlert"),
            function_name=resource_name(prefix, "BreakGlassAlert"),
            timeout=Duration.minutes(1),
        )
        self.handler.function.add_environment("TOPIC_ARN", topic.topic_arn)
        allow_publish(self.handler, topic=topic, key=key, sid="BreakGlassAlertPublish")
        self.subscription = logs.SubscriptionFilter(
            self,
            "Subscription",
            log_group=log_group,
            destination=destinations.LambdaDestination(self.handler.function),
            filter_pattern=logs.FilterPattern.literal(pattern),
            filter_name=resource_name(prefix, "BreakGlassUse"),
        )
