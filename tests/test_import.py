"""`make import`: a config that adopts a brownfield organization as it is.

The organization (tests/brownfield_org.py) is imported once through the
command itself; the written file is loaded back (it validates), read as
text (its comments) and synthesized once, which proves a first deploy
would replace nothing: no account is created, every OU of the template is
an existing one by name and parent, and the adoption mapping names each by
its id.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from landing_zone import importer
from landing_zone.config import LandingZoneConfig, load_config
from landing_zone.importer import Imported as Written
from landing_zone.importer import Keys, fit, render, run, scalar, slug, unit_keys
from landing_zone.naming import pascal
from landing_zone.ou_adoption import ou_mapping, tag_commands, template_units
from landing_zone.verify.checks import Organization, Unit
from tests.brownfield_org import ACCOUNTS, DUPLICATE, MANAGEMENT, UNITS, Brownfield, moto_world
from tests.conftest import Synth, synthesize

T = TypeVar("T")
ARGS = ("--prefix", "Acme", "--home-region", "eu-west-1", "--governed", "eu-central-1")


def _run(argv: list[str], world: Brownfield) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv, session=world.session)
    return code, out.getvalue(), err.getvalue()


@dataclass(frozen=True)
class Imported:
    path: Path
    code: int
    out: str
    err: str
    #: OU path (names from the root) -> live id; account name -> live id.
    units: dict[tuple[str, ...], str]
    accounts: dict[str, str]
    policies: dict[str, str]

    @property
    def text(self) -> str:
        return self.path.read_text()

    @property
    def config(self) -> LandingZoneConfig:
        return load_config(self.path)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    path = tmp_path_factory.mktemp("import") / "brownfield.yaml"
    with moto_world() as world:
        code, out, err = _run(["--out", str(path), *ARGS], world)
        return Imported(path, code, out, err, world.units, world.accounts, world.policies)


def _keys(config: LandingZoneConfig) -> dict[str, tuple[str, ...]]:
    """OU key -> its path of names from the root."""
    names = {key: unit.name for key, unit, _, _ in config.walk_units()}
    return {
        key: tuple(names[step] for step in config.tree.path(key)[1:])
        for key, *_ in config.walk_units()
    }


def test_the_written_config_validates(imported: Imported) -> None:
    assert imported.code == 0, imported.err
    assert imported.out.startswith(f"wrote {imported.path}: 9 OUs, 10 accounts adopted")
    # load_config raises on any problem; the file is exactly what the command validated.
    assert imported.config.prefix == "Acme"
    assert yaml.safe_load(imported.text)["organization"]["management_account_id"] == MANAGEMENT


def test_ou_keys_come_from_names_and_collisions_take_the_parent_key(imported: Imported) -> None:
    assert _keys(imported.config) == {
        # A key starts with a letter; 'root' names the organization's root.
        "ou-2024-projects": ("2024 Projects",),
        "retail": ("Retail",),
        # Two OUs named Prod: each takes its parent's key.
        "retail-prod": ("Retail", "Prod"),
        "root-2": ("Root",),
        "sandbox": ("Sandbox",),
        "security": ("Security",),
        "workloads": ("Workloads",),
        "dev": ("Workloads", "Dev"),
        "workloads-prod": ("Workloads", "Prod"),
    }
    assert {path for path in imported.units if path} == set(UNITS)


def test_every_account_in_an_ou_is_adopted_by_id_in_its_ou(imported: Imported) -> None:
    config = imported.config
    paths = _keys(config)
    adopted = {
        account.account_id: (account.name, paths[account.ou])
        for _, account in config.all_accounts()
    }
    assert all(account.email is None for _, account in config.all_accounts())
    live = {
        imported.accounts[name]: path
        for name, path in [*ACCOUNTS.items(), (f"{DUPLICATE[0]} (2)", DUPLICATE[1])]
        if path
    }
    assert {account_id: path for account_id, (_, path) in adopted.items()} == live
    # Names are unique in a config: the first "Shop Dev" in the file (Sandbox, before
    # Workloads) keeps it, the other is told apart by its id; in AWS both stay as they are.
    in_dev, in_sandbox = imported.accounts["Shop Dev"], imported.accounts["Shop Dev (2)"]
    assert adopted[in_sandbox][0] == "Shop Dev"
    assert adopted[in_dev][0] == f"Shop Dev ({in_dev})"
    assert '# named "Shop Dev" in AWS, like workload_accounts.shop-dev' in imported.text
    assert f"account_id: '{in_dev}'  # email: aws+4@brownfield.example" in imported.text


def test_control_towers_shared_accounts_become_the_core_accounts(imported: Imported) -> None:
    core = imported.config.core_accounts
    assert core is not None
    assert (core.log_archive.account_id, core.audit.account_id) == (
        imported.accounts["Log Archive"],
        imported.accounts["Audit"],
    )


def test_an_account_in_the_root_is_listed_not_adopted(imported: Imported) -> None:
    legacy = imported.accounts["Legacy"]
    assert legacy not in {a.account_id for _, a in imported.config.all_accounts()}
    assert (
        f'#   {legacy} "Legacy" <aws+9@brownfield.example>: in the root, not in an OU'
        in imported.text
    )


def test_existing_policies_are_listed_beside_the_guardrails(imported: Imported) -> None:
    text, ids = imported.text, imported.policies
    guardrails = text[: text.index("\nguardrails:")]
    for line in (
        f'# existing SCP "DenyLeaveOrg" ({ids["DenyLeaveOrg"]}) 122 chars, attached to: Root, '
        "Workloads",
        f'# existing SCP "DenyRegions" ({ids["DenyRegions"]}) 210 chars, attached to: Workloads',
        f'# existing SCP "aws-guardrails-GhIjKl" ({ids["aws-guardrails-GhIjKl"]}) 210 chars, '
        "attached to: Security, Workloads (Control Tower)",
        f'# existing RCP "DenyExternalS3" ({ids["DenyExternalS3"]}) 186 chars, attached to: Root',
        "# SCPs attached per target today, besides FullAWSAccess: Workloads 3, Security 2, Root 1; "
        "scp_reserved_per_target below keeps 3 slot(s) for them",
    ):
        assert line in guardrails.splitlines(), line


def test_the_slots_existing_policies_take_are_reserved(imported: Imported) -> None:
    quotas = imported.config.guardrails.quotas
    assert (quotas.scp_reserved_per_target, quotas.rcp_reserved_per_target) == (3, 1)
    assert imported.config.guardrails.attachments == {"root": ["core"]}


def test_services_trusted_administered_and_recording_are_written_down(imported: Imported) -> None:
    config, text = imported.config, imported.text
    audit = imported.accounts["Audit"]
    features = config.organization_features
    # Trusted today and known to the landing zone: kept; Control Tower's left as it is.
    assert "ssm.amazonaws.com" not in features.trusted_services
    assert {"guardduty.amazonaws.com", "sso.amazonaws.com"} <= set(features.trusted_services)
    assert (
        "#   of which this landing zone does not manage (left as they are): "
        "controltower.amazonaws.com, ssm.amazonaws.com" in text
    )
    assert f"#   guardduty.amazonaws.com: {audit} (Audit)" in text
    assert "#   eu-west-1: 'default' -- make deploy refuses until it is deleted" in text
    # Control Tower's role is exempt from the guardrails.
    assert (
        config.privileged_principals["control-tower-execution"].arn
        == "arn:aws:iam::*:role/AWSControlTowerExecution"
    )


# ---- a first deploy replaces nothing ------------------------------------------------------------


@pytest.fixture(scope="module")
def synth(imported: Imported, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The imported config synthesized: the one synth of this module."""
    return synthesize(imported.path, tmp_path_factory.mktemp("import.out"), validation=False)


