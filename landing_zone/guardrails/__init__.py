"""Preventive guardrails as data: catalog, packs and the quota-aware packer.

Pure Python with no aws_cdk import (DESIGN.md decision 3), so policies can be
evaluated and documented without synthesizing anything.
"""
