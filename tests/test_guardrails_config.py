"""The `guardrails` config section: a clear error for every mistake in attachments and quotas."""

from __future__ import annotations

from pathlib import Path

import pytest

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
