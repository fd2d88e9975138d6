"""Guardrail packs: what the config attaches to the root or an OU.

A pack may hold SCP and RCP guardrails together; the packer splits them by
policy type. Policies attached higher up apply to every OU below, so a
guardrail belongs in exactly the pack whose target it should reach.
"""

from __future__ import annotations

from landing_zone.guardrails.model import Pack

PACKS: tuple[Pack, ...] = (
    Pack(
        id="core",
        summary="Control Tower mandatory equivalents, detection protection, root user and "
        "account hygiene. Attach at the root.",
        guardrails=(
            "protect-organization-trail",
            "protect-config-recording",
            "protect-config-rules",
            "protect-landing-zone-resources",
            "protect-privileged-roles",
            "protect-detection-services",
            "protect-backup-vault",
            "protect-remediation",
            "deny-leave-organization",
            "deny-root-user",
            "deny-root-access-keys",
            "protect-ebs-default-encryption",
            "protect-s3-account-public-access-block",
            "protect-account-settings",
            "protect-guard-hooks",
        ),
    ),
    Pack(
        id="privileged-roles",
        summary="Only protect-privileged-roles (also in core): for a business-unit fork, "
        "whose OUs the core's root does not protect against its own privileged names.",
        guardrails=("protect-privileged-roles",),
    ),
    Pack(
        id="business-unit-baseline",
        summary="For a business-unit fork that runs its own baseline: protects its own "
        "<Prefix>-* roles, functions, topics, queues, log groups and rules and its backup "
        "vault and key, which the core's root packs protect only under the core's prefix. "
        "Attach to the OUs in baseline.targets (or above them).",
        guardrails=("protect-landing-zone-resources", "protect-backup-vault"),
    ),
    Pack(
        id="region-deny",
        summary="Deny ungoverned regions (regions.governed), global services exempt.",
        guardrails=("region-deny",),
    ),
    Pack(
        id="log-archive",
        summary="Protect the log-archive buckets and their objects. Attach where the "
        "log-archive account lives (Security), or at the root.",
        guardrails=("protect-log-archive-buckets",),
    ),
    Pack(
        id="data-perimeter",
        summary="RCPs: organization-only access to S3, KMS, SQS, Secrets Manager and STS "
        "resources; TLS-only S3.",
        guardrails=("rcp-identity-perimeter", "rcp-enforce-tls"),
    ),
    Pack(
        id="workload",
        summary="Baseline for every workload OU: IMDSv2 on new instances.",
        guardrails=("require-imdsv2",),
    ),
    Pack(
        id="production",
        summary="Stricter than workload: IMDSv2, and no RAM shares outside the organization.",
        guardrails=("require-imdsv2", "deny-external-resource-shares"),
    ),
    Pack(
        id="identity-center-only",
        summary="Opt-in: no IAM users or access keys, for organizations that sign in only "
        "through IAM Identity Center.",
        guardrails=("deny-iam-users-and-access-keys",),
    ),
    Pack(
        id="sandbox",
        summary="No long-term commitments; only the instance types in "
        "guardrails.sandbox_instance_types.",
        guardrails=("deny-long-term-commitments", "sandbox-instance-types"),
    ),
    Pack(
        id="ct-network",
        summary="Opt-in, Control Tower electives: no internet gateways or default VPCs, no "
        "peering, CloudFront or Global Accelerator, no VPN. For OUs behind a central network "
        "hub.",
        guardrails=(
            "deny-vpc-internet-access",
            "deny-cross-region-networking",
            "deny-vpn-connections",
        ),
    ),
    Pack(
        id="ct-data",
        summary="Opt-in, Control Tower data controls: no S3 replication, no unencrypted EBS "
        "snapshots or attachments, no public snapshots, no VM Import/Export, KMS lockout and "
        "grant safety.",
        guardrails=(
            "deny-s3-replication",
            "require-encrypted-ebs",
            "deny-public-ebs-snapshots",
            "deny-vm-import-export",
            "kms-key-safety",
        ),
    ),
    Pack(
        id="ct-s3-settings",
        summary="Opt-in: bucket policy, encryption, logging and lifecycle changeable only by "
        "the privileged roles, for OUs whose buckets only the pipeline provisions.",
        guardrails=("freeze-s3-bucket-settings",),
    ),
    Pack(
        id="ct-compute",
        summary="Opt-in, Control Tower compute and deployment controls: IAM-authenticated "
        "Lambda function URLs, private AppSync APIs, no CloudFormation registry changes.",
        guardrails=(
            "deny-public-lambda-urls",
            "deny-public-appsync-apis",
            "protect-cloudformation-registry",
        ),
    ),
    Pack(
        id="suspended",
        summary="Deny everything except the privileged roles.",
        guardrails=("deny-all-suspended",),
    ),
)

PACK_IDS: tuple[str, ...] = tuple(pack.id for pack in PACKS)
BY_ID: dict[str, Pack] = {pack.id: pack for pack in PACKS}
