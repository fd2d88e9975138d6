"""The catalog, the packs and the packer: quotas, merging, determinism, readable errors."""

from __future__ import annotations

import json
import random
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from landing_zone.cli import DOCS_PATH
from landing_zone.cli import main as cli_main
from landing_zone.config import LandingZoneConfig, guardrail_inputs, load_config
from landing_zone.config.guardrails import ec2_instance_types
from landing_zone.config.types import known_regions, partition_of
from landing_zone.guardrails.catalog import BY_ID as GUARDRAILS_BY_ID
from landing_zone.guardrails.catalog import GUARDRAILS
from landing_zone.guardrails.docs import CONTROL_TOWER, guardrails_markdown
from landing_zone.guardrails.evaluate import FULL_ACCESS, Request, evaluate, listed
from landing_zone.guardrails.model import PolicyKind, render
from landing_zone.guardrails.packer import (
    KINDS,
    POLICY_TYPE,
    GuardrailBudgetError,
    GuardrailPlan,
    plan_guardrails,
)
from landing_zone.guardrails.packs import BY_ID as PACKS_BY_ID
from landing_zone.guardrails.packs import PACKS
from tests.conftest import EXAMPLE, ROOT
from tests.variants import minimal_variant

CONFIG = load_config(EXAMPLE)
PLAN = plan_guardrails(CONFIG)

OVER_BUDGET = """
guardrails:
  attachments:
    root: [core, region-deny]
  quotas:
    scp_max_chars: 4000
    scp_max_per_target: 4
    scp_reserved_per_target: 2
"""


def test_ids_are_stable_kebab_case_and_unique() -> None:
    ids = [g.id for g in GUARDRAILS]
    assert len(ids) == len(set(ids))
    assert all(i == i.lower() and " " not in i and "_" not in i for i in ids)
    sids = [s.sid for g in GUARDRAILS for s in g.statements(guardrail_inputs(CONFIG))]
    assert len(sids) == len(set(sids)), "Sids must be unique across the catalog"


def test_every_pack_names_existing_guardrails_and_every_guardrail_is_in_a_pack() -> None:
    known = {g.id for g in GUARDRAILS}
    in_packs = {g for p in PACKS for g in p.guardrails}
    assert in_packs <= known
    assert known == in_packs


def test_every_guardrail_is_documented_and_mapped_to_a_control() -> None:
    for guardrail in GUARDRAILS:
        assert guardrail.enforces, guardrail.id
        assert guardrail.rationale, guardrail.id
        controls = guardrail.controls
        assert controls.control_tower or controls.cis or controls.well_architected, guardrail.id


def test_every_mapped_control_tower_id_is_in_the_coverage_table() -> None:
    listed = {row[0] for row in CONTROL_TOWER}
    mapped = {c for g in GUARDRAILS for c in g.controls.control_tower}
    assert mapped <= listed
    uncovered = [row[0] for row in CONTROL_TOWER if row[0] not in mapped and not row[3]]
    assert uncovered == [], "each control needs a guardrail or a coverage note"


def test_every_policy_fits_its_size_quota_and_is_minified_json() -> None:
    quotas = CONFIG.guardrails.quotas
    for policy in PLAN.policies:
        limit = quotas.scp_max_chars if policy.kind == "scp" else quotas.rcp_max_chars
        assert policy.size <= limit, policy.name
        assert policy.content == json.dumps(json.loads(policy.content), separators=(",", ":"))


def test_every_target_stays_within_its_attachment_quota() -> None:
    for budget in PLAN.budgets:
        assert 1 <= len(budget.policies) <= budget.slots, budget.target
    # FullAWSAccess + 2 reserved for Control Tower leave 7 SCP slots; RCPFullAWSAccess leaves 4.
    assert {(b.kind, b.slots) for b in PLAN.budgets} == {("scp", 7), ("rcp", 4)}


