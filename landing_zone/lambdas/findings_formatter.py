"""Findings formatter: one readable alert per finding event, with a link to investigate.

The audit account's findings rules (Security Hub and GuardDuty, home
region) invoke this function with the EventBridge event; it publishes ONE
message to the findings topic with ``MessageStructure=json``:

- ``email``: a short text (severity, title, product and type, account,
  region, resources, finding id), one switch-role link per affected account
  to the read-only investigation role, the console link to the finding, then
  the whole event as received (pretty JSON);
- ``default``: the same summary as an AWS Chatbot (Amazon Q Developer in chat
  applications) custom notification, which Chatbot's subscription receives
  (it has no key of its own in the message).
  See: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
  See: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html

Every field of a finding is input from whoever raised it: an account may
import its own Security Hub findings (BatchImportFindings), titles and
resource ids included. So every value taken from the event is one line of
text with control and format characters removed, capped, its URLs and host
names defanged (``hxxps[:]//``, ``evil[.]example``: mail clients link a bare
``evil.example/login`` or ``it@evil.example`` too) so that no mail or chat
client makes a link of it, and, in chat, quoted as code or with the
characters that make links and mentions replaced. The only links are this
function's own, built from a 12-digit account id and URL-encoded values. The
original event follows the summary as JSON whose ``://`` and host names' dots
are written ``:\\/\\/`` and ``\\u002e`` (the same JSON, read back, with
nothing a client would link).

If this function fails, Lambda retries it twice, then its on-failure
destination publishes the invocation record (the event included) to the same
topic; an event EventBridge cannot deliver here waits in the rule target's
dead-letter queue. Both raise an alarm on the topic (``constructs/detection.py``).
See: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Any

import boto3

# A message is at most 256 KB of UTF-8, every protocol's text counted
# (MessageStructure=json); a subject has fewer than 100 characters and no line
# breaks or control characters, and is kept to printable ASCII here.
# See: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
MAX_MESSAGE_BYTES = 262_144
MAX_SUBJECT = 99
#: One value from the finding (a title, a resource id), in characters.
MAX_VALUE = 200
#: Findings described one by one, accounts linked, resources listed per finding.
MAX_FINDINGS = 10
MAX_ACCOUNTS = 10
MAX_RESOURCES = 5
#: A console link, in characters: it carries the finding's id encoded twice, so
#: an id of some hundred characters is fine, and a huge one gets no link (the
#: message must stay within its size; the id is in the summary and the event).
MAX_LINK = 2_000
#: The chat notification's description: Slack shows a section's first 3,000
#: characters; every chat client gets the same text.
MAX_CHAT = 3_000

#: Where people sign in and the console is, per partition. Other partitions
#: (aws-cn, the ISO partitions) get no links, and the message says why.
#: See: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-console.html
#: See: https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-iam.html
HOSTS = {
    "aws": ("https://signin.aws.amazon.com", "https://console.aws.amazon.com"),
    "aws-us-gov": ("https://signin.amazonaws-us-gov.com", "https://console.amazonaws-us-gov.com"),
}

#: The AWS Security Finding Format's labels, lowest first.
#: See: https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Severity.html
LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
#: GuardDuty's numeric severities: the lowest value of each label.
#: See: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html
GUARDDUTY_LEVELS = ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (1.0, "LOW"))

#: What the event's source says made it: EventBridge lets no one else put aws.* sources.
#: See: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
SERVICES = {"aws.guardduty": "GuardDuty", "aws.securityhub": "Security Hub"}

ACCOUNT_ID = re.compile(r"^\d{12}$")
#: The dot of a host name (``evil.example``, ``it@evil.example``): a letter or digit, a dot,
#: a letter. Mail clients link such names without a scheme; IDNA reads the ideographic and
#: fullwidth full stops as dots too. ``S3.8`` and ``198.51.100.7`` are left alone.
#: See: https://www.rfc-editor.org/rfc/rfc3490#section-3.1
HOST_DOT = re.compile(r"(?<=[^\W_])[.\u3002\uff0e\uff61](?=[^\W\d_])")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
#: Keys of a GuardDuty resource's details that name it.
GUARDDUTY_NAMES = (
    "instanceId",
    "userName",
    "accessKeyId",
    "dbInstanceIdentifier",
    "functionName",
    "name",
    "arn",
)


def client(service: str, *, region_name: str) -> Any:
    """boto3 client factory, in the region of what it acts on; tests replace it."""
    return boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region_name
    )


def plain(value: Any, limit: int = MAX_VALUE) -> str:
    """``value`` as one line of text no client links: safe to show, capped at ``limit``."""
    if value is None or value == "":
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    # Compatibility forms as their plain characters first (fullwidth letters,
    # colon and solidus are "https://"), as the ASCII subject would make them
    # anyway, so that what is defanged below is what any reader sees.
    # See: https://unicode.org/reports/tr15/
    text = unicodedata.normalize("NFKC", text)
    # Line and paragraph separators and control characters become spaces;
    # format characters (bidirectional overrides, zero-width joiners) and
    # unpaired surrogates go.
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cc", "Zl", "Zp", "Zs"):
            kept.append(" ")
        elif category[0] != "C":
            kept.append(character)
    text = " ".join("".join(kept).split())
    text = re.sub(r"(?i)www\.", "www[.]", text.replace("://", "[:]//"))
    text = HOST_DOT.sub("[.]", text)
    text = re.sub(r"(?i)\bhttp(s?)\[:\]//", r"hxxp\1[:]//", text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or "-"


#: What ends inline code, or makes a link or a mention (``<!channel>``), in chat markdown.
CHAT_MARKUP = (("`", "'"), ("<", "\u2039"), (">", "\u203a"), ("|", "\u00a6"))


def unmarked(text: str) -> str:
    """``text`` (already ``plain``) with none of the chat markup that links, mentions or quotes."""
    for character, replacement in CHAT_MARKUP:
        text = text.replace(character, replacement)
    return text


def code(value: Any, limit: int = MAX_VALUE) -> str:
    """``value`` quoted as code for chat markdown, with nothing that makes a link or ends it."""
    return f"`{unmarked(plain(value, limit))}`"


def ascii_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """Printable ASCII only (an SNS subject), at most ``limit`` characters."""
    text = unicodedata.normalize("NFKD", text)
    text = " ".join("".join(c if " " <= c <= "~" else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: Characters a JSON text keeps that change how the rest reads: format characters
#: (bidirectional overrides, zero-width ones) and line and paragraph separators.
INVISIBLE = ("Cf", "Zl", "Zp")
#: The controls JSON does not escape itself (it escapes those below U+0020): DEL and the
#: C1 controls, NEL (U+0085) among them, a line break to some readers.
UNESCAPED_CONTROLS = ("\x7f", "\x9f")


def _escaped(character: str) -> str:
    """``character`` as a JSON escape (a surrogate pair beyond the Basic Multilingual Plane)."""
    units = character.encode("utf-16-be")
    return "".join(
        f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2)
    )


def unlinked_json(value: Any, *, indent: int | None) -> str:
    """``value`` as JSON in which no client finds a link, and nothing is lost.

    Outside strings JSON has only numbers, literals and punctuation, so
    ``://``, ``www.`` and a host name's dots occur only inside strings, where
    ``\\/`` and ``\\u002e`` are the same characters escaped. Unpaired
    surrogates (valid in JSON, not in UTF-8), invisible characters
    (bidirectional overrides, line separators) and C1 controls are written as
    their escapes too.
    """
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(value, indent=indent, separators=separators, ensure_ascii=False, default=str)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    low, high = UNESCAPED_CONTROLS
    text = "".join(
        _escaped(c) if unicodedata.category(c) in INVISIBLE or low <= c <= high else c for c in text
    )
    text = text.replace("://", ":\\/\\/")
    text = re.sub(r"(?i)(www)\.", r"\1\\u002e", text)
    # A dot between a letter or digit and a letter: only inside strings (a
    # JSON number's dot has digits on both sides).
    return HOST_DOT.sub(lambda dot: _escaped(dot.group()), text)


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Finding:
    """What one finding says, as received (untrusted: shown only through ``plain``/``code``)."""

    label: str
    score: Any
    title: Any
    product: Any
    kind: Any
    account: str
    account_name: Any
    region: Any
    resources: tuple[Any, ...]
    finding_id: Any
    #: ``(service, region, finding id)`` of the console link, when there is one.
    console: tuple[str, str, str] | None


def guardduty_label(score: Any) -> str:
    """GuardDuty's numeric severity as a label (``UNKNOWN`` when not a number)."""
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return "UNKNOWN"
    return next((label for low, label in GUARDDUTY_LEVELS if score >= low), "UNKNOWN")


