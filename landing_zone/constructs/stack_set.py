"""Write StackSet content as an ordinary CDK Stack; deploy it as a service-managed StackSet.

Everything outside the management account arrives through service-managed
StackSets, so one deployment with management-account credentials reaches
every account and new accounts get their baseline automatically
(docs/architecture.md, "One credential, StackSets as the engine"). Their
content is written as CDK stacks so L2 constructs, tests and cdk-nag apply.
``StackSetTemplate`` is a Stack that synthesizes its template but emits no
cloud-assembly artifact, so ``cdk deploy --all`` never tries to deploy it as
a stack of its own (it would need a bootstrapped target account). The
template goes inline into the StackSet's ``TemplateBody``: no asset bucket,
nothing to share across the organization.

Why in-house rather than cdklabs' cdk-stacksets: that library (0.0.x,
experimental) always delivers the template as a file asset through
``TemplateURL``, so every StackSet would depend on the management account's
CDK asset bucket. The step is small: a synthesizer that writes the template
and keeps it (CDK synthesizes the construct tree children first, so the
template exists before the parent stack resolves ``TemplateBody``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    CfnParameter,
    DockerImageAssetLocation,
    FileAssetLocation,
    IResolveContext,
    IStringProducer,
    ISynthesisSession,
    Lazy,
    Stack,
    StackSynthesizer,
)
from aws_cdk import aws_cloudformation as cloudformation
from constructs import Construct

from landing_zone.quotas import MAX_TEMPLATE_BODY_BYTES


class _TemplateOnlySynthesizer(StackSynthesizer):
    """Writes the stack's template to the cloud assembly, keeps it, emits no artifact."""

    def __init__(self) -> None:
        super().__init__()
        self.template: dict[str, Any] | None = None

    def add_file_asset(self, *args: Any, **kwargs: Any) -> FileAssetLocation:
        raise ValueError(
            "StackSet templates cannot use file assets (Lambda code from a directory, "
            "bucket deployments): StackSets deploy to accounts without a CDK asset bucket. "
            "Use inline code (lambda.Code.from_inline) instead"
        )

    def add_docker_image_asset(self, *args: Any, **kwargs: Any) -> DockerImageAssetLocation:
        raise ValueError("StackSet templates cannot use Docker image assets")

    def synthesize(self, session: ISynthesisSession) -> None:
        self._synthesize_template(session)
        path = Path(session.outdir) / self._bound_stack.template_file
        self.template = json.loads(path.read_text())


#: Starts the message of a StackSet template over the inline limit; app.py finds it in
#: the error CDK raises from synth and reports it as a stack-limit error (exit 2).
TOO_LARGE = "StackSet template too large:"


@jsii.implements(IStringProducer)
class _Body:
    def __init__(self, synthesizer: _TemplateOnlySynthesizer, name: str, fix: str) -> None:
        self._synthesizer = synthesizer
        self._name = name
        self._fix = fix

    def produce(self, context: IResolveContext) -> str:
        template = self._synthesizer.template
        if template is None:
            # CDK also resolves every token while it prepares the app (to find
            # cross-stack references), before any template exists. The lazy
            # value is uncached, so the final template gets the real body;
            # tests/test_stack_set.py checks that it does.
            return f"<{self._name}: not synthesized yet>"
        # Minified: the inline TemplateBody limit counts every byte.
        body = json.dumps(template, separators=(",", ":"))
        if len(body.encode()) > MAX_TEMPLATE_BODY_BYTES:
            raise ValueError(
                f"{TOO_LARGE} {self._name} is {len(body.encode()):,} bytes; inline "
                f"TemplateBody allows {MAX_TEMPLATE_BODY_BYTES:,}. {self._fix}"
            )
        return body


