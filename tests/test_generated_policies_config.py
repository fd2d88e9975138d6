"""Generated configs over organization_policies, proactive_controls, remediation and
baseline.backup: refused clearly, or every policy valid, every lock kept, every danger warned.

``policy_configs()`` starts from the minimal fixture (one OU, ``payments``,
added under ``prod`` so locks cross three levels) and draws the four
sections field by field: legal values, the most harmful legal ones
(opting in to AI services, allowed images disabled, a compliance-mode
Vault Lock at AWS's extreme bounds, a playbook ``on``) and illegal ones
(out-of-range numbers, unknown keys, nested ``fail_on`` OUs, backup plans
where the baseline does not reach, retention outside the lock). Config
loading and the pure-Python policy builders only: no CDK synth.

Each example is one of:

- refused: a ``ConfigError`` whose every line is ``file:line: field: message``
  (never a traceback, never another exception). When every drawn value
  is well-formed, the refusal names each field an oracle below expects
  (written here from the rules, not from the checks), so dropping one of
  the section's checks from its ``CHECKS`` tuple fails the test;
- loaded: every management policy matches its type's JSON Schema and
  size quota, no OU's own policy writes under a setting a parent locked,
  each OU's effective policy keeps every locked value, and every
  dangerous-but-legal value drawn has its warning.

Two tests: one per theme (``THEMES``: the values one or two checks refuse,
drawn three times as often as legal ones, or malformed values), so every
check is reached whatever the seed; and one drawing legal values only, so
most examples load and the policy and warning invariants run often. About
3.5 s together (110 + 45 examples; YAML parsing is most of it).

Two checks are not caught when dropped, by design: ai_opt_out_says_something
(an empty opt-out policy also breaks its schema, refused at the same field)
and policies_valid_and_within_quotas (the models never let a legal value
build a document its schema refuses; it guards the builders, which the
loaded-config invariant here checks again).

Seeds: ``derandomize=True``, as tests/test_generated_configs.py explains.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from landing_zone.config import (
    DEFAULT_POLICY_TYPES,
    ConfigError,
    LandingZoneConfig,
    load_config_and_warnings,
)
from landing_zone.effective_policy import CHILD_CONTROL, VALUE_OPERATORS
from landing_zone.management_policies import (
    MAX_CHARS,
    documents_by_target,
    effective_by_ou,
    management_policies,
    schema_errors,
)
from landing_zone.remediation.playbooks import BY_KEY as PLAYBOOKS
from tests.test_generated_configs import FIELD
from tests.variants import MINIMAL

GOVERNED = ["eu-west-1", "eu-central-1"]
# The minimal fixture's OUs and the one added here; parent of each.
PARENTS: dict[str, str] = {
    "security": "root",
    "workloads": "root",
    "prod": "workloads",
    "sdlc": "workloads",
    "payments": "prod",
}
OUS = list(PARENTS)
TARGETS = ["root", *OUS]


def ancestry(key: str) -> list[str]:
    """``key`` and its parents up to root, nearest first."""
    chain = [key]
    while chain[-1] != "root":
        chain.append(PARENTS[chain[-1]])
    return chain


def below(target: str) -> list[str]:
    """The OUs ``target`` reaches: itself (unless root) and every OU under it."""
    return [ou for ou in OUS if target in ancestry(ou)]


@dataclass
class Drawn:
    """The config data and what the generator knows about it."""

    data: dict[str, Any]
    #: A value the section's model itself refuses (type, range, format, unknown key).
    malformed: list[str] = field(default_factory=list)


#: Values drawn together: each theme's (what one check or two refuse) are
#: drawn three times as often as legal ones; "malformed" draws values the
#: models themselves refuse (so the cross-field checks never run).
THEMES = (
    "schedule",
    "regions",
    "tags",
    "ai",
    "types",
    "sources",
    "lock",
    "vault",
    "target",
    "fail_on",
    "malformed",
)


class _Draw:
    """Draws one value: mostly legal, sometimes refused by a check, sometimes malformed."""

    def __init__(self, draw: st.DrawFn, drawn: Drawn, *, theme: str | None) -> None:
        self.draw = draw
        self.drawn = drawn
        self.theme = theme

    def __call__(
        self,
        legal: Sequence[Any],
        malformed: Sequence[Any] = (),
        *,
        theme: str | None = None,
        refused: Sequence[Any] = (),
        what: str = "",
    ) -> Any:
        choices = [(value, False) for value in legal] * 4
        if theme is not None and theme == self.theme:
            choices += [(value, False) for value in refused] * (12 * len(legal) // len(refused))
        if self.theme == "malformed":
            choices += [(value, True) for value in malformed] * 4
        value, bad = self.draw(st.sampled_from(choices))
        if bad:
            self.drawn.malformed.append(f"{what}={value!r}")
        return value


def _ec2(pick: _Draw) -> dict[str, Any]:
    ec2: dict[str, Any] = {
        "lock": pick([True, False]),
        "exception_message": pick([None, "Refused by the landing zone"], [""], what="message"),
        "serial_console_access": pick([None, "enabled", "disabled"], ["on"], what="serial"),
        "image_block_public_access": pick([None, "unblocked", "block_new_sharing"]),
        "snapshot_block_public_access": pick(
            [None, "unblocked", "block_new_sharing", "block_all_sharing"]
        ),
    }
    if pick([True, False]):
        ec2["vpc_block_public_access"] = {
            "mode": pick(["off", "block_ingress", "block_bidirectional"], ["block"], what="mode"),
            "exclusions_allowed": pick(["enabled", "disabled"]),
        }
    if pick([True, False]):
        ec2["allowed_images"] = {
            "state": pick(["enabled", "audit_mode", "disabled"], ["strict"], what="state"),
            "image_providers": pick(
                [["amazon"], ["amazon", "aws_backup_vault"], ["none"], ["123456789012"]],
                [[], ["amzn"], [123456789012]],
                what="providers",
            ),
        }
    if pick([True, False]):
        ec2["instance_metadata_defaults"] = {
            "http_tokens": pick([None, "no_preference", "required", "optional"]),
            "http_put_response_hop_limit": pick([None, -1, 1, 2, 64], [0, 65], what="hops"),
            "http_endpoint": pick([None, "enabled", "disabled"]),
            "instance_metadata_tags": pick([None, "no_preference", "disabled"]),
        }
    return ec2


def _backup(pick: _Draw) -> dict[str, Any]:
    def rule() -> dict[str, Any]:
        return {
            "schedule": pick(
                ["cron(0 5 ? * * *)", "cron(0 * ? * * *)"],
                ["rate(1 day)"],
                theme="schedule",
                refused=["cron(0 5 * *)"],
                what="schedule",
            ),
            "delete_after_days": pick([1, 7, 35, 400, 36500], [0], what="days"),
            "copy_to_region": pick([None, None, *GOVERNED], theme="regions", refused=["us-east-1"]),
            "copy_delete_after_days": pick([None, None, 1, 90, 36500]),
        }

    plans = {
        plan: {
            "tag_value": plan,
            "regions": pick(
                [None, GOVERNED, GOVERNED[:1]], theme="regions", refused=[["us-east-1"]]
            ),
            "rules": {rule_key: rule() for rule_key in pick([["daily"], ["daily", "hourly"]])},
        }
        for plan in pick([["standard"], ["standard", "critical"], ["critical"]], [[]], what="plans")
    }
    return {"lock": pick([True, False]), "plans": plans}


def _tags(pick: _Draw) -> dict[str, Any]:
    tags: dict[str, Any] = {}
    for tag_key in pick([["owner"], ["owner", "environment"], ["CostCenter"], ["costcenter"]]):
        tags[tag_key] = {
            "key": pick([None, tag_key, tag_key.upper()], theme="tags", refused=["team"]),
            "values": pick([None, ["a", "b"], ["prod"]]),
            "enforced_for": pick(
                [None, ["s3:bucket"], ["ec2:ALL_SUPPORTED"]], theme="tags", refused=[["bucket"]]
            ),
            "lock": pick([True, False]),
        }
    return tags


def _ai(pick: _Draw) -> dict[str, Any]:
    default = pick(["optOut", "optIn"], ["optout"], theme="ai", refused=[None], what="default")
    return {
        "default": default,
        "services": {
            service: pick(["optOut", "optIn"])
            for service in pick(
                [["rekognition"], ["lex", "comprehend"], *([[]] if default else [])],
                [["Lex"]],
                theme="ai",
                refused=[[]],
                what="service",
            )
        },
        "lock": pick([True, False]),
    }


@st.composite
def policy_configs(draw: st.DrawFn, *, theme: str | None = None) -> Drawn:
    """The minimal fixture with the four sections drawn; legal but for ``theme``'s values."""
    data: dict[str, Any] = copy.deepcopy(_minimal())
    drawn = Drawn(data)
    pick = _Draw(draw, drawn, theme=theme)
    data["organizational_units"]["workloads"]["children"]["prod"]["children"] = {
        "payments": {"name": "Payments"}
    }
    data["guardrails"] = {"attachments": {"root": pick([["core"], []])}}
    # Now and then one management type left disabled.
    dropped = pick(
        [None], theme="types", refused=["BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY", "TAG_POLICY"]
    )
    data["organization_features"] = {
        "policy_types": [t for t in DEFAULT_POLICY_TYPES if t != dropped]
    }
    data["detection"] = {
        "guardduty": {"enabled": pick([True], theme="sources", refused=[False])},
        "security_hub": {"enabled": pick([True], theme="sources", refused=[False])},
    }
    # Baseline targets are well-formed here (tests/test_generated_configs.py
    # draws them): root, or top-level OUs, or an inner one.
    targets = pick([["root"], ["root"], ["workloads"], ["security", "workloads"], ["prod"]])

    def vault_lock(mode: str, low: int, high: int | None, grace: int | None) -> dict[str, Any]:
        keys = ("mode", "min_retention_days", "max_retention_days", "changeable_for_days")
        return dict(zip(keys, (mode, low, high, grace), strict=True))

    # Whole locks, so each theme value is drawn as often as a legal one:
    # AWS's extreme bounds (legal), and what the checks refuse.
    lock = pick(
        [
            None,
            vault_lock("governance", 1, None, None),
            vault_lock("governance", 7, 400, None),
            vault_lock("compliance", 30, 36500, 3),
            vault_lock("compliance", 36500, 36500, 36500),
            vault_lock("compliance", 1, 1, 3),
        ],
        [
            vault_lock("legal-hold", 7, None, None),
            vault_lock("governance", 0, None, None),
            vault_lock("governance", 1, 36501, None),
            vault_lock("compliance", 1, None, 2),
        ],
        theme="lock",
        refused=[
            vault_lock("governance", 36500, 400, None),
            vault_lock("compliance", 30, 1, 3),
            vault_lock("compliance", 7, None, None),
            vault_lock("governance", 7, None, 3),
        ],
        what="vault lock",
    )
    data["baseline"] = {
        "targets": targets,
        "backup": {"enabled": pick([True], theme="vault", refused=[False]), "vault_lock": lock},
    }
    policies: dict[str, Any] = {}
    makers = {"ec2": _ec2, "backup": _backup, "tags": _tags, "ai_opt_out": _ai}
    # The policy a theme's refused values live in, on at least one target.
    needed = {"schedule": "backup", "regions": "backup", "lock": "backup", "vault": "backup"}
    needed |= {"tags": "tags", "ai": "ai_opt_out"}
    for index, target in enumerate(
        draw(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3, unique=True))
    ):
        chosen = draw(
            st.lists(st.sampled_from(sorted(makers)), min_size=1, max_size=4, unique=True)
        )
        if index == 0 and pick.theme in needed and needed[pick.theme] not in chosen:
            chosen.append(needed[pick.theme])
        policies[target] = {name: makers[name](pick) for name in chosen}
    if pick([False], theme="target", refused=[True]):
        policies["workload"] = {"ai_opt_out": _ai(pick)}
    data["organization_policies"] = policies
    fail_on = pick(
        [[], ["prod"], ["payments"], ["security", "sdlc"]],
        theme="fail_on",
        refused=[
            # Nested (three ways), repeated, unknown, unreached by baseline [prod].
            ["workloads", "payments"],
            ["payments", "prod"],
            ["prod", "payments"],
            ["prod", "prod"],
            ["payment"],
            ["prod", "sdlc"],
        ],
    )
    # A second hook in FAIL mode needs the first on, in WARN mode.
    hook = [True] if fail_on else [True, True, False]
    data["proactive_controls"] = {
        "enabled": pick(hook, theme="fail_on", refused=[False]),
        "failure_mode": pick(
            ["WARN"] if fail_on else ["WARN", "FAIL"],
            ["BLOCK"],
            theme="fail_on",
            refused=["FAIL"],
            what="mode",
        ),
        "fail_on": fail_on,
    }
    data["remediation"] = {
        "enabled": pick([True, False], theme="sources", refused=[True]),
        "playbooks": {
            key: pick(["off", "dry-run", "on"], ["yes"], what="playbook")
            for key in draw(st.lists(st.sampled_from(sorted(PLAYBOOKS)), max_size=3, unique=True))
        },
    }
    return drawn


