"""The probe script: what it settles in a test tenant, what it leaves to a person, and its data block."""

from __future__ import annotations

from journalgen import __version__
from journalgen.clouds import CLOUDS

PREFIX = "jg-probe-"
# RFC 2606: reserved for examples, so no probe object can route real mail anywhere.
EXTERNAL_DOMAIN = "example.com"

# The probe's own checks, by the number of exchange-behaviour.md section 9 (or 1.2, 6.2) they settle.
AUTOMATED: dict[str, str] = {
    "9.1": "-IncludeTestModeConnectors $true/$false listings; the engine's merged list",
    "9.2": "Get-OutboundConnector -Identity finds test-mode and rule-scoped connectors",
    "9.3": "a missing identity is a not-found error for each Get-* the engine uses",
    "9.4": "the NDR address cannot be cleared while rules exist (and, if the probe set it, without)",
    "9.5": "a rule's recipient and the NDR address are refused as each other",
    "9.7": "a journal rule to an address without a contact",
    "9.9": "null-valued properties (TlsDomain, Recipient) and newer properties are returned",
    "9.10": "-SmartHosts $null, -TlsDomain $null and -Recipient $null clear on read-back",
    "9.11": "CIDR smart hosts and upper-case recipient domains compare equal as the engine compares",
    "9.20": "with -DelegatedOrganization the customer's accepted domains are listed",
    "1.2": "Disconnect-ExchangeOnline -ConnectionId is available in the loaded module",
    "6.2": "accepted domains, contacts and transport config return the shapes the engine reads",
}

# What only mail flow, other roles, other connections or a person can settle.
MANUAL: tuple[tuple[str, str], ...] = (
    ("9.1-delivery", "A report routed by a test-mode connector is delivered"),
    ("9.6", "The journal rule limit this tenant enforces, and New-JournalRule's error text at it"),
    ("9.8", "A fresh tenant: Set-TransportConfig then New-JournalRule at once succeeds"),
    ("9.12", "A report to journal.<d> leaves the tenant when <d> matches subdomains"),
    (
        "9.13",
        "Route of a journal report with centralized mail flow (RouteAllMessagesViaOnPremises)",
    ),
    ("9.14", "Get-MessageTraceV2 shows journal reports, with sender and recipient"),
    ("9.15", "Remove-MailContact of a rule's target: refused, and does the rule still deliver"),
    ("9.16", "After Validate-OutboundConnector, -IsValidated $true sticks"),
    ("9.17", "Disconnect-ExchangeOnline -ConnectionId leaves a second connection open"),
    ("9.18", "With $WhatIfPreference = $true, Disconnect-ExchangeOnline still disconnects"),
    ("9.19", "Compliance Management, Records Management, Journaling roles: which writes fail"),
    ("9.21", "GCC High/DoD app-only sign-in: Get-JournalRule works"),
    ("9.22", "A PAM policy on Exchange\\New-JournalRule: the error New-JournalRule gives"),
)


def probe_meta(cloud: str) -> dict[str, object]:
    """The probe's data block (``$JgProbe``): decided here, read by its engine."""
    return {
        "Version": __version__,
        "ExchangeEnvironmentName": CLOUDS[cloud].environment,
        "Cloud": CLOUDS[cloud].label,
        "Prefix": PREFIX,
        "ExternalDomain": EXTERNAL_DOMAIN,
        "Manual": [{"Id": item, "Assumption": text} for item, text in MANUAL],
    }
