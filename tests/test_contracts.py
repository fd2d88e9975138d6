"""Every resource policy the landing zone writes serves the requests AWS services really make.

The rows are ``tests/contracts.py``; the policies (resource policies and
role trust policies) are read from every synthesized template and StackSet
template body, resolved as deployed (``tests/cfn_resolve.py``) and decided
by the project's evaluator, together with the RCPs the organization
template attaches along the owning account's OU path: a documented request
must pass both, a forged one at least one of them must stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

import botocore.session
import pytest
from aws_cdk import App

from landing_zone.config import load_config
from landing_zone.guardrails.catalog import PERIMETER_ACTIONS
from landing_zone.guardrails.evaluate import (
    FULL_ACCESS,
    Decision,
    Request,
    evaluate,
    resource_policy_decision,
    statement_matches,
    statements_of,
)
from landing_zone.guardrails.packer import target_paths
from landing_zone.regions import DEFAULT_REGIONS, OPT_IN_REGIONS
from landing_zone.stacks.log_archive_stack import LogArchiveTemplate
from tests.cfn_resolve import Resolver
from tests.conftest import EXAMPLE, Synth, cdk_context
from tests.contracts import (
    ACCOUNT_OUS,
    AUDIT,
    CONTRACTS,
    DEPLOYMENTS,
    LAMBDA_EXECUTION,
    LOG_ARCHIVE,
    MANAGEMENT,
    MEMBER,
    OPT_IN_CONTRACTS,
    OPT_IN_REGION,
    ORG,
    REPLICAS,
    Contract,
)
from tests.templates import resources_of
from tests.test_guardrail_cases import attached_policies
from tests.variants import variant

#: Resource types that carry a resource policy, and the property that holds it.
POLICY_PROPERTIES = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::Events::EventBusPolicy": "Statement",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
    "AWS::Lambda::Permission": "Principal",
    "AWS::IAM::Role": "AssumeRolePolicyDocument",
}
#: The trust policy of every Lambda execution role (``HandlerFunction``):
#: one contract, whichever template holds the role.
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ],
}
FOREIGN_ACCOUNT = "999999999999"
FOREIGN_ORG = "o-zz9999zz99"
OURS = (MANAGEMENT, LOG_ARCHIVE, AUDIT, MEMBER)
VARIANTS = ("another organization", "another account", "no source")


def all_templates(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        **synth.templates,
        **{f"stackset:{name}": body for name, body in synth.stackset_templates.items()},
        **{f"nested:{name}": body for name, body in synth.nested_templates.items()},
    }


def _target(value: Any) -> str:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"expected a Ref or Fn::GetAtt, not {value!r}")


def is_lambda_execution_role(resource: Mapping[str, Any]) -> bool:
    return (
        resource["Type"] == "AWS::IAM::Role"
        and resource["Properties"]["AssumeRolePolicyDocument"] == LAMBDA_TRUST
    )


def trust_policy(document: Mapping[str, Any]) -> dict[str, Any]:
    """A role's trust policy as a resource policy: it names no Resource, the role is it."""
    return {
        **document,
        "Statement": [{**s, "Resource": "*"} for s in statements_of(document)],
    }


def trusts_people_only(resource: Mapping[str, Any]) -> bool:
    """A role whose trust names no AWS service: no service contract applies to it.

    The break-glass and investigation roles trust IAM principals; their trust
    policies are proven in tests/test_break_glass.py and
    tests/test_investigation_role.py.
    """
    return resource["Type"] == "AWS::IAM::Role" and '"Service"' not in json.dumps(
        resource["Properties"]["AssumeRolePolicyDocument"]
    )


def deploys_policies(template: Mapping[str, Any]) -> bool:
    """Whether ``template`` holds a policy whose contract depends on where it deploys."""
    return any(
        r["Type"] in POLICY_PROPERTIES
        and not is_lambda_execution_role(r)
        and not trusts_people_only(r)
        for r in template.get("Resources", {}).values()
    )


