"""Deploy order as data: read a cloud assembly, say in what order it deploys, check the rules.

Pure (no aws_cdk import): reads ``cdk.out/manifest.json`` (stacks and their
dependencies) and each stack's template (resources and their DependsOn, Ref,
Fn::GetAtt and Fn::Sub edges), including each StackSet's inline
``TemplateBody``: what lands in the target accounts.

- :func:`load_assembly` reads the directory into :class:`Assembly`;
  :meth:`Assembly.stack_order` is the order ``cdk deploy --all`` follows and
  :meth:`Template.creation_order` the order CloudFormation creates a
  template's resources in (a topological order of its edges).
- :data:`RULES` is the table of orderings that matter: what must exist
  first, what comes after, why, and the AWS documentation that says so.
  :func:`violations` lists every pair of the assembly a rule applies to that
  the templates do not order (tests/test_deploy_plan.py holds it empty, and
  proves each rule fails once its edge is removed).
- :func:`plan_lines` is the "Deployment plan:" of ``make synth``'s summary.

"Before" means CloudFormation cannot start the later thing until the earlier
one has completed: across stacks, the later stack depends (transitively) on
the earlier one; within a template, the later resource waits (transitively)
on the earlier through DependsOn or a reference. A StackSet resource is
taken to complete only once its stack instances have, so whatever waits on
it waits on every resource of its template: the assumption every stack
dependency on a StackSet stack in ``landing_zone/app.py`` already rests on
(the trail after the log archive's StackSet, the conformance pack after the
baseline's).
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from landing_zone.config import LandingZoneConfig
from landing_zone.detection_services import FINDING_AGGREGATOR_TYPE
from landing_zone.naming import pascal, stack_id
from landing_zone.remediation.health_forwarding import stack_set_name as health_stack_set_name

STACK_SET = "AWS::CloudFormation::StackSet"
CUSTOM = "Custom::"
_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def _references(value: Any) -> Iterator[str]:
    """Logical ids ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub), parameters included."""
    if isinstance(value, list):
        for item in value:
            yield from _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt":
                yield item[0] if isinstance(item, list) else str(item).split(".")[0]
            elif key == "Fn::Sub":
                text, variables = (item[0], item[1]) if isinstance(item, list) else (item, {})
                yield from (name for name in _SUB_REFERENCE.findall(text) if name not in variables)
                yield from _references(variables)
            else:
                yield from _references(item)


def _reaches(edges: Mapping[str, frozenset[str]], start: str, goal: str) -> bool:
    """Whether ``goal`` is reachable from ``start`` along ``edges`` (one step or more)."""
    seen: set[str] = set()
    pending = [start]
    while pending:
        for edge in edges[pending.pop()]:
            if edge == goal:
                return True
            if edge not in seen:
                seen.add(edge)
                pending.append(edge)
    return False


@dataclass(frozen=True)
class Template:
    """A template's resources (in template order) and what each waits for."""

    resources: Mapping[str, Mapping[str, Any]]
    #: Logical id -> the resources of this template it waits for (DependsOn and references).
    edges: Mapping[str, frozenset[str]]

    @classmethod
    def parse(cls, template: Mapping[str, Any]) -> Template:
        resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
        edges = {}
        for logical_id, resource in resources.items():
            depends_on = resource.get("DependsOn", [])
            waits = {depends_on} if isinstance(depends_on, str) else set(depends_on)
            waits |= set(_references(resource.get("Properties", {})))
            edges[logical_id] = frozenset(w for w in waits if w in resources and w != logical_id)
        return cls(resources=resources, edges=edges)

    def type_of(self, logical_id: str) -> str:
        return str(self.resources[logical_id]["Type"])

    def waits_for(self, later: str, earlier: str) -> bool:
        """Whether ``later`` starts only once ``earlier`` is complete (transitively)."""
        return _reaches(self.edges, later, earlier)

    def creation_order(self) -> list[str]:
        """Every resource after what it waits for; ties in template order."""
        position = {logical_id: index for index, logical_id in enumerate(self.resources)}
        waiting = {logical_id: set(edges) for logical_id, edges in self.edges.items()}
        order: list[str] = []
        while waiting:
            ready = [r for r, edges in waiting.items() if not edges]
            if not ready:
                raise ValueError(f"dependency cycle among {sorted(waiting)}")
            nxt = min(ready, key=position.__getitem__)
            order.append(nxt)
            del waiting[nxt]
            for edges in waiting.values():
                edges.discard(nxt)
        return order


