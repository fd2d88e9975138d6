"""Names derived from config keys: one function each, used everywhere."""

from __future__ import annotations


def pascal(key: str) -> str:
    """``retail-prod`` -> ``RetailProd``; ``SERVICE_CONTROL_POLICY`` -> ``ServiceControlPolicy``.

    Construct ids (and so CloudFormation logical ids) derive from stable config
    keys through this function, never from display names or list positions.
    """
    parts = key.replace("_", "-").replace(".", "-").split("-")
    return "".join(part[:1].upper() + part[1:].lower() for part in parts if part)


def stack_id(prefix: str, unit: str) -> str:
    """Stack ids carry the business unit, e.g. ``Acme-Organization``."""
    return f"{prefix}-{unit}"


def tags(prefix: str) -> dict[str, str]:
    """Tags every landing-zone resource carries."""
    return {"landing-zone:prefix": prefix, "landing-zone:managed-by": "cdk-landing-zone"}
