"""Custom resources of the Identity Center stacks: resolve names to the ids assignments need.

Runs in the management account, in the Identity Center instance's region.
CloudFormation's ``AWS::SSO::Assignment`` takes a group's id and an account's
id; the config names a group by its display name and a created account by
its key. Two resource types resolve them at deploy time:

- ``Custom::IdentityStoreGroup`` (``IdentityStoreId``, ``DisplayName``):
  identitystore:GetGroupId with the unique attribute ``DisplayName``; the
  group's id is the attribute ``GroupId`` and the physical id. A group that
  does not exist fails with its name and what to do: this app never creates
  groups (they come from the identity source, usually by SCIM).
  See: https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_GetGroupId.html
- ``Custom::AccountIds`` (``Emails``): one organizations:ListAccounts walk,
  and the id of each email's account as attribute ``A<index>``. Created
  accounts' ids are tokens of the organization or account stacks, which
  may be in another region and would each cost an output; the email is
  unique in the organization and known from config.
  See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html

Both only read: Update resolves again, Delete does nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        retrying,
        run,
    )
except ImportError:  # the Lambda's inline code: both files merged
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        retrying,
        run,
    )

THROTTLED = {"ThrottlingException", "TooManyRequestsException", "InternalServerException"}
GROUP_TYPE = "Custom::IdentityStoreGroup"
ACCOUNTS_TYPE = "Custom::AccountIds"


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    kind = event.get("ResourceType")
    apply = resolve_group if kind == GROUP_TYPE else resolve_accounts
    run(event, context, physical_id=_physical_id, apply=apply, delete=_nothing)


def _physical_id(properties: dict[str, Any]) -> str:
    if "DisplayName" in properties:
        return f"group/{properties['IdentityStoreId']}/{properties['DisplayName']}"
    emails = properties.get("Emails")
    if not isinstance(emails, list) or not emails:
        raise CustomResourceError("Emails must be a non-empty list")
    return f"accounts/{len(emails)}/{emails[0]}"


def _nothing(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
    LOG.info("Delete of %s: a lookup, nothing to undo", physical_id)
    return {}


def resolve_group(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """The id of the group named ``DisplayName`` in identity store ``IdentityStoreId``."""
    store, name = properties["IdentityStoreId"], properties["DisplayName"]
    identitystore = client("identitystore", region_name=own_region())
    try:
        answer = retrying(
            partial(
                identitystore.get_group_id,
                IdentityStoreId=store,
                AlternateIdentifier={
                    "UniqueAttribute": {"AttributePath": "DisplayName", "AttributeValue": name}
                },
            ),
            deadline,
            THROTTLED,
        )
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise CustomResourceError(
                f"no group named '{name}' in identity store {store}: create or sync the group "
                "in your identity source (SCIM), or fix the name in "
                "identity.identity_center.assignments"
            ) from None
        raise
    LOG.info("group '%s' is %s", name, answer["GroupId"])
    return {"GroupId": answer["GroupId"]}


def resolve_accounts(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """``A<i>``: the id of the organization's account whose email is ``Emails[i]``."""
    emails = [str(email).lower() for email in properties["Emails"]]
    organizations = client("organizations", region_name=own_region())
    by_email: dict[str, str] = {}
    token = None
    while True:
        page = retrying(
            partial(organizations.list_accounts, **({"NextToken": token} if token else {})),
            deadline,
            THROTTLED,
        )
        by_email.update((a["Email"].lower(), a["Id"]) for a in page["Accounts"])
        token = page.get("NextToken")
        if not token:
            break
    missing = [email for email in emails if email not in by_email]
    if missing:
        raise CustomResourceError(
            f"no account of the organization has the email {', '.join(missing)}: "
            "deploy the organization and account stacks first, or fix the email"
        )
    return {f"A{index}": by_email[email] for index, email in enumerate(emails)}
