"""What every custom-resource handler of the landing zone shares: answer CloudFormation, always.

The rules of every handler (custom resources only where CloudFormation has
no type: docs/architecture.md, "Native CloudFormation first; custom
resources where none exists"): a custom resource is idempotent, handles
Update and Delete deliberately, logs what it did and always answers
CloudFormation, on every path, before the Lambda times out: a crash or an
AWS error sends FAILED with the reason, never a one-hour hang.

A handler module supplies three functions and calls :func:`run`. This file
uses only the standard library and boto3 (both in the Lambda runtime), so it
ships beside the handler in an asset, or is merged into the handler's inline
``ZipFile`` code for StackSet templates (``landing_zone/constructs/inline_code.py``).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import botocore.config
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)

# Seconds kept back from the Lambda deadline to send the response.
RESPONSE_MARGIN_SECONDS = 20
BOTO_CONFIG = botocore.config.Config(retries={"mode": "standard", "max_attempts": 8})

#: The largest response body CloudFormation accepts.
MAX_RESPONSE_BYTES = 4096
#: The physical id of a resource whose Create failed.
FAILED_CREATE = "failed/"

Properties = dict[str, Any]
Data = dict[str, str]


class CustomResourceError(Exception):
    """A failure whose message is shown in the CloudFormation console."""


def client(service: str, *, region_name: str) -> Any:
    """boto3 client factory; tests replace this to inject stubbed clients.

    ``region_name`` is required: the region where the resource the call acts
    on lives, said out loud. A KMS key, a detector or a default VPC exists in
    one region only, and a client of another region does not find it (a
    StackSet instance outside the home region once failed that way).
    ``tests/test_handler_regions.py`` refuses a client created without it.
    """
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region_name, config=BOTO_CONFIG
    )


def own_region() -> str:
    """The region the function runs in, which Lambda sets as ``AWS_REGION``.

    The region of every regional setting a handler applies (the resource is
    deployed in each region it configures), and of global services' clients
    (IAM, Organizations), whose endpoint botocore resolves from any region.
    See: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
    """
    return os.environ["AWS_REGION"]


def arn_region(arn: str) -> str:
    """The region field of an ARN (``arn:partition:service:region:account:resource``).

    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[3]:
        raise CustomResourceError(f"{arn!r} is not an ARN with a region")
    return parts[3]


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def run(
    event: dict[str, Any],
    context: Any,
    *,
    physical_id: Callable[[Properties], str],
    apply: Callable[[Properties, float], Data],
    delete: Callable[[Properties, str, float], Data],
) -> None:
    """Do the work for one CloudFormation request, then always answer it.

    ``physical_id`` validates the properties and names the resource; ``apply``
    handles Create and Update (it must be idempotent); ``delete`` handles
    Delete. Both get the monotonic deadline by which they must return.
    """
    request = event.get("RequestType", "?")
    properties = dict(event.get("ResourceProperties") or {})
    properties.pop("ServiceToken", None)
    properties.pop("ServiceTimeout", None)
    # A failed Create still needs some physical id, and the rollback's Delete
    # gets exactly the one the failed Create answered: never the id a
    # successful Create would have taken, or that Delete would undo
    # (auto-enable off) what the failed Create never did, or what a previous
    # deployment did. A failed Update keeps the id it had.
    # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
    resource_id = (
        event.get("PhysicalResourceId") or f"{FAILED_CREATE}{event.get('RequestId', 'unknown')}"
    )
    LOG.info("%s %s", request, json.dumps(properties, sort_keys=True))
    try:
        deadline = time.monotonic() + remaining_seconds(context) - RESPONSE_MARGIN_SECONDS
        if request in ("Create", "Update"):
            applied_id = physical_id(properties)
            data = apply(properties, deadline)
            resource_id = applied_id
        elif request == "Delete" and resource_id.startswith(FAILED_CREATE):
            LOG.info("Delete of %s, whose Create failed: nothing was done to undo", resource_id)
            data = {}
        elif request == "Delete":
            data = delete(properties, resource_id, deadline)
        else:
            raise CustomResourceError(f"unknown RequestType {request!r}")
        respond(event, status="SUCCESS", physical_id=resource_id, data=data, reason="")
    except Exception as error:
        LOG.exception("failed")
        reason = f"{type(error).__name__}: {error}"
        respond(event, status="FAILED", physical_id=resource_id, data={}, reason=reason)


def remaining_seconds(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000.0 if getter else 300.0


def seconds_left(deadline: float) -> float:
    return deadline - time.monotonic()


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def retrying(call: Callable[[], Any], deadline: float, retryable: set[str]) -> Any:
    """``call()``, retried with backoff while it fails with a code in ``retryable``."""
    delay = 1.0
    while True:
        try:
            return call()
        except ClientError as error:
            code = error_code(error)
            if code not in retryable or seconds_left(deadline) < delay:
                raise
            LOG.info("%s, retrying in %.0fs", code, delay)
            sleep(delay)
            delay = min(delay * 2, 20.0)


def respond(
    event: dict[str, Any],
    *,
    status: str,
    physical_id: str,
    data: Data,
    reason: str,
) -> None:
    """PUT the result to the pre-signed ResponseURL CloudFormation gave us."""
    reason = reason[:3500] or "See the function's CloudWatch Logs"
    while True:
        body = json.dumps(
            {
                "Status": status,
                "Reason": reason,
                "PhysicalResourceId": physical_id,
                "StackId": event.get("StackId"),
                "RequestId": event.get("RequestId"),
                "LogicalResourceId": event.get("LogicalResourceId"),
                "NoEcho": False,
                "Data": data,
            }
        ).encode()
        # CloudFormation refuses a body over 4,096 bytes, and JSON writes a non-ASCII
        # character (a group's display name, an OU's) as six: cut the reason by what is
        # over (each character is at least a byte), never the ids CloudFormation matches.
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
        over = len(body) - MAX_RESPONSE_BYTES
        if over <= 0 or not reason:
            break
        reason = reason[: max(0, len(reason) - over)]
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