def _guardduty_resources(resource: Any) -> tuple[Any, ...]:
    kind = _get(resource, "resourceType")
    names = []
    for details in resource.values() if isinstance(resource, dict) else ():
        for item in details if isinstance(details, list) else [details]:
            if isinstance(item, dict):
                names += [item[k] for k in GUARDDUTY_NAMES if isinstance(item.get(k), str)][:1]
    return (f"{_text(kind) or 'resource'} {', '.join(names) or '-'}",)


def guardduty_findings(event: dict[str, Any]) -> list[Finding]:
    """The one finding of a ``GuardDuty Finding`` event.

    See: https://docs.aws.amazon.com/guardduty/latest/ug/monitor-guardduty-findings-cloudwatch.html
    """
    detail = event.get("detail")
    region = _get(detail, "region") or event.get("region")
    finding_id = _text(_get(detail, "id"))
    score = _get(detail, "severity")
    return [
        Finding(
            label=guardduty_label(score),
            score=score,
            title=_get(detail, "title"),
            product="GuardDuty",
            kind=_get(detail, "type"),
            account=_text(_get(detail, "accountId")),
            account_name=None,
            region=region,
            resources=_guardduty_resources(_get(detail, "resource")),
            finding_id=finding_id,
            console=("guardduty", _text(region), finding_id) if finding_id else None,
        )
    ]


