"""Names derived from config keys: one function each, used everywhere."""

from __future__ import annotations


def pascal(key: str) -> str:
    """``retail-prod`` -> ``RetailProd``; ``SERVICE_CONTROL_POLICY`` -> ``ServiceControlPolicy``.

    Construct ids (and so CloudFormation logical ids) derive from stable config
    keys through this function, never from display names or list positions.
    """
    parts = key.replace("_", "-").replace(".", "-").split("-")
    return "".join(part[:1].upper() + part[1:].lower() for part in parts if part)


def stack_id(prefix: str, unit: str) -> str:
    """Stack ids carry the business unit, e.g. ``Acme-Organization``."""
    return f"{prefix}-{unit}"


MANAGED_BY_TAG = ("landing-zone:managed-by", "cdk-landing-zone")


def tags(prefix: str) -> dict[str, str]:
    """Tags every landing-zone resource carries."""
    return {"landing-zone:prefix": prefix, MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1]}


# Physical names the landing zone reserves. The guardrails protect resources by
# these names (IAM, Lambda, SNS, EventBridge and log-group ARNs carry names),
# so every stack must name its resources through these helpers.


def resource_name(prefix: str, name: str) -> str:
    """``Acme-AlarmTopic``: IAM roles, functions, topics and rules start ``<Prefix>-``."""
    return f"{prefix}-{name}"


def break_glass_role_name(prefix: str, key: str) -> str:
    """``Acme-BreakGlass-Primary``: the break-glass role of ``identity.break_glass.<key>``.

    Under ``<Prefix>-``, so protect-landing-zone-resources reserves it like
    every other landing-zone role, besides protect-privileged-roles.
    """
    return resource_name(prefix, f"BreakGlass-{pascal(key)}")


def log_group_name(prefix: str, name: str) -> str:
    """``/acme/landing-zone/<name>``: every landing-zone log group lives under this path."""
    return f"/{prefix.lower()}/landing-zone/{name}"


def log_archive_bucket_name(prefix: str, purpose: str, account: str, region: str) -> str:
    """``acme-log-archive-<purpose>-<account>-<region>``: globally unique, guardrail-protected."""
    return f"{prefix.lower()}-log-archive-{purpose}-{account}-{region}"


def kms_alias_name(prefix: str, name: str) -> str:
    """``alias/acme/landing-zone/<name>``: the landing zone's KMS key aliases."""
    return f"alias/{prefix.lower()}/landing-zone/{name}"


def kms_alias_arn(*, partition: str, region: str, account: str, prefix: str, name: str) -> str:
    """The alias ARN other accounts use for a key whose id only its own account knows."""
    return f"arn:{partition}:kms:{region}:{account}:{kms_alias_name(prefix, name)}"


# The central log bucket (Object Lock), the AWS Config bucket (Config cannot
# deliver into a bucket with Object Lock default retention) and the bucket
# holding their S3 server access logs.
LOG_BUCKET = "logs"
CONFIG_BUCKET = "config"
ACCESS_LOG_BUCKET = "access-logs"
ORGANIZATION_TRAIL = "OrganizationTrail"
#: The organization trail's CloudWatch Logs group, under log_group_name().
TRAIL_LOG_GROUP = "organization-trail"
LOG_ARCHIVE_KEY = "log-archive"


def trail_log_group_arn(*, partition: str, region: str, account: str, prefix: str) -> str:
    """ARN of the trail's log group; the monitoring key's policy names it before it exists."""
    name = log_group_name(prefix, TRAIL_LOG_GROUP)
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"
