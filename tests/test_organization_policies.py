"""Management policies: effective policies as Organizations merges them, schemas, quotas, locks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landing_zone.backup import backup_role_arn_in_policy
from landing_zone.config import load_config
from landing_zone.config.organization_policies import (
    Ec2PolicyConfig,
    InstanceMetadataDefaultsConfig,
)
from landing_zone.effective_policy import effective_policy
from landing_zone.management_policies import (
    MAX_CHARS,
    ec2_document,
    effective_by_ou,
    management_policies,
    schema_errors,
)
from landing_zone.organization_policies import S3_BLOCK_PUBLIC_ACCESS
from tests.conftest import EXAMPLE
from tests.variants import minimal_variant, problems_of

INHERITANCE_EXAMPLES = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/inheritance-examples.html"
)
AI_SYNTAX = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/"
    "orgs_manage_policies_ai-opt-out_syntax.html"
)


# ---- the effective policy, on AWS's documented examples ---------------------------


def test_tag_example_1_child_assign_overwrites_values() -> None:
    """Example 1 of INHERITANCE_EXAMPLES: policy A on the root, policy B on OU1."""
    policy_a = {
        "tags": {
            "costcenter": {
                "tag_key": {"@@assign": "CostCenter"},
                "tag_value": {"@@assign": ["Development", "Support"]},
            }
        }
    }
    policy_b = {
        "tags": {
            "costcenter": {
                "tag_key": {"@@assign": "CostCenter"},
                "tag_value": {"@@assign": ["Sandbox"]},
                "enforced_for": {"@@assign": ["redshift:*", "dynamodb:table"]},
            }
        }
    }
    result = effective_policy([policy_a, policy_b])
    assert result.violations == ()
    # The effective policy AWS shows for accounts 111111111111 and 222222222222.
    assert result.policy == {
        "tags": {
            "costcenter": {
                "tag_key": "CostCenter",
                "tag_value": ["Sandbox"],
                "enforced_for": ["redshift:*", "dynamodb:table"],
            }
        }
    }


def test_tag_append_and_remove_change_the_inherited_list() -> None:
    """Examples 2 and 3 of INHERITANCE_EXAMPLES: @@append adds to, @@remove takes from, a list."""
    parent = {"tags": {"costcenter": {"tag_value": {"@@assign": ["Development", "Support"]}}}}
    appended = effective_policy(
        [parent, {"tags": {"costcenter": {"tag_value": {"@@append": ["Sales"]}}}}]
    )
    assert appended.policy["tags"]["costcenter"]["tag_value"] == [
        "Development",
        "Support",
        "Sales",
    ]
    removed = effective_policy(
        [parent, {"tags": {"costcenter": {"tag_value": {"@@remove": ["Support"]}}}}]
    )
    assert removed.policy["tags"]["costcenter"]["tag_value"] == ["Development"]


def test_tag_example_4_restricted_child_operators() -> None:
    """Example 4 of INHERITANCE_EXAMPLES: the parent allows children only @@append on values."""
    parent = {
        "tags": {
            "costcenter": {
                "tag_key": {"@@operators_allowed_for_child_policies": ["@@none"], "@@assign": "X"},
                "tag_value": {
                    "@@operators_allowed_for_child_policies": ["@@append"],
                    "@@assign": ["Development"],
                },
            }
        }
    }
    allowed = effective_policy(
        [parent, {"tags": {"costcenter": {"tag_value": {"@@append": ["Sales"]}}}}]
    )
    assert allowed.violations == ()
    refused = effective_policy(
        [parent, {"tags": {"costcenter": {"tag_value": {"@@assign": ["Sales"]}}}}]
    )
    assert [(v.path, v.operator) for v in refused.violations] == [
        (("tags", "costcenter", "tag_value"), "@@assign")
    ]
    # The refused operator changes nothing.
    assert refused.policy["tags"]["costcenter"]["tag_value"] == ["Development"]


def test_ai_opt_out_documented_root_policy_locks_comprehend() -> None:
    """The root policy of AI_SYNTAX: default optOut, comprehend locked, rekognition optIn."""
    root = {
        "services": {
            "default": {"opt_out_policy": {"@@assign": "optOut"}},
            "comprehend": {
                "opt_out_policy": {
                    "@@operators_allowed_for_child_policies": ["@@none"],
                    "@@assign": "optOut",
                }
            },
            "rekognition": {"opt_out_policy": {"@@assign": "optIn"}},
        }
    }
    child = {
        "services": {
            "comprehend": {"opt_out_policy": {"@@assign": "optIn"}},
            "lex": {"opt_out_policy": {"@@assign": "optIn"}},
        }
    }
    result = effective_policy([root, child])
    assert result.policy["services"] == {
        "default": {"opt_out_policy": "optOut"},
        "comprehend": {"opt_out_policy": "optOut"},
        "rekognition": {"opt_out_policy": "optIn"},
        "lex": {"opt_out_policy": "optIn"},
    }
    assert [v.path for v in result.violations] == [("services", "comprehend", "opt_out_policy")]


def test_backup_append_adds_a_region_to_an_inherited_plan() -> None:
    """Backup syntax page: a child policy adds a region with @@append to the parent's plan.

    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
    """
    parent = {"plans": {"PII_Backup_Plan": {"regions": {"@@assign": ["us-east-1"]}}}}
    child = {"plans": {"PII_Backup_Plan": {"regions": {"@@append": ["eu-north-1"]}}}}
    result = effective_policy([parent, child])
    assert result.policy == {"plans": {"PII_Backup_Plan": {"regions": ["us-east-1", "eu-north-1"]}}}


def test_a_lock_binds_children_not_the_policy_that_sets_it() -> None:
    locked = {"a": {"@@operators_allowed_for_child_policies": ["@@none"], "b": {"@@assign": 1}}}
    assert effective_policy([locked]).violations == ()
    assert effective_policy([locked, {"a": {"c": {"@@assign": 2}}}]).violations
    # A grandchild cannot widen what a parent narrowed.
    widen = {"a": {"@@operators_allowed_for_child_policies": ["@@all"]}}
    assert effective_policy([locked, widen, {"a": {"b": {"@@assign": 3}}}]).violations


def test_s3_policy_child_cannot_turn_block_public_access_off() -> None:
    """The root's S3 policy is locked: an OU policy setting "none" is refused."""
    child = {"s3_attributes": {"public_access_block_configuration": {"@@assign": "none"}}}
    result = effective_policy([S3_BLOCK_PUBLIC_ACCESS, child])
    assert result.policy == {"s3_attributes": {"public_access_block_configuration": "all"}}
    assert result.violations
    assert schema_errors("S3_POLICY", S3_BLOCK_PUBLIC_ACCESS) == []


