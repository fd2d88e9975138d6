"""Remediation: one decision per finding, acted on (or not) in the finding's account, and recorded.

The audit account's remediation rules (home region, one per playbook, from
``landing_zone/remediation/playbooks.py``) invoke this function with
``{"playbook": <key>, "event": <the EventBridge event>}`` (an input
transformer). For each finding in the event it:

1. assumes ``<Prefix>-Remediation`` in the finding's account (never in the
   management account, where StackSets deploy no role);
2. reads the before state, honours the skip tag where the playbook does,
   and in mode ``on`` acts (idempotent: a second run changes nothing and
   says ``unchanged``); in ``dry-run`` it only says what it would do;
3. records the decision: an object under ``remediation/`` in the log
   archive (Object Lock: append-only), a note and workflow status on the
   Security Hub finding (``BatchUpdateFindings``), and a message to the
   findings topic.

A failure is recorded as ``failed`` in the same three places and then
raised: Lambda retries twice, then its on-failure destination and alarm
report it. Nothing is swallowed.

Inline code (StackSet targets have no asset bucket): standard library and
boto3 only, no import from the landing zone; the playbook table's facts the
function needs arrive in environment variables.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

SKIP_KEY, SKIP_VALUE = ("landing-zone:remediation", "skip")
MARK_TAG = "landing-zone:remediation-finding"
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
WORLD = ("0.0.0.0/0", "::/0")
#: Protocols CIS names for admin ports: TCP, UDP, or all.
ADMIN_PROTOCOLS = ("tcp", "udp", "6", "17", "-1")
PORTS = {"EC2.13": 22, "EC2.14": 3389}
# A Security Hub note is at most 512 characters.
# See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Note.html
MAX_NOTE = 512
# S3 API operations whose IAM action has another name.
# See: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html
IAM_ACTION = {
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
}
WORKFLOW = {
    "acted": "RESOLVED",
    "unchanged": "RESOLVED",
    "dry-run": "NOTIFIED",
    "skipped": "NOTIFIED",
    "alerted": "NOTIFIED",
    "failed": "NOTIFIED",
}


@dataclass(frozen=True)
class Finding:
    """One finding of the event, as the playbooks need it."""

    id: str
    account: str
    region: str
    #: The Security Hub product ARN (None: no Security Hub finding, as for AWS Health).
    product_arn: str | None
    updated_at: str
    data: dict[str, Any]
    #: Why the finding is not trusted to name what to act on ("": trusted).
    distrust: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.id.encode()).hexdigest()[:16]


@dataclass
class Outcome:
    """What a playbook decided, on which resource, with the state before and after."""

    decision: str
    resource: str
    before: Any = None
    after: Any = None
    reason: str = ""


@dataclass
class Clients:
    """Clients acting as the remediation role in one account; every API call is logged."""

    account: str
    factory: Callable[[str, str], Any]
    calls: list[dict[str, str]] = field(default_factory=list)

    def client(self, service: str, *, region_name: str) -> Any:
        region = region_name
        client = self.factory(service, region)

        def log(model: Any, **_: Any) -> None:
            name = f"{service}:{model.name}"
            self.calls.append(
                {"action": IAM_ACTION.get(name, name), "region": region, "account": self.account}
            )

        client.meta.events.register("before-call", log)
        return client


def _env(name: str) -> str:
    return os.environ[name]


def assume(account: str, playbook: str) -> Callable[[str, str], Any]:
    """A client factory for ``<Prefix>-Remediation`` in ``account`` (STS in this region)."""
    role = f"arn:{_env('PARTITION')}:iam::{account}:role/{_env('ROLE_NAME')}"
    # STS in the function's own region (Lambda sets AWS_REGION): regional endpoint.
    credentials = boto3.client("sts", region_name=_env("AWS_REGION")).assume_role(
        RoleArn=role, RoleSessionName=f"remediation-{playbook}"[:64]
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return lambda service, region: session.client(service, region_name=region)  # type: ignore[call-overload]


def own_client(service: str) -> Any:
    """A client of the function's own role, in the home region (archive, hub, topic)."""
    return boto3.client(service, region_name=_env("HOME_REGION"))  # type: ignore[call-overload]


