"""``python -m landing_zone.cli whatif``: replay CloudTrail against the guardrails a config deploys.

Every record ends as exactly one of: denied (with the guardrails and policies
that deny it), allowed, not affected (SCPs and RCPs cannot apply, e.g. the
management account or a service-linked role) or skipped (with the reason:
unknown account, unmappable action, a condition key CloudTrail does not
record, a policy element the evaluator does not implement). Skipped records
are never counted as allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from landing_zone.whatif import snapshot as snapshot_module
from landing_zone.whatif.engine import Engine, Outcome, Plan
from landing_zone.whatif.events import (
    EventsError,
    Progress,
    file_records,
    local_files,
    records,
)
from landing_zone.whatif.placement import OrgMapError, Placement, live_accounts, read_org_map
from landing_zone.whatif.translate import Skip, Translated, translate

#: Entries kept per list in the report (counts stay complete): memory stays bounded.
LIMIT = 10_000
PROGRESS_EVERY = 100_000


class WhatIfError(Exception):
    """A problem with the inputs; exit 2 with this message."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path)
    parser.add_argument(
        "--events", required=True, help="a .json/.json.gz file, a directory, or s3://bucket/prefix"
    )
    parser.add_argument(
        "--org-map", type=Path, help="account id -> OU key (JSON, verify --json, import config)"
    )
    parser.add_argument(
        "--live", action="store_true", help="place other accounts with Organizations"
    )
    parser.add_argument("--json", action="store_true", help="print the JSON document")
    parser.add_argument(
        "--against", help="a git ref or a second config: show only the denials that change"
    )
    parser.add_argument("--limit", type=int, default=LIMIT, help="entries listed per section")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(os.cpu_count() or 1, 4),
        help="processes for local files (default: the cores, at most 4)",
    )


@dataclass
class Report:
    """Counts, and the first ``limit`` entries of each list."""

    limit: int
    evaluated: int = 0
    status: Counter[str] = field(default_factory=Counter)
    denied: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    by_ou: Counter[str] = field(default_factory=Counter)
    by_guardrail: Counter[str] = field(default_factory=Counter)
    by_principal: Counter[str] = field(default_factory=Counter)
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    not_affected: Counter[str] = field(default_factory=Counter)
    removed_count: int = 0

    def add_denial(self, entry: dict[str, Any], *, into: list[dict[str, Any]]) -> None:
        if len(into) < self.limit:
            into.append(entry)

    def count_denial(self, entry: dict[str, Any]) -> None:
        self.by_ou[entry["ou"]] += 1
        for denial in entry["guardrails"]:
            self.by_guardrail[denial["guardrail"]] += 1
        self.by_principal[entry["principal"]] += 1

    def merge(self, other: Report) -> None:
        """Add a part (one file's report, from a worker) to this one."""
        self.evaluated += other.evaluated
        self.removed_count += other.removed_count
        for mine, theirs in (
            (self.status, other.status),
            (self.by_ou, other.by_ou),
            (self.by_guardrail, other.by_guardrail),
            (self.by_principal, other.by_principal),
            (self.skipped_by_reason, other.skipped_by_reason),
            (self.not_affected, other.not_affected),
        ):
            mine.update(theirs)
        for entries, more in (
            (self.denied, other.denied),
            (self.removed, other.removed),
            (self.skipped, other.skipped),
        ):
            entries.extend(more[: max(self.limit - len(entries), 0)])

    def document(self, *, diff: bool) -> dict[str, Any]:
        document: dict[str, Any] = {
            "evaluated": self.evaluated,
            "denied": self.denied,
            "skipped": self.skipped,
            "counts": {
                "denied": self.status["denied"],
                "allowed": self.status["allowed"],
                "not_affected": self.status["not_affected"],
                "skipped": self.status["skipped"],
            },
            "denied_by_ou": dict(self.by_ou.most_common()),
            "denied_by_guardrail": dict(self.by_guardrail.most_common()),
            "denied_by_principal": dict(self.by_principal.most_common()),
            "skipped_by_reason": dict(self.skipped_by_reason.most_common()),
            "not_affected_by_reason": dict(self.not_affected.most_common()),
        }
        if diff:
            document["no_longer_denied"] = self.removed
            document["counts"]["added"] = self.status["denied"]
            document["counts"]["removed"] = self.removed_count
        return document


