"""Centralized root access: config rules, the custom resource, the preflight report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from botocore.stub import Stubber

from landing_zone import preflight
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.config.identity import ROOT_ACCESS_FEATURES, root_access_enabled
from landing_zone.config.organization import DEFAULT_TRUSTED_SERVICES
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.lambdas import organization_features
from landing_zone.stacks.organization_stack import OrganizationStack
from tests.conftest import EXAMPLE, cdk_context
from tests.templates import resources_of
from tests.test_detection_services import LAMBDAS, api_calls, needed
from tests.variants import BUSINESS_UNIT, minimal_variant, problems_of, variant

# ---- config -------------------------------------------------------------------------

EXAMPLE_ROOT_ACCESS = "  root_access:\n    enabled: true\n"

WITHOUT_IAM = (
    "organization_features:\n  trusted_services:\n"
    "    - member.org.stacksets.cloudformation.amazonaws.com\n"
    "    - access-analyzer.amazonaws.com\n"
    "    - config.amazonaws.com\n"
    "    - config-multiaccountsetup.amazonaws.com\n"
    "    - guardduty.amazonaws.com\n"
    "    - malware-protection.guardduty.amazonaws.com\n"
    "    - securityhub.amazonaws.com\n"
    "    - inspector2.amazonaws.com\n"
    "    - detective.amazonaws.com\n"
)


def test_on_by_default_with_iam_trusted_by_default(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path))
    assert root_access_enabled(config)
    assert "iam.amazonaws.com" in DEFAULT_TRUSTED_SERVICES
    assert "iam.amazonaws.com" in load_config(EXAMPLE).organization_features.trusted_services


def test_root_access_needs_iam_trusted_access(tmp_path: Path) -> None:
    problems = problems_of(minimal_variant(tmp_path, append=WITHOUT_IAM))
    assert problems == [
        f"{tmp_path / 'variant.yaml'}:{_line_of(tmp_path, 'trusted_services')}: "
        "organization_features.trusted_services: identity.root_access needs trusted access for "
        "'iam.amazonaws.com' (AWS requires it before root credentials management and root "
        "sessions can be enabled); add it to organization_features.trusted_services, or set "
        "identity.root_access.enabled: false"
    ]


def test_without_root_access_iam_need_not_be_trusted(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, append=WITHOUT_IAM + "identity:\n  root_access:\n    enabled: false\n"
    )
    assert not root_access_enabled(load_config(path))


def test_business_unit_leaves_root_access_to_the_core(tmp_path: Path) -> None:
    assert not root_access_enabled(load_config(BUSINESS_UNIT))
    path = variant(BUSINESS_UNIT, tmp_path, append="identity:\n  root_access:\n    enabled: true\n")
    (problem,) = problems_of(path)
    assert problem.endswith(
        "identity.root_access: centralized root access is on or off for the whole "
        "organization, which the core fork decides (it runs in the management account); "
        "remove this field"
    )


def _line_of(directory: Path, text: str) -> int:
    lines = (directory / "variant.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_example_enables_root_access_explicitly(enabled: bool, tmp_path: Path) -> None:
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[(EXAMPLE_ROOT_ACCESS, f"  root_access:\n    enabled: {enabled}\n")],
    )
    assert root_access_enabled(load_config(path)) is enabled


# ---- the custom resources -------------------------------------------------------------


def _features_role_iam_actions(template: dict[str, Any]) -> set[str]:
    """The iam:* actions granted to the organization-features handler's role."""
    roles = {
        logical
        for logical, resource in resources_of(template, "AWS::IAM::Role").items()
        if "centralized root access" in resource["Properties"].get("Description", "")
    }
    (role,) = roles
    actions: set[str] = set()
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update(a for a in ([listed] if isinstance(listed, str) else listed))
    return {a for a in actions if a.startswith("iam:") and a != "iam:CreateServiceLinkedRole"}


def test_both_features_are_enabled_after_iam_trusted_access(
    organization_template: dict[str, Any],
) -> None:
    resources = organization_template["Resources"]
    root_access = resources_of(organization_template, "Custom::OrganizationRootAccess")
    assert sorted(r["Properties"]["Value"] for r in root_access.values()) == sorted(
        ROOT_ACCESS_FEATURES
    )
    assert all(r["DeletionPolicy"] == "Retain" for r in root_access.values())
    trusted_iam = next(
        logical
        for logical, r in resources.items()
        if r["Type"] == "Custom::OrganizationTrustedService"
        and r["Properties"]["Value"] == "iam.amazonaws.com"
    )

    def after(logical: str) -> set[str]:
        """Every resource ``logical`` waits for, directly or not."""
        seen: set[str] = set()
        stack = list(resources[logical].get("DependsOn", []))
        while stack:
            dependency = stack.pop()
            if dependency not in seen:
                seen.add(dependency)
                stack.extend(resources[dependency].get("DependsOn", []))
        return seen

    for logical in root_access:
        assert trusted_iam in after(logical), logical


