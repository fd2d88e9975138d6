"""Deploy order as data: the plan read from the cloud assembly, and the ordering rules.

Each rule of ``RULES`` must apply to the example (it has pairs to order) and
hold; cutting the edges the later thing waits on must make it fail, so no
rule passes vacuously. The examples are the session's synths (conftest).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landing_zone.cli import with_deploy_order_rules
from landing_zone.config import load_config
from landing_zone.deploy_plan import (
    RULES,
    Assembly,
    OrderRule,
    Placement,
    Template,
    load_assembly,
    plan_lines,
    violations,
)
from landing_zone.detection_services import FINDING_AGGREGATOR_TYPE
from tests.conftest import BUSINESS_UNIT_EXAMPLE, EXAMPLE, ROOT, Synth

ARCHITECTURE = ROOT / "docs" / "architecture.md"


@pytest.fixture(scope="module")
def example(example_synth: Synth) -> Assembly:
    return load_assembly(example_synth.outdir)


def rule_id(rule: OrderRule) -> str:
    return f"{rule.first.label} -> {rule.then.label}"


def cut(assembly: Assembly, then: Placement) -> Assembly:
    """``assembly`` with nothing ``then`` waits on: no stack dependency, no template edge."""
    stack = assembly.stacks[then.stack]
    template = stack.template
    container = then.stack_set or then.resource
    template = dataclasses.replace(template, edges={**template.edges, container: frozenset()})
    stack_sets = dict(stack.stack_sets)
    if then.stack_set is not None:
        inner = stack_sets[then.stack_set].template
        inner = dataclasses.replace(inner, edges={**inner.edges, then.resource: frozenset()})
        stack_sets[then.stack_set] = dataclasses.replace(stack_sets[then.stack_set], template=inner)
    stack = dataclasses.replace(
        stack, dependencies=frozenset(), template=template, stack_sets=stack_sets
    )
    return Assembly(stacks={**assembly.stacks, then.stack: stack})


# ---- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_every_ordering_rule_applies_to_the_example_and_holds(
    example: Assembly, rule: OrderRule
) -> None:
    assert rule.pairs(example), "the example should have something this rule orders"
    assert [str(v) for v in violations(example, [rule])] == []


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_every_rule_fails_once_the_later_thing_waits_for_nothing(
    example: Assembly, rule: OrderRule
) -> None:
    for first, then in rule.pairs(example):
        broken = cut(example, then)
        assert (first, then) in [(v.first, v.then) for v in violations(broken, [rule])]


def test_central_configuration_waits_for_the_aggregator_that_links_no_region(
    single_region_synth: Synth,
) -> None:
    # One governed region: the aggregator is a custom resource, and the rule
    # still orders it before central configuration (the same logical id).
    assembly = load_assembly(single_region_synth.outdir)
    (rule,) = [r for r in RULES if r.first.label == "Security Hub cross-Region aggregation"]
    pairs = rule.pairs(assembly)
    assert [first.type for first, _ in pairs] == [FINDING_AGGREGATOR_TYPE]
    assert violations(assembly, [rule]) == []
    for first, then in pairs:
        broken = cut(assembly, then)
        assert (first, then) in [(v.first, v.then) for v in violations(broken, [rule])]
    assert violations(assembly) == []


def test_every_rule_cites_the_aws_documentation() -> None:
    for rule in RULES:
        assert rule.url.startswith("https://docs.aws.amazon.com/"), rule
        assert rule.why
        assert rule.first.label
        assert rule.then.label


def copy_of(synth: Synth, directory: Path) -> Path:
    outdir = directory / "cdk.out"
    shutil.copytree(synth.outdir, outdir)
    return outdir


def test_trail_without_its_log_archive_dependency_breaks_the_trail_rule(
    example_synth: Synth, tmp_path: Path
) -> None:
    # Organization -> LogArchive -> Trail: cut LogArchive out of the trail's
    # dependencies (the organization one stays) in manifest.json itself.
    outdir = copy_of(example_synth, tmp_path)
    manifest = json.loads((outdir / "manifest.json").read_text())
    trail = manifest["artifacts"]["Acme-Trail"]
    trail["dependencies"].remove("Acme-LogArchive")
    (outdir / "manifest.json").write_text(json.dumps(manifest))

    broken = violations(load_assembly(outdir))
    assert broken
    assert {v.rule.then.label for v in broken} == {"the organization trail"}
    assert {v.rule.first.label for v in broken} == {"the log archive's key and bucket policies"}
    assert all(v.then.stack == "Acme-Trail" and v.first.stack == "Acme-LogArchive" for v in broken)
    assert "API_CreateTrail.html" in str(broken[0])


def test_delivery_channel_without_its_depends_on_breaks_the_recorder_rule(
    example_synth: Synth, tmp_path: Path
) -> None:
    outdir = copy_of(example_synth, tmp_path)
    path = outdir / "Acme-ManagementBaseline-eu-central-1.template.json"
    template = json.loads(path.read_text())
    (channel,) = (
        r for r in template["Resources"].values() if r["Type"] == "AWS::Config::DeliveryChannel"
    )
    del channel["DependsOn"]
    path.write_text(json.dumps(template))

    broken = violations(load_assembly(outdir))
    assert [(v.rule.first.label, v.then.stack) for v in broken] == [
        ("the Config recorder", "Acme-ManagementBaseline-eu-central-1")
    ]


def test_the_business_unit_orders_nothing_the_rules_cover_and_breaks_nothing(
    logistics_synth: Synth,
) -> None:
    # Its policies rely on the core's policy types, its Security Hub policies
    # on the core's delegated administrator: none of that is in its assembly.
    assembly = load_assembly(logistics_synth.outdir)
    assert violations(assembly) == []
    assert not any(rule.pairs(assembly) for rule in RULES)


def test_architecture_doc_lists_every_rule_as_generated() -> None:
    text = ARCHITECTURE.read_text()
    assert with_deploy_order_rules(text) == text, "run `make docs` and commit docs/architecture.md"
    section = text[text.index("## Deploy order") : text.index("<!-- deploy-order:end -->")]
    for rule in RULES:
        assert f"| {rule.first.label} | {rule.then.label} |" in section
        assert rule.url in section


# ---- templates and stacks ------------------------------------------------------------------


def test_edges_come_from_depends_on_ref_getatt_and_sub() -> None:
    template = Template.parse(
        {
            "Parameters": {"Name": {"Type": "String"}},
            "Resources": {
                "Key": {"Type": "AWS::KMS::Key"},
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {"K": {"Fn::GetAtt": "Key.Arn"}},
                },
                "Policy": {
                    "Type": "AWS::S3::BucketPolicy",
                    "Properties": {"Bucket": {"Ref": "Bucket"}, "N": {"Ref": "Name"}},
                },
                "Topic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {
                        "N": {"Fn::Sub": ["${Bucket.Arn}-${X}-${AWS::Region}", {"X": "x"}]}
                    },
                },
                "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": "Policy"},
            },
        }
    )
    assert template.edges == {
        "Key": frozenset(),
        "Bucket": {"Key"},
        "Policy": {"Bucket"},  # a parameter is no resource
        "Topic": {"Bucket"},  # ${X} is the Sub's own variable, ${AWS::Region} a pseudo one
        "Trail": {"Policy"},
    }
    assert template.waits_for("Trail", "Key")
    assert not template.waits_for("Topic", "Policy")
    assert template.creation_order() == ["Key", "Bucket", "Policy", "Topic", "Trail"]


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30),
        )
    )
)
def test_creation_order_puts_every_resource_after_what_it_waits_for(
    graph: tuple[int, list[tuple[int, int]]],
) -> None:
    count, pairs = graph
    # Edges only from a later-numbered resource to an earlier one: acyclic.
    resources: dict[str, dict[str, Any]] = {
        f"R{i}": {"Type": "T", "DependsOn": sorted({f"R{b}" for a, b in pairs if a == i and b < i})}
        for i in reversed(range(count))
    }
    template = Template.parse({"Resources": resources})
    order = template.creation_order()
    assert sorted(order) == sorted(resources)
    for logical_id, edges in template.edges.items():
        assert all(order.index(edge) < order.index(logical_id) for edge in edges)


def test_stacks_deploy_after_every_stack_they_depend_on(example: Assembly) -> None:
    order = example.stack_order()
    assert order[0] == "Acme-Organization"
    assert order[-2:] == ["Acme-Audit", "Acme-HealthEvents"]
    for name, stack in example.stacks.items():
        assert all(order.index(d) < order.index(name) for d in stack.dependencies)


def test_every_template_and_stack_set_template_has_an_order(example: Assembly) -> None:
    for stack in example.stacks.values():
        templates = [stack.template, *(s.template for s in stack.stack_sets.values())]
        for template in templates:
            order = template.creation_order()
            for logical_id in order:
                assert all(
                    order.index(e) < order.index(logical_id) for e in template.edges[logical_id]
                )


def test_stack_set_contents_are_the_synthesized_stack_set_templates(
    example: Assembly, example_synth: Synth
) -> None:
    inline = {
        stack_set.name: set(stack_set.template.resources)
        for stack in example.stacks.values()
        for stack_set in stack.stack_sets.values()
    }
    assert inline["Acme-LogArchive"] == set(
        example_synth.stackset_templates["Acme-LogArchive/Template"]["Resources"]
    )
    assert inline["Acme-AuditRegional"] == set(
        example_synth.stackset_templates["Acme-Audit/RegionalTemplate"]["Resources"]
    )


# ---- the plan ------------------------------------------------------------------------------


def test_example_plan_is_numbered_in_dependency_order(example_synth: Synth) -> None:
    lines = plan_lines(example_synth.outdir, load_config(EXAMPLE))
    assert len(lines) <= 30
    steps = [line for line in lines if re.match(r"^ ?\d+\. ", line)]
    assert [line.split(". ", 1)[1].split(":")[0] for line in steps] == [
        "Acme-Organization",
        "Acme-LogArchive",
        "Acme-IdentityCenter",
        "Acme-Trail",
        "Acme-MemberBaseline",
        "Acme-ManagementBaseline-<region>",
        "Acme-IdentityCenterEvents",
        "Acme-DetectionAdmin-<region>",
        "Acme-BreakGlass",
        "Acme-Audit",
        "Acme-HealthEvents",
    ]
    # Identity Center waits only for the OUs and accounts its reconciler reads.
    assert steps[2].endswith("management account, eu-west-1 (after 1)")
    assert steps[3].endswith("management account, eu-west-1 (after 2)")
    assert steps[5].endswith("one stack in each of eu-west-1, eu-central-1, us-east-1 (after 2)")
    # The events reach a reconciler that exists.
    assert steps[6].endswith("management account, us-east-1 (after 3)")
    assert steps[7].endswith("(after 5, 6)")
    # The alarm on every use (in the Trail stack) exists before the roles.
    assert steps[8].endswith("management account, eu-west-1 (after 4)")
    # The audit bus accepts the forwarded Health events before the rules send them.
    assert steps[10].endswith("management account, eu-west-1 (after 10)")
    assert lines[-1].startswith(f"  Order rules: {len(RULES)} of {len(RULES)} apply")


def test_the_plan_shows_the_reconciler_runs_once_the_permission_sets_exist(
    example_synth: Synth,
) -> None:
    stack = load_assembly(example_synth.outdir).stacks["Acme-IdentityCenter"]
    order = stack.template.creation_order()
    (custom,) = (
        r for r in order if stack.template.type_of(r) == "Custom::IdentityCenterAssignments"
    )
    permission_sets = [r for r in order if stack.template.type_of(r) == "AWS::SSO::PermissionSet"]
    assert permission_sets
    assert all(order.index(p) < order.index(custom) for p in permission_sets)
    lines = plan_lines(example_synth.outdir, load_config(EXAMPLE))
    at = next(i for i, line in enumerate(lines) if ". Acme-IdentityCenter:" in line)
    assert lines[at + 1] == "      custom resources: IdentityCenterAssignments"


def test_example_plan_counts_stack_instances_like_the_baseline_summary(
    example_synth: Synth,
) -> None:
    config = load_config(EXAMPLE)
    text = "\n".join(plan_lines(example_synth.outdir, config))
    accounts = len(config.baseline_account_keys())
    regions = len(config.baseline_region_order)
    assert (accounts, regions) == (11, 3)
    assert (
        "5.1 StackSet Acme-MemberBaseline: 11 member accounts (of 6 target OUs) x 3 governed "
        "regions = 33 stack instances (new accounts automatically)"
    ) in text
    assert (
        "2.1 StackSet Acme-LogArchive: log-archive account x eu-west-1 = 1 stack instance" in text
    )
    assert (
        "10.1 StackSet Acme-AuditRegional: audit account x 3 governed regions = 3 stack instances"
    ) in text
    assert (
        "9.1 StackSet Acme-BreakGlass: every member account (the root) x eu-west-1 "
        "(new accounts automatically)"
    ) in text
    assert "10.2 StackSet Acme-AuditHome: audit account x eu-west-1 = 1 stack instance" in text


def test_example_plan_groups_custom_resources_in_creation_order(example_synth: Synth) -> None:
    lines = plan_lines(example_synth.outdir, load_config(EXAMPLE))
    organization = lines.index(next(line for line in lines if "Acme-Organization:" in line))
    # Policy types first (the policies need them), then trusted access, then
    # centralized root access (it needs IAM's trusted access): one chain.
    assert lines[organization + 1] == (
        "      custom resources: OrganizationPolicyType x7 → OrganizationTrustedService x14"
        " → OrganizationRootAccess x2"
    )
    assert (
        "      custom resources: DelegatedAdministrator x4 (eu-west-1); "
        "DelegatedAdministrator x2 (eu-central-1, us-east-1)"
    ) in lines
    assert (
        "           custom resources in each: GuardDutyOrg → KeyArn → InspectorOrg → DetectiveOrg"
    ) in lines


def test_business_unit_plan_targets_the_cores_audit_account(logistics_synth: Synth) -> None:
    lines = plan_lines(logistics_synth.outdir, load_config(BUSINESS_UNIT_EXAMPLE))
    assert lines[:3] == [
        " 1. AcmeLogistics-Organization: management account, eu-west-1",
        " 2. AcmeLogistics-Audit: management account, eu-west-1 (after 1)",
        "      2.1 StackSet AcmeLogistics-AuditHome: the core's audit account x eu-west-1 = "
        "1 stack instance",
    ]
    assert lines[-1].startswith("  Order rules: none of the")


def test_plan_without_a_cloud_assembly_says_what_to_do(tmp_path: Path) -> None:
    assert plan_lines(tmp_path, load_config(EXAMPLE)) == [
        f"(no cloud assembly in {tmp_path}/; run `make synth` first)"
    ]


def test_plan_reports_a_broken_rule(example_synth: Synth, tmp_path: Path) -> None:
    outdir = copy_of(example_synth, tmp_path)
    manifest = json.loads((outdir / "manifest.json").read_text())
    manifest["artifacts"]["Acme-Audit"]["dependencies"] = ["Acme-Organization"]
    (outdir / "manifest.json").write_text(json.dumps(manifest))
    lines = plan_lines(outdir, load_config(EXAMPLE))
    start = next(i for i, line in enumerate(lines) if "ORDER RULES BROKEN" in line)
    broken = lines[start + 1 :]
    assert broken
    assert any("GuardDuty delegated administrator must come before" in line for line in broken)
    assert any("GuardDuty publishing destination" in line for line in broken)


def test_the_remediation_stack_set_follows_the_findings_topic(example_synth: Synth) -> None:
    text = "\n".join(plan_lines(example_synth.outdir, load_config(EXAMPLE)))
    assert "10.3 StackSet Acme-AuditRemediation: audit account x eu-west-1 = 1 stack instance" in (
        text
    )
    stack = load_assembly(example_synth.outdir).stacks["Acme-Audit"]
    by_name = {s.name: s.logical_id for s in stack.stack_sets.values()}
    # Its alarms and Lambda's failure records publish to the AuditHome topic.
    assert stack.template.waits_for(by_name["Acme-AuditRemediation"], by_name["Acme-AuditHome"])


def test_the_health_forwarding_follows_the_audit_bus_policy(example_synth: Synth) -> None:
    text = "\n".join(plan_lines(example_synth.outdir, load_config(EXAMPLE)))
    assert (
        "11.1 StackSet Acme-HealthEventsForward: 11 member accounts (of 6 target OUs) x 2 "
        "regions (us-east-1, us-west-2) = 22 stack instances (new accounts automatically)"
    ) in text
    assembly = load_assembly(example_synth.outdir)
    assert assembly.depends_on("Acme-HealthEvents", "Acme-Audit")
