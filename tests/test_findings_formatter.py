"""The findings formatter: one message per finding event, links to the investigation role.

Each publish is checked with botocore's Stubber, the whole call: topic,
subject, ``MessageStructure=json``, and both texts (the email's and AWS
Chatbot's custom notification). docs/detection.md shows the two examples
below as they are published. The other tests feed the formatter what an
attacker controls (titles, resource ids, sizes) and what may be missing.
"""

from __future__ import annotations

import copy
import json
import re
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landing_zone.constructs import inline_code
from landing_zone.lambdas import findings_formatter
from landing_zone.lambdas.findings_formatter import MAX_MESSAGE_BYTES, alert
from tests.conftest import ROOT
from tests.custom_resources import StubbedClients

#: The ``handler_module`` and ``REGION`` the shared ``aws`` fixture reads.
handler_module = findings_formatter
REGION = "eu-west-1"
AUDIT = "222222222222"
TOPIC = f"arn:aws:sns:{REGION}:{AUDIT}:Acme-SecurityFindings"
NAMES = {"111111111111": "management account", "444444444444": "Acme-Retail-Web-Prod"}
ROLE = "Acme-Investigation"
SIGN_IN = "https://signin.aws.amazon.com/switchrole?roleName=Acme-Investigation"
HEADING = "---- The EventBridge event, as received ----\n"
FOOTER = (
    "Values from the finding are shown as received, URLs in them defanged (hxxps[:]//); "
    "the links above are the only ones this alert makes.\n\n"
)

GUARDDUTY: dict[str, Any] = {
    "version": "0",
    "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad",
    "detail-type": "GuardDuty Finding",
    "source": "aws.guardduty",
    "account": AUDIT,
    "time": "2026-11-23T10:15:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "schemaVersion": "2.0",
        "accountId": "444444444444",
        "region": "eu-central-1",
        "id": "64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8",
        "type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        "severity": 8,
        "title": "Credentials for instance role Acme-App used from external IP address.",
        "description": "Credentials created exclusively for an EC2 instance were used from "
        "198.51.100.7.",
        "resource": {"resourceType": "AccessKey", "accessKeyDetails": {"userName": "Acme-App"}},
        "service": {"count": 3},
    },
}


def hub_finding(
    account: str,
    control: str,
    title: str,
    resource: tuple[str, str],
    label: str = "HIGH",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "AwsAccountId": account,
        "Region": "eu-central-1",
        "ProductName": "Security Hub",
        "GeneratorId": f"security-control/{control}",
        "Id": f"arn:aws:securityhub:eu-central-1:{account}:security-control/{control}/finding/"
        "0f6c1d2e-1111-4a5b-9c3d-2e4f6a8b0c1d",
        "Title": title,
        "Severity": {"Label": label},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
        "Compliance": {"Status": "FAILED", "SecurityControlId": control},
        "Resources": [{"Type": resource[0], "Id": resource[1]}],
        **extra,
    }


BUCKET = ("AwsS3Bucket", "arn:aws:s3:::retail-web-assets")
SECURITY_HUB: dict[str, Any] = {
    "version": "0",
    "id": "8e5622f9-d81c-4d81-612a-9319e7ee2506",
    "detail-type": "Security Hub Findings - Imported",
    "source": "aws.securityhub",
    "account": AUDIT,
    "time": "2026-11-23T10:20:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {
        "findings": [
            hub_finding(
                "444444444444",
                "S3.8",
                "S3 general purpose buckets should block public access",
                BUCKET,
            ),
            hub_finding(
                "555555555555",
                "EC2.19",
                "Security groups should not allow unrestricted access to ports with high risk",
                ("AwsEc2SecurityGroup", "sg-0123456789abcdef0"),
                "CRITICAL",
                AwsAccountName="Acme-Retail-Web-Staging",
            ),
            hub_finding(
                "444444444444",
                "S3.14",
                "S3 general purpose buckets should have versioning enabled",
                BUCKET,
            ),
        ]
    },
}


def pretty(event: dict[str, Any]) -> str:
    """The event as the email shows it: pretty JSON, a host name's dots escaped.

    The examples' ASCII text: ``aws.guardduty`` and ``Exfiltration.OutsideAWS``
    become ``aws\\u002eguardduty`` and ``Exfiltration\\u002eOutsideAWS``; ``S3.8``
    and ``198.51.100.7`` stay.
    """
    text = json.dumps(event, indent=2, ensure_ascii=False)
    return re.sub(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z])", r"\\u002e", text) + "\n"