@dataclass(frozen=True)
class StackSet:
    """A StackSet resource: its content, where it deploys and how it is aimed."""

    logical_id: str
    name: str
    template: Template
    regions: tuple[str, ...]
    #: INTERSECTION: only these accounts of the OUs; DIFFERENCE: all but these; None: all.
    account_filter: str | None
    accounts: tuple[Any, ...]
    organizational_units: tuple[Any, ...]
    auto_deployment: bool

    @classmethod
    def parse(cls, logical_id: str, resource: Mapping[str, Any]) -> StackSet:
        properties = resource["Properties"]
        body = properties.get("TemplateBody")
        # A TemplateURL body lives in S3: nothing to read, nothing to order.
        template = Template.parse(json.loads(body) if isinstance(body, str) else {})
        regions: list[str] = []
        accounts: list[Any] = []
        units: list[Any] = []
        account_filter = None
        for group in properties.get("StackInstancesGroup", []):
            regions += [r for r in group.get("Regions", []) if r not in regions]
            targets = group.get("DeploymentTargets", {})
            accounts += targets.get("Accounts", [])
            units += targets.get("OrganizationalUnitIds", [])
            account_filter = targets.get("AccountFilterType", account_filter)
        return cls(
            logical_id=logical_id,
            name=str(properties.get("StackSetName", logical_id)),
            template=template,
            regions=tuple(regions),
            account_filter=account_filter if accounts else None,
            accounts=tuple(accounts),
            organizational_units=tuple(units),
            auto_deployment=bool(properties.get("AutoDeployment", {}).get("Enabled")),
        )


@dataclass(frozen=True)
class Stack:
    """One stack of the cloud assembly."""

    name: str
    account: str
    region: str
    #: The stacks it deploys after (its direct dependencies).
    dependencies: frozenset[str]
    template: Template
    #: Its StackSets by logical id, in template order.
    stack_sets: Mapping[str, StackSet] = field(default_factory=dict)


@dataclass(frozen=True)
class Assembly:
    """The stacks of a cloud assembly, in manifest order."""

    stacks: Mapping[str, Stack]

    def depends_on(self, later: str, earlier: str) -> bool:
        """Whether stack ``later`` deploys only once ``earlier`` has (transitively)."""
        return _reaches(
            {name: stack.dependencies for name, stack in self.stacks.items()}, later, earlier
        )

    def properties(self, placement: Placement) -> Mapping[str, Any]:
        """The properties of the resource at ``placement``."""
        stack = self.stacks[placement.stack]
        template = (
            stack.template
            if placement.stack_set is None
            else stack.stack_sets[placement.stack_set].template
        )
        properties: Mapping[str, Any] = template.resources[placement.resource].get("Properties", {})
        return properties

    def waves(self) -> dict[str, int]:
        """Each stack's wave: 1 + the longest chain of stacks it waits for."""
        wave: dict[str, int] = {}

        def visit(name: str) -> int:
            if name not in wave:
                wave[name] = 1 + max((visit(d) for d in self.stacks[name].dependencies), default=0)
            return wave[name]

        for name in self.stacks:
            visit(name)
        return wave

    def stack_order(self) -> list[str]:
        """The stacks by wave (a stack after everything it depends on), ties in manifest order."""
        wave = self.waves()
        position = {name: index for index, name in enumerate(self.stacks)}
        return sorted(self.stacks, key=lambda name: (wave[name], position[name]))


def load_assembly(outdir: Path) -> Assembly:
    """The stacks of the cloud assembly in ``outdir`` (``manifest.json`` and its templates)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifacts: Mapping[str, Any] = manifest.get("artifacts", {})
    names = [n for n, a in artifacts.items() if a.get("type") == "aws:cloudformation:stack"]
    stacks = {}
    for name in names:
        artifact = artifacts[name]
        raw = json.loads((outdir / artifact["properties"]["templateFile"]).read_text())
        template = Template.parse(raw)
        account, _, region = artifact.get("environment", "").removeprefix("aws://").partition("/")
        stacks[name] = Stack(
            name=name,
            account=account,
            region=region,
            dependencies=frozenset(d for d in artifact.get("dependencies", []) if d in names),
            template=template,
            stack_sets={
                logical_id: StackSet.parse(logical_id, resource)
                for logical_id, resource in template.resources.items()
                if resource["Type"] == STACK_SET
            },
        )
    return Assembly(stacks=stacks)


# ---- what a rule is about, and where it is -------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One resource: in a stack's template, or in the template of one of its StackSets."""

    stack: str
    #: The StackSet resource whose template holds it (None: the stack's own template).
    stack_set: str | None
    resource: str
    #: Where it is created: the stack's region, or every region of its StackSet.
    regions: frozenset[str]
    type: str

    def __str__(self) -> str:
        where = self.stack if self.stack_set is None else f"{self.stack}/{self.stack_set}"
        return f"{self.type} {self.resource} ({where})"


