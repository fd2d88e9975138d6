"""whatif's decision cache: a cached decision is the decision evaluated afresh.

The cache keys on OU paths, the action, which Resource patterns each resource
matches and how each context value fares against the policies' tests; random
requests drawn from the example's own patterns and values (so that many share
a key) must be decided by the cache exactly as by an engine that never saw
another request, and as by evaluating every policy of every level in full.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landing_zone.guardrails.evaluate import (
    Request,
    evaluate,
    listed,
    statements_of,
)
from landing_zone.whatif.command import engine_for
from landing_zone.whatif.engine import (
    OUTSIDE,
    Engine,
    Kind,
    Outcome,
    Plan,
    _condition,
    _names_action,
)
from landing_zone.whatif.snapshot import snapshot
from landing_zone.whatif.translate import Translated
from tests.conftest import EXAMPLE, ROOT

ORG_MAP = ROOT / "tests" / "fixtures" / "cloudtrail" / "org-map.json"
ACCOUNTS = [
    "111111111111",  # management
    "222222222222",
    "333333333333",
    "444444444444",
    "555555555555",
    "210987654321",
    "999999999999",  # nobody placed it
]
MEMBERS = ACCOUNTS[1:6]
PIECES = ["", "x", "Acme-", "acme-log-archive-1", "222222222222", "eu-west-1", "a/b", "ACME-"]


@cache
def data() -> dict[str, Any]:
    return snapshot(EXAMPLE)


def engine() -> Engine:
    return engine_for(data(), org_map=json.loads(ORG_MAP.read_text()), live=None)


@cache
def pools() -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Actions, resource patterns and condition values the example's policies name."""
    plan = Plan(data())
    actions: set[str] = set()
    interesting: set[str] = set()
    patterns: set[str] = set()
    values: dict[str, set[str]] = {}
    for policy in plan.policies:
        for s in statements_of(policy.document):
            named = listed(s.get("Action", s.get("NotAction", [])))
            actions.update(named)
            if "Condition" in s or s.get("Resource", "*") != "*":
                interesting.update(named)
            patterns.update(listed(s.get("Resource", s.get("NotResource", "*"))))
            for keys in _condition(s).values():
                for key, value in keys.items():
                    items = value if isinstance(value, list) else [value]
                    values.setdefault(key, set()).update(str(v) for v in items)
    # Mostly actions whose statements test conditions or limit resources.
    concrete = sorted(a for a in interesting if "*" not in a) * 3
    concrete += sorted(a for a in actions if "*" not in a)
    concrete += ["s3:GetObject", "S3:putobject", "ec2:RunInstances", "sts:AssumeRole"]
    return concrete, sorted(patterns), {k: sorted(v) for k, v in values.items()}


def _fill(draw: st.DrawFn, pattern: str) -> str:
    return "".join(
        part if i == 0 else draw(st.sampled_from(PIECES)) + part
        for i, part in enumerate(pattern.replace("?", "*").split("*"))
    )


@st.composite
def requests(draw: st.DrawFn) -> Translated:
    actions, patterns, values = pools()
    action = draw(st.sampled_from(actions))
    chosen = draw(st.lists(st.sampled_from(patterns), min_size=0, max_size=2)) or None
    resources = None if chosen is None else tuple(_fill(draw, p) for p in chosen)
    context: dict[str, str] = {}
    absent: set[str] = set()
    for key, known in values.items():
        choice = draw(st.sampled_from(["omit", "absent", "value", "value", "value", "value"]))
        name = draw(st.sampled_from([key, key.lower(), key.upper()]))
        if choice == "absent":
            absent.add(key.casefold())
        elif choice == "value":
            value = _fill(draw, draw(st.sampled_from(known)))
            context[name] = draw(st.sampled_from([value, value.upper(), value + "x", "true"]))
    return Translated(
        action=action,
        resources=resources,
        principal_type=draw(
            st.sampled_from(
                ["AssumedRole"] * 6
                + ["IAMUser", "Root", "FederatedUser", "AWSService", "AWSAccount"]
            )
        ),
        principal="arn:aws:iam::222222222222:role/x",
        principal_account=draw(st.sampled_from(ACCOUNTS + MEMBERS * 3)),
        resource_account=draw(st.sampled_from([None, *ACCOUNTS, *MEMBERS * 3])),
        service_linked=draw(st.sampled_from([True, False, False, False, False])),
        context=context,
        absent=frozenset(absent),
    )


