"""Proactive controls: the Guard hook in every baselined account, and where it blocks."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from landing_zone.config.types import Check, Location, Model, Problem, repeats

if TYPE_CHECKING:
    from landing_zone.config.root import LandingZoneConfig

FailureMode = Literal["WARN", "FAIL"]


class ProactiveControlsConfig(Model):
    """A CloudFormation Guard hook running the landing zone's proactive rules.

    WARN lets a non-compliant resource through with a warning on the stack
    event; FAIL stops the operation. AWS advises starting in WARN to see
    which operations a hook would stop before turning FAIL on.
    See: https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/hooks-concepts.html
    """

    enabled: bool = Field(
        default=True,
        description="A Guard hook (docs/response.md, 'Proactive controls') in every account "
        "and governed region the member baseline reaches",
    )
    failure_mode: FailureMode = Field(
        default="WARN",
        description="What the baseline's hook does with a non-compliant resource: WARN "
        "(let it through, with a warning on the stack event) or FAIL (stop the operation)",
    )
    fail_on: list[str] = Field(
        default_factory=list,
        description="OU keys whose accounts also get a second hook in FAIL mode, delivered "
        "by its own StackSet (e.g. the Prod OUs); accounts created in or moved into them "
        "get it automatically",
    )


# ---- checks -----------------------------------------------------------------------

FAIL_ON: Location = ("proactive_controls", "fail_on")


def _first_fail_on(config: LandingZoneConfig) -> Iterator[tuple[int, str]]:
    repeated = {index for index, _ in repeats(config.proactive_controls.fail_on)}
    for index, key in enumerate(config.proactive_controls.fail_on):
        if index not in repeated:
            yield index, key


def fail_on_listed_once(config: LandingZoneConfig) -> Iterator[Problem]:
    """Each fail_on OU is listed once."""
    for index, key in repeats(config.proactive_controls.fail_on):
        yield Problem((*FAIL_ON, index), f"'{key}' is listed twice; remove one")


def fail_on_ous_exist(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every fail_on entry is an OU key of this config."""
    choices = sorted(config.tree.parents)
    for index, key in _first_fail_on(config):
        if key not in config.tree.parents:
            close = difflib.get_close_matches(key, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                (*FAIL_ON, index),
                f"'{key}' is not an OU key; {hint}use keys from organizational_units "
                f"({', '.join(choices)})",
            )


def fail_on_ous_are_baselined(config: LandingZoneConfig) -> Iterator[Problem]:
    """Every fail_on OU is reached by the member baseline (where the rules' readers live)."""
    targets = set(config.baseline.targets)
    if config.business_unit and not targets and config.proactive_controls.fail_on:
        # The FAIL hook reads this fork's rules bucket, which only this
        # fork's own baseline creates; the core's baseline hook is the core's.
        yield Problem(
            FAIL_ON,
            "baseline.targets is [], so this fork deploys no rules bucket and no hook (its "
            "accounts carry the core's); ask the core to list its OU above yours in its "
            "fail_on, or empty fail_on",
        )
        return
    for index, key in _first_fail_on(config):
        if key in config.tree.parents and not config.tree.reaches(targets, key):
            yield Problem(
                (*FAIL_ON, index),
                f"OU '{key}' is not reached by baseline.targets, so its accounts have no "
                "baseline hook; add it (or an OU above it) to baseline.targets, or remove it",
            )


def fail_on_not_nested(config: LandingZoneConfig) -> Iterator[Problem]:
    """No fail_on OU lies inside another (a StackSet reaches every OU below its targets)."""
    fail_on = config.proactive_controls.fail_on
    for index, key in _first_fail_on(config):
        if key in config.tree.parents:
            covered = config.tree.covering(fail_on, key)
            if covered:
                yield Problem(
                    (*FAIL_ON, index),
                    f"'{key}' is inside '{covered[0]}', which is already listed; remove it",
                )


def fail_on_needs_warn_elsewhere(config: LandingZoneConfig) -> Iterator[Problem]:
    """fail_on is empty when the baseline's hook already fails everywhere, or hooks are off."""
    proactive = config.proactive_controls
    if proactive.fail_on and (proactive.failure_mode == "FAIL" or not proactive.enabled):
        reason = (
            "failure_mode is already FAIL everywhere"
            if proactive.enabled
            else "proactive_controls.enabled is false"
        )
        yield Problem(FAIL_ON, f"{reason}; empty fail_on (it would add a second hook)")


CHECKS: tuple[Check, ...] = (
    fail_on_listed_once,
    fail_on_ous_exist,
    fail_on_ous_are_baselined,
    fail_on_not_nested,
    fail_on_needs_warn_elsewhere,
)
