"""Names shared by the organization backup policy and the vault the baseline puts in every account.

The backup policy (an organization policy, plain JSON) names a vault and an
IAM role by name, with ``$account`` standing for each account; the member
baseline StackSet creates exactly those in every baselined account and
governed region. Both sides take the names from here.
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
"""

from __future__ import annotations

from landing_zone.naming import kms_alias_name, resource_name


def backup_vault_name(prefix: str) -> str:
    """``Acme-Backup``: the vault in every account and governed region."""
    return resource_name(prefix, "Backup")


def backup_role_name(prefix: str) -> str:
    """``Acme-Backup``: the role AWS Backup assumes to back up and restore."""
    return resource_name(prefix, "Backup")


def backup_role_arn_in_policy(prefix: str, *, partition: str = "aws") -> str:
    """The role as a backup policy writes it: ``$account`` is each account the plan runs in.

    The syntax page writes ``arn:aws:iam::$account:role/...``; the partition is
    the organization's (aws-cn, aws-us-gov elsewhere), as in any IAM ARN.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
    """
    return f"arn:{partition}:iam::$account:role/{backup_role_name(prefix)}"


#: The key name of the vault's KMS key (``alias/<prefix>/landing-zone/backup``).
BACKUP_KEY = "backup"


def backup_key_alias(prefix: str) -> str:
    """``alias/acme/landing-zone/backup``: the vault's key in every account and region."""
    return kms_alias_name(prefix, BACKUP_KEY)
