"""Which AWS Regions are enabled by default and which must be opted in.

botocore's endpoint data names every Region but does not say which are
opt-in, so the split is written down here from the Account Management
reference: "Default Regions - Regions launched before March 20, 2019 are
enabled by default ... Opt-in Regions - Regions launched after March 20,
2019 are disabled by default". The default set is closed (no Region can
launch before 2019 any more); every newer Region is opt-in.
``tests/test_contracts.py`` fails when botocore knows a commercial Region
neither set names, so a new Region is classified before it is used.
See: https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
"""

from __future__ import annotations

#: The commercial Regions launched before March 20, 2019: enabled in every account.
DEFAULT_REGIONS = frozenset(
    {
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-north-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

#: The commercial Regions launched since: disabled until an account opts in.
OPT_IN_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-west-1",
        "eu-central-2",
        "eu-south-1",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
    }
)


def is_opt_in(region: str) -> bool:
    """Whether ``region`` is an opt-in Region (disabled by default)."""
    return region in OPT_IN_REGIONS
