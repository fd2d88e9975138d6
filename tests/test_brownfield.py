"""`make deploy`'s preflight on a brownfield organization: each conflict refused with its fix.

The organization of tests/brownfield_org.py is imported (`make import`) and
the preflight (`landing_zone.preflight.check`, what `make deploy` runs
before cdk) is run against it as is, then with one conflict at a time. A
clean brownfield organization, its OUs adopted into the stack, passes, and so
does the example organization once its own deploy has run.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from landing_zone import preflight
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.guardrails.packer import plan_guardrails
from landing_zone.importer import run as import_organization
from tests.brownfield_org import (
    GOVERNED,
    HOME,
    MANAGEMENT,
    Brownfield,
    client,
    deployed_example,
    moto_world,
)
from tests.variants import variant

IMPORT_ARGS = ("--prefix", "Acme", "--home-region", HOME, "--governed", GOVERNED[1])
#: The imported guardrails' attachments (packs are added after it).
ROOT_CORE = "    root:\n      - core\n"


@dataclass
class Imported:
    world: Brownfield
    path: Path

    def config(self, *replace: tuple[str, str], directory: Path | None = None) -> LandingZoneConfig:
        """The imported config, with ``replace`` edits."""
        if not replace:
            return load_config(self.path)
        return load_config(variant(self.path, directory or self.path.parent, replace=replace))

    def check(
        self,
        config: LandingZoneConfig | None = None,
        *,
        enrolled: bool = False,
        **options: object,
    ) -> list[str]:
        """The preflight's problems; without ``enrolled``, less the line this world's Control
        Tower always raises without --deep (its own test below)."""
        found = preflight.check(config or self.config(), self.world.session, **options)  # type: ignore[arg-type]
        return [p for p in found if enrolled or not p.startswith(ENROLLED)]

    def without_control_tower(self) -> None:
        """Control Tower gone: no trusted access, its SCPs detached and deleted."""
        world = self.world
        world.trusted.remove("controltower.amazonaws.com")
        for name in ("aws-guardrails-AbCdEf", "aws-guardrails-GhIjKl"):
            policy = world.policies[name]
            for target in world.organizations.list_targets_for_policy(PolicyId=policy)["Targets"]:
                world.organizations.detach_policy(PolicyId=policy, TargetId=target["TargetId"])
            world.organizations.delete_policy(PolicyId=policy)

    def adopt(self) -> None:
        """As if `make adopt-ous` and `cdk import` had run: the stack holds every OU."""
        self.world.stack_units = {unit for path, unit in self.world.units.items() if path}


ENROLLED = "Control Tower governs OUs the baseline reaches"


@pytest.fixture
def imported(tmp_path: Path) -> Iterator[Imported]:
    with moto_world() as world:
        path = tmp_path / "brownfield.yaml"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = import_organization(
                ["--out", str(path), *IMPORT_ARGS],
                session=world.session,
            )
        assert code == 0
        # The management account's own recorder is refused by the older check; not here.
        client("config", HOME).delete_configuration_recorder(ConfigurationRecorderName="default")
        yield Imported(world, path)


def test_a_clean_brownfield_organization_passes_once_its_ous_are_adopted(
    imported: Imported,
) -> None:
    imported.adopt()
    assert imported.check() == []


def test_existing_ous_outside_the_stack_are_refused_until_adopted(imported: Imported) -> None:
    (problem,) = imported.check()
    assert problem.startswith(
        "9 OU(s) of the config exist already and Acme-Organization does not manage them: "
        f"ou-2024-projects (Root/2024 Projects, {imported.world.units[('2024 Projects',)]}),"
    )
    assert "`make adopt-ous CONFIG=...` writes the mapping" in problem
    # One left out of the import: that one alone.
    imported.adopt()
    assert imported.world.stack_units is not None
    imported.world.stack_units.discard(imported.world.units[("Retail", "Prod")])
    (problem,) = imported.check()
    assert problem.startswith("1 OU(s) of the config exist already")
    assert "retail-prod (Root/Retail/Prod," in problem


def test_another_delegated_administrator_is_refused(imported: Imported) -> None:
    imported.adopt()
    accounts = imported.world.accounts
    shop, audit = accounts["Shop Prod"], accounts["Audit"]
    imported.world.delegated["guardduty.amazonaws.com"] = [shop]
    imported.world.delegated["access-analyzer.amazonaws.com"] = [audit, shop]
    problems = imported.check()
    assert [p.split(":")[0] for p in problems] == ["GuardDuty", "Access Analyzer"]
    assert problems[0].startswith(
        f"GuardDuty: {shop} (Shop Prod) is already the delegated administrator for "
        f"guardduty.amazonaws.com; the config gives it to the audit account {audit}. Make "
        f"{shop} the audit account (core_accounts.audit.account_id: '{shop}'), or remove it"
    )
    assert f"--account-id {shop} --service-principal access-analyzer.amazonaws.com" in problems[1]


def test_aws_config_takes_the_audit_account_beside_two_other_administrators(
    imported: Imported,
) -> None:
    # Each Config administrator aggregates the organization on its own: up to three.
    imported.adopt()
    accounts = imported.world.accounts
    others = [accounts["Shop Prod"], accounts["Retail Web"]]
    imported.world.delegated["config.amazonaws.com"] = others
    assert imported.check() == []
    imported.world.delegated["config.amazonaws.com"] = [*others, accounts["Shop Dev"]]
    (problem,) = imported.check()
    assert problem.startswith("Config aggregator: ")
    assert "is already the delegated administrator for config.amazonaws.com" in problem


def _counts(config: LandingZoneConfig) -> dict[str, int]:
    """SCPs the landing zone attaches per target."""
    counts: dict[str, int] = {}
    for policy in plan_guardrails(config).policies:
        if policy.kind == "scp":
            counts[policy.target] = counts.get(policy.target, 0) + 1
    return counts


def test_policies_it_does_not_own_leaving_too_few_slots_are_refused(
    imported: Imported, tmp_path: Path
) -> None:
    imported.adopt()
    attach = (ROOT_CORE, f"{ROOT_CORE}    workloads: [workload]\n")
    wide = imported.config(attach, ("scp_reserved_per_target: 3", "scp_reserved_per_target: 0"))
    ours = _counts(wide)
    # Just enough for the landing zone's own, none for what is there.
    limit = 1 + max(ours.values())
    config = imported.config(
        attach,
        (
            "scp_reserved_per_target: 3",
            f"scp_reserved_per_target: 0\n    scp_max_per_target: {limit}",
        ),
        directory=tmp_path,
    )
    world = imported.world
    root, workloads = imported.check(config)
    assert root.startswith(
        f"the root ({world.root}) holds 2 SCP(s) the landing zone does not own "
        f"(DenyLeaveOrg ({world.policies['DenyLeaveOrg']}), FullAWSAccess (p-FullAWSAccess)); "
        f"with the {ours['root']} it attaches there, {2 + ours['root']} would exceed the quota "
        f"of {limit} per target (guardrails.quotas.scp_max_per_target)"
    )
    assert "set guardrails.quotas.scp_reserved_per_target: 1" in root
    assert workloads.startswith(
        f"OU workloads (Root/Workloads, {world.units[('Workloads',)]}) holds 4 SCP(s) the "
        f"landing zone does not own (Control Tower's aws-guardrails-GhIjKl "
        f"({world.policies['aws-guardrails-GhIjKl']}); "
    )
    # The imported reserve keeps their slots: the same packs fit beside them.
    assert imported.check(imported.config(attach)) == []


def test_control_towers_scps_and_ours_must_fit_where_it_could_govern(
    imported: Imported, tmp_path: Path
) -> None:
    imported.adopt()
    attach = (ROOT_CORE, f"{ROOT_CORE}    workloads-prod: [workload]\n")

    def limited(limit: int) -> LandingZoneConfig:
        return imported.config(
            attach,
            (
                "scp_reserved_per_target: 3",
                f"scp_reserved_per_target: 0\n    scp_max_per_target: {limit}",
            ),
            directory=tmp_path,
        )

    # Control Tower holds 2 SCPs on Security; Workloads/Prod holds none of its yet.
    problems = imported.check(limited(3))
    tower = [p for p in problems if p.startswith("Control Tower runs")]
    assert tower == [
        "Control Tower runs in this organization (trusted access for controltower.amazonaws.com, "
        "2 SCP(s) named aws-guardrails-*) and holds up to 2 SCPs on one OU (Security). Once it "
        "governs OU workloads-prod, its 2, the landing zone's 1 and FullAWSAccess would make 4, "
        "over the quota of 3 per target. Set guardrails.quotas.scp_reserved_per_target: 2 "
        "(`make synth` then says whether the packs still fit), attach fewer packs to this OU, "
        "or keep it out of Control Tower"
    ]
    assert not [p for p in imported.check(limited(4)) if p.startswith("Control Tower runs")]
    # Without Control Tower, nothing to foresee.
    imported.without_control_tower()
    assert not [p for p in imported.check(limited(3)) if p.startswith("Control Tower runs")]


def test_without_deep_the_baseline_must_not_reach_control_towers_accounts_unread(
    imported: Imported,
) -> None:
    """Enrolled accounts run Control Tower's recorder; only --deep reads them."""
    imported.adopt()
    (line,) = [p for p in imported.check(enrolled=True) if p.startswith(ENROLLED)]
    assert line.startswith(
        f"{ENROLLED}: Root/Security (2 accounts), Root/Workloads (3 accounts). Their accounts "
        "are likely enrolled"
    )
    assert "make deploy ARGS=--deep" in line
    assert "it assumes OrganizationAccountAccessRole there" in line
    # Without Control Tower, nothing to fear.
    imported.without_control_tower()
    assert not [p for p in imported.check(enrolled=True) if p.startswith(ENROLLED)]