def test_policy_names_derive_from_target_kind_and_number() -> None:
    names = [p.name for p in PLAN.policies]
    assert "Acme-root-scp-1" in names
    assert "Acme-root-rcp-1" in names
    assert "Acme-payments-prod-scp-1" in names
    assert len(names) == len(set(names))


def test_guardrails_inherited_from_a_parent_are_not_attached_again() -> None:
    prod = next(b for b in PLAN.budgets if b.target == "prod")
    assert "require-imdsv2" not in prod.policies[0].guardrails  # workloads already has it
    assert prod.policies[0].guardrails == ("deny-external-resource-shares",)


def root_statements() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The root SCPs' statements as packed, and every statement of their guardrails unpacked.

    Packing may split a guardrail's statements over several policies, so
    both sides take all of the root's SCPs.
    """
    inputs = guardrail_inputs(CONFIG)
    root = next(b for b in PLAN.budgets if b.target == "root" and b.kind == "scp")
    packed = [s for p in root.policies for s in json.loads(p.content)["Statement"]]
    names = {g for p in root.policies for g in p.guardrails}
    unpacked = [
        render(s, kind="scp", inputs=inputs)
        for g in GUARDRAILS
        if g.id in names
        for s in g.statements(inputs)
    ]
    return packed, unpacked


def test_statements_with_the_same_resources_and_condition_are_merged() -> None:
    packed, unpacked = root_statements()
    assert len(packed) < len(unpacked)
    merged = [s for s in packed if "More" in s["Sid"]]
    assert merged, "the unconditioned Resource '*' statements should have merged"


def test_merging_changes_no_decision() -> None:
    """Evaluating the unmerged statements and the packed policies gives the same answers."""
    packed_statements, unpacked = root_statements()
    unmerged = {"Statement": unpacked}
    packed = {"Statement": packed_statements}
    actions = sorted(
        {
            a
            for s in unmerged["Statement"]
            for a in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
        }
    )
    assert len(actions) > 100
    for action in actions:
        for principal in (
            "arn:aws:iam::222222222222:role/Dev",
            "arn:aws:iam::222222222222:role/Acme-BreakGlass-Primary",
        ):
            request = Request(
                action, "*", {"aws:PrincipalArn": principal, "aws:RequestedRegion": "eu-west-1"}
            )
            assert evaluate([[unmerged]], request) == evaluate([[packed]], request), action


def test_packing_is_deterministic() -> None:
    assert plan_guardrails(load_config(EXAMPLE)) == PLAN


def test_more_statements_than_one_policy_holds_spill_into_more_policies(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [core, region-deny]\n"
            "  quotas:\n    scp_max_chars: 4000\n"
        ),
    )
    plan = plan_guardrails(load_config(path))
    root = [p for p in plan.policies if p.target == "root"]
    assert len(root) >= 2
    assert all(p.size <= 4000 for p in root)


def test_over_budget_config_fails_naming_target_numbers_and_fix(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, append=OVER_BUDGET)
    with pytest.raises(GuardrailBudgetError) as raised:
        plan_guardrails(load_config(path))
    (message,) = raised.value.lines
    assert message.startswith("SCP packs for the root need ")
    assert (
        "policies; the quota is 4 (1 taken by FullAWSAccess, 2 reserved), leaving 1 for guardrails"
        in message
    )
    assert "Move packs to a parent OU" in message
    assert "guardrails.quotas.scp_max_per_target" in message
    assert "guardrails.quotas.scp_reserved_per_target" in message


def test_oversized_single_statement_is_reported(tmp_path: Path) -> None:
    # Real types: validation refuses one that matches no EC2 instance type.
    types = "\n".join(f"    - '{t}'" for t in sorted(ec2_instance_types())[:1000])
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [core, sandbox]\n"
            f"  sandbox_instance_types:\n{types}\n"
        ),
    )
    with pytest.raises(GuardrailBudgetError) as raised:
        plan_guardrails(load_config(path))
    assert any(
        "a statement of sandbox-instance-types is" in line
        and "over the SCP size quota of 10240" in line
        for line in raised.value.lines
    )


def test_validate_command_exits_2_on_over_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = minimal_variant(tmp_path, append=OVER_BUDGET)
    assert cli_main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"guardrail error: {path}:\n  - SCP packs for the root need")
    assert "Traceback" not in captured.err


def test_docs_are_generated_from_the_catalog_and_not_stale() -> None:
    expected = guardrails_markdown(CONFIG, PLAN)
    assert (ROOT / DOCS_PATH).read_text() == expected, (
        "run `make docs` and commit docs/guardrails.md"
    )
    for guardrail in GUARDRAILS:
        assert f"### `{guardrail.id}`" in expected
    for control, *_ in CONTROL_TOWER:
        assert f"| {control} |" in expected


def test_trusted_external_accounts_pass_the_data_perimeter_and_no_one_else(
    tmp_path: Path,
) -> None:
    path = minimal_variant(
        tmp_path,
        append=(
            "guardrails:\n  attachments:\n    root: [data-perimeter]\n"
            "  trusted_external_accounts: ['333333333333']\n"
        ),
    )
    (policy,) = plan_guardrails(load_config(path)).policies
    document = json.loads(policy.content)

    def decision(account: str) -> str:
        context = {
            "aws:PrincipalAccount": account,
            "aws:PrincipalOrgID": "o-someoneelse",
            "aws:PrincipalIsAWSService": "false",
            "aws:SecureTransport": "true",
        }
        return evaluate(
            [[document, FULL_ACCESS["RESOURCE_CONTROL_POLICY"]]],
            Request("sts:AssumeRole", "*", context),
        )

    assert decision("333333333333") == "allow"
    assert decision("444444444444") == "deny"


# ---- property: any legal quotas and guardrail set ------------------------------------------
#
# Random packs on random targets of the example tree, random privileged
# principals, governed regions and sandbox instance types, and quotas across
# their whole legal range. Each plan either fits every quota exactly and
# decides every sampled request as the unpacked statements do, or fails with
# the packer's own message. A random quota rarely lands where the size
# accounting matters (a policy within a character of the quota), so each
# plan is packed again with the quota set to its policies' sizes and one
# less.

TARGETS = tuple(CONFIG.tree.paths())
REGIONS = tuple(sorted(r for r in known_regions() if partition_of(r) == "aws"))
# Actions no statement names, so NotAction statements and misses get asked too.
OTHER_ACTIONS = ("sts:GetCallerIdentity", "s3:GetObject", "ec2:RunInstances", "iam:CreateRole")
WILDCARD_FILLS = ("x", "Acme-1", "acme-log-archive-123", "123456789012")
INSTANCE_FAMILIES = ("t3", "t3a", "t4g", "m7g", "m7i", "c7g", "r7i", "p5", "g6", "x2iedn")
# IAM role names: alphanumerics and +=,.@_-
# See: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
ROLE_NAME_CHARACTERS = string.ascii_letters + string.digits + "+=,.@_-"
NOT_PRIVILEGED = "arn:aws:iam::222222222222:role/Dev"
SIZE = re.compile(r"is (\d+) characters on its own, over the (SCP|RCP) size quota of (\d+)\. ")
SLOTS = re.compile(
    r"^(SCP|RCP) packs for .+ need (\d+) policies; the quota is (\d+) \(1 taken by \w+, "
    r"(\d+) reserved\), leaving (\d+) for guardrails\. "
)


def size_quotas(largest: int) -> st.SearchStrategy[int]:
    """The legal range, leaning to quotas above the catalog's largest statement (about 2,000
    characters with a long privileged list), where plans exist to check."""
    return st.integers(1000, largest) | st.integers(2500, largest)


@st.composite
def guardrail_configs(draw: st.DrawFn) -> LandingZoneConfig:
    """The example config with random guardrails, principals, regions and quotas."""
    attachments = draw(
        st.dictionaries(
            st.sampled_from(TARGETS),
            st.lists(
                st.sampled_from(tuple(p.id for p in PACKS)), min_size=1, max_size=4, unique=True
            ),
            min_size=1,
        )
    )
    instance_types = draw(
        st.lists(
            st.builds(
                "{}.{}".format,
                st.sampled_from(INSTANCE_FAMILIES),
                st.sampled_from(("*", "nano", "micro", "large", "xlarge", "12xlarge", "metal")),
            ),
            min_size=1,
            max_size=30,
            unique=True,
        )
    )
    arns = draw(
        st.lists(
            st.builds(
                "arn:aws:iam::{}:role/{}{}".format,
                st.sampled_from(("*", "123456789012")),
                st.text(ROLE_NAME_CHARACTERS, min_size=1, max_size=30),
                st.sampled_from(("", "*")),
            ),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    governed = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=12, unique=True))
    scp_max, rcp_max = draw(st.integers(2, 10)), draw(st.integers(2, 5))
    quotas = CONFIG.guardrails.quotas.model_copy(
        update={
            "scp_max_chars": draw(size_quotas(10240)),
            "rcp_max_chars": draw(size_quotas(5120)),
            "scp_max_per_target": scp_max,
            "rcp_max_per_target": rcp_max,
            "scp_reserved_per_target": draw(st.integers(0, min(2, scp_max - 2))),
            "rcp_reserved_per_target": draw(st.integers(0, rcp_max - 2)),
        }
    )
    principal = next(iter(CONFIG.privileged_principals.values()))
    return CONFIG.model_copy(
        update={
            "guardrails": CONFIG.guardrails.model_copy(
                update={
                    "attachments": attachments,
                    "sandbox_instance_types": instance_types,
                    "quotas": quotas,
                }
            ),
            "regions": CONFIG.regions.model_copy(
                update={"home": governed[0], "governed": sorted(governed)}
            ),
            "privileged_principals": {
                f"p{i}": principal.model_copy(update={"arn": arn}) for i, arn in enumerate(arns)
            },
        }
    )


def with_size_quota(
    config: LandingZoneConfig, *, kind: PolicyKind, max_chars: int
) -> LandingZoneConfig:
    quotas = config.guardrails.quotas.model_copy(update={f"{kind}_max_chars": max_chars})
    return config.model_copy(
        update={"guardrails": config.guardrails.model_copy(update={"quotas": quotas})}
    )


def plan_within_quotas(config: LandingZoneConfig) -> GuardrailPlan | None:
    """The plan, checked against every quota; None when the packer refused with its message."""
    quotas = config.guardrails.quotas
    refusal: list[str] = []
    try:
        plan = plan_guardrails(config)
    except GuardrailBudgetError as error:
        refusal = error.lines
    for line in refusal:
        if (size := SIZE.search(line)) is not None:
            chars, kind, quota = int(size[1]), size[2].lower(), int(size[3])
            assert quota == getattr(quotas, f"{kind}_max_chars")
            assert chars > quota, line
        else:
            slots = SLOTS.match(line)
            assert slots is not None, line
            kind = slots[1].lower()
            need, maximum, reserved, left = map(int, slots.groups()[1:])
            assert maximum == getattr(quotas, f"{kind}_max_per_target")
            assert reserved == getattr(quotas, f"{kind}_reserved_per_target")
            assert left == maximum - 1 - reserved < need, line
    if refusal:
        return None
    for budget in plan.budgets:
        maximum = getattr(quotas, f"{budget.kind}_max_per_target")
        reserved = getattr(quotas, f"{budget.kind}_reserved_per_target")
        assert 1 <= len(budget.policies) <= maximum - 1 - reserved, budget.target
        for policy in budget.policies:
            assert len(policy.content) <= getattr(quotas, f"{policy.kind}_max_chars"), policy.name
            document = json.loads(policy.content)
            assert policy.content == json.dumps(document, separators=(",", ":")), policy.name
            assert document["Version"] == "2012-10-17"
    return plan


def unpacked_statements(
    config: LandingZoneConfig, *, target: str, kind: PolicyKind
) -> list[dict[str, object]]:
    """Every statement of every pack attached to ``target`` itself, rendered, nothing merged."""
    inputs = guardrail_inputs(config)
    return [
        render(statement, kind=kind, inputs=inputs)
        for pack in config.guardrails.attachments.get(target, ())
        for guardrail in PACKS_BY_ID[pack].guardrails
        if GUARDRAILS_BY_ID[guardrail].kind == kind
        for statement in GUARDRAILS_BY_ID[guardrail].statements(inputs)
    ]


def _filled(pattern: str, rng: random.Random) -> str:
    return "".join(
        rng.choice(WILDCARD_FILLS) if c == "*" else "q" if c == "?" else c for c in pattern
    )


def sample_requests(
    statements: list[dict[str, object]], *, rng: random.Random, count: int
) -> list[Request]:
    """Requests made of the statements' own actions, resources and condition values."""
    keys: dict[str, tuple[bool, set[str]]] = {
        "aws:PrincipalArn": (False, {NOT_PRIVILEGED}),
    }
    for statement in statements:
        for operator, conditions in statement.get("Condition", {}).items():
            for key, values in conditions.items():
                multi, seen = keys.setdefault(key, (False, set()))
                seen.update(listed(values))
                # Bool reads only "true" and "false": another value is a malformed request.
                typed = operator.removesuffix("IfExists") == "Bool"
                seen.update(("true", "false") if typed else ("true", "false", "other"))
                keys[key] = (multi or operator.startswith("For"), seen)
    requests = []
    for _ in range(count):
        statement = rng.choice(statements)
        actions = listed(statement.get("Action", statement.get("NotAction")))
        action = rng.choice(OTHER_ACTIONS) if rng.random() < 0.2 else rng.choice(actions)
        resources = listed(statement["Resource"])
        resource = "*" if rng.random() < 0.2 else rng.choice(resources)
        context: dict[str, str | tuple[str, ...]] = {}
        for key, (multi, candidates) in keys.items():
            if rng.random() < 0.3:
                continue
            value = _filled(rng.choice(sorted(candidates)), rng)
            context[key] = (value,) if multi else value
        requests.append(Request(_filled(action, rng), _filled(resource, rng), context))
    return requests