class StackSetTemplate(Stack):
    """A stack whose template becomes a StackSet's TemplateBody; it is never deployed itself.

    Create it inside the management-account stack that owns the StackSet.
    It is environment-agnostic (``AWS::AccountId`` and ``AWS::Region``
    resolve in each target), and values from other stacks must come in as
    ``parameter()``s, never as direct references.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        too_large: str = "Report it: the template must be split into two StackSets",
    ) -> None:
        """``too_large``: what the user can change in the config when the template
        outgrows the inline limit (the config decides what it holds)."""
        self._template_synthesizer = _TemplateOnlySynthesizer()
        super().__init__(
            scope,
            construct_id,
            synthesizer=self._template_synthesizer,
            description=description,
        )
        self.body: str = Lazy.uncached_string(
            _Body(self._template_synthesizer, construct_id, too_large)
        )

    def parameter(self, name: str, *, description: str, pattern: str | None = None) -> str:
        """A template parameter the StackSet fills in (``ServiceManagedStackSet(parameters=)``)."""
        return CfnParameter(
            self, name, type="String", description=description, allowed_pattern=pattern
        ).value_as_string

    @property
    def template(self) -> dict[str, Any]:
        """The synthesized template (available after ``app.synth()``)."""
        if self._template_synthesizer.template is None:
            raise RuntimeError(f"{self.node.path} has not been synthesized yet")
        return self._template_synthesizer.template


@dataclass(frozen=True)
class OperationPreferences:
    """How fast a StackSet operation rolls out and how many failures it tolerates."""

    max_concurrent_percentage: int = 100
    failure_tolerance_percentage: int = 0
    region_concurrency: str = "PARALLEL"
    region_order: Sequence[str] = ()
    #: SOFT_FAILURE_TOLERANCE keeps the concurrency whatever fails; STRICT
    #: (CloudFormation's default) lowers it to the failure tolerance + 1.
    concurrency_mode: str = "STRICT_FAILURE_TOLERANCE"


class ServiceManagedStackSet(Construct):
    """A service-managed StackSet (management account) deploying a ``StackSetTemplate``.

    Service-managed permissions use the roles AWS Organizations trusted
    access creates (``stacksets-exec-*``) in every member account: nothing
    to bootstrap. Managed execution lets StackSets queue conflicting
    operations instead of failing them.
    See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_set_name: str,
        description: str,
        template: StackSetTemplate,
        organizational_unit_ids: Sequence[str],
        regions: Sequence[str],
        accounts: Sequence[str] = (),
        excluded_accounts: Sequence[str] = (),
        auto_deployment: bool,
        retain_stacks_on_account_removal: bool = True,
        parameters: Mapping[str, str] | None = None,
        operation_preferences: OperationPreferences = OperationPreferences(),
        capabilities: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        if accounts and excluded_accounts:
            raise ValueError("give accounts (INTERSECTION) or excluded_accounts (DIFFERENCE)")
        # INTERSECTION: only the listed accounts of those OUs; DIFFERENCE:
        # every account of those OUs except the listed ones.
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/account-level-targets.html
        targets = cloudformation.CfnStackSet.DeploymentTargetsProperty(
            organizational_unit_ids=list(organizational_unit_ids),
            accounts=list(accounts or excluded_accounts) or None,
            account_filter_type=(
                "INTERSECTION" if accounts else "DIFFERENCE" if excluded_accounts else None
            ),
        )
        preferences = operation_preferences
        self.resource = cloudformation.CfnStackSet(
            self,
            "Resource",
            stack_set_name=stack_set_name,
            description=description,
            permission_model="SERVICE_MANAGED",
            call_as="SELF",
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=auto_deployment,
                retain_stacks_on_account_removal=(
                    retain_stacks_on_account_removal if auto_deployment else None
                ),
            ),
            managed_execution={"Active": True},
            capabilities=list(capabilities) or None,
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                max_concurrent_percentage=preferences.max_concurrent_percentage,
                failure_tolerance_percentage=preferences.failure_tolerance_percentage,
                region_concurrency_type=preferences.region_concurrency,
                region_order=list(preferences.region_order) or None,
                concurrency_mode=preferences.concurrency_mode,
            ),
            parameters=[
                cloudformation.CfnStackSet.ParameterProperty(
                    parameter_key=key, parameter_value=value
                )
                for key, value in sorted((parameters or {}).items())
            ]
            or None,
            stack_instances_group=[
                cloudformation.CfnStackSet.StackInstancesProperty(
                    deployment_targets=targets, regions=list(regions)
                )
            ],
            template_body=template.body,
        )
