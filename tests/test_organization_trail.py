"""The organization trail, its log group and the CIS monitoring alarms (management account)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Environment
from aws_cdk.assertions import Match, Template

from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.guardrails.cis_alarms import CIS_ALARMS, MAX_PATTERN_CHARS
from landing_zone.references import LogArchiveRef
from landing_zone.stacks.trail_stack import TrailStack
from tests.conftest import ROOT, cdk_context
from tests.variants import minimal_variant


@pytest.fixture(scope="module")
def template(trail_template: dict[str, Any]) -> Template:
    return Template.from_json(trail_template)


def test_trail_is_an_organization_trail_in_every_region_with_validation(
    template: Template,
) -> None:
    template.resource_count_is("AWS::CloudTrail::Trail", 1)
    template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "TrailName": "Acme-OrganizationTrail",
            "IsOrganizationTrail": True,
            "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True,
            "EnableLogFileValidation": True,
            "IsLogging": True,
        },
    )


def test_trail_encrypts_with_the_log_archive_key_and_delivers_to_the_log_bucket(
    trail_template: dict[str, Any],
) -> None:
    (trail,) = [r for r in trail_template["Resources"].values() if r["Type"].endswith("Trail")]
    properties = trail["Properties"]
    kms_parts = properties["KMSKeyId"]["Fn::Join"][1]
    assert kms_parts[0] == "arn:aws:kms:eu-west-1:"
    assert kms_parts[-1] == ":alias/acme/landing-zone/log-archive"
    bucket_parts = properties["S3BucketName"]["Fn::Join"][1]
    assert bucket_parts[0] == "acme-log-archive-logs-"
    assert bucket_parts[-1] == "-eu-west-1"
    # Both come from the log-archive account id the organization stack creates.
    assert kms_parts[1] == bucket_parts[1]


def test_trail_logs_to_an_encrypted_retained_log_group(
    template: Template, trail_template: dict[str, Any]
) -> None:
    groups = template.find_resources(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": "/acme/landing-zone/organization-trail",
                "RetentionInDays": 365,
                "KmsKeyId": Match.object_like({"Fn::GetAtt": Match.any_value()}),
            },
            "DeletionPolicy": "Retain",
        },
    )
    (group_id,) = groups
    (trail,) = [r for r in trail_template["Resources"].values() if r["Type"].endswith("Trail")]
    assert trail["Properties"]["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [group_id, "Arn"]}
    (role_id,) = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": "Acme-OrganizationTrailLogs"}}
    )
    assert trail["Properties"]["CloudWatchLogsRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_logs_role_trusts_only_this_trail(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "Acme-OrganizationTrailLogs",
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Condition": {
                                "StringEquals": {
                                    "aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:111111111111:"
                                    "trail/Acme-OrganizationTrail",
                                    "aws:SourceAccount": "111111111111",
                                }
                            },
                        }
                    )
                ]
            },
        },
    )


def test_example_records_management_events_only_and_no_lake(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "AdvancedEventSelectors": [
                {
                    "Name": Match.any_value(),
                    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                }
            ]
        },
    )
    template.resource_count_is("AWS::CloudTrail::EventDataStore", 0)


def test_monitoring_key_lets_only_this_log_group_and_cloudwatch_alarms_use_it(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "CloudWatchLogsEncrypt",
                                "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
                                "Condition": {
                                    "ArnEquals": {
                                        "kms:EncryptionContext:aws:logs:arn": [
                                            "arn:aws:logs:eu-west-1:111111111111:log-group:"
                                            "/acme/landing-zone/organization-trail"
                                        ]
                                    }
                                },
                            }
                        ),
                        Match.object_like(
                            {
                                "Sid": "CloudWatchAlarmsPublish",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            }
                        ),
                    ]
                )
            },
        },
    )


def test_alarm_topic_is_kms_encrypted_and_tls_only(template: Template) -> None:
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "Acme-SecurityAlarms", "KmsMasterKeyId": Match.any_value()},
    )
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "security-alerts@acme.example"},
    )


def test_every_cis_row_became_a_metric_filter_and_an_alarm_on_the_topic(
    trail_template: dict[str, Any],
) -> None:
    resources = trail_template["Resources"]
    filters = {
        r["Properties"]["MetricTransformations"][0]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    }
    alarms = {
        r["Properties"]["MetricName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    (topic_id,) = [k for k, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    # The CIS rows, and the example's break-glass alarm (tests/test_break_glass.py).
    assert len(CIS_ALARMS) == 15
    assert set(filters) == set(alarms) == {row.key for row in CIS_ALARMS} | {"BreakGlassUse"}
    for row in CIS_ALARMS:
        metric_filter = filters[row.key]
        assert metric_filter["FilterPattern"] == row.pattern
        assert metric_filter["MetricTransformations"][0]["MetricNamespace"] == "Acme/CISBenchmark"
        alarm = alarms[row.key]
        assert alarm["AlarmName"] == f"Acme-CIS-{row.cis_id}-{row.key}"
        assert alarm["Namespace"] == "Acme/CISBenchmark"
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert f"v3.0 {row.cis_id}:" in alarm["AlarmDescription"]


def test_cis_table_covers_section_4_once_each() -> None:
    ids = [row.cis_id for row in CIS_ALARMS]
    assert ids == [f"4.{n}" for n in range(1, 16)]
    assert len({row.key for row in CIS_ALARMS}) == len(CIS_ALARMS)


@pytest.mark.parametrize("row", CIS_ALARMS, ids=[r.cis_id for r in CIS_ALARMS])
def test_cis_pattern_is_well_formed(row: Any) -> None:
    pattern = row.pattern
    assert len(pattern) <= MAX_PATTERN_CHARS
    assert pattern.startswith("{ ")
    assert pattern.endswith(" }")
    depth = 0
    for char in pattern[1:-1]:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0, pattern
    assert depth == 0, pattern
    for source, names in row.events:
        for name in names:
            assert f"($.eventName = {name})" in pattern
        assert f"($.eventSource = {source})" in pattern


def test_cis_event_names_are_real_api_operations() -> None:
    """CloudTrail's eventName is the API operation name; a typo would match nothing, silently.

    botocore's service models list every operation (S3's event names, such as
    PutBucketLifecycle, are API names that differ from the IAM action names).
    """
    import botocore.session

    session = botocore.session.get_session()
    unknown = []
    for row in CIS_ALARMS:
        for source, names in row.events:
            service = source.removesuffix(".amazonaws.com")
            operations = set(session.get_service_model(service).operation_names)
            unknown += [f"{row.cis_id} {service}:{n}" for n in names if n not in operations]
    assert unknown == []


def test_benign_sources_are_excluded_from_unauthorized_calls() -> None:
    (row,) = [r for r in CIS_ALARMS if r.cis_id == "4.1"]
    for source in ("delivery.logs.amazonaws.com", "config.amazonaws.com"):
        assert f'($.sourceIPAddress != "{source}")' in row.pattern


# ---- options: a variant config synthesizes the trail stack alone ----------------------------

OPTIONS = """
organization_trail:
  log_group_retention_days: 731
  data_events:
    s3: true
    lambda: true
  cloudtrail_lake:
    enabled: true
    retention_days: 2557
