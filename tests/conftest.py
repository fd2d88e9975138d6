"""Shared fixtures: the example synthesized once per test session, and AWS for handler tests.

A handler test module imports its handler as ``handler_module`` and names its
``REGION``; the handler fixtures (``responses``, ``run``, ``aws``,
``mocked_aws``) read both from the requesting module.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# A deprecated aws-cdk-lib API fails the synth instead of printing a warning
# in `make synth`: jsii's libraries read JSII_DEPRECATED (quiet, warn, fail)
# when they report a deprecated call; checked by turning one call back to the
# deprecated CfnResource.add_dependency, which then failed the synth.
os.environ.setdefault("JSII_DEPRECATED", "fail")
# moto's EC2 loads its list of public AMIs into every account and region it
# creates (about 0.3 s each, 24 times in the account baseline's tests alone);
# no handler looks up an image.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

# Under pytest-xdist, the modules that took longest in the latest run go first.
from tests.longest_first import (  # noqa: F401 - pytest finds hooks by name here
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_configure_node,
    pytest_runtest_logreport,
    pytest_sessionfinish,
)

if TYPE_CHECKING:
    from landing_zone.config import LandingZoneConfig
    from tests.custom_resources import Captured, Run, StubbedClients

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "example.yaml"
BUSINESS_UNIT_EXAMPLE = ROOT / "config" / "example-business-unit.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Top-level cdk.json switches the CLI turns into context for the app.
_CLI_FLAGS = {
    "versionReporting": "aws:cdk:version-reporting",
    "pathMetadata": "aws:cdk:enable-path-metadata",
    "assetMetadata": "aws:cdk:enable-asset-metadata",
}


def cdk_context(**extra: Any) -> dict[str, Any]:
    """The context `cdk synth` gives the app, so in-process synth equals the CLI's bytes."""
    settings = json.loads((ROOT / "cdk.json").read_text())
    context: dict[str, Any] = dict(settings["context"])
    for flag, key in _CLI_FLAGS.items():
        if flag in settings:
            context[key] = settings[flag]
    context.update(extra)
    return context


@dataclass(frozen=True)
class Synth:
    """One synthesized cloud assembly and its templates by stack name."""

    outdir: Path
    templates: dict[str, dict[str, Any]]
    #: StackSet content by "<stack name>/<construct id>" (e.g. "Acme-LogArchive/Template").
    stackset_templates: dict[str, dict[str, Any]]
    #: The config it was synthesized from.
    config: LandingZoneConfig
    #: Nested stack templates by "<parent stack name>/<construct id>"
    #: (e.g. "Acme-IdentityCenter/Assignments01"): separate files of the assembly.
    nested_templates: dict[str, dict[str, Any]]
    #: Gives :attr:`stacks`: the synth's own, or a new synth's when the
    #: templates came from the cache.
    build_stacks: Callable[[], dict[str, Any]] = field(repr=False, compare=False)

    @functools.cached_property
    def stacks(self) -> dict[str, Any]:
        """The app's stacks by role (``build_landing_zone``'s result), built on first use."""
        return self.build_stacks()

    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


