"""The review sections of `make synth`'s summary, each on the example, a named variant and a
business unit, and each following its source when the config changes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from landing_zone.cli import summary
from landing_zone.config import CoreReference, LandingZoneConfig, load_config
from landing_zone.config.organization import CoreLogArchiveReference
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.naming import stack_id
from landing_zone.references import LogArchiveRef, core_outputs
from landing_zone.review import (
    WIDTH,
    core_reference_lines,
    guardrail_lines,
    manual_step_lines,
    one_way_lines,
    privileged_lines,
)
from tests.conftest import EXAMPLE, Synth
from tests.variants import (
    BASELINE_OFF,
    BUSINESS_UNIT,
    EVERYTHING,
    MINIMAL,
    everything_off,
    minimal_variant,
    variant,
)

# ---- 1. guardrails per OU -----------------------------------------------------------


def guardrails_of(config: LandingZoneConfig) -> dict[str, str]:
    """Target -> its entry in guardrail_lines (wrapped lines joined), in the order printed."""
    lines = guardrail_lines(config, plan_guardrails(config))
    assert lines[0].startswith("Guardrails per OU")
    targets = set(config.tree.paths())
    found: dict[str, str] = {}
    key = None
    for line in lines[1:]:
        match = re.match(r"^ +([a-z0-9-]+)( \[[^]]*\])?: ", line)
        if match and match[1] in targets:
            key = match[1]
            found[key] = line.strip()
        elif key is not None:
            found[key] += " " + line.strip()
    return found


def test_every_ou_of_the_example_has_one_entry_in_tree_order() -> None:
    config = load_config(EXAMPLE)
    found = guardrails_of(config)
    assert list(found) == list(config.tree.paths())
    assert found["root"].startswith(
        "root [core, region-deny, data-perimeter]: SCP protect-organization-trail, "
    )
    assert found["root"].endswith("region-deny; RCP rcp-identity-perimeter, rcp-enforce-tls")
    assert found["infrastructure"] == "infrastructure: + inherited from root"
    # production's require-imdsv2 is workload's, applied once at Workloads.
    assert found["prod"] == (
        "prod [production]: SCP require-imdsv2 (from workloads), deny-external-resource-shares; "
        "+ inherited from workloads, root"
    )
    assert found["sdlc"] == "sdlc: + inherited from workloads, root"


def test_the_entries_name_exactly_what_the_packer_attaches() -> None:
    """Each guardrail listed unmarked on a target is in one of that target's policies."""
    config = load_config(EXAMPLE)
    plan = plan_guardrails(config)
    for target, entry in guardrails_of(config).items():
        listed = set(re.findall(r"([a-z0-9-]+)(?= \(from|,|;|$)", entry.split(": ", 1)[1]))
        marked = set(re.findall(r"([a-z0-9-]+) \(from", entry))
        applied = {g for p in plan.policies if p.target == target for g in p.guardrails}
        assert listed - marked - {"root"} - set(config.tree.paths()) == applied, target


def test_the_entries_add_up_to_what_the_synthesized_policies_apply(
    organization_template: dict[str, Any],
) -> None:
    """An OU's own entry plus those it names as inherited: every guardrail on it, no other.

    What applies is read from the template: the policies' TargetIds and their
    documents (each the document of one packed policy, which names its guardrails).
    """
    from tests.test_guardrail_cases import attached_policies

    config = load_config(EXAMPLE)
    carried = {
        json.dumps(json.loads(p.content), sort_keys=True): p.guardrails
        for p in plan_guardrails(config).policies
    }
    on_target: dict[str, set[str]] = {}
    for (target, _), documents in attached_policies(organization_template).items():
        for document in documents:
            on_target.setdefault(target, set()).update(
                carried[json.dumps(document, sort_keys=True)]
            )
    entries = guardrails_of(config)
    # "prod [production]: SCP a (from workloads), b; + inherited from workloads, root"
    own = {
        target: entry.split(": ", 1)[1].split("+ inherited")[0] for target, entry in entries.items()
    }
    listed = {t: set(re.findall(r"(?:SCP |RCP |, )([a-z0-9-]+)", text)) for t, text in own.items()}
    for target, path in config.tree.paths().items():
        named = re.findall(r"\+ inherited from (.*)$", entries[target])
        inherited = named[0].split(", ") if named else []
        assert inherited == [a for a in reversed(path[:-1]) if a in on_target], target
        shown = listed[target].union(*(listed[a] for a in inherited))
        assert shown == set().union(*(on_target.get(a, set()) for a in path)), target