def assert_same_decisions(
    config: LandingZoneConfig, plan: GuardrailPlan, *, rng: random.Random
) -> None:
    """Along each attached target's path, packed and unpacked decide every request alike."""
    paths = config.tree.paths()
    for kind in KINDS:
        full_access = FULL_ACCESS[POLICY_TYPE[kind]]
        unpacked = {t: unpacked_statements(config, target=t, kind=kind) for t in paths}
        everything = [s for statements in unpacked.values() for s in statements]
        if not everything:
            continue
        packed = {
            t: [json.loads(p.content) for p in plan.policies if p.target == t and p.kind == kind]
            for t in paths
        }
        targets = [t for t in config.guardrails.attachments if unpacked[t]]
        for request in sample_requests(everything, rng=rng, count=20):
            for target in targets:
                path = paths[target]
                before = [[{"Statement": unpacked[t]}, full_access] for t in path]
                after = [[*packed[t], full_access] for t in path]
                assert evaluate(before, request) == evaluate(after, request), (target, request)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(config=guardrail_configs(), seed=st.integers(0, 2**32))
def test_any_guardrail_set_packs_within_quota_or_fails_clearly(
    config: LandingZoneConfig, seed: int
) -> None:
    plan = plan_within_quotas(config)
    event("packed" if plan is not None else "refused")
    if plan is None:
        return
    for kind in KINDS:
        sizes = sorted({p.size for p in plan.policies if p.kind == kind}, reverse=True)
        for quota in {q for size in sizes[:3] for q in (size - 1, size) if q >= 1000}:
            plan_within_quotas(with_size_quota(config, kind=kind, max_chars=quota))
    rng = random.Random(seed)  # noqa: S311 - reproducible test requests, not secrets
    assert_same_decisions(config, plan, rng=rng)
