# journalgen's Exchange Online simulator (docs/simulator.md).
#
# Shaped like ExchangeOnlineManagement v3: this module exports the connection cmdlets only;
# Connect-ExchangeOnline imports a second, generated module (tmpEXO_<n>) holding the admin
# cmdlets, and Disconnect-ExchangeOnline removes it. Every cmdlet is generated from one table,
# signatures.json, so names, sets, positions, mandatory flags and ShouldProcess are the real
# ones. The tenant lives in a journalgen-state/1 file ($env:JOURNALGEN_SIM_STATE), read at
# sign-in and written back after every change; each call is logged ($env:JOURNALGEN_SIM_LOG).
# It must load in Windows PowerShell 5.1 too: no syntax newer than 5.1 here.

$script:SimRoot = $ExecutionContext.SessionState.Module
$script:Here = Split-Path -Parent $PSCommandPath
$script:Utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false
$script:IsWindowsHost = ($PSVersionTable.PSEdition -eq 'Desktop') -or ((Get-Variable -Name IsWindows -ValueOnly -ErrorAction SilentlyContinue) -eq $true)

function Read-SimJson {
    # JSON text as ordered dictionaries and lists. PowerShell 7.5+ can keep ISO dates as text;
    # earlier 7.x turn them into DateTime, which the state writer turns back into ISO text.
    param([string] $Text)
    $command = Get-Command -Name ConvertFrom-Json
    if ($command.Parameters.ContainsKey('DateKind')) { $parsed = ConvertFrom-Json -InputObject $Text -DateKind String }
    else { $parsed = ConvertFrom-Json -InputObject $Text }
    return (ConvertTo-SimData -Value $parsed)
}

function ConvertTo-SimData {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $table = [ordered]@{}
        foreach ($property in $Value.PSObject.Properties) { $table[$property.Name] = ConvertTo-SimData -Value $property.Value }
        return $table
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $table = [ordered]@{}
        foreach ($key in $Value.Keys) { $table[[string] $key] = ConvertTo-SimData -Value $Value[$key] }
        return $table
    }
    if ($Value -is [System.Collections.IList]) {
        $list = New-Object -TypeName System.Collections.ArrayList
        foreach ($item in $Value) { [void] $list.Add((ConvertTo-SimData -Value $item)) }
        return ,$list
    }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [System.Globalization.CultureInfo]::InvariantCulture) }
    return $Value
}

function Write-SimFile {
    # Written beside the target, then renamed over it: a reader never sees half a state.
    param([string] $Path, [string] $Text)
    $temp = "$Path.$([System.Diagnostics.Process]::GetCurrentProcess().Id).tmp"
    [System.IO.File]::WriteAllText($temp, $Text, $script:Utf8)
    if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Replace($temp, $Path, [NullString]::Value) }
    else { [System.IO.File]::Move($temp, $Path) }
}

# --- Options and faults ----------------------------------------------------------------------

$script:DefaultOptions = [ordered]@{
    # [U] A Get-* -Identity that names nothing: 'error' (observed v3: not-found) or 'all'
    # (the Get-* help since 2025-12: every object, as without -Identity).
    missing_identity        = 'error'
    # [U] Get-OutboundConnector filters: 'documented' ($true lists only test-mode or only
    # rule-scoped connectors, $false or absent only the others) or 'true_returns_all'.
    connector_listing       = 'documented'
    # [U] Whether the filters also apply to Get-OutboundConnector -Identity.
    identity_filtered       = $false
    # [U] An explicit $null (-TlsDomain $null, -SmartHosts $null, -Recipient $null): 'clears'
    # or 'ignored' (the REST layer drops it).
    explicit_null           = 'clears'
    # [U] How a journal rule returns JournalEmailAddress: 'address', or 'name' (the name of
    # the recipient holding the address, when one does).
    journal_address_form    = 'address'
    # [U] Clearing the NDR address ('<>') with no journal rule left: 'allowed' or 'refused'.
    ndr_clear_without_rules = 'allowed'
    # [U] Removing a mail contact that a journal rule targets: 'allowed' or 'refused'.
    remove_contact_in_use   = 'allowed'
    # The tenant's journal rule limit (Microsoft documents 10, 50 or 300).
    max_journal_rules       = 50
    # '3.9.2', or '3.1.0' (Disconnect-ExchangeOnline has no -ConnectionId before 3.2.0).
    module_version          = '3.9.2'
    # 'en', or 'de': a localized tenant, whose messages keep only the exception names.
    locale                  = 'en'
    # RBAC: cmdlets ('Set-TransportConfig') or parameters ('New-OutboundConnector:TestMode')
    # the signed-in admin does not have.
    rbac_removed            = @()
}

function Read-SimSettings {
    param([string] $Variable)
    $text = [Environment]::GetEnvironmentVariable($Variable)
    if (-not $text) { return [ordered]@{} }
    if ($Variable -eq 'JOURNALGEN_SIM_FAULTS' -and [System.IO.File]::Exists($text)) {
        $text = [System.IO.File]::ReadAllText($text, $script:Utf8)
    }
    return (Read-SimJson -Text $text)
}

$script:Options = [ordered]@{}
foreach ($key in $script:DefaultOptions.Keys) { $script:Options[$key] = $script:DefaultOptions[$key] }
$given = Read-SimSettings -Variable 'JOURNALGEN_SIM_OPTIONS'
foreach ($key in $given.Keys) {
    if (-not $script:DefaultOptions.Contains($key)) { throw "journalgen simulator: unknown option '$key' in JOURNALGEN_SIM_OPTIONS." }
    $script:Options[$key] = $given[$key]
}
$script:Faults = Read-SimSettings -Variable 'JOURNALGEN_SIM_FAULTS'
$knownFaults = @('fail_write', 'throttle', 'replication', 'kill_after_write', 'disconnect_error', 'connect_error', 'address_release_delay', 'read_lag', 'access_denied', 'tenants')
foreach ($key in $script:Faults.Keys) {
    if ($knownFaults -notcontains $key) { throw "journalgen simulator: unknown fault '$key' in JOURNALGEN_SIM_FAULTS." }
}
# A folder of tenants: each tenant's own fault plan (JOURNALGEN_SIM_FAULTS "tenants"), in force
# while it is signed in to, on top of the others; its call numbers count from its sign-in.
$script:FleetFaults = [ordered]@{}
if ($script:Faults.Contains('tenants')) {
    foreach ($organization in $script:Faults['tenants'].Keys) {
        foreach ($key in $script:Faults['tenants'][$organization].Keys) {
            if ($knownFaults -notcontains $key -or $key -eq 'tenants') { throw "journalgen simulator: unknown fault '$key' for the tenant '$organization' in JOURNALGEN_SIM_FAULTS." }
        }
        $script:FleetFaults[$organization.ToLowerInvariant()] = $script:Faults['tenants'][$organization]
    }
    $script:Faults.Remove('tenants')
}
$script:BaseFaults = $script:Faults
$script:CallBase = 0

function Get-SimFault {
    param([string] $Name)
    if ($script:Faults.Contains($Name)) { return $script:Faults[$Name] }
    return $null
}

# Counters of this process: calls, executed writes, throttled answers given.
$script:Counters = @{ Calls = 0; Writes = 0; Throttled = 0 }
# Fault read_lag: Guid -> how many more Get-* -Identity calls miss an object created in this run.
$script:ReadLag = @{}

# --- The call log ----------------------------------------------------------------------------

function ConvertTo-SimLogValue {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.SwitchParameter]) { return $Value.IsPresent }
    if ($Value -is [System.Security.SecureString]) { return '(secure string)' }
    if ($Value -is [System.Management.Automation.PSCredential]) { return "(credential of $($Value.UserName))" }
    if ($Value -is [bool] -or $Value -is [int] -or $Value -is [long] -or $Value -is [uint32]) { return $Value }
    if ($Value -is [System.Collections.IDictionary]) { return '(hashtable)' }
    if ($Value -is [System.Collections.IEnumerable] -and -not ($Value -is [string])) {
        $items = @(foreach ($item in $Value) { ConvertTo-SimLogValue -Value $item })
        return ,$items
    }
    return [string] $Value
}

function Write-SimLog {
    param([System.Collections.IDictionary] $Entry)
    $path = $env:JOURNALGEN_SIM_LOG
    if (-not $path) { return }
    $line = (ConvertTo-Json -InputObject $Entry -Depth 6 -Compress) + "`n"
    [System.IO.File]::AppendAllText($path, $line, $script:Utf8)
}

function New-SimLogEntry {
    param([string] $Name, [System.Collections.IDictionary] $Bound, [string] $Kind)
    $parameters = [ordered]@{}
    foreach ($key in @($Bound.Keys | Sort-Object)) { $parameters[$key] = ConvertTo-SimLogValue -Value $Bound[$key] }
    $script:Counters.Calls++
    return [ordered]@{
        seq        = $script:Counters.Calls
        cmdlet     = $Name
        kind       = $Kind
        parameters = $parameters
        whatif     = $false
        write      = $false
        outcome    = 'ok'
    }
}

# --- Errors shaped as v3 writes them ---------------------------------------------------------

$script:Texts = @{
    en = @{
        NotFound    = "The operation couldn't be performed because object '{0}' couldn't be found on 'SIM01A001DC001.NAMPRD01.PROD.OUTLOOK.COM'."
        NotFoundRef = "Couldn't find object ""{0}"". Please make sure that it was spelled correctly or specify a different object."
        Replication = "Recipient ""{0}"" couldn't be read from domain controller ""SIM01A001DC001.NAMPRD01.PROD.OUTLOOK.COM"". This may be due to replication delays. Please try again later."
        Ambiguous   = "The operation couldn't be performed because object: '{0}' matches multiple entries."
    }
    de = @{
        NotFound    = "Der Vorgang konnte nicht ausgefuehrt werden, da das Objekt '{0}' auf 'SIM01A001DC001.EURPRD01.PROD.OUTLOOK.COM' nicht gefunden wurde."
        NotFoundRef = "Das Objekt ""{0}"" wurde nicht gefunden. Stellen Sie sicher, dass es richtig geschrieben ist."
        Replication = "Der Empfaenger ""{0}"" konnte nicht vom Domaenencontroller gelesen werden. Dies kann an Replikationsverzoegerungen liegen."
        Ambiguous   = "Der Vorgang konnte nicht ausgefuehrt werden, da das Objekt '{0}' mehreren Eintraegen entspricht."
    }
}

function Stop-Sim {
    # Ends the current call with an Exchange error; the generated cmdlet writes it as v3 does.
    param(
        [string] $Reason,
        [string] $Text,
        [string] $Code = '',
        [string] $Category = 'NotSpecified',
        [string] $ErrorId = ''
    )
    $exception = New-Object -TypeName System.Exception -ArgumentList "$Code|Microsoft.Exchange.Management.Tasks.$Reason|$Text"
    $exception.Data['JournalgenSimError'] = @{ Reason = $Reason; Category = $Category; ErrorId = $ErrorId; Text = $Text }
    throw $exception
}

function Get-SimText {
    param([string] $Key, [string] $Value)
    $table = $script:Texts[[string] $script:Options.locale]
    if ($null -eq $table) { $table = $script:Texts.en }
    return ($table[$Key] -f $Value)
}