def _has_skip(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == SKIP_KEY and t.get("Value") == SKIP_VALUE for t in tags)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


# -- playbooks: each returns an Outcome; ``act`` is False in dry-run --


def revoke_instance_sessions(finding: Finding, clients: Clients, act: bool, now: str) -> Outcome:
    """Deny the role's older sessions, tag the instance, snapshot its volumes."""
    resource = finding.data.get("resource", {})
    keys = resource.get("accessKeyDetails", {})
    role = keys.get("userName", "")
    instance_id = resource.get("instanceDetails", {}).get("instanceId") or ""
    if not instance_id:
        session = str(keys.get("principalId", "")).partition(":")[2]
        instance_id = session if session.startswith("i-") else ""
    if not role or not instance_id:
        raise ValueError("finding names no role or no instance (resource.accessKeyDetails)")
    iam = clients.client("iam", region_name=_env("HOME_REGION"))
    ec2 = clients.client("ec2", region_name=finding.region)
    target = f"role/{role}, instance/{instance_id}"
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    role_tags = iam.list_role_tags(RoleName=role)["Tags"]
    if _has_skip(instance.get("Tags", [])) or _has_skip(role_tags):
        return Outcome("skipped", target, reason=f"tagged {SKIP_KEY}={SKIP_VALUE}")
    try:
        document = iam.get_role_policy(RoleName=role, PolicyName=REVOKE_POLICY_NAME)
        statement = document["PolicyDocument"]["Statement"]
        statement = statement[0] if isinstance(statement, list) else statement
        revoked_before = statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    except ClientError as error:
        if _error_code(error) != "NoSuchEntity":
            raise
        revoked_before = None
    volumes = [m["Ebs"]["VolumeId"] for m in instance.get("BlockDeviceMappings", []) if "Ebs" in m]
    snapshots = ec2.describe_snapshots(
        OwnerIds=["self"], Filters=[{"Name": f"tag:{MARK_TAG}", "Values": [finding.digest]}]
    )["Snapshots"]
    snapshotted = {s["VolumeId"]: s["SnapshotId"] for s in snapshots}
    marked = any(
        t.get("Key") == MARK_TAG and t.get("Value") == finding.digest
        for t in instance.get("Tags", [])
    )
    before = {
        "sessions_revoked_before": revoked_before,
        "instance_marked": marked,
        "snapshots": snapshotted,
    }
    revoke = revoked_before is None or revoked_before < finding.updated_at
    missing = [v for v in volumes if v not in snapshotted]
    if not revoke and marked and not missing:
        return Outcome("unchanged", target, before, before)
    planned = {
        "sessions_revoked_before": now if revoke else revoked_before,
        "instance_marked": True,
        "snapshots": {**snapshotted, **dict.fromkeys(missing, "(new)")},
    }
    if not act:
        return Outcome("dry-run", target, before, planned)
    if revoke:
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["*"],
                    "Resource": ["*"],
                    "Condition": {"DateLessThan": {"aws:TokenIssueTime": now}},
                }
            ],
        }
        iam.put_role_policy(
            RoleName=role, PolicyName=REVOKE_POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
    mark = [{"Key": MARK_TAG, "Value": finding.digest}]
    if not marked:
        ec2.create_tags(Resources=[instance_id], Tags=mark)
    created = dict(snapshotted)
    for volume in missing:
        snapshot = ec2.create_snapshot(
            VolumeId=volume,
            Description=f"Landing zone remediation: forensics of {instance_id}",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": mark}],
        )
        created[volume] = snapshot["SnapshotId"]
    after = {**planned, "snapshots": created}
    return Outcome("acted", target, before, after)


def block_public_bucket(finding: Finding, clients: Clients, act: bool, now: str) -> Outcome:
    """Turn on all four Block Public Access settings of the bucket."""
    resource = finding.data["Resources"][0]
    bucket = str(resource["Id"]).rpartition(":")[2]
    s3 = clients.client("s3", region_name=finding.region)
    try:
        before = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if _error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        before = {}
    wanted = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    if all(before.get(k) for k in wanted):
        return Outcome("unchanged", f"bucket/{bucket}", before, before)
    if not act:
        return Outcome("dry-run", f"bucket/{bucket}", before, wanted)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=wanted)
    return Outcome("acted", f"bucket/{bucket}", before, wanted)


