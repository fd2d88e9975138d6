#!/usr/bin/env python3
"""CDK entry point: `cdk synth -c config=config/<bu>.yaml` (default config/example.yaml).

The only module that reads the outside world (CDK context, the config file);
everything below it receives typed values.
"""

from __future__ import annotations

import sys

from aws_cdk import App

from landing_zone.app import build_landing_zone
from landing_zone.config import ConfigError, load_config
from landing_zone.guardrails.packer import GuardrailBudgetError
from landing_zone.quotas import StackLimitError

DEFAULT_CONFIG = "config/example.yaml"


def main() -> int:
    app = App()
    path = app.node.try_get_context("config") or DEFAULT_CONFIG
    try:
        config = load_config(path)
    except ConfigError as error:
        # Exit 2 before synth writes anything to cdk.out.
        print(f"config error: {error}", file=sys.stderr)
        return 2
    try:
        build_landing_zone(app, config=config)
    except (GuardrailBudgetError, StackLimitError) as error:
        kind = "guardrail" if isinstance(error, GuardrailBudgetError) else "stack limit"
        print(f"{kind} error: {path}:", file=sys.stderr)
        print("\n".join(f"  - {line}" for line in error.lines), file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