# ---- --deep: member accounts' recorders -------------------------------------------------------


def _outside_the_baseline(
    imported: Imported, tmp_path: Path
) -> tuple[LandingZoneConfig, dict[str, str]]:
    """The baseline on Security, Workloads and Retail only, and accounts the config does not
    name outside them: Legacy in the root, three that joined Sandbox after the import. The
    conformance pack excludes the config's own accounts outside the baseline, not these."""
    world = imported.world
    joined = {}
    for name in ("Newcomer", "Halfway", "Locked"):
        joined[name] = world.organizations.create_account(
            Email=f"aws+{name.lower()}@brownfield.example", AccountName=name
        )["CreateAccountStatus"]["AccountId"]
        world.organizations.move_account(
            AccountId=joined[name],
            SourceParentId=world.root,
            DestinationParentId=world.units[("Sandbox",)],
        )
    config = imported.config(
        (
            "baseline:\n  targets:\n    - root\n",
            "baseline:\n  targets: [security, workloads, retail]\n",
        ),
        directory=tmp_path,
    )
    return config, {"Legacy": world.accounts["Legacy"], **joined}


def test_without_deep_accounts_outside_the_baseline_are_refused(
    imported: Imported, tmp_path: Path
) -> None:
    imported.adopt()
    config, outside = _outside_the_baseline(imported, tmp_path)
    (problem,) = imported.check(config)
    assert problem.startswith("4 account(s) of the organization would get no AWS Config recorder")
    assert all(f"{account_id} ({name})" in problem for name, account_id in outside.items())
    assert problem.endswith(
        "one that runs its own recorder in every governed region passes `make deploy "
        "ARGS=--deep`, which reads it through a role in the account"
    )


