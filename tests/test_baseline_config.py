"""The `baseline` config section: defaults, and a clear error for every mistake it can hold."""

from __future__ import annotations

from pathlib import Path

from landing_zone.config import LandingZoneConfig, load_config
from tests.conftest import EXAMPLE, FIXTURES
from tests.variants import minimal_variant, problems_of, with_baseline


def test_defaults_target_the_root_and_record_everything() -> None:
    config = load_config(FIXTURES / "minimal.yaml")
    baseline = config.baseline
    assert baseline.targets == ["root"]
    assert baseline.retain_stacks_on_account_removal is False
    assert baseline.config_recorder.excluded_resource_types == []
    assert baseline.ebs_encryption_by_default is True
    assert baseline.s3_block_public_access is True
    assert baseline.password_policy.minimum_length == 14
    assert baseline.password_policy.reuse_prevention == 24
    assert baseline.password_policy.max_age_days is None
    assert baseline.remove_default_vpc is False
    preferences = baseline.operation_preferences
    assert (preferences.max_concurrent_percentage, preferences.failure_tolerance_percentage) == (
        25,
        10,
    )
    assert preferences.concurrency_mode == "SOFT_FAILURE_TOLERANCE"
    assert config.baseline_region_order == ("eu-west-1", "eu-central-1")


def test_region_order_puts_home_first_by_default() -> None:
    config = load_config(EXAMPLE)
    assert config.regions.governed[0] == "eu-west-1"
    assert config.baseline_region_order[0] == config.regions.home
    assert sorted(config.baseline_region_order) == sorted(config.regions.governed)


def test_unknown_target_suggests_the_key(tmp_path: Path) -> None:
    path = with_baseline(tmp_path, "  targets: [workload]\n")
    (problem,) = problems_of(path)
    assert "baseline.targets[0]: 'workload' is not an OU key; did you mean 'workloads'?" in problem


def test_root_with_ous_and_nested_targets_are_redundant(tmp_path: Path) -> None:
    path = with_baseline(tmp_path, "  targets: [root, prod]\n")
    (problem,) = problems_of(path)
    assert "'root' already covers every OU" in problem
    path = with_baseline(tmp_path, "  targets: [workloads, prod]\n")
    (problem,) = problems_of(path)
    assert "baseline.targets[1]: 'prod' is inside 'workloads', which is already targeted" in problem


def test_a_deny_all_ou_in_scope_is_refused_with_the_alternative(tmp_path: Path) -> None:
    path = with_baseline(tmp_path, "  targets: [root]\n", suspended=True)
    (problem,) = problems_of(path)
    assert "the baseline would reach OU 'suspended', where the 'suspended' pack" in problem
    assert "e.g. [security, workloads]" in problem
    path = with_baseline(tmp_path, "  targets: [security, workloads]\n", suspended=True)
    assert isinstance(load_config(path), LandingZoneConfig)


def test_excluded_accounts_need_a_known_account_and_a_reason(tmp_path: Path) -> None:
    path = with_baseline(
        tmp_path,
        "  excluded_accounts:\n"
        "    app-prd: has its own Config recorder from a vendor tool\n"
        "    '999999999999': legacy\n"
        "    app-prod: migrating, recorder managed by the app team\n",
    )
    problems = problems_of(path)
    assert len(problems) == 2
    assert (
        "'app-prd' is neither an account key nor a 12-digit account id; did you mean "
        in (problems[0])
    )
    assert "baseline.excluded_accounts.999999999999: say why" in problems[1]


def test_region_order_must_list_every_governed_region(tmp_path: Path) -> None:
    path = with_baseline(tmp_path, "  operation_preferences:\n    region_order: [eu-west-1]\n")
    (problem,) = problems_of(path)
    assert "region_order: list every governed region exactly once (eu-west-1, eu-central-1)" in (
        problem
    )


def test_resource_types_are_checked_against_what_config_records(tmp_path: Path) -> None:
    path = with_baseline(
        tmp_path,
        "  config_recorder:\n"
        "    excluded_resource_types: [AWS::EC2::NetworkInterfaces, AWS::EC2::Instance]\n"
        "    daily_resource_types: [AWS::EC2::Instance]\n",
    )
    problems = problems_of(path)
    assert len(problems) == 2
    assert (
        "excluded_resource_types[0]: 'AWS::EC2::NetworkInterfaces' is not a resource type AWS "
        "Config records; did you mean 'AWS::EC2::NetworkInterface'?"
    ) in problems[0]
    assert "'AWS::EC2::Instance' is also excluded" in problems[1]


def test_s3_block_public_access_needs_the_s3_policy_type(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, append="organization_features:\n  policy_types: [SERVICE_CONTROL_POLICY]\n"
    )
    (problem,) = problems_of(path)
    assert "baseline.s3_block_public_access: " in problem
    assert "add it to organization_features.policy_types" in problem
    path.write_text(path.read_text() + "baseline:\n  s3_block_public_access: false\n")
    assert isinstance(load_config(path), LandingZoneConfig)


def test_password_policy_below_cis_is_refused(tmp_path: Path) -> None:
    path = with_baseline(tmp_path, "  password_policy:\n    minimum_length: 8\n")
    (problem,) = problems_of(path)
    assert (
        "baseline.password_policy.minimum_length: Input should be greater than or equal to 14"
        in (problem)
    )
