"""Management-account side of detection: delegated administrators and the conformance pack.

Per governed region (the services are regional): the audit account becomes
the delegated administrator of GuardDuty, Security Hub, Inspector, Macie and
Detective; once, from the home region, of AWS Config and IAM Access
Analyzer (plain Organizations registrations, global). Native types where
CloudFormation has them (``AWS::SecurityHub::DelegatedAdmin``,
``AWS::Detective::OrganizationAdmin``), a custom resource otherwise
(``landing_zone/lambdas/delegated_admin.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from aws_cdk import Acknowledgment, CfnResource, CustomResource, RemovalPolicy, Validations
from aws_cdk import aws_config as config_
from aws_cdk import aws_detective as detective
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_securityhub as securityhub
from constructs import Construct, IConstruct

from landing_zone.constructs.handler import SERVICE_TIMEOUT, HandlerFunction
from landing_zone.detection_services import DetectionService, delegated_admin_actions
from landing_zone.guardrails.detective import conformance_pack_template, rules_for_region
from landing_zone.naming import tags

HANDLER_DIR = Path(__file__).resolve().parent.parent / "lambdas"
HANDLER_FILES = ("custom_resource.py", "delegated_admin.py")


class DelegatedAdministrators(Construct):
    """The audit account as delegated administrator of ``services`` (management account).

    ``services`` are registry rows (:mod:`landing_zone.detection_services`),
    in the order they register; each row's ``delegation`` says how.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        services: Sequence[DetectionService],
        audit_account_id: str,
        partition: str,
        management_account_id: str,
        organization_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._audit = audit_account_id
        self.handler = HandlerFunction(
            self,
            "Handler",
            description="Landing zone: register the audit account as delegated administrator",
            code=lambda_.Code.from_asset(
                str(HANDLER_DIR), exclude=["*", *(f"!{name}" for name in HANDLER_FILES)]
            ),
            handler="delegated_admin.handler",
        )
        # RegisterDelegatedAdministrator supports the account as resource:
        # whether called here or by a service's designation API on our
        # behalf, only the audit account can be registered.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
        account_arn = (
            f"arn:{partition}:organizations::{management_account_id}:account/"
            f"{organization_id}/{audit_account_id}"
        )
        self.handler.allow(["organizations:RegisterDelegatedAdministrator"], [account_arn])
        # The services' own designation APIs read the organization, register
        # the account and enable their trusted access underneath; none of
        # these support resource-level permissions.
        self.handler.allow(
            [
                *delegated_admin_actions(),
                "organizations:DescribeAccount",
                "organizations:DescribeOrganization",
                "organizations:DescribeOrganizationalUnit",
                "organizations:EnableAWSServiceAccess",
                "organizations:ListAccounts",
                "organizations:ListAWSServiceAccessForOrganization",
                "organizations:ListDelegatedAdministrators",
            ],
            ["*"],
        )
        service_linked_roles = (
            f"arn:{partition}:iam::{management_account_id}:role/aws-service-role/*"
        )
        self.handler.allow(["iam:CreateServiceLinkedRole"], [service_linked_roles])
        Validations.of(self.handler.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="The GuardDuty, Inspector and Macie designation APIs and the "
                "Organizations reads they make support no resource-level permissions",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::{service_linked_roles}]",
                reason="Designating an administrator creates the service's own "
                "service-linked role in the management account; its name is AWS-defined",
            ),
        )

        # Organizations and the services behind it reject concurrent changes:
        # one registration after another.
        self.registrations: dict[str, IConstruct] = {}
        self._previous: IConstruct | None = None
        for service in services:
            delegation = service.delegation
            if delegation is None:
                continue
            if delegation.mechanism == "organizations":
                self._custom(service.id, Service="organizations", ServicePrincipal=delegation.api)
            elif delegation.mechanism == "handler":
                self._custom(service.id, Service=delegation.api)
            else:
                resource = NATIVE_ADMINISTRATORS[delegation.api](self, service.id, audit_account_id)
                # Removing one would disassociate every member: kept, like the others.
                resource.apply_removal_policy(RemovalPolicy.RETAIN)
                self._chain(service.id, resource)

    def _custom(self, name: str, **properties: str) -> None:
        resource = CustomResource(
            self,
            name,
            service_token=self.handler.function.function_arn,
            resource_type="Custom::DelegatedAdministrator",
            properties={**properties, "AccountId": self._audit},
            service_timeout=SERVICE_TIMEOUT,
            # Delete is a no-op by design (see the handler); Retain says so here too.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self._chain(name, resource)

    def _chain(self, name: str, resource: IConstruct) -> None:
        if self._previous is not None:
            resource.node.add_dependency(self._previous)
        self._previous = resource
        self.registrations[name] = resource


# The delegation types CloudFormation has natively, by type name (a row's
# ``delegation.api``).
NATIVE_ADMINISTRATORS: dict[str, Callable[[Construct, str, str], CfnResource]] = {
    "AWS::SecurityHub::DelegatedAdmin": lambda scope, construct_id, account: (
        securityhub.CfnDelegatedAdmin(scope, construct_id, admin_account_id=account)
    ),
    "AWS::Detective::OrganizationAdmin": lambda scope, construct_id, account: (
        detective.CfnOrganizationAdmin(scope, construct_id, account_id=account)
    ),
}


class OrganizationConformancePack(Construct):
    """The detective guardrails as one organization conformance pack in this region.

    Deployed from the management account, which AWS Config allows without a
    delegated administrator, to every account of the organization but
    ``excluded_accounts`` (those without a recorder: a conformance pack
    cannot evaluate there and would report the account as failed).
    See: https://docs.aws.amazon.com/config/latest/developerguide/conformance-pack-organization-apis.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        home_region: bool,
        disabled_rules: Sequence[str],
        excluded_accounts: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules = rules_for_region(home=home_region, disabled=set(disabled_rules))
        tag = next(iter(tags(prefix).items()))
        self.template = conformance_pack_template(self.rules, prefix=prefix, tag=tag)
        self.resource = config_.CfnOrganizationConformancePack(
            self,
            "Resource",
            organization_conformance_pack_name=f"{prefix}-DetectiveGuardrails",
            template_body=json.dumps(self.template, separators=(",", ":")),
            excluded_accounts=list(excluded_accounts) or None,
        )