function Stop-SimNotFound {
    param([string] $Identity, [string] $Key = 'NotFound')
    $reason = 'ManagementObjectNotFoundException'
    $code = 'Ex6F9304'
    if ($Key -eq 'NotFoundRef') { $code = 'Ex2FCB5A' }
    if ($Key -eq 'Replication') { $code = 'Ex9D4C11' }
    Stop-Sim -Reason $reason -Code $code -Text (Get-SimText -Key $Key -Value $Identity)
}

function Stop-SimInvalid {
    param([string] $Text, [string] $Reason = 'InvalidOperationException', [string] $Code = 'Ex8A2C71')
    Stop-Sim -Reason $Reason -Code $Code -Text $Text -Category 'InvalidOperation'
}

# --- The tenant --------------------------------------------------------------------------------

$script:Tenant = $null
$script:Fleet = $false

function New-SimGuid {
    # Deterministic: the same tenant file gives the same Guids on every run.
    param([string] $Seed)
    $md5 = [System.Security.Cryptography.MD5]::Create()
    $bytes = $md5.ComputeHash($script:Utf8.GetBytes("journalgen-simulator:$Seed"))
    return ((New-Object -TypeName System.Guid -ArgumentList (, $bytes)).ToString())
}

function Get-SimValue {
    param([System.Collections.IDictionary] $Table, [string] $Key, $Default = $null)
    if ($null -ne $Table -and $Table.Contains($Key)) { return $Table[$Key] }
    return $Default
}

function ConvertTo-SimList {
    # A multi-valued property: an array of strings, never $null.
    param($Value)
    if ($null -eq $Value) { return ,@() }
    $items = @(foreach ($item in @($Value)) { if ($null -ne $item -and [string] $item -ne '') { [string] $item } })
    return ,$items
}

function Get-SimBareAddress {
    param($Value)
    if ($null -eq $Value) { return $null }
    $text = [string] $Value
    if ($text -like 'smtp:*') { $text = $text.Substring(5) }
    return $text
}

function Get-SimRecipientType {
    param([string] $Details)
    if ($Details -like '*Mailbox') { return 'UserMailbox' }
    if ($Details -in @('MailUser', 'GuestMailUser')) { return 'MailUser' }
    return $Details
}

function New-SimRecipient {
    # One recipient of the tenant, from a state entry (a mail contact or another recipient).
    param([System.Collections.IDictionary] $Entry, [string] $Details)
    $name = [string] $Entry['Name']
    $addresses = ConvertTo-SimList -Value (Get-SimValue -Table $Entry -Key 'EmailAddresses')
    $external = Get-SimValue -Table $Entry -Key 'ExternalEmailAddress'
    if ($null -ne $external -and [string] $external -ne '') {
        $bare = Get-SimBareAddress -Value $external
        $external = "SMTP:$bare"
        if (@($addresses | Where-Object { (Get-SimBareAddress -Value $_) -eq $bare }).Count -eq 0) { $addresses = @("SMTP:$bare") + $addresses }
    }
    $primary = $null
    foreach ($address in $addresses) { if ($address -clike 'SMTP:*') { $primary = $address.Substring(5); break } }
    if ($null -eq $primary -and $addresses.Count -gt 0) { $primary = Get-SimBareAddress -Value $addresses[0] }
    $alias = Get-SimValue -Table $Entry -Key 'Alias'
    if (-not $alias) { $alias = ($name -replace '[^A-Za-z0-9]', '') }
    return [ordered]@{
        Name                          = $name
        Alias                         = [string] $alias
        DisplayName                   = [string] (Get-SimValue -Table $Entry -Key 'DisplayName' -Default $name)
        RecipientTypeDetails          = $Details
        ExternalEmailAddress          = $external
        EmailAddresses                = $addresses
        PrimarySmtpAddress            = $primary
        HiddenFromAddressListsEnabled = [bool] (Get-SimValue -Table $Entry -Key 'HiddenFromAddressListsEnabled' -Default $false)
        FirstName                     = Get-SimValue -Table $Entry -Key 'FirstName'
        Initials                      = Get-SimValue -Table $Entry -Key 'Initials'
        LastName                      = Get-SimValue -Table $Entry -Key 'LastName'
        Guid                          = [string] (Get-SimValue -Table $Entry -Key 'Guid' -Default (New-SimGuid -Seed "recipient:$name"))
        Lag                           = 0
    }
}

function New-SimConnector {
    param([System.Collections.IDictionary] $Entry)
    $name = [string] $Entry['Name']
    $connector = [ordered]@{
        Name                          = $name
        Guid                          = [string] (Get-SimValue -Table $Entry -Key 'Guid' -Default (New-SimGuid -Seed "connector:$name"))
        Enabled                       = [bool] (Get-SimValue -Table $Entry -Key 'Enabled' -Default $true)
        UseMXRecord                   = [bool] (Get-SimValue -Table $Entry -Key 'UseMXRecord' -Default $true)
        Comment                       = Get-SimValue -Table $Entry -Key 'Comment'
        ConnectorType                 = [string] (Get-SimValue -Table $Entry -Key 'ConnectorType' -Default 'Partner')
        ConnectorSource               = [string] (Get-SimValue -Table $Entry -Key 'ConnectorSource' -Default 'Default')
        RecipientDomains              = ConvertTo-SimList -Value (Get-SimValue -Table $Entry -Key 'RecipientDomains')
        SmartHosts                    = ConvertTo-SimList -Value (Get-SimValue -Table $Entry -Key 'SmartHosts')
        TlsDomain                     = Get-SimValue -Table $Entry -Key 'TlsDomain'
        TlsSettings                   = Get-SimValue -Table $Entry -Key 'TlsSettings'
        IsTransportRuleScoped         = [bool] (Get-SimValue -Table $Entry -Key 'IsTransportRuleScoped' -Default $false)
        RouteAllMessagesViaOnPremises = [bool] (Get-SimValue -Table $Entry -Key 'RouteAllMessagesViaOnPremises' -Default $false)
        CloudServicesMailEnabled      = [bool] (Get-SimValue -Table $Entry -Key 'CloudServicesMailEnabled' -Default $false)
        AllAcceptedDomains            = [bool] (Get-SimValue -Table $Entry -Key 'AllAcceptedDomains' -Default $false)
        SenderRewritingEnabled        = [bool] (Get-SimValue -Table $Entry -Key 'SenderRewritingEnabled' -Default $false)
        MtaStsMode                    = Get-SimValue -Table $Entry -Key 'MtaStsMode' -Default 'Opportunistic'
        SmtpDaneMode                  = Get-SimValue -Table $Entry -Key 'SmtpDaneMode' -Default 'Opportunistic'
        TestMode                      = [bool] (Get-SimValue -Table $Entry -Key 'TestMode' -Default $false)
        LinkForModifiedConnector      = Get-SimValue -Table $Entry -Key 'LinkForModifiedConnector' -Default '00000000-0000-0000-0000-000000000000'
        ValidationRecipients          = ConvertTo-SimList -Value (Get-SimValue -Table $Entry -Key 'ValidationRecipients')
        IsValidated                   = [bool] (Get-SimValue -Table $Entry -Key 'IsValidated' -Default $false)
        LastValidationTimestamp       = Get-SimValue -Table $Entry -Key 'LastValidationTimestamp'
        Lag                           = 0
    }
    return $connector
}

function New-SimRule {
    param([System.Collections.IDictionary] $Entry)
    $name = [string] $Entry['Name']
    return [ordered]@{
        Name                = $name
        Guid                = [string] (Get-SimValue -Table $Entry -Key 'Guid' -Default (New-SimGuid -Seed "rule:$name"))
        JournalEmailAddress = Get-SimBareAddress -Value (Get-SimValue -Table $Entry -Key 'JournalEmailAddress')
        Recipient           = Get-SimValue -Table $Entry -Key 'Recipient'
        Scope               = [string] (Get-SimValue -Table $Entry -Key 'Scope' -Default 'Global')
        Enabled             = [bool] (Get-SimValue -Table $Entry -Key 'Enabled' -Default $false)
        Lag                 = 0
    }
}

function Find-SimTenantFile {
    # In a folder of tenants, the state file of the tenant a sign-in names: by its organization
    # (the file's own, whatever its name) or by its tenant ID.
    param([string] $Folder, [string] $Asked)
    if (-not $Asked) { throw "journalgen simulator: JOURNALGEN_SIM_STATE names a folder of tenants; sign in to one with -DelegatedOrganization or -Organization." }
    foreach ($file in @([System.IO.Directory]::GetFiles($Folder, '*.json') | Sort-Object)) {
        $organization = [string] (Read-SimJson -Text ([System.IO.File]::ReadAllText($file, $script:Utf8)))['organization']
        if ($Asked.ToLowerInvariant() -in @($organization.ToLowerInvariant(), (New-SimGuid -Seed "tenant:$organization"))) { return $file }
    }
    throw "AADSTS90002: Tenant '$Asked' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
}

function Import-SimTenant {
    # The tenant from its state file (journalgen-state/1, docs/state.md), or from the folder of
    # tenants the file names the one asked for.
    param([string] $Asked = '')
    $path = $env:JOURNALGEN_SIM_STATE
    if (-not $path) { throw 'journalgen simulator: JOURNALGEN_SIM_STATE names no tenant state file; there is no tenant to sign in to.' }
    $script:Fleet = [System.IO.Directory]::Exists($path)
    if ($script:Fleet) { $path = Find-SimTenantFile -Folder $path -Asked $Asked }
    if (-not [System.IO.File]::Exists($path)) { throw "journalgen simulator: the tenant state file '$path' does not exist." }
    $state = Read-SimJson -Text ([System.IO.File]::ReadAllText($path, $script:Utf8))
    if ([string] (Get-SimValue -Table $state -Key 'format') -ne 'journalgen-state/1') { throw "journalgen simulator: '$path' is not a journalgen-state/1 file." }
    $organization = [string] $state['organization']
    $tenant = [ordered]@{
        Path          = $path
        State         = $state
        Organization  = $organization
        Domains       = New-Object -TypeName System.Collections.ArrayList
        Transport     = [ordered]@{ JournalingReportNdrTo = '<>'; JournalMessageExpirationDays = 0; PreventDuplicateJournalingEnabled = $false }
        Rules         = New-Object -TypeName System.Collections.ArrayList
        Connectors    = New-Object -TypeName System.Collections.ArrayList
        Recipients    = New-Object -TypeName System.Collections.ArrayList
        # One table per rule: ConvertTo-SimData gives a list back as one object.
        TransportRules = @(foreach ($rule in @(Get-SimValue -Table $state -Key 'transport_rules' -Default @())) { ConvertTo-SimData -Value $rule })
        Released      = New-Object -TypeName System.Collections.ArrayList
    }
    foreach ($entry in @(Get-SimValue -Table $state -Key 'accepted_domains' -Default @())) {
        $domainName = [string] $entry['DomainName']
        [void] $tenant.Domains.Add([ordered]@{
                DomainName      = $domainName
                Default         = [bool] (Get-SimValue -Table $entry -Key 'Default' -Default $false)
                DomainType      = [string] (Get-SimValue -Table $entry -Key 'DomainType' -Default 'Authoritative')
                MatchSubDomains = [bool] (Get-SimValue -Table $entry -Key 'MatchSubDomains' -Default $false)
                InitialDomain   = [bool] (Get-SimValue -Table $entry -Key 'InitialDomain' -Default ($domainName -eq $organization))
                Guid            = [string] (Get-SimValue -Table $entry -Key 'Guid' -Default (New-SimGuid -Seed "domain:$domainName"))
            })
    }
    $transport = Get-SimValue -Table $state -Key 'transport_config'
    if ($null -ne $transport) {
        foreach ($key in $transport.Keys) { $tenant.Transport[$key] = $transport[$key] }
    }
    if ($null -eq $tenant.Transport.JournalingReportNdrTo -or [string] $tenant.Transport.JournalingReportNdrTo -eq '') { $tenant.Transport.JournalingReportNdrTo = '<>' }
    foreach ($entry in @(Get-SimValue -Table $state -Key 'journal_rules' -Default @())) { [void] $tenant.Rules.Add((New-SimRule -Entry $entry)) }
    foreach ($entry in @(Get-SimValue -Table $state -Key 'outbound_connectors' -Default @())) { [void] $tenant.Connectors.Add((New-SimConnector -Entry $entry)) }
    $contactNames = @()
    foreach ($entry in @(Get-SimValue -Table $state -Key 'mail_contacts' -Default @())) {
        [void] $tenant.Recipients.Add((New-SimRecipient -Entry $entry -Details 'MailContact'))
        $contactNames += ([string] $entry['Name']).ToLowerInvariant()
    }
    foreach ($entry in @(Get-SimValue -Table $state -Key 'recipients' -Default @())) {
        # A capture lists the mail contacts it saw as recipients too: one object each.
        if ($contactNames -contains ([string] $entry['Name']).ToLowerInvariant()) { continue }
        [void] $tenant.Recipients.Add((New-SimRecipient -Entry $entry -Details ([string] (Get-SimValue -Table $entry -Key 'RecipientTypeDetails' -Default 'UserMailbox'))))
    }
    $script:Tenant = $tenant
}

