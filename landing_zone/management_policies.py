"""The management policies of ``organization_policies`` as JSON, their schemas and effective views.

Plain data (no aws_cdk): the organization stack creates one
``AWS::Organizations::Policy`` per target and type from
:func:`management_policies`; config validation checks the same documents
against the schema written from each type's syntax page
(landing_zone/policy_schemas/) and its size quota, and computes the
effective policy of every OU (landing_zone/effective_policy.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landing_zone.backup import backup_role_arn_in_policy, backup_vault_name
from landing_zone.config.types import Problem
from landing_zone.effective_policy import CHILD_CONTROL, effective_policy
from landing_zone.naming import resource_name
from landing_zone.org_tree import ROOT

if TYPE_CHECKING:
    from landing_zone.config.organization_policies import (
        AiOptOutConfig,
        BackupPolicyConfig,
        Ec2PolicyConfig,
        TagRuleConfig,
        TargetPoliciesConfig,
    )
    from landing_zone.config.root import LandingZoneConfig

#: Config field of a target -> Organizations policy type.
POLICY_TYPES = {
    "ec2": "DECLARATIVE_POLICY_EC2",
    "backup": "BACKUP_POLICY",
    "tags": "TAG_POLICY",
    "ai_opt_out": "AISERVICES_OPT_OUT_POLICY",
}
#: Policy type -> the name part of ``<Prefix>-<Name>-<Target>``.
_NAMES = {
    "DECLARATIVE_POLICY_EC2": "Ec2",
    "BACKUP_POLICY": "Backup",
    "TAG_POLICY": "Tags",
    "AISERVICES_OPT_OUT_POLICY": "AiOptOut",
    "S3_POLICY": "S3",
}

# Maximum policy document size per type, in characters.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
# See: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-policy.html
MAX_CHARS = {
    "AISERVICES_OPT_OUT_POLICY": 2500,
    "BACKUP_POLICY": 10000,
    "TAG_POLICY": 10000,
    "DECLARATIVE_POLICY_EC2": 10000,
    "S3_POLICY": 10000,
}
# Policies of one management type directly attached to one root or OU: the
# lowest of the per-type quotas. This config attaches one per type and target.
# See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
MAX_ATTACHED_PER_TARGET = 5

_SCHEMAS = Path(__file__).parent / "policy_schemas"
_LOCK = {CHILD_CONTROL: ["@@none"]}


@cache
def schema(policy_type: str) -> dict[str, Any]:
    """The JSON Schema of ``policy_type``, written from its AWS syntax page (its description)."""
    text = (_SCHEMAS / f"{policy_type.lower()}.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_errors(policy_type: str, document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(json path, message)`` for each way ``document`` breaks its type's schema."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(policy_type))
    return [
        (".".join(str(p) for p in error.absolute_path) or "(document)", error.message)
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def _assign(value: Any) -> dict[str, Any]:
    return {"@@assign": value}


def _locked(block: dict[str, Any], lock: bool) -> dict[str, Any]:
    return {**_LOCK, **block} if lock else block


def ec2_document(ec2: Ec2PolicyConfig) -> dict[str, Any]:
    """The EC2 declarative policy; with ``lock`` each attribute set is locked for child OUs."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_declarative_syntax.html
    attributes: dict[str, Any] = {}
    if ec2.exception_message is not None:
        attributes["exception_message"] = _assign(ec2.exception_message)
    if ec2.vpc_block_public_access is not None:
        bpa = ec2.vpc_block_public_access
        attributes["vpc_block_public_access"] = {
            "internet_gateway_block": {
                "mode": _assign(bpa.mode),
                "exclusions_allowed": _assign(bpa.exclusions_allowed),
            }
        }
    if ec2.serial_console_access is not None:
        attributes["serial_console_access"] = {"status": _assign(ec2.serial_console_access)}
    if ec2.image_block_public_access is not None:
        attributes["image_block_public_access"] = {"state": _assign(ec2.image_block_public_access)}
    if ec2.snapshot_block_public_access is not None:
        attributes["snapshot_block_public_access"] = {
            "state": _assign(ec2.snapshot_block_public_access)
        }
    if ec2.allowed_images is not None:
        attributes["allowed_images_settings"] = {
            "state": _assign(ec2.allowed_images.state),
            "image_criteria": {
                "criteria_1": {
                    "allowed_image_providers": _assign(list(ec2.allowed_images.image_providers))
                }
            },
        }
    if ec2.instance_metadata_defaults is not None:
        imds = ec2.instance_metadata_defaults
        settings: dict[str, Any] = {}
        for name in ("http_tokens", "http_endpoint", "instance_metadata_tags"):
            if getattr(imds, name) is not None:
                settings[name] = _assign(getattr(imds, name))
        if imds.http_put_response_hop_limit is not None:
            # Numbers are strings in these policies, as the syntax page writes them.
            settings["http_put_response_hop_limit"] = _assign(str(imds.http_put_response_hop_limit))
        attributes["instance_metadata_defaults"] = settings
    attributes = {
        key: _locked(value, ec2.lock) if key != "exception_message" else value
        for key, value in attributes.items()
    }
    return {"ec2_attributes": attributes}


