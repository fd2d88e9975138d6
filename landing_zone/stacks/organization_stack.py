"""The organization itself: OU tree, accounts, and organization-wide switches."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.constructs.guardrail_policies import GuardrailPolicies, S3BlockPublicAccessPolicy
from landing_zone.constructs.organization_features import OrganizationFeatures
from landing_zone.constructs.organization_tree import OrganizationTree
from landing_zone.guardrails.packer import GuardrailPlan
from landing_zone.naming import resource_name, tags


class OrganizationStack(Stack):
    """OU tree, accounts, organization features and guardrail policies.

    Deploys in the management account, home region (Organizations is global).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        guardrails: GuardrailPlan,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Tags.of() tagging is applied app-wide in build_landing_zone; OUs and
        # accounts also take them as properties (plus their key tag).
        common_tags = tags(config.prefix)

        # Policy types must be enabled before any policy of that type can be
        # created or attached, and StackSets trusted access before any
        # service-managed StackSet: later stacks depend on this one.
        self.features = OrganizationFeatures(
            self,
            "Features",
            prefix=config.prefix,
            partition=config.partition,
            management_account_id=config.organization.management_account_id,
            organization_id=config.organization.id,
            root_id=config.organization.root_id,
            policy_types=config.organization_features.policy_types,
            trusted_services=config.organization_features.trusted_services,
        )
        self.tree = OrganizationTree(
            self,
            "Tree",
            root_id=config.organization.root_id,
            units=config.walk_units(),
            accounts=config.all_accounts(),
            account_access_role_name=config.account_access_role_name,
            tags=common_tags,
        )
        # Preventive guardrails (SCPs, RCPs), packed to fit the quotas before
        # synth; they attach to the OUs above, once their policy type is on.
        self.guardrails = GuardrailPolicies(
            self,
            "Guardrails",
            plan=guardrails,
            root_id=config.organization.root_id,
            unit_ids={key: unit.attr_id for key, unit in self.tree.units.items()},
            policy_type_ready=self.features.policy_types,
            tags=common_tags,
        )
        if config.baseline.s3_block_public_access:
            self.s3_block_public_access: S3BlockPublicAccessPolicy | None = (
                S3BlockPublicAccessPolicy(
                    self,
                    "S3BlockPublicAccess",
                    name=resource_name(config.prefix, "S3BlockPublicAccess"),
                    root_id=config.organization.root_id,
                    policy_type_ready=self.features.policy_types.get("S3_POLICY"),
                    tags=common_tags,
                )
            )
        else:
            self.s3_block_public_access = None