function Export-SimTenant {
    # The tenant back into its state file, in journalgen-state/1 with the simulator's extra keys
    # (Guid, and every connector property): journalgen's loader ignores keys it does not read.
    $tenant = $script:Tenant
    $state = [ordered]@{}
    foreach ($key in $tenant.State.Keys) { $state[$key] = $tenant.State[$key] }
    $state['accepted_domains'] = @(foreach ($domain in $tenant.Domains) {
            [ordered]@{ DomainName = $domain.DomainName; Default = $domain.Default; DomainType = $domain.DomainType; MatchSubDomains = $domain.MatchSubDomains; InitialDomain = $domain.InitialDomain; Guid = $domain.Guid }
        })
    $transport = [ordered]@{}
    foreach ($key in $tenant.Transport.Keys) { $transport[$key] = $tenant.Transport[$key] }
    $state['transport_config'] = $transport
    $state['journal_rules'] = @(foreach ($rule in $tenant.Rules) { Copy-SimObject -Object $rule })
    $state['outbound_connectors'] = @(foreach ($connector in $tenant.Connectors) { Copy-SimObject -Object $connector })
    $contacts = @()
    $others = @()
    foreach ($recipient in $tenant.Recipients) {
        if ($recipient.RecipientTypeDetails -eq 'MailContact') {
            $contacts += [ordered]@{
                Name                          = $recipient.Name
                ExternalEmailAddress          = $recipient.ExternalEmailAddress
                DisplayName                   = $recipient.DisplayName
                Alias                         = $recipient.Alias
                FirstName                     = $recipient.FirstName
                Initials                      = $recipient.Initials
                LastName                      = $recipient.LastName
                HiddenFromAddressListsEnabled = $recipient.HiddenFromAddressListsEnabled
                EmailAddresses                = @($recipient.EmailAddresses)
                Guid                          = $recipient.Guid
            }
        }
        $others += [ordered]@{ Name = $recipient.Name; RecipientTypeDetails = $recipient.RecipientTypeDetails; EmailAddresses = @($recipient.EmailAddresses); Guid = $recipient.Guid }
    }
    $state['mail_contacts'] = $contacts
    $state['recipients'] = $others
    if ($state.Contains('recipient_lookups')) { $state.Remove('recipient_lookups') }
    Write-SimFile -Path $tenant.Path -Text ((ConvertTo-Json -InputObject $state -Depth 10) + "`n")
}

function Copy-SimObject {
    param([System.Collections.IDictionary] $Object)
    $copy = [ordered]@{}
    foreach ($key in $Object.Keys) {
        if ($key -eq 'Lag') { continue }
        $value = $Object[$key]
        if ($value -is [System.Collections.IList]) { $copy[$key] = @($value) } else { $copy[$key] = $value }
    }
    return $copy
}

# --- Output objects: a JSON round trip, as the REST module builds them -------------------------

function ConvertTo-SimOutput {
    param([System.Collections.IDictionary] $Shape)
    return (ConvertTo-Json -InputObject $Shape -Depth 6 -Compress | ConvertFrom-Json)
}

function Get-SimIdentityText {
    param([System.Collections.IDictionary] $Object, [string] $Type)
    switch ($Type) {
        'Recipient' { return "$($script:Tenant.Organization.Split('.')[0]).prod.outlook.com/Microsoft Exchange Hosted Organizations/$($script:Tenant.Organization)/$($Object.Name)" }
        default { return $Object.Name }
    }
}

function Get-SimDn {
    param([System.Collections.IDictionary] $Object)
    return "CN=$($Object.Name),OU=$($script:Tenant.Organization),OU=Microsoft Exchange Hosted Organizations,DC=NAMPR01A001,DC=PROD,DC=OUTLOOK,DC=COM"
}

function Format-SimRecipient {
    param([System.Collections.IDictionary] $Object)
    return [ordered]@{
        Name                          = $Object.Name
        Identity                      = $Object.Name
        Alias                         = $Object.Alias
        DisplayName                   = $Object.DisplayName
        PrimarySmtpAddress            = $Object.PrimarySmtpAddress
        EmailAddresses                = @($Object.EmailAddresses)
        ExternalEmailAddress          = $Object.ExternalEmailAddress
        RecipientType                 = Get-SimRecipientType -Details $Object.RecipientTypeDetails
        RecipientTypeDetails          = $Object.RecipientTypeDetails
        HiddenFromAddressListsEnabled = $Object.HiddenFromAddressListsEnabled
        ExternalDirectoryObjectId     = $Object.Guid
        ExchangeObjectId              = $Object.Guid
        Guid                          = $Object.Guid
        DistinguishedName             = Get-SimDn -Object $Object
    }
}

function Format-SimMailContact {
    # A MailContact has no FirstName, Initials or LastName: those are the Contact's.
    param([System.Collections.IDictionary] $Object)
    return [ordered]@{
        Name                          = $Object.Name
        Identity                      = $Object.Name
        Alias                         = $Object.Alias
        DisplayName                   = $Object.DisplayName
        ExternalEmailAddress          = $Object.ExternalEmailAddress
        PrimarySmtpAddress            = $Object.PrimarySmtpAddress
        EmailAddresses                = @($Object.EmailAddresses)
        WindowsEmailAddress           = $Object.PrimarySmtpAddress
        HiddenFromAddressListsEnabled = $Object.HiddenFromAddressListsEnabled
        RecipientType                 = 'MailContact'
        RecipientTypeDetails          = 'MailContact'
        ModerationEnabled             = $false
        MessageFormat                 = 'Mime'
        MessageBodyFormat             = 'TextAndHtml'
        MacAttachmentFormat           = 'BinHex'
        UsePreferMessageFormat        = $false
        UseMapiRichTextFormat         = 'UseDefaultSettings'
        CustomAttribute1              = ''
        Guid                          = $Object.Guid
        ExchangeObjectId              = $Object.Guid
        DistinguishedName             = Get-SimDn -Object $Object
    }
}

function Format-SimContact {
    param([System.Collections.IDictionary] $Object)
    return [ordered]@{
        Name                 = $Object.Name
        Identity             = $Object.Name
        DisplayName          = $Object.DisplayName
        FirstName            = $Object.FirstName
        Initials             = $Object.Initials
        LastName             = $Object.LastName
        WindowsEmailAddress  = $Object.PrimarySmtpAddress
        RecipientType        = 'MailContact'
        RecipientTypeDetails = 'MailContact'
        Company              = ''
        Title                = ''
        Phone                = ''
        Guid                 = $Object.Guid
        DistinguishedName    = Get-SimDn -Object $Object
    }
}

function Format-SimConnector {
    param([System.Collections.IDictionary] $Object)
    $shape = [ordered]@{ Identity = $Object.Name }
    foreach ($key in $Object.Keys) {
        if ($key -eq 'Lag') { continue }
        $shape[$key] = $Object[$key]
    }
    $shape['IsValid'] = $true
    $shape['AdminDisplayName'] = ''
    return $shape
}

function Format-SimRule {
    param([System.Collections.IDictionary] $Object)
    $address = $Object.JournalEmailAddress
    if ($script:Options.journal_address_form -eq 'name' -and $null -ne $address) {
        $holder = @(Find-SimByAddress -Address $address)
        if ($holder.Count -eq 1) { $address = $holder[0].Name }
    }
    return [ordered]@{
        Name                = $Object.Name
        Identity            = $Object.Name
        Guid                = $Object.Guid
        JournalEmailAddress = $address
        Recipient           = $Object.Recipient
        Scope               = $Object.Scope
        Enabled             = $Object.Enabled
        ExpiryDate          = $null
        RuleType            = 'Journaling'
        IsValid             = $true
    }
}

function Format-SimDomain {
    param([System.Collections.IDictionary] $Object)
    return [ordered]@{
        Name               = $Object.DomainName
        Identity           = $Object.DomainName
        DomainName         = $Object.DomainName
        DomainType         = $Object.DomainType
        Default            = $Object.Default
        InitialDomain      = $Object.InitialDomain
        MatchSubDomains    = $Object.MatchSubDomains
        AddressBookEnabled = ($Object.DomainType -eq 'Authoritative')
        OutboundOnly       = $false
        AuthenticationType = 'Managed'
        Guid               = $Object.Guid
    }
}

function Format-SimTransportConfig {
    $shape = [ordered]@{ Identity = 'Transport Settings' }
    foreach ($key in $script:Tenant.Transport.Keys) { $shape[$key] = $script:Tenant.Transport[$key] }
    if (-not $shape.Contains('ExternalPostmasterAddress')) { $shape['ExternalPostmasterAddress'] = $null }
    if (-not $shape.Contains('SmtpClientAuthenticationDisabled')) { $shape['SmtpClientAuthenticationDisabled'] = $true }
    return $shape
}

# --- Identity resolution ---------------------------------------------------------------------

function Test-SimAddressSyntax {
    param([string] $Text)
    return ($Text -match '^[^@\s<>()\[\],;:"]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')
}