def security_hub_findings(event: dict[str, Any]) -> list[Finding]:
    """The findings of a ``Security Hub Findings - Imported`` event.

    Security Hub sends one finding per event ("Each event sends a single
    finding"); ``findings`` is a list all the same, so every item is read.

    Linked in the event's region: the aggregation Region, where the audit
    account sees every linked Region's findings.
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html
    See: https://docs.aws.amazon.com/securityhub/latest/userguide/asff-top-level-attributes.html
    """
    found = _get(event, "detail", "findings")
    findings = []
    for item in found if isinstance(found, list) else []:
        label = _text(_get(item, "Severity", "Label"))
        types = _get(item, "Types")
        kind = (
            _get(item, "Compliance", "SecurityControlId")
            or (types[0] if isinstance(types, list) and types else None)
            or _get(item, "GeneratorId")
        )
        resources = _get(item, "Resources")
        finding_id = _text(_get(item, "Id"))
        findings.append(
            Finding(
                label=label if label in LABELS else "UNKNOWN",
                score=None,
                title=_get(item, "Title"),
                product=_get(item, "ProductName") or "Security Hub",
                kind=kind,
                account=_text(_get(item, "AwsAccountId")),
                account_name=_get(item, "AwsAccountName"),
                region=_get(item, "Region"),
                resources=tuple(
                    f"{_text(_get(r, 'Type')) or 'resource'} {_text(_get(r, 'Id')) or '-'}"
                    for r in (resources if isinstance(resources, list) else [])
                ),
                finding_id=finding_id,
                console=("securityhub", _text(event.get("region")), finding_id)
                if finding_id
                else None,
            )
        )
    return findings


def findings_of(event: dict[str, Any]) -> list[Finding]:
    """Every finding ``event`` carries; an event of no known shape is one unknown finding."""
    source = event.get("source")
    found = (
        guardduty_findings(event)
        if source == "aws.guardduty"
        else security_hub_findings(event)
        if source == "aws.securityhub"
        else []
    )
    return found or [
        Finding(
            label="UNKNOWN",
            score=None,
            title=event.get("detail-type"),
            product=source,
            kind=None,
            account="",
            account_name=None,
            region=event.get("region"),
            resources=(),
            finding_id=event.get("id"),
            console=None,
        )
    ]


