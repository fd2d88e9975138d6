"""The ``remediation`` config section, and the role the baseline derives from the playbook table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from landing_zone.config import load_config, load_config_and_warnings
from landing_zone.constructs.remediation import remediation_trust_policy
from landing_zone.remediation.playbooks import PLAYBOOKS, role_actions
from tests.conftest import EXAMPLE
from tests.variants import BUSINESS_UNIT, minimal_variant, problems_of


def test_remediation_is_off_by_default_and_dry_run_once_on(tmp_path: Path) -> None:
    config = load_config(minimal_variant(tmp_path))
    assert set(config.remediation.modes().values()) == {"off"}
    on = load_config(minimal_variant(tmp_path, append="remediation:\n  enabled: true\n"))
    assert set(on.remediation.modes().values()) == {"dry-run"}


def test_the_example_runs_every_playbook_in_dry_run() -> None:
    config = load_config(EXAMPLE)
    assert config.remediation.enabled
    assert set(config.remediation.modes().values()) == {"dry-run"}


def test_an_unknown_playbook_or_mode_is_refused(tmp_path: Path) -> None:
    for text in ("    no-such-playbook: on\n", "    public-s3-bucket: maybe\n"):
        path = minimal_variant(
            tmp_path, append=f"remediation:\n  enabled: true\n  playbooks:\n{text}"
        )
        assert problems_of(path)


def test_a_playbook_on_is_warned_about(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="remediation:\n  enabled: true\n  playbooks:\n    open-admin-ports: 'on'\n"
        "    root-activity: 'on'\n",
    )
    _, warnings = load_config_and_warnings(path)
    text = [str(w) for w in warnings if "remediation" in str(w)]
    # Root activity never acts: only the acting playbook is warned about.
    assert len(text) == 1
    assert "open-admin-ports" in text[0]
    assert "without a human" in text[0]


def test_a_playbook_whose_source_is_off_is_refused(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        append="remediation:\n  enabled: true\ndetection:\n  guardduty:\n    enabled: false\n",
    )
    problems = problems_of(path)
    assert any("remediation.playbooks.instance-credential-exfiltration" in p for p in problems)
    assert any("remediation.playbooks.root-activity" in p for p in problems)


def test_a_business_unit_cannot_enable_remediation(tmp_path: Path) -> None:
    text = BUSINESS_UNIT.read_text() + "\nremediation:\n  enabled: true\n"
    path = tmp_path / "bu.yaml"
    path.write_text(text)
    assert any("remediation.enabled" in p for p in problems_of(path))


def test_the_role_gets_reads_in_dry_run_and_writes_only_when_on() -> None:
    dry = role_actions({p.key: "dry-run" for p in PLAYBOOKS})
    on = role_actions({p.key: "on" for p in PLAYBOOKS})
    off = role_actions({p.key: "off" for p in PLAYBOOKS})
    assert off == ()
    assert set(dry) == {a for p in PLAYBOOKS for a in p.reads}
    assert set(on) == {a for p in PLAYBOOKS for a in (*p.reads, *p.writes)}
    assert "iam:UpdateAccessKey" not in dry


def test_the_trust_policy_names_only_the_function_role() -> None:
    policy: dict[str, Any] = remediation_trust_policy(
        audit_account_id="444444444444",
        function_role_arn="arn:aws:iam::444444444444:role/Acme-RemediationFunction",
        partition="aws",
    )
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444444444444:root"}
    assert statement["Condition"]["ArnEquals"] == {
        "aws:PrincipalArn": "arn:aws:iam::444444444444:role/Acme-RemediationFunction"
    }


def test_the_member_baseline_role_policy_is_the_tables(
    member_baseline_template: dict[str, Any],
) -> None:
    roles = [
        r
        for r in member_baseline_template["Resources"].values()
        if r["Type"] == "AWS::IAM::Role" and r["Properties"].get("RoleName") == "Acme-Remediation"
    ]
    (role,) = roles
    assert role["Condition"]
    (policy,) = role["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    config = load_config(EXAMPLE)
    assert tuple(statement["Action"]) == role_actions(config.remediation.modes())


def test_an_unguarded_skip_tag_is_warned_about(tmp_path: Path) -> None:
    def warned(append: str) -> list[str]:
        path = minimal_variant(tmp_path, append="remediation:\n  enabled: true\n" + append)
        _, warnings = load_config_and_warnings(path)
        return [str(w) for w in warnings if "skip tag" in str(w)]

    # The core pack at the root (the default) reserves the tag.
    assert warned("") == []
    # Only on an OU: accounts elsewhere could tag their resources "skip".
    [text] = warned(
        "guardrails:\n  attachments:\n    root: [privileged-roles]\n    workloads: [core]\n"
    )
    assert "open-admin-ports" in text
    assert "public-s3-bucket" not in text  # it ignores the tag
    # Only playbooks that honour the tag and run matter.
    off = "".join(f"    {p.key}: 'off'\n" for p in PLAYBOOKS if p.honours_skip)
    assert warned(f"  playbooks:\n{off}guardrails:\n  attachments:\n    root: []\n") == []
