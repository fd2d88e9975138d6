"""``python -m landing_zone.verify CONFIG [--json] [--all]``.

Exit 0 clean, 1 drift, 2 not run or not completed (items left unread, no drift found).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from landing_zone.config import ConfigError, load_config
from landing_zone.guardrails.packer import GuardrailBudgetError
from landing_zone.preflight import default_session, management_check
from landing_zone.verify.checks import counts, verify
from landing_zone.verify.model import CannotRun
from landing_zone.verify.reads import WORKERS, Progress, Reader
from landing_zone.verify.report import document, dumps, table

CLEAN, DRIFT, CANNOT_RUN = 0, 1, 2
#: No drift found, but items could not be read: the check did not complete, so it is
#: not clean; a scheduled run must not read it as such.
UNREAD = CANNOT_RUN
#: Checks whose rows are "cannot check" by design, whatever the credentials:
#: only the delegated administrator can read them. Any other "cannot check"
#: row is an item verify failed to read (denied, throttled, unreachable), and
#: a run that read nothing must not exit 0 as if it had found nothing.
BY_DESIGN = frozenset({"detection"})


def run(argv: Sequence[str] | None = None, *, session: Any = None) -> int:
    """The command; ``session`` replaces boto3's default one (tests, the benchmark).

    An error nothing foresaw (a bug, an answer of an unexpected shape) exits
    2 with one line naming it: Python's own exit on an uncaught exception
    is 1, which callers would read as drift.
    """
    try:
        return _run(argv, session=session)
    except Exception as error:  # noqa: BLE001 - any: exit 1 is drift's
        where = traceback.extract_tb(error.__traceback__)[-1]
        print(
            f"verify cannot run: unexpected {type(error).__name__}: {error} "
            f"({Path(where.filename).name}:{where.lineno}); please report it",
            file=sys.stderr,
        )
        return CANNOT_RUN


def _run(argv: Sequence[str] | None, *, session: Any) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m landing_zone.verify",
        description="Compare the live organization with what the config synthesizes "
        "(read-only, management-account credentials).",
    )
    parser.add_argument("config", type=Path)
    parser.add_argument("--json", action="store_true", help="print the JSON document on stdout")
    parser.add_argument("--all", action="store_true", help="list ok rows in the table too")
    parser.add_argument("--workers", type=int, default=WORKERS, help="concurrent reads")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress on stderr (default: when stderr is a terminal)",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        # The same plan synth makes: a config synth refuses, verify refuses too.
        from landing_zone.verify.expected import policies

        policies(config)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return CANNOT_RUN
    except GuardrailBudgetError as error:
        print(f"guardrail error: {args.config}:", file=sys.stderr)
        print("\n".join(f"  - {line}" for line in error.lines), file=sys.stderr)
        return CANNOT_RUN
    if session is None:
        session, unusable = default_session()
        if unusable is not None:
            print(unusable, file=sys.stderr)
            return CANNOT_RUN
    management = management_check(config, session)
    if management.problems:
        print("verify cannot run:", file=sys.stderr)
        print("\n".join(f"  - {p}" for p in management.problems), file=sys.stderr)
        return CANNOT_RUN
    started = time.monotonic()
    reader = Reader(session, workers=args.workers, progress=Progress(enabled=args.progress))
    try:
        results = verify(config, reader)
    except CannotRun as error:
        print(f"verify cannot run: {error}", file=sys.stderr)
        return CANNOT_RUN
    finally:
        reader.close()
    totals = counts(results)
    unread = [r for r in results if r.status == "cannot_check" and r.check not in BY_DESIGN]
    code = DRIFT if totals["drift"] else UNREAD if unread else CLEAN
    if args.json:
        print(
            dumps(
                document(
                    results,
                    config=str(args.config),
                    prefix=config.prefix,
                    organization_id=config.organization.id,
                    exit_code=code,
                    calls=reader.calls,
                    seconds=time.monotonic() - started,
                )
            )
        )
    else:
        print(table(results, everything=args.all))
    print(
        f"{args.config}: {totals['ok']} ok, {totals['drift']} drift, "
        f"{totals['cannot_check']} cannot check "
        f"({sum(reader.calls.values())} calls, {time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    if code == UNREAD:
        print(
            f"no drift found, but {len(unread)} item(s) could not be read "
            "(exit 2, fix the access and run again): "
            f"{', '.join(sorted({r.check for r in unread}))}",
            file=sys.stderr,
        )
    return code


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