def _opens(rule: dict[str, Any], port: int) -> bool:
    if rule.get("IsEgress") or str(rule.get("IpProtocol")) not in ADMIN_PROTOCOLS:
        return False
    if rule.get("CidrIpv4") not in WORLD and rule.get("CidrIpv6") not in WORLD:
        return False
    if str(rule.get("IpProtocol")) == "-1":
        return True
    return int(rule.get("FromPort", -1)) <= port <= int(rule.get("ToPort", -1))


def revoke_admin_ports(finding: Finding, clients: Clients, act: bool, now: str) -> Outcome:
    """Revoke the ingress rules opening the control's port to the world, by rule id."""
    resource = finding.data["Resources"][0]
    group = (
        resource.get("Details", {}).get("AwsEc2SecurityGroup", {}).get("GroupId")
        or str(resource["Id"]).rpartition("/")[2]
    )
    port = PORTS[finding.data["Compliance"]["SecurityControlId"]]
    ec2 = clients.client("ec2", region_name=finding.region)
    target = f"security-group/{group}"
    tags = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0].get("Tags", [])
    if _has_skip(tags):
        return Outcome("skipped", target, reason=f"tagged {SKIP_KEY}={SKIP_VALUE}")
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"
    ]
    open_rules = sorted(
        (
            {
                k: r.get(k)
                for k in (
                    "SecurityGroupRuleId",
                    "IpProtocol",
                    "FromPort",
                    "ToPort",
                    "CidrIpv4",
                    "CidrIpv6",
                )
                if r.get(k) is not None
            }
            for r in rules
            if _opens(r, port)
        ),
        key=lambda r: str(r["SecurityGroupRuleId"]),
    )
    if not open_rules:
        return Outcome("unchanged", target, [], [])
    if not act:
        return Outcome("dry-run", target, open_rules, [])
    ec2.revoke_security_group_ingress(
        GroupId=group, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in open_rules]
    )
    return Outcome("acted", target, open_rules, [])


def deactivate_exposed_key(finding: Finding, clients: Clients, act: bool, now: str) -> Outcome:
    """Deactivate the exposed access key (reversible; deletion is left to people)."""
    key_id = finding.data["entity"]
    iam = clients.client("iam", region_name=_env("HOME_REGION"))
    user = iam.get_access_key_last_used(AccessKeyId=key_id).get("UserName", "")
    if not user or user == "root":
        raise ValueError(f"access key {key_id} belongs to no IAM user this role can change")
    target = f"user/{user}, access-key/{key_id}"
    if _has_skip(iam.list_user_tags(UserName=user)["Tags"]):
        return Outcome("skipped", target, reason=f"tagged {SKIP_KEY}={SKIP_VALUE}")
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    status = next((k["Status"] for k in keys if k["AccessKeyId"] == key_id), None)
    if status is None:
        raise ValueError(f"access key {key_id} is not {user}'s")
    if status == "Inactive":
        return Outcome("unchanged", target, status, status)
    if not act:
        return Outcome("dry-run", target, status, "Inactive")
    iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive")
    return Outcome("acted", target, status, "Inactive")


def alert_only(finding: Finding, clients: Clients, act: bool, now: str) -> Outcome:
    """Never act: the decision is recorded and people are told."""
    return Outcome("alerted", "account", reason="alert only: root activity is never remediated")


