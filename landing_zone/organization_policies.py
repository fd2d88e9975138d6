"""Every organization policy the organization stack creates, as plain data (no aws_cdk).

The packed guardrails (SCPs, RCPs) come from the guardrail plan; the core
fork adds the S3 Block Public Access policy on the root; then come the
management policies of ``organization_policies`` (landing_zone/management_policies.py).
The stack builds its ``AWS::Organizations::Policy`` resources from the same
plan and the same constant, and ``make verify`` compares the live organization with this list
(tests/test_verify_expected.py holds it to the synthesized templates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from landing_zone.config import LandingZoneConfig
from landing_zone.guardrails.packer import POLICY_TYPE, GuardrailPlan
from landing_zone.management_policies import management_policies
from landing_zone.naming import resource_name
from landing_zone.org_tree import ROOT

# All four S3 Block Public Access settings, enforced at the organization level:
# they override every account's own settings, no account can switch them off,
# and accounts joining the organization inherit them. Detaching the policy
# restores each account's previous settings. S3 policies follow the
# inheritance syntax of every declarative policy type: @@none locks the
# setting, so no policy on an OU or account can turn it to "none".
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3.html
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3_syntax.html
# See: https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
S3_BLOCK_PUBLIC_ACCESS = {
    "s3_attributes": {
        "public_access_block_configuration": {
            "@@operators_allowed_for_child_policies": ["@@none"],
            "@@assign": "all",
        }
    }
}


def s3_block_public_access_name(prefix: str) -> str:
    """``Acme-S3BlockPublicAccess``: the S3_POLICY on the root."""
    return resource_name(prefix, "S3BlockPublicAccess")


def s3_block_public_access_on(config: LandingZoneConfig) -> bool:
    """The core fork owns the root's S3 policy; a business unit relies on its core's."""
    return not config.business_unit and config.baseline.s3_block_public_access


@dataclass(frozen=True)
class OrganizationPolicy:
    """One policy as the organization stack creates it, attached to one target."""

    name: str
    #: Organizations' policy type, e.g. ``SERVICE_CONTROL_POLICY``.
    type: str
    #: ``root`` or an OU key.
    target: str
    #: The exact string stored as the policy's Content.
    content: str


def organization_policies(
    config: LandingZoneConfig, plan: GuardrailPlan
) -> tuple[OrganizationPolicy, ...]:
    """The packed guardrails of ``plan``, the S3 policy when this fork owns it, then the rest."""
    policies = [
        OrganizationPolicy(
            name=packed.name,
            type=POLICY_TYPE[packed.kind],
            target=packed.target,
            content=packed.content,
        )
        for packed in plan.policies
    ]
    if s3_block_public_access_on(config):
        policies.append(
            OrganizationPolicy(
                name=s3_block_public_access_name(config.prefix),
                type="S3_POLICY",
                target=ROOT,
                content=json.dumps(S3_BLOCK_PUBLIC_ACCESS, separators=(",", ":")),
            )
        )
    policies.extend(
        OrganizationPolicy(name=name, type=kind, target=target, content=content)
        for name, kind, target, content in management_policies(config)
    )
    return tuple(policies)