function Get-SimKeys {
    # Every value an object can be named by, lower case.
    param([System.Collections.IDictionary] $Object, [string] $Type)
    $keys = @(([string] $Object.Name).ToLowerInvariant(), ([string] $Object.Guid).ToLowerInvariant())
    if ($Type -in @('Recipient', 'MailContact', 'Contact')) {
        $keys += ([string] $Object.Alias).ToLowerInvariant()
        $keys += (Get-SimDn -Object $Object).ToLowerInvariant()
        foreach ($address in $Object.EmailAddresses) { $keys += ([string] (Get-SimBareAddress -Value $address)).ToLowerInvariant() }
    }
    if ($Type -eq 'AcceptedDomain') { $keys += ([string] $Object.DomainName).ToLowerInvariant() }
    return ,$keys
}

function Get-SimCollection {
    param([string] $Type)
    switch ($Type) {
        'Recipient' { return ,@($script:Tenant.Recipients) }
        'MailContact' { return ,@($script:Tenant.Recipients | Where-Object { $_.RecipientTypeDetails -eq 'MailContact' }) }
        'Contact' { return ,@($script:Tenant.Recipients | Where-Object { $_.RecipientTypeDetails -eq 'MailContact' }) }
        'OutboundConnector' { return ,@($script:Tenant.Connectors) }
        'JournalRule' { return ,@($script:Tenant.Rules) }
        'AcceptedDomain' { return ,@($script:Tenant.Domains) }
    }
    throw "journalgen simulator: no collection '$Type'"
}

function Find-SimByAddress {
    param([string] $Address)
    $want = ([string] (Get-SimBareAddress -Value $Address)).ToLowerInvariant()
    foreach ($recipient in $script:Tenant.Recipients) {
        foreach ($address in $recipient.EmailAddresses) {
            if (([string] (Get-SimBareAddress -Value $address)).ToLowerInvariant() -eq $want) { $recipient; break }
        }
    }
}

function Resolve-SimObject {
    # The one object an -Identity names, as Exchange resolves it: not found and ambiguous are errors.
    param([string] $Type, $Identity, [switch] $Lookup)
    $want = ([string] $Identity).ToLowerInvariant()
    if ($want -like 'smtp:*') { $want = $want.Substring(5) }
    $found = @(foreach ($object in (Get-SimCollection -Type $Type)) { if ((Get-SimKeys -Object $object -Type $Type) -contains $want) { $object } })
    if ($found.Count -gt 1) {
        Stop-Sim -Reason 'ManagementObjectAmbiguousException' -Code 'Ex0C5B3E' -Text (Get-SimText -Key 'Ambiguous' -Value ([string] $Identity))
    }
    if ($found.Count -eq 0) { Stop-SimNotFound -Identity ([string] $Identity) }
    $object = $found[0]
    if ($object.Contains('Lag') -and $object.Lag -gt 0) {
        # A new object is not yet visible to every server (replication; fault plan).
        $object.Lag--
        Stop-SimNotFound -Identity ([string] $Identity) -Key 'Replication'
    }
    return $object
}

function Select-SimResults {
    # -ResultSize: 1000 unless told otherwise, with the warning Exchange gives.
    param([object[]] $Items, [System.Collections.IDictionary] $Bound, [System.Collections.ArrayList] $Warnings)
    $size = 1000
    if ($Bound.ContainsKey('ResultSize')) {
        $given = [string] $Bound['ResultSize']
        if ($given -eq 'Unlimited') { return ,$Items }
        $size = [int] $given
    }
    if ($Items.Count -gt $size) {
        [void] $Warnings.Add('There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.')
        return ,@($Items[0..($size - 1)])
    }
    return ,$Items
}

function Get-SimRead {
    # A Get-* call: with -Identity, the object it names (or, in 'all' mode, every object when it
    # names none); without, every object.
    param([string] $Type, [System.Collections.IDictionary] $Bound, [System.Collections.ArrayList] $Warnings)
    if ($Bound.ContainsKey('Identity') -and $null -ne $Bound['Identity']) {
        try {
            return ,@(Resolve-SimObject -Type $Type -Identity $Bound['Identity'])
        }
        catch {
            $info = $_.Exception.Data['JournalgenSimError']
            if ($null -ne $info -and $info.Reason -eq 'ManagementObjectNotFoundException' -and $script:Options.missing_identity -eq 'all' -and $info.Text -notlike '*replication*') {
                return (Select-SimResults -Items (Get-SimCollection -Type $Type) -Bound $Bound -Warnings $Warnings)
            }
            throw
        }
    }
    # Replication lag (fault plan) hides a new object from lookups by identity only: a listing
    # shows it, as docs/simulator.md says.
    return (Select-SimResults -Items (Get-SimCollection -Type $Type) -Bound $Bound -Warnings $Warnings)
}

# --- Server-side checks ------------------------------------------------------------------------

$script:Enums = @{
    ConnectorType = @('Partner', 'OnPremises')
    TlsSettings   = @('EncryptionOnly', 'CertificateValidation', 'DomainValidation')
    Scope         = @('Global', 'Internal', 'External')
    SmtpDaneMode  = @('Opportunistic', 'Mandatory', 'None')
    MtaStsMode    = @('Opportunistic', 'None')
}

function Assert-SimEnum {
    param([string] $Name, $Value)
    if ($null -eq $Value) { return $null }
    foreach ($allowed in $script:Enums[$Name]) { if ($allowed -eq [string] $Value) { return $allowed } }
    Stop-Sim -Reason 'ParameterBindingException' -Code '' -Category 'InvalidArgument' -Text "Cannot process argument transformation on parameter '$Name'. Cannot convert value ""$Value"" to type ""Microsoft.Exchange.Data.$Name"". Error: ""Unable to match the identifier name $Value to a valid enumerator name. Specify one of the following enumerator names and try again: $($script:Enums[$Name] -join ', ')"""
}

function Assert-SimAddress {
    param([string] $Name, $Value)
    $bare = Get-SimBareAddress -Value $Value
    if (-not (Test-SimAddressSyntax -Text $bare)) {
        Stop-Sim -Reason 'ParameterBindingException' -Category 'InvalidArgument' -Text "Cannot process argument transformation on parameter '$Name'. Cannot convert value ""$Value"" to type ""Microsoft.Exchange.Data.SmtpAddress"". Error: ""The email address ""$Value"" isn't correct."""
    }
    return $bare
}

function Assert-SimName {
    param([string] $Name)
    if ($Name.Length -gt 64 -or $Name.Trim() -eq '') {
        Stop-Sim -Reason 'DataValidationException' -Category 'InvalidData' -Text "The length of the property is too long. The maximum length is 64 and the length of the value provided is $($Name.Length)."
    }
}

function Test-SimReservedHost {
    param([string] $HostName)
    $ip = $HostName.Split('/')[0]
    if ($ip -notmatch '^\d{1,3}(\.\d{1,3}){3}$') { return $false }
    $octets = @($ip.Split('.') | ForEach-Object { [int] $_ })
    return ($octets[0] -eq 10 -or $octets[0] -eq 127 -or ($octets[0] -eq 172 -and $octets[1] -ge 16 -and $octets[1] -le 31) -or ($octets[0] -eq 192 -and $octets[1] -eq 168))
}

function Assert-SimConnector {
    # What Exchange refuses in an outbound connector, after the change is applied to a copy.
    param([System.Collections.IDictionary] $Connector)
    if ($Connector.ConnectorType -eq 'OnPremises' -and $Connector.UseMXRecord) {
        Stop-SimInvalid -Reason 'OnPremisesConnectorHasRouteUsingMXException' -Text 'An on-premises connector must route mail through smart hosts; UseMXRecord can''t be $true.'
    }
    if (-not $Connector.UseMXRecord -and @($Connector.SmartHosts).Count -eq 0) {
        Stop-SimInvalid -Reason 'SmartHostsIsEmptyException' -Text 'The SmartHosts parameter must be specified when UseMXRecord is $false.'
    }
    foreach ($smartHost in $Connector.SmartHosts) {
        if (Test-SimReservedHost -HostName $smartHost) {
            Stop-SimInvalid -Reason 'IPRangeInConnectorContainsReservedIPAddressesException' -Text "The smart host $smartHost is in a reserved IP address range."
        }
    }
    foreach ($domain in $Connector.RecipientDomains) {
        if ($domain -ne '*' -and ($domain.Substring(1) -match '\*')) {
            Stop-SimInvalid -Reason 'DataValidationException' -Text "The recipient domain $domain is not valid: a wildcard may only stand at its start."
        }
        if ($domain -eq '*' -and $Connector.ConnectorType -eq 'OnPremises' -and -not $Connector.RouteAllMessagesViaOnPremises) {
            Stop-SimInvalid -Text 'An on-premises connector can route all domains (*) only with RouteAllMessagesViaOnPremises.'
        }
    }
    if ($Connector.TlsSettings -eq 'DomainValidation' -and -not $Connector.TlsDomain) {
        Stop-SimInvalid -Text 'TlsDomain must be specified when TlsSettings is DomainValidation.'
    }
}

function Test-SimNull {
    # Whether a bound value clears the setting, or (option explicit_null 'ignored') is dropped.
    param($Value)
    return ($null -eq $Value)
}

function Set-SimFromBound {
    # Copies bound parameters onto an object; an explicit $null clears unless the REST layer drops it.
    param([System.Collections.IDictionary] $Target, [System.Collections.IDictionary] $Bound, [string[]] $Names, [string[]] $Lists = @())
    foreach ($name in $Names) {
        if (-not $Bound.ContainsKey($name)) { continue }
        $value = $Bound[$name]
        if ((Test-SimNull -Value $value) -and $script:Options.explicit_null -eq 'ignored') { continue }
        if ($Lists -contains $name) { $Target[$name] = ConvertTo-SimList -Value $value }
        elseif ($value -is [System.Management.Automation.SwitchParameter]) { $Target[$name] = $value.IsPresent }
        else { $Target[$name] = $value }
    }
}

function Test-SimChanged {
    param([System.Collections.IDictionary] $Before, [System.Collections.IDictionary] $After)
    return ((ConvertTo-Json -InputObject (Copy-SimObject -Object $Before) -Depth 5 -Compress) -cne (ConvertTo-Json -InputObject (Copy-SimObject -Object $After) -Depth 5 -Compress))
}

function Assert-SimAddressFree {
    # Exchange gives an address to one recipient only.
    param([string] $Address, [System.Collections.IDictionary] $Except = $null)
    $bare = ([string] (Get-SimBareAddress -Value $Address)).ToLowerInvariant()
    $holders = @(Find-SimByAddress -Address $bare | Where-Object { $null -eq $Except -or $_.Guid -ne $Except.Guid })
    $released = @($script:Tenant.Released | Where-Object { $_.Address -eq $bare -and $_.Calls -gt 0 })
    if ($holders.Count -gt 0 -or $released.Count -gt 0) {
        foreach ($entry in $released) { $entry.Calls-- }
        Stop-Sim -Reason 'ProxyAddressExistsException' -Code 'ExA2D1E8' -Category 'InvalidOperation' -Text "The proxy address ""SMTP:$bare"" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address."
    }
}

