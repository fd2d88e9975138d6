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
from collections.abc import Callable
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from landing_zone.config import load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.organization_policies import OrganizationPolicy
from landing_zone.verify import expected
from landing_zone.verify.model import IAM_POLICY_TYPES, Result, content_difference, normalized
from landing_zone.verify.reads import Progress
from landing_zone.verify.report import table
from tests.conftest import EXAMPLE, Synth


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
        props["StackSetName"]: (
            props["StackInstancesGroup"][0]["Regions"],
            props["AutoDeployment"]["Enabled"],
        )
        for _, props, _ in _resources(example_synth, "AWS::CloudFormation::StackSet")
    }
    ours = {
        s.name: (list(s.regions), s.reach == "targets")
        for s in expected.stack_sets(example_synth.config)
    }
    assert ours == synthesized


def _joined(value: Any, account: str) -> str:
    """A synthesized Fn::Join, the log-archive account's id (a stack output) spelled ``account``."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else account for part in parts)


def test_the_trail_is_the_synthesized_one(example_synth: Synth) -> None:
    ((_, trail, template),) = _resources(example_synth, "AWS::CloudTrail::Trail")
    wanted = expected.trail(example_synth.config, log_archive="222222222222")
    assert wanted is not None
    assert trail["TrailName"] == wanted.name
    assert trail["IsOrganizationTrail"] is True
    assert _joined(trail["S3BucketName"], "222222222222") == wanted.bucket
    assert ":222222222222:" in _joined(trail["KMSKeyId"], "222222222222")
    group = template["Resources"][trail["CloudWatchLogsLogGroupArn"]["Fn::GetAtt"][0]]
    assert wanted.log_group_arn.endswith(f":log-group:{group['Properties']['LogGroupName']}")
    assert trail["AdvancedEventSelectors"][0]["FieldSelectors"] == list(expected.MANAGEMENT_EVENTS)
    flags = ("IsMultiRegionTrail", "IncludeGlobalServiceEvents", "EnableLogFileValidation")
    assert all(trail[flag] is True for flag in flags)


def test_policy_types_read_are_scps_rcps_and_those_the_config_attaches(
    example_synth: Synth,
) -> None:
    types = expected.policy_types(expected.policies(example_synth.config))
    assert types == (
        "SERVICE_CONTROL_POLICY",
        "RESOURCE_CONTROL_POLICY",
        "S3_POLICY",
        "DECLARATIVE_POLICY_EC2",
        "TAG_POLICY",
        "AISERVICES_OPT_OUT_POLICY",
        "BACKUP_POLICY",
    )


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


# ---- every semantic change to a packed policy is drift ---------------------------------------

#: Changes one statement in place; False when it does not apply to that statement.
Mutation = Callable[[dict[str, Any]], bool]
_PACKED = tuple(p for p in expected.policies(load_config(EXAMPLE)) if p.type in IAM_POLICY_TYPES)


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _effect(statement: dict[str, Any]) -> bool:
    statement["Effect"] = "Allow" if statement["Effect"] == "Deny" else "Deny"
    return True


def _sid(statement: dict[str, Any]) -> bool:
    statement["Sid"] = f"{statement.get('Sid', '')}Changed"
    return True


def _swap(statement: dict[str, Any], one: str, other: str) -> bool:
    key = one if one in statement else other
    statement[other if key == one else one] = statement.pop(key)
    return True


def _drop_action(statement: dict[str, Any]) -> bool:
    key = "Action" if "Action" in statement else "NotAction"
    actions = _values(statement[key])
    if len(actions) < 2:
        return False
    statement[key] = actions[1:]
    return True


def _condition(statement: dict[str, Any]) -> dict[str, Any] | None:
    condition = statement.get("Condition")
    return condition if isinstance(condition, dict) and condition else None


def _on_first_key(change: Callable[[dict[str, Any], str, str], bool]) -> Mutation:
    """A mutation of the statement's first condition operator and key (none: not applicable)."""

    def mutate(statement: dict[str, Any]) -> bool:
        condition = _condition(statement)
        if condition is None:
            return False
        operator = sorted(condition)[0]
        return change(condition, operator, sorted(condition[operator])[0])

    return mutate


def _operator(condition: dict[str, Any], operator: str, key: str) -> bool:
    other = operator.removesuffix("IfExists")
    condition[other if other != operator else operator + "IfExists"] = condition.pop(operator)
    return True


def _key(condition: dict[str, Any], operator: str, key: str) -> bool:
    block = condition[operator]
    block["aws:SourceVpc" if key != "aws:SourceVpc" else "aws:SourceIp"] = block.pop(key)
    return True


def _value(condition: dict[str, Any], operator: str, key: str) -> bool:
    block = condition[operator]
    block[key] = [*_values(block[key]), "arn:aws:iam::*:role/Extra"]
    return True


def _value_case(condition: dict[str, Any], operator: str, key: str) -> bool:
    """Condition values and ARNs are compared as written (IAM reads most case-sensitively)."""
    values = [str(v) for v in _values(condition[operator][key])]
    condition[operator][key] = [v.swapcase() for v in values]
    return condition[operator][key] != values