# ---- the example config -----------------------------------------------------------


def test_example_has_one_policy_of_each_type_valid_and_within_quota() -> None:
    config = load_config(EXAMPLE)
    policies = management_policies(config)
    assert {kind for _, kind, _, _ in policies} == {
        "DECLARATIVE_POLICY_EC2",
        "BACKUP_POLICY",
        "TAG_POLICY",
        "AISERVICES_OPT_OUT_POLICY",
    }
    for _, kind, _, content in policies:
        assert schema_errors(kind, json.loads(content)) == []
        assert len(content) <= MAX_CHARS[kind]


def test_example_prod_inherits_root_and_its_own_environment_values() -> None:
    effective = effective_by_ou(load_config(EXAMPLE))
    prod = effective["prod"]
    assert prod["TAG_POLICY"]["tags"]["environment"]["tag_value"] == ["prod"]
    assert effective["retail-prod"]["TAG_POLICY"]["tags"]["environment"]["tag_value"] == [
        "prod",
        "sdlc",
        "sandbox",
        "shared",
    ]
    imds = prod["DECLARATIVE_POLICY_EC2"]["ec2_attributes"]["instance_metadata_defaults"]
    assert imds["http_tokens"] == "required"
    assert set(prod["BACKUP_POLICY"]["plans"]) == {"standard", "critical"}
    assert "BACKUP_POLICY" not in {k for k, v in effective["sandbox"].items() if v}


