"""``<Prefix>-HealthEvents``: the StackSet forwarding AWS Health key-exposure events.

Management account, home region. Its StackSet ``<Prefix>-HealthEventsForward``
reaches the accounts the member baseline reaches (the same OUs, the same
exclusions, new accounts automatically), but in the regions AWS Health emits
global events in, governed or not: the member baseline reaches governed
regions only. The stack instances are created by the StackSets execution
role, which the region guardrail exempts; the forwarding itself calls
PutEvents in the home region.
See: https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.constructs.health_forwarding import HealthEventsForwarder
from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.remediation import health_forwarding as health


class HealthEventsForwardTemplate(StackSetTemplate):
    """The rule and role in one member account and region."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: forwards AWS Health key-exposure events "
            "to the audit account's remediation pipeline, deployed by the management account's "
            "StackSet",
        )
        # The audit account may be created in the same deployment.
        audit = self.parameter(
            "AuditAccountId",
            description="Account whose home-region default bus receives the events",
            pattern=r"^\d{12}$",
        )
        self.forwarder = HealthEventsForwarder(
            self,
            "Forwarder",
            prefix=config.prefix,
            audit_account_id=audit,
            home_region=config.regions.home,
        )


class HealthEventsStack(Stack):
    """The StackSet, aimed like the member baseline's, in the Health global-event regions."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        organizational_unit_ids: Sequence[str],
        excluded_account_ids: Sequence[str],
        audit_account_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        regions = health.health_event_regions(config.partition)
        self.template = HealthEventsForwardTemplate(self, "Template", config=config)
        self.stack_set = ServiceManagedStackSet(
            self,
            "StackSet",
            stack_set_name=health.stack_set_name(config.prefix),
            description=f"{config.prefix} landing zone: AWS Health key-exposure events to the "
            "audit account, every member account",
            template=self.template,
            organizational_unit_ids=organizational_unit_ids,
            excluded_accounts=excluded_account_ids,
            regions=regions,
            auto_deployment=True,
            retain_stacks_on_account_removal=config.baseline.retain_stacks_on_account_removal,
            parameters={"AuditAccountId": audit_account_id},
            operation_preferences=OperationPreferences(
                max_concurrent_percentage=config.baseline.operation_preferences.max_concurrent_percentage,
                failure_tolerance_percentage=config.baseline.operation_preferences.failure_tolerance_percentage,
                region_order=regions,
            ),
            # The forwarder roles are named <Prefix>-... (guardrail-protected).
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