_MINIMAL: dict[str, Any] = {}
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _minimal() -> dict[str, Any]:
    if not _MINIMAL:
        _MINIMAL.update(yaml.safe_load(MINIMAL.read_text()))
    return _MINIMAL


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


# ---- oracles, from the rules as AWS and the docs state them ---------------------------


def expected_refusals(data: dict[str, Any]) -> set[str]:
    """Dotted fields a well-formed ``data`` must be refused at (each rule written anew here)."""
    fields: set[str] = set()
    baseline = data["baseline"]
    targets = baseline["targets"]
    reached = {ou for target in targets for ou in (OUS if target == "root" else below(target))}
    lock = baseline["backup"]["vault_lock"]
    if lock is not None:
        low, high = lock["min_retention_days"], lock["max_retention_days"]
        if high is not None and low > high:
            fields.add("baseline.backup.vault_lock.min_retention_days")
        if (lock["mode"] == "compliance") != (lock["changeable_for_days"] is not None):
            fields.add("baseline.backup.vault_lock.changeable_for_days")
    enabled_types = set(data["organization_features"]["policy_types"])
    type_of = {
        "ec2": "DECLARATIVE_POLICY_EC2",
        "backup": "BACKUP_POLICY",
        "tags": "TAG_POLICY",
        "ai_opt_out": "AISERVICES_OPT_OUT_POLICY",
    }
    for target, policies in data["organization_policies"].items():
        if target not in TARGETS:
            fields.add(f"organization_policies.{target}")
            continue
        if any(type_of[name] not in enabled_types for name in policies):
            fields.add("organization_features.policy_types")
        for tag_key, rule in (policies.get("tags") or {}).items():
            where = f"organization_policies.{target}.tags.{tag_key}"
            if rule["key"] is not None and rule["key"].lower() != tag_key.lower():
                fields.add(f"{where}.key")
            for index, entry in enumerate(rule["enforced_for"] or ()):
                if ":" not in entry:
                    fields.add(f"{where}.enforced_for[{index}]")
        ai = policies.get("ai_opt_out")
        if ai is not None and ai["default"] is None and not ai["services"]:
            fields.add(f"organization_policies.{target}.ai_opt_out")
        backup = policies.get("backup")
        if backup is None:
            continue
        # A plan's jobs need the baseline's vault in every account below its target.
        if (
            not baseline["backup"]["enabled"]
            or not set(below(target) if target != "root" else OUS) <= reached
        ):
            fields.add(f"organization_policies.{target}.backup")
        for plan_key, plan in backup["plans"].items():
            for index, region in enumerate(plan["regions"] or ()):
                if region not in GOVERNED:
                    fields.add(
                        f"organization_policies.{target}.backup.plans.{plan_key}.regions[{index}]"
                    )
            for rule_key, rule in plan["rules"].items():
                where = f"organization_policies.{target}.backup.plans.{plan_key}.rules.{rule_key}"
                if len(rule["schedule"][len("cron(") : -1].split()) != 6:
                    fields.add(f"{where}.schedule")
                if rule["copy_to_region"] not in (None, *GOVERNED):
                    fields.add(f"{where}.copy_to_region")
                if rule["copy_to_region"] is not None and (plan["regions"] or GOVERNED) == [
                    rule["copy_to_region"]
                ]:
                    fields.add(f"{where}.copy_to_region")
                retention = {"delete_after_days": rule["delete_after_days"]}
                if rule["copy_to_region"] is not None:
                    retention["copy_delete_after_days"] = rule["copy_delete_after_days"]
                for name, days in retention.items():
                    if lock is not None and days is not None:
                        low, high = lock["min_retention_days"], lock["max_retention_days"]
                        if days < low or (high is not None and days > high):
                            fields.add(f"{where}.{name}")
    proactive = data["proactive_controls"]
    fail_on = proactive["fail_on"]
    if fail_on and (proactive["failure_mode"] == "FAIL" or not proactive["enabled"]):
        fields.add("proactive_controls.fail_on")
    for index, key in enumerate(fail_on):
        if key in fail_on[:index]:
            continue  # a repeat: its own problem, at its own index
        if key not in PARENTS:
            fields.add(f"proactive_controls.fail_on[{index}]")
            continue
        if key not in reached:
            fields.add(f"proactive_controls.fail_on[{index}]")
        if any(other in ancestry(key)[1:] for other in fail_on if other in PARENTS):
            fields.add(f"proactive_controls.fail_on[{index}]")
    remediation = data["remediation"]
    sources = {
        "guardduty": data["detection"]["guardduty"]["enabled"],
        "securityhub": data["detection"]["security_hub"]["enabled"],
        "health": True,
    }
    if remediation["enabled"]:
        for key, playbook in PLAYBOOKS.items():
            mode = remediation["playbooks"].get(key, playbook.default_mode)
            if mode != "off" and not sources[playbook.source]:
                fields.add(f"remediation.playbooks.{key}")
    return fields