def backup_document(
    backup: BackupPolicyConfig, *, prefix: str, partition: str, governed: list[str]
) -> dict[str, Any]:
    """The backup policy: a plan per entry, resources selected by tag, into the baseline's vault."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
    vault = backup_vault_name(prefix)
    plans: dict[str, Any] = {}
    for plan_key, plan in backup.plans.items():
        rules: dict[str, Any] = {}
        for rule_key, rule in plan.rules.items():
            body: dict[str, Any] = {
                "schedule_expression": _assign(rule.schedule),
                "start_backup_window_minutes": _assign(str(rule.start_window_minutes)),
                "complete_backup_window_minutes": _assign(str(rule.complete_window_minutes)),
                "lifecycle": {"delete_after_days": _assign(str(rule.delete_after_days))},
                "target_backup_vault_name": _assign(vault),
            }
            if rule.copy_to_region is not None:
                target = (
                    f"arn:{partition}:backup:{rule.copy_to_region}:$account:backup-vault:{vault}"
                )
                keep = rule.copy_delete_after_days or rule.delete_after_days
                body["copy_actions"] = {
                    target: {
                        "target_backup_vault_arn": _assign(target),
                        "lifecycle": {"delete_after_days": _assign(str(keep))},
                    }
                }
            rules[rule_key] = body
        plans[plan_key] = _locked(
            {
                "regions": _assign(list(plan.regions or governed)),
                "rules": rules,
                "selections": {
                    "tags": {
                        plan_key: {
                            "iam_role_arn": _assign(
                                backup_role_arn_in_policy(prefix, partition=partition)
                            ),
                            "tag_key": _assign(backup.selection_tag_key),
                            "tag_value": _assign([plan.tag_value]),
                        }
                    }
                },
            },
            backup.lock,
        )
    return {"plans": plans}


def tag_document(
    tags: Mapping[str, TagRuleConfig], *, inherited_keys: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The tag policy: each key's capitalization, allowed values and enforced resource types.

    A rule without ``key`` keeps the spelling a parent target gave that key
    (``inherited_keys``, by lowercase policy key): ``tag_key`` is an
    ``@@assign``, so writing the lowercase mapping key here would silently
    re-spell ``CostCenter`` as ``costcenter`` for every account below.
    """
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
    document: dict[str, Any] = {}
    for policy_key, rule in tags.items():
        spelling = rule.key or (inherited_keys or {}).get(policy_key.lower()) or policy_key
        body: dict[str, Any] = {"tag_key": _assign(spelling)}
        if rule.values is not None:
            body["tag_value"] = _assign(list(rule.values))
        if rule.enforced_for is not None:
            body["enforced_for"] = _assign(list(rule.enforced_for))
        # The policy key matches the tag key but for case.
        document[policy_key.lower()] = _locked(body, rule.lock)
    return {"tags": document}


def ai_opt_out_document(opt_out: AiOptOutConfig) -> dict[str, Any]:
    """The AI services opt-out policy: ``default`` covers every AI service, future ones too."""
    # See: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_ai-opt-out_syntax.html
    services: dict[str, Any] = {}
    choices = {**({"default": opt_out.default} if opt_out.default else {}), **opt_out.services}
    for service, choice in choices.items():
        services[service] = {"opt_out_policy": _locked(_assign(choice), opt_out.lock)}
    return {"services": services}


#: The root's default when a core config says nothing: opted out of every AI service.
DEFAULT_ROOT_AI_OPT_OUT = {"services": {"default": {"opt_out_policy": _assign("optOut")}}}


def _inherited_tag_keys(config: LandingZoneConfig, target: str) -> dict[str, str]:
    """Lowercase policy key -> the spelling the nearest parent target's tag policy writes."""
    if target not in config.tree.parents:
        return {}
    spellings: dict[str, str] = {}
    for parent in config.tree.path(target)[:-1]:
        parent_policies = config.organization_policies.get(parent)
        for policy_key, rule in ((parent_policies.tags or {}) if parent_policies else {}).items():
            lower = policy_key.lower()
            spellings[lower] = rule.key or spellings.get(lower) or policy_key
    return spellings