PLAYBOOKS: dict[str, Callable[[Finding, Clients, bool, str], Outcome]] = {
    "instance-credential-exfiltration": revoke_instance_sessions,
    "public-s3-bucket": block_public_bucket,
    "open-admin-ports": revoke_admin_ports,
    "exposed-access-key": deactivate_exposed_key,
    "root-activity": alert_only,
}
#: Playbooks that read nothing in the target account (no role assumed).
ALERT_ONLY = ("root-activity",)


# -- findings of an event --


def _distrust_security_hub(product_arn: str, partition: str) -> str:
    """Why a Security Hub finding is not one of Security Hub's own control findings.

    Any account imports findings about itself (BatchImportFindings, product
    ``<account>/default``) with whatever control id and resource it likes,
    and allow-listed partners import findings naming other accounts: only
    the product ``aws/securityhub`` (no account in its ARN) is Security Hub
    evaluating a control. The rules' patterns say so too; this is the second
    lock, in case a pattern is ever widened.
    See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchImportFindings.html
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-custom-providers.html
    """
    parts = product_arn.split(":")
    if (
        len(parts) == 6
        and parts[:3] == ["arn", partition, "securityhub"]
        and parts[4:] == ["", "product/aws/securityhub"]
    ):
        return ""
    return f"not a Security Hub control finding (product {product_arn[:200]}): never acted on"


def findings_of(event: dict[str, Any], partition: str) -> list[Finding]:
    """The findings an event carries, whichever service sent it."""
    detail = event.get("detail", {})
    source = event.get("source")
    if source == "aws.guardduty":
        region = str(detail.get("region") or event.get("region"))
        return [
            Finding(
                # Security Hub's id of a GuardDuty finding is the finding's ARN.
                # See: https://docs.aws.amazon.com/guardduty/latest/ug/securityhub-integration.html
                id=str(detail["arn"]),
                account=str(detail["accountId"]),
                region=region,
                product_arn=f"arn:{partition}:securityhub:{region}::product/aws/guardduty",
                updated_at=str(detail.get("updatedAt") or event.get("time")),
                data=detail,
                # CreateSampleFindings makes findings about resources that do
                # not exist: record them, never act (and never fail on them).
                # See: https://docs.aws.amazon.com/guardduty/latest/ug/sample_findings.html
                distrust=(
                    "a GuardDuty sample finding (service.additionalInfo.sample): nothing to act on"
                    if _is_sample(detail)
                    else ""
                ),
            )
        ]
    if source == "aws.securityhub":
        return [
            Finding(
                id=str(f["Id"]),
                account=str(f["AwsAccountId"]),
                region=str(f.get("Region") or event.get("region")),
                product_arn=str(f["ProductArn"]),
                updated_at=str(f.get("UpdatedAt") or event.get("time")),
                data=f,
                distrust=_distrust_security_hub(str(f["ProductArn"]), partition),
            )
            for f in detail.get("findings", [])
        ]
    if source == "aws.health":
        return [
            Finding(
                id=f"{detail['eventArn']}#{event['account']}#{entity['entityValue']}",
                account=str(event["account"]),
                region=str(event.get("region")),
                product_arn=None,
                updated_at=str(event.get("time")),
                data={**detail, "entity": entity["entityValue"]},
            )
            for entity in detail.get("affectedEntities", [])
        ]
    raise ValueError(f"no playbook reads events of {source!r}")


def _is_sample(detail: dict[str, Any]) -> bool:
    info = (detail.get("service") or {}).get("additionalInfo") or {}
    return str(info.get("sample", "")).lower() == "true"


# -- recording --


