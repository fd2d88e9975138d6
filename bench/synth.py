"""Time synth of the example landing zone: the real CLI (`cdk synth`) and in-process.

Prints the median of 5 runs for each, plus min/max. Run with `make bench`.
Usage: python bench/synth.py [--runs N] [--config config/example.yaml]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IN_PROCESS = """
import sys
sys.path.insert(0, {root!r})
from aws_cdk import App
from landing_zone.app import build_landing_zone
from landing_zone.config import load_config
from tests.conftest import cdk_context
app = App(context=cdk_context(config={config!r}), outdir={outdir!r})
build_landing_zone(app, config=load_config({config!r}))
app.synth()
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<34} median {statistics.median(samples):6.2f} s   "
        f"min {min(samples):6.2f}   max {max(samples):6.2f}   (n={len(samples)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", default="config/example.yaml")
    args = parser.parse_args()
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    python = sys.executable
    scratch = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        cli, in_process, no_validation = [], [], []
        for run in range(args.runs):
            out = scratch / f"cli{run}"
            cli.append(
                timed(
                    ["cdk", "synth", "--quiet", "-c", f"config={args.config}", "-o", str(out)],
                    env,
                )
            )
            script = IN_PROCESS.format(
                root=str(ROOT), config=args.config, outdir=str(scratch / f"py{run}")
            )
            in_process.append(timed([python, "-c", script], env))
            script = IN_PROCESS.format(
                root=str(ROOT), config=args.config, outdir=str(scratch / f"nv{run}")
            )
            no_validation.append(timed([python, "-c", script], {**env, "CDK_VALIDATION": "false"}))
        print(f"synth of {args.config}:")
        report("cdk synth (CLI, as make synth)", cli)
        report("in-process (python, app.synth())", in_process)
        report("in-process, CDK_VALIDATION=false", no_validation)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
