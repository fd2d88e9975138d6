"""Break-glass alert: says who used which break-glass role, in which account, from where.

A CloudWatch alarm's notification carries the alarm, never the log events
that tripped it. So the organization trail's log group also sends the same
matching events (a subscription filter with the alarm's pattern) here, and
this function publishes one readable message per use to the alarm topic.

CloudWatch Logs delivers subscription data to Lambda base64-encoded and
gzip-compressed; a ``CONTROL_MESSAGE`` only checks that the destination is
reachable.
See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html

A cross-account AssumeRole is logged twice, in the caller's account and in
the role's; only the role account's record is announced, except a refused
call, which the role's account never logs.
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from typing import Any

import boto3

# SNS subjects: printable ASCII, "less than 100 characters long" (at most 99).
# See: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
MAX_SUBJECT = 99


def client(service: str, *, region_name: str) -> Any:
    """boto3 client factory, in the region of what it acts on; tests replace it."""
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region_name
    )


def _get(record: dict[str, Any], *path: str) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _account_of(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else None


def describe(record: dict[str, Any]) -> tuple[str, str] | None:
    """``(subject, message)`` for a CloudTrail record of a break-glass use, or None for a copy.

    None for the caller account's copy of a successful cross-account
    AssumeRole (the role account's copy is announced instead).
    """
    who = _get(record, "userIdentity", "arn") or _get(record, "userIdentity", "principalId")
    error = record.get("errorCode")
    if record.get("eventName") == "SwitchRole":
        session = str(who)
        role = session.split("/")[1] if "/" in session else session
        account = _account_of(session) or record.get("recipientAccountId")
        who = _get(record, "additionalEventData", "SwitchFrom") or who
        how = "switched to it in the console"
    else:
        role_arn = _get(record, "requestParameters", "roleArn") or ""
        role = role_arn.rsplit("/", 1)[-1]
        account = _account_of(role_arn)
        if not error and account and record.get("recipientAccountId") != account:
            return None
        how = "called AssumeRole"
    outcome = f"REFUSED ({error}: {record.get('errorMessage', '')})" if error else "succeeded"
    lines = [
        f"Break-glass role {role} in account {account}: {who} {how}; {outcome}.",
        "",
        f"Who:        {who}",
        f"Role:       {role} in account {account}",
        f"Outcome:    {outcome}",
        f"Session:    {_get(record, 'requestParameters', 'roleSessionName') or '-'}",
        f"Source IP:  {record.get('sourceIPAddress', '-')}",
        f"User agent: {record.get('userAgent', '-')}",
        f"Time:       {record.get('eventTime', '-')} ({record.get('awsRegion', '-')})",
        f"Event:      {record.get('eventSource', '-')} {record.get('eventName', '-')} "
        f"{record.get('eventID', '-')} (logged in account {record.get('recipientAccountId')})",
        "",
        "Every use of a break-glass role is alarmed. If this use was not announced, treat it "
        "as an incident (docs/identity.md, Break-glass).",
    ]
    verb = "refused" if error else "used"
    subject = f"Break-glass {role} {verb} in {account}"
    subject = "".join(c for c in subject if 32 <= ord(c) < 127)[:MAX_SUBJECT]
    return subject, "\n".join(lines)


def records(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The CloudTrail records of a CloudWatch Logs subscription delivery (none for a control)."""
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    if data.get("messageType") != "DATA_MESSAGE":
        return []
    return [json.loads(log_event["message"]) for log_event in data.get("logEvents", [])]


def handler(event: dict[str, Any], context: Any) -> int:
    """Publish one message per break-glass use in ``event``; return how many were published."""
    topic = os.environ["TOPIC_ARN"]
    # The topic's region, from its ARN (the trail's home region).
    sns = client("sns", region_name=topic.split(":")[3])
    published = 0
    for record in records(event):
        described = describe(record)
        if described is None:
            continue
        subject, message = described
        sns.publish(TopicArn=topic, Subject=subject, Message=message)
        published += 1
    return published
