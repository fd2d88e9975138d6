"""The organization policies along an OU path, in the shape :func:`evaluate` takes.

Organizations evaluates the policies attached to the root, to every OU on the
way down and to the account, and each of those levels needs its own Allow:
FullAWSAccess (or RCPFullAWSAccess), attached by AWS at every level, supplies it.
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache

from landing_zone.guardrails.evaluate import FULL_ACCESS, PolicyType
from landing_zone.guardrails.packer import GuardrailPlan

Levels = list[list[Mapping[str, object]]]

_KIND = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp"}


def policy_levels(plan: GuardrailPlan, *, path: Sequence[str], policy_type: PolicyType) -> Levels:
    """Root, each OU of ``path`` (as :func:`target_paths` gives it), then the account.

    Each level holds the AWS-managed full-access policy and the plan's
    policies for that target. Documents are parsed once per content, so
    repeated calls return the same objects and the evaluator's compiled
    policies are reused.
    """
    kind = _KIND[policy_type]
    attached: dict[str, list[Mapping[str, object]]] = {}
    for policy in plan.policies:
        if policy.kind == kind:
            attached.setdefault(policy.target, []).append(_document(policy.content))
    full = FULL_ACCESS[policy_type]
    return [*([full, *attached.get(target, [])] for target in path), [full]]


@lru_cache(maxsize=1024)
def _document(content: str) -> Mapping[str, object]:
    document: Mapping[str, object] = json.loads(content)
    return document