GUARDDUTY_SUMMARY = f"""\
[HIGH] GuardDuty finding in 444444444444

Severity:  HIGH (8)
Title:     Credentials for instance role Acme-App used from external IP address.
Product:   GuardDuty, UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration[.]OutsideAWS
Account:   444444444444 (Acme-Retail-Web-Prod)
Region:    eu-central-1
Resources: AccessKey Acme-App
Finding:   64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8

Investigate: from the audit account's console, switch to Acme-Investigation (read-only) in
  444444444444 (Acme-Retail-Web-Prod): {SIGN_IN}&account=444444444444\
&displayName=Investigation%20Acme-Retail-Web-Prod

Open in the console (the audit account, the services' administrator):
  https://console.aws.amazon.com/guardduty/home?region=eu-central-1\
#/findings?macros=current&fId=64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8

{FOOTER}"""

GUARDDUTY_CHAT = {
    "version": "1.0",
    "source": "custom",
    "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad",
    "content": {
        "textType": "client-markdown",
        "title": "[HIGH] GuardDuty finding in 444444444444",
        "description": "*HIGH* (8) `Credentials for instance role Acme-App used from external "
        "IP address.`\n"
        "*Product:* `GuardDuty` "
        "`UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration[.]OutsideAWS`\n"
        "*Account:* `444444444444 (Acme-Retail-Web-Prod)` *Region:* `eu-central-1`\n"
        "*Resources:* `AccessKey Acme-App`\n"
        "*Finding:* `64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8`",
        "nextSteps": [
            "Investigate 444444444444 (Acme-Retail-Web-Prod) as the read-only investigation "
            f"role: {SIGN_IN}&account=444444444444"
            "&displayName=Investigation%20Acme-Retail-Web-Prod",
            "Open the finding in the audit account's console: https://console.aws.amazon.com/"
            "guardduty/home?region=eu-central-1#/findings?macros=current"
            "&fId=64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8",
        ],
        "keywords": ["HIGH", "GuardDuty"],
    },
}


def hub_link(account: str, control: str) -> str:
    finding = (
        f"arn%253Aaws%253Asecurityhub%253Aeu-central-1%253A{account}%253Asecurity-control"
        f"%252F{control}%252Ffinding%252F0f6c1d2e-1111-4a5b-9c3d-2e4f6a8b0c1d"
    )
    return (
        "https://console.aws.amazon.com/securityhub/home?region=eu-west-1#/findings"
        f"?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{finding}"
    )


def hub_lines(account: str, control: str, title: str, resource: str, label: str) -> str:
    return f"""\
Severity:  {label}
Title:     {title}
Product:   Security Hub, {control}
Account:   {account}
Region:    eu-central-1
Resources: {resource}
Finding:   arn:aws:securityhub:eu-central-1:{account[:12]}:security-control/{control}/finding/\
0f6c1d2e-1111-4a5b-9c3d-2e4f6a8b0c1d
"""


PROD = "444444444444 (Acme-Retail-Web-Prod)"
STAGING = "555555555555 (Acme-Retail-Web-Staging)"
S3_8 = "S3 general purpose buckets should block public access"
EC2_19 = "Security groups should not allow unrestricted access to ports with high risk"
S3_14 = "S3 general purpose buckets should have versioning enabled"
BUCKET_LINE = "AwsS3Bucket arn:aws:s3:::retail-web-assets"
SECURITY_HUB_SUMMARY = f"""\
[CRITICAL] 3 Security Hub findings in 444444444444, 555555555555

Finding 1 of 3
{hub_lines(PROD, "S3.8", S3_8, BUCKET_LINE, "HIGH")}
Finding 2 of 3
{hub_lines(STAGING, "EC2.19", EC2_19, "AwsEc2SecurityGroup sg-0123456789abcdef0", "CRITICAL")}
Finding 3 of 3
{hub_lines(PROD, "S3.14", S3_14, BUCKET_LINE, "HIGH")}
Investigate: from the audit account's console, switch to Acme-Investigation (read-only) in
  {PROD}: {SIGN_IN}&account=444444444444&displayName=Investigation%20Acme-Retail-Web-Prod
  {STAGING}: {SIGN_IN}&account=555555555555&displayName=Investigation%20Acme-Retail-Web-Staging

Open in the console (the audit account, the services' administrator):
  {hub_link("444444444444", "S3.8")}
  {hub_link("555555555555", "EC2.19")}
  {hub_link("444444444444", "S3.14")}

{FOOTER}"""


