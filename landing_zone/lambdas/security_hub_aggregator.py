"""Custom resource: Security Hub's finding aggregator that links no Region (``NO_REGIONS``).

Runs in the audit account, in the home region only (inline ``ZipFile`` code in
the audit home StackSet), when the home region is the only governed region.
Central configuration needs a home Region, which is the Region of the
account's finding aggregator; it may link no other Region. CloudFormation's
``AWS::SecurityHub::FindingAggregator`` cannot say so (its modes all link
some Region), the API can: ``CreateFindingAggregator`` with
``RegionLinkingMode: NO_REGIONS`` and no ``Regions``.
See: https://docs.aws.amazon.com/securityhub/latest/userguide/aggregation-central-configuration.html
See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateFindingAggregator.html

Rules (those of every handler, ``custom_resource.py``, which answers CloudFormation):
- Create and Update: an account has one finding aggregator at most, so one
  already there in this region (made by hand, or left by an earlier stack) is
  adopted and set to ``NO_REGIONS`` with ``UpdateFindingAggregator``; with
  none, one is created. One in another region means another home Region:
  that fails with what to do, never moves it (moving the home Region stops
  central configuration). Applying again changes nothing.
  See: https://docs.aws.amazon.com/securityhub/latest/userguide/finding-aggregation-update.html
- Delete removes the aggregator of this region, the one it created or
  adopted; one in another region is not its own and stays. The rollback
  Delete of a failed Create does nothing (``run`` answers it), so a Create
  that failed because of another region's aggregator never deletes anything.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

try:  # package import (tests, tools)
    from landing_zone.lambdas.custom_resource import (
        LOG,
        CustomResourceError,
        arn_region,
        client,
        error_code,
        own_region,
        run,
    )
except ImportError:  # a Lambda asset with both files at the root of the zip
    from custom_resource import (  # type: ignore[no-redef,import-not-found]
        LOG,
        CustomResourceError,
        arn_region,
        client,
        error_code,
        own_region,
        run,
    )

NO_REGIONS = "NO_REGIONS"


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    creating = event.get("RequestType") == "Create"
    run(
        event,
        context,
        physical_id=_physical_id,
        apply=lambda properties, deadline: apply(properties, deadline, creating=creating),
        delete=delete,
    )


def _physical_id(properties: dict[str, Any]) -> str:
    if properties.get("RegionLinkingMode") != NO_REGIONS:
        raise CustomResourceError(
            f"RegionLinkingMode must be {NO_REGIONS}; link Regions with "
            "AWS::SecurityHub::FindingAggregator instead"
        )
    # One aggregator per account, in the home region: a stable id, so an
    # Update never replaces it (a replacement's Delete would remove it).
    return f"FindingAggregator/{own_region()}"


def _aggregators(region: str) -> list[str]:
    """The ARNs of the account's finding aggregators (one at most), from any region."""
    securityhub = client("securityhub", region_name=region)
    arns: list[str] = []
    token: str | None = None
    while True:
        page = securityhub.list_finding_aggregators(**({"NextToken": token} if token else {}))
        arns += [str(a["FindingAggregatorArn"]) for a in page.get("FindingAggregators", [])]
        token = page.get("NextToken")
        if not token:
            return arns


def apply(properties: dict[str, Any], deadline: float, *, creating: bool) -> dict[str, str]:
    """Create and Update (idempotent): this region's aggregator, linking no Region.

    A Create never takes over an aggregator someone else made, as the native
    AWS::SecurityHub::FindingAggregator would not: this resource's Delete
    (a stack rollback's too) removes the aggregator it holds.
    """
    region = own_region()
    # UpdateFindingAggregator and CreateFindingAggregator act in the home
    # Region only, and this function runs there.
    securityhub = client("securityhub", region_name=region)
    existing = _aggregators(region)
    here = [arn for arn in existing if arn_region(arn) == region]
    if here and creating:
        raise CustomResourceError(
            f"a finding aggregator made outside this stack exists in {region} ({here[0]}); an "
            "account has one, and this resource would delete it on rollback: delete it "
            f"(aws securityhub delete-finding-aggregator --finding-aggregator-arn {here[0]} "
            f"--region {region}) and deploy again"
        )
    if here:
        arn = here[0]
        securityhub.update_finding_aggregator(
            FindingAggregatorArn=arn, RegionLinkingMode=NO_REGIONS
        )
        LOG.info("set %s to link no Region", arn)
        return {"FindingAggregatorArn": arn}
    if existing:
        other = arn_region(existing[0])
        raise CustomResourceError(
            f"the account's finding aggregator {existing[0]} makes {other} Security Hub's "
            f"home Region, not {region}; an account has one, and moving it stops central "
            f"configuration: delete it in {other} (or make {other} the home region) and "
            "deploy again"
        )
    arn = str(
        securityhub.create_finding_aggregator(RegionLinkingMode=NO_REGIONS)["FindingAggregatorArn"]
    )
    LOG.info("created %s, linking no Region", arn)
    return {"FindingAggregatorArn": arn}


def delete(properties: dict[str, Any], physical_id: str, deadline: float) -> dict[str, str]:
    """Remove this region's aggregator; another region's is not this resource's."""
    region = own_region()
    securityhub = client("securityhub", region_name=region)
    for arn in _aggregators(region):
        if arn_region(arn) != region:
            LOG.info("Delete: %s is another region's; left as it is", arn)
            continue
        try:
            securityhub.delete_finding_aggregator(FindingAggregatorArn=arn)
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise
            LOG.info("Delete: %s was already gone", arn)
            continue
        LOG.info("Delete: removed %s", arn)
    return {}
