"""Generate docs/guardrails.md from the catalog, the packs and a config (``make docs``).

The documentation is generated, never hand-edited, so it cannot promise a
control the code does not build; a test fails when it is stale. The Control
Tower coverage table reads preventive coverage from the guardrail catalog and
detective coverage from the conformance pack's rule table
(``guardrails/detective.py``), so neither can drift from the code.
"""

from __future__ import annotations

import json

from landing_zone.config import LandingZoneConfig, guardrail_inputs
from landing_zone.guardrails.catalog import GUARDRAILS
from landing_zone.guardrails.detective import BY_ID as DETECTIVE_RULES_BY_ID
from landing_zone.guardrails.detective import DETECTIVE_RULES, DetectiveRule
from landing_zone.guardrails.model import Guardrail, render
from landing_zone.guardrails.packer import GuardrailPlan, target_paths
from landing_zone.guardrails.packs import PACKS
from landing_zone.org_tree import ROOT

# The rule that checks every account with a recorder for CloudTrail; it stands
# for the shared-accounts control too (a KeyError here if the rule is renamed).
_CLOUDTRAIL_ENABLED = DETECTIVE_RULES_BY_ID["cloudtrail-enabled"]

# Control Tower's mandatory and strongly recommended controls, and the elective
# region deny, each with how this landing zone covers it besides the catalog
# and the conformance pack: guardrails that name a control in the catalog, and
# detective rules that name it in guardrails/detective.py, are filled in from
# there. Notes state only what the code builds.
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/controls-reference.html
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/strongly-recommended-controls.html
_CONTROLS: tuple[tuple[str, str, str, str], ...] = (
    # (id, category, what it requires, other coverage)
    ("AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED", "mandatory", "Log archive cannot be deleted", ""),
    (
        "AWS-GR_CT_AUDIT_BUCKET_ENCRYPTION_CHANGES_PROHIBITED",
        "mandatory",
        "Log-archive encryption unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_LOGGING_CONFIGURATION_CHANGES_PROHIBITED",
        "mandatory",
        "Log-archive access logging unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED",
        "mandatory",
        "Log-archive bucket policy unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_PROHIBITED",
        "mandatory",
        "Log-archive lifecycle unchanged",
        "",
    ),
    (
        "AWS-GR_AUDIT_BUCKET_PUBLIC_READ_PROHIBITED",
        "mandatory (detective)",
        "Detect public read on the log archive",
        "Also prevented: protect-log-archive-buckets denies changing the buckets' policy, ACLs "
        "and Block Public Access, and the S3_POLICY on the root "
        "(`baseline.s3_block_public_access`) blocks public access in every account.",
    ),
    (
        "AWS-GR_AUDIT_BUCKET_PUBLIC_WRITE_PROHIBITED",
        "mandatory (detective)",
        "Detect public write on the log archive",
        "Also prevented, as for public read above.",
    ),
    (
        "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to the landing zone's trail",
        "",
    ),
    (
        "AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",
        "mandatory (detective)",
        "Trail delivers to CloudWatch Logs",
        "Built in: the organization trail delivers to the KMS-encrypted log group "
        "`/<prefix>/landing-zone/organization-trail` in the management account.",
    ),
    (
        "AWS-GR_CLOUDTRAIL_ENABLED",
        "mandatory (detective)",
        "CloudTrail enabled in all regions",
        "Built in: the organization trail is multi-region and logs every account; member "
        "accounts can see an organization trail but not change or stop it.",
    ),
    (
        "AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",
        "mandatory (detective)",
        "Log file validation on",
        "Built in: the organization trail has log file validation on.",
    ),
    (
        "AWS-GR_DETECT_CLOUDTRAIL_ENABLED_ON_SHARED_ACCOUNTS",
        "mandatory (detective)",
        "Shared accounts under Security have CloudTrail",
        "Built in: the organization trail logs every account, the Security OU's included. "
        f"The conformance pack's Config rule `{_CLOUDTRAIL_ENABLED.id}` "
        f"({_CLOUDTRAIL_ENABLED.source_identifier}, listed under the member-accounts control) "
        "checks every account with a recorder, shared accounts too.",
    ),
    ("AWS-GR_CONFIG_ENABLED", "mandatory", "Config enabled in all regions", ""),
    ("AWS-GR_CONFIG_CHANGE_PROHIBITED", "mandatory", "No changes to Config recording", ""),
    (
        "AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY",
        "mandatory",
        "No changes to aggregation authorizations",
        "",
    ),
    (
        "AWS-GR_CONFIG_AGGREGATION_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to Config aggregation",
        "",
    ),
    (
        "AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to the landing zone's Config rules",
        "",
    ),
    (
        "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to the landing zone's IAM roles",
        "",
    ),
    (
        "AWS-GR_LAMBDA_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to the landing zone's functions",
        "",
    ),
    ("AWS-GR_SNS_CHANGE_PROHIBITED", "mandatory", "No changes to the landing zone's topics", ""),
    (
        "AWS-GR_SNS_SUBSCRIPTION_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to their subscriptions",
        "",
    ),
    ("AWS-GR_LOG_GROUP_POLICY", "mandatory", "No changes to the landing zone's log groups", ""),
    (
        "AWS-GR_CLOUDWATCH_EVENTS_CHANGE_PROHIBITED",
        "mandatory",
        "No changes to the landing zone's rules",
        "",
    ),
    ("AWS-GR_REGION_DENY", "elective", "Deny ungoverned regions", ""),
    ("AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS", "strongly recommended", "No root access keys", ""),
    ("AWS-GR_RESTRICT_ROOT_USER", "strongly recommended", "No root user actions", ""),
    *(
        (control, "strongly recommended (detective)", requirement, coverage)
        for control, requirement, coverage in (
            (
                "AWS-GR_ENCRYPTED_VOLUMES",
                "EBS volumes encrypted",
                "Also prevented: the account baseline turns on EBS encryption by default in "
                "every governed region and protect-ebs-default-encryption keeps it on.",
            ),
            ("AWS-GR_RESTRICTED_COMMON_PORTS", "No unrestricted common ports", ""),
            ("AWS-GR_RESTRICTED_SSH", "No SSH from 0.0.0.0/0", ""),
            (
                "AWS-GR_ROOT_ACCOUNT_MFA_ENABLED",
                "Root MFA",
                "Also: deny-root-user leaves member-account root credentials unable to act "
                "(SCPs do not restrict the management account: give its root user MFA).",
            ),
            (
                "AWS-GR_S3_BUCKET_PUBLIC_READ_PROHIBITED",
                "No public-read buckets",
                "Also prevented: the S3_POLICY on the root (`baseline.s3_block_public_access`) "
                "turns on all four S3 Block Public Access settings in every account, and "
                "rcp-identity-perimeter denies S3 requests from outside the organization.",
            ),
            (
                "AWS-GR_S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
                "No public-write buckets",
                "Also prevented, as for public read.",
            ),
            ("AWS-GR_EC2_VOLUME_INUSE_CHECK", "No unattached EBS volumes", ""),
            ("AWS-GR_EBS_OPTIMIZED_INSTANCE", "EBS-optimized instances", ""),
            ("AWS-GR_RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "No public RDS instances", ""),
            ("AWS-GR_RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "No public RDS snapshots", ""),
            ("AWS-GR_RDS_STORAGE_ENCRYPTED", "RDS storage encrypted", ""),
            (
                "AWS-GR_DETECT_CLOUDTRAIL_ENABLED_ON_MEMBER_ACCOUNTS",
                "CloudTrail on member accounts",
                "Built in: the organization trail logs every member account.",
            ),
        )
    ),
)


def detective_rules_for(control: str) -> tuple[DetectiveRule, ...]:
    """The conformance pack's rules that stand for ``control`` (guardrails/detective.py)."""
    return tuple(rule for rule in DETECTIVE_RULES if control in rule.control_tower)


def detective_coverage(control: str) -> str:
    """How the organization conformance pack detects ``control``, read from its rule table."""
    rules = detective_rules_for(control)
    if not rules:
        return ""
    named = ", ".join(
        f"`{rule.id}` ({rule.source_identifier}, "
        f"{'home region' if rule.home_region_only else 'every governed region'})"
        for rule in rules
    )
    return f"Detected by the organization conformance pack: Config rule {named}."


# (id, category, what it requires, coverage besides the catalog's guardrails):
# the hand-written note followed by the detective rules that name the control.
CONTROL_TOWER: tuple[tuple[str, str, str, str], ...] = tuple(
    (control, category, requirement, " ".join(filter(None, (detective_coverage(control), note))))
    for control, category, requirement, note in _CONTROLS
)


def _detective_off(control: str, config: LandingZoneConfig) -> str:
    """Why ``control``'s detective rules do not deploy with ``config``, or ``""``."""
    rules = detective_rules_for(control)
    if not rules:
        return ""
    pack = config.detection.conformance_pack
    if not pack.enabled:
        return " (The conformance pack is off in this config: `detection.conformance_pack`.)"
    off = [rule.id for rule in rules if rule.id in pack.disabled_rules]
    if off:
        listed = ", ".join(f"`{rule}`" for rule in off)
        return f" (Off in this config: {listed} in `detection.conformance_pack.disabled_rules`.)"
    return ""


def reach(plan: GuardrailPlan) -> dict[str, list[str]]:
    """Guardrail id -> the targets whose policies carry it (inherited copies are not packed)."""
    result: dict[str, list[str]] = {}
    for policy in plan.policies:
        for guardrail in policy.guardrails:
            targets = result.setdefault(guardrail, [])
            if policy.target not in targets:
                targets.append(policy.target)
    return result


def _where(targets: list[str], config: LandingZoneConfig) -> str:
    if not targets:
        return "not attached in this config"
    paths = target_paths(config)
    parts = []
    for target in targets:
        below = sum(1 for path in paths.values() if target in path[:-1])
        label = "root (every OU)" if target == ROOT else f"`{target}`"
        parts.append(f"{label} + {below} OUs below" if below and target != ROOT else label)
    return ", ".join(parts)


def _statements_json(guardrail: Guardrail, config: LandingZoneConfig) -> str:
    inputs = guardrail_inputs(config)
    statements = [
        render(s, kind=guardrail.kind, inputs=inputs) for s in guardrail.statements(inputs)
    ]
    return json.dumps(statements, indent=2)


def guardrails_markdown(config: LandingZoneConfig, plan: GuardrailPlan) -> str:
    """The whole of docs/guardrails.md for ``config`` (the example config in the repo)."""
    where = reach(plan)
    quotas = config.guardrails.quotas
    out: list[str] = [
        "# Preventive guardrails",
        "",
        "<!-- Generated by `make docs` from landing_zone/guardrails/ and config/example.yaml;"
        " do not edit. A test fails when this file is stale. -->",
        "",
        f"{len(GUARDRAILS)} guardrails ({sum(g.kind == 'scp' for g in GUARDRAILS)} SCP, "
        f"{sum(g.kind == 'rcp' for g in GUARDRAILS)} RCP) in {len(PACKS)} packs. The config "
        "(`guardrails.attachments`) attaches packs to the root or to OUs; policies inherit "
        "down the tree. Every Deny that a workload could need to be exempt from carries "
        "`ArnNotLike aws:PrincipalArn` with the config's `privileged_principals`; the few "
        "that exempt nobody say so below. SCPs never restrict the management account or "
        "service-linked roles; RCPs never restrict the management account's resources.",
        "",
        "## How guardrails become policies",
        "",
        "For each target and policy type the packer collects the guardrails of the attached "
        "packs (skipping those an ancestor already applies), merges Deny statements that "
        "differ only in their actions, packs them first-fit into minified documents within "
        "the size quota, and checks the attachment quota. Synth fails with the target, the "
        "numbers and the fix when they cannot fit.",
        "",
        "| quota | SCP | RCP |",
        "| --- | --- | --- |",
        f"| characters per policy | {quotas.scp_max_chars:,} | {quotas.rcp_max_chars:,} |",
        f"| policies per target (incl. FullAWSAccess / RCPFullAWSAccess) | "
        f"{quotas.scp_max_per_target} | {quotas.rcp_max_per_target} |",
        f"| slots reserved per target (e.g. Control Tower) | {quotas.scp_reserved_per_target} | "
        f"{quotas.rcp_reserved_per_target} |",
        "",
        "Budget use in the example organization (`make synth` prints the same table for "
        "your config):",
        "",
        "| target | type | policies (of available) | largest policy (characters) | guardrails |",
        "| --- | --- | --- | --- | --- |",
    ]
    for budget in plan.budgets:
        out.append(
            f"| `{budget.target}` | {budget.kind.upper()} | {len(budget.policies)} of "
            f"{budget.slots} | {budget.largest:,} of {budget.max_chars:,} | "
            f"{sum(len(p.guardrails) for p in budget.policies)} |"
        )
    out += [
        "",
        "## Packs",
        "",
        "| pack | what it is for | guardrails | attached in the example |",
        "| --- | --- | --- | --- |",
    ]
    attachments = config.guardrails.attachments
    for pack in PACKS:
        targets = [f"`{t}`" for t, packs in attachments.items() if pack.id in packs]
        out.append(
            f"| `{pack.id}` | {pack.summary} | {', '.join(pack.guardrails)} | "
            f"{', '.join(targets) or 'not attached'} |"
        )
    out += ["", "## Guardrails", ""]
    for guardrail in GUARDRAILS:
        controls = guardrail.controls
        out += [
            f"### `{guardrail.id}` ({guardrail.kind.upper()})",
            "",
            f"**Enforces:** {guardrail.enforces}",
            "",
            f"**Why:** {guardrail.rationale}",
            "",
            f"- Control Tower: {', '.join(controls.control_tower) or 'none equivalent'}",
            f"- CIS AWS Foundations v3.0: {', '.join(controls.cis) or 'none'}",
            f"- Well-Architected: {', '.join(controls.well_architected) or 'none'}",
            f"- Packs: {', '.join(p.id for p in PACKS if guardrail.id in p.guardrails)}",
            f"- Applies in the example: {_where(where.get(guardrail.id, []), config)}",
            "",
            "<details><summary>Statements, as rendered for the example config</summary>",
            "",
            "```json",
            _statements_json(guardrail, config),
            "```",
            "",
            "</details>",
            "",
        ]
    out += [
        "## Control Tower coverage",
        "",
        "Each Control Tower mandatory and strongly recommended control, and how this landing "
        "zone covers it. Preventive coverage is read from the catalog above; detective "
        "coverage from the rule table of the organization conformance pack "
        "(`landing_zone/guardrails/detective.py`, listed in [detection.md](detection.md)), "
        "which deploys unless `detection.conformance_pack.enabled` is false.",
        "",
        "| control | category | requires | covered by |",
        "| --- | --- | --- | --- |",
    ]
    for control, category, requirement, note in CONTROL_TOWER:
        covering = ", ".join(f"`{g.id}`" for g in GUARDRAILS if control in g.controls.control_tower)
        covered = "; ".join(filter(None, (covering, note + _detective_off(control, config))))
        out.append(f"| {control} | {category} | {requirement} | {covered} |")
    out.append("")
    return "\n".join(out)
