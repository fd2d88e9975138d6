"""The packed SCPs and RCPs, attached to the root and OUs (management account, Organizations)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import CfnTag
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from landing_zone.guardrails.packer import POLICY_TYPE, GuardrailPlan
from landing_zone.naming import pascal
from landing_zone.org_tree import ROOT
from landing_zone.organization_policies import S3_BLOCK_PUBLIC_ACCESS


class GuardrailPolicies(Construct):
    """One native ``AWS::Organizations::Policy`` per packed policy, attached to its target.

    Logical ids come from the target key, the policy type and the policy's
    number (``ScpRoot1``, ``RcpRoot1``, ``ScpPaymentsProd1``), so reordering the
    config changes nothing. Removing a pack from config detaches and deletes
    its policy on the next deploy: "off" means off.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        plan: GuardrailPlan,
        root_id: str,
        unit_ids: Mapping[str, str],
        policy_type_ready: Mapping[str, Construct],
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        cfn_tags = [CfnTag(key=k, value=v) for k, v in sorted(tags.items())]
        self.policies: dict[str, organizations.CfnPolicy] = {}
        for packed in plan.policies:
            policy_type = POLICY_TYPE[packed.kind]
            policy = organizations.CfnPolicy(
                self,
                f"{packed.kind.capitalize()}{pascal(packed.target)}{packed.index}",
                name=packed.name,
                description=packed.description,
                type=policy_type,
                content=json.loads(packed.content),
                target_ids=[root_id if packed.target == ROOT else unit_ids[packed.target]],
                tags=cfn_tags,
            )
            # Content as the packer's minified string rather than an object:
            # Organizations counts every character against the size quota, and
            # how CloudFormation would serialize an object is not documented,
            # so the string makes the stored document exactly the one measured.
            # The price, per the resource docs: no drift detection on Content.
            # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-organizations-policy.html
            policy.add_property_override("Content", packed.content)
            # The policy type must be enabled on the root before a policy of
            # that type can be created; the custom resource that enables it
            # has no attribute to Ref, so the order is stated explicitly.
            ready = policy_type_ready.get(policy_type)
            if ready is not None:
                policy.node.add_dependency(ready)
            self.policies[packed.name] = policy


class S3BlockPublicAccessPolicy(Construct):
    """An ``S3_POLICY`` on the root: account-level Block Public Access everywhere.

    Chosen over a per-account setting in the baseline StackSet because it
    also covers the management account and accounts outside the baseline's
    targets, takes effect the moment an account joins, and cannot be undone
    from inside an account (CIS AWS Foundations v3.0 2.1.4; Control Tower
    strongly recommended AWS-GR_S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        root_id: str,
        policy_type_ready: Construct | None,
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.policy = organizations.CfnPolicy(
            self,
            "Resource",
            name=name,
            description="Landing zone baseline: all four S3 Block Public Access settings "
            "in every account",
            type="S3_POLICY",
            content=S3_BLOCK_PUBLIC_ACCESS,
            target_ids=[root_id],
            tags=[CfnTag(key=k, value=v) for k, v in sorted(tags.items())],
        )
        # Stored as the exact minified string, like the guardrail policies.
        self.policy.add_property_override(
            "Content", json.dumps(S3_BLOCK_PUBLIC_ACCESS, separators=(",", ":"))
        )
        if policy_type_ready is not None:
            self.policy.node.add_dependency(policy_type_ready)