def record(
    *,
    playbook: str,
    mode: str,
    finding: Finding,
    outcome: Outcome,
    calls: list[dict[str, str]],
    now: str,
    actor: str,
) -> dict[str, Any]:
    """Write the decision to the archive, the finding and the topic; return it."""
    entry = {
        "time": now,
        "playbook": playbook,
        "mode": mode,
        "decision": outcome.decision,
        "finding": finding.id,
        "account": finding.account,
        "region": finding.region,
        "resource": outcome.resource,
        "before": outcome.before,
        "after": outcome.after,
        "reason": outcome.reason,
        "actor": actor,
        "calls": calls,
    }
    body = json.dumps(entry, sort_keys=True, default=str).encode()
    day = now[:10].replace("-", "/")
    key = (
        f"remediation/{day}/{finding.account}/{playbook}/{finding.digest}/"
        f"{now}-{outcome.decision}.json"
    )
    # Object Lock default retention requires an integrity checksum on every
    # PutObject; SHA-256 is one S3 accepts.
    # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
    own_client("s3").put_object(
        Bucket=_env("ARCHIVE_BUCKET"),
        Key=key,
        Body=body,
        ContentType="application/json",
        ChecksumAlgorithm="SHA256",
    )
    summary = (
        f"Remediation {playbook} ({mode}): {outcome.decision} on {outcome.resource} in "
        f"{finding.account} {finding.region}. {outcome.reason} Record: s3://"
        f"{_env('ARCHIVE_BUCKET')}/{key}"
    )
    if finding.product_arn is not None:
        # See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
        result = own_client("securityhub").batch_update_findings(
            FindingIdentifiers=[{"Id": finding.id, "ProductArn": finding.product_arn}],
            Note={"Text": summary[:MAX_NOTE], "UpdatedBy": "landing-zone-remediation"},
            Workflow={"Status": WORKFLOW[outcome.decision]},
        )
        if result.get("UnprocessedFindings"):
            raise RuntimeError(f"Security Hub did not update {finding.id}: {result}")
    own_client("sns").publish(
        TopicArn=_env("TOPIC_ARN"),
        Subject=f"Remediation {outcome.decision}: {playbook}"[:99],
        Message=json.dumps({"summary": summary, "record": entry}, indent=2, default=str),
    )
    return entry


def decide(
    *,
    playbook: str,
    mode: str,
    finding: Finding,
    now: str,
    actor: str,
    factory: Callable[[str, str], Callable[[str, str], Any]] = assume,
) -> dict[str, Any]:
    """Run ``playbook`` on one finding in ``mode`` and record the decision (raising on failure)."""
    clients = Clients(account=finding.account, factory=lambda s, r: None)
    try:
        if finding.distrust:
            outcome = Outcome("skipped", "account", reason=finding.distrust)
        elif finding.account == _env("MANAGEMENT_ACCOUNT_ID") and playbook not in ALERT_ONLY:
            outcome = Outcome(
                "skipped",
                "account",
                reason="the management account has no remediation role: act by hand",
            )
        else:
            if playbook not in ALERT_ONLY:
                clients.factory = factory(finding.account, playbook)
            outcome = PLAYBOOKS[playbook](finding, clients, mode == "on", now)
    except Exception as error:
        record(
            playbook=playbook,
            mode=mode,
            finding=finding,
            outcome=Outcome("failed", "", reason=f"{type(error).__name__}: {error}"[:400]),
            calls=clients.calls,
            now=now,
            actor=actor,
        )
        raise
    return record(
        playbook=playbook,
        mode=mode,
        finding=finding,
        outcome=outcome,
        calls=clients.calls,
        now=now,
        actor=actor,
    )


def handler(event: dict[str, Any], context: Any) -> list[dict[str, Any]]:
    playbook = str(event["playbook"])
    modes = json.loads(_env("MODES"))
    mode = modes.get(playbook, "off")
    if playbook not in PLAYBOOKS or mode == "off":
        raise ValueError(f"playbook {playbook!r} is not deployed in a mode that runs")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    actor = str(getattr(context, "invoked_function_arn", "")) or "remediation"
    return [
        decide(playbook=playbook, mode=mode, finding=finding, now=now, actor=actor)
        for finding in findings_of(event["event"], _env("PARTITION"))
    ]