def test_the_handler_is_granted_exactly_the_iam_calls_it_makes(
    organization_template: dict[str, Any],
) -> None:
    calls = api_calls(LAMBDAS / "organization_features.py")["iam"]
    assert _features_role_iam_actions(organization_template) == needed(calls)


def test_handler_and_config_name_the_same_features() -> None:
    assert organization_features.ROOT_ACCESS_FEATURES == ROOT_ACCESS_FEATURES


def test_turned_off_root_access_is_neither_enabled_nor_granted(tmp_path: Path) -> None:
    path = variant(
        EXAMPLE,
        tmp_path,
        replace=[(EXAMPLE_ROOT_ACCESS, "  root_access:\n    enabled: false\n")],
    )
    config = load_config(path)
    app = App(context=cdk_context())
    stack = OrganizationStack(app, "Test", config=config, guardrails=plan_guardrails(config))
    template = Template.from_stack(stack).to_json()
    assert resources_of(template, "Custom::OrganizationRootAccess") == {}
    assert _features_role_iam_actions(template) == set()


# ---- the preflight's report -----------------------------------------------------------


class IamSession:
    """A session whose one client is a stubbed IAM client in the region the preflight asks."""

    def __init__(self) -> None:
        self.iam = boto3.client("iam", region_name="us-east-1")
        self.stub = Stubber(self.iam)
        self.regions: list[str] = []

    def client(self, name: str, *, region_name: str) -> Any:
        assert name == "iam"
        self.regions.append(region_name)
        return self.iam


def _status(config: LandingZoneConfig, answer: dict[str, Any] | str) -> str | None:
    session = IamSession()
    if isinstance(answer, str):
        session.stub.add_client_error("list_organizations_features", answer, "no")
    else:
        session.stub.add_response("list_organizations_features", answer)
    with session.stub:
        status = preflight.root_access_status(config, session)
    assert session.regions in ([], ["us-east-1"])
    return status


ORG = {"OrganizationId": "o-a1b2c3d4e5"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {**ORG, "EnabledFeatures": ["RootSessions", "RootCredentialsManagement"]},
            "Centralized root access: root credentials management on, root sessions on.",
        ),
        (
            {**ORG, "EnabledFeatures": ["RootSessions"]},
            "Centralized root access: root credentials management off, root sessions on; "
            "this deploy turns the rest on.",
        ),
        (
            "ServiceAccessNotEnabledException",
            "Centralized root access: root credentials management off, root sessions off; "
            "this deploy turns the rest on.",
        ),
    ],
)
def test_preflight_reports_which_feature_is_on(answer: dict[str, Any] | str, expected: str) -> None:
    assert _status(load_config(EXAMPLE), answer) == expected


def test_preflight_says_turning_off_is_by_hand(tmp_path: Path) -> None:
    path = variant(
        EXAMPLE, tmp_path, replace=[(EXAMPLE_ROOT_ACCESS, "  root_access: {enabled: false}\n")]
    )
    status = _status(load_config(path), {**ORG, "EnabledFeatures": ["RootSessions"]})
    assert status is not None
    assert "identity.root_access.enabled is false, but the landing zone never turns them off" in (
        status
    )


def test_preflight_reports_an_unreadable_state_without_failing() -> None:
    status = _status(load_config(EXAMPLE), "AccessDenied")
    assert status is not None
    assert status.startswith("Centralized root access: could not be read (")


def test_business_unit_preflight_does_not_ask() -> None:
    assert preflight.root_access_status(load_config(BUSINESS_UNIT), IamSession()) is None


def test_make_deploy_prints_the_report_after_the_checks_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    session = IamSession()
    session.stub.add_response(
        "list_organizations_features", {**ORG, "EnabledFeatures": ["RootCredentialsManagement"]}
    )
    monkeypatch.setattr(preflight, "credentials_problem", lambda config, session: None)
    monkeypatch.setattr(preflight, "check", lambda config, session, **_: [])
    monkeypatch.setattr(preflight.boto3, "Session", lambda: session)
    with session.stub:
        assert preflight.main([str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Centralized root access: root credentials management on, root sessions off; "
        "this deploy turns the rest on."
    )