def hub_chat(account: str, control: str, title: str, resource: str, label: str) -> str:
    finding = (
        f"arn:aws:securityhub:eu-central-1:{account[:12]}:security-control/{control}/finding/"
        "0f6c1d2e-1111-4a5b-9c3d-2e4f6a8b0c1d"
    )
    return (
        f"*{label}* `{title}`\n*Product:* `Security Hub` `{control}`\n"
        f"*Account:* `{account}` *Region:* `eu-central-1`\n"
        f"*Resources:* `{resource}`\n*Finding:* `{finding}`"
    )


SECURITY_HUB_CHAT = {
    "version": "1.0",
    "source": "custom",
    "id": "8e5622f9-d81c-4d81-612a-9319e7ee2506",
    "content": {
        "textType": "client-markdown",
        "title": "[CRITICAL] 3 Security Hub findings in 444444444444, 555555555555",
        "description": "\n\n".join(
            [
                hub_chat(PROD, "S3.8", S3_8, BUCKET_LINE, "HIGH"),
                hub_chat(
                    STAGING,
                    "EC2.19",
                    EC2_19,
                    "AwsEc2SecurityGroup sg-0123456789abcdef0",
                    "CRITICAL",
                ),
                hub_chat(PROD, "S3.14", S3_14, BUCKET_LINE, "HIGH"),
            ]
        ),
        "nextSteps": [
            f"Investigate {PROD} as the read-only investigation role: {SIGN_IN}"
            "&account=444444444444&displayName=Investigation%20Acme-Retail-Web-Prod",
            f"Investigate {STAGING} as the read-only investigation role: {SIGN_IN}"
            "&account=555555555555&displayName=Investigation%20Acme-Retail-Web-Staging",
            *(
                f"Open the finding in the audit account's console: {hub_link(account, control)}"
                for account, control in (
                    ("444444444444", "S3.8"),
                    ("555555555555", "EC2.19"),
                    ("444444444444", "S3.14"),
                )
            ),
        ],
        "keywords": ["CRITICAL", "Security Hub"],
    },
}


def message(chat: dict[str, Any], email: str) -> str:
    """The ``MessageStructure=json`` Message: Chatbot reads ``default``, email ``email``."""
    return json.dumps(
        {"default": json.dumps(chat, ensure_ascii=False), "email": email}, ensure_ascii=False
    )


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPIC_ARN", TOPIC)
    monkeypatch.setenv("ROLE_NAME", ROLE)
    monkeypatch.setenv("ACCOUNT_NAMES", json.dumps(NAMES))


def expect_publish(aws: Any, subject: str, chat: dict[str, Any], email: str) -> None:
    aws("sns", REGION).add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "TopicArn": TOPIC,
            "Subject": subject,
            "MessageStructure": "json",
            "Message": message(chat, email),
        },
    )


GUARDDUTY_SUBJECT = (
    "[HIGH] GuardDuty in 444444444444: Credentials for instance role Acme-App used from "
    "external IP a..."
)
SECURITY_HUB_SUBJECT = (
    "[CRITICAL] 3 Security Hub findings in 444444444444, 555555555555: S3 general purpose "
    "buckets sho..."
)
PUBLISHED = {
    # One account, one switch-role link.
    "guardduty": (GUARDDUTY, GUARDDUTY_SUBJECT, GUARDDUTY_CHAT, GUARDDUTY_SUMMARY),
    # Three findings in two accounts: one link per account, one console link per finding.
    "security-hub-two-accounts": (
        SECURITY_HUB,
        SECURITY_HUB_SUBJECT,
        SECURITY_HUB_CHAT,
        SECURITY_HUB_SUMMARY,
    ),
}


@pytest.mark.parametrize("case", PUBLISHED.values(), ids=PUBLISHED.keys())
def test_one_publish_per_event_with_a_switch_role_link_per_account(
    aws: Any, environment: None, case: tuple[dict[str, Any], str, dict[str, Any], str]
) -> None:
    event, subject, chat, summary = case
    expect_publish(aws, subject, chat, summary + HEADING + pretty(event))
    assert findings_formatter.handler(copy.deepcopy(event), None) == "m-1"
    aws.verify()