monitoring:
  alarm_emails: [soc@tiny.example, oncall@tiny.example]
  disabled_cis_alarms:
    '4.1': Noisy during migration; GuardDuty covers probing
"""


def trail_stack_template(config: LandingZoneConfig) -> Template:
    app = App(context=cdk_context())
    stack = TrailStack(
        app,
        "Trail",
        env=Environment(account="111111111111", region=config.regions.home),
        config=config,
        log_archive=LogArchiveRef.of(config, account_id="333333333333"),
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def options_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = minimal_variant(tmp_path_factory.mktemp("options"), append=OPTIONS)
    return trail_stack_template(load_config(path))


def test_data_events_use_advanced_selectors_and_skip_the_log_archive(
    options_template: Template,
) -> None:
    options_template.has_resource_properties(
        "AWS::CloudTrail::Trail",
        {
            "AdvancedEventSelectors": [
                Match.object_like(
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
                ),
                Match.object_like(
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {
                                "Field": "resources.ARN",
                                "NotStartsWith": [
                                    "arn:aws:s3:::tiny-log-archive-logs-333333333333-eu-west-1/",
                                    "arn:aws:s3:::tiny-log-archive-config-333333333333-eu-west-1/",
                                    "arn:aws:s3:::tiny-log-archive-access-logs-333333333333-"
                                    "eu-west-1/",
                                ],
                            },
                        ]
                    }
                ),
                Match.object_like(
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                        ]
                    }
                ),
            ]
        },
    )


def test_cloudtrail_lake_store_is_organization_wide_and_retained(
    options_template: Template,
) -> None:
    options_template.has_resource(
        "AWS::CloudTrail::EventDataStore",
        {
            "Properties": Match.object_like(
                {
                    "OrganizationEnabled": True,
                    "MultiRegionEnabled": True,
                    "RetentionPeriod": 2557,
                    "TerminationProtectionEnabled": True,
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )


def test_options_set_retention_recipients_and_disabled_alarms(options_template: Template) -> None:
    options_template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 731})
    options_template.resource_count_is("AWS::SNS::Subscription", 2)
    options_template.resource_count_is("AWS::Logs::MetricFilter", len(CIS_ALARMS) - 1)
    options_template.resource_count_is("AWS::CloudWatch::Alarm", len(CIS_ALARMS) - 1)
    alarms = options_template.find_resources("AWS::CloudWatch::Alarm")
    assert not any("CIS-4.1-" in a["Properties"]["AlarmName"] for a in alarms.values())


def test_logging_docs_list_every_cis_alarm() -> None:
    """The docs table is hand-written prose; this keeps it from drifting from the table."""
    docs = (ROOT / "docs" / "logging.md").read_text()
    for row in CIS_ALARMS:
        assert f"| {row.cis_id} | {row.key} |" in docs, row.cis_id
