"""Custom resource: make the audit account a service's delegated administrator.

Runs in the management account, one function per governed region (asset
code). One resource registers one account for one service, named by two
properties, ``Service`` and ``AccountId``:

- ``Service: organizations`` (with ``ServicePrincipal``, e.g.
  ``config.amazonaws.com``): organizations:RegisterDelegatedAdministrator,
  for services whose administrator is an Organizations registration only
  (AWS Config, IAM Access Analyzer). Global: the home region's stack does it.
- ``Service: guardduty``: guardduty:EnableOrganizationAdminAccount, per region.
- ``Service: inspector2``: inspector2:EnableDelegatedAdminAccount, per region.
- ``Service: macie2``: macie2:EnableOrganizationAdminAccount, per region.

Security Hub and Detective have CloudFormation types for this
(``AWS::SecurityHub::DelegatedAdmin``, ``AWS::Detective::OrganizationAdmin``)
and do not come here.

Rules (those of every handler, ``custom_resource.py``, which answers CloudFormation):
- Idempotent: an account already registered is success; Create twice is a no-op.
- A *different* account already administering the service fails with its id
  and how to change it: silently replacing an administrator would
  disassociate every member account from it.
- Update registers the new account the same way (and so fails while the old
  one is still the administrator, with the same explanation).
- Delete is deliberately a no-op: removing the delegated administrator
  disassociates every member and stops the service's organization-wide
  management. That is done by hand, on purpose (docs/detection.md says how).
"""

from __future__ import annotations

import os
from collections.abc import Callable
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
except ImportError:  # the Lambda asset: both files at the root of the zip
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        retrying,
        run,
    )

# Organizations serialises changes, and the services call it underneath;
# parallel registrations fail with these and are safe to retry.
RETRYABLE = {
    "ConcurrentModificationException",
    "TooManyRequestsException",
    "ThrottlingException",
}


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    run(event, context, physical_id=_physical_id, apply=register, delete=_keep_registered)


def _keep_registered(
    properties: dict[str, Any], physical_id: str, deadline: float
) -> dict[str, str]:
    LOG.info("Delete: %s stays the delegated administrator by design", physical_id)
    return {}


def _physical_id(properties: dict[str, Any]) -> str:
    service = properties.get("Service")
    account = properties.get("AccountId")
    if service not in SERVICES:
        raise CustomResourceError(
            f"ResourceProperties need Service, one of {', '.join(sorted(SERVICES))}"
        )
    if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        raise CustomResourceError("ResourceProperties need AccountId, a 12-digit account id")
    if service == "organizations":
        principal = properties.get("ServicePrincipal")
        if not isinstance(principal, str) or not principal.endswith(".amazonaws.com"):
            raise CustomResourceError(
                "Service organizations needs ServicePrincipal, e.g. config.amazonaws.com"
            )
        return f"organizations/{principal}/{account}"
    return f"{service}/{os.environ.get('AWS_REGION', 'unknown-region')}/{account}"


def register(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """Create and Update: make ``AccountId`` the administrator (idempotent)."""
    account = properties["AccountId"]
    status = SERVICES[properties["Service"]](account, properties, deadline)
    return {"AccountId": account, "Status": status}


def _other_admin(service: str, current: str, wanted: str) -> CustomResourceError:
    region = os.environ.get("AWS_REGION", "this region")
    return CustomResourceError(
        f"{service} in {region} is already administered by account {current}, not "
        f"{wanted}. Changing the delegated administrator disassociates every member "
        f"account, so this app never does it: remove {current} by hand (the "
        f"{service} console, Settings, or its disable-organization-admin-account API) "
        "and deploy again, or make it the audit account in config"
    )


def _organizations(account: str, properties: dict[str, Any], deadline: float) -> str:
    principal = properties["ServicePrincipal"]
    organizations = client("organizations", region_name=own_region())
    try:
        retrying(
            lambda: organizations.register_delegated_administrator(
                AccountId=account, ServicePrincipal=principal
            ),
            deadline,
            RETRYABLE,
        )
    except ClientError as error:
        if error_code(error) != "AccountAlreadyRegisteredException":
            raise
        LOG.info("%s already registered for %s", account, principal)
        return "ALREADY_REGISTERED"
    LOG.info("registered %s for %s", account, principal)
    return "REGISTERED"


def _designate(
    service: str,
    account: str,
    admins: list[str],
    enable: Callable[[], Any],
    deadline: float,
) -> str:
    """Make ``account`` the administrator unless it is one; refuse if another account is."""
    for admin in admins:
        if admin != account:
            raise _other_admin(service, admin, account)
    if admins:
        LOG.info("%s: %s is already the administrator", service, account)
        return "ALREADY_ENABLED"
    try:
        retrying(enable, deadline, RETRYABLE)
    except ClientError as error:
        # Raced with another region's or a previous attempt's designation.
        if error_code(error) != "ConflictException":
            raise
        return "ALREADY_ENABLED"
    LOG.info("%s: %s is now the administrator", service, account)
    return "ENABLED"


# The current administrator as each service's own API reports it in one
# region, read from the management account: the handler before it designates
# one, and `make verify` (landing_zone.verify) to compare with the audit account.


def guardduty_admins(guardduty: Any) -> list[str]:
    """GuardDuty's enabled administrator accounts in the client's region."""
    return [
        admin["AdminAccountId"]
        for admin in guardduty.list_organization_admin_accounts()["AdminAccounts"]
        if admin.get("AdminStatus") == "ENABLED"
    ]


def inspector_admins(inspector: Any) -> list[str]:
    """Inspector's delegated administrator in the client's region (none: empty)."""
    try:
        current = inspector.get_delegated_admin_account()["delegatedAdmin"]
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        current = {}
    active = current.get("relationshipStatus") in ("ENABLED", "CREATED")
    return [current["accountId"]] if active and current.get("accountId") else []


def macie_admins(macie: Any) -> list[str]:
    """Macie's enabled administrator accounts in the client's region."""
    return [
        admin["accountId"]
        for admin in macie.list_organization_admin_accounts()["adminAccounts"]
        if admin.get("status") == "ENABLED"
    ]


def _guardduty(account: str, properties: dict[str, Any], deadline: float) -> str:
    guardduty = client("guardduty", region_name=own_region())
    return _designate(
        "GuardDuty",
        account,
        guardduty_admins(guardduty),
        lambda: guardduty.enable_organization_admin_account(AdminAccountId=account),
        deadline,
    )


def _inspector(account: str, properties: dict[str, Any], deadline: float) -> str:
    inspector = client("inspector2", region_name=own_region())
    return _designate(
        "Inspector",
        account,
        inspector_admins(inspector),
        lambda: inspector.enable_delegated_admin_account(delegatedAdminAccountId=account),
        deadline,
    )


def _macie(account: str, properties: dict[str, Any], deadline: float) -> str:
    macie = client("macie2", region_name=own_region())
    return _designate(
        "Macie",
        account,
        macie_admins(macie),
        lambda: macie.enable_organization_admin_account(adminAccountId=account),
        deadline,
    )


SERVICES: dict[str, Callable[[str, dict[str, Any], float], str]] = {
    "organizations": _organizations,
    "guardduty": _guardduty,
    "inspector2": _inspector,
    "macie2": _macie,
}
