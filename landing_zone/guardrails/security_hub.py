"""Security Hub standards a configuration policy can enable, by the short key config uses.

A configuration policy names standards by ARN, and the ARN carries the
region the policy is created in (the home region): ``arn:<partition>:
securityhub:<region>::standards/<path>``. Config names them by key so a typo
fails at synth with a suggestion instead of at deploy with "invalid ARN".
See: https://docs.aws.amazon.com/securityhub/latest/userguide/standards-reference.html
See: https://docs.aws.amazon.com/securityhub/latest/userguide/central-configuration-intro.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Standard:
    key: str
    title: str
    #: The part of the standards ARN after ``standards/``.
    path: str


STANDARDS: tuple[Standard, ...] = (
    Standard(
        "aws-foundational-security-best-practices",
        "AWS Foundational Security Best Practices v1.0.0",
        "aws-foundational-security-best-practices/v/1.0.0",
    ),
    Standard(
        "cis-aws-foundations-benchmark-v1.4.0",
        "CIS AWS Foundations Benchmark v1.4.0",
        "cis-aws-foundations-benchmark/v/1.4.0",
    ),
    Standard(
        "cis-aws-foundations-benchmark-v3.0.0",
        "CIS AWS Foundations Benchmark v3.0.0",
        "cis-aws-foundations-benchmark/v/3.0.0",
    ),
    Standard(
        "cis-aws-foundations-benchmark-v5.0.0",
        "CIS AWS Foundations Benchmark v5.0.0",
        "cis-aws-foundations-benchmark/v/5.0.0",
    ),
    Standard("nist-800-53-r5", "NIST SP 800-53 Revision 5", "nist-800-53/v/5.0.0"),
    Standard("nist-800-171-r2", "NIST SP 800-171 Revision 2", "nist-800-171/v/2.0.0"),
    Standard("pci-dss-v3.2.1", "PCI DSS v3.2.1", "pci-dss/v/3.2.1"),
    Standard("pci-dss-v4.0.1", "PCI DSS v4.0.1", "pci-dss/v/4.0.1"),
    Standard(
        "aws-resource-tagging-standard",
        "AWS Resource Tagging Standard v1.0.0",
        "aws-resource-tagging-standard/v/1.0.0",
    ),
)

BY_KEY: Mapping[str, Standard] = MappingProxyType({s.key: s for s in STANDARDS})

#: Security control ids look like ``IAM.6``, ``EC2.10``, ``CloudTrail.1``.
CONTROL_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*\.\d{1,3}$")

#: The severity labels of the AWS Security Finding Format, lowest first.
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def labels_at_or_above(label: str) -> list[str]:
    """``HIGH`` -> ``[HIGH, CRITICAL]``: EventBridge matches labels as a list of strings."""
    return list(SEVERITY_LABELS[SEVERITY_LABELS.index(label) :])


def standards_arn(path: str, *, partition: str, region: str) -> str:
    return f"arn:{partition}:securityhub:{region}::standards/{path}"
