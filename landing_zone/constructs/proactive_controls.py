"""Proactive controls: a CloudFormation Guard hook in every baselined account and region.

Two halves:

- :class:`GuardRulesBucket` (management account, home region, in the member
  baseline's stack): the bucket the organization reads the rules from, and
  the rules object, written from ``landing_zone/proactive/rules.py``.
- :class:`GuardHook` (inside a StackSet template): the hook and its
  execution role, which may read that one object and nothing else.

The baseline StackSet carries one hook in ``proactive_controls.failure_mode``
(WARN by default). OUs listed in ``proactive_controls.fail_on`` also get a
second hook in FAIL mode from :class:`EnforcedHooks`, a StackSet of its own:
a StackSet's targets are OUs with every OU below them, so one StackSet could
not give a Prod OU a different mode from the Workloads OU above it. In those
OUs both hooks run; the FAIL one stops the operation.

Why the management account holds the bucket: nothing of a workload reaches
it (no workload principal has access there, and the landing zone's own
deploy writes the object directly), whereas the audit account could only be
written through a StackSet, and StackSet targets have no asset bucket
(docs/architecture.md, "One credential, StackSets as the engine").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.naming import resource_name
from landing_zone.proactive.rules import TARGET_TYPES, guard_rules

#: The rules object's key in the rules bucket.
RULES_KEY = "proactive-controls/rules.guard"
#: Who runs Guard hooks (the execution role's trusted principal), and what the
#: role needs: read the rules (s3:GetObject, s3:GetObjectVersion, s3:ListBucket).
# See: https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks-prepare-to-create-hook.html
HOOKS_SERVICE = "hooks.cloudformation.amazonaws.com"
#: The StackSet template parameter carrying the rules object's version.
VERSION_PARAMETER = "GuardRulesVersion"


def rules_bucket_name(*, prefix: str, account: str, region: str) -> str:
    """``acme-guard-rules-<account>-<region>``: globally unique, like the log-archive buckets."""
    return f"{prefix.lower()}-guard-rules-{account}-{region}"


def hook_alias(prefix: str, *, enforced: bool) -> str:
    """``LandingZone::Acme::ProactiveControls``: Name1::Name2::Name3, unique per account and region.

    The prefix is the middle name, not the first: an alias must not begin
    with AWS in any case (the schema's pattern is ``^(?!(?i)aws)``), and a
    prefix such as ``Awsome`` is legal.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-guardhook.html
    """
    return f"LandingZone::{prefix}::ProactiveControls{'Enforced' if enforced else ''}"


def hook_role_name(prefix: str, *, enforced: bool) -> str:
    """``Acme-GuardHook-<region>``: under <Prefix>-, so protect-landing-zone-resources guards it.

    IAM names are global and the StackSet deploys one per region.
    """
    name = resource_name(prefix, "GuardHookEnforced" if enforced else "GuardHook")
    return f"{name}-{Aws.REGION}"


def hook_role_pattern(*, prefix: str, partition: str) -> str:
    """Every hook execution role of the landing zone in any account: the rules readers."""
    return f"arn:{partition}:iam::*:role/{resource_name(prefix, 'GuardHook')}*"


@dataclass(frozen=True)
class RulesLocation:
    """Where a hook reads its rules: the bucket, the key and the version it is pinned to."""

    bucket_name: str
    version_id: str
    key: str = RULES_KEY

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket_name}/{self.key}"

    def object_arn(self, partition: str) -> str:
        return f"arn:{partition}:s3:::{self.bucket_name}/{self.key}"


class GuardRulesBucket(Construct):
    """The rules bucket (versioned, retained, encrypted) and the rules object in it.

    The organization's hook roles read the object (aws:PrincipalOrgID and
    the role name); nothing else is shared.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        bucket_name: str,
        organization_id: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name,
            # SSE-S3: the rules are not secret, and a KMS key would need a key
            # policy for the hook role of every account.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            # Every version a hook was pinned to stays readable: a stack
            # instance rolled back to an older version still finds its rules.
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        partition = Aws.PARTITION
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationGuardHooksRead",
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
                resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects(RULES_KEY)],
                # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
                conditions={
                    "StringEquals": {"aws:PrincipalOrgID": organization_id},
                    "ArnLike": {
                        "aws:PrincipalArn": hook_role_pattern(prefix=prefix, partition=partition)
                    },
                },
            )
        )
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="One object, written only by this stack's deploy and read by the hook "
                "roles; CloudTrail (the organization trail) records both",
            )
        )
        # PutObject from the deploy itself: its response's VersionId pins every
        # hook (RuleLocation.VersionId), so a rules change is a StackSet update
        # in every account, and the text is generated, never uploaded by hand.
        # BucketDeployment would copy an asset with the AWS CLI layer and give
        # no version id to pin.
        # See: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
        self.writer = cr.AwsCustomResource(
            self,
            "RulesObject",
            resource_type="Custom::GuardRules",
            install_latest_aws_sdk=False,
            on_update=cr.AwsSdkCall(
                service="S3",
                action="putObject",
                parameters={
                    "Bucket": self.bucket.bucket_name,
                    "Key": RULES_KEY,
                    "Body": guard_rules(),
                    "ContentType": "text/plain",
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("VersionId"),
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["s3:PutObject"],
                        resources=[self.bucket.arn_for_objects(RULES_KEY)],
                    )
                ]
            ),
        )
        self.writer.node.add_dependency(self.bucket)
        # The function behind every AwsCustomResource of the stack (a singleton).
        provider = Stack.of(self).node.find_child(
            "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        )
        Validations.of(provider.node.find_child("ServiceRole")).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                "service-role/AWSLambdaBasicExecutionRole]",
                reason="aws-cdk-lib's AwsCustomResource function: AWSLambdaBasicExecutionRole "
                "lets it write its own logs and nothing else; its S3 permission is the "
                "one PutObject on the rules object",
            )
        )
        # The name as a literal: StackSet templates cannot reference this stack.
        self.location = RulesLocation(
            bucket_name=bucket_name,
            version_id=self.writer.get_response_field("VersionId"),
        )


