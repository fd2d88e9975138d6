"""Compose the landing zone's stacks into a CDK app. ``app.py`` and the tests both call this."""

from __future__ import annotations

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from landing_zone.config import LandingZoneConfig
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.naming import stack_id
from landing_zone.stacks.organization_stack import OrganizationStack


def build_landing_zone(app: App, *, config: LandingZoneConfig) -> dict[str, OrganizationStack]:
    """Add every stack for ``config`` to ``app`` and the cdk-nag checks; return the stacks.

    Raises :class:`~landing_zone.guardrails.packer.GuardrailBudgetError`
    before any stack is built if the guardrails cannot fit the quotas.
    """
    guardrails = plan_guardrails(config)
    management = Environment(
        account=config.organization.management_account_id, region=config.regions.home
    )
    name = stack_id(config.prefix, "Organization")
    organization = OrganizationStack(
        app,
        name,
        stack_name=name,
        env=management,
        config=config,
        guardrails=guardrails,
        description=(
            f"{config.prefix} landing zone: OU tree, accounts, organization features, guardrails"
        ),
        termination_protection=True,
    )
    # cdk-nag v3 runs as a validation plugin: any unacknowledged finding fails
    # synth, and every acknowledgement in the code carries its reason.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return {"organization": organization}
