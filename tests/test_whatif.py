"""whatif: checked-in CloudTrail samples replayed against the example's SCPs and RCPs.

Each sample's expected outcome names the guardrail (landing_zone/guardrails/
catalog.py) that decides it, or why it is not evaluated.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from landing_zone.cli import main
from landing_zone.whatif.command import engine_for, replay
from landing_zone.whatif.events import records
from landing_zone.whatif.snapshot import snapshot
from landing_zone.whatif.translate import translate
from tests.conftest import EXAMPLE, ROOT
from tests.variants import variant

FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"
TRAIL = FIXTURES / "trail"
ORG_MAP = FIXTURES / "org-map.json"

# eventID -> (outcome, the guardrail that denies it or words of the reason).
EXPECTED: dict[str, tuple[str, str]] = {
    # catalog protect-organization-trail: the landing zone's trails cannot be stopped.
    "assumed-role-stops-trail": ("denied", "protect-organization-trail"),
    # catalog deny-root-user: the root user of a member account can do nothing.
    "root-lists-buckets": ("denied", "deny-root-user"),
    # catalog region-deny: ap-southeast-2 is not in regions.governed.
    "ungoverned-region": ("denied", "region-deny"),
    "governed-region": ("allowed", ""),
    # catalog deny-iam-users-and-access-keys (identity-center-only on payments-prod);
    # IAM is global: region-deny exempts it.
    "global-iam-create-user": ("denied", "deny-iam-users-and-access-keys"),
    # catalog deny-leave-organization, Organizations is global.
    "global-organizations-leave": ("denied", "deny-leave-organization"),
    "global-sts-caller-identity": ("allowed", ""),
    # Data events: rcp-enforce-tls and rcp-identity-perimeter hold (TLS recorded, org principal).
    "data-get-object-sandbox": ("allowed", ""),
    # catalog deny-all-suspended.
    "data-get-object-suspended": ("denied", "deny-all-suspended"),
    # rcp-enforce-tls tests aws:SecureTransport; without tlsDetails it is not known.
    "data-put-object-without-tls-record": ("skipped", "aws:securetransport"),
    # catalog protect-log-archive-buckets (log-archive pack on Security).
    "log-bucket-policy-rewrite": ("denied", "protect-log-archive-buckets"),
    # Both accounts are in the organization: rcp-identity-perimeter allows.
    "cross-account-in-org": ("allowed", ""),
    # A principal of an account nobody placed (userIdentity AWSAccount): that
    # account's SCPs, if it is a member, are not known.
    "cross-account-external": ("skipped", "unknown account 999999999999"),
    # rcp-identity-perimeter's confused-deputy statement tests aws:SourceAccount.
    "service-principal-assumes-role": ("skipped", "aws:sourceaccount"),
    "service-linked-role": ("not_affected", "service-linked roles"),
    "management-account": ("not_affected", "management account"),
    "console-sign-in": ("not_affected", "console sign-in"),
    "unmappable-action": ("skipped", "unmappable action"),
    "unknown-account": ("skipped", "unknown account 777777777777"),
    "cloudwatch-put-metric": ("allowed", ""),
    "lambda-versioned-name": ("allowed", ""),
    # catalog sandbox-instance-types: m5.large is not in guardrails.sandbox_instance_types.
    "sandbox-large-instance": ("denied", "sandbox-instance-types"),
    "sandbox-small-instance": ("allowed", ""),
}


def outcomes(config: Path = EXAMPLE, events: str = str(TRAIL)) -> dict[str, tuple[str, str]]:
    org_map = json.loads(ORG_MAP.read_text())
    engine = engine_for(snapshot(config), org_map=org_map, live=None)
    found: dict[str, tuple[str, str]] = {}
    from landing_zone.whatif.translate import Skip, translate

    for record in records(events):
        try:
            outcome = engine.decide(translate(record))
        except Skip as skip:
            found[record["eventID"]] = (
                "not_affected" if skip.not_affected else "skipped",
                skip.reason,
            )
            continue
        detail = ", ".join(g for g, _ in outcome.denials) or outcome.reason
        found[record["eventID"]] = (outcome.status, detail)
    return found


def test_every_sample_is_decided_as_its_guardrail_says() -> None:
    found = outcomes()
    assert set(found) == set(EXPECTED)
    wrong = {
        event: (found[event], expected)
        for event, expected in EXPECTED.items()
        if found[event][0] != expected[0] or expected[1] not in found[event][1]
    }
    assert wrong == {}


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["whatif", *args])
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return code, out.getvalue(), err.getvalue()


def test_json_document_has_the_denials_with_guardrail_and_policy() -> None:
    code, out, _ = run_cli(
        str(EXAMPLE), "--events", str(TRAIL), "--org-map", str(ORG_MAP), "--json"
    )
    assert code == 0
    document = json.loads(out)
    assert document["evaluated"] == len(EXPECTED)
    denied = {d["eventID"]: d for d in document["denied"]}
    assert set(denied) == {e for e, (status, _) in EXPECTED.items() if status == "denied"}
    trail = denied["assumed-role-stops-trail"]
    assert (trail["account"], trail["ou"], trail["guardrail"], trail["policy"]) == (
        "444444444444",
        "prod",
        "protect-organization-trail",
        "Acme-root-scp-1",
    )
    assert trail["principal"] == "arn:aws:iam::444444444444:role/WorkloadAdmin"
    skipped = {s["eventID"] for s in document["skipped"]}
    assert skipped == {e for e, (status, _) in EXPECTED.items() if status == "skipped"}
    assert document["denied_by_ou"]["sandbox"] == 4
    assert document["counts"]["skipped"] == len(skipped)


def test_text_report_lists_denials_and_groups() -> None:
    code, out, _ = run_cli(str(EXAMPLE), "--events", str(TRAIL), "--org-map", str(ORG_MAP))
    assert code == 0
    assert "protect-organization-trail [Acme-root-scp-1]" in out
    assert "Denied by guardrail:" in out
    assert "Skipped (not evaluated):" in out


def test_a_single_gzip_file_is_read(tmp_path: Path) -> None:
    found = outcomes(events=str(TRAIL / "nested" / "second.json.gz"))
    assert found
    assert set(found) < set(EXPECTED)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"records": []}', "no Records array"),
        (gzip.compress(b"[1, 2]", mtime=0), "no Records array"),
        # A gzip header over a corrupt deflate stream (zlib.error, not OSError).
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage", "not a readable gzip"),
        (gzip.compress(b'{"Records": []}', mtime=0)[:-9], "not a readable gzip"),
    ],
    ids=["bad-json", "no-records", "gzip-list", "gzip-corrupt", "gzip-truncated"],
)
def test_malformed_input_is_exit_2_with_one_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    code, out, err = run_cli(str(EXAMPLE), "--events", str(path))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_missing_events_path_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli(str(EXAMPLE), "--events", str(tmp_path / "nowhere"))
    assert (code, "no such file" in err) == (2, True)


def test_a_directory_without_log_files_is_exit_2(tmp_path: Path) -> None:
    # An empty report would read as "nothing would break".
    (tmp_path / "notes.txt").write_text("no logs")
    code, out, err = run_cli(str(EXAMPLE), "--events", str(tmp_path))
    assert (code, out) == (2, "")
    assert "no CloudTrail log files" in err


def test_s3_without_credentials_or_files_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from landing_zone.whatif.command import add_arguments, run

    parser = __import__("argparse").ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(EXAMPLE), "--events", "s3://trail/AWSLogs/", "--workers", "1"])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    no_credentials = boto3.Session(region_name="eu-west-1")
    assert run(args, session=no_credentials, out=io.StringIO()) == 2
    assert "credentials" in err.getvalue()
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(
            Bucket="trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        err.truncate(0)
        assert run(args, session=session, out=io.StringIO()) == 2
        assert "no CloudTrail log files" in err.getvalue()


def test_a_record_of_another_shape_is_skipped_not_a_traceback(tmp_path: Path) -> None:
    record = {"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "eventID": "odd"}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"Records": [{**record, "userIdentity": "not an object"}]}))
    code, out, err = run_cli(str(EXAMPLE), "--events", str(path), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["skipped_by_reason"] == {"malformed record": 1}


def test_a_principal_of_another_account_is_under_its_accounts_scps() -> None:
    """userIdentity type AWSAccount: a principal of that account, not an AWS service;
    its type and ARN are not recorded, so the SCPs decide or the event is skipped."""
    engine = engine_for(snapshot(EXAMPLE), org_map=json.loads(ORG_MAP.read_text()), live=None)
    record = {
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": "ap-southeast-2",
        "recipientAccountId": "444444444444",
        "userIdentity": {"type": "AWSAccount", "accountId": "222222222222"},
    }
    outcome = engine.decide(translate(record))
    assert outcome.status == "skipped"
    assert "aws:principalarn" in outcome.reason


def test_config_error_is_exit_2(tmp_path: Path) -> None:
    bad = variant(EXAMPLE, tmp_path, replace=[("prefix: Acme", "prefix: acme-lower")])
    code, _, err = run_cli(str(bad), "--events", str(TRAIL))
    assert code == 2
    assert "config error" in err


def test_org_map_unknown_ou_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"222222222222": "nope"}))
    code, _, err = run_cli(str(EXAMPLE), "--events", str(TRAIL), "--org-map", str(path))
    assert code == 2
    assert "nope" in err


def test_org_map_from_verify_json_and_import_config(tmp_path: Path) -> None:
    from landing_zone.whatif.command import _unit_names
    from landing_zone.whatif.placement import read_org_map

    names = _unit_names(EXAMPLE)
    verify = tmp_path / "verify.json"
    verify.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "results": [
                    {
                        "check": "account",
                        "item": "platform-prod",
                        "status": "ok",
                        "expected": "x",
                        "actual": "444444444444 in Root/Workloads/Prod",
                    },
                    {
                        "check": "account",
                        "item": "sandbox-data-science",
                        "status": "drift",
                        "expected": "x",
                        "actual": "222222222222 in Root/Suspended: in Root/Suspended, "
                        "not Root/Sandbox",
                    },
                    {
                        "check": "ou",
                        "item": "ou prod",
                        "status": "ok",
                        "expected": "",
                        "actual": "",
                    },
                ],
            }
        )
    )
    assert read_org_map(verify, unit_names=names) == {
        "444444444444": "prod",
        "222222222222": "suspended",
    }
    imported = tmp_path / "imported.yaml"
    imported.write_text(
        "core_accounts:\n  log_archive: {name: L, account_id: '555555555555', ou: security}\n"
        "workload_accounts:\n  app: {name: A, account_id: '444444444444', ou: prod}\n"
    )
    assert read_org_map(imported, unit_names=names) == {
        "555555555555": "security",
        "444444444444": "prod",
    }


def test_decisions_are_cached_and_the_same() -> None:
    engine = engine_for(snapshot(EXAMPLE), org_map=json.loads(ORG_MAP.read_text()), live=None)
    events = list(records(str(TRAIL)))
    first = replay(iter(events), engine)
    hits = engine.hits
    second = replay(iter(events), engine)
    assert engine.hits - hits >= first.status["denied"] + first.status["allowed"]
    assert first.document(diff=False) == second.document(diff=False)


def test_s3_prefix_is_read_with_boto3() -> None:
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1")
        s3 = session.client("s3")
        s3.create_bucket(
            Bucket="trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_object(
            Bucket="trail",
            Key="AWSLogs/o-a1b2c3d4e5/1.json",
            Body=(TRAIL / "first.json").read_bytes(),
        )
        s3.put_object(
            Bucket="trail",
            Key="AWSLogs/o-a1b2c3d4e5/2.json.gz",
            Body=(TRAIL / "nested" / "second.json.gz").read_bytes(),
        )
        # Digest files hold no records and are passed over.
        s3.put_object(
            Bucket="trail",
            Key="AWSLogs/o-a1b2c3d4e5/CloudTrail-Digest/d.json.gz",
            Body=gzip.compress(b"{}"),
        )
        ids = [r["eventID"] for r in records("s3://trail/AWSLogs/", session=session)]
    assert sorted(ids) == sorted(EXPECTED)


def test_live_places_accounts_the_config_does_not_name() -> None:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        organizations = session.client("organizations")
        organizations.create_organization(FeatureSet="ALL")
        root = organizations.list_roots()["Roots"][0]["Id"]
        sandbox = organizations.create_organizational_unit(ParentId=root, Name="Sandbox")
        account = organizations.create_account(Email="a@example.com", AccountName="dev")
        account_id = account["CreateAccountStatus"]["AccountId"]
        organizations.move_account(
            AccountId=account_id,
            SourceParentId=root,
            DestinationParentId=sandbox["OrganizationalUnit"]["Id"],
        )
        events = Path("events.json")
        record = json.loads((TRAIL / "first.json").read_text())["Records"][2]  # ungoverned-region
        record = json.loads(json.dumps(record).replace("222222222222", account_id))
        import tempfile

        with tempfile.TemporaryDirectory() as directory:
            events = Path(directory) / "events.json"
            events.write_text(json.dumps({"Records": [record]}))
            import argparse

            from landing_zone.whatif.command import run

            args = argparse.Namespace(
                config=EXAMPLE,
                events=str(events),
                org_map=None,
                live=True,
                json=True,
                against=None,
                limit=100,
                workers=1,
            )
            out = io.StringIO()
            assert run(args, session=session, out=out) == 0
    document = json.loads(out.getvalue())
    assert [(d["ou"], d["guardrail"]) for d in document["denied"]] == [("sandbox", "region-deny")]


def test_against_a_second_config_shows_only_the_changed_denials(tmp_path: Path) -> None:
    without = variant(EXAMPLE, tmp_path, replace=[("    sandbox: [sandbox]\n", "")])
    code, out, _ = run_cli(
        str(EXAMPLE),
        "--events",
        str(TRAIL),
        "--org-map",
        str(ORG_MAP),
        "--json",
        "--against",
        str(without),
    )
    assert code == 0
    document = json.loads(out)
    # The example adds the sandbox pack over the variant: its denial is the only change.
    assert [(d["eventID"], d["guardrail"]) for d in document["denied"]] == [
        ("sandbox-large-instance", "sandbox-instance-types")
    ]
    assert document["no_longer_denied"] == []
    code, out, _ = run_cli(
        str(without),
        "--events",
        str(TRAIL),
        "--org-map",
        str(ORG_MAP),
        "--json",
        "--against",
        str(EXAMPLE),
    )
    document = json.loads(out)
    assert document["denied"] == []
    assert [d["eventID"] for d in document["no_longer_denied"]] == ["sandbox-large-instance"]


def test_against_an_event_undecided_now_is_skipped_not_no_longer_denied(tmp_path: Path) -> None:
    # Without tlsDetails the TLS guardrail cannot be decided; the other config
    # denies the same event outright (suspended account): it is not "no longer denied".
    engine = engine_for(snapshot(EXAMPLE), org_map={"222222222222": "sandbox"}, live=None)
    before = engine_for(snapshot(EXAMPLE), org_map={"222222222222": "suspended"}, live=None)
    record = next(
        r for r in records(str(TRAIL)) if r["eventID"] == "data-put-object-without-tls-record"
    )
    t = translate(record)
    assert (engine.decide(t).status, before.decide(t).status) == ("skipped", "denied")
    report = replay(iter([record]), engine, against=before)
    assert report.removed == []
    assert report.status["skipped"] == 1


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)  # noqa: S603, S607


def test_against_a_git_ref_uses_that_refs_pack_code(tmp_path: Path) -> None:
    """A commit that adds a guardrail to a pack (code, not config): its new denials only."""
    repo = tmp_path / "repo"
    shutil.copytree(
        ROOT / "landing_zone", repo / "landing_zone", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(ROOT / "config", repo / "config")
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "before")
    packs = repo / "landing_zone" / "guardrails" / "packs.py"
    text = packs.read_text()
    old = 'guardrails=("require-imdsv2",),\n    ),\n    Pack(\n        id="production",'
    assert old in text
    # The workload pack gains the sandbox's instance-type allow-list.
    packs.write_text(
        text.replace(
            old,
            'guardrails=("require-imdsv2", "sandbox-instance-types"),\n    ),\n    Pack(\n'
            '        id="production",',
        )
    )
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "after")
    events = tmp_path / "events.json"
    record = json.loads(
        (TRAIL / "nested" / "second.json.gz").read_bytes()
        and gzip.decompress((TRAIL / "nested" / "second.json.gz").read_bytes())
    )["Records"]
    large = next(r for r in record if r["eventID"] == "sandbox-large-instance")
    in_prod = json.loads(json.dumps(large).replace("222222222222", "444444444444"))
    in_prod["eventID"] = "prod-large-instance"
    events.write_text(json.dumps({"Records": [large, in_prod]}))
    result = subprocess.run(  # noqa: S603 - the test's own command line
        [
            sys.executable,
            "-m",
            "landing_zone.cli",
            "whatif",
            "config/example.yaml",
            "--events",
            str(events),
            "--org-map",
            str(ORG_MAP),
            "--json",
            "--against",
            "HEAD~1",
        ],
        cwd=repo,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    # Sandbox denied it before and after; prod only after the pack change.
    assert [(d["eventID"], d["ou"], d["guardrail"]) for d in document["denied"]] == [
        ("prod-large-instance", "prod", "sandbox-instance-types")
    ]
    assert document["no_longer_denied"] == []


def test_an_unknown_git_ref_is_exit_2() -> None:
    code, _, err = run_cli(
        str(EXAMPLE), "--events", str(TRAIL), "--against", "no-such-ref-anywhere"
    )
    assert code == 2
    assert "no such git ref" in err


def test_the_docs_sample_is_what_the_fixtures_give() -> None:
    from landing_zone.guardrails.docs import WHATIF_SECTION

    denied = [line.split() for line in WHATIF_SECTION if "[Acme-" in line]
    assert denied
    for words in denied:
        assert EXPECTED[words[0]] == ("denied", words[-2])


def test_parallel_workers_give_the_same_report_as_one_process() -> None:
    from landing_zone.whatif.command import replay_parallel
    from landing_zone.whatif.events import local_files

    org_map = json.loads(ORG_MAP.read_text())
    data = snapshot(EXAMPLE)
    one = replay(records(str(TRAIL)), engine_for(data, org_map=org_map, live=None))
    files = local_files(str(TRAIL))
    assert files is not None
    assert len(files) == 2
    two = replay_parallel(files, current=data, other=None, org_map=org_map, workers=2)
    assert two.document(diff=False) == one.document(diff=False)


def _session(**record: Any) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "recipientAccountId": "222222222222",
        "userIdentity": {
            "type": "AssumedRole",
            "accountId": "222222222222",
            "arn": "arn:aws:sts::222222222222:assumed-role/app/s",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": "arn:aws:iam::222222222222:role/app",
                    "accountId": "222222222222",
                },
                "attributes": {"mfaAuthenticated": "false"},
            },
        },
        **record,
    }


def test_a_request_through_a_vpc_endpoint_has_no_source_ip() -> None:
    direct = translate(_session())
    assert direct.context["aws:SourceIp"] == "198.51.100.7"
    through = translate(_session(vpcEndpointId="vpce-0123456789abcdef0"))
    assert "aws:SourceIp" not in through.context
    assert "aws:sourceip" in through.absent
    assert through.context["aws:ViaAWSService"] == "false"


def test_a_session_without_mfa_leaves_the_mfa_key_unknown() -> None:
    without = translate(_session())
    assert "aws:MultiFactorAuthPresent" not in without.context
    assert "aws:multifactorauthpresent" not in without.absent
    with_mfa = _session()
    with_mfa["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] = "true"
    assert translate(with_mfa).context["aws:MultiFactorAuthPresent"] == "true"