@dataclass(frozen=True)
class Links:
    """This function's own links: one switch-role link per account, the console's per finding."""

    #: ``(account id, label, URL)`` in the order the accounts first appear.
    switch: list[tuple[str, str, str]]
    console: list[str]
    #: Why some link is missing, if one is.
    notes: list[str]


def account_label(finding: Finding, names: dict[str, str]) -> str:
    """``444444444444 (Acme-Prod)``: the name from the config, else the finding's, else none."""
    name = names.get(finding.account) or finding.account_name
    shown = finding.account if ACCOUNT_ID.match(finding.account) else plain(finding.account)
    return f"{shown} ({plain(name, 64)})" if name else shown


def console_link(host: str, console: tuple[str, str, str]) -> str | None:
    """The finding in its service's console (the audit account administers both services).

    The consoles document no link to one finding; these are the findings
    pages filtered by id, as the consoles write them (GuardDuty's is the one
    AWS's own GuardDuty-to-Slack sample uses).
    """
    service, region, finding_id = console
    if not REGION.match(region):
        return None
    once = urllib.parse.quote(finding_id, safe="")
    if service == "guardduty":
        fragment = f"#/findings?macros=current&fId={once}"
    else:
        twice = urllib.parse.quote(once, safe="")
        fragment = f"#/findings?search=Id%3D%255Coperator%255C%253AEQUALS%255C%253A{twice}"
    link = f"{host}/{service}/home?region={region}{fragment}"
    return link if len(link) <= MAX_LINK else None


def links(
    findings: list[Finding], *, partition: str, role_name: str, names: dict[str, str]
) -> Links:
    """Switch-role links (deduplicated accounts) and console links, or why there are none."""
    notes = []
    hosts = HOSTS.get(partition)
    if hosts is None:
        notes.append(
            f"No links: the sign-in and console hosts of partition '{plain(partition)}' "
            "are not known to this function."
        )
        return Links([], [], notes)
    sign_in, console = hosts
    switch: list[tuple[str, str, str]] = []
    seen = set()
    unlinked = []
    for finding in findings:
        account = finding.account
        if account in seen:
            continue
        seen.add(account)
        if not ACCOUNT_ID.match(account):
            unlinked.append(account)
            continue
        if not role_name:
            continue
        name = names.get(account) or finding.account_name
        display = f"Investigation {plain(name, 48) if name else account}"
        query = urllib.parse.urlencode(
            {"roleName": role_name, "account": account, "displayName": display},
            quote_via=urllib.parse.quote,
        )
        switch.append((account, account_label(finding, names), f"{sign_in}/switchrole?{query}"))
    # One note per account without an id, as many as there are links at most:
    # the message stays within its size whatever the event holds.
    notes += [
        f"No switch-role link for account {plain(account)}: not a 12-digit id."
        for account in unlinked[:MAX_ACCOUNTS]
    ]
    if len(unlinked) > MAX_ACCOUNTS:
        notes.append(
            f"No switch-role link for {len(unlinked) - MAX_ACCOUNTS} more accounts: "
            "not 12-digit ids."
        )
    if not role_name:
        notes.append(
            "No switch-role link: the investigation role is not deployed "
            "(identity.investigation_role.enabled is false)."
        )
    if len(switch) > MAX_ACCOUNTS:
        notes.append(f"{len(switch) - MAX_ACCOUNTS} more accounts: their ids are in the event.")
        switch = switch[:MAX_ACCOUNTS]
    found = [console_link(console, f.console) for f in findings[:MAX_FINDINGS] if f.console]
    return Links(switch, [link for link in found if link], notes)


def severity_of(findings: list[Finding]) -> str:
    """The highest label among ``findings``."""
    known = [f.label for f in findings if f.label in LABELS]
    return max(known, key=LABELS.index) if known else "UNKNOWN"