def _entry(record: Mapping[str, Any], t: Translated, outcome: Outcome) -> dict[str, Any]:
    guardrails = [{"guardrail": g, "policy": p} for g, p in outcome.denials]
    return {
        "eventID": record.get("eventID"),
        "eventTime": record.get("eventTime"),
        "account": t.principal_account if outcome.kind == "scp" else t.resource_account,
        "ou": outcome.ou,
        "principal": t.principal,
        "action": t.action,
        # The record's own (a cached outcome may come from another resource alike).
        "resource": ", ".join(t.resources) if t.resources else outcome.resource,
        "guardrail": guardrails[0]["guardrail"] if guardrails else "",
        "policy": guardrails[0]["policy"] if guardrails else "",
        "guardrails": guardrails,
    }


REASON_GROUPS = ("unknown account", "unmappable action", "unsupported policy", "malformed record")


def _reason_group(reason: str) -> str:
    """Counts group reasons by their kind: ``unknown account 123…`` -> ``unknown account``."""
    for prefix in REASON_GROUPS:
        if reason.startswith(prefix):
            return prefix
    return reason


def replay(
    events: Iterator[Mapping[str, Any]],
    engine: Engine,
    *,
    against: Engine | None = None,
    limit: int = LIMIT,
    tick: Callable[[int], None] = lambda n: None,
) -> Report:
    """Decide every record; with ``against``, keep only the denials that differ."""
    report = Report(limit)
    partition = engine.plan.partition
    for record in events:
        report.evaluated += 1
        if report.evaluated % PROGRESS_EVERY == 0:
            tick(report.evaluated)
        try:
            t = translate(record, partition=partition)
        except Skip as skip:
            status = "not_affected" if skip.not_affected else "skipped"
            _count_other(report, record, status, skip.reason)
            continue
        outcome = engine.decide(t)
        if against is None:
            if outcome.status == "denied":
                entry = _entry(record, t, outcome)
                report.status["denied"] += 1
                report.count_denial(entry)
                report.add_denial(entry, into=report.denied)
            else:
                _count_other(report, record, outcome.status, outcome.reason)
            continue
        before = against.decide(t)
        now = {g for g, _ in outcome.denials} if outcome.status == "denied" else set()
        then = {g for g, _ in before.denials} if before.status == "denied" else set()
        if outcome.status == "skipped" or (before.status == "skipped" and now == then):
            # Undecided now: never reported as no longer denied (that is, allowed).
            reason = outcome.reason if outcome.status == "skipped" else before.reason
            _count_other(report, record, "skipped", reason)
            continue
        if now - then:
            entry = _entry(record, t, outcome)
            entry["guardrails"] = [d for d in entry["guardrails"] if d["guardrail"] not in then]
            report.status["denied"] += 1
            report.count_denial(entry)
            report.add_denial(entry, into=report.denied)
        if then - now:
            entry = _entry(record, t, before)
            entry["guardrails"] = [d for d in entry["guardrails"] if d["guardrail"] not in now]
            report.removed_count += 1
            report.add_denial(entry, into=report.removed)
    return report


def _count_other(report: Report, record: Mapping[str, Any], status: str, reason: str) -> None:
    report.status[status] += 1
    if status == "skipped":
        report.skipped_by_reason[_reason_group(reason)] += 1
        if len(report.skipped) < report.limit:
            report.skipped.append({"eventID": record.get("eventID"), "reason": reason})
    elif status == "not_affected":
        report.not_affected[reason] += 1


_WORKER: dict[str, Any] = {}


def _start_worker(
    current: Mapping[str, Any],
    other: Mapping[str, Any] | None,
    org_map: Mapping[str, str],
    limit: int,
) -> None:
    _WORKER["engine"] = engine_for(current, org_map=org_map, live=None)
    _WORKER["against"] = None if other is None else engine_for(other, org_map=org_map, live=None)
    _WORKER["limit"] = limit


