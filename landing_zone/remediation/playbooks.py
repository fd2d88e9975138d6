"""The remediation playbooks: ONE table, everything else derives from it.

Each row says which finding it answers (source, finding type or control id,
severity), what the remediation function does, the IAM actions that needs in
the target account, and its default mode. From the rows come:

- the EventBridge patterns of the audit account's remediation rules
  (:func:`event_pattern`);
- the policy of ``<Prefix>-Remediation`` in every member account
  (:func:`role_actions`: exactly the actions of the playbooks that can act);
- the docs (docs/response.md lists the rows).

The function's code (``lambdas/remediation.py``) has one action per row;
tests/test_remediation.py proves that every row has one, and that each
playbook calls exactly the IAM actions its row grants.

Sources, verified in AWS's documentation:

- GuardDuty finding events (``aws.guardduty``, ``GuardDuty Finding``);
  ``detail.type`` is the finding type.
  See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
  See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
- Security Hub control findings (``aws.securityhub``, ``Security Hub Findings -
  Imported``); with consolidated control findings the control id is
  ``Compliance.SecurityControlId``.
  See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html
  See: https://docs.aws.amazon.com/securityhub/latest/userguide/asff-top-level-attributes.html
- AWS Health events (``aws.health``, ``AWS Health Event``), ``eventTypeCode``
  ``AWS_RISK_CREDENTIALS_EXPOSED``, the key in ``affectedEntities``.
  See: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-health.html
  See: https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Source = Literal["guardduty", "securityhub", "health"]
Mode = Literal["off", "dry-run", "on"]
MODES: tuple[Mode, ...] = ("off", "dry-run", "on")

#: A resource carrying this tag (value ``skip``) is left alone, and the skip recorded.
SKIP_TAG = ("landing-zone:remediation", "skip")
#: The tag the function puts on what it acted on (the finding's digest): not the skip key.
MARK_TAG = "landing-zone:remediation-finding"

# The inline policy the IAM console's "Revoke active sessions" attaches: deny
# everything to sessions issued before a time. A role session issued after it
# is not affected, so the instance gets fresh credentials from its profile.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"


@dataclass(frozen=True)
class Playbook:
    """One row: which finding, what is done, with which IAM actions, in which mode by default."""

    key: str
    title: str
    source: Source
    #: GuardDuty finding types, Security Hub control ids or Health event type codes.
    types: tuple[str, ...]
    #: GuardDuty: the lowest severity (numeric); Security Hub: the lowest label.
    #: None: every severity the source gives these types.
    min_severity: float | str | None
    #: What the function does (docs/response.md).
    action: str
    #: IAM actions the function calls in the target account to read the before state.
    reads: tuple[str, ...]
    #: IAM actions it calls to act (``on`` only; granted only then).
    writes: tuple[str, ...]
    default_mode: Mode
    #: Whether the playbook honours the skip tag (see docs/response.md: where no
    #: guardrail can keep workload principals from setting it, it is ignored).
    honours_skip: bool
    #: Where the row's facts are documented.
    see: tuple[str, ...]

    @property
    def acts(self) -> bool:
        """Alert-only rows change nothing and need no permission."""
        return bool(self.writes)

    def actions(self, mode: Mode) -> tuple[str, ...]:
        """The IAM actions the row needs in ``mode``: none off, reads in dry-run, all when on."""
        if mode == "off":
            return ()
        return tuple(sorted({*self.reads, *(self.writes if mode == "on" else ())}))


PLAYBOOKS: tuple[Playbook, ...] = (
    Playbook(
        key="instance-credential-exfiltration",
        title="EC2 instance credentials used from outside the instance",
        source="guardduty",
        types=(
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
        ),
        min_severity=None,
        action="Deny the instance role's sessions issued before now (inline policy "
        f"{REVOKE_POLICY_NAME}, aws:TokenIssueTime), tag the instance with the finding and "
        "snapshot each of its EBS volumes for forensics",
        reads=(
            "ec2:DescribeInstances",
            "ec2:DescribeSnapshots",
            "iam:GetRolePolicy",
            "iam:ListRoleTags",
        ),
        writes=("ec2:CreateSnapshot", "ec2:CreateTags", "iam:PutRolePolicy"),
        default_mode="dry-run",
        honours_skip=True,
        see=(
            "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html",
            "https://docs.aws.amazon.com/guardduty/latest/ug/compromised-creds.html",
        ),
    ),
    Playbook(
        key="public-s3-bucket",
        title="S3 bucket allows public read or write, or lacks bucket Block Public Access",
        source="securityhub",
        types=("S3.2", "S3.3", "S3.8"),
        min_severity=None,
        action="Turn all four Block Public Access settings on for the bucket",
        reads=("s3:GetBucketPublicAccessBlock",),
        writes=("s3:PutBucketPublicAccessBlock",),
        default_mode="dry-run",
        # s3:PutBucketTagging takes no aws:TagKeys condition key, so no
        # guardrail can keep a workload principal from tagging its own public
        # bucket "skip": a bucket that must stay public is handled by turning
        # the playbook off or suppressing the finding, both reviewed changes.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
        honours_skip=False,
        see=(
            "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html",
        ),
    ),
    Playbook(
        key="open-admin-ports",
        title="Security group open to 0.0.0.0/0 or ::/0 on port 22 or 3389",
        source="securityhub",
        types=("EC2.13", "EC2.14"),
        min_severity=None,
        action="Revoke exactly the ingress rules that open the control's port (22 for "
        "EC2.13, 3389 for EC2.14) to 0.0.0.0/0 or ::/0, by security group rule id",
        reads=("ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"),
        writes=("ec2:RevokeSecurityGroupIngress",),
        default_mode="dry-run",
        honours_skip=True,
        see=(
            "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html",
            "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html",
        ),
    ),
    Playbook(
        key="exposed-access-key",
        title="IAM access key exposed publicly (AWS Health)",
        source="health",
        # GuardDuty has no finding for a key published on the internet; its
        # IAM findings report a key's anomalous use, which is not proof of
        # exposure. AWS Health's risk event is the documented signal.
        # See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html
        types=("AWS_RISK_CREDENTIALS_EXPOSED",),
        min_severity=None,
        action="Deactivate the access key (UpdateAccessKey Inactive: reversible, unlike delete)",
        reads=("iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:ListUserTags"),
        writes=("iam:UpdateAccessKey",),
        default_mode="dry-run",
        honours_skip=True,
        see=(
            "https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-health.html",
            "https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html",
        ),
    ),
    Playbook(
        key="root-activity",
        title="Root user activity in a member account",
        source="guardduty",
        types=("Policy:IAMUser/RootCredentialUsage",),
        min_severity=None,
        action="Alert only: record the decision and tell the findings topic; never act",
        reads=(),
        writes=(),
        default_mode="dry-run",
        honours_skip=False,
        see=("https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html",),
    ),
)

#: How the product ARN of Security Hub's own control findings ends
#: (``arn:<partition>:securityhub:<region>::product/aws/securityhub``): no
#: account, and the product id ``aws/securityhub``. A custom integration's
#: findings carry ``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``
#: (an account, so never this suffix).
#: See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-custom-providers.html
SECURITY_HUB_PRODUCT_SUFFIX = "::product/aws/securityhub"

BY_KEY: dict[str, Playbook] = {playbook.key: playbook for playbook in PLAYBOOKS}


def event_pattern(playbook: Playbook, *, accounts: Sequence[str] | None = None) -> dict[str, Any]:
    """The EventBridge pattern of ``playbook``'s rule (audit account, home region).

    Security Hub: FAILED, ACTIVE, NEW findings only, so the function's own
    workflow update (NOTIFIED or RESOLVED) raises no second run; and only
    findings of Security Hub's own controls (product ``aws/securityhub``):
    any account may import a finding of its own (BatchImportFindings, the
    default product ``<account>/default``) with any control id and resource,
    and an allow-listed partner may import findings naming other accounts,
    so a control id alone is no proof that Security Hub evaluated anything.
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html
    See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html
    See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-suffix-matching
    """
    if playbook.source == "guardduty":
        detail: dict[str, Any] = {"type": list(playbook.types)}
        if isinstance(playbook.min_severity, float):
            detail["severity"] = [{"numeric": [">=", playbook.min_severity]}]
        if accounts is not None:
            detail["accountId"] = list(accounts)
        return {"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"], "detail": detail}
    if playbook.source == "securityhub":
        findings: dict[str, Any] = {
            "ProductArn": [{"suffix": SECURITY_HUB_PRODUCT_SUFFIX}],
            "Compliance": {
                "SecurityControlId": list(playbook.types),
                "Status": ["FAILED"],
            },
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
        }
        if accounts is not None:
            findings["AwsAccountId"] = list(accounts)
        return {
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported"],
            "detail": {"findings": findings},
        }
    pattern: dict[str, Any] = {
        "source": ["aws.health"],
        "detail-type": ["AWS Health Event"],
        "detail": {"service": ["RISK"], "eventTypeCode": list(playbook.types)},
    }
    if accounts is not None:
        pattern["account"] = list(accounts)
    return pattern


def role_actions(modes: dict[str, Mode]) -> tuple[str, ...]:
    """What ``<Prefix>-Remediation`` is allowed: each playbook's actions in its mode.

    A dry run reads the before state through the role and is granted only
    the reads, so IAM too keeps it from changing anything; alert-only rows
    add nothing.
    """
    return tuple(
        sorted(
            {
                action
                for playbook in PLAYBOOKS
                for action in playbook.actions(modes.get(playbook.key, playbook.default_mode))
            }
        )
    )
