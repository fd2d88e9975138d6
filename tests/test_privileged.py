"""Privileged principals: nobody can make themselves one; unprotectable patterns are refused.

Every guardrail exempts principals by ``aws:PrincipalArn``. The property
proven here, on the example, the business-unit example and generated
configs: for every principal pattern any synthesized SCP exempts, a
workload admin in any OU is denied every action that would create a role
matching it or change one (trust, policies, boundary, tags, deletion), while
the privileged principals and the StackSets keep those rights.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.config.guardrails import guardrail_inputs
from landing_zone.config.privileged import MIN_LITERAL_PREFIX, unprotectable
from landing_zone.guardrails.catalog import ROLE_PROTECTION_ACTIONS
from landing_zone.guardrails.evaluate import FULL_ACCESS, Request, evaluate
from landing_zone.guardrails.packer import plan_guardrails
from tests.conftest import EXAMPLE
from tests.variants import BUSINESS_UNIT, problems_of, variant

ACCOUNT = "222222222222"
ORG = "o-a1b2c3d4e5"
FULL = FULL_ACCESS["SERVICE_CONTROL_POLICY"]
EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())


def scp_levels(config: LandingZoneConfig) -> dict[str, list[list[dict[str, Any]]]]:
    """Per OU: the SCPs of each level of its path, then the account's own level."""
    policies: dict[str, list[dict[str, Any]]] = {}
    for policy in plan_guardrails(config).policies:
        if policy.kind == "scp":
            policies.setdefault(policy.target, []).append(json.loads(policy.content))
    return {
        ou: [*([FULL, *policies.get(level, [])] for level in path), [FULL]]
        for ou, path in config.tree.paths().items()
        if ou != "root"
    }


def exempted_patterns(config: LandingZoneConfig) -> set[str]:
    """Every principal ARN pattern an SCP statement exempts."""
    found: set[str] = set()
    for policy in plan_guardrails(config).policies:
        for statement in json.loads(policy.content)["Statement"]:
            exempt = statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn")
            if exempt is not None:
                found.update([exempt] if isinstance(exempt, str) else exempt)
    return found


def role_matching(pattern: str, *, account: str = ACCOUNT) -> str:
    """A concrete role ARN the pattern matches, in ``account`` when the pattern allows any."""
    prefix, pattern_account, resource = pattern.rsplit(":", 2)[0], *pattern.rsplit(":", 2)[1:]
    chosen = account if pattern_account == "*" else pattern_account
    return f"{prefix}:{chosen}:{resource.replace('*', 'x').replace('?', 'x')}"


def request(*, principal: str, action: str, resource: str) -> Request:
    context = {
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": principal.split(":")[4],
        "aws:PrincipalOrgID": ORG,
        "aws:PrincipalIsAWSService": "false",
        "aws:RequestedRegion": "us-east-1",
    }
    return Request(action=action, resource=resource, context=context)


def escalations(config: LandingZoneConfig) -> list[str]:
    """``ou action resource`` for every role change a workload admin is NOT denied."""
    admin = f"arn:aws:iam::{ACCOUNT}:role/WorkloadAdmin"
    levels = scp_levels(config)
    found = []
    for pattern in sorted(exempted_patterns(config)):
        role = role_matching(pattern)
        for ou, path_levels in levels.items():
            for action in ROLE_PROTECTION_ACTIONS:
                asked = request(principal=admin, action=action, resource=role)
                if evaluate(path_levels, asked) != "deny":
                    found.append(f"{ou} {action} {role}")
    return found


def privileged_denied(config: LandingZoneConfig) -> list[str]:
    """``ou action`` for every role change a privileged principal is denied on its own name."""
    levels = scp_levels(config)
    found = []
    for arn in guardrail_inputs(config).privileged_arns:
        role = role_matching(arn)
        for ou, path_levels in levels.items():
            for action in ROLE_PROTECTION_ACTIONS:
                asked = request(principal=role, action=action, resource=role)
                if evaluate(path_levels, asked) == "deny":
                    found.append(f"{ou} {action} {role}")
    return found


@pytest.mark.parametrize("path", [EXAMPLE, BUSINESS_UNIT], ids=["example", "business-unit"])
def test_no_principal_can_take_a_privileged_name_in_any_ou(path: Path) -> None:
    config = load_config(path)
    patterns = exempted_patterns(config)
    # The example's own names, the StackSets and the detection handler at least.
    # identity.break_glass (example) or the core's, listed (business unit).
    assert "arn:aws:iam::*:role/Acme-BreakGlass-Primary" in patterns
    assert "arn:aws:iam::*:role/stacksets-exec-*" in patterns
    assert escalations(config) == []
    assert privileged_denied(config) == []


def test_the_example_pins_the_account_of_a_role_that_lives_in_one() -> None:
    config = load_config(EXAMPLE)
    assert config.privileged_principals["ccoe-deployment"].arn.startswith(
        f"arn:aws:iam::{config.organization.management_account_id}:role/"
    )