def accounts_of(findings: list[Finding]) -> str:
    ids = list(dict.fromkeys(f.account if ACCOUNT_ID.match(f.account) else "?" for f in findings))
    return ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")


def what_of(event: dict[str, Any], findings: list[Finding]) -> str:
    """``GuardDuty``, ``3 Security Hub findings``: from the event's source, never its content."""
    service = SERVICES.get(_text(event.get("source")), "Finding")
    return service if len(findings) == 1 else f"{len(findings)} {service} findings"


def headline(event: dict[str, Any], findings: list[Finding]) -> str:
    """``[HIGH] GuardDuty finding in 444444444444``: what is known without reading the finding."""
    what = what_of(event, findings)
    what = f"{what} finding" if len(findings) == 1 and what != "Finding" else what
    return f"[{severity_of(findings)}] {what} in {accounts_of(findings)}"


def subject_of(event: dict[str, Any], findings: list[Finding]) -> str:
    """``[HIGH] GuardDuty in 444444444444: <title>``, printable ASCII under 100 characters."""
    what = what_of(event, findings)
    title = plain(findings[0].title)
    return ascii_line(f"[{severity_of(findings)}] {what} in {accounts_of(findings)}: {title}")


def finding_lines(finding: Finding, names: dict[str, str]) -> list[str]:
    """The summary of one finding, a field a line, every value through ``plain``."""
    score = f" ({plain(finding.score)})" if finding.score is not None else ""
    resources = [plain(r) for r in finding.resources[:MAX_RESOURCES]] or ["-"]
    if len(finding.resources) > MAX_RESOURCES:
        resources.append(f"and {len(finding.resources) - MAX_RESOURCES} more")
    return [
        f"Severity:  {finding.label}{score}",
        f"Title:     {plain(finding.title)}",
        f"Product:   {plain(finding.product)}, {plain(finding.kind)}",
        f"Account:   {account_label(finding, names)}",
        f"Region:    {plain(finding.region)}",
        f"Resources: {'; '.join(resources)}",
        f"Finding:   {plain(finding.finding_id)}",
    ]


def email_summary(
    event: dict[str, Any],
    findings: list[Finding],
    found: Links,
    role_name: str,
    names: dict[str, str],
) -> str:
    """The email's text above the event: summary, switch-role links, console links, notes."""
    lines = [headline(event, findings), ""]
    for number, finding in enumerate(findings[:MAX_FINDINGS], start=1):
        if len(findings) > 1:
            lines.append(f"Finding {number} of {len(findings)}")
        lines += [*finding_lines(finding, names), ""]
    if len(findings) > MAX_FINDINGS:
        lines += [f"{len(findings) - MAX_FINDINGS} more findings: they are in the event below.", ""]
    if found.switch:
        lines.append(
            f"Investigate: from the audit account's console, switch to {role_name} (read-only) in"
        )
        lines += [f"  {label}: {url}" for _, label, url in found.switch]
        lines.append("")
    if found.console:
        lines.append("Open in the console (the audit account, the services' administrator):")
        lines += [f"  {url}" for url in found.console]
        lines.append("")
    lines += [
        *found.notes,
        "Values from the finding are shown as received, URLs in them "
        "defanged (hxxps[:]//); the links above are the only ones this alert makes.",
    ]
    return "\n".join(lines) + "\n\n"


