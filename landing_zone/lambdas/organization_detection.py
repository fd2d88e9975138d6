"""Custom resource: organization-wide settings of the detection services, as their administrator.

Runs in the audit account, the services' delegated administrator, in every
governed region (inline ``ZipFile`` code in the audit StackSet). One resource
configures one service, named by ``Service``:

- ``GuardDuty`` (``Features``, ``FindingPublishingFrequency``): the
  administrator's own detector gets the protection plans, and
  guardduty:UpdateOrganizationConfiguration turns GuardDuty and the same plans
  on for ALL accounts, existing and new. Returns the ``DetectorId``.
- ``KeyArn`` (``KeyId``, an alias ARN): kms:DescribeKey, in the region the
  ARN names (the log archive's home region). GuardDuty's export needs the key
  ARN, which only the log-archive account knows; the alias ARN is what other
  accounts can name. Returns ``Arn``.
- ``Inspector`` (``ResourceTypes``): scanning on for this account, auto-enable
  for new accounts, and every existing account associated and enabled.
- ``Macie`` (``FindingPublishingFrequency``): the administrator's session,
  auto-enable for new accounts, every existing account a member.
- ``Detective``: auto-enable for new accounts, every existing account a
  member of the behaviour graph.

Why not native types: CloudFormation has no resource for any of these
organization configurations; ``AWS::GuardDuty::Detector`` would clash with
the detector that designating the administrator creates.

Rules (those of every handler, ``custom_resource.py``, which answers CloudFormation):
- Idempotent: members already enrolled are skipped; applying again changes nothing.
- Update applies the new settings (a plan switched off stops being
  auto-enabled for new accounts; see Delete).
- Delete turns auto-enable off, so accounts that join later no longer get the
  service, and leaves every existing member as it is: disabling a detection
  service across the organization destroys its findings history and is done
  by hand, on purpose (docs/detection.md says how).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        arn_region,
        client,
        error_code,
        own_region,
        retrying,
        run,
        seconds_left,
        sleep,
    )
except ImportError:  # a Lambda asset with both files at the root of the zip
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        arn_region,
        client,
        error_code,
        own_region,
        retrying,
        run,
        seconds_left,
        sleep,
    )

THROTTLED = {"ThrottlingException", "TooManyRequestsException", "ConflictException"}
# Runtime Monitoring's agents, managed by GuardDuty for each compute type.
RUNTIME_AGENTS = ("EKS_ADDON_MANAGEMENT", "ECS_FARGATE_AGENT_MANAGEMENT", "EC2_AGENT_MANAGEMENT")
INSPECTOR_AUTO_ENABLE = {
    "EC2": "ec2",
    "ECR": "ecr",
    "LAMBDA": "lambda",
    "LAMBDA_CODE": "lambdaCode",
}
# API batch limits: detective:CreateMembers 50, inspector2:Enable 100.
DETECTIVE_BATCH = 50
INSPECTOR_BATCH = 100


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    run(event, context, physical_id=_physical_id, apply=apply, delete=delete)


def _physical_id(properties: dict[str, Any]) -> str:
    service = properties.get("Service")
    if service not in APPLY:
        raise CustomResourceError(
            f"ResourceProperties need Service, one of {', '.join(sorted(APPLY))}"
        )
    if service == "KeyArn":
        key = properties.get("KeyId")
        if not isinstance(key, str) or not key.startswith("arn:"):
            raise CustomResourceError("Service KeyArn needs KeyId, a key or alias ARN")
        arn_region(key)  # the region to ask, or a clear error now
        return f"KeyArn/{key}"
    # One per service and region: a stable id, so an Update never replaces it
    # (a replacement would Delete, and Delete turns auto-enable off).
    return f"{service}/{os.environ.get('AWS_REGION', 'unknown-region')}"


def apply(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """Create and Update (idempotent)."""
    return APPLY[properties["Service"]](properties, deadline)


def delete(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
    """Turn auto-enable off for new accounts; existing members keep the service."""
    service = properties.get("Service")
    # (A Delete after a failed Create never reaches here: ``run`` answers it.)
    if service not in STOP_AUTO_ENABLE:
        LOG.info("Delete: nothing to undo for %s", physical_id)
        return {}
    try:
        STOP_AUTO_ENABLE[service](properties, deadline)
    except ClientError as error:
        # No administrator any more (deregistered by hand): nothing left to turn off.
        if error_code(error) not in ("AccessDeniedException", "BadRequestException"):
            raise
        LOG.info("Delete: %s is no longer administered from here (%s)", service, error)
    LOG.info("Delete: %s no longer auto-enables new accounts; members unchanged", service)
    return {}


# -- the organization -----------------------------------------------------------


def _own_account() -> str:
    return str(client("sts", region_name=own_region()).get_caller_identity()["Account"])


def _organization_accounts(deadline: float) -> list[dict[str, str]]:
    """Every ACTIVE account of the organization but this one: ``{Id, Email}``."""
    own = _own_account()
    organizations = client("organizations", region_name=own_region())
    accounts: list[dict[str, str]] = []
    token: str | None = None
    while True:
        page = retrying(
            partial(organizations.list_accounts, **({"NextToken": token} if token else {})),
            deadline,
            THROTTLED,
        )
        accounts.extend(
            {"Id": a["Id"], "Email": a["Email"]}
            for a in page["Accounts"]
            if a.get("Status") == "ACTIVE" and a["Id"] != own
        )
        token = page.get("NextToken")
        if not token:
            return accounts


def _pages(
    call: Callable[..., dict[str, Any]], key: str, token_name: str, **kwargs: Any
) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = call(**kwargs, **({token_name: token} if token else {}))
        yield from page.get(key, [])
        token = page.get(token_name)
        if not token:
            return


def _check_time(deadline: float, done: int, total: int, what: str) -> None:
    if seconds_left(deadline) < 5:
        raise CustomResourceError(
            f"enrolled {done} of {total} accounts in {what} before the time ran out; "
            "deploy again to continue (enrolment is idempotent)"
        )


# -- GuardDuty ----------------------------------------------------------------------


def _detector(deadline: float) -> str:
    """The administrator's detector, which designating the administrator creates."""
    guardduty = client("guardduty", region_name=own_region())
    delay = 2.0
    while True:
        detectors = guardduty.list_detectors()["DetectorIds"]
        if detectors:
            return str(detectors[0])
        if seconds_left(deadline) < delay:
            raise CustomResourceError(
                "no GuardDuty detector in the audit account; designating it as GuardDuty "
                "administrator (the management account's DetectionAdmin stack) creates one"
            )
        sleep(delay)
        delay = min(delay * 2, 15.0)