def test_backup_plans_name_the_baseline_vault_and_role() -> None:
    config = load_config(EXAMPLE)
    content = next(c for _, kind, _, c in management_policies(config) if kind == "BACKUP_POLICY")
    document = json.loads(content)
    selection = document["plans"]["standard"]["selections"]["tags"]["standard"]
    assert selection["iam_role_arn"]["@@assign"] == "arn:aws:iam::$account:role/Acme-Backup"
    copy = document["plans"]["critical"]["rules"]["daily"]["copy_actions"]
    assert list(copy) == ["arn:aws:backup:eu-central-1:$account:backup-vault:Acme-Backup"]


def test_backup_role_arn_takes_the_partition() -> None:
    assert backup_role_arn_in_policy("Acme", partition="aws-us-gov").startswith(
        "arn:aws-us-gov:iam::$account:role/"
    )


# ---- validation -------------------------------------------------------------------


ROOT_LOCKED_IMDS = """\
organization_policies:
  root:
    ec2:
      lock: true
      instance_metadata_defaults: {http_tokens: required}
"""


def test_a_child_weakening_a_locked_setting_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=ROOT_LOCKED_IMDS
        + "  prod:\n    ec2:\n      instance_metadata_defaults: {http_tokens: optional}\n",
    )
    (problem,) = problems_of(path)
    assert "organization_policies.prod.ec2" in problem
    assert "instance_metadata_defaults.http_tokens" in problem
    assert "locked" in problem


def test_an_unlocked_setting_may_change_below(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=ROOT_LOCKED_IMDS.replace("lock: true", "lock: false")
        + "  prod:\n    ec2:\n      instance_metadata_defaults: {http_tokens: optional}\n",
    )
    load_config(path)


def test_copy_to_an_ungoverned_region_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="""\
organization_policies:
  workloads:
    backup:
      plans:
        standard:
          tag_value: standard
          rules:
            daily: {schedule: "cron(0 3 ? * * *)", delete_after_days: 35, copy_to_region: us-west-2}
""",
    )
    (problem,) = problems_of(path)
    assert "rules.daily.copy_to_region" in problem
    assert "'us-west-2' is not governed" in problem


@pytest.mark.parametrize(
    ("edit", "field", "hint"),
    [
        ("serial_console_acess: disabled", "ec2.serial_console_acess", "serial_console_access"),
        ("serial_console_access: disabeld", "ec2.serial_console_access", "'disabled'"),
        (
            "snapshot_block_public_access: block_all_share",
            "snapshot_block_public_access",
            "'block_all_sharing'",
        ),
    ],
)
def test_a_typo_names_file_line_field_and_a_guess(
    tmp_path: Path, edit: str, field: str, hint: str
) -> None:
    path = minimal_variant(
        tmp_path, append=f"organization_policies:\n  root:\n    ec2:\n      {edit}\n"
    )
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:")
    assert field in problem
    assert (
        f"did you mean {hint}" in problem or f"did you mean {hint!r}" in problem or hint in problem
    )
    assert "did you mean" in problem


def test_an_unknown_target_is_refused_with_a_guess(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, append="organization_policies:\n  prd:\n    ai_opt_out: {default: optIn}\n"
    )
    (problem,) = problems_of(path)
    assert "did you mean 'prod'?" in problem


def test_an_unenabled_policy_type_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="organization_features:\n  policy_types: [SERVICE_CONTROL_POLICY, S3_POLICY]\n"
        "organization_policies:\n  prod:\n    ai_opt_out: {default: optIn}\n",
    )
    assert any("AISERVICES_OPT_OUT_POLICY is not enabled" in p for p in problems_of(path))


def test_no_root_ai_default_when_the_type_is_left_disabled(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="organization_features:\n  policy_types: [SERVICE_CONTROL_POLICY, S3_POLICY]\n",
    )
    assert management_policies(load_config(path)) == []


def test_root_opts_out_of_ai_services_by_default(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path))
    (policy,) = [p for p in management_policies(config) if p[1] == "AISERVICES_OPT_OUT_POLICY"]
    assert json.loads(policy[3]) == {
        "services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}
    }