def _replay_file(path: Path) -> Report | str:
    try:
        batch = file_records(path)
    except EventsError as error:
        return str(error)
    return replay(
        iter(batch), _WORKER["engine"], against=_WORKER["against"], limit=_WORKER["limit"]
    )


def replay_parallel(
    files: Sequence[Path],
    *,
    current: Mapping[str, Any],
    other: Mapping[str, Any] | None,
    org_map: Mapping[str, str],
    workers: int,
    limit: int = LIMIT,
    tick: Callable[[int], None] = lambda n: None,
) -> Report:
    """``replay`` with one process per core, a file at a time, merged in file order.

    Each worker keeps its own decision cache; the results are the same as
    one process's (the cache only saves work).
    """
    import multiprocessing

    report = Report(limit)
    with multiprocessing.Pool(
        workers, initializer=_start_worker, initargs=(current, other, org_map, limit)
    ) as pool:
        for part in pool.imap(_replay_file, files, chunksize=1):
            if isinstance(part, str):
                raise EventsError(part)
            before = report.evaluated
            report.merge(part)
            if report.evaluated // PROGRESS_EVERY > before // PROGRESS_EVERY:
                tick(report.evaluated)
    return report


def git_ref_snapshot(ref: str, config: Path) -> dict[str, Any]:
    """The plan of ``config`` as the code and config at ``ref`` would deploy it.

    The ref's tree is extracted (git archive) to a temporary directory and
    this module's snapshot script runs there with the ref's code, so a change
    to the catalog or packs is compared as well as a change to the config.
    The config is the ref's version of the same file when the repository
    holds it there, else the file given.
    """
    top = _git("rev-parse", "--show-toplevel").strip()
    _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", error=f"no such git ref: {ref}")
    with tempfile.TemporaryDirectory(prefix="whatif-") as directory:
        tree = Path(directory)
        # git from PATH, as the developer runs it; the ref was verified above.
        archive = subprocess.run(  # noqa: S603
            ["git", "-C", top, "archive", "--format=tar", ref],  # noqa: S607
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=_bytes_io(archive)) as tar:
            tar.extractall(tree, filter="data")
        try:
            relative = config.resolve().relative_to(Path(top).resolve())
        except ValueError:
            relative = None
        target = tree / relative if relative and (tree / relative).is_file() else config.resolve()
        script = tree / "_whatif_snapshot.py"
        script.write_text(Path(snapshot_module.__file__).read_text())
        result = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(script), str(target)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise WhatIfError(f"the config at {ref} does not load with that ref's code: {last}")
        loaded: dict[str, Any] = json.loads(result.stdout)
        return loaded


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)


