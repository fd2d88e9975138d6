"""The Lambda function behind a set of custom resources: role, retained log group, runtime.

Every custom-resource function of the landing zone is built here, once:
:class:`HandlerFunction` for new code, :func:`add_handler` where the log
group, role and function must keep construct ids they already have (their
logical ids: a named role or function whose logical id changes is replaced,
and inside a StackSet that happens in every member account).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

# Custom resources must never hang a stack for CloudFormation's default hour:
# the function answers before its timeout, CloudFormation gives up a minute later.
FUNCTION_TIMEOUT = Duration.minutes(5)
SERVICE_TIMEOUT = Duration.minutes(6)
# Construct ids of the log group, role and function, in that order.
HANDLER_IDS = ("Logs", "Role", "Function")


@dataclass(frozen=True)
class HandlerParts:
    """The role and function :func:`add_handler` built."""

    role: iam.Role
    function: lambda_.Function

    def allow(
        self, actions: list[str], resources: list[str], **conditions: dict[str, object]
    ) -> None:
        """Add one statement to the role (conditions as ``StringEquals={...}``)."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=sorted(actions), resources=resources, conditions=conditions or None
            )
        )


def add_handler(
    scope: Construct,
    *,
    ids: tuple[str, str, str],
    description: str,
    code: lambda_.Code,
    handler: str,
    role_description: str | None = None,
    role_name: str | None = None,
    function_name: str | None = None,
    log_group_name: str | None = None,
    timeout: Duration = FUNCTION_TIMEOUT,
) -> HandlerParts:
    """A Python 3.12 function, its role and its log group, as children ``ids`` of ``scope``.

    ``role_description`` defaults to ``description``.
    """
    logs_id, role_id, function_id = ids
    # Retained: the record of what the handler did outlives the stack. Best
    # unnamed, so a redeployed stack never clashes with the old group.
    log_group = logs.LogGroup(
        scope,
        logs_id,
        log_group_name=log_group_name,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=RemovalPolicy.RETAIN,
    )
    role = iam.Role(
        scope,
        role_id,
        role_name=role_name,
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=role_description or description,
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        function_id,
        function_name=function_name,
        description=description,
        runtime=lambda_.Runtime.PYTHON_3_12,
        architecture=lambda_.Architecture.ARM_64,
        handler=handler,
        code=code,
        timeout=timeout,
        memory_size=256,
        role=role,
        log_group=log_group,
    )
    Validations.of(function).acknowledge(
        Acknowledgment(
            id="AwsSolutions-L1",
            reason="python3.12 is the runtime this project pins and tests its handlers "
            "against; bump it together with the test interpreter",
        )
    )
    return HandlerParts(role=role, function=function)


class HandlerFunction(Construct):
    """A Python 3.12 function for custom resources, with a role the caller adds to."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        code: lambda_.Code,
        handler: str,
        role_name: str | None = None,
        function_name: str | None = None,
        timeout: Duration = FUNCTION_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        self._parts = add_handler(
            self,
            ids=HANDLER_IDS,
            description=description,
            code=code,
            handler=handler,
            role_name=role_name,
            function_name=function_name,
            timeout=timeout,
        )
        self.role = self._parts.role
        self.function = self._parts.function

    def allow(
        self, actions: list[str], resources: list[str], **conditions: dict[str, object]
    ) -> None:
        """Add one statement to the role (conditions as ``StringEquals={...}``)."""
        self._parts.allow(actions, resources, **conditions)