class GuardHook(Construct):
    """A Guard hook running the rules object, and its execution role (home region names it)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        rules: RulesLocation,
        failure_mode: str,
        enforced: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        partition = Aws.PARTITION
        self.role = iam.CfnRole(
            self,
            "Role",
            role_name=hook_role_name(prefix, enforced=enforced),
            description="Landing zone: reads the proactive controls' Guard rules",
            assume_role_policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": HOOKS_SERVICE},
                        # As the Guard hook page shows it: no aws:Source* key is
                        # documented on this AssumeRole, so none is required. Only
                        # a hook of this account can name the role (iam:PassRole).
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            policies=[
                iam.CfnRole.PolicyProperty(
                    policy_name="ReadGuardRules",
                    policy_document={
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                                "Resource": rules.object_arn(partition),
                            },
                            # The page's minimum policy lists the rules bucket too;
                            # it holds nothing but the rules object.
                            {
                                "Effect": "Allow",
                                "Action": "s3:ListBucket",
                                "Resource": f"arn:{partition}:s3:::{rules.bucket_name}",
                            },
                        ],
                    },
                )
            ],
        )
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-guardhook.html
        self.hook = cloudformation.CfnGuardHook(
            self,
            "Hook",
            alias=hook_alias(prefix, enforced=enforced),
            execution_role=self.role.attr_arn,
            failure_mode=failure_mode,
            hook_status="ENABLED",
            rule_location=cloudformation.CfnGuardHook.S3LocationProperty(
                uri=rules.uri, version_id=rules.version_id
            ),
            # Resource operations (stacks and Cloud Control API), before a
            # resource is created or updated: the rules read one resource's
            # resolved properties. Deletes are never stopped.
            target_operations=["RESOURCE", "CLOUD_CONTROL"],
            target_filters=cloudformation.CfnGuardHook.TargetFiltersProperty(
                targets=[
                    cloudformation.CfnGuardHook.HookTargetProperty(
                        action=action, invocation_point="PRE_PROVISION", target_name=name
                    )
                    for name in TARGET_TYPES
                    for action in ("CREATE", "UPDATE")
                ]
            ),
        )


class EnforcedHooks(Construct):
    """A StackSet giving the ``fail_on`` OUs a second hook, in FAIL mode."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        stack_set_name: str,
        rules: RulesLocation,
        organizational_unit_ids: Sequence[str],
        regions: Sequence[str],
        retain_stacks_on_account_removal: bool,
        operation_preferences: OperationPreferences,
    ) -> None:
        super().__init__(scope, construct_id)
        # A child of the stack itself, as every StackSet template is (its
        # template file is named after the stack and this id).
        self.template = StackSetTemplate(
            Stack.of(self),
            f"{construct_id}Template",
            description=f"{prefix} landing zone: proactive controls in FAIL mode, deployed by "
            "the management account's StackSet",
        )
        version = self.template.parameter(
            VERSION_PARAMETER, description="Version of the Guard rules object the hook reads"
        )
        self.hook = GuardHook(
            self.template,
            "GuardHook",
            prefix=prefix,
            rules=RulesLocation(bucket_name=rules.bucket_name, version_id=version),
            failure_mode="FAIL",
            enforced=True,
        )
        self.stack_set = ServiceManagedStackSet(
            self,
            "StackSet",
            stack_set_name=stack_set_name,
            description=f"{prefix} landing zone: Guard hook in FAIL mode in the OUs "
            "proactive_controls.fail_on lists",
            template=self.template,
            organizational_unit_ids=organizational_unit_ids,
            regions=regions,
            auto_deployment=True,
            retain_stacks_on_account_removal=retain_stacks_on_account_removal,
            parameters={VERSION_PARAMETER: rules.version_id},
            operation_preferences=operation_preferences,
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