def test_deep_lets_accounts_with_their_own_recorder_pass_and_names_the_rest(
    imported: Imported, tmp_path: Path
) -> None:
    imported.adopt()
    world = imported.world
    config, ids = _outside_the_baseline(imported, tmp_path)
    for name in ("Legacy", "Newcomer"):
        world.record(ids[name], "default")
    world.record(ids["Halfway"], "default", (HOME,))
    world.unassumable.add(ids["Locked"])
    (problem,) = imported.check(config, deep=True)
    assert problem.startswith(
        "2 account(s) of the organization would get no AWS Config recorder from the baseline "
        "(they are not in an OU of baseline.targets), yet the organization conformance pack "
        "would reach them and fail: "
    )
    assert f"{ids['Halfway']} (Halfway: no recorder in eu-central-1)" in problem
    assert (
        f"{ids['Locked']} (Locked: unknown: cannot assume "
        f"arn:aws:iam::{ids['Locked']}:role/OrganizationAccountAccessRole (AccessDenied:" in problem
    )
    assert "`make deploy ARGS=--deep`" not in problem


def test_deep_refuses_accounts_whose_own_recorder_the_baseline_would_clash_with(
    imported: Imported,
) -> None:
    imported.adopt()
    world = imported.world
    ids = world.accounts
    world.record(ids["Shop Prod"], "aws-controltower-BaselineConfigRecorder")
    world.record(ids["Retail Web"], "default", (GOVERNED[1],))
    # Its own from an earlier deploy: fine.
    world.record(ids["Payments API"], "Acme-ConfigRecorder")
    assert imported.check() == []  # only --deep reads inside member accounts
    tower, retail = imported.check(deep=True)
    assert tower == (
        f"account {ids['Shop Prod']} (Shop Prod) already records with the AWS Config recorder "
        "'aws-controltower-BaselineConfigRecorder' in eu-west-1, eu-central-1 (Control Tower's: "
        "the account is enrolled in it); the baseline's 'Acme-ConfigRecorder' cannot be created "
        "beside it (one per region) and the account's baseline would fail. Add "
        f"'{ids['Shop Prod']}' to baseline.excluded_accounts with the reason, or move the "
        "account out of baseline.targets"
    )
    assert retail.startswith(
        f"account {ids['Retail Web']} (Retail Web) already records with the AWS Config recorder "
        "'default' in eu-central-1;"
    )
    assert retail.endswith(
        "or delete that recorder first (aws configservice delete-delivery-channel, then "
        "delete-configuration-recorder --configuration-recorder-name default in each of those "
        "regions)"
    )


