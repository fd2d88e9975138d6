"""The management policies of ``organization_policies``: EC2, backup, tag and AI opt-out."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import CfnTag
from aws_cdk import aws_organizations as organizations
from constructs import Construct

from landing_zone.naming import pascal
from landing_zone.org_tree import ROOT


class ManagementPolicies(Construct):
    """One ``AWS::Organizations::Policy`` per target and type, attached to that target.

    Logical ids come from the type and the target key (``DeclarativePolicyEc2Root``),
    so reordering the config changes nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        policies: list[tuple[str, str, str, str]],
        root_id: str,
        unit_ids: Mapping[str, str],
        policy_type_ready: Mapping[str, Construct],
        tags: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        cfn_tags = [CfnTag(key=k, value=v) for k, v in sorted(tags.items())]
        for name, policy_type, target, content in policies:
            policy = organizations.CfnPolicy(
                self,
                f"{pascal(policy_type)}{pascal(target)}",
                name=name,
                description=f"Landing zone {policy_type} of {target}",
                type=policy_type,
                content=json.loads(content),
                target_ids=[root_id if target == ROOT else unit_ids[target]],
                tags=cfn_tags,
            )
            # The exact minified string, as measured against the size quota
            # (see GuardrailPolicies).
            policy.add_property_override("Content", content)
            ready = policy_type_ready.get(policy_type)
            if ready is not None:
                policy.node.add_dependency(ready)
