"""CloudFormation limits the synthesized templates must stay within (no aws_cdk import)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from landing_zone.config import LandingZoneConfig
from landing_zone.config.identity import ROOT_ACCESS_FEATURES, root_access_enabled
from landing_zone.management_policies import management_policies
from landing_zone.references import cross_stack_references

if TYPE_CHECKING:
    from landing_zone.guardrails.packer import GuardrailPlan

# Inline StackSet TemplateBody. Larger templates need a TemplateURL (an S3
# object every target region can read), which this project avoids.
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html
MAX_TEMPLATE_BODY_BYTES = 51_200

# Resources, outputs and parameters per stack.
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_PARAMETERS = 200
MAX_TEMPLATE_BYTES = 1_000_000  # uploaded to S3 (CDK always uploads): 1 MB

# The organization-features custom resource: its function, role, policy and
# log group, besides one resource per policy type, trusted service and
# centralized root access feature.
_FEATURE_HANDLER_RESOURCES = 4


class StackLimitError(Exception):
    """A stack would exceed a CloudFormation quota; ``lines`` say which and what to do."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def organization_stack_resources(config: LandingZoneConfig, plan: GuardrailPlan) -> dict[str, int]:
    """What the organization stack will hold, by kind, computed from config alone.

    Only these resources grow with the organization (OUs, accounts, policies);
    every other stack has a fixed size. A test holds this count equal to the
    synthesized template's.
    """
    counts = {
        "OUs": sum(1 for _ in config.walk_units()),
        "created accounts": sum(
            1 for _, a in config.organization_stack_accounts() if not a.adopted
        ),
        "guardrail policies": len(plan.policies),
        "management policies": len(management_policies(config)),
    }
    if not config.business_unit:
        features = config.organization_features
        counts["organization features"] = (
            _FEATURE_HANDLER_RESOURCES
            + len(features.policy_types)
            + len(features.trusted_services)
            + (len(ROOT_ACCESS_FEATURES) if root_access_enabled(config) else 0)
        )
        counts["S3 policy"] = int(config.baseline.s3_block_public_access)
    return counts


def organization_stack_outputs(config: LandingZoneConfig) -> int:
    """How many outputs the organization stack will have: one per id another stack refers to.

    The ids are :func:`~landing_zone.references.cross_stack_references`, the
    same set ``app.py`` passes to the other stacks; only the OUs and the
    accounts this stack creates need an output (adopted ids are literals).
    A test holds this count equal to the synthesized template's.
    """
    references = cross_stack_references(config)
    created = {key for key, account in config.organization_stack_accounts() if not account.adopted}
    return len(references.ou_keys) + len(references.account_keys & created)


def check_stack_limits(config: LandingZoneConfig, plan: GuardrailPlan) -> None:
    """Raise :class:`StackLimitError` if the organization or an account stack would hold too much.

    Checked before anything is built, so ``make synth`` fails in a second
    with the field to change rather than after synth with a jsii traceback.
    """
    problems = []
    counts = organization_stack_resources(config, plan)
    total = sum(counts.values())
    fix = (
        "Spread the created accounts over more stacks with organization.account_stacks (at "
        "most 5; set it before the accounts exist, since changing it moves accounts between "
        "stacks: docs/performance.md), or split the organization into business-unit forks "
        "(docs/forking.md)"
    )
    if total > MAX_RESOURCES:
        parts = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
        problems.append(
            f"the {config.prefix}-Organization stack would hold {total} resources ({parts}); "
            f"CloudFormation allows {MAX_RESOURCES}. {fix}"
        )
    outputs = organization_stack_outputs(config)
    if outputs > MAX_OUTPUTS:
        problems.append(
            f"the {config.prefix}-Organization stack would need {outputs} outputs (one per OU "
            "or account id another stack refers to); CloudFormation allows "
            f"{MAX_OUTPUTS}. Target parent OUs rather than each business unit in "
            "baseline.targets and Security Hub policies, or split the organization into "
            "business-unit forks (docs/forking.md)"
        )
    stacks = config.organization.account_stacks
    if stacks > 1:
        for shard in range(stacks):
            created = len(config.account_stack_accounts(shard))
            if created > MAX_RESOURCES:
                problems.append(
                    f"the {config.prefix}-Accounts-{shard + 1} stack would hold {created} "
                    f"accounts; CloudFormation allows {MAX_RESOURCES} resources. {fix}"
                )
    if problems:
        raise StackLimitError(problems)
