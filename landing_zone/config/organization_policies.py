"""Organization management policies per target: EC2 declarative, backup, tag and AI opt-out.

Each target (``root`` or an OU key) gets at most one policy of each type;
the policies inherit down the OU tree as Organizations merges them. The
checks build every policy (landing_zone/management_policies.py), validate it
against the schema written from its AWS syntax page, hold it to the size
quota, and compute the effective policy of every OU, refusing a child policy
that changes a setting a parent locked.
See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from landing_zone.backup import backup_vault_name
from landing_zone.config.types import Check, Key, Model, Problem, Region
from landing_zone.org_tree import ROOT

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

EC2_SYNTAX_URL = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/"
    "orgs_manage_policies_declarative_syntax.html"
)

Enabled = Literal["enabled", "disabled"]
# Instance metadata defaults: "no_preference" leaves the choice to the launch.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html
ImdsSwitch = Literal["no_preference", "enabled", "disabled"]


class VpcBlockPublicAccessConfig(Model):
    """VPC Block Public Access through internet gateways, and whether accounts may exclude VPCs."""

    mode: Literal["off", "block_ingress", "block_bidirectional"] = Field(
        description="off, block_ingress (NAT and egress-only gateways still work) or "
        "block_bidirectional"
    )
    exclusions_allowed: Enabled = Field(
        description="enabled: account admins may exclude VPCs or subnets; disabled: they may not"
    )


def _image_provider(value: str) -> str:
    if value not in {"amazon", "aws_marketplace", "aws_backup_vault", "none"} and not (
        re.fullmatch(r"\d{12}", value)
    ):
        raise PydanticCustomError(
            "policy_image_provider",
            "'{value}' is not an image provider; use amazon, aws_marketplace, "
            "aws_backup_vault, none or a 12-digit account id (quoted)",
            {"value": value},
        )
    return value


ImageProvider = Annotated[str, AfterValidator(_image_provider)]


class AllowedImagesConfig(Model):
    """Allowed AMIs: which image providers' AMIs accounts may discover and launch."""

    state: Literal["enabled", "audit_mode", "disabled"] = Field(
        description="audit_mode marks AMIs as allowed or not without blocking; enabled enforces"
    )
    image_providers: list[ImageProvider] = Field(
        min_length=1,
        max_length=200,
        description="amazon, aws_marketplace, aws_backup_vault, none, or account ids",
    )


class InstanceMetadataDefaultsConfig(Model):
    """Account-level IMDS defaults for new instances (a launch may still set its own)."""

    http_tokens: Literal["no_preference", "required", "optional"] | None = None
    http_put_response_hop_limit: Literal[-1] | Annotated[int, Field(ge=1, le=64)] | None = Field(
        default=None, description="1-64, or -1 for no preference"
    )
    http_endpoint: ImdsSwitch | None = None
    instance_metadata_tags: ImdsSwitch | None = None


class Ec2PolicyConfig(Model):
    """The EC2 declarative policy (``DECLARATIVE_POLICY_EC2``) of one target."""

    lock: bool = Field(
        default=False,
        description="true: child OUs cannot change any attribute set here "
        "(@@operators_allowed_for_child_policies: @@none)",
    )
    exception_message: str | None = Field(
        default=None, min_length=1, max_length=1024, description="Shown when a call is refused"
    )
    vpc_block_public_access: VpcBlockPublicAccessConfig | None = None
    serial_console_access: Enabled | None = None
    image_block_public_access: Literal["unblocked", "block_new_sharing"] | None = None
    allowed_images: AllowedImagesConfig | None = None
    instance_metadata_defaults: InstanceMetadataDefaultsConfig | None = None
    snapshot_block_public_access: (
        Literal["unblocked", "block_new_sharing", "block_all_sharing"] | None
    ) = None


class BackupRuleConfig(Model):
    """One backup rule: when, how long it is kept, and an optional copy to another region."""

    schedule: str = Field(
        pattern=r"^cron\([^)]+\)$", description="AWS Backup cron, e.g. cron(0 5 ? * * *) (UTC)"
    )
    start_window_minutes: int = Field(default=60, ge=60, description="At least 60")
    complete_window_minutes: int = Field(default=10080, ge=60)
    delete_after_days: int = Field(ge=1, description="Retention of each recovery point")
    copy_to_region: Region | None = Field(
        default=None, description="A governed region the recovery point is copied to"
    )
    copy_delete_after_days: int | None = Field(
        default=None, ge=1, description="Retention of the copy (default: delete_after_days)"
    )


class BackupPlanConfig(Model):
    """An organization backup plan: resources tagged ``<selection_tag_key>: <tag_value>``."""

    tag_value: str = Field(
        min_length=1, max_length=256, description="Resources with this tag value are backed up"
    )
    regions: list[Region] | None = Field(
        default=None, min_length=1, description="Where the plan runs (default: governed regions)"
    )
    rules: dict[Key, BackupRuleConfig] = Field(min_length=1)


