# Test oracle: parse PowerShell with PowerShell's own parser and print, as JSON, what the tests check.
#
# Input (-ListPath FILE, or stdin): a JSON list whose items are a path, parsed with ParseFile (which
# reads the BOM and #Requires without loading any module), or {"name": ..., "source": ...}, parsed
# with ParseInput. Output (stdout): one JSON object keyed by path or name; for each script its parse
# errors, commands, string constants, hashtable entries (with the value when it is a literal) and
# the constructs Windows PowerShell 5.1 cannot run. Nothing here runs the scripts it reads.
using namespace System.Management.Automation.Language
[CmdletBinding()]
param([string] $ListPath)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

# --- constructs Windows PowerShell 5.1 cannot run -------------------------------------------------
#
# Syntax, found by the AST node it parses to (see Find-NewerConstructs):
#
#   construct                             since  AST
#   ?: ternary operator                   7.0    TernaryExpressionAst
#   ?? null-coalescing operator           7.0    BinaryExpressionAst, Operator QuestionQuestion
#   ??= null-coalescing assignment        7.0    AssignmentStatementAst, Operator QuestionQuestionEquals
#   ?. null-conditional member access     7.0    MemberExpressionAst or InvokeMemberExpressionAst, NullConditional
#   ?[] null-conditional index            7.0    IndexExpressionAst, NullConditional
#   && / || pipeline chain                7.0    PipelineChainAst
#   & background operator                 6.0    PipelineAst, Background
#   clean block                           7.3    ScriptBlockAst, CleanBlock
#   -replace with a script block          6.1    BinaryExpressionAst -replace/-creplace, a ScriptBlockExpressionAst on the right
#   numeric suffix or 0b literal          6.2    ConstantExpressionAst written 0b1, 1u, 1uy, 1s, 1us, 1ul, 1y or 1n
#   `e or `u{} escape                     6.0    a double-quoted string whose text has the escape (5.1 reads "e", "u{")
#   [Type]::new()                         5.0    InvokeMemberExpressionAst, Static, member 'new': 5.1 runs it, but the
#                                                engine keeps to New-Object, so it is flagged too
#   [System.IO.Path]::GetRelativePath()   .NET   InvokeMemberExpressionAst, Static, a member $NewerStaticMembers lists
#   $PSStyle and the like                 6-7    VariableExpressionAst named in $NewerVariables
#   -Encoding utf8BOM/utf8NoBOM/ansi      6.0    a command's -Encoding argument ('ansi': 7.4)
#   commands and parameters               6-7    CommandAst, by $NewerCommands below
#
# A command or parameter (the last two rows) that the script checks for before the call is
# reported with the check as its guard (Get-Guard): Windows PowerShell 5.1 runs such a script.
# Syntax cannot be guarded: 5.1 refuses to parse it anywhere in the file.
$NewerVariables = @{
    # Undefined in 5.1, so an error under Set-StrictMode.
    PSStyle                     = '7.2'
    IsWindows                   = '6.0'
    IsLinux                     = '6.0'
    IsMacOS                     = '6.0'
    IsCoreCLR                   = '6.0'
    EnabledExperimentalFeatures = '6.2'
}
$NewerVariablePattern = '(?i)\$\{?(global:)?(' + (@($NewerVariables.Keys) -join '|') + ')\b'
$NewerEncodings = @('utf8BOM', 'utf8NoBOM', 'ansi')
$NewerStaticMembers = @{
    'IO.Path' = @('GetRelativePath', 'Join', 'TrimEndingDirectorySeparator', 'EndsInDirectorySeparator')
    'Convert' = @('ToHexString', 'FromHexString')
}
$NumericSuffix = '^(?i)(0b[01_]+|(0x[0-9a-f_]+|[0-9][0-9_]*(\.[0-9]+)?(e[+-]?[0-9]+)?)(uy|us|ul|lu|u|s|y|n))(kb|mb|gb|tb|pb)?$'
# An odd number of backticks before e or u{ (PowerShell's escapes are case-sensitive).
$NewEscape = '(?<!`)(``)*`(e|u\{)'