def test_minimal_and_business_unit_entries() -> None:
    minimal = guardrails_of(load_config(MINIMAL))
    assert minimal["prod"] == "prod: + inherited from root"
    unit = guardrails_of(load_config(BUSINESS_UNIT))
    assert (
        unit["root"]
        == "root: stands for the core's ou-a1b2-w0rkl0ad and above (see the core's summary)"
    )
    assert unit["logistics-sdlc"] == (
        "logistics-sdlc: + inherited from logistics, the core's ou-a1b2-w0rkl0ad and above "
        "(see the core's summary)"
    )


def test_a_pack_attached_to_an_ou_appears_there_and_marked_below(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="guardrails:\n  attachments:\n    root: [core]\n    workloads: [workload]\n"
        "    prod: [production]\n",
    )
    found = guardrails_of(load_config(path))
    assert found["workloads"] == "workloads [workload]: SCP require-imdsv2; + inherited from root"
    assert found["prod"] == (
        "prod [production]: SCP require-imdsv2 (from workloads), deny-external-resource-shares; "
        "+ inherited from workloads, root"
    )
    assert found["sdlc"] == "sdlc: + inherited from workloads, root"


def test_nothing_attached_says_so(tmp_path: Path) -> None:
    found = guardrails_of(load_config(everything_off(tmp_path)))
    assert found["root"] == "root: nothing attached"
    assert found["prod"] == "prod: nothing attached"


def test_fifty_business_units_stay_one_entry_per_ou_within_the_width(large_config: Path) -> None:
    config = load_config(large_config)
    lines = guardrail_lines(config, plan_guardrails(config))
    units = sum(1 for _ in config.walk_units())
    assert max(len(line) for line in lines) <= WIDTH
    # The root's 15 guardrails wrap; every other OU takes at most two lines.
    assert len(lines) <= 2 * units + 8, len(lines)
    assert len(guardrails_of(config)) == units + 1


# ---- 2. privileged principals -----------------------------------------------------------


def privileged_text(config: LandingZoneConfig) -> str:
    return "\n".join(privileged_lines(config, plan_guardrails(config)))


def exempted_arns(config: LandingZoneConfig) -> set[str]:
    """Every aws:PrincipalArn an ArnNotLike of the packed policies names."""
    arns: set[str] = set()
    for policy in plan_guardrails(config).policies:
        for statement in json.loads(policy.content)["Statement"]:
            arns.update(
                statement.get("Condition", {}).get("ArnNotLike", {}).get("aws:PrincipalArn", [])
            )
    return arns


@pytest.mark.parametrize(
    "path", [EXAMPLE, MINIMAL, BUSINESS_UNIT], ids=["example", "minimal", "business-unit"]
)
def test_every_exempted_principal_of_the_policies_is_listed(path: Path) -> None:
    config = load_config(path)
    text = privileged_text(config)
    arns = exempted_arns(config)
    assert arns
    for arn in arns:
        assert arn in text, arn


def test_the_example_names_the_automatic_principals_and_what_binds_them() -> None:
    text = " ".join(privileged_text(load_config(EXAMPLE)).split())
    assert text.startswith(
        "Privileged principals (exempt from 19 of the 25 guardrails attached; bound like "
        "everyone by deny-leave-organization, deny-root-access-keys, deny-root-user, "
        "rcp-identity-perimeter, rcp-enforce-tls, require-imdsv2):"
    )
    assert (
        "organization-access arn:aws:iam::*:role/OrganizationAccountAccessRole (every "
        "account: Role Organizations creates" in text
    )
    assert (
        "break-glass primary arn:aws:iam::*:role/Acme-BreakGlass-Primary (every account; "
        "automatic: identity.break_glass.primary" in text
    )
    assert "StackSets arn:aws:iam::*:role/stacksets-exec-* (every member account; automatic" in text
    assert (
        "also exempt from protect-detection-services only: "
        "arn:aws:iam::*:role/Acme-DetectionHandler-*" in text
    )
    assert "WARNING" not in text


def test_an_added_principal_appears_and_a_broad_one_is_flagged(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        replace=(
            "privileged_principals:\n",
            "privileged_principals:\n  pipeline:\n"
            "    arn: arn:aws:iam::111111111111:role/TinyPipelineDeploy\n"
            "    reason: Deploys the workloads' shared pipeline\n",
        ),
    )
    text = " ".join(privileged_text(load_config(path)).split())
    assert "pipeline arn:aws:iam::111111111111:role/TinyPipelineDeploy (Deploys the" in text
    # The minimal fixture's own arn:aws:iam::*:role/TinyCCoE has no every_account.
    assert "WARNING broad: ccoe: a wildcard in the account exempts a role" in text
    assert "WARNING broad: pipeline" not in text