@dataclass(frozen=True)
class Selector:
    """Resources of these types (with these property values), wherever they are."""

    label: str
    types: tuple[str, ...]
    #: Only inside a StackSet whose name ends with this (e.g. "-LogArchive").
    stack_set: str | None = None
    #: Property name -> the value it must have.
    properties: tuple[tuple[str, Any], ...] = ()

    def matches(self, resource: Mapping[str, Any]) -> bool:
        properties = resource.get("Properties", {})
        return resource["Type"] in self.types and all(
            properties.get(name) == value for name, value in self.properties
        )

    def find(self, assembly: Assembly) -> list[Placement]:
        found = []
        for stack in assembly.stacks.values():
            if self.stack_set is None:
                found += [
                    Placement(stack.name, None, logical_id, frozenset([stack.region]), r["Type"])
                    for logical_id, r in stack.template.resources.items()
                    if self.matches(r)
                ]
            for stack_set in stack.stack_sets.values():
                if self.stack_set is not None and not stack_set.name.endswith(self.stack_set):
                    continue
                found += [
                    Placement(
                        stack.name,
                        stack_set.logical_id,
                        logical_id,
                        frozenset(stack_set.regions),
                        r["Type"],
                    )
                    for logical_id, r in stack_set.template.resources.items()
                    if self.matches(r)
                ]
        return found


def created_before(assembly: Assembly, first: Placement, then: Placement) -> bool:
    """Whether CloudFormation creates ``then`` only once ``first`` exists."""
    if first.stack != then.stack:
        return assembly.depends_on(then.stack, first.stack)
    stack = assembly.stacks[first.stack]
    if first.stack_set is not None and first.stack_set == then.stack_set:
        return stack.stack_sets[first.stack_set].template.waits_for(then.resource, first.resource)
    # Different templates of one stack: their resources in the stack's own
    # template (a StackSet stands for everything it deploys).
    return stack.template.waits_for(
        then.stack_set or then.resource, first.stack_set or first.resource
    )


#: Which pairs a rule constrains. organization: every pair (the earlier
#: thing is organization-wide); region: pairs in a common region (the earlier
#: thing is regional); template: pairs in one template (one stack or one
#: stack instance: the earlier thing is per account and region).
Scope = Literal["organization", "region", "template"]


@dataclass(frozen=True)
class OrderRule:
    """``first`` must exist before ``then`` is created: why, and where AWS says so."""

    first: Selector
    then: Selector
    why: str
    url: str
    scope: Scope
    #: (property of first, property of then): only pairs where the two are equal.
    same: tuple[str, str] | None = None

    def _paired(self, first: Placement, then: Placement, assembly: Assembly) -> bool:
        if self.same is None:
            return True
        mine, theirs = self.same
        return bool(assembly.properties(first).get(mine) == assembly.properties(then).get(theirs))

    def pairs(self, assembly: Assembly) -> list[tuple[Placement, Placement]]:
        """The (first, then) pairs of ``assembly`` this rule orders."""
        return [
            (first, then)
            for first in self.first.find(assembly)
            for then in self.then.find(assembly)
            if self._paired(first, then, assembly) and self._in_scope(first, then)
        ]

    def _in_scope(self, first: Placement, then: Placement) -> bool:
        if self.scope == "region":
            return bool(first.regions & then.regions)
        if self.scope == "template":
            return (first.stack, first.stack_set) == (then.stack, then.stack_set)
        return True


_TRUSTED_ACCESS = "Custom::OrganizationTrustedService"
_DELEGATED_ADMIN = "Custom::DelegatedAdministrator"
_LOG_ARCHIVE_POLICIES = Selector(
    "the log archive's key and bucket policies",
    ("AWS::KMS::Key", "AWS::S3::BucketPolicy"),
    stack_set="-LogArchive",
)
_ORGANIZATION_TRAIL = Selector(
    "the organization trail",
    ("AWS::CloudTrail::Trail",),
    properties=(("IsOrganizationTrail", True),),
)