def chat_notification(
    event: dict[str, Any], findings: list[Finding], found: Links, names: dict[str, str]
) -> dict[str, Any]:
    """An AWS Chatbot custom notification with the same summary and links.

    See: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
    """
    service = SERVICES.get(_text(event.get("source")), "Finding")
    parts = []
    for finding in findings[:MAX_FINDINGS]:
        score = f" ({plain(finding.score)})" if finding.score is not None else ""
        parts.append(
            "\n".join(
                [
                    f"*{finding.label}*{score} {code(finding.title)}",
                    f"*Product:* {code(finding.product)} {code(finding.kind)}",
                    f"*Account:* {code(account_label(finding, names))} "
                    f"*Region:* {code(finding.region)}",
                    f"*Resources:* {code('; '.join(map(str, finding.resources[:MAX_RESOURCES])))}",
                    f"*Finding:* {code(finding.finding_id)}",
                ]
            )
        )
    description = "\n\n".join(parts)
    if len(description) > MAX_CHAT or len(findings) > MAX_FINDINGS:
        description = description[: MAX_CHAT - 60].rsplit("\n", 1)[0]
        description += "\n\n_More in the email, which carries the whole event._"
    # Outside code: the account's name (from the finding, when the config has
    # none) and the notes' values lose the markup that makes mentions and links.
    steps = [
        f"Investigate {unmarked(label)} as the read-only investigation role: {url}"
        for _, label, url in found.switch
    ]
    steps += [f"Open the finding in the audit account's console: {url}" for url in found.console]
    steps += [unmarked(note) for note in found.notes]
    return {
        "version": "1.0",
        "source": "custom",
        "id": plain(event.get("id"), 64),
        "content": {
            "textType": "client-markdown",
            "title": headline(event, findings),
            "description": description,
            "nextSteps": steps,
            "keywords": list(dict.fromkeys([severity_of(findings), service])),
        },
    }


def envelope(chat: dict[str, Any], email: str) -> str:
    """The Message of a ``MessageStructure=json`` publish: Chatbot's default, the email's text."""
    return json.dumps(
        {"default": json.dumps(chat, ensure_ascii=False), "email": email}, ensure_ascii=False
    )


def size(message: str) -> int:
    return len(message.encode("utf-8"))


def fitted_email(summary: str, event: dict[str, Any], chat: dict[str, Any], request: str) -> str:
    """The summary and the event, pretty if it fits in one message, else compact, else cut."""
    heading = "---- The EventBridge event, as received ----\n"
    for indent in (2, None):
        email = summary + heading + unlinked_json(event, indent=indent) + "\n"
        if size(envelope(chat, email)) <= MAX_MESSAGE_BYTES:
            return email
    note = (
        f"\n---- cut: the event is larger than an SNS message may be; the function's log "
        f"has it whole (request {plain(request, 64)}) ----\n"
    )
    body = unlinked_json(event, indent=None)
    low, high = 0, len(body)
    while low < high:
        middle = (low + high + 1) // 2
        if size(envelope(chat, summary + heading + body[:middle] + note)) <= MAX_MESSAGE_BYTES:
            low = middle
        else:
            high = middle - 1
    return summary + heading + body[:low] + note


@dataclass(frozen=True)
class Alert:
    subject: str
    message: str


def alert(
    event: dict[str, Any],
    *,
    partition: str,
    role_name: str,
    names: dict[str, str],
    request: str = "-",
) -> Alert:
    """The alert for ``event``: the subject and the ``MessageStructure=json`` message."""
    event = event if isinstance(event, dict) else {"detail": event}
    findings = findings_of(event)
    found = links(findings, partition=partition, role_name=role_name, names=names)
    chat = chat_notification(event, findings, found, names)
    summary = email_summary(event, findings, found, role_name, names)
    email = fitted_email(summary, event, chat, request)
    return Alert(subject=subject_of(event, findings), message=envelope(chat, email))


def handler(event: dict[str, Any], context: Any) -> str:
    """Publish the alert for one finding event; return the SNS message id."""
    topic = os.environ["TOPIC_ARN"]
    # The whole event, in the function's log: what a cut message refers to.
    print(json.dumps({"event": event}, default=str))
    names = json.loads(os.environ.get("ACCOUNT_NAMES") or "{}")
    made = alert(
        event,
        partition=topic.split(":")[1],
        role_name=os.environ.get("ROLE_NAME", ""),
        names=names,
        request=getattr(context, "aws_request_id", "-"),
    )
    # The topic's region, from its ARN (the home region).
    sns = client("sns", region_name=topic.split(":")[3])
    response = sns.publish(
        TopicArn=topic, Subject=made.subject, MessageStructure="json", Message=made.message
    )
    return str(response.get("MessageId", ""))