function Assert-SimJournalTarget {
    # JournalEmailAddress: an SMTP address is kept as is; a name is resolved to its address; a
    # mailbox is refused.
    param($Value)
    $text = [string] $Value
    if (Test-SimAddressSyntax -Text (Get-SimBareAddress -Value $text)) {
        $holders = @(Find-SimByAddress -Address $text)
        if ($holders.Count -gt 0 -and $holders[0].RecipientTypeDetails -notin @('MailContact', 'MailUser', 'GuestMailUser')) {
            Stop-SimInvalid -Reason 'InvalidOperationException' -Text 'The JournalEmailAddress can only be a mail user, a mail contact or an external address.'
        }
        return (Get-SimBareAddress -Value $text)
    }
    $found = @(foreach ($recipient in $script:Tenant.Recipients) { if ((Get-SimKeys -Object $recipient -Type 'Recipient') -contains $text.ToLowerInvariant()) { $recipient } })
    if ($found.Count -eq 0) { Stop-Sim -Reason 'RecipientInvalidException' -Category 'NotSpecified' -Text (Get-SimText -Key 'NotFoundRef' -Value $text) }
    if ($found.Count -gt 1) { Stop-Sim -Reason 'RecipientInvalidException' -Text "The recipient $text matches more than one recipient." }
    if ($found[0].RecipientTypeDetails -notin @('MailContact', 'MailUser', 'GuestMailUser')) {
        Stop-SimInvalid -Text 'The JournalEmailAddress can only be a mail user, a mail contact or an external address.'
    }
    return $found[0].PrimarySmtpAddress
}

function Assert-SimRuleRecipient {
    param($Recipient, [System.Collections.ArrayList] $Warnings)
    if ($null -eq $Recipient) { return $null }
    $bare = Assert-SimAddress -Name 'Recipient' -Value $Recipient
    $ndr = [string] $script:Tenant.Transport.JournalingReportNdrTo
    if ($ndr -ne '<>' -and $bare.ToLowerInvariant() -eq $ndr.ToLowerInvariant()) {
        Stop-SimInvalid -Reason 'InvalidOperationException' -Text 'The journal rule recipient can''t be the address for undeliverable journal reports (JournalingReportNdrToSameAsRecipient).'
    }
    return $bare
}

function Test-SimNdrSet {
    $ndr = [string] $script:Tenant.Transport.JournalingReportNdrTo
    return ($ndr -ne '' -and $ndr -ne '<>')
}

# --- The admin cmdlets -------------------------------------------------------------------------

function Invoke-SimAdmin {
    # One admin cmdlet call against the tenant. Returns @{ Output; Changed }.
    param([string] $Name, [System.Collections.IDictionary] $Bound, [System.Collections.ArrayList] $Warnings)
    $tenant = $script:Tenant
    $out = New-Object -TypeName System.Collections.ArrayList
    $changed = $false
    switch ($Name) {
        'Get-AcceptedDomain' {
            foreach ($domain in (Get-SimRead -Type 'AcceptedDomain' -Bound $Bound -Warnings $Warnings)) { [void] $out.Add((Format-SimDomain -Object $domain)) }
        }
        'Get-Recipient' {
            $items = Get-SimRead -Type 'Recipient' -Bound $Bound -Warnings $Warnings
            if ($Bound.ContainsKey('Filter')) { $items = @(Select-SimFilter -Items $items -Filter ([string] $Bound['Filter'])) }
            foreach ($recipient in $items) { [void] $out.Add((Format-SimRecipient -Object $recipient)) }
        }
        'Get-MailContact' {
            $items = Get-SimRead -Type 'MailContact' -Bound $Bound -Warnings $Warnings
            # The same -Filter forms as Get-Recipient.
            if ($Bound.ContainsKey('Filter')) { $items = @(Select-SimFilter -Items $items -Filter ([string] $Bound['Filter'])) }
            foreach ($contact in $items) { [void] $out.Add((Format-SimMailContact -Object $contact)) }
        }
        'Get-Contact' {
            $items = Get-SimRead -Type 'Contact' -Bound $Bound -Warnings $Warnings
            if ($Bound.ContainsKey('Filter')) { $items = @(Select-SimFilter -Items $items -Filter ([string] $Bound['Filter'])) }
            foreach ($contact in $items) { [void] $out.Add((Format-SimContact -Object $contact)) }
        }
        'Get-OutboundConnector' {
            $byIdentity = $Bound.ContainsKey('Identity') -and $null -ne $Bound['Identity']
            $items = Get-SimRead -Type 'OutboundConnector' -Bound $Bound -Warnings $Warnings
            if (-not $byIdentity -or $script:Options.identity_filtered) {
                $items = @(Select-SimConnectors -Items $items -Bound $Bound)
            }
            foreach ($connector in $items) { [void] $out.Add((Format-SimConnector -Object $connector)) }
        }
        'Get-JournalRule' {
            foreach ($rule in (Get-SimRead -Type 'JournalRule' -Bound $Bound -Warnings $Warnings)) { [void] $out.Add((Format-SimRule -Object $rule)) }
        }
        'Get-TransportConfig' { [void] $out.Add((Format-SimTransportConfig)) }
        'Get-TransportRule' {
            foreach ($rule in @($tenant.TransportRules)) { if ($null -ne $rule) { [void] $out.Add($rule) } }
        }
        'New-MailContact' {
            $name = [string] $Bound['Name']
            Assert-SimName -Name $name
            if (@(Get-SimCollection -Type 'Recipient' | Where-Object { $_.Name -eq $name }).Count -gt 0) {
                Stop-SimInvalid -Reason 'ADObjectAlreadyExistsException' -Text "The object '$name' already exists."
            }
            $address = Assert-SimAddress -Name 'ExternalEmailAddress' -Value $Bound['ExternalEmailAddress']
            Assert-SimAddressFree -Address $address
            $entry = [ordered]@{ Name = $name; ExternalEmailAddress = $address }
            foreach ($key in @('DisplayName', 'Alias', 'FirstName', 'Initials', 'LastName')) { if ($Bound.ContainsKey($key)) { $entry[$key] = $Bound[$key] } }
            if ($Bound.ContainsKey('Alias') -and @(Get-SimCollection -Type 'Recipient' | Where-Object { $_.Alias -eq [string] $Bound['Alias'] }).Count -gt 0) {
                Stop-SimInvalid -Reason 'ProxyAddressExistsException' -Text "The alias '$($Bound['Alias'])' is already used by another recipient."
            }
            $contact = New-SimRecipient -Entry $entry -Details 'MailContact'
            $contact.Lag = Get-SimLag
            [void] $tenant.Recipients.Add($contact)
            $changed = $true
            $view = Format-SimMailContact -Object $contact
            [void] $out.Add($view)
        }
        'Set-MailContact' {
            $contact = Resolve-SimObject -Type 'MailContact' -Identity $Bound['Identity']
            $before = Copy-SimObject -Object $contact
            if ($Bound.ContainsKey('ExternalEmailAddress')) {
                $address = Assert-SimAddress -Name 'ExternalEmailAddress' -Value $Bound['ExternalEmailAddress']
                Assert-SimAddressFree -Address $address -Except $contact
                # The old external address isn't kept as a proxy address.
                $old = Get-SimBareAddress -Value $contact.ExternalEmailAddress
                $contact.EmailAddresses = @(@("SMTP:$address") + @($contact.EmailAddresses | Where-Object { (Get-SimBareAddress -Value $_) -ne $old -and (Get-SimBareAddress -Value $_) -ne $address }))
                $contact.ExternalEmailAddress = "SMTP:$address"
                $contact.PrimarySmtpAddress = $address
            }
            if ($Bound.ContainsKey('Name')) {
                Assert-SimName -Name ([string] $Bound['Name'])
                $contact.Name = [string] $Bound['Name']
            }
            foreach ($key in @('DisplayName', 'Alias')) { if ($Bound.ContainsKey($key)) { $contact[$key] = [string] $Bound[$key] } }
            if ($Bound.ContainsKey('HiddenFromAddressListsEnabled')) { $contact.HiddenFromAddressListsEnabled = [bool] $Bound['HiddenFromAddressListsEnabled'] }
            $changed = Test-SimChanged -Before $before -After $contact
        }
        'Set-Contact' {
            $contact = Resolve-SimObject -Type 'Contact' -Identity $Bound['Identity']
            $before = Copy-SimObject -Object $contact
            Set-SimFromBound -Target $contact -Bound $Bound -Names @('FirstName', 'Initials', 'LastName', 'DisplayName')
            $changed = Test-SimChanged -Before $before -After $contact
        }
        'Remove-MailContact' {
            $contact = Resolve-SimObject -Type 'MailContact' -Identity $Bound['Identity']
            if ($script:Options.remove_contact_in_use -eq 'refused') {
                $addresses = @($contact.EmailAddresses | ForEach-Object { ([string] (Get-SimBareAddress -Value $_)).ToLowerInvariant() })
                $using = @($tenant.Rules | Where-Object { $addresses -contains ([string] $_.JournalEmailAddress).ToLowerInvariant() })
                if ($using.Count -gt 0) { Stop-SimInvalid -Text "The mail contact '$($contact.Name)' is used by journal rule '$($using[0].Name)'." }
            }
            $tenant.Recipients.Remove($contact)
            $delay = Get-SimFault -Name 'address_release_delay'
            if ($delay) {
                foreach ($address in $contact.EmailAddresses) {
                    [void] $tenant.Released.Add(@{ Address = ([string] (Get-SimBareAddress -Value $address)).ToLowerInvariant(); Calls = [int] $delay })
                }
            }
            $changed = $true
        }
        'New-OutboundConnector' {
            $name = [string] $Bound['Name']
            Assert-SimName -Name $name
            if (@($tenant.Connectors | Where-Object { $_.Name -eq $name }).Count -gt 0) {
                Stop-SimInvalid -Reason 'ErrorOutboundConnectorAlreadyExistsException' -Text "An outbound connector with the name '$name' already exists."
            }
            $connector = New-SimConnector -Entry ([ordered]@{ Name = $name })
            Set-SimConnectorFromBound -Connector $connector -Bound $Bound
            Assert-SimConnector -Connector $connector
            $connector.Lag = Get-SimLag
            [void] $tenant.Connectors.Add($connector)
            $changed = $true
            [void] $out.Add((Format-SimConnector -Object $connector))
        }
        'Set-OutboundConnector' {
            $connector = Resolve-SimObject -Type 'OutboundConnector' -Identity $Bound['Identity']
            $before = Copy-SimObject -Object $connector
            $draft = [ordered]@{}
            foreach ($key in $connector.Keys) { $draft[$key] = $connector[$key] }
            Set-SimConnectorFromBound -Connector $draft -Bound $Bound
            if ($Bound.ContainsKey('Name')) {
                Assert-SimName -Name ([string] $Bound['Name'])
                $draft.Name = [string] $Bound['Name']
            }
            Assert-SimConnector -Connector $draft
            foreach ($key in $draft.Keys) { $connector[$key] = $draft[$key] }
            $changed = Test-SimChanged -Before $before -After $connector
        }
        'Remove-OutboundConnector' {
            $connector = Resolve-SimObject -Type 'OutboundConnector' -Identity $Bound['Identity']
            $tenant.Connectors.Remove($connector)
            $changed = $true
        }
        'New-JournalRule' {
            $name = [string] $Bound['Name']
            Assert-SimName -Name $name
            if (-not (Test-SimNdrSet)) {
                Stop-SimInvalid -Text 'Before you create a journal rule, you must specify an alternate journaling mailbox to receive undeliverable journal reports (JournalNdrMailboxCannotBeNull).'
            }
            if (@($tenant.Rules | Where-Object { $_.Name -eq $name }).Count -gt 0) {
                Stop-Sim -Reason 'ArgumentException' -Category 'InvalidArgument' -Text "A rule with the name '$name' already exists (RuleNameAlreadyExists)."
            }
            if ($tenant.Rules.Count -ge [int] $script:Options.max_journal_rules) {
                Stop-SimInvalid -Reason 'InvalidOperationException' -Text "The number of journal rules has reached the limit of $($script:Options.max_journal_rules)."
            }
            $target = Assert-SimJournalTarget -Value $Bound['JournalEmailAddress']
            $recipient = $null
            if ($Bound.ContainsKey('Recipient')) { $recipient = Assert-SimRuleRecipient -Recipient $Bound['Recipient'] -Warnings $Warnings }
            $scope = 'Global'
            if ($Bound.ContainsKey('Scope')) { $scope = Assert-SimEnum -Name 'Scope' -Value $Bound['Scope'] }
            if ($target.ToLowerInvariant() -eq ([string] $tenant.Transport.JournalingReportNdrTo).ToLowerInvariant()) {
                [void] $Warnings.Add('The journal email address is the address for undeliverable journal reports.')
            }
            $rule = New-SimRule -Entry ([ordered]@{ Name = $name; JournalEmailAddress = $target; Recipient = $recipient; Scope = $scope; Enabled = ($Bound.ContainsKey('Enabled') -and [bool] $Bound['Enabled']) })
            $rule.Lag = Get-SimLag
            [void] $tenant.Rules.Add($rule)
            $changed = $true
            [void] $out.Add((Format-SimRule -Object $rule))
        }
        'Set-JournalRule' {
            $rule = Resolve-SimObject -Type 'JournalRule' -Identity $Bound['Identity']
            $before = Copy-SimObject -Object $rule
            if ($Bound.ContainsKey('JournalEmailAddress')) { $rule.JournalEmailAddress = Assert-SimJournalTarget -Value $Bound['JournalEmailAddress'] }
            if ($Bound.ContainsKey('Recipient')) {
                if ($null -eq $Bound['Recipient']) {
                    if ($script:Options.explicit_null -ne 'ignored') { $rule.Recipient = $null }
                }
                else { $rule.Recipient = Assert-SimRuleRecipient -Recipient $Bound['Recipient'] -Warnings $Warnings }
            }
            if ($Bound.ContainsKey('Scope')) { $rule.Scope = Assert-SimEnum -Name 'Scope' -Value $Bound['Scope'] }
            if ($Bound.ContainsKey('Name')) {
                $newName = [string] $Bound['Name']
                if (@($tenant.Rules | Where-Object { $_.Name -eq $newName -and $_.Guid -ne $rule.Guid }).Count -gt 0) {
                    Stop-Sim -Reason 'ArgumentException' -Category 'InvalidArgument' -Text "A rule with the name '$newName' already exists (RuleNameAlreadyExist)."
                }
                $rule.Name = $newName
            }
            $changed = Test-SimChanged -Before $before -After $rule
        }
        'Remove-JournalRule' {
            $rule = Resolve-SimObject -Type 'JournalRule' -Identity $Bound['Identity']
            $tenant.Rules.Remove($rule)
            $changed = $true
        }
        'Enable-JournalRule' {
            $rule = Resolve-SimObject -Type 'JournalRule' -Identity $Bound['Identity']
            $changed = -not $rule.Enabled
            $rule.Enabled = $true
        }
        'Disable-JournalRule' {
            $rule = Resolve-SimObject -Type 'JournalRule' -Identity $Bound['Identity']
            $changed = [bool] $rule.Enabled
            $rule.Enabled = $false
        }
        'Set-TransportConfig' {
            $before = Copy-SimObject -Object $tenant.Transport
            if ($Bound.ContainsKey('JournalingReportNdrTo')) {
                $value = $Bound['JournalingReportNdrTo']
                if ($null -eq $value -or [string] $value -eq '' -or [string] $value -eq '<>') {
                    if ($tenant.Rules.Count -gt 0 -or $script:Options.ndr_clear_without_rules -eq 'refused') {
                        Stop-SimInvalid -Text 'The address for undeliverable journal reports can''t be cleared while journal rules exist (JournalNdrCannotBeNullReversePath).'
                    }
                    $tenant.Transport.JournalingReportNdrTo = '<>'
                }
                else {
                    $bare = Assert-SimAddress -Name 'JournalingReportNdrTo' -Value $value
                    if (@($tenant.Rules | Where-Object { $null -ne $_.Recipient -and ([string] $_.Recipient).ToLowerInvariant() -eq $bare.ToLowerInvariant() }).Count -gt 0) {
                        Stop-SimInvalid -Text 'The address for undeliverable journal reports can''t be a journal rule''s recipient (JournalNdrMailboxInJournalRuleRecipient).'
                    }
                    $holder = @(Find-SimByAddress -Address $bare)
                    if ($holder.Count -eq 0 -or $holder[0].RecipientTypeDetails -like '*Mailbox') {
                        [void] $Warnings.Add("The address $bare for undeliverable journal reports doesn't belong to a mail user or mail contact (JournalNdrMailboxWarning).")
                    }
                    if (@($tenant.Rules | Where-Object { ([string] $_.JournalEmailAddress).ToLowerInvariant() -eq $bare.ToLowerInvariant() }).Count -gt 0) {
                        [void] $Warnings.Add('The address for undeliverable journal reports is a journal rule''s journal email address.')
                    }
                    $tenant.Transport.JournalingReportNdrTo = $bare
                }
            }
            if ($Bound.ContainsKey('JournalMessageExpirationDays')) {
                $days = [int] $Bound['JournalMessageExpirationDays']
                if ($days -lt 0 -or $days -gt 7) {
                    Stop-Sim -Reason 'ParameterBindingValidationException' -Category 'InvalidData' -Text "Cannot validate argument on parameter 'JournalMessageExpirationDays'. The $days argument is greater than the maximum allowed range of 7."
                }
                $tenant.Transport.JournalMessageExpirationDays = $days
            }
            if ($Bound.ContainsKey('PreventDuplicateJournalingEnabled')) { $tenant.Transport.PreventDuplicateJournalingEnabled = [bool] $Bound['PreventDuplicateJournalingEnabled'] }
            $changed = Test-SimChanged -Before $before -After $tenant.Transport
        }
        default { throw "journalgen simulator: $Name is in the signature table but the tenant does not implement it." }
    }
    return @{ Output = $out; Changed = $changed }
}

