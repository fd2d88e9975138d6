"""Organization-wide switches with no CloudFormation type, as custom resources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, CustomResource, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from landing_zone.constructs.handler import HANDLER_IDS, SERVICE_TIMEOUT, add_handler
from landing_zone.naming import log_group_name, pascal

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambdas"
HANDLER_FILES = ("custom_resource.py", "organization_features.py")


class OrganizationFeatures(Construct):
    """Enables policy types on the root, trusted service access and centralized root access.

    All in the management account. ``root_access`` lists the centralized
    root access features to enable (``RootCredentialsManagement``,
    ``RootSessions``); they come after every trusted service, so after
    trusted access for iam.amazonaws.com, which AWS requires first.
    See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootSessions.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        partition: str,
        management_account_id: str,
        organization_id: str,
        root_id: str,
        policy_types: Sequence[str],
        trusted_services: Sequence[str],
        root_access: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        account = management_account_id

        # Directly under this construct (not a HandlerFunction): the ids, and
        # so the logical ids, of the resources already deployed.
        handler = add_handler(
            self,
            ids=HANDLER_IDS,
            description="Landing zone: enable Organizations policy types and trusted access",
            role_description="Enables Organizations policy types, trusted service access and "
            "centralized root access",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["*", *(f"!{name}" for name in HANDLER_FILES)]
            ),
            handler="organization_features.handler",
            # The record of who enabled what, retained, under a findable name.
            log_group_name=log_group_name(prefix, "organization-features"),
        )
        self.function = handler.function
        role = handler.role
        root_arn = f"arn:{partition}:organizations::{account}:root/{organization_id}/{root_id}"
        service_linked_roles = f"arn:{partition}:iam::{account}:role/aws-service-role/*"
        role.add_to_policy(
            iam.PolicyStatement(actions=["organizations:EnablePolicyType"], resources=[root_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                # These Organizations and CloudFormation actions support no
                # resource-level permissions.
                # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
                actions=[
                    "organizations:ListRoots",
                    "organizations:DescribeOrganization",
                    "organizations:EnableAWSServiceAccess",
                    "organizations:ListAWSServiceAccessForOrganization",
                    "cloudformation:ActivateOrganizationsAccess",
                    "cloudformation:DescribeOrganizationsAccess",
                ],
                resources=["*"],
            )
        )
        if root_access:
            role.add_to_policy(
                iam.PolicyStatement(
                    # No resource types: these IAM actions take "*".
                    # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
                    actions=[
                        "iam:ListOrganizationsFeatures",
                        *(f"iam:EnableOrganizations{feature}" for feature in root_access),
                    ],
                    resources=["*"],
                )
            )
        role.add_to_policy(
            iam.PolicyStatement(
                # Trusted access creates the services' roles in the management account.
                actions=["iam:CreateServiceLinkedRole"],
                resources=[service_linked_roles],
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="EnableAWSServiceAccess, ListRoots, ActivateOrganizationsAccess, "
                "the IAM root access features and friends support no resource-level permissions",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{service_linked_roles}]",
                reason="Each trusted service creates its own service-linked role; the set "
                "follows config, and iam:CreateServiceLinkedRole only creates AWS-defined roles",
            ),
        )

        # Organizations rejects concurrent changes, so the resources run one
        # after another (the handler also retries ConcurrentModification).
        self.resources: dict[str, CustomResource] = {}
        # Policy type -> the resource that enables it: policies of that type
        # must depend on it.
        self.policy_types: dict[str, CustomResource] = {}
        previous: CustomResource | None = None
        features = [
            *(("PolicyType", v) for v in policy_types),
            *(("TrustedService", v) for v in trusted_services),
            # Last: AWS requires trusted access for iam.amazonaws.com first.
            *(("RootAccess", v) for v in root_access),
        ]
        for feature, value in features:
            resource = CustomResource(
                self,
                f"{feature}{pascal(value.removesuffix('.amazonaws.com'))}",
                service_token=self.function.function_arn,
                resource_type=f"Custom::Organization{feature}",
                properties={"Feature": feature, "Value": value},
                service_timeout=SERVICE_TIMEOUT,
                # Delete is a no-op by design (see the handler); Retain makes the
                # intent visible in the template too.
                removal_policy=RemovalPolicy.RETAIN,
            )
            if previous is not None:
                resource.node.add_dependency(previous)
            previous = resource
            self.resources[f"{feature}/{value}"] = resource
            if feature == "PolicyType":
                self.policy_types[value] = resource
