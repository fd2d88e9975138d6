"""Break-glass roles in every account: a StackSet for members, the stack itself for management."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.constructs.break_glass import BreakGlassRoles
from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.naming import stack_id


class BreakGlassTemplate(StackSetTemplate):
    """The break-glass roles as they land in every member account (home region only)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: break-glass roles (deployed by the "
            "management account's StackSet)",
        )
        self.roles = BreakGlassRoles(
            self, "BreakGlass", prefix=config.prefix, roles=config.identity.break_glass
        )


class BreakGlassStack(Stack):
    """The break-glass roles in every account of the organization (management account, home region).

    A service-managed StackSet targets the root, so every OU (Suspended
    included) and every account created or moved in later gets the roles
    (auto-deployment). IAM is global: one region, the home region. StackSets
    never deploy to the management account, so its roles are this stack's
    own resources.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, config: LandingZoneConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.roles = BreakGlassRoles(
            self, "BreakGlass", prefix=config.prefix, roles=config.identity.break_glass
        )
        self.template = BreakGlassTemplate(self, "Template", config=config)
        rollout = config.baseline.operation_preferences
        self.stack_set = ServiceManagedStackSet(
            self,
            "StackSet",
            stack_set_name=stack_id(config.prefix, "BreakGlass"),
            description=f"{config.prefix} landing zone: break-glass roles in every member account",
            template=self.template,
            organizational_unit_ids=[config.organization.root_id],
            regions=[config.regions.home],
            auto_deployment=True,
            # An account that leaves the organization must not keep an
            # administrator role that the organization's principals can assume.
            retain_stacks_on_account_removal=False,
            # The baseline's rollout knobs (the defaults suit 1,000 accounts):
            # with no failure tolerance, one account holding a role of the
            # same name would fail, and roll back, the whole organization's.
            operation_preferences=OperationPreferences(
                max_concurrent_percentage=rollout.max_concurrent_percentage,
                failure_tolerance_percentage=rollout.failure_tolerance_percentage,
                region_concurrency="SEQUENTIAL",
                concurrency_mode=rollout.concurrency_mode,
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