function Select-SimFilter {
    # The two -Filter forms an engine may use: "EmailAddresses -eq 'smtp:x'" and "Name -eq 'x'".
    param([object[]] $Items, [string] $Filter)
    if ($Filter -match "^\s*(EmailAddresses|Name|PrimarySmtpAddress|Alias)\s+-eq\s+'((?:[^']|'')*)'\s*$") {
        $property = $Matches[1]
        $want = $Matches[2].Replace("''", "'").ToLowerInvariant()
        if ($want -like 'smtp:*') { $want = $want.Substring(5) }
        foreach ($item in $Items) {
            $values = @($item[$property])
            foreach ($value in $values) {
                if (([string] (Get-SimBareAddress -Value $value)).ToLowerInvariant() -eq $want) { $item; break }
            }
        }
        return
    }
    Stop-Sim -Reason 'InvalidFilterException' -Category 'InvalidArgument' -Text "The journalgen simulator does not understand the filter '$Filter'."
}

function Select-SimConnectors {
    param([object[]] $Items, [System.Collections.IDictionary] $Bound)
    $testMode = $Bound.ContainsKey('IncludeTestModeConnectors') -and [bool] $Bound['IncludeTestModeConnectors']
    $ruleScoped = $Bound.ContainsKey('IsTransportRuleScoped') -and [bool] $Bound['IsTransportRuleScoped']
    foreach ($connector in $Items) {
        if ($script:Options.connector_listing -eq 'true_returns_all') {
            if (-not $testMode -and $connector.TestMode) { continue }
            if (-not $ruleScoped -and $connector.IsTransportRuleScoped) { continue }
        }
        else {
            if ([bool] $connector.TestMode -ne $testMode) { continue }
            if ([bool] $connector.IsTransportRuleScoped -ne $ruleScoped) { continue }
        }
        $connector
    }
}

function Set-SimConnectorFromBound {
    param([System.Collections.IDictionary] $Connector, [System.Collections.IDictionary] $Bound)
    foreach ($enum in @('ConnectorType', 'TlsSettings', 'SmtpDaneMode', 'MtaStsMode')) {
        if ($Bound.ContainsKey($enum) -and $null -ne $Bound[$enum]) { [void] (Assert-SimEnum -Name $enum -Value $Bound[$enum]) }
    }
    Set-SimFromBound -Target $Connector -Bound $Bound -Names @('ConnectorType', 'Comment', 'Enabled', 'UseMXRecord', 'SmartHosts', 'RecipientDomains', 'TlsSettings', 'TlsDomain', 'IsTransportRuleScoped', 'RouteAllMessagesViaOnPremises', 'CloudServicesMailEnabled', 'AllAcceptedDomains', 'SenderRewritingEnabled', 'TestMode', 'MtaStsMode', 'SmtpDaneMode', 'ConnectorSource', 'ValidationRecipients', 'IsValidated', 'LastValidationTimestamp') -Lists @('SmartHosts', 'RecipientDomains', 'ValidationRecipients')
    foreach ($enum in @('ConnectorType', 'TlsSettings', 'SmtpDaneMode', 'MtaStsMode')) {
        if ($null -ne $Connector[$enum]) { $Connector[$enum] = Assert-SimEnum -Name $enum -Value $Connector[$enum] }
    }
    # Exchange clears the smart hosts of a connector that routes by MX, without a word.
    if ($Connector.UseMXRecord) { $Connector.SmartHosts = @() }
}

function Get-SimLag {
    $lag = Get-SimFault -Name 'replication'
    if ($lag) { return [int] $lag }
    return 0
}

# --- Fault read_lag: a new object that writes see at once and reads do not ----------------------

$script:ReadLagTypes = @{
    'New-MailContact' = 'Recipient'; 'New-OutboundConnector' = 'OutboundConnector'; 'New-JournalRule' = 'JournalRule'
    'Get-Recipient' = 'Recipient'; 'Get-MailContact' = 'MailContact'; 'Get-Contact' = 'Contact'
    'Get-OutboundConnector' = 'OutboundConnector'; 'Get-JournalRule' = 'JournalRule'
}

function Register-SimReadLag {
    # After New-*: the object stays invisible to the next N reads by identity (unlike
    # 'replication', which any lookup by identity uses up, a write's included).
    param([string] $Name, [System.Collections.IDictionary] $Bound)
    $lag = Get-SimFault -Name 'read_lag'
    $type = $script:ReadLagTypes[$Name]
    if (-not $lag -or $Name -notlike 'New-*' -or -not $type) { return }
    foreach ($object in (Get-SimCollection -Type $type)) {
        if ([string] $object.Name -eq [string] $Bound['Name']) { $script:ReadLag[[string] $object.Guid] = [int] $lag }
    }
}

