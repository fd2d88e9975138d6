"""Generated configs: whatever the config's own fields hold, validation refuses it clearly or
the landing zone it synthesizes keeps every invariant.

``configs()`` draws every field a core fork's config has: regions of one
partition, an OU tree of random shape and depth (one level past the quota
now and then), created and adopted accounts in random OUs, privileged
principals, packs on random targets (the root with the core pack, other
packs, or deliberately nothing), quotas from AWS's limits down to the
floors, baseline targets, each detection service on or off, Object Lock
mode and days, the number of account stacks.

Refusals are allowed, in the form the CLI prints: a ``ConfigError`` whose
every line is ``file:line: dotted.field: message``, or the packer's and the
stack-limit check's lines naming the ``guardrails.quotas`` or
``organization`` field to change. Any other exception fails the test.

Seeds: ``derandomize=True``: hypothesis derives the examples from each test's
own source, so every run, on every machine, draws the same ones and a
failure reproduces by rerunning; changing a test's code draws new ones.
To explore beyond them, run ``pytest tests/test_generated_configs.py
--hypothesis-seed=<n>`` after setting ``derandomize=False`` locally.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from landing_zone.config import ConfigError, LandingZoneConfig, load_config
from landing_zone.config.guardrails import (
    RCP_MAX_CHARS,
    RCP_MAX_PER_TARGET,
    SCP_MAX_CHARS,
    SCP_MAX_PER_TARGET,
)
from landing_zone.config.organization import MAX_ACCOUNT_STACKS, MAX_OU_DEPTH
from landing_zone.config.types import known_regions, partition_of
from landing_zone.guardrails.packer import GuardrailBudgetError, plan_guardrails
from landing_zone.guardrails.packs import PACK_IDS
from landing_zone.quotas import StackLimitError, check_stack_limits
from tests.conftest import synthesize
from tests.invariants import guardrail_problems, limit_problems
from tests.templates import nag_failures
from tests.test_privileged import names, paths
from tests.variants import write_yaml

PARTITIONS = ("aws", "aws", "aws", "aws-us-gov", "aws-cn")
MANAGEMENT = "111111111111"


def _regions(partition: str) -> list[str]:
    return [region for region in known_regions() if partition_of(region) == partition]


@st.composite
def ou_trees(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], dict[str, int]]:
    """An OU tree (config shape), its keys in file order, and each key's depth."""
    count = draw(st.integers(1, 8))
    # Most trees within the quota; some one level deeper, to be refused.
    max_depth = draw(st.sampled_from([MAX_OU_DEPTH] * 5 + [MAX_OU_DEPTH + 1]))
    depth: dict[str, int] = {}
    children: dict[str | None, list[str]] = {None: []}
    for index in range(count):
        key = f"unit-{index}"
        parents = [None, *(k for k, d in depth.items() if d < max_depth)]
        parent = draw(st.sampled_from(parents))
        depth[key] = 1 if parent is None else depth[parent] + 1
        children.setdefault(parent, []).append(key)
        children[key] = []

    def tree(parent: str | None) -> dict[str, Any]:
        return {
            key: {"name": f"Unit {key[5:]}", **({"children": tree(key)} if children[key] else {})}
            for key in children[parent]
        }

    return tree(None), list(depth), depth


