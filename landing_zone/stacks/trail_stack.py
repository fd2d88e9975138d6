"""The organization trail and the CIS monitoring alarms on it (management account)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.constructs.break_glass import BreakGlassAlarm
from landing_zone.constructs.monitoring import (
    AlarmTopic,
    CisAlarms,
    MonitoringKey,
    alarm_publisher,
)
from landing_zone.constructs.organization_trail import OrganizationTrail
from landing_zone.guardrails.cis_alarms import CIS_ALARMS
from landing_zone.naming import break_glass_role_name, resource_name, trail_log_group_arn
from landing_zone.references import LogArchiveRef


class TrailStack(Stack):
    """Organization trail, its log group, the alarm topic and the CIS alarms.

    Deploys in the management account, home region, after the log archive:
    CreateTrail checks that the bucket policy and the key policy already let
    CloudTrail write, so ``app.py`` makes this stack depend on the log
    archive's StackSet, which completes only once its stack instance has.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        log_archive: LogArchiveRef,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = config.prefix
        if log_archive.bucket_name is None:
            raise ValueError("the organization trail delivers into a core fork's own log archive")

        self.key = MonitoringKey(
            self,
            "MonitoringKey",
            prefix=prefix,
            log_group_arns=[
                trail_log_group_arn(
                    partition=config.partition,
                    region=config.regions.home,
                    account=config.organization.management_account_id,
                    prefix=prefix,
                )
            ],
        )
        self.trail = OrganizationTrail(
            self,
            "OrganizationTrail",
            prefix=prefix,
            config=config.organization_trail,
            bucket_name=log_archive.bucket_name,
            key_arn=log_archive.key_arn,
            log_group_key=self.key.key,
            # Data events on the log archive itself would log every delivery.
            excluded_bucket_names=log_archive.bucket_names,
        )
        self.topic = AlarmTopic(
            self,
            "AlarmTopic",
            topic_name=resource_name(prefix, "SecurityAlarms"),
            display_name=f"{prefix} landing zone security alarms",
            key=self.key.key,
            emails=config.monitoring.alarm_emails,
            publisher=alarm_publisher(self),
        )
        # CIS AWS Foundations v3.0 section 4, one row per control.
        self.cis_alarms = CisAlarms(
            self,
            "CisAlarms",
            prefix=prefix,
            log_group=self.trail.log_group,
            topic=self.topic.topic,
            alarms=CIS_ALARMS,
            disabled=config.monitoring.disabled_cis_alarms,
        )
        # Every use of a break-glass role, in any account (docs/identity.md).
        if config.identity.break_glass:
            self.break_glass_alarm = BreakGlassAlarm(
                self,
                "BreakGlassAlarm",
                prefix=prefix,
                role_names=[
                    break_glass_role_name(prefix, key) for key in config.identity.break_glass
                ],
                log_group=self.trail.log_group,
                topic=self.topic.topic,
                key=self.key.key,
            )