#: The orderings that matter, each with the AWS documentation that requires it.
RULES: tuple[OrderRule, ...] = (
    OrderRule(
        Selector("a policy type enabled in the root", ("Custom::OrganizationPolicyType",)),
        Selector("the policies of that type", ("AWS::Organizations::Policy",)),
        "a policy can be created and attached only once its type is enabled in the root",
        "https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html",
        "template",
        same=("Value", "Type"),
    ),
    OrderRule(
        Selector(
            "StackSets trusted access",
            (_TRUSTED_ACCESS,),
            properties=(("Value", "member.org.stacksets.cloudformation.amazonaws.com"),),
        ),
        Selector(
            "service-managed StackSets",
            (STACK_SET,),
            properties=(("PermissionModel", "SERVICE_MANAGED"),),
        ),
        "the management account can create service-managed StackSets only once trusted "
        "access between StackSets and Organizations is activated",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html",
        "organization",
    ),
    OrderRule(
        Selector("trusted access", (_TRUSTED_ACCESS,)),
        Selector(
            "delegated administrator registration",
            (
                _DELEGATED_ADMIN,
                "AWS::SecurityHub::DelegatedAdmin",
                "AWS::Detective::OrganizationAdmin",
            ),
        ),
        "a service's delegated administrator can be designated only once the service's "
        "integration with Organizations (trusted access) is enabled",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityhub-delegatedadmin.html",
        "organization",
    ),
    OrderRule(
        Selector(
            "GuardDuty delegated administrator",
            (_DELEGATED_ADMIN,),
            properties=(("Service", "guardduty"),),
        ),
        Selector("GuardDuty organization configuration (audit account)", ("Custom::GuardDutyOrg",)),
        "the organization configuration (auto-enable, protection plans) is set on the "
        "delegated administrator's detector, in each region, once that account is designated",
        "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_organizations.html",
        "region",
    ),
    OrderRule(
        Selector("Security Hub delegated administrator", ("AWS::SecurityHub::DelegatedAdmin",)),
        Selector(
            "Security Hub central configuration (audit account)",
            ("AWS::SecurityHub::OrganizationConfiguration",),
        ),
        "central configuration is turned on from the delegated administrator account in "
        "the home region",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html",
        "region",
    ),
    OrderRule(
        # The native type, or the custom resource that links no Region when
        # the home region is the only governed one.
        Selector(
            "Security Hub cross-Region aggregation",
            ("AWS::SecurityHub::FindingAggregator", FINDING_AGGREGATOR_TYPE),
        ),
        Selector(
            "Security Hub central configuration (audit account)",
            ("AWS::SecurityHub::OrganizationConfiguration",),
        ),
        "cross-Region aggregation is a prerequisite of central configuration",
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-securityhub-findingaggregator.html",
        "template",
    ),
    OrderRule(
        Selector(
            "Config delegated administrator",
            (_DELEGATED_ADMIN,),
            properties=(("ServicePrincipal", "config.amazonaws.com"),),
        ),
        Selector(
            "organization Config aggregator (audit account)",
            ("AWS::Config::ConfigurationAggregator",),
        ),
        "an organization aggregator in a member account needs that account registered as "
        "Config's delegated administrator",
        "https://docs.aws.amazon.com/config/latest/developerguide/aggregated-register-delegated-administrator.html",
        "organization",
    ),
    OrderRule(
        Selector("Config recorders (account baseline)", ("AWS::Config::ConfigurationRecorder",)),
        Selector(
            "the organization conformance pack", ("AWS::Config::OrganizationConformancePack",)
        ),
        "a conformance pack evaluates with AWS Config recording already on in every "
        "account it deploys to",
        "https://docs.aws.amazon.com/config/latest/developerguide/cpack-prerequisites.html",
        "region",
    ),
    OrderRule(
        _LOG_ARCHIVE_POLICIES,
        _ORGANIZATION_TRAIL,
        "CreateTrail fails (InsufficientS3BucketPolicyException, "
        "InsufficientEncryptionPolicyException) unless the bucket and key policies already "
        "let CloudTrail write",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html",
        "organization",
    ),
    OrderRule(
        Selector(
            "CloudTrail trusted access",
            (_TRUSTED_ACCESS,),
            properties=(("Value", "cloudtrail.amazonaws.com"),),
        ),
        _ORGANIZATION_TRAIL,
        "CreateTrail of an organization trail fails (CloudTrailAccessNotEnabledException) "
        "unless trusted access for CloudTrail is enabled",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html",
        "organization",
    ),
    OrderRule(
        _LOG_ARCHIVE_POLICIES,
        Selector("Config delivery channels (account baseline)", ("AWS::Config::DeliveryChannel",)),
        "PutDeliveryChannel fails (InsufficientDeliveryPolicyException) unless the bucket "
        "policy lets Config write, and the recorder starts only with a delivery channel",
        "https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html",
        "organization",
    ),
    OrderRule(
        Selector("the Config recorder", ("AWS::Config::ConfigurationRecorder",)),
        Selector("its delivery channel", ("AWS::Config::DeliveryChannel",)),
        "PutDeliveryChannel needs a recorder (NoAvailableConfigurationRecorderException); "
        "StartConfigurationRecorder then needs the channel (NoAvailableDeliveryChannelException)",
        "https://docs.aws.amazon.com/config/latest/APIReference/API_StartConfigurationRecorder.html",
        "template",
    ),
    OrderRule(
        _LOG_ARCHIVE_POLICIES,
        Selector("GuardDuty publishing destination", ("AWS::GuardDuty::PublishingDestination",)),
        "GuardDuty validates the destination when the export is configured: the bucket "
        "policy and the key policy must already let GuardDuty write and encrypt",
        "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_exportfindings.html",
        "organization",
    ),
    OrderRule(
        Selector("the audit bus policy for forwarded events", ("AWS::Events::EventBusPolicy",)),
        Selector(
            "the AWS Health forwarding rules (member accounts)",
            ("AWS::Events::Rule",),
            stack_set="-HealthEventsForward",
        ),
        "the receiving bus must allow the sending accounts before their rules forward to it: "
        "until it does, EventBridge's cross-account delivery of a key-exposure event is refused",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html",
        "organization",
    ),
)


