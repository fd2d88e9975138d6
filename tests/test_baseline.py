"""The account baseline: the member StackSet, its content, the management stacks, the S3 policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.constructs.account_baseline import GLOBAL_RESOURCE_TYPES
from landing_zone.quotas import MAX_TEMPLATE_BODY_BYTES
from landing_zone.references import LogArchiveRef
from landing_zone.stacks.baseline_stack import ManagementBaselineStack, MemberBaselineStack
from tests.conftest import Synth, cdk_context
from tests.templates import cfn_lint_errors, nag_failures, one, resources_of, stack_sets, written
from tests.variants import BASELINE_OFF, minimal_variant


def member_stack_set(synth: Synth) -> dict[str, Any]:
    # The stack also holds the FAIL-mode Guard hook StackSet (tests/test_proactive_controls.py).
    return dict(stack_sets(synth, "Acme-MemberBaseline")["Acme-MemberBaseline"]["Properties"])


# ---- the StackSet --------------------------------------------------------------------------


def test_stack_set_is_service_managed_auto_deployed_and_named_iam(example_synth: Synth) -> None:
    properties = member_stack_set(example_synth)
    assert properties["StackSetName"] == "Acme-MemberBaseline"
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["CallAs"] == "SELF"
    assert properties["ManagedExecution"] == {"Active": True}
    # New and moved accounts get the baseline; leavers lose it (default).
    assert properties["AutoDeployment"] == {
        "Enabled": True,
        "RetainStacksOnAccountRemoval": False,
    }
    assert properties["Capabilities"] == ["CAPABILITY_NAMED_IAM"]


def test_stack_set_targets_the_configured_ous_in_every_governed_region(
    example_synth: Synth,
) -> None:
    properties = member_stack_set(example_synth)
    (group,) = properties["StackInstancesGroup"]
    assert group["Regions"] == ["eu-west-1", "eu-central-1", "us-east-1"]
    targets = group["DeploymentTargets"]
    assert "AccountFilterType" not in targets
    # Weak cross-stack references: each OU id is an output of the organization stack,
    # named after the OU's logical id there (TreeOuSecurity..., from the OU key).
    referenced = [json.dumps(ou) for ou in targets["OrganizationalUnitIds"]]
    for key in ("Security", "Infrastructure", "Sandbox", "Workloads", "Retail", "Payments"):
        assert sum(f"TreeOu{key}" in ou for ou in referenced) == 1, key
    assert not any("Suspended" in ou for ou in referenced)
    assert len(referenced) == 6


def test_stack_set_rolls_out_with_the_configured_preferences(example_synth: Synth) -> None:
    assert member_stack_set(example_synth)["OperationPreferences"] == {
        "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
        "FailureTolerancePercentage": 10,
        "MaxConcurrentPercentage": 25,
        "RegionConcurrencyType": "PARALLEL",
        "RegionOrder": ["eu-west-1", "eu-central-1", "us-east-1"],
    }


def test_stack_set_gets_the_log_archive_and_audit_accounts_as_parameters(
    example_synth: Synth,
) -> None:
    parameters = {
        p["ParameterKey"]: json.dumps(p["ParameterValue"])
        for p in member_stack_set(example_synth)["Parameters"]
    }
    # GuardRulesVersion: tests/test_proactive_controls.py.
    assert set(parameters) == {"LogArchiveAccountId", "AuditAccountId", "GuardRulesVersion"}
    assert "AccountLogArchive" in parameters["LogArchiveAccountId"]
    assert "AccountAudit" in parameters["AuditAccountId"]


def test_nothing_of_the_baseline_deploys_before_the_log_archive(example_synth: Synth) -> None:
    manifest = json.loads((example_synth.outdir / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    member = artifacts["Acme-MemberBaseline"]["dependencies"]
    assert {"Acme-Organization", "Acme-LogArchive"} <= set(member)
    for region in ("eu-west-1", "eu-central-1", "us-east-1"):
        name = f"Acme-ManagementBaseline-{region}"
        assert "Acme-LogArchive" in artifacts[name]["dependencies"], name
        environment = artifacts[name]["environment"]
        assert environment == f"aws://111111111111/{region}"


def test_other_stacks_can_depend_on_the_stack_set(example_synth: Synth) -> None:
    stack = example_synth.stacks["member_baseline"]
    assert stack.stack_set.resource.cfn_resource_type == "AWS::CloudFormation::StackSet"


# ---- the template every member account gets ----------------------------------------------


def test_recorder_records_everything_with_global_types_in_home_only(
    member_baseline_template: dict[str, Any],
) -> None:
    template = member_baseline_template
    (condition_id,) = template["Conditions"]
    assert template["Conditions"][condition_id] == {
        "Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]
    }
    recorder = one(template, "AWS::Config::ConfigurationRecorder")["Properties"]
    assert recorder["Name"] == "Acme-ConfigRecorder"
    home, other = recorder["RecordingGroup"]["Fn::If"][1:]
    assert recorder["RecordingGroup"]["Fn::If"][0] == condition_id
    assert home == {
        "AllSupported": True,
        "IncludeGlobalResourceTypes": True,
        "RecordingStrategy": {"UseOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
    }
    assert other["RecordingStrategy"] == {"UseOnly": "EXCLUSION_BY_RESOURCE_TYPES"}
    assert other["ExclusionByResourceTypes"]["ResourceTypes"] == sorted(GLOBAL_RESOURCE_TYPES)
    assert other["AllSupported"] is False
    assert recorder["RecordingMode"] == {"RecordingFrequency": "CONTINUOUS"}


def test_recorder_uses_the_config_service_linked_role(
    member_baseline_template: dict[str, Any],
) -> None:
    roles = resources_of(member_baseline_template, "Custom::ServiceLinkedRole")
    ((logical, role),) = roles.items()
    assert role["Properties"]["ServiceName"] == "config.amazonaws.com"
    recorder = one(member_baseline_template, "AWS::Config::ConfigurationRecorder")
    assert recorder["Properties"]["RoleARN"] == {"Fn::GetAtt": [logical, "Arn"]}


def test_delivery_channel_delivers_to_the_config_bucket_with_the_archive_key(
    member_baseline_template: dict[str, Any],
) -> None:
    recorder_id = next(
        iter(resources_of(member_baseline_template, "AWS::Config::ConfigurationRecorder"))
    )
    channel = one(member_baseline_template, "AWS::Config::DeliveryChannel")
    properties = channel["Properties"]
    assert properties["S3BucketName"] == {
        "Fn::Join": ["", ["acme-log-archive-config-", {"Ref": "LogArchiveAccountId"}, "-eu-west-1"]]
    }
    assert properties["S3KmsKeyArn"] == {
        "Fn::Join": [
            "",
            [
                "arn:aws:kms:eu-west-1:",
                {"Ref": "LogArchiveAccountId"},
                ":alias/acme/landing-zone/log-archive",
            ],
        ]
    }
    assert properties["ConfigSnapshotDeliveryProperties"] == {
        "DeliveryFrequency": "TwentyFour_Hours"
    }
    assert channel["DependsOn"] == [recorder_id]


def test_example_hygiene_items_are_present(member_baseline_template: dict[str, Any]) -> None:
    template = member_baseline_template
    assert resources_of(template, "Custom::EbsEncryptionByDefault")
    password = one(template, "Custom::PasswordPolicy")
    assert password["Condition"] == next(iter(template["Conditions"]))
    assert {k: v for k, v in password["Properties"].items() if k.startswith(("Min", "Pass"))} == {
        "MinimumPasswordLength": "14",
        "PasswordReusePrevention": "24",
    }
    analyzer = one(template, "AWS::AccessAnalyzer::Analyzer")["Properties"]
    assert analyzer == {
        "AnalyzerName": "Acme-AccountAnalyzer",
        "Type": "ACCOUNT",
        "Tags": analyzer["Tags"],
    }
    assert not resources_of(template, "Custom::DefaultVpcRemoval")
    for resource in template["Resources"].values():
        if resource["Type"].startswith("Custom::"):
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["Properties"]["ServiceTimeout"] == "360"


def test_handler_code_is_inline_and_its_logs_are_kept(
    member_baseline_template: dict[str, Any],
) -> None:
    function = one(member_baseline_template, "AWS::Lambda::Function")["Properties"]
    assert function["Handler"] == "index.handler"
    assert set(function["Code"]) == {"ZipFile"}
    assert "def handler(" in function["Code"]["ZipFile"]
    assert function["FunctionName"] == "Acme-BaselineHandler"
    group = one(member_baseline_template, "AWS::Logs::LogGroup")
    assert group["DeletionPolicy"] == "Retain"
    assert "LogGroupName" not in group["Properties"]
    (role,) = [
        r["Properties"]
        for r in resources_of(member_baseline_template, "AWS::IAM::Role").values()
        if "Acme-BaselineHandler-" in json.dumps(r["Properties"]["RoleName"])
    ]
    assert role["RoleName"] == {"Fn::Join": ["", ["Acme-BaselineHandler-", {"Ref": "AWS::Region"}]]}


def test_management_account_gets_the_same_baseline_in_every_region(
    example_synth: Synth, member_baseline_template: dict[str, Any]
) -> None:
    def kinds(template: dict[str, Any]) -> list[str]:
        # The Guard hook is the member accounts' alone (docs/response.md).
        return sorted(
            r["Type"] for k, r in template["Resources"].items() if not k.startswith("GuardHook")
        )

    member = kinds(member_baseline_template)
    # Remediation never acts in the management account: no <Prefix>-Remediation there.
    member.remove("AWS::IAM::Role")
    assert "RemediationRole" in "".join(member_baseline_template["Resources"])
    for region in ("eu-west-1", "eu-central-1", "us-east-1"):
        template = example_synth.templates[f"Acme-ManagementBaseline-{region}"]
        assert kinds(template) == member, region
        channel = one(template, "AWS::Config::DeliveryChannel")["Properties"]
        # The log-archive account id comes from the organization stack, across regions.
        bucket = json.dumps(channel["S3BucketName"])
        if region == "eu-west-1":
            assert "Fn::ImportValue" in bucket or "Fn::GetStackOutput" in bucket
        else:
            assert (
                '"Fn::GetStackOutput": {"StackName": "Acme-Organization", "Region": "eu-west-1"'
                in bucket
            )


def test_s3_block_public_access_is_an_organization_policy_on_the_root(
    organization_template: dict[str, Any],
) -> None:
    (policy,) = [
        r
        for r in resources_of(organization_template, "AWS::Organizations::Policy").values()
        if r["Properties"]["Type"] == "S3_POLICY"
    ]
    properties = policy["Properties"]
    assert properties["Name"] == "Acme-S3BlockPublicAccess"
    assert properties["TargetIds"] == ["r-a1b2"]
    # Locked: no policy on an OU or account can set it to "none".
    assert json.loads(properties["Content"]) == {
        "s3_attributes": {
            "public_access_block_configuration": {
                "@@operators_allowed_for_child_policies": ["@@none"],
                "@@assign": "all",
            }
        }
    }
    features = resources_of(organization_template, "Custom::OrganizationPolicyType")
    (enabling,) = [k for k, r in features.items() if r["Properties"]["Value"] == "S3_POLICY"]
    assert enabling in policy["DependsOn"]


# ---- other configs: each item present or absent as configured ------------------------------

EVERYTHING = """\
baseline:
  targets: [security, workloads]
  excluded_accounts:
    app-prod: runs a vendor's Config recorder until 2027
    '999999999999': legacy account being closed this quarter
  retain_stacks_on_account_removal: true
  operation_preferences:
    max_concurrent_percentage: 10
    failure_tolerance_percentage: 0
    concurrency_mode: STRICT_FAILURE_TOLERANCE
    region_concurrency: SEQUENTIAL
    region_order: [eu-central-1, eu-west-1]
  config_recorder:
    excluded_resource_types: [AWS::EC2::NetworkInterface]
    daily_resource_types: [AWS::EC2::Instance, AWS::IAM::Role]
    snapshot_delivery_frequency: Six_Hours
  password_policy:
    max_age_days: 90
  remove_default_vpc: true
