"""Shared references: the log archive's names, and the ids stacks refer to across stacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from landing_zone.config import load_config
from landing_zone.naming import kms_alias_arn, log_archive_bucket_name, pascal
from landing_zone.quotas import organization_stack_outputs
from landing_zone.references import LogArchiveRef, cross_stack_references
from tests.conftest import EXAMPLE, ROOT, Synth, synthesize
from tests.variants import MINIMAL, variant

BUSINESS_UNIT = ROOT / "config" / "example-business-unit.yaml"


def test_a_core_names_its_own_archive_from_prefix_home_region_and_account() -> None:
    config = load_config(EXAMPLE)
    ref = LogArchiveRef.of(config, account_id="333333333333")
    home = config.regions.home
    assert ref.bucket_name == log_archive_bucket_name("Acme", "logs", "333333333333", home)
    assert ref.config_bucket_name == log_archive_bucket_name("Acme", "config", "333333333333", home)
    assert ref.key_arn == kms_alias_arn(
        partition="aws",
        region=home,
        account="333333333333",
        prefix="Acme",
        name="log-archive",
    )
    assert len(ref.bucket_names) == 3
    moved = ref.in_account("444444444444")
    assert "333333333333" not in repr(moved)
    assert moved.config_bucket_name.endswith(f"-444444444444-{home}")


def test_a_business_unit_uses_the_cores_archive_whatever_the_account_is_called() -> None:
    config = load_config(BUSINESS_UNIT)
    assert config.core is not None
    ref = LogArchiveRef.of(config, account_id=config.core.log_archive_account_id)
    assert ref.config_bucket_name == config.core.log_archive.config_bucket
    assert ref.key_arn == config.core.log_archive.key_arn
    assert ref.bucket_name is None
    assert ref.bucket_names == (config.core.log_archive.config_bucket,)
    inside = ref.in_account("${Token[LogArchiveAccountId]}")
    assert inside.config_bucket_name == ref.config_bucket_name
    assert inside.key_arn == ref.key_arn


def test_every_referenced_id_of_the_example_is_one_output_and_nothing_else_is(
    example_synth: Synth,
) -> None:
    """``app.py`` passes down only the referenced ids; each one costs one output."""
    config = load_config(EXAMPLE)
    references = cross_stack_references(config)
    outputs = set(example_synth.templates["Acme-Organization"].get("Outputs", {}))
    created = {k for k, a in config.organization_stack_accounts() if not a.adopted}
    expected = [f"TreeOu{pascal(key)}" for key in references.ou_keys] + [
        f"TreeAccount{pascal(key)}" for key in references.account_keys & created
    ]
    assert len(outputs) == len(expected)
    for fragment in expected:
        assert sum(re.search(f"{fragment}[0-9A-F]{{8}}", name) is not None for name in outputs) == 1


APP_DEV = """  app-dev:
    name: Tiny-App-Dev
    email: aws+app-dev@tiny.example
    ou: sdlc
"""
REFERENCE_VARIANTS = {
    # An account no baseline reaches, with the conformance pack off: no exclusions at all.
    "unreached-account-pack-off": {
        "replace": [("workload_accounts:\n", "workload_accounts:\n" + APP_DEV)],
        "append": "baseline:\n  targets: [security, prod]\n"
        "detection:\n  conformance_pack: {enabled: false}\n",
    },
    # Exclusions by key and by the id of an adopted account, the pack on.
    "excluded-by-key-and-id": {
        "replace": [("workload_accounts:\n", "workload_accounts:\n" + APP_DEV)],
        "append": "baseline:\n  excluded_accounts:\n"
        "    app-dev: Sandbox for the payroll migration\n"
        "    '222222222222': The audit account runs its own recorder\n",
    },
}


@pytest.mark.parametrize("name", sorted(REFERENCE_VARIANTS))
def test_every_config_synthesizes_with_exactly_the_outputs_counted(
    tmp_path: Path, name: str
) -> None:
    """The ids ``app.py`` hands down are those the stacks ask for, and each is one output."""
    path = variant(MINIMAL, tmp_path, **REFERENCE_VARIANTS[name])
    config = load_config(path)
    synth = synthesize(path, tmp_path / "out", validation=False)
    outputs = synth.templates["Tiny-Organization"].get("Outputs", {})
    assert len(outputs) == organization_stack_outputs(config)
    for stack in synth.templates.values():
        for resource in stack["Resources"].values():
            if resource["Type"] == "AWS::Config::OrganizationConformancePack":
                excluded = resource["Properties"].get("ExcludedAccounts", [])
                # An adopted account excluded by id is listed once, not by key and id.
                literal = [e for e in excluded if isinstance(e, str)]
                assert len(literal) == len(set(literal)), excluded
                assert "222222222222" in literal
