"""Remediation playbooks: real before/after state with moto, dry-run, skip, idempotence, records.

Security Hub's BatchUpdateFindings is not in moto: a botocore Stubber checks
each call against the API model instead. The sample events are checked in
(tests/fixtures/remediation), in the shapes AWS's documentation shows.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from landing_zone.lambdas import remediation
from landing_zone.remediation.playbooks import BY_KEY, PLAYBOOKS, SKIP_TAG, event_pattern
from tests.event_patterns import matches

FIXTURES = Path(__file__).parent / "fixtures" / "remediation"
TARGET = "444444444444"
AUDIT = "123456789012"  # moto's default account: the function's own
MANAGEMENT = "111111111111"
ARCHIVE = "acme-log-archive-logs-555555555555-eu-west-1"
SAMPLES = {
    "instance-credential-exfiltration": "guardduty-exfiltration.json",
    "public-s3-bucket": "securityhub-s3.json",
    "open-admin-ports": "securityhub-ec2-13.json",
    "exposed-access-key": "health-credentials-exposed.json",
    "root-activity": "guardduty-root.json",
}


#: Findings that look like control findings but were imported, not evaluated.
FORGED_PRODUCTS = {
    "imported-by-the-account": f"arn:aws:securityhub:eu-west-1:{TARGET}:product/{TARGET}/default",
    "imported-by-a-partner": "arn:aws:securityhub:eu-west-1::product/somevendor/securityhub",
    "lookalike-product-path": f"arn:aws:securityhub:eu-west-1:{TARGET}:product/aws/securityhub",
}


def sample(key: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / SAMPLES[key]).read_text())
    return loaded


class World:
    """moto in the target account, the function's own clients, and what it recorded."""

    def __init__(self) -> None:
        self.hub = boto3.client("securityhub", region_name="eu-west-1")
        self.stub = Stubber(self.hub)
        self.updates: list[dict[str, Any]] = []
        own = boto3.client("s3", region_name="eu-west-1")
        own.create_bucket(
            Bucket=ARCHIVE, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        self.topic = boto3.client("sns", region_name="eu-west-1").create_topic(
            Name="Acme-SecurityFindings"
        )["TopicArn"]
        sts = boto3.client("sts", region_name="eu-west-1")
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{TARGET}:role/Acme-Remediation", RoleSessionName="setup"
        )["Credentials"]
        self.target = boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def expect_update(self, status: str) -> None:
        self.stub.add_response(
            "batch_update_findings",
            {"ProcessedFindings": [], "UnprocessedFindings": []},
            {
                "FindingIdentifiers": ANY,
                "Note": ANY,
                "Workflow": {"Status": status},
            },
        )

    def records(self) -> list[dict[str, Any]]:
        s3 = boto3.client("s3", region_name="eu-west-1")
        keys = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket=ARCHIVE, Prefix="remediation/").get("Contents", [])
        ]
        return [
            json.loads(s3.get_object(Bucket=ARCHIVE, Key=k)["Body"].read()) for k in sorted(keys)
        ]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name, value in {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PARTITION": "aws",
        "ROLE_NAME": "Acme-Remediation",
        "HOME_REGION": "eu-west-1",
        "ARCHIVE_BUCKET": ARCHIVE,
        "MANAGEMENT_ACCOUNT_ID": MANAGEMENT,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        state = World()
        monkeypatch.setenv("TOPIC_ARN", state.topic)
        real = remediation.own_client
        monkeypatch.setattr(
            remediation,
            "own_client",
            lambda service: state.hub if service == "securityhub" else real(service),
        )
        with state.stub:
            yield state
        state.stub.assert_no_pending_responses()


def run(key: str, mode: str, event: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    import os

    os.environ["MODES"] = json.dumps({key: mode})
    return remediation.handler({"playbook": key, "event": event or sample(key)}, None)


def granted(key: str, mode: str) -> set[str]:
    return set(BY_KEY[key].actions(mode))  # type: ignore[arg-type]


def called(entries: list[dict[str, Any]]) -> set[str]:
    return {c["action"] for e in entries for c in e["calls"]}


# -- the table and the code agree --


def test_every_row_has_code_and_every_code_a_row() -> None:
    assert set(remediation.PLAYBOOKS) == {p.key for p in PLAYBOOKS}
    assert set(SAMPLES) == set(remediation.PLAYBOOKS)


def test_the_lambda_shares_the_tables_tag_names() -> None:
    from landing_zone.remediation import playbooks

    assert (remediation.SKIP_KEY, remediation.SKIP_VALUE) == SKIP_TAG
    assert remediation.MARK_TAG == playbooks.MARK_TAG
    assert remediation.REVOKE_POLICY_NAME == playbooks.REVOKE_POLICY_NAME
    assert set(remediation.PORTS) == set(BY_KEY["open-admin-ports"].types)


# -- EventBridge patterns: real samples match, near misses do not --


@pytest.mark.parametrize("key", list(SAMPLES))
def test_the_pattern_matches_the_documented_sample(key: str) -> None:
    assert matches(event_pattern(BY_KEY[key]), sample(key))


def _near_misses() -> Iterator[tuple[str, str, dict[str, Any]]]:
    exfil = sample("instance-credential-exfiltration")
    other = copy.deepcopy(exfil)
    other["detail"]["type"] = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration"
    yield "instance-credential-exfiltration", "retired-type-name", other
    for key in ("public-s3-bucket", "open-admin-ports"):
        base = sample(key)
        passed = copy.deepcopy(base)
        passed["detail"]["findings"][0]["Compliance"]["Status"] = "PASSED"
        yield key, "passed", passed
        notified = copy.deepcopy(base)
        notified["detail"]["findings"][0]["Workflow"]["Status"] = "NOTIFIED"
        yield key, "already-notified", notified
        archived = copy.deepcopy(base)
        archived["detail"]["findings"][0]["RecordState"] = "ARCHIVED"
        yield key, "archived", archived
        # Any account imports findings about itself (its default product)
        # with any control id; allow-listed partners name other accounts.
        for name, product in FORGED_PRODUCTS.items():
            forged = copy.deepcopy(base)
            forged["detail"]["findings"][0]["ProductArn"] = product
            yield key, name, forged
    s3_1 = sample("public-s3-bucket")
    s3_1["detail"]["findings"][0]["Compliance"]["SecurityControlId"] = "S3.1"
    yield "public-s3-bucket", "account-level-control", s3_1
    ec2_18 = sample("open-admin-ports")
    ec2_18["detail"]["findings"][0]["Compliance"]["SecurityControlId"] = "EC2.18"
    yield "open-admin-ports", "other-port-control", ec2_18
    health = sample("exposed-access-key")
    health["detail"]["eventTypeCode"] = "AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED"
    yield "exposed-access-key", "other-risk-event", health
    root = sample("root-activity")
    root["detail"]["type"] = "Policy:IAMUser/RootCredentialUsage.Suspicious"
    yield "root-activity", "other-type", root


@pytest.mark.parametrize(
    ("key", "event"), [(k, e) for k, _, e in _near_misses()], ids=[n for _, n, _ in _near_misses()]
)
def test_the_pattern_ignores_near_misses(key: str, event: dict[str, Any]) -> None:
    assert not matches(event_pattern(BY_KEY[key]), event)


def test_no_sample_triggers_another_playbook() -> None:
    for key, name in SAMPLES.items():
        for other in PLAYBOOKS:
            if other.key != key:
                assert not matches(event_pattern(other), sample(key)), (name, other.key)


# -- instance credential exfiltration --


def _instance(world: World, *, skip: bool = False) -> tuple[str, str]:
    ec2 = world.target.client("ec2", region_name="eu-west-1")
    iam = world.target.client("iam", region_name="eu-west-1")
    iam.create_role(RoleName="web-instance-role", AssumeRolePolicyDocument="{}")
    if skip:
        iam.tag_role(RoleName="web-instance-role", Tags=[{"Key": SKIP_TAG[0], "Value": "skip"}])
    # moto's built-in example AMI.
    instance_id = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"]
    return instance_id, described[0]["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]


def _exfil_event(instance_id: str) -> dict[str, Any]:
    text = json.dumps(sample("instance-credential-exfiltration")).replace("i-INSTANCE", instance_id)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_exfiltration_on_revokes_sessions_tags_and_snapshots(world: World) -> None:
    instance_id, volume = _instance(world)
    world.expect_update("RESOLVED")
    [entry] = run("instance-credential-exfiltration", "on", _exfil_event(instance_id))
    assert entry["decision"] == "acted"
    iam = world.target.client("iam", region_name="eu-west-1")
    policy = iam.get_role_policy(RoleName="web-instance-role", PolicyName="AWSRevokeOlderSessions")
    statement = policy["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == ["*"]
    assert statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"] == entry["time"]
    ec2 = world.target.client("ec2", region_name="eu-west-1")
    tags = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0][
        "Tags"
    ]
    assert {"Key": "landing-zone:remediation-finding", "Value": ANY} in tags
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    assert [s["VolumeId"] for s in snapshots] == [volume]
    assert entry["before"]["sessions_revoked_before"] is None
    assert called([entry]) == granted("instance-credential-exfiltration", "on")
    # Every client: the finding's account; IAM in the home region, EC2 in the finding's.
    assert {(c["account"], c["region"], c["action"].split(":")[0]) for c in entry["calls"]} == {
        (TARGET, "eu-west-1", "iam"),
        (TARGET, "eu-west-1", "ec2"),
    }

    # A retry changes nothing: no second snapshot, same policy.
    world.expect_update("RESOLVED")
    [again] = run("instance-credential-exfiltration", "on", _exfil_event(instance_id))
    assert again["decision"] == "unchanged"
    assert len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == 1
    assert (
        iam.get_role_policy(RoleName="web-instance-role", PolicyName="AWSRevokeOlderSessions")[
            "PolicyDocument"
        ]
        == policy["PolicyDocument"]
    )


def test_exfiltration_dry_run_changes_nothing_and_reads_only(world: World) -> None:
    instance_id, _ = _instance(world)
    world.expect_update("NOTIFIED")
    [entry] = run("instance-credential-exfiltration", "dry-run", _exfil_event(instance_id))
    assert entry["decision"] == "dry-run"
    iam = world.target.client("iam", region_name="eu-west-1")
    assert iam.list_role_policies(RoleName="web-instance-role")["PolicyNames"] == []
    ec2 = world.target.client("ec2", region_name="eu-west-1")
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    assert called([entry]) == granted("instance-credential-exfiltration", "dry-run")


def test_a_guardduty_sample_finding_is_recorded_and_never_acted_on(world: World) -> None:
    instance_id, _ = _instance(world)
    world.expect_update("NOTIFIED")
    event = _exfil_event(instance_id)
    event["detail"].setdefault("service", {}).setdefault("additionalInfo", {})["sample"] = True
    [entry] = run("instance-credential-exfiltration", "on", event)
    assert entry["decision"] == "skipped"
    assert "sample finding" in entry["reason"]
    iam = world.target.client("iam", region_name="eu-west-1")
    assert iam.list_role_policies(RoleName="web-instance-role")["PolicyNames"] == []
    assert called([entry]) == set()


def test_exfiltration_skips_a_role_tagged_skip(world: World) -> None:
    instance_id, _ = _instance(world, skip=True)
    world.expect_update("NOTIFIED")
    [entry] = run("instance-credential-exfiltration", "on", _exfil_event(instance_id))
    assert entry["decision"] == "skipped"
    iam = world.target.client("iam", region_name="eu-west-1")
    assert iam.list_role_policies(RoleName="web-instance-role")["PolicyNames"] == []
    assert world.records()[-1]["decision"] == "skipped"


# -- public bucket --


def _bucket(world: World) -> Any:
    s3 = world.target.client("s3", region_name="eu-west-1")
    s3.create_bucket(
        Bucket="retail-web-assets", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    # A skip tag is not honoured here: anyone may tag a bucket.
    s3.put_bucket_tagging(
        Bucket="retail-web-assets", Tagging={"TagSet": [{"Key": SKIP_TAG[0], "Value": "skip"}]}
    )
    return s3


def test_public_bucket_on_blocks_public_access_once(world: World) -> None:
    s3 = _bucket(world)
    world.expect_update("RESOLVED")
    [entry] = run("public-s3-bucket", "on")
    assert entry["decision"] == "acted"
    assert entry["before"] == {}
    block = s3.get_public_access_block(Bucket="retail-web-assets")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert len(block) == 4
    assert called([entry]) == granted("public-s3-bucket", "on")
    world.expect_update("RESOLVED")
    [again] = run("public-s3-bucket", "on")
    assert again["decision"] == "unchanged"
    assert called([again]) == {"s3:GetBucketPublicAccessBlock"}


def test_public_bucket_dry_run_leaves_the_bucket_open(world: World) -> None:
    s3 = _bucket(world)
    world.expect_update("NOTIFIED")
    [entry] = run("public-s3-bucket", "dry-run")
    assert entry["decision"] == "dry-run"
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_public_access_block(Bucket="retail-web-assets")


# -- admin ports --


def _group(world: World, *, skip: bool = False) -> tuple[Any, str]:
    ec2 = world.target.client("ec2", region_name="eu-west-1")
    group = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    if skip:
        ec2.create_tags(Resources=[group], Tags=[{"Key": SKIP_TAG[0], "Value": "skip"}])
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
        ],
    )
    return ec2, group


def _ingress(ec2: Any, group: str) -> set[tuple[Any, ...]]:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    return {
        (r["FromPort"], r.get("CidrIpv4") or r.get("CidrIpv6"))
        for r in rules["SecurityGroupRules"]
        if not r["IsEgress"]
    }


def _ports_event(group: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        json.dumps(sample("open-admin-ports")).replace("sg-GROUP", group)
    )
    return loaded


def test_admin_ports_on_revokes_exactly_the_world_rules(world: World) -> None:
    ec2, group = _group(world)
    world.expect_update("RESOLVED")
    [entry] = run("open-admin-ports", "on", _ports_event(group))
    assert entry["decision"] == "acted"
    assert len(entry["before"]) == 2
    assert _ingress(ec2, group) == {(22, "10.0.0.0/8"), (443, "0.0.0.0/0")}
    assert called([entry]) == granted("open-admin-ports", "on")
    world.expect_update("RESOLVED")
    [again] = run("open-admin-ports", "on", _ports_event(group))
    assert again["decision"] == "unchanged"
    assert _ingress(ec2, group) == {(22, "10.0.0.0/8"), (443, "0.0.0.0/0")}


def test_admin_ports_dry_run_and_skip_leave_the_rules(world: World) -> None:
    ec2, group = _group(world)
    world.expect_update("NOTIFIED")
    [entry] = run("open-admin-ports", "dry-run", _ports_event(group))
    assert entry["decision"] == "dry-run"
    assert len(entry["before"]) == 2
    assert (22, "0.0.0.0/0") in _ingress(ec2, group)
    ec2.create_tags(Resources=[group], Tags=[{"Key": SKIP_TAG[0], "Value": "skip"}])
    world.expect_update("NOTIFIED")
    [skipped] = run("open-admin-ports", "on", _ports_event(group))
    assert skipped["decision"] == "skipped"
    assert (22, "::/0") in _ingress(ec2, group)


def test_a_skip_tag_in_another_case_is_not_a_skip(world: World) -> None:
    ec2, group = _group(world)
    ec2.create_tags(Resources=[group], Tags=[{"Key": "Landing-Zone:Remediation", "Value": "skip"}])
    world.expect_update("RESOLVED")
    [entry] = run("open-admin-ports", "on", _ports_event(group))
    assert entry["decision"] == "acted"


# -- exposed access key --


def _key(world: World, *, skip: bool = False) -> tuple[Any, dict[str, Any]]:
    iam = world.target.client("iam", region_name="eu-west-1")
    iam.create_user(UserName="ci", Tags=[{"Key": SKIP_TAG[0], "Value": "skip"}] if skip else [])
    key = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
    event: dict[str, Any] = json.loads(
        json.dumps(sample("exposed-access-key")).replace("AKIAEXAMPLE", key)
    )
    return iam, event


def _status(iam: Any) -> str:
    return str(iam.list_access_keys(UserName="ci")["AccessKeyMetadata"][0]["Status"])


def test_exposed_key_on_deactivates_it_once(world: World) -> None:
    iam, event = _key(world)
    [entry] = run("exposed-access-key", "on", event)
    assert (entry["decision"], entry["before"], entry["after"]) == ("acted", "Active", "Inactive")
    assert _status(iam) == "Inactive"
    assert called([entry]) == granted("exposed-access-key", "on")
    # IAM is global: its client is in the home region, in the event's account.
    assert {(c["account"], c["region"]) for c in entry["calls"]} == {(TARGET, "eu-west-1")}
    [again] = run("exposed-access-key", "on", event)
    assert again["decision"] == "unchanged"
    assert _status(iam) == "Inactive"


def test_exposed_key_dry_run_and_skip_keep_it_active(world: World) -> None:
    iam, event = _key(world, skip=True)
    [skipped] = run("exposed-access-key", "on", event)
    assert skipped["decision"] == "skipped"
    assert _status(iam) == "Active"
    iam.untag_user(UserName="ci", TagKeys=[SKIP_TAG[0]])
    [dry] = run("exposed-access-key", "dry-run", event)
    assert dry["decision"] == "dry-run"
    assert _status(iam) == "Active"
    assert called([dry]) == granted("exposed-access-key", "dry-run")


# -- root activity: alert only --


def test_root_activity_is_only_alerted_even_when_on(world: World) -> None:
    world.expect_update("NOTIFIED")
    [entry] = run("root-activity", "on")
    assert entry["decision"] == "alerted"
    assert entry["calls"] == []
    assert BY_KEY["root-activity"].actions("on") == ()


# -- what every decision leaves behind --


def test_every_decision_is_archived_noted_and_published(world: World) -> None:
    _bucket(world)
    world.expect_update("NOTIFIED")
    [entry] = run("public-s3-bucket", "dry-run")
    [stored] = world.records()
    assert stored == json.loads(json.dumps(entry, default=str))
    assert stored["finding"].endswith("EXAMPLE11111")
    assert stored["account"] == TARGET
    assert {"time", "actor", "before", "after", "resource", "playbook", "mode"} <= set(stored)


def test_the_management_account_is_never_acted_on(world: World) -> None:
    event = sample("public-s3-bucket")
    event["detail"]["findings"][0]["AwsAccountId"] = MANAGEMENT
    world.expect_update("NOTIFIED")
    [entry] = run("public-s3-bucket", "on", event)
    assert entry["decision"] == "skipped"
    assert entry["calls"] == []


@pytest.mark.parametrize("product", list(FORGED_PRODUCTS.values()), ids=list(FORGED_PRODUCTS))
def test_an_imported_lookalike_finding_is_never_acted_on(world: World, product: str) -> None:
    # Even if a rule let it through: no role assumed, the bucket stays open.
    s3 = _bucket(world)
    event = sample("public-s3-bucket")
    event["detail"]["findings"][0]["ProductArn"] = product
    world.expect_update("NOTIFIED")
    [entry] = run("public-s3-bucket", "on", event)
    assert entry["decision"] == "skipped"
    assert "not a Security Hub control finding" in entry["reason"]
    assert entry["calls"] == []
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_public_access_block(Bucket="retail-web-assets")
    assert world.records()[-1]["decision"] == "skipped"


def test_a_failure_is_recorded_then_raised(world: World) -> None:
    # The bucket does not exist: the read fails.
    world.expect_update("NOTIFIED")
    with pytest.raises(Exception, match=r"NoSuchBucket|does not exist"):
        run("public-s3-bucket", "on")
    [stored] = world.records()
    assert stored["decision"] == "failed"
    assert "NoSuchBucket" in stored["reason"]


def test_a_playbook_that_is_off_refuses_to_run(world: World) -> None:
    with pytest.raises(ValueError, match="not deployed"):
        run("public-s3-bucket", "off")