@dataclass(frozen=True)
class Violation:
    """A pair a rule orders that the templates do not."""

    rule: OrderRule
    first: Placement
    then: Placement

    def __str__(self) -> str:
        return (
            f"{self.rule.first.label} must come before {self.rule.then.label}: {self.then} "
            f"does not wait for {self.first} ({self.rule.url})"
        )


def violations(assembly: Assembly, rules: Sequence[OrderRule] = RULES) -> list[Violation]:
    """Every pair of ``assembly`` a rule orders that its stacks and templates leave unordered."""
    return [
        Violation(rule, first, then)
        for rule in rules
        for first, then in rule.pairs(assembly)
        if not created_before(assembly, first, then)
    ]


def rules_markdown(rules: Sequence[OrderRule] = RULES) -> str:
    """The rule table of docs/architecture.md ("Deploy order"), generated by `make docs`."""
    lines = [
        "| First | Then | Scope | Why |",
        "| --- | --- | --- | --- |",
    ]
    for rule in rules:
        lines.append(
            f"| {rule.first.label} | {rule.then.label} | {rule.scope} | "
            f"{rule.why} ([AWS]({rule.url})) |"
        )
    return "\n".join(lines) + "\n"


# ---- the plan, as `make synth` prints it ---------------------------------------------------


def _custom_resources(template: Template) -> str:
    """The template's custom resources in creation order, runs of one type counted."""
    runs: list[list[Any]] = []
    for logical_id in template.creation_order():
        kind = template.type_of(logical_id)
        if not kind.startswith(CUSTOM):
            continue
        name = kind.removeprefix(CUSTOM)
        if runs and runs[-1][0] == name:
            runs[-1][1] += 1
        else:
            runs.append([name, 1])
    return " → ".join(name if count == 1 else f"{name} x{count}" for name, count in runs)


def _account_label(value: Any, config: LandingZoneConfig) -> str:
    """Which account of the config a StackSet's account target is (id or stack output)."""
    text = json.dumps(value)
    roles = {"log-archive": "log-archive account", "audit": "audit account"}
    for key, account in config.all_accounts():
        created = re.search(rf"TreeAccount{pascal(key)}[0-9A-F]{{8}}", text)
        if created or (account.account_id is not None and account.account_id in text):
            return roles.get(key, f"account {account.name}")
    core = config.core
    if core is not None:
        if core.audit_account_id in text:
            return "the core's audit account"
        if core.log_archive_account_id in text:
            return "the core's log-archive account"
    return "1 account"


def _regions(regions: Sequence[str], config: LandingZoneConfig) -> str:
    if len(regions) == 1:
        return f"{regions[0]}"
    if set(regions) == set(config.regions.governed):
        return f"{len(regions)} governed regions"
    return f"{len(regions)} regions ({', '.join(regions)})"