def test_deep_assumes_the_role_it_is_given(
    imported: Imported, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    imported.adopt()
    world = imported.world
    shop = world.accounts["Shop Prod"]
    world.unassumable.add(shop)
    monkeypatch.setattr(preflight, "default_session", lambda: (world.session, None))
    code = preflight.main([str(imported.path), "--deep", "--role", "AWSControlTowerExecution"])
    assert code == 1
    assert (
        f"account {shop} (Shop Prod) is in the baseline's reach, and its AWS Config recorders "
        f"could not be read: cannot assume arn:aws:iam::{shop}:role/AWSControlTowerExecution"
        in capsys.readouterr().err
    )


def test_the_management_account_is_never_assumed_into(imported: Imported) -> None:
    imported.adopt()
    imported.world.unassumable.add(MANAGEMENT)
    assert imported.check(deep=True) == []


# ---- no false alarm: the example organization after its own deploy ---------------------------


def test_the_example_organization_after_a_successful_deploy_passes_every_check(
    tmp_path: Path,
) -> None:
    """A second `make deploy` of config/example.yaml, or the first of a greenfield organization
    once it has run: nothing the landing zone made itself is taken for a conflict."""
    with deployed_example(tmp_path) as (world, path):
        config = load_config(path)
        assert preflight.check(config, world.session) == []
        assert preflight.check(config, world.session, deep=True) == []
