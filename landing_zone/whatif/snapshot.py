"""What a config would deploy, as plain JSON: the organization policies per target,
the guardrails each carries (with their statements as rendered), the OU paths
and the adopted accounts' OUs.

Imports only what every version of the landing zone has (``load_config``,
``plan_guardrails``, ``target_paths``, the catalog and ``render``), so
``whatif --against <git ref>`` runs this very file with the ref's code: the
guardrails are code, and the ref's catalog and packer decide the ref's
policies. Run as ``python snapshot.py <config>`` it prints the JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def snapshot(config_path: Path) -> dict[str, Any]:
    """The JSON-ready plan of ``config_path`` (raises the loader's ConfigError)."""
    from landing_zone.config import guardrail_inputs, load_config
    from landing_zone.guardrails.catalog import BY_ID
    from landing_zone.guardrails.model import render
    from landing_zone.guardrails.packer import plan_guardrails, target_paths

    config = load_config(config_path)
    inputs = guardrail_inputs(config)
    policies = []
    for policy in plan_guardrails(config).policies:
        rendered = {
            guardrail: [
                render(s, kind=BY_ID[guardrail].kind, inputs=inputs)
                for s in BY_ID[guardrail].statements(inputs)
            ]
            for guardrail in policy.guardrails
        }
        policies.append(
            {
                "name": policy.name,
                "target": policy.target,
                "kind": policy.kind,
                "document": json.loads(policy.content),
                "guardrails": rendered,
            }
        )
    accounts = {
        account.account_id: account.ou
        for _, account in config.all_accounts()
        if account.account_id is not None
    }
    return {
        "organization_id": config.organization.id,
        "management_account_id": config.organization.management_account_id,
        "partition": config.partition,
        "paths": {key: list(path) for key, path in target_paths(config).items()},
        "accounts": accounts,
        "policies": policies,
    }


if __name__ == "__main__":
    json.dump(snapshot(Path(sys.argv[1])), sys.stdout)
