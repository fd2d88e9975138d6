"""Legal but dangerous settings: a `warning:` line each, in `validate` and in the summary.

Each warning is checked on a variant of a quiet config (the minimal fixture
with every warning answered) that has it, and is absent from the quiet one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from landing_zone.cli import main as cli_main
from landing_zone.cli import summary
from landing_zone.config import load_config_and_warnings
from landing_zone.guardrails.cis_alarms import BY_CIS_ID as CIS_ALARMS
from tests.conftest import EXAMPLE
from tests.variants import BUSINESS_UNIT, minimal_variant, problems_of, write_yaml

PINNED = "arn:aws:iam::333333333333:role/TinyCCoE"

# The minimal fixture with every warning answered: a pinned principal,
# recipients for alarms and findings, and the defaults written out.
QUIET_APPEND = """\
monitoring:
  alarm_emails: [alarms@tiny.example]
detection:
  notifications:
    emails: [findings@tiny.example]
guardrails:
  attachments:
    root: [core]
  sandbox_instance_types: ['t3.*']
log_archive:
  object_lock:
    mode: GOVERNANCE
    days: 365
baseline:
  remove_default_vpc: false
"""


def quiet(directory: Path, *edits: tuple[str, str]) -> Path:
    """The quiet config with ``edits`` (each ``(old, new)``, ``old`` must be there)."""
    path = minimal_variant(
        directory, replace=("arn:aws:iam::*:role/TinyCCoE", PINNED), append=QUIET_APPEND
    )
    text = path.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return path


def warnings_of(path: Path) -> list[str]:
    return load_config_and_warnings(path)[1]


def test_the_quiet_config_has_no_warning(tmp_path: Path) -> None:
    assert warnings_of(quiet(tmp_path)) == []


def test_the_examples_have_no_warning() -> None:
    for example in (EXAMPLE, BUSINESS_UNIT):
        assert warnings_of(example) == [], example


# case -> (edit of the quiet config, dotted field, what the warning says)
WARNINGS: dict[str, tuple[tuple[str, str], str, str]] = {
    "object-lock-compliance": (
        ("mode: GOVERNANCE", "mode: COMPLIANCE"),
        "log_archive.object_lock.mode",
        "COMPLIANCE is irreversible: nobody, not even the root user, can delete a log object "
        "or shorten its retention before its 365 days have passed",
    ),
    "object-lock-over-ten-years": (
        ("days: 365", "days: 3651"),
        "log_archive.object_lock.days",
        "3651 days is over ten years",
    ),
    "remove-default-vpc": (
        ("remove_default_vpc: false", "remove_default_vpc: true"),
        "baseline.remove_default_vpc",
        "destructive: deletes the default VPC",
    ),
    "root-without-guardrails": (
        ("    root: [core]", "    root: []"),
        "guardrails.attachments.root",
        "no guardrails are attached to 'root'",
    ),
    "root-not-attached": (
        ("    root: [core]", "    prod: [core]"),
        "guardrails.attachments",
        "no guardrails are attached to 'root'",
    ),
    "sandbox-star": (
        ("['t3.*']", "['t3.*', '*']"),
        "guardrails.sandbox_instance_types[1]",
        "'*' matches every EC2 instance type",
    ),
    "sandbox-pattern-matching-everything": (
        ("['t3.*']", "['*.*']"),
        "guardrails.sandbox_instance_types[0]",
        "'*.*' matches every EC2 instance type",
    ),
    "alarms-without-recipients": (
        ("alarm_emails: [alarms@tiny.example]", "alarm_emails: []"),
        "monitoring.alarm_emails",
        "no recipients: the CIS alarms",
    ),
    "findings-without-recipients": (
        ("emails: [findings@tiny.example]", "emails: []"),
        "detection.notifications",
        "no recipients: Security Hub and GuardDuty findings",
    ),
    "principal-any-account": (
        (PINNED, "arn:aws:iam::*:role/TinyCCoE"),
        "privileged_principals.ccoe.arn",
        "a wildcard in the account exempts a role of this name in every account",
    ),
    "principal-any-role": (
        (PINNED, "arn:aws:iam::333333333333:role/TinyCCoE-*"),
        "privileged_principals.ccoe.arn",
        "a wildcard in the role name exempts every role it matches",
    ),
}


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_a_dangerous_setting_is_warned_about(case: str, tmp_path: Path) -> None:
    edit, field, fragment = WARNINGS[case]
    path = quiet(tmp_path, edit)
    (warning,) = warnings_of(path)
    assert warning.startswith(f"warning: {path}:"), warning
    assert f": {field}: " in warning, warning
    assert fragment in warning


def test_the_principal_warnings_say_how_to_pin(tmp_path: Path) -> None:
    account, name = warnings_of(quiet(tmp_path, (PINNED, "arn:aws:iam::*:role/TinyCCoE-*")))
    assert "pin the account where the role lives (arn:aws:iam::111111111111:role/...)" in account
    assert account.endswith("or set every_account: true if the role is deployed to every account")
    assert name.endswith("name the exact role")


def test_a_role_in_every_account_is_acknowledged_not_warned(tmp_path: Path) -> None:
    every = "arn:aws:iam::*:role/TinyCCoE\n    every_account: true"
    assert warnings_of(quiet(tmp_path, (PINNED, every))) == []
    pinned = f"{PINNED}\n    every_account: true"
    (problem,) = problems_of(quiet(tmp_path, (PINNED, pinned)))
    assert "privileged_principals.ccoe.every_account: every_account is true but" in problem


@pytest.mark.parametrize(
    "edit",
    [
        ("days: 365", "days: 3650"),
        (
            "emails: [findings@tiny.example]",
            "emails: []\n    slack:\n      workspace_id: T0123ABCD\n      channel_id: C0123456789",
        ),
        (
            "alarm_emails: [alarms@tiny.example]",
            "alarm_emails: []\n  disabled_cis_alarms:\n"
            + "".join(f"    '{cis_id}': handled by the SIEM team\n" for cis_id in CIS_ALARMS),
        ),
    ],
    ids=["ten-years-exactly", "slack-only", "every-alarm-off"],
)
def test_an_answered_setting_is_not_warned_about(tmp_path: Path, edit: tuple[str, str]) -> None:
    assert warnings_of(quiet(tmp_path, edit)) == []


def test_a_business_unit_is_not_warned_about_the_cores_parts(tmp_path: Path) -> None:
    """Root guardrails, alarms and (without alerts of its own) findings are the core's."""
    data = yaml.safe_load(BUSINESS_UNIT.read_text())
    data.pop("detection", None)
    assert warnings_of(write_yaml(tmp_path / "bu.yaml", data)) == []


def test_validate_prints_warnings_to_stderr_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = quiet(tmp_path, ("remove_default_vpc: false", "remove_default_vpc: true"))
    assert cli_main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{path}: ok\n"
    assert captured.err.startswith(f"warning: {path}:")
    assert ": baseline.remove_default_vpc: destructive" in captured.err


def test_the_summary_ends_with_the_warnings(tmp_path: Path) -> None:
    path = quiet(tmp_path, ("mode: GOVERNANCE", "mode: COMPLIANCE"))
    config, warnings = load_config_and_warnings(path)
    lines = summary(config, tmp_path, warnings=warnings).splitlines()
    assert lines[-2:] == ["1 warning:", warnings[0]]
    assert "warning" not in summary(*load_config_and_warnings(quiet(tmp_path))[:1], tmp_path)
