"""The `organization` config section: OUs, accounts, regions, features, principals, mode.

In business-unit mode a fork adopts an existing core; every mode mistake gets
a message naming the field and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from landing_zone.cli import main as cli_main
from landing_zone.config import OrganizationalUnitConfig, load_config
from tests.conftest import EXAMPLE
from tests.variants import BUSINESS_UNIT, minimal_variant, problems_of, variant


def test_principal_arn_partition_must_match_the_regions(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, replace=("arn:aws:iam", "arn:aws-cn:iam"))
    assert problems_of(path) == [
        f"{path}:36: privileged_principals.ccoe.arn: ARN partition 'aws-cn' differs from the "
        "home region's partition 'aws'; write arn:aws:iam::..."
    ]


def test_repeated_feature_is_rejected(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append=(
            "organization_features:\n"
            "  policy_types: [SERVICE_CONTROL_POLICY, S3_POLICY, TAG_POLICY, TAG_POLICY]\n"
        ),
    )
    assert problems_of(path) == [
        f"{path}:39: organization_features.policy_types[3]: 'TAG_POLICY' is listed twice; "
        "remove the repeat"
    ]


def test_adopting_the_management_account_says_what_to_use_instead(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, replace=("'222222222222'", "'111111111111'"))
    assert problems_of(path) == [
        f"{path}:27: core_accounts.audit.account_id: this is the management account; it cannot "
        "be a core or workload account. Use another account's id, or give an email to create "
        "a new one"
    ]


# ---- core vs business-unit mode --------------------------------------------------------------


def test_example_business_unit_is_valid_and_adopts_the_core() -> None:
    config = load_config(BUSINESS_UNIT)
    assert config.business_unit
    assert config.core is not None
    assert config.core.prefix == "Acme"
    assert config.core_accounts is None
    # The core's default Security Hub policy (on the root) is not a business unit's.
    assert list(config.detection.security_hub.policies) == ["logistics"]
    assert [key for key, _ in config.all_accounts()] == [
        "fleet-prod",
        "fleet-staging",
        "warehouse-data",
    ]


def test_core_example_is_core_mode() -> None:
    config = load_config(EXAMPLE)
    assert config.mode == "core"
    assert not config.business_unit
    assert config.core is None


# (edit, dotted field, what the message must say)
MODE_MISTAKES: dict[str, tuple[tuple[str, str], str, str]] = {
    "owns-the-root": (
        ("    logistics-prod: [production, identity-center-only]", "    root: [region-deny]"),
        "guardrails.attachments.root",
        "a business unit does not own the root: the core attaches the root's guardrails",
    ),
    "ou-id-wrong-format": (
        ("parent_ou_id: ou-a1b2-w0rkl0ad", "parent_ou_id: OU-Workloads"),
        "core.parent_ou_id",
        "'OU-Workloads' is not an OU id; OU ids look like ou-a1b2-c3d4e5f6",
    ),
    "another-organizations-root": (
        ("parent_ou_id: ou-a1b2-w0rkl0ad", "parent_ou_id: r-zzzz"),
        "core.parent_ou_id",
        "'r-zzzz' is a root id but not this organization's root (r-a1b2)",
    ),
    "omits-the-log-archive-account": (
        ("  log_archive_account_id: '222222222222'\n", ""),
        "core.log_archive_account_id",
        "required field 'log_archive_account_id' is missing",
    ),
    "same-prefix-as-the-core": (
        ("prefix: AcmeLogistics\n", "prefix: Acme\n"),
        "prefix",
        "'Acme' is the core's prefix too",
    ),
    "key-in-another-account": (
        (
            "key_arn: arn:aws:kms:eu-west-1:222222222222:",
            "key_arn: arn:aws:kms:eu-west-1:333333333333:",
        ),
        "core.log_archive.key_arn",
        "the key's account is '333333333333' but the log-archive key lives in account "
        "'222222222222'",
    ),
    "key-in-another-region": (
        (
            "key_arn: arn:aws:kms:eu-west-1:222222222222:",
            "key_arn: arn:aws:kms:us-east-1:222222222222:",
        ),
        "core.log_archive.key_arn",
        "the key's region is 'us-east-1' but the log-archive key lives in region 'eu-west-1'",
    ),
    "audit-is-log-archive": (
        ("audit_account_id: '333333333333'", "audit_account_id: '222222222222'"),
        "core.audit_account_id",
        "the audit account is the log-archive account too",
    ),
    "audit-is-the-management-account": (
        ("audit_account_id: '333333333333'", "audit_account_id: '111111111111'"),
        "core.audit_account_id",
        "this is the management account; name the core's audit account",
    ),
    "adopts-a-core-account": (
        ("account_id: '444444444444'", "account_id: '333333333333'"),
        "workload_accounts.warehouse-data.account_id",
        "333333333333 is one of the core's accounts; a business unit cannot adopt it",
    ),
    "core-only-pack": (
        ("[production, identity-center-only]", "[production, log-archive]"),
        "guardrails.attachments.logistics-prod[1]",
        "pack 'log-archive' protects the core's own resources and is attached by the core fork",
    ),
    "baseline-on-the-root": (
        ("  targets: []\n", "  targets: [root]\n"),
        "baseline.targets[0]",
        "a business unit does not own the root; list this fork's own OU keys",
    ),
    "baseline-not-chosen": (
        ("baseline:\n  targets: []\n", ""),
        "baseline.targets",
        "a business unit chooses who baselines its accounts",
    ),
    "security-hub-policy-on-the-root": (
        ("        targets: [logistics]\n", "        targets: [root]\n"),
        "detection.security_hub.policies.logistics.targets[0]",
        "a business unit does not own the root (the core's policy covers it)",
    ),
    "security-hub-switch": (
        ("  security_hub:\n    policies:", "  security_hub:\n    enabled: false\n    policies:"),
        "detection.security_hub.enabled",
        "Security Hub is on or off for the whole organization, which the core decides",
    ),
}


@pytest.mark.parametrize("case", sorted(MODE_MISTAKES))
def test_mode_mistake_has_a_specific_message(case: str, tmp_path: Path) -> None:
    edit, field, message = MODE_MISTAKES[case]
    lines = problems_of(variant(BUSINESS_UNIT, tmp_path, replace=[edit]))
    matching = [line for line in lines if f": {field}: " in line and message in line]
    assert matching, "\n".join(lines)


def test_business_unit_without_core_is_told_what_to_add(tmp_path: Path) -> None:
    lines = problems_of(
        variant(BUSINESS_UNIT, tmp_path, cut=("core:\n", "# The same organization"))
    )
    assert any(
        ": core: mode business-unit adopts an existing core: add `core` with the core's prefix"
        in line
        for line in lines
    ), lines


@pytest.mark.parametrize(
    ("section", "text"),
    [
        (
            "core_accounts",
            "core_accounts:\n"
            "  log_archive: {name: X, account_id: '222222222222', ou: logistics}\n"
            "  audit: {name: Y, account_id: '333333333333', ou: logistics}\n",
        ),
        (
            "organization_features",
            "organization_features:\n  policy_types: [SERVICE_CONTROL_POLICY]\n",
        ),
        ("log_archive", "log_archive:\n  expiration_days: 400\n"),
        ("organization_trail", "organization_trail:\n  log_group_retention_days: 30\n"),
        ("monitoring", "monitoring:\n  alarm_emails: [a@acme.example]\n"),
    ],
)
def test_core_only_sections_are_refused(section: str, text: str, tmp_path: Path) -> None:
    lines = problems_of(variant(BUSINESS_UNIT, tmp_path, append=text))
    assert any(f": {section}: '{section}' belongs to the core fork" in line for line in lines), (
        "\n".join(lines)
    )


def test_detection_services_are_the_cores(tmp_path: Path) -> None:
    path = variant(
        BUSINESS_UNIT,
        tmp_path,
        replace=[
            (
                "detection:\n",
                "detection:\n  guardduty:\n    enabled: false\n  macie:\n    enabled: true\n",
            )
        ],
    )
    lines = problems_of(path)
    for service in ("guardduty", "macie"):
        assert any(
            f"detection.{service}: the core fork runs the detection services" in line
            for line in lines
        ), "\n".join(lines)


def test_core_mode_refuses_a_core_section_and_needs_core_accounts(tmp_path: Path) -> None:
    path = variant(
        EXAMPLE,
        tmp_path,
        cut=("core_accounts:\n", "# Workload accounts"),
        append="core:\n  prefix: Other\n  parent_ou_id: ou-a1b2-w0rkl0ad\n"
        "  log_archive_account_id: '222222222222'\n  audit_account_id: '333333333333'\n"
        "  log_archive:\n    config_bucket: other-log-archive-config-222222222222-eu-west-1\n"
        "    key_arn: arn:aws:kms:eu-west-1:222222222222:alias/other/landing-zone/log-archive\n",
        name="core.yaml",
    )
    lines = problems_of(path)
    assert any("core: only a business-unit fork names a core" in line for line in lines), lines
    assert any(
        "core_accounts: required in core mode: the log-archive and audit accounts" in line
        for line in lines
    ), lines


def test_cli_validate_reports_mode_mistakes_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = variant(
        BUSINESS_UNIT,
        tmp_path,
        replace=[("    logistics-prod: [production, identity-center-only]", "    root: [core]")],
    )
    assert cli_main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "guardrails.attachments.root: a business unit does not own the root" in captured.err
    assert "pack 'core' protects the core's own resources" in captured.err
    assert "Traceback" not in captured.err


def test_a_wrongly_typed_security_hub_is_reported_not_replaced(tmp_path: Path) -> None:
    # The business-unit default (no policies of its own) must not paper over
    # a value of the wrong type.
    path = variant(
        BUSINESS_UNIT,
        tmp_path,
        cut=("  security_hub:\n", "  notifications:\n"),
        insert="  security_hub: true\n",
    )
    lines = problems_of(path)
    assert any(": detection.security_hub: " in line for line in lines), lines


def test_notifications_without_accounts_build_no_alerts(tmp_path: Path) -> None:
    config = load_config(
        variant(
            BUSINESS_UNIT,
            tmp_path,
            cut=("workload_accounts:\n", "# The core's privileged principals"),
        )
    )
    assert not config.business_unit_alerts()
    assert config.business_unit_detection()  # its Security Hub policy still deploys
    assert load_config(BUSINESS_UNIT).business_unit_alerts()


def test_an_ou_keyed_root_is_refused_rather_than_hiding_the_roots_guardrails(
    tmp_path: Path,
) -> None:
    path = minimal_variant(
        tmp_path, replace=("  security:\n    name: Security\n", "  root:\n    name: Security\n")
    )
    path.write_text(path.read_text().replace("ou: security", "ou: prod"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert ": organizational_units.root: 'root' is reserved" in problems[0]


def test_a_workload_account_keyed_like_a_core_account_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, replace=("  app-prod:\n", "  audit:\n"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert ": workload_accounts.audit: 'audit' is reserved for the core account" in problems[0]


def test_the_tree_follows_a_copy_with_other_ous() -> None:
    config = load_config(EXAMPLE)
    assert "extra" not in config.tree.parents
    units = {**config.organizational_units, "extra": OrganizationalUnitConfig(name="Extra")}
    copy = config.model_copy(update={"organizational_units": units})
    assert "extra" in copy.tree.parents
    assert "extra" not in config.tree.parents


# ---- names that collide, names AWS refuses ---------------------------------------------------

# (replace in the minimal fixture, text to append, dotted field, what the message must say)
COLLISIONS: dict[str, tuple[tuple[str, str] | None, str, str, str]] = {
    # pascal() drops the dash before a digit: both would be OuTeam1 and fail synth.
    "ou-keys-same-logical-id": (
        (
            "      sdlc:\n",
            "      team-1:\n        name: Team One\n      team1:\n        name: Team Uno\n"
            "      sdlc:\n",
        ),
        "",
        "organizational_units.workloads.children.team1",
        "OU key 'team1' and 'team-1' both become 'Team1' in CloudFormation logical ids",
    ),
    "account-keys-same-logical-id": (
        None,
        "  app-2:\n    name: Tiny-App-2\n    email: aws+app2@tiny.example\n    ou: prod\n"
        "  app2:\n    name: Tiny-App2\n    email: aws+app-2@tiny.example\n    ou: prod\n",
        "workload_accounts.app2",
        "account key 'app2' and 'app-2' both become 'App2'",
    ),
    "hub-policy-keys-same-logical-id": (
        None,
        "detection:\n  security_hub:\n    policies:\n"
        "      tier-1:\n        targets: [root]\n"
        "        standards: [aws-foundational-security-best-practices]\n"
        "      tier1:\n        targets: [prod]\n"
        "        standards: [aws-foundational-security-best-practices]\n",
        "detection.security_hub.policies.tier1",
        "Security Hub policy key 'tier1' and 'tier-1' both become 'Tier1'",
    ),
    # An OU key cannot look like an account id: keys start with a letter.
    "ou-key-like-an-account-id": (
        ("  security:\n    name: Security\n", "  '123456789012':\n    name: Security\n"),
        "",
        "organizational_units.123456789012",
        "'123456789012' is not a valid key: use lowercase kebab-case starting with a letter",
    ),
    "account-excluded-by-key-and-id": (
        None,
        "baseline:\n  excluded_accounts:\n    audit: runs its own Config recorder\n"
        "    '222222222222': runs its own Config recorder\n",
        "baseline.excluded_accounts.222222222222",
        "222222222222 is the account 'audit', which is already excluded by its key",
    ),
    "management-account-excluded": (
        None,
        "baseline:\n  excluded_accounts:\n    '111111111111': has its own baseline stacks\n",
        "baseline.excluded_accounts.111111111111",
        "this is the management account, which the member baseline StackSet never reaches",
    ),
    # Organizations: DuplicateOrganizationalUnitException.
    "sibling-ous-same-name": (
        ("      sdlc:\n        name: SDLC\n", "      sdlc:\n        name: Prod\n"),
        "",
        "organizational_units.workloads.children.sdlc.name",
        "OU name 'Prod' is already used under 'workloads' by "
        "organizational_units.workloads.children.prod; AWS Organizations requires unique OU "
        "names under one parent",
    ),
    "top-level-ous-same-name": (
        ("  workloads:\n    name: Workloads\n", "  workloads:\n    name: Security\n"),
        "",
        "organizational_units.workloads.name",
        "OU name 'Security' is already used at the top level by organizational_units.security",
    ),
    # KMS reserves alias/aws/ (our aliases are alias/<prefix>/...).
    "prefix-aws": (
        ("prefix: Tiny", "prefix: Aws"),
        "",
        "prefix",
        "'Aws' is reserved by AWS: KMS reserves aliases beginning with alias/aws/",
    ),
    # S3 reserves bucket names beginning with sthree- (ours are <prefix>-log-archive-...).
    "prefix-sthree": (
        ("prefix: Tiny", "prefix: Sthree"),
        "",
        "prefix",
        "S3 reserves bucket names beginning with sthree-",
    ),
}


@pytest.mark.parametrize("case", sorted(COLLISIONS))
def test_colliding_or_reserved_names_are_refused(case: str, tmp_path: Path) -> None:
    replace, append, field, fragment = COLLISIONS[case]
    if append.startswith("  "):
        replace, append = ("workload_accounts:\n", "workload_accounts:\n" + append), ""
    problems = problems_of(minimal_variant(tmp_path, replace=replace, append=append))
    assert len(problems) == 1, problems
    assert f": {field}: " in problems[0], problems
    assert fragment in problems[0]


def test_same_ou_names_under_different_parents_are_fine(tmp_path: Path) -> None:
    # The example has Prod under workloads, retail and payments.
    names = [unit.name for _, unit, _, _ in load_config(EXAMPLE).walk_units()]
    assert names.count("Prod") == 3


@pytest.mark.parametrize("prefix", ["Awsome", "AwsRetail", "Sthreeway"])
def test_a_prefix_merely_starting_like_a_reserved_one_is_fine(prefix: str, tmp_path: Path) -> None:
    # alias/awsome/... and awsome-log-archive-... are allowed; only alias/aws/ and
    # sthree- are reserved.
    load_config(minimal_variant(tmp_path, replace=("prefix: Tiny", f"prefix: {prefix}")))


def test_an_ou_repeated_as_its_own_descendant_is_refused_at_once(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path, replace=("      sdlc:\n", "      workloads:\n        name: Again\n      sdlc:\n")
    )
    problems = problems_of(path)
    assert problems == [
        f"{path}:18: organizational_units.workloads.children.workloads: duplicate OU key "
        "'workloads' (also at organizational_units.workloads); OU keys are ids accounts refer "
        "to, so each must be unique in the whole tree"
    ]


def test_an_ou_name_outside_ascii_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, replace=("name: Workloads", 'name: "Workloads\\u00a0"'))
    (problem,) = problems_of(path)
    assert "organizational_units.workloads.name:" in problem
    assert "does not match the required format" in problem
