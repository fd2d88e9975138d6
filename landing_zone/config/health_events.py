"""Checks on the delivery of AWS Health key-exposure events to the remediation pipeline.

The events reach EventBridge only in the affected account, in the regions
AWS Health documents for global events; ``landing_zone/remediation/
health_forwarding.py`` forwards them from there (docs/response.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from landing_zone.config.types import Check, Problem
from landing_zone.remediation.health_forwarding import (
    GLOBAL_EVENT_REGIONS,
    PLAYBOOK,
    forwarding_enabled,
)

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig


def health_event_regions_known(config: LandingZoneConfig) -> Iterator[Problem]:
    """A running exposed-access-key playbook is in a partition whose Health regions are known.

    See: https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html
    """
    if forwarding_enabled(config) and config.partition not in GLOBAL_EVENT_REGIONS:
        yield Problem(
            ("remediation", "playbooks", PLAYBOOK),
            f"AWS Health documents no global-event regions for partition {config.partition}, "
            "so the member accounts' key-exposure events cannot be forwarded; set the "
            "playbook off",
        )


CHECKS: tuple[Check, ...] = (health_event_regions_known,)
