"""Run the proactive controls' Guard rules offline, with the real Guard engine.

The cfn-guard binary comes from the npm package
``@cdklabs/cdk-validator-cfnguard`` (pinned in package.json, so ``npm ci``
installs it; cfn-guard 3.1.1). PyPI's cfn-guard-rs 0.3.3 (cfn-guard 3.0.1)
was tried first: it returns a truncated report for some non-compliant
inputs. All templates go to one ``cfn-guard validate`` run.
"""

from __future__ import annotations

import json
import platform
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from landing_zone.proactive.rules import guard_rules, hook_input

PACKAGE = Path(__file__).resolve().parent.parent / "node_modules/@cdklabs/cdk-validator-cfnguard"


def binary() -> Path:
    """The package's cfn-guard for this machine (it ships Linux and macOS, x86_64 and aarch64)."""
    system = {"Linux": "ubuntu", "Darwin": "macos"}[platform.system()]
    machine = {"x86_64": "x86_64", "AMD64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
    return PACKAGE / "bin" / system / machine[platform.machine()] / "cfn-guard"


def reports(
    templates: Mapping[str, Mapping[str, Any]], rules: str | None = None
) -> dict[str, dict[str, Any]]:
    """Guard's report for each template's resources as a hook sees them, by name."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "rules.guard").write_text(rules or guard_rules())
        data = root / "data"
        data.mkdir()
        names = {}
        for index, (name, template) in enumerate(templates.items()):
            path = data / f"{index:05}.json"
            path.write_text(json.dumps(hook_input(template)))
            names[str(path)] = name
        # Exit 19: some rule failed; 0: none did. Anything else is an error.
        done = subprocess.run(  # noqa: S603 - the package's binary, a fixed argument list
            [
                str(binary()),
                "validate",
                "--rules",
                str(root / "rules.guard"),
                "--data",
                str(data),
                "--output-format",
                "json",
                "--show-summary",
                "none",
                "--structured",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode not in (0, 19):
            raise RuntimeError(f"cfn-guard failed ({done.returncode}): {done.stderr}")
        return {names[report["name"]]: report for report in json.loads(done.stdout)}


def report(template: Mapping[str, Any]) -> dict[str, Any]:
    return reports({"template": template})["template"]


def failing(template: Mapping[str, Any]) -> set[str]:
    """The rules ``template`` does not comply with."""
    return failing_in(report(template))


def failing_in(result: Mapping[str, Any]) -> set[str]:
    return {check["Rule"]["name"] for check in result["not_compliant"]}


def passing(template: Mapping[str, Any]) -> set[str]:
    """The rules that applied to ``template`` and passed."""
    return set(report(template)["compliant"])


def messages(template: Mapping[str, Any]) -> list[str]:
    """Every custom message of the failed clauses (what a blocked stack shows)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            message = node.get("custom_message")
            if isinstance(message, str) and message:
                found.append(message)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(report(template)["not_compliant"])
    return found