# Commands, and their parameters that 5.1 does not have, matched by full name, any case
# (Parameters $null: the command itself). A construct is named "Command -Parameter" or "Command".
$NewerCommands = @(
    #  command                                 aliases                            parameters
    @{ Command = 'ForEach-Object';       Aliases = @('%', 'foreach'); Parameters = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace') }
    @{ Command = 'ConvertFrom-Json';     Aliases = @();               Parameters = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind') }
    @{ Command = 'ConvertTo-Json';       Aliases = @();               Parameters = @('EscapeHandling', 'AsArray', 'EnumsAsStrings') }
    @{ Command = 'Get-Content';          Aliases = @('gc', 'cat', 'type'); Parameters = @('AsByteStream') }
    @{ Command = 'Set-Content';          Aliases = @('sc');           Parameters = @('AsByteStream') }
    @{ Command = 'Add-Content';          Aliases = @('ac');           Parameters = @('AsByteStream') }
    @{ Command = 'Out-String';           Aliases = @();               Parameters = @('NoNewline') }
    @{ Command = 'Get-Date';             Aliases = @();               Parameters = @('AsUTC', 'UnixTimeSeconds') }
    @{ Command = 'Sort-Object';          Aliases = @('sort');         Parameters = @('Top', 'Bottom') }
    @{ Command = 'Select-Object';        Aliases = @('select');       Parameters = @('SkipIndex') }
    @{ Command = 'Select-String';        Aliases = @('sls');          Parameters = @('Raw', 'NoEmphasis') }
    @{ Command = 'Split-Path';           Aliases = @();               Parameters = @('LeafBase', 'Extension') }
    @{ Command = 'Where-Object';         Aliases = @('?', 'where');   Parameters = @('Not') }
    @{ Command = 'Invoke-WebRequest';    Aliases = @('iwr');          Parameters = @('SkipCertificateCheck', 'Authentication', 'Token', 'SkipHttpErrorCheck', 'StatusCodeVariable', 'ResponseHeadersVariable') }
    @{ Command = 'Invoke-RestMethod';    Aliases = @('irm');          Parameters = @('SkipCertificateCheck', 'Authentication', 'Token', 'SkipHttpErrorCheck', 'StatusCodeVariable', 'ResponseHeadersVariable') }
    @{ Command = 'Join-String';          Aliases = @();               Parameters = $null }
    @{ Command = 'Test-Json';            Aliases = @();               Parameters = $null }
    @{ Command = 'Get-Error';            Aliases = @();               Parameters = $null }
    @{ Command = 'Get-Uptime';           Aliases = @();               Parameters = $null }
    @{ Command = 'ConvertFrom-Markdown'; Aliases = @();               Parameters = $null }
    @{ Command = 'Show-Markdown';        Aliases = @();               Parameters = $null }
    @{ Command = 'Remove-Alias';         Aliases = @();               Parameters = $null }
    @{ Command = 'Remove-Service';       Aliases = @();               Parameters = $null }
)
$CommandRule = @{}
foreach ($rule in $NewerCommands) {
    foreach ($name in @($rule.Command) + $rule.Aliases) { $CommandRule[$name] = $rule }
}

# --- finding nodes --------------------------------------------------------------------------------

function New-AstFilter {
    # A compiled predicate for Ast.FindAll: a script block would run PowerShell once per node.
    # With -Property, the node's property must also be $true (a bool) or set (anything else);
    # with -Except, the node must not be of that (derived) type.
    param([type] $Type, [string] $Property, [type] $Except)
    $E = [System.Linq.Expressions.Expression]
    $node = $E::Parameter([Ast], 'node')
    $body = $E::TypeIs($node, $Type)
    if ($Except) { $body = $E::AndAlso($body, $E::Not($E::TypeIs($node, $Except))) }
    if ($Property) {
        $value = $E::Property($E::Convert($node, $Type), $Property)
        $test = if ($value.Type -eq [bool]) { $value } else { $E::NotEqual($value, $E::Constant($null, $value.Type)) }
        $body = $E::AndAlso($body, $test)
    }
    return $E::Lambda([System.Func[Ast, bool]], $body, $node).Compile()
}

$Filters = @{}
foreach ($type in @(
        [CommandAst], [StringConstantExpressionAst], [HashtableAst], [TernaryExpressionAst], [BinaryExpressionAst],
        [PipelineChainAst], [ExpandableStringExpressionAst], [VariableExpressionAst], [InvokeMemberExpressionAst])) {
    $Filters[$type.Name] = New-AstFilter $type
}
$Filters['NullConditionalMember'] = New-AstFilter ([MemberExpressionAst]) 'NullConditional'
$Filters['NullConditionalIndex'] = New-AstFilter ([IndexExpressionAst]) 'NullConditional'
$Filters['StaticInvoke'] = New-AstFilter ([InvokeMemberExpressionAst]) 'Static'
$Filters['Background'] = New-AstFilter ([PipelineAst]) 'Background'
$Filters['Clean'] = New-AstFilter ([ScriptBlockAst]) 'CleanBlock'
$Filters['Assignment'] = New-AstFilter ([AssignmentStatementAst])
$Filters['ScriptBlockExpression'] = New-AstFilter ([ScriptBlockExpressionAst])
$Filters['Number'] = New-AstFilter ([ConstantExpressionAst]) -Except ([StringConstantExpressionAst])

function Find-Ast {
    param($Root, [string] $Filter, [bool] $Nested = $true)
    return , @($Root.FindAll($Filters[$Filter], $Nested))
}

# --- literal values -------------------------------------------------------------------------------

$NotLiteral = [object]::new()

function Get-Literal {
    # The value of a literal, computed with PowerShell's own + and conversions, or $NotLiteral.
    # Literals: strings, numbers, $true/$false/$null, +, unary -, [char]/[string]/[int], arrays,
    # hashtables ([ordered] or not) with literal keys; a list stays a list however many items it has.
    param($Ast)
    while ($true) {
        if ($Ast -is [PipelineAst]) {
            if ($Ast.PipelineElements.Count -ne 1 -or $Ast.Background) { return $NotLiteral }
            $Ast = $Ast.PipelineElements[0]
        }
        elseif ($Ast -is [CommandExpressionAst]) {
            if ($Ast.Redirections.Count -ne 0) { return $NotLiteral }
            $Ast = $Ast.Expression
        }
        elseif ($Ast -is [ParenExpressionAst]) { $Ast = $Ast.Pipeline }
        else { break }
    }
    if ($Ast -is [ConstantExpressionAst]) { return $Ast.Value }
    if ($Ast -is [VariableExpressionAst] -and -not $Ast.Splatted) {
        switch ($Ast.VariablePath.UserPath) { 'true' { return $true } 'false' { return $false } 'null' { return $null } }
        return $NotLiteral
    }
    if ($Ast -is [BinaryExpressionAst] -and $Ast.Operator -eq 'Plus') {
        $left = Get-Literal $Ast.Left
        $right = Get-Literal $Ast.Right
        if ([object]::ReferenceEquals($left, $NotLiteral) -or [object]::ReferenceEquals($right, $NotLiteral)) { return $NotLiteral }
        return , ($left + $right)
    }
    if ($Ast -is [UnaryExpressionAst] -and $Ast.TokenKind -eq 'Minus') {
        $child = Get-Literal $Ast.Child
        if ([object]::ReferenceEquals($child, $NotLiteral)) { return $NotLiteral }
        return (-$child)
    }
    if ($Ast -is [ConvertExpressionAst] -and $Ast.Type.TypeName.FullName -in @('char', 'string', 'int')) {
        $child = Get-Literal $Ast.Child
        if ([object]::ReferenceEquals($child, $NotLiteral)) { return $NotLiteral }
        return [System.Management.Automation.LanguagePrimitives]::ConvertTo($child, $Ast.Type.TypeName.GetReflectionType())
    }
    if ($Ast -is [ConvertExpressionAst] -and $Ast.Type.TypeName.FullName -eq 'ordered' -and $Ast.Child -is [HashtableAst]) { $Ast = $Ast.Child }
    if ($Ast -is [HashtableAst]) {
        $table = [ordered]@{}
        foreach ($pair in $Ast.KeyValuePairs) {
            if ($pair.Item1 -isnot [StringConstantExpressionAst]) { return $NotLiteral }
            $value = Get-Literal $pair.Item2
            if ([object]::ReferenceEquals($value, $NotLiteral)) { return $NotLiteral }
            $table[$pair.Item1.Value] = $value
        }
        return $table
    }
    if ($Ast -is [ArrayExpressionAst] -or $Ast -is [ArrayLiteralAst]) {
        $items = [System.Collections.Generic.List[object]]::new()
        if ($Ast -is [ArrayLiteralAst]) { $parts = $Ast.Elements; $flatten = $false }
        else {
            if ($null -ne $Ast.SubExpression.Traps) { return $NotLiteral }
            $parts = $Ast.SubExpression.Statements; $flatten = $true
        }
        foreach ($part in $parts) {
            $value = Get-Literal $part
            if ([object]::ReferenceEquals($value, $NotLiteral)) { return $NotLiteral }
            if ($flatten -and $value -is [System.Array]) { $items.AddRange([object[]] $value) } else { $items.Add($value) }
        }
        return , $items.ToArray()
    }
    return $NotLiteral
}

# --- commands and splatting -----------------------------------------------------------------------

function Get-Scope {
    # The function a node is in ($null: the script itself).
    param($Ast)
    for ($node = $Ast.Parent; $null -ne $node; $node = $node.Parent) {
        if ($node -is [FunctionDefinitionAst]) { return $node }
    }
    return $null
}

function Test-Variable {
    param($Ast, [string] $Name)
    return ($Ast -is [VariableExpressionAst] -and $Ast.VariablePath.UserPath -eq $Name)
}

function Get-SplatSource {
    # What a splatted variable may hold, from what its function does to it: the keys written as
    # literals (in a hashtable literal, $v['Key'] = , $v.Key = , $v.Add('Key', ...)), and whether
    # anything else may add keys: a computed key, a copy of another value, or a parameter.
    param($Root, $Scope, [string] $Name)
    $keys = [System.Collections.Generic.List[string]]::new()
    $dynamic = $false
    $assigned = $false
    $body = if ($null -eq $Scope) { $Root } else { $Scope.Body }
    if ($null -ne $Scope) {
        $declared = @()
        if ($null -ne $Scope.Parameters) { $declared += $Scope.Parameters }
        if ($null -ne $Scope.Body.ParamBlock) { $declared += $Scope.Body.ParamBlock.Parameters }
        foreach ($parameter in $declared) {
            if ($parameter.Name.VariablePath.UserPath -eq $Name) { $assigned = $true; $dynamic = $true }
        }
    }
    foreach ($node in (Find-Ast $body 'Assignment')) {
        $left = $node.Left
        if ($left -is [ConvertExpressionAst]) { $left = $left.Child }
        $target = if ($left -is [IndexExpressionAst]) { $left.Target } elseif ($left -is [MemberExpressionAst]) { $left.Expression } else { $left }
        if (-not (Test-Variable $target $Name) -or (Get-Scope $node) -ne $Scope) { continue }
        if ($left -is [IndexExpressionAst]) {
            if ($left.Index -is [StringConstantExpressionAst]) { $keys.Add($left.Index.Value) } else { $dynamic = $true }
        }
        elseif ($left -is [MemberExpressionAst]) {
            if ($left.Member -is [StringConstantExpressionAst]) { $keys.Add($left.Member.Value) } else { $dynamic = $true }
        }
        else {
            $assigned = $true
            $literal = $null
            if ($node.Operator -eq 'Equals' -and $node.Right -is [CommandExpressionAst]) {
                $literal = $node.Right.Expression
                if ($literal -is [ConvertExpressionAst]) { $literal = $literal.Child }
            }
            if ($literal -isnot [HashtableAst]) { $dynamic = $true; continue }
            foreach ($pair in $literal.KeyValuePairs) {
                if ($pair.Item1 -is [StringConstantExpressionAst]) { $keys.Add($pair.Item1.Value) } else { $dynamic = $true }
            }
        }
    }
    foreach ($node in (Find-Ast $body 'InvokeMemberExpressionAst')) {
        if ($node.Member.Extent.Text -ne 'Add' -or -not (Test-Variable $node.Expression $Name) -or (Get-Scope $node) -ne $Scope) { continue }
        $first = @($node.Arguments)[0]
        if ($first -is [StringConstantExpressionAst]) { $keys.Add($first.Value) } else { $dynamic = $true }
    }
    $unique = [System.Collections.Generic.List[string]]::new()
    foreach ($key in $keys) { if (-not $unique.Contains($key)) { $unique.Add($key) } }
    return [ordered]@{ name = $Name; assigned = $assigned; keys = $unique; dynamic = $dynamic }
}

# --- the constructs -------------------------------------------------------------------------------

function Get-Guard {
    # A command or parameter 5.1 lacks is safe where the script checks for it first: 5.1 parses a
    # call it cannot bind, and binds it only when it runs. The guard is the condition of an
    # enclosing if whose branch holds the call: (Get-Command ...).Parameters.ContainsKey('Name')
    # for a parameter, Get-Command -Name 'Command' for a command, or a PowerShell version of 6+.
    param($Ast, [string] $Command, [string] $Parameter)
    $probe = if ($Parameter) { "\.Parameters\.ContainsKey\(\s*['`"]$([regex]::Escape($Parameter))['`"]\s*\)" }
    else { "Get-Command\s+(-Name\s+)?['`"]?$([regex]::Escape($Command))\b" }
    $version = '\$PSVersionTable\.PSVersion\.Major\s+-(ge\s+([6-9]|\d\d)|gt\s+([5-9]|\d\d))\b'
    for ($node = $Ast; $null -ne $node.Parent; $node = $node.Parent) {
        if ($node.Parent -isnot [IfStatementAst]) { continue }
        foreach ($clause in $node.Parent.Clauses) {
            if (-not [object]::ReferenceEquals($clause.Item2, $node)) { continue }
            $condition = $clause.Item1.Extent.Text
            if ($condition -match $probe -or $condition -match $version) { return $condition }
        }
    }
    return $null
}

function Find-NewerConstructs {
    param($Root, $Commands)
    $found = [System.Collections.Generic.List[object]]::new()
    $add = { param($name, $ast, $guard) $found.Add([ordered]@{ construct = $name; line = $ast.Extent.StartLineNumber; text = $ast.Extent.Text; guard = $guard }) }
    foreach ($node in (Find-Ast $Root 'TernaryExpressionAst')) { & $add '?: ternary operator' $node }
    foreach ($node in (Find-Ast $Root 'BinaryExpressionAst')) {
        if ($node.Operator -eq 'QuestionQuestion') { & $add '?? null-coalescing operator' $node }
        if ($node.Operator -in @('Ireplace', 'Creplace') -and (Find-Ast $node.Right 'ScriptBlockExpression' $false).Count -gt 0) {
            & $add '-replace with a script block' $node
        }
    }
    foreach ($node in (Find-Ast $Root 'Assignment')) {
        if ($node.Operator -eq 'QuestionQuestionEquals') { & $add '??= null-coalescing assignment' $node }
    }
    foreach ($node in (Find-Ast $Root 'NullConditionalMember')) { & $add '?. null-conditional member access' $node }
    foreach ($node in (Find-Ast $Root 'NullConditionalIndex')) { & $add '?[] null-conditional index' $node }
    foreach ($node in (Find-Ast $Root 'PipelineChainAst')) { & $add '&& / || pipeline chain' $node }
    foreach ($node in (Find-Ast $Root 'Background')) { & $add '& background operator' $node }
    foreach ($node in (Find-Ast $Root 'Clean')) { & $add 'clean block' $node.CleanBlock }
    foreach ($node in (Find-Ast $Root 'StaticInvoke')) {
        if ($node.Member -isnot [StringConstantExpressionAst]) { continue }
        $member = $node.Member.Value
        if ($member -eq 'new') { & $add '[Type]::new()' $node }
        if ($node.Expression -isnot [TypeExpressionAst]) { continue }
        $type = $node.Expression.TypeName.FullName -replace '^System\.', ''
        if ($NewerStaticMembers.ContainsKey($type) -and $member -in $NewerStaticMembers[$type]) {
            & $add "[System.$type]::$(@($NewerStaticMembers[$type] -eq $member)[0])()" $node
        }
    }
    foreach ($node in (Find-Ast $Root 'Number')) {
        if ($node.Extent.Text -match $NumericSuffix) { & $add 'numeric suffix or 0b literal' $node }
    }
    # The whole text first: most scripts have neither, and the nodes are many.
    $text = $Root.Extent.Text
    if ($text -cmatch $NewEscape) {
        foreach ($node in (Find-Ast $Root 'StringConstantExpressionAst')) {
            if ($node.StringConstantType -in @('DoubleQuoted', 'DoubleQuotedHereString') -and $node.Extent.Text -cmatch $NewEscape) {
                & $add '`e or `u{} escape' $node
            }
        }
        foreach ($node in (Find-Ast $Root 'ExpandableStringExpressionAst')) {
            if ($node.Extent.Text -cmatch $NewEscape) { & $add '`e or `u{} escape' $node }
        }
    }
    if ($text -match $NewerVariablePattern) {
        foreach ($node in (Find-Ast $Root 'VariableExpressionAst')) {
            $name = $node.VariablePath.UserPath -replace '^global:', ''
            if ($NewerVariables.ContainsKey($name)) { & $add "`$$(@($NewerVariables.Keys) -eq $name)" $node }
        }
    }
    foreach ($command in $Commands) {
        $name = $command.name
        if ($null -ne $name -and $CommandRule.ContainsKey($name)) {
            $rule = $CommandRule[$name]
            if ($null -eq $rule.Parameters) { & $add $rule.Command $command.ast (Get-Guard $command.ast $rule.Command) }
            else {
                foreach ($parameter in $command.info.parameters) {
                    $match = @($rule.Parameters -eq $parameter.name)
                    if ($match.Count -gt 0) { & $add "$($rule.Command) -$($match[0])" $command.ast (Get-Guard $command.ast $rule.Command $match[0]) }
                }
            }
        }
        foreach ($parameter in $command.info.parameters) {
            if ($parameter.name -ne 'Encoding') { continue }
            $value = if ($null -ne $parameter.argument) { $parameter.argument } else { $parameter.following }
            if ($null -eq $value) { continue }
            $match = @($NewerEncodings -eq $value.Trim([char[]] "'`""))
            if ($match.Count -gt 0) { & $add "-Encoding $($match[0])" $command.ast (Get-Guard $command.ast $name 'Encoding') }
        }
    }
    return , $found
}

# --- one script -----------------------------------------------------------------------------------

function Read-Script {
    param($Item)
    $tokens = $null
    $errors = $null
    if ($Item -is [string]) { $ast = [Parser]::ParseFile($Item, [ref] $tokens, [ref] $errors) }
    else { $ast = [Parser]::ParseInput([string] $Item.source, [ref] $tokens, [ref] $errors) }
    $commands = [System.Collections.Generic.List[object]]::new()
    $infos = [System.Collections.Generic.List[object]]::new()
    $splatSources = @{}
    foreach ($command in (Find-Ast $ast 'CommandAst')) {
        $scope = $null
        $clauses = [System.Collections.Generic.List[object]]::new()
        for ($node = $command; $null -ne $node.Parent; $node = $node.Parent) {
            if ($node.Parent -is [FunctionDefinitionAst]) { $scope = $node.Parent; break }
            if ($node.Parent -is [SwitchStatementAst]) {
                foreach ($clause in $node.Parent.Clauses) {
                    if ([object]::ReferenceEquals($clause.Item2, $node) -and $clause.Item1 -is [StringConstantExpressionAst]) { $clauses.Add($clause.Item1.Value) }
                }
            }
        }
        $parameters = [System.Collections.Generic.List[object]]::new()
        $splats = [System.Collections.Generic.List[object]]::new()
        $elements = $command.CommandElements
        for ($i = 1; $i -lt $elements.Count; $i++) {
            $element = $elements[$i]
            if ($element -is [CommandParameterAst]) {
                $argument = $null
                $following = $null
                if ($null -ne $element.Argument) { $argument = $element.Argument.Extent.Text }
                elseif ($i + 1 -lt $elements.Count -and $elements[$i + 1] -isnot [CommandParameterAst]) { $following = $elements[$i + 1].Extent.Text }
                $parameters.Add([ordered]@{ name = $element.ParameterName; argument = $argument; following = $following })
            }
            elseif ($element -is [VariableExpressionAst] -and $element.Splatted) {
                $name = $element.VariablePath.UserPath
                $key = "$(if ($null -ne $scope) { $scope.Extent.StartOffset })/$name"
                if (-not $splatSources.ContainsKey($key)) { $splatSources[$key] = Get-SplatSource -Root $ast -Scope $scope -Name $name }
                $splats.Add($splatSources[$key])
            }
        }
        $info = [ordered]@{
            name       = $command.GetCommandName()
            line       = $command.Extent.StartLineNumber
            text       = $command.Extent.Text
            function   = if ($null -eq $scope) { $null } else { $scope.Name }
            clauses    = $clauses
            parameters = $parameters
            splats     = $splats
        }
        $commands.Add(@{ ast = $command; name = $info.name; info = $info })
        $infos.Add($info)
    }
    $strings = [System.Collections.Generic.List[object]]::new()
    foreach ($node in (Find-Ast $ast 'StringConstantExpressionAst')) {
        $strings.Add([ordered]@{ value = $node.Value; type = $node.StringConstantType.ToString(); line = $node.Extent.StartLineNumber })
    }
    $entries = [System.Collections.Generic.List[object]]::new()
    foreach ($table in (Find-Ast $ast 'HashtableAst')) {
        $tableAt = $table.Extent.StartOffset
        foreach ($pair in $table.KeyValuePairs) {
            # Most values are one string, number or variable: settled here without a function call.
            $inner = $pair.Item2
            if ($inner -is [PipelineAst] -and $inner.PipelineElements.Count -eq 1 -and $inner.PipelineElements[0] -is [CommandExpressionAst] -and $inner.PipelineElements[0].Redirections.Count -eq 0) {
                $inner = $inner.PipelineElements[0].Expression
            }
            if ($inner -is [ConstantExpressionAst]) { $value = $inner.Value }
            elseif ($inner -is [VariableExpressionAst] -and $inner.VariablePath.UserPath -notin @('true', 'false', 'null')) { $value = $NotLiteral }
            elseif ($inner -is [MemberExpressionAst] -or $inner -is [ExpandableStringExpressionAst] -or $inner -is [SubExpressionAst]) { $value = $NotLiteral }
            else { $value = Get-Literal $pair.Item2 }
            $constant = -not [object]::ReferenceEquals($value, $NotLiteral)
            $entry = [ordered]@{
                table    = $tableAt
                key      = if ($pair.Item1 -is [StringConstantExpressionAst]) { $pair.Item1.Value } else { $null }
                line     = $pair.Item1.Extent.StartLineNumber
                constant = $constant
                value    = $null
                text     = $pair.Item2.Extent.Text
            }
            # Assigned, not written in the literal: an if expression would unroll a one-item list.
            if ($constant) { $entry.value = $value }
            $entries.Add($entry)
        }
    }
    $parseErrors = [System.Collections.Generic.List[object]]::new()
    foreach ($e in $errors) {
        $parseErrors.Add([ordered]@{ message = $e.Message; id = $e.ErrorId; line = $e.Extent.StartLineNumber; column = $e.Extent.StartColumnNumber })
    }
    return [ordered]@{
        errors   = $parseErrors
        commands = $infos
        strings  = $strings
        entries  = $entries
        newer    = (Find-NewerConstructs -Root $ast -Commands $commands)
    }
}

$raw = if ($ListPath) { [System.IO.File]::ReadAllText($ListPath) } else { [Console]::In.ReadToEnd() }
$result = [ordered]@{}
# System.Text.Json, not ConvertFrom-Json: that turns a string that looks like a date into a DateTime.
foreach ($item in [System.Text.Json.JsonDocument]::Parse($raw).RootElement.EnumerateArray()) {
    if ($item.ValueKind -eq 'String') { $key = $item.GetString(); $what = $key }
    else { $key = $item.GetProperty('name').GetString(); $what = @{ source = $item.GetProperty('source').GetString() } }
    $result[$key] = Read-Script $what
}
# System.Text.Json writes every non-ASCII character as \uXXXX: stdout is ASCII whatever its encoding.
# (A lone surrogate comes out as U+FFFD; no spec value can hold one.)
[Console]::Out.Write([System.Text.Json.JsonSerializer]::Serialize($result, [object]))