def _features(properties: dict[str, Any]) -> list[tuple[str, bool]]:
    features = properties.get("Features")
    if not isinstance(features, dict) or not features:
        raise CustomResourceError("Service GuardDuty needs Features: {NAME: 'true'|'false'}")
    return [(name, str(value).lower() == "true") for name, value in sorted(features.items())]


def _guardduty(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    features = _features(properties)
    guardduty = client("guardduty", region_name=own_region())
    detector = _detector(deadline)

    def extra(name: str, key: str, on: bool) -> dict[str, Any]:
        if name != "RUNTIME_MONITORING":
            return {}
        value = ("ENABLED" if on else "DISABLED") if key == "Status" else ("ALL" if on else "NONE")
        return {"AdditionalConfiguration": [{"Name": a, key: value} for a in RUNTIME_AGENTS]}

    retrying(
        lambda: guardduty.update_detector(
            DetectorId=detector,
            Enable=True,
            FindingPublishingFrequency=properties.get(
                "FindingPublishingFrequency", "FIFTEEN_MINUTES"
            ),
            Features=[
                {"Name": n, "Status": "ENABLED" if on else "DISABLED", **extra(n, "Status", on)}
                for n, on in features
            ],
        ),
        deadline,
        THROTTLED,
    )
    # ALL: every account, existing and new, has GuardDuty and these plans;
    # a plan set to NONE stops being enabled for new accounts only.
    retrying(
        lambda: guardduty.update_organization_configuration(
            DetectorId=detector,
            AutoEnableOrganizationMembers="ALL",
            Features=[
                {"Name": n, "AutoEnable": "ALL" if on else "NONE", **extra(n, "AutoEnable", on)}
                for n, on in features
            ],
        ),
        deadline,
        THROTTLED,
    )
    LOG.info("GuardDuty: detector %s, organization auto-enable ALL, %s", detector, features)
    return {"DetectorId": detector}


def _guardduty_stop(properties: dict[str, Any], deadline: float) -> None:
    guardduty = client("guardduty", region_name=own_region())
    for detector in guardduty.list_detectors()["DetectorIds"]:
        guardduty.update_organization_configuration(
            DetectorId=detector, AutoEnableOrganizationMembers="NONE"
        )


# -- KMS ---------------------------------------------------------------------------------


def _key_arn(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    key = properties["KeyId"]
    # The key lives in the log-archive account's home region, and KMS keys are
    # regional: DescribeKey must go to the endpoint of the region the ARN
    # names, whichever governed region this function runs in.
    # See: https://docs.aws.amazon.com/kms/latest/developerguide/overview.html#kms-regional
    # See: https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
    kms = client("kms", region_name=arn_region(key))
    arn = retrying(lambda: kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"], deadline, THROTTLED)
    LOG.info("%s is %s", key, arn)
    return {"Arn": str(arn)}


# -- Inspector --------------------------------------------------------------------------


def _scan_types(properties: dict[str, Any]) -> list[str]:
    types = properties.get("ResourceTypes")
    if not isinstance(types, list) or not types or set(types) - set(INSPECTOR_AUTO_ENABLE):
        raise CustomResourceError(
            f"Service Inspector needs ResourceTypes, a list of {sorted(INSPECTOR_AUTO_ENABLE)}"
        )
    return [str(t) for t in types]


def _inspector(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    types = _scan_types(properties)
    inspector = client("inspector2", region_name=own_region())
    own = _own_account()
    retrying(lambda: inspector.enable(accountIds=[own], resourceTypes=types), deadline, THROTTLED)
    retrying(
        lambda: inspector.update_organization_configuration(
            autoEnable={key: t in types for t, key in INSPECTOR_AUTO_ENABLE.items()}
        ),
        deadline,
        THROTTLED,
    )
    accounts = _organization_accounts(deadline)
    members = {
        m["accountId"]
        for m in _pages(inspector.list_members, "members", "nextToken", onlyAssociated=False)
        if m.get("relationshipStatus") not in ("REMOVED", "RESIGNED", "DISABLED")
    }
    for done, account in enumerate(a for a in accounts if a["Id"] not in members):
        _check_time(deadline, done, len(accounts), "Inspector")
        retrying(partial(inspector.associate_member, accountId=account["Id"]), deadline, THROTTLED)
    ids = [a["Id"] for a in accounts]
    failed: list[str] = []
    for start in range(0, len(ids), INSPECTOR_BATCH):
        _check_time(deadline, start, len(ids), "Inspector")
        batch = ids[start : start + INSPECTOR_BATCH]
        result = retrying(
            partial(inspector.enable, accountIds=batch, resourceTypes=types), deadline, THROTTLED
        )
        failed += [
            f"{f['accountId']} ({f.get('errorCode', '?')})"
            for f in result.get("failedAccounts", [])
        ]
    if failed:
        # Suspended accounts and those leaving the organization cannot be
        # enabled; one of them must not fail the whole organization.
        LOG.warning("Inspector could not enable: %s", ", ".join(failed))
    LOG.info("Inspector: %s for %d accounts and new ones", types, len(ids) + 1)
    return {"Accounts": str(len(ids) + 1), "Failed": str(len(failed))}


def _inspector_stop(properties: dict[str, Any], deadline: float) -> None:
    client("inspector2", region_name=own_region()).update_organization_configuration(
        autoEnable=dict.fromkeys(INSPECTOR_AUTO_ENABLE.values(), False)
    )


# -- Macie --------------------------------------------------------------------------------


def _macie(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    macie = client("macie2", region_name=own_region())
    # Designating the administrator enabled Macie here (which is why this is
    # not an AWS::Macie::Session: its create would clash with that session).
    retrying(
        lambda: macie.update_macie_session(
            findingPublishingFrequency=properties.get(
                "FindingPublishingFrequency", "FIFTEEN_MINUTES"
            ),
            status="ENABLED",
        ),
        deadline,
        THROTTLED,
    )
    retrying(lambda: macie.update_organization_configuration(autoEnable=True), deadline, THROTTLED)
    accounts = _organization_accounts(deadline)
    members = {
        m["accountId"]
        for m in _pages(macie.list_members, "members", "nextToken", onlyAssociated="false")
        if m.get("relationshipStatus") not in ("Removed", "Resigned")
    }
    new = [a for a in accounts if a["Id"] not in members]
    for done, account in enumerate(new):
        _check_time(deadline, done, len(new), "Macie")
        retrying(
            partial(
                macie.create_member,
                account={"accountId": account["Id"], "email": account["Email"]},
            ),
            deadline,
            THROTTLED,
        )
    LOG.info("Macie: %d new members, %d accounts in all", len(new), len(accounts) + 1)
    return {"Accounts": str(len(accounts) + 1), "Enrolled": str(len(new))}


def _macie_stop(properties: dict[str, Any], deadline: float) -> None:
    client("macie2", region_name=own_region()).update_organization_configuration(autoEnable=False)


# -- Detective ----------------------------------------------------------------------------


def _graph(deadline: float) -> str:
    """The behaviour graph designating the administrator created."""
    detective = client("detective", region_name=own_region())
    delay = 2.0
    while True:
        graphs = detective.list_graphs()["GraphList"]
        if graphs:
            return str(graphs[0]["Arn"])
        if seconds_left(deadline) < delay:
            raise CustomResourceError(
                "no Detective behaviour graph in the audit account; designating it as "
                "Detective administrator (the management account's DetectionAdmin stack) "
                "creates one"
            )
        sleep(delay)
        delay = min(delay * 2, 15.0)


def _detective(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    detective = client("detective", region_name=own_region())
    graph = _graph(deadline)
    retrying(
        lambda: detective.update_organization_configuration(GraphArn=graph, AutoEnable=True),
        deadline,
        THROTTLED,
    )
    accounts = _organization_accounts(deadline)
    members = {
        m["AccountId"]
        for m in _pages(detective.list_members, "MemberDetails", "NextToken", GraphArn=graph)
    }
    new = [a for a in accounts if a["Id"] not in members]
    for start in range(0, len(new), DETECTIVE_BATCH):
        _check_time(deadline, start, len(new), "Detective")
        batch = [
            {"AccountId": a["Id"], "EmailAddress": a["Email"]}
            for a in new[start : start + DETECTIVE_BATCH]
        ]
        retrying(
            partial(detective.create_members, GraphArn=graph, Accounts=batch),
            deadline,
            THROTTLED,
        )
    LOG.info("Detective: graph %s, %d new members", graph, len(new))
    return {"GraphArn": graph, "Enrolled": str(len(new))}


def _detective_stop(properties: dict[str, Any], deadline: float) -> None:
    detective = client("detective", region_name=own_region())
    for graph in detective.list_graphs()["GraphList"]:
        detective.update_organization_configuration(GraphArn=graph["Arn"], AutoEnable=False)


APPLY: dict[str, Callable[[dict[str, Any], float], dict[str, str]]] = {
    "GuardDuty": _guardduty,
    "KeyArn": _key_arn,
    "Inspector": _inspector,
    "Macie": _macie,
    "Detective": _detective,
}
STOP_AUTO_ENABLE: dict[str, Callable[[dict[str, Any], float], None]] = {
    "GuardDuty": _guardduty_stop,
    "Inspector": _inspector_stop,
    "Macie": _macie_stop,
    "Detective": _detective_stop,
}