#: EC2 declarative values that open a setting up, by their path in the section.
EC2_OPENING = {
    ("serial_console_access",): "enabled",
    ("image_block_public_access",): "unblocked",
    ("snapshot_block_public_access",): "unblocked",
    ("allowed_images", "state"): "disabled",
    ("instance_metadata_defaults", "http_tokens"): "optional",
    ("vpc_block_public_access", "exclusions_allowed"): "enabled",
}


def expected_warnings(data: dict[str, Any]) -> set[str]:
    """Dotted fields a loaded ``data`` must be warned about."""
    fields: set[str] = set()
    for target, policies in data["organization_policies"].items():
        ai = policies.get("ai_opt_out") or {"services": {}}
        if ai.get("default") == "optIn":
            fields.add(f"organization_policies.{target}.ai_opt_out.default")
        for service, choice in ai["services"].items():
            if choice == "optIn":
                fields.add(f"organization_policies.{target}.ai_opt_out.services.{service}")
        for path, value in EC2_OPENING.items():
            node: Any = policies.get("ec2")
            for name in path:
                node = node.get(name) if isinstance(node, dict) else None
            if node == value:
                fields.add(f"organization_policies.{target}.ec2.{'.'.join(path)}")
    backup = data["baseline"]["backup"]
    if backup["enabled"] and (backup["vault_lock"] or {}).get("mode") == "compliance":
        fields.add("baseline.backup.vault_lock.mode")
    remediation = data["remediation"]
    if remediation["enabled"]:
        for key, mode in remediation["playbooks"].items():
            if mode == "on" and PLAYBOOKS[key].writes:
                fields.add(f"remediation.playbooks.{key}")
    return fields


