"""The parts of `make synth`'s summary a CCoE lead signs off: who is bound by what, and what stays.

Each function turns a loaded config (and, for the guardrails, the packer's
plan) into lines, from the sources the stacks are built from, never a text
of its own: the plan says which guardrails each target carries, the
catalog's statements whom each one exempts, the config's values what cannot
be undone, the preflight what must be done by hand, and
``references.core_outputs`` (also the log-archive stack's outputs) what a
business-unit fork copies. No aws_cdk import: the CLI stays fast.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from landing_zone.config import LandingZoneConfig, guardrail_inputs
from landing_zone.config.identity import break_glass_role_arns, root_access_enabled
from landing_zone.config.organization import principals_pinned
from landing_zone.detection_services import SERVICES
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS
from landing_zone.guardrails.catalog import IDENTITY_CENTER_ROLES
from landing_zone.guardrails.model import STACKSET_EXECUTION_ROLE, PolicyKind
from landing_zone.guardrails.packer import KINDS, GuardrailPlan
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.identity_center import center_of
from landing_zone.naming import break_glass_role_name, stack_id
from landing_zone.org_tree import ROOT
from landing_zone.references import LogArchiveRef, core_outputs

# Wrapped lines stay readable in a terminal and a review tool.
WIDTH = 100

# The condition key that sets a centralized root access session apart.
ASSUMED_ROOT = "aws:AssumedRoot"


# Stands for a space that must not break a line ("+ inherited from", "(from root)").
_GLUE = "\x00"


def _glued(text: str) -> str:
    """``text`` as one unit for :func:`_wrapped`: its spaces never break a line."""
    return text.replace(" ", _GLUE)


def _wrapped(text: str, *, indent: str, hanging: str) -> list[str]:
    """``text`` broken at spaces (never inside an id, an ARN or a glued unit) to :data:`WIDTH`."""
    return [
        line.replace(_GLUE, " ")
        for line in textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent=indent,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
        )
    ]


# ---- 1. the guardrails on each OU ---------------------------------------------------


def guardrail_lines(config: LandingZoneConfig, plan: GuardrailPlan) -> list[str]:
    """Every target's guardrails by policy type, in tree order; what it inherits by name only.

    A target lists the guardrails of the packs attached to it; one an
    ancestor already applies (the packer attaches it there only) is marked
    ``(from <ancestor>)``. What the targets above apply is named once, as
    ``+ inherited from``, and listed where it is attached: one line (or a few,
    wrapped) per OU, however large the tree.
    """
    applied: dict[str, set[str]] = {}
    for policy in plan.policies:
        applied.setdefault(policy.target, set()).update(policy.guardrails)
    attachments = config.guardrails.attachments
    above = (
        f"the core's {config.core.parent_ou_id} and above (see the core's summary)"
        if config.core is not None
        else None
    )
    lines = _wrapped(
        "Guardrails per OU (the packs attached to each and their guardrails by policy type; "
        "'(from X)': already applied at X above; '+ inherited from': every guardrail of those "
        "targets applies here too):",
        indent="",
        hanging="    ",
    )
    for target, path in config.tree.paths().items():
        depth = len(path) - 1
        indent = "  " * (depth + 1)
        by_kind: dict[PolicyKind, list[str]] = {kind: [] for kind in KINDS}
        for guardrail in dict.fromkeys(
            g for pack in attachments.get(target, ()) for g in PACKS[pack].guardrails
        ):
            source = next((a for a in reversed(path) if guardrail in applied.get(a, ())), target)
            by_kind[GUARDRAILS[guardrail].kind].append(
                guardrail if source == target else _glued(f"{guardrail} (from {source})")
            )
        parts = [f"{kind.upper()} {', '.join(ids)}" for kind, ids in by_kind.items() if ids]
        inherited = [a for a in reversed(path[:-1]) if a in applied]
        if target == ROOT and above is not None:
            parts = [f"stands for {above}", *parts]
        elif inherited or (above is not None and target != ROOT):
            names = [*inherited, *([above] if above is not None else [])]
            parts.append(
                _glued(f"+ inherited from {names[0]}") + "".join(f", {n}" for n in names[1:])
            )
        packs = attachments.get(target, ())
        label = f"{target} [{', '.join(packs)}]" if packs else target
        text = f"{label}: {'; '.join(parts) if parts else 'nothing attached'}"
        lines += _wrapped(text, indent=indent, hanging=indent + "    ")
    return lines


# ---- 2. who is exempt ----------------------------------------------------------------


def privileged_lines(config: LandingZoneConfig, plan: GuardrailPlan) -> list[str]:
    """Who the guardrails exempt and from which, the automatic ones included; broad ones flagged.

    The exemption is the one every guardrail renders (``GuardrailInputs.exempt_arns``:
    the config's principals, the break-glass roles, the StackSets' execution
    role), read from the statements of the guardrails the plan attaches.
    """
    inputs = guardrail_inputs(config)
    attached = list(dict.fromkeys(g for p in plan.policies for g in p.guardrails))
    exempting = [
        g for g in attached if any(s.exempt_privileged for s in GUARDRAILS[g].statements(inputs))
    ]
    binding = [g for g in attached if g not in exempting]
    also: dict[str, list[str]] = {}
    for guardrail in attached:
        for statement in GUARDRAILS[guardrail].statements(inputs):
            for arn in statement.exempt_also:
                if guardrail not in also.setdefault(arn, []):
                    also[arn].append(guardrail)
    # A business unit's plan holds only its own guardrails; the core's (its
    # root and the OUs above core.parent_ou_id) bind these OUs too, with the
    # core's list of exemptions.
    mine = "this fork attaches" if config.business_unit else "attached"
    if not attached:
        scope = f"no guardrail is {mine}, so these are exempt from none"
        if not config.business_unit:
            scope += " and none binds anyone yet"
    else:
        scope = f"exempt from {len(exempting)} of the {len(attached)} guardrails {mine}"
        if binding:
            scope += f"; bound like everyone by {', '.join(binding)}"
    # Centralized root access sessions carry aws:AssumedRoot true: a statement
    # that only denies when it is false leaves them out.
    # See: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
    root_sessions = [
        g
        for g in attached
        if any(
            ASSUMED_ROOT in keys
            for statement in GUARDRAILS[g].statements(inputs)
            for keys in statement.condition.values()
        )
    ]
    lines = _wrapped(f"Privileged principals ({scope}):", indent="", hanging="    ")
    rows: list[tuple[str, str, str]] = [
        (
            key,
            principal.arn,
            ("every account: " if principal.every_account else "") + principal.reason,
        )
        for key, principal in config.privileged_principals.items()
    ]
    rows += [
        (
            f"break-glass {key}",
            arn,
            f"every account; automatic: identity.break_glass.{key} "
            f"({break_glass_role_name(config.prefix, key)})",
        )
        for key, arn in zip(config.identity.break_glass, break_glass_role_arns(config), strict=True)
    ]
    rows.append(
        (
            "StackSets",
            STACKSET_EXECUTION_ROLE.format(partition=config.partition),
            "every member account; automatic: runs the landing zone's StackSets",
        )
    )
    width = max(len(label) for label, *_ in rows)
    notes = [f"{label:<{width}}  {arn}  ({why})" for label, arn, why in rows]
    notes += [
        f"also exempt from {', '.join(guardrails)} only: {arn} (the landing zone's own roles "
        "that must do what it forbids others)"
        for arn, guardrails in also.items()
    ]
    if root_sessions:
        notes.append(
            "root sessions (sts:AssumeRoot from the management account or IAM's delegated "
            f"administrator, aws:AssumedRoot true) are exempt from {', '.join(root_sessions)}; "
            "a root user signing in with a password or access key is not"
        )
    if config.core is not None:
        notes.append(
            f"the core's guardrails (from its root down to {config.core.parent_ou_id}) bind "
            "these OUs too and exempt the core's privileged principals: see the core's summary"
        )
    if not config.business_unit:
        lock = config.log_archive.object_lock
        # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
        # (COMPLIANCE: no user, the root user included, can delete a locked
        # version before its retention ends; GOVERNANCE: those with
        # s3:BypassGovernanceRetention can.)
        deleting = (
            "delete log versions, bypass GOVERNANCE retention"
            if lock.mode == "GOVERNANCE"
            else "delete log versions (in the trail's Object Lock bucket only once their "
            f"COMPLIANCE retention of {lock.days} days has passed: nobody can before)"
        )
        notes.append(
            f"the log archive's bucket and key policies let the same principals {deleting} "
            "and change those policies"
        )
    if "protect-privileged-roles" in attached:
        notes.append(
            f"IAM Identity Center's roles ({IDENTITY_CENTER_ROLES}) are never exempt; "
            "protect-privileged-roles reserves their names"
        )
    # The project's own notion of broad: the validation warning, word for word.
    notes += [
        f"WARNING broad: {problem.location[1]}: {problem.message}"
        for problem in principals_pinned(config)
    ]
    for note in notes:
        lines += _wrapped(note, indent="  ", hanging="      ")
    return lines


# ---- 3. what cannot be undone ------------------------------------------------------------


def one_way_lines(config: LandingZoneConfig) -> list[str]:
    """The settings of this config that cannot be undone, or that stay when removed.

    One line each: what, its value here, and why it is one way.
    """
    items: list[str] = []
    if not config.business_unit:
        items += _log_archive_items(config)
        items += _organization_items(config)
    created = [key for key, account in config.all_accounts() if not account.adopted]
    if created:
        # See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CloseAccount.html
        items.append(
            f"accounts: {len(created)} created by this config; none is ever closed or removed "
            "from the organization by it (DeletionPolicy Retain: removing one from the config "
            "only stops managing it); closing one is by hand, and 90 days later it cannot be "
            "reopened"
        )
    if config.baseline.targets and config.baseline.remove_default_vpc:
        items.append(
            "baseline.remove_default_vpc: true: each governed region's unused default VPC is "
            "deleted in every baselined account; the app never recreates it (aws ec2 "
            "create-default-vpc makes a new one)"
        )
    items += _backup_items(config)
    lines = ["One-way settings (what this config cannot take back, or leaves when removed):"]
    for item in items:
        lines += _wrapped(f"- {item}", indent="  ", hanging="    ")
    if not items:
        lines.append("  none")
    return lines


def _log_archive_items(config: LandingZoneConfig) -> list[str]:
    archive = config.log_archive
    lock = archive.object_lock
    trail = config.organization_trail
    # See: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
    # ("After you enable Object Lock on a bucket, you can't disable Object Lock
    # or suspend versioning for that bucket.")
    items = [
        f"log_archive.object_lock: {lock.mode} {lock.days} days: "
        + (
            "nobody, not the privileged principals nor the root user, can delete a log "
            f"version or shorten its retention before {lock.days} days; turning COMPLIANCE "
            "off later does not unlock what was written"
            if lock.mode == "COMPLIANCE"
            else f"only the privileged principals can delete a log version before {lock.days} days"
        )
        + "; the log bucket keeps Object Lock and versioning for good (S3 cannot turn "
        "them off)",
        f"log_archive.expiration_days: {archive.effective_expiration_days}: log objects are "
        f"deleted after {archive.effective_expiration_days} days, S3 access logs after "
        f"{archive.access_log_expiration_days} (access_log_expiration_days); a longer "
        "setting later does not bring them back",
        # See: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
        f"organization_trail.log_group_retention_days: {trail.log_group_retention_days}: "
        "CloudWatch Logs deletes the trail's events older than that (the CIS alarms' copy; "
        "the log bucket keeps its own)",
    ]
    if trail.cloudtrail_lake.enabled:
        items.append(
            "organization_trail.cloudtrail_lake.retention_days: "
            f"{trail.cloudtrail_lake.retention_days}: the event data store deletes events "
            "older than that"
        )
    lake = ", the CloudTrail Lake event data store" if trail.cloudtrail_lake.enabled else ""
    # See: https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
    items.append(
        "retained when their stack or setting goes: the log archive's three buckets and KMS "
        f"key, the trail's log group and the monitoring key{lake}: they stay, and are billed; "
        "the app never schedules a key's deletion, and one deleted by hand (after 7 to 30 "
        "days) leaves every log encrypted under it unreadable for good"
    )
    return items


def _backup_items(config: LandingZoneConfig) -> list[str]:
    """The backup vault's key and vault stay; a compliance Vault Lock cannot be undone.

    See: https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
    """
    backup = config.baseline.backup
    if not (config.baseline.targets and backup.enabled):
        return []
    items = [
        "baseline.backup: the <Prefix>-Backup vault and its KMS key in every baselined account "
        "and governed region are retained when the setting or the stack goes (a vault holding "
        "recovery points cannot be deleted, and its key must stay to decrypt them)"
    ]
    lock = backup.vault_lock
    if lock is not None and lock.mode == "compliance":
        items.append(
            f"baseline.backup.vault_lock: compliance: {lock.changeable_for_days} days after "
            "the first deploy nobody, not the privileged principals, the root user nor AWS, "
            f"can remove the lock, keep a recovery point less than {lock.min_retention_days} "
            "days or delete the vault while it holds any"
        )
    return items


def _organization_items(config: LandingZoneConfig) -> list[str]:
    features = config.organization_features
    items = []
    if features.policy_types or features.trusted_services:
        items.append(
            f"organization_features: {len(features.policy_types)} policy types "
            f"({', '.join(features.policy_types) or 'none'}) and {len(features.trusted_services)} "
            "trusted services stay enabled if removed from the config (disabling a policy type "
            "detaches every policy of that type; disabling trusted access breaks the service's "
            "delegated administration): by hand only"
        )
    if root_access_enabled(config):
        items.append(
            "identity.root_access.enabled: true: root credentials management and root "
            "sessions stay on if set false or removed; disabling them is by hand "
            "(docs/identity.md)"
        )
    # Only the delegated services: the conformance pack is the management
    # account's own resource, deleted with the setting.
    on = [s.name for s in SERVICES if s.delegation is not None and s.enabled(config.detection)]
    if on:
        items.append(
            f"detection: {', '.join(on)} on: switching one off later only stops enrolling new "
            "accounts; existing members stay enrolled and the audit account stays delegated "
            "administrator (disabling destroys findings history: by hand, docs/detection.md)"
        )
    if config.identity.break_glass:
        items.append(
            f"identity.break_glass ({', '.join(config.identity.break_glass)}): removing the "
            f"last role leaves {stack_id(config.prefix, 'BreakGlass')} and the roles in every "
            "account, still trusting their principals, while the alarm on their use goes "
            "(docs/identity.md says how to retire them)"
        )
    center = center_of(config)
    if center is not None:
        items.append(
            "identity.identity_center: removing the section leaves "
            f"{stack_id(config.prefix, 'IdentityCenter')}, its permission sets and assignments "
            "working; empty the assignments and deploy first (docs/identity.md)"
        )
    return items


# ---- 4. the one-time manual steps ----------------------------------------------------


def manual_step_lines(config: LandingZoneConfig) -> list[str]:
    """The one-time steps this config needs, as `make deploy` prints them before it runs."""
    # The preflight imports boto3; only the summary needs it here.
    from landing_zone.preflight import manual_step_lines as steps

    return steps(config)


# ---- 5. what a business-unit fork copies -------------------------------------------


def core_reference_lines(config: LandingZoneConfig) -> list[str]:
    """A core's values for its business-unit forks' ``core`` section, as YAML to paste.

    A value only a deploy can know (a created account's id, and the names
    built from it) says which output of which stack holds it.
    """
    if config.core is not None or config.core_accounts is None:
        return []
    accounts = config.core_accounts
    stack = stack_id(config.prefix, "LogArchive")
    reference = LogArchiveRef.owned(
        prefix=config.prefix,
        partition=config.partition,
        home_region=config.regions.home,
        account_id=accounts.log_archive.account_id or UNKNOWN_LOG_ARCHIVE,
    )
    lines = [
        "For business-unit forks, their `core:` section (docs/forking.md); once deployed, "
        f"`aws cloudformation describe-stacks --stack-name {stack} --region "
        f"{config.regions.home}` lists the same values as outputs:",
        "  core:",
        f"    prefix: {config.prefix}",
        "    parent_ou_id: <the OU it hangs under>  # known after deploy: `aws organizations "
        f"list-organizational-units-for-parent --parent-id {config.organization.root_id}`",
    ]
    written: list[str] = ["core"]
    others = []
    for output in core_outputs(
        reference, audit_account_id=accounts.audit.account_id or UNKNOWN_AUDIT
    ):
        value = f"'{output.value}'" if output.name.endswith("AccountId") else output.value
        where = f"output {output.name} of stack {stack}"
        value += (
            f"  # known after deploy: see {where}" if "<" in output.value else f"  # also {where}"
        )
        if output.field is None:
            others.append(f"  {output.description}: {value}")
            continue
        *parents, name = output.field.split(".")
        for depth, parent in enumerate(parents):
            if written[depth : depth + 1] != [parent]:
                written[depth:] = [parent]
                lines.append(f"{'  ' * (depth + 1)}{parent}:")
        written = parents
        lines.append(f"{'  ' * (len(parents) + 1)}{name}: {value}")
    return lines + others


# What the summary writes for an account id only the deploy creates.
UNKNOWN_LOG_ARCHIVE = "<log_archive_account_id>"
UNKNOWN_AUDIT = "<audit_account_id>"


def sections(config: LandingZoneConfig, plan: GuardrailPlan) -> Iterable[list[str]]:
    """Every section above, in the summary's order (empty ones left out)."""
    for section in (
        privileged_lines(config, plan),
        one_way_lines(config),
        manual_step_lines(config),
        core_reference_lines(config),
    ):
        if section:
            yield section
