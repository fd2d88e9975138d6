"""The OU tree and the accounts placed in it (management account, AWS Organizations)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import CfnDeletionPolicy, CfnResource, CfnTag
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from landing_zone.config import AccountConfig, OrganizationalUnitConfig
from landing_zone.naming import pascal


class OrganizationTree(Construct):
    """Native OUs nested under the root, created accounts placed in them, adopted ones by id.

    Logical ids come from config keys only (``OuRetailProd``, ``AccountNetwork``),
    never from display names or list positions, so renaming an OU updates it in
    place and reordering the config changes nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        root_id: str,
        units: Iterable[tuple[str, OrganizationalUnitConfig, str | None, int]],
        accounts: Iterable[tuple[str, AccountConfig]],
        account_access_role_name: str,
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        cfn_tags = [CfnTag(key=k, value=v) for k, v in sorted(tags.items())]

        self.units: dict[str, organizations.CfnOrganizationalUnit] = {}
        for key, unit, parent, _depth in units:
            self.units[key] = organizations.CfnOrganizationalUnit(
                self,
                f"Ou{pascal(key)}",
                name=unit.name,
                parent_id=root_id if parent is None else self.units[parent].attr_id,
                tags=[*cfn_tags, CfnTag(key="landing-zone:ou-key", value=key)],
            )

        #: account key -> account id (literal for adopted, token for created).
        self.account_ids: dict[str, str] = {}

        previous: CfnResource | None = None
        for key, account in accounts:
            if account.email is None:
                # Adopted: referenced by id only, never moved or closed.
                self.account_ids[key] = str(account.account_id)
                continue
            created = organizations.CfnAccount(
                self,
                f"Account{pascal(key)}",
                account_name=account.name,
                email=account.email,
                parent_ids=[self.units[account.ou].attr_id],
                role_name=account_access_role_name,
                tags=[*cfn_tags, CfnTag(key="landing-zone:account-key", value=key)],
            )
            # Deleting this resource would start closing a real AWS account;
            # removing it from config must only stop managing it.
            created.cfn_options.deletion_policy = CfnDeletionPolicy.RETAIN
            created.cfn_options.update_replace_policy = CfnDeletionPolicy.RETAIN
            # CloudFormation requires accounts in one template to be created
            # one at a time (Organizations allows 5 concurrent CreateAccount calls
            # and CloudFormation does not queue them).
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-account.html
            if previous is not None:
                created.add_resource_dependency(previous)
            previous = created
            self.account_ids[key] = created.attr_account_id
