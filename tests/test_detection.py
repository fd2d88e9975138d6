"""Detection as synthesized: delegated administrators, the audit StackSets, what they hold.

The example config is synthesized once per session (conftest); two variants
check what config switches on and off: everything (Macie, Slack, the
unused-access analyzer, disabled rules) with cdk-nag and cfn-lint, and
nothing (no detection StackSet at all).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from landing_zone.app import build_landing_zone
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.constructs.findings_formatter import ACCOUNT_NAMES_BYTES, account_names_json
from landing_zone.constructs.inline_code import inline_handler
from landing_zone.detection_services import FINDING_AGGREGATOR_GRANTS, FINDING_AGGREGATOR_TYPE
from landing_zone.guardrails.detective import DETECTIVE_RULES, rules_for_region
from landing_zone.quotas import MAX_TEMPLATE_BODY_BYTES
from landing_zone.stacks.detection_stack import alerted_role
from tests.conftest import EXAMPLE, Synth, cdk_context
from tests.templates import (
    cfn_lint_errors,
    nag_failures,
    one,
    resources_of,
    stack_sets,
    written,
)
from tests.variants import minimal_variant

HOME = "eu-west-1"
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")


@pytest.fixture(scope="module")
def example_config() -> LandingZoneConfig:
    return load_config(EXAMPLE)


# ---- delegated administrators (management account) -------------------------------------------


def registrations(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = resources_of(template, "Custom::DelegatedAdministrator")
    return {r["Properties"]["Service"] + r["Properties"].get("ServicePrincipal", ""): r
            for r in found.values()}  # fmt: skip


@pytest.mark.parametrize("region", REGIONS)
def test_audit_account_administers_every_regional_service_in_every_region(
    example_synth: Synth, region: str
) -> None:
    template = example_synth.templates[f"Acme-DetectionAdmin-{region}"]
    found = registrations(template)
    assert {"guardduty", "inspector2"} <= set(found)
    assert "macie2" not in found  # off in the example
    for resource in found.values():
        # The audit account id comes from the organization stack (it may be created there).
        assert "Acme-Organization" in json.dumps(resource["Properties"]["AccountId"])
        assert resource["DeletionPolicy"] == "Retain"
    hub = one(template, "AWS::SecurityHub::DelegatedAdmin")
    assert hub["DeletionPolicy"] == "Retain"
    detective = one(template, "AWS::Detective::OrganizationAdmin")
    assert detective["DeletionPolicy"] == "Retain"
    # Organizations serialises registrations: each waits for the one before.
    chain = [*found.values(), hub, detective]
    dependent = [r for r in chain if r.get("DependsOn")]
    assert len(dependent) == len(chain) - 1


def test_config_and_access_analyzer_are_registered_once_from_the_home_region(
    example_synth: Synth,
) -> None:
    home = registrations(example_synth.templates[f"Acme-DetectionAdmin-{HOME}"])
    assert "organizationsconfig.amazonaws.com" in home
    assert "organizationsaccess-analyzer.amazonaws.com" in home
    for region in REGIONS[1:]:
        other = registrations(example_synth.templates[f"Acme-DetectionAdmin-{region}"])
        assert not [key for key in other if key.startswith("organizations")]


def test_registrations_use_the_audit_account_created_by_the_organization_stack(
    example_synth: Synth,
) -> None:
    template = example_synth.templates[f"Acme-DetectionAdmin-{HOME}"]
    account = one(template, "AWS::SecurityHub::DelegatedAdmin")["Properties"]["AdminAccountId"]
    assert "Acme-Organization" in json.dumps(account)
    assert "Audit" in json.dumps(account)


def test_the_handler_may_register_only_the_audit_account(example_synth: Synth) -> None:
    template = example_synth.templates[f"Acme-DetectionAdmin-{HOME}"]
    statements = [
        s
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    action = "organizations:RegisterDelegatedAdministrator"
    granting = [s for s in statements if action in json.dumps(s["Action"])]
    (statement,) = granting  # in no other statement, in particular none on "*"
    assert statement["Action"] == action
    assert ":account/o-a1b2c3d4e5/" in json.dumps(statement["Resource"])
    assert "Audit" in json.dumps(statement["Resource"])


# ---- the organization conformance pack ---------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_conformance_pack_holds_the_table_with_global_rules_at_home(
    example_synth: Synth, region: str
) -> None:
    template = example_synth.templates[f"Acme-DetectionAdmin-{region}"]
    pack = one(template, "AWS::Config::OrganizationConformancePack")["Properties"]
    assert pack["OrganizationConformancePackName"] == "Acme-DetectiveGuardrails"
    body = json.loads(pack["TemplateBody"])
    rules = {r["Properties"]["ConfigRuleName"]: r["Properties"] for r in body["Resources"].values()}
    expected = rules_for_region(home=region == HOME, disabled=set())
    assert sorted(rules) == sorted(f"acme-{rule.id}" for rule in expected)
    for rule in expected:
        properties = rules[f"acme-{rule.id}"]
        assert properties["Source"] == {"Owner": "AWS", "SourceIdentifier": rule.source_identifier}
        for control in rule.control_tower:
            assert control in properties["Description"]
    assert len(pack["TemplateBody"].encode()) <= 51_200


def test_every_control_tower_detective_control_has_a_rule() -> None:
    """Control Tower's strongly recommended and mandatory detective controls each have a rule.

    The shared-accounts CloudTrail control is not listed: ``cloudtrail-enabled`` covers it too.
    """
    wanted = {
        "AWS-GR_ENCRYPTED_VOLUMES", "AWS-GR_RESTRICTED_COMMON_PORTS", "AWS-GR_RESTRICTED_SSH",
        "AWS-GR_ROOT_ACCOUNT_MFA_ENABLED", "AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED",
        "AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "AWS-GR_EC2_VOLUME_INUSE_CHECK",
        "AWS-GR_EBS_OPTIMIZED_INSTANCE", "AWS-GR_RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
        "AWS-GR_RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "AWS-GR_RDS_STORAGE_ENCRYPTED",
        "AWS-GR_DETECT_CLOUDTRAIL_ENABLED_ON_MEMBER_ACCOUNTS",
        "AWS-GR_AUDIT_BUCKET_PUBLIC_READ_PROHIBITED", "AWS-GR_AUDIT_BUCKET_PUBLIC_WRITE_PROHIBITED",
        "AWS-GR_CLOUDTRAIL_ENABLED", "AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",
        "AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",
    }  # fmt: skip
    covered = {control for rule in DETECTIVE_RULES for control in rule.control_tower}
    assert wanted == covered


def test_log_archive_rules_select_landing_zone_buckets_by_tag(example_synth: Synth) -> None:
    template = example_synth.templates[f"Acme-DetectionAdmin-{HOME}"]
    body = json.loads(
        one(template, "AWS::Config::OrganizationConformancePack")["Properties"]["TemplateBody"]
    )
    rules = {r["Properties"]["ConfigRuleName"]: r["Properties"] for r in body["Resources"].values()}
    scope = rules["acme-log-archive-public-read-prohibited"]["Scope"]
    assert scope == {"TagKey": "landing-zone:prefix", "TagValue": "Acme"}
    assert rules["acme-restricted-common-ports"]["InputParameters"]["blockedPort3"] == "3389"
    assert rules["acme-root-account-mfa-enabled"]["MaximumExecutionFrequency"] == "TwentyFour_Hours"


def test_conformance_pack_waits_for_the_recorders(example_synth: Synth) -> None:
    for region in REGIONS:
        stack = example_synth.stacks[f"detection_admin/{region}"]
        names = {s.stack_name for s in stack.dependencies}
        assert {
            "Acme-MemberBaseline",
            "Acme-Organization",
            f"Acme-ManagementBaseline-{region}",
        } <= names


def test_accounts_without_a_recorder_are_excluded_from_the_pack(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        replace=("  app-prod:\n", "  old:\n    name: Tiny-Old\n    account_id: '999999999999'\n"
                 "    ou: workloads\n  app-prod:\n"),
        append="baseline:\n  targets: [security, prod, sdlc]\n"
        "  excluded_accounts:\n    '888888888888': Runs its own recorder for a vendor tool\n",
    )  # fmt: skip
    config = load_config(path)
    assert config.conformance_pack_exclusions() == ["old", "888888888888"]


# ---- the audit StackSets ------------------------------------------------------------------------


def test_audit_stack_sets_target_only_the_audit_account(example_synth: Synth) -> None:
    found = stack_sets(example_synth, "Acme-Audit")
    assert set(found) == {"Acme-AuditRegional", "Acme-AuditHome", "Acme-AuditRemediation"}
    for name, resource in found.items():
        properties = resource["Properties"]
        assert properties["PermissionModel"] == "SERVICE_MANAGED"
        assert properties["AutoDeployment"]["Enabled"] is False
        (group,) = properties["StackInstancesGroup"]
        targets = group["DeploymentTargets"]
        assert targets["OrganizationalUnitIds"] == ["r-a1b2"]
        assert targets["AccountFilterType"] == "INTERSECTION"
        assert "Audit" in json.dumps(targets["Accounts"])
        expected = list(REGIONS) if name == "Acme-AuditRegional" else [HOME]
        assert group["Regions"] == expected
        assert len(properties["TemplateBody"].encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_audit_deploys_after_every_delegated_admin_and_the_log_archive(
    example_synth: Synth,
) -> None:
    names = {s.stack_name for s in example_synth.stacks["audit"].dependencies}
    assert {f"Acme-DetectionAdmin-{r}" for r in REGIONS} | {"Acme-LogArchive"} <= names
    home = stack_sets(example_synth, "Acme-Audit")["Acme-AuditHome"]
    regional = [k for k, v in resources_of(example_synth.templates["Acme-Audit"],
                "AWS::CloudFormation::StackSet").items() if v["Properties"]["StackSetName"]
                == "Acme-AuditRegional"]  # fmt: skip
    assert home["DependsOn"] == regional


def test_ou_ids_reach_the_home_template_as_parameters(
    example_synth: Synth, audit_home_template: dict[str, Any]
) -> None:
    home = stack_sets(example_synth, "Acme-Audit")["Acme-AuditHome"]["Properties"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in home["Parameters"]}
    assert set(parameters) == {"OuIdPayments", "OuIdSandbox"}
    assert "Payments" in json.dumps(parameters["OuIdPayments"])
    assert set(audit_home_template["Parameters"]) == {"OuIdPayments", "OuIdSandbox"}


# ---- GuardDuty ------------------------------------------------------------------------------


def test_guardduty_auto_enables_every_plan(audit_regional_template: dict[str, Any]) -> None:
    properties = one(audit_regional_template, "Custom::GuardDutyOrg")["Properties"]
    assert properties["Features"] == {
        "S3_DATA_EVENTS": "true",
        "EKS_AUDIT_LOGS": "true",
        "RUNTIME_MONITORING": "true",
        "EBS_MALWARE_PROTECTION": "true",
        "RDS_LOGIN_EVENTS": "true",
        "LAMBDA_NETWORK_LOGS": "true",
    }
    assert properties["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"


def test_guardduty_exports_findings_to_the_log_archive_with_its_key(
    audit_regional_template: dict[str, Any],
) -> None:
    export = one(audit_regional_template, "AWS::GuardDuty::PublishingDestination")["Properties"]
    detector = resources_of(audit_regional_template, "Custom::GuardDutyOrg")
    key = resources_of(audit_regional_template, "Custom::KeyArn")
    assert export["DetectorId"] == {"Fn::GetAtt": [*detector, "DetectorId"]}
    assert export["DestinationProperties"]["KmsKeyArn"] == {"Fn::GetAtt": [*key, "Arn"]}
    bucket = json.dumps(export["DestinationProperties"]["DestinationArn"])
    assert "acme-log-archive-config-" in bucket
    assert "LogArchiveAccountId" in bucket
    alias = json.dumps(one(audit_regional_template, "Custom::KeyArn")["Properties"]["KeyId"])
    assert "alias/acme/landing-zone/log-archive" in alias


def test_guardduty_findings_are_forwarded_home_from_other_regions_only(
    audit_regional_template: dict[str, Any],
) -> None:
    rule = one(audit_regional_template, "AWS::Events::Rule")
    assert rule["Condition"] == "OutsideHomeRegion"
    assert audit_regional_template["Conditions"]["OutsideHomeRegion"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, HOME]}]
    }
    (target,) = rule["Properties"]["Targets"]
    assert f":events:{HOME}:" in json.dumps(target["Arn"])
    roles = resources_of(audit_regional_template, "AWS::IAM::Role").values()
    (forwarder,) = [r for r in roles if "FindingsForwarder" in json.dumps(r["Properties"])]
    assert forwarder["Condition"] == "OutsideHomeRegion"
    assert rule["Properties"]["Targets"][0]["RoleArn"]["Fn::GetAtt"][1] == "Arn"


# ---- Inspector, Detective, Macie, Access Analyzer -----------------------------------------------


def test_inspector_and_detective_are_on_and_macie_off(
    audit_regional_template: dict[str, Any],
) -> None:
    inspector = one(audit_regional_template, "Custom::InspectorOrg")["Properties"]
    assert inspector["ResourceTypes"] == ["EC2", "ECR", "LAMBDA"]
    assert resources_of(audit_regional_template, "Custom::DetectiveOrg")
    assert not resources_of(audit_regional_template, "Custom::MacieOrg")


def test_custom_resources_get_enough_time_for_large_organizations(
    audit_regional_template: dict[str, Any],
) -> None:
    function = one(audit_regional_template, "AWS::Lambda::Function")["Properties"]
    assert function["Timeout"] == 900
    for kind in ("Custom::GuardDutyOrg", "Custom::InspectorOrg", "Custom::DetectiveOrg"):
        assert one(audit_regional_template, kind)["Properties"]["ServiceTimeout"] == "960"


def test_organization_analyzers(
    audit_regional_template: dict[str, Any], audit_home_template: dict[str, Any]
) -> None:
    regional = one(audit_regional_template, "AWS::AccessAnalyzer::Analyzer")
    assert regional["Properties"]["Type"] == "ORGANIZATION"
    unused = one(audit_home_template, "AWS::AccessAnalyzer::Analyzer")["Properties"]
    assert unused["Type"] == "ORGANIZATION_UNUSED_ACCESS"
    assert unused["AnalyzerConfiguration"] == {"UnusedAccessConfiguration": {"UnusedAccessAge": 90}}


# ---- Security Hub central configuration ------------------------------------------------------


def test_security_hub_is_centrally_configured_from_the_home_region(
    audit_home_template: dict[str, Any],
) -> None:
    aggregator = one(audit_home_template, "AWS::SecurityHub::FindingAggregator")["Properties"]
    assert aggregator == {"RegionLinkingMode": "SPECIFIED_REGIONS",
                          "Regions": ["eu-central-1", "us-east-1"]}  # fmt: skip
    organization = one(audit_home_template, "AWS::SecurityHub::OrganizationConfiguration")
    assert organization["Properties"] == {
        "AutoEnable": False,
        "AutoEnableStandards": "NONE",
        "ConfigurationType": "CENTRAL",
    }
    assert organization["DependsOn"] == list(
        resources_of(audit_home_template, "AWS::SecurityHub::FindingAggregator")
    )


def standards_of(policy: dict[str, Any]) -> list[str]:
    identifiers = policy["Properties"]["ConfigurationPolicy"]["SecurityHub"][
        "EnabledStandardIdentifiers"
    ]
    return [json.dumps(i).split("::standards/")[1].split('"')[0] for i in identifiers]


def test_policies_enable_the_configured_standards_and_disable_controls(
    audit_home_template: dict[str, Any],
) -> None:
    policies = {
        p["Properties"]["Name"]: p
        for p in resources_of(audit_home_template, "AWS::SecurityHub::ConfigurationPolicy").values()
    }
    assert standards_of(policies["Acme-Default"]) == [
        "aws-foundational-security-best-practices/v/1.0.0",
        "cis-aws-foundations-benchmark/v/3.0.0",
    ]
    assert "nist-800-53/v/5.0.0" in standards_of(policies["Acme-Regulated"])
    assert "pci-dss/v/4.0.1" in standards_of(policies["Acme-Regulated"])
    assert standards_of(policies["Acme-Sandbox"]) == [
        "aws-foundational-security-best-practices/v/1.0.0"
    ]
    hub = policies["Acme-Default"]["Properties"]["ConfigurationPolicy"]["SecurityHub"]
    assert hub["ServiceEnabled"] is True
    assert hub["SecurityControlsConfiguration"] == {"DisabledSecurityControlIdentifiers": ["IAM.6"]}


def test_policies_are_associated_with_root_and_ous(audit_home_template: dict[str, Any]) -> None:
    associations = resources_of(audit_home_template, "AWS::SecurityHub::PolicyAssociation")
    by_target = {
        json.dumps(a["Properties"]["TargetId"]): a["Properties"] for a in associations.values()
    }
    assert by_target['"r-a1b2"']["TargetType"] == "ROOT"
    payments = by_target['{"Ref": "OuIdPayments"}']
    assert payments["TargetType"] == "ORGANIZATIONAL_UNIT"
    assert "PolicyRegulated" in payments["ConfigurationPolicyId"]["Fn::GetAtt"][0]
    assert len(associations) == 3


def test_config_aggregator_covers_the_organization_in_every_governed_region(
    audit_home_template: dict[str, Any],
) -> None:
    aggregator = one(audit_home_template, "AWS::Config::ConfigurationAggregator")["Properties"]
    source = aggregator["OrganizationAggregationSource"]
    assert source["AwsRegions"] == list(REGIONS)
    assert source["AllAwsRegions"] is False
    (role,) = [
        r["Properties"]
        for r in resources_of(audit_home_template, "AWS::IAM::Role").values()
        if r["Properties"].get("RoleName") == "Acme-ConfigAggregator"
    ]
    assert "AWSConfigRoleForOrganizations" in json.dumps(role["ManagedPolicyArns"])


# ---- findings reach people -----------------------------------------------------------------------


def rules_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources_of(template, "AWS::Events::Rule").values()
    }


def test_security_hub_rule_matches_new_active_findings_at_or_above_high(
    audit_home_template: dict[str, Any],
) -> None:
    pattern = rules_of(audit_home_template)["Acme-SecurityHubFindings"]["EventPattern"]
    assert pattern["detail-type"] == ["Security Hub Findings - Imported"]
    findings = pattern["detail"]["findings"]
    assert findings["Severity"]["Label"] == ["HIGH", "CRITICAL"]
    assert findings["Workflow"]["Status"] == ["NEW"]
    assert findings["RecordState"] == ["ACTIVE"]
    assert findings["ProductName"] == [{"anything-but": ["GuardDuty"]}]


def test_guardduty_rule_matches_severity_numerically(audit_home_template: dict[str, Any]) -> None:
    pattern = rules_of(audit_home_template)["Acme-GuardDutyFindings"]["EventPattern"]
    assert pattern["detail"]["severity"] == [{"numeric": [">=", 7]}]
    assert pattern["source"] == ["aws.guardduty"]


def test_findings_go_to_an_encrypted_topic_with_email_subscriptions(
    audit_home_template: dict[str, Any],
) -> None:
    topic = one(audit_home_template, "AWS::SNS::Topic")
    (key_id,) = resources_of(audit_home_template, "AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert topic["Properties"]["TopicName"] == "Acme-SecurityFindings"
    (subscription,) = resources_of(audit_home_template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "security-findings@acme.example"
    assert not resources_of(audit_home_template, "AWS::Chatbot::SlackChannelConfiguration")


# ---- the formatter between the rules and the topic ----------------------------------------


def logical_id(template: dict[str, Any], kind: str, name_property: str, name: str) -> str:
    """The logical id of the ``kind`` resource whose ``name_property`` is ``name``."""
    (found,) = [
        k
        for k, r in resources_of(template, kind).items()
        if r["Properties"].get(name_property) == name
    ]
    return found


def test_the_rules_invoke_the_formatter_and_dead_letter_what_they_cannot_deliver(
    audit_home_template: dict[str, Any],
) -> None:
    template = audit_home_template
    function = logical_id(
        template, "AWS::Lambda::Function", "FunctionName", "Acme-FindingsFormatter"
    )
    queue = logical_id(template, "AWS::SQS::Queue", "QueueName", "Acme-FindingsUndelivered")
    rules = resources_of(template, "AWS::Events::Rule")
    assert len(rules) == 2
    for rule in rules.values():
        assert rule["Properties"]["Targets"] == [
            {
                "Arn": {"Fn::GetAtt": [function, "Arn"]},
                "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue, "Arn"]}},
                "Id": "FindingsFormatter",
            }
        ]
    # One invoke permission per rule, scoped to that rule.
    permissions = [
        p["Properties"] for p in resources_of(template, "AWS::Lambda::Permission").values()
    ]
    assert sorted(json.dumps(p["SourceArn"]) for p in permissions) == sorted(
        json.dumps({"Fn::GetAtt": [rule_id, "Arn"]}) for rule_id in rules
    )
    for permission in permissions:
        assert permission["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}
        assert permission["Principal"] == "events.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"
    # The dead-letter queue takes messages from those two rules alone.
    (policy,) = resources_of(template, "AWS::SQS::QueuePolicy").values()
    sends = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"
    ]
    assert [(s["Principal"], s["Action"]) for s in sends] == [
        ({"Service": "events.amazonaws.com"}, "sqs:SendMessage")
    ] * 2
    assert sorted(json.dumps(s["Condition"]) for s in sends) == sorted(
        json.dumps({"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}})
        for rule_id in rules
    )
    properties = resources_of(template, "AWS::SQS::Queue")[queue]["Properties"]
    assert properties["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert properties["SqsManagedSseEnabled"] is True


def test_a_failed_formatter_still_reaches_the_topic(audit_home_template: dict[str, Any]) -> None:
    template = audit_home_template
    topic = logical_id(template, "AWS::SNS::Topic", "TopicName", "Acme-SecurityFindings")
    function = logical_id(
        template, "AWS::Lambda::Function", "FunctionName", "Acme-FindingsFormatter"
    )
    role = logical_id(template, "AWS::IAM::Role", "RoleName", "Acme-FindingsFormatter")
    ((_, config),) = resources_of(template, "AWS::Lambda::EventInvokeConfig").items()
    assert config["Properties"] == {
        "DestinationConfig": {"OnFailure": {"Destination": {"Ref": topic}}},
        "FunctionName": {"Ref": function},
        "MaximumEventAgeInSeconds": 6 * 3600,
        "MaximumRetryAttempts": 2,
        "Qualifier": "$LATEST",
    }
    # Lambda checks the role may publish when the configuration is written.
    (policy_id,) = [
        k
        for k, p in resources_of(template, "AWS::IAM::Policy").items()
        if {"Ref": role} in p["Properties"]["Roles"]
    ]
    assert {role, policy_id} <= set(config["DependsOn"])
    # Both alarms (the function failed; events wait in the dead-letter queue) go to the topic.
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources_of(template, "AWS::CloudWatch::Alarm").values()
    }
    assert set(alarms) == {"Acme-FindingsFormatterFailed", "Acme-FindingsUndelivered"}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
        assert alarm["Threshold"] == 1
        assert alarm["TreatMissingData"] == "notBreaching"
    assert alarms["Acme-FindingsFormatterFailed"]["MetricName"] == "Errors"
    assert alarms["Acme-FindingsFormatterFailed"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": function}}
    ]
    assert alarms["Acme-FindingsUndelivered"]["MetricName"] == "ApproximateNumberOfMessagesVisible"


def test_the_formatter_may_publish_to_the_topic_and_nothing_else(
    audit_home_template: dict[str, Any],
) -> None:
    template = audit_home_template
    topic = logical_id(template, "AWS::SNS::Topic", "TopicName", "Acme-SecurityFindings")
    role = logical_id(template, "AWS::IAM::Role", "RoleName", "Acme-FindingsFormatter")
    statements = [
        statement
        for p in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for statement in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    # Its own log group, and sns:Publish on the topic: nothing else.
    assert [s for s in statements if not s["Action"][0].startswith("logs:")] == [
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": topic}}
    ]
    key = one(template, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    (grant,) = [s for s in key if s.get("Sid") == "FindingsFormatterPublish"]
    assert grant["Principal"] == {"AWS": {"Fn::GetAtt": [role, "Arn"]}}
    assert grant["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    # Nobody but the formatter and the alarms uses the key; EventBridge no longer publishes.
    assert {s["Sid"] for s in key} == {
        "KeyAdministration",
        # The remediation function (its own template) publishes here too.
        "RemediationPublish",
        "CloudWatchAlarmsPublish",
        "FindingsFormatterPublish",
    }
    policy = one(template, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]
    (allowed,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allowed["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    # The formatter's alarms only (<Prefix>-FindingsFormatterFailed, -FindingsUndelivered).
    assert json.dumps(allowed["Condition"]["ArnLike"]).endswith(':alarm:Acme-Findings*"]]}}')


def test_the_formatter_knows_the_role_and_the_account_names(
    audit_home_template: dict[str, Any],
) -> None:
    function = next(
        f["Properties"]
        for f in resources_of(audit_home_template, "AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName") == "Acme-FindingsFormatter"
    )
    variables = function["Environment"]["Variables"]
    assert variables["ROLE_NAME"] == "Acme-Investigation"
    # The ids the config holds: the management account and the adopted one.
    assert json.loads(variables["ACCOUNT_NAMES"]) == {
        "111111111111": "management account",
        "210987654321": "Acme-Payments-API-Prod",
    }
    assert function["Handler"] == "index.handler"
    assert function["Code"]["ZipFile"] == inline_handler(
        "findings_formatter", custom_resource=False
    )
    assert "def respond(" not in function["Code"]["ZipFile"]  # no custom-resource code


def test_the_account_names_stay_within_their_budget() -> None:
    names = {f"{n:012d}": f"Acme-Account-{n:04d}" for n in range(200)}
    kept = json.loads(account_names_json(names))
    assert len(json.dumps(kept, separators=(",", ":")).encode()) <= ACCOUNT_NAMES_BYTES
    # The first ones, in the order given (the management account comes first).
    assert list(kept) == list(names)[: len(kept)]
    assert 40 < len(kept) < 200


def test_alerts_say_when_the_investigation_role_is_off(tmp_path: Path) -> None:
    config = load_config(
        minimal_variant(tmp_path, append="identity:\n  investigation_role:\n    enabled: false\n")
    )
    assert alerted_role(config) is None
    config = load_config(minimal_variant(tmp_path))
    assert alerted_role(config) == "Tiny-Investigation"


# ---- variants ---------------------------------------------------------------------------

NOTHING = """\
detection:
  guardduty: {enabled: false}
  security_hub: {enabled: false}
  conformance_pack: {enabled: false}
  config_aggregator: false
  access_analyzer: {organization: false}
  inspector: {enabled: false}
  detective: {enabled: false}