def _resources(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    for templates in (synth.templates, synth.nested_templates, synth.stackset_templates):
        for template in templates.values():
            yield from template.get("Resources", {}).items()


def test_no_account_is_created(synth: Synth) -> None:
    types = [resource["Type"] for _, resource in _resources(synth)]
    assert "AWS::Organizations::Account" not in types
    assert types.count("AWS::Organizations::OrganizationalUnit") == len(UNITS)


def test_no_account_has_its_public_buckets_closed_by_the_first_deploy(
    imported: Imported, synth: Synth
) -> None:
    # An S3 policy on the root would override every bucket's policy and ACLs at once.
    assert imported.config.baseline.s3_block_public_access is False
    policies = [
        resource["Properties"]["Type"]
        for resource in synth.templates["Acme-Organization"]["Resources"].values()
        if resource["Type"] == "AWS::Organizations::Policy"
    ]
    assert "S3_POLICY" not in policies
    assert "SERVICE_CONTROL_POLICY" in policies
    baseline = imported.text[: imported.text.index("\nbaseline:")]
    assert "# s3_block_public_access stays off here: on, it turns on all four" in baseline
    assert "# In every account it reaches the baseline replaces the IAM password policy" in baseline


def test_every_ou_of_the_template_is_a_live_one_by_name_and_parent(
    imported: Imported, synth: Synth
) -> None:
    template = synth.templates["Acme-Organization"]
    resources = template["Resources"]
    root = imported.units[()]

    def path(logical_id: str) -> tuple[str, ...]:
        properties = resources[logical_id]["Properties"]
        parent = properties["ParentId"]
        above = () if parent == root else path(parent["Fn::GetAtt"][0])
        return (*above, properties["Name"])

    found = [
        path(logical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Organizations::OrganizationalUnit"
    ]
    assert sorted(found) == sorted(UNITS)


def test_the_adoption_mapping_names_every_ou_by_its_id(imported: Imported, synth: Synth) -> None:
    template = synth.templates["Acme-Organization"]
    live = {key: imported.units[path] for key, path in _keys(imported.config).items()}
    mapping = ou_mapping(template, live, managed=set())
    units = template_units(template)
    assert set(units) == set(live)
    assert mapping == {units[key]: {"Id": unit_id} for key, unit_id in live.items()}
    # Those the stack manages already are not imported again.
    assert len(ou_mapping(template, live, managed={live["security"]})) == len(UNITS) - 1
    # The tags the stack would have put on them, for verify's fallback.
    command = next(c for c in tag_commands(template, mapping) if live["security"] in c)
    assert "Key=landing-zone:ou-key,Value=security" in command


# ---- refusals: nothing written ------------------------------------------------------------------


@pytest.fixture
def world() -> Iterator[Brownfield]:
    with moto_world() as built:
        yield built


def test_an_existing_file_is_kept_unless_forced(world: Brownfield, tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("mine\n")
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert (code, path.read_text()) == (2, "mine\n")
    assert f"import: nothing written: {path} exists; pass --force to replace it" in err
    code, _, err = _run(["--out", str(path), *ARGS, "--force"], world)
    assert code == 0, err
    assert load_config(path).prefix == "Acme"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]


def test_a_config_that_does_not_validate_writes_nothing(world: Brownfield, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    code, _, err = _run(["--out", str(path), *ARGS, "--prefix", "lowercase"], world)
    assert code == 2
    assert "the generated config does not validate" in err
    assert f"{path}:" in err  # the target's name, not the temporary file's
    assert list(tmp_path.iterdir()) == []
    # Nor does it touch the file it would have replaced.
    path.write_text("mine\n")
    code, _, _ = _run(["--out", str(path), *ARGS, "--prefix", "lowercase", "--force"], world)
    assert (code, path.read_text()) == (2, "mine\n")
    assert list(tmp_path.iterdir()) == [path]


def test_a_file_written_meanwhile_is_kept_unless_forced(
    world: Brownfield, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process writes the file after the command looked and before it is done.
    path = tmp_path / "raced.yaml"
    validate = importer.load_config_and_warnings

    def meanwhile(temporary: str) -> Any:
        path.write_text("theirs\n")
        return validate(temporary)

    monkeypatch.setattr(importer, "load_config_and_warnings", meanwhile)
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert (code, path.read_text()) == (2, "theirs\n")
    assert f"import: nothing written: {path} exists; pass --force to replace it" in err
    assert [p.name for p in tmp_path.iterdir()] == ["raced.yaml"]
    code, _, err = _run(["--out", str(path), *ARGS, "--force"], world)
    assert code == 0, err
    assert load_config(path).prefix == "Acme"
    assert [p.name for p in tmp_path.iterdir()] == ["raced.yaml"]


def test_a_path_it_cannot_write_is_refused_without_a_traceback(
    world: Brownfield, tmp_path: Path
) -> None:
    directory = tmp_path / "config"
    directory.mkdir()
    code, _, err = _run(["--out", str(directory), *ARGS, "--force"], world)
    assert code == 2
    assert f"import: nothing written: {directory} is a directory" in err
    # /proc takes no new files, whoever runs the tests (root too).
    code, _, err = _run(["--out", "/proc/imported.yaml", *ARGS], world)
    assert code == 2
    assert "import: nothing written: cannot write in /proc (" in err
    assert [p.name for p in tmp_path.iterdir()] == ["config"]
    assert list(directory.iterdir()) == []


def test_an_unclear_audit_account_needs_the_flag(world: Brownfield, tmp_path: Path) -> None:
    # Nobody administers the security services, and two accounts are named like audit.
    world.delegated = {}
    other = world.organizations.create_account(
        Email="aws+audit2@brownfield.example", AccountName="Audit-Dev"
    )["CreateAccountStatus"]["AccountId"]
    world.organizations.move_account(
        AccountId=other, SourceParentId=world.root, DestinationParentId=world.units[("Sandbox",)]
    )
    path = tmp_path / "unclear.yaml"
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert code == 2
    assert (
        f"cannot tell which account is the audit (security tooling) account: 2 accounts are "
        f"named like one: {world.accounts['Audit']} (Audit), {other} (Audit-Dev). Rerun with "
        "--audit <account id>" in err
    )
    assert not path.exists()
    code, _, err = _run(["--out", str(path), *ARGS, "--audit", other], world)
    assert code == 0, err
    core = load_config(path).core_accounts
    assert core is not None
    assert core.audit.account_id == other


def test_the_security_administrator_settles_which_audit_account(
    world: Brownfield, tmp_path: Path
) -> None:
    other = world.organizations.create_account(
        Email="aws+audit2@brownfield.example", AccountName="Audit-Dev"
    )["CreateAccountStatus"]["AccountId"]
    world.organizations.move_account(
        AccountId=other, SourceParentId=world.root, DestinationParentId=world.units[("Sandbox",)]
    )
    # Two named like audit; the one that administers the security services is it.
    world.delegated = {"guardduty.amazonaws.com": [other], "detective.amazonaws.com": [other]}
    path = tmp_path / "x.yaml"
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert code == 0, err
    core = load_config(path).core_accounts
    assert core is not None
    assert core.audit.account_id == other
    # An administrator named otherwise, beside accounts named like audit: unclear.
    tooling = world.accounts["Shop Prod"]
    world.delegated = {"guardduty.amazonaws.com": [tooling]}
    code, _, err = _run(["--out", str(path), *ARGS, "--force"], world)
    assert code == 2
    assert f"{tooling} (Shop Prod) administers the security services, but" in err


def test_other_credentials_than_the_management_accounts_are_refused(
    world: Brownfield, tmp_path: Path
) -> None:
    world.session.answers.set(
        "sts",
        "GetCallerIdentity",
        lambda _: {
            "Account": "999999999999",
            "Arn": "arn:aws:iam::999999999999:root",
            "UserId": "x",
        },
    )
    code, _, err = _run(["--out", str(tmp_path / "x.yaml"), *ARGS], world)
    assert code == 2
    assert (
        f"credentials are for account 999999999999, not the management account {MANAGEMENT}" in err
    )


def test_what_cannot_be_read_is_said_and_left_out(world: Brownfield, tmp_path: Path) -> None:
    world.session.answers.set(
        "organizations",
        "ListDelegatedAdministrators",
        lambda _: {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
    )
    path = tmp_path / "x.yaml"
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert code == 0, err
    note = (
        "could not read the delegated administrators (AccessDeniedException: not allowed); "
        "the config is written without it"
    )
    assert f"note: {note}" in err
    assert f"# NOTE: {note}" in path.read_text()
    assert "# Delegated administrators today: not read" in path.read_text()


def test_an_unknown_region_is_refused_before_any_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--out", str(tmp_path / "x.yaml"), "--home-region", "eu-west-1"]
    assert run([*argv, "--governed", "eu-nowhere-1"], session=object()) == 2
    assert "import: nothing written: 'eu-nowhere-1' is not an AWS region" in capsys.readouterr().err


# ---- keys and scalars -------------------------------------------------------------------------


def test_slugs_are_lowercase_with_dashes() -> None:
    assert slug("Workloads (Prod) / EU") == "workloads-prod-eu"
    assert fit(slug("2024 Projects"), kind="ou") == "ou-2024-projects"
    assert fit(slug("###"), kind="account") == "account"
    assert fit("a" * 39 + "-b", kind="ou") == "a" * 39


def test_keys_that_become_one_logical_id_are_told_apart() -> None:
    keys = Keys()
    assert keys.first_free(["team-1"], kind="ou") == "team-1"
    # 'team1' is 'Team1' in CloudFormation, like 'team-1'.
    assert keys.first_free(["team1", "team1-2"], kind="ou") == "team1-2"


def _organization(names: dict[str, tuple[str, str]]) -> Organization:
    """OU id -> (name, parent id)."""
    return Organization(
        scope="r-root",
        units={i: Unit(i, name, parent) for i, (name, parent) in names.items()},
        accounts={},
    )


def test_siblings_whose_names_make_one_key_are_numbered() -> None:
    tree = _organization({"ou-1": ("Dev Ops", "r-root"), "ou-2": ("dev-ops", "r-root")})
    assert unit_keys(tree, Keys()) == {"ou-1": "dev-ops", "ou-2": "dev-ops-2"}


def _within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``, which must return within ``seconds`` (a thread: a loop fails the test
    instead of hanging it)."""
    done: list[T] = []
    worker = threading.Thread(target=lambda: done.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert done, f"still running after {seconds} s"
    return done[0]


#: Names alike in their first 40 characters, a key's length (AWS allows 128 for an OU,
#: 50 for an account).
LONG = "Platform Engineering Shared Services Europe"


def test_ous_named_alike_beyond_a_keys_length_get_keys() -> None:
    names = {f"ou-{n}": (f"{LONG} {region}", "r-root") for n, region in enumerate("ABC")}
    keys = _within(10, lambda: unit_keys(_organization(names), Keys()))
    assert keys == {
        "ou-0": "platform-engineering-shared-services-eur",
        "ou-1": "platform-engineering-shared-services-e-2",
        "ou-2": "platform-engineering-shared-services-e-3",
    }


def test_accounts_named_alike_beyond_a_keys_length_get_keys(
    world: Brownfield, tmp_path: Path
) -> None:
    for region in "ABC":
        account = world.organizations.create_account(
            Email=f"aws+{region}@brownfield.example", AccountName=f"{LONG[:45]} {region}"
        )["CreateAccountStatus"]["AccountId"]
        world.organizations.move_account(
            AccountId=account,
            SourceParentId=world.root,
            DestinationParentId=world.units[("Sandbox",)],
        )
    path = tmp_path / "x.yaml"
    code, _, err = _within(60, lambda: _run(["--out", str(path), *ARGS], world))
    assert code == 0, err
    keys = [key for key in load_config(path).workload_accounts if key.startswith("platform")]
    assert len(keys) == 3
    assert all(len(key) <= 40 for key in keys)


_printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
#: OU names, some alike in their first 40 characters.
_names = st.one_of(
    st.text(alphabet=_printable, min_size=1, max_size=60),
    st.builds(lambda tail: LONG + tail, st.text(alphabet=_printable, max_size=4)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_names, st.integers(min_value=0, max_value=30)), max_size=30))
def test_keys_are_always_valid_unique_and_distinct_in_cloudformation(
    units: list[tuple[str, int]],
) -> None:
    # Each OU's parent is the root or an OU made before it.
    tree = _organization(
        {
            f"ou-{n}": (name, "r-root" if parent % (n + 1) == n else f"ou-{parent % (n + 1)}")
            for n, (name, parent) in enumerate(units)
        }
    )
    keys = unit_keys(tree, Keys(reserved=("root",)))
    assert set(keys) == set(tree.units)
    assert all(
        re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", k) and len(k) <= 40 for k in keys.values()
    )
    assert len(set(keys.values())) == len(keys)
    assert "root" not in keys.values()
    assert len({pascal(k) for k in keys.values()}) == len(keys)


#: Any text at all: every code point, lone surrogates and YAML's line breaks included.
_any_text = st.text(alphabet=st.characters(exclude_categories=()))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1))
def test_every_scalar_reads_back_as_itself(text: str) -> None:
    assert yaml.safe_load(f"key: {scalar(text)}  # a comment") == {"key": text}


@settings(max_examples=300, deadline=None)
@given(_any_text)
def test_every_scalar_of_any_characters_reads_back_as_itself(text: str) -> None:
    # Beyond U+FFFF too: one character, not the two halves of a surrogate pair.
    assert yaml.safe_load(f"key: {scalar(text)}  # a comment") == {"key": text}


@settings(max_examples=300, deadline=None)
@given(_any_text, _any_text, _any_text)
def test_no_comment_text_changes_what_the_file_says(beside: str, above: str, note: str) -> None:
    data = {"prefix": "Acme", "regions": {"home": "eu-west-1", "governed": ["eu-west-1"]}}
    text = render(
        Written(
            data=data,
            trailing={("regions", "home"): beside},
            above={"regions": [above]},
            left_out=[],
            notes=[note],
        ),
        source="organization o-x",
    )
    text.encode("utf-8")  # written as UTF-8: no lone surrogate
    assert yaml.safe_load(text) == data


def test_an_email_with_a_yaml_line_break_stays_in_its_comment(
    world: Brownfield, tmp_path: Path
) -> None:
    # An invited account lands in the root, listed in a comment with its email, which its
    # owner chose: PyYAML ends a line at U+2028 as at a newline.
    email = "a@b.co\u2028identity: {root_access: {enabled: false}} #"
    invited = world.organizations.create_account(Email=email, AccountName="Invited")[
        "CreateAccountStatus"
    ]["AccountId"]
    path = tmp_path / "x.yaml"
    code, _, err = _run(["--out", str(path), *ARGS], world)
    assert code == 0, err
    assert load_config(path).identity.root_access.enabled
    assert (
        f'#   {invited} "Invited" <a@b.co?identity: {{root_access: {{enabled: false}}}} #>: in '
        "the root, not in an OU" in path.read_text()
    )


def test_account_ids_stay_strings() -> None:
    assert yaml.safe_load(f"id: {scalar('012345678901')}") == {"id": "012345678901"}
    assert json.loads(json.dumps(scalar("yes"))) == '"yes"'


# ---- make adopt-ous ---------------------------------------------------------------------------


def test_adopt_ous_writes_the_mapping_and_the_commands(
    world: Brownfield, synth: Synth, tmp_path: Path
) -> None:
    from landing_zone.ou_adoption import run as adopt

    # A space in the path: the printed commands keep it one argument.
    directory = tmp_path / "my configs"
    directory.mkdir()
    config = directory / "brownfield.yaml"
    code, out_text, _ = _run(["--out", str(config), *ARGS], world)
    assert code == 0
    assert (
        f"then `make adopt-ous CONFIG='{config}'` and `make deploy CONFIG='{config}'`" in out_text
    )
    # The synthesized template of the module's import: the same keys, tags and logical ids
    # (this organization's OUs have the same names; their ids are looked up live).
    outdir = directory / "cdk.out"
    outdir.mkdir()
    template = synth.templates["Acme-Organization"]
    (outdir / "Acme-Organization.template.json").write_text(json.dumps(template))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = adopt([str(config), "--outdir", str(outdir)], session=world.session)
    assert code == 0, err.getvalue()
    units = template_units(template)
    mapping = json.loads((outdir / "Acme-Organization.import.json").read_text())
    live = {key: world.units[path] for key, path in _keys(load_config(config)).items()}
    assert mapping == {units[key]: {"Id": unit_id} for key, unit_id in live.items()}
    printed = out.getvalue()
    assert (
        f"  npx cdk import Acme-Organization --resource-mapping '{outdir}/Acme-Organization"
        f".import.json' -c config='{config}'" in printed
    )
    assert f"  make deploy CONFIG='{config}'" in printed
    assert f"aws organizations tag-resource --resource-id {live['retail-prod']} --tags" in printed
    # Once the stack holds them, nothing is left to adopt.
    world.stack_units = set(live.values())
    with contextlib.redirect_stdout(out):
        assert adopt([str(config), "--outdir", str(outdir)], session=world.session) == 0
    assert out.getvalue().endswith(
        f"nothing to adopt: no OU of {config} exists outside Acme-Organization\n"
    )