def _stack_set_line(stack_set: StackSet, config: LandingZoneConfig) -> str:
    regions = len(stack_set.regions)
    where = _regions(stack_set.regions, config)
    if stack_set.account_filter == "INTERSECTION":
        accounts = len(stack_set.accounts)
        who = ", ".join(_account_label(a, config) for a in stack_set.accounts)
        count = accounts * regions
        how = f"{who} x {where} = {count} stack instance{'s' * (count != 1)}"
    elif stack_set.name in (
        stack_id(config.prefix, "MemberBaseline"),
        health_stack_set_name(config.prefix),
    ):
        # Every account of the target OUs but the excluded ones; the config
        # knows which of its accounts that is (quotas and baseline_lines agree).
        accounts = len(config.baseline_account_keys())
        targets = len(config.baseline.targets)
        how = (
            f"{accounts} member accounts (of {targets} target OU{'s' * (targets != 1)}) x {where} "
            f"= {accounts * regions} stack instances"
        )
    elif stack_set.organizational_units == (config.organization.root_id,):
        how = f"every member account (the root) x {where}"
    else:
        units = len(stack_set.organizational_units)
        how = f"every account of {units} OU{'s' * (units != 1)} x {where}"
    return f"StackSet {stack_set.name}: {how}" + (
        " (new accounts automatically)" if stack_set.auto_deployment else ""
    )


def _group_key(stack: Stack) -> str:
    """Stacks one per region (``<Prefix>-X-<region>``) share ``<Prefix>-X``."""
    suffix = f"-{stack.region}"
    return stack.name.removesuffix(suffix) if stack.name.endswith(suffix) else stack.name


def plan_lines(outdir: Path, config: LandingZoneConfig) -> list[str]:
    """The deployment plan: numbered stacks with their StackSets and custom resources."""
    if not (outdir / "manifest.json").is_file():
        return [f"(no cloud assembly in {outdir}/; run `make synth` first)"]
    assembly = load_assembly(outdir)
    management = config.organization.management_account_id
    groups: list[list[Stack]] = []
    for name in assembly.stack_order():
        stack = assembly.stacks[name]
        if groups and _group_key(groups[-1][0]) == _group_key(stack):
            groups[-1].append(stack)
        else:
            groups.append([stack])
    step_of = {stack.name: index for index, group in enumerate(groups, 1) for stack in group}
    lines = []
    for index, group in enumerate(groups, 1):
        first = group[0]
        account = "management account" if first.account == management else first.account
        if len(group) == 1:
            title = f"{first.name}: {account}, {first.region}"
        else:
            regions = ", ".join(stack.region for stack in group)
            title = f"{_group_key(first)}-<region>: {account}, one stack in each of {regions}"
        # Only the steps it waits for directly: not those another of them waits for.
        waits = {step_of[d] for stack in group for d in stack.dependencies} - {index}
        after = sorted(
            step
            for step in waits
            if not any(
                assembly.depends_on(later.name, earlier.name)
                for other in waits - {step}
                for later in groups[other - 1]
                for earlier in groups[step - 1]
            )
        )
        lines.append(
            f"{index:>2}. {title}" + (f" (after {', '.join(map(str, after))})" if after else "")
        )
        customs: dict[str, list[str]] = {}
        for stack in group:
            summary = _custom_resources(stack.template)
            if summary:
                customs.setdefault(summary, []).append(stack.region)
        if customs:
            lines.append(
                "      custom resources: "
                + "; ".join(
                    summary + (f" ({', '.join(regions)})" if len(customs) > 1 else "")
                    for summary, regions in customs.items()
                )
            )
        for position, stack_set in enumerate(first.stack_sets.values(), 1):
            lines.append(f"      {index}.{position} {_stack_set_line(stack_set, config)}")
            summary = _custom_resources(stack_set.template)
            if summary:
                lines.append(f"           custom resources in each: {summary}")
    broken = violations(assembly)
    checked = sum(1 for rule in RULES if rule.pairs(assembly))
    if broken:
        lines.append(f"  ORDER RULES BROKEN ({len(broken)}; docs/architecture.md, Deploy order):")
        lines += [f"    - {violation}" for violation in broken]
    elif checked:
        lines.append(
            f"  Order rules: {checked} of {len(RULES)} apply to these stacks, and hold "
            "(docs/architecture.md, Deploy order)."
        )
    else:
        lines.append(
            f"  Order rules: none of the {len(RULES)} applies to these stacks (what they order "
            "is deployed elsewhere, e.g. by the core)."
        )
    return lines
