"""Proactive controls' delivery: config checks, the rules bucket, the hooks, their StackSets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from landing_zone.constructs.proactive_controls import (
    HOOKS_SERVICE,
    RULES_KEY,
    VERSION_PARAMETER,
    hook_alias,
)
from landing_zone.proactive.rules import TARGET_TYPES, guard_rules
from tests.conftest import Synth
from tests.templates import one, resources_of, stack_sets
from tests.variants import minimal_variant, problems_of


def _config(tmp_path: Path, section: str, *, prefix: str | None = None) -> Path:
    return minimal_variant(
        tmp_path,
        replace=("prefix: Tiny", f"prefix: {prefix}") if prefix else None,
        append="proactive_controls:\n" + section,
    )


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("  fail_on: [prod, prod]\n", "'prod' is listed twice"),
        ("  fail_on: [prdo]\n", "'prdo' is not an OU key; did you mean 'prod'?"),
        ("  fail_on: [workloads, prod]\n", "'prod' is inside 'workloads', which is already"),
        ("  failure_mode: FAIL\n  fail_on: [prod]\n", "failure_mode is already FAIL everywhere"),
        ("  enabled: false\n  fail_on: [prod]\n", "proactive_controls.enabled is false"),
        ("  failure_mode: BLOCK\n", "proactive_controls.failure_mode"),
    ],
)
def test_config_refuses(tmp_path: Path, section: str, expected: str) -> None:
    assert any(expected in line for line in problems_of(_config(tmp_path, section)))


def test_fail_on_must_be_reached_by_the_baseline(tmp_path: Path) -> None:
    path = _config(tmp_path, "  fail_on: [prod]\n")
    text = path.read_text() + "baseline:\n  targets: [security]\n"
    path.write_text(text)
    assert any("OU 'prod' is not reached by baseline.targets" in line for line in problems_of(path))


def test_the_hook_alias_matches_the_guard_hook_schema_pattern() -> None:
    # The pattern of AWS::CloudFormation::GuardHook's Alias (Python spells the
    # scoped case-insensitive look-ahead (?i:...)).
    pattern = re.compile(r"^(?!(?i:aws))[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$")
    for enforced in (False, True):
        for prefix in ("Acme", "Awsome", "AWSCorp", "AwS"):
            assert pattern.match(hook_alias(prefix, enforced=enforced))


def test_hook_targets_stay_within_the_guard_hook_limit() -> None:
    # TargetFilters.Targets: at most 50 entries (the resource schema's maxItems);
    # one per resource type and action.
    assert 2 * len(TARGET_TYPES) <= 50


# ---- the example: WARN hook in the baseline, FAIL hook on payments-prod ----------------


def _baseline(synth: Synth) -> dict[str, Any]:
    return synth.templates["Acme-MemberBaseline"]


def test_rules_bucket_is_private_versioned_retained_and_encrypted(example_synth: Synth) -> None:
    bucket = one(_baseline(example_synth), "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["BucketName"] == "acme-guard-rules-111111111111-eu-west-1"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    algorithm = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert algorithm["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_only_the_organizations_hook_roles_read_the_rules_object(example_synth: Synth) -> None:
    policy = one(_baseline(example_synth), "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"]
    (read,) = [s for s in policy["Statement"] if s.get("Sid") == "OrganizationGuardHooksRead"]
    assert read["Effect"] == "Allow"
    assert sorted(read["Action"]) == ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
    assert read["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}
    assert read["Condition"]["ArnLike"]["aws:PrincipalArn"] == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::*:role/Acme-GuardHook*"]]
    }
    assert json.dumps(read["Resource"]).endswith(f'/{RULES_KEY}"]]}}]')


def test_the_rules_object_is_the_generated_file(example_synth: Synth) -> None:
    writer = one(_baseline(example_synth), "Custom::GuardRules")["Properties"]
    # The SDK call as JSON, its one token (the bucket's name) joined in.
    parts = writer["Update"]["Fn::Join"][1]
    call = json.loads("".join(p if isinstance(p, str) else "BUCKET" for p in parts))
    assert call["action"] == "putObject"
    assert call["parameters"]["Key"] == RULES_KEY
    assert call["parameters"]["Body"] == guard_rules()
    assert call["physicalResourceId"] == {"responsePath": "VersionId"}


def _hook(template: dict[str, Any]) -> dict[str, Any]:
    return one(template, "AWS::CloudFormation::GuardHook")["Properties"]


@pytest.mark.parametrize(
    ("template", "mode", "alias", "role"),
    [
        (
            "Acme-MemberBaseline/Template",
            "WARN",
            "LandingZone::Acme::ProactiveControls",
            "Acme-GuardHook-",
        ),
        (
            "Acme-MemberBaseline/EnforcedHooksTemplate",
            "FAIL",
            "LandingZone::Acme::ProactiveControlsEnforced",
            "Acme-GuardHookEnforced-",
        ),
    ],
)
def test_hooks(example_synth: Synth, template: str, mode: str, alias: str, role: str) -> None:
    body = example_synth.stackset_templates[template]
    hook = _hook(body)
    assert hook["FailureMode"] == mode
    assert hook["Alias"] == alias
    assert hook["HookStatus"] == "ENABLED"
    assert hook["TargetOperations"] == ["RESOURCE", "CLOUD_CONTROL"]
    targets = hook["TargetFilters"]["Targets"]
    assert {t["TargetName"] for t in targets} == set(TARGET_TYPES)
    assert {(t["Action"], t["InvocationPoint"]) for t in targets} == {
        ("CREATE", "PRE_PROVISION"),
        ("UPDATE", "PRE_PROVISION"),
    }
    location = hook["RuleLocation"]
    assert location["Uri"] == f"s3://acme-guard-rules-111111111111-eu-west-1/{RULES_KEY}"
    assert location["VersionId"] == {"Ref": VERSION_PARAMETER}
    (execution_role,) = (
        resources_of(body, "AWS::IAM::Role").values()
        if mode == "FAIL"
        else [
            r
            for r in resources_of(body, "AWS::IAM::Role").values()
            if json.dumps(r["Properties"]["RoleName"]).startswith(f'{{"Fn::Join": ["", ["{role}')
        ]
    )
    trust = execution_role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": HOOKS_SERVICE}]
    (inline,) = execution_role["Properties"]["Policies"]
    read, listing = inline["PolicyDocument"]["Statement"]
    assert listing["Action"] == "s3:ListBucket"
    assert read["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert json.dumps(read["Resource"]).endswith(
        f':s3:::acme-guard-rules-111111111111-eu-west-1/{RULES_KEY}"]]}}'
    )


def test_stack_sets_pass_the_pinned_version_and_fail_only_where_config_says(
    example_synth: Synth,
) -> None:
    sets = stack_sets(example_synth, "Acme-MemberBaseline")
    baseline, enforced = sets["Acme-MemberBaseline"], sets["Acme-EnforcedGuardHooks"]
    for stack_set in (baseline, enforced):
        parameters = {
            p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Properties"]["Parameters"]
        }
        assert parameters[VERSION_PARAMETER] == {
            "Fn::GetAtt": [
                next(
                    k
                    for k, v in _baseline(example_synth)["Resources"].items()
                    if v["Type"] == "Custom::GuardRules"
                ),
                "VersionId",
            ]
        }
    (group,) = enforced["Properties"]["StackInstancesGroup"]
    (unit,) = group["DeploymentTargets"]["OrganizationalUnitIds"]
    assert "PaymentsProd" in json.dumps(unit)
    assert enforced["Properties"]["AutoDeployment"]["Enabled"] is True


def test_switched_off_there_is_no_hook_bucket_or_second_stack_set(
    everything_off_synth: Synth,
) -> None:
    for template in [
        *everything_off_synth.templates.values(),
        *everything_off_synth.stackset_templates.values(),
    ]:
        kinds = {r["Type"] for r in template.get("Resources", {}).values()}
        assert "AWS::CloudFormation::GuardHook" not in kinds
        assert "Custom::GuardRules" not in kinds
    assert not any("EnforcedGuardHooks" in name for name in stack_sets(everything_off_synth))
