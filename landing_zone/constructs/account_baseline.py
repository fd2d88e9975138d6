"""What every account gets in every governed region: AWS Config recording, and account hygiene.

One construct serves both deliveries: the member StackSet template (every
member account, auto-deployed) and the management account's ordinary stacks
(StackSets never deploy there). The template is region-agnostic: what only
the home region gets (global IAM types in the recorder, the account password
policy) hangs on a CloudFormation condition, not on a synth-time region.

Settings with no CloudFormation type go through one inline Lambda
(``landing_zone/lambdas/account_baseline.py``): inline because StackSet
targets have no asset bucket (docs/architecture.md, "One credential,
StackSets as the engine").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import (
    Acknowledgment,
    Aws,
    CfnCondition,
    CfnResource,
    CustomResource,
    Fn,
    RemovalPolicy,
    Validations,
)
from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_config as config_
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from landing_zone.config import ConfigRecorderConfig, PasswordPolicyConfig
from landing_zone.constructs.backup_vault import BackupVault, BackupVaultSpec
from landing_zone.constructs.handler import SERVICE_TIMEOUT, add_handler
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.naming import resource_name

# Config records these in every region where the recorder runs, although
# they are global: recorded in the home region only, they are not paid for
# and evaluated once per governed region. (Global types added to Config after
# February 2022 are recorded in their home region anyway.)
# See: https://docs.aws.amazon.com/config/latest/developerguide/select-resources.html#select-resources-all
GLOBAL_RESOURCE_TYPES = (
    "AWS::IAM::Group",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::RDS::GlobalCluster",
)
CONFIG_SERVICE = "config.amazonaws.com"


def recording_group(*, excluded: list[str], home: bool) -> dict[str, Any]:
    """The recorder's RecordingGroup in the home region or elsewhere."""
    excluded = sorted(set(excluded) | (set() if home else set(GLOBAL_RESOURCE_TYPES)))
    if not excluded:
        return {
            "AllSupported": True,
            "IncludeGlobalResourceTypes": True,
            "RecordingStrategy": {"UseOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        }
    # See: https://docs.aws.amazon.com/config/latest/APIReference/API_ExclusionByResourceTypes.html
    return {
        "AllSupported": False,
        "IncludeGlobalResourceTypes": False,
        "RecordingStrategy": {"UseOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
        "ExclusionByResourceTypes": {"ResourceTypes": excluded},
    }


def recording_mode(*, daily: list[str], home: bool) -> dict[str, Any]:
    """Continuous recording, with the configured types once a day (those recorded here)."""
    daily = sorted(t for t in daily if home or t not in GLOBAL_RESOURCE_TYPES)
    mode: dict[str, Any] = {"RecordingFrequency": "CONTINUOUS"}
    if daily:
        mode["RecordingModeOverrides"] = [
            {
                "Description": "High-churn types recorded daily (config: daily_resource_types)",
                "RecordingFrequency": "DAILY",
                "ResourceTypes": daily,
            }
        ]
    return mode


# Read-only, and maintained by AWS as services are added: SecurityAudit reads
# security configuration metadata, ViewOnlyAccess lists resources and their
# basic metadata in every service. Neither reads data (objects, items,
# secrets, log events).
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/SecurityAudit.html
# See: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/ViewOnlyAccess.html
INVESTIGATION_POLICIES = ("SecurityAudit", "job-function/ViewOnlyAccess")


@dataclass(frozen=True)
class InvestigationRoleSpec:
    """The investigation role of one baseline: its name, who may assume it, for how long."""

    role_name: str
    #: The audit account (a literal, or a StackSet parameter in the member template).
    audit_account_id: str
    max_session_hours: int


def investigation_trust_policy(*, audit_account_id: str, partition: str) -> dict[str, Any]:
    """Only principals of the audit account may assume the role.

    The account principal delegates to the audit account's own IAM policies
    (who there may call sts:AssumeRole on this role); aws:PrincipalAccount
    says the same thing as a condition, so the statement cannot be widened
    by editing the principal alone. No MFA condition: the security team
    signs in through IAM Identity Center, whose AWSReservedSSO_* role
    sessions carry no MFA context a trust policy could test (Identity Center
    enforces MFA at sign-in).
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
    See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AuditAccountOnly",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{audit_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": audit_account_id}},
            }
        ],
    }


def _per_region(condition: CfnCondition, home: dict[str, Any], other: dict[str, Any]) -> Any:
    return home if home == other else Fn.condition_if(condition.logical_id, home, other)


class AccountBaseline(Construct):
    """Config recorder and delivery channel, plus the hygiene items ``config`` switches on."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        recorder: ConfigRecorderConfig,
        password_policy: PasswordPolicyConfig,
        ebs_encryption_by_default: bool,
        account_access_analyzer: bool,
        remove_default_vpc: bool,
        home_region: str,
        config_bucket_name: str,
        key_arn: str,
        investigation_role: InvestigationRoleSpec | None = None,
        backup_vault: BackupVaultSpec | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Pseudo parameters, not synth-time values: the same ARNs (and cdk-nag
        # acknowledgements) in the StackSet template and the regional stacks.
        partition = Aws.PARTITION
        self.is_home_region = CfnCondition(
            self, "IsHomeRegion", expression=Fn.condition_equals(Aws.REGION, home_region)
        )
        self.function = self._handler(
            prefix=prefix,
            ebs_encryption_by_default=ebs_encryption_by_default,
            password_policy=password_policy.enabled,
            remove_default_vpc=remove_default_vpc,
            partition=partition,
        )
        self.settings: dict[str, CustomResource] = {}

        # AWS Config with its service-linked role: no role to maintain, and
        # the one Security Hub's Config.1 control expects. The handler creates
        # the role if no region or service has yet.
        # See: https://docs.aws.amazon.com/config/latest/developerguide/using-service-linked-roles.html
        role = self._setting(
            "ConfigServiceLinkedRole", "ServiceLinkedRole", ServiceName=CONFIG_SERVICE
        )
        recorder_settings = recorder
        self.recorder = config_.CfnConfigurationRecorder(
            self,
            "ConfigRecorder",
            name=resource_name(prefix, "ConfigRecorder"),
            role_arn=role.get_att_string("Arn"),
        )
        # Written as CloudFormation JSON: the value differs per region through
        # Fn::If, which the typed L1 properties cannot hold.
        excluded = recorder_settings.excluded_resource_types
        daily = recorder_settings.daily_resource_types
        self.recorder.add_property_override(
            "RecordingGroup",
            _per_region(
                self.is_home_region,
                recording_group(excluded=excluded, home=True),
                recording_group(excluded=excluded, home=False),
            ),
        )
        self.recorder.add_property_override(
            "RecordingMode",
            _per_region(
                self.is_home_region,
                recording_mode(daily=daily, home=True),
                recording_mode(daily=daily, home=False),
            ),
        )
        # The Config bucket (no Object Lock: Config cannot deliver into it)
        # and the log-archive key, by alias ARN: the key id exists only in the
        # log-archive account, and Config accepts "a KMS key or alias ARN".
        # Without it Config would encrypt with SSE-S3, not the archive's key.
        # See: https://docs.aws.amazon.com/config/latest/developerguide/manage-delivery-channel.html
        self.delivery_channel = config_.CfnDeliveryChannel(
            self,
            "ConfigDeliveryChannel",
            name=resource_name(prefix, "ConfigDelivery"),
            s3_bucket_name=config_bucket_name,
            s3_kms_key_arn=key_arn,
            config_snapshot_delivery_properties=config_.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency=recorder_settings.snapshot_delivery_frequency
            ),
        )
        # A delivery channel needs a recorder; CloudFormation starts the
        # recorder once both exist (StartedOnCreate defaults to true).
        self.delivery_channel.add_resource_dependency(self.recorder)

        if ebs_encryption_by_default:
            # CIS AWS Foundations v3.0 2.2.1; Control Tower CT.EC2.PR.16.
            self._setting("EbsEncryptionByDefault", "EbsEncryptionByDefault")
        password = password_policy
        if password.enabled:
            # IAM is global: once per account, in the home region.
            policy = self._setting(
                "PasswordPolicy",
                "PasswordPolicy",
                MinimumPasswordLength=str(password.minimum_length),
                PasswordReusePrevention=str(password.reuse_prevention),
                MaxPasswordAge=str(password.max_age_days or 0),
                RequireSymbols=str(password.require_symbols).lower(),
                RequireNumbers=str(password.require_numbers).lower(),
                RequireUppercase=str(password.require_uppercase).lower(),
                RequireLowercase=str(password.require_lowercase).lower(),
            )
            resource = policy.node.default_child
            if not isinstance(resource, CfnResource):
                raise TypeError("CustomResource without a CfnResource child")
            resource.cfn_options.condition = self.is_home_region
        if account_access_analyzer:
            # Zone of trust: the account. It reports access from any other
            # account, this organization's included, which an organization
            # analyzer (zone of trust: the organization) deliberately ignores.
            # External-access analyzers are free.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-concepts.html#access-analyzer-zone-of-trust
            self.analyzer: accessanalyzer.CfnAnalyzer | None = accessanalyzer.CfnAnalyzer(
                self,
                "AccessAnalyzer",
                type="ACCOUNT",
                analyzer_name=resource_name(prefix, "AccountAnalyzer"),
            )
        else:
            self.analyzer = None
        if remove_default_vpc:
            self._setting("DefaultVpcRemoval", "DefaultVpcRemoval")
        self.investigation_role = (
            self._investigation_role(investigation_role, partition=partition)
            if investigation_role is not None
            else None
        )
        self.backup_vault = (
            BackupVault(
                self, "Backup", prefix=prefix, is_home_region=self.is_home_region, spec=backup_vault
            )
            if backup_vault is not None
            else None
        )

    def _investigation_role(self, spec: InvestigationRoleSpec, *, partition: str) -> iam.CfnRole:
        """Read-only ``<Prefix>-Investigation`` for the audit account; IAM is global: home only."""
        role = iam.CfnRole(
            self,
            "InvestigationRole",
            role_name=spec.role_name,
            description="Landing zone: read-only investigation by the audit account "
            "(SecurityAudit, ViewOnlyAccess)",
            assume_role_policy_document=investigation_trust_policy(
                audit_account_id=spec.audit_account_id, partition=partition
            ),
            managed_policy_arns=[
                f"arn:{partition}:iam::aws:policy/{policy}" for policy in INVESTIGATION_POLICIES
            ],
            # Applies to console switch-role sessions; CLI and API sessions
            # assumed with another role's credentials are capped at one hour
            # (role chaining) whatever this says.
            # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use.html
            max_session_duration=spec.max_session_hours * 3600,
        )
        role.cfn_options.condition = self.is_home_region
        Validations.of(role).acknowledge(
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
                    reason=reason,
                )
                for policy, reason in (
                    (
                        "SecurityAudit",
                        "AWS maintains SecurityAudit as services are added: the read-only "
                        "security configuration an investigator needs, which a customer "
                        "managed copy would let fall behind",
                    ),
                    (
                        "job-function/ViewOnlyAccess",
                        "AWS maintains ViewOnlyAccess as services are added: list and describe "
                        "every resource without reading its data, which a customer managed "
                        "copy would let fall behind",
                    ),
                )
            )
        )
        return role

    def _setting(self, construct_id: str, setting: str, **properties: str) -> CustomResource:
        resource = CustomResource(
            self,
            construct_id,
            service_token=self.function.function_arn,
            resource_type=f"Custom::{setting}",
            properties={"Setting": setting, **properties},
            service_timeout=SERVICE_TIMEOUT,
            # Delete is a no-op by design (see the handler); Retain says so here too.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.settings[setting] = resource
        return resource

    def _handler(
        self,
        *,
        prefix: str,
        ebs_encryption_by_default: bool,
        password_policy: bool,
        remove_default_vpc: bool,
        partition: str,
    ) -> lambda_.Function:
        """The settings' function, allowed exactly the actions of the settings that are on."""
        # Unnamed, retained log group: an account that leaves the targets and
        # comes back gets a new one instead of a name clash with the old one.
        # The ids are those of the resources already in every member account:
        # a new logical id would replace the named role and function there.
        handler = add_handler(
            self,
            ids=("HandlerLogs", "HandlerRole", "Handler"),
            description="Landing zone: account baseline settings with no CloudFormation type",
            role_description="Applies the landing zone's account baseline settings",
            code=lambda_.Code.from_inline(inline_handler("account_baseline")),
            handler="index.handler",
            # Named <Prefix>-... so the guardrails protect them; IAM names are
            # global, so the role carries the region.
            role_name=f"{resource_name(prefix, 'BaselineHandler')}-{Aws.REGION}",
            function_name=resource_name(prefix, "BaselineHandler"),
        )
        role = handler.role
        account = Aws.ACCOUNT_ID
        config_role = f"arn:{partition}:iam::{account}:role/aws-service-role/{CONFIG_SERVICE}/*"
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:CreateServiceLinkedRole"],
                resources=[config_role],
                conditions={"StringEquals": {"iam:AWSServiceName": CONFIG_SERVICE}},
            )
        )
        # These actions support no resource-level permissions.
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
        unscoped = ["iam:ListRoles"]
        if ebs_encryption_by_default:
            unscoped += ["ec2:EnableEbsEncryptionByDefault", "ec2:GetEbsEncryptionByDefault"]
        if password_policy:
            unscoped += ["iam:UpdateAccountPasswordPolicy", "iam:GetAccountPasswordPolicy"]
        if remove_default_vpc:
            unscoped += [
                "ec2:DescribeInternetGateways",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcs",
            ]
            region_arn = f"arn:{partition}:ec2:{Aws.REGION}:{account}"
            role.add_to_policy(
                iam.PolicyStatement(
                    # EC2 cannot tell a default VPC by ARN; the handler checks
                    # is-default and that nothing uses it before any delete.
                    actions=[
                        "ec2:DeleteInternetGateway",
                        "ec2:DeleteSubnet",
                        "ec2:DeleteVpc",
                        "ec2:DetachInternetGateway",
                    ],
                    resources=[
                        f"{region_arn}:internet-gateway/*",
                        f"{region_arn}:subnet/*",
                        f"{region_arn}:vpc/*",
                    ],
                )
            )
        role.add_to_policy(iam.PolicyStatement(actions=sorted(unscoped), resources=["*"]))
        acknowledgments = [
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="iam:ListRoles, the EBS default-encryption, password-policy and EC2 "
                "Describe actions support no resource-level permissions",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:"
                f"role/aws-service-role/{CONFIG_SERVICE}/*]",
                reason="Only AWS Config's own service-linked role can be created "
                "(iam:AWSServiceName condition); its name is AWS-defined",
            ),
        ]
        if remove_default_vpc:
            acknowledgments += [
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:"
                    f"<AWS::AccountId>:{kind}/*]",
                    reason="The default VPC's id differs per account and region; the handler "
                    "deletes only the VPC marked is-default, and only when nothing uses it",
                )
                for kind in ("internet-gateway", "subnet", "vpc")
            ]
        Validations.of(role).acknowledge(*acknowledgments)
        return handler.function