def synthesize(
    config_path: Path, outdir: Path, *, validation: bool = True, cache: bool = True
) -> Synth:
    """Synthesize the whole app for ``config_path`` into ``outdir`` (cdk-nag included).

    ``validation=False`` skips aws-cdk-lib's built-in CloudFormation validator
    (about 4 s, and more for large templates); the templates are the same.

    The result is remembered by content (``tests.synth_cache``): a synth of
    the same config, code, packages and context, by the other worker or an
    earlier run, is copied into ``outdir`` instead of made again; then
    ``stacks`` synthesizes anew on first use (without the validator: the
    cached synth already passed it) and fails if its templates differ from
    the cached ones. ``cache=False`` always synthesizes: for a test of the
    synth itself (determinism), or one that changes what the key does not
    see (a monkeypatched module).
    """
    from tests.synth_cache import ENABLED, remembered, synth_key

    context = cdk_context(config=str(config_path))
    if not (cache and ENABLED):
        return _synthesize(config_path, outdir, context=context, validation=validation)

    def produce(entry: Path) -> Synth:
        synth = _synthesize(config_path, outdir, context=context, validation=validation)
        shutil.copytree(outdir, entry / "out")
        parts = {part: getattr(synth, part) for part in _TEMPLATE_PARTS}
        (entry / "templates.json").write_text(json.dumps(parts))
        return synth

    def read(entry: Path) -> Synth:
        from landing_zone.config import load_config

        shutil.copytree(entry / "out", outdir, dirs_exist_ok=True)
        parts = json.loads((entry / "templates.json").read_text())

        def build_stacks() -> dict[str, Any]:
            again = _synthesize(
                config_path,
                outdir.with_name(f"{outdir.name}.stacks"),
                context=context,
                validation=False,
            )
            for part in _TEMPLATE_PARTS:
                assert getattr(again, part) == parts[part], (
                    f"the synth cache's {part} for {config_path} differ from a new synth's: "
                    f"its key misses an input; rm -rf {entry} and find which"
                )
            return again.stacks

        return Synth(
            outdir=outdir,
            config=load_config(config_path),
            build_stacks=build_stacks,
            **{part: parts[part] for part in _TEMPLATE_PARTS},
        )

    key = synth_key(config_path, outdir=outdir, validation=validation, context=context)
    return remembered(key, produce=produce, read=read)


_TEMPLATE_PARTS = ("templates", "stackset_templates", "nested_templates")


def _synthesize(
    config_path: Path, outdir: Path, *, context: dict[str, Any], validation: bool
) -> Synth:
    """A synth with nothing remembered: :func:`synthesize`'s work."""
    from aws_cdk import App, NestedStack

    from landing_zone.app import build_landing_zone
    from landing_zone.config import load_config
    from landing_zone.constructs.stack_set import StackSetTemplate

    config = load_config(config_path)
    app = App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=validation)
    stacks = build_landing_zone(app, config=config)
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    stackset_templates = {
        f"{construct.node.scope.stack_name}/{construct.node.id}": construct.template
        for construct in app.node.find_all()
        if isinstance(construct, StackSetTemplate)
    }
    nested_templates = {
        f"{construct.nested_stack_parent.stack_name}/{construct.node.id}": json.loads(
            (outdir / construct.template_file).read_text()
        )
        for construct in app.node.find_all()
        if isinstance(construct, NestedStack) and construct.nested_stack_parent is not None
    }
    return Synth(
        outdir=outdir,
        templates=templates,
        stackset_templates=stackset_templates,
        config=config,
        nested_templates=nested_templates,
        build_stacks=lambda: stacks,
    )


