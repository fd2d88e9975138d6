"""Custom resource: enable one AWS Organizations feature that has no CloudFormation type.

Runs in the management account (Python 3.12, boto3 from the Lambda runtime).
One resource enables one thing, named by two properties:

- ``Feature: PolicyType``, ``Value: SERVICE_CONTROL_POLICY`` -> EnablePolicyType on the root
- ``Feature: TrustedService``, ``Value: guardduty.amazonaws.com`` -> EnableAWSServiceAccess
  (for ``member.org.stacksets.cloudformation.amazonaws.com`` AWS requires
  cloudformation:ActivateOrganizationsAccess instead)
- ``Feature: RootAccess``, ``Value: RootCredentialsManagement | RootSessions`` ->
  iam:EnableOrganizationsRootCredentialsManagement / EnableOrganizationsRootSessions
  (centralized root access for member accounts; needs trusted access for
  ``iam.amazonaws.com`` first, which the TrustedService resource before it enables)

Rules (those of every handler, ``custom_resource.py``, which answers CloudFormation):
- Idempotent: "already enabled" is success; Create twice is a no-op.
- Update enables the new value; the old value is left enabled (see Delete).
- Delete is deliberately a no-op. Disabling a policy type detaches every policy
  of that type across the organization, and disabling trusted access breaks the
  service's delegated administration; both are done by hand, on purpose.
  Disabling root credentials management would let a member's root user
  recover a password again (and hide the root credentials the management
  account can see and delete), and disabling root sessions takes away the
  one way to unlock a bucket or queue whose policy denies everyone; also
  done by hand, on purpose.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        client,
        own_region,
        retrying,
        run,
        seconds_left,
        sleep,
    )
except ImportError:  # the Lambda asset: both files at the root of the zip
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        client,
        own_region,
        retrying,
        run,
        seconds_left,
        sleep,
    )

STACKSETS_PRINCIPAL = "member.org.stacksets.cloudformation.amazonaws.com"
# Organizations serialises changes; parallel calls fail with this and are safe to retry.
RETRYABLE = {"ConcurrentModificationException", "TooManyRequestsException"}
FEATURES = ("PolicyType", "TrustedService", "RootAccess")
# The centralized root access features, as ListOrganizationsFeatures names them.
# See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html
ROOT_ACCESS_FEATURES = ("RootCredentialsManagement", "RootSessions")
# IAM answers ServiceAccessNotEnabled until trusted access for
# iam.amazonaws.com, enabled by the resource before this one, has reached it.
ROOT_ACCESS_RETRYABLE = {*RETRYABLE, "ServiceAccessNotEnabledException"}


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    run(event, context, physical_id=_physical_id, apply=enable, delete=_keep_enabled)


def _keep_enabled(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
    LOG.info("Delete: %s stays enabled by design (see module docstring)", physical_id)
    return {}


def _physical_id(properties: dict[str, Any]) -> str:
    feature = properties.get("Feature")
    value = properties.get("Value")
    if feature not in FEATURES or not isinstance(value, str) or not value:
        raise CustomResourceError(
            f"ResourceProperties need Feature ({' | '.join(FEATURES)}) and a non-empty Value"
        )
    if feature == "RootAccess" and value not in ROOT_ACCESS_FEATURES:
        raise CustomResourceError(
            f"RootAccess Value must be one of {', '.join(ROOT_ACCESS_FEATURES)}, not {value!r}"
        )
    return f"{feature}/{value}"


def enable(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """Enable the feature the properties name; return response data."""
    feature, value = properties["Feature"], properties["Value"]
    if feature == "PolicyType":
        return {"Status": _enable_policy_type(value, deadline=deadline)}
    if feature == "RootAccess":
        return {"Status": _enable_root_access(value, deadline=deadline)}
    if value == STACKSETS_PRINCIPAL:
        retrying(
            lambda: client(
                "cloudformation", region_name=own_region()
            ).activate_organizations_access(),
            deadline,
            RETRYABLE,
        )
        return {"Status": "ENABLED"}
    organizations = client("organizations", region_name=own_region())
    retrying(
        lambda: organizations.enable_aws_service_access(ServicePrincipal=value),
        deadline,
        RETRYABLE,
    )
    return {"Status": "ENABLED"}


def _enable_policy_type(policy_type: str, *, deadline: float) -> str:
    organizations = client("organizations", region_name=own_region())
    roots = organizations.list_roots()["Roots"]
    if len(roots) != 1:
        raise CustomResourceError(f"expected one organization root, found {len(roots)}")
    root_id = roots[0]["Id"]
    status = _policy_type_status(roots[0], policy_type)
    if status == "ENABLED":
        LOG.info("%s already enabled on %s", policy_type, root_id)
        return status
    if status != "PENDING_ENABLE":
        try:
            retrying(
                lambda: organizations.enable_policy_type(RootId=root_id, PolicyType=policy_type),
                deadline,
                RETRYABLE,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "PolicyTypeAlreadyEnabledException":
                raise
    # Enabling is asynchronous; policies of this type cannot attach until ENABLED.
    delay = 2.0
    while True:
        root = organizations.list_roots()["Roots"][0]
        status = _policy_type_status(root, policy_type)
        if status == "ENABLED":
            LOG.info("%s enabled on %s", policy_type, root_id)
            return status
        if seconds_left(deadline) < delay:
            raise CustomResourceError(
                f"{policy_type} is still {status or 'not enabled'} on {root_id}; "
                "Organizations is slow to converge, retry the deployment in a few minutes"
            )
        sleep(delay)
        delay = min(delay * 2, 15.0)


def _policy_type_status(root: dict[str, Any], policy_type: str) -> str | None:
    for entry in root.get("PolicyTypes", []):
        if entry.get("Type") == policy_type:
            return str(entry.get("Status"))
    return None


def _enable_root_access(feature: str, *, deadline: float) -> str:
    """Enable one centralized root access feature unless ListOrganizationsFeatures lists it."""
    iam = client("iam", region_name=own_region())
    enabled = retrying(iam.list_organizations_features, deadline, ROOT_ACCESS_RETRYABLE)
    if feature in enabled.get("EnabledFeatures", []):
        LOG.info("%s already enabled", feature)
        return "ENABLED"
    enable = {
        # See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootCredentialsManagement.html
        "RootCredentialsManagement": iam.enable_organizations_root_credentials_management,
        # See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootSessions.html
        "RootSessions": iam.enable_organizations_root_sessions,
    }[feature]
    response = retrying(enable, deadline, ROOT_ACCESS_RETRYABLE)
    if feature not in response.get("EnabledFeatures", []):
        raise CustomResourceError(
            f"IAM answered {response.get('EnabledFeatures')} after enabling {feature}"
        )
    LOG.info("%s enabled for %s", feature, response.get("OrganizationId"))
    return "ENABLED"
