"""Every resource policy the landing zone writes serves the requests AWS services really make.

The rows are ``tests/contracts.py``; the policies are read from every
synthesized template and StackSet template body, resolved as deployed
(``tests/cfn_resolve.py``) and decided by the project's evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from landing_zone.guardrails.evaluate import (
    Request,
    resource_policy_decision,
    statement_matches,
    statements_of,
)
from tests.cfn_resolve import Resolver
from tests.conftest import Synth
from tests.contracts import (
    AUDIT,
    CONTRACTS,
    DEPLOYMENTS,
    LOG_ARCHIVE,
    MANAGEMENT,
    MEMBER,
    ORG,
    Contract,
)
from tests.templates import resources_of

#: Resource types that carry a resource policy, and the property that holds it.
POLICY_PROPERTIES = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::Events::EventBusPolicy": "Statement",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::Lambda::Permission": "Principal",
}
FOREIGN_ACCOUNT = "999999999999"
FOREIGN_ORG = "o-zz9999zz99"
OURS = (MANAGEMENT, LOG_ARCHIVE, AUDIT, MEMBER)
VARIANTS = ("another organization", "another account", "no source")


def all_templates(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        **synth.templates,
        **{f"stackset:{name}": body for name, body in synth.stackset_templates.items()},
    }


def _target(value: Any) -> str:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"expected a Ref or Fn::GetAtt, not {value!r}")


def policies_in(template: Mapping[str, Any], resolve: Resolver) -> Iterator[tuple[str, Any]]:
    """``(name, resolved policy document)`` of every resource policy in ``template``."""
    aliases = {
        _target(a["Properties"]["TargetKeyId"]): a["Properties"]["AliasName"]
        for a in resources_of(template, "AWS::KMS::Alias").values()
    }
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind not in POLICY_PROPERTIES:
            continue
        properties = resource["Properties"]
        if kind == "AWS::KMS::Key":
            yield f"key:{aliases[logical_id]}", resolve(properties["KeyPolicy"])
        elif kind == "AWS::S3::BucketPolicy":
            yield f"bucket:{resolve(properties['Bucket'])}", resolve(properties["PolicyDocument"])
        elif kind == "AWS::SNS::TopicPolicy":
            (topic,) = properties["Topics"]
            name = template["Resources"][_target(topic)]["Properties"]["TopicName"]
            yield f"topic:{name}", resolve(properties["PolicyDocument"])
        elif kind == "AWS::Events::EventBusPolicy":
            bus = properties.get("EventBusName", "default")
            yield f"bus:{bus}", {"Statement": [resolve(properties["Statement"])]}
        elif kind == "AWS::Lambda::Permission":
            # Lambda writes AddPermission into the function's policy: SourceArn
            # becomes ArnLike and SourceAccount StringEquals on AWS:Source*.
            # See: https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
            function = template["Resources"][_target(properties["FunctionName"])]
            conditions: dict[str, dict[str, str]] = {}
            if "SourceArn" in properties:
                conditions["ArnLike"] = {"AWS:SourceArn": resolve(properties["SourceArn"])}
            if "SourceAccount" in properties:
                conditions["StringEquals"] = {"AWS:SourceAccount": properties["SourceAccount"]}
            statement = {
                "Effect": "Allow",
                "Principal": {"Service": properties["Principal"]},
                "Action": properties["Action"],
                "Resource": resolve(properties["FunctionName"]),
                **({"Condition": conditions} if conditions else {}),
            }
            name = function["Properties"]["FunctionName"]
            yield f"function:{name}", {"Statement": [statement]}
        else:
            raise AssertionError(
                f"{logical_id} ({kind}) is a resource policy tests/contracts.py cannot read "
                "yet: teach policies_in() its document and add its contract rows"
            )


@pytest.fixture(scope="module")
def policies(example_synth: Synth) -> dict[str, Any]:
    """Every resource policy of every template, by name, as deployed."""
    found: dict[str, Any] = {}
    for name, template in all_templates(example_synth).items():
        kinds = {r["Type"] for r in template.get("Resources", {}).values()}
        if not kinds & set(POLICY_PROPERTIES):
            continue
        assert name in DEPLOYMENTS, (
            f"{name} writes resource policies; say in tests/contracts.py DEPLOYMENTS "
            "which account and region it deploys to"
        )
        account, region, parameters = DEPLOYMENTS[name]
        resolve = Resolver(template, account=account, region=region, parameters=parameters)
        for policy, document in policies_in(template, resolve):
            assert policy not in found, f"two policies named {policy}"
            found[policy] = document
    return found


def test_every_resource_policy_has_contract_rows(policies: dict[str, Any]) -> None:
    covered = {c.policy for c in CONTRACTS}
    assert set(policies) - covered == set(), "resource policies with no contract rows"
    assert covered - set(policies) == set(), "contract rows for policies no template writes"


def test_every_service_grant_is_some_services_contract(policies: dict[str, Any]) -> None:
    """An Allow to a service principal no row exercises is unexplained (or dead)."""
    for name, document in policies.items():
        for statement in statements_of(document):
            principal = statement.get("Principal")
            if statement["Effect"] != "Allow" or not isinstance(principal, dict):
                continue
            if "Service" not in principal:
                continue
            assert any(
                c.policy == name and statement_matches(statement, request(c)) for c in CONTRACTS
            ), f"{name}: {statement.get('Sid')} is granted for no documented request"


def request(contract: Contract) -> Request:
    return Request(
        contract.action, contract.resource, dict(contract.context), principal=contract.principal
    )


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c.what for c in CONTRACTS])
def test_the_documented_request_is_allowed(policies: dict[str, Any], contract: Contract) -> None:
    assert not set(contract.omits) & set(contract.context), "a row cannot send what it omits"
    assert contract.url.startswith("https://docs.aws.amazon.com/")
    decision = resource_policy_decision(policies[contract.policy], request(contract))
    assert decision == "allow", (
        f"{contract.principal[1]} {contract.action} on {contract.policy} is {decision}, "
        f"as documented at {contract.url}"
    )


def _foreign(value: str) -> str:
    """``value`` with every account of ours, and every bucket ARN, made someone else's."""
    value = re.sub("|".join(OURS), FOREIGN_ACCOUNT, value)
    return re.sub(r"^arn:aws:s3:::.*$", "arn:aws:s3:::someone-elses-bucket", value)


