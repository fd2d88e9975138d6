"""`make import` and the brownfield preflight against a stubbed 1,000-account organization.

The organization is bench/verify.py's (``bench/make_org.py``'s 1,000 accounts
in 50 business units, answered from memory after LATENCY a call, paged as AWS
pages), with the few reads verify does not make answered too: each
delegated administrator's services, the management account's recorders, and
a stack that does not exist yet. Prints the wall time of each.

Usage: python bench/import.py [--accounts 1000] [--business-units 50] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bench.make_org import make_org
from bench.verify import Answer, FakeOrganization, FakeSession
from landing_zone import brownfield
from landing_zone.config import load_config
from landing_zone.importer import run


class Organization(FakeOrganization):
    """verify's stubbed organization, with the reads only the import and preflight make."""

    def answers(self) -> dict[str, dict[str, Answer]]:
        answers = super().answers()
        organizations = answers["organizations"]
        by_principal = organizations["ListDelegatedAdministrators"]
        principal = "guardduty.amazonaws.com"
        organizations["ListDelegatedAdministrators"] = lambda p: by_principal(
            {"ServicePrincipal": principal, **p}
        )
        organizations["ListDelegatedServicesForAccount"] = lambda p: {
            "DelegatedServices": [{"ServicePrincipal": principal}]
        }
        answers["config"] = {
            "DescribeConfigurationRecorders": lambda p: {"ConfigurationRecorders": []}
        }
        answers["cloudformation"]["ListStackResources"] = lambda p: {"StackResourceSummaries": []}
        return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--business-units", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per call")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "org.yaml"
        data = make_org(accounts=args.accounts, business_units=args.business_units)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        config = load_config(path)
        session: Any = FakeSession(Organization(config), latency=args.latency)
        out = Path(directory) / "imported.yaml"
        started = time.monotonic()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = run(
                ["--out", str(out), "--prefix", "Bench", "--home-region", config.regions.home],
                session=session,
            )
        imported = time.monotonic() - started
        if code != 0:
            print(f"import failed: exit {code}")
            return 1
        written = load_config(out)
        print(
            f"import: {sum(1 for _ in written.all_accounts())} accounts, "
            f"{sum(1 for _ in written.walk_units())} OUs, {len(out.read_text().splitlines())} "
            f"lines, {args.latency * 1000:.0f} ms per call: {imported:.1f} s"
        )
        started = time.monotonic()
        problems = brownfield.problems(config, session)
        print(
            f"brownfield preflight (not --deep): {time.monotonic() - started:.1f} s, "
            f"{len(problems)} problem(s) (the OUs exist outside the stack)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