@st.composite
def alike(draw: st.DrawFn, t: Translated) -> Translated:
    """``t`` with its action, resources or one context value changed: often the same key."""
    actions, patterns, values = pools()
    if draw(st.integers(0, 5)) == 0:
        return replace(t, action=draw(st.sampled_from(actions)))
    if draw(st.booleans()) and t.resources:
        resources = tuple(_fill(draw, draw(st.sampled_from(patterns))) for _ in t.resources)
        return replace(t, resources=resources)
    # Mostly a key a statement naming the action tests.
    key = draw(st.sampled_from(sorted(values) + keys_tested_with(t.action) * 4))
    context = {k: v for k, v in t.context.items() if k.casefold() != key.casefold()}
    change = draw(st.sampled_from(["value"] * 4 + ["unknown", "absent"]))
    if change == "unknown":
        return replace(t, context=context, absent=t.absent - {key.casefold()})
    if change == "absent":
        return replace(t, context=context, absent=t.absent | {key.casefold()})
    value = _fill(draw, draw(st.sampled_from(values[key])))
    context[key] = draw(st.sampled_from([value, value.upper(), value + "x", "true", "false"]))
    return replace(t, context=context, absent=t.absent - {key.casefold()})


@cache
def keys_tested_with(action: str) -> list[str]:
    plan = SHARED.plan
    return sorted(
        {
            key
            for p in plan.policies
            for s in statements_of(p.document)
            if _names_action(s, action)
            for keys in _condition(s).values()
            for key in keys
        }
    )


SHARED = engine()
#: A second plan: its own memo of signatures, and a fresh (empty) cache per request.
UNCACHED = engine()


def decision(outcome: Outcome) -> Outcome:
    # A cached denial names the first resource that was denied when it was
    # computed (the report shows the record's own resources instead).
    return replace(outcome, resource="")


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(requests().flatmap(lambda t: st.lists(alike(t), min_size=1, max_size=8)))
def test_a_cached_decision_is_the_decision_made_afresh(batch: list[Translated]) -> None:
    # One engine shared by every example: its cache fills with other requests' keys.
    for t in batch:
        UNCACHED.cache.clear()
        assert decision(SHARED.decide(t)) == decision(UNCACHED.decide(t))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_a_denial_is_what_evaluating_every_statement_gives(t: Translated) -> None:
    """The shortcuts (only the statements naming the action; "*" when no Deny
    limits resources) deny only where the evaluator over whole policies does."""
    fresh = UNCACHED
    fresh.cache.clear()
    outcome = fresh.decide(t)
    if outcome.status != "denied":
        return
    plan = fresh.plan
    context = {k: v for k, v in t.context.items() if k.casefold() in plan.tested}
    if fresh.placement.ou(t.principal_account or "") not in (None, OUTSIDE) and (
        t.principal_type != "AWSService"
    ):
        context["aws:PrincipalOrgID"] = plan.organization_id
    unknown = frozenset(plan.tested - ({k.casefold() for k in context} | t.absent))
    kind: Kind = "scp" if outcome.kind == "scp" else "rcp"
    levels = [[d for _, d in level] for level in plan.policy_levels(outcome.ou, kind)]
    request = Request(t.action, outcome.resource, context, unknown=unknown)
    assert evaluate(levels, request) == "deny"


def test_the_statements_kept_per_action_keep_their_policys_version() -> None:
    # Without its Version a policy reads ${...} as text: the filtered copy must keep it.
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
    }
    plan = Plan(
        {
            "organization_id": "o-a1b2c3d4e5",
            "management_account_id": "111111111111",
            "paths": {"root": ["root"]},
            "accounts": {},
            "policies": [
                {
                    "name": "P",
                    "target": "root",
                    "kind": "scp",
                    "document": document,
                    "guardrails": [],
                }
            ],
        }
    )
    (root, _account) = plan.action_levels("root", "scp", "s3:GetObject")
    # FullAWSAccess, then the policy.
    assert [level.get("Version") for level in root] == ["2012-10-17", "2012-10-17"]