@pytest.fixture(scope="session")
def example_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(EXAMPLE, tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def everything_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The minimal fixture with ``tests.variants.EVERYTHING`` (every detection service on,
    COMPLIANCE Object Lock), synthesized once for the modules that check those settings."""
    from tests.variants import EVERYTHING, minimal_variant

    path = minimal_variant(tmp_path_factory.mktemp("everything"), append=EVERYTHING)
    return synthesize(path, tmp_path_factory.mktemp("everything.out"))


@pytest.fixture(scope="session")
def single_region_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The minimal fixture governing its home region alone, Security Hub on (its default):
    the finding aggregator that links no Region. Synthesized once, without the built-in
    validator (cfn-lint checks the templates that matter)."""
    from tests.variants import single_region

    path = single_region(tmp_path_factory.mktemp("single-region"))
    return synthesize(path, tmp_path_factory.mktemp("single-region.out"), validation=False)


@pytest.fixture(scope="session")
def everything_off_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The minimal fixture with every optional part off (``tests.variants.EVERYTHING_OFF``)."""
    from tests.variants import everything_off

    path = everything_off(tmp_path_factory.mktemp("everything-off"))
    return synthesize(path, tmp_path_factory.mktemp("everything-off.out"), validation=False)


@pytest.fixture(scope="session")
def logistics_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The business-unit example (``config/example-business-unit.yaml``)."""
    from tests.variants import BUSINESS_UNIT

    return synthesize(BUSINESS_UNIT, tmp_path_factory.mktemp("logistics.out"))


@pytest.fixture(scope="session")
def large_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``bench/make_org.py``'s 1,000 accounts in 50 business units."""
    from tests.variants import write_org

    return write_org(tmp_path_factory.mktemp("org") / "org.yaml", accounts=1000, units=50)


@pytest.fixture(scope="session")
def large_synth(large_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """``large_config`` synthesized without aws-cdk-lib's built-in validator (which does not
    change a byte of the templates and takes seconds at this size)."""
    return synthesize(large_config, tmp_path_factory.mktemp("org.out"), validation=False)


@pytest.fixture(scope="session")
def organization_template(example_synth: Synth) -> dict[str, Any]:
    return example_synth.templates["Acme-Organization"]


@pytest.fixture(scope="session")
def log_archive_template(example_synth: Synth) -> dict[str, Any]:
    """The log archive StackSet's content (what lands in the log-archive account)."""
    return example_synth.stackset_templates["Acme-LogArchive/Template"]


@pytest.fixture(scope="session")
def trail_template(example_synth: Synth) -> dict[str, Any]:
    return example_synth.templates["Acme-Trail"]


@pytest.fixture(scope="session")
def member_baseline_template(example_synth: Synth) -> dict[str, Any]:
    """The member baseline StackSet's content (what lands in every member account and region)."""
    return example_synth.stackset_templates["Acme-MemberBaseline/Template"]


@pytest.fixture(scope="session")
def audit_regional_template(example_synth: Synth) -> dict[str, Any]:
    """What lands in the audit account in every governed region."""
    return example_synth.stackset_templates["Acme-Audit/RegionalTemplate"]


@pytest.fixture(scope="session")
def audit_home_template(example_synth: Synth) -> dict[str, Any]:
    """What lands in the audit account in the home region."""
    return example_synth.stackset_templates["Acme-Audit/HomeTemplate"]


# ---- custom-resource handlers -------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _botocore_data_parsed_once() -> Iterator[None]:
    """Every botocore session of the test process shares one data loader.

    A handler makes each client from a new ``boto3.session.Session()``, and
    each session parses botocore's endpoint and service-model JSON again
    (about 0.2 s for EC2's model and the endpoints). The loader remembers what
    it parsed, as it does within one session; sharing it changes no model.
    """
    import botocore.loaders
    import botocore.session

    shared = functools.cache(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield


@pytest.fixture
def responses(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Captured:
    """What the module's handler tells CloudFormation; its ``sleep`` made instant."""
    from tests.custom_resources import capture_responses

    return capture_responses(monkeypatch, request.module.handler_module)


@pytest.fixture
def run(request: pytest.FixtureRequest, responses: Captured) -> Run:
    """Calls the module's handler (or ``handler``) with a request; returns its answer."""
    from tests.custom_resources import Context

    def call(body: dict[str, Any], handler: Any = request.module.handler_module.handler) -> Any:
        handler(body, Context())
        return responses.last

    return call


@pytest.fixture
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> StubbedClients:
    """botocore Stubber'd clients for the module's handler, in the module's REGION."""
    from tests.custom_resources import StubbedClients

    return StubbedClients(monkeypatch, request.module.handler_module, request.module.REGION)


@pytest.fixture
def mocked_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS, in the module's REGION."""
    from moto import mock_aws

    from tests.custom_resources import fake_credentials

    fake_credentials(monkeypatch, request.module.REGION)
    with mock_aws():
        yield
