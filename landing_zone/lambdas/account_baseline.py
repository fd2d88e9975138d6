"""Custom resource: the account settings of the baseline that have no CloudFormation type.

Runs in every account and governed region the baseline reaches (inline
``ZipFile`` code in the member StackSet, the same code in the management
account's stacks). One resource applies one setting, named by ``Setting``:

- ``ServiceLinkedRole`` (``ServiceName``): iam:CreateServiceLinkedRole; a role
  that exists already (another region, another service, Control Tower) is
  success. Returns the role's ``Arn``.
- ``EbsEncryptionByDefault``: ec2:EnableEbsEncryptionByDefault in this region.
- ``PasswordPolicy`` (``MinimumPasswordLength``, ``PasswordReusePrevention``,
  ``MaxPasswordAge`` (0: never), ``RequireSymbols``/``Numbers``/``Uppercase``/
  ``Lowercase``): iam:UpdateAccountPasswordPolicy.
- ``DefaultVpcRemoval``: deletes this region's default VPC (internet gateway,
  subnets, VPC) only if nothing uses it: no network interface, no security
  group, route table or endpoint besides the defaults. Otherwise it keeps the
  VPC and says why in ``Result``: failing would roll back the whole baseline.

Every setting is idempotent: applying it again changes nothing. Delete is a
deliberate no-op for all of them: leaving a governed OU or switching an item
off in config stops managing it, it does not weaken the account (the role is
shared by every region and by other services, encryption and the password
policy stay as they are, and a deleted default VPC is not recreated).
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        run,
        seconds_left,
        sleep,
    )
except ImportError:  # a Lambda asset with both files at the root of the zip
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        client,
        error_code,
        own_region,
        run,
        seconds_left,
        sleep,
    )

# IAM is eventually consistent: a just-created role can take seconds before
# another service (Config) accepts it.
# See: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency
ROLE_SETTLE_SECONDS = 10.0


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    run(event, context, physical_id=_physical_id, apply=apply, delete=_keep)


def _physical_id(properties: dict[str, Any]) -> str:
    setting = properties.get("Setting")
    if setting not in SETTINGS:
        raise CustomResourceError(
            f"ResourceProperties need Setting, one of {', '.join(sorted(SETTINGS))}"
        )
    if setting == "ServiceLinkedRole":
        return f"{setting}/{_required(properties, 'ServiceName')}"
    return f"{setting}/{os.environ.get('AWS_REGION', 'unknown-region')}"


def apply(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    """Create and Update: apply the setting (idempotent)."""
    return SETTINGS[properties["Setting"]](properties, deadline)


def _keep(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
    LOG.info("Delete: %s is left as it is by design (see module docstring)", physical_id)
    return {}


def _required(properties: dict[str, Any], name: str) -> str:
    value = properties.get(name)
    if not isinstance(value, str) or not value:
        raise CustomResourceError(f"ResourceProperties need a non-empty {name}")
    return value


def _flag(properties: dict[str, Any], name: str) -> bool:
    # CloudFormation passes every custom-resource property as a string.
    value = str(properties.get(name, "")).lower()
    if value not in ("true", "false"):
        raise CustomResourceError(f"{name} must be true or false, not {value!r}")
    return value == "true"


def _number(properties: dict[str, Any], name: str) -> int:
    try:
        return int(str(properties.get(name)))
    except ValueError:
        raise CustomResourceError(f"{name} must be a whole number") from None


def _service_linked_role(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    service = _required(properties, "ServiceName")
    iam = client("iam", region_name=own_region())
    created = True
    try:
        iam.create_service_linked_role(AWSServiceName=service)
        LOG.info("created the service-linked role of %s", service)
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        taken = error_code(error) == "InvalidInput" and "has been taken" in message
        if not taken and error_code(error) != "EntityAlreadyExists":
            raise
        created = False
        LOG.info("the service-linked role of %s exists already", service)
    path = f"/aws-service-role/{service}/"
    delay = 1.0
    while True:
        roles = iam.list_roles(PathPrefix=path)["Roles"]
        if roles:
            break
        if seconds_left(deadline) < delay:
            raise CustomResourceError(f"no role under {path} after creating it; retry later")
        sleep(delay)
        delay = min(delay * 2, 10.0)
    if created:
        sleep(ROLE_SETTLE_SECONDS)
    return {"Arn": str(roles[0]["Arn"]), "Created": str(created).lower()}


def _ebs_encryption_by_default(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    enabled = client("ec2", region_name=own_region()).enable_ebs_encryption_by_default()[
        "EbsEncryptionByDefault"
    ]
    LOG.info("EBS encryption by default: %s", enabled)
    return {"Enabled": str(enabled).lower()}


def _password_policy(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    policy: dict[str, Any] = {
        "MinimumPasswordLength": _number(properties, "MinimumPasswordLength"),
        "PasswordReusePrevention": _number(properties, "PasswordReusePrevention"),
        "RequireSymbols": _flag(properties, "RequireSymbols"),
        "RequireNumbers": _flag(properties, "RequireNumbers"),
        "RequireUppercaseCharacters": _flag(properties, "RequireUppercase"),
        "RequireLowercaseCharacters": _flag(properties, "RequireLowercase"),
        "AllowUsersToChangePassword": True,
        "HardExpiry": False,
    }
    max_age = _number(properties, "MaxPasswordAge")
    if max_age:
        policy["MaxPasswordAge"] = max_age
    # UpdateAccountPasswordPolicy replaces the whole policy: an omitted
    # MaxPasswordAge means passwords never expire.
    client("iam", region_name=own_region()).update_account_password_policy(**policy)
    LOG.info("password policy set: %s", policy)
    return {"MinimumPasswordLength": str(policy["MinimumPasswordLength"])}


def _default_vpc_removal(properties: dict[str, Any], deadline: float) -> dict[str, str]:
    ec2 = client("ec2", region_name=own_region())
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        return {"Result": "no default VPC"}
    vpc_id = vpcs[0]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    uses = {
        "network interfaces": ec2.describe_network_interfaces(Filters=in_vpc)["NetworkInterfaces"],
        "security groups": [
            g
            for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
            if g["GroupName"] != "default"
        ],
        "route tables": [
            t
            for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
            if not any(a.get("Main") for a in t.get("Associations", []))
        ],
        "endpoints": ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"],
    }
    in_use = [f"{len(found)} {what}" for what, found in uses.items() if found]
    if in_use:
        result = f"kept {vpc_id}: in use ({', '.join(in_use)})"
        LOG.warning(result)
        return {"Result": result}
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    for gateway in gateways:
        ec2.detach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"])
    for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc_id)
    LOG.info("deleted default VPC %s", vpc_id)
    return {"Result": f"deleted {vpc_id}"}


SETTINGS = {
    "ServiceLinkedRole": _service_linked_role,
    "EbsEncryptionByDefault": _ebs_encryption_by_default,
    "PasswordPolicy": _password_policy,
    "DefaultVpcRemoval": _default_vpc_removal,
}