"""

NOTHING = (
    BASELINE_OFF
    + """\
identity:
  investigation_role:
    enabled: false
"""
)


def synth_variant(config: LandingZoneConfig, outdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The member StackSet resource and its template for ``config``, with cdk-nag."""
    app = App(context=cdk_context(), outdir=str(outdir))
    stack = MemberBaselineStack(
        app,
        "MemberBaseline",
        env=Environment(account="111111111111", region=config.regions.home),
        config=config,
        organizational_unit_ids=["ou-t1ny-security", "ou-t1ny-workloads"],
        excluded_account_ids=["555555555555", "999999999999"][
            : len(config.baseline.excluded_accounts)
        ],
        log_archive=LogArchiveRef.of(config, account_id="333333333333"),
        audit_account_id="444444444444",
    )
    ManagementBaselineStack(
        app,
        "ManagementBaseline",
        env=Environment(account="111111111111", region="eu-central-1"),
        config=config,
        log_archive=LogArchiveRef.of(config, account_id="333333333333"),
        audit_account_id="444444444444",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    assert nag_failures(outdir) == []
    parent = assembly.get_stack_by_name("MemberBaseline").template
    return one(parent, "AWS::CloudFormation::StackSet")["Properties"], stack.template.template


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    path = minimal_variant(tmp_path_factory.mktemp("everything"), append=EVERYTHING)
    return synth_variant(load_config(path), tmp_path_factory.mktemp("everything.out"))


@pytest.fixture(scope="module")
def nothing(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    path = minimal_variant(tmp_path_factory.mktemp("nothing"), append=NOTHING)
    return synth_variant(load_config(path), tmp_path_factory.mktemp("nothing.out"))


def test_switched_off_items_are_absent_and_their_permissions_too(
    nothing: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, template = nothing
    kinds = {r["Type"] for r in template["Resources"].values()}
    assert "AWS::Config::ConfigurationRecorder" in kinds
    assert "AWS::Config::DeliveryChannel" in kinds
    for absent in (
        "Custom::EbsEncryptionByDefault",
        "Custom::PasswordPolicy",
        "Custom::DefaultVpcRemoval",
        "AWS::AccessAnalyzer::Analyzer",
    ):
        assert absent not in kinds
    policy = json.dumps(one(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"])
    for action in ("ec2:", "iam:UpdateAccountPasswordPolicy"):
        assert action not in policy
    # No investigation role, and no audit account parameter it would need.
    assert "Investigation" not in json.dumps(template["Resources"])
    assert "AuditAccountId" not in template.get("Parameters", {})
    properties, _ = nothing
    assert [p["ParameterKey"] for p in properties["Parameters"]] == [
        "GuardRulesVersion",
        "LogArchiveAccountId",
    ]


def test_everything_on_adds_the_default_vpc_removal_with_scoped_deletes(
    everything: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, template = everything
    assert resources_of(template, "Custom::DefaultVpcRemoval")
    statements = one(template, "AWS::IAM::Policy")["Properties"]["PolicyDocument"]["Statement"]
    (deletes,) = [s for s in statements if "ec2:DeleteVpc" in s["Action"]]
    # Only this account and region's gateways, subnets and VPCs: never "*".
    tails = sorted(json.dumps(r).split(":")[-1].rstrip('"]}') for r in deletes["Resource"])
    assert tails == ["internet-gateway/*", "subnet/*", "vpc/*"]
    for resource in deletes["Resource"]:
        assert '"AWS::Region"' in json.dumps(resource)
        assert '"AWS::AccountId"' in json.dumps(resource)
    password = one(template, "Custom::PasswordPolicy")["Properties"]
    assert password["MaxPasswordAge"] == "90"


def test_exclusions_and_daily_types_shape_the_recorder_per_region(
    everything: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, template = everything
    recorder = one(template, "AWS::Config::ConfigurationRecorder")["Properties"]
    home, other = recorder["RecordingGroup"]["Fn::If"][1:]
    assert home["ExclusionByResourceTypes"]["ResourceTypes"] == ["AWS::EC2::NetworkInterface"]
    assert home["AllSupported"] is False
    assert other["ExclusionByResourceTypes"]["ResourceTypes"] == sorted(
        ["AWS::EC2::NetworkInterface", *GLOBAL_RESOURCE_TYPES]
    )
    home_mode, other_mode = recorder["RecordingMode"]["Fn::If"][1:]
    assert home_mode["RecordingModeOverrides"][0]["ResourceTypes"] == [
        "AWS::EC2::Instance",
        "AWS::IAM::Role",
    ]
    # IAM is not recorded outside home, so it cannot be recorded daily there.
    assert other_mode["RecordingModeOverrides"][0]["ResourceTypes"] == ["AWS::EC2::Instance"]
    channel = one(template, "AWS::Config::DeliveryChannel")["Properties"]
    assert channel["ConfigSnapshotDeliveryProperties"] == {"DeliveryFrequency": "Six_Hours"}


def test_excluded_accounts_retention_and_preferences_reach_the_stack_set(
    everything: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    properties, _ = everything
    (group,) = properties["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {
        "OrganizationalUnitIds": ["ou-t1ny-security", "ou-t1ny-workloads"],
        "Accounts": ["555555555555", "999999999999"],
        "AccountFilterType": "DIFFERENCE",
    }
    assert group["Regions"] == ["eu-central-1", "eu-west-1"]
    assert properties["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": True}
    assert properties["OperationPreferences"] == {
        "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE",
        "FailureTolerancePercentage": 0,
        "MaxConcurrentPercentage": 10,
        "RegionConcurrencyType": "SEQUENTIAL",
        "RegionOrder": ["eu-central-1", "eu-west-1"],
    }


def test_the_largest_variant_still_fits_inline(
    everything: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    properties, template = everything
    assert json.loads(properties["TemplateBody"]) == template
    assert len(properties["TemplateBody"].encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_variant_templates_pass_cfn_lint(
    everything: tuple[dict[str, Any], dict[str, Any]],
    nothing: tuple[dict[str, Any], dict[str, Any]],
    tmp_path: Path,
) -> None:
    templates = {"everything": everything[1], "nothing": nothing[1]}
    errors = cfn_lint_errors(written(templates, tmp_path), ["eu-west-1", "eu-central-1"])
    assert errors == [], "\n".join(str(m) for m in errors)
