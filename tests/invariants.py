"""What every synthesized landing zone must satisfy, whatever its config.

Shared by the config matrix (named variants) and the generated configs:
CloudFormation's limits on every template, cfn-lint over every template
(StackSet bodies included), and the guardrail invariants: every privileged
name protected, the root carrying the packs attached to it, every packed
policy within its quota.
"""

from __future__ import annotations

import json
from pathlib import Path

from landing_zone.config import LandingZoneConfig
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.quotas import (
    MAX_OUTPUTS,
    MAX_PARAMETERS,
    MAX_RESOURCES,
    MAX_TEMPLATE_BODY_BYTES,
    MAX_TEMPLATE_BYTES,
)
from tests.conftest import Synth
from tests.templates import cfn_lint_errors
from tests.test_privileged import escalations, privileged_denied, scp_levels


def limit_problems(synth: Synth) -> list[str]:
    """Every way a stack or StackSet template of ``synth`` exceeds a CloudFormation limit."""
    problems = []
    for name, template in synth.templates.items():
        size = (synth.outdir / f"{name}.template.json").stat().st_size
        counts = {
            "resources": (len(template.get("Resources", {})), MAX_RESOURCES),
            "outputs": (len(template.get("Outputs", {})), MAX_OUTPUTS),
            "parameters": (len(template.get("Parameters", {})), MAX_PARAMETERS),
            "template bytes": (size, MAX_TEMPLATE_BYTES),
        }
        for resource in template.get("Resources", {}).values():
            body = resource.get("Properties", {}).get("TemplateBody")
            if resource["Type"] == "AWS::CloudFormation::StackSet" and body is not None:
                counts["StackSet TemplateBody bytes"] = (
                    max(len(body.encode()), counts.get("StackSet TemplateBody bytes", (0, 0))[0]),
                    MAX_TEMPLATE_BODY_BYTES,
                )
        if not template.get("Resources"):
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html
            problems.append(f"{name}: no resources; CloudFormation requires at least one")
        problems += [
            f"{name}: {count} {what}, over {limit}"
            for what, (count, limit) in counts.items()
            if count > limit
        ]
    return problems


def exempting_units(config: LandingZoneConfig) -> set[str]:
    """OUs where an SCP, attached there or above, exempts the privileged principals.

    Only there does a privileged name pass anything: an SCP limits only the
    principals of the accounts it governs, and no RCP exempts anyone (the
    catalog's RCP statements carry no principal exemption), so a role named
    like a privileged one in an OU no exempting SCP reaches passes nothing
    its admin could not already do.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
    """
    return {
        unit
        for unit, levels in scp_levels(config).items()
        if any(
            "ArnNotLike" in statement.get("Condition", {})
            for level in levels
            for policy in level
            for statement in policy["Statement"]
        )
    }


def guardrail_problems(config: LandingZoneConfig) -> list[str]:
    """Every breach of the guardrail invariants in ``config``'s packed policies.

    Nobody but the privileged principals can take or change a privileged
    name wherever an SCP exempts it (``escalations`` in
    :func:`exempting_units`) and they keep those rights (``privileged_denied``);
    every guardrail of every pack attached to a target is in that target's
    policies or a parent's (so the root carries the core pack wherever the
    config attaches it, and nothing when the config deliberately empties the
    root); every policy and target within its quota.
    """
    plan = plan_guardrails(config)
    exempting = exempting_units(config)
    problems = [
        f"escalation: {line}" for line in escalations(config) if line.split()[0] in exempting
    ]
    problems += [f"privileged denied: {line}" for line in privileged_denied(config)]
    paths = config.tree.paths()
    carried: dict[str, set[str]] = {}
    for policy in plan.policies:
        carried.setdefault(policy.target, set()).update(policy.guardrails)
    for target, packs in config.guardrails.attachments.items():
        wanted = {g for pack in packs for g in PACKS[pack].guardrails}
        reached = set().union(*(carried.get(level, set()) for level in paths[target]))
        problems += [f"{target}: {g} of its packs is in no policy" for g in wanted - reached]
    for budget in plan.budgets:
        if len(budget.policies) > budget.slots:
            problems.append(f"{budget.target}: {len(budget.policies)} {budget.kind} policies")
        for policy in budget.policies:
            minified = json.dumps(json.loads(policy.content), separators=(",", ":"))
            if policy.size > budget.max_chars or len(minified) != policy.size:
                problems.append(f"{policy.name}: {policy.size} characters")
    for policy in plan.policies:
        kinds = {GUARDRAILS[g].kind for g in policy.guardrails}
        if kinds != {policy.kind}:
            problems.append(f"{policy.name}: {sorted(kinds)} guardrails in a {policy.kind}")
    return problems


def lint_errors(paths: list[Path], regions: tuple[str, ...]) -> list[str]:
    """cfn-lint's errors in the templates at ``paths``, each named by its file."""
    errors = []
    for path in paths:
        errors += [f"{path.name}: {error}" for error in cfn_lint_errors([path], regions)]
    return errors
