"""`make synth`, `make diff` and `make deploy`: a fresh cdk.out each time, and one line
saying what to do when there are no credentials."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError

from landing_zone import preflight
from landing_zone.cli import stack_lines
from landing_zone.config import load_config
from landing_zone.preflight import credentials_problem
from tests.conftest import EXAMPLE, ROOT

CONFIG = load_config(EXAMPLE)


def dry_run(*targets: str) -> list[str]:
    """What `make` would run for ``targets`` (-n: print, run nothing)."""
    make = shutil.which("make")
    assert make is not None
    result = subprocess.run(  # noqa: S603 (the test's own command line)
        [make, "-n", "-W", "node_modules/.installed", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def position(lines: list[str], fragment: str) -> int:
    (index,) = [i for i, line in enumerate(lines) if fragment in line]
    return index


# ---- cdk.out is cleared before each synth ----------------------------------------------


@pytest.mark.parametrize(
    ("target", "cdk"),
    [("synth", "cdk synth"), ("diff", "cdk diff"), ("deploy", "cdk deploy")],
)
def test_each_synthesizing_target_empties_cdk_out_first(target: str, cdk: str) -> None:
    lines = dry_run(target)
    clear = position(lines, "rm -rf cdk.out")
    assert position(lines, "landing_zone.cli validate") < clear < position(lines, cdk)
    if target == "synth":
        # The summary reads the fresh assembly: after cdk synth, never before it.
        assert position(lines, "landing_zone.cli summary") > position(lines, cdk)


def test_a_stale_assembly_of_another_config_is_gone_after_the_synth_recipe(
    tmp_path: Path,
) -> None:
    outdir = tmp_path / "cdk.out"
    outdir.mkdir()
    (outdir / "Other-Organization.template.json").write_text(json.dumps({"Resources": {}}))
    (outdir / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "Other-Organization": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://999999999999/eu-west-1",
                        "properties": {"templateFile": "Other-Organization.template.json"},
                    }
                }
            }
        )
    )
    # Left there, the summary would list another config's stack as this one's.
    assert any(line.startswith("Other-Organization ") for line in stack_lines(outdir))
    # The recipe's own command, run where the stale assembly is.
    recipe = dry_run("synth")
    clear = shlex.split(recipe[position(recipe, "rm -rf cdk.out")])
    subprocess.run(clear, cwd=tmp_path, check=True)  # noqa: S603 (the Makefile's own line)
    assert not outdir.exists()
    assert stack_lines(outdir) == [f"(no cloud assembly in {outdir}/; run `make synth` first)"]


# ---- no credentials: one line, exit 2 -------------------------------------------------


class Failing:
    """A session whose STS client raises ``error`` on get_caller_identity."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def client(self, name: str, **_: Any) -> Any:
        return self

    def get_caller_identity(self) -> dict[str, str]:
        raise self.error


def test_missing_credentials_name_the_management_account_and_the_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "acme-management")
    problem = credentials_problem(CONFIG, Failing(NoCredentialsError()))
    assert problem == (
        "no usable AWS credentials (Unable to locate credentials); log in to the management "
        "account 111111111111 (aws sso login --profile acme-management)"
    )


def test_an_unreachable_sts_is_not_called_a_credentials_problem() -> None:
    error = EndpointConnectionError(endpoint_url="https://sts.eu-west-1.amazonaws.com")
    problem = credentials_problem(CONFIG, Failing(error))
    assert problem is not None
    assert problem.startswith("cannot reach AWS STS in eu-west-1 (")


@pytest.mark.parametrize("target", ["diff", "deploy"])
def test_main_says_what_to_do_in_one_line_and_exits_2(
    target: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(preflight.boto3, "Session", lambda: Failing(NoCredentialsError()))
    extra = ["--credentials-only"] if target == "diff" else []
    assert preflight.main([str(EXAMPLE), *extra, "--make-target", target]) == 2
    captured = capsys.readouterr()
    # Nothing else: not even the manual steps a deploy prints once it can run.
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("no usable AWS credentials (Unable to locate credentials); log in")
    assert line.endswith(f", then run `make {target} CONFIG={EXAMPLE}` again")


def credentials_only(home: Path, **aws: str) -> tuple[int, str]:
    """Exit code and the one line on stderr of `make diff`'s credential check, run for real.

    No credentials file and no instance metadata lookup (this machine may be
    an EC2 instance); ``aws`` adds variables (AWS_CONFIG_FILE, AWS_PROFILE).
    """
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **aws,
    }
    result = subprocess.run(  # noqa: S603 (the test's own command line)
        [sys.executable, "-m", "landing_zone.preflight", str(EXAMPLE), "--credentials-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return result.returncode, line


def test_the_real_credential_chain_without_credentials_exits_2_without_a_traceback(
    tmp_path: Path,
) -> None:
    code, line = credentials_only(tmp_path)
    assert code == 2
    assert "log in to the management account 111111111111" in line


def test_a_credential_helper_that_fails_on_several_lines_still_gives_one_line(
    tmp_path: Path,
) -> None:
    # botocore puts a credential_process's whole stderr in its error
    # (aws-vault, granted and the like print several lines when they fail).
    helper = 'sh -c \'echo "first line of the helper" >&2; echo "second line" >&2; exit 1\''
    config = tmp_path / "config"
    config.write_text(f"[profile broken]\ncredential_process = {helper}\n")
    code, line = credentials_only(tmp_path, AWS_CONFIG_FILE=str(config), AWS_PROFILE="broken")
    assert code == 2
    assert "custom-process: first line of the helper second line); log in to the" in line


def test_a_missing_profile_exits_2_in_one_line(tmp_path: Path) -> None:
    code, line = credentials_only(tmp_path, AWS_PROFILE="nowhere")
    assert code == 2
    assert line.startswith("AWS credentials: The config profile (nowhere) could not be found;")


@pytest.mark.parametrize(("target", "cdk"), [("diff", "cdk diff"), ("deploy", "cdk deploy")])
def test_diff_and_deploy_check_the_credentials_before_cdk_runs(target: str, cdk: str) -> None:
    lines = dry_run(target)
    check = position(lines, "landing_zone.preflight")
    assert f"--make-target {target}" in lines[check]
    assert check < position(lines, cdk)
