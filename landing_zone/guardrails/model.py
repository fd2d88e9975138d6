"""What a guardrail is: data, plus one small pure function that renders its statements.

No aws_cdk import here or anywhere in this package: the catalog, the packer,
the evaluator and the docs generator run in well under a second and are
usable from tests and tooling without a CDK app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

PolicyKind = Literal["scp", "rcp"]

# The execution role of service-managed StackSets in every member account.
# It applies the landing zone's own templates (baselines, log archive), so
# every guardrail that exempts the privileged principals exempts it too,
# whether or not the config lists it; the role-protection guardrails reserve
# its name. Only the management account (or a delegated StackSets
# administrator) can make it act.
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html
STACKSET_EXECUTION_ROLE = "arn:{partition}:iam::*:role/stacksets-exec-*"

# A condition block as IAM writes it: operator -> key -> value(s).
Condition = Mapping[str, Mapping[str, str | tuple[str, ...]]]


@dataclass(frozen=True)
class Controls:
    """The external controls a guardrail implements (for the coverage table)."""

    control_tower: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    well_architected: tuple[str, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One Deny statement before exemptions are applied and JSON is written.

    ``exempt_privileged`` adds ``ArnNotLike aws:PrincipalArn`` with the
    config's privileged principals and the StackSet execution role, so every
    guardrail exempts the same roles and no guardrail writes that list itself
    (docs/architecture.md, guardrails).
    """

    sid: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ("*",)
    condition: Condition = field(default_factory=dict)
    exempt_privileged: bool = True
    #: Principal ARN patterns exempt from this statement besides the privileged
    #: ones: the landing zone's own roles that must do what it forbids others.
    exempt_also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.actions) == bool(self.not_actions):
            raise ValueError(f"{self.sid}: give exactly one of actions or not_actions")
        if not self.sid.isalnum():
            raise ValueError(f"{self.sid}: Sid must be alphanumeric (IAM rejects other characters)")


@dataclass(frozen=True)
class GuardrailInputs:
    """The config values guardrail statements depend on (built once by the packer)."""

    partition: str
    prefix: str
    organization_id: str
    governed_regions: tuple[str, ...]
    privileged_arns: tuple[str, ...]
    sandbox_instance_types: tuple[str, ...]
    trusted_external_accounts: tuple[str, ...]
    account_access_role_name: str

    @property
    def lower(self) -> str:
        return self.prefix.lower()

    @property
    def exempt_arns(self) -> tuple[str, ...]:
        """Who every exempting guardrail exempts: the privileged principals and the StackSets."""
        engine = STACKSET_EXECUTION_ROLE.format(partition=self.partition)
        return tuple(dict.fromkeys((*self.privileged_arns, engine)))


@dataclass(frozen=True)
class Guardrail:
    """A named, documented preventive control.

    ``statements`` is a pure function of :class:`GuardrailInputs`; everything
    else is plain data the docs generator and the coverage table read.
    """

    id: str
    kind: PolicyKind
    enforces: str
    rationale: str
    controls: Controls
    statements: Callable[[GuardrailInputs], tuple[Statement, ...]]


@dataclass(frozen=True)
class Pack:
    """A named set of guardrails that the config attaches to the root or an OU."""

    id: str
    summary: str
    guardrails: tuple[str, ...]


def render(statement: Statement, *, kind: PolicyKind, inputs: GuardrailInputs) -> dict[str, object]:
    """The IAM JSON of one statement, with the privileged exemption applied.

    Key order is fixed (Sid, Effect, Principal, Action, Resource, Condition)
    and condition operators and keys are sorted, so output is byte-stable.
    """
    condition: dict[str, dict[str, str | list[str]]] = {}
    for operator, keys in statement.condition.items():
        condition[operator] = {
            key: (list(value) if isinstance(value, tuple) else value) for key, value in keys.items()
        }
    exempt = set(statement.exempt_also)
    if statement.exempt_privileged:
        exempt |= set(inputs.exempt_arns)
    if exempt:
        arn_not_like = condition.setdefault("ArnNotLike", {})
        arn_not_like["aws:PrincipalArn"] = sorted(exempt)
    document: dict[str, object] = {"Sid": statement.sid, "Effect": "Deny"}
    if kind == "rcp":
        # RCPs require Principal "*"; they cannot name principals.
        # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
        document["Principal"] = "*"
    if statement.actions:
        document["Action"] = _one_or_many(statement.actions)
    else:
        document["NotAction"] = _one_or_many(statement.not_actions)
    document["Resource"] = _one_or_many(statement.resources)
    if condition:
        document["Condition"] = {
            operator: {key: condition[operator][key] for key in sorted(condition[operator])}
            for operator in sorted(condition)
        }
    return document


def _one_or_many(values: tuple[str, ...]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)
