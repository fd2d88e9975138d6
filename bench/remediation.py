"""Event-to-action time of each remediation playbook, in a local simulation (moto).

Each run builds the finding's resource in a fresh moto account, then times
``handler()`` from receiving the sample event to the recorded decision
(assume role, read, act, archive, note, publish). Security Hub's note is
stubbed (moto lacks BatchUpdateFindings). Prints the median of N runs.
Run: .venv/bin/python bench/remediation.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import test_remediation as t

RUNS = 5


def main() -> None:
    setups = {
        "instance-credential-exfiltration": lambda w: t._exfil_event(t._instance(w)[0]),
        "public-s3-bucket": lambda w: (t._bucket(w), t.sample("public-s3-bucket"))[1],
        "open-admin-ports": lambda w: t._ports_event(t._group(w)[1]),
        "exposed-access-key": lambda w: t._key(w)[1],
        "root-activity": lambda w: t.sample("root-activity"),
    }
    for key, setup in setups.items():
        times = []
        for _ in range(RUNS):
            monkeypatch = pytest.MonkeyPatch()
            fixture = t.world.__wrapped__(monkeypatch)  # type: ignore[attr-defined]
            world = next(fixture)
            event = setup(world)
            if key != "exposed-access-key":
                world.expect_update("RESOLVED" if key not in ("root-activity",) else "NOTIFIED")
            start = time.perf_counter()
            [entry] = t.run(key, "on", event)
            times.append((time.perf_counter() - start) * 1000)
            if entry["decision"] not in ("acted", "alerted"):
                raise RuntimeError(f"{key} did not act: {entry}")
            fixture.close()
            monkeypatch.undo()
        median = statistics.median(times)
        print(f"{key:34} median {median:7.1f} ms  (min {min(times):.1f}, {RUNS} runs)")


if __name__ == "__main__":
    main()