def test_the_inline_code_publishes_the_same(
    monkeypatch: pytest.MonkeyPatch, environment: None
) -> None:
    """What the StackSet runs: the module alone, minified, loaded as ``index``."""
    module = types.ModuleType("index")
    source = inline_code.inline_handler("findings_formatter", custom_resource=False)
    # dont_inherit: not this file's ``from __future__ import annotations``, as in Lambda.
    code = compile(source, "index.py", "exec", dont_inherit=True)
    exec(code, module.__dict__)  # noqa: S102 - our own source
    assert "def respond(" not in source
    assert '"""' not in source
    aws = StubbedClients(monkeypatch, module, REGION)
    expect_publish(
        aws, GUARDDUTY_SUBJECT, GUARDDUTY_CHAT, GUARDDUTY_SUMMARY + HEADING + pretty(GUARDDUTY)
    )
    assert module.handler(copy.deepcopy(GUARDDUTY), None) == "m-1"
    aws.verify()


# ---- links -----------------------------------------------------------------------------------


def parts(made: findings_formatter.Alert) -> tuple[str, str, dict[str, Any]]:
    """The email's summary, the email's event text, and the chat notification."""
    envelope = json.loads(made.message)
    summary, _, event = envelope["email"].partition(HEADING)
    return summary, event, json.loads(envelope["default"])


