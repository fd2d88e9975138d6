"""The Lambda function behind a set of custom resources: role, retained log group, runtime."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

# Custom resources must never hang a stack for CloudFormation's default hour:
# the function answers before its timeout, CloudFormation gives up a minute later.
FUNCTION_TIMEOUT = Duration.minutes(5)
SERVICE_TIMEOUT = Duration.minutes(6)


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
        # Unnamed and retained: the record of what the handler did outlives
        # the stack, and a redeployed stack never clashes with the old group.
        log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_YEAR,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=description,
        )
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            timeout=timeout,
            memory_size=256,
            role=self.role,
            log_group=log_group,
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="python3.12 is the runtime this project pins and tests its handlers "
                "against (issue #2); bump it together with the test interpreter",
            )
        )

    def allow(
        self, actions: list[str], resources: list[str], **conditions: dict[str, object]
    ) -> None:
        """Add one statement to the role (conditions as ``StringEquals={...}``)."""
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=sorted(actions), resources=resources, conditions=conditions or None
            )
        )