def accounts(draw: st.DrawFn, *, key: str, index: int, units: list[str]) -> dict[str, Any]:
    account: dict[str, Any] = {"name": f"Gen-{key}", "ou": draw(st.sampled_from(units))}
    if draw(st.booleans()):
        account["account_id"] = f"{200000000000 + index:012d}"
    else:
        account["email"] = f"aws+{key}@gen.example"
    return account


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """A core fork's config, drawn field by field; mostly valid, sometimes not."""
    partition = draw(st.sampled_from(PARTITIONS))
    regions = _regions(partition)
    governed = draw(st.lists(st.sampled_from(regions), min_size=1, max_size=3, unique=True))
    units, keys, depth = draw(ou_trees())
    targets = ["root", *keys]
    workloads = draw(st.integers(0, 5))
    data: dict[str, Any] = {
        "prefix": draw(st.sampled_from(["Gen", "Zeta9", "AcmeGenerated"])),
        "organization": {
            "id": "o-gen1234567",
            "root_id": "r-gen1",
            "management_account_id": MANAGEMENT,
            "account_stacks": draw(st.integers(1, MAX_ACCOUNT_STACKS)),
        },
        "regions": {"home": draw(st.sampled_from(governed)), "governed": governed},
        "organizational_units": units,
        "core_accounts": {
            "log_archive": accounts(draw, key="log", index=0, units=keys),
            "audit": accounts(draw, key="audit", index=1, units=keys),
        },
        "workload_accounts": {
            f"app-{i}": accounts(draw, key=f"app-{i}", index=2 + i, units=keys)
            for i in range(workloads)
        },
        "privileged_principals": {
            f"principal-{i}": {
                "arn": f"arn:{partition}:iam::{account}:role/{path}{name}{wildcard}",
                "reason": "Generated privileged principal",
                "every_account": account == "*",
            }
            for i, (account, path, name, wildcard) in enumerate(
                draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(["*", MANAGEMENT, "222222222222"]),
                            paths,
                            names,
                            st.sampled_from(["", "*"]),
                        ),
                        min_size=1,
                        max_size=3,
                    )
                )
            )
        },
    }
    root = draw(
        st.sampled_from([[], ["core"], ["core", "region-deny"], ["core", "data-perimeter"]])
    )
    placed = draw(
        st.dictionaries(
            st.sampled_from(keys),
            st.lists(st.sampled_from(PACK_IDS), min_size=1, max_size=3, unique=True),
            max_size=3,
        )
    )
    reserve_over = draw(st.sampled_from([0, 0, 0, 1]))
    data["guardrails"] = {
        "attachments": {"root": root, **placed},
        "quotas": {
            "scp_max_chars": draw(st.sampled_from([SCP_MAX_CHARS, 5120, 2000, 1000])),
            "rcp_max_chars": draw(st.sampled_from([RCP_MAX_CHARS, 2000, 1000])),
            "scp_max_per_target": (scp_slots := draw(st.integers(2, SCP_MAX_PER_TARGET))),
            "rcp_max_per_target": (rcp_slots := draw(st.integers(2, RCP_MAX_PER_TARGET))),
            # Within the slots left after FullAWSAccess and one guardrail
            # policy, or now and then one over.
            "scp_reserved_per_target": draw(st.integers(0, min(2, scp_slots - 2) + reserve_over)),
            "rcp_reserved_per_target": draw(st.integers(0, min(1, rcp_slots - 2) + reserve_over)),
        },
    }
    shallow = [key for key in keys if depth[key] == 1]
    data["baseline"] = {
        "targets": draw(
            st.one_of(
                st.just(["root"]),
                st.lists(st.sampled_from(shallow or keys), min_size=1, max_size=3, unique=True),
                st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True),
            )
        ),
        "ebs_encryption_by_default": draw(st.booleans()),
        "s3_block_public_access": draw(st.booleans()),
        "password_policy": {"enabled": draw(st.booleans())},
        "account_access_analyzer": draw(st.booleans()),
    }
    on = {
        service: draw(st.booleans())
        for service in ("guardduty", "security_hub", "inspector", "macie", "detective")
    }
    if len(governed) == 1:
        # Security Hub needs a linked region: mostly off with one region.
        on["security_hub"] = draw(st.sampled_from([False, False, False, True]))
    data["detection"] = {
        **{service: {"enabled": enabled} for service, enabled in on.items()},
        "conformance_pack": {"enabled": draw(st.booleans())},
        "config_aggregator": draw(st.booleans()),
        "access_analyzer": {"organization": draw(st.booleans())},
        "notifications": {"emails": draw(st.sampled_from([[], ["sec@gen.example"]]))},
    }
    lock_days = draw(st.sampled_from([30, 365, 2555]))
    data["log_archive"] = {
        "object_lock": {
            "mode": draw(st.sampled_from(["GOVERNANCE", "COMPLIANCE"])),
            "days": lock_days,
        },
        # Before expiry, or now and then not.
        "transition": {"days": draw(st.sampled_from([1, 29, 29, 90, 4000]))},
        "expiration_days": draw(st.sampled_from([None, None, lock_days + 365, 10])),
    }
    data["monitoring"] = {"alarm_emails": draw(st.sampled_from([[], ["alarms@gen.example"]]))}
    return data


def _without_nulls(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _without_nulls(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


# What a refusal looks like: the file, the line, the dotted field, the message.
FIELD = r"[a-z_][\w-]*(\.[\w-]+|\[\d+\])*"


def refusal_or_config(
    data: dict[str, Any], directory: Path
) -> tuple[Path, LandingZoneConfig | None]:
    """The config written and loaded, or None when it is refused as the CLI would refuse it."""
    path = write_yaml(directory / "generated.yaml", _without_nulls(data))
    try:
        config = load_config(path)
    except ConfigError as error:
        event("refused by validation")
        line_form = re.compile(rf"{re.escape(str(path))}:\d+: {FIELD}: \S")
        for line in error.lines:
            assert line_form.match(line), line
        return path, None
    try:
        check_stack_limits(config, plan_guardrails(config))
    except (GuardrailBudgetError, StackLimitError) as error:
        event("refused by the packer or a stack limit")
        for line in error.lines:
            assert re.search(r"guardrails\.quotas\.|organization\.account_stacks|\(", line), line
        return path, None
    event("accepted")
    return path, config


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=configs())
def test_a_generated_config_is_refused_clearly_or_keeps_the_guardrail_invariants(
    data: dict[str, Any],
) -> None:
    """Validation only (no synth): 200 examples in a few seconds."""
    with tempfile.TemporaryDirectory() as directory:
        _, config = refusal_or_config(data, Path(directory))
    if config is not None:
        assert guardrail_problems(config) == []


@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=configs())
def test_a_generated_config_synthesizes_within_cloudformation_limits(
    data: dict[str, Any],
) -> None:
    """Full synth (without aws-cdk-lib's validator) of the accepted configs only."""
    with tempfile.TemporaryDirectory() as directory:
        path, config = refusal_or_config(data, Path(directory))
        assume(config is not None)
        synth = synthesize(path, Path(directory) / "cdk.out", validation=False)
        assert limit_problems(synth) == []
        assert nag_failures(synth.outdir) == []
