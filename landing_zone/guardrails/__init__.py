"""Guardrails as data: pure Python, no aws_cdk import (docs/architecture.md says why).

- ``model``: what a guardrail, a statement and a pack are; rendering to IAM JSON.
- ``catalog``: every SCP and RCP guardrail, with its controls and rationale.
- ``packs``: named sets of guardrails the config attaches to the root or OUs.
- ``packer``: packs each target's guardrails into policies that fit the quotas.
- ``evaluate``: an SCP/RCP evaluator the case-table tests run requests through.
- ``docs``: generates docs/guardrails.md (``make docs``).
"""
