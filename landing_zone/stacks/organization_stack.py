"""The organization itself: OU tree, accounts, and organization-wide switches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import ROOT_ACCESS_FEATURES, root_access_enabled
from landing_zone.constructs.guardrail_policies import GuardrailPolicies, S3BlockPublicAccessPolicy
from landing_zone.constructs.management_policies import ManagementPolicies
from landing_zone.constructs.organization_features import OrganizationFeatures
from landing_zone.constructs.organization_tree import OrganizationTree, add_accounts
from landing_zone.guardrails.packer import GuardrailPlan
from landing_zone.management_policies import management_policies
from landing_zone.naming import tags
from landing_zone.organization_policies import (
    s3_block_public_access_name,
    s3_block_public_access_on,
)


class OrganizationStack(Stack):
    """OU tree, accounts, organization features and guardrail policies.

    Deploys in the management account, home region (Organizations is global).
    In business-unit mode: only this fork's OU subtree (under the core's
    ``parent_ou_id``), its accounts and its guardrail policies.
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

        # Core mode only: policy types must be enabled before any policy of
        # that type can be created or attached, and StackSets trusted access
        # before any service-managed StackSet, so later stacks depend on this
        # one. A business unit relies on the core's.
        self.features: OrganizationFeatures | None = None
        if not config.business_unit:
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
                root_access=ROOT_ACCESS_FEATURES if root_access_enabled(config) else (),
            )
        self.tree = OrganizationTree(
            self,
            "Tree",
            parent_id=config.core.parent_ou_id
            if config.core is not None
            else config.organization.root_id,
            units=config.walk_units(),
            accounts=config.organization_stack_accounts(),
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
            policy_type_ready=self.features.policy_types if self.features is not None else {},
            tags=common_tags,
        )
        self.s3_block_public_access: S3BlockPublicAccessPolicy | None = None
        if self.features is not None and s3_block_public_access_on(config):
            self.s3_block_public_access = S3BlockPublicAccessPolicy(
                self,
                "S3BlockPublicAccess",
                name=s3_block_public_access_name(config.prefix),
                root_id=config.organization.root_id,
                policy_type_ready=self.features.policy_types.get("S3_POLICY"),
                tags=common_tags,
            )
        # EC2 declarative, backup, tag and AI opt-out policies per target.
        ManagementPolicies(
            self,
            "ManagementPolicies",
            policies=management_policies(config),
            root_id=config.organization.root_id,
            unit_ids={key: unit.attr_id for key, unit in self.tree.units.items()},
            policy_type_ready=self.features.policy_types if self.features is not None else {},
            tags=common_tags,
        )


class AccountsStack(Stack):
    """One shard of the created workload accounts (``organization.account_stacks`` > 1).

    A stack holds at most 500 resources, so an organization of more accounts
    spreads them over several stacks; each account's stack follows from its
    key alone (:meth:`~landing_zone.config.LandingZoneConfig.account_stack`). Accounts within a
    stack are created one after another; the stacks may run side by side,
    and there are at most five of them, Organizations' limit on concurrent
    account creation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        shard: int,
        unit_ids: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Same construct path as in the organization stack (Tree/Account<Key>).
        tree = Construct(self, "Tree")
        self.account_ids = add_accounts(
            tree,
            accounts=config.account_stack_accounts(shard),
            unit_ids=unit_ids,
            account_access_role_name=config.account_access_role_name,
            tags=tags(config.prefix),
        )
