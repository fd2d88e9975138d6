"""verify's output: a table for people, a JSON document for machines (schema version 1)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from landing_zone.verify.model import STATUSES, Result

#: Bumped on any incompatible change to the JSON document (docs/operations.md).
SCHEMA_VERSION = 1
LABELS = {"ok": "ok", "drift": "DRIFT", "cannot_check": "cannot check"}
#: Expected and actual are cut to this many characters in the table (never in JSON).
CELL = 70


def document(
    results: Sequence[Result],
    *,
    config: str,
    prefix: str,
    organization_id: str,
    exit_code: int,
    calls: Mapping[str, int],
    seconds: float,
) -> dict[str, Any]:
    """The ``--json`` document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "config": config,
        "prefix": prefix,
        "organization_id": organization_id,
        "exit_code": exit_code,
        "counts": {status: sum(1 for r in results if r.status == status) for status in STATUSES},
        "results": [
            {
                "check": r.check,
                "item": r.item,
                "status": r.status,
                "expected": r.expected,
                "actual": r.actual,
            }
            for r in results
        ],
        "calls": dict(sorted(calls.items())),
        "seconds": round(seconds, 2),
    }


def _cut(text: str) -> str:
    return text if len(text) <= CELL else text[: CELL - 1] + "…"


def table(results: Sequence[Result], *, everything: bool = False) -> str:
    """Drift and "cannot check" rows (every row with ``everything``), then counts per check."""
    shown = [r for r in results if everything or r.status != "ok"]
    rows = [("check", "item", "status", "expected", "actual")] + [
        (r.check, r.item, LABELS[r.status], _cut(r.expected), _cut(r.actual)) for r in shown
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  "
        + row[4]
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths) + "  " + "-" * 6)
    if not shown:
        lines = ["nothing to report"]
    per_check: dict[str, dict[str, int]] = {}
    for r in results:
        per_check.setdefault(r.check, dict.fromkeys(STATUSES, 0))[r.status] += 1
    lines += ["", "per check: ok / drift / cannot check"]
    lines += [
        f"  {check:<18} {n['ok']:>5} / {n['drift']:>5} / {n['cannot_check']:>5}"
        for check, n in per_check.items()
    ]
    return "\n".join(lines)


def dumps(value: Mapping[str, Any]) -> str:
    return json.dumps(value, indent=2)
