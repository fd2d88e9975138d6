"""Config variants: a known config with a few edits, written to a file, and what loading reports.

``variant`` is the one writer; ``minimal_variant``, ``with_baseline`` and
``with_detection`` name the edits most tests make to the minimal fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from landing_zone.config import ConfigError, load_config
from tests.conftest import FIXTURES, ROOT

MINIMAL = FIXTURES / "minimal.yaml"
BUSINESS_UNIT = ROOT / "config" / "example-business-unit.yaml"

# A deny-all OU, and the pack that makes it one, for the minimal fixture.
SUSPENDED = """\
  suspended:
    name: Suspended
"""
SUSPENDED_GUARDRAILS = "guardrails:\n  attachments:\n    suspended: [suspended]\n"

# The minimal fixture governing its home region alone (Security Hub stays on).
SINGLE_REGION = ("governed: [eu-west-1, eu-central-1]", "governed: [eu-west-1]")

# What the minimal fixture leaves off or at its default: every detection
# service on, with non-default settings, COMPLIANCE Object Lock on the log
# archive and a compliance-mode Vault Lock on the backup vault. Synthesized
# once per session (conftest.py, everything_synth).
EVERYTHING = """\
detection:
  guardduty:
    protection_plans:
      eks_audit_logs: false
    finding_publishing_frequency: ONE_HOUR
  security_hub:
    policies:
      default:
        targets: [root]
        standards: [aws-foundational-security-best-practices, cis-aws-foundations-benchmark-v5.0.0]
      off-in-prod:
        targets: [prod]
        enabled: false
  conformance_pack:
    disabled_rules:
      ebs-optimized-instance: Every instance type we use is EBS-optimized by default
  access_analyzer:
    unused_access:
      enabled: true
      unused_access_age_days: 30
  inspector:
    scan_types: [EC2, LAMBDA, LAMBDA_CODE]
  macie:
    enabled: true
  notifications:
    emails: [a@tiny.example, b@tiny.example]
    security_hub_min_severity: CRITICAL
    guardduty_min_severity: 8.5
    slack:
      workspace_id: T0123ABCD
      channel_id: C0123456789
log_archive:
  object_lock:
    mode: COMPLIANCE
    days: 400
# The example runs every playbook in dry-run and the hook in WARN: here one
# playbook acts (its write permissions) and the baseline's hook fails.
remediation:
  enabled: true
  playbooks:
    public-s3-bucket: "on"
proactive_controls:
  failure_mode: FAIL
# Last: tests append baseline fields after it.
baseline:
  backup:
    vault_lock:
      mode: compliance
      min_retention_days: 30
      max_retention_days: 400
      changeable_for_days: 3
"""


def variant(
    base: Path,
    directory: Path,
    *,
    replace: Iterable[tuple[str, str]] = (),
    cut: tuple[str, str] | None = None,
    insert: str = "",
    append: str = "",
    name: str = "variant.yaml",
) -> Path:
    """``base`` edited, written to ``directory / name``.

    Each ``(old, new)`` of ``replace`` in turn (``old`` must be there); then
    the text from ``cut[0]`` up to ``cut[1]`` becomes ``insert``; then
    ``append`` goes at the end.
    """
    text = base.read_text()
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new)
    if cut is not None:
        start, end = cut
        first, last = text.index(start), text.index(end)
        text = text[:first] + insert + text[last:]
    path = directory / name
    path.write_text(text + append)
    copy_policy_files(base.parent, directory)
    return path


def copy_policy_files(source: Path, directory: Path) -> None:
    """The files a config names relative to itself (``policies/``), beside its copy."""
    policies = source / "policies"
    if policies.is_dir() and source.resolve() != directory.resolve():
        shutil.copytree(policies, directory / "policies", dirs_exist_ok=True)


def minimal_variant(
    directory: Path, *, replace: tuple[str, str] | None = None, append: str = ""
) -> Path:
    """The minimal valid fixture with one edit."""
    return variant(MINIMAL, directory, replace=[replace] if replace else [], append=append)


def with_baseline(directory: Path, baseline: str, *, suspended: bool = False) -> Path:
    """The minimal fixture with a ``baseline`` section (and, if ``suspended``, a deny-all OU)."""
    return variant(
        MINIMAL,
        directory,
        replace=[("core_accounts:", SUSPENDED + "core_accounts:")] if suspended else [],
        append="baseline:\n" + baseline + (SUSPENDED_GUARDRAILS if suspended else ""),
    )


def with_detection(directory: Path, detection: str) -> Path:
    """The minimal fixture with a ``detection`` section."""
    return minimal_variant(directory, append="detection:\n" + detection)


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    """``data`` as a YAML config at ``path``, keys in their order."""
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(path: Path) -> list[str]:
    """The messages loading ``path`` reports (it must fail)."""
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value.lines


# ---- the config matrix: named variants, each synthesized once per session -------------

# Everything the config lets a core fork switch off: no guardrail on any
# target (the root deliberately emptied: a warning, not a refusal), every
# detection service, every optional part of the baseline (whose targets
# cannot be empty in a core fork), no alarm or findings recipients, and only
# the policy types and trusted services nothing then needs.
# Every optional part of the baseline off.
BASELINE_OFF = """\
baseline:
  ebs_encryption_by_default: false
  s3_block_public_access: false
  password_policy:
    enabled: false
  account_access_analyzer: false
  backup:
    enabled: false
"""

EVERYTHING_OFF = (
    """\
organization_features:
  policy_types: []
  trusted_services: [member.org.stacksets.cloudformation.amazonaws.com]
guardrails:
  attachments: {}
"""
    + BASELINE_OFF
    + """\
detection:
  guardduty:
    enabled: false
  security_hub:
    enabled: false
  conformance_pack:
    enabled: false
  config_aggregator: false
  access_analyzer:
    organization: false
  inspector:
    enabled: false
  macie:
    enabled: false
  detective:
    enabled: false
identity:
  root_access:
    enabled: false
  investigation_role:
    enabled: false
proactive_controls:
  enabled: false
"""
)


def single_region(directory: Path) -> Path:
    """The minimal fixture governing its home region only (Security Hub on: the finding
    aggregator that links no Region)."""
    return variant(MINIMAL, directory, replace=[SINGLE_REGION], name="single-region.yaml")


def everything_off(directory: Path) -> Path:
    """The minimal fixture with every optional part off."""
    return minimal_variant(directory, append=EVERYTHING_OFF)


def write_org(path: Path, *, accounts: int, units: int, account_stacks: int | None = None) -> Path:
    """``bench/make_org.py``'s organization: ``accounts`` accounts, ``units`` business units."""
    from bench.make_org import make_org

    data = make_org(accounts=accounts, business_units=units)
    if account_stacks is not None:
        data["organization"]["account_stacks"] = account_stacks
    return write_yaml(path, data)


#: The config matrix: each named variant and the session fixture (conftest.py)
#: that synthesizes it once per test session. tests/test_config_matrix.py runs
#: cfn-lint, cdk-nag and the guardrail and CloudFormation-limit invariants on each.
MATRIX: dict[str, str] = {
    # The home region alone, Security Hub off.
    "single-region": "single_region_synth",
    # EVERYTHING: every detection service on, COMPLIANCE Object Lock.
    "every-service-compliance-lock": "everything_synth",
    # EVERYTHING_OFF: no guardrails, detection or optional baseline part.
    "everything-off": "everything_off_synth",
    # config/example-business-unit.yaml.
    "business-unit": "logistics_synth",
    # 1,000 accounts in 50 business units, over 3 account stacks.
    "1000-accounts": "large_synth",
}
