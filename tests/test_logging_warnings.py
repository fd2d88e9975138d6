"""Logging settings that validate but deserve a warning."""

from __future__ import annotations

from pathlib import Path

from tests.test_config_warnings import quiet, warnings_of


def test_cloudtrail_lake_warns_that_it_is_closed_to_new_customers(tmp_path: Path) -> None:
    path = quiet(tmp_path)
    path.write_text(
        path.read_text() + "organization_trail:\n  cloudtrail_lake:\n    enabled: true\n"
    )
    (warning,) = warnings_of(path)
    assert "organization_trail.cloudtrail_lake.enabled" in warning
    assert "closed to new customers since 2026-05-31" in warning


def test_cloudtrail_lake_off_is_quiet(tmp_path: Path) -> None:
    path = quiet(tmp_path)
    path.write_text(
        path.read_text() + "organization_trail:\n  cloudtrail_lake:\n    enabled: false\n"
    )
    assert warnings_of(path) == []
