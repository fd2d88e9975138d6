"""StackSet content written as CDK stacks: inline, never deployed as stacks of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_

from landing_zone.constructs.stack_set import StackSetTemplate
from landing_zone.quotas import MAX_TEMPLATE_BODY_BYTES
from tests.conftest import Synth
from tests.templates import stack_sets


def test_stackset_templates_are_not_deployable_stacks(example_synth: Synth) -> None:
    manifest = json.loads((example_synth.outdir / "manifest.json").read_text())
    deployable = sorted(
        name
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    )
    assert deployable == [
        "Acme-Audit",
        "Acme-BreakGlass",
        "Acme-DetectionAdmin-eu-central-1",
        "Acme-DetectionAdmin-eu-west-1",
        "Acme-DetectionAdmin-us-east-1",
        "Acme-HealthEvents",
        "Acme-IdentityCenter",
        "Acme-IdentityCenterEvents",
        "Acme-LogArchive",
        "Acme-ManagementBaseline-eu-central-1",
        "Acme-ManagementBaseline-eu-west-1",
        "Acme-ManagementBaseline-us-east-1",
        "Acme-MemberBaseline",
        "Acme-Organization",
        "Acme-Trail",
    ]
    assert set(example_synth.stackset_templates) == {
        "Acme-Audit/HomeTemplate",
        "Acme-Audit/RegionalTemplate",
        "Acme-Audit/RemediationTemplate",
        "Acme-BreakGlass/Template",
        "Acme-HealthEvents/Template",
        "Acme-LogArchive/Template",
        "Acme-MemberBaseline/Template",
        "Acme-MemberBaseline/EnforcedHooksTemplate",
    }


@pytest.mark.parametrize(
    ("name", "template"),
    [
        ("Acme-LogArchive", "Acme-LogArchive/Template"),
        ("Acme-MemberBaseline", "Acme-MemberBaseline/Template"),
        ("Acme-AuditRegional", "Acme-Audit/RegionalTemplate"),
        ("Acme-AuditHome", "Acme-Audit/HomeTemplate"),
        ("Acme-HealthEventsForward", "Acme-HealthEvents/Template"),
    ],
)
def test_template_body_is_the_synthesized_template_minified_and_under_the_limit(
    example_synth: Synth, name: str, template: str
) -> None:
    body = stack_sets(example_synth)[name]["Properties"]["TemplateBody"]
    assert json.loads(body) == example_synth.stackset_templates[template]
    assert body == json.dumps(json.loads(body), separators=(",", ":"))
    assert len(body.encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_log_archive_stackset_targets_only_the_log_archive_account_in_home(
    example_synth: Synth,
) -> None:
    properties = stack_sets(example_synth)["Acme-LogArchive"]["Properties"]
    assert properties["PermissionModel"] == "SERVICE_MANAGED"
    assert properties["CallAs"] == "SELF"
    assert properties["ManagedExecution"] == {"Active": True}
    assert properties["AutoDeployment"] == {"Enabled": False}
    (group,) = properties["StackInstancesGroup"]
    assert group["Regions"] == ["eu-west-1"]
    targets = group["DeploymentTargets"]
    assert targets["OrganizationalUnitIds"] == ["r-a1b2"]
    assert targets["AccountFilterType"] == "INTERSECTION"
    (account,) = targets["Accounts"]
    assert "AccountLogArchive" in json.dumps(account)
    (parameter,) = properties["Parameters"]
    assert parameter["ParameterKey"] == "ReaderAccountId"
    assert "AccountAudit" in json.dumps(parameter["ParameterValue"])
    assert properties["OperationPreferences"]["FailureTolerancePercentage"] == 0


def test_trail_stack_deploys_after_the_log_archive_after_the_organization(
    example_synth: Synth,
) -> None:
    manifest = json.loads((example_synth.outdir / "manifest.json").read_text())
    artifacts = manifest["artifacts"]
    assert "Acme-Organization" in artifacts["Acme-LogArchive"]["dependencies"]
    assert "Acme-LogArchive" in artifacts["Acme-Trail"]["dependencies"]


def test_stackset_template_rejects_file_assets(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    parent = Stack(app, "Parent")
    template = StackSetTemplate(parent, "Content", description="test")
    (tmp_path / "handler").mkdir()
    (tmp_path / "handler" / "index.py").write_text("def handler(event, context): pass\n")
    code = lambda_.Code.from_asset(str(tmp_path / "handler"))
    # Lambda binds its code, and so registers the asset, while it is constructed.
    with pytest.raises(RuntimeError, match="StackSet templates cannot use file assets"):
        lambda_.Function(
            template,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=code,
        )


def test_an_oversized_template_names_what_the_config_can_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import landing_zone.constructs.stack_set as stack_set

    monkeypatch.setattr(stack_set, "MAX_TEMPLATE_BODY_BYTES", 100)
    app = App()
    host = Stack(app, "Host")
    template = StackSetTemplate(
        host, "Template", description="a test template", too_large="Give fewer widgets"
    )
    lambda_.Function(
        template,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    CfnOutput(host, "Body", value=template.body)  # a StackSet's TemplateBody, in effect
    with pytest.raises(
        Exception,
        match=r"StackSet template too large: Template is [\d,]+ "
        r"bytes; inline TemplateBody allows 100\. Give fewer widgets",
    ):
        app.synth()


def test_the_app_reports_an_oversized_template_as_a_stack_limit_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What CDK raises from synth (a lazy value's error, wrapped) exits 2 with one line."""
    import app as entry
    from landing_zone.constructs.stack_set import TOO_LARGE

    def synth(self: App) -> None:
        raise RuntimeError(
            f"Error: resolving token\n  {TOO_LARGE} Acme-Audit/HomeTemplate is 51,300 bytes; "
            "inline TemplateBody allows 51,200. Disable fewer controls\n    at produce (...)"
        )

    monkeypatch.setattr(entry, "build_landing_zone", lambda app, *, config: None)
    monkeypatch.setattr(App, "synth", synth)
    assert entry.main() == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "stack limit error: config/example.yaml:"
    assert err[1] == (
        f"  - {TOO_LARGE} Acme-Audit/HomeTemplate is 51,300 bytes; inline TemplateBody "
        "allows 51,200. Disable fewer controls"
    )
    assert len(err) == 2
