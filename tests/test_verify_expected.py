"""verify's expectations equal what the app synthesizes, and its comparisons mean what they say.

verify reads the Python plan the stacks are built from rather than cdk.out;
these tests hold that plan to the synthesized example (the session's
``example_synth``, read only), so a stack that changes a policy, a StackSet
or the trail without the plan changing fails here.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.verify import expected
from landing_zone.verify.model import Result, content_difference, normalized
from landing_zone.verify.reads import Progress
from landing_zone.verify.report import table
from tests.conftest import Synth


def _resources(synth: Synth, kind: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (stack, resource["Properties"], template)
        for stack, template in synth.templates.items()
        for resource in template.get("Resources", {}).values()
        if resource["Type"] == kind
    ]


def _ou_key(template: dict[str, Any], target: Any) -> str:
    """The config key of a synthesized policy target: the root id, or an OU's key tag."""
    if isinstance(target, str):
        return "root"
    logical_id = target["Fn::GetAtt"][0]
    tags = template["Resources"][logical_id]["Properties"]["Tags"]
    return next(tag["Value"] for tag in tags if tag["Key"] == "landing-zone:ou-key")


def test_policies_are_the_synthesized_ones(example_synth: Synth) -> None:
    synthesized = sorted(
        (props["Name"], props["Type"], _ou_key(template, target), props["Content"])
        for _, props, template in _resources(example_synth, "AWS::Organizations::Policy")
        for target in props["TargetIds"]
    )
    ours = sorted(
        (p.name, p.type, p.target, p.content) for p in expected.policies(example_synth.config)
    )
    assert ours == synthesized
    assert "S3_POLICY" in {kind for _, kind, _, _ in ours}


def test_stack_sets_are_the_synthesized_ones(example_synth: Synth) -> None:
    synthesized = {
        props["StackSetName"]: props["StackInstancesGroup"][0]["Regions"]
        for _, props, _ in _resources(example_synth, "AWS::CloudFormation::StackSet")
    }
    ours = {s.name: list(s.regions) for s in expected.stack_sets(example_synth.config)}
    assert ours == synthesized


def test_the_trail_is_the_synthesized_one(example_synth: Synth) -> None:
    (trail,) = _resources(example_synth, "AWS::CloudTrail::Trail")
    assert trail[1]["TrailName"] == expected.trail_name(example_synth.config)
    assert trail[1]["IsOrganizationTrail"] is True


def test_policy_types_read_are_scps_rcps_and_the_s3_policy(example_synth: Synth) -> None:
    types = expected.policy_types(expected.policies(example_synth.config))
    assert types == ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "S3_POLICY")


def test_a_business_unit_owns_no_trail_features_or_core_stack_sets() -> None:
    from landing_zone.config import load_config
    from tests.variants import BUSINESS_UNIT

    config = load_config(BUSINESS_UNIT)
    assert expected.trail_name(config) is None
    assert expected.delegated_services(config) == ()
    names = {s.name for s in expected.stack_sets(config)}
    assert not names & {f"{config.prefix}-{n}" for n in ("LogArchive", "BreakGlass")}


# ---- comparing documents -------------------------------------------------------------------

SCP = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyLeave",
                "Effect": "Deny",
                "Action": ["organizations:LeaveOrganization", "account:CloseAccount"],
                "Resource": "*",
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/A", "b"]}},
            },
            {"Sid": "DenyRoot", "Effect": "Deny", "Action": "*", "Resource": "*"},
        ],
    }
)


@given(st.randoms(use_true_random=False))
def test_order_whitespace_and_single_strings_do_not_matter(rng: random.Random) -> None:
    document = json.loads(SCP)
    rng.shuffle(document["Statement"])
    for statement in document["Statement"]:
        if isinstance(statement["Action"], list):
            rng.shuffle(statement["Action"])
        statement["Resource"] = [statement["Resource"]]
    shuffled = dict(rng.sample(list(document.items()), k=len(document)))
    text = json.dumps(shuffled, indent=rng.choice([None, 2, 4]))
    assert content_difference(SCP, text, "SERVICE_CONTROL_POLICY") is None


def test_an_edited_statement_is_named_by_its_sid() -> None:
    document = json.loads(SCP)
    document["Statement"][0]["Action"].pop()
    document["Statement"].append(
        {"Sid": "Extra", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    )
    assert content_difference(SCP, json.dumps(document), "SERVICE_CONTROL_POLICY") == (
        "changed or missing: DenyLeave; not in the config: DenyLeave, Extra"
    )


def test_action_case_does_not_matter_but_resource_case_does() -> None:
    assert normalized(
        SCP.replace("LeaveOrganization", "leaveorganization"), "SERVICE_CONTROL_POLICY"
    ) == normalized(SCP, "SERVICE_CONTROL_POLICY")
    assert content_difference(SCP, SCP.replace("role/A", "role/a"), "SERVICE_CONTROL_POLICY")


def test_other_policy_types_compare_as_parsed_json() -> None:
    s3 = '{"s3_attributes":{"public_access_block_configuration":{"@@assign":"all"}}}'
    assert content_difference(s3, json.dumps(json.loads(s3), indent=2), "S3_POLICY") is None
    assert content_difference(s3, s3.replace("all", "none"), "S3_POLICY") == "the document differs"


def test_every_packed_policy_equals_itself_normalized(example_synth: Synth) -> None:
    for packed in plan_guardrails(example_synth.config).policies:
        pretty = json.dumps(json.loads(packed.content), indent=2)
        assert content_difference(packed.content, pretty, "SERVICE_CONTROL_POLICY") is None


# ---- output --------------------------------------------------------------------------------


def test_the_table_shows_drift_and_cannot_check_and_counts_every_check() -> None:
    results = [
        Result("ou", "prod", "ok", "Root/Prod", "Root/Prod (ou-1)"),
        Result("policy", "Acme-Root-Scp1", "drift", "scp", "changed or missing: DenyLeave"),
        Result("detection", "GuardDuty", "cannot_check", "auto-enable", "x" * 200),
    ]
    text = table(results)
    assert "Root/Prod (ou-1)" not in text
    assert "DRIFT" in text
    assert "cannot check" in text
    assert "x" * 69 + "…" in text
    assert "  ou                     1 /     0 /     0" in text
    assert "Root/Prod (ou-1)" in table(results, everything=True)


def test_progress_is_written_to_its_stream_only_when_enabled() -> None:
    stream = io.StringIO()
    progress = Progress(stream, enabled=True)
    progress.add(2)
    progress.advance()
    assert stream.getvalue().endswith("\rverify: 1/2 reads")
    quiet = io.StringIO()
    silent = Progress(quiet)  # a StringIO is no terminal
    silent.add(1)
    assert quiet.getvalue() == ""
