"""Delivering every member account's AWS Health key-exposure events to the remediation pipeline.

AWS Health puts an ``AWS_RISK_CREDENTIALS_EXPOSED`` event on the default
event bus of the affected account only, and, IAM being a global service, in
the regions Health emits global events to: US East (N. Virginia) with US West
(Oregon) as its backup in the commercial partition, AWS GovCloud (US-West)
in GovCloud. The remediation rule lives in the audit account's home region,
so each baselined account forwards exactly these events there:

- ``<Prefix>-HealthEventsForward`` (an EventBridge rule on each account's
  default bus, in each of :func:`health_event_regions`) targets the audit
  account's home-region default bus through
  ``<Prefix>-HealthEventsForwarder-<region>``, a role only that rule of that
  account may have EventBridge assume;
- the audit bus accepts ``events:PutEvents`` only from those roles of the
  organization's accounts, and only for AWS Health events
  (:func:`bus_policy_statement`).

Why a forged event cannot make the function act on another account's key:
``PutEvents`` refuses a ``source`` starting with ``aws.``, so an
``aws.health`` event exists only where AWS Health put it, on the affected
account's own bus; an account's rules see only its own bus, and EventBridge
does not pass an event received from another account on to a third. The
event that reaches the audit bus from account A is therefore one Health
emitted for A, and its ``account`` is A: the account the function acts in.

This module is pure (no aws_cdk): the constructs, the deploy plan and
verify share it.

See: https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html
See: https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from landing_zone.naming import resource_name, stack_id
from landing_zone.remediation.playbooks import BY_KEY, event_pattern

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

#: The playbook whose events are forwarded.
PLAYBOOK = "exposed-access-key"
#: Where AWS Health emits global events (IAM's among them), by partition: the
#: primary region first, then its backup. Health sends an event to both; the
#: function is idempotent (a second run records ``unchanged``).
#: See: https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html
GLOBAL_EVENT_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": ("us-east-1", "us-west-2"),
    "aws-us-gov": ("us-gov-west-1",),
}
#: The rule in every member account, and the role EventBridge assumes for it.
RULE = "HealthEventsForward"
ROLE = "HealthEventsForwarder"
#: The stack (management account, home region) and its StackSet.
STACK = "HealthEvents"
STACK_SET = "HealthEventsForward"
#: The bus policy statement on the audit account's home-region default bus.
STATEMENT_ID = "HealthEventsFromOrganization"
#: What the rule forwards and the bus accepts (the playbook's own rule matches the same).
SOURCE = "aws.health"
DETAIL_TYPE = "AWS Health Event"


def forwarding_enabled(config: LandingZoneConfig) -> bool:
    """Whether the forwarding deploys: a core fork whose exposed-access-key playbook runs."""
    return not config.business_unit and config.remediation.modes()[PLAYBOOK] != "off"


def health_event_regions(partition: str) -> tuple[str, ...]:
    """The regions to forward from in ``partition``; KeyError where AWS documents none."""
    return GLOBAL_EVENT_REGIONS[partition]


def forward_pattern() -> dict[str, Any]:
    """The forwarding rule's pattern: exactly the playbook's (``source`` aws.health, RISK)."""
    return event_pattern(BY_KEY[PLAYBOOK])


def rule_name(prefix: str) -> str:
    return resource_name(prefix, RULE)


def role_name(prefix: str, region: str) -> str:
    """``<Prefix>-HealthEventsForwarder-<region>``: IAM names are global, one per region."""
    return resource_name(prefix, f"{ROLE}-{region}")


def stack_set_name(prefix: str) -> str:
    return stack_id(prefix, STACK_SET)


def bus_policy_statement(
    *, prefix: str, organization_id: str, partition: str, bus_arn: str
) -> dict[str, Any]:
    """The audit bus statement: the organization's forwarder roles, AWS Health events only.

    ``aws:PrincipalOrgID`` is the organization condition EventBridge documents
    for bus permissions; the role name pattern narrows it to the forwarders
    (``<Prefix>-*`` roles only the StackSets may create), and ``events:source``
    / ``events:detail-type`` to the events they send, as EventBridge's own
    cross-account example does (ForAllValues: a PutEvents request may carry
    several entries).
    See: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Condition.html
    See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    """
    # No Sid: the EventBusPolicy's StatementId names the statement.
    return {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": bus_arn,
        "Condition": {
            "StringEquals": {"aws:PrincipalOrgID": organization_id},
            "ArnLike": {
                "aws:PrincipalArn": f"arn:{partition}:iam::*:role/{role_name(prefix, '*')}"
            },
            "ForAllValues:StringEquals": {
                "events:source": [SOURCE],
                "events:detail-type": [DETAIL_TYPE],
            },
        },
    }
