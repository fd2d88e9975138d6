"""Security Hub's finding aggregator linking no Region: create, adopt, update, delete, rollback.

The handler runs in the audit account's home region (the only governed one).
moto has no Security Hub finding aggregators, so botocore Stubber answers
every call and checks each request against the service model; the inline
code the StackSet ships is exercised too. The calls are the grants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from landing_zone.config import guardrail_inputs, load_config
from landing_zone.detection_services import FINDING_AGGREGATOR_GRANTS, FINDING_AGGREGATOR_TYPE
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.evaluate import FULL_ACCESS, Decision, Request, evaluate
from landing_zone.guardrails.model import render
from landing_zone.lambdas import security_hub_aggregator as handler_module
from tests.conftest import EXAMPLE
from tests.custom_resources import Captured, Run, StubbedClients, cfn_event, load_inline
from tests.test_detection_services import api_calls, needed
from tests.variants import SINGLE_REGION, minimal_variant

#: The home region, the only governed one: where the function runs.
REGION = "eu-west-1"
AUDIT = "222222222222"
ARN = (
    f"arn:aws:securityhub:{REGION}:{AUDIT}:finding-aggregator/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
)
ELSEWHERE = ARN.replace(REGION, "us-east-1")
PHYSICAL_ID = f"FindingAggregator/{REGION}"


def event(
    request: str, *, physical_id: str | None = PHYSICAL_ID, **properties: Any
) -> dict[str, Any]:
    return cfn_event(
        request,
        stack_id=f"arn:aws:cloudformation:{REGION}:{AUDIT}:stack/StackSet-Tiny-AuditHome/x",
        logical_id="SecurityHubFindingAggregator1234ABCD",
        resource_type=FINDING_AGGREGATOR_TYPE,
        properties={"RegionLinkingMode": "NO_REGIONS", **properties},
        physical_id=physical_id,
    )


def listed(aws: StubbedClients, *arns: str) -> None:
    aws("securityhub").add_response(
        "list_finding_aggregators",
        {"FindingAggregators": [{"FindingAggregatorArn": arn} for arn in arns]},
        {},
    )


def updated(aws: StubbedClients, arn: str = ARN) -> None:
    aws("securityhub").add_response(
        "update_finding_aggregator",
        {"FindingAggregatorArn": arn, "FindingAggregationRegion": REGION,
         "RegionLinkingMode": "NO_REGIONS"},
        {"FindingAggregatorArn": arn, "RegionLinkingMode": "NO_REGIONS"},
    )  # fmt: skip


def test_create_makes_an_aggregator_that_links_no_region(aws: StubbedClients, run: Run) -> None:
    listed(aws)
    aws("securityhub").add_response(
        "create_finding_aggregator",
        {"FindingAggregatorArn": ARN, "FindingAggregationRegion": REGION,
         "RegionLinkingMode": "NO_REGIONS"},
        # No Regions: an InvalidInputException with NO_REGIONS.
        {"RegionLinkingMode": "NO_REGIONS"},
    )  # fmt: skip
    answer = run(event("Create", physical_id=None))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == PHYSICAL_ID
    assert answer["Data"] == {"FindingAggregatorArn": ARN}
    aws.verify()


def test_create_refuses_an_aggregator_it_did_not_make(aws: StubbedClients, run: Run) -> None:
    # Taking it over would let a rollback's Delete remove a hand-made
    # aggregator (and its linked regions): fail instead, as the native type.
    listed(aws, ARN)
    answer = run(event("Create", physical_id=None))
    assert answer["Status"] == "FAILED"
    assert "made outside this stack exists in eu-west-1" in answer["Reason"]
    assert "delete-finding-aggregator" in answer["Reason"]
    rollback = run(event("Delete", physical_id=answer["PhysicalResourceId"]))
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    aws.verify()


def test_an_aggregator_in_another_region_fails_the_create_and_is_left_alone(
    aws: StubbedClients, run: Run
) -> None:
    listed(aws, ELSEWHERE)
    answer = run(event("Create", physical_id=None))
    assert answer["Status"] == "FAILED"
    assert "makes us-east-1 Security Hub's home Region, not eu-west-1" in answer["Reason"]
    assert "delete it in us-east-1" in answer["Reason"]
    # The rollback's Delete gets the failed Create's id and calls nothing.
    failed_id = answer["PhysicalResourceId"]
    assert failed_id.startswith("failed/")
    rollback = run(event("Delete", physical_id=failed_id))
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    aws.verify()


def test_update_sets_the_aggregator_again_and_keeps_its_id(aws: StubbedClients, run: Run) -> None:
    listed(aws, ARN)
    updated(aws)
    answer = run(event("Update"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == PHYSICAL_ID
    aws.verify()


def test_update_recreates_an_aggregator_deleted_by_hand(aws: StubbedClients, run: Run) -> None:
    listed(aws)
    aws("securityhub").add_response(
        "create_finding_aggregator",
        {"FindingAggregatorArn": ARN},
        {"RegionLinkingMode": "NO_REGIONS"},
    )
    assert run(event("Update"))["Status"] == "SUCCESS"
    aws.verify()


def test_delete_removes_the_home_region_aggregator(aws: StubbedClients, run: Run) -> None:
    listed(aws, ARN)
    aws("securityhub").add_response("delete_finding_aggregator", {}, {"FindingAggregatorArn": ARN})
    answer = run(event("Delete"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == PHYSICAL_ID
    aws.verify()


@pytest.mark.parametrize("arns", [(), (ELSEWHERE,)], ids=["gone", "another-region"])
def test_delete_leaves_what_is_not_its_own(
    aws: StubbedClients, run: Run, arns: tuple[str, ...]
) -> None:
    listed(aws, *arns)
    answer = run(event("Delete"))
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    aws.verify()


def test_delete_of_an_aggregator_deleted_meanwhile_succeeds(aws: StubbedClients, run: Run) -> None:
    listed(aws, ARN)
    aws("securityhub").add_client_error(
        "delete_finding_aggregator", service_error_code="ResourceNotFoundException"
    )
    assert run(event("Delete"))["Status"] == "SUCCESS"
    aws.verify()


def test_delete_reports_other_errors(aws: StubbedClients, run: Run) -> None:
    listed(aws, ARN)
    aws("securityhub").add_client_error(
        "delete_finding_aggregator", service_error_code="AccessDeniedException"
    )
    answer = run(event("Delete"))
    assert answer["Status"] == "FAILED"
    assert "AccessDeniedException" in answer["Reason"]


def test_list_follows_every_page(aws: StubbedClients, run: Run) -> None:
    aws("securityhub").add_response(
        "list_finding_aggregators", {"FindingAggregators": [], "NextToken": "t"}, {}
    )
    aws("securityhub").add_response(
        "list_finding_aggregators",
        {"FindingAggregators": [{"FindingAggregatorArn": ARN}]},
        {"NextToken": "t"},
    )
    updated(aws)
    assert run(event("Update"))["Status"] == "SUCCESS"
    aws.verify()


@pytest.mark.parametrize("mode", ["SPECIFIED_REGIONS", None])
def test_only_no_regions_is_this_resource(aws: StubbedClients, run: Run, mode: str | None) -> None:
    answer = run(event("Create", physical_id=None, RegionLinkingMode=mode))
    assert answer["Status"] == "FAILED"
    assert "RegionLinkingMode must be NO_REGIONS" in answer["Reason"]
    aws.verify()


def test_the_inline_code_creates_the_aggregator(
    monkeypatch: pytest.MonkeyPatch, responses: Captured, run: Run
) -> None:
    module = load_inline("security_hub_aggregator")
    clients = StubbedClients(monkeypatch, module, REGION)
    monkeypatch.setattr(module.urllib.request, "urlopen", responses)
    listed(clients)
    clients("securityhub").add_response(
        "create_finding_aggregator",
        {"FindingAggregatorArn": ARN},
        {"RegionLinkingMode": "NO_REGIONS"},
    )
    answer = run(event("Create", physical_id=None), module.handler)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {"FindingAggregatorArn": ARN}
    clients.verify()


def test_the_grants_are_exactly_the_calls() -> None:
    calls = api_calls(Path(handler_module.__file__))
    granted = {action for grant in FINDING_AGGREGATOR_GRANTS for action in grant.actions}
    assert set(calls) == {"securityhub"}
    assert granted == needed(calls["securityhub"])


# ---- the guardrail lets the handler, and only it, change the aggregator ----------------------


def decision(config_path: Path, principal: str, action: str) -> Decision:
    inputs = guardrail_inputs(load_config(config_path))
    statements = [
        render(statement, kind="scp", inputs=inputs)
        for statement in GUARDRAILS["protect-detection-services"].statements(inputs)
    ]
    request = Request(
        action=action,
        resource=ARN,
        context={"aws:PrincipalArn": f"arn:aws:iam::{AUDIT}:role/{principal}"},
    )
    return evaluate([[FULL_ACCESS["SERVICE_CONTROL_POLICY"], {"Statement": statements}]], request)


@pytest.mark.parametrize(
    "action", ["securityhub:UpdateFindingAggregator", "securityhub:DeleteFindingAggregator"]
)
def test_only_the_handler_changes_the_aggregator_whatever_the_regions(
    tmp_path: Path, action: str
) -> None:
    single = minimal_variant(tmp_path, replace=SINGLE_REGION)
    assert decision(single, "Tiny-DetectionHandler-FindingAggregator", action) == "allow"
    assert decision(single, "Admin", action) == "deny"
    # The same with linked regions: going from one region to several, the
    # handler's Delete runs after the Organization stack's SCPs changed.
    assert decision(EXAMPLE, "Acme-DetectionHandler-FindingAggregator", action) == "allow"
    assert decision(EXAMPLE, "Admin", action) == "deny"
