"""The `detection` config section: defaults, and a clear error for every mistake it can hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from landing_zone.config import load_config, required_trusted_services
from tests.conftest import FIXTURES
from tests.variants import SINGLE_REGION, minimal_variant, problems_of, with_detection


def test_defaults_turn_on_everything_but_macie_and_unused_access() -> None:
    detection = load_config(FIXTURES / "minimal.yaml").detection
    assert detection.guardduty.enabled
    plans = detection.guardduty.protection_plans
    assert all(getattr(plans, name) for name in type(plans).model_fields)
    assert detection.security_hub.enabled
    (policy,) = detection.security_hub.policies.values()
    assert policy.targets == ["root"]
    assert policy.standards == [
        "aws-foundational-security-best-practices",
        "cis-aws-foundations-benchmark-v3.0.0",
    ]
    assert detection.inspector.enabled
    assert detection.detective.enabled
    assert detection.macie.enabled is False
    assert detection.access_analyzer.organization is True
    assert detection.access_analyzer.unused_access.enabled is False
    assert detection.notifications.security_hub_min_severity == "HIGH"
    assert detection.notifications.guardduty_min_severity == 7.0


def test_each_enabled_service_needs_its_trusted_access(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="organization_features:\n  trusted_services:\n"
        "    - member.org.stacksets.cloudformation.amazonaws.com\n"
        "    - guardduty.amazonaws.com\n"
        "    - iam.amazonaws.com\n",
    )
    problems = problems_of(path)
    assert any(
        "detection.security_hub needs trusted access for 'securityhub" in p for p in problems
    )
    assert any("malware-protection.guardduty.amazonaws.com" in p for p in problems)
    assert not any("'guardduty.amazonaws.com'" in p for p in problems)
    assert (
        len(problems)
        == len(required_trusted_services(load_config(FIXTURES / "minimal.yaml").detection)) - 1
    )


def test_policy_targets_must_be_known_single_and_include_root(tmp_path: Path) -> None:
    path = with_detection(
        tmp_path,
        "  security_hub:\n    policies:\n"
        "      a:\n        targets: [prd]\n        standards: [nist-800-53-r5]\n"
        "      b:\n        targets: [prd, security]\n        standards: [nist-800-53-r5]\n"
        "      c:\n        targets: [security]\n        standards: [nist-800-53-r5]\n",
    )
    problems = problems_of(path)
    assert any(
        "detection.security_hub.policies.a.targets[0]: 'prd' is not an OU key; did you mean 'prod'?"
        in p
        for p in problems
    )
    assert any("'security' is already associated with policy 'b'" in p for p in problems)
    assert any("no policy targets 'root'" in p for p in problems)


def test_unknown_standard_suggests_the_key(tmp_path: Path) -> None:
    path = with_detection(
        tmp_path,
        "  security_hub:\n    policies:\n      default:\n        targets: [root]\n"
        "        standards: [pci-dss-v4.0]\n",
    )
    (problem,) = problems_of(path)
    assert (
        "'pci-dss-v4.0' is not a known Security Hub standard; did you mean 'pci-dss-v4.0.1'?"
        in (problem)
    )


def test_standards_and_the_off_switch_do_not_mix(tmp_path: Path) -> None:
    path = with_detection(
        tmp_path,
        "  security_hub:\n    policies:\n"
        "      default:\n        targets: [root]\n        standards: []\n"
        "      lighter:\n        targets: [sdlc]\n        enabled: false\n"
        "        standards: [nist-800-53-r5]\n",
    )
    problems = problems_of(path)
    assert any("list at least one standard" in p for p in problems)
    assert any(
        "a policy that turns Security Hub off cannot enable standards" in p for p in problems
    )


@pytest.mark.parametrize(
    ("control", "reason", "message"),
    [
        ("IAM.6", "meh", "say why this control is off"),
        (
            "IAM-6",
            "Member root users are locked by the core pack",
            "does not match the required format",
        ),
    ],
)
def test_disabled_controls_need_an_id_and_a_reason(
    tmp_path: Path, control: str, reason: str, message: str
) -> None:
    path = with_detection(
        tmp_path,
        "  security_hub:\n    policies:\n      default:\n        targets: [root]\n"
        "        standards: [aws-foundational-security-best-practices]\n"
        f"        disabled_controls:\n          {control}: {reason}\n",
    )
    (problem,) = problems_of(path)
    assert message in problem


def test_disabled_rules_must_exist_and_say_why(tmp_path: Path) -> None:
    path = with_detection(
        tmp_path,
        "  conformance_pack:\n    disabled_rules:\n"
        "      restricted-sh: Not needed here at all\n      restricted-ssh: meh\n",
    )
    problems = problems_of(path)
    assert any("'restricted-sh' is not a detective rule id; did you mean 'restricted-ssh'?" in p
               for p in problems)  # fmt: skip
    assert any("say why this rule is left out" in p for p in problems)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("  notifications:\n    guardduty_min_severity: 11\n", "less than or equal to 10"),
        ("  notifications:\n    security_hub_min_severity: SEVERE\n", "'INFORMATIONAL'"),
        ("  notifications:\n    emails: [not-an-address]\n", "not a valid email address"),
        (
            "  notifications:\n    slack:\n      workspace_id: t01\n      channel_id: C012345678\n",
            "'t01' does not match the required format",
        ),
        ("  inspector:\n    scan_types: [EC2, AMI]\n", "'EC2', 'ECR', 'LAMBDA' or 'LAMBDA_CODE'"),
    ],
)
def test_field_level_mistakes_are_named(tmp_path: Path, snippet: str, message: str) -> None:
    (problem,) = problems_of(with_detection(tmp_path, snippet))
    assert message in problem


def test_security_hub_with_one_governed_region_loads(tmp_path: Path) -> None:
    # Its finding aggregator links no Region (a custom resource: CloudFormation's
    # type cannot say NO_REGIONS), and central configuration works with that.
    config = load_config(minimal_variant(tmp_path, replace=SINGLE_REGION))
    assert config.regions.governed == ["eu-west-1"]
    assert config.detection.security_hub.enabled


def test_one_governed_region_without_security_hub_loads(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, replace=SINGLE_REGION, append="detection:\n  security_hub:\n    enabled: false\n"
    )
    assert load_config(path).regions.governed == ["eu-west-1"]
