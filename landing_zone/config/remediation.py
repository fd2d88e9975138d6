"""Config section ``remediation``: the automatic remediation pipeline and each playbook's mode.

The playbooks are ``landing_zone/remediation/playbooks.py`` (docs/response.md).
Off by default: turning it on deploys ``<Prefix>-Remediation`` into every
member account. Once on, every playbook defaults to ``dry-run``: it reads,
records and tells, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from landing_zone.config.types import Check, Model, Problem
from landing_zone.guardrails.packs import BY_ID as PACKS
from landing_zone.remediation.playbooks import BY_KEY, PLAYBOOKS, SKIP_TAG

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

PlaybookMode = Literal["off", "dry-run", "on"]
PlaybookKey = Literal[
    "instance-credential-exfiltration",
    "public-s3-bucket",
    "open-admin-ports",
    "exposed-access-key",
    "root-activity",
]


class RemediationConfig(Model):
    """The remediation pipeline (audit account, home region) and its playbooks' modes."""

    enabled: bool = Field(
        default=False,
        description="Deploy the remediation pipeline (audit account, home region) and the "
        "<Prefix>-Remediation role in every member account (docs/response.md)",
    )
    playbooks: dict[PlaybookKey, PlaybookMode] = Field(
        default_factory=dict,
        description="Mode per playbook: off, dry-run (the default: record and tell, change "
        "nothing) or on (act). Unlisted playbooks run in their default mode",
    )

    def modes(self) -> dict[str, PlaybookMode]:
        """Every playbook's mode: as configured, else its default; all off when disabled."""
        return {
            p.key: ("off" if not self.enabled else self.playbooks.get(p.key, p.default_mode))  # type: ignore[call-overload]
            for p in PLAYBOOKS
        }


def remediation_in_core_only(config: LandingZoneConfig) -> Iterator[Problem]:
    """Only a core fork enables remediation: it runs in the core's audit account for all."""
    if config.business_unit and config.remediation.enabled:
        yield Problem(
            ("remediation", "enabled"),
            "a business unit cannot deploy remediation: the core's pipeline covers every "
            "account; set it in the core's config",
        )


def remediation_sources_enabled(config: LandingZoneConfig) -> Iterator[Problem]:
    """A playbook that runs has the detection service its findings come from."""
    detection = config.detection
    enabled = {
        "guardduty": detection.guardduty.enabled,
        "securityhub": detection.security_hub.enabled,
        "health": True,
    }
    for key, mode in config.remediation.modes().items():
        source = BY_KEY[key].source
        if mode != "off" and not enabled[source]:
            yield Problem(
                ("remediation", "playbooks", key),
                f"its findings come from {source}, which detection turns off; set the "
                "playbook off or enable the service",
            )


def remediation_acting_playbooks(config: LandingZoneConfig) -> Iterator[Problem]:
    """Warn about each playbook set ``on``: it changes workload resources with no human."""
    for key, mode in config.remediation.modes().items():
        if mode == "on" and BY_KEY[key].acts:
            yield Problem(
                ("remediation", "playbooks", key),
                f"'on' changes workload resources without a human ({BY_KEY[key].action}); "
                "run it in dry-run first and read its records (docs/response.md)",
            )


def remediation_skip_tag_guarded(config: LandingZoneConfig) -> Iterator[Problem]:
    """Warn when a playbook honouring the skip tag runs but no root pack reserves the tag.

    The guardrail protect-remediation keeps workload principals from setting
    the skip tag; attached only to some OUs (or nowhere), any principal in
    an account outside them tags its own resource to escape remediation.
    """
    at_root = config.guardrails.attachments.get("root", [])
    if any("protect-remediation" in PACKS[pack].guardrails for pack in at_root):
        return
    honoured = [
        key
        for key, mode in config.remediation.modes().items()
        if mode != "off" and BY_KEY[key].honours_skip
    ]
    if honoured:
        yield Problem(
            ("remediation", "enabled"),
            f"{', '.join(honoured)} honour the skip tag {SKIP_TAG[0]}={SKIP_TAG[1]}, but no "
            "pack attached to 'root' holds protect-remediation, so a workload principal can "
            "tag its own resource to escape remediation; attach the core pack to root",
        )


CHECKS: tuple[Check, ...] = (remediation_in_core_only, remediation_sources_enabled)
WARNINGS: tuple[Check, ...] = (remediation_acting_playbooks, remediation_skip_tag_guarded)
