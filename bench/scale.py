"""Synth time, peak memory and template sizes for organizations of 10 to 1,000 accounts.

For each (N accounts, M business units) it generates a config with
``bench/make_org.py``, runs ``cdk synth`` (the pinned CLI, as ``make synth``
does) ``--runs`` times, and prints the median and range of the wall time,
the peak resident memory of the whole process tree (CLI, Python app and its
jsii Node process, sampled every 20 ms with psutil) and, from the last
run's cloud assembly, the number of stacks and StackSet templates, the
largest resource count, template size and outputs/parameters against their
CloudFormation limits, and the guardrail policies against their quotas.

Usage: python bench/scale.py [--runs 5] [--sizes 10:1,100:10,1000:50]
Run with `make bench-scale`; it takes about 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_org import make_org  # noqa: E402
from landing_zone.config import load_config  # noqa: E402
from landing_zone.guardrails.packer import plan_guardrails  # noqa: E402
from landing_zone.quotas import (  # noqa: E402
    MAX_OUTPUTS,
    MAX_PARAMETERS,
    MAX_RESOURCES,
    MAX_TEMPLATE_BODY_BYTES,
    MAX_TEMPLATE_BYTES,
)


def run_synth(config: Path, outdir: Path, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS bytes (summed over the process tree) of one `cdk synth`."""
    start = time.perf_counter()
    process = psutil.Popen(
        ["cdk", "synth", "--quiet", "-c", f"config={config}", "-o", str(outdir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    while process.poll() is None:
        total = 0
        try:
            for member in [process, *process.children(recursive=True)]:
                total += member.memory_info().rss
        except psutil.NoSuchProcess:
            pass
        peak = max(peak, total)
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        errors = process.stderr.read().decode() if process.stderr is not None else ""
        raise SystemExit(f"cdk synth failed for {config}:\n{errors}")
    return elapsed, peak


@dataclass
class Shape:
    stacks: int
    stackset_templates: int
    resources: int
    largest_resources: tuple[str, int]
    largest_template: tuple[str, int]
    largest_body: tuple[str, int]
    most_outputs: tuple[str, int]
    most_parameters: tuple[str, int]


def shape_of(outdir: Path) -> Shape:
    """Counts and extremes over every template in a cloud assembly."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    stacks = [
        name
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    ]
    resources: dict[str, int] = {}
    sizes: dict[str, int] = {}
    bodies: dict[str, int] = {}
    outputs: dict[str, int] = {}
    parameters: dict[str, int] = {}
    for name in stacks:
        path = outdir / f"{name}.template.json"
        template: dict[str, Any] = json.loads(path.read_text())
        resources[name] = len(template.get("Resources", {}))
        sizes[name] = path.stat().st_size
        outputs[name] = len(template.get("Outputs", {}))
        parameters[name] = len(template.get("Parameters", {}))
        for logical_id, resource in template.get("Resources", {}).items():
            body = resource.get("Properties", {}).get("TemplateBody")
            if resource["Type"] == "AWS::CloudFormation::StackSet" and isinstance(body, str):
                bodies[f"{name}/{logical_id}"] = len(body.encode())

    def top(values: dict[str, int]) -> tuple[str, int]:
        return max(values.items(), key=lambda item: (item[1], item[0]))

    return Shape(
        stacks=len(stacks),
        stackset_templates=len(bodies),
        resources=sum(resources.values()),
        largest_resources=top(resources),
        largest_template=top(sizes),
        largest_body=top(bodies),
        most_outputs=top(outputs),
        most_parameters=top(parameters),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10:1,100:10,1000:50", help="N:M pairs")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in pair.split(":")) for pair in args.sizes.split(",")]
    env = {
        **os.environ,
        "PATH": f"{ROOT / 'node_modules' / '.bin'}:{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = []
    try:
        for accounts, units in sizes:
            config_path = scratch / f"org-{accounts}.yaml"
            config_path.write_text(
                yaml.safe_dump(make_org(accounts=accounts, business_units=units), sort_keys=False)
            )
            config = load_config(config_path)
            plan = plan_guardrails(config)
            times, peaks = [], []
            for run in range(args.runs):
                outdir = scratch / f"out-{accounts}-{run}"
                elapsed, peak = run_synth(config_path, outdir, env)
                times.append(elapsed)
                peaks.append(peak)
                if run < args.runs - 1:
                    shutil.rmtree(outdir)
            shape = shape_of(scratch / f"out-{accounts}-{args.runs - 1}")
            scp = [b for b in plan.budgets if b.kind == "scp"]
            rows.append(
                {
                    "accounts": accounts,
                    "units": units,
                    "ous": sum(1 for _ in config.walk_units()),
                    "account_stacks": config.organization.account_stacks,
                    "median": statistics.median(times),
                    "min": min(times),
                    "max": max(times),
                    "peak_mib": statistics.median(peaks) / 2**20,
                    "shape": shape,
                    "policies": len(plan.policies),
                    "slots": max(len(b.policies) for b in scp),
                    "slot_quota": scp[0].slots,
                    "largest_policy": max(b.largest for b in plan.budgets),
                }
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"cdk synth, median of {args.runs} runs (min-max), peak RSS of the process tree:")
    print(
        "| accounts | BUs | OUs | synth median | min-max | peak memory | stacks | "
        "StackSet templates | resources |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        shape = row["shape"]
        print(
            f"| {row['accounts']:,} | {row['units']} | {row['ous']} | {row['median']:.2f} s | "
            f"{row['min']:.2f}-{row['max']:.2f} s | {row['peak_mib']:,.0f} MiB | "
            f"{shape.stacks} | {shape.stackset_templates} | {shape.resources:,} |"
        )
    base = rows[0]["median"]
    for row in rows[1:]:
        print(
            f"synth at {row['accounts']:,} accounts = {row['median'] / base:.2f}x synth at "
            f"{rows[0]['accounts']:,}"
        )
    print()
    print("Largest value over all templates, against the CloudFormation limit:")
    print(
        "| accounts | account stacks | resources in a stack | template | inline StackSet body | "
        "outputs | parameters |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        shape = row["shape"]
        print(
            f"| {row['accounts']:,} | {row['account_stacks']} | "
            f"{shape.largest_resources[1]} of {MAX_RESOURCES} ({shape.largest_resources[0]}) | "
            f"{shape.largest_template[1] / 1000:,.0f} of {MAX_TEMPLATE_BYTES // 1000:,} KB "
            f"({shape.largest_template[0]}) | "
            f"{shape.largest_body[1]:,} of {MAX_TEMPLATE_BODY_BYTES:,} B | "
            f"{shape.most_outputs[1]} of {MAX_OUTPUTS} | "
            f"{shape.most_parameters[1]} of {MAX_PARAMETERS} |"
        )
    print()
    print("Guardrail packing:")
    print("| accounts | BUs | policies (SCP + RCP) | most SCPs on one target | largest policy |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['accounts']:,} | {row['units']} | {row['policies']} | "
            f"{row['slots']} of {row['slot_quota']} | {row['largest_policy']:,} characters |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
