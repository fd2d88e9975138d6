"""API calls and wall time of the Identity Center reconciler's full runs, against moto.

Builds a moto organization of ``--accounts`` accounts in ``--units`` OUs (a
quarter top-level, each with Prod, SDLC and Shared children holding the
accounts), an Identity Center instance with five permission sets and five
groups, and runs the reconciler with five rules
(``tests/test_identity_center_reconciler.py``'s ``SCALE_RULES``):

1. the first run: every assignment created;
2. the same run again: nothing to change (reads only);
3. the first run on a fresh organization, each write IN_PROGRESS for one
   status check as Identity Center's asynchronous writes are: the sleeps
   between status checks are counted, not slept; their sum is a lower bound
   of the time the writes take in AWS with MAX_OUTSTANDING in flight.

Prints the calls by kind of each. moto answers in about a millisecond, so
the wall time is the handler's and moto's work, not AWS's latency.

Usage: python bench/reconciler.py [--accounts 1000] [--units 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import boto3
from botocore.stub import Stubber
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from landing_zone.lambdas import custom_resource  # noqa: E402
from landing_zone.lambdas import identity_center_reconciler as reconciler  # noqa: E402
from tests.test_identity_center_reconciler import (  # noqa: E402
    REGION,
    SCALE_RULES,
    Cloud,
    synthetic_world,
)


def run(cloud: Cloud, rules: str, label: str) -> None:
    """One full run; prints its wall time, its changes and its calls by kind."""
    cloud.calls.clear()
    cloud.sleeps.clear()
    start = time.perf_counter()
    document = reconciler.decode(rules)
    summary = reconciler.Reconciler(document, deadline=time.monotonic() + 3600).reconcile_all()
    elapsed = time.perf_counter() - start
    print(
        f"\n{label}: {elapsed:.1f} s wall, {len(summary['created'])} created, "
        f"{len(summary['deleted'])} deleted, {len(summary['failed'])} failed, "
        f"{summary['pending']} pending; {sum(cloud.calls.values())} calls"
    )
    for kind, count in sorted(cloud.calls.items()):
        print(f"  {kind:58} {count:6}")
    if cloud.sleeps:
        print(
            f"  {len(cloud.sleeps)} sleeps between status checks: "
            f"{sum(cloud.sleeps):.0f} s at least in AWS "
            f"({reconciler.MAX_OUTSTANDING} writes in flight, "
            f"a status check every {reconciler.POLL_SECONDS:.0f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--units", type=int, default=20)
    args = parser.parse_args()
    os.environ.update(
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's, reaching no account
    )
    for polls in (0, 1):
        with mock_aws():
            start = time.perf_counter()
            world, _ = synthetic_world(accounts=args.accounts, units=args.units)
            print(
                f"\nmoto organization: {args.accounts} accounts, {args.units} OUs, "
                f"{len(SCALE_RULES)} rules, built in {time.perf_counter() - start:.1f} s"
            )
            cloud = Cloud(lambda_stub=Stubber(boto3.client("lambda", region_name=REGION)))
            cloud.polls = polls
            reconciler.client = cloud.client  # type: ignore[assignment]
            reconciler.sleep = cloud.sleeps.append  # type: ignore[assignment]
            custom_resource.sleep = cloud.sleeps.append  # type: ignore[assignment]
            rules = world.encoded(SCALE_RULES)
            if polls:
                run(cloud, rules, "first run, each write IN_PROGRESS for one status check")
            else:
                run(cloud, rules, "first run")
                run(cloud, rules, "second run")


if __name__ == "__main__":
    main()