class BackupPolicyConfig(Model):
    """The backup policy (``BACKUP_POLICY``) of one target."""

    lock: bool = Field(default=False, description="true: child OUs cannot change these plans")
    selection_tag_key: str = Field(
        default="backup-plan", min_length=1, max_length=128, pattern=r"^[\w.:/=+\-@ ]+$"
    )
    plans: dict[Key, BackupPlanConfig] = Field(min_length=1)


class TagRuleConfig(Model):
    """One tag key of a tag policy: its capitalization, allowed values and enforcement."""

    key: str | None = Field(
        default=None,
        max_length=128,
        description="The key as resources must spell it, the mapping key but for case "
        "(default: the nearest parent target's spelling, else the mapping key)",
    )
    values: list[str] | None = Field(
        default=None, min_length=1, description="Allowed values (one * wildcard each)"
    )
    enforced_for: list[str] | None = Field(
        default=None,
        description="Resource types where a noncompliant tag is refused, "
        "e.g. ec2:instance, s3:bucket or secretsmanager:ALL_SUPPORTED",
    )
    lock: bool = Field(default=False, description="true: child OUs cannot change this key")


class AiOptOutConfig(Model):
    """The AI services opt-out policy (``AISERVICES_OPT_OUT_POLICY``) of one target."""

    default: Literal["optOut", "optIn"] | None = Field(
        default=None, description="Every AI service, including future ones"
    )
    services: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*$")], Literal["optOut", "optIn"]
    ] = Field(default_factory=dict, description="Per service, e.g. rekognition: optIn")
    lock: bool = Field(default=False, description="true: child OUs cannot change these choices")


class TargetPoliciesConfig(Model):
    """The management policies attached to one target (the root or one OU)."""

    ec2: Ec2PolicyConfig | None = None
    backup: BackupPolicyConfig | None = None
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], TagRuleConfig] | None = None
    ai_opt_out: AiOptOutConfig | None = None


# ---- checks ------------------------------------------------------------------------


def policy_targets_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every target is ``root`` or an OU key of this config."""
    import difflib

    ou_keys = sorted(config.tree.parents)
    for target in config.organization_policies:
        if target != ROOT and target not in ou_keys:
            close = difflib.get_close_matches(target, [ROOT, *ou_keys], n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                ("organization_policies", target),
                f"'{target}' is neither root nor an OU key; {hint}use root or one of "
                f"{', '.join(ou_keys)}",
            )


def business_unit_leaves_root_policies(config: LandingZoneConfig) -> Iterator[Problem]:
    """A business unit attaches no management policy to the root (the core owns it)."""
    if config.business_unit and ROOT in config.organization_policies:
        yield Problem(
            ("organization_policies", ROOT),
            "a business unit does not own the root: the core attaches the root's policies. "
            "Attach them to this fork's own OUs",
        )


def backup_regions_governed(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every backup plan runs in, and copies to, governed regions only (where the vault is)."""
    governed = config.regions.governed
    for target, policies in config.organization_policies.items():
        if policies.backup is None:
            continue
        for plan_key, plan in policies.backup.plans.items():
            where = ("organization_policies", target, "backup", "plans", plan_key)
            for index, region in enumerate(plan.regions or ()):
                if region not in governed:
                    yield Problem(
                        (*where, "regions", index),
                        f"'{region}' is not governed; the backup vault exists only in "
                        f"governed regions ({', '.join(governed)})",
                    )
            for rule_key, rule in plan.rules.items():
                if rule.copy_to_region is not None and rule.copy_to_region not in governed:
                    yield Problem(
                        (*where, "rules", rule_key, "copy_to_region"),
                        f"'{rule.copy_to_region}' is not governed: no vault receives the copy "
                        f"there; pick one of {', '.join(governed)}",
                    )


def backup_copy_elsewhere(config: LandingZoneConfig) -> Iterator[Problem]:
    """A copy goes to a region the plan does not already back up in (else it is no copy)."""
    for where, plan, rule in _backup_rules(config):
        regions = plan.regions or config.regions.governed
        if rule.copy_to_region is not None and list(regions) == [rule.copy_to_region]:
            yield Problem(
                (*where, "copy_to_region"),
                "the plan backs up only in this region; copy to another governed region",
            )


def ai_opt_out_says_something(config: LandingZoneConfig) -> Iterator[Problem]:
    """An AI opt-out policy sets a default or at least one service."""
    for target, policies in config.organization_policies.items():
        opt_out = policies.ai_opt_out
        if opt_out is not None and opt_out.default is None and not opt_out.services:
            yield Problem(
                ("organization_policies", target, "ai_opt_out"),
                "set default (optOut or optIn) or at least one service",
            )