def test_root_sessions_are_named_with_the_guardrail_that_lets_them_through(
    tmp_path: Path,
) -> None:
    # deny-root-user denies the root user only while aws:AssumedRoot is false.
    text = " ".join(privileged_text(load_config(EXAMPLE)).split())
    assert (
        "root sessions (sts:AssumeRoot from the management account or IAM's delegated "
        "administrator, aws:AssumedRoot true) are exempt from deny-root-user; a root user "
        "signing in with a password or access key is not" in text
    )
    # No pack carrying deny-root-user, no such line.
    assert "root sessions" not in privileged_text(load_config(everything_off(tmp_path)))


def test_a_compliance_lock_does_not_let_the_privileged_delete_locked_trail_logs(
    tmp_path: Path,
) -> None:
    text = " ".join(
        privileged_text(load_config(minimal_variant(tmp_path, append=EVERYTHING))).split()
    )
    assert "bypass GOVERNANCE retention" not in text
    assert (
        "let the same principals delete log versions (in the trail's Object Lock bucket only "
        "once their COMPLIANCE retention of 400 days has passed: nobody can before) and change "
        "those policies" in text
    )
    governance = " ".join(privileged_text(load_config(MINIMAL)).split())
    assert (
        "delete log versions, bypass GOVERNANCE retention and change those policies" in governance
    )


def test_a_business_unit_counts_only_its_own_guardrails_and_points_to_the_core() -> None:
    text = " ".join(privileged_text(load_config(BUSINESS_UNIT)).split())
    assert text.startswith(
        "Privileged principals (exempt from 3 of the 4 guardrails this fork attaches; bound like "
        "everyone by require-imdsv2):"
    )
    assert (
        "the core's guardrails (from its root down to ou-a1b2-w0rkl0ad) bind these OUs too and "
        "exempt the core's privileged principals: see the core's summary" in text
    )
    # The core's own root guardrails, not this plan's, hold deny-root-user.
    assert "root sessions" not in text
    assert "log archive's bucket" not in text


def test_without_guardrails_nobody_is_exempt_from_anything(tmp_path: Path) -> None:
    text = privileged_text(load_config(everything_off(tmp_path)))
    assert text.startswith("Privileged principals (no guardrail is attached")


# ---- 3. one-way settings ----------------------------------------------------------------


def one_way(config: LandingZoneConfig) -> str:
    return " ".join(" ".join(one_way_lines(config)).split())


def test_the_example_lists_its_one_way_settings_with_their_values() -> None:
    text = one_way(load_config(EXAMPLE))
    for expected in (
        "- log_archive.object_lock: GOVERNANCE 365 days: only the privileged principals",
        "the log bucket keeps Object Lock and versioning for good",
        "- log_archive.expiration_days: 365: log objects are deleted after 365 days, S3 access "
        "logs after 365",
        "- organization_trail.log_group_retention_days: 365:",
        "- organization_features: 7 policy types (SERVICE_CONTROL_POLICY, "
        "RESOURCE_CONTROL_POLICY, TAG_POLICY, BACKUP_POLICY, DECLARATIVE_POLICY_EC2, "
        "AISERVICES_OPT_OUT_POLICY, S3_POLICY) "
        "and 14 trusted services stay enabled",
        "- identity.root_access.enabled: true:",
        "- detection: GuardDuty, Security Hub, Config aggregator, Access Analyzer, Inspector, "
        "Detective on:",
        "- identity.break_glass (primary): removing the last role leaves Acme-BreakGlass",
        "- identity.identity_center: removing the section leaves Acme-IdentityCenter",
        "- accounts: 10 created by this config; none is ever closed",
    ):
        assert expected in text, expected
    assert "CloudTrail Lake" not in text
    assert "remove_default_vpc" not in text


def test_compliance_lock_and_other_values_follow_the_config(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        # EVERYTHING ends inside its baseline section.
        append=EVERYTHING + "  remove_default_vpc: true\n"
        "organization_trail:\n  log_group_retention_days: 731\n"
        "  cloudtrail_lake:\n    enabled: true\n    retention_days: 2557\n",
    )
    text = one_way(load_config(path))
    assert (
        "- log_archive.object_lock: COMPLIANCE 400 days: nobody, not the privileged principals "
        "nor the root user, can delete a log version or shorten its retention before 400 days"
        in text
    )
    assert "- log_archive.expiration_days: 400:" in text
    assert "- baseline.backup.vault_lock: compliance: 3 days after the first deploy nobody" in text
    assert "- organization_trail.log_group_retention_days: 731:" in text
    assert "- organization_trail.cloudtrail_lake.retention_days: 2557:" in text
    assert "the monitoring key, the CloudTrail Lake event data store:" in text
    assert "- detection: GuardDuty, Security Hub, Config aggregator, Access Analyzer, " in text
    assert "Macie" in text
    assert "- baseline.remove_default_vpc: true:" in text