def policies_in(template: Mapping[str, Any], resolve: Resolver) -> Iterator[tuple[str, Any]]:
    """``(name, resolved policy document)`` of every resource and trust policy in ``template``."""
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
        elif kind == "AWS::SQS::QueuePolicy":
            (queue,) = properties["Queues"]
            name = template["Resources"][_target(queue)]["Properties"]["QueueName"]
            yield f"queue:{name}", resolve(properties["PolicyDocument"])
        elif kind == "AWS::Events::EventBusPolicy":
            bus = properties.get("EventBusName", "default")
            yield f"bus:{bus}", {"Statement": [resolve(properties["Statement"])]}
        elif trusts_people_only(resource):
            # Proven in their own modules (see trusts_people_only).
            continue
        elif is_lambda_execution_role(resource):
            yield f"role:{LAMBDA_EXECUTION}", trust_policy(LAMBDA_TRUST)
        elif trusts_people_only(resource):
            # Proven where the role is built (its docstring names the test).
            continue
        elif kind == "AWS::IAM::Role":
            name = resolve(properties["RoleName"]) if "RoleName" in properties else logical_id
            yield f"role:{name}", trust_policy(resolve(properties["AssumeRolePolicyDocument"]))
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


@dataclass(frozen=True)
class Deployed:
    """A policy as deployed: the account that owns its resource, and its document."""

    account: str
    document: Any


def deployed_policies(templates: Mapping[str, Mapping[str, Any]]) -> dict[str, Deployed]:
    """Every resource and trust policy of ``templates``, by name, as deployed."""
    found: dict[str, Deployed] = {}
    for name, template in templates.items():
        if not deploys_policies(template) or name in REPLICAS:
            continue
        assert name in DEPLOYMENTS, (
            f"{name} writes resource or trust policies; say in tests/contracts.py DEPLOYMENTS "
            "which account and region it deploys to"
        )
        account, region, parameters = DEPLOYMENTS[name]
        resolve = Resolver(template, account=account, region=region, parameters=parameters)
        for policy, document in policies_in(template, resolve):
            if policy == f"role:{LAMBDA_EXECUTION}":
                # One trust policy in many accounts; Lambda sends no aws:Source*
                # key, so no RCP statement reaches it wherever it is.
                found[policy] = Deployed(account, document)
                continue
            if policy.startswith("function:") and policy in found:
                # Each AWS::Lambda::Permission adds a statement to the function's
                # one resource policy.
                # See: https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
                statements = [*found[policy].document["Statement"], *document["Statement"]]
                found[policy] = Deployed(account, {"Statement": statements})
                continue
            assert policy not in found, f"two policies named {policy}"
            found[policy] = Deployed(account, document)
    return found


@pytest.fixture(scope="module")
def policies(example_synth: Synth) -> dict[str, Deployed]:
    """Every resource and trust policy of every template, by name, as deployed."""
    return deployed_policies(all_templates(example_synth))