def tag_enforced_for_format(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each enforced_for entry is ``service:type``, ``service:*`` or ``service:ALL_SUPPORTED``."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html
    for target, policies in config.organization_policies.items():
        for tag_key, rule in (policies.tags or {}).items():
            for index, entry in enumerate(rule.enforced_for or ()):
                if not re.fullmatch(r"[a-z0-9-]+:(ALL_SUPPORTED|\*|[A-Za-z0-9-]+(/\*)?)", entry):
                    yield Problem(
                        ("organization_policies", target, "tags", tag_key, "enforced_for", index),
                        f"'{entry}' is not a resource type; write service:type "
                        "(ec2:instance), service:* or service:ALL_SUPPORTED",
                    )


def tag_key_matches_policy_key(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each tag rule's ``key`` is its mapping key but for case (AWS's policy key rule)."""
    # "A policy key ... must match the value for the tag key, except for the
    # case treatment." A rule keyed ``owner`` that spells ``cost-center`` is
    # refused by Organizations, and would otherwise re-spell another key.
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html
    for target, policies in config.organization_policies.items():
        for tag_key, rule in (policies.tags or {}).items():
            if rule.key is not None and rule.key.lower() != tag_key.lower():
                yield Problem(
                    ("organization_policies", target, "tags", tag_key, "key"),
                    f"'{rule.key}' is not '{tag_key}' but for case; AWS requires the policy "
                    f"key to be the tag key: rename the entry to '{rule.key.lower()}' or set "
                    f"key to a capitalization of '{tag_key}'",
                )


def policy_types_enabled(config: LandingZoneConfig) -> Iterator[Problem]:
    """A core fork enables every management policy type it attaches (the root's default too)."""
    from landing_zone.management_policies import management_policies

    if config.business_unit:
        return
    enabled = set(config.organization_features.policy_types)
    used = {policy_type for _, policy_type, _, _ in management_policies(config)}
    for policy_type in sorted(used - enabled):
        yield Problem(
            ("organization_features", "policy_types"),
            f"{policy_type} is not enabled but organization_policies attaches one (the root "
            "opts out of AI services by default); add it",
        )


def policies_valid_and_within_quotas(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every synthesized policy matches its type's schema and size quota."""
    from landing_zone.management_policies import policy_problems

    yield from policy_problems(config)


def child_policies_respect_locks(config: LandingZoneConfig) -> Iterator[Problem]:
    """No child policy uses an operator its parents forbid (a locked setting stays as set)."""
    from landing_zone.management_policies import lock_problems

    yield from lock_problems(config)


#: EC2 declarative values that open up what AWS leaves (or a parent policy
#: set) closed, and why each is dangerous.
_EC2_WEAKENING: dict[tuple[str, ...], tuple[str, str]] = {
    ("serial_console_access",): (
        "enabled",
        "the serial console reaches an instance's console with no network path (security "
        "groups and NACLs do not apply)",
    ),
    ("image_block_public_access",): ("unblocked", "any AMI may be shared publicly"),
    ("snapshot_block_public_access",): ("unblocked", "any EBS snapshot may be shared publicly"),
    ("allowed_images", "state"): ("disabled", "every AMI may be launched, from any owner"),
    ("instance_metadata_defaults", "http_tokens"): (
        "optional",
        "new instances answer IMDSv1 (credential theft through SSRF) unless the launch asks "
        "for tokens",
    ),
    ("vpc_block_public_access", "exclusions_allowed"): (
        "enabled",
        "any account administrator may exclude their own VPCs and subnets from Block Public Access",
    ),
}


def ec2_policy_opens_nothing(config: LandingZoneConfig) -> Iterator[Problem]:
    """No EC2 declarative policy opens a setting up (an override, not a default, for children)."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html
    for target, policies in config.organization_policies.items():
        if policies.ec2 is None:
            continue
        for path, (value, why) in _EC2_WEAKENING.items():
            node: object = policies.ec2
            for name in path:
                node = getattr(node, name, None)
            if node == value:
                yield Problem(
                    ("organization_policies", target, "ec2", *path),
                    f"{value}: {why}, in every account below {target} (a policy value, "
                    "which account administrators cannot change)",
                )


def ai_services_opted_out(config: LandingZoneConfig) -> Iterator[Problem]:
    """No AI opt-out policy opts in: opting in lets AWS store and use content it processes."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_ai-opt-out.html
    for target, policies in config.organization_policies.items():
        opt_out = policies.ai_opt_out
        if opt_out is None:
            continue
        choices = {"default": opt_out.default, **opt_out.services}
        for service, choice in choices.items():
            if choice == "optIn":
                field = ("default",) if service == "default" else ("services", service)
                what = "every AI service" if service == "default" else service
                yield Problem(
                    ("organization_policies", target, "ai_opt_out", *field),
                    f"optIn: AWS may store and use content {what} "
                    f"processes in the accounts below {target} to improve its services, possibly "
                    "in another region",
                )


#: Legal but dangerous (reported as warnings): see ``root.WARNINGS``.
WARNINGS: tuple[Check, ...] = (ec2_policy_opens_nothing, ai_services_opted_out)


def _backup_targets(config: LandingZoneConfig) -> Iterator[tuple[str, BackupPolicyConfig]]:
    for target, policies in config.organization_policies.items():
        if policies.backup is not None:
            yield target, policies.backup


def _backup_rules(
    config: LandingZoneConfig,
) -> Iterator[tuple[tuple[str | int, ...], BackupPlanConfig, BackupRuleConfig]]:
    """Every backup rule, with its plan and its location in the config."""
    for target, backup in _backup_targets(config):
        for plan_key, plan in backup.plans.items():
            for rule_key, rule in plan.rules.items():
                where = ("organization_policies", target, "backup", "plans", plan_key)
                yield (*where, "rules", rule_key), plan, rule


def backup_plans_have_their_vault(config: LandingZoneConfig) -> Iterator[Problem]:
    """Backup plans run only where the baseline puts the vault and role they name.

    A plan's jobs fail in an account without ``<Prefix>-Backup`` (the vault and
    the role are in the baseline StackSet), and Organizations applies the
    policy to every account below its target.
    See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
    """
    baseline = config.baseline
    for target, _ in _backup_targets(config):
        where = ("organization_policies", target, "backup")
        if not baseline.backup.enabled:
            yield Problem(
                where,
                "the backup plans name the vault and role of baseline.backup, which is off; "
                "turn baseline.backup.enabled on or remove these plans",
            )
            continue
        if config.business_unit and not baseline.targets:
            # The core's baseline creates the core's vault (<Core>-Backup);
            # this fork's plans name its own (<Prefix>-Backup), which only a
            # baseline of its own creates.
            yield Problem(
                where,
                f"the plans write into {backup_vault_name(config.prefix)} with the role of "
                "the same name, which only this fork's own baseline creates, and "
                "baseline.targets is [] (the core's baseline creates the core's vault, not "
                "this fork's); ask the core to attach backup plans to its OU above yours, or "
                "remove these plans",
            )
            continue
        # units_reached([target]) lists the target OU itself, parents first.
        unreached = [
            ou
            for ou in config.tree.units_reached([target])
            if not config.tree.reaches(baseline.targets, ou)
        ]
        if unreached:
            yield Problem(
                where,
                f"the baseline (and so the backup vault) does not reach {', '.join(unreached)}; "
                "every backup job there would fail. Add them to baseline.targets or attach "
                "the plans lower",
            )


def backup_retention_within_vault_lock(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every rule keeps recovery points (and copies) within the vault lock's bounds.

    A job whose retention is outside the lock's minimum and maximum fails.
    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    """
    lock = config.baseline.backup.vault_lock
    if lock is None:
        return
    low, high = lock.min_retention_days, lock.max_retention_days
    for where, _, rule in _backup_rules(config):
        for field_name, days in (
            ("delete_after_days", rule.delete_after_days),
            ("copy_delete_after_days", rule.copy_delete_after_days),
        ):
            if days is not None and (days < low or (high is not None and days > high)):
                bounds = f"{low} to {high}" if high is not None else f"at least {low}"
                yield Problem(
                    (*where, field_name),
                    f"{days} days is outside the vault lock's bounds ({bounds} days, "
                    "baseline.backup.vault_lock); every job of this rule would fail",
                )


def backup_schedule_has_six_fields(config: LandingZoneConfig) -> Iterator[Problem]:
    """A schedule is ``cron(minutes hours day-of-month month day-of-week year)``.

    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html
    """
    for where, _, rule in _backup_rules(config):
        fields = rule.schedule[len("cron(") : -1].split()
        if len(fields) != 6:
            yield Problem(
                (*where, "schedule"),
                f"{rule.schedule!r} has {len(fields)} fields; AWS Backup's cron has six: "
                "minutes hours day-of-month month day-of-week year, e.g. cron(0 5 ? * * *)",
            )


CHECKS: tuple[Check, ...] = (
    policy_targets_exist,
    business_unit_leaves_root_policies,
    backup_regions_governed,
    backup_copy_elsewhere,
    backup_plans_have_their_vault,
    backup_retention_within_vault_lock,
    backup_schedule_has_six_fields,
    ai_opt_out_says_something,
    tag_enforced_for_format,
    tag_key_matches_policy_key,
    policy_types_enabled,
    policies_valid_and_within_quotas,
    child_policies_respect_locks,
)