def urls(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def guardduty_in(account: str, **detail: Any) -> dict[str, Any]:
    event = copy.deepcopy(GUARDDUTY)
    event["detail"].update(accountId=account, **detail)
    return event


def test_the_management_account_is_linked_like_any_other() -> None:
    """Its baseline stack gives it the investigation role too."""
    made = alert(guardduty_in("111111111111"), partition="aws", role_name=ROLE, names=NAMES)
    summary, _, chat = parts(made)
    link = f"{SIGN_IN}&account=111111111111&displayName=Investigation%20management%20account"
    assert f"  111111111111 (management account): {link}\n" in summary
    assert chat["content"]["nextSteps"][0].endswith(link)
    assert made.subject.startswith("[HIGH] GuardDuty in 111111111111: ")


def test_an_account_without_a_name_is_linked_by_its_id() -> None:
    made = alert(guardduty_in("666666666666"), partition="aws", role_name=ROLE, names=NAMES)
    summary, _, _ = parts(made)
    assert (
        f"  666666666666: {SIGN_IN}&account=666666666666&displayName=Investigation%20666666666666"
        in summary
    )


def test_every_account_is_linked_once_and_at_most_ten() -> None:
    event = copy.deepcopy(SECURITY_HUB)
    event["detail"]["findings"] = [
        hub_finding(f"{n % 12:012d}", "S3.8", S3_8, BUCKET) for n in range(24)
    ]
    summary, _, chat = parts(alert(event, partition="aws", role_name=ROLE, names={}))
    switch = [url for url in urls(summary) if "switchrole" in url]
    assert len(switch) == 10 == len(set(switch))
    assert "2 more accounts: their ids are in the event." in summary
    assert "14 more findings: they are in the event below." in summary
    assert len(chat["content"]["nextSteps"]) == 10 + 10 + 1


def test_govcloud_links_to_its_own_sign_in() -> None:
    summary, _, _ = parts(alert(GUARDDUTY, partition="aws-us-gov", role_name=ROLE, names={}))
    assert "https://signin.amazonaws-us-gov.com/switchrole?roleName=Acme-Investigation" in summary
    assert "https://console.amazonaws-us-gov.com/guardduty/home?region=eu-central-1#" in summary


def test_a_partition_without_known_hosts_gets_no_links_and_says_why() -> None:
    summary, _, chat = parts(alert(GUARDDUTY, partition="aws-cn", role_name=ROLE, names={}))
    assert urls(summary) == []
    note = (
        "No links: the sign-in and console hosts of partition 'aws-cn' are not known to this "
        "function."
    )
    assert note in summary
    assert chat["content"]["nextSteps"] == [note]


def test_without_the_investigation_role_the_alert_says_so() -> None:
    summary, _, chat = parts(alert(GUARDDUTY, partition="aws", role_name="", names={}))
    assert not [url for url in urls(summary) if "switchrole" in url]
    assert "No switch-role link: the investigation role is not deployed" in summary
    assert [u for u in urls(json.dumps(chat)) if "switchrole" in u] == []


# ---- what the finding says is text, never a link or markup ---------------------------------

FORGED = "https://signin.aws.amazon.com/switchrole?roleName=Evil&account=999999999999"
INJECTED_TITLE = (
    "Check\n\nGo: " + FORGED + " [x](https://evil.example) <https://evil.example|Open> *b* "
    "`c` www.evil.example \u202egnp.exe\u200b\r\n\u2028end"
)


def test_markdown_newlines_and_links_in_a_title_stay_one_line_of_text() -> None:
    event = guardduty_in(
        "444444444444",
        title=INJECTED_TITLE,
        resource={
            "resourceType": "AccessKey",
            "accessKeyDetails": {"userName": "x\n*bold* <@here>"},
        },
    )
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    summary, event_text, chat = parts(made)
    # Email: the only links are the function's own; the title is one defanged line.
    assert urls(summary) == [
        f"{SIGN_IN}&account=444444444444&displayName=Investigation%20Acme-Retail-Web-Prod",
        "https://console.aws.amazon.com/guardduty/home?region=eu-central-1#/findings?macros=current"
        "&fId=64b9f3ae4f0e8c1b7cd3d2a1e5f6a7b8",
    ]
    (title,) = [line for line in summary.splitlines() if line.startswith("Title:")]
    assert title == (
        "Title:     Check Go: hxxps[:]//signin[.]aws[.]amazon[.]com/switchrole?roleName=Evil"
        "&account=999999999999 [x](hxxps[:]//evil[.]example) <hxxps[:]//evil[.]example|Open> "
        "*b* `c` www[.]evil[.]example gnp[.]exe end"
    )
    assert "\u202e" not in made.message
    assert "\u200b" not in made.message
    # The event after the summary: nothing a client links, and exactly the event read back.
    assert "://" not in event_text
    assert "www." not in event_text
    assert json.loads(event_text) == event
    # Chat: the title is inline code, with no backtick, bracket or line break to end it.
    description = chat["content"]["description"]
    assert description.splitlines()[0] == (
        "*HIGH* (8) `Check Go: hxxps[:]//signin[.]aws[.]amazon[.]com/switchrole?roleName=Evil"
        "&account=999999999999 [x](hxxps[:]//evil[.]example) "
        "\u2039hxxps[:]//evil[.]example\u00a6Open\u203a *b* 'c' www[.]evil[.]example "
        "gnp[.]exe end`"
    )
    assert "*Resources:* `AccessKey x *bold* \u2039@here\u203a`" in description
    assert urls(description) == []
    assert [u for u in urls(json.dumps(chat)) if "Evil" in u or "evil" in u] == []
    # Subject: printable ASCII, no line break.
    assert made.subject == (
        "[HIGH] GuardDuty in 444444444444: Check Go: hxxps[:]//signin[.]aws[.]amazon[.]com/"
        "switchrole?rol..."
    )


def test_an_account_id_from_the_finding_is_linked_only_if_it_is_one() -> None:
    event = guardduty_in("444444444444&account=999999999999")
    summary, _, _ = parts(alert(event, partition="aws", role_name=ROLE, names=NAMES))
    assert not [url for url in urls(summary) if "switchrole" in url]
    assert (
        "No switch-role link for account 444444444444&account=999999999999: not a 12-digit id."
        in summary
    )


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=400), resource=st.text(max_size=100))
def test_any_title_is_one_quoted_line(title: str, resource: str) -> None:
    event = guardduty_in(
        "444444444444",
        title=title,
        resource={"resourceType": "AccessKey", "accessKeyDetails": {"userName": resource}},
    )
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    assert re.fullmatch(r"[ -~]{1,99}", made.subject)
    summary, event_text, chat = parts(made)
    assert json.loads(event_text) == event
    assert len(urls(summary)) == 2
    line = chat["content"]["description"].splitlines()[0]
    quoted = line.removeprefix("*HIGH* (8) `").removesuffix("`")
    assert not set(quoted) & set("`<>|\n\r\u2028\u2029")
    assert "://" not in quoted
    assert len(quoted) <= 200


# ---- sizes and shapes ------------------------------------------------------------------------


def test_a_huge_finding_is_cut_to_fit_one_message_and_says_where_the_rest_is() -> None:
    event = guardduty_in("444444444444", description="x" * 300_000, title="t" * 5_000)
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES, request="req-42")
    assert len(made.message.encode()) <= MAX_MESSAGE_BYTES
    summary, event_text, chat = parts(made)
    assert f"Title:     {'t' * 199}…\n" in summary
    assert len(urls(summary)) == 2
    assert event_text.startswith('{"version":"0","id":"c8c4daa7')
    assert event_text.endswith(
        "\n---- cut: the event is larger than an SNS message may be; the function's log has it "
        "whole (request req-42) ----\n"
    )
    assert len(chat["content"]["description"]) <= findings_formatter.MAX_CHAT


