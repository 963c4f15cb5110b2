#
# journalgen's Exchange Online simulator. It stands in for Microsoft's ExchangeOnlineManagement
# module so that the scripts journalgen generates can run against a tenant kept in a JSON file.
# It never opens a network connection. See docs/simulator.md.
#
@{
    RootModule        = 'ExchangeOnlineManagement.psm1'
    ModuleVersion     = '3.9.2'
    GUID              = 'a1f5f0d4-6a43-4b4f-9c2e-6a6f75726e61'
    Author            = 'journalgen maintainers'
    CompanyName       = 'journalgen'
    Copyright         = 'MIT License'
    Description       = 'journalgen Exchange Online simulator: a local, file-backed stand-in for ExchangeOnlineManagement. It cannot reach a tenant.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-ExchangeOnline', 'Disconnect-ExchangeOnline', 'Get-ConnectionInformation')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
    PrivateData       = @{
        JournalgenSimulator = $true
        PSData              = @{
            Tags = @('journalgen', 'simulator')
        }
    }
}