def forged(contract: Contract, variant: str) -> Contract | None:
    """The same request made for someone else (``None`` where the variant does not apply)."""
    context = dict(contract.context)
    source = [k for k in context if k.startswith("aws:Source")]
    if contract.principal[0] == "AWS":
        if variant != "another account":
            return None
        role = _foreign(contract.principal[1])
        context["aws:PrincipalArn"] = role
        return replace(contract, principal=("AWS", role), context=context)
    if variant == "no source":
        if not source:
            return None
        return replace(contract, context={k: v for k, v in context.items() if k not in source})
    foreign = {
        k: _foreign(v) if k.startswith(("aws:Source", "kms:")) else v for k, v in context.items()
    }
    if variant == "another organization":
        if "aws:SourceOrgID" not in context:
            return None
        return replace(contract, context={**foreign, "aws:SourceOrgID": FOREIGN_ORG})
    # Another account, outside the organization, of a service that does not
    # say which organization.
    foreign.pop("aws:SourceOrgID", None)
    return replace(contract, context=foreign)


FORGED = [
    (f"{c.what}, for {variant}", f)
    for c in CONTRACTS
    for variant in VARIANTS
    if (f := forged(c, variant)) is not None
]


@pytest.mark.parametrize("case", FORGED, ids=[name for name, _ in FORGED])
def test_the_forged_request_is_not_allowed(
    policies: dict[str, Any], case: tuple[str, Contract]
) -> None:
    _, contract = case
    assert resource_policy_decision(policies[contract.policy], request(contract)) != "allow"


def test_every_row_has_forged_variants() -> None:
    named = {name.split(", for ")[0] for name, _ in FORGED}
    assert {c.what for c in CONTRACTS} == named
    foreign_orgs = {
        c.context.get("aws:SourceOrgID") for name, c in FORGED if "organization" in name
    }
    assert ORG not in foreign_orgs
