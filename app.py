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
from landing_zone.constructs.stack_set import TOO_LARGE
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
    try:
        app.synth()
    except Exception as error:  # CDK wraps what a lazy value raises; find ours in it
        message = str(error)
        if TOO_LARGE not in message:
            raise
        print(f"stack limit error: {path}:", file=sys.stderr)
        print(f"  - {message[message.index(TOO_LARGE) :].splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
