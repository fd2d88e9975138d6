"""What marks a use of a break-glass role in CloudTrail: one pattern, one query (no aws_cdk).

The organization trail delivers every account's events to one log group in
the management account, so one pattern there sees every use anywhere:

- ``AssumeRole`` whose ``requestParameters.roleArn`` is a break-glass role,
  succeeded or refused (an attempt matters as much as a use). STS logs a cross-account call in
  the caller's account and, when it succeeds, in the role's account as well
  (a refused cross-account call only in the caller's).
  See: https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
- the console's ``SwitchRole`` sign-in event (``signin.amazonaws.com``, in the
  role's account), whose ``userIdentity.arn`` is the new assumed-role session:
  a console switch is caught whether or not it also shows as AssumeRole.
  See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html

In a JSON filter pattern ``*`` is a wildcard only at the start or the end of
a value; in the middle it is the literal character ("Ev*ent only matches the
actual string Ev*ent"). So a role ARN is matched by its end, ``*:role/<name>``:
role names cannot contain ``:``, so that is the role of that name (and no
path) in any account; the break-glass roles have no path.
See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

from collections.abc import Sequence

# CloudWatch Logs caps a filter pattern at 1,024 characters, and an alarm
# description at 1,024.
# See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
# See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
MAX_PATTERN_CHARS = 1024
MAX_DESCRIPTION_CHARS = 1024


def use_pattern(role_names: Sequence[str]) -> str:
    """The filter pattern matching every use of ``role_names`` (metric and subscription filter)."""
    if not role_names:
        raise ValueError("no break-glass roles to watch")
    assumed = " || ".join(f'($.requestParameters.roleArn = "*:role/{n}")' for n in role_names)
    switched = " || ".join(f'($.userIdentity.arn = "*:assumed-role/{n}/*")' for n in role_names)
    pattern = (
        '{ (($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && '
        f"({assumed})) || "
        '(($.eventSource = "signin.amazonaws.com") && ($.eventName = "SwitchRole") && '
        f"({switched})) }}"
    )
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"break-glass filter pattern is {len(pattern)} characters")
    return pattern


def insights_query(role_names: Sequence[str]) -> str:
    """A CloudWatch Logs Insights query listing who used which role, where and when."""
    names = "|".join(role_names)
    assumed = f"requestParameters.roleArn like /:role\\/({names})$/"
    switched = f"userIdentity.arn like /:assumed-role\\/({names})\\//"
    return (
        "fields @timestamp, recipientAccountId, userIdentity.arn, requestParameters.roleArn, "
        "sourceIPAddress, errorCode "
        f'| filter (eventName = "AssumeRole" and {assumed})'
        f' or (eventName = "SwitchRole" and {switched})'
        " | sort @timestamp desc"
    )