def test_an_event_too_large_pretty_is_sent_compact_and_whole() -> None:
    event = guardduty_in("444444444444", service={"evidence": [[[n]] for n in range(12_000)]})
    _, event_text, _ = parts(alert(event, partition="aws", role_name=ROLE, names=NAMES))
    assert len(json.dumps(event, indent=2)) > MAX_MESSAGE_BYTES
    assert json.loads(event_text) == event
    assert "\n" not in event_text.rstrip("\n")


def test_text_that_is_not_utf8_is_kept_as_its_json_escape() -> None:
    event = guardduty_in("444444444444", title="half a pair \ud800 here")
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    made.message.encode("utf-8")  # what botocore sends: valid UTF-8
    summary, event_text, _ = parts(made)
    assert "Title:     half a pair here" in summary
    assert json.loads(event_text) == event


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"source": "aws.guardduty"},
        {"source": "aws.guardduty", "detail": {"severity": "high", "resource": ["odd"]}},
        {"source": "aws.securityhub", "detail": {"findings": "not a list"}},
        {"source": "aws.securityhub", "detail": {"findings": [{"Severity": 7, "Types": "x"}]}},
        {"source": "aws.securityhub", "detail": {"findings": [None, 3]}},
        {"source": "aws.health", "detail-type": "AWS Health Event"},
    ],
    ids=[
        "empty",
        "no-detail",
        "odd-types",
        "findings-not-a-list",
        "odd-finding",
        "null-findings",
        "unknown-source",
    ],
)
def test_missing_fields_still_make_an_alert(event: dict[str, Any]) -> None:
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    summary, event_text, chat = parts(made)
    assert made.subject.startswith("[UNKNOWN] ")
    assert "Severity:  UNKNOWN" in summary
    assert "No switch-role link for account -: not a 12-digit id." in summary
    assert json.loads(event_text) == event
    assert chat["content"]["title"].startswith("[UNKNOWN] ")


def test_guardduty_severities_become_their_labels() -> None:
    label = findings_formatter.guardduty_label
    assert [label(s) for s in (10, 9.0, 8.9, 7, 6.9, 4, 3.9, 1, 0.5, True, "8", None)] == [
        "CRITICAL",
        "CRITICAL",
        "HIGH",
        "HIGH",
        "MEDIUM",
        "MEDIUM",
        "LOW",
        "LOW",
        "UNKNOWN",
        "UNKNOWN",
        "UNKNOWN",
        "UNKNOWN",
    ]