def test_baseline_off_and_business_unit_list_only_what_they_own(tmp_path: Path) -> None:
    off = one_way(load_config(minimal_variant(tmp_path, append=BASELINE_OFF)))
    assert "remove_default_vpc" not in off
    assert "- accounts: 2 created by this config" in off
    removing = minimal_variant(tmp_path, append=BASELINE_OFF + "  remove_default_vpc: true\n")
    assert "- baseline.remove_default_vpc: true:" in one_way(load_config(removing))
    unit = one_way(load_config(BUSINESS_UNIT))
    assert unit.startswith("One-way settings")
    assert "log_archive" not in unit
    assert "organization_features" not in unit
    assert "- accounts: 2 created by this config" in unit


# ---- 4. manual steps --------------------------------------------------------------------


def steps(config: LandingZoneConfig) -> str:
    return "\n".join(manual_step_lines(config))


def test_the_example_needs_identity_center_break_glass_adoption_and_emails() -> None:
    text = steps(load_config(EXAMPLE))
    for expected in (
        "  4. Enable IAM Identity Center (organization instance) in eu-west-1",
        "aws-platform-admins, aws-developers, aws-security-auditors, aws-finops",
        "  5. Create the break-glass trusted principals",
        "       arn:aws:iam::111111111111:role/AcmeSecurityOncall",
        "       210987654321 (Acme-Payments-API-Prod) -> payments-prod",
        "  7. Delete the root credentials the adopted accounts",
        "       security-alerts@acme.example (security alarms)",
        "       security-findings@acme.example (findings alerts)",
    ):
        assert expected in text, expected
    assert "Slack" not in text


def test_minimal_and_business_unit_need_only_their_own_steps() -> None:
    minimal = steps(load_config(MINIMAL))
    assert "Identity Center" not in minimal
    assert "break-glass" not in minimal
    assert "       222222222222 (Tiny-Audit) -> security" in minimal
    # No alarm or findings recipients: nothing to confirm.
    assert "email subscription" not in minimal
    unit = steps(load_config(BUSINESS_UNIT))
    assert "aws://111111111111/eu-west-1" in unit
    assert "eu-central-1" not in unit
    assert "444444444444 (AcmeLogistics-Warehouse-Data) -> logistics-prod" in unit
    assert "logistics-security@acme.example (findings alerts)" in unit
    # Centralized root access is the core's.
    assert "root credentials" not in unit


def test_a_business_unit_is_told_to_bootstrap_its_home_region_only() -> None:
    # Its stacks all deploy to the management account's home region; the
    # core's baseline, one stack per governed region, is the core's.
    unit = steps(load_config(BUSINESS_UNIT))
    assert "every governed region" not in unit
    assert (
        "  2. Bootstrap CDK in the management account in the home region (every stack\n"
        "     of a business unit deploys there; member accounts are never bootstrapped,\n"
        "     they get everything through service-managed StackSets):\n"
        "       npx cdk bootstrap aws://111111111111/eu-west-1\n" in unit
    )
    assert "  2. Bootstrap CDK in the management account in every governed region (its\n" in steps(
        load_config(EXAMPLE)
    )


def test_slack_and_an_identity_center_region_outside_the_governed_add_steps(
    tmp_path: Path,
) -> None:
    text = steps(load_config(minimal_variant(tmp_path, append=EVERYTHING)))
    assert "Authorize the Slack workspace T0123ABCD in the AWS Chatbot console of" in text
    assert "a@tiny.example (findings alerts)" in text
    path = variant(
        EXAMPLE, tmp_path, replace=[("    region: eu-west-1\n", "    region: us-west-2\n")]
    )
    text = steps(load_config(path))
    assert "npx cdk bootstrap aws://111111111111/us-west-2   # Identity Center's region" in text
    assert "Enable IAM Identity Center (organization instance) in us-west-2" in text


# ---- 5. what business-unit forks copy --------------------------------------------------


