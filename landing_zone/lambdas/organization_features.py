"""Custom resource: enable one AWS Organizations feature that has no CloudFormation type.

Runs in the management account (Python 3.12, boto3 from the Lambda runtime).
One resource enables one thing, named by two properties:

- ``Feature: PolicyType``, ``Value: SERVICE_CONTROL_POLICY`` -> EnablePolicyType on the root
- ``Feature: TrustedService``, ``Value: guardduty.amazonaws.com`` -> EnableAWSServiceAccess
  (for ``member.org.stacksets.cloudformation.amazonaws.com`` AWS requires
  cloudformation:ActivateOrganizationsAccess instead)

Rules (DESIGN.md decision 2):
- Idempotent: "already enabled" is success; Create twice is a no-op.
- Update enables the new value; the old value is left enabled (see Delete).
- Delete is deliberately a no-op. Disabling a policy type detaches every policy
  of that type across the organization, and disabling trusted access breaks the
  service's delegated administration; both are done by hand, on purpose.
- Always answers CloudFormation, on every path, before the Lambda times out:
  a crash or an AWS error sends FAILED with the reason, never a one-hour hang.

The file is self-contained (no imports outside the standard library and
boto3) so it can also be inlined into StackSet templates as ZipFile code.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from typing import Any

import boto3
import botocore.config
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
# Organizations serialises changes; parallel calls fail with this and are safe to retry.
RETRYABLE = {"ConcurrentModificationException", "TooManyRequestsException"}
# Seconds kept back from the Lambda deadline to send the response.
RESPONSE_MARGIN_SECONDS = 20
BOTO_CONFIG = botocore.config.Config(retries={"mode": "standard", "max_attempts": 8})


class FeatureError(Exception):
    """A failure whose message is shown in the CloudFormation console."""


def client(service: str) -> Any:
    """boto3 client factory; tests replace this to inject stubbed clients."""
    return boto3.session.Session().client(service, config=BOTO_CONFIG)  # type: ignore[call-overload]


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point: do the work, then always answer CloudFormation."""
    request = event.get("RequestType", "?")
    properties = event.get("ResourceProperties") or {}
    # A failed Create still needs some physical id; the rollback's Delete gets it.
    physical_id = event.get("PhysicalResourceId") or f"failed/{event.get('RequestId', 'unknown')}"
    LOG.info("%s %s", request, json.dumps(properties, sort_keys=True))
    try:
        deadline = time.monotonic() + _remaining_seconds(context) - RESPONSE_MARGIN_SECONDS
        if request in ("Create", "Update"):
            physical_id = _physical_id(properties)
            data = enable(properties, deadline=deadline)
        elif request == "Delete":
            LOG.info("Delete: %s stays enabled by design (see module docstring)", physical_id)
            data = {}
        else:
            raise FeatureError(f"unknown RequestType {request!r}")
        respond(event, status="SUCCESS", physical_id=physical_id, data=data, reason="")
    except Exception as error:
        LOG.exception("failed")
        reason = f"{type(error).__name__}: {error}"
        respond(event, status="FAILED", physical_id=physical_id, data={}, reason=reason)


def _remaining_seconds(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000.0 if getter else 300.0


def _physical_id(properties: dict[str, Any]) -> str:
    feature = properties.get("Feature")
    value = properties.get("Value")
    if feature not in ("PolicyType", "TrustedService") or not isinstance(value, str) or not value:
        raise FeatureError(
            "ResourceProperties need Feature (PolicyType | TrustedService) and a non-empty Value"
        )
    return f"{feature}/{value}"


def enable(properties: dict[str, Any], *, deadline: float) -> dict[str, str]:
    """Enable the feature the properties name; return response data."""
    feature, value = properties["Feature"], properties["Value"]
    if feature == "PolicyType":
        return {"Status": _enable_policy_type(value, deadline=deadline)}
    if value == STACKSETS_PRINCIPAL:
        _retrying(lambda: client("cloudformation").activate_organizations_access(), deadline)
        return {"Status": "ENABLED"}
    organizations = client("organizations")
    _retrying(
        lambda: organizations.enable_aws_service_access(ServicePrincipal=value),
        deadline,
    )
    return {"Status": "ENABLED"}


def _enable_policy_type(policy_type: str, *, deadline: float) -> str:
    organizations = client("organizations")
    roots = organizations.list_roots()["Roots"]
    if len(roots) != 1:
        raise FeatureError(f"expected one organization root, found {len(roots)}")
    root_id = roots[0]["Id"]
    status = _policy_type_status(roots[0], policy_type)
    if status == "ENABLED":
        LOG.info("%s already enabled on %s", policy_type, root_id)
        return status
    if status != "PENDING_ENABLE":
        try:
            _retrying(
                lambda: organizations.enable_policy_type(RootId=root_id, PolicyType=policy_type),
                deadline,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "PolicyTypeAlreadyEnabledException":
                raise
    # Enabling is asynchronous; policies of this type cannot attach until ENABLED.
    delay = 2.0
    while True:
        root = organizations.list_roots()["Roots"][0]
        status = _policy_type_status(root, policy_type)
        if status == "ENABLED":
            LOG.info("%s enabled on %s", policy_type, root_id)
            return status
        if time.monotonic() + delay > deadline:
            raise FeatureError(
                f"{policy_type} is still {status or 'not enabled'} on {root_id}; "
                "Organizations is slow to converge, retry the deployment in a few minutes"
            )
        sleep(delay)
        delay = min(delay * 2, 15.0)


def _policy_type_status(root: dict[str, Any], policy_type: str) -> str | None:
    for entry in root.get("PolicyTypes", []):
        if entry.get("Type") == policy_type:
            return str(entry.get("Status"))
    return None


def _retrying(call: Any, deadline: float) -> Any:
    delay = 1.0
    while True:
        try:
            return call()
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code not in RETRYABLE or time.monotonic() + delay > deadline:
                raise
            LOG.info("%s, retrying in %.0fs", code, delay)
            sleep(delay)
            delay = min(delay * 2, 20.0)


def respond(
    event: dict[str, Any],
    *,
    status: str,
    physical_id: str,
    data: dict[str, str],
    reason: str,
) -> None:
    """PUT the result to the pre-signed ResponseURL CloudFormation gave us."""
    body = json.dumps(
        {
            "Status": status,
            # CloudFormation shows at most 4 KB of reason.
            "Reason": reason[:3500] or "See the function's CloudWatch Logs",
            "PhysicalResourceId": physical_id,
            "StackId": event.get("StackId"),
            "RequestId": event.get("RequestId"),
            "LogicalResourceId": event.get("LogicalResourceId"),
            "NoEcho": False,
            "Data": data,
        }
    ).encode()
    url = event.get("ResponseURL")
    if not isinstance(url, str) or not url.startswith("https://"):
        LOG.error("no https ResponseURL in event; cannot answer CloudFormation")
        return
    request = urllib.request.Request(  # noqa: S310 - https checked above
        url,
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - https checked above
                LOG.info("answered %s: HTTP %s", status, response.status)
                return
        except OSError:
            LOG.exception("response attempt %d failed", attempt + 1)
            sleep(2.0)
