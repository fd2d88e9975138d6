"""The summary `make synth` prints: OU tree with accounts, stacks, template location."""

from __future__ import annotations

from pathlib import Path

from landing_zone.cli import baseline_lines, detection_lines, ou_tree_lines, summary
from landing_zone.config import load_config
from landing_zone.guardrails.packer import plan_guardrails
from tests.conftest import EXAMPLE, Synth


def test_summary_shows_the_mission_ous_in_the_right_tree() -> None:
    lines = ou_tree_lines(load_config(EXAMPLE))
    assert lines[0] == "Root r-a1b2"
    top = [line for line in lines if line[:4] in ("├── ", "└── ")]
    assert [t[4:].split(" [")[0] for t in top] == [
        "Security",
        "Infrastructure",
        "Sandbox",
        "Workloads",
        "Retail",
        "Payments",
        "Suspended",
    ]
    workloads = lines.index("├── Workloads [workloads]")
    assert lines[workloads + 1] == "│   ├── Prod [prod]"
    assert "│   └── SDLC [sdlc]" in lines[workloads + 1 :]


def test_summary_places_accounts_under_their_ou() -> None:
    lines = ou_tree_lines(load_config(EXAMPLE))
    security = lines.index("├── Security [security]")
    assert lines[security + 1] == "│   ├─ Acme-LogArchive (new, log archive)"
    assert lines[security + 2] == "│   └─ Acme-Audit (new, audit)"
    assert any("Acme-Payments-API-Prod (adopted 210987654321)" in line for line in lines)


def test_summary_lists_stacks_with_resource_counts(example_synth: Synth) -> None:
    text = summary(load_config(EXAMPLE), example_synth.outdir)
    resources = len(example_synth.templates["Acme-Organization"]["Resources"])
    line = next(x for x in text.splitlines() if x.startswith("Acme-Organization "))
    assert f"{resources} resources" in line
    assert "Acme-Organization.template.json" in line
    assert f"Templates are in {example_synth.outdir}/" in text


def test_summary_without_a_cloud_assembly_says_what_to_do(tmp_path: Path) -> None:
    text = summary(load_config(EXAMPLE), tmp_path)
    assert f"(no cloud assembly in {tmp_path}/; run `make synth` first)" in text


def test_summary_shows_guardrail_budget_per_target(example_synth: Synth) -> None:
    lines = summary(load_config(EXAMPLE), example_synth.outdir).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Guardrail budget"))
    assert "SCPs 10 incl. FullAWSAccess, 2 reserved" in lines[header]
    root_scp = lines[header + 2].split()
    used = sum(
        p.target == "root" and p.kind == "scp"
        for p in plan_guardrails(load_config(EXAMPLE)).policies
    )
    assert root_scp[:5] == ["root", "SCP", str(used), "of", "7"]
    assert root_scp[6:8] == ["of", "10,240"]
    assert any(line.split()[:2] == ["root", "RCP"] for line in lines[header:])


def test_summary_counts_the_baseline_stack_instances() -> None:
    config = load_config(EXAMPLE)
    lines = baseline_lines(config)
    # 11 member accounts (Suspended holds none and is not targeted) x 3 regions.
    assert "11 accounts of this config x 3 regions = 33 stack instances" in lines[1]
    assert "management account: 3 stacks; 12 of 12 accounts" in lines[2]
    assert sorted(config.baseline_account_keys()) == sorted(k for k, _ in config.all_accounts())


def test_summary_lines_up_long_stack_names(example_synth: Synth) -> None:
    lines = summary(load_config(EXAMPLE), example_synth.outdir).splitlines()
    start = lines.index("Stacks:") + 1
    rows = lines[start : lines.index("", start)]
    assert len({row.index(" resources") for row in rows}) == 1, rows


def test_summary_says_what_detection_runs_and_where_findings_go() -> None:
    lines = detection_lines(load_config(EXAMPLE))
    assert lines[0] == "Detection, administered by the audit account (Acme-Audit):"
    assert lines[1] == (
        "  on: GuardDuty, Security Hub, Config aggregator, Access Analyzer, Inspector, "
        "Detective; off: Macie"
    )
    assert lines[2] == (
        "  Security Hub policies: default -> root (2 standards); regulated -> payments "
        "(4 standards); sandbox -> sandbox (1 standard)"
    )
    assert lines[3] == (
        "  detective guardrails: 17 Config rules in eu-west-1, 10 in each other governed "
        "region (organization conformance pack)"
    )
    assert lines[4] == "  findings alerts: Security Hub >= HIGH, GuardDuty >= 7.0 -> 1 email(s)"


def test_summary_ends_with_the_deployment_plan(example_synth: Synth) -> None:
    from landing_zone.deploy_plan import plan_lines

    config = load_config(EXAMPLE)
    lines = summary(config, example_synth.outdir).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Deployment plan"))
    assert lines.index("Stacks:") < start
    plan = plan_lines(example_synth.outdir, config)
    assert lines[start + 1 : start + 1 + len(plan)] == plan
    assert lines[start + 1].startswith(" 1. Acme-Organization: management account")
    assert lines[start + 1 + len(plan)] == ""
    assert lines[start + 2 + len(plan)].startswith("Templates are in")


def test_summary_names_who_can_break_glass(example_synth: Synth) -> None:
    text = summary(load_config(EXAMPLE), example_synth.outdir)
    assert "Break-glass (AdministratorAccess in every account, MFA, alarmed on every use):" in text
    assert "  Acme-BreakGlass-Primary <- arn:aws:iam::111111111111:role/AcmeSecurityOncall" in text