"""


@pytest.fixture(scope="module")
def everything(everything_synth: Synth) -> Synth:
    """The minimal config with every detection switch on (tests/variants.py, EVERYTHING)."""
    return everything_synth


def test_everything_on_adds_macie_slack_and_the_variant_settings(everything: Synth) -> None:
    regional = everything.stackset_templates["Tiny-Audit/RegionalTemplate"]
    home = everything.stackset_templates["Tiny-Audit/HomeTemplate"]
    macie = one(regional, "Custom::MacieOrg")["Properties"]
    assert macie["FindingPublishingFrequency"] == "FIFTEEN_MINUTES"
    assert one(regional, "Custom::GuardDutyOrg")["Properties"]["Features"]["EKS_AUDIT_LOGS"] == (
        "false"
    )
    assert one(regional, "Custom::InspectorOrg")["Properties"]["ResourceTypes"] == [
        "EC2", "LAMBDA", "LAMBDA_CODE"
    ]  # fmt: skip
    slack = one(home, "AWS::Chatbot::SlackChannelConfiguration")["Properties"]
    assert slack["SlackWorkspaceId"] == "T0123ABCD"
    assert slack["GuardrailPolicies"] == [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]}
    ]
    rules = rules_of(home)
    assert rules["Tiny-SecurityHubFindings"]["EventPattern"]["detail"]["findings"]["Severity"] == {
        "Label": ["CRITICAL"]
    }
    assert rules["Tiny-GuardDutyFindings"]["EventPattern"]["detail"]["severity"] == [
        {"numeric": [">=", 8.5]}
    ]
    off = [
        p["Properties"]["ConfigurationPolicy"]["SecurityHub"]
        for p in resources_of(home, "AWS::SecurityHub::ConfigurationPolicy").values()
        if p["Properties"]["Name"] == "Tiny-OffInProd"
    ]
    assert off == [{"ServiceEnabled": False}]
    assert len(resources_of(home, "AWS::SNS::Subscription")) == 2
    admin = registrations(everything.templates["Tiny-DetectionAdmin-eu-central-1"])
    assert "macie2" in admin
    pack = one(everything.templates["Tiny-DetectionAdmin-eu-west-1"],
               "AWS::Config::OrganizationConformancePack")  # fmt: skip
    assert "ebs-optimized-instance" not in pack["Properties"]["TemplateBody"]
    for template in (regional, home):
        assert len(json.dumps(template, separators=(",", ":")).encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_everything_variant_passes_cdk_nag(everything: Synth) -> None:
    assert nag_failures(everything.outdir) == []


def test_everything_variant_passes_cfn_lint(everything: Synth, tmp_path: Path) -> None:
    templates = {
        name: template
        for name, template in {**everything.stackset_templates, **everything.templates}.items()
        if "Audit" in name or "DetectionAdmin" in name
    }
    errors = cfn_lint_errors(written(templates, tmp_path), ["eu-west-1", "eu-central-1"])
    assert errors == [], "\n".join(str(m) for m in errors)


# ---- one governed region: the aggregator that links no Region ------------------------------


@pytest.fixture(scope="module")
def single_region_home(single_region_synth: Synth) -> dict[str, Any]:
    return single_region_synth.stackset_templates["Tiny-Audit/HomeTemplate"]


def test_one_governed_region_aggregates_into_home_linking_no_region(
    single_region_home: dict[str, Any], everything: Synth
) -> None:
    assert not resources_of(single_region_home, "AWS::SecurityHub::FindingAggregator")
    ((logical_id, aggregator),) = resources_of(single_region_home, FINDING_AGGREGATOR_TYPE).items()
    properties = aggregator["Properties"]
    assert properties["RegionLinkingMode"] == "NO_REGIONS"
    assert "Regions" not in properties
    # Central configuration waits for it, as it waits for the native one,
    # which has the same logical id with linked regions.
    organization = one(single_region_home, "AWS::SecurityHub::OrganizationConfiguration")
    assert organization["DependsOn"] == [logical_id]
    linked = everything.stackset_templates["Tiny-Audit/HomeTemplate"]
    assert list(resources_of(linked, "AWS::SecurityHub::FindingAggregator")) == [logical_id]
    assert not resources_of(linked, FINDING_AGGREGATOR_TYPE)
    # Its handler is the inline one, answering within the custom resource's time.
    functions = resources_of(single_region_home, "AWS::Lambda::Function")
    (function,) = [f for f in functions.values() if "FindingAggregator" in json.dumps(f)]
    assert properties["ServiceToken"] == {
        "Fn::GetAtt": [next(k for k, v in functions.items() if v is function), "Arn"]
    }
    assert "create_finding_aggregator" in function["Properties"]["Code"]["ZipFile"]
    assert properties["ServiceTimeout"] == "360"
    assert function["Properties"]["Timeout"] == 300


def test_the_aggregator_handler_may_do_what_it_calls_and_no_more(
    single_region_home: dict[str, Any],
) -> None:
    roles = resources_of(single_region_home, "AWS::IAM::Role")
    (role_id,) = [k for k, r in roles.items() if "FindingAggregator" in json.dumps(r)]
    name = roles[role_id]["Properties"]["RoleName"]
    # The guardrail exempts <Prefix>-DetectionHandler-* from the aggregator's protection.
    assert name == "Tiny-DetectionHandler-FindingAggregator"
    policies = [
        p
        for p in resources_of(single_region_home, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    actions = {
        action
        for policy in policies
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
        if action.startswith("securityhub:")
    }
    assert actions == {a for grant in FINDING_AGGREGATOR_GRANTS for a in grant.actions}


def test_one_governed_region_passes_cfn_lint_and_cdk_nag(
    single_region_synth: Synth, tmp_path: Path
) -> None:
    templates = {
        name: template
        for name, template in {
            **single_region_synth.stackset_templates,
            **single_region_synth.templates,
        }.items()
        if "Audit" in name or "DetectionAdmin" in name
    }
    errors = cfn_lint_errors(written(templates, tmp_path), ["eu-west-1"])
    assert errors == [], "\n".join(str(m) for m in errors)
    assert nag_failures(single_region_synth.outdir) == []
    home = single_region_synth.stackset_templates["Tiny-Audit/HomeTemplate"]
    assert len(json.dumps(home, separators=(",", ":")).encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_nothing_on_builds_no_detection_stack_set(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path, append=NOTHING))
    app = App(context=cdk_context(), outdir=str(tmp_path / "out"))
    stacks = build_landing_zone(app, config=config)
    # Nothing runs in the audit account: no Audit stack, rather than an empty
    # one CloudFormation would refuse.
    assert "audit" not in stacks
    assert "Tiny-Audit" not in {stack.stack_name for stack in stacks.values()}
    admin = stacks["detection_admin/eu-west-1"]
    assert admin.conformance_pack is None  # type: ignore[attr-defined]
    assert admin.administrators.registrations == {}  # type: ignore[attr-defined]


def test_the_docs_list_every_rule_and_standard_as_the_code_has_them() -> None:
    """docs/detection.md is hand-written; this keeps it true (docs that promise Security Hub
    standards the code never enables are a known failure of peer projects)."""
    from landing_zone.guardrails.security_hub import STANDARDS

    docs = (Path(__file__).resolve().parent.parent / "docs" / "detection.md").read_text()
    for rule in DETECTIVE_RULES:
        where = "home" if rule.home_region_only else "every region"
        row = next(line for line in docs.splitlines() if line.startswith(f"| `{rule.id}` |"))
        assert all(control in row for control in rule.control_tower), row
        assert rule.source_identifier in row, row
        assert row.rstrip().endswith(f"| {where} |"), row
    rows = [line for line in docs.splitlines() if line.startswith("| `") and "` | " in line]
    documented_rules = {r.split("`")[1] for r in rows if "AWS-GR_" in r}
    assert documented_rules == {rule.id for rule in DETECTIVE_RULES}
    for standard in STANDARDS:
        assert f"| `{standard.key}` | {standard.title} |" in docs
