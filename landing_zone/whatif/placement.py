"""Which OU each account is in: the config, then an org map, then (``--live``) Organizations.

The org map is one of:

- a JSON object ``{"<account id>": "<ou key>"}`` (``"root"`` for the root);
- the ``--json`` document of ``make verify``: each ``account`` row's actual
  place (``<id> in Root/Workloads/Prod``), read back to the config's OU keys
  by OU names;
- a config written by ``make import``: every account there is adopted, with
  its ``account_id`` and ``ou``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from landing_zone.whatif.engine import OUTSIDE

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_VERIFY_ACTUAL = re.compile(r"^(\d{12}) in (.+?)(?:: .*)?$")


class OrgMapError(ValueError):
    """The org map cannot be read; the message says what to do."""


def names_to_keys(units: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """``Root/Workloads/Prod`` -> ``prod`` from OU key -> names from the root down."""
    return {"/".join(("Root", *names)): key for key, names in units.items()} | {"Root": "root"}


def read_org_map(path: Path, *, unit_names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Account id -> OU key from any of the three formats."""
    try:
        text = path.read_text()
    except OSError as error:
        raise OrgMapError(f"{path}: cannot read the org map: {error.strerror}") from error
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise OrgMapError(f"{path}: neither JSON nor YAML: {error}") from error
    if isinstance(data, dict) and "results" in data:
        by_path = names_to_keys(unit_names)
        mapping = {}
        for row in data["results"]:
            if row.get("check") != "account":
                continue
            found = _VERIFY_ACTUAL.match(str(row.get("actual", "")))
            if found and found.group(2) in by_path:
                mapping[found.group(1)] = by_path[found.group(2)]
        return mapping
    if isinstance(data, dict) and ("workload_accounts" in data or "core_accounts" in data):
        accounts = [*(data.get("core_accounts") or {}).values()]
        accounts += [*(data.get("workload_accounts") or {}).values()]
        return {
            str(a["account_id"]): str(a["ou"])
            for a in accounts
            if isinstance(a, dict) and a.get("account_id") and a.get("ou")
        }
    if isinstance(data, dict) and all(
        isinstance(k, str) and _ACCOUNT_ID.match(k) and isinstance(v, str) for k, v in data.items()
    ):
        return dict(data)
    raise OrgMapError(
        f'{path}: expected {{"<account id>": "<ou key>"}}, the output of `make verify '
        "ARGS=--json`, or a config written by `make import`"
    )


class Placement:
    """Account id -> OU key, :data:`OUTSIDE`, or None (unknown)."""

    def __init__(
        self,
        *,
        config_accounts: Mapping[str, str],
        org_map: Mapping[str, str],
        known_ous: set[str],
        live: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        unknown = sorted({ou for ou in org_map.values() if ou not in known_ous})
        if unknown:
            raise OrgMapError(
                f"the org map names OUs the config does not have: {', '.join(unknown)}"
            )
        self._accounts = {**org_map, **config_accounts}
        self._live = live

    def ou(self, account: str) -> str | None:
        found = self._accounts.get(account)
        if found is None and self._live is not None:
            live, self._live = self._live(), None
            # The live organization knows every member: anything else is outside.
            for account_id, key in live.items():
                self._accounts.setdefault(account_id, key)
            if account not in self._accounts:
                self._accounts[account] = OUTSIDE
            found = self._accounts[account]
        return found


def live_accounts(
    session: Any, *, root_scope: str, unit_names: Mapping[str, tuple[str, ...]]
) -> dict[str, str]:
    """Every account of the organization -> its OU key (read-only calls), by OU names.

    Accounts in OUs the config does not name map to the nearest named ancestor.
    """
    client = session.client("organizations")
    by_names = {names: key for key, names in unit_names.items()}
    accounts: dict[str, str] = {}

    def pages(method: str, field: str, **kwargs: str) -> list[dict[str, Any]]:
        return [
            item for page in client.get_paginator(method).paginate(**kwargs) for item in page[field]
        ]

    def walk(parent: str, names: tuple[str, ...], key: str) -> None:
        for account in pages("list_accounts_for_parent", "Accounts", ParentId=parent):
            accounts[account["Id"]] = key
        for unit in pages(
            "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
        ):
            below = (*names, unit["Name"])
            walk(unit["Id"], below, by_names.get(below, key))

    walk(root_scope, (), "root")
    return accounts
