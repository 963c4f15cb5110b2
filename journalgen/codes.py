"""Every diagnostic code journalgen can report: its severity, reason, source and documented example."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


E = Severity.ERROR
W = Severity.WARNING

GUIDE = "Mimecast's Microsoft 365 journaling guide"
CMDLETS = "Microsoft's cmdlet help (MicrosoftDocs/office-docs-powershell)"
JOURNALING = "Microsoft's journaling articles (MicrosoftDocs/OfficeDocs-Exchange)"
LIMITS = (
    "10: Microsoft's journaling article of 2018; 50: Exchange Online limits for Exchange Online "
    "Plan 1/2 and Kiosk; 300: the same page for Microsoft 365 and Office 365 suites"
)


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    severity: Severity
    name: str
    reason: str
    source: str
    # A spec that reports this code, for docs/checks.md (tests check it does): raw bytes, or
    # overrides of EXAMPLE_BASE (a None value removes the key).
    example: bytes | dict[str, Any] | None = None
    # A captured state that reports this code when EXAMPLE_BASE is planned against it: raw bytes,
    # or top-level keys replacing those of EXAMPLE_STATE.
    state_example: bytes | dict[str, Any] | None = None
    # Overrides of EXAMPLE_BASE for the spec the state example is planned with (its retire section).
    state_spec: dict[str, Any] | None = None


# The spec each example overrides: small, valid, and with no warnings of its own.
EXAMPLE_BASE: dict[str, Any] = {
    "version": 1,
    "tenant": {"primary_domain": "contoso.com", "organization": "contoso.onmicrosoft.com"},
    "archive": {"vendor": "mimecast", "region": "us"},
    "journal_rules": [{"name": "Journal all mail"}],
    "ndr": {"address": "journal-ndr@contoso.com"},
}
EXAMPLE_CUSTOM: dict[str, Any] = {
    "archive": {"vendor": "custom", "region": None, "journal_address": "j@archive.example"},
    "connector": {"smart_hosts": ["smtp.archive.example"]},
}

# The state each state example overrides: EXAMPLE_BASE's tenant before journalgen set it up.
EXAMPLE_STATE: dict[str, Any] = {
    "format": "journalgen-state/1",
    "captured_at": "2026-11-27T10:00:00Z",
    "organization": "contoso.onmicrosoft.com",
    "accepted_domains": [
        {
            "DomainName": name,
            "Default": name == "contoso.com",
            "DomainType": "Authoritative",
            "MatchSubDomains": False,
        }
        for name in ("contoso.com", "contoso.onmicrosoft.com")
    ],
    "transport_config": {
        "JournalingReportNdrTo": "journal-ndr@contoso.com",
        "JournalMessageExpirationDays": 0,
    },
    "journal_rules": [],
    "outbound_connectors": [],
    "mail_contacts": [],
}
_EXAMPLE_RULE = {
    "Name": "Old journal rule",
    "JournalEmailAddress": "journaling@journal.contoso.com",
    "Scope": "Global",
    "Recipient": None,
    "Enabled": True,
}
_EXAMPLE_CONNECTOR = {
    "Name": "Microsoft 365 to Mimecast",
    "ConnectorType": "Partner",
    "Enabled": True,
    "RecipientDomains": ["journal.contoso.com"],
    "UseMXRecord": False,
    "SmartHosts": ["us-smtp-journal-1.mimecast.com", "us-smtp-journal-2.mimecast.com"],
    "TlsSettings": "CertificateValidation",
    "TlsDomain": None,
    "IsTransportRuleScoped": False,
    "TestMode": False,
    "RouteAllMessagesViaOnPremises": False,
    "Comment": None,
}

_EXAMPLE_CONTACT = {
    "Name": "Old journal contact",
    "ExternalEmailAddress": "SMTP:journaling@journal.contoso.com",
    "DisplayName": "Old journal contact",
    "Alias": "OldJournal",
    "FirstName": None,
    "Initials": None,
    "LastName": None,
    "HiddenFromAddressListsEnabled": True,
}

CODES: dict[str, Code] = {
    c.code: c
    for c in [
        # --- the file and its YAML ---
        Code(
            "JG001",
            E,
            "unreadable",
            "The file cannot be read (missing, a folder, or no permission).",
            "journalgen",
        ),
        Code(
            "JG002",
            E,
            "not-utf8",
            "Specs are UTF-8; other encodings would change names silently.",
            "YAML 1.2, 5.2",
            example=b"version: 1\nname: caf\xe9\n",
        ),
        Code(
            "JG003",
            E,
            "utf16",
            "UTF-16 and UTF-32 files are refused so every tool reads the same bytes.",
            "journalgen",
            example="version: 1\n".encode("utf-16"),
        ),
        Code(
            "JG004",
            E,
            "too-large",
            "A tenant spec is a few kilobytes; a huge file is a mistake or an attack.",
            "journalgen",
        ),
        Code(
            "JG005",
            E,
            "empty",
            "An empty file describes nothing and must not compile to an empty change.",
            "journalgen",
            example=b"",
        ),
        Code(
            "JG006",
            E,
            "yaml-syntax",
            "The file is not valid YAML.",
            "YAML 1.2",
            example=b"version: 1\ntenant: x\n  organization: y\n",
        ),
        Code(
            "JG007",
            E,
            "tab",
            "YAML forbids tabs for indentation; editors hide them.",
            "YAML 1.2, 6.1",
            example=b"version: 1\ntenant:\n\tprimary_domain: contoso.com\n",
        ),
        Code(
            "JG008",
            E,
            "duplicate-key",
            "PyYAML silently keeps the last of two equal keys; a reviewer reads the first.",
            "PyYAML behaviour",
            example=b"version: 1\nversion: 1\n",
        ),
        Code(
            "JG009",
            E,
            "anchor-alias",
            "Aliases hide where a value comes from and allow 'billion laughs' expansion.",
            "PyYAML behaviour",
            example=b"version: 1\ntenant: &t {}\narchive: *t\n",
        ),
        Code(
            "JG010",
            E,
            "tag",
            "Tags (!!set, !!binary, !!timestamp, ...) create values a spec never needs.",
            "PyYAML behaviour",
            example=b"version: !!str 1\n",
        ),
        Code(
            "JG011",
            E,
            "non-string-key",
            "Keys are field names; numbers, booleans and nulls as keys are typos.",
            "journalgen",
            example=b"version: 1\n1: x\n",
        ),
        Code(
            "JG012",
            E,
            "multiple-documents",
            "One file is one tenant; a second document would be ignored or merged.",
            "journalgen",
            example=b"version: 1\n---\nversion: 1\n",
        ),
        Code(
            "JG013",
            E,
            "too-deep",
            "No spec nests deeply; deep nesting is a mistake or an attack.",
            "journalgen",
            example=b"version: 1\nx: " + b"[" * 20 + b"]" * 20 + b"\n",
        ),
        Code(
            "JG014",
            E,
            "root-not-mapping",
            "A spec is a mapping of sections.",
            "journalgen",
            example=b"- version: 1\n",
        ),
        Code(
            "JG015",
            E,
            "file-name-not-utf8",
            "A spec's file name names its bundle and is written into its scripts and CHANGE.md, "
            "which are UTF-8; a name that is not UTF-8 cannot be shown or written as it is.",
            "journalgen",
        ),
        # --- generated bundles (journalgen check) ---
        Code(
            "JG020",
            E,
            "bundle-stale",
            "The bundle was generated from another version of the spec; build again.",
            "journalgen",
        ),
        Code(
            "JG021",
            E,
            "bundle-edited",
            "A generated file was changed after it was generated; what the board approved is no longer what runs.",
            "journalgen",
        ),
        Code(
            "JG022",
            E,
            "bundle-missing",
            "A file the spec compiles to is missing from the bundle.",
            "journalgen",
        ),
        Code(
            "JG023",
            E,
            "bundle-unexpected-file",
            "A file in the bundle folder is not one journalgen generates, so no one approved it.",
            "journalgen",
        ),
        Code(
            "JG025",
            E,
            "bundle-other-version",
            "The bundle was built by another journalgen version, whose engine the board may not have reviewed; build again.",
            "journalgen",
        ),
        Code(
            "JG026",
            E,
            "version-pin",
            "The spec repository's .journalgen-version names the journalgen versions it was reviewed with; another version may generate other scripts.",
            "journalgen; PEP 440 version specifiers (a subset)",
        ),
        Code(
            "JG027",
            W,
            "previous-other-tenant",
            "The earlier spec given for comparison configures another tenant, so CHANGE.md's comparison is not this tenant's history.",
            "journalgen",
        ),
        Code(
            "JG024",
            E,
            "bundle-unwritable",
            "The bundle could not be written (a file where a folder belongs, no space, no permission); its folder was left as it was.",
            "journalgen",
        ),
        Code(
            "JG028",
            E,
            "bundle-without-spec",
            "A bundle whose spec is gone (an offboarded client) would stay runnable and unchecked.",
            "journalgen",
        ),
        Code(
            "JG029",
            W,
            "state-section-unverified",
            "CHANGE.md's changes against a captured tenant come from a state check was not given; "
            "anyone who can write the bundle can rewrite them and the manifest together.",
            "journalgen",
        ),
        Code(
            "JG030",
            E,
            "state-section-differs",
            "CHANGE.md's changes against the tenant must be what the state they name gives, and "
            "a state given to check must be the one the bundle was built against.",
            "journalgen",
        ),
        Code(
            "JG031",
            E,
            "bundle-unreadable",
            "A bundle (or the out dir) check cannot read cannot be shown to be what was approved.",
            "journalgen",
        ),
        Code(
            "JG032",
            E,
            "bundle-link",
            "A bundle folder or file that is a symbolic link makes build write, and check read, "
            "files outside the out dir that no one reviews there.",
            "journalgen",
        ),
        Code(
            "JG033",
            E,
            "bundle-outside-out-dir",
            "A bundle folder that resolves outside the out dir (a spec named '..', a junction) "
            "would make build overwrite files elsewhere.",
            "journalgen",
        ),
        Code(
            "JG035",
            E,
            "rehearsal-section-differs",
            "CHANGE.md's Rehearsal section must read exactly what the rehearsal manifest.json "
            "records renders to, so no one can soften or drop a line of it.",
            "journalgen",
        ),
        Code(
            "JG036",
            E,
            "rehearsal-stale",
            "A rehearsal proves something only about the scripts, engine, spec and captured "
            "state it ran: a record that names others (or the state given to check is another) "
            "no longer speaks for this bundle.",
            "journalgen",
        ),
        Code(
            "JG037",
            E,
            "rehearsal-failed",
            "build --rehearse found a problem (or the module that answered was not the "
            "simulator): there is no rehearsed bundle to approve, so none is written.",
            "journalgen",
        ),
        Code(
            "JG038",
            E,
            "rehearsal-not-reproduced",
            "check --rehearse ran the bundle's scripts again against the recorded state and "
            "they did something else than the Rehearsal section says.",
            "journalgen",
        ),
        Code(
            "JG039",
            W,
            "rehearsal-other-powershell",
            "check --rehearse ran another PowerShell than the one the Rehearsal section names; "
            "the result was the same, but the section speaks for the PowerShell it names.",
            "journalgen",
        ),
        Code(
            "JG040",
            W,
            "build-no-state",
            "build --states DIR found no captured state of the spec's tenant, so its CHANGE.md "
            "shows no changes against the tenant; a board may expect them.",
            "journalgen",
        ),
        Code(
            "JG041",
            E,
            "states-one-tenant",
            "Two state files in a --states folder are for one tenant: which capture CHANGE.md "
            "should show is the operator's choice, not a guess by file name.",
            "journalgen",
        ),
        Code(
            "JG042",
            E,
            "state-section-would-drop",
            "The bundle was built against a captured state and this build has none for it: "
            "rebuilding would drop the changes against the tenant the board approved, so the "
            "bundle is left as it is unless --drop-state says to drop them.",
            "journalgen",
        ),
        Code(
            "JG043",
            E,
            "tenant-state-unusable",
            "The --states folder holds a state of the spec's tenant that cannot be used (it has "
            "errors, or there are several): building without it would hide that, so the bundle "
            "is left as it is.",
            "journalgen",
        ),
        Code(
            "JG045",
            W,
            "plan-no-state",
            "plan --states DIR found no captured state of the spec's tenant: the fleet plan shows "
            "it as 'no state', since nothing says whether the tenant matches its spec.",
            "journalgen",
        ),
        Code(
            "JG046",
            E,
            "plan-state-unusable",
            "The --states folder holds a state of the spec's tenant that cannot be used (it has "
            "errors, or there are several): planning without it would report the tenant as "
            "having no state, hiding the broken capture.",
            "journalgen",
        ),
        Code(
            "JG047",
            W,
            "plan-stale-state",
            "A state older than --max-age days may no longer be the tenant: a plan against it "
            "says what apply would have changed then, not now. Capture it again.",
            "journalgen",
        ),
        Code(
            "JG048",
            W,
            "plan-state-from-the-future",
            "A state captured after the time the plan is made (a wrong clock, or a wrong --now) "
            "has no age, so whether it is stale cannot be told.",
            "journalgen",
        ),
        Code(
            "JG049",
            W,
            "report-no-bundle",
            "report --out-dir links each tenant to its bundle's CHANGE.md; a spec with none there "
            "has no change document for the reader to follow.",
            "journalgen",
        ),
        Code(
            "JG050",
            E,
            "parallel-run-differs",
            "CHANGE.md says which other specs journal the tenant, so the board knows mail goes to "
            "several archives; a spec added or removed for the tenant, or another vendor or "
            "journal address, makes that statement wrong.",
            "journalgen",
        ),
        Code(
            "JG051",
            W,
            "parallel-run-unverified",
            "check was given a spec without the other specs of its tenant, so the parallel run "
            "CHANGE.md states comes from the manifest alone, which anyone who can write the "
            "bundle can rewrite with it.",
            "journalgen",
        ),
        # --- the spec's shape and values ---
        Code(
            "JG100",
            E,
            "version",
            "The spec format is versioned so old journalgen never misreads a newer spec.",
            "journalgen",
            example={"version": 2},
        ),
        Code(
            "JG101",
            E,
            "unknown-key",
            "A misspelt key would otherwise be ignored and its default used.",
            "journalgen",
            example={"tenant": {"primary_domian": "contoso.com"}},
        ),
        Code(
            "JG102",
            E,
            "missing-key",
            "A required value has no safe default.",
            "journalgen",
            example={"ndr": None},
        ),
        Code(
            "JG103",
            E,
            "wrong-type",
            "YAML 1.1 reads yes/no/on/0755/dates as other types; values are never coerced.",
            "YAML 1.1 vs 1.2",
            example={"contact": {"hidden_from_address_lists": "yes"}},
        ),
        Code(
            "JG104",
            E,
            "unsafe-text",
            "Empty text, edge spaces and invisible, control, bidi or private-use characters make names ambiguous to a reviewer.",
            "journalgen; Unicode TR #36",
            example={"contact": {"name": "SMTP\u202eJournaling"}},
        ),
        Code(
            "JG105",
            E,
            "invalid-address",
            "Exchange needs a plain ASCII SMTP address.",
            CMDLETS,
            example={"ndr": {"address": "journal-ndr.contoso.com"}},
        ),
        Code(
            "JG106",
            E,
            "invalid-domain",
            "Exchange needs an ASCII (punycode) domain name; only a leading '*.' wildcard is accepted.",
            CMDLETS,
            example={"tenant": {"primary_domain": "contoso"}},
        ),
        Code(
            "JG107",
            E,
            "invalid-smart-host",
            "-SmartHosts takes FQDNs, IP addresses or CIDR ranges.",
            CMDLETS + ", New-OutboundConnector",
            example={"connector": {"smart_hosts": ["192.0.2.1/24"]}},
        ),
        Code(
            "JG108",
            E,
            "too-long",
            "Exchange limits names and aliases to 64 characters, display names to 256, initials to 6.",
            CMDLETS + " (R9)",
            example={"contact": {"name": "x" * 65}},
        ),
        Code(
            "JG109",
            E,
            "out-of-range",
            "The number is outside what Exchange accepts (queue expiry 0-7 days).",
            CMDLETS + ", Set-TransportConfig (R10)",
            example={"ndr": {"queue_expiry_days": 8}},
        ),
        Code(
            "JG110",
            E,
            "invalid-choice",
            "The value is not one of the choices the field allows.",
            "journalgen",
            example={"journal_rules": [{"name": "All", "scope": "everyone"}]},
        ),
        Code(
            "JG111",
            E,
            "empty-list",
            "The list needs at least one entry.",
            "journalgen",
            example={"connector": {"smart_hosts": []}},
        ),
        Code(
            "JG112",
            E,
            "invalid-alias",
            "An alias may only hold the characters Exchange allows in the part before '@'.",
            CMDLETS + ", New-MailContact",
            example={"contact": {"alias": "SMTP Journaling"}},
        ),
        Code(
            "JG113",
            E,
            "placeholder",
            "journalgen init writes a <...> placeholder for a value only the archive vendor can issue; it must be replaced.",
            "journalgen init",
            example={"archive": {"journal_address": "<journal address from your archive>"}},
        ),
        Code(
            "JG114",
            E,
            "empty-value",
            "A key with nothing after it is easy to misread: an empty journal rule recipient would journal everyone. Give a value, or remove the key to use its default.",
            "journalgen",
        ),
        # --- Microsoft's rules that the spec alone decides ---
        Code(
            "JG201",
            E,
            "journal-address-outside-domain",
            "Journal reports must go to the archive's journal domain, which the connector routes.",
            GUIDE + "; R3",
            example={
                "archive": {
                    "journal_domain": "journal.contoso.com",
                    "journal_address": "j@archive.example",
                }
            },
        ),
        Code(
            "JG202",
            E,
            "journal-to-self",
            "Exchange Online cannot journal to its own mailboxes: the journal domain must not be one of the tenant's domains.",
            JOURNALING + " (R3)",
            example={"archive": {"journal_domain": "contoso.com"}},
        ),
        Code(
            "JG203",
            E,
            "journal-to-consumer-mail",
            "Consumer webmail domains are refused as journal targets.",
            JOURNALING + " (R3)",
            example={
                **EXAMPLE_CUSTOM,
                "archive": {**EXAMPLE_CUSTOM["archive"], "journal_address": "me@gmail.com"},
            },
        ),
        Code(
            "JG204",
            E,
            "ndr-is-journal-address",
            "Undeliverable journal reports sent to the journal address would loop and be lost.",
            JOURNALING + " (R4)",
            example={"ndr": {"address": "journaling@journal.contoso.com"}},
        ),
        Code(
            "JG205",
            E,
            "ndr-in-journal-domain",
            "An NDR address in the journal domain is routed to the archive that just failed.",
            "journalgen, following " + JOURNALING + " (R4)",
            example={"ndr": {"address": "ndr@journal.contoso.com"}},
        ),
        Code(
            "JG206",
            W,
            "ndr-domain-policy",
            "Vendors disagree on where the NDR address lives; the spec's ndr.domain_policy says which rule applies.",
            GUIDE + "; MirrorWeb; " + JOURNALING + " (R4)",
            example={"ndr": {"address": "ndr@fabrikam.net"}},
        ),
        Code(
            "JG207",
            W,
            "ndr-onmicrosoft",
            "An address in a tenant's initial domain (.onmicrosoft.com, .onmicrosoft.us, .partner.onmschina.cn) is an Exchange Online mailbox, which Microsoft says cannot receive journal NDRs.",
            JOURNALING + " (R4)",
            example={"ndr": {"address": "ndr@contoso.onmicrosoft.com"}},
        ),
        Code(
            "JG208",
            E,
            "recipient-domains-miss-journal",
            "Journal reports ignore transport rules, so the connector must be scoped by a recipient domain that covers the journal address.",
            CMDLETS + " (R7)",
            example={"connector": {"recipient_domains": ["archive.example"]}},
        ),
        Code(
            "JG209",
            E,
            "recipient-domain-is-tenant",
            "A recipient domain that covers the tenant's own domain would route its ordinary mail to the archive.",
            CMDLETS + " (R7)",
            example={"connector": {"recipient_domains": ["journal.contoso.com", "contoso.com"]}},
        ),
        Code(
            "JG210",
            E,
            "duplicate-rule-name",
            "Journal rule names are unique in a tenant.",
            CMDLETS + ", New-JournalRule (R9)",
            example={"journal_rules": [{"name": "All"}, {"name": "All", "scope": "internal"}]},
        ),
        Code(
            "JG211",
            W,
            "rule-count",
            "Microsoft documents a journal-rule limit of 10, 50 or 300 depending on plan and page age. apply.ps1 checks existing plus planned rules against limits.max_journal_rules before any change, and stops with this setting's name when New-JournalRule still refuses a rule.",
            LIMITS + " (R9)",
            example={
                "journal_rules": [{"name": "A"}, {"name": "B", "scope": "internal"}],
                "limits": {"max_journal_rules": 1},
            },
        ),
        Code(
            "JG212",
            E,
            "tls-domain-without-domain-validation",
            "-TlsDomain only applies with -TlsSettings DomainValidation.",
            CMDLETS + ", New-OutboundConnector (R8)",
            example={"connector": {"tls": {"domain": "*.mimecast.com"}}},
        ),
        Code(
            "JG213",
            E,
            "domain-validation-without-tls-domain",
            "DomainValidation checks the certificate against -TlsDomain, which must be given.",
            CMDLETS + ", New-OutboundConnector (R8)",
            example={"connector": {"tls": {"mode": "domain_validation"}}},
        ),
        Code(
            "JG214",
            E,
            "encryption-only-unacknowledged",
            "EncryptionOnly accepts any certificate: a downgrade that must be acknowledged in the spec.",
            GUIDE + " (R8)",
            example={"connector": {"tls": {"mode": "encryption_only"}}},
        ),
        Code(
            "JG215",
            W,
            "encryption-only",
            "EncryptionOnly accepts any certificate, so journal reports can be intercepted.",
            GUIDE + " (R8)",
            example={
                "connector": {"tls": {"mode": "encryption_only", "acknowledge_downgrade": True}}
            },
        ),
        Code(
            "JG216",
            E,
            "rule-recipient-wildcard",
            "-Recipient takes one address of a mailbox, contact or group; wildcards are not patterns there.",
            CMDLETS + ", New-JournalRule (R6)",
            example={"journal_rules": [{"name": "Sales", "recipient": "*@contoso.com"}]},
        ),
        Code(
            "JG217",
            W,
            "duplicate-rule-coverage",
            "Two rules with the same scope and recipient journal every message twice.",
            "journalgen",
            example={"journal_rules": [{"name": "A"}, {"name": "B"}]},
        ),
        Code(
            "JG218",
            W,
            "rule-disabled",
            "A disabled journal rule journals nothing: mail in its scope is not archived.",
            CMDLETS + ", New-JournalRule (R5)",
            example={"journal_rules": [{"name": "Paused", "enabled": False}]},
        ),
        Code(
            "JG219",
            W,
            "connector-disabled",
            "With the connector off, journal reports follow the journal domain's MX instead of the checked smart hosts.",
            CMDLETS + ", New-OutboundConnector",
            example={"connector": {"enabled": False}},
        ),
        Code(
            "JG220",
            E,
            "smart-hosts-with-mx-routing",
            "Smart hosts are only used when routing is smart_hosts (-UseMXRecord $false).",
            CMDLETS + ", New-OutboundConnector",
            example={
                "connector": {"routing": "mx_record", "smart_hosts": ["smtp.archive.example"]}
            },
        ),
        Code(
            "JG221",
            W,
            "tls-domain-mismatch",
            "With DomainValidation the certificate must carry the TLS domain; a TLS domain that matches none of the smart hosts usually means a typo.",
            CMDLETS + ", New-OutboundConnector (R8)",
            example={
                "connector": {"tls": {"mode": "domain_validation", "domain": "*.archive.example"}}
            },
        ),
        Code(
            "JG222",
            E,
            "ndr-is-rule-recipient",
            "Exchange refuses an NDR address that is a journal rule's recipient (JournalingReportNdrToSameAsRecipient), so apply would stop halfway.",
            "decompiled Exchange Server New-JournalRule and Set-TransportConfig validation (R4)",
            example={"journal_rules": [{"name": "Board", "recipient": "journal-ndr@contoso.com"}]},
        ),
        Code(
            "JG223",
            E,
            "cloud-domain-mismatch",
            "Each Microsoft 365 cloud has its own initial-domain suffix: .onmicrosoft.com (commercial, GCC), .onmicrosoft.us (GCC High, DoD), .partner.onmschina.cn (21Vianet).",
            "Microsoft's Connect-ExchangeOnline help and national-cloud service descriptions",
            example={"tenant": {"cloud": "gcc_high"}},
        ),
        Code(
            "JG224",
            W,
            "alias-drops-letters",
            "An alias is ASCII: the alias derived from the contact's name transliterates common letters (ö to o, ß to ss) but leaves out letters with no ASCII spelling, so it may not resemble the name.",
            "journalgen, following " + CMDLETS + ", New-MailContact",
            example={"contact": {"name": "\u30b8\u30e3\u30fc\u30ca\u30eb Archive"}},
        ),
        Code(
            "JG225",
            E,
            "retired-name-managed",
            "A name under 'retire:' that the spec also manages would be created and removed in one run; Exchange names are case-insensitive.",
            "journalgen",
            example={"retire": {"contacts": ["SMTP Journaling"]}},
        ),
        Code(
            "JG226",
            E,
            "retired-twice",
            "A name listed twice under 'retire:' is a copy-paste slip that hides which object was meant.",
            "journalgen",
            example={"retire": {"journal_rules": ["Old rule", "old rule"]}},
        ),
        Code(
            "JG227",
            E,
            "paused-reason-on-enabled-rule",
            "A paused_reason on an enabled rule says the rule is paused while the scripts enable it.",
            "journalgen",
            example={
                "journal_rules": [{"name": "Journal all mail", "paused_reason": "Contract renewal"}]
            },
        ),
        Code(
            "JG228",
            E,
            "name-variant",
            "Two names that differ only in Unicode form (composed or decomposed letters), width (fullwidth letters) or case look the same to a reviewer, and Exchange may or may not treat them as one name: equal under NFKC and case folding, they clash like equal names.",
            "journalgen; Unicode's NFKC_Casefold (UAX #15, UAX #31)",
            example={
                "journal_rules": [
                    {"name": "Journal all mail"},
                    {
                        "name": "\uff2a\uff4f\uff55\uff52\uff4e\uff41\uff4c all mail",
                        "scope": "internal",
                    },
                ]
            },
        ),
        Code(
            "JG229",
            W,
            "name-not-nfc",
            "A name written with a decomposed letter (e and a combining accent) or a compatibility sign looks like the composed one, but Exchange stores and compares it as written, so the name typed elsewhere may not find it.",
            "journalgen; Unicode normalization forms (UAX #15)",
            example={"journal_rules": [{"name": "Journal e\u0301"}]},
        ),
        # --- vendor presets ---
        Code(
            "JG230",
            W,
            "smart-host-near-miss",
            "A smart host one or two letters from the vendor's own journal host is almost always a typo; Exchange queues journal mail for an unresolvable host until it expires, and the archive misses it.",
            "journalgen presets",
            example={
                "archive": {"vendor": "mimecast", "region": "us"},
                "connector": {
                    "smart_hosts": [
                        "us-smtp-jounral-1.mimecast.com",
                        "us-smtp-journal-2.mimecast.com",
                    ]
                },
            },
        ),
        Code(
            "JG231",
            W,
            "acknowledgement-unmatched",
            "An acknowledgement (acknowledge:) that matches no warning of the spec outlived what it accepted, or names the wrong code or place; left in, it would silently accept the next such warning.",
            "journalgen",
            example={"acknowledge": [{"code": "JG215", "reason": "Archive accepts no TLS check"}]},
        ),
        Code(
            "JG232",
            E,
            "acknowledgement-refused",
            "Only a warning of the spec's own checks (JG2xx, JG3xx) can be acknowledged, and each once: an error must be corrected, and an unknown code acknowledges nothing.",
            "journalgen",
            example={"acknowledge": [{"code": "JG214", "reason": "Archive accepts no TLS check"}]},
        ),
        Code(
            "JG301",
            E,
            "unknown-vendor",
            "Defaults come from the vendor's preset; a vendor with no preset has no defaults.",
            "journalgen presets",
            example={"archive": {"vendor": "archivecorp"}},
        ),
        Code(
            "JG302",
            E,
            "value-required",
            "No preset supplies this value for the chosen vendor and region; the spec must state it.",
            "journalgen presets",
            example={"archive": {"region": None}},
        ),
        Code(
            "JG303",
            E,
            "unconfirmed-default",
            "A preset value from an unconfirmed source is never used silently.",
            "journalgen presets",
            example={"archive": {"region": "eu"}},
        ),
        Code(
            "JG304",
            E,
            "unknown-region",
            "The vendor has no such region in its preset.",
            "journalgen presets",
            example={"archive": {"region": "mars"}},
        ),
        Code(
            "JG305",
            W,
            "unconfirmed-default-acknowledged",
            "The spec accepts a preset value from an unconfirmed source; confirm it against the vendor's console.",
            "journalgen presets",
            example={"archive": {"region": "eu", "acknowledge_unconfirmed": True}},
        ),
        Code(
            "JG306",
            W,
            "journal-address-outside-preset-domain",
            "The journal address is not in the journal domain the vendor's preset names: often a typo that sends journal reports elsewhere.",
            "journalgen presets",
            example={"archive": {"journal_address": "journaling@archive.example"}},
        ),
        Code(
            "JG307",
            W,
            "sovereign-cloud-vendor-unconfirmed",
            "No preset source confirms that an archive vendor accepts journal reports from GCC High, DoD or 21Vianet, whose outbound connections may need approval: confirm it with the vendor.",
            "journalgen presets; Microsoft's US Government service description",
            example={"tenant": {"cloud": "gcc_high", "organization": "contoso.onmicrosoft.us"}},
        ),
        # --- a captured tenant state (plan, import, build --state) ---
        Code(
            "JG401",
            E,
            "state-not-json",
            "A state file is UTF-8 JSON with each key once; anything else may not be what the tenant holds.",
            "journalgen state format",
            state_example=b'{"format": "journalgen-state/1",}',
        ),
        Code(
            "JG402",
            E,
            "state-format",
            "The state format is versioned so journalgen never misreads a capture it does not know.",
            "journalgen state format",
            state_example=b'{"format": "journalgen-state/2"}',
        ),
        Code(
            "JG403",
            E,
            "state-shape",
            "A missing or mistyped property would be read as a value the tenant does not have.",
            "journalgen state format",
            state_example={"journal_rules": [{**_EXAMPLE_RULE, "Name": ["Journal all"]}]},
        ),
        Code(
            "JG404",
            E,
            "state-too-large",
            "A journaling state is kilobytes; a huge or deeply nested file is a mistake or an attack.",
            "journalgen state format",
            state_example=b"[" * 40 + b"]" * 40,
        ),
        Code(
            "JG405",
            E,
            "state-number-too-long",
            "An integer of more than 4,300 digits is no journaling setting, and Python refuses to convert it (converting it would take quadratic time).",
            "journalgen state format; Python's int_max_str_digits",
            state_example=b'{"format": "journalgen-state/1", "extra": 1' + b"0" * 4300 + b"}",
        ),
        Code(
            "JG406",
            E,
            "state-lone-surrogate",
            "A \\uD800-\\uDFFF escape without its other half is no character: the text cannot be shown, compared or written to a script as the tenant holds it.",
            "RFC 8259, 8.2",
            state_example=b'{"format": "journalgen-state/1", "extra": "\\ud800"}',
        ),
        Code(
            "JG410",
            E,
            "state-other-tenant",
            "A state captured from another tenant says nothing about what apply.ps1 would do in this one.",
            "journalgen; apply.ps1's tenant guard",
            state_example={"organization": "fabrikam.onmicrosoft.com"},
        ),
        Code(
            "JG411",
            E,
            "journal-domain-accepted",
            "Exchange Online cannot journal to itself: the journal domain must not be an accepted domain, also not through an accepted domain that matches subdomains.",
            JOURNALING + " (R3); " + CMDLETS + ", Set-AcceptedDomain",
            state_example={
                "accepted_domains": [
                    *EXAMPLE_STATE["accepted_domains"],
                    {
                        "DomainName": "journal.contoso.com",
                        "Default": False,
                        "DomainType": "InternalRelay",
                        "MatchSubDomains": False,
                    },
                ]
            },
        ),
        Code(
            "JG412",
            E,
            "name-held-by-other-kind",
            "The contact's name belongs to a recipient that is not a mail contact; apply.ps1 would stop in its preflight.",
            "apply.ps1 preflight",
            state_example={
                "recipients": [
                    {
                        "Name": "SMTP Journaling",
                        "RecipientTypeDetails": "SharedMailbox",
                        "EmailAddresses": ["SMTP:journaling@contoso.com"],
                    }
                ]
            },
        ),
        Code(
            "JG413",
            E,
            "journal-address-held",
            "The journal address belongs to another recipient, which the spec does not describe; apply.ps1 would stop in its preflight.",
            "apply.ps1 preflight",
            state_example={"mail_contacts": [_EXAMPLE_CONTACT]},
        ),
        Code(
            "JG414",
            E,
            "ndr-is-mailbox",
            "An Exchange Online mailbox cannot receive undeliverable journal reports.",
            CMDLETS + ", Set-TransportConfig (R4)",
            state_example={
                "recipients": [
                    {
                        "Name": "Journal NDR",
                        "RecipientTypeDetails": "UserMailbox",
                        "EmailAddresses": ["SMTP:journal-ndr@contoso.com"],
                    }
                ]
            },
        ),
        Code(
            "JG415",
            E,
            "rule-limit-exceeded",
            "The tenant's rules plus the rules the spec adds would pass the journal-rule limit.",
            JOURNALING + " (R9)",
            state_example={
                "journal_rules": [
                    {
                        **_EXAMPLE_RULE,
                        "Name": f"Rule {i}",
                        "JournalEmailAddress": "j@archive.example",
                    }
                    for i in range(50)
                ]
            },
        ),
        Code(
            "JG416",
            E,
            "connector-routes-more",
            "Adopting a same-named connector that routes other domains, is not a partner connector or routes all mail via on-premises would narrow or reroute the tenant's mail flow; apply.ps1's takeover preflight refuses it.",
            "journalgen, following Microsoft's connector docs",
            state_example={
                "outbound_connectors": [
                    {**_EXAMPLE_CONNECTOR, "RecipientDomains": ["journal.contoso.com", "*"]}
                ]
            },
        ),
        Code(
            "JG417",
            W,
            "unmanaged-rule-same-address",
            "A journal rule the spec does not describe also journals to the journal address: messages may be journaled twice, and it stays when the spec's rules are removed.",
            "apply.ps1 preflight",
            state_example={"journal_rules": [_EXAMPLE_RULE]},
        ),
        Code(
            "JG418",
            W,
            "other-connector-routes-journal-domain",
            "Another connector also routes the journal domain; which of the two carries journal reports is not what the spec says.",
            "apply.ps1 preflight",
            state_example={
                "outbound_connectors": [
                    {
                        **_EXAMPLE_CONNECTOR,
                        "Name": "Old archive",
                        "RecipientDomains": ["*.contoso.com"],
                    }
                ]
            },
        ),
        Code(
            "JG419",
            W,
            "connector-unmanaged-risk",
            "The adopted connector is in test mode, which may have kept journal reports from the archive until now; apply.ps1 turns it off.",
            CMDLETS + ", Set-OutboundConnector",
            state_example={"outbound_connectors": [{**_EXAMPLE_CONNECTOR, "TestMode": True}]},
        ),
        Code(
            "JG420",
            E,
            "ndr-address-nobody",
            "The NDR address is in one of the tenant's authoritative domains but no recipient has it: undeliverable journal reports would go nowhere, and apply.ps1 would stop in its preflight.",
            CMDLETS + ", Set-TransportConfig (R4); apply.ps1 preflight",
            state_example={"recipients": [], "recipient_lookups": ["journal-ndr@contoso.com"]},
        ),
        Code(
            "JG421",
            W,
            "ndr-address-internal-relay",
            "No recipient has the NDR address, whose domain is an internal relay domain: the other mail system must accept it.",
            CMDLETS + ", Set-TransportConfig (R4); apply.ps1 preflight",
            state_example={
                "accepted_domains": [
                    {**EXAMPLE_STATE["accepted_domains"][0], "DomainType": "InternalRelay"},
                    EXAMPLE_STATE["accepted_domains"][1],
                ],
                "recipients": [],
                "recipient_lookups": ["journal-ndr@contoso.com"],
            },
        ),
        Code(
            "JG422",
            E,
            "connector-setting-drops-reports",
            "The spec's connector has a setting apply.ps1 does not manage but refuses to adopt (SmtpDaneMode Mandatory), because it drops journal reports to an archive that cannot satisfy it.",
            CMDLETS + ", New-OutboundConnector; apply.ps1 preflight",
            state_example={
                "outbound_connectors": [{**_EXAMPLE_CONNECTOR, "SmtpDaneMode": "Mandatory"}]
            },
        ),
        Code(
            "JG423",
            W,
            "centralized-mail-flow",
            "An on-premises connector routes all mail via on-premises (centralized mail flow): journal reports may follow it instead of the spec's connector while verify.ps1 passes.",
            CMDLETS + ", New-OutboundConnector; apply.ps1 preflight",
            state_example={
                "outbound_connectors": [
                    {
                        **_EXAMPLE_CONNECTOR,
                        "Name": "Hybrid",
                        "ConnectorType": "OnPremises",
                        "RecipientDomains": ["*"],
                        "SmartHosts": ["mail.contoso.com"],
                        "RouteAllMessagesViaOnPremises": True,
                    }
                ]
            },
        ),
        Code(
            "JG424",
            E,
            "name-not-unique",
            "The state holds several objects of one kind with a name the spec uses; apply.ps1 reads each object by name and stops unless Exchange returns exactly one.",
            "apply.ps1 (every read by identity); " + CMDLETS,
            state_example={
                "journal_rules": [
                    {**_EXAMPLE_RULE, "Name": "Journal all mail"},
                    {**_EXAMPLE_RULE, "Name": "journal all mail"},
                ]
            },
        ),
        Code(
            "JG425",
            E,
            "rule-uses-retired-contact",
            "A journal rule the spec neither describes nor retires journals to a contact the spec retires: removing the contact would silently end that rule's journaling, so apply.ps1's preflight stops.",
            "apply.ps1 preflight",
            state_spec={"retire": {"contacts": ["Old journal contact"]}},
            state_example={
                "journal_rules": [{**_EXAMPLE_RULE, "JournalEmailAddress": "old@archive.example"}],
                "mail_contacts": [
                    {**_EXAMPLE_CONTACT, "ExternalEmailAddress": "SMTP:old@archive.example"}
                ],
            },
        ),
        Code(
            "JG426",
            E,
            "rule-uses-retired-connector",
            "A journal rule the spec neither describes nor retires journals to an address a connector the spec retires routes (its recipient domains, less those the spec's connector keeps): removing the connector would silently reroute that rule's reports, so apply.ps1's preflight stops.",
            "apply.ps1 preflight",
            state_spec={"retire": {"connectors": ["Old archive"]}},
            state_example={
                "journal_rules": [{**_EXAMPLE_RULE, "JournalEmailAddress": "j@archive.example"}],
                "outbound_connectors": [
                    {
                        **_EXAMPLE_CONNECTOR,
                        "Name": "Old archive",
                        "RecipientDomains": ["*.example"],
                        "SmartHosts": ["smtp.archive.example"],
                    }
                ],
            },
        ),
        Code(
            "JG427",
            E,
            "rule-uses-repointed-contact",
            "The spec adopts an existing contact by name that points at another address (another archive's contact with the same default name), and a journal rule the spec neither describes nor retires journals to it: changing the contact's address would silently take that rule's journaling away from its archive, as retiring the contact would (JG425), so apply.ps1's preflight stops.",
            "apply.ps1 preflight",
            state_example={
                "journal_rules": [
                    {
                        **_EXAMPLE_RULE,
                        "Name": "Legal hold to old archive",
                        "JournalEmailAddress": "journaling@journal.old.example",
                    }
                ],
                "mail_contacts": [
                    {
                        **_EXAMPLE_CONTACT,
                        "Name": "SMTP Journaling",
                        "ExternalEmailAddress": "SMTP:journaling@journal.old.example",
                    }
                ],
            },
        ),
        Code(
            "JG428",
            E,
            "transport-rule-uses-retired-contact",
            "A transport (mail-flow) rule names a contact the spec retires, by name or address, in a recipient property (a redirect, a BCC, a condition): removing the contact would silently break that rule, so apply.ps1's preflight stops, naming the rule and the property.",
            "apply.ps1 preflight; Get-TransportRule",
            state_spec={"retire": {"contacts": ["Old journal contact"]}},
            state_example={
                "mail_contacts": [
                    {**_EXAMPLE_CONTACT, "ExternalEmailAddress": "SMTP:old@archive.example"}
                ],
                "transport_rules": [
                    {
                        "Name": "BCC legal to the old archive",
                        "State": "Enabled",
                        "BlindCopyTo": ["old@archive.example"],
                    }
                ],
            },
        ),
        Code(
            "JG433",
            E,
            "transport-rule-uses-repointed-contact",
            "The spec adopts an existing contact by name that points at another address, and a transport (mail-flow) rule names that contact, by name or by its current address: changing the contact's address would silently send that rule's mail to the spec's archive or to nobody, as for journal rules (JG427), so apply.ps1's preflight stops.",
            "apply.ps1 preflight; Get-TransportRule",
            state_example={
                "mail_contacts": [
                    {
                        **_EXAMPLE_CONTACT,
                        "Name": "SMTP Journaling",
                        "ExternalEmailAddress": "SMTP:journaling@journal.old.example",
                    }
                ],
                "transport_rules": [
                    {
                        "Name": "Redirect to the old archive",
                        "State": "Enabled",
                        "RedirectMessageTo": ["SMTP Journaling"],
                    }
                ],
            },
        ),
        # --- across specs: one tenant, and a spec's earlier version ---
        Code(
            "JG501",
            E,
            "tenant-object-clash",
            "Two specs for one tenant that manage the same contact, connector, rule or journal address overwrite each other on every apply, and each verify reports drift forever.",
            "journalgen",
        ),
        Code(
            "JG502",
            E,
            "tenant-retires-managed",
            "A spec that retires what another spec for the same tenant manages removes it on every apply, and the other spec creates it again.",
            "journalgen",
        ),
        Code(
            "JG503",
            E,
            "tenant-ndr-clash",
            "The NDR address and queue time are one setting per tenant (Set-TransportConfig); two specs that set them differently repoint each other.",
            JOURNALING + ", configure-journaling",
        ),
        Code(
            "JG504",
            W,
            "dropped-object-stays",
            "An object's name is its identity: an object the earlier spec managed and this one neither manages nor retires (a rename, or a removal) stays in the tenant, and a rule keeps journaling.",
            "journalgen",
        ),
        Code(
            "JG505",
            E,
            "primary-domain-two-tenants",
            "A mail domain is accepted by one tenant only: two specs of different organizations with one primary domain mean one organization is wrong (often a guessed .onmicrosoft.com), and its scripts would stop in the tenant guard or configure the wrong tenant.",
            "journalgen; Microsoft 365 accepted domains",
        ),
        Code(
            "JG506",
            E,
            "journal-address-two-tenants",
            "An archive issues one journal address per customer account: two tenants that journal to the same address put one client's mail into another's archive.",
            "journalgen; the vendors' journaling guides",
        ),
        # --- internal ---
        Code(
            "JG900",
            E,
            "internal-error",
            "journalgen itself failed; please report it with the spec that caused it.",
            "journalgen",
        ),
    ]
}


def severity_of(code: str) -> Severity:
    return CODES[code].severity


def require_registered(code: str) -> None:
    """Refuse a code missing from :data:`CODES`, where it is made rather than where it is shown."""
    if code not in CODES:
        raise ValueError(f"diagnostic code {code!r} is not registered in journalgen/codes.py")
