"""The log archive: a StackSet from the management account into the log-archive account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from landing_zone.config import LandingZoneConfig
from landing_zone.config.guardrails import privileged_arns
from landing_zone.constructs.log_archive import LogArchiveBuckets, LogArchiveKey, LogArchiveTrust
from landing_zone.constructs.organization_trail import organization_trail_arn
from landing_zone.constructs.remediation import remediation_function_role_arn
from landing_zone.constructs.stack_set import (
    OperationPreferences,
    ServiceManagedStackSet,
    StackSetTemplate,
)
from landing_zone.naming import stack_id
from landing_zone.references import LogArchiveRef, core_outputs


class LogArchiveTemplate(StackSetTemplate):
    """KMS key, log, Config and access-log buckets (log-archive account, home region)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: LandingZoneConfig) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"{config.prefix} landing zone: log archive key and buckets "
            "(deployed by the management account's StackSet)",
        )
        # The audit account may be created in the same deployment, so its id
        # arrives as a StackSet parameter rather than a literal.
        reader = self.parameter(
            "ReaderAccountId",
            description="Account that may read and decrypt the logs (the audit account)",
            pattern=r"^\d{12}$",
        )
        trust = LogArchiveTrust(
            partition=config.partition,
            organization_id=config.organization.id,
            management_account_id=config.organization.management_account_id,
            trail_arn=organization_trail_arn(
                partition=config.partition,
                region=config.regions.home,
                account=config.organization.management_account_id,
                prefix=config.prefix,
            ),
            reader_account_id=reader,
            privileged_principal_arns=list(privileged_arns(config)),
            governed_regions=tuple(config.regions.governed),
            remediation_writer_arn=remediation_function_role_arn(
                prefix=config.prefix, partition=config.partition, audit_account_id=reader
            )
            if config.remediation.enabled
            else None,
        )
        self.key = LogArchiveKey(self, "Key", prefix=config.prefix, trust=trust)
        self.buckets = LogArchiveBuckets(
            self,
            "Buckets",
            prefix=config.prefix,
            config=config.log_archive,
            key=self.key.key,
            trust=trust,
        )


class LogArchiveStack(Stack):
    """Deploys the log archive into the log-archive account (management account, home region).

    One StackSet instance: the root as the OU target intersected with the
    log-archive account, so it reaches the account wherever it sits in the
    tree. Auto-deployment is off: no other account must get these buckets.

    Its outputs are what business-unit forks copy into their ``core`` section
    (``references.core_outputs``), each exported as ``<prefix>-<output>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LandingZoneConfig,
        log_archive: LogArchiveRef,
        audit_account_id: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.template = LogArchiveTemplate(self, "Template", config=config)
        self.stack_set = ServiceManagedStackSet(
            self,
            "StackSet",
            stack_set_name=stack_id(config.prefix, "LogArchive"),
            description=f"{config.prefix} landing zone: log archive key and buckets",
            template=self.template,
            organizational_unit_ids=[config.organization.root_id],
            accounts=[log_archive.account_id],
            regions=[config.regions.home],
            auto_deployment=False,
            parameters={"ReaderAccountId": audit_account_id},
            operation_preferences=OperationPreferences(region_concurrency="SEQUENTIAL"),
        )
        # Named outputs rather than the summary alone: once deployed, the values
        # (the created accounts' ids among them) are one describe-stacks or
        # list-exports away. Export names are unique per account and region,
        # which the prefix ensures; no stack imports them, so nothing pins them.
        # See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html
        for output in core_outputs(log_archive, audit_account_id=audit_account_id):
            CfnOutput(
                self,
                output.name,
                value=output.value,
                description=output.description,
                export_name=stack_id(config.prefix, output.name),
            )
