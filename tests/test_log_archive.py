"""The log archive StackSet content: buckets, key and alias, and their policies proven."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from landing_zone.constructs.keys import KEY_ADMIN_ACTIONS
from landing_zone.constructs.log_archive import PROTECTED_OBJECT_ACTIONS
from landing_zone.guardrails.evaluate import Request, resource_policy_decision
from tests.cfn_resolve import Resolver
from tests.conftest import Synth
from tests.templates import resources_of

ORG = "o-a1b2c3d4e5"
MANAGEMENT = "111111111111"
LOG_ARCHIVE = "333333333333"
AUDIT = "444444444444"
HOME = "eu-west-1"
BUCKET = f"acme-log-archive-logs-{LOG_ARCHIVE}-{HOME}"
CONFIG_BUCKET = f"acme-log-archive-config-{LOG_ARCHIVE}-{HOME}"
ACCESS_LOGS = f"acme-log-archive-access-logs-{LOG_ARCHIVE}-{HOME}"
TRAIL = f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT}:trail/Acme-OrganizationTrail"


@pytest.fixture(scope="module")
def template(log_archive_template: dict[str, Any]) -> Template:
    return Template.from_json(log_archive_template)


def bucket_named(template: dict[str, Any], purpose: str) -> tuple[str, dict[str, Any]]:
    for logical_id, bucket in resources_of(template, "AWS::S3::Bucket").items():
        if f"-log-archive-{purpose}-" in str(bucket["Properties"]["BucketName"]):
            return logical_id, bucket
    raise AssertionError(f"no {purpose} bucket")


def test_log_bucket_has_object_lock_with_default_governance_retention(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "ObjectLockEnabled": True,
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 365}},
            },
        },
    )


# ---- COMPLIANCE Object Lock: the everything variant (tests/variants.py) -------------------

COMPLIANCE_DAYS = 400  # object_lock.days of tests.variants.EVERYTHING
TINY_AUDIT = "222222222222"  # the minimal fixture's adopted audit account
TINY_PRIVILEGED = "TinyCCoE"  # its one privileged principal


@pytest.fixture(scope="module")
def compliance_template(everything_synth: Synth) -> dict[str, Any]:
    """The log archive of a config with ``object_lock: {mode: COMPLIANCE, days: 400}``."""
    return everything_synth.stackset_templates["Tiny-LogArchive/Template"]


@pytest.mark.parametrize(
    ("fixture", "mode", "days"),
    [
        ("log_archive_template", "GOVERNANCE", 365),
        ("compliance_template", "COMPLIANCE", COMPLIANCE_DAYS),
    ],
)
def test_object_lock_mode_and_days_follow_config_on_the_log_bucket_only(
    request: pytest.FixtureRequest, fixture: str, mode: str, days: int
) -> None:
    template: dict[str, Any] = request.getfixturevalue(fixture)
    locked = {
        logical_id: bucket
        for logical_id, bucket in resources_of(template, "AWS::S3::Bucket").items()
        if "ObjectLockConfiguration" in bucket["Properties"]
    }
    logs_id, logs = bucket_named(template, "logs")
    assert list(locked) == [logs_id]
    assert logs["Properties"]["ObjectLockEnabled"] is True
    assert logs["Properties"]["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
    }
    # Expiry defaults to the lock period: a locked version cannot be deleted
    # earlier, so an earlier expiry would only leave delete markers behind.
    rules = {r["Id"]: r for r in logs["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ArchiveThenExpire"]["ExpirationInDays"] == days
    assert logs["DeletionPolicy"] == logs["UpdateReplacePolicy"] == "Retain"


def _logs_bucket_policy(template: dict[str, Any], *, reader: str) -> dict[str, Any]:
    resolve = Resolver(
        template, account=LOG_ARCHIVE, region=HOME, parameters={"ReaderAccountId": reader}
    )
    logs_id, _ = bucket_named(template, "logs")
    (policy,) = [
        p
        for p in resources_of(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_id}
    ]
    document: dict[str, Any] = resolve(policy["Properties"]["PolicyDocument"])
    return document


@pytest.mark.parametrize("action", PROTECTED_OBJECT_ACTIONS)
def test_compliance_mode_keeps_the_governance_bucket_policy_decisions(
    log_archive_template: dict[str, Any], compliance_template: dict[str, Any], action: str
) -> None:
    """The bucket policy does not depend on the lock mode: under COMPLIANCE too only the
    privileged roles may try to remove, shorten or relabel a log (and Object Lock then
    refuses them as well until the days pass)."""
    modes = {
        "GOVERNANCE": (log_archive_template, AUDIT, "acme", "Acme-BreakGlass-Primary"),
        "COMPLIANCE": (compliance_template, TINY_AUDIT, "tiny", TINY_PRIVILEGED),
    }
    decisions = {}
    for mode, (template, reader, prefix, privileged) in modes.items():
        policy = _logs_bucket_policy(template, reader=reader)
        obj = f"arn:aws:s3:::{prefix}-log-archive-logs-{LOG_ARCHIVE}-{HOME}/AWSLogs/x/f.json.gz"
        decisions[mode] = {
            who: resource_policy_decision(
                policy,
                Request(action, obj, {**TLS, **principal_arn(principal)}, principal=principal),
            )
            for who, principal in (
                ("admin", ADMIN),
                ("privileged", role(LOG_ARCHIVE, privileged)),
            )
        }
    assert (
        decisions["COMPLIANCE"]
        == decisions["GOVERNANCE"]
        == {
            "admin": "deny",
            "privileged": "none",
        }
    )


def test_config_bucket_has_no_object_lock_because_config_cannot_deliver_there(
    log_archive_template: dict[str, Any],
) -> None:
    _, bucket = bucket_named(log_archive_template, "config")
    assert "ObjectLockEnabled" not in bucket["Properties"]
    assert "ObjectLockConfiguration" not in bucket["Properties"]


def test_every_bucket_is_versioned_private_owner_enforced_and_retained(
    log_archive_template: dict[str, Any],
) -> None:
    buckets = resources_of(log_archive_template, "AWS::S3::Bucket")
    assert len(buckets) == 3
    for bucket in buckets.values():
        properties = bucket["Properties"]
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
        }
        assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("purpose", ["logs", "config"])
def test_archive_buckets_use_the_log_archive_key_with_bucket_keys(
    log_archive_template: dict[str, Any], purpose: str
) -> None:
    _, bucket = bucket_named(log_archive_template, purpose)
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["BucketKeyEnabled"] is True
    default = rule["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    (key_id,) = resources_of(log_archive_template, "AWS::KMS::Key")
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_access_log_bucket_uses_sse_s3_because_log_delivery_requires_it(
    log_archive_template: dict[str, Any],
) -> None:
    access_id, access = bucket_named(log_archive_template, "access-logs")
    (rule,) = access["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "ObjectLockConfiguration" not in access["Properties"]
    for purpose in ("logs", "config"):
        _, bucket = bucket_named(log_archive_template, purpose)
        assert bucket["Properties"]["LoggingConfiguration"] == {
            "DestinationBucketName": {"Ref": access_id},
            "LogFilePrefix": f"{purpose}/",
        }


@pytest.mark.parametrize("purpose", ["logs", "config"])
def test_lifecycle_transitions_to_glacier_and_expires_after_retention(
    log_archive_template: dict[str, Any], purpose: str
) -> None:
    _, bucket = bucket_named(log_archive_template, purpose)
    lifecycle = bucket["Properties"]["LifecycleConfiguration"]
    rules = {r["Id"]: r for r in lifecycle["Rules"]}
    archive = rules["ArchiveThenExpire"]
    assert archive["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]
    assert archive["ExpirationInDays"] == 365
    assert archive["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rules["RemoveExpiredDeleteMarkers"]["ExpiredObjectDeleteMarker"] is True
    assert lifecycle["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"


def test_key_rotates_is_retained_and_has_an_alias(log_archive_template: dict[str, Any]) -> None:
    (key,) = resources_of(log_archive_template, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    (alias,) = resources_of(log_archive_template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == "alias/acme/landing-zone/log-archive"
    assert alias["DeletionPolicy"] == "Retain"


def test_account_root_administers_the_key_without_using_it(
    log_archive_template: dict[str, Any],
) -> None:
    (key,) = resources_of(log_archive_template, "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert not any("kms:*" in str(s["Action"]) for s in statements)
    (admin,) = [s for s in statements if s["Sid"] == "KeyAdministration"]
    assert admin["Action"] == list(KEY_ADMIN_ACTIONS)
    for crypto in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"):
        assert crypto not in admin["Action"]


def test_tls_is_required_on_every_bucket(template: Template) -> None:
    for condition in (
        {"Bool": {"aws:SecureTransport": "false"}},
        {"NumericLessThan": {"s3:TlsVersion": 1.2}},
    ):
        policies = template.find_resources(
            "AWS::S3::BucketPolicy",
            {
                "Properties": {
                    "PolicyDocument": {
                        "Statement": Match.array_with(
                            [Match.object_like({"Effect": "Deny", "Condition": condition})]
                        )
                    }
                }
            },
        )
        assert len(policies) == 3, condition


# ---- the policies, evaluated as deployed --------------------------------------------------


@pytest.fixture(scope="module")
def policies(log_archive_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resolve = Resolver(
        log_archive_template,
        account=LOG_ARCHIVE,
        region=HOME,
        parameters={"ReaderAccountId": AUDIT},
    )
    found: dict[str, dict[str, Any]] = {}
    for policy in resources_of(log_archive_template, "AWS::S3::BucketPolicy").values():
        document = resolve(policy["Properties"]["PolicyDocument"])
        found[resolve(policy["Properties"]["Bucket"])] = document
    (key,) = resources_of(log_archive_template, "AWS::KMS::Key").values()
    found["key"] = resolve(key["Properties"]["KeyPolicy"])
    return found


def service(name: str) -> tuple[str, str]:
    return ("Service", f"{name}.amazonaws.com")


def role(account: str, name: str) -> tuple[str, str]:
    return ("AWS", f"arn:aws:iam::{account}:role/{name}")


TLS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
FROM_TRAIL = {
    **TLS,
    "aws:SourceOrgID": ORG,
    "aws:SourceArn": TRAIL,
    "aws:SourceAccount": MANAGEMENT,
}
WRITE = {"s3:x-amz-acl": "bucket-owner-full-control"}
ADMIN = role(LOG_ARCHIVE, "Admin")
BREAK_GLASS = role(LOG_ARCHIVE, "Acme-BreakGlass-Primary")
STACKSET = role(LOG_ARCHIVE, "stacksets-exec-0123456789abcdef")
ARN_OF = {"admin": ADMIN, "break-glass": BREAK_GLASS, "stackset": STACKSET}


def principal_arn(principal: tuple[str, str]) -> dict[str, str]:
    return {"aws:PrincipalArn": principal[1]} if principal[0] == "AWS" else {}


OBJECT = f"arn:aws:s3:::{BUCKET}/AWSLogs/{ORG}/{MANAGEMENT}/CloudTrail/eu-west-1/f.json.gz"
CONFIG_OBJECT = f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/555555555555/Config/eu-west-1/f.json.gz"
CONFIG_IN_LOGS = f"arn:aws:s3:::{BUCKET}/AWSLogs/555555555555/Config/eu-west-1/f.json.gz"
FROM_CONFIG = {**TLS, "aws:SourceOrgID": ORG, "aws:SourceAccount": "555555555555"}
FINDING = f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{AUDIT}/GuardDuty/eu-central-1/2026/f.jsonl.gz"
FROM_GUARDDUTY = {
    **TLS,
    "aws:SourceOrgID": ORG,
    "aws:SourceAccount": AUDIT,
    "aws:SourceArn": f"arn:aws:guardduty:eu-central-1:{AUDIT}:detector/12abc34d567e8fa9",
}

# (what, bucket, principal, action, resource, context, expected)
BUCKET_CASES: list[tuple[str, str, tuple[str, str], str, str, dict[str, str], str]] = [
    ("trail writes org logs", BUCKET, service("cloudtrail"), "s3:PutObject", OBJECT,
     {**FROM_TRAIL, **WRITE}, "allow"),
    ("trail checks the bucket ACL", BUCKET, service("cloudtrail"), "s3:GetBucketAcl",
     f"arn:aws:s3:::{BUCKET}", FROM_TRAIL, "allow"),
    ("trail of another organization", BUCKET, service("cloudtrail"), "s3:PutObject", OBJECT,
     {**FROM_TRAIL, **WRITE, "aws:SourceOrgID": "o-other00000"}, "deny"),
    ("another trail of ours is not allowed", BUCKET, service("cloudtrail"), "s3:PutObject",
     OBJECT, {**FROM_TRAIL, **WRITE, "aws:SourceArn": TRAIL + "2"}, "none"),
    ("trail without bucket-owner-full-control", BUCKET, service("cloudtrail"), "s3:PutObject",
     OBJECT, FROM_TRAIL, "none"),
    ("config delivers for a member", CONFIG_BUCKET, service("config"), "s3:PutObject",
     CONFIG_OBJECT, {**FROM_CONFIG, **WRITE}, "allow"),
    ("config checks the bucket ACL", CONFIG_BUCKET, service("config"), "s3:GetBucketAcl",
     f"arn:aws:s3:::{CONFIG_BUCKET}", FROM_CONFIG, "allow"),
    ("config lists the bucket", CONFIG_BUCKET, service("config"), "s3:ListBucket",
     f"arn:aws:s3:::{CONFIG_BUCKET}", FROM_CONFIG, "allow"),
    ("config for another organization", CONFIG_BUCKET, service("config"), "s3:PutObject",
     CONFIG_OBJECT, {**FROM_CONFIG, **WRITE, "aws:SourceOrgID": "o-other00000"}, "deny"),
    ("config outside its prefix", CONFIG_BUCKET, service("config"), "s3:PutObject",
     f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{ORG}/CloudTrail/f", {**FROM_CONFIG, **WRITE},
     "none"),
    ("config into the Object Lock bucket", BUCKET, service("config"), "s3:PutObject",
     CONFIG_IN_LOGS, {**FROM_CONFIG, **WRITE}, "none"),
    ("trail into the Config bucket", CONFIG_BUCKET, service("cloudtrail"), "s3:PutObject",
     f"arn:aws:s3:::{CONFIG_BUCKET}/AWSLogs/{ORG}/x", {**FROM_TRAIL, **WRITE}, "none"),
    ("guardduty exports findings (no ACL header)", CONFIG_BUCKET, service("guardduty"),
     "s3:PutObject", FINDING, FROM_GUARDDUTY, "allow"),
    ("guardduty locates the bucket", CONFIG_BUCKET, service("guardduty"),
     "s3:GetBucketLocation", f"arn:aws:s3:::{CONFIG_BUCKET}", FROM_GUARDDUTY, "allow"),
    ("guardduty of another organization", CONFIG_BUCKET, service("guardduty"), "s3:PutObject",
     FINDING, {**FROM_GUARDDUTY, "aws:SourceOrgID": "o-other00000"}, "deny"),
    ("guardduty outside its prefix", CONFIG_BUCKET, service("guardduty"), "s3:PutObject",
     CONFIG_OBJECT, FROM_GUARDDUTY, "none"),
    ("guardduty into the Object Lock bucket", BUCKET, service("guardduty"), "s3:PutObject",
     f"arn:aws:s3:::{BUCKET}/AWSLogs/{AUDIT}/GuardDuty/x", FROM_GUARDDUTY, "none"),
    ("admin deletes a finding export", CONFIG_BUCKET, ADMIN, "s3:DeleteObjectVersion", FINDING,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin deletes a Config object", CONFIG_BUCKET, ADMIN, "s3:DeleteObject", CONFIG_OBJECT,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin deletes a Config version", CONFIG_BUCKET, ADMIN, "s3:DeleteObjectVersion",
     CONFIG_OBJECT, {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin forges a Config item", CONFIG_BUCKET, ADMIN, "s3:PutObject", CONFIG_OBJECT,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin shortens Config lifecycle", CONFIG_BUCKET, ADMIN, "s3:PutLifecycleConfiguration",
     f"arn:aws:s3:::{CONFIG_BUCKET}", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("break-glass may delete a Config version", CONFIG_BUCKET, BREAK_GLASS,
     "s3:DeleteObjectVersion", CONFIG_OBJECT, {**TLS, **principal_arn(BREAK_GLASS)}, "none"),
    ("audit reads Config history", CONFIG_BUCKET, role(AUDIT, "Investigator"), "s3:GetObject",
     CONFIG_OBJECT, {**TLS, **principal_arn(role(AUDIT, "Investigator"))}, "allow"),
    ("Config read without TLS", CONFIG_BUCKET, role(AUDIT, "Investigator"), "s3:GetObject",
     CONFIG_OBJECT, {"aws:SecureTransport": "false",
     **principal_arn(role(AUDIT, "Investigator"))}, "deny"),
    ("Config read over TLS 1.1", CONFIG_BUCKET, role(AUDIT, "Investigator"), "s3:GetObject",
     CONFIG_OBJECT, {"aws:SecureTransport": "true", "s3:TlsVersion": "1.1",
     **principal_arn(role(AUDIT, "Investigator"))}, "deny"),
    ("log-archive admin writes a forged log", BUCKET, ADMIN, "s3:PutObject", OBJECT,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin deletes a version", BUCKET, ADMIN, "s3:DeleteObjectVersion", OBJECT,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin bypasses governance", BUCKET, ADMIN, "s3:BypassGovernanceRetention",
     OBJECT, {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin shortens retention", BUCKET, ADMIN, "s3:PutObjectRetention", OBJECT,
     {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin changes the policy", BUCKET, ADMIN, "s3:PutBucketPolicy",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin deletes the bucket", BUCKET, ADMIN, "s3:DeleteBucket",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("log-archive admin changes lifecycle", BUCKET, ADMIN, "s3:PutLifecycleConfiguration",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("break-glass may change the policy", BUCKET, BREAK_GLASS, "s3:PutBucketPolicy",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(BREAK_GLASS)}, "none"),
    ("StackSet role may update the policy", BUCKET, STACKSET, "s3:PutBucketPolicy",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(STACKSET)}, "none"),
    ("audit reads a log", BUCKET, role(AUDIT, "Investigator"), "s3:GetObject", OBJECT,
     {**TLS, **principal_arn(role(AUDIT, "Investigator"))}, "allow"),
    ("audit lists the bucket", BUCKET, role(AUDIT, "Investigator"), "s3:ListBucket",
     f"arn:aws:s3:::{BUCKET}", {**TLS, **principal_arn(role(AUDIT, "Investigator"))}, "allow"),
    ("audit cannot delete", BUCKET, role(AUDIT, "Investigator"), "s3:DeleteObject", OBJECT,
     {**TLS, **principal_arn(role(AUDIT, "Investigator"))}, "deny"),
    ("audit reads without TLS", BUCKET, role(AUDIT, "Investigator"), "s3:GetObject", OBJECT,
     {"aws:SecureTransport": "false", **principal_arn(role(AUDIT, "Investigator"))}, "deny"),
    ("audit reads over TLS 1.0", BUCKET, role(AUDIT, "Investigator"), "s3:GetObject", OBJECT,
     {"aws:SecureTransport": "true", "s3:TlsVersion": "1.0",
      **principal_arn(role(AUDIT, "Investigator"))}, "deny"),
    ("a workload account reads", BUCKET, role("666666666666", "Dev"), "s3:GetObject", OBJECT,
     {**TLS, **principal_arn(role("666666666666", "Dev"))}, "none"),
    ("S3 delivers access logs", ACCESS_LOGS, service("logging.s3"), "s3:PutObject",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/2026-11-23", {**TLS, "aws:SourceOrgID": ORG,
     "aws:SourceAccount": LOG_ARCHIVE, "aws:SourceArn": f"arn:aws:s3:::{BUCKET}"}, "allow"),
    ("S3 delivers for another organization", ACCESS_LOGS, service("logging.s3"), "s3:PutObject",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/2026-11-23", {**TLS, "aws:SourceOrgID": "o-other00000",
     "aws:SourceAccount": "999999999999", "aws:SourceArn": "arn:aws:s3:::theirs"}, "deny"),
    ("admin deletes access logs", ACCESS_LOGS, ADMIN, "s3:DeleteObjectVersion",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/x", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin changes the access-log policy", ACCESS_LOGS, ADMIN, "s3:PutBucketPolicy",
     f"arn:aws:s3:::{ACCESS_LOGS}", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("admin forges an access log", ACCESS_LOGS, ADMIN, "s3:PutObject",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/x", {**TLS, **principal_arn(ADMIN)}, "deny"),
    ("access logs read without TLS", ACCESS_LOGS, ADMIN, "s3:GetObject",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/x", {"aws:SecureTransport": "false"}, "deny"),
    ("access logs read over TLS 1.1", ACCESS_LOGS, ADMIN, "s3:GetObject",
     f"arn:aws:s3:::{ACCESS_LOGS}/logs/x", {"aws:SecureTransport": "true",
     "s3:TlsVersion": "1.1"}, "deny"),
]  # fmt: skip


@pytest.mark.parametrize("case", BUCKET_CASES, ids=[c[0] for c in BUCKET_CASES])
def test_bucket_policy_decides(
    policies: dict[str, dict[str, Any]],
    case: tuple[str, str, tuple[str, str], str, str, dict[str, str], str],
) -> None:
    _, bucket, principal, action, resource, context, expected = case
    request = Request(action, resource, context, principal=principal)
    assert resource_policy_decision(policies[bucket], request) == expected


KEY = f"arn:aws:kms:{HOME}:{LOG_ARCHIVE}:key/1234"
TRAIL_CONTEXT = {"kms:EncryptionContext:aws:cloudtrail:arn": TRAIL}

# (what, principal, action, context, expected)
KEY_CASES: list[tuple[str, tuple[str, str], str, dict[str, str], str]] = [
    ("trail encrypts", service("cloudtrail"), "kms:GenerateDataKey",
     {**FROM_TRAIL, **TRAIL_CONTEXT}, "allow"),
    ("trail without its encryption context", service("cloudtrail"), "kms:GenerateDataKey",
     FROM_TRAIL, "none"),
    ("trail decrypts for the bucket key", service("cloudtrail"), "kms:Decrypt", FROM_TRAIL,
     "allow"),
    ("trail of another organization", service("cloudtrail"), "kms:Decrypt",
     {**FROM_TRAIL, "aws:SourceOrgID": "o-other00000"}, "none"),
    ("config encrypts for a member", service("config"), "kms:GenerateDataKey",
     {"aws:SourceOrgID": ORG}, "allow"),
    ("config of another organization", service("config"), "kms:GenerateDataKey",
     {"aws:SourceOrgID": "o-other00000"}, "none"),
    ("guardduty encrypts an export", service("guardduty"), "kms:GenerateDataKey",
     FROM_GUARDDUTY, "allow"),
    ("guardduty of another organization", service("guardduty"), "kms:GenerateDataKey",
     {**FROM_GUARDDUTY, "aws:SourceOrgID": "o-other00000"}, "none"),
    ("guardduty cannot decrypt", service("guardduty"), "kms:Decrypt", FROM_GUARDDUTY, "none"),
    ("audit resolves the alias (GuardDuty export)", role(AUDIT, "Acme-DetectionHandler-x"),
     "kms:DescribeKey", principal_arn(role(AUDIT, "Acme-DetectionHandler-x")), "allow"),
    ("audit decrypts", role(AUDIT, "Investigator"), "kms:Decrypt",
     principal_arn(role(AUDIT, "Investigator")), "allow"),
    ("log-archive admin cannot decrypt", ADMIN, "kms:Decrypt", principal_arn(ADMIN), "none"),
    ("log-archive admin cannot grant", ADMIN, "kms:CreateGrant", principal_arn(ADMIN), "deny"),
    ("log-archive admin cannot schedule deletion", ADMIN, "kms:ScheduleKeyDeletion",
     principal_arn(ADMIN), "deny"),
    ("log-archive admin cannot disable", ADMIN, "kms:DisableKey", principal_arn(ADMIN), "deny"),
    ("log-archive admin cannot repoint the alias", ADMIN, "kms:UpdateAlias",
     principal_arn(ADMIN), "deny"),
    ("log-archive admin may describe", ADMIN, "kms:DescribeKey", principal_arn(ADMIN), "allow"),
    ("break-glass may change the key policy", BREAK_GLASS, "kms:PutKeyPolicy",
     principal_arn(BREAK_GLASS), "allow"),
    ("StackSet role may update the key policy", STACKSET, "kms:PutKeyPolicy",
     principal_arn(STACKSET), "allow"),
    ("a workload account decrypts", role("666666666666", "Dev"), "kms:Decrypt",
     principal_arn(role("666666666666", "Dev")), "none"),
]  # fmt: skip


@pytest.mark.parametrize("case", KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_key_policy_decides(
    policies: dict[str, dict[str, Any]],
    case: tuple[str, tuple[str, str], str, dict[str, str], str],
) -> None:
    _, principal, action, context, expected = case
    request = Request(action, KEY, context, principal=principal)
    assert resource_policy_decision(policies["key"], request) == expected


def test_every_deny_statement_denies_some_case(policies: dict[str, dict[str, Any]]) -> None:
    """A deny statement no case reaches is either dead or untested."""
    from landing_zone.guardrails.evaluate import statement_matches

    requests = [(c[1], Request(c[3], c[4], c[5], principal=c[2])) for c in BUCKET_CASES] + [
        ("key", Request(c[2], KEY, c[3], principal=c[1])) for c in KEY_CASES
    ]
    for name, policy in policies.items():
        for statement in policy["Statement"]:
            if statement["Effect"] != "Deny":
                continue
            assert any(
                target == name and statement_matches(statement, request)
                for target, request in requests
            ), f"{name}: {statement.get('Sid', statement['Condition'])} denies no case"