def test_the_function_logs_every_event_whole(
    aws: Any, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    aws("sns", REGION).add_response("publish", {"MessageId": "m-1"}, None)
    findings_formatter.handler(copy.deepcopy(SECURITY_HUB), None)
    assert json.loads(capsys.readouterr().out) == {"event": SECURITY_HUB}


def test_the_docs_show_what_the_tests_publish() -> None:
    """docs/detection.md, "Message shape": the two examples, as published."""
    docs = (ROOT / "docs" / "detection.md").read_text()
    # The event's first lines, as many as the page shows before it trims the rest.
    shown = docs.split(GUARDDUTY_SUMMARY + HEADING, 1)[1].split("  ...the whole event", 1)[0]
    assert len(shown.splitlines()) >= 5
    assert pretty(GUARDDUTY).startswith(shown)
    assert SECURITY_HUB_SUMMARY.rstrip("\n") + "\n```" in docs
    (chat,) = [b for b in re.findall(r"```json\n(.*?)```", docs, re.S) if '"custom"' in b]
    assert json.loads(chat) == GUARDDUTY_CHAT
    words = " ".join(docs.split())
    for event in (GUARDDUTY, SECURITY_HUB):
        findings = findings_formatter.findings_of(event)
        assert f"Subject `{findings_formatter.subject_of(event, findings)}`" in words


# ---- what an attacker controls, beyond titles ------------------------------------------------

#: What chat markdown makes a mention, a link or the end of inline code of.
CHAT_MARKUP = set("`<>|")


def test_an_account_name_or_id_from_the_finding_makes_no_mention_or_link_in_chat() -> None:
    """The next steps are chat markdown outside code: no ``<!channel>``, no ``<url|text>``."""
    event = copy.deepcopy(SECURITY_HUB)
    name = "<!channel> <mailto:it@evil.example|Verify here>"
    event["detail"]["findings"] = [
        hub_finding("777777777777", "S3.8", S3_8, BUCKET, AwsAccountName=name),
        hub_finding("<!here>", "S3.8", S3_8, BUCKET),
    ]
    summary, _, chat = parts(alert(event, partition="aws", role_name=ROLE, names=NAMES))
    steps = chat["content"]["nextSteps"]
    assert steps[0].startswith(
        "Investigate 777777777777 (\u2039!channel\u203a \u2039mailto:it@evil[.]example"
        "\u00a6Verify here\u203a) as the read-only investigation role: "
    )
    assert "No switch-role link for account \u2039!here\u203a: not a 12-digit id." in steps
    for step in steps:
        assert not set(step) & CHAT_MARKUP, step
    # The email is plain text: it shows the name as received (defanged).
    assert "777777777777 (<!channel> <mailto:it@evil[.]example|Verify here>)" in summary


def test_any_number_of_findings_fits_one_message() -> None:
    """Every part of the message is capped, the notes about accounts too."""
    event = copy.deepcopy(SECURITY_HUB)
    event["detail"]["findings"] = [{"AwsAccountId": f"x{n}"} for n in range(4_000)]
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    assert len(made.message.encode()) <= MAX_MESSAGE_BYTES
    summary, _, chat = parts(made)
    notes = [line for line in summary.splitlines() if line.startswith("No switch-role link")]
    assert notes == [
        *(f"No switch-role link for account x{n}: not a 12-digit id." for n in range(10)),
        "No switch-role link for 3990 more accounts: not 12-digit ids.",
    ]
    assert chat["content"]["nextSteps"] == notes


def test_a_finding_id_too_long_for_a_link_gets_none() -> None:
    """The console link carries the id, encoded twice: its length is capped, not the id's."""
    event = copy.deepcopy(SECURITY_HUB)
    long_id = "\U0001f600" * 2_000
    event["detail"]["findings"] = [
        hub_finding(f"{n:012d}", "S3.8", S3_8, BUCKET, Id=f"{long_id}{n}") for n in range(10)
    ] + [SECURITY_HUB["detail"]["findings"][0]]
    made = alert(event, partition="aws", role_name=ROLE, names={})
    assert len(made.message.encode()) <= MAX_MESSAGE_BYTES
    _, _, chat = parts(made)
    consoles = [s for s in chat["content"]["nextSteps"] if s.startswith("Open the finding")]
    assert consoles == []  # the eleventh finding is past the ten described
    event["detail"]["findings"].reverse()
    _, _, chat = parts(alert(event, partition="aws", role_name=ROLE, names={}))
    consoles = [s for s in chat["content"]["nextSteps"] if s.startswith("Open the finding")]
    assert consoles == [
        f"Open the finding in the audit account's console: {hub_link('444444444444', 'S3.8')}"
    ]


def own_links_removed(text: str) -> str:
    return re.sub(r"https://(signin|console)\.aws\.amazon\.com/\S+", "", text)


#: What mail and chat clients make a link of without a scheme: a host name (``evil.example``,
#: ``www.evil.example``, an address ``it@evil.example``), ASCII dots or the ones IDNA reads as dots.
HOST = re.compile(r"[^\W_][\w-]*[.\u3002\uff0e\uff61][^\W\d_]")


def test_host_names_and_addresses_in_a_finding_are_defanged_too() -> None:
    """Mail clients link ``evil.example/login`` and ``it@evil.example`` with no scheme."""
    title = (
        "Rotate your keys at aws-key-rotation.example/now or mail it@evil.example "
        "(or evil\u3002example, EVIL.EXAMPLE, S3.8 stays, 198.51.100.7 too)"
    )
    event = guardduty_in("444444444444", title=title, description="see evil.example/why")
    made = alert(event, partition="aws", role_name=ROLE, names=NAMES)
    summary, event_text, chat = parts(made)
    assert f"Title:     {findings_formatter.plain(title)}\n" in summary
    assert findings_formatter.plain(title) == (
        "Rotate your keys at aws-key-rotation[.]example/now or mail it@evil[.]example "
        "(or evil[.]example, EVIL[.]EXAMPLE, S3.8 stays, 198.51.100.7 too)"
    )
    assert HOST.findall(own_links_removed(summary)) == []
    assert HOST.findall(event_text) == []
    assert json.loads(event_text) == event
    assert HOST.findall(own_links_removed(json.dumps(chat, ensure_ascii=False))) == []


def test_a_line_break_the_json_would_keep_is_escaped() -> None:
    """NEL (U+0085) and the other C1 controls are line breaks or worse to some clients."""
    event = guardduty_in("444444444444", title="one\x85Investigate: evil\x9b2J")
    _, event_text, _ = parts(alert(event, partition="aws", role_name=ROLE, names=NAMES))
    assert "\x85" not in event_text
    assert "\x9b" not in event_text
    assert json.loads(event_text) == event


# ---- any event shape -------------------------------------------------------------------------

#: Strings an attacker would try, and any text.
HOSTILE = st.sampled_from(
    [
        "444444444444",
        "https://evil.example/x",
        "evil.example/login",
        "it@evil.example",
        "<!channel>",
        "a`b|c>d<e",
        "www.evil.example",
        "\u2028\x85\u202e",
        "CRITICAL",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | HOSTILE,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10) | HOSTILE, inner, max_size=4)
    ),
    max_leaves=12,
)
GUARDDUTY_FIELDS = ("accountId", "region", "id", "type", "severity", "title", "resource")
FINDING_FIELDS = (
    "AwsAccountId",
    "AwsAccountName",
    "Region",
    "ProductName",
    "GeneratorId",
    "Id",
    "Title",
    "Severity",
    "Types",
    "Compliance",
    "Resources",
)
ROLE_OFF_NOTE = "(identity.investigation_role.enabled is false)"


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """One of the two examples, any of its fields (the event's own too) replaced by any JSON."""
    event = copy.deepcopy(draw(st.sampled_from([GUARDDUTY, SECURITY_HUB])))
    if event["source"] == "aws.guardduty":
        for key in draw(st.lists(st.sampled_from(GUARDDUTY_FIELDS), max_size=4)):
            event["detail"][key] = draw(JSON_VALUES)
    else:
        findings = []
        for n in range(draw(st.integers(0, 14))):
            finding = copy.deepcopy(SECURITY_HUB["detail"]["findings"][n % 3])
            for key in draw(st.lists(st.sampled_from(FINDING_FIELDS), max_size=4)):
                finding[key] = draw(JSON_VALUES)
            findings.append(finding)
        event["detail"]["findings"] = findings
    for key in draw(st.lists(st.sampled_from(["id", "region", "source", "detail"]), max_size=2)):
        event[key] = draw(JSON_VALUES)
    return event


