"""``make adopt-ous CONFIG=...``: the mapping ``cdk import`` needs to adopt existing OUs.

The organization stack creates every OU of the config
(``AWS::Organizations::OrganizationalUnit``). Where an OU of that name
already sits under its parent (an imported organization, ``make import``),
creating it fails (the type's create handler checks first and answers
AlreadyExists; Organizations refuses a second OU of one name under a parent
anyway) and the stack rolls back: nothing is duplicated, nothing deployed.
CloudFormation's resource import
takes the existing OU into the stack instead, unchanged, identified by its
id (the type's primary identifier, ``Id``), and ``cdk import`` drives it:
it deploys the stack's current template plus only the resources named in a
mapping file (logical id -> identifier), leaving every other new resource
for the next ``cdk deploy``.
See: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import.html
See: https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-import.html
See: https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html
See: https://github.com/aws-cloudformation/aws-cloudformation-resource-providers-organizations/blob/main/aws-organizations-organizationalunit/src/main/java/software/amazon/organizations/organizationalunit/CreateHandler.java

``python -m landing_zone.ou_adoption CONFIG [--outdir cdk.out] [--out PATH]``
reads the live organization (read-only, management-account credentials),
finds each OU of the synthesized ``<Prefix>-Organization`` template by the
OU key tag the stack puts on it, looks the OU up by name under its parent as
``make verify`` does, and writes the mapping for the ones that exist and the
stack does not manage yet; then prints the ``cdk import`` command and the
tags the imported OUs lack (an import records the template's tags without
applying them). Exit 0 written (or nothing to adopt), 2 not.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from landing_zone.brownfield import stack_units
from landing_zone.config import ConfigError, load_config
from landing_zone.naming import stack_id
from landing_zone.preflight import default_session, management_check
from landing_zone.verify.checks import ERRORS, OU_KEY_TAG, _error, check_units, read_organization
from landing_zone.verify.model import CannotRun
from landing_zone.verify.reads import Reader

OU_TYPE = "AWS::Organizations::OrganizationalUnit"


def template_units(template: Mapping[str, Any]) -> dict[str, str]:
    """OU key -> logical id of every OU resource in the organization stack's template."""
    found = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != OU_TYPE:
            continue
        tags = {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}
        if OU_KEY_TAG in tags:
            found[tags[OU_KEY_TAG]] = logical_id
    return found


def ou_mapping(
    template: Mapping[str, Any], unit_ids: Mapping[str, str | None], *, managed: set[str]
) -> dict[str, dict[str, str]]:
    """``cdk import``'s resource mapping: logical id -> ``{"Id": ou id}`` of every OU of the
    template that exists (``unit_ids``: OU key -> live id) and the stack does not manage."""
    return {
        logical_id: {"Id": unit_id}
        for key, logical_id in template_units(template).items()
        if (unit_id := unit_ids.get(key)) is not None and unit_id not in managed
    }


def tag_commands(
    template: Mapping[str, Any], mapping: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """The ``aws organizations tag-resource`` commands giving the adopted OUs their tags."""
    commands = []
    for logical_id, identifier in mapping.items():
        tags = template["Resources"][logical_id]["Properties"].get("Tags", [])
        pairs = " ".join(f"Key={t['Key']},Value={t['Value']}" for t in tags)
        commands.append(
            f"aws organizations tag-resource --resource-id {identifier['Id']} --tags {pairs}"
        )
    return commands


def run(argv: Sequence[str] | None = None, *, session: Any = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m landing_zone.ou_adoption",
        description="Write the cdk import mapping that adopts the config's existing OUs.",
    )
    parser.add_argument("config", type=Path)
    parser.add_argument("--outdir", type=Path, default=Path("cdk.out"), help="`make synth`'s")
    parser.add_argument("--out", type=Path, help="the mapping file (default: beside the template)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    # Printed commands are pasted into a shell: a path with a space stays one argument.
    config_arg = shlex.quote(str(args.config))
    stack = stack_id(config.prefix, "Organization")
    template_path = args.outdir / f"{stack}.template.json"
    if not template_path.is_file():
        print(
            f"{template_path} does not exist: run `make synth CONFIG={config_arg}` first",
            file=sys.stderr,
        )
        return 2
    template = json.loads(template_path.read_text())
    if session is None:
        session, unusable = default_session()
        if unusable is not None:
            print(unusable, file=sys.stderr)
            return 2
    management = management_check(config, session)
    if management.problems:
        print("adopt-ous cannot run:", file=sys.stderr)
        print("\n".join(f"  - {p}" for p in management.problems), file=sys.stderr)
        return 2
    reader = Reader(session)
    try:
        organization = read_organization(config, reader)
        rows = check_units(config, organization, reader)
        managed = stack_units(config, reader)
    except CannotRun as error:
        print(f"adopt-ous cannot run: {error}", file=sys.stderr)
        return 2
    except ERRORS as error:
        print(f"adopt-ous cannot run: {_error(error)}", file=sys.stderr)
        return 2
    finally:
        reader.close()
    # Only OUs found by name under their parent: one found by its tags was made by the stack.
    by_name = {row.item: organization.unit_ids.get(row.item) for row in rows if row.status == "ok"}
    mapping = ou_mapping(template, by_name, managed=managed)
    created = [row.item for row in rows if row.status != "ok"]
    if not mapping:
        print(f"nothing to adopt: no OU of {args.config} exists outside {stack}")
        return 0
    out = args.out or args.outdir / f"{stack}.import.json"
    try:
        out.write_text(json.dumps(mapping, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        print(f"adopt-ous cannot write {out} ({error.strerror})", file=sys.stderr)
        return 2
    print(
        f"wrote {out}: {len(mapping)} existing OU(s) to adopt into {stack}"
        + (
            f"; {len(created)} to be created by the deploy ({', '.join(created)})"
            if created
            else ""
        )
    )
    print("Next, with the management account's credentials:")
    print(
        f"  npx cdk import {stack} --resource-mapping {shlex.quote(str(out))} "
        f"-c config={config_arg}"
    )
    print("  # the landing zone's tags, which an import records but does not apply:")
    for command in tag_commands(template, mapping):
        print(f"  {command}")
    print(f"  make deploy CONFIG={config_arg}")
    return 0


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
