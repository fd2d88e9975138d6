"""Guardrail impact preview: replay CloudTrail events against the SCPs and RCPs a config deploys.

``events`` streams records, ``translate`` turns one into a request,
``placement`` finds each account's OU, ``engine`` decides (cached) and names
the guardrail that denies, ``snapshot`` is the plan as JSON (also run with a
git ref's code for ``--against``), ``command`` is the CLI and the report.
"""