def core_section(config: LandingZoneConfig) -> dict[str, Any]:
    """The ``core:`` YAML the summary prints, comments and all, as YAML reads it."""
    lines = core_reference_lines(config)
    start = lines.index("  core:")
    block = [line for line in lines[start:] if line.startswith("    ") or line == "  core:"]
    loaded: dict[str, Any] = yaml.safe_load("\n".join(block))["core"]
    return loaded


def test_the_core_section_has_every_field_a_business_unit_needs() -> None:
    config = load_config(EXAMPLE)
    section = core_section(config)
    assert set(section) == set(CoreReference.model_fields)
    assert set(section["log_archive"]) == set(CoreLogArchiveReference.model_fields)
    assert section["prefix"] == "Acme"
    text = "\n".join(core_reference_lines(config))
    # Created accounts: only the deploy knows them, and which output holds them.
    for name in ("LogArchiveAccountId", "AuditAccountId", "ConfigBucket", "LogArchiveKeyArn"):
        assert f"# known after deploy: see output {name} of stack Acme-LogArchive" in text
    assert "acme-log-archive-logs-<log_archive_account_id>-eu-west-1" in text
    assert "list-organizational-units-for-parent --parent-id r-a1b2" in text


def test_adopted_core_accounts_give_values_a_business_unit_loads(tmp_path: Path) -> None:
    # The minimal fixture adopts its audit account; adopt its log archive too.
    path = minimal_variant(
        tmp_path,
        replace=("    email: aws+log@tiny.example\n", "    account_id: '444455556666'\n"),
    )
    section = core_section(load_config(path))
    assert section["log_archive_account_id"] == "444455556666"
    assert section["audit_account_id"] == "222222222222"
    assert section["log_archive"] == {
        "config_bucket": "tiny-log-archive-config-444455556666-eu-west-1",
        "key_arn": "arn:aws:kms:eu-west-1:444455556666:alias/tiny/landing-zone/log-archive",
    }
    text = "\n".join(core_reference_lines(load_config(path)))
    assert "'444455556666'  # also output LogArchiveAccountId of stack Tiny-LogArchive" in text
    # Pasted into the business-unit example (with the OU id chosen), they load.
    section["parent_ou_id"] = "ou-t1ny-w0rkl0ad"
    unit = yaml.safe_load(BUSINESS_UNIT.read_text())
    unit["core"] = section
    unit["organization"] = yaml.safe_load(MINIMAL.read_text())["organization"]
    unit["regions"] = {"home": "eu-west-1", "governed": ["eu-west-1", "eu-central-1"]}
    written = tmp_path / "unit.yaml"
    written.write_text(yaml.safe_dump(unit, sort_keys=False))
    loaded = load_config(written)
    assert loaded.core is not None
    assert loaded.core.log_archive.config_bucket == section["log_archive"]["config_bucket"]


def test_a_business_unit_has_nothing_to_hand_on() -> None:
    assert core_reference_lines(load_config(BUSINESS_UNIT)) == []


def test_the_log_archive_stack_outputs_what_the_summary_names(example_synth: Synth) -> None:
    config = load_config(EXAMPLE)
    outputs = example_synth.templates["Acme-LogArchive"]["Outputs"]
    expected = core_outputs(
        LogArchiveRef.owned(
            prefix="Acme", partition="aws", home_region="eu-west-1", account_id="x"
        ),
        audit_account_id="y",
    )
    assert list(outputs) == [output.name for output in expected]
    text = "\n".join(core_reference_lines(config))
    for output in expected:
        assert outputs[output.name]["Export"] == {"Name": stack_id("Acme", output.name)}
        assert outputs[output.name]["Description"] == output.description
        assert f"output {output.name} of stack Acme-LogArchive" in text
    # Values resolve from the organization stack's account ids, not placeholders.
    assert "TreeAccountAudit" in str(outputs["AuditAccountId"]["Value"])
    assert "TreeAccountLogArchive" in str(outputs["ConfigBucket"]["Value"])


# ---- the whole summary ---------------------------------------------------------------------


def test_the_summary_holds_each_section_in_review_order(tmp_path: Path) -> None:
    text = summary(load_config(EXAMPLE), tmp_path)
    order = [
        "OU tree (",
        "Guardrails per OU",
        "Guardrail budget",
        "Privileged principals",
        "One-way settings",
        "One-time manual steps",
        "For business-unit forks",
        "Stacks:",
        "Deployment plan",
    ]
    positions = [text.index(f"\n{heading}") for heading in order]
    assert positions == sorted(positions)
    unit = summary(load_config(BUSINESS_UNIT), tmp_path)
    assert "For business-unit forks" not in unit
    assert "\nOne-time manual steps" in unit