function Assert-SimReadVisible {
    # A Get-* -Identity naming an object still inside its read lag fails as replication does.
    param([string] $Name, $Identity)
    $type = $script:ReadLagTypes[$Name]
    if (-not $type -or $Name -notlike 'Get-*') { return }
    $want = ([string] $Identity).ToLowerInvariant()
    if ($want -like 'smtp:*') { $want = $want.Substring(5) }
    foreach ($object in (Get-SimCollection -Type $type)) {
        $key = [string] $object.Guid
        if (-not $script:ReadLag.ContainsKey($key) -or $script:ReadLag[$key] -le 0) { continue }
        if ((Get-SimKeys -Object $object -Type $type) -notcontains $want) { continue }
        $script:ReadLag[$key] = $script:ReadLag[$key] - 1
        Stop-SimNotFound -Identity ([string] $Identity) -Key 'Replication'
    }
}

# --- One call, start to end --------------------------------------------------------------------

function Test-SimRbac {
    param([string] $Name, [System.Collections.IDictionary] $Bound)
    foreach ($entry in @($script:Options.rbac_removed)) {
        $parts = ([string] $entry).Split(':')
        if ($parts[0] -ne $Name) { continue }
        if ($parts.Count -eq 1 -or $Bound.ContainsKey($parts[1])) { return $entry }
    }
    return $null
}

function Invoke-SimCall {
    # Called by every generated admin cmdlet: faults, the tenant, the log. Returns what the
    # cmdlet writes: @{ Output; Warnings; Error } (Error: the exception Exchange would report).
    param([string] $Name, [System.Collections.IDictionary] $Bound, [string] $Kind, [bool] $Execute, [string] $Outcome = '')
    $entry = New-SimLogEntry -Name $Name -Bound $Bound -Kind $Kind
    if ($Outcome) {
        $entry.outcome = $Outcome
        Write-SimLog -Entry $entry
        return $null
    }
    $warnings = New-Object -TypeName System.Collections.ArrayList
    $result = @{ Output = @(); Warnings = $warnings; Error = $null }
    try {
        if ($null -eq $script:Tenant) { throw "journalgen simulator: $Name was called with no tenant signed in." }
        $throttle = Get-SimFault -Name 'throttle'
        if ($null -ne $throttle -and $script:Counters.Calls - $script:CallBase -ge [int] $throttle['at'] -and $script:Counters.Throttled -lt [int] $throttle['times']) {
            $script:Counters.Throttled++
            Stop-Sim -Reason 'ThrottlingException' -Category 'LimitsExceeded' -ErrorId 'ThrottlingError' -Text '{"error":{"code":"TooManyRequests","message":"Rate limit exceeded. Retry after 30 seconds."}}'
        }
        if ((Get-SimFault -Name 'access_denied') -eq 'roles') {
            Stop-Sim -Reason 'CmdletAccessDeniedException' -Category 'PermissionDenied' -Text "The user isn't assigned to any management roles."
        }
        $denied = Test-SimRbac -Name $Name -Bound $Bound
        if ($null -ne $denied) {
            Stop-Sim -Reason 'CmdletAccessDeniedException' -Category 'PermissionDenied' -Text "The user isn't assigned to any management roles that are included in the RBAC scope for $denied."
        }
        if (-not $Execute) {
            # -WhatIf, or the operator answered No: nothing changes.
            $entry.whatif = $true
            $entry.outcome = 'declined'
            if ($Bound.ContainsKey('WhatIf') -and [bool] $Bound['WhatIf']) { $entry.outcome = 'whatif' }
            return $result
        }
        if ($Kind -eq 'read' -and $Bound.ContainsKey('Identity') -and $script:ReadLag.Count -gt 0) { Assert-SimReadVisible -Name $Name -Identity $Bound['Identity'] }
        if ($Kind -eq 'write') {
            $script:Counters.Writes++
            $failAt = Get-SimFault -Name 'fail_write'
            if ($null -ne $failAt -and $script:Counters.Writes -eq [int] $failAt) {
                Stop-Sim -Reason 'ServerSideError' -Category 'ConnectionError' -ErrorId 'ServerSideError' -Text 'A server side error has occurred because of which the operation could not be completed. Please try again after some time. If the problem still persists, please reach out to MS support.'
            }
        }
        $done = Invoke-SimAdmin -Name $Name -Bound $Bound -Warnings $warnings
        if ($Kind -eq 'write' -and $done.Changed) { Register-SimReadLag -Name $Name -Bound $Bound }
        $result.Output = @($done.Output | ForEach-Object { ConvertTo-SimOutput -Shape $_ })
        if ($Kind -eq 'write') {
            $entry.write = [bool] $done.Changed
            if ($done.Changed) { Export-SimTenant }
            $kill = Get-SimFault -Name 'kill_after_write'
            if ($null -ne $kill -and $script:Counters.Writes -eq [int] $kill) {
                $entry.outcome = 'killed'
                Write-SimLog -Entry $entry
                [Environment]::Exit(137)
            }
        }
    }
    catch {
        $info = $_.Exception.Data['JournalgenSimError']
        if ($null -eq $info) { throw }
        # The simulator's own throw is not an error the caller sees; Write-ErrorMessage writes that.
        if ($global:Error.Count -gt 0 -and $global:Error[0] -is [System.Management.Automation.ErrorRecord] -and [object]::ReferenceEquals($global:Error[0].Exception, $_.Exception)) { $global:Error.RemoveAt(0) }
        $entry.outcome = 'error'
        $entry['error'] = $info.Reason
        $entry['message'] = $_.Exception.Message
        $result.Error = $_.Exception
    }
    finally {
        if ($warnings.Count -gt 0) { $entry['warnings'] = @($warnings) }
        Write-SimLog -Entry $entry
    }
    return $result
}

# --- Generated cmdlets -------------------------------------------------------------------------

# Kept as ConvertFrom-Json gives it: converting 270 parameters to dictionaries costs a second.
$script:Signatures = (ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText((Join-Path -Path $script:Here -ChildPath 'signatures.json'), $script:Utf8))).cmdlets

$script:TypeNames = @{
    'object'           = 'object'
    'string'           = 'string'
    'string[]'         = 'string[]'
    'object[]'         = 'object[]'
    'bool'             = 'bool'
    'int'              = 'int'
    'uint32'           = 'uint32'
    'switch'           = 'switch'
    'guid'             = 'guid'
    'securestring'     = 'System.Security.SecureString'
    'pscredential'     = 'System.Management.Automation.PSCredential'
    'x509certificate2' = 'System.Security.Cryptography.X509Certificates.X509Certificate2'
    'datetime'         = 'datetime'
}

function ConvertTo-SimLiteral {
    param([string] $Text)
    return "'" + $Text.Replace("'", "''") + "'"
}

function New-SimFunctionText {
    # The PowerShell text of one cmdlet, from its row of the signature table.
    param($Cmdlet, [string] $Body)
    $binding = @()
    if ($Cmdlet.default_set) { $binding += "DefaultParameterSetName = $(ConvertTo-SimLiteral $Cmdlet.default_set)" }
    if ($Cmdlet.supports_should_process) {
        $binding += 'SupportsShouldProcess = $true'
        $binding += "ConfirmImpact = $(ConvertTo-SimLiteral $Cmdlet.confirm_impact)"
    }
    $lines = New-Object -TypeName System.Collections.Generic.List[string]
    $lines.Add("function $($Cmdlet.name) {")
    $lines.Add("    [CmdletBinding($($binding -join ', '))]")
    $lines.Add('    param(')
    $params = @()
    foreach ($parameter in $Cmdlet.parameters) {
        if ($parameter.windows_only -and -not $script:IsWindowsHost) { continue }
        if ($script:Options.module_version -eq '3.1.0' -and $Cmdlet.name -eq 'Disconnect-ExchangeOnline' -and $parameter.name -in @('ConnectionId', 'ModulePrefix')) { continue }
        $text = @()
        foreach ($entry in $parameter.sets.PSObject.Properties) {
            $set = $entry.Name
            $attributes = @()
            if ($set -ne '__AllParameterSets') { $attributes += "ParameterSetName = $(ConvertTo-SimLiteral $set)" }
            if ($entry.Value) { $attributes += 'Mandatory = $true' }
            if ($null -ne $parameter.position) { $attributes += "Position = $($parameter.position)" }
            if ($parameter.pipeline -in @('value', 'both')) { $attributes += 'ValueFromPipeline = $true' }
            if ($parameter.pipeline -in @('property', 'both')) { $attributes += 'ValueFromPipelineByPropertyName = $true' }
            $text += "        [Parameter($($attributes -join ', '))]"
        }
        if (@($parameter.aliases).Count -gt 0) { $text += "        [Alias($((@($parameter.aliases) | ForEach-Object { ConvertTo-SimLiteral $_ }) -join ', '))]" }
        if ($null -ne $parameter.values) { $text += "        [ValidateSet($((@($parameter.values) | ForEach-Object { ConvertTo-SimLiteral $_ }) -join ', '))]" }
        $type = $script:TypeNames[[string] $parameter.type]
        if ($null -eq $type) { throw "journalgen simulator: unknown type '$($parameter.type)' in signatures.json ($($Cmdlet.name) -$($parameter.name))." }
        $text += "        [$type] `$$($parameter.name)"
        $params += ($text -join "`n")
    }
    if ($params.Count -gt 0) { $lines.Add(($params -join ",`n`n")) }
    $lines.Add('    )')
    $lines.Add($Body)
    $lines.Add('}')
    return ($lines -join "`n")
}