@settings(max_examples=150, deadline=None)
@given(event=events(), names=st.sampled_from([NAMES, {}]), role=st.sampled_from([ROLE, ""]))
def test_any_event_makes_one_valid_message_whose_only_links_are_its_own(
    event: dict[str, Any], names: dict[str, str], role: str
) -> None:
    made = alert(event, partition="aws", role_name=role, names=names)
    assert re.fullmatch(r"\[[ -~]{1,98}", made.subject)
    assert len(made.message.encode("utf-8")) <= MAX_MESSAGE_BYTES
    envelope = json.loads(made.message)
    assert set(envelope) == {"default", "email"}
    summary, event_text, chat = parts(made)
    assert json.loads(event_text) == event
    for text in (summary, event_text, json.dumps(chat, ensure_ascii=False)):
        text = own_links_removed(text).replace(ROLE_OFF_NOTE, "")
        assert not re.findall(r"https?://|www\.", text, re.I)
        assert HOST.findall(text) == []
    content = chat["content"]
    assert (chat["version"], chat["source"], content["textType"]) == (
        "1.0",
        "custom",
        "client-markdown",
    )
    for line in (content["title"], *content["nextSteps"]):
        assert not set(line) & (CHAT_MARKUP | set("\n\r\u2028\u2029")), line


def test_a_fullwidth_url_is_defanged_like_an_ascii_one() -> None:
    """The subject is made ASCII (NFKD), which turns fullwidth ``https://`` into ASCII."""
    title = "Reset at \uff48\uff54\uff54\uff50\uff53\uff1a\uff0f\uff0fevil\uff0eexample/login"
    made = alert(
        guardduty_in("444444444444", title=title), partition="aws", role_name=ROLE, names={}
    )
    summary, _, _ = parts(made)
    assert made.subject.endswith(": Reset at hxxps[:]//evil[.]example/login")
    assert "Title:     Reset at hxxps[:]//evil[.]example/login\n" in summary
