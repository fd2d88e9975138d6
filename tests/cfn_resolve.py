"""Resolve the few CloudFormation intrinsics our policies use, to evaluate them as deployed.

Only Ref (pseudo parameters, template parameters, buckets, keys, topics and queues),
Fn::GetAtt ``Arn`` (buckets, keys, roles, functions, log groups, rules, queues) and Fn::Join;
anything else
raises, so a policy that grows a new intrinsic fails the test instead of being
evaluated wrongly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        account: str,
        region: str,
        parameters: Mapping[str, str] | None = None,
        partition: str = "aws",
    ) -> None:
        self.template = template
        self.refs: dict[str, str] = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            **(parameters or {}),
        }
        self.partition = partition
        self.account = account
        self.region = region

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                return self._arn(argument[0]) if argument[1] == "Arn" else self._unsupported(value)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self(p)) for p in parts)
            if name.startswith("Fn::"):
                self._unsupported(value)
        return {k: self(v) for k, v in value.items()}

    def _ref(self, name: str) -> str:
        if name in self.refs:
            return self.refs[name]
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::S3::Bucket":
            return str(self(resource["Properties"]["BucketName"]))
        if resource["Type"] == "AWS::SNS::Topic":
            name = str(self(resource["Properties"]["TopicName"]))
            return f"arn:{self.partition}:sns:{self.region}:{self.account}:{name}"
        if resource["Type"] == "AWS::SQS::Queue":
            # A queue's Ref is its URL.
            name = str(self(resource["Properties"]["QueueName"]))
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        return self._unsupported({"Ref": name})

    def _arn(self, logical_id: str) -> str:
        resource = self.template["Resources"][logical_id]
        if resource["Type"] == "AWS::S3::Bucket":
            return f"arn:{self.partition}:s3:::{self._ref(logical_id)}"
        if resource["Type"] == "AWS::KMS::Key":
            return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{logical_id}"
        if resource["Type"] == "AWS::Lambda::Function":
            name = self(resource["Properties"].get("FunctionName", logical_id))
            return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}"
        if resource["Type"] == "AWS::Logs::LogGroup":
            name = self(resource["Properties"]["LogGroupName"])
            return f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{name}:*"
        if resource["Type"] == "AWS::Events::Rule":
            # An unnamed rule gets a generated name: the logical id stands in for it.
            name = self(resource["Properties"].get("Name", logical_id))
            return f"arn:{self.partition}:events:{self.region}:{self.account}:rule/{name}"
        if resource["Type"] == "AWS::SQS::Queue":
            name = self(resource["Properties"]["QueueName"])
            return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{name}"
        if resource["Type"] == "AWS::IAM::Role":
            # An unnamed role gets a generated name: the logical id stands in for it.
            name = self(resource["Properties"].get("RoleName", logical_id))
            return f"arn:{self.partition}:iam::{self.account}:role/{name}"
        return self._unsupported({"Fn::GetAtt": [logical_id, "Arn"]})

    @staticmethod
    def _unsupported(value: Any) -> Any:
        raise NotImplementedError(f"tests/cfn_resolve.py cannot resolve {value!r}")
