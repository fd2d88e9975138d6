"""Loading the config: the example is valid, every bad file gets a specific message.

A message names the file, the line and the dotted field; `validate` and the
app report it without a traceback; config/schema.json matches the model.
Each section's own checks are in test_<section>_config.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from landing_zone.cli import main as cli_main
from landing_zone.cli import schema_text
from landing_zone.config import (
    ConfigError,
    LandingZoneConfig,
    config_resource_types,
    dotted,
    load_config,
    types,
)
from tests.conftest import EXAMPLE, FIXTURES, ROOT
from tests.variants import copy_policy_files, minimal_variant, problems_of

BAD = FIXTURES / "bad"

# fixture -> (line, dotted field path, what the message must say)
BAD_CASES: dict[str, tuple[int | None, str, str]] = {
    "octal_account_id": (
        6,
        "organization.management_account_id",
        "unquoted number (1227133513); YAML drops leading zeros and reads 0-prefixed "
        "numbers as octal. Quote account ids in YAML, e.g. '011111111111'",
    ),
    "account_id_wrong_length": (
        27,
        "core_accounts.audit.account_id",
        "'22222222222' is not an AWS account id: it must be exactly 12 digits",
    ),
    "malformed_email": (
        32,
        "workload_accounts.app-prod.email",
        "'aws+app-prod.tiny.example' is not a valid email address",
    ),
    "duplicate_email": (
        32,
        "workload_accounts.app-prod.email",
        "email 'AWS+log@tiny.example' is already used by core_accounts.log_archive",
    ),
    "duplicate_account_name": (
        31,
        "workload_accounts.app-prod.name",
        "account name 'Tiny-LogArchive' is already used by core_accounts.log_archive",
    ),
    "unknown_ou": (
        33,
        "workload_accounts.app-prod.ou",
        "OU 'prodd' does not exist; did you mean 'prod'?",
    ),
    "ou_nesting_too_deep": (
        30,
        "organizational_units.workloads.children.sdlc.children.l3.children.l4.children.l5"
        ".children.l6",
        "nested 6 levels deep; AWS Organizations allows at most 5 levels below the root",
    ),
    "duplicate_ou_key_in_mapping": (
        20,
        "",
        "duplicate key 'organizational_units.workloads.children.prod' (first defined at line 16)",
    ),
    "duplicate_ou_key_in_tree": (
        19,
        "organizational_units.workloads.children.prod",
        "duplicate OU key 'prod' (also at organizational_units.security.children.prod)",
    ),
    "unknown_region": (
        9,
        "regions.governed[1]",
        "'eu-centrall-1' is not an AWS region; did you mean 'eu-central-1'?",
    ),
    "home_region_not_governed": (
        8,
        "regions.home",
        "home region 'us-east-1' is not in regions.governed (eu-west-1, eu-central-1)",
    ),
    "missing_required_field": (
        3,
        "organization.root_id",
        "required field 'root_id' is missing; add it",
    ),
    "unknown_field_typo": (
        32,
        "workload_accounts.app-prod.emial",
        "unknown field 'emial' (did you mean 'email'?)",
    ),
    "empty_file": (None, "", "the file is empty; copy config/example.yaml and edit it"),
    "invalid_yaml_syntax": (20, "", "invalid YAML syntax at line 20, column 6"),
    "account_both_created_and_adopted": (
        25,
        "core_accounts.audit",
        "set exactly one of 'email' (to create a new account) or 'account_id'",
    ),
}


def test_every_bad_fixture_has_a_case() -> None:
    assert {p.stem for p in BAD.glob("*.yaml")} == set(BAD_CASES)


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_config_message_names_file_line_field_and_fix(case: str) -> None:
    line, field, fragment = BAD_CASES[case]
    path = BAD / f"{case}.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.lines) == 1, raised.value.lines
    message = raised.value.lines[0]
    where = f"{path}:{line}" if line is not None else f"{path}"
    assert message.startswith(f"{where}: {field + ': ' if field else ''}"), message
    assert fragment in message


@pytest.mark.parametrize("case", ["octal_account_id", "unknown_ou", "invalid_yaml_syntax"])
def test_validate_command_exits_2_without_traceback(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["validate", str(BAD / f"{case}.yaml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"config error: {BAD / case}.yaml: 1 problem")
    assert "Traceback" not in captured.err


def test_app_exits_2_with_no_traceback_and_writes_nothing(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    bad = BAD / "duplicate_email.yaml"
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={
            "PATH": str(ROOT / "node_modules" / ".bin") + ":/usr/bin:/bin",
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps({"config": str(bad)}),
            # A fresh HOME (no AWS profile to fall back on), but jsii's
            # package cache from the real one: unpacking aws-cdk-lib into an
            # empty cache costs about 12 s and proves nothing here.
            "HOME": str(tmp_path),
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(
                Path.home() / ".cache" / "aws" / "jsii" / "package-cache"
            ),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "workload_accounts.app-prod.email" in result.stderr
    assert not outdir.exists() or not any(outdir.iterdir())


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    path = minimal_variant(tmp_path, replace=("ou: prod\n", "ou: nowhere\n"))
    path.write_text(path.read_text().replace("home: eu-west-1", "home: us-east-1"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.lines) == 2
    assert str(raised.value).startswith(f"{path}: 2 problems")


def test_example_config_is_valid_and_realistic() -> None:
    config = load_config(EXAMPLE)
    keys = {key: parent for key, _, parent, _ in config.walk_units()}
    assert keys["prod"] == "workloads"
    assert keys["sdlc"] == "workloads"
    for mission in ("security", "infrastructure", "sandbox", "workloads", "suspended"):
        assert keys[mission] is None
    assert any(account.adopted for _, account in config.all_accounts())
    assert len(config.workload_accounts) >= 5


def test_minimal_fixture_is_valid() -> None:
    assert load_config(FIXTURES / "minimal.yaml").prefix == "Tiny"


def test_config_is_frozen() -> None:
    config = load_config(EXAMPLE)
    with pytest.raises(ValueError, match="frozen"):
        config.prefix = "Other"  # type: ignore[misc]


def test_schema_json_is_up_to_date() -> None:
    committed = (ROOT / "config" / "schema.json").read_text()
    assert committed == schema_text(), "config/schema.json is stale: run `make schema`"


def test_schema_forbids_unknown_fields() -> None:
    schema = LandingZoneConfig.model_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"prefix", "organization", "regions"}


def test_dotted_locations() -> None:
    assert dotted(("regions", "governed", 2)) == "regions.governed[2]"
    assert dotted(()) == ""


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("prefix: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="the file is not UTF-8 text"):
        load_config(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_wrong_type_points_to_the_documented_shape(tmp_path: Path) -> None:
    path = minimal_variant(
        tmp_path,
        replace=("  governed: [eu-west-1, eu-central-1]", "  governed: eu-west-1"),
    )
    assert problems_of(path) == [
        f"{path}:9: regions.governed: Input should be a valid list; see this field's comment "
        "in config/example.yaml or config/schema.json"
    ]


@pytest.mark.parametrize(
    ("append", "where", "what"),
    [
        (
            "monitoring:\n  disabled_cis_alarms:\n    '4.1': noisy\n",
            "monitoring.disabled_cis_alarms.4.1",
            "say why this alarm is off (at least 10 characters); the reason is the audit trail",
        ),
        (
            "baseline:\n  excluded_accounts:\n    app-prod: legacy\n",
            "baseline.excluded_accounts.app-prod",
            "say why this account goes without the baseline (at least 10 characters)",
        ),
        (
            "detection:\n  conformance_pack:\n    disabled_rules:\n      restricted-ssh: ' no '\n",
            "detection.conformance_pack.disabled_rules.restricted-ssh",
            "say why this rule is left out (at least 10 characters)",
        ),
        (
            "detection:\n  security_hub:\n    policies:\n      default:\n        targets: [root]\n"
            "        standards: [aws-foundational-security-best-practices]\n"
            "        disabled_controls:\n          IAM.6: because\n",
            "detection.security_hub.policies.default.disabled_controls.IAM.6",
            "say why this control is off (at least 10 characters)",
        ),
    ],
)
def test_every_exemption_says_why(tmp_path: Path, append: str, where: str, what: str) -> None:
    """Excluded accounts, disabled alarms, rules and controls are the audit trail: a reason each."""
    problems = problems_of(minimal_variant(tmp_path, append=append))
    assert len(problems) == 1, problems
    assert f": {where}: {what}" in problems[0]
    # Ten characters, spaces around them not counted, are enough.
    fixed = append.replace("noisy", "too noisy here").replace("legacy", "legacy payroll")
    fixed = fixed.replace("' no '", "'  superseded  '").replace("because", "covered by SSO")
    load_config(minimal_variant(tmp_path, append=fixed))


def laughs(depth: int) -> str:
    """Nested aliases: walked path by path, ``9 ** depth`` values."""
    lines = ["a0: &a0 [1, 2]"]
    for level in range(1, depth + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("prefix: Tiny\x00\n", ":1: character U+0000 at line 1 is not allowed in YAML"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply to be a config"),
        # Walked once per node, not once per path: this answers at once.
        (laughs(12), "unknown field 'a0'"),
    ],
    ids=["control-character", "deep-nesting", "alias-bomb"],
)
def test_hostile_yaml_gets_a_message_not_a_traceback_or_a_hang(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(content)
    problems = problems_of(path)
    assert any(expected in line for line in problems), problems


@pytest.mark.parametrize(
    ("replace", "append", "expected"),
    [
        (
            (
                "governed: [eu-west-1, eu-central-1]",
                "governed: [eu-west-1, eu-central-1, eu-west-1]",
            ),
            "",
            "regions.governed[2]: region 'eu-west-1' is listed twice",
        ),
        (
            None,
            "baseline:\n  targets: [security, prod, security]\n",
            "baseline.targets[2]: 'security' is listed twice; remove one",
        ),
        (
            None,
            "baseline:\n  config_recorder:\n    daily_resource_types:\n"
            "      - AWS::EC2::Instance\n      - AWS::EC2::Instance\n",
            "baseline.config_recorder.daily_resource_types[1]: 'AWS::EC2::Instance' is listed "
            "twice; remove one",
        ),
        (
            None,
            "detection:\n  security_hub:\n    policies:\n      default:\n        targets: [root]\n"
            "        standards:\n          - aws-foundational-security-best-practices\n"
            "          - aws-foundational-security-best-practices\n",
            "detection.security_hub.policies.default.standards[1]: "
            "'aws-foundational-security-best-practices' is listed twice; remove one",
        ),
    ],
    ids=["region", "baseline-target", "recorder-type", "standard"],
)
def test_a_repeated_list_entry_is_named_at_its_second_place(
    tmp_path: Path, replace: tuple[str, str] | None, append: str, expected: str
) -> None:
    problems = problems_of(minimal_variant(tmp_path, replace=replace, append=append))
    assert len(problems) == 1, problems
    assert problems[0].endswith(expected), problems


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [
        f"{tmp_path}: is a directory; pass a YAML file, e.g. config/example.yaml"
    ]


def test_validation_reads_no_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regions and service models come from botocore's bundled data, not a Session."""
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    for cached in (types._regions_by_partition, types.service_enum):
        cached.cache_clear()
    assert "eu-west-1" in types.known_regions()
    assert types.partition_of("cn-north-1") == "aws-cn"
    assert "AWS::EC2::Instance" in config_resource_types()
    assert load_config(EXAMPLE).partition == "aws"


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``argv`` run from the repository root (a test's own command line, not input)."""
    return subprocess.run(  # noqa: S603
        argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_validate_with_a_mistyped_aws_profile_is_ok(tmp_path: Path) -> None:
    result = _run(
        [sys.executable, "-m", "landing_zone.cli", "validate", str(EXAMPLE)],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_PROFILE": "nope"},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: tmp, "is a directory; pass a YAML file"),
        (lambda tmp: tmp / "missing.yaml", "no such file"),
        (
            lambda tmp: minimal_variant(tmp, replace=("prefix: Tiny", "prefix: Aws")),
            ":2: prefix: ",
        ),
        (
            lambda tmp: minimal_variant(
                tmp, append="guardrails:\n  quotas:\n    scp_max_chars: 1000000\n"
            ),
            "guardrails.quotas.scp_max_chars: ",
        ),
        (
            lambda tmp: minimal_variant(
                tmp, append="guardrails:\n  sandbox_instance_types: [m7i.lrage]\n"
            ),
            "guardrails.sandbox_instance_types[0]: ",
        ),
    ],
    ids=["directory", "missing", "reserved-prefix", "quota-above-limit", "instance-type"],
)
def test_bad_input_exits_2_with_a_message_in_seconds(
    tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    started = time.monotonic()
    result = _run([sys.executable, "-m", "landing_zone.cli", "validate", str(make(tmp_path))])
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert expected in result.stderr, result.stderr


def test_makefile_quotes_the_config_path(tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make is not None
    spaced = tmp_path / "my configs" / "bu one.yaml"
    spaced.parent.mkdir()
    spaced.write_text(EXAMPLE.read_text())
    copy_policy_files(EXAMPLE.parent, spaced.parent)
    result = _run([make, "-s", "validate", f"CONFIG={spaced}"])
    assert result.returncode == 0, result.stderr
    assert f"{spaced}: ok" in result.stdout
    # Every recipe that takes the config passes it as one argument (-n: print, run nothing).
    dry = _run(
        [make, "-n", "-W", "node_modules/.installed", "synth", "deploy", "diff", f"CONFIG={spaced}"]
    )
    uses = [line for line in dry.stdout.splitlines() if str(spaced) in line]
    assert len(uses) == 9, dry.stdout
    assert all(line.count(f'"{spaced}"') == line.count(str(spaced)) for line in uses), uses
