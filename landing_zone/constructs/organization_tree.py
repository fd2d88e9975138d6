"""The OU tree and the accounts placed in it (management account, AWS Organizations)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from aws_cdk import CfnResource, CfnTag, RemovalPolicies
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from landing_zone.config import AccountConfig, OrganizationalUnitConfig
from landing_zone.naming import pascal


class OrganizationTree(Construct):
    """Native OUs nested under the root (or a core OU), created accounts placed in them.

    Logical ids come from config keys only (``OuRetailProd``, ``AccountNetwork``),
    never from display names or list positions, so renaming an OU updates it in
    place and reordering the config changes nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        parent_id: str,
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
                parent_id=parent_id if parent is None else self.units[parent].attr_id,
                tags=[*cfn_tags, CfnTag(key="landing-zone:ou-key", value=key)],
            )
        #: account key -> account id (literal for adopted, token for created).
        self.account_ids = add_accounts(
            self,
            accounts=accounts,
            unit_ids={key: unit.attr_id for key, unit in self.units.items()},
            account_access_role_name=account_access_role_name,
            tags=tags,
        )


def add_accounts(
    scope: Construct,
    *,
    accounts: Iterable[tuple[str, AccountConfig]],
    unit_ids: Mapping[str, str],
    account_access_role_name: str,
    tags: Mapping[str, str],
) -> AccountIds:
    """Create ``accounts`` in ``scope`` one after another; return key -> account id.

    Adopted accounts are referenced by id only, never moved or closed. The
    logical id (``Account<Key>`` under ``scope``) is the same in the
    organization stack and in an account stack, so moving an account between
    them is a plain ``cdk refactor``.
    """
    cfn_tags = [CfnTag(key=k, value=v) for k, v in sorted(tags.items())]
    # Deleting an account resource would start closing a real AWS account;
    # removing it from config must only stop managing it: DeletionPolicy and
    # UpdateReplacePolicy Retain. Applied once to the scope (an aspect that
    # runs at synth inside aws-cdk-lib) rather than per account: every
    # Python-to-jsii call costs about 0.7 ms, which 1,000 accounts notice.
    RemovalPolicies.of(scope).retain(apply_to_resource_types=["AWS::Organizations::Account"])
    account_ids = AccountIds()
    previous: CfnResource | None = None
    for key, account in accounts:
        if account.email is None:
            account_ids.adopted[key] = str(account.account_id)
            continue
        created = organizations.CfnAccount(
            scope,
            f"Account{pascal(key)}",
            account_name=account.name,
            email=account.email,
            parent_ids=[unit_ids[account.ou]],
            role_name=account_access_role_name,
            tags=[*cfn_tags, CfnTag(key="landing-zone:account-key", value=key)],
        )
        # CloudFormation requires accounts in one template to be created
        # one at a time (Organizations allows 5 concurrent CreateAccount calls
        # and CloudFormation does not queue them).
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-account.html
        if previous is not None:
            created.add_resource_dependency(previous)
        previous = created
        account_ids.created[key] = created
    return account_ids


class AccountIds(Mapping[str, str]):
    """Account key -> id: the literal id of an adopted account, a token for a created one.

    The token is asked for only when a stack refers to the account (the
    core accounts, excluded accounts), not for each of a thousand accounts.
    """

    def __init__(self) -> None:
        self.adopted: dict[str, str] = {}
        self.created: dict[str, organizations.CfnAccount] = {}

    def include(self, other: AccountIds) -> None:
        """Add the accounts of another stack (an account stack's)."""
        self.adopted.update(other.adopted)
        self.created.update(other.created)

    def __getitem__(self, key: str) -> str:
        if key in self.adopted:
            return self.adopted[key]
        return self.created[key].attr_account_id

    def __iter__(self) -> Iterator[str]:
        yield from self.adopted
        yield from self.created

    def __len__(self) -> int:
        return len(self.adopted) + len(self.created)