Rcps = dict[tuple[str, str], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def rcps(organization_template: dict[str, Any]) -> Rcps:
    """The SCPs and RCPs the organization template attaches, by target."""
    return attached_policies(organization_template)


def test_every_resource_policy_has_contract_rows(policies: dict[str, Deployed]) -> None:
    covered = {c.policy for c in CONTRACTS}
    assert set(policies) - covered == set(), "resource policies with no contract rows"
    assert covered - set(policies) == set(), "contract rows for policies no template writes"


def test_every_lambda_role_trusts_lambda_alone(example_synth: Synth) -> None:
    """The roles read as one contract really are one trust policy: Lambda, no more."""
    lambda_roles = [
        f"{name}: {logical_id}"
        for name, template in all_templates(example_synth).items()
        for logical_id, resource in template.get("Resources", {}).items()
        if resource["Type"] == "AWS::IAM::Role"
        and "lambda.amazonaws.com" in str(resource["Properties"]["AssumeRolePolicyDocument"])
        and not is_lambda_execution_role(resource)
    ]
    assert lambda_roles == []


def test_every_service_grant_is_some_services_contract(policies: dict[str, Deployed]) -> None:
    """An Allow to a service principal no row exercises is unexplained (or dead)."""
    for name, deployed in policies.items():
        document = deployed.document
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
    """The row's request, with the key IAM sets on every signed request.

    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
    """
    is_service = "true" if contract.principal[0] == "Service" else "false"
    context = {**contract.context, "aws:PrincipalIsAWSService": is_service}
    return Request(contract.action, contract.resource, context, principal=contract.principal)


PATHS = target_paths(load_config(EXAMPLE))
ALL_CONTRACTS = (*CONTRACTS, *OPT_IN_CONTRACTS)


def rcp_decision(rcps: Rcps, account: str, contract: Contract) -> Decision:
    """What the RCPs along ``account``'s OU path decide (the management account: exempt)."""
    ou = ACCOUNT_OUS[account]
    if ou is None:
        return "allow"
    full = FULL_ACCESS["RESOURCE_CONTROL_POLICY"]
    levels = [[full, *rcps.get((target, "RESOURCE_CONTROL_POLICY"), [])] for target in PATHS[ou]]
    return evaluate([*levels, [full]], request(contract))


def test_the_accounts_sit_where_the_example_puts_them() -> None:
    config = load_config(EXAMPLE)
    ous = {key: account.ou for key, account in config.all_accounts()}
    assert ACCOUNT_OUS[LOG_ARCHIVE] == ous["log-archive"]
    assert ACCOUNT_OUS[AUDIT] == ous["audit"]
    assert ACCOUNT_OUS[MEMBER] in PATHS


def test_a_source_account_comes_with_its_organization() -> None:
    """The model the RCP relies on: aws:SourceAccount for one of ours -> aws:SourceOrgID too."""
    lone = [
        c.what
        for c in ALL_CONTRACTS
        if "aws:SourceAccount" in c.context and c.context.get("aws:SourceOrgID") != ORG
    ]
    assert lone == []


def assert_allowed(deployed: Deployed, rcps: Rcps, contract: Contract) -> None:
    assert not set(contract.omits) & set(contract.context), "a row cannot send what it omits"
    assert contract.url.startswith("https://docs.aws.amazon.com/")
    decision = resource_policy_decision(deployed.document, request(contract))
    assert decision == "allow", (
        f"{contract.principal[1]} {contract.action} on {contract.policy} is {decision}, "
        f"as documented at {contract.url}"
    )
    assert rcp_decision(rcps, deployed.account, contract) == "allow", (
        f"the RCPs over {deployed.account} deny {contract.principal[1]} {contract.action} "
        f"on {contract.policy}, documented at {contract.url}"
    )


@pytest.mark.parametrize("contract", ALL_CONTRACTS, ids=[c.what for c in ALL_CONTRACTS])
def test_the_documented_request_is_allowed(
    request: pytest.FixtureRequest, rcps: Rcps, contract: Contract
) -> None:
    assert_allowed(policies_for(contract, request)[contract.policy], rcps, contract)


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
        context.update(
            {
                "aws:PrincipalArn": role,
                "aws:PrincipalAccount": FOREIGN_ACCOUNT,
                "aws:PrincipalOrgID": FOREIGN_ORG,
            }
        )
        if "kms:CallerAccount" in context:
            # KMS names the caller's account too.
            context["kms:CallerAccount"] = FOREIGN_ACCOUNT
        return replace(contract, principal=("AWS", role), context=context)
    if not context:
        # Nothing in the request says whose it is (Lambda's and Config's
        # AssumeRole): no forgery to try; the row's note says what protects it.
        return None
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


def forgeries(rows: tuple[Contract, ...]) -> list[tuple[str, Contract]]:
    return [
        (f"{c.what}, for {variant}", f)
        for c in rows
        for variant in VARIANTS
        if (f := forged(c, variant)) is not None
    ]


FORGED = forgeries(CONTRACTS)


def assert_not_allowed(deployed: Deployed, rcps: Rcps, contract: Contract) -> None:
    """The resource policy alone stops it; where it names a source, the RCP stops it too."""
    assert resource_policy_decision(deployed.document, request(contract)) != "allow"
    governed = ACCOUNT_OUS[deployed.account] is not None
    perimeter = any(fnmatchcase(contract.action, action) for action in PERIMETER_ACTIONS)
    if governed and perimeter and "aws:SourceAccount" in contract.context:
        assert rcp_decision(rcps, deployed.account, contract) == "deny"


def policies_for(contract: Contract, request: pytest.FixtureRequest) -> dict[str, Deployed]:
    """The example's policies, or for an opt-in row those with OPT_IN_REGION governed."""
    opt_in = OPT_IN_REGION in contract.principal[1] or OPT_IN_REGION in contract.resource
    policies: dict[str, Deployed] = request.getfixturevalue(
        "opt_in_policies" if opt_in else "policies"
    )
    return policies


ALL_FORGED = [*FORGED, *forgeries(OPT_IN_CONTRACTS)]


@pytest.mark.parametrize("case", ALL_FORGED, ids=[name for name, _ in ALL_FORGED])
def test_the_forged_request_is_not_allowed(
    request: pytest.FixtureRequest, rcps: Rcps, case: tuple[str, Contract]
) -> None:
    _, contract = case
    assert_not_allowed(policies_for(contract, request)[contract.policy], rcps, contract)


def test_every_row_has_forged_variants() -> None:
    named = {name.split(", for ")[0] for name, _ in FORGED}
    unforgeable = {c.what for c in CONTRACTS if not c.context}
    assert {c.what for c in CONTRACTS} - unforgeable == named
    assert all(c.note for c in CONTRACTS if c.what in unforgeable)
    foreign_orgs = {
        c.context.get("aws:SourceOrgID") for name, c in FORGED if "organization" in name
    }
    assert ORG not in foreign_orgs


# ---- GuardDuty's regional principal, with an opt-in region governed ----


@pytest.fixture(scope="module")
def opt_in_policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Deployed]:
    """The log archive's policies with OPT_IN_REGION governed (its template alone: fast)."""
    directory = tmp_path_factory.mktemp("opt-in")
    governed = "  governed:\n    - eu-west-1\n"
    path = variant(EXAMPLE, directory, replace=[(governed, f"{governed}    - {OPT_IN_REGION}\n")])
    app = App(outdir=str(directory / "cdk.out"), context=cdk_context(config=str(path)))
    template = LogArchiveTemplate(app, "Template", config=load_config(path))
    app.synth()
    return deployed_policies({"stackset:Acme-LogArchive/Template": template.template})


def test_the_opt_in_variant_governs_an_opt_in_region() -> None:
    assert OPT_IN_REGION in OPT_IN_REGIONS


@pytest.mark.parametrize("contract", OPT_IN_CONTRACTS, ids=[c.what for c in OPT_IN_CONTRACTS])
def test_the_regional_principal_is_granted_only_where_governed(
    policies: dict[str, Deployed], contract: Contract
) -> None:
    """The example governs no opt-in region: no regional GuardDuty name in its grants."""
    decision = resource_policy_decision(policies[contract.policy].document, request(contract))
    assert decision != "allow"


def test_every_region_botocore_knows_is_classified() -> None:
    """A new Region fails here until landing_zone/regions.py says whether it is opt-in."""
    known = set(botocore.session.get_session().get_available_regions("s3"))
    partition = botocore.session.get_session().get_data("endpoints")["partitions"][0]
    known |= set(partition["regions"])
    assert DEFAULT_REGIONS.isdisjoint(OPT_IN_REGIONS)
    assert known - DEFAULT_REGIONS - OPT_IN_REGIONS == set()
