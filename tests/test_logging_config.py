"""The logging config sections: `log_archive`, `organization_trail` and `monitoring`.

Every mistake they can hold gets a message naming the field; the example's
alarm recipients come from config.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from landing_zone.config import load_config
from tests.conftest import EXAMPLE
from tests.variants import minimal_variant, problems_of


@pytest.mark.parametrize(
    ("append", "field", "fragment"),
    [
        (
            "organization_trail:\n  log_group_retention_days: 100\n",
            "organization_trail.log_group_retention_days",
            "100 is not a CloudWatch Logs retention period; the next allowed value is 120",
        ),
        (
            "monitoring:\n  disabled_cis_alarms:\n    '3.1': not a monitoring control\n",
            "monitoring.disabled_cis_alarms.3.1",
            "'3.1' is not a CIS monitoring control of this landing zone",
        ),
        (
            "monitoring:\n  disabled_cis_alarms:\n    '4.3': meh\n",
            "monitoring.disabled_cis_alarms.4.3",
            "say why this alarm is off",
        ),
        (
            "monitoring:\n  alarm_emails: [not-an-address]\n",
            "monitoring.alarm_emails[0]",
            "'not-an-address' is not a valid email address",
        ),
        (
            "log_archive:\n  object_lock: {days: 730}\n  expiration_days: 365\n",
            "log_archive.expiration_days",
            "365 days is shorter than object_lock.days (730)",
        ),
        (
            "log_archive:\n  transition: {days: 400}\n",
            "log_archive.transition.days",
            "after 400 days but expire after 365",
        ),
        (
            "log_archive:\n  object_lock: {mode: LEGAL}\n",
            "log_archive.object_lock.mode",
            "'LEGAL' is not allowed; expected one of 'GOVERNANCE' or 'COMPLIANCE'",
        ),
        (
            "organization_trail:\n  data_events: {lamda: true}\n",
            "organization_trail.data_events.lamda",
            "unknown field 'lamda' (did you mean 'lambda'?)",
        ),
    ],
)
def test_logging_config_mistakes_are_explained(
    tmp_path: Path, append: str, field: str, fragment: str
) -> None:
    (problem,) = problems_of(minimal_variant(tmp_path, append=append))
    assert f": {field}: " in problem, problem
    assert fragment in problem, problem


def test_example_alarm_recipients_come_from_config() -> None:
    config = load_config(EXAMPLE)
    assert config.monitoring.alarm_emails == ["security-alerts@acme.example"]