def locked_paths(document: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path where ``document`` forbids child policies any operator."""
    if not isinstance(document, dict):
        return []
    found = [path] if document.get(CHILD_CONTROL) == ["@@none"] else []
    for key, value in document.items():
        if key not in VALUE_OPERATORS and key != CHILD_CONTROL:
            found += locked_paths(value, (*path, key))
    return found


def writes_under(document: Any, path: tuple[str, ...]) -> bool:
    """Whether ``document`` sets anything (an operator or a bare value) at or under ``path``."""
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return False
        document = document[key]
    return _sets_something(document)


def _sets_something(node: Any) -> bool:
    if not isinstance(node, dict):
        return True
    return any(
        key in VALUE_OPERATORS or (key != CHILD_CONTROL and _sets_something(value))
        for key, value in node.items()
    )


def at(policy: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        policy = policy.get(key) if isinstance(policy, dict) else None
    return policy


def policy_problems(config: LandingZoneConfig) -> list[str]:
    """How the loaded config's policies break a schema, a quota or a parent's lock."""
    problems = []
    for name, policy_type, _, content in management_policies(config):
        errors = schema_errors(policy_type, json.loads(content))
        problems += [f"{name}: {path}: {message}" for path, message in errors]
        if len(content) > MAX_CHARS[policy_type]:
            problems.append(f"{name}: {len(content)} characters")
    by_target = documents_by_target(config)
    effective = effective_by_ou(config)
    for target, documents in by_target.items():
        for policy_type, document in documents.items():
            for path in locked_paths(document):
                locked_value = at(effective[target][policy_type], path)
                for ou in below(target):
                    if ou == target:
                        continue
                    own = by_target.get(ou, {}).get(policy_type)
                    if own is not None and writes_under(own, path):
                        problems.append(f"{ou} writes {'.'.join(path)}, locked at {target}")
                    if at(effective[ou][policy_type], path) != locked_value:
                        problems.append(f"{ou}'s effective {'.'.join(path)} differs from {target}")
    return problems


# ---- the properties ---------------------------------------------------------------------


def _field_of(line: str, path: Path, *, warning: bool = False) -> str:
    head = "warning: " if warning else ""
    match = re.match(rf"{head}{re.escape(str(path))}:\d+: ({FIELD}): \S", line)
    assert match, line
    return match.group(1)


SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def loaded_or_refused(drawn: Drawn) -> None:
    """Refused in the CLI's form at every field an oracle expects, or loaded with invariants."""
    data = _without_nulls(drawn.data)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "generated.yaml"
        # libyaml's emitter where PyYAML has it: the pure-Python one costs
        # as much as the whole load.
        path.write_text(yaml.dump(data, Dumper=_DUMPER, sort_keys=False))
        try:
            config, warnings = load_config_and_warnings(path)
        except ConfigError as error:
            refusal = error.lines
        else:
            refusal = None
    if refusal is not None:
        refused = {_field_of(line, path) for line in refusal}
        if drawn.malformed:
            event("malformed, refused")
            return
        event("refused")
        missing = {
            expected
            for expected in expected_refusals(drawn.data)
            if not any(f == expected or f.startswith(f"{expected}.") for f in refused)
        }
        assert not missing, (missing, refusal)
        return
    assert not drawn.malformed, drawn.malformed
    assert expected_refusals(drawn.data) == set(), expected_refusals(drawn.data)
    event("loaded")
    assert policy_problems(config) == []
    warned = {_field_of(line, path, warning=True) for line in warnings}
    assert expected_warnings(drawn.data) <= warned, warnings
    for name in expected_warnings(drawn.data):
        event(f"warned: {name.split('.')[0]}")


@pytest.mark.parametrize("theme", THEMES)
@settings(SETTINGS, max_examples=9)
@given(data=st.data())
def test_a_generated_policy_config_is_refused_at_each_broken_field(
    theme: str, data: st.DataObject
) -> None:
    """One theme's refused values, three times as often as legal ones."""
    loaded_or_refused(data.draw(policy_configs(theme=theme)))


@settings(SETTINGS, max_examples=45)
@given(drawn=policy_configs())
def test_a_generated_legal_policy_config_keeps_every_lock_and_warns_every_danger(
    drawn: Drawn,
) -> None:
    """No refused value drawn: most load, so the policy and warning invariants run often."""
    loaded_or_refused(drawn)


@pytest.mark.parametrize(
    ("hops", "wanted"),
    [
        (0, "0 is not allowed: input should be -1, or input should be greater than or equal to 1"),
        (65, "65 is not allowed: input should be -1, or input should be less than or equal to 64"),
    ],
)
def test_a_value_no_branch_of_a_union_accepts_is_one_line_at_its_field(
    tmp_path: Path, hops: int, wanted: str
) -> None:
    """Found by the generator: pydantic named each union branch as a field of its own
    (``http_put_response_hop_limit.literal[-1]``, ``....constrained-int``), two lines."""
    data = copy.deepcopy(_minimal())
    imds = {"http_put_response_hop_limit": hops}
    data["organization_policies"] = {"security": {"ec2": {"instance_metadata_defaults": imds}}}
    path = tmp_path / "hops.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as raised:
        load_config_and_warnings(path)
    (line,) = raised.value.lines
    field_name = "organization_policies.security.ec2.instance_metadata_defaults"
    assert _field_of(line, path) == f"{field_name}.http_put_response_hop_limit"
    assert wanted in line