def _git(*args: str, error: str | None = None) -> str:
    # git from PATH, as the developer runs it; arguments are ours or a ref name.
    result = subprocess.run(["git", *args], capture_output=True, text=True)  # noqa: S603, S607
    if result.returncode != 0:
        raise WhatIfError(error or f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def _unit_names(config_path: Path) -> dict[str, tuple[str, ...]]:
    from landing_zone.config import load_config

    config = load_config(config_path)
    names: dict[str, tuple[str, ...]] = {}
    for key, unit, parent, _ in config.walk_units():
        names[key] = (*names.get(parent, ()), unit.name) if parent else (unit.name,)
    return names


def engine_for(
    data: Mapping[str, Any],
    *,
    org_map: Mapping[str, str],
    live: Callable[[], Mapping[str, str]] | None,
) -> Engine:
    plan = Plan(data)
    placement = Placement(
        config_accounts=plan.accounts, org_map=org_map, known_ous=set(plan.paths), live=live
    )
    return Engine(plan, placement)


def run(args: argparse.Namespace, *, session: Any = None, out: IO[str] | None = None) -> int:
    """The command; input problems are exit 2 with one line, never a traceback."""
    try:
        return _run(args, session=session, out=out or sys.stdout)
    except (WhatIfError, EventsError, OrgMapError) as error:
        print(f"whatif: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, *, session: Any, out: IO[str]) -> int:
    names = _unit_names(args.config)
    org_map = read_org_map(args.org_map, unit_names=names) if args.org_map else {}
    current = snapshot_module.snapshot(args.config)
    live = None
    if args.live:
        if session is None:
            import boto3

            session = boto3.Session()
        live_session = session

        def live() -> Mapping[str, str]:
            roots = live_session.client("organizations").list_roots()["Roots"]
            return live_accounts(live_session, root_scope=roots[0]["Id"], unit_names=names)

    engine = engine_for(current, org_map=org_map, live=live)
    against = None
    other_data: dict[str, Any] | None = None
    if args.against:
        other = Path(args.against)
        if other.is_file():
            from landing_zone.config import ConfigError

            try:
                data = snapshot_module.snapshot(other)
            except ConfigError as error:
                raise WhatIfError(f"config error: {error}") from error
        else:
            data = git_ref_snapshot(args.against, args.config)
        other_data = data
        against = engine_for(data, org_map=org_map, live=live)
    progress = Progress()
    started = time.perf_counter()

    def tick(count: int) -> None:
        rate = count / max(time.perf_counter() - started, 1e-9)
        print(
            f"whatif: {count:,} events ({rate:,.0f}/s)",
            file=sys.stderr,
        )

    files = local_files(args.events)
    if files is not None and len(files) > 1 and args.workers > 1 and not args.live:
        report = replay_parallel(
            files,
            current=current,
            other=other_data,
            org_map=org_map,
            workers=args.workers,
            limit=args.limit,
            tick=tick,
        )
    else:
        report = replay(
            records(args.events, session=session, progress=progress),
            engine,
            against=against,
            limit=args.limit,
            tick=tick,
        )
    document = report.document(diff=against is not None)
    if args.json:
        json.dump(document, out, indent=2)
        out.write("\n")
    else:
        out.write(text_report(document, events=args.events, against=args.against) + "\n")
    return 0


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def _counts(title: str, counts: Mapping[str, int]) -> list[str]:
    if not counts:
        return []
    return ["", f"{title}:", *(f"  {n:>8,}  {k}" for k, n in counts.items())]


def text_report(document: Mapping[str, Any], *, events: str, against: str | None) -> str:
    counts = document["counts"]
    lines = [
        f"whatif: {document['evaluated']:,} events from {events}"
        + (f", compared with {against}" if against else ""),
    ]
    if against:
        lines.append(
            f"  newly denied {counts['added']:,}, no longer denied {counts['removed']:,}, "
            f"skipped {counts['skipped']:,}"
        )
    else:
        lines.append(
            f"  denied {counts['denied']:,}, allowed {counts['allowed']:,}, not affected "
            f"{counts['not_affected']:,}, skipped {counts['skipped']:,} (never counted as allowed)"
        )
    for title, entries in (
        ("Newly denied" if against else "Denied", document["denied"]),
        ("No longer denied", document.get("no_longer_denied", [])),
    ):
        if not entries:
            continue
        rows = [
            (
                "time",
                "eventID",
                "account",
                "OU",
                "principal",
                "action",
                "resource",
                "guardrail [policy]",
            )
        ]
        rows += [
            (
                str(e["eventTime"]),
                str(e["eventID"]),
                str(e["account"]),
                e["ou"],
                e["principal"],
                e["action"],
                e["resource"],
                ", ".join(f"{d['guardrail']} [{d['policy']}]" for d in e["guardrails"]),
            )
            for e in entries
        ]
        lines += ["", f"{title}:", *_table(rows)]
    lines += _counts("Denied by OU", document["denied_by_ou"])
    lines += _counts("Denied by guardrail", document["denied_by_guardrail"])
    lines += _counts("Denied by principal", document["denied_by_principal"])
    lines += _counts("Skipped (not evaluated)", document["skipped_by_reason"])
    lines += _counts("Not affected (SCPs/RCPs cannot apply)", document["not_affected_by_reason"])
    return "\n".join(lines)
