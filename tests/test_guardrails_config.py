"""The `guardrails` config section: a clear error for every mistake in attachments and quotas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landing_zone.config import LandingZoneConfig, load_config, load_config_and_warnings
from landing_zone.config.guardrails import ec2_instance_types, instance_types_like
from landing_zone.guardrails.evaluate import string_like
from tests.variants import minimal_variant, problems_of


@pytest.mark.parametrize(
    ("append", "field", "fragment"),
    [
        (
            "guardrails:\n  attachments:\n    root: [cor]\n",
            "guardrails.attachments.root[0]",
            "guardrail pack 'cor' does not exist; did you mean 'core'?",
        ),
        (
            "guardrails:\n  attachments:\n    prodd: [core]\n",
            "guardrails.attachments.prodd",
            "'prodd' is not a guardrail target; did you mean 'prod'?",
        ),
        (
            "guardrails:\n  attachments:\n    root: [core, core]\n",
            "guardrails.attachments.root[1]",
            "pack 'core' is listed twice",
        ),
        (
            "organization_features:\n  policy_types: [SERVICE_CONTROL_POLICY, S3_POLICY]\n"
            "guardrails:\n  attachments:\n    root: [data-perimeter]\n",
            "organization_features.policy_types",
            "uses RCP guardrails but RESOURCE_CONTROL_POLICY is not enabled",
        ),
        (
            "guardrails:\n  quotas:\n    rcp_reserved_per_target: 4\n",
            "guardrails.quotas.rcp_reserved_per_target",
            "reserving 4 of 5 RCP slots leaves none for guardrails",
        ),
    ],
    ids=["unknown-pack", "unknown-target", "repeated-pack", "policy-type-off", "reserve-too-large"],
)
def test_guardrail_config_mistakes_are_explained(
    tmp_path: Path, append: str, field: str, fragment: str
) -> None:
    (problem,) = problems_of(minimal_variant(tmp_path, append=append))
    assert f": {field}: " in problem, problem
    assert fragment in problem


QUOTAS_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"


@pytest.mark.parametrize(
    ("field", "limit", "what"),
    [
        ("scp_max_chars", 10240, "characters per SCP"),
        ("rcp_max_chars", 5120, "characters per RCP"),
        ("scp_max_per_target", 10, "SCPs attached per root or OU"),
        ("rcp_max_per_target", 5, "RCPs attached per root or OU"),
    ],
)
def test_a_quota_can_lower_aws_limit_but_never_raise_it(
    tmp_path: Path, field: str, limit: int, what: str
) -> None:
    """Above the limit, CreatePolicy or AttachPolicy would fail at deploy time."""
    quota = "guardrails:\n  quotas:\n    {field}: {value}\n"
    (problem,) = problems_of(
        minimal_variant(tmp_path, append=quota.format(field=field, value=limit + 1))
    )
    assert f":40: guardrails.quotas.{field}: {limit + 1} is above AWS's limit of {limit} " in (
        problem
    )
    assert what in problem
    assert f"Use at most {limit} (see {QUOTAS_URL})" in problem
    for value in (limit, limit - 1):
        load_config(minimal_variant(tmp_path, append=quota.format(field=field, value=value)))


def test_quota_limits_are_in_the_schema() -> None:
    quotas = LandingZoneConfig.model_json_schema()["$defs"]["GuardrailQuotas"]["properties"]
    assert quotas["scp_max_chars"]["maximum"] == 10240
    assert quotas["rcp_max_per_target"]["maximum"] == 5
    assert all("at most" in quota["description"] for quota in quotas.values() if "maximum" in quota)


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("m7i.lrage", "'m7i.lrage' matches no EC2 instance type; did you mean 'm7i.large'?"),
        ("t3x.*", "'t3x.*' matches no EC2 instance type; did you mean 't3.*'?"),
        # IAM's StringLike is case-sensitive, and [ ] are no wildcards there.
        ("T3.*", "did you mean 't3.*'?"),
        ("[t]3.large", "did you mean 't3.large'?"),
    ],
)
def test_sandbox_instance_types_must_match_a_real_type(
    tmp_path: Path, pattern: str, fragment: str
) -> None:
    append = f"guardrails:\n  sandbox_instance_types: ['t3.*', '{pattern}']\n"
    (problem,) = problems_of(minimal_variant(tmp_path, append=append))
    assert ":39: guardrails.sandbox_instance_types[1]: " in problem, problem
    assert fragment in problem


def test_instance_type_patterns_match_like_iam() -> None:
    assert "t3.micro" in instance_types_like("t3.*")
    assert "t3a.micro" not in instance_types_like("t3.*")
    assert instance_types_like("t3.micr?") == {"t3.micro"}
    assert instance_types_like("*") == ec2_instance_types()
    assert len(ec2_instance_types()) > 500


@given(
    pattern=st.text(alphabet="ab*?.[", max_size=8),
    text=st.text(alphabet="ab.[", max_size=8),
)
@settings(max_examples=300, derandomize=True, database=None)
def test_string_like_agrees_with_the_regex_reading_of_iam_wildcards(
    pattern: str, text: str
) -> None:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    assert string_like(pattern, text) == bool(re.fullmatch(regex, text, re.DOTALL))


def test_runs_of_stars_do_not_hang_validation() -> None:
    # A regex with one .* per star backtracks exponentially here.
    assert instance_types_like("*" * 5000 + "z") == frozenset()
    assert instance_types_like("t" + "*3" * 30) == frozenset()


def test_patterns_that_together_match_everything_are_warned_about(tmp_path: Path) -> None:
    patterns = "['*.*large', '*.metal*', '*.nano', '*.micro', '*.small', '*.medium', '*.*']"
    path = minimal_variant(tmp_path, append=f"guardrails:\n  sandbox_instance_types: {patterns}\n")
    warnings = load_config_and_warnings(path)[1]
    assert any("sandbox_instance_types[6]: '*.*' matches every" in w for w in warnings)
    # One family pattern per first letter: none matches every type, all of them do.
    covering = sorted({f"{name[0]}*" for name in ec2_instance_types()})
    path = minimal_variant(tmp_path, append=f"guardrails:\n  sandbox_instance_types: {covering}\n")
    (warning,) = [w for w in load_config_and_warnings(path)[1] if "sandbox" in w]
    assert "together these patterns match every EC2 instance type" in warning