def target_documents(
    config: LandingZoneConfig, target: str, policies: TargetPoliciesConfig | None
) -> dict[str, dict[str, Any]]:
    """Policy type -> document attached to ``target`` (the root's AI default included)."""
    documents: dict[str, dict[str, Any]] = {}
    if policies is not None:
        if policies.ec2 is not None:
            documents["DECLARATIVE_POLICY_EC2"] = ec2_document(policies.ec2)
        if policies.backup is not None:
            documents["BACKUP_POLICY"] = backup_document(
                policies.backup,
                prefix=config.prefix,
                partition=config.partition,
                governed=list(config.regions.governed),
            )
        if policies.tags:
            documents["TAG_POLICY"] = tag_document(
                policies.tags, inherited_keys=_inherited_tag_keys(config, target)
            )
        if policies.ai_opt_out is not None:
            documents["AISERVICES_OPT_OUT_POLICY"] = ai_opt_out_document(policies.ai_opt_out)
    ai = "AISERVICES_OPT_OUT_POLICY"
    # The default follows the policy type: a core that leaves the type
    # disabled (organization_features) has chosen no opt-out policy at all.
    if (
        target == ROOT
        and not config.business_unit
        and ai not in documents
        and ai in config.organization_features.policy_types
    ):
        documents[ai] = DEFAULT_ROOT_AI_OPT_OUT
    return documents


def management_policies(config: LandingZoneConfig) -> list[tuple[str, str, str, str]]:
    """``(name, type, target, minified content)`` of every management policy, in config order."""
    targets: dict[str, TargetPoliciesConfig | None] = {}
    if not config.business_unit:
        targets[ROOT] = None
    targets.update(config.organization_policies)
    known = {ROOT, *config.tree.parents}
    return [
        (
            policy_name(config.prefix, policy_type, target),
            policy_type,
            target,
            json.dumps(document, separators=(",", ":")),
        )
        for target, policies in targets.items()
        if target in known
        for policy_type, document in target_documents(config, target, policies).items()
    ]


def policy_name(prefix: str, policy_type: str, target: str) -> str:
    """``Acme-Ec2-Root``, ``Acme-Backup-Workloads``: one per type and target."""
    from landing_zone.naming import pascal

    return resource_name(prefix, f"{_NAMES[policy_type]}-{pascal(target)}")


def _type_field(policy_type: str) -> str:
    return next((k for k, v in POLICY_TYPES.items() if v == policy_type), policy_type)


def policy_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    """Schema and size problems of every policy this config synthesizes."""
    for _, policy_type, target, content in management_policies(config):
        where = ("organization_policies", target, _type_field(policy_type))
        for path, message in schema_errors(policy_type, json.loads(content)):
            yield Problem(
                where,
                f"the {policy_type} would not match its syntax ({path}: {message}); "
                f"see {schema(policy_type)['description'].split(', written from ')[-1]}",
            )
        limit = MAX_CHARS[policy_type]
        if len(content) > limit:
            yield Problem(
                where,
                f"the {policy_type} is {len(content)} characters, above AWS's quota of {limit}; "
                "move part of it to a child OU",
            )