def test_the_check_fails_without_the_protection(tmp_path: Path) -> None:
    """The escalation the protection closes is real: drop it and a workload admin gets through."""
    config = load_config(EXAMPLE)
    unprotected = config.model_copy(
        update={
            "guardrails": config.guardrails.model_copy(
                update={
                    "attachments": {
                        **config.guardrails.attachments,
                        "root": ["region-deny", "data-perimeter"],
                    }
                }
            )
        }
    )
    assert any("Acme-BreakGlass-Primary" in line for line in escalations(unprotected))


# ---- patterns that cannot be protected -------------------------------------------

REFUSED = {
    "arn:aws:iam::*:role/*": "every role in the account",
    "arn:aws:iam::111111111111:role/Admin*": "starts with 'Admin'",
    "arn:aws:iam::*:role/Acme?reakGlass": "starts with 'Acme'",
    "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*": (
        "Identity Center"
    ),
    "arn:aws:iam::*:role/aws-service-role/guardduty.amazonaws.com/x": "service-linked",
    # Wildcards that reach the reserved paths without spelling them out.
    "arn:aws:iam::*:role/aws-reserved*": "Identity Center",
    "arn:aws:iam::*:role/aws-reserved?sso.amazonaws.com/*": "Identity Center",
    "arn:aws:iam::*:role/aws-reserv*": "Identity Center",
    "arn:aws:iam::*:role/aws-service-role*": "service-linked",
    "arn:aws:iam::111111111111:user/alice": "IAM users cannot be privileged",
    "arn:aws:iam::111111111111:root": "root user cannot be exempt",
    "arn:aws:iam::*:group/Admins": "only IAM roles",
    "arn:aws:sts::111111111111:assumed-role/AcmeBreakGlass/alice": "role's ARN",
    "arn:aws:iam::1111:role/AcmeBreakGlass": "12-digit account id",
    "arn:aws:s3:::AcmeBreakGlass": "not an IAM role ARN",
    "arn:aws:iam::*:role/Acme Break Glass": "not a valid role name",
    "AcmeBreakGlass": "not an IAM role ARN",
}


@pytest.mark.parametrize("arn", sorted(REFUSED))
def test_unprotectable_patterns_are_refused_with_the_reason(tmp_path: Path, arn: str) -> None:
    path = variant(
        BUSINESS_UNIT,
        tmp_path,
        replace=[("arn:aws:iam::*:role/Acme-BreakGlass-Primary", json.dumps(arn))],
    )
    (line,) = problems_of(path)
    assert "privileged_principals.break-glass.arn:" in line
    assert REFUSED[arn] in line


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111111111111:role/AcmeBreakGlass",
        "arn:aws:iam::*:role/stacksets-exec-*",
        "arn:aws:iam::*:role/acme-ccoe/*",
        "arn:aws-us-gov:iam::*:role/AcmeCCoE-Deploy*",
    ],
)
def test_protectable_patterns_pass(arn: str) -> None:
    assert unprotectable(arn) is None


def test_exemptions_without_the_protection_are_refused(tmp_path: Path) -> None:
    path = variant(EXAMPLE, tmp_path, replace=[("root: [core, region-deny", "root: [region-deny")])
    assert any(
        "guardrails.attachments.root: region-deny exempt the privileged principals" in line
        and "attach the core pack to root" in line
        for line in problems_of(path)
    )


def test_a_business_unit_fork_must_protect_its_own_ous(tmp_path: Path) -> None:
    path = variant(BUSINESS_UNIT, tmp_path, replace=[("    logistics: [privileged-roles]\n", "")])
    assert any(
        "guardrails.attachments.logistics-prod:" in line
        and "attach the privileged-roles pack to this fork's top OU" in line
        for line in problems_of(path)
    )


# ---- generated configs -----------------------------------------------------------

_NAME_CHARACTERS = string.ascii_letters + string.digits + "+=,.@_-"
names = st.text(_NAME_CHARACTERS, min_size=MIN_LITERAL_PREFIX, max_size=24)
paths = st.sampled_from(["", "ccoe/", "platform/team/"])
accounts = st.sampled_from(["*", "111111111111", ACCOUNT, "444444444444"])
privileged = st.builds(
    lambda account, path, name, wildcard: f"arn:aws:iam::{account}:role/{path}{name}{wildcard}",
    accounts,
    paths,
    names,
    st.sampled_from(["", "*", "?x*"]),
)
# Packs that exempt the privileged principals, placed on random OUs below a
# protected root; the root itself keeps core.
packs = st.lists(
    st.sampled_from(["region-deny", "workload", "production", "sandbox", "log-archive"]),
    max_size=3,
    unique=True,
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    principals=st.lists(privileged, min_size=1, max_size=4, unique=True),
    placements=st.dictionaries(
        st.sampled_from(["security", "sandbox", "workloads", "prod", "retail-sdlc"]),
        packs,
        max_size=4,
    ),
)
def test_generated_privileged_principals_cannot_be_taken(
    principals: list[str], placements: dict[str, list[str]]
) -> None:
    data = json.loads(json.dumps(EXAMPLE_DATA))
    data["privileged_principals"] = {
        f"principal-{index}": {"arn": arn, "reason": "Generated privileged principal"}
        for index, arn in enumerate(principals)
    }
    data["guardrails"]["attachments"] = {"root": ["core"], **placements}
    config = LandingZoneConfig.model_validate(data)
    assert escalations(config) == []
    assert privileged_denied(config) == []