def test_an_oversized_policy_is_refused(tmp_path: Path) -> None:
    services = "\n".join(f"        svc{i:03d}: optIn" for i in range(80))
    path = minimal_variant(
        tmp_path,
        append=f"organization_policies:\n  root:\n    ai_opt_out:\n      services:\n{services}\n",
    )
    assert any("above AWS's quota of 2500" in p for p in problems_of(path))


@given(
    hop=st.integers(min_value=-1, max_value=64).filter(lambda h: h != 0),
    tokens=st.sampled_from(["no_preference", "required", "optional"]),
    lock=st.booleans(),
)
def test_every_imds_default_makes_a_valid_policy(hop: int, tokens: Any, lock: bool) -> None:
    document = ec2_document(
        Ec2PolicyConfig(
            lock=lock,
            instance_metadata_defaults=InstanceMetadataDefaultsConfig(
                http_tokens=tokens, http_put_response_hop_limit=hop
            ),
        )
    )
    assert schema_errors("DECLARATIVE_POLICY_EC2", document) == []


def test_docs_are_generated_from_the_example_and_not_stale() -> None:
    from landing_zone.cli import ORGANIZATION_POLICIES_DOCS_PATH
    from landing_zone.management_policies import organization_policies_markdown
    from tests.conftest import ROOT

    expected = organization_policies_markdown(load_config(EXAMPLE))
    assert (ROOT / ORGANIZATION_POLICIES_DOCS_PATH).read_text() == expected, (
        "run `make docs` and commit docs/organization-policies.md"
    )


def test_summary_prints_each_ous_effective_policy_compactly() -> None:
    from landing_zone.management_policies import effective_lines

    lines = effective_lines(load_config(EXAMPLE))
    prod = lines[lines.index("  prod") + 1 :]
    assert prod[0].startswith("    tags: ")
    assert "environment=prod" in prod[0]
    # What prod inherits unchanged (the workloads backup plans) is not repeated.
    assert not prod[1].startswith("    backup")
    workloads = lines[lines.index("  workloads") + 1]
    assert workloads.startswith("    backup: standard (eu-west-1|eu-central-1|us-east-1)")


def test_a_tag_key_other_than_its_policy_key_is_refused(tmp_path: Path) -> None:
    """The tag syntax page: the policy key must match the tag key except for case."""
    path = minimal_variant(
        tmp_path,
        append="organization_policies:\n  root:\n    tags:\n      owner: {key: cost-center}\n",
    )
    (problem,) = problems_of(path)
    assert "organization_policies.root.tags.owner.key" in problem
    assert "but for case" in problem


def test_a_child_without_key_keeps_the_parents_capitalization(tmp_path: Path) -> None:
    """tag_key is an @@assign: a child writing the lowercase key would re-spell it."""
    path = minimal_variant(
        tmp_path,
        append="organization_policies:\n  root:\n    tags:\n"
        "      costcenter: {key: CostCenter, values: ['100', '200']}\n"
        "  workloads:\n    tags:\n      costcenter: {values: ['100']}\n"
        "  prod:\n    tags:\n      CostCenter: {values: ['200']}\n",
    )
    effective = effective_by_ou(load_config(path))
    assert effective["workloads"]["TAG_POLICY"]["tags"]["costcenter"] == {
        "tag_key": "CostCenter",
        "tag_value": ["100"],
    }
    assert effective["prod"]["TAG_POLICY"]["tags"]["costcenter"]["tag_key"] == "CostCenter"


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ("ec2: {serial_console_access: enabled}", "ec2.serial_console_access"),
        ("ec2: {image_block_public_access: unblocked}", "ec2.image_block_public_access"),
        ("ec2: {snapshot_block_public_access: unblocked}", "ec2.snapshot_block_public_access"),
        (
            "ec2: {allowed_images: {state: disabled, image_providers: [amazon]}}",
            "ec2.allowed_images.state",
        ),
        (
            "ec2: {instance_metadata_defaults: {http_tokens: optional}}",
            "ec2.instance_metadata_defaults.http_tokens",
        ),
        (
            "ec2: {vpc_block_public_access: {mode: block_ingress, exclusions_allowed: enabled}}",
            "ec2.vpc_block_public_access.exclusions_allowed",
        ),
        ("ai_opt_out: {default: optIn}", "ai_opt_out.default"),
        ("ai_opt_out: {services: {rekognition: optIn}}", "ai_opt_out.services.rekognition"),
    ],
)
def test_a_policy_that_opens_a_setting_up_is_a_warning(
    tmp_path: Path, policy: str, field: str
) -> None:
    from landing_zone.config import load_config_and_warnings

    path = minimal_variant(tmp_path, append=f"organization_policies:\n  prod:\n    {policy}\n")
    (warning,) = [w for w in load_config_and_warnings(path)[1] if "organization_policies" in w]
    assert f"organization_policies.prod.{field}" in warning