def documents_by_target(config: LandingZoneConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Target -> policy type -> document, for every target with a policy."""
    by_target: dict[str, dict[str, dict[str, Any]]] = {}
    for _, policy_type, target, content in management_policies(config):
        by_target.setdefault(target, {})[policy_type] = json.loads(content)
    return by_target


def effective_by_ou(config: LandingZoneConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Root and each OU -> policy type -> its effective policy (values only)."""
    by_target = documents_by_target(config)
    types = sorted({t for documents in by_target.values() for t in documents})
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for target in [ROOT, *(key for key, _, _, _ in config.walk_units())]:
        chain = config.tree.path(target)
        result[target] = {
            policy_type: effective_policy(
                by_target[t][policy_type] for t in chain if policy_type in by_target.get(t, {})
            ).policy
            for policy_type in types
        }
    return result


def lock_problems(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each operator a target's policy uses where a parent policy locked the setting."""
    by_target = documents_by_target(config)
    for target, documents in by_target.items():
        chain = config.tree.path(target)
        for policy_type, document in documents.items():
            parents = [
                by_target[t][policy_type] for t in chain[:-1] if policy_type in by_target.get(t, {})
            ]
            if not parents:
                continue
            before = len(effective_policy(parents).violations)
            for violation in effective_policy([*parents, document]).violations[before:]:
                yield Problem(
                    ("organization_policies", target, _type_field(policy_type)),
                    f"{violation.describe()}; a parent locked this setting, so this OU "
                    "cannot change it: remove it here or unlock it in the parent",
                )


def _compact(value: Any) -> str:
    """A value of an effective policy in one short line: lists joined, dicts as key=value."""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_compact(v)}" for k, v in value.items())
    return str(value)


def _leaves(document: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    for key, value in document.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield ".".join((*path, key)), value


def _short(path: str) -> str:
    """``serial_console_access.status`` -> ``serial_console_access``; criteria paths cut."""
    for wrapper in (".status", ".state", ".image_criteria.criteria_1", ".internet_gateway_block"):
        path = path.replace(wrapper, "")
    return path.replace("instance_metadata_defaults.", "imds.")


#: How each type's effective policy is shortened for a line: the wrapper key dropped.
_TOP = {
    "DECLARATIVE_POLICY_EC2": "ec2_attributes",
    "BACKUP_POLICY": "plans",
    "TAG_POLICY": "tags",
    "AISERVICES_OPT_OUT_POLICY": "services",
}


def effective_lines(config: LandingZoneConfig) -> list[str]:
    """The summary's compact view: the root's effective policies, then what differs per OU."""
    effective = effective_by_ou(config)
    if config.business_unit and config.core is not None:
        # The core's policies on its OU and above merge with this fork's, and
        # this config cannot see them: say so rather than print a view that
        # looks complete.
        lines = [
            "Organization policies this fork attaches (each OU's where it differs from its "
            f"parent's; the core's on {config.core.parent_ou_id} and above merge with them: "
            "see the core's summary):"
        ]
    else:
        lines = [
            "Organization policies in effect (the root's, then each OU's where it differs "
            "from its parent's):"
        ]
    for target, by_type in effective.items():
        parent = config.tree.path(target)[-2] if target != ROOT else None
        parts = []
        for policy_type, policy in by_type.items():
            body = policy.get(_TOP[policy_type], {})
            if not body or (parent is not None and effective[parent][policy_type] == policy):
                continue
            if policy_type == "BACKUP_POLICY":
                shown = ", ".join(
                    f"{name} ({'|'.join(plan.get('regions', []))})" for name, plan in body.items()
                )
            elif policy_type == "TAG_POLICY":
                shown = ", ".join(
                    f"{rule.get('tag_key', key)}"
                    + (f"={_compact(rule['tag_value'])}" if "tag_value" in rule else "")
                    for key, rule in body.items()
                )
            elif policy_type == "AISERVICES_OPT_OUT_POLICY":
                shown = ", ".join(f"{k}={v.get('opt_out_policy')}" for k, v in body.items())
            else:
                shown = ", ".join(
                    f"{_short(k)}={_compact(v)}"
                    for k, v in _leaves(body)
                    if k != "exception_message"
                )
            parts.append(f"{_NAMES[policy_type].lower()}: {shown}")
        if parts:
            lines.append(f"  {target}")
            lines.extend(f"    {part}" for part in parts)
    if len(lines) == 1:
        lines.append("  none")
    return lines


def organization_policies_markdown(config: LandingZoneConfig) -> str:
    """docs/organization-policies.md: every policy attached and each OU's effective policy."""
    out = [
        "# Organization policies",
        "",
        "<!-- Generated by `make docs` from config/example.yaml; do not edit. -->",
        "",
        "The management policies the example configuration attaches (`organization_policies`), "
        "and the effective policy of the root and of every OU as AWS Organizations merges them "
        "(inheritance operators: "
        "https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html). "
        "An effective policy shows values only; `lock: true` in the config adds "
        '`"@@operators_allowed_for_child_policies": ["@@none"]` to what it sets, and '
        "validation refuses a child policy that would change a locked setting. Every "
        "document is checked against the JSON Schema in `landing_zone/policy_schemas/` "
        "(written from the type's AWS syntax page, named in the schema) and its size quota.",
        "",
        "## Attached policies",
        "",
        "| Policy | Type | Target | Characters | Quota |",
        "|---|---|---|---|---|",
    ]
    for name, policy_type, target, content in management_policies(config):
        out.append(
            f"| `{name}` | {policy_type} | {target} | {len(content)} | {MAX_CHARS[policy_type]} |"
        )
    out += ["", "## Effective policy per target", ""]
    for target, by_type in effective_by_ou(config).items():
        out += [f"### {target}", ""]
        for policy_type, policy in by_type.items():
            if not policy:
                continue
            out += [
                f"{policy_type}:",
                "",
                "```json",
                json.dumps(policy, indent=2),
                "```",
                "",
            ]
    return "\n".join(out).rstrip("\n") + "\n"
