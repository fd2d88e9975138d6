"""Evaluations per second of the SCP/RCP evaluator on the example organization's policies.

Builds, with :func:`landing_zone.guardrails.paths.policy_levels`, the SCP and
RCP levels of every OU path of ``config/example.yaml`` and evaluates the
requests of the guardrail case table (``tests/guardrail_cases.py``: every
principal kind, denied and allowed requests) against each path, as the
whatif command does for a trail: each evaluation is a fresh ``Request``, and
the resource ARN carries a per-request suffix where the case's resource ends
in ``*`` or ``/`` so that no wildcard match is served from a cache it would
not hit on a real trail.

Prints the evaluations per second of the first pass (policies compiled on
first use) and of the steady state, per policy type.

Usage: python bench/evaluate.py [--evaluations 200000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landing_zone.config import load_config  # noqa: E402
from landing_zone.guardrails.evaluate import PolicyType, Request, evaluate  # noqa: E402
from landing_zone.guardrails.packer import plan_guardrails, target_paths  # noqa: E402
from landing_zone.guardrails.paths import policy_levels  # noqa: E402
from tests.guardrail_cases import CASES, PRINCIPALS  # noqa: E402

EXAMPLE = ROOT / "config" / "example.yaml"


def requests(count: int) -> list[Request]:
    """``count`` requests cycling through the case table, each a new object."""
    made: list[Request] = []
    while len(made) < count:
        for number, case in enumerate(CASES):
            resource = case.resource
            if resource.endswith(("*", "/")):
                resource = f"{resource.rstrip('*')}object-{len(made)}-{number}"
            context = {
                **PRINCIPALS[case.principal].context,
                "aws:RequestedRegion": case.region,
                **case.context,
            }
            made.append(Request(action=case.action, resource=resource, context=context))
            if len(made) == count:
                break
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=200_000)
    args = parser.parse_args()
    config = load_config(EXAMPLE)
    plan = plan_guardrails(config)
    paths = [path for ou, path in target_paths(config).items() if ou != "root"]
    policy_types: tuple[PolicyType, ...] = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
    print(
        f"{len(paths)} OU paths, {len(CASES)} case-table requests, "
        f"{len(plan.policies)} policies in the plan"
    )
    for policy_type in policy_types:
        by_path = [policy_levels(plan, path=path, policy_type=policy_type) for path in paths]
        asked = requests(args.evaluations)
        decisions = {"allow": 0, "deny": 0}
        for label, batch in (("first pass", asked[: len(CASES)]), ("steady state", asked)):
            start = time.perf_counter()
            for index, request in enumerate(batch):
                decisions[evaluate(by_path[index % len(by_path)], request)] += 1
            elapsed = time.perf_counter() - start
            print(
                f"{policy_type}: {label}: {len(batch):,} evaluations in {elapsed:.2f} s, "
                f"{len(batch) / elapsed:,.0f} per second"
            )
        print(f"  decisions: {decisions['deny']:,} deny, {decisions['allow']:,} allow")


if __name__ == "__main__":
    main()
