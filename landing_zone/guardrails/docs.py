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
from landing_zone.guardrails.catalog import (
    CT_REGION_DENY_NOT_ACTION,
    GUARDRAILS,
    REGION_DENY_KEPT_DENIED,
)
from landing_zone.guardrails.detective import BY_ID as DETECTIVE_RULES_BY_ID
from landing_zone.guardrails.detective import DETECTIVE_RULES, DetectiveRule
from landing_zone.guardrails.model import Guardrail, render
from landing_zone.guardrails.packer import GuardrailPlan, target_paths
from landing_zone.guardrails.packs import PACKS
from landing_zone.org_tree import ROOT

# The rule that checks every account with a recorder for CloudTrail; it stands
# for the shared-accounts control too (a KeyError here if the rule is renamed).
_CLOUDTRAIL_ENABLED = DETECTIVE_RULES_BY_ID["cloudtrail-enabled"]

# Every Control Tower control with preventive behaviour (and the mandatory and
# strongly recommended detective ones), each with how this landing zone covers
# it besides the catalog and the conformance pack: guardrails that name a
# control in the catalog, and detective rules that name it in
# guardrails/detective.py, are filled in from there (a test proves each
# catalog mapping with a case). A control no guardrail names carries a note
# that starts "Not applicable:" or "Not yet:" and says why. Notes state only
# what the code builds.
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/mandatory-controls.html
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/strongly-recommended-controls.html
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/elective-preventive-controls.html
# See: https://docs.aws.amazon.com/controltower/latest/controlreference/controls-reference.html
MANDATORY = "mandatory"
STRONGLY_RECOMMENDED = "strongly recommended"
ELECTIVE = "elective"
_CONTROLS: tuple[tuple[str, str, str, str], ...] = (
    # (id, category, what it requires, other coverage)
    # -- mandatory, Security OU (the log archive)
    ("AWS-GR_AUDIT_BUCKET_DELETION_PROHIBITED", MANDATORY, "Log archive cannot be deleted", ""),
    (
        "AWS-GR_CT_AUDIT_BUCKET_ENCRYPTION_CHANGES_PROHIBITED",
        MANDATORY,
        "Log-archive encryption unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_LOGGING_CONFIGURATION_CHANGES_PROHIBITED",
        MANDATORY,
        "Log-archive access logging unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED",
        MANDATORY,
        "Log-archive bucket policy unchanged",
        "",
    ),
    (
        "AWS-GR_CT_AUDIT_BUCKET_LIFECYCLE_CONFIGURATION_CHANGES_PROHIBITED",
        MANDATORY,
        "Log-archive lifecycle unchanged",
        "",
    ),
    (
        "CT.S3.PV.8",
        MANDATORY,
        "Landing zone 4.0: no bucket or object change on the log buckets but writes, reads, "
        "tags and retention",
        "",
    ),
    (
        "CT.S3.PV.7",
        MANDATORY,
        "Landing zone 4.0: the same for the Config delivery bucket",
        "",
    ),
    (
        "AWS-GR_AUDIT_BUCKET_PUBLIC_READ_PROHIBITED",
        f"{MANDATORY} (detective)",
        "Detect public read on the log archive",
        "Also prevented: protect-log-archive-buckets denies changing the buckets' policy, ACLs "
        "and Block Public Access, and the S3_POLICY on the root "
        "(`baseline.s3_block_public_access`) blocks public access in every account.",
    ),
    (
        "AWS-GR_AUDIT_BUCKET_PUBLIC_WRITE_PROHIBITED",
        f"{MANDATORY} (detective)",
        "Detect public write on the log archive",
        "Also prevented, as for public read above.",
    ),
    (
        "AWS-GR_DETECT_CLOUDTRAIL_ENABLED_ON_SHARED_ACCOUNTS",
        f"{MANDATORY} (detective)",
        "Shared accounts under Security have CloudTrail",
        "Built in: the organization trail logs every account, the Security OU's included. "
        f"The conformance pack's Config rule `{_CLOUDTRAIL_ENABLED.id}` "
        f"({_CLOUDTRAIL_ENABLED.source_identifier}, listed under the member-accounts control) "
        "checks every account with a recorder, shared accounts too.",
    ),
    # -- mandatory, every OU
    (
        "AWS-GR_CLOUDTRAIL_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's trail",
        "",
    ),
    (
        "AWS-GR_CLOUDTRAIL_CLOUDWATCH_LOGS_ENABLED",
        MANDATORY,
        "Trail keeps delivering to CloudWatch Logs (same SCP as the trail control)",
        "Built in: the organization trail delivers to the KMS-encrypted log group "
        "`/<prefix>/landing-zone/organization-trail` in the management account.",
    ),
    (
        "AWS-GR_CLOUDTRAIL_ENABLED",
        MANDATORY,
        "CloudTrail stays on in all regions (same SCP)",
        "Built in: the organization trail is multi-region and logs every account; member "
        "accounts can see an organization trail but not change or stop it.",
    ),
    (
        "AWS-GR_CLOUDTRAIL_VALIDATION_ENABLED",
        MANDATORY,
        "Log file validation stays on (same SCP)",
        "Built in: the organization trail has log file validation on.",
    ),
    ("AWS-GR_CONFIG_ENABLED", MANDATORY, "Config stays on in all regions", ""),
    ("AWS-GR_CONFIG_CHANGE_PROHIBITED", MANDATORY, "No changes to Config recording", ""),
    (
        "AWS-GR_CONFIG_AGGREGATION_AUTHORIZATION_POLICY",
        MANDATORY,
        "No deletion of aggregation authorizations",
        "",
    ),
    (
        "AWS-GR_CONFIG_AGGREGATION_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's tags on Config resources",
        "",
    ),
    (
        "AWS-GR_CONFIG_RULE_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's Config rules and aggregators",
        "",
    ),
    (
        "AWS-GR_IAM_ROLE_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's IAM roles",
        "",
    ),
    (
        "AWS-GR_LAMBDA_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's functions and their event sources",
        "",
    ),
    ("AWS-GR_SNS_CHANGE_PROHIBITED", MANDATORY, "No changes to the landing zone's topics", ""),
    (
        "AWS-GR_SNS_SUBSCRIPTION_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to their subscriptions",
        "",
    ),
    (
        "CT.SNS.PV.1",
        MANDATORY,
        "Landing zone 4.0: no topic or subscription change on the logging topic",
        "",
    ),
    ("AWS-GR_LOG_GROUP_POLICY", MANDATORY, "No changes to the landing zone's log groups", ""),
    (
        "AWS-GR_CLOUDWATCH_EVENTS_CHANGE_PROHIBITED",
        MANDATORY,
        "No changes to the landing zone's rules",
        "",
    ),
    # -- strongly recommended
    ("AWS-GR_RESTRICT_ROOT_USER_ACCESS_KEYS", STRONGLY_RECOMMENDED, "No root access keys", ""),
    ("AWS-GR_RESTRICT_ROOT_USER", STRONGLY_RECOMMENDED, "No root user actions", ""),
    *(
        (control, f"{STRONGLY_RECOMMENDED} (detective)", requirement, coverage)
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
    # -- elective SCPs
    ("AWS-GR_REGION_DENY", ELECTIVE, "Deny ungoverned regions", ""),
    (
        "AWS-GR_AUDIT_BUCKET_ENCRYPTION_ENABLED",
        ELECTIVE,
        "No bucket encryption changes",
        "",
    ),
    ("AWS-GR_AUDIT_BUCKET_LOGGING_ENABLED", ELECTIVE, "No access-logging changes", ""),
    ("AWS-GR_AUDIT_BUCKET_POLICY_CHANGES_PROHIBITED", ELECTIVE, "No bucket policy changes", ""),
    ("AWS-GR_AUDIT_BUCKET_RETENTION_POLICY", ELECTIVE, "No lifecycle changes", ""),
    (
        "AWS-GR_DISALLOW_CROSS_REGION_NETWORKING",
        ELECTIVE,
        "No peering, CloudFront or Global Accelerator",
        "",
    ),
    ("AWS-GR_DISALLOW_VPC_INTERNET_ACCESS", ELECTIVE, "No internet gateways", ""),
    ("AWS-GR_DISALLOW_VPN_CONNECTIONS", ELECTIVE, "No VPN", ""),
    (
        "AWS-GR_RESTRICT_S3_CROSS_REGION_REPLICATION",
        ELECTIVE,
        "No S3 replication",
        "",
    ),
    (
        "AWS-GR_RESTRICT_S3_DELETE_WITHOUT_MFA",
        ELECTIVE,
        "S3 deletes only with MFA",
        "Not yet: its Deny applies whenever aws:MultiFactorAuthPresent is false or absent, and "
        "the key is absent from requests made with role sessions that were not started with "
        "MFA (workload roles, service roles, pipelines), so attached anywhere it would stop "
        "every such delete; it needs a per-OU exemption design first "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
        "#condition-keys-multifactorauthpresent).",
    ),
    (
        "CT.CLOUDFORMATION.PR.1",
        ELECTIVE,
        "No CloudFormation registry changes",
        "",
    ),
    ("CT.APPSYNC.PV.1", ELECTIVE, "Private AppSync GraphQL APIs only", ""),
    ("CT.EC2.PV.1", ELECTIVE, "No snapshots of unencrypted volumes", ""),
    ("CT.EC2.PV.2", ELECTIVE, "No attaching unencrypted volumes", ""),
    ("CT.EC2.PV.3", ELECTIVE, "No public EBS snapshots", ""),
    ("CT.EC2.PV.5", ELECTIVE, "No VM Import/Export", ""),
    (
        "CT.EC2.PV.6",
        ELECTIVE,
        "No Spot Instance or Spot Fleet requests",
        "Not yet: a purchasing choice rather than a security control; add it to a pack when an "
        "OU needs it.",
    ),
    ("CT.KMS.PV.1", ELECTIVE, "KMS grants only through AWS services", ""),
    (
        "CT.KMS.PV.2",
        ELECTIVE,
        "No RSA_2048 keys for encryption",
        "Not yet: a key-spec policy choice; no case written.",
    ),
    ("CT.KMS.PV.3", ELECTIVE, "No bypassing the key policy lockout check", ""),
    *(
        (
            control,
            ELECTIVE,
            f"New KMS keys only with origin {origin}",
            "Not applicable as a default: each of these three allows only one special key "
            f"origin ({origin} here), so it would forbid ordinary AWS_KMS keys; enable one "
            "only for an OU that has chosen that key store.",
        )
        for control, origin in (
            ("CT.KMS.PV.4", "AWS_CLOUDHSM"),
            ("CT.KMS.PV.5", "EXTERNAL"),
            ("CT.KMS.PV.6", "EXTERNAL_KEY_STORE"),
        )
    ),
    ("CT.LAMBDA.PV.1", ELECTIVE, "Lambda function URLs use IAM auth", ""),
    (
        "CT.LAMBDA.PV.2",
        ELECTIVE,
        "Lambda permissions only for the function's own account",
        "Not yet: its artifact compares lambda:Principal with the ${aws:PrincipalAccount} "
        "policy variable; the evaluator substitutes policy variables, but no guardrail in the "
        "catalog implements the control.",
    ),
    (
        "CT.MULTISERVICE.PV.1",
        ELECTIVE,
        "Region deny with a region list per OU",
        "Not yet: region-deny can be attached per OU, but with one region list "
        "(`regions.governed`) for the whole organization.",
    ),
    (
        "CT.S3.PV.1",
        ELECTIVE,
        "Protect Control Tower's AWS Backup report buckets",
        "Not applicable: protects buckets of Control Tower's AWS Backup integration; this "
        "landing zone creates no Backup report bucket.",
    ),
    # -- elective RCPs
    ("CT.KMS.PV.7", f"{ELECTIVE} (RCP)", "KMS only for the organization and AWS services", ""),
    (
        "CT.S3.PV.2",
        f"{ELECTIVE} (RCP)",
        "S3 only with Authorization-header authentication",
        "Not yet: it forbids presigned URLs and browser POST uploads, which workloads use; an "
        "OU-level opt-in needs a case design for s3:authType first.",
    ),
    (
        "CT.S3.PV.3",
        f"{ELECTIVE} (RCP)",
        "S3 only over TLS 1.3",
        "Not yet: rcp-enforce-tls requires TLS; a 1.3 minimum breaks clients that only speak "
        "TLS 1.2.",
    ),
    ("CT.S3.PV.4", f"{ELECTIVE} (RCP)", "S3 only for the organization and AWS services", ""),
    ("CT.S3.PV.5", f"{ELECTIVE} (RCP)", "S3 only over TLS", ""),
    (
        "CT.S3.PV.6",
        f"{ELECTIVE} (RCP)",
        "S3 uploads only with SSE-KMS",
        "Not yet: its exception for buckets with SSE-KMS default encryption needs a case "
        "design; no case written.",
    ),
    (
        "CT.SECRETSMANAGER.PV.1",
        f"{ELECTIVE} (RCP)",
        "Secrets only for the organization and AWS services",
        "",
    ),
    ("CT.SQS.PV.1", f"{ELECTIVE} (RCP)", "SQS only for the organization and AWS services", ""),
    ("CT.STS.PV.1", f"{ELECTIVE} (RCP)", "STS only for the organization and AWS services", ""),
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


Status = str  # "covered", "opt-in", "not applicable", "not yet", "detective"


def coverage_rows(where: dict[str, list[str]]) -> list[tuple[str, str, str, Status, str]]:
    """(control, category, requirement, status, coverage text) for the coverage table.

    ``where`` is :func:`reach` of the plan: a guardrail that reaches a target
    covers its controls; one in no attached pack offers them as an opt-in pack.
    """
    rows = []
    for control, category, requirement, note in CONTROL_TOWER:
        naming = [g for g in GUARDRAILS if control in g.controls.control_tower]
        attached = [g for g in naming if where.get(g.id)]
        if attached:
            status = "covered"
            by = ", ".join(f"`{g.id}`" for g in attached)
        elif naming:
            status = "opt-in"
            by = ", ".join(
                f"`{g.id}` (pack {', '.join(f'`{p.id}`' for p in PACKS if g.id in p.guardrails)})"
                for g in naming
            )
        elif note.startswith("Not applicable"):
            status, by = "not applicable", ""
        elif note.startswith("Not yet"):
            status, by = "not yet", ""
        else:
            status, by = "detective", ""
        rows.append((control, category, requirement, status, "; ".join(filter(None, (by, note)))))
    return rows


def coverage_counts(
    rows: list[tuple[str, str, str, Status, str]],
) -> dict[str, dict[str, int]]:
    """Preventive controls per category (RCPs counted as elective) by status."""
    counts: dict[str, dict[str, int]] = {}
    for _, category, _, status, _ in rows:
        if "detective" in category:
            continue
        by_status = counts.setdefault(
            category.removesuffix(" (RCP)"),
            {"covered": 0, "opt-in": 0, "not applicable": 0, "not yet": 0},
        )
        by_status[status] += 1
    return counts


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
        "`ArnNotLike aws:PrincipalArn` with the config's `privileged_principals` and its "
        "`identity.break_glass` roles; the few "
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
    out += ["", *evaluator_section()]
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
    rows = coverage_rows(where)
    out += [
        "## Control Tower coverage",
        "",
        "Every Control Tower control with preventive behaviour that this landing zone has "
        "mapped (mandatory, strongly recommended, elective, and the CT.*.PV SCP and RCP "
        "controls read so far), and the mandatory and strongly recommended detective "
        "controls. A row is *covered* or *opt-in* only when a guardrail names the control in "
        "the catalog, and a test then requires a case (tests/guardrail_cases.py, evaluated "
        "against synthesized policies) that the guardrail alone denies. *Opt-in* guardrails "
        "are in packs the example does not attach. Detective coverage is read from the rule "
        "table of the organization conformance pack (`landing_zone/guardrails/detective.py`, "
        "listed in [detection.md](detection.md)), which deploys unless "
        "`detection.conformance_pack.enabled` is false.",
        "",
        "| category | preventive controls | covered | opt-in pack | not applicable | not yet |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for category, counts in coverage_counts(rows).items():
        out.append(
            f"| {category} | {sum(counts.values())} | {counts['covered']} | "
            f"{counts['opt-in']} | {counts['not applicable']} | {counts['not yet']} |"
        )
    out += [
        "",
        "| control | category | requires | status | covered by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for control, category, requirement, status, note in rows:
        out.append(
            f"| {control} | {category} | {requirement} | {status} | "
            f"{note}{_detective_off(control, config)} |"
        )
    out += [
        "",
        "### Region deny: Control Tower's exemptions",
        "",
        f"`region-deny` exempts the {len(CT_REGION_DENY_NOT_ACTION)} entries of "
        "AWS-GR_REGION_DENY's `NotAction` list, in its order; "
        f"{len(REGION_DENY_KEPT_DENIED)} of them stay denied here. Every entry is pinned by "
        "a case allowed in an ungoverned region (tests/guardrail_cases.py), and each service "
        "exempt only in part by a case denied there.",
        "",
        "| exemption kept denied | why |",
        "| --- | --- |",
        *(f"| `{action}` | {why} |" for action, why in REGION_DENY_KEPT_DENIED.items()),
        *(() if REGION_DENY_KEPT_DENIED else ("| (none) | every exemption is adopted |",)),
        "",
        "Exempt entries: " + ", ".join(f"`{a}`" for a in CT_REGION_DENY_NOT_ACTION) + ".",
    ]
    out += WHATIF_SECTION
    out.append("")
    return "\n".join(out)


def evaluator_section() -> list[str]:
    """What the policy evaluator (landing_zone/guardrails/evaluate.py) reads, and what raises."""
    return [
        "## What the policy evaluator reads",
        "",
        "The case table, the privileged-principal proof and the deploy contracts run every "
        "request through `landing_zone/guardrails/evaluate.py`, which implements the policy "
        "language SCPs and RCPs accept since September 2025. Anything it does not implement "
        "raises `UnsupportedPolicy` naming the element or operator; it never guesses.",
        "",
        "| part of the language | what the evaluator does |",
        "| --- | --- |",
        "| levels | an explicit Deny at any level wins; otherwise each level (root, every OU, "
        "the account) needs a matching Allow |",
        "| `Effect`, `Sid`, `Action`, `NotAction`, `Resource`, `NotResource`, `Condition` | "
        "in Allow and Deny statements of SCPs; RCPs: no `NotAction`, Allow only in "
        "RCPFullAWSAccess (`evaluate(..., policy_type=...)` checks each type) |",
        '| `Principal` | `"*"` in organization policies (an SCP has none); in resource '
        "policies, `*`, `AWS` (account `:root` covers the account) and `Service` |",
        "| `NotPrincipal` | raises: SCPs and RCPs do not accept it |",
        "| `Version` | `2012-10-17` substitutes policy variables; `2008-10-17` (or none) "
        "reads `${...}` as text |",
        "| String operators | `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`, "
        "`StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike` (`*` and `?`) |",
        "| Numeric, Date | all six comparisons each; dates in the W3C ISO 8601 forms or epoch "
        "seconds (a date alone is midnight UTC; four bare digits raise) |",
        "| `Bool`, `BinaryEquals`, `IpAddress`, `NotIpAddress` | base64 for binary; IPv4 and "
        "IPv6 CIDR (an IPv4 address alone is /32; an IPv6 address needs its prefix) |",
        "| ARN operators | `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`: the six "
        "colon-separated parts matched separately (a pattern without six parts raises) |",
        "| `Null`, `...IfExists`, `ForAllValues:`, `ForAnyValue:` | on every operator except "
        "`Null`; a missing key: negated operators true, IfExists true, ForAllValues true, "
        "ForAnyValue false (with IfExists too) |",
        "| policy variables | `${key}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}` in the "
        "resource part of `Resource`/`NotResource` and in String and ARN condition values; a "
        "key the request lacks (without a default) makes the statement not apply |",
        "| raises | `NotPrincipal`; a variable with `Bool`, Numeric, Date, IP, Binary or "
        "`Null`; a multivalued key under an operator without `ForAllValues`/`ForAnyValue`; a "
        "substituted value holding `*` or `?`; a request value of the wrong type "
        "(`InvalidContextValue`) |",
        "| unknown keys | a condition on a key the request cannot know (`Request.unknown`) "
        "raises `Undecidable` unless another element certainly decides |",
        "",
        "Policies are compiled once per object and each statement remembers the actions it "
        "matched; `python bench/evaluate.py` prints evaluations per second on the example's "
        "SCP and RCP paths.",
    ]


# A sample from tests/fixtures/cloudtrail (tests/test_whatif.py checks every line's verdict).
WHATIF_SECTION = [
    "",
    "## What would this break? `make whatif`",
    "",
    "`make whatif EVENTS=<file|directory|s3://bucket/prefix> [CONFIG=...] [ORG_MAP=<file>]` "
    "replays CloudTrail events (`.json` / `.json.gz` log files as CloudTrail delivers them) "
    "against the SCPs and RCPs this config would deploy, with the same evaluator the case "
    'table uses. `ARGS=--json` gives `{"evaluated": N, "denied": [...], "skipped": '
    "[...]}` plus counts; `ARGS='--against main'` (a git ref, evaluated with that ref's "
    "catalog and packs) or `ARGS='--against config/other.yaml'` lists only the denials the "
    "change adds or removes; `ARGS=--live` places accounts the config and the org map do not "
    "name with Organizations (read-only).",
    "",
    "Every event ends as exactly one of:",
    "",
    "| outcome | meaning |",
    "| --- | --- |",
    "| denied | the guardrail (and the packed policy carrying it) that denies it, with the "
    "account, OU, principal, action and resource |",
    "| allowed | every SCP and RCP level allows it |",
    "| not affected | SCPs and RCPs cannot apply: the management account, service-linked "
    "roles, AWS service principals for SCPs, console sign-ins |",
    "| skipped | not evaluated, with the reason: unknown account, unmappable action, a "
    "condition key CloudTrail does not record, an unsupported policy element. Never counted "
    "as allowed |",
    "",
    "Accounts are placed in OUs from the config (adopted accounts), then `ORG_MAP` (a JSON "
    '`{"<account id>": "<ou key>"}`, the output of `make verify ARGS=--json`, or a config '
    "written by `make import`), then Organizations with `--live`. SCPs are decided on the "
    "principal's account, RCPs on the resource's. A principal of another account (`AWSAccount` "
    "in the record) is under that account's SCPs: the record has no principal ARN, so an "
    "unplaced account, or a guardrail that exempts principals by ARN, skips the event. In "
    "`--against` mode an event the current config cannot decide is skipped, never listed as "
    "no longer denied.",
    "",
    "Sample (`tests/fixtures/cloudtrail`, the example config):",
    "",
    "```",
    "whatif: 23 events from tests/fixtures/cloudtrail/trail",
    "  denied 8, allowed 7, not affected 3, skipped 5 (never counted as allowed)",
    "",
    "Denied:",
    "  eventID                     account       OU             action                      "
    "guardrail [policy]",
    "  assumed-role-stops-trail    444444444444  prod           cloudtrail:StopLogging      "
    "protect-organization-trail [Acme-root-scp-1]",
    "  root-lists-buckets          222222222222  sandbox        s3:ListAllMyBuckets         "
    "deny-root-user [Acme-root-scp-1]",
    "  ungoverned-region           222222222222  sandbox        ec2:DescribeInstances       "
    "region-deny [Acme-root-scp-2]",
    "  global-iam-create-user      210987654321  payments-prod  iam:CreateUser              "
    "deny-iam-users-and-access-keys [Acme-payments-prod-scp-1]",
    "  data-get-object-suspended   333333333333  suspended      s3:GetObject                "
    "deny-all-suspended [Acme-suspended-scp-1]",
    "  sandbox-large-instance      222222222222  sandbox        ec2:RunInstances            "
    "sandbox-instance-types [Acme-sandbox-scp-1]",
    "  ...",
    "",
    "Skipped (not evaluated):",
    "         2  unknown account",
    "         1  condition keys CloudTrail does not record: aws:securetransport",
    "         1  condition keys CloudTrail does not record: aws:sourceaccount, aws:sourceorgid",
    "         1  unmappable action",
    "",
    "Not affected (SCPs/RCPs cannot apply):",
    "         1  SCPs do not apply to service-linked roles",
    "         1  SCPs do not apply to the management account",
    "         1  console sign-in, not an API call",
    "```",
    "",
    "What CloudTrail tells about each condition key the guardrails test "
    "([record contents](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
    "cloudtrail-event-reference-record-contents.html), [condition keys](https://docs.aws."
    "amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)):",
    "",
    "| key | from the record |",
    "| --- | --- |",
    "| `aws:PrincipalArn` | the role ARN of an assumed-role session (`sessionIssuer.arn`), "
    "the user's ARN, `arn:aws:iam::<account>:root` for the root user; absent for AWS "
    "services |",
    "| `aws:PrincipalAccount` | `userIdentity.accountId` |",
    "| `aws:PrincipalOrgID` | the organization's id when the account is placed in it; "
    "unknown for an account nobody placed |",
    "| `aws:PrincipalIsAWSService` | `true` for `AWSService` identities, else `false` |",
    "| `aws:RequestedRegion` | `awsRegion` |",
    "| `aws:SourceIp`, `aws:ViaAWSService` | `sourceIPAddress` when it is an address and "
    "no `vpcEndpointId` (through an endpoint the key is absent); `aws:ViaAWSService` "
    "`false` without `invokedBy`, `true` via a service when `invokedBy` is set |",
    "| `aws:SourceVpce` | `vpcEndpointId`; absent (with `aws:SourceVpc`) when not recorded |",
    "| `aws:SecureTransport` | `true` with `tlsDetails`; unknown without |",
    "| `aws:MultiFactorAuthPresent` | `true` when `sessionContext.attributes."
    "mfaAuthenticated` is `true`; unknown otherwise (IAM may leave it out rather than set "
    "`false`) |",
    "| `aws:AssumedRoot` | `true` for a root session recording `assumedRoot`; absent for "
    "other root sign-ins |",
    "| `aws:SourceAccount`, `aws:SourceOrgID`, `aws:SourceArn` | absent for IAM principals; "
    "unknown for AWS services |",
    "| `ec2:InstanceType`, `ec2:MetadataHttpTokens` | `RunInstances` request parameters "
    "(`instanceType`, `metadataOptions.httpTokens`) |",
    "| `ram:RequestedAllowsExternalPrincipals` | `allowExternalPrincipals` |",
    "| anything else (`aws:PrincipalTag/*`, `aws:ResourceTag/*`, `aws:TagKeys`, "
    "`aws:CalledVia`, ...) | unknown: a decision that turns on it is skipped with the key |",
]