def _case_twin(condition: dict[str, Any], operator: str, key: str) -> bool:
    """A second condition key differing only in case, placed before the first."""
    condition[operator] = {key.upper(): "arn:aws:iam::*:role/Extra", **condition[operator]}
    return True


def _no_condition(statement: dict[str, Any]) -> bool:
    return statement.pop("Condition", None) is not None


def _extra_block(statement: dict[str, Any]) -> bool:
    statement.setdefault("Condition", {})["Bool"] = {"aws:ViaAWSService": "true"}
    return True


def _principal(statement: dict[str, Any]) -> bool:
    if "Principal" not in statement:
        return False
    statement["Principal"] = {"AWS": "arn:aws:iam::111111111111:root"}
    return True


def _resource(statement: dict[str, Any]) -> bool:
    key = "Resource" if "Resource" in statement else "NotResource"
    statement[key] = [*_values(statement[key]), "arn:aws:s3:::extra"]
    return True


STATEMENT_MUTATIONS: dict[str, Mutation] = {
    "effect": _effect,
    "sid": _sid,
    "action to NotAction": lambda s: _swap(s, "Action", "NotAction"),
    "resource to NotResource": lambda s: _swap(s, "Resource", "NotResource"),
    "one action fewer": _drop_action,
    "one resource more": _resource,
    "condition operator": _on_first_key(_operator),
    "condition key": _on_first_key(_key),
    "condition value": _on_first_key(_value),
    "condition value case": _on_first_key(_value_case),
    "condition key case twin": _on_first_key(_case_twin),
    "condition removed": _no_condition,
    "condition block added": _extra_block,
    "principal": _principal,
}


@given(
    st.sampled_from(_PACKED),
    st.integers(min_value=0, max_value=50),
    st.sampled_from(sorted(STATEMENT_MUTATIONS)),
)
def test_every_semantic_change_to_a_statement_is_drift(
    policy: OrganizationPolicy, index: int, mutation: str
) -> None:
    document = json.loads(policy.content)
    statement = document["Statement"][index % len(document["Statement"])]
    assume(STATEMENT_MUTATIONS[mutation](statement))
    changed = json.dumps(document)
    assert content_difference(policy.content, changed, policy.type) is not None, mutation


@given(st.sampled_from(_PACKED), st.integers(min_value=0, max_value=50))
def test_a_statement_added_or_removed_is_drift(policy: OrganizationPolicy, index: int) -> None:
    document = json.loads(policy.content)
    removed = dict(document, Statement=list(document["Statement"]))
    removed["Statement"].pop(index % len(removed["Statement"]))
    if removed["Statement"]:
        assert content_difference(policy.content, json.dumps(removed), policy.type)
    added = dict(document, Statement=[*document["Statement"], {"Effect": "Allow", "Action": "*"}])
    assert content_difference(policy.content, json.dumps(added), policy.type)


@given(st.sampled_from(_PACKED), st.randoms(use_true_random=False))
def test_a_packed_policy_rewritten_without_changing_its_meaning_is_the_same(
    policy: OrganizationPolicy, rng: random.Random
) -> None:
    """Statement and action order, single strings, action and condition key case, a repeated
    statement: none is drift."""
    document = json.loads(policy.content)
    for statement in document["Statement"]:
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in statement:
                values = _values(statement[key])
                rng.shuffle(values)
                if key.endswith("Action"):
                    values = [v.upper() if rng.random() < 0.5 else v for v in values]
                statement[key] = values[0] if len(values) == 1 and rng.random() < 0.5 else values
        condition = _condition(statement) or {}
        for operator, block in condition.items():
            condition[operator] = {k.lower(): v for k, v in block.items()}
    document["Statement"].append(rng.choice(document["Statement"]))
    rng.shuffle(document["Statement"])
    assert content_difference(policy.content, json.dumps(document, indent=2), policy.type) is None


def test_a_repeated_key_is_drift_whichever_value_json_keeps() -> None:
    """Python keeps the last of two equal keys; which one AWS reads is not documented."""
    repeated = SCP.replace('"Effect": "Deny"', '"Effect": "Allow", "Effect": "Deny"', 1)
    assert json.loads(repeated) == json.loads(SCP)
    assert content_difference(SCP, repeated, "SERVICE_CONTROL_POLICY") == (
        "the stored content repeats the key 'Effect'"
    )
    s3 = '{"s3_attributes":{"public_access_block_configuration":{"@@assign":"all"}}}'
    twice = s3.replace('{"@@assign":"all"}', '{"@@assign":"none","@@assign":"all"}')
    assert content_difference(s3, twice, "S3_POLICY") == (
        "the stored content repeats the key '@@assign'"
    )


def test_a_document_of_another_shape_is_drift_not_a_crash() -> None:
    for content in ("[1]", '{"Statement": ["x"]}', "not json"):
        assert content_difference(SCP, content, "SERVICE_CONTROL_POLICY")