def test_closing_policies_warn_nothing(tmp_path: Path) -> None:
    from landing_zone.config import load_config_and_warnings

    path = minimal_variant(
        tmp_path,
        append="organization_policies:\n  prod:\n"
        "    ec2: {serial_console_access: disabled, snapshot_block_public_access: "
        "block_all_sharing, vpc_block_public_access: {mode: block_ingress, "
        "exclusions_allowed: disabled}}\n    ai_opt_out: {default: optOut}\n",
    )
    assert not [w for w in load_config_and_warnings(path)[1] if "organization_policies" in w]


BACKUP_ON_WORKLOADS = """\
organization_policies:
  workloads:
    backup:
      plans:
        standard:
          tag_value: standard
          rules:
            daily: {schedule: "SCHEDULE", delete_after_days: DAYS}
"""


def _backup_variant(
    tmp_path: Path, *, schedule: str = "cron(0 3 ? * * *)", days: int = 35, baseline: str = ""
) -> Path:
    text = BACKUP_ON_WORKLOADS.replace("SCHEDULE", schedule).replace("DAYS", str(days))
    return minimal_variant(tmp_path, append=text + baseline)


def test_backup_plans_without_the_baseline_vault_are_refused(tmp_path: Path) -> None:
    path = _backup_variant(tmp_path, baseline="baseline:\n  backup: {enabled: false}\n")
    (problem,) = problems_of(path)
    assert "organization_policies.workloads.backup" in problem
    assert "baseline.backup.enabled" in problem


def test_backup_plans_where_the_baseline_does_not_reach_are_refused(tmp_path: Path) -> None:
    path = _backup_variant(tmp_path, baseline="baseline:\n  targets: [security]\n")
    (problem,) = problems_of(path)
    # Each unreached OU once, the target first.
    assert "does not reach workloads, prod, sdlc;" in problem


def test_retention_outside_the_vault_lock_is_refused(tmp_path: Path) -> None:
    lock = (
        "baseline:\n  backup:\n    vault_lock:\n"
        "      {mode: governance, min_retention_days: 7, max_retention_days: 30}\n"
    )
    for days in (3, 35):
        path = _backup_variant(tmp_path, days=days, baseline=lock)
        (problem,) = problems_of(path)
        assert "rules.daily.delete_after_days" in problem
        assert "outside the vault lock's bounds (7 to 30 days" in problem
    load_config(_backup_variant(tmp_path, days=30, baseline=lock))


def test_a_schedule_without_six_fields_is_refused(tmp_path: Path) -> None:
    (problem,) = problems_of(_backup_variant(tmp_path, schedule="cron(0 3 * * *)"))
    assert "rules.daily.schedule" in problem
    assert "has 5 fields" in problem


def test_a_value_no_branch_of_a_union_accepts_names_the_field_itself(tmp_path: Path) -> None:
    # The hop limit is -1 or 1..64: pydantic reports one error per branch,
    # each with a branch tag after the field; the message names the field.
    path = minimal_variant(
        tmp_path,
        append="organization_policies:\n  root:\n    ec2:\n"
        "      instance_metadata_defaults: {http_put_response_hop_limit: 100}\n",
    )
    problems = problems_of(path)
    assert problems
    for problem in problems:
        assert "ec2.instance_metadata_defaults.http_put_response_hop_limit: " in problem
        assert "literal[" not in problem
        assert "constrained-int" not in problem