function Get-SimAdminModuleText {
    # The text of the tmpEXO module Connect-ExchangeOnline imports.
    $functions = New-Object -TypeName System.Collections.Generic.List[string]
    $functions.Add(@'
param($SimRoot)

function Write-ErrorMessage {
    # As in v3: the admin cmdlets report Exchange's errors through this helper, non-terminating
    # unless the caller asked for -ErrorAction Stop.
    [CmdletBinding()]
    param($Exception, [string] $Cmdlet)
    $info = $Exception.Data['JournalgenSimError']
    $errorId = $info.ErrorId
    if (-not $errorId) { $errorId = '[Server=SIM01A001MB0001,RequestId=00000000-0000-0000-0000-000000000000,TimeStamp=Thu, 01 Jan 2026 00:00:00 GMT]' }
    $record = New-Object -TypeName System.Management.Automation.ErrorRecord -ArgumentList $Exception, $errorId, ([System.Management.Automation.ErrorCategory] $info.Category), $null
    $record.CategoryInfo.Activity = $Cmdlet
    $record.CategoryInfo.Reason = $info.Reason
    $global:EXO_LastExecutionStatus = $false
    $PSCmdlet.WriteError($record)
}

function Invoke-SimCmdlet {
    param([string] $Name, [string] $Kind, [System.Collections.IDictionary] $Bound, $Caller)
    $execute = $true
    if ($Kind -eq 'write') {
        $target = $Name
        if ($Bound.ContainsKey('Identity')) { $target = [string] $Bound['Identity'] }
        elseif ($Bound.ContainsKey('Name')) { $target = [string] $Bound['Name'] }
        $execute = $false
        try { $execute = $Caller.ShouldProcess($target, $Name) }
        catch {
            # A prompt that cannot be shown (-NonInteractive) ends the call, as in the real module.
            $null = & $SimRoot { param($n, $b, $k) Invoke-SimCall -Name $n -Bound $b -Kind $k -Execute $false -Outcome 'prompt-failed' } $Name $Bound $Kind
            $Caller.ThrowTerminatingError($_)
        }
    }
    $result = & $SimRoot { param($n, $b, $k, $e) Invoke-SimCall -Name $n -Bound $b -Kind $k -Execute $e } $Name $Bound $Kind $execute
    foreach ($warning in $result.Warnings) { $Caller.WriteWarning($warning) }
    if ($null -ne $result.Error) {
        Write-ErrorMessage -Exception $result.Error -Cmdlet $Name
        return
    }
    $global:EXO_LastExecutionStatus = $true
    foreach ($object in $result.Output) { $Caller.WriteObject($object) }
}
'@)
    $names = @()
    foreach ($cmdlet in $script:Signatures) {
        if ($cmdlet.module -ne 'admin') { continue }
        $body = "    process { Invoke-SimCmdlet -Name '$($cmdlet.name)' -Kind '$($cmdlet.kind)' -Bound `$PSBoundParameters -Caller `$PSCmdlet }"
        $functions.Add((New-SimFunctionText -Cmdlet $cmdlet -Body $body))
        $names += $cmdlet.name
    }
    $functions.Add("Export-ModuleMember -Function $(($names | ForEach-Object { ConvertTo-SimLiteral $_ }) -join ', ')")
    return ($functions -join "`n`n")
}

# --- Connections -------------------------------------------------------------------------------

$script:Connections = New-Object -TypeName System.Collections.ArrayList

function Invoke-SimConnect {
    param([System.Collections.IDictionary] $Bound)
    $entry = New-SimLogEntry -Name 'Connect-ExchangeOnline' -Bound $Bound -Kind 'connection'
    try {
        $failure = Get-SimFault -Name 'connect_error'
        if ($failure) { throw [string] $failure }
        if ($Bound.ContainsKey('Prefix')) {
            $prefix = [string] $Bound['Prefix']
            if ($prefix -notmatch '^[a-z0-9]+$' -or $prefix -eq 'EXO') { throw "Use of special characters or 'EXO' in the Prefix parameter is not supported." }
        }
        if ($Bound.ContainsKey('AppId')) {
            if (-not $Bound.ContainsKey('Organization')) { throw 'The Organization parameter is required for app-only authentication.' }
            $certificates = @('CertificateThumbprint', 'CertificateFilePath', 'Certificate') | Where-Object { $Bound.ContainsKey($_) }
            if (@($certificates).Count -ne 1) { throw 'App-only authentication needs exactly one of Certificate, CertificateFilePath or CertificateThumbprint.' }
        }
        if ($Bound.ContainsKey('CertificateFilePath')) {
            # Passed to .NET unchanged, as the real module does: a relative path is resolved
            # against the process folder, not PowerShell's location.
            $path = [string] $Bound['CertificateFilePath']
            $full = [System.IO.Path]::GetFullPath($path)
            $entry['certificate_file'] = $full
            if (-not [System.IO.File]::Exists($full)) { throw "Certificate file '$path' was not found (looked for $full)." }
        }
        $asked = ''
        foreach ($key in @('DelegatedOrganization', 'Organization')) { if ($Bound.ContainsKey($key)) { $asked = [string] $Bound[$key] } }
        Import-SimTenant -Asked $asked
        if ($script:Fleet) {
            $script:Faults = [ordered]@{}
            foreach ($key in $script:BaseFaults.Keys) { $script:Faults[$key] = $script:BaseFaults[$key] }
            $own = $script:FleetFaults[$script:Tenant.Organization.ToLowerInvariant()]
            if ($null -ne $own) { foreach ($key in $own.Keys) { $script:Faults[$key] = $own[$key] } }
            $script:CallBase = $script:Counters.Calls
            $script:Counters.Throttled = 0
            $script:Counters.Writes = 0
            $failure = Get-SimFault -Name 'connect_error'
            if ($failure) { $script:Tenant = $null; throw [string] $failure }
        }
        if ((Get-SimFault -Name 'access_denied') -eq 'sign-in') {
            $script:Tenant = $null
            throw "UnAuthorized: the signed-in user has no delegated access to the organization '$asked' (journalgen simulator: no GDAP relationship or Exchange role for it)."
        }
        foreach ($key in @('Organization', 'DelegatedOrganization')) {
            if ($script:Fleet) { break }
            if ($Bound.ContainsKey($key) -and ([string] $Bound[$key]).ToLowerInvariant() -ne $script:Tenant.Organization.ToLowerInvariant()) {
                throw "AADSTS90002: Tenant '$($Bound[$key])' not found. The simulator holds the tenant $($script:Tenant.Organization) only."
            }
        }
        $environment = 'O365Default'
        if ($Bound.ContainsKey('ExchangeEnvironmentName')) { $environment = [string] $Bound['ExchangeEnvironmentName'] }
        $hosts = @{ O365Default = 'outlook.office365.com'; O365USGovGCCHigh = 'outlook.office365.us'; O365USGovDoD = 'webmail.apps.mil'; O365China = 'partner.outlook.cn'; O365GermanyCloud = 'outlook.office.de' }
        $id = [guid]::NewGuid().ToString()
        $number = $script:Connections.Count + 1
        $upn = 'admin@' + $script:Tenant.Organization
        if ($Bound.ContainsKey('UserPrincipalName')) { $upn = [string] $Bound['UserPrincipalName'] }
        $delegated = ''
        if ($Bound.ContainsKey('DelegatedOrganization')) { $delegated = [string] $Bound['DelegatedOrganization'] }
        $modulePrefix = ''
        if ($Bound.ContainsKey('Prefix')) { $modulePrefix = [string] $Bound['Prefix'] }
        $module = $null
        if (@(Get-Module -Name 'tmpEXO_*').Count -eq 0) {
            $moduleName = 'tmpEXO_' + ([guid]::NewGuid().ToString('N').Substring(0, 8))
            $block = [scriptblock]::Create((Get-SimAdminModuleText))
            $dynamic = New-Module -Name $moduleName -ScriptBlock $block -ArgumentList $script:SimRoot
            $import = @{ Global = $true; Force = $true; DisableNameChecking = $true }
            if ($modulePrefix) { $import['Prefix'] = $modulePrefix }
            if ($Bound.ContainsKey('CommandName')) { $import['Function'] = @($Bound['CommandName']) }
            $dynamic | Import-Module @import
            $module = $moduleName
        }
        else { $module = (Get-Module -Name 'tmpEXO_*' | Select-Object -First 1).Name }
        [void] $script:Connections.Add([ordered]@{
                ConnectionId                    = $id
                State                           = 'Connected'
                Id                              = $number
                Name                            = "ExchangeOnline_$number"
                UserPrincipalName               = $upn
                ConnectionUri                   = "https://$($hosts[$environment])"
                AzureAdAuthorizationEndpointUri = 'https://login.microsoftonline.com/organizations'
                TokenExpiryTimeUTC              = '2099-01-01T00:00:00Z'
                CertificateAuthentication       = $Bound.ContainsKey('AppId')
                ModuleName                      = $module
                ModulePrefix                    = $modulePrefix
                Organization                    = $script:Tenant.Organization
                DelegatedOrganization           = $delegated
                AppId                           = [string] $Bound['AppId']
                PageSize                        = 1000
                TenantID                        = New-SimGuid -Seed "tenant:$($script:Tenant.Organization)"
                TokenStatus                     = 'Active'
                ConnectionUsedForInbuiltCmdlets = $true
                IsEopSession                    = $false
                ExchangeEnvironmentName         = $environment
            })
        $entry['connection_id'] = $id
    }
    catch {
        $entry.outcome = 'error'
        $entry['message'] = $_.Exception.Message
        Write-SimLog -Entry $entry
        throw
    }
    Write-SimLog -Entry $entry
}

function Invoke-SimDisconnect {
    param([System.Collections.IDictionary] $Bound, [bool] $Execute)
    $entry = New-SimLogEntry -Name 'Disconnect-ExchangeOnline' -Bound $Bound -Kind 'connection'
    try {
        if (-not $Execute) { $entry.whatif = $true; $entry.outcome = 'whatif'; return }
        if (Get-SimFault -Name 'disconnect_error') { throw 'journalgen simulator: sign-out failed (fault plan).' }
        if ($Bound.ContainsKey('ConnectionId')) {
            foreach ($id in @($Bound['ConnectionId'])) {
                $match = @($script:Connections | Where-Object { $_.ConnectionId -eq [string] $id })
                foreach ($connection in $match) { $script:Connections.Remove($connection) }
            }
        }
        elseif ($Bound.ContainsKey('ModulePrefix')) {
            foreach ($prefix in @($Bound['ModulePrefix'])) {
                $match = @($script:Connections | Where-Object { $_.ModulePrefix -eq [string] $prefix })
                foreach ($connection in $match) { $script:Connections.Remove($connection) }
            }
        }
        else { $script:Connections.Clear() }
        if ($script:Connections.Count -eq 0) {
            Get-Module -Name 'tmpEXO_*' | Remove-Module -Force
            $script:Tenant = $null
        }
    }
    catch {
        $entry.outcome = 'error'
        $entry['message'] = $_.Exception.Message
        throw
    }
    finally { Write-SimLog -Entry $entry }
}

function Get-SimConnections {
    param([System.Collections.IDictionary] $Bound)
    $entry = New-SimLogEntry -Name 'Get-ConnectionInformation' -Bound $Bound -Kind 'connection'
    Write-SimLog -Entry $entry
    foreach ($connection in $script:Connections) {
        if ($Bound.ContainsKey('ConnectionId') -and @($Bound['ConnectionId']) -notcontains $connection.ConnectionId) { continue }
        if ($Bound.ContainsKey('ModulePrefix') -and @($Bound['ModulePrefix']) -notcontains $connection.ModulePrefix) { continue }
        ConvertTo-SimOutput -Shape $connection
    }
}

$connectionBodies = @{
    'Connect-ExchangeOnline'    = '    process { Invoke-SimConnect -Bound $PSBoundParameters }'
    'Disconnect-ExchangeOnline' = '    process { Invoke-SimDisconnect -Bound $PSBoundParameters -Execute ($PSCmdlet.ShouldProcess(''Exchange Online'', ''Disconnect-ExchangeOnline'')) }'
    'Get-ConnectionInformation' = '    process { Get-SimConnections -Bound $PSBoundParameters }'
}
foreach ($cmdlet in $script:Signatures) {
    if ($cmdlet.module -ne 'root') { continue }
    . ([scriptblock]::Create((New-SimFunctionText -Cmdlet $cmdlet -Body $connectionBodies[$cmdlet.name])))
}

Export-ModuleMember -Function 'Connect-ExchangeOnline', 'Disconnect-ExchangeOnline', 'Get-ConnectionInformation'
